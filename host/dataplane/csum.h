/* The Internet checksum (RFC 1071), with the incremental forms the
 * segmentation and coalescing code needs. */
#ifndef IPSECFX_DP_CSUM_H
#define IPSECFX_DP_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One's-complement sum of len bytes, added to sum.  The result is a
 * partial sum: fold it with csum_fold.  Byte order: the sum of big-endian
 * 16-bit words is computed in the machine's order and folded at the end,
 * which RFC 1071 2(B) shows to be equivalent. */
static inline uint64_t csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len >= 8) {
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
