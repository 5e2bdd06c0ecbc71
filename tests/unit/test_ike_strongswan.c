/* Interop evidence: IKEv2 exchanges captured from two Debian strongSwan
 * 5.9.8 charon instances (tests/ike/capture_strongswan.sh; the vectors
 * hold the datagrams and the keys charon logged).  Our parser reads every
 * datagram; our KDF, from the logged DH secret and the parsed nonces and
 * SPIs, gives the SKEYSEED and SK_* charon derived; our SK code decrypts
 * the IKE_AUTH and INFORMATIONAL messages (AES-GCM, ChaCha20-Poly1305,
 * and AES-CBC + HMAC-SHA2-256 in RFC 7383 fragments); our PSK AUTH equals charon's for
 * both sides; and build(parse(x)) gives back charon's bytes exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_crypto.h"
#include "ike/ike_msg.h"
#include "proto/proposal.h"
#include "tlib.h"

struct dgram {
	uint8_t buf[2048];
	size_t len;
	bool from_i;
};

struct cap {
	json_t *j;
	size_t n;
	struct dgram *d;
};

static void cap_load(struct cap *c, const char *file)
{
	json_t *msgs, *m;
	size_t i;

	c->j = tlib_load_json(file);
	msgs = json_object_get(c->j, "messages");
	c->n = json_array_size(msgs);
	c->d = calloc(c->n, sizeof(*c->d));
	json_array_foreach(msgs, i, m) {
		c->d[i].len = tlib_hex_into(tlib_str(m, "hex"), c->d[i].buf, sizeof(c->d[i].buf));
		c->d[i].from_i = !strcmp(tlib_str(m, "from"), "initiator");
	}
}

static void cap_free(struct cap *c)
{
	json_decref(c->j);
	free(c->d);
}

static void key_eq(json_t *keys, const char *name, const uint8_t *got, size_t len)
{
	uint8_t want[128];
	size_t n = tlib_hex_into(tlib_str(keys, name), want, sizeof(want));

	if (n != len || memcmp(want, got, n))
		fail_msg("%s differs from strongSwan's", name);
}

/* The messages of one exchange (by message ID and exchange type), each
 * decrypted (SKF fragments reassembled) and parsed with its inner chain. */
static struct ike_msg *open_msg(struct cap *c, struct ike_sa_keys *k, uint8_t exch,
				bool from_i, uint8_t *plain_out, size_t *plain_len)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t first = 0;
	size_t total = 0;
	unsigned frags = 0, want = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct dgram *d = &c->d[i];
		const uint8_t *pt;
		size_t pl;
		struct ike_perr e;
		const struct ike_sk *sk;

		if (d->from_i != from_i || d->buf[18] != exch)
			continue;
		if (ike_msg_parse(m, d->buf, d->len, &e))
			fail_msg("datagram %zu refused: %s", i, e.reason);
		assert_true(m->sk >= 0);
		sk = &m->pld[m->sk].u.sk;
		assert_int_equal(ike_sk_decrypt(k, from_i, m, d->buf, &pt, &pl), 0);
		if (m->pld[m->sk].type == IKEV2_PL_SKF) {
			/* RFC 7383 2.6: fragments come in order here */
			assert_int_equal(sk->frag_num, ++frags);
			want = sk->frag_total;
			if (sk->frag_num == 1)
				first = sk->first;
		} else {
			first = sk->first;
			want = frags = 1;
		}
		memcpy(plain_out + total, pt, pl);
		total += pl;
		if (frags == want)
			break;
	}
	assert_true(frags > 0 && frags == want);
	{
		struct ike_perr e;

		if (ike_msg_parse_inner(m, first, plain_out, total, &e))
			fail_msg("inner payloads refused: %s", e.reason);
	}
	*plain_len = total;
	return m;
}

