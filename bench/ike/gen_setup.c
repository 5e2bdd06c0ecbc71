/*
 * Setting a tunnel up as initiator (RFC 7296 1.2): IKE_SA_INIT, sent again
 * with the responder's cookie (2.6) or with the group it asks for (1.2,
 * 2.7), then IKE_AUTH with a PSK (2.15) creating the Child SA.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

#define COOKIES_MAX 3	 /* a responder asking again and again is failing */
#define KE_RETRIES_MAX 2

static uint8_t *dup_buf(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (d)
		memcpy(d, p, len);
	return d;
}

/* Our identity: an FQDN naming the tunnel, or its TSi address. */
static void our_id(const struct tun *t, uint8_t *type, uint8_t *buf, size_t *len)
{
	if (G->o.id_ipv4) {
		*type = IKEV2_ID_IPV4_ADDR;
		ipx_st32(buf, ntohl(G->o.ts_base.s_addr) + t->idx + 1);
		*len = 4;
	} else {
		*type = IKEV2_ID_FQDN;
		*len = (size_t)snprintf((char *)buf, 64, "t%u.ikegen.example", t->idx);
	}
}

/* NAT_DETECTION_*_IP (2.23) as the responder should see us and itself. */
static int natd(const struct tun *t, const uint8_t *spi_r, bool ours,
		uint8_t out[IKEV2_NATD_LEN])
{
	const struct sockaddr_in *me = &t->sock->sa;
	const struct in_addr *a = ours ? &me->sin_addr : &G->o.target;
	uint16_t port = ours ? ntohs(me->sin_port) : G->o.port;

	return ike_natd_hash(t->sa->spi_i, spi_r, (const uint8_t *)&a->s_addr, 4, port, out);
}

static int send_init(struct tun *t)
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	struct ike_msg *m = &G->mout;
	uint8_t src[IKEV2_NATD_LEN], dst[IKEV2_NATD_LEN];
	int gi = gen_group(t->group);
	struct ike_pld *p;
	size_t len;
	int ret;

	if (gi < 0)
		return gi;
	gen_msg_start(t->sa, m, IKEV2_EXCH_IKE_SA_INIT, false, 0);
	/* 2.6: the cookie first, everything else unchanged */
	if (t->cookie)
		ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0, IKEV2_N_COOKIE,
				   t->cookie, t->cookie_len);
	p = ike_msg_add(m, IKEV2_PL_SA, false);
	p->u.sa.props = &G->ike_sa_prop;
	p->u.sa.n_props = 1;
	p = ike_msg_add(m, IKEV2_PL_KE, false);
	p->u.ke.group = t->group;
	p->u.ke.data = G->dh_pub[gi];
	p->u.ke.len = G->dh_pub_len[gi];
	p = ike_msg_add(m, IKEV2_PL_NONCE, false);
	p->u.nonce.data = t->ni;
	p->u.nonce.len = sizeof(t->ni);
	/* the NAT detection notifies let a responder that forces UDP
	 * encapsulation (strongSwan's and ipsecfxd's encap option) fake a
	 * NAT, which kernel-libipsec needs */
	if (natd(t, zero, true, src) < 0 || natd(t, zero, false, dst) < 0)
		return -EIO;
	ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
			   IKEV2_N_NAT_DETECTION_SOURCE_IP, src, sizeof(src));
	ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
			   IKEV2_N_NAT_DETECTION_DESTINATION_IP, dst, sizeof(dst));
	ret = gen_msg_seal(t->sa, m, &len);
	if (ret < 0)
		return ret;
	/* 2.15: AUTH signs the IKE_SA_INIT request the responder took */
	free(t->init_req);
	t->init_req = dup_buf(G->buf, len);
	if (!t->init_req)
		return -ENOMEM;
	t->init_req_len = len;
	return gen_request(t, t->sa, G->buf, len, 0);
}

int gen_setup_start(struct tun *t)
{
	int ret;

	t->sa = gen_sa_new(t->idx);
	if (!t->sa)
		return -ENOMEM;
	ret = ike_random(t->ni, sizeof(t->ni));
	if (ret == 0)
		ret = ike_random((uint8_t *)&t->child_spi, sizeof(t->child_spi));
	if (ret < 0)
		return ret;
	t->child_spi |= 0x01000000; /* 1..255 are reserved (2.1 of RFC 4303) */
	t->group = G->o.groups[0];
	t->state = T_INIT;
	t->t_start_ns = gen_now_ns();
	return send_init(t);
}

