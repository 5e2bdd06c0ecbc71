/*
 * The IKE manager: SA tables, datagram dispatch, message IDs with window
 * size 1, retransmission with exponential back-off and the cached last
 * response (RFC 7296 2.1-2.4), and the daemon-facing operations (initiate,
 * terminate, list).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

#define HASH_SIZE 4096

uint64_t ike_clock_offset;
unsigned ike_state_errors;

uint64_t ike_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec + ike_clock_offset;
}

const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a));
	snprintf(buf, len, "%s[%u]", a, ike_port(ss));
	return buf;
}

bool ike_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

uint16_t ike_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

void ike_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

void ike_sa_log(const struct ikesa *sa, int level, const char *fmt, ...)
{
	char msg[768], peer[80];
	va_list ap;

	if (level > ipx_log_get_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ipx_log(level, "%s[%u] %s: %s", sa->conn_name[0] ? sa->conn_name : "-",
		sa->unique_id, ike_addr_str(&sa->remote, peer, sizeof(peer)), msg);
}

struct ikesa *ike_sa_new(struct ike_mgr *m, bool initiator)
{
	struct ikesa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->mgr = m;
	sa->initiator = initiator;
	sa->unique_id = ++m->next_unique;
	sa->created = ike_now();
	sa->next = m->all;
	m->all = sa;
	m->n_sas++;
	return sa;
}

static void wire_free(struct ike_wire *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void free_out(struct ikesa *sa)
{
	wire_free(&sa->out.w);
	memset(&sa->out, 0, sizeof(sa->out));
	if (sa->rtx_ev)
		event_del(sa->rtx_ev);
}

static void cc_reset(struct ikesa *sa)
{
	if (sa->cc.child)
		ike_child_free(sa->cc.child);
	if (sa->cc.old)
		sa->cc.old->rekeying = false;
	if (sa->cc.new_ike)
		ike_sa_destroy(sa->cc.new_ike);
	ike_dh_free(sa->cc.dh);
	OPENSSL_cleanse(&sa->cc, sizeof(sa->cc));
}

void ike_sa_destroy(struct ikesa *sa)
{
	struct ike_mgr *m = sa->mgr;
	struct ikesa **p;

	while (sa->children) {
		struct child_sa *c = sa->children;

		ike_child_remove(sa, c);
	}
	if (sa->new_child)
		ike_child_free(sa->new_child);
	cc_reset(sa);
	if (sa->reauth_of) {
		/* a reauthentication that did not make it: try again later */
		sa->reauth_of->reauthing = false;
		sa->reauth_of->reauth_at = ike_now() + 30;
	}
	ike_frags_reset(&sa->rx_frags[0]);
	ike_frags_reset(&sa->rx_frags[1]);
	/* nothing may keep pointing at this SA */
	for (struct ikesa *o = m->all; o; o = o->next) {
		if (o->rekeyed_by == sa)
			o->rekeyed_by = NULL;
		if (o->collision == sa)
			o->collision = NULL;
		if (o->reauth_of == sa)
			o->reauth_of = NULL;
		if (o->cc.new_ike == sa)
			o->cc.new_ike = NULL;
	}
	ike_table_remove(sa);
	for (p = &m->all; *p; p = &(*p)->next)
		if (*p == sa) {
			*p = sa->next;
			break;
		}
	m->n_sas--;
	free_out(sa);
	if (sa->rtx_ev)
		event_free(sa->rtx_ev);
	if (sa->timer_ev)
		event_free(sa->timer_ev);
	wire_free(&sa->last_resp);
	free(sa->init_req);
	free(sa->init_resp);
	ike_dh_free(sa->dh);
	ike_sa_keys_wipe(&sa->keys);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

/*
 * A set-up that did not make it.  As initiator we try again, up to
 * keyingtries attempts (0: without end): after a timeout always, after a
 * refusal (NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED...) only for a
 * connection that must stay up (start_action: start, or a restart after a
 * dead peer), with a growing pause: the peer may be coming up, or its
 * operator fixing its configuration.
 */
