/*
 * IKE_SA_INIT (RFC 7296 1.2): proposals, key exchange, nonces, NAT
 * detection (2.23), INVALID_KE_PAYLOAD and COOKIE retries (1.2, 2.6), and
 * what the first message pair advertises: SIGNATURE_HASH_ALGORITHMS
 * (RFC 7427 4) and IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

#define KE_BUF 1024
#define MAX_INIT_RETRIES 3


static const uint8_t *addr_bytes(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	}
	*len = 16;
	return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
}

static int natd(const struct ikesa *sa, const uint8_t *spi_r,
		const struct sockaddr_storage *ss, uint8_t out[IKEV2_NATD_LEN])
{
	size_t len;
	const uint8_t *ip = addr_bytes(ss, &len);

	return ike_natd_hash(sa->spi_i, spi_r, ip, len, ike_port(ss), out);
}

/* Add NAT_DETECTION_SOURCE_IP and _DESTINATION_IP (2.23).  With fake
 * (encap: yes), the source hash is random, so both sides see a NAT and
 * encapsulate ESP in UDP, as strongSwan's encap option does. */
static int add_natd(struct ikesa *sa, struct ike_msg *m, const uint8_t *spi_r,
		    bool fake, uint8_t src[IKEV2_NATD_LEN],
		    uint8_t dst[IKEV2_NATD_LEN])
{
	int ret;

	if (fake)
		ret = ike_random(src, IKEV2_NATD_LEN);
	else
		ret = natd(sa, spi_r, &sa->local, src);
	if (ret == 0)
		ret = natd(sa, spi_r, &sa->remote, dst);
	if (ret == 0)
		ret = ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
					 IKEV2_N_NAT_DETECTION_SOURCE_IP, src,
					 IKEV2_NATD_LEN);
	if (ret == 0)
		ret = ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
					 IKEV2_N_NAT_DETECTION_DESTINATION_IP, dst,
					 IKEV2_NATD_LEN);
	return ret;
}

/* Compare the peer's NAT-D notifies with what we see (2.23); spi_r is
 * the SPIr the peer hashed: zero in the request, the real one after. */
static void check_natd(struct ikesa *sa, const struct ike_msg *m,
		       const uint8_t *spi_r)
{
	uint8_t h[IKEV2_NATD_LEN];
	bool src_seen = false, src_match = false;

	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type != IKEV2_PL_NOTIFY || p->inner)
			continue;
		if (p->u.n.type == IKEV2_N_NAT_DETECTION_SOURCE_IP) {
			src_seen = true;
			/* the peer's source as we see it */
			if (p->u.n.len == IKEV2_NATD_LEN &&
			    natd(sa, spi_r, &sa->remote, h) == 0 &&
			    memcmp(h, p->u.n.data, IKEV2_NATD_LEN) == 0)
				src_match = true;
		} else if (p->u.n.type == IKEV2_N_NAT_DETECTION_DESTINATION_IP) {
			/* our address as the peer saw it */
			if (p->u.n.len != IKEV2_NATD_LEN ||
			    natd(sa, spi_r, &sa->local, h) != 0 ||
			    memcmp(h, p->u.n.data, IKEV2_NATD_LEN) != 0)
				sa->nat_here = true;
		}
	}
	if (src_seen && !src_match)
		sa->nat_there = true;
}

static bool group_offered(const struct cfg_conn *c, uint16_t group)
{
	for (unsigned i = 0; i < c->n_ike; i++)
		for (unsigned k = 0; k < c->ike[i].n_xf; k++)
			if (c->ike[i].xf[k].type == IKEV2_XF_DH &&
			    c->ike[i].xf[k].id == group)
				return true;
	return false;
}

static uint16_t first_group(const struct cfg_conn *c)
{
	for (unsigned i = 0; i < c->n_ike; i++)
		for (unsigned k = 0; k < c->ike[i].n_xf; k++)
			if (c->ike[i].xf[k].type == IKEV2_XF_DH)
				return c->ike[i].xf[k].id;
	return IKEV2_DH_NONE;
}

