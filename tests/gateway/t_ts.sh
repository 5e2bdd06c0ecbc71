#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# traffic selectors.
#
# narrowing both ways, two Child SAs, a port-restricted
# selector, TS_UNACCEPTABLE
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: traffic selectors"

section_ts() {
	fresh plain
	# web: TCP to port 5201 only, ping: ICMP only; strongSwan's bad
	# child asks for selectors outside both
	SITE_CHILD=web SITE_A_TS=10.1.0.0/16 SITE_B_TS='"10.2.0.0/16[tcp/5201]"' \
		ours_site A aes256gcm16 "\
      - name: ping
        local_ts: [\"10.1.0.1/32[icmp]\"]
        remote_ts: [\"10.2.0.1/32[icmp]\"]
        esp_proposals: [aes128gcm16-ecp256]" "    start_action: start"
	SITE_CHILD=web SITE_A_TS=10.1.0.1/32[tcp] SITE_B_TS=10.2.0.1/32[tcp/5201] \
		swan_site B aes256gcm16 "" "" "\
      ping { local_ts = 10.2.0.0/16[icmp]
             remote_ts = 10.1.0.0/16[icmp]
             esp_proposals = aes128gcm16-ecp256 }
      bad { local_ts = 10.2.0.1/32
            remote_ts = 172.16.0.0/12
            esp_proposals = aes256gcm16 }"
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	local n=0
	for _ in $(seq 50); do
		n=$(swan_children B)
		[ "$n" -ge 2 ] && break
		sleep 0.2
	done
	[ "$n" = 2 ] && tap_ok "ts: two Child SAs under one IKE SA (IKE_AUTH, then CREATE_CHILD_SA)" \
		|| { tap_fail "ts: two Child SAs (strongSwan has $n)"; diag_logs A B; }
	w=$(J A '" ".join(c["local_ts"][0] + ">" + c["remote_ts"][0] for c in l[0]["children"] if c["name"] == "web")')
	[ "$w" = "10.1.0.1/32[tcp]>10.2.0.1/32[tcp/5201]" ] \
		&& tap_ok "ts: as initiator, our selectors narrowed by strongSwan: $w" \
		|| tap_fail "ts: narrowing as initiator (got '$w')"
	ok_if "ts: ping passes through the icmp-only Child SA" ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1
	mbit=$(ix_iperf "$IX_NS_B" 10.2.0.1 "$IX_NS_A" 10.1.0.1 2)
	[ -n "$mbit" ] && [ "$mbit" -gt 0 ] && tap_ok "ts: TCP to port 5201 passes the port-restricted Child SA ($mbit Mbit/s)" \
		|| tap_fail "ts: TCP to port 5201"
	ip netns exec "$IX_NS_B" iperf3 -s -1 -p 5202 -B 10.2.0.1 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	drops0=$(J A 's["dataplane"]["drops"].get("no_policy", 0)')
	if ip netns exec "$IX_NS_A" timeout 5 iperf3 -c 10.2.0.1 -B 10.1.0.1 -p 5202 -t 1 --connect-timeout 2000 >/dev/null 2>&1; then
		tap_fail "ts: TCP to port 5202 must not pass"
	else
		drops1=$(J A 's["dataplane"]["drops"].get("no_policy", 0)')
		[ "${drops1:-0}" -gt "${drops0:-0}" ] \
			&& tap_ok "ts: TCP to port 5202 dropped by the policy ($((drops1 - drops0)) packets counted as no_policy)" \
			|| tap_fail "ts: port 5202 blocked but not counted"
	fi
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	# strongSwan initiates: we narrow its wide icmp selectors
	ix_ctl A terminate sw >/dev/null
	sleep 1
	sed -i 's/^    start_action: start/    start_action: none/' "$IX_T/A.yaml"
	ix_ctl A reload >/dev/null
	ix_swanctl B --initiate --child ping >/dev/null 2>&1
	p=$(J A '" ".join(c["local_ts"][0] + ">" + c["remote_ts"][0] for s in l for c in s["children"] if c["name"] == "ping")')
	[ "$p" = "10.1.0.1/32[icmp]>10.2.0.1/32[icmp]" ] \
		&& tap_ok "ts: as responder, strongSwan's 10.1.0.0/16[icmp] === 10.2.0.0/16[icmp] narrowed to $p" \
		|| tap_fail "ts: narrowing as responder (got '$p')"
	ok_if "ts: and ping passes" ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1
	ix_swanctl B --initiate --child bad >"$IX_T/bad.out" 2>&1
	grep -q "TS_UNACCEPTABLE" "$IX_T/B/charon.log" \
		&& tap_ok "ts: selectors outside every child answered with TS_UNACCEPTABLE, the IKE SA stays" \
		|| { tap_fail "ts: TS_UNACCEPTABLE"; diag_logs B; }
	ok_if "ts: the other Child SA still carries traffic" ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1
}

section_ts
ix_state_check
tap_done
