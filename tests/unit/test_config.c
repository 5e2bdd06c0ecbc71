/*
 * The daemon's configuration (host/config/config.c): defaults of the keys
 * that guard the IKE core, and what is refused at load with
 * "FILE:LINE: KEY: message" because the daemon could not run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../host/config/config.h"
#include "tlib.h"

static char path[64];

static const char *write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/ipsecfx-cfg-%d.yaml", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A connection whose child has these extra lines (each ends in \n). */
#define CONN(conn_lines, child_lines)                                          \
	"connections:\n"                                                        \
	"  - name: sw\n"                                                        \
	"    local_addrs: [192.0.2.1]\n"                                         \
	"    remote_addrs: [192.0.2.2]\n"                                        \
	"    psk: \"0123456789abcdef0123456789abcdef\"\n"                        \
	conn_lines                                                              \
	"    children:\n"                                                       \
	"      - name: lan\n"                                                   \
	"        local_ts: [10.1.0.0/16]\n"                                     \
	"        remote_ts: [10.2.0.0/16]\n"                                    \
	child_lines

static void expect_error(const char *text, const char *needle)
{
	struct cfg *c = NULL;
	char want[256];

	tlib_log_capture(1);
	assert_int_equal(cfg_load(write_file(text), &c), -22);
	snprintf(want, sizeof(want), "%s:%s", path, needle);
	if (!strstr(tlib_log_text(), want))
		fail_msg("expected '%s' in:\n%s", want, tlib_log_text());
	tlib_log_capture(0);
	unlink(path);
}

static void test_defaults(void **state)
{
	struct cfg *c = NULL;

	(void)state;
	assert_int_equal(cfg_load(write_file(CONN("", "")), &c), 0);
	assert_int_equal(c->max_half_open, 65535);
	assert_int_equal(c->max_half_open_per_source, 5);
	assert_int_equal(c->cookie_threshold, 500);
	assert_int_equal(c->conns[0].max_child_sas, 64);
	assert_int_equal(c->conns[0].max_ike_sas_per_peer, 8);
	cfg_free(c);
	unlink(path);
	assert_int_equal(cfg_load(write_file("max_half_open_per_source: 0\n"
					     CONN("    max_child_sas: 0\n    max_ike_sas_per_peer: 0\n",
						  "        esp_proposals: [aes128gcm16, aes192gcm16, "
						  "chacha20poly1305, aes128-sha256, aes256-sha256-esn]\n")),
				  &c), 0);
	assert_int_equal(c->max_half_open_per_source, 0);
	assert_int_equal(c->conns[0].max_child_sas, 0);
	assert_int_equal(c->conns[0].max_ike_sas_per_peer, 0);
	assert_int_equal(c->conns[0].children[0].n_esp, 5);
	cfg_free(c);
	unlink(path);
}

/* Accepted once, then failed to install after the peer had installed its
 * side: now refused where it is written. */
static void test_refused(void **state)
{
	(void)state;
	expect_error(CONN("", "        esp_proposals: [aes256gcm16, aes256-sha1]\n"),
		     "10: connections[0].children[0].esp_proposals[1]: 'aes256-sha1': ESP integrity other than HMAC-SHA2-256-128 (sha256) is not implemented");
	expect_error(CONN("", "        esp_proposals: [aes128-sha256-sha384]\n"),
		     "10: connections[0].children[0].esp_proposals[0]: 'aes128-sha256-sha384':");
	expect_error(CONN("", "        esp_proposals: [aes256-sha512]\n"),
		     "10: connections[0].children[0].esp_proposals[0]");
	expect_error(CONN("", "        esp_proposals: [aes192-sha256]\n"),
		     "10: connections[0].children[0].esp_proposals[0]: 'aes192-sha256': AES-192-CBC (aes192) is not implemented");
	expect_error(CONN("", "        mode: transport\n"),
		     "10: connections[0].children[0].mode: transport mode is not supported by the data plane");
	/* the IKE SA itself may use them: IKE's crypto is OpenSSL's */
	{
		struct cfg *c = NULL;

		assert_int_equal(cfg_load(write_file(CONN("    proposals: [aes192-sha1-modp2048, aes256-sha512-prfsha512-ecp384]\n", "")),
					  &c), 0);
		cfg_free(c);
		unlink(path);
	}
}

static void test_limits(void **state)
{
	(void)state;
	expect_error(CONN("    max_child_sas: 1\n", "") "      - name: two\n        local_ts: [10.3.0.0/16]\n",
		     "6: connections[0].max_child_sas: 1 is below the 2 children configured");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
