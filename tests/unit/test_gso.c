/*
 * TUN offloads: segmentation of TCP (IPv4, IPv6) and UDP super-packets as
 * the kernel hands them over with IFF_VNET_HDR, every checksum verified by
 * a plain byte-by-byte RFC 1071 sum written here; completion of partial
 * checksums; refusal of inconsistent headers; and coalescing of decrypted
 * segments back into super-packets (flows, order, PSH, gaps, bad checksums).
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "../../host/dataplane/csum.h"
#include "../../host/dataplane/gso.h"
#include "tlib.h"

/* ---- a reference checksum, as simple as it gets ----------------------------- */

static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i++)
		s += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* the L4 checksum of the packet verifies (sum over pseudo-header and
 * segment is all ones) */
static bool l4_ok(const uint8_t *p, uint32_t len, uint32_t l4, uint8_t proto)
{
	uint32_t s = 0, l4len = len - l4;

	if (p[0] >> 4 == 4)
		s = ref_sum(p + 12, 8, s);
	else
		s = ref_sum(p + 8, 32, s);
	s += l4len >> 16;
	s += l4len & 0xffff;
	s += proto;
	s = ref_sum(p + l4, l4len, s);
	return ref_fold(s) == 0xffff;
}

static bool ip4_ok(const uint8_t *p)
{
	return ref_fold(ref_sum(p, (p[0] & 0xf) * 4u, 0)) == 0xffff;
}

/* the partial checksum the kernel leaves for NEEDS_CSUM: pseudo-header only */
static void put_pseudo(uint8_t *p, uint32_t len, uint32_t l4, uint8_t proto,
		       uint32_t field)
{
	uint32_t s = 0, l4len = len - l4;

	if (p[0] >> 4 == 4)
		s = ref_sum(p + 12, 8, s);
	else
		s = ref_sum(p + 8, 32, s);
	s += l4len >> 16;
	s += l4len & 0xffff;
	s += proto;
	ipx_st16(p + l4 + field, ref_fold(s));
}

/* a full, valid L4 checksum */
static void fix_l4(uint8_t *p, uint32_t len, uint32_t l4, uint8_t proto,
		   uint32_t field)
{
	put_pseudo(p, len, l4, proto, field);
	ipx_st16(p + l4 + field,
		 (uint16_t)~ref_fold(ref_sum(p + l4, len - l4, 0)));
}

/* The fast sum (SSE2 lanes, tails, fused copy) against the byte-by-byte
 * reference, at every length up to 2000 and odd and even start offsets. */
static void test_csum(void **state)
{
	static uint8_t src[2100], dst[2100];

	(void)state;
	tlib_srand(17);
	tlib_rand_bytes(src, sizeof(src));
	for (size_t len = 0; len <= 2000; len++) {
		for (size_t off = 0; off < 3; off++) {
			uint64_t init = tlib_rand() & 0xffffffffu;
			uint16_t want, got, got2;

			/* fold(init) in memory order: init is a native-order sum */
			{
				uint16_t n = csum_fold(init), be;
				uint8_t b[2];

				memcpy(b, &n, 2);
				be = (uint16_t)(b[0] << 8 | b[1]);
				want = ref_fold(ref_sum(src + off, len, be));
			}
			got = csum_fold(csum_add(init, src + off, len));
			memset(dst, 0, sizeof(dst));
			got2 = csum_fold(csum_copy(init, dst + off, src + off, len));
			{
				uint8_t b[2];

				memcpy(b, &got, 2);
				got = (uint16_t)(b[0] << 8 | b[1]);
				memcpy(b, &got2, 2);
				got2 = (uint16_t)(b[0] << 8 | b[1]);
			}
			/* 0x0000 and 0xffff are the same one's-complement number */
			if (want == 0xffff)
				want = 0;
			if (got == 0xffff)
				got = 0;
			if (got2 == 0xffff)
				got2 = 0;
			if (got != want || got2 != want)
				fail_msg("len %zu off %zu: %04x %04x, want %04x", len, off, got,
					 got2, want);
			assert_memory_equal(dst + off, src + off, len);
		}
	}
}

/* ---- super-packets as the kernel gives them ---------------------------------- */

#define OPT_LEN 12   /* TCP timestamps, padded */

