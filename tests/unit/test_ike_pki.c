/* IKE PKI (host/ike/ike_pki.c) against a PKI made by tests/lib/mkpki.sh:
 * loading, signature AUTH round trips for every key type and path, the
 * openssl command as an independent signer and verifier in both
 * directions, RFC 7427 Appendix A encodings, malformed AUTH data (run it
 * under ASan), chain validation and revocation modes, identities, DN text,
 * hashes against openssl + sha1sum, CRL distribution points. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ike/ike_pki.h"

#define ALL_HASHES                                                      \
	((1u << IKEV2_SIGHASH_SHA1) | (1u << IKEV2_SIGHASH_SHA2_256) |  \
	 (1u << IKEV2_SIGHASH_SHA2_384) | (1u << IKEV2_SIGHASH_SHA2_512) | \
	 (1u << IKEV2_SIGHASH_IDENTITY))
#define H(x) (1u << IKEV2_SIGHASH_##x)

static char pki[256]; /* the mkpki.sh directory */

/* A path in the PKI directory (from a ring of buffers). */
static const char *P(const char *name)
{
	static char ring[8][512];
	static unsigned k;
	char *b = ring[k++ % 8];

	snprintf(b, sizeof(ring[0]), "%s/%s", pki, name);
	return b;
}

/* Run a shell command quietly; its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048], full[2100];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "{ %s; } >/dev/null 2>&1", cmd);
	rc = system(full);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *path, uint8_t *p, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(p, 1, cap, f);
	fclose(f);
	return n;
}

/* ---- the key types ---- */

static struct kt {
	const char *name;  /* file stem in the PKI */
	const char *label; /* ike_pki_key_type() */
	uint8_t method0;   /* method with peer_hashes 0; 0: -ENOTSUP */
	const char *name0; /* ike_pki_auth_name() of that */
	const char *name14; /* ... and with every hash announced */
	EVP_PKEY *key;
	X509 *cert;
	EVP_PKEY *pub; /* of cert, not owned */
} kts[] = {
	{ .name = "gw-rsa", .label = "RSA-3072", .method0 = IKEV2_AUTH_RSA_SIG,
	  .name0 = "RSA PKCS#1 v1.5 SHA-1 (method 1)",
	  .name14 = "RSASSA-PSS SHA-512 (RFC 7427)" },
	{ .name = "gw-p256", .label = "ECDSA P-256", .method0 = IKEV2_AUTH_ECDSA_SHA256_P256,
	  .name0 = "ECDSA P-256 SHA-256 (method 9)", .name14 = "ECDSA SHA-256 (RFC 7427)" },
	{ .name = "gw-p384", .label = "ECDSA P-384", .method0 = IKEV2_AUTH_ECDSA_SHA384_P384,
	  .name0 = "ECDSA P-384 SHA-384 (method 10)", .name14 = "ECDSA SHA-384 (RFC 7427)" },
	{ .name = "gw-p521", .label = "ECDSA P-521", .method0 = IKEV2_AUTH_ECDSA_SHA512_P521,
	  .name0 = "ECDSA P-521 SHA-512 (method 11)", .name14 = "ECDSA SHA-512 (RFC 7427)" },
	{ .name = "gw-ed25519", .label = "Ed25519", .method0 = 0,
	  .name14 = "Ed25519 (RFC 7427)" },
};
#define N_KT (sizeof(kts) / sizeof(kts[0]))
enum { KT_RSA, KT_P256, KT_P384, KT_P521, KT_ED25519 };

/* The source tree (for tests/lib/mkpki.sh): $IPSECFX_SRC, else
 * $IPSECFX_SRCDIR (as tlib.c), else the current directory. */
static const char *src_dir(void)
{
	const char *s = getenv("IPSECFX_SRC");

	if (!s)
		s = getenv("IPSECFX_SRCDIR");
	return s ? s : ".";
}

/* Stand-in <SignedOctets>. */
static uint8_t octets[300];

static int group_setup(void **state)
{
	const char *src = src_dir();
	const char *tmp = getenv("TMPDIR");
	char file[600], err[512];

	(void)state;
	snprintf(pki, sizeof(pki), "%s/ike_pki.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(pki)) {
		perror("mkdtemp");
		return -1;
	}
	/* not through sh(): mkpki.sh is quiet unless it fails, and then its
	 * words are wanted */
	snprintf(file, sizeof(file), "'%s/tests/lib/mkpki.sh' '%s' 1>&2", src, pki);
	if (system(file)) {
		fprintf(stderr, "# %s failed\n", file);
		sh("rm -rf '%s'", pki);
		return -1;
	}
	for (size_t i = 0; i < N_KT; i++) {
		snprintf(file, sizeof(file), "%s/%s.key", pki, kts[i].name);
		if (!(kts[i].key = ike_pki_key_load(file, err, sizeof(err)))) {
			fprintf(stderr, "# %s\n", err);
			return -1;
		}
		snprintf(file, sizeof(file), "%s/%s.pem", pki, kts[i].name);
		if (!(kts[i].cert = ike_pki_cert_load(file, err, sizeof(err)))) {
			fprintf(stderr, "# %s\n", err);
			return -1;
		}
		kts[i].pub = X509_get0_pubkey(kts[i].cert);
	}
	for (size_t i = 0; i < sizeof(octets); i++)
		octets[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_KT; i++) {
		EVP_PKEY_free(kts[i].key);
		X509_free(kts[i].cert);
	}
	if (pki[0] && strstr(pki, "ike_pki."))
		sh("rm -rf '%s'", pki);
	return 0;
}

static X509 *cert(const char *name)
{
	char err[512];
	X509 *x = ike_pki_cert_load(P(name), err, sizeof(err));

	if (!x)
		fail_msg("%s", err);
	return x;
}

/* ---- loading ---- */

