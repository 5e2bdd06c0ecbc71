/*
 * The FPGA engine: the ESP engine API over the kernel (hw/rtl/esp_kernel.sv),
 * written once over a bus (bus.h): "sim" runs it on the Verilated kernel in
 * this process, "xrt" on an Alveo card.  docs/hw-interface.md, "The kernel",
 * describes the rings this file fills.
 *
 * SA programming is the pipeline's SA-table command set (the records:
 * sa_table.c; the SA operations and handles: card_sa.c), carried by the control ring: the host stages words and a
 * command in one CTL entry, the kernel runs it against the pipeline's
 * register file and writes the words it read back into the entry.  Keys
 * are expanded on the host (hw_keys.c); the entry is wiped after each
 * command.  A burst copies its packets into DMA slots, writes one
 * descriptor per packet, rings the doorbell and polls the completion ring
 * in host memory (no register reads on the hot path).  Results are applied
 * to the caller's packets only when the whole burst has completed, so a
 * burst that meets a fault leaves every packet untouched.
 *
 * Faults (design.md, "Software fallback, exactly"): a completion that does
 * not arrive within the deadline, a DMA error the kernel reports, or a
 * kernel that lost its state (reset) marks the engine faulted: one
 * ENGINE_FAULT event, bursts answer -EIO, SA queries answer from host
 * knowledge (outbound: an upper bound of the next sequence number, the
 * last read-back + packets handed to the card since; inbound: the last
 * window read back).  ipx_engine_recover() resets the kernel, empty.
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
#include "bus.h"
#include "fpga.h"

#define EVQ_LEN 1024
#define RING_LOG2 6                  /* OUT and IN: 64 entries */
#define RING_N (1u << RING_LOG2)
#define CTL_LOG2 2
#define CTL_N (1u << CTL_LOG2)
#define SLOT_BYTES 9472              /* >= MAX_PKT_LEN + MAX_OVERHEAD, 16-aligned */
#define DEADLINE_MS 50
#define SIM_MIN_CYCLES 50000         /* sim bus: also this many cycles */
#define FAULT_POLL 512               /* waits between fault register checks */

enum { R_OUT = 0, R_IN = 1, R_CTL = 2 };

struct ring {
	size_t desc, cmpl;             /* offsets in the DMA region */
	size_t src, dst;               /* packet slots (OUT, IN) */
	uint32_t log2;
	uint32_t tail;                 /* entries written (free-running) */
};

struct res {                       /* one packet's outcome, applied at the end */
	uint16_t status;
	bool sent;
	uint32_t tuser, len;
	size_t at;                     /* result bytes in the arena */
};

struct fpga_engine {
	struct ipx_bus bus;
	const char *name;              /* "sim", "xrt" */
	struct ipx_dma mem;
	struct ring ring[3];
	uint32_t nsa;                  /* per direction */
	uint32_t wmax;                 /* window max */
	struct sat sat;                /* the SA table, through fpga_sat_ops */
	struct card_sas sas;           /* by handle, one space for both directions */
	uint64_t host_edrops[IPX_ST__COUNT];
	struct ipx_evring events;
	/* staging shadow: what the next command writes, what it read */
	uint32_t stg[IPX_STAGING_WORDS];
	unsigned stg_from, stg_n;
	/* bursts */
	struct res *rs;
	size_t rs_cap;
	uint8_t *arena;
	size_t arena_cap;
	/* health */
	uint32_t deadline_ms;
	struct ipx_card_fault fault;
	uint64_t heartbeat;
};

/* ---- staging words and SA-table commands, over the control ring */


static uint8_t *mem_at(struct fpga_engine *e, size_t off)
{
	return (uint8_t *)e->mem.host + off;
}

static uint32_t ld_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_fault(struct fpga_engine *e, enum ipx_fault kind, const char *why)
{
	if (ipx_card_fault_set(&e->fault, e->name, kind, why))
		card_sa_event(&e->sas, &e->events, NULL, IPX_EV_ENGINE_FAULT);
}

/* What went wrong, from the kernel's registers; true when it found a fault. */
static bool classify(struct fpga_engine *e, bool stalled)
{
	uint32_t st = 0, f = 0;

	if (e->bus.ops->reg_rd(e->bus.priv, IPX_KREG_KSTATUS, &st) < 0 ||
	    e->bus.ops->reg_rd(e->bus.priv, IPX_KREG_KFAULT, &f) < 0) {
		set_fault(e, IPX_FAULT_STALL, "the kernel's registers do not answer");
		return true;
	}
	if (!(st & 1)) {
		set_fault(e, IPX_FAULT_RESET, "the kernel was reset: every SA on it is lost");
		return true;
	}
	if (f & (IPX_KF_DMA_RD | IPX_KF_DMA_WR)) {
		set_fault(e, IPX_FAULT_DMA, f & IPX_KF_DMA_RD ? "a DMA read returned an error"
							  : "a DMA write returned an error");
		return true;
	}
	if (f & IPX_KF_DESC) {
		set_fault(e, IPX_FAULT_DMA, "the kernel refused a descriptor");
		return true;
	}
	if (stalled) {
		char why[96];

		snprintf(why, sizeof(why), "no completion within %u ms", e->deadline_ms);
		set_fault(e, IPX_FAULT_STALL, why);
		return true;
	}
	return false;
}

