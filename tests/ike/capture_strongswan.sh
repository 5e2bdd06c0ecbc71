#!/usr/bin/env bash
# Capture a real IKEv2 exchange between two Debian strongSwan (charon)
# instances in network namespaces, as ../shared/docs/interop.md sets them
# up, and write what the IKE unit tests need as JSON: every IKE datagram
# (non-ESP marker stripped), the PSK and identities, and the keys charon
# logs at level 4 (shared DH secret, SKEYSEED, SK_*, both AUTH values).
# Needs root.  KEEP=1 keeps the run directory (pcap, logs).
#
#   tests/ike/capture_strongswan.sh <out.json> [ike-proposal] [fragment_size]
#
# Topology (two namespaces, one veth pair):
#
#   [ns A: charon initiator 192.0.2.1] --vA--vB-- [ns B: charon responder 192.0.2.2]
#                                       tshark on vB
set -euo pipefail
out=$1
prop=${2:-aes256gcm16-prfsha256-x25519}
frag=${3:-}
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
tag=ipxike$$
run=$(mktemp -d /tmp/$tag.XXXX)
A=${tag}A B=${tag}B
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	ip netns del "$A" 2>/dev/null || true
	ip netns del "$B" 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $run" >&2 || rm -rf "$run"
}
trap cleanup EXIT

ip netns add "$A"
ip netns add "$B"
ip link add "v$tag" type veth peer name "w$tag"
ip link set "v$tag" netns "$A"
ip link set "w$tag" netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev "v$tag"
ip -n "$B" addr add 192.0.2.2/24 dev "w$tag"
for ns in "$A" "$B"; do
	ip -n "$ns" link set lo up
done
ip -n "$A" link set "v$tag" up
ip -n "$B" link set "w$tag" up
ip -n "$A" addr add 10.1.0.1/32 dev lo
ip -n "$B" addr add 10.2.0.1/32 dev lo

psk=0123456789abcdef0123456789abcdef
for side in A B; do
	d=$run/$side
	mkdir -p "$d"
	if [ $side = A ]; then me=192.0.2.1 peer=192.0.2.2 lts=10.1.0.1 rts=10.2.0.1
	else me=192.0.2.2 peer=192.0.2.1 lts=10.2.0.1 rts=10.1.0.1; fi
	cat > "$d/strongswan.conf" <<CONF
charon {
  load = random nonce openssl pem x509 pubkey pkcs1 pkcs8 revocation constraints kdf hmac sha2 gcm aes chapoly curve25519 vici kernel-libipsec kernel-netlink socket-default updown
  ${frag:+fragment_size = $frag}
  plugins { vici { socket = unix://$d/charon.vici } }
  filelog { log { path = $d/charon.log
                  flush_line = yes
                  default = 1
                  ike = 4 } }
}
CONF
	cat > "$d/swanctl.conf" <<CONF
connections { t {
    local_addrs = $me
    remote_addrs = $peer
    version = 2
    proposals = $prop
    encap = yes
    fragmentation = yes
    local { auth = psk
            id = $me }
    remote { auth = psk
             id = $peer }
    children { c { local_ts = $lts/32
                   remote_ts = $rts/32
                   esp_proposals = aes256gcm16
                   mode = tunnel } } } }
secrets { ike-1 { id-1 = 192.0.2.1
                  id-2 = 192.0.2.2
                  secret = "$psk" } }
CONF
done

ip netns exec "$B" tshark -q -i "w$tag" -w "$run/ike.pcap" -f "udp port 500 or udp port 4500" \
	>"$run/tshark.log" 2>&1 &
pids+=($!)
for side in A B; do
	ns=${tag}$side
	STRONGSWAN_CONF=$run/$side/strongswan.conf ip netns exec "$ns" \
		unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' \
		>"$run/$side/stdout" 2>&1 &
	pids+=($!)
done
for side in A B; do
	for _ in $(seq 50); do [ -S "$run/$side/charon.vici" ] && break; sleep 0.1; done
	swanctl --load-all --file "$run/$side/swanctl.conf" --uri "unix://$run/$side/charon.vici" >/dev/null
done
for _ in $(seq 100); do grep -q "Capturing on" "$run/tshark.log" && break; sleep 0.1; done
sleep 1 # "Capturing on" comes a little before the capture does
swanctl --initiate --child c --uri "unix://$run/A/charon.vici" >"$run/initiate.log" 2>&1 || {
	cat "$run/initiate.log" >&2; exit 1; }
sleep 1
swanctl --list-sas --uri "unix://$run/A/charon.vici" >"$run/sas.txt"
# an INFORMATIONAL exchange with a Delete payload to end with
swanctl --terminate --ike t --uri "unix://$run/A/charon.vici" >"$run/terminate.log" 2>&1 || true
sleep 1
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

# datagrams in order: direction, UDP ports, payload
tshark -r "$run/ike.pcap" -T fields -e ip.src -e udp.srcport -e udp.dstport -e udp.payload \
	>"$run/dgrams.tsv"
python3 "$here/capture_to_json.py" "$run" "$prop" "$psk" "${frag:-}" > "$out"
echo "wrote $out ($(wc -l < "$run/dgrams.tsv") datagrams)"
