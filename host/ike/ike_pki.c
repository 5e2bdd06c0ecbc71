/*
 * IKE PKI (see ike_pki.h): loading, hashes, names, identities, signature
 * AUTH (RFC 7296 3.8, RFC 4754, RFC 7427, RFC 8420) and chain validation.
 * Thin wrappers over OpenSSL 3; every DER structure is read by a d2i_*
 * function, never by hand.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ipsecfx/log.h>

#include "ike_pki.h"

#define PKI_FILE_MAX (8u << 20) /* larger files are not PKI material */

static void seterr(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!err || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

/* ---- loading ---- */

/* The whole file into *buf (OPENSSL_malloc'ed, *len octets).  0 or
 * -errno with the reason in err. */
static int slurp(const char *path, uint8_t **buf, size_t *len, char *err,
		 size_t errlen)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = NULL, *nb;
	FILE *f;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	seterr(err, errlen, "%s", "");
	if (!path) {
		seterr(err, errlen, "(null): no file name");
		return -EINVAL;
	}
	if (!(f = fopen(path, "rb"))) {
		rc = -errno;
		if (rc == -ENOENT)
			seterr(err, errlen, "%s: no such file", path);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		size_t k;

		if (!b || n == cap) {
			size_t old = b ? cap : 0;

			if (b)
				cap *= 2;
			if (cap > PKI_FILE_MAX + 1)
				cap = PKI_FILE_MAX + 1;
			/* key files: no copy left behind in freed memory */
			if (!(nb = OPENSSL_clear_realloc(b, old, cap))) {
				rc = -ENOMEM;
				seterr(err, errlen, "%s: out of memory", path);
				break;
			}
			b = nb;
		}
		k = fread(b + n, 1, cap - n, f);
		n += k;
		if (n > PKI_FILE_MAX) {
			rc = -EFBIG;
			seterr(err, errlen, "%s: file too large", path);
			break;
		}
		if (k == 0) {
			if (ferror(f)) {
				rc = errno ? -errno : -EIO;
				seterr(err, errlen, "%s: %s", path, strerror(-rc));
			}
			break;
		}
	}
	fclose(f);
	if (rc) {
		OPENSSL_clear_free(b, cap);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

static bool is_pem(const uint8_t *b, size_t n)
{
	return memmem(b, n, "-----BEGIN ", 11) != NULL;
}

X509 *ike_pki_cert_load(const char *path, char *err, size_t errlen)
{
	uint8_t *b;
	size_t n;
	X509 *x = NULL;

	if (slurp(path, &b, &n, err, errlen))
		return NULL;
	if (is_pem(b, n)) {
		BIO *bio = BIO_new_mem_buf(b, (int)n);

		if (bio)
			x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		x = ike_pki_cert_from_der(b, n);
	}
	OPENSSL_free(b);
	ERR_clear_error();
	if (!x)
		seterr(err, errlen, "%s: not a certificate (PEM or DER)", path);
	return x;
}

int ike_pki_certs_load(const char *path, STACK_OF(X509) *out, char *err,
		       size_t errlen)
{
	int had = out ? sk_X509_num(out) : 0, rc;
	uint8_t *b;
	size_t n;
	BIO *bio;
	X509 *x;

	if (!out)
		return -EINVAL;
	if ((rc = slurp(path, &b, &n, err, errlen)))
		return rc;
	if (!is_pem(b, n)) {
		x = ike_pki_cert_from_der(b, n);
		rc = !x ? -EINVAL : sk_X509_push(out, x) ? 1 : -ENOMEM;
		if (rc < 0)
			X509_free(x);
		goto out;
	}
	if (!(bio = BIO_new_mem_buf(b, (int)n))) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		unsigned long e;

		if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
			if (!sk_X509_push(out, x)) {
				X509_free(x);
				rc = -ENOMEM;
				break;
			}
			continue;
		}
		/* The end of the file shows as "no start line"; anything
		 * else is a CERTIFICATE block that does not decode. */
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
		    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
			rc = sk_X509_num(out) - had;
		else
			rc = -EINVAL;
		break;
	}
	BIO_free(bio);
	if (rc == 0)
		rc = -EINVAL;
out:
	OPENSSL_free(b);
	ERR_clear_error();
	if (rc < 0) {
		while (sk_X509_num(out) > had)
			X509_free(sk_X509_pop(out));
		if (rc == -EINVAL)
			seterr(err, errlen, "%s: not a certificate (PEM or DER)", path);
		else
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
	}
	return rc;
}

/* Never prompt for a passphrase. */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* ---- key kinds ---- */

enum kind { K_NONE, K_RSA, K_EC, K_ED25519, K_ED448 };

/* The three curves of RFC 4754, in method order (9, 10, 11). */
static const struct curve {
	int nid;
	const char *name; /* "P-256" */
	uint8_t method;
	uint8_t fsize; /* octets of r and of s */
	uint8_t sighash;
} curves[] = {
	{ NID_X9_62_prime256v1, "P-256", IKEV2_AUTH_ECDSA_SHA256_P256, 32,
	  IKEV2_SIGHASH_SHA2_256 },
	{ NID_secp384r1, "P-384", IKEV2_AUTH_ECDSA_SHA384_P384, 48,
	  IKEV2_SIGHASH_SHA2_384 },
	{ NID_secp521r1, "P-521", IKEV2_AUTH_ECDSA_SHA512_P521, 66,
	  IKEV2_SIGHASH_SHA2_512 },
};
#define N_CURVES (sizeof(curves) / sizeof(curves[0]))

struct keyinfo {
	enum kind kind;
	bool pss_only;		  /* an RSASSA-PSS (restricted) key */
	const struct curve *curve; /* EC on one of curves[], else NULL */
	int bits;
};

static void key_info(EVP_PKEY *k, struct keyinfo *ki)
{
	memset(ki, 0, sizeof(*ki));
	if (!k)
		return;
	ki->bits = EVP_PKEY_get_bits(k);
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA_PSS:
		ki->pss_only = true;
		/* fall through */
	case EVP_PKEY_RSA:
		ki->kind = K_RSA;
		break;
	case EVP_PKEY_EC: {
		char g[64];
		int nid;

		ki->kind = K_EC;
		if (!EVP_PKEY_get_group_name(k, g, sizeof(g), NULL))
			break;
		if ((nid = OBJ_sn2nid(g)) == NID_undef)
			nid = EC_curve_nist2nid(g);
		for (size_t i = 0; i < N_CURVES; i++)
			if (curves[i].nid == nid)
				ki->curve = &curves[i];
		break;
	}
	case EVP_PKEY_ED25519:
		ki->kind = K_ED25519;
		break;
	case EVP_PKEY_ED448:
		ki->kind = K_ED448;
		break;
	}
}

