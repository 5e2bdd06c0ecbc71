/*
 * Cycle benchmark of the RTL pipeline (engine "sim", Verilated): sustained
 * inner-packet bytes per clock for 64 to 9000-byte packets and IMIX
 * (7 x 64, 4 x 576, 1 x 1500), encrypt and decrypt, AES-256-GCM, and the
 * latency of a 64-byte packet through an idle pipeline.
 *
 * Sustained rate: a burst of N packets and one of 2N, each from an idle
 * pipeline to the last output beat; N packets cost T(2N) - T(N) cycles in
 * steady state (fill latency and per-burst overhead cancel).  No stalls.
 * Exit status 1 when 1500-byte packets fall below 0.9 x 16 bytes/clock.
 *
 *   rtl_bench [--json FILE]
 *
 * --json writes the figures to FILE as {"data_w", "cases": [{"size" (bytes
 * or "imix"), "dir", "bytes_per_clock", "packets_per_clock"}]}; make -C hw
 * bench JSON=1 adds the kernel's and prints the whole as its last line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>

#include "pipe.h"

#define HEAD 128
#define SLOT (HEAD + 9216 + 256)

static uint64_t rs = 0x243f6a8885a308d3ull;
static uint64_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dull;
}

static void ip_packet(uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
	p[0] = 0x45;
	p[1] = 0;
	ipx_st16(p + 2, (uint16_t)len);
	ipx_st16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = 17;
	p[10] = p[11] = 0;
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(p + 10, (uint16_t)~sum);
}

struct rig {
	struct ipx_engine *sim, *soft;
	uint32_t sim_out, sim_in, soft_out;
	uint8_t *buf;
	struct ipx_pkt *pk;
	unsigned cap;
};

static uint32_t size_of(int imix, uint32_t size, unsigned i)
{
	static const uint32_t mix[12] = { 64, 576, 64, 64, 576, 64, 1500, 64, 576, 64, 64, 576 };

	return imix ? mix[i % 12] : size;
}

/* cycles of one burst of n packets through port (from idle) */
static uint64_t run(struct rig *r, int decrypt, int imix, uint32_t size, unsigned n)
{
	uint64_t c0, c1;

	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *p = &r->pk[i];
		uint32_t len = size_of(imix, size, i);

		memset(p, 0, sizeof(*p));
		p->buf = r->buf + (size_t)i * SLOT;
		p->buf_len = SLOT;
		p->off = HEAD;
		p->len = len;
		ip_packet(p->buf + HEAD, len);
		if (decrypt) {   /* ESP from the software engine, next numbers */
			p->sa = r->soft_out;
			if (ipx_encrypt_burst(r->soft, p, 1) != 1 || p->status != IPX_ST_OK) {
				fprintf(stderr, "soft encrypt failed\n");
				exit(2);
			}
		} else {
			p->sa = r->sim_out;
		}
	}
	ipx_pipe_cycles(r->sim, &c0);
	if ((decrypt ? ipx_decrypt_burst(r->sim, r->pk, n) : ipx_encrypt_burst(r->sim, r->pk, n)) !=
	    (int)n) {
		fprintf(stderr, "burst failed\n");
		exit(2);
	}
	ipx_pipe_cycles(r->sim, &c1);
	for (unsigned i = 0; i < n; i++) {
		if (r->pk[i].status != IPX_ST_OK) {
			fprintf(stderr, "packet %u: %s\n", i, ipx_status_name(r->pk[i].status));
			exit(2);
		}
	}
	return c1 - c0;
}

/* the mean packet size of a run of n: IMIX's or size */
static double mean_size(int imix, uint32_t size)
{
	double sum = 0;

	for (unsigned i = 0; i < 12; i++)
		sum += size_of(imix, size, i);
	return sum / 12;
}

static void json_case(json_t *cases, int imix, uint32_t size, const char *dir, double bpc)
{
	json_array_append_new(cases,
			      json_pack("{s:o, s:s, s:f, s:f}", "size",
					imix ? json_string("imix") : json_integer(size), "dir", dir,
					"bytes_per_clock", bpc, "packets_per_clock",
					bpc / mean_size(imix, size)));
}