void ike_sa_fail(struct ikesa *sa, const char *why)
{
	struct ike_mgr *m = sa->mgr;
	const struct cfg_conn *c = sa->conn;
	char conn[CFG_NAME_MAX], child[CFG_NAME_MAX] = "";
	unsigned attempt = sa->attempt + 1, delay;
	bool keep_up = sa->keep_up;
	bool retry = sa->initiator && c && c->n_remote_addrs && !sa->reauth_of &&
		     (sa->state == IKE_CONNECTING || sa->state == IKE_AUTHENTICATING) &&
		     (sa->timed_out || keep_up || c->start_action == CFG_START_START);

	if (retry && c->keyingtries && attempt >= c->keyingtries) {
		retry = false;
		ike_sa_log(sa, IPX_LOG_WARN, "given up after %u attempts (keyingtries)", attempt);
	}
	delay = sa->timed_out ? 2 : 5u << (sa->attempt < 4 ? sa->attempt : 4);
	if (delay > 60)
		delay = 60;
	snprintf(conn, sizeof(conn), "%s", sa->conn_name);
	snprintf(child, sizeof(child), "%s", sa->want_child);
	if (retry)
		ike_sa_log(sa, IPX_LOG_ERR, "%s; IKE SA deleted, trying again in %us", why, delay);
	else
		ike_sa_log(sa, IPX_LOG_ERR, "%s; IKE SA deleted", why);
	m->st.failed++;
	ike_sa_destroy(sa);
	if (retry) {
		struct ike_retry *r = ike_retry_schedule(m, conn, child[0] ? child : NULL, delay);

		if (r) {
			r->attempts = attempt;
			r->keep_up = keep_up;
		}
	}
}

struct ike_retry *ike_retry_schedule(struct ike_mgr *m, const char *conn,
				     const char *child, unsigned delay_s)
{
	struct ike_retry *r;

	for (r = m->retries; r; r = r->next)
		if (strcmp(r->conn, conn) == 0)
			break;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return NULL;
		snprintf(r->conn, sizeof(r->conn), "%s", conn);
		r->next = m->retries;
		m->retries = r;
	}
	snprintf(r->child, sizeof(r->child), "%s", child ? child : "");
	r->at = ike_now() + delay_s;
	return r;
}

/* The peer stopped answering (or said goodbye): drop the SA without a
 * Delete and, with liveness_action: restart, build it again (2.4). */
void ike_sa_dead(struct ikesa *sa, const char *why)
{
	struct ike_mgr *m = sa->mgr;
	const struct cfg_conn *c = sa->conn;
	char conn[CFG_NAME_MAX], child[CFG_NAME_MAX] = "";

	snprintf(conn, sizeof(conn), "%s", sa->conn_name);
	if (sa->children)
		snprintf(child, sizeof(child), "%s", sa->children->name);
	else
		snprintf(child, sizeof(child), "%s", sa->want_child);
	ike_sa_log(sa, IPX_LOG_WARN, "peer dead: %s; IKE SA and its Child SAs deleted%s", why,
		   c && c->liveness_action == CFG_LIVENESS_RESTART && c->n_remote_addrs
		   ? ", restarting" : "");
	m->st.dead_peers++;
	sa->dead = true;
	if (m->io.event)
		m->io.event(m->io.ctx, sa, NULL, "dead");
	ike_sa_destroy(sa);
	if (c && c->liveness_action == CFG_LIVENESS_RESTART && c->n_remote_addrs) {
		struct ike_retry *r = ike_retry_schedule(m, conn, child[0] ? child : NULL, 0);

		if (r)
			r->keep_up = true;
	}
}

const char *ike_state_name(enum ike_state s)
{
	switch (s) {
	case IKE_NEW:
		return "new";
	case IKE_CONNECTING:
		return "connecting";
	case IKE_AUTHENTICATING:
		return "authenticating";
	case IKE_ESTABLISHED:
		return "established";
	case IKE_REKEYED:
		return "rekeyed";
	case IKE_DELETING:
		return "deleting";
	}
	return "?";
}

