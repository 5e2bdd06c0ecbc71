/*
 * Host-side key preparation for the RTL ESP pipeline (docs/hw-interface.md,
 * "Key slots"): the hardware takes keys already expanded, once per SA.
 *
 *   slots 0..14   AES round keys laid out per pipeline stage: an AES-Nr key
 *                 has its Nr+1 round keys in slots 14-Nr..14, zeros before
 *   slots 15..19  H, H^2, .., H^5 with H = AES_K(0^128) (GHASH powers)
 *
 * Also the AES S-box and the SPI hash the inbound SA lookup uses, so that
 * the host places SPIs where the hardware looks for them.
 */
#ifndef IPSECFX_HW_KEYS_H
#define IPSECFX_HW_KEYS_H

#include <stdint.h>

#include <ipsecfx/hwif.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hwk {
	uint8_t slot[IPX_KEY_SLOTS][16];
	uint8_t nr_code;   /* 0: AES-128, 1: AES-192, 2: AES-256 */
};

/* Expand an AES key of 16, 24 or 32 bytes into the slots.  0 or -EINVAL. */
int hwk_prepare(const uint8_t *key, unsigned key_bytes, struct hwk *out);
/* Wipe the expanded keys. */
void hwk_wipe(struct hwk *k);
/* GF(2^128) product in GCM's bit order. */
void hwk_gf128_mul(const uint8_t x[16], const uint8_t y[16], uint8_t out[16]);
/* The AES S-box. */
uint8_t hwk_sbox(uint8_t x);
/* Bucket of SPI table t (0 or 1) among 2^bits buckets. */
uint32_t hwk_spi_hash(uint32_t spi, unsigned t, unsigned bits);

#ifdef __cplusplus
}
#endif
#endif
