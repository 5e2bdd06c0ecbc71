#!/usr/bin/env bash
# The software engine's unit suites, unchanged, against engine sim (the
# whole Verilated kernel through the FPGA driver): IPSECFX_TEST_ENGINE=sim.
# cmocka prints a skipped test as "not ok N # SKIP"; it is reported as a
# skip here (the sim engine lacks, e.g., TFC padding), not as a failure.
cd "$(dirname "$0")/../.."
B=${IPSECFX_BUILD:-build}
suites="test_esp_roundtrip test_esp_malformed test_esp_vectors test_wycheproof"
if [ ! -x "$B/ipsecfx" ] || ! "$B/ipsecfx" engines | grep -qx sim; then
	echo "ok 1 - software suites on engine sim # SKIP no sim engine in $B"
	exit 0
fi
rc=0
for s in $suites; do
	if [ ! -x "$B/tests/$s" ]; then
		echo "not ok - $s not built"
		rc=1
		continue
	fi
	CMOCKA_MESSAGE_OUTPUT=TAP IPSECFX_TEST_ENGINE=sim "$B/tests/$s" 2>&1 |
		sed -E "s/^not ok ([0-9]+) # SKIP (.*)/ok \1 # SKIP $s: \2 (engine sim)/; s/^(not )?ok ([0-9]+) - /\1ok \2 - $s: /"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done
exit $rc
