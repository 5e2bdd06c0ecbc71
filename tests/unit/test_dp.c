/*
 * The data plane through its API, in a network namespace of its own
 * (unshare(CLONE_NEWNET): root only, skipped otherwise).  The peer is this
 * test: a UDP socket on 127.0.0.1 and a second ESP engine with the mirror
 * SAs.  Clear traffic comes from an ordinary socket bound to 10.1.0.1, an
 * address the data plane put on its TUN.
 *
 *   app socket 10.1.0.1:1111 --TUN--> dp --ESP/UDP 4500--> peer 127.0.0.1:40000
 *                            <--TUN-- dp <--ESP/UDP------- peer (engine "peng")
 *
 * Checked: both directions; the inbound selector check; acquires with the
 * 5-tuple, at most once a second; IKE on 500 and 4500 (marker stripped and
 * added), keepalives both ways, junk on 4500; a NAT mapping change
 * (child_update PEER); a rekey, make-before-break, and retiring the old
 * inbound SA; engine events with the child; forged, truncated and replayed
 * ESP; NAT-T datagrams received in place or copied (GRO segment sizes);
 * the JSON stats; routes gone with the child; the TUN gone at close.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipsecfx/bytes.h>

#include "../../host/dataplane/dataplane.h"
#include "tlib.h"

#define PEER_PORT 40000
#define PEER_PORT2 40002

static struct {
	bool ok;
	const char *why;
	struct event_base *base;
	struct ipx_engine *eng, *peng;
	struct ipx_dp *dp;
	uint32_t child;
	/* dp's SAs and the peer's mirror ones */
	uint32_t out, in, p_in, p_out;
	int app, peer, peer2;
	struct ipx_sa_params sa_out, sa_in;
	/* callbacks seen */
	int n_ike;
	uint8_t ike_msg[256];
	size_t ike_len, ike_full;
	struct ipx_dp_endpoint ike_local, ike_remote;
	bool ike_natt;
	int n_acq;
	struct ipx_dp_flow acq;
	int n_ev;
	struct ipx_event ev;
	uint32_t ev_child;
	uint64_t ev_user;
} T;

static struct ipx_addr a4(const char *s)
{
	struct ipx_addr a = { .family = AF_INET };

	inet_pton(AF_INET, s, a.a);
	return a;
}

static void on_ike(void *arg, const uint8_t *msg, size_t len,
		   const struct ipx_dp_endpoint *local,
		   const struct ipx_dp_endpoint *remote, bool natt)
{
	(void)arg;
	T.n_ike++;
	T.ike_full = len;
	T.ike_len = len < sizeof(T.ike_msg) ? len : sizeof(T.ike_msg);
	memcpy(T.ike_msg, msg, T.ike_len);
	T.ike_local = *local;
	T.ike_remote = *remote;
	T.ike_natt = natt;
}

static void on_acquire(void *arg, const struct ipx_dp_flow *f)
{
	(void)arg;
	T.n_acq++;
	T.acq = *f;
}

static void on_event(void *arg, const struct ipx_event *ev, uint32_t child,
		     uint64_t user)
{
	(void)arg;
	T.n_ev++;
	T.ev = *ev;
	T.ev_child = child;
	T.ev_user = user;
}

/* run the data plane's loop for a while */
static void pump(void)
{
	for (int i = 0; i < 30; i++) {
		event_base_loop(T.base, EVLOOP_NONBLOCK);
		usleep(500);
	}
}

