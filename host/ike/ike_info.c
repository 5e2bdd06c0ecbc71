/*
 * INFORMATIONAL exchanges (RFC 7296 1.4): Delete payloads for the IKE SA
 * or Child SAs, notifies, and the empty request a peer uses to check that
 * we are alive (answered with an empty response; ours is in ike_mgr.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_sa.h"

#define MAX_DEL_SPIS 64

static void deferred_destroy(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ike_sa_destroy(arg);
}

/* Destroy sa once the current callback has returned. */
static void destroy_soon(struct ikesa *sa)
{
	struct timeval now = { 0, 0 };

	if (!sa->timer_ev)
		sa->timer_ev = evtimer_new(sa->mgr->base, deferred_destroy, sa);
	else
		event_del(sa->timer_ev);
	if (sa->timer_ev) {
		event_assign(sa->timer_ev, sa->mgr->base, -1, 0, deferred_destroy, sa);
		event_add(sa->timer_ev, &now);
	}
	ike_sa_state(sa, IKE_DELETING);
}

int ike_info_respond(struct ikesa *sa, struct ike_msg *m)
{
	struct ike_msg *r = sa->mgr->omsg;
	uint8_t del_spis[MAX_DEL_SPIS * 4];
	unsigned n_del = 0;
	bool delete_ike = false;
	/* an IKE SA that was never up (ours still waits for its IKE_AUTH
	 * answer) does not go "down" */
	bool was_up = sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYED ||
		      sa->state == IKE_DELETING;

	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (!p->inner)
			continue;
		if (p->type == IKEV2_PL_DELETE) {
			if (p->u.del.proto == IKEV2_PROTO_IKE) {
				delete_ike = true;
				continue;
			}
			if (p->u.del.proto != IKEV2_PROTO_ESP || p->u.del.spi_size != 4)
				continue;
			for (unsigned k = 0; k < p->u.del.n_spi; k++) {
				uint32_t spi = ipx_ld32(p->u.del.spis + 4 * k);
				struct child_sa *c = ike_child_by_spi_out(sa, spi);

				if (!c) {
					ike_sa_log(sa, IPX_LOG_INFO,
						   "Delete for unknown ESP SPI %08x ignored", spi);
					continue;
				}
				/* 1.4.1: answer with the paired inbound SPIs,
				 * except for SAs we are deleting ourselves (the
				 * two requests crossed) */
				if (!ike_child_deleted(c) && n_del < MAX_DEL_SPIS)
					ipx_st32(del_spis + 4 * n_del++, c->spi_in);
				ike_sa_log(sa, IPX_LOG_INFO, "peer deletes Child SA %s (SPI %08x)%s",
					   c->name, c->spi_in,
					   c->replaced_at ? ", rekeyed" : "");
				/* the peer's ESP on it may still be on its way
				 * (its Delete can overtake it) */
				if (!ike_child_linger(sa, c))
					ike_child_remove(sa, c);
			}
		} else if (p->type == IKEV2_PL_NOTIFY) {
			ike_sa_log(sa, p->u.n.type < 16384 ? IPX_LOG_WARN : IPX_LOG_INFO,
				   "peer notifies %s", ikev2_notify_name(p->u.n.type));
		}
	}
	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, true, m->hdr.msg_id);
	ike_msg_add(r, IKEV2_PL_SK, false);
	if (n_del && !delete_ike) {
		struct ike_pld *d = ike_msg_add(r, IKEV2_PL_DELETE, true);

		if (d) {
			d->u.del.proto = IKEV2_PROTO_ESP;
			d->u.del.spi_size = 4;
			d->u.del.n_spi = (uint16_t)n_del;
			d->u.del.spis = del_spis;
		}
	}
	ike_send_response(sa, r);
	if (delete_ike) {
		if (sa->replaced_at)
			ike_sa_log(sa, IPX_LOG_INFO, "peer deletes the rekeyed IKE SA");
		else
			ike_sa_log(sa, IPX_LOG_INFO, "peer deletes the IKE SA");
		if (!sa->replaced_at && was_up && sa->mgr->io.event)
			sa->mgr->io.event(sa->mgr->io.ctx, sa, NULL, "ike-down");
		destroy_soon(sa);
	}
	return 0;
}

static int delete_response(struct ikesa *sa, struct ike_msg *m)
{
	(void)m;
	ike_sa_log(sa, IPX_LOG_INFO, "IKE SA deleted");
	destroy_soon(sa);
	return 0;
}