/* A request sent again on the responder's demand; the clock runs on. */
static void again(struct tun *t)
{
	int ret;

	gen_request_done(t);
	ret = send_init(t);
	if (ret < 0)
		gen_fail(t, "cannot send IKE_SA_INIT");
}

static bool cookie_asked(struct tun *t, const struct ike_notify *ck)
{
	if (!ck)
		return false;
	G->st.cookies++;
	if (++t->cookies > COOKIES_MAX || ck->len < IKEV2_COOKIE_MIN ||
	    ck->len > IKEV2_COOKIE_MAX) {
		gen_fail(t, "COOKIE (again and again)");
		return true;
	}
	free(t->cookie);
	t->cookie = dup_buf(ck->data, ck->len);
	t->cookie_len = ck->len;
	if (!t->cookie)
		gen_fail(t, "out of memory");
	else
		again(t);
	return true;
}

static bool group_asked(struct tun *t, const struct ike_notify *n)
{
	uint16_t want;

	if (!n)
		return false;
	G->st.invalid_ke++;
	want = n->len == 2 ? ipx_ld16(n->data) : 0;
	/* 1.2: only a group we offered, and only once per group */
	if (want == t->group || gen_group(want) < 0 || ++t->ke_retries > KE_RETRIES_MAX) {
		gen_fail_notify(t, IKEV2_N_INVALID_KE_PAYLOAD);
		return true;
	}
	t->group = want;
	again(t);
	return true;
}

static int derive(struct tun *t, const struct ike_prop_choice *c, const struct ike_pld *kep,
		  const char **why)
{
	struct gsa *sa = t->sa;
	struct ike_kdf_in kin;
	int gi = gen_group(t->group);
	int ret;

	if (kep->u.ke.group != t->group || c->dh != t->group) {
		*why = "KE of another group";
		return -EBADMSG;
	}
	ret = ike_dh_compute(G->dh[gi], kep->u.ke.data, kep->u.ke.len, why);
	if (ret < 0)
		return ret;
	memset(&kin, 0, sizeof(kin));
	kin.prf = c->prf;
	kin.encr = c->encr;
	kin.encr_bits = c->encr_bits;
	kin.integ = c->integ;
	kin.g_ir = ike_dh_secret(G->dh[gi], &kin.g_ir_len);
	kin.ni = t->ni;
	kin.ni_len = sizeof(t->ni);
	kin.nr = t->nr;
	kin.nr_len = t->nr_len;
	kin.spi_i = sa->spi_i;
	kin.spi_r = sa->spi_r;
	ret = ike_sa_keys_derive(&kin, &sa->keys);
	OPENSSL_cleanse(&kin, sizeof(kin));
	if (ret < 0) {
		*why = "key derivation failed";
		return ret;
	}
	sa->prf = c->prf;
	sa->encr = c->encr;
	sa->encr_bits = c->encr_bits;
	sa->dh = t->group;
	sa->keys_ok = true;
	return 0;
}

/* 2.23: a NAT either way (or one the responder fakes) moves IKE_AUTH and
 * everything after it to the NAT-T port. */
static void check_natd(struct tun *t, const struct ike_msg *m)
{
	uint8_t h[IKEV2_NATD_LEN];

	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];
		bool src;

		if (p->type != IKEV2_PL_NOTIFY)
			continue;
		if (p->u.n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP)
			src = true;
		else if (p->u.n.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP)
			src = false;
		else
			continue;
		/* the responder's source is the target; its destination us */
		if (p->u.n.len != IKEV2_NATD_LEN || natd(t, t->sa->spi_r, !src, h) < 0 ||
		    memcmp(h, p->u.n.data, IKEV2_NATD_LEN) != 0)
			t->natt = true;
	}
	if (t->natt)
		G->st.natt++;
}

static int send_auth(struct tun *t);

