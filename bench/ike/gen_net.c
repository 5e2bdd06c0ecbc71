/*
 * Sockets and datagrams: one UDP socket per (source address, port), each
 * bound explicitly, so that the responder sees many peers; datagrams in are
 * routed to their tunnel by the SPI we chose (gen_spi_new); our one request
 * in flight per tunnel is sent again after 1 s, 2 s, 4 s... (2.4).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

#define NON_ESP_MARKER 4 /* RFC 3948 2.2: four zero octets before IKE */

static void raise_nofile(unsigned need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < need + 64) {
		r.rlim_cur = r.rlim_max < need + 64 ? r.rlim_max : need + 64;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static struct gsa *sa_of(struct tun *t, const uint8_t *ours)
{
	if (t->sa && memcmp(gen_sa_our_spi(t->sa), ours, IKEV2_SPI_LEN) == 0)
		return t->sa;
	if (t->old && memcmp(gen_sa_our_spi(t->old), ours, IKEV2_SPI_LEN) == 0)
		return t->old;
	return NULL;
}

/* An answer to our request in flight: to the exchange that sent it. */
static void response_in(struct tun *t, const struct ike_hdr *h, const uint8_t *ours,
			uint8_t *buf, size_t len)
{
	/* 2.3: the one answer to the one request out, on its IKE SA */
	if (!t->out || h->msg_id != t->out_id ||
	    h->exchange != t->out[offsetof(struct ikev2_hdr, exchange)] ||
	    memcmp(gen_sa_our_spi(t->out_sa), ours, IKEV2_SPI_LEN) != 0) {
		G->st.rx_dropped++;
		return;
	}
	switch (t->state) {
	case T_INIT:
	case T_AUTH:
		gen_setup_input(t, buf, len);
		break;
	case T_CLEANUP:
	case T_DELETING:
		gen_delete_input(t, buf, len);
		break;
	case T_UP:
		if (t->churn) {
			gen_churn_input(t, buf, len);
			break;
		}
		/* fall through */
	default:
		G->st.rx_dropped++;
	}
}

static void dispatch(uint8_t *buf, size_t len)
{
	struct ike_hdr h;
	struct ike_perr e;
	const uint8_t *ours;
	struct gsa *sa;
	struct tun *t;
	uint32_t idx;

	G->st.rx++;
	if (ike_hdr_parse(buf, len, &h, &e) < 0) {
		G->st.rx_dropped++;
		return;
	}
	/* our SPI is the initiator's unless the sender is the original
	 * initiator (an IKE SA the responder made by rekeying) */
	ours = (h.flags & IKEV2_FLAG_INITIATOR) ? h.spi_r : h.spi_i;
	idx = gen_spi_idx(ours);
	if (idx >= G->o.tunnels) {
		G->st.rx_dropped++;
		return;
	}
	t = &G->t[idx];
	if (h.flags & IKEV2_FLAG_RESPONSE) {
		response_in(t, &h, ours, buf, len);
		return;
	}
	sa = sa_of(t, ours);
	if (!sa || !sa->keys_ok) {
		G->st.rx_dropped++;
		return;
	}
	gen_respond(t, sa, buf, len);
}

static void sock_read(evutil_socket_t fd, short what, void *arg)
{
	uint8_t buf[GEN_BUF];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	(void)what;
	(void)arg;
	/* drain it: one wake-up, many datagrams */
	for (int i = 0; i < 64; i++) {
		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (from.sin_addr.s_addr != G->o.target.s_addr)
			continue;
		if (ntohs(from.sin_port) == G->o.natt_port) {
			/* 2.23: a NAT-keepalive is one 0xff octet; IKE
			 * follows the non-ESP marker; ESP is not ours */
			if (n <= NON_ESP_MARKER || ipx_ld32(buf) != 0)
				continue;
			dispatch(buf + NON_ESP_MARKER, (size_t)n - NON_ESP_MARKER);
		} else {
			dispatch(buf, (size_t)n);
		}
	}
}

int gen_send(struct tun *t, const uint8_t *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = G->o.target };
	uint8_t wire[GEN_BUF + NON_ESP_MARKER];
	const uint8_t *p = buf;
	ssize_t n;

	to.sin_port = htons(t->natt ? G->o.natt_port : G->o.port);
	if (t->natt) {
		if (len > GEN_BUF)
			return -EMSGSIZE;
		memset(wire, 0, NON_ESP_MARKER);
		memcpy(wire + NON_ESP_MARKER, buf, len);
		p = wire;
		len += NON_ESP_MARKER;
	}
	G->st.tx++;
	n = sendto(t->sock->fd, p, len, 0, (struct sockaddr *)&to, sizeof(to));
	/* a full socket buffer is a lost datagram: retransmission covers it */
	return n < 0 && errno != EAGAIN && errno != ENOBUFS ? -errno : 0;
}

