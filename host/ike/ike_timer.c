/*
 * Everything the IKE manager does by the clock: NAT keepalives (RFC 3948
 * 4), the liveness check (RFC 7296 2.4), IKE SA and Child SA lifetimes
 * (rekey before, delete at), reauthentication, queued Deletes, Child SAs
 * a connection should have but does not, connection restarts after a dead
 * peer or a failed attempt, and the rotation of the cookie secret (2.6).
 * Engine events (byte, packet and sequence number limits) come in through
 * ike_mgr_engine_event.
 *
 * An established SA sits on the manager's timing wheel (ike_wheel.h) at
 * its next deadline, which sa_next_due() works out from the same fields
 * sa_tick() acts on: the once-a-second tick looks only at the SAs whose
 * time has come, so 100,000 idle tunnels cost the slots it visits, not a
 * walk over all of them.  Whatever changes an SA's deadlines outside the
 * tick (a message, a state change, new timers, an engine event) kicks it
 * (ike_sa_kick): it is looked at on the next tick.  While something is in
 * progress (a request in flight, a Delete queued, a rekey that has to
 * wait) the SA is looked at every second, as before; and at least every
 * IKE_TICK_MAX_S seconds, so that a deadline moved without a kick is late
 * by at most that much.  Deadlines are spread by when each SA came up and
 * by the rekey jitter: nothing makes them fall on the same second.
 *
 * One exchange at a time per IKE SA (window size 1): a tick starts at most
 * one new request on each SA, in order of urgency; what has to wait is
 * looked at again on the next tick.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "ike_sa.h"

#define COOKIE_ROTATE_S 120   /* a cookie stays valid for one more period */
#define REPLACED_GRACE_S 10   /* a replaced Child SA the peer did not delete */
#define REKEYED_GRACE_S 10    /* ... and a replaced IKE SA */
#define REAUTH_RETRY_S 30
#define IKE_TICK_MAX_S 60     /* the longest an established SA goes unvisited */

/* Up to max seconds earlier, at random (so both ends do not act at once). */
static uint32_t jitter(uint32_t max)
{
	uint8_t r[4];

	if (!max || ike_random(r, sizeof(r)) < 0)
		return 0;
	return (uint32_t)(((uint64_t)(r[0] | r[1] << 8 | r[2] << 16 | (uint32_t)r[3] << 24) *
			   ((uint64_t)max + 1)) >> 32);
}

void ike_sa_set_timers(struct ikesa *sa)
{
	const struct cfg_conn *c = sa->conn;
	uint64_t now = ike_now();

	sa->rekey_at = sa->expire_at = sa->reauth_at = 0;
	if (!c)
		return;
	if (c->ike_lifetime) {
		/* rekey between 80% and 90% of the lifetime, delete at 100% */
		uint32_t margin = c->ike_lifetime / 10;

		sa->expire_at = now + c->ike_lifetime;
		sa->rekey_at = now + c->ike_lifetime - margin - jitter(margin);
	}
	if (c->reauth_interval)
		sa->reauth_at = now + c->reauth_interval - jitter(c->reauth_interval / 10);
	sa->next_keepalive = now + c->nat_keepalive;
	ike_sa_kick(sa);
}

void ike_child_set_timers(struct child_sa *c)
{
	const struct cfg_child *cfg = ike_child_cfg(c);
	uint64_t now = ike_now();

	c->rekey_at = c->expire_at = 0;
	if (!cfg)
		return;
	if (cfg->life_time)
		c->expire_at = now + cfg->life_time;
	if (cfg->rekey_time)
		c->rekey_at = now + cfg->rekey_time - jitter(cfg->rand_time);
	if (c->ike)
		ike_sa_kick(c->ike);
}

/* ESP from the peer is a sign of life as good as IKE (2.4: only when
 * nothing at all was heard is the peer asked). */
static void esp_activity(struct ikesa *sa, uint64_t now)
{
	for (struct child_sa *c = sa->children; c; c = c->next) {
		struct ipx_sa_state st;

		if (c->eng_in == IPX_SA_NONE || ipx_sa_query(sa->mgr->eng, c->eng_in, &st) < 0)
			continue;
		if (st.ctr.packets != c->in_packets_seen) {
			c->in_packets_seen = st.ctr.packets;
			sa->last_activity = now;
		}
	}
}

static bool child_busy(const struct child_sa *c)
{
	return c->rekeying || ike_child_going(c) || c->replaced_at ||
	       c->successor || c->collision;
}

