/*
 * The IKE manager: the life of an IKE SA (made, established, replaced,
 * failed, dead, destroyed) and its state machine, and what the daemon asks
 * of IKE (initiate, rekey, terminate, reload, shut down).  Sending is in
 * ike_send.c, receiving in ike_recv.c, the SA tables in ike_table.c, the
 * list and counters in ike_list.c.
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

#include "ike_certfetch.h"
#include "ike_sa.h"

#define HASH_SIZE 1024   /* to start with: ike_table.c doubles it as SAs come */

uint64_t ike_clock_offset;
uint64_t ike_clock_frozen;
unsigned ike_state_errors;

uint64_t ike_now(void)
{
	struct timespec ts;

	if (ike_clock_frozen)
		return ike_clock_frozen + ike_clock_offset;
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

void ike_sa_get(const struct ikesa *sa, struct ike_sa_info *out)
{
	memset(out, 0, sizeof(*out));
	out->conn = sa->conn_name;
	out->unique_id = sa->unique_id;
	out->local = &sa->local;
	out->remote = &sa->remote;
	out->peer_id = sa->peer_id.text;
	out->nat = sa->nat_here || sa->nat_there;
	out->updown = sa->conn ? sa->conn->updown : "";
	out->refusal = sa->refusal ? sa->refusal : "";
	out->state = ike_state_name(sa->state);
}

const struct child_sa *ike_sa_child_next(const struct ikesa *sa, const struct child_sa *prev)
{
	return prev ? prev->next : sa->children;
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
	sa->peer_id.text = "";
	sa->next = m->all;
	if (m->all)
		m->all->prevp = &sa->next;
	sa->prevp = &m->all;
	m->all = sa;
	m->n_sas++;
	ike_sa_hash_id(sa);
	return sa;
}

int ike_peer_id_set(struct ike_peer_id *p, uint8_t type, const uint8_t *data,
		    size_t len, const char *text)
{
	size_t tlen = strlen(text);
	uint8_t *buf;

	if (len > UINT16_MAX)
		return -EINVAL;
	buf = malloc(len + tlen + 1);
	if (!buf)
		return -ENOMEM;
	if (len)
		memcpy(buf, data, len);
	memcpy(buf + len, text, tlen + 1);
	free(p->data);
	p->type = type;
	p->len = (uint16_t)len;
	p->data = buf;
	p->text = (const char *)buf + len;
	return 0;
}

int ike_peer_id_copy(struct ike_peer_id *to, const struct ike_peer_id *from)
{
	if (!from->data) {
		ike_peer_id_free(to);
		return 0;
	}
	return ike_peer_id_set(to, from->type, from->data, from->len, from->text);
}

void ike_peer_id_free(struct ike_peer_id *p)
{
	free(p->data);
	p->type = 0;
	p->len = 0;
	p->data = NULL;
	p->text = "";
}

int ike_sa_nonces(struct ikesa *sa)
{
	if (sa->ni)
		return 0;
	sa->ni = calloc(2, IKE_NONCE_MAX);
	if (!sa->ni)
		return -ENOMEM;
	sa->nr = sa->ni + IKE_NONCE_MAX;
	return 0;
}

void ike_sa_nonces_free(struct ikesa *sa)
{
	if (sa->ni)
		OPENSSL_clear_free(sa->ni, 2 * IKE_NONCE_MAX);
	sa->ni = sa->nr = NULL;
	sa->ni_len = sa->nr_len = 0;
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
		ike_sa_kick(sa->reauth_of);
	}
	ike_frags_drop(sa, 0);
	ike_frags_drop(sa, 1);
	ike_child_retry_free(sa);
	free(sa->refusal);
	free(sa->coll_nonce);
	free(sa->peer_certreq);
	free(sa->peer_cert);
	ike_cert_wait_free(sa);
	/* (its text keys the peer table: it goes after ike_table_remove) */
	/* nothing may keep pointing at this SA: those that can share its
	 * connection and peer (ike_table.c); a reauthentication's new SA
	 * may have come up with another identity: then all are looked at */
	for (struct ikesa *o = sa->reauthing ? m->all : ike_peer_first(sa); o;
	     o = sa->reauthing ? o->next : o->pnext) {
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
	ike_peer_id_free(&sa->peer_id);
	ike_wheel_del(&m->wheel, &sa->tnode);
	*sa->prevp = sa->next;
	if (sa->next)
		sa->next->prevp = sa->prevp;
	m->n_sas--;
	ike_out_cancel(sa);
	if (sa->rtx_ev)
		event_free(sa->rtx_ev);
	if (sa->timer_ev)
		event_free(sa->timer_ev);
	ike_wire_free(&sa->last_resp);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	ike_sa_nonces_free(sa);
	ike_dh_free(sa->dh);
	ike_sa_keys_wipe(&sa->keys);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

static const char *const fail_names[] = {
#define IKE_FAIL_X(n, s) s,
	IKE_FAIL_LIST(IKE_FAIL_X)
#undef IKE_FAIL_X
};

const char *ike_fail_name(enum ike_fail f)
{
	return f < IKE_FAIL__COUNT ? fail_names[f] : "?";
}

/* Which kind of failure why is.  The callers of ike_sa_fail() say why in
 * words for the log; these words tell the kinds apart, the first match in
 * this order: the peer's refusals by their notify first (a refusal of
 * IKE_AUTH names our "certificate's signature" whatever the notify). */
static enum ike_fail fail_kind(const struct ikesa *sa, const char *why)
{
	static const struct {
		const char *word;
		enum ike_fail kind;
	} words[] = {
		{ "AUTHENTICATION_FAILED", IKE_FAIL_AUTH },
		{ "NO_PROPOSAL_CHOSEN", IKE_FAIL_PROPOSAL },
		{ "INVALID_KE_PAYLOAD", IKE_FAIL_PROPOSAL },
		{ " refused: ", IKE_FAIL_REFUSED },
		{ "identity", IKE_FAIL_AUTH },
		{ "certificate", IKE_FAIL_AUTH },
		{ "Hash and URL", IKE_FAIL_AUTH },   /* the peer's certificate not fetched */
		{ "removed by a reload", IKE_FAIL_CONFIG },
		{ "out of memory", IKE_FAIL_LOCAL },
		{ "key derivation", IKE_FAIL_LOCAL },
	};

	if (sa->timed_out)
		return IKE_FAIL_TIMEOUT;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(why, words[i].word))
			return words[i].kind;
	return IKE_FAIL_RESPONSE;
}

/*
 * A set-up that did not make it (a warning with why: the refusal that
 * ike_sa_info carries with the "ike-failed" event).  As initiator we try
 * again, up to keyingtries attempts (0: without end): after a timeout
 * always (2 s after the last retransmission went unanswered), after a
 * refusal (NO_PROPOSAL_CHOSEN, AUTHENTICATION_FAILED...) only for a
 * connection that must stay up (start_action: start, or a restart after a
 * dead peer), with a growing pause (5 s, doubling, at most 60 s): the
 * peer may be coming up, or its operator fixing its configuration.
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
		ike_sa_log(sa, IPX_LOG_WARN,
			   "giving up after %u attempts (keyingtries): %s; `ipsecfx initiate %s` to retry",
			   attempt, why, sa->conn_name);
	}
	delay = sa->timed_out ? 2 : 5u << (sa->attempt < 4 ? sa->attempt : 4);
	if (delay > 60)
		delay = 60;
	snprintf(conn, sizeof(conn), "%s", sa->conn_name);
	snprintf(child, sizeof(child), "%s", sa->want_child);
	if (retry)
		ike_sa_log(sa, IPX_LOG_WARN, "%s; IKE SA deleted, trying again in %us", why, delay);
	else
		ike_sa_log(sa, IPX_LOG_WARN, "%s; IKE SA deleted", why);
	m->st.failed++;
	m->st.failed_by[fail_kind(sa, why)]++;
	ike_sa_refusal(sa, "%s", why);
	if (sa->initiator && m->io.event)
		m->io.event(m->io.ctx, sa, NULL, "ike-failed");
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
	if (to == IKE_ESTABLISHED)
		ike_sa_peer_file(sa);   /* its identity is known now */
	ike_sa_kick(sa);
}

