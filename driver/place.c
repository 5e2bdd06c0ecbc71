/*
 * Placement and software fallback (ipsecfx/place.h): a card engine and the
 * software engine behind one engine handle.
 *
 * Each SA gets a handle of this layer; it records where the SA runs, its
 * handle there and its parameters including keys (so that it can be
 * installed on the other engine; wiped on delete and close).  Bursts are
 * split by placement, run on each engine, and every packet's result goes
 * back to its own slot, so order and one status per packet hold.
 *
 * Nonce safety: for every outbound SA on the card this layer keeps its own
 * upper bound on the next sequence number (the number at install or the last
 * healthy read-back, plus every packet handed to the card since) next to the
 * one the card backend answers; a fallback continues above the larger of the
 * two plus the margin.  Software state is exact (bursts are synchronous), so
 * a move from software to the card carries the next number as is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>
#include <ipsecfx/place.h>

#include "backend.h"
#include "card.h"
#include "place.h"
#include "soft/soft.h"

#define PL_EVQ_LEN 4096
#define PL_HEALTH_MS 20     /* card health polled at most this often */

struct pl_sa {
	bool used;
	bool no_room;               /* in software: the card was full */
	uint8_t where;              /* enum ipx_where */
	uint32_t h;                 /* handle in that engine */
	struct ipx_sa_params p;     /* incl. keys, to install elsewhere */
	char why[112];              /* why it runs where it runs */
	/* outbound on the card: this layer's own bound */
	struct ipx_seq_bound seq;
};

struct pl_map {                 /* engine handle -> this layer's handle */
	uint32_t *v;
	uint32_t n;
};

