/*
 * IKE key exchange over OpenSSL 3 EVP_PKEY: MODP groups 14/15/16 (RFC
 * 3526), ECP groups 19/20/21 (RFC 5903), Curve25519 group 31 (RFC 8031).
 * The peer's value is validated before it is used; the shared secret is
 * kept inside struct ike_dh and wiped with it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <ipsecfx/log.h>

#include "ike_crypto_int.h"

enum { MODP, ECP, XDH };

static const struct group {
	uint16_t id;
	uint8_t kind;
	const char *name; /* OpenSSL group / key type name */
	int nid;	  /* ECP curve */
	uint16_t coord;	  /* ECP coordinate octets */
} groups[] = {
	{ IKEV2_DH_MODP2048, MODP, "modp_2048", 0, 0 },
	{ IKEV2_DH_MODP3072, MODP, "modp_3072", 0, 0 },
	{ IKEV2_DH_MODP4096, MODP, "modp_4096", 0, 0 },
	{ IKEV2_DH_ECP256, ECP, "P-256", NID_X9_62_prime256v1, 32 },
	{ IKEV2_DH_ECP384, ECP, "P-384", NID_secp384r1, 48 },
	{ IKEV2_DH_ECP521, ECP, "P-521", NID_secp521r1, 66 },
	{ IKEV2_DH_CURVE25519, XDH, "X25519", 0, 0 },
};

struct ike_dh {
	const struct group *g;
	EVP_PKEY *key;
	size_t secret_len; /* 0 until ike_dh_compute() succeeded */
	uint8_t secret[IKE_DH_MAX];
};

static const struct group *group_of(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool ike_dh_supported(uint16_t group)
{
	return group_of(group) != NULL;
}

uint16_t ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

static const char *key_type(const struct group *g)
{
	return g->kind == MODP ? "DH" : g->kind == ECP ? "EC" : g->name;
}

static int wrap(const struct group *g, EVP_PKEY *key, struct ike_dh **out)
{
	struct ike_dh *dh = calloc(1, sizeof(*dh));

	if (!dh) {
		EVP_PKEY_free(key);
		return -ENOMEM;
	}
	dh->g = g;
	dh->key = key;
	*out = dh;
	return 0;
}

EVP_PKEY *ike_dh_keygen(uint16_t group)
{
	const struct group *g = group_of(group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	OSSL_PARAM p[2];

	if (!g)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, key_type(g), NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
		goto out;
	if (g->kind != XDH) {
		p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							(char *)g->name, 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, p) <= 0)
			goto out;
	}
	if (EVP_PKEY_generate(ctx, &key) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	return key;
}

int ike_dh_new(uint16_t group, struct ike_dh **out)
{
	const struct group *g = group_of(group);
	EVP_PKEY *key;

	if (!g)
		return -EINVAL;
	key = ike_dhpool_take(group);   /* made ahead, if there is a pool */
	if (!key)
		key = ike_dh_keygen(group);
	if (!key) {
		ipx_err("ike_dh_new: key generation for %s failed", g->name);
		return -EIO;
	}
	return wrap(g, key, out);
}

/* An EVP_PKEY of group g from OSSL_PARAMs (selection: which parts). */
static EVP_PKEY *from_params(const struct group *g, int selection,
			     OSSL_PARAM_BLD *b)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (g->kind != XDH &&
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
					     g->name, 0))
		return NULL;
	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, key_type(g), NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return key;
}

int ike_dh_new_private(uint16_t group, const uint8_t *priv, size_t len,
		       struct ike_dh **out)
{
	const struct group *g = group_of(group);
	OSSL_PARAM_BLD *b = NULL;
	BIGNUM *x = NULL, *pub = NULL, *p = NULL, *gen = NULL;
	EVP_PKEY *key = NULL, *params = NULL;
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BN_CTX *bc = NULL;
	uint8_t oct[1 + 2 * 66];
	size_t olen;

