#!/usr/bin/env bash
# TAP: Wireshark's IKEv2 dissector (tshark), an implementation nobody here
# wrote, decodes and decrypts what ipsecfx builds.  $O/tests/ike_pcapgen
# writes four IKE SAs' worth of messages (IKE_SA_INIT with real X25519,
# IKE_AUTH with PSK AUTH, INFORMATIONAL Delete/CP, CREATE_CHILD_SA in RFC
# 7383 fragments; AES-GCM-128/256, AES-CBC-192/256 with HMAC-SHA2-384/512)
# and their keys as ikev2_decryption_table records; tshark must check every
# ICV/tag [correct], flag nothing, and show the payloads we put in.
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
N=7
if ! command -v tshark >/dev/null 2>&1; then
	echo "1..$N"
	for ((i = 1; i <= N; i++)); do echo "ok $i # SKIP tshark is not installed"; done
	exit 0
fi
gen=$O/tests/ike_pcapgen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..$N"
if ! "$gen" "$tmp/ike.pcap" "$tmp/keys.uat" >"$tmp/gen.log" 2>&1; then
	sed 's/^/# /' "$tmp/gen.log"
	for ((i = 1; i <= N; i++)); do echo "not ok $i - ike_pcapgen failed"; done
	exit 1
fi
args=()
while IFS= read -r l; do args+=(-o "uat:ikev2_decryption_table:$l"); done <"$tmp/keys.uat"
ts() { tshark -r "$tmp/ike.pcap" "${args[@]}" "$@" 2>/dev/null; }
ts -V >"$tmp/v.txt"
fail=0
t=0
check() { # check <description> <command...>
	local d=$1; shift
	t=$((t + 1))
	if "$@"; then echo "ok $t - $d"; else echo "not ok $t - $d"; fail=1; fi
}
field() { ts -T fields -E separator=, -e "$@"; }

n_isakmp=$(ts -Y isakmp | wc -l)
check "tshark decodes all 13 datagrams as IKEv2 (got $n_isakmp)" [ "$n_isakmp" -eq 13 ]
bad=$(grep -cE "Malformed|Expert Info \((Warning|Error)|incorrect" "$tmp/v.txt")
check "nothing malformed, no expert warning, no ICV incorrect ($bad)" [ "$bad" -eq 0 ]
ok_icv=$(grep -c "Integrity Checksum Data:.*\[correct\]" "$tmp/v.txt")
check "all 11 encrypted messages decrypt, ICV/tag [correct] ($ok_icv)" [ "$ok_icv" -eq 11 ]

init=$(ts -Y frame.number==1 -T fields -e isakmp.exchangetype -e isakmp.prop.transforms \
	-e isakmp.nonce -e isakmp.notify.msgtype -e isakmp.spisize)
check "IKE_SA_INIT: exchange 34, 3 transforms, 32-octet nonce, NAT-D and fragmentation notifies" \
	bash -c '[[ "$1" == 34$'\''\t'\''3$'\''\t'\''* ]] && [[ "$1" == *16388,16389,16430* ]] &&
		 [ "$(cut -f3 <<<"$1" | tr -d "\n" | wc -c)" -eq 64 ]' _ "$init"

ids=$(field isakmp.id.data.fqdn | tr '\n' ' ')
auth=$(field isakmp.auth.method | tr -d '\n')
tsv4=$(field isakmp.ts.start_ipv4 | tr '\n' ' ')
check "IKE_AUTH decrypted: our IDi/IDr, PSK AUTH method, TS 10.1.0.1/10.2.0.1" \
	bash -c '[[ "$1" == *ipsecfx-initiator.example* && "$1" == *ipsecfx-responder.example* ]] &&
		 [ "$2" = 22 ] && [[ "$3" == *10.1.0.1,10.2.0.1* ]]' _ "$ids" "$auth" "$tsv4"

dels=$(field isakmp.delete.protoid | tr '\n' ' ')
cp=$(grep -cE "INTERNAL IP4 ADDRESS: 10.9.0.7|INTERNAL IP4 NETMASK: 255.255.255.0" "$tmp/v.txt")
check "INFORMATIONAL decrypted: IKE and ESP deletes, CP attributes ($dels; $cp)" \
	bash -c '[[ "$1" == *1* && "$1" == *3* ]] && [ "$2" -eq 2 ]' _ "$dels" "$cp"

reas=$(grep -c "Reassembled ISAKMP length: 400" "$tmp/v.txt")
ke=$(grep -c "DH Group #: 2048 bit MODP group (14)" "$tmp/v.txt")
check "3 SKF fragments reassembled to the CREATE_CHILD_SA with its MODP-2048 KE ($reas, $ke)" \
	bash -c '[ "$1" -ge 1 ] && [ "$2" -ge 1 ]' _ "$reas" "$ke"
exit $fail
