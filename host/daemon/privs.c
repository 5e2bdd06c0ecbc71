/*
 * Dropping privileges after start-up (docs/security.md, "Privileges").
 *
 * What the daemon still does after start-up, and what that needs:
 *   - routes and addresses on its TUN device over its netlink socket, as
 *     Child SAs come and go: CAP_NET_ADMIN (the kernel checks it on every
 *     message, not only when the socket is opened);
 *   - memory locked with mlockall(MCL_FUTURE) grows as tunnels come:
 *     CAP_IPC_LOCK (else RLIMIT_MEMLOCK stops it);
 *   - UDP and raw ESP sockets, the TUN and the control socket: already
 *     open, nothing more;
 *   - reloads read the configuration and key files: as the daemon's user
 *     and group (docs/security.md says how to own them);
 *   - updown scripts: run as the daemon's user with CAP_NET_ADMIN ambient,
 *     so that they can change routes and firewall rules.
 * Everything else is dropped from the bounding set, and no_new_privs keeps a
 * setuid program started by an updown script from regaining it.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ipsecfx/log.h>

#include "privs.h"

static const cap_value_t kept[] = { CAP_NET_ADMIN, CAP_IPC_LOCK };
const char *const ipxd_kept_caps = "CAP_NET_ADMIN, CAP_IPC_LOCK";

int ipxd_privs_resolve(const struct cfg *c, struct ipxd_privs *p)
{
	const struct passwd *pw;
	const struct group *gr;

	memset(p, 0, sizeof(*p));
	p->control_gid = (gid_t)-1;
	snprintf(p->user, sizeof(p->user), "%s", c->user);
	if (c->control_group[0]) {
		gr = getgrnam(c->control_group);
		if (!gr) {
			ipx_err("%s: control_group: group '%s' does not exist", c->file,
				c->control_group);
			return -1;
		}
		p->control_gid = gr->gr_gid;
	}
	if (strcmp(c->user, "root") == 0) {
		p->keep_root = true;
		snprintf(p->group, sizeof(p->group), "root");
		return 0;
	}
	pw = getpwnam(c->user);
	if (!pw) {
		ipx_err("%s: user: '%s' does not exist: create it (useradd --system --user-group "
			"--no-create-home --shell /usr/sbin/nologin %s; scripts/deps.sh does) or "
			"set user: root", c->file, c->user, c->user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		ipx_err("%s: user: '%s' is uid 0: name an unprivileged user, or root", c->file,
			c->user);
		return -1;
	}
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	if (c->group[0]) {
		gr = getgrnam(c->group);
		if (!gr) {
			ipx_err("%s: group: '%s' does not exist", c->file, c->group);
			return -1;
		}
		p->gid = gr->gr_gid;
	}
	gr = getgrgid(p->gid);
	snprintf(p->group, sizeof(p->group), "%s", gr ? gr->gr_name : "?");
	return 0;
}

/*
 * Key material lives all over the daemon's memory (IKE keys, PSKs, the
 * engine's SA keys, OpenSSL's key schedules, stack temporaries): none of
 * it may reach swap, so every page is locked once it is touched.  On
 * fault, not at once: buffers reserved and never used stay unbacked
 * (mlockall without MCL_ONFAULT took the idle daemon from 12 to 120 MiB).
 */
static bool lock_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan reserves terabytes of shadow; mlockall cannot cover it */
	ipx_warn("memory not locked: an ASan build (a test build, not for deployment)");
	return false;
#endif
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
		return true;
	ipx_warn("cannot lock the daemon's memory (mlockall: %s): key material may be "
		 "swapped out", strerror(errno));
	return false;
}

static int no_core(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		ipx_err("cannot forbid core dumps: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool is_kept(cap_value_t v)
{
	for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] == v)
			return true;
	return false;
}

/* The capabilities of this process: exactly the kept ones. */
static int set_caps(void)
{
	cap_t caps = cap_init();
	int ret = -1;

	if (!caps)
		return -1;
	if (cap_set_flag(caps, CAP_PERMITTED, 2, kept, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_EFFECTIVE, 2, kept, CAP_SET) == 0 &&
	    cap_set_flag(caps, CAP_INHERITABLE, 1, kept, CAP_SET) == 0 &&
	    cap_set_proc(caps) == 0)
		ret = 0;
	cap_free(caps);
	return ret;
}

int ipxd_privs_drop(const struct ipxd_privs *p)
{
	bool locked = lock_memory();

	if (p->keep_root) {
		ipx_warn("user: root: the daemon keeps every privilege (not recommended; see "
			 "docs/security.md)");
		return no_core();
	}
	/* while we may: nothing outside the kept set can be regained */
	for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++)
		if (!is_kept(v) && prctl(PR_CAPBSET_DROP, v, 0, 0, 0) < 0 && errno != EINVAL) {
			ipx_err("cannot drop capability %d from the bounding set: %s", v,
				strerror(errno));
			return -1;
		}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(p->gid, p->gid, p->gid) < 0 || setresuid(p->uid, p->uid, p->uid) < 0) {
		ipx_err("cannot become %s:%s: %s", p->user, p->group, strerror(errno));
		return -1;
	}
	if (set_caps() < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0, 0) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ipx_err("cannot set the capabilities (%s): %s", ipxd_kept_caps, strerror(errno));
		return -1;
	}
	/* after the uid change, which resets it */
	if (no_core() < 0)
		return -1;
	ipx_info("running as %s:%s with %s only; core dumps off; memory %slocked", p->user,
		 p->group, ipxd_kept_caps, locked ? "" : "NOT ");
	return 0;
}
