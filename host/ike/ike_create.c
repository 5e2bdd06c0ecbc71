/*
 * CREATE_CHILD_SA (RFC 7296 1.3): additional Child SAs, Child SA rekeying
 * (1.3.3) with optional PFS, IKE SA rekeying (1.3.2, 2.18), both roles, and
 * simultaneous rekeys resolved by the nonce rule of 2.8.1.
 *
 * Make before break: the new SA carries traffic before the old one goes.
 * The initiator of a rekey switches its outbound traffic to the new SA as
 * soon as the answer is in and then deletes the old SA; the responder
 * accepts the new inbound SA at once but sends on the old one until the
 * initiator's Delete for it arrives (so nothing is sent on an SA the peer
 * cannot read yet).  Inbound packets still in flight on the old SA are
 * accepted until it is deleted.
 *
 * Collisions (2.8.1): when both ends rekey the same SA at once, both
 * exchanges complete and make two new SAs.  The one made by the exchange
 * holding the lowest of the four nonces is redundant and is deleted by the
 * end that initiated that exchange; the end that initiated the other one
 * deletes the old SA.  Both ends reach the same verdict on their own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

#define KE_BUF 1024

int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	/* as unsigned big-endian numbers: a shorter nonce is padded with
	 * leading zeros (strongSwan compares the common prefix the same) */
	size_t n = al < bl ? al : bl;
	int r = memcmp(a, b, n);

	if (r)
		return r;
	return al < bl ? -1 : al > bl;
}

/* The lower of an exchange's two nonces. */
static void min_nonce(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
		      uint8_t *out, size_t *ol)
{
	if (ike_nonce_cmp(a, al, b, bl) <= 0) {
		memcpy(out, a, al);
		*ol = al;
	} else {
		memcpy(out, b, bl);
		*ol = bl;
	}
}

/* min_nonce into *keep, allocated the first time: a collision is rare,
 * and the nonce's room is not worth carrying in every SA.  Without
 * memory the length is 0: the decision of 2.8.1 may keep both SAs, and
 * the redundant one goes with the grace period. */
static void keep_min_nonce(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
			   uint8_t **keep, size_t *len)
{
	*len = 0;
	if (!*keep)
		*keep = malloc(IKE_NONCE_MAX);
	if (*keep)
		min_nonce(a, al, b, bl, *keep, len);
}

/* The key exchange group of a child's first ESP proposal that has one
 * (PFS), or none. */
static uint16_t pfs_group(const struct cfg_child *cfg)
{
	for (unsigned i = 0; cfg && i < cfg->n_esp; i++)
		for (unsigned k = 0; k < cfg->esp[i].n_xf; k++)
			if (cfg->esp[i].xf[k].type == IKEV2_XF_DH)
				return cfg->esp[i].xf[k].id;
	return IKEV2_DH_NONE;
}

static int add_ke(struct ike_msg *m, struct ike_dh *dh, uint8_t *buf, size_t cap)
{
	struct ike_pld *p;
	size_t len;
	int ret = ike_dh_public(dh, buf, cap, &len);

	if (ret < 0)
		return ret;
	p = ike_msg_add(m, IKEV2_PL_KE, true);
	if (!p)
		return -ENOSPC;
	p->u.ke.group = ike_dh_group(dh);
	p->u.ke.data = buf;
	p->u.ke.len = len;
	return 0;
}

static int add_nonce(struct ike_msg *m, const uint8_t *n, size_t len)
{
	struct ike_pld *p = ike_msg_add(m, IKEV2_PL_NONCE, true);

	if (!p)
		return -ENOSPC;
	p->u.nonce.data = n;
	p->u.nonce.len = len;
	return 0;
}

static const struct ike_notify *inner_error(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_pld; i++)
		if (m->pld[i].type == IKEV2_PL_NOTIFY && m->pld[i].inner &&
		    m->pld[i].u.n.type < 16384)
			return &m->pld[i].u.n;
	return NULL;
}

/* ---- initiator: Child SAs ---- */

static int cc_response(struct ikesa *sa, struct ike_msg *m);

static int child_request(struct ikesa *sa, const struct cfg_child *cfg,
			 struct child_sa *old)
{
	static uint8_t ke[KE_BUF];
	static uint8_t rekey_spi[4];
	struct ike_msg *m = sa->mgr->omsg;
	struct child_sa *c;
	uint16_t group = pfs_group(cfg);
	int ret;