/* Wait until the completion of ring r at position seq (1-based) is in
 * memory; 0, or -EIO with the engine faulted. */
static int wait_cmpl(struct fpga_engine *e, unsigned r, uint32_t seq)
{
	struct ring *rg = &e->ring[r];
	size_t off = rg->cmpl + (size_t)((seq - 1) & ((1u << rg->log2) - 1)) * IPX_CMPL_BYTES;
	const uint8_t *c = mem_at(e, off);
	uint64_t t0 = now_ms(), c0 = e->bus.ops->ticks(e->bus.priv);
	unsigned n = 0;

	for (;;) {
		e->bus.ops->dma_sync(e->bus.priv, &e->mem, off, IPX_CMPL_BYTES, false);
		if (ld_le32(c + 4 * IPX_F_CMPL_SEQ_WORD) == seq)
			return 0;
		e->bus.ops->wait(e->bus.priv);
		if (++n % FAULT_POLL == 0 && classify(e, false))
			return -EIO;
		if (now_ms() - t0 >= e->deadline_ms) {
			uint64_t c1 = e->bus.ops->ticks(e->bus.priv);

			if (c0 == 0 && c1 == 0) {   /* a card: wall-clock time only */
				classify(e, true);
				return -EIO;
			}
			if (c1 - c0 >= SIM_MIN_CYCLES) {
				classify(e, true);
				return -EIO;
			}
		}
	}
}

/* Run one control entry: words 0..15 of hdr, n data words from data at
 * data word `from`; the kernel's data area comes back into data[from..].
 * Returns the CTL_RES_* code, or -EIO (faulted). */
static int ctl_run(struct fpga_engine *e, const uint32_t *hdr, uint32_t *data, unsigned from,
		   unsigned n, unsigned rfrom, unsigned rn)
{
	struct ring *rg = &e->ring[R_CTL];
	uint32_t slot = rg->tail & (CTL_N - 1), seq;
	size_t off = rg->desc + (size_t)slot * IPX_CTL_BYTES;
	uint8_t *ent = mem_at(e, off);
	int ret;

	if (e->fault.faulted)
		return -EIO;
	memset(ent, 0, IPX_CTL_BYTES);
	for (unsigned w = 0; w < 16; w++)
		st_le32(ent + 4 * w, hdr[w]);
	for (unsigned w = from; w < from + n; w++)
		st_le32(ent + 4 * (IPX_F_CTL_DATA_WORD + w), data[w]);
	e->bus.ops->dma_sync(e->bus.priv, &e->mem, off, IPX_CTL_BYTES, true);
	seq = ++rg->tail;
	ret = e->bus.ops->reg_wr(e->bus.priv, IPX_KREG_CTL_TAIL, rg->tail);
	if (ret < 0) {
		set_fault(e, IPX_FAULT_STALL, "the kernel's registers do not answer");
		return -EIO;
	}
	ret = wait_cmpl(e, R_CTL, seq);
	if (ret == 0) {
		const uint8_t *c = mem_at(e, rg->cmpl + (size_t)slot * IPX_CMPL_BYTES);

		e->bus.ops->dma_sync(e->bus.priv, &e->mem, off, IPX_CTL_BYTES, false);
		for (unsigned w = rfrom; w < rfrom + rn; w++)
			data[w] = ld_le32(ent + 4 * (IPX_F_CTL_DATA_WORD + w));
		ret = (int)(ld_le32(c) & 0xf);
	}
	/* key material passes through here */
	OPENSSL_cleanse(ent, IPX_CTL_BYTES);
	e->bus.ops->dma_sync(e->bus.priv, &e->mem, off, IPX_CTL_BYTES, true);
	return ret;
}

/* struct sat_ops: staging words go to the shadow, which travels with the
 * next command (or stg_flush) */

static int stg_write(void *ctx, const uint32_t *stg, unsigned from, unsigned n)
{
	struct fpga_engine *e = ctx;
	unsigned end = e->stg_n ? e->stg_from + e->stg_n : from;

	memcpy(e->stg + from, stg + from, 4 * n);
	if (!e->stg_n || from < e->stg_from)
		e->stg_from = from;
	if (from + n > end)
		end = from + n;
	e->stg_n = end - e->stg_from;
	return 0;
}

