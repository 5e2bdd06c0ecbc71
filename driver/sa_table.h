/*
 * The pipeline's SA table through its staging words (docs/hw-interface.md,
 * "Registers and commands"): each record (configuration, state, counters,
 * key slots, replay window, SPI bucket) encoded into the staging words and
 * run as a command, or read back and decoded, for every backend that
 * programs the pipeline.  On top of the records, what both backends do
 * with them: the inbound SPI hash buckets as the host keeps them, an SA
 * installed, updated, queried, given a state and removed.
 *
 * How staged words and commands reach the pipeline is the backend's, given
 * as struct sat_ops: sim/sim.c writes the Verilated pipeline's registers at
 * once, fpga/fpga.c keeps a shadow of the staging words that travels with
 * the next command over the kernel's control ring.
 */
#ifndef IPSECFX_DRIVER_SA_TABLE_H
#define IPSECFX_DRIVER_SA_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/hwif.h>

struct sat_ops {
	/* staging words [from, from + n) of stg towards the pipeline */
	int (*stg_write)(void *ctx, const uint32_t *stg, unsigned from, unsigned n);
	/* staging words [from, from + n) into stg, after a read command */
	int (*stg_read)(void *ctx, uint32_t *stg, unsigned from, unsigned n);
	/* one SA-table command on the staged words: 0, -EIO (refused), -ETIMEDOUT */
	int (*cmd)(void *ctx, unsigned op, unsigned dir, uint32_t index, unsigned slot);
	/* staged words no command carries (the wiped key words) into the
	 * staging registers; NULL where stg_write already puts them there */
	int (*flush)(void *ctx);
	/* whether inbound table entry i holds an SA in use that sits in way w
	 * of bucket b of SPI table t */
	bool (*bkt_holds)(void *ctx, uint32_t i, unsigned t, uint32_t b, unsigned w);
	/* an event of the SA in table entry (dir, index), raised by the host */
	void (*event)(void *ctx, unsigned dir, uint32_t index, enum ipx_event_type type);
};

struct sat {
	const struct sat_ops *ops;
	void *ctx;
	uint32_t nsa;                  /* table entries per direction in use */
	uint32_t nw;                   /* 64-bit words of a replay window ring */
	unsigned bkt_bits;             /* 2^bkt_bits buckets per SPI table */
	uint32_t *bkt[2];              /* the SPI in each way of each bucket (0: free) */
};

/* An SA's state record. */
struct sat_state {
	uint64_t seq, packets, bytes;
	bool exhausted, warned, soft, hard;
};

/* Sizes from the pipeline's SA_COUNT (hw_nsa) and WINDOW_MAX, nsa entries
 * used; empty buckets.  0 or -ENOMEM (sat_free then frees what there is). */
int sat_init(struct sat *s, const struct sat_ops *ops, void *ctx, uint32_t hw_nsa, uint32_t nsa,
	     uint32_t wmax);
void sat_free(struct sat *s);
/* Every bucket empty (the pipeline was reset). */
void sat_clear(struct sat *s);

/* Bit field [lsb, lsb + width) counted from word `word` of stg. */
void sat_put(uint32_t *stg, unsigned word, unsigned lsb, unsigned width, uint64_t v);
uint64_t sat_get(const uint32_t *stg, unsigned word, unsigned lsb, unsigned width);
/* a field of contract.h by name: SAT_PUT(stg, CFG_SPI, spi) */
#define SAT_PUT(stg, f, v) sat_put(stg, IPX_F_##f##_WORD, IPX_F_##f##_LSB, IPX_F_##f##_W, v)
#define SAT_GET(stg, f) sat_get(stg, IPX_F_##f##_WORD, IPX_F_##f##_LSB, IPX_F_##f##_W)

/* The SA_CMD register's value for a command. */
uint32_t sat_cmd_word(unsigned op, unsigned dir, uint32_t index, unsigned slot);

/* Records; each returns 0 or what the ops returned.  An invalid
 * configuration (valid false) does not read p. */
