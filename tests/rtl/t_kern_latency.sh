#!/usr/bin/env bash
# The whole kernel (engine sim) with host memory a PCIe round trip away
# (1 us: 322 cycles at 322 MHz) and random stalls on reads and writes: the
# reader's descriptor prefetch and 32 outstanding reads, with every protocol
# checker on (docs/rtl.md, "Assertions"), on the published vectors and the
# round-trip suite.  kern_bench at that latency is in make -C hw bench.
cd "$(dirname "$0")/../.."
b=${IPSECFX_BUILD:-build}/tests
n=0
for t in test_esp_vectors test_esp_roundtrip; do
	n=$((n + 1))
	if [ ! -x "$b/$t" ]; then
		echo "ok $n - $t # SKIP not built"
		continue
	fi
	out=$(IPSECFX_TEST_ENGINE=sim IPSECFX_TEST_DEVICE="rd_latency=322,in_stall=20,out_stall=20,seed=5" \
		"$b/$t" 2>&1; echo "rc=$?")
	if grep -q '^rc=0$' <<<"$out"; then
		echo "ok $n - $t on engine sim, 1 us read latency, 20 % stalls ($(grep -c '^ok' <<<"$out") cases ok)"
	else
		echo "not ok $n - $t on engine sim with latency and stalls"
		sed 's/^/# /' <<<"$out" | tail -20
	fi
done
echo "1..$n"
