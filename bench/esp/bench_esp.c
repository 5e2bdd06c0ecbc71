/*
 * bench_esp: the software ESP engine on one core against its references,
 * measured in the same run (this machine is shared and noisy: only ratios
 * taken side by side mean anything).
 *
 * For each packet size (64, 512, 1420 bytes and IMIX 7x64/4x576/1x1500) and
 * each direction it measures, interleaved in short rounds:
 *   engine   ipx_encrypt_burst / ipx_decrypt_burst: tunnel mode, IPv4,
 *            AES-256-GCM, bursts of 32, replay check and ICV verify on decrypt
 *   raw      intel-ipsec-mb AES-256-GCM on the same sizes (IMB_AES256_GCM_ENC
 *            / _DEC and a constant-time tag compare), 8-byte AAD, bursts of 32
 *   evp      OpenSSL 3 EVP AES-256-GCM per packet (nonce, AAD, text, tag)
 * and prints Gbit/s of inner packet bytes, Mpps, and engine/raw and raw/evp.
 * Only the burst calls are timed.  Before each timed burst every contender
 * gets the same untimed step: the packets are restored into the same
 * buffers (the engine works in place), so all start from the same caches.
 *
 *   bench_esp [--time SECONDS] [--json] [--engine NAME]
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <intel-ipsec-mb.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>

#define BURST 32
#define HEAD 128
#define BUFSZ (HEAD + 2048)
#define ROUNDS 15

enum { ENC, DEC };

static const uint32_t imix[12] = { 64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1500 };

struct bench {
	struct ipx_engine *eng;
	uint32_t out, in;
	struct ipx_sa_params p;
	IMB_MGR *imb;
	struct gcm_key_data *gkey;
	EVP_CIPHER_CTX *evp_enc, *evp_dec;
	uint8_t *buf[BURST];        /* working buffers */
	uint8_t *pristine[BURST];   /* inner packets, or encrypted packets */
	uint32_t plen[BURST];       /* pristine lengths */
	uint32_t isize[BURST];      /* inner packet sizes */
	struct ipx_pkt pkts[BURST];
	uint64_t first_seq;         /* DEC: sequence number of pristine[0] */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void make_inner(uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	RAND_bytes(p, (int)len);
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

/* Prepare one burst: inner packets of the sizes; for DEC, encrypted ones. */
static void setup_sizes(struct bench *b, const uint32_t *sizes, int op)
{
	for (int i = 0; i < BURST; i++) {
		b->isize[i] = sizes[i];
		make_inner(b->pristine[i], sizes[i]);
		b->plen[i] = sizes[i];
	}
	if (op == DEC) {
		struct ipx_sa_state st;

		for (int i = 0; i < BURST; i++) {
			struct ipx_pkt *k = &b->pkts[i];

			memcpy(b->buf[i] + HEAD, b->pristine[i], b->plen[i]);
			*k = (struct ipx_pkt){ .buf = b->buf[i], .buf_len = BUFSZ,
					       .off = HEAD, .len = b->plen[i],
					       .sa = b->out };
		}
		ipx_sa_query(b->eng, b->out, &st);
		b->first_seq = st.seq;
		ipx_encrypt_burst(b->eng, b->pkts, BURST);
		for (int i = 0; i < BURST; i++) {
			memcpy(b->pristine[i], b->buf[i] + b->pkts[i].off, b->pkts[i].len);
			b->plen[i] = b->pkts[i].len;
		}
	}
}

static void restore(struct bench *b, int op)
{
	for (int i = 0; i < BURST; i++) {
		struct ipx_pkt *k = &b->pkts[i];

		/* encrypt needs only a valid inner header; decrypt the packet */
		memcpy(b->buf[i] + HEAD, b->pristine[i], op == ENC ? 20 : b->plen[i]);
		*k = (struct ipx_pkt){ .buf = b->buf[i], .buf_len = BUFSZ,
				       .off = HEAD, .len = b->plen[i],
				       .sa = b->out };
	}
	if (op == DEC) {
		/* accept the same sequence numbers again: rewind the window to
		 * just below the first, as if the burst were new traffic */
		struct ipx_sa_state st;

		ipx_sa_query(b->eng, b->in, &st);
		st.seq = b->first_seq - 1;
		memset(st.replay_bitmap, 0xff, sizeof(st.replay_bitmap));
		ipx_sa_set_state(b->eng, b->in, &st);
	}
}

static double run_engine(struct bench *b, int op, unsigned bursts)
{
	double t = 0;

	for (unsigned r = 0; r < bursts; r++) {
		double t0;

		restore(b, op);
		t0 = now();
		if (op == ENC)
			ipx_encrypt_burst(b->eng, b->pkts, BURST);
		else
			ipx_decrypt_burst(b->eng, b->pkts, BURST);
		t += now() - t0;
		if (b->pkts[0].status != IPX_ST_OK) {
			fprintf(stderr, "bench_esp: engine said %s\n",
				ipx_status_name(b->pkts[0].status));
			exit(1);
		}
	}
	return t;
}

/* Per-packet nonces prepared once, so the reference pays no per-packet
 * nonce construction (and no store-forwarding stall on it). */
static uint8_t nonces[BURST][16] __attribute__((aligned(16)));

static double run_raw(struct bench *b, int op, unsigned bursts)
{
	static const uint8_t aad[8] = { 1, 2, 3, 4, 0, 0, 0, 1 };
	uint8_t tag[16], expect[16] = { 0 };
	struct gcm_context_data ctx;
	double t = 0;
	volatile int sink = 0;

	for (unsigned r = 0; r < bursts; r++) {
		double t0;

		restore(b, op);  /* the same untimed step as the engine's */
		t0 = now();
		for (int i = 0; i < BURST; i++) {
			uint8_t *d = b->buf[i] + HEAD;

			if (op == ENC) {
				IMB_AES256_GCM_ENC(b->imb, b->gkey, &ctx, d, d, b->isize[i],
						   nonces[i], aad, 8, tag, 16);
			} else {
				IMB_AES256_GCM_DEC(b->imb, b->gkey, &ctx, d, d, b->isize[i],
						   nonces[i], aad, 8, tag, 16);
				sink += CRYPTO_memcmp(tag, expect, 16) != 0;
			}
		}
		t += now() - t0;
	}
	(void)sink;
	return t;
}

static double run_evp(struct bench *b, int op, unsigned bursts)
{
	static const uint8_t aad[8] = { 1, 2, 3, 4, 0, 0, 0, 1 };
	uint8_t tag[16] = { 0 };
	EVP_CIPHER_CTX *c = op == ENC ? b->evp_enc : b->evp_dec;
	double t = 0;
	int outl;

	for (unsigned r = 0; r < bursts; r++) {
		double t0;

		restore(b, op);
		t0 = now();
		for (int i = 0; i < BURST; i++) {
			uint8_t *d = b->buf[i] + HEAD;

			EVP_CipherInit_ex(c, NULL, NULL, NULL, nonces[i], op == ENC);
			EVP_CipherUpdate(c, NULL, &outl, aad, 8);
			EVP_CipherUpdate(c, d, &outl, d, (int)b->isize[i]);
			if (op == DEC)
				EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, tag);
			EVP_CipherFinal_ex(c, d + b->isize[i], &outl);
			if (op == ENC)
				EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag);
		}
		t += now() - t0;
	}
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct result {
	const char *size;
	const char *op;
	double eng, raw, evp;     /* Gbit/s */
	double mpps;
};

