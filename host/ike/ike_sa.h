/*
 * IKE SAs, Child SAs and the manager that owns them.
 *
 *   ike_mgr.c     datagram dispatch, message IDs (window 1), retransmission
 *                 with back-off and the response cache (RFC 7296 2.1, 2.3,
 *                 2.4), sending, the daemon-facing operations, listing
 *   ike_table.c   the SA tables: by our SPI, by SPIi for IKE_SA_INIT
 *                 retransmissions, half-open SAs per source address
 *   ike_frag.c    RFC 7383 fragmentation and reassembly
 *   ike_init.c    IKE_SA_INIT, initiator and responder: proposals, KE and
 *                 INVALID_KE_PAYLOAD, nonces, NAT detection (2.23), cookies
 *   ike_auth.c    IKE_AUTH with PSK or signatures (2.15), connection
 *                 selection, and the first Child SA
 *   ike_cert.c    certificates in IKE_AUTH: CERTREQ, CERT, signatures, the
 *                 peer's chain; Hash and URL (with ike_certfetch.c)
 *   ike_child.c   Child SA selection, traffic selector narrowing (2.9), keys
 *                 (2.17) and installation into the ESP engine
 *   ike_create.c  CREATE_CHILD_SA: new Child SAs, Child and IKE SA rekeys,
 *                 collisions (2.8.1)
 *   ike_info.c    INFORMATIONAL: delete of IKE and Child SAs, empty requests
 *   ike_timer.c   everything done by the clock: liveness, keepalives,
 *                 lifetimes, reauthentication, retries
 *   ike_refuse.c  refusals: what was offered and what is configured, for
 *                 the warnings of both roles; the refused Child SAs'
 *                 back-off (child_retries)
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
#include "ike.h"
#include "ike_crypto.h"
#include "ike_guard.h"
#include "ike_msg.h"
#include "ike_wheel.h"
#include "../proto/proposal.h"

#define IKE_NONCE_LEN 32          /* our nonces (2.10: at least half the PRF key) */
#define IKE_NONCE_MAX 256
#define IKE_COOKIE_MAX 64         /* a responder's COOKIE we echo (2.6) */
#define IKE_MSG_BUF 65536
#define IKE_MAX_FRAGS 32          /* RFC 7383 2.6: the most we send or accept */
#define IKE_CHILD_LINGER_S 2      /* a deleted rekeyed SA's inbound stays (1-2 s) */
#define IKE_CERTS_MAX 8           /* CERT payloads in one IKE_AUTH */
#define IKE_CERTREQ_MAX 16        /* CA hashes kept from the peer's CERTREQs */
#define IKE_CRL_CACHE 64          /* CRLs fetched from distribution points */
#define IKE_CRL_URL_MAX 512

struct ike_src;
struct ike_child_retry;   /* ike_refuse.c */

struct ike_crl_entry {
	char url[IKE_CRL_URL_MAX];
	X509_CRL *crl;                    /* NULL: a free entry */
};


/*
 * An IKE SA's life (docs/ike.md draws it); ike_sa_state() makes every
 * change, checks it against this and logs it:
 *
 *   NEW ---> CONNECTING ---> AUTHENTICATING ---> ESTABLISHED ---> REKEYED
 *                 \_____________________________/^   (initiator)      |
 *                   (responder, and a rekey's new SA)                   v
 *   any state but NEW ---------------------------------------------> DELETING
 */
enum ike_state {
	IKE_NEW = 0,          /* made, nothing sent or answered yet */
	IKE_CONNECTING,       /* IKE_SA_INIT sent, or answered (half-open) */
	IKE_AUTHENTICATING,   /* our IKE_AUTH sent (initiator) */
	IKE_ESTABLISHED,
	IKE_REKEYED,          /* replaced by a rekey or reauthentication: its
			       * Child SAs have moved, only its Delete is to come */
	IKE_DELETING,         /* its Delete sent, or it is about to go */
};

/*
 * A Child SA's life; ike_child_state() makes every change, checks it and
 * logs it:
 *
 *   NEW ---> INSTALLED ---> DELETE_QUEUED ---> DELETING ---> LINGERING
 *                 \________________\___________________________^
 *
 * Beside the state, what a rekey relates it to (RFC 7296 2.8): rekeying
 * (our rekey of it is in flight), replaced_at (a successor took over),
 * rekeyed (we made that successor: we delete it), successor and collision.
 */
enum child_state {
	CHILD_NEW = 0,        /* negotiated, not in the engine yet */
	CHILD_INSTALLED,      /* both ESP SAs in the engine */
	CHILD_DELETE_QUEUED,  /* to be deleted when the window is free */
	CHILD_DELETING,       /* our Delete for it is in flight */
	CHILD_LINGERING,      /* deleted at both ends: its inbound SA stays
			       * until linger_until for packets on their way */
};

