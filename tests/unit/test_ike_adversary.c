/*
 * IKE under an adversary (issue 19): what an unauthenticated or merely
 * authenticated peer, or an unlucky reload, could do to the responder and
 * the initiator, each case on the two-manager rig (tests/lib/ikepair.c):
 *
 *   frag_twice          a second fragmented message on one IKE SA, and a
 *                       fragmented request and response crossing
 *   reload_half_open    a reload that renames or removes the connection of
 *                       a half-open SA, then the peer's IKE_AUTH
 *   reload_rekey        a reload while our CREATE_CHILD_SA is in flight
 *   half_open_requests  INFORMATIONAL / CREATE_CHILD_SA on a half-open SA
 *   half_open_source    a cookie-returning IKE_SA_INIT flood from one address
 *   flood_guard         a spoofed flood faster than the daemon reads it
 *   forged_request      an unauthenticated "request" while our IKE_SA_INIT
 *                       is in flight
 *   rekeyed_reaped      a peer that rekeys the IKE SA and never deletes the
 *                       old one
 *   cookie_framing      a cookie earned over IPv6 replayed over IPv4
 *   child_limit         max_child_sas per IKE SA
 *   ike_limit           max_ike_sas_per_peer
 *   table_grow          the SA tables doubling under SAs filed by peer
 *   conn_escape         a peer admitted under one connection presents another
 *                       one's identity (issue 15)
 * and siblings of these found afterwards (docs/security.md):
 *   second_auth         an IKE_AUTH on an established SA
 *   orphaned_replaced   a replaced IKE SA whose successor goes away
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

	assert_int_equal(ike_mgr_initiate(pr->a.mgr, pr->a.cfg->conns[0].name, NULL), 0);
	ikepair_pump(&pr->net, 80);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	assert_int_equal(pr->a.children_up, 1);
	assert_int_equal(pr->b.children_up, 1);
	return pr;
}

/* The first SA of p, whatever its state. */
static struct ikesa *first_sa(struct ikepair_peer *p)
{
	return p->mgr->all;
}

static unsigned count_installed(struct ikepair_peer *p)
{
	unsigned n = 0;

	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		for (struct child_sa *c = sa->children; c; c = c->next)
			n += !c->replaced_at && !ike_child_going(c);
	return n;
}

/* ---- 1: fragmented messages, one after the other and crossing ---- */

static const char *many_ts =
	"10.1.1.0/24, 10.1.2.0/24, 10.1.3.0/24, 10.1.4.0/24, 10.1.5.0/24, "
	"10.1.6.0/24, fd00:1::/64, fd00:2::/64, fd00:3::/64, fd00:4::/64, "
	"fd00:5::/64, fd00:6::/64, fd00:7::/64, fd00:8::/64, fd00:9::/64, fd00:a::/64";

static void frag_setup(struct ikepair_setup *s)
{
	*s = ikepair_defaults;
	s->lts_a = many_ts;
	s->rts_b = many_ts;
	s->esp_a = s->esp_b = "aes256gcm16, aes128gcm16, chacha20poly1305, aes256-sha256";
	s->conn_a = s->conn_b = "    fragment_size: 576\n";
	s->child_a = "        rekey_time: 100s\n        rand_time: 0\n";
}

static void test_frag_twice(void **state)
{
	struct ikepair_setup s;
	struct ikepair *pr;

	(void)state;
	frag_setup(&s);
	pr = up(&s);
	assert_int_equal(pr->a.mgr->st.reassembled, 1);
	assert_int_equal(pr->b.mgr->st.reassembled, 1);
	/* three rekeys: each CREATE_CHILD_SA request and answer is
	 * fragmented on this IKE SA */
	for (unsigned k = 1; k <= 3; k++) {
		ikepair_advance(pr, 100, 300);
		assert_int_equal(pr->a.mgr->st.child_rekeys, k);
		assert_int_equal(pr->b.mgr->st.child_rekeys, k);
		assert_int_equal(pr->b.mgr->st.reassembled, 1 + k);
		assert_int_equal(pr->a.mgr->st.reassembled, 1 + k);
		ikepair_check_traffic(&pr->a, &pr->b);
		ikepair_check_traffic(&pr->b, &pr->a);
	}
	assert_int_equal(pr->a.children_down, 0);
	ikepair_free(pr);

	/* both ends rekey at once: each receives the other's fragmented
	 * request while the fragments of its own answer arrive */
	s.child_b = s.child_a;
	s.rts_a = many_ts;
	s.lts_b = many_ts;
	for (int round = 0; round < 3; round++) {
		pr = up(&s);
		ike_clock_offset += 100;
		ike_timer_tick(-1, 0, pr->a.mgr);
		ike_timer_tick(-1, 0, pr->b.mgr);
		ikepair_pump(&pr->net, 400);
		assert_int_equal(pr->a.mgr->st.collisions, 1);
		assert_int_equal(pr->b.mgr->st.collisions, 1);
		ikepair_advance(pr, 11, 200);
		ikepair_advance(pr, IKE_CHILD_LINGER_S, 50);
		assert_int_equal(count_installed(&pr->a), 1);
		assert_int_equal(count_installed(&pr->b), 1);
		ikepair_check_traffic(&pr->a, &pr->b);
		ikepair_check_traffic(&pr->b, &pr->a);
		ikepair_free(pr);
	}
}

