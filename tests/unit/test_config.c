/*
 * The daemon's configuration (host/config/config.c): defaults of the keys
 * that guard the IKE core, and what is refused at load with
 * "FILE:LINE: KEY: message" because the daemon could not run it; the
 * nearest key for a typo (yamlcheck.c) and swanctl.conf's layout and names
 * read into the same settings (config_swanctl.c).  What ipsecfxd -t prints
 * for whole files: tests/gateway/t_config.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../host/config/config.h"
#include "../../host/config/yamlcheck.h"
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

/* A typo of a key is one the nearest valid key; an unrelated word none. */
static void test_suggest(void **state)
{
	static const char *const conn_keys[] = {
		"name", "local_addrs", "remote_addrs", "local", "remote", "psk", "psk_file",
		"proposals", "encap", "start_action", "keyingtries", "updown", "children",
	};
	static const struct {
		const char *word, *want;
	} table[] = {
		{ "remote_addr", "remote_addrs" },     /* one letter left out */
		{ "remote-addrs", "remote_addrs" },    /* '-' for '_' is no edit */
		{ "Remote_Addrs", "remote_addrs" },    /* nor is case */
		{ "remoteaddrs", "remote_addrs" },
		{ "locla_addrs", "local_addrs" },      /* two letters swapped: one edit */
		{ "proposal", "proposals" },
		{ "prposals", "proposals" },
		{ "child", NULL },                     /* children is 3 edits away */
		{ "pks", "psk" },                      /* short: one edit at most */
		{ "pskk_fle", "psk_file" },            /* 8 letters: two */
		{ "startaction", "start_action" },
		{ "dpd_delay", NULL },                 /* a swanctl name: the hint table's */
		{ "x", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *got = ycheck_suggest(table[i].word, conn_keys,
						 sizeof(conn_keys) / sizeof(conn_keys[0]));

		if ((got == NULL) != (table[i].want == NULL) ||
		    (got && strcmp(got, table[i].want) != 0))
			fail_msg("%zu: '%s': got %s, want %s", i, table[i].word,
				 got ? got : "none", table[i].want ? table[i].want : "none");
	}
}

/* swanctl.conf's layout (connections and children keyed by name), its
 * names and single values for lists load as the same settings. */
static void test_swanctl(void **state)
{
	const struct cfg_conn *c;
	struct cfg *cfg = NULL;

	(void)state;
	tlib_log_capture(1);
	assert_int_equal(cfg_load(write_file(
		"connections:\n"
		"  site:\n"
		"    version: 2\n"
		"    local_addrs: 192.0.2.1\n"
		"    remote_addrs: 192.0.2.2, 192.0.2.3\n"
		"    dpd_delay: 30s\n"
		"    rekey_time: 4h\n"
		"    reauth_time: 1d\n"
		"    proposals: aes256gcm16-prfsha256-ecp256\n"
		"    psk: \"0123456789abcdef0123456789abcdef\"\n"
		"    children:\n"
		"      net:\n"
		"        local_ts: 10.1.0.0/24\n"
		"        remote_ts: 10.2.0.0/24, 10.3.0.0/24\n"
		"        esp_proposals: aes256gcm16\n"
		"        start_action: start\n"
		"        dpd_action: clear\n"), &cfg), 0);
	tlib_log_capture(0);
	c = cfg_conn_find(cfg, "site");
	assert_non_null(c);
	assert_int_equal(c->n_local_addrs, 1);
	assert_int_equal(c->n_remote_addrs, 2);
	assert_false(c->remote_any);
	assert_int_equal(c->liveness_interval, 30);
	assert_int_equal(c->ike_lifetime, 4 * 3600 + 4 * 360);   /* + over_time */
	assert_int_equal(c->reauth_interval, 86400);
	assert_int_equal(c->n_ike, 1);
	assert_int_equal(c->start_action, CFG_START_START);
	assert_int_equal(c->liveness_action, CFG_LIVENESS_CLEAR);
	assert_int_equal(c->n_children, 1);
	assert_string_equal(c->children[0].name, "net");
	assert_int_equal(c->children[0].n_local_ts, 1);
	assert_int_equal(c->children[0].n_remote_ts, 2);
	assert_int_equal(c->children[0].n_esp, 1);
	assert_int_equal(cfg->n_warnings, 0);
	cfg_free(cfg);
	unlink(path);
	/* the connection-level start_action of this file stays as it was */
	assert_int_equal(cfg_load(write_file(CONN("    start_action: trap\n", "")), &cfg), 0);
	assert_int_equal(cfg->conns[0].start_action, CFG_START_TRAP);
	cfg_free(cfg);
	unlink(path);
}

/* Every mistake of a file at once, in the order of its lines, the
 * structural ones (libcyaml would have stopped at the first) and those of
 * the values after them alike. */
static void test_all_errors(void **state)
{
	struct cfg *c = NULL;
	const char *log, *a, *b, *d;

	(void)state;
	tlib_log_capture(1);
	assert_int_equal(cfg_load(write_file(CONN("    remote_addr: [192.0.2.9]\n"
						  "    start_action: begin\n",
						  "        replay_window: 10\n")), &c), -22);
	log = tlib_log_text();
	a = strstr(log, ":6: connections[0]: unknown key 'remote_addr' (did you mean 'remote_addrs'?)");
	b = strstr(log, ":7: connections[0].start_action: 'begin' is not one of none, start, trap");
	d = strstr(log, ":12: connections[0].children[0].replay_window: 10 outside");
	if (!a || !b || !d || a > b || b > d)
		fail_msg("three errors by line expected in:\n%s", log);
	tlib_log_capture(0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_swanctl),
		cmocka_unit_test(test_all_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
