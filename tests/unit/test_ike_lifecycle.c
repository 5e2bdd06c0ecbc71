/*
 * The life of a tunnel after it is up, between two IKE managers on a fake
 * network (tests/lib/ikepair.c), with the clock moved forward by hand:
 * Child SA rekeying with and without PFS, IKE SA rekeying, both of them
 * started by both ends at once (RFC 7296 2.8.1), rekeys started by the
 * engine's byte/packet limits, reauthentication (make before break), the
 * liveness check and a dead peer's restart, NAT keepalives and a NAT
 * mapping that changes, cookies under a half-open flood (2.6), IKE
 * fragmentation (RFC 7383) in both directions, and additional Child SAs.
 * Throughout: the traffic keeps flowing through SAs both ends agree on,
 * and the data plane never loses the policy (no child_down).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ikepair.h"

static struct ikepair *up(const struct ikepair_setup *s)
{
	struct ikepair *pr = ikepair_new(s);

	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 60);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	assert_int_equal(pr->a.children_up, 1);
	assert_int_equal(pr->b.children_up, 1);
	return pr;
}

/* Both ends hold exactly the one Child SA (no leftovers), carrying
 * traffic both ways through SAs the other end agrees on. */
static void settled(struct ikepair *pr, unsigned children)
{
	/* replaced SAs the peer did not delete go after a grace period,
	 * and deleted rekeyed ones' inbound SAs after IKE_CHILD_LINGER_S */
	ikepair_advance(pr, 11, 200);
	ikepair_advance(pr, 1, 200);
	ikepair_advance(pr, IKE_CHILD_LINGER_S, 50);
	assert_int_equal(ikepair_count_children(&pr->a), children);
	assert_int_equal(ikepair_count_children(&pr->b), children);
	assert_int_equal(ikepair_count_sas(&pr->a), 1);
	assert_int_equal(ikepair_count_sas(&pr->b), 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	assert_int_equal(pr->a.children_down, 0);
	assert_int_equal(pr->b.children_down, 0);
}

static void child_rekey(bool pfs)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	uint32_t old_in, old_out;

	s.child_a = "        rekey_time: 100s\n        rand_time: 0\n";
	if (pfs)
		s.esp_a = s.esp_b = "aes256gcm16-x25519";
	pr = up(&s);
	old_in = pr->a.last_child->spi_in;
	old_out = pr->a.last_child->spi_out;
	assert_true(pr->a.last_child->rekey_at - ike_now() <= 100 &&
		    pr->a.last_child->rekey_at - ike_now() >= 99);
	ikepair_advance(pr, 50, 50);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 0);
	ikepair_advance(pr, 50, 200);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 1);
	assert_int_equal(pr->b.mgr->st.child_rekeys, 1);
	assert_int_not_equal(pr->a.last_child->spi_in, old_in);
	assert_int_not_equal(pr->a.last_child->spi_out, old_out);
	assert_int_equal(pr->a.last_child->prop.dh, pfs ? IKEV2_DH_CURVE25519 : IKEV2_DH_NONE);
	/* A deleted the old SA and B answered: its inbound SA stays a moment
	 * for B's packets still on their way, then goes */
	{
		struct child_sa *o = NULL;

		for (struct child_sa *k = ikepair_established(&pr->a)->children; k; k = k->next)
			if (k->spi_in == old_in)
				o = k;
		assert_non_null(o);
		assert_true(o->state == CHILD_LINGERING && o->linger_until > 0);
		assert_true(o->eng_in != IPX_SA_NONE);
		ikepair_advance(pr, IKE_CHILD_LINGER_S, 50);
		for (struct child_sa *k = ikepair_established(&pr->a)->children; k; k = k->next)
			assert_int_not_equal(k->spi_in, old_in);
	}
	settled(pr, 1);
	/* A switched at once, B when A's Delete came */
	assert_int_equal(pr->a.rekeyed, 1);
	assert_int_equal(pr->b.rekeyed, 2);
	assert_int_equal(pr->b.retired, 1);
	assert_non_null(strstr(pr->a.events, "rekeyed"));
	/* and again: the new SA has its own timer (rekey at +100, before
	 * its hard lifetime at +110) */
	ikepair_advance(pr, 80, 50);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 1);
	ikepair_advance(pr, 10, 200);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 2);
	settled(pr, 1);
	ikepair_free(pr);
}