static int pick_local(struct ikesa *sa)
{
	const struct cfg_conn *c = sa->conn;
	struct ike_mgr *m = sa->mgr;
	uint16_t port = m->cfg->ike_port;

	sa->remote = c->remote_addrs[0];
	ike_set_port(&sa->remote, port);
	for (unsigned i = 0; i < c->n_local_addrs; i++)
		if (c->local_addrs[i].ss_family == sa->remote.ss_family) {
			sa->local = c->local_addrs[i];
			ike_set_port(&sa->local, port);
			return 0;
		}
	if (m->io.route_src && m->io.route_src(m->io.ctx, &sa->remote, &sa->local) == 0) {
		ike_set_port(&sa->local, port);
		return 0;
	}
	{
		/* ask the kernel which source it would use */
		int fd = socket(sa->remote.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		socklen_t sl = sizeof(sa->local);

		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa->remote,
			    sa->remote.ss_family == AF_INET ? sizeof(struct sockaddr_in)
							   : sizeof(struct sockaddr_in6)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa->local, &sl) < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		close(fd);
		ike_set_port(&sa->local, port);
	}
	return 0;
}

/* SKEYSEED and the IKE SA's keys (2.14) from the exchange's nonces, SPIs
 * and the DH secret in sa->dh; both roles. */
static int derive_keys(struct ikesa *sa)
{
	struct ike_kdf_in kin;
	int ret;

	memset(&kin, 0, sizeof(kin));
	kin.prf = sa->prop.prf;
	kin.encr = sa->prop.encr;
	kin.encr_bits = sa->prop.encr_bits;
	kin.integ = sa->prop.integ;
	kin.g_ir = ike_dh_secret(sa->dh, &kin.g_ir_len);
	kin.ni = sa->ni;
	kin.ni_len = sa->ni_len;
	kin.nr = sa->nr;
	kin.nr_len = sa->nr_len;
	kin.spi_i = sa->spi_i;
	kin.spi_r = sa->spi_r;
	ret = ike_sa_keys_derive(&kin, &sa->keys);
	OPENSSL_cleanse(&kin, sizeof(kin));
	return ret;
}

/* Build and send our IKE_SA_INIT request (again, on a cookie or a new
 * group). */
static int send_init(struct ikesa *sa);

static int init_response(struct ikesa *sa, struct ike_msg *m);

int ike_init_start(struct ikesa *sa)
{
	int ret = pick_local(sa);

	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "no local address towards the peer: %s",
			   strerror(-ret));
		return ret;
	}
	sa->dh_group = first_group(sa->conn);
	ret = ike_spi_new(sa->spi_i);
	if (ret < 0)
		return ret;
	ike_sa_rehash(sa);
	ike_sa_state(sa, IKE_CONNECTING);
	ike_sa_log(sa, IPX_LOG_INFO, "initiating IKE SA");
	return send_init(sa);
}

static int send_init(struct ikesa *sa)
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	struct ike_msg *m = sa->mgr->omsg;
	const struct cfg_conn *c = sa->conn;
	struct ike_proposal props[IKE_MSG_MAX_PROPS];
	uint8_t ke[KE_BUF], src[IKEV2_NATD_LEN], dst[IKEV2_NATD_LEN];
	size_t ke_len;
	struct ike_pld *p;
	int ret;

	if (!sa->dh || ike_dh_group(sa->dh) != sa->dh_group) {
		ike_dh_free(sa->dh);
		sa->dh = NULL;
		ret = ike_dh_new(sa->dh_group, &sa->dh);
		if (ret < 0) {
			ike_sa_log(sa, IPX_LOG_ERR, "DH group %s: %s",
				   ikev2_xf_name(IKEV2_XF_DH, sa->dh_group), strerror(-ret));
			return ret;
		}
	}
	if (!sa->ni_len) {
		ret = ike_sa_nonces(sa);
		if (ret < 0)
			return ret;
		sa->ni_len = IKE_NONCE_LEN;
		ret = ike_random(sa->ni, sa->ni_len);
		if (ret < 0)
			return ret;
	}
	ret = ike_dh_public(sa->dh, ke, sizeof(ke), &ke_len);
	if (ret < 0)
		return ret;
	ike_msg_init(m, sa->spi_i, zero, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	/* 2.6: the cookie goes first, everything else unchanged */
	if (sa->cookie_len &&
	    ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0, IKEV2_N_COOKIE,
			       sa->cookie, sa->cookie_len) < 0)
		return -ENOSPC;
	p = ike_msg_add(m, IKEV2_PL_SA, false);
	if (!p || c->n_ike > IKE_MSG_MAX_PROPS)
		return -ENOSPC;
	ret = ike_prop_to_sa(c->ike, c->n_ike, NULL, 0, props);
	if (ret < 0)
		return ret;
	p->u.sa.props = props;
	p->u.sa.n_props = c->n_ike;
	p = ike_msg_add(m, IKEV2_PL_KE, false);
	if (!p)
		return -ENOSPC;
	p->u.ke.group = sa->dh_group;
	p->u.ke.data = ke;
	p->u.ke.len = ke_len;
	p = ike_msg_add(m, IKEV2_PL_NONCE, false);
	if (!p)
		return -ENOSPC;
	p->u.nonce.data = sa->ni;
	p->u.nonce.len = sa->ni_len;
	ret = add_natd(sa, m, zero, c->encap, src, dst);
	if (ret == 0)
		ret = ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
					 IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (ret == 0)
		ret = ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0,
					 IKEV2_N_SIGNATURE_HASH_ALGORITHMS,
					 ike_cert_sig_hashes, sizeof(ike_cert_sig_hashes));
	if (ret < 0)
		return ret;
	return ike_send_request(sa, m, init_response);
}