static uint32_t tcp_super(uint8_t *p, bool v6, uint32_t payload, uint8_t flags,
			  struct virtio_net_hdr *vh, uint16_t mss)
{
	uint32_t l4 = v6 ? 40 : 20, thl = 20 + OPT_LEN, len = l4 + thl + payload;

	memset(p, 0, l4 + thl);
	if (v6) {
		p[0] = 0x60;
		ipx_st16(p + 4, (uint16_t)(len - 40));
		p[6] = IPPROTO_TCP;
		p[7] = 64;
		p[8] = 0xfd, p[23] = 1;
		p[24] = 0xfd, p[39] = 2;
	} else {
		p[0] = 0x45;
		p[1] = 0x02;                     /* ECT(0) */
		ipx_st16(p + 2, (uint16_t)len);
		ipx_st16(p + 4, 0x1234);
		p[6] = 0x40;                     /* DF */
		p[8] = 64;
		p[9] = IPPROTO_TCP;
		p[12] = 10, p[13] = 1, p[15] = 1;
		p[16] = 10, p[17] = 2, p[19] = 1;
	}
	ipx_st16(p + l4, 40000);
	ipx_st16(p + l4 + 2, 5201);
	ipx_st32(p + l4 + 4, 0xfffff000u);   /* wraps within the packet */
	ipx_st32(p + l4 + 8, 777);
	p[l4 + 12] = (uint8_t)((thl / 4) << 4);
	p[l4 + 13] = flags;
	ipx_st16(p + l4 + 14, 512);
	p[l4 + 20] = 1, p[l4 + 21] = 1, p[l4 + 22] = 8, p[l4 + 23] = 10;   /* NOP NOP TS */
	ipx_st32(p + l4 + 24, 0xaabbccdd);
	ipx_st32(p + l4 + 28, 0x11223344);
	for (uint32_t i = 0; i < payload; i++)
		p[l4 + thl + i] = (uint8_t)(i * 7 + i / 251);
	if (!v6)
		ipx_st16(p + 10, ref_fold(ref_sum(p, 20, 0)) ^ 0xffff);
	put_pseudo(p, len, l4, IPPROTO_TCP, 16);
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = htole16((uint16_t)(l4 + thl));
	vh->gso_size = htole16(mss);
	vh->csum_start = htole16((uint16_t)l4);
	vh->csum_offset = htole16(16);
	return len;
}

