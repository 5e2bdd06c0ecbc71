#!/usr/bin/env bash
# A few seconds of bench/tunnel so that the benchmark does not rot: plain
# veth, one ipsecfxd <-> ipsecfxd tunnel (IKEv2, AES-256-GCM) and the
# many-Child-SA variants (full10k and udp10k, scaled down to 1,000 Child
# SAs with 100 busy, and udp1, its one-pair reference), 1 s each.
# Checks that the script runs, the tunnel comes up and carries traffic, the
# summary and the target line are printed, the round-trip split
# (BENCH_RTT=1, rtt_split.py) finds the stream in its captures, the
# many-Child-SA variants carry traffic over all their busy children, and the
# daemons leave no sanitizer report.  No figure is judged here: that is
# `make bench`'s job.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)

why=
[ "$(id -u)" = 0 ] || why="needs root (network namespaces, TUN)"
[ -z "$why" ] && { [ -c /dev/net/tun ] || why="no /dev/net/tun"; }
[ -z "$why" ] && { ip netns add dpsmk$$ 2>/dev/null && ip netns del dpsmk$$ || why="cannot create network namespaces"; }
[ -z "$why" ] && ! command -v iperf3 >/dev/null && why="iperf3 missing (scripts/deps.sh installs it)"
[ -z "$why" ] && ! command -v dumpcap >/dev/null && why="dumpcap missing (scripts/deps.sh installs tshark)"
[ -z "$why" ] && [ ! -x "$IPSECFX_BUILD/ipsecfxd" ] && why="$IPSECFX_BUILD/ipsecfxd not built"
[ -z "$why" ] && [ ! -x "$IPSECFX_BUILD/bench/tcpspread" ] && why="$IPSECFX_BUILD/bench/tcpspread not built"
[ -z "$why" ] && [ ! -x "$IPSECFX_BUILD/bench/udpspread" ] && why="$IPSECFX_BUILD/bench/udpspread not built"
if [ -n "$why" ]; then
	tap_skip "bench/tunnel smoke" "$why"
	tap_done
	exit 0
fi

err=$(mktemp)
keep=$(mktemp -d)
trap 'rm -rf "$err" "$keep"' EXIT
out=$(cd "$root" && O=$(realpath --relative-to="$root" "$IPSECFX_BUILD") \
	BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_VARIANTS="ipsecfxd full10k udp1 udp10k" BENCH_RTT=1 \
	BENCH_CHILDREN=1000 BENCH_ACTIVE=100 BENCH_KEEP="$keep" \
	timeout 90 bench/tunnel/bench_tunnel.sh 2>"$err")
rc=$?
printf '%s\n' "$out" | tap_diag

tap_check "bench/tunnel exits 0" test $rc -eq 0
tap_check "bench/tunnel ran (not skipped)" grep -q '^bench/tunnel: iperf3' <<<"$out"
line=$(grep '^ipsecfxd <-> ipsecfxd' <<<"$out" | tail -1)
tap_check "the ipsecfxd tunnel carried traffic: $line" \
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { exit !($i > 0) } exit 1 }' <<<"$line"
tap_check "the target line names the ipsecfxd figure" grep -q '^target: ipsecfxd >= 0.45 x veth' <<<"$out"
tap_check "BENCH_RTT: the round trip split into its legs" \
	grep -Eq "^ +A's daemon +ESP in -> ACK +p10 +[0-9]+ .*\(n=[0-9]+\)" <<<"$out"
line=$(grep '^dp_static: 1000 Child SAs, 100 busy' <<<"$out" | tail -1)
tap_check "full10k carried traffic: $line" \
	awk '{ exit !($(NF - 1) > 0) }' <<<"$line"
tap_check "full10k: 1000 Child SAs installed on each side, 100 of them carried data" \
	python3 -c '
import json, sys
for s in "AB":
    j = json.load(open(sys.argv[1] + "/full10k.st" + s))
    busy = sum(1 for c in j["child_sas"] if c["out_packets"] and c["in_packets"])
    sys.exit(0 if len(j["child_sas"]) == 1000 and busy == 100 else 1)' "$keep"
line=$(grep '^dp_static: 1000 Child SAs, UDP over 100' <<<"$out" | tail -1)
tap_check "udp10k carried traffic: $line" \
	awk '{ exit !($(NF - 1) > 0) }' <<<"$line"
tap_check "udp10k: all 100 busy pairs received datagrams" \
	grep -q 'udpspread server: [0-9]* datagrams in the window over 100 pairs, 100 of them with data, 0 with none' \
	"$keep/udp.log"
tap_check "the udp10k target line" grep -q '^target: udp10k >= 0.9 x udp1' <<<"$out"
tap_check "full10k: its resident memory line" grep -q '^resident memory, dp_static: 1000 Child SAs' <<<"$out"
tap_check "no tunnel failure, no sanitizer report" test ! -s "$err"
[ -s "$err" ] && tap_diag <"$err"
tap_done
