/* swanctl.conf's layout turned into this configuration's (config_swanctl.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_swanctl.h"

#define DURATION "a duration (30s, 5m, 8h, 1d or seconds)"

static void drop_pairs(struct ycheck *yc, int map, unsigned a, int has_b, unsigned b)
{
	if (has_b && b > a) {
		ycheck_del(yc, map, b);
		ycheck_del(yc, map, a);
		return;
	}
	ycheck_del(yc, map, a);
	if (has_b)
		ycheck_del(yc, map, b);
}

/*
 * A connection's rekey_time and over_time are its IKE SA's in swanctl.conf:
 * rekeyed at rekey_time (less up to rand_time), closed over_time (10% of
 * it) later.  ike_lifetime is that end; the IKE SA is rekeyed between 80%
 * and 90% of it.
 */
static void ike_rekey_time(struct ycheck *yc, const char *base, int conn)
{
	unsigned pr = 0, po = 0;
	int r = ycheck_get(yc, conn, "rekey_time", &pr);
	int o = ycheck_get(yc, conn, "over_time", &po);
	const char *rs = ycheck_scalar(yc, r), *os = ycheck_scalar(yc, o);
	char path[160], text[32];
	uint32_t rekey, over;
	int k;

	if (!r)
		return;   /* over_time alone: the hint table refuses it */
	snprintf(path, sizeof(path), "%s.rekey_time", base);
	k = ycheck_pair_key(yc, conn, pr);
	if (ycheck_get(yc, conn, "ike_lifetime", NULL)) {
		ycheck_error(yc, path, k, "swanctl's IKE rekey_time, and ike_lifetime: give ike_lifetime only (the IKE SA is rekeyed between 80%% and 90%% of it)");
		goto drop;
	}
	if (!rs || cfg_parse_duration(rs, &rekey) < 0) {
		ycheck_error(yc, path, r, "'%s' is not " DURATION, rs ? rs : "");
		goto drop;
	}
	over = rekey / 10;
	if (o && (!os || cfg_parse_duration(os, &over) < 0)) {
		snprintf(path, sizeof(path), "%s.over_time", base);
		ycheck_error(yc, path, o, "'%s' is not " DURATION, os ? os : "");
		goto drop;
	}
	if ((uint64_t)rekey + over > UINT32_MAX) {
		ycheck_error(yc, path, r, "rekey_time and over_time add up to more than 2^32 s");
		goto drop;
	}
	snprintf(text, sizeof(text), "%us", rekey + over);
	ycheck_note(yc, path, k, "swanctl's IKE rekey_time%s: read as ike_lifetime: %s (the IKE SA is rekeyed between 80%% and 90%% of it)",
		    o ? " and over_time" : " (and over_time, 10% of it)", text);
	r = ycheck_new_scalar(yc, text, r);
	if (!r || ycheck_rename(yc, conn, pr, "ike_lifetime") < 0) {
		ycheck_error(yc, path, k, "out of memory");
		goto drop;
	}
	ycheck_set(yc, conn, pr, r);
	if (o)
		ycheck_del(yc, conn, po);
	return;
drop:
	drop_pairs(yc, conn, pr, o, po);
}

