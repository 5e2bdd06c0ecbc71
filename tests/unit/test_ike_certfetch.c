/* Hash and URL fetching (RFC 7296 3.6) against a real evhttp server on
 * 127.0.0.1 in the same event loop: success and the cache, every failure
 * path with its result code, reason and counter, bad URLs, joined and
 * cancelled requests, freeing with requests pending, the LRU limit, raw
 * (CRL) fetches, and that the loop keeps running while a fetch waits. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <ipsecfx/log.h>

#include "ike/ike_certfetch.h"

#define N_CERTS 1000
#define GUARD_MS 5000 /* a bug fails the test instead of hanging it */

/* ---- certificates, made once ---- */

struct blob {
	uint8_t *der;
	size_t len;
	uint8_t sha1[20];
};

static struct {
	EVP_PKEY *key;
	struct blob good, other, garbage, trailing, crl;
	struct blob c[N_CERTS];
} G;

static void sha1_of(const uint8_t *p, size_t n, uint8_t out[20])
{
	unsigned len = 0;

	assert_true(EVP_Digest(p, n, out, &len, EVP_sha1(), NULL));
	assert_int_equal(len, 20);
}

static void make_cert(struct blob *b, long serial, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;
	unsigned char *der = NULL;
	int len;

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_true(X509_set_pubkey(x, G.key));
	n = X509_get_subject_name(x);
	assert_true(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					       (const unsigned char *)cn, -1,
					       -1, 0));
	assert_true(X509_set_issuer_name(x, n));
	assert_true(X509_sign(x, G.key, EVP_sha256()));
	len = i2d_X509(x, &der);
	assert_true(len > 0);
	b->der = malloc((size_t)len);
	assert_non_null(b->der);
	memcpy(b->der, der, (size_t)len);
	b->len = (size_t)len;
	OPENSSL_free(der);
	X509_free(x);
	sha1_of(b->der, b->len, b->sha1);
}

static void make_blob(struct blob *b, const void *p, size_t n)
{
	b->der = malloc(n ? n : 1);
	assert_non_null(b->der);
	memcpy(b->der, p, n);
	b->len = n;
	sha1_of(b->der, n, b->sha1);
}

