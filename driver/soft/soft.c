/*
 * The software ESP engine: SA table, inbound SPI lookup, bursts, per-SA
 * counters, lifetimes and sequence-number limits, events.  It behaves as the
 * hardware does (same limits, same status codes, same counters), so the one
 * test suite runs against every backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <intel-ipsec-mb.h>
#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>

#include "../backend.h"
#include "soft.h"

#define SOFT_DEFAULT_SAS (1u << 18)

static void ev_push(struct soft_engine *e, const struct soft_sa *sa,
		    enum ipx_event_type type)
{
	struct ipx_event ev = {
		.type = type, .sa = (uint32_t)(sa - e->sas), .spi = sa->spi,
		.dir = sa->dir, .user = sa->user,
	};

	ipx_evring_push(&e->events, &ev);
}

static const char *arch_name(IMB_ARCH a)
{
	switch (a) {
	case IMB_ARCH_SSE:
		return "sse";
	case IMB_ARCH_AVX:
		return "avx";
	case IMB_ARCH_AVX2:
		return "avx2";
	case IMB_ARCH_AVX512:
		return "avx512";
	default:
		return "none";
	}
}

static uint32_t pow2_at_least(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static void soft_close(void *priv)
{
	struct soft_engine *e = priv;

	if (!e)
		return;
	for (uint32_t i = 0; i < e->next_unused; i++) {
		if (e->sas[i].used) {
			xform_free(&e->sas[i].xf);
			replay_free(&e->sas[i].rp);
		}
	}
	free(e->sas);
	free(e->spi_hash);
	free(e->scratch);
	ipx_evring_free(&e->events);
	if (e->imb)
		free_mb_mgr(e->imb);
	free(e);
}

static int soft_open(const struct ipx_engine_config *cfg, void **priv)
{
	struct soft_engine *e = calloc(1, sizeof(*e));
	uint32_t hsize;

	if (!e)
		return -ENOMEM;
	e->max_sas = cfg->max_sas ? cfg->max_sas : SOFT_DEFAULT_SAS;
	if (e->max_sas >= IPX_SA_NONE)
		e->max_sas = IPX_SA_NONE - 1;
	/* calloc: pages of the table are only touched as SAs are added */
	e->sas = calloc(e->max_sas, sizeof(*e->sas));
	hsize = pow2_at_least(e->max_sas);
	e->spi_hash = malloc(hsize * sizeof(uint32_t));
	e->scratch = malloc(IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD);
	if (!e->sas || !e->spi_hash || !e->scratch ||
	    ipx_evring_init(&e->events, SOFT_EVQ_LEN) < 0) {
		soft_close(e);
		return -ENOMEM;
	}
	memset(e->spi_hash, 0xff, hsize * sizeof(uint32_t));
	e->hash_mask = hsize - 1;
	e->free_head = IPX_SA_NONE;

	if (!cfg->soft_no_ipsecmb) {
		IMB_ARCH arch = IMB_ARCH_NONE;

		e->imb = alloc_mb_mgr(0);
		if (e->imb)
			init_mb_mgr_auto(e->imb, &arch);
		if (e->imb && (arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI ||
			       !(e->imb->features & IMB_FEATURE_AESNI))) {
			ipx_info("soft engine: no AES-NI, AES-GCM through OpenSSL");
			free_mb_mgr(e->imb);
			e->imb = NULL;
		}
		if (e->imb)
			snprintf(e->imb_arch, sizeof(e->imb_arch), "%s",
				 arch_name(arch));
	}
	*priv = e;
	return 0;
}

