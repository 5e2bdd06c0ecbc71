/*
 * Child SAs: the SA/TS payloads of a request, the responder's choice of
 * configuration, proposal and narrowed traffic selectors (RFC 7296 2.9),
 * the initiator's check of the answer, keys (2.17) and installation of
 * both ESP SAs into the engine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

static uint32_t next_child_id;

uint32_t ike_child_alloc_spi(struct ike_mgr *m)
{
	for (;;) {
		uint8_t r[4];
		uint32_t spi;
		bool used = false;

		if (ike_random(r, 4) < 0)
			return 0;
		spi = ipx_ld32(r);
		/* RFC 4303 2.1: 1-255 reserved, 0 local */
		if (spi < 256 || ipx_sa_lookup(m->eng, spi) != IPX_SA_NONE)
			continue;
		/* and none of ours has it, in the engine or not yet */
		used = ike_child_lookup(m, spi) != NULL;
		if (!used)
			return spi;
	}
}

struct child_sa *ike_child_new(struct ikesa *sa, const struct cfg_child *cfg)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ike = sa;
	snprintf(c->name, sizeof(c->name), "%s", cfg->name);
	c->mode = cfg->mode;
	c->unique_id = ++next_child_id;
	c->eng_in = c->eng_out = IPX_SA_NONE;
	c->dp_child = UINT32_MAX;
	c->spi_in = ike_child_alloc_spi(sa->mgr);
	if (!c->spi_in) {
		free(c);
		return NULL;
	}
	ike_child_hash_add(sa->mgr, c);
	if (sa->mgr->io.spi_expect)
		sa->mgr->io.spi_expect(sa->mgr->io.ctx, c->spi_in, true);
	return c;
}

/* spi_in is installed, or never will be: no longer expected.  Once only
 * (an installed child may outlive the IKE SA it was made in). */
static void child_unexpect(struct child_sa *c)
{
	struct ike_mgr *m;

	if (c->spi_settled)
		return;
	c->spi_settled = true;
	m = c->ike ? c->ike->mgr : NULL;
	if (m && m->io.spi_expect)
		m->io.spi_expect(m->io.ctx, c->spi_in, false);
}

const char *ike_child_state_name(enum child_state s)
{
	switch (s) {
	case CHILD_NEW:
		return "new";
	case CHILD_INSTALLED:
		return "installed";
	case CHILD_DELETE_QUEUED:
		return "delete-queued";
	case CHILD_DELETING:
		return "deleting";
	case CHILD_LINGERING:
		return "lingering";
	}
	return "?";
}

/* The changes enum child_state allows: from (row) to (bit). */
static const uint8_t child_moves[] = {
	[CHILD_NEW] = 1u << CHILD_INSTALLED,
	[CHILD_INSTALLED] = 1u << CHILD_DELETE_QUEUED | 1u << CHILD_DELETING | 1u << CHILD_LINGERING,
	[CHILD_DELETE_QUEUED] = 1u << CHILD_DELETE_QUEUED | 1u << CHILD_DELETING |
				1u << CHILD_LINGERING,
	[CHILD_DELETING] = 1u << CHILD_LINGERING,
	[CHILD_LINGERING] = 1u << CHILD_LINGERING,
};

void ike_child_state(struct child_sa *c, enum child_state to)
{
	enum child_state from = c->state;

	if (!(child_moves[from] & (1u << to))) {
		ike_state_errors++;
		ike_sa_log(c->ike, IPX_LOG_ERR,
			   "Child SA %s (SPI %08x) state %s -> %s is not a transition (a bug)",
			   c->name, c->spi_in, ike_child_state_name(from), ike_child_state_name(to));
	} else if (from != to) {
		ike_sa_log(c->ike, IPX_LOG_DEBUG, "Child SA %s (SPI %08x) %s -> %s", c->name,
			   c->spi_in, ike_child_state_name(from), ike_child_state_name(to));
	}
	c->state = to;
	if (c->ike)
		ike_sa_kick(c->ike);
}

const char *ike_child_show_state(const struct child_sa *c)
{
	return ike_child_going(c) ? "deleting" : c->replaced_at ? "rekeyed" :
	       c->rekeying ? "rekeying" : "installed";
}

