/*
 * ipsecfxd: the IPsec appliance daemon.
 *
 * One libevent loop carries everything: the data plane (TUN, UDP 500/4500,
 * raw ESP; host/dataplane), the IKE manager (host/ike), the control socket
 * (host/ctl) and signals.  This file wires them together: IKE datagrams
 * from the data plane go to the IKE manager, established Child SAs go to
 * the data plane, control commands call into both.
 *
 *   ipsecfxd -c FILE [-f] [-d]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>
#include <jansson.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>
#include <ipsecfx/place.h>

#include "../config/config.h"
#include "../ctl/ctl.h"
#include "../dataplane/dataplane.h"
#include "../ike/ike.h"
#include "../ike/ike_crypto.h"
#include "dlog.h"
#include "initiate.h"
#include "metrics.h"
#include "privs.h"

#ifndef IPSECFX_VERSION
#define IPSECFX_VERSION "0.1.0"
#endif

struct ipxd {
	struct event_base *base;
	struct cfg *cfg;
	char cfg_path[256];
	struct ipx_engine *eng;
	struct ipx_dp *dp;
	struct ike_mgr *ike;
	struct ctl *ctl;
	struct metrics *metrics;        /* metrics: {listen: ...}; NULL off */
	struct inits *inits;            /* `ipsecfx initiate` waiting */
	bool debug;                     /* -d: debug whatever log_level says */
	struct event *sigs[4];
	struct ipx_ts *trap_routes;     /* routed for start_action: trap */
	unsigned n_trap_routes;
	bool fault_injection;           /* engine_fault_injection at start */
	struct event *engine_tick;      /* card health without traffic */
	struct ipxd_privs privs;        /* who we became after start-up */
};

/* ---- addresses between the layers ---- */

static void ss_to_ep(const struct sockaddr_storage *ss, struct ipx_dp_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		memcpy(ep->addr.a, &in->sin_addr, 4);
		ep->port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		memcpy(ep->addr.a, &in6->sin6_addr, 16);
		ep->port = ntohs(in6->sin6_port);
	}
}

static void ep_to_ss(const struct ipx_dp_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->addr.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, ep->addr.a, 4);
		in->sin_port = htons(ep->port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, ep->addr.a, 16);
		in6->sin6_port = htons(ep->port);
	}
}

static void ts_to_dp(const struct ike_ts *t, struct ipx_ts *d)
{
	unsigned n = t->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;

	memset(d, 0, sizeof(*d));
	d->start.family = d->end.family = n == 4 ? AF_INET : AF_INET6;
	memcpy(d->start.a, t->start, n);
	memcpy(d->end.a, t->end, n);
	d->proto = t->proto;
	d->port_start = t->start_port;
	d->port_end = t->end_port;
}

/* ---- IKE -> data plane ---- */

static int io_send(void *ctx, const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote, bool natt,
		   const uint8_t *buf, size_t len)
{
	struct ipxd *d = ctx;
	struct ipx_dp_endpoint l, r;

	(void)natt;  /* the data plane knows the NAT-T port by number */
	ss_to_ep(local, &l);
	ss_to_ep(remote, &r);
	return ipx_dp_ike_send(d->dp, &l, &r, buf, len);
}

static uint64_t io_rx_overflows(void *ctx)
{
	struct ipxd *d = ctx;

	return d->dp ? ipx_dp_udp_rx_overflows(d->dp) : 0;
}

/* A Child SA's SAs and addresses as the data plane takes them. */
static void child_params(const struct child_sa *c, struct ipx_dp_child_params *p)
{
	struct ike_child_info ci;

	ike_child_get(c, &ci);
	memset(p, 0, sizeof(*p));
	p->sa_out = ci.eng_out;
	p->sa_in = ci.eng_in;
	p->spi_out = ci.spi_out;
	p->spi_in = ci.spi_in;
	ss_to_ep(ci.local, &p->local);
	ss_to_ep(ci.remote, &p->peer);
	p->encap = ci.encap;
	p->mode = ci.mode;
	p->user = ike_child_engine_user(&ci);
}

static int io_child_up(void *ctx, struct child_sa *c)
{
	struct ipxd *d = ctx;
	struct ipx_ts lts[IKE_CHILD_TS_MAX], rts[IKE_CHILD_TS_MAX];
	struct ipx_dp_child_params p;
	struct ike_child_info ci;
	uint32_t h = IPX_DP_CHILD_NONE;
	int ret;

	ike_child_get(c, &ci);
	child_params(c, &p);
	for (unsigned i = 0; i < ci.n_ts_l; i++)
		ts_to_dp(&ci.ts_l[i], &lts[i]);
	for (unsigned i = 0; i < ci.n_ts_r; i++)
		ts_to_dp(&ci.ts_r[i], &rts[i]);
	p.local_ts = lts;
	p.n_local_ts = ci.n_ts_l;
	p.remote_ts = rts;
	p.n_remote_ts = ci.n_ts_r;
	ret = ipx_dp_child_add(d->dp, &p, &h);
	ike_child_set_dp(c, h);
	return ret;
}

static void io_child_down(void *ctx, struct child_sa *c)
{
	struct ipxd *d = ctx;

	if (ike_child_dp(c) != IPX_DP_CHILD_NONE)
		ipx_dp_child_delete(d->dp, ike_child_dp(c));
	ike_child_set_dp(c, IPX_DP_CHILD_NONE);
}

/* A rekeyed (or reauthenticated) Child SA joins its predecessor's policy:
 * its inbound SA is accepted from now on and, with switch_out, its
 * outbound SA carries the traffic (the data plane's make-before-break).
 * Without, the outbound SA stays whichever carries the traffic now: old
 * until the peer deletes it, or the SA that already took over from old
 * (a simultaneous rekey whose winner came first) -- never old again. */
