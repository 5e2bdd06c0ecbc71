/*
 * The draft-mcgrew-gcm-test-01 ESP packets (AES-GCM-128/192/256, 32-bit
 * and extended sequence numbers) through the RTL pipeline's inbound path,
 * each wrapped in an outer IPv4 header: the ICV and the padding verify,
 * and as the vectors carry next header 1 (not an IP packet), tunnel mode
 * answers BAD_NEXT_HEADER, exactly as the software engine does.  One ICV
 * bit flipped gives AUTH_FAILED.  The GMAC case (no cipher in the RTL) and
 * the SPI-0 case (SPI 0 is reserved) are skipped with a reason.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/place.h>

#include "tlib.h"

static void wrap(const uint8_t *esp, size_t len, uint8_t *out)
{
	uint32_t sum = 0;

	memset(out, 0, 20);
	out[0] = 0x45;
	ipx_st16(out + 2, (uint16_t)(20 + len));
	out[8] = 64;
	out[9] = 50;
	memcpy(out + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(out + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(out + 10, (uint16_t)~sum);
	memcpy(out + 20, esp, len);
}

static void test_mcgrew(void **state)
{
	json_t *v = tlib_load_json("esp/draft-mcgrew-gcm-test-01_esp_gcm.json");
	json_t *cases = json_object_get(v, "cases");
	/* the software engine, the bare pipeline and the whole kernel */
	const char *names[3] = { "soft", "pipe", "sim" };
	struct ipx_engine *eng[3];
	unsigned ran = 0;

	(void)state;
	assert_int_equal(ipx_engine_open("soft", NULL, &eng[0]), 0);
	assert_int_equal(ipx_engine_open_direct("pipe", NULL, &eng[1]), 0);
	assert_int_equal(ipx_engine_open_direct("sim", NULL, &eng[2]), 0);
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		struct ipx_sa_params p = { 0 };
		uint8_t key[40], packet[512], buf[1024];
		size_t klen, slen, plen;
		int bits = (int)json_integer_value(json_object_get(c, "key_bits"));
		uint32_t spi = (uint32_t)strtoul(tlib_str(c, "spi"), NULL, 16);

		if (strcmp(tlib_str(c, "algorithm"), "AES-GCM-ESP") != 0 || spi == 0) {
			print_message("case %zu skipped: %s\n", i + 1,
				      spi == 0 ? "SPI 0 is reserved" : "AES-GMAC: not in the RTL");
			continue;
		}
		klen = tlib_hex_into(tlib_str(c, "key"), key, sizeof(key));
		slen = tlib_hex_into(tlib_str(c, "salt"), key + klen, 4);
		assert_int_equal(slen, 4);
		p.spi = spi;
		p.dir = IPX_DIR_IN;
		p.cipher = bits == 128 ? IPX_CIPHER_AES128GCM16
			   : bits == 192 ? IPX_CIPHER_AES192GCM16 : IPX_CIPHER_AES256GCM16;
		p.key_len = (uint8_t)(klen + 4);
		memcpy(p.key, key, klen + 4);
		p.esn = json_is_true(json_object_get(c, "esn"));
		p.replay_window = 64;
		p.seq = strtoull(tlib_str(c, "seq"), NULL, 16);
		plen = tlib_hex_into(tlib_str(c, "esp_packet"), packet, sizeof(packet));
		for (int k = 0; k < 3; k++) {
			uint32_t h;

			assert_int_equal(ipx_sa_add(eng[k], &p, &h), 0);
			for (int flip = 1; flip >= 0; flip--) {
				struct ipx_pkt pk = { .buf = buf, .buf_len = sizeof(buf), .off = 64,
						      .len = (uint32_t)(20 + plen) };
				int want = flip ? IPX_ST_AUTH_FAILED : IPX_ST_BAD_NEXT_HEADER;

				wrap(packet, plen, buf + 64);
				if (flip)
					buf[64 + 20 + plen - 1] ^= 0x01;
				assert_int_equal(ipx_decrypt_burst(eng[k], &pk, 1), 1);
				if (pk.status != want)
					fail_msg("case %zu (%d-bit, %s): %s says %s, expected %s", i + 1,
						 bits, p.esn ? "ESN" : "32-bit", names[k],
						 ipx_status_name(pk.status), ipx_status_name(want));
				assert_int_equal(pk.sa, h);
			}
			struct ipx_sa_state st;
			assert_int_equal(ipx_sa_query(eng[k], h, &st), 0);
			assert_int_equal(st.ctr.drops[IPX_ST_BAD_NEXT_HEADER], 1);
			assert_int_equal(st.ctr.drops[IPX_ST_AUTH_FAILED], 1);
			assert_int_equal(st.seq, p.seq);   /* the ICV verified: window moved */
			assert_int_equal(ipx_sa_delete(eng[k], h), 0);
		}
		ran++;
	}
	print_message("%u draft-mcgrew packets verified by the RTL (pipeline and kernel)\n", ran);
	assert_int_equal(ran, 15);
	ipx_engine_close(eng[0]);
	ipx_engine_close(eng[1]);
	ipx_engine_close(eng[2]);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mcgrew),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
