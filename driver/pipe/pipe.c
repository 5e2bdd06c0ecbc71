/*
 * The pipe backend: the ESP engine API over the bare Verilated RTL pipeline
 * (a test fixture: engine "sim" runs the whole kernel, driver/fpga).
 *
 * SA installation expands keys on the host (hw_keys.c) and programs the
 * pipeline's SA tables through the AXI-Lite SA-table commands
 * (docs/hw-interface.md; the records are sa_table.c's, which this file
 * gives register accesses; the SA operations and handles are card_sa.c's,
 * handles naming table entries directly); inbound SPIs go into one of
 * their two hash buckets.  A burst sends every packet on the stream port, runs the clock
 * until each has come back with its status (with a cycle budget: a stuck
 * pipeline gives ENGINE_FAULT, never a hang), and copies the results into
 * the packets' buffers.  Statuses, per-SA counters, sequence numbers,
 * replay windows, lifetimes and events are the hardware's; the host adds
 * only what the pipeline never sees: packets whose buffer description is
 * inconsistent (MALFORMED), handles that name no table entry (BAD_SA), and
 * the lifetime re-check after an SA update.
 *
 * Faults (engine.h, iface of the placement layer): the test hooks make the
 * model fail as a card would.  STALL: the host stops collecting completions,
 * so the burst's packets stay inside and the burst ends at the deadline;
 * DMA: the next burst reports a transfer error; RESET: the model is replaced
 * by a fresh one (every SA lost), noticed at the next burst or health check.
 * A faulted engine returns -EIO from bursts without touching packet buffers
 * and answers sa_query from host knowledge: outbound, an upper bound on the
 * next sequence number (state at add, set_state or the last healthy read,
 * plus every packet handed to the pipeline since); inbound, the window last
 * read back.  recover() replaces the model and forgets every SA.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/hwif.h>
#include <ipsecfx/log.h>

#include "../backend.h"
#include "../hw_pkt.h"
#include "../card.h"
#include "../card_sa.h"
#include "../sa_table.h"
#include "pipe.h"

#define PIPE_EVQ_LEN 1024
#define PIPE_CMD_BUDGET 100000   /* cycles for one SA-table command */
#define PIPE_OBUF (IPX_MAX_PKT_LEN + 2 * IPX_MAX_OVERHEAD)

struct pipe_engine {
	struct espsim *hw;
	uint32_t nsa;                  /* per direction */
	uint32_t wmax;                 /* window max */
	struct sat sat;                /* the SA table, through pipe_sat_ops */
	struct card_sas sas;           /* direct: handle = dir * nsa + index */
	uint64_t host_edrops[IPX_ST__COUNT];
	struct ipx_evring events;
	uint8_t *obuf;
	uint32_t *sent;                /* packets of a burst on the port, in order */
	struct ipx_card_fault fault;
	bool inj_stall, inj_dma, inj_reset;
	uint32_t deadline_ms;
	char *device;                  /* for a fresh model on recover */
};

static bool fault_noticed(struct pipe_engine *e);

/* ---- registers and SA-table commands */

static int reg_wr(struct pipe_engine *e, uint32_t a, uint32_t v)
{
	return espsim_reg_write(e->hw, a, v);
}

static int reg_rd(struct pipe_engine *e, uint32_t a, uint32_t *v)
{
	return espsim_reg_read(e->hw, a, v);
}

/* struct sat_ops: staging words and commands go to the registers at once */