static void soft_caps(void *priv, struct ipx_caps *c)
{
	struct soft_engine *e = priv;

	memset(c, 0, sizeof(*c));
	c->backend = "soft";
	c->hardware = false;
	for (int i = 1; i < IPX_CIPHER__COUNT; i++)
		c->ciphers |= 1u << i;
	c->max_sas = e->max_sas;
	c->replay_window_min = IPX_REPLAY_WINDOW_MIN;
	c->replay_window_max = IPX_REPLAY_WINDOW_MAX;
	c->max_pkt_len = IPX_MAX_PKT_LEN;
	c->ipv6_outer = c->udp_encap = c->transport_mode = c->esn = c->tfc = true;
	if (e->imb)
		snprintf(c->impl, sizeof(c->impl),
			 "AES-GCM: intel-ipsec-mb %s %s; others: OpenSSL %s",
			 imb_get_version_str(), e->imb_arch,
			 OpenSSL_version(OPENSSL_VERSION_STRING));
	else
		snprintf(c->impl, sizeof(c->impl), "OpenSSL %s",
			 OpenSSL_version(OPENSSL_VERSION_STRING));
}

static inline uint32_t spi_slot(const struct soft_engine *e, uint32_t spi)
{
	/* SPIs are random when chosen by IKE; mix anyway, peers may not be */
	return (spi * 0x9e3779b1u) & e->hash_mask;
}

static uint32_t soft_lookup(void *priv, uint32_t spi)
{
	struct soft_engine *e = priv;
	uint32_t id = e->spi_hash[spi_slot(e, spi)];

	while (id != IPX_SA_NONE && e->sas[id].spi != spi)
		id = e->sas[id].hash_next;
	return id;
}

static struct soft_sa *get_sa(struct soft_engine *e, uint32_t id)
{
	if (id >= e->next_unused || !e->sas[id].used)
		return NULL;
	return &e->sas[id];
}

static void set_limits(struct soft_sa *sa, const struct ipx_sa_params *p)
{
	sa->soft = p->soft;
	sa->hard = p->hard;
	sa->limits = p->soft.bytes || p->soft.packets || p->hard.bytes ||
		     p->hard.packets;
}

static inline void check_lifetime(struct soft_engine *e, struct soft_sa *sa)
{
	const struct ipx_sa_counters *c = &sa->ctr;

	if (!sa->limits)
		return;
	if (!sa->soft_expired &&
	    ((sa->soft.bytes && c->bytes >= sa->soft.bytes) ||
	     (sa->soft.packets && c->packets >= sa->soft.packets))) {
		sa->soft_expired = true;
		ev_push(e, sa, IPX_EV_SOFT_LIFETIME);
	}
	if (!sa->hard_expired &&
	    ((sa->hard.bytes && c->bytes >= sa->hard.bytes) ||
	     (sa->hard.packets && c->packets >= sa->hard.packets))) {
		sa->hard_expired = true;
		ev_push(e, sa, IPX_EV_HARD_LIFETIME);
	}
}

static int soft_sa_add(void *priv, const struct ipx_sa_params *p, uint32_t *out)
{
	struct soft_engine *e = priv;
	const struct ipx_cipher_info *ci = ipx_cipher_info(p->cipher);
	struct soft_sa *sa;
	uint32_t id;
	int ret;

	if (p->dir == IPX_DIR_IN && soft_lookup(e, p->spi) != IPX_SA_NONE) {
		ipx_err("SA %08x: an inbound SA with this SPI exists", p->spi);
		return -EEXIST;
	}
	if (e->free_head != IPX_SA_NONE) {
		id = e->free_head;
		e->free_head = e->sas[id].hash_next;
	} else if (e->next_unused < e->max_sas) {
		id = e->next_unused++;
	} else {
		ipx_err("SA %08x: SA table full (%u)", p->spi, e->max_sas);
		return -ENOSPC;
	}
	sa = &e->sas[id];
	memset(sa, 0, sizeof(*sa));
	sa->spi = p->spi;
	sa->dir = p->dir;
	sa->mode = p->mode;
	sa->cipher = p->cipher;
	sa->df = p->df;
	sa->block = ci->block;
	sa->iv_len = ci->iv_len;
	sa->ttl = p->ttl ? p->ttl : IPX_DEFAULT_TTL;
	sa->esn = p->esn;
	sa->encap = p->encap_sport != 0;
	sa->encap_sport = p->encap_sport;
	sa->encap_dport = p->encap_dport;
	sa->tfc_pad = p->tfc_pad;
	sa->src = p->src;
	sa->dst = p->dst;
	sa->user = p->user;
	set_limits(sa, p);
	sa->seq = p->seq ? p->seq : 1;
	sa->seq_max = p->esn ? UINT64_MAX : UINT32_MAX;
	sa->seq_warn = sa->seq_max -
		       (p->esn ? IPX_SEQ_SOFT_MARGIN_64 : IPX_SEQ_SOFT_MARGIN_32) + 1;

	ret = xform_init(e, &sa->xf, p);
	if (ret < 0)
		goto fail;
	ret = replay_init(&sa->rp, p->dir == IPX_DIR_IN ? p->replay_window : 0,
			  p->dir == IPX_DIR_IN ? sa->seq : 1);
	if (ret < 0) {
		xform_free(&sa->xf);
		goto fail;
	}
	sa->used = true;
	if (p->dir == IPX_DIR_IN) {
		uint32_t slot = spi_slot(e, p->spi);

		sa->hash_next = e->spi_hash[slot];
		e->spi_hash[slot] = id;
	}
	*out = id;
	return 0;
fail:
	ipx_err("SA %08x: cannot set up %s: %s", p->spi, ci->name,
		strerror(-ret));
	sa->hash_next = e->free_head;
	e->free_head = id;
	return ret;
}

