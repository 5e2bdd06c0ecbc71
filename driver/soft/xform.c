/*
 * ESP transforms of the software engine.  Keys are expanded once, at SA add;
 * per packet there is no allocation and no context set-up beyond loading the
 * nonce.
 *
 *   AES-GCM-16 (RFC 4106)       intel-ipsec-mb when the CPU has AES-NI,
 *                               OpenSSL EVP otherwise
 *   AES-GMAC (RFC 4543)         same
 *   ChaCha20-Poly1305 (RFC 7634) OpenSSL EVP
 *   AES-CBC + HMAC-SHA-256-128 (RFC 3602, RFC 4868)  OpenSSL EVP
 *
 * The explicit IV of the AEADs is the 64-bit sequence number (RFC 4106 3.1
 * allows any unique value; the sequence number is unique per SA by
 * construction, across engines, so the nonce never repeats under one key).
 * AES-CBC needs an unpredictable IV (RFC 3602 3): it is AES_K(SPI || 0 ||
 * seq), the method of NIST SP 800-38A appendix C.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "soft.h"

static bool is_gmac(uint8_t c)
{
	return c == IPX_CIPHER_AES128GMAC || c == IPX_CIPHER_AES192GMAC ||
	       c == IPX_CIPHER_AES256GMAC;
}

static bool is_gcm_family(uint8_t c)
{
	return is_gmac(c) || c == IPX_CIPHER_AES128GCM16 ||
	       c == IPX_CIPHER_AES192GCM16 || c == IPX_CIPHER_AES256GCM16;
}

static bool is_cbc(uint8_t c)
{
	return c == IPX_CIPHER_AES128_SHA256 || c == IPX_CIPHER_AES256_SHA256;
}

static const EVP_CIPHER *evp_gcm(uint8_t key_bytes)
{
	switch (key_bytes) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	default:
		return EVP_aes_256_gcm();
	}
}

void xform_free(struct xform *xf)
{
	if (xf->gkey) {
		OPENSSL_cleanse(xf->gkey, sizeof(*xf->gkey));
		free(xf->gkey);
	}
	EVP_CIPHER_CTX_free(xf->ctx);   /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(xf->ivctx);
	EVP_MAC_CTX_free(xf->hmac);
	OPENSSL_cleanse(xf, sizeof(*xf));
}

static int init_hmac(struct xform *xf, const uint8_t *key, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	if (!mac)
		return -ENOSYS;
	xf->hmac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);
	if (!xf->hmac)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(xf->hmac, key, len, params))
		return -EINVAL;
	return 0;
}

int xform_init(struct soft_engine *e, struct xform *xf,
	       const struct ipx_sa_params *p)
{
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);
	int enc = p->dir == IPX_DIR_OUT;
	int ret = -ENOMEM;

	memset(xf, 0, sizeof(*xf));
	xf->cipher = p->cipher;
	if (is_cbc(p->cipher)) {
		const EVP_CIPHER *cbc = ci->key_len == 16 ? EVP_aes_128_cbc()
							  : EVP_aes_256_cbc();
		const EVP_CIPHER *ecb = ci->key_len == 16 ? EVP_aes_128_ecb()
							  : EVP_aes_256_ecb();

		xf->key_bytes = ci->key_len;
		xf->ctx = EVP_CIPHER_CTX_new();
		if (!xf->ctx ||
		    !EVP_CipherInit_ex(xf->ctx, cbc, NULL, p->key, NULL, enc))
			goto fail;
		EVP_CIPHER_CTX_set_padding(xf->ctx, 0);
		if (enc) {
			xf->ivctx = EVP_CIPHER_CTX_new();
			if (!xf->ivctx ||
			    !EVP_EncryptInit_ex(xf->ivctx, ecb, NULL, p->key, NULL))
				goto fail;
			EVP_CIPHER_CTX_set_padding(xf->ivctx, 0);
		}
		ret = init_hmac(xf, p->integ_key, p->integ_key_len);
		if (ret < 0)
			goto fail;
		return 0;
	}

	/* AEADs: key then 4-byte salt */
	xf->key_bytes = (uint8_t)(ci->key_len - 4);
	memcpy(xf->salt, p->key + xf->key_bytes, 4);
	if (is_gcm_family(p->cipher) && e->imb) {
		xf->gkey = aligned_alloc(64, (sizeof(struct gcm_key_data) + 63) & ~(size_t)63);
		if (!xf->gkey)
			goto fail;
		switch (xf->key_bytes) {
		case 16:
			IMB_AES128_GCM_PRE(e->imb, p->key, xf->gkey);
			break;
		case 24:
			IMB_AES192_GCM_PRE(e->imb, p->key, xf->gkey);
			break;
		default:
			IMB_AES256_GCM_PRE(e->imb, p->key, xf->gkey);
			break;
		}
		xf->imb = true;
		return 0;
	}
	xf->ctx = EVP_CIPHER_CTX_new();
	if (!xf->ctx)
		goto fail;
	if (!EVP_CipherInit_ex(xf->ctx,
			       is_gcm_family(p->cipher) ? evp_gcm(xf->key_bytes)
							: EVP_chacha20_poly1305(),
			       NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(xf->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) ||
	    !EVP_CipherInit_ex(xf->ctx, NULL, NULL, p->key, NULL, enc)) {
		ret = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	xform_free(xf);
	return ret;
}

/* Generic AEAD over EVP: nonce = salt || iv8.  Returns 0 or -EBADMSG. */
static int evp_aead(EVP_CIPHER_CTX *ctx, const uint8_t *salt, const uint8_t *iv8,
		    const uint8_t *aad, size_t aad_len, const uint8_t *in,
		    uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	uint8_t nonce[12], none[16];
	int outl;

	if (!out)
		out = none;  /* GMAC: nothing is encrypted */
	memcpy(nonce, salt, 4);
	memcpy(nonce + 4, iv8, 8);
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return -EIO;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len))
		return -EIO;
	if (len && !EVP_CipherUpdate(ctx, out, &outl, in, (int)len))
		return -EIO;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag))
		return -EIO;
	/* OpenSSL compares the tag in constant time (CRYPTO_memcmp). */
	if (!EVP_CipherFinal_ex(ctx, out + len, &outl))
		return enc ? -EIO : -EBADMSG;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag))
		return -EIO;
	return 0;
}

