/*
 * IKE crypto: thin wrappers over OpenSSL 3 (EVP, EVP_MAC, EVP_PKEY) for
 * what RFC 7296 asks of an IKE SA.  No primitive is written here.
 *
 *   PRFs and prf+ (2.13), SKEYSEED and the seven SK_* keys (2.14), IKE SA
 *   rekey (2.18), Child SA KEYMAT with and without PFS (2.17);
 *   DH/ECDH/X25519 key exchange with validation of the peer's value
 *   (groups 14, 15, 16, 19, 20, 21, 31);
 *   the SK and SKF payloads (3.14, RFC 7383): AES-GCM-16 (RFC 5282),
 *   AES-CBC + HMAC-SHA2 (RFC 3602, RFC 4868), ChaCha20-Poly1305 (RFC 7634);
 *   PSK/EAP-MSK AUTH (2.15), NAT detection hashes (2.23), cookies (2.6),
 *   random SPIs and nonces.
 *
 * Secrets live only in the structs below (and in caller buffers the caller
 * wipes); every ..._wipe() and ..._free() clears them with OPENSSL_cleanse, every
 * comparison of a MAC is CRYPTO_memcmp, and nothing here logs key material.
 * Functions return 0 or a negative errno:
 *   -EINVAL      bad argument (unsupported algorithm, wrong length)
 *   -ENOBUFS     caller buffer too small
 *   -EBADMSG     peer data malformed (bad lengths, bad padding, bad KE value)
 *   -EACCES      integrity/authentication check failed
 *   -EMSGSIZE    an SK payload would exceed 65535 octets
 *   -EOVERFLOW   AEAD IV counter exhausted (rekey the IKE SA)
 *   -ENOMEM      allocation failed (ike_dh_* only)
 *   -EIO         OpenSSL failed unexpectedly (logged with ipx_err)
 */
#ifndef IPSECFX_IKE_CRYPTO_H
#define IPSECFX_IKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike_msg.h"

#define IKE_PRF_MAX 64	     /* longest PRF output/key (HMAC-SHA2-512) */
#define IKE_INTEG_KEY_MAX 64 /* longest integrity key */
#define IKE_ENCR_KEY_MAX 36  /* longest encryption keymat: 32 + 4 salt */
#define IKE_DH_MAX 512	     /* longest KE value / shared secret (MODP 4096) */

/* A piece of a PRF input: inputs are concatenations (Ni | Nr | SPIi ...). */
struct ike_chunk {
	const uint8_t *p;
	size_t len;
};

/* ---- algorithms ---- */

/* PRF output length in octets (= its preferred key length, 2.14) for the
 * supported PRFs (HMAC_SHA1, HMAC_SHA2_256/384/512), else 0. */
size_t ike_prf_len(uint16_t prf);
/* Integrity key and ICV lengths (HMAC_SHA1_96, HMAC_SHA2_256_128/384_192/
 * 512_256; RFC 4868 2.1), 0 for unsupported ones and for NONE. */
size_t ike_integ_key_len(uint16_t integ);
size_t ike_integ_icv_len(uint16_t integ);

struct ike_encr_info {
	uint16_t id;
	uint8_t key_len;   /* cipher key octets */
	uint8_t salt_len;  /* octets of keymat after the key (RFC 5282 7.1) */
	uint8_t iv_len;	   /* IV on the wire */
	uint8_t block_len; /* padding boundary (1 = none needed) */
	uint8_t icv_len;   /* AEAD tag, 0 if an integrity transform is needed */
	bool aead;
};
/* ENCR_AES_CBC and ENCR_AES_GCM_16 with key_bits 128/192/256,
 * ENCR_CHACHA20_POLY1305 with key_bits 0 (no Key Length attribute, RFC
 * 7634 2).  0 or -EINVAL. */
int ike_encr_info(uint16_t encr, uint16_t key_bits, struct ike_encr_info *out);

