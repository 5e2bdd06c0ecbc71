/*
 * The placement and fallback layer (driver/place.c) over the sim card and
 * the software engine: placement per cipher and feature, bursts mixing both
 * engines stitched back in order, each card fault (stall, DMA error, reset)
 * in the middle of traffic, state carried to software and back, events.
 *
 * Nonce safety is checked twice, independently of the layer under test:
 * every ESP sequence number sent is recorded per SA and must be strictly
 * increasing (so never repeated, on any path), and every packet is
 * decrypted by a separate software engine whose replay window would reject
 * a repeated number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/place.h>

#include "tengine.h"

#define BURST 8
#define MARGIN 1024

struct flow {
	struct ipx_sa_params p;
	uint32_t h;          /* outbound SA on the engine under test */
	uint32_t ref_in;     /* the same SA, inbound, on the reference */
	uint64_t last_seq;   /* highest sequence number seen on the wire */
	unsigned sent;
};

static struct ipx_engine *open_placed(void)
{
	struct ipx_engine_config cfg = { .max_sas = 64, .deadline_ms = 20 };
	struct ipx_engine *e = NULL;

	assert_int_equal(ipx_engine_open("sim", &cfg, &e), 0);
	assert_true(ipx_place_is(e));
	return e;
}

static void flow_init(struct flow *f, struct ipx_engine *e, struct ipx_engine *ref,
		      enum ipx_cipher c)
{
	memset(f, 0, sizeof(*f));
	te_params(&f->p, c, IPX_MODE_TUNNEL, 0, false, false);
	f->h = te_add(e, &f->p, IPX_DIR_OUT);
	f->ref_in = te_add(ref, &f->p, IPX_DIR_IN);
}

static enum ipx_where where_of(struct ipx_engine *e, uint32_t h)
{
	enum ipx_where w = IPX_ON_NONE;

	assert_int_equal(ipx_place_where(e, h, &w, NULL, 0), 0);
	return w;
}

/* One burst of n packets alternating over the flows; every packet must come
 * out OK, carry a sequence number above every earlier one of its SA, and
 * decrypt on the reference to the very bytes that went in.  Returns the
 * first sequence number seen on flow 0 in this burst. */
static uint64_t burst(struct ipx_engine *e, struct ipx_engine *ref, struct flow *fl, unsigned nf,
		      unsigned n)
{
	struct ipx_pkt pk[BURST * 4];
	uint8_t inner[BURST * 4][200];
	uint32_t lens[BURST * 4];
	uint64_t first0 = 0;

	assert_true(n <= BURST * 4);
	for (unsigned i = 0; i < n; i++) {
		uint32_t len = 60 + (uint32_t)(tlib_rand() % 140);

		tlib_ip_packet(inner[i], len, 0, 17);
		lens[i] = len;
		pk[i] = te_pkt(inner[i], len);
		pk[i].sa = fl[i % nf].h;
	}
	assert_int_equal(ipx_encrypt_burst(e, pk, n), (int)n);
	for (unsigned i = 0; i < n; i++) {
		struct flow *f = &fl[i % nf];
		const uint8_t *esp;
		uint64_t seq;

		if (pk[i].status != IPX_ST_OK)
			fail_msg("packet %u of SA %08x: %s", i, f->p.spi,
				 ipx_status_name(pk[i].status));
		esp = te_data(&pk[i]) + pk[i].esp_off;
		assert_int_equal(ipx_ld32(esp), f->p.spi);
		seq = ipx_ld32(esp + 4);
		if (seq <= f->last_seq)
			fail_msg("SA %08x sent sequence number %llu after %llu", f->p.spi,
				 (unsigned long long)seq, (unsigned long long)f->last_seq);
		if (i == 0)
			first0 = seq;
		f->last_seq = seq;
		f->sent++;
		/* the independent decryption: its replay window rejects repeats */
		assert_int_equal(te_decrypt(ref, &pk[i]), IPX_ST_OK);
		assert_int_equal(pk[i].sa, f->ref_in);
		assert_int_equal(pk[i].len, lens[i]);
		assert_memory_equal(te_data(&pk[i]), inner[i], lens[i]);
	}
	te_reset();
	return first0;
}

