/* The host's side of every card engine: see card.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "card.h"

/* ---- the outbound sequence-number bound ---- */

void ipx_seq_bound_set(struct ipx_seq_bound *b, uint64_t next)
{
	b->base = next;
	b->handed = 0;
}

void ipx_seq_bound_sync(struct ipx_seq_bound *b, uint64_t next)
{
	if (next >= b->base)
		ipx_seq_bound_set(b, next);
}

void ipx_seq_bound_handed(struct ipx_seq_bound *b, uint32_t n)
{
	b->handed = b->handed > UINT64_MAX - n ? UINT64_MAX : b->handed + n;
}

uint64_t ipx_seq_bound_next(const struct ipx_seq_bound *b, uint64_t card, uint64_t margin,
			    bool esn, bool *exhausted)
{
	uint64_t max = esn ? UINT64_MAX : UINT32_MAX;
	uint64_t bound = b->base + b->handed;

	/* past 2^64 - 1: every number has been used */
	*exhausted = b->handed > UINT64_MAX - b->base;
	if (card > bound)
		bound = card;
	*exhausted = *exhausted || bound > max || max - bound < margin;
	return *exhausted ? max : bound + margin;
}

/* ---- the event ring ---- */

int ipx_evring_init(struct ipx_evring *r, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->v = calloc(len, sizeof(*r->v));
	if (!r->v)
		return -ENOMEM;
	r->len = len;
	return 0;
}

void ipx_evring_free(struct ipx_evring *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

bool ipx_evring_push(struct ipx_evring *r, const struct ipx_event *ev)
{
	if (r->head - r->tail >= r->len) {
		r->lost++;
		return false;
	}
	r->v[r->head++ % r->len] = *ev;
	return true;
}

unsigned ipx_evring_pop(struct ipx_evring *r, struct ipx_event *out, unsigned max)
{
	unsigned n = 0;

	while (n < max && r->tail != r->head)
		out[n++] = r->v[r->tail++ % r->len];
	return n;
}

/* ---- fault state and health ---- */

const char *ipx_fault_words(enum ipx_fault kind)
{
	switch (kind) {
	case IPX_FAULT_STALL:
		return "no completion within the deadline";
	case IPX_FAULT_DMA:
		return "a DMA transfer reported an error";
	case IPX_FAULT_RESET:
		return "the card was reset, its SA tables are lost";
	default:
		return "healthy";
	}
}

bool ipx_card_fault_set(struct ipx_card_fault *f, const char *who, enum ipx_fault kind,
			const char *why)
{
	if (f->faulted)
		return false;
	f->faulted = true;
	f->kind = kind;
	f->faults++;
	snprintf(f->why, sizeof(f->why), "%s", why ? why : ipx_fault_words(kind));
	ipx_err("%s: engine fault: %s", who, f->why);
	return true;
}

void ipx_card_fault_clear(struct ipx_card_fault *f)
{
	f->faulted = false;
	f->kind = IPX_FAULT_NONE;
	f->why[0] = 0;
}

void ipx_card_fault_health(const struct ipx_card_fault *f, uint64_t heartbeat,
			   struct ipx_health *h)
{
	memset(h, 0, sizeof(*h));
	h->hardware = true;
	h->ok = !f->faulted;
	h->fault = f->kind;
	h->faults = f->faults;
	h->heartbeat = heartbeat;
	snprintf(h->why, sizeof(h->why), "%s", f->faulted ? f->why : "healthy");
}
