/*
 * IKE_AUTH (RFC 7296 1.2) with pre-shared keys (2.15), creating the first
 * Child SA.  A Child SA that cannot be created does not stop the IKE SA
 * (1.2: the IKE SA is still established, the error notify says why).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "ike_pki.h"
#include "ike_sa.h"

/* RestOfIDPayload (2.15): ID type, three reserved octets, the data. */
static void id_payload(const struct cfg_id *id, struct ike_pld *p)
{
	p->u.id.type = id->type;
	p->u.id.data = id->data;
	p->u.id.len = id->len;
}

/* What the signer's AUTH covers (2.15): its IKE_SA_INIT message, the
 * other side's nonce, its SK_p and identity. */
static void auth_in(const struct ikesa *sa, bool signer_is_initiator, uint8_t id_type,
		    const uint8_t *id, size_t id_len, struct ike_auth_in *in)
{
	memset(in, 0, sizeof(*in));
	in->prf = sa->prop.prf;
	in->sk_p = signer_is_initiator ? sa->keys.sk_pi : sa->keys.sk_pr;
	in->sk_p_len = sa->keys.prf_len;
	in->msg = signer_is_initiator ? sa->init_req : sa->init_resp;
	in->msg_len = signer_is_initiator ? sa->init_req_len : sa->init_resp_len;
	in->nonce = signer_is_initiator ? sa->nr : sa->ni;
	in->nonce_len = signer_is_initiator ? sa->nr_len : sa->ni_len;
	in->id_type = id_type;
	in->id = id;
	in->id_len = id_len;
}

#define AUTH_MAX 2048   /* a signature of RSA up to 8192 bits, with RFC 7427's header */

/* Our identity on this IKE SA: local.id, or, with neither it nor
 * local_addrs (local_id.dynamic), the address the IKE SA runs on, as
 * strongSwan does.  tmp holds the latter. */
static const struct cfg_id *our_id(const struct ikesa *sa, const struct cfg_conn *c,
				   struct cfg_id *tmp)
{
	const void *a;

	if (!c->local_id.dynamic)
		return &c->local_id;
	memset(tmp, 0, sizeof(*tmp));
	if (sa->local.ss_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)&sa->local)->sin6_addr;
		tmp->type = IKEV2_ID_IPV6_ADDR;
		tmp->len = 16;
	} else {
		a = &((const struct sockaddr_in *)&sa->local)->sin_addr;
		tmp->type = IKEV2_ID_IPV4_ADDR;
		tmp->len = 4;
	}
	memcpy(tmp->data, a, tmp->len);
	inet_ntop(sa->local.ss_family == AF_INET6 ? AF_INET6 : AF_INET, a, tmp->text,
		  sizeof(tmp->text));
	return tmp;
}

/* Our AUTH payload, with our certificates before it when we sign (the
 * caller has added our ID; 1.2: ID, [CERT,] [CERTREQ,] ... AUTH). */
static int add_our_auth(struct ikesa *sa, struct ike_msg *m, uint8_t *buf, size_t *len)
{
	const struct cfg_conn *c = sa->conn;
	struct ike_auth_in in;
	struct ike_pld *p;
	uint8_t method = IKEV2_AUTH_SHARED_KEY_MIC;
	struct cfg_id me_buf;
	const struct cfg_id *me = our_id(sa, c, &me_buf);
	int ret;

	auth_in(sa, sa->initiator, me->type, me->data, me->len, &in);
	if (c->local_auth == CFG_AUTH_PUBKEY)
		ret = ike_cert_sign(sa, &in, &method, buf, AUTH_MAX, len);
	else
		ret = ike_auth_psk(&in, c->psk, c->psk_len, buf, len);
	if (ret < 0)
		return ret;
	p = ike_msg_add(m, IKEV2_PL_AUTH, true);
	if (!p)
		return -ENOSPC;
	p->u.auth.method = method;
	p->u.auth.data = buf;
	p->u.auth.len = *len;
	return 0;
}

