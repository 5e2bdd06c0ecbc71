/*
 * list-sas at scale: the IKE listing (ike_list.c) with --conn, --offset and
 * --limit against a plain reference; and the control socket (ctl.c)
 * streaming it to real clients on a real Unix socket, in this process's
 * event loop: thousands of SAs, a reader that stops reading while another
 * client asks for stats, SAs deleted in the middle of a listing, a client
 * that leaves, the manager going first (the daemon's shutdown order), the
 * old one-line answer, and the ipsecfx command itself (against an older
 * daemon too).
 *
 * The SAs are made cheaply: one established pair (ikepair) for a complete
 * entry with a Child SA, then bare IKE SAs (ike_sa_new, state NEW) of three
 * connections.  A's SA ids ascend in the order made; the listing is newest
 * first.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl/ctl.h"
#include "ikepair.h"

#define N_BARE 3000
static const char *const conns[] = { "x", "y", "z" };

struct fixture {
	struct ikepair *pr;
	struct ike_mgr *m;
	struct ctl *ctl;
	char dir[64], sock[96];
	uint32_t ids[N_BARE + 1];         /* A's SAs, oldest first */
	const char *conn[N_BARE + 1];
	bool gone[N_BARE + 1];
	unsigned n;
	unsigned produced;                /* entries the stream handed out */
	unsigned stats_calls;
};

static struct fixture F;
extern char **environ;

/* ---- the daemon's glue, as in ipsecfxd.c ---- */

static int list_next(void *l, json_t **sa)
{
	int r = ike_list_next(l, sa);

	if (r > 0)
		F.produced++;
	return r;
}

static void list_close(void *l)
{
	ike_list_close(l);
}

static void child_hook(void *ctx, const struct child_sa *c, json_t *o)
{
	(void)ctx;
	json_object_set_new(o, "hooked", json_string(c->name));
}

static int cmd_list(void *arg, json_t *req, struct ctl_stream *st, char *err, size_t n)
{
	struct ike_list_query q;
	struct ike_list *l;
	int ret = ike_list_query_parse(req, &q, err, n);

	(void)arg;
	if (ret < 0)
		return ret;
	l = ike_list_open(F.m, &q);
	assert_non_null(l);
	ike_list_set_child_hook(l, child_hook, NULL);
	st->next = list_next;
	st->close = list_close;
	st->state = l;
	st->item = "sa";
	st->header = json_pack("{s:I}", "ike_sas", (json_int_t)ike_list_total(l));
	return 0;
}

static int cmd_stats(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	(void)arg;
	(void)req;
	(void)err;
	(void)n;
	F.stats_calls++;
	*res = ike_mgr_stats_json(F.m);
	return 0;
}

/* ---- set-up ---- */

static void fixture_up(void)
{
	struct ctl_owner own = { getuid(), getgid(), (gid_t)-1 };

	memset(&F, 0, sizeof(F));
	F.pr = ikepair_new(&ikepair_defaults);
	F.m = F.pr->a.mgr;
	assert_int_equal(ike_mgr_initiate(F.m, "to-b", NULL), 0);
	ikepair_pump(&F.pr->net, 50);
	assert_non_null(ikepair_established(&F.pr->a));
	/* the clock stays out of it */
	event_del(F.pr->a.mgr->tick_ev);
	event_del(F.pr->b.mgr->tick_ev);
	F.ids[F.n] = F.m->all->unique_id;
	F.conn[F.n++] = "to-b";
	for (unsigned i = 0; i < N_BARE; i++) {
		struct ikesa *sa = ike_sa_new(F.m, true);

		assert_non_null(sa);
		snprintf(sa->conn_name, sizeof(sa->conn_name), "%s", conns[i % 3]);
		F.ids[F.n] = sa->unique_id;
		F.conn[F.n++] = conns[i % 3];
	}
	snprintf(F.dir, sizeof(F.dir), "/tmp/ipsecfx-ctl-XXXXXX");
	assert_non_null(mkdtemp(F.dir));
	snprintf(F.sock, sizeof(F.sock), "%s/ctl.sock", F.dir);
	assert_int_equal(ctl_open(F.pr->base, F.sock, &own, &F.ctl), 0);
	assert_int_equal(ctl_register_stream(F.ctl, "list-sas", cmd_list, NULL), 0);
	assert_int_equal(ctl_register(F.ctl, "stats", cmd_stats, NULL), 0);
}

