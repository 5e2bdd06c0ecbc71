/*
 * Anti-replay window (RFC 4303 3.4.3, appendix A) as a ring of 64-bit blocks
 * (RFC 6479): advancing the window clears whole blocks instead of shifting a
 * bitmap, so the cost does not grow with the window size.  The ring holds at
 * least W + 64 bits, so the block holding the window's left edge never
 * shares storage with the block that holds the top.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "soft.h"

/* Invariant: no bit is set for a number above top. */
static void clear_above_top(struct replay *rp)
{
	uint32_t b = rp->top & 63;

	rp->bits[(rp->top >> 6) & rp->mask] &= b == 63 ? ~0ull : (2ull << b) - 1;
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* The window starts just below `first`: everything under it counts as seen,
 * so the first packet accepted is `first` or later. */
int replay_init(struct replay *rp, uint32_t window, uint64_t first)
{
	uint32_t blocks = pow2_at_least(window / 64 + 2);

	memset(rp, 0, sizeof(*rp));
	rp->window = window;
	rp->mask = blocks - 1;
	rp->bits = calloc(blocks, sizeof(uint64_t));
	if (!rp->bits)
		return -ENOMEM;
	rp->top = first ? first - 1 : 0;
	memset(rp->bits, 0xff, blocks * sizeof(uint64_t));
	clear_above_top(rp);
	return 0;
}

void replay_free(struct replay *rp)
{
	free(rp->bits);
	rp->bits = NULL;
}

/* bitmap bit i = sequence number top - i seen, for i < window */
void replay_export(const struct replay *rp, uint64_t *bitmap)
{
	memset(bitmap, 0, IPX_REPLAY_WINDOW_MAX / 8);
	for (uint32_t i = 0; i < rp->window && i <= rp->top; i++) {
		uint64_t s = rp->top - i;

		if (rp->bits[(s >> 6) & rp->mask] & (1ull << (s & 63)))
			bitmap[i / 64] |= 1ull << (i % 64);
	}
	/* below sequence number 0 nothing can arrive: report it as seen */
	for (uint32_t i = (uint32_t)(rp->top + 1 < rp->window ? rp->top + 1 : rp->window);
	     i < rp->window; i++)
		bitmap[i / 64] |= 1ull << (i % 64);
}

void replay_import(struct replay *rp, uint64_t top, const uint64_t *bitmap)
{
	memset(rp->bits, 0xff, (rp->mask + 1) * sizeof(uint64_t));
	rp->top = top;
	clear_above_top(rp);
	for (uint32_t i = 0; i < rp->window && i <= top; i++) {
		uint64_t s = top - i;
		uint64_t bit = 1ull << (s & 63);

		if (bitmap[i / 64] & (1ull << (i % 64)))
			rp->bits[(s >> 6) & rp->mask] |= bit;
		else
			rp->bits[(s >> 6) & rp->mask] &= ~bit;
	}
}