	if (sa->out.w.buf || sa->state != IKE_ESTABLISHED)
		return -EBUSY;
	c = ike_child_new(sa, cfg);
	if (!c)
		return -ENOMEM;
	if (old) {
		/* a rekey keeps the selectors and the mode (1.3.3) */
		if (old->n_ts_l && old->n_ts_r &&
		    ike_child_set_ts(c, old->ts_l, old->n_ts_l, old->ts_r,
				     old->n_ts_r) < 0) {
			ike_child_free(c);
			return -ENOMEM;
		}
		c->mode = old->mode;
	}
	sa->cc.kind = old ? CC_REKEY_CHILD : CC_NEW_CHILD;
	sa->cc.child = c;
	sa->cc.old = old;
	sa->cc.nonce_len = IKE_NONCE_LEN;
	ret = ike_random(sa->cc.nonce, sa->cc.nonce_len);
	if (ret == 0 && group)
		ret = ike_dh_new(group, &sa->cc.dh);
	if (ret < 0)
		goto fail;
	ike_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, false, sa->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	if (old) {
		/* the SPI we receive on names the SA (3.10.1) */
		ipx_st32(rekey_spi, old->spi_in);
		if (ike_msg_add_notify(m, true, IKEV2_PROTO_ESP, rekey_spi, 4,
				       IKEV2_N_REKEY_SA, NULL, 0) < 0) {
			ret = -ENOSPC;
			goto fail;
		}
	}
	ret = ike_child_add_request(sa, c, m, true);
	if (ret == 0)
		ret = add_nonce(m, sa->cc.nonce, sa->cc.nonce_len);
	if (ret == 0 && sa->cc.dh)
		ret = add_ke(m, sa->cc.dh, ke, sizeof(ke));
	if (ret < 0)
		goto fail;
	/* SA, Nonce, KE and TS must come in the order of 1.3: the SA was
	 * added before the TS by ike_child_add_request; fine for parsers,
	 * which take any order (3.2) */
	ret = ike_send_request(sa, m, cc_response);
	if (ret < 0)
		goto fail;
	if (old)
		old->rekeying = true;
	ike_sa_log(sa, IPX_LOG_INFO, "%s Child SA %s%s", old ? "rekeying" : "creating",
		   cfg->name, group ? " (PFS)" : "");
	return 0;
fail:
	sa->cc.old = NULL;
	ike_dh_free(sa->cc.dh);
	ike_child_free(c);
	memset(&sa->cc, 0, sizeof(sa->cc));
	return ret;
}

int ike_create_child_start(struct ikesa *sa, const struct cfg_child *cfg)
{
	return child_request(sa, cfg, NULL);
}

int ike_rekey_child_start(struct ikesa *sa, struct child_sa *old)
{
	const struct cfg_child *cfg = ike_child_cfg(old);

	if (!cfg)
		return -ENOENT;  /* its configuration is gone: let it expire */
	return child_request(sa, cfg, old);
}

/* The answer's KE and Nonce: the PFS secret into *dh.  0 or a notify. */
static uint16_t answer_nonce_ke(struct ikesa *sa, const struct ike_msg *m,
				struct ike_dh *dh, const uint8_t **nr, size_t *nr_len)
{
	const struct ike_pld *np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	const struct ike_pld *kep = ike_msg_get(m, IKEV2_PL_KE, 0);
	const char *why = NULL;

	if (!np || np->u.nonce.len < 16 || np->u.nonce.len > IKE_NONCE_MAX)
		return IKEV2_N_INVALID_SYNTAX;
	*nr = np->u.nonce.data;
	*nr_len = np->u.nonce.len;
	if (dh) {
		if (!kep || kep->u.ke.group != ike_dh_group(dh))
			return IKEV2_N_INVALID_KE_PAYLOAD;
		if (ike_dh_compute(dh, kep->u.ke.data, kep->u.ke.len, &why) < 0) {
			ike_sa_log(sa, IPX_LOG_WARN, "peer's KE rejected: %s", why ? why : "?");
			return IKEV2_N_INVALID_SYNTAX;
		}
	}
	return 0;
}