static void test_load(void **state)
{
	char err[512], buf[64];
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509_CRL *crl;
	X509 *x;
	EVP_PKEY *k;
	uint8_t der[4096];
	size_t n;

	(void)state;
	for (size_t i = 0; i < N_KT; i++) {
		char f[128];

		assert_true(ike_pki_key_matches(kts[i].key, kts[i].cert));
		assert_string_equal(ike_pki_key_type(kts[i].key, buf, sizeof(buf)),
				    kts[i].label);
		assert_string_equal(ike_pki_key_type(kts[i].pub, buf, sizeof(buf)),
				    kts[i].label);
		/* the DER file gives the same certificate */
		snprintf(f, sizeof(f), "%s.der", kts[i].name);
		x = cert(f);
		assert_int_equal(X509_cmp(x, kts[i].cert), 0);
		X509_free(x);
		for (size_t j = 0; j < N_KT; j++)
			if (j != i)
				assert_false(ike_pki_key_matches(kts[i].key, kts[j].cert));
	}
	/* a different key of the same type */
	x = cert("gw-expired.pem");
	assert_false(ike_pki_key_matches(kts[KT_P256].key, x));
	X509_free(x);
	assert_false(ike_pki_key_matches(NULL, kts[0].cert));

	/* failures, with the reason */
	assert_null(ike_pki_key_load(P("gw-rsa.pem"), err, sizeof(err)));
	assert_non_null(strstr(err, "gw-rsa.pem: not a private key"));
	assert_null(ike_pki_cert_load(P("gw-rsa.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "gw-rsa.key: not a certificate (PEM or DER)"));
	assert_null(ike_pki_cert_load(P("nonexistent.pem"), err, sizeof(err)));
	assert_non_null(strstr(err, "nonexistent.pem: no such file"));
	assert_null(ike_pki_key_load(P("nonexistent.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "no such file"));
	assert_null(ike_pki_crl_load(P("ca.pem"), err, sizeof(err)));
	assert_non_null(strstr(err, "not a CRL"));
	assert_int_equal(ike_pki_certs_load(P("nonexistent.pem"), sk, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(ike_pki_certs_load(P("gw-rsa.key"), sk, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sk_X509_num(sk), 0);

	/* bundles: PEM with three certificates (and a key between), DER */
	assert_int_equal(sh("cat %s %s %s %s > %s", P("gw-p256.pem"), P("gw-p256.key"),
			    P("int.pem"), P("ca.pem"), P("bundle.pem")), 0);
	assert_int_equal(ike_pki_certs_load(P("bundle.pem"), sk, err, sizeof(err)), 3);
	assert_int_equal(ike_pki_certs_load(P("ca.der"), sk, err, sizeof(err)), 1);
	assert_int_equal(sk_X509_num(sk), 4);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 0), kts[KT_P256].cert), 0);
	/* a bundle with a broken certificate leaves the stack as it was */
	assert_int_equal(sh("cp %s %s && printf -- '-----BEGIN CERTIFICATE-----\\n"
			    "AAAA\\n-----END CERTIFICATE-----\\n' >> %s",
			    P("ca.pem"), P("broken.pem"), P("broken.pem")), 0);
	assert_int_equal(ike_pki_certs_load(P("broken.pem"), sk, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sk_X509_num(sk), 4);
	sk_X509_pop_free(sk, X509_free);

	/* CRLs, PEM and DER */
	assert_non_null(crl = ike_pki_crl_load(P("int-crl.pem"), err, sizeof(err)));
	X509_CRL_free(crl);
	assert_non_null(crl = ike_pki_crl_load(P("int-crl.der"), err, sizeof(err)));
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	X509_CRL_free(crl);

	/* cert_from_der: exactly len octets */
	n = read_file(P("gw-p256.der"), der, sizeof(der) - 1);
	assert_non_null(x = ike_pki_cert_from_der(der, n));
	X509_free(x);
	der[n] = 0;
	assert_null(ike_pki_cert_from_der(der, n + 1));
	assert_null(ike_pki_cert_from_der(der, n - 1));
	assert_null(ike_pki_cert_from_der(der, 0));

	/* other key encodings: DER PKCS#8, traditional PEM, DER traditional */
	assert_int_equal(sh("openssl pkey -in %s -outform DER -out %s", P("gw-p384.key"),
			    P("p384.der.key")), 0);
	assert_non_null(k = ike_pki_key_load(P("p384.der.key"), err, sizeof(err)));
	assert_true(ike_pki_key_matches(k, kts[KT_P384].cert));
	EVP_PKEY_free(k);
	assert_int_equal(sh("openssl pkey -in %s -traditional -out %s", P("gw-rsa.key"),
			    P("rsa.trad.key")), 0);
	assert_int_equal(sh("grep -q 'BEGIN RSA PRIVATE KEY' %s", P("rsa.trad.key")), 0);
	assert_non_null(k = ike_pki_key_load(P("rsa.trad.key"), err, sizeof(err)));
	assert_true(ike_pki_key_matches(k, kts[KT_RSA].cert));
	EVP_PKEY_free(k);
	assert_int_equal(sh("openssl ec -in %s -outform DER -out %s", P("gw-p256.key"),
			    P("p256.trad.der")), 0);
	assert_non_null(k = ike_pki_key_load(P("p256.trad.der"), err, sizeof(err)));
	assert_true(ike_pki_key_matches(k, kts[KT_P256].cert));
	EVP_PKEY_free(k);
	/* refused: encrypted, Ed448, RSA-1024, secp256k1 */
	assert_int_equal(sh("openssl pkey -in %s -aes256 -passout pass:x -out %s",
			    P("gw-p256.key"), P("enc.key")), 0);
	assert_null(ike_pki_key_load(P("enc.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "encrypted"));
	assert_int_equal(sh("openssl genpkey -algorithm ED448 -out %s", P("ed448.key")), 0);
	assert_null(ike_pki_key_load(P("ed448.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "unsupported key type"));
	assert_int_equal(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
			    "-out %s", P("rsa1024.key")), 0);
	assert_null(ike_pki_key_load(P("rsa1024.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "RSA key of 1024 bits"));
	assert_int_equal(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 "
			    "-out %s", P("k1.key")), 0);
	assert_null(ike_pki_key_load(P("k1.key"), err, sizeof(err)));
	assert_non_null(strstr(err, "not on P-256"));
}

/* ---- sign + verify ---- */

/* Where the signature starts in AUTH data of method m. */
static size_t sig_off(uint8_t m, const uint8_t *d)
{
	return m == IKEV2_AUTH_DIGITAL_SIG ? 1u + d[0] : 0;
}

static void test_sign_roundtrip(void **state)
{
	static const uint32_t masks[] = { 0, ALL_HASHES };

	(void)state;
	for (size_t i = 0; i < N_KT; i++) {
		for (size_t mi = 0; mi < 2; mi++) {
			uint8_t out[IKE_PKI_AUTH_MAX], oct[sizeof(octets)], m = 0;
			size_t len = 0, off;
			const char *why = NULL;
			char name[80];
			int rc;

			rc = ike_pki_sign(kts[i].key, masks[mi], octets, sizeof(octets), &m,
					  out, sizeof(out), &len, &why);
			if (!masks[mi] && !kts[i].method0) {
				assert_int_equal(rc, -ENOTSUP);
				assert_non_null(why);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(m, masks[mi] ? IKEV2_AUTH_DIGITAL_SIG : kts[i].method0);
			assert_string_equal(ike_pki_auth_name(m, out, len, name, sizeof(name)),
					    masks[mi] ? kts[i].name14 : kts[i].name0);
			why = "x";
			assert_int_equal(ike_pki_verify(kts[i].pub, m, out, len, octets,
							sizeof(octets), &why), 0);
			assert_null(why);
			/* with the private key object as well */
			assert_int_equal(ike_pki_verify(kts[i].key, m, out, len, octets,
							sizeof(octets), NULL), 0);
			/* a flipped bit in the octets */
			memcpy(oct, octets, sizeof(oct));
			oct[17] ^= 0x10;
			assert_int_equal(ike_pki_verify(kts[i].pub, m, out, len, oct,
							sizeof(oct), &why), -EACCES);
			assert_non_null(strstr(why, "does not verify"));
			/* a flipped bit in the signature, first and last octet */
			off = sig_off(m, out);
			out[off] ^= 0x01;
			assert_int_equal(ike_pki_verify(kts[i].pub, m, out, len, octets,
							sizeof(octets), &why), -EACCES);
			out[off] ^= 0x01;
			out[len - 1] ^= 0x80;
			assert_int_equal(ike_pki_verify(kts[i].pub, m, out, len, octets,
							sizeof(octets), &why), -EACCES);
			out[len - 1] ^= 0x80;
			/* verified with another key of the same type */
			if (i == KT_P256) {
				X509 *x = cert("gw-revoked.pem");

				assert_int_equal(ike_pki_verify(X509_get0_pubkey(x), m, out, len,
								octets, sizeof(octets), &why),
						 -EACCES);
				assert_string_equal(why, "ECDSA P-256 signature does not verify");
				X509_free(x);
			}
			/* buffer too small */
			assert_int_equal(ike_pki_sign(kts[i].key, masks[mi], octets,
						      sizeof(octets), &m, out, len / 2, &len,
						      &why), -ENOBUFS);
		}
	}
}

/* Which algorithm the signer picks for which announced hashes. */
static void test_sign_choice(void **state)
{
	static const struct {
		int kt;
		uint32_t peer;
		int rc;
		uint8_t method;
		const char *name;
	} t[] = {
		{ KT_RSA, H(SHA2_256), 0, 14, "RSASSA-PSS SHA-256 (RFC 7427)" },
		{ KT_RSA, H(SHA2_256) | H(SHA2_384), 0, 14, "RSASSA-PSS SHA-384 (RFC 7427)" },
		{ KT_RSA, H(SHA2_512) | H(IDENTITY), 0, 14, "RSASSA-PSS SHA-512 (RFC 7427)" },
		{ KT_RSA, H(SHA1), 0, 1, "RSA PKCS#1 v1.5 SHA-1 (method 1)" },
		{ KT_RSA, H(IDENTITY), 0, 1, "RSA PKCS#1 v1.5 SHA-1 (method 1)" },
		{ KT_P256, H(SHA2_256) | H(SHA2_512), 0, 14, "ECDSA SHA-256 (RFC 7427)" },
		{ KT_P256, H(SHA2_512), 0, 14, "ECDSA SHA-512 (RFC 7427)" },
		{ KT_P384, H(SHA2_256), 0, 14, "ECDSA SHA-256 (RFC 7427)" },
		{ KT_P384, H(SHA2_256) | H(SHA2_512), 0, 14, "ECDSA SHA-512 (RFC 7427)" },
		{ KT_P521, H(SHA2_384) | H(SHA2_512), 0, 14, "ECDSA SHA-512 (RFC 7427)" },
		{ KT_P521, H(SHA1) | H(IDENTITY), 0, 11, "ECDSA P-521 SHA-512 (method 11)" },
		{ KT_ED25519, H(IDENTITY), 0, 14, "Ed25519 (RFC 7427)" },
		{ KT_ED25519, H(SHA2_256) | H(SHA2_512), -ENOTSUP, 0, NULL },
		{ KT_ED25519, 0x80000000u, -ENOTSUP, 0, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t out[IKE_PKI_AUTH_MAX], m = 0;
		size_t len = 0;
		const char *why = NULL;
		char name[80];
		int rc = ike_pki_sign(kts[t[i].kt].key, t[i].peer, octets, 100, &m, out,
				      sizeof(out), &len, &why);

		assert_int_equal(rc, t[i].rc);
		if (rc) {
			assert_non_null(why);
			continue;
		}
		assert_int_equal(m, t[i].method);
		assert_string_equal(ike_pki_auth_name(m, out, len, name, sizeof(name)),
				    t[i].name);
		assert_int_equal(ike_pki_verify(kts[t[i].kt].pub, m, out, len, octets, 100,
						&why), 0);
	}
}

/* ---- RFC 7427 Appendix A ---- */

/* As published.  A.4.3: the 67 octets the RFC lists, with the SEQUENCE
 * lengths they need (30 41 ... 30 34); the RFC prints 30 46 ... 30 39,
 * lengths that count a trailerField [3] INTEGER 1 it does not list (that
 * longer form is tried in test_ours_verifies_openssl). */
static const uint8_t a1_sha1_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
				       0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00 };
static const uint8_t a1_sha256_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const uint8_t a1_sha384_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 };
static const uint8_t a1_sha512_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 };
static const uint8_t a3_ecdsa_sha1[] = { 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86,
					 0x48, 0xce, 0x3d, 0x04, 0x01 };
static const uint8_t a3_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					   0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t a3_ecdsa_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					   0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t a3_ecdsa_sha512[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
					   0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t a41_pss_empty[] = { 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
					 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
static const uint8_t a42_pss_default[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x00 };
static const uint8_t a43_pss_sha256[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20
};
/* RSASSA-PSS AlgorithmIdentifiers shaped like RFC 7427 A.4.3: outer and
 * parameter SEQUENCE lengths, hash OID last octet, MGF OID last octet,
 * salt octet; extra fields may follow (lengths then include them). */
#define PSS_ALG(l0, l1, h, mgf, salt)                                         \
	0x30, l0, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, \
		0x0a, 0x30, l1, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, \
		0x48, 0x01, 0x65, 0x03, 0x04, 0x02, h, 0x05, 0x00, 0xa1, 0x1c,  \
		0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,     \
		0x01, 0x01, mgf, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,      \
		0x01, 0x65, 0x03, 0x04, 0x02, h, 0x05, 0x00, 0xa2, 0x03, 0x02,  \
		0x01, salt

/* RFC 8420 (RFC 8410 3): id-Ed25519, id-Ed448 */
static const uint8_t rfc8420_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t rfc8420_ed448[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71 };

static const struct pub_alg {
	const char *what;
	const uint8_t *der;
	size_t len;
	int nid;
	int kt;		/* signer key whose output must carry it (-1: none) */
	uint32_t peer;	/* with these hashes announced */
} pub_algs[] = {
	{ "A.1.1 sha1WithRSAEncryption", a1_sha1_rsa, sizeof(a1_sha1_rsa),
	  NID_sha1WithRSAEncryption, -1, 0 },
	{ "A.1.2 sha256WithRSAEncryption", a1_sha256_rsa, sizeof(a1_sha256_rsa),
	  NID_sha256WithRSAEncryption, -1, 0 },
	{ "A.1.3 sha384WithRSAEncryption", a1_sha384_rsa, sizeof(a1_sha384_rsa),
	  NID_sha384WithRSAEncryption, -1, 0 },
	{ "A.1.4 sha512WithRSAEncryption", a1_sha512_rsa, sizeof(a1_sha512_rsa),
	  NID_sha512WithRSAEncryption, -1, 0 },
	{ "A.3.1 ecdsa-with-sha1", a3_ecdsa_sha1, sizeof(a3_ecdsa_sha1),
	  NID_ecdsa_with_SHA1, -1, 0 },
	{ "A.3.2 ecdsa-with-sha256", a3_ecdsa_sha256, sizeof(a3_ecdsa_sha256),
	  NID_ecdsa_with_SHA256, KT_P256, ALL_HASHES },
	{ "A.3.3 ecdsa-with-sha384", a3_ecdsa_sha384, sizeof(a3_ecdsa_sha384),
	  NID_ecdsa_with_SHA384, KT_P384, ALL_HASHES },
	{ "A.3.4 ecdsa-with-sha512", a3_ecdsa_sha512, sizeof(a3_ecdsa_sha512),
	  NID_ecdsa_with_SHA512, KT_P521, ALL_HASHES },
	{ "A.4.1 RSASSA-PSS empty parameters", a41_pss_empty, sizeof(a41_pss_empty),
	  NID_rsassaPss, -1, 0 },
	{ "A.4.2 RSASSA-PSS default parameters", a42_pss_default,
	  sizeof(a42_pss_default), NID_rsassaPss, -1, 0 },
	{ "A.4.3 RSASSA-PSS with SHA-256", a43_pss_sha256, sizeof(a43_pss_sha256),
	  NID_rsassaPss, KT_RSA, H(SHA2_256) },
	{ "RFC 8420 Ed25519", rfc8420_ed25519, sizeof(rfc8420_ed25519), NID_ED25519,
	  KT_ED25519, ALL_HASHES },
	{ "RFC 8420 Ed448", rfc8420_ed448, sizeof(rfc8420_ed448), NID_ED448, -1, 0 },
};
#define N_PUB_ALGS (sizeof(pub_algs) / sizeof(pub_algs[0]))

static void test_rfc7427_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_PUB_ALGS; i++) {
		const struct pub_alg *a = &pub_algs[i];
		const unsigned char *p = a->der;
		X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)a->len);
		const ASN1_OBJECT *obj;

		if (!alg || p != a->der + a->len)
			fail_msg("%s does not decode", a->what);
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
		if (OBJ_obj2nid(obj) != a->nid)
			fail_msg("%s: NID %d", a->what, OBJ_obj2nid(obj));
		X509_ALGOR_free(alg);
		if (a->kt >= 0) {
			uint8_t out[IKE_PKI_AUTH_MAX], m = 0;
			size_t len = 0;

			assert_int_equal(ike_pki_sign(kts[a->kt].key, a->peer, octets, 64, &m,
						      out, sizeof(out), &len, NULL), 0);
			assert_int_equal(m, IKEV2_AUTH_DIGITAL_SIG);
			if (out[0] != a->len || memcmp(out + 1, a->der, a->len))
				fail_msg("%s: the signer's AlgorithmIdentifier differs", a->what);
		}
	}
}

/* ---- the openssl command as the other side ---- */

/* r | s to DER with ECDSA_SIG; the DER length. */
static size_t rs2der(const uint8_t *rs, size_t len, uint8_t *der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	unsigned char *p = der;
	int n;

	assert_non_null(s);
	assert_true(ECDSA_SIG_set0(s, BN_bin2bn(rs, (int)(len / 2), NULL),
				   BN_bin2bn(rs + len / 2, (int)(len / 2), NULL)));
	n = i2d_ECDSA_SIG(s, &p);
	assert_true(n > 0);
	ECDSA_SIG_free(s);
	return (size_t)n;
}

static size_t der2rs(const uint8_t *der, size_t len, size_t fsize, uint8_t *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *sv;

	assert_non_null(s);
	ECDSA_SIG_get0(s, &r, &sv);
	assert_int_equal(BN_bn2binpad(r, rs, (int)fsize), fsize);
	assert_int_equal(BN_bn2binpad(sv, rs + fsize, (int)fsize), fsize);
	ECDSA_SIG_free(s);
	return 2 * fsize;
}

static void pubfile(size_t i, const char *path)
{
	assert_int_equal(sh("openssl x509 -in %s/%s.pem -pubkey -noout > %s", pki,
			    kts[i].name, path), 0);
}

/* Our signatures, verified by openssl dgst / pkeyutl. */
static void test_openssl_verifies_ours(void **state)
{
	static const uint32_t masks[] = { 0, ALL_HASHES, H(SHA2_256), H(SHA2_384) };

	(void)state;
	write_file(P("octets"), octets, sizeof(octets));
	for (size_t i = 0; i < N_KT; i++) {
		pubfile(i, P("pub.pem"));
		for (size_t mi = 0; mi < sizeof(masks) / sizeof(masks[0]); mi++) {
			uint8_t out[IKE_PKI_AUTH_MAX], sig[IKE_PKI_AUTH_MAX], m = 0;
			size_t len = 0, sl, off;
			char name[80], cmd[1024];
			const char *dg;
			int rc;

			rc = ike_pki_sign(kts[i].key, masks[mi], octets, sizeof(octets), &m,
					  out, sizeof(out), &len, NULL);
			if (rc == -ENOTSUP)
				continue;
			assert_int_equal(rc, 0);
			ike_pki_auth_name(m, out, len, name, sizeof(name));
			off = sig_off(m, out);
			sl = len - off;
			memcpy(sig, out + off, sl);
			if (m >= IKEV2_AUTH_ECDSA_SHA256_P256 && m <= IKEV2_AUTH_ECDSA_SHA512_P521)
				sl = rs2der(out, len, sig);
			if (i == KT_ED25519) {
				snprintf(cmd, sizeof(cmd),
					 "openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s "
					 "-sigfile %s", P("pub.pem"), P("octets"), P("sig"));
			} else {
				dg = m == IKEV2_AUTH_RSA_SIG ? "-sha1" :
				     m == IKEV2_AUTH_ECDSA_SHA256_P256 ? "-sha256" :
				     m == IKEV2_AUTH_ECDSA_SHA384_P384 ? "-sha384" :
				     m == IKEV2_AUTH_ECDSA_SHA512_P521 ? "-sha512" :
				     strstr(name, "SHA-256") ? "-sha256" :
				     strstr(name, "SHA-384") ? "-sha384" : "-sha512";
				snprintf(cmd, sizeof(cmd),
					 "openssl dgst %s %s -verify %s -signature %s %s", dg,
					 strstr(name, "PSS") ? "-sigopt rsa_padding_mode:pss "
							       "-sigopt rsa_pss_saltlen:digest" : "",
					 P("pub.pem"), P("sig"), P("octets"));
			}
			write_file(P("sig"), sig, sl);
			if (sh("%s", cmd))
				fail_msg("openssl does not verify %s with %s", name, kts[i].name);
			/* and the check can fail: a corrupted signature */
			sig[sl / 2] ^= 0x04;
			write_file(P("sig"), sig, sl);
			assert_int_not_equal(sh("%s", cmd), 0);
		}
	}
}

/* method 14 data: alg | sig */
static size_t wrap14(uint8_t *out, const uint8_t *alg, size_t alen,
		     const uint8_t *sig, size_t slen)
{
	out[0] = (uint8_t)alen;
	memcpy(out + 1, alg, alen);
	memcpy(out + 1 + alen, sig, slen);
	return 1 + alen + slen;
}

/* Signatures by openssl dgst / pkeyutl, verified by ike_pki_verify. */
static void test_ours_verifies_openssl(void **state)
{
	static const struct {
		int kt;
		const char *cmd; /* %s: key, octets, sig */
		uint8_t method;
		const uint8_t *alg;
		size_t alen;
		int want;
	} t[] = {
		{ KT_RSA, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 14,
		  a1_sha256_rsa, sizeof(a1_sha256_rsa), 0 },
		{ KT_RSA, "openssl dgst -sha512 -sign %1$s -out %3$s %2$s", 14,
		  a1_sha512_rsa, sizeof(a1_sha512_rsa), 0 },
		/* the hash of the AlgorithmIdentifier is the one used */
		{ KT_RSA, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 14,
		  a1_sha384_rsa, sizeof(a1_sha384_rsa), -EACCES },
		{ KT_RSA, "openssl dgst -sha1 -sign %1$s -out %3$s %2$s", 1, NULL, 0, 0 },
		{ KT_RSA,
		  "openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt "
		  "rsa_pss_saltlen:digest -sign %1$s -out %3$s %2$s",
		  14, a43_pss_sha256, sizeof(a43_pss_sha256), 0 },
		/* PKCS#1 v1.5 signature under a PSS AlgorithmIdentifier */
		{ KT_RSA, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 14,
		  a43_pss_sha256, sizeof(a43_pss_sha256), -EACCES },
		{ KT_P256, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 14,
		  a3_ecdsa_sha256, sizeof(a3_ecdsa_sha256), 0 },
		{ KT_P384, "openssl dgst -sha384 -sign %1$s -out %3$s %2$s", 14,
		  a3_ecdsa_sha384, sizeof(a3_ecdsa_sha384), 0 },
		{ KT_P384, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 14,
		  a3_ecdsa_sha256, sizeof(a3_ecdsa_sha256), 0 },
		{ KT_P521, "openssl dgst -sha512 -sign %1$s -out %3$s %2$s", 14,
		  a3_ecdsa_sha512, sizeof(a3_ecdsa_sha512), 0 },
		/* DER from openssl, turned into RFC 4754 r | s */
		{ KT_P256, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 9, NULL, 0, 0 },
		{ KT_P384, "openssl dgst -sha384 -sign %1$s -out %3$s %2$s", 10, NULL, 0, 0 },
		{ KT_P521, "openssl dgst -sha512 -sign %1$s -out %3$s %2$s", 11, NULL, 0, 0 },
		{ KT_P521, "openssl dgst -sha256 -sign %1$s -out %3$s %2$s", 11, NULL, 0,
		  -EACCES },
		{ KT_ED25519, "openssl pkeyutl -sign -rawin -inkey %1$s -in %2$s -out %3$s", 14,
		  rfc8420_ed25519, sizeof(rfc8420_ed25519), 0 },
	};

	(void)state;
	write_file(P("octets"), octets, sizeof(octets));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t sig[2048], data[2200];
		char key[600], cmd[2048];
		size_t sl, dl;
		const char *why = NULL;
		int rc;

		snprintf(key, sizeof(key), "%s/%s.key", pki, kts[t[i].kt].name);
		snprintf(cmd, sizeof(cmd), t[i].cmd, key, P("octets"), P("sig"));
		assert_int_equal(sh("%s", cmd), 0);
		sl = read_file(P("sig"), sig, sizeof(sig));
		assert_true(sl > 0);
		if (t[i].method == 14)
			dl = wrap14(data, t[i].alg, t[i].alen, sig, sl);
		else if (t[i].method == 1)
			memcpy(data, sig, dl = sl);
		else
			dl = der2rs(sig, sl, t[i].method == 9 ? 32 : t[i].method == 10 ? 48 : 66,
				    data);
		rc = ike_pki_verify(kts[t[i].kt].pub, t[i].method, data, dl, octets,
				    sizeof(octets), &why);
		if (rc != t[i].want)
			fail_msg("#%zu %s: %d (%s), want %d", i, cmd, rc, why ? why : "-",
				 t[i].want);
	}

	/* RSASSA-PSS salt length and MGF1 hash come from the parameters */
	{
		/* A.4.3 as printed in the RFC (lengths 0x46/0x39) completed
		 * with the trailer field it counts: [3] INTEGER 1 */
		static const uint8_t pss_trailer1[] = {
			PSS_ALG(0x46, 0x39, 0x01, 0x08, 0x20), 0xa3, 0x03, 0x02, 0x01, 0x01
		};
		uint8_t alg20[sizeof(a43_pss_sha256)], sig[1024], data[1200];
		const char *why = NULL;
		char name[80];
		size_t sl, dl;

		assert_int_equal(sh("openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
				    "-sigopt rsa_pss_saltlen:20 -sign %s/gw-rsa.key -out %s %s",
				    pki, P("sig"), P("octets")), 0);
		sl = read_file(P("sig"), sig, sizeof(sig));
		memcpy(alg20, a43_pss_sha256, sizeof(alg20));
		alg20[sizeof(alg20) - 1] = 20; /* saltLength [2] INTEGER 20 */
		dl = wrap14(data, alg20, sizeof(alg20), sig, sl);
		assert_int_equal(ike_pki_verify(kts[KT_RSA].pub, 14, data, dl, octets,
						sizeof(octets), &why), 0);
		assert_string_equal(ike_pki_auth_name(14, data, dl, name, sizeof(name)),
				    "RSASSA-PSS SHA-256 salt 20 (RFC 7427)");
		/* the same signature claimed with salt 32 */
		dl = wrap14(data, a43_pss_sha256, sizeof(a43_pss_sha256), sig, sl);
		assert_int_equal(ike_pki_verify(kts[KT_RSA].pub, 14, data, dl, octets,
						sizeof(octets), &why), -EACCES);
		assert_string_equal(why, "RSASSA-PSS signature does not verify");

		assert_int_equal(sh("openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
				    "-sigopt rsa_pss_saltlen:digest -sign %s/gw-rsa.key -out %s %s",
				    pki, P("sig"), P("octets")), 0);
		sl = read_file(P("sig"), sig, sizeof(sig));
		dl = wrap14(data, pss_trailer1, sizeof(pss_trailer1), sig, sl);
		assert_int_equal(ike_pki_verify(kts[KT_RSA].pub, 14, data, dl, octets,
						sizeof(octets), &why), 0);

		/* MGF1 with SHA-384 under SHA-256 (the 0x01 of id-sha256 in the
		 * MGF1 parameters is octet 59) */
		assert_int_equal(sh("openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
				    "-sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha384 "
				    "-sign %s/gw-rsa.key -out %s %s",
				    pki, P("sig"), P("octets")), 0);
		sl = read_file(P("sig"), sig, sizeof(sig));
		memcpy(alg20, a43_pss_sha256, sizeof(alg20));
		assert_int_equal(alg20[59], 0x01);
		alg20[59] = 0x02;
		dl = wrap14(data, alg20, sizeof(alg20), sig, sl);
		assert_int_equal(ike_pki_verify(kts[KT_RSA].pub, 14, data, dl, octets,
						sizeof(octets), &why), 0);
		dl = wrap14(data, a43_pss_sha256, sizeof(a43_pss_sha256), sig, sl);
		assert_int_equal(ike_pki_verify(kts[KT_RSA].pub, 14, data, dl, octets,
						sizeof(octets), &why), -EACCES);
	}
}

/* ---- malformed AUTH data ---- */

static void test_malformed(void **state)
{
	static const uint8_t sig64[64] = { 1, 2, 3 };
	uint8_t rsa_sig[IKE_PKI_AUTH_MAX], p256_sig[IKE_PKI_AUTH_MAX], m;
	size_t rsa_len, p256_len;
	static const uint8_t garbage[] = { 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3 };
	static const uint8_t past_end[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a };
	static const uint8_t zero_len[] = { 0x00, 0x30, 0x0a };
	/* ecdsa-with-SHA256 followed by a stray octet inside the length */
	static const uint8_t inner_extra[] = { 0x0d, 0x30, 0x0a, 0x06, 0x08, 0x2a,
					       0x86, 0x48, 0xce, 0x3d, 0x04, 0x03,
					       0x02, 0x00, 0x30, 0x06 };
	/* md5WithRSAEncryption */
	static const uint8_t md5_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					   0xf7, 0x0d, 0x01, 0x01, 0x04, 0x05, 0x00 };
	/* ecdsa-with-SHA256 with an INTEGER parameter */
	static const uint8_t ecdsa_param[] = { 0x30, 0x0d, 0x06, 0x08, 0x2a, 0x86, 0x48,
					       0xce, 0x3d, 0x04, 0x03, 0x02, 0x02,
					       0x01, 0x00 };
	/* PSS parameters that are a NULL, and ones that are junk */
	static const uint8_t pss_null[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					    0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x05, 0x00 };
	static const uint8_t pss_junk[] = { 0x30, 0x10, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
					    0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x03,
					    0x02, 0x01, 0x01 };
	/* with the trailer field [3] INTEGER 2 */
	static const uint8_t pss_trailer2[] = { PSS_ALG(0x46, 0x39, 0x01, 0x08, 0x20),
						0xa3, 0x03, 0x02, 0x01, 0x02 };
	/* saltLength -1 */
	static const uint8_t pss_neg_salt[] = { PSS_ALG(0x41, 0x34, 0x01, 0x08, 0xff) };
	/* maskGenAlgorithm id-pSpecified (1.2.840.113549.1.1.9), not MGF1 */
	static const uint8_t pss_not_mgf1[] = { PSS_ALG(0x41, 0x34, 0x01, 0x09, 0x20) };
	/* SHA-224 */
	static const uint8_t pss_sha224[] = { PSS_ALG(0x41, 0x34, 0x04, 0x08, 0x1c) };
	struct {
		const char *what;
		int kt;
		uint8_t method;
		const uint8_t *alg; /* method 14: AlgorithmIdentifier, else NULL */
		size_t alen;
		const uint8_t *raw; /* or whole AUTH data */
		size_t raw_len;
		int rc;
		const char *why;
	} t[] = {
		{ "empty", KT_RSA, 14, NULL, 0, sig64, 0, -EINVAL, "empty" },
		{ "length octet 0", KT_P256, 14, NULL, 0, zero_len, sizeof(zero_len),
		  -EINVAL, "length 0" },
		{ "length past the end", KT_P256, 14, NULL, 0, past_end, sizeof(past_end),
		  -EINVAL, "runs past" },
		{ "AlgorithmIdentifier garbage", KT_P256, 14, NULL, 0, garbage,
		  sizeof(garbage), -EINVAL, "does not parse" },
		{ "AlgorithmIdentifier shorter than its length", KT_P256, 14, NULL, 0,
		  inner_extra, sizeof(inner_extra), -EINVAL, "does not parse" },
		{ "sha1WithRSAEncryption", KT_RSA, 14, a1_sha1_rsa, sizeof(a1_sha1_rsa),
		  NULL, 0, -ENOTSUP, "RFC 7427 AlgorithmIdentifier: SHA-1 not accepted" },
		{ "ecdsa-with-SHA1", KT_P256, 14, a3_ecdsa_sha1, sizeof(a3_ecdsa_sha1),
		  NULL, 0, -ENOTSUP, "SHA-1 not accepted" },
		{ "RSASSA-PSS empty parameters (SHA-1)", KT_RSA, 14, a41_pss_empty,
		  sizeof(a41_pss_empty), NULL, 0, -ENOTSUP, "SHA-1 not accepted" },
		{ "RSASSA-PSS default parameters (SHA-1)", KT_RSA, 14, a42_pss_default,
		  sizeof(a42_pss_default), NULL, 0, -ENOTSUP, "SHA-1 not accepted" },
		{ "RSASSA-PSS NULL parameters", KT_RSA, 14, pss_null, sizeof(pss_null),
		  NULL, 0, -EINVAL, "RSASSA-PSS" },
		{ "RSASSA-PSS junk parameters", KT_RSA, 14, pss_junk, sizeof(pss_junk),
		  NULL, 0, -EINVAL, "RSASSA-PSS" },
		{ "RSASSA-PSS trailer field 2", KT_RSA, 14, pss_trailer2,
		  sizeof(pss_trailer2), NULL, 0, -EINVAL, "trailer field is not 1" },
		{ "RSASSA-PSS salt -1", KT_RSA, 14, pss_neg_salt, sizeof(pss_neg_salt),
		  NULL, 0, -EINVAL, "bad salt length" },
		{ "RSASSA-PSS not MGF1", KT_RSA, 14, pss_not_mgf1, sizeof(pss_not_mgf1),
		  NULL, 0, -EINVAL, "not MGF1" },
		{ "RSASSA-PSS SHA-224", KT_RSA, 14, pss_sha224, sizeof(pss_sha224), NULL, 0,
		  -ENOTSUP, "hash not SHA-256, SHA-384 or SHA-512" },
		{ "md5WithRSAEncryption", KT_RSA, 14, md5_rsa, sizeof(md5_rsa), NULL, 0,
		  -ENOTSUP, "not supported" },
		{ "ecdsa with parameters", KT_P256, 14, ecdsa_param, sizeof(ecdsa_param),
		  NULL, 0, -EINVAL, "parameters" },
		{ "ecdsa algorithm, RSA key", KT_RSA, 14, a3_ecdsa_sha256,
		  sizeof(a3_ecdsa_sha256), NULL, 0, -EINVAL, "not ECDSA" },
		{ "PSS algorithm, P-256 key", KT_P256, 14, a43_pss_sha256,
		  sizeof(a43_pss_sha256), NULL, 0, -EINVAL, "not RSA" },
		{ "PKCS#1 algorithm, Ed25519 key", KT_ED25519, 14, a1_sha256_rsa,
		  sizeof(a1_sha256_rsa), NULL, 0, -EINVAL, "not RSA" },
		{ "Ed25519 algorithm, P-256 key", KT_P256, 14, rfc8420_ed25519,
		  sizeof(rfc8420_ed25519), NULL, 0, -EINVAL, "not Ed25519" },
		{ "Ed448 algorithm, Ed25519 key", KT_ED25519, 14, rfc8420_ed448,
		  sizeof(rfc8420_ed448), NULL, 0, -EINVAL, "not Ed448" },
		{ "empty signature", KT_P256, 14, a3_ecdsa_sha256, sizeof(a3_ecdsa_sha256),
		  sig64, 0, -EINVAL, "no signature" },
		{ "ECDSA signature not DER", KT_P256, 14, a3_ecdsa_sha256,
		  sizeof(a3_ecdsa_sha256), sig64, sizeof(sig64), -EACCES,
		  "ECDSA P-256 signature does not verify" },
		{ "Ed25519 signature too short", KT_ED25519, 14, rfc8420_ed25519,
		  sizeof(rfc8420_ed25519), sig64, 63, -EACCES, "does not verify" },
		{ "RSA signature too short", KT_RSA, 14, a1_sha256_rsa,
		  sizeof(a1_sha256_rsa), sig64, sizeof(sig64), -EACCES, "does not verify" },
		{ "method 10, P-256 key", KT_P256, 10, NULL, 0, sig64, 64, -EINVAL,
		  "method 10 (ECDSA P-384) with a P-256 key" },
		{ "method 9, P-521 key", KT_P521, 9, NULL, 0, sig64, 64, -EINVAL,
		  "method 9 (ECDSA P-256) with a P-521 key" },
		{ "method 11, RSA key", KT_RSA, 11, NULL, 0, sig64, 64, -EINVAL,
		  "method 11 (ECDSA P-521) with a key not on P-521" },
		{ "method 9, 63 octets", KT_P256, 9, NULL, 0, sig64, 63, -EINVAL, "r | s" },
		{ "method 9, empty", KT_P256, 9, NULL, 0, sig64, 0, -EINVAL, "r | s" },
		{ "method 9, r = s = 0", KT_P256, 9, NULL, 0, (const uint8_t[64]){ 0 }, 64,
		  -EACCES, "does not verify" },
		{ "method 1, P-256 key", KT_P256, 1, NULL, 0, sig64, 64, -EINVAL,
		  "not RSA" },
		{ "method 1, empty", KT_RSA, 1, NULL, 0, sig64, 0, -EINVAL, "no signature" },
		{ "method 1, short", KT_RSA, 1, NULL, 0, sig64, 64, -EACCES,
		  "does not verify" },
		{ "method 2", KT_RSA, 2, NULL, 0, sig64, 64, -ENOTSUP, "not a signature" },
		{ "method 3 (DSS)", KT_RSA, 3, NULL, 0, sig64, 64, -ENOTSUP,
		  "not a signature" },
	};
	const char *why;

	(void)state;
	assert_int_equal(ike_pki_sign(kts[KT_RSA].key, ALL_HASHES, octets, 50, &m, rsa_sig,
				      sizeof(rsa_sig), &rsa_len, NULL), 0);
	assert_int_equal(ike_pki_sign(kts[KT_P256].key, ALL_HASHES, octets, 50, &m,
				      p256_sig, sizeof(p256_sig), &p256_len, NULL), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t data[2048];
		size_t dl;
		int rc;

		if (t[i].alg)
			dl = wrap14(data, t[i].alg, t[i].alen, t[i].raw ? t[i].raw : sig64,
				    t[i].raw ? t[i].raw_len : sizeof(sig64));
		else
			memcpy(data, t[i].raw, dl = t[i].raw_len);
		/* a heap copy of exactly dl octets, so ASan sees overreads */
		{
			uint8_t *h = malloc(dl ? dl : 1);

			assert_non_null(h);
			memcpy(h, data, dl);
			why = NULL;
			rc = ike_pki_verify(kts[t[i].kt].pub, t[i].method, h, dl, octets, 50,
					    &why);
			free(h);
		}
		if (rc != t[i].rc || !why || !strstr(why, t[i].why))
			fail_msg("%s: %d (%s), want %d (%s)", t[i].what, rc, why ? why : "NULL",
				 t[i].rc, t[i].why);
	}

	/* every truncation and every single-octet change of good method 14
	 * data fails, cleanly */
	for (int k = 0; k < 2; k++) {
		const uint8_t *good = k ? p256_sig : rsa_sig;
		size_t gl = k ? p256_len : rsa_len;
		EVP_PKEY *pub = kts[k ? KT_P256 : KT_RSA].pub;

		for (size_t l = 0; l < gl; l++) {
			uint8_t *h = malloc(l ? l : 1);

			memcpy(h, good, l);
			why = NULL;
			assert_true(ike_pki_verify(pub, 14, h, l, octets, 50, &why) < 0);
			assert_non_null(why);
			free(h);
		}
		for (size_t o = 0; o < gl; o += k ? 1 : 7) {
			uint8_t *h = malloc(gl);

			memcpy(h, good, gl);
			h[o] ^= (uint8_t)(0x01 << (o % 8));
			why = NULL;
			assert_true(ike_pki_verify(pub, 14, h, gl, octets, 50, &why) < 0);
			assert_non_null(why);
			free(h);
		}
	}
	/* random AUTH data, with and without a valid AlgorithmIdentifier */
	{
		uint64_t x = 0x9e3779b97f4a7c15ull;

		for (int r = 0; r < 3000; r++) {
			size_t l = (size_t)(r % 97), kt = (size_t)r % N_KT;
			uint8_t *h = malloc(l + 16);

			for (size_t j = 0; j < l + 16; j++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				h[j] = (uint8_t)x;
			}
			if (r % 3 == 1 && l > 13) {
				h[0] = 12;
				memcpy(h + 1, a3_ecdsa_sha256, 12);
			}
			if (r % 3 == 2 && l > 8) {
				h[0] = 7;
				memcpy(h + 1, rfc8420_ed25519, 7);
			}
			why = NULL;
			assert_true(ike_pki_verify(kts[kt].pub,
						   (uint8_t)(r % 5 == 4 ? 9 + r % 3 : 14), h, l,
						   octets, 50, &why) < 0);
			assert_non_null(why);
			{
				char name[80];

				ike_pki_auth_name(14, h, l, name, sizeof(name));
			}
			free(h);
		}
	}
}

static void test_auth_name(void **state)
{
	static const uint8_t junk[] = { 3, 1, 2, 3, 4 };
	uint8_t d[200];
	char b[80], tiny[6];
	size_t n;

	(void)state;
	assert_string_equal(ike_pki_auth_name(9, NULL, 0, b, sizeof(b)),
			    "ECDSA P-256 SHA-256 (method 9)");
	assert_string_equal(ike_pki_auth_name(11, NULL, 0, b, sizeof(b)),
			    "ECDSA P-521 SHA-512 (method 11)");
	n = wrap14(d, a1_sha384_rsa, sizeof(a1_sha384_rsa), junk, 3);
	assert_string_equal(ike_pki_auth_name(14, d, n, b, sizeof(b)),
			    "RSA PKCS#1 v1.5 SHA-384 (RFC 7427)");
	n = wrap14(d, a43_pss_sha256, sizeof(a43_pss_sha256), junk, 3);
	assert_string_equal(ike_pki_auth_name(14, d, n, b, sizeof(b)),
			    "RSASSA-PSS SHA-256 (RFC 7427)");
	n = wrap14(d, a41_pss_empty, sizeof(a41_pss_empty), junk, 3);
	assert_string_equal(ike_pki_auth_name(14, d, n, b, sizeof(b)),
			    "RSASSA-PSS SHA-1 (RFC 7427)");
	n = wrap14(d, rfc8420_ed448, sizeof(rfc8420_ed448), junk, 3);
	assert_string_equal(ike_pki_auth_name(14, d, n, b, sizeof(b)), "Ed448 (RFC 7427)");
	n = wrap14(d, a3_ecdsa_sha1, sizeof(a3_ecdsa_sha1), junk, 3);
	assert_string_equal(ike_pki_auth_name(14, d, n, b, sizeof(b)),
			    "ECDSA SHA-1 (RFC 7427)");
	assert_string_equal(ike_pki_auth_name(14, junk, sizeof(junk), b, sizeof(b)), "?");
	assert_string_equal(ike_pki_auth_name(14, NULL, 0, b, sizeof(b)), "?");
	assert_string_equal(ike_pki_auth_name(200, NULL, 0, b, sizeof(b)), "?");
	ike_pki_auth_name(9, NULL, 0, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- chain validation ---- */

struct chain_case {
	const char *what;
	const char *ee;
	const char *anchors;   /* space-separated PEM names */
	const char *untrusted; /* ditto, NULL for none */
	const char *crls;      /* ditto */
	enum ike_pki_revocation rev;
	int rc;
	const char *why; /* substring */
	int chain_len;	 /* on success */
};

static STACK_OF(X509) *certs_of(const char *list)
{
	STACK_OF(X509) *sk;
	char buf[256], *save = NULL;

	if (!list)
		return NULL;
	sk = sk_X509_new_null();
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
		sk_X509_push(sk, cert(w));
	return sk;
}

static STACK_OF(X509_CRL) *crls_of(const char *list)
{
	STACK_OF(X509_CRL) *sk;
	char buf[256], err[512], *save = NULL;

	if (!list)
		return NULL;
	sk = sk_X509_CRL_new_null();
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		X509_CRL *c = ike_pki_crl_load(P(w), err, sizeof(err));

		if (!c)
			fail_msg("%s", err);
		sk_X509_CRL_push(sk, c);
	}
	return sk;
}

static void test_chain(void **state)
{
	static const char *const CRLS = "int-crl.pem ca-crl.der";
	static const struct chain_case t[] = {
		{ "RSA", "gw-rsa.pem", "ca.pem", "int.pem", NULL, IKE_PKI_REV_RELAXED, 0,
		  NULL, 3 },
		{ "P-256", "gw-p256.pem", "ca.pem", "int.pem", NULL, IKE_PKI_REV_RELAXED, 0,
		  NULL, 3 },
		{ "P-384 (DER)", "gw-p384.der", "ca.der", "int.der", NULL,
		  IKE_PKI_REV_RELAXED, 0, NULL, 3 },
		{ "P-521", "gw-p521.pem", "ca.pem", "int.pem", CRLS, IKE_PKI_REV_STRICT, 0,
		  NULL, 3 },
		{ "Ed25519", "gw-ed25519.pem", "ca.pem", "int.pem", CRLS,
		  IKE_PKI_REV_IFURI, 0, NULL, 3 },
		{ "intermediate as the anchor", "gw-p256.pem", "int.pem", NULL, NULL,
		  IKE_PKI_REV_RELAXED, 0, NULL, 2 },
		{ "both CA in the anchors", "gw-p256.pem", "ca.pem int.pem", NULL, NULL,
		  IKE_PKI_REV_RELAXED, 0, NULL, 0 },
		{ "no intermediate", "gw-p256.pem", "ca.pem", NULL, NULL,
		  IKE_PKI_REV_RELAXED, -EACCES,
		  "unable to get local issuer certificate: no trust anchor for C=XX, "
		  "O=ipsecfx test, CN=ipsecfx test Int CA (issuer of C=XX, O=ipsecfx test, "
		  "CN=gw.example)", 0 },
		{ "expired", "gw-expired.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_RELAXED, -EACCES,
		  "certificate has expired (notAfter 2021-01-01 00:00:00 UTC): C=XX, "
		  "O=ipsecfx test, CN=expired.example", 0 },
		{ "not yet valid", "gw-future.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_RELAXED, -EACCES,
		  "certificate is not yet valid (notBefore 2099-01-01 00:00:00 UTC): C=XX, "
		  "O=ipsecfx test, CN=future.example", 0 },
		{ "untrusted CA", "gw-untrusted.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_RELAXED, -EACCES,
		  "unable to get local issuer certificate: no trust anchor for C=XX, "
		  "O=Other, CN=Other Root CA", 0 },
		{ "untrusted CA sent along", "gw-untrusted.pem", "ca.pem", "other-ca.pem",
		  NULL, IKE_PKI_REV_RELAXED, -EACCES, "self-signed certificate in "
		  "certificate chain: C=XX, O=Other, CN=Other Root CA", 0 },
		{ "revoked", "gw-revoked.pem", "ca.pem", "int.pem", CRLS,
		  IKE_PKI_REV_RELAXED, -EACCES,
		  "certificate revoked (CRL of C=XX, O=ipsecfx test, CN=ipsecfx test Int "
		  "CA): C=XX, O=ipsecfx test, CN=revoked.example", 0 },
		{ "revoked, strict", "gw-revoked.pem", "ca.pem", "int.pem", CRLS,
		  IKE_PKI_REV_STRICT, -EACCES, "certificate revoked", 0 },
		{ "revoked, no CRL, relaxed", "gw-revoked.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_RELAXED, 0, NULL, 3 },
		{ "revoked, no CRL, strict", "gw-revoked.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_STRICT, -EACCES,
		  "unable to get certificate CRL (revocation status unknown): C=XX, "
		  "O=ipsecfx test, CN=revoked.example", 0 },
		{ "revoked, no CRL, ifuri", "gw-revoked.pem", "ca.pem", "int.pem", NULL,
		  IKE_PKI_REV_IFURI, -EACCES, "unable to get certificate CRL", 0 },
		{ "revoked, expired CRL, relaxed", "gw-revoked.pem", "ca.pem", "int.pem",
		  "int-crl-expired.pem ca-crl.pem", IKE_PKI_REV_RELAXED, -EACCES,
		  "certificate revoked", 0 },
		{ "good, expired CRL, relaxed", "gw-p256.pem", "ca.pem", "int.pem",
		  "int-crl-expired.pem ca-crl.pem", IKE_PKI_REV_RELAXED, 0, NULL, 3 },
		{ "good, expired CRL, strict", "gw-p256.pem", "ca.pem", "int.pem",
		  "int-crl-expired.pem ca-crl.pem", IKE_PKI_REV_STRICT, -EACCES,
		  "CRL has expired (revocation status unknown): C=XX, O=ipsecfx test, "
		  "CN=gw.example", 0 },
		{ "good, expired CRL, ifuri", "gw-p256.pem", "ca.pem", "int.pem",
		  "int-crl-expired.pem ca-crl.pem", IKE_PKI_REV_IFURI, -EACCES,
		  "CRL has expired", 0 },
		{ "good, only the intermediate's CRL, relaxed", "gw-p256.pem", "ca.pem",
		  "int.pem", "int-crl.pem", IKE_PKI_REV_RELAXED, 0, NULL, 3 },
		{ "good, only the intermediate's CRL, strict", "gw-p256.pem", "ca.pem",
		  "int.pem", "int-crl.pem", IKE_PKI_REV_STRICT, -EACCES,
		  "unable to get certificate CRL (revocation status unknown): C=XX, "
		  "O=ipsecfx test, CN=ipsecfx test Int CA", 0 },
		{ "good, no CRL, ifuri (it has a CRL DP)", "gw-p256.pem", "ca.pem",
		  "int.pem", NULL, IKE_PKI_REV_IFURI, -EACCES,
		  "unable to get certificate CRL", 0 },
		{ "no CRL DP, no CRL, ifuri", "gw-untrusted.pem", "other-ca.pem", NULL,
		  NULL, IKE_PKI_REV_IFURI, 0, NULL, 2 },
		{ "no CRL DP, no CRL, strict", "gw-untrusted.pem", "other-ca.pem", NULL,
		  NULL, IKE_PKI_REV_STRICT, -EACCES, "unable to get certificate CRL", 0 },
		{ "keyCertSign only", "gw-nosig.pem", "ca.pem", "int.pem", CRLS,
		  IKE_PKI_REV_STRICT, -EACCES,
		  "key usage lacks digitalSignature: C=XX, O=ipsecfx test, CN=nosig.example",
		  0 },
		{ "the root's CRL cannot revoke for the intermediate", "gw-revoked.pem",
		  "ca.pem", "int.pem", "ca-crl.pem", IKE_PKI_REV_RELAXED, 0, NULL, 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		STACK_OF(X509) *anchors = certs_of(t[i].anchors);
		STACK_OF(X509) *untrusted = certs_of(t[i].untrusted);
		STACK_OF(X509_CRL) *crls = crls_of(t[i].crls);
		STACK_OF(X509) *chain = NULL;
		X509 *ee = cert(t[i].ee);
		char why[512] = "unset";
		int rc;

		rc = ike_pki_verify_chain(anchors, crls, ee, untrusted, t[i].rev,
					  time(NULL), &chain, why, sizeof(why));
		if (rc != t[i].rc || (t[i].why && !strstr(why, t[i].why)))
			fail_msg("%s: %d \"%s\", want %d \"%s\"", t[i].what, rc, why, t[i].rc,
				 t[i].why ? t[i].why : "");
		if (!rc) {
			assert_non_null(chain);
			if (t[i].chain_len)
				assert_int_equal(sk_X509_num(chain), t[i].chain_len);
			assert_int_equal(X509_cmp(sk_X509_value(chain, 0), ee), 0);
			assert_string_equal(why, "");
		} else {
			assert_null(chain);
		}
		sk_X509_pop_free(chain, X509_free);
		sk_X509_pop_free(anchors, X509_free);
		sk_X509_pop_free(untrusted, X509_free);
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		X509_free(ee);
	}

	/* the time is the caller's: in 2020 the expired one was valid, but
	 * the CAs were not yet */
	{
		STACK_OF(X509) *anchors = certs_of("ca.pem"), *untrusted = certs_of("int.pem");
		X509 *ee = cert("gw-p256.pem");
		char why[512];

		assert_int_equal(ike_pki_verify_chain(anchors, NULL, ee, untrusted,
						      IKE_PKI_REV_RELAXED, 1590969600, NULL,
						      why, sizeof(why)), -EACCES);
		assert_non_null(strstr(why, "certificate is not yet valid"));
		assert_int_equal(ike_pki_verify_chain(anchors, NULL, ee, untrusted,
						      IKE_PKI_REV_RELAXED, time(NULL), NULL,
						      why, 8), 0);
		assert_int_equal(ike_pki_verify_chain(NULL, NULL, ee, untrusted,
						      IKE_PKI_REV_RELAXED, time(NULL), NULL,
						      why, sizeof(why)), -EACCES);
		assert_int_equal(ike_pki_verify_chain(anchors, NULL, NULL, untrusted,
						      IKE_PKI_REV_RELAXED, time(NULL), NULL,
						      why, sizeof(why)), -EINVAL);
		X509_free(ee);
		sk_X509_pop_free(anchors, X509_free);
		sk_X509_pop_free(untrusted, X509_free);
	}
}

/* ---- identities ---- */

static void test_id_matches(void **state)
{
	static const uint8_t v4[] = { 192, 0, 2, 1 }, v4b[] = { 192, 0, 2, 2 };
	static const uint8_t v6[] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0,    0,    0,    0,    0, 0, 0, 1 };
	X509 *c = kts[KT_P256].cert;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(c);
	const ASN1_BIT_STRING *bits = X509_get0_pubkey_bitstr(c);
	uint8_t dn[512], kid[20], bad_kid[20];
	const char *why = NULL;
	size_t dl;

#define ID(t, s) ike_pki_id_matches(c, IKEV2_ID_##t, (const uint8_t *)(s), strlen(s))
	(void)state;
	assert_true(ID(FQDN, "gw.example"));
	assert_true(ID(FQDN, "GW.Example"));
	assert_false(ID(FQDN, "gw.example."));
	assert_false(ID(FQDN, "moon.example"));
	assert_false(ID(FQDN, "gw.exampl"));
	assert_true(ID(RFC822_ADDR, "gw@gw.example"));
	assert_true(ID(RFC822_ADDR, "GW@GW.EXAMPLE"));
	assert_false(ID(RFC822_ADDR, "gw@example"));
	assert_false(ID(FQDN, "gw@gw.example"));
	assert_true(ike_pki_id_matches(c, IKEV2_ID_IPV4_ADDR, v4, 4));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_IPV4_ADDR, v4b, 4));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_IPV4_ADDR, v4, 3));
	assert_true(ike_pki_id_matches(c, IKEV2_ID_IPV6_ADDR, v6, 16));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_IPV6_ADDR, v4, 4));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_IPV4_ADDR, v6, 16));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_FQDN, NULL, 0));

	/* DN: equal by value, spacing and case aside */
	assert_int_equal(ike_pki_dn_from_text("C=XX, O=ipsecfx test, CN=gw.example", dn,
					      sizeof(dn), &dl, &why), 0);
	assert_true(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_int_equal(ike_pki_dn_from_text("c=xx,o=  IPsecFX   Test ,cn=GW.EXAMPLE  ",
					      dn, sizeof(dn), &dl, &why), 0);
	assert_true(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_int_equal(ike_pki_dn_from_text("/C=XX/O=ipsecfx test/CN=gw.example", dn,
					      sizeof(dn), &dl, &why), 0);
	assert_true(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl - 1));
	assert_int_equal(ike_pki_dn_from_text("C=XX, O=ipsecfx test, CN=sun.example", dn,
					      sizeof(dn), &dl, &why), 0);
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_int_equal(ike_pki_dn_from_text("O=ipsecfx test, C=XX, CN=gw.example", dn,
					      sizeof(dn), &dl, &why), 0);
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_int_equal(ike_pki_dn_from_text("C=XX, O=ipsecfx test", dn, sizeof(dn), &dl,
					      &why), 0);
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, dn, dl));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_DN, (const uint8_t *)"\x30\x00", 2));
	assert_false(ID(DER_ASN1_DN, "gw.example"));

	/* KEY_ID: the SKI, or SHA-1 of the public key bits */
	assert_non_null(ski);
	assert_true(ike_pki_id_matches(c, IKEV2_ID_KEY_ID, ASN1_STRING_get0_data(ski),
				       (size_t)ASN1_STRING_length(ski)));
	assert_int_equal(EVP_Q_digest(NULL, "SHA1", NULL, ASN1_STRING_get0_data(bits),
				      (size_t)ASN1_STRING_length(bits), kid, NULL), 1);
	assert_true(ike_pki_id_matches(c, IKEV2_ID_KEY_ID, kid, 20));
	memcpy(bad_kid, kid, 20);
	bad_kid[19] ^= 1;
	assert_false(ike_pki_id_matches(c, IKEV2_ID_KEY_ID, bad_kid, 20));
	assert_false(ike_pki_id_matches(kts[KT_RSA].cert, IKEV2_ID_KEY_ID, kid, 20));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_KEY_ID, kid, 19));
	/* other types */
	assert_false(ike_pki_id_matches(c, IKEV2_ID_DER_ASN1_GN, kid, 20));
	assert_false(ike_pki_id_matches(c, IKEV2_ID_NULL, kid, 20));
	/* a certificate without the SANs */
	{
		X509 *x = cert("gw-expired.pem");

		assert_true(ike_pki_id_matches(x, IKEV2_ID_FQDN,
					       (const uint8_t *)"expired.example", 15));
		assert_false(ike_pki_id_matches(x, IKEV2_ID_IPV4_ADDR, v4, 4));
		X509_free(x);
	}