	if (!g)
		return -EINVAL;
	if (g->kind == XDH) {
		if (len != 32)
			return -EINVAL;
		key = EVP_PKEY_new_raw_private_key_ex(NULL, g->name, NULL, priv, len);
		goto done;
	}
	if (!(b = OSSL_PARAM_BLD_new()) || !(bc = BN_CTX_new()) ||
	    !(x = BN_bin2bn(priv, (int)len, NULL)))
		goto done;
	if (g->kind == ECP) {
		/* public = priv * G, uncompressed */
		if (!(grp = EC_GROUP_new_by_curve_name(g->nid)) ||
		    !(pt = EC_POINT_new(grp)) ||
		    !EC_POINT_mul(grp, pt, x, NULL, NULL, bc))
			goto done;
		olen = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED,
					  oct, sizeof(oct), bc);
		if (!olen || !OSSL_PARAM_BLD_push_octet_string(
				     b, OSSL_PKEY_PARAM_PUB_KEY, oct, olen))
			goto done;
	} else {
		/* public = g^x mod p of the named group */
		OSSL_PARAM_BLD *pb = OSSL_PARAM_BLD_new();

		if (pb)
			params = from_params(g, EVP_PKEY_KEY_PARAMETERS, pb);
		OSSL_PARAM_BLD_free(pb);
		if (!params ||
		    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ||
		    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &gen) ||
		    !(pub = BN_new()) || !BN_mod_exp(pub, gen, x, p, bc) ||
		    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, pub))
			goto done;
	}
	if (OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, x))
		key = from_params(g, EVP_PKEY_KEYPAIR, b);
done:
	BN_clear_free(x);
	BN_free(pub);
	BN_free(p);
	BN_free(gen);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	BN_CTX_free(bc);
	EVP_PKEY_free(params);
	OSSL_PARAM_BLD_free(b);
	OPENSSL_cleanse(oct, sizeof(oct));
	if (!key)
		return -EINVAL;
	return wrap(g, key, out);
}

static size_t pub_len(const struct group *g)
{
	return ikev2_dh_pub_len(g->id);
}

int ike_dh_public(const struct ike_dh *dh, uint8_t *out, size_t cap,
		  size_t *len)
{
	const struct group *g = dh->g;
	size_t n = pub_len(g);
	BIGNUM *a = NULL, *b = NULL;
	int rc = -EIO;

	if (cap < n)
		return -ENOBUFS;
	switch (g->kind) {
	case MODP: /* 3.4: g^x padded to the length of the prime */
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &a) &&
		    BN_bn2binpad(a, out, (int)n) == (int)n)
			rc = 0;
		break;
	case ECP: /* RFC 5903 7: x || y, each padded to the field size */
		if (EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_X, &a) &&
		    EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y, &b) &&
		    BN_bn2binpad(a, out, g->coord) == g->coord &&
		    BN_bn2binpad(b, out + g->coord, g->coord) == g->coord)
			rc = 0;
		break;
	case XDH: /* RFC 8031 2: the 32-octet public value */
		if (EVP_PKEY_get_raw_public_key(dh->key, out, &n) == 1 &&
		    n == pub_len(g))
			rc = 0;
		break;
	}
	BN_free(a);
	BN_free(b);
	if (rc)
		ipx_err("ike_dh_public: cannot export %s public value", g->name);
	else
		*len = n;
	return rc;
}

