/*
 * The daemon's configuration: YAML (libcyaml schema in config.c) validated
 * into the structures below.  Names follow strongSwan's swanctl.conf where
 * an equivalent exists; docs/config.md documents every key and default.
 * Every error is "FILE:LINE: KEY: message", all of a file's at once; a
 * file with any error is refused as a whole (on reload the running
 * configuration stays).
 */
#ifndef IPSECFX_CONFIG_H
#define IPSECFX_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/x509.h>

#include "../proto/proposal.h"
#include "../proto/ts.h"

#define CFG_NAME_MAX 64
#define CFG_ID_MAX 256

enum cfg_start_action { CFG_START_NONE = 0, CFG_START_START, CFG_START_TRAP };
enum cfg_liveness_action { CFG_LIVENESS_RESTART = 0, CFG_LIVENESS_CLEAR };
enum cfg_auth { CFG_AUTH_PSK = 0, CFG_AUTH_PUBKEY };
/* remote.revocation, as swanctl: fail on a revoked certificate only; also
 * when a certificate names a CRL but its status is unknown; whenever the
 * status is unknown.  (The values are ike_pki.h's.) */
enum cfg_revocation { CFG_REV_RELAXED = 0, CFG_REV_IFURI, CFG_REV_STRICT };

/* An IKE identity (RFC 7296 3.5), or "%any" on the remote side.  A
 * distinguished name is kept as DER (ID_DER_ASN1_DN) and compared by value. */
struct cfg_id {
	uint8_t type;            /* enum ikev2_id_type */
	bool any;                /* remote: accept whatever the peer says */
	bool dynamic;            /* local: the IKE SA's own address (no local.id, no local_addrs) */
	uint16_t len;
	uint8_t data[CFG_ID_MAX];
	char text[CFG_ID_MAX];   /* as written, for logs */
};

struct cfg_child {
	char name[CFG_NAME_MAX];
	struct ike_ts *local_ts, *remote_ts;
	unsigned n_local_ts, n_remote_ts;
	struct ike_prop_cfg *esp;
	unsigned n_esp;
	uint8_t mode;            /* IPX_MODE_TUNNEL / IPX_MODE_TRANSPORT */
	uint32_t replay_window;
	/* lifetimes: rekey (soft, minus up to rand_time) then life (hard);
	 * 0 = no limit of that kind */
	uint32_t rekey_time, life_time, rand_time;   /* seconds */
	uint64_t rekey_bytes, life_bytes, rekey_packets, life_packets;
};

struct cfg_conn {
	char name[CFG_NAME_MAX];
	struct sockaddr_storage *local_addrs, *remote_addrs;
	unsigned n_local_addrs, n_remote_addrs;
	bool remote_any;         /* remote_addrs: [%any] (responder only) */
	struct cfg_id local_id, remote_id;
	uint8_t local_auth, remote_auth;  /* enum cfg_auth */
	uint8_t *psk;            /* wiped on free */
	size_t psk_len;
	/* local.auth pubkey (docs/certificates.md): our end-entity
	 * certificate, the intermediates sent along, its private key, and
	 * where peers may fetch the certificate (Hash and URL; "" = none) */
	X509 *cert;
	STACK_OF(X509) *intermediates;
	EVP_PKEY *key;
	char cert_uri[512];
	/* remote.auth pubkey: this connection's trust anchors (NULL: the
	 * top-level cacerts) and what an unknown revocation status means */
	STACK_OF(X509) *cacerts;
	uint8_t revocation;      /* enum cfg_revocation */
	bool hash_and_url;       /* RFC 7296 3.6, both directions */
	struct ike_prop_cfg *ike;
	unsigned n_ike;
	bool encap;              /* force UDP encapsulation */
	uint8_t start_action;    /* enum cfg_start_action */
	uint32_t keyingtries;    /* initiation attempts, 0 = forever */
	uint32_t child_retries;  /* a refused Child SA asked for again, 0 = forever */
	uint32_t nat_keepalive;  /* seconds between NAT keepalives, 0 = off */
	uint32_t liveness_interval, liveness_retries;
	uint8_t liveness_action; /* enum cfg_liveness_action */
	char updown[256];        /* script run on up/down, "" = none */
	bool strict_cookies;     /* always demand a cookie (RFC 7296 2.6) */
	uint32_t ike_lifetime;   /* seconds; rekeyed before, deleted at */
	uint32_t reauth_interval;   /* seconds, 0 = off */
	bool fragmentation;      /* RFC 7383 */
	uint32_t fragment_size;  /* largest IKE datagram we send unfragmented */
	/* what an authenticated peer may hold (0 = no limit): Child SAs per
	 * IKE SA (a rekey's replaced SA not counted), and IKE SAs per peer
	 * (one identity at one address) */
	uint32_t max_child_sas, max_ike_sas_per_peer;
	struct cfg_child *children;
	unsigned n_children;
};

