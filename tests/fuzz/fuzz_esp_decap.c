/*
 * libFuzzer target for ESP decapsulation in the software engine
 * (driver/soft), differential: every burst goes to two engines with the
 * same inbound SAs, one with intel-ipsec-mb (AES-GCM and AES-GMAC through
 * it) and one with OpenSSL alone (soft_no_ipsecmb).
 *
 * SAs (table below, fixed SPIs and keys): every transform, tunnel and
 * transport mode, ESN on and off, replay windows from off to 4096 bits, one
 * SA with packet lifetimes.  Before each input their state is reset to one
 * of a few presets (the highest number seen; a full or a sparse window),
 * so an input means the same thing every time it runs.
 *
 * Input, first byte bit 7 clear: raw packets.
 *   [0]    preset (bits 0-2)
 *   [1]    packets in the burst - 1 (mod 64: bursts cross SOFT_CHUNK)
 *   then per packet: room (1 byte), length (2 bytes, big-endian), bytes.
 *   Room: headroom (r >> 4) * 17, tailroom (r & 15) * 5 bytes; 0xfe and
 *   0xff describe an impossible buffer (offset or length beyond it).
 * The seeds are valid packets of every SA (see -seeds below): mutations
 * of their headers get past the parsers, but past the ICV only unchanged.
 *
 * Input, first byte bit 7 set: a plaintext that the harness seals itself,
 * so that everything after the ICV check (padding, pad length, next
 * header, inner IP header, transport-mode rewrite) sees arbitrary bytes.
 *   [0]    preset (bits 0-2), outer IPv6 (bit 3), UDP-encapsulated (bit 4),
 *          IPv4 options / IPv6 hop-by-hop header (bit 5), the packet twice
 *          in the burst (bit 6)
 *   [1]    SA index (bits 0-3, mod the table), seal with the OpenSSL
 *          engine's transform (bit 4) instead of intel-ipsec-mb's
 *   [2..9] sequence number (64 bits; the ESP header carries the low half)
 *   [10..] the plaintext: payload, padding, pad length, next header;
 *          cut to a multiple of the cipher's block
 * It is sealed with xform_seal() under an outbound SA with the same keys,
 * as tests/unit/test_esp_malformed.c's craft() does.
 *
 * Checked for every packet of every burst: status < IPX_ST__COUNT; both
 * engines give the same status, SA and ESP offset; an OK packet lies
 * within its buffer and is an IP packet whose header gives exactly its
 * length (IPv4 transport mode: with a valid header checksum), and both
 * engines give the same bytes; the SA reported is the one of the SPI;
 * every packet is counted exactly once (per SA or engine-wide) and both
 * engines count alike.  Any violation aborts.
 *
 *   fuzz_esp_decap -seeds=DIR   writes the seed corpus (make fuzz-seeds)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>

#include "backend.h"
#include "soft/soft.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fsa {
	uint32_t spi;
	uint8_t cipher, mode;
	bool esn;
	uint32_t window;
	uint64_t soft_pkts, hard_pkts;
};

static const struct fsa fsas[] = {
	{ 0x10000001, IPX_CIPHER_AES128GCM16, IPX_MODE_TUNNEL, false, 64, 0, 0 },
	{ 0x10000002, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, true, 4096, 0, 0 },
	{ 0x10000003, IPX_CIPHER_AES256GCM16, IPX_MODE_TRANSPORT, false, 1024, 0, 0 },
	{ 0x10000004, IPX_CIPHER_AES128GMAC, IPX_MODE_TRANSPORT, false, 0, 0, 0 },
	{ 0x10000005, IPX_CIPHER_AES256GMAC, IPX_MODE_TUNNEL, true, 128, 0, 0 },
	{ 0x10000006, IPX_CIPHER_CHACHA20POLY1305, IPX_MODE_TRANSPORT, true, 64, 0, 0 },
	{ 0x10000007, IPX_CIPHER_CHACHA20POLY1305, IPX_MODE_TUNNEL, false, 2048, 0, 0 },
	{ 0x10000008, IPX_CIPHER_AES128_SHA256, IPX_MODE_TUNNEL, false, 1024, 2, 4 },
	{ 0x10000009, IPX_CIPHER_AES256_SHA256, IPX_MODE_TRANSPORT, true, 4096, 0, 0 },
	{ 0x1000000a, IPX_CIPHER_AES192GCM16, IPX_MODE_TUNNEL, true, 64, 0, 0 },
	{ 0x1000000b, IPX_CIPHER_AES128GCM16, IPX_MODE_TRANSPORT, true, 0x100, 0, 0 },
};
#define N_SA (sizeof(fsas) / sizeof(fsas[0]))
#define N_ENG 2
#define MAX_BURST 64
/* The longest plaintext sealed here: the most xform_seal() takes (AES-GMAC
 * with ESN gathers 20 + ptlen bytes into the engine's scratch buffer of
 * MAX_PKT_LEN + MAX_OVERHEAD; esp_encap() never asks for more).  Sealed,
 * that is still beyond what decryption takes: TOO_BIG is reached. */
