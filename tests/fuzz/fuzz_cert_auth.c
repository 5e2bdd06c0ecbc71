/*
 * libFuzzer target for what IKE_AUTH decodes from a peer with certificate
 * authentication (host/ike/ike_pki.c, linked alone with the log stub):
 *
 *   the whole input   ike_pki_cert_from_der() (a CERT payload of encoding
 *                     4); a certificate that parses goes on to its
 *                     hashes, names, key type, CRL distribution points,
 *                     and its own public key verifying the input as AUTH
 *                     data (a trusted CA may certify any key type);
 *   m k rest...       m the AUTH method, k picks a public key (RSA-2048,
 *                     made at start; P-256 and Ed25519, fixed so that
 *                     seeds signed by -seeds verify in every run) and rest
 *                     the AUTH data: ike_pki_verify() over fixed
 *                     <SignedOctets>, ike_pki_auth_name();
 *                     rest as a DER Name: ike_pki_dn_to_text() and the
 *                     text back through ike_pki_dn_from_text();
 *                     m as an ID type and rest as its data:
 *                     ike_pki_id_matches() against a certificate made at
 *                     start (CN=gw.example with DNS, IPv4, IPv6 and e-mail
 *                     SANs and a subjectKeyIdentifier).
 *
 * Each result must be one the header documents, with a reason when it is
 * not 0, and every text NUL-terminated within its buffer; else abort().
 * The CERT/CERTREQ payload codec is fuzz_ike_parse's.
 *
 *   fuzz_cert_auth -seeds=DIR   writes the seed corpus (make fuzz-seeds)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike_pki.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_RSA, K_P256, K_ED25519, N_KEYS };

/* A P-256 key (SEC1 DER) and an Ed25519 seed, fixed */
static const uint8_t p256_der[] = {
	0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20, 0x9f, 0xc1, 0xa6, 0x4d, 0x64,
	0x8d, 0xba, 0x59, 0x01, 0x5f, 0xaa, 0xf9, 0x02, 0xe0, 0xed, 0xe4, 0x82,
	0x6c, 0xc7, 0xc6, 0x98, 0x35, 0x11, 0x9a, 0x43, 0x82, 0x42, 0x21, 0x08,
	0xc8, 0xf9, 0x08, 0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00, 0x04, 0x92, 0x58, 0x1e,
	0xaa, 0xbb, 0xde, 0x3c, 0x12, 0xa0, 0x4c, 0x85, 0x31, 0x43, 0x44, 0x1b,
	0x3d, 0xe8, 0x49, 0xbf, 0xd3, 0xa6, 0xed, 0x3e, 0x29, 0x74, 0xad, 0xc7,
	0x35, 0xf1, 0x8b, 0x3c, 0x4d, 0xe7, 0xe0, 0xb7, 0x02, 0x6b, 0x48, 0x61,
	0x1b, 0x7b, 0x6d, 0x73, 0xa9, 0x3f, 0xe4, 0x9d, 0xec, 0x7b, 0xd7, 0x45,
	0xaf, 0x7b, 0x58, 0x07, 0x40, 0x8e, 0x87, 0x03, 0x8b, 0x16, 0x5b, 0xf0,
	0x04,
};
static const uint8_t ed25519_seed[32] = "ipsecfx fuzz_cert_auth ed25519!";

static EVP_PKEY *keys[N_KEYS];
static X509 *gw;                /* the certificate IDs are matched against */
static uint8_t octets[64];      /* stand-in <SignedOctets> */

static void die(const char *what)
{
	fprintf(stderr, "fuzz_cert_auth: %s failed\n", what);
	abort();
}

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!(e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) || !X509_add_ext(x, e, -1))
		die("certificate extension");
	X509_EXTENSION_free(e);
}