static void test_child_rekey(void **state)
{
	(void)state;
	child_rekey(false);
}

static void test_child_rekey_pfs(void **state)
{
	(void)state;
	child_rekey(true);
}

/* 2.8.1: both ends rekey the same Child SA at the same moment; whoever
 * wins the nonce comparison, one new SA survives on both ends. */
static void test_child_rekey_collision(void **state)
{
	struct ikepair_setup s = ikepair_defaults;

	(void)state;
	s.child_a = s.child_b = "        rekey_time: 100s\n        rand_time: 0\n";
	for (int round = 0; round < 6; round++) {
		struct ikepair *pr = up(&s);

		/* both timers fire before either side hears from the other */
		ike_clock_offset += 100;
		ike_timer_tick(-1, 0, pr->a.mgr);
		ike_timer_tick(-1, 0, pr->b.mgr);
		assert_true(pr->a.mgr->st.child_rekeys == 0 && pr->net.n == 2);
		ikepair_pump(&pr->net, 300);
		assert_int_equal(pr->a.mgr->st.collisions, 1);
		assert_int_equal(pr->b.mgr->st.collisions, 1);
		settled(pr, 1);
		assert_int_equal(pr->a.last_child->spi_out, pr->b.last_child->spi_in);
		assert_int_equal(pr->a.last_child->spi_in, pr->b.last_child->spi_out);
		ikepair_free(pr);
	}
}

/* Deliver the first queued datagram; or, drop: lose it. */
static void step(struct ikepair *pr, bool drop)
{
	assert_true(pr->net.n > 0);
	if (drop) {
		memmove(&pr->net.q[0], &pr->net.q[1], (pr->net.n - 1) * sizeof(pr->net.q[0]));
		pr->net.n--;
	} else {
		ikepair_pump(&pr->net, 1);
	}
}

static struct child_sa *child_of(struct ikepair_peer *p, uint32_t spi_in)
{
	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->spi_in == spi_in)
				return c;
	return NULL;
}

/*
 * A rekeys X; B answers (B now has Y) and the answer is lost.  Until A's
 * retransmission brings it, A does not know Y:
 * - B does not rekey Y while X is not deleted (A may not have Y);
 * - a peer that does (strongSwan does) gets TEMPORARY_FAILURE from A, not
 *   CHILD_SA_NOT_FOUND, which would make it drop Y;
 * and when the answer comes, both ends settle on Y.
 */
static void test_child_rekey_answer_lost(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct child_sa *xb, *y = NULL;
	struct ikesa *sb;

	(void)state;
	s.child_a = "        rekey_time: 100s\n        rand_time: 0\n";
	s.child_b = "        rekey_time: 300s\n        rand_time: 0\n";
	pr = up(&s);
	ike_clock_offset += 100;
	ike_timer_tick(-1, 0, pr->a.mgr);
	assert_int_equal(pr->net.n, 1);
	step(pr, false);                  /* B answers: Y is made */
	assert_int_equal(pr->net.n, 1);
	step(pr, true);                   /* and the answer is lost */
	sb = ikepair_established(&pr->b);
	xb = child_of(&pr->b, pr->a.last_child->spi_out);
	assert_non_null(xb);
	y = xb->successor;
	assert_non_null(y);
	/* B: Y waits for X's Delete before it is rekeyed */
	y->rekey_at = ike_now();
	ike_sa_kick(y->ike);
	ike_timer_tick(-1, 0, pr->b.mgr);
	assert_int_equal(pr->net.n, 0);
	assert_false(y->rekeying);
	/* a peer that rekeys Y anyway: A, its own request in flight, asks
	 * it to try again later */
	assert_int_equal(ike_rekey_child_start(sb, y), 0);
	assert_int_equal(pr->net.n, 1);
	step(pr, false);
	assert_int_equal(pr->net.n, 1);
	step(pr, false);
	assert_non_null(child_of(&pr->b, y->spi_in));
	assert_false(y->gone_at_peer);
	assert_false(y->rekeying);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 0);
	/* A's retransmission brings B's answer again: A switches to Y and
	 * deletes X */
	ikepair_pump(&pr->net, 400);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 1);
	assert_int_equal(pr->a.last_child->spi_in, y->spi_out);
	assert_int_equal(pr->a.last_child->spi_out, y->spi_in);
	settled(pr, 1);
	assert_int_equal(pr->a.last_child->spi_out, pr->b.last_child->spi_in);
	assert_int_equal(pr->a.last_child->spi_in, pr->b.last_child->spi_out);
	ikepair_free(pr);
}