/* The peer's AUTH (and certificate): 0, -EACCES with why, or
 * -EINPROGRESS (waiting for Hash and URL: ike_cert.c resumes). */
static int verify_peer(struct ikesa *sa, const struct ike_msg *m, const struct ike_id *id,
		       const struct ike_auth *auth, char *why, size_t n)
{
	const struct cfg_conn *c = sa->conn;
	struct ike_auth_in in;

	auth_in(sa, !sa->initiator, id->type, id->data, id->len, &in);
	if (c->remote_auth == CFG_AUTH_PUBKEY)
		return ike_cert_verify_peer(sa, m, id, auth, &in, why, n);
	if (auth->method != IKEV2_AUTH_SHARED_KEY_MIC) {
		snprintf(why, n, "the peer authenticates with %s; connection %s wants a PSK (remote.auth: psk)",
			 ikev2_auth_name(auth->method), c->name);
		return -EACCES;
	}
	if (ike_auth_psk_verify(&in, c->psk, c->psk_len, auth->data, auth->len) < 0) {
		snprintf(why, n, "AUTH does not verify (wrong PSK?)");
		return -EACCES;
	}
	snprintf(sa->peer_auth, sizeof(sa->peer_auth), "PSK");
	free(sa->peer_cert);
	sa->peer_cert = NULL;
	return 0;
}

static bool id_matches(const struct cfg_id *want, const struct ike_id *got)
{
	if (want->any)
		return true;
	if (want->type != got->type)
		return false;
	if (want->type == IKEV2_ID_DER_ASN1_DN)
		return ike_cert_dn_equal(want->data, want->len, got->data, got->len);
	return want->len == got->len && memcmp(want->data, got->data, got->len) == 0;
}

/* An ID payload's text into t (CFG_ID_MAX octets). */
static const char *id_str(const struct ike_id *id, char *t)
{
	size_t len = id->len < CFG_ID_MAX ? id->len : CFG_ID_MAX - 1;

	if (id->type == IKEV2_ID_IPV4_ADDR && id->len == 4)
		inet_ntop(AF_INET, id->data, t, CFG_ID_MAX);
	else if (id->type == IKEV2_ID_IPV6_ADDR && id->len == 16)
		inet_ntop(AF_INET6, id->data, t, CFG_ID_MAX);
	else if (id->type == IKEV2_ID_FQDN || id->type == IKEV2_ID_RFC822_ADDR) {
		size_t n = len;

		memcpy(t, id->data, n);
		t[n] = 0;
		for (size_t i = 0; i < n; i++)
			if (t[i] < 0x20 || t[i] > 0x7e)
				t[i] = '?';  /* peer-chosen text goes into logs */
	} else if (id->type != IKEV2_ID_DER_ASN1_DN ||
		   ike_pki_dn_to_text(id->data, id->len, t, CFG_ID_MAX) < 0) {
		snprintf(t, CFG_ID_MAX, "<%s, %zu bytes>", ikev2_id_name(id->type), id->len);
	}
	return t;
}

/* The peer's ID into out (its octets, at most CFG_ID_MAX - 1, and their
 * text): 0 or -ENOMEM. */
static int id_text(const struct ike_id *id, struct ike_peer_id *out)
{
	size_t len = id->len < CFG_ID_MAX ? id->len : CFG_ID_MAX - 1;
	char t[CFG_ID_MAX];

	return ike_peer_id_set(out, id->type, id->data, len, id_str(id, t));
}

/* For the lines that compare identities: "moon.example (FQDN)" (the
 * type too: "192.0.2.1" may be an address or an FQDN). */
#define ID_STR_MAX (CFG_ID_MAX + 24)
static const char *id_typed(const struct ike_id *id, char *buf)
{
	char t[CFG_ID_MAX];

	snprintf(buf, ID_STR_MAX, "%s (%s)", id_str(id, t), ikev2_id_name(id->type));
	return buf;
}

static const char *cfg_id_typed(const struct cfg_id *id, char *buf)
{
	if (id->any)
		snprintf(buf, ID_STR_MAX, "%%any");
	else
		snprintf(buf, ID_STR_MAX, "%s (%s)", id->text, ikev2_id_name(id->type));
	return buf;
}

