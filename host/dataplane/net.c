/*
 * The network side: UDP sockets for IKE (500) and NAT-T (4500), raw sockets
 * for plain ESP (IP protocol 50), received with recvmmsg and sent with
 * sendmmsg.  Runs of equal-sized ESP datagrams to one peer leave as one UDP
 * GSO send (UDP_SEGMENT); the NAT-T socket takes GRO'd datagrams (UDP_GRO)
 * and splits them.  Either falls back to plain datagrams when the kernel
 * refuses it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/sock_diag.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "dp_internal.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

#define IKE_HDR_LEN 28          /* RFC 7296 3.1 */
#define NON_ESP_MARKER_LEN 4    /* RFC 3948 2.2 */

enum dp_natt_kind dp_natt_classify(const uint8_t *p, uint32_t len)
{
	/* RFC 3948 2.3: a NAT-keepalive is one octet, 0xFF */
	if (len == 1 && p[0] == 0xff)
		return DP_NATT_KEEPALIVE;
	/* RFC 3948 2.2: four zero octets where an SPI would be (SPI 0 is
	 * reserved) mark an IKE message, which needs at least its header */
	if (len >= NON_ESP_MARKER_LEN && !p[0] && !p[1] && !p[2] && !p[3])
		return len >= NON_ESP_MARKER_LEN + IKE_HDR_LEN ? DP_NATT_IKE
							       : DP_NATT_BAD;
	/* RFC 3948 2.1: anything else is ESP: SPI and sequence number */
	if (len >= 8)
		return DP_NATT_ESP;
	return DP_NATT_BAD;
}

void dp_addr_to_sa(const struct ipx_addr *a, uint16_t port,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->a, 16);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a->a, 4);
		*len = sizeof(*s4);
	}
}

void dp_sa_to_addr(const struct sockaddr_storage *ss, struct ipx_addr *a,
		   uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->family = AF_INET6;
		memcpy(a->a, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->family = AF_INET;
		memcpy(a->a, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	} else {
		*port = 0;
	}
}

const char *dp_addr_str(const struct ipx_addr *a, char *buf, size_t len)
{
	if (!a->family || !inet_ntop(a->family, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "%%any");
	return buf;
}

static const char *kind_name(uint8_t kind)
{
	return kind == DP_SOCK_IKE ? "ike" : kind == DP_SOCK_NATT ? "nat-t" : "esp";
}

static void set_bufs(int fd, uint32_t bytes)
{
	int v = (int)bytes;

	/* the FORCE variants pass rmem_max/wmem_max when we are root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

uint64_t ipx_dp_udp_rx_overflows(const struct ipx_dp *dp)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < dp->nsocks; i++) {
		const struct dp_sock *s = &dp->socks[i];
		uint32_t mi[SK_MEMINFO_VARS];
		socklen_t ml = sizeof(mi);

		if (s->kind == DP_SOCK_ESP || s->fd < 0)
			continue;
		if (getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mi, &ml) == 0 &&
		    ml > SK_MEMINFO_DROPS * sizeof(uint32_t))
			n += mi[SK_MEMINFO_DROPS];
	}
	return n;
}

static void udp_cb(evutil_socket_t fd, short what, void *arg);
static void raw_cb(evutil_socket_t fd, short what, void *arg);

static int sock_open(struct ipx_dp *dp, struct dp_sock *s, uint8_t kind,
		     uint8_t family, const struct ipx_addr *bind_to, uint16_t port,
		     bool want_gro)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int on = 1, fd, ret;
	char ab[INET6_ADDRSTRLEN];
	struct ipx_addr any = { .family = family };

	memset(s, 0, sizeof(*s));
	s->dp = dp;
	s->fd = -1;
	s->kind = kind;
	s->family = family;
	s->port = kind == DP_SOCK_ESP ? 0 : port;
	if (bind_to)
		s->bound = *bind_to;
	if (kind == DP_SOCK_ESP)
		fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ESP);
	else
		fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	s->fd = fd;
	if (family == AF_INET6) {
		/* (raw sockets are IPv6-only anyway and refuse the option) */
		ret = kind == DP_SOCK_ESP ? 0
			: setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (ret == 0)
			ret = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	} else if (kind != DP_SOCK_ESP) {
		ret = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	} else {
		/* IPv4 raw sockets deliver the IP header; sending, we give the
		 * engine's whole outer header (TOS, DF, ID as docs/esp-format.md) */
		ret = setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));
	}
	if (ret < 0)
		goto fail;
	set_bufs(fd, dp->sock_buf);
	dp_addr_to_sa(bind_to ? bind_to : &any, s->port, &ss, &sl);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	if (want_gro && kind == DP_SOCK_NATT) {
		s->gro = setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
		if (!s->gro)
			ipx_warn("dataplane: %s socket %s:%u: UDP_GRO refused (%s), "
				 "receiving datagram by datagram", kind_name(kind),
				 dp_addr_str(&s->bound, ab, sizeof(ab)), port,
				 strerror(errno));
	}
	s->gso = kind == DP_SOCK_NATT && dp->udp_gso_ok;
	s->ev = event_new(dp->base, fd, EV_READ | EV_PERSIST,
			  kind == DP_SOCK_ESP ? raw_cb : udp_cb, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	ipx_dbg("dataplane: %s socket on %s port %u", kind_name(kind),
		dp_addr_str(&s->bound, ab, sizeof(ab)), s->port);
	return 0;
fail:
	ret = -errno;
	ipx_err("dataplane: %s socket on %s port %u: %s", kind_name(kind),
		dp_addr_str(bind_to ? bind_to : &any, ab, sizeof(ab)), port,
		strerror(errno));
	if (s->ev)
		event_free(s->ev);
	s->ev = NULL;
	close(fd);
	s->fd = -1;
	return ret;
}