static int udp_sock(const char *ip, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

static ssize_t send_to(int fd, const char *ip, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sendto(fd, p, n, 0, (struct sockaddr *)&sa, sizeof(sa));
}

static void sa_pair(struct ipx_sa_params *p, uint32_t spi, uint16_t sport,
		    uint16_t dport)
{
	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->mode = IPX_MODE_TUNNEL;
	p->cipher = IPX_CIPHER_AES256GCM16;
	p->key_len = 36;
	tlib_rand_bytes(p->key, 36);
	p->src = a4("127.0.0.1");
	p->dst = a4("127.0.0.1");
	p->encap_sport = sport;
	p->encap_dport = dport;
	p->replay_window = 128;
}

static uint32_t add_sa(struct ipx_engine *e, const struct ipx_sa_params *p, uint8_t dir)
{
	struct ipx_sa_params q = *p;
	uint32_t h;

	q.dir = dir;
	assert_int_equal(ipx_sa_add(e, &q, &h), 0);
	return h;
}

/* The peer receives one ESP datagram on fd and decrypts it: the inner
 * packet, or -1 when nothing came, or -status. */
static int peer_recv(int fd, uint8_t *inner, uint32_t *ilen, uint32_t *spi)
{
	static uint8_t buf[4096];
	struct ipx_pkt pkt;
	ssize_t n;

	memset(buf, 0, 28);
	n = recv(fd, buf + 28, sizeof(buf) - 28 - 64, MSG_DONTWAIT);
	if (n <= 0)
		return -1;
	buf[0] = 0x45;
	ipx_st16(buf + 2, (uint16_t)(n + 28));
	buf[8] = 64;
	buf[9] = IPPROTO_UDP;
	buf[12] = buf[16] = 127;
	buf[15] = buf[19] = 1;
	ipx_st16(buf + 20, 4500);
	ipx_st16(buf + 22, PEER_PORT);
	ipx_st16(buf + 24, (uint16_t)(n + 8));
	if (spi)
		*spi = n >= 4 ? ipx_ld32(buf + 28) : 0;
	pkt = (struct ipx_pkt){ .buf = buf, .buf_len = sizeof(buf), .off = 0,
				.len = (uint32_t)n + 28 };
	assert_int_equal(ipx_decrypt_burst(T.peng, &pkt, 1), 1);
	if (pkt.status != IPX_ST_OK)
		return -(int)pkt.status;
	memcpy(inner, buf + pkt.off, pkt.len);
	*ilen = pkt.len;
	return 0;
}

/* An inner IPv4/UDP packet (checksum 0: allowed over IPv4). */
static uint32_t udp4(uint8_t *p, const char *src, uint16_t sp, const char *dst,
		     uint16_t dport, const char *payload)
{
	uint32_t pl = (uint32_t)strlen(payload), len = 28 + pl;
	struct ipx_addr s = a4(src), d = a4(dst);
	uint32_t sum = 0;

	memset(p, 0, 28);
	p[0] = 0x45;
	ipx_st16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	memcpy(p + 12, s.a, 4);
	memcpy(p + 16, d.a, 4);
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(p + 10, (uint16_t)~sum);
	ipx_st16(p + 20, sp);
	ipx_st16(p + 22, dport);
	ipx_st16(p + 24, (uint16_t)(8 + pl));
	memcpy(p + 28, payload, pl);
	return len;
}

/* The peer encrypts inner with SA sa and sends the ESP part to the data
 * plane's NAT-T port; the ESP bytes are kept in last (for replays). */
static uint8_t last[4096];
static uint32_t last_len;

static void peer_send(uint32_t sa, const uint8_t *inner, uint32_t len)
{
	static uint8_t buf[4096];
	struct ipx_pkt pkt = { .buf = buf, .buf_len = sizeof(buf), .off = 256,
			       .len = len, .sa = sa };

	memcpy(buf + 256, inner, len);
	assert_int_equal(ipx_encrypt_burst(T.peng, &pkt, 1), 1);
	assert_int_equal(pkt.status, IPX_ST_OK);
	last_len = pkt.len - pkt.esp_off;
	memcpy(last, buf + pkt.off + pkt.esp_off, last_len);
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, last, last_len), last_len);
}

static bool app_got(const char *want)
{
	char b[256];
	ssize_t n = recv(T.app, b, sizeof(b) - 1, MSG_DONTWAIT);

	if (n < 0)
		return false;
	b[n] = 0;
	if (strcmp(b, want))
		fail_msg("app received '%s', want '%s'", b, want);
	return true;
}

