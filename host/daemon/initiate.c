/* `ipsecfx initiate`, streamed (initiate.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "dlog.h"
#include "initiate.h"

enum init_state { INIT_PENDING, INIT_UP, INIT_FAILED, INIT_STARTED };

struct init {
	struct init *next;
	struct inits *in;
	char conn[64];
	char child[64];            /* the Child SA it waits for; "" the IKE SA */
	struct ctl_client *client;
	json_t *queue;             /* entries not yet taken */
	enum init_state state;
	bool done_sent;
	int wait_s;
	struct event *deadline;
	char error[768];
	char last_warn[768];       /* the latest warning of its SAs: the why */
};

struct inits {
	struct event_base *base;
	struct ike_mgr *ike;
	struct init *list;
};

static void push(struct init *i, json_t *e)
{
	if (e)
		json_array_append_new(i->queue, e);
	ctl_stream_wake(i->client);
}

static void finish(struct init *i, enum init_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finish(struct init *i, enum init_state st, const char *fmt, ...)
{
	va_list ap;

	if (i->state != INIT_PENDING)
		return;
	i->state = st;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(i->error, sizeof(i->error), fmt, ap);
		va_end(ap);
	}
	if (i->deadline)
		event_del(i->deadline);
	ctl_stream_wake(i->client);
}

/* The SA log lines ("site[3] 192.0.2.2: ...") of the connection waited for. */
static void tap(void *arg, int level, const char *msg)
{
	struct inits *in = arg;

	for (struct init *i = in->list; i; i = i->next) {
		size_t k = strlen(i->conn);

		if (i->state != INIT_PENDING || strncmp(msg, i->conn, k) != 0 || msg[k] != '[')
			continue;
		if (level <= IPX_LOG_WARN)
			snprintf(i->last_warn, sizeof(i->last_warn), "%s", msg);
		push(i, json_pack("{s:s, s:s}", "level", ipx_log_level_name(level), "log", msg));
	}
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct init *i = arg;

	(void)fd;
	(void)what;
	finish(i, INIT_FAILED, "%s%s%s not up after %d s%s%s (the daemon goes on trying: "
	       "ipsecfx list-sas %s)", i->conn, i->child[0] ? " child " : "", i->child,
	       i->wait_s, i->last_warn[0] ? "; last warning: " : "", i->last_warn, i->conn);
}

static int next(void *state, json_t **entry)
{
	struct init *i = state;

	if (json_array_size(i->queue)) {
		*entry = json_incref(json_array_get(i->queue, 0));
		json_array_remove(i->queue, 0);
		return 1;
	}
	if (i->state == INIT_PENDING)
		return -EINPROGRESS;
	if (i->done_sent)
		return 0;
	i->done_sent = true;
	if (i->state == INIT_STARTED)
		*entry = json_pack("{s:s}", "initiating", i->conn);
	else if (i->state == INIT_UP)
		*entry = json_pack("{s:b, s:b, s:s, s:s}", "done", 1, "established", 1,
				   "conn", i->conn, "child", i->child);
	else
		*entry = json_pack("{s:b, s:b, s:s}", "done", 1, "established", 0,
				   "error", i->error);
	return *entry ? 1 : -ENOMEM;
}

static void close_init(void *state)
{
	struct init *i = state;
	struct init **pp = &i->in->list;

	while (*pp && *pp != i)
		pp = &(*pp)->next;
	if (*pp)
		*pp = i->next;
	if (i->deadline)
		event_free(i->deadline);
	json_decref(i->queue);
	free(i);
}

struct inits *inits_new(struct event_base *base, struct ike_mgr *ike)
{
	struct inits *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->base = base;
	in->ike = ike;
	if (dlog_tap_add(tap, in) < 0) {
		free(in);
		return NULL;
	}
	return in;
}

void inits_free(struct inits *in)
{
	if (!in)
		return;
	dlog_tap_del(tap, in);
	/* streams still open belong to the control socket: closed before */
	while (in->list)
		close_init(in->list);
	free(in);
}

/* "lan, lan2" */
static void child_names(const struct cfg_conn *c, char *buf, size_t n)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned k = 0; k < c->n_children && off + 1 < n; k++)
		off += (size_t)snprintf(buf + off, n - off, "%s%s", k ? ", " : "",
					c->children[k].name);
}