static int stg_write(void *ctx, const uint32_t *stg, unsigned from, unsigned n)
{
	struct pipe_engine *e = ctx;

	for (unsigned w = from; w < from + n; w++) {
		int ret = reg_wr(e, IPX_REG_STAGING + 4 * w, stg[w]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int stg_read(void *ctx, uint32_t *stg, unsigned from, unsigned n)
{
	struct pipe_engine *e = ctx;

	for (unsigned w = from; w < from + n; w++) {
		int ret = reg_rd(e, IPX_REG_STAGING + 4 * w, &stg[w]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Run one command; 0, -EIO when the pipeline refused it, -ETIMEDOUT. */
static int cmd(void *ctx, unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	struct pipe_engine *e = ctx;
	uint32_t st = 0;
	uint64_t until;
	int ret;

	ret = reg_wr(e, IPX_REG_SA_CMD, sat_cmd_word(op, dir, index, slot));
	if (ret < 0)
		return ret;
	until = espsim_cycles(e->hw) + PIPE_CMD_BUDGET;
	do {
		ret = reg_rd(e, IPX_REG_SA_STATUS, &st);
		if (ret < 0)
			return ret;
		if (!(st & 1))
			return (st & 2) ? -EIO : 0;
	} while (espsim_cycles(e->hw) < until);
	ipx_err("sim: SA command %u did not complete", op);
	return -ETIMEDOUT;
}

static bool bkt_holds(void *ctx, uint32_t i, unsigned t, uint32_t b, unsigned w)
{
	struct pipe_engine *e = ctx;

	return card_sa_in_bucket(&e->sas, i, t, b, w);
}

static void sa_event(void *ctx, unsigned dir, uint32_t index, enum ipx_event_type type)
{
	struct pipe_engine *e = ctx;

	card_sa_event(&e->sas, &e->events, card_sa_at(&e->sas, dir, index), type);
}

static const struct sat_ops pipe_sat_ops = {
	.stg_write = stg_write, .stg_read = stg_read, .cmd = cmd,
	.bkt_holds = bkt_holds, .event = sa_event,
};

/* ---- events */

/* Move the pipeline's events into the engine's queue, in order. */
static void ev_collect(struct pipe_engine *e)
{
	for (unsigned d = 0; d < 2; d++) {
		for (;;) {
			uint32_t v;

			if (reg_rd(e, d ? IPX_REG_EVENT_IN : IPX_REG_EVENT_OUT, &v) < 0 ||
			    !sat_get(&v, 0, IPX_F_EV_VALID_LSB, 1))
				break;
			uint32_t idx = (uint32_t)sat_get(&v, 0, IPX_F_EV_SA_LSB, IPX_F_EV_SA_W);
			struct card_sa *sa = card_sa_at(&e->sas, d, idx);

			card_sa_event(&e->sas, &e->events, sa && sa->used ? sa : NULL,
				(enum ipx_event_type)sat_get(&v, 0, IPX_F_EV_TYPE_LSB, IPX_F_EV_TYPE_W));
		}
	}
}

/* ---- open, close, caps */

static void pipe_close(void *priv)
{
	struct pipe_engine *e = priv;

	if (!e)
		return;
	espsim_close(e->hw);
	card_sas_free(&e->sas);
	free(e->device);
	sat_free(&e->sat);
	free(e->obuf);
	free(e->sent);
	ipx_evring_free(&e->events);
	free(e);
}

static void parse_device(struct espsim *hw, const char *dev)
{
	unsigned in = 0, out = 0;
	unsigned long long seed = 1;
	const char *p;

	if (!dev)
		return;
	if ((p = strstr(dev, "in_stall=")))
		in = (unsigned)strtoul(p + 9, NULL, 10);
	if ((p = strstr(dev, "out_stall=")))
		out = (unsigned)strtoul(p + 10, NULL, 10);
	if ((p = strstr(dev, "seed=")))
		seed = strtoull(p + 5, NULL, 10);
	espsim_stalls(hw, seed, in, out);
}

static int pipe_open(const struct ipx_engine_config *cfg, void **priv)
{
	struct pipe_engine *e = calloc(1, sizeof(*e));
	uint32_t id = 0, ver = 0, nsa = 0, wmax = 0;
	int ret = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->hw = espsim_open();
	if (!e->hw)
		goto fail;
	ret = reg_rd(e, IPX_REG_ID, &id);
	if (ret == 0)
		ret = reg_rd(e, IPX_REG_VERSION, &ver);
	if (ret == 0)
		ret = reg_rd(e, IPX_REG_SA_COUNT, &nsa);
	if (ret == 0)
		ret = reg_rd(e, IPX_REG_WINDOW_MAX, &wmax);
	if (ret < 0)
		goto fail;
	if (id != (uint32_t)IPX_HW_ID || ver >> 16 != IPX_HW_VERSION_MAJOR) {
		ipx_err("sim: device %08x version %u.%u, expected %08x version %u",
			id, ver >> 16, ver & 0xffff, (unsigned)IPX_HW_ID,
			(unsigned)IPX_HW_VERSION_MAJOR);
		ret = -ENODEV;
		goto fail;
	}
	e->nsa = nsa;
	if (cfg->max_sas && cfg->max_sas < e->nsa)
		e->nsa = cfg->max_sas;  /* use fewer, never more */
	e->wmax = wmax;
	ret = sat_init(&e->sat, &pipe_sat_ops, e, nsa, e->nsa, wmax);
	if (ret == 0)
		ret = card_sas_init(&e->sas, &e->sat, e->nsa, true);
	e->obuf = malloc(PIPE_OBUF);
	if (ret == 0 && (!e->obuf || ipx_evring_init(&e->events, PIPE_EVQ_LEN) < 0))
		ret = -ENOMEM;
	if (ret < 0)
		goto fail;
	parse_device(e->hw, cfg->device);
	e->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : 50;
	if (cfg->device && !(e->device = strdup(cfg->device)))
		goto fail;
	*priv = e;
	return 0;
fail:
	pipe_close(e);
	return ret;
}

static void pipe_caps(void *priv, struct ipx_caps *c)
{
	struct pipe_engine *e = priv;

	memset(c, 0, sizeof(*c));
	c->backend = "pipe";
	c->hardware = true;
	c->ciphers = 1u << IPX_CIPHER_AES128GCM16 | 1u << IPX_CIPHER_AES192GCM16 |
		     1u << IPX_CIPHER_AES256GCM16;
	c->max_sas = e->nsa;
	c->replay_window_min = IPX_REPLAY_WINDOW_MIN;
	c->replay_window_max = e->wmax;
	c->max_pkt_len = IPX_MAX_PKT_LEN;
	c->ipv6_outer = false;
	c->udp_encap = true;
	c->transport_mode = false;
	c->esn = true;
	c->tfc = false;
	snprintf(c->impl, sizeof(c->impl), "Verilated esp_top, %u SAs per direction", e->nsa);
}

/* ---- SA table */

static uint32_t pipe_lookup(void *priv, uint32_t spi)
{
	struct pipe_engine *e = priv;

	return card_sa_lookup(&e->sas, spi);
}

static int pipe_sa_add(void *priv, const struct ipx_sa_params *p, uint32_t *out)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	return card_sa_add(&e->sas, &e->fault, p, out);
}

static int pipe_sa_delete(void *priv, uint32_t h)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	return card_sa_delete(&e->sas, &e->fault, h);
}

static int pipe_sa_update(void *priv, uint32_t h, unsigned mask, const struct ipx_sa_params *p)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	return card_sa_update(&e->sas, &e->fault, h, mask, p);
}

static int pipe_sa_query(void *priv, uint32_t h, struct ipx_sa_state *out)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	return card_sa_query(&e->sas, &e->fault, h, out);
}

static int pipe_sa_set_state(void *priv, uint32_t h, const struct ipx_sa_state *in)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	return card_sa_set_state(&e->sas, &e->fault, h, in);
}

/* ---- bursts */

/* One fault: one event, bursts refused until recover(). */
static void fault(struct pipe_engine *e, enum ipx_fault kind)
{
	if (ipx_card_fault_set(&e->fault, "pipe", kind, NULL))
		card_sa_event(&e->sas, &e->events, NULL, IPX_EV_ENGINE_FAULT);
}

/* A fault injected earlier that a card would notice now. */
static bool fault_noticed(struct pipe_engine *e)
{
	if (e->inj_reset)
		fault(e, IPX_FAULT_RESET);
	else if (e->inj_dma)
		fault(e, IPX_FAULT_DMA);
	return e->fault.faulted;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the clock until every packet sent on port has come back.  A stall is
 * declared when both the cycle budget and the wall-clock deadline have
 * passed (a slow host alone never faults the pipeline); an injected stall
 * stops collecting completions and so always ends at the deadline. */
static int drain(struct pipe_engine *e, int port, uint64_t beats, unsigned n)
{
	uint64_t until = espsim_cycles(e->hw) + 20000 + 64 * (beats + n);
	uint64_t deadline = now_ms() + e->deadline_ms;

	if (e->inj_stall) {
		while (now_ms() < deadline)
			espsim_step(e->hw, 64);
		fault(e, IPX_FAULT_STALL);
		return -EIO;
	}
	while (espsim_pending(e->hw, port) &&
	       (espsim_cycles(e->hw) < until || now_ms() < deadline))
		espsim_step(e->hw, 64);
	if (espsim_pending(e->hw, port)) {
		fault(e, IPX_FAULT_STALL);
		return -EIO;
	}
	return 0;
}

static int burst(struct pipe_engine *e, struct ipx_pkt *pkts, unsigned n, int port)
{
	unsigned nsent = 0;
	uint64_t beats = 0;
	int ret = 0;

	if (fault_noticed(e))
		return -EIO;
	free(e->sent);
	e->sent = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!e->sent)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *pkt = &pkts[i];
		uint64_t tuser = 0;

		if (port == ESPSIM_ENC) {
			struct card_sa *sa = card_sa_get(&e->sas, pkt->sa);

			if (pkt->sa >= e->nsa) {   /* names no outbound table entry */
				pkt->status = IPX_ST_BAD_SA;
				e->host_edrops[IPX_ST_BAD_SA]++;
				continue;
			}
			if (sa && hwp_bad_buffer(pkt)) {
				pkt->status = IPX_ST_MALFORMED;
				sa->host_drops[IPX_ST_MALFORMED]++;
				continue;
			}
			if (hwp_bad_buffer(pkt)) {     /* no SA there: the pipeline says BAD_SA */
				pkt->status = IPX_ST_BAD_SA;
				e->host_edrops[IPX_ST_BAD_SA]++;
				continue;
			}
			tuser = hwp_tuser_in(pkt->sa, pkt);
		} else {
			if (hwp_bad_buffer(pkt)) {
				pkt->sa = IPX_SA_NONE;
				pkt->esp_off = 0;
				pkt->status = IPX_ST_MALFORMED;
				e->host_edrops[IPX_ST_MALFORMED]++;
				continue;
			}
		}
		ret = espsim_send(e->hw, port, pkt->buf + pkt->off, pkt->len, tuser);
		if (ret < 0)
			return ret;
		if (port == ESPSIM_ENC && card_sa_get(&e->sas, pkt->sa))
			ipx_seq_bound_handed(&card_sa_get(&e->sas, pkt->sa)->seq, 1);  /* may use a number */
		e->sent[nsent++] = i;
		beats += (pkt->len + 15) / 16;
	}
	ret = drain(e, port, beats, nsent);
	if (ret < 0) {
		ev_collect(e);
		return ret;  /* the caller runs these packets elsewhere */
	}
	for (unsigned k = 0; k < nsent; k++) {
		struct ipx_pkt *pkt = &pkts[e->sent[k]];
		uint32_t len = 0, sai;
		uint64_t tuser = 0;
		int r = espsim_recv(e->hw, port, e->obuf, PIPE_OBUF, &len, &tuser);

		if (r < 0) {
			pkt->status = IPX_ST_ENGINE_FAULT;
			continue;
		}
		sai = hwp_tuser_sa(tuser);
		/* an entry beyond the ones we use names no SA of ours */
		hwp_apply(pkt, port == ESPSIM_ENC, tuser,
			  sai < e->nsa ? e->nsa + sai : IPX_SA_NONE, e->obuf, len);
	}
	ev_collect(e);
	return (int)n;
}

