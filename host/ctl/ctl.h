/*
 * The control socket: a Unix stream socket speaking one JSON object per
 * line (jansson), on the daemon's libevent loop.
 *
 *   request:  {"cmd": "stats"}               {"cmd": "initiate", "conn": "x"}
 *   response: {"ok": true, "result": ...}    {"ok": false, "error": "why"}
 *
 * A streamed command (list-sas) answers a request with "stream": true in
 * lines too, as the client reads them, so that its length costs the
 * daemon nothing:
 *
 *   {"cmd": "list-sas", "stream": true, "conn": "x", "limit": 10}
 *   {"ok": true, "stream": "list-sas", "ike_sas": 100000}     header
 *   {"sa": {...}}                                             one line each
 *   {"end": true, "count": 10}                                last line
 *
 * or {"ok": false, "error": "why"} alone when the request is refused; an
 * end line with "error" when the daemon had to stop (then the entries
 * before it are not the whole answer).  A connection closed before the
 * end line is a failure too.  The same request without "stream" (older
 * clients) gets the one-line answer {"ok": true, "result": [...]} as
 * before, written as incrementally: the client still reads one line of
 * any length.  Requests that follow a streamed one on the same connection
 * are answered after its end line.
 *
 * Commands are registered by the daemon; docs/ipsecfx.md lists them.  The
 * socket is mode 0600, or 0660 for an operators' group (control_group): it
 * can tear tunnels down and export keys.  A second daemon on the same path
 * is refused; on exit the socket is removed only if it is still ours.
 */
#ifndef IPSECFX_CTL_H
#define IPSECFX_CTL_H

#include <event2/event.h>
#include <jansson.h>

struct ctl;

/* A command: fills *result (any JSON) and returns 0, or returns -errno
 * and may write a message into error (error_len bytes). */
typedef int (*ctl_cmd_fn)(void *arg, json_t *req, json_t **result,
			  char *error, size_t error_len);

#include <sys/types.h>

/* Who owns the socket: the daemon's user (it stays there after dropping
 * privileges) and, with group != (gid_t)-1, the operators' group. */
struct ctl_owner {
	uid_t uid;
	gid_t gid;         /* the daemon's group */
	gid_t group;       /* control_group, or (gid_t)-1 */
};

int ctl_open(struct event_base *base, const char *path, const struct ctl_owner *own,
	     struct ctl **out);
void ctl_close(struct ctl *c);
int ctl_register(struct ctl *c, const char *name, ctl_cmd_fn fn, void *arg);

/* A streamed command's answer: the control socket pulls entries from next
 * as the client's socket drains, a bounded amount of work at a time.  A
 * stream that waits for events (initiate) parks: next returns -EINPROGRESS
 * and the socket asks again after ctl_stream_wake(client). */
struct ctl_client;
struct ctl_stream {
	/* 1 and *entry (given to the socket); 0: the end; -EAGAIN: none
	 * yet, call again later; -EINPROGRESS: none until woken; another
	 * -errno: stop with an error */
	int (*next)(void *state, json_t **entry);
	void (*close)(void *state);         /* at the end, or the client left */
	void *state;
	const char *item;                   /* each entry line's key ("sa") */
	json_t *header;                     /* fields for the header line, or NULL */
	struct ctl_client *client;          /* set by the socket: for ctl_stream_wake */
};
/* A parked stream has entries again (harmless when it is not parked). */
void ctl_stream_wake(struct ctl_client *client);
/* Fills *out and returns 0, or returns -errno (and may write error). */
typedef int (*ctl_stream_fn)(void *arg, json_t *req, struct ctl_stream *out,
			     char *error, size_t error_len);
int ctl_register_stream(struct ctl *c, const char *name, ctl_stream_fn fn, void *arg);

/* Client side (the ipsecfx command): one request, one response, with a
 * timeout.  0 and *resp set (the caller decrefs), or -errno. */
int ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms);

/* ... or a request and then the response line by line (a stream):
 * ctl_recv waits up to timeout_ms for each line; 0 and *msg (the caller
 * decrefs), -ECONNRESET when the daemon closed the connection, -ETIMEDOUT,
 * -EBADMSG (not JSON), -EMSGSIZE (a line over 64 MiB). */
struct ctl_conn;
int ctl_connect(const char *path, json_t *req, struct ctl_conn **out);
int ctl_recv(struct ctl_conn *c, json_t **msg, int timeout_ms);
void ctl_disconnect(struct ctl_conn *c);

#endif
