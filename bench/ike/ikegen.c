/*
 * ikegen: IKEv2 set-ups against one responder, held, then torn down
 * (ikegen.h says what and how).
 *
 *   ikegen --tunnels N [--rate R] [--window W] [--hold S] [--json] ...
 *
 * Phases: set-up (N tunnels, at most W set-ups out at once, at most
 * --per-src from one source address, R started per second when given),
 * hold (S seconds, or until SIGUSR1: the responder's requests are
 * answered), teardown (a Delete of each IKE SA up, paced the same way, each
 * answer awaited).  SIGINT or SIGTERM stops at once and reports.
 *
 *   ikegen --tunnels N --no-auth ...         set-ups end with IKE_SA_INIT
 *   ikegen --tunnels N --child-churn K ...   K Child SAs made and deleted
 *                                            between set-up and hold
 *   ikegen --flood RATE [--seconds S]        spoofed IKE_SA_INITs only
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ikegen.h"

struct gen *G;

#define TICK_MS 5

uint64_t gen_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gen_log(const struct tun *t, const char *fmt, ...)
{
	va_list ap;

	if (!G->o.verbose)
		return;
	fprintf(stderr, "ikegen: tunnel %u: ", t->idx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ikegen --tunnels N [options]\n"
		"  --target ADDR        the responder (192.0.2.1), IKE port --port (500),\n"
		"                       NAT-T port --natt-port (4500)\n"
		"  --src ADDR           first source address (198.18.0.1); --src-count K\n"
		"                       consecutive ones (256), --ports P sockets each (2)\n"
		"                       from port --sport-base (20000)\n"
		"  --rate R             set-ups started per second (default: as the window allows)\n"
		"  --window W           set-ups (and Deletes) out at once (256)\n"
		"  --per-src H          set-ups out from one source address (2)\n"
		"  --hold S             seconds to hold the tunnels up (0); SIGUSR1 ends it\n"
		"  --group G            x25519 or p256 (x25519); --groups G1,G2 offers\n"
		"                       several, the first in KE\n"
		"  --psk KEY            the pre-shared key\n"
		"  --id fqdn|ipv4       our identity per tunnel (fqdn: tN.ikegen.example)\n"
		"  --ts-base ADDR       tunnel i protects ADDR + i + 1 (10.128.0.0)\n"
		"  --tsr SEL            what we ask for on the responder's side (0.0.0.0/0)\n"
		"  --rtx S, --rtx-tries K  first retransmission after S s (1), doubling,\n"
		"                       K retransmissions (2) before a timeout\n"
		"  --ready FILE         created when the set-up phase (and churn) is over\n"
		"  --no-auth            never send IKE_AUTH: leave the responder half-open\n"
		"                       IKE SAs (counted when IKE_SA_INIT is answered)\n"
		"  --child-churn K      after set-up, K times over the tunnels up: a Child SA\n"
		"                       made by CREATE_CHILD_SA and deleted (Delete ESP)\n"
		"  --churn-warmup W     --mark FILE is created after the first W of them\n"
		"  --flood RATE         nothing else: IKE_SA_INITs from random spoofed\n"
		"                       addresses of --flood-net (198.18.0.0/15, not --src's\n"
		"                       range) through a raw socket, RATE per second (0: as\n"
		"                       fast as it can) for --seconds S (until SIGINT/SIGTERM)\n"
		"  --json               one JSON object as the last line\n"
		"  -v, --verbose        every failure on stderr\n");
}

static int parse_group(const char *s, uint16_t *g)
{
	if (!strcmp(s, "x25519") || !strcmp(s, "curve25519"))
		*g = IKEV2_DH_CURVE25519;
	else if (!strcmp(s, "p256") || !strcmp(s, "ecp256"))
		*g = IKEV2_DH_ECP256;
	else if (!strcmp(s, "p384") || !strcmp(s, "ecp384"))
		*g = IKEV2_DH_ECP384;
	else
		return -EINVAL;
	return 0;
}

static int parse_groups(char *s, struct gen_opts *o)
{
	o->n_groups = 0;
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (o->n_groups == GEN_GROUPS_MAX || parse_group(tok, &o->groups[o->n_groups]) < 0)
			return -EINVAL;
		o->n_groups++;
	}
	return o->n_groups ? 0 : -EINVAL;
}

static int addr_opt(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -EINVAL;
}

static int net_opt(char *s, struct in_addr *a, unsigned *bits)
{
	char *slash = strchr(s, '/');

	if (!slash)
		return -EINVAL;
	*slash = '\0';
	*bits = (unsigned)atoi(slash + 1);
	return *bits >= 8 && *bits <= 32 ? addr_opt(s, a) : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	static const struct option lo[] = {
		{ "target", 1, 0, 't' }, { "port", 1, 0, 'P' }, { "natt-port", 1, 0, 'N' },
		{ "src", 1, 0, 's' }, { "src-count", 1, 0, 'c' }, { "ports", 1, 0, 'p' },
		{ "sport-base", 1, 0, 'B' }, { "tunnels", 1, 0, 'n' }, { "rate", 1, 0, 'r' },
		{ "window", 1, 0, 'w' }, { "per-src", 1, 0, 'H' }, { "hold", 1, 0, 'h' },
		{ "group", 1, 0, 'g' }, { "groups", 1, 0, 'g' }, { "psk", 1, 0, 'k' },
		{ "id", 1, 0, 'i' }, { "ts-base", 1, 0, 'T' }, { "tsr", 1, 0, 'R' },
		{ "rtx", 1, 0, 'x' }, { "rtx-tries", 1, 0, 'X' }, { "ready", 1, 0, 'y' },
		{ "json", 0, 0, 'j' }, { "verbose", 0, 0, 'v' }, { "help", 0, 0, '?' },
		{ "no-auth", 0, 0, 'A' }, { "child-churn", 1, 0, 'C' },
		{ "churn-warmup", 1, 0, 'W' }, { "mark", 1, 0, 'M' },
		{ "flood", 1, 0, 'F' }, { "seconds", 1, 0, 'S' }, { "flood-net", 1, 0, 'Z' },
		{ 0, 0, 0, 0 }
	};
	int c, bad = 0;

	addr_opt("192.0.2.1", &o->target);
	addr_opt("198.18.0.1", &o->src_base);
	addr_opt("10.128.0.0", &o->ts_base);
	addr_opt("198.18.0.0", &o->flood_net);
	o->flood_bits = 15;
	o->port = 500;
	o->natt_port = 4500;
	o->src_count = 256;
	o->ports = 2;
	o->sport_base = 20000;
	o->window = 256;
	o->per_src = 2;
	o->rtx_s = 1;
	o->rtx_tries = 2;
	o->groups[0] = IKEV2_DH_CURVE25519;
	o->n_groups = 1;
	o->psk = "0123456789abcdef0123456789abcdef";
	o->tsr = "0.0.0.0/0";
	while ((c = getopt_long(argc, argv, "v", lo, NULL)) != -1) {
		switch (c) {
		case 't': bad |= addr_opt(optarg, &o->target); break;
		case 'P': o->port = (uint16_t)atoi(optarg); break;
		case 'N': o->natt_port = (uint16_t)atoi(optarg); break;
		case 's': bad |= addr_opt(optarg, &o->src_base); break;
		case 'c': o->src_count = (unsigned)atoi(optarg); break;
		case 'p': o->ports = (unsigned)atoi(optarg); break;
		case 'B': o->sport_base = (unsigned)atoi(optarg); break;
		case 'n': o->tunnels = (unsigned)atoi(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'w': o->window = (unsigned)atoi(optarg); break;
		case 'H': o->per_src = (unsigned)atoi(optarg); break;
		case 'h': o->hold_s = atof(optarg); break;
		case 'g': bad |= parse_groups(optarg, o); break;
		case 'k': o->psk = optarg; break;
		case 'i': o->id_ipv4 = !strcmp(optarg, "ipv4");
			bad |= strcmp(optarg, "ipv4") && strcmp(optarg, "fqdn");
			break;
		case 'T': bad |= addr_opt(optarg, &o->ts_base); break;
		case 'R': o->tsr = optarg; break;
		case 'x': o->rtx_s = atof(optarg); break;
		case 'X': o->rtx_tries = (unsigned)atoi(optarg); break;
		case 'y': o->ready = optarg; break;
		case 'j': o->json = true; break;
		case 'v': o->verbose = true; break;
		case 'A': o->no_auth = true; break;
		case 'C': o->churn = (unsigned)atoi(optarg); break;
		case 'W': o->churn_warmup = (unsigned)atoi(optarg); break;
		case 'M': o->mark = optarg; break;
		case 'F': o->flood = atof(optarg); o->flooding = true; break;
		case 'S': o->flood_s = atof(optarg); break;
		case 'Z': bad |= net_opt(optarg, &o->flood_net, &o->flood_bits); break;
		default: usage(c == '?' && optopt == 0 ? stdout : stderr); return -EINVAL;
		}
	}
	if (o->flooding && !o->tunnels)
		o->tunnels = 1; /* unused: the flood sets nothing up */
	if (bad || optind != argc || !o->tunnels || !o->src_count || !o->ports ||
	    o->flood < 0 || (o->no_auth && o->churn) ||
	    !o->window || !o->per_src || o->rtx_s <= 0 || o->rate < 0 ||
	    o->sport_base + o->ports > 65536 || o->tunnels >= UINT32_MAX - 1) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static const char *group_kw(uint16_t g)
{
	return g == IKEV2_DH_CURVE25519 ? "x25519" : g == IKEV2_DH_ECP256 ? "ecp256" : "ecp384";
}

