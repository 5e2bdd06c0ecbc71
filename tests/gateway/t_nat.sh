#!/usr/bin/env bash
# Gateway features (docs/config.md) against Debian's strongSwan and between
# two appliances, in network namespaces (tests/interop/lib.sh draws them):
# NAT traversal.
#
# the appliance behind an nftables masquerade router initiating
# to strongSwan, two strongSwans behind one NAT address
# initiating to the appliance, and two appliances; each time the
# NAT forgets its mappings mid-tunnel (conntrack -F) and the
# traffic must come back
#
# strongSwan's kernel-libipsec only does UDP-encapsulated ESP (encap = yes).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: NAT traversal"

section_nat() {
	fresh nat
	# 1. the appliance (A) behind the NAT initiates to strongSwan (B)
	SITE_A_ADDR=192.168.1.2 SITE_A_ID=a.example SITE_B_ID=b.example \
		ours_site A aes256gcm16 "" "\
    nat_keepalive: 2s
    liveness_interval: 2s"
	SITE_A_ADDR=%any SITE_A_ID=a.example SITE_B_ID=b.example swan_site B aes256gcm16
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ix_ctl A initiate sw --wait 15 >/dev/null && ix_swan_up B 5; then
		tap_ok "nat: the appliance behind a NAT initiates to strongSwan"
	else
		tap_fail "nat: the appliance behind a NAT initiates to strongSwan"
		diag_logs A B
	fi
	[ "$(J A 'l[0]["nat_local"] and l[0]["nat_t"] and l[0]["local"].endswith("[4500]")')" = True ] \
		&& tap_ok "nat: NAT detected in front of us, IKE moved to port 4500" \
		|| tap_fail "nat: NAT detected in front of us, IKE moved to port 4500"
	ok_if "nat: ping both ways through the NAT (ESP in UDP)" \
		eval 'ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1'
	sleep 3
	n=$(J A 's["dataplane"]["keepalive_tx"]')
	[ "${n:-0}" -ge 1 ] && tap_ok "nat: NAT keepalives sent from behind the NAT ($n in 3 s at nat_keepalive 2s)" \
		|| tap_fail "nat: NAT keepalives sent (got ${n:-none})"
	port1=$(ix_swanctl B --list-sas | sed -n 's/.*remote.*@ 192.0.2.254\[\([0-9]*\)\].*/\1/p' | head -1)
	ix_nat_flush
	t0=$SECONDS
	if back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 20; then
		port2=$(ix_swanctl B --list-sas | sed -n 's/.*remote.*@ 192.0.2.254\[\([0-9]*\)\].*/\1/p' | head -1)
		tap_ok "nat: mappings flushed (conntrack -F): traffic back after $((SECONDS - t0)) s (NAT port $port1 -> $port2)"
	else
		tap_fail "nat: traffic back after the NAT forgot its mappings"
		diag_logs A B
	fi
	ok_if "nat: and from the other side" ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1

	# 2. two strongSwans behind the same NAT address initiate to the
	# appliance in B, a responder for any peer
	for p in "${IX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	IX_PIDS=()
	ix_nat_flush
	ours B <<EOF
connections:
  - name: rw
    local_addrs: [192.0.2.2]
    local: {id: gw.example}
    remote: {id: "%any"}
    psk: "$PSK"
    proposals: [aes256gcm16-prfsha256-x25519]
    children:
      - name: lan
        local_ts: [10.2.0.0/16]
        remote_ts: [10.0.0.0/8]
        esp_proposals: [aes256gcm16]
EOF
	for side in A C; do
		local me lan ns
		if [ $side = A ]; then me=192.168.1.2 lan=10.1.0.1 ns=$IX_NS_A; else me=192.168.1.3 lan=10.3.0.1 ns=$IX_NS_C; fi
		swan $side <<EOF
connections { t {
    local_addrs = $me
    remote_addrs = 192.0.2.2
    version = 2
    proposals = aes256gcm16-prfsha256-x25519
    encap = yes
    dpd_delay = 2s
    local { auth = psk
            id = $side.example }
    remote { auth = psk
             id = gw.example }
    children { c { local_ts = $lan/32
                   remote_ts = 10.2.0.1/32
                   esp_proposals = aes256gcm16 } } } }
secrets { ike-1 { id-1 = $side.example
                  id-2 = gw.example
                  secret = "$PSK" } }
EOF
		start_swan "$ns" $side
	done
	start_ours "$IX_NS_B" B
	ix_swanctl A --initiate --child c >/dev/null 2>&1 &
	local i1=$!
	ix_swanctl C --initiate --child c >/dev/null 2>&1 &
	wait $i1 $!
	n=$(J B 'len([s for s in l if s["state"] == "established" and s["children"]])')
	ports=$(J B '" ".join(s["remote"] for s in l)')
	[ "${n:-0}" = 2 ] && tap_ok "nat: two strongSwans behind one NAT address up at once ($ports)" \
		|| { tap_fail "nat: two strongSwans behind one NAT address (got ${n:-0})"; diag_logs B A C; }
	ok_if "nat: each one's traffic reaches the right peer" \
		eval 'ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_C" 10.3.0.1 10.2.0.1 &&
		      ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.3.0.1'
	ix_nat_flush
	t0=$SECONDS
	if back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 20 && back_within "$IX_NS_C" 10.3.0.1 10.2.0.1 20 &&
	   back_within "$IX_NS_B" 10.2.0.1 10.1.0.1 10 && back_within "$IX_NS_B" 10.2.0.1 10.3.0.1 10; then
		tap_ok "nat: mappings flushed: both peers' traffic back after $((SECONDS - t0)) s, the appliance followed them ($(J B '" ".join(s["remote"] for s in l)'))"
	else
		tap_fail "nat: both peers' traffic back after the flush"
		diag_logs B A C
	fi

	# 3. appliance behind the NAT to appliance
	for p in "${IX_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${IX_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	IX_PIDS=()
	ix_nat_flush
	# A as in 1., to the responder above
	SITE_A_ADDR=192.168.1.2 SITE_A_ID=a.example SITE_B_ID=gw.example \
		ours_site A aes256gcm16 "" "\
    nat_keepalive: 2s
    liveness_interval: 1s"
	start_ours "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ix_ctl A initiate sw --wait 10 >/dev/null && ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 &&
	   ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_ok "nat: appliance behind the NAT to appliance: up, traffic both ways"
	else
		tap_fail "nat: appliance behind the NAT to appliance"
		diag_logs A B
	fi
	ix_nat_flush
	t0=$SECONDS
	if back_within "$IX_NS_A" 10.1.0.1 10.2.0.1 15 && back_within "$IX_NS_B" 10.2.0.1 10.1.0.1 10; then
		tap_ok "nat: appliance to appliance, mappings flushed: traffic back after $((SECONDS - t0)) s"
	else
		tap_fail "nat: appliance to appliance, traffic back after the flush"
		diag_logs A B
	fi
}

section_nat
ix_state_check
tap_done
