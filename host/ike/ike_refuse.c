/*
 * Refusals: what both ends need to see when a set-up is refused (docs/
 * deploy.md lists each failure with the lines both ends print).  What was
 * offered and what is configured, in strongSwan's proposal keywords
 * ("aes256gcm16-prfsha256-ecp256") and selector lists; the refusal's text
 * that the daemon reads back (ike_sa_info.refusal) with the "ike-failed"
 * and "child-failed" events; and the back-off of a Child SA that a
 * start_action: start connection keeps asking for (child_retries).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "ike_sa.h"

#define REFUSAL_MAX 512
#define CHILD_RETRY_MAX_S 60   /* the longest pause between two tries */

/* ---- text ---- */

/* Appends to a fixed buffer; what does not fit is cut and ends in "...". */
struct sbuf {
	char *b;
	size_t cap, n;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (s->n >= s->cap)
		return;
	va_start(ap, fmt);
	k = vsnprintf(s->b + s->n, s->cap - s->n, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	s->n += (size_t)k;
	if (s->n >= s->cap) {
		if (s->cap >= 4)
			memcpy(s->b + s->cap - 4, "...", 4);
		s->n = s->cap;
	}
}

static struct sbuf sb_init(char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };

	if (len)
		buf[0] = 0;
	return s;
}

/* strongSwan's keyword for an AES-style cipher with a key length. */
static void kw_bits(struct sbuf *s, const char *base, unsigned bits, const char *suffix)
{
	if (bits)
		sb_add(s, "%s%u%s", base, bits, suffix);
	else
		sb_add(s, "%s%s", base, suffix);
}

static const char *encr_kw(uint16_t id)
{
	switch (id) {
	case IKEV2_ENCR_DES:
		return "des";
	case IKEV2_ENCR_3DES:
		return "3des";
	case IKEV2_ENCR_CAST:
		return "cast128";
	case IKEV2_ENCR_NULL:
		return "null";
	case IKEV2_ENCR_CHACHA20_POLY1305:
		return "chacha20poly1305";
	}
	return NULL;
}

static void encr(struct sbuf *s, const struct ike_transform *t)
{
	static const struct {
		uint16_t id;
		const char *base, *suffix;
	} sized[] = {
		{ IKEV2_ENCR_AES_CBC, "aes", "" },
		{ IKEV2_ENCR_AES_CTR, "aes", "ctr" },
		{ IKEV2_ENCR_AES_CCM_8, "aes", "ccm8" },
		{ IKEV2_ENCR_AES_CCM_12, "aes", "ccm12" },
		{ IKEV2_ENCR_AES_CCM_16, "aes", "ccm16" },
		{ IKEV2_ENCR_AES_GCM_8, "aes", "gcm8" },
		{ IKEV2_ENCR_AES_GCM_12, "aes", "gcm12" },
		{ IKEV2_ENCR_AES_GCM_16, "aes", "gcm16" },
		{ IKEV2_ENCR_NULL_AUTH_AES_GMAC, "aes", "gmac" },
		{ IKEV2_ENCR_CAMELLIA_CBC, "camellia", "" },
		{ IKEV2_ENCR_CAMELLIA_CTR, "camellia", "ctr" },
		{ IKEV2_ENCR_CAMELLIA_CCM_8, "camellia", "ccm8" },
		{ IKEV2_ENCR_CAMELLIA_CCM_12, "camellia", "ccm12" },
		{ IKEV2_ENCR_CAMELLIA_CCM_16, "camellia", "ccm16" },
		{ IKEV2_ENCR_BLOWFISH, "blowfish", "" },
	};
	const char *kw = encr_kw(t->id);

	if (kw) {
		sb_add(s, "%s", kw);
		return;
	}
	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++)
		if (sized[i].id == t->id) {
			kw_bits(s, sized[i].base, t->key_len, sized[i].suffix);
			return;
		}
	sb_add(s, "encr%u", t->id);
}

