/* IKE crypto against published vectors: RFC 4868 PRFs, NIST prf+ and the
 * whole IKEv2 key derivation chain, RFC 5903 ECDH, Wycheproof X25519/ECDH/
 * HMAC, RFC 7634 appendix B; SK round trips for every supported cipher and
 * integrity combination with tampering; AUTH, NAT-D and cookies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "ike/ike_crypto.h"
#include "ike/ike_msg.h"
#include "tlib.h"

static uint16_t prf_by_name(const char *s)
{
	if (!strcmp(s, "sha1") || !strcmp(s, "SHA-1"))
		return IKEV2_PRF_HMAC_SHA1;
	if (!strcmp(s, "sha256"))
		return IKEV2_PRF_HMAC_SHA2_256;
	if (!strcmp(s, "sha384"))
		return IKEV2_PRF_HMAC_SHA2_384;
	if (!strcmp(s, "sha512"))
		return IKEV2_PRF_HMAC_SHA2_512;
	fail_msg("unknown prf %s", s);
	return 0;
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
	size_t n;
	uint8_t *want = tlib_hex(hex, &n);

	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	OPENSSL_free(want);
}

/* RFC 4868 2.7.1 (PRF) and 2.7.2 (truncated integrity) test cases. */
static void test_prf_rfc4868(void **state)
{
	json_t *j = tlib_load_json("ike/rfc4868_hmac_sha2_prf_integ.json");
	static const struct { const char *key; uint16_t prf; } cols[] = {
		{ "prf_hmac_sha2_256", IKEV2_PRF_HMAC_SHA2_256 },
		{ "prf_hmac_sha2_384", IKEV2_PRF_HMAC_SHA2_384 },
		{ "prf_hmac_sha2_512", IKEV2_PRF_HMAC_SHA2_512 },
	};
	size_t i, n = 0;
	json_t *v;

	(void)state;
	json_array_foreach(json_object_get(j, "prf_2_7_1"), i, v) {
		size_t kl, dl;
		uint8_t *k = tlib_hex(tlib_str(v, "key"), &kl);
		uint8_t *d = tlib_hex(tlib_str(v, "data"), &dl);
		struct ike_chunk c = { d, dl };

		for (size_t col = 0; col < 3; col++) {
			uint8_t out[IKE_PRF_MAX];

			assert_int_equal(ike_prf(cols[col].prf, k, kl, &c, 1, out), 0);
			assert_hex(out, ike_prf_len(cols[col].prf),
				   tlib_str(v, cols[col].key));
			n++;
		}
		OPENSSL_free(k);
		OPENSSL_free(d);
	}
	json_array_foreach(json_object_get(j, "auth_2_7_2"), i, v) {
		size_t kl, dl;
		uint8_t *k = tlib_hex(tlib_str(v, "key"), &kl);
		uint8_t *d = tlib_hex(tlib_str(v, "data"), &dl);
		struct ike_chunk c = { d, dl };
		uint16_t prf = prf_by_name(tlib_str(v, "hash"));
		uint16_t integ = prf == IKEV2_PRF_HMAC_SHA2_256 ? IKEV2_INTEG_HMAC_SHA2_256_128 :
				 prf == IKEV2_PRF_HMAC_SHA2_384 ? IKEV2_INTEG_HMAC_SHA2_384_192 :
								  IKEV2_INTEG_HMAC_SHA2_512_256;
		uint8_t out[IKE_PRF_MAX];
		size_t icv = (size_t)json_integer_value(json_object_get(v, "icv_len"));

		/* RFC 4868 2.1: the integrity key is the full hash length and
		 * the ICV half of it */
		assert_int_equal(ike_integ_key_len(integ), kl);
		assert_int_equal(ike_integ_icv_len(integ), icv);
		assert_int_equal(ike_prf(prf, k, kl, &c, 1, out), 0);
		assert_hex(out, ike_prf_len(prf), tlib_str(v, "prf_output"));
		assert_hex(out, icv, tlib_str(v, "icv_truncated"));
		OPENSSL_free(k);
		OPENSSL_free(d);
		n++;
	}
	assert_true(n >= 18 + 12);
	json_decref(j);
}

/* NIST CAVP SP 800-135 prf+ vectors (2.13). */
static void test_prf_plus_nist(void **state)
{
	json_t *j = tlib_load_json("ike/ikev2_kdf_prfplus.json");
	size_t i, n = 0;
	json_t *v;

	(void)state;
	json_array_foreach(json_object_get(j, "prf_plus"), i, v) {
		size_t kl, sl, ol = (size_t)json_integer_value(json_object_get(v, "output_len"));
		uint8_t *k = tlib_hex(tlib_str(v, "key_SKEYSEED"), &kl);
		uint8_t *s = tlib_hex(tlib_str(v, "seed_Ni_Nr_SPIi_SPIr"), &sl);
		uint8_t *out = malloc(ol);
		struct ike_chunk c[2] = { { s, sl / 2 }, { s + sl / 2, sl - sl / 2 } };

		/* the seed split in two chunks must not matter */
		assert_int_equal(ike_prf_plus(prf_by_name(tlib_str(v, "prf")), k, kl,
					      c, 2, out, ol), 0);
		assert_hex(out, ol, tlib_str(v, "prf_plus_output"));
		free(out);
		OPENSSL_free(k);
		OPENSSL_free(s);
		n++;
	}
	assert_true(n >= 5);
	json_decref(j);
}

static void test_prf_plus_limits(void **state)
{
	uint8_t key[32] = { 1 }, out[256 * 32];
	struct ike_chunk s = { key, 8 };

	(void)state;
	/* 2.13: not defined beyond 255 iterations */
	assert_int_equal(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_256, key, 32, &s, 1, out,
				      255 * 32), 0);
	assert_int_equal(ike_prf_plus(IKEV2_PRF_HMAC_SHA2_256, key, 32, &s, 1, out,
				      255 * 32 + 1), -EINVAL);
	assert_int_equal(ike_prf_plus(IKEV2_PRF_HMAC_MD5, key, 32, &s, 1, out, 16),
			 -EINVAL);
}

/* The whole chain of the NIST ACVP IKEv2 sample (HMAC-SHA1): SKEYSEED, the
 * 132-octet DKM split into SK_* for AES-CBC-128 + HMAC-SHA1-96 (which is
 * exactly 132 octets), Child SA KEYMAT with and without PFS, and the
 * rekey SKEYSEED (2.14, 2.17, 2.18). */
