# Helpers for driving bench/ike's generator against a responder in network
# namespaces (sourced by bench/ike's scripts and tests/gateway/t_scale*.sh).
#
#   ns IKG_NS_G: ikegen                         ns IKG_NS_R: the responder
#     eth0 192.0.2.2/24 and K addresses   ==veth==  eth0 192.0.2.1/24
#     198.18.0.1, .2, ... (198.18.0.0/15)           lo 10.1.0.1 (its protected host)
#                                                   route 198.18.0.0/15 via 192.0.2.2
#
# The responder is ipsecfxd (software engine) or strongSwan's charon
# (kernel-libipsec), each a %any PSK responder for tunnels whose initiator
# side is a /32 in 10.128.0.0/9, with the same IKE and ESP proposals.  Both
# force UDP encapsulation (encap): kernel-libipsec installs no other kind of
# ESP SA (interop.md), and the daemon does the same so that both see the
# same exchanges (IKE_AUTH and everything after it on port 4500).

IKG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IKG_ROOT=$(cd "$IKG_HERE/../.." && pwd)
IKG_NS_G=ikgG$$
IKG_NS_R=ikgR$$
IKG_PSK=${IKG_PSK:-0123456789abcdef0123456789abcdef}
IKG_PIDS=()

# ikg_topology K: the two namespaces, K source addresses on the generator's
# side
ikg_topology() {
	local k=$1 base i a
	ip netns add "$IKG_NS_G"
	ip netns add "$IKG_NS_R"
	ip link add "ikg$$" type veth peer name "ikr$$"
	ip link set "ikg$$" netns "$IKG_NS_G"
	ip link set "ikr$$" netns "$IKG_NS_R"
	ip -n "$IKG_NS_G" link set "ikg$$" name eth0
	ip -n "$IKG_NS_R" link set "ikr$$" name eth0
	ip -n "$IKG_NS_R" addr add 192.0.2.1/24 dev eth0
	ip -n "$IKG_NS_G" addr add 192.0.2.2/24 dev eth0
	for ns in "$IKG_NS_G" "$IKG_NS_R"; do
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
	done
	# charon installs a route per Child SA through its TUN with a source
	# address inside its local selectors: it needs one there
	ip -n "$IKG_NS_R" addr add 10.1.0.1/32 dev lo
	ip -n "$IKG_NS_R" route add 198.18.0.0/15 via 192.0.2.2
	base=$(( (198 << 24) | (18 << 16) | 1 ))
	for ((i = 0; i < k; i++)); do
		a=$((base + i))
		echo "address add $((a >> 24 & 255)).$((a >> 16 & 255)).$((a >> 8 & 255)).$((a & 255))/15 dev eth0"
	done | ip -n "$IKG_NS_G" -batch -
}

# ikg_usage LINES: the usage lines (sed's address, "7" or "7,8") of the
# calling script's head comment on stderr, exit 2
ikg_usage() {
	sed -n "${1}p" "$0" | sed 's/^# *//' >&2
	exit 2
}

# ikg_need_root WHAT: exit 1 unless root; WHAT says what the calling
# script needs it for
ikg_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench/ike/$(basename "$0"): needs root ($1)" >&2
		exit 1
	fi
}

# ikg_build: into the tree, IPSECFX_BUILD at $O (build), and the daemon, its
# command and the generator built there unless SKIP_BUILD=1 (one build at a
# time on the shared machine: the build lock, at low priority)
ikg_build() {
	cd "$IKG_ROOT" || exit 1
	O=${O:-build}
	export IPSECFX_BUILD=$IKG_ROOT/$O
	[ "${SKIP_BUILD:-0}" = 1 ] || flock /tmp/ipsecfx-build.lock nice make -s -j2 O="$O" \
		"$O/ipsecfxd" "$O/ipsecfx" "$O/bench/ikegen" >&2
}

# ikg_workdir PREFIX: T, a new directory /tmp/PREFIX.XXXXXX; on exit
# ikg_cleanup, and T removed unless IX_KEEP is set
ikg_workdir() {
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	trap 'ikg_cleanup; [ -n "${IX_KEEP:-}" ] || rm -rf "$T"' EXIT
}

