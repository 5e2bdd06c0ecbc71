#!/usr/bin/env bash
# Two appliances (ipsecfxd on both sides) in network namespaces:
#
#   ns A: ipsecfxd  192.0.2.1 / 2001:db8::1 ==veth== 192.0.2.2 / 2001:db8::2  ns B: ipsecfxd
#         protects 10.1.0.1, fd00:1::1                  protects 10.2.0.1, fd00:2::1
#
# Plain ESP (IP protocol 50, which strongSwan's kernel-libipsec cannot do)
# and forced UDP encapsulation, checked on the wire by tshark; IKE and ESP
# over IPv6; start_action: trap (the first packet brings the tunnel up);
# terminate removes the SAs on both sides; reload with a broken file keeps
# the running configuration.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/lib.sh"

ix_begin "appliance to appliance"
ix_topology
ip -n "$IX_NS_A" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$IX_NS_B" addr add 2001:db8::2/64 dev eth0 nodad
ip -n "$IX_NS_A" addr add fd00:1::1/128 dev lo
ip -n "$IX_NS_B" addr add fd00:2::1/128 dev lo
APID="" BPID=""

# lib.sh's appliance pair (ours_peer, connection p) with 10.1.0.0/16 and
# 10.2.0.0/16 behind A and B, ESP AES-256-GCM, A's start_action START and
# encap ENCAP; V6=1 for IPv6 outside and inside
cfg() { # cfg START ENCAP: both sides' files
	local v4a=10.1.0.0/16 v4b=10.2.0.0/16
	[ "${V6:-}" = 1 ] && v4a=fd00:1::/64 v4b=fd00:2::/64
	SITE_A_TS=$v4a SITE_B_TS=$v4b PEER_V6=${V6:-} PEER_ESP=aes256gcm16 PEER_START=$1 \
		ours_peer A "    encap: $2"
	SITE_A_TS=$v4a SITE_B_TS=$v4b PEER_V6=${V6:-} PEER_ESP=aes256gcm16 \
		ours_peer B "    encap: false"
}

restart() { # restart: (re)start both daemons with the current files
	for p in $APID $BPID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -f "$IX_T/A.sock" "$IX_T/B.sock"
	ix_ipsecfxd "$IX_NS_B" B "$IX_T/B.yaml" && BPID=${IX_PIDS[-1]}
	ix_ipsecfxd "$IX_NS_A" A "$IX_T/A.yaml" && APID=${IX_PIDS[-1]}
}

wire() { # wire FILTER: packets tshark sees on B's side during a ping
	rm -f "$IX_T/wire.pcap"
	ix_capture "$IX_NS_B" "$IX_T/wire.pcap" "$1"
	ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1
	sleep 0.5
	kill "$IX_CAPTURE" 2>/dev/null
	wait "$IX_CAPTURE" 2>/dev/null
	tshark -r "$IX_T/wire.pcap" 2>/dev/null | wc -l
}

# 1. plain ESP
cfg start false
restart
if ix_wait_up A p 10; then
	tap_ok "appliance <-> appliance tunnel comes up (AES-GCM-256, PRF-SHA384, ECP-384)"
else
	tap_fail "appliance <-> appliance tunnel comes up"
	tail -10 "$IX_T/A.log" "$IX_T/B.log" | tap_diag
fi
ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 \
	&& tap_ok "ping both ways" || tap_fail "ping both ways"
n=$(wire "ip proto 50")
[ "$n" -ge 4 ] && tap_ok "plain ESP on the wire (IP protocol 50): $n packets" \
	|| tap_fail "plain ESP on the wire (got $n)"
n=$(wire "udp port 4500")
[ "$n" = 0 ] && tap_ok "nothing on UDP 4500 without a NAT" || tap_fail "UDP 4500 used without a NAT ($n)"
mbit=$(ix_iperf "$IX_NS_B" 10.2.0.1 "$IX_NS_A" 10.1.0.1 3)
[ -n "$mbit" ] && [ "$mbit" -gt 100 ] && tap_ok "iperf3 through plain ESP: $mbit Mbit/s" \
	|| tap_fail "iperf3 through plain ESP (${mbit:-none})"

# 2. terminate removes the SAs on both sides
ix_ctl A terminate p >/dev/null
sleep 1
if [ "$(ix_ctl A list-sas --json)" = "[]" ] && [ "$(ix_ctl B list-sas --json)" = "[]" ]; then
	tap_ok "terminate: the Delete removes the SAs on both sides"
else
	tap_fail "terminate: the Delete removes the SAs on both sides"
fi
ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && tap_fail "no traffic once terminated" \
	|| tap_ok "no traffic once terminated"

# 3. forced UDP encapsulation
cfg start true
restart
ix_wait_up A p 10 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 \
	&& tap_ok "encap: true brings the tunnel up over UDP" || tap_fail "encap: true"
n=$(wire "udp port 4500")
[ "$n" -ge 4 ] && tap_ok "ESP in UDP 4500 on the wire: $n packets" || tap_fail "ESP in UDP 4500 on the wire ($n)"

# 4. IPv6 outside and inside
V6=1 cfg start false
restart
if ix_wait_up A p 10 && ix_ping "$IX_NS_A" fd00:1::1 fd00:2::1; then
	tap_ok "IKE and ESP over IPv6, IPv6 inside: ping6 through the tunnel"
else
	tap_fail "IKE and ESP over IPv6"
	tail -10 "$IX_T/A.log" | tap_diag
fi

# 5. start_action: trap: the first packet starts the tunnel
cfg trap false
restart
sleep 0.5
[ "$(ix_ctl A list-sas --json)" = "[]" ] && tap_ok "trap: nothing negotiated before traffic" \
	|| tap_fail "trap: nothing negotiated before traffic"
ip netns exec "$IX_NS_A" ping -n -q -c 1 -W 1 -I 10.1.0.1 10.2.0.1 >/dev/null 2>&1
if ix_wait_up A p 10 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1; then
	tap_ok "trap: a packet for 10.2.0.0/16 brings the tunnel up, traffic flows"
else
	tap_fail "trap: a packet brings the tunnel up"
	tail -10 "$IX_T/A.log" | tap_diag
fi

# 6. reload: a broken file is refused and the running configuration stays
echo "connections: [ {name: p, psk: x, children: [ {name: lan, local_ts: [10.1.0.0/33]} ] } ]" >"$IX_T/A.yaml"
out=$(ix_ctl A reload 2>&1)
if grep -q "has errors" <<<"$out" && grep -q "local_ts\[0\]" "$IX_T/A.log" && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1; then
	tap_ok "reload of a broken file: refused with the line and key in the log, the tunnel stays up"
else
	tap_fail "reload of a broken file"
	printf '%s\n' "$out" | tap_diag
fi
cfg trap false
out=$(ix_ctl A reload 2>&1)
grep -q "reloaded: 1 connections" <<<"$out" && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 \
	&& tap_ok "reload of a good file keeps the running SAs" || tap_fail "reload of a good file ($out)"
ix_state_check
tap_done
