#!/usr/bin/env bash
# gcm_pipe (AES-CTR, GHASH, tag: the GCM core of the RTL pipeline) in
# Verilator against Wycheproof AES-GCM and the draft-mcgrew ESP payloads.
cd "$(dirname "$0")/../.."
tb=${IPSECFX_BUILD:-build}/hw/tb_gcm
if [ ! -x "$tb" ]; then
	echo "ok 1 - gcm_pipe # SKIP $tb not built"
	exit 0
fi
exec "$tb" tests/vectors/wycheproof/aes_gcm_test.json \
	tests/vectors/esp/draft-mcgrew-gcm-test-01_esp_gcm.json