static int io_child_rekeyed(void *ctx, struct child_sa *old, struct child_sa *c,
			    bool switch_out)
{
	struct ipxd *d = ctx;
	struct ipx_dp_child_params p;
	uint32_t h = ike_child_dp(old);
	int ret;

	if (h == IPX_DP_CHILD_NONE)
		return -ENOENT;
	child_params(c, &p);
	ret = ipx_dp_child_update(d->dp, h, switch_out ? IPX_DP_UPD_SAS : IPX_DP_UPD_IN, &p);
	if (ret == 0 && switch_out) {
		/* the new outbound SA gets the peer's current address (it may
		 * have moved since the SA was made) */
		ipx_dp_child_update(d->dp, h, IPX_DP_UPD_PEER, &p);
	}
	return ret;
}

static void io_child_retire(void *ctx, struct child_sa *c)
{
	struct ipxd *d = ctx;
	struct ike_child_info ci;

	ike_child_get(c, &ci);
	if (ike_child_dp(c) != IPX_DP_CHILD_NONE)
		ipx_dp_child_retire_in(d->dp, ike_child_dp(c), ci.eng_in);
	ike_child_set_dp(c, IPX_DP_CHILD_NONE);
}

/* 2.23: the peer's NAT mapping changed; the data plane sends there now. */
static void io_child_moved(void *ctx, struct child_sa *c)
{
	struct ipxd *d = ctx;
	struct ipx_dp_child_params p;
	struct ike_child_info ci;

	ike_child_get(c, &ci);
	if (!ci.dp_owner || ike_child_dp(c) == IPX_DP_CHILD_NONE)
		return;
	child_params(c, &p);
	ipx_dp_child_update(d->dp, ike_child_dp(c), IPX_DP_UPD_PEER, &p);
}

static void io_spi_expect(void *ctx, uint32_t spi, bool on)
{
	struct ipxd *d = ctx;

	ipx_dp_expect_spi(d->dp, spi, on);
}

static void io_keepalive(void *ctx, const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote)
{
	struct ipxd *d = ctx;
	struct ipx_dp_endpoint l, r;

	ss_to_ep(local, &l);
	ss_to_ep(remote, &r);
	ipx_dp_keepalive_send(d->dp, &l, &r);
}

/* ---- updown scripts ---- */

static void addr_only(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char *b;

	ike_addr_str(ss, buf, len);
	b = strchr(buf, '[');
	if (b)
		*b = 0;
}

static void ts_list(const struct ike_ts *ts, unsigned n, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < n && off + 1 < len; i++) {
		char t[96];

		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
					ike_ts_str(&ts[i], t, sizeof(t)));
	}
}

/*
 * The connection's updown script, run without waiting for it (docs/config.md
 * lists the environment).  Children are reaped by the SIGCHLD handler.
 */
static void io_event(void *ctx, struct ikesa *sa, struct child_sa *c, const char *what)
{
	struct ipxd *d = ctx;
	struct ike_sa_info si;
	struct ike_child_info ci;
	char env[16][320], *envp[17], loc[64], rem[64], lts[256], rts[256];
	char *argv[3];
	unsigned n = 0;
	pid_t pid;
	int ret;

	inits_event(d->inits, sa, c, what);
	ike_sa_get(sa, &si);
	if (!si.updown[0])
		return;
	addr_only(si.local, loc, sizeof(loc));
	addr_only(si.remote, rem, sizeof(rem));
#define ENV(...) snprintf(env[n], sizeof(env[n]), __VA_ARGS__), envp[n] = env[n], n++
	ENV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ENV("IPSECFX_EVENT=%s", what);
	ENV("IPSECFX_CONN=%s", si.conn);
	ENV("IPSECFX_IKE_SA=%u", si.unique_id);
	ENV("IPSECFX_LOCAL=%s", loc);
	ENV("IPSECFX_REMOTE=%s", rem);
	ENV("IPSECFX_REMOTE_PORT=%u", ike_port(si.remote));
	ENV("IPSECFX_PEER_ID=%s", si.peer_id);
	ENV("IPSECFX_NAT=%s", si.nat ? "yes" : "no");
	ENV("IPSECFX_TUN=%s", ipx_dp_tun_name(d->dp));
	if (c) {
		ike_child_get(c, &ci);
		ts_list(ci.ts_l, ci.n_ts_l, lts, sizeof(lts));
		ts_list(ci.ts_r, ci.n_ts_r, rts, sizeof(rts));
		ENV("IPSECFX_CHILD=%s", ci.name);
		ENV("IPSECFX_CHILD_SA=%u", ci.unique_id);
		ENV("IPSECFX_SPI_IN=%08x", ci.spi_in);
		ENV("IPSECFX_SPI_OUT=%08x", ci.spi_out);
		ENV("IPSECFX_LOCAL_TS=%s", lts);
		ENV("IPSECFX_REMOTE_TS=%s", rts);
	}
#undef ENV
	envp[n] = NULL;
	argv[0] = (char *)si.updown;
	argv[1] = (char *)what;
	argv[2] = NULL;
	ret = posix_spawn(&pid, si.updown, NULL, NULL, argv, envp);
	if (ret)
		ipx_err("%s: updown %s %s: %s", si.conn, si.updown, what, strerror(ret));
	else
		ipx_dbg("%s: updown %s %s: pid %d", si.conn, si.updown, what, (int)pid);
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	int status;
	pid_t pid;

	(void)sig;
	(void)what;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			ipx_warn("updown script (pid %d) exited with status %d", (int)pid,
				 WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			ipx_warn("updown script (pid %d) killed by signal %d", (int)pid,
				 WTERMSIG(status));
	}
}