static void check_segments(bool v6, uint32_t payload, uint16_t mss)
{
	static uint8_t sup[70000], seg[GSO_MAX_SEGS][2048];
	uint32_t l4 = v6 ? 40 : 20, thl = 20 + OPT_LEN;
	struct virtio_net_hdr vh;
	struct gso_pkt g;
	uint32_t len = tcp_super(sup, v6, payload, 0x10 | 0x08 | 0x01 | 0x80, &vh, mss);
	uint32_t nseg = (payload + mss - 1) / mss, got = 0;

	assert_int_equal(gso_prepare(&vh, sup, len, &g), 0);
	assert_int_equal(g.nseg, nseg);
	assert_int_equal(g.hdr_len, l4 + thl);
	for (uint32_t i = 0; i < nseg; i++) {
		uint8_t *s = seg[i];
		uint32_t sl = gso_segment(&g, i, s, sizeof(seg[i]));
		uint32_t plen = i + 1 < nseg ? mss : payload - i * mss;

		assert_int_equal(sl, l4 + thl + plen);
		if (v6) {
			assert_int_equal(ipx_ld16(s + 4), sl - 40);
		} else {
			assert_int_equal(ipx_ld16(s + 2), sl);
			assert_int_equal(ipx_ld16(s + 4), (uint16_t)(0x1234 + i));
			assert_int_equal(s[1], 0x02);
			assert_true(ip4_ok(s));
		}
		assert_int_equal(ipx_ld32(s + l4 + 4), (uint32_t)(0xfffff000u + i * mss));
		/* CWR only on the first, FIN and PSH only on the last */
		assert_int_equal(s[l4 + 13], (i == 0 ? 0x80 : 0) | 0x10 |
						     (i + 1 == nseg ? 0x09 : 0));
		assert_memory_equal(s + l4 + 20, sup + l4 + 20, OPT_LEN);
		assert_memory_equal(s + l4 + thl, sup + l4 + thl + i * mss, plen);
		if (!l4_ok(s, sl, l4, IPPROTO_TCP))
			fail_msg("segment %u of %u: bad TCP checksum", i, nseg);
		got += plen;
	}
	assert_int_equal(got, payload);
	assert_int_equal(gso_segment(&g, nseg, seg[0], sizeof(seg[0])), 0);
	/* no room for the payload */
	assert_int_equal(gso_segment(&g, 0, seg[0], l4 + thl), 0);

	/* and back: the segments join into one super-packet whose segments
	 * the kernel would cut exactly as these (same payload, same headers) */
	{
		struct gro_pkt v[GSO_MAX_SEGS];
		struct virtio_net_hdr out;
		uint32_t total;
		uint8_t joined[70000];
		uint32_t jl;

		/* PSH/FIN/CWR on the segments would stop coalescing: plain ACKs */
		for (uint32_t i = 0; i < nseg; i++) {
			seg[i][l4 + 13] = 0x10;
			v[i] = (struct gro_pkt){ .p = seg[i],
						 .len = l4 + thl + (i + 1 < nseg ? mss : payload - i * mss) };
			fix_l4(seg[i], v[i].len, l4, IPPROTO_TCP, 16);
			assert_true(l4_ok(seg[i], v[i].len, l4, IPPROTO_TCP));
		}
		gro_plan(v, nseg);
		assert_int_equal(v[0].nmemb, nseg);
		if (nseg == 1)
			return;   /* a single packet is written as it is */
		for (uint32_t i = 1; i < nseg; i++)
			assert_int_equal(v[i].nmemb, 0);
		total = gro_head_finish(v, 0, &out);
		assert_int_equal(total, len);
		assert_int_equal(out.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6
						  : VIRTIO_NET_HDR_GSO_TCPV4);
		assert_int_equal(le16toh(out.gso_size), mss);
		assert_int_equal(le16toh(out.hdr_len), l4 + thl);
		assert_int_equal(le16toh(out.csum_start), l4);
		assert_int_equal(le16toh(out.csum_offset), 16);
		assert_int_equal(out.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		jl = v[0].len;
		memcpy(joined, v[0].p, jl);
		for (int32_t j = v[0].next; j >= 0; j = v[j].next) {
			memcpy(joined + jl, v[j].p + v[j].hdr_len, v[j].len - v[j].hdr_len);
			jl += v[j].len - v[j].hdr_len;
		}
		assert_int_equal(jl, len);
		/* the payload is the original one, in order */
		assert_memory_equal(joined + l4 + thl, sup + l4 + thl, payload);
		if (v6)
			assert_int_equal(ipx_ld16(joined + 4), len - 40);
		else {
			assert_int_equal(ipx_ld16(joined + 2), len);
			assert_true(ip4_ok(joined));
		}
		/* checksum partial: the field holds the pseudo-header sum, so a
		 * full sum over the segment from csum_start verifies once the
		 * field is replaced by the complement of that sum */
		{
			uint16_t partial = ipx_ld16(joined + l4 + 16);
			uint32_t s = ref_sum(joined + l4, len - l4, 0);

			put_pseudo(joined, len, l4, IPPROTO_TCP, 16);
			assert_int_equal(partial, ipx_ld16(joined + l4 + 16));
			ipx_st16(joined + l4 + 16, (uint16_t)~ref_fold(s));
			assert_true(l4_ok(joined, len, l4, IPPROTO_TCP));
		}
	}
}

static void test_tcp4_segment(void **state)
{
	(void)state;
	check_segments(false, 10000, 1348);   /* 8 segments, last short */
	check_segments(false, 1348 * 5, 1348); /* all equal */
	check_segments(false, 65483 - 32, 1348);
	check_segments(false, 1, 1348);        /* one tiny segment */
}

static void test_tcp6_segment(void **state)
{
	(void)state;
	check_segments(true, 10000, 1328);
	check_segments(true, 64000, 1328);
	check_segments(true, 999, 100);        /* 10 segments, odd sizes */
}

static void test_udp_segment(void **state)
{
	uint8_t p[9000], s[2048];
	struct virtio_net_hdr vh = { 0 };
	struct gso_pkt g;
	uint32_t payload = 3000, len = 40 + 8 + payload;

	(void)state;
	memset(p, 0, 48);
	p[0] = 0x60;
	ipx_st16(p + 4, (uint16_t)(len - 40));
	p[6] = IPPROTO_UDP;
	p[7] = 64;
	p[8] = 0xfd, p[23] = 1;
	p[24] = 0xfd, p[39] = 2;
	ipx_st16(p + 40, 5000);
	ipx_st16(p + 42, 53);
	ipx_st16(p + 44, (uint16_t)(len - 40));
	for (uint32_t i = 0; i < payload; i++)
		p[48 + i] = (uint8_t)(i ^ 0x5a);
	put_pseudo(p, len, 40, IPPROTO_UDP, 6);
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	vh.gso_size = htole16(1200);
	vh.csum_start = htole16(40);
	vh.csum_offset = htole16(6);
	assert_int_equal(gso_prepare(&vh, p, len, &g), 0);
	assert_int_equal(g.nseg, 3);
	for (uint32_t i = 0; i < 3; i++) {
		uint32_t sl = gso_segment(&g, i, s, sizeof(s));
		uint32_t plen = i < 2 ? 1200 : 600;

		assert_int_equal(sl, 48 + plen);
		assert_int_equal(ipx_ld16(s + 44), 8 + plen);
		assert_int_equal(ipx_ld16(s + 4), 8 + plen);
		assert_memory_equal(s + 48, p + 48 + i * 1200, plen);
		assert_true(l4_ok(s, sl, 40, IPPROTO_UDP));
		assert_int_not_equal(ipx_ld16(s + 46), 0);
	}
}

static void test_complete_csum(void **state)
{
	uint8_t p[200];
	struct virtio_net_hdr vh = { 0 };
	struct gso_pkt g;
	uint32_t len = 20 + 8 + 50;
	bool zero_seen = false;

	(void)state;
	/* a plain UDP packet with a partial checksum: completed in place; one
	 * of the 2^16 values of a payload word makes the checksum come out 0,
	 * which UDP sends as 0xffff (RFC 768) */
	for (uint32_t v = 0; v < 0x10000 && !zero_seen; v++) {
		memset(p, 0, len);
		p[0] = 0x45;
		ipx_st16(p + 2, (uint16_t)len);
		p[8] = 64;
		p[9] = IPPROTO_UDP;
		p[12] = 10, p[15] = 1;
		p[16] = 10, p[19] = 2;
		ipx_st16(p + 20, 1000);
		ipx_st16(p + 22, 2000);
		ipx_st16(p + 24, (uint16_t)(len - 20));
		ipx_st16(p + 28, (uint16_t)v);
		put_pseudo(p, len, 20, IPPROTO_UDP, 6);
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = htole16(20);
		vh.csum_offset = htole16(6);
		assert_int_equal(gso_prepare(&vh, p, len, &g), 1);
		assert_true(l4_ok(p, len, 20, IPPROTO_UDP));
		if (ipx_ld16(p + 26) == 0xffff)
			zero_seen = true;
		assert_int_not_equal(ipx_ld16(p + 26), 0);
	}
	assert_true(zero_seen);
	/* no NEEDS_CSUM: left alone */
	vh.flags = 0;
	ipx_st16(p + 26, 0x1234);
	assert_int_equal(gso_prepare(&vh, p, len, &g), 1);
	assert_int_equal(ipx_ld16(p + 26), 0x1234);
	/* csum_start/offset outside the packet */
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = htole16((uint16_t)len);
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh.csum_start = htole16(20);
	vh.csum_offset = htole16((uint16_t)(len - 21));
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh.csum_offset = htole16(0xffff);
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
}

static void test_bad_super(void **state)
{
	static uint8_t p[70000];
	struct virtio_net_hdr vh, good;
	struct gso_pkt g;
	uint32_t len;

	(void)state;
	len = tcp_super(p, false, 5000, 0x10, &good, 1000);
	vh = good;
	vh.gso_size = 0;
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;          /* IPv4 packet */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	vh.gso_type = 77;
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	assert_int_equal(gso_prepare(&vh, p, len - 1, &g), -EINVAL); /* tot_len */
	assert_int_equal(gso_prepare(&vh, p, 19, &g), -EINVAL);
	vh.gso_size = htole16(10);                        /* 500 segments */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	p[20 + 12] = 0x40;                                /* data offset 16 */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	len = tcp_super(p, false, 0, 0x10, &good, 1000);  /* no payload */
	assert_int_equal(gso_prepare(&good, p, len, &g), -EINVAL);
	len = tcp_super(p, true, 5000, 0x10, &good, 1000);
	vh = good;
	vh.csum_start = htole16(30);                      /* inside the IPv6 header */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	vh.csum_start = htole16(60000);                   /* beyond the packet */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	vh = good;
	p[6] = IPPROTO_UDP;                               /* TCPV6 over UDP */
	assert_int_equal(gso_prepare(&vh, p, len, &g), -EINVAL);
	/* random bytes never get past gso_prepare with a bad layout, and
	 * whatever it accepts segments within bounds */
	tlib_srand(3);
	for (int i = 0; i < 20000; i++) {
		static uint8_t out[70000];
		uint32_t l = 20 + (uint32_t)(tlib_rand() % 3000);

		tlib_rand_bytes(p, l);
		tlib_rand_bytes((uint8_t *)&vh, sizeof(vh));
		p[0] = (uint8_t)((tlib_rand() % 2 ? 0x45 : 0x60) | (p[0] & 0x0f));
		vh.gso_type %= 6;
		if (gso_prepare(&vh, p, l, &g) == 0)
			for (uint32_t k = 0; k < g.nseg; k++)
				assert_true(gso_segment(&g, k, out, sizeof(out)) <= sizeof(out));
	}
}

/* ---- coalescing of a mixed batch ------------------------------------------------ */

/* a plain ACK segment of flow f (0 or 1) with seq and payload length */
static uint32_t tcp_seg(uint8_t *p, int f, uint32_t seq, uint32_t plen, uint8_t flags,
			uint8_t ttl)
{
	uint32_t len = 20 + 32 + plen;

	memset(p, 0, 52);
	p[0] = 0x45;
	ipx_st16(p + 2, (uint16_t)len);
	ipx_st16(p + 4, (uint16_t)seq);
	p[6] = 0x40;
	p[8] = ttl;
	p[9] = IPPROTO_TCP;
	p[12] = 10, p[13] = 2, p[15] = 1;
	p[16] = 10, p[17] = 1, p[19] = 1;
	ipx_st16(p + 20, (uint16_t)(5201 + f));
	ipx_st16(p + 22, 40000);
	ipx_st32(p + 24, seq);
	ipx_st32(p + 28, 99);
	p[32] = 0x80;
	p[33] = flags;
	ipx_st16(p + 34, 1000);
	p[40] = 1, p[41] = 1, p[42] = 8, p[43] = 10;
	ipx_st32(p + 44, 5);
	for (uint32_t i = 0; i < plen; i++)
		p[52 + i] = (uint8_t)(seq + i);
	ipx_st16(p + 10, ref_fold(ref_sum(p, 20, 0)) ^ 0xffff);
	fix_l4(p, len, 20, IPPROTO_TCP, 16);
	return len;
}

static void test_coalesce_mixed(void **state)
{
	static uint8_t buf[32][2048];
	struct gro_pkt v[32];
	unsigned n = 0;
	/* flow 0: 1000 1100 1200 | gap | 1400 (new group) 1500(PSH) | 1600
	 * flow 1 interleaved: 5000 5100, then TTL change 5200 (no join)
	 * a UDP packet, a pure ACK of flow 0 (ends its group), a bad checksum */
#define SEG(f, s, l, fl, t) (v[n] = (struct gro_pkt){ .p = buf[n], \
	.len = tcp_seg(buf[n], f, s, l, fl, t) }, n++)
	(void)state;
	SEG(0, 1000, 100, 0x10, 64);   /* 0: head A */
	SEG(1, 5000, 100, 0x10, 64);   /* 1: head B */
	SEG(0, 1100, 100, 0x10, 64);   /* 2: A */
	SEG(0, 1200, 100, 0x10, 64);   /* 3: A */
	SEG(1, 5100, 100, 0x10, 64);   /* 4: B */
	SEG(0, 1400, 100, 0x10, 64);   /* 5: gap: new head C */
	SEG(0, 1500, 100, 0x18, 64);   /* 6: C, PSH ends C */
	SEG(0, 1600, 100, 0x10, 64);   /* 7: head D */
	SEG(1, 5200, 100, 0x10, 63);   /* 8: TTL differs: head E */
	memset(buf[n], 0, 28);         /* 9: UDP, alone */
	buf[n][0] = 0x45;
	ipx_st16(buf[n] + 2, 28);
	buf[n][9] = IPPROTO_UDP;
	v[n] = (struct gro_pkt){ .p = buf[n], .len = 28 };
	n++;
	SEG(0, 1700, 0, 0x10, 64);     /* 10: pure ACK: alone, ends D */
	SEG(0, 1700, 100, 0x10, 64);   /* 11: head F */
	SEG(0, 1800, 100, 0x10, 64);   /* 12: bad checksum: alone, ends F */
	buf[12][60] ^= 1;
	SEG(0, 1900, 50, 0x10, 64);    /* 13: head G */
	SEG(0, 1950, 100, 0x10, 64);   /* 14: longer than G's gso: new head H */
	SEG(0, 2050, 100, 0x01 | 0x10, 64); /* 15: FIN: alone, ends H */
