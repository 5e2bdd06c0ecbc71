#!/usr/bin/env bash
# make -C hw lint: verilator --lint-only -Wall over the whole pipeline
# (top esp_top) must print no warning.
cd "$(dirname "$0")/../.."
if ! command -v verilator >/dev/null 2>&1; then
	echo "ok 1 - verilator lint # SKIP verilator is not installed"
	echo "1..1"
	exit 0
fi
unset MAKEFLAGS MFLAGS MAKELEVEL
out=$(make -s --no-print-directory -C hw lint 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && ! grep -q '%Warning\|%Error' <<<"$out"; then
	echo "ok 1 - $(tail -n 1 <<<"$out")"
else
	sed 's/^/# /' <<<"$out" | head -40
	echo "not ok 1 - make -C hw lint: verilator --lint-only -Wall reports problems"
fi
echo "1..1"