/* prf(key, in[0] | in[1] | ...) into out (ike_prf_len(prf) octets). */
int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const struct ike_chunk *in, unsigned n_in, uint8_t *out);
/* prf+ (2.13): T1 | T2 | ... with Tn = prf(K, Tn-1 | S | n); out_len at
 * most 255 PRF outputs. */
int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ike_chunk *seed, unsigned n_seed, uint8_t *out,
		 size_t out_len);

/* ---- IKE SA keys (2.14, 2.18) ---- */

struct ike_sa_keys {
	uint16_t prf, encr, encr_bits, integ;
	struct ike_encr_info ei; /* of encr */
	size_t prf_len;		 /* SK_d, SK_pi, SK_pr length */
	size_t integ_len;	 /* SK_ai, SK_ar length (0 for AEAD) */
	size_t encr_len;	 /* SK_ei, SK_er length incl. salt */
	uint8_t sk_d[IKE_PRF_MAX];
	uint8_t sk_ai[IKE_INTEG_KEY_MAX], sk_ar[IKE_INTEG_KEY_MAX];
	uint8_t sk_ei[IKE_ENCR_KEY_MAX], sk_er[IKE_ENCR_KEY_MAX];
	uint8_t sk_pi[IKE_PRF_MAX], sk_pr[IKE_PRF_MAX];
	/* AEAD IVs sent so far per direction ([0]: from the original
	 * initiator): a counter, so an IV never repeats under one key.
	 * Never copy this struct to encrypt with the copy. */
	uint64_t iv_sent[2];
};

struct ike_kdf_in {
	/* Negotiated for the (new) IKE SA. */
	uint16_t prf, encr, encr_bits, integ;
	const uint8_t *g_ir; /* shared DH secret (ike_dh_secret()) */
	size_t g_ir_len;
	const uint8_t *ni, *nr; /* nonce data, no headers */
	size_t ni_len, nr_len;
	const uint8_t *spi_i, *spi_r; /* 8 octets each (of the new SA) */
	/* Rekey (2.18) when old_sk_d is set: SKEYSEED = prf_old(SK_d (old),
	 * g^ir (new) | Ni | Nr), with "the old IKE SA's PRF". */
	uint16_t old_prf;
	const uint8_t *old_sk_d;
	size_t old_sk_d_len;
};

/* SKEYSEED (2.14, or 2.18 for a rekey) into out (the PRF's length). */
int ike_skeyseed(const struct ike_kdf_in *in, uint8_t *out, size_t *out_len);
/* SKEYSEED then {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).  AEAD ciphers take integ NONE
 * (0).  On error k is wiped. */
int ike_sa_keys_derive(const struct ike_kdf_in *in, struct ike_sa_keys *k);
void ike_sa_keys_wipe(struct ike_sa_keys *k);

/* ---- Child SA keys (2.17) ---- */

struct ike_child_keys {
	size_t encr_len;  /* incl. salt (RFC 4106 8.1, RFC 7634 2) */
	size_t integ_len; /* 0 for AEAD */
	uint8_t ei[IKE_ENCR_KEY_MAX], ai[IKE_INTEG_KEY_MAX]; /* initiator->responder */
	uint8_t er[IKE_ENCR_KEY_MAX], ar[IKE_INTEG_KEY_MAX]; /* responder->initiator */
};
/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), g_ir NULL without PFS;
 * taken as encryption then integrity key, initiator-to-responder first.
 * ESP algorithms as in ike_encr_info()/ike_integ_*(). */
int ike_child_keys_derive(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
			  const uint8_t *g_ir, size_t g_ir_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, uint16_t encr, uint16_t encr_bits,
			  uint16_t integ, struct ike_child_keys *out);
void ike_child_keys_wipe(struct ike_child_keys *k);

/* ---- Diffie-Hellman / key exchange (3.4, RFC 3526, 5903, 8031) ---- */

struct ike_dh; /* private key and, once computed, the shared secret */

