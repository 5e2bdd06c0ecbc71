/*
 * ikegen: an IKEv2 load generator (initiator only) for measuring how fast a
 * responder sets tunnels up, how much memory it holds for them and whether
 * it keeps them (issue 16).
 *
 * Each tunnel is one IKE SA with one Child SA: IKE_SA_INIT and IKE_AUTH with
 * a PSK (RFC 7296 1.2), then held: the responder's liveness checks, Deletes
 * and rekeys (CREATE_CHILD_SA, 1.3, 2.18) are answered until we delete the
 * IKE SA ourselves.  No ESP is sent: only the control plane is loaded.
 *
 * Files, one concern each:
 *   ikegen.c       options, the phases (set-up, hold, teardown), pacing
 *   gen_net.c      sockets, datagrams in and out, retransmission
 *   gen_msg.c      building, sealing and opening messages of one IKE SA
 *   gen_setup.c    IKE_SA_INIT and IKE_AUTH as initiator
 *   gen_respond.c  the responder's requests, and our Delete
 *   gen_churn.c    Child SAs made and deleted by us, over and over (--child-churn)
 *   gen_flood.c    IKE_SA_INITs from spoofed addresses, never answered (--flood)
 *   gen_report.c   counters, latencies, human and JSON output
 *
 * Bad input at scale (issue 16): --no-auth stops each set-up after
 * IKE_SA_INIT and leaves the responder a half-open IKE SA; --child-churn K
 * makes and deletes K Child SAs over the tunnels up before the hold;
 * --flood RATE sends nothing else and sets nothing up.
 *
 * One event loop (libevent) on one thread: at the rates a responder on the
 * same machine reaches, the generator's share of a core stays small (one
 * X25519 shared secret and a handful of HMACs and AES-GCM calls per
 * tunnel), so no threads.
 */
#ifndef IPSECFX_BENCH_IKEGEN_H
#define IPSECFX_BENCH_IKEGEN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ike/ike_crypto.h"
#include "ike/ike_msg.h"

#define GEN_BUF 4096	    /* our messages are a few hundred octets */
#define GEN_NONCE_LEN 32    /* 2.10: at least half the PRF key size */
#define GEN_CHILD_MAX 4	    /* Child SAs of a tunnel during rekeys */
#define GEN_REASONS_MAX 32  /* distinct failure reasons counted */
#define GEN_GROUPS_MAX 4

enum gen_state {
	T_IDLE,	    /* not started */
	T_INIT,	    /* IKE_SA_INIT sent */
	T_AUTH,	    /* IKE_AUTH sent */
	T_UP,	    /* established with its Child SA */
	T_HALF,	    /* --no-auth: IKE_SA_INIT answered, left half-open */
	T_CLEANUP,  /* failed after IKE_AUTH: our Delete of the IKE SA out */
	T_DELETING, /* teardown: our Delete out */
	T_CLOSED,   /* teardown answered */
	T_FAILED,   /* set-up failed (reason counted) */
	T_GONE,	    /* deleted by the responder, or teardown unanswered */
};

/* One IKE SA of a tunnel.  Which of its SPIs is ours depends on who made
 * it: the first IKE SA is ours (we are its original initiator), one
 * replacing it by the responder's rekey (2.18) is the responder's. */
struct gsa {
	uint8_t spi_i[IKEV2_SPI_LEN], spi_r[IKEV2_SPI_LEN];
	bool initiator;	    /* we are its original initiator (I flag) */
	bool keys_ok;
	uint16_t prf, encr, encr_bits, dh;
	struct ike_sa_keys keys;
	uint32_t req_next;  /* message ID of our next request */
	uint32_t resp_next; /* message ID of the peer's next request */
	uint8_t *last_resp; /* our last response, for retransmissions (2.1) */
	size_t last_resp_len;
};

struct gen_child {
	uint32_t spi_in, spi_out; /* ours (inbound), theirs; host order */
};

struct gen_sock {
	int fd;
	unsigned addr;		/* index into gen.addrs */
	struct sockaddr_in sa;	/* bound address and port */
	struct event *ev;
};

struct gen_addr {
	struct in_addr a;
	unsigned half_open; /* our set-ups in flight from this address */
	unsigned next_port; /* round robin over its sockets */
};