int sat_cfg_write(const struct sat *s, unsigned dir, uint32_t index,
		  const struct ipx_sa_params *p, bool valid);
int sat_state_write(const struct sat *s, unsigned dir, uint32_t index, const struct sat_state *st);
int sat_state_read(const struct sat *s, unsigned dir, uint32_t index, struct sat_state *st);
/* drops NULL: all zero */
int sat_ctr_write(const struct sat *s, unsigned dir, uint32_t index, const uint64_t *drops);
int sat_ctr_read(const struct sat *s, unsigned dir, uint32_t index,
		 uint64_t drops[IPX_ST__COUNT]);
/* Expands the AES key into the key slots and writes them; the expanded
 * keys and every staging copy are wiped, and the key words of the staging
 * registers are left zero. */
int sat_keys_write(const struct sat *s, unsigned dir, uint32_t index, const uint8_t *key,
		   unsigned key_bytes);
/* Bucket b of SPI table t as s->bkt has it. */
int sat_bkt_write(const struct sat *s, unsigned t, uint32_t b);
/* An inbound SA's replay window ring, s->nw words. */
int sat_win_write(const struct sat *s, uint32_t index, const uint64_t *ring);
int sat_win_read(const struct sat *s, uint32_t index, uint64_t *ring);

/* The replay window ring (bit s & 63 of word (s >> 6) & (nw - 1) for
 * number s) and the API's bitmap (bit i: number top - i). */
void sat_ring_init(uint64_t *ring, uint32_t nw, uint64_t top);
void sat_ring_import(uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
		     const uint64_t *bitmap);
void sat_ring_export(const uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
		     uint64_t *bitmap);

/* ---- SAs */

/* The inbound table entry of SPI spi, or IPX_SA_NONE. */
uint32_t sat_lookup(const struct sat *s, uint32_t spi);
/* A way for a new inbound SPI: a free one in the emptier of its two
 * buckets (no cuckoo moves).  0 or -ENOSPC. */
int sat_bkt_place(const struct sat *s, uint32_t spi, unsigned *t, uint32_t *b, unsigned *w);
/* The SPI into way w of bucket b of table t, and that bucket into the
 * pipeline (the way is freed again when that fails); the SA must already
 * be one that bkt_holds finds there. */
int sat_bkt_insert(const struct sat *s, unsigned t, uint32_t b, unsigned w, uint32_t spi);
/* A new SA into table entry (p->dir, index): key slots, state (outbound
 * the first sequence number, inbound the window's top just below the
 * first expected; *seq gets it), inbound a fresh window, zero counters,
 * the configuration. */
int sat_install(const struct sat *s, uint32_t index, const struct ipx_sa_params *p,
		uint64_t *seq);
/* An SA out of table entry (dir, index): configuration invalid, inbound
 * its way (t, b, w) freed, key slots cleared.  Every step runs; the first
 * error is returned. */
int sat_remove(const struct sat *s, unsigned dir, uint32_t index, unsigned t, uint32_t b,
	       unsigned w);
/* ipx_sa_update: cur takes from p what mask names (-EINVAL when that does
 * not fit), the configuration is written again, and new lifetimes clear
 * the state's expiry flags and check them again as the software engine
 * does (the events through ops->event). */
int sat_update(const struct sat *s, unsigned dir, uint32_t index, struct ipx_sa_params *cur,
	       unsigned mask, const struct ipx_sa_params *p);
/* ipx_sa_query from the pipeline (drops: the pipeline's only); cur: the
 * SA's parameters. */
int sat_query(const struct sat *s, unsigned dir, uint32_t index, const struct ipx_sa_params *cur,
	      struct ipx_sa_state *out);
/* ipx_sa_set_state: -EINVAL when it would move an outbound counter back,
 * past its end or to 0, or un-exhaust it, or change an inbound window's
 * size; then window, state and counters into the pipeline. */
int sat_set_state(const struct sat *s, unsigned dir, uint32_t index,
		  const struct ipx_sa_params *cur, const struct ipx_sa_state *in);

#endif
