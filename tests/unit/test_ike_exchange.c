/*
 * Two IKE managers in one process, wired to each other by a fake network
 * (as strongSwan's exchange_test_helper does): IKE_SA_INIT and IKE_AUTH
 * with PSK both ways, the Child SA's ESP SAs interoperating through the two
 * engines, INVALID_KE_PAYLOAD and the retry, wrong PSKs, no common
 * proposal, traffic selector narrowing, lost and duplicated datagrams,
 * deletes, and every truncation of real messages thrown at a responder.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ikepair.h"

static void test_psk_tunnel(void **state)
{
	struct ikepair *pr = ikepair_new(&ikepair_defaults);
	struct ikesa *sa;

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	sa = ikepair_established(&pr->a);
	assert_non_null(sa);
	assert_non_null(ikepair_established(&pr->b));
	assert_true(sa->initiator);
	/* no NAT between them (2.23), so no UDP encapsulation */
	assert_false(sa->nat_here || sa->nat_there || sa->natt);
	assert_false(ikepair_established(&pr->b)->nat_here || ikepair_established(&pr->b)->nat_there);
	assert_string_equal(sa->peer_id.text, "b.example");
	assert_string_equal(ikepair_established(&pr->b)->peer_id.text, "a.example");
	assert_int_equal(pr->a.children_up, 1);
	assert_int_equal(pr->b.children_up, 1);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	/* four messages, nothing retransmitted */
	assert_int_equal(pr->net.sent, 4);
	/* list-sas shows both */
	{
		json_t *l = ike_mgr_list(pr->a.mgr);
		json_t *o = json_array_get(l, 0);

		assert_string_equal(json_string_value(json_object_get(o, "state")), "established");
		assert_int_equal(json_array_size(json_object_get(o, "children")), 1);
		json_decref(l);
	}
	/* delete from A: both sides clean */
	assert_int_equal(ike_mgr_terminate(pr->a.mgr, "to-b"), 1);
	ikepair_pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_int_equal(pr->a.children_down, 1);
	assert_int_equal(pr->b.children_down, 1);
	ikepair_free(pr);
}

/* 2.23: a NAT in front of the initiator is detected by both, both move
 * to port 4500, ESP goes in UDP; and encap: true forces the same. */
static void test_nat_detection(void **state)
{
	(void)state;
	for (int forced = 0; forced < 2; forced++) {
		struct ikepair_setup s = ikepair_defaults;
		struct ikepair *pr;
		struct ikesa *a, *b;

		s.encap_a = forced ? "true" : "false";
		pr = ikepair_new(&s);
		pr->net.nat = !forced;
		/* B answers the NAT's address: accept it as A's */
		if (!forced) {
			const char *p = "198.51.100.9";
			struct sockaddr_in *r = (struct sockaddr_in *)&pr->b.cfg->conns[0].remote_addrs[0];

			inet_pton(AF_INET, p, &r->sin_addr);
		}
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		ikepair_pump(&pr->net, 60);
		a = ikepair_established(&pr->a);
		b = ikepair_established(&pr->b);
		assert_non_null(a);
		assert_non_null(b);
		if (forced) {
			assert_false(a->nat_here);
			assert_true(b->nat_there);  /* the faked hash */
		} else {
			assert_true(a->nat_here);
			assert_true(b->nat_there);
			assert_int_equal(ike_port(&b->remote), 14500);
		}
		assert_true(a->natt && b->natt);
		assert_int_equal(ike_port(&a->local), 4500);
		assert_int_equal(ike_port(&a->remote), 4500);
		/* ESP in UDP: the packet leaves with a UDP header to 4500 */
		{
			struct child_sa *c = pr->a.last_child;
			uint8_t inner[100];
			struct ipx_pkt pk;

			tlib_ip_packet(inner, 100, 0, 6);
			pk = te_pkt(inner, 100);
			assert_int_equal(te_encrypt(pr->a.eng, c->eng_out, &pk), IPX_ST_OK);
			assert_int_equal(te_data(&pk)[9], 17);
			assert_int_equal(ipx_ld16(te_data(&pk) + 22), 4500);
			te_reset();
		}
		ikepair_check_traffic(&pr->a, &pr->b);
		ikepair_check_traffic(&pr->b, &pr->a);
		ikepair_free(pr);
	}
}

