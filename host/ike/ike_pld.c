/*
 * IKEv2 parsing only (RFC 7296 section 3, RFC 7383 2.5).  Every payload is
 * taken in two steps: validate (bounds, lengths, counts, nesting) and only
 * then interpret into struct ike_pld.  Every length read off the wire is
 * checked against what is left before it is used; nothing here allocates
 * or copies payload data (pointers point into the datagram).
 */
#include <errno.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "ike_msg.h"

/* ---- The one place saying which payloads may stand where ----
 *
 * RFC 7296 1.2-1.4 and 3.14: only IKE_SA_INIT travels in the clear; every
 * later message carries its payloads inside SK ("the Encrypted payload,
 * if present in a message, MUST be the last payload"), or inside SKF
 * fragments (RFC 7383 2.5).  RFC 7296 1.5: a node that cannot process a
 * request (unknown IKE SPI, higher major version) may answer with a Notify
 * outside any IKE SA, so a bare unprotected N is accepted in responses of
 * the other exchanges; it is flagged (m->unprotected_notify) because it is
 * a hint that anyone could have forged.
 */
#define B(t) IKEV2_PL_BIT(IKEV2_PL_##t)

struct placement {
	uint8_t exchange;
	uint64_t outside;      /* outside SK, requests and responses */
	uint64_t outside_resp; /* also outside SK, responses only */
	uint64_t inside;       /* inside SK/SKF */
};

static const struct placement placements[] = {
	/* 1.2: HDR, SAi1, KEi, Ni  /  HDR, SAr1, KEr, Nr, [CERTREQ]; N and
	 * V may accompany either (2.6 COOKIE, 2.23 NAT-D, 1.2 errors). */
	{ IKEV2_EXCH_IKE_SA_INIT,
	  B(SA) | B(KE) | B(NONCE) | B(NOTIFY) | B(VENDOR) | B(CERTREQ), 0, 0 },
	/* 1.2: SK {IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, SAi2, TSi, TSr}
	 * with N, CP (2.19), EAP (2.16), V. */
	{ IKEV2_EXCH_IKE_AUTH, B(SK) | B(SKF), B(NOTIFY),
	  B(IDI) | B(IDR) | B(CERT) | B(CERTREQ) | B(AUTH) | B(SA) | B(TSI) |
		  B(TSR) | B(NOTIFY) | B(CP) | B(EAP) | B(VENDOR) },
	/* 1.3: SK {[N(REKEY_SA)], SA, Ni/Nr, [KE], [TSi, TSr]} */
	{ IKEV2_EXCH_CREATE_CHILD_SA, B(SK) | B(SKF), B(NOTIFY),
	  B(SA) | B(NONCE) | B(KE) | B(TSI) | B(TSR) | B(NOTIFY) | B(VENDOR) },
	/* 1.4: SK {[N,] [D,] [CP,] ...} */
	{ IKEV2_EXCH_INFORMATIONAL, B(SK) | B(SKF), B(NOTIFY),
	  B(NOTIFY) | B(DELETE) | B(CP) | B(VENDOR) },
};

/* At most one of each of these per message (1.2-1.4; 3.14; RFC 7383). */
static const uint64_t at_most_once = B(SA) | B(KE) | B(NONCE) | B(IDI) |
	B(IDR) | B(AUTH) | B(TSI) | B(TSR) | B(CP) | B(EAP) | B(SK) | B(SKF);

/* Payload types this codec implements; any other is "unknown" in the
 * sense of 3.2 (critical bit decides), even if IANA has a number for it. */
static const uint64_t implemented = B(SA) | B(KE) | B(IDI) | B(IDR) |
	B(CERT) | B(CERTREQ) | B(AUTH) | B(NONCE) | B(NOTIFY) | B(DELETE) |
	B(VENDOR) | B(TSI) | B(TSR) | B(SK) | B(CP) | B(EAP) | B(SKF);

static const struct placement *placement_of(uint8_t exchange)
{
	for (size_t i = 0; i < sizeof(placements) / sizeof(placements[0]); i++)
		if (placements[i].exchange == exchange)
			return &placements[i];
	return NULL;
}

static bool known(uint8_t type)
{
	return type >= IKEV2_PL_FIRST && type <= IKEV2_PL_LAST &&
	       (implemented & IKEV2_PL_BIT(type));
}

bool ike_pld_allowed(uint8_t exchange, bool response, bool inner, uint8_t type)
{
	const struct placement *pl = placement_of(exchange);
	uint64_t mask;

	if (!pl || !known(type))
		return false;
	if (inner)
		mask = pl->inside;
	else
		mask = pl->outside | (response ? pl->outside_resp : 0);
	return (mask & IKEV2_PL_BIT(type)) != 0;
}

