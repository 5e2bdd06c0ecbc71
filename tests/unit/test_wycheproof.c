/*
 * Wycheproof AES-GCM and ChaCha20-Poly1305 through the engine's AEAD layer
 * (xform_aead, the primitive under every ESP transform).  The cases ESP can
 * express are run: 96-bit nonce (4-byte salt from the key material and the
 * 8-byte explicit IV), 128-bit tag, 128/192/256-bit AES keys or a 256-bit
 * ChaCha20 key.  Valid cases must decrypt to the message and encrypt to the
 * ciphertext and tag; invalid cases must fail to decrypt.  AES-GCM runs on
 * both the intel-ipsec-mb and the OpenSSL path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "backend.h"
#include "soft/soft.h"
#include "tengine.h"

struct tally {
	unsigned run, valid, invalid, skipped_groups;
};

static void run_case(struct soft_engine *se, enum ipx_cipher c, json_t *t,
		     struct tally *ty)
{
	struct ipx_sa_params po, pi;
	size_t klen, ivlen, aadlen, mlen, ctlen, taglen;
	uint8_t *key = tlib_hex(tlib_str(t, "key"), &klen);
	uint8_t *iv = tlib_hex(tlib_str(t, "iv"), &ivlen);
	uint8_t *aad = tlib_hex(tlib_str(t, "aad"), &aadlen);
	uint8_t *msg = tlib_hex(tlib_str(t, "msg"), &mlen);
	uint8_t *ct = tlib_hex(tlib_str(t, "ct"), &ctlen);
	uint8_t *tag = tlib_hex(tlib_str(t, "tag"), &taglen);
	const char *result = tlib_str(t, "result");
	int tc = (int)json_integer_value(json_object_get(t, "tcId"));
	uint8_t *buf = malloc(ctlen + mlen + 16), tagbuf[16];
	struct xform xo, xi;
	int ret;

	assert_int_equal(ivlen, 12);
	memset(&po, 0, sizeof(po));
	po.cipher = (uint8_t)c;
	memcpy(po.key, key, klen);
	memcpy(po.key + klen, iv, 4);
	po.key_len = (uint8_t)(klen + 4);
	pi = po;
	po.dir = IPX_DIR_OUT;
	pi.dir = IPX_DIR_IN;
	assert_int_equal(xform_init(se, &xo, &po), 0);
	assert_int_equal(xform_init(se, &xi, &pi), 0);

	/* decrypt: the verdict must match */
	memcpy(tagbuf, tag, taglen < 16 ? taglen : 16);
	ret = taglen == 16 ? xform_aead(se, &xi, iv + 4, aad, aadlen, ct, buf,
					 ctlen, tagbuf, 0)
			   : -EBADMSG;
	if (strcmp(result, "invalid") == 0) {
		if (ret != -EBADMSG)
			fail_msg("tcId %d (%s): invalid case accepted", tc,
				 tlib_str(t, "comment"));
		ty->invalid++;
	} else {
		if (ret != 0)
			fail_msg("tcId %d (%s): valid case rejected", tc,
				 tlib_str(t, "comment"));
		assert_int_equal(ctlen, mlen);
		assert_memory_equal(buf, msg, mlen);
		/* and encrypt gives the published ciphertext and tag */
		assert_int_equal(xform_aead(se, &xo, iv + 4, aad, aadlen, msg,
					    buf, mlen, tagbuf, 1), 0);
		assert_memory_equal(buf, ct, ctlen);
		assert_memory_equal(tagbuf, tag, 16);
		ty->valid++;
	}
	ty->run++;
	xform_free(&xo);
	xform_free(&xi);
	free(buf);
	OPENSSL_free(key);
	OPENSSL_free(iv);
	OPENSSL_free(aad);
	OPENSSL_free(msg);
	OPENSSL_free(ct);
	OPENSSL_free(tag);
}

static void run_file(const char *file, bool chacha, bool no_ipsecmb)
{
	json_t *root = tlib_load_json(file), *g, *t;
	struct ipx_engine *eng = te_open_named("soft", no_ipsecmb);
	struct soft_engine *se = ipx_engine_priv(eng, &ipx_backend_soft);
	struct tally ty = { 0 };
	size_t i, j;

	json_array_foreach(json_object_get(root, "testGroups"), i, g) {
		int ks = (int)json_integer_value(json_object_get(g, "keySize"));
		int ivs = (int)json_integer_value(json_object_get(g, "ivSize"));
		int ts = (int)json_integer_value(json_object_get(g, "tagSize"));
		enum ipx_cipher c;

		if (ivs != 96 || ts != 128) {
			ty.skipped_groups++;  /* not expressible in ESP */
			continue;
		}
		if (chacha)
			c = IPX_CIPHER_CHACHA20POLY1305;
		else if (ks == 128)
			c = IPX_CIPHER_AES128GCM16;
		else if (ks == 192)
			c = IPX_CIPHER_AES192GCM16;
		else
			c = IPX_CIPHER_AES256GCM16;
		json_array_foreach(json_object_get(g, "tests"), j, t)
			run_case(se, c, t, &ty);
	}
	print_message("# %s (%s): %u cases, %u valid, %u invalid; %u groups with non-ESP nonce/tag sizes not run\n",
		      file, (no_ipsecmb || chacha) ? "OpenSSL" : "intel-ipsec-mb", ty.run,
		      ty.valid, ty.invalid, ty.skipped_groups);
	assert_true(ty.valid > 0 && ty.invalid > 0);
	ipx_engine_close(eng);
	json_decref(root);
}

static void test_aes_gcm_ipsecmb(void **state)
{
	(void)state;
	run_file("wycheproof/aes_gcm_test.json", false, false);
}

static void test_aes_gcm_openssl(void **state)
{
	(void)state;
	run_file("wycheproof/aes_gcm_test.json", false, true);
}

static void test_chacha20_poly1305(void **state)
{
	(void)state;
	run_file("wycheproof/chacha20_poly1305_test.json", true, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes_gcm_ipsecmb),
		cmocka_unit_test(test_aes_gcm_openssl),
		cmocka_unit_test(test_chacha20_poly1305),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
