/*
 * Published ESP packets, to the last byte:
 *   draft-mcgrew-gcm-test-01 section 4 (AES-GCM-128/192/256 with 32-bit and
 *   extended sequence numbers, AES-GMAC), RFC 7634 appendix A
 *   (ChaCha20-Poly1305), RFC 3602 (AES-CBC cases 1-4 and ESP packets 5-8).
 *
 * The vectors carry IVs that are not the sequence number, while the engine
 * always sends IV = sequence number; so sealing is checked one layer down,
 * where the transform takes the vector's IV, on both the intel-ipsec-mb and
 * the OpenSSL path.  Decryption goes through the whole engine: an outer IP
 * header is put in front of the vector's ESP packet and the engine must give
 * back the plaintext (transport mode, or tunnel mode where the next header
 * says IPv4).  RFC 3602's packets carry no ICV (the RFC shows encryption
 * only); the ICV is computed independently with OpenSSL's one-shot HMAC and
 * appended, and the engine's own ICV must equal it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ipsecfx/bytes.h>

#include "backend.h"
#include "soft/soft.h"
#include "tengine.h"

static struct soft_engine *soft_of(struct ipx_engine *e)
{
	struct soft_engine *s = ipx_engine_priv(e, &ipx_backend_soft);

	assert_non_null(s);
	return s;
}

/* Outer IPv4 header (protocol 50) + ESP packet, in a test buffer. */
static struct ipx_pkt outer_v4(const uint8_t *esp, size_t len)
{
	uint8_t pkt[IPX_MAX_PKT_LEN];
	uint32_t sum = 0;

	memcpy(pkt, "\x45\x00\x00\x00\x12\x34\x00\x00\x40\x32\x00\x00"
		    "\xc0\x00\x02\x01\xc0\x00\x02\x02", 20);
	ipx_st16(pkt + 2, (uint16_t)(20 + len));
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(pkt + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(pkt + 10, (uint16_t)~sum);
	memcpy(pkt + 20, esp, len);
	return te_pkt(pkt, (uint32_t)(20 + len));
}

static enum ipx_cipher gcm_cipher(int bits, bool gmac)
{
	switch (bits) {
	case 128:
		return gmac ? IPX_CIPHER_AES128GMAC : IPX_CIPHER_AES128GCM16;
	case 192:
		return gmac ? IPX_CIPHER_AES192GMAC : IPX_CIPHER_AES192GCM16;
	default:
		return gmac ? IPX_CIPHER_AES256GMAC : IPX_CIPHER_AES256GCM16;
	}
}

/* Seal with the vector's IV on one engine's transform layer. */
static void kat_seal(struct ipx_engine *eng, const struct ipx_sa_params *p,
		     uint64_t seq, const uint8_t *iv, const uint8_t *pt,
		     size_t ptlen, const uint8_t *expect, size_t explen)
{
	struct soft_engine *se = soft_of(eng);
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);
	struct ipx_sa_params po = *p, pi = *p;
	uint8_t buf[2048];
	struct xform xf, xi;

	po.dir = IPX_DIR_OUT;
	pi.dir = IPX_DIR_IN;
	assert_true(8 + ci->iv_len + ptlen + 16 <= sizeof(buf));
	assert_int_equal(xform_init(se, &xf, &po), 0);
	assert_int_equal(xform_init(se, &xi, &pi), 0);
	ipx_st32(buf, p->spi);
	ipx_st32(buf + 4, (uint32_t)seq);
	memcpy(buf + 8 + ci->iv_len, pt, ptlen);
	assert_int_equal(xform_seal(se, &xf, buf, (uint32_t)ptlen, seq, p->esn, iv), 0);
	assert_int_equal(8 + ci->iv_len + ptlen + 16, explen);
	assert_memory_equal(buf, expect, explen);
	/* and the same layer opens it again */
	assert_int_equal(xform_open(se, &xi, buf, (uint32_t)ptlen, seq, p->esn), 0);
	assert_memory_equal(buf + 8 + ci->iv_len, pt, ptlen);
	/* a flipped bit anywhere in the packet fails the ICV */
	memcpy(buf, expect, explen);
	buf[explen / 2] ^= 0x10;
	assert_int_equal(xform_open(se, &xi, buf, (uint32_t)ptlen, seq, p->esn), -EBADMSG);
	xform_free(&xf);
	xform_free(&xi);
}