struct place {
	struct ipx_engine *card, *soft;
	char card_name[16];
	struct ipx_caps ccaps, scaps;
	bool card_serving;          /* false from a fault until moved back */
	struct pl_sa *sas;
	uint32_t nsas, cap;
	uint32_t *freev;            /* handles below nsas free again (a stack) */
	uint32_t nfree;
	bool card_full;             /* the last SA the card refused for room */
	uint64_t card_full_sas;     /* SAs that went to software for want of room */
	struct pl_map map[3];       /* indexed by enum ipx_where */
	struct ipx_evring events;
	uint64_t drops_bad_sa;
	struct ipx_place_opts o;
	uint64_t fallbacks, moves_back, last_fallback_us, last_fault_ms;
	uint64_t last_health_ms, last_sync_ms;
	/* burst scratch */
	struct ipx_pkt *sub;
	uint32_t *idx;
	uint8_t *where;          /* per packet of a burst: IPX_ON_* */
	unsigned scap;
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const char *where_name(uint8_t w)
{
	return w == IPX_ON_CARD ? "card" : w == IPX_ON_SOFT ? "soft" : "none";
}

static struct ipx_engine *eng_of(struct place *pl, uint8_t w)
{
	return w == IPX_ON_CARD ? pl->card : pl->soft;
}

/* ---- handle maps */

static int map_set(struct pl_map *m, uint32_t h, uint32_t v)
{
	if (h == IPX_SA_NONE)
		return -EINVAL;
	if (h >= m->n) {
		uint32_t n = m->n ? m->n : 64;

		while (n <= h)
			n *= 2;
		uint32_t *nv = realloc(m->v, n * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		memset(nv + m->n, 0xff, (n - m->n) * sizeof(*nv));
		m->v = nv;
		m->n = n;
	}
	m->v[h] = v;
	return 0;
}

static uint32_t map_get(const struct pl_map *m, uint32_t h)
{
	return h < m->n ? m->v[h] : IPX_SA_NONE;
}

static struct pl_sa *get_sa(struct place *pl, uint32_t h)
{
	return h < pl->nsas && pl->sas[h].used ? &pl->sas[h] : NULL;
}

/* ---- events */

static void ev_push(struct place *pl, const struct ipx_event *ev)
{
	ipx_evring_push(&pl->events, ev);
}

static void ev_sa(struct place *pl, uint32_t h, enum ipx_event_type type)
{
	const struct pl_sa *sa = &pl->sas[h];
	struct ipx_event ev = {
		.type = type, .sa = h, .spi = sa->p.spi, .dir = sa->p.dir, .user = sa->p.user,
	};

	ev_push(pl, &ev);
}

static void fallback(struct place *pl, const char *trigger);

/* Take an engine's events into ours, handles translated. */
static void pull_events(struct place *pl, uint8_t w)
{
	struct ipx_event ev[32];
	unsigned n;

	while ((n = ipx_events(eng_of(pl, w), ev, 32)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (ev[i].sa != IPX_SA_NONE)
				ev[i].sa = map_get(&pl->map[w], ev[i].sa);
			ev_push(pl, &ev[i]);
			if (w == IPX_ON_CARD && ev[i].type == IPX_EV_ENGINE_FAULT &&
			    pl->card_serving)
				fallback(pl, "the card reported a fault");
		}
		if (n < 32)
			break;
	}
}

/* ---- what the card can serve */

static bool card_can(const struct place *pl, const struct ipx_sa_params *p, char *why,
		     size_t n)
{
	const struct ipx_caps *c = &pl->ccaps;
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);

#define LACKS(what)                                                          \
	do {                                                                 \
		snprintf(why, n, "card %s lacks %s", c->backend, what);    \
		return false;                                                \
	} while (0)
	if (!ci || !(c->ciphers & (1u << p->cipher)))
		LACKS(ci ? ci->name : "the cipher");
	if (p->mode == IPX_MODE_TRANSPORT && !c->transport_mode)
		LACKS("transport mode");
	if ((p->src.family == AF_INET6 || p->dst.family == AF_INET6) && !c->ipv6_outer)
		LACKS("IPv6 outer headers");
	if (p->encap_sport && !c->udp_encap)
		LACKS("UDP encapsulation");
	if (p->esn && !c->esn)
		LACKS("ESN");
	if (p->tfc_pad && !c->tfc)
		LACKS("TFC padding");
	if (p->dir == IPX_DIR_IN && p->replay_window &&
	    (p->replay_window < c->replay_window_min || p->replay_window > c->replay_window_max))
		LACKS("this replay window size");
#undef LACKS
	snprintf(why, n, "on the card");
	return true;
}

/* ---- moving one SA */

static uint64_t seq_max(const struct ipx_sa_params *p)
{
	return p->esn ? UINT64_MAX : UINT32_MAX;
}

/* Install SA h on engine `to` with state st, then forget it on its current
 * engine (skipped on a faulted card: recover() empties it).  On failure the
 * SA stays where it was. */
static int install(struct place *pl, uint32_t h, uint8_t to, const struct ipx_sa_state *st,
		   bool delete_old)
{
	struct pl_sa *sa = &pl->sas[h];
	struct ipx_sa_params q = sa->p;
	uint32_t nh;
	int ret;

	if (q.dir == IPX_DIR_OUT)
		q.seq = st->seq;
	else
		q.seq = st->seq + 1;   /* the window's top is just below it */
	if (q.dir == IPX_DIR_OUT && q.seq > seq_max(&q))
		q.seq = seq_max(&q);
	ret = ipx_sa_add(eng_of(pl, to), &q, &nh);
	OPENSSL_cleanse(&q, sizeof(q));
	if (ret == 0)
		ret = ipx_sa_set_state(eng_of(pl, to), nh, st);
	if (ret == 0)
		ret = map_set(&pl->map[to], nh, h);
	if (ret < 0) {
		if (nh != IPX_SA_NONE)
			ipx_sa_delete(eng_of(pl, to), nh);
		return ret;
	}
	if (delete_old)
		ipx_sa_delete(eng_of(pl, sa->where), sa->h);
	map_set(&pl->map[sa->where], sa->h, IPX_SA_NONE);
	sa->where = to;
	sa->h = nh;
	if (to == IPX_ON_CARD) {
		ipx_seq_bound_set(&sa->seq, st->seq);
		sa->no_room = false;
	}
	return 0;
}

/* Every SA on the card to software, carrying state: the card has faulted. */
static void fallback(struct place *pl, const char *trigger)
{
	uint64_t t0 = mono_us();
	struct ipx_health hl;
	char names[480];
	size_t off = 0;
	unsigned moved = 0, lost = 0;

	if (!pl->card_serving)
		return;
	pl->card_serving = false;
	pl->fallbacks++;
	pl->last_fault_ms = t0 / 1000;
	ipx_engine_health(pl->card, &hl);
	names[0] = 0;
	for (uint32_t h = 0; h < pl->nsas; h++) {
		struct pl_sa *sa = &pl->sas[h];
		struct ipx_sa_state st;
		uint64_t from = 0;
		int ret;

		if (!sa->used || sa->where != IPX_ON_CARD)
			continue;
		ret = ipx_sa_query(pl->card, sa->h, &st);
		if (ret < 0) {
			/* the card knows nothing: our own bound, counters lost */
			memset(&st, 0, sizeof(st));
			st.replay_window = sa->p.dir == IPX_DIR_IN ? sa->p.replay_window : 0;
			st.seq = sa->p.dir == IPX_DIR_OUT ? 0 : (sa->p.seq ? sa->p.seq - 1 : 0);
		}
		if (sa->p.dir == IPX_DIR_OUT) {
			bool none, exhausted;

			/* above everything the card could have used, plus the margin */
			from = ipx_seq_bound_next(&sa->seq, st.seq, 0, sa->p.esn, &none);
			st.seq = ipx_seq_bound_next(&sa->seq, st.seq, pl->o.seq_margin, sa->p.esn,
						    &exhausted);
			st.seq_exhausted |= exhausted;
		}
		ret = install(pl, h, IPX_ON_SOFT, &st, false);
		if (ret < 0) {
			ipx_err("engine: SA %08x (%s) could not move to software: %s; its "
				"packets are dropped", sa->p.spi, sa->p.dir ? "in" : "out",
				strerror(-ret));
			map_set(&pl->map[IPX_ON_CARD], sa->h, IPX_SA_NONE);
			sa->where = IPX_ON_NONE;
			sa->h = IPX_SA_NONE;
			snprintf(sa->why, sizeof(sa->why), "lost in the fallback");
			lost++;
			continue;
		}
		snprintf(sa->why, sizeof(sa->why), "fallback: %s", hl.why[0] ? hl.why : trigger);
		ev_sa(pl, h, IPX_EV_FALLBACK);
		moved++;
		if (off < sizeof(names) - 48) {
			int k = sa->p.dir == IPX_DIR_OUT
					? snprintf(names + off, sizeof(names) - off,
						   "%s%08x out seq %llu->%llu", off ? ", " : "",
						   sa->p.spi, (unsigned long long)from,
						   (unsigned long long)st.seq)
					: snprintf(names + off, sizeof(names) - off,
						   "%s%08x in top %llu", off ? ", " : "", sa->p.spi,
						   (unsigned long long)st.seq);

			off += k > 0 ? (size_t)k : 0;
			if (off >= sizeof(names))
				off = sizeof(names) - 1;
		}
	}
	pl->last_fallback_us = mono_us() - t0;
	ipx_warn("engine: card %s fault (%s; %s): %u SAs moved to software in %llu us%s%s%s",
		 pl->card_name, hl.why[0] ? hl.why : "unknown", trigger, moved,
		 (unsigned long long)pl->last_fallback_us, moved ? ": " : "", names,
		 lost ? "; some SAs lost, see above" : "");
}

/* Make the card serve again: recover it when it faulted. */
static int card_ready(struct place *pl)
{
	struct ipx_health hl;
	int ret;

	if (pl->card_serving)
		return 0;
	ret = ipx_engine_recover(pl->card);
	if (ret < 0) {
		ipx_err("engine: card %s did not recover: %s", pl->card_name, strerror(-ret));
		return ret;
	}
	ipx_engine_health(pl->card, &hl);
	if (!hl.ok) {
		ipx_err("engine: card %s still unhealthy after recovery: %s", pl->card_name,
			hl.why);
		return -EIO;
	}
	/* any SA the card still had is gone after recover(): forget the map */
	for (uint32_t i = 0; i < pl->map[IPX_ON_CARD].n; i++)
		pl->map[IPX_ON_CARD].v[i] = IPX_SA_NONE;
	pl->card_serving = true;
	ipx_info("engine: card %s recovered and serving", pl->card_name);
	return 0;
}

static int move_sas(struct place *pl, uint8_t to, uint32_t spi, unsigned *moved)
{
	unsigned n = 0;
	int ret = 0, first_err = 0;

	if (to == IPX_ON_CARD && (ret = card_ready(pl)) < 0)
		return ret;
	for (uint32_t h = 0; h < pl->nsas; h++) {
		struct pl_sa *sa = &pl->sas[h];
		struct ipx_sa_state st;
		char why[112];

		if (!sa->used || sa->where == to || sa->where == IPX_ON_NONE ||
		    (spi && sa->p.spi != spi))
			continue;
		if (to == IPX_ON_CARD && !card_can(pl, &sa->p, why, sizeof(why)))
			continue;
		ret = ipx_sa_query(eng_of(pl, sa->where), sa->h, &st);
		if (ret < 0) {
			if (!first_err)
				first_err = ret;
			continue;
		}
		if (sa->where == IPX_ON_CARD && sa->p.dir == IPX_DIR_OUT) {
			bool exhausted;

			/* never below our bound */
			st.seq = ipx_seq_bound_next(&sa->seq, st.seq, 0, sa->p.esn, &exhausted);
			st.seq_exhausted |= exhausted;
		}
		ret = install(pl, h, to, &st, true);
		if (ret < 0) {
			ipx_err("engine: SA %08x could not move to %s: %s", sa->p.spi,
				where_name(to), strerror(-ret));
			if (!first_err)
				first_err = ret;
			continue;
		}
		snprintf(sa->why, sizeof(sa->why), "moved to %s by hand", where_name(to));
		if (to == IPX_ON_CARD)
			pl->moves_back++;
		ipx_info("engine: SA %08x (%s) moved to %s, %s %llu", sa->p.spi,
			 sa->p.dir ? "in" : "out", where_name(to),
			 sa->p.dir ? "window top" : "next seq", (unsigned long long)st.seq);
		n++;
	}
	if (moved)
		*moved = n;
	return first_err;
}

/* Health poll (rate limited), inbound window read-back, automatic move back. */
static void housekeeping(struct place *pl)
{
	uint64_t now = mono_us() / 1000;

	if (pl->card_serving && now - pl->last_health_ms >= PL_HEALTH_MS) {
		struct ipx_health hl;

		pl->last_health_ms = now;
		if (ipx_engine_health(pl->card, &hl) == 0 && !hl.ok) {
			pull_events(pl, IPX_ON_CARD);
			fallback(pl, "the health check failed");
		}
	}
	if (pl->card_serving && now - pl->last_sync_ms >= pl->o.sync_ms) {
		/* what a fallback carries for inbound SAs: a recent window */
		pl->last_sync_ms = now;
		for (uint32_t h = 0; h < pl->nsas; h++) {
			struct pl_sa *sa = &pl->sas[h];
			struct ipx_sa_state st;

			if (sa->used && sa->where == IPX_ON_CARD &&
			    ipx_sa_query(pl->card, sa->h, &st) == 0 && sa->p.dir == IPX_DIR_OUT)
				ipx_seq_bound_sync(&sa->seq, st.seq);  /* healthy read-back */
		}
	}
	if (!pl->card_serving && pl->o.auto_back_s &&
	    now - pl->last_fault_ms >= (uint64_t)pl->o.auto_back_s * 1000) {
		unsigned n = 0;

		if (move_sas(pl, IPX_ON_CARD, 0, &n) == 0)
			ipx_info("engine: %u SAs moved back to card %s automatically", n,
				 pl->card_name);
		else
			pl->last_fault_ms = now;  /* try again later */
	}
}

/* ---- open, close, caps */

static void place_close(void *priv)
{
	struct place *pl = priv;

	if (!pl)
		return;
	ipx_engine_close(pl->card);
	ipx_engine_close(pl->soft);
	if (pl->sas)
		OPENSSL_cleanse(pl->sas, pl->cap * sizeof(*pl->sas));
	free(pl->sas);
	free(pl->freev);
	for (int i = 0; i < 3; i++)
		free(pl->map[i].v);
	free(pl->sub);
	free(pl->idx);
	free(pl->where);
	ipx_evring_free(&pl->events);
	free(pl);
}

int place_open(const char *card, const struct ipx_engine_config *cfg, void **priv)
{
	struct place *pl = calloc(1, sizeof(*pl));
	struct ipx_engine_config sc = *cfg;
	int ret;

	if (!pl)
		return -ENOMEM;
	if (ipx_evring_init(&pl->events, PL_EVQ_LEN) < 0) {
		free(pl);
		return -ENOMEM;
	}
	snprintf(pl->card_name, sizeof(pl->card_name), "%s", card);
	ret = ipx_engine_open_direct(card, cfg, &pl->card);
	if (ret == 0) {
		sc.device = NULL;
		sc.max_sas = 0;   /* max_sas is the card's; software takes the rest */
		ret = ipx_engine_open_direct("soft", &sc, &pl->soft);
	}
	if (ret < 0) {
		place_close(pl);
		return ret;
	}
	ipx_engine_caps(pl->card, &pl->ccaps);
	ipx_engine_caps(pl->soft, &pl->scaps);
	pl->card_serving = true;
	pl->o.seq_margin = IPX_PLACE_MARGIN;
	pl->o.sync_ms = 1000;
	*priv = pl;
	return 0;
}

struct ipx_engine *place_card_engine(void *priv)
{
	return ((struct place *)priv)->card;
}

static void place_caps(void *priv, struct ipx_caps *c)
{
	struct place *pl = priv;

	/* what the pair serves: software's reach, the card's name */
	*c = pl->scaps;
	c->backend = pl->ccaps.backend;
	c->hardware = true;
	c->ciphers |= pl->ccaps.ciphers;
	snprintf(c->impl, sizeof(c->impl), "card %.8s, software fallback (%.24s)",
		 pl->card_name, pl->scaps.impl);
}

/* ---- SAs */

static int place_sa_add(void *priv, const struct ipx_sa_params *p, uint32_t *out)
{
	struct place *pl = priv;
	struct pl_sa *sa;
	uint32_t h;
	uint8_t w = IPX_ON_SOFT;
	char why[112];
	int ret;

	/* a freed handle, else a new one at the end: O(1) at any count */
	h = pl->nfree ? pl->freev[--pl->nfree] : pl->nsas;
	if (h == pl->nsas) {
		if (pl->nsas == pl->cap) {
			/* at most what the two engines hold together */
			uint64_t lim = (uint64_t)pl->scaps.max_sas + pl->ccaps.max_sas;
			uint64_t want = pl->cap ? (uint64_t)pl->cap * 2 : 64;
			uint32_t ncap = (uint32_t)(want < lim ? want : lim);
			struct pl_sa *ns;
			uint32_t *nf;

			if (ncap <= pl->cap)
				return -ENOSPC;

			ns = calloc(ncap, sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			/* room for every handle to be freed */
			nf = realloc(pl->freev, ncap * sizeof(*nf));
			if (!nf) {
				free(ns);
				return -ENOMEM;
			}
			pl->freev = nf;
			if (pl->sas) {
				memcpy(ns, pl->sas, pl->cap * sizeof(*ns));
				OPENSSL_cleanse(pl->sas, pl->cap * sizeof(*pl->sas));
				free(pl->sas);
			}
			pl->sas = ns;
			pl->cap = ncap;
		}
		pl->nsas++;
	}
	sa = &pl->sas[h];
	memset(sa, 0, sizeof(*sa));
	if (!pl->card_serving)
		snprintf(why, sizeof(why), "card %s faulted", pl->card_name);
	else if (card_can(pl, p, why, sizeof(why)))
		w = IPX_ON_CARD;
	ret = ipx_sa_add(eng_of(pl, w), p, &sa->h);
	if (ret == -ENOSPC && w == IPX_ON_CARD) {
		/* beyond the card's table: software, counted; said once per
		 * spell (not once per SA: at scale that is thousands of
		 * lines), and again when card SAs are deleted and new ones
		 * find room */
		snprintf(why, sizeof(why), "card %s full (%u SAs each way)", pl->card_name,
			 pl->ccaps.max_sas);
		pl->card_full_sas++;
		if (!pl->card_full)
			ipx_warn("engine: card %s full (%u SAs each way): new SAs run in software "
				 "until card SAs are deleted (`ipsecfx engine` counts them)",
				 pl->card_name, pl->ccaps.max_sas);
		pl->card_full = true;
		sa->no_room = true;
		w = IPX_ON_SOFT;
		ret = ipx_sa_add(pl->soft, p, &sa->h);
	} else if (ret < 0 && w == IPX_ON_CARD) {
		snprintf(why, sizeof(why), "card %s refused it: %s", pl->card_name,
			 strerror(-ret));
		w = IPX_ON_SOFT;
		ret = ipx_sa_add(pl->soft, p, &sa->h);
	} else if (ret == 0 && w == IPX_ON_CARD && pl->card_full) {
		ipx_info("engine: card %s has room again: new SAs go to it", pl->card_name);
		pl->card_full = false;
	}
	if (ret == 0) {
		ret = map_set(&pl->map[w], sa->h, h);
		if (ret < 0)
			ipx_sa_delete(eng_of(pl, w), sa->h);
	}
	if (ret < 0) {
		if (h == pl->nsas - 1)
			pl->nsas--;
		else
			pl->freev[pl->nfree++] = h;
		return ret;
	}
	sa->used = true;
	sa->where = w;
	sa->p = *p;
	ipx_seq_bound_set(&sa->seq, p->seq ? p->seq : 1);
	snprintf(sa->why, sizeof(sa->why), "%s", why);
	if (w == IPX_ON_SOFT && !pl->card_full)
		ipx_info("engine: SA %08x (%s, %s) in software: %s", p->spi,
			 p->dir ? "in" : "out", ipx_cipher_info(p->cipher)->name, why);
	else
		ipx_dbg("engine: SA %08x (%s) on card %s", p->spi, p->dir ? "in" : "out",
			  pl->card_name);
	*out = h;
	return 0;
}

static int place_sa_update(void *priv, uint32_t h, unsigned mask,
			   const struct ipx_sa_params *p)
{
	struct place *pl = priv;
	struct pl_sa *sa = get_sa(pl, h);
	int ret;

	if (!sa || sa->where == IPX_ON_NONE)
		return -ENOENT;
	ret = ipx_sa_update(eng_of(pl, sa->where), sa->h, mask, p);
	if (ret < 0)
		return ret;
	if (mask & IPX_UPD_ADDRS) {
		sa->p.src = p->src;
		sa->p.dst = p->dst;
		sa->p.encap_sport = p->encap_sport;
		sa->p.encap_dport = p->encap_dport;
	}
	if (mask & IPX_UPD_LIFETIME) {
		sa->p.soft = p->soft;
		sa->p.hard = p->hard;
	}
	if (mask & IPX_UPD_USER)
		sa->p.user = p->user;
	return 0;
}

static int place_sa_delete(void *priv, uint32_t h)
{
	struct place *pl = priv;
	struct pl_sa *sa = get_sa(pl, h);
	int ret = 0;

	if (!sa)
		return -ENOENT;
	if (sa->where != IPX_ON_NONE) {
		ret = ipx_sa_delete(eng_of(pl, sa->where), sa->h);
		map_set(&pl->map[sa->where], sa->h, IPX_SA_NONE);
	}
	OPENSSL_cleanse(sa, sizeof(*sa));
	pl->freev[pl->nfree++] = h;
	return ret;
}

static int place_sa_query(void *priv, uint32_t h, struct ipx_sa_state *st)
{
	struct place *pl = priv;
	struct pl_sa *sa = get_sa(pl, h);
	int ret;

	if (!sa || sa->where == IPX_ON_NONE)
		return -ENOENT;
	ret = ipx_sa_query(eng_of(pl, sa->where), sa->h, st);
	if (ret == 0 && sa->where == IPX_ON_CARD && sa->p.dir == IPX_DIR_OUT && pl->card_serving)
		ipx_seq_bound_sync(&sa->seq, st->seq);
	return ret;
}

static int place_sa_set_state(void *priv, uint32_t h, const struct ipx_sa_state *st)
{
	struct place *pl = priv;
	struct pl_sa *sa = get_sa(pl, h);
	int ret;

	if (!sa || sa->where == IPX_ON_NONE)
		return -ENOENT;
	ret = ipx_sa_set_state(eng_of(pl, sa->where), sa->h, st);
	if (ret == 0 && sa->where == IPX_ON_CARD && sa->p.dir == IPX_DIR_OUT)
		ipx_seq_bound_set(&sa->seq, st->seq);
	return ret;
}

static uint32_t place_lookup(void *priv, uint32_t spi)
{
	struct place *pl = priv;
	uint32_t h = ipx_sa_lookup(pl->soft, spi);

	if (h != IPX_SA_NONE)
		return map_get(&pl->map[IPX_ON_SOFT], h);
	if (!pl->card_serving)
		return IPX_SA_NONE;
	h = ipx_sa_lookup(pl->card, spi);
	return h == IPX_SA_NONE ? IPX_SA_NONE : map_get(&pl->map[IPX_ON_CARD], h);
}

/* ---- bursts */

static int scratch(struct place *pl, unsigned n)
{
	if (n <= pl->scap)
		return 0;
	struct ipx_pkt *s = realloc(pl->sub, n * sizeof(*s));

	if (!s)
		return -ENOMEM;
	pl->sub = s;
	uint32_t *ix = realloc(pl->idx, n * sizeof(*ix));

	if (!ix)
		return -ENOMEM;
	pl->idx = ix;
	uint8_t *w = realloc(pl->where, n);

	if (!w)
		return -ENOMEM;
	pl->where = w;
	pl->scap = n;
	return 0;
}

static bool bad_buffer(const struct ipx_pkt *p)
{
	return !p->buf || p->off > p->buf_len || p->len > p->buf_len - p->off || p->len == 0;
}

/* The engine an inbound packet belongs to. */
static uint8_t rx_where(struct place *pl, const struct ipx_pkt *p)
{
	struct esp_outer o;

	if (!pl->card_serving || bad_buffer(p) || esp_parse_outer(p, &o) != IPX_ST_OK)
		return IPX_ON_SOFT;  /* which gives the precise status */
	if (ipx_sa_lookup(pl->soft, o.spi) != IPX_SA_NONE)
		return IPX_ON_SOFT;
	return ipx_sa_lookup(pl->card, o.spi) != IPX_SA_NONE ? IPX_ON_CARD : IPX_ON_SOFT;
}

/* Marks the packets of a burst that run in software after the card failed. */
#define PL_SOFT_AGAIN 3

/* Run the packets of pkts marked sel; -EIO from the card leaves them
 * untouched for the caller. */
static int run_part(struct place *pl, struct ipx_pkt *pkts, unsigned n, uint8_t sel, bool enc,
		    const uint8_t *where)
{
	uint8_t w = sel == IPX_ON_CARD ? IPX_ON_CARD : IPX_ON_SOFT;
	unsigned m = 0;
	int ret;

	for (unsigned i = 0; i < n; i++) {
		if (where[i] != sel)
			continue;
		pl->idx[m] = i;
		pl->sub[m] = pkts[i];
		if (enc) {
			struct pl_sa *sa = &pl->sas[pkts[i].sa];

			pl->sub[m].sa = sa->h;
			if (w == IPX_ON_CARD && sa->p.dir == IPX_DIR_OUT)
				ipx_seq_bound_handed(&sa->seq, 1);
		}
		m++;
	}
	if (!m)
		return 0;
	ret = enc ? ipx_encrypt_burst(eng_of(pl, w), pl->sub, m)
		  : ipx_decrypt_burst(eng_of(pl, w), pl->sub, m);
	if (ret < 0)
		return ret;
	for (unsigned k = 0; k < m; k++) {
		struct ipx_pkt *d = &pkts[pl->idx[k]];
		const struct ipx_pkt *s = &pl->sub[k];

		d->off = s->off;
		d->len = s->len;
		d->status = s->status;
		d->esp_off = s->esp_off;
		if (!enc)
			d->sa = s->sa == IPX_SA_NONE ? IPX_SA_NONE : map_get(&pl->map[w], s->sa);
	}
	return 0;
}

static int place_burst(struct place *pl, struct ipx_pkt *pkts, unsigned n, bool enc)
{
	uint8_t *where;
	int ret;

	housekeeping(pl);
	if (!n)
		return 0;
	/* grows to the largest burst once; no allocation after that */
	ret = scratch(pl, n);
	if (ret < 0)
		return ret;
	where = pl->where;
	for (unsigned i = 0; i < n; i++) {
		if (enc) {
			struct pl_sa *sa = get_sa(pl, pkts[i].sa);

			if (!sa || sa->where == IPX_ON_NONE || sa->p.dir != IPX_DIR_OUT) {
				where[i] = IPX_ON_NONE;
				pkts[i].status = IPX_ST_BAD_SA;
				pl->drops_bad_sa++;
				continue;
			}
			where[i] = sa->where;
		} else {
			where[i] = rx_where(pl, &pkts[i]);
		}
	}
	ret = run_part(pl, pkts, n, IPX_ON_SOFT, enc, where);
	if (ret == 0 && pl->card_serving) {
		ret = run_part(pl, pkts, n, IPX_ON_CARD, enc, where);
		if (ret < 0) {
			/* the card failed this burst: everything to software, and
			 * these packets again there (their SAs now live there) */
			pull_events(pl, IPX_ON_CARD);
			fallback(pl, ret == -EIO ? "a burst failed" : strerror(-ret));
			for (unsigned i = 0; i < n; i++) {
				if (where[i] != IPX_ON_CARD)
					continue;
				if (enc) {
					struct pl_sa *sa = &pl->sas[pkts[i].sa];

					if (sa->where != IPX_ON_SOFT) {
						where[i] = IPX_ON_NONE;
						pkts[i].status = IPX_ST_ENGINE_FAULT;
						continue;
					}
				}
				where[i] = PL_SOFT_AGAIN;
			}
			ret = run_part(pl, pkts, n, PL_SOFT_AGAIN, enc, where);
		}
	} else if (ret == 0) {
		/* a fault between the split and now: the card's share to soft */
		for (unsigned i = 0; i < n; i++)
			if (where[i] == IPX_ON_CARD)
				where[i] = PL_SOFT_AGAIN;
		ret = run_part(pl, pkts, n, PL_SOFT_AGAIN, enc, where);
	}
	pull_events(pl, IPX_ON_SOFT);
	if (pl->card_serving)
		pull_events(pl, IPX_ON_CARD);
	return ret < 0 ? ret : (int)n;
}

static int place_encrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return place_burst(priv, pkts, n, true);
}

static int place_decrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return place_burst(priv, pkts, n, false);
}