static int child_response(struct ikesa *sa, struct ike_msg *m)
{
	struct child_sa *c = sa->cc.child, *old = sa->cc.old;
	const struct ike_notify *err = inner_error(m);
	const uint8_t *nr, *gir = NULL;
	size_t nr_len, gir_len = 0;
	bool pfs_chosen;
	uint16_t n;

	if (!c) {
		ike_sa_log(sa, IPX_LOG_WARN, "CREATE_CHILD_SA answer without its request's state: ignored");
		goto out;
	}

	sa->cc.child = NULL;
	sa->cc.old = NULL;
	if (old)
		old->rekeying = false;
	if (err && sa->cc.kind == CC_NEW_CHILD && err->type != IKEV2_N_TEMPORARY_FAILURE) {
		char why[96];

		/* a refusal: what we offered, and the back-off */
		snprintf(why, sizeof(why), "%s from the peer", ikev2_notify_name(err->type));
		ike_child_failed(sa, c, why);
		ike_child_free(c);
		goto out;
	}
	if (err) {
		/* old may be gone already: the peer deleted it meanwhile */
		ike_sa_log(sa, sa->cc.kind == CC_REKEY_CHILD ? IPX_LOG_INFO : IPX_LOG_WARN,
			   "Child SA %s %s refused: %s", c->name,
			   sa->cc.kind == CC_REKEY_CHILD ? "rekey" : "creation",
			   ikev2_notify_name(err->type));
		if (old && err->type == IKEV2_N_CHILD_SA_NOT_FOUND &&
		    !old->successor && !old->replaced_at && !old->collision) {
			/* the peer has no such SA (its Delete crossed ours or
			 * was lost): a new Child SA with the same
			 * configuration takes over from it, make before
			 * break, and it goes after the grace period */
			old->gone_at_peer = true;
			old->rekey_at = ike_now();
		} else if (old && (err->type == IKEV2_N_TEMPORARY_FAILURE ||
				   err->type == IKEV2_N_CHILD_SA_NOT_FOUND)) {
			/* the peer is rekeying or deleting it: look again
			 * shortly (2.25); if the peer's rekey of it won, its
			 * new SA takes over when old is deleted */
			old->rekey_at = ike_now() + 2;
		} else if (sa->cc.kind == CC_NEW_CHILD && err->type == IKEV2_N_TEMPORARY_FAILURE) {
			/* (dropped by then if a reload removed it) */
			ike_retry_schedule(sa->mgr, sa->conn_name, c->name, 5);
		}
		ike_child_free(c);
		goto out;
	}
	n = ike_child_check_reply(sa, c, m);
	pfs_chosen = c->prop.dh != IKEV2_DH_NONE;
	if (!n)
		n = answer_nonce_ke(sa, m, pfs_chosen ? sa->cc.dh : NULL, &nr, &nr_len);
	if (!n && pfs_chosen && (!sa->cc.dh || c->prop.dh != ike_dh_group(sa->cc.dh)))
		n = IKEV2_N_INVALID_KE_PAYLOAD;
	if (n) {
		char why[96];

		snprintf(why, sizeof(why), "unusable answer from the peer (%s)",
			 ikev2_notify_name(n));
		if (old)
			ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s: %s", c->name, why);
		else
			ike_child_failed(sa, c, why);
		ike_child_free(c);
		goto out;
	}
	if (pfs_chosen)
		gir = ike_dh_secret(sa->cc.dh, &gir_len);
	if (ike_child_install(sa, c, true, sa->cc.nonce, sa->cc.nonce_len, nr, nr_len,
			      gir, gir_len) < 0) {
		if (!old)
			ike_child_failed(sa, c, "the ESP engine refused its SAs");
		ike_child_free(c);
		goto out;
	}
	if (!old) {
		ike_child_activate(sa, c, NULL, true);
		goto out;
	}
	sa->mgr->st.child_rekeys++;
	if (!old->collision && !old->dp_owner && old->replaced_at) {
		/* while our rekey was in flight another SA took old's place
		 * in the data plane (the new IKE SA of a reauthentication,
		 * or a Child SA the peer made): c is not wanted.  The peer
		 * has it, so it is installed for what is already on its way
		 * and deleted; taking the data plane back for c would leave
		 * the traffic on an SA that goes with this IKE SA. */
		ike_sa_log(sa, IPX_LOG_INFO,
			   "Child SA %s: SPI %08x was replaced while we rekeyed it: deleting the new SA",
			   c->name, old->spi_in);
		if (ike_child_activate(sa, c, old, false) == 0)
			ike_info_delete_child(sa, c);
		goto out;
	}
	if (old->collision) {
		/* 2.8.1: both rekeyed old.  Ours made c, theirs made
		 * old->collision; the exchange with the lowest nonce made the
		 * redundant SA, which its initiator deletes */
		uint8_t ours[IKE_NONCE_MAX];
		size_t ol;
		struct child_sa *theirs = old->collision;

		min_nonce(sa->cc.nonce, sa->cc.nonce_len, nr, nr_len, ours, &ol);
		old->collision = NULL;
		if (ike_nonce_cmp(ours, ol, old->coll_nonce, old->coll_nonce_len) < 0) {
			ike_sa_log(sa, IPX_LOG_INFO,
				   "Child SA %s: simultaneous rekey, ours is redundant (lower nonce): deleting it",
				   c->name);
			ike_child_activate(sa, c, old, false);
			/* theirs takes over when they delete old */
			old->successor = theirs;
			ike_info_delete_child(sa, c);
		} else {
			ike_sa_log(sa, IPX_LOG_INFO,
				   "Child SA %s: simultaneous rekey, theirs is redundant: keeping ours",
				   c->name);
			ike_child_activate(sa, c, old, true);
			old->successor = NULL;
			old->rekeyed = true;
			ike_info_delete_child(sa, old);
		}
		(void)theirs;
		goto out;
	}
	/* make before break: c carries the traffic, then old goes */
	if (ike_child_activate(sa, c, old, true) == 0) {
		old->rekeyed = true;
		ike_info_delete_child(sa, old);
	}
out:
	ike_dh_free(sa->cc.dh);
	OPENSSL_cleanse(&sa->cc, sizeof(sa->cc));
	return 0;
}

