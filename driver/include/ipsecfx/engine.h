/*
 * The ESP engine API.
 *
 * One interface in front of every ESP backend: the software engine (soft),
 * the Verilated pipeline (sim) and the Alveo card (xrt).  The IKE daemon and
 * the offline pcap tool only ever talk to this header; a backend never knows
 * who calls it.  Shaped after strongSwan's kernel_ipsec_t (SA management) and
 * DPDK's burst API (packet processing): SAs are added once with all their
 * keying material, packets then move in bursts with one status each.
 *
 * Threading: an engine instance is used from one thread at a time.
 * Errors: functions return 0 or a negative errno value.
 * Buffers: packets are processed in place; see struct ipx_pkt.
 */
#ifndef IPSECFX_ENGINE_H
#define IPSECFX_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipsecfx/contract.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Constants from the contract, as C enums with an IPX_ prefix. */
#define IPX_X_CONST(n, v, d) IPX_##n = (v),
enum { IPX_HW_CONSTANTS(IPX_X_CONST) };
#undef IPX_X_CONST

enum ipx_status {
#define IPX_X_STATUS(n, v, s, d) IPX_ST_##n = (v),
	IPX_STATUS_LIST(IPX_X_STATUS)
#undef IPX_X_STATUS
	IPX_ST__COUNT
};

enum ipx_cipher {
	IPX_CIPHER_NONE = 0,
#define IPX_X_CIPHER(n, v, k, i, b, iv, s) IPX_CIPHER_##n = (v),
	IPX_CIPHER_LIST(IPX_X_CIPHER)
#undef IPX_X_CIPHER
	IPX_CIPHER__COUNT
};

enum ipx_event_type {
#define IPX_X_EVENT(n, v, s, d) IPX_EV_##n = (v),
	IPX_EVENT_LIST(IPX_X_EVENT)
#undef IPX_X_EVENT
};

#define IPX_KEY_MAX 36        /* longest key material: AES-256 + salt */
#define IPX_INTEG_KEY_MAX 64  /* longest HMAC key */
#define IPX_SA_NONE UINT32_MAX

enum ipx_dir { IPX_DIR_OUT = 0, IPX_DIR_IN = 1 };
enum ipx_mode { IPX_MODE_TUNNEL = 0, IPX_MODE_TRANSPORT = 1 };

/* How the outer IPv4 DF bit is set in tunnel mode (RFC 4301 8.1). */
enum ipx_df {
#define IPX_X_DF(n, v, d) IPX_DF_##n = (v),
	IPX_DF_LIST(IPX_X_DF)
#undef IPX_X_DF
};

/* Properties of a transform, straight from the contract table. */
struct ipx_cipher_info {
	enum ipx_cipher id;
	const char *name;   /* strongSwan keyword, e.g. "aes256gcm16" */
	uint8_t key_len;    /* key material incl. salt */
	uint8_t integ_len;  /* HMAC key, 0 for AEADs */
	uint8_t block;      /* ESP padding boundary */
	uint8_t iv_len;     /* explicit IV in the packet */
};
const struct ipx_cipher_info *ipx_cipher_info(enum ipx_cipher c);
/* By keyword; NULL when unknown. */
const struct ipx_cipher_info *ipx_cipher_by_name(const char *name);
const char *ipx_status_name(enum ipx_status st);  /* "auth_failed" */
const char *ipx_event_name(enum ipx_event_type ev);

struct ipx_addr {
	uint8_t family;      /* AF_INET or AF_INET6; 0 = unset */
	uint8_t a[16];       /* network order; IPv4 in the first 4 bytes */
};

/* Limits for one direction of accounting; 0 means no limit. */
struct ipx_lifetime {
	uint64_t bytes;
	uint64_t packets;
};

