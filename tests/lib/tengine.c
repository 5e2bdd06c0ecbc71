#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/place.h>

#include "tengine.h"

const char *te_engine_name(void)
{
	const char *n = getenv("IPSECFX_TEST_ENGINE");

	return n && *n ? n : "soft";
}

struct ipx_engine *te_open_named(const char *name, bool no_ipsecmb)
{
	/* IPSECFX_TEST_DEVICE: the sim/pipe device string, e.g. the kernel
	 * model's memory latency and stalls (driver/bus/sim_bus.c) */
	struct ipx_engine_config cfg = { .max_sas = 4096,
					 .soft_no_ipsecmb = no_ipsecmb,
					 .device = getenv("IPSECFX_TEST_DEVICE") };
	struct ipx_engine *e = NULL;

	/* exactly the backend under test: no placement in front of a card */
	if (ipx_engine_open_direct(name, &cfg, &e) < 0)
		fail_msg("cannot open engine '%s'", name);
	return e;
}

struct ipx_engine *te_open(void)
{
	return te_open_named(te_engine_name(), false);
}

struct ipx_engine *te_open_ref(void)
{
	return te_open_named("soft", true);
}

bool te_supports(struct ipx_engine *e, const struct ipx_sa_params *p)
{
	struct ipx_caps c;

	ipx_engine_caps(e, &c);
	if (!(c.ciphers & (1u << p->cipher)))
		return false;
	if (p->mode == IPX_MODE_TRANSPORT && !c.transport_mode)
		return false;
	if (p->src.family == AF_INET6 && !c.ipv6_outer)
		return false;
	if (p->encap_sport && !c.udp_encap)
		return false;
	if (p->esn && !c.esn)
		return false;
	if (p->tfc_pad && !c.tfc)
		return false;
	return true;
}

void te_params(struct ipx_sa_params *p, enum ipx_cipher c, uint8_t mode,
	       int outer_v6, bool encap, bool esn)
{
	const struct ipx_cipher_info *ci = ipx_cipher_info(c);

	memset(p, 0, sizeof(*p));
	p->spi = 0x1000 + (uint32_t)(tlib_rand() % 0x7fff0000u);
	p->cipher = (uint8_t)c;
	p->mode = mode;
	p->key_len = ci->key_len;
	tlib_rand_bytes(p->key, ci->key_len);
	p->integ_key_len = ci->integ_len;
	tlib_rand_bytes(p->integ_key, ci->integ_len);
	p->esn = esn;
	p->replay_window = 1024;
	p->seq = 1;
	if (outer_v6) {
		p->src.family = p->dst.family = AF_INET6;
		memcpy(p->src.a, "\x20\x01\x0d\xb8\xff\0\0\0\0\0\0\0\0\0\0\x01", 16);
		memcpy(p->dst.a, "\x20\x01\x0d\xb8\xff\0\0\0\0\0\0\0\0\0\0\x02", 16);
	} else {
		p->src.family = p->dst.family = AF_INET;
		memcpy(p->src.a, "\xc0\x00\x02\x01", 4);
		memcpy(p->dst.a, "\xc0\x00\x02\x02", 4);
	}
	if (encap) {
		p->encap_sport = 4500;
		p->encap_dport = 4500;
	}
}

uint32_t te_add(struct ipx_engine *e, struct ipx_sa_params *p, uint8_t dir)
{
	uint32_t sa;
	int ret;

	p->dir = dir;
	ret = ipx_sa_add(e, p, &sa);
	if (ret < 0)
		fail_msg("SA add (spi %08x, cipher %u, dir %u) failed: %d",
			 p->spi, p->cipher, dir, ret);
	return sa;
}

static uint8_t **pool;
static size_t pool_n, pool_cap;

struct ipx_pkt te_pkt(const uint8_t *data, uint32_t len)
{
	struct ipx_pkt p;
	uint8_t *b;

	if (len > TE_BUF - TE_HEAD)
		fail_msg("test packet of %u bytes too long", len);
	b = malloc(TE_BUF);
	if (!b)
		fail_msg("out of memory");
	if (pool_n == pool_cap) {
		pool_cap = pool_cap ? pool_cap * 2 : 64;
		pool = realloc(pool, pool_cap * sizeof(*pool));
	}
	pool[pool_n++] = b;
	memset(b, 0xa5, TE_BUF);
	if (len)
		memcpy(b + TE_HEAD, data, len);
	memset(&p, 0, sizeof(p));
	p.buf = b;
	p.buf_len = TE_BUF;
	p.off = TE_HEAD;
	p.len = len;
	p.sa = IPX_SA_NONE;
	return p;
}

void te_reset(void)
{
	for (size_t i = 0; i < pool_n; i++)
		free(pool[i]);
	pool_n = 0;
}

uint8_t *te_data(const struct ipx_pkt *p)
{
	return p->buf + p->off;
}

int te_encrypt(struct ipx_engine *e, uint32_t sa, struct ipx_pkt *p)
{
	p->sa = sa;
	assert_int_equal(ipx_encrypt_burst(e, p, 1), 1);
	return p->status;
}

int te_decrypt(struct ipx_engine *e, struct ipx_pkt *p)
{
	assert_int_equal(ipx_decrypt_burst(e, p, 1), 1);
	return p->status;
}

uint64_t te_sa_drops(struct ipx_engine *e, uint32_t sa, enum ipx_status st)
{
	struct ipx_sa_state s;

	assert_int_equal(ipx_sa_query(e, sa, &s), 0);
	return s.ctr.drops[st];
}

uint64_t te_engine_drops(struct ipx_engine *e, enum ipx_status st)
{
	uint64_t d[IPX_ST__COUNT];

	ipx_engine_drops(e, d);
	return d[st];
}