#undef ID
}

/* ---- DN text ---- */

static void test_dn_text(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "C=XX, O=ipsecfx test, CN=gw.example", "C=XX, O=ipsecfx test, CN=gw.example" },
		{ "C=XX,O=ipsecfx test,CN=gw.example", "C=XX, O=ipsecfx test, CN=gw.example" },
		{ "/C=XX/O=ipsecfx test/CN=gw.example", "C=XX, O=ipsecfx test, CN=gw.example" },
		{ "  cn =  gw.example  ", "CN=gw.example" },
		{ "O=a\\, b, CN=x\\+y\\\\z", "O=a\\, b, CN=x\\+y\\\\z" },
		{ "/O=a, b/CN=c", "O=a\\, b, CN=c" },
		{ "CN=\\ padded\\ ", "CN=\\ padded\\ " },
		{ "O=Example, CN=gw + UID=42", "O=Example, CN=gw + UID=42" },
		{ "DC=org, DC=example, E=gw@example.org, emailAddress=x@y, SN=1234",
		  "DC=org, DC=example, E=gw@example.org, E=x@y, serialNumber=1234" },
		{ "ST=Zug, L=Town, OU=Unit, T=Boss, G=Ann, surname=Lee, 2.5.4.65=ps",
		  "ST=Zug, L=Town, OU=Unit, title=Boss, givenName=Ann, surname=Lee, "
		  "pseudonym=ps" },
		{ "CN=M\xc3\xbcller", "CN=M\xc3\xbcller" },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "empty DN" },
		{ "   ", "empty DN" },
		{ "/", "empty DN" },
		{ "XX=foo", "unknown attribute name" },
		{ "C=XX, Foo=bar", "unknown attribute name" },
		{ "CN", "attribute without '='" },
		{ "CN=", "empty value" },
		{ "CN=  ", "empty value" },
		{ "=x", "empty attribute name" },
		{ "CN=a,,O=b", "empty attribute" },
		{ "CN=a,", "empty attribute" },
		{ "CN=a\\", "backslash at the end" },
		{ "C=XXX", "value not valid" },
		{ "CN=\xff\xfe", "value not valid" },
	};
	uint8_t der[512];
	char text[512];
	const char *why;
	size_t dl;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		why = "x";
		if (ike_pki_dn_from_text(ok[i].in, der, sizeof(der), &dl, &why))
			fail_msg("\"%s\": %s", ok[i].in, why);
		assert_int_equal(ike_pki_dn_to_text(der, dl, text, sizeof(text)), 0);
		assert_string_equal(text, ok[i].out);
		/* and the text written reads back to the same DER */
		{
			uint8_t der2[512];
			size_t dl2;

			assert_int_equal(ike_pki_dn_from_text(text, der2, sizeof(der2), &dl2,
							      &why), 0);
			assert_int_equal(dl2, dl);
			assert_memory_equal(der2, der, dl);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(ike_pki_dn_from_text(bad[i].in, der, sizeof(der), &dl, &why),
				 -EINVAL);
		if (!why || !strstr(why, bad[i].why))
			fail_msg("\"%s\": %s, want %s", bad[i].in, why ? why : "NULL",
				 bad[i].why);
	}
	assert_int_equal(ike_pki_dn_from_text("CN=gw.example", der, 5, &dl, &why), -ENOBUFS);

	/* the DER of the text is the certificate's subject, octet for octet */
	{
		unsigned char *sd = NULL;
		int sl = i2d_X509_NAME(X509_get_subject_name(kts[KT_RSA].cert), &sd);

		assert_int_equal(ike_pki_dn_from_text("C=XX, O=ipsecfx test, CN=gw.example",
						      der, sizeof(der), &dl, &why), 0);
		assert_int_equal(dl, sl);
		assert_memory_equal(der, sd, dl);
		OPENSSL_free(sd);
	}
	/* not a Name */
	assert_int_equal(ike_pki_dn_to_text((const uint8_t *)"\x04\x01x", 3, text,
					    sizeof(text)), -EINVAL);
	assert_int_equal(ike_pki_dn_to_text(der, 0, text, sizeof(text)), -EINVAL);
	der[dl] = 0;
	assert_int_equal(ike_pki_dn_to_text(der, dl + 1, text, sizeof(text)), -EINVAL);
	assert_int_equal(ike_pki_dn_to_text(der, dl - 1, text, sizeof(text)), -EINVAL);

	/* name_text: issuer, truncation, control characters */
	ike_pki_name_text(X509_get_issuer_name(kts[KT_P256].cert), text, sizeof(text));
	assert_string_equal(text, "C=XX, O=ipsecfx test, CN=ipsecfx test Int CA");
	ike_pki_name_text(X509_get_issuer_name(kts[KT_P256].cert), text, 8);
	assert_string_equal(text, "C=XX, O");
	{
		X509_NAME *nm = X509_NAME_new();

		assert_true(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
						       (const unsigned char *)"a\x01\x1b[2Jb\x7f",
						       -1, -1, 0));
		ike_pki_name_text(nm, text, sizeof(text));
		assert_string_equal(text, "CN=a??[2Jb?");
		X509_NAME_free(nm);
	}
	ike_pki_name_text(NULL, text, sizeof(text));
	assert_string_equal(text, "");
}

