/*
 * Child SAs in the data plane: each one's SPD rules, its engine SAs in the
 * SA map, its routes to the TUN device, and what a rekey, a retirement or
 * a deletion does to them (docs/dataplane.md, "Child SAs").  The packet
 * path reads what this sets up: dp_child_by_sa(), the SPD.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "dp_internal.h"

struct dp_child *dp_child_by_sa(struct ipx_dp *dp, uint32_t sa)
{
	uint32_t id = dp_map_get(&dp->samap, sa);

	return id < dp->nchild_slots ? dp->child[id] : NULL;
}

/* ---- routes and addresses -------------------------------------------------------- */

static bool addr_eq(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->a, b->a, a->family == AF_INET6 ? 16 : 4);
}

static int route_ref(struct ipx_dp *dp, const struct ipx_addr *pfx, uint8_t plen,
		     const struct ipx_addr *src)
{
	struct dp_route *r = dp_rset_find(&dp->routes, pfx, plen);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (r) {
		r->refs++;
		return 0;
	}
	ret = rtnl_route(dp->rtnl, true, dp->ifindex, pfx, plen, src, dp->route_table);
	if (ret == -EINVAL && src) /* the source is not (yet) ours: route without */
		ret = rtnl_route(dp->rtnl, true, dp->ifindex, pfx, plen, NULL,
				 dp->route_table);
	if (ret < 0 && ret != -EEXIST) {
		ipx_err("dataplane: tun %s: route %s/%u: %s", dp->ifname,
			dp_addr_str(pfx, ab, sizeof(ab)), plen, strerror(-ret));
		return ret;
	}
	r = dp_rset_add(&dp->routes, pfx, plen);
	if (!r) {
		if (ret == 0)
			(void)rtnl_route(dp->rtnl, false, dp->ifindex, pfx, plen, NULL,
					 dp->route_table);
		return -ENOMEM;
	}
	r->refs = 1;
	/* -EEXIST: someone else's route: used, never removed by us */
	r->owned = ret == 0;
	ipx_dbg("dataplane: tun %s: route %s/%u%s", dp->ifname,
		dp_addr_str(pfx, ab, sizeof(ab)), plen, r->owned ? "" : " (existing)");
	return 0;
}

static void route_unref(struct ipx_dp *dp, const struct ipx_addr *pfx, uint8_t plen)
{
	struct dp_route *r = dp_rset_find(&dp->routes, pfx, plen);
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
	dp_rset_del(&dp->routes, r);
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
	struct dp_route *r = dp_rset_find(&dp->addrs, a, plen);
	char ab[INET6_ADDRSTRLEN];
	int ret;

	if (r) {
		r->refs++;
		return 0;
	}
	ret = rtnl_addr(dp->rtnl, true, dp->ifindex, a, plen);
	if (ret < 0 && ret != -EEXIST) {
		ipx_err("dataplane: tun %s: address %s/%u: %s", dp->ifname,
			dp_addr_str(a, ab, sizeof(ab)), plen, strerror(-ret));
		return ret;
	}
	r = dp_rset_add(&dp->addrs, a, plen);
	if (!r) {
		if (ret == 0)
			(void)rtnl_addr(dp->rtnl, false, dp->ifindex, a, plen);
		return -ENOMEM;
	}
	r->refs = 1;
	r->owned = ret == 0;   /* -EEXIST: someone else's, never removed by us */
	return 0;
}

int ipx_dp_addr_del(struct ipx_dp *dp, const struct ipx_addr *a, uint8_t plen)
{
	struct dp_route *r = dp_rset_find(&dp->addrs, a, plen);
	int ret = 0;

	if (!r)
		return -ENOENT;
	if (--r->refs)
		return 0;
	if (r->owned)
		ret = rtnl_addr(dp->rtnl, false, dp->ifindex, a, plen);
	dp_rset_del(&dp->addrs, r);
	return ret;
}

void dp_routes_clear(struct ipx_dp *dp)
{
	/* whatever is left (shared or leaked references): ours goes */
	while (dp->routes.n) {
		dp->routes.v[0].refs = 1;
		route_unref(dp, &dp->routes.v[0].pfx, dp->routes.v[0].plen);
	}
	while (dp->addrs.n) {
		dp->addrs.v[0].refs = 1;
		ipx_dp_addr_del(dp, &dp->addrs.v[0].pfx, dp->addrs.v[0].plen);
	}
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
	ret = dp_map_put(&dp->samap, c->sa_out, id);
	if (ret == 0) {
		ret = dp_map_put(&dp->samap, c->sa_in[0], id);
		if (ret < 0)
			dp_map_del(&dp->samap, c->sa_out);
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
		dp_map_del(&dp->samap, c->sa_out);
		dp_map_del(&dp->samap, c->sa_in[0]);
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

/* One more inbound SA for child id (already listed: nothing to do). */
static int child_add_in(struct ipx_dp *dp, struct dp_child *c, uint32_t id,
			const struct ipx_dp_child_params *p)
{
	int ret;

	if (p->sa_in == IPX_SA_NONE)
		return -EINVAL;
	for (unsigned i = 0; i < c->n_in; i++)
		if (c->sa_in[i] == p->sa_in)
			return 0;
	if (c->n_in == DP_MAX_IN_SAS)
		return -ENOSPC;
	ret = dp_map_put(&dp->samap, p->sa_in, id);
	if (ret < 0)
		return ret;
	c->sa_in[c->n_in] = p->sa_in;
	c->spi_in[c->n_in] = p->spi_in;
	c->n_in++;
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
	if (mask & IPX_DP_UPD_IN) {
		ret = child_add_in(dp, c, id, p);
		if (ret < 0)
			return ret;
		ipx_info("dataplane: child %u: inbound SPI %08x added, out stays %08x "
			 "(%u inbound SAs)", id, p->spi_in, c->spi_out, c->n_in);
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
			ret = dp_map_put(&dp->samap, p->sa_in, id);
			if (ret < 0)
				return ret;
		}
		if (p->sa_out != c->sa_out) {
			ret = dp_map_put(&dp->samap, p->sa_out, id);
			if (ret < 0) {
				if (!have_in)
					dp_map_del(&dp->samap, p->sa_in);
				return ret;
			}
			/* the old outbound handle keeps mapping only if it is
			 * also one of our inbound ones (it never is) */
			dp_map_del(&dp->samap, c->sa_out);
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
			dp_map_del(&dp->samap, sa_in);
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
	dp_map_del(&dp->samap, c->sa_out);
	for (unsigned i = 0; i < c->n_in; i++)
		dp_map_del(&dp->samap, c->sa_in[i]);
	if (c->routes)
		child_routes(dp, c, false);
	ipx_info("dataplane: child %u deleted (SPI out %08x)", id, c->spi_out);
	dp->child[id] = NULL;
	dp->nchildren--;
	child_free(c);
	return 0;
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
