#!/usr/bin/env bash
# ipsecfx esp encrypt|decrypt over pcap files, checked by decoders nobody on
# this project wrote: tshark decrypts and dissects what ipsecfx encrypted
# (SPI, sequence numbers, outer and inner checksums, the inner packets), and
# scapy's SecurityAssociation both decrypts ipsecfx's packets (ICV verified)
# and encrypts packets for ipsecfx to decrypt.  Then bad input: a broken SA
# file, a missing pcap, an unknown engine, garbage packets.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
IPSECFX=$IPSECFX_BUILD/ipsecfx
PY="/usr/bin/python3 $here/esp_scapy.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CONFIG_HOME=$T/cfg
mkdir -p "$XDG_CONFIG_HOME/wireshark"

if ! command -v tshark >/dev/null || ! /usr/bin/python3 -c 'import scapy' 2>/dev/null; then
	tap_skip "pcap tool" "tshark or python3-scapy missing (scripts/deps.sh installs them)"
	tap_done
	exit 0
fi

KEY36=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
KEY32=${KEY36:0:64}
IKEY=f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f

# sa_yaml FILE CIPHER KEY [extra yaml lines...]
sa_yaml() {
	local f=$1 cipher=$2 key=$3
	shift 3
	{
		echo "sas:"
		echo "  - spi: 0x00001234"
		echo "    cipher: $cipher"
		echo "    key: 0x$key"
		for l in "$@"; do echo "    $l"; done
	} >"$f"
}

# esp_sa UAT line for tshark
uat() { # src dst encr key auth authkey
	printf '"%s","%s","%s","0x00001234","%s","0x%s","%s","%s"\n' \
		"$([[ $1 == *:* ]] && echo IPv6 || echo IPv4)" "$1" "$2" "$3" "$4" "$5" "$6" \
		>"$XDG_CONFIG_HOME/wireshark/esp_sa"
}

tsh() { tshark -o esp.enable_encryption_decode:TRUE -o ip.check_checksum:TRUE \
	-o udp.check_checksum:TRUE "$@" 2>/dev/null; }

$PY gen v4 "$T/v4.pcap"
$PY gen v6 "$T/v6.pcap"
$PY gen ether "$T/ether.pcap"

# --- AES-256-GCM tunnel, IPv4: tshark decodes, scapy verifies -----------------
sa_yaml "$T/gcm.yaml" aes256gcm16 "$KEY36" "mode: tunnel" "src: 192.0.2.1" "dst: 192.0.2.2"
tap_check "encrypt aes256gcm16 tunnel IPv4" "$IPSECFX" esp encrypt --sa "$T/gcm.yaml" "$T/v4.pcap" "$T/gcm.pcap"
uat 192.0.2.1 192.0.2.2 "AES-GCM with 16 octet ICV [RFC4106]" "$KEY36" NULL ""
got=$(tsh -r "$T/gcm.pcap" -T fields -e esp.spi -e esp.sequence -e ip.id -e ip.checksum.status | head -3)
exp=$'0x00001234\t1\t0x0001,0x0000\t1,1\n0x00001234\t2\t0x0002,0x0001\t1,1\n0x00001234\t3\t0x0003,0x0002\t1,1'
if [ "$got" = "$exp" ]; then
	tap_ok "tshark: SPI, sequence numbers, outer ID = seq, inner packets, both IPv4 checksums good"
else
	tap_fail "tshark: SPI, sequence numbers, outer ID = seq, inner packets, both IPv4 checksums good"
	printf 'got:\n%s\nexpected:\n%s\n' "$got" "$exp" | tap_diag
fi
n=$(tsh -r "$T/gcm.pcap" -Y "esp && ip.src == 10.1.0.1 && udp.dstport == 53" | wc -l)
[ "$n" = 40 ] && tap_ok "tshark decrypts all 40 inner UDP packets" || tap_fail "tshark decrypts all 40 inner UDP packets (got $n)"
icv=$(tsh -o esp.enable_authentication_check:TRUE -r "$T/gcm.pcap" -c 1 -V | grep -c 'ESP ICV: .*\[correct\]')
[ "$icv" = 1 ] && tap_ok "tshark: ICV correct" || tap_fail "tshark: ICV correct"
cat >"$T/gcm.json" <<EOF
{"spi": 4660, "crypt": "AES-GCM", "key": "$KEY36", "src": "192.0.2.1", "dst": "192.0.2.2"}
EOF
tap_check "scapy decrypts ipsecfx's AES-GCM packets (ICV verified)" $PY decrypt "$T/gcm.json" "$T/gcm.pcap" "$T/gcm.dec.pcap"
tap_check "scapy's plaintext equals the input" $PY same "$T/v4.pcap" "$T/gcm.dec.pcap"
tap_check "ipsecfx decrypt gives the input back" "$IPSECFX" esp decrypt --sa "$T/gcm.yaml" "$T/gcm.pcap" "$T/gcm.back.pcap"
tap_check "round trip equals the input" $PY same "$T/v4.pcap" "$T/gcm.back.pcap"
tap_check "scapy encrypts, AES-GCM" $PY encrypt "$T/gcm.json" "$T/v4.pcap" "$T/scapy.pcap"
tap_check "ipsecfx decrypts scapy's packets" "$IPSECFX" esp decrypt --sa "$T/gcm.yaml" "$T/scapy.pcap" "$T/scapy.dec.pcap"
tap_check "and gets the input back" $PY same "$T/v4.pcap" "$T/scapy.dec.pcap"