/* The daemon's order: the manager freed, then the control socket (a
 * listing still open outlives its manager), then the event base. */
static void manager_gone(void)
{
	ike_mgr_free(F.m);
	F.pr->a.mgr = F.m = NULL;
}

static void fixture_down(void)
{
	if (F.m)
		manager_gone();
	ctl_close(F.ctl);
	ikepair_free(F.pr);
	rmdir(F.dir);
}

/* The reference: A's SAs newest first, filtered, the plain way. */
static unsigned expect(const char *conn, uint64_t offset, int64_t limit, uint32_t *out)
{
	unsigned n = 0;

	for (unsigned i = F.n; i-- > 0;) {
		if (F.gone[i] || (conn && strcmp(F.conn[i], conn) != 0))
			continue;
		if (offset) {
			offset--;
			continue;
		}
		if (limit >= 0 && n == (uint64_t)limit)
			break;
		out[n++] = F.ids[i];
	}
	return n;
}

static void destroy(unsigned idx)
{
	struct ikesa *sa = ike_sa_by_id(F.m, F.ids[idx]);

	assert_non_null(sa);
	ike_sa_destroy(sa);
	F.gone[idx] = true;
}

/* ---- an in-process client: reads only when the test says so ---- */

struct tclient {
	int fd;
	char *buf;
	size_t len, cap;
};

static void pump(unsigned ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		event_base_loop(F.pr->base, EVLOOP_NONBLOCK);
		usleep(200);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static void tc_open(struct tclient *c, const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", F.sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(c->fd >= 0);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(c->fd, req, strlen(req)), (ssize_t)strlen(req));
	c->cap = 1 << 16;
	c->buf = malloc(c->cap);
	assert_non_null(c->buf);
}

static void tc_close(struct tclient *c)
{
	close(c->fd);
	free(c->buf);
}

/* The next line, running the event loop meanwhile; NULL after 10 s or
 * when the daemon closed the connection. */
static json_t *tc_line(struct tclient *c)
{
	for (int i = 0; i < 50000; i++) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			json_error_t jerr;
			size_t line = (size_t)(nl - c->buf);
			json_t *j = json_loadb(c->buf, line, 0, &jerr);

			if (!j)
				fail_msg("not JSON: %.*s", (int)(line > 200 ? 200 : line), c->buf);
			c->len -= line + 1;
			memmove(c->buf, nl + 1, c->len);
			return j;
		}
		if (c->len == c->cap) {
			c->cap *= 2;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		event_base_loop(F.pr->base, EVLOOP_NONBLOCK);
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == 0)
			return NULL;
		if (n > 0)
			c->len += (size_t)n;
		else
			usleep(200);
	}
	return NULL;
}

/* Read a streamed listing to its end line: the SAs' ids into ids, their
 * number returned; the end line's count checked against it. */
static unsigned tc_rest(struct tclient *c, uint32_t *ids, unsigned max)
{
	unsigned n = 0;
	json_t *j;

	while ((j = tc_line(c)) != NULL) {
		json_t *sa = json_object_get(j, "sa");

		if (!sa) {
			assert_true(json_is_true(json_object_get(j, "end")));
			assert_null(json_object_get(j, "error"));
			assert_int_equal(json_integer_value(json_object_get(j, "count")), n);
			json_decref(j);
			return n;
		}
		assert_true(n < max);
		ids[n++] = (uint32_t)json_integer_value(json_object_get(sa, "unique_id"));
		json_decref(j);
	}
	fail_msg("the listing ended without its end line after %u SAs", n);
	return n;
}

/* ---- the listing itself ---- */