/* ---- 2: a reload renames or removes the connection of a half-open SA ---- */

static void test_reload_half_open(void **state)
{
	struct ikepair_setup s = ikepair_defaults, s2;
	struct ikepair *pr;
	struct ikesa *b;

	(void)state;
	/* renamed: the peer's IKE_AUTH finds the connection by its new name */
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 1);   /* B answered IKE_SA_INIT: half-open */
	assert_int_equal(pr->b.mgr->n_half_open, 1);
	s2 = s;
	s2.name_b = "renamed";
	ikepair_reload(pr, &pr->b, &s2);
	ikepair_pump(&pr->net, 60);
	b = ikepair_established(&pr->b);
	assert_non_null(b);
	assert_string_equal(b->conn_name, "renamed");
	assert_non_null(ikepair_established(&pr->a));
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);

	/* removed: no connection admits the peer any more */
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 1);
	s2 = s;
	s2.name_b = "other";
	s2.raddr_b = "192.0.2.77";
	ikepair_reload(pr, &pr->b, &s2);
	ikepair_pump(&pr->net, 60);
	assert_null(ikepair_established(&pr->b));
	assert_null(ikepair_established(&pr->a));
	assert_int_equal(pr->b.mgr->n_half_open, 0);
	assert_int_equal(ikepair_count_sas(&pr->b), 0);
	assert_true(pr->b.mgr->st.rx_auth_failed >= 1);
	ikepair_free(pr);
}

/* ---- 3: a reload while our CREATE_CHILD_SA is in flight ---- */

static void test_reload_rekey(void **state)
{
	struct ikepair_setup s = ikepair_defaults, s2;
	struct ikepair *pr;

	(void)state;
	s.child_a = "        rekey_time: 100s\n        rand_time: 0\n";
	pr = up(&s);
	/* A's rekey request is on its way ... */
	ike_clock_offset += 100;
	ike_timer_tick(-1, 0, pr->a.mgr);
	assert_non_null(ikepair_established(&pr->a)->cc.child);
	/* ... when A reloads a configuration that no longer offers what it
	 * offered: the answer is checked against what was sent */
	s2 = s;
	s2.esp_a = "aes128gcm16";
	ikepair_reload(pr, &pr->a, &s2);
	ikepair_pump(&pr->net, 200);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 1);
	assert_int_equal(pr->b.mgr->st.child_rekeys, 1);
	assert_int_equal(pr->a.last_child->prop.encr_bits, 256);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	/* the next rekey offers what the new configuration says: B, which
	 * takes only aes256gcm16, refuses it and the SA in place stays */
	ikepair_advance(pr, 100, 200);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);

	/* the same reload while the new Child SA of an `initiate` is in
	 * flight, and one that removes the child altogether */
	s.child_a = "      - name: web\n"
		    "        local_ts: [10.1.9.0/24]\n"
		    "        remote_ts: [10.2.9.0/24]\n";
	pr = up(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "web"), 0);
	s2 = s;
	s2.child_a = "";
	ikepair_reload(pr, &pr->a, &s2);
	ikepair_pump(&pr->net, 200);
	/* made as it was asked for; a removed child is not rekeyed */
	assert_int_equal(pr->a.children_up, 2);
	assert_int_equal(pr->b.children_up, 2);
	ikepair_free(pr);
}

/* ---- 4: requests on a half-open SA before IKE_AUTH ---- */

