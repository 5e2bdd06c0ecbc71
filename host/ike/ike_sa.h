/*
 * IKE SAs, Child SAs and the manager that owns them.
 *
 *   ike_mgr.c     SA tables, datagram dispatch, message IDs (window 1),
 *                 retransmission with back-off and the response cache
 *                 (RFC 7296 2.1, 2.3, 2.4), sending, timers, listing
 *   ike_init.c    IKE_SA_INIT, initiator and responder: proposals, KE and
 *                 INVALID_KE_PAYLOAD, nonces, NAT detection (2.23), cookies
 *   ike_auth.c    IKE_AUTH with PSK (2.15) and the first Child SA
 *   ike_child.c   Child SA selection, traffic selector narrowing (2.9), keys
 *                 (2.17) and installation into the ESP engine
 *   ike_info.c    INFORMATIONAL: delete of IKE and Child SAs, empty requests
 *
 * The manager never touches sockets or the data plane: it calls the
 * struct ike_io it was given (the daemon wires it to host/dataplane; the
 * exchange tests wire two managers to each other).
 */
#ifndef IPSECFX_IKE_SA_H
#define IPSECFX_IKE_SA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <jansson.h>

#include <ipsecfx/engine.h>

#include "../config/config.h"
#include "ike_crypto.h"
#include "ike_msg.h"
#include "proposal.h"

#define IKE_NONCE_LEN 32          /* our nonces (2.10: at least half the PRF key) */
#define IKE_NONCE_MAX 256
#define IKE_CHILD_TS_MAX 16
#define IKE_MSG_BUF 65536

struct ike_mgr;
struct ikesa;

enum ike_state {
	IKE_CONNECTING,       /* IKE_SA_INIT sent, or answered (half-open) */
	IKE_AUTHENTICATING,   /* IKE_AUTH sent */
	IKE_ESTABLISHED,
	IKE_DELETING,         /* our Delete sent */
};

struct child_sa {
	struct child_sa *next;
	struct ikesa *ike;
	const struct cfg_child *cfg;
	char name[CFG_NAME_MAX];
	uint32_t unique_id;
	uint32_t spi_in, spi_out;         /* host byte order */
	uint32_t eng_in, eng_out;         /* engine handles */
	struct ike_prop_choice prop;
	struct ike_ts ts_l[IKE_CHILD_TS_MAX], ts_r[IKE_CHILD_TS_MAX];
	unsigned n_ts_l, n_ts_r;
	uint8_t mode;                     /* IPX_MODE_* */
	bool installed;
	uint64_t created;                 /* monotonic seconds */
	uint32_t dp_child;                /* the data plane's handle */
	struct ike_child_keys *keys;      /* only with key_export: for Wireshark */
};

/* Our request in flight (window size 1, 2.3). */
struct ike_out {
	uint8_t *buf;
	size_t len;
	uint32_t id;
	uint8_t exchange;
	unsigned tries;
	int (*on_response)(struct ikesa *sa, struct ike_msg *m);
};

struct ikesa {
	struct ikesa *hnext, *next;
	struct ike_mgr *mgr;
	const struct cfg_conn *conn;      /* NULL once a reload removed it */
	char conn_name[CFG_NAME_MAX];
	uint32_t unique_id;
	bool initiator;                   /* the original initiator (2.2) */
	enum ike_state state;
	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN];
	struct sockaddr_storage local, remote;   /* with ports */
	bool natt;                        /* on the NAT-T port, with marker */
	bool nat_here, nat_there;         /* a NAT in front of us / the peer */
	bool frag_ok;                     /* peer supports RFC 7383 */
	struct ike_prop_choice prop;
	uint16_t dh_group;
	struct ike_dh *dh;
	struct ike_sa_keys keys;
	bool keys_ok;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp;    /* IKE_SA_INIT as sent/received (2.15) */
	size_t init_req_len, init_resp_len;
	uint8_t cookie[64];               /* initiator: the responder's cookie */
	size_t cookie_len;
	unsigned init_retries;
	struct cfg_id peer_id;            /* as authenticated */
	const struct cfg_child *want_child;  /* initiator: to create in IKE_AUTH */
	struct child_sa *new_child;       /* negotiated in the exchange in flight */
	/* message IDs (2.3): our next request, the peer's next request */
	uint32_t req_next, resp_next;
	struct ike_out out;
	uint8_t *last_resp;               /* cached for retransmitted requests */
	size_t last_resp_len;
	struct event *rtx_ev;             /* retransmission */
	struct event *timer_ev;           /* half-open expiry, deferred delete */
	struct child_sa *children;
	uint64_t created, established, last_in;
};

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
};

struct ike_mgr_stats {
	uint64_t rx, tx, rx_bad, rx_unknown_spi, rx_bad_msgid, rx_auth_failed,
		retransmits, responses_resent, half_open, established, failed;
};

struct ike_mgr {
	struct event_base *base;
	struct ipx_engine *eng;
	struct ike_io io;
	const struct cfg *cfg;
	struct ikesa **hash;             /* by our SPI */
	unsigned hash_mask;
	struct ikesa *all;
	unsigned n_sas, n_half_open;
	uint32_t next_unique;
	struct ike_cookie_ctx cookies;
	struct ike_mgr_stats st;
	/* retransmission (2.4): first timeout, growth factor, attempts */
	unsigned rtx_ms;
	double rtx_base;
	unsigned rtx_tries;
	unsigned half_open_s;
	uint8_t *buf;                     /* IKE_MSG_BUF, for building */
	struct ike_msg *msg;              /* the message being processed */
	struct ike_msg *omsg;             /* the message being built */
};