/* ---- hashes against openssl + sha1sum ---- */

static void hex_of(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void sha1sum(const char *cmd, char out[41])
{
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	assert_non_null(fgets(out, 41, f));
	assert_int_equal(pclose(f), 0);
	assert_int_equal(strlen(out), 40);
}

static void test_hashes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_KT; i++) {
		uint8_t h[20];
		char cmd[1024], want[41], got[41];

		assert_int_equal(ike_pki_cert_sha1(kts[i].cert, h), 0);
		hex_of(h, 20, got);
		snprintf(cmd, sizeof(cmd), "openssl x509 -in %s/%s.pem -outform DER | sha1sum",
			 pki, kts[i].name);
		sha1sum(cmd, want);
		assert_string_equal(got, want);

		assert_int_equal(ike_pki_spki_sha1(kts[i].cert, h), 0);
		hex_of(h, 20, got);
		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -in %s/%s.pem -pubkey -noout | "
			 "openssl pkey -pubin -outform DER | sha1sum",
			 pki, kts[i].name);
		sha1sum(cmd, want);
		assert_string_equal(got, want);
	}
	assert_int_equal(ike_pki_cert_sha1(NULL, (uint8_t[20]){ 0 }), -EINVAL);
}

/* ---- CRL distribution points ---- */

