/*
 * Hash and URL certificate fetching (RFC 7296 3.6; see ike_certfetch.h).
 *
 * One struct cf_fetch per HTTP GET, each with its own evhttp_connection
 * (dropping one never disturbs another), a deadline timer for the whole
 * fetch and a zero-delay "done" timer.  The evhttp callbacks only record
 * the outcome and arm "done"; the waiters are called from "done", one of
 * our own events, never from inside evhttp.  So a user callback may start
 * and cancel fetches freely, and a connection is only ever freed outside
 * of its own callbacks (evhttp 2.1 touches the connection and the request
 * after calling us; freeing them there is how use-after-free starts).
 *
 * The cache is a chained hash table keyed by the SHA-1, plus an intrusive
 * LRU list (most recently used at the head).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/util.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_certfetch.h"

#define SHA1_LEN IKE_CERTFETCH_SHA1_LEN
#define URL_SHOWN 256	    /* octets of a URL quoted in a why string */
#define WHY_MAX (URL_SHOWN + 320)
#define HEADERS_MAX 16384   /* response status line and headers */
#define JOIN_BUCKETS 64	    /* in-flight fetches, by hash */
#define MIN_BUCKETS 16

struct cf_fetch;

/* A waiter: the handle ike_certfetch_get() returns. */
struct ike_certfetch_req {
	struct cf_fetch *fx;
	TAILQ_ENTRY(ike_certfetch_req) link;  /* fx->waiters */
	ike_certfetch_cb cb;	     /* certificate fetch */
	ike_certfetch_raw_cb raw_cb; /* or raw fetch */
	void *arg;
};

struct cf_fetch {
	struct ike_certfetch *f;
	LIST_ENTRY(cf_fetch) link;    /* f->fetches */
	struct cf_fetch *jnext;	      /* f->join[] chain while joined */
	bool raw, joined, have_res, delivering;
	bool connected; /* the TCP connection was up at some point */
	bool by_name;	/* host is a name: evdns looks it up */
	uint8_t sha1[SHA1_LEN];
	char *url; /* NUL-terminated copy, NULL when longer than allowed */
	size_t url_len;
	char shown[URL_SHOWN + 8]; /* url made safe for a log line */
	uint32_t timeout_ms;
	size_t max_bytes;
	struct evhttp_connection *conn;
	struct evhttp_request *req; /* NULL once evhttp let go of it */
	struct event *deadline, *done_ev;
	uint8_t *body;
	size_t len, cap;
	int status; /* of a complete response */
	/* IKE_CF_OK until cf_done_cb(): a complete response, for
	 * ike_certfetch_judge() to decide on */
	enum ike_certfetch_result res;
	char why[WHY_MAX];
	TAILQ_HEAD(, ike_certfetch_req) waiters;
};

struct cf_entry {
	uint8_t sha1[SHA1_LEN];
	X509 *cert;
	char *url;
	uint64_t hits;
	time_t fetched_at;
	struct cf_entry *hnext;	      /* bucket chain */
	TAILQ_ENTRY(cf_entry) lru;    /* f->lru, most recently used first */
};

struct ike_certfetch {
	struct event_base *base;
	struct evdns_base *dns;
	struct ike_certfetch_cfg cfg;
	uint64_t hkey[3]; /* keys the bucket hash: see cf_hash() */
	struct cf_entry **tab;
	size_t tab_size; /* power of two */
	TAILQ_HEAD(cf_lru, cf_entry) lru;
	unsigned n_cached;
	LIST_HEAD(, cf_fetch) fetches;
	unsigned n_fetches;
	struct cf_fetch *join[JOIN_BUCKETS];
	struct ike_certfetch_stats st; /* counters; cached/in_flight unused */
};

static const char *const result_names[] = {
	[IKE_CF_OK] = "ok",
	[IKE_CF_FAILED] = "failed",
	[IKE_CF_TIMEOUT] = "timeout",
	[IKE_CF_HASH_MISMATCH] = "hash mismatch",
	[IKE_CF_TOO_BIG] = "too big",
	[IKE_CF_BAD_URL] = "bad URL",
	[IKE_CF_HTTP_STATUS] = "HTTP status",
	[IKE_CF_REDIRECT] = "redirect",
	[IKE_CF_NOT_CERT] = "not a certificate",
};

const char *ike_certfetch_result_name(enum ike_certfetch_result res)
{
	if ((unsigned)res >= sizeof(result_names) / sizeof(result_names[0]))
		return "?";
	return result_names[res];
}

/* ---- configuration ---- */

static void cf_cfg_norm(const struct ike_certfetch_cfg *in,
			struct ike_certfetch_cfg *out)
{
	struct ike_certfetch_cfg c = { 0 };

	if (in)
		c = *in;
	if (!c.cache_max)
		c.cache_max = IKE_CERTFETCH_DEF_CACHE_MAX;
	if (c.cache_max > IKE_CERTFETCH_CACHE_LIMIT)
		c.cache_max = IKE_CERTFETCH_CACHE_LIMIT;
	if (!c.timeout_ms)
		c.timeout_ms = IKE_CERTFETCH_DEF_TIMEOUT_MS;
	if (c.timeout_ms > IKE_CERTFETCH_TIMEOUT_LIMIT)
		c.timeout_ms = IKE_CERTFETCH_TIMEOUT_LIMIT;
	if (!c.max_bytes)
		c.max_bytes = IKE_CERTFETCH_DEF_MAX_BYTES;
	if (c.max_bytes > IKE_CERTFETCH_BYTES_LIMIT)
		c.max_bytes = IKE_CERTFETCH_BYTES_LIMIT;
	*out = c;
}

