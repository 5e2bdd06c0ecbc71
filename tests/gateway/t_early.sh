#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# ESP before the answer.
#
# strongSwan sends on its new Child SA before its IKE_AUTH
# answer reaches us: the ESP is held, not dropped; ESP for an
# unknown SPI is dropped and audited
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: ESP before the answer"

# strongSwan, answering an IKE_AUTH (here: our reauthentication), installs
# its Child SA and sends on it before its answer reaches us.  Its first
# answer is dropped, so our retransmission 1 s later fetches it: for that
# second every ping reply comes on an SPI we offered but have no SA for
# yet.  The data plane holds them (docs/dataplane.md) instead of dropping
# them.  ESP for an SPI nobody offered is dropped, and audited with its SPI
# (RFC 4303 3.4.2).
section_early() {
	fresh plain
	ours_site A aes256gcm16-x25519 '' '' "retransmit_timeout: 1s"
	swan_site B aes256gcm16-x25519 '' "    rekey_time = 0"
	site_up early || return
	# B's IKE on the NAT-T port (the non-ESP marker) goes nowhere for now
	ip netns exec "$IX_NS_B" nft -f - <<EOF
table inet early {
	chain out {
		type filter hook output priority 0;
		udp sport 4500 @th,64,32 0 counter drop
	}
}
EOF
	ip netns exec "$IX_NS_A" ping -n -q -I 10.1.0.1 -c 200 -i 0.01 10.2.0.1 >"$IX_T/ping.out" 2>&1 &
	local png=$!
	sleep 0.3
	ix_ctl A rekey sw --reauth >/dev/null
	sleep 0.4
	local lost_ike
	lost_ike=$(ip netns exec "$IX_NS_B" nft list table inet early | awk '/counter/ {for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1)}')
	ip netns exec "$IX_NS_B" nft delete table inet early
	wait $png
	local sent rcvd held unk ra
	read -r sent rcvd < <(awk '/packets transmitted/ {print $1, $4}' "$IX_T/ping.out")
	held=$(J A 's["dataplane"]["esp_rx_held"]')
	unk=$(J A 's["dataplane"]["drops"]["decrypt"]["unknown_spi"]')
	ra=$(J A 's["ike"]["reauths"]')
	echo "early: strongSwan's answers dropped: ${lost_ike:-?}; ESP held: ${held:-?}; pings $rcvd of $sent back; unknown SPI drops ${unk:-?}" | tap_diag
	if [ "${lost_ike:-0}" -ge 1 ] && [ "${ra:-0}" -ge 1 ] && [ "${held:-0}" -ge 10 ] &&
	   [ "${unk:-1}" = 0 ] && [ "${sent:-0}" = 200 ] && [ "${rcvd:-0}" = 200 ]; then
		tap_ok "early: strongSwan sent on its new Child SA a second before its IKE_AUTH answer reached us: $held ESP packets held, then decrypted; 200 of 200 pings back"
	else
		tap_fail "early: ESP before the IKE_AUTH answer (reauthenticated ${ra:-?}, held ${held:-?}, unknown SPI ${unk:-?}, pings ${rcvd:-?} of ${sent:-?})"
		diag_logs A B
	fi
	# ESP for an SPI nobody offered: dropped, counted, one audit line
	ip netns exec "$IX_NS_B" $PY -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.2", 0))
for seq in range(1, 6):
    s.sendto(struct.pack("!II", 0xdeadbeef, seq) + bytes(48), ("192.0.2.1", 4500))'
	sleep 0.5
	unk=$(J A 's["dataplane"]["drops"]["decrypt"]["unknown_spi"]')
	if [ "${unk:-0}" = 5 ] && grep -q "ESP 192.0.2.2 -> 192.0.2.1, SPI deadbeef seq 1: no such SA, dropped" "$IX_T/A.log" &&
	   back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 5; then
		tap_ok "early: ESP for an SPI nobody offered dropped (5 counted), audited with SPI and sequence number, the tunnel untouched"
	else
		tap_fail "early: unknown SPI (counted ${unk:-?})"
		grep "no such SA" "$IX_T/A.log" | tap_diag
	fi
}

section_early
ix_state_check
tap_done
