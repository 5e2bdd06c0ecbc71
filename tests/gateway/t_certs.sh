#!/usr/bin/env bash
# Gateway features (docs/certificates.md) against Debian's strongSwan, in
# network namespaces (tests/interop/lib.sh draws them): certificate
# authentication.
#
#   A = ipsecfxd "moon.example" 192.0.2.1   B = strongSwan "sun.example" 192.0.2.2
#
# One PKI (tests/lib/mkpki.sh): a root CA both trust, an intermediate that
# signs both gateways' certificates (each side sends it along).  Each
# section pairs key types and says who initiates:
#   config    files that cannot work, refused at load
#   keys      RSA-3072/ECDSA P-256/P-384/Ed25519, each of ours in both roles,
#             RFC 7427 both ways
#   classic   strongSwan without RFC 7427: methods 1 and 9-11
#   mixed     PSK one way, a certificate the other
#   hash_url  Hash and URL both ways (web servers, tshark, list-certs)
#   bad       bad certificates and bad URL answers while a tunnel runs
#   crl       CRLs from distribution points (revocation ifuri, strict)
#   sim_reload  the card engine, and a reload with a new certificate
#   frag      the IKE_AUTH size figure: RSA-4096 chain by value and by URL
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
. "$here/../interop/lib.sh"

ix_begin "gateway: certificates"

