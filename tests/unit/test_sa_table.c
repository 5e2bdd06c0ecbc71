/*
 * The SA-table codec (driver/sa_table.c) over a fake pipeline that keeps
 * the staging registers and logs each command with the words staged for
 * it: bit fields across word edges, each record laid out as contract.h
 * says, write/read round trips, the key slots with the staging registers
 * left without key material, buckets, the replay window ring against the
 * API's bitmap, SPI placement and lookup, and the lifetime check of an
 * update.  On top of it, card_sa.c: handles in both layouts, a failed
 * install that leaves nothing behind, and every SA operation on a failed
 * card (the outbound bound, forgetting, refusals).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tlib.h"
#include "card_sa.h"
#include "sa_table.h"
#include "hw_keys.h"

#define LOG_MAX 32
#define NSA 16

struct fake {
	uint32_t regs[IPX_STAGING_WORDS];
	struct {
		unsigned op, dir, slot;
		uint32_t index;
		uint32_t stg[IPX_STAGING_WORDS];
	} log[LOG_MAX];
	unsigned n, flushes, lookups;
	int fail_op;                   /* a command that fails with -EIO, or -1 */
	struct {                       /* inbound table entries: where they sit */
		bool used;
		unsigned t, w;
		uint32_t b;
	} at[NSA];
	unsigned nev;
	struct {
		unsigned dir;
		uint32_t index;
		enum ipx_event_type type;
	} ev[4];
};

static int f_stg_write(void *ctx, const uint32_t *stg, unsigned from, unsigned n)
{
	struct fake *f = ctx;

	assert_true(from + n <= IPX_STAGING_WORDS);
	memcpy(f->regs + from, stg + from, 4 * n);
	return 0;
}

static int f_stg_read(void *ctx, uint32_t *stg, unsigned from, unsigned n)
{
	struct fake *f = ctx;

	assert_true(from + n <= IPX_STAGING_WORDS);
	memcpy(stg + from, f->regs + from, 4 * n);
	return 0;
}

/* reads leave the registers as they are: a read returns what was written */
static int f_cmd(void *ctx, unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	struct fake *f = ctx;

	if ((int)op == f->fail_op)
		return -EIO;
	assert_true(f->n < LOG_MAX);
	f->log[f->n].op = op;
	f->log[f->n].dir = dir;
	f->log[f->n].index = index;
	f->log[f->n].slot = slot;
	memcpy(f->log[f->n].stg, f->regs, sizeof(f->regs));
	f->n++;
	return 0;
}

static int f_flush(void *ctx)
{
	((struct fake *)ctx)->flushes++;
	return 0;
}

static bool f_bkt_holds(void *ctx, uint32_t i, unsigned t, uint32_t b, unsigned w)
{
	struct fake *f = ctx;

	f->lookups++;
	return f->at[i].used && f->at[i].t == t && f->at[i].b == b && f->at[i].w == w;
}

static void f_event(void *ctx, unsigned dir, uint32_t index, enum ipx_event_type type)
{
	struct fake *f = ctx;

	assert_true(f->nev < 4);
	f->ev[f->nev].dir = dir;
	f->ev[f->nev].index = index;
	f->ev[f->nev].type = type;
	f->nev++;
}

static const struct sat_ops f_ops = {
	.stg_write = f_stg_write, .stg_read = f_stg_read, .cmd = f_cmd,
	.flush = f_flush, .bkt_holds = f_bkt_holds, .event = f_event,
};
/* as sim.c: staging writes reach the registers, nothing to flush */
static const struct sat_ops f_ops_noflush = {
	.stg_write = f_stg_write, .stg_read = f_stg_read, .cmd = f_cmd,
	.bkt_holds = f_bkt_holds, .event = f_event,
};

/* NSA entries, 4 buckets per SPI table, a window of 128 bits (2 words) */
static struct sat fake_sat(struct fake *f, const struct sat_ops *ops)
{
	struct sat s;

	memset(f, 0, sizeof(*f));
	f->fail_op = -1;
	assert_int_equal(sat_init(&s, ops, f, NSA, NSA, 64), 0);
	assert_int_equal(s.nw, 2);
	assert_int_equal(s.bkt_bits, 2);
	return s;
}

