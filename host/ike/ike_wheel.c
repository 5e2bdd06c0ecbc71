/* The IKE manager's timing wheel: ike_wheel.h says how it works. */
#include "ike_wheel.h"

static struct ike_wheel_list *slot_of(struct ike_wheel *w, uint64_t t)
{
	return &w->slot[t & (IKE_WHEEL_SLOTS - 1)];
}

void ike_wheel_init(struct ike_wheel *w, uint64_t now)
{
	for (unsigned i = 0; i < IKE_WHEEL_SLOTS; i++)
		LIST_INIT(&w->slot[i]);
	w->cur = now;
	w->n = 0;
	w->visited = 0;
}

void ike_wheel_del(struct ike_wheel *w, struct ike_wheel_node *n)
{
	if (!n->queued)
		return;
	LIST_REMOVE(n, link);
	n->queued = false;
	w->n--;
}

void ike_wheel_add(struct ike_wheel *w, struct ike_wheel_node *n, uint64_t when)
{
	ike_wheel_del(w, n);
	/* the next run visits the slot of w->cur again: a time in the past
	 * waits there */
	if (when < w->cur)
		when = w->cur;
	n->when = when;
	n->queued = true;
	LIST_INSERT_HEAD(slot_of(w, when), n, link);
	w->n++;
}

void ike_wheel_earlier(struct ike_wheel *w, struct ike_wheel_node *n, uint64_t when)
{
	if (n->queued && n->when <= (when < w->cur ? w->cur : when))
		return;
	ike_wheel_add(w, n, when);
}

unsigned ike_wheel_run(struct ike_wheel *w, uint64_t now, ike_wheel_fn fn, void *arg)
{
	struct ike_wheel_list due = LIST_HEAD_INITIALIZER(due);
	struct ike_wheel_node *n, *next;
	uint64_t t, last;
	unsigned ran = 0;

	if (now < w->cur)
		now = w->cur;   /* the clock never goes back; be safe */
	/* after a gap of a whole turn or more, every slot once */
	last = now - w->cur >= IKE_WHEEL_SLOTS ? w->cur + IKE_WHEEL_SLOTS - 1 : now;
	/* collect first, then run: fn may add and delete nodes anywhere */
	for (t = w->cur; t <= last; t++)
		for (n = LIST_FIRST(slot_of(w, t)); n; n = next) {
			next = LIST_NEXT(n, link);
			w->visited++;
			if (n->when > now)
				continue;
			LIST_REMOVE(n, link);
			LIST_INSERT_HEAD(&due, n, link);
		}
	w->cur = now;
	/* a node in `due` is still queued: a del from fn takes it out */
	while ((n = LIST_FIRST(&due))) {
		LIST_REMOVE(n, link);
		n->queued = false;
		w->n--;
		fn(n, arg);
		ran++;
	}
	return ran;
}