static unsigned place_events(void *priv, struct ipx_event *ev, unsigned max)
{
	struct place *pl = priv;

	housekeeping(pl);
	pull_events(pl, IPX_ON_SOFT);
	pull_events(pl, IPX_ON_CARD);
	return ipx_evring_pop(&pl->events, ev, max);
}

static void place_drops(void *priv, uint64_t drops[IPX_ST__COUNT])
{
	struct place *pl = priv;
	uint64_t d[IPX_ST__COUNT];

	ipx_engine_drops(pl->soft, drops);
	ipx_engine_drops(pl->card, d);
	for (unsigned s = 0; s < IPX_ST__COUNT; s++)
		drops[s] += d[s];
	drops[IPX_ST_BAD_SA] += pl->drops_bad_sa;
}

static int place_health(void *priv, struct ipx_health *h)
{
	struct place *pl = priv;

	return ipx_engine_health(pl->card, h);
}

static int place_inject(void *priv, enum ipx_fault kind)
{
	struct place *pl = priv;

	return ipx_engine_inject_fault(pl->card, kind);
}

static int place_recover(void *priv)
{
	return move_sas(priv, IPX_ON_CARD, 0, NULL);
}

const struct ipx_backend ipx_backend_place = {
	.name = "place",
	.close = place_close,
	.caps = place_caps,
	.sa_add = place_sa_add,
	.sa_update = place_sa_update,
	.sa_delete = place_sa_delete,
	.sa_query = place_sa_query,
	.sa_set_state = place_sa_set_state,
	.sa_lookup = place_lookup,
	.encrypt = place_encrypt,
	.decrypt = place_decrypt,
	.events = place_events,
	.drops = place_drops,
	.health = place_health,
	.inject_fault = place_inject,
	.recover = place_recover,
};

