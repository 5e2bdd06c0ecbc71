/*
 * The host's record of each SA in a card's SA table (card_sa.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/hwif.h>
#include <ipsecfx/log.h>

#include "card_sa.h"

int card_sas_init(struct card_sas *c, struct sat *sat, uint32_t nsa, bool direct)
{
	memset(c, 0, sizeof(*c));
	c->sat = sat;
	c->nsa = nsa;
	c->direct = direct;
	c->v = calloc(2 * (size_t)nsa, sizeof(*c->v));
	c->hmap[0] = malloc((size_t)nsa * sizeof(uint32_t));
	c->hmap[1] = malloc((size_t)nsa * sizeof(uint32_t));
	if (!c->v || !c->hmap[0] || !c->hmap[1]) {
		card_sas_free(c);
		return -ENOMEM;
	}
	card_sas_clear(c);
	return 0;
}

void card_sas_free(struct card_sas *c)
{
	if (c->v)
		OPENSSL_cleanse(c->v, 2 * (size_t)c->nsa * sizeof(*c->v));
	free(c->v);
	free(c->hmap[0]);
	free(c->hmap[1]);
	c->v = NULL;
	c->hmap[0] = c->hmap[1] = NULL;
}

void card_sas_clear(struct card_sas *c)
{
	OPENSSL_cleanse(c->v, 2 * (size_t)c->nsa * sizeof(*c->v));
	memset(c->hmap[0], 0xff, (size_t)c->nsa * sizeof(uint32_t));
	memset(c->hmap[1], 0xff, (size_t)c->nsa * sizeof(uint32_t));
}

struct card_sa *card_sa_get(const struct card_sas *c, uint32_t h)
{
	if (h >= 2 * c->nsa || !c->v[h].used)
		return NULL;
	return &c->v[h];
}

struct card_sa *card_sa_at(const struct card_sas *c, unsigned dir, uint32_t index)
{
	if (dir > IPX_DIR_IN || index >= c->nsa || c->hmap[dir][index] == IPX_SA_NONE)
		return NULL;
	return &c->v[c->hmap[dir][index]];
}

uint32_t card_sa_handle(const struct card_sas *c, const struct card_sa *sa)
{
	return sa ? (uint32_t)(sa - c->v) : IPX_SA_NONE;
}

uint32_t card_sa_lookup(const struct card_sas *c, uint32_t spi)
{
	uint32_t i = sat_lookup(c->sat, spi);

	return i == IPX_SA_NONE ? IPX_SA_NONE : card_sa_handle(c, card_sa_at(c, IPX_DIR_IN, i));
}

bool card_sa_in_bucket(const struct card_sas *c, uint32_t i, unsigned t, uint32_t b, unsigned w)
{
	const struct card_sa *sa = card_sa_at(c, IPX_DIR_IN, i);

	return sa && sa->used && sa->bkt_t == t && sa->bkt_b == b && sa->bkt_w == w;
}

void card_sa_event(const struct card_sas *c, struct ipx_evring *r, const struct card_sa *sa,
		   enum ipx_event_type type)
{
	struct ipx_event ev = {
		.type = type,
		.sa = card_sa_handle(c, sa),
		.spi = sa ? sa->p.spi : 0,
		.dir = sa ? sa->dir : 0,
		.user = sa ? sa->p.user : 0,
	};

	ipx_evring_push(r, &ev);
}

static void forget(struct card_sas *c, struct card_sa *sa)
{
	uint32_t h = card_sa_handle(c, sa);

	if (c->hmap[sa->dir][sa->index] == h)
		c->hmap[sa->dir][sa->index] = IPX_SA_NONE;
	OPENSSL_cleanse(sa, sizeof(*sa));
}

/* A free table entry of this direction and a free handle for it. */
static int take(struct card_sas *c, unsigned dir, uint32_t *index, uint32_t *h)
{
	uint32_t i, k;

	for (i = 0; i < c->nsa; i++)
		if (c->hmap[dir][i] == IPX_SA_NONE)
			break;
	if (i == c->nsa)
		return -ENOSPC;
	if (c->direct) {
		k = dir * c->nsa + i;
	} else {
		for (k = 0; k < 2 * c->nsa; k++)
			if (!c->v[k].used)
				break;
		if (k == 2 * c->nsa)
			return -ENOSPC;
	}
	*index = i;
	*h = k;
	return 0;
}

/* What the host knows of a new SA: its first state as installed (seq from
 * sat_install), inbound a window with nothing received yet. */
static void know_add(const struct card_sas *c, struct card_sa *sa, uint64_t seq)
{
	struct ipx_sa_state *k = &sa->known;

	memset(k, 0, sizeof(*k));
	k->seq = seq;
	ipx_seq_bound_set(&sa->seq, seq);
	if (sa->dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		k->replay_window = sa->p.replay_window;
		sat_ring_init(ring, c->sat->nw, seq);
		sat_ring_export(ring, c->sat->nw, seq, k->replay_window, k->replay_bitmap);
	}
}

