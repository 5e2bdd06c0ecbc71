/*
 * A spoofed IKE_SA_INIT flood (--flood RATE): requests from random source
 * addresses of --flood-net (198.18.0.0/15), never from the --src range the
 * genuine tunnels use, each with its own SPIi and Ni, through a raw socket
 * (the IP and UDP headers are ours: IP_HDRINCL).  The answers go to
 * addresses nobody holds and are never read.  What a responder must do with
 * them is RFC 7296 2.6: past its cookie threshold, a stateless COOKIE
 * notify and nothing else.
 *
 * The request is built once with the daemon's codec (SA, KE with the run's
 * one public value, Nonce, NAT detection); each datagram then only gets a
 * new source address, source port, SPIi and the first octets of Ni, from a
 * xorshift generator: a flood needs variety, not secrecy.  Sent in batches
 * of FLOOD_BATCH with sendmmsg, paced by a token bucket when RATE > 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

#define FLOOD_BATCH 64
#define FLOOD_SECS_MAX 3600 /* per-second counts kept */
#define HDRS (sizeof(struct iphdr) + sizeof(struct udphdr))

struct flood {
	int fd;
	uint8_t pkt[FLOOD_BATCH][HDRS + GEN_BUF];
	size_t ike_len, nonce_off;
	uint32_t net, mask, skip_lo, skip_hi; /* host order */
	uint64_t rng;
	uint64_t sent, errors;
	uint32_t per_s[FLOOD_SECS_MAX];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t rnd(struct flood *f)
{
	/* xorshift64* */
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 2685821657736338717ull;
}

/* The request, once: into pkt[0] after room for the headers. */
static int build(struct flood *f)
{
	struct ike_msg *m = &G->mout;
	uint8_t nonce[GEN_NONCE_LEN], natd[IKEV2_NATD_LEN];
	uint8_t *ike = f->pkt[0] + HDRS, *p;
	struct gsa sa = { .initiator = true };
	struct ike_pld *pl;
	int ret;

	ret = ike_random(nonce, sizeof(nonce));
	if (ret == 0)
		ret = ike_random(sa.spi_i, sizeof(sa.spi_i));
	if (ret == 0)
		ret = ike_random(natd, sizeof(natd));
	if (ret < 0)
		return ret;
	gen_msg_start(&sa, m, IKEV2_EXCH_IKE_SA_INIT, false, 0);
	pl = ike_msg_add(m, IKEV2_PL_SA, false);
	pl->u.sa.props = &G->ike_sa_prop;
	pl->u.sa.n_props = 1;
	pl = ike_msg_add(m, IKEV2_PL_KE, false);
	pl->u.ke.group = G->o.groups[0];
	pl->u.ke.data = G->dh_pub[0];
	pl->u.ke.len = G->dh_pub_len[0];
	pl = ike_msg_add(m, IKEV2_PL_NONCE, false);
	pl->u.nonce.data = nonce;
	pl->u.nonce.len = sizeof(nonce);
	/* hashes of no address: a NAT as the responder sees it (2.23) */
	ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
			   IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, sizeof(natd));
	ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
			   IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, sizeof(natd));
	ret = ike_msg_build(m, ike, GEN_BUF, &f->ike_len, NULL);
	if (ret < 0)
		return ret;
	p = memmem(ike, f->ike_len, nonce, sizeof(nonce));
	if (!p)
		return -EIO;
	f->nonce_off = (size_t)(p - ike);
	for (unsigned i = 1; i < FLOOD_BATCH; i++)
		memcpy(f->pkt[i] + HDRS, ike, f->ike_len);
	return 0;
}

/* A source address of the flood's network, outside the --src range. */
static uint32_t spoofed(struct flood *f)
{
	uint32_t a;

	do
		a = f->net | ((uint32_t)rnd(f) & ~f->mask);
	while (a >= f->skip_lo && a < f->skip_hi);
	return a;
}

static void headers(struct flood *f, uint8_t *pkt)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	uint8_t *ike = pkt + HDRS;
	uint64_t r = rnd(f);

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(HDRS + f->ike_len)); /* the kernel fills */
	ip->saddr = htonl(spoofed(f));			    /* id and checksum */
	ip->daddr = G->o.target.s_addr;
	udp->source = htons((uint16_t)(1024 + (r >> 48) % 64512));
	udp->dest = htons(G->o.port);
	udp->len = htons((uint16_t)(sizeof(*udp) + f->ike_len));
	udp->check = 0; /* none: allowed over IPv4 (RFC 768) */
	ipx_st64(ike, rnd(f) | 1);		 /* SPIi, never zero (3.1) */
	ipx_st64(ike + f->nonce_off, rnd(f));	 /* Ni: each cookie its own */
}