static void test_fields(void **state)
{
	uint32_t w[4] = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff };

	(void)state;
	/* 64 bits from word 1 bit 16: across two word edges, neighbours kept */
	sat_put(w, 1, 16, 64, 0x0123456789abcdefull);
	assert_int_equal(w[0], 0xffffffff);
	assert_int_equal(w[1], 0xcdefffff);
	assert_int_equal(w[2], 0x456789ab);
	assert_int_equal(w[3], 0xffff0123);
	assert_true(sat_get(w, 1, 16, 64) == 0x0123456789abcdefull);
	assert_true(sat_get(w, 0, 0, 1) == 1);
	assert_true(sat_get(w, 1, 0, 16) == 0xffff);
	uint32_t c = sat_cmd_word(IPX_CMD_WRITE_KEY, IPX_DIR_IN, 5, 19);

	assert_int_equal(sat_get(&c, 0, IPX_F_CMD_OP_LSB, IPX_F_CMD_OP_W), IPX_CMD_WRITE_KEY);
	assert_int_equal(sat_get(&c, 0, IPX_F_CMD_DIR_LSB, IPX_F_CMD_DIR_W), IPX_DIR_IN);
	assert_int_equal(sat_get(&c, 0, IPX_F_CMD_INDEX_LSB, IPX_F_CMD_INDEX_W), 5);
	assert_int_equal(sat_get(&c, 0, IPX_F_CMD_SLOT_LSB, IPX_F_CMD_SLOT_W), 19);
}