/* ---- data plane -> IKE ---- */

static void dp_ike(void *arg, const uint8_t *msg, size_t len,
		   const struct ipx_dp_endpoint *local,
		   const struct ipx_dp_endpoint *remote, bool natt)
{
	struct ipxd *d = arg;
	struct sockaddr_storage l, r;

	ep_to_ss(local, &l);
	ep_to_ss(remote, &r);
	ike_mgr_input(d->ike, msg, len, &l, &r, natt);
}

static bool ts_has(const struct ike_ts *t, const struct ipx_addr *a)
{
	unsigned n = t->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;

	if ((n == 4) != (a->family == AF_INET))
		return false;
	return memcmp(a->a, t->start, n) >= 0 && memcmp(a->a, t->end, n) <= 0;
}

/* start_action: trap: route the children's remote selectors to the TUN
 * so that their first packet raises an acquire.  Redone on reload. */
static void trap_routes(struct ipxd *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->n_trap_routes; i++)
		ipx_dp_route_ts(d->dp, &d->trap_routes[i], false);
	free(d->trap_routes);
	d->trap_routes = NULL;
	d->n_trap_routes = 0;
	for (unsigned i = 0; i < d->cfg->n_conns; i++)
		if (d->cfg->conns[i].start_action == CFG_START_TRAP)
			for (unsigned k = 0; k < d->cfg->conns[i].n_children; k++)
				n += d->cfg->conns[i].children[k].n_remote_ts;
	if (!n)
		return;
	d->trap_routes = calloc(n, sizeof(*d->trap_routes));
	if (!d->trap_routes)
		return;
	for (unsigned i = 0; i < d->cfg->n_conns; i++) {
		const struct cfg_conn *c = &d->cfg->conns[i];

		if (c->start_action != CFG_START_TRAP)
			continue;
		for (unsigned k = 0; k < c->n_children; k++)
			for (unsigned t = 0; t < c->children[k].n_remote_ts; t++) {
				struct ipx_ts *ts = &d->trap_routes[d->n_trap_routes];

				if (!c->children[k].remote_ts[t].type)
					continue;  /* dynamic: the peer itself */
				ts_to_dp(&c->children[k].remote_ts[t], ts);
				if (ipx_dp_route_ts(d->dp, ts, true) == 0)
					d->n_trap_routes++;
			}
	}
}

/* start_action: trap: the first packet for a configured child starts it */
static void dp_acquire(void *arg, const struct ipx_dp_flow *f)
{
	struct ipxd *d = arg;

	for (unsigned i = 0; i < d->cfg->n_conns; i++) {
		const struct cfg_conn *c = &d->cfg->conns[i];

		if (c->start_action != CFG_START_TRAP)
			continue;
		for (unsigned k = 0; k < c->n_children; k++) {
			const struct cfg_child *ch = &c->children[k];
			bool rin = false;

			for (unsigned t = 0; t < ch->n_remote_ts && !rin; t++)
				rin = ts_has(&ch->remote_ts[t], &f->dst);
			if (!rin || ike_mgr_find_conn(d->ike, c->name))
				continue;
			ipx_info("%s: traffic for %s: initiating (start_action: trap)",
				 c->name, ch->name);
			ike_mgr_initiate(d->ike, c->name, ch->name);
			return;
		}
	}
}

static void dp_event(void *arg, const struct ipx_event *ev, uint32_t child,
		     uint64_t user)
{
	struct ipxd *d = arg;

	(void)child;
	ipx_dbg("ESP SA %08x (%s, child %llu): %s", ev->spi,
		ev->dir == IPX_DIR_OUT ? "out" : "in", (unsigned long long)user,
		ipx_event_name(ev->type));
	ike_mgr_engine_event(d->ike, ev);
}

/* ---- control commands ---- */

/* list-sas streams (ctl.h): one IKE SA per line as the client reads,
 * --conn, --offset and --limit applied here */
static int list_next(void *l, json_t **sa)
{
	return ike_list_next(l, sa);
}

static void list_close(void *l)
{
	ike_list_close(l);
}

/* each Child SA's data-plane drops (stats keeps only the totals) */
static void list_child_drops(void *arg, const struct child_sa *c, json_t *o)
{
	struct ipxd *d = arg;
	json_t *drops;

	if (ike_child_dp(c) == IPX_DP_CHILD_NONE)
		return;
	drops = ipx_dp_child_drops_json(d->dp, ike_child_dp(c));
	if (drops)
		json_object_set_new(o, "dp_drops", drops);
}

static int cmd_list(void *arg, json_t *req, struct ctl_stream *st, char *err, size_t n)
{
	struct ipxd *d = arg;
	struct ike_list_query q;
	struct ike_list *l;
	int ret = ike_list_query_parse(req, &q, err, n);

	if (ret < 0)
		return ret;
	l = ike_list_open(d->ike, &q);
	if (!l)
		return -ENOMEM;
	ike_list_set_child_hook(l, list_child_drops, d);
	st->next = list_next;
	st->close = list_close;
	st->state = l;
	st->item = "sa";
	st->header = json_pack("{s:I}", "ike_sas", (json_int_t)ike_list_total(l));
	return 0;
}

static int cmd_list_certs(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;

	(void)req;
	(void)err;
	(void)n;
	*res = ike_mgr_certs_json(d->ike);
	return 0;
}

