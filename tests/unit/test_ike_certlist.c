/* `ipsecfx list-certs` on the daemon's side (host/ike/ike_certlist.c):
 * ike_mgr_certs_json() for a configuration loaded by cfg_load() from a
 * PKI made by tests/lib/mkpki.sh, checked against the openssl command and
 * sha1 of the DER files: our chains, trust anchors (top level and a
 * connection's own), the CRL, and the Hash and URL cache before and after
 * a fetch from an evhttp server on 127.0.0.1; then a reload to a
 * configuration without certificates. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <openssl/evp.h>

#include "ike/ike_certfetch.h"
#include "ike/ike_sa.h"
#include "tengine.h"

#define DN(cn) "C=XX, O=ipsecfx test, CN=" cn

static struct {
	char dir[256];
	struct event_base *base;
	struct ipx_engine *eng;
	struct cfg *cfg;
	struct ike_mgr *mgr;
} T;

static const char *P(const char *name)
{
	static char ring[8][512];
	static unsigned k;
	char *b = ring[k++ % 8];

	snprintf(b, sizeof(ring[0]), "%s/%s", T.dir, name);
	return b;
}

/* The source tree (for tests/lib/mkpki.sh), as test_ike_pki.c finds it. */
static const char *src_dir(void)
{
	const char *s = getenv("IPSECFX_SRC");

	if (!s)
		s = getenv("IPSECFX_SRCDIR");
	return s ? s : ".";
}

static const char *cfg_text =
	"cacerts: [%1$s/ca.pem]\n"
	"crls: [%1$s/int-crl.pem]\n"
	"connections:\n"
	"  - name: gw\n"
	"    local_addrs: [192.0.2.1]\n"
	"    remote_addrs: [192.0.2.2]\n"
	"    local:\n"
	"      auth: pubkey\n"
	"      certs: [%1$s/gw-p256.pem, %1$s/int.pem]\n"
	"      key: %1$s/gw-p256.key\n"
	"      cert_uri: http://192.0.2.1:8080/gw.der\n"
	"    remote: {auth: pubkey}\n"
	"    hash_and_url: true\n"
	"    children:\n"
	"      - {name: lan, local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16]}\n"
	"  - name: branch\n"
	"    local_addrs: [192.0.2.1]\n"
	"    remote_addrs: [192.0.2.3]\n"
	"    local:\n"
	"      auth: pubkey\n"
	"      certs: [%1$s/gw-ed25519.pem, %1$s/int.pem]\n"
	"      key: %1$s/gw-ed25519.key\n"
	"      cert_uri: http://192.0.2.1:8080/certs/\n"
	"    remote:\n"
	"      auth: pubkey\n"
	"      cacerts: [%1$s/other-ca.pem]\n"
	"    children:\n"
	"      - {name: lan, local_ts: [10.1.0.0/16], remote_ts: [10.3.0.0/16]}\n"
	"  - name: psk-site\n"
	"    local_addrs: [192.0.2.1]\n"
	"    remote_addrs: [192.0.2.4]\n"
	"    psk: \"0123456789abcdef0123456789abcdef\"\n"
	"    children:\n"
	"      - {name: lan, local_ts: [10.1.0.0/16], remote_ts: [10.4.0.0/16]}\n";

static const char *psk_text =
	"connections:\n"
	"  - name: psk-site\n"
	"    local_addrs: [192.0.2.1]\n"
	"    remote_addrs: [192.0.2.4]\n"
	"    psk: \"0123456789abcdef0123456789abcdef\"\n"
	"    children:\n"
	"      - {name: lan, local_ts: [10.1.0.0/16], remote_ts: [10.4.0.0/16]}\n";

static struct cfg *load(const char *fmt)
{
	const char *path = P("ipsecfx.yaml");
	struct cfg *c = NULL;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, fmt, T.dir);
	fclose(f);
	assert_int_equal(cfg_load(path, &c), 0);
	return c;
}