/* ---- ipsecfx/place.h */

int ipx_place_configure(struct ipx_engine *eng, const struct ipx_place_opts *o)
{
	struct place *pl = ipx_place_priv(eng);

	if (!pl)
		return -EINVAL;
	pl->o = *o;
	if (!pl->o.seq_margin)
		pl->o.seq_margin = IPX_PLACE_MARGIN;
	if (!pl->o.sync_ms)
		pl->o.sync_ms = 1000;
	return 0;
}

int ipx_place_info(struct ipx_engine *eng, struct ipx_place_info *info)
{
	struct place *pl = ipx_place_priv(eng);

	if (!pl)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	snprintf(info->card, sizeof(info->card), "%s", pl->card_name);
	info->card_serving = pl->card_serving;
	ipx_engine_health(pl->card, &info->health);
	info->fallbacks = pl->fallbacks;
	info->moves_back = pl->moves_back;
	info->last_fallback_us = pl->last_fallback_us;
	info->last_fault_ms = pl->last_fault_ms;
	info->seq_margin = pl->o.seq_margin;
	info->auto_back_s = pl->o.auto_back_s;
	for (uint32_t h = 0; h < pl->nsas; h++) {
		if (!pl->sas[h].used)
			continue;
		if (pl->sas[h].where == IPX_ON_CARD)
			info->sas_card++;
		else if (pl->sas[h].where == IPX_ON_SOFT)
			info->sas_soft++;
		if (pl->sas[h].where == IPX_ON_SOFT && pl->sas[h].no_room)
			info->sas_soft_no_room++;
	}
	info->card_max_sas = pl->ccaps.max_sas;
	info->card_full = pl->card_full;
	info->card_full_sas = pl->card_full_sas;
	return 0;
}

