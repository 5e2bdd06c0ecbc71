#!/usr/bin/env bash
# make bench: every benchmark, each printing its reference from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
echo "== bench/esp: software ESP engine vs raw intel-ipsec-mb and OpenSSL EVP (one core)"
"$O"/bench/bench_esp "$@"
echo
echo "== bench/tunnel: one TCP stream through two appliances (ipsecfxd; dp_static) vs plain veth and strongSwan"
bench/tunnel/bench_tunnel.sh
echo
echo "== bench/ike: 1000 IKE set-ups from many addresses (ikegen) against ipsecfxd and strongSwan as responders"
SKIP_BUILD=1 O="$O" bench/ike/run.sh --tunnels 1000