struct child_sa {
	struct child_sa *next;
	struct child_sa *hnext;           /* ike_table.c: by spi_in */
	bool in_hash;
	enum child_state state;
	struct ikesa *ike;
	/* its configuration is looked up by name when it is needed
	 * (ike_child_cfg): a reload frees the old one */
	char name[CFG_NAME_MAX];
	uint32_t unique_id;
	uint32_t spi_in, spi_out;         /* host byte order */
	uint32_t eng_in, eng_out;         /* engine handles */
	struct ike_prop_choice prop;
	/* while our request for it is in flight: the proposals it offered,
	 * which the answer is checked against */
	struct ike_prop_cfg *offered;
	unsigned n_offered;
	/* its selectors: one allocation (ike_child_set_ts), ts_r right
	 * after ts_l; NULL until they are known */
	struct ike_ts *ts_l, *ts_r;
	unsigned n_ts_l, n_ts_r;
	uint8_t mode;                     /* IPX_MODE_* */
	bool spi_settled;                 /* spi_in no longer expected (io.spi_expect) */
	bool dp_owner;                    /* carries dp_child's outbound traffic */
	bool rekeying;                    /* our CREATE_CHILD_SA rekey is in flight */
	bool rekeyed;                     /* replaced: waiting for its Delete */
	bool gone_at_peer;                /* the peer answered our rekey CHILD_SA_NOT_FOUND */
	uint64_t replaced_at;             /* when a successor took over (monotonic s) */
	uint64_t linger_until;            /* LINGERING until then (monotonic s) */
	uint64_t created;                 /* monotonic seconds */
	uint64_t rekey_at, expire_at;     /* monotonic seconds, 0 = never */
	uint32_t dp_child;                /* the data plane's handle */
	struct ike_child_keys *keys;      /* only with key_export: for Wireshark */
	/* 2.8.1: the peer rekeyed this child while our rekey was in flight:
	 * the SA its exchange made, and that exchange's lowest nonce */
	struct child_sa *collision;
	uint8_t *coll_nonce;              /* IKE_NONCE_MAX bytes, once needed */
	size_t coll_nonce_len;
	uint64_t in_packets_seen;         /* inbound count at the last look */
	/* the SA that replaces this one after a rekey we answered: it takes
	 * over the outbound traffic when our peer deletes this one */
	struct child_sa *successor;
};

/* A message as sent: one datagram, or RFC 7383 fragments back to back. */
struct ike_wire {
	uint8_t *buf;
	size_t len;
	unsigned n_frags;                 /* 0: not fragmented */
	uint16_t frag_len[IKE_MAX_FRAGS]; /* a datagram each */
};

/* Our request in flight (window size 1, 2.3). */
struct ike_out {
	struct ike_wire w;
	uint32_t id;
	uint8_t exchange;
	unsigned tries;
	bool liveness;                    /* fixed interval, liveness_retries */
	int (*on_response)(struct ikesa *sa, struct ike_msg *m);
};

/* Reassembly of RFC 7383 fragments of one message (ike_frag.c). */
struct ike_frags {
	uint32_t id;
	uint16_t total, have;
	uint8_t first;                    /* first inner payload (fragment 1) */
	size_t len;                       /* plaintext bytes so far */
	uint8_t *part[IKE_MAX_FRAGS];
	size_t part_len[IKE_MAX_FRAGS];
};

/* The peer's identity as authenticated: its ID payload's type and octets
 * and their text for logs and the peer table, in one allocation of their
 * size (ike_peer_id_set); text is "" and data NULL until it is known. */
struct ike_peer_id {
	uint8_t type;                     /* enum ikev2_id_type */
	uint16_t len;
	uint8_t *data;                    /* len octets, then text */
	const char *text;
};

/* CREATE_CHILD_SA we initiated (1.3). */
enum cc_kind { CC_NONE = 0, CC_NEW_CHILD, CC_REKEY_CHILD, CC_REKEY_IKE };
struct ike_cc {
	enum cc_kind kind;
	struct child_sa *child;           /* the new child */
	struct child_sa *old;             /* the child being rekeyed */
	struct ikesa *new_ike;            /* the new IKE SA (rekey) */
	struct ike_dh *dh;                /* PFS / IKE rekey */
	uint8_t nonce[IKE_NONCE_LEN];     /* ours */
	size_t nonce_len;
};

