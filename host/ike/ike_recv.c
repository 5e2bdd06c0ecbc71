/*
 * Receiving: every IKE datagram goes to its IKE SA by our SPI (IKE_SA_INIT
 * requests to ike_init.c), is verified and decrypted (fragments reassembled
 * in ike_frag.c), checked against the message-ID window (RFC 7296 2.3), and
 * handed to its exchange.  Nothing that has not verified is answered or
 * changes anything (docs/security.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

/*
 * Verify and decrypt the SK payload of m (parsed from buf) and parse what
 * it holds.  An SKF fragment (RFC 7383 2.6) is verified and decrypted on
 * its own and stored (ike_frag.c); the message is only parsed once the
 * last fragment is in, from a buffer of its own that *whole returns (the
 * caller frees it with *whole_len when done with m).
 * Returns 0; 1 (a fragment stored, more to come); -EACCES when the message
 * is not proven to come from the peer (no keys yet, no SK payload, the
 * integrity check failed): nothing may be answered or changed for it;
 * or, after it verified, -EBADMSG with *notify set (may be none) to
 * answer.
 */
static int open_sk(struct ikesa *sa, struct ike_msg *m, uint8_t *buf,
		   uint16_t *notify, uint8_t **whole, size_t *whole_len)
{
	const uint8_t *plain;
	size_t plain_len;
	struct ike_perr e = { 0 };
	bool from_init = m->hdr.flags & IKEV2_FLAG_INITIATOR;
	uint8_t first;
	int ret;

	*notify = IKEV2_N_NONE;
	*whole = NULL;
	*whole_len = 0;
	if (m->sk < 0 || !sa->keys_ok)
		return -EACCES;
	ret = ike_sk_decrypt(&sa->keys, from_init, m, buf, &plain, &plain_len);
	if (ret < 0)
		return ret == -EACCES ? -EACCES : -EBADMSG;
	first = m->pld[m->sk].u.sk.first;
	if (m->pld[m->sk].type == IKEV2_PL_SKF) {
		ret = ike_frag_add(sa, m, plain, plain_len, whole, whole_len, &first);
		if (ret != 0)
			return ret;
		plain = *whole;
		plain_len = *whole_len;
	}
	ret = ike_msg_parse_inner(m, first, plain, plain_len, &e);
	if (ret < 0) {
		ike_sa_log(sa, IPX_LOG_WARN, "bad %s: %s", ikev2_exchange_name(m->hdr.exchange),
			   e.reason ? e.reason : "malformed");
		*notify = e.notify;
		return -EBADMSG;
	}
	return 0;
}

static void whole_free(uint8_t *whole, size_t len)
{
	if (whole)
		OPENSSL_clear_free(whole, len ? len : 1);
}

/* 2.23: behind a NAT, the peer's address and port are those of its latest
 * authenticated message; its Child SAs follow. */
static void follow_peer(struct ikesa *sa, const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote, bool natt)
{
	struct ike_mgr *m = sa->mgr;
	char was[80], now[80];

	if (!natt || !(sa->nat_there || sa->nat_here))
		return;
	if (sa->remote.ss_family == remote->ss_family &&
	    memcmp(&sa->remote, remote, sizeof(*remote)) == 0)
		return;
	ike_addr_str(&sa->remote, was, sizeof(was));
	ike_addr_str(remote, now, sizeof(now));
	sa->remote = *remote;
	sa->local = *local;
	ike_sa_log(sa, IPX_LOG_INFO, "peer moved from %s to %s (NAT mapping changed)", was, now);
	for (struct child_sa *c = sa->children; c; c = c->next)
		if (m->io.child_moved)
			m->io.child_moved(m->io.ctx, c);
}

