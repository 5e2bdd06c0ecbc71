#!/usr/bin/env bash
# bench/tunnel: one TCP stream (iperf3) from namespace A to namespace B
# through two appliances: two ipsecfxd daemons that set the tunnel up with
# IKEv2 (PSK, X25519, AES-256-GCM child) -- the headline figure -- and, to
# separate the data plane from the daemon, two dp_static data planes with
# static SAs.  The references are measured in the same run:
#   - plain veth between the same two namespaces (target: tunnel >= 0.45 x)
#   - strongSwan <-> strongSwan with kernel-libipsec (../shared/docs/interop.md),
#     in a second namespace pair of the same shape (target: tunnel >= 10 x)
# and the data plane with its optimisations switched off one by one, to show
# what each gives.  Variants are interleaved round by round; each figure is
# the median over the rounds, each ratio the median of the per-round ratios
# to the veth figure of the same round.
#
#   BENCH_SECONDS (default 5) per measurement, BENCH_ROUNDS (default 3)
#   BENCH_QUICK=1: only veth, ipsecfxd, the full dp_static tunnel and strongSwan
#   BENCH_CHILDREN=N (default 10000), BENCH_ACTIVE=M (default 1000): the
#     many-Child-SA variants (targets.md, "data plane with 10,000 Child SAs"):
#     full10k installs N Child SAs, one per /32 pair, and carries M TCP
#     streams (tcpspread), each through a Child SA of its own; fullspread
#     carries the same M streams through one Child SA; both are judged
#     against the one-stream full variant of the same round
#   udp10k, udpspread, udp1 (not in the default list; BENCH_VARIANTS="udp1
#     udp10k udpspread"): the same UDP datagrams (bench/tunnel/udpspread,
#     BENCH_UDP_SIZE bytes of payload, default 1372) from one sender, as
#     fast as it sends, through the N Child SAs of full10k over the M busy
#     pairs, through one Child SA over the same M pairs, and through one
#     Child SA over one pair; udp10k is judged against udp1 of the same round
#   BENCH_VARIANTS="veth ipsecfxd ...": exactly these (veth is always measured)
#   BENCH_KEEP=DIR: keep the configurations, logs and stats files there
#   BENCH_STREAMS=N: N parallel TCP streams (iperf3 -P N) in every variant; the
#     targets are about one stream, so with N > 1 they are not judged
#   BENCH_CC=cubic: iperf3's TCP congestion control for every variant (default:
#     the system's, net.ipv4.tcp_congestion_control; docs/tunnel-performance.md
#     has what was seen here with BBR and with cubic)
#   BENCH_RTT=1: in the tunnel variants between A and B, capture 2 s in the
#     middle of each measurement on both TUN devices and both veths (dumpcap)
#     and print where the stream's round trip goes (bench/tunnel/rtt_split.py)
#
#   ns A  10.1.0.1 -- ipx0 -- ipsecfxd  -- vA 192.0.2.1 == vB 192.0.2.2 -- ipsecfxd  -- ipx0 -- 10.2.0.1  ns B
#   ns A  10.1.0.1 -- ipx0 -- dp_static -- vA 192.0.2.1 == vB 192.0.2.2 -- dp_static -- ipx0 -- 10.2.0.1  ns B
#   ns A  10.1.H.L -- ipx0 -- dp_static -- vA 192.0.2.1 == vB 192.0.2.2 -- dp_static -- ipx0 -- 10.2.H.L  ns B
#         (full10k: child i has 10.1.H.L/32 === 10.2.H.L/32, H = 1 + i / 250, L = 1 + i % 250)
#   ns C  10.1.0.1 -- ipsec0 -- charon  -- vA 192.0.2.1 == vB 192.0.2.2 -- charon    -- ipsec0 -- 10.2.0.1 ns D
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
DPS=$PWD/$O/tests/dp_static
IPXD=$PWD/$O/ipsecfxd
IPXC=$PWD/$O/ipsecfx
TSP=$PWD/$O/bench/tcpspread
USP=$PWD/$O/bench/udpspread
# 1372 + 28 bytes of IPv4 and UDP headers: the TUN MTU of dp_static (1400);
# a larger datagram would be two IP fragments, reassembled in ns B
UDP_SIZE=${BENCH_UDP_SIZE:-1372}
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
STREAMS=${BENCH_STREAMS:-1}
[[ $STREAMS =~ ^[1-9][0-9]?$ ]] || { echo "bench/tunnel: BENCH_STREAMS must be 1-99, not '$STREAMS'"; exit 2; }
PY=/usr/bin/python3
CHILDREN=${BENCH_CHILDREN:-10000}
ACTIVE=${BENCH_ACTIVE:-1000}
[[ $CHILDREN =~ ^[1-9][0-9]*$ ]] && [ "$CHILDREN" -le 60000 ] && [[ $ACTIVE =~ ^[1-9][0-9]*$ ]] \
	&& [ "$ACTIVE" -le "$CHILDREN" ] \
	|| { echo "bench/tunnel: BENCH_CHILDREN must be 1-60000 and BENCH_ACTIVE 1-BENCH_CHILDREN"; exit 2; }