/* The peer's KE data as an EVP_PKEY, or NULL with *why set. */
static EVP_PKEY *peer_key(const struct ike_dh *dh, const uint8_t *v, size_t len,
			  const char **why)
{
	const struct group *g = dh->g;
	OSSL_PARAM_BLD *b = NULL;
	BIGNUM *y = NULL, *p = NULL;
	EVP_PKEY *peer = NULL;
	uint8_t oct[1 + 2 * 66];

	if (g->kind == XDH) {
		peer = EVP_PKEY_new_raw_public_key_ex(NULL, g->name, NULL, v, len);
		if (!peer)
			*why = "X25519 public value not accepted";
		return peer;
	}
	if (!(b = OSSL_PARAM_BLD_new()))
		goto out;
	if (g->kind == MODP) {
		/* Range 2..p-2: 0 and 1 and p-1 give a known secret, >= p is
		 * not an element of the group. */
		if (!(y = BN_bin2bn(v, (int)len, NULL)) ||
		    !EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_P, &p) ||
		    !BN_sub_word(p, 1))
			goto out;
		if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p) >= 0) {
			*why = "MODP value not within 2..p-2";
			goto out;
		}
		if (!OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto out;
	} else {
		/* RFC 5903 7: x || y becomes the SEC1 uncompressed point. */
		oct[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(oct + 1, v, len);
		if (!OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY,
						      oct, len + 1))
			goto out;
	}
	peer = from_params(g, EVP_PKEY_PUBLIC_KEY, b);
	if (!peer && g->kind == ECP)
		*why = "ECP point not on the curve";
out:
	if (!peer && !*why)
		*why = "peer public value not accepted";
	BN_free(y);
	BN_free(p);
	OSSL_PARAM_BLD_free(b);
	return peer;
}

int ike_dh_compute(struct ike_dh *dh, const uint8_t *v, size_t len,
		   const char **why)
{
	const struct group *g = dh->g;
	const char *dummy = NULL;
	EVP_PKEY_CTX *ctx = NULL, *pctx = NULL;
	EVP_PKEY *peer = NULL;
	size_t n = sizeof(dh->secret), want;
	int rc = -EBADMSG;

	if (!why)
		why = &dummy;
	*why = NULL;
	OPENSSL_cleanse(dh->secret, sizeof(dh->secret));
	dh->secret_len = 0;
	if (len != pub_len(g)) {
		*why = "KE data length wrong for the group";
		return -EBADMSG;
	}
	if (!(peer = peer_key(dh, v, len, why)))
		goto out;
	/* Full public-key validation: for MODP that the value lies in the
	 * prime-order subgroup, for ECP that the point is on the curve. */
	if (g->kind != XDH) {
		pctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
		if (!pctx || EVP_PKEY_public_check(pctx) != 1) {
			*why = g->kind == MODP ?
				"MODP value not in the prime-order subgroup" :
				"ECP point not on the curve";
			goto out;
		}
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0) {
		rc = -EIO;
		goto out;
	}
	/* 2.14: g^ir padded with zeros to the length of the modulus. */
	if (g->kind == MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) {
		rc = -EIO;
		goto out;
	}
	if (EVP_PKEY_derive_set_peer(ctx, peer) <= 0) {
		*why = "peer public value failed validation";
		goto out;
	}
	if (EVP_PKEY_derive(ctx, dh->secret, &n) <= 0) {
		/* OpenSSL refuses an all-zero X25519 result (RFC 7748 6.1),
		 * which RFC 8031 2.3 requires us to refuse. */
		*why = g->kind == XDH ? "X25519 result is all zero (low-order point)" :
					"key derivation refused the peer value";
		goto out;
	}
	want = g->kind == MODP ? pub_len(g) : g->kind == ECP ? g->coord : 32;
	if (n != want) {
		*why = "shared secret of unexpected length";
		goto out;
	}
	if (g->kind == XDH) {
		static const uint8_t zero[32];

		if (!CRYPTO_memcmp(dh->secret, zero, 32)) {
			*why = "X25519 result is all zero (low-order point)";
			goto out;
		}
	}
	dh->secret_len = n;
	rc = 0;
out:
	if (rc) {
		OPENSSL_cleanse(dh->secret, sizeof(dh->secret));
		if (rc == -EIO)
			ipx_err("ike_dh_compute: OpenSSL failed for %s", g->name);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(peer);
	return rc;
}

const uint8_t *ike_dh_secret(const struct ike_dh *dh, size_t *len)
{
	if (!dh->secret_len)
		return NULL;
	*len = dh->secret_len;
	return dh->secret;
}

void ike_dh_free(struct ike_dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key); /* OpenSSL clears private BIGNUMs on free */
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}
