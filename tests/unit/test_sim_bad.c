/*
 * Bad input through the RTL pipeline (engine "pipe", opened directly), each case next to the
 * software engine with the same input: wrong ICV, replayed and too-old
 * sequence numbers, unknown SPI, packets truncated at every offset, bad
 * padding, dummy packets, wrong next header, bad inner headers, and on the
 * way out exhausted sequence numbers, expired SAs, no room, too big,
 * unknown SAs.  Every packet must get the expected status on both engines,
 * be counted under it, and a good packet right after must still pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/place.h>

#include "backend.h"
#include "soft/soft.h"
#include "tlib.h"

#define HEAD 128
#define BUFSZ (HEAD + 9600)

enum { SOFT = 0, SIM = 1 };

struct env {
	struct ipx_engine *eng[2];
	uint32_t out[2], in[2];     /* the test SA pair in each engine */
	struct ipx_sa_params po, pi;
	uint32_t seal;              /* soft: outbound SA with the same key, for crafting */
	uint8_t *buf;
};

static struct env *E;

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct ipx_engine_config simcfg = { .device = "in_stall=10,out_stall=10,seed=3" };

	(void)state;
	assert_non_null(e);
	e->buf = malloc(BUFSZ);
	assert_int_equal(ipx_engine_open("soft", NULL, &e->eng[SOFT]), 0);
	assert_int_equal(ipx_engine_open_direct("pipe", &simcfg, &e->eng[SIM]), 0);
	E = e;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ipx_engine_close(E->eng[SOFT]);
	ipx_engine_close(E->eng[SIM]);
	free(E->buf);
	free(E);
	return 0;
}

/* An SA pair (outbound + inbound, same key) in both engines, and the
 * crafting SA in soft. */
static void sa_pair(uint32_t spi, uint8_t cipher, bool esn, uint32_t window, uint64_t seq,
		    bool udp)
{
	struct ipx_sa_params *o = &E->po, *in = &E->pi;

	memset(o, 0, sizeof(*o));
	o->spi = spi;
	o->dir = IPX_DIR_OUT;
	o->cipher = cipher;
	o->key_len = ipx_cipher_info(cipher)->key_len;
	tlib_rand_bytes(o->key, o->key_len);
	o->esn = esn;
	o->src.family = o->dst.family = AF_INET;
	memcpy(o->src.a, "\xc0\x00\x02\x01", 4);
	memcpy(o->dst.a, "\xc0\x00\x02\x02", 4);
	if (udp) {
		o->encap_sport = 4500;
		o->encap_dport = 4500;
	}
	o->seq = seq;
	*in = *o;
	in->dir = IPX_DIR_IN;
	in->replay_window = window;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(ipx_sa_add(E->eng[k], o, &E->out[k]), 0);
		assert_int_equal(ipx_sa_add(E->eng[k], in, &E->in[k]), 0);
	}
	struct ipx_sa_params s = *o;
	s.spi = spi ^ 0x80000000u;   /* another SPI: soft only, never on the wire */
	assert_int_equal(ipx_sa_add(E->eng[SOFT], &s, &E->seal), 0);
}

static void sa_pair_drop(void)
{
	for (int k = 0; k < 2; k++) {
		assert_int_equal(ipx_sa_delete(E->eng[k], E->out[k]), 0);
		assert_int_equal(ipx_sa_delete(E->eng[k], E->in[k]), 0);
	}
	assert_int_equal(ipx_sa_delete(E->eng[SOFT], E->seal), 0);
}

/* Encrypt an inner packet of len bytes on the soft engine; the ESP packet
 * lands in out, its length is returned. */
static uint32_t make_esp(uint32_t len, uint8_t *out)
{
	struct ipx_pkt p = { .buf = E->buf, .buf_len = BUFSZ, .off = HEAD, .len = len,
			     .sa = E->out[SOFT] };

	tlib_ip_packet(E->buf + HEAD, len, 0, 17);
	assert_int_equal(ipx_encrypt_burst(E->eng[SOFT], &p, 1), 1);
	assert_int_equal(p.status, IPX_ST_OK);
	memcpy(out, p.buf + p.off, p.len);
	return p.len;
}

