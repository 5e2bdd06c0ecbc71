#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# liveness.
#
# the peer (strongSwan, then an appliance) killed: declared
# dead within interval x (retries + 2), the updown script told,
# the tunnel rebuilt by itself once the peer is back
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: liveness"

section_liveness() {
	fresh plain
	cat >"$IX_T/updown.sh" <<EOF
#!/bin/sh
echo "\$IPSECFX_EVENT \$IPSECFX_CONN \${IPSECFX_CHILD:-} \$IPSECFX_REMOTE \${IPSECFX_REMOTE_TS:-}" >>$IX_T/updown.out
EOF
	chmod +x "$IX_T/updown.sh"
	ours_site A aes256gcm16 '' "\
    liveness_interval: 1s
    liveness_retries: 3
    liveness_action: restart
    updown: $IX_T/updown.sh
    start_action: start" "\
retransmit_timeout: 0.5s
retransmit_base: 1.2"
	swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	local spid=${IX_PIDS[-1]}
	start_ours "$IX_NS_A" A
	local apid=$LASTPID
	if ix_wait_up A sw 15 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1; then
		tap_ok "liveness: tunnel to strongSwan up (start_action: start)"
	else
		tap_fail "liveness: tunnel to strongSwan up"
		diag_logs A B
	fi
	grep -q "^up sw lan 192.0.2.2 10.2.0.1/32" "$IX_T/updown.out" 2>/dev/null \
		&& tap_ok "liveness: the updown script ran for 'up' with the tunnel's details" \
		|| { tap_fail "liveness: updown 'up'"; tap_diag <"$IX_T/updown.out"; }
	# strongSwan dies without a word
	kill9 "$spid"
	t0=$(date +%s.%N)
	local dead=""
	for _ in $(seq 150); do
		grep -q "peer dead" "$IX_T/A.log" && { dead=$(date +%s.%N); break; }
		sleep 0.1
	done
	if [ -n "$dead" ]; then
		secs=$(awk -v a="$t0" -v b="$dead" 'BEGIN { printf "%.1f", b - a }')
		# interval 1 s x (retries 3 + 2) + the tick
		if awk -v s="$secs" 'BEGIN { exit !(s <= 6.5) }'; then
			tap_ok "liveness: peer killed, declared dead after $secs s (liveness 1s x 3 retries: at most 5 s + 1 s tick)"
		else
			tap_fail "liveness: declared dead after $secs s, more than 6.5 s"
		fi
	else
		tap_fail "liveness: the killed peer is never declared dead"
		diag_logs A
	fi
	sleep 0.5
	grep -q "^dead sw" "$IX_T/updown.out" && grep -q "^down sw lan" "$IX_T/updown.out" \
		&& tap_ok "liveness: updown told 'dead' and 'down'" \
		|| { tap_fail "liveness: updown 'dead' and 'down'"; tap_diag <"$IX_T/updown.out"; }
	[ "$(J A 'len([s for s in l if s["state"] == "established"])')" = 0 ] \
		&& tap_ok "liveness: list-sas no longer shows an established SA ($(J A '", ".join(s["state"] for s in l) or "none"'))" \
		|| tap_fail "liveness: list-sas still shows the dead SA"
	sleep 2
	rm -f "$IX_T/B/charon.vici"
	start_swan "$IX_NS_B" B
	t0=$SECONDS
	if ix_wait_up A sw 30 && back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 5; then
		tap_ok "liveness: peer back: the appliance re-established the tunnel by itself in $((SECONDS - t0)) s, traffic flows"
	else
		tap_fail "liveness: tunnel re-established after the peer came back"
		diag_logs A B
	fi
	[ "$(grep -c "^up sw lan" "$IX_T/updown.out")" -ge 2 ] && tap_ok "liveness: updown told 'up' again" \
		|| tap_fail "liveness: updown 'up' again"

	# the same between two appliances; liveness_action: clear on B
	for p in "${IX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	IX_PIDS=()
	ours_site_b B aes256gcm16 "" "\
    liveness_interval: 1s
    liveness_retries: 2
    liveness_action: clear"
	start_ours "$IX_NS_B" B
	local bpid=$LASTPID
	start_ours "$IX_NS_A" A
	apid=$LASTPID
	ok_if "liveness: appliance to appliance up" eval 'ix_wait_up A sw 15 && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1'
	kill9 "$bpid"
	for _ in $(seq 100); do
		grep -q "peer dead" "$IX_T/A.log" && break
		sleep 0.1
	done
	ok_if "liveness: the killed appliance declared dead" grep -q "peer dead" "$IX_T/A.log"
	start_ours "$IX_NS_B" B
	t0=$SECONDS
	ok_if "liveness: the restarted appliance gets the tunnel back without anyone's help" \
		eval 'ix_wait_up A sw 30 && back_within "$IX_NS_B" 10.2.0.1 10.1.0.1 5'
	# clear: B does not restart when A goes away
	kill9 "$apid"
	for _ in $(seq 80); do grep -q "peer dead" "$IX_T/B.log" && break; sleep 0.1; done
	sleep 3
	grep -q "peer dead" "$IX_T/B.log" && ! grep -q "initiating" "$IX_T/B.log" \
		&& tap_ok "liveness: liveness_action: clear deletes and does not restart" \
		|| { tap_fail "liveness: liveness_action: clear"; diag_logs B; }
}

section_liveness
ix_state_check
tap_done