void ike_child_get(const struct child_sa *c, struct ike_child_info *out)
{
	memset(out, 0, sizeof(*out));
	out->name = c->name;
	out->unique_id = c->unique_id;
	out->spi_in = c->spi_in;
	out->spi_out = c->spi_out;
	out->eng_in = c->eng_in;
	out->eng_out = c->eng_out;
	out->mode = c->mode;
	out->dp_owner = c->dp_owner;
	out->ts_l = c->ts_l;
	out->ts_r = c->ts_r;
	out->n_ts_l = c->n_ts_l;
	out->n_ts_r = c->n_ts_r;
	out->local = &c->ike->local;
	out->remote = &c->ike->remote;
	out->encap = c->ike->natt;
	out->state = ike_child_show_state(c);
}

uint32_t ike_child_dp(const struct child_sa *c)
{
	return c->dp_child;
}

void ike_child_set_dp(struct child_sa *c, uint32_t dp_child)
{
	c->dp_child = dp_child;
}

const struct cfg_child *ike_child_cfg(const struct child_sa *c)
{
	return c->ike ? cfg_child_find(c->ike->conn, c->name) : NULL;
}

void ike_child_free(struct child_sa *c)
{
	if (!c)
		return;
	child_unexpect(c);
	if (c->ike)
		ike_child_hash_del(c->ike->mgr, c);
	free(c->offered);
	free(c->coll_nonce);
	free(c->ts_l);
	if (c->keys) {
		ike_child_keys_wipe(c->keys);
		free(c->keys);
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int ike_child_set_ts(struct child_sa *c, const struct ike_ts *l, unsigned nl,
		     const struct ike_ts *r, unsigned nr)
{
	struct ike_ts *ts;

	if (nl > IKE_CHILD_TS_MAX || nr > IKE_CHILD_TS_MAX)
		return -EINVAL;
	ts = malloc((nl + nr) * sizeof(*ts) + 1);
	if (!ts)
		return -ENOMEM;
	memcpy(ts, l, nl * sizeof(*ts));
	memcpy(ts + nl, r, nr * sizeof(*ts));
	free(c->ts_l);
	c->ts_l = ts;
	c->ts_r = ts + nl;
	c->n_ts_l = nl;
	c->n_ts_r = nr;
	return 0;
}

static bool ts_equal(const struct ike_ts *a, const struct ike_ts *b)
{
	return a->type == b->type && a->proto == b->proto &&
	       a->start_port == b->start_port && a->end_port == b->end_port &&
	       memcmp(a->start, b->start, ike_ts_alen(a)) == 0 &&
	       memcmp(a->end, b->end, ike_ts_alen(a)) == 0;
}

/* Configured selectors with "dynamic" replaced by the IKE address. */
static unsigned resolve(const struct ike_ts *cfg, unsigned n,
			const struct sockaddr_storage *addr, struct ike_ts *out)
{
	unsigned k = 0;

	if (!n) {
		ike_ts_from_addr(addr, &out[0]);
		return 1;
	}
	for (unsigned i = 0; i < n && k < IKE_CHILD_TS_MAX; i++) {
		if (cfg[i].type == 0)
			ike_ts_from_addr(addr, &out[k++]);
		else
			out[k++] = cfg[i];
	}
	return k;
}

/* The ESP proposals of a child without key exchange transforms (IKE_AUTH
 * creates the first Child SA from the IKE SA's keys, no KE: 1.2). */
static unsigned esp_props(const struct cfg_child *cfg, bool pfs,
			  struct ike_prop_cfg *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cfg->n_esp && n < IKE_MSG_MAX_PROPS; i++) {
		struct ike_prop_cfg *p = &out[n];

		*p = cfg->esp[i];
		if (!pfs) {
			unsigned k = 0;

			for (unsigned j = 0; j < cfg->esp[i].n_xf; j++)
				if (cfg->esp[i].xf[j].type != IKEV2_XF_DH)
					p->xf[k++] = cfg->esp[i].xf[j];
			p->n_xf = (uint8_t)k;
		}
		n++;
	}
	return n;
}

int ike_child_add_request(struct ikesa *sa, struct child_sa *c,
			  struct ike_msg *m, bool pfs)
{
	/* kept in static storage: the message points at them until sent */
	static struct ike_proposal props[IKE_MSG_MAX_PROPS];
	static uint8_t spi[4];
	const struct cfg_child *cfg = ike_child_cfg(c);
	struct ike_pld *p;
	unsigned n;
	int ret;

	if (!cfg)
		return -ENOENT;
	static struct ike_prop_cfg cfgs[IKE_MSG_MAX_PROPS];

	n = esp_props(cfg, pfs, cfgs);
	free(c->offered);
	c->n_offered = 0;
	c->offered = malloc(n * sizeof(*c->offered) + 1);
	if (!c->offered)
		return -ENOMEM;
	memcpy(c->offered, cfgs, n * sizeof(*c->offered));
	c->n_offered = n;
	ipx_st32(spi, c->spi_in);
	ret = ike_prop_to_sa(c->offered, n, spi, 4, props);
	if (ret < 0)
		return ret;
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	if (!p)
		return -ENOSPC;
	p->u.sa.props = props;
	p->u.sa.n_props = n;
	if (!c->n_ts_l || !c->n_ts_r) {
		struct ike_ts l[IKE_CHILD_TS_MAX], r[IKE_CHILD_TS_MAX];
		unsigned nl = resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, l);
		unsigned nr = resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, r);

		ret = ike_child_set_ts(c, l, nl, r, nr);
		if (ret < 0)
			return ret;
	}
	p = ike_msg_add(m, IKEV2_PL_TSI, true);
	if (!p)
		return -ENOSPC;
	p->u.ts.ts = c->ts_l;
	p->u.ts.n_ts = c->n_ts_l;
	p = ike_msg_add(m, IKEV2_PL_TSR, true);
	if (!p)
		return -ENOSPC;
	p->u.ts.ts = c->ts_r;
	p->u.ts.n_ts = c->n_ts_r;
	if (c->mode == IPX_MODE_TRANSPORT &&
	    ike_msg_add_notify(m, true, IKEV2_PROTO_NONE, NULL, 0,
			       IKEV2_N_USE_TRANSPORT_MODE, NULL, 0) < 0)
		return -ENOSPC;
	return 0;
}