/* list-conns: what is loaded, and how much of it is up */
static int cmd_list_conns(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;

	return ike_list_conns(d->ike, req, res, err, n);
}

static int cmd_initiate(void *arg, json_t *req, struct ctl_stream *st, char *err, size_t n)
{
	struct ipxd *d = arg;

	return inits_start(d->inits, d->cfg, req, st, err, n);
}

static int cmd_rekey(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;
	const char *conn = json_string_value(json_object_get(req, "conn"));
	const char *child = json_string_value(json_object_get(req, "child"));
	bool ike = json_is_true(json_object_get(req, "ike"));
	bool reauth = json_is_true(json_object_get(req, "reauth"));
	int ret;

	if (!conn) {
		snprintf(err, n, "rekey needs \"conn\"");
		return -EINVAL;
	}
	ret = ike_mgr_rekey(d->ike, conn, child, ike, reauth);
	if (ret == -EINVAL) {
		snprintf(err, n, "%s: only the side with remote_addrs can reauthenticate", conn);
		return ret;
	}
	if (ret < 0 && !cfg_conn_find(d->cfg, conn)) {
		snprintf(err, n, "no connection named '%s'", conn);
		return ret;
	}
	if (ret < 0) {
		snprintf(err, n, "%s: no established %s to rekey", conn,
			 child ? "Child SA of that name" : "SA");
		return ret;
	}
	*res = json_pack("{s:s, s:s, s:i}", "conn", conn, "rekeying",
			 reauth ? "reauthentication" : ike ? "IKE SA" : "Child SAs", "sas", ret);
	return 0;
}

static int cmd_terminate(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;
	const char *conn = json_string_value(json_object_get(req, "conn"));

	int k;

	if (!conn) {
		snprintf(err, n, "terminate needs \"conn\"");
		return -EINVAL;
	}
	/* SAs of a connection a reload removed can still be terminated */
	k = ike_mgr_terminate(d->ike, conn);
	if (!k) {
		if (cfg_conn_find(d->cfg, conn))
			snprintf(err, n, "%s: no IKE SA to terminate", conn);
		else
			snprintf(err, n, "no connection named '%s'", conn);
		return -ENOENT;
	}
	*res = json_pack("{s:i}", "terminated", k);
	return 0;
}

/* The loader's errors, for the answer to `ipsecfx reload`. */
struct errbuf {
	char *buf;
	size_t n, off;
};

static void collect_errors(void *arg, int level, const char *msg)
{
	struct errbuf *e = arg;

	if (level > IPX_LOG_ERR || e->off + 1 >= e->n)
		return;
	e->off += (size_t)snprintf(e->buf + e->off, e->n - e->off, "\n  %s", msg);
	if (e->off >= e->n)
		e->off = e->n - 1;
}

static int cmd_reload(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;
	struct cfg *nc, *old = d->cfg;
	struct errbuf eb = { err, n, 0 };
	int ret;

	(void)req;
	sd_notify(0, "RELOADING=1");
	eb.off = (size_t)snprintf(err, n, "%s has errors; the running configuration stays:",
				  d->cfg_path);
	if (eb.off >= n)
		eb.off = n - 1;
	dlog_tap_add(collect_errors, &eb);
	ret = cfg_load(d->cfg_path, &nc);
	dlog_tap_del(collect_errors, &eb);
	if (ret < 0) {
		sd_notify(0, "READY=1\nSTATUS=reload refused: the configuration has errors");
		return -EINVAL;
	}
	err[0] = 0;
	if (strcmp(nc->user, old->user) || strcmp(nc->group, old->group) ||
	    strcmp(nc->control_group, old->control_group) || strcmp(nc->control, old->control))
		ipx_warn("reload: user, group, control and control_group take effect at the next "
			 "start (running as %s:%s)", d->privs.user, d->privs.group);
	if (strcmp(nc->metrics_listen, old->metrics_listen))
		ipx_warn("reload: metrics.listen takes effect at the next start (serving %s)",
			 old->metrics_listen[0] ? old->metrics_listen : "no metrics");
	ike_mgr_set_config(d->ike, nc);
	d->cfg = nc;
	cfg_free(old);
	trap_routes(d);
	ipx_log_set_level(d->debug ? IPX_LOG_DEBUG : nc->log_level);   /* -d stays */
	ipx_info("configuration reloaded from %s: %u connections", d->cfg_path,
		 nc->n_conns);
	ike_mgr_start_all(d->ike);
	sd_notifyf(0, "READY=1\nSTATUS=%u connections, control %s", nc->n_conns, nc->control);
	*res = json_pack("{s:i}", "connections", nc->n_conns);
	return 0;
}

static int cmd_stats(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;
	struct ipx_caps caps;
	uint64_t drops[IPX_ST__COUNT];
	json_t *ed = json_object();
	unsigned long keys_ahead, keys_inline;
	json_t *ike = ike_mgr_stats_json(d->ike);

	(void)req;
	(void)err;
	(void)n;
	ipx_engine_caps(d->eng, &caps);
	ipx_engine_drops(d->eng, drops);
	for (int i = 1; i < IPX_ST__COUNT; i++)
		if (drops[i])
			json_object_set_new(ed, ipx_status_name(i), json_integer((json_int_t)drops[i]));
	ike_dhpool_counts(&keys_ahead, &keys_inline);
	if (ike) {
		json_object_set_new(ike, "dh_keys_made_ahead", json_integer((json_int_t)keys_ahead));
		json_object_set_new(ike, "dh_keys_made_inline", json_integer((json_int_t)keys_inline));
	}
	*res = json_pack("{s:o, s:o, s:{s:s, s:s, s:b, s:o}}",
			 "ike", ike,
			 "dataplane", ipx_dp_stats_json(d->dp),
			 "engine", "backend", caps.backend, "impl", caps.impl,
			 "hardware", caps.hardware, "drops_no_sa", ed);
	return 0;
}