static int soft_sa_update(void *priv, uint32_t id, unsigned mask,
			  const struct ipx_sa_params *p)
{
	struct soft_engine *e = priv;
	struct soft_sa *sa = get_sa(e, id);

	if (!sa)
		return -ENOENT;
	if (mask & IPX_UPD_ADDRS) {
		if ((p->encap_sport == 0) != (p->encap_dport == 0))
			return -EINVAL;
		if (sa->mode == IPX_MODE_TUNNEL && sa->dir == IPX_DIR_OUT &&
		    (p->src.family != sa->dst.family ||
		     p->dst.family != sa->dst.family))
			return -EINVAL;
		sa->src = p->src;
		sa->dst = p->dst;
		sa->encap = p->encap_sport != 0;
		sa->encap_sport = p->encap_sport;
		sa->encap_dport = p->encap_dport;
	}
	if (mask & IPX_UPD_LIFETIME) {
		set_limits(sa, p);
		sa->soft_expired = sa->hard_expired = false;
		check_lifetime(e, sa);
	}
	if (mask & IPX_UPD_USER)
		sa->user = p->user;
	return 0;
}

static int soft_sa_delete(void *priv, uint32_t id)
{
	struct soft_engine *e = priv;
	struct soft_sa *sa = get_sa(e, id);

	if (!sa)
		return -ENOENT;
	if (sa->dir == IPX_DIR_IN) {
		uint32_t *link = &e->spi_hash[spi_slot(e, sa->spi)];

		while (*link != id)
			link = &e->sas[*link].hash_next;
		*link = sa->hash_next;
	}
	xform_free(&sa->xf);
	replay_free(&sa->rp);
	OPENSSL_cleanse(sa, sizeof(*sa));
	sa->hash_next = e->free_head;
	e->free_head = id;
	return 0;
}

static int soft_sa_query(void *priv, uint32_t id, struct ipx_sa_state *st)
{
	struct soft_engine *e = priv;
	struct soft_sa *sa = get_sa(e, id);

	if (!sa)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->seq = sa->dir == IPX_DIR_OUT ? sa->seq : sa->rp.top;
	st->seq_exhausted = sa->seq_exhausted;
	st->replay_window = sa->rp.window;
	if (sa->dir == IPX_DIR_IN)
		replay_export(&sa->rp, st->replay_bitmap);
	st->ctr = sa->ctr;
	st->soft_expired = sa->soft_expired;
	st->hard_expired = sa->hard_expired;
	st->seq_warned = sa->seq_warned;
	return 0;
}