static int setup(void **state)
{
	struct ifreq ifr = { 0 };
	struct ipx_dp_config cfg = { .tun_name = "ipxt0" };
	struct ipx_ts lts = { 0 }, rts = { 0 };
	struct ipx_dp_child_params cp = { 0 };
	struct ipx_dp_callbacks cb = { on_ike, on_acquire, on_event, NULL };
	struct ipx_addr vip = a4("10.1.0.1");
	int fd;

	(void)state;
	memset(&T, 0, sizeof(T));
	T.app = T.peer = T.peer2 = -1;
	if (geteuid() != 0) {
		T.why = "needs root (a private network namespace and a TUN)";
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		T.why = "unshare(CLONE_NEWNET) refused";
		return 0;
	}
	/* lo up in the new namespace */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(fd);
	tlib_srand(99);
	assert_int_equal(ipx_engine_open("soft", NULL, &T.eng), 0);
	assert_int_equal(ipx_engine_open("soft", NULL, &T.peng), 0);
	T.base = event_base_new();
	assert_non_null(T.base);
	assert_int_equal(ipx_dp_open(T.base, T.eng, &cfg, &T.dp), 0);
	ipx_dp_set_callbacks(T.dp, &cb);
	assert_string_equal(ipx_dp_tun_name(T.dp), "ipxt0");
	assert_int_equal(ipx_dp_addr_add(T.dp, &vip, 32), 0);
	/* dp -> peer: 0x100; peer -> dp: 0x200 */
	sa_pair(&T.sa_out, 0x100, 4500, PEER_PORT);
	sa_pair(&T.sa_in, 0x200, PEER_PORT, 4500);
	T.out = add_sa(T.eng, &T.sa_out, IPX_DIR_OUT);
	T.in = add_sa(T.eng, &T.sa_in, IPX_DIR_IN);
	T.p_in = add_sa(T.peng, &T.sa_out, IPX_DIR_IN);
	T.p_out = add_sa(T.peng, &T.sa_in, IPX_DIR_OUT);
	assert_int_equal(ipx_ts_parse("10.1.0.1/32", &lts), 0);
	assert_int_equal(ipx_ts_parse("10.2.0.0/24[udp/2222]", &rts), 0);
	cp = (struct ipx_dp_child_params){
		.local_ts = &lts, .n_local_ts = 1, .remote_ts = &rts, .n_remote_ts = 1,
		.sa_out = T.out, .sa_in = T.in, .spi_out = 0x100, .spi_in = 0x200,
		.local = { a4("127.0.0.1"), 0 }, .peer = { a4("127.0.0.1"), PEER_PORT },
		.encap = true, .mode = IPX_MODE_TUNNEL, .user = 0xfeed,
	};
	assert_int_equal(ipx_dp_child_add(T.dp, &cp, &T.child), 0);
	/* transport mode is not for this data plane */
	cp.mode = IPX_MODE_TRANSPORT;
	{
		uint32_t x;

		assert_int_equal(ipx_dp_child_add(T.dp, &cp, &x), -EOPNOTSUPP);
	}
	T.app = udp_sock("10.1.0.1", 1111);
	T.peer = udp_sock("127.0.0.1", PEER_PORT);
	T.peer2 = udp_sock("127.0.0.1", PEER_PORT2);
	assert_true(T.app >= 0 && T.peer >= 0 && T.peer2 >= 0);
	T.ok = true;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (T.app >= 0)
		close(T.app);
	if (T.peer >= 0)
		close(T.peer);
	if (T.peer2 >= 0)
		close(T.peer2);
	if (T.dp)
		ipx_dp_close(T.dp);
	if (T.eng)
		ipx_engine_close(T.eng);
	if (T.peng)
		ipx_engine_close(T.peng);
	if (T.base)
		event_base_free(T.base);
	return 0;
}

#define NEED() do { if (!T.ok) skip(); } while (0)

static void test_both_ways(void **state)
{
	uint8_t inner[2048];
	uint32_t ilen, spi;
	struct ipx_dp_child_stats cs;

	(void)state;
	NEED();
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "hello", 5), 5);
	pump();
	assert_int_equal(peer_recv(T.peer, inner, &ilen, &spi), 0);
	assert_int_equal(spi, 0x100);
	assert_int_equal(ilen, 28 + 5);
	assert_memory_equal(inner + 12, "\x0a\x01\x00\x01\x0a\x02\x00\x01", 8);
	assert_int_equal(ipx_ld16(inner + 20), 1111);
	assert_int_equal(ipx_ld16(inner + 22), 2222);
	assert_memory_equal(inner + 28, "hello", 5);

	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "world");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_true(app_got("world"));
	assert_int_equal(ipx_dp_child_stats(T.dp, T.child, &cs), 0);
	assert_int_equal(cs.out_packets, 1);
	assert_int_equal(cs.out_bytes, 33);
	assert_int_equal(cs.in_packets, 1);
	assert_int_equal(cs.in_bytes, 33);
}

static void test_inbound_selectors(void **state)
{
	uint8_t inner[256];
	uint32_t ilen;
	struct ipx_dp_stats st;
	struct ipx_dp_child_stats cs;

	(void)state;
	NEED();
	/* authentic ESP, but from outside the remote selector, or to a port
	 * outside it (RFC 4301 5.2): dropped and counted */
	ilen = udp4(inner, "10.9.9.9", 2222, "10.1.0.1", 1111, "spoof");
	peer_send(T.p_out, inner, ilen);
	ilen = udp4(inner, "10.2.0.1", 2223, "10.1.0.1", 1111, "port");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_false(app_got("-"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.drops[IPX_DP_DROP_SELECTOR], 2);
	assert_int_equal(ipx_dp_child_stats(T.dp, T.child, &cs), 0);
	assert_int_equal(cs.selector_drops, 2);
	/* and the tunnel still works */
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "still");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_true(app_got("still"));
}

