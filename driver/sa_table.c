/*
 * The pipeline's SA-table records over the staging words: sa_table.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "sa_table.h"
#include "hw_keys.h"

int sat_init(struct sat *s, const struct sat_ops *ops, void *ctx, uint32_t hw_nsa, uint32_t nsa,
	     uint32_t wmax)
{
	*s = (struct sat){ .ops = ops, .ctx = ctx, .nsa = nsa, .nw = 1 };
	while (s->nw < wmax / 64 + 1)
		s->nw <<= 1;
	while ((1u << (s->bkt_bits + 2)) < hw_nsa)
		s->bkt_bits++;
	s->bkt[0] = calloc((size_t)IPX_SPI_WAYS << s->bkt_bits, sizeof(uint32_t));
	s->bkt[1] = calloc((size_t)IPX_SPI_WAYS << s->bkt_bits, sizeof(uint32_t));
	return s->bkt[0] && s->bkt[1] ? 0 : -ENOMEM;
}

void sat_free(struct sat *s)
{
	free(s->bkt[0]);
	free(s->bkt[1]);
	s->bkt[0] = s->bkt[1] = NULL;
}

void sat_clear(struct sat *s)
{
	memset(s->bkt[0], 0, ((size_t)IPX_SPI_WAYS << s->bkt_bits) * sizeof(uint32_t));
	memset(s->bkt[1], 0, ((size_t)IPX_SPI_WAYS << s->bkt_bits) * sizeof(uint32_t));
}

void sat_put(uint32_t *stg, unsigned word, unsigned lsb, unsigned width, uint64_t v)
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

uint64_t sat_get(const uint32_t *stg, unsigned word, unsigned lsb, unsigned width)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < width; i++) {
		unsigned bit = word * 32 + lsb + i;

		v |= (uint64_t)((stg[bit / 32] >> (bit % 32)) & 1) << i;
	}
	return v;
}

uint32_t sat_cmd_word(unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	uint32_t c = 0;

	sat_put(&c, 0, IPX_F_CMD_OP_LSB, IPX_F_CMD_OP_W, op);
	sat_put(&c, 0, IPX_F_CMD_DIR_LSB, IPX_F_CMD_DIR_W, dir);
	sat_put(&c, 0, IPX_F_CMD_INDEX_LSB, IPX_F_CMD_INDEX_W, index);
	sat_put(&c, 0, IPX_F_CMD_SLOT_LSB, IPX_F_CMD_SLOT_W, slot);
	return c;
}

/* Stage words [from, from + n) of stg, then run the command. */
static int write_cmd(const struct sat *s, const uint32_t *stg, unsigned from, unsigned n,
		     unsigned op, unsigned dir, uint32_t index, unsigned slot)
{
	int ret = s->ops->stg_write(s->ctx, stg, from, n);

	return ret < 0 ? ret : s->ops->cmd(s->ctx, op, dir, index, slot);
}

/* Run the command, then read words [from, from + n) into stg. */
static int read_cmd(const struct sat *s, uint32_t *stg, unsigned from, unsigned n, unsigned op,
		    unsigned dir, uint32_t index)
{
	int ret = s->ops->cmd(s->ctx, op, dir, index, 0);

	return ret < 0 ? ret : s->ops->stg_read(s->ctx, stg, from, n);
}

int sat_bkt_write(const struct sat *s, unsigned t, uint32_t b)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (unsigned w = 0; w < IPX_SPI_WAYS; w++) {
		uint32_t spi = s->bkt[t][b * IPX_SPI_WAYS + w], idx = 0;

		for (uint32_t i = 0; spi && i < s->nsa; i++)
			if (s->ops->bkt_holds(s->ctx, i, t, b, w))
				idx = i;
		sat_put(stg, IPX_F_BKT_SPI_WORD + 2 * w, IPX_F_BKT_SPI_LSB, IPX_F_BKT_SPI_W, spi);
		sat_put(stg, IPX_F_BKT_SA_WORD + 2 * w, IPX_F_BKT_SA_LSB, IPX_F_BKT_SA_W, idx);
	}
	return write_cmd(s, stg, 0, 2 * IPX_SPI_WAYS, IPX_CMD_WRITE_BKT, IPX_DIR_IN, b, t);
}

