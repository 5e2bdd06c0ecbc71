/*
 * Child SA churn (--child-churn K): over the tunnels up, K times in all, a
 * Child SA made by our CREATE_CHILD_SA (RFC 7296 1.3.1, no KE: the ESP
 * proposal asks for no PFS) and deleted at once by our INFORMATIONAL with
 * a Delete of its ESP SPI (1.4.1).  One cycle at a time per tunnel (2.3:
 * one request out), each tunnel starting its next cycle when the last one
 * is over, until K have started.
 *
 * Its selectors are a host of its own (TSi ts-base + tunnels + index + 1,
 * past the hosts of the tunnels' first Child SAs):
 * a Child SA with the selectors of the tunnel's first one would take that
 * one's place in the daemon (ike_child.c, takeover) and the count of
 * Child SAs would not return to where it started for another reason than
 * the one measured.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

static void next_cycle(struct tun *t);

static void churn_finished(void)
{
	if (G->churn_over || G->st.churn_done + G->st.churn_failed < G->o.churn)
		return;
	G->churn_over = true;
	G->st.t_churn_end_ns = gen_now_ns();
	gen_pump(); /* the set-up phase is over now: ready file, hold */
}

static void cycle_done(struct tun *t, bool ok)
{
	gen_request_done(t);
	t->churn = CHURN_NONE;
	if (ok)
		G->st.churn_done++;
	else
		G->st.churn_failed++;
	if (G->o.mark && G->st.churn_done + G->st.churn_failed == G->o.churn_warmup) {
		FILE *f = fopen(G->o.mark, "w");

		if (f)
			fclose(f);
	}
	if (t->state == T_UP)
		next_cycle(t);
	churn_finished();
}

/* Seal m, a request on t's IKE SA, and send it as the tunnel's one request
 * out (2.3); step: what its answer completes. */
static int churn_request(struct tun *t, struct ike_msg *m, enum gen_churn_step step)
{
	struct gsa *sa = t->sa;
	size_t len;
	int ret = gen_msg_seal(sa, m, &len);

	if (ret < 0)
		return ret;
	ret = gen_request(t, sa, G->buf, len, sa->req_next);
	if (ret < 0)
		return ret;
	sa->req_next++;
	t->churn = step;
	return 0;
}

static int send_create(struct tun *t)
{
	struct ike_msg *m = &G->mout;
	struct gsa *sa = t->sa;
	uint8_t spi[4], ni[GEN_NONCE_LEN];
	struct ike_proposal prop;
	struct ike_ts tsi;
	struct ike_pld *p;
	int ret;

	ret = ike_random(spi, sizeof(spi));
	if (ret == 0)
		ret = ike_random(ni, sizeof(ni));
	if (ret < 0)
		return ret;
	spi[0] |= 0x01; /* 1..255 are reserved (RFC 4303 2.1) */
	t->churn_spi = ipx_ld32(spi);
	gen_msg_start(sa, m, IKEV2_EXCH_CREATE_CHILD_SA, false, sa->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	ike_prop_to_sa(&G->esp_prop, 1, spi, 4, &prop);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	p = ike_msg_add(m, IKEV2_PL_NONCE, true);
	p->u.nonce.data = ni;
	p->u.nonce.len = sizeof(ni);
	gen_msg_add_ts(m, &tsi, G->o.tunnels + t->idx + 1);
	return churn_request(t, m, CHURN_CREATE);
}

static int send_delete(struct tun *t)
{
	struct ike_msg *m = &G->mout;
	struct gsa *sa = t->sa;
	uint8_t spi[4];
	struct ike_pld *p;

	/* 1.4.1: the SPI we receive on names the pair */
	ipx_st32(spi, t->churn_spi);
	gen_msg_start(sa, m, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(m, IKEV2_PL_SK, false);
	p = ike_msg_add(m, IKEV2_PL_DELETE, true);
	p->u.del.proto = IKEV2_PROTO_ESP;
	p->u.del.spi_size = 4;
	p->u.del.n_spi = 1;
	p->u.del.spis = spi;
	return churn_request(t, m, CHURN_DELETE);
}

static void next_cycle(struct tun *t)
{
	if (G->st.churn_started >= G->o.churn || t->out)
		return;
	G->st.churn_started++;
	if (send_create(t) < 0) {
		gen_log(t, "churn: cannot send CREATE_CHILD_SA");
		cycle_done(t, false);
	}
}

void gen_churn_begin(void)
{
	G->churn_begun = true;
	G->st.t_churn0_ns = gen_now_ns();
	for (unsigned i = 0; i < G->o.tunnels && G->st.churn_started < G->o.churn; i++)
		if (G->t[i].state == T_UP)
			next_cycle(&G->t[i]);
	if (!G->st.churn_started) {
		/* no tunnel up: nothing to churn over */
		G->st.churn_failed = G->o.churn;
		churn_finished();
	}
}

static void create_input(struct tun *t)
{
	const struct ike_msg *m = &G->min;
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	struct ike_prop_choice c;
	struct ike_proposal prop;
	struct ike_sa offered;
	const char *why = NULL;
	uint8_t spi[4];
	uint16_t err = gen_msg_error(m);

	if (err == IKEV2_N_TEMPORARY_FAILURE) {
		/* 2.25: the responder is rekeying; the same cycle again */
		G->st.churn_retried++;
		gen_request_done(t);
		if (send_create(t) < 0)
			cycle_done(t, false);
		return;
	}
	ipx_st32(spi, t->churn_spi);
	ike_prop_to_sa(&G->esp_prop, 1, spi, 4, &prop);
	offered.props = &prop;
	offered.n_props = 1;
	if (err || !sap || !ike_msg_get(m, IKEV2_PL_TSI, 0) ||
	    ike_prop_check_reply(&offered, &sap->u.sa, &c, &why) < 0 || c.spi_size != 4) {
		gen_log(t, "churn: CREATE_CHILD_SA refused: %s",
			err ? ikev2_notify_name(err) : why ? why : "no SA or TS");
		cycle_done(t, false);
		return;
	}
	gen_request_done(t);
	if (send_delete(t) < 0)
		cycle_done(t, false);
}

void gen_churn_input(struct tun *t, uint8_t *buf, size_t len)
{
	const char *why = NULL;

	if (gen_msg_open(t->out_sa, buf, len, &why) < 0) {
		gen_log(t, "churn answer dropped: %s", why);
		G->st.rx_dropped++;
		return;
	}
	if (t->churn == CHURN_CREATE) {
		create_input(t);
	} else if (!ike_msg_get(&G->min, IKEV2_PL_DELETE, 0)) {
		/* 1.4.1: the responder names its half of the pair; an empty
		 * answer says it held no such Child SA */
		gen_log(t, "churn: Delete answered without the Child SA's SPI");
		cycle_done(t, false);
	} else {
		cycle_done(t, true);
	}
}

void gen_churn_timeout(struct tun *t)
{
	gen_log(t, "churn: %s unanswered",
		t->churn == CHURN_CREATE ? "CREATE_CHILD_SA" : "Delete");
	cycle_done(t, false);
}