int card_sa_add(struct card_sas *c, const struct ipx_card_fault *f,
		const struct ipx_sa_params *p, uint32_t *out)
{
	struct card_sa *sa;
	uint32_t i, h, b = 0;
	unsigned t = 0, w = 0;
	uint64_t seq;
	int ret;

	if (f->faulted)
		return -EIO;
	if (p->dir == IPX_DIR_IN) {
		if (card_sa_lookup(c, p->spi) != IPX_SA_NONE) {
			ipx_err("SA %08x: an inbound SA with this SPI exists", p->spi);
			return -EEXIST;
		}
		ret = sat_bkt_place(c->sat, p->spi, &t, &b, &w);
		if (ret < 0)
			return ret;
	}
	if (take(c, p->dir, &i, &h) < 0) {
		/* the placement layer says it once and runs the SA in software */
		ipx_dbg("SA %08x: SA table full (%u)", p->spi, c->nsa);
		return -ENOSPC;
	}
	sa = &c->v[h];
	memset(sa, 0, sizeof(*sa));
	sa->dir = p->dir;
	sa->index = i;
	c->hmap[p->dir][i] = h;
	sa->p = *p;
	OPENSSL_cleanse(sa->p.key, sizeof(sa->p.key));
	OPENSSL_cleanse(sa->p.integ_key, sizeof(sa->p.integ_key));
	memcpy(sa->p.key + p->key_len - 4, p->key + p->key_len - 4, 4);  /* the GCM salt */

	ret = sat_install(c->sat, i, p, &seq);
	if (ret == 0 && p->dir == IPX_DIR_IN) {
		sa->used = true;  /* so that the bucket write finds its index */
		sa->bkt_t = (uint8_t)t;
		sa->bkt_b = b;
		sa->bkt_w = (uint8_t)w;
		ret = sat_bkt_insert(c->sat, t, b, w, p->spi);
	}
	if (ret < 0) {
		ipx_err("SA %08x: programming the pipeline failed: %s", p->spi, strerror(-ret));
		c->sat->ops->cmd(c->sat->ctx, IPX_CMD_CLEAR_KEYS, sa->dir, i, 0);
		forget(c, sa);
		return ret;
	}
	sa->used = true;
	know_add(c, sa, seq);
	*out = h;
	return 0;
}

int card_sa_delete(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h)
{
	struct card_sa *sa = card_sa_get(c, h);
	int ret = 0;

	if (!sa)
		return -ENOENT;
	if (f->faulted) {
		/* the card is not trusted; recover() clears its tables */
		if (sa->dir == IPX_DIR_IN)
			c->sat->bkt[sa->bkt_t][sa->bkt_b * IPX_SPI_WAYS + sa->bkt_w] = 0;
	} else {
		ret = sat_remove(c->sat, sa->dir, sa->index, sa->bkt_t, sa->bkt_b, sa->bkt_w);
	}
	forget(c, sa);
	return ret;
}

int card_sa_update(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		   unsigned mask, const struct ipx_sa_params *p)
{
	struct card_sa *sa = card_sa_get(c, h);

	if (!sa)
		return -ENOENT;
	if (f->faulted)
		return -EIO;
	return sat_update(c->sat, sa->dir, sa->index, &sa->p, mask, p);
}

int card_sa_query(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		  struct ipx_sa_state *out)
{
	struct card_sa *sa = card_sa_get(c, h);
	int ret;

	if (!sa)
		return -ENOENT;
	if (!f->faulted) {
		ret = sat_query(c->sat, sa->dir, sa->index, &sa->p, out);
		if (ret == 0) {
			/* a burst ends with the pipeline empty: every packet
			 * handed to it is in this state */
			sa->known = *out;
			ipx_seq_bound_set(&sa->seq, out->seq);
		} else if (!f->faulted) {
			return ret;
		}
	}
	if (f->faulted) {
		/* the card cannot have used a sequence number from the bound on */
		*out = sa->known;
		if (sa->dir == IPX_DIR_OUT)
			out->seq = ipx_seq_bound_next(&sa->seq, 0, 0, sa->p.esn, &out->seq_exhausted);
	}
	for (unsigned s = 0; s < IPX_ST__COUNT; s++)
		out->ctr.drops[s] += sa->host_drops[s];
	return 0;
}

int card_sa_set_state(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		      const struct ipx_sa_state *in)
{
	struct card_sa *sa = card_sa_get(c, h);
	int ret;

	if (!sa)
		return -ENOENT;
	if (f->faulted)
		return -EIO;
	ret = sat_set_state(c->sat, sa->dir, sa->index, &sa->p, in);
	if (ret == 0) {
		memset(sa->host_drops, 0, sizeof(sa->host_drops));
		sa->known = *in;
		ipx_seq_bound_set(&sa->seq, in->seq);
	}
	return ret;
}
