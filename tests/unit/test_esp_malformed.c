/*
 * Bad input and limits: every truncation of a valid packet, bad padding,
 * wrong next header, flipped bits, replays, unknown SPIs, oversize packets,
 * non-ESP traffic, sequence exhaustion, lifetimes, missing room, bad SA
 * handles, SA management errors and state migration.  Each bad packet must
 * come back with the right status and be counted under it exactly once, and
 * what is established keeps working afterwards.
 *
 * Packets with a valid ICV but a bad trailer are made with the reference
 * engine's transform (soft internals), so the engine under test sees them
 * exactly as a broken peer would send them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/place.h>

#include "backend.h"
#include "soft/soft.h"
#include "tengine.h"

static uint64_t all_drops(struct ipx_engine *e, uint32_t sa)
{
	uint64_t sum = 0, d[IPX_ST__COUNT];
	struct ipx_sa_state st;

	ipx_engine_drops(e, d);
	for (int i = 0; i < IPX_ST__COUNT; i++)
		sum += d[i];
	if (sa != IPX_SA_NONE && ipx_sa_query(e, sa, &st) == 0)
		for (int i = 0; i < IPX_ST__COUNT; i++)
			sum += st.ctr.drops[i];
	return sum;
}

static void ipv4_csum(uint8_t *ip)
{
	uint32_t sum = 0;

	ip[10] = ip[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(ip + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(ip + 10, (uint16_t)~sum);
}

/* Make the outer headers claim length len (IPv4 total, IPv6 payload, UDP). */
static void fix_lengths(uint8_t *p, uint32_t len, uint16_t esp_off)
{
	if (p[0] >> 4 == 4) {
		ipx_st16(p + 2, (uint16_t)len);
		ipv4_csum(p);
		if (p[9] == 17 && len >= 28)
			ipx_st16(p + 24, (uint16_t)(len - 20));
	} else {
		ipx_st16(p + 4, (uint16_t)(len - 40));
		if (p[6] == 17 && len >= 48)
			ipx_st16(p + 44, (uint16_t)(len - 40));
	}
	(void)esp_off;
}

static void test_truncations(void **state)
{
	static const enum ipx_cipher ciphers[] = {
		IPX_CIPHER_AES256GCM16, IPX_CIPHER_AES128GCM16,
		IPX_CIPHER_CHACHA20POLY1305, IPX_CIPHER_AES128_SHA256,
		IPX_CIPHER_AES256GMAC,
	};
	struct ipx_engine *e = te_open();
	uint8_t inner[200], good[512];
	unsigned tried = 0, combos = 0;

	(void)state;
	tlib_srand(5);
	for (size_t ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++)
	for (int mode = 0; mode < 2; mode++)
	for (int v6 = 0; v6 < 2; v6++)
	for (int encap = 0; encap < 2; encap++) {
		struct ipx_sa_params p;
		uint32_t out, in, glen;
		struct ipx_pkt pk;

		te_params(&p, ciphers[ci], (uint8_t)mode, v6, encap, false);
		if (!te_supports(e, &p))
			continue;
		combos++;
		out = te_add(e, &p, IPX_DIR_OUT);
		in = te_add(e, &p, IPX_DIR_IN);
		tlib_ip_packet(inner, v6 ? 140 : 120, v6, 17);
		pk = te_pkt(inner, v6 ? 140 : 120);
		assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
		glen = pk.len;
		memcpy(good, te_data(&pk), glen);
		for (uint32_t l = 0; l < glen; l++) {
			uint64_t before = all_drops(e, in);
			struct ipx_pkt t = te_pkt(good, l);
			int st = te_decrypt(e, &t);

			/* as captured: the IP header claims more than is there */
			if (st == IPX_ST_OK)
				fail_msg("truncation to %u of %u accepted", l, glen);
			assert_int_equal(all_drops(e, in), before + 1);
			/* consistent: headers rewritten to the truncated length */
			if (l >= (v6 ? 40u : 20u)) {
				t = te_pkt(good, l);
				fix_lengths(te_data(&t), l, pk.esp_off);
				st = te_decrypt(e, &t);
				if (st != IPX_ST_MALFORMED && st != IPX_ST_AUTH_FAILED)
					fail_msg("consistent truncation to %u of %u: %s",
						 l, glen, ipx_status_name(st));
				assert_int_equal(all_drops(e, in), before + 2);
			}
			tried++;
		}
		/* the SA is intact: the whole packet still decrypts */
		pk = te_pkt(good, glen);
		assert_int_equal(te_decrypt(e, &pk), IPX_ST_OK);
		assert_memory_equal(te_data(&pk), inner, v6 ? 140 : 120);
		ipx_sa_delete(e, out);
		ipx_sa_delete(e, in);
		te_reset();
	}
	print_message("# %u truncations over %u SA kinds on '%s'\n", tried,
		      combos, te_engine_name());
	assert_true(combos > 0);
	ipx_engine_close(e);
}

