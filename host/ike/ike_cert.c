/*
 * Certificate authentication in IKE_AUTH (RFC 7296 2.15, 3.6-3.8; RFC
 * 7427): what the peer announced in IKE_SA_INIT (hash algorithms, Hash and
 * URL support, the CAs it trusts), our CERTREQ and CERT payloads, signing
 * our AUTH, and checking the peer's certificate, identity and AUTH.
 *
 * Hash and URL (3.6): a certificate sent as a SHA-1 hash and an http URL
 * is fetched by ike_certfetch.c without blocking.  The exchange waits: the
 * decrypted message is kept (struct ike_cert_wait), and once every fetch
 * is in it is parsed again and handed back to ike_auth.c, which then finds
 * the certificates at hand.  Other SAs carry on meanwhile.  With
 * remote.revocation ifuri or strict, the CRLs of the peer's chain that are
 * not loaded are fetched the same way from their distribution points and
 * kept (mgr->crl_cache) until their nextUpdate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_certfetch.h"
#include "ike_pki.h"
#include "ike_sa.h"

/* Our announcement (RFC 7427 4; RFC 8420 for Identity, i.e. EdDSA). */
const uint8_t ike_cert_sig_hashes[8] = {
	0, IKEV2_SIGHASH_SHA2_256, 0, IKEV2_SIGHASH_SHA2_384,
	0, IKEV2_SIGHASH_SHA2_512, 0, IKEV2_SIGHASH_IDENTITY,
};

/* A certificate (by its hash) or a CRL (by its URL) the exchange waits
 * for, or has got. */
struct cert_slot {
	struct ike_cert_wait *w;
	bool is_crl;
	uint8_t sha1[IKEV2_SHA1_LEN];
	char url[IKE_CRL_URL_MAX];       /* a CRL's distribution point */
	struct ike_certfetch_req *req;   /* in flight */
	X509 *cert;                      /* fetched */
};

struct ike_cert_wait {
	struct ikesa *sa;                /* NULL: the SA went while resuming */
	bool response;                   /* an IKE_AUTH response (we initiated) */
	struct ike_hdr hdr;
	uint8_t first;
	uint8_t *plain;                  /* the decrypted payloads */
	size_t plain_len;
	struct cert_slot slot[2 * IKE_CERTS_MAX];   /* certificates, then CRLs */
	unsigned n_slots, pending;
	bool failed, resuming;
	char why[320];
	struct event *ev;                /* resume from the loop, not a callback */
};

/* ---- what the peer announced ---- */

void ike_cert_peer_notes(struct ikesa *sa, const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type == IKEV2_PL_NOTIFY &&
		    p->u.n.type == IKEV2_N_SIGNATURE_HASH_ALGORITHMS) {
			/* RFC 7427 4: a list of 2-octet hash algorithm IDs */
			for (size_t k = 0; k + 1 < p->u.n.len; k += 2) {
				uint16_t h = ipx_ld16(p->u.n.data + k);

				if (h < 32)
					sa->peer_sighashes |= 1u << h;
			}
		} else if (p->type == IKEV2_PL_NOTIFY &&
			   p->u.n.type == IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED) {
			sa->peer_http_certs = true;
		} else if (p->type == IKEV2_PL_CERTREQ &&
			   p->u.cert.encoding == IKEV2_CERT_X509_SIG) {
			/* 3.7: SHA-1 hashes of the public keys of trusted CAs
			 * (the parser checked the length is a multiple of 20) */
			if (!sa->peer_certreq)
				sa->peer_certreq = calloc(IKE_CERTREQ_MAX, IKEV2_SHA1_LEN);
			for (size_t k = 0; sa->peer_certreq &&
					   k + IKEV2_SHA1_LEN <= p->u.cert.len &&
					   sa->n_peer_certreq < IKE_CERTREQ_MAX;
			     k += IKEV2_SHA1_LEN)
				memcpy(sa->peer_certreq[sa->n_peer_certreq++],
				       p->u.cert.data + k, IKEV2_SHA1_LEN);
		}
	}
}

/* ---- what we send ---- */

/* Buffers the message being built points into: freed when the next one
 * is built (building and sending are one synchronous step). */