/* ---- initiator: the IKE SA ---- */

static int ike_rekey_response(struct ikesa *sa, struct ike_msg *m);

int ike_rekey_ike_start(struct ikesa *sa)
{
	static uint8_t ke[KE_BUF];
	struct ike_msg *m = sa->mgr->omsg;
	struct ike_proposal props[IKE_MSG_MAX_PROPS];
	struct ikesa *n;
	struct ike_pld *p;
	/* the group of the SA, or the one the peer asked for last time */
	uint16_t group = sa->dh_group ? sa->dh_group : sa->prop.dh;
	int ret;

	if (sa->out.w.buf || sa->state != IKE_ESTABLISHED || !sa->conn)
		return -EBUSY;
	/* the rekey initiator is the new SA's original initiator (2.18) */
	n = ike_sa_new(sa->mgr, true);
	if (!n)
		return -ENOMEM;
	n->conn = sa->conn;
	snprintf(n->conn_name, sizeof(n->conn_name), "%s", sa->conn_name);
	if (ike_peer_id_copy(&n->peer_id, &sa->peer_id) < 0) {
		ike_sa_destroy(n);
		return -ENOMEM;
	}
	ike_sa_peer_file(n);   /* with sa, which points at it */
	ike_sa_state(n, IKE_CONNECTING);
	ret = ike_spi_new(n->spi_i);
	sa->cc.kind = CC_REKEY_IKE;
	sa->cc.new_ike = n;
	sa->cc.nonce_len = IKE_NONCE_LEN;
	if (ret == 0)
		ret = ike_random(sa->cc.nonce, sa->cc.nonce_len);
	if (ret == 0)
		ret = ike_dh_new(group, &sa->cc.dh);
	if (ret == 0)
		ret = ike_prop_to_sa(sa->conn->ike, sa->conn->n_ike, n->spi_i, 8, props);
	if (ret < 0)
		goto fail;
	ike_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, false, sa->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	if (!p) {
		ret = -ENOSPC;
		goto fail;
	}
	p->u.sa.props = props;
	p->u.sa.n_props = sa->conn->n_ike;
	ret = add_nonce(m, sa->cc.nonce, sa->cc.nonce_len);
	if (ret == 0)
		ret = add_ke(m, sa->cc.dh, ke, sizeof(ke));
	if (ret == 0)
		ret = ike_send_request(sa, m, ike_rekey_response);
	if (ret < 0)
		goto fail;
	sa->rekeying = true;
	ike_sa_log(sa, IPX_LOG_INFO, "rekeying the IKE SA");
	return 0;
fail:
	ike_dh_free(sa->cc.dh);
	sa->cc.dh = NULL;
	sa->cc.new_ike = NULL;
	ike_sa_destroy(n);
	memset(&sa->cc, 0, sizeof(sa->cc));
	return ret;
}