/*
 * A tunnel-mode packet whose plaintext (with trailer) is given verbatim,
 * sealed with a valid ICV by the reference engine's transform.
 */
static struct ipx_pkt craft(struct ipx_engine *ref, uint32_t out_sa,
			    const struct ipx_sa_params *p, uint64_t seq,
			    const uint8_t *pt, uint32_t ptlen)
{
	struct soft_engine *se = ipx_engine_priv(ref, &ipx_backend_soft);
	struct soft_sa *sa = &se->sas[out_sa];
	uint32_t ivl = ipx_cipher_info(p->cipher)->iv_len;
	uint8_t pkt[2048], *esp = pkt + 20;

	memcpy(pkt, "\x45\x00\x00\x00\x00\x01\x00\x00\x40\x32\x00\x00", 12);
	memcpy(pkt + 12, p->src.a, 4);
	memcpy(pkt + 16, p->dst.a, 4);
	ipx_st16(pkt + 2, (uint16_t)(20 + 8 + ivl + ptlen + 16));
	ipv4_csum(pkt);
	ipx_st32(esp, p->spi);
	ipx_st32(esp + 4, (uint32_t)seq);
	memcpy(esp + 8 + ivl, pt, ptlen);
	assert_int_equal(xform_seal(se, &sa->xf, esp, ptlen, seq, p->esn, NULL), 0);
	return te_pkt(pkt, 20 + 8 + ivl + ptlen + 16);
}

