/*
 * Least privilege for ipsecfxd (docs/security.md): once the TUN device, the
 * sockets, the netlink socket and the control socket are open, the daemon
 * goes on as an unprivileged user with only the capabilities it still uses,
 * cannot dump core, and keeps its memory (key material included) locked.
 */
#ifndef IPSECFXD_PRIVS_H
#define IPSECFXD_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

#include "../config/config.h"

/* Who the daemon becomes, resolved from the configuration's user, group
 * and control_group before anything is opened. */
struct ipxd_privs {
	bool keep_root;           /* user: root */
	uid_t uid;
	gid_t gid;
	gid_t control_gid;        /* (gid_t)-1: none */
	char user[64], group[64];
};

/* 0, or -1 with the reason logged (an unknown user or group). */
int ipxd_privs_resolve(const struct cfg *c, struct ipxd_privs *p);
/* Lock memory, forbid core dumps, become p's user with CAP_NET_ADMIN and
 * CAP_IPC_LOCK only (CAP_NET_ADMIN also ambient, for updown scripts), and
 * no way back (bounding set, no_new_privs).  0 or -1 (logged). */
int ipxd_privs_drop(const struct ipxd_privs *p);
/* The capability names the daemon keeps, for the log and docs. */
extern const char *const ipxd_kept_caps;

#endif
