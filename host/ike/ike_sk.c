/*
 * The Encrypted payload SK (RFC 7296 3.14) and the Encrypted Fragment
 * payload SKF (RFC 7383 2.5), in place in the message buffer:
 *
 *   IKE hdr | ... | SK hdr (4; SKF 8) | IV | E(inner | pad | padlen) | ICV
 *
 * AEAD (AES-GCM-16, RFC 5282; ChaCha20-Poly1305, RFC 7634): nonce =
 * salt (last 4 octets of SK_e) | 8-octet IV, AAD = the message from the
 * IKE header through the SK (SKF) header, no padding needed.
 * AES-CBC (RFC 3602) + HMAC-SHA2 (RFC 4868): random IV, padding to the
 * block, ICV = truncated HMAC over the message from the IKE header through
 * the encrypted data; checked in constant time before anything is
 * decrypted.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_crypto.h"
#include "ike_crypto_int.h"

static const char *const cipher_names[] = {
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"AES-128-GCM", "AES-192-GCM", "AES-256-GCM",
	"ChaCha20-Poly1305",
};
#define N_CIPHERS (sizeof(cipher_names) / sizeof(cipher_names[0]))
static EVP_CIPHER *ciphers[N_CIPHERS];
static pthread_once_t ciphers_once = PTHREAD_ONCE_INIT;

/* Fetched once: an explicit fetch per message is measurable in OpenSSL 3. */
static void ciphers_fetch(void)
{
	for (size_t i = 0; i < N_CIPHERS; i++)
		ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
}

static const EVP_CIPHER *cipher_of(const struct ike_encr_info *ei)
{
	size_t i, k = ei->key_len == 16 ? 0 : ei->key_len == 24 ? 1 : 2;

	switch (ei->id) {
	case IKEV2_ENCR_AES_CBC:
		i = k;
		break;
	case IKEV2_ENCR_AES_GCM_16:
		i = 3 + k;
		break;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		i = 6;
		break;
	default:
		return NULL;
	}
	pthread_once(&ciphers_once, ciphers_fetch);
	return ciphers[i];
}

static size_t icv_len(const struct ike_sa_keys *k)
{
	return k->ei.aead ? k->ei.icv_len : ike_integ_icv_len(k->integ);
}

static size_t pad_len(const struct ike_sa_keys *k, size_t plain_len)
{
	size_t b = k->ei.block_len;

	/* 3.14: payloads | padding | pad length a multiple of the block. */
	return b > 1 ? (b - (plain_len + 1) % b) % b : 0;
}

size_t ike_sk_overhead(const struct ike_sa_keys *k, size_t plain_len)
{
	return k->ei.iv_len + pad_len(k, plain_len) + 1 + icv_len(k);
}

/* AEAD over data[0..n) in place; AAD aad[0..aad_len); tag out or in. */
static int aead(const struct ike_sa_keys *k, const uint8_t *keymat, bool enc,
		const uint8_t *iv, const uint8_t *aad, size_t aad_len,
		uint8_t *data, size_t n, uint8_t *tag)
{
	const struct ike_encr_info *ei = &k->ei;
	const EVP_CIPHER *c = cipher_of(ei);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int l, rc = -EIO;

	/* RFC 5282 4 / RFC 7634 2: nonce = salt | IV */
	memcpy(nonce, keymat + ei->key_len, 4);
	memcpy(nonce + 4, iv, 8);
	if (!c || !ctx || n > 0x7fffffff || aad_len > 0x7fffffff)
		goto out;
	if (!EVP_CipherInit_ex2(ctx, c, keymat, nonce, enc, NULL))
		goto out;
	if (!EVP_CipherUpdate(ctx, NULL, &l, aad, (int)aad_len))
		goto out;
	if (n && !EVP_CipherUpdate(ctx, data, &l, data, (int)n))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 ei->icv_len, tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, data + n, &l)) {
		/* decrypt: the tag did not verify */
		rc = enc ? -EIO : -EACCES;
		goto out;
	}
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
					ei->icv_len, tag))
		goto out;
	rc = 0;