static void test_kdf_chain(void **state)
{
	json_t *j = tlib_load_json("ike/ikev2_kdf_prfplus.json");
	json_t *v = json_object_get(j, "full_kdf_sha1_acvp_sample");
	uint8_t g[64], gn[64], ni[16], nr[16], si[8], sr[8], dkm[132], seed[64];
	uint8_t child[132];
	size_t gl, gnl, nil, nrl, sl;
	struct ike_sa_keys k;
	struct ike_child_keys ck;
	struct ike_kdf_in in;

	(void)state;
	gl = tlib_hex_into(tlib_str(v, "g_ir"), g, sizeof(g));
	gnl = tlib_hex_into(tlib_str(v, "g_ir_new"), gn, sizeof(gn));
	nil = tlib_hex_into(tlib_str(v, "Ni"), ni, sizeof(ni));
	nrl = tlib_hex_into(tlib_str(v, "Nr"), nr, sizeof(nr));
	tlib_hex_into(tlib_str(v, "SPIi"), si, 8);
	tlib_hex_into(tlib_str(v, "SPIr"), sr, 8);
	tlib_hex_into(tlib_str(v, "derivedKeyingMaterial"), dkm, sizeof(dkm));

	in = (struct ike_kdf_in){ .prf = IKEV2_PRF_HMAC_SHA1,
				  .encr = IKEV2_ENCR_AES_CBC, .encr_bits = 128,
				  .integ = IKEV2_INTEG_HMAC_SHA1_96,
				  .g_ir = g, .g_ir_len = gl, .ni = ni, .ni_len = nil,
				  .nr = nr, .nr_len = nrl, .spi_i = si, .spi_r = sr };
	assert_int_equal(ike_skeyseed(&in, seed, &sl), 0);
	assert_hex(seed, sl, tlib_str(v, "sKeySeed"));
	assert_int_equal(ike_sa_keys_derive(&in, &k), 0);
	assert_int_equal(3 * k.prf_len + 2 * k.integ_len + 2 * k.encr_len, 132);
	assert_memory_equal(k.sk_d, dkm, 20);
	assert_memory_equal(k.sk_ai, dkm + 20, 20);
	assert_memory_equal(k.sk_ar, dkm + 40, 20);
	assert_memory_equal(k.sk_ei, dkm + 60, 16);
	assert_memory_equal(k.sk_er, dkm + 76, 16);
	assert_memory_equal(k.sk_pi, dkm + 92, 20);
	assert_memory_equal(k.sk_pr, dkm + 112, 20);

	/* Child SA: KEYMAT = prf+(SK_d, Ni | Nr) taken as ei|ai|er|ar */
	tlib_hex_into(tlib_str(v, "derivedKeyingMaterialChild"), child, sizeof(child));
	assert_int_equal(ike_child_keys_derive(IKEV2_PRF_HMAC_SHA1, k.sk_d, 20, NULL, 0,
					       ni, nil, nr, nrl, IKEV2_ENCR_AES_CBC, 128,
					       IKEV2_INTEG_HMAC_SHA1_96, &ck), 0);
	assert_memory_equal(ck.ei, child, 16);
	assert_memory_equal(ck.ai, child + 16, 20);
	assert_memory_equal(ck.er, child + 36, 16);
	assert_memory_equal(ck.ar, child + 52, 20);
	/* with PFS: prf+(SK_d, g^ir (new) | Ni | Nr); AES-GCM-256 keymat
	 * (32 + 4 salt per direction) from the same stream */
	tlib_hex_into(tlib_str(v, "derivedKeyingMaterialDh"), child, sizeof(child));
	assert_int_equal(ike_child_keys_derive(IKEV2_PRF_HMAC_SHA1, k.sk_d, 20, gn, gnl,
					       ni, nil, nr, nrl, IKEV2_ENCR_AES_GCM_16, 256,
					       IKEV2_INTEG_NONE, &ck), 0);
	assert_int_equal(ck.encr_len, 36);
	assert_int_equal(ck.integ_len, 0);
	assert_memory_equal(ck.ei, child, 36);
	assert_memory_equal(ck.er, child + 36, 36);
	ike_child_keys_wipe(&ck);

	/* Rekey (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) */
	in.old_prf = IKEV2_PRF_HMAC_SHA1;
	in.old_sk_d = k.sk_d;
	in.old_sk_d_len = k.prf_len;
	in.g_ir = gn;
	in.g_ir_len = gnl;
	assert_int_equal(ike_skeyseed(&in, seed, &sl), 0);
	assert_hex(seed, sl, tlib_str(v, "sKeySeedReKey"));

	ike_sa_keys_wipe(&k);
	for (size_t i = 0; i < sizeof(k); i++)
		assert_int_equal(((uint8_t *)&k)[i], 0);
	json_decref(j);
}

static void test_kdf_args(void **state)
{
	uint8_t g[32] = { 1 }, n[32] = { 2 }, s[8] = { 3 };
	struct ike_sa_keys k;
	struct ike_kdf_in in = { .prf = IKEV2_PRF_HMAC_SHA2_256,
				 .encr = IKEV2_ENCR_AES_GCM_16, .encr_bits = 256,
				 .integ = IKEV2_INTEG_NONE, .g_ir = g, .g_ir_len = 32,
				 .ni = n, .ni_len = 32, .nr = n, .nr_len = 32,
				 .spi_i = s, .spi_r = s };

	(void)state;
	assert_int_equal(ike_sa_keys_derive(&in, &k), 0);
	assert_int_equal(k.encr_len, 36); /* RFC 5282 7.1: key + 4 salt */
	assert_int_equal(k.integ_len, 0);
	in.integ = IKEV2_INTEG_HMAC_SHA2_256_128; /* AEAD with integrity */
	assert_int_equal(ike_sa_keys_derive(&in, &k), -EINVAL);
	in.integ = IKEV2_INTEG_NONE;
	in.encr = IKEV2_ENCR_AES_CBC; /* CBC without integrity */
	assert_int_equal(ike_sa_keys_derive(&in, &k), -EINVAL);
	in.encr = IKEV2_ENCR_AES_GCM_16;
	in.encr_bits = 100;
	assert_int_equal(ike_sa_keys_derive(&in, &k), -EINVAL);
	in.encr = IKEV2_ENCR_CHACHA20_POLY1305; /* RFC 7634: no key length */
	assert_int_equal(ike_sa_keys_derive(&in, &k), -EINVAL);
	in.encr_bits = 0;
	assert_int_equal(ike_sa_keys_derive(&in, &k), 0);
	in.prf = IKEV2_PRF_AES128_XCBC;
	assert_int_equal(ike_sa_keys_derive(&in, &k), -EINVAL);
	ike_sa_keys_wipe(&k);
}

