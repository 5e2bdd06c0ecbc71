/*
 * INFORMATIONAL exchanges (RFC 7296 1.4): Delete payloads for the IKE SA
 * or Child SAs, notifies, and the empty request a peer uses to check that
 * we are alive (answered with an empty response).
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
	sa->state = IKE_DELETING;
}

int ike_info_respond(struct ikesa *sa, struct ike_msg *m)
{
	struct ike_msg *r = sa->mgr->omsg;
	uint8_t del_spis[MAX_DEL_SPIS * 4];
	unsigned n_del = 0;
	bool delete_ike = false;

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
				/* 1.4.1: answer with the paired inbound SPIs */
				if (n_del < MAX_DEL_SPIS)
					ipx_st32(del_spis + 4 * n_del++, c->spi_in);
				ike_sa_log(sa, IPX_LOG_INFO, "peer deletes Child SA %s", c->name);
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
		ike_sa_log(sa, IPX_LOG_INFO, "peer deletes the IKE SA");
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

int ike_info_delete_ike(struct ikesa *sa)
{
	struct ike_msg *r = sa->mgr->omsg;
	struct ike_pld *d;
	int ret;

	if (sa->out.buf) {
		/* an exchange is in flight: the window is 1, so just go */
		ike_sa_log(sa, IPX_LOG_INFO, "deleting the IKE SA without notice (exchange in flight)");
		destroy_soon(sa);
		return 0;
	}
	ike_msg_start(sa, r, IKEV2_EXCH_INFORMATIONAL, false, sa->req_next);
	ike_msg_add(r, IKEV2_PL_SK, false);
	d = ike_msg_add(r, IKEV2_PL_DELETE, true);
	if (!d)
		return -ENOSPC;
	d->u.del.proto = IKEV2_PROTO_IKE;
	sa->state = IKE_DELETING;
	ret = ike_send_request(sa, r, delete_response);
	if (ret < 0)
		destroy_soon(sa);
	/* the children stop now: no traffic on an SA being deleted */
	while (sa->children)
		ike_child_remove(sa, sa->children);
	return 0;
}

int ike_create_child_respond(struct ikesa *sa, struct ike_msg *m)
{
	struct ike_msg *r = sa->mgr->omsg;

	/* Rekeying and additional Child SAs come with CREATE_CHILD_SA
	 * support; until then the honest answer (1.3) is that we accept no
	 * further SAs on this IKE SA. */
	ike_sa_log(sa, IPX_LOG_WARN, "CREATE_CHILD_SA not supported yet: NO_ADDITIONAL_SAS");
	ike_msg_start(sa, r, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id);
	ike_msg_add(r, IKEV2_PL_SK, false);
	ike_msg_add_notify(r, true, IKEV2_PROTO_NONE, NULL, 0, IKEV2_N_NO_ADDITIONAL_SAS,
			   NULL, 0);
	return ike_send_response(sa, r);
}