out:
	if (rc == -EIO)
		ipx_err("ike_sk: %s failed", c ? EVP_CIPHER_get0_name(c) : "cipher");
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

static int cbc(const struct ike_sa_keys *k, const uint8_t *key, bool enc,
	       const uint8_t *iv, uint8_t *data, size_t n)
{
	const EVP_CIPHER *c = cipher_of(&k->ei);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int l, rc = -EIO;

	if (!c || !ctx || n > 0x7fffffff)
		goto out;
	/* IKE pads itself (3.14); OpenSSL's PKCS#7 padding is off. */
	if (!EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, data, &l, data, (int)n) ||
	    !EVP_CipherFinal_ex(ctx, data + l, &l))
		goto out;
	rc = 0;
out:
	if (rc)
		ipx_err("ike_sk: AES-CBC failed");
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Truncated HMAC of the integrity transform over buf[0..n). */
static int icv(const struct ike_sa_keys *k, const uint8_t *akey,
	       const uint8_t *buf, size_t n, uint8_t out[IKE_INTEG_KEY_MAX])
{
	const char *md = ike_integ_md(k->integ);
	struct ike_chunk c = { buf, n };
	size_t l;

	if (!md)
		return -EINVAL;
	return ike_hmac(md, akey, k->integ_len, &c, 1, out, IKE_INTEG_KEY_MAX, &l);
}

/* Header length of the encrypted payload at off of a message we built:
 * 4 for SK, 8 for SKF; found by walking the outer chain. */
static int enc_hdr_len(const uint8_t *buf, size_t len, size_t off)
{
	uint8_t type = buf[offsetof(struct ikev2_hdr, next)];
	size_t o = IKE_HDR_LEN;

	while (o < off) {
		size_t pl;

		if (len - o < IKE_GEN_LEN)
			return -EINVAL;
		pl = ipx_ld16(buf + o + 2);
		if (pl < IKE_GEN_LEN)
			return -EINVAL;
		type = buf[o];
		o += pl;
	}
	if (o != off || len - off < IKE_GEN_LEN)
		return -EINVAL;
	if (type == IKEV2_PL_SK)
		return IKE_GEN_LEN;
	if (type == IKEV2_PL_SKF && len - off >= IKE_GEN_LEN + sizeof(struct ikev2_skf))
		return IKE_GEN_LEN + sizeof(struct ikev2_skf);
	return -EINVAL;
}

static bool keys_ready(const struct ike_sa_keys *k)
{
	return k->encr_len && k->ei.id == k->encr && cipher_of(&k->ei) &&
	       (k->ei.aead || ike_integ_md(k->integ));
}

static bool dir_ok(const uint8_t *buf, bool from_initiator)
{
	bool i = buf[offsetof(struct ikev2_hdr, flags)] & IKEV2_FLAG_INITIATOR;

	return i == from_initiator;
}