/* Start over after INVALID_KE_PAYLOAD: a new SPIi and key pair (the
 * answer was unauthenticated; we offer the same full set again, 1.2). */
static int restart(struct ikesa *sa, uint16_t group)
{
	int ret;

	sa->dh_group = group;
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	sa->cookie_len = 0;
	ret = ike_spi_new(sa->spi_i);
	if (ret < 0)
		return ret;
	ike_sa_rehash(sa);
	sa->req_next = 0;
	return send_init(sa);
}

static int init_response(struct ikesa *sa, struct ike_msg *m)
{
	const struct ike_pld *sap = ike_msg_get(m, IKEV2_PL_SA, 0);
	const struct ike_pld *kep = ike_msg_get(m, IKEV2_PL_KE, 0);
	const struct ike_pld *np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	const struct ike_notify *n;
	struct ike_proposal offered[IKE_MSG_MAX_PROPS];
	struct ike_sa offered_sa = { offered, sa->conn ? sa->conn->n_ike : 0 };
	const char *why = NULL;
	int ret;

	if (!sa->conn) {
		ike_sa_fail(sa, "connection removed by a reload");
		return -ENOENT;
	}
	n = ike_msg_notify(m, IKEV2_N_COOKIE);
	if (n && !sap) {
		/* 2.6: retry with the cookie, same SPIi and nonce */
		if (n->len < 1 || n->len > IKE_COOKIE_MAX ||
		    ++sa->init_retries > MAX_INIT_RETRIES) {
			ike_sa_fail(sa, "unusable COOKIE from the responder");
			return -EBADMSG;
		}
		if (!sa->cookie)
			sa->cookie = malloc(IKE_COOKIE_MAX);
		if (!sa->cookie) {
			ike_sa_fail(sa, "out of memory for the responder's COOKIE");
			return -ENOMEM;
		}
		memcpy(sa->cookie, n->data, n->len);
		sa->cookie_len = n->len;
		sa->req_next = 0;
		ike_sa_log(sa, IPX_LOG_INFO, "responder asks for a cookie; retrying");
		return send_init(sa);
	}
	n = ike_msg_notify(m, IKEV2_N_INVALID_KE_PAYLOAD);
	if (n && !sap) {
		uint16_t g = n->len == 2 ? ipx_ld16(n->data) : 0;

		if (!group_offered(sa->conn, g) || g == sa->dh_group ||
		    ++sa->init_retries > MAX_INIT_RETRIES) {
			ike_sa_fail(sa, "INVALID_KE_PAYLOAD for a group we do not offer");
			return -EBADMSG;
		}
		ike_sa_log(sa, IPX_LOG_INFO, "responder wants DH group %s (INVALID_KE_PAYLOAD); retrying",
			   ikev2_xf_name(IKEV2_XF_DH, g));
		return restart(sa, g);
	}
	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type == IKEV2_PL_NOTIFY && p->u.n.type < 16384) {
			char why2[512], ours[400];

			snprintf(why2, sizeof(why2), "IKE_SA_INIT refused: %s from the peer; we offered %s",
				 ikev2_notify_name(p->u.n.type),
				 ike_props_cfg_str(sa->conn->ike, sa->conn->n_ike, ours, sizeof(ours)));
			ike_sa_fail(sa, why2);
			return -EACCES;
		}
	}
	if (!sap || !kep || !np) {
		ike_sa_fail(sa, "IKE_SA_INIT response lacks SA, KE or Nonce");
		return -EBADMSG;
	}
	if (ike_prop_to_sa(sa->conn->ike, sa->conn->n_ike, NULL, 0, offered) < 0 ||
	    ike_prop_check_reply(&offered_sa, &sap->u.sa, &sa->prop, &why) < 0) {
		char why2[128];

		snprintf(why2, sizeof(why2), "responder chose a proposal we did not offer: %s",
			 why ? why : "?");
		ike_sa_fail(sa, why2);
		return -EBADMSG;
	}
	if (sa->prop.dh != sa->dh_group || kep->u.ke.group != sa->dh_group) {
		ike_sa_fail(sa, "responder's KE does not match the chosen group");
		return -EBADMSG;
	}
	if (np->u.nonce.len < 16 || np->u.nonce.len > IKE_NONCE_MAX) {
		ike_sa_fail(sa, "responder's nonce has a bad length");
		return -EBADMSG;
	}
	memcpy(sa->spi_r, m->hdr.spi_r, 8);
	ret = ike_dh_compute(sa->dh, kep->u.ke.data, kep->u.ke.len, &why);
	if (ret < 0) {
		char why2[128];

		snprintf(why2, sizeof(why2), "responder's KE rejected: %s", why ? why : "?");
		ike_sa_fail(sa, why2);
		return ret;
	}
	if (ike_sa_nonces(sa) < 0) {
		ike_sa_fail(sa, "out of memory for the nonces");
		return -ENOMEM;
	}
	memcpy(sa->nr, np->u.nonce.data, np->u.nonce.len);
	sa->nr_len = np->u.nonce.len;
	free(sa->init_resp);
	sa->init_resp = malloc(m->raw_len);
	if (!sa->init_resp)
		return -ENOMEM;
	memcpy(sa->init_resp, m->raw, m->raw_len);
	sa->init_resp_len = m->raw_len;

	ret = derive_keys(sa);
	ike_dh_free(sa->dh);  /* the secret is in the keys now */
	sa->dh = NULL;
	if (ret < 0) {
		ike_sa_fail(sa, "key derivation failed");
		return ret;
	}
	sa->keys_ok = true;
	check_natd(sa, m, sa->spi_r);
	sa->frag_ok = ike_msg_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	ike_cert_peer_notes(sa, m);
	if (sa->nat_here || sa->nat_there || sa->conn->encap) {
		/* 2.23: float to the NAT-T port for everything after INIT */
		sa->natt = true;
		ike_set_port(&sa->local, sa->mgr->cfg->natt_port);
		ike_set_port(&sa->remote, sa->mgr->cfg->natt_port);
		ike_sa_log(sa, IPX_LOG_INFO, "%s; switching to port %u",
			   sa->nat_here ? "NAT in front of us" :
			   sa->nat_there ? "NAT in front of the peer" :
			   "UDP encapsulation forced (encap)", sa->mgr->cfg->natt_port);
	}
	return ike_auth_start(sa);
}

