#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# fragmentation.
#
# IKE_AUTH in RFC 7383 fragments, both roles
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: fragmentation"

section_frag() {
	fresh plain
	local many="10.1.0.1/32, 10.1.1.0/24, 10.1.2.0/24, 10.1.3.0/24, 10.1.4.0/24, 10.1.5.0/24"
	local many6="fd00:1::/64, fd00:2::/64, fd00:3::/64, fd00:4::/64, fd00:5::/64, fd00:6::/64, fd00:7::/64, fd00:8::/64"
	SITE_A_TS="$many, $many6" SITE_B_TS=10.2.0.0/16 ours_site A \
		"aes256gcm16, aes128gcm16, chacha20poly1305, aes256-sha256" "" "    fragment_size: 576"
	# strongSwan narrows our 10.2.0.0/16 to its one host
	SITE_A_TS="$many, $many6" SITE_B_TS=10.2.0.1/32 swan_site B aes256gcm16 "" \
		"    fragmentation = yes"
	EXTRA_CHARON="fragment_size = 576" start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ix_ctl A initiate sw --wait 15 >/dev/null && ix_swan_up B 5 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1; then
		ft=$(J A 's["ike"]["fragments_tx"]')
		re=$(J A 's["ike"]["reassembled"]')
		[ "${ft:-0}" -ge 2 ] && [ "${re:-0}" -ge 1 ] \
			&& tap_ok "frag: we initiate: our IKE_AUTH in $ft fragments ($(grep -o 'reassembled fragmented IKE message ([0-9]* bytes)' "$IX_T/B/charon.log" | head -1) says strongSwan), its answer reassembled, traffic flows" \
			|| tap_fail "frag: initiator (fragments sent ${ft:-?}, reassembled ${re:-?})"
	else
		tap_fail "frag: we initiate with fragment_size 576"
		diag_logs A B
	fi
	ix_ctl A terminate sw >/dev/null
	sleep 1
	ft=$(J A 's["ike"]["fragments_tx"]')
	re=$(J A 's["ike"]["reassembled"]')
	if ix_swanctl B --initiate --child c >/dev/null 2>&1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 &&
	   [ "$(J A 's["ike"]["fragments_tx"]')" -gt "$ft" ] && [ "$(J A 's["ike"]["reassembled"]')" -gt "$re" ]; then
		tap_ok "frag: strongSwan initiates: its fragmented IKE_AUTH reassembled, our answer fragmented, traffic flows"
	else
		tap_fail "frag: strongSwan initiates with fragments"
		diag_logs A B
	fi
}

section_frag
ix_state_check
tap_done
