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

/*
 * RFC 4303 A2.2: place the received low half in the window.  Tl, Th are the
 * halves of the top, W the window.  Without ESN the number is the low half.
 */
bool replay_infer(const struct replay *rp, uint32_t seq_lo, bool esn,
		  uint64_t *seq)
{
	uint32_t tl = (uint32_t)rp->top, th = (uint32_t)(rp->top >> 32);
	uint32_t w = rp->window;

	if (!esn) {
		*seq = seq_lo;
		return true;
	}
	if (tl >= w - 1) {
		/* window within one subspace */
		if (seq_lo >= tl - w + 1) {
			*seq = (uint64_t)th << 32 | seq_lo;
		} else {
			if (th == UINT32_MAX)
				return false;  /* beyond 2^64: cannot be valid */
			*seq = (uint64_t)(th + 1) << 32 | seq_lo;
		}
	} else {
		/* window spans two subspaces */
		if (seq_lo >= tl - w + 1) {  /* wraps: upper part of previous */
			if (th == 0)
				return false;  /* below sequence number 0 */
			*seq = (uint64_t)(th - 1) << 32 | seq_lo;
		} else {
			*seq = (uint64_t)th << 32 | seq_lo;
		}
	}
	return true;
}

bool replay_check(const struct replay *rp, uint64_t seq)
{
	if (rp->window == 0)
		return seq != 0;
	if (seq > rp->top)
		return true;
	if (rp->top - seq >= rp->window)
		return false;
	return !(rp->bits[(seq >> 6) & rp->mask] & (1ull << (seq & 63)));
}

void replay_update(struct replay *rp, uint64_t seq)
{
	if (seq > rp->top) {
		uint64_t from = rp->top >> 6, to = seq >> 6;
		uint64_t n = to - from;

		if (n > rp->mask + 1ull)
			n = rp->mask + 1ull;
		for (uint64_t i = 1; i <= n; i++)
			rp->bits[(from + i) & rp->mask] = 0;
		rp->top = seq;
	}
	if (rp->window)
		rp->bits[(seq >> 6) & rp->mask] |= 1ull << (seq & 63);
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