static uint8_t *tx_keep(struct ike_mgr *mgr, size_t len)
{
	uint8_t *b;

	if (mgr->n_cert_tx >= IKE_CERTS_MAX + 2)
		return NULL;
	b = malloc(len ? len : 1);
	if (b)
		mgr->cert_tx[mgr->n_cert_tx++] = b;
	return b;
}

void ike_cert_tx_reset(struct ike_mgr *mgr)
{
	for (unsigned i = 0; i < mgr->n_cert_tx; i++)
		free(mgr->cert_tx[i]);
	mgr->n_cert_tx = 0;
}

int ike_cert_add_certreq(struct ikesa *sa, struct ike_msg *m, const struct cfg_conn *c,
			 bool inner)
{
	STACK_OF(X509) *cas;
	struct ike_pld *p;
	uint8_t *b;
	int n;

	if (!c || c->remote_auth != CFG_AUTH_PUBKEY)
		return 0;
	cas = cfg_conn_cacerts(sa->mgr->cfg, c);
	n = sk_X509_num(cas);
	if (n <= 0)
		return 0;
	if (n > IKE_CERTREQ_MAX)
		n = IKE_CERTREQ_MAX;
	b = tx_keep(sa->mgr, (size_t)n * IKEV2_SHA1_LEN);
	if (!b)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (ike_pki_spki_sha1(sk_X509_value(cas, i), b + i * IKEV2_SHA1_LEN) < 0)
			return -EIO;
	p = ike_msg_add(m, IKEV2_PL_CERTREQ, inner);
	if (!p)
		return -ENOSPC;
	p->u.cert.encoding = IKEV2_CERT_X509_SIG;
	p->u.cert.data = b;
	p->u.cert.len = (size_t)n * IKEV2_SHA1_LEN;
	/* 3.10.1: may accompany a CERTREQ */
	if (c->hash_and_url)
		return ike_msg_add_notify(m, inner, IKEV2_PROTO_NONE, NULL, 0,
					  IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED, NULL, 0);
	return 0;
}

static bool peer_trusts(const struct ikesa *sa, X509 *ca)
{
	uint8_t h[IKEV2_SHA1_LEN];

	if (ike_pki_spki_sha1(ca, h) < 0)
		return false;
	for (unsigned i = 0; i < sa->n_peer_certreq; i++)
		if (memcmp(sa->peer_certreq[i], h, sizeof(h)) == 0)
			return true;
	return false;
}

static int add_cert_der(struct ikesa *sa, struct ike_msg *m, X509 *x)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	struct ike_pld *p;
	uint8_t *b;

	if (len <= 0)
		return -EIO;
	b = tx_keep(sa->mgr, (size_t)len);
	if (b)
		memcpy(b, der, (size_t)len);
	OPENSSL_free(der);
	p = b ? ike_msg_add(m, IKEV2_PL_CERT, true) : NULL;
	if (!p)
		return b ? -ENOSPC : -ENOMEM;
	p->u.cert.encoding = IKEV2_CERT_X509_SIG;
	p->u.cert.data = b;
	p->u.cert.len = (size_t)len;
	return 0;
}

/* 3.6: Hash and URL of certificate x: cert_uri itself for the end
 * entity, or, when cert_uri ends in '/', cert_uri and the certificate's
 * SHA-1 in hex for each certificate (strongSwan's cert_uri_base). */
static int add_cert_url(struct ikesa *sa, struct ike_msg *m, X509 *x)
{
	const char *uri = sa->conn->cert_uri;
	size_t ulen = strlen(uri);
	bool base = ulen && uri[ulen - 1] == '/';
	size_t len = IKEV2_SHA1_LEN + ulen + (base ? 2 * IKEV2_SHA1_LEN : 0);
	uint8_t *b = tx_keep(sa->mgr, len);
	struct ike_pld *p;

	if (!b)
		return -ENOMEM;
	if (ike_pki_cert_sha1(x, b) < 0)
		return -EIO;
	memcpy(b + IKEV2_SHA1_LEN, uri, ulen);
	if (base) {
		char h[2 * IKEV2_SHA1_LEN + 1];

		ipx_hex(b, IKEV2_SHA1_LEN, h);
		memcpy(b + IKEV2_SHA1_LEN + ulen, h, 2 * IKEV2_SHA1_LEN);
	}
	p = ike_msg_add(m, IKEV2_PL_CERT, true);
	if (!p)
		return -ENOSPC;
	p->u.cert.encoding = IKEV2_CERT_HASH_URL_X509;
	p->u.cert.data = b;
	p->u.cert.len = len;
	return 0;
}