static unsigned count_events(struct ipx_engine *e, enum ipx_event_type type, uint32_t *spis,
			     unsigned max)
{
	struct ipx_event ev[64];
	unsigned n, k = 0;

	while ((n = ipx_events(e, ev, 64)) > 0)
		for (unsigned i = 0; i < n; i++)
			if (ev[i].type == type) {
				if (k < max)
					spis[k] = ev[i].spi;
				k++;
			}
	return k;
}

/* ChaCha20-Poly1305, AES-CBC/HMAC, transport mode and IPv6 outer headers go
 * to software, AES-GCM to the card, and one burst mixing them comes back in
 * order with the right bytes for each. */
static void test_placement(void **state)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct flow fl[3];
	struct ipx_sa_params p;
	char why[112];
	enum ipx_where w;
	uint32_t h;
	struct ipx_caps c;

	(void)state;
	tlib_srand(11);
	ipx_engine_caps(e, &c);
	assert_string_equal(c.backend, "sim");
	flow_init(&fl[0], e, ref, IPX_CIPHER_AES256GCM16);
	flow_init(&fl[1], e, ref, IPX_CIPHER_CHACHA20POLY1305);
	flow_init(&fl[2], e, ref, IPX_CIPHER_AES128_SHA256);
	assert_int_equal(where_of(e, fl[0].h), IPX_ON_CARD);
	assert_int_equal(ipx_place_where(e, fl[1].h, &w, why, sizeof(why)), 0);
	assert_int_equal(w, IPX_ON_SOFT);
	assert_non_null(strstr(why, "chacha20poly1305"));
	assert_int_equal(where_of(e, fl[2].h), IPX_ON_SOFT);

	te_params(&p, IPX_CIPHER_AES128GCM16, IPX_MODE_TRANSPORT, 0, false, false);
	h = te_add(e, &p, IPX_DIR_OUT);
	assert_int_equal(ipx_place_where(e, h, &w, why, sizeof(why)), 0);
	assert_int_equal(w, IPX_ON_SOFT);
	assert_non_null(strstr(why, "transport"));
	te_params(&p, IPX_CIPHER_AES128GCM16, IPX_MODE_TUNNEL, 1, false, false);
	h = te_add(e, &p, IPX_DIR_OUT);
	assert_int_equal(where_of(e, h), IPX_ON_SOFT);
	te_params(&p, IPX_CIPHER_AES128GCM16, IPX_MODE_TUNNEL, 0, true, true);
	h = te_add(e, &p, IPX_DIR_IN);
	assert_int_equal(where_of(e, h), IPX_ON_CARD);
	assert_int_equal(ipx_sa_lookup(e, p.spi), h);

	for (int k = 0; k < 4; k++)
		burst(e, ref, fl, 3, 24);
	/* the card really did the AES-GCM packets */
	{
		struct ipx_sa_state st;
		struct ipx_place_info in;

		assert_int_equal(ipx_sa_query(e, fl[0].h, &st), 0);
		assert_int_equal(st.ctr.packets, fl[0].sent);
		assert_int_equal(ipx_place_info(e, &in), 0);
		assert_int_equal(in.sas_card, 2);
		assert_int_equal(in.sas_soft, 4);
		assert_true(in.card_serving);
	}
	/* a handle from nowhere: BAD_SA, counted, the rest of the burst fine */
	{
		uint8_t x[64];
		struct ipx_pkt pk[2];

		tlib_ip_packet(x, sizeof(x), 0, 17);
		pk[0] = te_pkt(x, sizeof(x));
		pk[0].sa = 999;
		pk[1] = te_pkt(x, sizeof(x));
		pk[1].sa = fl[0].h;
		assert_int_equal(ipx_encrypt_burst(e, pk, 2), 2);
		assert_int_equal(pk[0].status, IPX_ST_BAD_SA);
		assert_int_equal(pk[1].status, IPX_ST_OK);
		assert_int_equal(te_engine_drops(e, IPX_ST_BAD_SA), 1);
		te_reset();
	}
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

/* A wire packet kept for a replay (te_reset() frees the pool). */
struct wire {
	uint8_t b[256];
	uint32_t len;
};

static void keep_wire(struct wire *w, const struct ipx_pkt *pk)
{
	assert_true(pk->len <= sizeof(w->b));
	memcpy(w->b, te_data(pk), pk->len);
	w->len = pk->len;
}

