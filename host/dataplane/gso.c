/*
 * Segmentation of TUN super-packets and coalescing of decrypted TCP
 * segments (gso.h).  Every offset is checked against the packet before use:
 * the virtio_net_hdr comes from the kernel, the decrypted packets from a
 * peer.
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "csum.h"
#include "gso.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

/* Complete the checksum the kernel left partial: the field holds the
 * pseudo-header sum, so the one's complement of the sum from csum_start to
 * the end is the full checksum. */
static int complete_csum(uint8_t *p, uint32_t len, uint32_t start, uint32_t off)
{
	uint16_t c;

	if (start > len || off > len - start || len - start - off < 2)
		return -EINVAL;
	c = (uint16_t)~csum_fold(csum_add(0, p + start, len - start));
	/* RFC 768: a computed UDP checksum of 0 is sent as all ones */
	if (off == 6 && c == 0)
		c = 0xffff;
	memcpy(p + start + off, &c, 2);
	return 0;
}

int gso_prepare(const struct virtio_net_hdr *vh, uint8_t *p, uint32_t len,
		struct gso_pkt *g)
{
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	uint32_t cstart = le16toh(vh->csum_start), coff = le16toh(vh->csum_offset);
	uint32_t l4, payload;

	memset(g, 0, sizeof(*g));
	if (len < 20)
		return -EINVAL;
	if (type == VIRTIO_NET_HDR_GSO_NONE) {
		if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    complete_csum(p, len, cstart, coff) < 0)
			return -EINVAL;
		return 1;
	}
	if (type == VIRTIO_NET_HDR_GSO_TCPV4 || type == VIRTIO_NET_HDR_GSO_TCPV6)
		g->proto = IPPROTO_TCP;
	else if (type == VIRTIO_NET_HDR_GSO_UDP_L4)
		g->proto = IPPROTO_UDP;
	else
		return -EINVAL;
	if (p[0] >> 4 == 4) {
		uint32_t ihl = (p[0] & 0x0fu) * 4u;

		if (type == VIRTIO_NET_HDR_GSO_TCPV6 || ihl < 20 ||
		    ipx_ld16(p + 2) != len || p[9] != g->proto ||
		    (ipx_ld16(p + 6) & 0x3fff))
			return -EINVAL;
		l4 = ihl;
	} else if (p[0] >> 4 == 6) {
		if (type == VIRTIO_NET_HDR_GSO_TCPV4 || len < 40 ||
		    40u + ipx_ld16(p + 4) != len)
			return -EINVAL;
		/* the kernel's csum_start is the upper-layer header, past any
		 * extension headers */
		l4 = (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ? cstart : 40;
		if (l4 < 40 || (l4 == 40 && p[6] != g->proto))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (g->proto == IPPROTO_TCP) {
		if (l4 > len || len - l4 < 20 || (p[l4 + 12] >> 4) < 5)
			return -EINVAL;
		g->hdr_len = (uint16_t)(l4 + (p[l4 + 12] >> 4) * 4u);
	} else {
		g->hdr_len = (uint16_t)(l4 + 8);
	}
	if (g->hdr_len > len)
		return -EINVAL;
	g->mss = le16toh(vh->gso_size);
	payload = len - g->hdr_len;
	if (g->mss == 0 || payload == 0)
		return -EINVAL;
	g->nseg = (payload + g->mss - 1) / g->mss;
	if (g->nseg > GSO_MAX_SEGS)
		return -EINVAL;
	g->p = p;
	g->len = len;
	g->l4_off = (uint16_t)l4;
	return 0;
}

uint32_t gso_segment(const struct gso_pkt *g, uint32_t i, uint8_t *out,
		     uint32_t cap)
{
	uint32_t payload = g->len - g->hdr_len, off = i * g->mss;
	uint32_t plen, seglen, l4len;
	uint8_t *l4 = out + g->l4_off;
	uint64_t sum;

	if (i >= g->nseg)
		return 0;
	plen = payload - off < g->mss ? payload - off : g->mss;
	seglen = g->hdr_len + plen;
	if (seglen > cap)
		return 0;
	memcpy(out, g->p, g->hdr_len);
	memcpy(out + g->hdr_len, g->p + g->hdr_len + off, plen);
	l4len = seglen - g->l4_off;
	if (out[0] >> 4 == 4) {
		ipx_st16(out + 2, (uint16_t)seglen);
		/* consecutive IDs, as the kernel's own segmentation gives */
		ipx_st16(out + 4, (uint16_t)(ipx_ld16(out + 4) + i));
		csum_ip4(out);
	} else {
		ipx_st16(out + 4, (uint16_t)(seglen - 40));
	}
	if (g->proto == IPPROTO_TCP) {
		ipx_st32(l4 + 4, ipx_ld32(l4 + 4) + off);
		if (i + 1 < g->nseg)   /* FIN and PSH belong to the last */
			l4[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)             /* CWR to the first (RFC 3168 6.1.2) */
			l4[13] &= (uint8_t)~TCP_CWR;
		l4[16] = l4[17] = 0;
		sum = csum_pseudo(out, l4len, IPPROTO_TCP);
		csum_store(l4 + 16, csum_add(sum, l4, l4len));
	} else {
		ipx_st16(l4 + 4, (uint16_t)l4len);
		l4[6] = l4[7] = 0;
		sum = csum_pseudo(out, l4len, IPPROTO_UDP);
		csum_store(l4 + 6, csum_add(sum, l4, l4len));
		if (l4[6] == 0 && l4[7] == 0)
			l4[6] = l4[7] = 0xff;
	}
	return seglen;
}

/* ---- coalescing ---------------------------------------------------------- */

#define GRO_OPEN 8          /* flows followed at once within a batch */
#define GRO_MAX_MEMB 64
#define GRO_MAX_LEN 65535

/* Parse a TCP segment; true if it may take part in coalescing at all. */
static bool tcp_parse(struct gro_pkt *g, bool *is_tcp)
{
	const uint8_t *p = g->p;
	uint32_t l4, doff;

	*is_tcp = false;
	if (g->len < 40)
		return false;
	if (p[0] >> 4 == 4) {
		if (p[0] != 0x45 || ipx_ld16(p + 2) != g->len || p[9] != IPPROTO_TCP)
			return false;
		l4 = 20;
		if (ipx_ld16(p + 6) & 0x3fff)    /* a fragment */
			return false;
	} else if (p[0] >> 4 == 6) {
		if (g->len < 60 || p[6] != IPPROTO_TCP ||
		    40u + ipx_ld16(p + 4) != g->len)
			return false;
		l4 = 40;
	} else {
		return false;
	}
	doff = (p[l4 + 12] >> 4) * 4u;
	if (doff < 20 || l4 + doff > g->len)
		return false;
	*is_tcp = true;
	g->l4_off = (uint16_t)l4;
	g->hdr_len = (uint16_t)(l4 + doff);
	g->plen = (uint16_t)(g->len - l4 - doff);
	g->seq = ipx_ld32(p + l4 + 4);
	g->flags = p[l4 + 13];
	if (g->plen == 0 || (g->flags & (uint8_t)~TCP_PSH) != TCP_ACK)
		return false;
	/* the kernel takes a coalesced packet's checksum as verified, so each
	 * segment's own checksum is checked here */
	return csum_fold(csum_add(csum_pseudo(p, g->len - l4, IPPROTO_TCP),
				  p + l4, g->len - l4)) == 0xffff;
}

/* Same addresses and ports. */
static bool same_flow(const struct gro_pkt *a, const struct gro_pkt *b)
{
	if ((a->p[0] >> 4) != (b->p[0] >> 4))
		return false;
	if (a->p[0] >> 4 == 4) {
		if (memcmp(a->p + 12, b->p + 12, 8))
			return false;
	} else if (memcmp(a->p + 8, b->p + 8, 32)) {
		return false;
	}
	return !memcmp(a->p + a->l4_off, b->p + b->l4_off, 4);
}

/* Everything but length, ID, sequence number, PSH and checksums equal, so
 * that the kernel's segments of the joined packet would be these. */
static bool same_headers(const struct gro_pkt *h, const struct gro_pkt *x)
{
	const uint8_t *a = h->p, *b = x->p;

	if (a[0] >> 4 == 4) {
		if (a[1] != b[1] || a[8] != b[8] || ((a[6] ^ b[6]) & 0x40))
			return false;
	} else if (memcmp(a, b, 4) || a[7] != b[7]) {
		return false;
	}
	a += h->l4_off;
	b += x->l4_off;
	return h->hdr_len - h->l4_off == x->hdr_len - x->l4_off &&
	       !memcmp(a + 8, b + 8, 4) &&              /* ack */
	       !memcmp(a + 14, b + 14, 2) &&            /* window */
	       !memcmp(a + 20, b + 20, h->hdr_len - h->l4_off - 20u); /* options */
}

struct gro_open {
	int32_t head, last;
	uint32_t next_seq, total;
	uint16_t gso;
};

void gro_plan(struct gro_pkt *v, unsigned n)
{
	struct gro_open open[GRO_OPEN];
	unsigned nopen = 0, oldest = 0;

	for (unsigned i = 0; i < n; i++) {
		struct gro_pkt *g = &v[i];
		struct gro_open *o = NULL;
		bool cand, is_tcp;
		unsigned k;

		g->next = -1;
		g->nmemb = 1;
		g->hdr_len = 0;
		cand = tcp_parse(g, &is_tcp);
		if (!is_tcp)
			continue;
		for (k = 0; k < nopen; k++)
			if (same_flow(&v[open[k].head], g)) {
				o = &open[k];
				break;
			}
		if (o && cand) {
			struct gro_pkt *h = &v[o->head];

			if (g->seq == o->next_seq && g->plen <= o->gso &&
			    h->nmemb < GRO_MAX_MEMB &&
			    o->total + g->plen <= GRO_MAX_LEN &&
			    same_headers(h, g)) {
				v[o->last].next = (int32_t)i;
				o->last = (int32_t)i;
				o->next_seq += g->plen;
				o->total += g->plen;
				h->nmemb++;
				g->nmemb = 0;
				/* a short or pushed segment ends the group */
				if (g->plen < o->gso || (g->flags & TCP_PSH))
					*o = open[--nopen];
				continue;
			}
		}
		/* this packet ends the flow's open group: anything joining
		 * that group later would overtake it */
		if (o)
			*o = open[--nopen];
		if (!cand || (g->flags & TCP_PSH))
			continue;
		if (nopen == GRO_OPEN) {
			k = oldest++ % GRO_OPEN;
		} else {
			k = nopen++;
		}
		open[k] = (struct gro_open){ .head = (int32_t)i, .last = (int32_t)i,
					     .next_seq = g->seq + g->plen,
					     .total = g->len, .gso = g->plen };
	}
}

uint32_t gro_head_finish(struct gro_pkt *v, unsigned head,
			 struct virtio_net_hdr *vh)
{
	struct gro_pkt *h = &v[head];
	uint32_t total = h->len, l4len;
	uint8_t *p = h->p, *l4 = p + h->l4_off;
	uint16_t c;

	for (int32_t j = h->next; j >= 0; j = v[j].next)
		total += v[j].plen;
	l4len = total - h->l4_off;
	if (p[0] >> 4 == 4) {
		ipx_st16(p + 2, (uint16_t)total);
		csum_ip4(p);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		ipx_st16(p + 4, (uint16_t)(total - 40));
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	/* checksum partial: the field holds the pseudo-header sum and the
	 * kernel (or whoever segments) completes it */
	c = csum_fold(csum_pseudo(p, l4len, IPPROTO_TCP));
	memcpy(l4 + 16, &c, 2);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = htole16(h->hdr_len);
	vh->gso_size = htole16(h->plen);
	vh->csum_start = htole16(h->l4_off);
	vh->csum_offset = htole16(16);
	return total;
}