static void test_bad_trailer(void **state)
{
	static const enum ipx_cipher ciphers[] = {
		IPX_CIPHER_AES256GCM16, IPX_CIPHER_AES128_SHA256,
	};
	struct ipx_engine *e = te_open(), *ref = te_open_ref();
	unsigned run = 0;

	(void)state;
	for (size_t ci = 0; ci < 2; ci++) {
		struct ipx_sa_params p;
		uint32_t in, ref_out, blk;
		uint8_t pt[256], inner[64];
		uint64_t seq = 1;
		struct {
			const char *what;
			int status;
		} const cases[] = {
			{ "good", IPX_ST_OK },
			{ "pad byte", IPX_ST_BAD_PADDING },
			{ "pad length beyond plaintext", IPX_ST_BAD_PADDING },
			{ "next header 17 in tunnel mode", IPX_ST_BAD_NEXT_HEADER },
			{ "next header 41 over IPv4", IPX_ST_BAD_NEXT_HEADER },
			{ "dummy packet", IPX_ST_DUMMY },
			{ "inner length beyond plaintext", IPX_ST_MALFORMED },
		};

		te_params(&p, ciphers[ci], IPX_MODE_TUNNEL, 0, false, false);
		if (!te_supports(e, &p))
			continue;
		run++;
		in = te_add(e, &p, IPX_DIR_IN);
		ref_out = te_add(ref, &p, IPX_DIR_OUT);
		blk = ipx_cipher_info(p.cipher)->block;
		tlib_ip_packet(inner, 56, 0, 17);
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			/* 56-byte inner packet, padded to the block */
			uint32_t padlen = (blk - (56 + 2) % blk) % blk;
			uint32_t ptlen;
			struct ipx_pkt pk;

			if (padlen < 2)
				padlen += blk;  /* room for a wrong pad byte */
			ptlen = 56 + padlen + 2;
			memcpy(pt, inner, 56);
			for (uint32_t i = 0; i < padlen; i++)
				pt[56 + i] = (uint8_t)(i + 1);
			pt[ptlen - 2] = (uint8_t)padlen;
			pt[ptlen - 1] = 4;
			switch (k) {
			case 1:
				pt[56 + 1] = 7;
				break;
			case 2:
				pt[ptlen - 2] = (uint8_t)(ptlen - 1);
				break;
			case 3:
				pt[ptlen - 1] = 17;
				break;
			case 4:
				pt[ptlen - 1] = 41;
				break;
			case 5:
				pt[ptlen - 1] = 59;
				break;
			case 6:
				ipx_st16(pt + 2, 57 + (uint16_t)padlen);
				break;
			}
			pk = craft(ref, ref_out, &p, seq++, pt, ptlen);
			if (te_decrypt(e, &pk) != cases[k].status)
				fail_msg("%s (cipher %u): %s, expected %s",
					 cases[k].what, p.cipher,
					 ipx_status_name(pk.status),
					 ipx_status_name(cases[k].status));
			if (cases[k].status == IPX_ST_OK)
				assert_memory_equal(te_data(&pk), inner, 56);
			else
				assert_int_equal(te_sa_drops(e, in, cases[k].status),
						 cases[k].status == IPX_ST_BAD_PADDING ? (k == 1 ? 1 : 2)
						 : cases[k].status == IPX_ST_BAD_NEXT_HEADER ? (k == 3 ? 1 : 2)
						 : 1);
		}
		ipx_sa_delete(e, in);
		te_reset();
	}
	ipx_engine_close(e);
	ipx_engine_close(ref);
	if (!run)
		skip();   /* after closing: skip() does not return */
}

static void test_auth_and_replay(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p, wrong;
	uint32_t out, in, win, glen;
	uint8_t inner[300], good[512];
	struct ipx_pkt pk;

	(void)state;
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	p.seq = 100;
	out = te_add(e, &p, IPX_DIR_OUT);
	in = te_add(e, &p, IPX_DIR_IN);
	tlib_ip_packet(inner, 300, 0, 6);
	pk = te_pkt(inner, 300);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
	glen = pk.len;
	memcpy(good, te_data(&pk), glen);

	/* a flipped bit in sequence number, IV, ciphertext or ICV */
	for (uint32_t off = 24; off < glen; off += (off < 40 ? 1 : 37)) {
		struct ipx_pkt t = te_pkt(good, glen);

		te_data(&t)[off] ^= 0x01;
		if (te_decrypt(e, &t) != IPX_ST_AUTH_FAILED)
			fail_msg("bit flip at %u: %s", off, ipx_status_name(t.status));
	}
	assert_true(te_sa_drops(e, in, IPX_ST_AUTH_FAILED) > 10);
	/* failures did not move the window: the real packet is accepted once */
	pk = te_pkt(good, glen);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_OK);
	pk = te_pkt(good, glen);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_REPLAYED);
	assert_int_equal(te_sa_drops(e, in, IPX_ST_REPLAYED), 1);

	/* too old: 1100 packets later, the first is left of a 1024 window */
	tlib_ip_packet(inner, 60, 0, 6);
	for (int i = 0; i < 1100; i++) {
		struct ipx_pkt t = te_pkt(inner, 60);

		assert_int_equal(te_encrypt(e, out, &t), IPX_ST_OK);
		assert_int_equal(te_decrypt(e, &t), IPX_ST_OK);
		if (i % 100 == 0)
			te_reset();
	}
	pk = te_pkt(good, glen);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_REPLAYED);
	assert_int_equal(te_sa_drops(e, in, IPX_ST_REPLAYED), 2);

	/* wrong key, same SPI: a second engine */
	{
		struct ipx_engine *e2 = te_open();

		wrong = p;
		wrong.key[0] ^= 1;
		win = te_add(e2, &wrong, IPX_DIR_IN);
		pk = te_pkt(good, glen);
		assert_int_equal(te_decrypt(e2, &pk), IPX_ST_AUTH_FAILED);
		assert_int_equal(te_sa_drops(e2, win, IPX_ST_AUTH_FAILED), 1);
		ipx_engine_close(e2);
	}
	te_reset();
	ipx_engine_close(e);
}