static void test_cbc_and_narrowing(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	char t[96];

	(void)state;
	s.ike_a = s.ike_b = "aes256-sha256-modp2048";
	s.esp_a = s.esp_b = "aes128-sha256";
	s.lts_a = "10.1.0.0/16";
	s.rts_a = "10.0.0.0/8";       /* A asks for more */
	s.lts_b = "10.2.0.0/16";      /* B narrows to what it has */
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(pr->a.last_child);
	assert_int_equal(pr->a.last_child->n_ts_r, 1);
	assert_string_equal(ike_ts_str(&pr->a.last_child->ts_r[0], t, sizeof(t)), "10.2.0.0/16");
	assert_int_equal(ike_child_engine_cipher(&pr->a.last_child->prop), IPX_CIPHER_AES128_SHA256);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
}

static void test_invalid_ke(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.ike_a = "aes256gcm16-prfsha256-x25519-ecp256";
	s.ike_b = "aes256gcm16-prfsha256-ecp256";
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	assert_int_equal(ikepair_established(&pr->a)->prop.dh, IKEV2_DH_ECP256);
	/* INIT, INVALID_KE, INIT again, answer, AUTH pair */
	assert_int_equal(pr->net.sent, 6);
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
}

static void test_wrong_psk(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.psk_b = "this is not the same secret at all";
	pr = ikepair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_non_null(strstr(tlib_log_text(), "192.0.2.1[500]: peer identity a.example: AUTH does not verify"));
	assert_non_null(strstr(tlib_log_text(), "AUTHENTICATION_FAILED"));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	tlib_log_capture(0);
	ikepair_free(pr);
}

static void test_no_proposal(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.ike_a = "aes128-sha256-modp2048";
	s.ike_b = "aes256gcm16-prfsha384-ecp384";
	pr = ikepair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_non_null(strstr(tlib_log_text(), "NO_PROPOSAL_CHOSEN"));
	tlib_log_capture(0);
	ikepair_free(pr);
}

static void test_child_no_proposal(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.esp_a = "aes128gcm16";
	s.esp_b = "aes256-sha256";
	pr = ikepair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	/* 1.2: the IKE SA stands, the child does not */
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	assert_non_null(strstr(tlib_log_text(), "NO_PROPOSAL_CHOSEN"));
	tlib_log_capture(0);
	ikepair_free(pr);
}

static void test_ts_unacceptable(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.rts_a = "172.16.0.0/12";
	pr = ikepair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	assert_non_null(strstr(tlib_log_text(), "TS_UNACCEPTABLE"));
	tlib_log_capture(0);
	ikepair_free(pr);
}

static void test_loss_and_duplicates(void **state)
{
	struct ikepair *pr = ikepair_new(&ikepair_defaults);

	(void)state;
	tlib_srand(11);
	/* the first INIT request and, later, 30% of everything */
	pr->net.drop_first = 1;
	pr->net.drop_pct = 30;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 2000);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	assert_true(pr->a.mgr->st.retransmits > 0);
	ikepair_check_traffic(&pr->a, &pr->b);
	/* a duplicated IKE_AUTH request is answered from the cache, once
	 * more, and changes nothing */
	{
		struct ikepair_dgram *auth = NULL;
		uint64_t resent = pr->b.mgr->st.responses_resent;

		for (unsigned i = 0; i < pr->net.n_log; i++)
			if (pr->net.log[i].buf[18] == IKEV2_EXCH_IKE_AUTH &&
			    !(pr->net.log[i].buf[19] & IKEV2_FLAG_RESPONSE))
				auth = &pr->net.log[i];
		assert_non_null(auth);
		pr->net.drop_pct = 0;
		ike_mgr_input(pr->b.mgr, auth->buf, auth->len, &auth->to, &auth->from, auth->natt);
		assert_int_equal(pr->b.mgr->st.responses_resent, resent + 1);
		assert_int_equal(pr->b.children_up, 1);
	}
	ikepair_free(pr);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ipsecfx terminate with the peer gone: our Delete goes unanswered, the
 * IKE SA is removed after the last retransmission, and the connection
 * stays down (it is not "tried again" like a set-up that timed out) */
