/*
 * What the daemon shows: the SA list (ipsecfx list-sas, one SA at a time
 * through a listing that survives SAs going away), the connections as
 * configured (ipsecfx list-conns), the counters (ipsecfx stats: counters
 * kept as they change, nothing walks the SAs) and, with key_export on,
 * Wireshark's decryption tables (ipsecfx export-keys).
 *
 * Algorithms are named as strongSwan names them (its vici fields and
 * swanctl's output): PRF_HMAC_SHA2_256 for a PRF, CURVE_25519, ECP_256,
 * MODP_2048 for groups, so that both ends of a tunnel read the same.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/log.h>

#include "ike_certfetch.h"
#include "ike_sa.h"


/* ---- list-sas ---- */

/* How many SAs one ike_list_next() looks at before it lets the caller
 * serve others (a --conn that matches few of 100,000 SAs). */
#define LIST_STEP 256

struct ike_list {
	struct ike_list *next;            /* mgr->lists */
	struct ike_mgr *m;                /* NULL once the manager is gone */
	uint32_t next_id;                 /* the next SA to look at; 0: the end */
	struct ike_list_query q;
	uint64_t skip, left;              /* offset still to skip, limit left */
	unsigned total;
	void (*child_hook)(void *ctx, const struct child_sa *c, json_t *o);
	void *hook_ctx;
};

static json_t *secs_left(uint64_t at, uint64_t now)
{
	return json_integer((json_int_t)(at > now ? at - now : 0));
}

/* strongSwan's name of a Diffie-Hellman group (its diffie_hellman_group_names) */
static const char *sw_dh_name(uint16_t id)
{
	switch (id) {
	case IKEV2_DH_MODP768: return "MODP_768";
	case IKEV2_DH_MODP1024: return "MODP_1024";
	case IKEV2_DH_MODP1536: return "MODP_1536";
	case IKEV2_DH_MODP2048: return "MODP_2048";
	case IKEV2_DH_MODP3072: return "MODP_3072";
	case IKEV2_DH_MODP4096: return "MODP_4096";
	case IKEV2_DH_MODP6144: return "MODP_6144";
	case IKEV2_DH_MODP8192: return "MODP_8192";
	case IKEV2_DH_ECP256: return "ECP_256";
	case IKEV2_DH_ECP384: return "ECP_384";
	case IKEV2_DH_ECP521: return "ECP_521";
	case IKEV2_DH_MODP1024_160: return "MODP_1024_160";
	case IKEV2_DH_MODP2048_224: return "MODP_2048_224";
	case IKEV2_DH_MODP2048_256: return "MODP_2048_256";
	case IKEV2_DH_ECP192: return "ECP_192";
	case IKEV2_DH_ECP224: return "ECP_224";
	case IKEV2_DH_BRAINPOOL224: return "ECP_224_BP";
	case IKEV2_DH_BRAINPOOL256: return "ECP_256_BP";
	case IKEV2_DH_BRAINPOOL384: return "ECP_384_BP";
	case IKEV2_DH_BRAINPOOL512: return "ECP_512_BP";
	case IKEV2_DH_CURVE25519: return "CURVE_25519";
	case IKEV2_DH_CURVE448: return "CURVE_448";
	default: return ikev2_xf_name(IKEV2_XF_DH, id);
	}
}

/* A transform as strongSwan names it: "PRF_" before a PRF's IANA name
 * (HMAC_SHA2_256 is also an integrity algorithm's stem), its own group
 * names, ESN only when on ("" for no ESN: nothing to say). */
static const char *sw_xf_name(uint8_t type, uint16_t id, char *buf, size_t n)
{
	switch (type) {
	case IKEV2_XF_PRF:
		snprintf(buf, n, "PRF_%s", ikev2_xf_name(type, id));
		return buf;
	case IKEV2_XF_DH:
		return sw_dh_name(id);
	case IKEV2_XF_ESN:
		return id == IKEV2_ESN_YES ? "ESN" : "";
	default:
		return ikev2_xf_name(type, id);
	}
}

/* The negotiated algorithms, one field each (as vici has them: the text
 * of swanctl --list-sas is built from these), beside "proposal". */