/* ---- engine placement: `ipsecfx engine` ---- */

static json_t *engine_json(struct ipxd *d)
{
	struct ipx_caps caps;
	struct ipx_place_info pi;
	struct ipx_place_sa *sas = NULL;
	unsigned n;
	json_t *o, *list = json_array();

	ipx_engine_caps(d->eng, &caps);
	o = json_pack("{s:s, s:s, s:s, s:b}", "configured", d->cfg->engine, "backend",
		      caps.backend, "impl", caps.impl, "placement", ipx_place_is(d->eng));
	if (ipx_place_info(d->eng, &pi) == 0) {
		json_object_set_new(o, "card", json_pack(
			"{s:s, s:b, s:b, s:s, s:I, s:I, s:s}", "backend", pi.card, "serving",
			pi.card_serving, "healthy", pi.health.ok, "fault", ipx_fault_name(pi.health.fault),
			"faults", (json_int_t)pi.health.faults, "heartbeat",
			(json_int_t)pi.health.heartbeat, "why", pi.health.why));
		json_object_set_new(o, "fallbacks", json_integer((json_int_t)pi.fallbacks));
		json_object_set_new(o, "moves_back", json_integer((json_int_t)pi.moves_back));
		json_object_set_new(o, "last_fallback_us",
				    json_integer((json_int_t)pi.last_fallback_us));
		json_object_set_new(o, "seq_margin", json_integer((json_int_t)pi.seq_margin));
		json_object_set_new(o, "auto_back_s", json_integer(pi.auto_back_s));
		json_object_set_new(o, "sas_card", json_integer(pi.sas_card));
		json_object_set_new(o, "sas_soft", json_integer(pi.sas_soft));
		/* beyond the card's table: in software, counted */
		json_object_set_new(o, "card_max_sas", json_integer(pi.card_max_sas));
		json_object_set_new(o, "card_full", json_boolean(pi.card_full));
		json_object_set_new(o, "sas_soft_no_room", json_integer(pi.sas_soft_no_room));
		json_object_set_new(o, "card_full_sas", json_integer((json_int_t)pi.card_full_sas));
	}
	json_object_set_new(o, "software", json_pack("{s:s}", "backend", "soft"));
	json_object_set_new(o, "fault_injection", json_boolean(d->fault_injection));
	n = ipx_place_list(d->eng, NULL, 0);
	if (n)
		sas = calloc(n, sizeof(*sas));
	if (sas) {
		n = ipx_place_list(d->eng, sas, n);
		for (unsigned i = 0; i < n; i++) {
			char spi[16];
			const struct ipx_cipher_info *ci = ipx_cipher_info(sas[i].cipher);

			snprintf(spi, sizeof(spi), "%08x", sas[i].spi);
			json_array_append_new(list, json_pack(
				"{s:s, s:s, s:s, s:s, s:s}", "spi", spi, "dir",
				sas[i].dir ? "in" : "out", "cipher", ci ? ci->name : "?",
				"placement", sas[i].where == IPX_ON_CARD ? "card"
					     : sas[i].where == IPX_ON_SOFT ? "soft" : "none",
				"why", sas[i].why));
		}
		free(sas);
	}
	json_object_set_new(o, "sas", list);
	return o;
}

static int cmd_engine(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;
	const char *op = json_string_value(json_object_get(req, "op"));
	int ret;

	if (!op || strcmp(op, "show") == 0) {
		*res = engine_json(d);
		return 0;
	}
	if (strcmp(op, "move") == 0) {
		const char *to = json_string_value(json_object_get(req, "to"));
		const char *spis = json_string_value(json_object_get(req, "spi"));
		uint32_t spi = 0;
		unsigned moved = 0;
		char *end = NULL;

		if (!to || (strcmp(to, "soft") && strcmp(to, "card"))) {
			snprintf(err, n, "engine move needs \"to\": soft or card");
			return -EINVAL;
		}
		if (spis) {
			unsigned long v = strtoul(spis, &end, 16);

			if (!*spis || *end || v == 0 || v > UINT32_MAX) {
				snprintf(err, n, "'%s' is not an SPI (hex, e.g. c1a2b3d4)", spis);
				return -EINVAL;
			}
			spi = (uint32_t)v;
		}
		if (!ipx_place_is(d->eng)) {
			snprintf(err, n, "engine '%s' has no card: nothing to move", d->cfg->engine);
			return -EOPNOTSUPP;
		}
		ret = ipx_place_move(d->eng, to[0] == 'c' ? IPX_ON_CARD : IPX_ON_SOFT, spi, &moved);
		if (ret < 0) {
			snprintf(err, n, "move to %s: %s (see the daemon's log)", to, strerror(-ret));
			return ret;
		}
		ipx_info("engine: %u SAs moved to %s by `ipsecfx engine move`%s%s", moved, to,
			 spis ? " --sa " : "", spis ? spis : "");
		*res = json_pack("{s:s, s:i, s:o}", "to", to, "moved", moved, "engine",
				 engine_json(d));
		return 0;
	}
	if (strcmp(op, "fault") == 0) {
		const char *kind = json_string_value(json_object_get(req, "kind"));
		enum ipx_fault f = IPX_FAULT_NONE;

		if (!d->fault_injection) {
			snprintf(err, n, "fault injection is off: start ipsecfxd with "
				 "engine_fault_injection: true in %s (tests only)", d->cfg_path);
			return -EPERM;
		}
		if (kind && strcmp(kind, "stall") == 0)
			f = IPX_FAULT_STALL;
		else if (kind && strcmp(kind, "dma") == 0)
			f = IPX_FAULT_DMA;
		else if (kind && strcmp(kind, "reset") == 0)
			f = IPX_FAULT_RESET;
		if (f == IPX_FAULT_NONE) {
			snprintf(err, n, "engine fault needs \"kind\": stall, dma or reset");
			return -EINVAL;
		}
		ret = ipx_engine_inject_fault(d->eng, f);
		if (ret < 0) {
			snprintf(err, n, "engine '%s' cannot inject %s: %s", d->cfg->engine, kind,
				 strerror(-ret));
			return ret;
		}
		ipx_warn("engine: fault '%s' injected by `ipsecfx engine fault`", kind);
		*res = json_pack("{s:s}", "injected", kind);
		return 0;
	}
	snprintf(err, n, "engine: unknown op '%s' (show, move, fault)", op);
	return -EINVAL;
}