[[ $UDP_SIZE =~ ^[1-9][0-9]*$ ]] && [ "$UDP_SIZE" -le 65507 ] \
	|| { echo "bench/tunnel: BENCH_UDP_SIZE must be 1-65507"; exit 2; }

why=
[ "$(id -u)" = 0 ] || why="needs root (network namespaces, TUN)"
[ -z "$why" ] && [ ! -c /dev/net/tun ] && why="no /dev/net/tun"
[ -z "$why" ] && ! command -v iperf3 >/dev/null && why="iperf3 missing"
[ -z "$why" ] && [ ! -x "$DPS" ] && why="$DPS not built (make)"
[ -z "$why" ] && [ ! -x "$IPXD" ] && why="$IPXD not built (make)"
[ -z "$why" ] && [ ! -x "$TSP" ] && why="$TSP not built (make)"
[ -z "$why" ] && [[ " ${BENCH_VARIANTS:-} " == *" udp"* ]] && [ ! -x "$USP" ] && why="$USP not built (make)"
if [ -n "$why" ]; then
	echo "bench/tunnel: not run: $why"
	exit 0
fi
sw_why=
[ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null \
	&& [ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] \
	|| sw_why="strongSwan with kernel-libipsec not installed (scripts/deps.sh)"

A=dpbA$$ B=dpbB$$ C=dpbC$$ D=dpbD$$
T=$(mktemp -d)
PIDS=()
reap() {
	local p= n
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	for n in $(seq 30); do
		for p in "$@"; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && break
		sleep 0.1
	done
	for p in "$@"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
cleanup() {
	reap "${PIDS[@]}"
	[ -n "${BENCH_KEEP:-}" ] && mkdir -p "$BENCH_KEEP" && cp -r "$T"/. "$BENCH_KEEP"/
	for n in $A $B $C $D; do ip netns del $n 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pair() { # pair X Y: the topology of interop.md
	ip netns add $1 && ip netns add $2
	ip link add ipxv$$ type veth peer name ipxw$$
	ip link set ipxv$$ netns $1 && ip link set ipxw$$ netns $2
	ip -n $1 link set ipxv$$ name vA && ip -n $2 link set ipxw$$ name vB
	ip -n $1 addr add 192.0.2.1/24 dev vA && ip -n $2 addr add 192.0.2.2/24 dev vB
	ip -n $1 link set vA up && ip -n $2 link set vB up
	ip -n $1 link set lo up && ip -n $2 link set lo up
	ip -n $1 addr add 10.1.0.1/32 dev lo && ip -n $2 addr add 10.2.0.1/32 dev lo
}
pair $A $B || { echo "bench/tunnel: cannot build the namespaces"; exit 1; }

KAB=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
KBA=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3

# conf NAME encap|esp [dataplane lines...]
conf() {
	local name=$1 mode=$2 side o i ko ki l r lt rt enc
	shift 2
	for side in A B; do
		if [ $side = A ]; then o=0x1001 i=0x2001 ko=$KAB ki=$KBA l=192.0.2.1 r=192.0.2.2 lt=10.1.0.1 rt=10.2.0.1
		else o=0x2001 i=0x1001 ko=$KBA ki=$KAB l=192.0.2.2 r=192.0.2.1 lt=10.2.0.1 rt=10.1.0.1; fi
		enc=; [ $mode = encap ] && enc="    encap: {sport: 4500, dport: 4500}"
		printf 'sas:\n  - spi: %s\n    cipher: aes256gcm16\n    key: 0x%s\n    src: %s\n    dst: %s\n%s\n  - spi: %s\n    cipher: aes256gcm16\n    key: 0x%s\n    src: %s\n    dst: %s\n%s\n' \
			$o $ko $l $r "$enc" $i $ki $r $l "$enc" >"$T/$name.sa$side.yaml"
		{
			echo "dataplane:"
			echo "  tun: ipx0"
			for x in "$@"; do echo "  $x"; done
			echo "children:"
			echo "  - {out_spi: $o, in_spi: $i, local: $l, peer: $r, encap: $([ $mode = encap ] && echo on || echo off), local_ts: [$lt/32], remote_ts: [$rt/32]}"
		} >"$T/$name.dp$side.yaml"
	done
}

# many NAME N ACTIVE CHILDREN: NAME.{sa,dp}{A,B}.yaml with N Child SAs,
# child i with 10.1.H.L/32 === 10.2.H.L/32 (H = 1 + i / 250, L = 1 + i % 250),
# its own SPIs and keys, UDP-encapsulated ESP; with CHILDREN 1, one child for
# 10.1.0.0/16 === 10.2.0.0/16.  many.pairs: the ACTIVE busy pairs, every
# (CHILDREN / ACTIVE)th child's, "SRC DST" a line (tcpspread client);
# many.addr{A,B}: their addresses as `ip -batch` lines
many() {
	$PY - "$T" "$@" <<-'EOF'
	import hashlib, sys
	t, name, n, active, total = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
	addr = lambda net, i: "10.%d.%d.%d" % (net, 1 + i // 250, 1 + i % 250)
	key = lambda spi: hashlib.sha512(b"%d" % spi).hexdigest()[:72]
	step = total // active
	pairs = [(addr(1, i), addr(2, i)) for i in range(0, step * active, step)]
	with open(t + "/many.pairs", "w") as f:
	    f.writelines("%s %s\n" % p for p in pairs)
	for side, net in (("A", 1), ("B", 2)):
	    with open("%s/many.addr%s" % (t, side), "w") as f:
	        f.writelines("address add %s/32 dev lo\n" % p[net - 1] for p in pairs)
	for side in "AB":
	    l, r = ("192.0.2.1", "192.0.2.2") if side == "A" else ("192.0.2.2", "192.0.2.1")
	    ln, rn = (1, 2) if side == "A" else (2, 1)
	    sas, ch = ["sas:\n"], ["dataplane:\n  tun: ipx0\nchildren:\n"]
	    for i in range(n):
	        ab, ba = 0x10000000 + i, 0x20000000 + i
	        o, inb = (ab, ba) if side == "A" else (ba, ab)
	        for spi, src, dst in ((o, l, r), (inb, r, l)):
	            sas.append("  - spi: 0x%08x\n    cipher: aes256gcm16\n    key: 0x%s\n"
	                       "    src: %s\n    dst: %s\n    encap: {sport: 4500, dport: 4500}\n"
	                       % (spi, key(spi), src, dst))
	        lt, rt = ("10.%d.0.0/16" % ln, "10.%d.0.0/16" % rn) if n == 1 else \
	                 (addr(ln, i) + "/32", addr(rn, i) + "/32")
	        ch.append("  - {out_spi: 0x%08x, in_spi: 0x%08x, local: %s, peer: %s, encap: on, "
	                  "local_ts: [%s], remote_ts: [%s]}\n" % (o, inb, l, r, lt, rt))
	    open("%s/%s.sa%s.yaml" % (t, name, side), "w").writelines(sas)
	    open("%s/%s.dp%s.yaml" % (t, name, side), "w").writelines(ch)
	EOF
}

# spread X Y: tcpspread over every pair of many.pairs, ns X -> ns Y, one
# TCP connection each; prints the bits/s received over SECS from the first
# byte on (0 on failure); the client sends 2 s longer, for the window to lie
# within its sending (connecting 1,000 takes a moment)
spread() {
	local x=$1 y=$2 n spid out
	n=$(wc -l <"$T/many.pairs")
	ip netns exec $y timeout $((SECS + 70)) nice -n 10 "$TSP" server 5301 $n $SECS \
		>"$T/spread.out" 2>>"$T/spread.log" &
	spid=$!
	for n in $(seq 20); do grep -q listening "$T/spread.out" 2>/dev/null && break; sleep 0.1; done
	ip netns exec $x timeout $((SECS + 20)) nice -n 10 "$TSP" client "$T/many.pairs" 5301 $((SECS + 2)) \
		2>>"$T/spread.log" || echo "bench/tunnel: tcpspread client failed: $(tail -1 "$T/spread.log")" >&2
	wait $spid
	out=$(tail -1 "$T/spread.out")
	[[ $out =~ ^[0-9]+$ ]] && echo "$out" || echo 0
}

# udp X Y PAIRS: udpspread over every pair of the file PAIRS, ns X -> ns Y,
# datagrams of UDP_SIZE bytes; prints the bits/s of payload received over
# SECS from the first datagram on (0 on failure); the client sends 1 s
# longer.  The spread over the pairs goes to udp.log.  The client spins (no
# UDP send ever waits for the tunnel): at nice 19 it leaves the CPUs to the
# data planes and the receiver first.
udp() {
	local x=$1 y=$2 pairs=$3 spid out
	ip netns exec $y timeout $((SECS + 20)) nice -n 10 "$USP" server "$pairs" 5302 $SECS \
		>"$T/udp.out" 2>>"$T/udp.log" &
	spid=$!
	for n in $(seq 20); do grep -q listening "$T/udp.out" 2>/dev/null && break; sleep 0.1; done
	ip netns exec $x timeout $((SECS + 20)) nice -n 19 "$USP" client -s $UDP_SIZE "$pairs" 5302 \
		$((SECS + 1)) 2>>"$T/udp.log" \
		|| echo "bench/tunnel: udpspread client failed: $(tail -1 "$T/udp.log")" >&2
	wait $spid
	out=$(tail -1 "$T/udp.out")
	[[ $out =~ ^[0-9]+$ ]] && echo "$out" || echo 0
}

# iperf X Y: one TCP stream 10.1.0.1 (ns X) -> 10.2.0.1 (ns Y) or, with
# "veth", 192.0.2.1 -> 192.0.2.2; prints bits/s (0 on failure)
iperf() {
	local x=$1 y=$2 srv=10.2.0.1 cli=10.1.0.1 out spid
	[ "${3:-}" = veth ] && { srv=192.0.2.2; cli=192.0.2.1; }
	ip netns exec $y nice -n 10 iperf3 -s -1 -B $srv >/dev/null 2>&1 &
	spid=$!
	sleep 0.3
	[ -n "${RTT_TAG:-}" ] && [ $x = $A ] && [ "${3:-}" != veth ] && rtt_capture "$RTT_TAG" &
	out=$(ip netns exec $x timeout $((SECS + 20)) nice -n 10 iperf3 -c $srv -B $cli -t $SECS -P $STREAMS -J \
		${BENCH_CC:+-C "$BENCH_CC"} 2>&1)
	reap $spid
	$PY -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))' \
		<<<"$out" 2>/dev/null || echo 0
}

# rtt_capture TAG: 2 s of captures from the middle of a measurement, for
# rtt_split.py; TAG names the files in $T
rtt_capture() {
	local TAG=$1 esp="src host 192.0.2.2 and (udp port 4500 or ip proto 50)" c
	sleep $(( SECS > 3 ? SECS / 2 - 1 : 0 ))
	for c in "$A ipx0 a_tun tcp" "$B ipx0 b_tun tcp" "$A vA a_in" "$B vB b_out"; do
		set -- $c
		ip netns exec $1 dumpcap -q -P -i $2 -s 96 -B 64 -a duration:2 \
			-f "${4:-$esp}" -w "$T/$TAG.$3.pcap" >/dev/null 2>&1 &
	done
	wait
}
RTT_TAG=
if [ "${BENCH_RTT:-0}" = 1 ] && ! { command -v dumpcap && command -v tshark; } >/dev/null; then
	echo "bench/tunnel: BENCH_RTT: dumpcap and tshark needed (scripts/deps.sh); no round-trip split"
	BENCH_RTT=0
fi

# tunnel NAME [spread | udp PAIRS]: start both data planes, measure (iperf,
# spread or udp), stop; prints bits/s; NAME.rss gets both data planes' VmRSS
# in kB after the measurement, a line per round
tunnel() {
	local name=$1 pa pb n bps
	rm -f "$T/$name.stA" "$T/$name.stB"   # the last round's, written at its exit
	ip netns exec $A nice -n 10 "$DPS" --config "$T/$name.dpA.yaml" --sa "$T/$name.saA.yaml" \
		--stats "$T/$name.stA" >"$T/$name.logA" 2>&1 &
	pa=$!
	ip netns exec $B nice -n 10 "$DPS" --config "$T/$name.dpB.yaml" --sa "$T/$name.saB.yaml" \
		--stats "$T/$name.stB" >"$T/$name.logB" 2>&1 &
	pb=$!
	PIDS+=($pa $pb)
	# up to a minute: many children take their routes one by one
	for n in $(seq 600); do [ -s "$T/$name.stA" ] && [ -s "$T/$name.stB" ] && break; sleep 0.1; done
	case ${2:-} in
	spread) bps=$(spread $A $B) ;;
	udp) echo "$name round $r:" >>"$T/udp.log"; bps=$(udp $A $B "$3") ;;
	*) bps=$(iperf $A $B) ;;
	esac
	echo "$(rss $pa) $(rss $pb)" >>"$T/$name.rss"
	reap $pa $pb
	echo "$bps"
}