static int group_setup(void **state)
{
	uint8_t junk[300];
	static const char crl[] = "-----BEGIN X509 CRL-----\n"
				  "MIIBnot-really-a-crl-but-bytes-all-the-same\n"
				  "-----END X509 CRL-----\n";
	char cn[32];

	(void)state;
	G.key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(G.key);
	make_cert(&G.good, 1, "gw.example");
	make_cert(&G.other, 2, "other.example");
	/* Random bytes, not a SEQUENCE: the hash will match, DER will not. */
	assert_int_equal(RAND_bytes(junk, sizeof(junk)), 1);
	junk[0] = 0x04;
	make_blob(&G.garbage, junk, sizeof(junk));
	/* A good certificate and one octet more. */
	G.trailing.der = malloc(G.good.len + 1);
	assert_non_null(G.trailing.der);
	memcpy(G.trailing.der, G.good.der, G.good.len);
	G.trailing.der[G.good.len] = 0;
	G.trailing.len = G.good.len + 1;
	sha1_of(G.trailing.der, G.trailing.len, G.trailing.sha1);
	make_blob(&G.crl, crl, sizeof(crl) - 1);
	for (int i = 0; i < N_CERTS; i++) {
		snprintf(cn, sizeof(cn), "peer%d.example", i);
		make_cert(&G.c[i], 1000 + i, cn);
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(G.good.der);
	free(G.other.der);
	free(G.garbage.der);
	free(G.trailing.der);
	free(G.crl.der);
	for (int i = 0; i < N_CERTS; i++)
		free(G.c[i].der);
	EVP_PKEY_free(G.key);
	return 0;
}

/* ---- the server and the loop, per test ---- */

struct t {
	struct event_base *base;
	struct evhttp *http;
	uint16_t port;
	struct ike_certfetch *f;
	size_t big; /* /big, /bigchunked serve big + 1 bytes, /exact big */
	int n_req, n_good, n_slow;
	bool guard_fired;
	unsigned n_warn;
	char host_hdr[128], conn_hdr[32]; /* of the last request */
};

static void reply(struct evhttp_request *req, const uint8_t *p, size_t n)
{
	struct evbuffer *b = evbuffer_new();

	assert_non_null(b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/pkix-cert");
	if (n)
		evbuffer_add(b, p, n);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void reply_filled(struct evhttp_request *req, size_t n)
{
	uint8_t *p = malloc(n);

	assert_non_null(p);
	memset(p, 'A', n);
	reply(req, p, n);
	free(p);
}

static void srv_cb(struct evhttp_request *req, void *arg)
{
	struct t *t = arg;
	const char *uri = evhttp_request_get_uri(req);
	unsigned n;
	char tail;

	t->n_req++;
	snprintf(t->host_hdr, sizeof(t->host_hdr), "%s",
		 evhttp_find_header(evhttp_request_get_input_headers(req),
				    "Host") ?: "");
	snprintf(t->conn_hdr, sizeof(t->conn_hdr), "%s",
		 evhttp_find_header(evhttp_request_get_input_headers(req),
				    "Connection") ?: "");
	if (!strcmp(uri, "/good.der") || !strcmp(uri, "/good.der?again")) {
		t->n_good++;
		reply(req, G.good.der, G.good.len);
	} else if (!strcmp(uri, "/other.der")) {
		reply(req, G.other.der, G.other.len);
	} else if (!strcmp(uri, "/garbage")) {
		reply(req, G.garbage.der, G.garbage.len);
	} else if (!strcmp(uri, "/trailing.der")) {
		reply(req, G.trailing.der, G.trailing.len);
	} else if (!strcmp(uri, "/crl")) {
		reply(req, G.crl.der, G.crl.len);
	} else if (!strcmp(uri, "/empty")) {
		reply(req, NULL, 0);
	} else if (!strcmp(uri, "/redirect")) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Location", "/good.der");
		evhttp_send_reply(req, 302, "Found", NULL);
	} else if (!strcmp(uri, "/slow")) {
		t->n_slow++; /* never answered; evhttp_free() frees it */
	} else if (!strcmp(uri, "/big")) {
		reply_filled(req, t->big + 1);
	} else if (!strcmp(uri, "/exact")) {
		reply_filled(req, t->big);
	} else if (!strcmp(uri, "/bigchunked")) {
		struct evbuffer *b = evbuffer_new();
		size_t left = t->big + 1;
		static uint8_t chunk[4096];

		assert_non_null(b);
		memset(chunk, 'B', sizeof(chunk));
		evhttp_send_reply_start(req, 200, "OK");
		while (left) {
			size_t k = left < sizeof(chunk) ? left : sizeof(chunk);

			evbuffer_add(b, chunk, k);
			evhttp_send_reply_chunk(req, b);
			left -= k;
		}
		evhttp_send_reply_end(req);
		evbuffer_free(b);
	} else if (sscanf(uri, "/c/%u.der%c", &n, &tail) == 1 && n < N_CERTS) {
		reply(req, G.c[n].der, G.c[n].len);
	} else {
		evhttp_send_error(req, 404, "Not Found");
	}
}

static void log_cb(int level, const char *msg, void *arg)
{
	struct t *t = arg;

	(void)msg;
	if (level == IPX_LOG_WARN)
		t->n_warn++;
}

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	struct evhttp_bound_socket *bs;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	assert_non_null(t);
	t->base = event_base_new();
	assert_non_null(t->base);
	t->http = evhttp_new(t->base);
	assert_non_null(t->http);
	bs = evhttp_bind_socket_with_handle(t->http, "127.0.0.1", 0);
	assert_non_null(bs);
	assert_int_equal(getsockname(evhttp_bound_socket_get_fd(bs),
				     (struct sockaddr *)&sin, &sl),
			 0);
	t->port = ntohs(sin.sin_port);
	evhttp_set_gencb(t->http, srv_cb, t);
	t->big = IKE_CERTFETCH_DEF_MAX_BYTES;
	t->f = ike_certfetch_new(t->base, NULL);
	assert_non_null(t->f);
	ipx_log_set_handler(log_cb, t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	ipx_log_set_handler(NULL, NULL);
	ike_certfetch_free(t->f);
	evhttp_free(t->http);
	event_base_free(t->base);
	free(t);
	return 0;
}

static void guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct t *)arg)->guard_fired = true;
}

