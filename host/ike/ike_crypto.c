/*
 * IKE crypto (see ike_crypto.h): algorithms, PRF and prf+, the IKE SA and
 * Child SA key derivations, AUTH, NAT detection, cookies, randomness.
 * Thin wrappers over OpenSSL 3; key exchange is in ike_dh.c, the SK
 * payload in ike_sk.c.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_crypto.h"
#include "ike_crypto_int.h"

/* ---- algorithm tables ---- */

static const struct {
	uint16_t id;
	const char *md; /* OpenSSL digest name */
	uint8_t len;
} prfs[] = {
	/* HMAC_SHA1 for peers that still negotiate it and for the NIST
	 * SP 800-135 IKEv2 KDF vectors. */
	{ IKEV2_PRF_HMAC_SHA1, "SHA1", 20 },
	{ IKEV2_PRF_HMAC_SHA2_256, "SHA2-256", 32 }, /* RFC 4868 2.1.2 */
	{ IKEV2_PRF_HMAC_SHA2_384, "SHA2-384", 48 },
	{ IKEV2_PRF_HMAC_SHA2_512, "SHA2-512", 64 },
};

static const struct {
	uint16_t id;
	const char *md;
	uint8_t key_len, icv_len;
} integs[] = {
	{ IKEV2_INTEG_HMAC_SHA1_96, "SHA1", 20, 12 }, /* RFC 2404 */
	/* RFC 4868 2.1: key = full hash output, ICV = half of it */
	{ IKEV2_INTEG_HMAC_SHA2_256_128, "SHA2-256", 32, 16 },
	{ IKEV2_INTEG_HMAC_SHA2_384_192, "SHA2-384", 48, 24 },
	{ IKEV2_INTEG_HMAC_SHA2_512_256, "SHA2-512", 64, 32 },
};

const char *ike_prf_md(uint16_t prf)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == prf)
			return prfs[i].md;
	return NULL;
}

size_t ike_prf_len(uint16_t prf)
{
	for (size_t i = 0; i < sizeof(prfs) / sizeof(prfs[0]); i++)
		if (prfs[i].id == prf)
			return prfs[i].len;
	return 0;
}

const char *ike_integ_md(uint16_t integ)
{
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++)
		if (integs[i].id == integ)
			return integs[i].md;
	return NULL;
}

size_t ike_integ_key_len(uint16_t integ)
{
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++)
		if (integs[i].id == integ)
			return integs[i].key_len;
	return 0;
}

size_t ike_integ_icv_len(uint16_t integ)
{
	for (size_t i = 0; i < sizeof(integs) / sizeof(integs[0]); i++)
		if (integs[i].id == integ)
			return integs[i].icv_len;
	return 0;
}

int ike_encr_info(uint16_t encr, uint16_t key_bits, struct ike_encr_info *o)
{
	memset(o, 0, sizeof(*o));
	o->id = encr;
	switch (encr) {
	case IKEV2_ENCR_AES_CBC: /* RFC 3602; 3.14: random IV of a block */
		o->iv_len = o->block_len = 16;
		break;
	case IKEV2_ENCR_AES_GCM_16: /* RFC 5282: 4-octet salt, 8-octet IV */
		o->salt_len = 4;
		o->iv_len = 8;
		o->block_len = 1;
		o->icv_len = 16;
		o->aead = true;
		break;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		/* RFC 7634 2: 256-bit key + 4-octet salt, 8-octet IV, and no
		 * Key Length attribute. */
		if (key_bits)
			return -EINVAL;
		o->key_len = 32;
		o->salt_len = 4;
		o->iv_len = 8;
		o->block_len = 1;
		o->icv_len = 16;
		o->aead = true;
		return 0;
	default:
		return -EINVAL;
	}
	if (key_bits != 128 && key_bits != 192 && key_bits != 256)
		return -EINVAL;
	o->key_len = (uint8_t)(key_bits / 8);
	return 0;
}