static int stg_read(void *ctx, uint32_t *stg, unsigned from, unsigned n)
{
	struct fpga_engine *e = ctx;

	memcpy(stg + from, e->stg + from, 4 * n);
	return 0;
}

/* Run one SA-table command with the staged words; the words a read command
 * yields land in the shadow for stg_read().  0, -EIO (refused or faulted),
 * -ETIMEDOUT. */
static int cmd(void *ctx, unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	struct fpga_engine *e = ctx;
	uint32_t hdr[16] = { 0 };
	unsigned rf = 0, rn = 0;
	int ret;

	switch (op) {
	case IPX_CMD_READ_STATE:
		rf = IPX_F_ST_SEQ_WORD;
		rn = 7;
		break;
	case IPX_CMD_READ_WIN:
		rn = 2 * e->sat.nw;
		break;
	case IPX_CMD_READ_CTR:
		rf = IPX_F_CTR_DROPS_WORD;
		rn = 32;
		break;
	case IPX_CMD_READ_BKT:
		rn = 2 * IPX_SPI_WAYS;
		break;
	}
	hdr[IPX_F_CTL_OP_WORD] = IPX_CTL_OP_SA_CMD;
	hdr[IPX_F_CTL_CMD_WORD] = sat_cmd_word(op, dir, index, slot);
	hdr[IPX_F_CTL_WR_FROM_WORD] = e->stg_from | e->stg_n << IPX_F_CTL_WR_N_LSB |
				      rf << IPX_F_CTL_RD_FROM_LSB | rn << IPX_F_CTL_RD_N_LSB;
	ret = ctl_run(e, hdr, e->stg, e->stg_from, e->stg_n, rf, rn);
	if (!rn)   /* a write command: the words may be key material */
		OPENSSL_cleanse(e->stg, sizeof(e->stg));
	e->stg_n = 0;
	if (ret == IPX_CTL_RES_OK)
		return 0;
	if (ret == IPX_CTL_RES_TIMEOUT) {
		ipx_err("%s: SA command %u did not complete", e->name, op);
		return -ETIMEDOUT;
	}
	return -EIO;
}

/* Pipeline register accesses in one control entry each CTL_REGS_MAX:
 * addr[i] with bit 31 set writes val[i], else reads into val[i]. */
static int regs(struct fpga_engine *e, const uint32_t *addr, uint32_t *val, unsigned n)
{
	for (unsigned at = 0; at < n; at += IPX_CTL_REGS_MAX) {
		unsigned k = n - at < IPX_CTL_REGS_MAX ? n - at : IPX_CTL_REGS_MAX;
		uint32_t hdr[16] = { 0 }, data[IPX_CTL_DATA_WORDS];
		int ret;

		hdr[IPX_F_CTL_OP_WORD] = IPX_CTL_OP_REG;
		hdr[IPX_F_CTL_NREG_WORD] = k;
		for (unsigned i = 0; i < k; i++) {
			data[2 * i] = addr[at + i];
			data[2 * i + 1] = val[at + i];
		}
		ret = ctl_run(e, hdr, data, 0, 2 * k, 0, 2 * k);
		if (ret != IPX_CTL_RES_OK)
			return ret < 0 ? ret : -EIO;
		for (unsigned i = 0; i < k; i++)
			val[at + i] = data[2 * i + 1];
	}
	return 0;
}

static int stg_flush(void *ctx)
{
	struct fpga_engine *e = ctx;
	uint32_t a[IPX_STAGING_WORDS], v[IPX_STAGING_WORDS];
	unsigned n = e->stg_n;

	for (unsigned i = 0; i < n; i++) {
		a[i] = (IPX_REG_STAGING + 4 * (e->stg_from + i)) | 0x80000000u;
		v[i] = e->stg[e->stg_from + i];
	}
	e->stg_n = 0;
	int ret = regs(e, a, v, n);

	OPENSSL_cleanse(v, sizeof(v));
	OPENSSL_cleanse(e->stg, sizeof(e->stg));
	return ret;
}

static bool bkt_holds(void *ctx, uint32_t i, unsigned t, uint32_t b, unsigned w)
{
	struct fpga_engine *e = ctx;

	return card_sa_in_bucket(&e->sas, i, t, b, w);
}

static void sa_event(void *ctx, unsigned dir, uint32_t index, enum ipx_event_type type)
{
	struct fpga_engine *e = ctx;

	card_sa_event(&e->sas, &e->events, card_sa_at(&e->sas, dir, index), type);
}

static const struct sat_ops fpga_sat_ops = {
	.stg_write = stg_write, .stg_read = stg_read, .cmd = cmd,
	.flush = stg_flush, .bkt_holds = bkt_holds, .event = sa_event,
};

