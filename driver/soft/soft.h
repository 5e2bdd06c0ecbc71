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
#include "../card.h"

struct IMB_MGR;
struct gcm_key_data;
struct gcm_context_data;

/* Anti-replay window: a ring of 64-bit blocks (RFC 6479), window W bits. */
struct replay {
	uint64_t top;       /* highest sequence number accepted */
	uint32_t window;    /* W, bits; 0 = no replay protection */
	uint32_t mask;      /* number of blocks - 1 (a power of two minus 1) */
	uint64_t *bits;     /* bit (s & 63) of block ((s >> 6) & mask) */
};

/* A received packet's outer headers, as esp_parse_outer() found them. */
struct esp_outer {
	uint32_t l3_len;    /* IP header incl. IPv6 extension headers */
	uint32_t nh_off;    /* offset of the next-header field naming ESP/UDP */
	uint32_t esp_off;   /* offset of the SPI */
	uint32_t esp_len;   /* ESP header to ICV end */
	uint32_t spi;
	bool udp;           /* UDP-encapsulated (RFC 3948) */
};

/* Keys of one SA, expanded once at SA add. */
enum xf_kind { XF_AEAD, XF_GMAC, XF_CBC };

struct xform {
	uint8_t cipher;          /* enum ipx_cipher */
	uint8_t kind;            /* enum xf_kind: how xform_prep/run proceed */
	uint8_t key_bytes;       /* AES/ChaCha key without salt */
	uint8_t salt[4];
	bool imb;                /* AES-GCM/GMAC through intel-ipsec-mb */
	struct gcm_key_data *gkey;  /* intel-ipsec-mb expanded key and H powers */
	/* intel-ipsec-mb's GCM for this key size, picked once at SA add */
	void (*imb_enc)(const struct gcm_key_data *, struct gcm_context_data *,
			uint8_t *, const uint8_t *, uint64_t, const uint8_t *,
			const uint8_t *, uint64_t, uint8_t *, uint64_t);
	void (*imb_dec)(const struct gcm_key_data *, struct gcm_context_data *,
			uint8_t *, const uint8_t *, uint64_t, const uint8_t *,
			const uint8_t *, uint64_t, uint8_t *, uint64_t);
	EVP_CIPHER_CTX *ctx;     /* OpenSSL path; CBC: encrypt or decrypt */
	EVP_CIPHER_CTX *ivctx;   /* CBC outbound: AES-ECB for IV generation */
	EVP_MAC_CTX *hmac;       /* CBC: HMAC-SHA-256 with the integrity key */
};

/*
 * One packet's crypto, prepared in a first pass over a burst and run in a
 * second.  Nonce and AAD are written per packet just before the cipher loads
 * them; a load that must be forwarded from recent, smaller stores stalls for
 * tens of cycles (a third of the work at 64 bytes).  Preparing the whole
 * burst first gives those stores time to retire.
 */
struct xf_job {
	uint8_t nonce[16] __attribute__((aligned(16)));  /* salt || IV */
	uint8_t aad[12];         /* ESN: SPI || seq high || seq low */
	const struct xform *xf;
	uint8_t *esp;            /* the SPI; IV after it */
	uint32_t len;            /* plaintext (seal) / ciphertext (open) bytes */
	bool esn;
	uint64_t seq;
};

struct soft_sa {
	/* hot: read for every packet */
	uint32_t spi;
	uint8_t dir, mode, cipher, df;
	uint8_t block, iv_len, ttl;
	bool esn, used;
	bool encap;
	bool soft_expired, hard_expired, seq_warned, seq_exhausted;
	bool limits;             /* any lifetime limit set */
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
#define SOFT_CHUNK 32            /* packets prepared before the cipher runs */

/* A packet between the passes of a burst. */
struct soft_slot {
	struct xf_job job;
	struct esp_outer o;
	struct soft_sa *sa;
	uint32_t inner;
};

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
	struct ipx_evring events;
	uint64_t drops[IPX_ST__COUNT];
	struct soft_slot slot[SOFT_CHUNK];
};

