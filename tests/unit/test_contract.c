/* The Verilog include is generated from the C contract header and must be
 * committed up to date: regenerate and compare byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlib.h"

static char *slurp_cmd(const char *cmd, size_t *len)
{
	FILE *f = popen(cmd, "r");
	char *buf = malloc(1 << 20);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, (1 << 20) - 1, f);
	assert_int_equal(pclose(f), 0);
	buf[n] = 0;
	*len = n;
	return buf;
}

static void test_svh_up_to_date(void **state)
{
	const char *b = getenv("IPSECFX_BUILD");
	char cmd[1024];
	size_t n1, n2;
	char *gen, *committed;

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s/hw/gen_contract", b ? b : "build");
	gen = slurp_cmd(cmd, &n1);
	committed = slurp_cmd("cat hw/rtl/ipsecfx_contract.svh", &n2);
	if (n1 != n2 || memcmp(gen, committed, n1) != 0)
		fail_msg("hw/rtl/ipsecfx_contract.svh is stale: run 'make contract'");
	free(gen);
	free(committed);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ipx_status_name(IPX_ST_AUTH_FAILED), "auth_failed");
	assert_string_equal(ipx_status_name((enum ipx_status)200), "unknown");
	assert_string_equal(ipx_event_name(IPX_EV_HARD_LIFETIME), "hard_lifetime");
	assert_int_equal(ipx_cipher_by_name("aes256gcm16")->id, IPX_CIPHER_AES256GCM16);
	assert_int_equal(ipx_cipher_info(IPX_CIPHER_AES256GCM16)->key_len, 36);
	assert_null(ipx_cipher_by_name("des"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svh_up_to_date),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
