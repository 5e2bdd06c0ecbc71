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
#include <unistd.h>

#include <event2/event.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "../../host/ike/ike_sa.h"
#include "tengine.h"

#define MAX_Q 256

struct dgram {
	struct sockaddr_storage from, to;
	bool natt;
	size_t len;
	uint8_t buf[4096];
};

struct peer;

struct net {
	struct dgram q[MAX_Q];
	unsigned n;
	unsigned drop_first;   /* drop this many datagrams */
	unsigned drop_pct;     /* then drop this share at random */
	bool nat;              /* A sits behind a NAT (198.51.100.9, ports + 10000) */
	unsigned sent, dropped;
	struct dgram log[64];  /* the first datagrams seen, for replays */
	unsigned n_log;
	struct peer *peers[2];
};

struct peer {
	struct net *net;
	struct event_base *base;
	struct ipx_engine *eng;
	struct ike_mgr *mgr;
	struct cfg *cfg;
	struct sockaddr_storage addr;
	unsigned children_up, children_down;
	struct child_sa *last_child;
};

static int net_send(void *ctx, const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote, bool natt,
		    const uint8_t *buf, size_t len)
{
	struct peer *p = ctx;
	struct net *n = p->net;
	struct dgram *d;

	n->sent++;
	if (n->n_log < 64 && len <= sizeof(n->log[0].buf)) {
		d = &n->log[n->n_log++];
		d->from = *local;
		d->to = *remote;
		d->natt = natt;
		d->len = len;
		memcpy(d->buf, buf, len);
	}
	if (n->drop_first) {
		n->drop_first--;
		n->dropped++;
		return 0;
	}
	if (n->drop_pct && (unsigned)(tlib_rand() % 100) < n->drop_pct) {
		n->dropped++;
		return 0;
	}
	if (n->n == MAX_Q || len > sizeof(n->q[0].buf))
		return -1;
	d = &n->q[n->n++];
	d->from = *local;
	d->to = *remote;
	if (n->nat && p == n->peers[0]) {
		/* source NAT on the way out of A */
		struct sockaddr_in *f = (struct sockaddr_in *)&d->from;

		inet_pton(AF_INET, "198.51.100.9", &f->sin_addr);
		f->sin_port = htons((uint16_t)(ntohs(f->sin_port) + 10000));
	} else if (n->nat) {
		/* and back in */
		struct sockaddr_in *t = (struct sockaddr_in *)&d->to;

		inet_pton(AF_INET, "192.0.2.1", &t->sin_addr);
		t->sin_port = htons((uint16_t)(ntohs(t->sin_port) - 10000));
	}
	d->natt = natt;
	d->len = len;
	memcpy(d->buf, buf, len);
	return 0;
}

static int child_up(void *ctx, struct child_sa *c)
{
	struct peer *p = ctx;

	p->children_up++;
	p->last_child = c;
	return 0;
}

static void child_down(void *ctx, struct child_sa *c)
{
	struct peer *p = ctx;

	(void)c;
	p->children_down++;
	p->last_child = NULL;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

	return a->ss_family == b->ss_family && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* Deliver queued datagrams and run timers until nothing moves. */
static void pump(struct net *n, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		struct dgram d;

		event_base_loop(n->peers[0]->base, EVLOOP_NONBLOCK);
		if (!n->n) {
			usleep(2000);
			continue;
		}
		d = n->q[0];
		memmove(&n->q[0], &n->q[1], (n->n - 1) * sizeof(n->q[0]));
		n->n--;
		for (int i = 0; i < 2; i++)
			if (same_addr(&n->peers[i]->addr, &d.to)) {
				struct sockaddr_storage to = d.to;

				ike_mgr_input(n->peers[i]->mgr, d.buf, d.len, &to, &d.from, d.natt);
			}
	}
}

static void write_cfg(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(body, f);
	fclose(f);
}