int ipx_place_where(struct ipx_engine *eng, uint32_t h, enum ipx_where *where, char *why,
		    size_t why_len)
{
	struct place *pl = ipx_place_priv(eng);
	struct pl_sa *sa;

	if (!pl) {
		/* a single engine: everything runs there */
		*where = ipx_sa_query(eng, h, &(struct ipx_sa_state){ 0 }) == 0 ? IPX_ON_SOFT
										 : IPX_ON_NONE;
		if (why && why_len)
			snprintf(why, why_len, "single engine");
		return *where == IPX_ON_NONE ? -ENOENT : 0;
	}
	sa = get_sa(pl, h);
	if (!sa)
		return -ENOENT;
	*where = sa->where;
	if (why && why_len)
		snprintf(why, why_len, "%s", sa->why);
	return 0;
}

int ipx_place_move(struct ipx_engine *eng, enum ipx_where to, uint32_t spi, unsigned *moved)
{
	struct place *pl = ipx_place_priv(eng);

	if (moved)
		*moved = 0;
	if (!pl)
		return -EOPNOTSUPP;
	if (to != IPX_ON_CARD && to != IPX_ON_SOFT)
		return -EINVAL;
	return move_sas(pl, (uint8_t)to, spi, moved);
}

unsigned ipx_place_list(struct ipx_engine *eng, struct ipx_place_sa *out, unsigned max)
{
	struct place *pl = ipx_place_priv(eng);
	unsigned n = 0;

	if (!pl)
		return 0;
	for (uint32_t h = 0; h < pl->nsas; h++) {
		const struct pl_sa *sa = &pl->sas[h];

		if (!sa->used)
			continue;
		if (n < max) {
			struct ipx_place_sa *o = &out[n];

			o->sa = h;
			o->spi = sa->p.spi;
			o->dir = sa->p.dir;
			o->cipher = sa->p.cipher;
			o->where = (enum ipx_where)sa->where;
			snprintf(o->why, sizeof(o->why), "%s", sa->why);
		}
		n++;
	}
	return n;
}

struct ipx_engine *ipx_place_card(struct ipx_engine *eng)
{
	struct place *pl = ipx_place_priv(eng);

	return pl ? pl->card : NULL;
}

struct ipx_engine *ipx_place_soft(struct ipx_engine *eng)
{
	struct place *pl = ipx_place_priv(eng);

	return pl ? pl->soft : NULL;
}