/* 2.9: every selector of theirs narrowed to ours; empty when none fits. */
static unsigned narrow(const struct ike_tsp *theirs, const struct ike_ts *ours,
		       unsigned n_ours, struct ike_ts *out)
{
	unsigned k = 0;

	for (unsigned i = 0; i < theirs->n_ts; i++)
		for (unsigned j = 0; j < n_ours && k < IKE_CHILD_TS_MAX; j++) {
			struct ike_ts t;
			bool dup = false;

			if (!ike_ts_intersect(&theirs->ts[i], &ours[j], &t))
				continue;
			for (unsigned d = 0; d < k && !dup; d++)
				dup = ts_equal(&out[d], &t);
			if (!dup)
				out[k++] = t;
		}
	return k;
}

#define NEAR_MAX 4   /* children whose selectors fit, reported when refused */

/* No child of ours matched the selectors asked for: what they were and
 * what each child has (resolved: "dynamic" is the IKE address). */
static void refuse_ts(struct ikesa *sa, const struct ike_tsp *tsi, const struct ike_tsp *tsr,
		      const struct child_sa *rekey_of)
{
	char msg[600], a[200], b[200];
	size_t o;

	o = (size_t)snprintf(msg, sizeof(msg), "offered TSi %s TSr %s; configured",
			     ike_ts_list_str(tsi->ts, tsi->n_ts, a, sizeof(a)),
			     ike_ts_list_str(tsr->ts, tsr->n_ts, b, sizeof(b)));
	for (unsigned i = 0, k = 0; i < sa->conn->n_children && o < sizeof(msg); i++) {
		const struct cfg_child *cfg = &sa->conn->children[i];
		struct ike_ts l[IKE_CHILD_TS_MAX], r[IKE_CHILD_TS_MAX];
		unsigned nl, nr;

		if (rekey_of && strcmp(cfg->name, rekey_of->name) != 0)
			continue;
		nl = resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, l);
		nr = resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, r);
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s %s: local_ts %s remote_ts %s",
				      k++ ? ";" : "", cfg->name, ike_ts_list_str(l, nl, a, sizeof(a)),
				      ike_ts_list_str(r, nr, b, sizeof(b)));
	}
	if (o >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	ike_sa_log(sa, IPX_LOG_WARN, "no child matches the selectors (answered TS_UNACCEPTABLE): %s",
		   msg);
	ike_sa_refusal(sa, "TS_UNACCEPTABLE to the peer: %s", msg);
}

/* A child whose selectors fit did not take the Child SA: its mode, or no
 * proposal of ours in what was offered. */
