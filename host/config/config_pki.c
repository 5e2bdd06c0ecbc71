/*
 * The certificate part of the configuration (config_pki.h): files read
 * with ike_pki.c, checked as a deployment needs them checked: the key is
 * the certificate's, local.id is in the certificate, cert_uri is http.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ipsecfx/log.h>

#include "../ike/ike_pki.h"
#include "../proto/ikev2.h"
#include "config_pki.h"

#define P(...) (snprintf(path, sizeof(path), __VA_ARGS__), path)

/* A private key others can read is a key that may be copied. */
static void warn_readable(const struct yamlpos *yp, const char *path, const char *file)
{
	struct stat st;

	if (stat(file, &st) == 0 && (st.st_mode & 0007))
		yamlpos_warn(yp, path, "%s is readable by others; chmod 640 it (owner root, the daemon's group)",
			     file);
}

int cfg_pki_certs(const struct yamlpos *yp, const char *base, char *const *files,
		  unsigned n, STACK_OF(X509) **out)
{
	char path[160], err[256];
	int bad = 0;

	*out = sk_X509_new_null();
	if (!*out)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		char fb[4096];

		if (ike_pki_certs_load(yamlpos_path(yp, files[i], fb, sizeof(fb)), *out, err,
				       sizeof(err)) <= 0) {
			yamlpos_err(yp, P("%s[%u]", base, i), "%s", err);
			bad = -EINVAL;
		}
	}
	return bad;
}

int cfg_pki_crls(const struct yamlpos *yp, const char *base, char *const *files,
		 unsigned n, STACK_OF(X509_CRL) **out)
{
	char path[160], err[256];
	int bad = 0;

	*out = sk_X509_CRL_new_null();
	if (!*out)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		char fb[4096];
		X509_CRL *crl = ike_pki_crl_load(yamlpos_path(yp, files[i], fb, sizeof(fb)), err,
						 sizeof(err));

		if (!crl) {
			yamlpos_err(yp, P("%s[%u]", base, i), "%s", err);
			bad = -EINVAL;
		} else if (!sk_X509_CRL_push(*out, crl)) {
			X509_CRL_free(crl);
			return -ENOMEM;
		}
	}
	return bad;
}

int cfg_pki_local(const struct yamlpos *yp, const char *base, char *const *certs,
		  unsigned n_certs, const char *key, const char *cert_uri,
		  struct cfg_conn *c)
{
	char path[160], err[256], keybuf[4096];
	STACK_OF(X509) *all = NULL;
	int bad;

	if (!n_certs || !key) {
		yamlpos_err(yp, P("%s.auth", base), "pubkey needs local.certs and local.key");
		return -EINVAL;
	}
	bad = cfg_pki_certs(yp, P("%s.certs", base), certs, n_certs, &all);
	if (bad == -ENOMEM || !all)
		goto out;
	if (!bad && sk_X509_num(all) > 0) {
		c->cert = sk_X509_shift(all);
		c->intermediates = all;
		all = NULL;
	}
	key = yamlpos_path(yp, key, keybuf, sizeof(keybuf));
	c->key = ike_pki_key_load(key, err, sizeof(err));
	if (!c->key) {
		yamlpos_err(yp, P("%s.key", base), "%s", err);
		bad = -EINVAL;
	} else {
		warn_readable(yp, P("%s.key", base), key);
		if (c->cert && !ike_pki_key_matches(c->key, c->cert)) {
			yamlpos_err(yp, P("%s.key", base),
				    "%s is not the private key of %s (local.certs[0])", key,
				    certs[0]);
			bad = -EINVAL;
		}
	}
	if (cert_uri) {
		if (strncmp(cert_uri, "http://", 7) != 0 || !cert_uri[7]) {
			yamlpos_err(yp, P("%s.cert_uri", base),
				    "'%s': an http:// URL (RFC 7296 3.6: peers fetch it over HTTP)",
				    cert_uri);
			bad = -EINVAL;
		}
		snprintf(c->cert_uri, sizeof(c->cert_uri), "%s", cert_uri);
	}
out:
	sk_X509_pop_free(all, X509_free);
	return bad;
}

int cfg_pki_default_id(const struct cfg_conn *c, struct cfg_id *id)
{
	const X509_NAME *subj = X509_get_subject_name(c->cert);
	unsigned char *der = NULL;
	int len = subj ? i2d_X509_NAME(subj, &der) : -1;

	memset(id, 0, sizeof(*id));
	if (len <= 0 || len > CFG_ID_MAX) {
		OPENSSL_free(der);
		return -EINVAL;
	}
	id->type = IKEV2_ID_DER_ASN1_DN;
	id->len = (uint16_t)len;
	memcpy(id->data, der, (size_t)len);
	OPENSSL_free(der);
	ike_pki_name_text(subj, id->text, sizeof(id->text));
	return 0;
}

int cfg_pki_check_local_id(const struct yamlpos *yp, const char *path,
			   const struct cfg_conn *c)
{
	char subj[256];

	if (!c->cert || ike_pki_id_matches(c->cert, c->local_id.type, c->local_id.data,
					   c->local_id.len))
		return 0;
	ike_pki_name_text(X509_get_subject_name(c->cert), subj, sizeof(subj));
	yamlpos_err(yp, path,
		    "'%s' is not in the certificate (%s): peers would refuse it; use its subject or a subjectAltName",
		    c->local_id.text, subj);
	return -EINVAL;
}

void cfg_pki_free_conn(struct cfg_conn *c)
{
	X509_free(c->cert);
	sk_X509_pop_free(c->intermediates, X509_free);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->cacerts, X509_free);
	c->cert = NULL;
	c->intermediates = c->cacerts = NULL;
	c->key = NULL;
}

void cfg_pki_free(struct cfg *c)
{
	sk_X509_pop_free(c->cacerts, X509_free);
	sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
	c->cacerts = NULL;
	c->crls = NULL;
}