/* Decrypt the same bytes on both engines; both must say `want`. */
static void dec_both(const uint8_t *pkt, uint32_t len, int want, const char *what)
{
	for (int k = 0; k < 2; k++) {
		struct ipx_pkt p = { .buf = E->buf, .buf_len = BUFSZ, .off = HEAD, .len = len };

		memcpy(E->buf + HEAD, pkt, len);
		assert_int_equal(ipx_decrypt_burst(E->eng[k], &p, 1), 1);
		if (p.status != want)
			fail_msg("%s: %s engine says %s, expected %s", what, k ? "sim" : "soft",
				 ipx_status_name(p.status), ipx_status_name(want));
	}
}

/* A fresh good packet goes through both engines after a bad one. */
static void good_after(const char *what)
{
	uint8_t esp[2048];
	uint32_t n = make_esp(200 + (uint32_t)(tlib_rand() % 800), esp);

	dec_both(esp, n, IPX_ST_OK, what);
}

static uint64_t drops(int k, uint32_t h, int st)
{
	struct ipx_sa_state s;

	assert_int_equal(ipx_sa_query(E->eng[k], h, &s), 0);
	return s.ctr.drops[st];
}

static void drops_both(uint32_t hsoft, uint32_t hsim, int st, uint64_t want)
{
	assert_int_equal(drops(SOFT, hsoft, st), want);
	assert_int_equal(drops(SIM, hsim, st), want);
}

static void test_icv(void **state)
{
	uint8_t esp[4096], bad[4096];
	uint32_t n;

	(void)state;
	tlib_srand(1);
	sa_pair(0x1001, IPX_CIPHER_AES256GCM16, false, 128, 1, false);
	n = make_esp(300, esp);
	/* last byte of the ICV, a ciphertext byte, the IV, the sequence number */
	const uint32_t where[] = { n - 1, n - 17, n / 2, 20 + 8 + 3, 20 + 7 };
	for (unsigned i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		memcpy(bad, esp, n);
		bad[where[i]] ^= 0x40;
		dec_both(bad, n, IPX_ST_AUTH_FAILED, "tampered byte");
	}
	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_AUTH_FAILED, 5);
	/* the window moved for none of them: the original still passes */
	dec_both(esp, n, IPX_ST_OK, "original after forgeries");
	good_after("after wrong ICVs");
	sa_pair_drop();
}

static void test_replay(void **state)
{
	uint8_t esp[8][2048];
	uint32_t n[8];

	(void)state;
	tlib_srand(2);
	sa_pair(0x2002, IPX_CIPHER_AES128GCM16, false, 64, 1, true);
	for (int i = 0; i < 8; i++)
		n[i] = make_esp(100, esp[i]);    /* seq 1..8 */
	dec_both(esp[1], n[1], IPX_ST_OK, "seq 2");
	dec_both(esp[1], n[1], IPX_ST_REPLAYED, "seq 2 again");
	dec_both(esp[0], n[0], IPX_ST_OK, "seq 1 late, in the window");
	dec_both(esp[0], n[0], IPX_ST_REPLAYED, "seq 1 again");
	/* jump: sequence 100, then 30 is too old for a 64 window, 40 is not */
	uint8_t far[2048], old30[2048], old40[2048];
	uint32_t nf, n30, n40;
	struct ipx_sa_state st;

	for (int k = 0; k < 2; k++) {
		assert_int_equal(ipx_sa_query(E->eng[k], E->out[k], &st), 0);
		st.seq = 30;
		assert_int_equal(ipx_sa_set_state(E->eng[k], E->out[k], &st), 0);
	}
	assert_int_equal(ipx_sa_query(E->eng[SOFT], E->seal, &st), 0);
	n30 = make_esp(60, old30);       /* seq 30 */
	for (int s = 31; s < 40; s++)
		make_esp(60, far);
	n40 = make_esp(60, old40);       /* seq 40 */
	for (int s = 41; s < 100; s++)
		make_esp(60, far);
	nf = make_esp(60, far);          /* seq 100 */
	dec_both(far, nf, IPX_ST_OK, "seq 100");
	dec_both(old30, n30, IPX_ST_REPLAYED, "seq 30 with top 100, window 64");
	dec_both(old40, n40, IPX_ST_OK, "seq 40 with top 100, window 64");
	dec_both(old40, n40, IPX_ST_REPLAYED, "seq 40 again");
	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_REPLAYED, 4);
	/* the windows agree bit for bit */
	struct ipx_sa_state a, b;
	assert_int_equal(ipx_sa_query(E->eng[SOFT], E->in[SOFT], &a), 0);
	assert_int_equal(ipx_sa_query(E->eng[SIM], E->in[SIM], &b), 0);
	assert_int_equal(a.seq, 100);
	assert_int_equal(b.seq, 100);
	assert_memory_equal(a.replay_bitmap, b.replay_bitmap, sizeof(a.replay_bitmap));
	good_after("after replays");
	sa_pair_drop();
}