static const char *cfg_a =
	"connections:\n"
	"  - name: to-b\n"
	"    local_addrs: [192.0.2.1]\n"
	"    remote_addrs: [192.0.2.2]\n"
	"    local: {id: a.example}\n"
	"    remote: {id: b.example}\n"
	"    psk: \"%s\"\n"
	"    proposals: [%s]\n"
	"    encap: %s\n"
	"    children:\n"
	"      - name: lan\n"
	"        local_ts: [%s]\n"
	"        remote_ts: [%s]\n"
	"        esp_proposals: [%s]\n";

static const char *cfg_b =
	"connections:\n"
	"  - name: from-a\n"
	"    local_addrs: [192.0.2.2]\n"
	"    remote_addrs: [192.0.2.1]\n"
	"    local: {id: b.example}\n"
	"    remote: {id: a.example}\n"
	"    psk: \"%s\"\n"
	"    proposals: [%s]\n"
	"    encap: %s\n"
	"    children:\n"
	"      - name: lan\n"
	"        local_ts: [%s]\n"
	"        remote_ts: [%s]\n"
	"        esp_proposals: [%s]\n";

struct setup {
	const char *psk_a, *psk_b;
	const char *ike_a, *ike_b;
	const char *esp_a, *esp_b;
	const char *lts_a, *rts_a, *lts_b, *rts_b;
	const char *encap_a;
};

static const struct setup defaults = {
	"0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef",
	"aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-x25519",
	"aes256gcm16", "aes256gcm16",
	"10.1.0.0/16", "10.2.0.0/16", "10.2.0.0/16", "10.1.0.0/16",
	"false",
};

static void peer_init(struct peer *p, struct net *n, struct event_base *base,
		      const char *fmt, const struct setup *s, bool is_a)
{
	char body[2048], path[64];
	struct ike_io io = { .ctx = p, .send = net_send, .child_up = child_up,
			     .child_down = child_down };
	struct sockaddr_in *in = (struct sockaddr_in *)&p->addr;

	memset(p, 0, sizeof(*p));
	p->net = n;
	p->base = base;
	snprintf(body, sizeof(body), fmt, is_a ? s->psk_a : s->psk_b,
		 is_a ? s->ike_a : s->ike_b, is_a ? s->encap_a : "false",
		 is_a ? s->lts_a : s->lts_b,
		 is_a ? s->rts_a : s->rts_b, is_a ? s->esp_a : s->esp_b);
	snprintf(path, sizeof(path), "/tmp/ipsecfx-ike-%d-%c.yaml", (int)getpid(), is_a ? 'a' : 'b');
	write_cfg(path, body);
	assert_int_equal(cfg_load(path, &p->cfg), 0);
	unlink(path);
	p->eng = te_open_named("soft", false);
	p->mgr = ike_mgr_new(base, p->eng, &io, p->cfg);
	assert_non_null(p->mgr);
	p->mgr->rtx_ms = 30;      /* fast retransmission for tests */
	p->mgr->rtx_base = 1.5;
	p->mgr->rtx_tries = 8;
	in->sin_family = AF_INET;
	inet_pton(AF_INET, is_a ? "192.0.2.1" : "192.0.2.2", &in->sin_addr);
	in->sin_port = htons(500);
}

static void peer_free(struct peer *p)
{
	ike_mgr_free(p->mgr);
	ipx_engine_close(p->eng);
	cfg_free(p->cfg);
}

struct pair {
	struct net net;
	struct event_base *base;
	struct peer a, b;
};

static struct pair *pair_new(const struct setup *s)
{
	struct pair *pr = calloc(1, sizeof(*pr));

	assert_non_null(pr);
	pr->base = event_base_new();
	peer_init(&pr->a, &pr->net, pr->base, cfg_a, s, true);
	peer_init(&pr->b, &pr->net, pr->base, cfg_b, s, false);
	pr->net.peers[0] = &pr->a;
	pr->net.peers[1] = &pr->b;
	return pr;
}

static void pair_free(struct pair *pr)
{
	peer_free(&pr->a);
	peer_free(&pr->b);
	event_base_free(pr->base);
	free(pr);
}

static struct ikesa *established(struct peer *p)
{
	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		if (sa->state == IKE_ESTABLISHED)
			return sa;
	return NULL;
}