/* Keys of a rekeyed IKE SA (2.18) and what it inherits from the old one. */
static int ike_successor(struct ikesa *old, struct ikesa *n,
			 const struct ike_prop_choice *choice, struct ike_dh *dh,
			 const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			 size_t nr_len)
{
	struct ike_kdf_in kin;
	int ret;

	memset(&kin, 0, sizeof(kin));
	kin.prf = choice->prf;
	kin.encr = choice->encr;
	kin.encr_bits = choice->encr_bits;
	kin.integ = choice->integ;
	kin.g_ir = ike_dh_secret(dh, &kin.g_ir_len);
	kin.ni = ni;
	kin.ni_len = ni_len;
	kin.nr = nr;
	kin.nr_len = nr_len;
	kin.spi_i = n->spi_i;
	kin.spi_r = n->spi_r;
	kin.old_prf = old->prop.prf;
	kin.old_sk_d = old->keys.sk_d;
	kin.old_sk_d_len = old->keys.prf_len;
	ret = ike_sa_keys_derive(&kin, &n->keys);
	if (ret < 0)
		return ret;
	n->keys_ok = true;
	n->prop = *choice;
	n->dh_group = choice->dh;
	n->local = old->local;
	n->remote = old->remote;
	n->natt = old->natt;
	n->nat_here = old->nat_here;
	n->nat_there = old->nat_there;
	n->frag_ok = old->frag_ok;
	/* (n->peer_id: its callers copied old's when they made n) */
	/* (the nonces went into its keys; its Child SAs take theirs from
	 * their own exchanges, 2.17: n keeps none) and a fresh start (2.18) */
	n->req_next = n->resp_next = 0;
	ike_sa_rehash(n);
	return 0;
}

static void move_children(struct ikesa *from, struct ikesa *to)
{
	while (from->children) {
		struct child_sa *c = from->children;

		from->children = c->next;
		c->ike = to;
		c->next = to->children;
		to->children = c;
	}
}

static void ike_rekeyed(struct ikesa *old, struct ikesa *n)
{
	ike_child_retry_copy(old, n);   /* Child SAs refused stay so */
	ike_sa_state(n, IKE_ESTABLISHED);
	n->established = n->last_activity = ike_now();
	ike_sa_set_timers(n);
	/* a rekey is not a reauthentication: that stays due when it was */
	n->reauth_at = old->reauth_at;
	ike_sa_replaced(old, n);
	old->mgr->st.ike_rekeys++;
	ike_sa_log(n, IPX_LOG_INFO, "IKE SA rekeyed: SPIs %02x%02x%02x%02x..._i %02x%02x%02x%02x..._r replace IKE SA %u",
		   n->spi_i[0], n->spi_i[1], n->spi_i[2], n->spi_i[3],
		   n->spi_r[0], n->spi_r[1], n->spi_r[2], n->spi_r[3], old->unique_id);
}

static int ike_rekey_response(struct ikesa *sa, struct ike_msg *m)
{
	struct ikesa *n = sa->cc.new_ike;
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_notify *err = inner_error(m);
	struct ike_proposal offered[IKE_MSG_MAX_PROPS];
	struct ike_sa offered_sa;
	struct ike_prop_choice choice;
	const uint8_t *nr;
	size_t nr_len;
	const char *why = NULL;
	uint16_t e;

	sa->rekeying = false;
	sa->cc.new_ike = NULL;
	if (!n) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA rekey answer without its request's state: ignored");
		goto out;
	}
	if (err || !sap || !sa->conn) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA rekey refused: %s",
			   err ? ikev2_notify_name(err->type) : "no SA payload");
		ike_sa_destroy(n);
		sa->rekey_at = ike_now() + 5;
		if (err && err->type == IKEV2_N_INVALID_KE_PAYLOAD && err->len == 2) {
			/* 1.3.2, 2.7: again at once, with the group asked for */
			sa->dh_group = ipx_ld16(err->data);
			sa->rekey_at = ike_now();
		}
		goto out;
	}
	offered_sa.props = offered;
	offered_sa.n_props = sa->conn->n_ike;
	if (ike_prop_to_sa(sa->conn->ike, sa->conn->n_ike, n->spi_i, 8, offered) < 0 ||
	    ike_prop_check_reply(&offered_sa, &sap->u.sa, &choice, &why) < 0 ||
	    choice.spi_size != 8) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA rekey: bad answer: %s", why ? why : "?");
		ike_sa_destroy(n);
		goto out;
	}
	e = answer_nonce_ke(sa, m, sa->cc.dh, &nr, &nr_len);
	if (e || choice.dh != ike_dh_group(sa->cc.dh)) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA rekey: unusable answer (%s)",
			   ikev2_notify_name(e ? e : IKEV2_N_INVALID_KE_PAYLOAD));
		ike_sa_destroy(n);
		goto out;
	}
	memcpy(n->spi_r, choice.spi, 8);
	if (ike_successor(sa, n, &choice, sa->cc.dh, sa->cc.nonce, sa->cc.nonce_len,
			  nr, nr_len) < 0) {
		ike_sa_destroy(n);
		goto out;
	}
	ike_rekeyed(sa, n);
	if (sa->collision) {
		/* 2.8.1: both rekeyed this IKE SA */
		uint8_t ours[IKE_NONCE_MAX];
		size_t ol;
		struct ikesa *theirs = sa->collision;

		min_nonce(sa->cc.nonce, sa->cc.nonce_len, nr, nr_len, ours, &ol);
		sa->collision = NULL;
		if (ike_nonce_cmp(ours, ol, sa->coll_nonce, sa->coll_nonce_len) < 0) {
			ike_sa_log(n, IPX_LOG_INFO,
				   "simultaneous IKE rekey, ours is redundant (lower nonce): deleting it");
			ike_sa_replaced(sa, theirs);
			ike_sa_replaced(n, theirs);
			ike_info_delete_ike(n);
		} else {
			ike_sa_log(n, IPX_LOG_INFO,
				   "simultaneous IKE rekey, theirs is redundant: keeping ours");
			move_children(theirs, n);
			ike_sa_replaced(theirs, n);
			ike_info_delete_ike(sa);
		}
		goto out;
	}
	move_children(sa, n);
	ike_info_delete_ike(sa);
