#!/usr/bin/env bash
# Two data planes with static mirrored SAs (dp_static), one per network
# namespace, as in ../shared/docs/interop.md:
#
#   ns A                                              ns B
#   10.1.0.1, fd00:1::1 (lo)                          10.2.0.1, fd00:2::1 (lo)
#     | ipx0 (TUN)                                      | ipx0 (TUN)
#   dp_static -- vA 192.0.2.1 ===== veth ===== vB 192.0.2.2 -- dp_static
#                2001:db8::1                      2001:db8::2
#
# Runs: ESP in UDP 4500 over IPv4 (UDP GSO off so that a capture shows the
# datagrams of the wire), the same with every offload on, plain ESP over
# IPv4, and both over IPv6.  Checks: ping both ways, IPv6 inside, iperf3 TCP,
# tshark sees only ESP and decrypts it with the keys (inner TCP checksums
# good), no policy counted (and the acquire logged), IKE and keepalives on
# 4500, truncated/garbage/forged/replayed/out-of-selector ESP counted as
# drops while the tunnel keeps working, Child SA removal takes its route.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
DPS=$IPSECFX_BUILD/tests/dp_static
PY=/usr/bin/python3

why=
[ "$(id -u)" = 0 ] || why="needs root (network namespaces, TUN)"
[ -z "$why" ] && { [ -c /dev/net/tun ] || why="no /dev/net/tun"; }
[ -z "$why" ] && { ip netns add dptprobe$$ 2>/dev/null && ip netns del dptprobe$$ || why="cannot create network namespaces"; }
for c in iperf3 tshark ping; do
	[ -z "$why" ] && ! command -v $c >/dev/null && why="$c missing (scripts/deps.sh installs it)"
done
[ -z "$why" ] && ! $PY -c 'import scapy' 2>/dev/null && why="python3-scapy missing"
[ -z "$why" ] && [ ! -x "$DPS" ] && why="$DPS not built"
if [ -n "$why" ]; then
	tap_skip "static tunnel" "$why"
	tap_done
	exit 0
fi

A=dptA$$ B=dptB$$
T=$(mktemp -d)
export XDG_CONFIG_HOME=$T/cfg
mkdir -p "$XDG_CONFIG_HOME/wireshark"
PIDS=()
# stop pids: TERM, then KILL whatever is still there after 3 s
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
	trap '' INT TERM   # the suite is over: no "interrupted" from here on
	[ -s "$T/watchdog" ] && kill "$(cat "$T/watchdog")" 2>/dev/null
	reap "${PIDS[@]}"
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'echo "not ok - interrupted (signal or the 4-minute watchdog)"; exit 1' INT TERM
# a hung step must not hang the suite: after 4 minutes, stop with a failure.
# (no stdio of ours in the watchdog: run.sh waits for whoever holds them)
# Only a sleep that ran out stops us; cleanup kills it on the way out.
( exec </dev/null >/dev/null 2>&1; sleep 240 & echo $! >"$T/watchdog"; wait $! && kill -TERM $$ ) &
PIDS+=($!)

inA() { ip netns exec $A "$@"; }
inB() { ip netns exec $B "$@"; }

ip netns add $A && ip netns add $B
ip link add ipxa$$ type veth peer name ipxb$$
ip link set ipxa$$ netns $A && ip link set ipxb$$ netns $B
ip -n $A link set ipxa$$ name vA && ip -n $B link set ipxb$$ name vB
ip -n $A addr add 192.0.2.1/24 dev vA && ip -n $B addr add 192.0.2.2/24 dev vB
ip -n $A addr add 2001:db8::1/64 dev vA nodad && ip -n $B addr add 2001:db8::2/64 dev vB nodad
for n in $A $B; do ip -n $n link set lo up; done
ip -n $A link set vA up && ip -n $B link set vB up
ip -n $A addr add 10.1.0.1/32 dev lo && ip -n $B addr add 10.2.0.1/32 dev lo
ip -n $A addr add fd00:1::1/128 dev lo && ip -n $B addr add fd00:2::1/128 dev lo

KAB=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
KBA=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3

