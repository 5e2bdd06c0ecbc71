/* Control socket: line-delimited JSON over a Unix stream socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <ipsecfx/log.h>

#include "ctl.h"

#define MAX_CMDS 32
#define MAX_LINE (64 * 1024)

struct ctl_cmd {
	const char *name;
	ctl_cmd_fn fn;
	void *arg;
};

struct ctl {
	struct event_base *base;
	struct evconnlistener *lst;
	char path[108];
	dev_t dev;                /* the socket file we made: removed on exit */
	ino_t ino;                /* only if the path still names it */
	struct ctl_cmd cmds[MAX_CMDS];
	unsigned n_cmds;
};

struct ctl_client {
	struct ctl *ctl;
	struct bufferevent *bev;
};

static void reply(struct bufferevent *bev, json_t *resp)
{
	char *s = json_dumps(resp, JSON_COMPACT);

	if (s) {
		bufferevent_write(bev, s, strlen(s));
		bufferevent_write(bev, "\n", 1);
		free(s);
	}
	json_decref(resp);
}

static void handle_line(struct ctl_client *cl, const char *line)
{
	struct ctl *c = cl->ctl;
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *result = NULL;
	const char *cmd;
	char err[512] = "";
	int ret;

	if (!req || !json_is_object(req)) {
		reply(cl->bev, json_pack("{s:b, s:s}", "ok", 0, "error",
					 "request is not a JSON object"));
		json_decref(req);
		return;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		reply(cl->bev, json_pack("{s:b, s:s}", "ok", 0, "error", "no \"cmd\""));
		json_decref(req);
		return;
	}
	for (unsigned i = 0; i < c->n_cmds; i++) {
		if (strcmp(c->cmds[i].name, cmd) != 0)
			continue;
		ret = c->cmds[i].fn(c->cmds[i].arg, req, &result, err, sizeof(err));
		if (ret < 0)
			reply(cl->bev, json_pack("{s:b, s:s}", "ok", 0, "error",
						 err[0] ? err : strerror(-ret)));
		else
			reply(cl->bev, json_pack("{s:b, s:o}", "ok", 1, "result",
						 result ? result : json_null()));
		json_decref(req);
		return;
	}
	snprintf(err, sizeof(err), "unknown command '%s'", cmd);
	reply(cl->bev, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	json_decref(req);
}

static void client_free(struct ctl_client *cl)
{
	bufferevent_free(cl->bev);
	free(cl);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		handle_line(cl, line);
		free(line);
	}
	if (evbuffer_get_length(in) > MAX_LINE) {
		ipx_warn("control: request over %d bytes, client dropped", MAX_LINE);
		client_free(cl);
	}
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
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
	if (!cl->bev) {
		close(fd);
		free(cl);
		return;
	}
	bufferevent_setcb(cl->bev, read_cb, NULL, event_cb, cl);
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
	evconnlistener_free(c->lst);
	/* another daemon may have taken the path over (it found our socket
	 * dead, or it was started with -f by hand): its socket stays */
	if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino) {
		if (unlink(c->path) < 0)
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
	c->cmds[c->n_cmds++] = (struct ctl_cmd){ name, fn, arg };
	return 0;
}

/* ---- client ---- */

int ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *s = json_dumps(req, JSON_COMPACT);
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	json_error_t jerr;
	int fd = -1, ret = 0;

	*resp = NULL;
	if (!s || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		goto out;
	}
	if (write(fd, s, strlen(s)) < 0 || write(fd, "\n", 1) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;
		char *nl;

		if (poll(&pfd, 1, timeout_ms) <= 0) {
			ret = -ETIMEDOUT;
			goto out;
		}
		if (len + 1 >= cap) {
			char *nb;

			cap *= 2;
			if (cap > (64u << 20)) {
				ret = -EMSGSIZE;
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : -errno;
			goto out;
		}
		len += (size_t)n;
		buf[len] = 0;
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = 0;
			break;
		}
	}
	*resp = json_loads(buf, 0, &jerr);
	if (!*resp)
		ret = -EBADMSG;
out:
	if (fd >= 0)
		close(fd);
	free(s);
	free(buf);
	return ret;
}