/* The proposals, as the daemon's configuration would spell them. */
static int proposals(void)
{
	char s[128], err[128];
	const char *why = NULL;
	int n = snprintf(s, sizeof(s), "aes256gcm16-prfsha256");

	for (unsigned i = 0; i < G->o.n_groups; i++)
		n += snprintf(s + n, sizeof(s) - (size_t)n, "-%s", group_kw(G->o.groups[i]));
	if (ike_prop_parse(s, IKEV2_PROTO_IKE, &G->ike_prop, err, sizeof(err)) < 0 ||
	    ike_prop_parse("aes256gcm16", IKEV2_PROTO_ESP, &G->esp_prop, err, sizeof(err)) < 0) {
		fprintf(stderr, "ikegen: %s\n", err);
		return -EINVAL;
	}
	ike_prop_to_sa(&G->ike_prop, 1, NULL, 0, &G->ike_sa_prop);
	if (ike_ts_parse(G->o.tsr, &G->tsr, &why) < 0) {
		fprintf(stderr, "ikegen: --tsr %s: %s\n", G->o.tsr, why ? why : "bad");
		return -EINVAL;
	}
	return gen_group(G->o.groups[0]) < 0 ? -EIO : 0;
}

/* ---- pacing ---- */

static struct gen_addr *pick_addr(unsigned *ai)
{
	unsigned n = G->o.src_count;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (G->addr_cursor + k) % n;