int ike_cert_add_ours(struct ikesa *sa, struct ike_msg *m)
{
	const struct cfg_conn *c = sa->conn;
	bool by_url, base;
	int ret;

	if (!c || c->local_auth != CFG_AUTH_PUBKEY)
		return 0;
	/* by URL when the peer can fetch it and we have somewhere to point */
	by_url = c->hash_and_url && sa->peer_http_certs && c->cert_uri[0];
	base = by_url && c->cert_uri[strlen(c->cert_uri) - 1] == '/';
	ret = by_url ? add_cert_url(sa, m, c->cert) : add_cert_der(sa, m, c->cert);
	/* intermediates up to the first CA the peer says it trusts (3.7) */
	for (int i = 0; ret == 0 && i < sk_X509_num(c->intermediates); i++) {
		X509 *ca = sk_X509_value(c->intermediates, i);

		if (peer_trusts(sa, ca))
			break;
		ret = base ? add_cert_url(sa, m, ca) : add_cert_der(sa, m, ca);
	}
	return ret;
}

/* <SignedOctets> (2.15) in a buffer of its own (its MACedID comes from
 * SK_p: wipe it, OPENSSL_clear_free with *cap); NULL when out of memory. */
static uint8_t *signed_octets(const struct ike_auth_in *in, size_t *len, size_t *cap)
{
	uint8_t *o;

	*cap = in->msg_len + in->nonce_len + IKE_PRF_MAX;
	o = malloc(*cap);
	if (o && ike_auth_octets(in, o, *cap, len) < 0) {
		OPENSSL_clear_free(o, *cap);
		o = NULL;
	}
	return o;
}

int ike_cert_sign(struct ikesa *sa, const struct ike_auth_in *in, uint8_t *method,
		  uint8_t *out, size_t cap, size_t *len)
{
	size_t olen, ocap;
	uint8_t *octets = signed_octets(in, &olen, &ocap);
	const char *why = "out of memory";
	int ret = -ENOMEM;

	if (octets)
		ret = ike_pki_sign(sa->conn->key, sa->peer_sighashes, octets, olen, method,
				   out, cap, len, &why);
	if (octets)
		OPENSSL_clear_free(octets, ocap);
	if (ret < 0)
		ike_sa_log(sa, IPX_LOG_ERR, "cannot sign our AUTH: %s", why);
	return ret;
}

/* ---- the peer's certificates ---- */

static void wait_free(struct ike_cert_wait *w)
{
	for (unsigned i = 0; i < w->n_slots; i++) {
		if (w->slot[i].req)
			ike_certfetch_cancel(w->slot[i].req);
		X509_free(w->slot[i].cert);
	}
	if (w->ev)
		event_free(w->ev);
	if (w->plain)
		OPENSSL_clear_free(w->plain, w->plain_len ? w->plain_len : 1);
	free(w);
}

void ike_cert_wait_free(struct ikesa *sa)
{
	struct ike_cert_wait *w = sa->cert_wait;

	if (!w)
		return;
	sa->cert_wait = NULL;
	if (w->resuming)
		w->sa = NULL;  /* resume() frees it when the exchange returns */
	else
		wait_free(w);
}

bool ike_cert_waiting(const struct ikesa *sa)
{
	return sa->cert_wait && !sa->cert_wait->resuming;
}

/* The exchange that waited fails: we initiated it, or we answer it. */
static void fail_waiting(struct ikesa *sa, bool response, uint32_t msg_id, const char *why)
{
	sa->mgr->st.rx_auth_failed++;
	if (response) {
		ike_sa_fail(sa, why);
		return;
	}
	ike_sa_log(sa, IPX_LOG_WARN, "%s: AUTHENTICATION_FAILED", why);
	ike_send_error_response(sa, IKEV2_EXCH_IKE_AUTH, msg_id, IKEV2_N_AUTHENTICATION_FAILED,
				NULL, 0);
	ike_sa_destroy(sa);
}