static void test_unknown_spi_and_not_esp(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p;
	uint32_t out;
	uint8_t inner[100], pkt[200];
	struct ipx_pkt pk;

	(void)state;
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, true, false);
	out = te_add(e, &p, IPX_DIR_OUT);
	tlib_ip_packet(inner, 100, 0, 6);
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
	/* no inbound SA with this SPI */
	{
		struct ipx_pkt before = pk;
		uint8_t copy[200];

		assert_true(pk.len <= sizeof(copy));
		memcpy(copy, pk.buf + pk.off, pk.len);
		assert_int_equal(te_decrypt(e, &pk), IPX_ST_UNKNOWN_SPI);
		assert_int_equal(pk.sa, IPX_SA_NONE);
		assert_int_equal(te_engine_drops(e, IPX_ST_UNKNOWN_SPI), 1);
		/* left as it came (the data plane holds such a packet until
		 * its SA is installed): it decrypts once the SA is there */
		assert_int_equal(pk.off, before.off);
		assert_int_equal(pk.len, before.len);
		assert_memory_equal(pk.buf + pk.off, copy, pk.len);
		te_add(e, &p, IPX_DIR_IN);
		assert_int_equal(te_decrypt(e, &pk), IPX_ST_OK);
		assert_int_equal(pk.len, 100);
		assert_memory_equal(pk.buf + pk.off, inner, 100);
	}

	/* over UDP 4500: an IKE message (non-ESP marker) and a keepalive */
	memcpy(pkt, "\x45\x00\x00\x00\x00\x01\x00\x00\x40\x11\x00\x00"
		    "\xc0\x00\x02\x01\xc0\x00\x02\x02\x11\x94\x11\x94\x00\x00\x00\x00", 28);
	memset(pkt + 28, 0, 40);
	ipx_st16(pkt + 2, 68);
	ipx_st16(pkt + 24, 48);
	ipv4_csum(pkt);
	pk = te_pkt(pkt, 68);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	pkt[28] = 0xff;
	ipx_st16(pkt + 2, 29);
	ipx_st16(pkt + 24, 9);
	ipv4_csum(pkt);
	pk = te_pkt(pkt, 29);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	/* TCP, an IPv4 fragment, IP version 5, empty */
	memset(pkt + 20, 0x11, 60);
	ipx_st16(pkt + 2, 80);
	pkt[9] = 6;
	ipv4_csum(pkt);
	pk = te_pkt(pkt, 80);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	pkt[9] = 50;
	ipx_st16(pkt + 6, 0x2000);  /* MF */
	ipv4_csum(pkt);
	pk = te_pkt(pkt, 80);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	pkt[0] = 0x55;
	pk = te_pkt(pkt, 80);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	pk = te_pkt(pkt, 0);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_MALFORMED);
	assert_int_equal(te_engine_drops(e, IPX_ST_MALFORMED), 6);
	te_reset();
	ipx_engine_close(e);
}

