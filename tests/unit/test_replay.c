/*
 * Anti-replay window: a numbered table of sequence numbers and verdicts (as
 * WireGuard tests its counter), a differential test of the ring against a
 * plain shifted bitmap for every window size from 64 to 4096, ESN inference
 * across 2^32, and export/import of the window state.
 */
#include <stdlib.h>
#include <string.h>

#include "tlib.h"
#include "soft/soft.h"

/* check then, if accepted, update: what the engine does per packet */
static bool accept(struct replay *rp, uint64_t seq)
{
	if (!replay_check(rp, seq))
		return false;
	replay_update(rp, seq);
	return true;
}

static void test_table(void **state)
{
	/* window 64, starting at sequence number 1 */
	static const struct { uint64_t seq; bool ok; } t[] = {
		/*  0 */ { 0, false },     /* never valid */
		/*  1 */ { 1, true },
		/*  2 */ { 1, false },     /* replay */
		/*  3 */ { 2, true },
		/*  4 */ { 4, true },      /* gap */
		/*  5 */ { 3, true },      /* late, in window */
		/*  6 */ { 3, false },
		/*  7 */ { 66, true },     /* window now 3..66 */
		/*  8 */ { 2, false },     /* left of the window */
		/*  9 */ { 3, false },     /* leftmost edge, seen */
		/* 10 */ { 4, false },     /* seen before, still in window */
		/* 11 */ { 5, true },      /* unseen, in window */
		/* 12 */ { 67, true },
		/* 13 */ { 3, false },     /* fell out */
		/* 14 */ { 1000, true },   /* big jump clears all blocks */
		/* 15 */ { 937, true },    /* 1000 - 63 */
		/* 16 */ { 936, false },   /* 1000 - 64: out */
		/* 17 */ { 999, true },
		/* 18 */ { 999, false },
		/* 19 */ { 1000, false },
		/* 20 */ { 1001, true },
		/* 21 */ { 0xffffffffull, true },
		/* 22 */ { 0xfffffffeull, true },
		/* 23 */ { 0xffffffffull - 64, false },
	};
	struct replay rp;

	(void)state;
	assert_int_equal(replay_init(&rp, 64, 1), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (accept(&rp, t[i].seq) != t[i].ok)
			fail_msg("row %zu: seq %llu expected %s", i,
				 (unsigned long long)t[i].seq,
				 t[i].ok ? "accept" : "reject");
	replay_free(&rp);
}

/* The window starts just below the SA's first expected number. */
static void test_start(void **state)
{
	struct replay rp;

	(void)state;
	assert_int_equal(replay_init(&rp, 128, 1000), 0);
	assert_false(accept(&rp, 999));
	assert_false(accept(&rp, 900));
	assert_true(accept(&rp, 1001));
	assert_true(accept(&rp, 1000));
	assert_false(accept(&rp, 1000));
	replay_free(&rp);
	/* window 0: no protection, but 0 stays invalid */
	assert_int_equal(replay_init(&rp, 0, 1), 0);
	assert_true(accept(&rp, 5));
	assert_true(accept(&rp, 5));
	assert_true(accept(&rp, 1));
	assert_false(accept(&rp, 0));
	replay_free(&rp);
}

/* The plain reference: a bitmap shifted on every advance, bit i = top - i. */
struct naive {
	uint64_t top;
	uint32_t w;
	uint8_t seen[IPX_REPLAY_WINDOW_MAX];
};

static void naive_init(struct naive *n, uint32_t w, uint64_t first)
{
	n->top = first - 1;
	n->w = w;
	memset(n->seen, 1, sizeof(n->seen));  /* below first: counts as seen */
}

static bool naive_accept(struct naive *n, uint64_t seq)
{
	if (seq == 0)
		return false;
	if (seq > n->top) {
		uint64_t shift = seq - n->top;

		if (shift >= n->w) {
			memset(n->seen, 0, n->w);
		} else {
			memmove(n->seen + shift, n->seen, n->w - shift);
			memset(n->seen, 0, shift);
		}
		n->top = seq;
		n->seen[0] = 1;
		return true;
	}
	if (n->top - seq >= n->w || n->seen[n->top - seq])
		return false;
	n->seen[n->top - seq] = 1;
	return true;
}

static uint64_t next_seq(uint64_t top, uint32_t w)
{
	uint64_t r = tlib_rand() % 100;

	if (r < 50)
		return top + 1 + tlib_rand() % 4;            /* in order, small gaps */
	if (r < 80)
		return top >= 2ull * w ? top - tlib_rand() % (2ull * w) : top - tlib_rand() % (top + 1); /* late or old */
	if (r < 95)
		return top + tlib_rand() % (3ull * w);       /* jump */
	return top + tlib_rand() % (100ull * w);             /* far jump */
}

static void diff_one(uint32_t w, unsigned ops, uint64_t start)
{
	struct naive *n = malloc(sizeof(*n));
	struct replay rp;
	uint64_t exp_bitmap[IPX_REPLAY_WINDOW_MAX / 64];
	uint64_t bitmap[IPX_REPLAY_WINDOW_MAX / 64];

	assert_non_null(n);
	assert_int_equal(replay_init(&rp, w, start), 0);
	naive_init(n, w, start);
	for (unsigned i = 0; i < ops; i++) {
		uint64_t s = next_seq(n->top, w);
		bool a = accept(&rp, s), b = naive_accept(n, s);

		if (a != b)
			fail_msg("window %u op %u seq %llu: ring %d naive %d", w,
				 i, (unsigned long long)s, a, b);
	}
	/* the exported state is the naive bitmap */
	replay_export(&rp, bitmap);
	memset(exp_bitmap, 0, sizeof(exp_bitmap));
	for (uint32_t i = 0; i < w; i++)
		if (n->seen[i])
			exp_bitmap[i / 64] |= 1ull << (i % 64);
	assert_memory_equal(bitmap, exp_bitmap, sizeof(bitmap));
	assert_true(rp.top == n->top);
	replay_free(&rp);
	free(n);
}

static void test_differential_every_size(void **state)
{
	(void)state;
	tlib_srand(42);
	for (uint32_t w = IPX_REPLAY_WINDOW_MIN; w <= IPX_REPLAY_WINDOW_MAX; w++)
		diff_one(w, 1000, 1 + tlib_rand() % 5000);
}

static void test_differential_long(void **state)
{
	static const uint32_t sizes[] = { 64, 65, 127, 128, 129, 1000, 1024,
					   1025, 2048, 4095, 4096 };

	(void)state;
	tlib_srand(7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		diff_one(sizes[i], 100000, 1);
}

/* export then import into a fresh window gives the same verdicts */
static void test_export_import(void **state)
{
	uint64_t bitmap[IPX_REPLAY_WINDOW_MAX / 64];
	struct replay a, b;

	(void)state;
	tlib_srand(99);
	assert_int_equal(replay_init(&a, 1024, 1), 0);
	assert_int_equal(replay_init(&b, 1024, 1), 0);
	for (int i = 0; i < 5000; i++)
		accept(&a, next_seq(a.top, 1024));
	replay_export(&a, bitmap);
	replay_import(&b, a.top, bitmap);
	for (int i = 0; i < 20000; i++) {
		uint64_t s = next_seq(a.top, 1024);

		assert_int_equal(accept(&a, s), accept(&b, s));
	}
	replay_free(&a);
	replay_free(&b);
}

/* RFC 4303 A2.2: which 64-bit number a received low half means. */
static void test_esn_inference(void **state)
{
	static const struct {
		uint64_t top;
		uint32_t lo;
		bool ok;
		uint64_t seq;
	} t[] = {
		/* window within one subspace (Tl >= W - 1) */
		{ 0x100000000ull + 5000, 5001, true, 0x100000000ull + 5001 },
		{ 0x100000000ull + 5000, 4000, true, 0x100000000ull + 4000 },
		{ 0x100000000ull + 5000, 100, true, 0x200000000ull + 100 },   /* next subspace */
		/* window spans two subspaces (Tl < W - 1) */
		{ 0x200000000ull + 10, 0xfffffff0u, true, 0x1fffffff0ull },    /* previous */
		{ 0x200000000ull + 10, 11, true, 0x200000000ull + 11 },
		{ 0x200000000ull + 10, 5, true, 0x200000000ull + 5 },
		/* nothing below sequence number 0 */
		{ 10, 0xfffffff0u, false, 0 },
		/* top near the very end of the 64-bit space */
		{ 0xffffffff00000000ull + 5000, 100, false, 0 },
	};
	struct replay rp;

	(void)state;
	assert_int_equal(replay_init(&rp, 1024, 1), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t s = 0;
		bool ok;

		rp.top = t[i].top;
		ok = replay_infer(&rp, t[i].lo, true, &s);
		if (ok != t[i].ok || (ok && s != t[i].seq))
			fail_msg("row %zu: top %llx lo %x -> %d %llx", i,
				 (unsigned long long)t[i].top, t[i].lo, ok,
				 (unsigned long long)s);
	}
	replay_free(&rp);
}

/* A stream crossing 2^32 with reordering: every packet accepted once. */
static void test_esn_crossing(void **state)
{
	uint64_t base = 0xffffff00ull, s;
	struct replay rp;
	uint64_t seq;

	(void)state;
	assert_int_equal(replay_init(&rp, 1024, base), 0);
	for (s = base; s < base + 1000; s += 2) {
		/* send s+1 before s */
		assert_true(replay_infer(&rp, (uint32_t)(s + 1), true, &seq));
		assert_true(seq == s + 1);
		assert_true(accept(&rp, seq));
		assert_true(replay_infer(&rp, (uint32_t)s, true, &seq));
		assert_true(seq == s);
		assert_true(accept(&rp, seq));
		assert_true(replay_infer(&rp, (uint32_t)s, true, &seq));
		assert_false(accept(&rp, seq));
	}
	assert_true(rp.top > 0x100000000ull);
	replay_free(&rp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_differential_every_size),
		cmocka_unit_test(test_differential_long),
		cmocka_unit_test(test_export_import),
		cmocka_unit_test(test_esn_inference),
		cmocka_unit_test(test_esn_crossing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