static void test_half_open_requests(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[2048];
	size_t len;
	struct ikesa *a;

	(void)state;
	assert_non_null(m);
	pr = ikepair_new(&s);
	ikepair_drop_requests(pr, &pr->a, IKEV2_EXCH_IKE_AUTH);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 10);
	assert_int_equal(pr->b.mgr->n_half_open, 1);
	a = first_sa(&pr->a);
	assert_true(a->keys_ok && a->state == IKE_AUTHENTICATING);

	/* a Delete of the IKE SA, as message 1, from the one who did
	 * IKE_SA_INIT but never authenticated */
	ike_msg_start(a, m, IKEV2_EXCH_INFORMATIONAL, false, 1);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_msg_add(m, IKEV2_PL_DELETE, true)->u.del.proto = IKEV2_PROTO_IKE;
	len = ikepair_forge(a, m, buf, sizeof(buf));
	pr->net.n = 0;
	ike_mgr_input(pr->b.mgr, buf, len, &pr->b.addr, &pr->a.addr, false);
	/* a CREATE_CHILD_SA as well */
	ike_msg_start(a, m, IKEV2_EXCH_CREATE_CHILD_SA, false, 1);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_msg_add_notify(m, true, IKEV2_PROTO_NONE, NULL, 0, IKEV2_N_NON_FIRST_FRAGMENTS_ALSO,
			   NULL, 0);
	len = ikepair_forge(a, m, buf, sizeof(buf));
	ike_mgr_input(pr->b.mgr, buf, len, &pr->b.addr, &pr->a.addr, false);
	/* neither is answered nor acted on */
	assert_int_equal(pr->net.n, 0);
	assert_null(strstr(pr->b.events, "ike-down"));
	assert_int_equal(pr->b.mgr->n_half_open, 1);
	assert_int_equal(first_sa(&pr->b)->resp_next, 1);
	assert_int_equal(pr->b.mgr->st.rx_out_of_state, 2);
	/* the real IKE_AUTH, retransmitted, still gets in */
	ikepair_drop_requests(pr, NULL, 0);
	ikepair_pump(&pr->net, 300);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
	free(m);
}

/* ---- 5: one address holding every half-open slot ---- */

/* A's IKE_SA_INIT request, as a template */
static struct ikepair_dgram init_template(void)
{
	struct ikepair *pr = up(&ikepair_defaults);
	struct ikepair_dgram d = pr->net.log[0];

	assert_int_equal(d.buf[18], IKEV2_EXCH_IKE_SA_INIT);
	ikepair_free(pr);
	return d;
}

/* tpl again with a fresh SPIi, from `from`, and the COOKIE the responder
 * asks for returned: an attacker who receives at its address */
static void cookie_flood_one(struct ikepair *pr, const struct ikepair_dgram *tpl,
			     const struct sockaddr_storage *from)
{
	uint8_t req[4096], with[4096];
	const struct ikepair_dgram *ans;
	size_t clen, nl;

	memcpy(req, tpl->buf, tpl->len);
	tlib_rand_bytes(req, 8);
	pr->net.n = 0;
	ike_mgr_input(pr->b.mgr, req, tpl->len, &pr->b.addr, from, false);
	if (pr->net.n != 1)
		return;   /* dropped, not answered */
	ans = &pr->net.q[0];
	/* N(COOKIE) right after the header: 8 octets of notify header */
	if (ans->len < IKE_HDR_LEN + 8 || ipx_ld16(ans->buf + IKE_HDR_LEN + 6) != IKEV2_N_COOKIE)
		return;   /* answered, but not with a cookie */
	clen = ipx_ld16(ans->buf + IKE_HDR_LEN + 2) - 8;
	/* the request again with N(COOKIE) first (2.6) */
	nl = 8 + clen;
	memcpy(with, req, IKE_HDR_LEN);
	with[16] = IKEV2_PL_NOTIFY;
	with[IKE_HDR_LEN] = req[16];
	with[IKE_HDR_LEN + 1] = 0;
	ipx_st16(with + IKE_HDR_LEN + 2, (uint16_t)nl);
	with[IKE_HDR_LEN + 4] = 0;
	with[IKE_HDR_LEN + 5] = 0;
	ipx_st16(with + IKE_HDR_LEN + 6, IKEV2_N_COOKIE);
	memcpy(with + IKE_HDR_LEN + 8, ans->buf + IKE_HDR_LEN + 8, clen);
	memcpy(with + IKE_HDR_LEN + nl, req + IKE_HDR_LEN, tpl->len - IKE_HDR_LEN);
	ipx_st32(with + 24, (uint32_t)(tpl->len + nl));
	pr->net.n = 0;
	ike_mgr_input(pr->b.mgr, with, tpl->len + nl, &pr->b.addr, from, false);
	pr->net.n = 0;
}

