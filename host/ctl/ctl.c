/* Control socket: line-delimited JSON over a Unix stream socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <ipsecfx/log.h>

#include "ctl.h"

#define MAX_CMDS 32
#define MAX_LINE (64 * 1024)
/* A stream is fed while the client's socket takes it: up to STREAM_HIGH
 * bytes waiting in the daemon, then again once they drained to
 * STREAM_LOW; and never for more than STREAM_SLICE_US at a time, so that
 * IKE and the other clients keep their turn. */
#define STREAM_HIGH (64 * 1024)
#define STREAM_LOW (16 * 1024)
#define STREAM_SLICE_US 2000

struct ctl_cmd {
	const char *name;
	ctl_cmd_fn fn;
	ctl_stream_fn sfn;
	void *arg;
};

struct ctl_client;

struct ctl {
	struct event_base *base;
	struct evconnlistener *lst;
	char path[108];
	dev_t dev;                /* the socket file we made: removed on exit */
	ino_t ino;                /* only if the path still names it */
	struct ctl_cmd cmds[MAX_CMDS];
	unsigned n_cmds;
	LIST_HEAD(, ctl_client) clients;
};

struct ctl_client {
	LIST_ENTRY(ctl_client) link;
	struct ctl *ctl;
	struct bufferevent *bev;
	struct event *more;       /* the next slice of a stream, or requests that waited for it */
	bool eof;                 /* the client shut its side: closed once answered */
	/* the stream being answered */
	bool streaming;
	bool lines;               /* its framing: lines, or one "result" line */
	struct ctl_stream st;
	uint64_t count;
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int dump_cb(const char *buf, size_t len, void *out)
{
	return evbuffer_add(out, buf, len);
}

/* j, compact, straight into the client's output (no copy of it) */
static void put_json(struct ctl_client *cl, json_t *j)
{
	json_dump_callback(j, dump_cb, bufferevent_get_output(cl->bev), JSON_COMPACT);
}

static void reply(struct ctl_client *cl, json_t *resp)
{
	if (resp) {
		put_json(cl, resp);
		evbuffer_add(bufferevent_get_output(cl->bev), "\n", 1);
	}
	json_decref(resp);
}

static void client_free(struct ctl_client *cl)
{
	if (cl->streaming && cl->st.close)
		cl->st.close(cl->st.state);
	LIST_REMOVE(cl, link);
	event_free(cl->more);
	bufferevent_free(cl->bev);
	free(cl);
}

static void resume_later(struct ctl_client *cl)
{
	static const struct timeval now = { 0, 0 };

	/* a timer, not event_active(): the loop polls for I/O first */
	event_add(cl->more, &now);
}

/* ---- streams ---- */

static void stream_end(struct ctl_client *cl, int r)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	if (r < 0)
		ipx_warn("control: a listing stopped after %llu entries: %s",
			 (unsigned long long)cl->count, strerror(-r));
	if (cl->lines) {
		json_t *end = json_pack("{s:b, s:I}", "end", 1, "count", (json_int_t)cl->count);

		if (end && r < 0)
			json_object_set_new(end, "error", json_string(strerror(-r)));
		reply(cl, end);
	} else {
		/* cut short: a line that is not JSON, so that no client takes
		 * part of the list for all of it */
		evbuffer_add(out, r < 0 ? "\n" : "]}\n", r < 0 ? 1 : 3);
	}
	if (cl->st.close)
		cl->st.close(cl->st.state);
	cl->streaming = false;
	memset(&cl->st, 0, sizeof(cl->st));
	/* requests that came behind it */
	if (evbuffer_get_length(bufferevent_get_input(cl->bev)))
		resume_later(cl);
}

static void stream_entry(struct ctl_client *cl, json_t *e)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	if (cl->lines) {
		evbuffer_add_printf(out, "{\"%s\":", cl->st.item ? cl->st.item : "entry");
		put_json(cl, e);
		evbuffer_add(out, "}\n", 2);
	} else {
		if (cl->count)
			evbuffer_add(out, ",", 1);
		put_json(cl, e);
	}
	cl->count++;
	json_decref(e);
}

/* As much of the stream as the client's socket takes now, within a slice. */
static void stream_more(struct ctl_client *cl)
{
	struct evbuffer *out = bufferevent_get_output(cl->bev);
	uint64_t t0 = now_us();

	while (cl->streaming) {
		json_t *e = NULL;
		int r;

		if (evbuffer_get_length(out) >= STREAM_HIGH)
			return;   /* write_cb goes on at STREAM_LOW */
		if (now_us() - t0 >= STREAM_SLICE_US) {
			resume_later(cl);
			return;
		}
		r = cl->st.next(cl->st.state, &e);
		if (r == -EAGAIN)
			continue;
		if (r == -EINPROGRESS)
			return;   /* ctl_stream_wake goes on */
		if (r <= 0) {
			stream_end(cl, r);
			return;
		}
		stream_entry(cl, e);
	}
}