/* ---- cache ---- */

static uint64_t cf_fmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The peer picks the certificate, hence the hash: with a fixed bucket
 * function it could grind certificates into one chain and make every
 * lookup walk cache_max entries.  A random key per fetcher mixed into the
 * whole hash makes the chain of a hash unpredictable.  Not a MAC, only a
 * cheap guard for a table that holds verified SHA-1 values anyway. */
static size_t cf_hash(const struct ike_certfetch *f, const uint8_t *h,
		      size_t mask)
{
	uint64_t w[3] = { 0, 0, 0 };

	memcpy(&w[0], h, 8);
	memcpy(&w[1], h + 8, 8);
	memcpy(&w[2], h + 16, 4);
	return (size_t)(cf_fmix(w[0] ^ f->hkey[0]) ^
			cf_fmix((w[1] ^ f->hkey[1]) + 0x9e3779b97f4a7c15ULL) ^
			cf_fmix((w[2] ^ f->hkey[2]) + 0x3c6ef372fe94f82aULL)) &
	       mask;
}

static struct cf_entry *cf_lookup(const struct ike_certfetch *f,
				  const uint8_t *sha1)
{
	struct cf_entry *e = f->tab[cf_hash(f, sha1, f->tab_size - 1)];

	for (; e; e = e->hnext)
		if (!memcmp(e->sha1, sha1, SHA1_LEN))
			return e;
	return NULL;
}

/* e becomes the most recently used (it is in the list already) */
static void lru_touch(struct ike_certfetch *f, struct cf_entry *e)
{
	TAILQ_REMOVE(&f->lru, e, lru);
	TAILQ_INSERT_HEAD(&f->lru, e, lru);
}

static void cf_entry_free(struct cf_entry *e)
{
	X509_free(e->cert);
	free(e->url);
	free(e);
}