/* Everything an engine needs to install an SA. */
struct ipx_sa_params {
	uint32_t spi;              /* host byte order */
	uint8_t dir;               /* enum ipx_dir */
	uint8_t mode;              /* enum ipx_mode */
	uint8_t cipher;            /* enum ipx_cipher */
	uint8_t key_len;           /* must equal ipx_cipher_info()->key_len */
	uint8_t key[IPX_KEY_MAX];  /* cipher key then salt (RFC 4106 8.1) */
	uint8_t integ_key_len;
	uint8_t integ_key[IPX_INTEG_KEY_MAX];
	bool esn;                  /* 64-bit sequence numbers (RFC 4303 2.2.1) */
	/* Tunnel mode: outer source and destination (outbound: written into the
	 * outer header; inbound: informational, the caller checks addresses).
	 * Transport mode: unused. */
	struct ipx_addr src, dst;
	/* UDP encapsulation (RFC 3948): both ports non-zero turns it on. */
	uint16_t encap_sport, encap_dport;
	uint8_t ttl;               /* outer TTL / hop limit; 0 = IPX_DEFAULT_TTL */
	uint8_t df;                /* enum ipx_df */
	/* Inbound: anti-replay window in bits, 0 (off) or
	 * IPX_REPLAY_WINDOW_MIN..IPX_REPLAY_WINDOW_MAX.  Outbound: ignored. */
	uint32_t replay_window;
	/* Tunnel mode, outbound: pad inner packets shorter than this with TFC
	 * padding (RFC 4303 2.7); 0 = off. */
	uint32_t tfc_pad;
	/* Outbound: the first sequence number to send (0 means 1).
	 * Inbound: the first one expected; the window starts just below it. */
	uint64_t seq;
	struct ipx_lifetime soft, hard;
	uint64_t user;             /* opaque to the engine, returned in events */
};

/* Per-SA counters; drops[] is indexed by enum ipx_status. */
struct ipx_sa_counters {
	uint64_t packets;          /* processed successfully */
	uint64_t bytes;            /* inner (plaintext) bytes of those packets */
	uint64_t drops[IPX_ST__COUNT];
};

/* Dynamic state: what must travel with an SA when it moves between engines. */
struct ipx_sa_state {
	uint64_t seq;              /* outbound: next to send; inbound: highest seen */
	bool seq_exhausted;        /* outbound: every sequence number used */
	uint32_t replay_window;    /* bits */
	/* Inbound: bit i set = sequence number (seq - i) was received,
	 * for i < replay_window.  Unused bits are zero. */
	uint64_t replay_bitmap[IPX_REPLAY_WINDOW_MAX / 64];
	struct ipx_sa_counters ctr;
	bool soft_expired, hard_expired, seq_warned;
};

/* What ipx_sa_update() may change, selected by the mask. */
enum {
	IPX_UPD_ADDRS = 1u << 0,   /* src, dst, encap ports (NAT mapping change) */
	IPX_UPD_LIFETIME = 1u << 1,/* soft, hard */
	IPX_UPD_USER = 1u << 2,
};

struct ipx_event {
	enum ipx_event_type type;
	uint32_t sa;               /* handle, IPX_SA_NONE for engine-wide events */
	uint32_t spi;
	uint8_t dir;
	uint64_t user;             /* the SA's user value */
};

/* One packet in a burst.  The engine reads len bytes at buf + off and writes
 * its result into the same buffer, moving off and len: encryption grows the
 * packet at both ends (headroom for outer headers, tailroom for trailer and
 * ICV; see ipx_encap_overhead()), decryption shrinks it. */
struct ipx_pkt {
	uint8_t *buf;
	uint32_t buf_len;          /* capacity of buf */
	uint32_t off;              /* start of the packet within buf */
	uint32_t len;              /* packet length */
	uint32_t sa;               /* encrypt: the SA to use (in);
	                            * decrypt: the SA that matched (out) */
	uint16_t status;           /* enum ipx_status (out) */
	uint16_t esp_off;          /* out: offset of the ESP header from off
	                            * (after outer IP and UDP headers) */
};

struct ipx_caps {
	const char *backend;       /* "soft", "sim", "xrt" */
	bool hardware;
	uint32_t ciphers;          /* bit (1 << enum ipx_cipher) per transform */
	uint32_t max_sas;          /* SA handles available */
	uint32_t replay_window_min, replay_window_max;
	uint32_t max_pkt_len;
	bool ipv6_outer, udp_encap, transport_mode, esn, tfc;
	char impl[64];             /* e.g. "intel-ipsec-mb 1.3.0 avx512" */
};

struct ipx_engine_config {
	uint32_t max_sas;          /* 0 = backend default */
	/* soft: never use intel-ipsec-mb, always OpenSSL EVP (tests, no AES-NI) */
	bool soft_no_ipsecmb;
	const char *device;        /* sim/xrt: device or model selection */
	uint32_t deadline_ms;      /* 0 = 50 */
};

struct ipx_engine;