static void init_input(struct tun *t, uint8_t *buf, size_t len)
{
	struct ike_msg *m = &G->min;
	const struct ike_pld *sap, *kep, *np;
	struct ike_sa offered = { &G->ike_sa_prop, 1 };
	struct ike_prop_choice c;
	const char *why = NULL;
	uint16_t err;

	if (gen_msg_open(t->sa, buf, len, &why) < 0) {
		gen_log(t, "IKE_SA_INIT answer dropped: %s", why);
		G->st.rx_dropped++;
		return;
	}
	if (cookie_asked(t, ike_msg_notify(m, IKEV2_N_COOKIE)) ||
	    group_asked(t, ike_msg_notify(m, IKEV2_N_INVALID_KE_PAYLOAD)))
		return;
	err = gen_msg_error(m);
	if (err) {
		gen_fail_notify(t, err);
		return;
	}
	sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	kep = ike_msg_get(m, IKEV2_PL_KE, 0);
	np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	if (!sap || !kep || !np || np->u.nonce.len < IKEV2_NONCE_MIN ||
	    np->u.nonce.len > IKEV2_NONCE_MAX) {
		gen_fail(t, "IKE_SA_INIT answer without SA, KE or Nonce");
		return;
	}
	if (ike_prop_check_reply(&offered, &sap->u.sa, &c, &why) < 0) {
		gen_log(t, "IKE proposal: %s", why ? why : "?");
		gen_fail(t, "IKE proposal not offered");
		return;
	}
	if (G->o.no_auth) {
		/* the responder holds a half-open IKE SA of ours until it
		 * gives up on it; we never spend the DH computation */
		G->st.half_open++;
		gen_request_done(t);
		t->state = T_HALF;
		gen_tunnel_done(t);
		return;
	}
	memcpy(t->sa->spi_r, m->hdr.spi_r, IKEV2_SPI_LEN);
	memcpy(t->nr, np->u.nonce.data, np->u.nonce.len);
	t->nr_len = np->u.nonce.len;
	if (derive(t, &c, kep, &why) < 0) {
		gen_log(t, "IKE_SA_INIT: %s", why ? why : "?");
		gen_fail(t, "bad KE");
		return;
	}
	check_natd(t, m);
	t->init_resp = dup_buf(buf, len);
	t->init_resp_len = len;
	gen_request_done(t);
	if (!t->init_resp || send_auth(t) < 0)
		gen_fail(t, "cannot send IKE_AUTH");
}

static int add_auth(struct tun *t, struct ike_msg *m, uint8_t id_type, const uint8_t *id,
		    size_t id_len, uint8_t *auth, size_t *auth_len)
{
	struct ike_auth_in in = {
		.prf = t->sa->prf,
		.sk_p = t->sa->keys.sk_pi,
		.sk_p_len = t->sa->keys.prf_len,
		.msg = t->init_req,
		.msg_len = t->init_req_len,
		.nonce = t->nr,
		.nonce_len = t->nr_len,
		.id_type = id_type,
		.id = id,
		.id_len = id_len,
	};
	struct ike_pld *p;
	int ret = ike_auth_psk(&in, (const uint8_t *)G->o.psk, strlen(G->o.psk), auth, auth_len);

	if (ret < 0)
		return ret;
	p = ike_msg_add(m, IKEV2_PL_AUTH, true);
	p->u.auth.method = IKEV2_AUTH_SHARED_KEY_MIC;
	p->u.auth.data = auth;
	p->u.auth.len = *auth_len;
	return 0;
}

static int send_auth(struct tun *t)
{
	struct ike_msg *m = &G->mout;
	struct gsa *sa = t->sa;
	uint8_t id[64], auth[IKE_PRF_MAX], spi[4];
	struct ike_proposal prop;
	struct ike_ts tsi;
	size_t id_len, auth_len, len;
	uint8_t id_type;
	struct ike_pld *p;
	int ret;

	gen_msg_start(sa, m, IKEV2_EXCH_IKE_AUTH, false, 1);
	ike_msg_add(m, IKEV2_PL_SK, false);
	our_id(t, &id_type, id, &id_len);
	p = ike_msg_add(m, IKEV2_PL_IDI, true);
	p->u.id.type = id_type;
	p->u.id.data = id;
	p->u.id.len = id_len;
	ret = add_auth(t, m, id_type, id, id_len, auth, &auth_len);
	if (ret < 0)
		return ret;
	ipx_st32(spi, t->child_spi);
	ike_prop_to_sa(&G->esp_prop, 1, spi, 4, &prop);
	p = ike_msg_add(m, IKEV2_PL_SA, true);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	/* this tunnel's own host behind us, anything the responder allows
	 * on its side: it narrows (2.9) */
	gen_msg_add_ts(m, &tsi, t->idx + 1);
	ret = gen_msg_seal(sa, m, &len);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (ret < 0)
		return ret;
	sa->req_next = 2;
	t->state = T_AUTH;
	return gen_request(t, sa, G->buf, len, 1);
}