int net_open(struct ipx_dp *dp, const struct ipx_dp_config *cfg)
{
	struct ipx_addr fam[2] = { { .family = AF_INET }, { .family = AF_INET6 } };
	const struct ipx_addr *where = cfg->n_local ? cfg->local : fam;
	unsigned n = cfg->n_local ? cfg->n_local : (cfg->no_ipv6 ? 1 : 2);
	bool gro = !cfg->no_udp_gro;
	int ret;

	dp->socks = calloc(n * 3, sizeof(*dp->socks));
	if (!dp->socks)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		const struct ipx_addr *b = cfg->n_local ? &where[i] : NULL;
		uint8_t family = where[i].family;
		bool wildcard6 = !cfg->n_local && family == AF_INET6;
		struct dp_sock *s = &dp->socks[dp->nsocks];

		ret = sock_open(dp, s, DP_SOCK_IKE, family, b, dp->ike_port, false);
		if (ret == -EAFNOSUPPORT && wildcard6) {
			ipx_warn("dataplane: no IPv6 in this kernel, IPv4 only");
			continue;
		}
		if (ret < 0)
			return ret;
		dp->nsocks++;
		ret = sock_open(dp, &dp->socks[dp->nsocks], DP_SOCK_NATT, family,
				b, dp->natt_port, gro);
		if (ret < 0)
			return ret;
		dp->nsocks++;
		if (cfg->no_raw_esp)
			continue;
		ret = sock_open(dp, &dp->socks[dp->nsocks], DP_SOCK_ESP, family,
				b, 0, false);
		if (ret < 0)
			return ret;
		dp->nsocks++;
	}
	return 0;
}

void net_close(struct ipx_dp *dp)
{
	for (unsigned i = 0; i < dp->nsocks; i++) {
		if (dp->socks[i].ev)
			event_free(dp->socks[i].ev);
		if (dp->socks[i].fd >= 0)
			close(dp->socks[i].fd);
	}
	free(dp->socks);
	dp->socks = NULL;
	dp->nsocks = 0;
}

static bool addr_eq(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == AF_INET6 ? 16 : 4);
}

struct dp_sock *net_sock_for(struct ipx_dp *dp, uint8_t kind, uint16_t port,
			     const struct ipx_addr *local, uint8_t family)
{
	struct dp_sock *wild = NULL;

	if (local && local->family)
		family = local->family;
	for (unsigned i = 0; i < dp->nsocks; i++) {
		struct dp_sock *s = &dp->socks[i];

		if (s->kind != kind || s->family != family ||
		    (kind != DP_SOCK_ESP && s->port != port))
			continue;
		if (!s->bound.family)
			wild = s;
		else if (local && local->family && addr_eq(&s->bound, local))
			return s;
		else if (!local || !local->family)
			return s;   /* no preference: the first bound one */
	}
	return wild;
}