#define MAX_PT (IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD - 20)

static struct ipx_engine *eng[N_ENG];
static bool verbose;      /* FUZZ_ESP_VERBOSE=1: each packet's status */
static uint32_t in_sa[N_ENG][N_SA], out_sa[N_ENG][N_SA];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_esp_decap: %s\n", what);
	abort();
}

/* ---- SAs ---- */

static void sa_params(struct ipx_sa_params *p, unsigned k, uint8_t dir)
{
	const struct fsa *f = &fsas[k];
	const struct ipx_cipher_info *ci = ipx_cipher_info(f->cipher);

	memset(p, 0, sizeof(*p));
	p->spi = f->spi;
	p->dir = dir;
	p->mode = f->mode;
	p->cipher = f->cipher;
	p->key_len = ci->key_len;
	for (unsigned i = 0; i < ci->key_len; i++)
		p->key[i] = (uint8_t)(0x11 * k + 3 * i + 1);
	p->integ_key_len = ci->integ_len;
	for (unsigned i = 0; i < ci->integ_len; i++)
		p->integ_key[i] = (uint8_t)(0x5a ^ (7 * i + k));
	p->esn = f->esn;
	p->replay_window = f->window;
	p->soft.packets = f->soft_pkts;
	p->hard.packets = f->hard_pkts;
	p->src.family = p->dst.family = AF_INET;
	memcpy(p->src.a, "\xc0\x00\x02\x01", 4);
	memcpy(p->dst.a, "\xc0\x00\x02\x02", 4);
}

/* The highest sequence number seen before an input, per preset. */
static uint64_t preset_top(unsigned k, unsigned preset)
{
	switch (preset & 3) {
	case 0:
		return 0;
	case 1:
		/* ESN: the top subspace, where nothing lies above */
		return fsas[k].esn ? 0xffffffff00001000ull : 0x12345;
	case 2:
		return 0xffffff00u;      /* next numbers wrap the low half */
	default:
		/* ESN: the window spans two subspaces */
		return fsas[k].esn ? 0x100000010ull : 0x80000000u;
	}
}

static struct soft_sa *soft_sa(unsigned e, uint32_t id)
{
	struct soft_engine *se = ipx_engine_priv(eng[e], &ipx_backend_soft);

	if (!se || id >= se->max_sas || !se->sas[id].used)
		die("not an SA of the soft engine");
	return &se->sas[id];
}

/*
 * The inbound state per preset, set once through ipx_sa_set_state() and
 * kept as a copy of the window: restoring it before each input is a
 * memcpy, where the API would walk every bit of every window twice (that
 * alone took most of the time of an input).
 */
struct snap {
	uint64_t top;
	uint64_t *bits;
};
static struct snap snaps[N_ENG][N_SA][8];