rss() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status 2>/dev/null || echo 0; }

# ixconf NAME true|false: ipsecfxd configurations for both sides, A the
# initiator; the second argument is `encap` (UDP-encapsulated ESP as
# strongSwan's kernel-libipsec needs, or plain ESP)
ixconf() {
	local name=$1 encap=$2 side l r lt rt start
	for side in A B; do
		if [ $side = A ]; then l=192.0.2.1 r=192.0.2.2 lt=10.1.0.1 rt=10.2.0.1 start=start
		else l=192.0.2.2 r=192.0.2.1 lt=10.2.0.1 rt=10.1.0.1 start=none; fi
		cat >"$T/$name.ix$side.yaml" <<-EOF
		engine: soft
		control: $T/$name.$side.sock
		tun: {name: ipx0}
		connections:
		  - name: bench
		    local_addrs: [$l]
		    remote_addrs: [$r]
		    local:  {id: $l, auth: psk}
		    remote: {id: $r, auth: psk}
		    psk: "0123456789abcdef0123456789abcdef"
		    proposals: [aes256gcm16-prfsha256-x25519]
		    encap: $encap
		    start_action: $start
		    children:
		      - name: c
		        local_ts: [$lt/32]
		        remote_ts: [$rt/32]
		        esp_proposals: [aes256gcm16]
		        mode: tunnel
		EOF
	done
}