/* ---- responder ---- */

bool ike_conn_admits(const struct cfg_conn *c, const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote)
{
	bool lok = c->n_local_addrs == 0, rok = c->remote_any;

	for (unsigned k = 0; k < c->n_local_addrs && !lok; k++)
		lok = ike_same_ip(&c->local_addrs[k], local);
	for (unsigned k = 0; k < c->n_remote_addrs && !rok; k++)
		rok = ike_same_ip(&c->remote_addrs[k], remote);
	return lok && rok;
}

/* The first connection whose addresses fit (its cookie policy applies);
 * IDs are only known in IKE_AUTH, where the choice may move to another
 * that admits the SA as well (ike_auth.c, pick_conn). */
static const struct cfg_conn *match_conn(const struct cfg *cfg,
					 const struct sockaddr_storage *local,
					 const struct sockaddr_storage *remote)
{
	for (unsigned i = 0; i < cfg->n_conns; i++)
		if (ike_conn_admits(&cfg->conns[i], local, remote))
			return &cfg->conns[i];
	return NULL;
}

static void half_open_expired(evutil_socket_t fd, short what, void *arg)
{
	struct ikesa *sa = arg;

	(void)fd;
	(void)what;
	if (sa->state == IKE_ESTABLISHED)
		return;
	ike_sa_log(sa, IPX_LOG_INFO, "half-open IKE SA expired without IKE_AUTH");
	ike_sa_destroy(sa);
}

/*
 * 2.6: with cookie_threshold half-open SAs or more (0: always; or with
 * strict_cookies on the connection), or when this source address holds
 * half its max_half_open_per_source already, an IKE_SA_INIT request must
 * echo a cookie we made from its Ni, address and SPIi before we spend a
 * Diffie-Hellman computation or any state on it.  The answer to one
 * without (or with a stale one) is a stateless N(COOKIE).  True when the
 * request may proceed.
 */
