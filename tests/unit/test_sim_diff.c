/*
 * Differential test of the RTL pipeline (engine "pipe", opened directly) against the software
 * engine: random packets of 0 to 9300 bytes (IPv4 and IPv6 inner; a few
 * malformed, too big or without room) over random SAs (AES-GCM-128/192/256,
 * ESN or not, NAT-T or not, DF policies, TTLs, sequence numbers near the
 * 2^32 boundary), with random stalls on every stream port of the model.
 * Both engines must give the same status and byte-identical output for
 * every packet; each then decrypts the other's output back to the original
 * packet; the SA counters, sequence numbers and replay windows must agree.
 *
 * IPSECFX_SIM_PACKETS sets the number of packets (default 3000, about 12 s;
 * make -C hw bench runs 20000).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/place.h>

#include "tlib.h"

#define NSA 8
#define BURST 48
#define HEAD 96
#define BUFSZ (HEAD + 9400 + 256)

struct side {
	struct ipx_engine *eng;
	uint32_t out[NSA], in[NSA];
};

struct pkt_case {
	uint8_t orig[9400];
	uint32_t len;
	uint8_t *buf[2];
	struct ipx_pkt p[2];
};

static const uint8_t ciphers[] = { IPX_CIPHER_AES128GCM16, IPX_CIPHER_AES192GCM16,
				   IPX_CIPHER_AES256GCM16 };

static void random_sa(struct ipx_sa_params *o, struct ipx_sa_params *in, unsigned i)
{
	const struct ipx_cipher_info *ci;

	memset(o, 0, sizeof(*o));
	o->spi = 0x1000 + i * 0x111 + (uint32_t)(tlib_rand() & 0xff) * 0x10000;
	o->dir = IPX_DIR_OUT;
	o->mode = IPX_MODE_TUNNEL;
	o->cipher = ciphers[tlib_rand() % 3];
	ci = ipx_cipher_info(o->cipher);
	o->key_len = ci->key_len;
	tlib_rand_bytes(o->key, o->key_len);
	o->esn = tlib_rand() & 1;
	o->src.family = o->dst.family = AF_INET;
	tlib_rand_bytes(o->src.a, 4);
	tlib_rand_bytes(o->dst.a, 4);
	if (tlib_rand() & 1) {
		o->encap_sport = 4500;
		o->encap_dport = (uint16_t)(1024 + tlib_rand() % 60000);
	}
	o->ttl = (uint8_t)(tlib_rand() % 3 == 0 ? 0 : 1 + tlib_rand() % 255);
	o->df = (uint8_t)(tlib_rand() % 3);
	/* start near the 32-bit boundary or the 16-bit ID wrap now and then */
	switch (tlib_rand() % 4) {
	case 0:
		o->seq = 1;
		break;
	case 1:
		o->seq = 0xfff0 + tlib_rand() % 64;
		break;
	case 2:
		o->seq = o->esn ? 0xffffffe0ull + tlib_rand() % 16 : 1 + tlib_rand() % 100000;
		break;
	default:
		o->seq = o->esn ? (tlib_rand() & 0xffffffffffffull) + 1 : 1 + (tlib_rand() & 0x7fffffff);
		break;
	}
	*in = *o;
	in->dir = IPX_DIR_IN;
	in->replay_window = 64u << (tlib_rand() % 5);   /* 64 .. 1024 */
	in->src.family = in->dst.family = 0;
}

static void add_sas(struct side *s, const struct ipx_sa_params *o, const struct ipx_sa_params *in)
{
	for (unsigned i = 0; i < NSA; i++) {
		assert_int_equal(ipx_sa_add(s->eng, &o[i], &s->out[i]), 0);
		assert_int_equal(ipx_sa_add(s->eng, &in[i], &s->in[i]), 0);
	}
}

static uint32_t random_len(void)
{
	switch (tlib_rand() % 16) {
	case 0:
		return (uint32_t)(tlib_rand() % 20);          /* too short */
	case 1:
		return 9217 + (uint32_t)(tlib_rand() % 80);   /* too big */
	case 2:
	case 3:
		return 9000 + (uint32_t)(tlib_rand() % 217);
	case 4:
	case 5:
	case 6:
		return 20 + (uint32_t)(tlib_rand() % 108);
	default:
		return 20 + (uint32_t)(tlib_rand() % 9000);
	}
}

