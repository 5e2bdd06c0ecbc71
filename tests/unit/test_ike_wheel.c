/*
 * The IKE manager's timing wheel (host/ike/ike_wheel.c) with many nodes:
 * every node runs exactly once, at the first run at or after its time,
 * never before; nodes added, moved and deleted from inside a run; long
 * gaps; and what an idle second costs (the nodes looked at).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike/ike_wheel.h"

#define N 100000

struct item {
	struct ike_wheel_node node;
	uint64_t want;          /* when it should run */
	uint64_t ran_at;        /* when it did (0: not yet) */
	unsigned runs;
};

struct ctx {
	struct ike_wheel *w;
	struct item *items;
	uint64_t now;
	unsigned bad;           /* ran early, or twice */
};

static struct item *item_of(struct ike_wheel_node *n)
{
	return (struct item *)((char *)n - offsetof(struct item, node));
}

static void on_due(struct ike_wheel_node *n, void *arg)
{
	struct ctx *c = arg;
	struct item *it = item_of(n);

	if (it->runs || c->now < it->want)
		c->bad++;
	it->runs++;
	it->ran_at = c->now;
}

/* 100,000 nodes spread over 5,000 s, the wheel run every second: each
 * runs once, in the second it is due; an idle second looks at about
 * n / IKE_WHEEL_SLOTS nodes, not n. */
static void test_many(void **state)
{
	static struct ike_wheel w;
	struct item *items = calloc(N, sizeof(*items));
	struct ctx c = { .w = &w, .items = items };
	uint64_t start = 1000, max_visit = 0;

	(void)state;
	assert_non_null(items);
	srand(7);
	ike_wheel_init(&w, start);
	for (unsigned i = 0; i < N; i++) {
		items[i].want = start + 1 + (uint64_t)(rand() % 5000);
		ike_wheel_add(&w, &items[i].node, items[i].want);
	}
	assert_int_equal(w.n, N);
	for (c.now = start + 1; c.now <= start + 5001; c.now++) {
		uint64_t v = w.visited;
		unsigned ran = ike_wheel_run(&w, c.now, on_due, &c);

		if (w.visited - v - ran > max_visit)
			max_visit = w.visited - v - ran;
	}
	assert_int_equal(c.bad, 0);
	assert_int_equal(w.n, 0);
	for (unsigned i = 0; i < N; i++) {
		assert_int_equal(items[i].runs, 1);
		assert_true(items[i].ran_at == items[i].want);
	}
	/* not-due nodes looked at in one second: those sharing its slot,
	 * 5 turns' worth at the start (N/1024 per slot, twice for the
	 * current slot that is visited again) */
	print_message("# busiest idle second looked at %llu of %u nodes\n",
		      (unsigned long long)max_visit, N);
	assert_true(max_visit < 4u * N / IKE_WHEEL_SLOTS);
	free(items);
}

/* Deadlines far away (a day's lifetime) cost one look per turn of the
 * wheel, and an idle run that finds nothing due costs what it visits. */
static void test_far(void **state)
{
	static struct ike_wheel w;
	static struct item items[1000];
	struct ctx c = { .w = &w, .items = items };

	(void)state;
	memset(items, 0, sizeof(items));
	ike_wheel_init(&w, 0);
	for (unsigned i = 0; i < 1000; i++) {
		items[i].want = 86400 + i;
		ike_wheel_add(&w, &items[i].node, items[i].want);
	}
	for (c.now = 1; c.now < 86400; c.now++)
		assert_int_equal(ike_wheel_run(&w, c.now, on_due, &c), 0);
	/* each node was looked at about 86400 / 1024 times, plus its slot's
	 * second visit */
	assert_true(w.visited <= 1000u * (86400 / IKE_WHEEL_SLOTS + 1) * 2);
	for (c.now = 86400; c.now < 87400; c.now++)
		assert_int_equal(ike_wheel_run(&w, c.now, on_due, &c), 1);
	assert_int_equal(c.bad, 0);
	assert_int_equal(w.n, 0);
}

/* A clock that jumps (the exchange tests move time by hours): everything
 * due by then runs in that one run, nothing later does. */
static void test_gap(void **state)
{
	static struct ike_wheel w;
	static struct item items[3000];
	struct ctx c = { .w = &w, .items = items };
	unsigned ran;

	(void)state;
	memset(items, 0, sizeof(items));
	ike_wheel_init(&w, 10);
	for (unsigned i = 0; i < 3000; i++) {
		items[i].want = 10 + i * 7;
		ike_wheel_add(&w, &items[i].node, items[i].want);
	}
	c.now = 10 + 2000 * 7;
	ran = ike_wheel_run(&w, c.now, on_due, &c);
	assert_int_equal(ran, 2001);
	assert_int_equal(c.bad, 0);
	c.now = 10 + 3000 * 7;
	assert_int_equal(ike_wheel_run(&w, c.now, on_due, &c), 999);
	assert_int_equal(w.n, 0);
}

/* Inside a run: a node moves itself later, deletes another that is due
 * in the same run, and adds one for "now" (a kick), which runs on the
 * next call even when the clock has not moved. */
struct act_ctx {
	struct ike_wheel *w;
	struct item *it;
	uint64_t now;
	unsigned runs[4];
};

static void on_act(struct ike_wheel_node *n, void *arg)
{
	struct act_ctx *c = arg;
	unsigned i = (unsigned)(item_of(n) - c->it);

	c->runs[i]++;
	if (i == 0 && c->runs[0] == 1) {
		ike_wheel_add(c->w, &c->it[0].node, c->now + 5);    /* later */
		ike_wheel_del(c->w, &c->it[1].node);                /* due too */
		ike_wheel_earlier(c->w, &c->it[2].node, c->now);     /* a kick */
		ike_wheel_del(c->w, &c->it[1].node);                /* twice: harmless */
	}
}

static void test_in_run(void **state)
{
	static struct ike_wheel w;
	struct item it[4];
	struct act_ctx c = { .w = &w, .it = it };

	(void)state;
	memset(it, 0, sizeof(it));
	ike_wheel_init(&w, 100);
	ike_wheel_add(&w, &it[0].node, 101);
	ike_wheel_add(&w, &it[1].node, 101);
	ike_wheel_add(&w, &it[2].node, 500);
	/* earlier never moves a node later */
	ike_wheel_add(&w, &it[3].node, 102);
	ike_wheel_earlier(&w, &it[3].node, 300);
	assert_int_equal(it[3].node.when, 102);
	c.now = 101;
	ike_wheel_run(&w, c.now, on_act, &c);
	/* whichever of 0 and 1 ran first: 0 ran, 1 at most once */
	assert_int_equal(c.runs[0], 1);
	assert_true(c.runs[1] <= 1);
	assert_false(ike_wheel_queued(&it[1].node));
	assert_int_equal(c.runs[2], 0);
	/* same second: the kicked node runs now */
	ike_wheel_run(&w, c.now, on_act, &c);
	assert_int_equal(c.runs[2], 1);
	assert_int_equal(c.runs[3], 0);
	c.now = 102;
	ike_wheel_run(&w, c.now, on_act, &c);
	assert_int_equal(c.runs[3], 1);
	c.now = 106;
	ike_wheel_run(&w, c.now, on_act, &c);
	assert_int_equal(c.runs[0], 2);
	assert_int_equal(w.n, 0);
	/* a time in the past runs on the next call */
	ike_wheel_add(&w, &it[0].node, 3);
	ike_wheel_run(&w, c.now, on_act, &c);
	assert_int_equal(c.runs[0], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_far),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_in_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