/* Self-signed with the P-256 key: only its contents matter here. */
static X509 *make_gw(void)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (!x || !n || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1001) ||
	    !X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"XX", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
					(const unsigned char *)"ipsecfx fuzz", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)"gw.example", -1, -1, 0) ||
	    !X509_set_subject_name(x, n) || !X509_set_issuer_name(x, n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, keys[K_P256]))
		die("certificate");
	add_ext(x, NID_subject_alt_name,
		"DNS:gw.example, IP:192.0.2.1, IP:2001:db8::1, email:gw@gw.example");
	add_ext(x, NID_subject_key_identifier, "hash");
	add_ext(x, NID_key_usage, "digitalSignature");
	add_ext(x, NID_crl_distribution_points, "URI:http://crl.example/int.crl");
	if (!X509_sign(x, keys[K_P256], EVP_sha256()))
		die("certificate signature");
	X509_NAME_free(n);
	return x;
}

static void init(void)
{
	const unsigned char *p = p256_der;

	for (size_t i = 0; i < sizeof(octets); i++)
		octets[i] = (uint8_t)(7 * i + 1);
	keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_P256] = d2i_AutoPrivateKey(NULL, &p, sizeof(p256_der));
	keys[K_ED25519] = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, ed25519_seed,
						       sizeof(ed25519_seed));
	for (int i = 0; i < N_KEYS; i++)
		if (!keys[i])
			die("key");
	gw = make_gw();
}

/* ---- checks ---- */

static void check_rc(int rc, const char *why)
{
	if (rc != 0 && rc != -EINVAL && rc != -ENOTSUP && rc != -EACCES && rc != -ENOMEM &&
	    rc != -EIO) {
		fprintf(stderr, "unexpected result %d (%s)\n", rc, why ? why : "no reason");
		abort();
	}
	if (rc && !why) {
		fprintf(stderr, "result %d without a reason\n", rc);
		abort();
	}
}

/* buf (n bytes, poisoned first) holds a NUL-terminated string */
static void check_text(const char *buf, size_t n)
{
	if (!memchr(buf, 0, n))
		abort();
}

static void verify(EVP_PKEY *pub, uint8_t method, const uint8_t *d, size_t n)
{
	const char *why = NULL;
	char name[128];

	check_rc(ike_pki_verify(pub, method, d, n, octets, sizeof(octets), &why), why);
	memset(name, 0x55, sizeof(name));
	if (ike_pki_auth_name(method, d, n, name, sizeof(name)) != name)
		abort();
	check_text(name, sizeof(name));
}

/* A certificate that parsed: what ike_cert.c and list-certs take of it. */
static void cert_paths(X509 *x, const uint8_t *data, size_t size)
{
	uint8_t md[20];
	char t[256], *uris[4];
	int n;
	EVP_PKEY *pub = X509_get0_pubkey(x);

	ike_pki_cert_sha1(x, md);
	ike_pki_spki_sha1(x, md);
	memset(t, 0x55, sizeof(t));
	ike_pki_name_text(X509_get_subject_name(x), t, sizeof(t));
	check_text(t, sizeof(t));
	ike_pki_name_text(X509_get_issuer_name(x), t, sizeof(t));
	check_text(t, sizeof(t));
	memset(t, 0x55, sizeof(t));
	ike_pki_key_type(pub, t, sizeof(t));
	check_text(t, sizeof(t));
	n = ike_pki_crl_uris(x, uris, 4);
	if ((n < 0 && n != -ENOMEM) || n > 4)
		abort();
	for (int i = 0; i < n; i++) {
		if (strncasecmp(uris[i], "http://", 7))
			abort();
		OPENSSL_free(uris[i]);
	}
	ike_pki_id_matches(x, IKEV2_ID_FQDN, (const uint8_t *)"gw.example", 10);
	if (pub) {
		verify(pub, IKEV2_AUTH_RSA_SIG, data, size);
		verify(pub, IKEV2_AUTH_ECDSA_SHA256_P256, data, size);
		verify(pub, IKEV2_AUTH_DIGITAL_SIG, data, size);
	}
}