static void measure(struct bench *b, const char *name, const uint32_t *sizes,
		    int op, double seconds, struct result *res)
{
	double te[ROUNDS], tr[ROUNDS], tv[ROUNDS], bits = 0, t;
	unsigned bursts = 64;

	setup_sizes(b, sizes, op);
	for (int i = 0; i < BURST; i++)
		bits += 8.0 * sizes[i];
	/* calibrate: a round of each kind takes about seconds / ROUNDS / 3 */
	t = run_engine(b, op, bursts);
	while (t < seconds / ROUNDS / 3 && bursts < (1u << 24)) {
		bursts *= 2;
		t = run_engine(b, op, bursts);
	}
	for (int r = 0; r < ROUNDS; r++) {
		te[r] = bits * bursts / run_engine(b, op, bursts) / 1e9;
		tr[r] = bits * bursts / run_raw(b, op, bursts) / 1e9;
		tv[r] = bits * bursts / run_evp(b, op, bursts) / 1e9;
	}
	res->size = name;
	res->op = op == ENC ? "encrypt" : "decrypt";
	res->eng = median(te, ROUNDS);
	res->raw = median(tr, ROUNDS);
	res->evp = median(tv, ROUNDS);
	res->mpps = res->eng * 1e9 / (bits / BURST) / 1e6;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "engine", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *engine = "soft";
	double seconds = 1.5;
	bool as_json = false;
	struct bench b;
	struct result res[8];
	struct ipx_caps caps;
	uint32_t sizes[BURST];
	int nres = 0, c;
	cpu_set_t cpus;
	IMB_ARCH arch;

	while ((c = getopt_long(argc, argv, "t:je:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			seconds = atof(optarg);
			break;
		case 'j':
			as_json = true;
			break;
		case 'e':
			engine = optarg;
			break;
		default:
			printf("usage: bench_esp [--time SECONDS per cell] [--json] [--engine NAME]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	/* one core */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);

	memset(&b, 0, sizeof(b));
	if (ipx_engine_open(engine, NULL, &b.eng) < 0)
		return 1;
	ipx_engine_caps(b.eng, &caps);
	b.p = (struct ipx_sa_params){
		.spi = 0x1234, .mode = IPX_MODE_TUNNEL, .cipher = IPX_CIPHER_AES256GCM16,
		.key_len = 36, .replay_window = 1024, .seq = 1,
	};
	RAND_bytes(b.p.key, 36);
	b.p.src.family = b.p.dst.family = AF_INET;
	memcpy(b.p.src.a, "\xc0\x00\x02\x01", 4);
	memcpy(b.p.dst.a, "\xc0\x00\x02\x02", 4);
	b.p.dir = IPX_DIR_OUT;
	if (ipx_sa_add(b.eng, &b.p, &b.out) < 0)
		return 1;
	b.p.dir = IPX_DIR_IN;
	if (ipx_sa_add(b.eng, &b.p, &b.in) < 0)
		return 1;

	b.imb = alloc_mb_mgr(0);
	init_mb_mgr_auto(b.imb, &arch);
	b.gkey = aligned_alloc(64, (sizeof(*b.gkey) + 63) & ~(size_t)63);
	IMB_AES256_GCM_PRE(b.imb, b.p.key, b.gkey);
	b.evp_enc = EVP_CIPHER_CTX_new();
	b.evp_dec = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex(b.evp_enc, EVP_aes_256_gcm(), NULL, b.p.key, NULL);
	EVP_DecryptInit_ex(b.evp_dec, EVP_aes_256_gcm(), NULL, b.p.key, NULL);
	RAND_bytes(&nonces[0][0], sizeof(nonces));
	for (int i = 0; i < BURST; i++) {
		b.buf[i] = aligned_alloc(64, BUFSZ);
		b.pristine[i] = aligned_alloc(64, BUFSZ);
	}

	for (int op = ENC; op <= DEC; op++) {
		static const uint32_t fixed[3] = { 64, 512, 1420 };
		static const char *const names[3] = { "64", "512", "1420" };

		for (int s = 0; s < 3; s++) {
			for (int i = 0; i < BURST; i++)
				sizes[i] = fixed[s];
			measure(&b, names[s], sizes, op, seconds, &res[nres++]);
		}
		for (int i = 0; i < BURST; i++)
			sizes[i] = imix[i % 12];
		measure(&b, "imix", sizes, op, seconds, &res[nres++]);
	}

	if (as_json) {
		json_t *root = json_pack("{s:s, s:s, s:s, s:i, s:f}",
					 "engine", engine, "impl", caps.impl,
					 "cipher", "aes256gcm16", "burst", BURST,
					 "seconds_per_cell", seconds);
		json_t *arr = json_array();

		for (int i = 0; i < nres; i++)
			json_array_append_new(arr, json_pack(
				"{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f}",
				"size", res[i].size, "op", res[i].op,
				"engine_gbps", res[i].eng, "engine_mpps", res[i].mpps,
				"raw_ipsecmb_gbps", res[i].raw, "openssl_evp_gbps", res[i].evp,
				"engine_over_raw", res[i].eng / res[i].raw,
				"engine_over_evp", res[i].eng / res[i].evp));
		json_object_set_new(root, "results", arr);
		json_dumpf(root, stdout, JSON_INDENT(2));
		printf("\n");
		json_decref(root);
	} else {
		printf("ESP engine '%s' (%s), AES-256-GCM tunnel IPv4, burst %d, one core\n",
		       engine, caps.impl, BURST);
		printf("reference measured in the same run, interleaved, median of %d rounds\n\n", ROUNDS);
		printf("%-6s %-8s %12s %8s %14s %13s %10s %11s\n", "size", "op",
		       "engine Gb/s", "Mpps", "ipsec-mb Gb/s", "engine/raw", "EVP Gb/s",
		       "engine/EVP");
		for (int i = 0; i < nres; i++)
			printf("%-6s %-8s %12.2f %8.2f %14.2f %13.2f %10.2f %11.2f\n",
			       res[i].size, res[i].op, res[i].eng, res[i].mpps,
			       res[i].raw, res[i].eng / res[i].raw, res[i].evp,
			       res[i].eng / res[i].evp);
		printf("\ntargets (docs/engine.md): engine/raw >= 0.85 at 1420 B, >= 0.60 at 64 B; engine/EVP >= 4\n");
	}
	ipx_engine_close(b.eng);
	free_mb_mgr(b.imb);
	free(b.gkey);
	EVP_CIPHER_CTX_free(b.evp_enc);
	EVP_CIPHER_CTX_free(b.evp_dec);
	for (int i = 0; i < BURST; i++) {
		free(b.buf[i]);
		free(b.pristine[i]);
	}
	return 0;
}