/* Inbound: the reference encrypts, the engine under test decrypts. */
static int rx(struct ipx_engine *e, struct ipx_engine *ref, uint32_t ref_out, uint32_t in_h,
	      struct wire *keep)
{
	uint8_t x[100];
	struct ipx_pkt pk;

	tlib_ip_packet(x, sizeof(x), 0, 17);
	pk = te_pkt(x, sizeof(x));
	assert_int_equal(te_encrypt(ref, ref_out, &pk), IPX_ST_OK);
	if (keep)
		keep_wire(keep, &pk);
	assert_int_equal(ipx_decrypt_burst(e, &pk, 1), 1);
	if (pk.status == IPX_ST_OK) {
		assert_int_equal(pk.sa, in_h);
		assert_memory_equal(te_data(&pk), x, sizeof(x));
	}
	return pk.status;
}

static int rx_again(struct ipx_engine *e, const struct wire *kept)
{
	struct ipx_pkt pk = te_pkt(kept->b, kept->len);

	assert_int_equal(ipx_decrypt_burst(e, &pk, 1), 1);
	return pk.status;
}

/* A fault of the given kind in the middle of traffic on two outbound SAs
 * (card and software) and one inbound SA on the card; then a manual move
 * back; then a second fault and move back. */
static void fault_run(enum ipx_fault kind)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct ipx_engine *card = ipx_place_card(e);
	struct flow fl[2];
	struct ipx_sa_params ip;
	uint32_t in_h, ref_out, spis[8];
	struct wire old[6];
	struct ipx_place_info info;
	struct ipx_health hl;
	uint64_t before, first;
	unsigned moved;

	tlib_srand(100 + kind);
	assert_non_null(card);
	flow_init(&fl[0], e, ref, IPX_CIPHER_AES128GCM16);
	flow_init(&fl[1], e, ref, IPX_CIPHER_CHACHA20POLY1305);
	te_params(&ip, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	ip.replay_window = 128;
	in_h = te_add(e, &ip, IPX_DIR_IN);
	ref_out = te_add(ref, &ip, IPX_DIR_OUT);
	assert_int_equal(where_of(e, in_h), IPX_ON_CARD);

	for (int k = 0; k < 3; k++)
		burst(e, ref, fl, 2, BURST);
	/* inbound 1..6 accepted by the card; 7 is held back (a hole) */
	for (int k = 0; k < 6; k++)
		assert_int_equal(rx(e, ref, ref_out, in_h, &old[k]), IPX_ST_OK);
	{
		uint8_t x[100];
		struct ipx_pkt hole;

		tlib_ip_packet(x, sizeof(x), 0, 17);
		hole = te_pkt(x, sizeof(x));
		assert_int_equal(te_encrypt(ref, ref_out, &hole), IPX_ST_OK);
		keep_wire(&old[5], &hole);  /* seq 7, never delivered */
	}
	assert_int_equal(rx(e, ref, ref_out, in_h, NULL), IPX_ST_OK);  /* seq 8 */
	/* the window read back from the card (what a fallback carries) */
	{
		struct ipx_sa_state st;

		assert_int_equal(ipx_sa_query(e, in_h, &st), 0);
		assert_int_equal(st.seq, 8);
	}
	count_events(e, IPX_EV_FALLBACK, spis, 8);

	before = fl[0].last_seq;
	assert_int_equal(ipx_engine_inject_fault(e, kind), 0);
	/* the next burst meets the fault, falls back and is re-run in software:
	 * no packet of it is lost */
	first = burst(e, ref, fl, 2, BURST);
	if (first < before + MARGIN)
		fail_msg("after the fallback SA %08x sent %llu, expected >= %llu + %d",
			 fl[0].p.spi, (unsigned long long)first, (unsigned long long)before,
			 MARGIN);
	assert_int_equal(where_of(e, fl[0].h), IPX_ON_SOFT);
	assert_int_equal(where_of(e, in_h), IPX_ON_SOFT);
	assert_int_equal(where_of(e, fl[1].h), IPX_ON_SOFT);
	assert_int_equal(ipx_engine_health(card, &hl), 0);
	assert_false(hl.ok);
	assert_int_equal(hl.fault, kind);
	assert_int_equal(hl.faults, 1);
	/* events: the card's fault, one FALLBACK per SA that was on the card */
	assert_int_equal(count_events(e, IPX_EV_FALLBACK, spis, 8), 2);
	assert_true((spis[0] == fl[0].p.spi && spis[1] == ip.spi) ||
		    (spis[1] == fl[0].p.spi && spis[0] == ip.spi));
	assert_int_equal(ipx_place_info(e, &info), 0);
	assert_false(info.card_serving);
	assert_int_equal(info.fallbacks, 1);
	assert_int_equal(info.sas_card, 0);

	/* the inbound window came along: old numbers replayed, the hole open */
	assert_int_equal(rx_again(e, &old[2]), IPX_ST_REPLAYED);
	assert_int_equal(rx_again(e, &old[5]), IPX_ST_OK);      /* seq 7 */
	assert_int_equal(rx_again(e, &old[5]), IPX_ST_REPLAYED);
	assert_int_equal(rx(e, ref, ref_out, in_h, NULL), IPX_ST_OK);

	for (int k = 0; k < 3; k++)
		burst(e, ref, fl, 2, BURST);

	/* back to the card (recovered first): numbers keep increasing */
	before = fl[0].last_seq;
	assert_int_equal(ipx_place_move(e, IPX_ON_CARD, 0, &moved), 0);
	assert_int_equal(moved, 2);   /* ChaCha20 stays in software */
	assert_int_equal(where_of(e, fl[0].h), IPX_ON_CARD);
	assert_int_equal(where_of(e, in_h), IPX_ON_CARD);
	assert_int_equal(where_of(e, fl[1].h), IPX_ON_SOFT);
	assert_int_equal(ipx_engine_health(card, &hl), 0);
	assert_true(hl.ok);
	first = burst(e, ref, fl, 2, BURST);
	assert_int_equal(first, before + 1);   /* software state is exact */
	assert_int_equal(rx_again(e, &old[5]), IPX_ST_REPLAYED);  /* window carried back */
	assert_int_equal(rx(e, ref, ref_out, in_h, NULL), IPX_ST_OK);
	for (int k = 0; k < 2; k++)
		burst(e, ref, fl, 2, BURST);

	/* a second fault of the same kind, with no read-back since the move */
	before = fl[0].last_seq;
	assert_int_equal(ipx_engine_inject_fault(e, kind), 0);
	first = burst(e, ref, fl, 2, BURST);
	assert_true(first >= before + MARGIN);
	assert_int_equal(where_of(e, fl[0].h), IPX_ON_SOFT);
	assert_int_equal(ipx_place_move(e, IPX_ON_CARD, fl[0].p.spi, &moved), 0);
	assert_int_equal(moved, 1);
	burst(e, ref, fl, 2, BURST);
	assert_int_equal(ipx_place_info(e, &info), 0);
	assert_int_equal(info.fallbacks, 2);
	assert_int_equal(info.moves_back, 3);
	ipx_engine_close(e);
	ipx_engine_close(ref);
	te_reset();
}