static void choice_json(const struct ike_prop_choice *p, json_t *o)
{
	char b[48];

	if (p->encr) {
		json_object_set_new(o, "encr_alg",
				    json_string(ikev2_xf_name(IKEV2_XF_ENCR, p->encr)));
		if (p->encr_bits)
			json_object_set_new(o, "encr_keysize", json_integer(p->encr_bits));
	}
	if (p->integ)
		json_object_set_new(o, "integ_alg",
				    json_string(ikev2_xf_name(IKEV2_XF_INTEG, p->integ)));
	if (p->prf)
		json_object_set_new(o, "prf_alg",
				    json_string(sw_xf_name(IKEV2_XF_PRF, p->prf, b, sizeof(b))));
	if (p->dh)
		json_object_set_new(o, "dh_group", json_string(sw_dh_name(p->dh)));
	if (p->proto == IKEV2_PROTO_ESP)
		json_object_set_new(o, "esn", json_boolean(p->esn));
}

static json_t *child_json(struct ike_mgr *m, const struct child_sa *c, uint64_t now)
{
	struct ipx_sa_state in, out;
	json_t *o, *tl = json_array(), *tr = json_array();
	char ts[96], si[9], so[9], prop[160];
	struct ike_proposal p;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	ipx_sa_query(m->eng, c->eng_in, &in);
	ipx_sa_query(m->eng, c->eng_out, &out);
	for (unsigned i = 0; i < c->n_ts_l; i++)
		json_array_append_new(tl, json_string(ike_ts_str(&c->ts_l[i], ts, sizeof(ts))));
	for (unsigned i = 0; i < c->n_ts_r; i++)
		json_array_append_new(tr, json_string(ike_ts_str(&c->ts_r[i], ts, sizeof(ts))));
	ike_prop_choice_to_sa(&c->prop, NULL, 0, &p);
	snprintf(si, sizeof(si), "%08x", c->spi_in);
	snprintf(so, sizeof(so), "%08x", c->spi_out);
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:s}",
		      "name", c->name, "unique_id", (json_int_t)c->unique_id,
		      "spi_in", si, "spi_out", so,
		      "mode", c->mode == IPX_MODE_TRANSPORT ? "transport" : "tunnel",
		      "proposal", ike_prop_str(&p, prop, sizeof(prop)),
		      "local_ts", tl, "remote_ts", tr,
		      "bytes_in", (json_int_t)in.ctr.bytes,
		      "packets_in", (json_int_t)in.ctr.packets,
		      "bytes_out", (json_int_t)out.ctr.bytes,
		      "packets_out", (json_int_t)out.ctr.packets,
		      "installed_s", (json_int_t)(now - c->created),
		      "state", ike_child_show_state(c));
	if (o)
		choice_json(&c->prop, o);
	/* an SA that is going, or was replaced, has no rekey to come */
	if (o && c->rekey_at && !ike_child_going(c) && !c->replaced_at)
		json_object_set_new(o, "rekey_in_s", secs_left(c->rekey_at, now));
	if (o && c->expire_at)
		json_object_set_new(o, "expires_in_s", secs_left(c->expire_at, now));
	return o;
}

/* What an established (or replaced) IKE SA adds. */
static void sa_json_established(const struct ikesa *sa, json_t *o, uint64_t now)
{
	char prop[160];
	struct ike_proposal p;

	ike_prop_choice_to_sa(&sa->prop, NULL, 0, &p);
	json_object_set_new(o, "proposal", json_string(ike_prop_str(&p, prop, sizeof(prop))));
	choice_json(&sa->prop, o);
	json_object_set_new(o, "established_s", json_integer((json_int_t)(now - sa->established)));
	/* a replaced SA is not rekeyed again, only deleted */
	if (sa->rekey_at && sa->state == IKE_ESTABLISHED)
		json_object_set_new(o, "rekey_in_s", secs_left(sa->rekey_at, now));
	if (sa->reauth_at && sa->state == IKE_ESTABLISHED)
		json_object_set_new(o, "reauth_in_s", secs_left(sa->reauth_at, now));
	if (sa->expire_at)
		json_object_set_new(o, "expires_in_s", secs_left(sa->expire_at, now));
	if (sa->peer_auth[0])
		json_object_set_new(o, "peer_auth", json_string(sa->peer_auth));
	if (sa->peer_cert)
		json_object_set_new(o, "peer_cert", json_string(sa->peer_cert));
	json_object_set_new(o, "nat_local", json_boolean(sa->nat_here));
	json_object_set_new(o, "nat_remote", json_boolean(sa->nat_there));
	json_object_set_new(o, "last_heard_s",
			    json_integer((json_int_t)(now - sa->last_activity)));
	if (sa->rekeyed_by)
		json_object_set_new(o, "rekeyed_by",
				    json_integer((json_int_t)sa->rekeyed_by->unique_id));
}