/* ---- control messages ---------------------------------------------------- */

/* Source address for a socket bound to the wildcard (IP_PKTINFO /
 * IPV6_PKTINFO); returns the bytes of control used. */
static size_t put_pktinfo(uint8_t *ctl, size_t cap, const struct dp_sock *s,
			  const struct ipx_addr *local)
{
	struct msghdr m = { .msg_control = ctl, .msg_controllen = cap };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	if (s->bound.family || !local || local->family != s->family)
		return 0;
	if (s->family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		memcpy(&pi.ipi_spec_dst, local->a, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };

		memcpy(&pi.ipi6_addr, local->a, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
}

static size_t put_cmsg(uint8_t *ctl, size_t used, size_t cap, int level,
		       int type, const void *data, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)(ctl + used);

	if (used + CMSG_SPACE(len) > cap)
		return used;
	memset(c, 0, CMSG_SPACE(len));
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	return used + CMSG_SPACE(len);
}

int net_send_one(struct ipx_dp *dp, struct dp_sock *s,
		 const struct ipx_dp_endpoint *local,
		 const struct ipx_dp_endpoint *remote,
		 const struct iovec *iov, unsigned niov)
{
	struct sockaddr_storage ss;
	uint8_t ctl[64] __attribute__((aligned(8)));
	struct msghdr m = { 0 };
	socklen_t sl;

	(void)dp;
	memset(ctl, 0, sizeof(ctl));
	dp_addr_to_sa(&remote->addr, remote->port, &ss, &sl);
	m.msg_name = &ss;
	m.msg_namelen = sl;
	m.msg_iov = (struct iovec *)iov;
	m.msg_iovlen = niov;
	m.msg_control = ctl;
	m.msg_controllen = put_pktinfo(ctl, sizeof(ctl), s, local ? &local->addr : NULL);
	if (!m.msg_controllen)
		m.msg_control = NULL;
	if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* ---- sending ESP ------------------------------------------------------------ */

/* Send one GSO message again as separate datagrams (the kernel refused
 * UDP_SEGMENT for it). */
static void resend_split(struct ipx_dp *dp, struct dp_sock *s, struct mmsghdr *mm,
			 struct dp_msg_info *mi)
{
	struct msghdr m = mm->msg_hdr;
	uint8_t ctl[64] __attribute__((aligned(8)));
	struct iovec *iov = m.msg_iov;
	size_t iovlen = m.msg_iovlen;

	memset(ctl, 0, sizeof(ctl));
	m.msg_control = ctl;
	m.msg_controllen = put_pktinfo(ctl, sizeof(ctl), s, &mi->child->local.addr);
	if (!m.msg_controllen)
		m.msg_control = NULL;
	for (size_t k = 0; k < iovlen; k++) {
		m.msg_iov = &iov[k];
		m.msg_iovlen = 1;
		if (sendmsg(s->fd, &m, MSG_DONTWAIT) < 0) {
			dp->st.drops[IPX_DP_DROP_TX_ERROR]++;
			mi->child->st.tx_errors++;
		} else {
			dp->st.esp_tx_packets++;
			dp->st.esp_tx_bytes += iov[k].iov_len;
		}
	}
}

static void flush_msgs(struct ipx_dp *dp, struct dp_sock *s, unsigned first,
		       unsigned end)
{
	struct dp_msg_info *minfo = dp->minfo;
	char ab[INET6_ADDRSTRLEN];
	unsigned i = first;

	while (i < end) {
		int r = sendmmsg(s->fd, &dp->smsg[i], end - i, MSG_DONTWAIT);
		int err = errno;

		dp->st.esp_tx_calls++;
		if (r > 0) {
			for (unsigned k = i; k < i + (unsigned)r; k++) {
				dp->st.esp_tx_packets += minfo[k].packets;
				dp->st.esp_tx_bytes += minfo[k].bytes;
				if (minfo[k].seg)
					dp->st.esp_tx_gso++;
			}
			i += (unsigned)r;
			continue;
		}
		if (err == EINTR)
			continue;
		if (minfo[i].seg && (err == EINVAL || err == EIO ||
				     err == EOPNOTSUPP || err == ENOPROTOOPT)) {
			/* no UDP GSO here (old kernel, device, MTU): stop
			 * asking and send this run datagram by datagram */
			if (s->gso)
				ipx_warn("dataplane: nat-t socket %s: UDP GSO refused "
					 "(%s), sending datagram by datagram",
					 dp_addr_str(&s->bound, ab, sizeof(ab)),
					 strerror(err));
			s->gso = false;
			resend_split(dp, s, &dp->smsg[i], &minfo[i]);
			i++;
			continue;
		}
		/* a full socket buffer fails the rest of the batch too */
		for (unsigned k = i; k < end; k++) {
			dp->st.drops[IPX_DP_DROP_TX_ERROR] += minfo[k].packets;
			minfo[k].child->st.tx_errors += minfo[k].packets;
			if (err != EAGAIN && err != ENOBUFS)
				break;
		}
		ipx_dbg("dataplane: send to peer of child %u: %s",
			minfo[i].child->id, strerror(err));
		if (err == EAGAIN || err == ENOBUFS)
			break;
		i++;
	}
}

void net_send_tx(struct ipx_dp *dp)
{
	struct dp_sock *cur = NULL;
	unsigned nmsg = 0, niov = 0, first = 0;

	for (unsigned i = 0; i < dp->ntx;) {
		struct ipx_pkt *pkt = &dp->tx[i];
		struct dp_child *c = dp->txc[i];
		struct dp_sock *s = c->sock;
		struct msghdr *m;
		struct dp_msg_info *mi;
		uint8_t *ctl;
		size_t cl;

		if (pkt->status != IPX_ST_OK) {
			i++;
			continue;
		}
		if (s != cur && nmsg > first) {
			flush_msgs(dp, cur, first, nmsg);
			first = nmsg;
		}
		cur = s;
		m = &dp->smsg[nmsg].msg_hdr;
		mi = &dp->minfo[nmsg];
		ctl = dp->sctl[nmsg];
		memset(m, 0, sizeof(*m));
		*mi = (struct dp_msg_info){ .child = c };
		m->msg_name = &c->peer_sa;
		m->msg_namelen = c->peer_len;
		m->msg_iov = &dp->siov[niov];
		cl = 0;
		if (s->kind == DP_SOCK_NATT) {
			/* RFC 3948: the kernel adds IP and UDP; we send ESP.
			 * Equal sizes to one peer go out as one UDP GSO send. */
			uint32_t seg = pkt->len - pkt->esp_off;
			unsigned j = i;

			while (j < dp->ntx && mi->packets < DP_UDP_SEGS) {
				struct ipx_pkt *q = &dp->tx[j];
				uint32_t ql = q->len - q->esp_off;

				if (q->status != IPX_ST_OK) {
					j++;
					continue;
				}
				if (dp->txc[j] != c || (mi->packets &&
				    (!s->gso || ql > seg || mi->bytes + ql > 65000)))
					break;
				dp->siov[niov].iov_base = q->buf + q->off + q->esp_off;
				dp->siov[niov].iov_len = ql;
				niov++;
				mi->packets++;
				mi->bytes += ql;
				j++;
				if (ql < seg)  /* only the last may be shorter */
					break;
			}
			m->msg_iovlen = mi->packets;
			cl = put_pktinfo(ctl, sizeof(dp->sctl[0]), s, &c->local.addr);
			if (mi->packets > 1) {
				uint16_t gs = (uint16_t)seg;

				cl = put_cmsg(ctl, cl, sizeof(dp->sctl[0]), SOL_UDP,
					      UDP_SEGMENT, &gs, sizeof(gs));
				mi->seg = gs;
			}
			i = j;
		} else if (s->family == AF_INET) {
			/* IP_HDRINCL: the engine's outer header goes as is */
			dp->siov[niov].iov_base = pkt->buf + pkt->off;
			dp->siov[niov].iov_len = pkt->len;
			niov++;
			m->msg_iovlen = 1;
			mi->packets = 1;
			mi->bytes = pkt->len;
			i++;
		} else {
			/* IPv6 raw: the kernel writes the header; keep the
			 * engine's traffic class (RFC 4301 5.1.2.1) */
			const uint8_t *ip = pkt->buf + pkt->off;
			int tclass = (ip[0] & 0x0f) << 4 | ip[1] >> 4;

			dp->siov[niov].iov_base = pkt->buf + pkt->off + pkt->esp_off;
			dp->siov[niov].iov_len = pkt->len - pkt->esp_off;
			niov++;
			m->msg_iovlen = 1;
			mi->packets = 1;
			mi->bytes = pkt->len - pkt->esp_off;
			cl = put_pktinfo(ctl, sizeof(dp->sctl[0]), s, &c->local.addr);
			cl = put_cmsg(ctl, cl, sizeof(dp->sctl[0]), IPPROTO_IPV6,
				      IPV6_TCLASS, &tclass, sizeof(tclass));
			i++;
		}
		m->msg_control = cl ? ctl : NULL;
		m->msg_controllen = cl;
		nmsg++;
	}
	if (nmsg > first)
		flush_msgs(dp, cur, first, nmsg);
}

/* ---- receiving ---------------------------------------------------------------- */

static void local_from_cmsg(struct msghdr *m, const struct dp_sock *s,
			    struct ipx_dp_endpoint *local, uint16_t *gro_seg)
{
	local->addr = s->bound;
	local->port = s->port;
	*gro_seg = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->addr.family = AF_INET;
			memcpy(local->addr.a, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			local->addr.family = AF_INET6;
			memcpy(local->addr.a, &pi.ipi6_addr, 16);
		} else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v > 0 && v <= 0xffff)
				*gro_seg = (uint16_t)v;
		}
	}
}