struct tun {
	uint32_t idx;
	uint8_t state;	     /* enum gen_state */
	bool natt;	     /* floated to the NAT-T port (2.23) */
	bool counted_half;   /* holds a half-open slot */
	uint8_t tries;	     /* transmissions of the request out */
	uint8_t cookies, ke_retries;
	struct gen_sock *sock;
	struct gsa *sa, *old; /* current, and the one a rekey replaced */
	/* set-up */
	uint16_t group;	     /* the KE group we send */
	uint8_t ni[GEN_NONCE_LEN];
	uint8_t nr[IKEV2_NONCE_MAX];
	size_t nr_len;
	uint8_t *cookie;
	size_t cookie_len;
	uint8_t *init_req, *init_resp; /* kept for AUTH (2.15) */
	size_t init_req_len, init_resp_len;
	uint32_t child_spi;  /* our SPI offered in IKE_AUTH */
	uint8_t churn;	     /* enum gen_churn_step of our churn request out */
	uint32_t churn_spi;  /* our inbound SPI of the churned Child SA */
	/* our request in flight (window size 1, 2.3) */
	uint8_t *out;
	size_t out_len;
	uint32_t out_id;
	struct gsa *out_sa;  /* the SA the request went out on */
	struct event *rtx;
	uint64_t t_start_ns; /* first IKE_SA_INIT sent */
	struct gen_child ch[GEN_CHILD_MAX];
	unsigned n_ch;
};

struct gen_opts {
	struct in_addr target;
	uint16_t port, natt_port;
	struct in_addr src_base;
	unsigned src_count, ports, sport_base;
	unsigned tunnels, window, per_src;
	double rate;	      /* set-ups started per second, 0 = window only */
	double hold_s;
	double rtx_s;	      /* first retransmission */
	unsigned rtx_tries;   /* retransmissions before "timeout" */
	uint16_t groups[GEN_GROUPS_MAX];
	unsigned n_groups;    /* offered; the first is sent in KE */
	const char *psk;
	bool id_ipv4;	      /* IPv4 IDs (the TSi address) instead of FQDNs */
	struct in_addr ts_base;
	const char *tsr;
	const char *ready;    /* created when set-up (and churn) is over */
	bool json, verbose;
	bool no_auth;	      /* stop after IKE_SA_INIT */
	unsigned churn;	      /* Child SAs to make and delete after set-up */
	unsigned churn_warmup; /* of those, the first; --mark after them */
	const char *mark;
	double flood;	      /* spoofed IKE_SA_INITs per second, 0 = at most */
	bool flooding;
	double flood_s;	      /* for this long (0: until SIGINT/SIGTERM) */
	struct in_addr flood_net;
	unsigned flood_bits;
};

struct gen_reason {
	char name[48];
	unsigned n;
};

struct gen_stats {
	unsigned started, up, failed, closed, teardown_failed, gone;
	unsigned cookies, invalid_ke, retransmits, rx, tx, rx_dropped;
	unsigned liveness, deletes, child_deletes, child_rekeys, ike_rekeys;
	unsigned natt, half_open;
	unsigned churn_started, churn_done, churn_failed, churn_retried;
	uint64_t t_churn0_ns, t_churn_end_ns;
	struct gen_reason reasons[GEN_REASONS_MAX];
	unsigned n_reasons;
	struct gen_reason td_reasons[GEN_REASONS_MAX];
	unsigned n_td_reasons;
	uint32_t *lat_us;     /* set-up latency of each tunnel up */
	unsigned n_lat;
	uint32_t *per_s;      /* set-ups completed in each second */
	unsigned n_per_s;
	uint64_t t0_ns, t_setup_end_ns, t_td0_ns, t_td_end_ns;
};

struct gen {
	struct event_base *base;
	struct gen_opts o;
	struct tun *t;
	struct gen_addr *addrs;
	struct gen_sock *socks;
	unsigned n_socks;
	/* one key pair per group for the whole run: the responder sees a
	 * KE value it cannot tell from a fresh one, and the generator only
	 * computes the shared secret per tunnel (its costly half) */
	struct ike_dh *dh[GEN_GROUPS_MAX];
	uint8_t dh_pub[GEN_GROUPS_MAX][IKE_DH_MAX];
	size_t dh_pub_len[GEN_GROUPS_MAX];
	struct ike_prop_cfg ike_prop, esp_prop;
	struct ike_proposal ike_sa_prop; /* IKE_SA_INIT's one proposal */
	struct ike_ts tsr;
	/* pacing */
	unsigned next;	     /* next tunnel to start or tear down */
	unsigned in_flight;  /* set-ups (or Deletes) out */
	unsigned cleanups;   /* Deletes of failed set-ups out */
	unsigned addr_cursor;
	double tokens;
	uint64_t t_tokens_ns;
	bool teardown;
	bool churn_begun, churn_over;
	struct event *tick, *sigint, *sigterm, *sigusr1, *hold_ev;
	struct gen_stats st;
	uint8_t buf[GEN_BUF];
	struct ike_msg min, mout; /* one in, one out: single-threaded */
};