# --- NAT-T (UDP 4500) over IPv6 outer, IPv6 inner ----------------------------
sa_yaml "$T/v6.yaml" aes128gcm16 "${KEY36:0:40}" "mode: tunnel" "src: 2001:db8::1" "dst: 2001:db8::2" \
	"encap: {sport: 4500, dport: 4500}" "esn: true" "seq: 4294967290"
tap_check "encrypt aes128gcm16, UDP-encapsulated, IPv6 outer, ESN across 2^32" \
	"$IPSECFX" esp encrypt --sa "$T/v6.yaml" "$T/v6.pcap" "$T/v6e.pcap"
uat 2001:db8::1 2001:db8::2 "AES-GCM with 16 octet ICV [RFC4106]" "${KEY36:0:40}" NULL ""
got=$(tsh -r "$T/v6e.pcap" -T fields -e udp.srcport -e udp.checksum.status -e esp.sequence -e tcp.srcport | sed -n '1p;7p')
exp=$'4500\t1\t4294967290\t2000\n4500\t1\t0\t2006'
if [ "$got" = "$exp" ]; then
	tap_ok "tshark: UDP 4500, UDP checksum over IPv6 good, low sequence half wraps, inner TCP decoded"
else
	tap_fail "tshark: UDP 4500, UDP checksum over IPv6 good, low sequence half wraps, inner TCP decoded"
	printf 'got:\n%s\nexpected:\n%s\n' "$got" "$exp" | tap_diag
fi
tap_check "decrypt it back" "$IPSECFX" esp decrypt --sa "$T/v6.yaml" "$T/v6e.pcap" "$T/v6.back.pcap"
tap_check "equals the input" $PY same "$T/v6.pcap" "$T/v6.back.pcap"

# --- NAT-T over IPv4 against scapy -------------------------------------------
sa_yaml "$T/natt.yaml" aes256gcm16 "$KEY36" "mode: tunnel" "src: 192.0.2.1" "dst: 192.0.2.2" \
	"encap: {sport: 4500, dport: 4500}"
cat >"$T/natt.json" <<EOF
{"spi": 4660, "crypt": "AES-GCM", "key": "$KEY36", "src": "192.0.2.1", "dst": "192.0.2.2", "nat_t": true}
EOF
"$IPSECFX" esp encrypt --sa "$T/natt.yaml" "$T/v4.pcap" "$T/natt.pcap" 2>/dev/null
tap_check "scapy decrypts UDP-encapsulated packets" $PY decrypt "$T/natt.json" "$T/natt.pcap" "$T/natt.dec.pcap"
tap_check "to the input" $PY same "$T/v4.pcap" "$T/natt.dec.pcap"
$PY encrypt "$T/natt.json" "$T/v4.pcap" "$T/natt.scapy.pcap"
tap_check "ipsecfx decrypts scapy's UDP-encapsulated packets" "$IPSECFX" esp decrypt --sa "$T/natt.yaml" "$T/natt.scapy.pcap" "$T/natt.scapy.dec.pcap"
tap_check "to the input" $PY same "$T/v4.pcap" "$T/natt.scapy.dec.pcap"