static bool cookie_ok(struct ike_mgr *mgr, const struct cfg_conn *c,
		      const struct ike_msg *m, const struct ike_hdr *h,
		      const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, bool natt,
		      unsigned from_src)
{
	const struct ike_pld *np = ike_msg_get(m, IKEV2_PL_NONCE, 0);
	const struct ike_notify *ck = ike_msg_notify(m, IKEV2_N_COOKIE);
	uint32_t thr = mgr->cfg->cookie_threshold;
	uint32_t src_thr = (mgr->cfg->max_half_open_per_source + 1) / 2;
	bool need = c->strict_cookies || mgr->n_half_open >= thr ||
		    (src_thr && from_src >= src_thr);
	uint8_t cookie[IKE_COOKIE_LEN];
	size_t ip_len;
	const uint8_t *ip = addr_bytes(remote, &ip_len);
	char peer[80];

	/* cookie_threshold 0: always */
	if (!need && !ck)
		return true;
	if (ck) {
		if (ike_cookie_verify(&mgr->cookies, ck->data, ck->len, np->u.nonce.data,
				      np->u.nonce.len, ip, ip_len, h->spi_i) == 0) {
			mgr->st.cookies_ok++;
			return true;
		}
		mgr->st.cookies_bad++;
		if (!need)
			return true;  /* a stale cookie we no longer need */
		ipx_dbg("IKE_SA_INIT from %s with a wrong cookie: a new one sent",
			ike_addr_str(remote, peer, sizeof(peer)));
	}
	if (ike_cookie_make(&mgr->cookies, np->u.nonce.data, np->u.nonce.len, ip, ip_len,
			    h->spi_i, cookie) < 0)
		return false;
	mgr->st.cookies_sent++;
	ike_send_init_error(mgr, h, local, remote, natt, IKEV2_N_COOKIE, cookie,
			    sizeof(cookie));
	return false;
}

/* An IKE_SA_INIT request while it is checked, before any state exists. */
struct init_req {
	struct ike_mgr *mgr;
	struct ike_msg *m;                 /* parsed, once parse() has run */
	const uint8_t *buf;
	size_t len;
	const struct ike_hdr *h;
	const struct sockaddr_storage *local, *remote;
	bool natt;
	const struct ike_pld *sap, *kep, *np;
	const struct cfg_conn *conn;
	struct ike_prop_choice choice;
	char peer[80];
};

/* Parse the request and find its SA, KE and Nonce; a malformed one gets a
 * stateless INVALID_SYNTAX (or UNSUPPORTED_CRITICAL_PAYLOAD).  True when it
 * may go on. */