static void test_cfg(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	struct ipx_sa_params p = {
		.spi = 0xc0ffee01, .dir = IPX_DIR_OUT, .cipher = IPX_CIPHER_AES128GCM16,
		.key_len = 20, .esn = true, .encap_sport = 4500, .encap_dport = 4501,
		.df = 2, .replay_window = 128, .soft = { .bytes = 1000, .packets = 10 },
		.hard = { .bytes = 2000, .packets = 20 },
	};

	(void)state;
	memcpy(p.key + 16, "\x01\x02\x03\x04", 4);
	p.src.family = AF_INET;
	memcpy(p.src.a, "\x0a\x00\x00\x01", 4);
	p.dst.family = AF_INET;
	memcpy(p.dst.a, "\x0a\x00\x00\x02", 4);
	assert_int_equal(sat_cfg_write(&s, IPX_DIR_OUT, 7, &p, true), 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.log[0].op, IPX_CMD_WRITE_CFG);
	assert_int_equal(f.log[0].dir, IPX_DIR_OUT);
	assert_int_equal(f.log[0].index, 7);
	const uint32_t *w = f.log[0].stg;

	assert_true(SAT_GET(w, CFG_VALID) == 1);
	assert_true(SAT_GET(w, CFG_CIPHER) == IPX_CIPHER_AES128GCM16);
	assert_true(SAT_GET(w, CFG_ESN) == 1);
	assert_true(SAT_GET(w, CFG_UDP) == 1);
	assert_true(SAT_GET(w, CFG_DF) == 2);
	assert_true(SAT_GET(w, CFG_TTL) == IPX_DEFAULT_TTL);
	assert_true(SAT_GET(w, CFG_WINDOW) == 0);    /* outbound: no window */
	assert_true(SAT_GET(w, CFG_SPI) == 0xc0ffee01);
	assert_true(SAT_GET(w, CFG_SALT) == 0x01020304);
	assert_true(SAT_GET(w, CFG_SRC) == 0x0a000001);
	assert_true(SAT_GET(w, CFG_DST) == 0x0a000002);
	assert_true(SAT_GET(w, CFG_SPORT) == 4500);
	assert_true(SAT_GET(w, CFG_DPORT) == 4501);
	assert_true(SAT_GET(w, CFG_SOFT_BYTES) == 1000);
	assert_true(SAT_GET(w, CFG_SOFT_PKTS) == 10);
	assert_true(SAT_GET(w, CFG_HARD_BYTES) == 2000);
	assert_true(SAT_GET(w, CFG_HARD_PKTS) == 20);
	/* inbound: the window; invalid: 16 zero words */
	p.dir = IPX_DIR_IN;
	assert_int_equal(sat_cfg_write(&s, IPX_DIR_IN, 7, &p, true), 0);
	assert_true(SAT_GET(f.log[1].stg, CFG_WINDOW) == 128);
	assert_int_equal(sat_cfg_write(&s, IPX_DIR_IN, 7, &p, false), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(f.log[2].stg[i], 0);
	sat_free(&s);
}

static void test_state_ctr_roundtrip(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	struct sat_state in = { .seq = 0x1234567890ull, .packets = 77, .bytes = 0xfffffffffull,
				.exhausted = true, .soft = true };
	struct sat_state out;
	uint64_t drops[IPX_ST__COUNT], back[IPX_ST__COUNT];

	(void)state;
	for (unsigned i = 0; i < IPX_ST__COUNT; i++)
		drops[i] = 0x100000000ull * i + i;
	assert_int_equal(sat_state_write(&s, IPX_DIR_OUT, 3, &in), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(sat_state_read(&s, IPX_DIR_OUT, 3, &out), 0);
	assert_true(out.seq == in.seq && out.packets == in.packets && out.bytes == in.bytes);
	assert_true(out.exhausted && !out.warned && out.soft && !out.hard);
	assert_int_equal(sat_ctr_write(&s, IPX_DIR_IN, 4, drops), 0);
	assert_int_equal(sat_ctr_read(&s, IPX_DIR_IN, 4, back), 0);
	assert_memory_equal(drops, back, sizeof(drops));
	assert_int_equal(f.log[2].op, IPX_CMD_WRITE_CTR);
	assert_int_equal(f.log[3].op, IPX_CMD_READ_CTR);
	/* NULL: every counter zero */
	assert_int_equal(sat_ctr_write(&s, IPX_DIR_IN, 4, NULL), 0);
	assert_int_equal(sat_ctr_read(&s, IPX_DIR_IN, 4, back), 0);
	for (unsigned i = 0; i < IPX_ST__COUNT; i++)
		assert_true(back[i] == 0);
	/* a refused read leaves the record untouched and says so */
	f.fail_op = IPX_CMD_READ_STATE;
	memset(&out, 0, sizeof(out));
	assert_int_equal(sat_state_read(&s, IPX_DIR_OUT, 3, &out), -EIO);
	assert_true(out.seq == 0);
	sat_free(&s);
}

static void keys_case(const struct sat_ops *ops, unsigned flushes)
{
	struct fake f;
	struct sat s = fake_sat(&f, ops);
	uint8_t key[32];
	struct hwk k;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	assert_int_equal(hwk_prepare(key, 32, &k), 0);
	assert_int_equal(sat_keys_write(&s, IPX_DIR_IN, 9, key, 32), 0);
	assert_int_equal(f.n, IPX_KEY_SLOTS);
	for (unsigned slot = 0; slot < IPX_KEY_SLOTS; slot++) {
		assert_int_equal(f.log[slot].op, IPX_CMD_WRITE_KEY);
		assert_int_equal(f.log[slot].slot, slot);
		assert_int_equal(f.log[slot].index, 9);
		/* byte 0 of the block in word 3 bits 31:24 */
		for (unsigned i = 0; i < 4; i++)
			assert_int_equal(f.log[slot].stg[IPX_F_KEY_WORD + 3 - i],
					 (uint32_t)k.slot[slot][4 * i] << 24 |
						 (uint32_t)k.slot[slot][4 * i + 1] << 16 |
						 (uint32_t)k.slot[slot][4 * i + 2] << 8 |
						 k.slot[slot][4 * i + 3]);
	}
	hwk_wipe(&k);
	/* no key material left in the staging registers */
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(f.regs[IPX_F_KEY_WORD + i], 0);
	assert_int_equal(f.flushes, flushes);
	/* a refused key write: an error, and no flush of a half-written key */
	sat_free(&s);
	s = fake_sat(&f, ops);
	f.fail_op = IPX_CMD_WRITE_KEY;
	assert_int_equal(sat_keys_write(&s, IPX_DIR_IN, 9, key, 32), -EIO);
	assert_int_equal(f.flushes, 0);
	/* a bad key length never reaches the pipeline */
	sat_free(&s);
	s = fake_sat(&f, ops);
	assert_true(sat_keys_write(&s, IPX_DIR_IN, 9, key, 20) < 0);
	assert_int_equal(f.n, 0);
	sat_free(&s);
}

static void test_keys(void **state)
{
	(void)state;
	keys_case(&f_ops, 1);
	keys_case(&f_ops_noflush, 0);
}

static void test_bucket(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	uint32_t *way = &s.bkt[1][3 * IPX_SPI_WAYS];

	(void)state;
	/* bucket 3 of table 1: SAs 10 and 12 in ways 0 and 2 */
	way[0] = 0x1001;
	way[2] = 0x1003;
	f.at[10].used = f.at[12].used = true;
	f.at[10].t = f.at[12].t = 1;
	f.at[10].b = f.at[12].b = 3;
	f.at[12].w = 2;
	assert_int_equal(sat_bkt_write(&s, 1, 3), 0);
	assert_int_equal(f.log[0].op, IPX_CMD_WRITE_BKT);
	assert_int_equal(f.log[0].dir, IPX_DIR_IN);
	assert_int_equal(f.log[0].index, 3);      /* the bucket */
	assert_int_equal(f.log[0].slot, 1);       /* the table */
	assert_int_equal(f.lookups, 2 * NSA);     /* only the ways in use */
	for (unsigned w = 0; w < IPX_SPI_WAYS; w++) {
		assert_true(sat_get(f.log[0].stg, IPX_F_BKT_SPI_WORD + 2 * w, IPX_F_BKT_SPI_LSB,
				    IPX_F_BKT_SPI_W) == way[w]);
		assert_true(sat_get(f.log[0].stg, IPX_F_BKT_SA_WORD + 2 * w, IPX_F_BKT_SA_LSB,
				    IPX_F_BKT_SA_W) == (way[w] ? 10 + w : 0));
	}
	sat_free(&s);
}

static void test_place_lookup(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	const uint32_t spi = 0xdeadbeef;
	unsigned t = 9, w = 9;
	uint32_t b = 0;

	(void)state;
	assert_int_equal(sat_lookup(&s, spi), IPX_SA_NONE);
	assert_int_equal(sat_lookup(&s, 0), IPX_SA_NONE);
	/* the emptier of the SPI's two buckets each time: they take turns */
	for (uint32_t i = 0; i < 2 * IPX_SPI_WAYS; i++) {
		assert_int_equal(sat_bkt_place(&s, spi, &t, &b, &w), 0);
		assert_int_equal(t, i % 2);
		assert_int_equal(w, i / 2);
		assert_int_equal(b, hwk_spi_hash(spi, t, s.bkt_bits));
		f.at[i].used = true;
		f.at[i].t = t;
		f.at[i].b = b;
		f.at[i].w = w;
		assert_int_equal(sat_bkt_insert(&s, t, b, w, spi), 0);
		assert_int_equal(f.log[f.n - 1].op, IPX_CMD_WRITE_BKT);
		assert_int_equal(sat_lookup(&s, spi), 0);   /* the first way that holds it */
	}
	assert_int_equal(sat_lookup(&s, spi + 1), IPX_SA_NONE);
	assert_int_equal(sat_bkt_place(&s, spi, &t, &b, &w), -ENOSPC);
	/* SA 5 out of the pipeline: configuration, bucket, keys */
	f.n = 0;
	t = f.at[5].t, b = f.at[5].b, w = f.at[5].w;
	assert_int_equal(sat_remove(&s, IPX_DIR_IN, 5, t, b, w), 0);
	assert_int_equal(s.bkt[t][b * IPX_SPI_WAYS + w], 0);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.log[0].op, IPX_CMD_WRITE_CFG);
	assert_int_equal(f.log[1].op, IPX_CMD_WRITE_BKT);
	assert_int_equal(f.log[2].op, IPX_CMD_CLEAR_KEYS);
	f.at[5].used = false;
	/* its way again, but the bucket write fails: the way stays free */
	assert_int_equal(sat_bkt_place(&s, spi, &t, &b, &w), 0);
	assert_int_equal(t, f.at[5].t);
	assert_int_equal(w, f.at[5].w);
	f.fail_op = IPX_CMD_WRITE_BKT;
	assert_int_equal(sat_bkt_insert(&s, t, b, w, spi), -EIO);
	assert_int_equal(s.bkt[t][b * IPX_SPI_WAYS + w], 0);
	sat_free(&s);
}

static void test_install(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	struct ipx_sa_params p = { .spi = 0x2002, .dir = IPX_DIR_IN, .key_len = 20,
				   .seq = 100, .replay_window = 128 };
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(sat_install(&s, 6, &p, &seq), 0);
	assert_true(seq == 99);   /* the window's top: just below the first expected */
	assert_int_equal(f.n, IPX_KEY_SLOTS + 4);
	assert_int_equal(f.log[IPX_KEY_SLOTS].op, IPX_CMD_WRITE_STATE);
	assert_true(SAT_GET(f.log[IPX_KEY_SLOTS].stg, ST_SEQ) == 99);
	assert_int_equal(f.log[IPX_KEY_SLOTS + 1].op, IPX_CMD_WRITE_WIN);
	assert_int_equal(f.log[IPX_KEY_SLOTS + 2].op, IPX_CMD_WRITE_CTR);
	assert_int_equal(f.log[IPX_KEY_SLOTS + 3].op, IPX_CMD_WRITE_CFG);
	for (unsigned i = 0; i < f.n; i++) {
		assert_int_equal(f.log[i].dir, IPX_DIR_IN);
		assert_int_equal(f.log[i].index, 6);
	}
	/* outbound: the first sequence number itself, no window */
	sat_free(&s);
	s = fake_sat(&f, &f_ops);
	p.dir = IPX_DIR_OUT;
	p.seq = 0;
	assert_int_equal(sat_install(&s, 6, &p, &seq), 0);
	assert_true(seq == 1);
	assert_int_equal(f.n, IPX_KEY_SLOTS + 3);
	sat_free(&s);
}

static void test_update_set_state(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	struct ipx_sa_params cur = { .spi = 1, .dir = IPX_DIR_OUT, .key_len = 20 }, upd = { 0 };
	struct sat_state st = { .seq = 5, .packets = 100, .bytes = 5000, .soft = true,
				.hard = true };
	struct ipx_sa_state in = { 0 };

	(void)state;
	assert_int_equal(sat_state_write(&s, IPX_DIR_OUT, 2, &st), 0);
	/* new lifetimes: flags cleared, checked again, one event */
	upd.soft.packets = 50;
	upd.hard.bytes = 10000;
	f.n = 0;
	assert_int_equal(sat_update(&s, IPX_DIR_OUT, 2, &cur, IPX_UPD_LIFETIME, &upd), 0);
	assert_true(cur.soft.packets == 50 && cur.hard.bytes == 10000);
	assert_int_equal(f.nev, 1);
	assert_int_equal(f.ev[0].type, IPX_EV_SOFT_LIFETIME);
	assert_int_equal(f.ev[0].dir, IPX_DIR_OUT);
	assert_int_equal(f.ev[0].index, 2);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.log[0].op, IPX_CMD_WRITE_CFG);
	assert_int_equal(f.log[1].op, IPX_CMD_READ_STATE);
	assert_int_equal(f.log[2].op, IPX_CMD_WRITE_STATE);
	assert_true(SAT_GET(f.log[2].stg, ST_SOFT_EXPIRED) == 1);
	assert_true(SAT_GET(f.log[2].stg, ST_HARD_EXPIRED) == 0);
	/* UDP encapsulation takes both ports or none */
	upd.encap_sport = 4500;
	assert_int_equal(sat_update(&s, IPX_DIR_OUT, 2, &cur, IPX_UPD_ADDRS, &upd), -EINVAL);
	/* the outbound counter only moves forward */
	in.seq = 4;
	assert_int_equal(sat_set_state(&s, IPX_DIR_OUT, 2, &cur, &in), -EINVAL);
	in.seq = 0x100000000ull;   /* past the end without ESN */
	assert_int_equal(sat_set_state(&s, IPX_DIR_OUT, 2, &cur, &in), -EINVAL);
	in.seq = 6;
	in.ctr.packets = 7;
	assert_int_equal(sat_set_state(&s, IPX_DIR_OUT, 2, &cur, &in), 0);
	struct ipx_sa_state out;

	assert_int_equal(sat_query(&s, IPX_DIR_OUT, 2, &cur, &out), 0);
	assert_true(out.seq == 6 && out.ctr.packets == 7 && !out.soft_expired);
	sat_free(&s);
}