static void test_terminate_unanswered(void **state)
{
	struct ikepair *pr = ikepair_new(&ikepair_defaults);
	const char *why = "no answer to INFORMATIONAL after 4 transmissions; IKE SA removed";

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	pr->a.mgr->rtx_tries = 3;
	pr->net.drop_pct = 100;
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_terminate(pr->a.mgr, "to-b"), 1);
	for (int i = 0; i < 1000 && !strstr(tlib_log_text(), why); i++)
		ikepair_pump(&pr->net, 5);
	assert_non_null(strstr(tlib_log_text(), why));
	assert_null(strstr(tlib_log_text(), "trying again"));
	assert_null(pr->a.mgr->all);
	assert_int_equal(pr->a.children_down, 1);
	ikepair_advance(pr, 3, 50);
	ikepair_advance(pr, 10, 50);
	assert_null(strstr(tlib_log_text(), "initiating"));
	tlib_log_capture(0);
	assert_null(pr->a.mgr->all);
	ikepair_free(pr);
}

/* retransmit_limit caps each wait of the back-off: with 20 ms, x4 and
 * 6 retransmissions the last wait alone would be 82 s; capped at 40 ms the
 * set-up is given up after 20 + 40 x 6 = 260 ms, all 7 requests sent */
static void test_retransmit_limit(void **state)
{
	struct ikepair *pr = ikepair_new(&ikepair_defaults);
	struct ike_mgr *m = pr->a.mgr;
	const char *why = "no answer to IKE_SA_INIT after 7 transmissions";
	double t0, took;

	(void)state;
	m->rtx_ms = 20;
	m->rtx_base = 4;
	m->rtx_tries = 6;
	m->rtx_limit_ms = 0;
	assert_true(ike_rtx_wait_ms(m, 1) == 20);
	assert_true(ike_rtx_wait_ms(m, 2) == 80);
	assert_true(ike_rtx_wait_ms(m, 7) == 20 * 4096);
	m->rtx_limit_ms = 40;
	assert_true(ike_rtx_wait_ms(m, 1) == 20);
	assert_true(ike_rtx_wait_ms(m, 2) == 40);
	assert_true(ike_rtx_wait_ms(m, 7) == 40);
	assert_true(ike_rtx_wait_ms(m, 100000) == 40);

	pr->net.drop_pct = 100;
	tlib_log_capture(1);
	t0 = now_ms();
	assert_int_equal(ike_mgr_initiate(m, "to-b", NULL), 0);
	while (!strstr(tlib_log_text(), why) && now_ms() - t0 < 5000)
		ikepair_pump(&pr->net, 1);
	took = now_ms() - t0;
	assert_non_null(strstr(tlib_log_text(), why));
	tlib_log_capture(0);
	assert_int_equal(pr->net.sent, 7);
	assert_int_equal(m->st.retransmits, 6);
	assert_true(took >= 250);
	assert_null(ikepair_established(&pr->a));
	ikepair_free(pr);
}

/* Every truncation and some bit flips of the real INIT and AUTH requests
 * thrown at an established responder: no crash, nothing established is
 * lost. */