static void cf_evict(struct ike_certfetch *f, struct cf_entry *e)
{
	struct cf_entry **pp = &f->tab[cf_hash(f, e->sha1, f->tab_size - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	TAILQ_REMOVE(&f->lru, e, lru);
	f->n_cached--;
	f->st.cache_evicted++;
	cf_entry_free(e);
}

static void cf_trim(struct ike_certfetch *f, unsigned max)
{
	while (f->n_cached > max)
		cf_evict(f, TAILQ_LAST(&f->lru, cf_lru));
}

static size_t cf_buckets_for(unsigned max)
{
	size_t n = MIN_BUCKETS;

	while (n < max)
		n <<= 1;
	return n;
}

/* One bucket per entry at most; keeps the old table when out of memory
 * (longer chains, still correct). */
static int cf_resize(struct ike_certfetch *f, size_t n)
{
	struct cf_entry **tab;

	if (n == f->tab_size)
		return 0;
	if (!(tab = calloc(n, sizeof(*tab))))
		return -ENOMEM;
	struct cf_entry *e;

	TAILQ_FOREACH(e, &f->lru, lru) {
		size_t i = cf_hash(f, e->sha1, n - 1);

		e->hnext = tab[i];
		tab[i] = e;
	}
	free(f->tab);
	f->tab = tab;
	f->tab_size = n;
	return 0;
}

static void cf_cache_put(struct ike_certfetch *f, const uint8_t *sha1,
			 X509 *cert, const char *url)
{
	struct cf_entry *e = cf_lookup(f, sha1);
	size_t i;

	if (e) { /* fetched twice from two URLs: keep the first */
		lru_touch(f, e);
		return;
	}
	if (!(e = calloc(1, sizeof(*e))) || !(e->url = strdup(url))) {
		free(e);
		ipx_warn("certfetch: %s: out of memory, certificate not cached",
			 url);
		return;
	}
	memcpy(e->sha1, sha1, SHA1_LEN);
	X509_up_ref(cert);
	e->cert = cert;
	e->fetched_at = time(NULL);
	i = cf_hash(f, sha1, f->tab_size - 1);
	e->hnext = f->tab[i];
	f->tab[i] = e;
	TAILQ_INSERT_HEAD(&f->lru, e, lru);
	f->n_cached++;
	cf_trim(f, f->cfg.cache_max);
}

X509 *ike_certfetch_cached(struct ike_certfetch *f, const uint8_t sha1[20])
{
	struct cf_entry *e;

	if (!f || !sha1 || !(e = cf_lookup(f, sha1)))
		return NULL;
	e->hits++;
	f->st.cache_hits++;
	lru_touch(f, e);
	X509_up_ref(e->cert);
	return e->cert;
}

void ike_certfetch_foreach(const struct ike_certfetch *f,
			   ike_certfetch_each_cb cb, void *arg)
{
	const struct cf_entry *e;

	TAILQ_FOREACH(e, &f->lru, lru)
		cb(arg, e->sha1, e->cert, e->url, e->hits, e->fetched_at);
}

/* ---- fetches: bookkeeping ---- */

static size_t join_bucket(const struct ike_certfetch *f, const uint8_t *sha1)
{
	return cf_hash(f, sha1, JOIN_BUCKETS - 1);
}

static void cf_unjoin(struct cf_fetch *fx)
{
	struct cf_fetch **pp;

	if (!fx->joined)
		return;
	pp = &fx->f->join[join_bucket(fx->f, fx->sha1)];
	while (*pp != fx)
		pp = &(*pp)->jnext;
	*pp = fx->jnext;
	fx->jnext = NULL;
	fx->joined = false;
}

static struct cf_fetch *cf_join_find(struct ike_certfetch *f,
				     const uint8_t *sha1, const char *url,
				     size_t url_len)
{
	struct cf_fetch *fx = f->join[join_bucket(f, sha1)];

	for (; fx; fx = fx->jnext)
		if (!memcmp(fx->sha1, sha1, SHA1_LEN) &&
		    fx->url_len == url_len && !memcmp(fx->url, url, url_len))
			return fx;
	return NULL;
}

static void waiter_unlink(struct cf_fetch *fx, struct ike_certfetch_req *w)
{
	TAILQ_REMOVE(&fx->waiters, w, link);
}

static void waiter_add(struct cf_fetch *fx, struct ike_certfetch_req *w)
{
	w->fx = fx;
	TAILQ_INSERT_TAIL(&fx->waiters, w, link);
}

/* Let go of the HTTP side.  Only from our own events or the API, never
 * from an evhttp callback of this connection. */
static void cf_drop_conn(struct cf_fetch *fx)
{
	struct evhttp_request *req = fx->req;

	if (req) {
		/* Resets the connection, which also cancels a DNS lookup in
		 * progress; evhttp frees req and calls only the error
		 * callback (EVREQ_HTTP_REQUEST_CANCEL, ignored). */
		fx->req = NULL;
		evhttp_cancel_request(req);
	}
	if (fx->conn) {
		evhttp_connection_free(fx->conn);
		fx->conn = NULL;
	}
	if (fx->deadline)
		evtimer_del(fx->deadline);
}

/* Unlinks and frees fx; its waiters must be gone. */
static void cf_fetch_free(struct cf_fetch *fx)
{
	struct ike_certfetch *f = fx->f;

	cf_unjoin(fx);
	cf_drop_conn(fx);
	LIST_REMOVE(fx, link);
	if (!fx->delivering) /* else already uncounted */
		f->n_fetches--;
	if (fx->deadline)
		event_free(fx->deadline);
	if (fx->done_ev)
		event_free(fx->done_ev);
	free(fx->body);
	free(fx->url);
	free(fx);
}

static void cf_vwhy(struct cf_fetch *fx, const char *fmt, va_list ap)
{
	int n = snprintf(fx->why, sizeof(fx->why), "%s: ", fx->shown);

	if (n >= 0 && (size_t)n < sizeof(fx->why))
		vsnprintf(fx->why + n, sizeof(fx->why) - (size_t)n, fmt, ap);
}

/* Record the outcome (the first one wins) and schedule the delivery. */
__attribute__((format(printf, 3, 4))) static void
cf_set(struct cf_fetch *fx, enum ike_certfetch_result res, const char *fmt, ...)
{
	static const struct timeval now = { 0, 0 };
	va_list ap;

	if (fx->have_res)
		return;
	fx->have_res = true;
	fx->res = res;
	va_start(ap, fmt);
	cf_vwhy(fx, fmt, ap);
	va_end(ap);
	if (fx->deadline)
		evtimer_del(fx->deadline);
	evtimer_add(fx->done_ev, &now);
}

/* Replace the outcome while delivering (the checks of the body). */
__attribute__((format(printf, 3, 4))) static void
cf_final(struct cf_fetch *fx, enum ike_certfetch_result res, const char *fmt,
	 ...)
{
	va_list ap;

	fx->res = res;
	va_start(ap, fmt);
	cf_vwhy(fx, fmt, ap);
	va_end(ap);
}

/* The URL for a log line: non-printable octets as \xNN, cut with "..."
 * after about cap - 8 characters. */
static void cf_show(const char *url, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (o + 8 > cap) { /* room for one \xNN and "..." */
			memcpy(out + o, "...", 4);
			return;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
}


static void cf_fmt_ms(uint32_t ms, char *out, size_t cap)
{
	if (ms % 1000)
		snprintf(out, cap, "%u ms", (unsigned)ms);
	else
		snprintf(out, cap, "%u s", (unsigned)(ms / 1000));
}

/* Reason phrases and header values come from the server: printable only,
 * and short. */
static void cf_sanitize(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; in && *in && o + 1 < cap; in++)
		out[o++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[o] = '\0';
}

/* ---- fetches: evhttp callbacks (record only) ---- */

/* The connection failed before a response: DNS, connect, or a close. */
static void cf_set_conn_failed(struct cf_fetch *fx, const char *what)
{
	struct bufferevent *bev =
		fx->conn ? evhttp_connection_get_bufferevent(fx->conn) : NULL;
	int dns_err = bev ? bufferevent_socket_get_dns_error(bev) : 0;
	char *host = NULL;
	ev_uint16_t port = 0;

	if (dns_err) {
		cf_set(fx, IKE_CF_FAILED, "cannot resolve the host: %s",
		       evutil_gai_strerror(dns_err));
		return;
	}
	if (!fx->connected) {
		if (fx->conn)
			evhttp_connection_get_peer(fx->conn, &host, &port);
		cf_set(fx, IKE_CF_FAILED, "cannot connect to %s port %u",
		       host ? host : "the host", (unsigned)port);
		return;
	}
	cf_set(fx, IKE_CF_FAILED, "%s", what);
}

/* evhttp closes a connection that was up (its reset, before it calls the
 * error callback; or our evhttp_connection_free()). */
static void cf_http_closed(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	((struct cf_fetch *)arg)->connected = true;
}

static void cf_timed_out(struct cf_fetch *fx)
{
	char t[32];

	cf_fmt_ms(fx->timeout_ms, t, sizeof(t));
	cf_set(fx, IKE_CF_TIMEOUT, "timed out after %s", t);
}

/* What a status says before the body counts. */
static enum ike_certfetch_result cf_status(int code)
{
	if (code >= 300 && code < 400)
		return IKE_CF_REDIRECT;
	return code == 200 ? IKE_CF_OK : IKE_CF_HTTP_STATUS;
}

/* Status line and headers are in: refuse early what we will not take,
 * before any of the body is read. */
static int cf_http_header(struct evhttp_request *req, void *arg)
{
	struct cf_fetch *fx = arg;
	int code = evhttp_request_get_response_code(req);
	const char *cl;
	char phrase[80];

	if (code == 100) /* evhttp skips it and reads the real response */
		return 0;
	if (cf_status(code) == IKE_CF_REDIRECT) {
		/* 3.6 gives the URL of the certificate, not of something
		 * that points elsewhere: following redirects would let the
		 * peer send us anywhere, on any port. */
		cf_set(fx, IKE_CF_REDIRECT, "redirect (HTTP %d) not followed",
		       code);
		goto drop;
	}
	if (cf_status(code) != IKE_CF_OK) {
		cf_sanitize(evhttp_request_get_response_code_line(req), phrase,
			    sizeof(phrase));
		cf_set(fx, IKE_CF_HTTP_STATUS, "HTTP %d%s%s", code,
		       *phrase ? " " : "", phrase);
		goto drop;
	}
	cl = evhttp_find_header(evhttp_request_get_input_headers(req),
				"Content-Length");
	if (cl) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (end != cl && !*end && (errno == ERANGE || n > fx->max_bytes)) {
			cf_set(fx, IKE_CF_TOO_BIG, "more than %zu bytes",
			       fx->max_bytes);
			goto drop;
		}
	}
	return 0;
drop:
	fx->req = NULL; /* evhttp fails and frees it when we say -1 */
	return -1;
}

/* Append what evhttp has read of the body to ours: false (and the
 * outcome recorded) when that passes max_bytes or memory runs out. */
static bool cf_body_add(struct cf_fetch *fx, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in);

	if (n > fx->max_bytes - fx->len) {
		cf_set(fx, IKE_CF_TOO_BIG, "more than %zu bytes", fx->max_bytes);
		return false;
	}
	if (fx->len + n > fx->cap) {
		size_t cap = fx->cap ? fx->cap : 4096;
		uint8_t *p;

		while (cap < fx->len + n)
			cap *= 2;
		if (cap > fx->max_bytes)
			cap = fx->max_bytes;
		if (!(p = realloc(fx->body, cap))) {
			cf_set(fx, IKE_CF_FAILED, "out of memory");
			return false;
		}
		fx->body = p;
		fx->cap = cap;
	}
	evbuffer_remove(in, fx->body + fx->len, n);
	fx->len += n;
	return true;
}

/* A piece of the body (evhttp drains its buffer after this).  evhttp's
 * own max_body_size normally stops an oversized body before we see it;
 * this check holds whatever the transfer encoding. */
static void cf_http_chunk(struct evhttp_request *req, void *arg)
{
	struct cf_fetch *fx = arg;

	if (fx->have_res)
		return;
	if (!cf_body_add(fx, evhttp_request_get_input_buffer(req))) {
		/* Close the connection now rather than read on: evhttp
		 * resets it, and frees req once we return (it holds it while
		 * in here). */
		fx->req = NULL;
		evhttp_cancel_request(req);
	}
}

static void cf_http_error(enum evhttp_request_error err, void *arg)
{
	struct cf_fetch *fx = arg;
	char what[96];

	fx->req = NULL; /* evhttp is failing and freeing it */
	switch (err) {
	case EVREQ_HTTP_REQUEST_CANCEL: /* ours */
		return;
	case EVREQ_HTTP_TIMEOUT: /* its own I/O timeout, set past ours */
		cf_timed_out(fx);
		return;
	case EVREQ_HTTP_DATA_TOO_LONG:
		/* Over evhttp_connection_set_max_body_size (libevent 2.1
		 * also says this of a malformed chunk size line). */
		cf_set(fx, IKE_CF_TOO_BIG, "more than %zu bytes", fx->max_bytes);
		return;
	case EVREQ_HTTP_INVALID_HEADER:
		cf_set(fx, IKE_CF_FAILED, "malformed HTTP response");
		return;
	case EVREQ_HTTP_BUFFER_ERROR:
		snprintf(what, sizeof(what), "connection error: %s",
			 strerror(errno));
		cf_set_conn_failed(fx, what);
		return;
	case EVREQ_HTTP_EOF:
	default:
		cf_set_conn_failed(fx, "connection closed before a complete "
				       "response");
		return;
	}
}

/* The request is over: a complete response, or a failure (req NULL after
 * cf_http_error(), or response code 0 when the connect failed). */
static void cf_http_done(struct evhttp_request *req, void *arg)
{
	struct cf_fetch *fx = arg;

	fx->req = NULL;
	if (fx->have_res)
		return;
	if (!req || evhttp_request_get_response_code(req) == 0) {
		cf_set_conn_failed(fx, "no response");
		return;
	}
	/* The chunk callback has taken everything of a 200; anything left
	 * over goes through the same size check (evhttp closes the
	 * connection when we return: nothing to drop).  Any other status
	 * (the header callback refused it already) keeps no body. */
	fx->status = evhttp_request_get_response_code(req);
	if (fx->status == 200 &&
	    !cf_body_add(fx, evhttp_request_get_input_buffer(req)))
		return;
	/* complete: cf_done_cb() has ike_certfetch_judge() decide */
	cf_set(fx, IKE_CF_OK, "HTTP %d, %zu bytes", fx->status, fx->len);
}

static void cf_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_fetch *fx = arg;

	(void)fd;
	(void)what;
	cf_timed_out(fx);
	cf_drop_conn(fx); /* our event: safe to free the connection */
}

