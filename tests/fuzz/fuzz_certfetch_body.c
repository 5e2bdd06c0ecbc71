/*
 * libFuzzer target for what a Hash and URL fetch (RFC 7296 3.6,
 * host/ike/ike_certfetch.c) takes from the outside: the answer of the
 * peer's HTTP server, ike_certfetch_judge() (status, size limit, SHA-1,
 * one DER certificate and nothing after it), and the URL off the wire,
 * ike_certfetch_url_parse().  Input:
 *
 *   f s body...
 *     f bit 7      status 200, else status (f & 0x0f) << 8 | s (0 to 4095)
 *     f bit 6      the announced SHA-1 is the body's (so that the DER
 *                  decoder is reached), else a fixed one
 *     f bit 5      a raw (CRL) fetch: no SHA-1, no certificate
 *     f bit 4      at most 1024 octets, else the default 65536
 *   body           the response body, and the URL for the URL check
 *
 * The verdict must be the one the rules give for status, size and hash
 * (the certificate check alone is left to OpenSSL), a certificate comes
 * back exactly with IKE_CF_OK of a certificate fetch, reasons are
 * NUL-terminated and not empty; a URL accepted is http:// with a host, a
 * port and a target.  Anything else aborts.
 *
 *   fuzz_certfetch_body -seeds=DIR   writes the seed corpus (make fuzz-seeds)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/ike_certfetch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_200 0x80
#define F_HASH_OF_BODY 0x40
#define F_RAW 0x20
#define F_SMALL 0x10

static const uint8_t fixed_sha1[20] = "ipsecfx-fuzz-sha1-xx";

static void sha1_of(const uint8_t *p, size_t n, uint8_t out[20])
{
	unsigned len = 0;

	if (!EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) || len != 20)
		abort();
}

static enum ike_certfetch_result expected(int status, size_t len, size_t max, bool raw,
					  bool hash_of_body)
{
	if (status >= 300 && status < 400)
		return IKE_CF_REDIRECT;
	if (status != 200)
		return IKE_CF_HTTP_STATUS;
	if (len > max)
		return IKE_CF_TOO_BIG;
	if (!len)
		return IKE_CF_FAILED;
	if (raw)
		return IKE_CF_OK;
	return hash_of_body ? IKE_CF_OK /* or NOT_CERT */ : IKE_CF_HASH_MISMATCH;
}

static void judge(uint8_t f, uint8_t s, const uint8_t *body, size_t len)
{
	int status = (f & F_200) ? 200 : (((f & 0x0f) << 8) | s);
	bool raw = f & F_RAW, hob = f & F_HASH_OF_BODY;
	size_t max = f & F_SMALL ? 1024 : IKE_CERTFETCH_DEF_MAX_BYTES;
	enum ike_certfetch_result want = expected(status, len, max, raw, hob), res;
	uint8_t sha1[20];
	X509 *cert = (X509 *)1;
	char why[256];

	if (hob)
		sha1_of(body, len, sha1);
	else
		memcpy(sha1, fixed_sha1, sizeof(sha1));
	memset(why, 0x55, sizeof(why));
	res = ike_certfetch_judge(status, body, len, max, raw ? NULL : sha1, &cert, why,
				  sizeof(why));
	if (!memchr(why, 0, sizeof(why)) || !why[0])
		abort();
	if (res != want && !(want == IKE_CF_OK && !raw && res == IKE_CF_NOT_CERT)) {
		fprintf(stderr, "status %d, %zu bytes (max %zu)%s: %s, want %s (%s)\n", status,
			len, max, raw ? ", raw" : "", ike_certfetch_result_name(res),
			ike_certfetch_result_name(want), why);
		abort();
	}
	if ((cert != NULL) != (res == IKE_CF_OK && !raw))
		abort();
	X509_free(cert);
}