/* ---- parse context and errors ---- */

struct pctx {
	struct ike_msg *m;
	struct ike_perr *err;
	const uint8_t *base; /* offsets in errors are relative to this */
	bool inner;
	bool response;
	uint8_t type; /* payload being parsed */
};

static int fail(struct pctx *c, const uint8_t *at, uint16_t notify,
		const char *why)
{
	if (c->err) {
		c->err->reason = why;
		c->err->notify = notify;
		c->err->pld_type = c->type;
		c->err->inner = c->inner;
		c->err->off = (uint32_t)(at - c->base);
	}
	return -EBADMSG;
}

#define SYNTAX(c, at, why) fail((c), (at), IKEV2_N_INVALID_SYNTAX, (why))

/* ---- header (3.1) ---- */

int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h,
		  struct ike_perr *err)
{
	struct pctx c = { .err = err, .base = buf };
	struct ikev2_hdr w;
	static const uint8_t zero[IKEV2_SPI_LEN];

	if (err)
		memset(err, 0, sizeof(*err));
	/* Too short to carry SPIs: nobody to answer (2.21). */
	if (len < IKE_HDR_LEN)
		return fail(&c, buf, IKEV2_N_NONE, "shorter than an IKE header");
	memcpy(&w, buf, sizeof(w));
	memcpy(h->spi_i, w.spi_i, sizeof(h->spi_i));
	memcpy(h->spi_r, w.spi_r, sizeof(h->spi_r));
	h->next = w.next;
	h->version = w.version;
	h->exchange = w.exchange;
	h->flags = w.flags;
	h->msg_id = ipx_ld32(buf + offsetof(struct ikev2_hdr, msg_id));
	h->length = ipx_ld32(buf + offsetof(struct ikev2_hdr, length));

	/* 2.5: a higher major version is dropped with INVALID_MAJOR_VERSION;
	 * the minor version is ignored.  Lower (IKEv1) gets no answer. */
	if (IKEV2_MAJOR(w.version) > 2)
		return fail(&c, buf + offsetof(struct ikev2_hdr, version),
			    IKEV2_N_INVALID_MAJOR_VERSION,
			    "major version above 2");
	if (IKEV2_MAJOR(w.version) < 2)
		return fail(&c, buf + offsetof(struct ikev2_hdr, version),
			    IKEV2_N_NONE, "major version below 2 (IKEv1?)");
	/* 3.1: Length is of the total message; it must be this datagram. */
	if (h->length != len)
		return SYNTAX(&c, buf + offsetof(struct ikev2_hdr, length),
			      "header length differs from datagram length");
	/* 3.1: the initiator's SPI MUST NOT be zero; the responder's MUST be
	 * zero in the first message of an IKE initial exchange. */
	if (!memcmp(h->spi_i, zero, sizeof(zero)))
		return fail(&c, buf, IKEV2_N_NONE, "initiator SPI is zero");
	if (h->exchange == IKEV2_EXCH_IKE_SA_INIT &&
	    !(h->flags & IKEV2_FLAG_RESPONSE) &&
	    memcmp(h->spi_r, zero, sizeof(zero)))
		return SYNTAX(&c, buf + IKEV2_SPI_LEN,
			      "responder SPI not zero in IKE_SA_INIT request");
	return 0;
}

/* ---- payload bodies: b points after the generic header, n octets ---- */

/* 3.3: SA -> proposals -> transforms -> attributes. */
static int pl_attrs(struct pctx *c, struct ike_transform *t, const uint8_t *a,
		    size_t n)
{
	size_t off = 0;

	while (off < n) {
		uint16_t type, val;

		if (n - off < sizeof(struct ikev2_attr))
			return SYNTAX(c, a + off, "attribute past the end of transform");
		type = ipx_ld16(a + off);
		val = ipx_ld16(a + off + 2);
		if ((type & IKEV2_ATTR_TYPE_MASK) == IKEV2_ATTR_KEY_LENGTH) {
			/* 3.3.5: Key Length is TV, at most once, non-zero. */
			if (!(type & IKEV2_ATTR_AF))
				return SYNTAX(c, a + off, "key length attribute not in TV form");
			if (t->key_len)
				return SYNTAX(c, a + off, "key length attribute twice");
			if (!val)
				return SYNTAX(c, a + off, "key length of zero");
			t->key_len = val;
			off += 4;
			continue;
		}
		/* 3.3.6: a transform with an attribute we do not know is
		 * unacceptable (selection skips it), not malformed. */
		t->unknown_attr = true;
		if (type & IKEV2_ATTR_AF) {
			off += 4;
		} else {
			if (val > n - off - 4)
				return SYNTAX(c, a + off, "attribute length past the end of transform");
			off += 4 + (size_t)val;
		}
	}
	return 0;
}