static void refuse_esp(struct ikesa *sa, const struct cfg_child *cfg, const struct ike_sa *offer,
		       bool pfs, bool transport)
{
	struct ike_prop_cfg cfgs[IKE_MSG_MAX_PROPS];
	char a[280], b[240];

	if ((cfg->mode == IPX_MODE_TRANSPORT) != transport) {
		ike_sa_log(sa, IPX_LOG_WARN,
			   "child %s is in %s mode, the peer asks for %s mode (answered NO_PROPOSAL_CHOSEN)",
			   cfg->name, transport ? "tunnel" : "transport",
			   transport ? "transport" : "tunnel");
		ike_sa_refusal(sa, "NO_PROPOSAL_CHOSEN to the peer: child %s is in %s mode", cfg->name,
			       transport ? "tunnel" : "transport");
		return;
	}
	/* (IKE_AUTH's Child SA has no key exchange: without those groups) */
	ike_offer_str(offer, a, sizeof(a));
	ike_props_cfg_str(cfgs, esp_props(cfg, pfs, cfgs), b, sizeof(b));
	ike_sa_log(sa, IPX_LOG_WARN,
		   "no acceptable ESP proposal for child %s (answered NO_PROPOSAL_CHOSEN): offered %s; configured %s",
		   cfg->name, a, b);
	ike_sa_refusal(sa, "NO_PROPOSAL_CHOSEN to the peer: no acceptable ESP proposal for child %s: offered %s; configured %s",
		       cfg->name, a, b);
}