/* ---- initiator ---- */

static int auth_response(struct ikesa *sa, struct ike_msg *m);

int ike_auth_start(struct ikesa *sa)
{
	struct ike_msg *m = sa->mgr->omsg;
	const struct cfg_conn *c = sa->conn;
	const struct cfg_child *want;
	struct cfg_id me_buf;
	uint8_t auth[AUTH_MAX];
	size_t auth_len = 0;
	struct ike_pld *p;
	int ret;

	ike_cert_tx_reset(sa->mgr);
	ike_msg_start(sa, m, IKEV2_EXCH_IKE_AUTH, false, sa->req_next);
	if (!ike_msg_add(m, IKEV2_PL_SK, false))
		return -ENOSPC;
	p = ike_msg_add(m, IKEV2_PL_IDI, true);
	if (!p)
		return -ENOSPC;
	id_payload(our_id(sa, c, &me_buf), p);
	ret = ike_cert_add_ours(sa, m);
	if (ret == 0)
		ret = ike_cert_add_certreq(sa, m, c, true);
	if (ret < 0)
		return ret;
	if (!c->remote_id.any) {
		p = ike_msg_add(m, IKEV2_PL_IDR, true);
		if (!p)
			return -ENOSPC;
		id_payload(&c->remote_id, p);
	}
	ret = add_our_auth(sa, m, auth, &auth_len);
	if (ret < 0)
		goto out;
	/* 2.4: we hold no other IKE SA with this peer; not when this one is
	 * to replace a running one (reauthentication): the peer would drop
	 * the old SA before the new one carries traffic */
	if (!sa->reauth_of && !ike_mgr_find_conn_established(sa->mgr, sa->conn_name, sa))
		ike_msg_add_notify(m, true, IKEV2_PROTO_NONE, NULL, 0,
				   IKEV2_N_INITIAL_CONTACT, NULL, 0);
	want = cfg_child_find(c, sa->want_child);
	if (want) {
		ret = -ENOMEM;
		sa->new_child = ike_child_new(sa, want);
		if (!sa->new_child)
			goto out;
		ret = ike_child_add_request(sa, sa->new_child, m, false);
		if (ret < 0)
			goto out;
	}
	ike_sa_state(sa, IKE_AUTHENTICATING);
	ret = ike_send_request(sa, m, auth_response);
out:
	OPENSSL_cleanse(auth, sizeof(auth));
	ike_cert_tx_reset(sa->mgr);
	return ret;
}

/* The peer refused our IKE_AUTH with notify: what we sent it, and where
 * to look. */
static void auth_refused(struct ikesa *sa, uint16_t notify)
{
	const struct cfg_conn *c = sa->conn;
	bool cert = c->local_auth == CFG_AUTH_PUBKEY;
	char why[2 * ID_STR_MAX + CFG_NAME_MAX + 256], idi[ID_STR_MAX], r[ID_STR_MAX];
	char idr[ID_STR_MAX + 8];
	struct cfg_id me_buf;

	if (c->remote_id.any)
		snprintf(idr, sizeof(idr), "no IDr");
	else
		snprintf(idr, sizeof(idr), "IDr %s", cfg_id_typed(&c->remote_id, r));
	snprintf(why, sizeof(why),
		 "IKE_AUTH refused: %s from the peer; we sent IDi %s, %s, %s%s%s%s",
		 ikev2_notify_name(notify), cfg_id_typed(our_id(sa, c, &me_buf), idi), idr,
		 cert ? "a certificate's signature" : "a PSK",
		 sa->want_child[0] ? " and Child SA " : "", sa->want_child,
		 notify != IKEV2_N_AUTHENTICATION_FAILED ? "" : cert ?
		 " (check our certificate, its CA at the peer, and both ends' identities)" :
		 " (check the PSK and both ends' identities)");
	ike_sa_fail(sa, why);
}