/* Every fetch is in: the exchange goes on from the message kept. */
static void resume(evutil_socket_t fd, short what, void *arg)
{
	struct ike_cert_wait *w = arg;
	struct ikesa *sa = w->sa;
	struct ike_msg *m = sa->mgr->msg;
	struct ike_perr e = { 0 };

	(void)fd;
	(void)what;
	if (w->failed ||
	    ike_msg_parse_plain(m, &w->hdr, w->first, w->plain, w->plain_len, &e) < 0) {
		sa->cert_wait = NULL;
		fail_waiting(sa, w->response, w->hdr.msg_id,
			     w->failed ? w->why : "IKE_AUTH kept for Hash and URL no longer parses");
		wait_free(w);
		return;
	}
	w->resuming = true;
	if (w->response)
		ike_auth_response_resume(sa, m);
	else
		ike_auth_respond(sa, m);
	w->resuming = false;
	/* it waits again (the certificates brought CRLs to fetch) */
	if (w->sa && w->pending)
		return;
	/* the exchange is over, or the SA is gone (w->sa NULL) */
	if (w->sa)
		w->sa->cert_wait = NULL;
	wait_free(w);
}

static void fetched(void *arg, enum ike_certfetch_result res, X509 *cert, const char *why)
{
	struct cert_slot *s = arg;
	struct ike_cert_wait *w = s->w;

	s->req = NULL;
	if (res == IKE_CF_OK && cert && X509_up_ref(cert)) {
		s->cert = cert;
	} else if (!w->failed) {
		w->failed = true;
		snprintf(w->why, sizeof(w->why), "Hash and URL: %s", why ? why : "fetch failed");
	}
	if (--w->pending == 0 || w->failed)
		event_active(w->ev, EV_TIMEOUT, 0);
}

static struct ike_cert_wait *wait_new(struct ikesa *sa, const struct ike_msg *m)
{
	struct ike_cert_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->sa = sa;
	w->response = m->hdr.flags & IKEV2_FLAG_RESPONSE;
	w->hdr = m->hdr;
	w->first = m->first;
	w->plain = malloc(m->plain_len ? m->plain_len : 1);
	w->ev = event_new(sa->mgr->base, -1, 0, resume, w);
	if (!w->plain || !w->ev) {
		wait_free(w);
		return NULL;
	}
	memcpy(w->plain, m->plain, m->plain_len);
	w->plain_len = m->plain_len;
	return w;
}

/*
 * A certificate sent as Hash and URL: from the fetches of this exchange,
 * the cache, or fetched now (*started set; *out NULL).  0 or -errno with
 * why.
 */
static int by_url(struct ikesa *sa, const struct ike_msg *m, const struct ike_cert *cp,
		  X509 **out, bool *started, char *why, size_t n)
{
	struct ike_cert_wait *w = sa->cert_wait;
	const uint8_t *h = cp->data;
	struct cert_slot *s;
	X509 *cached = NULL;

	*out = NULL;
	for (unsigned i = 0; w && i < w->n_slots; i++)
		if (!w->slot[i].is_crl && w->slot[i].cert &&
		    memcmp(w->slot[i].sha1, h, IKEV2_SHA1_LEN) == 0) {
			*out = X509_dup(w->slot[i].cert);
			return *out ? 0 : -ENOMEM;
		}
	*out = ike_certfetch_cached(sa->mgr->certs, h);
	if (*out)
		return 0;
	if (!w) {
		w = sa->cert_wait = wait_new(sa, m);
		if (!w)
			return -ENOMEM;
	}
	if (w->n_slots >= IKE_CERTS_MAX) {
		snprintf(why, n, "more than %d fetches", IKE_CERTS_MAX);
		return -EACCES;
	}
	s = &w->slot[w->n_slots++];
	s->w = w;
	memcpy(s->sha1, h, IKEV2_SHA1_LEN);
	w->pending++;
	s->req = ike_certfetch_get(sa->mgr->certs, h, (const char *)h + IKEV2_SHA1_LEN,
				   cp->len - IKEV2_SHA1_LEN, fetched, s, &cached);
	if (cached) {
		/* cached since we looked: nothing to wait for */
		w->pending--;
		s->cert = cached;
		*out = X509_dup(cached);
		return *out ? 0 : -ENOMEM;
	}
	if (!s->req) {
		w->pending--;
		return -ENOMEM;
	}
	*started = true;
	return 0;
}

/* ---- CRLs from distribution points ---- */