/* ---- fetches: delivery ---- */

__attribute__((format(printf, 4, 5))) static enum ike_certfetch_result
verdict(enum ike_certfetch_result res, char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return res;
}

/* 3.6: the hash is "the SHA-1 hash of the DER-encoded certificate".  It is
 * checked before the bytes go anywhere near the ASN.1 decoder, so that only
 * what the (authenticated-to-be) peer vouched for is parsed.  Then the body
 * must be one DER certificate and nothing else. */
static enum ike_certfetch_result cf_body_cert(const uint8_t *body, size_t len,
					      const uint8_t *sha1, X509 **cert,
					      char *why, size_t n)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;
	const unsigned char *p = body;
	char got[2 * SHA1_LEN + 1], want[2 * SHA1_LEN + 1];
	X509 *x;

	if (!EVP_Digest(body, len, md, &md_len, EVP_sha1(), NULL) ||
	    md_len != SHA1_LEN) {
		ERR_clear_error();
		return verdict(IKE_CF_FAILED, why, n, "SHA-1 not available from OpenSSL");
	}
	if (CRYPTO_memcmp(md, sha1, SHA1_LEN)) {
		ipx_hex(md, SHA1_LEN, got);
		ipx_hex(sha1, SHA1_LEN, want);
		return verdict(IKE_CF_HASH_MISMATCH, why, n,
			       "SHA-1 of the fetched bytes is %s, the peer announced %s",
			       got, want);
	}
	if (len > (size_t)LONG_MAX || !(x = d2i_X509(NULL, &p, (long)len))) {
		ERR_clear_error();
		return verdict(IKE_CF_NOT_CERT, why, n, "not a DER certificate");
	}
	if (p != body + len) {
		X509_free(x);
		return verdict(IKE_CF_NOT_CERT, why, n,
			       "not a DER certificate (%zu bytes after it)",
			       (size_t)(body + len - p));
	}
	if (cert)
		*cert = x;
	else
		X509_free(x);
	return verdict(IKE_CF_OK, why, n, "certificate fetched (%zu bytes)", len);
}