static int auth_response(struct ikesa *sa, struct ike_msg *m)
{
	const struct ike_pld *idp = ike_msg_get(m, IKEV2_PL_IDR, 0);
	const struct ike_pld *ap = ike_msg_get(m, IKEV2_PL_AUTH, 0);
	struct child_sa *c = sa->new_child;
	char why[512], got[ID_STR_MAX], want[ID_STR_MAX];
	uint16_t cerr;
	int ret;

	if (!sa->conn) {
		ike_sa_fail(sa, "connection removed by a reload");
		return -ENOENT;
	}
	if (ike_msg_notify(m, IKEV2_N_AUTHENTICATION_FAILED)) {
		auth_refused(sa, IKEV2_N_AUTHENTICATION_FAILED);
		return -EACCES;
	}
	if (!idp || !ap) {
		for (unsigned i = 0; i < m->n_pld; i++)
			if (m->pld[i].type == IKEV2_PL_NOTIFY && m->pld[i].u.n.type < 16384) {
				auth_refused(sa, m->pld[i].u.n.type);
				return -EACCES;
			}
		ike_sa_fail(sa, "IKE_AUTH response lacks IDr or AUTH");
		return -EBADMSG;
	}
	if (id_text(&idp->u.id, &sa->peer_id) < 0) {
		ike_sa_fail(sa, "out of memory for the peer's identity");
		return -ENOMEM;
	}
	if (!id_matches(&sa->conn->remote_id, &idp->u.id)) {
		/* the peer's own identity: ours it has accepted */
		snprintf(why, sizeof(why), "the responder's identity (IDr) %s is not remote.id %s of connection %s",
			 id_typed(&idp->u.id, got), cfg_id_typed(&sa->conn->remote_id, want),
			 sa->conn_name);
		ike_sa_fail(sa, why);
		return -EACCES;
	}
	ret = verify_peer(sa, m, &idp->u.id, &ap->u.auth, why, sizeof(why));
	if (ret == -EINPROGRESS)
		return 0;
	if (ret < 0) {
		char msg[sizeof(why) + 64];

		sa->mgr->st.rx_auth_failed++;
		snprintf(msg, sizeof(msg), "AUTHENTICATION_FAILED: the responder's %s", why);
		ike_sa_fail(sa, msg);
		return -EACCES;
	}
	ike_sa_established(sa);
	if (c) {
		sa->new_child = NULL;
		cerr = ike_child_check_reply(sa, c, m);
		if (cerr) {
			/* 1.2: the IKE SA stands without it */
			if (ike_msg_notify(m, cerr))
				snprintf(why, sizeof(why), "%s from the peer", ikev2_notify_name(cerr));
			else
				snprintf(why, sizeof(why), "unusable answer from the peer (%s)",
					 ikev2_notify_name(cerr));
			ike_child_failed(sa, c, why);
			ike_child_free(c);
		} else if (ike_child_install(sa, c, true, sa->ni, sa->ni_len, sa->nr,
					     sa->nr_len, NULL, 0) < 0) {
			/* the first Child SA's keys come from the
			 * IKE_SA_INIT nonces (2.17) */
			ike_child_failed(sa, c, "the ESP engine refused its SAs");
			ike_child_free(c);
		} else {
			ike_child_activate(sa, c, NULL, true);
		}
	}
	/* the nonces have served AUTH and the first Child SA's keys */
	ike_sa_nonces_free(sa);
	return 0;
}

int ike_auth_response_resume(struct ikesa *sa, struct ike_msg *m)
{
	return auth_response(sa, m);
}

/* ---- responder ---- */

static bool id_is(const struct cfg_id *ours, const struct ike_id *named)
{
	return ours->type == named->type && ours->len == named->len &&
	       memcmp(ours->data, named->data, named->len) == 0;
}

/* Why connection c may not take this IKE SA over (NULL: it may): its
 * addresses must admit the SA as IKE_SA_INIT's choice did, and its IKE
 * proposals must contain the one negotiated. */
