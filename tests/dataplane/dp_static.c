/*
 * dp_static: the data plane with static SAs and no IKE, for tests and
 * benchmarks.  SAs come from an SA file (docs/sas-file.md), the rest from a
 * small file of its own (docs/dataplane.md, "dp_static"):
 *
 *   dataplane:                 # all optional
 *     tun: ipx0
 *     mtu: 1400
 *     ike_port: 500
 *     natt_port: 4500
 *     local: [192.0.2.1]
 *     raw_esp: on              # on|off (and the same for the knobs below)
 *     offload: on              # TUN IFF_VNET_HDR offloads
 *     udp_gso: on
 *     udp_gro: on
 *     batch: 64
 *   children:
 *     - out_spi: 0x1001        # SAs of the SA file, outbound and inbound
 *       in_spi: 0x2001
 *       local: 192.0.2.1
 *       peer: 192.0.2.2
 *       peer_port: 4500        # with encap (default natt_port)
 *       encap: on
 *       local_ts: [10.1.0.1/32, "fd00:1::1/128"]
 *       remote_ts: [10.2.0.1/32, "fd00:2::1/128"]
 *
 *   dp_static --config FILE --sa FILE [--stats FILE] [--ike-echo]
 *             [--keepalive SECONDS] [-v]
 *
 * The stats file (JSON of ipx_dp_stats_json, with "child_sas":
 * ipx_dp_children_json) is written once everything is
 * up, on SIGUSR1 and at exit.  SIGUSR2 deletes every Child SA (their routes
 * go with them).  SIGTERM/SIGINT: clean exit.  --ike-echo sends every IKE
 * datagram back where it came from (through ipx_dp_ike_send: the test
 * of both directions of RFC 3948 demultiplexing).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>

#include "../../host/config/cfgutil.h"
#include "../../host/config/sas_file.h"
#include "../../host/dataplane/dataplane.h"

struct y_dp {
	char *tun;
	uint32_t mtu;
	uint16_t ike_port, natt_port;
	char **local;
	unsigned local_count;
	char *raw_esp, *offload, *udp_gso, *udp_gro;
	uint32_t batch;
};

struct y_child {
	uint32_t out_spi, in_spi;
	char *local, *peer;
	uint16_t peer_port;
	char *encap;
	char **local_ts;
	unsigned local_ts_count;
	char **remote_ts;
	unsigned remote_ts_count;
};

struct y_file {
	struct y_dp *dataplane;
	struct y_child *children;
	unsigned children_count;
};

static const cyaml_schema_value_t str_value = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 256),
};

#define OPT CYAML_FLAG_OPTIONAL
#define PSTR(key, st, m) \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | OPT, st, m, 1, 256)

static const cyaml_schema_field_t dp_fields[] = {
	PSTR("tun", struct y_dp, tun),
	CYAML_FIELD_UINT("mtu", OPT, struct y_dp, mtu),
	CYAML_FIELD_UINT("ike_port", OPT, struct y_dp, ike_port),
	CYAML_FIELD_UINT("natt_port", OPT, struct y_dp, natt_port),
	CYAML_FIELD_SEQUENCE("local", CYAML_FLAG_POINTER | OPT, struct y_dp, local,
			     &str_value, 0, 16),
	PSTR("raw_esp", struct y_dp, raw_esp),
	PSTR("offload", struct y_dp, offload),
	PSTR("udp_gso", struct y_dp, udp_gso),
	PSTR("udp_gro", struct y_dp, udp_gro),
	CYAML_FIELD_UINT("batch", OPT, struct y_dp, batch),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t child_fields[] = {
	CYAML_FIELD_UINT("out_spi", CYAML_FLAG_DEFAULT, struct y_child, out_spi),
	CYAML_FIELD_UINT("in_spi", CYAML_FLAG_DEFAULT, struct y_child, in_spi),
	PSTR("local", struct y_child, local),
	CYAML_FIELD_STRING_PTR("peer", CYAML_FLAG_POINTER, struct y_child, peer, 1, 256),
	CYAML_FIELD_UINT("peer_port", OPT, struct y_child, peer_port),
	PSTR("encap", struct y_child, encap),
	CYAML_FIELD_SEQUENCE("local_ts", CYAML_FLAG_POINTER, struct y_child, local_ts,
			     &str_value, 1, 64),
	CYAML_FIELD_SEQUENCE("remote_ts", CYAML_FLAG_POINTER, struct y_child,
			     remote_ts, &str_value, 1, 64),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t child_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_child, child_fields),
};

static const cyaml_schema_field_t file_fields[] = {
	CYAML_FIELD_MAPPING_PTR("dataplane", CYAML_FLAG_POINTER | OPT, struct y_file,
				dataplane, dp_fields),
	CYAML_FIELD_SEQUENCE("children", CYAML_FLAG_POINTER, struct y_file, children,
			     &child_value, 1, 65536),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t file_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_file, file_fields),
};

static const cyaml_config_t *cyaml_cfg(struct yamlpos_cyaml *lc)
{
	static cyaml_config_t cfg;

	cfg = (cyaml_config_t){ .log_fn = yamlpos_cyaml_log, .log_ctx = lc,
				.mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR,
				.flags = CYAML_CFG_DEFAULT };
	return &cfg;
}

/* The program's state. */
struct child_cfg {
	struct ipx_dp_child_params p;
	struct ipx_ts lts[64], rts[64];
	uint32_t id;
};

