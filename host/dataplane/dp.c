/*
 * The data plane core: open/close, Child SAs (SPD rules, SA map, routes),
 * the two packet paths between the TUN and the network through the ESP
 * engine, counters, and what goes up to the daemon.
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

static const char *const drop_names[] = {
#define IPX_DP_X(n, s, d) s,
	IPX_DP_DROP_LIST(IPX_DP_X)
#undef IPX_DP_X
};

const char *ipx_dp_drop_name(enum ipx_dp_drop d)
{
	return d < IPX_DP_DROP__COUNT ? drop_names[d] : "?";
}

/* ---- SA handle -> child ---------------------------------------------------- */

static uint32_t map_slot(const struct dp_samap *m, uint32_t key)
{
	return (key * 0x9e3779b1u) & (m->cap - 1);
}

static uint32_t map_get(const struct dp_samap *m, uint32_t key)
{
	if (!m->cap)
		return IPX_DP_CHILD_NONE;
	for (uint32_t i = map_slot(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (m->key[i] == key)
			return m->val[i];
		if (m->key[i] == IPX_SA_NONE)
			return IPX_DP_CHILD_NONE;
	}
}

static int map_put(struct dp_samap *m, uint32_t key, uint32_t val);

static int map_grow(struct dp_samap *m)
{
	struct dp_samap n = { .cap = m->cap ? m->cap * 2 : 64 };

	n.key = malloc(n.cap * sizeof(*n.key));
	n.val = malloc(n.cap * sizeof(*n.val));
	if (!n.key || !n.val) {
		free(n.key);
		free(n.val);
		return -ENOMEM;
	}
	memset(n.key, 0xff, n.cap * sizeof(*n.key));   /* IPX_SA_NONE */
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->key[i] != IPX_SA_NONE)
			map_put(&n, m->key[i], m->val[i]);
	free(m->key);
	free(m->val);
	*m = n;
	return 0;
}

static int map_put(struct dp_samap *m, uint32_t key, uint32_t val)
{
	uint32_t i;

	if (key == IPX_SA_NONE)
		return -EINVAL;
	if ((m->n + 1) * 2 > m->cap && map_grow(m) < 0)
		return -ENOMEM;
	for (i = map_slot(m, key); m->key[i] != IPX_SA_NONE; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == key)
			return m->val[i] == val ? 0 : -EEXIST;
	m->key[i] = key;
	m->val[i] = val;
	m->n++;
	return 0;
}

static void map_del(struct dp_samap *m, uint32_t key)
{
	uint32_t i, j;

	if (!m->cap)
		return;
	for (i = map_slot(m, key); m->key[i] != key; i = (i + 1) & (m->cap - 1))
		if (m->key[i] == IPX_SA_NONE)
			return;
	/* backward-shift deletion keeps every probe chain unbroken */
	for (j = (i + 1) & (m->cap - 1); m->key[j] != IPX_SA_NONE;
	     j = (j + 1) & (m->cap - 1)) {
		uint32_t home = map_slot(m, m->key[j]);

		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->key[i] = IPX_SA_NONE;
	m->n--;
}

struct dp_child *dp_child_by_sa(struct ipx_dp *dp, uint32_t sa)
{
	uint32_t id = map_get(&dp->samap, sa);

	return id < dp->nchild_slots ? dp->child[id] : NULL;
}

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
	char sb[INET6_ADDRSTRLEN], db[INET6_ADDRSTRLEN], more[48] = "";
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
		if (map_get(&dp->expect, spi) != IPX_DP_CHILD_NONE) {
			map_del(&dp->expect, spi);
			dp->hold_replay = dp->nhold > 0;
		}
		return 0;
	}
	return map_put(&dp->expect, spi, 1);
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
	    map_get(&dp->expect, spi) == IPX_DP_CHILD_NONE || now - first > IPX_DP_HOLD_MS)
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

/* ---- routes and addresses -------------------------------------------------------- */

static bool addr_eq(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == AF_INET6 ? 16 : 4);
}