# --- AES-CBC + HMAC-SHA-256-128 and ChaCha20-Poly1305 -------------------------
sa_yaml "$T/cbc.yaml" aes256-sha256 "$KEY32" "integ_key: 0x$IKEY" "mode: tunnel" "src: 192.0.2.1" "dst: 192.0.2.2"
"$IPSECFX" esp encrypt --sa "$T/cbc.yaml" "$T/v4.pcap" "$T/cbc.pcap" 2>/dev/null
uat 192.0.2.1 192.0.2.2 "AES-CBC [RFC3602]" "$KEY32" "HMAC-SHA-256-128 [RFC4868]" "0x$IKEY"
n=$(tsh -r "$T/cbc.pcap" -Y "esp && udp.dstport == 53" | wc -l)
[ "$n" = 40 ] && tap_ok "tshark decrypts AES-CBC/HMAC-SHA-256 packets" || tap_fail "tshark decrypts AES-CBC/HMAC-SHA-256 packets (got $n)"
# (tshark 4.0 reports the ICV check on the first packet of an SA only; scapy
# verifies every ICV below)
icv=$(tsh -o esp.enable_authentication_check:TRUE -r "$T/cbc.pcap" -c 1 -V | grep -c 'ESP ICV: .*\[correct\]')
[ "$icv" = 1 ] && tap_ok "tshark: HMAC-SHA-256-128 ICV correct" || tap_fail "tshark: HMAC-SHA-256-128 ICV correct"
cat >"$T/cbc.json" <<EOF
{"spi": 4660, "crypt": "AES-CBC", "key": "$KEY32", "auth": "SHA2-256-128", "auth_key": "$IKEY", "src": "192.0.2.1", "dst": "192.0.2.2"}
EOF
tap_check "scapy decrypts AES-CBC/HMAC-SHA-256 (ICV verified)" $PY decrypt "$T/cbc.json" "$T/cbc.pcap" "$T/cbc.dec.pcap"
tap_check "to the input" $PY same "$T/v4.pcap" "$T/cbc.dec.pcap"
$PY encrypt "$T/cbc.json" "$T/v4.pcap" "$T/cbc.scapy.pcap"
"$IPSECFX" esp decrypt --sa "$T/cbc.yaml" "$T/cbc.scapy.pcap" "$T/cbc.scapy.dec.pcap" 2>/dev/null
tap_check "ipsecfx decrypts scapy's AES-CBC/HMAC packets" $PY same "$T/v4.pcap" "$T/cbc.scapy.dec.pcap"
sa_yaml "$T/cc.yaml" chacha20poly1305 "$KEY36" "mode: tunnel" "src: 192.0.2.1" "dst: 192.0.2.2"
"$IPSECFX" esp encrypt --sa "$T/cc.yaml" "$T/v4.pcap" "$T/cc.pcap" 2>/dev/null
uat 192.0.2.1 192.0.2.2 "ChaCha20 with Poly1305 [RFC7634]" "$KEY36" NULL ""
if tshark -r "$T/cc.pcap" -c 1 2>&1 | grep -q "invalid value: ChaCha20"; then
	tap_skip "tshark decrypts ChaCha20-Poly1305 packets" "this tshark ($(tshark -v 2>/dev/null | head -1 | cut -d' ' -f3)) cannot decrypt ChaCha20-Poly1305 ESP; scapy checks it"
else
	n=$(tsh -r "$T/cc.pcap" -Y "esp && udp.dstport == 53" | wc -l)
	[ "$n" = 40 ] && tap_ok "tshark decrypts ChaCha20-Poly1305 packets" || tap_fail "tshark decrypts ChaCha20-Poly1305 packets (got $n)"
fi
cat >"$T/cc.json" <<EOF
{"spi": 4660, "crypt": "CHACHA20-POLY1305", "key": "$KEY36", "src": "192.0.2.1", "dst": "192.0.2.2"}
EOF
tap_check "scapy decrypts ChaCha20-Poly1305 (ICV verified)" $PY decrypt "$T/cc.json" "$T/cc.pcap" "$T/cc.dec.pcap"
tap_check "to the input" $PY same "$T/v4.pcap" "$T/cc.dec.pcap"

# --- transport mode and Ethernet/VLAN input ----------------------------------
sa_yaml "$T/tr.yaml" aes256gcm16 "$KEY36" "mode: transport"
"$IPSECFX" esp encrypt --sa "$T/tr.yaml" "$T/v4.pcap" "$T/tr.pcap" 2>/dev/null
uat 10.1.0.1 10.2.0.1 "AES-GCM with 16 octet ICV [RFC4106]" "$KEY36" NULL ""
got=$(tsh -r "$T/tr.pcap" -T fields -e ip.src -e ip.proto -e esp.sequence -e udp.srcport -e ip.checksum.status | head -2)
exp=$'10.1.0.1\t50\t1\t1000\t1\n10.1.0.1\t50\t2\t1001\t1'
[ "$got" = "$exp" ] && tap_ok "transport mode: tshark sees ESP in the original header, checksum good, UDP inside" \
	|| { tap_fail "transport mode: tshark sees ESP in the original header"; printf '%s\n' "$got" | tap_diag; }