/* ---- manager (ike_mgr.c) ---- */
struct ike_mgr *ike_mgr_new(struct event_base *base, struct ipx_engine *eng,
			    const struct ike_io *io, const struct cfg *cfg);
void ike_mgr_free(struct ike_mgr *m);
/* A new configuration: SAs of removed connections keep running but lose
 * their config (they are not rekeyed); start_action: start connections
 * not yet up are initiated. */
void ike_mgr_set_config(struct ike_mgr *m, const struct cfg *cfg);
/* A received IKE datagram (non-ESP marker already removed). */
void ike_mgr_input(struct ike_mgr *m, const uint8_t *buf, size_t len,
		   const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote, bool natt);
int ike_mgr_initiate(struct ike_mgr *m, const char *conn, const char *child);
/* Delete every IKE SA of conn (sends Delete).  Returns how many. */
int ike_mgr_terminate(struct ike_mgr *m, const char *conn);
/* Start every connection with start_action: start. */
void ike_mgr_start_all(struct ike_mgr *m);
/* Delete every SA (shutdown): sends Deletes, removes ESP SAs. */
void ike_mgr_shutdown(struct ike_mgr *m);
json_t *ike_mgr_list(struct ike_mgr *m);
json_t *ike_mgr_stats_json(struct ike_mgr *m);
/* Wireshark's ESP SA and IKEv2 decryption tables (UAT file lines) for
 * every SA, or NULL with key_export off. */
json_t *ike_mgr_export_keys(struct ike_mgr *m);
struct ikesa *ike_mgr_find_conn(struct ike_mgr *m, const char *conn);

/* ---- internal, shared by the ike_*.c files ---- */
struct ikesa *ike_sa_new(struct ike_mgr *m, bool initiator);
void ike_sa_destroy(struct ikesa *sa);
void ike_sa_rehash(struct ikesa *sa);
/* Log with "conn[unique] peer addr[port]: " in front. */
void ike_sa_log(const struct ikesa *sa, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);
uint16_t ike_port(const struct sockaddr_storage *ss);
void ike_set_port(struct sockaddr_storage *ss, uint16_t port);
/* Build m (header already set), encrypt if it has SK, and send: as a
 * request (tracked, retransmitted; on_response called with the answer) or
 * as a response (cached for retransmitted requests). */
int ike_send_request(struct ikesa *sa, struct ike_msg *m,
		     int (*on_response)(struct ikesa *, struct ike_msg *));
int ike_send_response(struct ikesa *sa, struct ike_msg *m);
/* An unprotected notify answering an IKE_SA_INIT request (no state). */
void ike_send_init_error(struct ike_mgr *mgr, const struct ike_hdr *req,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, bool natt,
			 uint16_t notify, const uint8_t *data, size_t len);
/* Start message m for sa: header with SPIs, flags for our role. */
void ike_msg_start(struct ikesa *sa, struct ike_msg *m, uint8_t exchange,
		   bool response, uint32_t id);
void ike_sa_established(struct ikesa *sa);
void ike_sa_fail(struct ikesa *sa, const char *why);
uint64_t ike_now(void);

/* ---- exchanges ---- */
int ike_init_start(struct ikesa *sa);                      /* ike_init.c */
void ike_init_respond(struct ike_mgr *mgr, const uint8_t *buf, size_t len,
		      const struct ike_hdr *h,
		      const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, bool natt);
int ike_auth_start(struct ikesa *sa);                      /* ike_auth.c */
int ike_auth_respond(struct ikesa *sa, struct ike_msg *m);
int ike_info_respond(struct ikesa *sa, struct ike_msg *m);  /* ike_info.c */
int ike_info_delete_ike(struct ikesa *sa);
int ike_create_child_respond(struct ikesa *sa, struct ike_msg *m);

/* ---- Child SAs (ike_child.c) ---- */
uint32_t ike_child_alloc_spi(struct ike_mgr *m);
struct child_sa *ike_child_new(struct ikesa *sa, const struct cfg_child *cfg);
void ike_child_free(struct child_sa *c);
/* Add the SAi2/TSi/TSr (and USE_TRANSPORT_MODE) payloads of a request. */
int ike_child_add_request(struct ikesa *sa, struct child_sa *c,
			  struct ike_msg *m);
/* Responder: pick config, proposal and narrowed selectors for the request
 * in m, add the answer payloads to out.  On failure returns the notify to
 * send (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) and *c is NULL. */
uint16_t ike_child_respond(struct ikesa *sa, const struct ike_msg *m,
			   struct ike_msg *out, struct child_sa **c);
/* Initiator: check the responder's answer for c; 0 or the notify that
 * describes the failure. */
uint16_t ike_child_check_reply(struct ikesa *sa, struct child_sa *c,
			       const struct ike_msg *m);
/* Derive keys (2.17), put both ESP SAs into the engine and tell the data
 * plane; links c into sa.  0 or -errno. */
int ike_child_install(struct ikesa *sa, struct child_sa *c);
void ike_child_remove(struct ikesa *sa, struct child_sa *c);
struct child_sa *ike_child_by_spi_out(struct ikesa *sa, uint32_t spi);
/* The engine transform for a negotiated ESP choice, 0 when none. */
uint8_t ike_child_engine_cipher(const struct ike_prop_choice *p);
/* Narrowing (2.9): the part of a that lies inside b, if any. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
		      struct ike_ts *out);
void ike_ts_from_addr(const struct sockaddr_storage *ss, struct ike_ts *ts);

#endif