uint16_t ike_child_respond(struct ikesa *sa, const struct ike_msg *m,
			   struct ike_msg *out, struct child_sa **cp, bool pfs,
			   const struct child_sa *rekey_of, const char **refused)
{
	static struct ike_proposal prop;
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_pld *tsi = ike_msg_get(m, IKEV2_PL_TSI, 0);
	const struct ike_pld *tsr = ike_msg_get(m, IKEV2_PL_TSR, 0);
	bool transport = ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL;
	const struct cfg_child *near[NEAR_MAX];
	unsigned n_near = 0;
	struct child_sa *c = NULL;
	struct ike_pld *p;
	uint8_t spi[4];

	*cp = NULL;
	*refused = NULL;
	if (!sap || !tsi || !tsr) {
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA request without SA, TSi or TSr: INVALID_SYNTAX");
		return IKEV2_N_INVALID_SYNTAX;
	}
	for (unsigned i = 0; i < sa->conn->n_children; i++) {
		const struct cfg_child *cfg = &sa->conn->children[i];

		if (rekey_of && strcmp(cfg->name, rekey_of->name) != 0)
			continue;  /* a rekey keeps the child's configuration */
		{
		struct ike_ts ours_l[IKE_CHILD_TS_MAX], ours_r[IKE_CHILD_TS_MAX];
		struct ike_ts ni[IKE_CHILD_TS_MAX], nr[IKE_CHILD_TS_MAX];
		struct ike_prop_cfg cfgs[IKE_MSG_MAX_PROPS];
		struct ike_prop_choice choice;
		unsigned nl = resolve(cfg->local_ts, cfg->n_local_ts, &sa->local, ours_l);
		unsigned nrm = resolve(cfg->remote_ts, cfg->n_remote_ts, &sa->remote, ours_r);
		unsigned kni = narrow(&tsi->u.ts, ours_r, nrm, ni);
		unsigned knr = narrow(&tsr->u.ts, ours_l, nl, nr);
		unsigned np;

		if (!kni || !knr)
			continue;
		/* the selectors fit: the mode and a proposal must too */
		if ((cfg->mode == IPX_MODE_TRANSPORT) != transport) {
			if (n_near < NEAR_MAX)
				near[n_near++] = cfg;
			continue;
		}
		np = esp_props(cfg, pfs, cfgs);
		if (ike_prop_select(&sap->u.sa, cfgs, np, &choice) < 0 ||
		    choice.spi_size != 4 || !ike_child_engine_cipher(&choice)) {
			if (n_near < NEAR_MAX)
				near[n_near++] = cfg;
			continue;
		}
		c = ike_child_new(sa, cfg);
		if (!c)
			return IKEV2_N_TEMPORARY_FAILURE;
		c->prop = choice;
		c->spi_out = ipx_ld32(choice.spi);
		if (ike_child_set_ts(c, nr, knr, ni, kni) < 0) {
			ike_child_free(c);
			*cp = NULL;
			return IKEV2_N_TEMPORARY_FAILURE;
		}
		break;
		}
	}
	if (!c && !n_near) {
		refuse_ts(sa, &tsi->u.ts, &tsr->u.ts, rekey_of);
		*refused = "";
		return IKEV2_N_TS_UNACCEPTABLE;
	}
	if (!c) {
		for (unsigned i = 0; i < n_near; i++)
			refuse_esp(sa, near[i], &sap->u.sa, pfs, transport);
		*refused = near[0]->name;
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	ipx_st32(spi, c->spi_in);
	ike_prop_choice_to_sa(&c->prop, spi, 4, &prop);
	p = ike_msg_add(out, IKEV2_PL_SA, true);
	if (!p)
		goto full;
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	p = ike_msg_add(out, IKEV2_PL_TSI, true);
	if (!p)
		goto full;
	p->u.ts.ts = c->ts_r;
	p->u.ts.n_ts = c->n_ts_r;
	p = ike_msg_add(out, IKEV2_PL_TSR, true);
	if (!p)
		goto full;
	p->u.ts.ts = c->ts_l;
	p->u.ts.n_ts = c->n_ts_l;
	if (c->mode == IPX_MODE_TRANSPORT)
		ike_msg_add_notify(out, true, IKEV2_PROTO_NONE, NULL, 0,
				   IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	*cp = c;
	return 0;
full:
	ike_child_free(c);
	return IKEV2_N_TEMPORARY_FAILURE;
}

/* Is every selector of the answer inside one we proposed? */
static bool subset(const struct ike_tsp *got, const struct ike_ts *ours, unsigned n)
{
	if (!got->n_ts || got->n_ts > IKE_CHILD_TS_MAX)
		return false;
	for (unsigned i = 0; i < got->n_ts; i++) {
		bool in = false;

		for (unsigned j = 0; j < n && !in; j++) {
			struct ike_ts t;

			in = ike_ts_intersect(&got->ts[i], &ours[j], &t) &&
			     ts_equal(&t, &got->ts[i]);
		}
		if (!in)
			return false;
	}
	return true;
}

uint16_t ike_child_check_reply(struct ikesa *sa, struct child_sa *c,
			       const struct ike_msg *m)
{
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_pld *tsi = ike_msg_get(m, IKEV2_PL_TSI, 0);
	const struct ike_pld *tsr = ike_msg_get(m, IKEV2_PL_TSR, 0);
	struct ike_proposal props[IKE_MSG_MAX_PROPS];
	struct ike_sa offered;
	const char *why = NULL;
	uint8_t spi[4];

	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type == IKEV2_PL_NOTIFY && p->inner && p->u.n.type < 16384)
			return p->u.n.type;
	}
	if (!c->offered)
		return IKEV2_N_NO_PROPOSAL_CHOSEN;  /* nothing was offered */
	if (!sap || !tsi || !tsr)
		return IKEV2_N_INVALID_SYNTAX;
	/* what we offered, whatever a reload has changed since */
	ipx_st32(spi, c->spi_in);
	if (ike_prop_to_sa(c->offered, c->n_offered, spi, 4, props) < 0)
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	offered.props = props;
	offered.n_props = c->n_offered;
	if (ike_prop_check_reply(&offered, &sap->u.sa, &c->prop, &why) < 0 ||
	    c->prop.spi_size != 4) {
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s: bad proposal in the answer: %s",
			   c->name, why ? why : "?");
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	c->spi_out = ipx_ld32(c->prop.spi);
	/* 2.9: the responder may only narrow */
	if (!subset(&tsi->u.ts, c->ts_l, c->n_ts_l) ||
	    !subset(&tsr->u.ts, c->ts_r, c->n_ts_r)) {
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s: the answer widens our selectors",
			   c->name);
		return IKEV2_N_TS_UNACCEPTABLE;
	}
	if (ike_child_set_ts(c, tsi->u.ts.ts, tsi->u.ts.n_ts, tsr->u.ts.ts,
			     tsr->u.ts.n_ts) < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "Child SA %s: out of memory", c->name);
		return IKEV2_N_TEMPORARY_FAILURE;
	}
	if ((c->mode == IPX_MODE_TRANSPORT) !=
	    (ike_msg_notify(m, IKEV2_N_USE_TRANSPORT_MODE) != NULL)) {
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s: the responder chose another mode",
			   c->name);
		return IKEV2_N_NO_PROPOSAL_CHOSEN;
	}
	free(c->offered);
	c->offered = NULL;
	c->n_offered = 0;
	return 0;
}

