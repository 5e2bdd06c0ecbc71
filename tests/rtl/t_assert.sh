#!/usr/bin/env bash
# The protocol checkers (hw/rtl/*_check.sv, compiled into every Verilator
# model with --assert): legal traffic with waits fires none; each rule broken
# on purpose, once, stops the model at that assertion, which names the port
# and the rule; and the checker on esp_top's input fires inside the whole
# pipeline model.  hw/sim/tb/tb_assert.cpp drives them.
cd "$(dirname "$0")/../.."
tb=${IPSECFX_BUILD:-build}/hw/tb_assert
if [ ! -x "$tb" ]; then
	echo "ok 1 - checkers # SKIP $tb not built"
	exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
fail=0
while read -r name port rule; do
	n=$((n + 1))
	# a subshell that is not just the command: its "Aborted" goes to $out too
	( "$tb" "$name"; exit $? ) >"$out" 2>&1
	rc=$?
	if [ "$name" = legal ]; then
		if [ $rc -eq 0 ] && ! grep -q '%Error' "$out"; then
			echo "ok $n - legal traffic on every port, with waits: no assertion fires"
		else
			echo "not ok $n - legal traffic: exit $rc"; sed 's/^/# /' "$out"; fail=1
		fi
		continue
	fi
	# Verilator prints "%Error: FILE:LINE: Assertion failed in SCOPE.RULE: PORT: ..."
	# then aborts
	line=$(grep -m1 "Assertion failed" "$out")
	if [ $rc -ne 0 ] && [ $rc -ne 3 ] && [[ "$line" == *".$rule:"* ]] &&
		[[ "$line" == *" $port"* ]]; then
		echo "ok $n - $name: $rule fires on $port, exit $rc (${line#*Assertion failed in })"
	else
		echo "not ok $n - $name: expected $rule on $port, exit $rc"
		sed 's/^/# /' "$out"
		fail=1
	fi
done < <("$tb" list | sed 's/^legal $/legal - -/')
echo "1..$n"
exit $fail
