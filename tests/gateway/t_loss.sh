#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# IKE loss.
#
# 20% of IKE datagrams dropped: set-up and rekeys still work
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: IKE loss"

section_loss() {
	fresh plain
	ours_site A aes256gcm16 "\
        rekey_time: 4s
        life_time: 20s" '' "\
retransmit_timeout: 0.5s
retransmit_limit: 1s
retransmit_tries: 12"
	swan_site B aes256gcm16 "\
                   rekey_time = 8s
                   life_time = 40s"
	# both ends retransmit at least every 1-2 s, for 10-12 tries: a lost
	# exchange neither stalls the IKE SA (one request at a time) until a
	# Child SA's lifetime runs out, nor ends it as dead
	EXTRA_CHARON="retransmit_tries = 10
  retransmit_limit = 2" start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	ix_ike_loss "$IX_NS_B" 20
	local up=0
	for i in 1 2 3; do
		if ix_ctl A initiate sw --wait 20 >/dev/null && ix_swan_up B 5 && back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 5; then
			up=$((up + 1))
		fi
		ix_ctl A terminate sw >/dev/null
		sleep 1.5
	done
	[ $up = 3 ] && tap_ok "loss: with 20% of IKE datagrams dropped, we initiate 3 times, 3 tunnels ($(J A 's["ike"]["retransmits"]') retransmissions)" \
		|| { tap_fail "loss: tunnels up through 20% IKE loss ($up of 3)"; diag_logs A; }
	ix_ctl A initiate sw --wait 20 >/dev/null
	pings "$IX_NS_A" 10.1.0.1 10.2.0.1 300 0.1 >"$IX_T/ping.out"
	read -r sent rcvd <"$IX_T/ping.out"
	cr=$(J A 's["ike"]["child_rekeys"]')
	n=$(J A 'len(l[0]["children"]) if l else 0')
	[ "${cr:-0}" -ge 4 ] && [ "${rcvd:-0}" -ge $(( ${sent:-1} * 95 / 100 )) ] \
		&& tap_ok "loss: $cr Child SA rekeys in 30 s through the loss, $rcvd of $sent pings back, $n Child SA now" \
		|| { tap_fail "loss: rekeys through the loss ($cr rekeys, $rcvd of ${sent:-?} pings)"
		     # where the pings stopped: our drops, and what both ends did then
		     J A 's["dataplane"]["drops"]' | tap_diag
		     grep -E "rekey|delet|retransmit|dataplane: child" "$IX_T/A.log" | tail -60 | tap_diag
		     grep -E "CHILD_SA|rekey|DELETE|retransmit" "$IX_T/B/charon.log" | tail -60 | tap_diag; }
	ix_ike_loss "$IX_NS_B" 0
	ix_swanctl B --terminate --ike t >/dev/null 2>&1
	sleep 1
	ix_ike_loss "$IX_NS_B" 20
	if ix_swanctl B --initiate --child c >/dev/null 2>&1 && back_within "$IX_NS_B" 10.2.0.1 10.1.0.1 5; then
		tap_ok "loss: strongSwan initiates through the same loss, and gets a tunnel"
	else
		tap_fail "loss: strongSwan initiates through the loss"
	fi
	ix_ike_loss "$IX_NS_B" 0
}

section_loss
ix_state_check
tap_done
