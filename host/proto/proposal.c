/*
 * Proposals (see proposal.h): strongSwan keywords to IKEv2 transforms,
 * SA payload proposals, selection and the check of an answer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proposal.h"

/* strongSwan keywords this implementation supports. */
static const struct kw {
	const char *name;
	uint8_t type;
	uint16_t id;
	uint16_t key_len; /* bits, for the Key Length attribute */
} kws[] = {
	{ "aes128", IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 128 },
	{ "aes192", IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 192 },
	{ "aes256", IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 256 },
	{ "aes128gcm16", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm16", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm16", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm128", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm128", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm128", IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256 },
	{ "chacha20poly1305", IKEV2_XF_ENCR, IKEV2_ENCR_CHACHA20_POLY1305, 0 },
	{ "sha1", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha2_256", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha2_384", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_512_256, 0 },
	{ "sha2_512", IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha1", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_512, 0 },
	{ "modp2048", IKEV2_XF_DH, IKEV2_DH_MODP2048, 0 },
	{ "modp3072", IKEV2_XF_DH, IKEV2_DH_MODP3072, 0 },
	{ "modp4096", IKEV2_XF_DH, IKEV2_DH_MODP4096, 0 },
	{ "ecp256", IKEV2_XF_DH, IKEV2_DH_ECP256, 0 },
	{ "ecp384", IKEV2_XF_DH, IKEV2_DH_ECP384, 0 },
	{ "ecp521", IKEV2_XF_DH, IKEV2_DH_ECP521, 0 },
	{ "x25519", IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0 },
	{ "curve25519", IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0 },
	{ "esn", IKEV2_XF_ESN, IKEV2_ESN_YES, 0 },
	{ "noesn", IKEV2_XF_ESN, IKEV2_ESN_NO, 0 },
};

/* strongSwan keywords we know but do not implement: refused with a
 * message that says so, rather than "unknown". */
static const char *const unsupported[] = {
	"aes128gcm8", "aes192gcm8", "aes256gcm8", "aes128gcm64", "aes192gcm64",
	"aes256gcm64", "aes128gcm12", "aes192gcm12", "aes256gcm12",
	"aes128gcm96", "aes192gcm96", "aes256gcm96", "aes128ccm8",
	"aes128ccm12", "aes128ccm16", "aes256ccm8", "aes256ccm12",
	"aes256ccm16", "aes128ctr", "aes192ctr", "aes256ctr", "aes128gmac",
	"aes256gmac", "3des", "des", "cast128", "blowfish128", "blowfish",
	"camellia128", "camellia192", "camellia256", "null", "md5",
	"md5_128", "sha1_160", "sha256_96", "aesxcbc", "aescmac", "prfmd5",
	"prfaesxcbc", "prfaescmac", "modp768", "modp1024", "modp1536",
	"modp6144", "modp8192", "modp1024s160", "modp2048s224",
	"modp2048s256", "ecp192", "ecp224", "ecp224bp", "ecp256bp",
	"ecp384bp", "ecp512bp", "x448", "curve448", "default",
};

static int perr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct kw *kw_find(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strlen(kws[i].name) == n && !strncmp(kws[i].name, s, n))
			return &kws[i];
	return NULL;
}

static bool kw_unsupported(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strlen(unsupported[i]) == n && !strncmp(unsupported[i], s, n))
			return true;
	return false;
}

static bool is_aead(uint16_t encr)
{
	return encr == IKEV2_ENCR_AES_GCM_16 ||
	       encr == IKEV2_ENCR_CHACHA20_POLY1305;
}

static bool has_xf(const struct ike_transform *xf, unsigned n, uint8_t type,
		   uint16_t id, uint16_t key_len)
{
	for (unsigned i = 0; i < n; i++)
		if (xf[i].type == type && xf[i].id == id && xf[i].key_len == key_len)
			return true;
	return false;
}

static unsigned count_type(const struct ike_transform *xf, unsigned n,
			   uint8_t type)
{
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		k += xf[i].type == type;
	return k;
}