# ixup NAME: A's daemon reports the Child SA installed (list-sas)
ixup() {
	timeout 5 "$IPXC" list-sas --json --socket "$T/$1.A.sock" 2>/dev/null | $PY -c '
import json, sys
sys.exit(0 if any(sa["state"] == "established" and sa["children"] for sa in json.load(sys.stdin)) else 1)'
}

# ipsecfxd NAME: start both daemons (B the responder first), wait for the
# tunnel, measure, stop; prints bits/s (0 when the tunnel did not come up)
ipsecfxd() {
	local name=$1 pa pb n bps=0
	ip netns exec $B nice -n 10 "$IPXD" -f -c "$T/$name.ixB.yaml" >"$T/$name.logB" 2>&1 &
	pb=$!
	for n in $(seq 50); do [ -S "$T/$name.B.sock" ] && break; sleep 0.1; done
	ip netns exec $A nice -n 10 "$IPXD" -f -c "$T/$name.ixA.yaml" >"$T/$name.logA" 2>&1 &
	pa=$!
	PIDS+=($pa $pb)
	for n in $(seq 100); do [ -S "$T/$name.A.sock" ] && ixup $name && break; sleep 0.1; done
	if ixup $name; then
		bps=$(iperf $A $B)
	else
		echo "bench/tunnel: $name: the ipsecfxd tunnel did not come up:" >&2
		tail -3 "$T/$name.logA" "$T/$name.logB" >&2
	fi
	reap $pa $pb
	grep -hE 'Sanitizer|runtime error' "$T/$name.logA" "$T/$name.logB" \
		| sed "s|^|bench/tunnel: $name: sanitizer report: |" >&2
	rm -f "$T/$name.A.sock" "$T/$name.B.sock"
	echo "$bps"
}