/* Open a backend by name: "soft", "sim", "xrt" or "auto".  Returns 0 and sets
 * *out, or a negative errno; on error a message is logged that says why. */
int ipx_engine_open(const char *backend, const struct ipx_engine_config *cfg,
		    struct ipx_engine **out);
void ipx_engine_close(struct ipx_engine *eng);
void ipx_engine_caps(const struct ipx_engine *eng, struct ipx_caps *caps);
/* NULL when this build can open the engine named (as far as can be told
 * without a device: "xrt" needs XRT at build time), else why not. */
const char *ipx_engine_missing(const char *backend);
/* Names of the backends compiled in, NULL-terminated. */
const char *const *ipx_engine_backends(void);

/* Check params against the engine's capabilities without installing them. */
int ipx_sa_check(struct ipx_engine *eng, const struct ipx_sa_params *p);
int ipx_sa_add(struct ipx_engine *eng, const struct ipx_sa_params *p,
	       uint32_t *sa_out);
int ipx_sa_update(struct ipx_engine *eng, uint32_t sa, unsigned mask,
		  const struct ipx_sa_params *p);
int ipx_sa_delete(struct ipx_engine *eng, uint32_t sa);
/* Current dynamic state and counters. */
int ipx_sa_query(struct ipx_engine *eng, uint32_t sa, struct ipx_sa_state *st);
/* Replace the dynamic state (used when an SA moves between engines).  The
 * outbound sequence number may only move forward. */
int ipx_sa_set_state(struct ipx_engine *eng, uint32_t sa,
		     const struct ipx_sa_state *st);
/* Inbound SA by SPI; IPX_SA_NONE when none. */
uint32_t ipx_sa_lookup(struct ipx_engine *eng, uint32_t spi);

/* Process n packets; every packet gets a status.  Returns the number of
 * packets processed (n) or a negative errno if the engine could not run.
 * A packet that fails decryption as MALFORMED, TOO_BIG or UNKNOWN_SPI is
 * left as it came (off, len and bytes): it may be submitted again. */
int ipx_encrypt_burst(struct ipx_engine *eng, struct ipx_pkt *pkts, unsigned n);
int ipx_decrypt_burst(struct ipx_engine *eng, struct ipx_pkt *pkts, unsigned n);

/* Take up to max pending events; returns how many were written. */
unsigned ipx_events(struct ipx_engine *eng, struct ipx_event *ev, unsigned max);

/* Engine-wide drops of packets that matched no SA, indexed by status. */
void ipx_engine_drops(const struct ipx_engine *eng,
		      uint64_t drops[IPX_ST__COUNT]);

/* Hardware health and faults (design.md, "Software fallback, exactly"). */
enum ipx_fault {
	IPX_FAULT_NONE = 0,
	IPX_FAULT_STALL = 1,   /* no completion within the deadline */
	IPX_FAULT_DMA = 2,     /* a DMA transfer reported an error */
	IPX_FAULT_RESET = 3,   /* the card reset (state lost) */
};
/* "none", "stall", "dma", "reset" (`ipsecfx engine`, the metrics' labels) */
const char *ipx_fault_name(enum ipx_fault f);
struct ipx_health {
	bool hardware;         /* false for soft: always healthy */
	bool ok;               /* serving packets */
	enum ipx_fault fault;  /* the current (or last) fault */
	uint64_t faults;       /* faults seen since open */
	uint64_t heartbeat;    /* card heartbeat counter (0 if none) */
	char why[96];          /* human words for the current fault */
};
int ipx_engine_health(struct ipx_engine *eng, struct ipx_health *h);
/* Tests and `ipsecfx engine fault`: make the backend fail as kind would.
 * -EOPNOTSUPP where the backend has no such hook (soft, xrt). */
int ipx_engine_inject_fault(struct ipx_engine *eng, enum ipx_fault kind);
/* Reset a faulted backend to a healthy, empty state (every SA gone).
 * 0 when healthy again. */
int ipx_engine_recover(struct ipx_engine *eng);

/* Worst-case growth of a packet encrypted under SA parameters p: bytes of
 * headroom and tailroom the caller must leave (ignoring TFC padding, which
 * adds up to p->tfc_pad bytes of tailroom). */
void ipx_encap_overhead(const struct ipx_sa_params *p, uint32_t *head,
			uint32_t *tail);

#ifdef __cplusplus
}
#endif
#endif /* IPSECFX_ENGINE_H */