/* The PRF strongSwan pairs with an integrity algorithm. */
static uint16_t prf_of_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_HMAC_SHA1_96:
		return IKEV2_PRF_HMAC_SHA1;
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		return IKEV2_PRF_HMAC_SHA2_256;
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		return IKEV2_PRF_HMAC_SHA2_384;
	case IKEV2_INTEG_HMAC_SHA2_512_256:
		return IKEV2_PRF_HMAC_SHA2_512;
	}
	return 0;
}

int ike_prop_parse(const char *s, uint8_t proto, struct ike_prop_cfg *out,
		   char *err, size_t errlen)
{
	struct ike_transform raw[IKE_PROP_MAX_XF];
	unsigned n = 0, n_aead = 0, n_encr = 0;
	static const uint8_t order[] = { IKEV2_XF_ENCR, IKEV2_XF_PRF, IKEV2_XF_INTEG,
					 IKEV2_XF_DH, IKEV2_XF_ESN };
	const char *p = s;

	memset(out, 0, sizeof(*out));
	out->proto = proto;
	if (proto != IKEV2_PROTO_IKE && proto != IKEV2_PROTO_ESP)
		return perr(err, errlen, "proposals are for IKE or ESP");
	if (!s || !*s)
		return perr(err, errlen, "empty proposal");
	while (*p) {
		size_t len = strcspn(p, "-");
		const struct kw *k = kw_find(p, len);

		if (!len)
			return perr(err, errlen, "empty algorithm in proposal '%s'", s);
		if (!k) {
			if (kw_unsupported(p, len))
				return perr(err, errlen,
					    "algorithm '%.*s' in proposal '%s' is not supported",
					    (int)len, p, s);
			return perr(err, errlen, "unknown algorithm '%.*s' in proposal '%s'",
				    (int)len, p, s);
		}
		if (proto == IKEV2_PROTO_IKE && k->type == IKEV2_XF_ESN)
			return perr(err, errlen, "'%s' in IKE proposal '%s': ESN is for ESP",
				    k->name, s);
		if (proto == IKEV2_PROTO_ESP && k->type == IKEV2_XF_PRF)
			return perr(err, errlen, "'%s' in ESP proposal '%s': a PRF is for IKE",
				    k->name, s);
		if (!has_xf(raw, n, k->type, k->id, k->key_len)) {
			if (n >= IKE_PROP_MAX_XF)
				return perr(err, errlen, "too many algorithms in proposal '%s'", s);
			raw[n++] = (struct ike_transform){ k->type, k->id, k->key_len, false };
			if (k->type == IKEV2_XF_ENCR) {
				n_encr++;
				n_aead += is_aead(k->id);
			}
		}
		p += len;
		if (*p == '-' && !*++p)
			return perr(err, errlen, "empty algorithm in proposal '%s'", s);
	}

	if (!n_encr)
		return perr(err, errlen, "proposal '%s' has no encryption algorithm", s);
	if (n_aead && n_aead != n_encr)
		return perr(err, errlen,
			    "proposal '%s' mixes AEAD and non-AEAD encryption", s);
	if (n_aead && count_type(raw, n, IKEV2_XF_INTEG))
		return perr(err, errlen,
			    "proposal '%s': an AEAD cipher takes no integrity algorithm", s);
	if (!n_aead && !count_type(raw, n, IKEV2_XF_INTEG))
		return perr(err, errlen, "proposal '%s' has no integrity algorithm", s);
	if (proto == IKEV2_PROTO_IKE) {
		if (!count_type(raw, n, IKEV2_XF_DH))
			return perr(err, errlen, "IKE proposal '%s' has no DH group", s);
		if (!count_type(raw, n, IKEV2_XF_PRF)) {
			if (n_aead)
				return perr(err, errlen,
					    "AEAD IKE proposal '%s' needs a PRF (e.g. prfsha256)", s);
			/* strongSwan: PRFs from the integrity algorithms */
			for (unsigned i = 0, m = n; i < m; i++) {
				uint16_t prf;

				if (raw[i].type != IKEV2_XF_INTEG)
					continue;
				prf = prf_of_integ(raw[i].id);
				if (!has_xf(raw, n, IKEV2_XF_PRF, prf, 0)) {
					if (n >= IKE_PROP_MAX_XF)
						return perr(err, errlen,
							    "too many algorithms in proposal '%s'", s);
					raw[n++] = (struct ike_transform){ IKEV2_XF_PRF, prf, 0, false };
				}
			}
		}
	} else if (!count_type(raw, n, IKEV2_XF_ESN)) {
		if (n >= IKE_PROP_MAX_XF)
			return perr(err, errlen, "too many algorithms in proposal '%s'", s);
		raw[n++] = (struct ike_transform){ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false };
	}
	for (size_t t = 0; t < sizeof(order); t++)
		for (unsigned i = 0; i < n; i++)
			if (raw[i].type == order[t])
				out->xf[out->n_xf++] = raw[i];
	return 0;
}