# strongSwan, once for the whole run
sw_up=0
[ -n "${BENCH_VARIANTS:-}" ] && [[ " $BENCH_VARIANTS " != *" strongswan "* ]] && sw_why="not asked for"
if [ -z "$sw_why" ]; then
	if pair $C $D; then
		for s in C D; do
			if [ $s = C ]; then l=192.0.2.1 r=192.0.2.2 lt=10.1.0.1 rt=10.2.0.1 ns=$C
			else l=192.0.2.2 r=192.0.2.1 lt=10.2.0.1 rt=10.1.0.1 ns=$D; fi
			mkdir -p "$T/sw$s"
			cat >"$T/sw$s/strongswan.conf" <<-EOF
			charon {
			  load = random nonce openssl pem x509 pubkey pkcs1 pkcs8 revocation constraints kdf hmac sha2 gcm aes curve25519 vici kernel-libipsec kernel-netlink socket-default updown
			  plugins { vici { socket = unix://$T/sw$s/charon.vici } }
			  filelog { log { path = $T/sw$s/charon.log
			                  default = 1 } }
			}
			EOF
			cat >"$T/sw$s/swanctl.conf" <<-EOF
			connections { t { local_addrs = $l
			  remote_addrs = $r
			  version = 2
			  proposals = aes256gcm16-prfsha256-x25519
			  encap = yes
			  local { auth = psk
			          id = $l }
			  remote { auth = psk
			           id = $r }
			  children { c { local_ts = $lt/32
			                 remote_ts = $rt/32
			                 esp_proposals = aes256gcm16
			                 mode = tunnel } } } }
			secrets { ike-1 { id-1 = 192.0.2.1
			                  id-2 = 192.0.2.2
			                  secret = "0123456789abcdef0123456789abcdef" } }
			EOF
			# charon refuses to start twice on one /run: a private one each
			STRONGSWAN_CONF=$T/sw$s/strongswan.conf ip netns exec $ns \
				unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec nice -n 10 /usr/lib/ipsec/charon' \
				>"$T/sw$s/out" 2>&1 &
			PIDS+=($!)
		done
		for n in $(seq 50); do [ -S "$T/swC/charon.vici" ] && [ -S "$T/swD/charon.vici" ] && break; sleep 0.1; done
		swanctl --load-all --file "$T/swC/swanctl.conf" --uri "unix://$T/swC/charon.vici" >/dev/null 2>&1
		swanctl --load-all --file "$T/swD/swanctl.conf" --uri "unix://$T/swD/charon.vici" >/dev/null 2>&1
		if swanctl --initiate --child c --uri "unix://$T/swC/charon.vici" >"$T/sw.init" 2>&1 &&
		   ip netns exec $C ping -c 1 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1; then
			sw_up=1
		else
			sw_why="the strongSwan tunnel did not come up: $(tail -1 "$T/sw.init")"
		fi
	else
		sw_why="cannot build the second namespace pair"
	fi
fi

conf base encap "batch: 1" "offload: off" "udp_gso: off" "udp_gro: off"
conf batch encap "offload: off" "udp_gso: off" "udp_gro: off"
conf udpgso encap "offload: off"
conf full encap
conf fullesp esp
many full10k $CHILDREN $ACTIVE $CHILDREN
many fullspread 1 $ACTIVE $CHILDREN
# the UDP variants: the same data planes, other traffic; udp1 one pair
for s in A B; do
	for x in dp sa; do
		cp "$T/full10k.$x$s.yaml" "$T/udp10k.$x$s.yaml"
		cp "$T/fullspread.$x$s.yaml" "$T/udpspread.$x$s.yaml"
		cp "$T/fullspread.$x$s.yaml" "$T/udp1.$x$s.yaml"
	done
done
head -1 "$T/many.pairs" >"$T/many.pairs1"
ip -n $A -batch "$T/many.addrA" && ip -n $B -batch "$T/many.addrB" \
	|| { echo "bench/tunnel: cannot add the addresses of the busy children"; exit 1; }
ixconf ipsecfxd true
ixconf ipsecfxdesp false
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	VARIANTS=(veth ipsecfxd full)
else
	VARIANTS=(veth ipsecfxd ipsecfxdesp base batch udpgso full fullesp full10k fullspread)
fi
[ $sw_up = 1 ] && VARIANTS+=(strongswan)
if [ -n "${BENCH_VARIANTS:-}" ]; then
	read -r -a VARIANTS <<<"$BENCH_VARIANTS"
	[[ " ${VARIANTS[*]} " == *" veth "* ]] || VARIANTS=(veth "${VARIANTS[@]}")
fi
declare -A LABEL=(
	[veth]="plain veth, same namespaces (reference)"
	[ipsecfxd]="ipsecfxd <-> ipsecfxd, IKEv2, UDP-encap ESP"
	[ipsecfxdesp]="ipsecfxd <-> ipsecfxd, IKEv2, plain ESP"
	[base]="dp_static: no batching, no offloads"
	[batch]="dp_static: + recvmmsg/sendmmsg batches of 64"
	[udpgso]="dp_static: + UDP GSO and GRO"
	[full]="dp_static: + TUN TSO/GRO offloads (default)"
	[fullesp]="dp_static: default, plain ESP (raw IP 50)"
	[full10k]="dp_static: $CHILDREN Child SAs, $ACTIVE busy"
	[fullspread]="dp_static: 1 Child SA, the same $ACTIVE streams"
	[udp10k]="dp_static: $CHILDREN Child SAs, UDP over $ACTIVE"
	[udpspread]="dp_static: 1 Child SA, UDP over the same $ACTIVE"
	[udp1]="dp_static: 1 Child SA, UDP over 1 pair"
	[strongswan]="strongSwan <-> strongSwan, kernel-libipsec"
)
declare -A RES

CC=${BENCH_CC:-$(sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null) (system default)}
[ "$STREAMS" = 1 ] && STR="1 TCP stream" || STR="$STREAMS TCP streams (targets not judged)"
echo "bench/tunnel: iperf3, $STR, congestion control $CC, ${SECS}s x $ROUNDS rounds, AES-256-GCM, $(nproc) CPUs shared"
for r in $(seq "$ROUNDS"); do
	for v in "${VARIANTS[@]}"; do
		[ "${BENCH_RTT:-0}" = 1 ] && [ $v != veth ] && [ $v != strongswan ] && RTT_TAG=rtt.$v.$r
		case $v in
		veth) b=$(iperf $A $B veth) ;;
		strongswan) b=$(iperf $C $D) ;;
		ipsecfxd*) b=$(ipsecfxd $v) ;;
		full10k|fullspread) b=$(tunnel $v spread) ;;
		udp10k|udpspread) b=$(tunnel $v udp "$T/many.pairs") ;;
		udp1) b=$(tunnel $v udp "$T/many.pairs1") ;;
		*) b=$(tunnel $v) ;;
		esac
		RES[$v]+="$b "
		awk -v r="$r" -v l="${LABEL[$v]}" -v b="$b" 'BEGIN { printf "  round %d  %-44s %6.2f Gbit/s\n", r, l, b / 1e9 }'
		if [ -n "$RTT_TAG" ]; then
			[ -s "$T/$RTT_TAG.a_tun.pcap" ] && $PY bench/tunnel/rtt_split.py \
				"$T/$RTT_TAG".{a_tun,b_tun,a_in,b_out}.pcap 2>&1 | sed 's/^/      /'
			RTT_TAG=
		fi
	done