bool ike_dh_supported(uint16_t group);
/* A fresh key pair for group.  0, -EINVAL (unsupported) or -EIO. */
int ike_dh_new(uint16_t group, struct ike_dh **out);
/* A key pair from a known private value (known-answer tests): MODP: the
 * exponent, big endian; ECP: the scalar, big endian; X25519: 32 octets. */
int ike_dh_new_private(uint16_t group, const uint8_t *priv, size_t len,
		       struct ike_dh **out);
uint16_t ike_dh_group(const struct ike_dh *dh);
/* Key pairs made ahead on a worker thread (ike_dhpool.c), for the groups
 * ike_dh_new() is asked for; without it (tests, tools) ike_dh_new() makes
 * each when asked.  0 or -errno (then keys are made as needed). */
int ike_dhpool_start(void);
void ike_dhpool_stop(void);
/* Key pairs taken from the stock, and made by the caller for want of one. */
void ike_dhpool_counts(unsigned long *taken, unsigned long *made_inline);
/* Our public value in KE payload form: MODP g^x padded to the prime's
 * length, ECP x || y (RFC 5903 7), X25519 the u-coordinate. */
int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len);
/* Validate the peer's KE data and compute the shared secret, kept in dh.
 * Rejected (-EBADMSG, *why says which): wrong length, MODP value not in
 * 2..p-2 or outside the prime-order subgroup, ECP point not on the curve,
 * X25519 all-zero result (RFC 8031 2.3).  why may be NULL. */
int ike_dh_compute(struct ike_dh *dh, const uint8_t *peer, size_t len,
		   const char **why);
/* The shared secret g^ir as 2.14 wants it (MODP padded to the prime's
 * length, ECP the x coordinate, X25519 the 32 octets), or NULL before
 * ike_dh_compute() succeeded. */
const uint8_t *ike_dh_secret(const struct ike_dh *dh, size_t *len);
void ike_dh_free(struct ike_dh *dh);

/* ---- SK / SKF payload (3.14; RFC 5282; RFC 7634; RFC 7383 2.5) ----
 *
 * from_initiator selects SK_ei/SK_ai (messages of the original initiator)
 * or SK_er/SK_ar, and must agree with the I flag of the header (a message
 * reflected back at its sender is refused).
 */

/* Octets the encryption adds to plain_len octets of inner payloads: IV,
 * padding, pad length, ICV (for sizing buffers and RFC 7383 fragments). */
size_t ike_sk_overhead(const struct ike_sa_keys *k, size_t plain_len);
/* buf holds len octets as ike_msg_build()/ike_frag_build() left them:
 * the SK (or SKF) generic header at sk_off followed by the inner payloads
 * in the clear, up to the end.  Insert the IV, pad, encrypt, append the
 * ICV and fix the SK and IKE lengths; *len grows.  0, -ENOBUFS, -EINVAL,
 * -EOVERFLOW (AEAD IV counter exhausted: rekey). */
int ike_sk_encrypt(struct ike_sa_keys *k, bool from_initiator, uint8_t *buf,
		   size_t cap, size_t *len, size_t sk_off);
/* Check the ICV (constant time) then decrypt in place the SK/SKF payload
 * of m, a message parsed from buf (buf == m->raw).  On success *plain and
 * *plain_len give the inner payloads (padding removed) for
 * ike_msg_parse_inner(m, m->pld[m->sk].u.sk.first, ...).  -EACCES when
 * the ICV does not match, -EBADMSG on bad lengths or padding; after an
 * error the encrypted part of buf is undefined (wiped where the AEAD had
 * already decrypted it: no unauthenticated plaintext is left). */
int ike_sk_decrypt(const struct ike_sa_keys *k, bool from_initiator,
		   const struct ike_msg *m, uint8_t *buf, const uint8_t **plain,
		   size_t *plain_len);

/* ---- AUTH (2.15) ---- */