static void test_acquire(void **state)
{
	struct ipx_dp_stats st;
	uint8_t inner[256];
	uint32_t ilen;

	(void)state;
	NEED();
	/* routed to the TUN (10.2.0.0/24) but outside the selector (port) */
	assert_int_equal(send_to(T.app, "10.2.0.7", 53, "q", 1), 1);
	pump();
	assert_int_equal(T.n_acq, 1);
	assert_int_equal(T.acq.proto, IPPROTO_UDP);
	assert_true(T.acq.has_ports);
	assert_int_equal(T.acq.sport, 1111);
	assert_int_equal(T.acq.dport, 53);
	assert_memory_equal(T.acq.src.a, "\x0a\x01\x00\x01", 4);
	assert_memory_equal(T.acq.dst.a, "\x0a\x02\x00\x07", 4);
	/* the same flow again at once: counted, not reported again */
	assert_int_equal(send_to(T.app, "10.2.0.7", 53, "q", 1), 1);
	pump();
	assert_int_equal(T.n_acq, 1);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.drops[IPX_DP_DROP_NO_POLICY], 2);
	assert_int_equal(st.acquires, 1);
	assert_int_equal(peer_recv(T.peer, inner, &ilen, NULL), -1);
}

static void test_ike_keepalive(void **state)
{
	uint8_t msg[40], got[64];
	struct ipx_dp_endpoint l = { a4("127.0.0.1"), 4500 }, r = { a4("127.0.0.1"), PEER_PORT };
	struct ipx_dp_stats st;
	ssize_t n;

	(void)state;
	NEED();
	/* IKE on 4500 behind the non-ESP marker (RFC 3948 2.2) */
	memset(msg, 0, 4);
	for (int i = 4; i < 40; i++)
		msg[i] = (uint8_t)i;
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, msg, 40), 40);
	pump();
	assert_int_equal(T.n_ike, 1);
	assert_true(T.ike_natt);
	assert_int_equal(T.ike_len, 36);
	assert_memory_equal(T.ike_msg, msg + 4, 36);
	assert_int_equal(T.ike_local.port, 4500);
	assert_memory_equal(T.ike_local.addr.a, "\x7f\0\0\x01", 4);
	assert_int_equal(T.ike_remote.port, PEER_PORT);
	/* IKE on 500: no marker */
	assert_int_equal(send_to(T.peer, "127.0.0.1", 500, msg + 4, 36), 36);
	pump();
	assert_int_equal(T.n_ike, 2);
	assert_false(T.ike_natt);
	assert_int_equal(T.ike_local.port, 500);
	assert_memory_equal(T.ike_msg, msg + 4, 36);
	/* sending IKE: from 4500 the marker is added, from 500 not */
	assert_int_equal(ipx_dp_ike_send(T.dp, &l, &r, msg + 4, 36), 0);
	n = recv(T.peer, got, sizeof(got), MSG_DONTWAIT);
	assert_int_equal(n, 40);
	assert_memory_equal(got, msg, 40);
	l.port = 500;
	assert_int_equal(ipx_dp_ike_send(T.dp, &l, &r, msg + 4, 36), 0);
	n = recv(T.peer, got, sizeof(got), MSG_DONTWAIT);
	assert_int_equal(n, 36);
	assert_memory_equal(got, msg + 4, 36);
	l.port = 999;   /* no socket there */
	assert_int_equal(ipx_dp_ike_send(T.dp, &l, &r, msg + 4, 36), -EADDRNOTAVAIL);
	/* keepalives (RFC 3948 2.3) both ways, junk counted */
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, "\xff", 1), 1);
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, "\x01\x02\x03", 3), 3);
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, msg, 20), 20); /* short IKE */
	pump();
	l.port = 4500;
	assert_int_equal(ipx_dp_keepalive_send(T.dp, &l, &r), 0);
	n = recv(T.peer, got, sizeof(got), MSG_DONTWAIT);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 0xff);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.keepalive_rx, 1);
	assert_int_equal(st.keepalive_tx, 1);
	assert_int_equal(st.drops[IPX_DP_DROP_NOT_ESP], 2);
	assert_int_equal(st.ike_rx, 2);
	assert_int_equal(st.ike_tx, 2);
	assert_int_equal(T.n_ike, 2);
}

static void test_peer_moves(void **state)
{
	struct ipx_dp_child_params cp = { .local = { a4("127.0.0.1"), 0 },
					  .peer = { a4("127.0.0.1"), PEER_PORT2 },
					  .encap = true };
	uint8_t inner[2048];
	uint32_t ilen;

	(void)state;
	NEED();
	/* the peer's NAT mapping changed: ESP now goes to the new port */
	assert_int_equal(ipx_dp_child_update(T.dp, T.child, IPX_DP_UPD_PEER, &cp), 0);
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "moved", 5), 5);
	pump();
	assert_int_equal(peer_recv(T.peer, inner, &ilen, NULL), -1);
	assert_int_equal(peer_recv(T.peer2, inner, &ilen, NULL), 0);
	assert_memory_equal(inner + 28, "moved", 5);
	/* and back */
	cp.peer.port = PEER_PORT;
	assert_int_equal(ipx_dp_child_update(T.dp, T.child, IPX_DP_UPD_PEER, &cp), 0);
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "back", 4), 4);
	pump();
	assert_int_equal(peer_recv(T.peer, inner, &ilen, NULL), 0);
	assert_memory_equal(inner + 28, "back", 4);
	assert_int_equal(ipx_dp_child_update(T.dp, 77, IPX_DP_UPD_PEER, &cp), -ENOENT);
}

