/*
 * The data plane's small maps: an engine SA handle to its Child SA, and the
 * SPIs we offered whose SA is not installed yet.  Open addressing over
 * uint32 keys (IPX_SA_NONE marks a free slot), linear probing, growing at
 * half full; deletion moves the probe chain back (no tombstones).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