/* Table: each query against the reference, through ike_list_next. */
static void test_query_table(void **state)
{
	static const struct {
		const char *conn;
		uint64_t offset;
		int64_t limit;        /* -1: none */
	} t[] = {
		{ NULL, 0, -1 },  { NULL, 0, 0 },     { NULL, 0, 1 },     { NULL, 5, 10 },
		{ "x", 0, -1 },   { "y", 3, 7 },      { "z", 999, 5 },    { "z", 1000, 5 },
		{ "to-b", 0, -1 }, { "to-b", 1, -1 }, { "nope", 0, -1 },  { NULL, 3001, -1 },
		{ NULL, 2990, 100 },
	};
	static uint32_t want[N_BARE + 1], got[N_BARE + 1];

	(void)state;
	fixture_up();
	for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct ike_list_query q = { .offset = t[k].offset, .limit = (uint64_t)t[k].limit,
					    .has_limit = t[k].limit >= 0 };
		unsigned nw = expect(t[k].conn, t[k].offset, t[k].limit, want), ng = 0, waits = 0;
		struct ike_list *l;
		json_t *sa;
		int r;

		snprintf(q.conn, sizeof(q.conn), "%s", t[k].conn ? t[k].conn : "");
		l = ike_list_open(F.m, &q);
		assert_int_equal(ike_list_total(l), F.n);
		while ((r = ike_list_next(l, &sa)) != 0) {
			if (r == -EAGAIN) {
				waits++;
				continue;
			}
			assert_int_equal(r, 1);
			assert_true(ng < nw);
			got[ng++] = (uint32_t)json_integer_value(json_object_get(sa, "unique_id"));
			if (t[k].conn)
				assert_string_equal(json_string_value(json_object_get(sa, "conn")),
						    t[k].conn);
			json_decref(sa);
		}
		ike_list_close(l);
		if (ng != nw || memcmp(got, want, nw * sizeof(want[0])))
			fail_msg("query %u (conn %s offset %llu limit %lld): %u SAs, want %u", k,
				 t[k].conn ? t[k].conn : "-", (unsigned long long)t[k].offset,
				 (long long)t[k].limit, ng, nw);
		/* skipping thousands lets the caller in between */
		if (t[k].offset >= 2990 || (t[k].conn && !strcmp(t[k].conn, "to-b")))
			assert_true(waits > 0);
	}
	/* the established SA is complete, its Child SA through the hook */
	{
		json_t *l = ike_mgr_list(F.m), *sa = json_array_get(l, json_array_size(l) - 1);
		json_t *c = json_array_get(json_object_get(sa, "children"), 0);

		assert_int_equal(json_array_size(l), F.n);
		assert_string_equal(json_string_value(json_object_get(sa, "state")), "established");
		assert_non_null(json_object_get(sa, "proposal"));
		assert_string_equal(json_string_value(json_object_get(c, "state")), "installed");
		assert_null(json_object_get(c, "hooked"));   /* no hook: none */
		json_decref(l);
	}
	fixture_down();
}

static void test_query_parse(void **state)
{
	static const struct {
		const char *req;
		int ret;
	} t[] = {
		{ "{}", 0 },
		{ "{\"conn\": \"x\", \"limit\": 0, \"offset\": 7}", 0 },
		{ "{\"limit\": -1}", -EINVAL },
		{ "{\"offset\": \"3\"}", -EINVAL },
		{ "{\"limit\": 1.5}", -EINVAL },
		{ "{\"conn\": 5}", -EINVAL },
		{ "{\"conn\": \"\"}", -EINVAL },
	};
	struct ike_list_query q;
	char err[128];

	(void)state;
	for (unsigned k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		json_t *req = json_loads(t[k].req, 0, NULL);

		err[0] = 0;
		assert_int_equal(ike_list_query_parse(req, &q, err, sizeof(err)), t[k].ret);
		assert_true(t[k].ret == 0 || err[0]);
		json_decref(req);
	}
	{
		json_t *req = json_loads("{\"conn\": \"x\", \"limit\": 0, \"offset\": 7}", 0, NULL);

		assert_int_equal(ike_list_query_parse(req, &q, err, sizeof(err)), 0);
		assert_string_equal(q.conn, "x");
		assert_true(q.has_limit && q.limit == 0 && q.offset == 7);
		json_decref(req);
	}
}

