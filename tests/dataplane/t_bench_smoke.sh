#!/usr/bin/env bash
# A few seconds of bench/tunnel so that the benchmark does not rot: plain
# veth and one ipsecfxd <-> ipsecfxd tunnel (IKEv2, AES-256-GCM), 1 s each.
# Checks that the script runs, the tunnel comes up and carries traffic, the
# summary and the target line are printed, the round-trip split
# (BENCH_RTT=1, rtt_split.py) finds the stream in its captures, and the
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
if [ -n "$why" ]; then
	tap_skip "bench/tunnel smoke" "$why"
	tap_done
	exit 0
fi

err=$(mktemp)
trap 'rm -f "$err"' EXIT
out=$(cd "$root" && O=$(realpath --relative-to="$root" "$IPSECFX_BUILD") \
	BENCH_SECONDS=1 BENCH_ROUNDS=1 BENCH_VARIANTS=ipsecfxd BENCH_RTT=1 \
	timeout 60 bench/tunnel/bench_tunnel.sh 2>"$err")
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
tap_check "no tunnel failure, no sanitizer report" test ! -s "$err"
[ -s "$err" ] && tap_diag <"$err"
tap_done
