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

/* Constant-time comparison of two 16-byte tags: no branch or early exit
 * depends on the data (as CRYPTO_memcmp, inlined for the 64-byte path). */
static inline bool tag16_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

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
	xf->kind = is_cbc(p->cipher) ? XF_CBC : is_gmac(p->cipher) ? XF_GMAC : XF_AEAD;
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
			xf->imb_enc = e->imb->gcm128_enc;
			xf->imb_dec = e->imb->gcm128_dec;
			break;
		case 24:
			IMB_AES192_GCM_PRE(e->imb, p->key, xf->gkey);
			xf->imb_enc = e->imb->gcm192_enc;
			xf->imb_dec = e->imb->gcm192_dec;
			break;
		default:
			IMB_AES256_GCM_PRE(e->imb, p->key, xf->gkey);
			xf->imb_enc = e->imb->gcm256_enc;
			xf->imb_dec = e->imb->gcm256_dec;
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

/* AEAD over EVP: 12-byte nonce, 16-byte tag.  Returns 0 or -EBADMSG. */
static int evp_aead(EVP_CIPHER_CTX *ctx, const uint8_t *nonce,
		    const uint8_t *aad, size_t aad_len, const uint8_t *in,
		    uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	uint8_t none[16];
	int outl;

	if (!out)
		out = none;  /* GMAC: nothing is encrypted */
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

/* AES-GCM over intel-ipsec-mb.  Returns 0 or -EBADMSG.  Inlined: it is
 * the per-packet path, where a call level costs more than its body. */
static inline __attribute__((always_inline)) int imb_gcm(const struct xform *xf, const uint8_t *nonce,
		   const uint8_t *aad, size_t aad_len, const uint8_t *in,
		   uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	struct gcm_context_data gctx;
	uint8_t calc[16];

	if (enc) {
		xf->imb_enc(xf->gkey, &gctx, out, in, len, nonce, aad, aad_len,
			    tag, 16);
		return 0;
	}
	xf->imb_dec(xf->gkey, &gctx, out, in, len, nonce, aad, aad_len, calc, 16);
	/* gctx holds the GHASH state and counters, no key material (the
	 * expanded key and H stay in gkey), so it is not wiped per packet */
	return tag16_equal(calc, tag) ? 0 : -EBADMSG;
}

static inline __attribute__((always_inline)) int aead(const struct xform *xf, const uint8_t *nonce,
		const uint8_t *aad, size_t aad_len, const uint8_t *in,
		uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	if (xf->imb)
		return imb_gcm(xf, nonce, aad, aad_len, in, out, len, tag, enc);
	return evp_aead(xf->ctx, nonce, aad, aad_len, in, out, len, tag, enc);
}

/* salt || IV, composed in registers and stored with one 16-byte store (see
 * struct xf_job on store forwarding) */
static void make_nonce(uint8_t *nonce, const uint8_t *salt, const uint8_t *iv8)
{
	typedef uint64_t v2u64 __attribute__((vector_size(16)));
	uint32_t s;
	uint64_t iv;
	v2u64 v;

	memcpy(&s, salt, 4);
	memcpy(&iv, iv8, 8);
	v = (v2u64){ s | iv << 32, iv >> 32 };
	memcpy(nonce, &v, 16);
}

int xform_aead(struct soft_engine *e, const struct xform *xf,
	       const uint8_t *iv8, const uint8_t *aad, size_t aad_len,
	       const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag, int enc)
{
	uint8_t nonce[16] __attribute__((aligned(16)));

	(void)e;
	make_nonce(nonce, xf->salt, iv8);
	return aead(xf, nonce, aad, aad_len, in, out, len, tag, enc);
}

/*
 * AES-GMAC (RFC 4543 3.3): nothing is encrypted; the AAD is SPI, sequence
 * number (64 bits with ESN), IV and payload.  Without ESN that is the packet
 * as it stands; with ESN the high half sits between, so the AAD is gathered
 * into the engine's scratch buffer.
 */
static int gmac(struct soft_engine *e, const struct xf_job *j, int enc)
{
	const uint8_t *aad = j->esp;
	size_t aad_len = 8 + 8 + j->len;

	if (j->esn) {
		uint8_t *s = e->scratch;

		memcpy(s, j->esp, 4);
		ipx_st64(s + 4, j->seq);
		memcpy(s + 12, j->esp + 8, 8 + j->len);
		aad = s;
		aad_len += 4;
	}
	return aead(j->xf, j->nonce, aad, aad_len, NULL, NULL, 0,
		    j->esp + 16 + j->len, enc);
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

static int cbc_seal(const struct xf_job *j)
{
	const struct xform *xf = j->xf;
	uint8_t *ct = j->esp + 24, icv[32];
	int outl, ret;

	if (!EVP_CipherInit_ex(xf->ctx, NULL, NULL, NULL, j->esp + 8, 1) ||
	    !EVP_CipherUpdate(xf->ctx, ct, &outl, ct, (int)j->len))
		return -EIO;
	ret = cbc_icv(xf, j->esp, 24 + j->len, j->seq, j->esn, icv);
	if (ret == 0)
		memcpy(ct + j->len, icv, IPX_ICV_LEN);
	OPENSSL_cleanse(icv, sizeof(icv));
	return ret;
}

static int cbc_open(const struct xf_job *j)
{
	const struct xform *xf = j->xf;
	uint8_t *ct = j->esp + 24, icv[32];
	int outl, ret;

	/* integrity first: nothing is decrypted from a forged packet */
	ret = cbc_icv(xf, j->esp, 24 + j->len, j->seq, j->esn, icv);
	if (ret == 0 && CRYPTO_memcmp(icv, ct + j->len, IPX_ICV_LEN) != 0)
		ret = -EBADMSG;
	OPENSSL_cleanse(icv, sizeof(icv));
	if (ret < 0)
		return ret;
	if (!EVP_CipherInit_ex(xf->ctx, NULL, NULL, NULL, j->esp + 8, 0) ||
	    !EVP_CipherUpdate(xf->ctx, ct, &outl, ct, (int)j->len))
		return -EIO;
	return 0;
}

int xform_prep(const struct xform *xf, struct xf_job *j, uint8_t *esp,
	       uint32_t len, uint64_t seq, bool esn, const uint8_t *iv_override,
	       int enc)
{
	j->xf = xf;
	j->esp = esp;
	j->len = len;
	j->seq = seq;
	j->esn = esn;
	if (xf->kind == XF_CBC) {
		if (enc) {
			if (iv_override) {
				memcpy(esp + 8, iv_override, 16);
			} else {
				uint8_t nonce[16];
				int outl;

				memcpy(nonce, esp, 4);
				memset(nonce + 4, 0, 4);
				ipx_st64(nonce + 8, seq);
				if (!EVP_EncryptUpdate(xf->ivctx, esp + 8, &outl,
						       nonce, 16))
					return -EIO;
			}
		}
		return 0;
	}
	/* AEADs: 8-byte IV = sequence number (RFC 4106 3.1) */
	if (enc) {
		if (iv_override)
			memcpy(esp + 8, iv_override, 8);
		else
			ipx_st64(esp + 8, seq);
		make_nonce(j->nonce, xf->salt, iv_override ? iv_override : esp + 8);
	} else {
		make_nonce(j->nonce, xf->salt, esp + 8);
	}
	if (esn) {
		/* RFC 4106 5: AAD = SPI, seq high, seq low */
		memcpy(j->aad, esp, 4);
		ipx_st64(j->aad + 4, seq);
	}
	return 0;
}

int xform_run(struct soft_engine *e, const struct xf_job *j, int enc)
{
	const struct xform *xf = j->xf;
	uint8_t *text = j->esp + 16;

	if (__builtin_expect(xf->kind == XF_CBC, 0))
		return enc ? cbc_seal(j) : cbc_open(j);
	if (__builtin_expect(xf->kind == XF_GMAC, 0))
		return gmac(e, j, enc);
	return aead(xf, j->nonce, j->esn ? j->aad : j->esp, j->esn ? 12 : 8,
		    text, text, j->len, text + j->len, enc);
}

int xform_seal(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ptlen, uint64_t seq, bool esn, const uint8_t *iv_override)
{
	struct xf_job j;
	int ret = xform_prep(xf, &j, esp, ptlen, seq, esn, iv_override, 1);

	return ret < 0 ? ret : xform_run(e, &j, 1);
}

int xform_open(struct soft_engine *e, const struct xform *xf, uint8_t *esp,
	       uint32_t ctlen, uint64_t seq, bool esn)
{
	struct xf_job j;
	int ret = xform_prep(xf, &j, esp, ctlen, seq, esn, NULL, 0);

	return ret < 0 ? ret : xform_run(e, &j, 0);
}