out:
	ike_dh_free(sa->cc.dh);
	OPENSSL_cleanse(&sa->cc, sizeof(sa->cc));
	return 0;
}

static int cc_response(struct ikesa *sa, struct ike_msg *m)
{
	if (sa->cc.kind == CC_REKEY_IKE)
		return ike_rekey_response(sa, m);
	return child_response(sa, m);
}

/* ---- responder ---- */

static int respond_error(struct ikesa *sa, uint32_t id, uint16_t notify,
			 const uint8_t *data, size_t len)
{
	return ike_send_error_response(sa, IKEV2_EXCH_CREATE_CHILD_SA, id, notify, data, len);
}

/* The KE of a request for the chosen group: *dh made and computed, or the
 * notify (INVALID_KE_PAYLOAD with the group we want: 1.3, 2.7). */
static uint16_t request_ke(struct ikesa *sa, const struct ike_msg *m,
			   uint16_t group, struct ike_dh **dh)
{
	const struct ike_pld *kep = ike_msg_get(m, IKEV2_PL_KE, 0);
	const char *why = NULL;

	*dh = NULL;
	if (!group)
		return 0;
	if (!kep || kep->u.ke.group != group)
		return IKEV2_N_INVALID_KE_PAYLOAD;
	if (ike_dh_new(group, dh) < 0)
		return IKEV2_N_TEMPORARY_FAILURE;
	if (ike_dh_compute(*dh, kep->u.ke.data, kep->u.ke.len, &why) < 0) {
		ike_sa_log(sa, IPX_LOG_WARN, "peer's KE rejected: %s", why ? why : "?");
		ike_dh_free(*dh);
		*dh = NULL;
		return IKEV2_N_INVALID_SYNTAX;
	}
	return 0;
}

