#!/usr/bin/env bash
# make demo: two ipsecfx appliances in two network namespaces bring up an
# IKEv2 tunnel and carry traffic through it.
#
#   namespace A                                       namespace B
#   10.1.0.1 (lo) -- ipsecfxd -- 192.0.2.1 ==veth== 192.0.2.2 -- ipsecfxd -- 10.2.0.1 (lo)
#                     TUN ipsecfx0                          TUN ipsecfx0
#
# A initiates (PSK, AES-256-GCM, X25519); ping and a short iperf3 run go
# from 10.1.0.1 to 10.2.0.1 through the tunnel; the SAs and counters are
# printed; everything is removed at the end.  ENGINE=sim runs A's ESP in
# the Verilated kernel (esp_kernel through the FPGA driver, behind the
# placement layer, software next to it) where that engine is built, and
# shows `ipsecfx engine`.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/interop/lib.sh
ENGINE=${ENGINE:-soft}

if ! why=$(ix_need); then
	echo "demo: cannot run: $why" >&2
	exit 1
fi
trap ix_cleanup EXIT
ix_topology
step() { printf '\n=== %s\n' "$*"; }

for side in A B; do
	if [ $side = A ]; then
		me=192.0.2.1 peer=192.0.2.2 lnet=10.1.0.0/16 rnet=10.2.0.0/16 start=start eng=$ENGINE
	else
		me=192.0.2.2 peer=192.0.2.1 lnet=10.2.0.0/16 rnet=10.1.0.0/16 start=none eng=soft
	fi
	cat >"$IX_T/$side.yaml" <<EOF
engine: $eng
control: $IX_T/$side.sock
connections:
  - name: demo
    local_addrs: [$me]
    remote_addrs: [$peer]
    local:  {id: $me, auth: psk}
    remote: {id: $peer, auth: psk}
    psk: "demo-only-secret-0123456789abcdef"
    proposals: [aes256gcm16-prfsha256-x25519]
    start_action: $start
    children:
      - name: lan
        local_ts: [$lnet]
        remote_ts: [$rnet]
        esp_proposals: [aes256gcm16]
EOF
done

step "starting ipsecfxd in namespace B (responder) and A (initiator, engine $ENGINE)"
ix_ipsecfxd "$IX_NS_B" B "$IX_T/B.yaml" || exit 1
ix_ipsecfxd "$IX_NS_A" A "$IX_T/A.yaml" || exit 1
if ! ix_wait_up A demo 15; then
	echo "demo: the tunnel did not come up; daemon logs:" >&2
	tail -20 "$IX_T/A.log" "$IX_T/B.log" >&2
	exit 1
fi
step "tunnel up"
grep -h "established" "$IX_T/A.log" "$IX_T/B.log" | sed 's/^/  /'

step "ping 10.1.0.1 -> 10.2.0.1 through the tunnel"
ip netns exec "$IX_NS_A" ping -n -c 5 -i 0.2 -I 10.1.0.1 10.2.0.1 || exit 1

step "iperf3, one TCP stream, 5 seconds"
mbit=$(ix_iperf "$IX_NS_B" 10.2.0.1 "$IX_NS_A" 10.1.0.1 5)
echo "  ${mbit:-?} Mbit/s through the tunnel"

step "what travels on the wire between A and B (a few packets)"
ip netns exec "$IX_NS_B" timeout 4 tshark -i eth0 -c 4 2>/dev/null &
shark=$!
sleep 1.5
ip netns exec "$IX_NS_A" ping -n -q -c 2 -i 0.2 -I 10.1.0.1 10.2.0.1 >/dev/null
wait $shark

step "ipsecfx list-sas on A"
ix_ctl A list-sas
step "ipsecfx list-sas on B"
ix_ctl B list-sas
if [ "$ENGINE" != soft ]; then
	step "ipsecfx engine on A: the card, its health, where each SA runs"
	ix_ctl A engine
fi
step "data plane counters on A"
ix_ctl A stats | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)["dataplane"]
for k in ("tun_rx_packets", "esp_tx_packets", "esp_rx_packets", "tun_tx_packets"):
    print("  %-16s %s" % (k, d.get(k)))
'
step "terminate, clean up"
ix_ctl A terminate demo
sleep 0.5
echo "demo done"