static void test_esn_wrap(void **state)
{
	uint8_t esp[6][1024];
	uint32_t n[6];

	(void)state;
	tlib_srand(3);
	/* ESN across 2^32: the high half is inferred from the window */
	sa_pair(0x3003, IPX_CIPHER_AES192GCM16, true, 256, 0xfffffffdull, false);
	for (int i = 0; i < 6; i++)
		n[i] = make_esp(80, esp[i]);   /* 0xfffffffd .. 0x1_00000002 */
	dec_both(esp[0], n[0], IPX_ST_OK, "2^32 - 3");
	dec_both(esp[4], n[4], IPX_ST_OK, "2^32 + 1");
	dec_both(esp[2], n[2], IPX_ST_OK, "2^32 - 1 late");
	dec_both(esp[3], n[3], IPX_ST_OK, "2^32");
	dec_both(esp[2], n[2], IPX_ST_REPLAYED, "2^32 - 1 again");
	dec_both(esp[5], n[5], IPX_ST_OK, "2^32 + 2");
	struct ipx_sa_state a, b;
	assert_int_equal(ipx_sa_query(E->eng[SOFT], E->in[SOFT], &a), 0);
	assert_int_equal(ipx_sa_query(E->eng[SIM], E->in[SIM], &b), 0);
	assert_int_equal(b.seq, 0x100000002ull);
	assert_int_equal(a.seq, b.seq);
	assert_memory_equal(a.replay_bitmap, b.replay_bitmap, sizeof(a.replay_bitmap));
	sa_pair_drop();
}

static void test_unknown_spi(void **state)
{
	uint8_t esp[2048];
	uint32_t n;
	uint64_t before[2][IPX_ST__COUNT], after[2][IPX_ST__COUNT];

	(void)state;
	tlib_srand(4);
	sa_pair(0x4004, IPX_CIPHER_AES128GCM16, false, 64, 1, false);
	n = make_esp(500, esp);
	for (int k = 0; k < 2; k++)
		ipx_engine_drops(E->eng[k], before[k]);
	ipx_st32(esp + 20, 0x4005);
	dec_both(esp, n, IPX_ST_UNKNOWN_SPI, "another SPI");
	ipx_st32(esp + 20, 0);
	dec_both(esp, n, IPX_ST_UNKNOWN_SPI, "SPI 0 without UDP");
	for (int k = 0; k < 2; k++) {
		ipx_engine_drops(E->eng[k], after[k]);
		assert_int_equal(after[k][IPX_ST_UNKNOWN_SPI] - before[k][IPX_ST_UNKNOWN_SPI], 2);
	}
	good_after("after unknown SPIs");
	sa_pair_drop();
}

/* Every prefix of a packet, first with the outer length left as it was,
 * then with it made to agree (the ESP part is then short). */
static void test_truncated(void **state)
{
	uint8_t esp[2048], cut[2048];
	uint32_t n;
	uint64_t before[2][IPX_ST__COUNT], after[2][IPX_ST__COUNT], nmal = 0, nauth = 0;

	(void)state;
	tlib_srand(5);
	sa_pair(0x5005, IPX_CIPHER_AES256GCM16, true, 1024, 7, true);
	n = make_esp(90, esp);
	for (int k = 0; k < 2; k++)
		ipx_engine_drops(E->eng[k], before[k]);
	for (uint32_t t = 1; t < n; t++) {
		memcpy(cut, esp, t);
		dec_both(cut, t, IPX_ST_MALFORMED, "truncated, header length kept");
		nmal++;
	}
	for (uint32_t t = 20; t < n; t++) {
		int want;
		uint32_t ulen = t - 20;

		memcpy(cut, esp, t);
		ipx_st16(cut + 2, (uint16_t)t);
		ipx_st16(cut + 10, 0);
		if (t >= 28)
			ipx_st16(cut + 24, (uint16_t)ulen);   /* UDP length too */
		/* outer headers cut: malformed; ESP too short: malformed (after
		 * the SPI is found); the full length less the ICV's tail: the
		 * ICV does not verify */
		if (t < 28 + 8)
			want = IPX_ST_MALFORMED;
		else if (t - 28 < 8 + 8 + 4 + 16 || (t - 28) % 4)
			want = IPX_ST_MALFORMED;
		else
			want = IPX_ST_AUTH_FAILED;
		dec_both(cut, t, want, "truncated, lengths adjusted");
		if (want == IPX_ST_MALFORMED)
			nmal++;
		else
			nauth++;
	}
	/* every drop counted once: MALFORMED engine-wide (before the SPI is
	 * known) or on the SA (after), AUTH_FAILED on the SA */
	for (int k = 0; k < 2; k++) {
		uint32_t h = k == SOFT ? E->in[SOFT] : E->in[SIM];

		ipx_engine_drops(E->eng[k], after[k]);
		assert_int_equal(after[k][IPX_ST_MALFORMED] - before[k][IPX_ST_MALFORMED] +
				 drops(k, h, IPX_ST_MALFORMED), nmal);
		assert_int_equal(drops(k, h, IPX_ST_AUTH_FAILED), nauth);
	}
	good_after("after truncations");
	sa_pair_drop();
}

