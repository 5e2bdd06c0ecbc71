/*
 * Holding a tunnel: the responder's requests answered as a peer must
 * (RFC 7296 1.4, 1.3, 2.18), and our own Delete at teardown.
 *
 *   INFORMATIONAL, empty       liveness check (2.4): empty answer
 *   INFORMATIONAL, Delete ESP  1.4.1: our inbound SPIs of those Child SAs
 *   INFORMATIONAL, Delete IKE  1.4.1: empty answer, the tunnel is gone
 *   CREATE_CHILD_SA, REKEY_SA  1.3.3: a new Child SA replacing one
 *   CREATE_CHILD_SA, IKE SA    1.3.2, 2.18: new keys from the old SK_d, the
 *                              responder's new SA replaces ours
 *   CREATE_CHILD_SA, otherwise NO_ADDITIONAL_SAS: one Child SA a tunnel
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

/* Seal the response m of sa, keep it for the peer's retransmissions
 * (2.1), send it. */
static int answer(struct tun *t, struct gsa *sa, struct ike_msg *m)
{
	size_t len;
	int ret = gen_msg_seal(sa, m, &len);

	if (ret < 0)
		return ret;
	free(sa->last_resp);
	sa->last_resp = malloc(len);
	if (sa->last_resp) {
		memcpy(sa->last_resp, G->buf, len);
		sa->last_resp_len = len;
	}
	sa->resp_next++;
	return gen_send(t, G->buf, len);
}

static void drop_child(struct tun *t, unsigned i)
{
	t->ch[i] = t->ch[--t->n_ch];
}

static void ike_gone(struct tun *t, struct gsa *sa)
{
	if (sa != t->sa)
		return; /* the SA a rekey replaced: nothing else goes */
	G->st.deletes++;
	switch (t->state) {
	case T_UP:
		G->st.gone++;
		t->state = T_GONE;
		gen_log(t, "deleted by the responder");
		break;
	case T_DELETING:
		/* our Delete crossed the responder's: it is gone all the
		 * same (1.4.1, 2.8.1's spirit) */
		gen_request_done(t);
		t->state = T_CLOSED;
		G->st.closed++;
		gen_teardown_done(t);
		break;
	case T_CLEANUP:
		gen_cleanup_done(t);
		break;
	}
}

static void informational(struct tun *t, struct gsa *sa, uint32_t id)
{
	const struct ike_msg *in = &G->min;
	struct ike_msg *m = &G->mout;
	uint8_t spis[GEN_CHILD_MAX * 4];
	uint16_t n_spi = 0;
	bool ike = false, any = false;
	struct ike_pld *p;

	for (unsigned i = 0; i < in->n_pld; i++) {
		const struct ike_delete *d;

		if (!in->pld[i].inner)
			continue;
		any = true;
		if (in->pld[i].type != IKEV2_PL_DELETE)
			continue;
		d = &in->pld[i].u.del;
		if (d->proto == IKEV2_PROTO_IKE) {
			ike = true;
			continue;
		}
		if (d->spi_size != 4)
			continue;
		/* their inbound SPIs; ours of the same Child SAs answer */
		for (unsigned k = 0; k < d->n_spi; k++) {
			uint32_t spi = ipx_ld32(d->spis + 4 * k);

			for (unsigned c = 0; c < t->n_ch; c++) {
				if (t->ch[c].spi_out != spi)
					continue;
				ipx_st32(spis + 4 * n_spi++, t->ch[c].spi_in);
				drop_child(t, c);
				G->st.child_deletes++;
				break;
			}
		}
	}
	if (!any)
		G->st.liveness++;
	gen_msg_start(sa, m, IKEV2_EXCH_INFORMATIONAL, true, id);
	ike_msg_add(m, IKEV2_PL_SK, false);
	if (n_spi && !ike) {
		p = ike_msg_add(m, IKEV2_PL_DELETE, true);
		p->u.del.proto = IKEV2_PROTO_ESP;
		p->u.del.spi_size = 4;
		p->u.del.n_spi = n_spi;
		p->u.del.spis = spis;
	}
	answer(t, sa, m);
	if (ike)
		ike_gone(t, sa);
}

/* An error notify as the whole answer to a CREATE_CHILD_SA request. */
static void refuse(struct tun *t, struct gsa *sa, uint32_t id, uint16_t type,
		   const uint8_t *data, size_t len)
{
	struct ike_msg *m = &G->mout;

	gen_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, true, id);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_msg_add_notify(m, true, IKEV2_PROTO_NONE, NULL, 0, type, data, len);
	answer(t, sa, m);
}

static int add_nonce(struct ike_msg *m, uint8_t *nr, size_t len)
{
	struct ike_pld *p = ike_msg_add(m, IKEV2_PL_NONCE, true);
	int ret = ike_random(nr, len);

	p->u.nonce.data = nr;
	p->u.nonce.len = len;
	return ret;
}