static int send_none(void *ctx, const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote, bool natt,
		     const uint8_t *buf, size_t len)
{
	(void)ctx, (void)local, (void)remote, (void)natt, (void)buf, (void)len;
	return 0;
}

static int group_setup(void **state)
{
	static const struct ike_io io = { .send = send_none };
	const char *tmp = getenv("TMPDIR");
	char cmd[800];

	(void)state;
	snprintf(T.dir, sizeof(T.dir), "%s/ike_certlist.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(T.dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(cmd, sizeof(cmd), "'%s/tests/lib/mkpki.sh' '%s' 1>&2", src_dir(), T.dir);
	if (system(cmd)) {
		fprintf(stderr, "# %s failed\n", cmd);
		return -1;
	}
	T.cfg = load(cfg_text);
	T.base = event_base_new();
	T.eng = te_open_named("soft", false);
	T.mgr = ike_mgr_new(T.base, T.eng, &io, T.cfg);
	return T.base && T.eng && T.mgr ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[300];

	(void)state;
	ike_mgr_free(T.mgr);
	ipx_engine_close(T.eng);
	event_base_free(T.base);
	cfg_free(T.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.dir);
	return system(cmd) ? -1 : 0;
}

/* ---- what the list must say, found independently ---- */

/* `openssl x509 -noout <opt>` of NAME.pem: the value after '=', as
 * ike_certlist.c writes it (ISO dates with "T" for the space, the serial
 * in lower case). */
static void openssl_x509(const char *name, const char *opt, char *out, size_t n)
{
	char cmd[700], line[256], *eq, *s;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s.pem' -noout %s -dateopt iso_8601",
		 P(name), opt);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	line[strcspn(line, "\n")] = 0;
	assert_non_null(eq = strchr(line, '='));
	for (s = eq + 1; *s; s++)
		if (*s == ' ')
			*s = 'T';
		else if (strcmp(opt, "-serial") == 0)
			*s = (char)tolower((unsigned char)*s);
	snprintf(out, n, "%s", eq + 1);
}

