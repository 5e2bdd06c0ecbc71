/*
 * IKEv2 serialisation (RFC 7296 section 3, RFC 7383 2.5) into a caller
 * buffer.  Every write is bounds checked: a short buffer gives -ENOBUFS,
 * never an overrun.  The SK payload is written as its generic header
 * followed by the inner payloads in the clear; ike_sk_encrypt() (in
 * ike_crypto.c) then inserts the IV, pads, encrypts and appends the ICV.
 */
#include <errno.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "ike_msg.h"

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	int err;
};

static uint8_t *wb_take(struct wbuf *w, size_t n)
{
	uint8_t *r;

	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = -ENOBUFS;
		return NULL;
	}
	r = w->p + w->len;
	w->len += n;
	return r;
}

static void wb_put(struct wbuf *w, const void *d, size_t n)
{
	uint8_t *r = wb_take(w, n);

	if (r && n)
		memcpy(r, d, n);
}

static void wb_u8(struct wbuf *w, uint8_t v)
{
	wb_put(w, &v, 1);
}

static void wb_u16(struct wbuf *w, uint16_t v)
{
	uint8_t *r = wb_take(w, 2);

	if (r)
		ipx_st16(r, v);
}

static void wb_zero(struct wbuf *w, size_t n)
{
	uint8_t *r = wb_take(w, n);

	if (r)
		memset(r, 0, n);
}

/* Patch a 16-bit length at off (counted from off0 to the current end). */
static void wb_len16(struct wbuf *w, size_t at, size_t from)
{
	size_t n = w->len - from;

	if (w->err)
		return;
	if (n > 0xffff) {
		w->err = -EMSGSIZE;
		return;
	}
	ipx_st16(w->p + at, (uint16_t)n);
}