/* ESP payloads with a valid ICV but a bad trailer or inner packet, sealed
 * with the soft engine's transform layer (xform_seal) and a chosen IV. */
static uint32_t craft(const uint8_t *pt, uint32_t ptlen, uint64_t seq, uint8_t *out)
{
	uint8_t *esp = out + 20, iv[8];
	uint32_t tot = 20 + 16 + ptlen + 16, sum = 0;

	memset(out, 0, 20);
	out[0] = 0x45;
	ipx_st16(out + 2, (uint16_t)tot);
	out[8] = 64;
	out[9] = 50;
	memcpy(out + 12, E->po.src.a, 4);
	memcpy(out + 16, E->po.dst.a, 4);
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(out + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(out + 10, (uint16_t)~sum);
	memcpy(esp + 16, pt, ptlen);
	for (int i = 0; i < 8; i++)
		iv[i] = (uint8_t)(seq >> (56 - 8 * i));
	/* the soft engine's transform layer, with the test SA's key and SPI */
	struct soft_engine *se = ipx_engine_priv(E->eng[SOFT], &ipx_backend_soft);
	struct xform xf;

	assert_non_null(se);
	assert_int_equal(xform_init(se, &xf, &E->po), 0);
	ipx_st32(esp, E->po.spi);
	ipx_st32(esp + 4, (uint32_t)seq);
	assert_int_equal(xform_seal(se, &xf, esp, ptlen, seq, E->po.esn, iv), 0);
	xform_free(&xf);
	return tot;
}

static void test_trailer(void **state)
{
	uint8_t pt[512], pkt[1024];
	uint32_t n;
	uint64_t seq = 1;

	(void)state;
	tlib_srand(6);
	sa_pair(0x6006, IPX_CIPHER_AES128GCM16, false, 128, 1, false);

	/* good, by hand: 100-byte IPv4 packet, pad 1 2, pad length 2, NH 4 */
	tlib_ip_packet(pt, 100, 0, 6);
	memcpy(pt + 100, "\x01\x02\x02\x04", 4);
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_OK, "hand-made packet");

	pt[101] = 0x03;   /* pad bytes 1, 3 */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_PADDING, "pad bytes 1, 3");
	memcpy(pt + 100, "\x01\x02\x02\x04", 4);

	pt[102] = 200;    /* pad length beyond the padding */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_PADDING, "pad length 200");
	pt[102] = 150;    /* pad length, bytes not 1..150 */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_PADDING, "pad length 150");
	pt[102] = 2;

	pt[103] = 59;     /* dummy */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_DUMMY, "next header 59");
	pt[103] = 41;     /* IPv6 next header, IPv4 inside */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_NEXT_HEADER, "next header 41 with IPv4 inside");
	pt[103] = 17;
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_NEXT_HEADER, "next header 17");
	pt[103] = 4;

	ipx_st16(pt + 2, 102);   /* inner length beyond the payload */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_MALFORMED, "inner length too long");
	ipx_st16(pt + 2, 100);
	pt[0] = 0x44;            /* IHL 4 */
	n = craft(pt, 104, seq++, pkt);
	dec_both(pkt, n, IPX_ST_MALFORMED, "inner IHL 4");
	pt[0] = 0x45;

	/* TFC padding after the inner packet is dropped, not an error */
	memset(pt + 100, 0, 40);
	memcpy(pt + 140, "\x01\x02\x02\x04", 4);
	n = craft(pt, 144, seq++, pkt);
	dec_both(pkt, n, IPX_ST_OK, "TFC padding");

	/* the ciphertext must be whole 4-byte blocks */
	n = craft(pt, 102, seq, pkt);
	dec_both(pkt, n, IPX_ST_MALFORMED, "ciphertext not whole blocks");
	/* 255 bytes of padding, all right: 99 + 255 + 2 = 356 */
	tlib_ip_packet(pt, 99, 0, 6);
	for (int i = 0; i < 255; i++)
		pt[99 + i] = (uint8_t)(i + 1);
	memcpy(pt + 99 + 255, "\xff\x04", 2);
	n = craft(pt, 356, seq++, pkt);
	dec_both(pkt, n, IPX_ST_OK, "255 bytes of padding");
	pt[99 + 200] ^= 1;
	n = craft(pt, 356, seq++, pkt);
	dec_both(pkt, n, IPX_ST_BAD_PADDING, "255 bytes of padding, one wrong");

	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_BAD_PADDING, 4);
	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_DUMMY, 1);
	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_BAD_NEXT_HEADER, 2);
	drops_both(E->in[SOFT], E->in[SIM], IPX_ST_MALFORMED, 3);
	/* the crafted packets used numbers 1..; move the sender past them */
	struct ipx_sa_state st;
	assert_int_equal(ipx_sa_query(E->eng[SOFT], E->out[SOFT], &st), 0);
	st.seq = 1000;
	assert_int_equal(ipx_sa_set_state(E->eng[SOFT], E->out[SOFT], &st), 0);
	good_after("after bad trailers");
	sa_pair_drop();
}