/* The changes enum ike_state allows: from (row) to (bit). */
static const uint8_t ike_moves[] = {
	[IKE_NEW] = 1u << IKE_CONNECTING,
	[IKE_CONNECTING] = 1u << IKE_AUTHENTICATING | 1u << IKE_ESTABLISHED | 1u << IKE_DELETING,
	[IKE_AUTHENTICATING] = 1u << IKE_ESTABLISHED | 1u << IKE_DELETING,
	[IKE_ESTABLISHED] = 1u << IKE_REKEYED | 1u << IKE_DELETING,
	[IKE_REKEYED] = 1u << IKE_DELETING,
	[IKE_DELETING] = 1u << IKE_DELETING,
};

void ike_sa_state(struct ikesa *sa, enum ike_state to)
{
	enum ike_state from = sa->state;

	if (!(ike_moves[from] & (1u << to))) {
		ike_state_errors++;
		ike_sa_log(sa, IPX_LOG_ERR, "IKE SA state %s -> %s is not a transition (a bug)",
			   ike_state_name(from), ike_state_name(to));
	} else if (from != to) {
		ike_sa_log(sa, IPX_LOG_DEBUG, "IKE SA %s -> %s", ike_state_name(from),
			   ike_state_name(to));
	}
	sa->state = to;
}

void ike_sa_established(struct ikesa *sa)
{
	char prop[160];
	struct ike_proposal p;

	ike_sa_half_open(sa, false);
	ike_sa_state(sa, IKE_ESTABLISHED);
	sa->established = ike_now();
	sa->mgr->st.established++;
	if (sa->timer_ev)
		event_del(sa->timer_ev);
	ike_prop_choice_to_sa(&sa->prop, NULL, 0, &p);
	ike_sa_log(sa, IPX_LOG_INFO, "IKE SA established (%s, %s, peer id %s%s)",
		   sa->initiator ? "initiator" : "responder",
		   ike_prop_str(&p, prop, sizeof(prop)), sa->peer_id.text,
		   sa->natt ? ", NAT-T" : "");
	sa->last_activity = ike_now();
	ike_sa_set_timers(sa);
	if (sa->mgr->io.event)
		sa->mgr->io.event(sa->mgr->io.ctx, sa, NULL, "ike-up");
}

void ike_sa_replaced(struct ikesa *old, struct ikesa *n)
{
	old->rekeyed_by = n;
	if (!old->replaced_at)
		old->replaced_at = ike_now();
	if (old->state == IKE_ESTABLISHED)
		ike_sa_state(old, IKE_REKEYED);
}

/* ---- sending ---- */

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

int ike_info_liveness(struct ikesa *sa)
{
	struct ike_msg *r = sa->mgr->omsg;

	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(r, IKEV2_PL_SK, false);
	return send_request(sa, r, NULL, true);
}