static void take_snapshots(void)
{
	struct ipx_sa_state st;

	for (unsigned preset = 0; preset < 8; preset++)
		for (unsigned e = 0; e < N_ENG; e++)
			for (unsigned k = 0; k < N_SA; k++) {
				struct soft_sa *sa = soft_sa(e, in_sa[e][k]);
				struct snap *sn = &snaps[e][k][preset];
				size_t bytes = (sa->rp.mask + 1) * sizeof(uint64_t);

				memset(&st, 0, sizeof(st));
				st.replay_window = fsas[k].window;
				st.seq = preset_top(k, preset);
				/* bit i: top - i was seen; sparse: every third */
				for (unsigned i = 0; i < st.replay_window; i++)
					if (!(preset & 4) || i % 3 == 0)
						st.replay_bitmap[i / 64] |= 1ull << (i % 64);
				if (ipx_sa_set_state(eng[e], in_sa[e][k], &st))
					die("ipx_sa_set_state");
				sn->top = sa->rp.top;
				sn->bits = malloc(bytes);
				if (!sn->bits)
					die("out of memory");
				memcpy(sn->bits, sa->rp.bits, bytes);
			}
}

/* What ipx_sa_set_state() does for an inbound SA, from the copy. */
static void reset_states(unsigned preset)
{
	for (unsigned e = 0; e < N_ENG; e++)
		for (unsigned k = 0; k < N_SA; k++) {
			struct soft_sa *sa = soft_sa(e, in_sa[e][k]);
			const struct snap *sn = &snaps[e][k][preset];

			sa->rp.top = sn->top;
			memcpy(sa->rp.bits, sn->bits,
			       (sa->rp.mask + 1) * sizeof(uint64_t));
			memset(&sa->ctr, 0, sizeof(sa->ctr));
			sa->soft_expired = sa->hard_expired = false;
		}
}

static void open_engines(void)
{
	for (unsigned e = 0; e < N_ENG; e++) {
		struct ipx_engine_config c = { .max_sas = 64, .soft_no_ipsecmb = e == 1 };
		struct ipx_sa_params p;

		if (ipx_engine_open("soft", &c, &eng[e]))
			die("ipx_engine_open");
		for (unsigned k = 0; k < N_SA; k++) {
			sa_params(&p, k, IPX_DIR_IN);
			if (ipx_sa_add(eng[e], &p, &in_sa[e][k]))
				die("inbound ipx_sa_add");
			sa_params(&p, k, IPX_DIR_OUT);
			if (ipx_sa_add(eng[e], &p, &out_sa[e][k]))
				die("outbound ipx_sa_add");
		}
	}
}

/* ---- packets ---- */

struct slot {
	uint8_t *buf[N_ENG];
	uint32_t buf_len, off, len;   /* as given to the engines */
	const uint8_t *orig;          /* the input bytes of the packet */
	uint32_t orig_len;
};

static struct slot slots[MAX_BURST];
static unsigned n_slots;

static void add_packet(const uint8_t *b, uint32_t len, uint8_t room)
{
	struct slot *s = &slots[n_slots++];
	uint32_t head = (room >> 4) * 17u, tail = (room & 15) * 5u;

	s->buf_len = head + len + tail;
	s->off = head;
	s->len = len;
	s->orig = b;
	s->orig_len = len;
	for (unsigned e = 0; e < N_ENG; e++) {
		/* exact size: ASan sees any access outside */
		s->buf[e] = malloc(s->buf_len ? s->buf_len : 1);
		if (!s->buf[e])
			die("out of memory");
		memset(s->buf[e], 0xa5, s->buf_len);
		memcpy(s->buf[e] + head, b, len);
	}
	if (room == 0xff)
		s->len = s->buf_len - s->off + 1;
	else if (room == 0xfe)
		s->off = s->buf_len + 1;
}

static void free_packets(void)
{
	for (unsigned i = 0; i < n_slots; i++)
		for (unsigned e = 0; e < N_ENG; e++)
			free(slots[i].buf[e]);
	n_slots = 0;
}

static uint16_t ip_csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += ipx_ld16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- the checks ---- */