enum ike_certfetch_result ike_certfetch_judge(int status, const uint8_t *body,
					      size_t len, size_t max,
					      const uint8_t sha1[20], X509 **cert,
					      char *why, size_t n)
{
	if (cert)
		*cert = NULL;
	switch (cf_status(status)) {
	case IKE_CF_REDIRECT:
		return verdict(IKE_CF_REDIRECT, why, n,
			       "redirect (HTTP %d) not followed", status);
	case IKE_CF_HTTP_STATUS:
		return verdict(IKE_CF_HTTP_STATUS, why, n, "HTTP %d", status);
	default:
		break;
	}
	if (len > max)
		return verdict(IKE_CF_TOO_BIG, why, n, "more than %zu bytes", max);
	if (!len || !body)
		return verdict(IKE_CF_FAILED, why, n, "HTTP 200 with an empty body");
	if (!sha1)
		return verdict(IKE_CF_OK, why, n, "%zu bytes", len);
	return cf_body_cert(body, len, sha1, cert, why, n);
}

/* A complete response: its outcome, and into the cache if it is a
 * certificate (*cert, a reference for the caller). */
static void cf_judge(struct cf_fetch *fx, X509 **cert)
{
	char why[WHY_MAX];
	enum ike_certfetch_result res;

	res = ike_certfetch_judge(fx->status, fx->body, fx->len, fx->max_bytes,
				  fx->raw ? NULL : fx->sha1, cert, why, sizeof(why));
	cf_final(fx, res, "%s", why);
	if (*cert)
		cf_cache_put(fx->f, fx->sha1, *cert, fx->url);
}

static void cf_count(struct ike_certfetch *f, enum ike_certfetch_result res)
{
	switch (res) {
	case IKE_CF_OK:
		f->st.ok++;
		break;
	case IKE_CF_TIMEOUT:
		f->st.timed_out++;
		break;
	case IKE_CF_HASH_MISMATCH:
		f->st.hash_mismatch++;
		break;
	case IKE_CF_TOO_BIG:
		f->st.too_big++;
		break;
	default:
		f->st.failed++;
		break;
	}
}