static int soft_sa_set_state(void *priv, uint32_t id,
			     const struct ipx_sa_state *st)
{
	struct soft_engine *e = priv;
	struct soft_sa *sa = get_sa(e, id);

	if (!sa)
		return -ENOENT;
	if (sa->dir == IPX_DIR_OUT) {
		/* nonce safety: never move back */
		if (st->seq < sa->seq || st->seq > sa->seq_max ||
		    (sa->seq_exhausted && !st->seq_exhausted))
			return -EINVAL;
		sa->seq = st->seq;
		sa->seq_exhausted = st->seq_exhausted;
		if (st->seq == 0)
			return -EINVAL;
	} else {
		if (st->replay_window != sa->rp.window)
			return -EINVAL;
		replay_import(&sa->rp, st->seq, st->replay_bitmap);
	}
	sa->ctr = st->ctr;
	sa->soft_expired = st->soft_expired;
	sa->hard_expired = st->hard_expired;
	sa->seq_warned = st->seq_warned;
	return 0;
}

/* The sequence number just used is spent: advance, or stop at the limit. */
static void seq_spent(struct soft_engine *e, struct soft_sa *sa)
{
	if (sa->seq == sa->seq_max) {
		sa->seq_exhausted = true;
		ev_push(e, sa, IPX_EV_SEQ_EXHAUSTED);
	} else {
		sa->seq++;
	}
	if (!sa->seq_warned && sa->seq >= sa->seq_warn) {
		sa->seq_warned = true;
		ev_push(e, sa, IPX_EV_SEQ_NEAR_EXHAUSTION);
	}
}

/*
 * Encrypt in chunks, in three passes: headers, trailers and crypto jobs for
 * every packet (sequence numbers, counters and lifetimes decided here, so a
 * limit reached mid-chunk stops the packets after it); then the ciphers;
 * then what needs the ciphertext (the UDP checksum over IPv6).
 */
static void encrypt_chunk(struct soft_engine *e, struct ipx_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *pkt = &pkts[i];
		struct soft_slot *sl = &e->slot[i];
		struct soft_sa *sa = get_sa(e, pkt->sa);
		int st;

		sl->sa = NULL;
		if (!sa || sa->dir != IPX_DIR_OUT) {
			pkt->status = IPX_ST_BAD_SA;
			e->drops[IPX_ST_BAD_SA]++;
			continue;
		}
		if (pkt->off > pkt->buf_len || pkt->len > pkt->buf_len - pkt->off)
			st = IPX_ST_MALFORMED;
		else if (sa->hard_expired)
			st = IPX_ST_SA_EXPIRED;
		else if (sa->seq_exhausted)
			st = IPX_ST_SEQ_EXHAUSTED;
		else
			st = esp_encap(sa, pkt, sa->seq, &sl->inner, &sl->job);
		pkt->status = (uint16_t)st;
		if (st == IPX_ST_OK || st == IPX_ST_ENGINE_FAULT)
			seq_spent(e, sa);  /* spent once a seal was prepared */
		if (st != IPX_ST_OK) {
			sa->ctr.drops[st]++;
			continue;
		}
		sl->sa = sa;
		sa->ctr.packets++;
		sa->ctr.bytes += sl->inner;
		check_lifetime(e, sa);
	}
	for (unsigned i = 0; i < n; i++) {
		struct soft_slot *sl = &e->slot[i];

		if (sl->sa && xform_run(e, &sl->job, 1) < 0) {
			/* OpenSSL failed: the packet is lost, its number spent */
			pkts[i].status = IPX_ST_ENGINE_FAULT;
			sl->sa->ctr.packets--;
			sl->sa->ctr.bytes -= sl->inner;
			sl->sa->ctr.drops[IPX_ST_ENGINE_FAULT]++;
			sl->sa = NULL;
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (e->slot[i].sa && e->slot[i].sa->encap)
			esp_encap_finish(e->slot[i].sa, &pkts[i]);
}

static int soft_encrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	struct soft_engine *e = priv;

	for (unsigned i = 0; i < n; i += SOFT_CHUNK)
		encrypt_chunk(e, pkts + i, n - i < SOFT_CHUNK ? n - i : SOFT_CHUNK);
	return (int)n;
}