EVP_PKEY *ike_pki_key_load(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	struct keyinfo ki;
	uint8_t *b;
	size_t n;

	if (slurp(path, &b, &n, err, errlen))
		return NULL;
	if (is_pem(b, n)) {
		BIO *bio = BIO_new_mem_buf(b, (int)n);

		if (memmem(b, n, "ENCRYPTED", 9)) {
			seterr(err, errlen, "%s: encrypted keys are not supported", path);
			BIO_free(bio);
			OPENSSL_clear_free(b, n);
			return NULL;
		}
		if (bio)
			k = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
		BIO_free(bio);
	} else if (n && n <= LONG_MAX) {
		const unsigned char *p = b;

		k = d2i_AutoPrivateKey(NULL, &p, (long)n);
		if (k && p != b + n) {
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	OPENSSL_clear_free(b, n);
	ERR_clear_error();
	if (!k) {
		seterr(err, errlen, "%s: not a private key (PEM or DER)", path);
		return NULL;
	}
	key_info(k, &ki);
	if (ki.kind == K_RSA && !ki.pss_only && ki.bits >= 2048)
		return k;
	if ((ki.kind == K_EC && ki.curve) || ki.kind == K_ED25519)
		return k;
	if (ki.kind == K_RSA && !ki.pss_only)
		seterr(err, errlen, "%s: RSA key of %d bits (at least 2048 wanted)",
		       path, ki.bits);
	else if (ki.kind == K_EC)
		seterr(err, errlen, "%s: EC key not on P-256, P-384 or P-521", path);
	else
		seterr(err, errlen, "%s: unsupported key type %s", path,
		       EVP_PKEY_get0_type_name(k) ? EVP_PKEY_get0_type_name(k) : "?");
	EVP_PKEY_free(k);
	return NULL;
}

X509_CRL *ike_pki_crl_load(const char *path, char *err, size_t errlen)
{
	X509_CRL *c = NULL;
	uint8_t *b;
	size_t n;

	if (slurp(path, &b, &n, err, errlen))
		return NULL;
	if (is_pem(b, n)) {
		BIO *bio = BIO_new_mem_buf(b, (int)n);

		if (bio)
			c = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else if (n && n <= LONG_MAX) {
		const unsigned char *p = b;

		c = d2i_X509_CRL(NULL, &p, (long)n);
		if (c && p != b + n) {
			X509_CRL_free(c);
			c = NULL;
		}
	}
	OPENSSL_free(b);
	ERR_clear_error();
	if (!c)
		seterr(err, errlen, "%s: not a CRL (PEM or DER)", path);
	return c;
}

X509 *ike_pki_cert_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || !len || len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	if (!x)
		ERR_clear_error();
	return x;
}

bool ike_pki_key_matches(EVP_PKEY *key, X509 *cert)
{
	EVP_PKEY *pub = cert ? X509_get0_pubkey(cert) : NULL;
	bool eq = key && pub && EVP_PKEY_eq(key, pub) == 1;

	ERR_clear_error();
	return eq;
}

/* ---- hashes (3.6, 3.7) ---- */

static int sha1_of(const uint8_t *p, int len, uint8_t out[20])
{
	size_t n = 0;

	if (len <= 0)
		return -EINVAL;
	if (!EVP_Q_digest(NULL, "SHA1", NULL, p, (size_t)len, out, &n) || n != 20) {
		ipx_err("ike_pki: SHA-1 failed");
		return -EIO;
	}
	return 0;
}

int ike_pki_spki_sha1(X509 *cert, uint8_t out[20])
{
	unsigned char *der = NULL;
	int len, rc;

	if (!cert)
		return -EINVAL;
	/* "the SHA-1 hash of the public key of a trusted CA ... the encoded
	 * SubjectPublicKeyInfo element" */
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	rc = sha1_of(der, len, out);
	OPENSSL_free(der);
	return rc;
}

int ike_pki_cert_sha1(X509 *cert, uint8_t out[20])
{
	unsigned char *der = NULL;
	int len, rc;

	if (!cert)
		return -EINVAL;
	/* 3.6: "the 20-octet SHA-1 hash ... of the DER-encoded certificate" */
	len = i2d_X509(cert, &der);
	rc = sha1_of(der, len, out);
	OPENSSL_free(der);
	return rc;
}

/* ---- text ---- */

const char *ike_pki_key_type(EVP_PKEY *key, char *buf, size_t n)
{
	struct keyinfo ki;

	if (!buf || !n)
		return "?";
	key_info(key, &ki);
	switch (ki.kind) {
	case K_RSA:
		snprintf(buf, n, "%s-%d", ki.pss_only ? "RSASSA-PSS" : "RSA", ki.bits);
		break;
	case K_EC:
		if (ki.curve) {
			snprintf(buf, n, "ECDSA %s", ki.curve->name);
		} else {
			char g[64] = "?";

			EVP_PKEY_get_group_name(key, g, sizeof(g), NULL);
			snprintf(buf, n, "ECDSA %s", g);
		}
		break;
	case K_ED25519:
		snprintf(buf, n, "Ed25519");
		break;
	case K_ED448:
		snprintf(buf, n, "Ed448");
		break;
	default:
		snprintf(buf, n, "%s",
			 key && EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?");
	}
	return buf;
}

/* DN attribute names: the first of a NID is the one written. */
static const struct {
	const char *name;
	int nid;
} dn_attrs[] = {
	{ "C", NID_countryName },
	{ "countryName", NID_countryName },
	{ "ST", NID_stateOrProvinceName },
	{ "stateOrProvinceName", NID_stateOrProvinceName },
	{ "L", NID_localityName },
	{ "localityName", NID_localityName },
	{ "O", NID_organizationName },
	{ "organizationName", NID_organizationName },
	{ "OU", NID_organizationalUnitName },
	{ "organizationalUnitName", NID_organizationalUnitName },
	{ "CN", NID_commonName },
	{ "commonName", NID_commonName },
	{ "DC", NID_domainComponent },
	{ "domainComponent", NID_domainComponent },
	{ "UID", NID_userId },
	{ "userId", NID_userId },
	{ "E", NID_pkcs9_emailAddress },
	{ "Email", NID_pkcs9_emailAddress },
	{ "emailAddress", NID_pkcs9_emailAddress },
	/* strongSwan reads SN as serialNumber (OpenSSL's SN is surname) */
	{ "serialNumber", NID_serialNumber },
	{ "SN", NID_serialNumber },
	{ "surname", NID_surname },
	{ "givenName", NID_givenName },
	{ "G", NID_givenName },
	{ "GN", NID_givenName },
	{ "initials", NID_initials },
	{ "I", NID_initials },
	{ "title", NID_title },
	{ "T", NID_title },
	{ "description", NID_description },
	{ "D", NID_description },
	{ "name", NID_name },
	{ "N", NID_name },
	{ "pseudonym", NID_pseudonym },
	{ "dnQualifier", NID_dnQualifier },
	{ "street", NID_streetAddress },
	{ "postalCode", NID_postalCode },
};
#define N_DN_ATTRS (sizeof(dn_attrs) / sizeof(dn_attrs[0]))

/* Appends to a bounded, always NUL-terminated string. */
struct sbuf {
	char *p;
	size_t n, len;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->len + 1 < b->n) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
	}
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

static void attr_name(const ASN1_OBJECT *obj, char *out, size_t n)
{
	int nid = OBJ_obj2nid(obj);

	for (size_t i = 0; nid != NID_undef && i < N_DN_ATTRS; i++)
		if (dn_attrs[i].nid == nid) {
			snprintf(out, n, "%s", dn_attrs[i].name);
			return;
		}
	if (nid != NID_undef && OBJ_nid2sn(nid)) {
		snprintf(out, n, "%s", OBJ_nid2sn(nid));
		return;
	}
	if (OBJ_obj2txt(out, (int)n, obj, 1) <= 0)
		snprintf(out, n, "?");
}

static void put_value(struct sbuf *b, const unsigned char *v, int len)
{
	for (int i = 0; i < len; i++) {
		unsigned char c = v[i];

		if (c < 0x20 || c == 0x7f) {
			sb_putc(b, '?');
			continue;
		}
		if (c == ',' || c == '+' || c == '\\' ||
		    (c == ' ' && (i == 0 || i == len - 1)))
			sb_putc(b, '\\');
		sb_putc(b, (char)c);
	}
}

void ike_pki_name_text(const X509_NAME *name, char *out, size_t n)
{
	struct sbuf b = { out, n, 0 };
	int prev_set = -1;

	if (!out || !n)
		return;
	out[0] = 0;
	for (int i = 0; name && i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		unsigned char *u8 = NULL;
		char an[80];
		int set = X509_NAME_ENTRY_set(e), ul;

		if (i)
			sb_puts(&b, set == prev_set ? " + " : ", ");
		prev_set = set;
		attr_name(X509_NAME_ENTRY_get_object(e), an, sizeof(an));
		sb_puts(&b, an);
		sb_putc(&b, '=');
		ul = ASN1_STRING_to_UTF8(&u8, X509_NAME_ENTRY_get_data(e));
		if (ul >= 0)
			put_value(&b, u8, ul);
		else
			sb_putc(&b, '?');
		OPENSSL_free(u8);
	}
	ERR_clear_error();
}

static ASN1_OBJECT *attr_obj(const char *s, size_t len)
{
	char tmp[80];
	size_t i;

	if (!len || len >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s, len);
	tmp[len] = 0;
	for (i = 0; i < N_DN_ATTRS; i++)
		if (!strcasecmp(tmp, dn_attrs[i].name))
			return OBJ_nid2obj(dn_attrs[i].nid);
	/* a dotted OID, numbers only */
	if (strspn(tmp, "0123456789.") == len && tmp[0] != '.')
		return OBJ_txt2obj(tmp, 1);
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

int ike_pki_dn_from_text(const char *s, uint8_t *der, size_t cap,
			 size_t *len, const char **why)
{
	const char *dummy, *p = s;
	X509_NAME *nm = NULL;
	char *val = NULL, sep = ',';
	bool multi = false;
	int rc = -EINVAL, l;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!s || !len || (!der && cap)) {
		*why = "bad argument";
		return -EINVAL;
	}
	while (is_space(*p))
		p++;
	if (*p == '/') {
		sep = '/';
		p++;
	}
	if (!*p) {
		*why = "empty DN";
		return -EINVAL;
	}
	if (!(nm = X509_NAME_new()) || !(val = OPENSSL_malloc(strlen(s) + 1))) {
		rc = -ENOMEM;
		*why = "out of memory";
		goto out;
	}
	for (;;) {
		const char *k = p, *ke;
		ASN1_OBJECT *obj;
		size_t vl = 0, keep = 0;
		bool lead = true, ok;

		/* attribute name up to '=' */
		while (is_space(*k))
			k++;
		for (ke = k; *ke && *ke != '=' && *ke != sep && *ke != '+'; ke++)
			;
		if (*ke != '=') {
			*why = ke == k ? "empty attribute" : "attribute without '='";
			goto out;
		}
		p = ke + 1;
		while (ke > k && is_space(ke[-1]))
			ke--;
		if (ke == k) {
			*why = "empty attribute name";
			goto out;
		}
		if (!(obj = attr_obj(k, (size_t)(ke - k)))) {
			*why = "unknown attribute name";
			goto out;
		}
		/* value up to an unescaped separator or '+'; unescaped
		 * spaces around it dropped */
		for (; *p && *p != sep && *p != '+'; p++) {
			bool esc = *p == '\\';

			if (esc && !*++p) {
				ASN1_OBJECT_free(obj);
				*why = "backslash at the end";
				goto out;
			}
			if (!esc && is_space(*p) && lead)
				continue;
			lead = false;
			val[vl++] = *p;
			if (esc || !is_space(*p))
				keep = vl;
		}
		if (!keep) {
			ASN1_OBJECT_free(obj);
			*why = "empty value";
			goto out;
		}
		ok = X509_NAME_add_entry_by_OBJ(nm, obj, MBSTRING_UTF8,
						(unsigned char *)val, (int)keep, -1,
						multi ? -1 : 0);
		ASN1_OBJECT_free(obj);
		if (!ok) {
			*why = "value not valid for its attribute";
			goto out;
		}
		if (!*p)
			break;
		multi = *p == '+';
		p++;
	}
	l = i2d_X509_NAME(nm, NULL);
	if (l <= 0) {
		*why = "DN does not encode";
		goto out;
	}
	if ((size_t)l > cap) {
		rc = -ENOBUFS;
		*why = "DN too long for the buffer";
		goto out;
	}
	{
		unsigned char *q = der;

		i2d_X509_NAME(nm, &q);
	}
	*len = (size_t)l;
	rc = 0;
out:
	OPENSSL_free(val);
	X509_NAME_free(nm);
	ERR_clear_error();
	return rc;
}

static X509_NAME *name_from_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_NAME *nm;

	if (!der || !len || len > LONG_MAX)
		return NULL;
	nm = d2i_X509_NAME(NULL, &p, (long)len);
	if (nm && p != der + len) {
		X509_NAME_free(nm);
		nm = NULL;
	}
	if (!nm)
		ERR_clear_error();
	return nm;
}

int ike_pki_dn_to_text(const uint8_t *der, size_t len, char *out, size_t n)
{
	X509_NAME *nm = name_from_der(der, len);

	if (out && n)
		out[0] = 0;
	if (!nm)
		return -EINVAL;
	ike_pki_name_text(nm, out, n);
	X509_NAME_free(nm);
	return 0;
}

/* ---- identities (3.5) ---- */

static bool eq_nocase(const unsigned char *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static bool san_matches(X509 *cert, int gen_type, bool nocase,
			const uint8_t *id, size_t id_len)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	for (int i = 0; gens && !found && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;
		int t;

		s = GENERAL_NAME_get0_value(g, &t);
		if (t != gen_type || !s || (size_t)ASN1_STRING_length(s) != id_len)
			continue;
		if (nocase)
			found = eq_nocase(ASN1_STRING_get0_data(s), id, id_len);
		else
			found = !memcmp(ASN1_STRING_get0_data(s), id, id_len);
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	return found;
}

bool ike_pki_id_matches(X509 *cert, uint8_t id_type, const uint8_t *id,
			size_t id_len)
{
	if (!cert || !id || !id_len)
		return false;
	switch (id_type) {
	case IKEV2_ID_FQDN:
		return san_matches(cert, GEN_DNS, true, id, id_len);
	case IKEV2_ID_RFC822_ADDR:
		return san_matches(cert, GEN_EMAIL, true, id, id_len);
	case IKEV2_ID_IPV4_ADDR:
		return id_len == 4 && san_matches(cert, GEN_IPADD, false, id, id_len);
	case IKEV2_ID_IPV6_ADDR:
		return id_len == 16 && san_matches(cert, GEN_IPADD, false, id, id_len);
	case IKEV2_ID_DER_ASN1_DN: {
		X509_NAME *nm = name_from_der(id, id_len);
		bool eq = nm && X509_NAME_entry_count(nm) > 0 &&
			  X509_NAME_cmp(X509_get_subject_name(cert), nm) == 0;

		X509_NAME_free(nm);
		ERR_clear_error();
		return eq;
	}
	case IKEV2_ID_KEY_ID: {
		const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;

		if (ski && (size_t)ASN1_STRING_length(ski) == id_len &&
		    !memcmp(ASN1_STRING_get0_data(ski), id, id_len))
			return true;
		/* RFC 5280 4.2.1.2 method (1): SHA-1 of the BIT STRING
		 * subjectPublicKey */
		if (id_len == 20 && X509_pubkey_digest(cert, EVP_sha1(), md, &mdlen) &&
		    mdlen == 20 && !memcmp(md, id, 20))
			return true;
		ERR_clear_error();
		return false;
	}
	default:
		return false;
	}
}

/* ---- signature algorithms ---- */

static const struct hashdef {
	uint8_t sighash; /* IKEV2_SIGHASH_* (RFC 7427 4) */
	int nid;
	const char *md; /* OpenSSL digest name */
	const char *name;
	uint8_t len;
} hashes[] = {
	{ IKEV2_SIGHASH_SHA1, NID_sha1, "SHA1", "SHA-1", 20 },
	{ IKEV2_SIGHASH_SHA2_256, NID_sha256, "SHA2-256", "SHA-256", 32 },
	{ IKEV2_SIGHASH_SHA2_384, NID_sha384, "SHA2-384", "SHA-384", 48 },
	{ IKEV2_SIGHASH_SHA2_512, NID_sha512, "SHA2-512", "SHA-512", 64 },
};
#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

static const struct hashdef *hash_by_nid(int nid)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].nid == nid)
			return &hashes[i];
	return NULL;
}