/* An empty INFORMATIONAL request: are you there? (2.4) */
int ike_info_liveness(struct ikesa *sa)
{
	struct ike_msg *r = sa->mgr->omsg;

	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(r, IKEV2_PL_SK, false);
	return ike_send_liveness(sa, r);
}

int ike_info_delete_ike(struct ikesa *sa)
{
	struct ike_msg *r = sa->mgr->omsg;
	struct ike_pld *d;
	int ret;

	if (!sa->replaced_at && sa->mgr->io.event)
		sa->mgr->io.event(sa->mgr->io.ctx, sa, NULL, "ike-down");
	/* the children stop now: no traffic on an SA being deleted (after a
	 * rekey they live on in the new IKE SA already).  After a
	 * reauthentication, those whose place a child of the new IKE SA took
	 * keep their inbound SA a moment longer there (IKE_CHILD_LINGER_S,
	 * as after a Child SA rekey): a responder goes on sending on them
	 * until our Delete reaches it. */
	while (sa->children) {
		struct child_sa *c = sa->children;
		struct ikesa *to = sa->rekeyed_by;

		if (to && to->state == IKE_ESTABLISHED && ike_child_linger(sa, c)) {
			sa->children = c->next;
			c->ike = to;
			c->next = to->children;
			to->children = c;
			continue;
		}
		ike_child_remove(sa, c);
	}
	if (sa->out.w.buf) {
		/* an exchange is in flight: the window is 1, so just go */
		ike_sa_log(sa, IPX_LOG_INFO, "deleting the IKE SA without notice (exchange in flight)");
		destroy_soon(sa);
		return 0;
	}
	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(r, IKEV2_PL_SK, false);
	d = ike_msg_add(r, IKEV2_PL_DELETE, true);
	if (!d) {
		destroy_soon(sa);
		return -ENOSPC;
	}
	d->u.del.proto = IKEV2_PROTO_IKE;
	ike_sa_state(sa, IKE_DELETING);
	ret = ike_send_request(sa, r, delete_response);
	if (ret < 0)
		destroy_soon(sa);
	return 0;
}

/* The answer to our Delete of Child SAs: their inbound SAs go now, but
 * for rekeyed ones, which stay a moment for the packets the peer sent on
 * them before it switched to the new SA and that are still on their way
 * (through a busy peer's queues; strongSwan does the same for 5 s). */
static int delete_child_response(struct ikesa *sa, struct ike_msg *m)
{
	struct child_sa *c, *next;

	(void)m;
	for (c = sa->children; c; c = next) {
		next = c->next;
		if (c->state != CHILD_DELETING)
			continue;
		if (!ike_child_linger(sa, c))
			ike_child_remove(sa, c);
	}
	return 0;
}

/*
 * Delete c, and with it every other child waiting for a Delete, in one
 * INFORMATIONAL request (1.4.1).  With an exchange in flight the Delete
 * waits for the window (the timer tick sends it).
 */
int ike_info_delete_child(struct ikesa *sa, struct child_sa *c)
{
	static uint8_t spis[MAX_DEL_SPIS * 4];
	struct ike_msg *r = sa->mgr->omsg;
	struct ike_pld *d;
	unsigned n = 0;
	int ret;

	if (c) {
		if (ike_child_deleted(c))
			return 0;
		ike_child_state(c, CHILD_DELETE_QUEUED);
	}
	if (sa->out.w.buf || (sa->state != IKE_ESTABLISHED && sa->state != IKE_REKEYED))
		return 0;
	for (struct child_sa *o = sa->children; o && n < MAX_DEL_SPIS; o = o->next)
		if (o->state == CHILD_DELETE_QUEUED)
			ipx_st32(spis + 4 * n++, o->spi_in);
	if (!n)
		return 0;
	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(r, IKEV2_PL_SK, false);
	d = ike_msg_add(r, IKEV2_PL_DELETE, true);
	if (!d)
		return -ENOSPC;
	d->u.del.proto = IKEV2_PROTO_ESP;
	d->u.del.spi_size = 4;
	d->u.del.n_spi = (uint16_t)n;
	d->u.del.spis = spis;
	ret = ike_send_request(sa, r, delete_child_response);
	if (ret < 0)
		return ret;
	n = 0;
	for (struct child_sa *o = sa->children; o && n < MAX_DEL_SPIS; o = o->next)
		if (o->state == CHILD_DELETE_QUEUED) {
			ike_child_state(o, CHILD_DELETING);
			n++;
			ike_sa_log(sa, IPX_LOG_INFO, "deleting Child SA %s (SPI %08x)%s",
				   o->name, o->spi_in, o->replaced_at ? ", rekeyed" : "");
		}
	return 0;
}
