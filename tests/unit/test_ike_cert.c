/*
 * Certificate authentication between two managers in one process
 * (tests/lib/ikepair.c), with a PKI made by tests/lib/mkpki.sh: the
 * exchange, and what a peer can get wrong that strongSwan would not send
 * (an identity its certificate does not prove, a signature where a PSK is
 * wanted, a CERTREQ naming our intermediate).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ipsecfx/log.h>

#include "ike/ike_pki.h"
#include "ikepair.h"

static char pki[256];
static char auth_a[2048], auth_b[2048], top[512];
static char logbuf[16384];

static void capture(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level <= IPX_LOG_WARN && strlen(logbuf) + strlen(msg) + 2 < sizeof(logbuf)) {
		strcat(logbuf, msg);
		strcat(logbuf, "\n");
	}
}

static const char *src_dir(void)
{
	const char *s = getenv("IPSECFX_SRC");

	return s ? s : getenv("IPSECFX_SRCDIR") ? getenv("IPSECFX_SRCDIR") : ".";
}

static int group_setup(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(pki, sizeof(pki), "/tmp/ike_cert.XXXXXX");
	if (!mkdtemp(pki))
		return -1;
	snprintf(cmd, sizeof(cmd), "KEYTYPES='p256 ed25519' '%s/tests/lib/mkpki.sh' '%s' moon sun 1>&2",
		 src_dir(), pki);
	if (system(cmd))
		return -1;
	snprintf(top, sizeof(top), "cacerts: [%s/ca.pem]\n", pki);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki);
	return system(cmd) ? -1 : 0;
}

/* the auth lines of one side: our certificate of that key type, the
 * peer's identity and how it authenticates */
static const char *end(char *buf, const char *me, const char *kt, const char *id,
		       const char *peer, const char *peer_auth)
{
	snprintf(buf, 2048,
		 "    local: {auth: pubkey, id: %s, certs: [%s/gw-%s-%s.pem, %s/int.pem], key: %s/gw-%s-%s.key}\n"
		 "    remote: {auth: %s, id: \"%s\"}\n%s",
		 id, pki, me, kt, pki, pki, me, kt, peer_auth, peer,
		 strcmp(peer_auth, "psk") == 0 ? "    psk: \"0123456789abcdef0123456789abcdef\"\n" : "");
	return buf;
}

static struct ikepair_setup setup(void)
{
	struct ikepair_setup s = ikepair_defaults;

	s.auth_a = end(auth_a, "moon", "p256", "moon.example", "sun.example", "pubkey");
	s.auth_b = end(auth_b, "sun", "ed25519", "sun.example", "moon.example", "pubkey");
	s.top_a = s.top_b = top;
	return s;
}

static void test_cert_tunnel(void **state)
{
	struct ikepair_setup s = setup();
	struct ikepair *pr = ikepair_new(&s);
	struct ikesa *a, *b;

	(void)state;
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 80);
	a = ikepair_established(&pr->a);
	b = ikepair_established(&pr->b);
	assert_non_null(a);
	assert_non_null(b);
	/* each verified the other's RFC 7427 signature and certificate */
	assert_string_equal(a->peer_auth, "Ed25519 (RFC 7427)");
	assert_non_null(a->peer_cert);
	assert_non_null(strstr(a->peer_cert, "CN=sun.example"));
	assert_non_null(b->peer_cert);
	assert_non_null(strstr(b->peer_cert, "CN=moon.example"));
	assert_non_null(strstr(b->peer_auth, "ECDSA"));
	assert_string_equal(b->peer_id.text, "moon.example");
	ikepair_check_traffic(&pr->a, &pr->b);
	ikepair_free(pr);
}

/* A presents an identity its certificate does not prove (the loader
 * refuses that in a file; a peer can still send it) */