static void test_oversize(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p;
	static uint8_t big[IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD + 1];
	uint32_t out;
	struct ipx_pkt pk;

	(void)state;
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	out = te_add(e, &p, IPX_DIR_OUT);
	tlib_ip_packet(big, IPX_MAX_PKT_LEN + 1, 1, 6);
	pk = te_pkt(big, IPX_MAX_PKT_LEN + 1);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_TOO_BIG);
	assert_int_equal(te_sa_drops(e, out, IPX_ST_TOO_BIG), 1);
	/* the largest allowed passes */
	tlib_ip_packet(big, IPX_MAX_PKT_LEN, 1, 6);
	pk = te_pkt(big, IPX_MAX_PKT_LEN);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
	/* inbound above MAX_PKT_LEN + MAX_OVERHEAD */
	tlib_ip_packet(big, IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD + 1, 1, 50);
	pk = te_pkt(big, IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD + 1);
	assert_int_equal(te_decrypt(e, &pk), IPX_ST_TOO_BIG);
	assert_int_equal(te_engine_drops(e, IPX_ST_TOO_BIG), 1);
	te_reset();
	ipx_engine_close(e);
}

static int drain(struct ipx_engine *e, enum ipx_event_type type)
{
	struct ipx_event ev[32];
	unsigned n = ipx_events(e, ev, 32);
	int count = 0;

	for (unsigned i = 0; i < n; i++)
		if (ev[i].type == type)
			count++;
	return count;
}

static void test_seq_exhaustion(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p;
	uint8_t inner[64];
	uint32_t out;
	struct ipx_sa_state st;

	(void)state;
	tlib_ip_packet(inner, 64, 0, 6);
	for (int esn = 0; esn < 2; esn++) {
		uint64_t last = esn ? UINT64_MAX : UINT32_MAX;
		struct ipx_pkt pk;

		te_params(&p, IPX_CIPHER_AES128GCM16, IPX_MODE_TUNNEL, 0, false, esn);
		if (!te_supports(e, &p))
			continue;
		p.seq = last - 2;
		p.user = 77;
		out = te_add(e, &p, IPX_DIR_OUT);
		for (int i = 0; i < 3; i++) {
			pk = te_pkt(inner, 64);
			assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
			/* the wire carries the low half; the IV the full number */
			assert_int_equal(ipx_ld32(te_data(&pk) + 24), (uint32_t)(last - 2 + (uint64_t)i));
			assert_true(ipx_ld64(te_data(&pk) + 28) == last - 2 + (uint64_t)i);
		}
		pk = te_pkt(inner, 64);
		assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_SEQ_EXHAUSTED);
		assert_int_equal(te_sa_drops(e, out, IPX_ST_SEQ_EXHAUSTED), 1);
		assert_int_equal(ipx_sa_query(e, out, &st), 0);
		assert_true(st.seq_exhausted);
		assert_true(st.seq_warned);
		/* nonce safety: the counter cannot be moved back */
		st.seq = 5;
		st.seq_exhausted = false;
		assert_int_equal(ipx_sa_set_state(e, out, &st), -EINVAL);
		{
			struct ipx_event ev[8];
			unsigned n = ipx_events(e, ev, 8);

			assert_int_equal(n, 2);
			assert_int_equal(ev[0].type, IPX_EV_SEQ_NEAR_EXHAUSTION);
			assert_int_equal(ev[1].type, IPX_EV_SEQ_EXHAUSTED);
			assert_int_equal(ev[1].spi, p.spi);
			assert_true(ev[1].user == 77);
		}
		ipx_sa_delete(e, out);
	}
	te_reset();
	ipx_engine_close(e);
}