static const char *integ_kw(uint16_t id)
{
	static const char *const kw[] = {
		[IKEV2_INTEG_HMAC_MD5_96] = "md5",
		[IKEV2_INTEG_HMAC_SHA1_96] = "sha1",
		[IKEV2_INTEG_AES_XCBC_96] = "aesxcbc",
		[IKEV2_INTEG_HMAC_MD5_128] = "md5_128",
		[IKEV2_INTEG_HMAC_SHA1_160] = "sha1_160",
		[IKEV2_INTEG_AES_CMAC_96] = "aescmac",
		[IKEV2_INTEG_AES_128_GMAC] = "aes128gmac",
		[IKEV2_INTEG_AES_192_GMAC] = "aes192gmac",
		[IKEV2_INTEG_AES_256_GMAC] = "aes256gmac",
		[IKEV2_INTEG_HMAC_SHA2_256_128] = "sha256",
		[IKEV2_INTEG_HMAC_SHA2_384_192] = "sha384",
		[IKEV2_INTEG_HMAC_SHA2_512_256] = "sha512",
	};

	return id < sizeof(kw) / sizeof(kw[0]) ? kw[id] : NULL;
}

static const char *prf_kw(uint16_t id)
{
	static const char *const kw[] = {
		[IKEV2_PRF_HMAC_MD5] = "prfmd5",
		[IKEV2_PRF_HMAC_SHA1] = "prfsha1",
		[IKEV2_PRF_AES128_XCBC] = "prfaesxcbc",
		[IKEV2_PRF_HMAC_SHA2_256] = "prfsha256",
		[IKEV2_PRF_HMAC_SHA2_384] = "prfsha384",
		[IKEV2_PRF_HMAC_SHA2_512] = "prfsha512",
		[IKEV2_PRF_AES128_CMAC] = "prfaescmac",
	};

	return id < sizeof(kw) / sizeof(kw[0]) ? kw[id] : NULL;
}

static const char *dh_kw(uint16_t id)
{
	/* IANA's Transform Type 4 numbers (RFC 7296, 5114, 7748, 6954) */
	static const char *const kw[] = {
		[0] = "none", [1] = "modp768", [2] = "modp1024", [5] = "modp1536",
		[14] = "modp2048", [15] = "modp3072", [16] = "modp4096",
		[17] = "modp6144", [18] = "modp8192", [19] = "ecp256",
		[20] = "ecp384", [21] = "ecp521", [22] = "modp1024s160",
		[23] = "modp2048s224", [24] = "modp2048s256", [25] = "ecp192",
		[26] = "ecp224", [27] = "ecp224bp", [28] = "ecp256bp",
		[29] = "ecp384bp", [30] = "ecp512bp", [31] = "x25519", [32] = "x448",
	};

	return id < sizeof(kw) / sizeof(kw[0]) ? kw[id] : NULL;
}

static void xf_kw(struct sbuf *s, const struct ike_transform *t)
{
	const char *kw = NULL;

	switch (t->type) {
	case IKEV2_XF_ENCR:
		encr(s, t);
		return;
	case IKEV2_XF_INTEG:
		kw = integ_kw(t->id);
		break;
	case IKEV2_XF_PRF:
		kw = prf_kw(t->id);
		break;
	case IKEV2_XF_DH:
		kw = dh_kw(t->id);
		break;
	case IKEV2_XF_ESN:
		kw = t->id == IKEV2_ESN_YES ? "esn" : t->id == IKEV2_ESN_NO ? "noesn" : NULL;
		break;
	}
	if (kw)
		sb_add(s, "%s", kw);
	else
		sb_add(s, "%s%u", t->type == IKEV2_XF_INTEG ? "integ" : t->type == IKEV2_XF_PRF ? "prf" :
		       t->type == IKEV2_XF_DH ? "ke" : "xf", t->id);
}

/* One proposal's transforms in strongSwan's order: encryption, integrity,
 * PRF, key exchange, ESN, then anything else. */