/* Outbound: the same packet on both engines must say `want`. */
static void enc_both(uint32_t len, uint32_t head, uint32_t tail, int want, const char *what,
		     bool sa_bad)
{
	uint8_t inner[9400];

	tlib_ip_packet(inner, len, 0, 17);
	for (int k = 0; k < 2; k++) {
		struct ipx_pkt p = { .buf = E->buf, .buf_len = head + len + tail, .off = head,
				     .len = len, .sa = sa_bad ? 5000 : E->out[k] };

		memcpy(E->buf + head, inner, len);
		assert_int_equal(ipx_encrypt_burst(E->eng[k], &p, 1), 1);
		if (p.status != want)
			fail_msg("%s: %s engine says %s, expected %s", what, k ? "sim" : "soft",
				 ipx_status_name(p.status), ipx_status_name(want));
	}
}

static void test_outbound(void **state)
{
	struct ipx_event ev[2][16];
	unsigned nev[2];

	(void)state;
	tlib_srand(7);
	/* sequence numbers: three left before 2^32 */
	sa_pair(0x7007, IPX_CIPHER_AES256GCM16, false, 64, 0xfffffffdull, false);
	for (int k = 0; k < 2; k++)
		while (ipx_events(E->eng[k], ev[k], 16))
			;
	enc_both(100, 64, 64, IPX_ST_OK, "2^32 - 3", false);
	enc_both(100, 64, 64, IPX_ST_OK, "2^32 - 2", false);
	enc_both(100, 64, 64, IPX_ST_OK, "2^32 - 1", false);
	enc_both(100, 64, 64, IPX_ST_SEQ_EXHAUSTED, "after 2^32 - 1", false);
	for (int k = 0; k < 2; k++)
		nev[k] = ipx_events(E->eng[k], ev[k], 16);
	assert_int_equal(nev[SOFT], nev[SIM]);
	for (unsigned i = 0; i < nev[SOFT]; i++)
		assert_int_equal(ev[SOFT][i].type, ev[SIM][i].type);
	assert_true(nev[SIM] >= 2);
	drops_both(E->out[SOFT], E->out[SIM], IPX_ST_SEQ_EXHAUSTED, 1);
	sa_pair_drop();

	sa_pair(0x7008, IPX_CIPHER_AES128GCM16, true, 64, 1, true);
	enc_both(9217, 64, 256, IPX_ST_TOO_BIG, "9217 bytes", false);
	enc_both(9216, 64, 256, IPX_ST_OK, "9216 bytes", false);
	enc_both(100, 43, 64, IPX_ST_NO_ROOM, "43 bytes of headroom with NAT-T", false);
	enc_both(100, 44, 20, IPX_ST_NO_ROOM, "20 bytes of tailroom", false);
	enc_both(100, 44, 21, IPX_ST_OK, "exact room", false);
	enc_both(19, 64, 64, IPX_ST_MALFORMED, "19 bytes", false);
	enc_both(100, 64, 64, IPX_ST_BAD_SA, "no such SA", true);
	drops_both(E->out[SOFT], E->out[SIM], IPX_ST_NO_ROOM, 2);
	drops_both(E->out[SOFT], E->out[SIM], IPX_ST_TOO_BIG, 1);
	drops_both(E->out[SOFT], E->out[SIM], IPX_ST_MALFORMED, 1);
	/* hard lifetime: two packets, then the SA stops */
	struct ipx_sa_params p = E->po;
	p.hard.packets = 4;
	p.soft.packets = 3;
	for (int k = 0; k < 2; k++)
		assert_int_equal(ipx_sa_update(E->eng[k], E->out[k], IPX_UPD_LIFETIME, &p), 0);
	enc_both(100, 64, 64, IPX_ST_OK, "third packet", false);
	enc_both(100, 64, 64, IPX_ST_OK, "fourth packet", false);
	enc_both(100, 64, 64, IPX_ST_SA_EXPIRED, "fifth packet", false);
	drops_both(E->out[SOFT], E->out[SIM], IPX_ST_SA_EXPIRED, 1);
	for (int k = 0; k < 2; k++)
		nev[k] = ipx_events(E->eng[k], ev[k], 16);
	assert_int_equal(nev[SOFT], nev[SIM]);
	for (unsigned i = 0; i < nev[SOFT]; i++)
		assert_int_equal(ev[SOFT][i].type, ev[SIM][i].type);
	sa_pair_drop();
}

