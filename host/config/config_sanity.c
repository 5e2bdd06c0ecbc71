/* What loads but is probably not what was meant (config_sanity.h). */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_sanity.h"

struct ts_set {
	const struct ike_ts *v;
	unsigned n;
};

static void ts_text(const struct ike_ts *t, char *buf, size_t len)
{
	if (!t->type)
		snprintf(buf, len, "dynamic");
	else
		ike_ts_str(t, buf, len);
}

/* A selector of a and one of b that overlap (both "dynamic": the same
 * address, so they do; one only: unknown until an IKE SA, so not here).
 * Their text in wa and wb. */
static bool overlap(struct ts_set a, struct ts_set b, char *wa, char *wb, size_t len)
{
	for (unsigned i = 0; i < a.n; i++)
		for (unsigned j = 0; j < b.n; j++) {
			struct ike_ts x;
			bool hit = !a.v[i].type && !b.v[j].type;

			if (a.v[i].type && b.v[j].type)
				hit = ike_ts_intersect(&a.v[i], &b.v[j], &x);
			if (hit) {
				ts_text(&a.v[i], wa, len);
				ts_text(&b.v[j], wb, len);
				return true;
			}
		}
	return false;
}

static bool same_ts(struct ts_set a, struct ts_set b)
{
	if (a.n != b.n || !a.n)
		return false;
	for (unsigned i = 0; i < a.n; i++)
		if (!a.v[i].type || memcmp(&a.v[i], &b.v[i], sizeof(a.v[i])) != 0)
			return false;
	return true;
}

static struct ts_set local_of(const struct cfg_child *ch)
{
	/* none given: "dynamic" (conv_ts leaves the list empty) */
	static const struct ike_ts dyn;

	return ch->n_local_ts ? (struct ts_set){ ch->local_ts, ch->n_local_ts }
			      : (struct ts_set){ &dyn, 1 };
}

static struct ts_set remote_of(const struct cfg_child *ch)
{
	static const struct ike_ts dyn;

	return ch->n_remote_ts ? (struct ts_set){ ch->remote_ts, ch->n_remote_ts }
			       : (struct ts_set){ &dyn, 1 };
}

/* Children k of a and j of b carry the same traffic; what overlaps. */
static bool children_overlap(const struct cfg_child *a, const struct cfg_child *b, char *why,
			     size_t len)
{
	char l1[64], l2[64], r1[64], r2[64];

	if (!overlap(local_of(a), local_of(b), l1, l2, sizeof(l1)) ||
	    !overlap(remote_of(a), remote_of(b), r1, r2, sizeof(r1)))
		return false;
	snprintf(why, len, "local %s and %s, remote %s and %s", l1, l2, r1, r2);
	return true;
}

static void children_check(const struct yamlpos *yp, unsigned i, const struct cfg_conn *c)
{
	char path[96], why[300], t[64];

	for (unsigned k = 0; k < c->n_children; k++) {
		const struct cfg_child *ch = &c->children[k];

		if (same_ts(local_of(ch), remote_of(ch))) {
			ts_text(&ch->local_ts[0], t, sizeof(t));
			snprintf(path, sizeof(path), "connections[%u].children[%u].remote_ts", i, k);
			yamlpos_warn(yp, path, "the same as local_ts (%s%s): a tunnel joins two different networks; is one side a typo?",
				     t, ch->n_local_ts > 1 ? ", ..." : "");
		}
		for (unsigned j = 0; j < k; j++)
			if (children_overlap(&c->children[j], ch, why, sizeof(why))) {
				snprintf(path, sizeof(path), "connections[%u].children[%u]", i, k);
				yamlpos_warn(yp, path, "overlaps child '%s' (%s): traffic in the overlap can use only one of them",
					     c->children[j].name, why);
				break;
			}
	}
}

/*
 * Two connections for one peer: an address in common (or any address for
 * both) and the same identity.  Each connection goes into a list under
 * every remote address it has (or "any"), sorted by address and identity,
 * so that only neighbours are compared: many connections cost n log n.
 */
