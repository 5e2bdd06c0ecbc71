#!/bin/bash
# mkpki.sh: a throwaway X.509 PKI for the IKEv2 certificate tests, made with
# the openssl command (OpenSSL 3.0 as on Debian 12).  Quiet on success; on
# failure it prints the failing command and its output and exits 1.
#
# Usage:  tests/lib/mkpki.sh DIR [name ...]
#         tests/lib/mkpki.sh --rsa4096-chain DIR
#
# CRL_BASE (default http://crl.example/) is where the certificates' CRL
# distribution points point: CRL_BASE/ca.crl, CRL_BASE/int.crl.
# DIR is created if needed; use a fresh one (files in it are overwritten, the
# CA databases under DIR/.ca are started anew).  Keys are unencrypted PEM
# PKCS#8, mode 0600; every certificate is written as NAME.pem and NAME.der.
# Subjects are "C=XX, O=ipsecfx test, CN=<name>.example".
#
# The default run writes:
#   ca.{key,pem,der}          root CA "CN=ipsecfx test Root CA" (ECDSA P-256)
#   ca-crl.{pem,der}          the root's (empty) CRL
#   int.{key,pem,der}         intermediate CA "CN=ipsecfx test Int CA", signed
#                             by the root, CRL distribution point
#                             http://crl.example/ca.crl
#   int-crl.{pem,der}         the intermediate's CRL, listing gw-revoked
#   int-crl-expired.{pem,der} the same list, but nextUpdate 2021-01-01
#   gw-rsa     RSA-3072  \
#   gw-p256    ECDSA P-256 \  end entities "CN=gw.example" signed by int:
#   gw-p384    ECDSA P-384  > SAN DNS:gw.example, IP:192.0.2.1, IP:2001:db8::1,
#   gw-p521    ECDSA P-521 /  email:gw@gw.example; keyUsage digitalSignature;
#   gw-ed25519 Ed25519   /    EKU serverAuth, clientAuth, ipsecIKE; CRL DP
#                             http://crl.example/int.crl (gw-p384 lists an
#                             ldap:// URI before it)
#   gw-expired   P-256 "CN=expired.example", valid 2020-01-01..2021-01-01
#   gw-future    P-256 "CN=future.example", valid 2099-01-01..2100-01-01
#   gw-revoked   P-256 "CN=revoked.example", listed in int-crl
#   gw-nosig     P-256 "CN=nosig.example", keyUsage keyCertSign only
#   other-ca.{key,pem,der}    an unrelated root "C=XX, O=Other, CN=Other Root CA"
#   gw-untrusted P-256 "CN=untrusted.example" signed by other-ca, no CRL DP
# The special certificates have SAN DNS:<cn> only; those signed by int
# carry its CRL DP.  Validity, unless noted: from a day ago for 20 years.
# DIR/.ca holds the throwaway `openssl ca` databases and configuration.
#
# CHAIN_ONLY=1 writes only the root, the intermediate and the extra names'
# end entities below (no gw-*, no CRLs, no other-ca): a second or so instead
# of several, for tests that need one chain.
#
# Each extra name (e.g. moon sun) adds gw-<name>-<type>.{key,pem,der} for
# <type> in $KEYTYPES (default "rsa p256 p384 p521 ed25519"; RSA-3072 keygen
# is the slow part), CN=<name>.example, signed by int, with SAN
# DNS:<name>.example, IP:192.0.2.<i+1>, IP:2001:db8::<i+1>,
# email:<name>@<name>.example for the i-th extra name (1-based).
#
# --rsa4096-chain DIR writes only a three-certificate RSA-4096 chain (slow):
#   rsa4096-ca.{key,pem,der}, rsa4096-int.{key,pem,der},
#   gw-rsa4096.{key,pem,der} (CN=gw.example, same SANs as gw-rsa).
set -eu

usage() {
	echo "usage: mkpki.sh DIR [name ...] | mkpki.sh --rsa4096-chain DIR" >&2
	exit 2
}

RSA4096=0
if [ "${1:-}" = "--rsa4096-chain" ]; then
	RSA4096=1
	shift
