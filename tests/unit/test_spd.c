/*
 * The data plane's SPD: selector parsing, packet 5-tuples, selector
 * matching (RFC 7296 3.13.1, RFC 4301 4.4.1.1), the outbound lookup order
 * of spd.h with overlapping Child SAs, the RFC 4301 5.2 inbound check,
 * ranges as prefixes (for routes), and differential tests of the lookup
 * against a deliberately naive reference (every rule, the documented order,
 * its own selector match) on random rules and flows: a small IPv4 one, and
 * one with both families, every kind of selector and adds and removes
 * interleaved; and 100,000 children, each its own /24 or /16, with lookups/s
 * printed at 1k, 10k and 100k.  Beside it, the route sets the data plane
 * keeps per TUN device (dp_map.c): 100,000 prefixes added, found, removed
 * in random order, against a plain array.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ipsecfx/bytes.h>

#include "../../host/dataplane/dp_internal.h"
#include "../../host/dataplane/spd.h"
#include "tlib.h"

static struct ipx_ts ts(const char *s)
{
	struct ipx_ts t;

	if (ipx_ts_parse(s, &t) < 0)
		fail_msg("'%s' does not parse", s);
	return t;
}

static struct ipx_addr addr(const char *s)
{
	struct ipx_addr a = { 0 };

	if (inet_pton(AF_INET, s, a.a) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.a) == 1)
		a.family = AF_INET6;
	else
		fail_msg("bad address %s", s);
	return a;
}

static struct ipx_dp_flow flow(const char *src, const char *dst, uint8_t proto,
			       int sport, int dport)
{
	struct ipx_dp_flow f = { .src = addr(src), .dst = addr(dst), .proto = proto };

	if (sport >= 0) {
		f.has_ports = true;
		f.sport = (uint16_t)sport;
		f.dport = (uint16_t)dport;
	}
	return f;
}

/* ---- parsing -------------------------------------------------------------------- */