/* Packets counted so far: engine-wide drops and every SA's counters. */
static uint64_t counted(unsigned e)
{
	uint64_t d[IPX_ST__COUNT], sum = 0;

	ipx_engine_drops(eng[e], d);
	for (unsigned s = 0; s < IPX_ST__COUNT; s++)
		sum += d[s];
	for (unsigned k = 0; k < N_SA; k++) {
		const struct soft_sa *sa = soft_sa(e, in_sa[e][k]);

		sum += sa->ctr.packets;
		for (unsigned s = 0; s < IPX_ST__COUNT; s++)
			sum += sa->ctr.drops[s];
	}
	return sum;
}

static void check_ok(const struct ipx_pkt *p, unsigned e)
{
	const uint8_t *ip;
	unsigned k;

	if (p->off > p->buf_len || p->len > p->buf_len - p->off || p->len < 1)
		die("OK packet outside its buffer");
	ip = p->buf + p->off;
	if (ip[0] >> 4 == 4) {
		if (p->len < 20 || ipx_ld16(ip + 2) != p->len ||
		    (ip[0] & 15) * 4u < 20 || (ip[0] & 15) * 4u > p->len)
			die("OK IPv4 packet: header and length disagree");
	} else if (ip[0] >> 4 == 6) {
		if (p->len < 40 || 40u + ipx_ld16(ip + 4) != p->len)
			die("OK IPv6 packet: header and length disagree");
	} else {
		die("OK packet is not IPv4 or IPv6");
	}
	for (k = 0; k < N_SA && in_sa[e][k] != p->sa; k++)
		;
	if (k == N_SA)
		die("OK packet without an inbound SA");
	if (fsas[k].mode == IPX_MODE_TRANSPORT && ip[0] >> 4 == 4 &&
	    ip_csum(ip, (ip[0] & 15) * 4u) != 0)
		die("transport mode: IPv4 checksum not updated");
}

static void run_burst(void)
{
	static struct ipx_pkt pk[N_ENG][MAX_BURST];
	uint64_t before[N_ENG];
	struct ipx_event ev[16];

	for (unsigned e = 0; e < N_ENG; e++) {
		before[e] = counted(e);
		for (unsigned i = 0; i < n_slots; i++) {
			struct ipx_pkt *p = &pk[e][i];

			memset(p, 0, sizeof(*p));
			p->buf = slots[i].buf[e];
			p->buf_len = slots[i].buf_len;
			p->off = slots[i].off;
			p->len = slots[i].len;
			p->sa = 0x5a5a5a5a;
			p->status = 0xffff;
		}
		if (ipx_decrypt_burst(eng[e], pk[e], n_slots) != (int)n_slots)
			die("ipx_decrypt_burst did not process the burst");
		while (ipx_events(eng[e], ev, 16))
			;
		if (counted(e) != before[e] + n_slots)
			die("a packet was not counted exactly once");
	}
	for (unsigned k = 0; k < N_SA; k++) {
		const struct soft_sa *a = soft_sa(0, in_sa[0][k]);
		const struct soft_sa *b = soft_sa(1, in_sa[1][k]);

		if (memcmp(&a->ctr, &b->ctr, sizeof(a->ctr)) ||
		    a->rp.top != b->rp.top || a->hard_expired != b->hard_expired ||
		    memcmp(a->rp.bits, b->rp.bits, (a->rp.mask + 1) * sizeof(uint64_t)))
			die("engines disagree on SA state");
	}
	for (unsigned i = 0; i < n_slots; i++) {
		const struct ipx_pkt *a = &pk[0][i], *b = &pk[1][i];
		const struct slot *s = &slots[i];

		for (unsigned e = 0; e < N_ENG; e++) {
			const struct ipx_pkt *p = &pk[e][i];

			if (p->status >= IPX_ST__COUNT)
				die("status out of range");
			if (p->sa != IPX_SA_NONE) {
				/* the SA is the one of the SPI at esp_off */
				if ((uint32_t)p->esp_off + 4 > s->orig_len ||
				    ipx_sa_lookup(eng[e], ipx_ld32(s->orig + p->esp_off)) != p->sa)
					die("packet SA is not the SA of its SPI");
			}
			if (p->status == IPX_ST_OK)
				check_ok(p, e);
		}
		if (verbose)
			fprintf(stderr, "packet %u/%u: %s\n", i + 1, n_slots,
				ipx_status_name(a->status));
		if (a->status != b->status || a->esp_off != b->esp_off ||
		    (a->sa == IPX_SA_NONE) != (b->sa == IPX_SA_NONE))
			die("engines disagree on a packet");
		if (a->status == IPX_ST_OK &&
		    (a->off != b->off || a->len != b->len ||
		     memcmp(a->buf + a->off, b->buf + b->off, a->len)))
			die("engines disagree on the output bytes");
	}
}