static json_t *sa_json(const struct ike_list *l, const struct ikesa *sa)
{
	char lo[80], r[80], si[17], sr[17];
	uint64_t now = ike_now();
	json_t *o, *kids = json_array();

	ipx_hex(sa->spi_i, 8, si);
	ipx_hex(sa->spi_r, 8, sr);
	for (const struct child_sa *c = sa->children; c && kids; c = c->next) {
		json_t *k = child_json(l->m, c, now);

		if (k && l->child_hook)
			l->child_hook(l->hook_ctx, c, k);
		json_array_append_new(kids, k);
	}
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}",
		      "conn", sa->conn_name, "unique_id", (json_int_t)sa->unique_id,
		      "state", ike_state_name(sa->state),
		      "role", sa->initiator ? "initiator" : "responder",
		      "local", ike_addr_str(&sa->local, lo, sizeof(lo)),
		      "remote", ike_addr_str(&sa->remote, r, sizeof(r)),
		      "spi_i", si, "spi_r", sr,
		      "peer_id", sa->peer_id.text, "nat_t", sa->natt,
		      "children", kids);
	/* both identities, as swanctl shows them: ours from the connection
	 * (gone after a reload that removed it), the peer's once known */
	if (o && sa->conn && sa->conn->local_id.dynamic) {
		/* no local.id: our address on this IKE SA, without the port */
		char a[INET6_ADDRSTRLEN];
		const void *p = sa->local.ss_family == AF_INET6 ?
			(const void *)&((const struct sockaddr_in6 *)&sa->local)->sin6_addr :
			(const void *)&((const struct sockaddr_in *)&sa->local)->sin_addr;

		if (inet_ntop(sa->local.ss_family == AF_INET6 ? AF_INET6 : AF_INET, p, a, sizeof(a)))
			json_object_set_new(o, "local_id", json_string(a));
	} else if (o && sa->conn) {
		json_object_set_new(o, "local_id", json_string(sa->conn->local_id.text));
	}
	if (o && sa->peer_id.text[0])
		json_object_set_new(o, "remote_id", json_string(sa->peer_id.text));
	if (o && (sa->state == IKE_ESTABLISHED || sa->state == IKE_REKEYED))
		sa_json_established(sa, o, now);
	return o;
}

static bool get_count(const json_t *req, const char *key, uint64_t *v, bool *set,
		      char *err, size_t n)
{
	const json_t *j = json_object_get(req, key);

	if (!j)
		return true;
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		snprintf(err, n, "list-sas: \"%s\" must be an integer >= 0", key);
		return false;
	}
	*v = (uint64_t)json_integer_value(j);
	if (set)
		*set = true;
	return true;
}

int ike_list_query_parse(const json_t *req, struct ike_list_query *q, char *err, size_t n)
{
	const json_t *conn = json_object_get(req, "conn");

	memset(q, 0, sizeof(*q));
	if (conn && (!json_is_string(conn) || !json_string_length(conn) ||
		     json_string_length(conn) >= sizeof(q->conn))) {
		snprintf(err, n, "list-sas: \"conn\" must be a connection name");
		return -EINVAL;
	}
	if (conn)
		snprintf(q->conn, sizeof(q->conn), "%s", json_string_value(conn));
	if (!get_count(req, "offset", &q->offset, NULL, err, n) ||
	    !get_count(req, "limit", &q->limit, &q->has_limit, err, n))
		return -EINVAL;
	return 0;
}