# ikg_bench_begin PREFIX K: a bench script's start: ikg_workdir PREFIX (and
# an exit on INT and TERM, which runs the cleanup), ikg_topology K, and
# ipsecfxd's configuration $T/d/d.yaml (x25519, log_level warning) for the
# caller to adjust before ikg_ipsecfxd "$T/d"
ikg_bench_begin() {
	ikg_workdir "$1"
	trap 'exit 130' INT TERM
	ikg_topology "$2"
	mkdir -p "$T/d"
	ikg_ipsecfxd_conf "$T/d" x25519 "log_level: warning"
}

ikg_cleanup() {
	local p
	for p in "${IKG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	for p in "${IKG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	ip netns del "$IKG_NS_G" 2>/dev/null || true
	ip netns del "$IKG_NS_R" 2>/dev/null || true
}

# ikg_group_kw x25519|p256: the proposal keyword
ikg_group_kw() { [ "$1" = p256 ] && echo ecp256 || echo x25519; }

# ikg_ipsecfxd_conf DIR GROUP [TOP_LINES]: DIR/d.yaml, control DIR/d.sock
ikg_ipsecfxd_conf() {
	local dir=$1 grp
	grp=$(ikg_group_kw "$2")
	cat >"$dir/d.yaml" <<EOF
control: $dir/d.sock
engine: soft
${3:-}
connections:
  - name: any
    local_addrs: [192.0.2.1]
    local: {id: 192.0.2.1}
    remote: {id: "%any"}
    psk: "$IKG_PSK"
    proposals: [aes256gcm16-prfsha256-$grp]
    encap: true
    children:
      - name: lan
        local_ts: [10.1.0.0/16]
        remote_ts: [10.128.0.0/9]
        esp_proposals: [aes256gcm16]
EOF
	chmod 0644 "$dir/d.yaml"
}

# ikg_ipsecfxd DIR: start it in the responder namespace; IKG_RESP_PID
ikg_ipsecfxd() {
	local dir=$1
	# it drops to its account after start-up and removes its control
	# socket in DIR on exit
	getent group ipsecfx >/dev/null 2>&1 && chgrp ipsecfx "$dir" && chmod 0770 "$dir"
	rm -f "$dir/d.sock"
	ip netns exec "$IKG_NS_R" "$IPSECFX_BUILD/ipsecfxd" -f -c "$dir/d.yaml" >"$dir/d.log" 2>&1 &
	IKG_RESP_PID=$!
	IKG_PIDS+=("$IKG_RESP_PID")
	for _ in $(seq 100); do
		[ -S "$dir/d.sock" ] && return 0
		kill -0 "$IKG_RESP_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "ipsecfxd did not start:" >&2
	tail -20 "$dir/d.log" >&2
	return 1
}

ikg_ctl() { # ikg_ctl DIR ARGS...: ipsecfx against the daemon of DIR
	local dir=$1
	shift
	timeout 30 "$IPSECFX_BUILD/ipsecfx" "$@" --socket "$dir/d.sock"
}

# ikg_charon_conf DIR GROUP: DIR/strongswan.conf and DIR/swanctl.conf.
# Everything at strongSwan's defaults (16 threads, cookie_threshold 10,
# block_threshold 5, ikesa_table_size 1) but the plugins and the log;
# IKG_CHARON_EXTRA adds lines to its charon section (an experiment, say
# "ikesa_table_size = 32768").
ikg_charon_conf() {
	local dir=$1 grp
	grp=$(ikg_group_kw "$2")
	cat >"$dir/strongswan.conf" <<EOF
charon {
  load = random nonce openssl pem x509 pubkey pkcs1 pkcs8 revocation constraints kdf hmac sha2 sha1 gcm aes curve25519 vici kernel-libipsec kernel-netlink socket-default updown
  ${IKG_CHARON_EXTRA:-}
  plugins { vici { socket = unix://$dir/charon.vici } }
  filelog { log { path = $dir/charon.log
                  default = 1 } }
}
EOF
	cat >"$dir/swanctl.conf" <<EOF
connections { any {
    local_addrs = 192.0.2.1
    version = 2
    proposals = aes256gcm16-prfsha256-$grp
    encap = yes
    local { auth = psk
            id = 192.0.2.1 }
    remote { auth = psk }
    children { lan { local_ts = 10.1.0.0/16
                     remote_ts = 10.128.0.0/9
                     esp_proposals = aes256gcm16 } } } }
secrets { ike-any { secret = "$IKG_PSK" } }
EOF
}

# ikg_charon DIR: start charon in the responder namespace (a private /run:
# it refuses a second instance by its pid file) and load DIR/swanctl.conf;
# IKG_RESP_PID
ikg_charon() {
	local dir=$1
	STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$IKG_NS_R" \
		unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' \
		>"$dir/charon.out" 2>&1 &
	IKG_RESP_PID=$!
	IKG_PIDS+=("$IKG_RESP_PID")
	for _ in $(seq 100); do
		[ -S "$dir/charon.vici" ] && break
		sleep 0.1
	done
	if ! swanctl --load-all --file "$dir/swanctl.conf" --uri "unix://$dir/charon.vici" \
		>"$dir/load.out" 2>&1; then
		echo "charon did not load its configuration:" >&2
		cat "$dir/load.out" >&2
		return 1
	fi
}

# ikg_swan_sas DIR: charon's IKE SAs
ikg_swan_sas() {
	swanctl --stats --uri "unix://$1/charon.vici" 2>/dev/null | awk '/^IKE_SAs:/ {print $2}'
}

# ikg_stop PID: stop a responder and wait for it
ikg_stop() {
	local rc=0 killed=0
	kill "$1" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && killed=1
	kill -9 "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || rc=$?
	# a responder that did not stop on SIGTERM, or died of a signal of its
	# own (a crash), is said: the figures before it stand, the exit did not
	if [ "$killed" = 1 ]; then
		echo "bench/ike: the responder (pid $1) did not stop within 5 s of SIGTERM: killed" >&2
	elif [ "$rc" -gt 128 ] && [ "$rc" -ne 143 ]; then
		echo "bench/ike: the responder (pid $1) died of signal $((rc - 128)) as it stopped" >&2
	fi
}

# ikg_rss_kib PID: VmRSS of the process and of everything it started, KiB
ikg_rss_kib() {
	local p kids sum=0 r
	for p in "$@"; do
		r=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null)
		sum=$((sum + ${r:-0}))
		kids=$(pgrep -P "$p" 2>/dev/null || true)
		[ -n "$kids" ] && sum=$((sum + $(ikg_rss_kib $kids)))
	done
	echo "$sum"
}

# ikg_gen OUT ARGS...: start the generator in its namespace, stdout to OUT
# (its JSON), stderr to OUT.err; IKG_GEN_PID
ikg_gen() {
	local out=$1
	shift
	ip netns exec "$IKG_NS_G" "$IPSECFX_BUILD/bench/ikegen" "$@" >"$out" 2>"$out.err" &
	IKG_GEN_PID=$!
	IKG_PIDS+=("$IKG_GEN_PID")
}

# ikg_wait_file FILE PID SECONDS: FILE appears while PID runs
ikg_wait_file() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ikg_stat DIR EXPR: a Python expression over the daemon's `ipsecfx stats`
# (s: its "ike" object, d: its "dataplane" object), "?" if it does not answer
ikg_stat() {
	ikg_ctl "$1" stats 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    a = json.load(sys.stdin)
except ValueError:
    print("?"); sys.exit(0)
s = a.get("ike", {}); d = a.get("dataplane", {})
print(eval(sys.argv[1]))' "$2" 2>/dev/null || echo "?"
}

# ikg_cpu_ticks PID: utime + stime of the process, in clock ticks
ikg_cpu_ticks() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# ikg_rss_sampler PID FILE: RSS (KiB) once a second, one line each, into FILE
# until PID is gone or the sampler is killed; IKG_SAMPLER_PID
ikg_rss_sampler() {
	local pid=$1 file=$2
	( while kill -0 "$pid" 2>/dev/null; do
		awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null
		sleep 1
	done ) >"$file" &
	IKG_SAMPLER_PID=$!
	IKG_PIDS+=("$IKG_SAMPLER_PID")
}

# ikg_json_last FILE: the last JSON line of FILE ({} if none)
ikg_json_last() {
	grep '^{' "$1" 2>/dev/null | tail -1 || true
}
