/*
 * A hashed timing wheel with one-second slots: what the IKE manager uses
 * to look at an SA only when one of its deadlines (rekey, lifetime,
 * liveness, NAT keepalive, ...) has come, instead of walking every SA
 * every second.
 *
 * A node due at second t sits in slot t % IKE_WHEEL_SLOTS.  Running the
 * wheel up to `now` visits the slots of the seconds since the last run
 * (all of them at most once after a long gap) and takes out the nodes
 * whose time has come; a node further than IKE_WHEEL_SLOTS seconds away
 * stays in its slot and is looked at once per turn.
 *
 * Cost: add, earlier and del are O(1); a run costs the due nodes plus,
 * per second elapsed, the not-yet-due nodes sharing the visited slot
 * (about n / IKE_WHEEL_SLOTS when deadlines are spread out: 100 for
 * 100,000 SAs).  Memory: 24 bytes per node, 8 KiB for the wheel.
 *
 * The slot of the last run is visited again on the next one, so a node
 * added for the current second (a "kick") runs on the next call even if
 * the clock has not moved: the manager relies on that to act at once.
 */
#ifndef IPSECFX_IKE_WHEEL_H
#define IPSECFX_IKE_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define IKE_WHEEL_SLOTS 1024u   /* a power of 2 */

struct ike_wheel_node {
	LIST_ENTRY(ike_wheel_node) link;
	uint64_t when;          /* monotonic seconds; valid while queued */
	bool queued;
};

LIST_HEAD(ike_wheel_list, ike_wheel_node);

struct ike_wheel {
	struct ike_wheel_list slot[IKE_WHEEL_SLOTS];
	uint64_t cur;           /* the second of the last run */
	unsigned n;             /* nodes queued */
	uint64_t visited;       /* nodes looked at by runs (due or not) */
};

void ike_wheel_init(struct ike_wheel *w, uint64_t now);
/* (Re)schedule n at second `when`; a time already past runs on the next
 * run. */
void ike_wheel_add(struct ike_wheel *w, struct ike_wheel_node *n, uint64_t when);
/* Schedule n at `when` unless it is already due no later. */
void ike_wheel_earlier(struct ike_wheel *w, struct ike_wheel_node *n, uint64_t when);
/* Take n off the wheel (nothing if it is not on it). */
void ike_wheel_del(struct ike_wheel *w, struct ike_wheel_node *n);

static inline bool ike_wheel_queued(const struct ike_wheel_node *n)
{
	return n->queued;
}

/* Call fn for every node due at or before now, each taken off the wheel
 * first: fn may add it again, and may add or delete any other node
 * (one added for a time at or before now runs on the next call).
 * Returns how many ran. */
typedef void (*ike_wheel_fn)(struct ike_wheel_node *n, void *arg);
unsigned ike_wheel_run(struct ike_wheel *w, uint64_t now, ike_wheel_fn fn, void *arg);

#endif
