/*
 * The data plane's small maps: an engine SA handle to its Child SA, the
 * SPIs we offered whose SA is not installed yet, and the routes and
 * addresses on the TUN device by prefix (one or more per Child SA: 100,000
 * of them at scale, so never a scan).  Open addressing, linear probing,
 * growing at half full; deletion moves the probe chain back (no
 * tombstones).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp_internal.h"

static uint32_t slot(const struct dp_samap *m, uint32_t key)
{
	return (key * 0x9e3779b1u) & (m->cap - 1);
}

uint32_t dp_map_get(const struct dp_samap *m, uint32_t key)
{
	if (!m->cap)
		return IPX_DP_CHILD_NONE;
	for (uint32_t i = slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == key)
			return m->val[i];
		if (m->key[i] == IPX_SA_NONE)
			return IPX_DP_CHILD_NONE;
	}
}


static int grow(struct dp_samap *m)
{
	struct dp_samap n = { .cap = m->cap ? m->cap * 2 : 64 };

	n.key = malloc(n.cap * sizeof(*n.key));
	n.val = malloc(n.cap * sizeof(*n.val));
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return -ENOMEM;
	}
	memset(n.key, 0xff, n.cap * sizeof(*n.key));   /* IPX_SA_NONE */
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->key[i] != IPX_SA_NONE)
			dp_map_put(&n, m->key[i], m->val[i]);
	free(m->key);
	free(m->val);
	*m = n;
	return 0;
}

int dp_map_put(struct dp_samap *m, uint32_t key, uint32_t val)
{
	uint32_t i;

	if (key == IPX_SA_NONE)
		return -EINVAL;
	if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
		return -ENOMEM;
	for (i = slot(m, key); m->key[i] != IPX_SA_NONE; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == key)
			return m->val[i] == val ? 0 : -EEXIST;
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
	return 0;
}

void dp_map_del(struct dp_samap *m, uint32_t key)
{
	uint32_t i, j;

	if (!m->cap)
		return;
	for (i = slot(m, key); m->key[i] != key; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == IPX_SA_NONE)
			return;
	/* backward-shift deletion keeps every probe chain unbroken */
	for (j = (i + 1) & (m->cap - 1); m->key[j] != IPX_SA_NONE;
	     j = (j + 1) & (m->cap - 1)) {
		uint32_t home = slot(m, m->key[j]);

		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->key[i] = IPX_SA_NONE;
	m->n--;
}

/* ---- route sets: struct dp_route by (prefix, length) ---- */

static uint32_t route_hash(const struct ipx_addr *pfx, uint8_t plen)
{
	unsigned n = pfx->family == AF_INET6 ? 16 : 4;
	uint32_t h = 2166136261u ^ plen ^ (uint32_t)pfx->family << 8;

	for (unsigned i = 0; i < n; i++)
		h = (h ^ pfx->a[i]) * 16777619u;
	return h ^ h >> 15;
}

static bool route_is(const struct dp_route *r, const struct ipx_addr *pfx, uint8_t plen)
{
	return r->plen == plen && r->pfx.family == pfx->family &&
	       !memcmp(r->pfx.a, pfx->a, pfx->family == AF_INET6 ? 16 : 4);
}

/* The slot that holds position pos (0-based) of v; slots > 0. */
static uint32_t rset_slot_of(const struct dp_rset *s, uint32_t pos)
{
	const struct dp_route *r = &s->v[pos];
	uint32_t i = route_hash(&r->pfx, r->plen) & (s->slots - 1);

	while (s->idx[i] != pos + 1)
		i = (i + 1) & (s->slots - 1);
	return i;
}

static void rset_place(struct dp_rset *s, uint32_t pos)
{
	const struct dp_route *r = &s->v[pos];
	uint32_t i = route_hash(&r->pfx, r->plen) & (s->slots - 1);

	while (s->idx[i])
		i = (i + 1) & (s->slots - 1);
	s->idx[i] = pos + 1;
}

struct dp_route *dp_rset_find(const struct dp_rset *s, const struct ipx_addr *pfx,
			      uint8_t plen)
{
	if (!s->slots)
		return NULL;
	for (uint32_t i = route_hash(pfx, plen) & (s->slots - 1); s->idx[i];
	     i = (i + 1) & (s->slots - 1))
		if (route_is(&s->v[s->idx[i] - 1], pfx, plen))
			return &s->v[s->idx[i] - 1];
	return NULL;
}

struct dp_route *dp_rset_add(struct dp_rset *s, const struct ipx_addr *pfx, uint8_t plen)
{
	struct dp_route *r;

	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;

		r = realloc(s->v, cap * sizeof(*r));
		if (!r)
			return NULL;
		s->v = r;
		s->cap = cap;
	}
	if ((s->n + 1) * 2 > s->slots) {
		uint32_t slots = s->slots ? s->slots * 2 : 32;
		uint32_t *idx = calloc(slots, sizeof(*idx));

		if (!idx)
			return NULL;
		free(s->idx);
		s->idx = idx;
		s->slots = slots;
		for (uint32_t p = 0; p < s->n; p++)
			rset_place(s, p);
	}
	r = &s->v[s->n];
	*r = (struct dp_route){ .pfx = *pfx, .plen = plen };
	rset_place(s, s->n++);
	return r;
}

void dp_rset_del(struct dp_rset *s, struct dp_route *r)
{
	uint32_t pos = (uint32_t)(r - s->v), last = s->n - 1, i, j;

	/* take pos out of the index: backward-shift deletion */
	i = rset_slot_of(s, pos);
	for (j = (i + 1) & (s->slots - 1); s->idx[j]; j = (j + 1) & (s->slots - 1)) {
		const struct dp_route *o = &s->v[s->idx[j] - 1];
		uint32_t home = route_hash(&o->pfx, o->plen) & (s->slots - 1);

		if (((j - home) & (s->slots - 1)) >= ((j - i) & (s->slots - 1))) {
			s->idx[i] = s->idx[j];
			i = j;
		}
	}
	s->idx[i] = 0;
	/* the last entry moves into pos */
	if (pos != last) {
		s->idx[rset_slot_of(s, last)] = pos + 1;
		s->v[pos] = s->v[last];
	}
	s->n--;
}

void dp_rset_free(struct dp_rset *s)
{
	free(s->v);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}