static void test_ts_parse(void **state)
{
	static const struct {
		const char *in;
		const char *start, *end;
		uint8_t proto;
		uint16_t lo, hi;
	} good[] = {
		{ "10.1.0.0/24", "10.1.0.0", "10.1.0.255", 0, 0, 65535 },
		{ "10.1.0.77/24", "10.1.0.0", "10.1.0.255", 0, 0, 65535 },
		{ "10.1.0.1", "10.1.0.1", "10.1.0.1", 0, 0, 65535 },
		{ "0.0.0.0/0", "0.0.0.0", "255.255.255.255", 0, 0, 65535 },
		{ "10.0.0.5-10.0.0.9", "10.0.0.5", "10.0.0.9", 0, 0, 65535 },
		{ "10.1.0.1/32[tcp/80]", "10.1.0.1", "10.1.0.1", 6, 80, 80 },
		{ "10.1.0.1/32[udp/1000-2000]", "10.1.0.1", "10.1.0.1", 17, 1000, 2000 },
		{ "10.1.0.1/32[47]", "10.1.0.1", "10.1.0.1", 47, 0, 65535 },
		{ "10.1.0.1/32[icmp/8]", "10.1.0.1", "10.1.0.1", 1, 0x0800, 0x08ff },
		{ "10.1.0.1/32[udp/opaque]", "10.1.0.1", "10.1.0.1", 17, 65535, 0 },
		{ "10.1.0.1/32[icmp/0x0800-0x0801]", "10.1.0.1", "10.1.0.1", 1, 0x0800, 0x0801 },
		{ "fd00::/64", "fd00::", "fd00::ffff:ffff:ffff:ffff", 0, 0, 65535 },
		{ "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535 },
		{ "fd00::1-fd00::2:0[icmpv6/128-129]", "fd00::1", "fd00::2:0", 58,
		  0x8000, 0x81ff },
	};
	static const char *const bad[] = {
		"", "10.1.0.0/33", "10.1.0.9-10.1.0.1", "10.1.0.1-fd00::1", "fd00::/129",
		"10.1.0.1[tcp/80", "10.1.0.1[]", "10.1.0.1[tcp/90-80]", "10.1.0.1[tcp/65536]",
		"10.1.0.1[icmp/256]", "10.1.0.1[xyz]", "10.1.0.300", "10.1.0.1/-1",
		"10.1.0.1/24x",
	};
	char buf[160];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct ipx_ts t = ts(good[i].in), back;
		struct ipx_addr s = addr(good[i].start), e = addr(good[i].end);

		if (memcmp(&t.start, &s, sizeof(s)) || memcmp(&t.end, &e, sizeof(e)) ||
		    t.proto != good[i].proto || t.port_start != good[i].lo ||
		    t.port_end != good[i].hi)
			fail_msg("%s parsed wrong", good[i].in);
		/* what ipx_ts_str prints parses back to the same selector */
		ipx_ts_str(&t, buf, sizeof(buf));
		assert_int_equal(ipx_ts_parse(buf, &back), 0);
		if (memcmp(&t, &back, sizeof(t)))
			fail_msg("%s -> %s does not round-trip", good[i].in, buf);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipx_ts t;

		if (ipx_ts_parse(bad[i], &t) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
	}
}

/* ---- packets --------------------------------------------------------------------- */

static uint32_t ip4(uint8_t *p, uint8_t proto, uint16_t frag, uint32_t l4len)
{
	memset(p, 0, 20 + l4len);
	p[0] = 0x45;
	ipx_st16(p + 2, (uint16_t)(20 + l4len));
	ipx_st16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	p[12] = 10, p[13] = 1, p[15] = 1;
	p[16] = 10, p[17] = 2, p[19] = 1;
	return 20 + l4len;
}

static void test_flow_parse(void **state)
{
	uint8_t p[256];
	struct ipx_dp_flow f;
	uint32_t n;

	(void)state;
	/* TCP: ports */
	n = ip4(p, IPPROTO_TCP, 0, 20);
	ipx_st16(p + 20, 1234);
	ipx_st16(p + 22, 80);
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_true(f.has_ports);
	assert_int_equal(f.sport, 1234);
	assert_int_equal(f.dport, 80);
	assert_int_equal(f.proto, IPPROTO_TCP);
	assert_memory_equal(f.src.a, "\x0a\x01\x00\x01", 4);
	/* the buffer may be longer than the packet (trailing bytes ignored) */
	assert_int_equal(spd_flow_parse(p, n + 10, &f), 0);
	/* ICMP echo request: type 8 code 0 as port 0x0800 on both sides */
	n = ip4(p, IPPROTO_ICMP, 0, 8);
	p[20] = 8;
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_true(f.has_ports);
	assert_int_equal(f.sport, 0x0800);
	assert_int_equal(f.dport, 0x0800);
	/* a first fragment (MF) has ports, a later one (offset) has not */
	n = ip4(p, IPPROTO_UDP, 0x2000, 8);
	ipx_st16(p + 20, 53);
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_true(f.has_ports);
	n = ip4(p, IPPROTO_UDP, 0x0010, 8);
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_false(f.has_ports);
	assert_int_equal(f.proto, IPPROTO_UDP);
	/* GRE: no ports */
	n = ip4(p, IPPROTO_GRE, 0, 8);
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_false(f.has_ports);
	/* too short for the ports: no ports, still a packet */
	n = ip4(p, IPPROTO_TCP, 0, 2);
	assert_int_equal(spd_flow_parse(p, n, &f), 0);
	assert_false(f.has_ports);
	/* broken headers */
	n = ip4(p, IPPROTO_TCP, 0, 20);
	assert_int_equal(spd_flow_parse(p, 19, &f), -EINVAL);      /* short */
	assert_int_equal(spd_flow_parse(p, n - 1, &f), -EINVAL);   /* tot_len > len */
	p[0] = 0x44;                                                /* IHL 4 */
	assert_int_equal(spd_flow_parse(p, n, &f), -EINVAL);
	p[0] = 0x4f;                                                /* IHL 60 > tot */
	assert_int_equal(spd_flow_parse(p, n, &f), -EINVAL);
	p[0] = 0x55;                                                /* version 5 */
	assert_int_equal(spd_flow_parse(p, n, &f), -EINVAL);
	assert_int_equal(spd_flow_parse(p, 0, &f), -EINVAL);

	/* IPv6: hop-by-hop, destination options, then a first fragment, UDP */
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	ipx_st16(p + 4, 8 + 8 + 8 + 8);
	p[6] = 0;                 /* hop-by-hop */
	p[8] = 0xfd, p[23] = 1;   /* fd00::1 */
	p[24] = 0xfd, p[39] = 2;
	p[40] = 60, p[41] = 0;    /* -> dest opts, 8 bytes */
	p[48] = 44, p[49] = 0;    /* -> fragment */
	p[56] = IPPROTO_UDP;      /* fragment: offset 0, M set */
	ipx_st16(p + 58, 1);
	ipx_st16(p + 64, 5000);
	ipx_st16(p + 66, 53);
	assert_int_equal(spd_flow_parse(p, 72, &f), 0);
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_true(f.has_ports);
	assert_int_equal(f.sport, 5000);
	assert_int_equal(f.dport, 53);
	assert_int_equal(f.dst.family, AF_INET6);
	/* a later fragment: protocol known, ports not */
	ipx_st16(p + 58, 0x0008);
	assert_int_equal(spd_flow_parse(p, 72, &f), 0);
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_false(f.has_ports);
	/* an extension header running past the payload */
	p[41] = 5;
	assert_int_equal(spd_flow_parse(p, 72, &f), -EINVAL);
	p[41] = 0;
	/* payload length beyond the buffer */
	assert_int_equal(spd_flow_parse(p, 71, &f), -EINVAL);
	assert_int_equal(spd_flow_parse(p, 39, &f), -EINVAL);
}

/* ---- matching ---------------------------------------------------------------------- */

static void test_ts_match(void **state)
{
	static const struct {
		const char *ts, *a;
		uint8_t proto;
		int port;        /* -1: no ports */
		bool want;
	} t[] = {
		{ "10.1.0.0/24", "10.1.0.0", 6, 80, true },
		{ "10.1.0.0/24", "10.1.0.255", 6, 80, true },
		{ "10.1.0.0/24", "10.1.1.0", 6, 80, false },
		{ "10.1.0.0/24", "10.0.255.255", 6, 80, false },
		{ "10.1.0.0/24", "fd00::1", 6, 80, false },            /* family */
		{ "10.0.0.5-10.0.0.9", "10.0.0.9", 17, 1, true },
		{ "10.0.0.5-10.0.0.9", "10.0.0.10", 17, 1, false },
		{ "10.1.0.1[tcp]", "10.1.0.1", 6, 1, true },
		{ "10.1.0.1[tcp]", "10.1.0.1", 17, 1, false },         /* protocol */
		{ "10.1.0.1[tcp/80-90]", "10.1.0.1", 6, 79, false },
		{ "10.1.0.1[tcp/80-90]", "10.1.0.1", 6, 80, true },
		{ "10.1.0.1[tcp/80-90]", "10.1.0.1", 6, 90, true },
		{ "10.1.0.1[tcp/80-90]", "10.1.0.1", 6, 91, false },
		{ "10.1.0.1[tcp/80-90]", "10.1.0.1", 6, -1, false },   /* later fragment */
		{ "10.1.0.1[tcp]", "10.1.0.1", 6, -1, true },          /* any ports */
		{ "10.1.0.1[tcp/opaque]", "10.1.0.1", 6, -1, true },   /* OPAQUE */
		{ "10.1.0.1[tcp/opaque]", "10.1.0.1", 6, 80, false },
		{ "10.1.0.1", "10.1.0.1", 47, -1, true },              /* GRE, any */
		{ "10.1.0.1[icmp/8]", "10.1.0.1", 1, 0x0800, true },   /* echo request */
		{ "10.1.0.1[icmp/8]", "10.1.0.1", 1, 0x0000, false },  /* echo reply */
		{ "::/0", "fd00::1", 58, 0x8000, true },
		{ "fd00::/16", "fe80::1", 58, 0x8000, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ipx_ts s = ts(t[i].ts);
		struct ipx_addr a = addr(t[i].a);
		bool got = spd_ts_match(&s, &a, t[i].proto, t[i].port >= 0,
					(uint16_t)(t[i].port < 0 ? 0 : t[i].port));

		if (got != t[i].want)
			fail_msg("row %zu: %s vs %s proto %u port %d: got %d", i, t[i].ts,
				 t[i].a, t[i].proto, t[i].port, got);
	}
}

static void test_inbound(void **state)
{
	struct ipx_ts l[2] = { ts("10.1.0.0/24"), ts("fd00:1::/64") };
	struct ipx_ts r[2] = { ts("10.2.0.1[tcp/80]"), ts("fd00:2::1") };
	struct ipx_dp_flow f;

	(void)state;
	/* inbound: source in a remote selector, destination in a local one */
	f = flow("10.2.0.1", "10.1.0.7", 6, 80, 40000);
	assert_true(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("10.2.0.1", "10.1.0.7", 6, 81, 40000);     /* remote port */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("10.2.0.1", "10.1.0.7", 17, 80, 40000);    /* protocol */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("10.2.0.2", "10.1.0.7", 6, 80, 40000);     /* spoofed source */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("10.2.0.1", "10.1.1.7", 6, 80, 40000);     /* wrong destination */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("10.1.0.7", "10.2.0.1", 6, 40000, 80);     /* the outbound way */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("fd00:2::1", "fd00:1::9", 58, 0x8100, 0x8100);
	assert_true(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("fd00:2::1", "fd00:3::9", 58, 0x8100, 0x8100); /* destination */
	assert_false(spd_check_inbound(l, 2, r, 2, &f));
	f = flow("fd00:2::1", "fd00:1::9", 58, 0x8100, 0x8100);
	assert_false(spd_check_inbound(l, 1, r, 1, &f));   /* v6 selectors not given */
}

/* ---- the lookup -------------------------------------------------------------------- */

static void add(struct spd *s, uint32_t child, const char *l, const char *r)
{
	struct ipx_ts lt[4], rt[4];
	unsigned nl = 0, nr = 0;
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", l);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		lt[nl++] = ts(tok);
	snprintf(buf, sizeof(buf), "%s", r);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		rt[nr++] = ts(tok);
	assert_int_equal(spd_add(s, child, lt, nl, rt, nr), 0);
}

static void test_lookup_overlaps(void **state)
{
	struct spd s;
	static const struct {
		const char *src, *dst;
		uint8_t proto;
		int sport, dport;
		uint32_t want;
	} t[] = {
		/* the /32 pair with tcp/80 beats everything for web traffic */
		{ "10.1.0.1", "10.2.0.1", 6, 40000, 80, 2 },
		/* same hosts, other port: the /32 pair without ports */
		{ "10.1.0.1", "10.2.0.1", 6, 40000, 81, 3 },
		/* /16 remote before 0.0.0.0/0 */
		{ "10.1.0.9", "10.2.3.4", 17, 1, 2, 1 },
		/* only the default child covers 10.3.0.0/16 */
		{ "10.1.0.9", "10.3.0.1", 17, 1, 2, 0 },
		/* source outside every local selector */
		{ "10.9.0.9", "10.2.0.1", 6, 40000, 80, IPX_DP_CHILD_NONE },
		/* IPv6 in a multi-selector child */
		{ "fd00:1::5", "fd00:2::1", 58, 0x8000, 0x8000, 5 },
		{ "fd00:1::5", "fd00:2::2", 58, 0x8000, 0x8000, IPX_DP_CHILD_NONE },
		/* later fragment: only selectors with any ports */
		{ "10.1.0.1", "10.2.0.1", 6, -1, -1, 3 },
	};

	(void)state;
	assert_int_equal(spd_init(&s), 0);
	add(&s, 0, "10.1.0.0/16", "0.0.0.0/0");
	add(&s, 1, "10.1.0.0/16", "10.2.0.0/16");
	add(&s, 2, "10.1.0.1", "10.2.0.1[tcp/80]");
	add(&s, 3, "10.1.0.1", "10.2.0.1");
	/* identical to 3, added later: never chosen while 3 exists */
	add(&s, 4, "10.1.0.1", "10.2.0.1");
	add(&s, 5, "10.1.0.0/16 fd00:1::/64", "10.4.0.0/16 fd00:2::1");
	for (int pass = 0; pass < 2; pass++)   /* second pass: from the cache */
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			struct ipx_dp_flow f = flow(t[i].src, t[i].dst, t[i].proto,
						    t[i].sport, t[i].dport);
			uint32_t got = spd_lookup(&s, &f);

			if (got != t[i].want)
				fail_msg("pass %d row %zu: child %d, want %d", pass, i,
					 (int)got, (int)t[i].want);
			assert_int_equal(spd_lookup_slow(&s, &f), got);
		}
	assert_true(s.cache_hits >= sizeof(t) / sizeof(t[0]));
	/* removing a child changes the answers at once (cache invalidated) */
	{
		struct ipx_dp_flow f = flow("10.1.0.1", "10.2.0.1", 6, 40000, 81);

		assert_int_equal(spd_lookup(&s, &f), 3);
		assert_int_equal(spd_remove(&s, 3), 0);
		assert_int_equal(spd_lookup(&s, &f), 4);
		assert_int_equal(spd_remove(&s, 4), 0);
		assert_int_equal(spd_lookup(&s, &f), 1);
		assert_int_equal(spd_remove(&s, 4), -ENOENT);
		f = flow("fd00:1::5", "fd00:2::1", 58, 0x8000, 0x8000);
		assert_int_equal(spd_remove(&s, 5), 0);
		assert_int_equal(spd_lookup(&s, &f), IPX_DP_CHILD_NONE);
	}
	assert_int_equal(spd_add(&s, 9, NULL, 0, NULL, 0), -EINVAL);
	{
		struct ipx_ts bad = ts("10.0.0.1");

		bad.end.a[3] = 0;   /* end below start */
		assert_int_equal(spd_add(&s, 9, &bad, 1, &bad, 1), -EINVAL);
	}
	spd_free(&s);
}

/*
 * A range the SPD splits into prefixes ranks by its whole size, not by the
 * piece that holds the packet: the piece may sit under a longer prefix than
 * a rule that comes first, or under a shorter one.
 */
static void test_lookup_split_ranges(void **state)
{
	struct spd s;
	static const struct {
		const char *dst;
		uint32_t want;
	} t[] = {
		/* 1 (16 addresses, 10.0.0.8 under its /29) ties 2 (a /28) on
		 * the remote range; 2's smaller local range decides */
		{ "10.0.0.8", 2 },
		{ "10.0.0.16", 1 },                 /* past 2's /28 */
		/* 3's piece 10.0.1.3/32 is longer than 4's /30, its range wider */
		{ "10.0.1.3", 4 },
		{ "10.0.1.4", 3 },
		/* 5's piece 10.0.2.0/24 is shorter than 6's, its range narrower
		 * than 6's 10.0.0.0/16 */
		{ "10.0.2.7", 5 },
		{ "10.0.9.9", 6 },
		/* the same in IPv6: fd00::3/128 of a range of 255 vs a /126 */
		{ "fd00::3", 8 },
		{ "fd00::4", 7 },
		{ "fd00::1:0", IPX_DP_CHILD_NONE },
	};

	(void)state;
	assert_int_equal(spd_init(&s), 0);
	add(&s, 1, "10.9.0.0/16", "10.0.0.1-10.0.0.16");
	add(&s, 2, "10.9.0.0/24", "10.0.0.0/28");
	add(&s, 3, "10.9.0.0/16", "10.0.1.3-10.0.1.200");
	add(&s, 4, "10.9.0.0/16", "10.0.1.0/30");
	add(&s, 5, "10.9.0.0/16", "10.0.1.255-10.0.2.255");
	add(&s, 6, "10.9.0.0/16", "10.0.0.0/16");
	add(&s, 7, "fd09::/64", "fd00::3-fd00::101");
	add(&s, 8, "fd09::/64", "fd00::/126");
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool v6 = strchr(t[i].dst, ':') != NULL;
		struct ipx_dp_flow f = flow(v6 ? "fd09::1" : "10.9.0.1", t[i].dst, 17, 1, 2);

		if (spd_lookup_slow(&s, &f) != t[i].want || spd_lookup(&s, &f) != t[i].want)
			fail_msg("%s: child %d, want %d", t[i].dst,
				 (int)spd_lookup_slow(&s, &f), (int)t[i].want);
	}
	spd_free(&s);
}

/* A child per host pair, thousands of them: every lookup finds its own. */
static void test_lookup_many(void **state)
{
	struct spd s;
	enum { N = 5000 };

	(void)state;
	assert_int_equal(spd_init(&s), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct ipx_ts l = ts("10.1.0.1"), r = ts("10.128.0.0");

		ipx_st32(r.start.a, ipx_ld32(r.start.a) + i);
		r.end = r.start;
		assert_int_equal(spd_add(&s, i, &l, 1, &r, 1), 0);
	}
	{
		struct ipx_ts l = ts("10.1.0.0/16"), r = ts("10.0.0.0/8");

		assert_int_equal(spd_add(&s, N, &l, 1, &r, 1), 0);
	}
	for (uint32_t i = 0; i < N + 10; i++) {
		struct ipx_dp_flow f = flow("10.1.0.1", "10.128.0.0", 6, 1, 2);

		ipx_st32(f.dst.a, ipx_ld32(f.dst.a) + i);
		assert_int_equal(spd_lookup(&s, &f), i < N ? i : N);
	}
	for (uint32_t i = 0; i < N; i += 2)
		assert_int_equal(spd_remove(&s, i), 0);
	for (uint32_t i = 0; i < N; i++) {
		struct ipx_dp_flow f = flow("10.1.0.1", "10.128.0.0", 6, 1, 2);

		ipx_st32(f.dst.a, ipx_ld32(f.dst.a) + i);
		assert_int_equal(spd_lookup(&s, &f), i % 2 ? i : N);
	}
	assert_int_equal(s.nrules, N / 2 + 1);
	spd_free(&s);
}

/* ---- differential: the lookup against the order spd.h documents ------------ */

struct ref_rule {
	struct ipx_ts l, r;
	uint32_t child;
	uint32_t seq, idx;
	bool live;
};

static unsigned __int128 size_of(const struct ipx_ts *t)
{
	unsigned __int128 a = 0, b = 0;
	unsigned n = t->start.family == AF_INET6 ? 16 : 4;

	for (unsigned i = 0; i < n; i++) {
		a = a << 8 | t->start.a[i];
		b = b << 8 | t->end.a[i];
	}
	return b - a;
}

static uint32_t width(const struct ipx_ts *t)
{
	return t->port_start > t->port_end ? 0 : (uint32_t)(t->port_end - t->port_start);
}

/* true if a comes before b in the documented order */
static bool ref_before(const struct ref_rule *a, const struct ref_rule *b)
{
	if (size_of(&a->r) != size_of(&b->r))
		return size_of(&a->r) < size_of(&b->r);
	if (size_of(&a->l) != size_of(&b->l))
		return size_of(&a->l) < size_of(&b->l);
	if (!a->r.proto != !b->r.proto)
		return a->r.proto != 0;
	if (width(&a->r) != width(&b->r))
		return width(&a->r) < width(&b->r);
	if (width(&a->l) != width(&b->l))
		return width(&a->l) < width(&b->l);
	if (a->seq != b->seq)
		return a->seq < b->seq;
	return a->idx < b->idx;
}

/* A selector match written from dataplane.h's definition, apart from spd.c. */
static bool ref_ts_match(const struct ipx_ts *t, const struct ipx_addr *a,
			 uint8_t proto, bool has_ports, uint16_t port)
{
	unsigned n = a->family == AF_INET6 ? 16 : 4;

	if (t->start.family != a->family || memcmp(a->a, t->start.a, n) < 0 ||
	    memcmp(a->a, t->end.a, n) > 0)
		return false;
	if (t->proto != 0 && t->proto != proto)
		return false;
	if (t->port_start == 0xffff && t->port_end == 0)   /* OPAQUE */
		return !has_ports;
	if (t->port_start == 0 && t->port_end == 0xffff)   /* any */
		return true;
	return has_ports && port >= t->port_start && port <= t->port_end;
}

/* naive: look at every rule, keep the earliest in the order that matches */
static uint32_t ref_lookup(const struct ref_rule *v, unsigned n,
			   const struct ipx_dp_flow *f)
{
	const struct ref_rule *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		const struct ref_rule *r = &v[i];
		uint16_t sp = f->sport, dp = f->dport;
		bool m;

		if (!r->live)
			continue;
		m = ref_ts_match(&r->r, &f->dst, f->proto, f->has_ports, dp) &&
		    ref_ts_match(&r->l, &f->src, f->proto, f->has_ports, sp);
		if (m && (!best || ref_before(r, best)))
			best = r;
	}
	return best ? best->child : IPX_DP_CHILD_NONE;
}

/* A random selector from a small universe, so that rules overlap a lot. */
static struct ipx_ts rand_ts(void)
{
	struct ipx_ts t = ts("10.0.0.0");
	uint32_t base = 0x0a000000u | (uint32_t)(tlib_rand() % 64);
	uint32_t span = tlib_rand() % 4 == 0 ? 0 : (uint32_t)(tlib_rand() % 40);
	static const uint8_t protos[] = { 0, 0, 6, 17, 1 };

	ipx_st32(t.start.a, base);
	ipx_st32(t.end.a, base + span);
	t.proto = protos[tlib_rand() % 5];
	switch (tlib_rand() % 4) {
	case 0:
		t.port_start = (uint16_t)(tlib_rand() % 8);
		t.port_end = (uint16_t)(t.port_start + tlib_rand() % 8);
		break;
	case 1:
		t.port_start = 0xffff;   /* OPAQUE */
		t.port_end = 0;
		break;
	default:
		break;
	}
	return t;
}

static void test_lookup_differential(void **state)
{
	enum { CHILDREN = 300, FLOWS = 20000 };
	struct ref_rule *ref = calloc(CHILDREN * 4, sizeof(*ref));
	unsigned nref = 0;
	struct spd s;

	(void)state;
	assert_non_null(ref);
	tlib_srand(7);
	assert_int_equal(spd_init(&s), 0);
	for (uint32_t c = 0; c < CHILDREN; c++) {
		struct ipx_ts l[2], r[2];
		unsigned nl = 1 + (unsigned)(tlib_rand() % 2), nr = 1 + (unsigned)(tlib_rand() % 2);

		for (unsigned i = 0; i < nl; i++)
			l[i] = rand_ts();
		for (unsigned i = 0; i < nr; i++)
			r[i] = rand_ts();
		assert_int_equal(spd_add(&s, c, l, nl, r, nr), 0);
		for (unsigned i = 0; i < nl; i++)
			for (unsigned j = 0; j < nr; j++)
				ref[nref++] = (struct ref_rule){ l[i], r[j], c, c, i * nr + j, true };
	}
	for (int round = 0; round < 2; round++) {
		for (unsigned k = 0; k < FLOWS; k++) {
			struct ipx_dp_flow f = flow("10.0.0.0", "10.0.0.0", 0, -1, -1);
			static const uint8_t protos[] = { 6, 17, 1, 47 };

			ipx_st32(f.src.a, 0x0a000000u | (uint32_t)(tlib_rand() % 110));
			ipx_st32(f.dst.a, 0x0a000000u | (uint32_t)(tlib_rand() % 110));
			f.proto = protos[tlib_rand() % 4];
			if (f.proto != 47 && tlib_rand() % 8) {
				f.has_ports = true;
				f.sport = (uint16_t)(tlib_rand() % 18);
				f.dport = (uint16_t)(tlib_rand() % 18);
			}
			if (spd_lookup(&s, &f) != ref_lookup(ref, nref, &f))
				fail_msg("round %d flow %u: spd %d, reference %d", round, k,
					 (int)spd_lookup(&s, &f), (int)ref_lookup(ref, nref, &f));
		}
		/* then remove a third of the children and compare again */
		for (uint32_t c = (uint32_t)round; c < CHILDREN; c += 3) {
			assert_int_equal(spd_remove(&s, c), 0);
			for (unsigned i = 0; i < nref; i++)
				if (ref[i].child == c)
					ref[i].live = false;
		}
	}
	spd_free(&s);
	free(ref);
}

/* ---- differential: every kind of selector, adds and removes interleaved -- */

typedef unsigned __int128 u128;

static u128 to_u128(const struct ipx_addr *a)
{
	u128 v = 0;

	for (unsigned i = 0; i < (a->family == AF_INET6 ? 16u : 4u); i++)
		v = v << 8 | a->a[i];
	return v;
}

static struct ipx_addr from_u128(uint8_t family, u128 v)
{
	struct ipx_addr a = { .family = family };

	for (int i = family == AF_INET6 ? 15 : 3; i >= 0; i--, v >>= 8)
		a.a[i] = (uint8_t)v;
	return a;
}

/* An address near one of three bases that differ in their high bits: small
 * enough a space that rules overlap and ranges of equal size meet. */
static struct ipx_addr near(uint8_t family, unsigned base)
{
	static const uint32_t v4[3] = { 0x0a000000u, 0x0a010000u, 0xc0a80000u };
	struct ipx_addr a = { .family = family };
	unsigned low = (unsigned)(tlib_rand() % 64);

	if (family == AF_INET) {
		ipx_st32(a.a, v4[base] | low);
	} else {
		a.a[0] = 0xfd;
		a.a[1] = base == 2 ? 0x80 : 0;
		a.a[7] = (uint8_t)base;
		ipx_st16(a.a + 14, (uint16_t)low);
	}
	return a;
}

static struct ipx_addr rand_addr(uint8_t family)
{
	return near(family, (unsigned)(tlib_rand() % 3));
}

static u128 low_bits(unsigned k)
{
	return k >= 128 ? ~(u128)0 : ((u128)1 << k) - 1;
}

static void rand_proto_ports(struct ipx_ts *t)
{
	static const uint8_t protos[] = { 0, 0, 0, 6, 17, 1, 58 };
	unsigned k = (unsigned)(tlib_rand() % 20);

	t->proto = protos[tlib_rand() % sizeof(protos)];
	t->port_start = 0;
	t->port_end = 0xffff;
	if (k < 5) {            /* a few ports */
		t->port_start = (uint16_t)(tlib_rand() % 20);
		t->port_end = (uint16_t)(t->port_start + tlib_rand() % 8);
	} else if (k < 8) {     /* one */
		t->port_start = t->port_end = (uint16_t)(tlib_rand() % 20);
	} else if (k < 10) {    /* OPAQUE */
		t->port_start = 0xffff;
		t->port_end = 0;
	} else if (k < 11) {    /* from some port up */
		t->port_start = (uint16_t)(tlib_rand() % 20);
	}
}

/* One address, a prefix (narrow or wide), or an arbitrary range. */
static struct ipx_ts rand_sel(uint8_t family)
{
	static const unsigned wide4[] = { 32, 24, 16, 8 }, wide6[] = { 128, 120, 80, 64 };
	struct ipx_addr o = rand_addr(family);
	struct ipx_ts t;
	u128 a = to_u128(&o), b, x;
	unsigned k;

	memset(&t, 0, sizeof(t));
	switch (tlib_rand() % 8) {
	case 0:
	case 1:                 /* one address */
		b = a;
		break;
	case 2:
	case 3:                 /* a prefix of up to 2^6 addresses */
		k = (unsigned)(tlib_rand() % 7);
		a &= ~low_bits(k);
		b = a | low_bits(k);
		break;
	case 4:                 /* a short range, often the size of a prefix */
		b = a + tlib_rand() % 40;
		if (family == AF_INET && b > 0xffffffffu)
			b = 0xffffffffu;
		break;
	case 5:                 /* a wide prefix, up to everything */
		k = family == AF_INET6 ? wide6[tlib_rand() % 4] : wide4[tlib_rand() % 4];
		a &= ~low_bits(k);
		b = a | low_bits(k);
		break;
	default:                /* an arbitrary range, near one base or across */
		o = tlib_rand() % 2 ? rand_addr(family) : near(family, 0);
		b = to_u128(&o);
		if (b < a)
			x = a, a = b, b = x;
		break;
	}
	t.start = from_u128(family, a);
	t.end = from_u128(family, b);
	rand_proto_ports(&t);
	return t;
}

struct ref_spd {
	struct ref_rule *v;
	unsigned n, cap;
	uint32_t seq;
};

/* An address in the selector's range, often one of its ends. */
static struct ipx_addr addr_in(const struct ipx_ts *t)
{
	u128 a = to_u128(&t->start), n = to_u128(&t->end) - a + 1;
	u128 x = (u128)tlib_rand() << 64 | tlib_rand();

	switch (tlib_rand() % 4) {
	case 0:
		return t->start;
	case 1:
		return t->end;
	default:
		return from_u128(t->start.family, n ? a + x % n : x);
	}
}

/* A port the selector takes, when it takes one. */
static void port_in(const struct ipx_ts *t, struct ipx_dp_flow *f, uint16_t *port)
{
	if (t->port_start > t->port_end)
		f->has_ports = false;
	else
		*port = (uint16_t)(t->port_start +
				   tlib_rand() % (t->port_end - t->port_start + 1u));
}

/* A flow inside one rule's selectors: it meets the rules overlapping it. */
static struct ipx_dp_flow flow_in(const struct ref_rule *r)
{
	struct ipx_dp_flow f;

	memset(&f, 0, sizeof(f));
	f.src = addr_in(&r->l);
	f.dst = addr_in(&r->r);
	if (f.src.family != f.dst.family)
		f.src = f.dst;
	f.proto = r->r.proto ? r->r.proto : r->l.proto ? r->l.proto : IPPROTO_UDP;
	f.has_ports = tlib_rand() % 8 != 0;
	port_in(&r->l, &f, &f.sport);
	port_in(&r->r, &f, &f.dport);
	return f;
}

/* Mostly addresses near the bases; some anywhere (misses, mostly). */
static struct ipx_dp_flow rand_flow(void)
{
	static const uint8_t protos[] = { 6, 17, 1, 58, 47 };
	uint8_t family = tlib_rand() % 3 ? AF_INET : AF_INET6;
	struct ipx_dp_flow f;

	memset(&f, 0, sizeof(f));
	f.src = rand_addr(family);
	f.dst = rand_addr(family);
	if (tlib_rand() % 10 == 0)
		tlib_rand_bytes(f.dst.a, family == AF_INET6 ? 16 : 4);
	if (tlib_rand() % 20 == 0)
		tlib_rand_bytes(f.src.a, family == AF_INET6 ? 16 : 4);
	f.proto = protos[tlib_rand() % sizeof(protos)];
	if (f.proto != 47 && tlib_rand() % 8) {
		f.has_ports = true;
		f.sport = (uint16_t)(tlib_rand() % 24);
		f.dport = (uint16_t)(tlib_rand() % 24);
		if (tlib_rand() % 10 == 0)
			f.dport = (uint16_t)tlib_rand();
	}
	return f;
}


static void ref_add(struct ref_spd *ref, uint32_t child, const struct ipx_ts *l,
		    unsigned nl, const struct ipx_ts *r, unsigned nr)
{
	ref->seq++;
	for (unsigned i = 0; i < nl; i++)
		for (unsigned j = 0; j < nr; j++) {
			if (ref->n == ref->cap) {
				ref->cap = ref->cap ? ref->cap * 2 : 256;
				ref->v = realloc(ref->v, ref->cap * sizeof(*ref->v));
				assert_non_null(ref->v);
			}
			ref->v[ref->n++] = (struct ref_rule){ l[i], r[j], child, ref->seq,
							      i * nr + j, true };
		}
}

static void ref_remove(struct ref_spd *ref, uint32_t child)
{
	for (unsigned i = 0; i < ref->n;)
		if (ref->v[i].child == child)
			ref->v[i] = ref->v[--ref->n];
		else
			i++;
}

/* The rules the SPD keeps: a local and a remote selector of one family. */
static unsigned ref_nrules(const struct ref_spd *ref)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ref->n; i++)
		n += ref->v[i].l.start.family == ref->v[i].r.start.family;
	return n;
}