/*
 * B answers A's IKE_AUTH and the answer is lost.  B holds the IKE SA as
 * established and rekeys its new Child SA at once (strongSwan does, its
 * rekey time less a random share).  A, still waiting, answers
 * TEMPORARY_FAILURE, not NO_ADDITIONAL_SAS (on which strongSwan
 * reauthenticates and the tunnel goes down); A's retransmission fetches
 * the answer, and B's rekey goes through when it tries again.
 */
static void test_rekey_before_auth_answer(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikesa *sb;
	struct child_sa *xb;
	uint32_t x_in;

	(void)state;
	s.child_a = "        rekey_time: 300s\n        rand_time: 0\n";
	s.child_b = "        rekey_time: 300s\n        rand_time: 0\n";
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	step(pr, false);                  /* B answers IKE_SA_INIT */
	step(pr, false);                  /* A sends IKE_AUTH */
	step(pr, false);                  /* B answers it: established */
	assert_int_equal(pr->net.n, 1);
	step(pr, true);                   /* and the answer is lost */
	sb = ikepair_established(&pr->b);
	assert_non_null(sb);
	assert_null(ikepair_established(&pr->a));
	xb = pr->b.last_child;
	assert_non_null(xb);
	x_in = xb->spi_in;
	tlib_log_capture(1);
	assert_int_equal(ike_rekey_child_start(sb, xb), 0);
	assert_int_equal(pr->net.n, 1);
	step(pr, false);                  /* A answers */
	assert_int_equal(pr->net.n, 1);
	step(pr, false);                  /* B reads the answer */
	assert_non_null(strstr(tlib_log_text(),
				"CREATE_CHILD_SA request before the answer to our IKE_AUTH: TEMPORARY_FAILURE"));
	assert_non_null(strstr(tlib_log_text(), "Child SA lan rekey refused: TEMPORARY_FAILURE"));
	assert_null(strstr(tlib_log_text(), "NO_ADDITIONAL_SAS"));
	tlib_log_capture(0);
	/* B keeps the IKE SA and the Child SA */
	assert_ptr_equal(ikepair_established(&pr->b), sb);
	assert_non_null(child_of(&pr->b, x_in));
	assert_int_equal(pr->b.children_down, 0);
	/* A's retransmission fetches the answer */
	ikepair_pump(&pr->net, 400);
	assert_non_null(ikepair_established(&pr->a));
	assert_int_equal(pr->a.children_up, 1);
	assert_int_equal(pr->a.last_child->spi_out, x_in);
	/* B tries its rekey again, and it goes through */
	ikepair_advance(pr, 3, 200);
	assert_int_equal(pr->b.mgr->st.child_rekeys, 1);
	settled(pr, 1);
	assert_int_not_equal(pr->a.last_child->spi_out, x_in);
	ikepair_free(pr);
}

/* B lost X without telling A (its Delete lost for good): A's rekey of X
 * is answered CHILD_SA_NOT_FOUND, and a new Child SA replaces X at once
 * instead of A retrying the rekey until X's lifetime runs out. */
static void test_child_rekey_not_found(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct child_sa *xa, *xb;
	uint32_t x_in;

	(void)state;
	s.child_a = "        rekey_time: 100s\n        rand_time: 0\n";
	s.child_b = "        rekey_time: 300s\n        rand_time: 0\n";
	pr = up(&s);
	xa = pr->a.last_child;
	x_in = xa->spi_in;
	xb = child_of(&pr->b, xa->spi_out);
	assert_non_null(xb);
	ike_child_remove(ikepair_established(&pr->b), xb);
	assert_int_equal(pr->b.children_down, 1);
	ikepair_advance(pr, 100, 100);
	/* refused, then a new one made to replace X */
	ikepair_advance(pr, 1, 200);
	assert_int_not_equal(pr->a.last_child->spi_in, x_in);
	assert_int_equal(pr->a.children_down, 0);
	assert_int_equal(pr->b.children_up, 2);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	/* X goes after the grace period: one Child SA on each end */
	ikepair_advance(pr, 11, 200);
	ikepair_advance(pr, 1, 200);
	ikepair_advance(pr, IKE_CHILD_LINGER_S, 50);
	assert_null(child_of(&pr->a, x_in));
	assert_int_equal(ikepair_count_children(&pr->a), 1);
	assert_int_equal(ikepair_count_children(&pr->b), 1);
	assert_int_equal(pr->a.last_child->spi_out, pr->b.last_child->spi_in);
	assert_int_equal(pr->a.children_down, 0);
	ikepair_free(pr);
}