static void ms_tv(unsigned ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* Run the loop until *count reaches want or ms pass; returns whether it
 * got there. */
static bool run_until(struct t *t, const int *count, int want, unsigned ms)
{
	struct event *guard = evtimer_new(t->base, guard_cb, t);
	struct timeval tv;

	assert_non_null(guard);
	ms_tv(ms, &tv);
	t->guard_fired = false;
	evtimer_add(guard, &tv);
	while (*count < want && !t->guard_fired)
		event_base_loop(t->base, EVLOOP_ONCE);
	event_free(guard);
	return *count >= want;
}

/* Run the loop for ms, whatever happens. */
static void run_for(struct t *t, unsigned ms)
{
	static const int never = 0;

	run_until(t, &never, 1, ms);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- what the callbacks saw ---- */

struct got {
	int calls;
	enum ike_certfetch_result res;
	X509 *cert;
	char why[1024];
	uint8_t *body;
	size_t len;
	int seq; /* order among all callbacks */
};

static int seq;

static void got_cb(void *arg, enum ike_certfetch_result res, X509 *cert,
		   const char *why)
{
	struct got *g = arg;

	g->calls++;
	g->res = res;
	g->seq = ++seq;
	if (res == IKE_CF_OK)
		assert_non_null(cert);
	else
		assert_null(cert);
	if (cert) {
		X509_up_ref(cert);
		X509_free(g->cert);
		g->cert = cert;
	}
	assert_non_null(why);
	snprintf(g->why, sizeof(g->why), "%s", why);
}

static void got_raw_cb(void *arg, enum ike_certfetch_result res,
		       const uint8_t *body, size_t len, const char *why)
{
	struct got *g = arg;

	g->calls++;
	g->res = res;
	g->seq = ++seq;
	free(g->body);
	g->body = NULL;
	g->len = len;
	if (len) {
		g->body = malloc(len);
		assert_non_null(g->body);
		memcpy(g->body, body, len);
	}
	snprintf(g->why, sizeof(g->why), "%s", why);
}

static void got_clear(struct got *g)
{
	X509_free(g->cert);
	free(g->body);
	memset(g, 0, sizeof(*g));
}

static void url_of(const struct t *t, const char *path, char *out, size_t cap)
{
	snprintf(out, cap, "http://127.0.0.1:%u%s", (unsigned)t->port, path);
}

/* Start a fetch of path expecting the hash sha1; the callback must not
 * have run yet. */
static struct ike_certfetch_req *start(struct t *t, const char *path,
				       const uint8_t *sha1, struct got *g)
{
	char url[256];
	struct ike_certfetch_req *r;
	X509 *cached = (X509 *)1;

	url_of(t, path, url, sizeof(url));
	r = ike_certfetch_get(t->f, sha1, url, strlen(url), got_cb, g, &cached);
	assert_non_null(r);
	assert_null(cached);
	assert_int_equal(g->calls, 0);
	return r;
}

/* Fetch path and wait for the outcome; checks the why string names the
 * URL and contains reason. */
static void fetch(struct t *t, const char *path, const uint8_t *sha1,
		  enum ike_certfetch_result want, const char *reason)
{
	struct got g = { 0 };
	char url[256];

	url_of(t, path, url, sizeof(url));
	start(t, path, sha1, &g);
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	run_for(t, 1); /* a second callback would show here */
	assert_int_equal(g.calls, 1);
	if (g.res != want)
		fail_msg("%s: %s, want %s (%s)", path,
			 ike_certfetch_result_name(g.res),
			 ike_certfetch_result_name(want), g.why);
	if (strncmp(g.why, url, strlen(url)) || !strstr(g.why, reason))
		fail_msg("why \"%s\" lacks \"%s\" or \"%s\"", g.why, url, reason);
	got_clear(&g);
}

static struct ike_certfetch_stats stats(const struct t *t)
{
	struct ike_certfetch_stats st;

	ike_certfetch_get_stats(t->f, &st);
	return st;
}

static void assert_stats(const struct t *t, uint64_t ok, uint64_t failed,
			 uint64_t timed_out, uint64_t mismatch,
			 uint64_t too_big)
{
	struct ike_certfetch_stats st = stats(t);

	assert_int_equal(st.ok, ok);
	assert_int_equal(st.failed, failed);
	assert_int_equal(st.timed_out, timed_out);
	assert_int_equal(st.hash_mismatch, mismatch);
	assert_int_equal(st.too_big, too_big);
	assert_int_equal(st.in_flight, 0);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* ---- tests ---- */

struct seen {
	unsigned n;
	const uint8_t *sha1[N_CERTS + 1];
	const char *url;
	uint64_t hits;
};

static void each_cb(void *arg, const uint8_t sha1[20], X509 *cert,
		    const char *url, uint64_t hits, time_t fetched_at)
{
	struct seen *s = arg;

	assert_non_null(cert);
	assert_true(fetched_at > 0);
	assert_true(s->n < N_CERTS + 1);
	s->sha1[s->n++] = sha1;
	s->url = url;
	s->hits = hits;
}

static void test_ok_and_cache_hit(void **state)
{
	struct t *t = *state;
	struct got g = { 0 };
	struct seen s = { 0 };
	X509 *cached = NULL, *x;
	unsigned char *der = NULL;
	char url[256];
	int len;

	start(t, "/good.der", G.good.sha1, &g);
	assert_int_equal(stats(t).in_flight, 1);
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	assert_int_equal(g.res, IKE_CF_OK);
	len = i2d_X509(g.cert, &der);
	assert_int_equal(len, (int)G.good.len);
	assert_memory_equal(der, G.good.der, G.good.len);
	OPENSSL_free(der);
	assert_int_equal(t->n_req, 1);
	snprintf(url, sizeof(url), "127.0.0.1:%u", (unsigned)t->port);
	assert_string_equal(t->host_hdr, url);
	assert_string_equal(t->conn_hdr, "close");

	/* Same hash again: from the cache, no request, no callback. */
	url_of(t, "/good.der", url, sizeof(url));
	assert_null(ike_certfetch_get(t->f, G.good.sha1, url, strlen(url),
				      got_cb, &g, &cached));
	assert_non_null(cached);
	assert_int_equal(X509_cmp(cached, g.cert), 0);
	X509_free(cached);
	run_for(t, 20);
	assert_int_equal(t->n_req, 1);
	assert_int_equal(g.calls, 1);
	assert_stats(t, 1, 0, 0, 0, 0);
	assert_int_equal(stats(t).cache_hits, 1);
	assert_int_equal(stats(t).cached, 1);

	assert_null(ike_certfetch_cached(t->f, G.other.sha1));
	x = ike_certfetch_cached(t->f, G.good.sha1);
	assert_non_null(x);
	X509_free(x);
	assert_int_equal(stats(t).cache_hits, 2);
	ike_certfetch_foreach(t->f, each_cb, &s);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.sha1[0], G.good.sha1, 20);
	assert_string_equal(s.url, url);
	assert_int_equal(s.hits, 2);
	got_clear(&g);
}

static void test_hash_mismatch(void **state)
{
	struct t *t = *state;
	char reason[160], a[41], b[41];

	hex(G.other.sha1, 20, a);
	hex(G.good.sha1, 20, b);
	snprintf(reason, sizeof(reason),
		 "SHA-1 of the fetched bytes is %s, the peer announced %s", a,
		 b);
	fetch(t, "/other.der", G.good.sha1, IKE_CF_HASH_MISMATCH, reason);
	assert_stats(t, 0, 0, 0, 1, 0);
	assert_int_equal(stats(t).cached, 0);
	/* said once, by the waiter (the IKE SA's log line), not here too */
	assert_int_equal(t->n_warn, 0);
}

static void test_http_status(void **state)
{
	struct t *t = *state;

	fetch(t, "/404", G.good.sha1, IKE_CF_HTTP_STATUS, ": HTTP 404 Not Found");
	fetch(t, "/empty", G.good.sha1, IKE_CF_FAILED, "empty body");
	assert_stats(t, 0, 2, 0, 0, 0);
}

static void test_redirect_not_followed(void **state)
{
	struct t *t = *state;

	fetch(t, "/redirect", G.good.sha1, IKE_CF_REDIRECT,
	      ": redirect (HTTP 302) not followed");
	run_for(t, 50);
	assert_int_equal(t->n_req, 1);
	assert_int_equal(t->n_good, 0);
	assert_stats(t, 0, 1, 0, 0, 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = ++seq;
}

/* /slow never answers: a timeout after 300 ms, and meanwhile a 50 ms timer
 * on the same loop fires (nothing blocks). */
static void test_timeout_loop_runs(void **state)
{
	struct t *t = *state;
	struct ike_certfetch_cfg cfg = { .timeout_ms = 300 };
	struct event *tick;
	struct timeval tv;
	struct got g = { 0 };
	int tick_seq = 0;
	double t0, dt;
	char url[256];

	ike_certfetch_set_cfg(t->f, &cfg);
	tick = evtimer_new(t->base, tick_cb, &tick_seq);
	assert_non_null(tick);
	ms_tv(50, &tv);
	t0 = now_ms();
	start(t, "/slow", G.good.sha1, &g);
	evtimer_add(tick, &tv);
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	dt = now_ms() - t0;
	event_free(tick);
	assert_true(tick_seq > 0);
	assert_true(tick_seq < g.seq);
	assert_int_equal(t->n_slow, 1);
	assert_int_equal(g.res, IKE_CF_TIMEOUT);
	url_of(t, "/slow", url, sizeof(url));
	assert_non_null(strstr(g.why, url));
	assert_non_null(strstr(g.why, ": timed out after 300 ms"));
	assert_true(dt >= 290 && dt < 2000);
	assert_stats(t, 0, 0, 1, 0, 0);
	got_clear(&g);
}

static void test_too_big(void **state)
{
	struct t *t = *state;

	/* Content-Length says so: refused before the body. */
	fetch(t, "/big", G.good.sha1, IKE_CF_TOO_BIG, ": more than 65536 bytes");
	/* Chunked, no length up front: stopped as the limit is passed. */
	fetch(t, "/bigchunked", G.good.sha1, IKE_CF_TOO_BIG,
	      ": more than 65536 bytes");
	assert_stats(t, 0, 0, 0, 0, 2);
}

static void test_not_cert(void **state)
{
	struct t *t = *state;

	fetch(t, "/garbage", G.garbage.sha1, IKE_CF_NOT_CERT,
	      ": not a DER certificate");
	fetch(t, "/trailing.der", G.trailing.sha1, IKE_CF_NOT_CERT,
	      ": not a DER certificate (1 bytes after it)");
	assert_stats(t, 0, 2, 0, 0, 0);
	assert_int_equal(stats(t).cached, 0);
}

static void test_connect_refused(void **state)
{
	struct t *t = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct got g = { 0 };
	X509 *cached;
	char url[128], reason[64];
	int s = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	/* A port nobody listens on: bound then closed. */
	assert_true(s >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/good.der", port);
	assert_non_null(ike_certfetch_get(t->f, G.good.sha1, url, strlen(url),
					  got_cb, &g, &cached));
	assert_int_equal(g.calls, 0);
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	assert_int_equal(g.res, IKE_CF_FAILED);
	snprintf(reason, sizeof(reason), "cannot connect to 127.0.0.1 port %u",
		 port);
	assert_non_null(strstr(g.why, url));
	assert_non_null(strstr(g.why, reason));
	assert_stats(t, 0, 1, 0, 0, 0);
	got_clear(&g);
}

/* A host name goes through evdns (here /etc/hosts, answered at once);
 * the server listens on both loopback addresses, whichever localhost
 * names first. */
static void test_hostname(void **state)
{
	struct t *t = *state;
	struct got g = { 0 };
	X509 *cached;
	char url[128], host[64];

	if (!evhttp_bind_socket_with_handle(t->http, "::1", t->port))
		skip(); /* no IPv6 loopback */
	snprintf(url, sizeof(url), "http://localhost:%u/good.der",
		 (unsigned)t->port);
	assert_non_null(ike_certfetch_get(t->f, G.good.sha1, url, strlen(url),
					  got_cb, &g, &cached));
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	if (g.res != IKE_CF_OK)
		fail_msg("%s", g.why);
	snprintf(host, sizeof(host), "localhost:%u", (unsigned)t->port);
	assert_string_equal(t->host_hdr, host);
	/* And an IPv6 literal: brackets in Host, not in the address. */
	got_clear(&g);
	snprintf(url, sizeof(url), "http://[::1]:%u/other.der",
		 (unsigned)t->port);
	assert_non_null(ike_certfetch_get(t->f, G.other.sha1, url, strlen(url),
					  got_cb, &g, &cached));
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	if (g.res != IKE_CF_OK)
		fail_msg("%s", g.why);
	snprintf(host, sizeof(host), "[::1]:%u", (unsigned)t->port);
	assert_string_equal(t->host_hdr, host);
	got_clear(&g);
}

static void test_bad_urls(void **state)
{
	struct t *t = *state;
	static char long_url[3001];
	static const struct {
		const char *url;
		size_t len; /* 0: strlen */
		const char *shown, *reason;
	} cases[] = {
		{ "https://127.0.0.1/gw.der", 0, "https://127.0.0.1/gw.der",
		  "only http:// URLs" },
		{ "ftp://127.0.0.1/gw.der", 0, "ftp://127.0.0.1/gw.der",
		  "only http:// URLs" },
		{ "http://127.0.0.1/g\x01w.der", 0, "http://127.0.0.1/g\\x01w.der",
		  "byte 0x01 at offset 18 is not printable ASCII" },
		{ "http://127.0.0.1/g w.der", 0, "http://127.0.0.1/g w.der",
		  "byte 0x20 at offset 18" },
		{ "http://127.0.0.1/\0gw", 20, "http://127.0.0.1/\\x00gw",
		  "byte 0x00" },
		{ "", 0, "", "empty URL" },
		{ long_url, 3000, "http://127.0.0.1/aaaa", "longer than 2048 bytes" },
		{ "127.0.0.1/gw.der", 0, "127.0.0.1/gw.der", "not an http:// URL" },
		{ "http:///gw.der", 0, "http:///gw.der", "no host" },
		{ "http://u:p@127.0.0.1/gw.der", 0, "http://u:p@127.0.0.1/gw.der",
		  "user name or password" },
		{ "http://127.0.0.1:0/gw.der", 0, "http://127.0.0.1:0/gw.der",
		  "port 0" },
		{ "http://127.0.0.1:99999/gw.der", 0,
		  "http://127.0.0.1:99999/gw.der", "malformed URL" },
		{ "http://[::1/gw.der", 0, "http://[::1/gw.der", "malformed URL" },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	struct got g[sizeof(cases) / sizeof(cases[0])];
	int done = 0;

	memset(g, 0, sizeof(g));
	memcpy(long_url, "http://127.0.0.1/", 17);
	memset(long_url + 17, 'a', 3000 - 17);
	for (size_t i = 0; i < n; i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].url);
		X509 *cached = (X509 *)1;

		assert_non_null(ike_certfetch_get(t->f, G.good.sha1,
						  cases[i].url, len, got_cb,
						  &g[i], &cached));
		assert_null(cached);
		assert_int_equal(g[i].calls, 0); /* deferred */
	}
	for (size_t i = 0; i < n; i++) {
		assert_true(run_until(t, &g[i].calls, 1, GUARD_MS));
		done++;
		assert_int_equal(g[i].calls, 1);
		if (g[i].res != IKE_CF_BAD_URL ||
		    strncmp(g[i].why, cases[i].shown, strlen(cases[i].shown)) ||
		    !strstr(g[i].why, cases[i].reason))
			fail_msg("case %zu: %s \"%s\"", i,
				 ike_certfetch_result_name(g[i].res), g[i].why);
		assert_true(strlen(g[i].why) < 600); /* the long URL is cut */
	}
	assert_int_equal(done, (int)n);
	assert_int_equal(t->n_req, 0);
	assert_stats(t, 0, n, 0, 0, 0);
	/* Raw fetches follow the same rules. */
	memset(&g[0], 0, sizeof(g[0]));
	assert_non_null(ike_certfetch_get_raw(t->f, "https://127.0.0.1/crl",
					      got_raw_cb, &g[0]));
	assert_int_equal(g[0].calls, 0);
	assert_true(run_until(t, &g[0].calls, 1, GUARD_MS));
	assert_int_equal(g[0].res, IKE_CF_BAD_URL);
	assert_null(g[0].body);
}

static void test_join(void **state)
{
	struct t *t = *state;
	struct got a = { 0 }, b = { 0 }, c = { 0 };
	struct ike_certfetch_req *ra, *rb;

	ra = start(t, "/good.der", G.good.sha1, &a);
	rb = start(t, "/good.der", G.good.sha1, &b);
	assert_ptr_not_equal(ra, rb);
	/* Same hash, another URL: a fetch of its own. */
	start(t, "/good.der?again", G.good.sha1, &c);
	assert_int_equal(stats(t).in_flight, 2);
	assert_true(run_until(t, &a.calls, 1, GUARD_MS));
	assert_true(run_until(t, &b.calls, 1, GUARD_MS));
	assert_true(run_until(t, &c.calls, 1, GUARD_MS));
	assert_int_equal(a.res, IKE_CF_OK);
	assert_int_equal(b.res, IKE_CF_OK);
	assert_int_equal(c.res, IKE_CF_OK);
	assert_int_equal(X509_cmp(a.cert, b.cert), 0);
	assert_int_equal(t->n_good, 2);
	assert_int_equal(t->n_req, 2);
	assert_stats(t, 2, 0, 0, 0, 0);
	assert_int_equal(stats(t).cached, 1);
	got_clear(&a);
	got_clear(&b);
	got_clear(&c);
}

struct canceller {
	struct ike_certfetch_req *other, *self;
	struct got g;
};

/* The first waiter's callback cancels the second (same fetch) and its own
 * handle: neither may crash or call back. */
static void cancel_others_cb(void *arg, enum ike_certfetch_result res,
			     X509 *cert, const char *why)
{
	struct canceller *c = arg;

	got_cb(&c->g, res, cert, why);
	ike_certfetch_cancel(c->other);
	ike_certfetch_cancel(c->self);
}

static void test_cancel(void **state)
{
	struct t *t = *state;
	struct got a = { 0 }, b = { 0 }, d = { 0 }, e = { 0 };
	struct ike_certfetch_req *ra, *rb, *rd;
	struct canceller c = { 0 };
	X509 *cached;
	char url[256];

	/* Both waiters of an HTTP request under way go: dropped. */
	ra = start(t, "/slow", G.good.sha1, &a);
	rb = start(t, "/slow", G.good.sha1, &b);
	assert_true(run_until(t, &t->n_slow, 1, GUARD_MS));
	ike_certfetch_cancel(ra);
	assert_int_equal(stats(t).in_flight, 1);
	ike_certfetch_cancel(rb);
	assert_int_equal(stats(t).in_flight, 0);
	assert_int_equal(stats(t).cancelled, 1);

	/* One of two goes: the other still gets the certificate. */
	rd = start(t, "/good.der", G.good.sha1, &d);
	start(t, "/good.der", G.good.sha1, &e);
	ike_certfetch_cancel(rd);
	assert_true(run_until(t, &e.calls, 1, GUARD_MS));
	assert_int_equal(e.res, IKE_CF_OK);

	/* Cancelled before it even connected; and a bad URL. */
	url_of(t, "/other.der", url, sizeof(url));
	ike_certfetch_cancel(ike_certfetch_get(t->f, G.other.sha1, url,
					       strlen(url), got_cb, &a,
					       &cached));
	ike_certfetch_cancel(ike_certfetch_get(t->f, G.other.sha1, "ftp://x",
					       7, got_cb, &a, &cached));
	assert_int_equal(stats(t).in_flight, 0);

	/* Cancels from inside a callback. */
	url_of(t, "/garbage", url, sizeof(url));
	c.self = ike_certfetch_get(t->f, G.garbage.sha1, url, strlen(url),
				   cancel_others_cb, &c, &cached);
	c.other = ike_certfetch_get(t->f, G.garbage.sha1, url, strlen(url),
				    got_cb, &b, &cached);
	assert_non_null(c.self);
	assert_non_null(c.other);
	assert_true(run_until(t, &c.g.calls, 1, GUARD_MS));
	assert_int_equal(c.g.res, IKE_CF_NOT_CERT);

	run_for(t, 100);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
	assert_int_equal(d.calls, 0);
	assert_int_equal(e.calls, 1);
	assert_int_equal(c.g.calls, 1);
	assert_stats(t, 1, 1, 0, 0, 0);
	assert_int_equal(stats(t).cancelled, 3);
	got_clear(&e);
	got_clear(&c.g);
}

static void test_free_pending(void **state)
{
	struct t *t = *state;
	struct got g[6];
	X509 *cached;
	char url[256];

	memset(g, 0, sizeof(g));
	start(t, "/slow", G.good.sha1, &g[0]);
	start(t, "/slow", G.good.sha1, &g[1]);
	assert_true(run_until(t, &t->n_slow, 1, GUARD_MS));
	start(t, "/good.der", G.good.sha1, &g[2]);
	url_of(t, "/slow", url, sizeof(url));
	assert_non_null(ike_certfetch_get_raw(t->f, url, got_raw_cb, &g[3]));
	assert_non_null(ike_certfetch_get(t->f, G.good.sha1, "https://x", 9,
					  got_cb, &g[4], &cached));
	assert_non_null(ike_certfetch_get_raw(t->f, "http://127.0.0.1:1/",
					      got_raw_cb, &g[5]));
	assert_int_equal(stats(t).in_flight, 5);
	ike_certfetch_free(t->f);
	t->f = NULL;
	run_for(t, 100);
	for (int i = 0; i < 6; i++)
		assert_int_equal(g[i].calls, 0);
}

/* cache_max 50 and 1000 certificates: the 50 most recently used stay. */
static void test_cache_limit(void **state)
{
	struct t *t = *state;
	struct ike_certfetch_cfg cfg = { .cache_max = 50 };
	struct ike_certfetch_stats st;
	struct seen s = { 0 };
	struct got g = { 0 };
	X509 *x;
	char path[32];

	ike_certfetch_set_cfg(t->f, &cfg);
	for (int i = 0; i < N_CERTS; i++) {
		snprintf(path, sizeof(path), "/c/%d.der", i);
		start(t, path, G.c[i].sha1, &g);
		assert_true(run_until(t, &g.calls, 1, GUARD_MS));
		assert_int_equal(g.res, IKE_CF_OK);
		got_clear(&g);
	}
	st = stats(t);
	assert_int_equal(st.ok, N_CERTS);
	assert_int_equal(st.cached, 50);
	assert_int_equal(st.cache_evicted, N_CERTS - 50);
	ike_certfetch_foreach(t->f, each_cb, &s);
	assert_int_equal(s.n, 50);
	for (unsigned i = 0; i < 50; i++) /* most recent first */
		assert_memory_equal(s.sha1[i], G.c[N_CERTS - 1 - i].sha1, 20);
	assert_null(ike_certfetch_cached(t->f, G.c[N_CERTS - 51].sha1));

	/* Using the oldest makes it the newest: the next insert evicts the
	 * one after it. */
	x = ike_certfetch_cached(t->f, G.c[N_CERTS - 50].sha1);
	assert_non_null(x);
	X509_free(x);
	start(t, "/c/0.der", G.c[0].sha1, &g);
	assert_true(run_until(t, &g.calls, 1, GUARD_MS));
	assert_int_equal(g.res, IKE_CF_OK);
	got_clear(&g);
	assert_int_equal(stats(t).cache_evicted, N_CERTS - 50 + 1);
	memset(&s, 0, sizeof(s));
	ike_certfetch_foreach(t->f, each_cb, &s);
	assert_int_equal(s.n, 50);
	assert_memory_equal(s.sha1[0], G.c[0].sha1, 20);
	assert_memory_equal(s.sha1[1], G.c[N_CERTS - 50].sha1, 20);
	for (unsigned i = 2; i < 50; i++)
		assert_memory_equal(s.sha1[i], G.c[N_CERTS + 1 - i].sha1, 20);
	assert_null(ike_certfetch_cached(t->f, G.c[N_CERTS - 49].sha1));

	/* A reload with a smaller cache drops the least recently used. */
	cfg.cache_max = 10;
	ike_certfetch_set_cfg(t->f, &cfg);
	st = stats(t);
	assert_int_equal(st.cached, 10);
	assert_int_equal(st.cache_evicted, N_CERTS - 50 + 1 + 40);
	memset(&s, 0, sizeof(s));
	ike_certfetch_foreach(t->f, each_cb, &s);
	assert_int_equal(s.n, 10);
	assert_memory_equal(s.sha1[0], G.c[0].sha1, 20);
	assert_memory_equal(s.sha1[9], G.c[N_CERTS - 8].sha1, 20);
	/* And a larger one keeps what is there. */
	cfg.cache_max = 5000;
	ike_certfetch_set_cfg(t->f, &cfg);
	x = ike_certfetch_cached(t->f, G.c[0].sha1);
	assert_non_null(x);
	X509_free(x);
	assert_int_equal(stats(t).cached, 10);
}

static void raw(struct t *t, const char *path, struct got *g)
{
	char url[256];

	url_of(t, path, url, sizeof(url));
	assert_non_null(ike_certfetch_get_raw(t->f, url, got_raw_cb, g));
	assert_int_equal(g->calls, 0);
	assert_true(run_until(t, &g->calls, 1, GUARD_MS));
	assert_int_equal(strncmp(g->why, url, strlen(url)), 0);
}

static void test_raw(void **state)
{
	struct t *t = *state;
	struct ike_certfetch_cfg cfg = { .max_bytes = 1000 };
	struct got g = { 0 };

	raw(t, "/crl", &g);
	assert_int_equal(g.res, IKE_CF_OK);
	assert_int_equal(g.len, G.crl.len);
	assert_memory_equal(g.body, G.crl.der, G.crl.len);
	got_clear(&g);

	ike_certfetch_set_cfg(t->f, &cfg);
	t->big = 1000;
	raw(t, "/exact", &g); /* exactly the limit is fine */
	assert_int_equal(g.res, IKE_CF_OK);
	assert_int_equal(g.len, 1000);
	got_clear(&g);
	raw(t, "/big", &g);
	assert_int_equal(g.res, IKE_CF_TOO_BIG);
	assert_non_null(strstr(g.why, ": more than 1000 bytes"));
	assert_null(g.body);
	got_clear(&g);
	raw(t, "/bigchunked", &g);
	assert_int_equal(g.res, IKE_CF_TOO_BIG);
	got_clear(&g);
	raw(t, "/nothing-here", &g);
	assert_int_equal(g.res, IKE_CF_HTTP_STATUS);
	assert_non_null(strstr(g.why, ": HTTP 404 Not Found"));
	got_clear(&g);
	assert_stats(t, 2, 1, 0, 0, 2);
	assert_int_equal(stats(t).cached, 0); /* raw bodies are not cached */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_and_cache_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_loop_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_cert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
	};

	/* The server writes to clients that hung up on it (as the daemon,
	 * which ignores SIGPIPE too). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
