#!/usr/bin/env bash
# Run one libFuzzer target: tests/fuzz/run.sh <binary> <seed dir> <seconds> [jobs]
# The working corpus $O/fuzz/corpus-<name> starts from the seeds and grows
# from run to run; crashes go to $O/fuzz/artifacts/<name>-*.  Exit status
# is the fuzzer's: non-zero when it found a crash, leak or timeout.
set -euo pipefail
bin=$1 seeds=$2 secs=$3 jobs=${4:-1}
name=$(basename "$bin")
dir=$(dirname "$bin")
work=$dir/corpus-$name
art=$dir/artifacts
mkdir -p "$work" "$art"
echo "fuzz: $name for ${secs}s (seeds $seeds, corpus $work, jobs $jobs)"
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65535
      -print_final_stats=1 -artifact_prefix="$art/$name-")
if [ "$jobs" -gt 1 ]; then
	args+=(-fork="$jobs")
fi
nice -n 10 "$bin" "${args[@]}" "$work" "$seeds"