static void url(const uint8_t *d, size_t len)
{
	static struct ike_certfetch_url u;
	char why[128];
	int rc;

	memset(&u, 0x55, sizeof(u));
	memset(why, 0x55, sizeof(why));
	rc = ike_certfetch_url_parse((const char *)d, len, &u, why, sizeof(why));
	if (rc) {
		if (rc != -EINVAL || !memchr(why, 0, sizeof(why)) || !why[0])
			abort();
		return;
	}
	if (len < 8 || len > IKE_CERTFETCH_URL_MAX || strncasecmp((const char *)d, "http://", 7))
		abort();
	for (size_t i = 0; i < len; i++)
		if (d[i] <= 0x20 || d[i] >= 0x7f)
			abort();
	if (!memchr(u.host, 0, sizeof(u.host)) || !memchr(u.host_hdr, 0, sizeof(u.host_hdr)) ||
	    !memchr(u.target, 0, sizeof(u.target)))
		abort();
	if (!u.host[0] || !u.host_hdr[0] || u.target[0] != '/' || !u.port)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	judge(data[0], data[1], data + 2, size - 2);
	url(data + 2, size - 2);
	return 0;
}

/* ---- seeds ---- */

static const char *seed_dir;

static void put(const char *name, uint8_t f, uint8_t s, const void *b, size_t len)
{
	char path[1024];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/seed-%s", seed_dir, name);
	if (!(fp = fopen(path, "wb")) || fputc(f, fp) < 0 || fputc(s, fp) < 0 ||
	    fwrite(b, 1, len, fp) != len || fclose(fp)) {
		perror(path);
		exit(1);
	}
}

/* A small self-signed certificate (P-256), DER. */
static int make_der(uint8_t **der)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	int n;

	if (!k || !x || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1001) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					(const unsigned char *)"gw.example", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || !X509_set_pubkey(x, k) ||
	    !X509_sign(x, k, EVP_sha256()) || (n = i2d_X509(x, der)) <= 0) {
		fprintf(stderr, "fuzz_certfetch_body: cannot make a certificate\n");
		exit(1);
	}
	X509_free(x);
	EVP_PKEY_free(k);
	return n;
}

static void write_seeds(const char *dir)
{
	static const char *const urls[][2] = {
		{ "url-ipv4", "http://192.0.2.1:8080/certs/gw.der" },
		{ "url-ipv6", "http://[2001:db8::1]/gw.der?v=1" },
		{ "url-name", "HTTP://ca.example/gw.der" },
		{ "url-userinfo", "http://user:pw@ca.example/" },
		{ "url-https", "https://ca.example/gw.der" },
	};
	uint8_t *der = NULL, *more;
	int n = make_der(&der);

	seed_dir = dir;
	put("cert", F_200 | F_HASH_OF_BODY, 0, der, (size_t)n);
	put("cert-small", F_200 | F_HASH_OF_BODY | F_SMALL, 0, der, (size_t)n);
	put("cert-other-hash", F_200, 0, der, (size_t)n);
	put("crl-raw", F_200 | F_RAW, 0, der, (size_t)n);
	put("status-404", 404 >> 8, 404 & 0xff, "Not Found", 9);
	put("status-302", 302 >> 8, 302 & 0xff, "", 0);
	put("empty", F_200 | F_HASH_OF_BODY, 0, "", 0);
	/* one octet after the certificate */
	if (!(more = malloc((size_t)n + 1)))
		exit(1);
	memcpy(more, der, (size_t)n);
	more[n] = 0;
	put("cert-trailing", F_200 | F_HASH_OF_BODY, 0, more, (size_t)n + 1);
	free(more);
	OPENSSL_free(der);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		put(urls[i][0], F_200, 0, urls[i][1], strlen(urls[i][1]));
	fprintf(stderr, "fuzz_certfetch_body: seeds written to %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-seeds=", 7) == 0) {
			write_seeds((*argv)[i] + 7);
			exit(0);
		}
	return 0;
}