static void check_flows(struct spd *s, const struct ref_spd *ref,
			struct ipx_dp_flow *recent, unsigned nflows, int step)
{
	for (unsigned k = 0; k < nflows; k++) {
		/* some flows again, so that cached answers meet changed rules */
		unsigned how = (unsigned)(tlib_rand() % 6);
		struct ipx_dp_flow f = how < 2 ? rand_flow()
				     : how < 3 ? recent[tlib_rand() % 64]
				     : ref->n ? flow_in(&ref->v[tlib_rand() % ref->n])
					      : rand_flow();
		uint32_t want = ref_lookup(ref->v, ref->n, &f);
		uint32_t got = spd_lookup(s, &f), slow = spd_lookup_slow(s, &f);

		recent[tlib_rand() % 64] = f;
		if (got != want || slow != want) {
			char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

			inet_ntop(f.src.family, f.src.a, a, sizeof(a));
			inet_ntop(f.dst.family, f.dst.a, b, sizeof(b));
			fail_msg("step %d: %s -> %s proto %u ports %d %u %u: lookup %d, "
				 "slow %d, reference %d", step, a, b, f.proto, f.has_ports,
				 f.sport, f.dport, (int)got, (int)slow, (int)want);
		}
	}
}

static void random_run(uint64_t seed, unsigned steps)
{
	struct ipx_dp_flow recent[64];
	struct ref_spd ref = { 0 };
	uint32_t live[512], nlive = 0, next_id = 1;
	struct spd s;

	tlib_srand(seed);
	for (unsigned i = 0; i < 64; i++)
		recent[i] = rand_flow();
	assert_int_equal(spd_init(&s), 0);
	for (unsigned step = 0; step < steps; step++) {
		unsigned op = (unsigned)(tlib_rand() % 20);

		if (op < 11 && nlive < 512) {       /* a new child */
			struct ipx_ts l[3], r[3];
			unsigned nl = 1 + (unsigned)(tlib_rand() % 3);
			unsigned nr = 1 + (unsigned)(tlib_rand() % 3);
			uint8_t fam = tlib_rand() % 3 ? AF_INET : AF_INET6;
			/* ids spread over 32 bits, as a hash must take them */
			uint32_t id = next_id++ * 0x9e3779b1u % 0xfffffff0u;
			bool again = op == 0 && nlive;      /* more rules for a child */

			if (again)
				id = live[tlib_rand() % nlive];
			for (unsigned i = 0; i < nl; i++)
				l[i] = rand_sel(tlib_rand() % 5 ? fam : AF_INET6 + AF_INET - fam);
			for (unsigned i = 0; i < nr; i++)
				r[i] = rand_sel(tlib_rand() % 5 ? fam : AF_INET6 + AF_INET - fam);
			assert_int_equal(spd_add(&s, id, l, nl, r, nr), 0);
			ref_add(&ref, id, l, nl, r, nr);
			if (!again)
				live[nlive++] = id;
		} else if (op < 19 && nlive) {      /* remove one */
			unsigned k = (unsigned)(tlib_rand() % nlive);
			bool has = false;

			for (unsigned i = 0; i < ref.n; i++)
				has |= ref.v[i].child == live[k] &&
				       ref.v[i].l.start.family == ref.v[i].r.start.family;
			assert_int_equal(spd_remove(&s, live[k]), has ? 0 : -ENOENT);
			ref_remove(&ref, live[k]);
			live[k] = live[--nlive];
		} else {                            /* nothing to remove */
			assert_int_equal(spd_remove(&s, 0xfffffff5u), -ENOENT);
		}
		assert_int_equal(s.nrules, ref_nrules(&ref));
		check_flows(&s, &ref, recent, 30, (int)step);
	}
	while (nlive)
		spd_remove(&s, live[--nlive]);
	assert_int_equal(s.nrules, 0);
	spd_free(&s);
	free(ref.v);
}