static void test_window(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &f_ops);
	uint64_t ring[2], back[2], bitmap[IPX_REPLAY_WINDOW_MAX / 64] = { 0 };
	uint64_t out[IPX_REPLAY_WINDOW_MAX / 64];

	(void)state;
	/* a fresh window with top 99: every number up to 99 reads as seen,
	 * none above it */
	sat_ring_init(ring, 2, 99);
	assert_true(ring[0] == ~0ull);
	assert_true(ring[1] == (1ull << 36) - 1);
	sat_ring_export(ring, 2, 99, 128, out);
	assert_true(out[0] == ~0ull && out[1] == ~0ull);
	/* a pattern survives import, the pipeline and export */
	for (unsigned i = 0; i < 128; i += 3)
		bitmap[i / 64] |= 1ull << (i % 64);
	sat_ring_import(ring, 2, 1000, 128, bitmap);
	assert_int_equal(sat_win_write(&s, 5, ring), 0);
	assert_int_equal(sat_win_read(&s, 5, back), 0);
	assert_memory_equal(ring, back, sizeof(ring));
	sat_ring_export(back, 2, 1000, 128, out);
	assert_memory_equal(out, bitmap, sizeof(uint64_t) * 2);
	assert_int_equal(f.log[0].op, IPX_CMD_WRITE_WIN);
	assert_int_equal(f.log[1].op, IPX_CMD_READ_WIN);
	sat_free(&s);
}