static void fill(struct pkt_case *c, uint32_t sa_handle_unused)
{
	int v6 = (tlib_rand() % 3) == 0;

	(void)sa_handle_unused;
	c->len = random_len();
	if (v6 && c->len < 40)
		v6 = 0;
	if (c->len >= 20)
		tlib_ip_packet(c->orig, c->len, v6, (uint8_t)(tlib_rand() & 0xff));
	else
		tlib_rand_bytes(c->orig, c->len);
	/* now and then an IPv4 header that disagrees with the buffer */
	if (!v6 && c->len >= 20 && tlib_rand() % 40 == 0)
		ipx_st16(c->orig + 2, (uint16_t)(c->len + 1 + tlib_rand() % 50));
}

static void setup_pkt(struct pkt_case *c, int k, uint32_t sa, uint32_t head, uint32_t tail)
{
	memset(c->buf[k], 0, BUFSZ);
	memcpy(c->buf[k] + head, c->orig, c->len);
	memset(&c->p[k], 0, sizeof(c->p[k]));
	c->p[k].buf = c->buf[k];
	c->p[k].buf_len = head + c->len + tail;
	c->p[k].off = head;
	c->p[k].len = c->len;
	c->p[k].sa = sa;
}

static void compare_state(struct side *a, struct side *b, uint32_t ha, uint32_t hb, const char *what)
{
	struct ipx_sa_state sa, sb;

	assert_int_equal(ipx_sa_query(a->eng, ha, &sa), 0);
	assert_int_equal(ipx_sa_query(b->eng, hb, &sb), 0);
	if (sa.seq != sb.seq || sa.ctr.packets != sb.ctr.packets || sa.ctr.bytes != sb.ctr.bytes ||
	    memcmp(sa.ctr.drops, sb.ctr.drops, sizeof(sa.ctr.drops)) != 0 ||
	    memcmp(sa.replay_bitmap, sb.replay_bitmap, sizeof(sa.replay_bitmap)) != 0 ||
	    sa.seq_exhausted != sb.seq_exhausted || sa.soft_expired != sb.soft_expired ||
	    sa.hard_expired != sb.hard_expired || sa.seq_warned != sb.seq_warned) {
		for (int w = 0; w < IPX_REPLAY_WINDOW_MAX / 64; w++)
			if (sa.replay_bitmap[w] != sb.replay_bitmap[w])
				print_message("  bitmap word %d: %016llx vs %016llx\n", w,
					      (unsigned long long)sa.replay_bitmap[w],
					      (unsigned long long)sb.replay_bitmap[w]);
		print_message("  flags exh %d/%d soft %d/%d hard %d/%d warned %d/%d window %u/%u\n",
			      sa.seq_exhausted, sb.seq_exhausted, sa.soft_expired, sb.soft_expired,
			      sa.hard_expired, sb.hard_expired, sa.seq_warned, sb.seq_warned,
			      sa.replay_window, sb.replay_window);
		for (int s = 0; s < IPX_ST__COUNT; s++)
			if (sa.ctr.drops[s] != sb.ctr.drops[s])
				print_message("  drops[%s]: %llu vs %llu\n", ipx_status_name(s),
					      (unsigned long long)sa.ctr.drops[s],
					      (unsigned long long)sb.ctr.drops[s]);
		fail_msg("%s SA state differs: seq %llu/%llu packets %llu/%llu bytes %llu/%llu", what,
			 (unsigned long long)sa.seq, (unsigned long long)sb.seq,
			 (unsigned long long)sa.ctr.packets, (unsigned long long)sb.ctr.packets,
			 (unsigned long long)sa.ctr.bytes, (unsigned long long)sb.ctr.bytes);
	}
}

