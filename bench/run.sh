#!/usr/bin/env bash
# make bench: every benchmark, each printing its reference from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
O=${O:-build}
echo "== bench/esp: software ESP engine vs raw intel-ipsec-mb and OpenSSL EVP (one core)"
"$O"/bench/bench_esp "$@"