uint8_t ike_child_engine_cipher(const struct ike_prop_choice *p)
{
	switch (p->encr) {
	case IKEV2_ENCR_AES_GCM_16:
		return p->encr_bits == 128 ? IPX_CIPHER_AES128GCM16 :
		       p->encr_bits == 192 ? IPX_CIPHER_AES192GCM16 :
		       p->encr_bits == 256 ? IPX_CIPHER_AES256GCM16 : 0;
	case IKEV2_ENCR_NULL_AUTH_AES_GMAC:
		return p->encr_bits == 128 ? IPX_CIPHER_AES128GMAC :
		       p->encr_bits == 192 ? IPX_CIPHER_AES192GMAC :
		       p->encr_bits == 256 ? IPX_CIPHER_AES256GMAC : 0;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		return IPX_CIPHER_CHACHA20POLY1305;
	case IKEV2_ENCR_AES_CBC:
		if (p->integ != IKEV2_INTEG_HMAC_SHA2_256_128)
			return 0;
		return p->encr_bits == 128 ? IPX_CIPHER_AES128_SHA256 :
		       p->encr_bits == 256 ? IPX_CIPHER_AES256_SHA256 : 0;
	default:
		return 0;
	}
}

static void sa_addr(const struct sockaddr_storage *ss, struct ipx_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(a->a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(a->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Up to 5% less, at random: the two ends' soft limits differ a little,
 * as their rekey times do (rand_time). */
static uint64_t soft_jitter(uint64_t v)
{
	uint8_t r[4];

	if (v < 20 || ike_random(r, sizeof(r)) < 0)
		return 0;
	return ipx_ld32(r) % (v / 20 + 1);
}

int ike_child_install(struct ikesa *sa, struct child_sa *c, bool we_init,
		      const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		      size_t nr_len, const uint8_t *g_ir, size_t g_ir_len)
{
	struct ike_mgr *m = sa->mgr;
	struct ike_child_keys k;
	struct ipx_sa_params out, in;
	uint8_t cipher = ike_child_engine_cipher(&c->prop);
	const struct ipx_cipher_info *ci = ipx_cipher_info(cipher);
	const struct cfg_child *cfg = ike_child_cfg(c);
	int ret;

	if (!ci) {
		ike_sa_log(sa, IPX_LOG_ERR, "Child SA %s: no engine transform for the proposal",
			   c->name);
		return -EOPNOTSUPP;
	}
	ret = ike_child_keys_derive(sa->prop.prf, sa->keys.sk_d, sa->keys.prf_len,
				    g_ir, g_ir_len, ni, ni_len, nr, nr_len,
				    c->prop.encr, c->prop.encr_bits, c->prop.integ, &k);
	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "Child SA %s: key derivation failed", c->name);
		return ret;
	}
	memset(&out, 0, sizeof(out));
	out.mode = c->mode;
	out.cipher = cipher;
	out.key_len = ci->key_len;
	out.integ_key_len = ci->integ_len;
	out.esn = c->prop.esn;
	out.seq = 1;
	out.user = (uint64_t)c->spi_in << 32 | c->unique_id;   /* ike_child_engine_user */
	if (sa->natt) {
		out.encap_sport = ike_port(&sa->local);
		out.encap_dport = ike_port(&sa->remote);
	}
	if (cfg) {
		/* byte and packet lifetimes are the engine's to count: soft
		 * asks for a rekey, hard stops the SA */
		out.soft.bytes = cfg->rekey_bytes - soft_jitter(cfg->rekey_bytes);
		out.soft.packets = cfg->rekey_packets - soft_jitter(cfg->rekey_packets);
		out.hard.bytes = cfg->life_bytes;
		out.hard.packets = cfg->life_packets;
	}
	in = out;
	/* 2.17: KEYMAT gives the keys for traffic from the initiator of the
	 * exchange that made the child first */
	out.dir = IPX_DIR_OUT;
	out.spi = c->spi_out;
	memcpy(out.key, we_init ? k.ei : k.er, ci->key_len);
	memcpy(out.integ_key, we_init ? k.ai : k.ar, ci->integ_len);
	sa_addr(&sa->local, &out.src);
	sa_addr(&sa->remote, &out.dst);
	in.dir = IPX_DIR_IN;
	in.spi = c->spi_in;
	memcpy(in.key, we_init ? k.er : k.ei, ci->key_len);
	memcpy(in.integ_key, we_init ? k.ar : k.ai, ci->integ_len);
	in.replay_window = cfg ? cfg->replay_window : 1024;
	if (in.esn && !in.replay_window)
		in.replay_window = 64;
	sa_addr(&sa->remote, &in.src);
	sa_addr(&sa->local, &in.dst);
	if (m->cfg->key_export && !c->keys) {
		/* opt-in: kept so that export-keys can hand them to Wireshark;
		 * stored as seen from us: ei/ai our outbound */
		c->keys = malloc(sizeof(*c->keys));
		if (c->keys) {
			*c->keys = k;
			if (!we_init) {
				memcpy(c->keys->ei, k.er, sizeof(k.er));
				memcpy(c->keys->ai, k.ar, sizeof(k.ar));
				memcpy(c->keys->er, k.ei, sizeof(k.ei));
				memcpy(c->keys->ar, k.ai, sizeof(k.ai));
			}
		}
	}
	ike_child_keys_wipe(&k);
	ret = ipx_sa_add(m->eng, &out, &c->eng_out);
	if (ret == 0) {
		ret = ipx_sa_add(m->eng, &in, &c->eng_in);
		if (ret < 0) {
			ipx_sa_delete(m->eng, c->eng_out);
			c->eng_out = IPX_SA_NONE;
		}
	}
	OPENSSL_cleanse(&out, sizeof(out));
	OPENSSL_cleanse(&in, sizeof(in));
	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "Child SA %s: the ESP engine refused the SAs: %s",
			   c->name, strerror(-ret));
		return ret;
	}
	c->created = ike_now();
	c->next = sa->children;
	sa->children = c;
	ike_child_set_timers(c);
	return 0;
}