/* A packet from A's protected side through A's out SA into B's in SA. */
static void check_traffic(struct peer *from, struct peer *to)
{
	struct child_sa *cf = from->last_child, *ct = to->last_child;
	uint8_t inner[200];
	struct ipx_pkt pk;

	assert_non_null(cf);
	assert_non_null(ct);
	assert_int_equal(cf->spi_out, ct->spi_in);
	tlib_ip_packet(inner, 200, 0, 17);
	pk = te_pkt(inner, 200);
	assert_int_equal(te_encrypt(from->eng, cf->eng_out, &pk), IPX_ST_OK);
	assert_int_equal(te_decrypt(to->eng, &pk), IPX_ST_OK);
	assert_int_equal(pk.sa, ct->eng_in);
	assert_memory_equal(te_data(&pk), inner, 200);
	te_reset();
}

static void test_psk_tunnel(void **state)
{
	struct pair *pr = pair_new(&defaults);
	struct ikesa *sa;

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	sa = established(&pr->a);
	assert_non_null(sa);
	assert_non_null(established(&pr->b));
	assert_true(sa->initiator);
	/* no NAT between them (2.23), so no UDP encapsulation */
	assert_false(sa->nat_here || sa->nat_there || sa->natt);
	assert_false(established(&pr->b)->nat_here || established(&pr->b)->nat_there);
	assert_string_equal(sa->peer_id.text, "b.example");
	assert_string_equal(established(&pr->b)->peer_id.text, "a.example");
	assert_int_equal(pr->a.children_up, 1);
	assert_int_equal(pr->b.children_up, 1);
	check_traffic(&pr->a, &pr->b);
	check_traffic(&pr->b, &pr->a);
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
	pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_int_equal(pr->a.children_down, 1);
	assert_int_equal(pr->b.children_down, 1);
	pair_free(pr);
}

/* 2.23: a NAT in front of the initiator is detected by both, both move
 * to port 4500, ESP goes in UDP; and encap: true forces the same. */
static void test_nat_detection(void **state)
{
	(void)state;
	for (int forced = 0; forced < 2; forced++) {
		struct setup s = defaults;
		struct pair *pr;
		struct ikesa *a, *b;

		s.encap_a = forced ? "true" : "false";
		pr = pair_new(&s);
		pr->net.nat = !forced;
		/* B answers the NAT's address: accept it as A's */
		if (!forced) {
			const char *p = "198.51.100.9";
			struct sockaddr_in *r = (struct sockaddr_in *)&pr->b.cfg->conns[0].remote_addrs[0];

			inet_pton(AF_INET, p, &r->sin_addr);
		}
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		pump(&pr->net, 60);
		a = established(&pr->a);
		b = established(&pr->b);
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
		check_traffic(&pr->a, &pr->b);
		check_traffic(&pr->b, &pr->a);
		pair_free(pr);
	}
}

static void test_cbc_and_narrowing(void **state)
{
	struct setup s = defaults;
	struct pair *pr;
	char t[96];

	(void)state;
	s.ike_a = s.ike_b = "aes256-sha256-modp2048";
	s.esp_a = s.esp_b = "aes128-sha256";
	s.lts_a = "10.1.0.0/16";
	s.rts_a = "10.0.0.0/8";       /* A asks for more */
	s.lts_b = "10.2.0.0/16";      /* B narrows to what it has */
	pr = pair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_non_null(established(&pr->a));
	assert_non_null(pr->a.last_child);
	assert_int_equal(pr->a.last_child->n_ts_r, 1);
	assert_string_equal(cfg_ts_str(&pr->a.last_child->ts_r[0], t, sizeof(t)), "10.2.0.0/16");
	assert_int_equal(ike_child_engine_cipher(&pr->a.last_child->prop), IPX_CIPHER_AES128_SHA256);
	check_traffic(&pr->a, &pr->b);
	pair_free(pr);
}