/* c was made by the peer's rekey of another SA of ours that the peer has
 * not deleted yet: until that Delete comes, the peer may not have c
 * itself (our answer lost on the way), and a rekey of c would be refused
 * as CHILD_SA_NOT_FOUND.  The grace period ends the wait. */
static bool awaits_predecessor(const struct ikesa *sa, const struct child_sa *c)
{
	for (const struct child_sa *o = sa->children; o; o = o->next)
		if (o != c && (o->successor == c || o->collision == c))
			return true;
	return false;
}

/* Reauthentication (make before break): a new IKE SA with the same peer
 * and the same Child SAs; the old one is deleted once they are all up. */
static void start_reauth(struct ikesa *old)
{
	struct ike_mgr *m = old->mgr;
	struct ikesa *n;
	int ret;

	n = ike_sa_new(m, true);
	if (!n)
		return;
	n->conn = old->conn;
	snprintf(n->conn_name, sizeof(n->conn_name), "%s", old->conn_name);
	if (ike_peer_id_copy(&n->peer_id, &old->peer_id) < 0) {
		ike_sa_destroy(n);
		return;
	}
	ike_sa_peer_file(n);   /* with old, until it authenticates the peer */
	n->reauth_of = old;
	ike_child_retry_copy(old, n);   /* what old gave up on stays given up */
	for (struct child_sa *c = old->children; c; c = c->next)
		if (ike_child_cfg(c) && !child_busy(c)) {
			snprintf(n->want_child, sizeof(n->want_child), "%s", c->name);
			break;
		}
	old->reauthing = true;
	ike_sa_log(old, IPX_LOG_INFO, "reauthenticating: a new IKE SA replaces this one");
	ret = ike_init_start(n);
	if (ret < 0) {
		ike_sa_destroy(n);
		old->reauthing = false;
		old->reauth_at = ike_now() + REAUTH_RETRY_S;
	}
}

/* The new SA of a reauthentication: create what the old one still has,
 * then delete the old one.  True when a request was started. */
static bool reauth_progress(struct ikesa *sa)
{
	struct ikesa *old = sa->reauth_of;

	for (struct child_sa *c = old->children; c; c = c->next) {
		const struct cfg_child *cfg = ike_child_cfg(c);

		if (!cfg || c->replaced_at || ike_child_going(c) ||
		    ike_sa_has_child(sa, c->name))
			continue;
		if (ike_create_child_start(sa, cfg) == 0)
			return true;
		return false;
	}
	ike_sa_log(sa, IPX_LOG_INFO, "reauthenticated: deleting IKE SA %u", old->unique_id);
	sa->mgr->st.reauths++;
	sa->reauth_of = NULL;
	ike_sa_replaced(old, sa);   /* no "down" event, no rekeys */
	ike_info_delete_ike(old);
	return false;
}

/* Child SAs of a connection with start_action: start that this SA (which
 * we initiated) should have but has not: each is created in turn; one the
 * peer refused after its back-off, none it was given up on (ike_refuse.c,
 * child_retries). */
static bool create_missing(struct ikesa *sa, uint64_t now)
{
	const struct cfg_conn *c = sa->conn;

	if (!ike_child_auto(sa) || sa->reauth_of)
		return false;
	for (unsigned i = 0; i < c->n_children; i++) {
		if (ike_sa_has_child(sa, c->children[i].name) ||
		    ike_child_retry_at(sa, c->children[i].name) > now)
			continue;
		/* one that another SA of the connection holds is not missing */
		bool elsewhere = false;

		for (struct ikesa *o = sa->mgr->all; o && !elsewhere; o = o->next)
			elsewhere = o != sa && o->state == IKE_ESTABLISHED &&
				    strcmp(o->conn_name, sa->conn_name) == 0 &&
				    ike_sa_has_child(o, c->children[i].name);
		if (elsewhere)
			continue;
		return ike_create_child_start(sa, &c->children[i]) == 0;
	}
	return false;
}

