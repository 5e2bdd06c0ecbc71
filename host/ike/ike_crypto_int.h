/* Shared between ike_crypto.c, ike_dh.c and ike_sk.c; not API. */
#ifndef IPSECFX_IKE_CRYPTO_INT_H
#define IPSECFX_IKE_CRYPTO_INT_H

#include <openssl/types.h>

#include "ike_crypto.h"

/* OpenSSL digest names of a PRF / integrity transform, or NULL. */
const char *ike_prf_md(uint16_t prf);
const char *ike_integ_md(uint16_t integ);
/* HMAC-md(key, in[0] | in[1] | ...) into out (out_cap octets room). */
int ike_hmac(const char *md, const uint8_t *key, size_t key_len,
	     const struct ike_chunk *in, unsigned n_in, uint8_t *out,
	     size_t out_cap, size_t *out_len);

/* A fresh key pair of group (ike_dh.c), or NULL; logs nothing, safe from
 * any thread (the key pool's worker calls it). */
EVP_PKEY *ike_dh_keygen(uint16_t group);
/* One from the stock of ike_dhpool.c, or NULL (none made ahead, or no
 * pool): the caller makes one itself. */
EVP_PKEY *ike_dhpool_take(uint16_t group);

#endif