/* The outer IP header a received datagram lacks, written in front of it so
 * that the engine sees the whole packet (docs/esp-format.md, decrypt 1). */
static uint32_t put_outer(uint8_t *at_end, uint32_t len, uint8_t proto,
			  const struct ipx_addr *src, const struct ipx_addr *dst)
{
	if (src->family == AF_INET6) {
		uint8_t *h = at_end - 40;

		memset(h, 0, 40);
		h[0] = 0x60;
		ipx_st16(h + 4, (uint16_t)len);
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, src->a, 16);
		memcpy(h + 24, dst->a, 16);
		return 40;
	} else {
		uint8_t *h = at_end - 20;

		memset(h, 0, 20);
		h[0] = 0x45;
		ipx_st16(h + 2, (uint16_t)(len + 20));
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, src->a, 4);
		memcpy(h + 16, dst->a, 4);
		return 20;
	}
}

/* ESP of len bytes received into the pool buffer b at DP_HEADROOM: the UDP
 * and IP headers the socket took off are written in front of it and the
 * packet joins the decrypt burst, which now owns b. */
static void rx_esp_place(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
			 const struct ipx_dp_endpoint *remote, uint8_t *b,
			 uint32_t len)
{
	uint8_t *data = b + DP_HEADROOM;
	uint32_t hl;

	if (dp->nrx == DP_RX_MAX)
		dp_rx_flush(dp);
	ipx_st16(data - 8, remote->port);
	ipx_st16(data - 6, local->port);
	ipx_st16(data - 4, (uint16_t)(len + 8));
	ipx_st16(data - 2, 0);
	hl = put_outer(data - 8, len + 8, IPPROTO_UDP, &remote->addr, &local->addr);
	dp->rx[dp->nrx++] = (struct ipx_pkt){ .buf = b, .buf_len = dp->pool.buf_size,
					      .off = DP_HEADROOM - 8 - hl,
					      .len = len + 8 + hl };
}