static struct {
	struct ipx_dp_config dc;
	struct ipx_addr local[16];
	char tun[32];
	struct child_cfg *ch;
	unsigned nch;
	struct ipx_engine *eng;
	struct ipx_dp *dp;
	struct event_base *base;
	const char *stats_file;
	bool ike_echo;
	unsigned keepalive;
	struct sas_set sas;
} G;

static int onoff(const struct yamlpos *yp, const char *path, const char *v,
		 bool dflt, bool *out)
{
	static const char *const on[] = { "on", "yes", "true" };
	static const char *const off[] = { "off", "no", "false" };

	*out = dflt;
	if (!v)
		return 0;
	for (unsigned i = 0; i < 3; i++) {
		if (!strcasecmp(v, on[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(v, off[i])) {
			*out = false;
			return 0;
		}
	}
	yamlpos_err(yp, path, "'%s' is not on or off", v);
	return -EINVAL;
}

static int load_config(const char *file)
{
	struct yamlpos yp;
	struct yamlpos_cyaml lc = { .yp = &yp };
	struct y_file *y = NULL;
	char path[64];
	bool b;
	int bad = 0;

	if (yamlpos_load(&yp, file) < 0)
		return -EINVAL;
	if (cyaml_load_file(file, cyaml_cfg(&lc), &file_value, (cyaml_data_t **)&y,
			    NULL) != CYAML_OK) {
		yamlpos_cyaml_flush(&lc);
		if (!lc.errors)
			ipx_err("%s: not a dp_static file", file);
		yamlpos_free(&yp);
		return -EINVAL;
	}
	yamlpos_cyaml_flush(&lc);
#define P(...) (snprintf(path, sizeof(path), __VA_ARGS__), path)
	if (y->dataplane) {
		struct y_dp *d = y->dataplane;

		if (d->tun)
			snprintf(G.tun, sizeof(G.tun), "%s", d->tun);
		G.dc.mtu = d->mtu;
		G.dc.ike_port = d->ike_port;
		G.dc.natt_port = d->natt_port;
		G.dc.batch = d->batch;
		for (unsigned i = 0; i < d->local_count; i++)
			if (cfg_addr(&yp, P("dataplane.local[%u]", i), d->local[i],
				     &G.local[i]) < 0)
				bad = -EINVAL;
		G.dc.local = G.local;
		G.dc.n_local = d->local_count;
		bad |= onoff(&yp, "dataplane.raw_esp", d->raw_esp, true, &b);
		G.dc.no_raw_esp = !b;
		bad |= onoff(&yp, "dataplane.offload", d->offload, true, &b);
		G.dc.no_tun_offload = !b;
		bad |= onoff(&yp, "dataplane.udp_gso", d->udp_gso, true, &b);
		G.dc.no_udp_gso = !b;
		bad |= onoff(&yp, "dataplane.udp_gro", d->udp_gro, true, &b);
		G.dc.no_udp_gro = !b;
	}
	G.dc.tun_name = G.tun;
	G.ch = calloc(y->children_count, sizeof(*G.ch));
	G.nch = y->children_count;
	for (unsigned i = 0; G.ch && i < y->children_count; i++) {
		struct y_child *yc = &y->children[i];
		struct child_cfg *c = &G.ch[i];

		c->p.spi_out = yc->out_spi;
		c->p.spi_in = yc->in_spi;
		if (yc->local && cfg_addr(&yp, P("children[%u].local", i), yc->local,
					  &c->p.local.addr) < 0)
			bad = -EINVAL;
		if (cfg_addr(&yp, P("children[%u].peer", i), yc->peer, &c->p.peer.addr) < 0)
			bad = -EINVAL;
		c->p.peer.port = yc->peer_port;
		bad |= onoff(&yp, P("children[%u].encap", i), yc->encap, false,
			     &c->p.encap);
		c->p.mode = IPX_MODE_TUNNEL;
		for (unsigned k = 0; k < yc->local_ts_count; k++)
			if (ipx_ts_parse(yc->local_ts[k], &c->lts[k]) < 0) {
				yamlpos_err(&yp, P("children[%u].local_ts", i),
					    "'%s' is not a traffic selector", yc->local_ts[k]);
				bad = -EINVAL;
			}
		for (unsigned k = 0; k < yc->remote_ts_count; k++)
			if (ipx_ts_parse(yc->remote_ts[k], &c->rts[k]) < 0) {
				yamlpos_err(&yp, P("children[%u].remote_ts", i),
					    "'%s' is not a traffic selector", yc->remote_ts[k]);
				bad = -EINVAL;
			}
		c->p.local_ts = c->lts;
		c->p.n_local_ts = yc->local_ts_count;
		c->p.remote_ts = c->rts;
		c->p.n_remote_ts = yc->remote_ts_count;
	}
#undef P
	cyaml_free(cyaml_cfg(&lc), &file_value, y, 0);
	yamlpos_free(&yp);
	if (!G.ch)
		return -ENOMEM;
	return bad ? -EINVAL : 0;
}

static const struct ipx_sa_params *find_sa(uint32_t spi)
{
	for (unsigned i = 0; i < G.sas.n; i++)
		if (G.sas.v[i].spi == spi)
			return &G.sas.v[i];
	return NULL;
}

static int add_sa(uint32_t spi, uint8_t dir, uint32_t *h)
{
	const struct ipx_sa_params *f = find_sa(spi);
	struct ipx_sa_params p;
	int ret;

	if (!f) {
		ipx_err("dp_static: SPI %08x is in no SA of the SA file", spi);
		return -ENOENT;
	}
	p = *f;
	p.dir = dir;
	ret = ipx_sa_add(G.eng, &p, h);
	memset(&p, 0, sizeof(p));
	return ret;
}

static void write_stats(void)
{
	char tmp[512];
	json_t *j;

	if (!G.stats_file || !G.dp)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", G.stats_file);
	j = ipx_dp_stats_json(G.dp);
	if (j)
		json_object_set_new(j, "child_sas", ipx_dp_children_json(G.dp));
	if (!j || json_dump_file(j, tmp, JSON_INDENT(1)) < 0 ||
	    rename(tmp, G.stats_file) < 0)
		ipx_err("dp_static: cannot write %s", G.stats_file);
	json_decref(j);
}

static void on_ike(void *arg, const uint8_t *msg, size_t len,
		   const struct ipx_dp_endpoint *local,
		   const struct ipx_dp_endpoint *remote, bool natt)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	(void)arg;
	inet_ntop(remote->addr.family, remote->addr.a, a, sizeof(a));
	inet_ntop(local->addr.family, local->addr.a, b, sizeof(b));
	ipx_info("dp_static: IKE datagram, %zu bytes, from %s:%u to %s:%u%s", len, a,
		 remote->port, b, local->port, natt ? " (NAT-T)" : "");
	if (G.ike_echo)
		ipx_dp_ike_send(G.dp, local, remote, msg, len);
}

static void on_acquire(void *arg, const struct ipx_dp_flow *f)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	(void)arg;
	inet_ntop(f->src.family, f->src.a, a, sizeof(a));
	inet_ntop(f->dst.family, f->dst.a, b, sizeof(b));
	ipx_info("dp_static: acquire: proto %u %s:%u -> %s:%u", f->proto, a, f->sport,
		 b, f->dport);
}

