/*
 * The pipe backend: the ESP engine API over the bare Verilated RTL pipeline
 * (a test fixture: engine "sim" runs the whole kernel, driver/fpga).
 *
 * SA installation expands keys on the host (sim_keys.c) and programs the
 * pipeline's SA tables through the AXI-Lite SA-table commands
 * (docs/hw-interface.md); inbound SPIs go into one of their two hash
 * buckets.  A burst sends every packet on the stream port, runs the clock
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
#include <sys/socket.h>
#include <time.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>
#include <ipsecfx/hwif.h>
#include <ipsecfx/log.h>

#include "../backend.h"
#include "sim.h"
#include "sim_keys.h"

#define SIM_EVQ_LEN 1024
#define SIM_CMD_BUDGET 100000   /* cycles for one SA-table command */
#define SIM_OBUF (IPX_MAX_PKT_LEN + 2 * IPX_MAX_OVERHEAD)

struct sim_sa {
	bool used;
	uint8_t dir;
	uint32_t index;
	struct ipx_sa_params p;        /* without keys */
	uint64_t host_drops[IPX_ST__COUNT];
	uint8_t bkt_t;                 /* inbound: table, bucket, way */
	uint32_t bkt_b;
	uint8_t bkt_w;
	/* host knowledge for a faulted pipeline */
	uint64_t seq_base;             /* outbound: next seq at the last sync */
	uint64_t handed;               /* outbound: packets sent since then */
	struct ipx_sa_state last;      /* the state last read back (or at add) */
};

struct sim_engine {
	struct espsim *hw;
	uint32_t nsa;                  /* per direction */
	uint32_t wmax, nw;             /* window max, ring words */
	unsigned bkt_bits;
	struct sim_sa *sas;            /* 2 * nsa: outbound, then inbound */
	uint32_t *bkt[2];              /* SPI in each way of each bucket */
	uint64_t host_edrops[IPX_ST__COUNT];
	struct ipx_event evq[SIM_EVQ_LEN];
	uint32_t ev_head, ev_tail;
	uint64_t ev_lost;
	uint8_t *obuf;
	uint32_t *sent;                /* packets of a burst on the port, in order */
	bool faulted;
	enum ipx_fault fault;          /* current or last fault */
	uint64_t faults;
	char why[96];
	bool inj_stall, inj_dma, inj_reset;
	uint32_t deadline_ms;
	char *device;                  /* for a fresh model on recover */
};

static bool fault_noticed(struct sim_engine *e);

/* ---- registers and SA-table commands */

static int reg_wr(struct sim_engine *e, uint32_t a, uint32_t v)
{
	return espsim_reg_write(e->hw, a, v);
}

static int reg_rd(struct sim_engine *e, uint32_t a, uint32_t *v)
{
	return espsim_reg_read(e->hw, a, v);
}

static void put(uint32_t *stg, unsigned word, unsigned lsb, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++) {
		unsigned bit = word * 32 + lsb + i;
		uint32_t m = 1u << (bit % 32);

		if ((v >> i) & 1)
			stg[bit / 32] |= m;
		else
			stg[bit / 32] &= ~m;
	}
}

static uint64_t get(const uint32_t *stg, unsigned word, unsigned lsb, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++) {
		unsigned bit = word * 32 + lsb + i;

		v |= (uint64_t)((stg[bit / 32] >> (bit % 32)) & 1) << i;
	}
	return v;
}

#define PUT(stg, f, v) put(stg, IPX_F_##f##_WORD, IPX_F_##f##_LSB, IPX_F_##f##_W, v)
#define GET(stg, f) get(stg, IPX_F_##f##_WORD, IPX_F_##f##_LSB, IPX_F_##f##_W)