extern struct gen *G;

/* ikegen.c */
uint64_t gen_now_ns(void);
void gen_tunnel_done(struct tun *t); /* set-up over (up or failed) */
void gen_teardown_done(struct tun *t);
void gen_cleanup_done(struct tun *t); /* a failed set-up's Delete is over */
void gen_pump(void);
void gen_log(const struct tun *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* gen_net.c */
int gen_net_open(void);
void gen_net_close(void);
/* Send a datagram from t's socket to the responder (IKE or NAT-T port). */
int gen_send(struct tun *t, const uint8_t *buf, size_t len);
/* Our request: kept and sent again on timeout (1 s, 2 s, 4 s...); < 0
 * only when it could not be kept. */
int gen_request(struct tun *t, struct gsa *sa, const uint8_t *buf, size_t len,
		uint32_t id);
void gen_request_done(struct tun *t);
void gen_tun_free(struct tun *t);

/* gen_msg.c */
struct gsa *gen_sa_new(uint32_t idx);
void gen_sa_free(struct gsa *sa);
const uint8_t *gen_sa_our_spi(const struct gsa *sa);
/* Start m as a message of sa. */
void gen_msg_start(struct gsa *sa, struct ike_msg *m, uint8_t exchange,
		   bool response, uint32_t id);
/* TSi and TSr of a Child SA added to m: TSi the n-th host after --ts-base
 * (filled into *tsi, which must outlive m's build), all ports and
 * protocols; TSr --tsr, anything the responder allows (it narrows, 2.9). */
void gen_msg_add_ts(struct ike_msg *m, struct ike_ts *tsi, uint32_t n);
/* Serialise and encrypt m into G->buf; *len its length. */
int gen_msg_seal(struct gsa *sa, struct ike_msg *m, size_t *len);
/* Parse buf (len octets, writable) into G->min and decrypt its SK
 * payload with sa's keys.  0, or -errno with *why. */
int gen_msg_open(struct gsa *sa, uint8_t *buf, size_t len, const char **why);
/* The first error notify (type below 16384) of m, 0 if none. */
uint16_t gen_msg_error(const struct ike_msg *m);
/* A tunnel's SPI carries its index: random upper half, index + 1 below. */
int gen_spi_new(uint32_t idx, uint8_t spi[IKEV2_SPI_LEN]);
uint32_t gen_spi_idx(const uint8_t spi[IKEV2_SPI_LEN]);
/* The shared key pair of group, created on first use; its index. */
int gen_group(uint16_t group);

/* gen_setup.c */
int gen_setup_start(struct tun *t);
void gen_setup_input(struct tun *t, uint8_t *buf, size_t len);
void gen_setup_timeout(struct tun *t);

/* gen_respond.c */
void gen_respond(struct tun *t, struct gsa *sa, uint8_t *buf, size_t len);
int gen_delete_start(struct tun *t, bool cleanup);
void gen_delete_input(struct tun *t, uint8_t *buf, size_t len);

/* gen_churn.c: --child-churn, one cycle at a time per tunnel up */
enum gen_churn_step { CHURN_NONE, CHURN_CREATE, CHURN_DELETE };
void gen_churn_begin(void);
void gen_churn_input(struct tun *t, uint8_t *buf, size_t len);
void gen_churn_timeout(struct tun *t);

/* gen_flood.c: --flood; the whole run, its report included */
int gen_flood_run(void);

/* gen_report.c */
void gen_fail(struct tun *t, const char *reason);
void gen_fail_notify(struct tun *t, uint16_t type);
void gen_td_fail(struct tun *t, const char *reason);
void gen_count_up(struct tun *t);
int gen_report(void);

#endif
