/*
 * TUN offloads (IFF_VNET_HDR): the kernel hands us TCP (and UDP) super-
 * packets described by a struct virtio_net_hdr (virtio 1.1, 5.1.6.2), which
 * we cut into MTU-sized packets with complete checksums before encryption
 * (segmentation); on the way back we join consecutive TCP segments of one
 * flow into one super-packet the kernel takes as if GRO had built it
 * (coalescing).  Pure functions over buffers: unit-tested alone.
 */
#ifndef IPSECFX_DP_GSO_H
#define IPSECFX_DP_GSO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define GSO_VNET_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#define GSO_MAX_SEGS 128

/* A super-packet, validated. */
struct gso_pkt {
	const uint8_t *p;
	uint32_t len;
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t l4_off;        /* IP header (+ extension headers) */
	uint16_t hdr_len;       /* up to the payload */
	uint16_t mss;           /* payload bytes per segment */
	uint32_t nseg;
};

/*
 * Look at one TUN read: vh then the packet p of len bytes.
 *  returns 1: a plain packet, ready (a partial checksum the kernel left,
 *             VIRTIO_NET_HDR_F_NEEDS_CSUM, is completed in place);
 *  returns 0: a super-packet, g describes it, segment with gso_segment();
 *  -EINVAL:   inconsistent header or packet (the caller drops and counts).
 */
int gso_prepare(const struct virtio_net_hdr *vh, uint8_t *p, uint32_t len,
		struct gso_pkt *g);
/* Write segment i of g at out (cap bytes): the headers with lengths, IPv4
 * ID, TCP sequence number and flags adjusted, the payload, full checksums.
 * Returns its length, or 0 when it does not fit in cap. */
uint32_t gso_segment(const struct gso_pkt *g, uint32_t i, uint8_t *out,
		     uint32_t cap);

/* One decrypted packet offered for coalescing. */
struct gro_pkt {
	uint8_t *p;             /* in: the packet (its headers may be rewritten) */
	uint32_t len;           /* in */
	/* out of gro_plan: */
	int32_t next;           /* the next packet of this one's group, -1 */
	uint16_t nmemb;         /* group size if this packet heads one, else 0 */
	uint16_t hdr_len;       /* IP + TCP header length (payload offset) */
	/* private */
	uint32_t seq;
	uint16_t l4_off, plen;
	uint8_t flags;
};

/* Decide the groups for n packets (in order): a packet heads a group (and
 * is written with its members) or belongs to an earlier head.  Per flow,
 * group order follows packet order, so nothing is reordered. */
void gro_plan(struct gro_pkt *v, unsigned n);
/* For a head with nmemb > 1: rewrite its IP length (and IPv4 checksum) and
 * TCP checksum for the whole group and fill vh so that the kernel takes the
 * packet, then its members' payloads, as one TCP super-packet (checksum
 * partial).  Returns the total length. */
uint32_t gro_head_finish(struct gro_pkt *v, unsigned head,
			 struct virtio_net_hdr *vh);

#endif