static void test_lookup_random(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++)
		random_run(seed, 1000);
}

/* ---- scale: 100,000 Child SAs ------------------------------------------- */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Child i's remote selector: its own /24 from 1.0.0.0 on, every 20th its own
 * /16 from 64.0.0.0 on. */
static struct ipx_ts scale_remote(uint32_t i)
{
	struct ipx_ts t = ts("0.0.0.0");
	uint32_t a = i % 20 == 19 ? 0x40000000u + (i / 20 << 16) : 0x01000000u + (i << 8);
	uint32_t host = i % 20 == 19 ? 0xffffu : 0xffu;

	ipx_st32(t.start.a, a);
	ipx_st32(t.end.a, a | host);
	return t;
}

static struct ipx_dp_flow scale_flow(uint32_t i)
{
	struct ipx_ts r = scale_remote(i);
	struct ipx_dp_flow f = flow("192.168.7.7", "0.0.0.0", IPPROTO_TCP, 40000, 443);

	ipx_st32(f.dst.a, ipx_ld32(r.start.a) + (uint32_t)(tlib_rand() % 256));
	return f;
}

/* Lookups/s through spd_lookup_slow over the flows, every answer checked. */
static double scale_rate(const struct spd *s, const struct ipx_dp_flow *f,
			 const uint32_t *want, unsigned nf, unsigned rounds)
{
	unsigned bad = 0;
	double t = now_s();

	for (unsigned r = 0; r < rounds; r++)
		for (unsigned k = 0; k < nf; k++)
			bad += spd_lookup_slow(s, &f[k]) != want[k];
	t = now_s() - t;
	assert_int_equal(bad, 0);
	return (double)nf * rounds / t;
}

