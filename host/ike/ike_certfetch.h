/*
 * Certificate fetching for RFC 7296 3.6 "Hash and URL" and for CRL
 * distribution points.
 *
 * A peer that sends a CERT payload of encoding 12 ("Hash and URL of X.509
 * certificate") gives the 20-octet SHA-1 of the DER certificate and an
 * http:// URL.  We fetch the URL with evhttp on the daemon's event loop
 * (never blocking it: host names go through evdns), check the SHA-1 of the
 * bytes before anything parses them, require exactly one DER certificate,
 * and keep it in an LRU cache keyed by the hash, so that the next IKE SA
 * of the same peer needs no fetch (3.6: "the hash ... can be used as a
 * cache key").  Identical fetches in flight (same hash and URL) are joined.
 *
 * Rules for a fetch: http:// only, printable ASCII, at most
 * IKE_CERTFETCH_URL_MAX octets; one GET per fetch, HTTP/1.1 with "Host" and
 * "Connection: close"; only 200 with a non-empty body is accepted, a
 * redirect is never followed; the body is limited to max_bytes (the
 * connection is dropped as soon as that is passed) and the whole fetch,
 * connect to last byte, to timeout_ms.
 *
 * Callbacks are always called from the event loop, never from inside the
 * call that started the fetch, exactly once per request unless the request
 * was cancelled or the fetcher freed.  A callback may start new fetches,
 * cancel other requests and read the cache, but must not free the fetcher.
 * Single-threaded, like the event loop it runs on.  Like the rest of the
 * daemon it needs SIGPIPE ignored (a server may close while we write).
 */
#ifndef IPSECFX_IKE_CERTFETCH_H
#define IPSECFX_IKE_CERTFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

struct event_base;
struct ike_certfetch;
struct ike_certfetch_req;

#define IKE_CERTFETCH_SHA1_LEN 20
#define IKE_CERTFETCH_URL_MAX 2048
/* Fetches in flight at once; beyond, a fetch fails at once (IKE_CF_FAILED) */
#define IKE_CERTFETCH_INFLIGHT_MAX 256

#define IKE_CERTFETCH_DEF_CACHE_MAX 500
#define IKE_CERTFETCH_DEF_TIMEOUT_MS 10000
#define IKE_CERTFETCH_DEF_MAX_BYTES 65536
/* Upper bounds applied to a configuration (larger values are clamped). */
#define IKE_CERTFETCH_CACHE_LIMIT (1u << 20)
#define IKE_CERTFETCH_TIMEOUT_LIMIT (10u * 60 * 1000)
#define IKE_CERTFETCH_BYTES_LIMIT ((size_t)16 << 20)

/* A field left 0 takes its default. */
struct ike_certfetch_cfg {
	unsigned cache_max;  /* certificates kept (least recently used dropped); default 500 */
	uint32_t timeout_ms; /* whole fetch, connect to last byte; default 10000 */
	size_t max_bytes;    /* largest body accepted; default 65536 */
};

/* A fetcher on base (cfg NULL: defaults), with its own evdns_base.  NULL
 * when out of memory. */
struct ike_certfetch *ike_certfetch_new(struct event_base *base,
					const struct ike_certfetch_cfg *cfg);
/* Cancels pending requests: their callbacks are NOT called.  Not from
 * inside a callback of this fetcher.  If a host name lookup was under way,
 * libevent completes its cancellation on the next loop iteration, and the
 * resolver is freed only then (event_base_once). */
void ike_certfetch_free(struct ike_certfetch *f);
/* On reload: timeout and size limit apply to fetches started from now on;
 * a smaller cache_max evicts the least recently used entries at once
 * (counted in cache_evicted). */
void ike_certfetch_set_cfg(struct ike_certfetch *f,
			   const struct ike_certfetch_cfg *cfg);

/* A cached certificate by the SHA-1 of its DER, with a new reference
 * (X509_up_ref), or NULL.  Counts a cache hit, refreshes LRU position. */
X509 *ike_certfetch_cached(struct ike_certfetch *f, const uint8_t sha1[20]);

/* Outcome passed to callbacks */
enum ike_certfetch_result {
	IKE_CF_OK = 0,
	IKE_CF_FAILED,        /* connect/DNS/protocol error, empty body */
	IKE_CF_TIMEOUT,
	IKE_CF_HASH_MISMATCH, /* SHA-1 of the body is not the announced one */
	IKE_CF_TOO_BIG,       /* body over max_bytes */
	IKE_CF_BAD_URL,
	IKE_CF_HTTP_STATUS,   /* not 200 (and not a redirect) */
	IKE_CF_REDIRECT,      /* 3xx: never followed */
	IKE_CF_NOT_CERT,      /* hash matched but not exactly one DER cert */
};
/* "ok", "failed", "timeout", ... for logs and the control socket. */
const char *ike_certfetch_result_name(enum ike_certfetch_result res);

/* cert: borrowed for the duration of the callback (up_ref it to keep);
 * NULL unless OK.  why: one line for the log, the URL then the reason,
 * e.g. "http://10.0.0.1:8080/gw.der: HTTP 404 Not Found". */