struct ikesa {
	struct ikesa *next, **prevp;      /* mgr->all, newest first */
	/* ike_table.c: by our SPI, by SPIi (responder), by peer, by unique_id */
	struct ikesa *hnext, *inext, *pnext, *idnext;
	bool in_hash, in_init_hash, in_peer_hash;
	unsigned peer_bucket;
	struct ike_mgr *mgr;
	const struct cfg_conn *conn;      /* NULL once a reload removed it */
	char conn_name[CFG_NAME_MAX];
	uint32_t unique_id;
	bool initiator;                   /* the original initiator (2.2) */
	enum ike_state state;
	bool half_open;                   /* counted in mgr->n_half_open */
	struct ike_src *half_open_src;    /* ... and for this source (ike_table.c) */
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
	/* IKE_SA_INIT's nonces, IKE_NONCE_MAX bytes each in one allocation
	 * (ike_sa_nonces): for the keys, AUTH (2.15) and the first Child
	 * SA's keys (2.17), then wiped and freed (ike_sa_nonces_free) */
	uint8_t *ni, *nr;
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp;    /* IKE_SA_INIT as sent/received (2.15) */
	size_t init_req_len, init_resp_len;
	uint8_t *cookie;                  /* initiator: the responder's cookie,
					   * IKE_COOKIE_MAX bytes once one came */
	size_t cookie_len;
	unsigned init_retries;            /* IKE_SA_INIT again: cookie, INVALID_KE */
	unsigned attempt;                 /* initiator: 0 first, then keyingtries */
	bool keep_up;                     /* a restart: retried after refusals too */
	bool timed_out;                   /* failed for want of an answer */
	struct ike_peer_id peer_id;       /* as authenticated */
	/* certificates (ike_cert.c): what the peer announced, the Hash and
	 * URL fetches IKE_AUTH waits for, and how the peer authenticated */
	uint32_t peer_sighashes;          /* 1 << IKEV2_SIGHASH_* (RFC 7427 4) */
	bool peer_http_certs;             /* HTTP_CERT_LOOKUP_SUPPORTED (3.10.1) */
	uint8_t (*peer_certreq)[IKEV2_SHA1_LEN];   /* IKE_CERTREQ_MAX, once one came */
	unsigned n_peer_certreq;
	struct ike_cert_wait *cert_wait;
	char *peer_cert;                  /* the certificate's subject (NULL: none) */
	char peer_auth[64];               /* "PSK", "ECDSA P-256 SHA-256 (RFC 7427)" */
	char want_child[CFG_NAME_MAX];    /* initiator: to create in IKE_AUTH ("": none) */
	struct child_sa *new_child;       /* negotiated in the exchange in flight */
	struct ike_cc cc;                 /* our CREATE_CHILD_SA in flight */
	struct ike_frags *rx_frags[2];    /* [0] requests, [1] responses; while
					   * a fragmented message comes in */
	/* IKE SA rekeying (2.8): the SA that replaced this one (NULL once it
	 * is gone) and since when (monotonic s; 0: not replaced, and it
	 * stays set); and 2.8.1 */
	struct ikesa *rekeyed_by;
	uint64_t replaced_at;
	struct ikesa *collision;
	uint8_t *coll_nonce;              /* IKE_NONCE_MAX bytes, once needed */
	size_t coll_nonce_len;
	bool rekeying;
	/* the next time to rekey, reauthenticate, give up (monotonic s) */
	uint64_t rekey_at, reauth_at, expire_at;
	struct ikesa *reauth_of;          /* make-before-break: delete it when up */
	bool reauthing;                   /* a new SA replaces this one */
	/* liveness (RFC 7296 2.4) and NAT keepalives (RFC 3948 4) */
	uint64_t last_activity, next_keepalive;
	bool dead;
	/* message IDs (2.3): our next request, the peer's next request */
	uint32_t req_next, resp_next;
	struct ike_out out;
	struct ike_wire last_resp;        /* cached for retransmitted requests */
	struct event *rtx_ev;             /* retransmission: while out is in flight */
	struct event *timer_ev;           /* half-open expiry, deferred delete:
					   * only while one of those waits */
	struct ike_wheel_node tnode;      /* ike_timer.c: when to look at it next */
	struct child_sa *children;
	uint64_t created, established, last_in;
	/* ike_refuse.c: the last refusal of its set-up or of one of its
	 * Child SAs (ike_sa_info.refusal; NULL: none yet), and the Child SAs
	 * refused that start_action: start asks for again (child_retries) */
	char *refusal;
	struct ike_child_retry *child_retry;
	unsigned n_child_retry;
};


/* Why an IKE SA's set-up failed (ike_sa_fail), for `ipsecfx stats` and
 * the metrics: each failure counts under one of these. */
