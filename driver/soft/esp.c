/*
 * ESP framing (RFC 4303) for the software engine: outer IPv4/IPv6 headers in
 * tunnel mode, ESP insertion in transport mode, UDP encapsulation (RFC 3948),
 * the trailer and its padding, and the reverse with every length checked
 * before it is used.  The exact output bytes are part of the contract
 * (docs/esp-format.md): the RTL pipeline produces the same bytes.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>

#include "soft.h"

#define IPPROTO_ESP_ 50
#define IPPROTO_UDP_ 17
#define NH_IPV4 4
#define NH_IPV6 41
#define NH_NONE 59

/*
 * RFC 1071 one's complement sum.  The sum is byte-order independent (1071
 * section 2(B)), so it runs over native 32-bit words and the folded result
 * is stored with memcpy; csum_add returns a partial sum to fold later.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint32_t w;
	uint16_t h;

	while (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

/* Fold and complement; the result is in wire order when stored with memcpy. */
static uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ipv4_set_csum(uint8_t *ip, uint32_t ihl)
{
	uint64_t sum;
	uint32_t w[5];
	uint16_t c;

	ip[10] = ip[11] = 0;
	if (ihl == 20) {
		/* the common case, unrolled: five 32-bit words */
		memcpy(w, ip, 20);
		sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
	} else {
		sum = csum_add(0, ip, ihl);
	}
	c = csum_fold(sum);
	memcpy(ip + 10, &c, 2);
}

/* RFC 8200 8.1: UDP over IPv6 needs a checksum (RFC 6935's zero-checksum
 * exception is not used).  udp points at the UDP header of len bytes. */
static void udp6_set_csum(const uint8_t *ip6, uint8_t *udp, uint32_t len)
{
	uint64_t sum = csum_add(0, ip6 + 8, 32);  /* source and destination */
	uint8_t pseudo[8];
	uint16_t c;

	ipx_st32(pseudo, len);                     /* upper-layer length */
	ipx_st32(pseudo + 4, IPPROTO_UDP_);        /* zeros, next header */
	sum = csum_add(sum, pseudo, 8);
	udp[6] = udp[7] = 0;
	c = csum_fold(csum_add(sum, udp, len));
	if (!c)
		c = 0xffff;  /* 0 means "no checksum" */
	memcpy(udp + 6, &c, 2);
}

/* IPv6 extension headers that precede ESP (RFC 4303 3.1.1): walk them and
 * return the offset of the first other header, with *nh_off the offset of
 * the next-header field that names it.  -1 when malformed. */
static int ipv6_skip_ext(const uint8_t *ip, uint32_t len, uint32_t *nh_off)
{
	uint32_t off = 40;

	*nh_off = 6;
	for (;;) {
		uint8_t nh = ip[*nh_off];

		if (nh != 0 && nh != 43 && nh != 60)
			return nh == 44 ? -1 : (int)off;  /* no fragments */
		if (off + 2 > len)
			return -1;
		*nh_off = off;
		off += ((uint32_t)ip[off + 1] + 1) * 8;
		if (off > len)
			return -1;
	}
}

/* The IP packet at p: its real length (trailing bytes, such as Ethernet
 * padding, are not part of it).  0 when malformed. */
static inline __attribute__((always_inline)) uint32_t ip_len(const uint8_t *p, uint32_t len)
{
	if (len < 1)
		return 0;
	if (p[0] >> 4 == 4) {
		uint32_t ihl = (p[0] & 15) * 4u, tot;

		if (len < 20 || ihl < 20 || ihl > len)
			return 0;
		tot = ipx_ld16(p + 2);
		if (tot < ihl || tot > len)
			return 0;
		return tot;
	}
	if (p[0] >> 4 == 6) {
		uint32_t tot;

		if (len < 40)
			return 0;
		/* payload length 0: no payload (jumbograms are not carried) */
		tot = 40u + ipx_ld16(p + 4);
		return tot > len ? 0 : tot;
	}
	return 0;
}