static void test_identity_not_in_cert(void **state)
{
	struct ikepair_setup s = setup();
	struct ikepair *pr = ikepair_new(&s);
	const char *why;

	(void)state;
	assert_int_equal(cfg_parse_id("other.example", &pr->a.cfg->conns[0].local_id, false, &why), 0);
	s.auth_b = end(auth_b, "sun", "ed25519", "sun.example", "%any", "pubkey");
	ikepair_reload(pr, &pr->b, &s);
	logbuf[0] = 0;
	ipx_log_set_handler(capture, NULL);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 80);
	ipx_log_set_handler(NULL, NULL);
	assert_null(ikepair_established(&pr->a));
	assert_null(ikepair_established(&pr->b));
	assert_int_equal(pr->b.mgr->st.rx_auth_failed, 1);
	assert_non_null(strstr(logbuf, "peer identity other.example: identity other.example (FQDN) is not in certificate C=XX, O=ipsecfx test, CN=moon.example: AUTHENTICATION_FAILED"));
	ikepair_free(pr);
}

/* B wants a PSK from A, A signs */
static void test_signature_where_psk_wanted(void **state)
{
	struct ikepair_setup s = setup();
	struct ikepair *pr;

	(void)state;
	s.auth_b = end(auth_b, "sun", "ed25519", "sun.example", "moon.example", "psk");
	pr = ikepair_new(&s);
	logbuf[0] = 0;
	ipx_log_set_handler(capture, NULL);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 80);
	ipx_log_set_handler(NULL, NULL);
	assert_null(ikepair_established(&pr->b));
	assert_non_null(strstr(logbuf, "wants a PSK (remote.auth: psk): AUTHENTICATION_FAILED"));
	ikepair_free(pr);
}

/* B's CERTREQ names the intermediate as one of its anchors: A leaves it
 * out; B still builds the chain (to its anchor, the intermediate) */
static void test_certreq_shortens_chain(void **state)
{
	struct ikepair_setup s = setup();
	char top_b[600];
	struct ikepair *pr;
	uint8_t h[IKEV2_SHA1_LEN];
	char err[256], file[400];
	X509 *in;
	bool named = false;
	struct ikesa *a;

	(void)state;
	snprintf(top_b, sizeof(top_b), "cacerts: [%s/ca.pem, %s/int.pem]\n", pki, pki);
	s.top_b = top_b;
	pr = ikepair_new(&s);
	assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
	ikepair_pump(&pr->net, 80);
	a = ikepair_established(&pr->a);
	assert_non_null(a);
	assert_non_null(ikepair_established(&pr->b));
	/* A learnt from B's CERTREQ that B trusts the intermediate */
	snprintf(file, sizeof(file), "%s/int.pem", pki);
	in = ike_pki_cert_load(file, err, sizeof(err));
	assert_non_null(in);
	assert_int_equal(ike_pki_spki_sha1(in, h), 0);
	for (unsigned i = 0; i < a->n_peer_certreq; i++)
		named |= memcmp(a->peer_certreq[i], h, sizeof(h)) == 0;
	assert_true(named);
	X509_free(in);
	ikepair_free(pr);
}


/* A forged IKE_AUTH request from A's half-open SA (A's own is lost) with
 * CERT payloads as a peer might botch them: B answers it
 * AUTHENTICATION_FAILED, says why, and keeps nothing. */
static const struct {
	const char *name;
	uint8_t enc;
	const char *data;       /* NULL: a truncated real certificate */
	unsigned count;         /* CERT payloads (0: none) */
	bool hash_and_url;      /* B's hash_and_url */
	const char *why;
} bad_certs[] = {
	{ "garbage DER", IKEV2_CERT_X509_SIG, "\x30\x82\x01\x00garbage", 1, false,
	  "CERT payload 1 is not a DER X.509 certificate" },
	{ "truncated certificate", IKEV2_CERT_X509_SIG, NULL, 1, false,
	  "CERT payload 1 is not a DER X.509 certificate" },
	{ "a bundle by URL", IKEV2_CERT_HASH_URL_X509_BUNDLE,
	  "01234567890123456789http://192.0.2.1/b", 1, true, "bundle (encoding 13) is not supported" },
	{ "Hash and URL, hash_and_url off", IKEV2_CERT_HASH_URL_X509,
	  "01234567890123456789http://192.0.2.1/c", 1, false, "hash_and_url is off" },
	{ "Hash and URL, an https URL", IKEV2_CERT_HASH_URL_X509,
	  "01234567890123456789https://192.0.2.1/c", 1, true, "only http://" },
	{ "no certificate", IKEV2_CERT_X509_SIG, "", 0, false, "no certificate (CERT payload)" },
	{ "nine certificates", IKEV2_CERT_X509_SIG, "\x30\x00", 9, false, "more than 8 CERT payloads" },
};

