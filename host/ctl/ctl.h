/*
 * The control socket: a Unix stream socket speaking one JSON object per
 * line (jansson), on the daemon's libevent loop.
 *
 *   request:  {"cmd": "list-sas"}            {"cmd": "initiate", "conn": "x"}
 *   response: {"ok": true, "result": ...}    {"ok": false, "error": "why"}
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

/* Client side (the ipsecfx command): one request, one response, with a
 * timeout.  0 and *resp set (the caller decrefs), or -errno. */
int ctl_call(const char *path, json_t *req, json_t **resp, int timeout_ms);

#endif