static int stg_write(struct sim_engine *e, const uint32_t *stg, unsigned from, unsigned n)
{
	for (unsigned w = from; w < from + n; w++) {
		int ret = reg_wr(e, IPX_REG_STAGING + 4 * w, stg[w]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int stg_read(struct sim_engine *e, uint32_t *stg, unsigned from, unsigned n)
{
	for (unsigned w = from; w < from + n; w++) {
		int ret = reg_rd(e, IPX_REG_STAGING + 4 * w, &stg[w]);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Run one command; 0, -EIO when the pipeline refused it, -ETIMEDOUT. */
static int cmd(struct sim_engine *e, unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	uint32_t c = 0, st = 0;
	uint64_t until;
	int ret;

	put(&c, 0, IPX_F_CMD_OP_LSB, IPX_F_CMD_OP_W, op);
	put(&c, 0, IPX_F_CMD_DIR_LSB, IPX_F_CMD_DIR_W, dir);
	put(&c, 0, IPX_F_CMD_INDEX_LSB, IPX_F_CMD_INDEX_W, index);
	put(&c, 0, IPX_F_CMD_SLOT_LSB, IPX_F_CMD_SLOT_W, slot);
	ret = reg_wr(e, IPX_REG_SA_CMD, c);
	if (ret < 0)
		return ret;
	until = espsim_cycles(e->hw) + SIM_CMD_BUDGET;
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

/* ---- replay window ring <-> the API's bitmap (bit i: number top - i) */

static uint64_t *ring_word(uint64_t *ring, uint32_t nw, uint64_t s)
{
	return &ring[(s >> 6) & (nw - 1)];
}

static void ring_init(uint64_t *ring, uint32_t nw, uint64_t top)
{
	uint32_t b = top & 63;

	for (uint32_t i = 0; i < nw; i++)
		ring[i] = ~0ull;
	*ring_word(ring, nw, top) &= b == 63 ? ~0ull : (2ull << b) - 1;
}

static void ring_import(uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
			const uint64_t *bitmap)
{
	ring_init(ring, nw, top);
	for (uint32_t i = 0; i < window && i <= top; i++) {
		uint64_t s = top - i, bit = 1ull << (s & 63);

		if (bitmap[i / 64] & (1ull << (i % 64)))
			*ring_word(ring, nw, s) |= bit;
		else
			*ring_word(ring, nw, s) &= ~bit;
	}
}

static void ring_export(const uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
			uint64_t *bitmap)
{
	memset(bitmap, 0, IPX_REPLAY_WINDOW_MAX / 8);
	for (uint32_t i = 0; i < window && i <= top; i++) {
		uint64_t s = top - i;

		if (ring[(s >> 6) & (nw - 1)] & (1ull << (s & 63)))
			bitmap[i / 64] |= 1ull << (i % 64);
	}
	for (uint32_t i = (uint32_t)(top + 1 < window ? top + 1 : window); i < window; i++)
		bitmap[i / 64] |= 1ull << (i % 64);
}

static int win_write(struct sim_engine *e, uint32_t index, const uint64_t *ring)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (uint32_t r = 0; r < e->nw; r++)
		put(stg, IPX_F_WIN_WORD + 2 * r, IPX_F_WIN_LSB, 64, ring[r]);
	int ret = stg_write(e, stg, 0, 2 * e->nw);

	return ret < 0 ? ret : cmd(e, IPX_CMD_WRITE_WIN, IPX_DIR_IN, index, 0);
}

static int win_read(struct sim_engine *e, uint32_t index, uint64_t *ring)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = cmd(e, IPX_CMD_READ_WIN, IPX_DIR_IN, index, 0);

	if (ret == 0)
		ret = stg_read(e, stg, 0, 2 * e->nw);
	for (uint32_t r = 0; ret == 0 && r < e->nw; r++)
		ring[r] = get(stg, IPX_F_WIN_WORD + 2 * r, IPX_F_WIN_LSB, 64);
	return ret;
}

/* ---- events */

static void ev_push(struct sim_engine *e, const struct sim_sa *sa, enum ipx_event_type type)
{
	struct ipx_event *ev;

	if (e->ev_head - e->ev_tail >= SIM_EVQ_LEN) {
		e->ev_lost++;
		return;
	}
	ev = &e->evq[e->ev_head++ % SIM_EVQ_LEN];
	ev->type = type;
	ev->sa = sa ? sa->dir * e->nsa + sa->index : IPX_SA_NONE;
	ev->spi = sa ? sa->p.spi : 0;
	ev->dir = sa ? sa->dir : 0;
	ev->user = sa ? sa->p.user : 0;
}

/* Move the pipeline's events into the engine's queue, in order. */
static void ev_collect(struct sim_engine *e)
{
	for (unsigned d = 0; d < 2; d++) {
		for (;;) {
			uint32_t v;

			if (reg_rd(e, d ? IPX_REG_EVENT_IN : IPX_REG_EVENT_OUT, &v) < 0 ||
			    !get(&v, 0, IPX_F_EV_VALID_LSB, 1))
				break;
			uint32_t idx = (uint32_t)get(&v, 0, IPX_F_EV_SA_LSB, IPX_F_EV_SA_W);
			struct sim_sa *sa = idx < e->nsa ? &e->sas[d * e->nsa + idx] : NULL;

			ev_push(e, sa && sa->used ? sa : NULL,
				(enum ipx_event_type)get(&v, 0, IPX_F_EV_TYPE_LSB, IPX_F_EV_TYPE_W));
		}
	}
}

/* ---- open, close, caps */

static void sim_close(void *priv)
{
	struct sim_engine *e = priv;

	if (!e)
		return;
	espsim_close(e->hw);
	if (e->sas)
		OPENSSL_cleanse(e->sas, 2 * (size_t)e->nsa * sizeof(*e->sas));
	free(e->sas);
	free(e->device);
	free(e->bkt[0]);
	free(e->bkt[1]);
	free(e->obuf);
	free(e->sent);
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

static int sim_open(const struct ipx_engine_config *cfg, void **priv)
{
	struct sim_engine *e = calloc(1, sizeof(*e));
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
	e->nw = 1;
	while (e->nw < wmax / 64 + 1)
		e->nw <<= 1;
	e->bkt_bits = 0;
	while ((1u << (e->bkt_bits + 2)) < nsa)
		e->bkt_bits++;
	ret = -ENOMEM;
	e->sas = calloc(2 * (size_t)nsa, sizeof(*e->sas));
	e->bkt[0] = calloc((size_t)IPX_SPI_WAYS << e->bkt_bits, sizeof(uint32_t));
	e->bkt[1] = calloc((size_t)IPX_SPI_WAYS << e->bkt_bits, sizeof(uint32_t));
	e->obuf = malloc(SIM_OBUF);
	if (!e->sas || !e->bkt[0] || !e->bkt[1] || !e->obuf)
		goto fail;
	parse_device(e->hw, cfg->device);
	e->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : 50;
	if (cfg->device && !(e->device = strdup(cfg->device)))
		goto fail;
	*priv = e;
	return 0;
fail:
	sim_close(e);
	return ret;
}

static void sim_caps(void *priv, struct ipx_caps *c)
{
	struct sim_engine *e = priv;

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

static struct sim_sa *get_sa(struct sim_engine *e, uint32_t h)
{
	if (h >= 2 * e->nsa || !e->sas[h].used)
		return NULL;
	return &e->sas[h];
}

static uint32_t sim_lookup(void *priv, uint32_t spi)
{
	struct sim_engine *e = priv;

	if (!spi)
		return IPX_SA_NONE;
	for (unsigned t = 0; t < 2; t++) {
		uint32_t b = simk_spi_hash(spi, t, e->bkt_bits);

		for (unsigned w = 0; w < IPX_SPI_WAYS; w++) {
			if (e->bkt[t][b * IPX_SPI_WAYS + w] != spi)
				continue;
			for (uint32_t i = 0; i < e->nsa; i++) {
				struct sim_sa *sa = &e->sas[e->nsa + i];

				if (sa->used && sa->bkt_t == t && sa->bkt_b == b && sa->bkt_w == w)
					return e->nsa + i;
			}
		}
	}
	return IPX_SA_NONE;
}

static int bkt_write(struct sim_engine *e, unsigned t, uint32_t b)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (unsigned w = 0; w < IPX_SPI_WAYS; w++) {
		uint32_t spi = e->bkt[t][b * IPX_SPI_WAYS + w], idx = 0;

		for (uint32_t i = 0; spi && i < e->nsa; i++) {
			struct sim_sa *sa = &e->sas[e->nsa + i];

			if (sa->used && sa->bkt_t == t && sa->bkt_b == b && sa->bkt_w == w)
				idx = i;
		}
		put(stg, IPX_F_BKT_SPI_WORD + 2 * w, IPX_F_BKT_SPI_LSB, IPX_F_BKT_SPI_W, spi);
		put(stg, IPX_F_BKT_SA_WORD + 2 * w, IPX_F_BKT_SA_LSB, IPX_F_BKT_SA_W, idx);
	}
	int ret = stg_write(e, stg, 0, 2 * IPX_SPI_WAYS);

	return ret < 0 ? ret : cmd(e, IPX_CMD_WRITE_BKT, IPX_DIR_IN, b, t);
}

static int cfg_write(struct sim_engine *e, const struct sim_sa *sa, bool valid)
{
	const struct ipx_sa_params *p = &sa->p;
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	if (valid) {
		PUT(stg, CFG_VALID, 1);
		PUT(stg, CFG_CIPHER, p->cipher);
		PUT(stg, CFG_ESN, p->esn);
		PUT(stg, CFG_UDP, p->encap_sport != 0);
		PUT(stg, CFG_DF, p->df);
		PUT(stg, CFG_TTL, p->ttl ? p->ttl : IPX_DEFAULT_TTL);
		PUT(stg, CFG_WINDOW, p->dir == IPX_DIR_IN ? p->replay_window : 0);
		PUT(stg, CFG_SPI, p->spi);
		PUT(stg, CFG_SALT, ipx_ld32(p->key + p->key_len - 4));
		if (p->src.family == AF_INET)
			PUT(stg, CFG_SRC, ipx_ld32(p->src.a));
		if (p->dst.family == AF_INET)
			PUT(stg, CFG_DST, ipx_ld32(p->dst.a));
		PUT(stg, CFG_SPORT, p->encap_sport);
		PUT(stg, CFG_DPORT, p->encap_dport);
		PUT(stg, CFG_SOFT_BYTES, p->soft.bytes);
		PUT(stg, CFG_SOFT_PKTS, p->soft.packets);
		PUT(stg, CFG_HARD_BYTES, p->hard.bytes);
		PUT(stg, CFG_HARD_PKTS, p->hard.packets);
	}
	int ret = stg_write(e, stg, 0, 16);

	return ret < 0 ? ret : cmd(e, IPX_CMD_WRITE_CFG, sa->dir, sa->index, 0);
}

struct hw_state {
	uint64_t seq, packets, bytes;
	bool exhausted, warned, soft, hard;
};

static int state_write(struct sim_engine *e, const struct sim_sa *sa, const struct hw_state *s)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	PUT(stg, ST_SEQ, s->seq);
	PUT(stg, ST_PACKETS, s->packets);
	PUT(stg, ST_BYTES, s->bytes);
	PUT(stg, ST_SEQ_EXHAUSTED, s->exhausted);
	PUT(stg, ST_SEQ_WARNED, s->warned);
	PUT(stg, ST_SOFT_EXPIRED, s->soft);
	PUT(stg, ST_HARD_EXPIRED, s->hard);
	int ret = stg_write(e, stg, IPX_F_ST_SEQ_WORD, 7);

	return ret < 0 ? ret : cmd(e, IPX_CMD_WRITE_STATE, sa->dir, sa->index, 0);
}

static int state_read(struct sim_engine *e, const struct sim_sa *sa, struct hw_state *s)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = cmd(e, IPX_CMD_READ_STATE, sa->dir, sa->index, 0);

	if (ret == 0)
		ret = stg_read(e, stg, IPX_F_ST_SEQ_WORD, 7);
	if (ret < 0)
		return ret;
	s->seq = GET(stg, ST_SEQ);
	s->packets = GET(stg, ST_PACKETS);
	s->bytes = GET(stg, ST_BYTES);
	s->exhausted = GET(stg, ST_SEQ_EXHAUSTED);
	s->warned = GET(stg, ST_SEQ_WARNED);
	s->soft = GET(stg, ST_SOFT_EXPIRED);
	s->hard = GET(stg, ST_HARD_EXPIRED);
	return 0;
}

static int ctr_write(struct sim_engine *e, const struct sim_sa *sa, const uint64_t *drops)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (unsigned s = 0; s < 16; s++)
		put(stg, IPX_F_CTR_DROPS_WORD + 2 * s, IPX_F_CTR_DROPS_LSB, 64,
		    s < IPX_ST__COUNT && drops ? drops[s] : 0);
	int ret = stg_write(e, stg, IPX_F_CTR_DROPS_WORD, 32);

	return ret < 0 ? ret : cmd(e, IPX_CMD_WRITE_CTR, sa->dir, sa->index, 0);
}

static int ctr_read(struct sim_engine *e, const struct sim_sa *sa, uint64_t *drops)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = cmd(e, IPX_CMD_READ_CTR, sa->dir, sa->index, 0);

	if (ret == 0)
		ret = stg_read(e, stg, IPX_F_CTR_DROPS_WORD, 32);
	for (unsigned s = 0; ret == 0 && s < IPX_ST__COUNT; s++)
		drops[s] = get(stg, IPX_F_CTR_DROPS_WORD + 2 * s, IPX_F_CTR_DROPS_LSB, 64);
	return ret;
}

static int keys_write(struct sim_engine *e, const struct sim_sa *sa, const uint8_t *key,
		      unsigned key_bytes)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	struct simk k;
	int ret = simk_prepare(key, key_bytes, &k);

	for (unsigned s = 0; ret == 0 && s < IPX_KEY_SLOTS; s++) {
		for (unsigned i = 0; i < 4; i++)
			stg[IPX_F_KEY_WORD + 3 - i] = ipx_ld32(k.slot[s] + 4 * i);
		ret = stg_write(e, stg, IPX_F_KEY_WORD, 4);
		if (ret == 0)
			ret = cmd(e, IPX_CMD_WRITE_KEY, sa->dir, sa->index, s);
	}
	simk_wipe(&k);
	OPENSSL_cleanse(stg, sizeof(stg));
	/* no key material left in the staging registers either */
	if (ret == 0)
		ret = stg_write(e, stg, IPX_F_KEY_WORD, 4);
	return ret;
}