static void test_draft_mcgrew(void **state)
{
	json_t *root = tlib_load_json("esp/draft-mcgrew-gcm-test-01_esp_gcm.json");
	json_t *cases = json_object_get(root, "cases"), *c;
	struct ipx_engine *imb = te_open_named("soft", false);
	struct ipx_engine *evp = te_open_ref();
	struct ipx_engine *dut = te_open();
	size_t i, ndecrypt = 0;

	(void)state;
	assert_int_equal(json_array_size(cases), 17);
	json_array_foreach(cases, i, c) {
		bool gmac = strcmp(tlib_str(c, "algorithm"), "AES-GMAC-ESP") == 0;
		int bits = (int)json_integer_value(json_object_get(c, "key_bits"));
		struct ipx_sa_params p;
		uint8_t key[32], salt[4], iv[8], pt[1024], pkt[1200];
		size_t klen = tlib_hex_into(tlib_str(c, "key"), key, sizeof(key));
		size_t ptlen, pktlen;
		uint64_t seq = strtoull(tlib_str(c, "seq"), NULL, 16);
		int caseno = (int)json_integer_value(json_object_get(c, "case"));

		tlib_hex_into(tlib_str(c, "salt"), salt, 4);
		tlib_hex_into(tlib_str(c, "iv"), iv, 8);
		pktlen = tlib_hex_into(tlib_str(c, "esp_packet"), pkt, sizeof(pkt));
		/* for GMAC the "plaintext" the engine protects is the payload in
		 * the AAD after SPI, sequence number and IV */
		if (gmac)
			ptlen = tlib_hex_into(tlib_str(c, "aad") + 32, pt, sizeof(pt));
		else
			ptlen = tlib_hex_into(tlib_str(c, "plaintext"), pt, sizeof(pt));

		memset(&p, 0, sizeof(p));
		p.spi = (uint32_t)strtoul(tlib_str(c, "spi"), NULL, 16);
		p.cipher = (uint8_t)gcm_cipher(bits, gmac);
		p.esn = json_is_true(json_object_get(c, "esn"));
		memcpy(p.key, key, klen);
		memcpy(p.key + klen, salt, 4);
		p.key_len = (uint8_t)(klen + 4);
		p.mode = IPX_MODE_TRANSPORT;
		p.replay_window = 64;
		p.seq = seq;

		/* sealing, both implementations */
		kat_seal(imb, &p, seq, iv, pt, ptlen, pkt, pktlen);
		kat_seal(evp, &p, seq, iv, pt, ptlen, pkt, pktlen);

		/* decryption through the whole engine under test */
		if (p.spi == 0) {
			/* case 4: SPI 0 never appears on the wire (RFC 4303
			 * 2.1) and no engine installs it; the transform layer
			 * above opened it */
			assert_int_equal(caseno, 4);
			continue;
		}
		if (!te_supports(dut, &p))
			continue;
		{
			struct ipx_pkt pk = outer_v4(pkt, pktlen);
			uint32_t sa = te_add(dut, &p, IPX_DIR_IN);
			uint8_t padlen = pt[ptlen - 2], nh = pt[ptlen - 1];
			size_t body = ptlen - 2 - padlen;

			if (te_decrypt(dut, &pk) != IPX_ST_OK)
				fail_msg("case %d: %s", caseno,
					 ipx_status_name(pk.status));
			assert_int_equal(pk.sa, sa);
			assert_int_equal(pk.len, 20 + body);
			assert_int_equal(te_data(&pk)[9], nh);
			assert_memory_equal(te_data(&pk) + 20, pt, body);
			/* the same packet again is a replay */
			pk = outer_v4(pkt, pktlen);
			assert_int_equal(te_decrypt(dut, &pk), IPX_ST_REPLAYED);
			assert_int_equal(ipx_sa_delete(dut, sa), 0);
			ndecrypt++;
		}
	}
	if (ndecrypt == 0)
		print_message("# engine '%s' decrypted none (caps)\n", te_engine_name());
	ipx_engine_close(imb);
	ipx_engine_close(evp);
	ipx_engine_close(dut);
	json_decref(root);
	te_reset();
}