static void test_rekey(void **state)
{
	struct ipx_sa_params o2, i2;
	struct ipx_dp_child_params cp = { 0 };
	uint32_t out2, in2, p_in2, p_out2, ilen, spi;
	uint8_t inner[2048];
	struct ipx_dp_stats st;

	(void)state;
	NEED();
	sa_pair(&o2, 0x101, 4500, PEER_PORT);
	sa_pair(&i2, 0x201, PEER_PORT, 4500);
	o2.soft.packets = 2;      /* for the event below */
	out2 = add_sa(T.eng, &o2, IPX_DIR_OUT);
	in2 = add_sa(T.eng, &i2, IPX_DIR_IN);
	p_in2 = add_sa(T.peng, &o2, IPX_DIR_IN);
	p_out2 = add_sa(T.peng, &i2, IPX_DIR_OUT);
	cp.sa_out = out2;
	cp.sa_in = in2;
	cp.spi_out = 0x101;
	cp.spi_in = 0x201;
	assert_int_equal(ipx_dp_child_update(T.dp, T.child, IPX_DP_UPD_SAS, &cp), 0);
	(void)p_in2;
	/* outbound: the new SA at once */
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "new", 3), 3);
	pump();
	assert_int_equal(peer_recv(T.peer, inner, &ilen, &spi), 0);
	assert_int_equal(spi, 0x101);
	/* inbound: old and new both accepted until the old one retires */
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "old-in");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_true(app_got("old-in"));
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "new-in");
	peer_send(p_out2, inner, ilen);
	pump();
	assert_true(app_got("new-in"));
	assert_int_equal(ipx_dp_child_retire_in(T.dp, T.child, T.in), 0);
	assert_int_equal(ipx_dp_child_retire_in(T.dp, T.child, T.in), -ENOENT);
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "late");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_false(app_got("-"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.drops[IPX_DP_DROP_NO_CHILD], 1);
	/* once the daemon deletes the old SAs, their SPI is simply unknown */
	assert_int_equal(ipx_sa_delete(T.eng, T.in), 0);
	assert_int_equal(ipx_sa_delete(T.eng, T.out), 0);
	peer_send(T.p_out, inner, ilen);
	pump();
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI], 1);
	T.out = out2;
	T.in = in2;
	T.p_out = p_out2;
	/* the second packet on the new outbound SA reaches its soft
	 * lifetime: the event names the child and its user value */
	T.n_ev = 0;
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "two", 3), 3);
	pump();
	assert_int_equal(peer_recv(T.peer, inner, &ilen, &spi), 0);
	assert_int_equal(T.n_ev, 1);
	assert_int_equal(T.ev.type, IPX_EV_SOFT_LIFETIME);
	assert_int_equal(T.ev.spi, 0x101);
	assert_int_equal(T.ev_child, T.child);
	assert_int_equal(T.ev_user, 0xfeed);

	/* the redundant SA of a simultaneous rekey (RFC 7296 2.8.1), made
	 * after the winner took over: its inbound SA joins, the outbound
	 * stays the winner's (t_loss once lost 67 pings when it went back
	 * to the deleted predecessor's) */
	{
		struct ipx_sa_params o3, i3;
		uint32_t out3, in3, p_out3;

		sa_pair(&o3, 0x102, 4500, PEER_PORT);
		sa_pair(&i3, 0x202, PEER_PORT, 4500);
		out3 = add_sa(T.eng, &o3, IPX_DIR_OUT);
		in3 = add_sa(T.eng, &i3, IPX_DIR_IN);
		add_sa(T.peng, &o3, IPX_DIR_IN);
		p_out3 = add_sa(T.peng, &i3, IPX_DIR_OUT);
		cp.sa_out = out3;
		cp.sa_in = in3;
		cp.spi_out = 0x102;
		cp.spi_in = 0x202;
		assert_int_equal(ipx_dp_child_update(T.dp, T.child, IPX_DP_UPD_IN, &cp), 0);
		assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "stay", 4), 4);
		pump();
		assert_int_equal(peer_recv(T.peer, inner, &ilen, &spi), 0);
		assert_int_equal(spi, 0x101);
		ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "in3");
		peer_send(p_out3, inner, ilen);
		pump();
		assert_true(app_got("in3"));
		assert_int_equal(ipx_dp_child_retire_in(T.dp, T.child, in3), 0);
	}
}