static void test_lifetimes(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p;
	uint8_t inner[100];
	uint32_t out, in;
	struct ipx_pkt pk;

	(void)state;
	tlib_ip_packet(inner, 100, 0, 6);
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	p.soft.packets = 5;
	p.hard.packets = 8;
	p.soft.bytes = 450;   /* reached with the 5th 100-byte packet too */
	out = te_add(e, &p, IPX_DIR_OUT);
	p.soft.packets = 0;
	p.soft.bytes = 0;
	p.hard.packets = 0;
	p.hard.bytes = 700;
	in = te_add(e, &p, IPX_DIR_IN);
	for (int i = 0; i < 8; i++) {
		pk = te_pkt(inner, 100);
		assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
		assert_int_equal(te_decrypt(e, &pk), i < 7 ? IPX_ST_OK : IPX_ST_SA_EXPIRED);
		if (i == 3)
			assert_int_equal(drain(e, IPX_EV_SOFT_LIFETIME), 0);
		if (i == 4)
			assert_int_equal(drain(e, IPX_EV_SOFT_LIFETIME), 1);
	}
	/* outbound: the 8th was the last; the 9th is refused */
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_SA_EXPIRED);
	assert_int_equal(te_sa_drops(e, out, IPX_ST_SA_EXPIRED), 1);
	assert_int_equal(te_sa_drops(e, in, IPX_ST_SA_EXPIRED), 1);
	{
		struct ipx_event ev[16];
		unsigned n = ipx_events(e, ev, 16), hard = 0;

		for (unsigned i = 0; i < n; i++)
			if (ev[i].type == IPX_EV_HARD_LIFETIME)
				hard++;
		assert_int_equal(hard, 2);  /* once per SA */
	}
	/* raising the limit brings the SA back */
	p.hard.packets = 100;
	p.hard.bytes = 0;
	p.soft.packets = 0;
	assert_int_equal(ipx_sa_update(e, out, IPX_UPD_LIFETIME, &p), 0);
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
	te_reset();
	ipx_engine_close(e);
}

static void test_no_room_and_bad_sa(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_sa_params p;
	uint8_t inner[100];
	uint32_t out, in;
	struct ipx_pkt pk;

	(void)state;
	tlib_ip_packet(inner, 100, 0, 6);
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, true, false);
	out = te_add(e, &p, IPX_DIR_OUT);
	in = te_add(e, &p, IPX_DIR_IN);
	pk = te_pkt(inner, 100);
	pk.off = 10;  /* outer IPv4 + UDP + ESP + IV need 44 */
	memcpy(pk.buf + pk.off, inner, 100);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_NO_ROOM);
	pk = te_pkt(inner, 100);
	pk.buf_len = pk.off + 110;  /* no tailroom for trailer and ICV */
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_NO_ROOM);
	assert_int_equal(te_sa_drops(e, out, IPX_ST_NO_ROOM), 2);
	/* no sequence number was spent */
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, out, &pk), IPX_ST_OK);
	assert_int_equal(ipx_ld32(te_data(&pk) + pk.esp_off + 4), 1);
	/* bad handles */
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, 3999, &pk), IPX_ST_BAD_SA);
	pk = te_pkt(inner, 100);
	assert_int_equal(te_encrypt(e, in, &pk), IPX_ST_BAD_SA);
	assert_int_equal(te_engine_drops(e, IPX_ST_BAD_SA), 2);
	te_reset();
	ipx_engine_close(e);
}

static void test_sa_management(void **state)
{
	struct ipx_engine *e = te_open();
	struct ipx_engine *small;
	struct ipx_engine_config cfg = { .max_sas = 4 };
	struct ipx_sa_params p, q;
	uint32_t in, sa;
	struct ipx_sa_state st;

	(void)state;
	tlib_log_capture(1);
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	in = te_add(e, &p, IPX_DIR_IN);
	p.dir = IPX_DIR_IN;
	assert_int_equal(ipx_sa_add(e, &p, &sa), -EEXIST);
	assert_int_equal(sa, IPX_SA_NONE);
	assert_int_equal(ipx_sa_lookup(e, p.spi), in);
	assert_int_equal(ipx_sa_delete(e, in), 0);
	assert_int_equal(ipx_sa_lookup(e, p.spi), IPX_SA_NONE);
	assert_int_equal(ipx_sa_query(e, in, &st), -ENOENT);
	assert_int_equal(ipx_sa_delete(e, in), -ENOENT);
	in = te_add(e, &p, IPX_DIR_IN);

	/* parameters every engine refuses, each with a log line */
	q = p; q.key_len = 32;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.replay_window = 32;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.replay_window = 0; q.esn = true;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.spi = 0;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.dir = IPX_DIR_OUT; q.src.family = 0;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.encap_sport = 4500; q.encap_dport = 0;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.mode = IPX_MODE_TRANSPORT; q.tfc_pad = 100;
	assert_true(ipx_sa_add(e, &q, &sa) < 0);
	q = p; q.seq = 1ull << 33;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	q = p; q.cipher = 99;
	assert_int_equal(ipx_sa_add(e, &q, &sa), -EINVAL);
	assert_non_null(strstr(tlib_log_text(), "needs 36 bytes of key material, got 32"));
	assert_non_null(strstr(tlib_log_text(), "replay window 32 outside"));

	/* a full table */
	assert_int_equal(ipx_engine_open_direct(te_engine_name(), &cfg, &small), 0);
	for (int i = 0; i < 4; i++) {
		q = p;
		q.spi = p.spi + 1 + (uint32_t)i;
		te_add(small, &q, IPX_DIR_IN);
	}
	q.spi++;
	assert_int_equal(ipx_sa_add(small, &q, &sa), -ENOSPC);
	assert_int_equal(ipx_sa_delete(small, 2), 0);
	assert_int_equal(ipx_sa_add(small, &q, &sa), 0);
	assert_int_equal(sa, 2);
	ipx_engine_close(small);
	tlib_log_capture(0);
	ipx_engine_close(e);
}