/* RFC 5903 section 8: groups 19, 20, 21 in KE payload form (x || y). */
static void test_rfc5903(void **state)
{
	json_t *j = tlib_load_json("ike/rfc5903_ecp_groups_19_20_21.json");
	size_t i;
	json_t *v;

	(void)state;
	json_array_foreach(json_object_get(j, "vectors"), i, v) {
		uint16_t grp = (uint16_t)json_integer_value(json_object_get(v, "ike_dh_group"));
		const char *who[2] = { "i", "r" };
		const char *pub[2] = { "ke_payload_data_initiator", "ke_payload_data_responder" };

		for (int s = 0; s < 2; s++) {
			struct ike_dh *dh;
			uint8_t priv[66], peer[IKE_DH_MAX], out[IKE_DH_MAX];
			size_t pl = tlib_hex_into(tlib_str(v, who[s]), priv, sizeof(priv));
			size_t peerl = tlib_hex_into(tlib_str(v, pub[1 - s]), peer, sizeof(peer));
			size_t ol, sl;
			const uint8_t *sec;
			const char *why = NULL;

			assert_int_equal(ike_dh_new_private(grp, priv, pl, &dh), 0);
			assert_int_equal(ike_dh_public(dh, out, sizeof(out), &ol), 0);
			assert_int_equal(ol, ikev2_dh_pub_len(grp));
			assert_hex(out, ol, tlib_str(v, pub[s]));
			assert_null(ike_dh_secret(dh, &sl));
			assert_int_equal(ike_dh_compute(dh, peer, peerl, &why), 0);
			sec = ike_dh_secret(dh, &sl);
			assert_non_null(sec);
			/* RFC 5903 7: the shared secret is x only */
			assert_hex(sec, sl, tlib_str(v, "shared_secret_g_ir_x"));
			/* flip a bit of y: no longer on the curve */
			peer[peerl - 1] ^= 1;
			assert_int_equal(ike_dh_compute(dh, peer, peerl, &why), -EBADMSG);
			assert_non_null(why);
			assert_null(ike_dh_secret(dh, &sl));
			ike_dh_free(dh);
		}
	}
	json_decref(j);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Wycheproof X25519: every valid case gives the published secret; of the
 * "acceptable" ones those with an all-zero result are refused (RFC 8031
 * 2.3 MUST) and the others give the published secret. */
static void test_wycheproof_x25519(void **state)
{
	json_t *j = tlib_load_json("wycheproof/x25519_test.json");
	size_t gi, ti, ok = 0, refused = 0;
	json_t *g, *t;

	(void)state;
	json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			uint8_t priv[32], pub[32], want[32];
			struct ike_dh *dh;
			const uint8_t *sec;
			const char *why = NULL, *res = tlib_str(t, "result");
			size_t sl;
			int rc;

			tlib_hex_into(tlib_str(t, "private"), priv, 32);
			tlib_hex_into(tlib_str(t, "public"), pub, 32);
			tlib_hex_into(tlib_str(t, "shared"), want, 32);
			assert_int_equal(ike_dh_new_private(IKEV2_DH_CURVE25519, priv, 32, &dh), 0);
			rc = ike_dh_compute(dh, pub, 32, &why);
			if (!strcmp(res, "invalid") || all_zero(want, 32)) {
				if (rc != -EBADMSG)
					fail_msg("tcId %lld accepted",
						 json_integer_value(json_object_get(t, "tcId")));
				assert_non_null(why);
				refused++;
			} else {
				if (rc)
					fail_msg("tcId %lld refused: %s",
						 json_integer_value(json_object_get(t, "tcId")), why);
				sec = ike_dh_secret(dh, &sl);
				assert_int_equal(sl, 32);
				assert_memory_equal(sec, want, 32);
				ok++;
			}
			ike_dh_free(dh);
		}
	}
	assert_int_equal(ok + refused, 518);
	assert_true(refused >= 20);
	json_decref(j);
}

/* Wycheproof ECDH P-256 / P-384 with SEC1 points: an uncompressed point
 * 04||x||y goes into the KE payload as x||y (RFC 5903 7) and must give the
 * published secret when valid and be refused when invalid (not on the
 * curve).  Any other encoding (compressed, empty) cannot be a KE payload
 * value and must be refused by its length. */
static void wycheproof_ecdh(const char *file, uint16_t grp, size_t n_tests)
{
	json_t *j = tlib_load_json(file);
	size_t gi, ti, ok = 0, refused = 0, plen = ikev2_dh_pub_len(grp);
	json_t *g, *t;

	json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			uint8_t priv[80], pub[200], want[80];
			size_t privl, publ, wl, sl;
			struct ike_dh *dh;
			const uint8_t *sec, *v = pub;
			const char *why = NULL, *res = tlib_str(t, "result");
			size_t vl;
			bool uncompressed;
			int rc;

			privl = tlib_hex_into(tlib_str(t, "private"), priv, sizeof(priv));
			publ = tlib_hex_into(tlib_str(t, "public"), pub, sizeof(pub));
			wl = tlib_hex_into(tlib_str(t, "shared"), want, sizeof(want));
			/* Wycheproof scalars may carry a leading 00 */
			assert_int_equal(ike_dh_new_private(grp, priv, privl, &dh), 0);
			uncompressed = publ == plen + 1 && pub[0] == 4;
			vl = publ;
			if (uncompressed) {
				v = pub + 1;
				vl = plen;
			}
			rc = ike_dh_compute(dh, v, vl, &why);
			if (!strcmp(res, "valid") && uncompressed) {
				if (rc)
					fail_msg("%s tcId %lld refused: %s", file,
						 json_integer_value(json_object_get(t, "tcId")), why);
				sec = ike_dh_secret(dh, &sl);
				assert_int_equal(sl, wl);
				assert_memory_equal(sec, want, wl);
				ok++;
			} else {
				if (rc != -EBADMSG)
					fail_msg("%s tcId %lld (%s) accepted", file,
						 json_integer_value(json_object_get(t, "tcId")), res);
				assert_non_null(why);
				refused++;
			}
			ike_dh_free(dh);
		}
	}
	assert_int_equal(ok + refused, n_tests);
	assert_true(refused >= 17);
	json_decref(j);
}

static void test_wycheproof_ecdh_p256(void **state)
{
	(void)state;
	wycheproof_ecdh("wycheproof/ecdh_secp256r1_ecpoint_test.json", IKEV2_DH_ECP256, 355);
}

static void test_wycheproof_ecdh_p384(void **state)
{
	(void)state;
	wycheproof_ecdh("wycheproof/ecdh_secp384r1_ecpoint_test.json", IKEV2_DH_ECP384, 790);
}

/* RFC 3526 section 3: the 2048-bit MODP prime. */
static const char modp2048_p[] =
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
	"29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
	"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
	"C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
	"83655D23DCA3AD961C62F356208552BB9ED529077096966D"
	"670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
	"DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
	"15728E5A8AACAA68FFFFFFFFFFFFFFFF";