fi
[ $# -ge 1 ] || usage
[ "$RSA4096" = 0 ] || [ $# -eq 1 ] || usage
DIR=$1
shift
for name in "$@"; do
	case $name in
	*[!A-Za-z0-9-]* | "") echo "mkpki.sh: bad name '$name'" >&2 && exit 2 ;;
	esac
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
LOG=$DIR/.mkpki.log
: >"$LOG"
export OPENSSL_CONF=/dev/null # no site defaults (e.g. a SECLEVEL) here
# where the CRL distribution points point (a test may serve the CRLs)
CRL_BASE=${CRL_BASE:-http://crl.example/}

run() {
	if ! "$@" >>"$LOG" 2>&1; then
		echo "mkpki.sh: failed: $*" >&2
		cat "$LOG" >&2
		exit 1
	fi
}

# genkey FILE TYPE: TYPE rsa (3072), rsa4096, p256, p384, p521, ed25519
genkey() {
	local f=$1 opts
	case $2 in
	rsa) opts="-algorithm RSA -pkeyopt rsa_keygen_bits:3072" ;;
	rsa4096) opts="-algorithm RSA -pkeyopt rsa_keygen_bits:4096" ;;
	p256 | p384 | p521)
		opts="-algorithm EC -pkeyopt ec_paramgen_curve:P-${2#p}"
		opts="$opts -pkeyopt ec_param_enc:named_curve"
		;;
	ed25519) opts="-algorithm ED25519" ;;
	*) echo "mkpki.sh: unknown key type $2" >&2 && exit 2 ;;
	esac
	rm -f "$f"
	# shellcheck disable=SC2086
	(umask 077 && run openssl genpkey $opts -out "$f")
	chmod 600 "$f"
}