/* After a listing showed SAs down to last, the rest of it must be the
 * reference's SAs older than last: those deleted meanwhile left out, none
 * twice, none made after it began. */
static void check_rest(const uint32_t *rest, unsigned n, uint32_t last)
{
	static uint32_t want[N_BARE + 1];
	unsigned nw = expect(NULL, 0, -1, want), k = 0;

	for (unsigned i = 0; i < nw; i++)
		if (want[i] < last) {
			assert_true(k < n);
			assert_int_equal(rest[k], want[i]);
			k++;
		}
	assert_int_equal(k, n);
}

/* A listing outlives the SAs it was about to show, and its manager. */
static void test_list_survives_deletes(void **state)
{
	static uint32_t rest[N_BARE + 1];
	struct ike_list_query q = { .conn = "" };
	struct ike_list *l, *l2;
	uint32_t last = 0;
	unsigned n = 0;
	json_t *sa;
	int r;

	(void)state;
	fixture_up();
	l = ike_list_open(F.m, &q);
	l2 = ike_list_open(F.m, &q);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(ike_list_next(l, &sa), 1);
		last = (uint32_t)json_integer_value(json_object_get(sa, "unique_id"));
		json_decref(sa);
	}
	/* the next one in line, the one after it, one already shown, the
	 * newest, a run further on, and the oldest (the established one) */
	destroy(F.n - 1 - 10);
	destroy(F.n - 1 - 11);
	destroy(F.n - 1 - 3);
	destroy(F.n - 1);
	for (unsigned i = 100; i < 200; i++)
		destroy(F.n - 1 - i);
	destroy(0);
	/* a new SA is not shown: it came after the listing began */
	assert_non_null(ike_sa_new(F.m, true));
	while ((r = ike_list_next(l, &sa)) != 0) {
		assert_int_equal(r, 1);
		rest[n++] = (uint32_t)json_integer_value(json_object_get(sa, "unique_id"));
		json_decref(sa);
	}
	check_rest(rest, n, last);
	ike_list_close(l);
	/* l2 is left open: the manager goes first */
	manager_gone();
	assert_int_equal(ike_list_next(l2, &sa), 0);
	ike_list_close(l2);
	fixture_down();
}

/* ---- the control socket ---- */

/* A client that reads nothing holds a listing open: the daemon stops
 * building it, answers another client, survives SAs deleted under the
 * listing, and finishes it once the client reads. */
static void test_slow_reader(void **state)
{
	static uint32_t got[N_BARE + 1];
	struct tclient slow, other;
	unsigned produced, n;
	json_t *j;

	(void)state;
	fixture_up();
	tc_open(&slow, "{\"cmd\": \"list-sas\", \"stream\": true}\n");
	pump(100);
	produced = F.produced;
	pump(100);
	/* stalled: what the socket and 64 KiB hold, not thousands of SAs */
	assert_int_equal(F.produced, produced);
	assert_true(produced > 0 && produced < F.n / 2);
	print_message("# a reader that does not read: %u of %u SAs built\n", produced, F.n);

	tc_open(&other, "{\"cmd\": \"stats\"}\n");
	j = tc_line(&other);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "result"),
							    "ike_sas")), F.n);
	json_decref(j);
	tc_close(&other);
	assert_int_equal(F.produced, produced);

	/* SAs go while the listing waits: the one it will show next and
	 * the one after, some shown already, some further on */
	destroy(F.n - 1 - produced);
	destroy(F.n - 1 - produced - 1);
	destroy(F.n - 1 - produced / 2);
	for (unsigned i = produced + 50; i < produced + 80; i++)
		destroy(F.n - 1 - i);

	j = tc_line(&slow);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_string_equal(json_string_value(json_object_get(j, "stream")), "list-sas");
	assert_int_equal(json_integer_value(json_object_get(j, "ike_sas")), F.n);
	json_decref(j);
	n = tc_rest(&slow, got, F.n);
	tc_close(&slow);
	/* what was built before the deletes, as it was; then exactly the
	 * SAs still there */
	assert_true(n > produced);
	for (unsigned i = 0; i < produced; i++)
		assert_int_equal(got[i], F.ids[F.n - 1 - i]);
	check_rest(got + produced, n - produced, got[produced - 1]);
	/* and the daemon shuts down under another reader that stopped */
	tc_open(&slow, "{\"cmd\": \"list-sas\", \"stream\": true}\n");
	pump(50);
	fixture_down();
	tc_close(&slow);
}