static void ike_rekey(bool both)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikesa *a;
	uint8_t spi_i[8];
	uint32_t child_in;

	s.conn_a = s.conn_b = "    ike_lifetime: 1000s\n";
	pr = up(&s);
	a = ikepair_established(&pr->a);
	memcpy(spi_i, a->spi_i, 8);
	child_in = pr->a.last_child->spi_in;
	/* A's timer fires; B's later, or at the same moment */
	ikepair_established(&pr->a)->rekey_at = ike_now() + 850;
	ikepair_established(&pr->b)->rekey_at = ike_now() + (both ? 850 : 950);
	ike_sa_kick(ikepair_established(&pr->a));
	ike_sa_kick(ikepair_established(&pr->b));
	ikepair_advance(pr, 850, 300);
	ikepair_pump(&pr->net, 100);
	a = ikepair_established(&pr->a);
	assert_non_null(a);
	assert_memory_not_equal(a->spi_i, spi_i, 8);
	assert_true(pr->a.mgr->st.ike_rekeys >= 1);
	assert_true(pr->b.mgr->st.ike_rekeys >= 1);
	if (both) {
		assert_int_equal(pr->a.mgr->st.collisions, 1);
		assert_int_equal(pr->b.mgr->st.collisions, 1);
	}
	/* the Child SA moved over untouched */
	assert_int_equal(pr->a.last_child->spi_in, child_in);
	assert_ptr_equal(pr->a.last_child->ike, a);
	assert_true(memcmp(ikepair_established(&pr->b)->spi_i, a->spi_i, 8) == 0);
	settled(pr, 1);
	/* new keys work: a Child SA rekey on the new IKE SA */
	assert_int_equal(ike_rekey_child_start(a, pr->a.last_child), 0);
	ikepair_pump(&pr->net, 200);
	assert_int_not_equal(pr->a.last_child->spi_in, child_in);
	settled(pr, 1);
	/* the new IKE SA's timers run from its own start */
	assert_true(a->expire_at >= ike_now() + 900);
	ikepair_free(pr);
}

static void test_ike_rekey(void **state)
{
	(void)state;
	ike_rekey(false);
}

static void test_ike_rekey_collision(void **state)
{
	(void)state;
	ike_rekey(true);
}

/* The engine counts bytes and packets: its soft limit asks for a rekey
 * before the hard one stops the SA. */
static void test_packet_lifetime(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ipx_event ev[8];
	uint32_t old;
	unsigned n;

	(void)state;
	s.child_a = "        life_packets: 20\n        rekey_packets: 10\n";
	pr = up(&s);
	old = pr->a.last_child->spi_out;
	for (int i = 0; i < 11; i++) {
		uint8_t inner[100];
		struct ipx_pkt pk;

		tlib_ip_packet(inner, 100, 0, 17);
		pk = te_pkt(inner, 100);
		assert_int_equal(te_encrypt(pr->a.eng, pr->a.last_child->eng_out, &pk), IPX_ST_OK);
		te_reset();
	}
	n = ipx_events(pr->a.eng, ev, 8);
	assert_true(n >= 1);
	assert_int_equal(ev[0].type, IPX_EV_SOFT_LIFETIME);
	for (unsigned i = 0; i < n; i++)
		ike_mgr_engine_event(pr->a.mgr, &ev[i]);
	ikepair_advance(pr, 1, 200);
	assert_int_not_equal(pr->a.last_child->spi_out, old);
	settled(pr, 1);
	/* sequence numbers running out (the engine's early warning): the
	 * same rekey, before the SA has to stop */
	{
		struct ipx_event e = { .type = IPX_EV_SEQ_NEAR_EXHAUSTION, .dir = IPX_DIR_OUT };

		old = pr->a.last_child->spi_out;
		e.sa = pr->a.last_child->eng_out;
		e.spi = old;
		e.user = (uint64_t)pr->a.last_child->spi_in << 32 | pr->a.last_child->unique_id;
		ike_mgr_engine_event(pr->a.mgr, &e);
		ikepair_advance(pr, 1, 200);
		assert_int_not_equal(pr->a.last_child->spi_out, old);
		settled(pr, 1);
		/* a hard limit (or the last sequence number) deletes the SA */
		e.type = IPX_EV_HARD_LIFETIME;
		e.user = (uint64_t)pr->a.last_child->spi_in << 32 | pr->a.last_child->unique_id;
		ike_mgr_engine_event(pr->a.mgr, &e);
		ikepair_pump(&pr->net, 100);
		assert_int_equal(ikepair_count_children(&pr->a), 0);
		assert_int_equal(ikepair_count_children(&pr->b), 0);
	}
	ikepair_free(pr);
}