static void forget(struct sim_sa *sa)
{
	OPENSSL_cleanse(sa, sizeof(*sa));
}

static int sim_sa_add(void *priv, const struct ipx_sa_params *p, uint32_t *out)
{
	struct sim_engine *e = priv;
	struct sim_sa *sa = NULL;
	uint32_t base = p->dir == IPX_DIR_IN ? e->nsa : 0, i;
	unsigned t = 0;
	uint32_t b = 0;
	int w = -1, ret;

	if (fault_noticed(e))
		return -EIO;
	if (p->dir == IPX_DIR_IN) {
		if (sim_lookup(e, p->spi) != IPX_SA_NONE) {
			ipx_err("SA %08x: an inbound SA with this SPI exists", p->spi);
			return -EEXIST;
		}
		/* the emptier of the SPI's two buckets (no cuckoo moves) */
		unsigned best = IPX_SPI_WAYS + 1;

		for (unsigned tt = 0; tt < 2; tt++) {
			uint32_t bb = simk_spi_hash(p->spi, tt, e->bkt_bits);
			unsigned used = 0;
			int free_w = -1;

			for (unsigned ww = 0; ww < IPX_SPI_WAYS; ww++) {
				if (e->bkt[tt][bb * IPX_SPI_WAYS + ww])
					used++;
				else if (free_w < 0)
					free_w = (int)ww;
			}
			if (free_w >= 0 && used < best) {
				best = used;
				t = tt;
				b = bb;
				w = free_w;
			}
		}
		if (w < 0) {
			ipx_err("SA %08x: both SPI hash buckets full", p->spi);
			return -ENOSPC;
		}
	}
	for (i = 0; i < e->nsa; i++)
		if (!e->sas[base + i].used)
			break;
	if (i == e->nsa) {
		ipx_err("SA %08x: SA table full (%u)", p->spi, e->nsa);
		return -ENOSPC;
	}
	sa = &e->sas[base + i];
	memset(sa, 0, sizeof(*sa));
	sa->dir = p->dir;
	sa->index = i;
	sa->p = *p;
	OPENSSL_cleanse(sa->p.key, sizeof(sa->p.key));
	OPENSSL_cleanse(sa->p.integ_key, sizeof(sa->p.integ_key));
	memcpy(sa->p.key + p->key_len - 4, p->key + p->key_len - 4, 4);  /* salt */

	struct hw_state st = { .seq = p->seq ? p->seq : 1 };
	if (p->dir == IPX_DIR_IN)
		st.seq -= 1;  /* the window's top: just below the first expected */
	ret = keys_write(e, sa, p->key, p->key_len - 4u);
	if (ret == 0)
		ret = state_write(e, sa, &st);
	if (ret == 0 && p->dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		ring_init(ring, e->nw, st.seq);
		ret = win_write(e, sa->index, ring);
	}
	if (ret == 0)
		ret = ctr_write(e, sa, NULL);
	if (ret == 0)
		ret = cfg_write(e, sa, true);
	if (ret == 0 && p->dir == IPX_DIR_IN) {
		sa->used = true;  /* so that bkt_write finds its index */
		sa->bkt_t = (uint8_t)t;
		sa->bkt_b = b;
		sa->bkt_w = (uint8_t)w;
		e->bkt[t][b * IPX_SPI_WAYS + (unsigned)w] = p->spi;
		ret = bkt_write(e, t, b);
		if (ret < 0)
			e->bkt[t][b * IPX_SPI_WAYS + (unsigned)w] = 0;
	}
	if (ret < 0) {
		ipx_err("SA %08x: programming the pipeline failed: %s", p->spi, strerror(-ret));
		cmd(e, IPX_CMD_CLEAR_KEYS, sa->dir, sa->index, 0);
		forget(sa);
		return ret;
	}
	sa->used = true;
	sa->seq_base = st.seq;
	sa->last.seq = st.seq;
	sa->last.replay_window = p->dir == IPX_DIR_IN ? p->replay_window : 0;
	if (p->dir == IPX_DIR_IN)  /* nothing received yet: as ring_export says */
		for (uint32_t k = (uint32_t)(st.seq + 1 < p->replay_window ? st.seq + 1
									 : p->replay_window);
		     k < p->replay_window; k++)
			sa->last.replay_bitmap[k / 64] |= 1ull << (k % 64);
	*out = base + i;
	return 0;
}