/* A client reading as fast as it can: another client's request made in
 * the middle is answered before the listing ends. */
static void test_others_served(void **state)
{
	static uint32_t got[N_BARE + 1];
	struct tclient fast, other;
	unsigned n = 0, at_answer = 0;
	bool answered = false;
	json_t *j;

	(void)state;
	fixture_up();
	tc_open(&fast, "{\"cmd\": \"list-sas\", \"stream\": true}\n");
	j = tc_line(&fast);
	json_decref(j);
	while ((j = tc_line(&fast)) != NULL) {
		json_t *sa = json_object_get(j, "sa");

		if (!sa) {
			assert_int_equal(json_integer_value(json_object_get(j, "count")), n);
			json_decref(j);
			break;
		}
		got[n++] = (uint32_t)json_integer_value(json_object_get(sa, "unique_id"));
		json_decref(j);
		if (n == 100)
			tc_open(&other, "{\"cmd\": \"stats\"}\n");
		if (n > 100 && !answered) {
			char b[4096];
			ssize_t r = recv(other.fd, b, sizeof(b), MSG_DONTWAIT);

			if (r > 0 && memchr(b, '\n', (size_t)r)) {
				answered = true;
				at_answer = n;
			}
		}
	}
	assert_int_equal(n, F.n);
	for (unsigned i = 1; i < n; i++)
		assert_true(got[i] < got[i - 1]);
	assert_true(answered);
	assert_true(at_answer < F.n);
	print_message("# stats answered after %u of %u SAs listed\n", at_answer, F.n);
	tc_close(&other);
	tc_close(&fast);
	fixture_down();
}

/* The other framings and orders: the old one-line answer; a refused
 * query; requests queued behind a stream; a client that shuts its side
 * after asking; a client that leaves half way. */