/* Reauthentication: a new IKE SA (new IKE_SA_INIT, new AUTH) takes the
 * children over before the old one is deleted. */
static void test_reauth(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	unsigned id;

	(void)state;
	s.conn_a = "    reauth_interval: 600s\n";
	pr = up(&s);
	id = ikepair_established(&pr->a)->unique_id;
	ikepair_advance(pr, 600, 300);
	ikepair_advance(pr, 1, 200);
	assert_int_equal(pr->a.mgr->st.reauths, 1);
	assert_int_not_equal(ikepair_established(&pr->a)->unique_id, id);
	/* no INITIAL_CONTACT: B kept the old SA until A deleted it */
	assert_int_equal(pr->b.mgr->st.established, 2);
	settled(pr, 1);
	ikepair_free(pr);
}

/* A reauthenticates while its old IKE SA rekeys the Child SA, and the
 * rekey's answer comes after the new IKE SA's Child SA took over: the
 * rekeyed SA must not take the data plane back (it would go down with the
 * old IKE SA a moment later); it is deleted instead. */
static void test_reauth_during_child_rekey(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair_dgram resp;
	struct ikepair *pr;
	struct ikesa *old;

	(void)state;
	s.conn_a = "    reauth_interval: 600s\n";
	s.child_a = "        rekey_time: 600s\n        rand_time: 0\n";
	s.child_b = "        rekey_time: 3000s\n        rand_time: 0\n";
	pr = up(&s);
	old = ikepair_established(&pr->a);
	ike_clock_offset += 600;
	ike_timer_tick(-1, 0, pr->a.mgr);
	/* the new IKE SA's IKE_SA_INIT, the old one's CREATE_CHILD_SA */
	assert_int_equal(pr->net.n, 2);
	assert_int_equal(pr->net.q[1].buf[18], IKEV2_EXCH_CREATE_CHILD_SA);
	step(pr, false);
	step(pr, false);
	/* B answered both; A gets the rekey's answer only later */
	assert_int_equal(pr->net.n, 2);
	assert_int_equal(pr->net.q[1].buf[18], IKEV2_EXCH_CREATE_CHILD_SA);
	resp = pr->net.q[1];
	pr->net.n = 1;
	event_del(old->rtx_ev);
	ikepair_pump(&pr->net, 20);
	assert_int_equal(pr->a.mgr->st.established, 2);
	assert_int_equal(pr->a.children_down, 0);
	ike_mgr_input(pr->a.mgr, resp.buf, resp.len, &resp.to, &resp.from, resp.natt);
	ikepair_pump(&pr->net, 50);
	ikepair_advance(pr, 1, 200);
	assert_int_equal(pr->a.mgr->st.reauths, 1);
	assert_int_equal(pr->a.children_down, 0);
	settled(pr, 1);
	ikepair_free(pr);
}

/* The clock looks at an idle SA when one of its deadlines comes (here
 * the liveness check every 20 s, the Child SA rekey at 100 s), not every
 * second (ike_timer.c, the timing wheel); and the deadlines still hold. */