/* SHA-1 of NAME.der (as sha1sum would say). */
static void der_sha1(const char *name, char out[41])
{
	uint8_t buf[8192], md[20];
	unsigned len = 0;
	size_t n;
	FILE *f;
	char path[600];

	snprintf(path, sizeof(path), "%s.der", P(name));
	assert_non_null(f = fopen(path, "rb"));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 0 && n < sizeof(buf));
	assert_true(EVP_Digest(buf, n, md, &len, EVP_sha1(), NULL));
	for (unsigned i = 0; i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *S(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		fail_msg("\"%s\" is not a string", k);
	return json_string_value(v);
}

/* The fields of every certificate, against openssl for NAME.pem. */
static void check_cert(json_t *c, const char *name, const char *subject,
		       const char *issuer, const char *key)
{
	char want[128];

	assert_string_equal(S(c, "subject"), subject);
	assert_string_equal(S(c, "issuer"), issuer);
	assert_string_equal(S(c, "key"), key);
	openssl_x509(name, "-serial", want, sizeof(want));
	assert_string_equal(S(c, "serial"), want);
	openssl_x509(name, "-startdate", want, sizeof(want));
	assert_string_equal(S(c, "not_before"), want);
	openssl_x509(name, "-enddate", want, sizeof(want));
	assert_string_equal(S(c, "not_after"), want);
	der_sha1(name, want);
	assert_string_equal(S(c, "sha1"), want);
	assert_true(json_is_true(json_object_get(c, "valid_now")));
}

/* ---- tests ---- */

static void test_local_chains(void **state)
{
	json_t *j = ike_mgr_certs_json(T.mgr), *l = json_object_get(j, "local"), *c;
	char sha1[41], url[128];

	(void)state;
	/* psk-site has none; gw and branch their end entity and intermediate */
	assert_int_equal(json_array_size(l), 4);
	c = json_array_get(l, 0);
	check_cert(c, "gw-p256", DN("gw.example"), DN("ipsecfx test Int CA"), "ECDSA P-256");
	assert_string_equal(S(c, "conn"), "gw");
	assert_string_equal(S(c, "role"), "local");
	assert_string_equal(S(c, "kind"), "end entity");
	assert_string_equal(S(c, "cert_uri"), "http://192.0.2.1:8080/gw.der");

	c = json_array_get(l, 1);
	check_cert(c, "int", DN("ipsecfx test Int CA"), DN("ipsecfx test Root CA"), "ECDSA P-256");
	assert_string_equal(S(c, "conn"), "gw");
	assert_string_equal(S(c, "role"), "local");
	assert_string_equal(S(c, "kind"), "intermediate");
	assert_null(json_object_get(c, "cert_uri"));

	/* cert_uri a base: each certificate is there under its SHA-1 */
	c = json_array_get(l, 2);
	check_cert(c, "gw-ed25519", DN("gw.example"), DN("ipsecfx test Int CA"), "Ed25519");
	assert_string_equal(S(c, "conn"), "branch");
	assert_string_equal(S(c, "kind"), "end entity");
	der_sha1("gw-ed25519", sha1);
	snprintf(url, sizeof(url), "http://192.0.2.1:8080/certs/%s", sha1);
	assert_string_equal(S(c, "cert_uri"), url);
	c = json_array_get(l, 3);
	check_cert(c, "int", DN("ipsecfx test Int CA"), DN("ipsecfx test Root CA"), "ECDSA P-256");
	assert_string_equal(S(c, "kind"), "intermediate");
	der_sha1("int", sha1);
	snprintf(url, sizeof(url), "http://192.0.2.1:8080/certs/%s", sha1);
	assert_string_equal(S(c, "cert_uri"), url);
	json_decref(j);
}

static void test_anchors(void **state)
{
	json_t *j = ike_mgr_certs_json(T.mgr), *a = json_object_get(j, "anchors"), *c;

	(void)state;
	assert_int_equal(json_array_size(a), 2);
	c = json_array_get(a, 0);
	check_cert(c, "ca", DN("ipsecfx test Root CA"), DN("ipsecfx test Root CA"), "ECDSA P-256");
	assert_string_equal(S(c, "role"), "anchor");
	assert_string_equal(S(c, "source"), "cacerts");
	assert_null(json_object_get(c, "conn"));

	c = json_array_get(a, 1);
	check_cert(c, "other-ca", "C=XX, O=Other, CN=Other Root CA", "C=XX, O=Other, CN=Other Root CA",
		   "ECDSA P-256");
	assert_string_equal(S(c, "source"), "remote.cacerts");
	assert_string_equal(S(c, "conn"), "branch");
	json_decref(j);
}

static void test_crls(void **state)
{
	json_t *j = ike_mgr_certs_json(T.mgr), *r = json_object_get(j, "crls"), *c;
	char want[64], cmd[700], line[128];
	FILE *f;

	(void)state;
	assert_int_equal(json_array_size(r), 1);
	c = json_array_get(r, 0);
	assert_string_equal(S(c, "issuer"), DN("ipsecfx test Int CA"));
	assert_int_equal(json_integer_value(json_object_get(c, "revoked")), 1);
	assert_true(json_is_false(json_object_get(c, "expired")));
	/* openssl crl -lastupdate, ASN.1 text ("Dec  7 07:56:47 2026 GMT"),
	 * as ISO 8601 */
	snprintf(cmd, sizeof(cmd), "openssl crl -in '%s' -noout -nextupdate", P("int-crl.pem"));
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_int_equal(pclose(f), 0);
	{
		struct tm tm = { 0 };
		const char *end = strptime(strchr(line, '=') + 1, "%b %d %H:%M:%S %Y", &tm);

		assert_non_null(end);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	assert_string_equal(S(c, "next_update"), want);
	assert_true(strcmp(S(c, "last_update"), S(c, "next_update")) < 0);
	json_decref(j);
}

/* ---- the Hash and URL cache ---- */

static struct {
	uint8_t *der;
	size_t len;
	unsigned served;
	int calls;
	enum ike_certfetch_result res;
} H;

static void serve(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	evbuffer_add(b, H.der, H.len);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	H.served++;
}

static void fetched(void *arg, enum ike_certfetch_result res, X509 *cert, const char *why)
{
	(void)arg, (void)cert, (void)why;
	H.res = res;
	H.calls++;
}

static void test_cache(void **state)
{
	struct evhttp *http = evhttp_new(T.base);
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char url[128], sha1[41], path[600];
	uint8_t md[20];
	unsigned mdl = 0;
	json_t *j, *h, *e;
	X509 *cached = NULL;
	FILE *f;
	time_t end = time(NULL) + 10;

	(void)state;
	j = ike_mgr_certs_json(T.mgr);
	assert_int_equal(json_array_size(json_object_get(j, "cache")), 0);
	json_decref(j);

	/* serve gw-rsa.der and fetch it as a peer's Hash and URL would */
	snprintf(path, sizeof(path), "%s.der", P("gw-rsa"));
	assert_non_null(f = fopen(path, "rb"));
	H.der = malloc(8192);
	H.len = fread(H.der, 1, 8192, f);
	fclose(f);
	assert_true(EVP_Digest(H.der, H.len, md, &mdl, EVP_sha1(), NULL));
	assert_non_null(http);
	assert_non_null(bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0));
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &sl), 0);
	evhttp_set_gencb(http, serve, NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/gw-rsa.der", ntohs(sin.sin_port));
	assert_non_null(ike_certfetch_get(T.mgr->certs, md, url, strlen(url), fetched, NULL,
					  &cached));
	while (!H.calls && time(NULL) < end)
		event_base_loop(T.base, EVLOOP_ONCE);
	assert_int_equal(H.calls, 1);
	assert_int_equal(H.res, IKE_CF_OK);
	/* one use from the cache, as the next IKE SA of that peer makes */
	assert_non_null(cached = ike_certfetch_cached(T.mgr->certs, md));
	X509_free(cached);

	for (int round = 0; round < 2; round++) { /* listing counts no hit */
		j = ike_mgr_certs_json(T.mgr);
		h = json_object_get(j, "cache");
		assert_int_equal(json_array_size(h), 1);
		e = json_array_get(h, 0);
		der_sha1("gw-rsa", sha1);
		assert_string_equal(S(e, "sha1"), sha1);
		assert_string_equal(S(e, "url"), url);
		assert_string_equal(S(e, "subject"), DN("gw.example"));
		assert_int_equal(json_integer_value(json_object_get(e, "hits")), 1);
		assert_true(json_integer_value(json_object_get(e, "age_s")) >= 0 &&
			    json_integer_value(json_object_get(e, "age_s")) <= 10);
		json_decref(j);
	}
	assert_int_equal(H.served, 1);
	evhttp_free(http);
	free(H.der);
}

/* What the control socket sends is valid JSON; after a reload to a file
 * without certificates every list is empty. */
static void test_dump_and_reload(void **state)
{
	struct cfg *psk = load(psk_text);
	json_t *j = ike_mgr_certs_json(T.mgr), *back;
	char *s = json_dumps(j, JSON_COMPACT);

	(void)state;
	assert_non_null(s);
	assert_non_null(back = json_loads(s, 0, NULL));
	assert_true(json_equal(j, back));
	free(s);
	json_decref(back);
	json_decref(j);

	ike_mgr_set_config(T.mgr, psk);
	j = ike_mgr_certs_json(T.mgr);
	assert_int_equal(json_array_size(json_object_get(j, "local")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "anchors")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "crls")), 0);
	/* the fetcher's cache outlives a reload */
	assert_int_equal(json_array_size(json_object_get(j, "cache")), 1);
	json_decref(j);
	ike_mgr_set_config(T.mgr, T.cfg);
	cfg_free(psk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_chains),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_crls),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_dump_and_reload),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