static int sim_sa_delete(void *priv, uint32_t h)
{
	struct sim_engine *e = priv;
	struct sim_sa *sa = get_sa(e, h);
	int ret;

	if (!sa)
		return -ENOENT;
	if (fault_noticed(e)) {
		/* the pipeline is not trusted; recover() clears its tables */
		if (sa->dir == IPX_DIR_IN)
			e->bkt[sa->bkt_t][sa->bkt_b * IPX_SPI_WAYS + sa->bkt_w] = 0;
		forget(sa);
		return 0;
	}
	ret = cfg_write(e, sa, false);
	if (sa->dir == IPX_DIR_IN) {
		e->bkt[sa->bkt_t][sa->bkt_b * IPX_SPI_WAYS + sa->bkt_w] = 0;
		int r2 = bkt_write(e, sa->bkt_t, sa->bkt_b);

		if (ret == 0)
			ret = r2;
	}
	int r3 = cmd(e, IPX_CMD_CLEAR_KEYS, sa->dir, sa->index, 0);

	if (ret == 0)
		ret = r3;
	forget(sa);
	return ret;
}

static void check_lifetime(struct sim_engine *e, struct sim_sa *sa, struct hw_state *st)
{
	const struct ipx_sa_params *p = &sa->p;

	if (!st->soft && ((p->soft.bytes && st->bytes >= p->soft.bytes) ||
			  (p->soft.packets && st->packets >= p->soft.packets))) {
		st->soft = true;
		ev_push(e, sa, IPX_EV_SOFT_LIFETIME);
	}
	if (!st->hard && ((p->hard.bytes && st->bytes >= p->hard.bytes) ||
			  (p->hard.packets && st->packets >= p->hard.packets))) {
		st->hard = true;
		ev_push(e, sa, IPX_EV_HARD_LIFETIME);
	}
}