static void test_idle_timers(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	uint64_t runs, rekeys;

	(void)state;
	s.conn_a = "    liveness_interval: 20s\n";
	s.conn_b = "    liveness_interval: 1h\n";
	s.child_a = "        rekey_time: 100s\n        rand_time: 0\n";
	pr = up(&s);
	ikepair_advance(pr, 1, 50);
	runs = pr->a.mgr->st.timer_runs;
	rekeys = pr->a.mgr->st.child_rekeys;
	for (unsigned i = 0; i < 80; i++)
		ikepair_advance(pr, 1, 50);
	/* 4 liveness checks (and the seconds their answers take), no rekey
	 * yet: far fewer looks than the 80 seconds */
	print_message("# 80 idle seconds: the SA was looked at %llu times\n",
		      (unsigned long long)(pr->a.mgr->st.timer_runs - runs));
	assert_true(pr->a.mgr->st.timer_runs - runs <= 12);
	assert_true(pr->a.mgr->st.tx > 4);
	assert_int_equal(pr->a.mgr->st.child_rekeys, rekeys);
	/* the rekey (rekey_time 100s, jitter earlier) still comes */
	for (unsigned i = 0; i < 40 && pr->a.mgr->st.child_rekeys == rekeys; i++)
		ikepair_advance(pr, 1, 50);
	assert_true(pr->a.mgr->st.child_rekeys + pr->b.mgr->st.child_rekeys > rekeys);
	settled(pr, 1);
	ikepair_free(pr);
}

/* 2.4: a silent peer is asked; when it never answers the SA is dropped
 * and, with liveness_action: restart, set up again once it is back. */
static void test_liveness_restart(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	uint64_t tx;

	(void)state;
	s.conn_a = "    liveness_interval: 1s\n    liveness_retries: 2\n";
	s.conn_b = "    liveness_interval: 1h\n";
	pr = up(&s);
	/* a live peer answers: nothing happens */
	tx = pr->a.mgr->st.tx;
	ikepair_advance(pr, 2, 100);
	assert_true(pr->a.mgr->st.tx > tx);
	assert_int_equal(pr->a.mgr->st.dead_peers, 0);
	assert_non_null(ikepair_established(&pr->a));
	/* ESP from the peer counts as life: no check while it comes in */
	{
		struct child_sa *cb = pr->b.last_child;
		uint8_t inner[100];
		struct ipx_pkt pk;

		tlib_ip_packet(inner, 100, 0, 17);
		pk = te_pkt(inner, 100);
		assert_int_equal(te_encrypt(pr->b.eng, cb->eng_out, &pk), IPX_ST_OK);
		assert_int_equal(te_decrypt(pr->a.eng, &pk), IPX_ST_OK);
		te_reset();
		tx = pr->a.mgr->st.tx;
		ikepair_advance(pr, 1, 20);
		assert_int_equal(pr->a.mgr->st.tx, tx);
	}
	/* B goes silent (powered off) */
	pr->net.blackhole[1] = true;
	ikepair_advance(pr, 2, 10);
	/* the check is retransmitted every second (real time), twice */
	for (int i = 0; i < 1000 && !pr->a.mgr->st.dead_peers; i++)
		ikepair_pump(&pr->net, 5);
	assert_int_equal(pr->a.mgr->st.dead_peers, 1);
	assert_non_null(strstr(pr->a.events, "dead"));
	assert_int_equal(pr->a.children_down, 1);
	/* B comes back (its old SA still there) but is not configured yet:
	 * it refuses, A keeps trying, with a pause */
	{
		unsigned n_ike = pr->b.cfg->conns[0].n_ike;

		pr->net.blackhole[1] = false;
		pr->b.cfg->conns[0].n_ike = 0;
		tlib_log_capture(1);
		ikepair_advance(pr, 1, 200);
		assert_null(ikepair_established(&pr->a));
		assert_non_null(strstr(tlib_log_text(), "IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN from the peer; we offered aes256gcm16-prfsha256-x25519; IKE SA deleted, trying again in 5s"));
		tlib_log_capture(0);
		pr->b.cfg->conns[0].n_ike = n_ike;
		/* (the clock also runs for real: keep a margin) */
		ikepair_advance(pr, 2, 50);
		assert_null(ikepair_established(&pr->a));
		ikepair_advance(pr, 3, 200);
	}
	assert_non_null(ikepair_established(&pr->a));
	/* INITIAL_CONTACT made B drop the stale SA */
	assert_int_equal(ikepair_count_sas(&pr->b), 1);
	assert_int_equal(pr->a.children_up, 2);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	ikepair_free(pr);
}

/* RFC 3948: the end behind the NAT sends keepalives; a changed NAT
 * mapping is followed (2.23). */