static void test_half_open_source(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair_dgram tpl = init_template();
	struct sockaddr_storage evil;
	struct sockaddr_in *e = (struct sockaddr_in *)&evil;
	struct ikepair *pr;

	(void)state;
	memset(&evil, 0, sizeof(evil));
	e->sin_family = AF_INET;
	e->sin_port = htons(500);
	inet_pton(AF_INET, "192.0.2.66", &e->sin_addr);
	s.raddr_b = "\"%any\"";
	s.top_b = "cookie_threshold: 0\nmax_half_open: 100\n";
	pr = ikepair_new(&s);
	ipx_log_set_level(IPX_LOG_ERR);
	for (int i = 0; i < 400; i++)
		cookie_flood_one(pr, &tpl, &evil);
	ipx_log_set_level(IPX_LOG_INFO);
	/* it earned its cookies, and still holds only its share */
	assert_int_equal(pr->b.mgr->st.cookies_ok, 400);
	assert_int_equal(pr->b.mgr->n_half_open, 5);
	assert_int_equal(pr->b.mgr->st.half_open_source_dropped, 395);
	/* another peer gets in meanwhile */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 80);
	assert_non_null(ikepair_established(&pr->a));
	ikepair_check_traffic(&pr->a, &pr->b);
	/* the attacker's slots come back once its half-open SAs expire */
	ikepair_free(pr);

	/* the limit is a setting */
	s.top_b = "cookie_threshold: 0\nmax_half_open: 100\nmax_half_open_per_source: 40\n";
	pr = ikepair_new(&s);
	ipx_log_set_level(IPX_LOG_ERR);
	for (int i = 0; i < 60; i++)
		cookie_flood_one(pr, &tpl, &evil);
	ipx_log_set_level(IPX_LOG_INFO);
	assert_int_equal(pr->b.mgr->n_half_open, 40);
	ikepair_free(pr);
}

/* ---- 5b: the flood guard (host/ike/ike_guard.h) ---- */

/* While the socket overflows, a spoofed flood (each address and SPIi once)
 * gets no answer at all, and a real initiator's IKE_SA_INIT is answered
 * when it comes again: with a cookie, and the tunnel comes up. */
static void test_flood_guard(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair_dgram tpl = init_template(), first;
	struct ike_mgr *b;
	struct ikepair *pr;
	uint64_t now;

	(void)state;
	s.raddr_b = "\"%any\"";
	s.top_b = "cookie_threshold: 0\n";
	pr = ikepair_new(&s);
	b = pr->b.mgr;
	/* the kernel's drop count rises: the guard comes on */
	now = ike_now();
	assert_int_equal(ike_guard_tick(&b->guard, now, 10), 0);
	assert_int_equal(ike_guard_tick(&b->guard, now, 500), 1);
	assert_true(ike_guard_on(&b->guard, now));
	/* a spoofed flood: nothing answered, nothing kept */
	for (int i = 0; i < 2000; i++) {
		struct sockaddr_storage from;
		struct sockaddr_in *f = (struct sockaddr_in *)&from;
		uint8_t req[4096];

		memset(&from, 0, sizeof(from));
		f->sin_family = AF_INET;
		f->sin_port = htons(500);
		f->sin_addr.s_addr = htonl(0xc6120000u + (uint32_t)i);   /* 198.18/15 */
		memcpy(req, tpl.buf, tpl.len);
		tlib_rand_bytes(req, 8);
		ike_mgr_input(b, req, tpl.len, &pr->b.addr, &from, false);
	}
	assert_int_equal(pr->net.n, 0);
	assert_int_equal(b->st.init_deferred, 2000);
	assert_int_equal(b->st.cookies_sent, 0);
	assert_int_equal(b->n_half_open, 0);
	/* a real initiator: its first request waits */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 10);
	assert_null(ikepair_established(&pr->a));
	assert_int_equal(b->st.init_deferred, 2001);
	first = pr->net.log[pr->net.n_log - 1];
	assert_int_equal(first.buf[18], IKEV2_EXCH_IKE_SA_INIT);
	assert_true(ikepair_from(&first, &pr->a));
	/* ... its retransmission (the same datagram, 2.4) is answered with a
	 * cookie, and it comes in */
	ike_mgr_input(b, first.buf, first.len, &pr->b.addr, &first.from, first.natt);
	assert_int_equal(b->st.init_repeated, 1);
	assert_int_equal(b->st.cookies_sent, 1);
	ikepair_pump(&pr->net, 80);
	assert_non_null(ikepair_established(&pr->a));
	assert_int_equal(b->st.cookies_ok, 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	/* IKE_GUARD_HOLD_S without a drop: off, and requests are answered at
	 * once again */
	assert_int_equal(ike_guard_tick(&b->guard, now + IKE_GUARD_HOLD_S - 1, 500), 0);
	assert_int_equal(ike_guard_tick(&b->guard, now + IKE_GUARD_HOLD_S + 1, 500), -1);
	assert_false(ike_guard_on(&b->guard, now + IKE_GUARD_HOLD_S + 1));
	ikepair_free(pr);
}