static const char *conn_refuses(const struct ikesa *sa, const struct cfg_conn *c)
{
	struct ike_proposal p;
	struct ike_sa one = { &p, 1 };
	struct ike_prop_choice again;

	if (!ike_conn_admits(c, &sa->local, &sa->remote))
		return "its local_addrs/remote_addrs do not admit this IKE SA";
	ike_prop_choice_to_sa(&sa->prop, NULL, 0, &p);
	if (ike_prop_select(&one, c->ike, c->n_ike, &again) < 0)
		return "its proposals do not contain the one negotiated";
	return NULL;
}

/*
 * The responder's connection for this IKE SA, now that the identities
 * are known.  IKE_SA_INIT chose one by addresses alone (sa->conn; NULL
 * when a reload has removed or renamed it since); the identities may
 * belong to another.  A connection qualifies when its remote identity
 * matches IDi, its local identity is IDr when the peer named us, its
 * addresses admit the SA and its proposals contain the negotiated one: a
 * peer admitted under one connection cannot present another's identity to
 * escape that one's remote_addrs or proposals.  IKE_SA_INIT's choice wins
 * when it qualifies.  NULL with *why set (for the log) when none does.
 */
/* Why IKE_SA_INIT's connection c does not take these identities: the
 * peer's (IDi) against remote.id, and ours as the peer asked for it (IDr)
 * against local.id. */
static void ids_refused(const struct ikesa *sa, const struct cfg_conn *c,
			const struct ike_id *idi, const struct ike_id *idr, char *why,
			size_t whylen)
{
	char got[ID_STR_MAX], want[ID_STR_MAX];
	struct cfg_id me_buf;
	const struct cfg_id *me = our_id(sa, c, &me_buf);
	size_t o = 0;

	snprintf(why, whylen, "connection %s refuses these identities", c->name);
	if (!id_matches(&c->remote_id, idi))
		o = (size_t)snprintf(why, whylen, "peer identity (IDi) %s does not match remote.id %s of connection %s",
				     id_typed(idi, got), cfg_id_typed(&c->remote_id, want), c->name);
	if (idr && !id_is(me, idr) && o < whylen)
		snprintf(why + o, whylen - o, "%sthe peer asks for us as (IDr) %s, local.id of connection %s is %s",
			 o ? "; " : "", id_typed(idr, got), c->name, cfg_id_typed(me, want));
}

static const struct cfg_conn *pick_conn(struct ikesa *sa, const struct ike_id *idi,
					const struct ike_id *idr, char *why, size_t whylen)
{
	const struct cfg *cfg = sa->mgr->cfg;
	const struct cfg_conn *first = sa->conn;

	if (first)
		ids_refused(sa, first, idi, idr, why, whylen);
	else
		snprintf(why, whylen, "no connection for peer identity %s (a reload removed %s)",
			 sa->peer_id.text, sa->conn_name);
	/* IKE_SA_INIT's choice first, then the others in order */
	for (int i = first ? -1 : 0; i < (int)cfg->n_conns; i++) {
		const struct cfg_conn *c = i < 0 ? first : &cfg->conns[i];
		const char *no;
		struct cfg_id me_buf;

		if ((i >= 0 && c == first) || !id_matches(&c->remote_id, idi) ||
		    (idr && !id_is(our_id(sa, c, &me_buf), idr)))
			continue;
		/* (IKE_SA_INIT's own may have changed in a reload since) */
		no = conn_refuses(sa, c);
		if (!no) {
			if (c != first && first)
				ike_sa_log(sa, IPX_LOG_INFO, "peer identity %s: connection %s instead of %s",
					   sa->peer_id.text, c->name, first->name);
			return c;
		}
		if (c == first)
			snprintf(why, whylen, "peer identity %s: connection %s, changed by a reload, may not take this IKE SA any more: %s",
				 sa->peer_id.text, c->name, no);
		else if (first)
			snprintf(why, whylen, "peer identity %s belongs to connection %s, not %s, and %s may not take this IKE SA: %s",
				 sa->peer_id.text, c->name, first->name, c->name, no);
		else
			snprintf(why, whylen, "peer identity %s belongs to connection %s (after a reload removed %s), which may not take this IKE SA: %s",
				 sa->peer_id.text, c->name, sa->conn_name, no);
	}
	return NULL;
}