static void test_rfc7634_appendix_a(void **state)
{
	json_t *root = tlib_load_json("esp/rfc7634_chacha20poly1305_esp_ike.json");
	json_t *a = json_object_get(root, "appendix_A_esp");
	struct ipx_engine *evp = te_open_ref(), *dut = te_open();
	struct ipx_sa_params p;
	uint8_t iv[8], pt[256], pkt[512];
	size_t ptlen, pktlen;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.spi = (uint32_t)strtoul(tlib_str(a, "spi"), NULL, 16);
	p.cipher = IPX_CIPHER_CHACHA20POLY1305;
	p.key_len = (uint8_t)tlib_hex_into(tlib_str(root, "keymat_36"), p.key, 36);
	p.seq = (uint64_t)json_integer_value(json_object_get(a, "seq"));
	p.replay_window = 64;
	p.mode = IPX_MODE_TUNNEL;
	tlib_hex_into(tlib_str(a, "iv"), iv, 8);
	ptlen = tlib_hex_into(tlib_str(a, "plaintext"), pt, sizeof(pt));
	pktlen = tlib_hex_into(tlib_str(a, "esp_packet_no_ip_header"), pkt, sizeof(pkt));
	kat_seal(evp, &p, p.seq, iv, pt, ptlen, pkt, pktlen);
	if (te_supports(dut, &p)) {
		struct ipx_pkt pk = outer_v4(pkt, pktlen);

		te_add(dut, &p, IPX_DIR_IN);
		assert_int_equal(te_decrypt(dut, &pk), IPX_ST_OK);
		/* tunnel mode: the inner ICMP echo, trailer gone */
		assert_int_equal(pk.len, ptlen - 4);
		assert_memory_equal(te_data(&pk), pt, ptlen - 4);
	} else {
		print_message("# engine '%s' lacks ChaCha20-Poly1305: transform layer only\n",
			      te_engine_name());
	}
	ipx_engine_close(evp);
	ipx_engine_close(dut);
	json_decref(root);
	te_reset();
}