static bool crl_current(const X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	return !next || X509_cmp_time(next, NULL) > 0;
}

void ike_cert_crls_free(struct ike_mgr *mgr)
{
	for (unsigned i = 0; i < IKE_CRL_CACHE; i++) {
		X509_CRL_free(mgr->crl_cache[i].crl);
		mgr->crl_cache[i].crl = NULL;
	}
}

/* Kept until its nextUpdate; the oldest goes when the cache is full. */
static void crl_keep(struct ike_mgr *mgr, const char *url, X509_CRL *crl)
{
	struct ike_crl_entry *e = NULL;

	for (unsigned i = 0; i < IKE_CRL_CACHE && !e; i++)
		if (mgr->crl_cache[i].crl && strcmp(mgr->crl_cache[i].url, url) == 0)
			e = &mgr->crl_cache[i];
	if (!e) {
		e = &mgr->crl_cache[mgr->crl_next];
		mgr->crl_next = (mgr->crl_next + 1) % IKE_CRL_CACHE;
	}
	X509_CRL_free(e->crl);
	X509_CRL_up_ref(crl);
	e->crl = crl;
	snprintf(e->url, sizeof(e->url), "%s", url);
}

/* The CRLs a chain is checked with: the configured ones and those
 * fetched (a shallow stack: free it with sk_X509_CRL_free). */
static STACK_OF(X509_CRL) *crls_for_check(struct ike_mgr *mgr)
{
	STACK_OF(X509_CRL) *all = mgr->cfg->crls ? sk_X509_CRL_dup(mgr->cfg->crls)
						 : sk_X509_CRL_new_null();

	for (unsigned i = 0; all && i < IKE_CRL_CACHE; i++)
		if (mgr->crl_cache[i].crl && crl_current(mgr->crl_cache[i].crl))
			sk_X509_CRL_push(all, mgr->crl_cache[i].crl);
	return all;
}

static bool crl_of_issuer(STACK_OF(X509_CRL) *crls, const X509 *x)
{
	for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
		const X509_CRL *crl = sk_X509_CRL_value(crls, i);

		if (crl_current(crl) &&
		    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(x)) == 0)
			return true;
	}
	return false;
}

static X509_CRL *crl_parse(const uint8_t *b, size_t len)
{
	const unsigned char *p = b;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	BIO *bio;

	if (crl && p == b + len)
		return crl;
	X509_CRL_free(crl);
	bio = BIO_new_mem_buf(b, (int)len);
	crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return crl;
}

static void crl_fetched(void *arg, enum ike_certfetch_result res, const uint8_t *body,
			size_t len, const char *why)
{
	struct cert_slot *s = arg;
	struct ike_cert_wait *w = s->w;
	X509_CRL *crl = res == IKE_CF_OK ? crl_parse(body, len) : NULL;

	s->req = NULL;
	if (crl) {
		crl_keep(w->sa->mgr, s->url, crl);
		ike_sa_log(w->sa, IPX_LOG_INFO, "CRL fetched from %s (%d revoked)", s->url,
			   sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)));
		X509_CRL_free(crl);
	} else {
		/* no CRL: the status stays unknown, and remote.revocation
		 * says what that means */
		ike_sa_log(w->sa, IPX_LOG_WARN, "CRL from %s: %s", s->url,
			   res == IKE_CF_OK ? "not a CRL (DER or PEM)" : why ? why : "fetch failed");
	}
	if (--w->pending == 0 || w->failed)
		event_active(w->ev, EV_TIMEOUT, 0);
}

/*
 * With remote.revocation ifuri or strict: a fetch from its distribution
 * point for each certificate of the chain whose issuer's CRL we lack (once
 * per exchange: one that failed is not tried again when it resumes).
 * 0, or -EINPROGRESS when fetches were started.
 */