static int pipe_encrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, ESPSIM_ENC);
}

static int pipe_decrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, ESPSIM_DEC);
}

static unsigned pipe_events(void *priv, struct ipx_event *ev, unsigned max)
{
	struct pipe_engine *e = priv;

	ev_collect(e);
	return ipx_evring_pop(&e->events, ev, max);
}

static void pipe_drops(void *priv, uint64_t drops[IPX_ST__COUNT])
{
	struct pipe_engine *e = priv;

	for (unsigned s = 0; s < IPX_ST__COUNT; s++) {
		uint32_t lo[4] = { 0, 0, 0, 0 };

		reg_rd(e, IPX_REG_DROPS_OUT + 8 * s, &lo[0]);
		reg_rd(e, IPX_REG_DROPS_OUT + 8 * s + 4, &lo[1]);
		reg_rd(e, IPX_REG_DROPS_IN + 8 * s, &lo[2]);
		reg_rd(e, IPX_REG_DROPS_IN + 8 * s + 4, &lo[3]);
		drops[s] = e->host_edrops[s] + ((uint64_t)lo[1] << 32 | lo[0]) +
			   ((uint64_t)lo[3] << 32 | lo[2]);
	}
}

static int pipe_health(void *priv, struct ipx_health *h)
{
	struct pipe_engine *e = priv;

	fault_noticed(e);
	ipx_card_fault_health(&e->fault, espsim_cycles(e->hw), h);
	return 0;
}