static int respond_rekey_ike(struct ikesa *sa, struct ike_msg *m)
{
	static uint8_t ke[KE_BUF];
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_pld *np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	struct ike_msg *r = sa->mgr->omsg;
	struct ike_prop_choice choice;
	struct ike_proposal prop;
	struct ike_dh *dh = NULL;
	struct ikesa *n = NULL;
	uint8_t nonce[IKE_NONCE_LEN], g[2];
	struct ike_pld *p;
	uint16_t e;

	if (!sa->conn || sa->state != IKE_ESTABLISHED)
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
	if (sa->out.w.buf && sa->cc.kind != CC_REKEY_IKE && !sa->out.liveness) {
		/* 2.25.2: we are creating, rekeying or deleting a Child SA
		 * of this IKE SA; the peer tries again later */
		ike_sa_log(sa, IPX_LOG_INFO, "IKE SA rekey while a Child SA exchange is in flight: TEMPORARY_FAILURE");
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (!np || np->u.nonce.len < 16 || np->u.nonce.len > IKE_NONCE_MAX)
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_INVALID_SYNTAX, NULL, 0);
	if (ike_prop_select(&sap->u.sa, sa->conn->ike, sa->conn->n_ike, &choice) < 0 ||
	    choice.spi_size != 8) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA rekey: no acceptable proposal");
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	e = request_ke(sa, m, choice.dh, &dh);
	if (e) {
		ipx_st16(g, choice.dh);
		return respond_error(sa, m->hdr.msg_id, e,
				     e == IKEV2_N_INVALID_KE_PAYLOAD ? g : NULL,
				     e == IKEV2_N_INVALID_KE_PAYLOAD ? 2 : 0);
	}
	n = ike_sa_new(sa->mgr, false);
	if (!n || ike_spi_new(n->spi_r) < 0 || ike_random(nonce, sizeof(nonce)) < 0)
		goto fail;
	n->conn = sa->conn;
	snprintf(n->conn_name, sizeof(n->conn_name), "%s", sa->conn_name);
	if (ike_peer_id_copy(&n->peer_id, &sa->peer_id) < 0)
		goto fail;
	ike_sa_peer_file(n);   /* with sa, which may point at it (collision) */
	ike_sa_state(n, IKE_CONNECTING);   /* until our answer is out */
	memcpy(n->spi_i, choice.spi, 8);
	if (ike_successor(sa, n, &choice, dh, np->u.nonce.data, np->u.nonce.len,
			  nonce, sizeof(nonce)) < 0)
		goto fail;
	ike_msg_start(sa, r, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id);
	ike_msg_add(r, IKEV2_PL_SK, false);
	p = ike_msg_add(r, IKEV2_PL_SA, true);
	if (!p)
		goto fail;
	ike_prop_choice_to_sa(&choice, n->spi_r, 8, &prop);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	if (add_nonce(r, nonce, sizeof(nonce)) < 0 || add_ke(r, dh, ke, sizeof(ke)) < 0)
		goto fail;
	if (sa->rekeying) {
		/* 2.8.1: our own rekey of this SA is in flight */
		ike_sa_log(sa, IPX_LOG_INFO, "simultaneous IKE SA rekey (2.8.1)");
		sa->mgr->st.collisions++;
		sa->collision = n;
		keep_min_nonce(np->u.nonce.data, np->u.nonce.len, nonce, sizeof(nonce),
			       &sa->coll_nonce, &sa->coll_nonce_len);
	}
	if (ike_send_response(sa, r) < 0)
		goto fail;
	ike_rekeyed(sa, n);
	/* the initiator of the rekey deletes the old SA; until then it stays */
	move_children(sa, n);
	ike_dh_free(dh);
	return 0;
fail:
	ike_dh_free(dh);
	if (n)
		ike_sa_destroy(n);
	return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
}

/* Child SAs of sa that count against max_child_sas: not replaced by a
 * rekey, not being deleted. */
static unsigned live_children(const struct ikesa *sa)
{
	unsigned n = 0;

	for (const struct child_sa *c = sa->children; c; c = c->next)
		n += !c->replaced_at && !c->rekeyed && !ike_child_going(c);
	return n;
}