/* The largest datagram a pool buffer takes at DP_HEADROOM. */
static uint32_t rx_cap(const struct ipx_dp *dp)
{
	return dp->pool.buf_size - DP_HEADROOM - DP_TAILROOM;
}

/* ESP at p, elsewhere than a pool buffer: copied into one. */
static void rx_esp_udp(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
		       const struct ipx_dp_endpoint *remote, const uint8_t *p,
		       uint32_t len)
{
	uint8_t *b;

	if (len > rx_cap(dp) || len + 8 > 0xffff - 40) {
		dp->st.drops[IPX_DP_DROP_TOO_BIG]++;
		return;
	}
	if (dp->nrx == DP_RX_MAX)
		dp_rx_flush(dp);
	b = dp_pool_get(&dp->pool);
	if (!b) {
		dp->st.drops[IPX_DP_DROP_NO_BUFFER]++;
		return;
	}
	memcpy(b + DP_HEADROOM, p, len);
	rx_esp_place(dp, local, remote, b, len);
}

/* One datagram (or GRO segment) of l bytes at p from a UDP socket.  b is
 * the pool buffer p lies in at DP_HEADROOM, or NULL when p is elsewhere.
 * Returns true when the data plane kept b. */
static bool rx_udp_one(struct ipx_dp *dp, const struct dp_sock *s,
		       const struct ipx_dp_endpoint *local,
		       const struct ipx_dp_endpoint *remote, uint8_t *b,
		       const uint8_t *p, uint32_t l)
{
	if (s->kind == DP_SOCK_IKE) {
		dp_ike_up(dp, p, l, local, remote, false);
		return false;
	}
	switch (dp_natt_classify(p, l)) {
	case DP_NATT_IKE:
		dp_ike_up(dp, p + NON_ESP_MARKER_LEN, l - NON_ESP_MARKER_LEN, local,
			  remote, true);
		break;
	case DP_NATT_KEEPALIVE:
		dp->st.keepalive_rx++;
		break;
	case DP_NATT_BAD:
		dp->st.drops[IPX_DP_DROP_NOT_ESP]++;
		break;
	case DP_NATT_ESP:
		if (b) {
			rx_esp_place(dp, local, remote, b, l);
			return true;
		}
		rx_esp_udp(dp, local, remote, p, l);
		break;
	}
	return false;
}