/* SA state moves between engines: outbound counter only forward, the
 * replay window travels with the inbound SA. */
static void test_set_state(void **state)
{
	struct ipx_engine *a = te_open(), *b = te_open_ref();
	struct ipx_sa_params p;
	uint8_t inner[80];
	uint32_t ao, ai, bo, bi;
	struct ipx_sa_state st;
	struct ipx_pkt saved[10], pk;

	(void)state;
	tlib_ip_packet(inner, 80, 0, 6);
	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	ao = te_add(a, &p, IPX_DIR_OUT);
	ai = te_add(a, &p, IPX_DIR_IN);
	bo = te_add(b, &p, IPX_DIR_OUT);
	bi = te_add(b, &p, IPX_DIR_IN);
	for (int i = 0; i < 10; i++) {
		saved[i] = te_pkt(inner, 80);
		assert_int_equal(te_encrypt(a, ao, &saved[i]), IPX_ST_OK);
	}
	/* A received the odd ones */
	for (int i = 1; i < 10; i += 2) {
		pk = te_pkt(te_data(&saved[i]), saved[i].len);
		assert_int_equal(te_decrypt(a, &pk), IPX_ST_OK);
	}
	/* move both SAs from A to B */
	assert_int_equal(ipx_sa_query(a, ao, &st), 0);
	assert_true(st.seq == 11);
	assert_int_equal(ipx_sa_set_state(b, bo, &st), 0);
	assert_int_equal(ipx_sa_query(a, ai, &st), 0);
	assert_true(st.seq == 10);
	assert_int_equal(ipx_sa_set_state(b, bi, &st), 0);
	/* B continues the sequence ... */
	pk = te_pkt(inner, 80);
	assert_int_equal(te_encrypt(b, bo, &pk), IPX_ST_OK);
	assert_int_equal(ipx_ld32(te_data(&pk) + 24), 11);
	/* ... and knows which were received */
	for (int i = 0; i < 10; i++) {
		pk = te_pkt(te_data(&saved[i]), saved[i].len);
		assert_int_equal(te_decrypt(b, &pk), i % 2 ? IPX_ST_REPLAYED : IPX_ST_OK);
	}
	/* a window of another size is refused */
	st.replay_window = 64;
	assert_int_equal(ipx_sa_set_state(b, bi, &st), -EINVAL);
	te_reset();
	ipx_engine_close(a);
	ipx_engine_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_trailer),
		cmocka_unit_test(test_auth_and_replay),
		cmocka_unit_test(test_unknown_spi_and_not_esp),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_seq_exhaustion),
		cmocka_unit_test(test_lifetimes),
		cmocka_unit_test(test_no_room_and_bad_sa),
		cmocka_unit_test(test_sa_management),
		cmocka_unit_test(test_set_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
