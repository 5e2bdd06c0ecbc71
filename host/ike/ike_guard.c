/*
 * The flood guard (ike_guard.h): overflow detection and the two rotating
 * Bloom filters of cookie-less IKE_SA_INIT requests seen.
 */
#include <stdlib.h>
#include <string.h>

#include "ike_crypto.h"
#include "ike_guard.h"

#define WORDS (IKE_GUARD_BITS / 64u)

int ike_guard_init(struct ike_guard *g)
{
	memset(g, 0, sizeof(*g));
	return ike_random((uint8_t *)g->key, sizeof(g->key));
}

void ike_guard_free(struct ike_guard *g)
{
	free(g->bits[0]);
	free(g->bits[1]);
	g->bits[0] = g->bits[1] = NULL;
}

int ike_guard_tick(struct ike_guard *g, uint64_t now, uint64_t overflows)
{
	bool was = g->was_on;

	if (g->have_overflows && overflows > g->overflows)
		g->until = now + IKE_GUARD_HOLD_S;
	g->overflows = overflows;
	g->have_overflows = true;
	g->was_on = ike_guard_on(g, now);
	if (g->was_on && !was) {
		g->activations++;
		return 1;
	}
	return was && !g->was_on ? -1 : 0;
}

/* A keyed 64-bit mix of the address and SPIi (splitmix64 finaliser
 * rounds); keyed so that nobody can aim requests at one filter word. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t req_hash(const struct ike_guard *g, const uint8_t *ip, size_t ip_len,
			 const uint8_t spi_i[8])
{
	uint64_t h = g->key[0], w;

	for (size_t i = 0; i < ip_len; i += 8) {
		w = 0;
		memcpy(&w, ip + i, ip_len - i < 8 ? ip_len - i : 8);
		h = mix(h ^ w);
	}
	memcpy(&w, spi_i, 8);
	return mix(h ^ w ^ g->key[1]);
}

static bool test_bit(const uint64_t *b, uint32_t i)
{
	return b && (b[i / 64] >> (i % 64) & 1);
}

/* Start the filters, or empty the older and make it the current one. */
static bool rotate(struct ike_guard *g, uint64_t now)
{
	if (!g->bits[0]) {
		g->bits[0] = calloc(WORDS, sizeof(uint64_t));
		g->bits[1] = calloc(WORDS, sizeof(uint64_t));
		if (!g->bits[0] || !g->bits[1]) {
			ike_guard_free(g);
			return false;
		}
		g->rotate_at = now + IKE_GUARD_PERIOD_S;
		return true;
	}
	while (now >= g->rotate_at) {
		g->cur ^= 1;
		memset(g->bits[g->cur], 0, WORDS * sizeof(uint64_t));
		g->rotate_at += IKE_GUARD_PERIOD_S;
		if (now >= g->rotate_at + IKE_GUARD_PERIOD_S)
			g->rotate_at = now + IKE_GUARD_PERIOD_S;  /* a long gap */
	}
	return true;
}

bool ike_guard_repeated(struct ike_guard *g, uint64_t now, const uint8_t *ip,
			size_t ip_len, const uint8_t spi_i[8])
{
	uint64_t h = req_hash(g, ip, ip_len, spi_i);
	/* two probes (k = 2) from the two halves of the hash */
	uint32_t a = (uint32_t)h & (IKE_GUARD_BITS - 1);
	uint32_t b = (uint32_t)(h >> 32) & (IKE_GUARD_BITS - 1);
	uint64_t *cur;

	if ((!g->bits[0] || now >= g->rotate_at) && !rotate(g, now))
		return false;
	for (unsigned k = 0; k < 2; k++)
		if (test_bit(g->bits[k], a) && test_bit(g->bits[k], b))
			return true;
	cur = g->bits[g->cur];
	cur[a / 64] |= 1ull << (a % 64);
	cur[b / 64] |= 1ull << (b % 64);
	return false;
}
