/*
 * The data plane core: open/close, the two packet paths between the TUN
 * and the network through the ESP engine, and what goes up to the daemon.
 * Child SAs, their SPD rules and routes are dp_child.c's; counters and
 * their JSON dp_stats.c's; the SA maps dp_map.c's.
 *
 *   outbound: TUN read -> segment (TSO) -> SPD -> ipx_encrypt_burst -> send
 *   inbound:  recvmmsg -> RFC 3948 demux -> ipx_decrypt_burst
 *             -> selector check (RFC 4301 5.2) -> coalesce -> TUN write
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "dp_internal.h"

#define DEFAULT_MTU 1400
#define DEFAULT_BATCH 64
#define DEFAULT_SOCKBUF (4u << 20)
#define TUN_TXQLEN 1000


/* ---- handing things up ------------------------------------------------------ */

static void drain_events(struct ipx_dp *dp)
{
	struct ipx_event ev[32];
	unsigned n;

	while ((n = ipx_events(dp->eng, ev, 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			struct dp_child *c = ev[i].sa == IPX_SA_NONE
						     ? NULL
						     : dp_child_by_sa(dp, ev[i].sa);

			if (dp->nev == DP_EVQ) {
				dp->ev_lost++;
				continue;
			}
			dp->evq[dp->nev] = ev[i];
			dp->evq_child[dp->nev] = c ? c->id : IPX_DP_CHILD_NONE;
			dp->evq_user[dp->nev] = c ? c->user : 0;
			dp->nev++;
		}
		if (n < 32)
			break;
	}
}

void dp_deliver(struct ipx_dp *dp)
{
	struct ipx_event ev[DP_EVQ];
	uint32_t ch[DP_EVQ];
	uint64_t us[DP_EVQ];
	struct ipx_dp_flow acq[DP_ACQ];
	unsigned nev = dp->nev, nacq = dp->nacq;

	if (!nev && !nacq)
		return;
	/* copy first: the callbacks may call back into the data plane */
	memcpy(ev, dp->evq, nev * sizeof(ev[0]));
	memcpy(ch, dp->evq_child, nev * sizeof(ch[0]));
	memcpy(us, dp->evq_user, nev * sizeof(us[0]));
	memcpy(acq, dp->acq, nacq * sizeof(acq[0]));
	dp->nev = dp->nacq = 0;
	for (unsigned i = 0; i < nev; i++) {
		ipx_info("dataplane: SA %u SPI %08x (%s): %s", ev[i].sa, ev[i].spi,
			 ev[i].dir == IPX_DIR_OUT ? "out" : "in",
			 ipx_event_name(ev[i].type));
		if (dp->cb.event)
			dp->cb.event(dp->cb.arg, &ev[i], ch[i], us[i]);
	}
	for (unsigned i = 0; i < nacq; i++) {
		dp->st.acquires++;
		if (dp->cb.acquire)
			dp->cb.acquire(dp->cb.arg, &acq[i]);
	}
}

void dp_ike_up(struct ipx_dp *dp, const uint8_t *msg, uint32_t len,
	       const struct ipx_dp_endpoint *local,
	       const struct ipx_dp_endpoint *remote, bool natt)
{
	dp->st.ike_rx++;
	if (dp->cb.ike)
		dp->cb.ike(dp->cb.arg, msg, len, local, remote, natt);
}

static uint32_t flow_hash(const struct ipx_dp_flow *f)
{
	uint32_t h = 2166136261u;
	const unsigned l = f->src.family == AF_INET6 ? 16 : 4;

	for (unsigned i = 0; i < l; i++)
		h = (h ^ f->src.a[i] ^ (uint32_t)f->dst.a[i] << 8) * 16777619u;
	return (h ^ f->proto ^ (uint32_t)f->sport << 8 ^ (uint32_t)f->dport << 16) *
	       16777619u;
}

/* The event loop's cached time in ms (rate limits: a full second in ms,
 * since whole seconds let two events a millisecond apart across a second
 * boundary both through). */
static int64_t loop_ms(struct ipx_dp *dp)
{
	struct timeval tv;

	event_base_gettimeofday_cached(dp->base, &tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* start_action=trap: tell the daemon, at most once a second per 5-tuple */
static void no_policy(struct ipx_dp *dp, const struct ipx_dp_flow *f,
		      uint32_t packets)
{
	uint32_t h = flow_hash(f);
	unsigned k = h % 64;
	int64_t now = loop_ms(dp);

	dp->st.drops[IPX_DP_DROP_NO_POLICY] += packets;
	if (dp->acq_seen[k].hash == h && now - dp->acq_seen[k].ms < 1000 &&
	    now >= dp->acq_seen[k].ms)
		return;
	dp->acq_seen[k].hash = h;
	dp->acq_seen[k].ms = now;
	if (dp->nacq < DP_ACQ)
		dp->acq[dp->nacq++] = *f;
}

/* ---- outbound ---------------------------------------------------------------- */

static void tx_add(struct ipx_dp *dp, uint8_t *b, uint32_t len, struct dp_child *c)
{
	unsigned i = dp->ntx++;

	dp->tx[i] = (struct ipx_pkt){ .buf = b, .buf_len = dp->pool.buf_size,
				      .off = DP_HEADROOM, .len = len,
				      .sa = c->sa_out };
	dp->txc[i] = c;
	dp->st.tun_rx_packets++;
	dp->st.tun_rx_bytes += len;
}

static struct dp_child *policy(struct ipx_dp *dp, const uint8_t *p, uint32_t len,
			       uint32_t packets)
{
	struct ipx_dp_flow f;
	uint32_t id;

	if (spd_flow_parse(p, len, &f) < 0) {
		dp->st.drops[IPX_DP_DROP_BAD_INNER] += packets;
		return NULL;
	}
	id = spd_lookup(&dp->spd, &f);
	if (id == IPX_DP_CHILD_NONE) {
		no_policy(dp, &f, packets);
		return NULL;
	}
	return dp->child[id];
}

/* A plain packet already in a pool buffer at DP_HEADROOM (no offloads). */
void dp_tun_packet_buf(struct ipx_dp *dp, uint8_t *b, uint32_t len)
{
	struct dp_child *c = policy(dp, b + DP_HEADROOM, len, 1);

	if (!c) {
		dp_pool_put(&dp->pool, b);
		return;
	}
	tx_add(dp, b, len, c);
}

/* One TUN read with its virtio_net_hdr: a packet or a super-packet. */
void dp_tun_packet(struct ipx_dp *dp, uint8_t *p, uint32_t len)
{
	uint32_t cap = dp->pool.buf_size - DP_HEADROOM - DP_TAILROOM;
	struct virtio_net_hdr vh;
	struct gso_pkt g;
	struct dp_child *c;
	int r;

	if (len < GSO_VNET_LEN) {
		dp->st.drops[IPX_DP_DROP_BAD_INNER]++;
		return;
	}
	memcpy(&vh, p, sizeof(vh));
	p += GSO_VNET_LEN;
	len -= GSO_VNET_LEN;
	r = gso_prepare(&vh, p, len, &g);
	if (r < 0) {
		dp->st.drops[IPX_DP_DROP_BAD_GSO]++;
		return;
	}
	/* every segment has the super-packet's 5-tuple: one lookup */
	c = policy(dp, p, len, r == 1 ? 1 : g.nseg);
	if (!c)
		return;
	if (r == 1) {
		uint8_t *b;

		if (len > cap) {
			dp->st.drops[IPX_DP_DROP_TOO_BIG]++;
			return;
		}
		if (dp->ntx == DP_TX_MAX)
			dp_tx_flush(dp);
		b = dp_pool_get(&dp->pool);
		if (!b) {
			dp->st.drops[IPX_DP_DROP_NO_BUFFER]++;
			return;
		}
		memcpy(b + DP_HEADROOM, p, len);
		tx_add(dp, b, len, c);
		return;
	}
	dp->st.tun_rx_super++;
	if (dp->ntx + g.nseg > DP_TX_MAX)
		dp_tx_flush(dp);
	for (uint32_t i = 0; i < g.nseg; i++) {
		uint8_t *b = dp_pool_get(&dp->pool);
		uint32_t l;

		if (!b) {
			dp->st.drops[IPX_DP_DROP_NO_BUFFER] += g.nseg - i;
			return;
		}
		l = gso_segment(&g, i, b + DP_HEADROOM, cap);
		if (!l) {
			dp_pool_put(&dp->pool, b);
			dp->st.drops[IPX_DP_DROP_TOO_BIG] += g.nseg - i;
			return;
		}
		tx_add(dp, b, l, c);
	}
}

void dp_tx_flush(struct ipx_dp *dp)
{
	uint32_t *inner = dp->txlen;
	unsigned n = dp->ntx;

	if (!n)
		return;
	for (unsigned i = 0; i < n; i++)
		inner[i] = dp->tx[i].len;
	if (ipx_encrypt_burst(dp->eng, dp->tx, n) < 0) {
		for (unsigned i = 0; i < n; i++)
			dp->tx[i].status = IPX_ST_ENGINE_FAULT;
	}
	for (unsigned i = 0; i < n; i++) {
		struct dp_child *c = dp->txc[i];
		uint16_t st = dp->tx[i].status;

		if (st != IPX_ST_OK) {
			if (st >= IPX_ST__COUNT)
				st = IPX_ST_ENGINE_FAULT;
			dp->st.enc_drops[st]++;
			c->st.enc_drops[st]++;
			continue;
		}
		c->st.out_packets++;
		c->st.out_bytes += inner[i];
	}
	net_send_tx(dp);
	for (unsigned i = 0; i < n; i++)
		dp_pool_put(&dp->pool, dp->tx[i].buf);
	dp->ntx = 0;
	drain_events(dp);
}

/* ---- inbound ------------------------------------------------------------------ */

/* The outer addresses, SPI and sequence number of a received ESP packet
 * (as the data plane hands it to the engine), every length checked: the
 * packet failed before anything vouched for it.  -1: not readable. */
static int outer_esp(const struct ipx_pkt *p, struct ipx_addr *src,
		     struct ipx_addr *dst, uint32_t *spi, uint32_t *seq)
{
	const uint8_t *b = p->buf + p->off;
	uint32_t len = p->len, hl, nh;

	if (p->off > p->buf_len || len > p->buf_len - p->off || len < 20)
		return -1;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (b[0] >> 4 == 4) {
		hl = (b[0] & 15) * 4u;
		nh = b[9];
		src->family = dst->family = AF_INET;
		memcpy(src->a, b + 12, 4);
		memcpy(dst->a, b + 16, 4);
	} else if (b[0] >> 4 == 6 && len >= 40) {
		hl = 40;
		nh = b[6];
		src->family = dst->family = AF_INET6;
		memcpy(src->a, b + 8, 16);
		memcpy(dst->a, b + 24, 16);
	} else {
		return -1;
	}
	if (nh == IPPROTO_UDP)
		hl += 8;
	else if (nh != IPPROTO_ESP)
		return -1;          /* IPv6 extension headers: not worth it */
	if (hl < 20 || len < hl + 8)
		return -1;
	*spi = ipx_ld32(b + hl);
	*seq = ipx_ld32(b + hl + 4);
	return 0;
}

/*
 * RFC 4303 3.4.2: a packet for no SA is dropped and audited, with its SPI,
 * addresses and sequence number.  One line a second at most (a flood of
 * them must not flood the log); the lines in between are counted in the
 * next one.
 */
static void audit_unknown_spi(struct ipx_dp *dp, const struct ipx_pkt *p)
{
	struct ipx_addr src, dst;
	char sb[INET6_ADDRSTRLEN], db[INET6_ADDRSTRLEN], more[64] = "";
	uint32_t spi, seq;
	int64_t now = loop_ms(dp);

	if (now >= dp->spi_audit_ms && now - dp->spi_audit_ms < 1000) {
		dp->spi_audit_quiet++;
		return;
	}
	if (outer_esp(p, &src, &dst, &spi, &seq) < 0)
		return;
	if (dp->spi_audit_quiet)
		snprintf(more, sizeof(more), " (%llu more since the last line)",
			 (unsigned long long)dp->spi_audit_quiet);
	ipx_info("dataplane: ESP %s -> %s, SPI %08x seq %u: no such SA, dropped%s",
		 dp_addr_str(&src, sb, sizeof(sb)), dp_addr_str(&dst, db, sizeof(db)),
		 spi, seq, more);
	dp->spi_audit_ms = now;
	dp->spi_audit_quiet = 0;
}

/* ---- ESP that comes before its SA ------------------------------------------- */

int ipx_dp_expect_spi(struct ipx_dp *dp, uint32_t spi, bool on)
{
	if (!on) {
		if (dp_map_get(&dp->expect, spi) != IPX_DP_CHILD_NONE) {
			dp_map_del(&dp->expect, spi);
			dp->hold_replay = dp->nhold > 0;
		}
		return 0;
	}
	return dp_map_put(&dp->expect, spi, 1);
}

static void hold_drop(struct ipx_dp *dp, struct ipx_pkt *p)
{
	dp->st.dec_drops[IPX_ST_UNKNOWN_SPI]++;
	audit_unknown_spi(dp, p);
	dp_pool_put(&dp->pool, p->buf);
}

/* Drop what has been held longer than IPX_DP_HOLD_MS. */
static void hold_expire(struct ipx_dp *dp, int64_t now)
{
	unsigned k = 0;

	for (unsigned i = 0; i < dp->nhold; i++) {
		if (now - dp->hold_ms[i] > IPX_DP_HOLD_MS) {
			hold_drop(dp, &dp->hold[i]);
			continue;
		}
		dp->hold[k] = dp->hold[i];
		dp->hold_ms[k++] = dp->hold_ms[i];
	}
	dp->nhold = k;
}

/* Keep rx[i] (unknown SPI) when its SPI is expected, first held at
 * first (now for a fresh packet) and not too long ago.  True: it is
 * held, its buffer is the hold's. */
static bool hold_pkt(struct ipx_dp *dp, struct ipx_pkt *p, int64_t first, int64_t now)
{
	struct ipx_addr src, dst;
	uint32_t spi, seq;

	if (!dp->expect.n || outer_esp(p, &src, &dst, &spi, &seq) < 0 ||
	    dp_map_get(&dp->expect, spi) == IPX_DP_CHILD_NONE || now - first > IPX_DP_HOLD_MS)
		return false;
	if (dp->nhold == IPX_DP_HOLD) {
		hold_expire(dp, now);   /* make room */
		if (dp->nhold == IPX_DP_HOLD)
			return false;
	}
	dp->hold[dp->nhold] = *p;
	dp->hold_ms[dp->nhold++] = first;
	return true;
}

/* Held packets go in front of the burst (they came first): as many as
 * there is room for; the rest at the next burst.  Returns how many. */
static unsigned hold_replay(struct ipx_dp *dp)
{
	unsigned k;

	if (!dp->hold_replay || !dp->nhold)
		return 0;
	hold_expire(dp, loop_ms(dp));   /* too old: dropped, SA or not */
	k = dp->nhold;
	if (k > DP_RX_MAX - dp->nrx)
		k = DP_RX_MAX - dp->nrx;
	if (!k) {
		dp->hold_replay = dp->nhold > 0;
		return 0;
	}
	memmove(&dp->rx[k], &dp->rx[0], dp->nrx * sizeof(dp->rx[0]));
	memcpy(&dp->rx[0], dp->hold, k * sizeof(dp->rx[0]));
	memcpy(dp->rx_held_ms, dp->hold_ms, k * sizeof(dp->hold_ms[0]));
	dp->nhold -= k;
	memmove(&dp->hold[0], &dp->hold[k], dp->nhold * sizeof(dp->hold[0]));
	memmove(&dp->hold_ms[0], &dp->hold_ms[k], dp->nhold * sizeof(dp->hold_ms[0]));
	dp->hold_replay = dp->nhold > 0;
	dp->nrx += k;
	return k;
}

void dp_rx_flush(struct ipx_dp *dp)
{
	unsigned *ok = dp->rxok;
	unsigned n, nok = 0, nheld;
	int64_t now = 0;

	nheld = hold_replay(dp);
	n = dp->nrx;
	if (!n)
		return;
	for (unsigned i = nheld; i < n; i++)
		dp->st.esp_rx_bytes += dp->rx[i].len;
	dp->st.esp_rx_packets += n - nheld;
	if (ipx_decrypt_burst(dp->eng, dp->rx, n) < 0) {
		for (unsigned i = 0; i < n; i++) {
			dp->rx[i].status = IPX_ST_ENGINE_FAULT;
			dp->rx[i].sa = IPX_SA_NONE;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *p = &dp->rx[i];
		struct dp_child *c = p->sa == IPX_SA_NONE ? NULL
							  : dp_child_by_sa(dp, p->sa);
		struct ipx_dp_flow f;
		uint16_t st = p->status;

		if (st == IPX_ST_UNKNOWN_SPI && dp->expect.n) {
			if (!now)
				now = loop_ms(dp);
			if (hold_pkt(dp, p, i < nheld ? dp->rx_held_ms[i] : now, now)) {
				if (i >= nheld)
					dp->st.esp_rx_held++;
				p->buf = NULL;
				continue;
			}
		}
		if (st != IPX_ST_OK) {
			if (st >= IPX_ST__COUNT)
				st = IPX_ST_ENGINE_FAULT;
			dp->st.dec_drops[st]++;
			if (c)
				c->st.dec_drops[st]++;
			if (st == IPX_ST_UNKNOWN_SPI)
				audit_unknown_spi(dp, p);
			continue;
		}
		if (!c) {
			dp->st.drops[IPX_DP_DROP_NO_CHILD]++;
			continue;
		}
		/* RFC 4301 5.2: the inner header must match the SA's
		 * selectors, or the packet is dropped */
		if (spd_flow_parse(p->buf + p->off, p->len, &f) < 0 ||
		    !spd_check_inbound(c->lts, c->nl, c->rts, c->nr, &f)) {
			dp->st.drops[IPX_DP_DROP_SELECTOR]++;
			c->st.selector_drops++;
			continue;
		}
		c->st.in_packets++;
		c->st.in_bytes += p->len;
		ok[nok++] = i;
	}
	tun_write_rx(dp, ok, nok);
	for (unsigned i = 0; i < n; i++)
		if (dp->rx[i].buf)
			dp_pool_put(&dp->pool, dp->rx[i].buf);
	dp->nrx = 0;
	drain_events(dp);
}

/* ---- open and close ---------------------------------------------------------------- */

static int pool_init(struct dp_pool *p, uint32_t buf_size, uint32_t count)
{
	p->buf_size = buf_size;
	p->count = count;
	p->mem = aligned_alloc(64, (size_t)buf_size * count);
	p->free = malloc(count * sizeof(*p->free));
	if (!p->mem || !p->free)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		p->free[i] = p->mem + (size_t)(count - 1 - i) * buf_size;
	p->nfree = count;
	return 0;
}

int ipx_dp_open(struct event_base *base, struct ipx_engine *eng,
		const struct ipx_dp_config *cfg, struct ipx_dp **out)
{
	struct ipx_dp *dp;
	uint32_t bufsz;
	int ret;

	*out = NULL;
	if (!base || !eng || !cfg)
		return -EINVAL;
	if (cfg->mtu && (cfg->mtu < 576 || cfg->mtu > IPX_MAX_PKT_LEN)) {
		ipx_err("dataplane: MTU %u outside 576..%u", cfg->mtu, IPX_MAX_PKT_LEN);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->n_local; i++)
		if (cfg->local[i].family != AF_INET && cfg->local[i].family != AF_INET6)
			return -EINVAL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->base = base;
	dp->eng = eng;
	dp->tun_fd = -1;
	dp->mtu = cfg->mtu ? cfg->mtu : DEFAULT_MTU;
	dp->ike_port = cfg->ike_port ? cfg->ike_port : 500;
	dp->natt_port = cfg->natt_port ? cfg->natt_port : 4500;
	dp->batch = cfg->batch ? cfg->batch : DEFAULT_BATCH;
	dp->route_table = cfg->route_table ? cfg->route_table : 254;
	dp->sock_buf = cfg->sock_buf ? cfg->sock_buf : DEFAULT_SOCKBUF;
	dp->udp_gso_ok = !cfg->no_udp_gso;
	/* a buffer holds an MTU-sized inner packet grown by ESP, or a
	 * received datagram of up to the same size plus the peer's overhead */
	bufsz = DP_HEADROOM + dp->mtu + IPX_MAX_OVERHEAD + DP_TAILROOM;
	bufsz = (bufsz < 2048 ? 2048 : bufsz + 63) & ~63u;
	ret = pool_init(&dp->pool, bufsz, DP_POOL_BUFS);
	if (ret == 0) {
		dp->rxbig = malloc((size_t)DP_RX_VLEN * DP_RX_BIG);
		ret = dp->rxbig ? 0 : -ENOMEM;
	}
	if (ret == 0)
		ret = spd_init(&dp->spd);
	if (ret == 0)
		ret = rtnl_open(&dp->rtnl);
	if (ret == 0)
		ret = tun_open(dp, cfg->tun_name, !cfg->no_tun_offload);
	if (ret == 0) {
		/* before the link is up, so that it never gets an fe80:: address
		 * whose router solicitations would count as "no policy" */
		if (rtnl_link_no_ll6(dp->rtnl, dp->ifindex) < 0)
			ipx_dbg("dataplane: tun %s: IPv6 address generation stays on",
				dp->ifname);
		ret = rtnl_link_set(dp->rtnl, dp->ifindex, dp->mtu, TUN_TXQLEN, true);
		if (ret < 0)
			ipx_err("dataplane: tun %s: MTU %u, up: %s", dp->ifname,
				dp->mtu, strerror(-ret));
	}
	if (ret == 0)
		ret = net_open(dp, cfg);
	if (ret < 0) {
		ipx_dp_close(dp);
		return ret;
	}
	dp->st.tun_offload = dp->vnet;
	ipx_info("dataplane: tun %s up, MTU %u, offloads %s, IKE port %u, NAT-T port %u, "
		 "%u sockets", dp->ifname, dp->mtu, dp->vnet ? "on" : "off",
		 dp->ike_port, dp->natt_port, dp->nsocks);
	*out = dp;
	return 0;
}

void ipx_dp_close(struct ipx_dp *dp)
{
	if (!dp)
		return;
	for (uint32_t i = 0; i < dp->nchild_slots; i++)
		if (dp->child[i])
			ipx_dp_child_delete(dp, i);
	dp_routes_clear(dp);
	net_close(dp);
	tun_close(dp);
	rtnl_close(dp->rtnl);
	spd_free(&dp->spd);
	free(dp->samap.key);
	free(dp->samap.val);
	free(dp->expect.key);
	free(dp->expect.val);
	free(dp->child);
	dp_rset_free(&dp->routes);
	dp_rset_free(&dp->addrs);
	free(dp->rxbig);
	free(dp->pool.mem);
	free(dp->pool.free);
	free(dp);
}

void ipx_dp_set_callbacks(struct ipx_dp *dp, const struct ipx_dp_callbacks *cb)
{
	if (cb)
		dp->cb = *cb;
	else
		memset(&dp->cb, 0, sizeof(dp->cb));
}

const char *ipx_dp_tun_name(const struct ipx_dp *dp)
{
	return dp->ifname;
}

int ipx_dp_tun_ifindex(const struct ipx_dp *dp)
{
	return dp->ifindex;
}

/* ---- IKE and keepalives ------------------------------------------------------------ */

int ipx_dp_ike_send(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
		    const struct ipx_dp_endpoint *remote, const void *msg,
		    size_t len)
{
	static const uint8_t marker[4] = { 0, 0, 0, 0 };
	uint16_t port = local && local->port ? local->port : dp->ike_port;
	bool natt = port == dp->natt_port;
	struct dp_sock *s;
	struct iovec iov[2];
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (!remote || !remote->addr.family || !msg || !len || len > 0xffff - 64)
		return -EINVAL;
	s = net_sock_for(dp, natt ? DP_SOCK_NATT : DP_SOCK_IKE, port,
			 local ? &local->addr : NULL, remote->addr.family);
	if (!s) {
		ipx_err("dataplane: IKE to %s: no socket on port %u",
			dp_addr_str(&remote->addr, ab, sizeof(ab)), port);
		return -EADDRNOTAVAIL;
	}
	/* RFC 3948 2.2: on the NAT-T port IKE carries the non-ESP marker */
	iov[0] = (struct iovec){ (void *)marker, 4 };
	iov[1] = (struct iovec){ (void *)msg, len };
	ret = net_send_one(dp, s, local, remote, natt ? iov : iov + 1, natt ? 2 : 1);
	if (ret < 0) {
		ipx_warn("dataplane: IKE to %s:%u: %s",
			 dp_addr_str(&remote->addr, ab, sizeof(ab)), remote->port,
			 strerror(-ret));
		return ret;
	}
	dp->st.ike_tx++;
	return 0;
}

int ipx_dp_keepalive_send(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
			  const struct ipx_dp_endpoint *remote)
{
	static const uint8_t ka = 0xff;   /* RFC 3948 2.3 */
	struct iovec iov = { (void *)&ka, 1 };
	struct dp_sock *s;
	int ret;

	if (!remote || !remote->addr.family)
		return -EINVAL;
	s = net_sock_for(dp, DP_SOCK_NATT, dp->natt_port, local ? &local->addr : NULL,
			 remote->addr.family);
	if (!s)
		return -EADDRNOTAVAIL;
	ret = net_send_one(dp, s, local, remote, &iov, 1);
	if (ret == 0)
		dp->st.keepalive_tx++;
	return ret;
}
