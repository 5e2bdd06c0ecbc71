# Helpers for tests with real peers in network namespaces (sourced).
#
#   A (192.0.2.1, protects 10.1.0.1)  ==veth==  B (192.0.2.2, protects 10.2.0.1)
#
# Each side runs either ipsecfxd or strongSwan's charon (kernel-libipsec:
# the kernel here has no ESP crypto, so charon does ESP in user space
# through a TUN, as ../shared/docs/interop.md describes).  Everything is
# torn down by ix_cleanup, which the callers trap on EXIT.

IX_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IX_ROOT=$(cd "$IX_HERE/../.." && pwd)
IPSECFX_BUILD=${IPSECFX_BUILD:-$IX_ROOT/build}
IX_NS_A=ipxA$$
IX_NS_B=ipxB$$
IX_NS_R=ipxR$$
IX_T=${IX_T:-$(mktemp -d /tmp/ipsecfx-ix.XXXXXX)}
# ipsecfxd drops to its account after start-up (docs/security.md): it
# reads its configuration again on reload, runs updown scripts that write
# here, and removes its control socket here on exit
getent group ipsecfx >/dev/null 2>&1 && chgrp ipsecfx "$IX_T" && chmod 0770 "$IX_T"
IX_PIDS=()

ix_need() {
	# ix_need: why-not text on stdout and status 1 when the suite cannot run
	if [ "$(id -u)" -ne 0 ]; then
		echo "needs root (network namespaces)"
		return 1
	fi
	if ! ip netns add ipxprobe$$ 2>/dev/null; then
		echo "cannot create network namespaces here"
		return 1
	fi
	ip netns del ipxprobe$$
	if [ ! -c /dev/net/tun ]; then
		echo "no /dev/net/tun"
		return 1
	fi
	for b in /usr/lib/ipsec/charon swanctl iperf3 ping; do
		if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "$b" ]; then
			echo "missing $b (scripts/deps.sh installs it)"
			return 1
		fi
	done
	return 0
}

# ix_begin SUITE: skip the suite (TAP SKIP with the reason) where it cannot
# run, else clean up whatever it sets up when it exits
ix_begin() {
	local why
	if ! why=$(ix_need); then
		tap_skip "$1" "$why"
		tap_done
		exit 0
	fi
	trap ix_cleanup EXIT
}

ix_topology() {
	ip netns add "$IX_NS_A"
	ip netns add "$IX_NS_B"
	ip link add "vA$$" type veth peer name "vB$$"
	ip link set "vA$$" netns "$IX_NS_A"
	ip link set "vB$$" netns "$IX_NS_B"
	ip -n "$IX_NS_A" link set "vA$$" name eth0
	ip -n "$IX_NS_B" link set "vB$$" name eth0
	ip -n "$IX_NS_A" addr add 192.0.2.1/24 dev eth0
	ip -n "$IX_NS_B" addr add 192.0.2.2/24 dev eth0
	for ns in "$IX_NS_A" "$IX_NS_B"; do
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
	ip -n "$IX_NS_A" addr add 10.1.0.1/32 dev lo
	ip -n "$IX_NS_B" addr add 10.2.0.1/32 dev lo
}

