/*
 * Refusals between two IKE managers (ikepair.h): the warning each end
 * logs with what was offered and what is configured (docs/deploy.md
 * quotes them), the blame of an identity mismatch on the right identity,
 * the "ike-failed" and "child-failed" events with the refusal's text, and
 * the back-off of a refused Child SA of a start_action: start connection
 * until child_retries gives up on it; each failed set-up counted by why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "ikepair.h"

/* The log, each line with its level: "warning: ...\n". */
static char logbuf[1 << 18];
static size_t loglen;

static void capture(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level <= IPX_LOG_INFO && loglen < sizeof(logbuf))
		loglen += (size_t)snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s: %s\n",
					   ipx_log_level_name(level), msg);
	if (loglen > sizeof(logbuf))
		loglen = sizeof(logbuf);
}

static const char *log_text(void)
{
	return logbuf;
}

/* The events of both ends with the refusal each carried: "ike-failed[why]". */
static char seen[4096];

static void hook(void *ctx, struct ikesa *sa, struct child_sa *c, const char *what)
{
	struct ike_sa_info si;
	struct ike_child_info ci;
	size_t l = strlen(seen);

	(void)ctx;
	ike_sa_get(sa, &si);
	if (c)
		ike_child_get(c, &ci);
	snprintf(seen + l, sizeof(seen) - l, "%s%s%s%s[%s]", l ? " " : "", what, c ? ":" : "",
		 c ? ci.name : "", strstr(what, "failed") ? si.refusal : "");
}

static struct ikepair *pair(const struct ikepair_setup *s)
{
	struct ikepair *pr = ikepair_new(s);

	seen[0] = 0;
	pr->a.mgr->io.event = hook;
	pr->b.mgr->io.event = hook;
	logbuf[0] = 0;
	loglen = 0;
	ipx_log_set_handler(capture, NULL);
	return pr;
}

static void done(struct ikepair *pr)
{
	ipx_log_set_handler(NULL, NULL);
	ikepair_free(pr);
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

#define LOGGED(s) do { \
	if (!strstr(log_text(), s)) \
		fail_msg("not logged: %s\n--- log:\n%s", s, log_text()); \
} while (0)

static void test_ike_proposal(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.ike_a = "aes128-sha256-modp2048, chacha20poly1305-prfsha512-x25519";
	s.ike_b = "aes256gcm16-prfsha384-ecp384";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	LOGGED("warning: IKE_SA_INIT from 192.0.2.1[500]: no acceptable IKE proposal (answered "
	       "NO_PROPOSAL_CHOSEN): offered aes128-sha256-prfsha256-modp2048, "
	       "chacha20poly1305-prfsha512-x25519; configured from-a: aes256gcm16-prfsha384-ecp384");
	LOGGED("warning: to-b[1] 192.0.2.2[500]: IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN from the peer; "
	       "we offered aes128-sha256-prfsha256-modp2048, chacha20poly1305-prfsha512-x25519; "
	       "IKE SA deleted");
	assert_string_equal(seen, "ike-failed[IKE_SA_INIT refused: NO_PROPOSAL_CHOSEN from the peer; "
			    "we offered aes128-sha256-prfsha256-modp2048, chacha20poly1305-prfsha512-x25519]");
	/* counted by why (ipsecfx stats' failed_by_reason, the metrics) */
	assert_int_equal(pr->a.mgr->st.failed, 1);
	assert_int_equal(pr->a.mgr->st.failed_by[IKE_FAIL_PROPOSAL], 1);
	done(pr);
}

/* A second connection for the same addresses whose proposal fits takes
 * the IKE SA (and is named in the warning when none fits). */
static void test_ike_proposal_other_conn(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.ike_b = "aes256gcm16-prfsha384-ecp384";
	s.child_b = "  - name: other\n"
		    "    local_addrs: [192.0.2.2]\n"
		    "    remote_addrs: [192.0.2.1]\n"
		    "    local: {id: b.example}\n"
		    "    remote: {id: a.example}\n"
		    "    psk: \"0123456789abcdef0123456789abcdef\"\n"
		    "    proposals: [aes256gcm16-prfsha256-x25519]\n"
		    "    children:\n"
		    "      - name: lan\n"
		    "        local_ts: [10.2.0.0/16]\n"
		    "        remote_ts: [10.1.0.0/16]\n";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->b));
	assert_string_equal(ikepair_established(&pr->b)->conn_name, "other");
	done(pr);
}