static void test_rfc3602(void **state)
{
	json_t *root = tlib_load_json("esp/rfc3602_aes_cbc_esp.json");
	json_t *c;
	struct ipx_engine *evp = te_open_ref(), *dut = te_open();
	struct soft_engine *se = soft_of(evp);
	size_t i;

	(void)state;
	/* cases 1-4: AES-128-CBC alone, through the transform's cipher */
	json_array_foreach(json_object_get(root, "raw_cbc"), i, c) {
		struct ipx_sa_params p = { .spi = 0x1000, .cipher = IPX_CIPHER_AES128_SHA256,
					   .key_len = 16, .integ_key_len = 32 };
		uint8_t iv[16], pt[128], ct[128], buf[256];
		size_t n;
		struct xform xf;

		tlib_hex_into(tlib_str(c, "key"), p.key, 16);
		tlib_hex_into(tlib_str(c, "iv"), iv, 16);
		n = tlib_hex_into(tlib_str(c, "plaintext"), pt, sizeof(pt));
		assert_int_equal(tlib_hex_into(tlib_str(c, "ciphertext"), ct, sizeof(ct)), n);
		p.dir = IPX_DIR_OUT;
		assert_int_equal(xform_init(se, &xf, &p), 0);
		memcpy(buf + 24, pt, n);
		assert_int_equal(xform_seal(se, &xf, buf, (uint32_t)n, 1, false, iv), 0);
		assert_memory_equal(buf + 24, ct, n);
		xform_free(&xf);
	}
	/* cases 5-8: ESP packets (transport 5, 6; tunnel 7, 8) */
	json_array_foreach(json_object_get(root, "esp_packets"), i, c) {
		struct ipx_sa_params p;
		uint8_t iv[16], pt[256], pkt[512], icv[32], payload[256];
		size_t ptlen, pktlen, plen;
		unsigned int icvlen;
		bool tunnel = strcmp(tlib_str(c, "mode"), "tunnel") == 0;

		memset(&p, 0, sizeof(p));
		p.spi = (uint32_t)strtoul(tlib_str(c, "spi"), NULL, 16);
		p.cipher = IPX_CIPHER_AES128_SHA256;
		p.key_len = (uint8_t)tlib_hex_into(tlib_str(c, "key"), p.key, 16);
		p.integ_key_len = 32;
		tlib_rand_bytes(p.integ_key, 32);
		p.seq = (uint64_t)json_integer_value(json_object_get(c, "seq"));
		p.mode = tunnel ? IPX_MODE_TUNNEL : IPX_MODE_TRANSPORT;
		p.replay_window = 64;
		tlib_hex_into(tlib_str(c, "iv"), iv, 16);
		ptlen = tlib_hex_into(tlib_str(c, "plaintext_with_trailer"), pt, sizeof(pt));
		plen = tlib_hex_into(tlib_str(c, "payload"), payload, sizeof(payload));
		pktlen = tlib_hex_into(tlib_str(c, "esp_packet_no_ip_header"), pkt, sizeof(pkt));
		/* the independent ICV: HMAC-SHA-256 over SPI..ciphertext, 128 bits */
		assert_non_null(HMAC(EVP_sha256(), p.integ_key, 32, pkt, pktlen, icv, &icvlen));
		memcpy(pkt + pktlen, icv, 16);
		p.dir = IPX_DIR_OUT;
		kat_seal(evp, &p, p.seq, iv, pt, ptlen, pkt, pktlen + 16);

		if (!te_supports(dut, &p))
			continue;
		{
			struct ipx_pkt pk;

			if (json_object_get(c, "outer_ip_header_after_encryption")) {
				/* case 5 gives the real outer header; fix its
				 * length for the appended ICV */
				uint8_t full[600];
				size_t h = tlib_hex_into(tlib_str(c, "outer_ip_header_after_encryption"),
							 full, sizeof(full));
				uint32_t sum = 0;

				memcpy(full + h, pkt, pktlen + 16);
				ipx_st16(full + 2, (uint16_t)(h + pktlen + 16));
				full[10] = full[11] = 0;
				for (size_t k = 0; k < h; k += 2)
					sum += ipx_ld16(full + k);
				while (sum >> 16)
					sum = (sum & 0xffff) + (sum >> 16);
				ipx_st16(full + 10, (uint16_t)~sum);
				pk = te_pkt(full, (uint32_t)(h + pktlen + 16));
			} else {
				pk = outer_v4(pkt, pktlen + 16);
			}
			uint32_t sa = te_add(dut, &p, IPX_DIR_IN);

			assert_int_equal(te_decrypt(dut, &pk), IPX_ST_OK);
			if (tunnel) {
				assert_int_equal(pk.len, plen);
				assert_memory_equal(te_data(&pk), payload, plen);
			} else {
				assert_int_equal(pk.len, 20 + plen);
				assert_memory_equal(te_data(&pk) + 20, payload, plen);
				if (json_object_get(c, "original_ip_header")) {
					/* transport mode gives back the original
					 * header exactly: protocol, length and
					 * checksum restored */
					uint8_t orig[20];

					tlib_hex_into(tlib_str(c, "original_ip_header"), orig, 20);
					assert_memory_equal(te_data(&pk), orig, 20);
				}
			}
			assert_int_equal(ipx_sa_delete(dut, sa), 0);
		}
	}
	ipx_engine_close(evp);
	ipx_engine_close(dut);
	json_decref(root);
	te_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft_mcgrew),
		cmocka_unit_test(test_rfc7634_appendix_a),
		cmocka_unit_test(test_rfc3602),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