done

# the summary: medians, ratios of the same round
for v in "${VARIANTS[@]}"; do printf '%s\t%s\t%s\n' "$v" "${LABEL[$v]}" "${RES[$v]}"; done | STREAMS=$STREAMS $PY -c '
import os
import sys, statistics as st
res, labels, order = {}, {}, []
for line in sys.stdin:
    k, label, v = line.rstrip("\n").split("\t")
    res[k] = [int(x) for x in v.split()]
    labels[k] = label
    order.append(k)
veth = res["veth"]
def ratio(a, b):
    r = [x / y for x, y in zip(a, b) if y]
    return st.median(r) if r else float("nan")
print()
print("%-46s %8s %8s %9s" % ("median of the rounds", "Gbit/s", "x veth", "x sSwan"))
for k in order:
    rv = ratio(res[k], veth) if k != "veth" else 1.0
    rs = "%9.1f" % ratio(res[k], res["strongswan"]) if "strongswan" in res and k != "strongswan" else ""
    print("%-46s %8.2f %8.2f %s" % (labels[k], st.median(res[k]) / 1e9, rv, rs))
print()
# the appliance (ipsecfxd) is the figure the targets are about; dp_static
# stands in when it was not measured
t = next((k for k in ("ipsecfxd", "ipsecfxdesp", "full") if k in res), None)
if t and os.environ["STREAMS"] != "1":
    print("targets: about one TCP stream; this run used %s, so they are not judged" % os.environ["STREAMS"])
