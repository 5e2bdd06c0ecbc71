#!/usr/bin/env bash
# Fuzz smoke test (TAP), part of make test: builds the libFuzzer targets
# (make fuzz-build) if needed and runs each from its committed seeds for a
# share of FUZZ_SMOKE_SECONDS (default 12 s for each target, whatever
# their number; at least 5 per target) in a scratch corpus, one TAP line
# per target.  A crash, sanitizer report or leak fails the target; its
# input is kept in $O/fuzz/artifacts/.  Long runs: make fuzz.
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
unset MAKEFLAGS MFLAGS MAKELEVEL

if ! command -v clang >/dev/null 2>&1; then
	echo "1..1"
	echo "ok 1 # SKIP clang is not installed (libFuzzer needs it)"
	exit 0
fi
mapfile -t targets < <(make -s --no-print-directory O="$O" fuzz-targets)
n=${#targets[@]}
secs=${FUZZ_SMOKE_SECONDS:-$((12 * n))}
echo "1..$n"
log=$(mktemp)
scratch=$(mktemp -d)
trap 'rm -rf "$log" "$scratch"' EXIT
if ! nice -n 10 make -s --no-print-directory O="$O" fuzz-build >"$log" 2>&1; then
	if grep -q "fuzzer" "$log" && grep -qi "cannot find\|no such file" "$log"; then
		for ((i = 1; i <= n; i++)); do echo "ok $i # SKIP libFuzzer runtime missing (libclang-rt-14-dev)"; done
		exit 0
	fi
	sed 's/^/# /' "$log"
	for ((i = 1; i <= n; i++)); do echo "not ok $i - ${targets[i-1]%% *}: build failed"; done
	exit 1
fi
per=$((secs / n))
[ "$per" -lt 5 ] && per=5
mkdir -p "$O/fuzz/artifacts"
fail=0
for ((i = 1; i <= n; i++)); do
	read -r name seeds <<<"${targets[i-1]}"
	mkdir -p "$scratch/$name"
	if nice -n 10 "$O/fuzz/$name" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$O/fuzz/artifacts/$name-" \
		"$scratch/$name" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log")
		echo "ok $i - $name: ${runs:-?} runs in ${per}s from $(ls "$seeds" | wc -l) seeds, ${cov:-?} edges, no crash"
	else
		grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$log" | head -20 | sed 's/^/# /'
		echo "not ok $i - $name: crashed (input in $O/fuzz/artifacts/)"
		fail=1
	fi
done
exit $fail