static void sa_tick(struct ikesa *sa, uint64_t now)
{
	struct ike_mgr *m = sa->mgr;
	const struct cfg_conn *c = sa->conn;
	struct child_sa *ch, *next;

	if (sa->state != IKE_ESTABLISHED && sa->state != IKE_REKEYED)
		return;
	/* RFC 3948 4: the end behind a NAT keeps its mapping open */
	if (c && c->nat_keepalive && sa->natt && sa->nat_here && now >= sa->next_keepalive) {
		if (m->io.keepalive)
			m->io.keepalive(m->io.ctx, &sa->local, &sa->remote);
		sa->next_keepalive = now + c->nat_keepalive;
	}
	for (ch = sa->children; ch; ch = next) {
		next = ch->next;
		if (ch->state == CHILD_LINGERING && now >= ch->linger_until)
			ike_child_remove(sa, ch);
	}
	if (sa->state == IKE_REKEYED) {
		/* replaced: only its Delete is still to come, from the end
		 * that made the replacement.  One that never comes (a peer
		 * that rekeyed and forgot, or whose Delete was lost for good)
		 * we send ourselves after a grace period */
		if (now >= sa->replaced_at + REKEYED_GRACE_S && !sa->out.w.buf) {
			ike_sa_log(sa, IPX_LOG_INFO,
				   "replaced %us ago and not deleted by the peer: deleting it",
				   (unsigned)(now - sa->replaced_at));
			m->st.rekeyed_deleted++;
			ike_info_delete_ike(sa);
		}
		return;
	}
	esp_activity(sa, now);
	if (sa->expire_at && now >= sa->expire_at) {
		char conn[CFG_NAME_MAX];
		bool again = c && c->start_action == CFG_START_START && c->n_remote_addrs;

		snprintf(conn, sizeof(conn), "%s", sa->conn_name);
		ike_sa_log(sa, IPX_LOG_WARN, "IKE SA lifetime expired before a rekey: deleted%s",
			   again ? ", starting again" : "");
		ike_info_delete_ike(sa);
		if (again)
			ike_retry_schedule(m, conn, NULL, 1);
		return;
	}
	if (sa->out.w.buf)
		return;  /* window full: next tick */
	/* Child SAs past their lifetime, or replaced and not deleted by the
	 * peer in time, are deleted */
	for (ch = sa->children; ch; ch = ch->next) {
		if (ike_child_going(ch))
			continue;
		if (ch->expire_at && now >= ch->expire_at) {
			ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s (SPI %08x): lifetime expired",
				   ch->name, ch->spi_in);
			ike_child_state(ch, CHILD_DELETE_QUEUED);
		} else if (ch->replaced_at && now >= ch->replaced_at + REPLACED_GRACE_S) {
			ike_child_state(ch, CHILD_DELETE_QUEUED);
		}
	}
	for (ch = sa->children; ch; ch = ch->next)
		if (ch->state == CHILD_DELETE_QUEUED) {
			ike_info_delete_child(sa, NULL);
			return;
		}
	if (sa->rekey_at && now >= sa->rekey_at) {
		if (ike_rekey_ike_start(sa) == 0)
			return;
		sa->rekey_at = now + 5;
	}
	if (sa->reauth_at && now >= sa->reauth_at && !sa->reauthing && c && c->n_remote_addrs) {
		start_reauth(sa);
		/* the new SA negotiates on its own; this one carries on */
	}
	for (ch = sa->children; ch; ch = ch->next) {
		if (child_busy(ch) || !ch->rekey_at || now < ch->rekey_at ||
		    awaits_predecessor(sa, ch))
			continue;
		if (ch->gone_at_peer && ike_child_cfg(ch)) {
			/* 2.25: a new Child SA takes over from it (takeover
			 * in ike_child_activate), then it is deleted */
			if (ike_create_child_start(sa, ike_child_cfg(ch)) == 0) {
				ike_sa_log(sa, IPX_LOG_INFO,
					   "Child SA %s (SPI %08x) unknown to the peer: creating a new one to replace it",
					   ch->name, ch->spi_in);
				ch->gone_at_peer = false;
				ch->rekey_at = 0;
				return;
			}
			ch->rekey_at = now + 5;
			continue;
		}
		if (ike_rekey_child_start(sa, ch) == 0)
			return;
		if (!ike_child_cfg(ch)) {
			ch->rekey_at = 0;  /* removed from the configuration: let it expire */
			continue;
		}
		ch->rekey_at = now + 5;
	}
	if (sa->reauth_of && reauth_progress(sa))
		return;
	if (create_missing(sa, now))
		return;
	if (c && c->liveness_interval && now >= sa->last_activity + c->liveness_interval) {
		ike_sa_log(sa, IPX_LOG_DEBUG, "nothing heard for %us: liveness check",
			   (unsigned)(now - sa->last_activity));
		ike_info_liveness(sa);
	}
}

