/*
 * The host's side of every card engine, in one place: what a card engine
 * (driver/fpga, over any bus), the bare-pipeline engine (driver/pipe) and
 * the placement layer (place.c) keep about a card that the card itself may
 * lose.
 *
 *   the sequence-number bound  for each outbound SA, the highest sequence
 *       number the card can have used: the number known exactly (at
 *       install, a set_state or a healthy read-back) plus every packet
 *       handed to the card since.  A fallback continues above it, so no
 *       AES-GCM nonce is used twice under one key, whatever the card did
 *       before it failed (docs/engine.md, "faults");
 *   the event ring  events queued for ipx_events(), oldest first, counted
 *       when the ring is full rather than overwriting;
 *   fault state and health  the first fault since the last recovery, its
 *       words, and the health report built from it.
 *
 * The software engine uses the event ring too.
 */
#ifndef IPSECFX_CARD_H
#define IPSECFX_CARD_H

#include <stdbool.h>
#include <stdint.h>

#include <ipsecfx/engine.h>

/* ---- the outbound sequence-number bound ---- */

struct ipx_seq_bound {
	uint64_t base;      /* the next sequence number, known exactly */
	uint64_t handed;    /* packets handed to the card since */
};

/* The next number is known exactly (install, set_state, a read-back
 * with nothing in flight). */
void ipx_seq_bound_set(struct ipx_seq_bound *b, uint64_t next);
/* A read-back taken while the card is healthy: exact when it is not below
 * what was known (a burst ends with the pipeline empty). */
void ipx_seq_bound_sync(struct ipx_seq_bound *b, uint64_t next);
/* n packets of this SA given to the card. */
void ipx_seq_bound_handed(struct ipx_seq_bound *b, uint32_t n);
/*
 * Where a sequence counter may go on after the card has failed: at least
 * the bound and the card's own answer (`card`, 0 when it has none), plus
 * margin; never beyond the SA's last number (2^32-1, or 2^64-1 with ESN),
 * where *exhausted is set and the SA must be rekeyed.
 */
uint64_t ipx_seq_bound_next(const struct ipx_seq_bound *b, uint64_t card, uint64_t margin,
			    bool esn, bool *exhausted);

/* ---- the event ring ---- */

struct ipx_evring {
	struct ipx_event *v;
	uint32_t len, head, tail;   /* head - tail events queued */
	uint64_t lost;              /* pushed onto a full ring */
};

int ipx_evring_init(struct ipx_evring *r, uint32_t len);
void ipx_evring_free(struct ipx_evring *r);
/* Queue ev; false (and counted in lost) when the ring is full. */
bool ipx_evring_push(struct ipx_evring *r, const struct ipx_event *ev);
/* Up to max of the oldest events into out; how many. */
unsigned ipx_evring_pop(struct ipx_evring *r, struct ipx_event *out, unsigned max);

/* ---- fault state and health ---- */

struct ipx_card_fault {
	bool faulted;
	enum ipx_fault kind;        /* the current, or last, fault */
	uint64_t faults;            /* since open */
	char why[96];
};

/* Record a fault of this card (who: "sim", "xrt", "pipe" for the log).
 * Only the first one until recovery counts: true then, and the caller
 * queues IPX_EV_ENGINE_FAULT. */
bool ipx_card_fault_set(struct ipx_card_fault *f, const char *who, enum ipx_fault kind,
			const char *why);
/* Healthy again (recovered). */
void ipx_card_fault_clear(struct ipx_card_fault *f);
/* The health report of a card in this state. */
void ipx_card_fault_health(const struct ipx_card_fault *f, uint64_t heartbeat,
			   struct ipx_health *h);
/* Plain words for a kind of fault. */
const char *ipx_fault_words(enum ipx_fault kind);

#endif