/* A datagram of len bytes at p, GRO segments of seg bytes (0: one), none
 * of it in a pool buffer. */
static void rx_udp_copy(struct ipx_dp *dp, const struct dp_sock *s,
			const struct ipx_dp_endpoint *local,
			const struct ipx_dp_endpoint *remote, const uint8_t *p,
			uint32_t len, uint32_t seg)
{
	if (!seg || seg > len)
		seg = len;
	if (len == 0) {
		rx_udp_one(dp, s, local, remote, NULL, p, 0);
		return;
	}
	for (uint32_t off = 0; off < len; off += seg)
		rx_udp_one(dp, s, local, remote, NULL, p + off,
			   len - off < seg ? len - off : seg);
}

/* The UDP_GRO segment size in m's control data (0: none) and the local
 * and remote endpoints. */
static uint32_t rx_msg_addrs(struct ipx_dp *dp, const struct dp_sock *s,
			     unsigned i, struct ipx_dp_endpoint *local,
			     struct ipx_dp_endpoint *remote)
{
	struct msghdr *m = &dp->rmsg[i].msg_hdr;
	uint16_t gro;

	local_from_cmsg(m, s, local, &gro);
	dp_sa_to_addr(&dp->rname[i], &remote->addr, &remote->port);
	if (gro && gro < dp->rmsg[i].msg_len)
		dp->st.net_rx_gro++;
	return gro;
}

static void rx_msg_init(struct ipx_dp *dp, unsigned i, struct iovec *iov,
			size_t niov)
{
	struct msghdr *m = &dp->rmsg[i].msg_hdr;

	memset(m, 0, sizeof(*m));
	m->msg_name = &dp->rname[i];
	m->msg_namelen = sizeof(dp->rname[i]);
	m->msg_iov = iov;
	m->msg_iovlen = niov;
	m->msg_control = dp->rctl[i];
	m->msg_controllen = sizeof(dp->rctl[i]);
}

/*
 * One recvmmsg on a NAT-T socket straight into pool buffers.  Each message
 * gets k iovecs of seg bytes, one per pool buffer at DP_HEADROOM, where seg
 * is the GRO segment size this socket saw last (at first the buffer's
 * capacity) and k * seg covers 64 KiB: GRO segment j of a datagram lands in
 * buffer j, where the engine wants it, with room in front for the outer
 * header, and is decrypted there.  A datagram whose segments have another
 * size (or one bigger than seg without GRO) is gathered into rxbig and
 * copied as before (counted in net_rx_copied), and its segment size is
 * learnt for the next call.  *vlen: the most messages to take, then how
 * many were asked for.  Returns what recvmmsg returned, or -2 when no
 * buffers could be lent.
 */