/* Connections to start again (dead peer, failed attempt, a Child SA that
 * had to wait for the window). */
static void run_retries(struct ike_mgr *m, uint64_t now)
{
	struct ike_retry *due = NULL, **p = &m->retries;

	while (*p) {
		struct ike_retry *r = *p;

		if (now >= r->at) {
			*p = r->next;
			r->next = due;
			due = r;
		} else {
			p = &r->next;
		}
	}
	while (due) {
		struct ike_retry *r = due;
		struct ikesa *sa;

		due = r->next;
		if (!cfg_conn_find(m->cfg, r->conn)) {
			free(r);
			continue;
		}
		sa = ike_mgr_find_conn_established(m, r->conn, NULL);
		if (sa && r->child[0] && !ike_sa_has_child(sa, r->child)) {
			ipx_info("%s: creating Child SA %s", r->conn, r->child);
			ike_mgr_initiate_attempt(m, r->conn, r->child, 0, false);
		} else if (!sa && !ike_mgr_find_conn(m, r->conn)) {
			ipx_info("%s: initiating again%s", r->conn,
				 r->attempts ? " (attempt after a failure)" : "");
			ike_mgr_initiate_attempt(m, r->conn, r->child[0] ? r->child : NULL,
						 r->attempts, r->keep_up);
		}
		free(r);
	}
}

/* When create_missing() may have a Child SA to make: every second while
 * one is missing, the end of its back-off while it waits after a refusal;
 * 0 when none is missing (or all missing ones are given up). */
static uint64_t missing_child_due(const struct ikesa *sa, uint64_t now)
{
	const struct cfg_conn *c = sa->conn;
	uint64_t due = 0;

	if (!ike_child_auto(sa) || sa->reauth_of)
		return 0;
	for (unsigned i = 0; i < c->n_children; i++) {
		uint64_t at;

		if (ike_sa_has_child(sa, c->children[i].name))
			continue;
		at = ike_child_retry_at(sa, c->children[i].name);
		if (at <= now)
			return now + 1;
		if (at != UINT64_MAX && (!due || at < due))
			due = at;
	}
	return due;
}

/*
 * When sa_tick() has something to do for sa next: the earliest deadline
 * among the fields it acts on, now + 1 while something is in progress,
 * 0 when the SA is not in a state the clock looks at.  Mirrors sa_tick():
 * a change to one must be made to the other.
 */
static uint64_t sa_next_due(const struct ikesa *sa, uint64_t now)
{
	const struct cfg_conn *c = sa->conn;
	uint64_t due = now + IKE_TICK_MAX_S, soon = now + 1;
	const struct child_sa *ch;

#define EARLIER(t) do { if ((t) && (t) < due) due = (t); } while (0)
	if (sa->state != IKE_ESTABLISHED && sa->state != IKE_REKEYED)
		return 0;
	if (c && c->nat_keepalive && sa->natt && sa->nat_here)
		EARLIER(sa->next_keepalive);
	for (ch = sa->children; ch; ch = ch->next)
		if (ch->state == CHILD_LINGERING)
			EARLIER(ch->linger_until);
	if (sa->state == IKE_REKEYED) {
		if (sa->out.w.buf)
			return soon;
		EARLIER(sa->replaced_at + REKEYED_GRACE_S);
		goto out;
	}
	EARLIER(sa->expire_at);
	if (sa->out.w.buf)
		return soon;
	for (ch = sa->children; ch; ch = ch->next) {
		if (ch->state == CHILD_DELETE_QUEUED)
			return soon;
		if (ike_child_going(ch))
			continue;
		EARLIER(ch->expire_at);
		if (ch->replaced_at)
			EARLIER(ch->replaced_at + REPLACED_GRACE_S);
		if (ch->rekey_at) {
			/* due but held back (busy, or waiting for the
			 * predecessor's Delete): every second until it can */
			if (ch->rekey_at <= now)
				return soon;
			EARLIER(ch->rekey_at);
		}
	}
	EARLIER(sa->rekey_at);
	if (!sa->reauthing && c && c->n_remote_addrs)
		EARLIER(sa->reauth_at);
	if (sa->reauth_of)
		return soon;
	EARLIER(missing_child_due(sa, now));
	if (c && c->liveness_interval)
		EARLIER(sa->last_activity + c->liveness_interval);
out:
#undef EARLIER
	return due > now ? due : soon;
}