static void test_bad_cert_payloads(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[4096], sig[64] = { 0 }, trunc[100];
	char path[400], err[256], top_b[600];
	X509 *real;
	unsigned char *der = NULL;
	int dlen;

	(void)state;
	assert_non_null(m);
	snprintf(path, sizeof(path), "%s/gw-moon-p256.pem", pki);
	real = ike_pki_cert_load(path, err, sizeof(err));
	assert_non_null(real);
	dlen = i2d_X509(real, &der);
	assert_true(dlen > (int)sizeof(trunc));
	memcpy(trunc, der, sizeof(trunc));
	for (size_t i = 0; i < sizeof(bad_certs) / sizeof(bad_certs[0]); i++) {
		struct ikepair_setup s = setup();
		struct ikepair *pr;
		struct ikesa *a;
		struct ike_pld *p;
		size_t len;

		snprintf(top_b, sizeof(top_b), "%s", top);
		s.conn_b = bad_certs[i].hash_and_url ? "    hash_and_url: true\n" : "";
		s.top_b = top_b;
		pr = ikepair_new(&s);
		ikepair_drop_requests(pr, &pr->a, IKEV2_EXCH_IKE_AUTH);
		assert_int_equal(ike_mgr_initiate(pr->a.mgr, "to-b", NULL), 0);
		ikepair_pump(&pr->net, 10);
		a = pr->a.mgr->all;
		assert_true(a && a->keys_ok);
		ike_msg_start(a, m, IKEV2_EXCH_IKE_AUTH, false, 1);
		ike_msg_add(m, IKEV2_PL_SK, false);
		p = ike_msg_add(m, IKEV2_PL_IDI, true);
		p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"moon.example", 12 };
		for (unsigned k = 0; k < bad_certs[i].count; k++) {
			const char *d = bad_certs[i].data;

			p = ike_msg_add(m, IKEV2_PL_CERT, true);
			p->u.cert.encoding = bad_certs[i].enc;
			p->u.cert.data = d ? (const uint8_t *)d : trunc;
			p->u.cert.len = d ? strlen(d) + (strncmp(d, "\x30\x82", 2) == 0 ? 4 : 0)
					  : sizeof(trunc);
		}
		p = ike_msg_add(m, IKEV2_PL_AUTH, true);
		p->u.auth.method = IKEV2_AUTH_ECDSA_SHA256_P256;
		p->u.auth.data = sig;
		p->u.auth.len = sizeof(sig);
		len = ikepair_forge(a, m, buf, sizeof(buf));
		assert_true(len > 0);
		logbuf[0] = 0;
		ipx_log_set_handler(capture, NULL);
		pr->net.n = 0;
		ike_mgr_input(pr->b.mgr, buf, len, &pr->b.addr, &pr->a.addr, false);
		ikepair_pump(&pr->net, 10);
		ipx_log_set_handler(NULL, NULL);
		if (!strstr(logbuf, bad_certs[i].why) || !strstr(logbuf, "AUTHENTICATION_FAILED"))
			{ fprintf(stderr, "# %s: the log says:\n%s", bad_certs[i].name, logbuf); fail(); }
		assert_int_equal(pr->b.mgr->n_sas, 0);
		ikepair_free(pr);
	}
	OPENSSL_free(der);
	X509_free(real);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_tunnel),
		cmocka_unit_test(test_identity_not_in_cert),
		cmocka_unit_test(test_signature_where_psk_wanted),
		cmocka_unit_test(test_certreq_shortens_chain),
		cmocka_unit_test(test_bad_cert_payloads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