static void wb_fail(struct wbuf *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* ---- bodies ---- */

static void put_sa(struct wbuf *w, const struct ike_sa *sa)
{
	if (!sa->n_props || sa->n_props > 255) {
		wb_fail(w, -EINVAL);
		return;
	}
	for (unsigned i = 0; i < sa->n_props; i++) {
		const struct ike_proposal *pr = &sa->props[i];
		size_t start = w->len;

		if (!pr->n_xf || pr->spi_size > sizeof(pr->spi)) {
			wb_fail(w, -EINVAL);
			return;
		}
		/* 3.3.1 */
		wb_u8(w, i + 1 == sa->n_props ? IKEV2_PROP_LAST : IKEV2_PROP_MORE);
		wb_u8(w, 0);
		wb_u16(w, 0); /* length, patched below */
		wb_u8(w, pr->num ? pr->num : (uint8_t)(i + 1));
		wb_u8(w, pr->proto);
		wb_u8(w, pr->spi_size);
		wb_u8(w, pr->n_xf);
		wb_put(w, pr->spi, pr->spi_size);
		for (unsigned j = 0; j < pr->n_xf; j++) {
			const struct ike_transform *t = &pr->xf[j];
			size_t xs = w->len;

			/* 3.3.2 */
			wb_u8(w, j + 1 == pr->n_xf ? IKEV2_XF_LAST : IKEV2_XF_MORE);
			wb_u8(w, 0);
			wb_u16(w, 0);
			wb_u8(w, t->type);
			wb_u8(w, 0);
			wb_u16(w, t->id);
			if (t->key_len) { /* 3.3.5: TV */
				wb_u16(w, IKEV2_ATTR_AF | IKEV2_ATTR_KEY_LENGTH);
				wb_u16(w, t->key_len);
			}
			wb_len16(w, xs + 2, xs);
		}
		wb_len16(w, start + 2, start);
	}
}

static void put_ts(struct wbuf *w, const struct ike_tsp *tp)
{
	if (!tp->n_ts || tp->n_ts > 255) {
		wb_fail(w, -EINVAL);
		return;
	}
	wb_u8(w, (uint8_t)tp->n_ts); /* 3.13 */
	wb_zero(w, 3);
	for (unsigned i = 0; i < tp->n_ts; i++) {
		const struct ike_ts *t = &tp->ts[i];
		size_t alen;

		if (t->type == IKEV2_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (t->type == IKEV2_TS_IPV6_ADDR_RANGE)
			alen = 16;
		else {
			wb_fail(w, -EINVAL);
			return;
		}
		/* 3.13.1 */
		wb_u8(w, t->type);
		wb_u8(w, t->proto);
		wb_u16(w, (uint16_t)(8 + 2 * alen));
		wb_u16(w, t->start_port);
		wb_u16(w, t->end_port);
		wb_put(w, t->start, alen);
		wb_put(w, t->end, alen);
	}
}

static void put_body(struct wbuf *w, const struct ike_pld *p)
{
	const struct ike_cp *cp;

	switch (p->type) {
	case IKEV2_PL_SA:
		put_sa(w, &p->u.sa);
		break;
	case IKEV2_PL_KE: /* 3.4 */
		wb_u16(w, p->u.ke.group);
		wb_u16(w, 0);
		wb_put(w, p->u.ke.data, p->u.ke.len);
		break;
	case IKEV2_PL_NONCE:
	case IKEV2_PL_VENDOR:
	case IKEV2_PL_EAP:
		wb_put(w, p->u.nonce.data, p->u.nonce.len);
		break;
	case IKEV2_PL_IDI: /* 3.5 */
	case IKEV2_PL_IDR:
		wb_u8(w, p->u.id.type);
		wb_zero(w, 3);
		wb_put(w, p->u.id.data, p->u.id.len);
		break;
	case IKEV2_PL_AUTH: /* 3.8 */
		wb_u8(w, p->u.auth.method);
		wb_zero(w, 3);
		wb_put(w, p->u.auth.data, p->u.auth.len);
		break;
	case IKEV2_PL_CERT: /* 3.6, 3.7 */
	case IKEV2_PL_CERTREQ:
		wb_u8(w, p->u.cert.encoding);
		wb_put(w, p->u.cert.data, p->u.cert.len);
		break;
	case IKEV2_PL_NOTIFY: /* 3.10 */
		wb_u8(w, p->u.n.proto);
		wb_u8(w, p->u.n.spi_size);
		wb_u16(w, p->u.n.type);
		if (p->u.n.spi_size && !p->u.n.spi) {
			wb_fail(w, -EINVAL);
			return;
		}
		wb_put(w, p->u.n.spi, p->u.n.spi_size);
		wb_put(w, p->u.n.data, p->u.n.len);
		break;
	case IKEV2_PL_DELETE: /* 3.11 */
		wb_u8(w, p->u.del.proto);
		wb_u8(w, p->u.del.spi_size);
		wb_u16(w, p->u.del.n_spi);
		wb_put(w, p->u.del.spis, (size_t)p->u.del.n_spi * p->u.del.spi_size);
		break;
	case IKEV2_PL_TSI:
	case IKEV2_PL_TSR:
		put_ts(w, &p->u.ts);
		break;
	case IKEV2_PL_CP: /* 3.15 */
		cp = &p->u.cp;
		wb_u8(w, cp->type);
		wb_zero(w, 3);
		for (unsigned i = 0; i < cp->n_attrs; i++) {
			wb_u16(w, cp->attrs[i].type & ~IKEV2_CFG_ATTR_R);
			wb_u16(w, cp->attrs[i].len);
			wb_put(w, cp->attrs[i].value, cp->attrs[i].len);
		}
		break;
	default: /* SK is handled by the caller, SKF by ike_frag_build */
		wb_fail(w, -EINVAL);
	}
}

/* One payload with its generic header (3.2). */
static void put_pld(struct wbuf *w, const struct ike_pld *p, uint8_t next)
{
	size_t start = w->len;

	wb_u8(w, next);
	wb_u8(w, p->critical ? IKEV2_CRITICAL : 0);
	wb_u16(w, 0);
	put_body(w, p);
	wb_len16(w, start + 2, start);
}

/* Index of the payload after i in the same list (inner or outer), or -1. */
static int next_in_list(const struct ike_msg *m, unsigned i, bool inner)
{
	for (unsigned j = i + 1; j < m->n_pld; j++)
		if (m->pld[j].inner == inner)
			return (int)j;
	return -1;
}

static uint8_t first_of(const struct ike_msg *m, bool inner)
{
	for (unsigned i = 0; i < m->n_pld; i++)
		if (m->pld[i].inner == inner)
			return m->pld[i].type;
	return IKEV2_PL_NONE;
}

static void put_inner(struct wbuf *w, const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_pld; i++) {
		int nx;

		if (!m->pld[i].inner)
			continue;
		if (m->pld[i].type == IKEV2_PL_SK || m->pld[i].type == IKEV2_PL_SKF) {
			wb_fail(w, -EINVAL);
			return;
		}
		nx = next_in_list(m, i, true);
		put_pld(w, &m->pld[i], nx < 0 ? IKEV2_PL_NONE : m->pld[nx].type);
	}
}

static void put_hdr(struct wbuf *w, const struct ike_hdr *h, uint8_t next)
{
	wb_put(w, h->spi_i, IKEV2_SPI_LEN); /* 3.1 */
	wb_put(w, h->spi_r, IKEV2_SPI_LEN);
	wb_u8(w, next);
	wb_u8(w, h->version ? h->version : IKEV2_VERSION);
	wb_u8(w, h->exchange);
	wb_u8(w, h->flags);
	wb_u16(w, (uint16_t)(h->msg_id >> 16));
	wb_u16(w, (uint16_t)h->msg_id);
	wb_zero(w, 4); /* length, patched at the end */
}

static int finish(struct wbuf *w, size_t *len)
{
	if (w->err)
		return w->err;
	ipx_st32(w->p + offsetof(struct ikev2_hdr, length), (uint32_t)w->len);
	*len = w->len;
	return 0;
}

int ike_msg_build(const struct ike_msg *m, uint8_t *buf, size_t cap,
		  size_t *len, size_t *sk_off)
{
	struct wbuf w = { .p = buf, .cap = cap };
	bool have_inner = first_of(m, true) != IKEV2_PL_NONE;
	bool have_sk = false;

	if (sk_off)
		*sk_off = 0;
	put_hdr(&w, &m->hdr, first_of(m, false));
	for (unsigned i = 0; i < m->n_pld && !w.err; i++) {
		const struct ike_pld *p = &m->pld[i];
		int nx;

		if (p->inner)
			continue;
		nx = next_in_list(m, i, false);
		if (p->type == IKEV2_PL_SK) {
			size_t start = w.len;

			/* 3.14: SK is the last payload; its next-payload
			 * field names the first inner payload. */
			if (nx >= 0)
				return -EINVAL;
			if (sk_off)
				*sk_off = start;
			wb_u8(&w, first_of(m, true));
			wb_u8(&w, p->critical ? IKEV2_CRITICAL : 0);
			wb_u16(&w, 0);
			put_inner(&w, m);
			wb_len16(&w, start + 2, start);
			have_sk = true;
			continue;
		}
		put_pld(&w, p, nx < 0 ? IKEV2_PL_NONE : m->pld[nx].type);
	}
	if (have_inner && !have_sk)
		return -EINVAL;
	return finish(&w, len);
}

int ike_msg_build_inner(const struct ike_msg *m, uint8_t *buf, size_t cap,
			size_t *len, uint8_t *first)
{
	struct wbuf w = { .p = buf, .cap = cap };

	*first = first_of(m, true);
	put_inner(&w, m);
	if (w.err)
		return w.err;
	*len = w.len;
	return 0;
}

int ike_frag_build(const struct ike_hdr *h, uint8_t first, uint16_t num,
		   uint16_t total, const uint8_t *chunk, size_t chunk_len,
		   uint8_t *buf, size_t cap, size_t *len, size_t *skf_off)
{
	struct wbuf w = { .p = buf, .cap = cap };
	size_t start;

	if (!num || !total || num > total)
		return -EINVAL;
	put_hdr(&w, h, IKEV2_PL_SKF);
	start = w.len;
	/* RFC 7383 2.5: next payload only in the first fragment. */
	wb_u8(&w, num == 1 ? first : IKEV2_PL_NONE);
	wb_u8(&w, 0);
	wb_u16(&w, 0);
	wb_u16(&w, num);
	wb_u16(&w, total);
	wb_put(&w, chunk, chunk_len);
	wb_len16(&w, start + 2, start);
	*skf_off = start;
	return finish(&w, len);
}

void ike_msg_init(struct ike_msg *m, const uint8_t spi_i[IKEV2_SPI_LEN],
		  const uint8_t spi_r[IKEV2_SPI_LEN], uint8_t exchange,
		  uint8_t flags, uint32_t msg_id)
{
	memset(&m->hdr, 0, sizeof(m->hdr));
	if (spi_i)
		memcpy(m->hdr.spi_i, spi_i, IKEV2_SPI_LEN);
	if (spi_r)
		memcpy(m->hdr.spi_r, spi_r, IKEV2_SPI_LEN);
	m->hdr.version = IKEV2_VERSION;
	m->hdr.exchange = exchange;
	m->hdr.flags = flags;
	m->hdr.msg_id = msg_id;
	m->raw = NULL;
	m->raw_len = 0;
	m->n_pld = m->n_props = m->n_xfs = m->n_ts = m->n_cp = 0;
	m->n_skipped = 0;
	m->sk = -1;
	m->unprotected_notify = false;
}

struct ike_pld *ike_msg_add(struct ike_msg *m, uint8_t type, bool inner)
{
	struct ike_pld *p;

	if (m->n_pld >= IKE_MSG_MAX_PLD)
		return NULL;
	p = &m->pld[m->n_pld++];
	memset(p, 0, sizeof(*p));
	p->type = type;
	p->inner = inner;
	if (type == IKEV2_PL_SK && !inner)
		m->sk = (int)(m->n_pld - 1);
	return p;
}

int ike_msg_add_notify(struct ike_msg *m, bool inner, uint8_t proto,
		       const uint8_t *spi, uint8_t spi_size, uint16_t type,
		       const uint8_t *data, size_t len)
{
	struct ike_pld *p = ike_msg_add(m, IKEV2_PL_NOTIFY, inner);

	if (!p)
		return -ENOSPC;
	p->u.n.proto = proto;
	p->u.n.spi_size = spi_size;
	p->u.n.spi = spi;
	p->u.n.type = type;
	p->u.n.data = data;
	p->u.n.len = len;
	return 0;
}