# ix_topology_nat: A and C behind a NAT router R, B outside
#
#   A 192.168.1.2 (10.1.0.1) --+
#                              br0 192.168.1.1 [R: masquerade] 192.0.2.254 ==== 192.0.2.2 B (10.2.0.1)
#   C 192.168.1.3 (10.3.0.1) --+
#
# R rewrites the source of everything leaving on its WAN side to
# 192.0.2.254 with random ports (nftables masquerade random); ix_nat_flush
# forgets every mapping, so the next packet gets a new port.
IX_NS_C=ipxC$$
ix_topology_nat() {
	local ns i=0
	for ns in "$IX_NS_A" "$IX_NS_B" "$IX_NS_R" "$IX_NS_C"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$IX_NS_R" link add br0 type bridge
	ip -n "$IX_NS_R" addr add 192.168.1.1/24 dev br0
	ip -n "$IX_NS_R" link set br0 up
	for ns in "$IX_NS_A" "$IX_NS_C"; do
		i=$((i + 1))
		ip link add "vi$$" type veth peer name "vo$$"
		ip link set "vi$$" netns "$ns"
		ip link set "vo$$" netns "$IX_NS_R"
		ip -n "$ns" link set "vi$$" name eth0
		ip -n "$IX_NS_R" link set "vo$$" name "lan$i"
		ip -n "$IX_NS_R" link set "lan$i" master br0
		ip -n "$IX_NS_R" link set "lan$i" up
	done
	ip link add "vw$$" type veth peer name "vb$$"
	ip link set "vw$$" netns "$IX_NS_R"
	ip link set "vb$$" netns "$IX_NS_B"
	ip -n "$IX_NS_R" link set "vw$$" name wan
	ip -n "$IX_NS_B" link set "vb$$" name eth0
	ip -n "$IX_NS_R" addr add 192.0.2.254/24 dev wan
	ip -n "$IX_NS_R" link set wan up
	ip -n "$IX_NS_B" addr add 192.0.2.2/24 dev eth0
	ip -n "$IX_NS_B" link set eth0 up
	ip -n "$IX_NS_B" addr add 10.2.0.1/32 dev lo
	ip -n "$IX_NS_A" addr add 192.168.1.2/24 dev eth0
	ip -n "$IX_NS_C" addr add 192.168.1.3/24 dev eth0
	for ns in "$IX_NS_A" "$IX_NS_C"; do
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via 192.168.1.1
	done
	ip -n "$IX_NS_A" addr add 10.1.0.1/32 dev lo
	ip -n "$IX_NS_C" addr add 10.3.0.1/32 dev lo
	ip netns exec "$IX_NS_R" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$IX_NS_R" nft -f - <<'EOF'
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "wan" masquerade random
	}
}
EOF
}

# ix_capture NS FILE [FILTER]: start tshark on NS's eth0 writing FILE and
# return once it is capturing (tshark can take seconds to start on a busy
# machine); IX_CAPTURE is its pid
ix_capture() {
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" tshark -i eth0 -w "$file" -q ${1:+-f "$1"} 2>"$file.err" &
	IX_CAPTURE=$!
	for _ in $(seq 100); do
		if grep -q "Capturing on" "$file.err" 2>/dev/null; then
			sleep 0.3  # the message comes a moment before the first packet is seen
			return 0
		fi
		sleep 0.1
	done
	return 1
}

ix_nat_flush() { ip netns exec "$IX_NS_R" conntrack -F >/dev/null 2>&1; }

# ix_ike_loss NS PERCENT: drop that share of IKE datagrams (UDP 500, and
# UDP 4500 with the non-ESP marker) entering and leaving NS; 0 removes it
ix_ike_loss() {
	local ns=$1 pct=$2
	ip netns exec "$ns" nft delete table inet ikeloss 2>/dev/null
	[ "$pct" -gt 0 ] || return 0
	local share="numgen random mod 100 < $pct"
	[ "$pct" -ge 100 ] && share=""
	ip netns exec "$ns" nft -f - <<EOF
table inet ikeloss {
	chain in {
		type filter hook input priority 0;
		udp dport 500 $share drop
		udp dport 4500 @th,64,32 0 $share drop
	}
	chain out {
		type filter hook output priority 0;
		udp dport 500 $share drop
		udp dport 4500 @th,64,32 0 $share drop
	}
}
EOF
}