int ike_send_response(struct ikesa *sa, struct ike_msg *msg)
{
	struct ike_wire w;
	int ret = build(sa, msg, &w);

	if (ret < 0)
		return ret;
	wire_free(&sa->last_resp);
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

/* ---- receiving ---- */

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
	free_out(sa);
	sa->req_next++;
	/* the callback may destroy sa */
	if (cb)
		cb(sa, m);
	whole_free(whole, whole_len);
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

/* ---- operations ---- */

static void set_rtx(struct ike_mgr *m, const struct cfg *cfg)
{
	m->rtx_ms = cfg->retransmit_timeout_ms ? cfg->retransmit_timeout_ms : 2000;
	m->rtx_base = cfg->retransmit_base >= 1 ? cfg->retransmit_base : 1.8;
	m->rtx_tries = cfg->retransmit_tries ? cfg->retransmit_tries : 5;
	m->rtx_limit_ms = cfg->retransmit_limit_ms;
}

struct ike_mgr *ike_mgr_new(struct event_base *base, struct ipx_engine *eng,
			    const struct ike_io *io, const struct cfg *cfg)
{
	struct ike_mgr *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base = base;
	m->eng = eng;
	m->io = *io;
	m->cfg = cfg;
	m->buf = malloc(IKE_MSG_BUF);
	m->msg = malloc(sizeof(*m->msg));
	m->omsg = malloc(sizeof(*m->omsg));
	set_rtx(m, cfg);
	m->half_open_s = 30;
	if (ike_table_init(m, HASH_SIZE) < 0 || !m->buf || !m->msg || !m->omsg ||
	    ike_cookie_init(&m->cookies) < 0) {
		ike_mgr_free(m);
		return NULL;
	}
	m->tick_ev = event_new(base, -1, EV_PERSIST, ike_timer_tick, m);
	if (m->tick_ev) {
		struct timeval one = { 1, 0 };

		event_add(m->tick_ev, &one);
	}
	return m;
}

void ike_mgr_free(struct ike_mgr *m)
{
	if (!m)
		return;
	while (m->all)
		ike_sa_destroy(m->all);
	while (m->retries) {
		struct ike_retry *r = m->retries;

		m->retries = r->next;
		free(r);
	}
	if (m->tick_ev)
		event_free(m->tick_ev);
	ike_cookie_wipe(&m->cookies);
	ike_table_free(m);
	free(m->buf);
	free(m->msg);
	free(m->omsg);
	free(m);
}

void ike_mgr_set_config(struct ike_mgr *m, const struct cfg *cfg)
{
	m->cfg = cfg;
	/* requests in flight keep the wait already armed; the next one uses
	 * the new settings */
	set_rtx(m, cfg);
	/* the one pointer into the configuration an SA keeps (NULL once its
	 * connection is gone); Child SAs look theirs up by name when they
	 * need it (ike_child_cfg) */
	for (struct ikesa *sa = m->all; sa; sa = sa->next)
		sa->conn = cfg_conn_find(cfg, sa->conn_name);
}

struct ikesa *ike_mgr_find_conn(struct ike_mgr *m, const char *conn)
{
	/* (a replaced SA is on its way out: it does not hold the connection) */
	for (struct ikesa *sa = m->all; sa; sa = sa->next)
		if (strcmp(sa->conn_name, conn) == 0 && sa->state != IKE_DELETING &&
		    sa->state != IKE_REKEYED)
			return sa;
	return NULL;
}

struct ikesa *ike_mgr_find_conn_established(struct ike_mgr *m, const char *conn,
					    const struct ikesa *not)
{
	for (struct ikesa *sa = m->all; sa; sa = sa->next)
		if (sa != not && strcmp(sa->conn_name, conn) == 0 &&
		    sa->state == IKE_ESTABLISHED)
			return sa;
	return NULL;
}

bool ike_sa_has_child(const struct ikesa *sa, const char *name)
{
	if (sa->cc.child && strcmp(sa->cc.child->name, name) == 0)
		return true;
	if (sa->new_child && strcmp(sa->new_child->name, name) == 0)
		return true;
	for (const struct child_sa *c = sa->children; c; c = c->next)
		if (strcmp(c->name, name) == 0 && !ike_child_going(c) &&
		    !c->replaced_at)
			return true;
	return false;
}

int ike_mgr_initiate(struct ike_mgr *m, const char *name, const char *child)
{
	return ike_mgr_initiate_attempt(m, name, child, 0, false);
}

int ike_mgr_initiate_attempt(struct ike_mgr *m, const char *name, const char *child,
			     unsigned attempt, bool keep_up)
{
	const struct cfg_conn *c = cfg_conn_find(m->cfg, name);
	struct ikesa *sa;
	int ret;

	if (!c) {
		ipx_err("initiate: no connection named '%s'", name);
		return -ENOENT;
	}
	if (!c->n_remote_addrs) {
		ipx_err("initiate %s: no remote address to initiate to", name);
		return -EINVAL;
	}
	if (child && !cfg_child_find(c, child)) {
		ipx_err("initiate %s: no child named '%s'", name, child);
		return -ENOENT;
	}
	sa = ike_mgr_find_conn_established(m, name, NULL);
	if (sa) {
		/* the IKE SA is up: more Child SAs come by CREATE_CHILD_SA */
		const struct cfg_child *want = NULL;

		for (unsigned i = 0; i < c->n_children && !want; i++)
			if ((!child || strcmp(c->children[i].name, child) == 0) &&
			    !ike_sa_has_child(sa, c->children[i].name))
				want = &c->children[i];
		if (!want) {
			ike_sa_log(sa, IPX_LOG_INFO, "initiate: %s%s already up", name,
				   child ? "" : " and all its children");
			return 0;
		}
		ret = ike_create_child_start(sa, want);
		if (ret == -EBUSY) {
			/* an exchange is in flight: the next tick tries again */
			ike_retry_schedule(m, name, want->name, 0);
			return 0;
		}
		return ret;
	}
	sa = ike_mgr_find_conn(m, name);
	if (sa && sa->state != IKE_ESTABLISHED) {
		ike_sa_log(sa, IPX_LOG_INFO, "initiate: %s is being set up already", name);
		return 0;
	}
	sa = ike_sa_new(m, true);
	if (!sa)
		return -ENOMEM;
	sa->conn = c;
	sa->attempt = attempt;
	sa->keep_up = keep_up;
	snprintf(sa->conn_name, sizeof(sa->conn_name), "%s", c->name);
	for (unsigned i = 0; i < c->n_children; i++)
		if (!child || strcmp(c->children[i].name, child) == 0) {
			snprintf(sa->want_child, sizeof(sa->want_child), "%s", c->children[i].name);
			break;
		}
	ret = ike_init_start(sa);
	if (ret < 0)
		ike_sa_destroy(sa);
	return ret;
}

int ike_mgr_rekey(struct ike_mgr *m, const char *name, const char *child,
		  bool ike, bool reauth)
{
	uint64_t now = ike_now();
	int n = 0;

	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		if (strcmp(sa->conn_name, name) != 0 || sa->state != IKE_ESTABLISHED)
			continue;
		if (reauth) {
			if (!sa->conn || !sa->conn->n_remote_addrs)
				return -EINVAL;  /* only an initiator can */
			if (!sa->reauthing)
				sa->reauth_at = now;
			n++;
		} else if (ike) {
			sa->rekey_at = now;
			n++;
		} else {
			for (struct child_sa *c = sa->children; c; c = c->next)
				if ((!child || strcmp(c->name, child) == 0) && !c->replaced_at &&
				    !ike_child_going(c)) {
					c->rekey_at = now;
					n++;
				}
		}
	}
	if (n) {
		/* at once, not at the next second */
		ike_timer_tick(-1, 0, m);
	}
	return n ? n : -ENOENT;
}