/*
 * 100,000 children, each its own /24 or /16 remote selector: each lookup
 * finds its child, then every child goes.  The rate is printed at 1k, 10k
 * and 100k children, for flows to random children of all of them (cache
 * and TLB misses grow with the table) and for flows to 100 of them (the
 * work of a lookup alone); nothing is asserted on time.
 */
static void test_lookup_scale(void **state)
{
	enum { N = 100000, NF = 1 << 15 };
	struct ipx_dp_flow *f = calloc(NF, sizeof(*f));
	uint32_t *want = calloc(NF, sizeof(*want));
	struct ipx_ts l = ts("192.168.0.0/16");
	double t_add = 0, t;
	size_t heap0 = mallinfo2().uordblks;
	struct spd s;
	uint32_t n = 0;

	(void)state;
	assert_true(f && want);
	tlib_srand(5);
	assert_int_equal(spd_init(&s), 0);
	for (uint32_t upto = 1000; upto <= N; upto *= 10) {
		double all, hot;

		t = now_s();
		for (; n < upto; n++) {
			struct ipx_ts r = scale_remote(n);

			assert_int_equal(spd_add(&s, n, &l, 1, &r, 1), 0);
		}
		t_add += now_s() - t;
		for (unsigned k = 0; k < NF; k++) {
			want[k] = (uint32_t)(tlib_rand() % n);
			f[k] = scale_flow(want[k]);
		}
		all = scale_rate(&s, f, want, NF, 4);
		for (unsigned k = 0; k < NF; k++) {
			want[k] = want[k % 100];
			f[k] = f[k % 100];
		}
		hot = scale_rate(&s, f, want, NF, 4);
		printf("# spd: %6u children: %5.1fM lookups/s to random children, "
		       "%5.1fM to 100 of them\n", n, all / 1e6, hot / 1e6);
	}
	if (mallinfo2().uordblks > heap0)   /* 0 under AddressSanitizer */
		printf("# spd: %u children: %.0f bytes each\n", N,
		       (double)(mallinfo2().uordblks - heap0) / N);
	/* every child, through the cache too; a miss between them */
	t = now_s();
	for (uint32_t i = 0; i < N; i++) {
		struct ipx_dp_flow g = scale_flow(i);

		if (spd_lookup(&s, &g) != i || spd_lookup_slow(&s, &g) != i)
			fail_msg("child %u: got %d", i, (int)spd_lookup(&s, &g));
	}
	{
		struct ipx_dp_flow g = flow("192.168.7.7", "100.64.0.1", 6, 1, 2);

		assert_int_equal(spd_lookup(&s, &g), IPX_DP_CHILD_NONE);
	}
	t = now_s() - t;
	printf("# spd: %u children added in %.3f s, each looked up in %.3f s",
	       N, t_add, t);
	t = now_s();
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(spd_remove(&s, i), 0);
	printf(", all removed in %.3f s\n", now_s() - t);
	assert_int_equal(s.nrules, 0);
	assert_int_equal(spd_lookup(&s, &f[0]), IPX_DP_CHILD_NONE);
	spd_free(&s);
	free(f);
	free(want);
}