static int pl_transforms(struct pctx *c, struct ike_proposal *pr,
			 uint8_t announced, const uint8_t *b, size_t n)
{
	struct ike_msg *m = c->m;
	size_t off = 0;
	unsigned count = 0;
	int rc;

	pr->xf = &m->xfs[m->n_xfs];
	while (off < n) {
		struct ikev2_xf x;
		struct ike_transform *t;
		size_t xlen;
		bool last;

		if (n - off < sizeof(x))
			return SYNTAX(c, b + off, "transform header past the end of proposal");
		memcpy(&x, b + off, sizeof(x));
		xlen = ipx_ld16(b + off + offsetof(struct ikev2_xf, length));
		if (xlen < sizeof(x))
			return SYNTAX(c, b + off, "transform length below 8");
		if (xlen > n - off)
			return SYNTAX(c, b + off, "transform length past the end of proposal");
		last = off + xlen == n;
		if (x.last != (last ? IKEV2_XF_LAST : IKEV2_XF_MORE))
			return SYNTAX(c, b + off, "transform 'last' marker disagrees with lengths");
		if (++count > announced)
			return SYNTAX(c, b + off, "more transforms than the proposal announces");
		if (m->n_xfs >= IKE_MSG_MAX_XFS)
			return SYNTAX(c, b + off, "too many transforms (limit IKE_MSG_MAX_XFS)");
		t = &m->xfs[m->n_xfs++];
		memset(t, 0, sizeof(*t));
		t->type = x.type;
		t->id = ipx_ld16(b + off + offsetof(struct ikev2_xf, id));
		rc = pl_attrs(c, t, b + off + sizeof(x), xlen - sizeof(x));
		if (rc)
			return rc;
		off += xlen;
	}
	if (count != announced)
		return SYNTAX(c, b, "fewer transforms than the proposal announces");
	if (!count)
		return SYNTAX(c, b, "proposal without transforms");
	pr->n_xf = (uint8_t)count;
	return 0;
}

static int pl_sa(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	struct ike_msg *m = c->m;
	struct ike_sa *sa = &p->u.sa;
	size_t off = 0;
	unsigned expect = 1;
	int rc;

	sa->props = &m->props[m->n_props];
	sa->n_props = 0;
	if (!n)
		return SYNTAX(c, b, "SA payload without proposals");
	while (off < n) {
		struct ikev2_prop h;
		struct ike_proposal *pr;
		size_t plen;
		bool last;

		if (n - off < sizeof(h))
			return SYNTAX(c, b + off, "proposal header past the end of SA");
		memcpy(&h, b + off, sizeof(h));
		plen = ipx_ld16(b + off + offsetof(struct ikev2_prop, length));
		if (plen < sizeof(h) + h.spi_size)
			return SYNTAX(c, b + off, "proposal length below header and SPI");
		if (plen > n - off)
			return SYNTAX(c, b + off, "proposal length past the end of SA");
		last = off + plen == n;
		if (h.last != (last ? IKEV2_PROP_LAST : IKEV2_PROP_MORE))
			return SYNTAX(c, b + off, "proposal 'last' marker disagrees with lengths");
		/* 3.3.1: offers are numbered 1, 2, 3...; an answer carries
		 * the number of the one accepted. */
		if (!c->response && h.num != expect)
			return SYNTAX(c, b + off, "proposal numbers not 1, 2, 3...");
		if (c->response && !h.num)
			return SYNTAX(c, b + off, "proposal number zero");
		/* 3.3.1: SPI size 0 for the initial IKE SA, 8 when rekeying it
		 * (2.18), 4 for ESP and AH. */
		switch (h.proto) {
		case IKEV2_PROTO_IKE:
			if (h.spi_size != (m->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT ?
						   0 : IKEV2_SPI_LEN))
				return SYNTAX(c, b + off, "IKE proposal with wrong SPI size");
			break;
		case IKEV2_PROTO_ESP:
		case IKEV2_PROTO_AH:
			if (h.spi_size != IKEV2_CHILD_SPI_LEN)
				return SYNTAX(c, b + off, "ESP/AH proposal SPI size not 4");
			break;
		default: /* unacceptable, not malformed (3.3.6); keep it */
			if (h.spi_size > sizeof(pr->spi))
				return SYNTAX(c, b + off, "proposal SPI longer than 8");
		}
		if (m->n_props >= IKE_MSG_MAX_PROPS)
			return SYNTAX(c, b + off, "too many proposals (limit IKE_MSG_MAX_PROPS)");
		pr = &m->props[m->n_props++];
		memset(pr, 0, sizeof(*pr));
		pr->num = h.num;
		pr->proto = h.proto;
		pr->spi_size = h.spi_size;
		memcpy(pr->spi, b + off + sizeof(h), h.spi_size);
		rc = pl_transforms(c, pr, h.n_xf, b + off + sizeof(h) + h.spi_size,
				   plen - sizeof(h) - h.spi_size);
		if (rc)
			return rc;
		sa->n_props++;
		expect++;
		off += plen;
	}
	/* 3.3: the responder accepts a single proposal or rejects them all. */
	if (c->response && sa->n_props != 1)
		return SYNTAX(c, b, "response SA with more than one proposal");
	return 0;
}