static bool parse(struct init_req *q)
{
	struct ike_mgr *mgr = q->mgr;
	struct ike_perr e = { 0 };

	if (ike_msg_parse(q->m, q->buf, q->len, &e) < 0) {
		mgr->st.rx_bad++;
		ipx_info("IKE_SA_INIT from %s dropped: %s", q->peer, e.reason);
		if (e.notify == IKEV2_N_INVALID_SYNTAX ||
		    e.notify == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD) {
			uint8_t t = e.pld_type;

			ike_send_init_error(mgr, q->h, q->local, q->remote, q->natt, e.notify,
					    e.notify == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD ? &t : NULL,
					    e.notify == IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD ? 1 : 0);
		}
		return false;
	}
	q->sap = ike_msg_get(q->m, IKEV2_PL_SA, 0);
	q->kep = ike_msg_get(q->m, IKEV2_PL_KE, 0);
	q->np = ike_msg_get(q->m, IKEV2_PL_NONCE, 0);
	if (!q->sap || !q->kep || !q->np || q->np->u.nonce.len < 16 ||
	    q->np->u.nonce.len > IKE_NONCE_MAX) {
		mgr->st.rx_bad++;
		ipx_info("IKE_SA_INIT from %s lacks SA, KE or a valid Nonce: INVALID_SYNTAX", q->peer);
		ike_send_init_error(mgr, q->h, q->local, q->remote, q->natt,
				    IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return false;
	}
	return true;
}

/* 2.7: the initiator guessed the group of its KE; another of the chosen
 * proposal's groups is asked for with INVALID_KE_PAYLOAD (stateless).
 * True when the KE's group is the one we go on with. */
static bool ke_group(struct init_req *q)
{
	const struct ike_sa *offer = &q->sap->u.sa;
	uint16_t g = q->kep->u.ke.group;
	bool ok = false;
	uint8_t want[2];

	if (g == q->choice.dh)
		return true;
	/* prefer the group the initiator guessed when the chosen proposal
	 * also carries it and we accept it */
	for (unsigned i = 0; i < offer->n_props && !ok; i++) {
		const struct ike_proposal *pr = &offer->props[i];

		if (pr->num != q->choice.num)
			continue;
		for (unsigned k = 0; k < pr->n_xf; k++)
			if (pr->xf[k].type == IKEV2_XF_DH && pr->xf[k].id == g &&
			    group_offered(q->conn, g))
				ok = true;
	}
	if (ok) {
		q->choice.dh = g;
		for (unsigned k = 0; k < q->choice.n_xf; k++)
			if (q->choice.xf[k].type == IKEV2_XF_DH)
				q->choice.xf[k].id = g;
		return true;
	}
	ipx_st16(want, q->choice.dh);
	ipx_info("%s: IKE_SA_INIT from %s with KE group %s, we want %s: INVALID_KE_PAYLOAD",
		 q->conn->name, q->peer, ikev2_xf_name(IKEV2_XF_DH, g),
		 ikev2_xf_name(IKEV2_XF_DH, q->choice.dh));
	ike_send_init_error(q->mgr, q->h, q->local, q->remote, q->natt,
			    IKEV2_N_INVALID_KE_PAYLOAD, want, 2);
	return false;
}

/* 2.6 requires N(COOKIE) to be the first payload of a request echoing one. */
static bool carries_cookie(const uint8_t *buf, size_t len, const struct ike_hdr *h)
{
	return h->next == IKEV2_PL_NOTIFY && len >= IKE_HDR_LEN + 8 &&
	       ipx_ld16(buf + IKE_HDR_LEN + 6) == IKEV2_N_COOKIE;
}

/*
 * The flood guard (ike_guard.h): while the kernel drops IKE datagrams and
 * cookies are needed, a cookie-less request is answered (with a cookie,
 * further on) only when it comes again.  True when this one waits.
 */
static bool guard_defers(struct init_req *q)
{
	struct ike_mgr *mgr = q->mgr;
	uint64_t now = ike_now();
	const uint8_t *ip;
	size_t ip_len;

	if (!ike_guard_on(&mgr->guard, now) || mgr->n_half_open < mgr->cfg->cookie_threshold ||
	    carries_cookie(q->buf, q->len, q->h))
		return false;
	ip = addr_bytes(q->remote, &ip_len);
	if (ike_guard_repeated(&mgr->guard, now, ip, ip_len, q->h->spi_i)) {
		mgr->st.init_repeated++;
		return false;
	}
	mgr->st.init_deferred++;
	return true;
}

/*
 * A proposal of the first connection that admits the addresses and has
 * one for the offer (q->conn becomes it).  None: a warning with every
 * proposal offered and those of each connection tried; false.
 */
static bool pick_proposal(struct init_req *q)
{
	const struct cfg *cfg = q->mgr->cfg;
	char offer[400], conf[400];
	size_t o = 0;

	if (ike_prop_select(&q->sap->u.sa, q->conn->ike, q->conn->n_ike, &q->choice) == 0)
		return true;
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *c = &cfg->conns[i];

		if (c == q->conn || !ike_conn_admits(c, q->local, q->remote))
			continue;
		if (ike_prop_select(&q->sap->u.sa, c->ike, c->n_ike, &q->choice) == 0) {
			q->conn = c;
			return true;
		}
	}
	for (unsigned i = 0; i < cfg->n_conns && o < sizeof(conf); i++) {
		const struct cfg_conn *c = &cfg->conns[i];
		char one[300];

		if (!ike_conn_admits(c, q->local, q->remote))
			continue;
		o += (size_t)snprintf(conf + o, sizeof(conf) - o, "%s%s: %s", o ? "; " : "", c->name,
				      ike_props_cfg_str(c->ike, c->n_ike, one, sizeof(one)));
	}
	if (o >= sizeof(conf))
		memcpy(conf + sizeof(conf) - 4, "...", 4);
	ipx_warn("IKE_SA_INIT from %s: no acceptable IKE proposal (answered NO_PROPOSAL_CHOSEN): offered %s; configured %s",
		 q->peer, ike_offer_str(&q->sap->u.sa, offer, sizeof(offer)), conf);
	return false;
}