static void write_outer(const struct soft_sa *sa, uint8_t *o, uint32_t tot,
			uint8_t proto, uint8_t tos, bool inner_df, uint64_t seq)
{
	uint8_t ttl = sa->ttl;

	if (sa->dst.family == AF_INET6) {
		ipx_st32(o, 6u << 28 | (uint32_t)tos << 20);
		ipx_st16(o + 4, (uint16_t)(tot - 40));
		o[6] = proto;
		o[7] = ttl;
		memcpy(o + 8, sa->src.a, 16);
		memcpy(o + 24, sa->dst.a, 16);
		return;
	}
	/* Built in registers and stored once: reading back freshly stored
	 * bytes to checksum them would stall on store forwarding. */
	{
		/* RFC 6864: the ID only matters for fragments; the low 16 bits
		 * of the sequence number are unique within any reassembly
		 * lifetime and need no extra state, so hardware and software
		 * agree. */
		uint32_t df = (sa->df == IPX_DF_SET ||
			       (sa->df == IPX_DF_COPY && inner_df)) ? 0x4000 : 0;
		uint32_t w0 = 0x45u << 24 | (uint32_t)tos << 16 | tot;
		uint32_t w1 = (uint32_t)(uint16_t)seq << 16 | df;
		uint32_t w2 = (uint32_t)ttl << 24 | (uint32_t)proto << 16;
		uint32_t w3 = ipx_ld32(sa->src.a), w4 = ipx_ld32(sa->dst.a);
		uint64_t sum = (uint64_t)w0 + w1 + w2 + w3 + w4;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		w2 |= (uint16_t)~sum;
		ipx_st32(o, w0);
		ipx_st32(o + 4, w1);
		ipx_st32(o + 8, w2);
		ipx_st32(o + 12, w3);
		ipx_st32(o + 16, w4);
	}
}

/* Trailer (RFC 4303 2.4): TFC padding, then pad bytes 1, 2, 3, ..., pad
 * length, next header.  Returns the plaintext length. */
static uint32_t write_trailer(const struct soft_sa *sa, uint8_t *body,
			      uint32_t len, uint32_t tfc, uint8_t nh)
{
	uint32_t padlen, i;

	if (tfc) {
		memset(body + len, 0, tfc);
		len += tfc;
	}
	/* block is a power of two (4 or 16): no division on the hot path */
	padlen = (0u - (len + 2)) & (sa->block - 1u);
	for (i = 0; i < padlen; i++)
		body[len + i] = (uint8_t)(i + 1);
	body[len + padlen] = (uint8_t)padlen;
	body[len + padlen + 1] = nh;
	return len + padlen + 2;
}