static void test_fault_stall(void **state)
{
	(void)state;
	fault_run(IPX_FAULT_STALL);
}

static void test_fault_dma(void **state)
{
	(void)state;
	fault_run(IPX_FAULT_DMA);
}

static void test_fault_reset(void **state)
{
	(void)state;
	fault_run(IPX_FAULT_RESET);
}

/* A stall is only seen at the deadline: the packets inside the card were
 * given sequence numbers there; software continues above all of them. */
static void test_stall_upper_bound(void **state)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct flow f;
	struct ipx_place_opts o = { .seq_margin = 16 };
	uint64_t before, first;

	(void)state;
	tlib_srand(7);
	assert_int_equal(ipx_place_configure(e, &o), 0);
	flow_init(&f, e, ref, IPX_CIPHER_AES128GCM16);
	burst(e, ref, &f, 1, BURST);
	before = f.last_seq;
	assert_int_equal(ipx_engine_inject_fault(e, IPX_FAULT_STALL), 0);
	first = burst(e, ref, &f, 1, BURST * 4);
	/* 32 packets went into the stalled card: numbers before+1..before+32
	 * may be spent there; software starts above them plus the margin */
	assert_int_equal(first, before + BURST * 4 + 16 + 1);
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

/* Manual moves on a healthy card, SA by SA, in both directions. */
static void test_manual_moves(void **state)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct flow fl[2];
	unsigned moved;
	uint64_t before;

	(void)state;
	tlib_srand(5);
	flow_init(&fl[0], e, ref, IPX_CIPHER_AES128GCM16);
	flow_init(&fl[1], e, ref, IPX_CIPHER_AES256GCM16);
	burst(e, ref, fl, 2, BURST);
	assert_int_equal(ipx_place_move(e, IPX_ON_SOFT, fl[1].p.spi, &moved), 0);
	assert_int_equal(moved, 1);
	assert_int_equal(where_of(e, fl[0].h), IPX_ON_CARD);
	assert_int_equal(where_of(e, fl[1].h), IPX_ON_SOFT);
	before = fl[1].last_seq;
	burst(e, ref, fl, 2, BURST);
	assert_int_equal(fl[1].last_seq, before + BURST / 2);  /* exact, no gap */
	assert_int_equal(ipx_place_move(e, IPX_ON_SOFT, 0, &moved), 0);
	assert_int_equal(moved, 1);
	burst(e, ref, fl, 2, BURST);
	assert_int_equal(ipx_place_move(e, IPX_ON_CARD, 0, &moved), 0);
	assert_int_equal(moved, 2);
	burst(e, ref, fl, 2, BURST);
	assert_int_equal(where_of(e, fl[1].h), IPX_ON_CARD);
	/* new SAs while the card serves go there; after a fault, to software */
	assert_int_equal(ipx_engine_inject_fault(e, IPX_FAULT_DMA), 0);
	burst(e, ref, fl, 2, BURST);
	{
		struct flow g;

		flow_init(&g, e, ref, IPX_CIPHER_AES128GCM16);
		assert_int_equal(where_of(e, g.h), IPX_ON_SOFT);
		burst(e, ref, &g, 1, 2);
	}
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