static int pipe_inject_fault(void *priv, enum ipx_fault kind)
{
	struct pipe_engine *e = priv;

	switch (kind) {
	case IPX_FAULT_STALL:
		e->inj_stall = true;
		break;
	case IPX_FAULT_DMA:
		e->inj_dma = true;
		break;
	case IPX_FAULT_RESET: {
		/* the model comes back empty: every SA table entry and key gone */
		struct espsim *fresh = espsim_open();

		if (!fresh)
			return -ENOMEM;
		espsim_close(e->hw);
		e->hw = fresh;
		parse_device(e->hw, e->device);
		e->inj_reset = true;
		break;
	}
	default:
		return -EINVAL;
	}
	ipx_warn("sim: fault injected: %s", kind == IPX_FAULT_STALL ? "stall"
					   : kind == IPX_FAULT_DMA ? "dma" : "reset");
	return 0;
}

static int pipe_recover(void *priv)
{
	struct pipe_engine *e = priv;
	struct espsim *fresh = espsim_open();

	if (!fresh)
		return -ENOMEM;
	espsim_close(e->hw);
	e->hw = fresh;
	parse_device(e->hw, e->device);
	card_sas_clear(&e->sas);
	sat_clear(&e->sat);
	ipx_card_fault_clear(&e->fault);
	e->inj_stall = e->inj_dma = e->inj_reset = false;
	ipx_info("pipe: recovered: a fresh pipeline, no SAs (%llu faults so far)",
		 (unsigned long long)e->fault.faults);
	return 0;
}