struct ike_auth_in {
	uint16_t prf;
	/* SK_pi for the initiator's AUTH, SK_pr for the responder's. */
	const uint8_t *sk_p;
	size_t sk_p_len;
	/* RealMessage: the signer's IKE_SA_INIT message as sent (request for
	 * the initiator, response for the responder; 2.15). */
	const uint8_t *msg;
	size_t msg_len;
	/* The other side's nonce data: Nr for the initiator, Ni for the
	 * responder. */
	const uint8_t *nonce;
	size_t nonce_len;
	/* The signer's identity: RestOfIDPayload = type | 3 reserved | data. */
	uint8_t id_type;
	const uint8_t *id;
	size_t id_len;
};
/* The signed octets RealMessage | Nonce | prf(SK_p, RestOfIDPayload) for
 * signature methods; *len = msg_len + nonce_len + ike_prf_len(prf). */
int ike_auth_octets(const struct ike_auth_in *in, uint8_t *out, size_t cap,
		    size_t *len);
/* Shared-key AUTH data: prf(prf(secret, "Key Pad for IKEv2"),
 * <SignedOctets>); secret is the PSK or, with EAP, the MSK (2.16).
 * out receives ike_prf_len(in->prf) octets. */
int ike_auth_psk(const struct ike_auth_in *in, const uint8_t *secret,
		 size_t secret_len, uint8_t *out, size_t *out_len);
/* Recompute and compare in constant time: 0 or -EACCES. */
int ike_auth_psk_verify(const struct ike_auth_in *in, const uint8_t *secret,
			size_t secret_len, const uint8_t *auth, size_t auth_len);

/* ---- NAT detection (2.23) ---- */

/* SHA-1(SPIi | SPIr | IP | port), ip 4 or 16 octets in network order,
 * port in host order; out IKEV2_NATD_LEN octets. */
int ike_natd_hash(const uint8_t spi_i[IKEV2_SPI_LEN],
		  const uint8_t spi_r[IKEV2_SPI_LEN], const uint8_t *ip,
		  size_t ip_len, uint16_t port, uint8_t out[IKEV2_NATD_LEN]);

/* ---- Cookies (2.6) ----
 * Cookie = <VersionIDofSecret> | HMAC-SHA-256(<secret>, len(IPi) | IPi |
 * len(Ni) | Ni | SPIi) with a 4-octet version: IKE_COOKIE_LEN octets (2.6
 * suggests Hash(Ni | IPi | SPIi | <secret>); the lengths keep an IPv6
 * cookie from verifying for an IPv4 address).  Rotate the secret now and
 * then; cookies made with the previous one still verify. */
#define IKE_COOKIE_LEN (4 + 32)

struct ike_cookie_ctx {
	uint32_t version, prev_version;
	bool have_prev;
	uint8_t secret[32], prev[32];
};
int ike_cookie_init(struct ike_cookie_ctx *c);
int ike_cookie_rotate(struct ike_cookie_ctx *c);
void ike_cookie_wipe(struct ike_cookie_ctx *c);
int ike_cookie_make(const struct ike_cookie_ctx *c, const uint8_t *ni,
		    size_t ni_len, const uint8_t *ip, size_t ip_len,
		    const uint8_t spi_i[IKEV2_SPI_LEN],
		    uint8_t out[IKE_COOKIE_LEN]);
/* 0, or -EACCES when the cookie is not ours (unknown version, wrong length
 * or wrong hash). */
int ike_cookie_verify(const struct ike_cookie_ctx *c, const uint8_t *cookie,
		      size_t len, const uint8_t *ni, size_t ni_len,
		      const uint8_t *ip, size_t ip_len,
		      const uint8_t spi_i[IKEV2_SPI_LEN]);

/* ---- random ---- */
int ike_random(uint8_t *p, size_t n);
/* A random IKE SPI, never zero (3.1). */
int ike_spi_new(uint8_t spi[IKEV2_SPI_LEN]);

#endif