static void dn_paths(const uint8_t *d, size_t n)
{
	char text[512];
	uint8_t der[1024];
	size_t len;
	const char *why = NULL;
	int rc;

	memset(text, 0x55, sizeof(text));
	rc = ike_pki_dn_to_text(d, n, text, sizeof(text));
	if (rc != 0 && rc != -EINVAL)
		abort();
	if (rc)
		return;
	check_text(text, sizeof(text));
	rc = ike_pki_dn_from_text(text, der, sizeof(der), &len, &why);
	if (rc != 0 && rc != -EINVAL && rc != -ENOBUFS)
		abort();
	if ((rc && !why) || (!rc && len > sizeof(der)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509 *x = ike_pki_cert_from_der(data, size);

	if (x) {
		cert_paths(x, data, size);
		X509_free(x);
	}
	if (size < 2)
		return 0;
	verify(keys[data[1] % N_KEYS], data[0], data + 2, size - 2);
	dn_paths(data + 2, size - 2);
	ike_pki_id_matches(gw, data[0], data + 2, size - 2);
	return 0;
}

/* ---- seeds ---- */

static const char *seed_dir;

static void put(const char *name, uint8_t m, uint8_t k, const uint8_t *b, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", seed_dir, name);
	if (!(f = fopen(path, "wb")) || (m != 0xff && (fputc(m, f) < 0 || fputc(k, f) < 0)) ||
	    fwrite(b, 1, len, f) != len || fclose(f))
		die(path);
}

/* AUTH data of key k as ike_pki_sign() makes it for the peer's hashes. */
static void put_auth(const char *name, int k, uint32_t hashes)
{
	uint8_t auth[IKE_PKI_AUTH_MAX], method;
	size_t len;
	const char *why;

	if (ike_pki_sign(keys[k], hashes, octets, sizeof(octets), &method, auth, sizeof(auth),
			 &len, &why))
		die(why);
	/* (only RSA differs from run to run: its key is made at start) */
	if (k != K_RSA && ike_pki_verify(keys[k], method, auth, len, octets, sizeof(octets), &why))
		die(why);
	put(name, method, (uint8_t)k, auth, len);
}

static void write_seeds(const char *dir)
{
	uint8_t *der = NULL;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(gw);
	int n;

	seed_dir = dir;
	put_auth("ecdsa-p256-rfc7427", K_P256, 1u << IKEV2_SIGHASH_SHA2_256);
	put_auth("ecdsa-p256-method9", K_P256, 0);
	put_auth("ed25519-rfc7427", K_ED25519, 1u << IKEV2_SIGHASH_IDENTITY);
	put_auth("rsa-method1", K_RSA, 0);
	put_auth("rsa-pss-rfc7427", K_RSA, 1u << IKEV2_SIGHASH_SHA2_256);
	/* a DER certificate as a CERT payload carries it (no prefix) */
	if ((n = i2d_X509(gw, &der)) <= 0)
		die("i2d_X509");
	put("cert-der", 0xff, 0, der, (size_t)n);
	OPENSSL_free(der);
	der = NULL;
	/* identities the certificate proves */
	if ((n = i2d_X509_NAME(X509_get_subject_name(gw), &der)) <= 0)
		die("i2d_X509_NAME");
	put("id-dn", IKEV2_ID_DER_ASN1_DN, 0, der, (size_t)n);
	OPENSSL_free(der);
	put("id-fqdn", IKEV2_ID_FQDN, 0, (const uint8_t *)"GW.example", 10);
	put("id-ipv6", IKEV2_ID_IPV6_ADDR, 0,
	    (const uint8_t *)"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	put("id-email", IKEV2_ID_RFC822_ADDR, 0, (const uint8_t *)"gw@gw.example", 13);
	put("id-keyid", IKEV2_ID_KEY_ID, 0, ASN1_STRING_get0_data(ski),
	    (size_t)ASN1_STRING_length(ski));
	fprintf(stderr, "fuzz_cert_auth: seeds written to %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	init();
	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-seeds=", 7) == 0) {
			write_seeds((*argv)[i] + 7);
			exit(0);
		}
	return 0;
}