#define IKE_FAIL_LIST(X)                                                      \
	X(TIMEOUT, "timeout")                 /* no answer */                 \
	X(AUTH, "authentication")             /* AUTH, identity, certificate */ \
	X(PROPOSAL, "no_proposal")            /* no common proposal or group */ \
	X(REFUSED, "refused")                 /* another error notify from the peer */ \
	X(RESPONSE, "invalid_response")       /* an answer we cannot use */   \
	X(CONFIG, "configuration")            /* its connection went (reload) */ \
	X(LOCAL, "local_error")               /* out of memory, key derivation */

enum ike_fail {
#define IKE_FAIL_X(n, s) IKE_FAIL_##n,
	IKE_FAIL_LIST(IKE_FAIL_X)
#undef IKE_FAIL_X
	IKE_FAIL__COUNT
};
const char *ike_fail_name(enum ike_fail f);

struct ike_mgr_stats {
	uint64_t rx, tx, rx_bad, rx_unknown_spi, rx_bad_msgid, rx_auth_failed,
		retransmits, responses_resent, half_open, established, failed;
	uint64_t failed_by[IKE_FAIL__COUNT];   /* failed, by why */
	uint64_t cookies_sent, cookies_ok, cookies_bad, dropped_half_open;
	uint64_t child_rekeys, ike_rekeys, reauths, collisions, dead_peers;
	uint64_t fragments_tx, fragments_rx, reassembled;
	uint64_t rx_out_of_state, half_open_source_dropped, rekeyed_deleted;
	uint64_t child_sa_limit, ike_sa_limit;
	uint64_t timer_runs;              /* SAs looked at by the clock */
	/* the flood guard (ike_guard.h): cookie-less IKE_SA_INITs only
	 * remembered, and those answered because they came again */
	uint64_t init_deferred, init_repeated;
};

/* A connection to (re)start: after a dead peer or a failed attempt. */
struct ike_retry {
	struct ike_retry *next;
	char conn[CFG_NAME_MAX];
	char child[CFG_NAME_MAX];
	uint64_t at;
	unsigned attempts;
	bool keep_up;                     /* after a dead peer: keep trying */
};

struct ike_src;

struct ike_mgr {
	struct event_base *base;
	struct ipx_engine *eng;
	struct ike_io io;
	const struct cfg *cfg;
	/* the tables of ike_table.c */
	struct ikesa **hash;             /* by our SPI */
	struct ikesa **init_hash;        /* responder SAs by SPIi */
	struct ike_src **src_hash;       /* half-open SAs per source address */
	struct ikesa **peer_hash;        /* by connection and peer identity */
	struct child_sa **child_hash;    /* Child SAs by inbound SPI */
	unsigned n_child_hashed;
	struct ikesa **id_hash;          /* by unique_id (list-sas cursors) */
	uint64_t src_salt;
	unsigned hash_mask;
	struct ikesa *all;               /* newest first */
	unsigned n_sas, n_half_open;
	struct ike_list *lists;          /* list-sas listings in progress (ike_list.c) */
	uint32_t next_unique;
	struct ike_cookie_ctx cookies;
	struct ike_guard guard;           /* cookies while the socket overflows */
	struct ike_mgr_stats st;
	/* retransmission (2.4): first timeout, growth factor, attempts,
	 * longest single wait (0: none) */
	unsigned rtx_ms;
	double rtx_base;
	unsigned rtx_tries;
	unsigned rtx_limit_ms;
	unsigned half_open_s;
	struct event *tick_ev;            /* once a second: runs the wheel */
	struct ike_wheel wheel;           /* established SAs by their next deadline */
	uint64_t cookie_next;             /* when the cookie secret rotates */
	struct ike_retry *retries;
	struct ike_certfetch *certs;      /* Hash and URL (ike_certfetch.c) */
	uint8_t *cert_tx[IKE_CERTS_MAX + 2];   /* CERT/CERTREQ data being sent */
	unsigned n_cert_tx;
	struct ike_crl_entry crl_cache[IKE_CRL_CACHE];   /* ike_cert.c */
	unsigned crl_next;                /* the entry the next CRL replaces */
	uint8_t *buf;                     /* IKE_MSG_BUF, for building */
	struct ike_msg *msg;              /* the message being processed */
	struct ike_msg *omsg;             /* the message being built */
};

/* ---- certificates (ike_cert.c) ---- */
extern const uint8_t ike_cert_sig_hashes[8];   /* N(SIGNATURE_HASH_ALGORITHMS) data */
/* N(SIGNATURE_HASH_ALGORITHMS), N(HTTP_CERT_LOOKUP_SUPPORTED) and CERTREQ
 * of the peer's IKE_SA_INIT or IKE_AUTH request, noted in sa. */