static const struct hashdef *hash_by_sighash(uint8_t sh)
{
	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].sighash == sh)
			return &hashes[i];
	return NULL;
}

/*
 * The AlgorithmIdentifiers we send, as published in RFC 7427 Appendix A
 * and RFC 8420 section 2.  A.4.3 lists 67 octets ("Length = 67") but
 * prints the SEQUENCE lengths as 0x46 and 0x39, which would count a
 * trailerField [3] INTEGER 1 the listing does not have (and DER leaves out
 * as the default); sent here is the consistent DER of what it lists,
 * 30 41 ... 30 34 (libreswan sends the same).  ike_pki_verify() takes
 * either.
 */
/* RFC 7427 A.4.3: RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt 32 */
static const uint8_t alg_pss_sha256[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20
};
/* RSASSA-PSS, SHA-384, MGF1 with SHA-384, salt 48: A.4.3 with id-sha384
 * (2.16.840.1.101.3.4.2.2) in both places (RFC 4055 2.1) */
static const uint8_t alg_pss_sha384[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
	0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x30
};
/* RSASSA-PSS, SHA-512, MGF1 with SHA-512, salt 64: A.4.3 with id-sha512 */
static const uint8_t alg_pss_sha512[] = {
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
	0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
	0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x40
};
/* RFC 7427 A.3.2: ecdsa-with-SHA256 */
static const uint8_t alg_ecdsa_sha256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02
};
/* RFC 7427 A.3.3: ecdsa-with-SHA384 */
static const uint8_t alg_ecdsa_sha384[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03
};
/* RFC 7427 A.3.4: ecdsa-with-SHA512 */
static const uint8_t alg_ecdsa_sha512[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04
};
/* RFC 8420 2 (RFC 8410 3): id-Ed25519, parameters absent */
static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