static int pl_ke(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	unsigned want;

	if (n < sizeof(struct ikev2_ke) + 1)
		return SYNTAX(c, b, "KE payload without public value");
	p->u.ke.group = ipx_ld16(b);
	p->u.ke.data = b + sizeof(struct ikev2_ke);
	p->u.ke.len = n - sizeof(struct ikev2_ke);
	/* 3.4: the value is exactly as long as the group says; unknown groups
	 * are for the exchange to refuse with INVALID_KE_PAYLOAD. */
	want = ikev2_dh_pub_len(p->u.ke.group);
	if (want && p->u.ke.len != want)
		return SYNTAX(c, b, "KE data length wrong for its group");
	return 0;
}

static int pl_nonce(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	/* 3.9: "between 16 and 256 octets inclusive" */
	if (n < IKEV2_NONCE_MIN || n > IKEV2_NONCE_MAX)
		return SYNTAX(c, b, "nonce not 16..256 octets");
	p->u.nonce.data = b;
	p->u.nonce.len = n;
	return 0;
}

static int pl_id(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	size_t dlen;

	if (n < sizeof(struct ikev2_id))
		return SYNTAX(c, b, "ID payload shorter than its header");
	p->u.id.type = b[0];
	p->u.id.data = b + sizeof(struct ikev2_id);
	p->u.id.len = dlen = n - sizeof(struct ikev2_id);
	switch (p->u.id.type) {
	case IKEV2_ID_IPV4_ADDR:
		if (dlen != 4)
			return SYNTAX(c, b, "ID_IPV4_ADDR not 4 octets");
		break;
	case IKEV2_ID_IPV6_ADDR:
		if (dlen != 16)
			return SYNTAX(c, b, "ID_IPV6_ADDR not 16 octets");
		break;
	case IKEV2_ID_NULL: /* RFC 7619 3: empty */
		if (dlen)
			return SYNTAX(c, b, "ID_NULL with data");
		break;
	default:
		if (!dlen)
			return SYNTAX(c, b, "empty identity");
	}
	return 0;
}

static int pl_auth(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	struct ike_auth *a = &p->u.auth;

	if (n < sizeof(struct ikev2_auth) + 1)
		return SYNTAX(c, b, "AUTH payload without data");
	a->method = b[0];
	a->data = b + sizeof(struct ikev2_auth);
	a->len = n - sizeof(struct ikev2_auth);
	a->sig_alg = a->sig = NULL;
	a->sig_alg_len = a->sig_len = 0;
	if (a->method == IKEV2_AUTH_DIGITAL_SIG) {
		/* RFC 7427 3: ASN.1 length (1 octet) | AlgorithmIdentifier |
		 * signature value. */
		size_t al = a->data[0];

		if (!al || al >= a->len - 1)
			return SYNTAX(c, b, "RFC 7427 AlgorithmIdentifier length out of bounds");
		a->sig_alg = a->data + 1;
		a->sig_alg_len = al;
		a->sig = a->data + 1 + al;
		a->sig_len = a->len - 1 - al;
	}
	return 0;
}

static int pl_cert(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	if (n < sizeof(struct ikev2_cert) + 1)
		return SYNTAX(c, b, "CERT payload without data");
	p->u.cert.encoding = b[0];
	p->u.cert.data = b + 1;
	p->u.cert.len = n - 1;
	/* 3.6: Hash and URL = 20-octet SHA-1 hash followed by a URL. */
	if ((b[0] == IKEV2_CERT_HASH_URL_X509 ||
	     b[0] == IKEV2_CERT_HASH_URL_X509_BUNDLE) &&
	    p->u.cert.len < IKEV2_SHA1_LEN + 1)
		return SYNTAX(c, b, "hash and URL shorter than hash plus URL");
	return 0;
}

static int pl_certreq(struct pctx *c, struct ike_pld *p, const uint8_t *b,
		      size_t n)
{
	if (n < sizeof(struct ikev2_cert))
		return SYNTAX(c, b, "CERTREQ payload without encoding");
	p->u.cert.encoding = b[0];
	p->u.cert.data = b + 1;
	p->u.cert.len = n - 1;
	/* 3.7: for X.509 the data is a list of 20-octet SHA-1 hashes of CA
	 * public keys. */
	if (b[0] == IKEV2_CERT_X509_SIG && p->u.cert.len % IKEV2_SHA1_LEN)
		return SYNTAX(c, b, "CERTREQ X.509 authorities not a multiple of 20 octets");
	return 0;
}