void ike_sa_kick(struct ikesa *sa)
{
	if (sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYED)
		ike_wheel_earlier(&sa->mgr->wheel, &sa->tnode, ike_now());
	else
		ike_wheel_del(&sa->mgr->wheel, &sa->tnode);
}

static void sa_due(struct ike_wheel_node *n, void *arg)
{
	struct ikesa *sa = (struct ikesa *)((char *)n - offsetof(struct ikesa, tnode));
	uint64_t now = *(const uint64_t *)arg, due;

	sa->mgr->st.timer_runs++;
	sa_tick(sa, now);
	/* sa_tick never destroys sa: deletes are deferred (destroy_soon) */
	due = sa_next_due(sa, now);
	if (due)
		ike_wheel_earlier(&sa->mgr->wheel, &sa->tnode, due);
}

/* The flood guard follows the kernel's count of IKE datagrams dropped. */
static void guard_tick(struct ike_mgr *m, uint64_t now)
{
	uint64_t drops = m->io.rx_overflows(m->io.ctx);

	switch (ike_guard_tick(&m->guard, now, drops)) {
	case 1:
		ipx_warn("IKE sockets overflowing (%llu datagrams dropped by the kernel so far): "
			 "flood guard on, a cookie-less IKE_SA_INIT is answered when it is "
			 "retransmitted", (unsigned long long)drops);
		break;
	case -1:
		ipx_info("flood guard off: no IKE datagram dropped for %u s (%llu IKE_SA_INITs "
			 "waited for their retransmission, %llu of them came again)",
			 IKE_GUARD_HOLD_S, (unsigned long long)m->st.init_deferred,
			 (unsigned long long)m->st.init_repeated);
		break;
	}
}

void ike_timer_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ike_mgr *m = arg;
	uint64_t now = ike_now();

	(void)fd;
	(void)what;
	if (now >= m->cookie_next) {
		if (m->cookie_next)
			ike_cookie_rotate(&m->cookies);
		m->cookie_next = now + COOKIE_ROTATE_S;
	}
	if (m->io.rx_overflows)
		guard_tick(m, now);
	if (m->retries)
		run_retries(m, now);
	ike_wheel_run(&m->wheel, now, sa_due, &now);
}

/* The Child SA of an engine event (user: ike_child_engine_user), in an
 * IKE SA's list (not one being negotiated). */
static struct child_sa *child_by_user(struct ike_mgr *m, uint64_t user, struct ikesa **owner)
{
	struct child_sa *c = ike_child_lookup(m, (uint32_t)(user >> 32));

	if (!c || c->unique_id != (uint32_t)user || !c->ike)
		return NULL;
	for (struct child_sa *k = c->ike->children; k; k = k->next)
		if (k == c) {
			*owner = c->ike;
			return c;
		}
	return NULL;
}

void ike_mgr_engine_event(struct ike_mgr *m, const struct ipx_event *ev)
{
	struct ikesa *sa = NULL;
	struct child_sa *c;

	if (ev->type != IPX_EV_SOFT_LIFETIME && ev->type != IPX_EV_HARD_LIFETIME &&
	    ev->type != IPX_EV_SEQ_NEAR_EXHAUSTION && ev->type != IPX_EV_SEQ_EXHAUSTED)
		return;
	c = child_by_user(m, ev->user, &sa);
	if (!c)
		return;
	switch (ev->type) {
	case IPX_EV_SOFT_LIFETIME:
	case IPX_EV_SEQ_NEAR_EXHAUSTION:
		/* rekey now (on this tick or the next) */
		ike_sa_log(sa, IPX_LOG_INFO, "Child SA %s (SPI %08x %s): %s: rekeying", c->name,
			   ev->spi, ev->dir == IPX_DIR_IN ? "in" : "out",
			   ev->type == IPX_EV_SOFT_LIFETIME ? "soft lifetime reached" :
							      "sequence numbers running out");
		if (!child_busy(c))
			c->rekey_at = ike_now();
		ike_sa_kick(sa);
		break;
	default:
		ike_sa_log(sa, IPX_LOG_WARN, "Child SA %s (SPI %08x %s): %s: deleting", c->name,
			   ev->spi, ev->dir == IPX_DIR_IN ? "in" : "out",
			   ev->type == IPX_EV_HARD_LIFETIME ? "hard lifetime reached" :
							      "sequence numbers exhausted");
		ike_info_delete_child(sa, c);
		break;
	}
}