struct peer_key {
	uint8_t family;          /* 0: any address */
	uint8_t addr[16];
	const struct cfg_id *id;
	unsigned conn;
};

static int id_cmp(const struct cfg_id *a, const struct cfg_id *b)
{
	if (a->any != b->any)
		return a->any ? -1 : 1;
	if (a->any)
		return 0;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->data, b->data, a->len);
}

static int key_cmp(const void *x, const void *y)
{
	const struct peer_key *a = x, *b = y;
	int d = a->family - b->family;

	if (!d)
		d = memcmp(a->addr, b->addr, sizeof(a->addr));
	if (!d)
		d = id_cmp(a->id, b->id);
	if (!d)
		d = (a->conn > b->conn) - (a->conn < b->conn);
	return d;
}

static void put_key(struct peer_key *k, const struct sockaddr_storage *ss,
		    const struct cfg_conn *c, unsigned i)
{
	memset(k, 0, sizeof(*k));
	k->id = &c->remote_id;
	k->conn = i;
	if (!ss)
		return;
	k->family = (uint8_t)ss->ss_family;
	if (ss->ss_family == AF_INET)
		memcpy(k->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else
		memcpy(k->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

/* Connection j (after i in the file) serves the peer of i for the same
 * traffic: said once for j. */
static bool same_traffic(const struct yamlpos *yp, const struct cfg *c, unsigned i, unsigned j)
{
	const struct cfg_conn *a = &c->conns[i], *b = &c->conns[j];
	char path[48], why[300];

	for (unsigned k = 0; k < a->n_children; k++)
		for (unsigned l = 0; l < b->n_children; l++)
			if (children_overlap(&a->children[k], &b->children[l], why, sizeof(why))) {
				snprintf(path, sizeof(path), "connections[%u]", j);
				yamlpos_warn(yp, path, "the same peer (identity %s) and traffic as connection '%s' (its child '%s', ours '%s': %s): the first connection takes that peer",
					     b->remote_id.any ? "%any" : b->remote_id.text, a->name,
					     a->children[k].name, b->children[l].name, why);
				return true;
			}
	return false;
}

static void peers_check(const struct yamlpos *yp, const struct cfg *c)
{
	struct peer_key *v;
	bool *said;
	size_t n = 0, total = 0;

	for (unsigned i = 0; i < c->n_conns; i++)
		total += c->conns[i].n_remote_addrs ? c->conns[i].n_remote_addrs : 1;
	v = calloc(total ? total : 1, sizeof(*v));
	said = calloc(c->n_conns + 1, sizeof(*said));
	if (!v || !said)
		goto out;
	for (unsigned i = 0; i < c->n_conns; i++) {
		const struct cfg_conn *cn = &c->conns[i];

		if (!cn->n_remote_addrs && cn->remote_any)
			put_key(&v[n++], NULL, cn, i);
		for (unsigned k = 0; k < cn->n_remote_addrs; k++)
			put_key(&v[n++], &cn->remote_addrs[k], cn, i);
	}
	qsort(v, n, sizeof(*v), key_cmp);
	/* a run of one address and identity: every later one against
	 * every earlier one (runs are short: one peer, a few connections) */
	for (size_t s = 0, e; s < n; s = e) {
		for (e = s + 1; e < n && v[e].family == v[s].family &&
				!memcmp(v[e].addr, v[s].addr, sizeof(v[s].addr)) &&
				!id_cmp(v[e].id, v[s].id); e++)
			;
		for (size_t b = s + 1; b < e; b++)
			for (size_t a = s; a < b && !said[v[b].conn]; a++)
				if (v[a].conn != v[b].conn)
					said[v[b].conn] = same_traffic(yp, c, v[a].conn, v[b].conn);
	}
out:
	free(v);
	free(said);
}

void cfg_sanity(const struct yamlpos *yp, const struct cfg *c)
{
	for (unsigned i = 0; i < c->n_conns; i++)
		children_check(yp, i, &c->conns[i]);
	peers_check(yp, c);
}