static int fetch_crls(struct ikesa *sa, const struct ike_msg *m, X509 *ee,
		      STACK_OF(X509) *untrusted)
{
	STACK_OF(X509_CRL) *have;
	bool started = false;
	int ret = 0;

	char reason[256];

	if (sa->conn->revocation == CFG_REV_RELAXED)
		return 0;
	have = crls_for_check(sa->mgr);
	if (!have)
		return -ENOMEM;
	/* only for a chain to one of our anchors: a peer does not make us
	 * fetch from the distribution points of certificates it made up
	 * (check_peer() then says what is wrong with them) */
	if (ike_pki_verify_chain(cfg_conn_cacerts(sa->mgr->cfg, sa->conn), have, ee, untrusted,
				 IKE_PKI_REV_RELAXED, time(NULL), NULL, reason, sizeof(reason)) < 0) {
		sk_X509_CRL_free(have);
		return 0;
	}
	for (int i = -1; ret == 0 && i < sk_X509_num(untrusted); i++) {
		X509 *x = i < 0 ? ee : sk_X509_value(untrusted, i);
		struct ike_cert_wait *w = sa->cert_wait;
		char *uris[1] = { NULL };
		struct cert_slot *s;
		bool tried = false;

		if (crl_of_issuer(have, x) || ike_pki_crl_uris(x, uris, 1) < 1)
			continue;
		for (unsigned k = 0; w && k < w->n_slots; k++)
			tried |= w->slot[k].is_crl && strcmp(w->slot[k].url, uris[0]) == 0;
		if (!tried && !w)
			w = sa->cert_wait = wait_new(sa, m);
		if (!tried && w && w->n_slots < 2 * IKE_CERTS_MAX) {
			s = &w->slot[w->n_slots++];
			s->w = w;
			s->is_crl = true;
			snprintf(s->url, sizeof(s->url), "%s", uris[0]);
			s->req = ike_certfetch_get_raw(sa->mgr->certs, s->url, crl_fetched, s);
			if (s->req) {
				w->pending++;
				started = true;
			}
		} else if (!tried && !w) {
			ret = -ENOMEM;
		}
		OPENSSL_free(uris[0]);
	}
	sk_X509_CRL_free(have);
	return ret < 0 ? ret : started ? -EINPROGRESS : 0;
}

/*
 * The peer's certificates out of m's CERT payloads: *ee the first, the
 * others pushed onto untrusted.  0; -EINPROGRESS when Hash and URL
 * fetches were started (the exchange resumes when they are in); or
 * -EACCES with why.
 */
static int peer_certs(struct ikesa *sa, const struct ike_msg *m, X509 **ee,
		      STACK_OF(X509) *untrusted, char *why, size_t n)
{
	const struct ike_pld *p;
	bool started = false;
	int ret = 0;

	*ee = NULL;
	if (ike_msg_get(m, IKEV2_PL_CERT, IKE_CERTS_MAX)) {
		snprintf(why, n, "more than %d CERT payloads", IKE_CERTS_MAX);
		return -EACCES;
	}
	for (unsigned i = 0; ret == 0 && (p = ike_msg_get(m, IKEV2_PL_CERT, i)); i++) {
		const struct ike_cert *cp = &p->u.cert;
		X509 *x = NULL;

		switch (cp->encoding) {
		case IKEV2_CERT_X509_SIG:
			x = ike_pki_cert_from_der(cp->data, cp->len);
			if (!x) {
				snprintf(why, n, "CERT payload %u is not a DER X.509 certificate", i + 1);
				return -EACCES;
			}
			break;
		case IKEV2_CERT_HASH_URL_X509:
			if (!sa->conn->hash_and_url) {
				snprintf(why, n, "the peer sent Hash and URL, but hash_and_url is off (we did not announce HTTP_CERT_LOOKUP_SUPPORTED)");
				return -EACCES;
			}
			ret = by_url(sa, m, cp, &x, &started, why, n);
			if (ret < 0 || !x)
				continue;
			break;
		case IKEV2_CERT_HASH_URL_X509_BUNDLE:
			snprintf(why, n, "Hash and URL of a certificate bundle (encoding 13) is not supported: send the certificates one by one");
			return -EACCES;
		default:
			ipx_dbg("CERT encoding %s ignored", ikev2_cert_name(cp->encoding));
			continue;
		}
		if (!*ee)
			*ee = x;
		else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			return -ENOMEM;
		}
	}
	if (ret < 0)
		return ret;
	if (started)
		return -EINPROGRESS;
	if (!*ee) {
		snprintf(why, n, "no certificate (CERT payload) to check its AUTH with");
		return -EACCES;
	}
	return 0;
}