static void test_nat_keepalive_and_mapping(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikesa *b;

	(void)state;
	s.conn_a = "    nat_keepalive: 20s\n";
	pr = ikepair_new(&s);
	pr->net.nat = true;
	{
		struct sockaddr_in *r = (struct sockaddr_in *)&pr->b.cfg->conns[0].remote_addrs[0];

		inet_pton(AF_INET, "198.51.100.9", &r->sin_addr);
	}
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 60);
	assert_true(ikepair_established(&pr->a)->nat_here);
	ikepair_advance(pr, 20, 10);
	assert_int_equal(pr->a.keepalives, 1);
	assert_int_equal(pr->b.keepalives, 0);   /* not behind a NAT */
	ikepair_advance(pr, 10, 10);
	assert_int_equal(pr->a.keepalives, 1);
	ikepair_advance(pr, 10, 10);
	assert_int_equal(pr->a.keepalives, 2);
	ikepair_pump(&pr->net, 50);
	/* the NAT reboots: A's packets come from another port now */
	pr->net.nat_port_add = 20000;
	assert_int_equal(ike_info_liveness(ikepair_established(&pr->a)), 0);
	ikepair_pump(&pr->net, 50);
	b = ikepair_established(&pr->b);
	assert_int_equal(ike_port(&b->remote), 24500);
	assert_int_equal(pr->b.moved, 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
}

/* A fake IKE_SA_INIT with a fresh SPIi from a spoofed address in
 * 198.18.0.0/15 (the answers go nowhere). */
static void flood_one(struct ikepair *pr, const struct ikepair_dgram *init)
{
	struct sockaddr_storage from = init->from;
	struct sockaddr_in *f = (struct sockaddr_in *)&from;
	uint8_t copy[4096];

	memcpy(copy, init->buf, init->len);
	tlib_rand_bytes(copy, 8);
	f->sin_addr.s_addr = htonl(0xc6120000u | (uint32_t)(tlib_rand() & 0x1ffff));
	ike_mgr_input(pr->b.mgr, copy, init->len, &init->to, &from, false);
}

/* 2.6: under a half-open flood the responder answers with cookies and
 * keeps no state; a real initiator still gets through. */
static void test_cookies(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikepair_dgram init;

	(void)state;
	pr = up(&s);
	init = pr->net.log[0];
	assert_int_equal(init.buf[18], IKEV2_EXCH_IKE_SA_INIT);
	ikepair_free(pr);
	s.raddr_b = "\"%any\"";   /* B answers anyone */

	pr = ikepair_new(&s);
	pr->b.cfg->cookie_threshold = 10;
	pr->b.cfg->max_half_open = 1000;
	ipx_log_set_level(IPX_LOG_ERR);
	for (int i = 0; i < 500; i++)
		flood_one(pr, &init);
	pr->net.n = 0;  /* the answers go to the spoofed address */
	ipx_log_set_level(IPX_LOG_INFO);
	assert_int_equal(pr->b.mgr->n_half_open, 10);
	assert_int_equal(pr->b.mgr->st.cookies_sent, 490);
	/* the real initiator is asked for a cookie, returns it, gets in */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 60);
	assert_non_null(ikepair_established(&pr->a));
	assert_int_equal(pr->b.mgr->st.cookies_ok, 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);

	/* max_half_open: past it, nothing is answered at all */
	pr = ikepair_new(&s);
	pr->b.cfg->cookie_threshold = 100000;
	pr->b.cfg->max_half_open = 50;
	ipx_log_set_level(IPX_LOG_ERR);
	for (int i = 0; i < 200; i++)
		flood_one(pr, &init);
	ipx_log_set_level(IPX_LOG_INFO);
	assert_int_equal(pr->b.mgr->n_half_open, 50);
	assert_int_equal(pr->b.mgr->st.dropped_half_open, 150);
	ikepair_free(pr);

	/* strict_cookies on the connection, or cookie_threshold 0: always */
	for (int k = 0; k < 2; k++) {
		pr = ikepair_new(&s);
		if (k)
			pr->b.cfg->cookie_threshold = 0;
		else
			pr->b.cfg->conns[0].strict_cookies = true;
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		ikepair_pump(&pr->net, 60);
		assert_non_null(ikepair_established(&pr->a));
		assert_int_equal(pr->b.mgr->st.cookies_sent, 1);
		assert_int_equal(pr->b.mgr->st.cookies_ok, 1);
		ikepair_free(pr);
	}
}