static void test_bad_esp(void **state)
{
	uint8_t inner[256], junk[64];
	uint32_t ilen;
	struct ipx_dp_child_stats cs;
	struct ipx_dp_stats st;

	(void)state;
	NEED();
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "genuine");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_true(app_got("genuine"));
	/* the same bytes again: a replay */
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, last, last_len), last_len);
	/* a forged ICV */
	last[last_len - 1] ^= 0x80;
	ipx_st32(last + 4, ipx_ld32(last + 4) + 1000);
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, last, last_len), last_len);
	/* truncated: SPI and sequence number only */
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, last, 9), 9);
	/* garbage with an unknown SPI */
	tlib_rand_bytes(junk, sizeof(junk));
	ipx_st32(junk, 0xdead0001);
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, junk, sizeof(junk)), sizeof(junk));
	pump();
	assert_false(app_got("-"));
	assert_int_equal(ipx_dp_child_stats(T.dp, T.child, &cs), 0);
	assert_int_equal(cs.dec_drops[IPX_ST_REPLAYED], 1);
	assert_int_equal(cs.dec_drops[IPX_ST_AUTH_FAILED], 1);
	assert_int_equal(cs.dec_drops[IPX_ST_MALFORMED], 1);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI], 2);
	/* nothing of that disturbed the tunnel */
	ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, "after");
	peer_send(T.p_out, inner, ilen);
	pump();
	assert_true(app_got("after"));
}

/*
 * NAT-T datagrams are received straight into pool buffers, a GRO segment
 * per buffer, when their segment size is the one the socket saw last;
 * other sizes are copied and their size learnt.  The peer sends several
 * ESP packets as one UDP GSO send (UDP_SEGMENT), which loopback hands to
 * the data plane's GRO socket as one datagram.
 */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

/* Inner packet i of a run: "<tag><i>" then filler up to size bytes of
 * payload. */
static uint32_t run_inner(uint8_t *p, char tag, unsigned i, uint32_t size)
{
	char text[1500];

	memset(text, 'x', size);
	text[0] = tag;
	text[1] = (char)('0' + i);
	text[size] = 0;
	return udp4(p, "10.2.0.1", 2222, "10.1.0.1", 1111, text);
}

/* n ESP packets of payload size each (the last one last_size) in one GSO
 * send; returns the ESP size of the full ones. */
static uint32_t peer_send_gso(char tag, unsigned n, uint32_t size, uint32_t last_size)
{
	static uint8_t all[32 * 1600], buf[2048];
	uint32_t off = 0, seg = 0;
	uint16_t gso;
	char ctl[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct iovec iov;
	struct msghdr m = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	assert_true(n <= 32);
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt pkt = { .buf = buf, .buf_len = sizeof(buf), .off = 256,
				       .sa = T.p_out };
		uint32_t l;

		pkt.len = run_inner(buf + 256, tag, i, i + 1 < n ? size : last_size);
		assert_int_equal(ipx_encrypt_burst(T.peng, &pkt, 1), 1);
		assert_int_equal(pkt.status, IPX_ST_OK);
		l = pkt.len - pkt.esp_off;
		if (!i)
			seg = l;
		memcpy(all + off, buf + pkt.off + pkt.esp_off, l);
		off += l;
	}
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	iov = (struct iovec){ all, off };
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	gso = (uint16_t)seg;
	memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	assert_int_equal(sendmsg(T.peer, &m, 0), (ssize_t)off);
	return seg;
}

/* The app gets run packets 0..n-1 of tag, in order, with their sizes,
 * and then nothing more. */
static void app_got_run(char tag, unsigned n, uint32_t size, uint32_t last_size)
{
	char b[1600];

	for (unsigned i = 0; i < n; i++) {
		ssize_t got = recv(T.app, b, sizeof(b), MSG_DONTWAIT);

		if (got < 0)
			fail_msg("run %c: packet %u of %u missing", tag, i, n);
		assert_int_equal(got, i + 1 < n ? size : last_size);
		assert_int_equal(b[0], tag);
		assert_int_equal(b[1], '0' + (int)i);
		assert_int_equal(b[got - 1], 'x');
	}
	assert_false(app_got("-"));
}

/* One run: sent as one GSO send, then all of it at the app, in order. */
static void gso_run(char tag, unsigned n, uint32_t size, uint32_t last_size)
{
	peer_send_gso(tag, n, size, last_size);
	pump();
	app_got_run(tag, n, size, last_size);
}

