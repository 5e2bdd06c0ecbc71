/*
 * The engine front: backend registry, SA parameter validation shared by all
 * backends, and dispatch.  A card backend ("sim", "xrt") is opened behind
 * the placement layer (place.c), which pairs it with the software engine;
 * a backend never sees another backend.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>
#include <ipsecfx/place.h>

#include "backend.h"
#include "place.h"

struct ipx_engine {
	const struct ipx_backend *be;
	void *priv;
	struct ipx_caps caps;
};

static const struct ipx_backend *const backends[] = {
	&ipx_backend_soft,
	&ipx_backend_sim,
	&ipx_backend_xrt,
	&ipx_backend_pipe,
};

static const char *const backend_names[] = {
	"soft",
	"sim",
	"xrt",
	"pipe",
	NULL,
};

static const struct ipx_cipher_info cipher_table[] = {
#define IPX_X_CIPHER(n, v, k, i, b, iv, s)                                  \
	{ IPX_CIPHER_##n, s, k, i, b, iv },
	IPX_CIPHER_LIST(IPX_X_CIPHER)
#undef IPX_X_CIPHER
};

static const char *const status_names[IPX_ST__COUNT] = {
#define IPX_X_STATUS(n, v, s, d) [v] = s,
	IPX_STATUS_LIST(IPX_X_STATUS)
#undef IPX_X_STATUS
};

const struct ipx_cipher_info *ipx_cipher_info(enum ipx_cipher c)
{
	for (size_t i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (cipher_table[i].id == c)
			return &cipher_table[i];
	return NULL;
}

const struct ipx_cipher_info *ipx_cipher_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(cipher_table) / sizeof(cipher_table[0]); i++)
		if (strcmp(cipher_table[i].name, name) == 0)
			return &cipher_table[i];
	return NULL;
}

const char *ipx_status_name(enum ipx_status st)
{
	if ((unsigned)st >= IPX_ST__COUNT || !status_names[st])
		return "unknown";
	return status_names[st];
}

const char *ipx_event_name(enum ipx_event_type ev)
{
	switch (ev) {
#define IPX_X_EVENT(n, v, s, d)                                             \
	case IPX_EV_##n:                                                    \
		return s;
		IPX_EVENT_LIST(IPX_X_EVENT)
#undef IPX_X_EVENT
	}
	return "unknown";
}

const char *ipx_fault_name(enum ipx_fault f)
{
	switch (f) {
	case IPX_FAULT_STALL:
		return "stall";
	case IPX_FAULT_DMA:
		return "dma";
	case IPX_FAULT_RESET:
		return "reset";
	case IPX_FAULT_NONE:
		break;
	}
	return "none";
}

const char *const *ipx_engine_backends(void)
{
	return backend_names;
}

static const struct ipx_backend *find_backend(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

static int engine_new(const struct ipx_backend *be, void *priv, struct ipx_engine **out)
{
	struct ipx_engine *eng = calloc(1, sizeof(*eng));

	if (!eng) {
		be->close(priv);
		return -ENOMEM;
	}
	eng->be = be;
	eng->priv = priv;
	be->caps(eng->priv, &eng->caps);
	*out = eng;
	return 0;
}

int ipx_engine_open_direct(const char *name, const struct ipx_engine_config *cfg,
			   struct ipx_engine **out)
{
	static const struct ipx_engine_config defaults;
	const struct ipx_backend *be = find_backend(name);
	void *priv = NULL;
	int ret;

	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	if (!be) {
		ipx_err("engine: no backend named '%s' in this build", name);
		return -ENOENT;
	}
	ret = be->open(cfg, &priv);
	if (ret < 0) {
		ipx_err("engine: backend '%s' failed to open: %s", name,
			strerror(-ret));
		return ret;
	}
	return engine_new(be, priv, out);
}

/* A card behind the placement layer, paired with the software engine. */
static int open_placed(const char *card, const struct ipx_engine_config *cfg,
		       struct ipx_engine **out)
{
	static const struct ipx_engine_config defaults;
	void *priv = NULL;
	int ret;

	*out = NULL;
	if (!find_backend(card)) {
		ipx_err("engine: no backend named '%s' in this build", card);
		return -ENOENT;
	}
	ret = place_open(card, cfg ? cfg : &defaults, &priv);
	if (ret < 0)
		return ret;
	return engine_new(&ipx_backend_place, priv, out);
}

const char *ipx_engine_missing(const char *name)
{
	const struct ipx_backend *be;

	if (strcmp(name, "auto") == 0)
		return NULL;   /* software when nothing else opens */
	be = find_backend(name);
	if (!be)
		return "no such engine in this build";
	return be->missing ? be->missing() : NULL;
}

static bool is_card(const char *name)
{
	return strcmp(name, "sim") == 0 || strcmp(name, "xrt") == 0;
}

/*
 * engine auto: the card if there is one, else software.  No card is the
 * normal case on most machines: one info line says so.  A card that is
 * there and fails to open is an error (the card's own lines say why), and
 * software then serves.
 */