/* ---- card_sa.c over the fake */

static struct card_sas *g_cs;  /* whose SAs the fake's buckets hold */

static bool cs_bkt_holds(void *ctx, uint32_t i, unsigned t, uint32_t b, unsigned w)
{
	(void)ctx;
	return card_sa_in_bucket(g_cs, i, t, b, w);
}

static const struct sat_ops cs_ops = {
	.stg_write = f_stg_write, .stg_read = f_stg_read, .cmd = f_cmd,
	.flush = f_flush, .bkt_holds = cs_bkt_holds, .event = f_event,
};

static struct ipx_sa_params cs_params(uint32_t spi, unsigned dir)
{
	struct ipx_sa_params p = { .spi = spi, .dir = (uint8_t)dir, .key_len = 20,
				   .replay_window = dir == IPX_DIR_IN ? 128 : 0 };

	memset(p.key, 0xab, sizeof(p.key));
	return p;
}

static void test_card_sa_handles(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &cs_ops);
	struct card_sas cs;
	struct ipx_sa_params out = cs_params(0x100, IPX_DIR_OUT), in = cs_params(0x200, IPX_DIR_IN);
	uint32_t ho, hi;

	(void)state;
	for (int direct = 0; direct < 2; direct++) {
		assert_int_equal(card_sas_init(&cs, &s, NSA, direct), 0);
		g_cs = &cs;
		f.n = 0;
		assert_int_equal(card_sa_add(&cs, &(struct ipx_card_fault){ 0 }, &out, &ho), 0);
		f.n = 0;
		assert_int_equal(card_sa_add(&cs, &(struct ipx_card_fault){ 0 }, &in, &hi), 0);
		/* one handle space, or the table entry itself */
		assert_int_equal(ho, 0);
		assert_int_equal(hi, direct ? NSA : 1);
		assert_int_equal(card_sa_lookup(&cs, 0x200), hi);
		assert_int_equal(card_sa_lookup(&cs, 0x100), IPX_SA_NONE);
		assert_ptr_equal(card_sa_at(&cs, IPX_DIR_IN, 0), card_sa_get(&cs, hi));
		assert_int_equal(card_sa_get(&cs, hi)->index, 0);
		/* no key bytes kept but the GCM salt */
		for (unsigned k = 0; k < 16; k++)
			assert_int_equal(card_sa_get(&cs, ho)->p.key[k], 0);
		assert_int_equal(card_sa_get(&cs, ho)->p.key[16], 0xab);
		f.n = 0;
		assert_int_equal(card_sa_add(&cs, &(struct ipx_card_fault){ 0 }, &in, &hi), -EEXIST);
		f.n = 0;
		assert_int_equal(card_sa_delete(&cs, &(struct ipx_card_fault){ 0 }, hi), 0);
		assert_int_equal(card_sa_lookup(&cs, 0x200), IPX_SA_NONE);
		assert_null(card_sa_at(&cs, IPX_DIR_IN, 0));
		assert_int_equal(card_sa_delete(&cs, &(struct ipx_card_fault){ 0 }, hi), -ENOENT);
		card_sas_free(&cs);
		sat_clear(&s);
	}
	sat_free(&s);
}