static void test_crl_uris(void **state)
{
	static const struct {
		const char *cert;
		int n;
		const char *uri;
	} t[] = {
		{ "gw-p256.pem", 1, "http://crl.example/int.crl" },
		{ "gw-p384.pem", 1, "http://crl.example/int.crl" }, /* ldap:// skipped */
		{ "int.pem", 1, "http://crl.example/ca.crl" },
		{ "gw-untrusted.pem", 0, NULL },
		{ "ca.pem", 0, NULL },
	};
	char *u[4];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		X509 *x = cert(t[i].cert);
		int n = ike_pki_crl_uris(x, u, 4);

		assert_int_equal(n, t[i].n);
		if (n)
			assert_string_equal(u[0], t[i].uri);
		for (int j = 0; j < n; j++)
			OPENSSL_free(u[j]);
		assert_int_equal(ike_pki_crl_uris(x, u, 0), 0);
		X509_free(x);
	}
}

/* ---- the RSA-4096 chain (its key generation takes a few seconds) ---- */

static void test_rsa4096_chain(void **state)
{
	STACK_OF(X509) *anchors, *untrusted, *chain = NULL;
	uint8_t out[IKE_PKI_AUTH_MAX], m;
	char why[512], err[512];
	EVP_PKEY *k;
	size_t len;
	X509 *ee;

	(void)state;
	assert_int_equal(sh("%s/tests/lib/mkpki.sh --rsa4096-chain %s/4096", src_dir(),
			    pki), 0);
	anchors = certs_of("4096/rsa4096-ca.pem");
	untrusted = certs_of("4096/rsa4096-int.pem");
	ee = cert("4096/gw-rsa4096.pem");
	assert_int_equal(ike_pki_verify_chain(anchors, NULL, ee, untrusted,
					      IKE_PKI_REV_RELAXED, time(NULL), &chain, why,
					      sizeof(why)), 0);
	assert_int_equal(sk_X509_num(chain), 3);
	assert_non_null(k = ike_pki_key_load(P("4096/gw-rsa4096.key"), err, sizeof(err)));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ike_pki_sign(k, i ? ALL_HASHES : 0, octets, sizeof(octets),
					      &m, out, sizeof(out), &len, NULL), 0);
		assert_int_equal(len, i ? 1 + 67 + 512 : 512);
		assert_int_equal(ike_pki_verify(X509_get0_pubkey(ee), m, out, len, octets,
						sizeof(octets), NULL), 0);
	}
	EVP_PKEY_free(k);
	X509_free(ee);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_sign_roundtrip),
		cmocka_unit_test(test_sign_choice),
		cmocka_unit_test(test_rfc7427_encodings),
		cmocka_unit_test(test_openssl_verifies_ours),
		cmocka_unit_test(test_ours_verifies_openssl),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_auth_name),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_id_matches),
		cmocka_unit_test(test_dn_text),
		cmocka_unit_test(test_hashes),
		cmocka_unit_test(test_crl_uris),
		cmocka_unit_test(test_rsa4096_chain),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