/* A card that faults with no traffic is noticed here (health check, and the
 * automatic move back when configured): an empty burst runs the placement
 * layer's housekeeping. */
static void on_engine_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ipxd *d = arg;

	(void)fd;
	(void)what;
	ipx_encrypt_burst(d->eng, NULL, 0);
}

static int cmd_export_keys(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	struct ipxd *d = arg;

	(void)req;
	*res = ike_mgr_export_keys(d->ike);
	if (!*res) {
		snprintf(err, n, "key export is off: set key_export: true in %s and reload "
			 "(keys are secrets: only for debugging)", d->cfg_path);
		return -EPERM;
	}
	ipx_warn("keys exported through the control socket");
	return 0;
}

/* ---- signals, start-up ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct ipxd *d = arg;
	json_t *res = NULL;
	char err[4096];

	(void)what;
	if (sig == SIGHUP) {
		dlog_reopen();   /* logrotate moved log_file */
		if (cmd_reload(d, NULL, &res, err, sizeof(err)) < 0)
			/* the first line: the errors themselves are logged */
			ipx_err("reload: %.*s", (int)strcspn(err, "\n"), err);
		json_decref(res);
		return;
	}
	ipx_info("signal %d: shutting down", (int)sig);
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(d->base);
}

/*
 * Into the background, the parent waiting for the verdict: it exits 0 when
 * the daemon has started (start_done), or with the daemon's exit status
 * when start-up failed, whose reasons the daemon wrote to the terminal.
 * Returns the write end of the status pipe in the daemon, -1 on failure.
 */
static int background(void)
{
	int p[2], st;
	pid_t pid;
	char ok;

	if (pipe2(p, O_CLOEXEC) < 0) {
		ipx_err("cannot go to the background: pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		ipx_err("cannot go to the background: fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		ssize_t r;

		close(p[1]);
		do
			r = read(p[0], &ok, 1);
		while (r < 0 && errno == EINTR);
		if (r == 1)
			_exit(0);
		/* start-up failed: the daemon said why and exits */
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) && WEXITSTATUS(st) ? WEXITSTATUS(st) : 1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		ipx_warn("chdir /: %s", strerror(errno));
	return p[1];
}

/* Tell the parent (or systemd: Type=notify, a no-op without
 * $NOTIFY_SOCKET) that start-up succeeded; stdio leaves the terminal (kept
 * as the log when it is the sink: syslog unreachable). */
static void start_done(int status_fd, const struct ipxd *d)
{
	char ok = 0;
	int fd;

	sd_notifyf(0, "READY=1\nMAINPID=%ld\nSTATUS=%u connections, control %s",
		   (long)getpid(), d->cfg->n_conns, d->cfg->control);

	if (status_fd < 0)
		return;   /* -f */
	dlog_tee_stderr(-1);
	if (write(status_fd, &ok, 1) < 0)
		ipx_warn("start-up status: %s", strerror(errno));
	close(status_fd);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (dlog_sink() != DLOG_STDERR)
		dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Where the log goes (dlog.h); -1 when log_file cannot be opened. */
static int log_sink(const struct ipxd *d, bool foreground)
{
	int ret;

	if (d->cfg->log_file[0]) {
		ret = dlog_use_file(d->cfg->log_file, d->privs.keep_root ? 0 : d->privs.uid,
				    d->privs.keep_root ? 0 : d->privs.gid);
		if (ret < 0) {
			ipx_err("log_file %s: %s", d->cfg->log_file, strerror(-ret));
			return -1;
		}
		if (foreground)
			dlog_tee_stderr(IPX_LOG_DEBUG);   /* -f shows it too */
		return 0;
	}
	if (foreground)
		return 0;
	ret = dlog_use_syslog();
	if (ret < 0)
		ipx_warn("syslog is unreachable (/dev/log: %s): logging to stderr; "
			 "set log_file: to keep a log", strerror(-ret));
	return 0;
}

/* The pid file (pid_file; in the background by default ipsecfxd.pid next
 * to the control socket, /run/ipsecfx/ipsecfxd.pid);
 * a live ipsecfxd in it refuses the start. */
static int write_pid_file(const char *path)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	long pid = 0;
	int fd, n;

	if (f) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 1 && pid != getpid() &&
		    kill((pid_t)pid, 0) == 0) {
			char comm[64] = "", cp[64];
			FILE *c;

			snprintf(cp, sizeof(cp), "/proc/%ld/comm", pid);
			c = fopen(cp, "r");
			if (c) {
				if (!fgets(comm, sizeof(comm), c))
					comm[0] = 0;
				fclose(c);
			}
			if (strncmp(comm, "ipsecfxd", 8) == 0) {
				fclose(f);
				ipx_err("another ipsecfxd runs (pid %ld in %s)", pid, path);
				return -1;
			}
		}
		fclose(f);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		ipx_err("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		ipx_err("pid_file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ipsecfxd [-c FILE] [-f] [-d] [-t]\n"
		"  -c, --config FILE  configuration (docs/config.md; default\n"
		"                     /etc/ipsecfx/ipsecfx.yaml)\n"
		"  -f, --foreground   stay in the foreground, log to stderr (default: the\n"
		"                     background, log to log_file: or syslog)\n"
		"  -d, --debug        debug logging\n"
		"  -t, --test         check the configuration and exit\n"
		"  -V, --version      print the version and exit\n"
		"  -h, --help         this text\n");
}