/* Good and bad packets of one SA in one burst: several are in the
 * pipeline together, duplicates among them; each gets the status it would
 * get alone, in order. */
static void test_burst_mixed(void **state)
{
	uint8_t esp[6][1024], *bufs[2];
	uint32_t n[6];
	struct ipx_pkt ps[2][12];
	const int want[12] = { IPX_ST_OK, IPX_ST_REPLAYED, IPX_ST_AUTH_FAILED, IPX_ST_OK,
			       IPX_ST_REPLAYED, IPX_ST_UNKNOWN_SPI, IPX_ST_MALFORMED, IPX_ST_OK,
			       IPX_ST_OK, IPX_ST_REPLAYED, IPX_ST_OK, IPX_ST_REPLAYED };
	const int src[12] = { 0, 0, 1, 2, 2, 3, 4, 1, 5, 5, 4, 1 };

	(void)state;
	tlib_srand(8);
	sa_pair(0x8008, IPX_CIPHER_AES128GCM16, true, 64, 1, false);
	for (int i = 0; i < 6; i++)
		n[i] = make_esp(60 + 40 * (uint32_t)i, esp[i]);
	for (int k = 0; k < 2; k++) {
		bufs[k] = malloc(12 * 2048);
		assert_non_null(bufs[k]);
		for (int i = 0; i < 12; i++) {
			uint8_t *b = bufs[k] + 2048 * i;
			uint32_t len = n[src[i]];

			memcpy(b + 256, esp[src[i]], len);
			if (i == 2)
				b[256 + len - 1] ^= 1;          /* forged copy of 1 */
			if (i == 5)
				ipx_st32(b + 256 + 20, 0x8009); /* unknown SPI */
			if (i == 6)
				len -= 5;                       /* truncated 4 */
			ps[k][i] = (struct ipx_pkt){ .buf = b, .buf_len = 2048, .off = 256,
						     .len = len };
		}
		assert_int_equal(ipx_decrypt_burst(E->eng[k], ps[k], 12), 12);
	}
	for (int i = 0; i < 12; i++) {
		if (ps[SOFT][i].status != want[i] || ps[SIM][i].status != want[i])
			fail_msg("packet %d: soft %s, sim %s, expected %s", i,
				 ipx_status_name(ps[SOFT][i].status), ipx_status_name(ps[SIM][i].status),
				 ipx_status_name(want[i]));
		if (want[i] == IPX_ST_OK)
			assert_memory_equal(ps[SOFT][i].buf + ps[SOFT][i].off,
					    ps[SIM][i].buf + ps[SIM][i].off, ps[SIM][i].len);
	}
	free(bufs[0]);
	free(bufs[1]);
	sa_pair_drop();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icv),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_esn_wrap),
		cmocka_unit_test(test_unknown_spi),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailer),
		cmocka_unit_test(test_outbound),
		cmocka_unit_test(test_burst_mixed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