int sat_cfg_write(const struct sat *s, unsigned dir, uint32_t index,
		  const struct ipx_sa_params *p, bool valid)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	if (valid) {
		SAT_PUT(stg, CFG_VALID, 1);
		SAT_PUT(stg, CFG_CIPHER, p->cipher);
		SAT_PUT(stg, CFG_ESN, p->esn);
		SAT_PUT(stg, CFG_UDP, p->encap_sport != 0);
		SAT_PUT(stg, CFG_DF, p->df);
		SAT_PUT(stg, CFG_TTL, p->ttl ? p->ttl : IPX_DEFAULT_TTL);
		SAT_PUT(stg, CFG_WINDOW, p->dir == IPX_DIR_IN ? p->replay_window : 0);
		SAT_PUT(stg, CFG_SPI, p->spi);
		SAT_PUT(stg, CFG_SALT, ipx_ld32(p->key + p->key_len - 4));
		if (p->src.family == AF_INET)
			SAT_PUT(stg, CFG_SRC, ipx_ld32(p->src.a));
		if (p->dst.family == AF_INET)
			SAT_PUT(stg, CFG_DST, ipx_ld32(p->dst.a));
		SAT_PUT(stg, CFG_SPORT, p->encap_sport);
		SAT_PUT(stg, CFG_DPORT, p->encap_dport);
		SAT_PUT(stg, CFG_SOFT_BYTES, p->soft.bytes);
		SAT_PUT(stg, CFG_SOFT_PKTS, p->soft.packets);
		SAT_PUT(stg, CFG_HARD_BYTES, p->hard.bytes);
		SAT_PUT(stg, CFG_HARD_PKTS, p->hard.packets);
	}
	return write_cmd(s, stg, 0, 16, IPX_CMD_WRITE_CFG, dir, index, 0);
}

int sat_state_write(const struct sat *s, unsigned dir, uint32_t index, const struct sat_state *st)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	SAT_PUT(stg, ST_SEQ, st->seq);
	SAT_PUT(stg, ST_PACKETS, st->packets);
	SAT_PUT(stg, ST_BYTES, st->bytes);
	SAT_PUT(stg, ST_SEQ_EXHAUSTED, st->exhausted);
	SAT_PUT(stg, ST_SEQ_WARNED, st->warned);
	SAT_PUT(stg, ST_SOFT_EXPIRED, st->soft);
	SAT_PUT(stg, ST_HARD_EXPIRED, st->hard);
	return write_cmd(s, stg, IPX_F_ST_SEQ_WORD, 7, IPX_CMD_WRITE_STATE, dir, index, 0);
}

int sat_state_read(const struct sat *s, unsigned dir, uint32_t index, struct sat_state *st)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = read_cmd(s, stg, IPX_F_ST_SEQ_WORD, 7, IPX_CMD_READ_STATE, dir, index);

	if (ret < 0)
		return ret;
	st->seq = SAT_GET(stg, ST_SEQ);
	st->packets = SAT_GET(stg, ST_PACKETS);
	st->bytes = SAT_GET(stg, ST_BYTES);
	st->exhausted = SAT_GET(stg, ST_SEQ_EXHAUSTED);
	st->warned = SAT_GET(stg, ST_SEQ_WARNED);
	st->soft = SAT_GET(stg, ST_SOFT_EXPIRED);
	st->hard = SAT_GET(stg, ST_HARD_EXPIRED);
	return 0;
}

int sat_ctr_write(const struct sat *s, unsigned dir, uint32_t index, const uint64_t *drops)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (unsigned i = 0; i < 16; i++)
		sat_put(stg, IPX_F_CTR_DROPS_WORD + 2 * i, IPX_F_CTR_DROPS_LSB, 64,
			i < IPX_ST__COUNT && drops ? drops[i] : 0);
	return write_cmd(s, stg, IPX_F_CTR_DROPS_WORD, 32, IPX_CMD_WRITE_CTR, dir, index, 0);
}