/* ---- events */

/* Move the pipeline's events into the engine's queue, in order. */
static int ev_collect(struct fpga_engine *e)
{
	enum { BATCH = IPX_CTL_REGS_MAX / 2 };

	for (int round = 0; round < 64; round++) {
		uint32_t a[2 * BATCH], v[2 * BATCH] = { 0 };
		bool more = false;
		int ret;

		for (unsigned i = 0; i < BATCH; i++) {
			a[i] = IPX_REG_EVENT_OUT;
			a[BATCH + i] = IPX_REG_EVENT_IN;
		}
		ret = regs(e, a, v, 2 * BATCH);
		if (ret < 0)
			return ret;
		for (unsigned d = 0; d < 2; d++) {
			for (unsigned i = 0; i < BATCH; i++) {
				uint32_t w = v[d * BATCH + i];

				if (!sat_get(&w, 0, IPX_F_EV_VALID_LSB, 1))
					break;
				if (i == BATCH - 1)
					more = true;
				uint32_t idx = (uint32_t)sat_get(&w, 0, IPX_F_EV_SA_LSB, IPX_F_EV_SA_W);
				struct card_sa *sa = card_sa_at(&e->sas, d, idx);

				card_sa_event(&e->sas, &e->events, sa && sa->used ? sa : NULL,
					(enum ipx_event_type)sat_get(&w, 0, IPX_F_EV_TYPE_LSB, IPX_F_EV_TYPE_W));
			}
		}
		if (!more)
			break;
	}
	return 0;
}


/* ---- SA table (card_sa.c) */

static uint32_t fpga_lookup(void *priv, uint32_t spi)
{
	struct fpga_engine *e = priv;

	return card_sa_lookup(&e->sas, spi);
}

static int fpga_sa_add(void *priv, const struct ipx_sa_params *p, uint32_t *out)
{
	struct fpga_engine *e = priv;

	return card_sa_add(&e->sas, &e->fault, p, out);
}

static int fpga_sa_delete(void *priv, uint32_t h)
{
	struct fpga_engine *e = priv;

	return card_sa_delete(&e->sas, &e->fault, h);
}

static int fpga_sa_update(void *priv, uint32_t h, unsigned mask, const struct ipx_sa_params *p)
{
	struct fpga_engine *e = priv;

	return card_sa_update(&e->sas, &e->fault, h, mask, p);
}

static int fpga_sa_query(void *priv, uint32_t h, struct ipx_sa_state *out)
{
	struct fpga_engine *e = priv;

	return card_sa_query(&e->sas, &e->fault, h, out);
}

static int fpga_sa_set_state(void *priv, uint32_t h, const struct ipx_sa_state *in)
{
	struct fpga_engine *e = priv;

	return card_sa_set_state(&e->sas, &e->fault, h, in);
}

/* ---- bursts */