static bool same_ts(const struct ike_ts *a, unsigned na, const struct ike_ts *b,
		    unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!ts_equal(&a[i], &b[i]))
			return false;
	return true;
}

/*
 * A new Child SA with the configuration and selectors of one that already
 * carries traffic (in this IKE SA or another of the same connection: a
 * reauthentication, or a peer that came back) takes its place in the data
 * plane at once, the way a rekey does, instead of a second policy for the
 * same traffic.  The old one is deleted with its IKE SA, or after a grace
 * period by the timer.
 */
static struct child_sa *takeover(struct ikesa *sa, struct child_sa *c)
{
	/* the same peer: several behind one NAT share a connection */
	for (struct ikesa *o = sa; o; o = ike_peer_next(sa, o)) {
		for (struct child_sa *k = o->children; k; k = k->next)
			if (k != c && k->dp_owner && k->state != CHILD_NEW &&
			    strcmp(k->name, c->name) == 0 &&
			    same_ts(k->ts_l, k->n_ts_l, c->ts_l, c->n_ts_l) &&
			    same_ts(k->ts_r, k->n_ts_r, c->ts_r, c->n_ts_r)) {
				ike_sa_log(sa, IPX_LOG_INFO,
					   "Child SA %s replaces SPI %08x of IKE SA %u",
					   c->name, k->spi_in, o->unique_id);
				return k;
			}
	}
	return NULL;
}

/* c now carries dp_child's outbound traffic: it is the only owner (an SA
 * waiting for the peer's Delete, whose successor was rekeyed in turn,
 * must not take the data plane's child down with it when it goes). */
static void dp_take(struct child_sa *c)
{
	/* the Child SAs that share a data plane child: rekeys and takeovers
	 * of each other, all with the same peer */
	for (struct ikesa *os = c->ike; c->dp_child != UINT32_MAX && os;
	     os = ike_peer_next(c->ike, os))
		for (struct child_sa *k = os->children; k; k = k->next)
			if (k != c && k->dp_owner && k->dp_child == c->dp_child)
				k->dp_owner = false;
	c->dp_owner = true;
}

int ike_child_activate(struct ikesa *sa, struct child_sa *c,
		       struct child_sa *old, bool switch_out)
{
	struct ike_mgr *m = sa->mgr;
	char tl[96], tr[96], pstr[160];
	struct ike_proposal pp;
	int ret = 0;