int ike_mgr_terminate(struct ike_mgr *m, const char *name)
{
	int n = 0;
	struct ikesa *sa, *next;

	for (sa = m->all; sa; sa = next) {
		next = sa->next;
		if (strcmp(sa->conn_name, name) != 0)
			continue;
		n++;
		if (sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYED)
			ike_info_delete_ike(sa);
		else
			ike_sa_destroy(sa);
	}
	return n;
}

void ike_mgr_start_all(struct ike_mgr *m)
{
	for (unsigned i = 0; i < m->cfg->n_conns; i++) {
		const struct cfg_conn *c = &m->cfg->conns[i];

		if (c->start_action == CFG_START_START && !ike_mgr_find_conn(m, c->name))
			ike_mgr_initiate(m, c->name, NULL);
	}
}

void ike_mgr_shutdown(struct ike_mgr *m)
{
	struct ike_msg *msg = m->omsg;

	/* tell every peer, once, without waiting for answers */
	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		if (sa->state != IKE_ESTABLISHED || sa->out.w.buf)
			continue;
		ike_msg_start(sa, msg, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
		ike_msg_add(msg, IKEV2_PL_SK, false);
		{
			struct ike_pld *d = ike_msg_add(msg, IKEV2_PL_DELETE, true);

			if (d)
				d->u.del.proto = IKEV2_PROTO_IKE;
		}
		{
			struct ike_wire w;

			if (build(sa, msg, &w) == 0) {
				send_wire(sa, &w);
				wire_free(&w);
			}
		}
	}
	while (m->all)
		ike_sa_destroy(m->all);
}

static void hex8(const uint8_t *spi, char *out)
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", spi[i]);
}