struct cfg {
	char file[256];
	char engine[16];         /* soft | sim | xrt | auto */
	bool engine_fault_injection;  /* allow `ipsecfx engine fault` (tests) */
	uint64_t engine_seq_margin;   /* fallback: sequence numbers skipped */
	uint32_t engine_auto_back_s;  /* move back to the card after; 0 = manual */
	uint32_t engine_deadline_ms;  /* a card burst slower than this is a stall */
	uint32_t engine_card_sas;     /* SAs on the card each way at most; 0 = its table */
	uint32_t half_open_timeout_s; /* a half-open IKE SA goes after this (2.6) */
	char control[108];
	char control_group[64];  /* may use the control socket; "" = none */
	/* who the daemon becomes after start-up (docs/security.md); ""
	 * group = the user's own */
	char user[64], group[64];
	int log_level;           /* IPX_LOG_* */
	char log_file[256];      /* "" = syslog (stderr with -f) */
	char pid_file[256];      /* "" = none with -f, else next to control */
	uint16_t ike_port, natt_port;
	bool key_export;         /* allow `ipsecfx export-keys` (secrets!) */
	uint32_t cookie_threshold;  /* half-open SAs above which cookies are required */
	uint32_t max_half_open;     /* beyond it, new IKE_SA_INITs are dropped */
	uint32_t max_half_open_per_source;  /* ... and beyond this from one address (0: none) */
	uint32_t retransmit_timeout_ms, retransmit_tries;
	double retransmit_base;
	uint32_t retransmit_limit_ms;     /* longest single wait; 0 = no cap */
	char tun_name[16];
	uint32_t tun_mtu;
	/* Prometheus' /metrics (host/daemon/metrics.c): "" = off */
	char metrics_listen[64];
	struct sockaddr_storage metrics_addr;
	/* certificates (docs/certificates.md): trust anchors for every
	 * connection without its own, CRLs, and the Hash and URL fetcher */
	STACK_OF(X509) *cacerts;
	STACK_OF(X509_CRL) *crls;
	uint32_t cert_cache;             /* certificates kept by hash */
	uint32_t cert_fetch_timeout_s;
	uint32_t cert_fetch_max;         /* bytes */
	struct cfg_conn *conns;
	unsigned n_conns;
	unsigned n_warnings;     /* logged by cfg_load, "FILE:LINE: KEY: ..." */
};

/* Load and validate.  0, or -EINVAL with every error logged; *out is only
 * set on success. */
int cfg_load(const char *file, struct cfg **out);
struct ycheck;
/* The loader on a document built elsewhere (ipsecfx import-swanctl builds
 * one from swanctl.conf): yc->doc, yc->file and yc->yp set, the marks of
 * its nodes their lines.  Messages go to yc->yp (in_order: they stay there
 * for the caller).  The document is left as the loader read it: swanctl's
 * names turned into these, what was refused taken out.  lenient: a
 * refused key marked YC_DROPPABLE (yamlcheck.h) is a warning, not an error. */
int cfg_load_tree(struct ycheck *yc, bool lenient, struct cfg **out);
void cfg_free(struct cfg *c);

const struct cfg_conn *cfg_conn_find(const struct cfg *c, const char *name);
/* The trust anchors that check conn's peer: its own or the top-level ones. */
STACK_OF(X509) *cfg_conn_cacerts(const struct cfg *c, const struct cfg_conn *conn);
/* conn's child of that name; NULL when conn is NULL or has none. */
const struct cfg_child *cfg_child_find(const struct cfg_conn *conn, const char *name);

/* "30s", "5m", "8h", "1d" or plain seconds.  0 or -EINVAL. */
int cfg_parse_duration(const char *s, uint32_t *secs);
/* "1500", "64k", "10M", "2G" (powers of 1024).  0 or -EINVAL. */
int cfg_parse_size(const char *s, uint64_t *out);
/* An identity: IPv4/IPv6 address, FQDN ("@host" or "host.example"),
 * RFC 822 ("user@example"), a distinguished name ("C=XX, O=Example,
 * CN=gw.example": anything with '='), a key ID ("@#hex"), "%any".
 * 0 or -EINVAL. */
int cfg_parse_id(const char *s, struct cfg_id *id, bool allow_any,
		 const char **why);

#endif