int sat_ctr_read(const struct sat *s, unsigned dir, uint32_t index,
		 uint64_t drops[IPX_ST__COUNT])
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = read_cmd(s, stg, IPX_F_CTR_DROPS_WORD, 32, IPX_CMD_READ_CTR, dir, index);

	for (unsigned i = 0; ret == 0 && i < IPX_ST__COUNT; i++)
		drops[i] = sat_get(stg, IPX_F_CTR_DROPS_WORD + 2 * i, IPX_F_CTR_DROPS_LSB, 64);
	return ret;
}

int sat_keys_write(const struct sat *s, unsigned dir, uint32_t index, const uint8_t *key,
		   unsigned key_bytes)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	struct hwk k;
	int ret = hwk_prepare(key, key_bytes, &k);

	for (unsigned slot = 0; ret == 0 && slot < IPX_KEY_SLOTS; slot++) {
		for (unsigned i = 0; i < 4; i++)
			stg[IPX_F_KEY_WORD + 3 - i] = ipx_ld32(k.slot[slot] + 4 * i);
		ret = write_cmd(s, stg, IPX_F_KEY_WORD, 4, IPX_CMD_WRITE_KEY, dir, index, slot);
	}
	hwk_wipe(&k);
	OPENSSL_cleanse(stg, sizeof(stg));
	/* no key material left in the staging registers either */
	if (ret == 0)
		ret = s->ops->stg_write(s->ctx, stg, IPX_F_KEY_WORD, 4);
	if (ret == 0 && s->ops->flush)
		ret = s->ops->flush(s->ctx);
	return ret;
}

int sat_win_write(const struct sat *s, uint32_t index, const uint64_t *ring)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };

	for (uint32_t r = 0; r < s->nw; r++)
		sat_put(stg, IPX_F_WIN_WORD + 2 * r, IPX_F_WIN_LSB, 64, ring[r]);
	return write_cmd(s, stg, 0, 2 * s->nw, IPX_CMD_WRITE_WIN, IPX_DIR_IN, index, 0);
}

int sat_win_read(const struct sat *s, uint32_t index, uint64_t *ring)
{
	uint32_t stg[IPX_STAGING_WORDS] = { 0 };
	int ret = read_cmd(s, stg, 0, 2 * s->nw, IPX_CMD_READ_WIN, IPX_DIR_IN, index);

	for (uint32_t r = 0; ret == 0 && r < s->nw; r++)
		ring[r] = sat_get(stg, IPX_F_WIN_WORD + 2 * r, IPX_F_WIN_LSB, 64);
	return ret;
}

/* ---- replay window ring <-> the API's bitmap */

static uint64_t *ring_word(uint64_t *ring, uint32_t nw, uint64_t s)
{
	return &ring[(s >> 6) & (nw - 1)];
}

void sat_ring_init(uint64_t *ring, uint32_t nw, uint64_t top)
{
	uint32_t b = top & 63;

	for (uint32_t i = 0; i < nw; i++)
		ring[i] = ~0ull;
	*ring_word(ring, nw, top) &= b == 63 ? ~0ull : (2ull << b) - 1;
}

void sat_ring_import(uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
		     const uint64_t *bitmap)
{
	sat_ring_init(ring, nw, top);
	for (uint32_t i = 0; i < window && i <= top; i++) {
		uint64_t s = top - i, bit = 1ull << (s & 63);

		if (bitmap[i / 64] & (1ull << (i % 64)))
			*ring_word(ring, nw, s) |= bit;
		else
			*ring_word(ring, nw, s) &= ~bit;
	}
}