"$IPSECFX" esp decrypt --sa "$T/tr.yaml" "$T/tr.pcap" "$T/tr.back.pcap" 2>/dev/null
tap_check "transport mode round trip equals the input" $PY same "$T/v4.pcap" "$T/tr.back.pcap"
out=$("$IPSECFX" esp encrypt --json --sa "$T/gcm.yaml" "$T/ether.pcap" "$T/eth.pcap" 2>/dev/null)
if /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if (d["written"],d["not_ip"])==(10,1) else 1)' <<<"$out"; then
	tap_ok "Ethernet and 802.1Q input: 10 IP packets encrypted, the ARP frame counted as not IP"
else
	tap_fail "Ethernet and 802.1Q input"
	printf '%s\n' "$out" | tap_diag
fi

# --- bad input -----------------------------------------------------------------
printf 'sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: 0x0011\n    mode: tunnel\n    src: 192.0.2.1\n    dst: 192.0.2.2\n' >"$T/bad1.yaml"
err=$("$IPSECFX" esp encrypt --sa "$T/bad1.yaml" "$T/v4.pcap" "$T/x.pcap" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "bad1.yaml:4: sas\[0\].key: 2 bytes, need 36" <<<"$err" \
	&& tap_ok "short key: exit 1, error names file, line and key" \
	|| { tap_fail "short key: error names file, line and key"; printf '%s\n' "$err" | tap_diag; }
printf 'sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: 0x%s\n    mode: tunel\n' "$KEY36" >"$T/bad2.yaml"
err=$("$IPSECFX" esp encrypt --sa "$T/bad2.yaml" "$T/v4.pcap" "$T/x.pcap" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "bad2.yaml:5: sas\[0\].mode:" <<<"$err" \
	&& tap_ok "unknown mode: error names line 5 and sas[0].mode" \
	|| { tap_fail "unknown mode: error names the line"; printf '%s\n' "$err" | tap_diag; }
err=$("$IPSECFX" esp encrypt --sa "$T/gcm.yaml" "$T/nonexistent.pcap" "$T/x.pcap" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "nonexistent.pcap" <<<"$err" && tap_ok "missing input pcap: clear error" \
	|| { tap_fail "missing input pcap: clear error"; printf '%s\n' "$err" | tap_diag; }
err=$("$IPSECFX" esp encrypt --sa "$T/gcm.yaml" --engine warp "$T/v4.pcap" "$T/x.pcap" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no backend named 'warp'" <<<"$err" && tap_ok "unknown engine: clear error" \
	|| { tap_fail "unknown engine: clear error"; printf '%s\n' "$err" | tap_diag; }
/usr/bin/python3 - "$T/gcm.pcap" "$T/garbage.pcap" <<'EOF'
import sys, random
from scapy.all import rdpcap
from scapy.utils import RawPcapWriter
random.seed(1)
pk = [bytes(p) for p in rdpcap(sys.argv[1])][:10]
out = []
for p in pk:
    out.append(p[:random.randrange(1, len(p))])          # truncated
    b = bytearray(p); b[-1] ^= 1; out.append(bytes(b))   # bad ICV
out.append(pk[0])                                        # genuine
out.append(pk[0])                                        # replay
out.append(bytes(random.getrandbits(8) for _ in range(60)))  # noise
w = RawPcapWriter(sys.argv[2], linktype=101)
for b in out:
    w.write(b)
w.close()
EOF
out=$("$IPSECFX" esp decrypt --json --sa "$T/gcm.yaml" "$T/garbage.pcap" "$T/g.out.pcap" 2>"$T/g.err"); rc=$?
if [ $rc = 0 ] && /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
drops = dict(d["engine_drops"])
for k, v in d["sas"][0]["drops"].items():
    drops[k] = drops.get(k, 0) + v
ok = d["written"] == 1 and d["dropped"] == d["read"] - 1 and sum(drops.values()) == d["dropped"] \
     and drops.get("auth_failed", 0) == 10 and drops.get("replayed", 0) == 1
print(d, file=sys.stderr)
sys.exit(0 if ok else 1)' <<<"$out" 2>"$T/g.py"; then
	tap_ok "garbage, truncated, forged and replayed packets: counted drops by reason, no crash"
else
	tap_fail "garbage, truncated, forged and replayed packets: counted drops by reason"
	cat "$T/g.err" "$T/g.py" | tap_diag
fi
tap_done