PKI=$(mktemp -d /tmp/ipsecfx-pki.XXXXXX)
trap 'ix_cleanup; rm -rf "$PKI"' EXIT
# CRL distribution points on B's web server (section crl serves them)
CRL_BASE=http://192.0.2.2:8080/ KEYTYPES="rsa p256 p384 ed25519" \
	"$here/../lib/mkpki.sh" "$PKI" moon sun || {
	tap_fail "certs: mkpki.sh made the test PKI"
	tap_done
	exit 0
}
# the daemon reads its key again as its own user on reload
chgrp ipsecfx "$PKI"/*.key 2>/dev/null && chmod 0640 "$PKI"/*.key
chmod 0755 "$PKI"

# ours_cert KEYTYPE [LOCAL_LINES [REMOTE_LINES]]: ipsecfxd's auth lines
ours_cert() {
	cat <<EOF
    local:
      auth: pubkey
      id: moon.example
      certs: [$PKI/gw-moon-$1.pem, $PKI/int.pem]
      key: $PKI/gw-moon-$1.key
${2:-}
    remote:
      auth: pubkey
      id: sun.example
${3:-}
EOF
}

# swan_cert KEYTYPE: strongSwan's local/remote sections
swan_cert() {
	cat <<EOF
    local { auth = pubkey
            certs = gw-sun-$1.pem
            id = sun.example }
    remote { auth = pubkey
             id = moon.example
             cacerts = $PKI/ca.pem }
EOF
}

# swan_creds KEYTYPE: strongSwan's key and certificates where swanctl
# --load-all looks (beside its swanctl.conf)
swan_creds() {
	local d=$IX_T/B
	mkdir -p "$d/private" "$d/x509" "$d/x509ca"
	cp "$PKI/gw-sun-$1.key" "$d/private/sun.key"
	cp "$PKI/gw-sun-$1.pem" "$d/x509/"
	cp "$PKI/int.pem" "$PKI/ca.pem" "$d/x509ca/"
}

# pair OURS SWAN: both configurations for these key types; from the
# environment TOP_LINES, CONN_LINES and OURS_LOCAL (ipsecfxd's top level,
# connection and local section), SWAN_EXTRA (swanctl.conf's end)
pair() {
	SITE_A_AUTH=$(ours_cert "$1" "${OURS_LOCAL:-}") ours_site A aes256gcm16 "" \
		"${CONN_LINES:-}" "cacerts: [$PKI/ca.pem]"$'\n'"${TOP_LINES:-}"
	SITE_B_AUTH=$(swan_cert "$2") SITE_B_SECRETS="${SWAN_EXTRA:- }" swan_site B aes256gcm16
	swan_creds "$2"
}

# up WHO LABEL: WHO (ours|swan) initiates; the tunnel is up and carries
# traffic both ways
up() {
	local ok=1
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if [ "$1" = ours ]; then
		ix_ctl A initiate sw --wait 15 >/dev/null || ok=0
	else
		ix_swanctl B --initiate --child c --timeout 15 >/dev/null 2>&1 || ok=0
	fi
	[ $ok = 1 ] && ix_wait_up A sw 5 && ix_swan_up B 5 &&
		ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 && return 0
	tap_fail "$2: tunnel up, traffic both ways"
	tap_diag <"$IX_T/B/load.out"
	diag_logs A B
	return 1
}

# swan_auth_line: how strongSwan says it authenticated us
swan_auth_line() {
	grep -o "authentication of 'moon.example' with .* successful" \
		"$IX_T/B/charon.log" | head -1
}

# one OURS SWAN WHO WANT_OURS WANT_SWAN: a tunnel with these keys; our
# list-sas must name WANT_OURS as the peer's AUTH and strongSwan's log
# WANT_SWAN as ours
one() {
	local label="certs: ipsecfxd $1, strongSwan $2, $3 initiates"
	fresh plain
	pair "$1" "$2"
	up "$3" "$label" || return
	local auth cert said
	auth=$(J A '[x.get("peer_auth","") for x in l if x["state"]=="established"][0]')
	cert=$(J A '[x.get("peer_cert","") for x in l if x["state"]=="established"][0]')
	said=$(swan_auth_line)
	if [[ "$auth" == *"$4"* ]] && [[ "$cert" == *"CN=sun.example"* ]] && [[ "$said" == *"$5"* ]]; then
		tap_ok "$label: we verified $auth of $cert; strongSwan: $said"
	else
		tap_fail "$label: list-sas says '$auth' / '$cert' (want $4), strongSwan '$said' (want $5)"
		diag_logs A B
	fi
}

# each of our key types signs and verifies in both roles
section_keys() {
	one rsa p256 ours "ECDSA SHA-256 (RFC 7427)" "RSA_EMSA_PSS_SHA2_512"
	one rsa ed25519 swan "Ed25519 (RFC 7427)" "RSA_EMSA_PSS_SHA2_512"
	one p384 ed25519 swan "Ed25519" "ECDSA_WITH_SHA384_DER"
	one p384 rsa ours "RSA PKCS#1 v1.5 SHA-256 (RFC 7427)" "ECDSA_WITH_SHA384_DER"
	one ed25519 rsa ours "RSA" "ED25519"
	one ed25519 p384 swan "ECDSA SHA-384 (RFC 7427)" "ED25519"
	one p256 p384 swan "ECDSA SHA-384 (RFC 7427)" "ECDSA_WITH_SHA256_DER"
	one p256 ed25519 ours "Ed25519 (RFC 7427)" "ECDSA_WITH_SHA256_DER"
}

section_classic() {
	# without SIGNATURE_HASH_ALGORITHMS from strongSwan we sign with the
	# RFC 7296 methods, and so does it
	EXTRA_CHARON="signature_authentication = no" one p256 rsa ours "method 1" "ECDSA-256 signature"
	EXTRA_CHARON="signature_authentication = no" one p384 p256 swan "method 9" "ECDSA-384 signature"
}

# hserve NS ADDR DIR NAME [MODE]: certhttpd.py serving DIR at ADDR:8080,
# its requests logged to $IX_T/NAME.http
hserve() {
	ip netns exec "$1" $PY "$here/../lib/certhttpd.py" "$2" 8080 "$3" "${5:-ok}" \
		2>"$IX_T/$4.http" &
	IX_PIDS+=($!)
	for _ in $(seq 30); do
		ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/8080" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Hash and URL both ways: each gateway's certificate on a web server in its
# own namespace; each side fetches the other's
hu_setup() { # hu_setup MODE_A: servers up, configurations written
	local sha
	mkdir -p "$IX_T/www-a" "$IX_T/www-b"
	cp "$PKI/gw-moon-p256.der" "$IX_T/www-a/moon.der"
	# strongSwan's URL is cert_uri_base and the certificate's SHA-1 in hex
	sha=$(sha1sum <"$PKI/gw-sun-p256.der" | cut -d' ' -f1)
	cp "$PKI/gw-sun-p256.der" "$IX_T/www-b/$sha"
	cp "$PKI/gw-sun-rsa.der" "$IX_T/www-b/other.der"
	hserve "$IX_NS_A" 192.0.2.1 "$IX_T/www-a" A
	hserve "$IX_NS_B" 192.0.2.2 "$IX_T/www-b" B "${1:-ok}"
	OURS_LOCAL="      cert_uri: http://192.0.2.1:8080/moon.der" \
	CONN_LINES="    hash_and_url: true" TOP_LINES="key_export: true
cert_fetch_timeout: 2s" \
	SWAN_EXTRA="authorities { int { cacert = int.pem
                      cert_uri_base = http://192.0.2.2:8080/ } }" pair p256 p256
}

section_hash_url() {
	local label="certs: Hash and URL both ways"
	fresh plain
	hu_setup
	export EXTRA_CHARON="hash_and_url = yes" EXTRA_LOAD=curl
	ix_capture "$IX_NS_B" "$IX_T/cap.pcap" "udp"
	local cap=$IX_CAPTURE
	if up ours "$label, ipsecfxd initiates"; then
		local a b said fetched
		a=$(grep -c "GET /moon.der 200" "$IX_T/A.http")
		b=$(grep -c "GET /[0-9a-f]\{40\} 200" "$IX_T/B.http")
		said=$(grep -c "received hash-and-url for end.entity cert" "$IX_T/B/charon.log")
		fetched=$(grep -o "fetched certificate \"[^\"]*\"" "$IX_T/B/charon.log" | head -1)
		[ "$a" -ge 1 ] && [ "$b" -ge 1 ] && [ "$said" -ge 1 ] && [ -n "$fetched" ] &&
			[ "$(J A 's["ike"]["cert_fetch_ok"]')" -ge 1 ] \
			&& tap_ok "$label, ipsecfxd initiates: strongSwan received hash-and-url and fetched ours ($a GET in A's log; '$fetched'), we fetched its ($b GET in B's log)" \
			|| { tap_fail "$label, ipsecfxd initiates: GETs A $a B $b, strongSwan received $said, fetched '$fetched'"; diag_logs A B; }
	fi
	sleep 0.5
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	# the CERT payloads as Wireshark's dissector decodes them, decrypted
	# with the IKE keys we export
	mkdir -p "$IX_T/keys" "$IX_T/ws/wireshark"
	if ix_ctl A export-keys --wireshark "$IX_T/keys" >/dev/null; then
		cp "$IX_T/keys/ikev2_decryption_table" "$IX_T/ws/wireshark/"
		local enc
		enc=$(XDG_CONFIG_HOME=$IX_T/ws tshark -r "$IX_T/cap.pcap" -Y "isakmp.exchangetype == 35" \
			-T fields -e isakmp.cert.encoding -e isakmp.cert.x509.url 2>/dev/null | tr '\n\t' '  ')
		[[ "$enc" == *12*http://192.0.2.1:8080/moon.der* ]] && [[ "$enc" == *12*http://192.0.2.2:8080/* ]] \
			&& tap_ok "$label: tshark decodes CERT encoding 12 (Hash and URL) with both URLs in the decrypted IKE_AUTH ($enc)" \
			|| { tap_fail "$label: tshark: CERT payloads '$enc'"; }
	else
		tap_fail "$label: export-keys"
	fi
	ix_ctl A terminate sw >/dev/null
	sleep 1
	local hits
	hits=$(J A 's["ike"]["cert_cache_hits"]')
	if ix_swanctl B --initiate --child c --timeout 15 >/dev/null 2>&1 &&
	   ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 &&
	   [ "$(J A 's["ike"]["cert_cache_hits"]')" -gt "${hits:-0}" ]; then
		tap_ok "$label, strongSwan initiates: up, and strongSwan's certificate came from our cache ($(J A 's["ike"]["cert_cache_hits"]') hits)"
	else
		tap_fail "$label, strongSwan initiates"
		diag_logs A B
	fi
	# what the operator sees
	local lc
	lc=$(ix_ctl A list-certs --json 2>/dev/null | $PY -c '
import json, sys
j = json.load(sys.stdin)
c = j["cache"][0]
print(len(j["cache"]), c["hits"], c["url"], j["local"][0]["subject"], j["anchors"][0]["subject"])' 2>&1)
	[[ "$lc" == "1 1 http://192.0.2.2:8080/"*"CN=moon.example"*"Root CA" ]] \
		&& tap_ok "$label: ipsecfx list-certs shows our chain, the anchor and the cached certificate ($lc)" \
		|| tap_fail "$label: list-certs: $lc"
	unset EXTRA_CHARON EXTRA_LOAD
}

# Bad certificates and bad Hash and URL answers, each from strongSwan to
# ipsecfxd (a responder for %any identities with certificates) while a
# good tunnel runs: each fails its exchange with a log line that says why,
# and the good tunnel carries traffic throughout.
bad_conf() {
	local sha f
	mkdir -p "$IX_T/www-b" "$IX_T/B/private" "$IX_T/B/x509" "$IX_T/B/x509ca"
	for f in gw-sun-p256 gw-sun-p384 gw-expired gw-future gw-revoked gw-untrusted; do
		sha=$(sha1sum <"$PKI/$f.der" | cut -d' ' -f1)
		cp "$PKI/$f.der" "$IX_T/www-b/$sha"
		cp "$PKI/$f.key" "$IX_T/B/private/$f.key"
		cp "$PKI/$f.pem" "$IX_T/B/x509/"
	done
	cp "$PKI/gw-sun-rsa.der" "$IX_T/www-b/other.der"
	cp "$PKI/int.pem" "$PKI/ca.pem" "$IX_T/B/x509ca/"
	ours A <<EOF
cacerts: [$PKI/ca.pem]
crls: [$PKI/int-crl.pem]
cert_fetch_timeout: 2s
cert_fetch_max: 4k
connections:
  - name: any
    local_addrs: [192.0.2.1]
    local: {auth: pubkey, id: moon.example, certs: [$PKI/gw-moon-p256.pem, $PKI/int.pem], key: $PKI/gw-moon-p256.key}
    remote: {auth: pubkey, id: "%any"}
    hash_and_url: true
    proposals: [aes256gcm16-prfsha256-x25519]
    children:
      - name: lan
        local_ts: [10.1.0.1/32]
        remote_ts: [10.2.0.0/16]
        esp_proposals: [aes256gcm16]
EOF
	{
		echo "connections {"
		for c in t:gw-sun-p256:sun hu:gw-sun-p384:sun expired:gw-expired:expired \
			 future:gw-future:future revoked:gw-revoked:revoked untrusted:gw-untrusted:untrusted; do
			IFS=: read -r name cert id <<<"$c"
			cat <<EOF
  $name { local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    version = 2
    proposals = aes256gcm16-prfsha256-x25519
    encap = yes
    local { auth = pubkey
            certs = $cert.pem
            id = $id.example }
    remote { auth = pubkey
             id = moon.example }
    children { $name { local_ts = 10.2.0.1/32
                       remote_ts = 10.1.0.1/32
                       esp_proposals = aes256gcm16 } } }
EOF
		done
		echo "}"
		echo "authorities { int { cacert = int.pem
                       cert_uri_base = http://192.0.2.2:8080/ } }"
	} >"$IX_T/B/swanctl.conf"
}

# refused CONN LABEL WHY...: strongSwan's CONN fails; our log's
# AUTHENTICATION_FAILED line for it says each WHY
refused() {
	local conn=$1 label="certs: refused: $2" n line w
	shift 2
	n=$(grep -c "AUTHENTICATION_FAILED" "$IX_T/A.log")
	if ix_swanctl B --initiate --ike "$conn" --timeout 10 >/dev/null 2>&1; then
		tap_fail "$label: strongSwan's $conn came up"
		return
	fi
	line=$(grep "AUTHENTICATION_FAILED" "$IX_T/A.log" | tail -n +$((n + 1)) | tail -1)
	for w in "$@"; do
		if [[ "$line" != *"$w"* ]]; then
			tap_fail "$label: our log does not say '$w': ${line:-nothing}"
			tail -5 "$IX_T/A.log" | tap_diag
			return
		fi
	done
	tap_ok "$label: ${line#* warning: }"
}

section_bad() {
	local mode
	fresh plain
	bad_conf
	hserve "$IX_NS_B" 192.0.2.2 "$IX_T/www-b" B ok
	export EXTRA_CHARON="hash_and_url = yes" EXTRA_LOAD=curl
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ! ix_swanctl B --initiate --child t --timeout 15 >/dev/null 2>&1 ||
	   ! ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1; then
		tap_fail "certs: refused: the good tunnel (sun.example by Hash and URL) up first"
		diag_logs A B
		unset EXTRA_CHARON EXTRA_LOAD
		return
	fi
	refused expired "an expired certificate" "expired.example" "certificate has expired"
	refused future "a certificate not yet valid" "future.example" "not yet valid"
	refused revoked "a revoked certificate (CRL)" "revoked.example" "revoked"
	refused untrusted "a certificate from an untrusted CA" "untrusted.example" "issuer"
	# strongSwan's hu sends sun.example's P-384 certificate by URL, and
	# the server answers it badly (garbage: the hash is checked before
	# anything is parsed; garbage that hashes right is test_ike_certfetch's)
	for mode in "404:HTTP 404" "slow:timed out" "big:more than" "redirect:redirect" \
		    "garbage:SHA-1 of the fetched bytes" "other:SHA-1 of the fetched bytes"; do
		pkill -f "certhttpd.py 192.0.2.2 8080" 2>/dev/null
		sleep 0.3
		BIG_BYTES=5000 hserve "$IX_NS_B" 192.0.2.2 "$IX_T/www-b" B "${mode%%:*}"
		refused hu "Hash and URL answered '${mode%%:*}'" "Hash and URL" "${mode#*:}"
	done
	ok_if "certs: refused: through all that the good tunnel carried traffic" \
		ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1
	unset EXTRA_CHARON EXTRA_LOAD
}

# PSK one way, a certificate the other (RFC 7296 2.15 lets each side
# authenticate its own way)
section_mixed() {
	local label="certs: mixed: ipsecfxd signs, strongSwan uses the PSK"
	fresh plain
	SITE_A_AUTH="    local: {auth: pubkey, id: moon.example, certs: [$PKI/gw-moon-p256.pem, $PKI/int.pem], key: $PKI/gw-moon-p256.key}
    remote: {auth: psk, id: sun.example}
    psk: \"$PSK\"" ours_site A aes256gcm16
	SITE_B_AUTH="    local { auth = psk
            id = sun.example }
    remote { auth = pubkey
             id = moon.example
             cacerts = $PKI/ca.pem }" SITE_B_SECRETS="secrets { ike-1 { id-1 = sun.example
                  secret = \"$PSK\" } }" swan_site B aes256gcm16
	swan_creds p256
	up ours "$label" || return
	local auth said
	auth=$(J A '[x.get("peer_auth","") for x in l if x["state"]=="established"][0]')
	said=$(swan_auth_line)
	[ "$auth" = PSK ] && [[ "$said" == *ECDSA* ]] \
		&& tap_ok "$label: we verified its $auth, strongSwan our signature ($said)" \
		|| { tap_fail "$label: ours '$auth', strongSwan '$said'"; diag_logs A B; }
}

# The card engine carries a certificate tunnel (engine: sim), and a reload
# brings a new certificate and CRL in: the next IKE SA is signed with it.
section_sim_reload() {
	local label="certs: engine sim, then a reload with a new certificate"
	fresh plain
	TOP_LINES="engine: sim" pair p256 p256
	up ours "$label" || return
	local be
	be=$(ix_ctl A engine --json 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["backend"])')
	[ "$be" = sim ] && tap_ok "$label: the tunnel runs through the card engine ($be)" \
		|| tap_fail "$label: engine backend '$be'"
	# the same file with the RSA certificate and a CRL
	sed -i "s|gw-moon-p256|gw-moon-rsa|g; s|^engine: sim|engine: sim\ncrls: [$PKI/int-crl.pem]|" "$IX_T/A.yaml"
	ix_ctl A reload >/dev/null
	ix_ctl A terminate sw >/dev/null
	: >"$IX_T/B/charon.log"
	if ix_ctl A initiate sw --wait 15 >/dev/null && ix_swan_up B 5 &&
	   ix_ping "$IX_NS_A" 10.1.0.1 10.2.0.1 && [[ "$(swan_auth_line)" == *RSA* ]]; then
		tap_ok "$label: after the reload strongSwan verified our new RSA certificate ($(swan_auth_line))"
	else
		tap_fail "$label: after the reload ('$(swan_auth_line)')"
		diag_logs A B
	fi
}

# A configuration that cannot work is refused when it is loaded, saying why
section_config() {
	local out
	mkdir -p "$IX_T"
	cat >"$IX_T/bad.yaml" <<EOF
control: $IX_T/bad.sock
connections:
  - name: c
    local_addrs: [192.0.2.1]
    local: {auth: pubkey, certs: [$PKI/gw-moon-p256.pem], key: $PKI/gw-moon-p384.key}
    remote: {auth: pubkey}
    children: [{name: x, local_ts: [10.1.0.0/24], remote_ts: [10.2.0.0/24]}]
EOF
	out=$("$IPSECFX_BUILD/ipsecfxd" -t -c "$IX_T/bad.yaml" 2>&1)
	[[ "$out" == *"is not the private key of"* ]] && [[ "$out" == *"needs trust anchors"* ]] \
		&& tap_ok "certs: config: a key that is not the certificate's, and pubkey without anchors, refused: $(grep -m1 'private key' <<<"$out")" \
		|| { tap_fail "certs: config: wrong key / no anchors"; tap_diag <<<"$out"; }
	sed -i "s|gw-moon-p384.key|gw-moon-p256.key|; s|remote: {auth: pubkey}|remote: {auth: pubkey, cacerts: [$PKI/ca.pem]}\n    local_id_x: 1|" "$IX_T/bad.yaml"
	sed -i '/local_id_x/d; s|local: {auth: pubkey,|local: {auth: pubkey, id: other.example,|' "$IX_T/bad.yaml"
	chmod 0644 "$PKI/gw-moon-p256.key"
	out=$("$IPSECFX_BUILD/ipsecfxd" -t -c "$IX_T/bad.yaml" 2>&1)
	chmod 0640 "$PKI/gw-moon-p256.key"
	[[ "$out" == *"'other.example' is not in the certificate"* ]] && [[ "$out" == *"readable by others"* ]] \
		&& tap_ok "certs: config: local.id not in the certificate refused, a key others can read warned about" \
		|| { tap_fail "certs: config: local.id / key mode"; tap_diag <<<"$out"; }
}

# What Hash and URL exists for (RFC 7296 3.6): IKE_AUTH small enough not to
# be fragmented.  A three-certificate RSA-4096 chain (root, intermediate,
# end entity; the root is the peer's anchor), fragment_size 1280: our
# IKE_AUTH request with the certificates by value, then by URL (cert_uri a
# base: the intermediate by URL too).
section_frag() {
	local label="certs: RSA-4096 chain, fragment_size 1280"
	local d=$PKI/4096 mode n_val n_url b_val b_url
	[ -f "$d/gw-rsa4096.pem" ] || "$here/../lib/mkpki.sh" --rsa4096-chain "$d" || {
		tap_fail "$label: mkpki.sh --rsa4096-chain"
		return
	}
	chgrp ipsecfx "$d"/*.key 2>/dev/null && chmod 0640 "$d"/*.key
	chmod 0755 "$d"
	for mode in value url; do
		fresh plain
		mkdir -p "$IX_T/www-a"
		for c in gw-rsa4096 rsa4096-int; do
			cp "$d/$c.der" "$IX_T/www-a/$(sha1sum <"$d/$c.der" | cut -d' ' -f1)"
		done
		hserve "$IX_NS_A" 192.0.2.1 "$IX_T/www-a" A
		SITE_A_AUTH="    local:
      auth: pubkey
      id: gw.example
      certs: [$d/gw-rsa4096.pem, $d/rsa4096-int.pem]
      key: $d/gw-rsa4096.key
      cert_uri: http://192.0.2.1:8080/
    remote: {auth: pubkey, id: sun.example}
    hash_and_url: $([ $mode = url ] && echo true || echo false)" \
			ours_site A aes256gcm16 "" "" "cacerts: [$PKI/ca.pem]"
		SITE_B_AUTH="    local { auth = pubkey
            certs = gw-sun-p256.pem
            id = sun.example }
    remote { auth = pubkey
             id = gw.example
             cacerts = $d/rsa4096-ca.pem }" SITE_B_SECRETS=" " swan_site B aes256gcm16 "" \
			"    fragmentation = yes"
		swan_creds p256
		ix_capture "$IX_NS_B" "$IX_T/cap.pcap" "udp"
		local cap=$IX_CAPTURE
		if [ $mode = url ]; then
			EXTRA_CHARON="hash_and_url = yes" EXTRA_LOAD=curl up ours "$label, by $mode"
		else
			up ours "$label, by $mode"
		fi
		sleep 0.5
		kill "$cap" 2>/dev/null
		wait "$cap" 2>/dev/null
		# our IKE_AUTH request: datagrams and IP bytes from A
		read -r n b < <(tshark -r "$IX_T/cap.pcap" -Y "isakmp.exchangetype == 35 && ip.src == 192.0.2.1" \
			-T fields -e ip.len 2>/dev/null | awk '{n++; b += $1} END {print n+0, b+0}')
		read -r rn rb < <(tshark -r "$IX_T/cap.pcap" -Y "isakmp.exchangetype == 35 && ip.src == 192.0.2.2" \
			-T fields -e ip.len 2>/dev/null | awk '{n++; b += $1} END {print n+0, b+0}')
		echo "$label: by $mode: IKE_AUTH A->B $n datagrams, $b bytes; B->A $rn datagrams, $rb bytes" | tap_diag
		if [ $mode = value ]; then n_val=$n b_val=$b; else n_url=$n b_url=$b; fi
	done
	[ "${n_val:-0}" -ge 3 ] && [ "${n_url:-9}" -eq 1 ] && [ "${b_url:-99999}" -lt "${b_val:-0}" ] \
		&& tap_ok "$label: our IKE_AUTH request in $n_val datagrams ($b_val bytes) by value, $n_url ($b_url bytes) by Hash and URL" \
		|| tap_fail "$label: by value ${n_val:-?} datagrams/${b_val:-?} bytes, by URL ${n_url:-?}/${b_url:-?}"
}

# remote.revocation ifuri and strict without CRL files: the CRLs come from
# the certificates' distribution points (on B's web server)
section_crl() {
	fresh plain
	bad_conf
	sed -i '/^crls:/d; s|remote: {auth: pubkey, id: "%any"}|remote: {auth: pubkey, id: "%any", revocation: ifuri}|' \
		"$IX_T/A.yaml"
	cp "$PKI/int-crl.der" "$IX_T/www-b/int.crl"
	cp "$PKI/ca-crl.der" "$IX_T/www-b/ca.crl"
	hserve "$IX_NS_B" 192.0.2.2 "$IX_T/www-b" B ok
	export EXTRA_CHARON="hash_and_url = yes" EXTRA_LOAD=curl
	start_swan "$IX_NS_B" B
	start_ours "$IX_NS_A" A
	if ix_swanctl B --initiate --child t --timeout 15 >/dev/null 2>&1 &&
	   ix_ping "$IX_NS_B" 10.2.0.1 10.1.0.1 &&
	   grep -q "CRL fetched from http://192.0.2.2:8080/int.crl (1 revoked)" "$IX_T/A.log" &&
	   grep -q "GET /int.crl 200" "$IX_T/B.http"; then
		tap_ok "certs: crl: revocation ifuri: the CRL fetched from the distribution point, the good certificate passes"
	else
		tap_fail "certs: crl: revocation ifuri, good certificate"
		diag_logs A B
	fi
	refused revoked "revoked, by the CRL fetched from its distribution point" \
		"revoked.example" "certificate revoked"
	ix_ctl A list-certs 2>/dev/null | grep -q "1 revoked, .*fetched from http://192.0.2.2:8080/int.crl" \
		&& tap_ok "certs: crl: ipsecfx list-certs shows the CRL fetched" \
		|| { tap_fail "certs: crl: list-certs"; ix_ctl A list-certs 2>&1 | tap_diag; }
	# strict, a fresh daemon (no CRLs kept) and no CRL on the server
	rm -f "$IX_T/www-b/int.crl" "$IX_T/www-b/ca.crl"
	sed -i 's|revocation: ifuri|revocation: strict|' "$IX_T/A.yaml"
	restart_ours "$IX_NS_A" A
	refused t "revocation strict and the CRL cannot be fetched" "sun.example" "CRL"
	unset EXTRA_CHARON EXTRA_LOAD
}

# SECTIONS="..." runs some (debugging)
for s in ${SECTIONS:-config keys classic mixed hash_url bad crl sim_reload frag}; do
	section_$s
done
ix_state_check
tap_done