static void test_diff(void **state)
{
	struct ipx_engine_config sim_cfg = { .device = "in_stall=25,out_stall=25,seed=7" };
	struct side soft = { 0 }, sim = { 0 };
	struct ipx_sa_params o[NSA], in[NSA];
	struct pkt_case *c = calloc(BURST, sizeof(*c));
	const char *env = getenv("IPSECFX_SIM_PACKETS");
	unsigned total = env ? (unsigned)atoi(env) : 3000, done = 0, ok = 0;
	uint64_t ed_soft[IPX_ST__COUNT], ed_sim[IPX_ST__COUNT];

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < BURST; i++) {
		c[i].buf[0] = malloc(BUFSZ);
		c[i].buf[1] = malloc(BUFSZ);
		assert_non_null(c[i].buf[0]);
		assert_non_null(c[i].buf[1]);
	}
	tlib_srand(0x51d1ff);
	for (unsigned i = 0; i < NSA; i++)
		random_sa(&o[i], &in[i], i);
	assert_int_equal(ipx_engine_open("soft", NULL, &soft.eng), 0);
	assert_int_equal(ipx_engine_open_direct("pipe", &sim_cfg, &sim.eng), 0);
	add_sas(&soft, o, in);
	add_sas(&sim, o, in);

	while (done < total) {
		unsigned n = total - done < BURST ? total - done : BURST;
		struct ipx_pkt ps[2][BURST];

		for (unsigned i = 0; i < n; i++) {
			unsigned s = (unsigned)(tlib_rand() % NSA);
			uint32_t head = tlib_rand() % 50 == 0 ? (uint32_t)(tlib_rand() % 44) : HEAD;
			uint32_t tail = tlib_rand() % 50 == 0 ? (uint32_t)(tlib_rand() % 21) : 256;

			fill(&c[i], 0);
			setup_pkt(&c[i], 0, soft.out[s], head, tail);
			setup_pkt(&c[i], 1, sim.out[s], head, tail);
			ps[0][i] = c[i].p[0];
			ps[1][i] = c[i].p[1];
		}
		assert_int_equal(ipx_encrypt_burst(soft.eng, ps[0], n), (int)n);
		assert_int_equal(ipx_encrypt_burst(sim.eng, ps[1], n), (int)n);
		for (unsigned i = 0; i < n; i++) {
			struct ipx_pkt *a = &ps[0][i], *b = &ps[1][i];

			if (a->status != b->status)
				fail_msg("packet %u (%u bytes): soft %s, sim %s", done + i, c[i].len,
					 ipx_status_name(a->status), ipx_status_name(b->status));
			if (a->status != IPX_ST_OK)
				continue;
			if (a->off != b->off || a->len != b->len || a->esp_off != b->esp_off ||
			    memcmp(a->buf + a->off, b->buf + b->off, a->len) != 0) {
				for (uint32_t k = 0; k < a->len && k < b->len; k++)
					if (a->buf[a->off + k] != b->buf[b->off + k]) {
						print_message("first difference at byte %u: %02x vs %02x\n",
							      k, a->buf[a->off + k], b->buf[b->off + k]);
						break;
					}
				fail_msg("packet %u (%u bytes): ciphertext differs (len %u/%u off %u/%u)",
					 done + i, c[i].len, a->len, b->len, a->off, b->off);
			}
		}
		/* cross-decrypt: soft's ESP through sim, sim's through soft */
		struct ipx_pkt d[2][BURST];
		unsigned m = 0;
		unsigned idx[BURST];

		for (unsigned i = 0; i < n; i++) {
			if (ps[0][i].status != IPX_ST_OK)
				continue;
			d[1][m] = ps[0][i];   /* soft's output to sim */
			d[0][m] = ps[1][i];   /* sim's output to soft */
			d[0][m].sa = d[1][m].sa = IPX_SA_NONE;
			idx[m++] = i;
		}
		assert_int_equal(ipx_decrypt_burst(soft.eng, d[0], m), (int)m);
		assert_int_equal(ipx_decrypt_burst(sim.eng, d[1], m), (int)m);
		for (unsigned k = 0; k < m; k++) {
			const struct pkt_case *pc = &c[idx[k]];

			for (int e = 0; e < 2; e++) {
				if (d[e][k].status != IPX_ST_OK)
					fail_msg("packet %u: %s decrypt says %s", done + idx[k],
						 e ? "sim" : "soft", ipx_status_name(d[e][k].status));
				if (d[e][k].len != pc->len ||
				    memcmp(d[e][k].buf + d[e][k].off, pc->orig, pc->len) != 0)
					fail_msg("packet %u: %s decrypt differs from the original",
						 done + idx[k], e ? "sim" : "soft");
			}
			if (d[0][k].esp_off != d[1][k].esp_off)
				fail_msg("packet %u: esp_off %u vs %u", done + idx[k], d[0][k].esp_off,
					 d[1][k].esp_off);
			ok++;
		}
		done += n;
	}
	for (unsigned i = 0; i < NSA; i++) {
		compare_state(&soft, &sim, soft.out[i], sim.out[i], "outbound");
		compare_state(&soft, &sim, soft.in[i], sim.in[i], "inbound");
	}
	ipx_engine_drops(soft.eng, ed_soft);
	ipx_engine_drops(sim.eng, ed_sim);
	assert_memory_equal(ed_soft, ed_sim, sizeof(ed_soft));
	print_message("%u packets, %u encrypted and cross-decrypted byte-identical\n", total, ok);
	ipx_engine_close(soft.eng);
	ipx_engine_close(sim.eng);
	for (int i = 0; i < BURST; i++) {
		free(c[i].buf[0]);
		free(c[i].buf[1]);
	}
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