/* MODP group 14: both sides agree and match an independent BN_mod_exp;
 * the values 0, 1, p-2 (outside the prime-order subgroup), p-1, p and
 * all-ones are refused, as is a short value. */
static void test_modp2048(void **state)
{
	uint8_t xa[32], xb[32], pa[256], pb[256], v[256];
	struct ike_dh *a, *b, *r;
	size_t la, lb, sla, slb;
	const uint8_t *sa, *sb;
	const char *why;
	BIGNUM *p = NULL, *ya, *xbn, *e;
	BN_CTX *bc = BN_CTX_new();
	uint8_t want[256];

	(void)state;
	tlib_srand(14);
	tlib_rand_bytes(xa, sizeof(xa));
	tlib_rand_bytes(xb, sizeof(xb));
	assert_int_equal(ike_dh_new_private(IKEV2_DH_MODP2048, xa, 32, &a), 0);
	assert_int_equal(ike_dh_new_private(IKEV2_DH_MODP2048, xb, 32, &b), 0);
	assert_int_equal(ike_dh_public(a, pa, sizeof(pa), &la), 0);
	assert_int_equal(ike_dh_public(b, pb, sizeof(pb), &lb), 0);
	assert_int_equal(la, 256);
	assert_int_equal(ike_dh_compute(a, pb, lb, &why), 0);
	assert_int_equal(ike_dh_compute(b, pa, la, &why), 0);
	sa = ike_dh_secret(a, &sla);
	sb = ike_dh_secret(b, &slb);
	assert_int_equal(sla, 256); /* 2.14: padded to the modulus */
	assert_int_equal(slb, 256);
	assert_memory_equal(sa, sb, 256);
	/* (g^xa)^xb mod p, computed apart */
	assert_true(BN_hex2bn(&p, modp2048_p) > 0);
	ya = BN_bin2bn(pa, 256, NULL);
	xbn = BN_bin2bn(xb, 32, NULL);
	e = BN_new();
	assert_true(BN_mod_exp(e, ya, xbn, p, bc));
	assert_int_equal(BN_bn2binpad(e, want, 256), 256);
	assert_memory_equal(sa, want, 256);

	/* a fresh key also agrees */
	assert_int_equal(ike_dh_new(IKEV2_DH_MODP2048, &r), 0);
	assert_int_equal(ike_dh_public(r, v, sizeof(v), &la), 0);
	assert_int_equal(ike_dh_compute(a, v, la, &why), 0);
	assert_int_equal(ike_dh_compute(r, pa, 256, &why), 0);
	assert_memory_equal(ike_dh_secret(a, &sla), ike_dh_secret(r, &slb), 256);

	/* refused values */
	memset(v, 0, 256);
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* 0 */
	v[255] = 1;
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* 1 */
	assert_non_null(strstr(why, "2..p-2"));
	assert_int_equal(BN_bn2binpad(p, v, 256), 256);
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* p */
	v[255] -= 1;
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* p-1 */
	v[255] -= 1;
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* p-2 */
	assert_non_null(strstr(why, "subgroup"));
	memset(v, 0xff, 256);
	assert_int_equal(ike_dh_compute(a, v, 256, &why), -EBADMSG); /* > p */
	assert_int_equal(ike_dh_compute(a, pb, 255, &why), -EBADMSG); /* short */
	assert_null(ike_dh_secret(a, &sla));

	BN_free(p);
	BN_free(ya);
	BN_free(xbn);
	BN_free(e);
	BN_CTX_free(bc);
	ike_dh_free(a);
	ike_dh_free(b);
	ike_dh_free(r);
}

/* Every supported group: fresh key pairs agree; unsupported groups are
 * refused with -EINVAL. */
static void test_dh_groups(void **state)
{
	static const uint16_t ok[] = { IKEV2_DH_MODP2048, IKEV2_DH_MODP3072,
				       IKEV2_DH_MODP4096, IKEV2_DH_ECP256,
				       IKEV2_DH_ECP384, IKEV2_DH_ECP521,
				       IKEV2_DH_CURVE25519 };
	struct ike_dh *a, *b;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint8_t pa[IKE_DH_MAX], pb[IKE_DH_MAX];
		size_t la, lb, sa, sb;
		const uint8_t *sec_a, *sec_b;

		assert_true(ike_dh_supported(ok[i]));
		assert_int_equal(ike_dh_new(ok[i], &a), 0);
		assert_int_equal(ike_dh_new(ok[i], &b), 0);
		assert_int_equal(ike_dh_group(a), ok[i]);
		assert_int_equal(ike_dh_public(a, pa, sizeof(pa), &la), 0);
		assert_int_equal(ike_dh_public(b, pb, sizeof(pb), &lb), 0);
		assert_int_equal(la, ikev2_dh_pub_len(ok[i]));
		assert_int_equal(ike_dh_public(a, pa, la - 1, &la), -ENOBUFS);
		assert_int_equal(ike_dh_compute(a, pb, lb, NULL), 0);
		assert_int_equal(ike_dh_compute(b, pa, la, NULL), 0);
		sec_a = ike_dh_secret(a, &sa);
		sec_b = ike_dh_secret(b, &sb);
		assert_int_equal(sa, sb);
		assert_memory_equal(sec_a, sec_b, sa);
		ike_dh_free(a);
		ike_dh_free(b);
	}
	assert_false(ike_dh_supported(IKEV2_DH_MODP1024));
	assert_int_equal(ike_dh_new(IKEV2_DH_MODP1024, &a), -EINVAL);
	assert_int_equal(ike_dh_new(IKEV2_DH_CURVE448, &a), -EINVAL);
	ike_dh_free(NULL);
}

/* Wycheproof HMAC-SHA2 (the PRFs over keys of any length): valid tags
 * match, modified ones do not. */
static void wycheproof_hmac(const char *file, uint16_t prf)
{
	json_t *j = tlib_load_json(file);
	size_t gi, ti, n = 0;
	json_t *g, *t;

	json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
		size_t tag_len = (size_t)json_integer_value(json_object_get(g, "tagSize")) / 8;

		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			size_t kl, ml, tl;
			uint8_t *k = tlib_hex(tlib_str(t, "key"), &kl);
			uint8_t *m = tlib_hex(tlib_str(t, "msg"), &ml);
			uint8_t *tag = tlib_hex(tlib_str(t, "tag"), &tl);
			uint8_t out[IKE_PRF_MAX];
			struct ike_chunk c = { m, ml };
			bool valid = !strcmp(tlib_str(t, "result"), "valid");

			assert_int_equal(ike_prf(prf, k, kl, &c, 1, out), 0);
			assert_int_equal(tl == tag_len && !CRYPTO_memcmp(out, tag, tl), valid);
			OPENSSL_free(k);
			OPENSSL_free(m);
			OPENSSL_free(tag);
			n++;
		}
	}
	assert_true(n > 150);
	json_decref(j);
}