static double rate(struct rig *r, int decrypt, int imix, uint32_t size)
{
	unsigned n = imix ? 240 : size < 1500 ? 2400 / (size / 64) + 12 : 48;
	uint64_t bytes = 0;

	if (2 * n > r->cap)
		n = r->cap / 2;
	if (imix)
		n -= n % 12;
	for (unsigned i = 0; i < n; i++)
		bytes += size_of(imix, size, i);
	uint64_t t1 = run(r, decrypt, imix, size, n);
	uint64_t t2 = run(r, decrypt, imix, size, 2 * n);
	return (double)bytes / (double)(t2 - t1);
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 64, 128, 256, 512, 1024, 1500, 2048, 4096, 9000 };
	struct ipx_sa_params p = { 0 };
	struct rig r = { 0 };
	double enc1500 = 0, dec1500 = 0;
	int bad = 0;
	const char *json_file = NULL;
	json_t *cases = json_array();

	if (argc == 3 && strcmp(argv[1], "--json") == 0) {
		json_file = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "usage: rtl_bench [--json FILE]\n");
		return 2;
	}
	r.cap = 4096;
	r.buf = malloc((size_t)r.cap * SLOT);
	r.pk = calloc(r.cap, sizeof(*r.pk));
	if (!r.buf || !r.pk || ipx_engine_open("pipe", NULL, &r.sim) < 0 ||
	    ipx_engine_open("soft", NULL, &r.soft) < 0) {
		fprintf(stderr, "rtl_bench: cannot open the engines\n");
		return 2;
	}
	p.spi = 0x00b0b0b0;
	p.dir = IPX_DIR_OUT;
	p.cipher = IPX_CIPHER_AES256GCM16;
	p.key_len = 36;
	for (int i = 0; i < 36; i++)
		p.key[i] = (uint8_t)(i * 7 + 1);
	p.src.family = p.dst.family = AF_INET;
	memcpy(p.src.a, "\xc0\x00\x02\x01", 4);
	memcpy(p.dst.a, "\xc0\x00\x02\x02", 4);
	p.esn = true;
	if (ipx_sa_add(r.sim, &p, &r.sim_out) < 0 || ipx_sa_add(r.soft, &p, &r.soft_out) < 0)
		return 2;
	p.dir = IPX_DIR_IN;
	p.replay_window = 1024;
	if (ipx_sa_add(r.sim, &p, &r.sim_in) < 0)
		return 2;

	printf("RTL pipeline (Verilated esp_top, 128-bit stream), AES-256-GCM, ESN, tunnel IPv4\n");
	printf("sustained inner-packet bytes per clock (ideal 16), no stalls\n\n");
	printf("%-8s %12s %12s\n", "size", "encrypt", "decrypt");
	for (unsigned k = 0; k <= sizeof(sizes) / sizeof(sizes[0]); k++) {
		int imix = k == sizeof(sizes) / sizeof(sizes[0]);
		uint32_t s = imix ? 0 : sizes[k];
		double e = rate(&r, 0, imix, s), d = rate(&r, 1, imix, s);

		json_case(cases, imix, s, "encrypt", e);
		json_case(cases, imix, s, "decrypt", d);
		if (imix)
			printf("%-8s %12.2f %12.2f\n", "IMIX", e, d);
		else
			printf("%-8u %12.2f %12.2f\n", s, e, d);
		if (s == 1500) {
			enc1500 = e;
			dec1500 = d;
		}
		fflush(stdout);
	}

	/* latency of one 64-byte packet, idle pipeline */
	struct espsim_times te, td;
	run(&r, 0, 0, 64, 1);
	ipx_pipe_times(r.sim, ESPSIM_ENC, &te);
	run(&r, 1, 0, 64, 1);
	ipx_pipe_times(r.sim, ESPSIM_DEC, &td);
	printf("\nlatency, 64-byte packet, idle pipeline (cycles from its first input beat):\n");
	printf("  encrypt: first output beat %llu, last %llu\n",
	       (unsigned long long)(te.first_out - te.first_in),
	       (unsigned long long)(te.last_out - te.first_in));
	printf("  decrypt: first output beat %llu, last %llu\n",
	       (unsigned long long)(td.first_out - td.first_in),
	       (unsigned long long)(td.last_out - td.first_in));

	printf("\ntarget: >= %.1f bytes/clock at 1500 bytes: encrypt %.2f %s, decrypt %.2f %s\n",
	       0.9 * 16, enc1500, enc1500 >= 0.9 * 16 ? "met" : "MISSED", dec1500,
	       dec1500 >= 0.9 * 16 ? "met" : "MISSED");
	bad = enc1500 < 0.9 * 16 || dec1500 < 0.9 * 16;
	if (json_file) {
		json_t *o = json_pack("{s:i, s:o}", "data_w", 128, "cases", cases);

		if (!o || json_dump_file(o, json_file, JSON_COMPACT) < 0) {
			fprintf(stderr, "rtl_bench: cannot write %s\n", json_file);
			bad = 2;
		}
		json_decref(o);
	} else {
		json_decref(cases);
	}
	ipx_engine_close(r.sim);
	ipx_engine_close(r.soft);
	free(r.buf);
	free(r.pk);
	return bad;
}