/*
 * Decrypt in chunks, in three passes: outer headers, SA, length and replay
 * checks and crypto jobs; the ciphers (ICV verified); then, in packet
 * order, the window update, the trailer and the output.
 */
static void decrypt_chunk(struct soft_engine *e, struct ipx_pkt *pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct ipx_pkt *pkt = &pkts[i];
		struct soft_slot *sl = &e->slot[i];
		int st;

		sl->sa = NULL;
		pkt->sa = IPX_SA_NONE;
		pkt->esp_off = 0;
		if (pkt->off > pkt->buf_len || pkt->len > pkt->buf_len - pkt->off)
			st = IPX_ST_MALFORMED;
		else if (pkt->len > IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD)
			st = IPX_ST_TOO_BIG;
		else
			st = esp_parse_outer(pkt, &sl->o);
		if (st == IPX_ST_OK) {
			pkt->sa = soft_lookup(e, sl->o.spi);
			if (pkt->sa == IPX_SA_NONE)
				st = IPX_ST_UNKNOWN_SPI;
		}
		pkt->status = (uint16_t)st;
		if (st != IPX_ST_OK) {
			e->drops[st]++;
			continue;
		}
		sl->sa = &e->sas[pkt->sa];
		pkt->esp_off = (uint16_t)sl->o.esp_off;
		st = sl->sa->hard_expired ? IPX_ST_SA_EXPIRED
					  : esp_decap_prep(sl->sa, pkt, &sl->o, &sl->job);
		pkt->status = (uint16_t)st;
		if (st != IPX_ST_OK) {
			sl->sa->ctr.drops[st]++;
			sl->sa = NULL;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct soft_slot *sl = &e->slot[i];
		int ret;

		if (!sl->sa)
			continue;
		ret = xform_run(e, &sl->job, 0);
		if (ret < 0) {
			int st = ret == -EBADMSG ? IPX_ST_AUTH_FAILED : IPX_ST_ENGINE_FAULT;

			pkts[i].status = (uint16_t)st;
			sl->sa->ctr.drops[st]++;
			sl->sa = NULL;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct soft_slot *sl = &e->slot[i];
		struct soft_sa *sa = sl->sa;
		int st;

		if (!sa)
			continue;
		/* a packet earlier in this chunk may have hit the hard limit */
		st = sa->hard_expired ? IPX_ST_SA_EXPIRED
				      : esp_decap_finish(sa, &pkts[i], &sl->o,
							 &sl->job, &sl->inner);
		pkts[i].status = (uint16_t)st;
		if (st != IPX_ST_OK) {
			sa->ctr.drops[st]++;
			continue;
		}
		sa->ctr.packets++;
		sa->ctr.bytes += sl->inner;
		check_lifetime(e, sa);
	}
}

static int soft_decrypt(void *priv, struct ipx_pkt *pkts, unsigned n)
{
	struct soft_engine *e = priv;

	for (unsigned i = 0; i < n; i += SOFT_CHUNK)
		decrypt_chunk(e, pkts + i, n - i < SOFT_CHUNK ? n - i : SOFT_CHUNK);
	return (int)n;
}

static unsigned soft_events(void *priv, struct ipx_event *ev, unsigned max)
{
	struct soft_engine *e = priv;

	return ipx_evring_pop(&e->events, ev, max);
}

static void soft_drops(void *priv, uint64_t drops[IPX_ST__COUNT])
{
	struct soft_engine *e = priv;

	memcpy(drops, e->drops, sizeof(e->drops));
}

const struct ipx_backend ipx_backend_soft = {
	.name = "soft",
	.open = soft_open,
	.close = soft_close,
	.caps = soft_caps,
	.sa_add = soft_sa_add,
	.sa_update = soft_sa_update,
	.sa_delete = soft_sa_delete,
	.sa_query = soft_sa_query,
	.sa_set_state = soft_sa_set_state,
	.sa_lookup = soft_lookup,
	.encrypt = soft_encrypt,
	.decrypt = soft_decrypt,
	.events = soft_events,
	.drops = soft_drops,
};