int ike_create_child_respond(struct ikesa *sa, struct ike_msg *m)
{
	static uint8_t ke[KE_BUF];
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_pld *np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	const struct ike_notify *rk = ike_msg_notify(m, IKEV2_N_REKEY_SA);
	struct ike_msg *r = sa->mgr->omsg;
	struct child_sa *old = NULL, *c = NULL;
	struct ike_dh *dh = NULL;
	const char *refused = NULL;
	uint8_t nonce[IKE_NONCE_LEN], g[2];
	const uint8_t *gir = NULL;
	size_t gir_len = 0;
	uint16_t e;

	if (!sap || !np || np->u.nonce.len < 16 || np->u.nonce.len > IKE_NONCE_MAX)
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_INVALID_SYNTAX, NULL, 0);
	if (sap->u.sa.n_props && sap->u.sa.props[0].proto == IKEV2_PROTO_IKE)
		return respond_rekey_ike(sa, m);
	if (sa->conn && sa->state == IKE_AUTHENTICATING) {
		/* the peer answered our IKE_AUTH and holds the IKE SA as
		 * established, but its answer has not reached us (lost; our
		 * retransmission will fetch it).  NO_ADDITIONAL_SAS would say
		 * we take no more Child SAs on this IKE SA at all, and
		 * strongSwan answers that, for a rekey, by reauthenticating:
		 * the whole tunnel goes down.  Ask it to try again (2.25) */
		ike_sa_log(sa, IPX_LOG_INFO,
			   "CREATE_CHILD_SA request before the answer to our IKE_AUTH: TEMPORARY_FAILURE");
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (sa->rekeying || sa->state == IKE_REKEYED) {
		/* 2.25.2: the IKE SA is being rekeyed: ask again on the new one */
		ike_sa_log(sa, IPX_LOG_INFO, "Child SA request while the IKE SA is rekeyed: TEMPORARY_FAILURE");
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (!sa->conn || sa->state != IKE_ESTABLISHED)
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
	if (rk) {
		uint32_t spi = rk->spi_size == 4 ? ipx_ld32(rk->spi) : 0;

		old = ike_child_by_spi_out(sa, spi);
		if (!old && sa->cc.child) {
			/* our own CREATE_CHILD_SA is in flight, and the SA
			 * named may be the one it makes: the peer has it, its
			 * answer has not reached us yet.  CHILD_SA_NOT_FOUND
			 * would make the peer drop it (and strongSwan start
			 * another); ask it to try again later (2.25) */
			ike_sa_log(sa, IPX_LOG_INFO,
				   "rekey of Child SA %08x while our Child SA request is in flight: TEMPORARY_FAILURE",
				   spi);
			return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		}
		if (!old || ike_child_deleted(old)) {
			ike_sa_log(sa, IPX_LOG_INFO, "rekey of unknown Child SA %08x: CHILD_SA_NOT_FOUND",
				   spi);
			return respond_error(sa, m->hdr.msg_id, IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
		}
		if (old->rekeyed || old->replaced_at || old->successor) {
			/* already replaced: the peer lost our Delete race */
			return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		}
	}
	if (!old && sa->conn->max_child_sas && live_children(sa) >= sa->conn->max_child_sas) {
		/* what one authenticated peer may hold in the engine */
		ike_sa_log(sa, IPX_LOG_WARN,
			   "the peer asks for a Child SA beyond max_child_sas (%u): NO_ADDITIONAL_SAS",
			   sa->conn->max_child_sas);
		sa->mgr->st.child_sa_limit++;
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
	}
	ike_msg_start(sa, r, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id);
	ike_msg_add(r, IKEV2_PL_SK, false);
	e = ike_child_respond(sa, m, r, &c, true, old, &refused);
	if (e) {
		if (!old && refused)
			ike_child_refused_event(sa, refused, m);
		return respond_error(sa, m->hdr.msg_id, e, NULL, 0);
	}
	if (old) {
		/* a rekey keeps what the child had */
		c->mode = old->mode;
	}
	e = request_ke(sa, m, c->prop.dh, &dh);
	if (e) {
		ipx_st16(g, c->prop.dh);
		ike_child_free(c);
		return respond_error(sa, m->hdr.msg_id, e,
				     e == IKEV2_N_INVALID_KE_PAYLOAD ? g : NULL,
				     e == IKEV2_N_INVALID_KE_PAYLOAD ? 2 : 0);
	}
	if (ike_random(nonce, sizeof(nonce)) < 0 ||
	    add_nonce(r, nonce, sizeof(nonce)) < 0 ||
	    (dh && add_ke(r, dh, ke, sizeof(ke)) < 0)) {
		ike_dh_free(dh);
		ike_child_free(c);
		return respond_error(sa, m->hdr.msg_id, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
	}
	if (ike_send_response(sa, r) < 0) {
		ike_dh_free(dh);
		ike_child_free(c);
		return -EIO;
	}
	if (dh)
		gir = ike_dh_secret(dh, &gir_len);
	if (ike_child_install(sa, c, false, np->u.nonce.data, np->u.nonce.len, nonce,
			      sizeof(nonce), gir, gir_len) < 0) {
		ike_dh_free(dh);
		ike_child_free(c);
		return -EIO;
	}
	ike_dh_free(dh);
	if (!old) {
		ike_child_activate(sa, c, NULL, false);
		return 0;
	}
	/* accept c's inbound now; send on it once the old SA is deleted */
	if (ike_child_activate(sa, c, old, false) < 0)
		return -EIO;
	if (old->rekeying) {
		/* 2.8.1: our own rekey of old is in flight */
		ike_sa_log(sa, IPX_LOG_INFO, "Child SA %s: simultaneous rekey (2.8.1)", old->name);
		sa->mgr->st.collisions++;
		old->collision = c;
		keep_min_nonce(np->u.nonce.data, np->u.nonce.len, nonce, sizeof(nonce),
			       &old->coll_nonce, &old->coll_nonce_len);
	} else {
		old->successor = c;
	}
	sa->mgr->st.child_rekeys++;
	return 0;
}