static double rtx_wait_s(unsigned tries)
{
	double s = G->o.rtx_s;

	for (unsigned i = 1; i < tries; i++)
		s *= 2;
	return s;
}

static void arm(struct tun *t)
{
	double s = rtx_wait_s(t->tries);
	struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };

	evtimer_add(t->rtx, &tv);
}

static void rtx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tun *t = arg;

	(void)fd;
	(void)what;
	if (!t->out)
		return;
	if (t->tries > G->o.rtx_tries) {
		switch (t->state) {
		case T_INIT:
		case T_AUTH:
			gen_setup_timeout(t);
			break;
		case T_DELETING:
			gen_td_fail(t, "timeout");
			break;
		case T_CLEANUP:
			/* counted failed already: given up quietly */
			gen_cleanup_done(t);
			break;
		case T_UP:
		case T_GONE:
			if (t->churn)
				gen_churn_timeout(t);
			else
				gen_request_done(t);
			break;
		}
		return;
	}
	G->st.retransmits++;
	t->tries++;
	gen_send(t, t->out, t->out_len);
	arm(t);
}

int gen_request(struct tun *t, struct gsa *sa, const uint8_t *buf, size_t len,
		uint32_t id)
{
	free(t->out);
	t->out = malloc(len);
	if (!t->out)
		return -ENOMEM;
	memcpy(t->out, buf, len);
	t->out_len = len;
	t->out_id = id;
	t->out_sa = sa;
	t->tries = 1;
	if (!t->rtx) {
		t->rtx = evtimer_new(G->base, rtx_cb, t);
		if (!t->rtx)
			return -ENOMEM;
	}
	arm(t);
	/* kept: a datagram that did not leave goes with the retransmission */
	gen_send(t, buf, len);
	return 0;
}

void gen_request_done(struct tun *t)
{
	free(t->out);
	t->out = NULL;
	t->out_len = 0;
	t->out_sa = NULL;
	if (t->rtx)
		evtimer_del(t->rtx);
}

void gen_tun_free(struct tun *t)
{
	gen_request_done(t);
	if (t->rtx)
		event_free(t->rtx);
	t->rtx = NULL;
	gen_sa_free(t->sa);
	gen_sa_free(t->old);
	t->sa = t->old = NULL;
	free(t->cookie);
	free(t->init_req);
	free(t->init_resp);
	t->cookie = t->init_req = t->init_resp = NULL;
}

static int open_one(struct gen_sock *s)
{
	int one = 1, rcv = 1 << 20;

	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* bursts of answers while a window of set-ups is out */
	setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(s->fd, (struct sockaddr *)&s->sa, sizeof(s->sa)) < 0)
		return -errno;
	s->ev = event_new(G->base, s->fd, EV_READ | EV_PERSIST, sock_read, s);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

int gen_net_open(void)
{
	const struct gen_opts *o = &G->o;
	uint32_t base = ntohl(o->src_base.s_addr);
	unsigned n = o->src_count * o->ports;
	char a[INET_ADDRSTRLEN];
	int ret;

	raise_nofile(n);
	G->addrs = calloc(o->src_count, sizeof(*G->addrs));
	G->socks = calloc(n, sizeof(*G->socks));
	if (!G->addrs || !G->socks)
		return -ENOMEM;
	for (unsigned i = 0; i < o->src_count; i++)
		G->addrs[i].a.s_addr = htonl(base + i);
	for (unsigned i = 0; i < n; i++) {
		struct gen_sock *s = &G->socks[i];

		s->fd = -1;
		s->addr = i / o->ports;
		s->sa.sin_family = AF_INET;
		s->sa.sin_addr = G->addrs[s->addr].a;
		s->sa.sin_port = htons((uint16_t)(o->sport_base + i % o->ports));
		ret = open_one(s);
		G->n_socks = i + 1;
		if (ret < 0) {
			fprintf(stderr, "ikegen: cannot bind %s:%u: %s (are the source "
				"addresses configured?)\n",
				inet_ntop(AF_INET, &s->sa.sin_addr, a, sizeof(a)),
				ntohs(s->sa.sin_port), strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void gen_net_close(void)
{
	for (unsigned i = 0; i < G->n_socks; i++) {
		if (G->socks[i].ev)
			event_free(G->socks[i].ev);
		if (G->socks[i].fd >= 0)
			close(G->socks[i].fd);
	}
	free(G->socks);
	free(G->addrs);
	G->socks = NULL;
	G->addrs = NULL;
	G->n_socks = 0;
}