#undef SEG
	gro_plan(v, n);
	{
		static const struct { uint16_t nmemb; int32_t next; } want[] = {
			{ 3, 2 }, { 2, 4 }, { 0, 3 }, { 0, -1 }, { 0, -1 },
			{ 2, 6 }, { 0, -1 }, { 1, -1 }, { 1, -1 }, { 1, -1 },
			{ 1, -1 }, { 1, -1 }, { 1, -1 }, { 1, -1 }, { 1, -1 }, { 1, -1 },
		};

		for (unsigned i = 0; i < n; i++)
			if (v[i].nmemb != want[i].nmemb || v[i].next != want[i].next)
				fail_msg("packet %u: nmemb %u next %d, want %u %d", i,
					 v[i].nmemb, v[i].next, want[i].nmemb, want[i].next);
	}
	/* the written order keeps each flow in sequence: heads in packet order,
	 * members follow their head */
	{
		uint32_t next_seq[2] = { 1000, 5000 };

		for (unsigned i = 0; i < n; i++) {
			int f;

			if (v[i].nmemb == 0 || buf[i][9] != IPPROTO_TCP)
				continue;
			f = ipx_ld16(buf[i] + 20) - 5201;
			for (int32_t j = (int32_t)i; j >= 0; j = v[j].next) {
				uint32_t seq = ipx_ld32(buf[j] + 24);

				assert_true(seq >= next_seq[f]);
				next_seq[f] = seq;
			}
		}
	}
	/* group of three: 300 bytes of payload behind one header */
	{
		struct virtio_net_hdr vh;

		assert_int_equal(gro_head_finish(v, 0, &vh), 52 + 300);
		assert_int_equal(ipx_ld16(buf[0] + 2), 352);
		assert_true(ip4_ok(buf[0]));
		assert_int_equal(le16toh(vh.gso_size), 100);
	}
}