static int grow(struct fpga_engine *e, unsigned n, size_t arena)
{
	if (n > e->rs_cap) {
		struct res *r = realloc(e->rs, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		e->rs = r;
		e->rs_cap = n;
	}
	if (arena > e->arena_cap) {
		uint8_t *a = realloc(e->arena, arena);

		if (!a)
			return -ENOMEM;
		e->arena = a;
		e->arena_cap = arena;
	}
	return 0;
}

/* Send packets [from, to) of the burst that the host does not drop itself
 * on ring r, then collect their completions into e->rs and the arena. */
static int chunk(struct fpga_engine *e, struct ipx_pkt *pkts, unsigned *idx, unsigned k,
		 unsigned r, size_t *arena_used)
{
	struct ring *rg = &e->ring[r];
	uint32_t first = rg->tail;

	for (unsigned j = 0; j < k; j++) {
		struct ipx_pkt *pkt = &pkts[idx[j]];
		uint32_t slot = (rg->tail + j) & (RING_N - 1);
		uint8_t *d = mem_at(e, rg->desc + (size_t)slot * IPX_DESC_BYTES);
		size_t src = rg->src + (size_t)slot * SLOT_BYTES, dst = rg->dst + (size_t)slot * SLOT_BYTES;
		uint64_t tuser = 0;

		if (r == R_OUT) {
			struct card_sa *sa = card_sa_get(&e->sas, pkt->sa);  /* checked by burst() */

			tuser = hwp_tuser_in(sa->index, pkt);
			/* the upper bound of the sequence numbers the card may use */
			ipx_seq_bound_handed(&sa->seq, 1);
		}
		memcpy(mem_at(e, src), pkt->buf + pkt->off, pkt->len);
		memset(d, 0, IPX_DESC_BYTES);
		st_le32(d + 0, (uint32_t)(e->mem.dev + src));
		st_le32(d + 4, (uint32_t)((e->mem.dev + src) >> 32));
		st_le32(d + 8, (uint32_t)(e->mem.dev + dst));
		st_le32(d + 12, (uint32_t)((e->mem.dev + dst) >> 32));
		st_le32(d + 16, pkt->len | (uint32_t)SLOT_BYTES << IPX_F_DESC_CAP_LSB);
		st_le32(d + 20, (uint32_t)tuser);
		st_le32(d + 24, (uint32_t)(tuser >> 32));
		st_le32(d + 28, idx[j]);
		e->bus.ops->dma_sync(e->bus.priv, &e->mem, src, pkt->len, true);
		e->bus.ops->dma_sync(e->bus.priv, &e->mem, rg->desc + (size_t)slot * IPX_DESC_BYTES,
				     IPX_DESC_BYTES, true);
	}
	rg->tail += k;
	if (e->bus.ops->reg_wr(e->bus.priv, r == R_OUT ? IPX_KREG_OUT_TAIL : IPX_KREG_IN_TAIL,
			       rg->tail) < 0) {
		set_fault(e, IPX_FAULT_STALL, "the kernel's registers do not answer");
		return -EIO;
	}
	for (unsigned j = 0; j < k; j++) {
		uint32_t slot = (first + j) & (RING_N - 1);
		size_t coff = rg->cmpl + (size_t)slot * IPX_CMPL_BYTES;
		size_t dst = rg->dst + (size_t)slot * SLOT_BYTES;
		struct res *rs = &e->rs[idx[j]];
		const uint8_t *c;
		uint32_t w0;

		if (wait_cmpl(e, r, first + j + 1) < 0)
			return -EIO;
		c = mem_at(e, coff);
		w0 = ld_le32(c);
		rs->sent = true;
		rs->tuser = w0 & ((1u << IPX_F_CMPL_TUSER_W) - 1);
		rs->len = ld_le32(c + 4) & 0xffff;
		rs->at = *arena_used;
		if ((w0 >> IPX_F_CMPL_OVERFLOW_LSB) & 1 || rs->len > SLOT_BYTES) {
			/* the kernel cut the result: never hand it out */
			rs->status = IPX_ST_ENGINE_FAULT;
			rs->len = 0;
			continue;
		}
		e->bus.ops->dma_sync(e->bus.priv, &e->mem, dst, rs->len, false);
		memcpy(e->arena + *arena_used, mem_at(e, dst), rs->len);
		*arena_used += rs->len;
	}
	return 0;
}

static int burst(struct fpga_engine *e, struct ipx_pkt *pkts, unsigned n, unsigned r)
{
	unsigned idx[RING_N], k = 0;
	size_t used = 0;
	int ret;

	if (e->fault.faulted)
		return -EIO;
	ret = grow(e, n ? n : 1, (size_t)(n < RING_N ? n : RING_N) * SLOT_BYTES);
	if (ret < 0)
		return ret;
	/* the host's own checks, decided now, applied at the end */
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *pkt = &pkts[i];
		struct res *rs = &e->rs[i];

		memset(rs, 0, sizeof(*rs));
		if (r == R_OUT) {
			struct card_sa *sa = card_sa_get(&e->sas, pkt->sa);

			if (!sa || sa->dir != IPX_DIR_OUT) {
				rs->status = IPX_ST_BAD_SA;
				continue;
			}
			if (hwp_bad_buffer(pkt)) {
				rs->status = IPX_ST_MALFORMED;
				continue;
			}
			if (pkt->len > SLOT_BYTES) {   /* as the pipeline would */
				rs->status = IPX_ST_TOO_BIG;
				continue;
			}
		} else if (hwp_bad_buffer(pkt)) {
			rs->status = IPX_ST_MALFORMED;
			continue;
		} else if (pkt->len > SLOT_BYTES) {
			rs->status = IPX_ST_TOO_BIG;
			continue;
		}
		idx[k++] = i;
		if (k == RING_N) {
			ret = grow(e, n, used + (size_t)RING_N * SLOT_BYTES);
			if (ret == 0)
				ret = chunk(e, pkts, idx, k, r, &used);
			if (ret < 0)
				return ret;
			k = 0;
		}
	}
	if (k) {
		ret = grow(e, n, used + (size_t)k * SLOT_BYTES);
		if (ret == 0)
			ret = chunk(e, pkts, idx, k, r, &used);
		if (ret < 0)
			return ret;
	}
	if (ev_collect(e) < 0)
		return -EIO;
	/* every completion is in: apply the results */
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *pkt = &pkts[i];
		struct res *rs = &e->rs[i];
		uint32_t sai = hwp_tuser_sa(rs->tuser);

		if (r == R_IN) {
			pkt->sa = IPX_SA_NONE;
			pkt->esp_off = 0;
		}
		if (!rs->sent) {
			pkt->status = rs->status;
			if (r == R_OUT && rs->status != IPX_ST_BAD_SA)
				card_sa_get(&e->sas, pkt->sa)->host_drops[rs->status]++;
			else
				e->host_edrops[rs->status]++;
			continue;
		}
		if (rs->status == IPX_ST_ENGINE_FAULT) {
			pkt->status = IPX_ST_ENGINE_FAULT;
			continue;
		}
		hwp_apply(pkt, r == R_OUT, rs->tuser,
			  card_sa_handle(&e->sas, card_sa_at(&e->sas, IPX_DIR_IN, sai)), e->arena + rs->at,
			  rs->len);
	}
	return (int)n;
}