/* AES-GCM over intel-ipsec-mb.  Returns 0 or -EBADMSG. */
static int imb_gcm(struct soft_engine *e, const struct xform *xf,
		   const uint8_t *iv8, const uint8_t *aad, size_t aad_len,
		   const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag,
		   int enc)
{
	struct gcm_context_data gctx;
	uint8_t nonce[12], calc[16];
	int ret = 0;

	memcpy(nonce, xf->salt, 4);
	memcpy(nonce + 4, iv8, 8);
	switch (xf->key_bytes | enc << 8) {
	case 16 | 1 << 8:
		IMB_AES128_GCM_ENC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, tag, 16);
		return 0;
	case 24 | 1 << 8:
		IMB_AES192_GCM_ENC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, tag, 16);
		return 0;
	case 32 | 1 << 8:
		IMB_AES256_GCM_ENC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, tag, 16);
		return 0;
	case 16:
		IMB_AES128_GCM_DEC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, calc, 16);
		break;
	case 24:
		IMB_AES192_GCM_DEC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, calc, 16);
		break;
	default:
		IMB_AES256_GCM_DEC(e->imb, xf->gkey, &gctx, out, in, len, nonce,
				   aad, aad_len, calc, 16);
		break;
	}
	if (CRYPTO_memcmp(calc, tag, 16) != 0)
		ret = -EBADMSG;
	OPENSSL_cleanse(&gctx, sizeof(gctx));
	return ret;
}

int xform_aead(struct soft_engine *e, const struct xform *xf,
	       const uint8_t *iv8, const uint8_t *aad, size_t aad_len,
	       const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	if (xf->imb)
		return imb_gcm(e, xf, iv8, aad, aad_len, in, out, len, tag, enc);
	return evp_aead(xf->ctx, xf->salt, iv8, aad, aad_len, in, out, len, tag,
			enc);
}

/*
 * AES-GMAC (RFC 4543 3.3): nothing is encrypted; the AAD is SPI, sequence
 * number (64 bits with ESN), IV and payload.  Without ESN that is the packet
 * as it stands; with ESN the high half sits between, so the AAD is gathered
 * into the engine's scratch buffer.
 */
static int gmac(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
		uint32_t ptlen, uint64_t seq, bool esn, uint8_t *tag, int enc)
{
	const uint8_t *aad = esp;
	size_t aad_len = 8 + 8 + ptlen;

	if (esn) {
		uint8_t *s = e->scratch;

		memcpy(s, esp, 4);
		ipx_st64(s + 4, seq);
		memcpy(s + 12, esp + 8, 8 + ptlen);
		aad = s;
		aad_len += 4;
	}
	return xform_aead(e, xf, esp + 8, aad, aad_len, NULL, NULL, 0, tag, enc);
}