static void test_card_sa_install_fails(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &cs_ops);
	struct card_sas cs;
	struct ipx_sa_params in = cs_params(0x300, IPX_DIR_IN);
	uint32_t h;

	(void)state;
	assert_int_equal(card_sas_init(&cs, &s, NSA, false), 0);
	g_cs = &cs;
	f.fail_op = IPX_CMD_WRITE_CFG;
	assert_int_equal(card_sa_add(&cs, &(struct ipx_card_fault){ 0 }, &in, &h), -EIO);
	/* the key slots cleared again, nothing left in the host's tables */
	assert_int_equal(f.log[f.n - 1].op, IPX_CMD_CLEAR_KEYS);
	assert_null(card_sa_get(&cs, 0));
	assert_null(card_sa_at(&cs, IPX_DIR_IN, 0));
	assert_int_equal(card_sa_lookup(&cs, 0x300), IPX_SA_NONE);
	f.fail_op = -1;
	f.n = 0;
	assert_int_equal(card_sa_add(&cs, &(struct ipx_card_fault){ 0 }, &in, &h), 0);
	assert_int_equal(h, 0);
	card_sas_free(&cs);
	sat_free(&s);
}

static void test_card_sa_faulted(void **state)
{
	struct fake f;
	struct sat s = fake_sat(&f, &cs_ops);
	struct card_sas cs;
	struct ipx_card_fault ok = { 0 }, bad = { .faulted = true };
	struct ipx_sa_params out = cs_params(0x400, IPX_DIR_OUT), in = cs_params(0x500, IPX_DIR_IN);
	struct ipx_sa_state st;
	uint32_t ho, hi, h;

	(void)state;
	out.seq = 1000;
	assert_int_equal(card_sas_init(&cs, &s, NSA, false), 0);
	g_cs = &cs;
	assert_int_equal(card_sa_add(&cs, &ok, &out, &ho), 0);
	f.n = 0;
	assert_int_equal(card_sa_add(&cs, &ok, &in, &hi), 0);
	/* 50 packets handed to the card, then it fails: the answer is never
	 * below what it may have used */
	ipx_seq_bound_handed(&card_sa_get(&cs, ho)->seq, 50);
	f.n = 0;
	assert_int_equal(card_sa_query(&cs, &bad, ho, &st), 0);
	assert_int_equal(f.n, 0);   /* the card is not asked */
	assert_true(st.seq == 1050);
	assert_false(st.seq_exhausted);
	assert_int_equal(card_sa_query(&cs, &bad, hi, &st), 0);
	assert_int_equal(st.replay_window, 128);
	/* refused or only forgotten */
	assert_int_equal(card_sa_update(&cs, &bad, ho, IPX_UPD_LIFETIME, &out), -EIO);
	assert_int_equal(card_sa_set_state(&cs, &bad, ho, &st), -EIO);
	assert_int_equal(card_sa_add(&cs, &bad, &out, &h), -EIO);
	assert_int_equal(card_sa_delete(&cs, &bad, hi), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(card_sa_lookup(&cs, 0x500), IPX_SA_NONE);
	card_sas_free(&cs);
	sat_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_state_ctr_roundtrip),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_place_lookup),
		cmocka_unit_test(test_install),
		cmocka_unit_test(test_update_set_state),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_card_sa_handles),
		cmocka_unit_test(test_card_sa_install_fails),
		cmocka_unit_test(test_card_sa_faulted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