# conf NAME encap|esp 4|6 [dataplane yaml lines...]: SA and dp_static files
conf() {
	local name=$1 mode=$2 fam=$3 side l r o i ko ki lt rt lt6 rt6 enc
	shift 3
	for side in A B; do
		if [ $side = A ]; then
			o=0x1001 i=0x2001 ko=$KAB ki=$KBA lt=10.1.0.1 rt=10.2.0.1 lt6=fd00:1::1 rt6=fd00:2::1
			[ $fam = 4 ] && { l=192.0.2.1 r=192.0.2.2; } || { l=2001:db8::1 r=2001:db8::2; }
		else
			o=0x2001 i=0x1001 ko=$KBA ki=$KAB lt=10.2.0.1 rt=10.1.0.1 lt6=fd00:2::1 rt6=fd00:1::1
			[ $fam = 4 ] && { l=192.0.2.2 r=192.0.2.1; } || { l=2001:db8::2 r=2001:db8::1; }
		fi
		enc=; [ $mode = encap ] && enc="    encap: {sport: 4500, dport: 4500}"
		cat >"$T/$name.sa$side.yaml" <<-EOF
		sas:
		  - spi: $o
		    cipher: aes256gcm16
		    key: 0x$ko
		    src: "$l"
		    dst: "$r"
		$enc
		  - spi: $i
		    cipher: aes256gcm16
		    key: 0x$ki
		    src: "$r"
		    dst: "$l"
		$enc
		EOF
		{
			echo "dataplane:"
			echo "  tun: ipx0"
			for x in "$@"; do echo "  $x"; done
			echo "children:"
			echo "  - out_spi: $o"
			echo "    in_spi: $i"
			echo "    local: \"$l\""
			echo "    peer: \"$r\""
			echo "    encap: $([ $mode = encap ] && echo on || echo off)"
			echo "    local_ts: [$lt/32, \"$lt6/128\"]"
			echo "    remote_ts: [$rt/32, \"$rt6/128\"]"
		} >"$T/$name.dp$side.yaml"
	done
	# tshark's esp_sa table for both SPIs
	{
		printf '"IPv%s","*","*","0x00001001","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""\n' "$fam" "$KAB"
		printf '"IPv%s","*","*","0x00002001","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""\n' "$fam" "$KBA"
	} >"$XDG_CONFIG_HOME/wireshark/esp_sa"
}

# start NAME: one dp_static per namespace; wait until both are up
start() {
	local name=$1 n
	RUN=$name
	rm -f "$T"/stats.A "$T"/stats.B
	# (ip netns exec execs: $! is dp_static itself, signals reach it)
	ip netns exec $A "$DPS" --config "$T/$name.dpA.yaml" --sa "$T/$name.saA.yaml" \
		--stats "$T/stats.A" >"$T/$name.logA" 2>&1 &
	PIDA=$!
	ip netns exec $B "$DPS" --config "$T/$name.dpB.yaml" --sa "$T/$name.saB.yaml" \
		--stats "$T/stats.B" --ike-echo --keepalive 1 >"$T/$name.logB" 2>&1 &
	PIDB=$!
	PIDS+=($PIDA $PIDB)
	for n in $(seq 50); do
		[ -s "$T/stats.A" ] && [ -s "$T/stats.B" ] && return 0
		sleep 0.1
	done
	cat "$T/$name.logA" "$T/$name.logB" | tap_diag
	return 1
}

# stop: SIGTERM both; they must exit 0 with nothing from the sanitizers
stop() {
	local rca rcb n
	kill -TERM $PIDA $PIDB 2>/dev/null
	for n in $(seq 50); do
		kill -0 $PIDA 2>/dev/null || kill -0 $PIDB 2>/dev/null || break
		sleep 0.1
	done
	reap $PIDA $PIDB >/dev/null 2>&1 &   # (only if they hang)
	wait $PIDA; rca=$?
	wait $PIDB; rcb=$?
	if [ $rca = 0 ] && [ $rcb = 0 ] && ! grep -qE "Sanitizer|runtime error" "$T/$RUN.logA" "$T/$RUN.logB"; then
		tap_ok "$RUN: both data planes exited cleanly (status 0, no sanitizer report)"
	else
		tap_fail "$RUN: clean exit (status $rca/$rcb)"
		grep -hE -A5 "Sanitizer|runtime error" "$T/$RUN.logA" "$T/$RUN.logB" | head -30 | tap_diag
	fi
}

# st A|B EXPR: a value of that side's stats, e.g. st B "['drops']['no_policy']"
st() {
	local side=$1 pid n
	[ $side = A ] && pid=$PIDA || pid=$PIDB
	rm -f "$T/stats.$side"
	kill -USR1 $pid
	for n in $(seq 50); do [ -s "$T/stats.$side" ] && break; sleep 0.05; done
	$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' \
		"$T/stats.$side" "$2"
}