# ix_state_check: one TAP line: no daemon of this suite logged an IKE or
# Child SA state change that its state machine does not allow (docs/ike.md)
IX_BAD_STATES=""
ix_state_collect() { # before a section's logs go
	IX_BAD_STATES+=$(cat "$IX_T"/*.log 2>/dev/null | grep "is not a transition" | head -5)
}
ix_state_check() {
	local bad
	ix_state_collect
	bad=$IX_BAD_STATES
	if [ -z "$bad" ]; then
		tap_ok "every IKE and Child SA state change in the daemons' logs was a transition"
	else
		tap_fail "state changes outside the state machines"
		printf '%s\n' "$bad" | tap_diag
	fi
}

ix_cleanup() {
	local p
	for p in "${IX_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	sleep 0.3
	for p in "${IX_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$IX_NS_A" 2>/dev/null
	ip netns del "$IX_NS_B" 2>/dev/null
	ip netns del "$IX_NS_R" 2>/dev/null
	ip netns del "$IX_NS_C" 2>/dev/null
	[ -n "${IX_KEEP:-}" ] || rm -rf "$IX_T"
}

# ix_ipsecfxd NS NAME CONFIG: start the daemon in NS; its control socket is
# $IX_T/NAME.sock, its log $IX_T/NAME.log
ix_ipsecfxd() {
	local ns=$1 name=$2 cfg=$3
	ip netns exec "$ns" "$IPSECFX_BUILD/ipsecfxd" -f -c "$cfg" >"$IX_T/$name.log" 2>&1 &
	IX_PIDS+=($!)
	for _ in $(seq 50); do
		[ -S "$IX_T/$name.sock" ] && return 0
		sleep 0.1
	done
	echo "# ipsecfxd $name did not start:" ; sed 's/^/#   /' "$IX_T/$name.log" | tail -20
	return 1
}

ix_ctl() { # ix_ctl NAME ARGS...
	local name=$1 limit=10 a prev=
	shift
	# a daemon that stopped answering must not hang the suite; a --wait
	# of the command itself gets its whole time on top
	# (initiate waits 30 s unless told otherwise)
	[ "${1:-}" = initiate ] && limit=40
	for a in "$@"; do
		[ "$prev" = --wait ] && [[ $a =~ ^[0-9]+$ ]] && limit=$((10 + a))
		[ "$a" = --no-wait ] && limit=10
		prev=$a
	done
	timeout "$limit" "$IPSECFX_BUILD/ipsecfx" "$@" --socket "$IX_T/$name.sock"
}

# ix_charon NS NAME: start strongSwan in NS with $IX_T/NAME/strongswan.conf
# and $IX_T/NAME/swanctl.conf (written by the caller), load it
ix_charon() {
	local ns=$1 name=$2 d=$IX_T/$2
	cat >"$d/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem x509 pubkey pkcs1 pkcs8 revocation constraints kdf hmac sha2 sha1 gcm aes curve25519 vici kernel-libipsec kernel-netlink socket-default updown ${EXTRA_LOAD:-}
  install_routes = yes
  retransmit_timeout = 1
  retransmit_base = 1.4
  ${EXTRA_CHARON:-}
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { log { path = $d/charon.log
                  flush_line = yes
                  default = 1
                  ike = 2
                  cfg = 2 } }
}
EOF
	STRONGSWAN_CONF=$d/strongswan.conf ip netns exec "$ns" \
		unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' \
		>"$d/charon.out" 2>&1 &
	IX_PIDS+=($!)
	for _ in $(seq 50); do
		[ -S "$d/charon.vici" ] && break
		sleep 0.1
	done
	ix_swanctl "$name" --load-all --file "$d/swanctl.conf" >"$d/load.out" 2>&1
}

ix_swanctl() { # ix_swanctl NAME ARGS...
	local name=$1
	shift
	swanctl "$@" --uri "unix://$IX_T/$name/charon.vici"
}

# ix_ping NS SRC DST: three pings must come back
ix_ping() {
	ip netns exec "$1" ping -n -q -c 3 -i 0.2 -W 2 -I "$2" "$3" >/dev/null 2>&1
}

# ix_iperf NS_SRV SRV_ADDR NS_CLI CLI_ADDR SECONDS: Mbit/s on stdout
ix_iperf() {
	local out
	ip netns exec "$1" iperf3 -s -1 -B "$2" >/dev/null 2>&1 &
	local srv=$!
	sleep 0.5
	out=$(ip netns exec "$3" iperf3 -c "$2" -B "$4" -t "$5" -J 2>/dev/null)
	wait $srv 2>/dev/null
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' <<<"$out" 2>/dev/null
}

# ix_wait_up NAME CONN SECONDS: the daemon reports CONN established with a
# Child SA
ix_wait_up() {
	local name=$1 conn=$2 secs=${3:-10}
	for _ in $(seq $((secs * 5))); do
		if ix_ctl "$name" list-sas --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
conn = sys.argv[1]
for sa in json.load(sys.stdin):
    if sa["conn"] == conn and sa["state"] == "established" and sa["children"]:
        sys.exit(0)
sys.exit(1)' "$conn"; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

ix_swan_up() { # ix_swan_up NAME SECONDS: charon has an installed CHILD_SA
	local name=$1 secs=${2:-10}
	for _ in $(seq $((secs * 5))); do
		ix_swanctl "$name" --list-sas 2>/dev/null | grep -q "INSTALLED" && return 0
		sleep 0.2
	done
	return 1
}

# ---- the suites' common helpers (tests/gateway, t_adversary.sh, t_privilege.sh) ----

PSK=${PSK:-0123456789abcdef0123456789abcdef}
PY=/usr/bin/python3

# A section starts from nothing: daemons stopped, namespaces rebuilt.
fresh() { # fresh plain|nat
	local p
	for p in "${IX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	IX_PIDS=() IX_LAST=()
	for ns in "$IX_NS_A" "$IX_NS_B" "$IX_NS_R" "$IX_NS_C"; do
		ip netns del "$ns" 2>/dev/null
	done
	ix_state_collect
	rm -rf "$IX_T"/*
	if [ "$1" = nat ]; then ix_topology_nat; else ix_topology; fi
}

# ours NAME: the daemon's configuration from stdin (control socket added)
ours() {
	{ echo "control: $IX_T/$1.sock"; cat; } >"$IX_T/$1.yaml"
}

declare -A IX_LAST # NAME -> the process last started under that name

start_ours() { # start_ours NS NAME: LASTPID is its process
	rm -f "$IX_T/$2.sock"
	ix_ipsecfxd "$1" "$2" "$IX_T/$2.yaml" || return 1
	LASTPID=${IX_PIDS[-1]}
	IX_LAST[$2]=$LASTPID
}

stop_last() { # stop_last NAME: stop what start_ours/start_swan last started as NAME
	local p=${IX_LAST[$1]:-}
	[ -n "$p" ] && { kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
	IX_LAST[$1]=""
}

# restart_ours NS NAME, restart_swan NS NAME: the same, stopped first
restart_ours() { stop_last "$2"; start_ours "$@"; }
restart_swan() {
	stop_last "$2"
	rm -f "$IX_T/$2/charon.vici"
	: >"$IX_T/$2/charon.log" 2>/dev/null
	start_swan "$@"
}

# swan NAME: strongSwan's swanctl.conf from stdin; EXTRA_CHARON lines go
# into strongswan.conf's charon section
swan() {
	mkdir -p "$IX_T/$1"
	cat >"$IX_T/$1/swanctl.conf"
}

# The usual pair: ipsecfxd at 192.0.2.1 (connection sw, child lan) and
# strongSwan at 192.0.2.2 (connection t, child c), PSK, one host on each
# side (10.1.0.1 === 10.2.0.1), UDP-encapsulated ESP (kernel-libipsec).
# What a test changes comes from the environment of each call, so that the
# two sides can be made to differ:
#   SITE_A_ADDR, SITE_B_ADDR  the outer addresses (A's is %any for a
#                             strongSwan that sees A through a NAT)
#   SITE_A_ID, SITE_B_ID      the identities (default: the addresses)
#   SITE_A_TS, SITE_B_TS      the traffic selectors
#   SITE_IKE                  the IKE proposals
#   SITE_CHILD                the first child's name on both sides
#   PSK                       the pre-shared key
#   SITE_A_AUTH               ipsecfxd's local/remote/psk lines instead of
#                             the PSK ones (certificates: t_certs.sh)
# ours_site NAME ESP [CHILD_LINES [CONN_LINES [TOP_LINES]]]
ours_site() {
	local auth=${SITE_A_AUTH:-}
	if [ -z "$auth" ]; then
		auth="${SITE_A_ID:+    local: {id: $SITE_A_ID\}}
${SITE_B_ID:+    remote: {id: $SITE_B_ID\}}
    psk: \"$PSK\""
	fi
	ours "$1" <<EOF
${5:-}
connections:
  - name: sw
    local_addrs: [${SITE_A_ADDR:-192.0.2.1}]
    remote_addrs: [${SITE_B_ADDR:-192.0.2.2}]
$auth
    proposals: [${SITE_IKE:-aes256gcm16-prfsha256-x25519}]
${4:-}
    children:
      - name: ${SITE_CHILD:-lan}
        local_ts: [${SITE_A_TS:-10.1.0.1/32}]
        remote_ts: [${SITE_B_TS:-10.2.0.1/32}]
        esp_proposals: [$2]
${3:-}
EOF
}

# ours_site from the other end: ipsecfxd in strongSwan's place (at
# SITE_B_ADDR, protecting SITE_B_TS), the same SITE_* variables.
# ours_site_b NAME ESP [CHILD_LINES [CONN_LINES [TOP_LINES]]]
ours_site_b() {
	local a_addr=${SITE_B_ADDR:-192.0.2.2} b_addr=${SITE_A_ADDR:-192.0.2.1}
	local a_ts=${SITE_B_TS:-10.2.0.1/32} b_ts=${SITE_A_TS:-10.1.0.1/32}
	local a_id=${SITE_B_ID:-} b_id=${SITE_A_ID:-}
	SITE_A_ADDR=$a_addr SITE_B_ADDR=$b_addr SITE_A_TS=$a_ts SITE_B_TS=$b_ts \
		SITE_A_ID=$a_id SITE_B_ID=$b_id ours_site "$@"
}

# Two appliances: ipsecfxd at 192.0.2.1 (A) and 192.0.2.2 (B), or
# 2001:db8::1 and ::2 when PEER_V6=1; connection p, child lan between
# SITE_A_TS (10.1.0.1/32) and SITE_B_TS (10.2.0.1/32), ESP PEER_ESP
# (aes128gcm16-x25519-esn).  A starts it (start_action PEER_START, start),
# B waits.  The PSK line is PEER_AUTH when set (psk_file: ...).
# ours_peer A|B [CONN_LINES [CHILD_LINES [TOP_LINES]]]
ours_peer() {
	local a=192.0.2.1 b=192.0.2.2 me peer l r start
	[ "${PEER_V6:-}" = 1 ] && a=2001:db8::1 b=2001:db8::2
	local ts_a=${SITE_A_TS:-10.1.0.1/32} ts_b=${SITE_B_TS:-10.2.0.1/32}
	if [ "$1" = B ]; then
		me=$b peer=$a l=$ts_b r=$ts_a start=none
	else
		me=$a peer=$b l=$ts_a r=$ts_b start=${PEER_START:-start}
	fi
	ours "$1" <<EOF
${4:-}
connections:
  - name: p
    local_addrs: [$me]
    remote_addrs: [$peer]
    ${PEER_AUTH:-psk: "$PSK"}
    proposals: [aes256gcm16-prfsha384-ecp384]
    start_action: $start
${2:-}
    children:
      - name: lan
        local_ts: [$l]
        remote_ts: [$r]
        esp_proposals: [${PEER_ESP:-aes128gcm16-x25519-esn}]
${3:-}
EOF
}

# A responder for anyone (%any, PSK) with the usual child: ipsecfxd at
# 192.0.2.1, connection any.  ours_any NAME [TOP_LINES]
ours_any() {
	ours "$1" <<EOF
${2:-}
connections:
  - name: any
    local_addrs: [192.0.2.1]
    local: {id: 192.0.2.1}
    remote: {id: "%any"}
    psk: "$PSK"
    proposals: [aes256gcm16-prfsha256-x25519]
    children:
      - name: lan
        local_ts: [10.1.0.1/32]
        remote_ts: [10.2.0.1/32]
        esp_proposals: [aes256gcm16]
EOF
}

# strongSwan's side of ours_site: connection t, child c; MORE_CHILDREN are
# further child blocks (name { ... }) beside c.  SITE_B_AUTH replaces its
# local and remote sections, SITE_B_SECRETS its secrets (certificates).
# swan_site NAME ESP [CHILD_LINES [CONN_LINES [MORE_CHILDREN]]]
swan_site() {
	local child=${3:+$'\n'$3}
	local a_id=${SITE_A_ID:-${SITE_A_ADDR:-192.0.2.1}} b_id=${SITE_B_ID:-${SITE_B_ADDR:-192.0.2.2}}
	local auth=${SITE_B_AUTH:-"    local { auth = psk
            id = $b_id }
    remote { auth = psk
             id = $a_id }"}
	local secrets=${SITE_B_SECRETS:-"secrets { ike-1 { id-1 = $a_id
                  id-2 = $b_id
                  secret = \"$PSK\" } }"}
	swan "$1" <<EOF
connections { t {
    local_addrs = ${SITE_B_ADDR:-192.0.2.2}
    remote_addrs = ${SITE_A_ADDR:-192.0.2.1}
    version = 2
    proposals = ${SITE_IKE:-aes256gcm16-prfsha256-x25519}
    encap = yes
${4:-}
$auth
    children { ${SITE_CHILD:-c} { local_ts = ${SITE_B_TS:-10.2.0.1/32}
                   remote_ts = ${SITE_A_TS:-10.1.0.1/32}
                   esp_proposals = $2$child }
${5:-} } } }
$secrets
EOF
}

start_swan() { # start_swan NS NAME
	ix_charon "$1" "$2"
	IX_LAST[$2]=${IX_PIDS[-1]}
	if ! grep -q "successfully loaded 1 connections\|loaded connection" "$IX_T/$2/load.out"; then
		tap_diag <"$IX_T/$2/load.out"
	fi
}

# site_up LABEL: strongSwan (B) and ipsecfxd (A) started from their files,
# A initiates sw; false, with "LABEL: tunnel up" failed and both logs,
# when the tunnel is not up on both sides.  EXTRA_CHARON reaches start_swan.
site_up() {
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	ix_ctl A initiate sw --wait 15 >/dev/null && ix_swan_up B 5 && return 0
	tap_fail "$1: tunnel up"
	diag_logs A B
	return 1
}

# J NAME EXPR: a Python expression over the daemon's stats (s) and SA list (l)
J() {
	local name=$1 expr=$2
	$PY -c '
import json, sys
s = json.loads(sys.argv[1]); l = json.loads(sys.argv[2])
print(eval(sys.argv[3]))' "$(ix_ctl "$name" stats 2>/dev/null || echo '{}')" \
		"$(ix_ctl "$name" list-sas --json 2>/dev/null || echo '[]')" "$expr" 2>/dev/null
}

# pings NS SRC DST COUNT INTERVAL: "sent received"
pings() {
	ip netns exec "$1" ping -n -D -O -I "$2" -c "$4" -i "$5" -W 1 "$3" 2>/dev/null >"$IX_T/ping.raw"
	# the unanswered ones, with the time of day to match the daemons' logs
	grep -h "no answer yet" "$IX_T/ping.raw" | sed -n '1,3p;$p' | while read -r ts rest; do
		ts=${ts#[}
		echo "ping: $(date -d "@${ts%]}" +%T.%3N) $rest"
	done >&2
	awk '/packets transmitted/ {print $1, $4}' "$IX_T/ping.raw"
}

# back_within NS SRC DST SECONDS: a ping answered within that many seconds
back_within() {
	local end=$((SECONDS + $4))
	while [ $SECONDS -lt $end ]; do
		ip netns exec "$1" ping -n -q -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1 && return 0
		sleep 0.3
	done
	return 1
}

kill9() { kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; } # the shell stays quiet

ok_if() { # ok_if TEXT COMMAND...: tap_ok when the command succeeds
	local text=$1
	shift
	if "$@"; then tap_ok "$text"; else tap_fail "$text"; return 1; fi
}

diag_logs() { # diag_logs NAME...: the tail of each side's log
	local n
	for n in "$@"; do
		if [ -f "$IX_T/$n.log" ]; then tail -15 "$IX_T/$n.log" | tap_diag
		elif [ -f "$IX_T/$n/charon.log" ]; then tail -15 "$IX_T/$n/charon.log" | tap_diag; fi
	done
}

swan_children() { # swan_children NAME: installed CHILD_SAs
	ix_swanctl "$1" --list-sas 2>/dev/null | grep -c "INSTALLED"
}