typedef void (*ike_certfetch_cb)(void *arg, enum ike_certfetch_result res,
				 X509 *cert, const char *why);

/* Fetch the certificate at url (url_len octets straight off the wire, not
 * NUL-terminated) whose DER must hash to sha1.
 * If the hash is cached: returns NULL and *cached receives the cert (new
 * reference); no callback.  Otherwise starts (or joins an identical
 * in-flight fetch of the same hash and URL) a GET and returns a handle
 * for ike_certfetch_cancel(); cb is called exactly once, later, from the
 * event loop.  A bad URL is reported through cb as well (IKE_CF_BAD_URL).
 * NULL with *cached NULL only when out of memory (errno ENOMEM) or called
 * with NULL f, sha1, cb or cached (errno EINVAL). */
struct ike_certfetch_req *ike_certfetch_get(struct ike_certfetch *f,
					    const uint8_t sha1[20],
					    const char *url, size_t url_len,
					    ike_certfetch_cb cb, void *arg,
					    X509 **cached);
/* The waiter goes away (its IKE SA died): its callback will not be called.
 * The HTTP request goes on for other joined waiters, or is dropped when
 * none is left.  Not after the callback was called (the handle is gone
 * then). */
void ike_certfetch_cancel(struct ike_certfetch_req *r);

/* Raw fetch for CRLs (no hash): body bytes to cb, same URL rules, timeout
 * and size limit; bytes borrowed for the callback; never joined, not
 * cached.  url NUL-terminated.  NULL only as for ike_certfetch_get(). */
typedef void (*ike_certfetch_raw_cb)(void *arg, enum ike_certfetch_result res,
				     const uint8_t *body, size_t len,
				     const char *why);
struct ike_certfetch_req *ike_certfetch_get_raw(struct ike_certfetch *f,
						const char *url,
						ike_certfetch_raw_cb cb,
						void *arg);

/* ok + failed + timed_out + hash_mismatch + too_big = completed fetches
 * (a bad URL counts as failed; a fetch whose waiters all cancelled counts
 * only as cancelled).  cached: entries now; in_flight: fetches not yet
 * completed, each counted once however many waiters joined it. */
struct ike_certfetch_stats {
	uint64_t ok, failed, timed_out, hash_mismatch, too_big, cache_hits,
		cache_evicted;
	unsigned cached, in_flight;
	uint64_t cancelled; /* fetches dropped because no waiter was left */
};
void ike_certfetch_get_stats(const struct ike_certfetch *f,
			     struct ike_certfetch_stats *st);

/* For `ipsecfx list-certs`: every cached entry, most recently used first.
 * cb must not change the cache. */
typedef void (*ike_certfetch_each_cb)(void *arg, const uint8_t sha1[20],
				      X509 *cert, const char *url,
				      uint64_t hits, time_t fetched_at);
void ike_certfetch_foreach(const struct ike_certfetch *f,
			   ike_certfetch_each_cb cb, void *arg);

/* ---- the checks of what the peer and its server send: pure functions,
 * exposed for the fuzz target (tests/fuzz/fuzz_certfetch_body.c) and
 * tests ---- */

/* A URL split as a fetch uses it. */
struct ike_certfetch_url {
	char host[IKE_CERTFETCH_URL_MAX + 1];     /* connect to (no brackets) */
	char host_hdr[IKE_CERTFETCH_URL_MAX + 8]; /* Host: as in the URL */
	char target[IKE_CERTFETCH_URL_MAX + 2];   /* path ("/" at least), query */
	uint16_t port;                            /* 80 unless the URL says */
	bool by_name;                             /* host is not an address */
};
/* url (len octets straight off the wire, not NUL-terminated) checked by
 * the rules above (http:// only, printable ASCII, at most
 * IKE_CERTFETCH_URL_MAX octets, a host, no user name or password, not
 * port 0) and split into out.  0, or -EINVAL with the reason in why (n
 * bytes, e.g. "only http:// URLs are fetched"). */
int ike_certfetch_url_parse(const char *url, size_t len,
			    struct ike_certfetch_url *out, char *why, size_t n);

/* The verdict on a completed response: HTTP status and the whole body.
 * 3xx IKE_CF_REDIRECT; any other status but 200 IKE_CF_HTTP_STATUS; a
 * body over max octets IKE_CF_TOO_BIG; an empty one IKE_CF_FAILED.  With
 * sha1 NULL (a raw fetch) that is all: IKE_CF_OK.  Otherwise the body must
 * hash to sha1 (IKE_CF_HASH_MISMATCH; checked before any parsing) and be
 * exactly one DER certificate (IKE_CF_NOT_CERT); on IKE_CF_OK *cert gets
 * it (the caller frees it), else NULL.  why (n bytes) gets the reason or
 * what was fetched, without the URL. */
enum ike_certfetch_result ike_certfetch_judge(int status, const uint8_t *body,
					      size_t len, size_t max,
					      const uint8_t sha1[20], X509 **cert,
					      char *why, size_t n);

#endif