static void cf_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct cf_fetch *fx = arg;
	struct ike_certfetch *f = fx->f;
	struct ike_certfetch_req *w;
	X509 *cert = NULL;
	bool ok;

	(void)fd;
	(void)what;
	/* From here on nobody joins: a new request for the same hash finds
	 * the cache, or starts afresh after a failure. */
	cf_unjoin(fx);
	cf_drop_conn(fx);
	fx->delivering = true;
	f->n_fetches--;
	if (fx->res == IKE_CF_OK) /* a complete response */
		cf_judge(fx, &cert);
	cf_count(f, fx->res);
	/* a failure is logged by its waiters, who know the exchange */
	if (fx->res == IKE_CF_OK)
		ipx_info("certfetch: %s", fx->why);
	else
		ipx_dbg("certfetch: %s", fx->why);
	ok = fx->res == IKE_CF_OK;
	while ((w = TAILQ_FIRST(&fx->waiters))) {
		waiter_unlink(fx, w);
		/* Detached: ike_certfetch_cancel(w) from inside its own
		 * callback (the IKE SA going down) is a no-op. */
		w->fx = NULL;
		if (fx->raw)
			w->raw_cb(w->arg, fx->res, ok ? fx->body : NULL,
				  ok ? fx->len : 0, fx->why);
		else
			w->cb(w->arg, fx->res, cert, fx->why);
		free(w);
	}
	X509_free(cert);
	cf_fetch_free(fx);
}

/* ---- fetches: start ---- */

/* The checks evhttp_uri_parse() does not make; a reason or NULL. */
static const char *cf_url_precheck(const char *url, size_t len, char *buf,
				   size_t cap)
{
	if (!len)
		return "empty URL";
	if (len > IKE_CERTFETCH_URL_MAX) {
		snprintf(buf, cap, "URL longer than %u bytes",
			 IKE_CERTFETCH_URL_MAX);
		return buf;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= 0x20 || c >= 0x7f) {
			snprintf(buf, cap,
				 "byte 0x%02x at offset %zu is not printable "
				 "ASCII",
				 c, i);
			return buf;
		}
	}
	if (len < 7 || strncasecmp(url, "http://", 7)) {
		/* 3.6 has HTTP URLs only; https would need a trust anchor
		 * for the server before we trust the peer, and no other
		 * scheme is fetched. */
		if (memchr(url, ':', len))
			return "only http:// URLs are fetched";
		return "not an http:// URL";
	}
	return NULL;
}

/* The split of a URL that passed cf_url_precheck() (NUL-terminated). */
static const char *cf_url_split(const char *url, struct ike_certfetch_url *out)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *h, *path, *query, *bad = NULL;
	struct in6_addr a;
	int uport;
	size_t hl;

	if (!u)
		return "malformed URL";
	h = evhttp_uri_get_host(u);
	uport = evhttp_uri_get_port(u);
	path = evhttp_uri_get_path(u);
	query = evhttp_uri_get_query(u);
	if (evhttp_uri_get_userinfo(u)) {
		bad = "user name or password in the URL";
		goto out;
	}
	if (!h || !*h) {
		bad = "no host in the URL";
		goto out;
	}
	if (!uport) {
		bad = "port 0";
		goto out;
	}
	out->port = (uint16_t)(uport < 0 ? 80 : uport);
	hl = strlen(h);
	if (h[0] == '[') { /* IP-literal: the address without brackets */
		if (hl < 3 || h[1] == 'v' || h[1] == 'V') {
			bad = "unsupported address literal";
			goto out;
		}
		memcpy(out->host, h + 1, hl - 2);
		out->host[hl - 2] = '\0';
	} else {
		memcpy(out->host, h, hl + 1);
	}
	out->by_name = evutil_inet_pton(AF_INET, out->host, &a) != 1 &&
		       evutil_inet_pton(AF_INET6, out->host, &a) != 1;
	/* Host as in the URL, with the port only if the URL had one
	 * (RFC 7230 5.4). */
	if (uport > 0)
		snprintf(out->host_hdr, sizeof(out->host_hdr), "%s:%d", h, uport);
	else
		snprintf(out->host_hdr, sizeof(out->host_hdr), "%s", h);
	snprintf(out->target, sizeof(out->target), "%s%s%s",
		 path && *path ? path : "/", query ? "?" : "", query ? query : "");
out:
	evhttp_uri_free(u);
	return bad;
}

int ike_certfetch_url_parse(const char *url, size_t len,
			    struct ike_certfetch_url *out, char *why, size_t n)
{
	char buf[IKE_CERTFETCH_URL_MAX + 1], tmp[96];
	const char *bad;

	if (!url)
		len = 0;
	memset(out, 0, sizeof(*out));
	/* precheck: no NUL inside, at most IKE_CERTFETCH_URL_MAX octets */
	if (!(bad = cf_url_precheck(url, len, tmp, sizeof(tmp)))) {
		memcpy(buf, url, len);
		buf[len] = '\0';
		bad = cf_url_split(buf, out);
	}
	if (!bad)
		return 0;
	if (why && n)
		snprintf(why, n, "%s", bad);
	return -EINVAL;
}

/* Connect to u, send the GET; the outcome comes through the callbacks.
 * 0 or -ENOMEM. */