bool ike_cert_dn_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509_NAME *na = d2i_X509_NAME(NULL, &pa, (long)alen);
	X509_NAME *nb = d2i_X509_NAME(NULL, &pb, (long)blen);
	bool eq = na && nb && pa == a + alen && pb == b + blen && X509_NAME_cmp(na, nb) == 0;

	X509_NAME_free(na);
	X509_NAME_free(nb);
	return eq;
}

static void id_describe(const struct ike_id *id, char *out, size_t n)
{
	if (id->type == IKEV2_ID_DER_ASN1_DN && ike_pki_dn_to_text(id->data, id->len, out, n) == 0)
		return;
	snprintf(out, n, "%s", "?");
}

static int check_peer(struct ikesa *sa, X509 *ee, STACK_OF(X509) *untrusted,
		      const struct ike_id *id, const struct ike_auth *auth,
		      const struct ike_auth_in *in, char *why, size_t n)
{
	const struct cfg *cfg = sa->mgr->cfg;
	const struct cfg_conn *c = sa->conn;
	char subj[256], idt[CFG_ID_MAX], reason[256];
	const char *vwhy = "";
	size_t olen, ocap;
	uint8_t *octets;
	int ret;

	STACK_OF(X509_CRL) *crls = crls_for_check(sa->mgr);

	ike_pki_name_text(X509_get_subject_name(ee), subj, sizeof(subj));
	ret = crls ? ike_pki_verify_chain(cfg_conn_cacerts(cfg, c), crls, ee, untrusted,
					  (enum ike_pki_revocation)c->revocation, time(NULL),
					  NULL, reason, sizeof(reason)) : -ENOMEM;
	sk_X509_CRL_free(crls);
	if (ret < 0) {
		/* (the reason names the certificate it is about) */
		snprintf(why, n, "%s", reason);
		return -EACCES;
	}
	if (!ike_pki_id_matches(ee, id->type, id->data, id->len)) {
		if (id->type == IKEV2_ID_DER_ASN1_DN)
			id_describe(id, idt, sizeof(idt));
		else
			snprintf(idt, sizeof(idt), "%s", sa->peer_id.text);
		snprintf(why, n, "identity %s (%s) is not in certificate %s", idt,
			 ikev2_id_name(id->type), subj);
		return -EACCES;
	}
	octets = signed_octets(in, &olen, &ocap);
	if (!octets)
		return -ENOMEM;
	ret = ike_pki_verify(X509_get0_pubkey(ee), auth->method, auth->data, auth->len,
			     octets, olen, &vwhy);
	OPENSSL_clear_free(octets, ocap);
	if (ret < 0) {
		snprintf(why, n, "AUTH of %s does not verify: %s", subj, vwhy);
		return -EACCES;
	}
	free(sa->peer_cert);
	sa->peer_cert = strdup(subj);   /* NULL without memory: not shown */
	ike_pki_auth_name(auth->method, auth->data, auth->len, sa->peer_auth,
			  sizeof(sa->peer_auth));
	return 0;
}

int ike_cert_verify_peer(struct ikesa *sa, const struct ike_msg *m, const struct ike_id *id,
			 const struct ike_auth *auth, const struct ike_auth_in *in,
			 char *why, size_t n)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509 *ee = NULL;
	int ret;

	if (!untrusted)
		return -ENOMEM;
	if (auth->method == IKEV2_AUTH_SHARED_KEY_MIC) {
		snprintf(why, n, "the peer authenticates with a PSK; connection %s wants a certificate (remote.auth: pubkey)",
			 sa->conn->name);
		ret = -EACCES;
	} else {
		ret = peer_certs(sa, m, &ee, untrusted, why, n);
		if (ret == 0)
			ret = fetch_crls(sa, m, ee, untrusted);
		if (ret == 0)
			ret = check_peer(sa, ee, untrusted, id, auth, in, why, n);
	}
	X509_free(ee);
	sk_X509_pop_free(untrusted, X509_free);
	/* a refusal beside fetches started: they are not waited for */
	if (ret < 0 && ret != -EINPROGRESS && ike_cert_waiting(sa))
		ike_cert_wait_free(sa);
	if (ret == -EINPROGRESS)
		ike_sa_log(sa, IPX_LOG_INFO, "IKE_AUTH waits for %u fetch%s (certificates by URL, CRLs)",
			   sa->cert_wait->pending, sa->cert_wait->pending == 1 ? "" : "es");
	return ret;
}