static void test_wycheproof_hmac(void **state)
{
	(void)state;
	wycheproof_hmac("wycheproof/hmac_sha256_test.json", IKEV2_PRF_HMAC_SHA2_256);
	wycheproof_hmac("wycheproof/hmac_sha384_test.json", IKEV2_PRF_HMAC_SHA2_384);
	wycheproof_hmac("wycheproof/hmac_sha512_test.json", IKEV2_PRF_HMAC_SHA2_512);
}

/* RFC 7634 appendix B: a complete encrypted IKEv2 INFORMATIONAL message
 * (from the original responder) decrypts to N(SET_WINDOW_SIZE) = 10. */
static void test_rfc7634_appendix_b(void **state)
{
	json_t *j = tlib_load_json("esp/rfc7634_chacha20poly1305_esp_ike.json");
	json_t *v = json_object_get(j, "appendix_B_ikev2");
	uint8_t msg[128], copy[128];
	size_t len, pl;
	struct ike_sa_keys k;
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_perr e;
	const uint8_t *plain;
	const struct ike_notify *n;

	(void)state;
	len = tlib_hex_into(tlib_str(v, "full_message"), msg, sizeof(msg));
	assert_int_equal(len, 69);
	memcpy(copy, msg, len);
	memset(&k, 0, sizeof(k));
	k.encr = IKEV2_ENCR_CHACHA20_POLY1305;
	assert_int_equal(ike_encr_info(k.encr, 0, &k.ei), 0);
	k.encr_len = 36;
	tlib_hex_into(tlib_str(j, "keymat_36"), k.sk_er, sizeof(k.sk_er));

	assert_int_equal(ike_msg_parse(m, msg, len, &e), 0);
	assert_int_equal(m->hdr.exchange, IKEV2_EXCH_INFORMATIONAL);
	assert_int_equal(m->hdr.msg_id, 9);
	assert_true(m->sk >= 0);
	/* the I flag is clear: it came from the responder; with the
	 * initiator's direction it is refused as a reflection */
	assert_int_equal(ike_sk_decrypt(&k, true, m, msg, &plain, &pl), -EBADMSG);
	assert_int_equal(ike_sk_decrypt(&k, false, m, msg, &plain, &pl), 0);
	assert_hex(plain, pl, "0000000c000040010000000a");
	assert_int_equal(ike_msg_parse_inner(m, m->pld[m->sk].u.sk.first, plain, pl, &e), 0);
	n = ike_msg_notify(m, IKEV2_N_SET_WINDOW_SIZE);
	assert_non_null(n);
	assert_int_equal(n->len, 4);
	assert_hex(n->data, 4, "0000000a");

	/* one flipped bit anywhere in the authenticated part: refused */
	for (size_t i = 0; i < len; i++) {
		memcpy(msg, copy, len);
		msg[i] ^= 0x01;
		if (ike_msg_parse(m, msg, len, &e))
			continue; /* header/length damage: the parser refuses */
		assert_int_not_equal(ike_sk_decrypt(&k, false, m, msg, &plain, &pl), 0);
	}
	free(m);
	json_decref(j);
}

/* ---- SK round trips ---- */

struct combo {
	uint16_t encr, bits, integ, prf;
};

static const struct combo combos[] = {
	{ IKEV2_ENCR_AES_GCM_16, 128, 0, IKEV2_PRF_HMAC_SHA2_256 },
	{ IKEV2_ENCR_AES_GCM_16, 192, 0, IKEV2_PRF_HMAC_SHA2_384 },
	{ IKEV2_ENCR_AES_GCM_16, 256, 0, IKEV2_PRF_HMAC_SHA2_512 },
	{ IKEV2_ENCR_CHACHA20_POLY1305, 0, 0, IKEV2_PRF_HMAC_SHA2_256 },
	{ IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA1_96, IKEV2_PRF_HMAC_SHA1 },
	{ IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256 },
	{ IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA2_384_192, IKEV2_PRF_HMAC_SHA2_384 },
	{ IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA2_512_256, IKEV2_PRF_HMAC_SHA2_512 },
	{ IKEV2_ENCR_AES_CBC, 192, IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256 },
	{ IKEV2_ENCR_AES_CBC, 192, IKEV2_INTEG_HMAC_SHA2_384_192, IKEV2_PRF_HMAC_SHA2_384 },
	{ IKEV2_ENCR_AES_CBC, 192, IKEV2_INTEG_HMAC_SHA2_512_256, IKEV2_PRF_HMAC_SHA2_512 },
	{ IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_PRF_HMAC_SHA2_256 },
	{ IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_384_192, IKEV2_PRF_HMAC_SHA2_384 },
	{ IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_512_256, IKEV2_PRF_HMAC_SHA2_512 },
};

static void mk_keys(struct ike_sa_keys *k, const struct combo *c)
{
	uint8_t g[32], ni[32], nr[32], si[8], sr[8];
	struct ike_kdf_in in = { .prf = c->prf, .encr = c->encr,
				 .encr_bits = c->bits, .integ = c->integ,
				 .g_ir = g, .g_ir_len = 32, .ni = ni, .ni_len = 32,
				 .nr = nr, .nr_len = 32, .spi_i = si, .spi_r = sr };

	tlib_rand_bytes(g, 32);
	tlib_rand_bytes(ni, 32);
	tlib_rand_bytes(nr, 32);
	tlib_rand_bytes(si, 8);
	tlib_rand_bytes(sr, 8);
	assert_int_equal(ike_sa_keys_derive(&in, k), 0);
}

/* An IKE_AUTH request: SK { IDi, AUTH, N(INITIAL_CONTACT), SA, TSi, TSr } */
static void mk_auth_msg(struct ike_msg *m, bool from_i, const uint8_t *auth,
			size_t auth_len)
{
	static const uint8_t si[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t sr[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	static const struct ike_transform xf[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false },
	};
	static struct ike_proposal prop = { 1, IKEV2_PROTO_ESP, 4, { 0xc0, 1, 2, 3 }, 2, xf };
	static struct ike_ts ts = { IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535,
				    { 10, 1, 0, 0 }, { 10, 1, 255, 255 } };
	struct ike_pld *p;

	ike_msg_init(m, si, sr, IKEV2_EXCH_IKE_AUTH, from_i ? IKEV2_FLAG_INITIATOR : 0, 1);
	assert_non_null(ike_msg_add(m, IKEV2_PL_SK, false));
	p = ike_msg_add(m, IKEV2_PL_IDI, true);
	p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"a.example", 9 };
	p = ike_msg_add(m, IKEV2_PL_AUTH, true);
	p->u.auth.method = IKEV2_AUTH_SHARED_KEY_MIC;
	p->u.auth.data = auth;
	p->u.auth.len = auth_len;
	assert_int_equal(ike_msg_add_notify(m, true, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT,
					    NULL, 0), 0);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &prop, 1 };
	p = ike_msg_add(m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ &ts, 1 };
	p = ike_msg_add(m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ &ts, 1 };
}