/* RFC 7383: an IKE_AUTH larger than fragment_size goes in fragments,
 * both ways, also when some of them are lost. */
static void test_fragmentation(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	static const char *many =
		"10.1.1.0/24, 10.1.2.0/24, 10.1.3.0/24, 10.1.4.0/24, 10.1.5.0/24, "
		"10.1.6.0/24, fd00:1::/64, fd00:2::/64, fd00:3::/64, fd00:4::/64, "
		"fd00:5::/64, fd00:6::/64, fd00:7::/64, fd00:8::/64, fd00:9::/64, fd00:a::/64";

	(void)state;
	s.lts_a = many;
	s.rts_b = many;
	s.esp_a = s.esp_b = "aes256gcm16, aes128gcm16, chacha20poly1305, aes256-sha256, aes128-sha256";
	s.conn_a = s.conn_b = "    fragment_size: 576\n";
	for (int lossy = 0; lossy < 2; lossy++) {
		pr = ikepair_new(&s);
		tlib_srand(5);
		if (lossy)
			pr->net.drop_pct = 15;
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		ikepair_pump(&pr->net, lossy ? 3000 : 100);
		assert_non_null(ikepair_established(&pr->a));
		assert_non_null(ikepair_established(&pr->b));
		assert_true(pr->a.mgr->st.fragments_tx >= 2);
		assert_true(pr->b.mgr->st.fragments_tx >= 2);
		assert_true(pr->a.mgr->st.reassembled >= 1);
		assert_true(pr->b.mgr->st.reassembled >= 1);
		assert_int_equal(pr->a.last_child->n_ts_l, 16);
		ikepair_check_traffic(&pr->a, &pr->b);
		/* every datagram fits: none is larger than 576 - 28 */
		for (unsigned i = 0; i < pr->net.n_log; i++)
			assert_true(pr->net.log[i].len <= 576 - 28);
		ikepair_free(pr);
	}
}

/* A second Child SA on the same IKE SA (CREATE_CHILD_SA), asked for by
 * `initiate` while the IKE SA is up; B narrows it. */
static void test_additional_child(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	const struct cfg_child *c2;

	(void)state;
	s.child_a = "      - name: web\n"
		    "        local_ts: [10.1.0.0/16]\n"
		    "        remote_ts: [\"10.9.0.0/16[tcp/443]\"]\n"
		    "        esp_proposals: [aes128gcm16-ecp256]\n";
	s.child_b = "      - name: web\n"
		    "        local_ts: [\"10.9.1.0/24[tcp]\"]\n"
		    "        remote_ts: [10.1.0.0/16]\n"
		    "        esp_proposals: [aes128gcm16-ecp256]\n";
	pr = up(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "web"), 0);
	ikepair_pump(&pr->net, 100);
	assert_int_equal(pr->a.children_up, 2);
	assert_int_equal(pr->b.children_up, 2);
	c2 = ike_child_cfg(pr->a.last_child);
	assert_string_equal(c2->name, "web");
	{
		char t[96];

		assert_string_equal(ike_ts_str(&pr->a.last_child->ts_r[0], t, sizeof(t)),
				    "10.9.1.0/24[tcp/443]");
	}
	assert_int_equal(pr->a.last_child->prop.dh, IKEV2_DH_ECP256);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	/* already up: nothing more */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "web"), 0);
	ikepair_pump(&pr->net, 20);
	assert_int_equal(pr->a.children_up, 2);
	ikepair_free(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_rekey),
		cmocka_unit_test(test_child_rekey_pfs),
		cmocka_unit_test(test_child_rekey_collision),
		cmocka_unit_test(test_child_rekey_answer_lost),
		cmocka_unit_test(test_rekey_before_auth_answer),
		cmocka_unit_test(test_child_rekey_not_found),
		cmocka_unit_test(test_ike_rekey),
		cmocka_unit_test(test_ike_rekey_collision),
		cmocka_unit_test(test_packet_lifetime),
		cmocka_unit_test(test_reauth),
		cmocka_unit_test(test_reauth_during_child_rekey),
		cmocka_unit_test(test_liveness_restart),
		cmocka_unit_test(test_idle_timers),
		cmocka_unit_test(test_nat_keepalive_and_mapping),
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_fragmentation),
		cmocka_unit_test(test_additional_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
