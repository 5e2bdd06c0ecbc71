#!/usr/bin/env bash
# The RTL cycle benchmark (make -C hw bench runs it too): sustained bytes per
# clock of the Verilated pipeline must reach 0.9 x 16 at 1500 bytes, encrypt
# and decrypt (rtl_bench's exit status).  The table goes to the TAP
# comments.
cd "$(dirname "$0")/../.."
b=${IPSECFX_BUILD:-build}/hw/rtl_bench
if [ ! -x "$b" ]; then
	echo "ok 1 - rtl_bench # SKIP $b not built"
	echo "1..1"
	exit 0
fi
json=$(mktemp)
trap 'rm -f "$json"' EXIT
out=$("$b" --json "$json" 2>&1)
rc=$?
sed 's/^/# /' <<<"$out"
if [ "$rc" -eq 0 ] && grep -q '^target: .* met, decrypt .* met$' <<<"$out"; then
	echo "ok 1 - $(grep '^target:' <<<"$out")"
else
	echo "not ok 1 - rtl_bench: 1500-byte target missed or benchmark failed (status $rc)"
fi
# the fields make -C hw bench JSON=1 prints (scripts read them)
if python3 - "$json" <<'EOF_PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["data_w"] == 128
sizes = {(c["size"], c["dir"]) for c in r["cases"]}
for s in (64, 1500, 9000, "imix"):
    for d in ("encrypt", "decrypt"):
        assert (s, d) in sizes, (s, d)
for c in r["cases"]:
    assert c["bytes_per_clock"] > 0 and c["packets_per_clock"] > 0, c
EOF_PY
then
	echo "ok 2 - rtl_bench --json: data_w 128, cases for 64, 1500, 9000 and imix each way, bytes and packets per clock"
else
	echo "not ok 2 - rtl_bench --json: fields missing"
fi
echo "1..2"