static void stream_start(struct ctl_client *cl, const char *name, bool lines,
			 const struct ctl_stream *st)
{
	cl->st = *st;
	cl->st.header = NULL;
	cl->streaming = true;
	cl->lines = lines;
	cl->count = 0;
	if (lines) {
		json_t *h = json_pack("{s:b, s:s}", "ok", 1, "stream", name);

		if (h && st->header)
			json_object_update(h, st->header);
		reply(cl, h);
	} else {
		evbuffer_add_printf(bufferevent_get_output(cl->bev), "{\"ok\":true,\"result\":[");
	}
	json_decref(st->header);
	stream_more(cl);
}

void ctl_stream_wake(struct ctl_client *cl)
{
	if (cl && cl->streaming)
		resume_later(cl);
}

/* ---- requests ---- */

static void handle_line(struct ctl_client *cl, const char *line)
{
	struct ctl *c = cl->ctl;
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *result = NULL;
	const char *cmd;
	char err[4096] = "";
	int ret;

	if (!req || !json_is_object(req)) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
				    "request is not a JSON object"));
		json_decref(req);
		return;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", "no \"cmd\""));
		json_decref(req);
		return;
	}
	for (unsigned i = 0; i < c->n_cmds; i++) {
		const struct ctl_cmd *k = &c->cmds[i];
		struct ctl_stream st = { .client = cl };

		if (strcmp(k->name, cmd) != 0)
			continue;
		ret = k->sfn ? k->sfn(k->arg, req, &st, err, sizeof(err))
			     : k->fn(k->arg, req, &result, err, sizeof(err));
		if (ret < 0)
			reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error",
					    err[0] ? err : strerror(-ret)));
		else if (k->sfn)
			stream_start(cl, k->name, json_is_true(json_object_get(req, "stream")), &st);
		else
			reply(cl, json_pack("{s:b, s:o}", "ok", 1, "result",
					    result ? result : json_null()));
		json_decref(req);
		return;
	}
	snprintf(err, sizeof(err), "unknown command '%s'", cmd);
	reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	json_decref(req);
}

/* The requests waiting in the input, one after the other (a stream holds
 * the rest back until its end).  False when the client was dropped. */
static bool process_lines(struct ctl_client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	char *line;
	size_t n;

	while (!cl->streaming && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		handle_line(cl, line);
		free(line);
	}
	if (evbuffer_get_length(in) > MAX_LINE) {
		ipx_warn("control: request over %d bytes, client dropped", MAX_LINE);
		client_free(cl);
		return false;
	}
	return true;
}