int ike_prop_parse_list(const char *s, uint8_t proto, struct ike_prop_cfg *out,
			unsigned max, unsigned *n, char *err, size_t errlen)
{
	char one[256];
	const char *p = s;

	*n = 0;
	if (!s || !*s)
		return perr(err, errlen, "empty proposal list");
	for (;;) {
		size_t len = strcspn(p, ",");
		int rc;

		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len >= sizeof(one))
			return perr(err, errlen, "proposal '%.40s...' too long", p);
		if (*n >= max)
			return perr(err, errlen, "more than %u proposals", max);
		memcpy(one, p, len);
		one[len] = 0;
		rc = ike_prop_parse(one, proto, &out[*n], err, errlen);
		if (rc)
			return rc;
		(*n)++;
		p += strcspn(p, ",");
		if (!*p)
			return 0;
		p++;
	}
}

int ike_prop_to_sa(const struct ike_prop_cfg *cfg, unsigned n,
		   const uint8_t *spi, uint8_t spi_size,
		   struct ike_proposal *props)
{
	if (!n || n > 255 || spi_size > 8 || (spi_size && !spi))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		struct ike_proposal *pr = &props[i];

		memset(pr, 0, sizeof(*pr));
		pr->num = (uint8_t)(i + 1); /* 3.3.1: 1, 2, 3... */
		pr->proto = cfg[i].proto;
		pr->spi_size = spi_size;
		if (spi_size)
			memcpy(pr->spi, spi, spi_size);
		pr->n_xf = cfg[i].n_xf;
		pr->xf = cfg[i].xf;
	}
	return 0;
}

static bool known_type(uint8_t t)
{
	return t >= IKEV2_XF_ENCR && t <= IKEV2_XF_ESN;
}

static void choice_add(struct ike_prop_choice *c, const struct ike_transform *t)
{
	c->xf[c->n_xf] = *t;
	c->xf[c->n_xf].unknown_attr = false;
	c->n_xf++;
	switch (t->type) {
	case IKEV2_XF_ENCR:
		c->encr = t->id;
		c->encr_bits = t->key_len;
		break;
	case IKEV2_XF_PRF:
		c->prf = t->id;
		break;
	case IKEV2_XF_INTEG:
		c->integ = t->id;
		break;
	case IKEV2_XF_DH:
		c->dh = t->id;
		break;
	case IKEV2_XF_ESN:
		c->esn = t->id == IKEV2_ESN_YES;
		break;
	}
}

/* 3.3.2: INTEG and DH "NONE" (0) offered means the type is optional. */
static bool none_ok(uint8_t type)
{
	return type == IKEV2_XF_INTEG || type == IKEV2_XF_DH;
}

/* Does our proposal accept the offered one?  Fills c on success. */
static bool match(const struct ike_proposal *o, const struct ike_prop_cfg *ours,
		  struct ike_prop_choice *c)
{
	memset(c, 0, sizeof(*c));
	for (uint8_t type = IKEV2_XF_ENCR; type <= IKEV2_XF_ESN; type++) {
		bool offered = count_type(o->xf, o->n_xf, type) != 0;
		bool want = count_type(ours->xf, ours->n_xf, type) != 0;
		const struct ike_transform *pick = NULL;

		if (!offered && !want)
			continue;
		if (!offered)
			return false; /* a type we require is missing */
		for (unsigned i = 0; i < o->n_xf && !pick; i++) {
			const struct ike_transform *t = &o->xf[i];

			/* 3.3.6: a transform with an unknown attribute is
			 * unacceptable; others of its type still count */
			if (t->type != type || t->unknown_attr)
				continue;
			if (want && has_xf(ours->xf, ours->n_xf, type, t->id, t->key_len))
				pick = t;
			else if (!want && none_ok(type) && t->id == 0 && !t->key_len)
				pick = t;
		}
		if (!pick)
			return false;
		choice_add(c, pick);
	}
	c->num = o->num;
	c->proto = o->proto;
	c->spi_size = o->spi_size;
	memcpy(c->spi, o->spi, o->spi_size);
	return true;
}