/* Notify data the exchanges interpret, sized as the RFCs define them. */
static const struct nrule {
	uint16_t type;
	int8_t spi_size; /* required SPI size, -1 = any */
	uint16_t min, max;
	bool even;
} nrules[] = {
	{ IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, -1, 1, 1, false }, /* 3.10.1 */
	{ IKEV2_N_INVALID_KE_PAYLOAD, -1, 2, 2, false },	     /* 3.10.1 */
	{ IKEV2_N_SET_WINDOW_SIZE, -1, 4, 4, false },		     /* 2.3 */
	{ IKEV2_N_NAT_DETECTION_SOURCE_IP, -1, 20, 20, false },	     /* 2.23 */
	{ IKEV2_N_NAT_DETECTION_DESTINATION_IP, -1, 20, 20, false }, /* 2.23 */
	{ IKEV2_N_COOKIE, -1, IKEV2_COOKIE_MIN, IKEV2_COOKIE_MAX, false }, /* 2.6 */
	{ IKEV2_N_REKEY_SA, IKEV2_CHILD_SPI_LEN, 0, 0, false },	     /* 3.10.1 */
	{ IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, -1, 0, 0, false },  /* RFC 7383 2.3 */
	{ IKEV2_N_SIGNATURE_HASH_ALGORITHMS, -1, 2, 65535, true },   /* RFC 7427 4 */
};

static int pl_notify(struct pctx *c, struct ike_pld *p, const uint8_t *b,
		     size_t n)
{
	struct ike_notify *no = &p->u.n;

	if (n < sizeof(struct ikev2_notify))
		return SYNTAX(c, b, "notify shorter than its header");
	no->proto = b[0];
	no->spi_size = b[1];
	no->type = ipx_ld16(b + 2);
	if (no->spi_size > n - sizeof(struct ikev2_notify))
		return SYNTAX(c, b, "notify SPI past the end");
	no->spi = no->spi_size ? b + sizeof(struct ikev2_notify) : NULL;
	no->data = b + sizeof(struct ikev2_notify) + no->spi_size;
	no->len = n - sizeof(struct ikev2_notify) - no->spi_size;
	for (size_t i = 0; i < sizeof(nrules) / sizeof(nrules[0]); i++) {
		const struct nrule *r = &nrules[i];

		if (r->type != no->type)
			continue;
		if (r->spi_size >= 0 && no->spi_size != r->spi_size)
			return SYNTAX(c, b, "notify SPI size wrong for its type");
		if (no->len < r->min || no->len > r->max ||
		    (r->even && (no->len & 1)))
			return SYNTAX(c, b, "notify data length wrong for its type");
	}
	return 0;
}

static int pl_delete(struct pctx *c, struct ike_pld *p, const uint8_t *b,
		     size_t n)
{
	struct ike_delete *d = &p->u.del;

	if (n < sizeof(struct ikev2_delete))
		return SYNTAX(c, b, "delete shorter than its header");
	d->proto = b[0];
	d->spi_size = b[1];
	d->n_spi = ipx_ld16(b + 2);
	d->spis = b + sizeof(struct ikev2_delete);
	/* 3.11: IKE SA: no SPI (it is in the header); ESP/AH: 4-octet SPIs,
	 * exactly n_spi of them. */
	switch (d->proto) {
	case IKEV2_PROTO_IKE:
		if (d->spi_size || d->n_spi || n != sizeof(struct ikev2_delete))
			return SYNTAX(c, b, "IKE delete with SPIs");
		break;
	case IKEV2_PROTO_ESP:
	case IKEV2_PROTO_AH:
		if (d->spi_size != IKEV2_CHILD_SPI_LEN)
			return SYNTAX(c, b, "ESP/AH delete SPI size not 4");
		if (!d->n_spi)
			return SYNTAX(c, b, "ESP/AH delete without SPIs");
		if ((size_t)d->n_spi * d->spi_size != n - sizeof(struct ikev2_delete))
			return SYNTAX(c, b, "delete SPI count disagrees with length");
		break;
	default:
		return SYNTAX(c, b, "delete for an unknown protocol");
	}
	return 0;
}