struct ike_list *ike_list_open(struct ike_mgr *m, const struct ike_list_query *q)
{
	struct ike_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->m = m;
	l->q = *q;
	l->skip = q->offset;
	l->left = q->has_limit ? q->limit : UINT64_MAX;
	l->total = m->n_sas;
	l->next_id = m->all ? m->all->unique_id : 0;
	l->next = m->lists;
	m->lists = l;
	return l;
}

void ike_list_set_child_hook(struct ike_list *l,
			     void (*fn)(void *ctx, const struct child_sa *c, json_t *o),
			     void *ctx)
{
	l->child_hook = fn;
	l->hook_ctx = ctx;
}

unsigned ike_list_total(const struct ike_list *l)
{
	return l->total;
}

/* The next SA the query matches: 1 and *out; 0 at the end; -EAGAIN
 * after looking at LIST_STEP others. */
static int list_step(struct ike_list *l, struct ikesa **out)
{
	*out = NULL;
	for (unsigned i = 0; i < LIST_STEP; i++) {
		struct ikesa *sa;

		if (!l->m || !l->next_id || !l->left)
			return 0;
		/* ike_list_sa_gone keeps next_id on a live SA */
		sa = ike_sa_by_id(l->m, l->next_id);
		if (!sa) {
			l->next_id = 0;
			return 0;
		}
		l->next_id = sa->next ? sa->next->unique_id : 0;
		if (l->q.conn[0] && strcmp(sa->conn_name, l->q.conn) != 0)
			continue;
		if (l->skip) {
			l->skip--;
			continue;
		}
		if (l->left != UINT64_MAX)
			l->left--;
		*out = sa;
		return 1;
	}
	return -EAGAIN;
}

int ike_list_next(struct ike_list *l, json_t **out)
{
	struct ikesa *sa;
	int r = list_step(l, &sa);

	*out = NULL;
	if (r <= 0)
		return r;
	*out = sa_json(l, sa);
	return *out ? 1 : -ENOMEM;
}

int ike_list_next_sa(struct ike_list *l, const struct ikesa **out)
{
	struct ikesa *sa;
	int r = list_step(l, &sa);

	*out = sa;
	return r;
}

void ike_list_close(struct ike_list *l)
{
	if (!l)
		return;
	for (struct ike_list **p = l->m ? &l->m->lists : NULL; p && *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	free(l);
}

void ike_list_sa_gone(struct ikesa *sa)
{
	for (struct ike_list *l = sa->mgr->lists; l; l = l->next)
		if (l->next_id == sa->unique_id)
			l->next_id = sa->next ? sa->next->unique_id : 0;
}

void ike_list_mgr_gone(struct ike_mgr *m)
{
	for (struct ike_list *l = m->lists; l; l = l->next)
		l->m = NULL;
	m->lists = NULL;
}

json_t *ike_mgr_list(struct ike_mgr *m)
{
	struct ike_list_query q = { .conn = "" };
	struct ike_list *l = ike_list_open(m, &q);
	json_t *arr = json_array(), *sa;
	int r;

	while (l && arr && (r = ike_list_next(l, &sa)) != 0) {
		if (r == -ENOMEM)
			break;
		if (r > 0)
			json_array_append_new(arr, sa);
	}
	ike_list_close(l);
	return arr;
}

/* ---- list-conns ---- */

/* A configured proposal in strongSwan's log form,
 * "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519": every alternative,
 * transforms in type order; ESN only where it may be on. */
static json_t *prop_cfg_json(const struct ike_prop_cfg *p)
{
	char buf[512], nb[48];
	size_t o = (size_t)snprintf(buf, sizeof(buf), "%s:", ikev2_proto_name(p->proto));
	bool first = true, esn_yes = false;

	for (unsigned i = 0; i < p->n_xf; i++)
		esn_yes |= p->xf[i].type == IKEV2_XF_ESN && p->xf[i].id == IKEV2_ESN_YES;
	for (unsigned i = 0; i < p->n_xf && o < sizeof(buf); i++) {
		const struct ike_transform *t = &p->xf[i];
		const char *name = sw_xf_name(t->type, t->id, nb, sizeof(nb));

		/* no ESN next to ESN: "either" */
		if (t->type == IKEV2_XF_ESN && t->id != IKEV2_ESN_YES && esn_yes)
			name = "NO_ESN";
		if (!*name)
			continue;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", first ? "" : "/", name);
		if (t->key_len && o < sizeof(buf))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "_%u", t->key_len);
		first = false;
	}
	return json_string(buf);
}