static void test_coalesce_limits(void **state)
{
	static uint8_t buf[80][2048];
	struct gro_pkt v[80];

	(void)state;
	/* 80 full segments of 1400: split at 64 KiB (46 segments) */
	for (unsigned i = 0; i < 80; i++)
		v[i] = (struct gro_pkt){ .p = buf[i],
					 .len = tcp_seg(buf[i], 0, 1000 + i * 1400, 1400, 0x10, 64) };
	gro_plan(v, 80);
	assert_int_equal(v[0].nmemb, 46);
	assert_int_equal(v[46].nmemb, 34);
	for (unsigned i = 0; i < 80; i++)
		if (i != 0 && i != 46)
			assert_int_equal(v[i].nmemb, 0);
	/* garbage of every length never crashes and is left alone */
	tlib_srand(5);
	for (int r = 0; r < 2000; r++) {
		unsigned n = 1 + (unsigned)(tlib_rand() % 20);

		for (unsigned i = 0; i < n; i++) {
			uint32_t l = (uint32_t)(tlib_rand() % 200);

			tlib_rand_bytes(buf[i], l);
			buf[i][0] = tlib_rand() % 2 ? 0x45 : 0x60;
			v[i] = (struct gro_pkt){ .p = buf[i], .len = l };
		}
		gro_plan(v, n);
		for (unsigned i = 0; i < n; i++)
			assert_true(v[i].nmemb <= 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum),
		cmocka_unit_test(test_tcp4_segment),
		cmocka_unit_test(test_tcp6_segment),
		cmocka_unit_test(test_udp_segment),
		cmocka_unit_test(test_complete_csum),
		cmocka_unit_test(test_bad_super),
		cmocka_unit_test(test_coalesce_mixed),
		cmocka_unit_test(test_coalesce_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
