/*
 * Helpers shared by the per-module Verilator testbenches: TAP output, hex,
 * 128-bit blocks on VlWide ports (byte 0 of a block in bits 127:120),
 * JSON vector files (jansson), a deterministic PRNG.
 */
#ifndef IPSECFX_TB_UTIL_H
#define IPSECFX_TB_UTIL_H

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <jansson.h>
#include <verilated.h>

namespace tb {

using bytes = std::vector<uint8_t>;

struct tap {
	int n = 0, failed = 0;
	void result(bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
	{
		va_list ap;

		va_start(ap, fmt);
		printf("%s %d - ", ok ? "ok" : "not ok", ++n);
		vprintf(fmt, ap);
		printf("\n");
		va_end(ap);
		if (!ok)
			failed++;
		fflush(stdout);
	}
	int done()
	{
		printf("1..%d\n", n);
		return failed ? 1 : 0;
	}
};

inline bytes hex(const char *s)
{
	bytes b;
	size_t n = strlen(s);

	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned v;

		if (sscanf(s + i, "%2x", &v) != 1) {
			fprintf(stderr, "bad hex: %s\n", s);
			exit(2);
		}
		b.push_back((uint8_t)v);
	}
	return b;
}

inline std::string tohex(const uint8_t *p, size_t n)
{
	std::string s;
	char t[3];

	for (size_t i = 0; i < n; i++) {
		snprintf(t, sizeof(t), "%02x", p[i]);
		s += t;
	}
	return s;
}

inline std::string tohex(const bytes &b) { return tohex(b.data(), b.size()); }

template <std::size_t W> inline void set_block(VlWide<W> &w, const uint8_t *b)
{
	for (int i = 0; i < 4; i++)
		w[3 - i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 |
			   (uint32_t)b[4 * i + 2] << 8 | b[4 * i + 3];
}

template <std::size_t W> inline void get_block(const VlWide<W> &w, uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		uint32_t v = w[3 - i];

		b[4 * i] = (uint8_t)(v >> 24);
		b[4 * i + 1] = (uint8_t)(v >> 16);
		b[4 * i + 2] = (uint8_t)(v >> 8);
		b[4 * i + 3] = (uint8_t)v;
	}
}

inline json_t *load_json(const std::string &path)
{
	json_error_t err;
	json_t *j = json_load_file(path.c_str(), 0, &err);

	if (!j) {
		fprintf(stderr, "%s: %s (line %d)\n", path.c_str(), err.text, err.line);
		exit(2);
	}
	return j;
}

inline const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v)) {
		fprintf(stderr, "vector without string '%s'\n", k);
		exit(2);
	}
	return json_string_value(v);
}

/* xorshift64* */
struct rng {
	uint64_t s;
	explicit rng(uint64_t seed) : s(seed ? seed : 1) {}
	uint64_t next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	unsigned below(unsigned n) { return (unsigned)(next() % n); }
};

} // namespace tb

#endif