static json_t *props_json(const struct ike_prop_cfg *p, unsigned n)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, prop_cfg_json(&p[i]));
	return a;
}

static json_t *addrs_json(const struct sockaddr_storage *ss, unsigned n, bool any)
{
	json_t *a = json_array();
	char b[INET6_ADDRSTRLEN];

	for (unsigned i = 0; a && i < n; i++) {
		const void *ip = ss[i].ss_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)&ss[i])->sin6_addr
			: (const void *)&((const struct sockaddr_in *)&ss[i])->sin_addr;

		if (inet_ntop(ss[i].ss_family, ip, b, sizeof(b)))
			json_array_append_new(a, json_string(b));
	}
	if (a && any)
		json_array_append_new(a, json_string("%any"));
	return a;
}

static json_t *cfg_ts_json(const struct ike_ts *ts, unsigned n)
{
	json_t *a = json_array();
	char b[128];

	for (unsigned i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(ts[i].type ? ike_ts_str(&ts[i], b, sizeof(b))
								: "dynamic"));
	return a;
}

static json_t *end_json(uint8_t auth, const struct cfg_id *id)
{
	return json_pack("{s:s, s:s}", "auth", auth == CFG_AUTH_PUBKEY ? "pubkey" : "psk",
			 "id", id->any ? "%any" : id->text);
}

static const char *start_action_name(uint8_t a)
{
	return a == CFG_START_START ? "start" : a == CFG_START_TRAP ? "trap" : "none";
}

/* Established IKE SAs and their installed Child SAs, per connection and
 * child: one walk over the SAs, ups[i] for cfg->conns[i]. */
struct conn_ups {
	unsigned ike;
	unsigned *child;
};

static void count_ups(const struct ike_mgr *m, struct conn_ups *ups)
{
	const struct cfg *cfg = m->cfg;

	for (const struct ikesa *sa = m->all; sa; sa = sa->next) {
		const struct cfg_conn *c = sa->conn;
		size_t i;

		/* a connection a reload removed is not listed */
		if (!c || c < cfg->conns || c >= cfg->conns + cfg->n_conns ||
		    sa->state != IKE_ESTABLISHED)
			continue;
		i = (size_t)(c - cfg->conns);
		ups[i].ike++;
		for (const struct child_sa *k = sa->children; k && ups[i].child; k = k->next) {
			if (k->state != CHILD_INSTALLED || k->replaced_at)
				continue;
			for (unsigned j = 0; j < c->n_children; j++)
				if (strcmp(c->children[j].name, k->name) == 0)
					ups[i].child[j]++;
		}
	}
}

static json_t *conn_child_json(const struct cfg_child *ch, unsigned up)
{
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I}", "name", ch->name,
			      "mode", ch->mode == IPX_MODE_TRANSPORT ? "transport" : "tunnel",
			      "local_ts", cfg_ts_json(ch->local_ts, ch->n_local_ts),
			      "remote_ts", cfg_ts_json(ch->remote_ts, ch->n_remote_ts),
			      "esp_proposals", props_json(ch->esp, ch->n_esp),
			      "child_sas_up", (json_int_t)up);

	if (o && ch->rekey_time)
		json_object_set_new(o, "rekey_time_s", json_integer(ch->rekey_time));
	if (o && ch->life_time)
		json_object_set_new(o, "life_time_s", json_integer(ch->life_time));
	return o;
}