/* ---- ranges as prefixes --------------------------------------------------------------- */

static void test_prefixes(void **state)
{
	static const struct {
		const char *a, *b;
		const char *want;
	} t[] = {
		{ "10.0.0.0", "10.0.0.255", "10.0.0.0/24" },
		{ "10.0.0.1", "10.0.0.1", "10.0.0.1/32" },
		{ "10.0.0.1", "10.0.0.6", "10.0.0.1/32 10.0.0.2/31 10.0.0.4/31 10.0.0.6/32" },
		{ "0.0.0.0", "255.255.255.255", "0.0.0.0/0" },
		{ "255.255.255.254", "255.255.255.255", "255.255.255.254/31" },
		{ "0.0.0.0", "127.255.255.255", "0.0.0.0/1" },
		{ "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0" },
		{ "fd00::", "fd00::1:0", "fd00::/112 fd00::1:0/128" },
		{ "::1", "::3", "::1/128 ::2/127" },
	};
	struct ipx_addr p[64];
	uint8_t l[64];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ipx_addr a = addr(t[i].a), b = addr(t[i].b);
		char got[512] = "", one[64];
		int n = spd_range_prefixes(&a, &b, p, l, 64);

		assert_true(n > 0);
		for (int k = 0; k < n; k++) {
			char ab[INET6_ADDRSTRLEN];

			inet_ntop(p[k].family, p[k].a, ab, sizeof(ab));
			snprintf(one, sizeof(one), "%s%s/%u", k ? " " : "", ab, l[k]);
			strcat(got, one);
		}
		if (strcmp(got, t[i].want))
			fail_msg("%s-%s: got '%s', want '%s'", t[i].a, t[i].b, got, t[i].want);
	}
	{
		/* the worst IPv4 range needs 62 prefixes */
		struct ipx_addr a = addr("0.0.0.1"), b = addr("255.255.255.254");

		assert_int_equal(spd_range_prefixes(&a, &b, p, l, 64), 62);
		assert_int_equal(spd_range_prefixes(&a, &b, p, l, 10), -E2BIG);
		assert_int_equal(spd_range_prefixes(&b, &a, p, l, 64), -EINVAL);
	}
	/* random ranges: aligned blocks, end to end, exactly start..end, each
	 * as large as it can be (twice its size would be misaligned or pass
	 * the end) */
	tlib_srand(11);
	for (int i = 0; i < 20000; i++) {
		uint8_t fam = i % 2 ? AF_INET6 : AF_INET;
		unsigned bits = fam == AF_INET6 ? 128 : 32;
		struct ipx_addr a = { .family = fam }, b = { .family = fam };
		struct ipx_addr q[256];
		uint8_t ql[256];
		u128 x, y, at;
		int n;

		tlib_rand_bytes(a.a, bits / 8);
		tlib_rand_bytes(b.a, bits / 8);
		if (i % 3 == 0)   /* a short range */
			b = from_u128(fam, to_u128(&a) | low_bits((unsigned)(tlib_rand() % 20)));
		x = to_u128(&a);
		y = to_u128(&b);
		if (x > y) {
			at = x, x = y, y = at;
			a = from_u128(fam, x);
			b = from_u128(fam, y);
		}
		n = spd_range_prefixes(&a, &b, q, ql, 256);
		assert_true(n >= 1 && n <= 2 * ((int)bits - 1));
		at = x;
		for (int k = 0; k < n; k++) {
			unsigned hb = bits - ql[k];
			u128 last = to_u128(&q[k]) | low_bits(hb);

			assert_true(to_u128(&q[k]) == at && (at & low_bits(hb)) == 0);
			assert_true(hb == bits || (at & low_bits(hb + 1)) != 0 ||
				    (at | low_bits(hb + 1)) > y);
			assert_true(last <= y);
			at = last + 1;
		}
		assert_true(at - 1 == y);
	}
}