static void test_udp_in_place(void **state)
{
	struct ipx_dp_stats st0, st;
	uint8_t ike[3000];
	bool gro;

	(void)state;
	NEED();
	ipx_dp_stats(T.dp, &st0);
	gro = st0.udp_gro;
	/* a segment size not seen yet: copied, and learnt when GRO'd */
	gso_run('a', 4, 600, 600);
	ipx_dp_stats(T.dp, &st);
	if (gro) {
		assert_int_equal(st.net_rx_gro, st0.net_rx_gro + 1);
		assert_int_equal(st.net_rx_copied, st0.net_rx_copied + 1);
	}
	/* the same size, the last segment shorter: in place */
	gso_run('b', 6, 600, 100);
	/* one small datagram, no GRO: in place too */
	gso_run('c', 1, 40, 40);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.net_rx_copied, st0.net_rx_copied + (gro ? 1 : 0));
	/* IKE bigger than a segment: gathered and copied, whole */
	memset(ike, 0, 4);
	for (unsigned i = 4; i < sizeof(ike); i++)
		ike[i] = (uint8_t)(i * 7);
	T.n_ike = 0;
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, ike, sizeof(ike)),
			 (ssize_t)sizeof(ike));
	pump();
	assert_int_equal(T.n_ike, 1);
	assert_true(T.ike_natt);
	assert_int_equal(T.ike_full, sizeof(ike) - 4);
	assert_memory_equal(T.ike_msg, ike + 4, T.ike_len);
	/* another segment size: copied once, then in place */
	gso_run('d', 3, 900, 900);
	gso_run('e', 5, 900, 30);
	/* a keepalive between them changes nothing */
	assert_int_equal(send_to(T.peer, "127.0.0.1", 4500, "\xff", 1), 1);
	gso_run('f', 2, 900, 900);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.keepalive_rx, st0.keepalive_rx + 1);
	assert_int_equal(st.net_rx_copied, st0.net_rx_copied + (gro ? 3 : 1));
	if (gro)
		assert_int_equal(st.net_rx_gro, st0.net_rx_gro + 5);
	assert_int_equal(st.drops[IPX_DP_DROP_TRUNCATED], st0.drops[IPX_DP_DROP_TRUNCATED]);
	assert_int_equal(st.drops[IPX_DP_DROP_NO_BUFFER], st0.drops[IPX_DP_DROP_NO_BUFFER]);
	assert_int_equal(st.esp_rx_packets, st0.esp_rx_packets + 4 + 6 + 1 + 3 + 5 + 2);
}

/* The responder installs its SAs before it answers and may send on them at
 * once: ESP for an SPI we offered can come before our SA.  It is held and
 * decrypted, in order, once the SA is there; ESP for an SPI nobody
 * offered, or held too long, is dropped for an unknown SPI. */
static void peer_send_text(uint32_t sa, const char *text)
{
	uint8_t inner[256];
	uint32_t ilen = udp4(inner, "10.2.0.1", 2222, "10.1.0.1", 1111, text);

	peer_send(sa, inner, ilen);
}

/* The daemon's side of an answer: a new SA pair (inbound with the peer's
 * keys in), the child switched to it. */
static void install_in(uint32_t spi_out, const struct ipx_sa_params *in)
{
	struct ipx_sa_params o;
	struct ipx_dp_child_params cp = { 0 };

	sa_pair(&o, spi_out, 4500, PEER_PORT);
	cp.sa_out = add_sa(T.eng, &o, IPX_DIR_OUT);
	cp.sa_in = add_sa(T.eng, in, IPX_DIR_IN);
	cp.spi_out = spi_out;
	cp.spi_in = in->spi;
	assert_int_equal(ipx_dp_child_update(T.dp, T.child, IPX_DP_UPD_SAS, &cp), 0);
}

static void test_early_esp(void **state)
{
	struct ipx_sa_params i3, x, i4;
	struct ipx_dp_stats st0, st;
	uint32_t p3, px, p4;

	(void)state;
	NEED();
	/* the peer's keys for the inbound SAs to come (the same keys as
	 * ours: sa_pair draws them, so draw ours from the same params) */
	sa_pair(&i3, 0x203, PEER_PORT, 4500);
	p3 = add_sa(T.peng, &i3, IPX_DIR_OUT);
	sa_pair(&x, 0x2ff, PEER_PORT, 4500);
	px = add_sa(T.peng, &x, IPX_DIR_OUT);
	ipx_dp_stats(T.dp, &st0);
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x203, true), 0);
	peer_send_text(p3, "early-1");
	pump();
	peer_send_text(p3, "early-2");
	peer_send_text(px, "nobody's");
	pump();
	assert_false(app_got("-"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.esp_rx_held, st0.esp_rx_held + 2);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI],
			 st0.dec_drops[IPX_ST_UNKNOWN_SPI] + 1);
	/* the answer: the SA in the engine and the child, no longer expected */
	install_in(0x103, &i3);
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x203, false), 0);
	peer_send_text(p3, "next");
	pump();
	assert_true(app_got("early-1"));
	assert_true(app_got("early-2"));
	assert_true(app_got("next"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.esp_rx_packets, st0.esp_rx_packets + 4);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI],
			 st0.dec_drops[IPX_ST_UNKNOWN_SPI] + 1);

	/* held longer than IPX_DP_HOLD_MS: dropped even though its SA came */
	sa_pair(&i4, 0x204, PEER_PORT, 4500);
	p4 = add_sa(T.peng, &i4, IPX_DIR_OUT);
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x204, true), 0);
	peer_send_text(p4, "stale");
	pump();
	usleep((IPX_DP_HOLD_MS + 200) * 1000);
	install_in(0x104, &i4);
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x204, false), 0);
	peer_send_text(p4, "fresh");
	pump();
	assert_true(app_got("fresh"));
	assert_false(app_got("-"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.esp_rx_held, st0.esp_rx_held + 3);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI],
			 st0.dec_drops[IPX_ST_UNKNOWN_SPI] + 2);

	/* given up (the exchange failed): what is held goes */
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x2ff, true), 0);
	peer_send_text(px, "orphan");
	pump();
	assert_int_equal(ipx_dp_expect_spi(T.dp, 0x2ff, false), 0);
	peer_send_text(p4, "after");
	pump();
	assert_true(app_got("after"));
	assert_false(app_got("-"));
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.dec_drops[IPX_ST_UNKNOWN_SPI],
			 st0.dec_drops[IPX_ST_UNKNOWN_SPI] + 3);
	{
		json_t *j = ipx_dp_stats_json(T.dp);

		assert_int_equal(json_integer_value(json_object_get(j, "esp_rx_held")),
				 st.esp_rx_held);
		json_decref(j);
	}
}