static int open_auto(const struct ipx_engine_config *cfg, struct ipx_engine **out)
{
	static const struct ipx_engine_config defaults;
	const struct ipx_backend *card = find_backend("xrt");
	char why[128] = "this build has no xrt backend";
	int ret;

	if (!cfg)
		cfg = &defaults;
	if (!card || !card->probe || !card->probe(cfg, why, sizeof(why))) {
		ipx_info("engine auto: no card found (%s): software engine", why);
		return ipx_engine_open_direct("soft", cfg, out);
	}
	ret = open_placed("xrt", cfg, out);
	if (ret == 0) {
		ipx_info("engine auto: card xrt opened, software for what it lacks");
		return 0;
	}
	ipx_warn("engine auto: card xrt found but it did not open (%s): software engine",
		 strerror(-ret));
	return ipx_engine_open_direct("soft", cfg, out);
}

int ipx_engine_open(const char *name, const struct ipx_engine_config *cfg,
		    struct ipx_engine **out)
{
	*out = NULL;
	if (strcmp(name, "auto") == 0)
		return open_auto(cfg, out);
	if (is_card(name))
		return open_placed(name, cfg, out);
	return ipx_engine_open_direct(name, cfg, out);
}

void ipx_engine_close(struct ipx_engine *eng)
{
	if (!eng)
		return;
	eng->be->close(eng->priv);
	free(eng);
}

void *ipx_engine_priv(struct ipx_engine *eng, const struct ipx_backend *be)
{
	/* through the placement layer to its card (ipx_pipe_cycles & co.) */
	if (eng->be == &ipx_backend_place && be != &ipx_backend_place)
		return ipx_engine_priv(place_card_engine(eng->priv), be);
	return eng->be == be ? eng->priv : NULL;
}

bool ipx_place_is(const struct ipx_engine *eng)
{
	return eng->be == &ipx_backend_place;
}

void *ipx_place_priv(struct ipx_engine *eng)
{
	return eng->be == &ipx_backend_place ? eng->priv : NULL;
}

void ipx_engine_caps(const struct ipx_engine *eng, struct ipx_caps *caps)
{
	*caps = eng->caps;
}