# check NAME EXPR: a python condition over variables given as k=v arguments
ge() { [ "${1:-0}" -ge "$2" ] 2>/dev/null; }

cap_start() { # cap_start FILE [filter]: tshark on vA in A
	ip netns exec $A tshark -i vA -w "$1" -q ${2:+-f "$2"} 2>"$1.log" &
	CAP=$!
	PIDS+=($CAP)
	local n
	for n in $(seq 100); do grep -q "Capturing on" "$1.log" 2>/dev/null && break; sleep 0.05; done
	grep -q "Capturing on" "$1.log" 2>/dev/null || return 1
	[ -n "${2:-}" ] && return 0
	# "Capturing on" can come before the ring sees packets: send a frame of the
	# local experimental ethertype until the capture holds one, so the checks
	# that count the first packets (3 echo requests, sequence number 1) count
	# what was sent, not how fast dumpcap started. Not IP: no check counts it.
	for n in $(seq 40); do
		inA $PY -c 'import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("vA", 0)); s.send(b"\xff" * 6 + b"\x02" + b"\x00" * 5 + b"\x88\xb5" + b"ipsecfx capture probe".ljust(46, b"\x00"))'
		sleep 0.1
		[ "$(tshark -r "$1" -Y "eth.type == 0x88b5" 2>/dev/null | wc -l)" -gt 0 ] && return 0
	done
	return 1
}
cap_stop() {
	local n
	sleep 0.3
	kill -INT $CAP 2>/dev/null
	for n in $(seq 50); do kill -0 $CAP 2>/dev/null || break; sleep 0.1; done
	reap $CAP
}

tsh() { tshark -o esp.enable_encryption_decode:TRUE -o tcp.check_checksum:TRUE \
	-o ip.check_checksum:TRUE "$@" 2>/dev/null; }
count() { tsh -r "$1" -Y "$2" | wc -l; }

pings() { # pings TAG: v4 both ways and v6 inside
	tap_check "$1: ping 10.1.0.1 -> 10.2.0.1" inA ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
	tap_check "$1: ping 10.2.0.1 -> 10.1.0.1" inB ping -c 3 -i 0.2 -W 2 -I 10.2.0.1 10.1.0.1
	tap_check "$1: ping IPv6 inside, fd00:1::1 -> fd00:2::1" inA ping -6 -c 3 -i 0.2 -W 2 -I fd00:1::1 fd00:2::1
}

# iperf ARGS...: one TCP stream A -> B; sets bps and bytes (received).
# (time-based: with -n, iperf3 3.12 reports the receiver's count before
# the last bytes arrived)
iperf() {
	local srv=10.2.0.1 cli=10.1.0.1 out spid
	[[ "$*" == *-6* ]] && { srv=fd00:2::1; cli=fd00:1::1; }
	ip netns exec $B timeout 30 iperf3 -s -1 -B $srv >/dev/null 2>&1 &
	spid=$!
	PIDS+=($spid)
	sleep 0.5
	out=$(inA timeout 30 iperf3 -c $srv -B $cli -J "$@" 2>&1)
	read -r bps bytes < <($PY -c 'import json,sys; d=json.load(sys.stdin); print(int(d["end"]["sum_received"]["bits_per_second"]), d["end"]["sum_received"]["bytes"])' \
		<<<"$out" 2>/dev/null || echo "0 0")
	[ "$bytes" = 0 ] && printf '%s\n' "$out" | tail -5 | tap_diag
	reap $spid
}