static int fpga_encrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, R_OUT);
}

static int fpga_decrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	return burst(priv, pkts, n, R_IN);
}

static unsigned fpga_events(void *priv, struct ipx_event *ev, unsigned max)
{
	struct fpga_engine *e = priv;

	if (!e->fault.faulted)
		ev_collect(e);
	return ipx_evring_pop(&e->events, ev, max);
}

static void fpga_drops(void *priv, uint64_t drops[IPX_ST__COUNT])
{
	struct fpga_engine *e = priv;
	uint32_t a[4 * 16], v[4 * 16] = { 0 };

	for (unsigned s = 0; s < 16; s++) {
		a[4 * s] = IPX_REG_DROPS_OUT + 8 * s;
		a[4 * s + 1] = IPX_REG_DROPS_OUT + 8 * s + 4;
		a[4 * s + 2] = IPX_REG_DROPS_IN + 8 * s;
		a[4 * s + 3] = IPX_REG_DROPS_IN + 8 * s + 4;
	}
	if (e->fault.faulted || regs(e, a, v, 4 * 16) < 0)
		memset(v, 0, sizeof(v));   /* the card's counters are gone */
	for (unsigned s = 0; s < IPX_ST__COUNT; s++)
		drops[s] = e->host_edrops[s] + ((uint64_t)v[4 * s + 1] << 32 | v[4 * s]) +
			   ((uint64_t)v[4 * s + 3] << 32 | v[4 * s + 2]);
}

/* ---- open, close, start, caps */

static void fpga_close(void *priv)
{
	struct fpga_engine *e = priv;

	if (!e)
		return;
	card_sas_free(&e->sas);
	if (e->mem.host)
		OPENSSL_cleanse(e->mem.host, e->mem.size);
	if (e->bus.ops) {
		if (e->mem.size)
			e->bus.ops->dma_free(e->bus.priv, &e->mem);
		e->bus.ops->close(e->bus.priv);
	}
	sat_free(&e->sat);
	free(e->rs);
	free(e->arena);
	ipx_evring_free(&e->events);
	free(e);
}

/* Reset the kernel, give it its rings, start it, read the pipeline's build. */
static int start(struct fpga_engine *e)
{
	const struct ipx_bus_ops *o = e->bus.ops;
	void *b = e->bus.priv;
	static const uint32_t base[3] = { IPX_KREG_OUT_DESC_LO, IPX_KREG_IN_DESC_LO,
					  IPX_KREG_CTL_DESC_LO };
	uint32_t id = 0, ver = 0, st = 0;
	int ret;

	ret = o->reg_rd(b, IPX_KREG_KID, &id);
	if (ret == 0)
		ret = o->reg_rd(b, IPX_KREG_KVERSION, &ver);
	if (ret < 0)
		return ret;
	if (id != (uint32_t)IPX_KERNEL_ID || ver >> 16 != IPX_HW_VERSION_MAJOR) {
		ipx_err("%s: kernel %08x version %u.%u, expected %08x version %u", e->name, id,
			ver >> 16, ver & 0xffff, (unsigned)IPX_KERNEL_ID,
			(unsigned)IPX_HW_VERSION_MAJOR);
		return -ENODEV;
	}
	ret = o->reg_wr(b, IPX_KREG_KRESET, 1);
	for (int i = 0; ret == 0 && i < 8; i++)
		ret = o->reg_rd(b, IPX_KREG_KSTATUS, &st);   /* a few clocks */
	if (ret < 0)
		return ret;
	memset(e->mem.host, 0, e->mem.size);
	o->dma_sync(b, &e->mem, 0, e->mem.size, true);
	for (unsigned r = 0; r < 3 && ret == 0; r++) {
		uint64_t d = e->mem.dev + e->ring[r].desc, c = e->mem.dev + e->ring[r].cmpl;

		e->ring[r].tail = 0;
		ret = o->reg_wr(b, base[r], (uint32_t)d);
		if (ret == 0)
			ret = o->reg_wr(b, base[r] + 4, (uint32_t)(d >> 32));
		if (ret == 0)
			ret = o->reg_wr(b, base[r] + 8, (uint32_t)c);
		if (ret == 0)
			ret = o->reg_wr(b, base[r] + 12, (uint32_t)(c >> 32));
		if (ret == 0)
			ret = o->reg_wr(b, base[r] + 16, e->ring[r].log2);
		if (ret == 0)
			ret = o->reg_wr(b, base[r] + 20, 0);
	}
	if (ret == 0)
		ret = o->reg_wr(b, IPX_KREG_MEM_LO, (uint32_t)e->mem.dev);
	if (ret == 0)
		ret = o->reg_wr(b, IPX_KREG_MEM_HI, (uint32_t)(e->mem.dev >> 32));
	if (ret == 0)
		ret = o->reg_wr(b, IPX_KREG_CTRL, 1);   /* ap_start, once */
	if (ret == 0)
		ret = o->reg_rd(b, IPX_KREG_KSTATUS, &st);
	if (ret < 0)
		return ret;
	if ((st & 3) != 1) {
		ipx_err("%s: the kernel did not start (status %#x)", e->name, st);
		return -EIO;
	}
	ipx_card_fault_clear(&e->fault);
	return 0;
}

