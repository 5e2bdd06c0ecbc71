/*
 * Host-side key preparation for the RTL pipeline: AES key expansion
 * (FIPS-197 5.2) placed in the pipeline's per-stage key slots, the GHASH
 * key H = AES_K(0) (OpenSSL) and its powers, and the SPI hash.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hw_keys.h"

#define AES_STAGES 15  /* stage 0: AddRoundKey, 1..14: rounds */

static uint8_t sbox_tab[256];
static int sbox_ready;

static uint8_t gf8_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
		b >>= 1;
	}
	return r;
}

/* FIPS-197 5.1.1: multiplicative inverse in GF(2^8), then the affine map */
static void sbox_init(void)
{
	for (int x = 0; x < 256; x++) {
		uint8_t inv = 0, s;

		for (int y = 1; y < 256 && x; y++) {
			if (gf8_mul((uint8_t)x, (uint8_t)y) == 1) {
				inv = (uint8_t)y;
				break;
			}
		}
		s = inv;
		for (int i = 1; i <= 4; i++)
			s ^= (uint8_t)((inv << i) | (inv >> (8 - i)));
		sbox_tab[x] = s ^ 0x63;
	}
	sbox_ready = 1;
}

uint8_t hwk_sbox(uint8_t x)
{
	if (!sbox_ready)
		sbox_init();
	return sbox_tab[x];
}

/* FIPS-197 5.2: w[0..4(Nr+1)) words from the Nk-word key */
static void expand(const uint8_t *key, unsigned nk, unsigned nr,
		   uint8_t w[60][4])
{
	uint8_t rcon = 1;

	for (unsigned i = 0; i < nk; i++)
		memcpy(w[i], key + 4 * i, 4);
	for (unsigned i = nk; i < 4 * (nr + 1); i++) {
		uint8_t t[4];

		memcpy(t, w[i - 1], 4);
		if (i % nk == 0) {
			uint8_t t0 = t[0];

			t[0] = (uint8_t)(hwk_sbox(t[1]) ^ rcon);
			t[1] = hwk_sbox(t[2]);
			t[2] = hwk_sbox(t[3]);
			t[3] = hwk_sbox(t0);
			rcon = gf8_mul(rcon, 2);
		} else if (nk > 6 && i % nk == 4) {
			for (int j = 0; j < 4; j++)
				t[j] = hwk_sbox(t[j]);
		}
		for (int j = 0; j < 4; j++)
			w[i][j] = w[i - nk][j] ^ t[j];
	}
}

void hwk_gf128_mul(const uint8_t x[16], const uint8_t y[16], uint8_t out[16])
{
	uint8_t z[16] = { 0 }, v[16];

	memcpy(v, y, 16);
	/* SP 800-38D algorithm 1: bit 0 is the MSB of byte 0 */
	for (int i = 0; i < 128; i++) {
		if (x[i / 8] & (0x80 >> (i % 8)))
			for (int j = 0; j < 16; j++)
				z[j] ^= v[j];
		int lsb = v[15] & 1;

		for (int j = 15; j > 0; j--)
			v[j] = (uint8_t)((v[j] >> 1) | (v[j - 1] << 7));
		v[0] >>= 1;
		if (lsb)
			v[0] ^= 0xe1;
	}
	memcpy(out, z, 16);
}

int hwk_prepare(const uint8_t *key, unsigned key_bytes, struct hwk *out)
{
	uint8_t w[60][4];
	unsigned nk = key_bytes / 4, nr = nk + 6;
	const EVP_CIPHER *ecb;
	EVP_CIPHER_CTX *ctx;
	uint8_t zero[16] = { 0 };
	int len = 0, ok;

	switch (key_bytes) {
	case 16:
		ecb = EVP_aes_128_ecb();
		out->nr_code = 0;
		break;
	case 24:
		ecb = EVP_aes_192_ecb();
		out->nr_code = 1;
		break;
	case 32:
		ecb = EVP_aes_256_ecb();
		out->nr_code = 2;
		break;
	default:
		return -EINVAL;
	}
	memset(out->slot, 0, sizeof(out->slot));
	expand(key, nk, nr, w);
	/* round key r of the Nr+1 goes to stage r + 14 - Nr */
	for (unsigned r = 0; r <= nr; r++)
		memcpy(out->slot[r + (AES_STAGES - 1) - nr], w[4 * r], 16);
	OPENSSL_cleanse(w, sizeof(w));

	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_EncryptInit_ex(ctx, ecb, NULL, key, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_EncryptUpdate(ctx, out->slot[IPX_KEY_SLOT_H1], &len, zero, 16) == 1 &&
	     len == 16;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		hwk_wipe(out);
		return -EIO;
	}
	for (unsigned p = 1; p < IPX_GHASH_POWERS; p++)
		hwk_gf128_mul(out->slot[IPX_KEY_SLOT_H1 + p - 1],
			       out->slot[IPX_KEY_SLOT_H1],
			       out->slot[IPX_KEY_SLOT_H1 + p]);
	return 0;
}

void hwk_wipe(struct hwk *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* docs/hw-interface.md "Inbound SA lookup": y = S-box applied to each byte
 * of spi ^ key_t, folded to `bits` bits by XOR. */
uint32_t hwk_spi_hash(uint32_t spi, unsigned t, unsigned bits)
{
	uint32_t x = spi ^ (t ? IPX_SPI_HASH_KEY1 : IPX_SPI_HASH_KEY0), y = 0, h = 0;

	for (int i = 0; i < 4; i++)
		y |= (uint32_t)hwk_sbox((uint8_t)(x >> (8 * i))) << (8 * i);
	for (unsigned s = 0; s < 32; s += bits)
		h ^= y >> s;
	return h & ((1u << bits) - 1);
}