static bool peer_auth_ok(struct tun *t, const struct ike_pld *idp, const struct ike_pld *ap)
{
	struct ike_auth_in in = {
		.prf = t->sa->prf,
		.sk_p = t->sa->keys.sk_pr,
		.sk_p_len = t->sa->keys.prf_len,
		.msg = t->init_resp,
		.msg_len = t->init_resp_len,
		.nonce = t->ni,
		.nonce_len = sizeof(t->ni),
		.id_type = idp->u.id.type,
		.id = idp->u.id.data,
		.id_len = idp->u.id.len,
	};

	return ap->u.auth.method == IKEV2_AUTH_SHARED_KEY_MIC &&
	       ike_auth_psk_verify(&in, (const uint8_t *)G->o.psk, strlen(G->o.psk),
				   ap->u.auth.data, ap->u.auth.len) == 0;
}

/* The IKE SA is up on the responder's side but not usable here: counted
 * failed, and deleted there so that its state is not held. */
static void fail_up(struct tun *t, const char *reason, uint16_t err)
{
	if (err)
		gen_fail_notify(t, err);
	else
		gen_fail(t, reason);
	if (gen_delete_start(t, true) < 0)
		t->state = T_FAILED;
}

static void auth_input(struct tun *t, uint8_t *buf, size_t len)
{
	struct ike_msg *m = &G->min;
	struct ike_sa offered;
	struct ike_proposal prop;
	const struct ike_pld *idp, *ap, *sap;
	struct ike_prop_choice c;
	const char *why = NULL;
	uint8_t spi[4];
	uint16_t err;

	if (gen_msg_open(t->sa, buf, len, &why) < 0) {
		gen_log(t, "IKE_AUTH answer dropped: %s", why);
		G->st.rx_dropped++;
		return;
	}
	err = gen_msg_error(m);
	idp = ike_msg_get(m, IKEV2_PL_IDR, 0);
	ap = ike_msg_get(m, IKEV2_PL_AUTH, 0);
	if (m->sk < 0 || !idp || !ap) {
		/* no IKE SA: AUTHENTICATION_FAILED and the like (an
		 * unprotected one too, 1.5: we only count it) */
		if (err)
			gen_fail_notify(t, err);
		else
			gen_fail(t, "IKE_AUTH answer without IDr or AUTH");
		return;
	}
	if (!peer_auth_ok(t, idp, ap)) {
		fail_up(t, "responder's AUTH does not verify", 0);
		return;
	}
	sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	if (!sap || !ike_msg_get(m, IKEV2_PL_TSI, 0) || !ike_msg_get(m, IKEV2_PL_TSR, 0)) {
		/* 1.2: the IKE SA stands without the Child SA */
		fail_up(t, "no Child SA", err);
		return;
	}
	ipx_st32(spi, t->child_spi);
	ike_prop_to_sa(&G->esp_prop, 1, spi, 4, &prop);
	offered.props = &prop;
	offered.n_props = 1;
	if (ike_prop_check_reply(&offered, &sap->u.sa, &c, &why) < 0 || c.spi_size != 4) {
		gen_log(t, "ESP proposal: %s", why ? why : "bad SPI");
		fail_up(t, "ESP proposal not offered", 0);
		return;
	}
	gen_request_done(t);
	t->ch[0].spi_in = t->child_spi;
	t->ch[0].spi_out = ipx_ld32(c.spi);
	t->n_ch = 1;
	t->state = T_UP;
	free(t->init_req);
	free(t->init_resp);
	free(t->cookie);
	t->init_req = t->init_resp = t->cookie = NULL;
	gen_count_up(t);
	gen_tunnel_done(t);
}

void gen_setup_input(struct tun *t, uint8_t *buf, size_t len)
{
	if (t->state == T_INIT)
		init_input(t, buf, len);
	else
		auth_input(t, buf, len);
}

void gen_setup_timeout(struct tun *t)
{
	bool authenticating = t->state == T_AUTH;

	gen_fail(t, "timeout");
	/* the responder may hold the IKE SA all the same (its answer lost,
	 * or late): deleted so that the count of what it holds stays ours */
	if (authenticating && gen_delete_start(t, true) < 0)
		t->state = T_FAILED;
}