static void on_event(void *arg, const struct ipx_event *ev, uint32_t child,
		     uint64_t user)
{
	(void)arg;
	(void)user;
	ipx_info("dp_static: event %s on SPI %08x (child %d)", ipx_event_name(ev->type),
		 ev->spi, child == IPX_DP_CHILD_NONE ? -1 : (int)child);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGUSR1) {
		write_stats();
	} else if (sig == SIGUSR2) {
		for (unsigned i = 0; i < G.nch; i++)
			if (G.ch[i].id != IPX_DP_CHILD_NONE) {
				ipx_dp_child_delete(G.dp, G.ch[i].id);
				G.ch[i].id = IPX_DP_CHILD_NONE;
			}
		write_stats();
	} else {
		event_base_loopbreak(G.base);
	}
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (unsigned i = 0; i < G.nch; i++)
		if (G.ch[i].p.encap && G.ch[i].id != IPX_DP_CHILD_NONE) {
			struct ipx_dp_endpoint r = G.ch[i].p.peer;

			if (!r.port)
				r.port = G.dc.natt_port ? G.dc.natt_port : 4500;
			ipx_dp_keepalive_send(G.dp, &G.ch[i].p.local, &r);
		}
}

static void usage(void)
{
	fprintf(stderr, "usage: dp_static --config FILE --sa FILE [--stats FILE] "
			"[--ike-echo] [--keepalive SECONDS] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sa", required_argument, NULL, 's' },
		{ "stats", required_argument, NULL, 'S' },
		{ "ike-echo", no_argument, NULL, 'e' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cfgf = NULL, *saf = NULL;
	struct ipx_dp_callbacks cb = { on_ike, on_acquire, on_event, NULL };
	struct event *sigs[5] = { NULL }, *ka = NULL;
	const int signums[5] = { SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP };
	int c, ret = 1;

	while ((c = getopt_long(argc, argv, "c:s:S:ek:v", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgf = optarg; break;
		case 's': saf = optarg; break;
		case 'S': G.stats_file = optarg; break;
		case 'e': G.ike_echo = true; break;
		case 'k': G.keepalive = (unsigned)atoi(optarg); break;
		case 'v': ipx_log_set_level(IPX_LOG_DEBUG); break;
		default: usage();
		}
	}
	if (!cfgf || !saf || optind != argc)
		usage();
	if (sas_file_load(saf, &G.sas) < 0 || load_config(cfgf) < 0)
		return 1;
	for (unsigned i = 0; i < G.nch; i++) {
		G.ch[i].id = IPX_DP_CHILD_NONE;
		G.ch[i].p.sa_out = G.ch[i].p.sa_in = IPX_SA_NONE;
	}
	if (ipx_engine_open("soft", NULL, &G.eng) < 0)
		goto out;
	G.base = event_base_new();
	if (!G.base)
		goto out;
	if (ipx_dp_open(G.base, G.eng, &G.dc, &G.dp) < 0)
		goto out;
	ipx_dp_set_callbacks(G.dp, &cb);
	for (unsigned i = 0; i < G.nch; i++) {
		struct child_cfg *ch = &G.ch[i];

		if (add_sa(ch->p.spi_out, IPX_DIR_OUT, &ch->p.sa_out) < 0 ||
		    add_sa(ch->p.spi_in, IPX_DIR_IN, &ch->p.sa_in) < 0 ||
		    ipx_dp_child_add(G.dp, &ch->p, &ch->id) < 0)
			goto out;
	}
	sas_set_free(&G.sas);   /* keys live in the engine only from here */
	for (int i = 0; i < 5; i++) {
		sigs[i] = evsignal_new(G.base, signums[i], on_signal, NULL);
		if (!sigs[i] || event_add(sigs[i], NULL) < 0)
			goto out;
	}
	if (G.keepalive) {
		struct timeval tv = { .tv_sec = G.keepalive };

		ka = event_new(G.base, -1, EV_PERSIST, on_keepalive, NULL);
		if (!ka || event_add(ka, &tv) < 0)
			goto out;
	}
	write_stats();
	ipx_info("dp_static: running on %s", ipx_dp_tun_name(G.dp));
	event_base_dispatch(G.base);
	write_stats();
	ret = 0;
out:
	for (int i = 0; i < 5; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (ka)
		event_free(ka);
	ipx_dp_close(G.dp);
	for (unsigned i = 0; i < G.nch; i++) {
		if (G.ch[i].p.sa_out != IPX_SA_NONE)
			ipx_sa_delete(G.eng, G.ch[i].p.sa_out);
		if (G.ch[i].p.sa_in != IPX_SA_NONE)
			ipx_sa_delete(G.eng, G.ch[i].p.sa_in);
	}
	if (G.eng)
		ipx_engine_close(G.eng);
	if (G.base)
		event_base_free(G.base);
	sas_set_free(&G.sas);
	free(G.ch);
	libevent_global_shutdown();
	return ret;
}