void ike_cert_peer_notes(struct ikesa *sa, const struct ike_msg *m);
/* CERTREQ with our trust anchors for c (and HTTP_CERT_LOOKUP_SUPPORTED
 * with hash_and_url) when c checks the peer's certificate. */
int ike_cert_add_certreq(struct ikesa *sa, struct ike_msg *m, const struct cfg_conn *c,
			 bool inner);
/* Our CERT payloads (by value, or Hash and URL when the peer can fetch). */
int ike_cert_add_ours(struct ikesa *sa, struct ike_msg *m);
/* Our AUTH signature over in's octets: method and data. */
int ike_cert_sign(struct ikesa *sa, const struct ike_auth_in *in, uint8_t *method,
		  uint8_t *out, size_t cap, size_t *len);
/* The peer's certificate (chain, revocation, identity) and its AUTH.  0;
 * -EACCES with why; -EINPROGRESS: Hash and URL fetches started, the
 * exchange is kept and resumed (ike_auth_respond / ike_auth_response_resume)
 * when they are in. */
int ike_cert_verify_peer(struct ikesa *sa, const struct ike_msg *m, const struct ike_id *id,
			 const struct ike_auth *auth, const struct ike_auth_in *in,
			 char *why, size_t n);
bool ike_cert_waiting(const struct ikesa *sa);
void ike_cert_wait_free(struct ikesa *sa);
/* Buffers of the last message built with CERT/CERTREQ: free them. */
void ike_cert_tx_reset(struct ike_mgr *mgr);
void ike_cert_crls_free(struct ike_mgr *mgr);
/* Two DER distinguished names equal by value (X509_NAME_cmp). */
bool ike_cert_dn_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/* ---- internal, shared by the ike_*.c files ---- */
struct ikesa *ike_sa_new(struct ike_mgr *m, bool initiator);
void ike_sa_destroy(struct ikesa *sa);
/* p becomes type, data (len octets) and text; 0, or -ENOMEM and p is
 * unchanged. */
int ike_peer_id_set(struct ike_peer_id *p, uint8_t type, const uint8_t *data,
		    size_t len, const char *text);
/* to becomes a copy of from: 0 or -ENOMEM (to unchanged). */
int ike_peer_id_copy(struct ike_peer_id *to, const struct ike_peer_id *from);
void ike_peer_id_free(struct ike_peer_id *p);
/* sa->ni and sa->nr allocated (if they are not yet): 0 or -ENOMEM. */
int ike_sa_nonces(struct ikesa *sa);
/* ... wiped and freed once IKE_AUTH and its Child SA are done. */
void ike_sa_nonces_free(struct ikesa *sa);

/* ---- SA tables (ike_table.c) ---- */
int ike_table_init(struct ike_mgr *m, unsigned size);   /* size: a power of 2 */
void ike_table_free(struct ike_mgr *m);
/* (Re)file sa under our SPI after it was set or changed. */
void ike_sa_rehash(struct ikesa *sa);
struct ikesa *ike_sa_lookup(struct ike_mgr *m, const uint8_t *spi, bool we_initiated);
/* A responder SA, filed by the initiator's SPI and address (once). */
void ike_sa_hash_init(struct ikesa *sa);
struct ikesa *ike_sa_lookup_init(struct ike_mgr *m, const uint8_t *spi_i,
				 const struct sockaddr_storage *remote);
/* sa becomes half-open (from sa->remote's address) or stops being it:
 * counted in mgr->n_half_open and for its source.  0 or -ENOMEM. */
int ike_sa_half_open(struct ikesa *sa, bool on);
unsigned ike_half_open_from(struct ike_mgr *m, const struct sockaddr_storage *src);
/* File a new SA under its unique_id (ike_sa_new). */
void ike_sa_hash_id(struct ikesa *sa);
struct ikesa *ike_sa_by_id(struct ike_mgr *m, uint32_t unique_id);
/* Out of every table (destroy); listings in progress step past it. */
void ike_table_remove(struct ikesa *sa);
/* (Re)file sa by its connection name and peer identity (once established,
 * or made from another SA with that one's).  The SAs with the same key
 * are in the chain from ike_peer_first() on (->pnext), with others that
 * share the bucket: compare with ike_same_peer_key(). */
void ike_sa_peer_file(struct ikesa *sa);
struct ikesa *ike_peer_first(const struct ikesa *sa);
/* For the tests: every SA filed by peer is in the bucket its key and its
 * peer_bucket name, and every entry of a bucket is such an SA. */