/* The filters behind it: a repeat is recognised for at least
 * IKE_GUARD_PERIOD_S and forgotten after twice that; few false positives
 * at a full filter's load. */
static void test_flood_guard_filter(void **state)
{
	struct ike_guard g;
	uint8_t ip[4] = { 198, 18, 0, 1 }, spi[8];
	uint64_t t = 1000;
	unsigned fp = 0;
	const unsigned n = 2000000;   /* 250,000 a second for a period */

	(void)state;
	assert_int_equal(ike_guard_init(&g), 0);
	tlib_rand_bytes(spi, sizeof(spi));
	assert_false(ike_guard_repeated(&g, t, ip, 4, spi));
	assert_true(ike_guard_repeated(&g, t + 1, ip, 4, spi));
	assert_true(ike_guard_repeated(&g, t + IKE_GUARD_PERIOD_S, ip, 4, spi));
	/* first seen at t: gone two rotations later */
	assert_false(ike_guard_repeated(&g, t + 2 * IKE_GUARD_PERIOD_S + 1, ip, 4, spi));
	/* another address, same SPI: new */
	ip[3] = 2;
	assert_false(ike_guard_repeated(&g, t + 2 * IKE_GUARD_PERIOD_S + 1, ip, 4, spi));
	/* false positives among n random requests within one period */
	t += 10 * IKE_GUARD_PERIOD_S;
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[4];

		ipx_st32(a, 0xc6120000u + (i & 0x1ffff));
		ipx_st32(spi, i);
		ipx_st32(spi + 4, i * 2654435761u);
		fp += ike_guard_repeated(&g, t, a, 4, spi);
	}
	printf("flood guard: %u false positives in %u requests (%.1f%%)\n", fp, n,
	       100.0 * fp / n);
	assert_true(fp < n / 20);
	ike_guard_free(&g);
}

/* ---- 6: an unauthenticated "request" while our IKE_SA_INIT is in flight ---- */

static void test_forged_request(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikesa *a, *b;
	uint8_t f[IKE_HDR_LEN + 4 + 48];

	(void)state;
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	a = first_sa(&pr->a);
	assert_int_equal(pr->net.n, 1);   /* our IKE_SA_INIT, not delivered yet */
	/* "from the responder": our SPIi, any SPIr, message 0, an SK
	 * payload of noise */
	memset(f, 0, sizeof(f));
	memcpy(f, a->spi_i, 8);
	tlib_rand_bytes(f + 8, 8);
	f[16] = IKEV2_PL_SK;
	f[17] = 0x20;
	f[18] = IKEV2_EXCH_INFORMATIONAL;
	f[19] = 0;
	ipx_st32(f + 20, 0);
	ipx_st32(f + 24, sizeof(f));
	f[IKE_HDR_LEN] = 0;
	ipx_st16(f + IKE_HDR_LEN + 2, 4 + 48);
	tlib_rand_bytes(f + IKE_HDR_LEN + 4, 48);
	ike_mgr_input(pr->a.mgr, f, sizeof(f), &pr->a.addr, &pr->b.addr, false);
	/* not answered, the window not moved */
	assert_int_equal(pr->net.n, 1);
	assert_int_equal(a->resp_next, 0);
	ikepair_pump(&pr->net, 60);
	a = ikepair_established(&pr->a);
	b = ikepair_established(&pr->b);
	assert_non_null(a);
	assert_non_null(b);
	/* the real peer's first request is message 0, and it is answered */
	assert_int_equal(ike_info_liveness(b), 0);
	ikepair_pump(&pr->net, 20);
	assert_null(b->out.w.buf);
	assert_int_equal(a->resp_next, 1);
	assert_int_equal(pr->b.mgr->st.dead_peers, 0);
	ikepair_free(pr);
}

/* ---- 7: IKE SAs rekeyed away whose Delete never comes ---- */

