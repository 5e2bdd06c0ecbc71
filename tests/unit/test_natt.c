/*
 * RFC 3948 demultiplexing of datagrams on the NAT-T port: a NAT-keepalive
 * (one 0xFF octet, 2.3), IKE behind the non-ESP marker (four zero octets,
 * 2.2), ESP (a non-zero SPI and a sequence number, 2.1), or neither.
 */
#include <string.h>

#include "../../host/dataplane/dp_internal.h"
#include "tlib.h"

static void test_classify_table(void **state)
{
	static const struct {
		const char *what;
		const uint8_t bytes[40];
		uint32_t len;
		enum dp_natt_kind want;
	} t[] = {
		{ "keepalive", { 0xff }, 1, DP_NATT_KEEPALIVE },
		{ "one other byte", { 0x00 }, 1, DP_NATT_BAD },
		{ "one 0xfe", { 0xfe }, 1, DP_NATT_BAD },
		{ "empty", { 0 }, 0, DP_NATT_BAD },
		{ "0xff then more: not a keepalive, too short for ESP", { 0xff, 1 }, 2, DP_NATT_BAD },
		{ "marker alone", { 0, 0, 0, 0 }, 4, DP_NATT_BAD },
		{ "marker + 27 bytes: shorter than an IKE header", { 0 }, 31, DP_NATT_BAD },
		{ "marker + IKE header", { 0 }, 32, DP_NATT_IKE },
		{ "marker + IKE message", { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 }, 40, DP_NATT_IKE },
		{ "three zero bytes then ESP", { 0, 0, 0, 1, 0, 0, 0, 1 }, 8, DP_NATT_ESP },
		{ "ESP header only", { 0, 0, 0x10, 0x01, 0, 0, 0, 1 }, 8, DP_NATT_ESP },
		{ "7 bytes: no room for SPI and sequence number", { 1, 2, 3, 4, 5, 6, 7 }, 7,
		  DP_NATT_BAD },
		{ "ESP with payload", { 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9, 1 }, 40, DP_NATT_ESP },
		{ "SPI 0xffffffff", { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1 }, 8, DP_NATT_ESP },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum dp_natt_kind got = dp_natt_classify(t[i].bytes, t[i].len);

		if (got != t[i].want)
			fail_msg("%s: got %d, want %d", t[i].what, got, t[i].want);
	}
}

/* Every length of every pattern: no read beyond len (ASan watches a
 * buffer of exactly len bytes). */
static void test_classify_bounds(void **state)
{
	(void)state;
	tlib_srand(11);
	for (uint32_t len = 0; len < 64; len++) {
		for (int r = 0; r < 200; r++) {
			uint8_t *p = malloc(len ? len : 1);
			enum dp_natt_kind k;

			assert_non_null(p);
			tlib_rand_bytes(p, len);
			if (r % 3 == 0 && len >= 4)
				memset(p, 0, 4);
			k = dp_natt_classify(p, len);
			switch (k) {
			case DP_NATT_KEEPALIVE:
				assert_int_equal(len, 1);
				break;
			case DP_NATT_IKE:
				assert_true(len >= 32);
				assert_memory_equal(p, "\0\0\0\0", 4);
				break;
			case DP_NATT_ESP:
				assert_true(len >= 8);
				assert_memory_not_equal(p, "\0\0\0\0", 4);
				break;
			case DP_NATT_BAD:
				break;
			}
			free(p);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