static int addr_len(const struct ipx_addr *a)
{
	switch (a->family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

/* The rules every backend shares; a failure names the first offending field. */
int ipx_sa_check(struct ipx_engine *eng, const struct ipx_sa_params *p)
{
	const struct ipx_caps *c = &eng->caps;
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);

	if (!ci) {
		ipx_err("SA %08x: unknown cipher %u", p->spi, p->cipher);
		return -EINVAL;
	}
	if (!(c->ciphers & (1u << p->cipher))) {
		ipx_err("SA %08x: engine '%s' lacks %s", p->spi, c->backend,
			ci->name);
		return -EOPNOTSUPP;
	}
	if (p->dir != IPX_DIR_OUT && p->dir != IPX_DIR_IN) {
		ipx_err("SA %08x: bad direction %u", p->spi, p->dir);
		return -EINVAL;
	}
	if (p->mode != IPX_MODE_TUNNEL && p->mode != IPX_MODE_TRANSPORT) {
		ipx_err("SA %08x: bad mode %u", p->spi, p->mode);
		return -EINVAL;
	}
	if (p->mode == IPX_MODE_TRANSPORT && !c->transport_mode) {
		ipx_err("SA %08x: engine '%s' lacks transport mode", p->spi,
			c->backend);
		return -EOPNOTSUPP;
	}
	if (p->key_len != ci->key_len) {
		ipx_err("SA %08x: %s needs %u bytes of key material, got %u",
			p->spi, ci->name, ci->key_len, p->key_len);
		return -EINVAL;
	}
	if (p->integ_key_len != ci->integ_len) {
		ipx_err("SA %08x: %s needs %u bytes of integrity key, got %u",
			p->spi, ci->name, ci->integ_len, p->integ_key_len);
		return -EINVAL;
	}
	if (p->spi == 0) {
		/* RFC 4303 2.1: SPI 0 never appears on the wire; the hardware SA
		 * table also uses it to mark an empty slot. */
		ipx_err("SA %08x: SPI 0 is reserved", p->spi);
		return -EINVAL;
	}
	if (p->mode == IPX_MODE_TUNNEL && p->dir == IPX_DIR_OUT) {
		if (!addr_len(&p->src) || p->src.family != p->dst.family) {
			ipx_err("SA %08x: tunnel mode needs outer src and dst of one family",
				p->spi);
			return -EINVAL;
		}
		if (p->src.family == AF_INET6 && !c->ipv6_outer) {
			ipx_err("SA %08x: engine '%s' lacks IPv6 outer headers",
				p->spi, c->backend);
			return -EOPNOTSUPP;
		}
	}
	if ((p->encap_sport == 0) != (p->encap_dport == 0)) {
		ipx_err("SA %08x: UDP encapsulation needs both ports", p->spi);
		return -EINVAL;
	}
	if (p->encap_sport && !c->udp_encap) {
		ipx_err("SA %08x: engine '%s' lacks UDP encapsulation", p->spi,
			c->backend);
		return -EOPNOTSUPP;
	}
	if (p->df > IPX_DF_CLEAR) {
		ipx_err("SA %08x: bad DF policy %u", p->spi, p->df);
		return -EINVAL;
	}
	if (p->dir == IPX_DIR_IN && p->replay_window &&
	    (p->replay_window < c->replay_window_min ||
	     p->replay_window > c->replay_window_max)) {
		ipx_err("SA %08x: replay window %u outside %u..%u", p->spi,
			p->replay_window, c->replay_window_min,
			c->replay_window_max);
		return -EINVAL;
	}
	if (p->esn && !c->esn) {
		ipx_err("SA %08x: engine '%s' lacks ESN", p->spi, c->backend);
		return -EOPNOTSUPP;
	}
	if (p->esn && p->dir == IPX_DIR_IN && !p->replay_window) {
		/* RFC 4303 A2: the high half is inferred from the window. */
		ipx_err("SA %08x: ESN needs a replay window", p->spi);
		return -EINVAL;
	}
	if (!p->esn && p->seq > UINT32_MAX) {
		ipx_err("SA %08x: sequence number %llu needs ESN", p->spi,
			(unsigned long long)p->seq);
		return -EINVAL;
	}
	if (p->tfc_pad) {
		if (p->mode != IPX_MODE_TUNNEL || !c->tfc) {
			ipx_err("SA %08x: TFC padding needs tunnel mode", p->spi);
			return -EINVAL;
		}
		if (p->tfc_pad > c->max_pkt_len) {
			ipx_err("SA %08x: TFC padding %u above %u", p->spi,
				p->tfc_pad, c->max_pkt_len);
			return -EINVAL;
		}
	}
	return 0;
}

int ipx_sa_add(struct ipx_engine *eng, const struct ipx_sa_params *p,
	       uint32_t *sa_out)
{
	int ret = ipx_sa_check(eng, p);

	*sa_out = IPX_SA_NONE;
	if (ret < 0)
		return ret;
	return eng->be->sa_add(eng->priv, p, sa_out);
}

int ipx_sa_update(struct ipx_engine *eng, uint32_t sa, unsigned mask,
		  const struct ipx_sa_params *p)
{
	return eng->be->sa_update(eng->priv, sa, mask, p);
}

int ipx_sa_delete(struct ipx_engine *eng, uint32_t sa)
{
	return eng->be->sa_delete(eng->priv, sa);
}

int ipx_sa_query(struct ipx_engine *eng, uint32_t sa, struct ipx_sa_state *st)
{
	return eng->be->sa_query(eng->priv, sa, st);
}

int ipx_sa_set_state(struct ipx_engine *eng, uint32_t sa,
		     const struct ipx_sa_state *st)
{
	return eng->be->sa_set_state(eng->priv, sa, st);
}

uint32_t ipx_sa_lookup(struct ipx_engine *eng, uint32_t spi)
{
	return eng->be->sa_lookup(eng->priv, spi);
}

int ipx_encrypt_burst(struct ipx_engine *eng, struct ipx_pkt *pkts, unsigned n)
{
	return eng->be->encrypt(eng->priv, pkts, n);
}

int ipx_decrypt_burst(struct ipx_engine *eng, struct ipx_pkt *pkts, unsigned n)
{
	return eng->be->decrypt(eng->priv, pkts, n);
}

unsigned ipx_events(struct ipx_engine *eng, struct ipx_event *ev, unsigned max)
{
	return eng->be->events(eng->priv, ev, max);
}

void ipx_engine_drops(const struct ipx_engine *eng,
		      uint64_t drops[IPX_ST__COUNT])
{
	eng->be->drops(eng->priv, drops);
}

void ipx_encap_overhead(const struct ipx_sa_params *p, uint32_t *head,
			uint32_t *tail)
{
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);
	uint32_t iv = ci ? ci->iv_len : 16, block = ci ? ci->block : 16;
	uint32_t h = IPX_ESP_HDR_LEN + iv;

	if (p->mode == IPX_MODE_TUNNEL)
		h += p->src.family == AF_INET6 ? 40 : 20;
	if (p->encap_sport)
		h += 8;
	*head = h;
	/* padding to the block, pad length, next header, ICV */
	*tail = (block - 1) + 2 + IPX_ICV_LEN;
}

int ipx_engine_health(struct ipx_engine *eng, struct ipx_health *h)
{
	memset(h, 0, sizeof(*h));
	if (!eng->be->health) {
		h->hardware = eng->caps.hardware;
		h->ok = true;
		return 0;
	}
	return eng->be->health(eng->priv, h);
}

int ipx_engine_inject_fault(struct ipx_engine *eng, enum ipx_fault kind)
{
	if (!eng->be->inject_fault)
		return -EOPNOTSUPP;
	return eng->be->inject_fault(eng->priv, kind);
}

int ipx_engine_recover(struct ipx_engine *eng)
{
	if (!eng->be->recover)
		return 0;
	return eng->be->recover(eng->priv);
}
