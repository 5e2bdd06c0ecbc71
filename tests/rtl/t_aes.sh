#!/usr/bin/env bash
# aes_enc_pipe (the AES core of the RTL pipeline) in Verilator against
# FIPS-197 appendix C and SP 800-38A F.1 ECB vectors.
cd "$(dirname "$0")/../.."
tb=${IPSECFX_BUILD:-build}/hw/tb_aes
if [ ! -x "$tb" ]; then
	echo "ok 1 - aes_enc_pipe # SKIP $tb not built"
	exit 0
fi
exec "$tb" tests/vectors/aes/fips197_sp800-38a_ecb.json