static void xf_list(struct sbuf *s, const struct ike_transform *xf, unsigned n)
{
	static const uint8_t order[] = { IKEV2_XF_ENCR, IKEV2_XF_INTEG, IKEV2_XF_PRF,
					 IKEV2_XF_DH, IKEV2_XF_ESN };
	bool first = true;

	for (size_t o = 0; o <= sizeof(order); o++)
		for (unsigned i = 0; i < n; i++) {
			bool known = memchr(order, xf[i].type, sizeof(order)) != NULL;

			if (o < sizeof(order) ? xf[i].type != order[o] : known)
				continue;
			if (!first)
				sb_add(s, "-");
			first = false;
			xf_kw(s, &xf[i]);
		}
	if (first)
		sb_add(s, "(nothing)");
}

const char *ike_offer_str(const struct ike_sa *offer, char *buf, size_t len)
{
	struct sbuf s = sb_init(buf, len);

	for (unsigned i = 0; i < offer->n_props; i++) {
		if (i)
			sb_add(&s, ", ");
		xf_list(&s, offer->props[i].xf, offer->props[i].n_xf);
	}
	if (!offer->n_props)
		sb_add(&s, "(no proposal)");
	return buf;
}

const char *ike_props_cfg_str(const struct ike_prop_cfg *p, unsigned n, char *buf, size_t len)
{
	struct sbuf s = sb_init(buf, len);

	for (unsigned i = 0; i < n; i++) {
		if (i)
			sb_add(&s, ", ");
		xf_list(&s, p[i].xf, p[i].n_xf);
	}
	if (!n)
		sb_add(&s, "(no proposal)");
	return buf;
}

const char *ike_ts_list_str(const struct ike_ts *ts, unsigned n, char *buf, size_t len)
{
	struct sbuf s = sb_init(buf, len);

	sb_add(&s, "[");
	for (unsigned i = 0; i < n; i++) {
		char t[96];

		sb_add(&s, "%s%s", i ? ", " : "", ike_ts_str(&ts[i], t, sizeof(t)));
	}
	sb_add(&s, "]");
	return buf;
}

void ike_sa_refusal(struct ikesa *sa, const char *fmt, ...)
{
	va_list ap;

	if (!sa->refusal)
		sa->refusal = malloc(REFUSAL_MAX);
	if (!sa->refusal)
		return;
	va_start(ap, fmt);
	vsnprintf(sa->refusal, REFUSAL_MAX, fmt, ap);
	va_end(ap);
}

/* ---- Child SAs refused: back-off (child_retries) and the event ---- */

struct ike_child_retry {
	char name[CFG_NAME_MAX];
	unsigned tries;        /* refused in a row */
	uint64_t next_at;      /* not asked for again before (monotonic s) */
	bool given_up;
};

static struct ike_child_retry *retry_find(const struct ikesa *sa, const char *name)
{
	for (unsigned i = 0; i < sa->n_child_retry; i++)
		if (strcmp(sa->child_retry[i].name, name) == 0)
			return &sa->child_retry[i];
	return NULL;
}

/* name's record, made when there is none; NULL without memory (then the
 * child is asked for on the next tick, as before child_retries). */
static struct ike_child_retry *retry_get(struct ikesa *sa, const char *name)
{
	struct ike_child_retry *r = retry_find(sa, name), *n;