/* engine_auto_back: the card is recovered and the SAs go back by themselves
 * once the time has passed, numbers still increasing. */
static void test_auto_back(void **state)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct ipx_place_opts o = { .auto_back_s = 1 };
	struct flow f;
	struct timespec ts = { 1, 100000000 };
	uint64_t before;

	(void)state;
	tlib_srand(3);
	assert_int_equal(ipx_place_configure(e, &o), 0);
	flow_init(&f, e, ref, IPX_CIPHER_AES256GCM16);
	burst(e, ref, &f, 1, BURST);
	assert_int_equal(ipx_engine_inject_fault(e, IPX_FAULT_RESET), 0);
	burst(e, ref, &f, 1, BURST);
	assert_int_equal(where_of(e, f.h), IPX_ON_SOFT);
	burst(e, ref, &f, 1, BURST);
	assert_int_equal(where_of(e, f.h), IPX_ON_SOFT);   /* not before the time */
	nanosleep(&ts, NULL);
	before = f.last_seq;
	assert_int_equal(burst(e, ref, &f, 1, BURST), before + 1);
	assert_int_equal(where_of(e, f.h), IPX_ON_CARD);
	burst(e, ref, &f, 1, BURST);
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

/* "auto" without an xrt backend in the build: software, saying why. */
static void test_auto(void **state)
{
	struct ipx_engine *e = NULL;
	struct ipx_caps c;

	(void)state;
	tlib_log_capture(1);
	assert_int_equal(ipx_engine_open("auto", NULL, &e), 0);
	ipx_engine_caps(e, &c);
	if (strcmp(c.backend, "soft") == 0)
		assert_non_null(strstr(tlib_log_text(), "engine auto"));
	tlib_log_capture(0);
	ipx_engine_close(e);
	/* the plain backends stay reachable one by one */
	assert_int_equal(ipx_engine_open_direct("sim", NULL, &e), 0);
	assert_false(ipx_place_is(e));
	assert_int_equal(ipx_place_move(e, IPX_ON_CARD, 0, NULL), -EOPNOTSUPP);
	ipx_engine_close(e);
}

