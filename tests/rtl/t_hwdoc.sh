#!/usr/bin/env bash
# docs/hw-interface.md carries the contract's tables as gen_contract -m
# prints them: fail when they are stale (make contract refreshes them).
cd "$(dirname "$0")/../.."
gen=${IPSECFX_BUILD:-build}/hw/gen_contract
if [ ! -x "$gen" ]; then
	echo "ok 1 - hw-interface tables # SKIP $gen not built"
	exit 0
fi
if diff <("$gen" -m) <(awk '/<!-- generated: end -->/ { p = 0 } p; /<!-- generated: begin -->/ { p = 1 }' \
		docs/hw-interface.md) >/dev/null; then
	echo "ok 1 - docs/hw-interface.md tables match the contract"
else
	echo "not ok 1 - docs/hw-interface.md tables are stale: run 'make contract'"
fi
echo "1..1"