static void test_sk_roundtrip(void **state)
{
	struct ike_msg *out = malloc(sizeof(*out)), *in = malloc(sizeof(*in));
	uint8_t buf[2048], copy[2048], auth[32];

	(void)state;
	tlib_srand(7634);
	tlib_rand_bytes(auth, sizeof(auth));
	for (size_t c = 0; c < sizeof(combos) / sizeof(combos[0]); c++) {
		struct ike_sa_keys k;

		mk_keys(&k, &combos[c]);
		for (int dir = 0; dir < 2; dir++) {
			bool from_i = dir == 0;
			size_t len, sk_off, plen, plain_len, total;
			const uint8_t *plain;
			struct ike_perr e;
			const struct ike_pld *p;

			mk_auth_msg(out, from_i, auth, sizeof(auth));
			assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk_off), 0);
			plen = len - sk_off - IKE_GEN_LEN;
			assert_int_equal(ike_sk_encrypt(&k, !from_i, buf, sizeof(buf), &len, sk_off),
					 -EINVAL); /* wrong direction for the I flag */
			total = len + ike_sk_overhead(&k, plen);
			assert_int_equal(ike_sk_encrypt(&k, from_i, buf, total - 1, &len, sk_off),
					 -ENOBUFS);
			assert_int_equal(ike_sk_encrypt(&k, from_i, buf, sizeof(buf), &len, sk_off), 0);
			assert_int_equal(len, total);
			if (k.ei.block_len > 1)
				assert_int_equal((len - sk_off - IKE_GEN_LEN - k.ei.iv_len -
						  ike_integ_icv_len(k.integ)) % k.ei.block_len, 0);
			/* the plaintext is gone from the wire */
			assert_null(memmem(buf, len, "a.example", 9));
			memcpy(copy, buf, len);

			assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
			assert_int_equal(in->sk, 0);
			assert_int_equal(ike_sk_decrypt(&k, !from_i, in, buf, &plain, &plain_len),
					 -EBADMSG); /* reflection */
			assert_int_equal(ike_sk_decrypt(&k, from_i, in, buf, &plain, &plain_len), 0);
			assert_int_equal(plain_len, plen);
			assert_int_equal(ike_msg_parse_inner(in, in->pld[0].u.sk.first, plain,
							     plain_len, &e), 0);
			assert_int_equal(in->n_pld, 7);
			p = ike_msg_get(in, IKEV2_PL_AUTH, 0);
			assert_non_null(p);
			assert_true(p->inner);
			assert_memory_equal(p->u.auth.data, auth, sizeof(auth));
			p = ike_msg_get(in, IKEV2_PL_IDI, 0);
			assert_memory_equal(p->u.id.data, "a.example", 9);
			assert_non_null(ike_msg_notify(in, IKEV2_N_INITIAL_CONTACT));
			assert_int_equal(ike_msg_get(in, IKEV2_PL_SA, 0)->u.sa.props[0].xf[0].key_len, 256);

			/* tampering: ICV, ciphertext, IV, IKE header (AAD /
			 * MAC'd), SK header -- each refused with -EACCES and
			 * no plaintext left behind */
			{
				size_t spots[] = { len - 1, len - ike_integ_icv_len(k.integ) - 17 - (k.ei.aead ? 16 : 0),
						   sk_off + IKE_GEN_LEN, 20 /* msg id */, sk_off + 1 /* SK reserved */ };

				for (size_t s = 0; s < sizeof(spots) / sizeof(spots[0]); s++) {
					memcpy(buf, copy, len);
					buf[spots[s]] ^= 0x80;
					assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
					assert_int_equal(ike_sk_decrypt(&k, from_i, in, buf, &plain,
									&plain_len), -EACCES);
					assert_null(memmem(buf, len, "a.example", 9));
				}
			}
		}
		/* the AEAD IV is a counter: never the same twice */
		if (k.ei.aead)
			assert_int_equal(k.iv_sent[0] + k.iv_sent[1], 2);
		ike_sa_keys_wipe(&k);
	}
	free(out);
	free(in);
}

/* An SK too short for IV + ICV, or CBC data not a multiple of the block,
 * is malformed (-EBADMSG), not an ICV failure. */
static void test_sk_malformed(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct combo cbc = { IKEV2_ENCR_AES_CBC, 256, IKEV2_INTEG_HMAC_SHA2_256_128,
			     IKEV2_PRF_HMAC_SHA2_256 };
	struct combo gcm = { IKEV2_ENCR_AES_GCM_16, 256, 0, IKEV2_PRF_HMAC_SHA2_256 };
	struct ike_sa_keys kc, kg;
	uint8_t buf[256];
	struct ike_perr e;
	const uint8_t *pl;
	size_t pll;

	(void)state;
	mk_keys(&kc, &cbc);
	mk_keys(&kg, &gcm);
	for (size_t body = 0; body < 80; body++) {
		size_t len = IKE_HDR_LEN + IKE_GEN_LEN + body;
		int rc;

		memset(buf, 0x5a, sizeof(buf));
		memset(buf, 0, IKE_HDR_LEN);
		buf[0] = 1;
		buf[16] = IKEV2_PL_SK;
		buf[17] = IKEV2_VERSION;
		buf[18] = IKEV2_EXCH_INFORMATIONAL;
		buf[19] = IKEV2_FLAG_INITIATOR;
		buf[27] = (uint8_t)len;
		buf[28] = IKEV2_PL_NOTIFY;
		buf[29] = 0;
		buf[30] = 0;
		buf[31] = (uint8_t)(IKE_GEN_LEN + body);
		assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
		rc = ike_sk_decrypt(&kc, true, m, buf, &pl, &pll);
		if (body < 16 + 16 + 16 || (body - 32) % 16)
			assert_int_equal(rc, -EBADMSG);
		else
			assert_int_equal(rc, -EACCES);
		rc = ike_sk_decrypt(&kg, true, m, buf, &pl, &pll);
		assert_int_equal(rc, body < 8 + 16 + 1 ? -EBADMSG : -EACCES);
	}
	ike_sa_keys_wipe(&kc);
	ike_sa_keys_wipe(&kg);
	free(m);
}