bool ike_table_check(const struct ike_mgr *m);
bool ike_same_peer_key(const struct ikesa *a, const struct ikesa *b);
/* sa itself, then the others with its key:
 *     for (o = sa; o; o = ike_peer_next(sa, o))
 * (the next one may be taken before o is destroyed). */
struct ikesa *ike_peer_next(const struct ikesa *sa, const struct ikesa *o);
/* Child SAs by inbound SPI, from the SPI's choice to ike_child_free. */
void ike_child_hash_add(struct ike_mgr *m, struct child_sa *c);
void ike_child_hash_del(struct ike_mgr *m, struct child_sa *c);
struct child_sa *ike_child_lookup(struct ike_mgr *m, uint32_t spi_in);
/* ike_list.c: sa is going: a listing about to show it moves on to the
 * next one; the manager is going: its listings end. */
void ike_list_sa_gone(struct ikesa *sa);
void ike_list_mgr_gone(struct ike_mgr *m);
/* Log with "conn[unique] peer addr[port]: " in front. */
void ike_sa_log(const struct ikesa *sa, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ike_set_port(struct sockaddr_storage *ss, uint16_t port);
/* ---- sending (ike_send.c) ---- */
/* Build m (header already set), encrypt if it has SK, and send: as a
 * request (tracked, retransmitted; on_response called with the answer) or
 * as a response (cached for retransmitted requests). */
int ike_send_request(struct ikesa *sa, struct ike_msg *m,
		     int (*on_response)(struct ikesa *, struct ike_msg *));
/* The liveness check's request: retransmitted every liveness_interval,
 * liveness_retries times. */
int ike_send_liveness(struct ikesa *sa, struct ike_msg *m);
/* m once, neither tracked nor cached (the Deletes of a shutdown). */
int ike_send_once(struct ikesa *sa, struct ike_msg *m);
/* Our request in flight, given up (answered, or the SA goes). */
void ike_out_cancel(struct ikesa *sa);
void ike_wire_free(struct ike_wire *w);
int ike_send_response(struct ikesa *sa, struct ike_msg *m);
/* The answer to request id of that exchange: one notify (with data) in SK. */
int ike_send_error_response(struct ikesa *sa, uint8_t exchange, uint32_t id,
			    uint16_t notify, const uint8_t *data, size_t len);
/* The cached response again (a retransmitted request). */
int ike_resend_response(struct ikesa *sa);
/* An unprotected notify answering an IKE_SA_INIT request (no state). */
void ike_send_init_error(struct ike_mgr *mgr, const struct ike_hdr *req,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, bool natt,
			 uint16_t notify, const uint8_t *data, size_t len);
/* Start message m for sa: header with SPIs, flags for our role. */
void ike_msg_start(struct ikesa *sa, struct ike_msg *m, uint8_t exchange,
		   bool response, uint32_t id);
/* Every state change of an IKE SA: checked, logged at debug level. */
void ike_sa_state(struct ikesa *sa, enum ike_state to);
const char *ike_state_name(enum ike_state s);
void ike_sa_established(struct ikesa *sa);
/* old is replaced by n (a rekey or reauthentication): it carries nothing
 * from now on and waits for its Delete. */
void ike_sa_replaced(struct ikesa *old, struct ikesa *n);
void ike_sa_fail(struct ikesa *sa, const char *why);
/* Monotonic seconds; the exchange tests move time forward with the
 * offset and stop the real clock with ike_clock_frozen (the second it
 * stands at), so that a second ticking by mid-test moves no deadline
 * (both always 0 in the daemon). */
uint64_t ike_now(void);
extern uint64_t ike_clock_offset;
extern uint64_t ike_clock_frozen;
/* State changes refused by ike_sa_state()/ike_child_state() (bugs; the
 * exchange tests check that there are none) */
extern unsigned ike_state_errors;

/* ---- RFC 7383 fragmentation (ike_frag.c) ---- */
/* The largest message that goes unfragmented to this peer. */
size_t ike_frag_max_message(const struct ikesa *sa);
/* msg (with SK) cut into encrypted SKF fragments back to back in w. */
int ike_frag_split(struct ikesa *sa, const struct ike_msg *msg, struct ike_wire *w);
/* A verified, decrypted SKF fragment of m (plain): 1 while more are to
 * come; 0 when the message is complete: *whole (malloc'd, the caller
 * frees it) holds its inner payloads, *first the first one's type; or
 * -EBADMSG / -ENOMEM. */
int ike_frag_add(struct ikesa *sa, const struct ike_msg *m, const uint8_t *plain,
		 size_t plain_len, uint8_t **whole, size_t *whole_len, uint8_t *first);
void ike_frags_reset(struct ike_frags *f);
/* The reassembly state of sa's requests (0) or responses (1), freed. */
void ike_frags_drop(struct ikesa *sa, int which);

/* ---- exchanges ---- */
int ike_init_start(struct ikesa *sa);                      /* ike_init.c */
/* Do c's local_addrs and remote_addrs admit an IKE SA between these? */
bool ike_conn_admits(const struct cfg_conn *c, const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote);
void ike_init_respond(struct ike_mgr *mgr, const uint8_t *buf, size_t len,
		      const struct ike_hdr *h,
		      const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, bool natt);
int ike_auth_start(struct ikesa *sa);                      /* ike_auth.c */
int ike_auth_respond(struct ikesa *sa, struct ike_msg *m);
/* an IKE_AUTH response that waited for Hash and URL fetches (ike_cert.c) */
int ike_auth_response_resume(struct ikesa *sa, struct ike_msg *m);
int ike_info_respond(struct ikesa *sa, struct ike_msg *m);  /* ike_info.c */
int ike_info_delete_ike(struct ikesa *sa);
/* Delete one Child SA (INFORMATIONAL with its inbound SPI). */
int ike_info_delete_child(struct ikesa *sa, struct child_sa *c);
/* An empty INFORMATIONAL request: are you there? (2.4) */
int ike_info_liveness(struct ikesa *sa);
/* CREATE_CHILD_SA (ike_create.c) */
int ike_create_child_respond(struct ikesa *sa, struct ike_msg *m);
int ike_create_child_start(struct ikesa *sa, const struct cfg_child *cfg);
int ike_rekey_child_start(struct ikesa *sa, struct child_sa *old);
int ike_rekey_ike_start(struct ikesa *sa);
/* Timers (ike_timer.c): liveness, keepalives, lifetimes, retries. */
void ike_timer_tick(evutil_socket_t fd, short what, void *arg);
void ike_sa_set_timers(struct ikesa *sa);
void ike_child_set_timers(struct child_sa *c);
/* Something about sa changed that may move a deadline earlier: look at it
 * on the next tick (established SAs; any other is taken off the wheel). */
void ike_sa_kick(struct ikesa *sa);
/* Peer dead or gone: act on liveness_action. */
void ike_sa_dead(struct ikesa *sa, const char *why);
struct ike_retry *ike_retry_schedule(struct ike_mgr *m, const char *conn,
				     const char *child, unsigned delay_s);
/* ike_mgr_initiate, counting attempts for keyingtries. */
int ike_mgr_initiate_attempt(struct ike_mgr *m, const char *conn, const char *child,
			     unsigned attempt, bool keep_up);
/* Lowest of two nonces, 2.8.1 */
int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);