	if (!old) {
		old = takeover(sa, c);
		/* as responder, wait until the initiator has the new SA too:
		 * it replaces the old one when that one goes (its IKE SA is
		 * deleted, or the grace period ends) */
		if (old && !switch_out)
			old->successor = c;
	}
	if (old) {
		old->replaced_at = ike_now();
		ike_sa_kick(old->ike);
		c->dp_child = old->dp_child;
		if (m->io.child_rekeyed)
			ret = m->io.child_rekeyed(m->io.ctx, old, c, switch_out);
		if (ret == 0 && switch_out) {
			old->dp_owner = false;
			dp_take(c);
		}
	} else {
		if (m->io.child_up)
			ret = m->io.child_up(m->io.ctx, c);
		c->dp_owner = ret == 0;
	}
	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "Child SA %s: the data plane refused it", c->name);
		c->dp_owner = false;
		ike_child_remove(sa, c);
		return -EIO;
	}
	ike_child_state(c, CHILD_INSTALLED);
	child_unexpect(c);
	if (!old)
		ike_child_retry_clear(sa, c->name);   /* its refusals are over */
	ike_prop_choice_to_sa(&c->prop, NULL, 0, &pp);
	ike_sa_log(sa, IPX_LOG_INFO,
		   "Child SA %s %s: SPIs %08x in, %08x out, %s%s, %s%s === %s%s%s",
		   c->name, old ? "rekeyed" : "established", c->spi_in, c->spi_out,
		   ike_prop_str(&pp, pstr, sizeof(pstr)), c->prop.esn ? " ESN" : "",
		   ike_ts_str(&c->ts_l[0], tl, sizeof(tl)), c->n_ts_l > 1 ? " ..." : "",
		   ike_ts_str(&c->ts_r[0], tr, sizeof(tr)), c->n_ts_r > 1 ? " ..." : "",
		   sa->natt ? " (UDP-encapsulated)" : "");
	if (m->io.event)
		m->io.event(m->io.ctx, sa, c, old ? "rekeyed" : "up");
	return 0;
}

/* The SA that carries the traffic when c goes takes over now: a rekeyed
 * successor instead of the policy going away (after a rekey collision,
 * the peer's new SA). */
static void hand_over(struct ike_mgr *m, struct child_sa *c)
{
	if (!c->successor && c->collision && c->collision->state != CHILD_NEW)
		c->successor = c->collision;
	if (c->dp_owner && c->successor && c->successor->state != CHILD_NEW &&
	    m->io.child_rekeyed &&
	    m->io.child_rekeyed(m->io.ctx, c, c->successor, true) == 0) {
		c->dp_owner = false;
		dp_take(c->successor);
	}
}

bool ike_child_linger(struct ikesa *sa, struct child_sa *c)
{
	hand_over(sa->mgr, c);
	if (c->state == CHILD_NEW || !c->replaced_at || c->dp_owner)
		return false;
	ike_child_state(c, CHILD_LINGERING);
	c->rekeying = false;
	if (!c->linger_until)
		c->linger_until = ike_now() + IKE_CHILD_LINGER_S;
	return true;
}

void ike_child_remove(struct ikesa *sa, struct child_sa *c)
{
	struct ike_mgr *m = sa->mgr;
	struct child_sa **p;

	hand_over(m, c);
	if (c->dp_owner) {
		if (m->io.child_down)
			m->io.child_down(m->io.ctx, c);
		if (m->io.event)
			m->io.event(m->io.ctx, sa, c, "down");
	} else if (c->state != CHILD_NEW && m->io.child_retire) {
		m->io.child_retire(m->io.ctx, c);
	}
	if (c->eng_out != IPX_SA_NONE)
		ipx_sa_delete(m->eng, c->eng_out);
	if (c->eng_in != IPX_SA_NONE)
		ipx_sa_delete(m->eng, c->eng_in);
	for (p = &sa->children; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	/* nothing may keep pointing at it (a successor may live in another
	 * IKE SA of the same peer after a reauthentication) */
	for (struct ikesa *os = sa; os; os = ike_peer_next(sa, os))
		for (struct child_sa *o = os->children; o; o = o->next) {
			if (o->successor == c)
				o->successor = NULL;
			if (o->collision == c)
				o->collision = NULL;
		}
	if (sa->cc.old == c)
		sa->cc.old = NULL;
	if (c->state != CHILD_NEW)
		ike_sa_log(sa, IPX_LOG_INFO, "Child SA %s deleted (SPIs %08x in, %08x out)",
			   c->name, c->spi_in, c->spi_out);
	ike_child_free(c);
}

struct child_sa *ike_child_by_spi_out(struct ikesa *sa, uint32_t spi)
{
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (c->spi_out == spi)
			return c;
	return NULL;
}