static void handle_response(struct ikesa *sa, uint8_t *buf, size_t len,
			    const struct sockaddr_storage *local,
			    const struct sockaddr_storage *remote, bool natt)
{
	struct ike_mgr *mgr = sa->mgr;
	struct ike_msg *m = mgr->msg;
	struct ike_perr e = { 0 };
	uint8_t *whole = NULL;
	size_t whole_len = 0;
	uint16_t notify;
	int (*cb)(struct ikesa *, struct ike_msg *);
	int ret;

	if (ike_msg_parse(m, buf, len, &e) < 0) {
		mgr->st.rx_bad++;
		ike_sa_log(sa, IPX_LOG_WARN, "malformed response dropped: %s", e.reason);
		return;
	}
	if (!sa->out.w.buf || m->hdr.msg_id != sa->out.id ||
	    m->hdr.exchange != sa->out.exchange) {
		mgr->st.rx_bad_msgid++;
		ipx_dbg("IKE SA %u: unexpected response %u dropped", sa->unique_id,
			m->hdr.msg_id);
		return;
	}
	if (m->hdr.exchange != IKEV2_EXCH_IKE_SA_INIT) {
		ret = open_sk(sa, m, buf, &notify, &whole, &whole_len);
		if (ret == 1)
			return;  /* more fragments to come */
		if (ret == -EACCES) {
			mgr->st.rx_auth_failed++;
			ike_sa_log(sa, IPX_LOG_WARN, "response failed its integrity check, dropped");
			return;
		}
		if (ret < 0) {
			mgr->st.rx_bad++;
			return;
		}
		follow_peer(sa, local, remote, natt);
	}
	sa->last_in = sa->last_activity = ike_now();
	cb = sa->out.on_response;
	ike_out_cancel(sa);
	ike_sa_kick(sa);   /* the window is free: what waited for it */
	sa->req_next++;
	/* the callback may destroy sa */
	if (cb)
		cb(sa, m);
	whole_free(whole, whole_len);
}

/* 2.21: a request that verified but cannot be processed is answered with
 * notify (it moves the window like any answered request). */
static void answer_error(struct ikesa *sa, const struct ike_hdr *h, uint16_t notify)
{
	sa->resp_next++;
	ike_send_error_response(sa, h->exchange, h->msg_id, notify, NULL, 0);
}

/* A request this SA cannot take in its state: before IKE_AUTH, a
 * responder's half-open SA takes IKE_AUTH only (whoever did IKE_SA_INIT
 * holds the keys, but is not authenticated). */
static bool request_in_state(const struct ikesa *sa, uint8_t exchange)
{
	if (!sa->initiator && sa->state == IKE_CONNECTING)
		return exchange == IKEV2_EXCH_IKE_AUTH;
	return true;
}

static void handle_request(struct ikesa *sa, uint8_t *buf, size_t len,
			   const struct sockaddr_storage *local,
			   const struct sockaddr_storage *remote, bool natt)
{
	struct ike_mgr *mgr = sa->mgr;
	struct ike_msg *m = mgr->msg;
	struct ike_perr e = { 0 };
	uint8_t *whole = NULL;
	size_t whole_len = 0;
	struct ike_hdr h;
	uint16_t notify;
	int ret;

	if (ike_hdr_parse(buf, len, &h, &e) < 0)
		return;
	/* our answer waits for the certificates it sent by URL */
	if (ike_cert_waiting(sa) && h.msg_id + 1 == sa->resp_next) {
		ipx_dbg("IKE SA %u: request %u retransmitted while its certificates are fetched: dropped",
			sa->unique_id, h.msg_id);
		return;
	}
	/* 2.1: a retransmitted request gets the same response again (for a
	 * fragmented one, on its first fragment only: RFC 7383 2.6.1) */
	if (sa->last_resp.buf && h.msg_id + 1 == sa->resp_next) {
		if (h.next == IKEV2_PL_SKF && len >= IKE_HDR_LEN + 6 &&
		    ipx_ld16(buf + IKE_HDR_LEN + 4) != 1)
			return;
		ipx_dbg("IKE SA %u: request %u retransmitted, response resent",
			sa->unique_id, h.msg_id);
		ike_resend_response(sa);
		return;
	}
	if (h.msg_id != sa->resp_next) {
		mgr->st.rx_bad_msgid++;
		ike_sa_log(sa, IPX_LOG_WARN, "request with message ID %u, expected %u: dropped",
			   h.msg_id, sa->resp_next);
		return;
	}
	if (!request_in_state(sa, h.exchange)) {
		mgr->st.rx_out_of_state++;
		ike_sa_log(sa, IPX_LOG_WARN, "%s request on a half-open IKE SA (before IKE_AUTH): dropped",
			   ikev2_exchange_name(h.exchange));
		return;
	}
	if (ike_msg_parse(m, buf, len, &e) < 0) {
		mgr->st.rx_bad++;
		ike_sa_log(sa, IPX_LOG_WARN, "malformed %s request dropped: %s",
			   ikev2_exchange_name(h.exchange), e.reason);
		return;
	}
	ret = open_sk(sa, m, buf, &notify, &whole, &whole_len);
	if (ret == 1)
		return;
	if (ret == -EACCES) {
		/* not from the peer: nothing is answered, the window stays */
		mgr->st.rx_auth_failed++;
		ike_sa_log(sa, IPX_LOG_WARN, "%s request %s, dropped",
			   ikev2_exchange_name(h.exchange),
			   sa->keys_ok ? "failed its integrity check" : "before we have keys");
		return;
	}
	if (ret < 0) {
		mgr->st.rx_bad++;
		if (notify)
			answer_error(sa, &h, notify);
		return;
	}
	/* authenticated from here on */
	if (natt && !sa->natt) {
		/* 2.23: the peer floated to the NAT-T port */
		sa->natt = true;
		sa->local = *local;
		sa->remote = *remote;
	} else {
		follow_peer(sa, local, remote, natt);
	}
	sa->last_in = sa->last_activity = ike_now();
	sa->resp_next++;
	ike_sa_kick(sa);
	switch (h.exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		ike_auth_respond(sa, m);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		ike_info_respond(sa, m);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		ike_create_child_respond(sa, m);
		break;
	default:
		ike_sa_log(sa, IPX_LOG_WARN, "%s request not supported",
			   ikev2_exchange_name(h.exchange));
		ike_send_error_response(sa, h.exchange, h.msg_id, IKEV2_N_INVALID_SYNTAX, NULL, 0);
	}
	whole_free(whole, whole_len);
}

