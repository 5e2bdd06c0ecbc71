/* Helpers shared by the unit tests. */
#ifndef IPSECFX_TLIB_H
#define IPSECFX_TLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include <ipsecfx/engine.h>

/* A test vector file under tests/vectors (aborts the test if unreadable). */
json_t *tlib_load_json(const char *rel_path);
/* Hex string to bytes (malloc'ed; *len set).  Aborts on bad hex. */
uint8_t *tlib_hex(const char *hex, size_t *len);
/* Same, into a caller buffer of size max; returns the length. */
size_t tlib_hex_into(const char *hex, uint8_t *out, size_t max);
/* JSON object member as a string, aborting if absent. */
const char *tlib_str(json_t *obj, const char *key);

/* Deterministic PRNG (xorshift64*) for reproducible random tests. */
uint64_t tlib_rand(void);
void tlib_srand(uint64_t seed);
void tlib_rand_bytes(uint8_t *p, size_t n);

/* Build an IPv4 (or IPv6 when v6) packet of total length len at p with the
 * given protocol, addresses from the TEST-NET ranges, random payload.
 * len >= 20 (40). */
void tlib_ip_packet(uint8_t *p, size_t len, int v6, uint8_t proto);

/* Capture log lines of at least ERR level (for asserting on messages). */
void tlib_log_capture(int on);
const char *tlib_log_text(void);

#endif