/* swanctl's dpd_action for liveness_action: NULL when there is none. */
static const char *dpd_action(const char *s)
{
	static const char *const map[][2] = {
		{ "clear", "clear" }, { "none", "clear" }, { "restart", "restart" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(s, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* A child's key that is its connection's here (as `to`).  Whether the
 * child had it. */
static bool lift(struct ycheck *yc, int conn, const char *chbase, int child,
		 const char *key, const char *to)
{
	unsigned cp = 0, pp = 0;
	int v = ycheck_get(yc, child, key, &cp), k, have;
	const char *s = ycheck_scalar(yc, v), *hs;
	char path[200];

	if (!v)
		return false;
	snprintf(path, sizeof(path), "%s.%s", chbase, key);
	k = ycheck_pair_key(yc, child, cp);
	if (!s) {
		ycheck_error(yc, path, v, "expected one value");
		ycheck_del(yc, child, cp);
		return true;
	}
	if (strcmp(key, "dpd_action") == 0) {
		const char *to_value = dpd_action(s);

		if (!to_value && yc->lenient && strcmp(s, "trap") == 0)
			ycheck_warn(yc, path, v, "'trap' is not carried over: a dead peer's connection is set up again at once (liveness_action: restart, the default), not at the next packet");
		else if (!to_value)
			ycheck_error(yc, path, v, "'%s' is not supported: restart (set the connection up again at once) or clear",
				     s);
		if (!to_value) {
			ycheck_del(yc, child, cp);
			return true;
		}
		v = ycheck_new_scalar(yc, to_value, v);
		s = to_value;
	}
	have = ycheck_get(yc, conn, to, &pp);
	if (have) {
		hs = ycheck_scalar(yc, have);
		if (!hs || strcmp(hs, s) != 0)
			ycheck_error(yc, path, k, "'%s' here, '%s' on line %u: ipsecfx has one %s per connection, for all its children",
				     s, hs ? hs : "?", ycheck_line(yc, ycheck_pair_key(yc, conn, pp)), to);
		ycheck_del(yc, child, cp);
		return true;
	}
	if (!v || ycheck_add(yc, conn, to, v, k) < 0)
		ycheck_error(yc, path, k, "out of memory");
	else if (strcmp(key, "updown") == 0)
		ycheck_warn(yc, path, k, "moved to the connection: ipsecfx runs one updown script per connection, with the event as its argument and IPSECFX_* variables, not strongSwan's PLUTO_* (docs/config.md)");
	ycheck_del(yc, child, cp);
	return true;
}

static void lift_children(struct ycheck *yc, const char *base, int conn, int children)
{
	static const char *const keys[][2] = {
		{ "start_action", "start_action" },
		{ "dpd_action", "liveness_action" },
		{ "updown", "updown" },
	};
	unsigned n = ycheck_items(yc, children);

	for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
		bool native = ycheck_get(yc, conn, keys[j][1], NULL) != 0;
		unsigned had = 0, pair = 0;
		char path[160];

		for (unsigned i = 0; i < n; i++) {
			int child = ycheck_item(yc, children, i);

			snprintf(path, sizeof(path), "%s.children[%u]", base, i);
			if (ycheck_is_map(yc, child) &&
			    lift(yc, conn, path, child, keys[j][0], keys[j][1]))
				had++;
		}
		/* swanctl's other children would not have had it */
		if (!native && had && had < n && j < 2 &&
		    ycheck_get(yc, conn, keys[j][1], &pair)) {
			snprintf(path, sizeof(path), "%s.%s", base, keys[j][1]);
			ycheck_warn(yc, path, ycheck_pair_key(yc, conn, pair),
				    "%s given in %u of the connection's %u children: here it is the connection's, for all of them",
				    keys[j][0], had, n);
		}
	}
}

/* A mapping of name -> mapping at the pair's value: a list instead. */
static int named(struct ycheck *yc, int map, unsigned pair, int v)
{
	int list;

	if (!v || !ycheck_is_map(yc, v))
		return v;
	list = ycheck_named_list(yc, v, "name");
	if (!list)
		return v;
	ycheck_set(yc, map, pair, list);
	return list;
}

void cfg_swanctl_layout(struct ycheck *yc)
{
	int root = ycheck_root(yc), conns;
	unsigned pair = 0;

	if (!ycheck_is_map(yc, root))
		return;
	conns = ycheck_get(yc, root, "connections", &pair);
	conns = named(yc, root, pair, conns);
	for (unsigned i = 0; i < ycheck_items(yc, conns); i++) {
		int conn = ycheck_item(yc, conns, i), children;
		char base[32];

		if (!ycheck_is_map(yc, conn))
			continue;
		snprintf(base, sizeof(base), "connections[%u]", i);
		ike_rekey_time(yc, base, conn);
		children = ycheck_get(yc, conn, "children", &pair);
		children = named(yc, conn, pair, children);
		lift_children(yc, base, conn, children);
	}
}