static void check_capture(const char *file, uint16_t want_encr, unsigned want_frags)
{
	struct cap c;
	struct ike_msg *req = malloc(sizeof(*req)), *resp = malloc(sizeof(*resp)), *m;
	json_t *keys;
	struct ike_prop_cfg cfg;
	struct ike_prop_choice ch, back;
	struct ike_sa_keys k;
	struct ike_kdf_in kin;
	struct ike_perr e;
	const struct ike_pld *p;
	uint8_t g[512], seed[64], plain[4096], rebuilt[4096], auth[64];
	size_t gl, sl, plen, rl, al;
	unsigned n_skf = 0;
	char err[200];

	cap_load(&c, file);
	keys = json_object_get(c.j, "keys");

	/* every datagram parses */
	for (size_t i = 0; i < c.n; i++) {
		if (ike_msg_parse(req, c.d[i].buf, c.d[i].len, &e))
			fail_msg("%s: datagram %zu refused: %s", file, i, e.reason);
		n_skf += req->sk >= 0 && req->pld[req->sk].type == IKEV2_PL_SKF;
	}
	assert_int_equal(n_skf, want_frags);

	/* IKE_SA_INIT: build(parse(x)) == x, the answer checks against the
	 * offer, and our selection over the same proposal string agrees */
	assert_int_equal(c.d[0].buf[18], IKEV2_EXCH_IKE_SA_INIT);
	assert_int_equal(ike_msg_parse(req, c.d[0].buf, c.d[0].len, &e), 0);
	assert_int_equal(ike_msg_parse(resp, c.d[1].buf, c.d[1].len, &e), 0);
	assert_int_equal(ike_msg_build(req, rebuilt, sizeof(rebuilt), &rl, NULL), 0);
	assert_int_equal(rl, c.d[0].len);
	assert_memory_equal(rebuilt, c.d[0].buf, rl);
	assert_int_equal(ike_msg_build(resp, rebuilt, sizeof(rebuilt), &rl, NULL), 0);
	assert_int_equal(rl, c.d[1].len);
	assert_memory_equal(rebuilt, c.d[1].buf, rl);
	assert_non_null(ike_msg_notify(req, IKEV2_N_NAT_DETECTION_SOURCE_IP));
	assert_non_null(ike_msg_notify(req, IKEV2_N_NAT_DETECTION_DESTINATION_IP));
	assert_non_null(ike_msg_notify(req, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED));
	assert_non_null(ike_msg_notify(resp, IKEV2_N_SIGNATURE_HASH_ALGORITHMS));
	assert_int_equal(ike_prop_check_reply(&ike_msg_get(req, IKEV2_PL_SA, 0)->u.sa,
					      &ike_msg_get(resp, IKEV2_PL_SA, 0)->u.sa, &back, NULL), 0);
	if (ike_prop_parse(tlib_str(c.j, "proposal"), IKEV2_PROTO_IKE, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(ike_prop_select(&ike_msg_get(req, IKEV2_PL_SA, 0)->u.sa, &cfg, 1, &ch), 0);
	assert_int_equal(ch.encr, back.encr);
	assert_int_equal(ch.prf, back.prf);
	assert_int_equal(ch.integ, back.integ);
	assert_int_equal(ch.dh, back.dh);
	assert_int_equal(back.encr, want_encr);
	p = ike_msg_get(req, IKEV2_PL_KE, 0);
	assert_int_equal(p->u.ke.group, back.dh);
	assert_int_equal(p->u.ke.len, ikev2_dh_pub_len(back.dh));

	/* 2.14 from charon's g^ir and the nonces and SPIs we parsed */
	gl = tlib_hex_into(tlib_str(keys, "g_ir"), g, sizeof(g));
	kin = (struct ike_kdf_in){ .prf = back.prf, .encr = back.encr, .encr_bits = back.encr_bits,
				   .integ = back.integ, .g_ir = g, .g_ir_len = gl,
				   .ni = ike_msg_get(req, IKEV2_PL_NONCE, 0)->u.nonce.data,
				   .ni_len = ike_msg_get(req, IKEV2_PL_NONCE, 0)->u.nonce.len,
				   .nr = ike_msg_get(resp, IKEV2_PL_NONCE, 0)->u.nonce.data,
				   .nr_len = ike_msg_get(resp, IKEV2_PL_NONCE, 0)->u.nonce.len,
				   .spi_i = resp->hdr.spi_i, .spi_r = resp->hdr.spi_r };
	assert_int_equal(ike_skeyseed(&kin, seed, &sl), 0);
	key_eq(keys, "skeyseed", seed, sl);
	assert_int_equal(ike_sa_keys_derive(&kin, &k), 0);
	key_eq(keys, "sk_d", k.sk_d, k.prf_len);
	key_eq(keys, "sk_ei", k.sk_ei, k.encr_len);
	key_eq(keys, "sk_er", k.sk_er, k.encr_len);
	key_eq(keys, "sk_pi", k.sk_pi, k.prf_len);
	key_eq(keys, "sk_pr", k.sk_pr, k.prf_len);
	if (k.integ_len) {
		key_eq(keys, "sk_ai", k.sk_ai, k.integ_len);
		key_eq(keys, "sk_ar", k.sk_ar, k.integ_len);
	}

	/* IKE_AUTH request: decrypt, reassemble, parse; AUTH (2.15) */
	m = open_msg(&c, &k, IKEV2_EXCH_IKE_AUTH, true, plain, &plen);
	p = ike_msg_get(m, IKEV2_PL_IDI, 0);
	assert_non_null(p);
	assert_int_equal(p->u.id.type, IKEV2_ID_IPV4_ADDR);
	assert_memory_equal(p->u.id.data, "\xc0\x00\x02\x01", 4);
	{
		const struct ike_pld *a = ike_msg_get(m, IKEV2_PL_AUTH, 0);
		const char *psk = tlib_str(c.j, "psk");
		struct ike_auth_in ain = { back.prf, k.sk_pi, k.prf_len, c.d[0].buf, c.d[0].len,
					   kin.nr, kin.nr_len, p->u.id.type, p->u.id.data,
					   p->u.id.len };

		assert_int_equal(a->u.auth.method, IKEV2_AUTH_SHARED_KEY_MIC);
		assert_int_equal(ike_auth_psk_verify(&ain, (const uint8_t *)psk, strlen(psk),
						     a->u.auth.data, a->u.auth.len), 0);
		assert_int_equal(ike_auth_psk(&ain, (const uint8_t *)psk, strlen(psk), auth, &al), 0);
		key_eq(c.j, "auth_i", auth, al);
		assert_int_equal(ike_auth_psk_verify(&ain, (const uint8_t *)"wrong", 5,
						     a->u.auth.data, a->u.auth.len), -EACCES);
	}
	p = ike_msg_get(m, IKEV2_PL_TSI, 0);
	assert_int_equal(p->u.ts.n_ts, 1);
	assert_memory_equal(p->u.ts.ts[0].start, "\x0a\x01\x00\x01", 4);
	assert_non_null(ike_msg_notify(m, IKEV2_N_INITIAL_CONTACT));
	{
		/* the ESP proposal is what esp_proposals = aes256gcm16 says */
		struct ike_prop_cfg esp;

		assert_int_equal(ike_prop_parse("aes256gcm16", IKEV2_PROTO_ESP, &esp, NULL, 0), 0);
		assert_int_equal(ike_prop_select(&ike_msg_get(m, IKEV2_PL_SA, 0)->u.sa, &esp, 1, &ch), 0);
		assert_int_equal(ch.spi_size, 4);
	}
	/* the inner chain rebuilds to the decrypted plaintext exactly */
	{
		uint8_t first;

		assert_int_equal(ike_msg_build_inner(m, rebuilt, sizeof(rebuilt), &rl, &first), 0);
		assert_int_equal(rl, plen);
		assert_memory_equal(rebuilt, plain, rl);
	}
	free(m);

	/* IKE_AUTH response: the responder's AUTH over its IKE_SA_INIT */
	m = open_msg(&c, &k, IKEV2_EXCH_IKE_AUTH, false, plain, &plen);
	p = ike_msg_get(m, IKEV2_PL_IDR, 0);
	{
		const struct ike_pld *a = ike_msg_get(m, IKEV2_PL_AUTH, 0);
		const char *psk = tlib_str(c.j, "psk");
		struct ike_auth_in ain = { back.prf, k.sk_pr, k.prf_len, c.d[1].buf, c.d[1].len,
					   kin.ni, kin.ni_len, p->u.id.type, p->u.id.data,
					   p->u.id.len };

		assert_int_equal(ike_auth_psk_verify(&ain, (const uint8_t *)psk, strlen(psk),
						     a->u.auth.data, a->u.auth.len), 0);
		assert_int_equal(ike_auth_psk(&ain, (const uint8_t *)psk, strlen(psk), auth, &al), 0);
		key_eq(c.j, "auth_r", auth, al);
	}
	assert_non_null(ike_msg_get(m, IKEV2_PL_SA, 0));
	assert_non_null(ike_msg_get(m, IKEV2_PL_TSR, 0));
	free(m);

	/* INFORMATIONAL: the initiator deletes the IKE SA */
	m = open_msg(&c, &k, IKEV2_EXCH_INFORMATIONAL, true, plain, &plen);
	p = ike_msg_get(m, IKEV2_PL_DELETE, 0);
	assert_non_null(p);
	assert_int_equal(p->u.del.proto, IKEV2_PROTO_IKE);
	free(m);
	m = open_msg(&c, &k, IKEV2_EXCH_INFORMATIONAL, false, plain, &plen);
	assert_int_equal(plen, 0); /* an empty answer */
	free(m);

	ike_sa_keys_wipe(&k);
	free(req);
	free(resp);
	cap_free(&c);
}

static void test_strongswan_gcm_x25519(void **state)
{
	(void)state;
	check_capture("ike/strongswan_psk_aes256gcm16_x25519.json", IKEV2_ENCR_AES_GCM_16, 0);
}

static void test_strongswan_cbc_modp2048_fragments(void **state)
{
	(void)state;
	check_capture("ike/strongswan_psk_aes128_sha256_modp2048_frag.json", IKEV2_ENCR_AES_CBC, 9);
}

static void test_strongswan_chacha_ecp384(void **state)
{
	(void)state;
	check_capture("ike/strongswan_psk_chacha20poly1305_ecp384.json",
		      IKEV2_ENCR_CHACHA20_POLY1305, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strongswan_gcm_x25519),
		cmocka_unit_test(test_strongswan_chacha_ecp384),
		cmocka_unit_test(test_strongswan_cbc_modp2048_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