void ike_mgr_input(struct ike_mgr *mgr, const uint8_t *dgram, size_t len,
		   const struct sockaddr_storage *local,
		   const struct sockaddr_storage *remote, bool natt)
{
	struct ike_perr e = { 0 };
	struct ike_hdr h;
	struct ikesa *sa;
	bool response, from_init;
	uint8_t *buf;

	mgr->st.rx++;
	if (ike_hdr_parse(dgram, len, &h, &e) < 0) {
		char a[80];

		mgr->st.rx_bad++;
		ipx_dbg("IKE datagram from %s dropped: %s",
			ike_addr_str(remote, a, sizeof(a)), e.reason);
		/* 2.5: an unknown major version in an IKE_SA_INIT request is
		 * answered, so the peer can fall back */
		if (e.notify == IKEV2_N_INVALID_MAJOR_VERSION &&
		    len >= IKE_HDR_LEN && dgram[18] == IKEV2_EXCH_IKE_SA_INIT &&
		    !(dgram[19] & IKEV2_FLAG_RESPONSE)) {
			struct ike_hdr hv;

			memset(&hv, 0, sizeof(hv));
			memcpy(hv.spi_i, dgram, 8);
			ike_send_init_error(mgr, &hv, local, remote, natt,
					    IKEV2_N_INVALID_MAJOR_VERSION, NULL, 0);
		}
		return;
	}
	response = h.flags & IKEV2_FLAG_RESPONSE;
	from_init = h.flags & IKEV2_FLAG_INITIATOR;
	if (h.exchange == IKEV2_EXCH_IKE_SA_INIT && !response) {
		ike_init_respond(mgr, dgram, len, &h, local, remote, natt);
		return;
	}
	/* the message's I flag says who sent it: our SPI is the other one */
	sa = ike_sa_lookup(mgr, from_init ? h.spi_r : h.spi_i, !from_init);
	if (!sa || (sa->keys_ok && memcmp(from_init ? h.spi_i : h.spi_r,
					  from_init ? sa->spi_i : sa->spi_r, 8) != 0)) {
		char a[80];

		mgr->st.rx_unknown_spi++;
		ipx_dbg("IKE %s from %s for an unknown SA dropped",
			ikev2_exchange_name(h.exchange), ike_addr_str(remote, a, sizeof(a)));
		return;
	}
	/* work on a copy: decryption is in place and the caller's buffer is
	 * theirs */
	buf = malloc(len);
	if (!buf)
		return;
	memcpy(buf, dgram, len);
	if (response)
		handle_response(sa, buf, len, local, remote, natt);
	else
		handle_request(sa, buf, len, local, remote, natt);
	/* it holds the decrypted payloads now */
	OPENSSL_clear_free(buf, len);
}