static int pl_ts(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	struct ike_msg *m = c->m;
	struct ike_tsp *tp = &p->u.ts;
	size_t off = sizeof(struct ikev2_tsp);
	unsigned announced;

	if (n < sizeof(struct ikev2_tsp))
		return SYNTAX(c, b, "TS payload shorter than its header");
	announced = b[0];
	if (!announced)
		return SYNTAX(c, b, "TS payload with zero selectors");
	tp->ts = &m->ts[m->n_ts];
	tp->n_ts = 0;
	while (off < n) {
		struct ike_ts *t;
		size_t slen, alen;

		/* 3.13.1: type, protocol/reserved, length: 4 octets common
		 * to every selector type. */
		if (n - off < 4)
			return SYNTAX(c, b + off, "selector header past the end");
		slen = ipx_ld16(b + off + 2);
		if (slen < 4 || slen > n - off)
			return SYNTAX(c, b + off, "selector length out of bounds");
		if (tp->n_ts >= announced)
			return SYNTAX(c, b + off, "more selectors than announced");
		if (m->n_ts >= IKE_MSG_MAX_TS)
			return SYNTAX(c, b + off, "too many selectors (limit IKE_MSG_MAX_TS)");
		t = &m->ts[m->n_ts++];
		memset(t, 0, sizeof(*t));
		t->type = b[off];
		switch (t->type) {
		case IKEV2_TS_IPV4_ADDR_RANGE:
			if (slen != IKEV2_TS_IPV4_LEN)
				return SYNTAX(c, b + off, "IPv4 selector length not 16");
			alen = 4;
			break;
		case IKEV2_TS_IPV6_ADDR_RANGE:
			if (slen != IKEV2_TS_IPV6_LEN)
				return SYNTAX(c, b + off, "IPv6 selector length not 40");
			alen = 16;
			break;
		default: /* kept by type only; the exchange decides */
			alen = 0;
		}
		if (alen) {
			const uint8_t *s = b + off;

			t->proto = s[1];
			t->start_port = ipx_ld16(s + 4);
			t->end_port = ipx_ld16(s + 6);
			memcpy(t->start, s + 8, alen);
			memcpy(t->end, s + 8 + alen, alen);
		}
		tp->n_ts++;
		off += slen;
	}
	if (tp->n_ts != announced)
		return SYNTAX(c, b, "fewer selectors than announced");
	return 0;
}

/* 3.15.1: attribute lengths the RFC fixes (either of two values). */
static const struct cprule {
	uint16_t type;
	uint8_t a, b;
} cprules[] = {
	{ IKEV2_CFG_INTERNAL_IP4_ADDRESS, 0, 4 },
	{ IKEV2_CFG_INTERNAL_IP4_NETMASK, 0, 4 },
	{ IKEV2_CFG_INTERNAL_IP4_DNS, 0, 4 },
	{ IKEV2_CFG_INTERNAL_IP4_NBNS, 0, 4 },
	{ IKEV2_CFG_INTERNAL_IP4_DHCP, 0, 4 },
	{ IKEV2_CFG_INTERNAL_IP6_ADDRESS, 0, 17 },
	{ IKEV2_CFG_INTERNAL_IP6_DNS, 0, 16 },
	{ IKEV2_CFG_INTERNAL_IP6_DHCP, 0, 16 },
	{ IKEV2_CFG_INTERNAL_IP4_SUBNET, 0, 8 },
	{ IKEV2_CFG_INTERNAL_IP6_SUBNET, 0, 17 },
};

static int pl_cp(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	struct ike_msg *m = c->m;
	struct ike_cp *cp = &p->u.cp;
	size_t off = sizeof(struct ikev2_cp);

	if (n < sizeof(struct ikev2_cp))
		return SYNTAX(c, b, "CP payload shorter than its header");
	cp->type = b[0];
	if (cp->type < IKEV2_CFG_REQUEST || cp->type > IKEV2_CFG_ACK)
		return SYNTAX(c, b, "unknown CP type");
	cp->attrs = &m->cp[m->n_cp];
	cp->n_attrs = 0;
	while (off < n) {
		struct ike_cp_attr *a;
		uint16_t type, len;

		if (n - off < sizeof(struct ikev2_cp_attr))
			return SYNTAX(c, b + off, "CP attribute header past the end");
		type = ipx_ld16(b + off) & ~IKEV2_CFG_ATTR_R;
		len = ipx_ld16(b + off + 2);
		if (len > n - off - 4)
			return SYNTAX(c, b + off, "CP attribute length past the end");
		for (size_t i = 0; i < sizeof(cprules) / sizeof(cprules[0]); i++)
			if (cprules[i].type == type && len != cprules[i].a &&
			    len != cprules[i].b)
				return SYNTAX(c, b + off, "CP attribute length wrong for its type");
		if (type == IKEV2_CFG_SUPPORTED_ATTRIBUTES && (len & 1))
			return SYNTAX(c, b + off, "SUPPORTED_ATTRIBUTES of odd length");
		if (m->n_cp >= IKE_MSG_MAX_CP_ATTRS)
			return SYNTAX(c, b + off, "too many CP attributes (limit IKE_MSG_MAX_CP_ATTRS)");
		a = &m->cp[m->n_cp++];
		a->type = type;
		a->len = len;
		a->value = b + off + 4;
		cp->n_attrs++;
		off += 4 + (size_t)len;
	}
	return 0;
}

