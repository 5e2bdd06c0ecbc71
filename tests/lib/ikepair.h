/*
 * Two IKE managers in one process wired to each other by a fake network
 * (the way strongSwan's exchange_test_helper does it), for the exchange
 * tests: test_ike_exchange.c (set-up, errors, loss) and
 * test_ike_lifecycle.c (rekeying, liveness, cookies, fragments, NAT).
 */
#ifndef IPSECFX_IKEPAIR_H
#define IPSECFX_IKEPAIR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "../../host/ike/ike_sa.h"
#include "tengine.h"

#define IKEPAIR_MAX_Q 512

struct ikepair_dgram {
	struct sockaddr_storage from, to;
	bool natt;
	size_t len;
	uint8_t buf[4096];
};

struct ikepair_peer;

struct ikepair_net {
	struct ikepair_dgram q[IKEPAIR_MAX_Q];
	unsigned n;
	unsigned drop_first;   /* drop this many datagrams */
	unsigned drop_pct;     /* then drop this share at random */
	bool blackhole[2];     /* everything to A / B is lost */
	bool nat;              /* A sits behind a NAT (198.51.100.9) */
	uint16_t nat_port_add; /* the NAT's port offset (10000 by default) */
	unsigned sent, dropped;
	struct ikepair_dgram log[64];  /* the first datagrams seen, for replays */
	unsigned n_log;
	struct ikepair_peer *peers[2];
	/* drop what this says to drop (an attacker or a lossy path that
	 * picks its packets); the rest is delivered as usual */
	bool (*drop)(const struct ikepair_dgram *d, void *arg);
	void *drop_arg;
	unsigned filtered;
	/* ikepair_drop_requests() */
	struct ikepair_peer *drop_from;
	uint8_t drop_exchange;
};

struct ikepair_peer {
	struct ikepair_net *net;
	struct event_base *base;
	struct ipx_engine *eng;
	struct ike_mgr *mgr;
	struct cfg *cfg;
	struct sockaddr_storage addr;
	/* what the manager told its data plane */
	unsigned children_up, children_down, rekeyed, retired, moved, keepalives;
	struct child_sa *last_child;   /* the SA carrying outbound traffic */
	char events[1024];             /* "up ike-up rekeyed ..." */
};

struct ikepair_setup {
	const char *psk_a, *psk_b;
	const char *ike_a, *ike_b;
	const char *esp_a, *esp_b;
	const char *lts_a, *rts_a, *lts_b, *rts_b;
	const char *encap_a;
	const char *conn_a, *conn_b;     /* extra YAML lines of the connection */
	const char *child_a, *child_b;   /* extra YAML lines of the child */
	const char *top_a, *top_b;       /* top-level YAML lines (NULL: none) */
	const char *name_a, *name_b;     /* connection names (NULL: to-b, from-a) */
	const char *raddr_b;             /* B's remote_addrs (NULL: A's address) */
	const char *id_a;                /* A's identity (NULL: a.example) */
	/* the local/remote/psk lines instead of a.example/b.example with
	 * the PSKs (certificates: test_ike_cert.c) */
	const char *auth_a, *auth_b;
};

extern const struct ikepair_setup ikepair_defaults;

struct ikepair {
	struct ikepair_net net;
	struct event_base *base;
	struct ikepair_peer a, b;
};

struct ikepair *ikepair_new(const struct ikepair_setup *s);
void ikepair_free(struct ikepair *pr);
/* Deliver queued datagrams and run timers for that many rounds. */
void ikepair_pump(struct ikepair_net *n, int rounds);
/* Move the clock forward by secs and run both managers' timers; then pump. */
void ikepair_advance(struct ikepair *pr, unsigned secs, int rounds);
/* The first established IKE SA of p that is not being replaced. */
struct ikesa *ikepair_established(struct ikepair_peer *p);
unsigned ikepair_count_sas(struct ikepair_peer *p);
unsigned ikepair_count_children(struct ikepair_peer *p);
/* A packet from's protected side through its out SA into to's in SA. */
void ikepair_check_traffic(struct ikepair_peer *from, struct ikepair_peer *to);
bool ikepair_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);
/* A reload of p's configuration from s, as the daemon does it: the new
 * one handed to the manager, then the old one freed. */
void ikepair_reload(struct ikepair *pr, struct ikepair_peer *p, const struct ikepair_setup *s);
/* m built as sa's end would send it (SK encrypted with sa's keys) into
 * out; its length. */
size_t ikepair_forge(struct ikesa *sa, const struct ike_msg *m, uint8_t *out, size_t cap);
/* From now on every request of that exchange that from sends is lost
 * (exchange 0: none again). */
void ikepair_drop_requests(struct ikepair *pr, struct ikepair_peer *from, uint8_t exchange);
/* A datagram's IKE header fields, for drop filters. */
uint8_t ikepair_exchange(const struct ikepair_dgram *d);
bool ikepair_is_response(const struct ikepair_dgram *d);
bool ikepair_from(const struct ikepair_dgram *d, const struct ikepair_peer *p);

#endif