/*
 * Everything checked before a request may have state (docs/security.md
 * lists the order and what each costs): a retransmission of one answered
 * already, the flood guard, max_half_open, the message, a connection for the addresses,
 * cookies (2.6), max_half_open_per_source, a proposal, the KE group.
 * Each refusal is counted and answered statelessly or not at all.  True
 * when the request may have an IKE SA.
 */
static bool admit(struct init_req *q)
{
	struct ike_mgr *mgr = q->mgr;
	struct ikesa *sa = ike_sa_lookup_init(mgr, q->h->spi_i, q->remote);
	unsigned from_src;

	if (sa) {
		/* 2.1: a retransmission gets the same answer; anything else
		 * with that SPI and address is ignored */
		if (sa->state == IKE_CONNECTING && sa->init_req_len == q->len &&
		    memcmp(sa->init_req, q->buf, q->len) == 0)
			ike_resend_response(sa);
		return false;
	}
	if (guard_defers(q))
		return false;
	ike_addr_str(q->remote, q->peer, sizeof(q->peer));
	/* 2.6: past max_half_open nothing new is started at all */
	if (mgr->n_half_open >= (mgr->cfg->max_half_open ? mgr->cfg->max_half_open : 65535)) {
		mgr->st.dropped_half_open++;
		if ((mgr->st.dropped_half_open & 1023) == 1)
			ipx_warn("%u half-open IKE SAs: IKE_SA_INIT from %s dropped "
				 "(max_half_open; logged once per 1024)", mgr->n_half_open, q->peer);
		return false;
	}
	if (!parse(q))
		return false;
	q->conn = match_conn(mgr->cfg, q->local, q->remote);
	if (!q->conn) {
		char to[80];

		ipx_warn("IKE_SA_INIT from %s to %s: no connection has these addresses (local_addrs, remote_addrs): NO_PROPOSAL_CHOSEN",
			 q->peer, ike_addr_str(q->local, to, sizeof(to)));
		ike_send_init_error(mgr, q->h, q->local, q->remote, q->natt,
				    IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return false;
	}
	from_src = ike_half_open_from(mgr, q->remote);
	if (!cookie_ok(mgr, q->conn, q->m, q->h, q->local, q->remote, q->natt, from_src))
		return false;
	/* one address (its cookies returned: it is there) holds at most
	 * max_half_open_per_source of the max_half_open */
	if (mgr->cfg->max_half_open_per_source && from_src >= mgr->cfg->max_half_open_per_source) {
		mgr->st.half_open_source_dropped++;
		if ((mgr->st.half_open_source_dropped & 1023) == 1)
			ipx_warn("%s holds %u half-open IKE SAs: its IKE_SA_INIT dropped "
				 "(max_half_open_per_source; logged once per 1024)", q->peer, from_src);
		return false;
	}
	if (!pick_proposal(q)) {
		ike_send_init_error(mgr, q->h, q->local, q->remote, q->natt,
				    IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return false;
	}
	return ke_group(q);
}

/* Our IKE_SA_INIT answer for sa: SA, KE, Nonce, NAT detection, and what we
 * support. */
static int answer(struct ikesa *sa)
{
	struct ike_msg *r = sa->mgr->omsg;
	uint8_t ke[KE_BUF], src[IKEV2_NATD_LEN], dst[IKEV2_NATD_LEN];
	struct ike_proposal prop;
	struct ike_pld *p;
	size_t ke_len;
	int ret;

	if (ike_dh_public(sa->dh, ke, sizeof(ke), &ke_len) < 0)
		return -EIO;
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	ike_msg_start(sa, r, IKEV2_EXCH_IKE_SA_INIT, true, 0);
	p = ike_msg_add(r, IKEV2_PL_SA, false);
	if (!p)
		return -ENOSPC;
	ike_prop_choice_to_sa(&sa->prop, NULL, 0, &prop);
	p->u.sa.props = &prop;
	p->u.sa.n_props = 1;
	p = ike_msg_add(r, IKEV2_PL_KE, false);
	if (!p)
		return -ENOSPC;
	p->u.ke.group = sa->dh_group;
	p->u.ke.data = ke;
	p->u.ke.len = ke_len;
	p = ike_msg_add(r, IKEV2_PL_NONCE, false);
	if (!p)
		return -ENOSPC;
	p->u.nonce.data = sa->nr;
	p->u.nonce.len = sa->nr_len;
	if (add_natd(sa, r, sa->spi_r, sa->conn->encap, src, dst) < 0)
		return -ENOSPC;
	if (sa->frag_ok)
		ike_msg_add_notify(r, false, IKEV2_PROTO_NONE, NULL, 0,
				   IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_msg_add_notify(r, false, IKEV2_PROTO_NONE, NULL, 0,
			   IKEV2_N_SIGNATURE_HASH_ALGORITHMS, ike_cert_sig_hashes,
			   sizeof(ike_cert_sig_hashes));
	/* 1.2: [CERTREQ] when the connection checks a certificate */
	ike_cert_tx_reset(sa->mgr);
	if (ike_cert_add_certreq(sa, r, sa->conn, false) < 0)
		return -ENOSPC;
	ret = ike_send_response(sa, r);
	ike_cert_tx_reset(sa->mgr);
	return ret;
}

/* The SA of an admitted request: half-open, keys derived, answered, and
 * expiring after half_open_s without IKE_AUTH. */
static void create(struct init_req *q)
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	struct ike_mgr *mgr = q->mgr;
	struct ikesa *sa = ike_sa_new(mgr, false);
	struct timeval tv = { mgr->half_open_s, 0 };
	const char *why = NULL;

	if (!sa)
		return;
	sa->conn = q->conn;
	snprintf(sa->conn_name, sizeof(sa->conn_name), "%s", q->conn->name);
	sa->local = *q->local;
	sa->remote = *q->remote;
	sa->natt = q->natt;
	ike_sa_state(sa, IKE_CONNECTING);
	memcpy(sa->spi_i, q->h->spi_i, 8);
	ike_sa_hash_init(sa);
	sa->prop = q->choice;
	sa->dh_group = q->choice.dh;
	sa->resp_next = 1;
	sa->init_req = malloc(q->len);
	if (ike_sa_half_open(sa, true) < 0 || ike_spi_new(sa->spi_r) < 0 || !sa->init_req ||
	    ike_sa_nonces(sa) < 0)
		goto fail;
	ike_sa_rehash(sa);
	memcpy(sa->init_req, q->buf, q->len);
	sa->init_req_len = q->len;
	memcpy(sa->ni, q->np->u.nonce.data, q->np->u.nonce.len);
	sa->ni_len = q->np->u.nonce.len;
	sa->nr_len = IKE_NONCE_LEN;
	if (ike_random(sa->nr, sa->nr_len) < 0 || ike_dh_new(sa->dh_group, &sa->dh) < 0)
		goto fail;
	if (ike_dh_compute(sa->dh, q->kep->u.ke.data, q->kep->u.ke.len, &why) < 0) {
		ike_sa_log(sa, IPX_LOG_WARN, "initiator's KE rejected: %s: INVALID_SYNTAX",
			   why ? why : "?");
		ike_send_init_error(mgr, q->h, q->local, q->remote, q->natt,
				    IKEV2_N_INVALID_SYNTAX, NULL, 0);
		ike_sa_destroy(sa);
		return;
	}
	if (derive_keys(sa) < 0)
		goto fail;
	sa->keys_ok = true;
	check_natd(sa, q->m, zero);
	sa->frag_ok = ike_msg_notify(q->m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	ike_cert_peer_notes(sa, q->m);
	if (answer(sa) < 0)
		goto fail;
	/* the secret is in the keys, our KE in the cached answer: the
	 * private key goes now (retransmitted requests get the cache) */
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	sa->timer_ev = evtimer_new(mgr->base, half_open_expired, sa);
	if (!sa->timer_ev)
		goto fail;  /* it would never expire */
	event_add(sa->timer_ev, &tv);
	ike_sa_log(sa, IPX_LOG_INFO, "IKE_SA_INIT answered (%s)%s",
		   ikev2_xf_name(IKEV2_XF_DH, sa->dh_group),
		   sa->nat_here || sa->nat_there ? ", NAT detected" : "");
	return;
fail:
	ike_sa_log(sa, IPX_LOG_ERR, "cannot answer IKE_SA_INIT");
	ike_sa_destroy(sa);
}

void ike_init_respond(struct ike_mgr *mgr, const uint8_t *buf, size_t len,
		      const struct ike_hdr *h,
		      const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, bool natt)
{
	struct init_req q = {
		.mgr = mgr, .m = mgr->msg, .buf = buf, .len = len, .h = h,
		.local = local, .remote = remote, .natt = natt,
	};

	if (admit(&q))
		create(&q);
}