enum pad { PAD_NONE, PAD_PKCS1, PAD_PSS };

/* What the signer picks for method 14. */
struct sigalg {
	const uint8_t *der;
	uint8_t der_len;
	uint8_t sighash; /* hash; IKEV2_SIGHASH_IDENTITY for EdDSA */
	enum pad pad;
};

static const struct sigalg pss_algs[] = { /* strongest first */
	{ alg_pss_sha512, sizeof(alg_pss_sha512), IKEV2_SIGHASH_SHA2_512, PAD_PSS },
	{ alg_pss_sha384, sizeof(alg_pss_sha384), IKEV2_SIGHASH_SHA2_384, PAD_PSS },
	{ alg_pss_sha256, sizeof(alg_pss_sha256), IKEV2_SIGHASH_SHA2_256, PAD_PSS },
};
static const struct sigalg ecdsa_algs[] = { /* strongest first */
	{ alg_ecdsa_sha512, sizeof(alg_ecdsa_sha512), IKEV2_SIGHASH_SHA2_512, PAD_NONE },
	{ alg_ecdsa_sha384, sizeof(alg_ecdsa_sha384), IKEV2_SIGHASH_SHA2_384, PAD_NONE },
	{ alg_ecdsa_sha256, sizeof(alg_ecdsa_sha256), IKEV2_SIGHASH_SHA2_256, PAD_NONE },
};
static const struct sigalg ed25519_alg = { alg_ed25519, sizeof(alg_ed25519),
					   IKEV2_SIGHASH_IDENTITY, PAD_NONE };

#define HAS(mask, h) ((mask) & (1u << (h)))

static const struct sigalg *pick_alg(const struct keyinfo *ki, uint32_t peer)
{
	size_t i;

	switch (ki->kind) {
	case K_RSA:
		for (i = 0; i < 3; i++)
			if (HAS(peer, pss_algs[i].sighash))
				return &pss_algs[i];
		return NULL;
	case K_EC:
		/* the curve's own hash first (RFC 4754 pairs), then the
		 * strongest announced */
		for (i = 0; ki->curve && i < 3; i++)
			if (ecdsa_algs[i].sighash == ki->curve->sighash &&
			    HAS(peer, ki->curve->sighash))
				return &ecdsa_algs[i];
		for (i = 0; i < 3; i++)
			if (HAS(peer, ecdsa_algs[i].sighash))
				return &ecdsa_algs[i];
		return NULL;
	case K_ED25519:
		return HAS(peer, IKEV2_SIGHASH_IDENTITY) ? &ed25519_alg : NULL;
	default:
		return NULL;
	}
}

/* EVP_DigestSign with md (NULL for EdDSA) and padding; *siglen in: room,
 * out: length. */
static int do_sign(EVP_PKEY *key, const char *md, enum pad pad,
		   const uint8_t *in, size_t n, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -EIO;

	if (!ctx || !EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL))
		goto out;
	if (pad == PAD_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (pad == PAD_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) <= 0))
		goto out;
	if (EVP_DigestSign(ctx, sig, siglen, in, n) != 1)
		goto out;
	rc = 0;