static void test_rekeyed_reaped(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	/* the Child SAs keep still: this is about IKE SAs (and five-minute
	 * steps are too coarse for a Child SA rekey that has to wait) */
	s.child_a = s.child_b = "        rekey_time: 0\n        life_time: 0\n";
	pr = up(&s);
	pr->a.mgr->rtx_tries = 2;
	ikepair_drop_requests(pr, &pr->a, IKEV2_EXCH_INFORMATIONAL);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(ike_mgr_rekey(pr->a.mgr, "to-b", NULL, true, false), 1);
		ikepair_pump(&pr->net, 20);
	}
	assert_int_equal(pr->b.mgr->st.ike_rekeys, 50);
	/* A has given up on its Deletes; B holds 50 replaced IKE SAs */
	ikepair_pump(&pr->net, 500);
	ikepair_drop_requests(pr, NULL, 0);
	/* twenty hours, five minutes at a time (the periodic IKE rekeys
	 * of those hours have time to finish between two steps) */
	for (int i = 0; i < 20 * 12; i++)
		ikepair_advance(pr, 300, 12);
	/* B's Deletes for them go unanswered (A has forgotten them) until
	 * its retransmissions give up: real time, not the test's clock */
	for (int i = 0; i < 50 && ikepair_count_sas(&pr->b) > 1; i++)
		ikepair_pump(&pr->net, 100);
	assert_int_equal(ikepair_count_sas(&pr->b), 1);
	assert_int_equal(ikepair_count_sas(&pr->a), 1);
	assert_int_equal(pr->b.mgr->st.rekeyed_deleted, 50);
	assert_int_equal(pr->b.children_down, 0);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	ikepair_free(pr);
}

/* ---- 8: a cookie is bound to the address family and the nonce length ---- */

static void test_cookie_framing(void **state)
{
	struct ike_cookie_ctx ctx;
	uint8_t ni[44], ip6[16], spi[8], cookie[IKE_COOKIE_LEN];

	(void)state;
	assert_int_equal(ike_cookie_init(&ctx), 0);
	tlib_rand_bytes(ni, 32);
	tlib_rand_bytes(ip6, 16);
	tlib_rand_bytes(spi, 8);
	assert_int_equal(ike_cookie_make(&ctx, ni, 32, ip6, 16, spi, cookie), 0);
	assert_int_equal(ike_cookie_verify(&ctx, cookie, sizeof(cookie), ni, 32, ip6, 16, spi), 0);
	/* Ni' = Ni | the first 12 octets of the IPv6 address, sent from the
	 * IPv4 address made of its last 4: the same octets, another peer */
	memcpy(ni + 32, ip6, 12);
	assert_int_not_equal(ike_cookie_verify(&ctx, cookie, sizeof(cookie), ni, 44,
					       ip6 + 12, 4, spi), 0);
	ike_cookie_wipe(&ctx);
}

/* ---- limits on what an authenticated peer can hold ---- */

static void test_child_limit(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	static char extra[2048];
	size_t l = 0;

	(void)state;
	for (int i = 2; i <= 5; i++)
		l += (size_t)snprintf(extra + l, sizeof(extra) - l,
				      "      - name: lan%d\n"
				      "        local_ts: [10.1.%d.0/24]\n"
				      "        remote_ts: [10.2.%d.0/24]\n"
				      "        rekey_time: 100s\n        rand_time: 0\n", i, i, i);
	s.child_a = extra;
	s.conn_b = "    max_child_sas: 3\n";
	pr = up(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "lan2"), 0);
	ikepair_pump(&pr->net, 60);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "lan3"), 0);
	ikepair_pump(&pr->net, 60);
	assert_int_equal(count_installed(&pr->b), 3);
	/* the fourth is refused with NO_ADDITIONAL_SAS */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "lan4"), 0);
	ikepair_pump(&pr->net, 60);
	assert_int_equal(count_installed(&pr->b), 3);
	assert_int_equal(count_installed(&pr->a), 3);
	assert_int_equal(pr->b.mgr->st.child_sa_limit, 1);
	/* rekeys at the limit still work: a replaced SA does not count */
	ikepair_advance(pr, 100, 400);
	ikepair_advance(pr, 11, 200);
	assert_int_equal(pr->a.mgr->st.child_rekeys, 2);
	assert_int_equal(count_installed(&pr->b), 3);
	ikepair_free(pr);
}

/* Another IKE SA of A's connection, as a peer that keeps opening them. */
static void extra_ike_sa(struct ikepair *pr)
{
	struct ikesa *sa = ike_sa_new(pr->a.mgr, true);

	assert_non_null(sa);
	sa->conn = &pr->a.cfg->conns[0];
	snprintf(sa->conn_name, sizeof(sa->conn_name), "%s", sa->conn->name);
	assert_int_equal(ike_init_start(sa), 0);
	ikepair_pump(&pr->net, 60);
}

static void test_ike_limit(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.conn_b = "    max_ike_sas_per_peer: 3\n";
	pr = up(&s);
	extra_ike_sa(pr);
	extra_ike_sa(pr);
	assert_int_equal(ikepair_count_sas(&pr->b), 3);
	ipx_log_set_level(IPX_LOG_ERR);
	extra_ike_sa(pr);
	ipx_log_set_level(IPX_LOG_INFO);
	assert_int_equal(ikepair_count_sas(&pr->b), 3);
	assert_int_equal(pr->b.mgr->st.ike_sa_limit, 1);
	/* the IKE SAs in place are untouched, and may still be rekeyed */
	assert_int_equal(ike_mgr_rekey(pr->a.mgr, "to-b", NULL, true, false), 3);
	ikepair_pump(&pr->net, 200);
	assert_int_equal(pr->b.mgr->st.ike_rekeys, 3);
	assert_int_equal(ikepair_count_sas(&pr->b), 3);
	ikepair_free(pr);
}