const struct ipx_backend ipx_backend_pipe = {
	.name = "pipe",
	.open = pipe_open,
	.close = pipe_close,
	.caps = pipe_caps,
	.sa_add = pipe_sa_add,
	.sa_update = pipe_sa_update,
	.sa_delete = pipe_sa_delete,
	.sa_query = pipe_sa_query,
	.sa_set_state = pipe_sa_set_state,
	.sa_lookup = pipe_lookup,
	.encrypt = pipe_encrypt,
	.decrypt = pipe_decrypt,
	.events = pipe_events,
	.drops = pipe_drops,
	.health = pipe_health,
	.inject_fault = pipe_inject_fault,
	.recover = pipe_recover,
};

int ipx_pipe_cycles(struct ipx_engine *eng, uint64_t *cycles)
{
	struct pipe_engine *e = ipx_engine_priv(eng, &ipx_backend_pipe);

	if (!e)
		return -EINVAL;
	*cycles = espsim_cycles(e->hw);
	return 0;
}

int ipx_pipe_times(struct ipx_engine *eng, int port, struct espsim_times *t)
{
	struct pipe_engine *e = ipx_engine_priv(eng, &ipx_backend_pipe);

	if (!e)
		return -EINVAL;
	espsim_times(e->hw, port, t);
	return 0;
}