static void test_invalid_ke(void **state)
{
	struct setup s = defaults;
	struct pair *pr;

	(void)state;
	s.ike_a = "aes256gcm16-prfsha256-x25519-ecp256";
	s.ike_b = "aes256gcm16-prfsha256-ecp256";
	pr = pair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_non_null(established(&pr->a));
	assert_int_equal(established(&pr->a)->prop.dh, IKEV2_DH_ECP256);
	/* INIT, INVALID_KE, INIT again, answer, AUTH pair */
	assert_int_equal(pr->net.sent, 6);
	check_traffic(&pr->a, &pr->b);
	pair_free(pr);
}

static void test_wrong_psk(void **state)
{
	struct setup s = defaults;
	struct pair *pr;

	(void)state;
	s.psk_b = "this is not the same secret at all";
	pr = pair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_non_null(strstr(tlib_log_text(), "192.0.2.1[500]: peer identity a.example: AUTH does not verify"));
	assert_non_null(strstr(tlib_log_text(), "AUTHENTICATION_FAILED"));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	tlib_log_capture(0);
	pair_free(pr);
}

static void test_no_proposal(void **state)
{
	struct setup s = defaults;
	struct pair *pr;

	(void)state;
	s.ike_a = "aes128-sha256-modp2048";
	s.ike_b = "aes256gcm16-prfsha384-ecp384";
	pr = pair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_null(pr->a.mgr->all);
	assert_null(pr->b.mgr->all);
	assert_non_null(strstr(tlib_log_text(), "NO_PROPOSAL_CHOSEN"));
	tlib_log_capture(0);
	pair_free(pr);
}

static void test_child_no_proposal(void **state)
{
	struct setup s = defaults;
	struct pair *pr;

	(void)state;
	s.esp_a = "aes128gcm16";
	s.esp_b = "aes256-sha256";
	pr = pair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	/* 1.2: the IKE SA stands, the child does not */
	assert_non_null(established(&pr->a));
	assert_non_null(established(&pr->b));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	assert_non_null(strstr(tlib_log_text(), "NO_PROPOSAL_CHOSEN"));
	tlib_log_capture(0);
	pair_free(pr);
}

static void test_ts_unacceptable(void **state)
{
	struct setup s = defaults;
	struct pair *pr;

	(void)state;
	s.rts_a = "172.16.0.0/12";
	pr = pair_new(&s);
	tlib_log_capture(1);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_non_null(established(&pr->a));
	assert_int_equal(pr->a.children_up + pr->b.children_up, 0);
	assert_non_null(strstr(tlib_log_text(), "TS_UNACCEPTABLE"));
	tlib_log_capture(0);
	pair_free(pr);
}

static void test_loss_and_duplicates(void **state)
{
	struct pair *pr = pair_new(&defaults);

	(void)state;
	tlib_srand(11);
	/* the first INIT request and, later, 30% of everything */
	pr->net.drop_first = 1;
	pr->net.drop_pct = 30;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 2000);
	assert_non_null(established(&pr->a));
	assert_non_null(established(&pr->b));
	assert_true(pr->a.mgr->st.retransmits > 0);
	check_traffic(&pr->a, &pr->b);
	/* a duplicated IKE_AUTH request is answered from the cache, once
	 * more, and changes nothing */
	{
		struct dgram *auth = NULL;
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
	pair_free(pr);
}

/* Every truncation and some bit flips of the real INIT and AUTH requests
 * thrown at an established responder: no crash, nothing established is
 * lost. */
static void test_truncated_messages(void **state)
{
	struct pair *pr = pair_new(&defaults);
	struct dgram saved[4];
	unsigned n_saved = 0;

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	pump(&pr->net, 50);
	assert_non_null(established(&pr->b));
	for (unsigned i = 0; i < pr->net.n_log && n_saved < 4; i++)
		saved[n_saved++] = pr->net.log[i];
	ipx_log_set_level(IPX_LOG_ERR);
	for (unsigned k = 0; k < n_saved; k++) {
		struct dgram *d = &saved[k];
		struct peer *to = same_addr(&d->to, &pr->b.addr) ? &pr->b : &pr->a;

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
	assert_non_null(established(&pr->a));
	assert_non_null(established(&pr->b));
	check_traffic(&pr->a, &pr->b);
	check_traffic(&pr->b, &pr->a);
	pair_free(pr);
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
		cmocka_unit_test(test_truncated_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