/* ---- route sets (dp_map.c) ---- */

static void rnd_prefix(struct ipx_addr *a, uint8_t *plen)
{
	memset(a, 0, sizeof(*a));
	if (rand() % 4) {
		uint32_t v = (uint32_t)rand() << 8;

		a->family = AF_INET;
		*plen = rand() % 2 ? 32 : 24;
		if (*plen == 24)
			v &= 0xffffff00u;
		ipx_st32(a->a, v);
	} else {
		a->family = AF_INET6;
		*plen = 64;
		for (int i = 0; i < 8; i++)
			a->a[i] = (uint8_t)rand();
	}
}

static void test_route_set(void **state)
{
	enum { N = 100000 };
	struct ref { struct ipx_addr a; uint8_t plen; bool in; } *ref = calloc(N, sizeof(*ref));
	struct dp_rset set = { 0 };
	unsigned in = 0;

	(void)state;
	assert_non_null(ref);
	srand(7);
	for (unsigned i = 0; i < N; i++) {
		struct dp_route *r;

		rnd_prefix(&ref[i].a, &ref[i].plen);
		if (dp_rset_find(&set, &ref[i].a, ref[i].plen))
			continue;   /* drawn twice */
		r = dp_rset_add(&set, &ref[i].a, ref[i].plen);
		assert_non_null(r);
		r->refs = i;
		ref[i].in = true;
		in++;
	}
	assert_int_equal(set.n, in);
	/* remove a random half, looking everything up as it goes */
	for (unsigned k = 0; k < N; k++) {
		unsigned i = (unsigned)rand() % N;
		struct dp_route *r = dp_rset_find(&set, &ref[i].a, ref[i].plen);

		if (!ref[i].in) {
			/* a duplicate draw stays findable through its twin */
			continue;
		}
		assert_non_null(r);
		assert_int_equal(r->refs, i);
		if (k % 2) {
			dp_rset_del(&set, r);
			ref[i].in = false;
			in--;
			assert_null(dp_rset_find(&set, &ref[i].a, ref[i].plen));
		}
	}
	assert_int_equal(set.n, in);
	for (unsigned i = 0; i < N; i++)
		if (ref[i].in) {
			struct dp_route *r = dp_rset_find(&set, &ref[i].a, ref[i].plen);

			assert_non_null(r);
			assert_int_equal(r->refs, i);
		}
	/* and empty again */
	while (set.n)
		dp_rset_del(&set, &set.v[set.n / 2]);
	for (unsigned i = 0; i < N; i++)
		assert_null(dp_rset_find(&set, &ref[i].a, ref[i].plen));
	dp_rset_free(&set);
	free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts_parse),
		cmocka_unit_test(test_flow_parse),
		cmocka_unit_test(test_ts_match),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_lookup_overlaps),
		cmocka_unit_test(test_lookup_split_ranges),
		cmocka_unit_test(test_lookup_many),
		cmocka_unit_test(test_lookup_differential),
		cmocka_unit_test(test_route_set),
		cmocka_unit_test(test_lookup_random),
		cmocka_unit_test(test_lookup_scale),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