int esp_encap(struct soft_sa *sa, struct ipx_pkt *pkt, uint64_t seq,
	      uint32_t *inner_len, struct xf_job *job)
{
	uint8_t *in = pkt->buf + pkt->off, *esp, *l3, nh;
	uint32_t plen = ip_len(in, pkt->len), tfc = 0, hdr, l3len, ptlen;
	uint32_t espoff, udp = sa->encap ? 8 : 0, espn = 8u + sa->iv_len, nh_off;
	uint32_t maxpad = sa->block - 1 + 2 + IPX_ICV_LEN;

	if (!plen)
		return IPX_ST_MALFORMED;
	if (plen > IPX_MAX_PKT_LEN)
		return IPX_ST_TOO_BIG;
	*inner_len = plen;

	if (sa->mode == IPX_MODE_TUNNEL) {
		bool v6 = in[0] >> 4 == 6;
		uint8_t tos = v6 ? (uint8_t)(ipx_ld16(in) >> 4) : in[1];
		bool df = v6 || (in[6] & 0x40);

		if (sa->tfc_pad > plen)
			tfc = sa->tfc_pad - plen;
		l3len = sa->dst.family == AF_INET6 ? 40 : 20;
		hdr = l3len + udp + espn;
		if (pkt->off < hdr ||
		    pkt->buf_len - pkt->off < plen + tfc + maxpad)
			return IPX_ST_NO_ROOM;
		nh = v6 ? NH_IPV6 : NH_IPV4;
		ptlen = write_trailer(sa, in, plen, tfc, nh);
		esp = in - espn;
		l3 = esp - udp - l3len;
		write_outer(sa, l3, hdr + ptlen + IPX_ICV_LEN,
			    udp ? IPPROTO_UDP_ : IPPROTO_ESP_, tos, df, seq);
		espoff = l3len + udp;
	} else {
		/* transport: ESP goes between the IP header (with IPv6
		 * extension headers that precede it) and the payload */
		if (in[0] >> 4 == 4) {
			l3len = (in[0] & 15) * 4u;
			if (ipx_ld16(in + 6) & 0x3fff)
				return IPX_ST_MALFORMED;  /* a fragment */
			nh_off = 9;
		} else {
			int off = ipv6_skip_ext(in, plen, &nh_off);

			if (off < 0)
				return IPX_ST_MALFORMED;
			l3len = (uint32_t)off;
		}
		hdr = udp + espn;
		if (pkt->off < hdr ||
		    pkt->buf_len - pkt->off < plen + maxpad)
			return IPX_ST_NO_ROOM;
		nh = in[nh_off];
		ptlen = write_trailer(sa, in + l3len, plen - l3len, 0, nh);
		l3 = in - hdr;
		memmove(l3, in, l3len);
		l3[nh_off] = udp ? IPPROTO_UDP_ : IPPROTO_ESP_;
		esp = l3 + l3len + udp;
		if (l3[0] >> 4 == 4) {
			ipx_st16(l3 + 2, (uint16_t)(l3len + udp + espn + ptlen +
						    IPX_ICV_LEN));
			ipv4_set_csum(l3, l3len);
		} else {
			ipx_st16(l3 + 4, (uint16_t)(l3len - 40 + udp + espn +
						    ptlen + IPX_ICV_LEN));
		}
		espoff = l3len + udp;
	}

	ipx_st64(esp, (uint64_t)sa->spi << 32 | (uint32_t)seq);
	if (xform_prep(&sa->xf, job, esp, ptlen, seq, sa->esn, NULL, 1) < 0)
		return IPX_ST_ENGINE_FAULT;
	if (udp) {
		uint8_t *u = esp - 8;
		uint32_t ulen = 8 + espn + ptlen + IPX_ICV_LEN;

		ipx_st16(u, sa->encap_sport);
		ipx_st16(u + 2, sa->encap_dport);
		ipx_st16(u + 4, (uint16_t)ulen);
		u[6] = u[7] = 0;  /* RFC 3948 2.1: checksum 0 over IPv4 */
	}
	pkt->off = (uint32_t)(l3 - pkt->buf);
	pkt->len = espoff + espn + ptlen + IPX_ICV_LEN;
	pkt->esp_off = (uint16_t)espoff;
	return IPX_ST_OK;
}

/* After the cipher ran: the UDP checksum over IPv6 covers the ciphertext. */
void esp_encap_finish(const struct soft_sa *sa, struct ipx_pkt *pkt)
{
	uint8_t *l3 = pkt->buf + pkt->off;

	if (sa->encap && l3[0] >> 4 == 6)
		udp6_set_csum(l3, l3 + pkt->esp_off - 8,
			      pkt->len - pkt->esp_off + 8);
}

/* Where the ESP header of a received packet is. */
int esp_parse_outer(const struct ipx_pkt *pkt, struct esp_outer *o)
{
	const uint8_t *p = pkt->buf + pkt->off;
	uint32_t tot = ip_len(p, pkt->len), l3len;
	uint8_t proto;

	if (!tot)
		return IPX_ST_MALFORMED;
	if (p[0] >> 4 == 4) {
		l3len = (p[0] & 15) * 4u;
		if (ipx_ld16(p + 6) & 0x3fff)
			return IPX_ST_MALFORMED;  /* fragments are reassembled first */
		o->nh_off = 9;
	} else {
		int off = ipv6_skip_ext(p, tot, &o->nh_off);

		if (off < 0)
			return IPX_ST_MALFORMED;
		l3len = (uint32_t)off;
	}
	proto = p[o->nh_off];
	o->l3_len = l3len;
	o->udp = false;
	if (proto == IPPROTO_UDP_) {
		uint32_t ulen;

		if (tot - l3len < 8)
			return IPX_ST_MALFORMED;
		ulen = ipx_ld16(p + l3len + 4);
		if (ulen < 8 || ulen > tot - l3len)
			return IPX_ST_MALFORMED;
		o->udp = true;
		o->esp_off = l3len + 8;
		o->esp_len = ulen - 8;
		/* RFC 3948 2.2/2.3: a non-ESP marker is IKE, 0xff a keepalive */
		if ((o->esp_len >= 4 && ipx_ld32(p + o->esp_off) == 0) ||
		    (o->esp_len == 1 && p[o->esp_off] == 0xff))
			return IPX_ST_MALFORMED;
	} else if (proto == IPPROTO_ESP_) {
		o->esp_off = l3len;
		o->esp_len = tot - l3len;
	} else {
		return IPX_ST_MALFORMED;
	}
	if (o->esp_len < 8)
		return IPX_ST_MALFORMED;
	o->spi = ipx_ld32(p + o->esp_off);
	return IPX_ST_OK;
}

