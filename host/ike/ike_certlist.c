/*
 * What the daemon holds of certificates, for `ipsecfx list-certs`: every
 * connection's own chain (local.certs), the trust anchors (top-level
 * cacerts and each connection's remote.cacerts), the CRLs, and the Hash
 * and URL cache (RFC 7296 3.6, ike_certfetch.c).  Read-only: nothing here
 * touches the fetcher's LRU order or counts a cache hit.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <ipsecfx/bytes.h>

#include "ike_certfetch.h"
#include "ike_pki.h"
#include "ike_sa.h"

#define NAME_TEXT 512

/* UTC ISO 8601, "2025-01-31T12:00:00Z"; NULL when t is absent or odd. */
static json_t *time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (!t || !ASN1_TIME_to_tm(t, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

/* The serial number in lower-case hex, as `openssl x509 -serial` (less
 * its upper case). */
static json_t *serial_json(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	json_t *j;

	for (char *p = h; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	j = h ? json_string(h) : json_null();
	OPENSSL_free(h);
	BN_free(bn);
	return j;
}

/* A name as text.  ike_pki_name_text() writes UTF-8, but may cut it in
 * the middle of a character: then every non-ASCII octet becomes '?'
 * (jansson takes valid UTF-8 only). */
static json_t *name_json(const X509_NAME *n)
{
	char buf[NAME_TEXT];
	json_t *j;

	ike_pki_name_text(n, buf, sizeof(buf));
	if ((j = json_string(buf)))
		return j;
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(buf);
}

/* The fields every certificate shows. */
static json_t *cert_json(X509 *x)
{
	uint8_t md[20];
	char fp[41] = "", kt[64];
	json_t *o;

	if (ike_pki_cert_sha1(x, md) == 0)
		ipx_hex(md, sizeof(md), fp);
	o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:s, s:b}",
		      "subject", name_json(X509_get_subject_name(x)),
		      "issuer", name_json(X509_get_issuer_name(x)),
		      "not_before", time_json(X509_get0_notBefore(x)),
		      "not_after", time_json(X509_get0_notAfter(x)),
		      "key", ike_pki_key_type(X509_get0_pubkey(x), kt, sizeof(kt)),
		      "serial", serial_json(x),
		      "sha1", fp,
		      "valid_now", X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
				   X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
	return o ? o : json_object();
}

/* One of c's certificates.  cert_uri: where a peer fetches it by Hash
 * and URL (3.6), as ike_cert.c sends it: local.cert_uri for the end
 * entity, or with a cert_uri ending in '/' (a base) the base and the
 * certificate's SHA-1 in hex, intermediates too. */
static void local_cert(json_t *arr, X509 *x, const struct cfg_conn *c, bool ee)
{
	json_t *o = cert_json(x);
	size_t ul = strlen(c->cert_uri);
	const char *fp = json_string_value(json_object_get(o, "sha1"));
	char url[sizeof(c->cert_uri) + 41];

	json_object_set_new(o, "conn", json_string(c->name));
	json_object_set_new(o, "role", json_string("local"));
	json_object_set_new(o, "kind", json_string(ee ? "end entity" : "intermediate"));
	if (ul && c->cert_uri[ul - 1] == '/' && fp && *fp) {
		snprintf(url, sizeof(url), "%s%s", c->cert_uri, fp);
		json_object_set_new(o, "cert_uri", json_string(url));
	} else if (ul && ee) {
		json_object_set_new(o, "cert_uri", json_string(c->cert_uri));
	}
	json_array_append_new(arr, o);
}

/* Our end entity, then the intermediates we send along. */
static void local_chain(json_t *arr, const struct cfg_conn *c)
{
	if (!c->cert)
		return;
	local_cert(arr, c->cert, c, true);
	for (int i = 0; i < sk_X509_num(c->intermediates); i++)
		local_cert(arr, sk_X509_value(c->intermediates, i), c, false);
}

/* source "cacerts" (top level, no conn) or "remote.cacerts" of conn */
static void anchors(json_t *arr, STACK_OF(X509) *sk, const char *conn)
{
	for (int i = 0; i < sk_X509_num(sk); i++) {
		json_t *o = cert_json(sk_X509_value(sk, i));

		json_object_set_new(o, "role", json_string("anchor"));
		json_object_set_new(o, "source",
				    json_string(conn ? "remote.cacerts" : "cacerts"));
		if (conn)
			json_object_set_new(o, "conn", json_string(conn));
		json_array_append_new(arr, o);
	}
}

static json_t *crl_json(X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	return json_pack("{s:o, s:o, s:o, s:i, s:b}",
			 "issuer", name_json(X509_CRL_get_issuer(crl)),
			 "last_update", time_json(X509_CRL_get0_lastUpdate(crl)),
			 "next_update", time_json(next),
			 "revoked", sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)),
			 /* ike_pki_verify_chain() takes such a CRL for none */
			 "expired", next && X509_cmp_current_time(next) < 0);
}

struct cache_walk {
	json_t *arr;
	time_t now;
};

static void cache_entry(void *arg, const uint8_t sha1[20], X509 *cert,
			const char *url, uint64_t hits, time_t fetched_at)
{
	struct cache_walk *w = arg;
	char h[41];
	json_t *o;

	ipx_hex(sha1, 20, h);
	o = json_pack("{s:s, s:s, s:o, s:I, s:I}", "sha1", h, "url", url,
		      "subject", name_json(X509_get_subject_name(cert)),
		      "hits", (json_int_t)hits,
		      "age_s", (json_int_t)(w->now > fetched_at ? w->now - fetched_at : 0));
	if (o)
		json_array_append_new(w->arr, o);
}

json_t *ike_mgr_certs_json(struct ike_mgr *m)
{
	const struct cfg *cfg = m->cfg;
	json_t *local = json_array(), *anch = json_array(), *crls = json_array();
	struct cache_walk w = { json_array(), time(NULL) };

	for (unsigned i = 0; i < cfg->n_conns; i++)
		local_chain(local, &cfg->conns[i]);
	anchors(anch, cfg->cacerts, NULL);
	for (unsigned i = 0; i < cfg->n_conns; i++)
		anchors(anch, cfg->conns[i].cacerts, cfg->conns[i].name);
	for (int i = 0; i < sk_X509_CRL_num(cfg->crls); i++) {
		json_t *o = crl_json(sk_X509_CRL_value(cfg->crls, i));

		if (o)
			json_array_append_new(crls, o);
	}
	/* fetched from distribution points (remote.revocation ifuri/strict) */
	for (unsigned i = 0; i < IKE_CRL_CACHE; i++) {
		json_t *o = m->crl_cache[i].crl ? crl_json(m->crl_cache[i].crl) : NULL;

		if (o) {
			json_object_set_new(o, "url", json_string(m->crl_cache[i].url));
			json_array_append_new(crls, o);
		}
	}
	if (m->certs)
		ike_certfetch_foreach(m->certs, cache_entry, &w);
	return json_pack("{s:o, s:o, s:o, s:o}", "local", local, "anchors", anch,
			 "crls", crls, "cache", w.arr);
}