elif t:
    r = ratio(res[t], veth)
    print("target: %s >= 0.45 x veth (same run): %.2f, %s" % (t, r, "met" if r >= 0.45 else "NOT met"))
    if "strongswan" in res:
        s = ratio(res[t], res["strongswan"])
        print("target: %s >= 10 x strongSwan kernel-libipsec (same run): %.1f, %s" % (t, s, "met" if s >= 10 else "NOT met"))
# many Child SAs against one, both dp_static, same rounds
if "full10k" in res and "full" in res:
    r = ratio(res["full10k"], res["full"])
    print("target: full10k (%s) >= 0.9 x full (one SA, one stream, same run): %.2f, %s"
          % (labels["full10k"][11:], r, "met" if r >= 0.9 else "NOT met"))
if "full10k" in res and "fullspread" in res:
    print("        full10k x fullspread (the same streams through one Child SA): %.2f"
          % ratio(res["full10k"], res["fullspread"]))
# the same UDP datagrams through many Child SAs and through one
if "udp10k" in res and "udp1" in res:
    r = ratio(res["udp10k"], res["udp1"])
    print("target: udp10k >= 0.9 x udp1 (same packets through one SA): %.2f, %s"
          % (r, "met" if r >= 0.9 else "NOT met"))
if "udp10k" in res and "udpspread" in res:
    print("        udp10k x udpspread (the same pairs through one Child SA): %.2f"
          % ratio(res["udp10k"], res["udpspread"]))
'
[[ " ${VARIANTS[*]} " == *" full10k "* ]] && for v in full10k fullspread full; do
	[ -s "$T/$v.rss" ] && awk -v l="${LABEL[$v]}" \
		'{ a = $1; b = $2 } END { printf "resident memory, %s: A %.1f MiB, B %.1f MiB (VmRSS after the last round)\n", l, a / 1024, b / 1024 }' "$T/$v.rss"
done
[ $sw_up = 1 ] || echo "strongSwan reference: not measured: $sw_why"