static int pl_blob(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	(void)c;
	p->u.vendor.data = b;
	p->u.vendor.len = n;
	return 0;
}

static int pl_eap(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	/* 3.16 and RFC 3748 4: code, identifier, length (of the whole EAP
	 * message, which is the whole payload body). */
	if (n < 4)
		return SYNTAX(c, b, "EAP message shorter than its header");
	if (ipx_ld16(b + 2) != n)
		return SYNTAX(c, b, "EAP length disagrees with payload length");
	p->u.eap.data = b;
	p->u.eap.len = n;
	return 0;
}

static int pl_sk(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	(void)c;
	p->u.sk.data = b;
	p->u.sk.len = n;
	p->u.sk.frag_num = p->u.sk.frag_total = 0;
	return 0;
}

static int pl_skf(struct pctx *c, struct ike_pld *p, const uint8_t *b, size_t n)
{
	struct ike_sk *s = &p->u.sk;

	if (n < sizeof(struct ikev2_skf))
		return SYNTAX(c, b, "SKF shorter than fragment number and total");
	s->frag_num = ipx_ld16(b);
	s->frag_total = ipx_ld16(b + 2);
	/* RFC 7383 2.5: number 1..total, total non-zero, and the next-payload
	 * field is zero in every fragment but the first. */
	if (!s->frag_num || !s->frag_total || s->frag_num > s->frag_total)
		return SYNTAX(c, b, "fragment number not within 1..total");
	if (s->frag_num > 1 && s->first != IKEV2_PL_NONE)
		return SYNTAX(c, b, "next payload set in a non-first fragment");
	s->data = b + sizeof(struct ikev2_skf);
	s->len = n - sizeof(struct ikev2_skf);
	return 0;
}

typedef int (*pl_fn)(struct pctx *, struct ike_pld *, const uint8_t *, size_t);

static pl_fn parser_of(uint8_t type)
{
	switch (type) {
	case IKEV2_PL_SA: return pl_sa;
	case IKEV2_PL_KE: return pl_ke;
	case IKEV2_PL_IDI:
	case IKEV2_PL_IDR: return pl_id;
	case IKEV2_PL_CERT: return pl_cert;
	case IKEV2_PL_CERTREQ: return pl_certreq;
	case IKEV2_PL_AUTH: return pl_auth;
	case IKEV2_PL_NONCE: return pl_nonce;
	case IKEV2_PL_NOTIFY: return pl_notify;
	case IKEV2_PL_DELETE: return pl_delete;
	case IKEV2_PL_VENDOR: return pl_blob;
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR: return pl_ts;
	case IKEV2_PL_SK: return pl_sk;
	case IKEV2_PL_CP: return pl_cp;
	case IKEV2_PL_EAP: return pl_eap;
	case IKEV2_PL_SKF: return pl_skf;
	}
	return NULL;
}

static unsigned count_of(const struct ike_msg *m, uint8_t type)
{
	unsigned k = 0;

	for (unsigned i = 0; i < m->n_pld; i++)
		k += m->pld[i].type == type;
	return k;
}

/* Walk a payload chain of len octets at p whose first payload is of type
 * next (3.2).  Stops after SK/SKF, whose next-payload field names the
 * first inner payload, not a following outer one. */