int inits_start(struct inits *in, const struct cfg *cfg, json_t *req, struct ctl_stream *st,
		char *err, size_t n)
{
	const char *conn = json_string_value(json_object_get(req, "conn"));
	const char *child = json_string_value(json_object_get(req, "child"));
	json_t *w = json_object_get(req, "wait");
	const struct cfg_conn *c;
	struct ikesa *up;
	struct init *i;
	char names[256];
	int ret;

	if (!conn) {
		snprintf(err, n, "initiate needs \"conn\"");
		return -EINVAL;
	}
	c = cfg_conn_find(cfg, conn);
	if (!c) {
		snprintf(err, n, "no connection named '%s'", conn);
		return -ENOENT;
	}
	if (child && !cfg_child_find(c, child)) {
		child_names(c, names, sizeof(names));
		snprintf(err, n, "connection '%s' has no child named '%s' (its children: %s)", conn,
			 child, names[0] ? names : "none");
		return -ENOENT;
	}
	if (!c->n_remote_addrs) {
		snprintf(err, n, "%s has no remote_addrs: it waits for its peer to initiate", conn);
		return -EINVAL;
	}
	if (w && (!json_is_integer(w) || json_integer_value(w) < 1 ||
		  json_integer_value(w) > 86400)) {
		snprintf(err, n, "\"wait\" is a number of seconds, 1-86400");
		return -EINVAL;
	}
	i = calloc(1, sizeof(*i));
	if (!i || !(i->queue = json_array())) {
		free(i);
		return -ENOMEM;
	}
	i->in = in;
	i->client = st->client;
	snprintf(i->conn, sizeof(i->conn), "%s", conn);
	/* what ike_mgr_initiate sets up: the child asked for, else the first
	 * one not up on an established IKE SA, else the first one */
	up = ike_mgr_find_conn_established(in->ike, conn, NULL);
	if (child) {
		snprintf(i->child, sizeof(i->child), "%s", child);
	} else {
		for (unsigned k = 0; k < c->n_children && !i->child[0]; k++)
			if (!up || !ike_sa_has_child(up, c->children[k].name))
				snprintf(i->child, sizeof(i->child), "%s", c->children[k].name);
	}
	st->next = next;
	st->close = close_init;
	st->state = i;
	st->item = "event";
	st->header = json_pack("{s:s, s:s}", "conn", conn, "child", i->child);
	if (up && (!i->child[0] || ike_sa_has_child(up, i->child))) {
		/* nothing to do: all of it is up */
		if (!i->child[0] && c->n_children)
			snprintf(i->child, sizeof(i->child), "%s", c->children[0].name);
		i->state = INIT_UP;
		i->next = in->list;
		in->list = i;
		return 0;
	}
	i->next = in->list;
	in->list = i;         /* its lines from here on */
	ret = ike_mgr_initiate(in->ike, conn, child);
	if (ret < 0) {
		snprintf(err, n, "cannot initiate %s: %s%s%s", conn, strerror(-ret),
			 i->last_warn[0] ? ": " : "", i->last_warn);
		st->state = NULL;
		json_decref(st->header);
		st->header = NULL;
		close_init(i);
		return ret;
	}
	if (!w) {
		i->state = INIT_STARTED;
		return 0;
	}
	i->wait_s = (int)json_integer_value(w);
	i->deadline = evtimer_new(in->base, on_deadline, i);
	if (i->deadline)
		event_add(i->deadline, &(struct timeval){ i->wait_s, 0 });
	return 0;
}

/* The IKE manager's reason for a failure, else the latest warning. */
static const char *why(const struct ike_sa_info *si, const struct init *i, const char *dflt)
{
	if (si->refusal && si->refusal[0])
		return si->refusal;
	return i->last_warn[0] ? i->last_warn : dflt;
}

void inits_event(struct inits *in, struct ikesa *sa, struct child_sa *c, const char *what)
{
	struct ike_sa_info si;
	struct ike_child_info ci = { 0 };

	if (!in || !in->list)
		return;
	ike_sa_get(sa, &si);
	if (c)
		ike_child_get(c, &ci);
	for (struct init *i = in->list; i; i = i->next) {
		if (i->state != INIT_PENDING || strcmp(i->conn, si.conn) != 0)
			continue;
		if (strcmp(what, "up") == 0 && ci.name && strcmp(ci.name, i->child) == 0)
			finish(i, INIT_UP, NULL);
		else if (strcmp(what, "ike-up") == 0 && !i->child[0])
			finish(i, INIT_UP, NULL);
		else if (strcmp(what, "child-failed") == 0 &&
			 (!ci.name || !ci.name[0] || strcmp(ci.name, i->child) == 0))
			finish(i, INIT_FAILED, "%s child %s failed: %s", i->conn, i->child,
			       why(&si, i, "refused"));
		else if (strcmp(what, "ike-failed") == 0 || strcmp(what, "dead") == 0)
			finish(i, INIT_FAILED, "%s failed: %s", i->conn,
			       why(&si, i, "the IKE SA could not be set up"));
		else if (strcmp(what, "ike-down") == 0)
			finish(i, INIT_FAILED, "%s: the IKE SA was deleted before %s came up%s%s",
			       i->conn, i->child[0] ? i->child : "it",
			       i->last_warn[0] ? ": " : "", i->last_warn);
	}
}