void ike_sa_established(struct ikesa *sa)
{
	char prop[160];
	struct ike_proposal p;

	ike_sa_half_open(sa, false);
	ike_sa_state(sa, IKE_ESTABLISHED);
	sa->established = ike_now();
	sa->mgr->st.established++;
	/* IKE_SA_INIT as sent and received served AUTH (2.15): not needed
	 * any more (a reauthentication makes a new SA) */
	free(sa->init_req);
	free(sa->init_resp);
	sa->init_req = sa->init_resp = NULL;
	sa->init_req_len = sa->init_resp_len = 0;
	free(sa->cookie);   /* (IKE_SA_INIT's too) */
	sa->cookie = NULL;
	sa->cookie_len = 0;
	/* the half-open expiry is over; a deferred delete makes its own */
	if (sa->timer_ev)
		event_free(sa->timer_ev);
	sa->timer_ev = NULL;
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

/* ---- operations ---- */

static void set_rtx(struct ike_mgr *m, const struct cfg *cfg)
{
	m->rtx_ms = cfg->retransmit_timeout_ms ? cfg->retransmit_timeout_ms : 2000;
	m->rtx_base = cfg->retransmit_base >= 1 ? cfg->retransmit_base : 1.8;
	m->rtx_tries = cfg->retransmit_tries ? cfg->retransmit_tries : 5;
	m->rtx_limit_ms = cfg->retransmit_limit_ms;
}

/* The Hash and URL fetcher's settings (docs/config.md; defaults where a
 * configuration made in code left them 0). */
static const struct ike_certfetch_cfg *fetch_cfg(const struct cfg *cfg,
						 struct ike_certfetch_cfg *fc)
{
	fc->cache_max = cfg->cert_cache ? cfg->cert_cache : 500;
	fc->timeout_ms = (cfg->cert_fetch_timeout_s ? cfg->cert_fetch_timeout_s : 10) * 1000;
	fc->max_bytes = cfg->cert_fetch_max ? cfg->cert_fetch_max : 64 * 1024;
	return fc;
}

struct ike_mgr *ike_mgr_new(struct event_base *base, struct ipx_engine *eng,
			    const struct ike_io *io, const struct cfg *cfg)
{
	struct ike_mgr *m = calloc(1, sizeof(*m));
	struct ike_certfetch_cfg fc;

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
	m->half_open_s = cfg->half_open_timeout_s ? cfg->half_open_timeout_s : 30;
	m->certs = ike_certfetch_new(base, fetch_cfg(cfg, &fc));
	if (ike_table_init(m, HASH_SIZE) < 0 || !m->buf || !m->msg || !m->omsg || !m->certs ||
	    ike_cookie_init(&m->cookies) < 0 || ike_guard_init(&m->guard) < 0) {
		ike_mgr_free(m);
		return NULL;
	}
	ike_wheel_init(&m->wheel, ike_now());
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
	ike_guard_free(&m->guard);
	ike_table_free(m);
	ike_cert_tx_reset(m);
	ike_cert_crls_free(m);
	ike_certfetch_free(m->certs);
	free(m->buf);
	free(m->msg);
	free(m->omsg);
	free(m);
}

void ike_mgr_set_config(struct ike_mgr *m, const struct cfg *cfg)
{
	struct ike_certfetch_cfg fc;

	m->cfg = cfg;
	/* half-open SAs keep the expiry they got; new ones take the new one */
	m->half_open_s = cfg->half_open_timeout_s ? cfg->half_open_timeout_s : 30;
	/* requests in flight keep the wait already armed; the next one uses
	 * the new settings */
	set_rtx(m, cfg);
	ike_certfetch_set_cfg(m->certs, fetch_cfg(cfg, &fc));
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
	struct ikesa *sa = ike_mgr_find_conn_established(m, name, NULL);

	/* the operator asks: Child SAs given up on (child_retries) are
	 * asked for again, and back off from the start if refused again */
	if (sa)
		ike_child_retry_clear(sa, child);
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
		ike_sa_kick(sa);
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
		struct ike_pld *d;

		if (sa->state != IKE_ESTABLISHED || sa->out.w.buf)
			continue;
		ike_msg_start(sa, msg, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
		ike_msg_add(msg, IKEV2_PL_SK, false);
		d = ike_msg_add(msg, IKEV2_PL_DELETE, true);
		if (d) {
			d->u.del.proto = IKEV2_PROTO_IKE;
			ike_send_once(sa, msg);
		}
	}
	while (m->all)
		ike_sa_destroy(m->all);
}