out:
	if (rc) {
		ipx_err("ike_pki: signing with %s failed", md ? md : "EdDSA");
		ERR_clear_error();
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* 1 verifies, 0 does not, -EINVAL when the parameters cannot be used. */
static int do_verify(EVP_PKEY *key, const char *md, enum pad pad, int salt,
		     const char *mgf1, const uint8_t *in, size_t n,
		     const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -EINVAL;

	if (!ctx || !EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL))
		goto out;
	if (pad == PAD_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0)
		goto out;
	if (pad == PAD_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf1, NULL) <= 0))
		goto out;
	rc = EVP_DigestVerify(ctx, sig, siglen, in, n) == 1;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* RFC 4754 7: the signature is r | s, each the curve's size. */
static int der_to_rs(const uint8_t *der, size_t len, size_t fsize,
		     uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *sv;
	int rc = -EIO;

	if (s) {
		ECDSA_SIG_get0(s, &r, &sv);
		if (BN_bn2binpad(r, out, (int)fsize) == (int)fsize &&
		    BN_bn2binpad(sv, out + fsize, (int)fsize) == (int)fsize)
			rc = 0;
	}
	ECDSA_SIG_free(s);
	return rc;
}

/* r | s back to a DER Ecdsa-Sig-Value (OPENSSL_malloc'ed). */
static int rs_to_der(const uint8_t *rs, size_t fsize, uint8_t **der)
{
	BIGNUM *r = BN_bin2bn(rs, (int)fsize, NULL);
	BIGNUM *s = BN_bin2bn(rs + fsize, (int)fsize, NULL);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	int len = -1;

	*der = NULL;
	if (r && s && sig && ECDSA_SIG_set0(sig, r, s)) {
		r = s = NULL; /* owned by sig */
		len = i2d_ECDSA_SIG(sig, der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return len;
}

int ike_pki_sign(EVP_PKEY *key, uint32_t peer_hashes, const uint8_t *octets,
		 size_t n, uint8_t *method, uint8_t *out, size_t cap,
		 size_t *out_len, const char **why)
{
	const struct sigalg *alg = NULL;
	const char *dummy;
	struct keyinfo ki;
	size_t max, siglen;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!key || !method || !out || !out_len || (!octets && n)) {
		*why = "bad argument";
		return -EINVAL;
	}
	key_info(key, &ki);
	if (!(ki.kind == K_RSA && !ki.pss_only) && !(ki.kind == K_EC && ki.curve) &&
	    ki.kind != K_ED25519) {
		*why = "key type not supported for signing";
		return -ENOTSUP;
	}
	if (EVP_PKEY_get_size(key) <= 0) {
		*why = "key has no size";
		return -EINVAL;
	}
	max = (size_t)EVP_PKEY_get_size(key);
	if (peer_hashes)
		alg = pick_alg(&ki, peer_hashes);

	if (alg) {
		/* RFC 7427 3: length of the AlgorithmIdentifier (1 octet) |
		 * AlgorithmIdentifier ASN.1 object | signature value */
		const struct hashdef *h = hash_by_sighash(alg->sighash);
		size_t off = 1 + (size_t)alg->der_len;

		if (cap < off + max) {
			*why = "AUTH buffer too small";
			return -ENOBUFS;
		}
		out[0] = alg->der_len;
		memcpy(out + 1, alg->der, alg->der_len);
		siglen = cap - off;
		rc = do_sign(key, h ? h->md : NULL, alg->pad, octets, n, out + off, &siglen);
		if (rc) {
			*why = "signing failed";
			return rc;
		}
		*method = IKEV2_AUTH_DIGITAL_SIG;
		*out_len = off + siglen;
		return 0;
	}

	switch (ki.kind) {
	case K_RSA:
		/* 3.8 method 1: RSASSA-PKCS1-v1_5 with SHA-1 */
		if (cap < max) {
			*why = "AUTH buffer too small";
			return -ENOBUFS;
		}
		siglen = cap;
		if ((rc = do_sign(key, "SHA1", PAD_PKCS1, octets, n, out, &siglen))) {
			*why = "signing failed";
			return rc;
		}
		*method = IKEV2_AUTH_RSA_SIG;
		*out_len = siglen;
		return 0;
	case K_EC: {
		/* RFC 4754 7: the hash is fixed by the curve, the signature
		 * is r | s */
		const struct curve *c = ki.curve;
		const struct hashdef *h = hash_by_sighash(c->sighash);
		uint8_t der[160];

		if (cap < 2u * c->fsize) {
			*why = "AUTH buffer too small";
			return -ENOBUFS;
		}
		siglen = sizeof(der);
		if ((rc = do_sign(key, h->md, PAD_NONE, octets, n, der, &siglen)) ||
		    (rc = der_to_rs(der, siglen, c->fsize, out))) {
			*why = "signing failed";
			return rc;
		}
		*method = c->method;
		*out_len = 2u * c->fsize;
		return 0;
	}
	default:
		*why = "Ed25519 needs RFC 8420: the peer did not announce the Identity hash";
		return -ENOTSUP;
	}
}

/* ---- verification ---- */

/* An RFC 7427 AUTH payload's data, parsed. */
struct alg14 {
	int nid;		      /* signature algorithm */
	const struct hashdef *hash;   /* NULL for EdDSA */
	const struct hashdef *mgf1;   /* RSASSA-PSS */
	long salt;		      /* RSASSA-PSS */
	const uint8_t *sig;
	size_t sig_len;
};

/* A hash or MGF algorithm's parameters: absent or NULL (RFC 4055 2.1:
 * both must be accepted). */
static bool params_absent(const X509_ALGOR *a)
{
	int ptype;

	X509_ALGOR_get0(NULL, &ptype, NULL, a);
	return ptype == V_ASN1_UNDEF || ptype == V_ASN1_NULL;
}

/* The PSS hash of an AlgorithmIdentifier (NULL: the SHA-1 default); *h
 * NULL for a hash we do not know. */
static int pss_hash(const X509_ALGOR *a, const struct hashdef **h,
		    const char **why)
{
	const ASN1_OBJECT *obj;

	if (!a) {
		*h = hash_by_nid(NID_sha1); /* RFC 8017 A.2.3 default */
		return 0;
	}
	X509_ALGOR_get0(&obj, NULL, NULL, a);
	*h = hash_by_nid(OBJ_obj2nid(obj));
	if (!params_absent(a)) {
		*why = "RFC 7427 RSASSA-PSS: unexpected hash parameters";
		return -EINVAL;
	}
	return 0;
}

static int parse_pss(const ASN1_TYPE *param, struct alg14 *a, const char **why)
{
	const unsigned char *p;
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mh = NULL;
	int rc = -EINVAL, len;

	a->salt = 20; /* RFC 8017 A.2.3 defaults */
	if (!param || param->type == V_ASN1_UNDEF) {
		/* RFC 7427 A.4.1: empty parameters, all defaults: SHA-1 */
		a->hash = a->mgf1 = hash_by_nid(NID_sha1);
		return 0;
	}
	if (param->type != V_ASN1_SEQUENCE || !param->value.sequence) {
		*why = "RFC 7427 RSASSA-PSS: parameters are not a SEQUENCE";
		return -EINVAL;
	}
	p = ASN1_STRING_get0_data(param->value.sequence);
	len = ASN1_STRING_length(param->value.sequence);
	pss = d2i_RSA_PSS_PARAMS(NULL, &p, len);
	if (!pss || p != ASN1_STRING_get0_data(param->value.sequence) + len) {
		*why = "RFC 7427 RSASSA-PSS: parameters do not parse";
		goto out;
	}
	if ((rc = pss_hash(pss->hashAlgorithm, &a->hash, why)))
		goto out;
	if (!pss->maskGenAlgorithm) {
		a->mgf1 = hash_by_nid(NID_sha1);
	} else {
		const ASN1_OBJECT *obj;
		const void *pv;
		int pt;

		rc = -EINVAL;
		X509_ALGOR_get0(&obj, &pt, &pv, pss->maskGenAlgorithm);
		if (OBJ_obj2nid(obj) != NID_mgf1 || pt != V_ASN1_SEQUENCE || !pv) {
			*why = "RFC 7427 RSASSA-PSS: mask generation is not MGF1";
			goto out;
		}
		/* MGF1's parameter: the hash's AlgorithmIdentifier */
		p = ASN1_STRING_get0_data(pv);
		len = ASN1_STRING_length(pv);
		mh = d2i_X509_ALGOR(NULL, &p, len);
		if (!mh || p != ASN1_STRING_get0_data(pv) + len) {
			*why = "RFC 7427 RSASSA-PSS: MGF1 hash does not parse";
			goto out;
		}
		if ((rc = pss_hash(mh, &a->mgf1, why)))
			goto out;
	}
	rc = -EINVAL;
	if (pss->saltLength) {
		a->salt = ASN1_INTEGER_get(pss->saltLength);
		if (a->salt < 0 || a->salt > 1024) {
			*why = "RFC 7427 RSASSA-PSS: bad salt length";
			goto out;
		}
	}
	if (pss->trailerField && ASN1_INTEGER_get(pss->trailerField) != 1) {
		*why = "RFC 7427 RSASSA-PSS: trailer field is not 1";
		goto out;
	}
	rc = 0;
out:
	X509_ALGOR_free(mh);
	RSA_PSS_PARAMS_free(pss);
	return rc;
}

/* Length octet | AlgorithmIdentifier | signature (RFC 7427 3).  The
 * algorithm is identified, not judged: SHA-1 passes here. */
static int parse14(const uint8_t *data, size_t len, struct alg14 *a,
		   const char **why)
{
	const unsigned char *p;
	const ASN1_OBJECT *obj;
	const void *pval;
	X509_ALGOR *alg;
	size_t l;
	int ptype, rc = 0;

	memset(a, 0, sizeof(*a));
	if (!data || len < 1) {
		*why = "RFC 7427: AUTH data empty";
		return -EINVAL;
	}
	l = data[0];
	if (!l) {
		*why = "RFC 7427: AlgorithmIdentifier length 0";
		return -EINVAL;
	}
	if (l > len - 1) {
		*why = "RFC 7427: AlgorithmIdentifier runs past the AUTH data";
		return -EINVAL;
	}
	p = data + 1;
	alg = d2i_X509_ALGOR(NULL, &p, (long)l);
	if (!alg || p != data + 1 + l) {
		X509_ALGOR_free(alg);
		ERR_clear_error();
		*why = "RFC 7427: AlgorithmIdentifier does not parse";
		return -EINVAL;
	}
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	a->nid = OBJ_obj2nid(obj);
	a->sig = data + 1 + l;
	a->sig_len = len - 1 - l;
	switch (a->nid) {
	case NID_sha1WithRSAEncryption:
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
	case NID_ecdsa_with_SHA1:
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512: {
		int hnid = NID_undef;

		OBJ_find_sigid_algs(a->nid, &hnid, NULL);
		a->hash = hash_by_nid(hnid);
		/* RFC 5754 3.2: ECDSA parameters absent, RSA NULL; accept
		 * either */
		if (!params_absent(alg)) {
			*why = "RFC 7427 AlgorithmIdentifier: unexpected parameters";
			rc = -EINVAL;
		}
		break;
	}
	case NID_ED25519:
	case NID_ED448:
		/* RFC 8410 3: parameters MUST be absent */
		if (ptype != V_ASN1_UNDEF) {
			*why = "RFC 7427 AlgorithmIdentifier: EdDSA with parameters";
			rc = -EINVAL;
		}
		break;
	case NID_rsassaPss:
		rc = parse_pss(ptype == V_ASN1_UNDEF ? NULL : alg->parameter, a, why);
		break;
	case NID_dsaWithSHA1:
		a->hash = hash_by_nid(NID_sha1);
		break;
	default:
		break;
	}
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return rc;
}


static const char *const ecdsa_bad[N_CURVES] = {
	"ECDSA P-256 signature does not verify",
	"ECDSA P-384 signature does not verify",
	"ECDSA P-521 signature does not verify",
};

/* [method 9, 10, 11][key on P-256, P-384, P-521, anything else] */
static const char *const ecdsa_unfit[N_CURVES][N_CURVES + 1] = {
	{ NULL, "method 9 (ECDSA P-256) with a P-384 key",
	  "method 9 (ECDSA P-256) with a P-521 key",
	  "method 9 (ECDSA P-256) with a key not on P-256" },
	{ "method 10 (ECDSA P-384) with a P-256 key", NULL,
	  "method 10 (ECDSA P-384) with a P-521 key",
	  "method 10 (ECDSA P-384) with a key not on P-384" },
	{ "method 11 (ECDSA P-521) with a P-256 key",
	  "method 11 (ECDSA P-521) with a P-384 key", NULL,
	  "method 11 (ECDSA P-521) with a key not on P-521" },
};

/* 1 -> 0, 0 -> -EACCES (bad), <0 -> -EINVAL */
static int verdict(int v, const char *bad, const char **why)
{
	if (v == 1)
		return 0;
	if (v == 0) {
		*why = bad;
		return -EACCES;
	}
	*why = "signature parameters not usable with this key";
	return -EINVAL;
}

/* Methods 9, 10, 11 (RFC 4754). */
static int verify_rs(EVP_PKEY *pub, const struct keyinfo *ki, size_t mi,
		     const uint8_t *data, size_t len, const uint8_t *octets,
		     size_t n, const char **why)
{
	const struct curve *c = &curves[mi];
	const struct hashdef *h = hash_by_sighash(c->sighash);
	uint8_t *der = NULL;
	int dl, v;

	if (ki->kind != K_EC || ki->curve != c) {
		*why = ecdsa_unfit[mi][ki->kind == K_EC && ki->curve ?
					       (size_t)(ki->curve - curves) : N_CURVES];
		return -EINVAL;
	}
	/* RFC 4754 7: r | s, each ceiling(curve bits / 8) octets */
	if (!data || len != 2u * c->fsize) {
		*why = "RFC 4754: signature is not r | s of the curve's size";
		return -EINVAL;
	}
	if ((dl = rs_to_der(data, c->fsize, &der)) <= 0) {
		ERR_clear_error();
		*why = "out of memory";
		return -ENOMEM;
	}
	v = do_verify(pub, h->md, PAD_NONE, 0, NULL, octets, n, der, (size_t)dl);
	OPENSSL_free(der);
	return verdict(v, ecdsa_bad[mi], why);
}

/* Method 14 (RFC 7427). */
static int verify14(EVP_PKEY *pub, const struct keyinfo *ki,
		    const uint8_t *data, size_t len, const uint8_t *octets,
		    size_t n, const char **why)
{
	const char *md = NULL, *mgf1 = NULL, *bad;
	enum pad pad = PAD_NONE;
	struct alg14 a;
	int rc, v;

	if ((rc = parse14(data, len, &a, why)))
		return rc;
	switch (a.nid) {
	case NID_sha1WithRSAEncryption:
	case NID_ecdsa_with_SHA1:
	case NID_dsaWithSHA1:
		*why = "RFC 7427 AlgorithmIdentifier: SHA-1 not accepted";
		return -ENOTSUP;
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		if (ki->kind != K_RSA || ki->pss_only) {
			*why = "RFC 7427: RSA PKCS#1 v1.5 algorithm with a key that is not RSA";
			return -EINVAL;
		}
		md = a.hash->md;
		pad = PAD_PKCS1;
		bad = "RSA PKCS#1 v1.5 signature does not verify";
		break;
	case NID_rsassaPss:
		if (a.hash == hash_by_nid(NID_sha1) || a.mgf1 == hash_by_nid(NID_sha1)) {
			*why = "RFC 7427 AlgorithmIdentifier: SHA-1 not accepted";
			return -ENOTSUP;
		}
		if (!a.hash || !a.mgf1) {
			*why = "RFC 7427 RSASSA-PSS: hash not SHA-256, SHA-384 or SHA-512";
			return -ENOTSUP;
		}
		if (ki->kind != K_RSA) {
			*why = "RFC 7427: RSASSA-PSS algorithm with a key that is not RSA";
			return -EINVAL;
		}
		md = a.hash->md;
		mgf1 = a.mgf1->md;
		pad = PAD_PSS;
		bad = "RSASSA-PSS signature does not verify";
		break;
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		/* RFC 7427 allows any hash with any curve */
		if (ki->kind != K_EC) {
			*why = "RFC 7427: ECDSA algorithm with a key that is not ECDSA";
			return -EINVAL;
		}
		md = a.hash->md;
		bad = ki->curve ? ecdsa_bad[ki->curve - curves] :
				  "ECDSA signature does not verify";
		break;
	case NID_ED25519:
		if (ki->kind != K_ED25519) {
			*why = "RFC 7427: Ed25519 algorithm with a key that is not Ed25519";
			return -EINVAL;
		}
		bad = "Ed25519 signature does not verify";
		break;
	case NID_ED448:
		if (ki->kind != K_ED448) {
			*why = "RFC 7427: Ed448 algorithm with a key that is not Ed448";
			return -EINVAL;
		}
		bad = "Ed448 signature does not verify";
		break;
	default:
		*why = "RFC 7427 AlgorithmIdentifier: algorithm not supported";
		return -ENOTSUP;
	}
	if (!a.sig_len) {
		*why = "RFC 7427: no signature after the AlgorithmIdentifier";
		return -EINVAL;
	}
	v = do_verify(pub, md, pad, (int)a.salt, mgf1, octets, n, a.sig, a.sig_len);
	return verdict(v, bad, why);
}

int ike_pki_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *data,
		   size_t len, const uint8_t *octets, size_t n,
		   const char **why)
{
	const char *dummy;
	struct keyinfo ki;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!pub || (!octets && n) || (!data && len)) {
		*why = "bad argument";
		return -EINVAL;
	}
	key_info(pub, &ki);
	switch (method) {
	case IKEV2_AUTH_RSA_SIG:
		/* 3.8: RSASSA-PKCS1-v1_5 with SHA-1 */
		if (ki.kind != K_RSA || ki.pss_only) {
			*why = "method 1 (RSA) with a key that is not RSA";
			return -EINVAL;
		}
		if (!len) {
			*why = "method 1: no signature";
			return -EINVAL;
		}
		return verdict(do_verify(pub, "SHA1", PAD_PKCS1, 0, NULL, octets, n,
					 data, len),
			       "RSA PKCS#1 v1.5 SHA-1 signature does not verify", why);
	case IKEV2_AUTH_ECDSA_SHA256_P256:
	case IKEV2_AUTH_ECDSA_SHA384_P384:
	case IKEV2_AUTH_ECDSA_SHA512_P521:
		for (size_t i = 0; i < N_CURVES; i++)
			if (curves[i].method == method)
				return verify_rs(pub, &ki, i, data, len, octets, n, why);
		break;
	case IKEV2_AUTH_DIGITAL_SIG:
		return verify14(pub, &ki, data, len, octets, n, why);
	default:
		break;
	}
	*why = "AUTH method is not a signature method we verify";
	return -ENOTSUP;
}