static json_t *conn_json(const struct cfg_conn *c, const struct conn_ups *up)
{
	json_t *kids = json_array(), *o;

	for (unsigned i = 0; kids && i < c->n_children; i++)
		json_array_append_new(kids, conn_child_json(&c->children[i],
							    up->child ? up->child[i] : 0));
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:b, s:I, s:I, s:o}",
		      "name", c->name, "version", "IKEv2",
		      "local_addrs", addrs_json(c->local_addrs, c->n_local_addrs, false),
		      "remote_addrs", addrs_json(c->remote_addrs, c->n_remote_addrs,
						 c->remote_any),
		      "proposals", props_json(c->ike, c->n_ike),
		      "local", end_json(c->local_auth, &c->local_id),
		      "remote", end_json(c->remote_auth, &c->remote_id),
		      "start_action", start_action_name(c->start_action),
		      "encap", c->encap,
		      "ike_lifetime_s", (json_int_t)c->ike_lifetime,
		      "ike_sas_up", (json_int_t)up->ike,
		      "children", kids);
	if (o && c->reauth_interval)
		json_object_set_new(o, "reauth_interval_s", json_integer(c->reauth_interval));
	return o;
}

int ike_list_conns(struct ike_mgr *m, const json_t *req, json_t **res, char *err, size_t n)
{
	const struct cfg *cfg = m->cfg;
	const json_t *name = json_object_get(req, "conn");
	struct conn_ups *ups;
	json_t *arr;
	int ret = -ENOMEM;

	*res = NULL;
	if (name && !json_is_string(name)) {
		snprintf(err, n, "list-conns: \"conn\" must be a connection name");
		return -EINVAL;
	}
	if (name && !cfg_conn_find(cfg, json_string_value(name))) {
		snprintf(err, n, "no connection named '%s'", json_string_value(name));
		return -ENOENT;
	}
	ups = calloc(cfg->n_conns + 1, sizeof(*ups));
	arr = json_array();
	if (!ups || !arr)
		goto out;
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		ups[i].child = calloc(cfg->conns[i].n_children + 1, sizeof(unsigned));
		if (!ups[i].child)
			goto out;
	}
	count_ups(m, ups);
	for (unsigned i = 0; i < cfg->n_conns; i++) {
		const struct cfg_conn *c = &cfg->conns[i];

		if (name && strcmp(c->name, json_string_value(name)) != 0)
			continue;
		if (json_array_append_new(arr, conn_json(c, &ups[i])) < 0)
			goto out;
	}
	*res = arr;
	arr = NULL;
	ret = 0;
out:
	for (unsigned i = 0; ups && i < cfg->n_conns; i++)
		free(ups[i].child);
	free(ups);
	json_decref(arr);
	if (ret < 0)
		snprintf(err, n, "list-conns: out of memory");
	return ret;
}

/* "failed" by why (ike_sa_fail), every kind, 0 or not */
static json_t *fails_json(const struct ike_mgr_stats *s)
{
	json_t *o = json_object();

	for (int i = 0; o && i < IKE_FAIL__COUNT; i++)
		json_object_set_new(o, ike_fail_name(i), json_integer((json_int_t)s->failed_by[i]));
	return o;
}