static void test_truncated_messages(void **state)
{
	struct ikepair *pr = ikepair_new(&ikepair_defaults);
	struct ikepair_dgram saved[4];
	unsigned n_saved = 0;

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->b));
	for (unsigned i = 0; i < pr->net.n_log && n_saved < 4; i++)
		saved[n_saved++] = pr->net.log[i];
	ipx_log_set_level(IPX_LOG_ERR);
	for (unsigned k = 0; k < n_saved; k++) {
		struct ikepair_dgram *d = &saved[k];
		struct ikepair_peer *to = ikepair_same_addr(&d->to, &pr->b.addr) ? &pr->b : &pr->a;

		for (size_t l = 0; l < d->len; l++) {
			uint8_t copy[4096];

			memcpy(copy, d->buf, d->len);
			ike_mgr_input(to->mgr, copy, l, &d->to, &d->from, false);
			copy[l] ^= 0x40;
			ike_mgr_input(to->mgr, copy, d->len, &d->to, &d->from, false);
		}
	}
	pr->net.n = 0;  /* answers to garbage go nowhere */
	ipx_log_set_level(IPX_LOG_INFO);
	assert_true(pr->b.mgr->st.rx_bad + pr->b.mgr->st.rx_unknown_spi +
		    pr->b.mgr->st.rx_bad_msgid + pr->b.mgr->st.rx_auth_failed > 100);
	assert_non_null(ikepair_established(&pr->a));
	assert_non_null(ikepair_established(&pr->b));
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_check_traffic(&pr->b, &pr->a);
	ikepair_free(pr);
}

/* Every transform the configuration accepts is negotiated and carries
 * traffic: each IKE keyword once (with PSK AUTH, the IKE SA's encryption
 * and a Child SA over it), each ESP keyword once through the engine.
 * The configuration refuses the rest (test_config.c). */
static void test_every_transform(void **state)
{
	static const char *const ike[] = {
		"aes128-sha1-prfsha1-modp2048", "aes192-sha256-modp3072",
		"aes256-sha384-modp4096", "aes128-sha512-ecp256",
		"aes128gcm16-prfsha256-ecp384", "aes192gcm16-prfsha384-ecp521",
		"aes256gcm16-prfsha512-x25519", "chacha20poly1305-prfsha256-curve25519",
	};
	static const char *const esp[] = {
		"aes128gcm16", "aes192gcm16", "aes256gcm16-esn", "chacha20poly1305",
		"aes128-sha256", "aes256-sha256-noesn",
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(ike) / sizeof(ike[0]) + sizeof(esp) / sizeof(esp[0]); i++) {
		struct ikepair_setup s = ikepair_defaults;
		struct ikepair *pr;
		bool is_ike = i < sizeof(ike) / sizeof(ike[0]);

		if (is_ike)
			s.ike_a = s.ike_b = ike[i];
		else
			s.esp_a = s.esp_b = esp[i - sizeof(ike) / sizeof(ike[0])];
		pr = ikepair_new(&s);
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		ikepair_pump(&pr->net, 60);
		if (!ikepair_established(&pr->a) || pr->a.children_up != 1)
			fail_msg("%s %s: not up", is_ike ? "IKE" : "ESP", is_ike ? s.ike_a : s.esp_a);
		ikepair_check_traffic(&pr->a, &pr->b);
		ikepair_check_traffic(&pr->b, &pr->a);
		/* and an exchange under the IKE SA's keys both ways */
		assert_int_equal(ike_info_liveness(ikepair_established(&pr->a)), 0);
		assert_int_equal(ike_info_liveness(ikepair_established(&pr->b)), 0);
		ikepair_pump(&pr->net, 20);
		assert_null(ikepair_established(&pr->a)->out.w.buf);
		assert_null(ikepair_established(&pr->b)->out.w.buf);
		ikepair_free(pr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psk_tunnel),
		cmocka_unit_test(test_nat_detection),
		cmocka_unit_test(test_cbc_and_narrowing),
		cmocka_unit_test(test_invalid_ke),
		cmocka_unit_test(test_wrong_psk),
		cmocka_unit_test(test_no_proposal),
		cmocka_unit_test(test_child_no_proposal),
		cmocka_unit_test(test_ts_unacceptable),
		cmocka_unit_test(test_loss_and_duplicates),
		cmocka_unit_test(test_retransmit_limit),
		cmocka_unit_test(test_terminate_unanswered),
		cmocka_unit_test(test_truncated_messages),
		cmocka_unit_test(test_every_transform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