/* Answered everything after the client shut its side: close. */
static bool done(struct ctl_client *cl)
{
	return cl->eof && !cl->streaming && !event_pending(cl->more, EV_TIMEOUT, NULL) &&
	       !evbuffer_get_length(bufferevent_get_output(cl->bev));
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process_lines(arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;

	(void)bev;
	if (cl->streaming)
		stream_more(cl);
	else if (done(cl))
		client_free(cl);
}

static void more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_client *cl = arg;

	(void)fd;
	(void)what;
	if (cl->streaming)
		stream_more(cl);
	else if (process_lines(cl) && done(cl))
		client_free(cl);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;

	(void)bev;
	if (what & BEV_EVENT_ERROR) {
		client_free(cl);
	} else if (what & BEV_EVENT_EOF) {
		/* a client may shut its side after its request: it is
		 * answered (a stream to its end) before we close */
		cl->eof = true;
		if (done(cl))
			client_free(cl);
	}
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct ctl *c = arg;
	struct ctl_client *cl = calloc(1, sizeof(*cl));

	(void)l;
	(void)sa;
	(void)salen;
	if (!cl) {
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	cl->more = evtimer_new(c->base, more_cb, cl);
	if (!cl->bev || !cl->more) {
		if (cl->bev)
			bufferevent_free(cl->bev);
		else
			close(fd);
		if (cl->more)
			event_free(cl->more);
		free(cl);
		return;
	}
	LIST_INSERT_HEAD(&c->clients, cl, link);
	bufferevent_setcb(cl->bev, read_cb, write_cb, event_cb, cl);
	bufferevent_setwatermark(cl->bev, EV_WRITE, STREAM_LOW, 0);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

/*
 * mkdir -p of the socket's directory.  The last one, when we make it, is
 * the daemon's (it removes the socket there after dropping privileges):
 * 0700, or 0750 for the operators' group.  One that exists keeps its
 * owner and mode: it may be shared (/tmp); the log says when the group
 * cannot reach the socket through it.
 */
static int make_dir(const char *path, const struct ctl_owner *own)
{
	char d[108], *s;
	struct stat st;

	snprintf(d, sizeof(d), "%s", path);
	s = strrchr(d, '/');
	if (!s || s == d)
		return 0;
	*s = 0;
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(d, own->group != (gid_t)-1 ? 0750 : 0700) == 0) {
		if (chown(d, own->uid, own->group != (gid_t)-1 ? own->group : own->gid) < 0)
			return -errno;
		return 0;
	}
	if (errno != EEXIST)
		return -errno;
	if (own->group != (gid_t)-1 && stat(d, &st) == 0 && !(st.st_mode & S_IXOTH) &&
	    !(st.st_gid == own->group && (st.st_mode & S_IXGRP)))
		ipx_warn("control socket: the operators' group cannot enter %s (mode %04o): "
			 "chgrp it to that group and chmod 0750", d, (unsigned)(st.st_mode & 07777));
	return 0;
}

int ctl_open(struct event_base *base, const char *path, const struct ctl_owner *own,
	     struct ctl **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	bool group = own->group != (gid_t)-1;
	struct stat st;
	struct ctl *c;
	int fd, ret;

	*out = NULL;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		ipx_err("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	ret = make_dir(path, own);
	if (ret < 0) {
		ipx_err("control socket %s: cannot create its directory: %s", path,
			strerror(-ret));
		return ret;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	LIST_INIT(&c->clients);
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		free(c);
		return -errno;
	}
	/* a stale socket from a crashed daemon: only if nobody answers */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		ipx_err("control socket %s: another daemon is listening there", path);
		close(fd);
		free(c);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chown(path, own->uid, group ? own->group : own->gid) < 0 ||
	    chmod(path, group ? 0660 : 0600) < 0 || stat(path, &st) < 0 ||
	    listen(fd, 16) < 0) {
		ret = -errno;
		ipx_err("control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(c);
		return ret;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	c->lst = evconnlistener_new(base, accept_cb, c, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (!c->lst) {
		close(fd);
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void ctl_close(struct ctl *c)
{
	struct stat st;

	if (!c)
		return;
	while (!LIST_EMPTY(&c->clients))
		client_free(LIST_FIRST(&c->clients));
	evconnlistener_free(c->lst);
	/* another daemon may have taken the path over (it found our socket
	 * dead, or it was started with -f by hand): its socket stays */
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino) {
		/* a directory the daemon did not make (systemd's RuntimeDirectory
		 * is root's) keeps it: the next start replaces a dead socket,
		 * and systemd removes the directory after the stop */
		if (unlink(c->path) == 0)
			;
		else if (errno == EACCES || errno == EPERM)
			ipx_info("control socket %s stays (%s); the next start replaces it", c->path,
				 strerror(errno));
		else
			ipx_warn("control socket %s: not removed: %s", c->path, strerror(errno));
	} else {
		ipx_info("control socket %s is no longer ours: left in place", c->path);
	}
	free(c);
}

int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg)
{
	if (c->n_cmds == MAX_CMDS)
		return -ENOSPC;
	c->cmds[c->n_cmds++] = (struct ctl_cmd){ name, fn, NULL, arg };
	return 0;
}

int ctl_register_stream(struct ctl *c, const char *name, ctl_stream_fn fn, void *arg)
{
	if (c->n_cmds == MAX_CMDS)
		return -ENOSPC;
	c->cmds[c->n_cmds++] = (struct ctl_cmd){ name, NULL, fn, arg };
	return 0;
}

/* ---- client ---- */

#define CLIENT_MAX_LINE (64u << 20)

struct ctl_conn {
	int fd;
	char *buf;
	size_t len, cap;
	size_t scanned;           /* bytes of buf known to hold no newline */
};

void ctl_disconnect(struct ctl_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

int ctl_connect(const char *path, json_t *req, struct ctl_conn **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ctl_conn *c = calloc(1, sizeof(*c));
	char *s = json_dumps(req, JSON_COMPACT);
	size_t len, off = 0;
	int ret = 0;

	*out = NULL;
	if (c)
		c->fd = -1;
	if (!c || !s || !(c->buf = malloc(c->cap = 65536))) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto out;
	}
	len = strlen(s);
	s[len++] = '\n';          /* over the terminating NUL */
	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0) {
			ret = -errno;
			goto out;
		}
		off += (size_t)n;
	}
out:
	free(s);
	if (ret < 0)
		ctl_disconnect(c);
	else
		*out = c;
	return ret;
}

int ctl_recv(struct ctl_conn *c, json_t **msg, int timeout_ms)
{
	json_error_t jerr;

	*msg = NULL;
	for (;;) {
		char *nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
		struct pollfd pfd = { c->fd, POLLIN, 0 };
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - c->buf);

			*msg = json_loadb(c->buf, line, 0, &jerr);
			c->len -= line + 1;
			memmove(c->buf, nl + 1, c->len);
			c->scanned = 0;
			return *msg ? 0 : -EBADMSG;
		}
		c->scanned = c->len;
		if (c->len == c->cap) {
			char *nb;

			if (c->cap >= CLIENT_MAX_LINE)
				return -EMSGSIZE;
			nb = realloc(c->buf, c->cap * 2);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->cap *= 2;
		}
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		c->len += (size_t)n;
	}
}

int ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms)
{
	struct ctl_conn *c;
	int ret = ctl_connect(path, req, &c);

	*resp = NULL;
	if (ret < 0)
		return ret;
	ret = ctl_recv(c, resp, timeout_ms);
	ctl_disconnect(c);
	return ret;
}