/* ---- the SA tables doubling with SAs filed by peer ---- */

/* A peer's SAs filed before the tables double are found by peer after it,
 * and unfiled when they go: the tables grew without telling the SAs their
 * new bucket, and an SA freed later stayed in a chain (found by ASan at
 * 5,000 tunnels: a heap use-after-free in ike_peer_next). */
static void test_table_grow(void **state)
{
	struct ikepair *pr = up(&ikepair_defaults);
	struct ike_mgr *b = pr->b.mgr;
	unsigned mask = b->hash_mask, n = 0;
	struct ikesa **fake = calloc(8192, sizeof(*fake));
	struct ikesa *e = ikepair_established(&pr->b), *o;

	(void)state;
	assert_non_null(fake);
	assert_non_null(e);
	assert_true(ike_table_check(b));
	while (b->hash_mask == mask && n < 8192) {
		struct ikesa *sa = ike_sa_new(b, false);
		char id[32];

		assert_non_null(sa);
		snprintf(sa->conn_name, sizeof(sa->conn_name), "fake%u", n % 64);
		snprintf(id, sizeof(id), "peer%u.example", n);
		assert_int_equal(ike_peer_id_set(&sa->peer_id, IKEV2_ID_FQDN, (const uint8_t *)id,
						 strlen(id), id), 0);
		ike_sa_peer_file(sa);
		tlib_rand_bytes(sa->spi_r, sizeof(sa->spi_r));
		ike_sa_rehash(sa);   /* filing by SPI is what grows the tables */
		fake[n++] = sa;
	}
	assert_int_not_equal(b->hash_mask, mask);
	assert_true(ike_table_check(b));
	for (o = ike_peer_first(e); o && o != e; o = o->pnext)
		;
	assert_ptr_equal(o, e);
	while (n)
		ike_sa_destroy(fake[--n]);
	assert_true(ike_table_check(b));
	/* the real one goes too (its peer's chain holds nothing freed) */
	ike_sa_destroy(e);
	assert_true(ike_table_check(b));
	free(fake);
	ikepair_free(pr);
}

/* ---- connection selection in IKE_AUTH ---- */

/* B: from-a (A's address, identity a.example) and after it the
 * connections in more; A presents identity id. */
static struct ikepair *escape_try(const char *id, const char *more)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	s.id_a = id;
	s.child_b = more;
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 60);
	return pr;
}

static void test_conn_escape(void **state)
{
	static const char *other_addr =
		"  - name: other\n"
		"    remote_addrs: [192.0.2.99]\n"
		"    local: {id: b.example}\n"
		"    remote: {id: x.example}\n"
		"    psk: \"0123456789abcdef0123456789abcdef\"\n"
		"    proposals: [aes256gcm16-prfsha256-x25519]\n"
		"    children:\n"
		"      - name: all\n"
		"        local_ts: [0.0.0.0/0]\n"
		"        remote_ts: [0.0.0.0/0]\n";
	static const char *other_prop =
		"  - name: other\n"
		"    local: {id: b.example}\n"
		"    remote: {id: x.example}\n"
		"    psk: \"0123456789abcdef0123456789abcdef\"\n"
		"    proposals: [aes128gcm16-prfsha256-ecp256]\n"
		"    children:\n"
		"      - name: all\n"
		"        local_ts: [0.0.0.0/0]\n"
		"        remote_ts: [0.0.0.0/0]\n";
	static const char *other_ok =
		"  - name: other\n"
		"    local: {id: b.example}\n"
		"    remote: {id: x.example}\n"
		"    psk: \"0123456789abcdef0123456789abcdef\"\n"
		"    proposals: [aes128gcm16-prfsha256-ecp256, aes256gcm16-prfsha256-x25519]\n"
		"    children:\n"
		"      - name: all\n"
		"        local_ts: [10.2.0.0/16]\n"
		"        remote_ts: [10.1.0.0/16]\n";
	struct ikepair *pr;
	struct ikesa *b;

	(void)state;
	/* admitted by address under from-a, A claims other's identity:
	 * other does not admit 192.0.2.1 */
	pr = escape_try("x.example", other_addr);
	assert_null(ikepair_established(&pr->b));
	assert_null(ikepair_established(&pr->a));
	assert_int_equal(pr->b.mgr->st.rx_auth_failed, 1);
	ikepair_free(pr);
	/* other admits any address but not the negotiated proposal */
	pr = escape_try("x.example", other_prop);
	assert_null(ikepair_established(&pr->b));
	assert_int_equal(pr->b.mgr->st.rx_auth_failed, 1);
	ikepair_free(pr);
	/* one that admits both: the switch is allowed */
	pr = escape_try("x.example", other_ok);
	b = ikepair_established(&pr->b);
	assert_non_null(b);
	assert_string_equal(b->conn_name, "other");
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
	/* and with A's own identity nothing moves */
	pr = escape_try("a.example", other_ok);
	b = ikepair_established(&pr->b);
	assert_non_null(b);
	assert_string_equal(b->conn_name, "from-a");
	ikepair_free(pr);
}

