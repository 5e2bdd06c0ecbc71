#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# rekeying between two appliances.
#
# the same between two appliances (plain ESP, ESN, PFS), with
# simultaneous Child and IKE SA rekeys forced
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: rekeying between two appliances"

section_pair() {
	fresh plain
	local child="        rekey_time: 15s
        life_time: 60s"
	ours_peer A "    ike_lifetime: 10m
    reauth_interval: 45s" "$child"
	ours_peer B "    ike_lifetime: 10m" "$child"
	start_ours "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ! ix_wait_up A p 15; then
		tap_fail "pair: appliance to appliance up"
		diag_logs A B
		return
	fi
	# (strongSwan's kernel-libipsec cannot install ESN SAs: tested here)
	[ "$(J A '"/YES" in l[0]["children"][0]["proposal"]')" = True ] &&
	[ "$(J B '"/YES" in l[0]["children"][0]["proposal"]')" = True ] \
		&& tap_ok "pair: extended sequence numbers negotiated ($(J A 'l[0]["children"][0]["proposal"]')), kept through every rekey below" \
		|| tap_fail "pair: ESN negotiated" 
	local t0=$SECONDS
	ip netns exec "$IX_NS_B" iperf3 -s -1 -B 10.2.0.1 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	ip netns exec "$IX_NS_A" iperf3 -c 10.2.0.1 -B 10.1.0.1 -t 58 -b 200M -J >"$IX_T/iperf.json" 2>/dev/null &
	local cli=$!
	pings "$IX_NS_B" 10.2.0.1 10.1.0.1 1200 0.05 >"$IX_T/ping.out" &
	local png=$!
	# both ends start a rekey of the Child SA, then of the IKE SA, while
	# IKE is held (ESP flows): the two requests cross when it is let go
	local what
	for what in "--child lan" "--ike"; do
		sleep 8
		ix_ike_loss "$IX_NS_B" 100
		ix_ctl A rekey p $what >/dev/null
		ix_ctl B rekey p $what >/dev/null
		sleep 1.5
		ix_ike_loss "$IX_NS_B" 0
	done
	wait $png
	wait $cli
	wait $srv 2>/dev/null
	read -r sent rcvd <"$IX_T/ping.out"
	mbit=$($PY -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e6))' "$IX_T/iperf.json" 2>/dev/null)
	for side in A B; do
		echo "pair: $side: $(J $side '"%d Child SA rekeys, %d collisions, %d IKE rekeys, %d reauthentications" % (s["ike"]["child_rekeys"], s["ike"]["rekey_collisions"], s["ike"]["ike_rekeys"], s["ike"]["reauths"])')" | tap_diag
	done
	[ "${sent:-0}" -ge 1100 ] && [ "$sent" = "$rcvd" ] \
		&& tap_ok "pair: $sent pings every 50 ms while both appliances rekey at the same moments (iperf3 ${mbit:-?} Mbit/s alongside): none lost" \
		|| { tap_fail "pair: pings lost ($rcvd of ${sent:-?})"; grep "no answer" "$IX_T/ping.raw" | head | tap_diag; diag_logs A B; }
	ca=$(J A 's["ike"]["rekey_collisions"]')
	cb=$(J B 's["ike"]["rekey_collisions"]')
	# the crossing requests are seen by the end whose retransmission came
	# in while its own was out (both ends, when they cross within a
	# round trip)
	[ $(( ${ca:-0} + ${cb:-0} )) -ge 2 ] \
		&& tap_ok "pair: simultaneous Child SA and IKE SA rekeys (detected $ca times by A, $cb by B; 2.8.1)" \
		|| tap_fail "pair: simultaneous rekeys (A ${ca:-0}, B ${cb:-0})"
	[ "$(J A 's["ike"]["ike_rekeys"]')" -ge 1 ] && [ "$(J A 's["ike"]["reauths"]')" -ge 1 ] \
		&& tap_ok "pair: IKE SA rekeyed and reauthenticated under traffic" \
		|| tap_fail "pair: IKE SA rekey and reauthentication"
	local pair=""
	for _ in $(seq 40); do
		a=$(J A '" ".join(sorted(c["spi_in"] + "/" + c["spi_out"] for s in l for c in s["children"]))')
		b=$(J B '" ".join(sorted(c["spi_out"] + "/" + c["spi_in"] for s in l for c in s["children"]))')
		if [ -n "$a" ] && [ "$a" = "$b" ] && [ "${a% *}" = "$a" ] && [ "$(J A 'len(l)')" = 1 ] && [ "$(J B 'len(l)')" = 1 ]; then
			pair=$a
			break
		fi
		sleep 0.25
	done
	[ -n "$pair" ] && tap_ok "pair: one IKE SA and one Child SA pair left on both ends, the same ($pair)" \
		|| { tap_fail "pair: one SA pair on both ends (A: $a; B: $b)"; diag_logs A B; }
	# B rekeys the Child SA but its Delete of the old one is held (A, the
	# responder, keeps sending on the old SA meanwhile); A rekeys the new
	# one; then the held Delete arrives.  A must keep its traffic on the
	# newest SA (a bug once took the data plane's child down here).
	ip netns exec "$IX_NS_B" nft -f - <<NFT
table inet holddel {
	chain out {
		type filter hook output priority 0;
		udp dport 500 @th,208,8 37 drop
		udp dport 4500 @th,64,32 0 @th,240,8 37 drop
	}
}
NFT
	pings "$IX_NS_A" 10.1.0.1 10.2.0.1 240 0.05 >"$IX_T/ping.out" &
	png=$!
	sleep 0.5
	ix_ctl B rekey p --child lan >/dev/null
	sleep 1
	ix_ctl A rekey p --child lan >/dev/null
	sleep 1
	ip netns exec "$IX_NS_B" nft delete table inet holddel
	wait $png
	read -r sent rcvd <"$IX_T/ping.out"
	[ "${sent:-0}" -ge 200 ] && [ "$sent" = "$rcvd" ] && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 \
		&& tap_ok "pair: the peer's late Delete of an SA already rekeyed twice: $sent pings, none lost" \
		|| { tap_fail "pair: late Delete after a second rekey ($rcvd of ${sent:-?} pings)"; diag_logs A B; }
}

section_pair
ix_state_check
tap_done