static int rx_natt_round(struct ipx_dp *dp, struct dp_sock *s, unsigned *vlen)
{
	uint32_t seg = s->rx_seg ? s->rx_seg : rx_cap(dp);
	uint32_t k = (DP_RX_BIG + seg - 1) / seg, nbuf;
	unsigned v = *vlen;
	int n;

	if (v > DP_RX_MAX / k)
		v = DP_RX_MAX / k;
	if (v > dp->pool.nfree / k)
		v = dp->pool.nfree / k;
	if (!v)
		return -2;
	*vlen = v;
	nbuf = v * k;
	for (uint32_t j = 0; j < nbuf; j++) {
		dp->scbuf[j] = dp_pool_get(&dp->pool);
		dp->sciov[j] = (struct iovec){ dp->scbuf[j] + DP_HEADROOM, seg };
	}
	for (unsigned i = 0; i < v; i++)
		rx_msg_init(dp, i, &dp->sciov[i * k], k);
	n = recvmmsg(s->fd, dp->rmsg, v, MSG_DONTWAIT, NULL);
	if (n > 0)
		dp->st.net_rx_calls++;
	for (int i = 0; i < n; i++) {
		uint8_t **bufs = &dp->scbuf[(uint32_t)i * k];
		uint32_t len = dp->rmsg[i].msg_len, gro;
		struct ipx_dp_endpoint local, remote;

		if (dp->rmsg[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			dp->st.drops[IPX_DP_DROP_TRUNCATED]++;
			continue;
		}
		gro = rx_msg_addrs(dp, s, (unsigned)i, &local, &remote);
		if (gro >= len)
			gro = 0;          /* one segment */
		if (len == 0) {
			rx_udp_one(dp, s, &local, &remote, NULL, bufs[0] + DP_HEADROOM, 0);
			continue;
		}
		if (gro ? gro == seg : len <= seg) {
			uint32_t step = gro ? gro : len;

			for (uint32_t off = 0, j = 0; off < len; off += step, j++) {
				uint32_t l = len - off < step ? len - off : step;

				if (rx_udp_one(dp, s, &local, &remote, bufs[j],
					       bufs[j] + DP_HEADROOM, l))
					bufs[j] = NULL;
			}
			continue;
		}
		/* another segment size: gather, copy, learn */
		dp->st.net_rx_copied++;
		for (uint32_t off = 0, j = 0; off < len; off += seg, j++)
			memcpy(dp->rxbig + off, bufs[j] + DP_HEADROOM,
			       len - off < seg ? len - off : seg);
		rx_udp_copy(dp, s, &local, &remote, dp->rxbig, len, gro);
		if (gro >= DP_RX_SEG_MIN && gro <= rx_cap(dp))
			s->rx_seg = gro;
	}
	for (uint32_t j = 0; j < nbuf; j++)
		if (dp->scbuf[j])
			dp_pool_put(&dp->pool, dp->scbuf[j]);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		ipx_dbg("dataplane: %s socket: recvmmsg: %s", kind_name(s->kind),
			strerror(errno));
	return n;
}

/* One recvmmsg into rxbig, 64 KiB per message (the IKE socket, and a NAT-T
 * socket when the pool is short). */
static int rx_big_round(struct ipx_dp *dp, struct dp_sock *s, unsigned vlen)
{
	int n;

	for (unsigned i = 0; i < vlen; i++) {
		dp->riov[i].iov_base = dp->rxbig + (size_t)i * DP_RX_BIG;
		dp->riov[i].iov_len = DP_RX_BIG;
		rx_msg_init(dp, i, &dp->riov[i], 1);
	}
	n = recvmmsg(s->fd, dp->rmsg, vlen, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			ipx_dbg("dataplane: %s socket: recvmmsg: %s",
				kind_name(s->kind), strerror(errno));
		return n;
	}
	dp->st.net_rx_calls++;
	for (int i = 0; i < n; i++) {
		struct ipx_dp_endpoint local, remote;
		uint32_t gro;

		if (dp->rmsg[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			dp->st.drops[IPX_DP_DROP_TRUNCATED]++;
			continue;
		}
		gro = rx_msg_addrs(dp, s, (unsigned)i, &local, &remote);
		rx_udp_copy(dp, s, &local, &remote, dp->riov[i].iov_base,
			    dp->rmsg[i].msg_len, gro);
	}
	return n;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Up to 8 rounds of a batch each, but no more than UDP_CB_BUDGET_US of work:
 * IKE datagrams are handed to the IKE manager inline, and 8 x 32 IKE_AUTHs
 * are 50 ms of crypto during which nothing else on the event loop (the
 * control socket, timers, the other sockets) would run.  What is left is
 * read on the next pass of the loop.
 */
#define UDP_CB_BUDGET_US 2000

static void udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp_sock *s = arg;
	struct ipx_dp *dp = s->dp;
	unsigned vlen = dp->batch < DP_RX_VLEN ? dp->batch : DP_RX_VLEN;
	int64_t t0 = mono_us();

	(void)fd;
	(void)what;
	for (int round = 0; round < 8 && mono_us() - t0 < UDP_CB_BUDGET_US; round++) {
		unsigned asked = vlen;
		int n = -2;

		if (s->kind == DP_SOCK_NATT)
			n = rx_natt_round(dp, s, &asked);
		if (n == -2) {
			asked = vlen;
			n = rx_big_round(dp, s, vlen);
		}
		dp_rx_flush(dp);
		if (n < (int)asked)
			break;
	}
	dp_deliver(dp);
}

static void raw_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dp_sock *s = arg;
	struct ipx_dp *dp = s->dp;
	unsigned vlen = dp->batch < DP_RX_VLEN ? dp->batch : DP_RX_VLEN;
	/* IPv6 raw sockets give the payload only: room for our header */
	uint32_t room = DP_HEADROOM + (s->family == AF_INET6 ? 40 : 0);

	(void)what;
	for (int round = 0; round < 8; round++) {
		unsigned got = 0;
		int n;

		if (dp->nrx + vlen > DP_RX_MAX)
			dp_rx_flush(dp);
		for (; got < vlen; got++) {
			struct msghdr *m = &dp->rmsg[got].msg_hdr;
			uint8_t *b = dp_pool_get(&dp->pool);

			if (!b)
				break;
			dp->rawbuf[got] = b;
			dp->riov[got].iov_base = b + room;
			dp->riov[got].iov_len = dp->pool.buf_size - room - DP_TAILROOM;
			memset(m, 0, sizeof(*m));
			m->msg_name = &dp->rname[got];
			m->msg_namelen = sizeof(dp->rname[got]);
			m->msg_iov = &dp->riov[got];
			m->msg_iovlen = 1;
			m->msg_control = dp->rctl[got];
			m->msg_controllen = sizeof(dp->rctl[got]);
		}
		n = got ? recvmmsg(fd, dp->rmsg, got, MSG_DONTWAIT, NULL) : -1;
		if (n > 0)
			dp->st.net_rx_calls++;
		for (int i = 0; i < n; i++) {
			struct msghdr *m = &dp->rmsg[i].msg_hdr;
			uint8_t *b = dp->rawbuf[i];
			uint32_t len = dp->rmsg[i].msg_len;
			struct ipx_pkt *pkt;

			dp->rawbuf[i] = NULL;
			if (m->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
				dp->st.drops[IPX_DP_DROP_TRUNCATED]++;
				dp_pool_put(&dp->pool, b);
				continue;
			}
			pkt = &dp->rx[dp->nrx++];
			*pkt = (struct ipx_pkt){ .buf = b, .buf_len = dp->pool.buf_size,
						 .off = room, .len = len };
			if (s->family == AF_INET6) {
				struct ipx_dp_endpoint local, remote;
				uint16_t gro;

				local_from_cmsg(m, s, &local, &gro);
				dp_sa_to_addr(&dp->rname[i], &remote.addr, &remote.port);
				if (local.addr.family != AF_INET6 ||
				    remote.addr.family != AF_INET6 || len > 0xffff) {
					dp->nrx--;
					dp->st.drops[IPX_DP_DROP_NOT_ESP]++;
					dp_pool_put(&dp->pool, b);
					continue;
				}
				pkt->off -= put_outer(b + room, len, IPPROTO_ESP,
						      &remote.addr, &local.addr);
				pkt->len += 40;
			}
		}
		for (unsigned i = (unsigned)(n > 0 ? n : 0); i < got; i++) {
			dp_pool_put(&dp->pool, dp->rawbuf[i]);
			dp->rawbuf[i] = NULL;
		}
		if (!got)
			dp->st.drops[IPX_DP_DROP_NO_BUFFER]++;
		dp_rx_flush(dp);
		if (n < (int)vlen)
			break;
	}
	dp_deliver(dp);
}