static int open_raw(struct flood *f)
{
	uint32_t lo = ntohl(G->o.src_base.s_addr);
	int buf = 4 << 20;

	f->fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (f->fd < 0) {
		fprintf(stderr, "ikegen: raw socket: %s (needs CAP_NET_RAW)\n", strerror(errno));
		return -errno;
	}
	setsockopt(f->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	f->mask = G->o.flood_bits >= 32 ? ~0u : ~(~0u >> G->o.flood_bits);
	f->net = ntohl(G->o.flood_net.s_addr) & f->mask;
	f->skip_lo = lo;
	f->skip_hi = lo + G->o.src_count;
	if ((~f->mask) + 1ull <= G->o.src_count) {
		fprintf(stderr, "ikegen: --flood-net leaves no address outside --src's range\n");
		return -EINVAL;
	}
	return 0;
}

/* One batch of n datagrams; what left the socket is counted. */
static void send_batch(struct flood *f, unsigned n, unsigned sec)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = G->o.target };
	struct mmsghdr mm[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	int r;

	for (unsigned i = 0; i < n; i++) {
		headers(f, f->pkt[i]);
		iov[i].iov_base = f->pkt[i];
		iov[i].iov_len = HDRS + f->ike_len;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = sizeof(to);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	r = sendmmsg(f->fd, mm, n, 0);
	if (r < 0) {
		f->errors += n;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			stop = 1;
		return;
	}
	f->errors += n - (unsigned)r;
	f->sent += (unsigned)r;
	if (sec < FLOOD_SECS_MAX)
		f->per_s[sec] += (unsigned)r;
}

static void pace(struct flood *f, uint64_t t0)
{
	double tokens = 0;
	uint64_t last = t0, now;
	unsigned n;

	while (!stop) {
		now = gen_now_ns();
		if (G->o.flood_s > 0 && (double)(now - t0) / 1e9 >= G->o.flood_s)
			break;
		if (G->o.flood > 0) {
			tokens += G->o.flood * (double)(now - last) / 1e9;
			if (tokens > FLOOD_BATCH * 4)
				tokens = FLOOD_BATCH * 4;
			last = now;
			if (tokens < 1) {
				struct timespec ts = { 0, 200000 };

				nanosleep(&ts, NULL);
				continue;
			}
		}
		n = G->o.flood > 0 && tokens < FLOOD_BATCH ? (unsigned)tokens : FLOOD_BATCH;
		send_batch(f, n, (unsigned)((now - t0) / 1000000000ull));
		tokens -= n;
	}
}

static void report(const struct flood *f, double secs)
{
	unsigned full = (unsigned)secs < FLOOD_SECS_MAX ? (unsigned)secs : FLOOD_SECS_MAX;
	double mean = secs > 0 ? (double)f->sent / secs : 0;

	printf("flood:  %llu spoofed IKE_SA_INITs sent in %.2f s: %.0f/s (%s), %llu not sent "
	       "(socket full)\n", (unsigned long long)f->sent, secs, mean,
	       G->o.flood > 0 ? "paced" : "as fast as it could", (unsigned long long)f->errors);
	if (G->o.json) {
		json_t *per = json_array();
		json_t *j;
		char *txt;

		for (unsigned i = 0; i < full; i++)
			json_array_append_new(per, json_integer(f->per_s[i]));
		j = json_pack("{s:I, s:I, s:f, s:f, s:f, s:o}", "flood_sent", (json_int_t)f->sent,
			      "flood_not_sent", (json_int_t)f->errors, "flood_s", secs,
			      "flood_per_s", mean, "flood_rate_asked", G->o.flood,
			      "flood_per_second", per);
		txt = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
		printf("%s\n", txt ? txt : "{}");
		free(txt);
		json_decref(j);
	}
	fflush(stdout);
}

int gen_flood_run(void)
{
	struct flood *f = calloc(1, sizeof(*f));
	uint64_t t0;
	int ret;

	if (!f)
		return 2;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	ret = open_raw(f);
	if (ret == 0)
		ret = build(f);
	if (ret < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return 2;
	}
	f->rng = gen_now_ns() | 1;
	t0 = gen_now_ns();
	pace(f, t0);
	report(f, (double)(gen_now_ns() - t0) / 1e9);
	close(f->fd);
	free(f);
	return 0;
}
