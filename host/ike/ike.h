/*
 * IKEv2 as the daemon sees it: a manager that it feeds datagrams, engine
 * events and commands, and that calls back (struct ike_io) to send, and to
 * bring Child SAs into the data plane and out again.  IKE SAs and Child SAs
 * are opaque here; what the daemon needs of them it reads with
 * ike_sa_get() and ike_child_get().  The manager's inside is ike_sa.h
 * (docs/ike.md).
 */
#ifndef IPSECFX_IKE_H
#define IPSECFX_IKE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <jansson.h>

#include <ipsecfx/engine.h>

#include "../config/config.h"
#include "../proto/ts.h"

#define IKE_CHILD_TS_MAX 16    /* selectors on each side of a Child SA */

struct ike_mgr;
struct ikesa;
struct child_sa;

/* What the manager needs from its surroundings. */
struct ike_io {
	void *ctx;
	/* Send an IKE datagram from local to remote (ports included); natt:
	 * on the NAT-T port, the non-ESP marker is prepended by the sender. */
	int (*send)(void *ctx, const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote, bool natt,
		    const uint8_t *buf, size_t len);
	/* A Child SA's ESP SAs are in the engine: start forwarding. */
	int (*child_up)(void *ctx, struct child_sa *c);
	/* About to remove a Child SA's ESP SAs from the engine. */
	void (*child_down)(void *ctx, struct child_sa *c);
	/* Local address the kernel would use towards remote (may be NULL:
	 * then connect() on a UDP socket finds it). */
	int (*route_src)(void *ctx, const struct sockaddr_storage *remote,
			 struct sockaddr_storage *local);
	/* c joins old's policy: its inbound SA is accepted from now on and,
	 * with switch_out, its outbound SA carries the traffic. */
	int (*child_rekeyed)(void *ctx, struct child_sa *old, struct child_sa *c,
			     bool switch_out);
	/* c leaves its policy without taking the policy away: its inbound SA
	 * is no longer accepted (a rekeyed-away or redundant SA). */
	void (*child_retire)(void *ctx, struct child_sa *c);
	/* The peer moved (NAT mapping change): c's outer addresses changed. */
	void (*child_moved)(void *ctx, struct child_sa *c);
	/* on: spi is an inbound SPI we offered and whose SA is not installed
	 * yet (the peer may send on it before its answer reaches us); off:
	 * installed, or given up. */
	void (*spi_expect)(void *ctx, uint32_t spi, bool on);
	/* One NAT-keepalive datagram (RFC 3948 2.3). */
	void (*keepalive)(void *ctx, const struct sockaddr_storage *local,
			  const struct sockaddr_storage *remote);
	/* Optional: IKE datagrams the kernel dropped so far because the
	 * sockets were full (cumulative): it turns the flood guard on. */
	uint64_t (*rx_overflows)(void *ctx);
	/* For updown scripts and logs; may be NULL.  Child SA events: "up",
	 * "down", "rekeyed", and "child-failed": a Child SA refused by the
	 * peer, or by us answering it (c then describes what was asked
	 * for, from our side, and lives only during the call; its name is ""
	 * when no child of ours matched).  IKE SA events (c NULL): "ike-up",
	 * "ike-down", "dead", and "ike-failed": an IKE SA we initiated failed
	 * before "ike-up" (refused, or no answer; it is destroyed right
	 * after, and a retry, if any, is a new IKE SA).  For both failures
	 * ike_sa_get()'s refusal says why. */
	void (*event)(void *ctx, struct ikesa *sa, struct child_sa *c,
		      const char *what);
};

/* What the daemon reads of a Child SA (valid while the SA lives). */
struct ike_child_info {
	const char *name;
	uint32_t unique_id;
	uint32_t spi_in, spi_out;          /* host byte order */
	uint32_t eng_in, eng_out;          /* engine handles */
	uint8_t mode;                      /* IPX_MODE_* */
	bool dp_owner;                     /* carries its policy's outbound traffic */
	const struct ike_ts *ts_l, *ts_r;
	unsigned n_ts_l, n_ts_r;
	const struct sockaddr_storage *local, *remote;  /* its IKE SA's, with ports */
	bool encap;                        /* ESP in UDP (NAT-T) */
	/* as list-sas says it: installed, rekeying, rekeyed, deleting */
	const char *state;
};
void ike_child_get(const struct child_sa *c, struct ike_child_info *out);
/* The engine's user value for both ESP SAs of a Child SA: its inbound SPI
 * (how an engine event finds it) and its unique ID (that it is still the
 * same Child SA). */
static inline uint64_t ike_child_engine_user(const struct ike_child_info *ci)
{
	return (uint64_t)ci->spi_in << 32 | ci->unique_id;
}
/* The data plane's handle of the policy the Child SA belongs to: set by
 * the daemon in child_up, passed on by a rekey. */
uint32_t ike_child_dp(const struct child_sa *c);
void ike_child_set_dp(struct child_sa *c, uint32_t dp_child);

/* What the daemon reads of an IKE SA (updown scripts). */
struct ike_sa_info {
	const char *conn;
	uint32_t unique_id;
	const struct sockaddr_storage *local, *remote;  /* with ports */
	const char *peer_id;               /* as authenticated */
	bool nat;                          /* a NAT on the path */
	const char *updown;                /* its connection's script, "" none */
	/* the last refusal of its set-up or of one of its Child SAs, as
	 * logged ("TS_UNACCEPTABLE from the peer", "no answer to IKE_SA_INIT
	 * after 6 transmissions"); "" none */
	const char *refusal;
	const char *state;                 /* ike_state_name(): "established" */
};
void ike_sa_get(const struct ikesa *sa, struct ike_sa_info *out);
/* sa's Child SAs one after the other: the first with prev NULL; NULL after
 * the last. */