static struct ipx_addr *local_addrs(const struct cfg *c, unsigned *n)
{
	struct ipx_addr *v;
	unsigned total = 0, k = 0;

	for (unsigned i = 0; i < c->n_conns; i++) {
		if (!c->conns[i].n_local_addrs) {
			*n = 0;  /* someone needs the wildcard */
			return NULL;
		}
		total += c->conns[i].n_local_addrs;
	}
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v) {
		*n = 0;
		return NULL;
	}
	for (unsigned i = 0; i < c->n_conns; i++)
		for (unsigned j = 0; j < c->conns[i].n_local_addrs; j++) {
			struct ipx_dp_endpoint ep;
			bool dup = false;

			ss_to_ep(&c->conns[i].local_addrs[j], &ep);
			for (unsigned x = 0; x < k && !dup; x++)
				dup = memcmp(&v[x], &ep.addr, sizeof(ep.addr)) == 0;
			if (!dup)
				v[k++] = ep.addr;
		}
	*n = k;
	return v;
}

int main(int argc, char **argv)
{
	struct ipxd d;
	struct ipx_dp_config dpc;
	struct ipx_dp_callbacks cb;
	struct ipx_engine_config ec;
	struct ike_io io;
	const char *file = "/etc/ipsecfx/ipsecfx.yaml";
	bool foreground = false, debug = false, check = false;
	struct ipx_addr *locals = NULL;
	const char *pid_file = NULL;
	char pid_path[256] = "", abs[PATH_MAX];
	int c, ret = 1, status_fd = -1;

	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&d, 0, sizeof(d));
	while ((c = getopt_long(argc, argv, "c:fdtVh", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			file = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 't':
			check = true;
			break;
		case 'V':
			printf("ipsecfxd %s\n", IPSECFX_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipsecfxd: unexpected argument '%s' (the configuration is -c FILE)\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	/* the daemon leaves its directory: a reload reads the same file
	 * (-t names it as it was given, in plain "error: FILE:LINE: ..." lines) */
	if (!check) {
		if (realpath(file, abs))
			file = abs;
		dlog_init();
	}
	if (strlen(file) >= sizeof(d.cfg_path)) {
		fprintf(stderr, "ipsecfxd: %s: path too long\n", file);
		return 1;
	}
	snprintf(d.cfg_path, sizeof(d.cfg_path), "%s", file);
	file = d.cfg_path;
	if (cfg_load(file, &d.cfg) < 0)
		return 1;
	if (ipxd_privs_resolve(d.cfg, &d.privs) < 0) {
		cfg_free(d.cfg);
		return 1;
	}
	if (check) {
		/* what was wrong went to stderr, FILE:LINE first; warnings
		 * leave the file usable */
		printf("%s: OK, %u connection%s, %u warning%s\n", file, d.cfg->n_conns,
		       d.cfg->n_conns == 1 ? "" : "s", d.cfg->n_warnings,
		       d.cfg->n_warnings == 1 ? "" : "s");
		cfg_free(d.cfg);
		return 0;
	}
	d.debug = debug;
	ipx_log_set_level(debug ? IPX_LOG_DEBUG : d.cfg->log_level);
	if (!foreground) {
		status_fd = background();
		if (status_fd < 0)
			goto out;
		dlog_tee_stderr(IPX_LOG_WARN);   /* why start-up fails, on the terminal */
	}
	if (log_sink(&d, foreground) < 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	d.base = event_base_new();
	if (!d.base)
		goto out;

	memset(&ec, 0, sizeof(ec));
	ec.deadline_ms = d.cfg->engine_deadline_ms;
	if (strcmp(d.cfg->engine, "soft") != 0)
		ec.max_sas = d.cfg->engine_card_sas;   /* the card's, fewer than it has */
	if (ipx_engine_open(d.cfg->engine, &ec, &d.eng) < 0)
		goto out;
	{
		struct ipx_caps caps;

		ipx_engine_caps(d.eng, &caps);
		ipx_info("ESP engine: %s (%s)", caps.backend, caps.impl);
	}
	d.fault_injection = d.cfg->engine_fault_injection;
	if (d.fault_injection)
		ipx_warn("engine fault injection is on (engine_fault_injection: true): tests only");
	if (ipx_place_is(d.eng)) {
		struct ipx_place_opts po = {
			.seq_margin = d.cfg->engine_seq_margin,
			.auto_back_s = d.cfg->engine_auto_back_s,
		};
		struct timeval tv = { 0, 100000 };

		ipx_place_configure(d.eng, &po);
		d.engine_tick = event_new(d.base, -1, EV_PERSIST, on_engine_tick, &d);
		if (d.engine_tick)
			event_add(d.engine_tick, &tv);
	}

	memset(&dpc, 0, sizeof(dpc));
	dpc.tun_name = d.cfg->tun_name;
	dpc.mtu = d.cfg->tun_mtu;
	dpc.ike_port = d.cfg->ike_port;
	dpc.natt_port = d.cfg->natt_port;
	locals = local_addrs(d.cfg, &dpc.n_local);
	dpc.local = locals;
	if (ipx_dp_open(d.base, d.eng, &dpc, &d.dp) < 0) {
		ipx_err("data plane failed to start (TUN %s, ports %u/%u): see above",
			d.cfg->tun_name, d.cfg->ike_port, d.cfg->natt_port);
		goto out;
	}
	memset(&io, 0, sizeof(io));
	io.ctx = &d;
	io.send = io_send;
	io.child_up = io_child_up;
	io.child_down = io_child_down;
	io.child_rekeyed = io_child_rekeyed;
	io.child_retire = io_child_retire;
	io.child_moved = io_child_moved;
	io.keepalive = io_keepalive;
	io.spi_expect = io_spi_expect;
	io.event = io_event;
	io.rx_overflows = io_rx_overflows;
	d.ike = ike_mgr_new(d.base, d.eng, &io, d.cfg);
	if (!d.ike)
		goto out;
	d.inits = inits_new(d.base, d.ike);
	if (!d.inits)
		goto out;
	memset(&cb, 0, sizeof(cb));
	cb.ike = dp_ike;
	cb.acquire = dp_acquire;
	cb.event = dp_event;
	cb.arg = &d;
	ipx_dp_set_callbacks(d.dp, &cb);

	{
		struct ctl_owner own = {
			.uid = d.privs.keep_root ? 0 : d.privs.uid,
			.gid = d.privs.keep_root ? 0 : d.privs.gid,
			.group = d.privs.control_gid,
		};

		if (ctl_open(d.base, d.cfg->control, &own, &d.ctl) < 0)
			goto out;
	}
	if (metrics_open(d.base, d.cfg, d.ike, d.dp, d.eng, &d.metrics) < 0)
		goto out;
	/* a copy: a reload frees the configuration it came from; by default
	 * next to the control socket, in the directory ctl_open made */
	if (d.cfg->pid_file[0])
		snprintf(pid_path, sizeof(pid_path), "%s", d.cfg->pid_file);
	else if (!foreground) {
		const char *slash = strrchr(d.cfg->control, '/');
		int dir = slash ? (int)(slash - d.cfg->control) : 0;

		snprintf(pid_path, sizeof(pid_path), "%.*s/ipsecfxd.pid", dir, d.cfg->control);
	}
	pid_file = pid_path[0] ? pid_path : NULL;
	if (pid_file && write_pid_file(pid_file) < 0) {
		pid_file = NULL;
		goto out;
	}
	ctl_register_stream(d.ctl, "list-sas", cmd_list, &d);
	ctl_register(d.ctl, "list-certs", cmd_list_certs, &d);
	ctl_register(d.ctl, "list-conns", cmd_list_conns, &d);
	ctl_register_stream(d.ctl, "initiate", cmd_initiate, &d);
	ctl_register(d.ctl, "terminate", cmd_terminate, &d);
	ctl_register(d.ctl, "rekey", cmd_rekey, &d);
	ctl_register(d.ctl, "reload", cmd_reload, &d);
	ctl_register(d.ctl, "stats", cmd_stats, &d);
	ctl_register(d.ctl, "export-keys", cmd_export_keys, &d);
	ctl_register(d.ctl, "engine", cmd_engine, &d);

	d.sigs[0] = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.sigs[1] = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.sigs[2] = evsignal_new(d.base, SIGHUP, on_signal, &d);
	d.sigs[3] = evsignal_new(d.base, SIGCHLD, on_sigchld, &d);
	for (int i = 0; i < 4; i++)
		if (d.sigs[i])
			event_add(d.sigs[i], NULL);

	ipx_info("ipsecfxd %s started: %u connections from %s, TUN %s, control %s",
		 IPSECFX_VERSION, d.cfg->n_conns, file, ipx_dp_tun_name(d.dp),
		 d.cfg->control);
	trap_routes(&d);
	/* everything that needs privileges is open: from here on the
	 * daemon is its user, with CAP_NET_ADMIN for its routes */
	if (ipxd_privs_drop(&d.privs) < 0)
		goto out;
	/* key pairs made ahead on the second core (after the drop: a thread
	 * started before it would keep the old credentials' view) */
	ike_dhpool_start();
	ike_mgr_start_all(d.ike);
	start_done(status_fd, &d);
	status_fd = -1;
	event_base_dispatch(d.base);
	ret = 0;
out:
	if (d.ike) {
		ike_mgr_shutdown(d.ike);
		ike_mgr_free(d.ike);
	}
	ike_dhpool_stop();
	ctl_close(d.ctl);
	metrics_free(d.metrics);
	inits_free(d.inits);
	free(d.trap_routes);
	if (d.dp)
		ipx_dp_close(d.dp);
	if (d.engine_tick)
		event_free(d.engine_tick);
	ipx_engine_close(d.eng);
	for (int i = 0; i < 4; i++)
		if (d.sigs[i])
			event_free(d.sigs[i]);
	if (d.base)
		event_base_free(d.base);
	cfg_free(d.cfg);
	free(locals);
	if (pid_file && unlink(pid_file) < 0 && errno != ENOENT)
		ipx_info("pid_file %s stays (%s); the next start replaces it", pid_file,
			 strerror(errno));
	ipx_log(ret ? IPX_LOG_ERR : IPX_LOG_INFO, "ipsecfxd %s", ret ? "failed to start" : "stopped");
	dlog_close();
	return ret;
}