static struct dp_route *route_find(struct dp_route *v, uint32_t n,
				   const struct ipx_addr *a, uint8_t plen)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i].plen == plen && addr_eq(&v[i].pfx, a))
			return &v[i];
	return NULL;
}

static int route_ref(struct ipx_dp *dp, const struct ipx_addr *pfx, uint8_t plen,
		     const struct ipx_addr *src)
{
	struct dp_route *r = route_find(dp->routes, dp->nroutes, pfx, plen);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (r) {
		r->refs++;
		return 0;
	}
	r = realloc(dp->routes, (dp->nroutes + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	dp->routes = r;
	r = &dp->routes[dp->nroutes];
	*r = (struct dp_route){ .pfx = *pfx, .plen = plen, .refs = 1, .owned = true };
	ret = rtnl_route(dp->rtnl, true, dp->ifindex, pfx, plen, src, dp->route_table);
	if (ret == -EINVAL && src) /* the source is not (yet) ours: route without */
		ret = rtnl_route(dp->rtnl, true, dp->ifindex, pfx, plen, NULL,
				 dp->route_table);
	if (ret == -EEXIST) {
		/* someone else's route: used, never removed by us */
		r->owned = false;
		ret = 0;
	}
	if (ret < 0) {
		ipx_err("dataplane: tun %s: route %s/%u: %s", dp->ifname,
			dp_addr_str(pfx, ab, sizeof(ab)), plen, strerror(-ret));
		return ret;
	}
	ipx_dbg("dataplane: tun %s: route %s/%u%s", dp->ifname,
		dp_addr_str(pfx, ab, sizeof(ab)), plen, r->owned ? "" : " (existing)");
	dp->nroutes++;
	return 0;
}

static void route_unref(struct ipx_dp *dp, const struct ipx_addr *pfx, uint8_t plen)
{
	struct dp_route *r = route_find(dp->routes, dp->nroutes, pfx, plen);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (!r || --r->refs)
		return;
	if (r->owned) {
		ret = rtnl_route(dp->rtnl, false, dp->ifindex, pfx, plen, NULL,
				 dp->route_table);
		if (ret < 0 && ret != -ESRCH && ret != -ENODEV)
			ipx_warn("dataplane: tun %s: removing route %s/%u: %s",
				 dp->ifname, dp_addr_str(pfx, ab, sizeof(ab)), plen,
				 strerror(-ret));
	}
	*r = dp->routes[--dp->nroutes];
}

/* Routes to a child's remote selectors: each range as CIDR prefixes. */
static int child_routes(struct ipx_dp *dp, struct dp_child *c, bool add)
{
	struct ipx_addr pfx[256];
	uint8_t plen[256];

	for (unsigned i = 0; i < c->nr; i++) {
		const struct ipx_addr *src = NULL;
		int n;

		/* a single local address of the family is the source the
		 * kernel should pick for this route */
		for (unsigned j = 0; j < c->nl && !src; j++)
			if (c->lts[j].start.family == c->rts[i].start.family &&
			    addr_eq(&c->lts[j].start, &c->lts[j].end))
				src = &c->lts[j].start;
		n = spd_range_prefixes(&c->rts[i].start, &c->rts[i].end, pfx, plen, 256);
		for (int k = 0; k < n; k++) {
			if (!add) {
				route_unref(dp, &pfx[k], plen[k]);
				continue;
			}
			int ret = route_ref(dp, &pfx[k], plen[k], src);

			if (ret < 0) {
				/* undo what this child added so far */
				for (int u = 0; u < k; u++)
					route_unref(dp, &pfx[u], plen[u]);
				for (unsigned u = 0; u < i; u++) {
					struct ipx_addr p2[256];
					uint8_t l2[256];
					int m = spd_range_prefixes(&c->rts[u].start,
								   &c->rts[u].end, p2, l2, 256);

					for (int v = 0; v < m; v++)
						route_unref(dp, &p2[v], l2[v]);
				}
				return ret;
			}
		}
	}
	return 0;
}

/* Routes for a selector without a Child SA (start_action: trap): traffic
 * for it reaches the TUN, matches no policy and raises an acquire. */
int ipx_dp_route_ts(struct ipx_dp *dp, const struct ipx_ts *ts, bool add)
{
	struct ipx_addr pfx[256];
	uint8_t plen[256];
	int n = spd_range_prefixes(&ts->start, &ts->end, pfx, plen, 256);

	for (int k = 0; k < n; k++) {
		if (!add) {
			route_unref(dp, &pfx[k], plen[k]);
			continue;
		}
		int ret = route_ref(dp, &pfx[k], plen[k], NULL);

		if (ret < 0) {
			for (int u = 0; u < k; u++)
				route_unref(dp, &pfx[u], plen[u]);
			return ret;
		}
	}
	return 0;
}

int ipx_dp_addr_add(struct ipx_dp *dp, const struct ipx_addr *a, uint8_t plen)
{
	struct dp_route *r = route_find(dp->addrs, dp->naddrs, a, plen);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (r) {
		r->refs++;
		return 0;
	}
	r = realloc(dp->addrs, (dp->naddrs + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	dp->addrs = r;
	r = &dp->addrs[dp->naddrs];
	*r = (struct dp_route){ .pfx = *a, .plen = plen, .refs = 1, .owned = true };
	ret = rtnl_addr(dp->rtnl, true, dp->ifindex, a, plen);
	if (ret == -EEXIST) {
		r->owned = false;
		ret = 0;
	}
	if (ret < 0) {
		ipx_err("dataplane: tun %s: address %s/%u: %s", dp->ifname,
			dp_addr_str(a, ab, sizeof(ab)), plen, strerror(-ret));
		return ret;
	}
	dp->naddrs++;
	return 0;
}

int ipx_dp_addr_del(struct ipx_dp *dp, const struct ipx_addr *a, uint8_t plen)
{
	struct dp_route *r = route_find(dp->addrs, dp->naddrs, a, plen);
	int ret = 0;

	if (!r)
		return -ENOENT;
	if (--r->refs)
		return 0;
	if (r->owned)
		ret = rtnl_addr(dp->rtnl, false, dp->ifindex, a, plen);
	*r = dp->addrs[--dp->naddrs];
	return ret;
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
	/* whatever is left (shared or leaked references): ours goes */
	while (dp->nroutes) {
		dp->routes[0].refs = 1;
		route_unref(dp, &dp->routes[0].pfx, dp->routes[0].plen);
	}
	while (dp->naddrs) {
		dp->addrs[0].refs = 1;
		ipx_dp_addr_del(dp, &dp->addrs[0].pfx, dp->addrs[0].plen);
	}
	net_close(dp);
	tun_close(dp);
	rtnl_close(dp->rtnl);
	spd_free(&dp->spd);
	free(dp->samap.key);
	free(dp->samap.val);
	free(dp->expect.key);
	free(dp->expect.val);
	free(dp->child);
	free(dp->routes);
	free(dp->addrs);
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

/* ---- Child SAs ------------------------------------------------------------------------- */

static struct dp_child *child_get(const struct ipx_dp *dp, uint32_t id)
{
	return id < dp->nchild_slots ? dp->child[id] : NULL;
}

/* Socket and peer address for the child's current endpoints. */
static int child_bind(struct ipx_dp *dp, struct dp_child *c)
{
	uint8_t fam = c->peer.addr.family;
	char ab[INET6_ADDRSTRLEN];
	struct dp_sock *s;

	if (fam != AF_INET && fam != AF_INET6)
		return -EINVAL;
	if (c->local.addr.family && c->local.addr.family != fam)
		return -EINVAL;
	if (c->encap && !c->peer.port)
		c->peer.port = dp->natt_port;
	s = net_sock_for(dp, c->encap ? DP_SOCK_NATT : DP_SOCK_ESP, dp->natt_port,
			 &c->local.addr, fam);
	if (!s) {
		ipx_err("dataplane: child %u: no %s socket for local %s", c->id,
			c->encap ? "NAT-T" : "ESP",
			dp_addr_str(&c->local.addr, ab, sizeof(ab)));
		return -EADDRNOTAVAIL;
	}
	c->sock = s;
	c->local.port = c->encap ? dp->natt_port : 0;
	dp_addr_to_sa(&c->peer.addr, c->encap ? c->peer.port : 0, &c->peer_sa,
		      &c->peer_len);
	return 0;
}

static int check_params(const struct ipx_dp_child_params *p)
{
	if (p->mode != IPX_MODE_TUNNEL)
		return -EOPNOTSUPP;
	if (!p->n_local_ts || !p->n_remote_ts || !p->local_ts || !p->remote_ts ||
	    p->n_local_ts > 64 || p->n_remote_ts > 64)
		return -EINVAL;
	for (unsigned i = 0; i < p->n_local_ts; i++)
		if (spd_ts_valid(&p->local_ts[i]) < 0)
			return -EINVAL;
	for (unsigned i = 0; i < p->n_remote_ts; i++)
		if (spd_ts_valid(&p->remote_ts[i]) < 0)
			return -EINVAL;
	if (p->sa_out == IPX_SA_NONE || p->sa_in == IPX_SA_NONE)
		return -EINVAL;
	return 0;
}

static void child_free(struct dp_child *c)
{
	if (!c)
		return;
	free(c->lts);
	free(c->rts);
	free(c);
}

int ipx_dp_child_add(struct ipx_dp *dp, const struct ipx_dp_child_params *p,
		     uint32_t *out)
{
	struct dp_child *c;
	char ab[INET6_ADDRSTRLEN], l0[128], r0[128];
	uint32_t id;
	int ret;

	ret = check_params(p);
	if (ret < 0) {
		ipx_err("dataplane: child SPI %08x/%08x: %s", p->spi_out, p->spi_in,
			ret == -EOPNOTSUPP ? "transport mode is not supported"
					   : "invalid selectors or SAs");
		return ret;
	}
	for (id = 0; id < dp->nchild_slots && dp->child[id]; id++)
		;
	if (id == dp->nchild_slots) {
		uint32_t nn = dp->nchild_slots ? dp->nchild_slots * 2 : 16;
		struct dp_child **nv = realloc(dp->child, nn * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		memset(nv + dp->nchild_slots, 0, (nn - dp->nchild_slots) * sizeof(*nv));
		dp->child = nv;
		dp->nchild_slots = nn;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->id = id;
	c->user = p->user;
	c->nl = p->n_local_ts;
	c->nr = p->n_remote_ts;
	c->lts = malloc(c->nl * sizeof(*c->lts));
	c->rts = malloc(c->nr * sizeof(*c->rts));
	if (!c->lts || !c->rts) {
		child_free(c);
		return -ENOMEM;
	}
	memcpy(c->lts, p->local_ts, c->nl * sizeof(*c->lts));
	memcpy(c->rts, p->remote_ts, c->nr * sizeof(*c->rts));
	c->sa_out = p->sa_out;
	c->spi_out = p->spi_out;
	c->sa_in[0] = p->sa_in;
	c->spi_in[0] = p->spi_in;
	c->n_in = 1;
	c->local = p->local;
	c->peer = p->peer;
	c->encap = p->encap;
	c->routes = !p->no_routes;
	ret = child_bind(dp, c);
	if (ret < 0) {
		child_free(c);
		return ret;
	}
	ret = map_put(&dp->samap, c->sa_out, id);
	if (ret == 0) {
		ret = map_put(&dp->samap, c->sa_in[0], id);
		if (ret < 0)
			map_del(&dp->samap, c->sa_out);
	}
	if (ret < 0) {
		ipx_err("dataplane: child SPI %08x/%08x: SA already held by "
			"another child", p->spi_out, p->spi_in);
		child_free(c);
		return ret;
	}
	ret = spd_add(&dp->spd, id, c->lts, c->nl, c->rts, c->nr);
	if (ret == 0 && c->routes)
		ret = child_routes(dp, c, true);
	if (ret < 0) {
		spd_remove(&dp->spd, id);
		map_del(&dp->samap, c->sa_out);
		map_del(&dp->samap, c->sa_in[0]);
		child_free(c);
		return ret;
	}
	dp->child[id] = c;
	dp->nchildren++;
	ipx_info("dataplane: child %u: %s%s === %s%s, SPI out %08x in %08x, peer %s:%u%s",
		 id, ipx_ts_str(&c->lts[0], l0, sizeof(l0)), c->nl > 1 ? ",..." : "",
		 ipx_ts_str(&c->rts[0], r0, sizeof(r0)), c->nr > 1 ? ",..." : "",
		 c->spi_out, c->spi_in[0],
		 dp_addr_str(&c->peer.addr, ab, sizeof(ab)), c->peer.port,
		 c->encap ? " (UDP-encapsulated)" : "");
	*out = id;
	return 0;
}

int ipx_dp_child_update(struct ipx_dp *dp, uint32_t id, unsigned mask,
			const struct ipx_dp_child_params *p)
{
	struct dp_child *c = child_get(dp, id);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (!c)
		return -ENOENT;
	if (mask & IPX_DP_UPD_PEER) {
		struct dp_child save = *c;
		struct ipx_sa_params sp = { 0 };

		c->local = p->local;
		c->peer = p->peer;
		c->encap = p->encap;
		ret = child_bind(dp, c);
		if (ret < 0) {
			*c = save;
			return ret;
		}
		/* the engine writes the outer header (raw IPv4 sends it): keep
		 * its addresses and ports in step (NAT mapping change) */
		sp.src = c->local.addr.family ? c->local.addr : save.local.addr;
		sp.dst = c->peer.addr;
		if (c->encap) {
			sp.encap_sport = c->local.port;
			sp.encap_dport = c->peer.port;
		}
		ret = ipx_sa_update(dp->eng, c->sa_out, IPX_UPD_ADDRS, &sp);
		if (ret < 0)
			ipx_warn("dataplane: child %u: engine SA %u address update: %s",
				 id, c->sa_out, strerror(-ret));
		ipx_info("dataplane: child %u: peer now %s:%u%s", id,
			 dp_addr_str(&c->peer.addr, ab, sizeof(ab)), c->peer.port,
			 c->encap ? " (UDP-encapsulated)" : "");
	}
	if (mask & IPX_DP_UPD_SAS) {
		bool have_in = false;

		if (p->sa_out == IPX_SA_NONE || p->sa_in == IPX_SA_NONE)
			return -EINVAL;
		for (unsigned i = 0; i < c->n_in; i++)
			have_in |= c->sa_in[i] == p->sa_in;
		if (!have_in && c->n_in == DP_MAX_IN_SAS)
			return -ENOSPC;
		if (!have_in) {
			ret = map_put(&dp->samap, p->sa_in, id);
			if (ret < 0)
				return ret;
		}
		if (p->sa_out != c->sa_out) {
			ret = map_put(&dp->samap, p->sa_out, id);
			if (ret < 0) {
				if (!have_in)
					map_del(&dp->samap, p->sa_in);
				return ret;
			}
			/* the old outbound handle keeps mapping only if it is
			 * also one of our inbound ones (it never is) */
			map_del(&dp->samap, c->sa_out);
		}
		if (!have_in) {
			c->sa_in[c->n_in] = p->sa_in;
			c->spi_in[c->n_in] = p->spi_in;
			c->n_in++;
		}
		/* make-before-break: from the next packet on, out uses the new
		 * SA; every inbound SA listed stays valid until retired */
		c->sa_out = p->sa_out;
		c->spi_out = p->spi_out;
		ipx_info("dataplane: child %u: rekeyed, SPI out %08x in %08x "
			 "(%u inbound SAs)", id, c->spi_out, p->spi_in, c->n_in);
	}
	if (mask & IPX_DP_UPD_USER)
		c->user = p->user;
	return 0;
}

int ipx_dp_child_retire_in(struct ipx_dp *dp, uint32_t id, uint32_t sa_in)
{
	struct dp_child *c = child_get(dp, id);

	if (!c)
		return -ENOENT;
	for (unsigned i = 0; i < c->n_in; i++) {
		if (c->sa_in[i] != sa_in)
			continue;
		if (sa_in != c->sa_out)
			map_del(&dp->samap, sa_in);
		memmove(&c->sa_in[i], &c->sa_in[i + 1], (c->n_in - i - 1) * sizeof(c->sa_in[0]));
		memmove(&c->spi_in[i], &c->spi_in[i + 1],
			(c->n_in - i - 1) * sizeof(c->spi_in[0]));
		c->n_in--;
		return 0;
	}
	return -ENOENT;
}

int ipx_dp_child_delete(struct ipx_dp *dp, uint32_t id)
{
	struct dp_child *c = child_get(dp, id);

	if (!c)
		return -ENOENT;
	spd_remove(&dp->spd, id);
	map_del(&dp->samap, c->sa_out);
	for (unsigned i = 0; i < c->n_in; i++)
		map_del(&dp->samap, c->sa_in[i]);
	if (c->routes)
		child_routes(dp, c, false);
	ipx_info("dataplane: child %u deleted (SPI out %08x)", id, c->spi_out);
	dp->child[id] = NULL;
	dp->nchildren--;
	child_free(c);
	return 0;
}

/* ---- counters ---------------------------------------------------------------------- */

void ipx_dp_stats(const struct ipx_dp *dp, struct ipx_dp_stats *st)
{
	*st = dp->st;
	st->children = dp->nchildren;
	st->tun_offload = dp->vnet;
	st->udp_gso = st->udp_gro = false;
	for (unsigned i = 0; i < dp->nsocks; i++) {
		st->udp_gso |= dp->socks[i].gso;
		st->udp_gro |= dp->socks[i].gro;
	}
}

int ipx_dp_child_stats(const struct ipx_dp *dp, uint32_t id,
		       struct ipx_dp_child_stats *st)
{
	const struct dp_child *c = child_get(dp, id);

	if (!c)
		return -ENOENT;
	*st = c->st;
	return 0;
}

static json_t *status_obj(const uint64_t *v)
{
	json_t *o = json_object();

	for (int s = 1; o && s < IPX_ST__COUNT; s++)
		json_object_set_new(o, ipx_status_name(s), json_integer((json_int_t)v[s]));
	return o;
}

static json_t *endpoint_str(const struct ipx_dp_endpoint *e)
{
	char ab[INET6_ADDRSTRLEN], buf[80];

	dp_addr_str(&e->addr, ab, sizeof(ab));
	if (e->addr.family == AF_INET6)
		snprintf(buf, sizeof(buf), "[%s]:%u", ab, e->port);
	else
		snprintf(buf, sizeof(buf), "%s:%u", ab, e->port);
	return json_string(buf);
}

static json_t *child_json(const struct dp_child *c)
{
	json_t *o = json_object(), *lts = json_array(), *rts = json_array(),
	       *in = json_array(), *drops = json_object();
	char b[128];

	for (unsigned i = 0; i < c->nl; i++)
		json_array_append_new(lts, json_string(ipx_ts_str(&c->lts[i], b, sizeof(b))));
	for (unsigned i = 0; i < c->nr; i++)
		json_array_append_new(rts, json_string(ipx_ts_str(&c->rts[i], b, sizeof(b))));
	for (unsigned i = 0; i < c->n_in; i++) {
		snprintf(b, sizeof(b), "%08x", c->spi_in[i]);
		json_array_append_new(in, json_string(b));
	}
	json_object_set_new(o, "id", json_integer(c->id));
	snprintf(b, sizeof(b), "%08x", c->spi_out);
	json_object_set_new(o, "spi_out", json_string(b));
	json_object_set_new(o, "spi_in", in);
	json_object_set_new(o, "local_ts", lts);
	json_object_set_new(o, "remote_ts", rts);
	json_object_set_new(o, "local", endpoint_str(&c->local));
	json_object_set_new(o, "peer", endpoint_str(&c->peer));
	json_object_set_new(o, "encap", json_boolean(c->encap));
	json_object_set_new(o, "out_packets", json_integer((json_int_t)c->st.out_packets));
	json_object_set_new(o, "out_bytes", json_integer((json_int_t)c->st.out_bytes));
	json_object_set_new(o, "in_packets", json_integer((json_int_t)c->st.in_packets));
	json_object_set_new(o, "in_bytes", json_integer((json_int_t)c->st.in_bytes));
	json_object_set_new(drops, "selector_mismatch",
			    json_integer((json_int_t)c->st.selector_drops));
	json_object_set_new(drops, "tx_error", json_integer((json_int_t)c->st.tx_errors));
	json_object_set_new(drops, "encrypt", status_obj(c->st.enc_drops));
	json_object_set_new(drops, "decrypt", status_obj(c->st.dec_drops));
	json_object_set_new(o, "drops", drops);
	return o;
}

json_t *ipx_dp_stats_json(const struct ipx_dp *dp)
{
	struct ipx_dp_stats st;
	json_t *o = json_object(), *drops = json_object(), *ch = json_array();

	if (!o || !drops || !ch) {
		json_decref(o);
		json_decref(drops);
		json_decref(ch);
		return NULL;
	}
	ipx_dp_stats(dp, &st);
#define N(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
	json_object_set_new(o, "tun", json_string(dp->ifname));
	json_object_set_new(o, "tun_offload", json_boolean(st.tun_offload));
	json_object_set_new(o, "udp_gso", json_boolean(st.udp_gso));
	json_object_set_new(o, "udp_gro", json_boolean(st.udp_gro));
	N("children", st.children);
	N("tun_rx_packets", st.tun_rx_packets);
	N("tun_rx_bytes", st.tun_rx_bytes);
	N("tun_rx_reads", st.tun_rx_reads);
	N("tun_rx_super", st.tun_rx_super);
	N("tun_tx_packets", st.tun_tx_packets);
	N("tun_tx_bytes", st.tun_tx_bytes);
	N("tun_tx_writes", st.tun_tx_writes);
	N("tun_tx_super", st.tun_tx_super);
	N("esp_tx_packets", st.esp_tx_packets);
	N("esp_tx_bytes", st.esp_tx_bytes);
	N("esp_tx_calls", st.esp_tx_calls);
	N("esp_tx_gso", st.esp_tx_gso);
	N("esp_rx_packets", st.esp_rx_packets);
	N("esp_rx_bytes", st.esp_rx_bytes);
	N("esp_rx_held", st.esp_rx_held);
	N("net_rx_calls", st.net_rx_calls);
	N("net_rx_gro", st.net_rx_gro);
	N("net_rx_copied", st.net_rx_copied);
	N("ike_rx", st.ike_rx);
	N("ike_tx", st.ike_tx);
	N("keepalive_rx", st.keepalive_rx);
	N("keepalive_tx", st.keepalive_tx);
	N("acquires", st.acquires);
	N("events_lost", dp->ev_lost);
	N("spd_cache_hits", dp->spd.cache_hits);
	N("spd_cache_misses", dp->spd.cache_misses);
#undef N
	for (int d = 0; d < IPX_DP_DROP__COUNT; d++)
		json_object_set_new(drops, drop_names[d],
				    json_integer((json_int_t)st.drops[d]));
	json_object_set_new(drops, "encrypt", status_obj(st.enc_drops));
	json_object_set_new(drops, "decrypt", status_obj(st.dec_drops));
	json_object_set_new(o, "drops", drops);
	for (uint32_t i = 0; i < dp->nchild_slots; i++)
		if (dp->child[i])
			json_array_append_new(ch, child_json(dp->child[i]));
	json_object_set_new(o, "child_sas", ch);
	return o;
}