		if (G->addrs[i].half_open < G->o.per_src) {
			G->addr_cursor = i + 1;
			*ai = i;
			return &G->addrs[i];
		}
	}
	return NULL;
}

static bool start_one(void)
{
	struct tun *t = &G->t[G->next];
	struct gen_addr *a;
	unsigned ai;

	a = pick_addr(&ai);
	if (!a)
		return false;
	G->next++;
	t->sock = &G->socks[ai * G->o.ports + a->next_port++ % G->o.ports];
	a->half_open++;
	t->counted_half = true;
	G->in_flight++;
	G->st.started++;
	if (gen_setup_start(t) < 0)
		gen_fail(t, "cannot send IKE_SA_INIT");
	return true;
}

static bool delete_one(void)
{
	struct tun *t = &G->t[G->next++];

	if (t->state != T_UP)
		return true;
	G->in_flight++;
	if (gen_delete_start(t, false) < 0)
		gen_td_fail(t, "cannot send Delete");
	return true;
}

static void hold_over(evutil_socket_t fd, short what, void *arg);

static void setup_over(void)
{
	struct timeval tv;

	if (!G->st.t_setup_end_ns)
		G->st.t_setup_end_ns = gen_now_ns();
	if (G->o.churn && !G->churn_over) {
		/* the churn is part of the set-up phase: the hold follows */
		if (!G->churn_begun)
			gen_churn_begin();
		return;
	}
	if (G->o.ready) {
		int fd = open(G->o.ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0)
			close(fd);
	}
	tv.tv_sec = (time_t)G->o.hold_s;
	tv.tv_usec = (suseconds_t)((G->o.hold_s - (double)tv.tv_sec) * 1e6);
	evtimer_add(G->hold_ev, &tv);
}

void gen_pump(void)
{
	static bool pumping;

	if (pumping)
		return; /* a set-up failing at once calls back here */
	pumping = true;
	while (G->next < G->o.tunnels && G->in_flight < G->o.window &&
	       (G->o.rate == 0 || G->tokens >= 1)) {
		if (G->teardown ? !delete_one() : !start_one())
			break;
		if (G->o.rate > 0)
			G->tokens -= 1;
	}
	pumping = false;
	/* a phase is over when its last exchange is, failed set-ups' Deletes
	 * included: the responder is left holding nothing of ours */
	if (G->next < G->o.tunnels || G->in_flight || G->cleanups)
		return;
	if (!G->teardown) {
		if (!evtimer_pending(G->hold_ev, NULL) && !G->st.t_td0_ns)
			setup_over();
	} else if (!G->st.t_td_end_ns) {
		G->st.t_td_end_ns = gen_now_ns();
		event_base_loopexit(G->base, NULL);
	}
}