json_t *ike_mgr_list(struct ike_mgr *m)
{
	json_t *arr = json_array();
	uint64_t now = ike_now();

	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		char l[80], r[80], si[17], sr[17], prop[160];
		struct ike_proposal p;
		json_t *o, *kids = json_array();

		hex8(sa->spi_i, si);
		hex8(sa->spi_r, sr);
		ike_prop_choice_to_sa(&sa->prop, NULL, 0, &p);
		for (struct child_sa *c = sa->children; c; c = c->next) {
			struct ipx_sa_state in, out;
			json_t *tl = json_array(), *tr = json_array();
			char ts[96], cp[160];
			struct ike_proposal cpp;

			memset(&in, 0, sizeof(in));
			memset(&out, 0, sizeof(out));
			ipx_sa_query(m->eng, c->eng_in, &in);
			ipx_sa_query(m->eng, c->eng_out, &out);
			for (unsigned i = 0; i < c->n_ts_l; i++)
				json_array_append_new(tl, json_string(cfg_ts_str(&c->ts_l[i], ts, sizeof(ts))));
			for (unsigned i = 0; i < c->n_ts_r; i++)
				json_array_append_new(tr, json_string(cfg_ts_str(&c->ts_r[i], ts, sizeof(ts))));
			ike_prop_choice_to_sa(&c->prop, NULL, 0, &cpp);
			json_array_append_new(kids, json_pack(
				"{s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I}",
				"name", c->name, "unique_id", (json_int_t)c->unique_id,
				"spi_in", (snprintf(ts, sizeof(ts), "%08x", c->spi_in), ts),
				"spi_out", (snprintf(cp, sizeof(cp), "%08x", c->spi_out), cp),
				"mode", c->mode == IPX_MODE_TRANSPORT ? "transport" : "tunnel",
				"proposal", ike_prop_str(&cpp, prop, sizeof(prop)),
				"local_ts", tl, "remote_ts", tr,
				"bytes_in", (json_int_t)in.ctr.bytes,
				"packets_in", (json_int_t)in.ctr.packets,
				"bytes_out", (json_int_t)out.ctr.bytes,
				"packets_out", (json_int_t)out.ctr.packets,
				"installed_s", (json_int_t)(now - c->created)));
			/* the proposal string was consumed by json_pack */
			{
				json_t *k = json_array_get(kids, json_array_size(kids) - 1);
				const char *st = ike_child_going(c) ? "deleting" :
						 c->replaced_at ? "rekeyed" :
						 c->rekeying ? "rekeying" : "installed";

				json_object_set_new(k, "state", json_string(st));
				if (c->rekey_at)
					json_object_set_new(k, "rekey_in_s", json_integer(
						(json_int_t)(c->rekey_at > now ? c->rekey_at - now : 0)));
				if (c->expire_at)
					json_object_set_new(k, "expires_in_s", json_integer(
						(json_int_t)(c->expire_at > now ? c->expire_at - now : 0)));
			}
		}
		o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}",
			      "conn", sa->conn_name, "unique_id", (json_int_t)sa->unique_id,
			      "state", ike_state_name(sa->state),
			      "role", sa->initiator ? "initiator" : "responder",
			      "local", ike_addr_str(&sa->local, l, sizeof(l)),
			      "remote", ike_addr_str(&sa->remote, r, sizeof(r)),
			      "spi_i", si, "spi_r", sr,
			      "peer_id", sa->peer_id.text, "nat_t", sa->natt,
			      "children", kids);
		if (sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYED) {
			json_object_set_new(o, "proposal",
					    json_string(ike_prop_str(&p, prop, sizeof(prop))));
			json_object_set_new(o, "established_s",
					    json_integer((json_int_t)(now - sa->established)));
			if (sa->rekey_at)
				json_object_set_new(o, "rekey_in_s", json_integer(
					(json_int_t)(sa->rekey_at > now ? sa->rekey_at - now : 0)));
			if (sa->reauth_at)
				json_object_set_new(o, "reauth_in_s", json_integer(
					(json_int_t)(sa->reauth_at > now ? sa->reauth_at - now : 0)));
			if (sa->expire_at)
				json_object_set_new(o, "expires_in_s", json_integer(
					(json_int_t)(sa->expire_at > now ? sa->expire_at - now : 0)));
			json_object_set_new(o, "nat_local", json_boolean(sa->nat_here));
			json_object_set_new(o, "nat_remote", json_boolean(sa->nat_there));
			json_object_set_new(o, "last_heard_s", json_integer(
				(json_int_t)(now - sa->last_activity)));
			if (sa->rekeyed_by)
				json_object_set_new(o, "rekeyed_by", json_integer(
					(json_int_t)sa->rekeyed_by->unique_id));
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *ike_mgr_stats_json(struct ike_mgr *m)
{
	const struct ike_mgr_stats *s = &m->st;

	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "ike_sas", (json_int_t)m->n_sas,
			      "half_open", (json_int_t)m->n_half_open,
			      "rx", (json_int_t)s->rx, "tx", (json_int_t)s->tx,
			      "rx_malformed", (json_int_t)s->rx_bad,
			      "rx_unknown_spi", (json_int_t)s->rx_unknown_spi,
			      "rx_bad_message_id", (json_int_t)s->rx_bad_msgid,
			      "rx_integrity_failed", (json_int_t)s->rx_auth_failed,
			      "retransmits", (json_int_t)s->retransmits,
			      "responses_resent", (json_int_t)s->responses_resent,
			      "established", (json_int_t)s->established,
			      "failed", (json_int_t)s->failed);
	json_t *more = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				 "cookies_sent", (json_int_t)s->cookies_sent,
				 "cookies_accepted", (json_int_t)s->cookies_ok,
				 "cookies_rejected", (json_int_t)s->cookies_bad,
				 "half_open_dropped", (json_int_t)s->dropped_half_open,
				 "child_rekeys", (json_int_t)s->child_rekeys,
				 "ike_rekeys", (json_int_t)s->ike_rekeys,
				 "reauths", (json_int_t)s->reauths,
				 "rekey_collisions", (json_int_t)s->collisions,
				 "dead_peers", (json_int_t)s->dead_peers,
				 "fragments_tx", (json_int_t)s->fragments_tx,
				 "fragments_rx", (json_int_t)s->fragments_rx,
				 "reassembled", (json_int_t)s->reassembled);
	json_t *limits = json_pack("{s:I, s:I, s:I, s:I, s:I}",
				   "rx_out_of_state", (json_int_t)s->rx_out_of_state,
				   "half_open_source_dropped",
				   (json_int_t)s->half_open_source_dropped,
				   "rekeyed_ike_deleted", (json_int_t)s->rekeyed_deleted,
				   "child_sa_limit", (json_int_t)s->child_sa_limit,
				   "ike_sa_limit", (json_int_t)s->ike_sa_limit);

	if (o && more)
		json_object_update(o, more);
	if (o && limits)
		json_object_update(o, limits);
	json_decref(more);
	json_decref(limits);
	return o;
}