/* ---- refusals (ike_refuse.c) ---- */
/* Proposals as strongSwan's keywords, "aes256gcm16-prfsha256-x25519",
 * several separated by ", " (what does not fit in buf ends in "..."). */
const char *ike_offer_str(const struct ike_sa *offer, char *buf, size_t len);
const char *ike_props_cfg_str(const struct ike_prop_cfg *p, unsigned n, char *buf, size_t len);
/* Selectors as a list: "[10.1.0.0/16, 10.3.0.1/32]". */
const char *ike_ts_list_str(const struct ike_ts *ts, unsigned n, char *buf, size_t len);
/* sa's refusal (ike_sa_info.refusal) becomes this text. */
void ike_sa_refusal(struct ikesa *sa, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Does sa ask again for Child SAs it lacks (create_missing in
 * ike_timer.c)?  An initiator of a start_action: start connection. */
bool ike_child_auto(const struct ikesa *sa);
/* Initiator: the Child SA c we asked for was not made (why: "TS_UNACCEPTABLE
 * from the peer"): a warning with what we offered, sa's refusal, the
 * back-off before it is asked for again (1 s, doubling, at most 60 s) or,
 * after child_retries, the end of it; the "child-failed" event.  The
 * caller frees c. */
void ike_child_failed(struct ikesa *sa, struct child_sa *c, const char *why);
/* Responder: we refused the Child SA req asked for (name: the child of
 * ours it was meant for, "" when none matched; the warning and sa's
 * refusal are done): the "child-failed" event with a description of it
 * (valid during the call only). */
void ike_child_refused_event(struct ikesa *sa, const char *name, const struct ike_msg *req);
/* When the child called name may be asked for again: 0 now, UINT64_MAX
 * never (given up), else the monotonic second. */
uint64_t ike_child_retry_at(const struct ikesa *sa, const char *name);
/* Forget name's refusals (NULL: all): it came up, or the operator asks. */
void ike_child_retry_clear(struct ikesa *sa, const char *name);
/* to takes over from's refusals (a rekey, a reauthentication). */
void ike_child_retry_copy(const struct ikesa *from, struct ikesa *to);
void ike_child_retry_free(struct ikesa *sa);

/* ---- Child SAs (ike_child.c) ---- */
uint32_t ike_child_alloc_spi(struct ike_mgr *m);
struct child_sa *ike_child_new(struct ikesa *sa, const struct cfg_child *cfg);
void ike_child_free(struct child_sa *c);
/* c's selectors (at most IKE_CHILD_TS_MAX a side) become copies of l and
 * r, in one allocation that replaces the one before.  0 or -ENOMEM (then
 * c's selectors are unchanged). */
int ike_child_set_ts(struct child_sa *c, const struct ike_ts *l, unsigned nl,
		     const struct ike_ts *r, unsigned nr);
/* Every state change of a Child SA: checked, logged at debug level. */
void ike_child_state(struct child_sa *c, enum child_state to);
const char *ike_child_state_name(enum child_state s);
/* Queued for deletion, being deleted or lingering: on its way out. */
static inline bool ike_child_going(const struct child_sa *c)
{
	return c->state >= CHILD_DELETE_QUEUED;
}
/* What list-sas (and the metrics) call its state: installed, rekeying,
 * rekeyed (a successor took over), deleting (on its way out). */
const char *ike_child_show_state(const struct child_sa *c);
/* Our Delete for it is out, or both ends have deleted it. */
static inline bool ike_child_deleted(const struct child_sa *c)
{
	return c->state >= CHILD_DELETING;
}
/* c's configuration in the one running now: NULL once a reload removed
 * it (or its connection). */
const struct cfg_child *ike_child_cfg(const struct child_sa *c);
/* Add the SA/TSi/TSr (and USE_TRANSPORT_MODE) payloads of a request.
 * pfs: keep the proposals' key exchange transforms (CREATE_CHILD_SA);
 * IKE_AUTH strips them (1.2).  Selectors already set on c (a rekey) are
 * sent as they are. */
int ike_child_add_request(struct ikesa *sa, struct child_sa *c,
			  struct ike_msg *m, bool pfs);
/* Responder: pick config (rekey_of's for a rekey), proposal and narrowed
 * selectors for the request in m, add the SA/TS payloads to out.  On
 * failure returns the notify to send and *c is NULL; a refusal
 * (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) is logged with what was offered
 * and what is configured, becomes sa's refusal, and sets *refused to the
 * child it was meant for ("" when no child's selectors fit; else NULL),
 * for ike_child_refused_event. */
uint16_t ike_child_respond(struct ikesa *sa, const struct ike_msg *m,
			   struct ike_msg *out, struct child_sa **c, bool pfs,
			   const struct child_sa *rekey_of, const char **refused);
/* Initiator: check the responder's answer for c; 0 or the notify that
 * describes the failure. */
uint16_t ike_child_check_reply(struct ikesa *sa, struct child_sa *c,
			       const struct ike_msg *m);
/* Keys of a child (2.17) from the exchange that made it: we_init is our
 * role in THAT exchange, ni/nr its nonces, g_ir its PFS secret or NULL.
 * Both ESP SAs go into the engine and c is linked into sa; the data plane
 * is not told (ike_child_activate).  0 or -errno. */
int ike_child_install(struct ikesa *sa, struct child_sa *c, bool we_init,
		      const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		      size_t nr_len, const uint8_t *g_ir, size_t g_ir_len);
/* Hand an installed child to the data plane: a new policy, or as the
 * successor of old (switch_out: it carries the outbound traffic now;
 * else only its inbound SA is accepted).  A new child (old NULL) with the
 * selectors of a running one takes that one's place the same way;
 * switch_out then says whether we initiated the exchange that made it.
 * 0 or -errno (then removed). */
int ike_child_activate(struct ikesa *sa, struct child_sa *c,
		       struct child_sa *old, bool switch_out);
void ike_child_remove(struct ikesa *sa, struct child_sa *c);
/* Both ends deleted c, a rekeyed SA: its successor carries the traffic
 * now, and c's inbound SA stays IKE_CHILD_LINGER_S for the packets the
 * peer sent on it before it switched (the timer removes it).  False when
 * c is not a replaced SA: remove it instead. */
bool ike_child_linger(struct ikesa *sa, struct child_sa *c);
struct child_sa *ike_child_by_spi_out(struct ikesa *sa, uint32_t spi);
/* The engine transform for a negotiated ESP choice, 0 when none. */
uint8_t ike_child_engine_cipher(const struct ike_prop_choice *p);

#endif
