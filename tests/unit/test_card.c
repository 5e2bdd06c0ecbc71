/*
 * driver/card.c, the host's side of every card engine: the outbound
 * sequence-number bound that keeps AES-GCM nonces unique across a card
 * fault (a table of steps and the number a fallback must continue at),
 * the event ring, and fault state.
 */
#include <stdint.h>
#include <string.h>

#include "card.h"
#include "tlib.h"

enum op { SET, SYNC, HANDED, NEXT };

struct step {
	enum op op;
	uint64_t v;          /* SET/SYNC: next seq; HANDED: packets; NEXT: the card's answer */
	uint64_t margin;     /* NEXT */
	bool esn;            /* NEXT */
	uint64_t want;       /* NEXT: the number to continue at */
	bool exhausted;      /* NEXT */
};

#define M32 UINT32_MAX
#define M64 UINT64_MAX
#define SET_(x) { .op = SET, .v = (x) }
#define SYNC_(x) { .op = SYNC, .v = (x) }
#define HANDED_(x) { .op = HANDED, .v = (x) }
#define NEXT_(card, m, e, w, x) \
	{ .op = NEXT, .v = (card), .margin = (m), .esn = (e), .want = (w), .exhausted = (x) }

static const struct {
	const char *what;
	struct step s[6];
	unsigned n;
} cases[] = {
	{ "installed at 1, nothing sent: 1, plus the margin",
	  { SET_(1), NEXT_(0, 1024, false, 1025, false) }, 2 },
	{ "every handed packet may have used a number",
	  { SET_(1), HANDED_(100), HANDED_(28), NEXT_(0, 0, false, 129, false) }, 4 },
	{ "a healthy read-back is exact: handed packets are in it",
	  { SET_(1), HANDED_(500), SYNC_(501), HANDED_(3), NEXT_(0, 10, false, 514, false) }, 5 },
	{ "a read-back below what is known is not taken",
	  { SET_(1000), HANDED_(5), SYNC_(900), NEXT_(0, 0, false, 1005, false) }, 4 },
	{ "the card's own answer counts when it is higher",
	  { SET_(10), HANDED_(2), NEXT_(5000, 0, false, 5000, false) }, 3 },
	{ "set_state replaces what was known",
	  { SET_(10), HANDED_(9), SET_(3), NEXT_(0, 0, false, 3, false) }, 4 },
	{ "32-bit counter: the margin would pass 2^32-1: exhausted",
	  { SET_(M32 - 100), HANDED_(50), NEXT_(0, 1024, false, M32, true) }, 3 },
	{ "32-bit counter: exactly at the last number",
	  { SET_(M32 - 10), HANDED_(10), NEXT_(0, 0, false, M32, false) }, 3 },
	{ "32-bit counter: one past it",
	  { SET_(M32 - 10), HANDED_(11), NEXT_(0, 0, false, M32, true) }, 3 },
	{ "ESN: the same numbers are far from the end",
	  { SET_(M32 - 100), HANDED_(50), NEXT_(0, 1024, true, (uint64_t)M32 - 50 + 1024, false) }, 3 },
	{ "ESN: the 64-bit end, handed saturates",
	  { SET_(M64 - 5), HANDED_(4), HANDED_(4), NEXT_(0, 0, true, M64, true) }, 4 },
};

static void test_seq_bound(void **state)
{
	(void)state;
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ipx_seq_bound b;

		memset(&b, 0xa5, sizeof(b));
		for (unsigned i = 0; i < cases[c].n; i++) {
			const struct step *s = &cases[c].s[i];
			bool ex = !s->exhausted;
			uint64_t got;

			switch (s->op) {
			case SET:
				ipx_seq_bound_set(&b, s->v);
				break;
			case SYNC:
				ipx_seq_bound_sync(&b, s->v);
				break;
			case HANDED:
				ipx_seq_bound_handed(&b, (uint32_t)s->v);
				break;
			case NEXT:
				got = ipx_seq_bound_next(&b, s->v, s->margin, s->esn, &ex);
				if (got != s->want || ex != s->exhausted)
					fail_msg("%s: continue at %llu (exhausted %d), want %llu (%d)",
						 cases[c].what, (unsigned long long)got, ex,
						 (unsigned long long)s->want, s->exhausted);
				break;
			}
		}
	}
}

static void test_evring(void **state)
{
	struct ipx_evring r;
	struct ipx_event ev = { .type = IPX_EV_SOFT_LIFETIME }, out[8];

	(void)state;
	assert_int_equal(ipx_evring_init(&r, 4), 0);
	for (uint32_t i = 0; i < 6; i++) {
		ev.spi = i;
		assert_int_equal(ipx_evring_push(&r, &ev), i < 4);
	}
	assert_int_equal(r.lost, 2);
	/* oldest first, in order, across the wrap */
	assert_int_equal(ipx_evring_pop(&r, out, 3), 3);
	assert_int_equal(out[0].spi, 0);
	assert_int_equal(out[2].spi, 2);
	ev.spi = 9;
	assert_true(ipx_evring_push(&r, &ev));
	assert_int_equal(ipx_evring_pop(&r, out, 8), 2);
	assert_int_equal(out[0].spi, 3);
	assert_int_equal(out[1].spi, 9);
	assert_int_equal(ipx_evring_pop(&r, out, 8), 0);
	ipx_evring_free(&r);
}

static void test_fault(void **state)
{
	struct ipx_card_fault f;
	struct ipx_health h;

	(void)state;
	memset(&f, 0, sizeof(f));
	ipx_card_fault_health(&f, 7, &h);
	assert_true(h.ok && h.hardware);
	assert_int_equal(h.heartbeat, 7);
	tlib_log_capture(1);
	/* the first fault counts, the ones after it until recovery do not */
	assert_true(ipx_card_fault_set(&f, "card", IPX_FAULT_STALL, NULL));
	assert_false(ipx_card_fault_set(&f, "card", IPX_FAULT_DMA, "later"));
	tlib_log_capture(0);
	ipx_card_fault_health(&f, 7, &h);
	assert_false(h.ok);
	assert_int_equal(h.fault, IPX_FAULT_STALL);
	assert_int_equal(h.faults, 1);
	assert_string_equal(h.why, "no completion within the deadline");
	ipx_card_fault_clear(&f);
	ipx_card_fault_health(&f, 0, &h);
	assert_true(h.ok);
	assert_int_equal(h.faults, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_bound),
		cmocka_unit_test(test_evring),
		cmocka_unit_test(test_fault),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