/* ---- plaintext mode: seal here ---- */

/* Outer headers, ESP header and the plaintext; sealed by engine e's
 * outbound SA k.  Returns the packet length. */
static uint32_t seal(uint8_t *pkt, uint8_t flags, unsigned k, unsigned e,
		     uint64_t seq, const uint8_t *pt, uint32_t ptlen)
{
	struct soft_engine *se = ipx_engine_priv(eng[e], &ipx_backend_soft);
	const struct ipx_cipher_info *ci = ipx_cipher_info(fsas[k].cipher);
	bool v6 = flags & 0x08, udp = flags & 0x10, opt = flags & 0x20;
	uint32_t l3 = v6 ? (opt ? 48 : 40) : (opt ? 24 : 20);
	uint32_t esp_len = 8 + ci->iv_len + ptlen + IPX_ICV_LEN;
	uint32_t tot = l3 + (udp ? 8 : 0) + esp_len;
	uint8_t proto = udp ? 17 : 50, *esp = pkt + l3 + (udp ? 8 : 0);

	if (!se)
		die("not the soft engine");
	memset(pkt, 0, l3 + 8);
	if (v6) {
		ipx_st32(pkt, 6u << 28);
		ipx_st16(pkt + 4, (uint16_t)(tot - 40));
		pkt[6] = opt ? 0 : proto;
		pkt[7] = 64;
		memcpy(pkt + 8, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(pkt + 24, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
		if (opt) /* hop-by-hop, PadN */
			memcpy(pkt + 40, (uint8_t[]){ proto, 0, 1, 4, 0, 0, 0, 0 }, 8);
	} else {
		pkt[0] = (uint8_t)(0x40 | l3 / 4);
		ipx_st16(pkt + 2, (uint16_t)tot);
		pkt[8] = 64;
		pkt[9] = proto;
		memcpy(pkt + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
		if (opt) /* NOP NOP NOP EOL */
			memcpy(pkt + 20, "\x01\x01\x01\x00", 4);
		ipx_st16(pkt + 10, ip_csum(pkt, l3));
	}
	if (udp) {
		ipx_st16(esp - 8, 4500);
		ipx_st16(esp - 6, 4500);
		ipx_st16(esp - 4, (uint16_t)(8 + esp_len));
	}
	ipx_st32(esp, fsas[k].spi);
	ipx_st32(esp + 4, (uint32_t)seq);
	memcpy(esp + 8 + ci->iv_len, pt, ptlen);
	if (xform_seal(se, &se->sas[out_sa[e][k]].xf, esp, ptlen, seq,
		       fsas[k].esn, NULL))
		die("xform_seal");
	return tot;
}

static void plaintext_input(const uint8_t *data, size_t size)
{
	static uint8_t pkt[48 + 8 + 8 + 16 + MAX_PT + IPX_ICV_LEN];
	unsigned k = (data[1] & 15) % N_SA, e = (data[1] >> 4) & 1;
	uint32_t block = ipx_cipher_info(fsas[k].cipher)->block, ptlen, len;

	ptlen = (uint32_t)(size - 10 < MAX_PT ? size - 10 : MAX_PT);
	ptlen &= ~(block - 1);
	len = seal(pkt, data[0], k, e, ipx_ld64(data + 2), data + 10, ptlen);
	add_packet(pkt, len, 0x33);
	if (data[0] & 0x40)
		add_packet(pkt, len, 0x00);
}

/* ---- raw mode ---- */

static void raw_input(const uint8_t *data, size_t size)
{
	unsigned n = data[1] % MAX_BURST + 1;
	size_t at = 2;

	while (n_slots < n && at + 3 <= size) {
		uint8_t room = data[at];
		size_t len = ipx_ld16(data + at + 1);

		at += 3;
		if (len > size - at)
			len = size - at;
		add_packet(data + at, (uint32_t)len, room);
		at += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (data[0] & 0x80) {
		if (size < 10)
			return 0;
		plaintext_input(data, size);
	} else {
		raw_input(data, size);
	}
	if (n_slots) {
		reset_states(data[0] & 7);
		run_burst();
	}
	free_packets();
	return 0;
}

/* ---- seeds ---- */

static const char *seed_dir;
static unsigned n_seeds;

static void put(const char *name, const uint8_t *b, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", seed_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	n_seeds++;
}

/* An IPv4 or IPv6 UDP packet of len bytes. */
static void ip_packet(uint8_t *p, uint32_t len, bool v6, uint8_t fill)
{
	uint32_t l3 = v6 ? 40 : 20;

	memset(p, 0, len);
	if (v6) {
		ipx_st32(p, 6u << 28);
		ipx_st16(p + 4, (uint16_t)(len - 40));
		p[6] = 17;
		p[7] = 64;
		memcpy(p + 8, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(p + 24, "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	} else {
		p[0] = 0x45;
		ipx_st16(p + 2, (uint16_t)len);
		p[6] = 0x40;
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, "\x0a\x01\x00\x01\x0a\x02\x00\x01", 8);
		ipx_st16(p + 10, ip_csum(p, 20));
	}
	ipx_st16(p + l3, 1234);
	ipx_st16(p + l3 + 2, 5678);
	ipx_st16(p + l3 + 4, (uint16_t)(len - l3));
	for (uint32_t i = l3 + 8; i < len; i++)
		p[i] = (uint8_t)(fill + i);
}

/*
 * Raw seeds: bursts of valid packets sealed by ipx_encrypt_burst under
 * outbound SAs with each inbound SA's keys, numbered to fit the preset.
 */
static void raw_seeds(void)
{
	static const struct {
		const char *name;
		unsigned preset, npkt;
		bool out_v6, encap, in_v6;
		int64_t first;   /* the first number sent, from the top */
	} var[] = {
		{ "v4", 0, 1, false, false, false, 1 },
		{ "v6-encap", 1, 2, true, false, true, 1 },
		{ "v4-encap-in6", 2, 3, false, true, true, 1 },
		{ "v6-high", 3, 2, true, false, false, 1 },
		{ "v4-sparse", 5, 2, false, false, false, -2 },  /* holes */
		{ "v4-wrap", 2, 3, false, false, false, 0xff },  /* low half wraps */
	};
	struct ipx_engine_config c = { .max_sas = 256 };
	struct ipx_engine *se;
	static uint8_t file[4 * 2048], inner[1500], buf[2048];

	if (ipx_engine_open("soft", &c, &se))
		die("seed engine");
	for (unsigned k = 0; k < N_SA; k++)
		for (unsigned v = 0; v < sizeof(var) / sizeof(var[0]); v++) {
			unsigned npkt = var[v].npkt;
			struct ipx_sa_params p;
			uint32_t sa;
			size_t at = 2;
			char name[64];

			/* two variants per SA, each variant on several SAs */
			if (v != k % 6 && v != (k + 3) % 6)
				continue;
			sa_params(&p, k, IPX_DIR_OUT);
			if (var[v].out_v6) {
				p.src.family = p.dst.family = AF_INET6;
				memcpy(p.src.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
				memcpy(p.dst.a, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
			}
			if (var[v].encap)
				p.encap_sport = p.encap_dport = 4500;
			p.seq = preset_top(k, var[v].preset) + (uint64_t)var[v].first;
			if (!p.esn && p.seq + npkt - 1 > UINT32_MAX)
				npkt = (unsigned)(UINT32_MAX - p.seq + 1);
			if (ipx_sa_add(se, &p, &sa))
				die("seed SA");
			file[0] = (uint8_t)var[v].preset;
			file[1] = (uint8_t)(npkt - 1);
			for (unsigned i = 0; i < npkt; i++) {
				uint32_t ilen = 60 + 37 * i + 23 * k, head = 100;
				struct ipx_pkt pk = { .buf = buf, .buf_len = sizeof(buf),
						      .off = head, .len = ilen, .sa = sa };

				ip_packet(inner, ilen, var[v].in_v6, (uint8_t)(k + i));
				memcpy(buf + head, inner, ilen);
				if (ipx_encrypt_burst(se, &pk, 1) != 1 ||
				    pk.status != IPX_ST_OK)
					die("seed encrypt");
				file[at] = (uint8_t)(0x11 * (i + 1));
				ipx_st16(file + at + 1, (uint16_t)pk.len);
				memcpy(file + at + 3, buf + pk.off, pk.len);
				at += 3 + pk.len;
			}
			snprintf(name, sizeof(name), "raw-%u-%s-%s", k,
				 fsas[k].mode == IPX_MODE_TUNNEL ? "tun" : "tra",
				 var[v].name);
			put(name, file, at);
			ipx_sa_delete(se, sa);
		}
	ipx_engine_close(se);
}

/* Plaintext seeds: a valid payload and trailer per SA, and a few broken. */
static void plaintext_seeds(void)
{
	static uint8_t file[10 + 2048];

	for (unsigned k = 0; k < N_SA; k++) {
		uint32_t block = ipx_cipher_info(fsas[k].cipher)->block;
		bool tun = fsas[k].mode == IPX_MODE_TUNNEL;

		for (unsigned v = 0; v < 4; v++) {
			static const char *const what[] = { "ok", "ok-v6opt-dup",
							    "tfc", "dummy" };
			uint8_t *pt = file + 10;
			uint32_t plen = 48 + 8 * k + v, len, padlen;
			uint8_t nh;
			char name[64];

			/* valid for every SA, one of the others per SA */
			if (v && v != 1 + k % 3)
				continue;
			file[0] = (uint8_t)(0x80 | (v == 1 ? 0x78 : 0) | (v & 1 ? 0x10 : 0) |
					    (k % 2 ? 2 : 0));
			file[1] = (uint8_t)(k | (v == 2 ? 0x10 : 0));
			ipx_st64(file + 2, preset_top(k, file[0]) + 1);
			if (tun) {
				ip_packet(pt, plen, v == 1, (uint8_t)k);
				nh = v == 1 ? 41 : 4;
			} else {
				/* transport: a UDP datagram */
				for (uint32_t i = 0; i < plen; i++)
					pt[i] = (uint8_t)(i * 3 + k);
				ipx_st16(pt + 4, (uint16_t)plen);
				nh = 17;
			}
			len = plen;
			if (v == 2) {  /* TFC padding after the inner packet */
				memset(pt + len, 0, 40);
				len += 40;
			}
			if (v == 3)
				nh = 59;
			padlen = (block - (len + 2) % block) % block;
			for (uint32_t i = 0; i < padlen; i++)
				pt[len + i] = (uint8_t)(i + 1);
			pt[len + padlen] = (uint8_t)padlen;
			pt[len + padlen + 1] = nh;
			len += padlen + 2;
			snprintf(name, sizeof(name), "pt-%u-%s-%s", k,
				 tun ? "tun" : "tra", what[v]);
			put(name, file, 10 + len);
		}
	}
}

static void write_seeds(const char *dir)
{
	seed_dir = dir;
	raw_seeds();
	plaintext_seeds();
	fprintf(stderr, "fuzz_esp_decap: %u seeds written to %s\n", n_seeds, dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	open_engines();
	take_snapshots();
	verbose = getenv("FUZZ_ESP_VERBOSE") != NULL;
	for (int i = 1; i < *argc; i++)
		if (strncmp((*argv)[i], "-seeds=", 7) == 0) {
			write_seeds((*argv)[i] + 7);
			exit(0);
		}
	return 0;
}