/* RFC 4303 3.3.2.1 / RFC 4868: ICV = HMAC-SHA-256 over SPI, sequence
 * number, IV and ciphertext, then the ESN high half, truncated to 128 bits. */
static int cbc_icv(const struct xform *xf, const uint8_t *esp, size_t len,
		   uint64_t seq, bool esn, uint8_t icv[32])
{
	uint8_t hi[4];
	size_t outl;

	if (!EVP_MAC_init(xf->hmac, NULL, 0, NULL) ||
	    !EVP_MAC_update(xf->hmac, esp, len))
		return -EIO;
	if (esn) {
		ipx_st32(hi, (uint32_t)(seq >> 32));
		if (!EVP_MAC_update(xf->hmac, hi, 4))
			return -EIO;
	}
	if (!EVP_MAC_final(xf->hmac, icv, &outl, 32))
		return -EIO;
	return 0;
}

int xform_seal(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ptlen, uint64_t seq, bool esn, const uint8_t *iv_override)
{
	if (is_cbc(xf->cipher)) {
		uint8_t *iv = esp + 8, *ct = esp + 24, icv[32];
		int outl, ret;

		if (iv_override) {
			memcpy(iv, iv_override, 16);
		} else {
			uint8_t nonce[16];

			memcpy(nonce, esp, 4);
			memset(nonce + 4, 0, 4);
			ipx_st64(nonce + 8, seq);
			if (!EVP_EncryptUpdate(xf->ivctx, iv, &outl, nonce, 16))
				return -EIO;
		}
		if (!EVP_CipherInit_ex(xf->ctx, NULL, NULL, NULL, iv, 1) ||
		    !EVP_CipherUpdate(xf->ctx, ct, &outl, ct, (int)ptlen))
			return -EIO;
		ret = cbc_icv(xf, esp, 24 + ptlen, seq, esn, icv);
		if (ret == 0)
			memcpy(ct + ptlen, icv, IPX_ICV_LEN);
		OPENSSL_cleanse(icv, sizeof(icv));
		return ret;
	}

	/* AEADs: 8-byte IV = sequence number */
	if (iv_override)
		memcpy(esp + 8, iv_override, 8);
	else
		ipx_st64(esp + 8, seq);
	if (is_gmac(xf->cipher))
		return gmac(e, xf, esp, ptlen, seq, esn, esp + 16 + ptlen, 1);

	if (esn) {
		/* RFC 4106 5: AAD = SPI, seq high, seq low */
		uint8_t aad[12];

		memcpy(aad, esp, 4);
		ipx_st64(aad + 4, seq);
		return xform_aead(e, xf, esp + 8, aad, 12, esp + 16, esp + 16,
				  ptlen, esp + 16 + ptlen, 1);
	}
	return xform_aead(e, xf, esp + 8, esp, 8, esp + 16, esp + 16, ptlen,
			  esp + 16 + ptlen, 1);
}

int xform_open(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ctlen, uint64_t seq, bool esn)
{
	if (is_cbc(xf->cipher)) {
		uint8_t icv[32];
		int outl, ret;

		ret = cbc_icv(xf, esp, 24 + ctlen, seq, esn, icv);
		if (ret == 0 &&
		    CRYPTO_memcmp(icv, esp + 24 + ctlen, IPX_ICV_LEN) != 0)
			ret = -EBADMSG;
		OPENSSL_cleanse(icv, sizeof(icv));
		if (ret < 0)
			return ret;
		if (!EVP_CipherInit_ex(xf->ctx, NULL, NULL, NULL, esp + 8, 0) ||
		    !EVP_CipherUpdate(xf->ctx, esp + 24, &outl, esp + 24,
				      (int)ctlen))
			return -EIO;
		return 0;
	}
	if (is_gmac(xf->cipher))
		return gmac(e, xf, esp, ctlen, seq, esn, esp + 16 + ctlen, 0);
	if (esn) {
		uint8_t aad[12];

		memcpy(aad, esp, 4);
		ipx_st64(aad + 4, seq);
		return xform_aead(e, xf, esp + 8, aad, 12, esp + 16, esp + 16,
				  ctlen, esp + 16 + ctlen, 0);
	}
	return xform_aead(e, xf, esp + 8, esp, 8, esp + 16, esp + 16, ctlen,
			  esp + 16 + ctlen, 0);
}