void gen_tunnel_done(struct tun *t)
{
	if (t->counted_half) {
		G->addrs[t->sock->addr].half_open--;
		t->counted_half = false;
		G->in_flight--;
	}
	gen_pump();
}

void gen_cleanup_done(struct tun *t)
{
	gen_request_done(t);
	t->state = T_FAILED;
	G->cleanups--;
	gen_pump();
}

void gen_teardown_done(struct tun *t)
{
	(void)t;
	G->in_flight--;
	gen_pump();
}

static void hold_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (G->teardown)
		return;
	G->teardown = true;
	G->next = 0;
	G->tokens = 1;
	G->st.t_td0_ns = gen_now_ns();
	gen_pump();
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = gen_now_ns();
	double cap = fmax(2, G->o.rate * 0.02);

	(void)fd;
	(void)what;
	(void)arg;
	/* a token bucket: R per second, a burst of 20 ms at most */
	G->tokens = fmin(cap, G->tokens + G->o.rate * (double)(now - G->t_tokens_ns) / 1e9);
	G->t_tokens_ns = now;
	gen_pump();
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	if (sig == SIGUSR1) {
		/* the hold ends now, if it runs */
		if (evtimer_pending(G->hold_ev, NULL)) {
			evtimer_del(G->hold_ev);
			hold_over(-1, 0, NULL);
		}
		return;
	}
	fprintf(stderr, "ikegen: stopped by signal %d\n", (int)sig);
	event_base_loopexit(G->base, NULL);
}

static int events(void)
{
	struct timeval tv = { 0, TICK_MS * 1000 };

	G->hold_ev = evtimer_new(G->base, hold_over, NULL);
	G->sigint = evsignal_new(G->base, SIGINT, on_signal, NULL);
	G->sigterm = evsignal_new(G->base, SIGTERM, on_signal, NULL);
	G->sigusr1 = evsignal_new(G->base, SIGUSR1, on_signal, NULL);
	if (!G->hold_ev || !G->sigint || !G->sigterm || !G->sigusr1 ||
	    evsignal_add(G->sigint, NULL) < 0 || evsignal_add(G->sigterm, NULL) < 0 ||
	    evsignal_add(G->sigusr1, NULL) < 0)
		return -ENOMEM;
	if (G->o.rate > 0) {
		G->tick = event_new(G->base, -1, EV_PERSIST, tick, NULL);
		if (!G->tick || event_add(G->tick, &tv) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void cleanup(void)
{
	if (G->t)
		for (unsigned i = 0; i < G->o.tunnels; i++)
			gen_tun_free(&G->t[i]);
	free(G->t);
	gen_net_close();
	for (unsigned i = 0; i < GEN_GROUPS_MAX; i++)
		ike_dh_free(G->dh[i]);
	if (G->tick)
		event_free(G->tick);
	if (G->hold_ev)
		event_free(G->hold_ev);
	if (G->sigint)
		event_free(G->sigint);
	if (G->sigterm)
		event_free(G->sigterm);
	if (G->sigusr1)
		event_free(G->sigusr1);
	if (G->base)
		event_base_free(G->base);
	free(G->st.lat_us);
	free(G->st.per_s);
	free(G);
}

int main(int argc, char **argv)
{
	int ret;

	signal(SIGPIPE, SIG_IGN);
	G = calloc(1, sizeof(*G));
	if (!G)
		return 2;
	if (parse_opts(argc, argv, &G->o) < 0) {
		free(G);
		return 2;
	}
	if (G->o.flooding) {
		ret = proposals();
		ret = ret < 0 ? 2 : gen_flood_run();
		cleanup();
		return ret;
	}
	G->t = calloc(G->o.tunnels, sizeof(*G->t));
	G->st.lat_us = calloc(G->o.tunnels, sizeof(*G->st.lat_us));
	G->base = event_base_new();
	ret = !G->t || !G->st.lat_us || !G->base ? -ENOMEM : proposals();
	if (ret == 0)
		ret = events();
	if (ret == 0)
		ret = gen_net_open();
	if (ret < 0) {
		cleanup();
		return 2;
	}
	for (unsigned i = 0; i < G->o.tunnels; i++)
		G->t[i].idx = i;
	G->st.t0_ns = G->t_tokens_ns = gen_now_ns();
	G->tokens = 1;
	gen_pump();
	event_base_dispatch(G->base);
	ret = gen_report();
	cleanup();
	return ret;
}