static void test_esp_proposal(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.esp_a = "aes128gcm16-esn";
	s.esp_b = "aes256-sha256, aes256gcm16";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	LOGGED("warning: from-a[1] 192.0.2.1[500]: no acceptable ESP proposal for child lan (answered "
	       "NO_PROPOSAL_CHOSEN): offered aes128gcm16-esn; configured aes256-sha256-noesn, "
	       "aes256gcm16-noesn");
	LOGGED("warning: to-b[1] 192.0.2.2[500]: Child SA lan not created: NO_PROPOSAL_CHOSEN from the "
	       "peer; we offered TSi [10.1.0.0/16] TSr [10.2.0.0/16] with ESP aes128gcm16-esn");
	/* (not "no child for TSi ...": the selectors matched) */
	assert_null(strstr(log_text(), "TS_UNACCEPTABLE"));
	/* B's events (the responder answers first), then A's */
	assert_string_equal(seen, "ike-up[] child-failed:lan[NO_PROPOSAL_CHOSEN to the peer: "
			    "no acceptable ESP proposal for child lan: offered aes128gcm16-esn; configured "
			    "aes256-sha256-noesn, aes256gcm16-noesn] "
			    "ike-up[] child-failed:lan[NO_PROPOSAL_CHOSEN from the peer]");
	done(pr);
}

static void test_ts_unacceptable(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.rts_a = "172.16.0.0/12, 10.3.0.1/32";
	s.lts_b = "10.2.0.0/24";
	s.child_b = "      - name: dyn\n"
		    "        remote_ts: [10.9.0.0/16]\n";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	/* (dyn's local side is B's own address: "dynamic") */
	LOGGED("warning: from-a[1] 192.0.2.1[500]: no child matches the selectors (answered "
	       "TS_UNACCEPTABLE): offered TSi [10.1.0.0/16] TSr [172.16.0.0/12, 10.3.0.1/32]; "
	       "configured lan: local_ts [10.2.0.0/24] remote_ts [10.1.0.0/16]; dyn: local_ts "
	       "[192.0.2.2/32] remote_ts [10.9.0.0/16]");
	LOGGED("warning: to-b[1] 192.0.2.2[500]: Child SA lan not created: TS_UNACCEPTABLE from the "
	       "peer; we offered TSi [10.1.0.0/16] TSr [172.16.0.0/12, 10.3.0.1/32] with ESP "
	       "aes256gcm16-noesn");
	assert_non_null(strstr(seen, "child-failed:[TS_UNACCEPTABLE to the peer: offered TSi"));
	assert_non_null(strstr(seen, "child-failed:lan[TS_UNACCEPTABLE from the peer]"));
	done(pr);
}

/* The peer's identity against remote.id (IDi), ours as the peer asks
 * for it against local.id (IDr): each blamed for what it is. */
