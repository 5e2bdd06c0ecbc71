#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ikepair.h"

const struct ikepair_setup ikepair_defaults = {
	.psk_a = "0123456789abcdef0123456789abcdef",
	.psk_b = "0123456789abcdef0123456789abcdef",
	.ike_a = "aes256gcm16-prfsha256-x25519",
	.ike_b = "aes256gcm16-prfsha256-x25519",
	.esp_a = "aes256gcm16", .esp_b = "aes256gcm16",
	.lts_a = "10.1.0.0/16", .rts_a = "10.2.0.0/16",
	.lts_b = "10.2.0.0/16", .rts_b = "10.1.0.0/16",
	.encap_a = "false",
	.conn_a = "", .conn_b = "", .child_a = "", .child_b = "",
};

static const char *cfg_fmt =
	"%s"
	"connections:\n"
	"  - name: %s\n"
	"    local_addrs: [%s]\n"
	"    remote_addrs: [%s]\n"
	"%s"
	"    proposals: [%s]\n"
	"    encap: %s\n"
	"%s"
	"    children:\n"
	"      - name: lan\n"
	"        local_ts: [%s]\n"
	"        remote_ts: [%s]\n"
	"        esp_proposals: [%s]\n"
	"%s";

static int net_send(void *ctx, const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote, bool natt,
		    const uint8_t *buf, size_t len)
{
	struct ikepair_peer *p = ctx;
	struct ikepair_net *n = p->net;
	struct ikepair_dgram *d;
	int to_b = p == n->peers[0];

	n->sent++;
	if (n->n_log < 64 && len <= sizeof(n->log[0].buf)) {
		d = &n->log[n->n_log++];
		d->from = *local;
		d->to = *remote;
		d->natt = natt;
		d->len = len;
		memcpy(d->buf, buf, len);
	}
	if (n->drop) {
		struct ikepair_dgram t;

		t.from = *local;
		t.to = *remote;
		t.natt = natt;
		t.len = len < sizeof(t.buf) ? len : sizeof(t.buf);
		memcpy(t.buf, buf, t.len);
		if (n->drop(&t, n->drop_arg)) {
			n->filtered++;
			n->dropped++;
			return 0;
		}
	}
	if (n->blackhole[to_b]) {
		/* as the kernel says when a firewall drops it on the way out */
		n->dropped++;
		return -EPERM;
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
	if (n->n == IKEPAIR_MAX_Q || len > sizeof(n->q[0].buf))
		return -1;
	d = &n->q[n->n++];
	d->from = *local;
	d->to = *remote;
	if (n->nat && p == n->peers[0]) {
		/* source NAT on the way out of A */
		struct sockaddr_in *f = (struct sockaddr_in *)&d->from;

		inet_pton(AF_INET, "198.51.100.9", &f->sin_addr);
		f->sin_port = htons((uint16_t)(ntohs(f->sin_port) + n->nat_port_add));
	} else if (n->nat) {
		/* and back in (any port offset the NAT ever used maps back) */
		struct sockaddr_in *t = (struct sockaddr_in *)&d->to;
		uint16_t port = ntohs(t->sin_port);

		inet_pton(AF_INET, "192.0.2.1", &t->sin_addr);
		t->sin_port = htons((uint16_t)(port >= 20000 ? port - 20000 :
					       port >= 10000 ? port - 10000 : port));
	}
	d->natt = natt;
	d->len = len;
	memcpy(d->buf, buf, len);
	return 0;
}

static void note(struct ikepair_peer *p, const char *what)
{
	size_t l = strlen(p->events);

	snprintf(p->events + l, sizeof(p->events) - l, "%s%s", l ? " " : "", what);
}

static int child_up(void *ctx, struct child_sa *c)
{
	struct ikepair_peer *p = ctx;

	p->children_up++;
	p->last_child = c;
	return 0;
}

static void child_down(void *ctx, struct child_sa *c)
{
	struct ikepair_peer *p = ctx;

	p->children_down++;
	if (p->last_child == c)
		p->last_child = NULL;
}

static int child_rekeyed(void *ctx, struct child_sa *old, struct child_sa *c, bool switch_out)
{
	struct ikepair_peer *p = ctx;

	(void)old;
	p->rekeyed++;
	if (switch_out)
		p->last_child = c;
	return 0;
}

static void child_retire(void *ctx, struct child_sa *c)
{
	struct ikepair_peer *p = ctx;

	p->retired++;
	if (p->last_child == c)
		p->last_child = NULL;
}

static void child_moved(void *ctx, struct child_sa *c)
{
	struct ikepair_peer *p = ctx;

	(void)c;
	p->moved++;
}

static void keepalive(void *ctx, const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote)
{
	struct ikepair_peer *p = ctx;

	(void)local;
	(void)remote;
	p->keepalives++;
}

static void event(void *ctx, struct ikesa *sa, struct child_sa *c, const char *what)
{
	(void)sa;
	(void)c;
	note(ctx, what);
}

/* p's configuration from s, loaded as the daemon would load it */
static struct cfg *peer_cfg(const struct ikepair_setup *s, bool is_a)
{
	char body[8192], path[64], auth[2048];
	const char *own_auth = is_a ? s->auth_a : s->auth_b;
	struct cfg *cfg = NULL;
	const char *name = is_a ? s->name_a : s->name_b;
	const char *top = is_a ? s->top_a : s->top_b;
	FILE *f;

	/* (B's child lines may go on with more connections: they come last) */

	if (own_auth)
		snprintf(auth, sizeof(auth), "%s", own_auth);
	else
		snprintf(auth, sizeof(auth),
			 "    local: {id: %s}\n    remote: {id: %s}\n    psk: \"%s\"\n",
			 is_a ? (s->id_a ? s->id_a : "a.example") : "b.example",
			 is_a ? "b.example" : "a.example", is_a ? s->psk_a : s->psk_b);
	snprintf(body, sizeof(body), cfg_fmt, top ? top : "",
		 name ? name : is_a ? "to-b" : "from-a",
		 is_a ? "192.0.2.1" : "192.0.2.2",
		 is_a ? "192.0.2.2" : s->raddr_b ? s->raddr_b : "192.0.2.1",
		 auth, is_a ? s->ike_a : s->ike_b,
		 is_a ? s->encap_a : "false", is_a ? s->conn_a : s->conn_b,
		 is_a ? s->lts_a : s->lts_b, is_a ? s->rts_a : s->rts_b,
		 is_a ? s->esp_a : s->esp_b, is_a ? s->child_a : s->child_b);
	snprintf(path, sizeof(path), "/tmp/ipsecfx-ike-%d-%c.yaml", (int)getpid(), is_a ? 'a' : 'b');
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	assert_int_equal(cfg_load(path, &cfg), 0);
	unlink(path);
	return cfg;
}

static void peer_init(struct ikepair_peer *p, struct ikepair_net *n, struct event_base *base,
		      const struct ikepair_setup *s, bool is_a)
{
	struct ike_io io = { .ctx = p, .send = net_send, .child_up = child_up,
			     .child_down = child_down, .child_rekeyed = child_rekeyed,
			     .child_retire = child_retire, .child_moved = child_moved,
			     .keepalive = keepalive, .event = event };
	struct sockaddr_in *in = (struct sockaddr_in *)&p->addr;

	memset(p, 0, sizeof(*p));
	p->net = n;
	p->base = base;
	p->cfg = peer_cfg(s, is_a);
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

void ikepair_reload(struct ikepair *pr, struct ikepair_peer *p, const struct ikepair_setup *s)
{
	struct cfg *old = p->cfg;
	unsigned ms = p->mgr->rtx_ms, tries = p->mgr->rtx_tries;
	double base = p->mgr->rtx_base;

	p->cfg = peer_cfg(s, p == &pr->a);
	ike_mgr_set_config(p->mgr, p->cfg);
	/* the test's fast retransmission stays */
	p->mgr->rtx_ms = ms;
	p->mgr->rtx_base = base;
	p->mgr->rtx_tries = tries;
	cfg_free(old);
}

size_t ikepair_forge(struct ikesa *sa, const struct ike_msg *m, uint8_t *out, size_t cap)
{
	size_t len = 0, sk_off = 0;

	assert_int_equal(ike_msg_build(m, out, cap, &len, &sk_off), 0);
	if (sk_off)
		assert_int_equal(ike_sk_encrypt(&sa->keys, sa->initiator, out, cap, &len, sk_off), 0);
	return len;
}

/* (the fake network carries IKE messages without the non-ESP marker) */
static bool drop_request(const struct ikepair_dgram *d, void *arg)
{
	struct ikepair_net *n = arg;

	return ikepair_from(d, n->drop_from) && ikepair_exchange(d) == n->drop_exchange &&
	       !ikepair_is_response(d);
}

void ikepair_drop_requests(struct ikepair *pr, struct ikepair_peer *from, uint8_t exchange)
{
	pr->net.drop_from = from;
	pr->net.drop_exchange = exchange;
	pr->net.drop = exchange ? drop_request : NULL;
	pr->net.drop_arg = &pr->net;
}

uint8_t ikepair_exchange(const struct ikepair_dgram *d)
{
	return d->len >= 28 ? d->buf[18] : 0;
}

bool ikepair_is_response(const struct ikepair_dgram *d)
{
	return d->len >= 28 && (d->buf[19] & IKEV2_FLAG_RESPONSE);
}

bool ikepair_from(const struct ikepair_dgram *d, const struct ikepair_peer *p)
{
	return ikepair_same_addr(&d->from, &p->addr);
}

struct ikepair *ikepair_new(const struct ikepair_setup *s)
{
	struct ikepair *pr = calloc(1, sizeof(*pr));

	assert_non_null(pr);
	ike_clock_offset = 0;
	ike_clock_frozen = 0;
	ike_clock_frozen = ike_now();
	if (!ike_clock_frozen)   /* 0 is the running clock */
		ike_clock_frozen = 1;
	pr->base = event_base_new();
	pr->net.nat_port_add = 10000;
	peer_init(&pr->a, &pr->net, pr->base, s, true);
	peer_init(&pr->b, &pr->net, pr->base, s, false);
	pr->net.peers[0] = &pr->a;
	pr->net.peers[1] = &pr->b;
	return pr;
}

void ikepair_free(struct ikepair *pr)
{
	/* every IKE and Child SA state change a test made was a transition */
	assert_int_equal(ike_state_errors, 0);
	for (int i = 0; i < 2; i++) {
		struct ikepair_peer *p = i ? &pr->b : &pr->a;

		ike_mgr_free(p->mgr);
		ipx_engine_close(p->eng);
		cfg_free(p->cfg);
	}
	event_base_free(pr->base);
	ike_clock_offset = 0;
	ike_clock_frozen = 0;
	free(pr);
}

bool ikepair_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

	return a->ss_family == b->ss_family && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

void ikepair_pump(struct ikepair_net *n, int rounds)
{
	for (int r = 0; r < rounds; r++) {
		struct ikepair_dgram d;

		event_base_loop(n->peers[0]->base, EVLOOP_NONBLOCK);
		if (!n->n) {
			usleep(2000);
			continue;
		}
		d = n->q[0];
		memmove(&n->q[0], &n->q[1], (n->n - 1) * sizeof(n->q[0]));
		n->n--;
		for (int i = 0; i < 2; i++)
			if (ikepair_same_addr(&n->peers[i]->addr, &d.to)) {
				struct sockaddr_storage to = d.to;

				ike_mgr_input(n->peers[i]->mgr, d.buf, d.len, &to, &d.from, d.natt);
			}
	}
}

void ikepair_advance(struct ikepair *pr, unsigned secs, int rounds)
{
	ike_clock_offset += secs;
	ike_timer_tick(-1, 0, pr->a.mgr);
	ike_timer_tick(-1, 0, pr->b.mgr);
	ikepair_pump(&pr->net, rounds);
}

struct ikesa *ikepair_established(struct ikepair_peer *p)
{
	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		if (sa->state == IKE_ESTABLISHED)
			return sa;
	return NULL;
}

unsigned ikepair_count_sas(struct ikepair_peer *p)
{
	unsigned n = 0;

	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		n++;
	return n;
}

unsigned ikepair_count_children(struct ikepair_peer *p)
{
	unsigned n = 0;

	for (struct ikesa *sa = p->mgr->all; sa; sa = sa->next)
		for (struct child_sa *c = sa->children; c; c = c->next)
			n++;
	return n;
}

void ikepair_check_traffic(struct ikepair_peer *from, struct ikepair_peer *to)
{
	struct child_sa *cf = from->last_child, *ct = NULL;
	uint8_t inner[200];
	struct ipx_pkt pk;

	assert_non_null(cf);
	/* the receiver accepts every inbound SA it holds */
	for (struct ikesa *sa = to->mgr->all; sa; sa = sa->next)
		for (struct child_sa *c = sa->children; c; c = c->next)
			if (c->spi_in == cf->spi_out)
				ct = c;
	assert_non_null(ct);
	tlib_ip_packet(inner, 200, 0, 17);
	pk = te_pkt(inner, 200);
	assert_int_equal(te_encrypt(from->eng, cf->eng_out, &pk), IPX_ST_OK);
	assert_int_equal(te_decrypt(to->eng, &pk), IPX_ST_OK);
	assert_int_equal(pk.sa, ct->eng_in);
	assert_memory_equal(te_data(&pk), inner, 200);
	te_reset();
}