/* ---- key export for Wireshark (opt-in: key_export) ---- */

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = 0;
}

/* Wireshark's names (packet-ipsec.c, packet-isakmp.c), 0 when it has none */
static const char *ws_esp_encr(uint8_t cipher)
{
	switch (cipher) {
	case IPX_CIPHER_AES128GCM16:
	case IPX_CIPHER_AES192GCM16:
	case IPX_CIPHER_AES256GCM16:
		return "AES-GCM with 16 octet ICV [RFC4106]";
	case IPX_CIPHER_CHACHA20POLY1305:
		return "ChaCha20 with Poly1305 [RFC7634]";
	case IPX_CIPHER_AES128_SHA256:
	case IPX_CIPHER_AES256_SHA256:
		return "AES-CBC [RFC3602]";
	default:
		return NULL;
	}
}

static const char *ws_ike_encr(uint16_t encr, uint16_t bits)
{
	if (encr == IKEV2_ENCR_AES_GCM_16)
		return bits == 128 ? "AES-GCM-128 with 16 octet ICV [RFC5282]" :
		       bits == 192 ? "AES-GCM-192 with 16 octet ICV [RFC5282]" :
				     "AES-GCM-256 with 16 octet ICV [RFC5282]";
	if (encr == IKEV2_ENCR_AES_CBC)
		return bits == 128 ? "AES-CBC-128 [RFC3602]" :
		       bits == 192 ? "AES-CBC-192 [RFC3602]" : "AES-CBC-256 [RFC3602]";
	return NULL;
}