/* 1.3.3: the Child SA whose SPI REKEY_SA names (the SPI the responder
 * receives on, ours to send on) gets a successor; its Delete follows. */
static void child_rekey(struct tun *t, struct gsa *sa, uint32_t id, const struct ike_notify *rk)
{
	const struct ike_msg *in = &G->min;
	const struct ike_pld *sap = ike_msg_get(in, IKEV2_PL_SA, 0);
	const struct ike_pld *tsi = ike_msg_get(in, IKEV2_PL_TSI, 0);
	const struct ike_pld *tsr = ike_msg_get(in, IKEV2_PL_TSR, 0);
	struct ike_msg *m = &G->mout;
	struct ike_prop_choice c;
	struct ike_proposal prop;
	uint8_t spi[4], nr[GEN_NONCE_LEN];
	uint32_t old = rk->spi_size == 4 ? ipx_ld32(rk->spi) : 0, spi_in;
	unsigned i;
	struct ike_pld *p;

	for (i = 0; i < t->n_ch && t->ch[i].spi_out != old; i++)
		;
	if (i == t->n_ch) {
		refuse(t, sa, id, IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	if (!tsi || !tsr || ike_prop_select(&sap->u.sa, &G->esp_prop, 1, &c) < 0 ||
	    c.spi_size != 4 || t->n_ch == GEN_CHILD_MAX) {
		refuse(t, sa, id, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (ike_random(spi, 4) < 0)
		return;
	spi[0] |= 0x01;
	spi_in = ipx_ld32(spi);
	gen_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, true, id);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_prop_choice_to_sa(&c, spi, 4, &prop);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	if (add_nonce(m, nr, sizeof(nr)) < 0)
		return;
	/* the selectors it asked for are the ones we hold: taken as they are */
	p = ike_msg_add(m, IKEV2_PL_TSI, true);
	p->u.ts = tsi->u.ts;
	p = ike_msg_add(m, IKEV2_PL_TSR, true);
	p->u.ts = tsr->u.ts;
	if (answer(t, sa, m) < 0)
		return;
	t->ch[t->n_ch].spi_in = spi_in;
	t->ch[t->n_ch].spi_out = ipx_ld32(c.spi);
	t->n_ch++;
	G->st.child_rekeys++;
}

/* 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old
 * PRF; the rekey's initiator is the new SA's original initiator. */
static int rekey_keys(struct gsa *old, struct gsa *n, const struct ike_prop_choice *c,
		      int gi, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		      size_t nr_len)
{
	struct ike_kdf_in kin;
	int ret;

	memset(&kin, 0, sizeof(kin));
	kin.prf = c->prf;
	kin.encr = c->encr;
	kin.encr_bits = c->encr_bits;
	kin.integ = c->integ;
	kin.g_ir = ike_dh_secret(G->dh[gi], &kin.g_ir_len);
	kin.ni = ni;
	kin.ni_len = ni_len;
	kin.nr = nr;
	kin.nr_len = nr_len;
	kin.spi_i = n->spi_i;
	kin.spi_r = n->spi_r;
	kin.old_prf = old->prf;
	kin.old_sk_d = old->keys.sk_d;
	kin.old_sk_d_len = old->keys.prf_len;
	ret = ike_sa_keys_derive(&kin, &n->keys);
	OPENSSL_cleanse(&kin, sizeof(kin));
	if (ret == 0) {
		n->prf = c->prf;
		n->encr = c->encr;
		n->encr_bits = c->encr_bits;
		n->dh = c->dh;
		n->keys_ok = true;
	}
	return ret;
}

static void ike_rekey(struct tun *t, struct gsa *sa, uint32_t id)
{
	const struct ike_msg *in = &G->min;
	const struct ike_pld *sap = ike_msg_get(in, IKEV2_PL_SA, 0);
	const struct ike_pld *kep = ike_msg_get(in, IKEV2_PL_KE, 0);
	const struct ike_pld *np = ike_msg_get(in, IKEV2_PL_NONCE, 0);
	struct ike_msg *m = &G->mout;
	struct ike_prop_choice c;
	struct ike_proposal prop;
	uint8_t nr[GEN_NONCE_LEN], want[2];
	struct gsa *n;
	struct ike_pld *p;
	int gi;

	if (sa != t->sa || t->out || !kep || !np ||
	    ike_prop_select(&sap->u.sa, &G->ike_prop, 1, &c) < 0 || c.spi_size != 8) {
		/* 2.25: a rekey while our own request is out waits */
		refuse(t, sa, id, t->out ? IKEV2_N_TEMPORARY_FAILURE : IKEV2_N_NO_PROPOSAL_CHOSEN,
		       NULL, 0);
		return;
	}
	gi = gen_group(c.dh);
	if (kep->u.ke.group != c.dh || gi < 0) {
		ipx_st16(want, c.dh);
		refuse(t, sa, id, IKEV2_N_INVALID_KE_PAYLOAD, want, 2);
		return;
	}
	n = calloc(1, sizeof(*n));
	if (!n || gen_spi_new(t->idx, n->spi_r) < 0 ||
	    ike_dh_compute(G->dh[gi], kep->u.ke.data, kep->u.ke.len, NULL) < 0 ||
	    ike_random(nr, sizeof(nr)) < 0)
		goto fail;
	memcpy(n->spi_i, c.spi, IKEV2_SPI_LEN);
	if (rekey_keys(sa, n, &c, gi, np->u.nonce.data, np->u.nonce.len, nr, sizeof(nr)) < 0)
		goto fail;
	gen_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, true, id);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_prop_choice_to_sa(&c, n->spi_r, IKEV2_SPI_LEN, &prop);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	p = ike_msg_add(m, IKEV2_PL_NONCE, true);
	p->u.nonce.data = nr;
	p->u.nonce.len = sizeof(nr);
	p = ike_msg_add(m, IKEV2_PL_KE, true);
	p->u.ke.group = c.dh;
	p->u.ke.data = G->dh_pub[gi];
	p->u.ke.len = G->dh_pub_len[gi];
	if (answer(t, sa, m) < 0)
		goto fail;
	/* the old SA answers the Delete that follows on it, no more */
	gen_sa_free(t->old);
	t->old = sa;
	n->initiator = false;
	t->sa = n;
	G->st.ike_rekeys++;
	return;
fail:
	gen_sa_free(n);
	refuse(t, sa, id, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
}

static void create_child(struct tun *t, struct gsa *sa, uint32_t id)
{
	const struct ike_msg *in = &G->min;
	const struct ike_pld *sap = ike_msg_get(in, IKEV2_PL_SA, 0);
	const struct ike_notify *rk = ike_msg_notify(in, IKEV2_N_REKEY_SA);

	if (!sap || !ike_msg_get(in, IKEV2_PL_NONCE, 0)) {
		refuse(t, sa, id, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (sap->u.sa.n_props && sap->u.sa.props[0].proto == IKEV2_PROTO_IKE)
		ike_rekey(t, sa, id);
	else if (rk)
		child_rekey(t, sa, id, rk);
	else
		refuse(t, sa, id, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
}

void gen_respond(struct tun *t, struct gsa *sa, uint8_t *buf, size_t len)
{
	uint32_t id = ipx_ld32(buf + 20);
	const char *why = NULL;

	/* 2.1: a retransmitted request gets the same answer again */
	if (sa->last_resp && id + 1 == sa->resp_next) {
		gen_send(t, sa->last_resp, sa->last_resp_len);
		return;
	}
	if (id != sa->resp_next) {
		G->st.rx_dropped++;
		return;
	}
	if (gen_msg_open(sa, buf, len, &why) < 0 || G->min.sk < 0) {
		gen_log(t, "request dropped: %s", why ? why : "not encrypted");
		G->st.rx_dropped++;
		return;
	}
	switch (G->min.hdr.exchange) {
	case IKEV2_EXCH_INFORMATIONAL:
		informational(t, sa, id);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		create_child(t, sa, id);
		break;
	default:
		G->st.rx_dropped++;
	}
}

int gen_delete_start(struct tun *t, bool cleanup)
{
	struct ike_msg *m = &G->mout;
	struct gsa *sa = t->sa;
	struct ike_pld *p;
	size_t len;
	int ret;

	gen_msg_start(sa, m, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	p = ike_msg_add(m, IKEV2_PL_DELETE, true);
	p->u.del.proto = IKEV2_PROTO_IKE;
	ret = gen_msg_seal(sa, m, &len);
	if (ret < 0)
		return ret;
	t->state = cleanup ? T_CLEANUP : T_DELETING;
	ret = gen_request(t, sa, G->buf, len, sa->req_next);
	if (ret < 0)
		return ret;
	G->cleanups += cleanup;
	sa->req_next++;
	return 0;
}

void gen_delete_input(struct tun *t, uint8_t *buf, size_t len)
{
	const char *why = NULL;

	if (gen_msg_open(t->out_sa, buf, len, &why) < 0) {
		gen_log(t, "Delete answer dropped: %s", why);
		G->st.rx_dropped++;
		return;
	}
	if (t->state == T_CLEANUP) {
		gen_cleanup_done(t);
		return;
	}
	gen_request_done(t);
	t->state = T_CLOSED;
	G->st.closed++;
	gen_teardown_done(t);
}