void sat_ring_export(const uint64_t *ring, uint32_t nw, uint64_t top, uint32_t window,
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

/* ---- SAs */

uint32_t sat_lookup(const struct sat *s, uint32_t spi)
{
	if (!spi)
		return IPX_SA_NONE;
	for (unsigned t = 0; t < 2; t++) {
		uint32_t b = hwk_spi_hash(spi, t, s->bkt_bits);

		for (unsigned w = 0; w < IPX_SPI_WAYS; w++) {
			if (s->bkt[t][b * IPX_SPI_WAYS + w] != spi)
				continue;
			for (uint32_t i = 0; i < s->nsa; i++)
				if (s->ops->bkt_holds(s->ctx, i, t, b, w))
					return i;
		}
	}
	return IPX_SA_NONE;
}

int sat_bkt_place(const struct sat *s, uint32_t spi, unsigned *t, uint32_t *b, unsigned *w)
{
	unsigned best = IPX_SPI_WAYS + 1;
	bool found = false;

	for (unsigned tt = 0; tt < 2; tt++) {
		uint32_t bb = hwk_spi_hash(spi, tt, s->bkt_bits);
		unsigned used = 0;
		int free_w = -1;

		for (unsigned ww = 0; ww < IPX_SPI_WAYS; ww++) {
			if (s->bkt[tt][bb * IPX_SPI_WAYS + ww])
				used++;
			else if (free_w < 0)
				free_w = (int)ww;
		}
		if (free_w >= 0 && used < best) {
			best = used;
			*t = tt;
			*b = bb;
			*w = (unsigned)free_w;
			found = true;
		}
	}
	if (!found) {
		ipx_err("SA %08x: both SPI hash buckets full", spi);
		return -ENOSPC;
	}
	return 0;
}

int sat_bkt_insert(const struct sat *s, unsigned t, uint32_t b, unsigned w, uint32_t spi)
{
	int ret;

	s->bkt[t][b * IPX_SPI_WAYS + w] = spi;
	ret = sat_bkt_write(s, t, b);
	if (ret < 0)
		s->bkt[t][b * IPX_SPI_WAYS + w] = 0;
	return ret;
}

int sat_install(const struct sat *s, uint32_t index, const struct ipx_sa_params *p,
		uint64_t *seq)
{
	struct sat_state st = { .seq = p->seq ? p->seq : 1 };
	int ret;

	if (p->dir == IPX_DIR_IN)
		st.seq -= 1;  /* the window's top: just below the first expected */
	*seq = st.seq;
	ret = sat_keys_write(s, p->dir, index, p->key, p->key_len - 4u);
	if (ret == 0)
		ret = sat_state_write(s, p->dir, index, &st);
	if (ret == 0 && p->dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		sat_ring_init(ring, s->nw, st.seq);
		ret = sat_win_write(s, index, ring);
	}
	if (ret == 0)
		ret = sat_ctr_write(s, p->dir, index, NULL);
	if (ret == 0)
		ret = sat_cfg_write(s, p->dir, index, p, true);
	return ret;
}

int sat_remove(const struct sat *s, unsigned dir, uint32_t index, unsigned t, uint32_t b,
	       unsigned w)
{
	int ret = sat_cfg_write(s, dir, index, NULL, false);

	if (dir == IPX_DIR_IN) {
		s->bkt[t][b * IPX_SPI_WAYS + w] = 0;
		int r2 = sat_bkt_write(s, t, b);

		if (ret == 0)
			ret = r2;
	}
	int r3 = s->ops->cmd(s->ctx, IPX_CMD_CLEAR_KEYS, dir, index, 0);

	if (ret == 0)
		ret = r3;
	return ret;
}

static void check_lifetime(const struct sat *s, unsigned dir, uint32_t index,
			   const struct ipx_sa_params *p, struct sat_state *st)
{
	if (!st->soft && ((p->soft.bytes && st->bytes >= p->soft.bytes) ||
			  (p->soft.packets && st->packets >= p->soft.packets))) {
		st->soft = true;
		s->ops->event(s->ctx, dir, index, IPX_EV_SOFT_LIFETIME);
	}
	if (!st->hard && ((p->hard.bytes && st->bytes >= p->hard.bytes) ||
			  (p->hard.packets && st->packets >= p->hard.packets))) {
		st->hard = true;
		s->ops->event(s->ctx, dir, index, IPX_EV_HARD_LIFETIME);
	}
}

int sat_update(const struct sat *s, unsigned dir, uint32_t index, struct ipx_sa_params *cur,
	       unsigned mask, const struct ipx_sa_params *p)
{
	int ret = 0;

	if (mask & IPX_UPD_ADDRS) {
		if ((p->encap_sport == 0) != (p->encap_dport == 0))
			return -EINVAL;
		if (dir == IPX_DIR_OUT &&
		    (p->src.family != cur->dst.family || p->dst.family != cur->dst.family))
			return -EINVAL;
		cur->src = p->src;
		cur->dst = p->dst;
		cur->encap_sport = p->encap_sport;
		cur->encap_dport = p->encap_dport;
	}
	if (mask & IPX_UPD_LIFETIME) {
		cur->soft = p->soft;
		cur->hard = p->hard;
	}
	if (mask & IPX_UPD_USER)
		cur->user = p->user;
	if (mask & (IPX_UPD_ADDRS | IPX_UPD_LIFETIME))
		ret = sat_cfg_write(s, dir, index, cur, true);
	if (ret == 0 && (mask & IPX_UPD_LIFETIME)) {
		/* as the software engine: flags cleared, then checked again */
		struct sat_state st;

		ret = sat_state_read(s, dir, index, &st);
		if (ret == 0) {
			st.soft = st.hard = false;
			check_lifetime(s, dir, index, cur, &st);
			ret = sat_state_write(s, dir, index, &st);
		}
	}
	return ret;
}

int sat_query(const struct sat *s, unsigned dir, uint32_t index, const struct ipx_sa_params *cur,
	      struct ipx_sa_state *out)
{
	struct sat_state st;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = sat_state_read(s, dir, index, &st);
	if (ret == 0)
		ret = sat_ctr_read(s, dir, index, out->ctr.drops);
	if (ret == 0 && dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		ret = sat_win_read(s, index, ring);
		if (ret == 0)
			sat_ring_export(ring, s->nw, st.seq, cur->replay_window, out->replay_bitmap);
	}
	if (ret < 0)
		return ret;
	out->seq = st.seq;
	out->seq_exhausted = st.exhausted;
	out->replay_window = dir == IPX_DIR_IN ? cur->replay_window : 0;
	out->ctr.packets = st.packets;
	out->ctr.bytes = st.bytes;
	out->soft_expired = st.soft;
	out->hard_expired = st.hard;
	out->seq_warned = st.warned;
	return 0;
}

int sat_set_state(const struct sat *s, unsigned dir, uint32_t index,
		  const struct ipx_sa_params *cur, const struct ipx_sa_state *in)
{
	struct sat_state now, st;
	int ret = sat_state_read(s, dir, index, &now);

	if (ret < 0)
		return ret;
	if (dir == IPX_DIR_OUT) {
		uint64_t max = cur->esn ? UINT64_MAX : UINT32_MAX;

		/* nonce safety: the counter the pipeline owns only moves forward */
		if (in->seq < now.seq || in->seq > max || in->seq == 0 ||
		    (now.exhausted && !in->seq_exhausted))
			return -EINVAL;
	} else if (in->replay_window != cur->replay_window) {
		return -EINVAL;
	}
	st.seq = in->seq;
	st.packets = in->ctr.packets;
	st.bytes = in->ctr.bytes;
	st.exhausted = dir == IPX_DIR_OUT && in->seq_exhausted;
	st.warned = in->seq_warned;
	st.soft = in->soft_expired;
	st.hard = in->hard_expired;
	if (dir == IPX_DIR_IN) {
		uint64_t ring[IPX_STAGING_WORDS / 2];

		sat_ring_import(ring, s->nw, in->seq, cur->replay_window, in->replay_bitmap);
		ret = sat_win_write(s, index, ring);
	}
	if (ret == 0)
		ret = sat_state_write(s, dir, index, &st);
	if (ret == 0)
		ret = sat_ctr_write(s, dir, index, in->ctr.drops);
	return ret;
}
