/* Helpers shared by the configuration loaders: typed values out of the
 * strings libcyaml hands over, each error naming file, line and key. */
#ifndef IPSECFX_CFGUTIL_H
#define IPSECFX_CFGUTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <cyaml/cyaml.h>

#include <ipsecfx/engine.h>

#include "yamlpos.h"

/* YAML booleans as a strict enum, so "maybe" is an error, not false. */
#define CFG_BOOL_STRINGS 6
extern const cyaml_strval_t cfg_bool_strings[CFG_BOOL_STRINGS];
#define CFG_FIELD_BOOL(key, flags, structure, member)                        \
	CYAML_FIELD_ENUM(key, (flags) | CYAML_FLAG_STRICT, structure, member, \
			 cfg_bool_strings, CFG_BOOL_STRINGS)

/* Hex bytes, with or without 0x and ':' separators.  Exactly want bytes
 * (or up to max if want is 0).  0 or -EINVAL (error logged). */
int cfg_hex(const struct yamlpos *yp, const char *path, const char *text,
	    uint8_t *out, size_t want, size_t max, size_t *len);
/* An unsigned integer in decimal or 0x hex, within [min, max]. */
int cfg_u64(const struct yamlpos *yp, const char *path, const char *text,
	    uint64_t min, uint64_t max, uint64_t *out);
/* An IPv4 or IPv6 address. */
int cfg_addr(const struct yamlpos *yp, const char *path, const char *text,
	     struct ipx_addr *out);
/* A cipher keyword of the engine ("aes256gcm16"). */
int cfg_cipher(const struct yamlpos *yp, const char *path, const char *text,
	       const struct ipx_cipher_info **out);
/* Wipe a string that held a secret before the loader frees it. */
void cfg_free_secret(char *s);

/* A text that grows and may hold a secret (a PSK on its way through a
 * parser or an emitter): always NUL-terminated; what it held is wiped when
 * it moves to a larger block and when it is freed. */
struct cfg_secbuf {
	char *s;
	size_t n, cap;
};
/* 0, or -ENOMEM with b as it was. */
int cfg_secbuf_add(struct cfg_secbuf *b, const void *p, size_t n);
void cfg_secbuf_free(struct cfg_secbuf *b);

#endif