json_t *ike_mgr_stats_json(struct ike_mgr *m)
{
	const struct ike_mgr_stats *s = &m->st;

	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			      "ike_sas", (json_int_t)m->n_sas,
			      "half_open", (json_int_t)m->n_half_open,
			      "rx", (json_int_t)s->rx, "tx", (json_int_t)s->tx,
			      "rx_malformed", (json_int_t)s->rx_bad,
			      "rx_unknown_spi", (json_int_t)s->rx_unknown_spi,
			      "rx_bad_message_id", (json_int_t)s->rx_bad_msgid,
			      "rx_integrity_failed", (json_int_t)s->rx_auth_failed,
			      "retransmits", (json_int_t)s->retransmits,
			      "responses_resent", (json_int_t)s->responses_resent,
			      "established", (json_int_t)s->established,
			      "failed", (json_int_t)s->failed);
	json_t *more = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
				 "cookies_sent", (json_int_t)s->cookies_sent,
				 "cookies_accepted", (json_int_t)s->cookies_ok,
				 "cookies_rejected", (json_int_t)s->cookies_bad,
				 "half_open_dropped", (json_int_t)s->dropped_half_open,
				 "child_rekeys", (json_int_t)s->child_rekeys,
				 "ike_rekeys", (json_int_t)s->ike_rekeys,
				 "reauths", (json_int_t)s->reauths,
				 "rekey_collisions", (json_int_t)s->collisions,
				 "dead_peers", (json_int_t)s->dead_peers,
				 "fragments_tx", (json_int_t)s->fragments_tx,
				 "fragments_rx", (json_int_t)s->fragments_rx,
				 "reassembled", (json_int_t)s->reassembled);
	json_t *limits = json_pack("{s:I, s:I, s:I, s:I, s:I}",
				   "rx_out_of_state", (json_int_t)s->rx_out_of_state,
				   "half_open_source_dropped",
				   (json_int_t)s->half_open_source_dropped,
				   "rekeyed_ike_deleted", (json_int_t)s->rekeyed_deleted,
				   "child_sa_limit", (json_int_t)s->child_sa_limit,
				   "ike_sa_limit", (json_int_t)s->ike_sa_limit);

	struct ike_certfetch_stats cs;
	json_t *certs;

	ike_certfetch_get_stats(m->certs, &cs);
	certs = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			  "cert_fetch_ok", (json_int_t)cs.ok,
			  "cert_fetch_failed", (json_int_t)cs.failed,
			  "cert_fetch_timed_out", (json_int_t)cs.timed_out,
			  "cert_fetch_hash_mismatch", (json_int_t)cs.hash_mismatch,
			  "cert_fetch_too_big", (json_int_t)cs.too_big,
			  "cert_cache_hits", (json_int_t)cs.cache_hits,
			  "cert_cache_evicted", (json_int_t)cs.cache_evicted,
			  "cert_cache_size", (json_int_t)cs.cached);
	if (o && more)
		json_object_update(o, more);
	if (o && limits)
		json_object_update(o, limits);
	if (o && certs)
		json_object_update(o, certs);
	if (o) {  /* SAs looked at by the clock (the timing wheel, ike_timer.c) */
		json_object_set_new(o, "timer_runs", json_integer((json_int_t)s->timer_runs));
		/* the flood guard (ike_guard.h) */
		json_object_set_new(o, "flood_guard", json_boolean(ike_guard_on(&m->guard, ike_now())));
		json_object_set_new(o, "flood_guard_activations",
				    json_integer((json_int_t)m->guard.activations));
		json_object_set_new(o, "init_deferred", json_integer((json_int_t)s->init_deferred));
		json_object_set_new(o, "init_repeated", json_integer((json_int_t)s->init_repeated));
		json_object_set_new(o, "failed_by_reason", fails_json(s));
	}
	json_decref(more);
	json_decref(limits);
	json_decref(certs);
	return o;
}

/* ---- key export for Wireshark (opt-in: key_export) ---- */


/* Wireshark's names (packet-ipsec.c, packet-isakmp.c), 0 when it has none */
static const char *ws_esp_encr(uint8_t cipher)
{
	switch (cipher) {
	case IPX_CIPHER_AES128GCM16:
	case IPX_CIPHER_AES192GCM16:
	case IPX_CIPHER_AES256GCM16:
		return "AES-GCM with 16 octet ICV [RFC4106]";
	case IPX_CIPHER_CHACHA20POLY1305:
		return "ChaCha20 with Poly1305 [RFC7634]";
	case IPX_CIPHER_AES128_SHA256:
	case IPX_CIPHER_AES256_SHA256:
		return "AES-CBC [RFC3602]";
	default:
		return NULL;
	}
}

static const char *ws_ike_encr(uint16_t encr, uint16_t bits)
{
	if (encr == IKEV2_ENCR_AES_GCM_16)
		return bits == 128 ? "AES-GCM-128 with 16 octet ICV [RFC5282]" :
		       bits == 192 ? "AES-GCM-192 with 16 octet ICV [RFC5282]" :
				     "AES-GCM-256 with 16 octet ICV [RFC5282]";
	if (encr == IKEV2_ENCR_AES_CBC)
		return bits == 128 ? "AES-CBC-128 [RFC3602]" :
		       bits == 192 ? "AES-CBC-192 [RFC3602]" : "AES-CBC-256 [RFC3602]";
	return NULL;
}