static int pipeline_params(struct fpga_engine *e, uint32_t *nsa, uint32_t *wmax)
{
	uint32_t a[4] = { IPX_REG_ID, IPX_REG_VERSION, IPX_REG_SA_COUNT, IPX_REG_WINDOW_MAX };
	uint32_t v[4] = { 0 };
	int ret = regs(e, a, v, 4);

	if (ret < 0)
		return ret;
	if (v[0] != (uint32_t)IPX_HW_ID || v[1] >> 16 != IPX_HW_VERSION_MAJOR) {
		ipx_err("%s: pipeline %08x version %u.%u, expected %08x version %u", e->name,
			v[0], v[1] >> 16, v[1] & 0xffff, (unsigned)IPX_HW_ID,
			(unsigned)IPX_HW_VERSION_MAJOR);
		return -ENODEV;
	}
	*nsa = v[2];
	*wmax = v[3];
	return 0;
}

static int fpga_open(const struct ipx_engine_config *cfg, void **priv, const char *name,
		     int (*bus_open)(const char *, struct ipx_bus *))
{
	struct fpga_engine *e = calloc(1, sizeof(*e));
	uint32_t nsa = 0, wmax = 0;
	size_t at = 0;
	int ret;

	if (!e)
		return -ENOMEM;
	if (ipx_evring_init(&e->events, EVQ_LEN) < 0) {
		free(e);
		return -ENOMEM;
	}
	e->name = name;
	e->deadline_ms = cfg->deadline_ms ? cfg->deadline_ms : DEADLINE_MS;
	ret = bus_open(cfg->device, &e->bus);
	if (ret < 0) {
		ipx_evring_free(&e->events);
		free(e);
		return ret;
	}
	/* one DMA region: OUT, IN, CTL rings, then the packet slots */
	for (unsigned r = 0; r < 3; r++) {
		struct ring *rg = &e->ring[r];
		uint32_t n = r == R_CTL ? CTL_N : RING_N;

		rg->log2 = r == R_CTL ? CTL_LOG2 : RING_LOG2;
		rg->desc = at;
		at += (size_t)n * (r == R_CTL ? IPX_CTL_BYTES : IPX_DESC_BYTES);
		rg->cmpl = at;
		at += ((size_t)n * IPX_CMPL_BYTES + 511) & ~(size_t)511;
	}
	for (unsigned r = 0; r < 2; r++) {
		e->ring[r].src = at;
		at += (size_t)RING_N * SLOT_BYTES;
		e->ring[r].dst = at;
		at += (size_t)RING_N * SLOT_BYTES;
	}
	ret = e->bus.ops->dma_alloc(e->bus.priv, at, &e->mem);
	if (ret == 0)
		ret = start(e);
	if (ret == 0)
		ret = pipeline_params(e, &nsa, &wmax);
	if (ret < 0)
		goto fail;
	e->nsa = nsa;
	if (cfg->max_sas && cfg->max_sas < e->nsa)
		e->nsa = cfg->max_sas;  /* use fewer, never more */
	e->wmax = wmax;
	ret = sat_init(&e->sat, &fpga_sat_ops, e, nsa, e->nsa, wmax);
	if (ret == 0)
		ret = card_sas_init(&e->sas, &e->sat, e->nsa, false);
	if (ret < 0)
		goto fail;
	*priv = e;
	return 0;
fail:
	fpga_close(e);
	return ret;
}