/* Events of the engines behind come out with this layer's handles. */
static void test_events(void **state)
{
	struct ipx_engine *e = open_placed(), *ref = te_open_ref();
	struct flow f[2];
	struct ipx_event ev[16];
	unsigned n, soft_seen = 0, card_seen = 0;

	(void)state;
	tlib_srand(9);
	te_params(&f[0].p, IPX_CIPHER_AES128GCM16, IPX_MODE_TUNNEL, 0, false, false);
	f[0].p.soft.packets = 3;
	f[0].h = te_add(e, &f[0].p, IPX_DIR_OUT);
	f[0].ref_in = te_add(ref, &f[0].p, IPX_DIR_IN);
	f[0].last_seq = 0;
	te_params(&f[1].p, IPX_CIPHER_CHACHA20POLY1305, IPX_MODE_TUNNEL, 0, false, false);
	f[1].p.soft.packets = 3;
	f[1].h = te_add(e, &f[1].p, IPX_DIR_OUT);
	f[1].ref_in = te_add(ref, &f[1].p, IPX_DIR_IN);
	f[1].last_seq = 0;
	burst(e, ref, f, 2, BURST);
	while ((n = ipx_events(e, ev, 16)) > 0)
		for (unsigned i = 0; i < n; i++) {
			if (ev[i].type != IPX_EV_SOFT_LIFETIME)
				continue;
			if (ev[i].sa == f[0].h && ev[i].spi == f[0].p.spi)
				card_seen++;
			if (ev[i].sa == f[1].h && ev[i].spi == f[1].p.spi)
				soft_seen++;
		}
	assert_int_equal(card_seen, 1);
	assert_int_equal(soft_seen, 1);
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

/* A card table of 4 SAs each way (engine_card_sas): the 5th SA of a
 * direction and those after it run in software, counted (card_full,
 * sas_soft_no_room, card_full_sas), and carry traffic like the others; a
 * card SA deleted, the next new SA fills the card again, on the handle
 * freed (handles come off a free stack, not a scan). */
static void test_card_full(void **state)
{
	struct ipx_engine_config cfg = { .max_sas = 4, .deadline_ms = 20 };
	struct ipx_engine *e = NULL, *ref = NULL;
	struct ipx_place_info pi;
	struct flow fl[6];
	struct ipx_sa_params p;
	uint32_t h[8], nh;
	unsigned on_card = 0;

	(void)state;
	assert_int_equal(ipx_engine_open("sim", &cfg, &e), 0);
	assert_int_equal(ipx_engine_open("soft", NULL, &ref), 0);
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	p.dir = IPX_DIR_IN;
	for (unsigned i = 0; i < 8; i++) {
		p.spi = 0x51000000u + i;
		assert_int_equal(ipx_sa_add(e, &p, &h[i]), 0);
		on_card += where_of(e, h[i]) == IPX_ON_CARD;
	}
	assert_int_equal(on_card, 4);
	assert_int_equal(ipx_place_info(e, &pi), 0);
	assert_int_equal(pi.card_max_sas, 4);
	assert_true(pi.card_full);
	assert_int_equal(pi.sas_soft_no_room, 4);
	assert_int_equal(pi.card_full_sas, 4);
	/* outbound: 4 on the card, 2 beyond it, one burst over all six */
	for (unsigned i = 0; i < 6; i++) {
		flow_init(&fl[i], e, ref, IPX_CIPHER_AES256GCM16);
		assert_int_equal(where_of(e, fl[i].h), i < 4 ? IPX_ON_CARD : IPX_ON_SOFT);
	}
	burst(e, ref, fl, 6, 24);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(fl[i].sent, 4);
	/* room again: a card SA goes, the next SA takes its place there */
	for (unsigned i = 0; i < 8; i++)
		if (where_of(e, h[i]) == IPX_ON_CARD) {
			assert_int_equal(ipx_sa_delete(e, h[i]), 0);
			p.spi = 0x52000000u;
			assert_int_equal(ipx_sa_add(e, &p, &nh), 0);
			assert_int_equal(nh, h[i]);
			assert_int_equal(where_of(e, nh), IPX_ON_CARD);
			break;
		}
	assert_int_equal(ipx_place_info(e, &pi), 0);
	assert_false(pi.card_full);
	assert_int_equal(pi.sas_soft_no_room, 4 + 2);
	assert_int_equal(pi.card_full_sas, 4 + 2);
	assert_int_equal(ipx_sa_lookup(e, p.spi), nh);
	ipx_engine_close(e);
	ipx_engine_close(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_fault_stall),
		cmocka_unit_test(test_fault_dma),
		cmocka_unit_test(test_fault_reset),
		cmocka_unit_test(test_stall_upper_bound),
		cmocka_unit_test(test_manual_moves),
		cmocka_unit_test(test_auto_back),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_card_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