static int sim_sa_update(void *priv, uint32_t h, unsigned mask, const struct ipx_sa_params *p)
{
	struct sim_engine *e = priv;
	struct sim_sa *sa = get_sa(e, h);
	int ret = 0;

	if (!sa)
		return -ENOENT;
	if (fault_noticed(e))
		return -EIO;
	if (mask & IPX_UPD_ADDRS) {
		if ((p->encap_sport == 0) != (p->encap_dport == 0))
			return -EINVAL;
		if (sa->dir == IPX_DIR_OUT &&
		    (p->src.family != sa->p.dst.family || p->dst.family != sa->p.dst.family))
			return -EINVAL;
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
	if (mask & (IPX_UPD_ADDRS | IPX_UPD_LIFETIME))
		ret = cfg_write(e, sa, true);
	if (ret == 0 && (mask & IPX_UPD_LIFETIME)) {
		/* as the software engine: flags cleared, then checked again */
		struct hw_state st;

		ret = state_read(e, sa, &st);
		if (ret == 0) {
			st.soft = st.hard = false;
			check_lifetime(e, sa, &st);
			ret = state_write(e, sa, &st);
		}
	}
	return ret;
}

static int sim_sa_query(void *priv, uint32_t h, struct ipx_sa_state *out)
{
	struct sim_engine *e = priv;
	struct sim_sa *sa = get_sa(e, h);
	struct hw_state st;
	int ret;

	if (!sa)
		return -ENOENT;
	if (fault_noticed(e)) {
		/* host knowledge: the pipeline cannot have used anything >= seq */
		*out = sa->last;
		if (sa->dir == IPX_DIR_OUT)
			out->seq = sa->seq_base + sa->handed;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	ret = state_read(e, sa, &st);
	if (ret == 0)
		ret = ctr_read(e, sa, out->ctr.drops);
	if (ret == 0 && sa->dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		ret = win_read(e, sa->index, ring);
		if (ret == 0)
			ring_export(ring, e->nw, st.seq, sa->p.replay_window, out->replay_bitmap);
	}
	if (ret < 0)
		return ret;
	for (unsigned s = 0; s < IPX_ST__COUNT; s++)
		out->ctr.drops[s] += sa->host_drops[s];
	out->seq = st.seq;
	out->seq_exhausted = st.exhausted;
	out->replay_window = sa->dir == IPX_DIR_IN ? sa->p.replay_window : 0;
	out->ctr.packets = st.packets;
	out->ctr.bytes = st.bytes;
	out->soft_expired = st.soft;
	out->hard_expired = st.hard;
	out->seq_warned = st.warned;
	/* bursts are synchronous: nothing is inside the pipeline now */
	sa->last = *out;
	sa->seq_base = out->seq;
	sa->handed = 0;
	return 0;
}

static int sim_sa_set_state(void *priv, uint32_t h, const struct ipx_sa_state *in)
{
	struct sim_engine *e = priv;
	struct sim_sa *sa = get_sa(e, h);
	struct hw_state cur, st;
	int ret;

	if (!sa)
		return -ENOENT;
	if (fault_noticed(e))
		return -EIO;
	ret = state_read(e, sa, &cur);
	if (ret < 0)
		return ret;
	if (sa->dir == IPX_DIR_OUT) {
		uint64_t max = sa->p.esn ? UINT64_MAX : UINT32_MAX;

		/* nonce safety: the counter the pipeline owns only moves forward */
		if (in->seq < cur.seq || in->seq > max || in->seq == 0 ||
		    (cur.exhausted && !in->seq_exhausted))
			return -EINVAL;
	} else if (in->replay_window != sa->p.replay_window) {
		return -EINVAL;
	}
	st.seq = in->seq;
	st.packets = in->ctr.packets;
	st.bytes = in->ctr.bytes;
	st.exhausted = sa->dir == IPX_DIR_OUT && in->seq_exhausted;
	st.warned = in->seq_warned;
	st.soft = in->soft_expired;
	st.hard = in->hard_expired;
	if (sa->dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		ring_import(ring, e->nw, in->seq, sa->p.replay_window, in->replay_bitmap);
		ret = win_write(e, sa->index, ring);
	}
	if (ret == 0)
		ret = state_write(e, sa, &st);
	if (ret == 0)
		ret = ctr_write(e, sa, in->ctr.drops);
	if (ret == 0) {
		memset(sa->host_drops, 0, sizeof(sa->host_drops));
		sa->last = *in;
		sa->seq_base = in->seq;
		sa->handed = 0;
	}
	return ret;
}

/* ---- bursts */

static const char *fault_words(enum ipx_fault f)
{
	switch (f) {
	case IPX_FAULT_STALL:
		return "no completion within the deadline";
	case IPX_FAULT_DMA:
		return "a DMA transfer reported an error";
	case IPX_FAULT_RESET:
		return "the pipeline was reset, its SA tables are lost";
	default:
		return "healthy";
	}
}

/* One fault: one event, bursts refused until recover(). */
static void fault(struct sim_engine *e, enum ipx_fault kind)
{
	if (e->faulted)
		return;
	e->faulted = true;
	e->fault = kind;
	e->faults++;
	snprintf(e->why, sizeof(e->why), "%s", fault_words(kind));
	ipx_err("sim: engine fault: %s", e->why);
	ev_push(e, NULL, IPX_EV_ENGINE_FAULT);
}

/* A fault injected earlier that a card would notice now. */
static bool fault_noticed(struct sim_engine *e)
{
	if (e->inj_reset)
		fault(e, IPX_FAULT_RESET);
	else if (e->inj_dma)
		fault(e, IPX_FAULT_DMA);
	return e->faulted;
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
static int drain(struct sim_engine *e, int port, uint64_t beats, unsigned n)
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

static unsigned tu(uint64_t v, unsigned lsb, unsigned w)
{
	return (unsigned)((v >> lsb) & ((1ull << w) - 1));
}

static bool bad_buffer(const struct ipx_pkt *pkt)
{
	return pkt->off > pkt->buf_len || pkt->len > pkt->buf_len - pkt->off || pkt->len == 0;
}

static int burst(struct sim_engine *e, struct ipx_pkt *pkts, unsigned n, int port)
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
			struct sim_sa *sa = get_sa(e, pkt->sa);

			if (pkt->sa >= e->nsa) {   /* names no outbound table entry */
				pkt->status = IPX_ST_BAD_SA;
				e->host_edrops[IPX_ST_BAD_SA]++;
				continue;
			}
			if (sa && bad_buffer(pkt)) {
				pkt->status = IPX_ST_MALFORMED;
				sa->host_drops[IPX_ST_MALFORMED]++;
				continue;
			}
			if (bad_buffer(pkt)) {     /* no SA there: the pipeline says BAD_SA */
				pkt->status = IPX_ST_BAD_SA;
				e->host_edrops[IPX_ST_BAD_SA]++;
				continue;
			}
			tuser = (uint64_t)pkt->sa << IPX_F_TU_IN_SA_LSB |
				(uint64_t)(pkt->off > 0xffff ? 0xffff : pkt->off)
					<< IPX_F_TU_IN_HEADROOM_LSB |
				(uint64_t)(pkt->buf_len - pkt->off > 0xffff ? 0xffff
									  : pkt->buf_len - pkt->off)
					<< (32 * IPX_F_TU_IN_TAILROOM_WORD + IPX_F_TU_IN_TAILROOM_LSB);
		} else {
			if (bad_buffer(pkt)) {
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
		if (port == ESPSIM_ENC && get_sa(e, pkt->sa))
			get_sa(e, pkt->sa)->handed++;  /* may use a sequence number */
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
		uint32_t len = 0;
		uint64_t tuser = 0;
		int r = espsim_recv(e->hw, port, e->obuf, SIM_OBUF, &len, &tuser);
		unsigned st = tu(tuser, IPX_F_TU_OUT_STATUS_LSB, IPX_F_TU_OUT_STATUS_W);
		unsigned idx = tu(tuser, IPX_F_TU_OUT_SA_LSB, IPX_F_TU_OUT_SA_W);
		unsigned eo = tu(tuser, IPX_F_TU_OUT_ESP_OFF_LSB, IPX_F_TU_OUT_ESP_OFF_W);

		if (r < 0) {
			pkt->status = IPX_ST_ENGINE_FAULT;
			continue;
		}
		pkt->status = (uint16_t)st;
		if (port == ESPSIM_DEC) {
			pkt->sa = IPX_SA_NONE;
			pkt->esp_off = 0;
		}
		if (port == ESPSIM_DEC && st != IPX_ST_MALFORMED && st != IPX_ST_TOO_BIG &&
		    st != IPX_ST_UNKNOWN_SPI) {
			pkt->sa = e->nsa + idx;
			pkt->esp_off = (uint16_t)eo;
		}
		if (st != IPX_ST_OK)
			continue;
		if (port == ESPSIM_ENC) {
			/* outer headers in front of where the inner packet was */
			uint32_t head = eo + IPX_ESP_HDR_LEN + 8;

			if (pkt->off < head || len > pkt->buf_len - (pkt->off - head)) {
				pkt->status = IPX_ST_ENGINE_FAULT;
				continue;
			}
			pkt->off -= head;
			pkt->esp_off = (uint16_t)eo;
		} else {
			uint32_t skip = eo + IPX_ESP_HDR_LEN + 8;

			if (skip > pkt->len || len > pkt->buf_len - (pkt->off + skip)) {
				pkt->status = IPX_ST_ENGINE_FAULT;
				continue;
			}
			pkt->off += skip;
		}
		memcpy(pkt->buf + pkt->off, e->obuf, len);
		pkt->len = len;
	}
	ev_collect(e);
	return (int)n;
}

static int sim_encrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, ESPSIM_ENC);
}