const char *ike_pki_auth_name(uint8_t method, const uint8_t *data, size_t len,
			      char *buf, size_t n)
{
	const char *dummy;
	struct alg14 a;

	if (!buf || !n)
		return "?";
	snprintf(buf, n, "?");
	switch (method) {
	case IKEV2_AUTH_RSA_SIG:
		snprintf(buf, n, "RSA PKCS#1 v1.5 SHA-1 (method 1)");
		break;
	case IKEV2_AUTH_SHARED_KEY_MIC:
		snprintf(buf, n, "shared key MIC (method 2)");
		break;
	case IKEV2_AUTH_DSS_SIG:
		snprintf(buf, n, "DSS SHA-1 (method 3)");
		break;
	case IKEV2_AUTH_ECDSA_SHA256_P256:
	case IKEV2_AUTH_ECDSA_SHA384_P384:
	case IKEV2_AUTH_ECDSA_SHA512_P521:
		for (size_t i = 0; i < N_CURVES; i++)
			if (curves[i].method == method)
				snprintf(buf, n, "ECDSA %s %s (method %u)", curves[i].name,
					 hash_by_sighash(curves[i].sighash)->name, method);
		break;
	case IKEV2_AUTH_NULL:
		snprintf(buf, n, "NULL (method 13)");
		break;
	case IKEV2_AUTH_DIGITAL_SIG:
		if (parse14(data, len, &a, &dummy))
			break;
		switch (a.nid) {
		case NID_sha1WithRSAEncryption:
		case NID_sha256WithRSAEncryption:
		case NID_sha384WithRSAEncryption:
		case NID_sha512WithRSAEncryption:
			snprintf(buf, n, "RSA PKCS#1 v1.5 %s (RFC 7427)", a.hash->name);
			break;
		case NID_rsassaPss:
			if (a.hash && a.hash->len != a.salt)
				snprintf(buf, n, "RSASSA-PSS %s salt %ld (RFC 7427)",
					 a.hash->name, a.salt);
			else
				snprintf(buf, n, "RSASSA-PSS %s (RFC 7427)",
					 a.hash ? a.hash->name : "?");
			break;
		case NID_ecdsa_with_SHA1:
		case NID_ecdsa_with_SHA256:
		case NID_ecdsa_with_SHA384:
		case NID_ecdsa_with_SHA512:
			snprintf(buf, n, "ECDSA %s (RFC 7427)", a.hash->name);
			break;
		case NID_dsaWithSHA1:
			snprintf(buf, n, "DSA SHA-1 (RFC 7427)");
			break;
		case NID_ED25519:
			snprintf(buf, n, "Ed25519 (RFC 7427)");
			break;
		case NID_ED448:
			snprintf(buf, n, "Ed448 (RFC 7427)");
			break;
		default:
			if (a.nid != NID_undef && OBJ_nid2ln(a.nid))
				snprintf(buf, n, "%s (RFC 7427)", OBJ_nid2ln(a.nid));
		}
		break;
	default:
		break;
	}
	return buf;
}