static void test_identity(void **state)
{
	static const char psk[] = "    psk: \"0123456789abcdef0123456789abcdef\"\n";
	char a[256], b[256];
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	/* A asks for B as moon.example: our own identity (IDr) is wrong */
	snprintf(a, sizeof(a), "    local: {id: a.example}\n    remote: {id: moon.example}\n%s", psk);
	s.auth_a = a;
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	LOGGED("warning: from-a[1] 192.0.2.1[500]: the peer asks for us as (IDr) moon.example (FQDN), "
	       "local.id of connection from-a is b.example (FQDN): AUTHENTICATION_FAILED");
	LOGGED("warning: to-b[1] 192.0.2.2[500]: IKE_AUTH refused: AUTHENTICATION_FAILED from the peer; "
	       "we sent IDi a.example (FQDN), IDr moon.example (FQDN), a PSK and Child SA lan (check "
	       "the PSK and both ends' identities); IKE SA deleted");
	assert_null(strstr(log_text(), "peer identity a.example"));
	assert_int_equal(pr->a.mgr->st.failed, 1);
	assert_int_equal(pr->a.mgr->st.failed_by[IKE_FAIL_AUTH], 1);
	done(pr);

	/* B wants sun.example: the peer's identity (IDi) is wrong */
	s = ikepair_defaults;
	snprintf(b, sizeof(b), "    local: {id: b.example}\n    remote: {id: sun.example}\n%s", psk);
	s.auth_b = b;
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	LOGGED("warning: from-a[1] 192.0.2.1[500]: peer identity (IDi) a.example (FQDN) does not match "
	       "remote.id sun.example (FQDN) of connection from-a: AUTHENTICATION_FAILED");
	assert_non_null(strstr(seen, "ike-failed[IKE_AUTH refused: AUTHENTICATION_FAILED from the peer"));
	done(pr);
}

/* start_action: start with a child the peer refuses: asked for again
 * after 1 s, 2 s, then given up (child_retries: 2) with one warning;
 * `ipsecfx initiate` starts over. */
static void test_child_backoff(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;
	const char *give_up = "warning: to-b[1] 192.0.2.2[500]: giving up on child lan after 3 tries: "
			      "TS_UNACCEPTABLE from the peer; `ipsecfx initiate to-b --child lan` to retry";

	(void)state;
	s.rts_a = "172.16.0.0/12";
	s.conn_a = "    start_action: start\n    child_retries: 2\n";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	assert_non_null(ikepair_established(&pr->a));
	LOGGED("TS_UNACCEPTABLE from the peer; we offered TSi [10.1.0.0/16] TSr [172.16.0.0/12] with "
	       "ESP aes256gcm16-noesn; trying again in 1s");
	assert_int_equal(count(log_text(), "Child SA lan not created"), 1);
	ikepair_advance(pr, 1, 50);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 2);
	LOGGED("; trying again in 2s");
	ikepair_advance(pr, 1, 50);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 2);
	ikepair_advance(pr, 1, 50);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 3);
	LOGGED(give_up);
	for (int i = 0; i < 120; i++)
		ikepair_advance(pr, 1, 2);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 3);
	assert_int_equal(count(log_text(), "giving up"), 1);
	assert_int_equal(count(seen, "child-failed:lan"), 3);
	/* the operator asks again: one more try, and the back-off anew */
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", "lan"), 0);
	ikepair_pump(&pr->net, 50);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 4);
	assert_int_equal(count(log_text(), "trying again in 1s"), 2);
	done(pr);
}

/* child_retries: 0 keeps asking, the pause growing to a minute. */
static void test_child_backoff_forever(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.rts_a = "172.16.0.0/12";
	s.conn_a = "    start_action: start\n    child_retries: 0\n";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	/* 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 = 183 s: 9 tries (a second
	 * later where a liveness check holds the window) */
	for (int i = 0; i < 186; i++)
		ikepair_advance(pr, 1, 2);
	ikepair_pump(&pr->net, 50);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 9);
	assert_int_equal(count(log_text(), "trying again in 60s"), 3);
	assert_null(strstr(log_text(), "giving up"));
	done(pr);
}

/* Without start_action: start nothing asks again: no back-off line. */
static void test_child_no_retry(void **state)
{
	struct ikepair_setup s = ikepair_defaults;
	struct ikepair *pr;

	(void)state;
	s.rts_a = "172.16.0.0/12";
	pr = pair(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 50);
	for (int i = 0; i < 10; i++)
		ikepair_advance(pr, 1, 2);
	assert_int_equal(count(log_text(), "Child SA lan not created"), 1);
	assert_null(strstr(log_text(), "trying again"));
	done(pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ike_proposal),
		cmocka_unit_test(test_ike_proposal_other_conn),
		cmocka_unit_test(test_esp_proposal),
		cmocka_unit_test(test_ts_unacceptable),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_child_backoff),
		cmocka_unit_test(test_child_backoff_forever),
		cmocka_unit_test(test_child_no_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