/* Established IKE SAs (not replaced by a rekey) of sa's connection with
 * the same peer: its identity, at its address. */
static unsigned peer_ike_sas(const struct ikesa *sa)
{
	unsigned n = 0;

	for (const struct ikesa *o = ike_peer_next(sa, sa); o; o = ike_peer_next(sa, o))
		n += o->state == IKE_ESTABLISHED &&
		     o->peer_id.type == sa->peer_id.type && o->peer_id.len == sa->peer_id.len &&
		     memcmp(o->peer_id.data, sa->peer_id.data, sa->peer_id.len) == 0 &&
		     ike_same_ip(&o->remote, &sa->remote);
	return n;
}

static int send_auth_failed(struct ikesa *sa, uint32_t id)
{
	return ike_send_error_response(sa, IKEV2_EXCH_IKE_AUTH, id,
				       IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
}

int ike_auth_respond(struct ikesa *sa, struct ike_msg *m)
{
	const struct ike_pld *idi = ike_msg_get(m, IKEV2_PL_IDI, 0);
	const struct ike_pld *idr = ike_msg_get(m, IKEV2_PL_IDR, 0);
	const struct ike_pld *ap = ike_msg_get(m, IKEV2_PL_AUTH, 0);
	struct ike_msg *r = sa->mgr->omsg;
	const struct cfg_conn *c;
	struct child_sa *child = NULL;
	const char *refused = NULL;
	struct cfg_id me_buf;
	uint8_t auth[AUTH_MAX];
	size_t auth_len = 0;
	uint16_t cerr = 0;
	struct ike_pld *p;
	char why[CFG_ID_MAX + 3 * CFG_NAME_MAX + 320];
	unsigned held;
	int ret;

	if (sa->state != IKE_CONNECTING || sa->initiator) {
		/* a second IKE_AUTH, or one sent to the initiator: answered
		 * (the window has moved), not acted on */
		ike_sa_log(sa, IPX_LOG_WARN, "IKE_AUTH request on an IKE SA that is %s: INVALID_SYNTAX",
			   sa->initiator ? "ours (we initiated it)" : "past IKE_AUTH");
		sa->mgr->st.rx_out_of_state++;
		ike_send_error_response(sa, IKEV2_EXCH_IKE_AUTH, m->hdr.msg_id,
					IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return -EINVAL;
	}
	if (!idi || !ap) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE_AUTH lacks IDi or AUTH: AUTHENTICATION_FAILED");
		send_auth_failed(sa, m->hdr.msg_id);
		ike_sa_destroy(sa);
		return -EBADMSG;
	}
	if (!sa->cert_wait)  /* (not again when it resumes after Hash and URL) */
		ike_cert_peer_notes(sa, m);
	if (id_text(&idi->u.id, &sa->peer_id) < 0) {
		ike_sa_log(sa, IPX_LOG_ERR, "out of memory for the peer's identity");
		ike_sa_destroy(sa);
		return -ENOMEM;
	}
	c = pick_conn(sa, &idi->u.id, idr ? &idr->u.id : NULL, why, sizeof(why));
	if (!c) {
		ike_sa_log(sa, IPX_LOG_WARN, "%s: AUTHENTICATION_FAILED", why);
		sa->mgr->st.rx_auth_failed++;
		send_auth_failed(sa, m->hdr.msg_id);
		ike_sa_destroy(sa);
		return -EACCES;
	}
	sa->conn = c;
	snprintf(sa->conn_name, sizeof(sa->conn_name), "%s", c->name);
	ret = verify_peer(sa, m, &idi->u.id, &ap->u.auth, why, sizeof(why));
	if (ret == -EINPROGRESS)
		return 0;  /* Hash and URL: ike_cert.c calls again */
	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_WARN, "peer identity %s: %s: AUTHENTICATION_FAILED",
			   sa->peer_id.text, why);
		sa->mgr->st.rx_auth_failed++;
		send_auth_failed(sa, m->hdr.msg_id);
		ike_sa_destroy(sa);
		return -EACCES;
	}
	/* authenticated: within what one peer may hold?  (A peer that says
	 * INITIAL_CONTACT replaces what it held: not counted.) */
	held = ike_msg_notify(m, IKEV2_N_INITIAL_CONTACT) ? 0 : peer_ike_sas(sa);
	if (c->max_ike_sas_per_peer && held >= c->max_ike_sas_per_peer) {
		ike_sa_log(sa, IPX_LOG_WARN,
			   "peer identity %s holds %u IKE SAs from this address already (max_ike_sas_per_peer): AUTHENTICATION_FAILED",
			   sa->peer_id.text, held);
		sa->mgr->st.ike_sa_limit++;
		send_auth_failed(sa, m->hdr.msg_id);
		ike_sa_destroy(sa);
		return -EACCES;
	}

	ike_cert_tx_reset(sa->mgr);
	ike_msg_start(sa, r, IKEV2_EXCH_IKE_AUTH, true, m->hdr.msg_id);
	if (!ike_msg_add(r, IKEV2_PL_SK, false))
		return -ENOSPC;
	p = ike_msg_add(r, IKEV2_PL_IDR, true);
	if (!p)
		return -ENOSPC;
	id_payload(our_id(sa, c, &me_buf), p);
	ret = ike_cert_add_ours(sa, r);
	if (ret == 0)
		ret = add_our_auth(sa, r, auth, &auth_len);
	if (ret < 0) {
		OPENSSL_cleanse(auth, sizeof(auth));
		ike_cert_tx_reset(sa->mgr);
		return ret;
	}
	if (ike_msg_get(m, IKEV2_PL_SA, 0)) {
		cerr = ike_child_respond(sa, m, r, &child, false, NULL, &refused);
		if (cerr)
			ike_msg_add_notify(r, true, IKEV2_PROTO_NONE, NULL, 0, cerr, NULL, 0);
	}
	ret = ike_send_response(sa, r);
	OPENSSL_cleanse(auth, sizeof(auth));
	ike_cert_tx_reset(sa->mgr);
	if (ret < 0) {
		ike_child_free(child);
		return ret;
	}
	ike_sa_established(sa);
	if (ike_msg_notify(m, IKEV2_N_INITIAL_CONTACT)) {
		/* 2.4: the peer holds no other IKE SA with us: drop our stale
		 * ones of the same connection and identity, without Delete.
		 * Only those the peer had initiated: one we initiated may be
		 * racing this one (both sides starting at once) and is left
		 * to the liveness check. */
		struct ikesa *o, *next;

		/* (a destroy can take others of the same peer with it, an
		 * IKE SA rekey's new SA: look again from the start) */
		for (o = ike_peer_next(sa, sa); o; o = next) {
			next = ike_peer_next(sa, o);
			if (!o->initiator &&
			    (o->state == IKE_ESTABLISHED || o->state == IKE_REKEYED)) {
				ike_sa_log(o, IPX_LOG_INFO, "replaced after INITIAL_CONTACT");
				ike_sa_destroy(o);
				next = ike_peer_next(sa, sa);
			}
		}
	}
	/* (the refusal was logged with what was offered: now that the IKE
	 * SA is up, the event) */
	if (cerr && refused)
		ike_child_refused_event(sa, refused, m);
	else if (cerr)
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA not created: %s", ikev2_notify_name(cerr));
	if (child) {
		if (ike_child_install(sa, child, false, sa->ni, sa->ni_len, sa->nr,
				      sa->nr_len, NULL, 0) < 0)
			ike_child_free(child);
		else
			ike_child_activate(sa, child, NULL, false);
	}
	/* the nonces have served AUTH and the first Child SA's keys (a
	 * retransmitted IKE_AUTH gets the cached answer) */
	ike_sa_nonces_free(sa);
	return 0;
}