static int sim_decrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, ESPSIM_DEC);
}

static unsigned sim_events(void *priv, struct ipx_event *ev, unsigned max)
{
	struct sim_engine *e = priv;
	unsigned n = 0;

	ev_collect(e);
	while (n < max && e->ev_tail != e->ev_head)
		ev[n++] = e->evq[e->ev_tail++ % SIM_EVQ_LEN];
	return n;
}

static void sim_drops(void *priv, uint64_t drops[IPX_ST__COUNT])
{
	struct sim_engine *e = priv;

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

static int sim_health(void *priv, struct ipx_health *h)
{
	struct sim_engine *e = priv;

	fault_noticed(e);
	memset(h, 0, sizeof(*h));
	h->hardware = true;
	h->ok = !e->faulted;
	h->fault = e->fault;
	h->faults = e->faults;
	h->heartbeat = espsim_cycles(e->hw);
	snprintf(h->why, sizeof(h->why), "%s", e->faulted ? e->why : "healthy");
	return 0;
}

static int sim_inject_fault(void *priv, enum ipx_fault kind)
{
	struct sim_engine *e = priv;

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

static int sim_recover(void *priv)
{
	struct sim_engine *e = priv;
	struct espsim *fresh = espsim_open();

	if (!fresh)
		return -ENOMEM;
	espsim_close(e->hw);
	e->hw = fresh;
	parse_device(e->hw, e->device);
	OPENSSL_cleanse(e->sas, 2 * (size_t)e->nsa * sizeof(*e->sas));
	memset(e->bkt[0], 0, ((size_t)IPX_SPI_WAYS << e->bkt_bits) * sizeof(uint32_t));
	memset(e->bkt[1], 0, ((size_t)IPX_SPI_WAYS << e->bkt_bits) * sizeof(uint32_t));
	e->faulted = false;
	e->inj_stall = e->inj_dma = e->inj_reset = false;
	ipx_info("sim: recovered: a fresh pipeline, no SAs (%llu faults so far)",
		 (unsigned long long)e->faults);
	return 0;
}

const struct ipx_backend ipx_backend_pipe = {
	.name = "pipe",
	.open = sim_open,
	.close = sim_close,
	.caps = sim_caps,
	.sa_add = sim_sa_add,
	.sa_update = sim_sa_update,
	.sa_delete = sim_sa_delete,
	.sa_query = sim_sa_query,
	.sa_set_state = sim_sa_set_state,
	.sa_lookup = sim_lookup,
	.encrypt = sim_encrypt,
	.decrypt = sim_decrypt,
	.events = sim_events,
	.drops = sim_drops,
	.health = sim_health,
	.inject_fault = sim_inject_fault,
	.recover = sim_recover,
};

int ipx_sim_cycles(struct ipx_engine *eng, uint64_t *cycles)
{
	struct sim_engine *e = ipx_engine_priv(eng, &ipx_backend_pipe);

	if (!e)
		return -EINVAL;
	*cycles = espsim_cycles(e->hw);
	return 0;
}

int ipx_sim_times(struct ipx_engine *eng, int port, struct espsim_times *t)
{
	struct sim_engine *e = ipx_engine_priv(eng, &ipx_backend_pipe);

	if (!e)
		return -EINVAL;
	espsim_times(e->hw, port, t);
	return 0;
}