static const char *ws_ike_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_NONE:
		return "NONE [RFC4306]";
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		return "HMAC_SHA2_256_128 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		return "HMAC_SHA2_384_192 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_512_256:
		return "HMAC_SHA2_512_256 [RFC4868]";
	default:
		return NULL;
	}
}

static void esp_line(json_t *arr, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, uint32_t spi,
		     uint8_t cipher, const uint8_t *key, const uint8_t *ikey)
{
	const struct ipx_cipher_info *ci = ipx_cipher_info(cipher);
	const char *encr = ws_esp_encr(cipher);
	char s[64], d[64], k[2 * IKE_ENCR_KEY_MAX + 1], ik[2 * IKE_INTEG_KEY_MAX + 1];
	char line[512];

	if (!ci || !encr)
		return;
	ike_addr_str(src, s, sizeof(s));
	ike_addr_str(dst, d, sizeof(d));
	*strchr(s, '[') = 0;
	*strchr(d, '[') = 0;
	hex(key, ci->key_len, k);
	hex(ikey, ci->integ_len, ik);
	snprintf(line, sizeof(line), "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"%s%s\"",
		 src->ss_family == AF_INET ? "IPv4" : "IPv6", s, d, spi, encr, k,
		 ci->integ_len ? "HMAC-SHA-256-128 [RFC4868]" : "NULL",
		 ci->integ_len ? "0x" : "", ci->integ_len ? ik : "");
	json_array_append_new(arr, json_string(line));
}

json_t *ike_mgr_export_keys(struct ike_mgr *m)
{
	json_t *ike = json_array(), *esp = json_array();

	if (!m->cfg->key_export) {
		json_decref(ike);
		json_decref(esp);
		return NULL;
	}
	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		const struct ike_sa_keys *k = &sa->keys;
		const char *encr = ws_ike_encr(k->encr, k->encr_bits);
		const char *integ = ws_ike_integ(k->integ);
		char si[17], sr[17], ei[2 * IKE_ENCR_KEY_MAX + 1], er[2 * IKE_ENCR_KEY_MAX + 1];
		char ai[2 * IKE_INTEG_KEY_MAX + 1], ar[2 * IKE_INTEG_KEY_MAX + 1], line[1024];

		if (!sa->keys_ok)
			continue;
		if (encr && integ) {
			hex(sa->spi_i, 8, si);
			hex(sa->spi_r, 8, sr);
			hex(k->sk_ei, k->encr_len, ei);
			hex(k->sk_er, k->encr_len, er);
			hex(k->sk_ai, k->integ_len, ai);
			hex(k->sk_ar, k->integ_len, ar);
			/* UAT: hex byte fields bare, strings quoted */
			snprintf(line, sizeof(line), "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"",
				 si, sr, ei, er, encr, ai, ar, integ);
			json_array_append_new(ike, json_string(line));
			OPENSSL_cleanse(line, sizeof(line));
		}
		for (struct child_sa *c = sa->children; c; c = c->next) {
			uint8_t cipher = ike_child_engine_cipher(&c->prop);

			if (!c->keys)
				continue;
			/* initiator->responder keys first (2.17) */
			esp_line(esp, &sa->local, &sa->remote, c->spi_out, cipher,
				 sa->initiator ? c->keys->ei : c->keys->er,
				 sa->initiator ? c->keys->ai : c->keys->ar);
			esp_line(esp, &sa->remote, &sa->local, c->spi_in, cipher,
				 sa->initiator ? c->keys->er : c->keys->ei,
				 sa->initiator ? c->keys->ar : c->keys->ai);
		}
		OPENSSL_cleanse(ei, sizeof(ei));
		OPENSSL_cleanse(er, sizeof(er));
		OPENSSL_cleanse(ai, sizeof(ai));
		OPENSSL_cleanse(ar, sizeof(ar));
	}
	return json_pack("{s:o, s:o}", "ikev2_decryption_table", ike, "esp_sa", esp);
}