static int sim_open(const struct ipx_engine_config *cfg, void **priv)
{
	return fpga_open(cfg, priv, "sim", ipx_bus_sim_open);
}

static int xrt_open(const struct ipx_engine_config *cfg, void **priv)
{
	return fpga_open(cfg, priv, "xrt", ipx_bus_xrt_open);
}

static int xrt_probe(const struct ipx_engine_config *cfg, char *why, size_t n)
{
	return ipx_bus_xrt_probe(cfg->device, why, n);
}

static void fpga_caps(void *priv, struct ipx_caps *c)
{
	struct fpga_engine *e = priv;

	memset(c, 0, sizeof(*c));
	c->backend = e->name;
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
	snprintf(c->impl, sizeof(c->impl), "esp_kernel on %s, %u SAs per direction",
		 e->bus.ops->describe(e->bus.priv), e->nsa);
}

/* ---- health */

static int fpga_health(void *priv, struct ipx_health *h)
{
	struct fpga_engine *e = priv;
	uint32_t hb = 0;

	if (!e->fault.faulted) {
		classify(e, false);   /* a reset or a DMA error shows without traffic */
		if (!e->fault.faulted &&
		    e->bus.ops->reg_rd(e->bus.priv, IPX_KREG_HEARTBEAT, &hb) == 0)
			e->heartbeat = hb;
	}
	ipx_card_fault_health(&e->fault, e->heartbeat, h);
	return 0;
}

static int fpga_inject(void *priv, enum ipx_fault kind)
{
	struct fpga_engine *e = priv;

	if (!e->bus.ops->inject)
		return -EOPNOTSUPP;
	return e->bus.ops->inject(e->bus.priv, kind);
}

static int fpga_recover(void *priv)
{
	struct fpga_engine *e = priv;
	uint32_t nsa = 0, wmax = 0;
	int ret;

	/* the sim bus: hooks off, then the platform's reset (ap_rst_n), which
	 * also ends whatever AXI transfer a stall left open; a card gets
	 * KRESET only (start) */
	if (e->bus.ops->inject) {
		e->bus.ops->inject(e->bus.priv, IPX_FAULT_NONE);
		e->bus.ops->inject(e->bus.priv, IPX_FAULT_RESET);
	}
	/* every SA goes: the caller re-adds what it wants on the card */
	card_sas_clear(&e->sas);
	sat_clear(&e->sat);
	memset(e->host_edrops, 0, sizeof(e->host_edrops));
	ret = start(e);
	if (ret == 0)
		ret = pipeline_params(e, &nsa, &wmax);
	if (ret == 0 && (nsa < e->nsa || wmax != e->wmax))
		ret = -ENODEV;
	if (ret < 0) {
		e->fault.faulted = true;
		ipx_err("%s: recovery failed: %s", e->name, strerror(-ret));
		return ret;
	}
	ipx_info("%s: kernel reset and running again (no SAs)", e->name);
	return 0;
}

#define FPGA_BACKEND(n, o, p, m)                                            \
	{                                                                   \
		.name = n, .open = o, .probe = p, .close = fpga_close, .caps = fpga_caps, \
		.sa_add = fpga_sa_add, .sa_update = fpga_sa_update,         \
		.sa_delete = fpga_sa_delete, .sa_query = fpga_sa_query,     \
		.sa_set_state = fpga_sa_set_state, .sa_lookup = fpga_lookup, \
		.encrypt = fpga_encrypt, .decrypt = fpga_decrypt,           \
		.events = fpga_events, .drops = fpga_drops,                 \
		.health = fpga_health, .inject_fault = fpga_inject,         \
		.recover = fpga_recover, .missing = m,                      \
	}

/* the simulated card is always there: no probe */
const struct ipx_backend ipx_backend_sim = FPGA_BACKEND("sim", sim_open, NULL, NULL);
const struct ipx_backend ipx_backend_xrt = FPGA_BACKEND("xrt", xrt_open, xrt_probe, ipx_bus_xrt_missing);

static struct fpga_engine *fpga_of(struct ipx_engine *eng)
{
	struct fpga_engine *e = ipx_engine_priv(eng, &ipx_backend_sim);

	return e ? e : ipx_engine_priv(eng, &ipx_backend_xrt);
}

int ipx_fpga_bus(struct ipx_engine *eng, struct ipx_bus **bus, uint64_t *dev_base)
{
	struct fpga_engine *e = fpga_of(eng);

	if (!e)
		return -EINVAL;
	*bus = &e->bus;
	*dev_base = e->mem.dev;
	return 0;
}

uint64_t ipx_fpga_ticks(struct ipx_engine *eng)
{
	struct fpga_engine *e = fpga_of(eng);

	return e ? e->bus.ops->ticks(e->bus.priv) : 0;
}