int ike_prop_select(const struct ike_sa *offered,
		    const struct ike_prop_cfg *ours, unsigned n_ours,
		    struct ike_prop_choice *out)
{
	for (unsigned i = 0; i < offered->n_props; i++) {
		const struct ike_proposal *o = &offered->props[i];
		bool unknown = false;

		/* 3.3.6: a proposal with a transform type we do not
		 * understand is unacceptable */
		for (unsigned j = 0; j < o->n_xf; j++)
			unknown |= !known_type(o->xf[j].type);
		if (unknown)
			continue;
		for (unsigned k = 0; k < n_ours; k++)
			if (ours[k].proto == o->proto && match(o, &ours[k], out))
				return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

void ike_prop_choice_to_sa(const struct ike_prop_choice *c, const uint8_t *spi,
			   uint8_t spi_size, struct ike_proposal *out)
{
	memset(out, 0, sizeof(*out));
	out->num = c->num; /* 3.3.1: the number of the accepted proposal */
	out->proto = c->proto;
	out->spi_size = spi_size <= sizeof(out->spi) ? spi_size : 0;
	if (out->spi_size && spi)
		memcpy(out->spi, spi, out->spi_size);
	out->n_xf = c->n_xf;
	out->xf = c->xf;
}

static int reply_bad(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EBADMSG;
}

int ike_prop_check_reply(const struct ike_sa *offered,
			 const struct ike_sa *reply,
			 struct ike_prop_choice *out, const char **why)
{
	const struct ike_proposal *r, *o = NULL;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (reply->n_props != 1)
		return reply_bad(why, "answer does not hold exactly one proposal");
	r = &reply->props[0];
	for (unsigned i = 0; i < offered->n_props && !o; i++)
		if (offered->props[i].num == r->num)
			o = &offered->props[i];
	if (!o)
		return reply_bad(why, "answer names a proposal number we did not offer");
	if (r->proto != o->proto)
		return reply_bad(why, "answer changes the protocol");
	if (r->spi_size != o->spi_size)
		return reply_bad(why, "answer SPI size differs from the offer");
	for (unsigned i = 0; i < r->n_xf; i++) {
		const struct ike_transform *t = &r->xf[i];

		if (!known_type(t->type) || t->unknown_attr)
			return reply_bad(why, "answer holds an unknown transform");
		if (seen & (1u << t->type))
			return reply_bad(why, "answer holds two transforms of one type");
		seen |= 1u << t->type;
		if (!has_xf(o->xf, o->n_xf, t->type, t->id, t->key_len))
			return reply_bad(why, "answer holds a transform we did not offer");
		choice_add(out, t);
	}
	/* 3.3.6: "exactly one transform of each type included in the
	 * proposal" */
	for (unsigned i = 0; i < o->n_xf; i++)
		if (!(seen & (1u << o->xf[i].type)))
			return reply_bad(why, "answer omits a transform type we offered");
	out->num = r->num;
	out->proto = r->proto;
	out->spi_size = r->spi_size;
	memcpy(out->spi, r->spi, r->spi_size);
	return 0;
}

const char *ike_prop_str(const struct ike_proposal *p, char *buf, size_t len)
{
	size_t o;

	if (!len)
		return buf;
	o = (size_t)snprintf(buf, len, "%s:", ikev2_proto_name(p->proto));
	for (unsigned i = 0; i < p->n_xf && o < len; i++) {
		const struct ike_transform *t = &p->xf[i];

		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "/" : "",
				      ikev2_xf_name(t->type, t->id));
		if (t->key_len && o < len)
			o += (size_t)snprintf(buf + o, len - o, "_%u", t->key_len);
	}
	return buf;
}