static void test_framings(void **state)
{
	static uint32_t got[N_BARE + 1], want[N_BARE + 1];
	struct tclient c;
	json_t *j;
	unsigned n, nw;

	(void)state;
	fixture_up();
	/* an old client: one line, the whole document */
	tc_open(&c, "{\"cmd\": \"list-sas\", \"conn\": \"y\"}\n");
	j = tc_line(&c);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_array_size(json_object_get(j, "result")), N_BARE / 3);
	json_decref(j);
	/* ... and the same connection goes on */
	assert_int_equal(write(c.fd, "{\"cmd\": \"stats\"}\n", 17), 17);
	j = tc_line(&c);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	tc_close(&c);

	/* a bad query: one error line and nothing else */
	tc_open(&c, "{\"cmd\": \"list-sas\", \"stream\": true, \"limit\": -2}\n"
		    "{\"cmd\": \"stats\"}\n");
	j = tc_line(&c);
	assert_false(json_is_true(json_object_get(j, "ok")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "limit"));
	json_decref(j);
	j = tc_line(&c);
	assert_non_null(json_object_get(j, "result"));
	json_decref(j);
	tc_close(&c);

	/* two requests in one write, then the client shuts its side: the
	 * stats wait for the listing's end line, and both are answered */
	tc_open(&c, "{\"cmd\": \"list-sas\", \"stream\": true, \"conn\": \"z\", \"offset\": 10, "
		    "\"limit\": 500}\n{\"cmd\": \"stats\"}\n");
	shutdown(c.fd, SHUT_WR);
	j = tc_line(&c);
	assert_int_equal(json_integer_value(json_object_get(j, "ike_sas")), F.n);
	json_decref(j);
	n = tc_rest(&c, got, F.n);
	nw = expect("z", 10, 500, want);
	assert_int_equal(n, nw);
	assert_memory_equal(got, want, n * sizeof(got[0]));
	j = tc_line(&c);
	assert_non_null(j);
	assert_non_null(json_object_get(j, "result"));
	json_decref(j);
	assert_null(tc_line(&c));          /* then closed */
	tc_close(&c);

	/* a client that leaves half way: its listing is closed, and SAs
	 * deleted afterwards touch nothing of it */
	tc_open(&c, "{\"cmd\": \"list-sas\", \"stream\": true}\n");
	j = tc_line(&c);
	json_decref(j);
	j = tc_line(&c);
	json_decref(j);
	tc_close(&c);
	pump(50);
	for (unsigned i = 0; i < 400; i++)
		destroy(F.n - 1 - i);
	pump(10);
	/* the socket closed under a reader that stopped, the manager alive:
	 * its listing leaves the manager */
	tc_open(&c, "{\"cmd\": \"list-sas\", \"stream\": true}\n");
	pump(50);
	ctl_close(F.ctl);
	F.ctl = NULL;
	assert_null(F.m->lists);
	tc_close(&c);
	fixture_down();
}

/* ---- the ipsecfx command against this socket ---- */

static char ipsecfx[512];
static const char *run_sock;     /* NULL: F.sock */

static int run_ipsecfx(const char *out, const char *const *args)
{
	char *argv[16];
	posix_spawn_file_actions_t fa;
	unsigned k = 0;
	pid_t pid;
	int status = -1;

	argv[k++] = ipsecfx;
	for (; *args && k < 13; args++)
		argv[k++] = (char *)*args;
	argv[k++] = "--socket";
	argv[k++] = (char *)(run_sock ? run_sock : F.sock);
	argv[k] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(posix_spawn(&pid, ipsecfx, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 20000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		event_base_loop(F.pr->base, EVLOOP_NONBLOCK);
		usleep(500);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("ipsecfx did not finish");
	return -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

/* ipsecfx ARGS (a list-sas --json) into out, exit status 0; its text
 * parsed: the reference's SAs for conn/offset/limit, in its order.  The
 * array returned; the text in *text where text is not NULL. */
static json_t *run_json(const char *out, const char *const *args, const char *conn,
			uint64_t offset, int64_t limit, char **text)
{
	static uint32_t want[N_BARE + 1];
	json_t *arr, *sa;
	size_t i;
	char *s;

	assert_int_equal(run_ipsecfx(out, args), 0);
	s = slurp(out);
	arr = json_loads(s, 0, NULL);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), expect(conn, offset, limit, want));
	json_array_foreach(arr, i, sa)
		assert_int_equal(json_integer_value(json_object_get(sa, "unique_id")), want[i]);
	if (text)
		*text = s;
	else
		free(s);
	return arr;
}

/* ipsecfx ARGS into out, exit status 0: what it printed (freed by the
 * caller) */
static char *run_text(const char *out, const char *const *args)
{
	assert_int_equal(run_ipsecfx(out, args), 0);
	return slurp(out);
}

static void test_command(void **state)
{
	char out[128], *s;
	json_t *arr;

	(void)state;
	if (access(ipsecfx, X_OK) != 0)
		skip();
	fixture_up();
	snprintf(out, sizeof(out), "%s/out", F.dir);

	/* --json: one document, every SA, newest first */
	arr = run_json(out, (const char *const[]){ "list-sas", "--json", NULL }, NULL, 0, -1, &s);
	assert_int_equal(json_array_size(arr), F.n);
	/* as json_dumpf prints the whole array */
	{
		char *whole = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS);

		assert_non_null(whole);
		assert_int_equal(strlen(s), strlen(whole) + 1);
		assert_memory_equal(s, whole, strlen(whole));
		free(whole);
	}
	json_decref(arr);
	free(s);

	/* --conn --offset --limit */
	json_decref(run_json(out, (const char *const[]){ "list-sas", "--json", "--conn", "y",
							"--offset", "4", "--limit", "6", NULL },
			     "y", 4, 6, NULL));

	/* nothing: exactly "[]" (tests/interop compares the text) */
	s = run_text(out, (const char *const[]){ "list-sas", "--json", "--limit", "0", NULL });
	assert_string_equal(s, "[]\n");
	free(s);

	/* for people: the established SA and its Child SA */
	s = run_text(out, (const char *const[]){ "list-sas", "--conn", "to-b", NULL });
	assert_non_null(strstr(s, "to-b[1]: ESTABLISHED"));
	assert_non_null(strstr(s, "  lan["));
	assert_null(strstr(s, "x["));
	free(s);
	s = run_text(out, (const char *const[]){ "list-sas", "--conn", "nope", NULL });
	assert_string_equal(s, "no IKE SAs of nope\n");
	free(s);

	/* refused before anything is asked */
	assert_int_equal(run_ipsecfx(out, (const char *const[]){ "list-sas", "--limit", "-1",
					   NULL }), 2);
	assert_int_equal(run_ipsecfx(out, (const char *const[]){ "stats", "--conn", "x",
					   NULL }), 2);
	unlink(out);
	fixture_down();
}

