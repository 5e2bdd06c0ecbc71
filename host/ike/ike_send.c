/*
 * Sending (RFC 7296 2.1-2.4): messages built, encrypted and, when too large
 * for the peer's path, cut into RFC 7383 fragments (ike_frag.c); our one
 * request in flight (window size 1) with retransmission and exponential
 * back-off; the response we sent last, kept for the peer's retransmissions;
 * the stateless answers to IKE_SA_INIT.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "ike_sa.h"

void ike_wire_free(struct ike_wire *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void ike_out_cancel(struct ikesa *sa)
{
	ike_wire_free(&sa->out.w);
	memset(&sa->out, 0, sizeof(sa->out));
	/* the timer exists only while a request is in flight: an idle SA
	 * does not keep one (send_request makes it again) */
	if (sa->rtx_ev)
		event_free(sa->rtx_ev);
	sa->rtx_ev = NULL;
}

void ike_msg_start(struct ikesa *sa, struct ike_msg *m, uint8_t exchange,
		   bool response, uint32_t id)
{
	uint8_t flags = (sa->initiator ? IKEV2_FLAG_INITIATOR : 0) |
			(response ? IKEV2_FLAG_RESPONSE : 0);

	ike_msg_init(m, sa->spi_i, sa->spi_r, exchange, flags, id);
}

static int send_wire(struct ikesa *sa, const struct ike_wire *w)
{
	struct ike_mgr *m = sa->mgr;
	size_t off = 0;
	int ret = 0;

	if (!w->n_frags) {
		m->st.tx++;
		return m->io.send(m->io.ctx, &sa->local, &sa->remote, sa->natt, w->buf, w->len);
	}
	for (unsigned i = 0; i < w->n_frags; i++) {
		m->st.tx++;
		m->st.fragments_tx++;
		ret = m->io.send(m->io.ctx, &sa->local, &sa->remote, sa->natt,
				 w->buf + off, w->frag_len[i]);
		off += w->frag_len[i];
	}
	return ret;
}

/* Serialise and, past IKE_SA_INIT, encrypt (fragmented when too big and
 * the peer said it can reassemble). */
static int build(struct ikesa *sa, struct ike_msg *msg, struct ike_wire *w)
{
	uint8_t *buf = sa->mgr->buf;
	size_t len = 0, sk_off = 0;
	int ret;

	memset(w, 0, sizeof(*w));
	ret = ike_msg_build(msg, buf, IKE_MSG_BUF, &len, &sk_off);
	if (ret == 0 && msg->sk >= 0 && sa->frag_ok && sa->conn &&
	    sa->conn->fragmentation &&
	    len + ike_sk_overhead(&sa->keys, len) > ike_frag_max_message(sa)) {
		ret = ike_frag_split(sa, msg, w);
		if (ret == 0)
			ike_sa_log(sa, IPX_LOG_DEBUG, "%s sent in %u fragments",
				   ikev2_exchange_name(msg->hdr.exchange), w->n_frags);
		goto done;
	}
	if (ret == 0 && msg->sk >= 0)
		ret = ike_sk_encrypt(&sa->keys, sa->initiator, buf, IKE_MSG_BUF,
				     &len, sk_off);
	if (ret == 0) {
		w->buf = malloc(len);
		if (!w->buf)
			return -ENOMEM;
		memcpy(w->buf, buf, len);
		w->len = len;
	}
done:
	if (ret < 0)
		ike_sa_log(sa, IPX_LOG_ERR, "cannot build %s message: %s",
			   ikev2_exchange_name(msg->hdr.exchange), strerror(-ret));
	return ret;
}

double ike_rtx_wait_ms(const struct ike_mgr *m, unsigned sent)
{
	double ms = m->rtx_ms;

	/* 2.4: exponential back-off, capped where configured */
	for (unsigned i = 1; i < sent; i++) {
		ms *= m->rtx_base;
		if (m->rtx_limit_ms && ms >= m->rtx_limit_ms)
			break;
	}
	if (m->rtx_limit_ms && ms > m->rtx_limit_ms)
		ms = m->rtx_limit_ms;
	return ms;
}

static void rtx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ikesa *sa = arg;
	struct ike_mgr *m = sa->mgr;
	const struct cfg_conn *c = sa->conn;
	unsigned limit = m->rtx_tries + 1;
	struct timeval tv;
	double ms;

	(void)fd;
	(void)what;
	if (!sa->out.w.buf)
		return;
	if (sa->out.liveness && c)
		limit = c->liveness_retries + 1;
	if (sa->out.tries >= limit) {
		char why[96];

		snprintf(why, sizeof(why), "no answer to %s%s after %u transmissions",
			 sa->out.liveness ? "the liveness check " : "",
			 ikev2_exchange_name(sa->out.exchange), sa->out.tries);
		if (sa->state == IKE_ESTABLISHED) {
			ike_sa_dead(sa, why);
		} else if (sa->state == IKE_DELETING || sa->state == IKE_REKEYED) {
			/* our Delete: the IKE SA goes all the same (the peer
			 * may have dropped it already, say for an
			 * INITIAL_CONTACT); whatever replaces it is not ours
			 * to start here */
			ike_sa_log(sa, IPX_LOG_WARN, "%s; IKE SA removed", why);
			ike_sa_destroy(sa);
		} else {
			sa->timed_out = true;
			ike_sa_fail(sa, why);
		}
		return;
	}
	sa->out.tries++;
	m->st.retransmits++;
	ike_sa_log(sa, sa->out.liveness ? IPX_LOG_DEBUG : IPX_LOG_INFO,
		   "retransmit %u of %s request %u", sa->out.tries - 1,
		   ikev2_exchange_name(sa->out.exchange), sa->out.id);
	send_wire(sa, &sa->out.w);
	if (sa->out.liveness && c) {
		/* liveness: a fixed interval, so "dead" comes after
		 * interval x retries (docs/config.md) */
		ms = c->liveness_interval * 1000.0;
	} else {
		ms = ike_rtx_wait_ms(m, sa->out.tries);
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms - (double)tv.tv_sec * 1000) * 1000);
	event_add(sa->rtx_ev, &tv);
}