static int parse_chain(struct pctx *c, uint8_t next, const uint8_t *p,
		       size_t len)
{
	struct ike_msg *m = c->m;
	size_t off = 0;
	int rc;

	while (next != IKEV2_PL_NONE) {
		struct ikev2_gen g;
		struct ike_pld *pl;
		uint8_t type = next;
		size_t plen;

		c->type = type;
		if (len - off < sizeof(g))
			return SYNTAX(c, p + off, "payload header past the end");
		memcpy(&g, p + off, sizeof(g));
		plen = ipx_ld16(p + off + offsetof(struct ikev2_gen, length));
		if (plen < sizeof(g))
			return SYNTAX(c, p + off, "payload length below 4");
		if (plen > len - off)
			return SYNTAX(c, p + off, "payload length past the end");
		next = g.next;

		if (!known(type)) {
			/* 3.2: unknown and critical -> reject the message
			 * with UNSUPPORTED_CRITICAL_PAYLOAD (data: the type);
			 * unknown and not critical -> skip it. */
			if (g.crit & IKEV2_CRITICAL)
				return fail(c, p + off,
					    IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
					    "unknown payload marked critical");
			m->n_skipped++;
			off += plen;
			continue;
		}
		if (!ike_pld_allowed(m->hdr.exchange, c->response, c->inner, type))
			return SYNTAX(c, p + off, c->inner ?
				      "payload not allowed inside SK in this exchange" :
				      "payload not allowed outside SK in this exchange");
		if ((at_most_once & IKEV2_PL_BIT(type)) && count_of(m, type))
			return SYNTAX(c, p + off, "payload may appear only once");
		if (m->n_pld >= IKE_MSG_MAX_PLD)
			return SYNTAX(c, p + off, "too many payloads (limit IKE_MSG_MAX_PLD)");
		pl = &m->pld[m->n_pld];
		memset(pl, 0, sizeof(*pl));
		pl->type = type;
		pl->critical = (g.crit & IKEV2_CRITICAL) != 0;
		pl->inner = c->inner;
		pl->off = (uint32_t)(p + off - c->base);
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF)
			pl->u.sk.first = g.next;
		rc = parser_of(type)(c, pl, p + off + sizeof(g), plen - sizeof(g));
		if (rc)
			return rc;
		m->n_pld++;
		off += plen;
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF) {
			/* 3.14: SK MUST be the last payload in the message. */
			m->sk = (int)(m->n_pld - 1);
			if (off != len)
				return SYNTAX(c, p + off, "data after the encrypted payload");
			return 0;
		}
	}
	if (off != len)
		return SYNTAX(c, p + off, "data after the last payload");
	return 0;
}

int ike_msg_parse(struct ike_msg *m, const uint8_t *buf, size_t len,
		  struct ike_perr *err)
{
	struct pctx c = { .m = m, .err = err, .base = buf };
	int rc;

	m->n_pld = m->n_props = m->n_xfs = m->n_ts = m->n_cp = 0;
	m->n_skipped = 0;
	m->sk = -1;
	m->unprotected_notify = false;
	m->raw = buf;
	m->raw_len = len;
	rc = ike_hdr_parse(buf, len, &m->hdr, err);
	if (rc)
		return rc;
	c.response = (m->hdr.flags & IKEV2_FLAG_RESPONSE) != 0;
	c.type = m->hdr.next;
	if (!placement_of(m->hdr.exchange))
		return fail(&c, buf + offsetof(struct ikev2_hdr, exchange),
			    IKEV2_N_NONE, "exchange type not supported");
	rc = parse_chain(&c, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN);
	if (rc)
		return rc;
	if (m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT) {
		unsigned nn = count_of(m, IKEV2_PL_NOTIFY);

		/* 1.5: a bare unprotected notification, or else everything
		 * inside SK/SKF. */
		if (nn && m->sk >= 0)
			return SYNTAX(&c, buf, "unprotected notify beside SK");
		if (!nn && m->sk < 0)
			return SYNTAX(&c, buf, "message after IKE_SA_INIT not encrypted");
		m->unprotected_notify = nn != 0;
	}
	return 0;
}

int ike_msg_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *plain,
			size_t len, struct ike_perr *err)
{
	struct pctx c = { .m = m, .err = err, .base = plain, .inner = true };

	if (err)
		memset(err, 0, sizeof(*err));
	c.response = (m->hdr.flags & IKEV2_FLAG_RESPONSE) != 0;
	c.type = first;
	if (m->sk < 0)
		return SYNTAX(&c, plain, "no encrypted payload to parse");
	m->plain = plain;
	m->plain_len = len;
	m->first = first;
	return parse_chain(&c, first, plain, len);
}

int ike_msg_parse_plain(struct ike_msg *m, const struct ike_hdr *h, uint8_t first,
			const uint8_t *plain, size_t len, struct ike_perr *err)
{
	m->n_pld = m->n_props = m->n_xfs = m->n_ts = m->n_cp = 0;
	m->n_skipped = 0;
	m->unprotected_notify = false;
	m->raw = NULL;
	m->raw_len = 0;
	m->hdr = *h;
	memset(&m->pld[0], 0, sizeof(m->pld[0]));
	m->pld[0].type = IKEV2_PL_SK;
	m->pld[0].u.sk.first = first;
	m->n_pld = 1;
	m->sk = 0;
	return ike_msg_parse_inner(m, first, plain, len, err);
}

const struct ike_pld *ike_msg_get(const struct ike_msg *m, uint8_t type,
				  unsigned nth)
{
	for (unsigned i = 0; i < m->n_pld; i++)
		if (m->pld[i].type == type && !nth--)
			return &m->pld[i];
	return NULL;
}

const struct ike_notify *ike_msg_notify(const struct ike_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->n_pld; i++)
		if (m->pld[i].type == IKEV2_PL_NOTIFY && m->pld[i].u.n.type == type)
			return &m->pld[i].u.n;
	return NULL;
}
