#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cfgutil.h"

const cyaml_strval_t cfg_bool_strings[CFG_BOOL_STRINGS] = {
	{ "false", 0 }, { "true", 1 }, { "no", 0 }, { "yes", 1 },
	{ "off", 0 },   { "on", 1 },
};

int cfg_hex(const struct yamlpos *yp, const char *path, const char *text,
	    uint8_t *out, size_t want, size_t max, size_t *len)
{
	unsigned char *buf;
	long n = 0;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	/* OpenSSL's parser takes "0a1b" and "0a:1b" alike */
	buf = OPENSSL_hexstr2buf(text, &n);
	if (!buf || n <= 0) {
		yamlpos_err(yp, path, "not a hex string");
		OPENSSL_free(buf);
		return -EINVAL;
	}
	if ((want && (size_t)n != want) || (size_t)n > max) {
		if (want)
			yamlpos_err(yp, path, "%ld bytes, need %zu", n, want);
		else
			yamlpos_err(yp, path, "%ld bytes, at most %zu", n, max);
		OPENSSL_clear_free(buf, (size_t)n);
		return -EINVAL;
	}
	memcpy(out, buf, (size_t)n);
	OPENSSL_clear_free(buf, (size_t)n);
	if (len)
		*len = (size_t)n;
	return 0;
}

int cfg_u64(const struct yamlpos *yp, const char *path, const char *text,
	    uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!isdigit((unsigned char)text[0])) {
		yamlpos_err(yp, path, "'%s' is not an unsigned number", text);
		return -EINVAL;
	}
	v = strtoull(text, &end, 0);
	if (errno || *end) {
		yamlpos_err(yp, path, "'%s' is not an unsigned number", text);
		return -EINVAL;
	}
	if (v < min || v > max) {
		yamlpos_err(yp, path, "%llu outside %llu..%llu", v,
			    (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int cfg_addr(const struct yamlpos *yp, const char *path, const char *text,
	     struct ipx_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	yamlpos_err(yp, path, "'%s' is not an IPv4 or IPv6 address", text);
	return -EINVAL;
}

int cfg_cipher(const struct yamlpos *yp, const char *path, const char *text,
	       const struct ipx_cipher_info **out)
{
	char names[256] = "";

	*out = ipx_cipher_by_name(text);
	if (*out)
		return 0;
	for (int c = 1; c < IPX_CIPHER__COUNT; c++) {
		const struct ipx_cipher_info *ci = ipx_cipher_info(c);
		size_t n = strlen(names);

		if (ci)
			snprintf(names + n, sizeof(names) - n, "%s%s",
				 n ? " " : "", ci->name);
	}
	yamlpos_err(yp, path, "unknown cipher '%s' (known: %s)", text, names);
	return -EINVAL;
}

void cfg_free_secret(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
}

int cfg_secbuf_add(struct cfg_secbuf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *s = malloc(cap);

		if (!s)
			return -ENOMEM;
		if (b->s) {
			memcpy(s, b->s, b->n);
			OPENSSL_cleanse(b->s, b->cap);
			free(b->s);
		}
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->n, p, n);
	b->n += n;
	b->s[b->n] = 0;
	return 0;
}

void cfg_secbuf_free(struct cfg_secbuf *b)
{
	if (b->s)
		OPENSSL_cleanse(b->s, b->cap);
	free(b->s);
	*b = (struct cfg_secbuf){ 0 };
}