/* ---- chain validation ---- */

struct vctx {
	STACK_OF(X509) *anchors;
	enum ike_pki_revocation rev;
};

static bool is_anchor(STACK_OF(X509) *anchors, X509 *x)
{
	for (int i = 0; x && i < sk_X509_num(anchors); i++)
		if (!X509_cmp(sk_X509_value(anchors, i), x))
			return true;
	return false;
}

static bool has_cdp(X509 *x)
{
	return X509_get_ext_by_NID(x, NID_crl_distribution_points, -1) >= 0;
}

/*
 * Unknown revocation status (no CRL of the issuer, or only one that is
 * expired or not yet valid) is forgiven per mode; every other error
 * stands.  A trust anchor's status is never asked for.
 */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
	struct vctx *vc = X509_STORE_CTX_get_app_data(ctx);
	X509 *cur;

	if (ok)
		return 1;
	switch (X509_STORE_CTX_get_error(ctx)) {
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
		cur = X509_STORE_CTX_get_current_cert(ctx);
		if (!vc || vc->rev == IKE_PKI_REV_RELAXED || is_anchor(vc->anchors, cur) ||
		    (vc->rev == IKE_PKI_REV_IFURI && cur && !has_cdp(cur))) {
			X509_STORE_CTX_set_error(ctx, X509_V_OK);
			return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static void time_text(const ASN1_TIME *t, char *out, size_t n)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm) ||
	    !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, n, "?");
}

