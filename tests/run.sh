#!/usr/bin/env bash
# Runs every test suite and prints one TAP stream per suite, then a summary
# that ends with the line "N passed, N failed".
#
# Suites: the cmocka binaries $O/tests/test_* (TAP through
# CMOCKA_MESSAGE_OUTPUT) and the scripts tests/*/t_*.sh, which print TAP
# themselves.  A skipped test counts as neither passed nor failed and is
# listed with its reason.  TESTS=pattern runs only suites whose name matches.
set -uo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
export O
export IPSECFX_BUILD=$PWD/$O
pass=0 fail=0 skip=0
failed_list=() skipped_list=()

run_suite() {
	local name=$1; shift
	local out rc start end
	[ -n "${TESTS:-}" ] && [[ "$name" != *${TESTS}* ]] && return
	start=$(date +%s)
	out=$("$@" 2>&1)
	rc=$?
	end=$(date +%s)
	local p f s
	# a SKIP directive makes a skip of "ok" and "not ok" alike (cmocka
	# prints skipped tests as "not ok N # SKIP")
	p=$(grep -E '^ok [0-9]+' <<<"$out" | grep -cvE '# *SKIP' | tr -d ' ')
	s=$(grep -cE '^(not )?ok [0-9]+.*# *SKIP' <<<"$out" | tr -d ' ')
	f=$(grep -E '^not ok [0-9]+' <<<"$out" | grep -cvE '# *SKIP' | tr -d ' ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# crashed or exited badly without reporting a failure: count it
		f=1
		out+=$'\n'"not ok - $name exited with status $rc"
	fi
	if [ "$f" -gt 0 ] || [ "${VERBOSE:-0}" = 1 ]; then
		printf '%s\n' "$out"
	fi
	while IFS= read -r l; do failed_list+=("$name: $l"); done < <(grep -E '^not ok' <<<"$out" | grep -vE '# *SKIP')
	while IFS= read -r l; do skipped_list+=("$name: $l"); done < <(grep -E '^(not )?ok [0-9]+.*# *SKIP' <<<"$out")
	printf '%-28s %4d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$s" $((end - start))
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
for t in tests/*/t_*.sh; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$(dirname "$t")")/$(basename "$t" .sh)" "$t"
done

echo
if [ ${#skipped_list[@]} -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${skipped_list[@]}"
fi
if [ ${#failed_list[@]} -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failed_list[@]}"
fi
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