static int send_request(struct ikesa *sa, struct ike_msg *msg,
			int (*on_response)(struct ikesa *, struct ike_msg *),
			bool liveness)
{
	unsigned ms = liveness && sa->conn ? sa->conn->liveness_interval * 1000 : sa->mgr->rtx_ms;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	int ret;

	if (sa->out.w.buf) {
		ike_sa_log(sa, IPX_LOG_ERR, "a request is already in flight");
		return -EBUSY;
	}
	ret = build(sa, msg, &sa->out.w);
	if (ret < 0)
		return ret;
	sa->out.id = msg->hdr.msg_id;
	sa->out.exchange = msg->hdr.exchange;
	sa->out.tries = 1;
	sa->out.liveness = liveness;
	sa->out.on_response = on_response;
	if (!sa->rtx_ev)
		sa->rtx_ev = evtimer_new(sa->mgr->base, rtx_cb, sa);
	if (!sa->rtx_ev)
		return -ENOMEM;
	event_add(sa->rtx_ev, &tv);
	if (msg->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT) {
		/* kept for AUTH (2.15: RealMessage1) */
		free(sa->init_req);
		sa->init_req = malloc(sa->out.w.len);
		if (!sa->init_req)
			return -ENOMEM;
		memcpy(sa->init_req, sa->out.w.buf, sa->out.w.len);
		sa->init_req_len = sa->out.w.len;
	}
	/* the request is in flight from here on: a datagram the kernel
	 * refused (a firewall, no route yet) is a lost one, and the
	 * retransmission timer takes care of it */
	ret = send_wire(sa, &sa->out.w);
	if (ret < 0)
		ike_sa_log(sa, IPX_LOG_DEBUG, "sending %s request %u: %s (will retransmit)",
			   ikev2_exchange_name(sa->out.exchange), sa->out.id, strerror(-ret));
	return 0;
}

int ike_send_request(struct ikesa *sa, struct ike_msg *msg,
		     int (*on_response)(struct ikesa *, struct ike_msg *))
{
	return send_request(sa, msg, on_response, false);
}

int ike_send_liveness(struct ikesa *sa, struct ike_msg *msg)
{
	return send_request(sa, msg, NULL, true);
}

int ike_send_response(struct ikesa *sa, struct ike_msg *msg)
{
	struct ike_wire w;
	int ret = build(sa, msg, &w);

	if (ret < 0)
		return ret;
	ike_wire_free(&sa->last_resp);
	sa->last_resp = w;
	if (msg->hdr.exchange == IKEV2_EXCH_IKE_SA_INIT) {
		free(sa->init_resp);
		sa->init_resp = malloc(w.len);
		if (!sa->init_resp)
			return -ENOMEM;
		memcpy(sa->init_resp, w.buf, w.len);
		sa->init_resp_len = w.len;
	}
	/* lost if the kernel refused it: the peer retransmits its request */
	ret = send_wire(sa, &sa->last_resp);
	if (ret < 0)
		ike_sa_log(sa, IPX_LOG_DEBUG, "sending %s response: %s",
			   ikev2_exchange_name(msg->hdr.exchange), strerror(-ret));
	return 0;
}

int ike_resend_response(struct ikesa *sa)
{
	if (!sa->last_resp.buf)
		return -ENOENT;
	sa->mgr->st.responses_resent++;
	return send_wire(sa, &sa->last_resp);
}

void ike_send_init_error(struct ike_mgr *mgr, const struct ike_hdr *req,
			 const struct sockaddr_storage *local,
			 const struct sockaddr_storage *remote, bool natt,
			 uint16_t notify, const uint8_t *data, size_t len)
{
	static const uint8_t zero[IKEV2_SPI_LEN];
	struct ike_msg *m = mgr->omsg;
	size_t out_len;

	/* 2.6/2.7: answered without state, SPIr zero, message ID 0 */
	ike_msg_init(m, req->spi_i, zero, IKEV2_EXCH_IKE_SA_INIT,
		     IKEV2_FLAG_RESPONSE, 0);
	if (ike_msg_add_notify(m, false, IKEV2_PROTO_NONE, NULL, 0, notify, data, len) < 0 ||
	    ike_msg_build(m, mgr->buf, IKE_MSG_BUF, &out_len, NULL) < 0)
		return;
	mgr->st.tx++;
	mgr->io.send(mgr->io.ctx, local, remote, natt, mgr->buf, out_len);
}

int ike_send_error_response(struct ikesa *sa, uint8_t exchange, uint32_t id,
			    uint16_t notify, const uint8_t *data, size_t len)
{
	struct ike_msg *r = sa->mgr->omsg;

	ike_msg_start(sa, r, exchange, true, id);
	ike_msg_add(r, IKEV2_PL_SK, false);
	ike_msg_add_notify(r, true, IKEV2_PROTO_NONE, NULL, 0, notify, data, len);
	return ike_send_response(sa, r);
}

int ike_send_once(struct ikesa *sa, struct ike_msg *msg)
{
	struct ike_wire w;
	int ret = build(sa, msg, &w);

	if (ret == 0) {
		ret = send_wire(sa, &w);
		ike_wire_free(&w);
	}
	return ret;
}