static void chain_why(X509_STORE_CTX *ctx, X509 *ee, char *whybuf, size_t whylen)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	const char *es = X509_verify_cert_error_string(err);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
	char subj[256], other[256], t[40];

	if (!cur && ch && depth >= 0 && depth < sk_X509_num(ch))
		cur = sk_X509_value(ch, depth);
	if (!cur)
		cur = ee;
	ike_pki_name_text(X509_get_subject_name(cur), subj, sizeof(subj));
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		time_text(X509_get0_notAfter(cur), t, sizeof(t));
		seterr(whybuf, whylen, "%s (notAfter %s): %s", es, t, subj);
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		time_text(X509_get0_notBefore(cur), t, sizeof(t));
		seterr(whybuf, whylen, "%s (notBefore %s): %s", es, t, subj);
		break;
	case X509_V_ERR_CERT_REVOKED: {
		X509_CRL *crl = X509_STORE_CTX_get0_current_crl(ctx);

		ike_pki_name_text(crl ? X509_CRL_get_issuer(crl) : X509_get_issuer_name(cur),
				  other, sizeof(other));
		seterr(whybuf, whylen, "%s (CRL of %s): %s", es, other, subj);
		break;
	}
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
		ike_pki_name_text(X509_get_issuer_name(cur), other, sizeof(other));
		seterr(whybuf, whylen, "%s: no trust anchor for %s (issuer of %s)", es,
		       other, subj);
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
		seterr(whybuf, whylen, "%s (revocation status unknown): %s", es, subj);
		break;
	default:
		seterr(whybuf, whylen, "%s: %s", es, subj);
	}
}

int ike_pki_verify_chain(STACK_OF(X509) *anchors, STACK_OF(X509_CRL) *crls,
			 X509 *ee, STACK_OF(X509) *untrusted,
			 enum ike_pki_revocation rev, time_t now,
			 STACK_OF(X509) **chain_out, char *whybuf,
			 size_t whylen)
{
	struct vctx vc = { anchors, rev };
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	X509_VERIFY_PARAM *vp;
	unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;
	int rc = -ENOMEM, ncrl = crls ? sk_X509_CRL_num(crls) : 0, ok;
	uint32_t ku;
	char subj[256];

	if (chain_out)
		*chain_out = NULL;
	seterr(whybuf, whylen, "%s", "");
	if (!ee) {
		seterr(whybuf, whylen, "no certificate");
		return -EINVAL;
	}
	if (!anchors || !sk_X509_num(anchors)) {
		seterr(whybuf, whylen, "no trust anchors");
		return -EACCES;
	}
	if (!(store = X509_STORE_new()) || !(ctx = X509_STORE_CTX_new()))
		goto out;
	for (int i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(anchors, i)))
			goto out;
	for (int i = 0; i < ncrl; i++)
		if (!X509_STORE_add_crl(store, sk_X509_CRL_value(crls, i)))
			goto out;
	/* CRL checks for every certificate of the chain when there are CRLs
	 * to check with, or when a missing one matters */
	if (ncrl || rev != IKE_PKI_REV_RELAXED)
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	if (!X509_STORE_CTX_init(ctx, store, ee, untrusted))
		goto out;
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, flags);
	X509_VERIFY_PARAM_set_time(vp, now);
	X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
	X509_STORE_CTX_set_app_data(ctx, &vc);

	ok = X509_verify_cert(ctx);
	if (ok < 0) {
		rc = -EIO;
		seterr(whybuf, whylen, "certificate validation failed: %s",
		       X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (!ok) {
		chain_why(ctx, ee, whybuf, whylen);
		rc = -EACCES;
		goto out;
	}
	/* RFC 5280 4.2.1.3: a key that signs AUTH needs digitalSignature
	 * (nonRepudiation accepted as well) when keyUsage is present */
	ku = X509_get_key_usage(ee);
	if (!(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		ike_pki_name_text(X509_get_subject_name(ee), subj, sizeof(subj));
		seterr(whybuf, whylen, "key usage lacks digitalSignature: %s", subj);
		rc = -EACCES;
		goto out;
	}
	if (chain_out && !(*chain_out = X509_STORE_CTX_get1_chain(ctx)))
		goto out;
	rc = 0;
out:
	if (rc == -ENOMEM)
		seterr(whybuf, whylen, "out of memory");
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

int ike_pki_crl_uris(X509 *cert, char **uris, int max)
{
	STACK_OF(DIST_POINT) *dps;
	int n = 0;

	if (!cert || !uris || max <= 0)
		return 0;
	dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; dps && i < sk_DIST_POINT_num(dps) && n < max; i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		GENERAL_NAMES *full;

		/* only a fullName (type 0) gives a URI to fetch */
		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		full = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(full) && n < max; j++) {
			const ASN1_STRING *s;
			const char *p;
			int t, l;

			s = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(full, j), &t);
			if (t != GEN_URI || !s)
				continue;
			p = (const char *)ASN1_STRING_get0_data(s);
			l = ASN1_STRING_length(s);
			if (l <= 7 || strncasecmp(p, "http://", 7) ||
			    memchr(p, 0, (size_t)l))
				continue;
			if (!(uris[n] = OPENSSL_strndup(p, (size_t)l))) {
				while (n > 0)
					OPENSSL_free(uris[--n]);
				sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
				return -ENOMEM;
			}
			n++;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	ERR_clear_error();
	return n;
}