# ---- 1: ESP in UDP over IPv4, datagram by datagram: what tshark sees --------
conf r1 encap 4 "udp_gso: off"
if start r1; then
	tap_ok "encap/IPv4: both data planes up, routes to the remote selectors"
	r=$(ip -n $A route show dev ipx0)
	grep -q "10.2.0.1 proto static scope link src 10.1.0.1" <<<"$r" \
		&& tap_ok "route 10.2.0.1 via ipx0 with source 10.1.0.1 (rtnetlink)" \
		|| { tap_fail "route 10.2.0.1 via ipx0"; echo "$r" | tap_diag; }
	cap_start "$T/r1.pcap" || tap_diag <<<"tshark did not start"
	pings "encap/IPv4"
	iperf -t 1 -b 100M
	ge "$bytes" 8000000 && tap_ok "encap/IPv4: iperf3 TCP, $bytes bytes through the tunnel (TSO segments)" \
		|| tap_fail "encap/IPv4: iperf3 TCP through the tunnel"
	iperf -6 -t 1 -b 50M
	ge "$bytes" 4000000 && tap_ok "encap/IPv4: iperf3 TCP over IPv6 inside" \
		|| tap_fail "encap/IPv4: iperf3 TCP over IPv6 inside"
	# 3000-byte UDP datagrams: IP fragments inside, the later ones without
	# ports (RFC 4301 4.4.1.1), still within the selectors
	ip netns exec $B timeout 20 iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 0.5
	out=$(inA timeout 20 iperf3 -u -c 10.2.0.1 -B 10.1.0.1 -l 3000 -b 20M -t 1 -J 2>/dev/null)
	read -r ub ul < <($PY -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum"]; print(d["bytes"], int(d["lost_percent"]))' <<<"$out" 2>/dev/null || echo "0 100")
	ge "$ub" 1000000 && [ "$ul" -le 2 ] && tap_ok "encap/IPv4: fragmented UDP inside (3000-byte datagrams), $ul% lost" \
		|| tap_fail "encap/IPv4: fragmented UDP inside ($ub bytes, $ul% lost)"
	cap_stop
	n=$(tshark -r "$T/r1.pcap" -Y "(ip || ipv6) && !(udp.port == 4500) && !icmpv6" 2>/dev/null | wc -l)
	tot=$(tshark -r "$T/r1.pcap" -Y "udp.port == 4500" 2>/dev/null | wc -l)
	[ "$n" = 0 ] && ge "$tot" 5000 && tap_ok "tshark: $tot frames on the veth, every IP one ESP in UDP 4500" \
		|| tap_fail "tshark: only ESP in UDP 4500 on the wire ($n others of $tot)"
	esp=$(count "$T/r1.pcap" "esp")
	dec=$(count "$T/r1.pcap" "esp && (ip.src == 10.1.0.1 || ip.src == 10.2.0.1 || ipv6.src == fd00:1::1 || ipv6.src == fd00:2::1)")
	[ "$esp" = "$dec" ] && ge "$esp" 5000 && tap_ok "tshark decrypts all $esp ESP packets with the keys (esp_sa)" \
		|| tap_fail "tshark decrypts every ESP packet ($dec of $esp)"
	n=$(count "$T/r1.pcap" "esp && icmp.type == 8 && ip.src == 10.1.0.1")
	[ "$n" = 3 ] && tap_ok "tshark: the 3 echo requests 10.1.0.1 -> 10.2.0.1 inside" \
		|| tap_fail "tshark: the echo requests inside ($n)"
	n=$(count "$T/r1.pcap" "esp && tcp && tcp.len > 0")
	bad=$(count "$T/r1.pcap" "esp && (tcp.checksum.status == 0 || ip.checksum.status == 0 || udp.checksum.status == 0)")
	ge "$n" 5000 && [ "$bad" = 0 ] && tap_ok "tshark: $n inner TCP segments, every inner TCP and IP checksum good" \
		|| tap_fail "tshark: inner checksums ($bad bad of $n)"
	n=$(count "$T/r1.pcap" "esp && ipv6.src == fd00:1::1 && tcp")
	ge "$n" 1000 && tap_ok "tshark: IPv6 TCP inside ($n segments)" || tap_fail "tshark: IPv6 TCP inside ($n)"

	# --- no policy: routed into the TUN, matching no Child SA -------------
	ip -n $A route add 10.9.9.9/32 dev ipx0
	inA ping -c 2 -i 0.2 -W 1 -I 10.1.0.1 10.9.9.9 >/dev/null 2>&1
	np=$(st A "['drops']['no_policy']")
	ge "$np" 2 && grep -q "acquire: proto 1 10.1.0.1:2048 -> 10.9.9.9:2048" "$T/r1.logA" \
		&& tap_ok "no policy: $np packets dropped and counted, the acquire names the 5-tuple" \
		|| { tap_fail "no policy counted ($np)"; tail -5 "$T/r1.logA" | tap_diag; }

	# --- hostile input to B, from A's address ------------------------------
	cat >"$T/inject.py" <<-'EOF'
	import sys, os
	from scapy.all import IP, UDP, Raw, send, rdpcap, conf
	from scapy.layers.ipsec import SecurityAssociation, ESP
	conf.verb = 0
	pcap, key, seq = sys.argv[1], bytes.fromhex(sys.argv[2]), int(sys.argv[3])
	A, B = "192.0.2.1", "192.0.2.2"
	def udp(payload, sport=4500):
	    send(IP(src=A, dst=B) / UDP(sport=sport, dport=4500) / Raw(payload))
	udp(b"\x00\x00\x10\x01\x00\x01")                       # 6 bytes: not ESP
	udp(b"\x00\x00\x10\x01\x00\x00\x00\x09" + b"\x00" * 4)  # truncated ESP: malformed
	udp(b"\xde\xad\xbe\xef" + os.urandom(200))              # unknown SPI
	udp(b"\x00\x00\x10\x01\x00\x0f\x42\x40" + os.urandom(120))  # forged: auth_failed
	udp(b"\xff")                                            # NAT-keepalive
	udp(b"\x00" * 4 + b"I" * 40)                            # IKE (B echoes it)
	send(IP(src=A, dst=B, proto=50) / Raw(b"\x77\x77\x77\x77" + os.urandom(60)))  # raw ESP, unknown SPI
	# a replay of a genuine A -> B packet from the capture
	n = 0
	for p in rdpcap(pcap):
	    if p.haslayer(UDP) and p[IP].src == A and p[UDP].dport == 4500 and bytes(p[UDP].payload)[:4] == b"\x00\x00\x10\x01":
	        q = IP(bytes(p[IP]))
	        q[UDP].chksum = 0   # captured before the NIC (offload) filled it in
	        send(q); n += 1; break
	print("replays sent:", n, file=sys.stderr)
	# genuine ESP (right key), inner source outside B's remote selector; its
	# sequence number a little ahead of A's, inside the window A then uses
	sa = SecurityAssociation(ESP, spi=0x1001, crypt_algo="AES-GCM", crypt_key=key,
	                         tunnel_header=IP(src=A, dst=B), nat_t_header=UDP(sport=4500, dport=4500))
	e = bytearray(bytes(sa.encrypt(IP(src="10.66.0.1", dst="10.2.0.1") / UDP(sport=1, dport=2) / Raw(b"x" * 20), seq_num=seq)))
	e[24:26] = (len(e) - 20).to_bytes(2, "big")    # scapy leaves the NAT-T UDP length
	send(IP(bytes(e)))
	EOF
	seq=$(( $(st A "['child_sas'][0]['out_packets']") + 100 ))
	inA $PY "$T/inject.py" "$T/r1.pcap" "$KAB" $seq 2>"$T/inject.err"
	sleep 0.5
	vals=$(st B "['drops']['not_esp'], d['drops']['decrypt']['malformed'], d['drops']['decrypt']['unknown_spi'], d['drops']['decrypt']['auth_failed'], d['drops']['decrypt']['replayed'], d['drops']['selector_mismatch'], d['keepalive_rx'], d['ike_rx'], d['ike_tx']")
	read -r ne ma us af rp sm ka ir it < <(tr -d '(),' <<<"$vals")
	[ "$ne" -ge 1 ] && [ "$ma" -ge 1 ] && [ "$us" -ge 2 ] && [ "$af" -ge 1 ] && [ "$rp" -ge 1 ] && [ "$sm" = 1 ] \
		&& tap_ok "B counts not-ESP $ne, truncated $ma, unknown SPI $us (UDP and raw), forged $af, replayed $rp, out-of-selector $sm" \
		|| { tap_fail "B counts hostile input: not_esp $ne malformed $ma unknown_spi $us auth_failed $af replayed $rp selector $sm"; tap_diag <"$T/inject.err"; }
	ia=$(st A "['ike_rx']")
	[ "$ka" -ge 1 ] && [ "$ir" = 1 ] && [ "$it" = 1 ] && [ "$ia" = 1 ] \
		&& tap_ok "RFC 3948: keepalive counted; IKE behind the marker handed up, echoed with the marker, A hands it up" \
		|| tap_fail "RFC 3948 demux: keepalive $ka, B ike_rx $ir ike_tx $it, A ike_rx $ia"
	grep -q "IKE datagram, 40 bytes, from 192.0.2.1:4500 to 192.0.2.2:4500 (NAT-T)" "$T/r1.logB" \
		&& tap_ok "B's IKE callback got 40 bytes (marker stripped) with both endpoints" \
		|| { tap_fail "B's IKE callback"; grep IKE "$T/r1.logB" | tap_diag; }
	kr=$(st A "['keepalive_rx']")
	ge "$kr" 1 && tap_ok "A received B's NAT-keepalives ($kr)" || tap_fail "keepalives from B ($kr)"
	tap_check "after all that, the tunnel still passes traffic" inA ping -c 2 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1
	in=$(st B "['child_sas'][0]['in_packets']")
	out=$(st A "['child_sas'][0]['out_packets']")
	ge "$in" 5000 && [ "$((out - in))" -le 2 ] && [ "$((in - out))" -le 2 ] \
		&& tap_ok "counters: A sent $out, B received $in inner packets" \
		|| tap_fail "counters: A sent $out, B received $in"

	# --- deleting the Child SAs removes their routes ----------------------
	kill -USR2 $PIDA
	sleep 0.3
	r=$(ip -n $A route show dev ipx0; ip -n $A -6 route show dev ipx0)
	! grep -qE "10.2.0.1|fd00:2::1" <<<"$r" && ! inA ping -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1 \
		&& tap_ok "Child SA deleted: its routes are gone, no traffic" \
		|| { tap_fail "Child SA deleted: routes gone"; echo "$r" | tap_diag; }
	stop
	! ip -n $A link show ipx0 >/dev/null 2>&1 && tap_ok "exit: TUN removed" || tap_fail "exit: TUN removed"
else
	tap_fail "encap/IPv4: data planes up"
fi

# ---- 2: the same with every offload on -------------------------------------------
conf r2 encap 4
if start r2; then
	cap_start "$T/r2.pcap" "not arp and not icmp6" || true
	iperf -t 2
	bps4=$bps bytes4=$bytes
	iperf -6 -t 1
	bps6=$bps bytes6=$bytes
	cap_stop
	ge "$bytes4" 1000000 && ge "$bytes6" 100000 \
		&& tap_ok "offloads on: iperf3 TCP $((bps4 / 1000000)) Mbit/s over IPv4, $((bps6 / 1000000)) Mbit/s over IPv6 inside" \
		|| tap_fail "offloads on: iperf3 ($bytes4 / $bytes6 bytes)"
	v=$(st A "['esp_tx_gso'], d['tun_rx_super'], d['udp_gso'], d['tun_offload']")
	w=$(st B "['net_rx_gro'], d['tun_tx_super'], d['udp_gro'], d['drops']['decrypt']['auth_failed'] + d['drops']['selector_mismatch'] + d['drops']['tun_error']")
	read -r g s ug to < <(tr -d '(),' <<<"$v")
	read -r gr ts ugr bad < <(tr -d '(),' <<<"$w")
	[ "$g" -gt 0 ] && [ "$s" -gt 0 ] && [ "$gr" -gt 0 ] && [ "$ts" -gt 0 ] && [ "$bad" = 0 ] \
		&& tap_ok "A: $s TSO super-packets read, $g UDP GSO sends; B: $gr GRO datagrams, $ts coalesced TUN writes, no drops" \
		|| tap_fail "offloads used: tso $s gso $g ($ug $to) gro $gr coalesced $ts ($ugr) bad $bad"
	n=$(tshark -r "$T/r2.pcap" -Y "(ip || ipv6) && !(udp.port == 4500)" 2>/dev/null | wc -l)
	tot=$(tshark -r "$T/r2.pcap" 2>/dev/null | wc -l)
	[ "$n" = 0 ] && ge "$tot" 100 && tap_ok "offloads on: the veth carries UDP 4500 only ($tot frames)" \
		|| tap_fail "offloads on: UDP 4500 only ($n others of $tot)"
	stop
else
	tap_fail "offloads on: data planes up"
fi

# ---- 3: plain ESP (IP protocol 50) over IPv4 --------------------------------------
conf r3 esp 4 "udp_gso: off"
if start r3; then
	cap_start "$T/r3.pcap" || true
	pings "ESP/IPv4"
	iperf -t 1 -b 50M
	cap_stop
	ge "$bytes" 4000000 && tap_ok "ESP/IPv4: iperf3 TCP, $bytes bytes" || tap_fail "ESP/IPv4: iperf3 TCP"
	n=$(tshark -r "$T/r3.pcap" -Y "(ip || ipv6) && !(ip.proto == 50) && !icmpv6" 2>/dev/null | wc -l)
	esp=$(count "$T/r3.pcap" "esp")
	dec=$(count "$T/r3.pcap" "esp && (ip.src == 10.1.0.1 || ip.src == 10.2.0.1 || ipv6.src == fd00:1::1 || ipv6.src == fd00:2::1)")
	bad=$(count "$T/r3.pcap" "esp && (tcp.checksum.status == 0 || ip.checksum.status == 0)")
	[ "$n" = 0 ] && [ "$esp" = "$dec" ] && ge "$esp" 3000 && [ "$bad" = 0 ] \
		&& tap_ok "tshark: only IP protocol 50; decrypts all $esp, inner checksums good" \
		|| tap_fail "tshark ESP/IPv4: $n not ESP, $dec of $esp decrypted, $bad bad checksums"
	n=$(tshark -r "$T/r3.pcap" -Y "esp && ip.src == 192.0.2.1 && ip.id == 1 && ip.flags.df == 1" 2>/dev/null | wc -l)
	[ "$n" = 1 ] && tap_ok "outer IPv4 header is the engine's (ID = sequence number, DF copied)" \
		|| { tap_fail "outer IPv4 header from the engine ($n)"
		     tshark -r "$T/r3.pcap" -c 4 -T fields -e ip.src -e ip.id -e ip.flags.df -e esp.sequence 2>&1 | tap_diag; }
	cat >"$T/raw.py" <<-'EOF'
	from scapy.all import IP, Raw, send, conf
	conf.verb = 0
	send(IP(src="192.0.2.1", dst="192.0.2.2", proto=50) / Raw(b"\x00\x00\x10\x01\x00"))
	send(IP(src="192.0.2.1", dst="192.0.2.2", proto=50) / Raw(b"\x00\x00\x10\x01" + b"\x7f\xff\xff\xff" + b"z" * 60))
	EOF
	inA $PY "$T/raw.py"
	sleep 0.3
	vals=$(st B "['drops']['decrypt']['malformed'], d['drops']['decrypt']['auth_failed']")
	read -r ma af < <(tr -d '(),' <<<"$vals")
	[ "$ma" -ge 1 ] && [ "$af" -ge 1 ] && tap_ok "raw ESP: truncated ($ma) and forged ($af) counted" \
		|| tap_fail "raw ESP: truncated $ma forged $af"
	tap_check "ESP/IPv4: tunnel still up" inA ping -c 1 -W 2 -I 10.1.0.1 10.2.0.1
	stop
else
	tap_fail "ESP/IPv4: data planes up"
fi

# ---- 4, 5: IPv6 outside, UDP-encapsulated and plain ---------------------------
for mode in encap esp; do
	conf r6$mode $mode 6 "udp_gso: off"
	if start r6$mode; then
		cap_start "$T/r6$mode.pcap" "ip6 and not icmp6" || true
		pings "$mode/IPv6"
		iperf -t 1 -b 20M
		cap_stop
		ge "$bytes" 1500000 && tap_ok "$mode/IPv6: iperf3 TCP, $bytes bytes" || tap_fail "$mode/IPv6: iperf3 TCP"
		if [ $mode = encap ]; then f="udp.port == 4500 && ipv6.src == 2001:db8::1"; else f="ipv6.nxt == 50 && ipv6.src == 2001:db8::1"; fi
		tot=$(count "$T/r6$mode.pcap" "!udpencap.nat_keepalive")
		n=$(count "$T/r6$mode.pcap" "$f")
		esp=$(count "$T/r6$mode.pcap" "esp")
		dec=$(count "$T/r6$mode.pcap" "esp && (ip.src == 10.1.0.1 || ip.src == 10.2.0.1 || ipv6.src == fd00:1::1 || ipv6.src == fd00:2::1)")
		bad=$(count "$T/r6$mode.pcap" "esp && (tcp.checksum.status == 0 || ip.checksum.status == 0 || udp.checksum.status == 0)")
		ge "$n" 500 && [ "$esp" = "$tot" ] && [ "$dec" = "$esp" ] && [ "$bad" = 0 ] \
			&& tap_ok "tshark: $mode over IPv6 ($n from A), all $esp decrypted, checksums good" \
			|| tap_fail "tshark $mode/IPv6: $n from A, $dec of $esp of $tot decrypted, $bad bad"
		stop
	else
		tap_fail "$mode/IPv6: data planes up"
	fi
done

tap_done