static void test_stats_json(void **state)
{
	json_t *j, *c, *d, *ch;
	struct ipx_dp_stats st;

	(void)state;
	NEED();
	j = ipx_dp_stats_json(T.dp);
	assert_non_null(j);
	ipx_dp_stats(T.dp, &st);
	assert_string_equal(json_string_value(json_object_get(j, "tun")), "ipxt0");
	assert_int_equal(json_integer_value(json_object_get(j, "esp_rx_packets")),
			 st.esp_rx_packets);
	d = json_object_get(j, "drops");
	assert_int_equal(json_integer_value(json_object_get(d, "selector_mismatch")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "decrypt"),
							    "unknown_spi")), 2);
	/* the totals do not grow with the Child SAs: they are listed apart */
	assert_null(json_object_get(j, "child_sas"));
	ch = ipx_dp_children_json(T.dp);
	c = json_array_get(ch, 0);
	assert_non_null(c);
	assert_string_equal(json_string_value(json_object_get(c, "spi_out")), "00000101");
	assert_int_equal(json_array_size(json_object_get(c, "spi_in")), 1);
	assert_string_equal(json_string_value(json_object_get(c, "peer")), "127.0.0.1:40000");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "remote_ts"), 0)),
			    "10.2.0.0/24[17/2222-2222]");
	assert_true(json_is_true(json_object_get(c, "encap")));
	/* one child's drops (list-sas): those that counted, and only them */
	{
		uint32_t id = (uint32_t)json_integer_value(json_object_get(c, "id"));
		struct ipx_dp_child_stats cs;

		assert_int_equal(ipx_dp_child_stats(T.dp, id, &cs), 0);
		d = ipx_dp_child_drops_json(T.dp, id);
		assert_int_equal(json_integer_value(json_object_get(d, "selector_mismatch")),
				 cs.selector_drops);
		assert_int_equal(json_integer_value(json_object_get(d, "tx_error")), cs.tx_errors);
		assert_true(!cs.tx_errors == !json_object_get(d, "tx_error"));
		json_decref(d);
		assert_null(ipx_dp_child_drops_json(T.dp, 0xfffffff0u));
	}
	json_decref(ch);
	json_decref(j);
}

static void test_delete_and_close(void **state)
{
	struct ipx_dp_stats st;

	(void)state;
	NEED();
	assert_int_equal(ipx_dp_child_delete(T.dp, T.child), 0);
	assert_int_equal(ipx_dp_child_delete(T.dp, T.child), -ENOENT);
	/* the route to 10.2.0.0/24 went with the child */
	assert_int_equal(send_to(T.app, "10.2.0.1", 2222, "x", 1), -1);
	assert_int_equal(errno, ENETUNREACH);
	ipx_dp_stats(T.dp, &st);
	assert_int_equal(st.children, 0);
	assert_true(if_nametoindex("ipxt0") > 0);
	ipx_dp_close(T.dp);
	T.dp = NULL;
	assert_int_equal(if_nametoindex("ipxt0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_inbound_selectors),
		cmocka_unit_test(test_acquire),
		cmocka_unit_test(test_ike_keepalive),
		cmocka_unit_test(test_peer_moves),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_bad_esp),
		cmocka_unit_test(test_udp_in_place),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_early_esp),
		cmocka_unit_test(test_delete_and_close),
	};
	int r = cmocka_run_group_tests(tests, setup, teardown);

	if (T.why)
		printf("# SKIP: %s\n", T.why);
	return r;
}