/* ---- HMAC through EVP_MAC ---- */

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int ike_hmac(const char *md, const uint8_t *key, size_t key_len,
	     const struct ike_chunk *in, unsigned n_in, uint8_t *out,
	     size_t out_cap, size_t *out_len)
{
	static const uint8_t empty[1];
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	int rc = -EIO;

	pthread_once(&hmac_once, hmac_fetch);
	if (!hmac_alg || !(ctx = EVP_MAC_CTX_new(hmac_alg))) {
		ipx_err("ike_hmac: OpenSSL has no HMAC");
		return -EIO;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A NULL key would mean "keep the previous key": pass a pointer even
	 * for an empty one. */
	if (!EVP_MAC_init(ctx, key_len ? key : empty, key_len, params))
		goto out;
	for (unsigned i = 0; i < n_in; i++)
		if (in[i].len && !EVP_MAC_update(ctx, in[i].p, in[i].len))
			goto out;
	if (!EVP_MAC_final(ctx, out, out_len, out_cap))
		goto out;
	rc = 0;
out:
	if (rc)
		ipx_err("ike_hmac: HMAC-%s failed", md);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	    const struct ike_chunk *in, unsigned n_in, uint8_t *out)
{
	const char *md = ike_prf_md(prf);
	size_t n;

	if (!md)
		return -EINVAL;
	return ike_hmac(md, key, key_len, in, n_in, out, ike_prf_len(prf), &n);
}

#define MAX_SEED_CHUNKS 8

int ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
		 const struct ike_chunk *seed, unsigned n_seed, uint8_t *out,
		 size_t out_len)
{
	struct ike_chunk in[MAX_SEED_CHUNKS + 2];
	size_t plen = ike_prf_len(prf), done = 0;
	uint8_t t[IKE_PRF_MAX], ctr = 1;
	int rc = 0;

	if (!plen || n_seed > MAX_SEED_CHUNKS)
		return -EINVAL;
	/* 2.13: "prf+ in this document is not defined beyond 255 times the
	 * size of the prf function output". */
	if (out_len > IKEV2_PRF_PLUS_MAX_ITER * plen)
		return -EINVAL;
	while (done < out_len) {
		unsigned n = 0;
		size_t k;

		/* Tn = prf(K, Tn-1 | S | n), T0 empty */
		if (ctr > 1)
			in[n++] = (struct ike_chunk){ t, plen };
		for (unsigned i = 0; i < n_seed; i++)
			in[n++] = seed[i];
		in[n++] = (struct ike_chunk){ &ctr, 1 };
		rc = ike_prf(prf, key, key_len, in, n, t);
		if (rc)
			break;
		k = out_len - done < plen ? out_len - done : plen;
		memcpy(out + done, t, k);
		done += k;
		ctr++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	if (rc)
		OPENSSL_cleanse(out, out_len);
	return rc;
}

/* ---- IKE SA keys (2.14, 2.18) ---- */

int ike_skeyseed(const struct ike_kdf_in *in, uint8_t *out, size_t *out_len)
{
	int rc;

	if (!in->g_ir || !in->g_ir_len)
		return -EINVAL;
	if (in->old_sk_d) {
		/* 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr),
		 * "it is the old IKE SA's PRF that is used". */
		struct ike_chunk c[3] = { { in->g_ir, in->g_ir_len },
					  { in->ni, in->ni_len },
					  { in->nr, in->nr_len } };

		rc = ike_prf(in->old_prf, in->old_sk_d, in->old_sk_d_len, c, 3, out);
		*out_len = ike_prf_len(in->old_prf);
	} else {
		/* 2.14: SKEYSEED = prf(Ni | Nr, g^ir).  The AES-XCBC/CMAC
		 * special case (64 bits of each nonce) does not arise: only
		 * HMAC PRFs are supported. */
		uint8_t key[2 * IKEV2_NONCE_MAX];
		struct ike_chunk c = { in->g_ir, in->g_ir_len };

		if (in->ni_len > IKEV2_NONCE_MAX || in->nr_len > IKEV2_NONCE_MAX)
			return -EINVAL;
		memcpy(key, in->ni, in->ni_len);
		memcpy(key + in->ni_len, in->nr, in->nr_len);
		rc = ike_prf(in->prf, key, in->ni_len + in->nr_len, &c, 1, out);
		*out_len = ike_prf_len(in->prf);
	}
	return rc;
}

int ike_sa_keys_derive(const struct ike_kdf_in *in, struct ike_sa_keys *k)
{
	uint8_t seed[IKE_PRF_MAX];
	uint8_t km[3 * IKE_PRF_MAX + 2 * IKE_INTEG_KEY_MAX + 2 * IKE_ENCR_KEY_MAX];
	size_t seed_len = 0, total, off = 0;
	int rc;

	memset(k, 0, sizeof(*k));
	k->prf = in->prf;
	k->encr = in->encr;
	k->encr_bits = in->encr_bits;
	k->integ = in->integ;
	k->prf_len = ike_prf_len(in->prf);
	if (!k->prf_len || (in->old_sk_d && !ike_prf_len(in->old_prf)))
		return -EINVAL;
	if (ike_encr_info(in->encr, in->encr_bits, &k->ei))
		return -EINVAL;
	if (k->ei.aead) {
		/* RFC 5282 8: with a combined-mode cipher no integrity
		 * transform (or NONE) is negotiated. */
		if (in->integ != IKEV2_INTEG_NONE)
			return -EINVAL;
	} else if (!(k->integ_len = ike_integ_key_len(in->integ))) {
		return -EINVAL;
	}
	k->encr_len = (size_t)k->ei.key_len + k->ei.salt_len;
	if (!in->spi_i || !in->spi_r)
		return -EINVAL;

	rc = ike_skeyseed(in, seed, &seed_len);
	if (!rc) {
		struct ike_chunk s[4] = { { in->ni, in->ni_len },
					  { in->nr, in->nr_len },
					  { in->spi_i, IKEV2_SPI_LEN },
					  { in->spi_r, IKEV2_SPI_LEN } };

		/* 2.14: the seven keys in order out of prf+ */
		total = 3 * k->prf_len + 2 * k->integ_len + 2 * k->encr_len;
		rc = ike_prf_plus(in->prf, seed, seed_len, s, 4, km, total);
	}
	if (!rc) {
		memcpy(k->sk_d, km + off, k->prf_len), off += k->prf_len;
		memcpy(k->sk_ai, km + off, k->integ_len), off += k->integ_len;
		memcpy(k->sk_ar, km + off, k->integ_len), off += k->integ_len;
		memcpy(k->sk_ei, km + off, k->encr_len), off += k->encr_len;
		memcpy(k->sk_er, km + off, k->encr_len), off += k->encr_len;
		memcpy(k->sk_pi, km + off, k->prf_len), off += k->prf_len;
		memcpy(k->sk_pr, km + off, k->prf_len);
	}
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(km, sizeof(km));
	if (rc)
		ike_sa_keys_wipe(k);
	return rc;
}

void ike_sa_keys_wipe(struct ike_sa_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- Child SA keys (2.17) ---- */

int ike_child_keys_derive(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
			  const uint8_t *g_ir, size_t g_ir_len,
			  const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			  size_t nr_len, uint16_t encr, uint16_t encr_bits,
			  uint16_t integ, struct ike_child_keys *out)
{
	struct ike_encr_info ei;
	uint8_t km[2 * IKE_ENCR_KEY_MAX + 2 * IKE_INTEG_KEY_MAX];
	struct ike_chunk s[3];
	unsigned n = 0;
	size_t el, al, off = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ike_encr_info(encr, encr_bits, &ei))
		return -EINVAL;
	if (ei.aead) {
		if (integ != IKEV2_INTEG_NONE)
			return -EINVAL;
		al = 0;
	} else if (!(al = ike_integ_key_len(integ))) {
		return -EINVAL;
	}
	el = (size_t)ei.key_len + ei.salt_len;
	/* 2.17: KEYMAT = prf+(SK_d, Ni | Nr), or with PFS
	 * prf+(SK_d, g^ir (new) | Ni | Nr). */
	if (g_ir)
		s[n++] = (struct ike_chunk){ g_ir, g_ir_len };
	s[n++] = (struct ike_chunk){ ni, ni_len };
	s[n++] = (struct ike_chunk){ nr, nr_len };
	rc = ike_prf_plus(prf, sk_d, sk_d_len, s, n, km, 2 * (el + al));
	if (!rc) {
		/* 2.17: initiator-to-responder keys first; within an SA the
		 * encryption key, then the integrity key. */
		out->encr_len = el;
		out->integ_len = al;
		memcpy(out->ei, km + off, el), off += el;
		memcpy(out->ai, km + off, al), off += al;
		memcpy(out->er, km + off, el), off += el;
		memcpy(out->ar, km + off, al);
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

void ike_child_keys_wipe(struct ike_child_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- AUTH (2.15) ---- */

/* MACedIDFor[I|R] = prf(SK_p[i|r], RestOfIDPayload) */
static int maced_id(const struct ike_auth_in *in, uint8_t *out)
{
	uint8_t idh[sizeof(struct ikev2_id)] = { in->id_type, 0, 0, 0 };
	struct ike_chunk c[2] = { { idh, sizeof(idh) }, { in->id, in->id_len } };

	return ike_prf(in->prf, in->sk_p, in->sk_p_len, c, 2, out);
}

int ike_auth_octets(const struct ike_auth_in *in, uint8_t *out, size_t cap,
		    size_t *len)
{
	size_t plen = ike_prf_len(in->prf), need;
	int rc;

	if (!plen)
		return -EINVAL;
	need = in->msg_len + in->nonce_len + plen;
	if (need > cap)
		return -ENOBUFS;
	/* <SignedOctets> = RealMessage | NonceData | MACedID */
	memcpy(out, in->msg, in->msg_len);
	memcpy(out + in->msg_len, in->nonce, in->nonce_len);
	rc = maced_id(in, out + in->msg_len + in->nonce_len);
	if (rc)
		return rc;
	*len = need;
	return 0;
}

int ike_auth_psk(const struct ike_auth_in *in, const uint8_t *secret,
		 size_t secret_len, uint8_t *out, size_t *out_len)
{
	static const struct ike_chunk pad = { (const uint8_t *)IKEV2_PSK_PAD,
					      IKEV2_PSK_PAD_LEN };
	uint8_t key[IKE_PRF_MAX], mid[IKE_PRF_MAX];
	size_t plen = ike_prf_len(in->prf);
	int rc;

	if (!plen)
		return -EINVAL;
	/* AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"),
	 *             <SignedOctets>) -- computed over the three parts of
	 * the signed octets without gathering them in one buffer. */
	rc = ike_prf(in->prf, secret, secret_len, &pad, 1, key);
	if (!rc)
		rc = maced_id(in, mid);
	if (!rc) {
		struct ike_chunk c[3] = { { in->msg, in->msg_len },
					  { in->nonce, in->nonce_len },
					  { mid, plen } };

		rc = ike_prf(in->prf, key, plen, c, 3, out);
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mid, sizeof(mid));
	if (!rc)
		*out_len = plen;
	return rc;
}

int ike_auth_psk_verify(const struct ike_auth_in *in, const uint8_t *secret,
			size_t secret_len, const uint8_t *auth, size_t auth_len)
{
	uint8_t want[IKE_PRF_MAX];
	size_t n = 0;
	int rc = ike_auth_psk(in, secret, secret_len, want, &n);

	if (!rc && (auth_len != n || CRYPTO_memcmp(want, auth, n)))
		rc = -EACCES;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

/* ---- digests ---- */

static int digest(const char *md, const struct ike_chunk *in, unsigned n,
		  uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_MD *alg = NULL;
	int rc = -EIO;

	if (!ctx || !(alg = EVP_MD_fetch(NULL, md, NULL)))
		goto out;
	if (!EVP_DigestInit_ex(ctx, alg, NULL))
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (in[i].len && !EVP_DigestUpdate(ctx, in[i].p, in[i].len))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, out, NULL))
		goto out;
	rc = 0;
out:
	if (rc)
		ipx_err("ike_crypto: %s digest failed", md);
	EVP_MD_free(alg);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* ---- NAT detection (2.23) ---- */

int ike_natd_hash(const uint8_t spi_i[IKEV2_SPI_LEN],
		  const uint8_t spi_r[IKEV2_SPI_LEN], const uint8_t *ip,
		  size_t ip_len, uint16_t port, uint8_t out[IKEV2_NATD_LEN])
{
	uint8_t p[2];
	struct ike_chunk c[4] = { { spi_i, IKEV2_SPI_LEN },
				  { spi_r, IKEV2_SPI_LEN },
				  { ip, ip_len },
				  { p, 2 } };

	if (ip_len != 4 && ip_len != 16)
		return -EINVAL;
	/* "the SHA-1 digest of the SPIs (in the order they appear in the
	 * header), IP address, and port" */
	ipx_st16(p, port);
	return digest("SHA1", c, 4, out);
}

/* ---- cookies (2.6) ---- */

int ike_cookie_init(struct ike_cookie_ctx *c)
{
	memset(c, 0, sizeof(*c));
	if (ike_random((uint8_t *)&c->version, sizeof(c->version)))
		return -EIO;
	return ike_random(c->secret, sizeof(c->secret));
}

int ike_cookie_rotate(struct ike_cookie_ctx *c)
{
	/* 2.6: the responder keeps accepting cookies made with the previous
	 * secret "for a short time" after it changes. */
	memcpy(c->prev, c->secret, sizeof(c->prev));
	c->prev_version = c->version;
	c->have_prev = true;
	c->version++;
	return ike_random(c->secret, sizeof(c->secret));
}

void ike_cookie_wipe(struct ike_cookie_ctx *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

/*
 * HMAC-SHA-256 keyed with the secret over  len(IP) | IP | len(Ni) | Ni |
 * SPIi  (lengths as 1 and 2 octets).  The lengths frame the fields: without
 * them Ni | IPv6 and Ni' | IPv4 (Ni' = Ni | the first 12 octets of the
 * IPv6 address) hash the same octets, and a cookie earned at an IPv6
 * address would open the door to a spoofed IPv4 one.
 */
static int cookie_hash(const uint8_t *secret, const uint8_t *ni, size_t ni_len,
		       const uint8_t *ip, size_t ip_len,
		       const uint8_t spi_i[IKEV2_SPI_LEN], uint8_t out[32])
{
	uint8_t al = (uint8_t)ip_len, nl[2];
	struct ike_chunk c[5] = { { &al, 1 },
				  { ip, ip_len },
				  { nl, 2 },
				  { ni, ni_len },
				  { spi_i, IKEV2_SPI_LEN } };
	size_t n;

	if ((ip_len != 4 && ip_len != 16) || ni_len > 0xffff)
		return -EINVAL;
	ipx_st16(nl, (uint16_t)ni_len);
	return ike_hmac("SHA2-256", secret, 32, c, 5, out, 32, &n);
}

int ike_cookie_make(const struct ike_cookie_ctx *c, const uint8_t *ni,
		    size_t ni_len, const uint8_t *ip, size_t ip_len,
		    const uint8_t spi_i[IKEV2_SPI_LEN],
		    uint8_t out[IKE_COOKIE_LEN])
{
	ipx_st32(out, c->version);
	return cookie_hash(c->secret, ni, ni_len, ip, ip_len, spi_i, out + 4);
}

int ike_cookie_verify(const struct ike_cookie_ctx *c, const uint8_t *cookie,
		      size_t len, const uint8_t *ni, size_t ni_len,
		      const uint8_t *ip, size_t ip_len,
		      const uint8_t spi_i[IKEV2_SPI_LEN])
{
	const uint8_t *secret;
	uint8_t want[32];
	uint32_t v;
	int rc;

	if (len != IKE_COOKIE_LEN)
		return -EACCES;
	v = ipx_ld32(cookie);
	if (v == c->version)
		secret = c->secret;
	else if (c->have_prev && v == c->prev_version)
		secret = c->prev;
	else
		return -EACCES;
	rc = cookie_hash(secret, ni, ni_len, ip, ip_len, spi_i, want);
	if (!rc && CRYPTO_memcmp(want, cookie + 4, sizeof(want)))
		rc = -EACCES;
	return rc;
}

/* ---- random ---- */

int ike_random(uint8_t *p, size_t n)
{
	if (n > 0x7fffffff || RAND_bytes(p, (int)n) != 1) {
		ipx_err("ike_random: RAND_bytes failed");
		return -EIO;
	}
	return 0;
}

int ike_spi_new(uint8_t spi[IKEV2_SPI_LEN])
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	int rc;

	do
		rc = ike_random(spi, IKEV2_SPI_LEN);
	while (!rc && !memcmp(spi, zero, IKEV2_SPI_LEN));
	return rc;
}
