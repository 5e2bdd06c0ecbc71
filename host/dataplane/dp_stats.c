/*
 * The data plane's counters: packets, bytes and drops by reason for the
 * whole (ipsecfx stats' "dataplane" object: a fixed size, whatever the
 * number of SAs) and per Child SA (each in its list-sas entry; all of them
 * at once for dp_static and the tests).
 */
#include <stdio.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "dp_internal.h"

static const char *const drop_names[] = {
#define IPX_DP_X(n, s, d) s,
	IPX_DP_DROP_LIST(IPX_DP_X)
#undef IPX_DP_X
};

const char *ipx_dp_drop_name(enum ipx_dp_drop d)
{
	return d < IPX_DP_DROP__COUNT ? drop_names[d] : "?";
}

void ipx_dp_stats(const struct ipx_dp *dp, struct ipx_dp_stats *st)
{
	*st = dp->st;
	st->children = dp->nchildren;
	st->udp_rx_overflows = ipx_dp_udp_rx_overflows(dp);
	st->tun_offload = dp->vnet;
	st->udp_gso = st->udp_gro = false;
	for (unsigned i = 0; i < dp->nsocks; i++) {
		st->udp_gso |= dp->socks[i].gso;
		st->udp_gro |= dp->socks[i].gro;
	}
}

/*
 * The engine statuses each direction can end a packet with (driver/soft,
 * the RTL's encap and decap stages, place.c): an encrypt has no replay
 * window, padding or ICV to check and no SPI to look up; a decrypt never
 * runs out of sequence numbers and finds its SA by SPI.  The totals list
 * these, 0 or not, and any other status only if it counted something.
 */
static bool dir_status(bool enc, int st)
{
	switch (st) {
	case IPX_ST_MALFORMED:
	case IPX_ST_TOO_BIG:
	case IPX_ST_SA_EXPIRED:
	case IPX_ST_ENGINE_FAULT:
		return true;
	case IPX_ST_SEQ_EXHAUSTED:
	case IPX_ST_NO_ROOM:
	case IPX_ST_BAD_SA:
		return enc;
	case IPX_ST_AUTH_FAILED:
	case IPX_ST_REPLAYED:
	case IPX_ST_UNKNOWN_SPI:
	case IPX_ST_BAD_PADDING:
	case IPX_ST_BAD_NEXT_HEADER:
	case IPX_ST_DUMMY:
		return !enc;
	default:
		return false;
	}
}

static json_t *status_obj(const uint64_t *v, bool enc)
{
	json_t *o = json_object();

	for (int s = 1; o && s < IPX_ST__COUNT; s++)
		if (v[s] || dir_status(enc, s))
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
	json_object_set_new(drops, "encrypt", status_obj(c->st.enc_drops, true));
	json_object_set_new(drops, "decrypt", status_obj(c->st.dec_drops, false));
	json_object_set_new(o, "drops", drops);
	return o;
}

json_t *ipx_dp_stats_json(const struct ipx_dp *dp)
{
	struct ipx_dp_stats st;
	json_t *o = json_object(), *drops = json_object();

	if (!o || !drops) {
		json_decref(o);
		json_decref(drops);
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
	N("udp_rx_overflows", st.udp_rx_overflows);
	N("events_lost", dp->ev_lost);
	N("spd_cache_hits", dp->spd.cache_hits);
	N("spd_cache_misses", dp->spd.cache_misses);
#undef N
	for (int d = 0; d < IPX_DP_DROP__COUNT; d++)
		json_object_set_new(drops, drop_names[d],
				    json_integer((json_int_t)st.drops[d]));
	json_object_set_new(drops, "encrypt", status_obj(st.enc_drops, true));
	json_object_set_new(drops, "decrypt", status_obj(st.dec_drops, false));
	json_object_set_new(o, "drops", drops);
	return o;
}

json_t *ipx_dp_children_json(const struct ipx_dp *dp)
{
	json_t *ch = json_array();

	for (uint32_t i = 0; ch && i < dp->nchild_slots; i++)
		if (dp->child[i])
			json_array_append_new(ch, child_json(dp->child[i]));
	return ch;
}

/* the engine statuses that counted something */
static void nonzero_status(json_t *o, const char *key, const uint64_t *v)
{
	json_t *s = NULL;

	for (int i = 1; i < IPX_ST__COUNT; i++)
		if (v[i]) {
			if (!s)
				s = json_object();
			json_object_set_new(s, ipx_status_name(i), json_integer((json_int_t)v[i]));
		}
	if (s)
		json_object_set_new(o, key, s);
}

json_t *ipx_dp_child_drops_json(const struct ipx_dp *dp, uint32_t id)
{
	struct ipx_dp_child_stats st;
	json_t *o;

	if (ipx_dp_child_stats(dp, id, &st) < 0)
		return NULL;
	o = json_object();
	if (o && st.selector_drops)
		json_object_set_new(o, "selector_mismatch", json_integer((json_int_t)st.selector_drops));
	if (o && st.tx_errors)
		json_object_set_new(o, "tx_error", json_integer((json_int_t)st.tx_errors));
	if (o) {
		nonzero_status(o, "encrypt", st.enc_drops);
		nonzero_status(o, "decrypt", st.dec_drops);
	}
	if (o && !json_object_size(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}