	if (r)
		return r;
	n = realloc(sa->child_retry, (sa->n_child_retry + 1) * sizeof(*n));
	if (!n)
		return NULL;
	sa->child_retry = n;
	r = &n[sa->n_child_retry++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	return r;
}

bool ike_child_auto(const struct ikesa *sa)
{
	return sa->initiator && sa->conn && sa->conn->start_action == CFG_START_START;
}

uint64_t ike_child_retry_at(const struct ikesa *sa, const char *name)
{
	const struct ike_child_retry *r = retry_find(sa, name);

	if (!r)
		return 0;
	return r->given_up ? UINT64_MAX : r->next_at;
}

void ike_child_retry_clear(struct ikesa *sa, const char *name)
{
	for (unsigned i = 0; i < sa->n_child_retry; i++)
		if (!name || strcmp(sa->child_retry[i].name, name) == 0)
			sa->child_retry[i--] = sa->child_retry[--sa->n_child_retry];
	if (!sa->n_child_retry) {
		free(sa->child_retry);
		sa->child_retry = NULL;
	}
}

void ike_child_retry_copy(const struct ikesa *from, struct ikesa *to)
{
	for (unsigned i = 0; i < from->n_child_retry; i++) {
		struct ike_child_retry *r = retry_get(to, from->child_retry[i].name);

		if (r)
			*r = from->child_retry[i];
	}
}

void ike_child_retry_free(struct ikesa *sa)
{
	free(sa->child_retry);
	sa->child_retry = NULL;
	sa->n_child_retry = 0;
}

/* 1 s after the first refusal, doubling, at most CHILD_RETRY_MAX_S. */
static unsigned backoff(unsigned tries)
{
	return tries > 6 ? CHILD_RETRY_MAX_S : 1u << (tries - 1);
}

void ike_child_failed(struct ikesa *sa, struct child_sa *c, const char *why)
{
	struct ike_mgr *m = sa->mgr;
	const struct cfg_conn *conn = sa->conn;
	struct ike_child_retry *r = retry_get(sa, c->name);
	char props[320], l[200], rt[200], next[48] = "";
	bool give_up = false;

	if (r) {
		unsigned delay = backoff(++r->tries);

		r->next_at = ike_now() + delay;
		if (ike_child_auto(sa) && conn->child_retries && r->tries > conn->child_retries)
			give_up = r->given_up = true;
		else if (ike_child_auto(sa))
			snprintf(next, sizeof(next), "; trying again in %us", delay);
	}
	ike_sa_refusal(sa, "%s", why);
	ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s not created: %s; we offered TSi %s TSr %s with ESP %s%s",
		   c->name, why, ike_ts_list_str(c->ts_l, c->n_ts_l, l, sizeof(l)),
		   ike_ts_list_str(c->ts_r, c->n_ts_r, rt, sizeof(rt)),
		   c->offered ? ike_props_cfg_str(c->offered, c->n_offered, props, sizeof(props))
			      : "(nothing)", next);
	if (give_up)
		ike_sa_log(sa, IPX_LOG_WARN,
			   "giving up on child %s after %u tries: %s; `ipsecfx initiate %s --child %s` to retry",
			   c->name, r->tries, why, sa->conn_name, c->name);
	if (m->io.event)
		m->io.event(m->io.ctx, sa, c, "child-failed");
}

void ike_child_refused_event(struct ikesa *sa, const char *name, const struct ike_msg *req)
{
	struct ike_mgr *m = sa->mgr;
	const struct ike_pld *tsi = ike_msg_get(req, IKEV2_PL_TSI, 0);
	const struct ike_pld *tsr = ike_msg_get(req, IKEV2_PL_TSR, 0);
	struct child_sa d;

	if (!m->io.event)
		return;
	/* a description, never installed: the selectors asked for, ours first */
	memset(&d, 0, sizeof(d));
	d.ike = sa;
	snprintf(d.name, sizeof(d.name), "%s", name ? name : "");
	d.eng_in = d.eng_out = IPX_SA_NONE;
	d.dp_child = UINT32_MAX;
	d.spi_settled = true;
	if (tsr && tsi) {
		d.ts_l = (struct ike_ts *)tsr->u.ts.ts;
		d.n_ts_l = tsr->u.ts.n_ts < IKE_CHILD_TS_MAX ? tsr->u.ts.n_ts : IKE_CHILD_TS_MAX;
		d.ts_r = (struct ike_ts *)tsi->u.ts.ts;
		d.n_ts_r = tsi->u.ts.n_ts < IKE_CHILD_TS_MAX ? tsi->u.ts.n_ts : IKE_CHILD_TS_MAX;
	}
	m->io.event(m->io.ctx, sa, &d, "child-failed");
}