const struct child_sa *ike_sa_child_next(const struct ikesa *sa, const struct child_sa *prev);

struct ike_mgr *ike_mgr_new(struct event_base *base, struct ipx_engine *eng,
			    const struct ike_io *io, const struct cfg *cfg);
void ike_mgr_free(struct ike_mgr *m);
/* A new configuration: SAs of removed connections keep running but lose
 * their config (they are not rekeyed); start_action: start connections
 * not yet up are initiated. */
void ike_mgr_set_config(struct ike_mgr *m, const struct cfg *cfg);
/* How long to wait for an answer after a request's transmission number
 * `sent` (1 = the first): rtx_ms x rtx_base^(sent-1), at most rtx_limit_ms. */
double ike_rtx_wait_ms(const struct ike_mgr *m, unsigned sent);
/* A received IKE datagram (non-ESP marker already removed). */
void ike_mgr_input(struct ike_mgr *m, const uint8_t *buf, size_t len,
		   const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote, bool natt);
int ike_mgr_initiate(struct ike_mgr *m, const char *conn, const char *child);
/* Rekey now (on the next tick): the Child SAs named child (NULL: all of
 * them), or with ike the IKE SA, or with reauth a reauthentication.
 * Returns how many SAs were scheduled, or -ENOENT with none up. */
int ike_mgr_rekey(struct ike_mgr *m, const char *conn, const char *child,
		  bool ike, bool reauth);
/* Delete every IKE SA of conn (sends Delete).  Returns how many. */
int ike_mgr_terminate(struct ike_mgr *m, const char *conn);
/* Start every connection with start_action: start. */
void ike_mgr_start_all(struct ike_mgr *m);
/* Delete every SA (shutdown): sends Deletes, removes ESP SAs. */
void ike_mgr_shutdown(struct ike_mgr *m);
/*
 * list-sas (ike_list.c), one IKE SA at a time, newest first, so that a
 * listing of any length costs the daemon one SA's JSON at a time.  A
 * listing holds the unique_id of the next SA to show, never a pointer: an
 * SA deleted meanwhile is stepped over, one made after the listing began
 * is not shown.
 */
struct ike_list;
struct ike_list_query {
	char conn[CFG_NAME_MAX];          /* only this connection's SAs ("": all) */
	uint64_t offset;                  /* skip that many matching SAs */
	uint64_t limit;                   /* show at most that many */
	bool has_limit;
};
/* The query in a control request: "conn" (string), "limit", "offset"
 * (integers >= 0), each optional.  0, or -EINVAL with why in err. */
int ike_list_query_parse(const json_t *req, struct ike_list_query *q, char *err, size_t n);
struct ike_list *ike_list_open(struct ike_mgr *m, const struct ike_list_query *q);
/* Called with each Child SA's JSON object before it is handed out (the
 * daemon adds the data plane's counters). */
void ike_list_set_child_hook(struct ike_list *l,
			     void (*fn)(void *ctx, const struct child_sa *c, json_t *o),
			     void *ctx);
/* The IKE SAs the manager held when the listing began (all of them,
 * whatever the query). */
unsigned ike_list_total(const struct ike_list *l);
/* 1 and *sa (the caller's reference): the next SA; 0: the end; -EAGAIN:
 * none yet after looking at a bounded number of SAs (call again: the
 * caller decides when, so that nothing else waits); -ENOMEM. */
int ike_list_next(struct ike_list *l, json_t **sa);
/* The same walk without the JSON (the metrics, host/daemon/metrics.c): 1
 * and *sa, valid until the caller returns to the event loop; 0; -EAGAIN. */
int ike_list_next_sa(struct ike_list *l, const struct ikesa **sa);
void ike_list_close(struct ike_list *l);
/* list-conns: the loaded connections (only "conn" of req, when given) as
 * an array in *res, each with its IKE SAs and Child SAs up.  0, or -ENOENT
 * (no such connection), -EINVAL, -ENOMEM with why in err. */
int ike_list_conns(struct ike_mgr *m, const json_t *req, json_t **res, char *err, size_t n);
/* Every IKE SA in one array (the tests; the daemon streams). */
json_t *ike_mgr_list(struct ike_mgr *m);
json_t *ike_mgr_stats_json(struct ike_mgr *m);
/* `ipsecfx list-certs` (ike_certlist.c): {"local": [our chains], "anchors":
 * [trust anchors], "crls": [...], "cache": [Hash and URL cache]}. */
json_t *ike_mgr_certs_json(struct ike_mgr *m);
/* Wireshark's ESP SA and IKEv2 decryption tables (UAT file lines) for
 * every SA, or NULL with key_export off. */
json_t *ike_mgr_export_keys(struct ike_mgr *m);
struct ikesa *ike_mgr_find_conn(struct ike_mgr *m, const char *conn);
/* sa holds (or is negotiating) a live Child SA of that configuration. */
bool ike_sa_has_child(const struct ikesa *sa, const char *name);
/* An established IKE SA of conn other than not, or NULL. */
struct ikesa *ike_mgr_find_conn_established(struct ike_mgr *m, const char *conn,
					    const struct ikesa *not);
/* An engine event (soft/hard lifetime, sequence numbers) for a child. */
void ike_mgr_engine_event(struct ike_mgr *m, const struct ipx_event *ev);

/* "192.0.2.1[500]" */
const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);
uint16_t ike_port(const struct sockaddr_storage *ss);

#endif
