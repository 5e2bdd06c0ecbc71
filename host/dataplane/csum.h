/* The Internet checksum (RFC 1071), with the incremental forms the
 * segmentation and coalescing code needs. */
#ifndef IPSECFX_DP_CSUM_H
#define IPSECFX_DP_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The tail of a sum: fewer than 16 bytes. */
static inline uint64_t csum_tail(uint64_t sum, const uint8_t *p, size_t len)
{
	if (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		sum += (uint32_t)w;
		sum += w >> 32;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		sum += w;
		p += 2;
		len -= 2;
	}
	if (len) {   /* a trailing byte is the high half of a word */
		uint16_t w = 0;

		memcpy(&w, p, 1);
		sum += w;
	}
	return sum;
}

/*
 * One's-complement sum of len bytes (at most 4 GiB), added to sum; with
 * dst, the bytes are also copied there in the same pass (segmentation
 * copies every payload byte once and sums it once).  The result is a
 * partial sum: fold it with csum_fold.  32-bit words are summed in the
 * machine's order into 64-bit lanes and folded at the end, which RFC 1071
 * 2(B) shows to give the same checksum in memory order.  With SSE2 (every
 * x86-64) 64 bytes go per step in independent lanes.
 */
static inline uint64_t csum_copy(uint64_t sum, void *dst, const void *src, size_t len)
{
	const uint8_t *p = src;
	uint8_t *d = dst;

#ifdef __SSE2__
	if (len >= 64) {
		__m128i z = _mm_setzero_si128(), a0 = z, a1 = z, a2 = z, a3 = z;
		uint64_t lanes[2];

		while (len >= 64) {
			__m128i v0 = _mm_loadu_si128((const __m128i *)p);
			__m128i v1 = _mm_loadu_si128((const __m128i *)(p + 16));
			__m128i v2 = _mm_loadu_si128((const __m128i *)(p + 32));
			__m128i v3 = _mm_loadu_si128((const __m128i *)(p + 48));

			if (d) {
				_mm_storeu_si128((__m128i *)d, v0);
				_mm_storeu_si128((__m128i *)(d + 16), v1);
				_mm_storeu_si128((__m128i *)(d + 32), v2);
				_mm_storeu_si128((__m128i *)(d + 48), v3);
				d += 64;
			}
			a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v0, z));
			a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v0, z));
			a2 = _mm_add_epi64(a2, _mm_unpacklo_epi32(v1, z));
			a3 = _mm_add_epi64(a3, _mm_unpackhi_epi32(v1, z));
			a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v2, z));
			a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v2, z));
			a2 = _mm_add_epi64(a2, _mm_unpacklo_epi32(v3, z));
			a3 = _mm_add_epi64(a3, _mm_unpackhi_epi32(v3, z));
			p += 64;
			len -= 64;
		}
		a0 = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
		_mm_storeu_si128((__m128i *)lanes, a0);
		/* each lane holds less than 2^48: no overflow in the sum */
		sum += (lanes[0] & 0xffffffffu) + (lanes[0] >> 32) +
		       (lanes[1] & 0xffffffffu) + (lanes[1] >> 32);
	}
#endif
	while (len >= 16) {
		uint64_t w0, w1;

		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		if (d) {
			memcpy(d, &w0, 8);
			memcpy(d + 8, &w1, 8);
			d += 16;
		}
		sum += (uint32_t)w0;
		sum += w0 >> 32;
		sum += (uint32_t)w1;
		sum += w1 >> 32;
		p += 16;
		len -= 16;
	}
	if (d)
		memcpy(d, p, len);
	return csum_tail(sum, p, len);
}

/* One's-complement partial sum of len bytes, added to sum. */
static inline uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	return csum_copy(sum, NULL, data, len);
}

/* A 16-bit value in network order, added to a partial sum. */
static inline uint64_t csum_add16(uint64_t sum, uint16_t host_order)
{
	uint8_t b[2] = { (uint8_t)(host_order >> 8), (uint8_t)host_order };
	uint16_t w;

	memcpy(&w, b, 2);
	return sum + w;
}

/* Fold to 16 bits; the result is in network order as stored in memory. */
static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Store a folded checksum (complemented) at p. */
static inline void csum_store(uint8_t *p, uint64_t sum)
{
	uint16_t c = (uint16_t)~csum_fold(sum);

	memcpy(p, &c, 2);
}

/* The TCP/UDP pseudo-header (RFC 793 3.1, RFC 8200 8.1) of an IPv4 or
 * IPv6 packet at ip, for an upper-layer length l4len and protocol. */
static inline uint64_t csum_pseudo(const uint8_t *ip, uint32_t l4len, uint8_t proto)
{
	uint64_t sum;

	if (ip[0] >> 4 == 4)
		sum = csum_add(0, ip + 12, 8);
	else
		sum = csum_add(0, ip + 8, 32);
	sum = csum_add16(sum, (uint16_t)(l4len >> 16));
	sum = csum_add16(sum, (uint16_t)l4len);
	return csum_add16(sum, proto);
}

/* The IPv4 header checksum, computed and stored. */
static inline void csum_ip4(uint8_t *ip)
{
	unsigned ihl = (ip[0] & 0x0fu) * 4u;

	ip[10] = ip[11] = 0;
	csum_store(ip + 10, csum_add(0, ip, ihl));
}

#endif
