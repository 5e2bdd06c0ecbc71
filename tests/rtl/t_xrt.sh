#!/usr/bin/env bash
# engine xrt where there is no XRT (or no card): a clear message and a
# clean failure from the command, never a crash.
cd "$(dirname "$0")/../.."
B=${IPSECFX_BUILD:-build}
bin=$B/ipsecfx
n=0
tap() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
if [ ! -x "$bin" ]; then
	echo "ok 1 - engine xrt # SKIP $bin not built"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" engines | grep -qx xrt
tap $? "ipsecfx engines lists xrt"
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,101))' >"$tmp/in.pcap"
cat > "$tmp/sa.yaml" <<'YAML'
sas:
  - spi: 0x2a000001
    cipher: aes256gcm16
    key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"
    src: 192.0.2.1
    dst: 192.0.2.2
YAML
"$bin" esp encrypt --sa "$tmp/sa.yaml" --engine xrt "$tmp/in.pcap" "$tmp/out.pcap" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ]
tap $? "ipsecfx esp --engine xrt fails cleanly (exit $rc)"
grep -q "xrt:" "$tmp/err"
tap $? "and says why: $(head -1 "$tmp/err")"
# the daemon: engine xrt without XRT or a card refuses to start, saying why;
# engine auto starts on software and says why
printf 'engine: xrt\ncontrol: %s/x.sock\nconnections: []\n' "$tmp" >"$tmp/xrt.yaml"
timeout 20 "$B/ipsecfxd" -c "$tmp/xrt.yaml" -f >"$tmp/d.out" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 124 ] && grep -q "xrt: " "$tmp/d.out"
tap $? "ipsecfxd with engine: xrt exits $rc and says why: $(grep -m1 'xrt: ' "$tmp/d.out" | cut -c1-150)"
printf 'engine: auto\ncontrol: %s/a.sock\nconnections: []\n' "$tmp" >"$tmp/auto.yaml"
"$B/ipsecfxd" -c "$tmp/auto.yaml" -f >"$tmp/a.out" 2>&1 &
apid=$!
for _ in $(seq 50); do grep -q 'engine auto' "$tmp/a.out" && break; sleep 0.1; done
sleep 0.3
kill -0 $apid 2>/dev/null && grep -q 'engine auto:.*software engine' "$tmp/a.out"
tap $? "ipsecfxd with engine: auto runs on software and says why: $(grep -m1 'engine auto' "$tmp/a.out" | cut -c1-150)"
kill $apid 2>/dev/null; wait $apid 2>/dev/null
echo "1..$n"