int esp_decap_prep(struct soft_sa *sa, struct ipx_pkt *pkt,
		   const struct esp_outer *o, struct xf_job *job)
{
	uint8_t *esp = pkt->buf + pkt->off + o->esp_off;
	uint32_t ivl = sa->iv_len, ctlen;
	uint64_t seq;

	if (o->esp_len < 8 + ivl + sa->block + IPX_ICV_LEN)
		return IPX_ST_MALFORMED;
	ctlen = o->esp_len - 8 - ivl - IPX_ICV_LEN;
	if (ctlen & (sa->block - 1u))
		return IPX_ST_MALFORMED;
	/* RFC 4303 3.4.3: replay check before the ICV, update after */
	if (!replay_infer(&sa->rp, ipx_ld32(esp + 4), sa->esn, &seq) ||
	    !replay_check(&sa->rp, seq))
		return IPX_ST_REPLAYED;
	if (xform_prep(&sa->xf, job, esp, ctlen, seq, sa->esn, NULL, 0) < 0)
		return IPX_ST_ENGINE_FAULT;
	return IPX_ST_OK;
}

/* After the ICV verified: window, trailer, output. */
int esp_decap_finish(struct soft_sa *sa, struct ipx_pkt *pkt,
		     const struct esp_outer *o, const struct xf_job *job,
		     uint32_t *inner_len)
{
	uint8_t *ip = pkt->buf + pkt->off, *pt, nh;
	uint32_t ctlen = job->len, padlen, body, i;

	/* checked again: the same number may have come twice in one burst */
	if (!replay_check(&sa->rp, job->seq))
		return IPX_ST_REPLAYED;
	replay_update(&sa->rp, job->seq);

	pt = job->esp + 8 + sa->iv_len;
	padlen = pt[ctlen - 2];
	nh = pt[ctlen - 1];
	if (padlen + 2 > ctlen)
		return IPX_ST_BAD_PADDING;
	body = ctlen - 2 - padlen;
	for (i = 0; i < padlen; i++)
		if (pt[body + i] != (uint8_t)(i + 1))
			return IPX_ST_BAD_PADDING;
	if (nh == NH_NONE)
		return IPX_ST_DUMMY;

	if (sa->mode == IPX_MODE_TUNNEL) {
		uint32_t tot;

		if ((nh == NH_IPV4 && (body < 1 || pt[0] >> 4 != 4)) ||
		    (nh == NH_IPV6 && (body < 1 || pt[0] >> 4 != 6)) ||
		    (nh != NH_IPV4 && nh != NH_IPV6))
			return IPX_ST_BAD_NEXT_HEADER;
		/* the inner header gives the length; what follows up to the
		 * padding is TFC padding (RFC 4303 2.7) */
		tot = ip_len(pt, body);
		if (!tot)
			return IPX_ST_MALFORMED;
		pkt->off = (uint32_t)(pt - pkt->buf);
		pkt->len = tot;
	} else {
		uint8_t *l3 = pt - o->l3_len;

		memmove(l3, ip, o->l3_len);
		l3[o->nh_off] = nh;
		if (l3[0] >> 4 == 4) {
			ipx_st16(l3 + 2, (uint16_t)(o->l3_len + body));
			ipv4_set_csum(l3, o->l3_len);
		} else {
			ipx_st16(l3 + 4, (uint16_t)(o->l3_len - 40 + body));
		}
		pkt->off = (uint32_t)(l3 - pkt->buf);
		pkt->len = o->l3_len + body;
	}
	*inner_len = pkt->len;
	return IPX_ST_OK;
}
