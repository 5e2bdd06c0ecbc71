#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "tlib.h"

json_t *tlib_load_json(const char *rel)
{
	const char *dir = getenv("IPSECFX_SRCDIR");
	char path[1024];
	json_error_t err;
	json_t *j;

	snprintf(path, sizeof(path), "%s/tests/vectors/%s", dir ? dir : ".", rel);
	j = json_load_file(path, 0, &err);
	if (!j) {
		fprintf(stderr, "%s:%d: %s\n", path, err.line, err.text);
		fail_msg("cannot load %s", path);
	}
	return j;
}

uint8_t *tlib_hex(const char *hex, size_t *len)
{
	long n = 0;
	uint8_t *b;

	if (!hex[0]) {
		*len = 0;
		return calloc(1, 1);
	}
	b = OPENSSL_hexstr2buf(hex, &n);
	if (!b)
		fail_msg("bad hex '%s'", hex);
	*len = (size_t)n;
	return b;
}

size_t tlib_hex_into(const char *hex, uint8_t *out, size_t max)
{
	size_t n;
	uint8_t *b = tlib_hex(hex, &n);

	if (n > max)
		fail_msg("hex of %zu bytes exceeds %zu", n, max);
	memcpy(out, b, n);
	OPENSSL_free(b);
	return n;
}

const char *tlib_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("vector lacks string '%s'", key);
	return json_string_value(v);
}

static uint64_t rstate = 0x9e3779b97f4a7c15ull;

void tlib_srand(uint64_t seed)
{
	rstate = seed ? seed : 1;
}

uint64_t tlib_rand(void)
{
	rstate ^= rstate >> 12;
	rstate ^= rstate << 25;
	rstate ^= rstate >> 27;
	return rstate * 0x2545f4914f6cdd1dull;
}

void tlib_rand_bytes(uint8_t *p, size_t n)
{
	while (n) {
		uint64_t r = tlib_rand();
		size_t k = n < 8 ? n : 8;

		memcpy(p, &r, k);
		p += k;
		n -= k;
	}
}

void tlib_ip_packet(uint8_t *p, size_t len, int v6, uint8_t proto)
{
	tlib_rand_bytes(p, len);
	if (v6) {
		ipx_st32(p, 6u << 28 | (uint32_t)(tlib_rand() & 0xfffff));
		ipx_st16(p + 4, (uint16_t)(len - 40));
		p[6] = proto;
		p[7] = 64;
		memcpy(p + 8, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(p + 24, "\x20\x01\x0d\xb8\0\x02\0\0\0\0\0\0\0\0\0\x01", 16);
	} else {
		uint32_t sum = 0;

		p[0] = 0x45;
		p[1] = (uint8_t)(tlib_rand() & 0xfc);
		ipx_st16(p + 2, (uint16_t)len);
		ipx_st16(p + 6, (tlib_rand() & 1) ? 0x4000 : 0);
		p[8] = 64;
		p[9] = proto;
		p[10] = p[11] = 0;
		memcpy(p + 12, "\xc6\x33\x64\x01", 4);  /* 198.51.100.1 */
		memcpy(p + 16, "\xcb\x00\x71\x01", 4);  /* 203.0.113.1 */
		for (int i = 0; i < 20; i += 2)
			sum += ipx_ld16(p + i);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		ipx_st16(p + 10, (uint16_t)~sum);
	}
}

static char logbuf[16384];
static size_t loglen;

static void capture(int level, const char *msg, void *arg)
{
	(void)arg;
	(void)level;
	loglen += (size_t)snprintf(logbuf + loglen, sizeof(logbuf) - loglen,
				   "%s\n", msg);
	if (loglen >= sizeof(logbuf))
		loglen = sizeof(logbuf) - 1;
}

void tlib_log_capture(int on)
{
	loglen = 0;
	logbuf[0] = 0;
	ipx_log_set_handler(on ? capture : NULL, NULL);
}

const char *tlib_log_text(void)
{
	return logbuf;
}