/* RFC 7383: a message split in fragments, each sealed alone (AAD covers
 * the fragment number and total), decrypted and reassembled. */
static void test_skf_roundtrip(void **state)
{
	struct ike_msg *out = malloc(sizeof(*out)), *in = malloc(sizeof(*in));
	struct combo gcm = { IKEV2_ENCR_AES_GCM_16, 128, 0, IKEV2_PRF_HMAC_SHA2_256 };
	struct combo cbc = { IKEV2_ENCR_AES_CBC, 128, IKEV2_INTEG_HMAC_SHA2_256_128,
			     IKEV2_PRF_HMAC_SHA2_256 };
	const struct combo *cs[2] = { &gcm, &cbc };
	uint8_t auth[600], inner[2048], frag[256], fcopy[256], re[2048];

	(void)state;
	tlib_rand_bytes(auth, sizeof(auth));
	for (int c = 0; c < 2; c++) {
		struct ike_sa_keys k;
		size_t il, relen = 0, chunk = 100;
		uint8_t first, rfirst = 0;
		uint16_t total;

		mk_keys(&k, cs[c]);
		mk_auth_msg(out, true, auth, sizeof(auth));
		assert_int_equal(ike_msg_build_inner(out, inner, sizeof(inner), &il, &first), 0);
		assert_int_equal(first, IKEV2_PL_IDI);
		total = (uint16_t)((il + chunk - 1) / chunk);
		assert_true(total > 5);
		for (uint16_t f = 1; f <= total; f++) {
			size_t off = (size_t)(f - 1) * chunk, n = il - off < chunk ? il - off : chunk;
			size_t len, skf_off, pl;
			const uint8_t *plain;
			struct ike_perr e;

			assert_int_equal(ike_frag_build(&out->hdr, first, f, total, inner + off, n,
							 frag, sizeof(frag), &len, &skf_off), 0);
			assert_int_equal(ike_sk_encrypt(&k, true, frag, sizeof(frag), &len, skf_off), 0);
			assert_int_equal(ike_msg_parse(in, frag, len, &e), 0);
			assert_int_equal(in->pld[in->sk].type, IKEV2_PL_SKF);
			assert_int_equal(in->pld[in->sk].u.sk.frag_num, f);
			assert_int_equal(in->pld[in->sk].u.sk.frag_total, total);
			if (f == 1)
				rfirst = in->pld[in->sk].u.sk.first;
			else
				assert_int_equal(in->pld[in->sk].u.sk.first, 0);
			/* the fragment number is authenticated (a refused
			 * SKF leaves its encrypted part undefined: use a copy) */
			memcpy(fcopy, frag, len);
			fcopy[skf_off + 5] ^= 1;
			if (!ike_msg_parse(in, fcopy, len, &e))
				assert_int_equal(ike_sk_decrypt(&k, true, in, fcopy, &plain, &pl), -EACCES);
			assert_int_equal(ike_msg_parse(in, frag, len, &e), 0);
			assert_int_equal(ike_sk_decrypt(&k, true, in, frag, &plain, &pl), 0);
			assert_int_equal(pl, n);
			memcpy(re + relen, plain, pl);
			relen += pl;
		}
		assert_int_equal(relen, il);
		assert_memory_equal(re, inner, il);
		/* reassembled plaintext parses as the inner payloads of the
		 * last fragment's message */
		{
			struct ike_perr e;

			assert_int_equal(ike_msg_parse_inner(in, rfirst, re, relen, &e), 0);
			assert_memory_equal(ike_msg_get(in, IKEV2_PL_AUTH, 0)->u.auth.data, auth,
					    sizeof(auth));
		}
		ike_sa_keys_wipe(&k);
	}
	free(out);
	free(in);
}

/* ---- AUTH, NAT-D, cookies, random ---- */

/* PSK AUTH (2.15) against a value computed with Python's hmac/hashlib. */
static void test_auth_psk(void **state)
{
	uint8_t skp[32], msg[60], nonce[32], out[IKE_PRF_MAX], oct[200];
	static const char psk[] = "0123456789abcdef0123456789abcdef";
	struct ike_auth_in in;
	size_t ol, octl;

	(void)state;
	for (int i = 0; i < 32; i++)
		skp[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 60; i++)
		msg[i] = (uint8_t)(0xa0 + i);
	memset(nonce, 0x55, sizeof(nonce));
	in = (struct ike_auth_in){ IKEV2_PRF_HMAC_SHA2_256, skp, 32, msg, 60, nonce, 32,
				   IKEV2_ID_FQDN, (const uint8_t *)"gw.example.org", 14 };
	assert_int_equal(ike_auth_psk(&in, (const uint8_t *)psk, 32, out, &ol), 0);
	assert_hex(out, ol, "33078cb974b41932dfe2db0fec357f996f1da893a4cb5d59125792e77622f0ed");
	assert_int_equal(ike_auth_psk_verify(&in, (const uint8_t *)psk, 32, out, ol), 0);
	out[31] ^= 1;
	assert_int_equal(ike_auth_psk_verify(&in, (const uint8_t *)psk, 32, out, ol), -EACCES);
	out[31] ^= 1;
	assert_int_equal(ike_auth_psk_verify(&in, (const uint8_t *)psk, 32, out, 16), -EACCES);
	assert_int_equal(ike_auth_psk_verify(&in, (const uint8_t *)"wrong", 5, out, ol), -EACCES);
	/* a different identity changes the MACed ID, so the AUTH */
	in.id_type = IKEV2_ID_RFC822_ADDR;
	assert_int_equal(ike_auth_psk_verify(&in, (const uint8_t *)psk, 32, out, ol), -EACCES);
	in.id_type = IKEV2_ID_FQDN;
	/* the signed octets for signature methods end with the MACed ID */
	assert_int_equal(ike_auth_octets(&in, oct, sizeof(oct), &octl), 0);
	assert_int_equal(octl, 60 + 32 + 32);
	assert_memory_equal(oct, msg, 60);
	assert_memory_equal(oct + 60, nonce, 32);
	assert_hex(oct + 92, 32, "143bef6f4ecbdefa90de26d1d34ce874fe6bac4c2aa9ae2691c34b70affbedb2");
	assert_int_equal(ike_auth_octets(&in, oct, octl - 1, &octl), -ENOBUFS);
}