static const char *ws_ike_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_NONE:
		return "NONE [RFC4306]";
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		return "HMAC_SHA2_256_128 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		return "HMAC_SHA2_384_192 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_512_256:
		return "HMAC_SHA2_512_256 [RFC4868]";
	default:
		return NULL;
	}
}

static void esp_line(json_t *arr, const struct sockaddr_storage *src,
		     const struct sockaddr_storage *dst, uint32_t spi,
		     uint8_t cipher, const uint8_t *key, const uint8_t *ikey)
{
	const struct ipx_cipher_info *ci = ipx_cipher_info(cipher);
	const char *encr = ws_esp_encr(cipher);
	char s[64], d[64], k[2 * IKE_ENCR_KEY_MAX + 1], ik[2 * IKE_INTEG_KEY_MAX + 1];
	char line[512];

	if (!ci || !encr)
		return;
	ike_addr_str(src, s, sizeof(s));
	ike_addr_str(dst, d, sizeof(d));
	*strchr(s, '[') = 0;
	*strchr(d, '[') = 0;
	ipx_hex(key, ci->key_len, k);
	ipx_hex(ikey, ci->integ_len, ik);
	snprintf(line, sizeof(line), "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"%s%s\"",
		 src->ss_family == AF_INET ? "IPv4" : "IPv6", s, d, spi, encr, k,
		 ci->integ_len ? "HMAC-SHA-256-128 [RFC4868]" : "NULL",
		 ci->integ_len ? "0x" : "", ci->integ_len ? ik : "");
	json_array_append_new(arr, json_string(line));
}

json_t *ike_mgr_export_keys(struct ike_mgr *m)
{
	json_t *ike = json_array(), *esp = json_array();

	if (!m->cfg->key_export) {
		json_decref(ike);
		json_decref(esp);
		return NULL;
	}
	for (struct ikesa *sa = m->all; sa; sa = sa->next) {
		const struct ike_sa_keys *k = &sa->keys;
		const char *encr = ws_ike_encr(k->encr, k->encr_bits);
		const char *integ = ws_ike_integ(k->integ);
		char si[17], sr[17], ei[2 * IKE_ENCR_KEY_MAX + 1], er[2 * IKE_ENCR_KEY_MAX + 1];
		char ai[2 * IKE_INTEG_KEY_MAX + 1], ar[2 * IKE_INTEG_KEY_MAX + 1], line[1024];

		if (!sa->keys_ok)
			continue;
		if (encr && integ) {
			ipx_hex(sa->spi_i, 8, si);
			ipx_hex(sa->spi_r, 8, sr);
			ipx_hex(k->sk_ei, k->encr_len, ei);
			ipx_hex(k->sk_er, k->encr_len, er);
			ipx_hex(k->sk_ai, k->integ_len, ai);
			ipx_hex(k->sk_ar, k->integ_len, ar);
			/* UAT: hex byte fields bare, strings quoted */
			snprintf(line, sizeof(line), "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"",
				 si, sr, ei, er, encr, ai, ar, integ);
			json_array_append_new(ike, json_string(line));
			OPENSSL_cleanse(line, sizeof(line));
		}
		for (struct child_sa *c = sa->children; c; c = c->next) {
			uint8_t cipher = ike_child_engine_cipher(&c->prop);

			if (!c->keys)
				continue;
			/* initiator->responder keys first (2.17) */
			esp_line(esp, &sa->local, &sa->remote, c->spi_out, cipher,
				 sa->initiator ? c->keys->ei : c->keys->er,
				 sa->initiator ? c->keys->ai : c->keys->ar);
			esp_line(esp, &sa->remote, &sa->local, c->spi_in, cipher,
				 sa->initiator ? c->keys->er : c->keys->ei,
				 sa->initiator ? c->keys->ar : c->keys->ai);
		}
		OPENSSL_cleanse(ei, sizeof(ei));
		OPENSSL_cleanse(er, sizeof(er));
		OPENSSL_cleanse(ai, sizeof(ai));
		OPENSSL_cleanse(ar, sizeof(ar));
	}
	return json_pack("{s:o, s:o}", "ikev2_decryption_table", ike, "esp_sa", esp);
}