static int cf_http_start(struct cf_fetch *fx, const struct ike_certfetch_url *u)
{
	struct ike_certfetch *f = fx->f;
	struct evhttp_request *req;
	struct evkeyvalq *hdrs;
	struct timeval tv;

	fx->by_name = u->by_name;
	/* Never evhttp without a DNS base: it would call a blocking
	 * getaddrinfo(). */
	if (!(fx->deadline = evtimer_new(f->base, cf_deadline_cb, fx)) ||
	    !(fx->conn = evhttp_connection_base_new(f->base, f->dns, u->host,
						    u->port)))
		return -ENOMEM;
	evhttp_connection_set_retries(fx->conn, 0);
	evhttp_connection_set_closecb(fx->conn, cf_http_closed, fx);
	evhttp_connection_set_max_headers_size(fx->conn, HEADERS_MAX);
	evhttp_connection_set_max_body_size(fx->conn, (ev_ssize_t)fx->max_bytes);
	/* evhttp's own connect/read/write timeouts only as a backstop, a
	 * second after our deadline for the whole fetch (theirs restart on
	 * every read: a server trickling a byte at a time would never hit
	 * them). */
	tv.tv_sec = (time_t)(fx->timeout_ms / 1000 + 1);
	tv.tv_usec = (suseconds_t)(fx->timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(fx->conn, &tv);

	if (!(req = evhttp_request_new(cf_http_done, fx)))
		return -ENOMEM;
	evhttp_request_set_header_cb(req, cf_http_header);
	evhttp_request_set_chunked_cb(req, cf_http_chunk);
	evhttp_request_set_error_cb(req, cf_http_error);
	hdrs = evhttp_request_get_output_headers(req);
	if (evhttp_add_header(hdrs, "Host", u->host_hdr) ||
	    evhttp_add_header(hdrs, "Connection", "close") ||
	    evhttp_add_header(hdrs, "Accept",
			      fx->raw ? "*/*" : "application/pkix-cert, */*")) {
		evhttp_request_free(req);
		return -ENOMEM;
	}

	tv.tv_sec = (time_t)(fx->timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(fx->timeout_ms % 1000) * 1000;
	evtimer_add(fx->deadline, &tv);
	fx->req = req;
	/* A connect that fails at once calls cf_http_done() from in here
	 * (recorded, delivered later).  -1 is a failed strdup of the target,
	 * after which evhttp has freed req. */
	if (evhttp_make_request(fx->conn, req, EVHTTP_REQ_GET, u->target)) {
		fx->req = NULL;
		cf_set(fx, IKE_CF_FAILED, "cannot start the HTTP request");
	}
	return 0;
}

static struct cf_fetch *cf_fetch_new(struct ike_certfetch *f, bool raw,
				     const uint8_t *sha1, const char *url,
				     size_t url_len)
{
	struct cf_fetch *fx = calloc(1, sizeof(*fx));
	struct ike_certfetch_url u;
	char why[96];

	if (!fx)
		return NULL;
	fx->f = f;
	fx->raw = raw;
	if (sha1)
		memcpy(fx->sha1, sha1, SHA1_LEN);
	fx->timeout_ms = f->cfg.timeout_ms;
	fx->max_bytes = f->cfg.max_bytes;
	cf_show(url, url_len, fx->shown, sizeof(fx->shown));
	TAILQ_INIT(&fx->waiters);
	LIST_INSERT_HEAD(&f->fetches, fx, link);
	f->n_fetches++;
	if (!(fx->done_ev = evtimer_new(f->base, cf_done_cb, fx)))
		goto nomem;

	if (ike_certfetch_url_parse(url, url_len, &u, why, sizeof(why))) {
		/* Reported through the callback like any outcome, from the
		 * loop: the caller never sees its callback run before
		 * ike_certfetch_get() returned. */
		cf_set(fx, IKE_CF_BAD_URL, "%s", why);
		return fx;
	}
	/* a peer triggers fetches before it is authenticated: so many at a
	 * time, each with its timeout and size limit, and no more */
	if (f->n_fetches > IKE_CERTFETCH_INFLIGHT_MAX) {
		cf_set(fx, IKE_CF_FAILED, "%s: %u fetches in flight already",
		       fx->shown, IKE_CERTFETCH_INFLIGHT_MAX);
		return fx;
	}
	if (!(fx->url = malloc(url_len + 1)))
		goto nomem;
	memcpy(fx->url, url, url_len);
	fx->url[url_len] = '\0';
	fx->url_len = url_len;
	if (cf_http_start(fx, &u))
		goto nomem;
	if (!raw && !fx->have_res) {
		size_t b = join_bucket(f, fx->sha1);

		fx->jnext = f->join[b];
		f->join[b] = fx;
		fx->joined = true;
	}
	return fx;
nomem:
	cf_fetch_free(fx);
	return NULL;
}

/* ---- API ---- */

struct ike_certfetch *ike_certfetch_new(struct event_base *base,
					const struct ike_certfetch_cfg *cfg)
{
	struct ike_certfetch *f;

	if (!base || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->base = base;
	TAILQ_INIT(&f->lru);
	LIST_INIT(&f->fetches);
	cf_cfg_norm(cfg, &f->cfg);
	if (RAND_bytes((unsigned char *)f->hkey, sizeof(f->hkey)) != 1) {
		ipx_err("certfetch: no random bytes from OpenSSL");
		goto fail;
	}
	f->tab_size = cf_buckets_for(f->cfg.cache_max);
	if (!(f->tab = calloc(f->tab_size, sizeof(*f->tab))))
		goto fail;
	/* Host names resolve through evdns on our loop.  Without a usable
	 * resolv.conf, a base with no name server still serves numeric
	 * hosts and /etc/hosts.  DISABLE_WHEN_INACTIVE: an idle resolver
	 * does not keep the event loop alive. */
	f->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
					      EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!f->dns) {
		ipx_warn("certfetch: cannot read /etc/resolv.conf: only "
			 "addresses and /etc/hosts names resolve in URLs");
		if ((f->dns = evdns_base_new(base,
					     EVDNS_BASE_DISABLE_WHEN_INACTIVE)))
			evdns_base_load_hosts(f->dns, NULL);
	}
	if (!f->dns)
		goto fail;
	return f;
fail:
	free(f->tab);
	free(f);
	return NULL;
}

/* See ike_certfetch_free(). */
static void cf_dns_free_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evdns_base_free(arg, 1);
}

void ike_certfetch_free(struct ike_certfetch *f)
{
	static const struct timeval now = { 0, 0 };
	bool lookups = false;
	struct cf_entry *e;

	if (!f)
		return;
	while (!LIST_EMPTY(&f->fetches)) {
		struct cf_fetch *fx = LIST_FIRST(&f->fetches);
		struct ike_certfetch_req *w;

		if (fx->conn && fx->by_name && !fx->connected && !fx->have_res)
			lookups = true;
		while ((w = TAILQ_FIRST(&fx->waiters))) {
			waiter_unlink(fx, w);
			free(w);
		}
		cf_fetch_free(fx);
	}
	while ((e = TAILQ_FIRST(&f->lru))) {
		TAILQ_REMOVE(&f->lru, e, lru);
		cf_entry_free(e);
	}
	free(f->tab);
	/* A host name lookup cancelled just now (by dropping its connection)
	 * ends in evdns callbacks that libevent defers to the next loop
	 * iteration, and they use the evdns base: free it after them, from a
	 * zero timer (made active after the deferred callbacks).  If the loop
	 * never runs again, that memory goes with the process.  1: anything
	 * still pending calls back with an error and releases what it
	 * holds. */
	if (!lookups || event_base_once(f->base, -1, EV_TIMEOUT, cf_dns_free_cb,
					f->dns, &now))
		evdns_base_free(f->dns, 1);
	free(f);
}

void ike_certfetch_set_cfg(struct ike_certfetch *f,
			   const struct ike_certfetch_cfg *cfg)
{
	cf_cfg_norm(cfg, &f->cfg);
	cf_trim(f, f->cfg.cache_max);
	if (cf_resize(f, cf_buckets_for(f->cfg.cache_max)))
		ipx_warn("certfetch: out of memory resizing the cache table");
}

struct ike_certfetch_req *ike_certfetch_get(struct ike_certfetch *f,
					    const uint8_t sha1[20],
					    const char *url, size_t url_len,
					    ike_certfetch_cb cb, void *arg,
					    X509 **cached)
{
	struct ike_certfetch_req *w;
	struct cf_fetch *fx;

	if (cached)
		*cached = NULL;
	if (!f || !sha1 || !cb || !cached) {
		errno = EINVAL;
		return NULL;
	}
	if (!url)
		url_len = 0;
	if ((*cached = ike_certfetch_cached(f, sha1)))
		return NULL;
	if (!(w = calloc(1, sizeof(*w))))
		goto nomem;
	w->cb = cb;
	w->arg = arg;
	if (!(fx = cf_join_find(f, sha1, url, url_len)) &&
	    !(fx = cf_fetch_new(f, false, sha1, url, url_len))) {
		free(w);
		goto nomem;
	}
	waiter_add(fx, w);
	return w;
nomem:
	errno = ENOMEM;
	return NULL;
}

struct ike_certfetch_req *ike_certfetch_get_raw(struct ike_certfetch *f,
						const char *url,
						ike_certfetch_raw_cb cb,
						void *arg)
{
	struct ike_certfetch_req *w;
	struct cf_fetch *fx;

	if (!f || !cb) {
		errno = EINVAL;
		return NULL;
	}
	if (!(w = calloc(1, sizeof(*w))))
		goto nomem;
	w->raw_cb = cb;
	w->arg = arg;
	if (!(fx = cf_fetch_new(f, true, NULL, url ? url : "",
				url ? strnlen(url, IKE_CERTFETCH_URL_MAX + 1)
				    : 0))) {
		free(w);
		goto nomem;
	}
	waiter_add(fx, w);
	return w;
nomem:
	errno = ENOMEM;
	return NULL;
}

void ike_certfetch_cancel(struct ike_certfetch_req *w)
{
	struct cf_fetch *fx;

	if (!w || !(fx = w->fx)) /* NULL, or inside its own callback */
		return;
	waiter_unlink(fx, w);
	free(w);
	if (!TAILQ_EMPTY(&fx->waiters) || fx->delivering)
		return;
	/* Nobody waits any more: drop the connection (we are called from
	 * the IKE side or from another fetch's delivery, never from inside
	 * this connection's evhttp callbacks). */
	fx->f->st.cancelled++;
	cf_fetch_free(fx);
}

void ike_certfetch_get_stats(const struct ike_certfetch *f,
			     struct ike_certfetch_stats *st)
{
	*st = f->st;
	st->cached = f->n_cached;
	st->in_flight = f->n_fetches;
}
