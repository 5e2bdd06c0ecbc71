/*
 * Software ESP engine, internal structures.
 *
 *   soft.c    SA table, SPI lookup, bursts, counters, lifetimes, events
 *   esp.c     ESP framing: outer headers, trailer, padding, decapsulation
 *   xform.c   the transforms: AES-GCM (intel-ipsec-mb or OpenSSL), AES-GMAC,
 *             ChaCha20-Poly1305 and AES-CBC + HMAC-SHA-256-128 (OpenSSL)
 *   replay.c  anti-replay window and ESN inference
 */
#ifndef IPSECFX_SOFT_H
#define IPSECFX_SOFT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include <ipsecfx/engine.h>

struct IMB_MGR;
struct gcm_key_data;

/* Anti-replay window: a ring of 64-bit blocks (RFC 6479), window W bits. */
struct replay {
	uint64_t top;       /* highest sequence number accepted */
	uint32_t window;    /* W, bits; 0 = no replay protection */
	uint32_t mask;      /* number of blocks - 1 (a power of two minus 1) */
	uint64_t *bits;     /* bit (s & 63) of block ((s >> 6) & mask) */
};

/* Keys of one SA, expanded once at SA add. */
struct xform {
	uint8_t cipher;          /* enum ipx_cipher */
	uint8_t key_bytes;       /* AES/ChaCha key without salt */
	uint8_t salt[4];
	bool imb;                /* AES-GCM/GMAC through intel-ipsec-mb */
	struct gcm_key_data *gkey;  /* intel-ipsec-mb expanded key and H powers */
	EVP_CIPHER_CTX *ctx;     /* OpenSSL path; CBC: encrypt or decrypt */
	EVP_CIPHER_CTX *ivctx;   /* CBC outbound: AES-ECB for IV generation */
	EVP_MAC_CTX *hmac;       /* CBC: HMAC-SHA-256 with the integrity key */
};

struct soft_sa {
	/* hot: read for every packet */
	uint32_t spi;
	uint8_t dir, mode, cipher, df;
	uint8_t block, iv_len, ttl;
	bool esn, used;
	bool encap;
	bool soft_expired, hard_expired, seq_warned, seq_exhausted;
	uint16_t encap_sport, encap_dport;
	uint64_t seq;            /* outbound: next to send */
	uint64_t seq_max;        /* last sequence number allowed */
	uint64_t seq_warn;       /* first sequence number that raises the warning */
	uint32_t tfc_pad;
	struct replay rp;
	struct xform xf;
	struct ipx_sa_counters ctr;
	struct ipx_lifetime soft, hard;
	struct ipx_addr src, dst;
	uint64_t user;
	uint32_t hash_next;      /* SPI hash chain */
};

#define SOFT_EVQ_LEN 1024

struct soft_engine {
	struct soft_sa *sas;     /* max_sas entries */
	uint32_t max_sas;
	uint32_t next_unused;    /* entries at and above were never used */
	uint32_t free_head;      /* free list threaded through hash_next */
	uint32_t *spi_hash;      /* inbound SPI -> SA chain heads */
	uint32_t hash_mask;
	struct IMB_MGR *imb;     /* NULL when intel-ipsec-mb is not used */
	char imb_arch[16];
	uint8_t *scratch;        /* AES-GMAC with ESN: contiguous AAD */
	struct ipx_event evq[SOFT_EVQ_LEN];
	uint32_t ev_head, ev_tail;
	uint64_t ev_lost;
	uint64_t drops[IPX_ST__COUNT];
};

/* replay.c */
int replay_init(struct replay *rp, uint32_t window, uint64_t first);
void replay_free(struct replay *rp);
/* ESN (RFC 4303 A2.2): the 64-bit number for a received low half, or
 * false when it falls below sequence number 1 (replayed). */
bool replay_infer(const struct replay *rp, uint32_t seq_lo, bool esn,
		  uint64_t *seq);
/* true when seq may be accepted (not seen, not left of the window) */
bool replay_check(const struct replay *rp, uint64_t seq);
void replay_update(struct replay *rp, uint64_t seq);
void replay_export(const struct replay *rp, uint64_t *bitmap);
void replay_import(struct replay *rp, uint64_t top, const uint64_t *bitmap);

/* xform.c */
int xform_init(struct soft_engine *e, struct xform *xf,
	       const struct ipx_sa_params *p);
void xform_free(struct xform *xf);
/*
 * Seal one ESP packet in place.  esp points at the SPI; the caller has
 * written SPI and sequence number, and placed ptlen bytes of plaintext
 * (payload, padding, pad length, next header) after the IV's room.  Writes
 * the IV (derived from seq; iv_override for known-answer tests), encrypts,
 * and writes the ICV after the ciphertext.
 */
int xform_seal(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ptlen, uint64_t seq, bool esn, const uint8_t *iv_override);
/* The AEAD primitive under the ESP transforms (AES-GCM, AES-GMAC with
 * len 0, ChaCha20-Poly1305): nonce = salt || iv8, 16-byte tag.  enc = 1
 * writes tag; enc = 0 verifies it and returns -EBADMSG on mismatch. */
int xform_aead(struct soft_engine *e, const struct xform *xf,
	       const uint8_t *iv8, const uint8_t *aad, size_t aad_len,
	       const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag, int enc);
/* Verify and decrypt in place: ctlen bytes of ciphertext after the IV, the
 * ICV after them.  0, or -EBADMSG when the ICV does not verify. */
int xform_open(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ctlen, uint64_t seq, bool esn);

/* A received packet's outer headers, as esp_parse_outer() found them. */
struct esp_outer {
	uint32_t l3_len;    /* IP header incl. IPv6 extension headers */
	uint32_t nh_off;    /* offset of the next-header field naming ESP/UDP */
	uint32_t esp_off;   /* offset of the SPI */
	uint32_t esp_len;   /* ESP header to ICV end */
	uint32_t spi;
	bool udp;           /* UDP-encapsulated (RFC 3948) */
};

/* esp.c: one packet each; they return an enum ipx_status.  Counters and
 * lifetimes are the caller's. */
int esp_encap(struct soft_engine *e, struct soft_sa *sa, struct ipx_pkt *pkt,
	      uint64_t seq, uint32_t *inner_len);
int esp_parse_outer(const struct ipx_pkt *pkt, struct esp_outer *o);
int esp_decap(struct soft_engine *e, struct soft_sa *sa, struct ipx_pkt *pkt,
	      const struct esp_outer *o, uint32_t *inner_len);

/* Known-answer test hook: seal the ESP payload of a packet with a given IV.
 * Not reachable through the engine API. */
int soft_kat_seal(struct ipx_engine *eng, uint32_t sa, uint8_t *esp,
		  uint32_t ptlen, uint64_t seq, const uint8_t *iv);
int soft_kat_open(struct ipx_engine *eng, uint32_t sa, uint8_t *esp,
		  uint32_t esp_len, uint64_t seq);

#endif