/* replay.c */
int replay_init(struct replay *rp, uint32_t window, uint64_t first);
void replay_free(struct replay *rp);
/* The per-packet operations, inline: they run for every received packet. */
/*
 * RFC 4303 A2.2: place the received low half in the window.  Tl, Th are the
 * halves of the top, W the window.  Without ESN the number is the low half.
 */
static inline bool replay_infer(const struct replay *rp, uint32_t seq_lo, bool esn,
		  uint64_t *seq)
{
	uint32_t tl = (uint32_t)rp->top, th = (uint32_t)(rp->top >> 32);
	uint32_t w = rp->window;

	if (!esn) {
		*seq = seq_lo;
		return true;
	}
	if (tl >= w - 1) {
		/* window within one subspace */
		if (seq_lo >= tl - w + 1) {
			*seq = (uint64_t)th << 32 | seq_lo;
		} else {
			if (th == UINT32_MAX)
				return false;  /* beyond 2^64: cannot be valid */
			*seq = (uint64_t)(th + 1) << 32 | seq_lo;
		}
	} else {
		/* window spans two subspaces */
		if (seq_lo >= tl - w + 1) {  /* wraps: upper part of previous */
			if (th == 0)
				return false;  /* below sequence number 0 */
			*seq = (uint64_t)(th - 1) << 32 | seq_lo;
		} else {
			*seq = (uint64_t)th << 32 | seq_lo;
		}
	}
	return true;
}

/* true when seq may be accepted (not seen, not left of the window) */
static inline bool replay_check(const struct replay *rp, uint64_t seq)
{
	if (rp->window == 0)
		return seq != 0;
	if (seq > rp->top)
		return true;
	if (rp->top - seq >= rp->window)
		return false;
	return !(rp->bits[(seq >> 6) & rp->mask] & (1ull << (seq & 63)));
}

/* Record seq as received (after its ICV verified). */
static inline void replay_update(struct replay *rp, uint64_t seq)
{
	if (seq > rp->top) {
		uint64_t from = rp->top >> 6, to = seq >> 6;
		uint64_t n = to - from;

		if (n > rp->mask + 1ull)
			n = rp->mask + 1ull;
		for (uint64_t i = 1; i <= n; i++)
			rp->bits[(from + i) & rp->mask] = 0;
		rp->top = seq;
	}
	if (rp->window)
		rp->bits[(seq >> 6) & rp->mask] |= 1ull << (seq & 63);
}
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
/* The two halves of xform_seal (enc = 1) and xform_open (enc = 0). */
int xform_prep(const struct xform *xf, struct xf_job *j, uint8_t *esp,
	       uint32_t len, uint64_t seq, bool esn, const uint8_t *iv_override,
	       int enc);
int xform_run(struct soft_engine *e, const struct xf_job *j, int enc);
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


/* esp.c: one packet each; they return an enum ipx_status.  Counters and
 * lifetimes are the caller's.  Encapsulation writes everything but the
 * ciphertext and ICV and prepares job; the caller runs it, then finishes. */
int esp_encap(struct soft_sa *sa, struct ipx_pkt *pkt, uint64_t seq,
	      uint32_t *inner_len, struct xf_job *job);
void esp_encap_finish(const struct soft_sa *sa, struct ipx_pkt *pkt);
int esp_parse_outer(const struct ipx_pkt *pkt, struct esp_outer *o);
int esp_decap_prep(struct soft_sa *sa, struct ipx_pkt *pkt,
		   const struct esp_outer *o, struct xf_job *job);
int esp_decap_finish(struct soft_sa *sa, struct ipx_pkt *pkt,
		     const struct esp_outer *o, const struct xf_job *job,
		     uint32_t *inner_len);

#endif