/* NAT-D (2.23) against values computed with Python's hashlib. */
static void test_natd(void **state)
{
	static const uint8_t si[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t sr[8] = { 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18 };
	static const uint8_t ip4[4] = { 192, 0, 2, 1 };
	static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t h[IKEV2_NATD_LEN];

	(void)state;
	assert_int_equal(ike_natd_hash(si, sr, ip4, 4, 500, h), 0);
	assert_hex(h, 20, "d798d986143f878f70765e0e869c80bbc375f701");
	assert_int_equal(ike_natd_hash(si, sr, ip6, 16, 4500, h), 0);
	assert_hex(h, 20, "1ee24423bf8f59515e0265c6d0f08be3d038f7e5");
	assert_int_equal(ike_natd_hash(si, sr, ip4, 5, 500, h), -EINVAL);
}

static void test_cookie(void **state)
{
	struct ike_cookie_ctx c;
	uint8_t ni[32], spi[8], ck[IKE_COOKIE_LEN], ck2[IKE_COOKIE_LEN];
	static const uint8_t ip[4] = { 198, 51, 100, 7 }, ip2[4] = { 198, 51, 100, 8 };

	(void)state;
	tlib_rand_bytes(ni, sizeof(ni));
	tlib_rand_bytes(spi, sizeof(spi));
	assert_int_equal(ike_cookie_init(&c), 0);
	assert_int_equal(ike_cookie_make(&c, ni, 32, ip, 4, spi, ck), 0);
	assert_true(IKE_COOKIE_LEN <= IKEV2_COOKIE_MAX);
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip, 4, spi), 0);
	/* bound to Ni, IPi and SPIi */
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 31, ip, 4, spi), -EACCES);
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip2, 4, spi), -EACCES);
	spi[0] ^= 1;
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip, 4, spi), -EACCES);
	spi[0] ^= 1;
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck) - 1, ni, 32, ip, 4, spi), -EACCES);
	ck[IKE_COOKIE_LEN - 1] ^= 1;
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip, 4, spi), -EACCES);
	ck[IKE_COOKIE_LEN - 1] ^= 1;
	/* after one rotation the old cookie still verifies, after two not */
	assert_int_equal(ike_cookie_rotate(&c), 0);
	assert_int_equal(ike_cookie_make(&c, ni, 32, ip, 4, spi, ck2), 0);
	assert_memory_not_equal(ck, ck2, 4);
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip, 4, spi), 0);
	assert_int_equal(ike_cookie_verify(&c, ck2, sizeof(ck2), ni, 32, ip, 4, spi), 0);
	assert_int_equal(ike_cookie_rotate(&c), 0);
	assert_int_equal(ike_cookie_verify(&c, ck, sizeof(ck), ni, 32, ip, 4, spi), -EACCES);
	assert_int_equal(ike_cookie_verify(&c, ck2, sizeof(ck2), ni, 32, ip, 4, spi), 0);
	ike_cookie_wipe(&c);
}

static void test_random(void **state)
{
	uint8_t a[8], b[8], zero[8] = { 0 }, n1[32], n2[32];

	(void)state;
	assert_int_equal(ike_spi_new(a), 0);
	assert_int_equal(ike_spi_new(b), 0);
	assert_memory_not_equal(a, zero, 8);
	assert_memory_not_equal(a, b, 8);
	assert_int_equal(ike_random(n1, 32), 0);
	assert_int_equal(ike_random(n2, 32), 0);
	assert_memory_not_equal(n1, n2, 32);
}

/* Key pairs made ahead on the pool's worker thread: every one fresh (no
 * public value seen twice across pool and inline ones), each agreeing with
 * a peer on the secret, most taken from the stock once it has filled, and
 * the stock freed on stop (the leak check of the ASan build). */
static void test_dhpool(void **state)
{
	static const uint16_t groups[] = { IKEV2_DH_CURVE25519, IKEV2_DH_ECP256 };
	enum { N = 150 };
	static uint8_t pubs[2 * N][133];
	size_t lens[2 * N];
	unsigned long taken = 0, made = 0;
	unsigned n = 0;

	(void)state;
	assert_int_equal(ike_dhpool_start(), 0);
	for (unsigned g = 0; g < 2; g++) {
		for (unsigned i = 0; i < N; i++) {
			struct ike_dh *a = NULL, *b = NULL;
			uint8_t pa[133], pb[133];
			size_t la, lb, sa_len, sb_len;
			const uint8_t *sa, *sb;

			assert_int_equal(ike_dh_new(groups[g], &a), 0);
			assert_int_equal(ike_dh_new(groups[g], &b), 0);
			assert_int_equal(ike_dh_public(a, pa, sizeof(pa), &la), 0);
			assert_int_equal(ike_dh_public(b, pb, sizeof(pb), &lb), 0);
			assert_int_equal(ike_dh_compute(a, pb, lb, NULL), 0);
			assert_int_equal(ike_dh_compute(b, pa, la, NULL), 0);
			sa = ike_dh_secret(a, &sa_len);
			sb = ike_dh_secret(b, &sb_len);
			assert_int_equal(sa_len, sb_len);
			assert_memory_equal(sa, sb, sa_len);
			for (unsigned k = 0; k < n; k++)
				assert_false(lens[k] == la && memcmp(pubs[k], pa, la) == 0);
			memcpy(pubs[n], pa, la);
			lens[n++] = la;
			ike_dh_free(a);
			ike_dh_free(b);
			if (i % 10 == 0)
				usleep(2000);   /* as set-ups come: the worker fills up */
		}
	}
	ike_dhpool_counts(&taken, &made);
	print_message("# %lu key pairs from the stock, %lu made inline\n", taken, made);
	assert_int_equal(taken + made, 4 * N);
	assert_true(taken > N);
	ike_dhpool_stop();
	/* without the pool: made when asked, as in tools and tests */
	{
		struct ike_dh *a = NULL;

		assert_int_equal(ike_dh_new(IKEV2_DH_CURVE25519, &a), 0);
		ike_dh_free(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prf_rfc4868),
		cmocka_unit_test(test_prf_plus_nist),
		cmocka_unit_test(test_prf_plus_limits),
		cmocka_unit_test(test_kdf_chain),
		cmocka_unit_test(test_kdf_args),
		cmocka_unit_test(test_rfc5903),
		cmocka_unit_test(test_wycheproof_x25519),
		cmocka_unit_test(test_wycheproof_ecdh_p256),
		cmocka_unit_test(test_wycheproof_ecdh_p384),
		cmocka_unit_test(test_modp2048),
		cmocka_unit_test(test_dh_groups),
		cmocka_unit_test(test_wycheproof_hmac),
		cmocka_unit_test(test_rfc7634_appendix_b),
		cmocka_unit_test(test_sk_roundtrip),
		cmocka_unit_test(test_sk_malformed),
		cmocka_unit_test(test_skf_roundtrip),
		cmocka_unit_test(test_auth_psk),
		cmocka_unit_test(test_natd),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_dhpool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