int ike_sk_encrypt(struct ike_sa_keys *k, bool from_initiator, uint8_t *buf,
		   size_t cap, size_t *len, size_t sk_off)
{
	const struct ike_encr_info *ei = &k->ei;
	const uint8_t *ekey = from_initiator ? k->sk_ei : k->sk_er;
	const uint8_t *akey = from_initiator ? k->sk_ai : k->sk_ar;
	size_t plen, pad, ct_len, total, il = icv_len(k);
	uint8_t *iv, *pt, tag[IKE_INTEG_KEY_MAX];
	int h, rc;

	if (!keys_ready(k) || *len < IKE_HDR_LEN || *len > cap ||
	    !dir_ok(buf, from_initiator))
		return -EINVAL;
	h = enc_hdr_len(buf, *len, sk_off);
	if (h < 0)
		return h;
	plen = *len - sk_off - (size_t)h;
	pad = pad_len(k, plen);
	ct_len = plen + pad + 1;
	total = sk_off + (size_t)h + ei->iv_len + ct_len + il;
	if (total > cap)
		return -ENOBUFS;
	if (total - sk_off > 0xffff)
		return -EMSGSIZE;

	iv = buf + sk_off + h;
	pt = iv + ei->iv_len;
	memmove(pt, iv, plen);
	memset(pt + plen, 0, pad); /* 3.14: padding "MAY contain any value" */
	pt[plen + pad] = (uint8_t)pad;
	ipx_st16(buf + sk_off + 2, (uint16_t)(total - sk_off));
	ipx_st32(buf + offsetof(struct ikev2_hdr, length), (uint32_t)total);

	if (ei->aead) {
		/* RFC 5282 3.1: the IV MUST NOT repeat under a key; a counter
		 * per direction guarantees it. */
		uint64_t *ctr = &k->iv_sent[from_initiator ? 0 : 1];

		if (*ctr == UINT64_MAX) {
			rc = -EOVERFLOW;
		} else {
			ipx_st64(iv, ++*ctr);
			rc = aead(k, ekey, true, iv, buf, sk_off + h, pt, ct_len,
				  pt + ct_len);
		}
	} else {
		/* 3.14: the CBC IV MUST be unpredictable: random. */
		rc = ike_random(iv, ei->iv_len);
		if (!rc)
			rc = cbc(k, ekey, true, iv, pt, ct_len);
		if (!rc)
			rc = icv(k, akey, buf, total - il, tag);
		if (!rc)
			memcpy(pt + ct_len, tag, il);
	}
	if (rc) {
		OPENSSL_cleanse(buf + sk_off, total - sk_off);
		return rc;
	}
	*len = total;
	return 0;
}

int ike_sk_decrypt(const struct ike_sa_keys *k, bool from_initiator,
		   const struct ike_msg *m, uint8_t *buf, const uint8_t **plain,
		   size_t *plain_len)
{
	const struct ike_encr_info *ei = &k->ei;
	const uint8_t *ekey = from_initiator ? k->sk_ei : k->sk_er;
	const uint8_t *akey = from_initiator ? k->sk_ai : k->sk_ar;
	const struct ike_pld *p;
	size_t h, blen, ct_len, pad, il = icv_len(k);
	uint8_t *iv, *pt, tag[IKE_INTEG_KEY_MAX];
	int rc;

	if (!keys_ready(k) || m->sk < 0 || buf != m->raw)
		return -EINVAL;
	/* A message whose I flag says it came from us is a reflection. */
	if (!dir_ok(buf, from_initiator))
		return -EBADMSG;
	p = &m->pld[m->sk];
	h = p->type == IKEV2_PL_SKF ? IKE_GEN_LEN + sizeof(struct ikev2_skf) :
				      IKE_GEN_LEN;
	/* The parser made SK the last payload: it runs to the end. */
	blen = m->raw_len - p->off - h;
	if (blen < (size_t)ei->iv_len + il + 1)
		return -EBADMSG;
	ct_len = blen - ei->iv_len - il;
	if (ei->block_len > 1 && ct_len % ei->block_len)
		return -EBADMSG;
	iv = buf + p->off + h;
	pt = iv + ei->iv_len;

	if (ei->aead) {
		rc = aead(k, ekey, false, iv, buf, p->off + h, pt, ct_len,
			  pt + ct_len);
		if (rc) {
			/* nothing unauthenticated is left behind */
			OPENSSL_cleanse(pt, ct_len);
			return rc;
		}
	} else {
		/* Integrity first, in constant time, over the message up to
		 * the ICV; only then decrypt. */
		rc = icv(k, akey, buf, m->raw_len - il, tag);
		if (rc)
			return rc;
		if (CRYPTO_memcmp(tag, pt + ct_len, il))
			return -EACCES;
		rc = cbc(k, ekey, false, iv, pt, ct_len);
		if (rc)
			return rc;
	}
	/* 3.14: the recipient accepts any pad length that fits. */
	pad = pt[ct_len - 1];
	if (pad >= ct_len) {
		OPENSSL_cleanse(pt, ct_len);
		return -EBADMSG;
	}
	*plain = pt;
	*plain_len = ct_len - pad - 1;
	return 0;
}