/* ---- siblings ---- */

static void test_second_auth(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ike_msg *m = malloc(sizeof(*m));
	struct ikesa *a, *b;
	uint8_t buf[2048];
	size_t len;

	(void)state;
	assert_non_null(m);
	pr = up(&s);
	a = ikepair_established(&pr->a);
	b = ikepair_established(&pr->b);
	/* the authenticated peer sends IKE_AUTH again, as its next request */
	ike_msg_start(a, m, IKEV2_EXCH_IKE_AUTH, false, a->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_msg_add_notify(m, true, IKEV2_PROTO_NONE, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	len = ikepair_forge(a, m, buf, sizeof(buf));
	a->req_next++;
	ike_mgr_input(pr->b.mgr, buf, len, &pr->b.addr, &pr->a.addr, false);
	/* answered (INVALID_SYNTAX), not acted on */
	assert_int_equal(pr->net.n, 1);
	assert_true(ikepair_is_response(&pr->net.q[0]));
	assert_int_equal(pr->b.mgr->st.rx_out_of_state, 1);
	assert_ptr_equal(ikepair_established(&pr->b), b);
	pr->net.n = 0;
	/* and the window goes on */
	assert_int_equal(ike_info_liveness(a), 0);
	ikepair_pump(&pr->net, 20);
	assert_null(a->out.w.buf);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
	free(m);
}

static void test_orphaned_replaced(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	struct ikesa *old, *n;

	(void)state;
	pr = up(&s);
	ikepair_drop_requests(pr, &pr->a, IKEV2_EXCH_INFORMATIONAL);   /* A's Delete of the old SA */
	old = ikepair_established(&pr->b);
	assert_int_equal(ike_mgr_rekey(pr->a.mgr, "to-b", NULL, true, false), 1);
	ikepair_pump(&pr->net, 20);
	n = ikepair_established(&pr->b);
	assert_ptr_not_equal(n, old);
	assert_ptr_equal(old->rekeyed_by, n);
	/* the successor goes (as after a failure): the old one must not
	 * count as a live IKE SA again */
	ipx_log_set_level(IPX_LOG_ERR);
	ike_sa_destroy(n);
	assert_null(old->rekeyed_by);
	assert_null(ikepair_established(&pr->b));
	assert_null(ike_mgr_find_conn_established(pr->b.mgr, "from-a", NULL));
	/* and it is deleted like any replaced SA the peer did not delete */
	ikepair_drop_requests(pr, NULL, 0);
	ikepair_advance(pr, 11, 50);
	for (int i = 0; i < 50 && ikepair_count_sas(&pr->b) > 0; i++)
		ikepair_pump(&pr->net, 100);
	ipx_log_set_level(IPX_LOG_INFO);
	assert_int_equal(ikepair_count_sas(&pr->b), 0);
	assert_int_equal(pr->b.mgr->st.rekeyed_deleted, 1);
	ikepair_free(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_twice),
		cmocka_unit_test(test_reload_half_open),
		cmocka_unit_test(test_reload_rekey),
		cmocka_unit_test(test_half_open_requests),
		cmocka_unit_test(test_half_open_source),
		cmocka_unit_test(test_flood_guard),
		cmocka_unit_test(test_flood_guard_filter),
		cmocka_unit_test(test_forged_request),
		cmocka_unit_test(test_rekeyed_reaped),
		cmocka_unit_test(test_cookie_framing),
		cmocka_unit_test(test_child_limit),
		cmocka_unit_test(test_ike_limit),
		cmocka_unit_test(test_table_grow),
		cmocka_unit_test(test_conn_escape),
		cmocka_unit_test(test_second_auth),
		cmocka_unit_test(test_orphaned_replaced),
	};

	ipx_log_set_level(IPX_LOG_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
