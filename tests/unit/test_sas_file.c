/*
 * The SA file loader: good files load to the right engine parameters; every
 * kind of mistake is refused with "FILE:LINE: KEY: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../host/config/config.h"
#include "../../host/config/sas_file.h"
#include "tlib.h"

#define KEY36 "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223"

static char path[64];

static const char *write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ipsecfx-sas-%d.yaml", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void expect_error(const char *text, const char *needle)
{
	struct sas_set s;
	char want[256];

	tlib_log_capture(1);
	assert_int_equal(sas_file_load(write_file(text), &s), -22);
	snprintf(want, sizeof(want), "%s:%s", path, needle);
	if (!strstr(tlib_log_text(), want))
		fail_msg("expected '%s' in:\n%s", want, tlib_log_text());
	tlib_log_capture(0);
	unlink(path);
}

static void test_good(void **state)
{
	struct sas_set s;

	(void)state;
	tlib_log_capture(1);
	assert_int_equal(sas_file_load(write_file(
		"sas:\n"
		"  - spi: 0x00001234\n"
		"    cipher: aes256gcm16\n"
		"    key: " KEY36 "\n"
		"    mode: tunnel\n"
		"    src: 192.0.2.1\n"
		"    dst: 192.0.2.2\n"
		"    encap: {sport: 4500, dport: 4501}\n"
		"    esn: yes\n"
		"    seq: 0x100000000\n"
		"    replay_window: 64\n"
		"  - spi: 4097\n"
		"    cipher: aes128-sha256\n"
		"    key: 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f\n"
		"    integ_key: " KEY36 "\n"), &s), -22);
	assert_non_null(strstr(tlib_log_text(), ":15: sas[1].integ_key: 36 bytes, need 32"));
	tlib_log_capture(0);
	/* integ_key of 36 bytes is wrong for sha256 (32); fix and reload */
	assert_int_equal(sas_file_load(write_file(
		"sas:\n"
		"  - spi: 0x00001234\n"
		"    cipher: aes256gcm16\n"
		"    key: " KEY36 "\n"
		"    mode: tunnel\n"
		"    src: 2001:db8::1\n"
		"    dst: 2001:db8::2\n"
		"    encap: {sport: 4500, dport: 4501}\n"
		"    esn: yes\n"
		"    seq: 0x100000000\n"
		"    replay_window: 64\n"
		"  - spi: 4097\n"
		"    cipher: aes128-sha256\n"
		"    key: 00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f\n"
		"    integ_key: 0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
		"    mode: transport\n"), &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].spi, 0x1234);
	assert_int_equal(s.v[0].cipher, IPX_CIPHER_AES256GCM16);
	assert_int_equal(s.v[0].key_len, 36);
	assert_int_equal(s.v[0].key[35], 0x23);
	assert_int_equal(s.v[0].src.family, AF_INET6);
	assert_int_equal(s.v[0].encap_dport, 4501);
	assert_true(s.v[0].esn);
	assert_true(s.v[0].seq == 0x100000000ull);
	assert_int_equal(s.v[0].replay_window, 64);
	assert_int_equal(s.v[1].mode, IPX_MODE_TRANSPORT);
	assert_int_equal(s.v[1].key[15], 0x0f);
	assert_int_equal(s.v[1].integ_key_len, 32);
	assert_int_equal(s.v[1].replay_window, 1024);  /* default */
	assert_true(s.v[1].seq == 1);                    /* default */
	sas_set_free(&s);
	unlink(path);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes512\n    key: 0x00\n",
		     "3: sas[0].cipher: unknown cipher 'aes512'");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: 0xzz\n    mode: transport\n",
		     "4: sas[0].key: not a hex string");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    colour: blue\n",
		     "6: sas[0]: unknown key 'colour'");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    esn: maybe\n",
		     "6: sas[0].esn:");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    seq: -1\n",
		     "6: sas[0].seq: '-1' is not an unsigned number");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    seq: 0x100000000\n",
		     "6: sas[0].seq: 4294967296 outside 1..4294967295");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    replay_window: 32\n",
		     "6: sas[0].replay_window: 32 outside 0 (off) or 64..4096");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: tunnel\n    src: 192.0.2.1\n",
		     "5: sas[0].mode: tunnel mode needs src and dst");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: tunnel\n    src: 192.0.2.1\n    dst: 2001:db8::1\n",
		     "7: sas[0].dst: src and dst differ in address family");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: tunnel\n    src: 192.0.2.300\n    dst: 192.0.2.1\n",
		     "6: sas[0].src: '192.0.2.300' is not an IPv4 or IPv6 address");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    integ_key: 0x00\n    mode: transport\n",
		     "5: sas[0].integ_key: aes256gcm16 is an AEAD: no integ_key");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes128-sha256\n    key: 0x000102030405060708090a0b0c0d0e0f\n    mode: transport\n",
		     "3: sas[0].cipher: aes128-sha256 needs integ_key");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n"
		     "  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n",
		     "6: sas[1].spi: SPI 00001234 repeats sas[0]");
	expect_error("sas:\n  - spi: 0\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n",
		     "2: sas[0].spi: SPI 0 is reserved");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: aes256gcm16\n    key: " KEY36 "\n    mode: transport\n    encap: {sport: 70000, dport: 1}\n",
		     "6: sas[0].encap.sport:");
	expect_error("sas:\n  - spi: 0x1234\n    cipher: [aes\n",
		     "4: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence (from line 3)");
	expect_error("sas:\n  - spi: 0x1234\n    key: " KEY36 "\n", "");  /* cipher missing */
	expect_error("sas: []\n", "");
}

static void test_missing_file(void **state)
{
	struct sas_set s;

	(void)state;
	tlib_log_capture(1);
	assert_true(sas_file_load("/nonexistent/sas.yaml", &s) < 0);
	assert_non_null(strstr(tlib_log_text(), "/nonexistent/sas.yaml: cannot open"));
	tlib_log_capture(0);
}

/*
 * A file without a YAML document (empty, or only comments) made libcyaml
 * return CYAML_OK with no data, and both loaders dereferenced the NULL
 * (found by tests/fuzz/fuzz_config.c).  The daemon's loader shares the
 * code path, so it is checked here too.
 */
static void test_empty_files(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "\n\n" };
	struct sas_set s;
	struct cfg *c = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		tlib_log_capture(1);
		assert_int_equal(sas_file_load(write_file(texts[i]), &s), -22);
		assert_null(s.v);
		assert_non_null(strstr(tlib_log_text(), ": empty: expected a YAML mapping"));
		tlib_log_capture(0);
		tlib_log_capture(1);
		assert_int_equal(cfg_load(path, &c), -22);
		assert_null(c);
		assert_non_null(strstr(tlib_log_text(), ": empty: expected a YAML mapping"));
		tlib_log_capture(0);
		unlink(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