# The configuration for every CA: one database per CA under DIR/.ca/NAME,
# subjects kept as requested (preserve), extensions from the sections
# below with the SAN and CRL DP taken from the environment.
cnf() {
	cat <<EOF
[ ca ]
default_ca = the_ca
[ the_ca ]
dir = $DIR/.ca/\$ENV::CA
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
crlnumber = \$dir/crlnumber
certificate = \$ENV::CA_CERT
private_key = \$ENV::CA_KEY
default_md = sha256
default_days = 3650
default_crl_days = 3650
policy = pol
preserve = yes
email_in_dn = no
unique_subject = no
copy_extensions = none
[ pol ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ ext_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ ext_int ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:${CRL_BASE}\$ENV::CA_CRL_NAME.crl
[ ext_ee ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth, clientAuth, 1.3.6.1.5.5.7.3.17
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \$ENV::SAN
crlDistributionPoints = \$ENV::CDP
[ ext_ee_nocdp ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \$ENV::SAN
[ ext_nosig ]
basicConstraints = CA:FALSE
keyUsage = keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \$ENV::SAN
crlDistributionPoints = \$ENV::CDP
[ crl_ext ]
authorityKeyIdentifier = keyid
EOF
}

# Variables the configuration reads; set per call.
export CA='' CA_CERT=/dev/null CA_KEY=/dev/null CA_CRL_NAME=ca SAN=DNS:x CDP=URI:http://x/

# newca NAME: a fresh database for CA NAME
newca() {
	local d=$DIR/.ca/$1

	rm -rf "$d"
	mkdir -p "$d/new"
	: >"$d/index.txt"
	echo "unique_subject = no" >"$d/index.txt.attr"
	echo 1000 >"$d/serial"
	echo 1000 >"$d/crlnumber"
}

der() {
	run openssl x509 -in "$DIR/$1.pem" -outform DER -out "$DIR/$1.der"
}

YESTERDAY=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
IN20Y=$(date -u -d '20 years' +%Y%m%d%H%M%SZ)

# issue CA OUT SUBJ EXT [START END]: sign OUT.key's request as CA (a name
# under DIR, its .pem/.key; or "self" for a self-signed root database OUT)
issue() {
	local ca=$1 out=$2 subj=$3 ext=$4 start=${5:-$YESTERDAY} end=${6:-$IN20Y}
	local csr=$DIR/.ca/$out.csr

	run openssl req -new -config "$DIR/.ca/openssl.cnf" -key "$DIR/$out.key" \
		-subj "$subj" -out "$csr"
	if [ "$ca" = self ]; then
		CA=$out CA_KEY=$DIR/$out.key run openssl ca -batch -notext \
			-config "$DIR/.ca/openssl.cnf" -selfsign -keyfile "$DIR/$out.key" \
			-extensions "$ext" -startdate "$start" -enddate "$end" \
			-in "$csr" -out "$DIR/$out.pem"
	else
		CA=$ca CA_CERT=$DIR/$ca.pem CA_KEY=$DIR/$ca.key \
			run openssl ca -batch -notext -config "$DIR/.ca/openssl.cnf" \
			-extensions "$ext" -startdate "$start" -enddate "$end" \
			-in "$csr" -out "$DIR/$out.pem"
	fi
	der "$out"
}

# gencrl CA OUT [openssl ca options]
gencrl() {
	local ca=$1 out=$2

	shift 2
	CA=$ca CA_CERT=$DIR/$ca.pem CA_KEY=$DIR/$ca.key \
		run openssl ca -config "$DIR/.ca/openssl.cnf" -gencrl \
		-crlexts crl_ext "$@" -out "$DIR/$out.pem"
	run openssl crl -in "$DIR/$out.pem" -outform DER -out "$DIR/$out.der"
}

mkdir -p "$DIR/.ca"
cnf >"$DIR/.ca/openssl.cnf"
O="/C=XX/O=ipsecfx test"

if [ "$RSA4096" = 1 ]; then
	newca rsa4096-ca
	newca rsa4096-int
	genkey "$DIR/rsa4096-ca.key" rsa4096
	issue self rsa4096-ca "$O/CN=ipsecfx test RSA-4096 Root CA" ext_ca
	genkey "$DIR/rsa4096-int.key" rsa4096
	CA_CRL_NAME=rsa4096-ca issue rsa4096-ca rsa4096-int \
		"$O/CN=ipsecfx test RSA-4096 Int CA" ext_int
	genkey "$DIR/gw-rsa4096.key" rsa4096
	SAN="DNS:gw.example, IP:192.0.2.1, IP:2001:db8::1, email:gw@gw.example" \
		CDP="URI:${CRL_BASE}rsa4096-int.crl" \
		issue rsa4096-int gw-rsa4096 "$O/CN=gw.example" ext_ee
	rm -f "$LOG"
	exit 0
fi

newca ca
newca int
newca other-ca

genkey "$DIR/ca.key" p256
issue self ca "$O/CN=ipsecfx test Root CA" ext_ca
genkey "$DIR/int.key" p256
CA_CRL_NAME=ca issue ca int "$O/CN=ipsecfx test Int CA" ext_int

# ee NAME TYPE CN SAN [EXT [START END]]: an end entity signed by int
ee() {
	genkey "$DIR/$1.key" "$2"
	SAN=$4 CDP=${CDP_OVERRIDE:-URI:${CRL_BASE}int.crl} \
		issue int "$1" "$O/CN=$3" "${5:-ext_ee}" "${6:-$YESTERDAY}" "${7:-$IN20Y}"
}

gwsan() { # gwsan NAME INDEX
	echo "DNS:$1.example, IP:192.0.2.$2, IP:2001:db8::$2, email:$1@$1.example"
}

if [ "${CHAIN_ONLY:-0}" != 1 ]; then
	for t in rsa p256 p521 ed25519; do
		ee "gw-$t" "$t" gw.example "$(gwsan gw 1)"
	done
	CDP_OVERRIDE="URI:ldap://crl.example/cn=Int, URI:${CRL_BASE}int.crl" \
		ee gw-p384 p384 gw.example "$(gwsan gw 1)"

	ee gw-expired p256 expired.example DNS:expired.example ext_ee \
		20200101000000Z 20210101000000Z
	ee gw-future p256 future.example DNS:future.example ext_ee \
		20990101000000Z 21000101000000Z
	ee gw-revoked p256 revoked.example DNS:revoked.example
	ee gw-nosig p256 nosig.example DNS:nosig.example ext_nosig

	CA=int CA_CERT=$DIR/int.pem CA_KEY=$DIR/int.key \
		run openssl ca -config "$DIR/.ca/openssl.cnf" -revoke "$DIR/gw-revoked.pem" \
		-crl_reason keyCompromise
	gencrl int int-crl
	gencrl int int-crl-expired -crl_lastupdate 20200101000000Z \
		-crl_nextupdate 20210101000000Z
	gencrl ca ca-crl

	genkey "$DIR/other-ca.key" p256
	issue self other-ca "/C=XX/O=Other/CN=Other Root CA" ext_ca
	genkey "$DIR/gw-untrusted.key" p256
	SAN=DNS:untrusted.example issue other-ca gw-untrusted \
		"$O/CN=untrusted.example" ext_ee_nocdp
fi

i=1
for name in "$@"; do
	i=$((i + 1))
	for t in ${KEYTYPES:-rsa p256 p384 p521 ed25519}; do
		ee "gw-$name-$t" "$t" "$name.example" "$(gwsan "$name" "$i")"
	done
done
rm -f "$LOG"