/* An older daemon answers list-sas in one line, whatever the request
 * says: the command filters that list itself. */
static int cmd_old_list(void *arg, json_t *req, json_t **res, char *err, size_t n)
{
	(void)arg;
	(void)req;
	(void)err;
	(void)n;
	*res = ike_mgr_list(F.m);
	return 0;
}

static void test_command_old_daemon(void **state)
{
	struct ctl_owner own = { getuid(), getgid(), (gid_t)-1 };
	struct ctl *old;
	char sock[128], out[128], *s;

	(void)state;
	if (access(ipsecfx, X_OK) != 0)
		skip();
	fixture_up();
	snprintf(sock, sizeof(sock), "%s/old.sock", F.dir);
	snprintf(out, sizeof(out), "%s/out", F.dir);
	assert_int_equal(ctl_open(F.pr->base, sock, &own, &old), 0);
	assert_int_equal(ctl_register(old, "list-sas", cmd_old_list, NULL), 0);
	run_sock = sock;
	json_decref(run_json(out, (const char *const[]){ "list-sas", "--json", "--conn", "x",
							"--offset", "2", "--limit", "5", NULL },
			     "x", 2, 5, NULL));
	s = run_text(out, (const char *const[]){ "list-sas", "--conn", "to-b", NULL });
	assert_non_null(strstr(s, "to-b[1]: ESTABLISHED"));
	assert_null(strstr(s, "x["));
	free(s);
	run_sock = NULL;
	unlink(out);
	ctl_close(old);
	fixture_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_table),
		cmocka_unit_test(test_query_parse),
		cmocka_unit_test(test_list_survives_deletes),
		cmocka_unit_test(test_slow_reader),
		cmocka_unit_test(test_others_served),
		cmocka_unit_test(test_framings),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_command_old_daemon),
	};
	const char *b = getenv("IPSECFX_BUILD");
	char *slash;

	(void)argc;
	signal(SIGPIPE, SIG_IGN);
	if (b) {
		snprintf(ipsecfx, sizeof(ipsecfx), "%s/ipsecfx", b);
	} else {
		/* $O/tests/test_ctl_list -> $O/ipsecfx */
		snprintf(ipsecfx, sizeof(ipsecfx), "%s", argv[0]);
		slash = strrchr(ipsecfx, '/');
		snprintf(slash ? slash + 1 : ipsecfx,
			 sizeof(ipsecfx) - (size_t)(slash ? slash + 1 - ipsecfx : 0), "../ipsecfx");
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
