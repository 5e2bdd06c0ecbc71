/*
 * Throughput of the whole kernel in simulation (engine "sim": descriptors,
 * DMA, pipeline, completions through the FPGA driver) against the bare
 * pipeline (engine "pipe", the same RTL fed by the harness directly),
 * measured in the same run: simulated clock cycles per packet, bytes per
 * cycle, and the wall-clock Mbit/s the simulation reaches, on bursts of
 * 64 inner IPv4 packets of LEN bytes (default 1400; 64 is the driver's ring:
 * a burst waits for its last completion), encrypt then decrypt.
 *
 *   kern_bench [--json FILE] [--rd-latency CYCLES] [PACKETS] [LEN]
 *
 * --rd-latency: the host memory's read latency (default 322 cycles, 1 us at
 * 322 MHz: a PCIe round trip), in the kernel model's memory (kernsim).
 *
 * --json writes {"bytes_per_clock", "bare_bytes_per_clock"} (encrypt, the
 * kernel's and the bare pipeline's) to FILE for make -C hw bench JSON=1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>

#include <ipsecfx/engine.h>

#include "../../driver/fpga/fpga.h"
#include "pipe.h"

#define BURST 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t cycles(struct ipx_engine *e, const char *name)
{
	uint64_t c = 0;

	if (strcmp(name, "pipe") == 0)
		ipx_pipe_cycles(e, &c);
	else
		c = ipx_fpga_ticks(e);
	return c;
}

/* encrypt bytes per cycle of the engine's run */
static int run(const char *name, unsigned npk, unsigned len, const char *dev, double *bpc)
{
	struct ipx_engine_config cfg = { .max_sas = 16, .device = dev };
	struct ipx_engine *e;
	struct ipx_sa_params p;
	struct ipx_pkt pk[BURST];
	static uint8_t buf[BURST][2048];
	uint32_t out, in;
	uint64_t c[3];
	double t[3];
	unsigned done = 0;

	if (ipx_engine_open(name, &cfg, &e) < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	p.spi = 0x1234;
	p.cipher = IPX_CIPHER_AES256GCM16;
	p.key_len = 36;
	for (int i = 0; i < 36; i++)
		p.key[i] = (uint8_t)i;
	p.src.family = p.dst.family = AF_INET;
	memcpy(p.src.a, "\xc0\x00\x02\x01", 4);
	memcpy(p.dst.a, "\xc0\x00\x02\x02", 4);
	p.replay_window = 1024;
	p.dir = IPX_DIR_OUT;
	if (ipx_sa_add(e, &p, &out) < 0)
		return -1;
	p.dir = IPX_DIR_IN;
	if (ipx_sa_add(e, &p, &in) < 0)
		return -1;
	c[0] = cycles(e, name);
	t[0] = now_s();
	c[1] = c[2] = 0;
	t[1] = t[2] = 0;
	for (int dir = 0; dir < 2; dir++) {
		uint64_t c0 = cycles(e, name);
		double t0 = now_s();

		for (done = 0; done < npk; done += BURST) {
			for (unsigned i = 0; i < BURST; i++) {
				if (dir == 0) {
					memset(buf[i], 0, sizeof(buf[i]));
					buf[i][256] = 0x45;
					buf[i][258] = (uint8_t)(len >> 8);
					buf[i][259] = (uint8_t)len;
					buf[i][264] = 64;
					buf[i][265] = 17;
					pk[i] = (struct ipx_pkt){ .buf = buf[i], .buf_len = sizeof(buf[i]),
								  .off = 256, .len = len, .sa = out };
				}
			}
			if ((dir ? ipx_decrypt_burst(e, pk, BURST) : ipx_encrypt_burst(e, pk, BURST)) != BURST)
				return -1;
			for (unsigned i = 0; i < BURST; i++)
				if (pk[i].status != IPX_ST_OK) {
					fprintf(stderr, "%s: packet status %u\n", name, pk[i].status);
					return -1;
				}
			if (dir == 1)
				break;   /* decrypt the last encrypted burst only */
		}
		c[1 + dir] = cycles(e, name) - c0;
		t[1 + dir] = now_s() - t0;
	}
	double cpp = (double)c[1] / npk;
	*bpc = len / cpp;
	printf("%-5s encrypt %u x %u B: %.1f cycles/packet, %.2f bytes/cycle (%.2f Gbit/s at 300 MHz), "
	       "simulation %.1f Mbit/s, %.2f M cycles/s\n",
	       name, npk, len, cpp, len / cpp, len / cpp * 8 * 0.3, npk * len * 8 / t[1] / 1e6,
	       c[1] / t[1] / 1e6);
	printf("%-5s decrypt %u x %u B: %.1f cycles/packet\n", name, BURST, len, (double)c[2] / BURST);
	ipx_engine_close(e);
	return 0;
}

int main(int argc, char **argv)
{
	const char *json_file = NULL;
	unsigned long lat = 322;
	double sim_bpc, pipe_bpc;
	char dev[64];

	while (argc >= 2 && strncmp(argv[1], "--", 2) == 0) {
		char *end = NULL;

		if (argc >= 3 && strcmp(argv[1], "--json") == 0) {
			json_file = argv[2];
		} else if (argc >= 3 && strcmp(argv[1], "--rd-latency") == 0) {
			errno = 0;
			lat = strtoul(argv[2], &end, 10);
			if (errno || end == argv[2] || *end || lat > 1000000) {
				fprintf(stderr, "kern_bench: --rd-latency takes cycles, 0..1000000, not '%s'\n",
					argv[2]);
				return 2;
			}
		} else {
			fprintf(stderr, "kern_bench: unknown option or missing value: %s\n", argv[1]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	snprintf(dev, sizeof(dev), "rd_latency=%lu", lat);
	unsigned npk = argc > 1 ? (unsigned)atoi(argv[1]) : 2048;
	unsigned len = argc > 2 ? (unsigned)atoi(argv[2]) : 1400;

	if (len < 40 || len > 1500 || npk < BURST) {
		fprintf(stderr,
			"usage: kern_bench [--json FILE] [--rd-latency CYCLES] [PACKETS >= %d] "
			"[LEN 40..1500]\n",
			BURST);
		return 2;
	}
	npk -= npk % BURST;
	printf("sim: host-memory read latency %lu cycles (%.2f us at 322 MHz)\n", lat, lat / 322.0);
	if (run("sim", npk, len, dev, &sim_bpc) < 0 || run("pipe", npk, len, NULL, &pipe_bpc) < 0) {
		fprintf(stderr, "kern_bench failed\n");
		return 1;
	}
	printf("kernel / bare pipeline: %.2f\n", sim_bpc / pipe_bpc);
	if (json_file) {
		json_t *o = json_pack("{s:f, s:f}", "bytes_per_clock", sim_bpc,
				      "bare_bytes_per_clock", pipe_bpc);

		if (!o || json_dump_file(o, json_file, JSON_COMPACT) < 0) {
			fprintf(stderr, "kern_bench: cannot write %s\n", json_file);
			json_decref(o);
			return 1;
		}
		json_decref(o);
	}
	return 0;
}
