/* ipsecfxd's log sinks and taps (dlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION   /* every line would say dlog.c */
#include <systemd/sd-journal.h>

#include <ipsecfx/log.h>

#include "dlog.h"

struct tap {
	dlog_tap_fn fn;
	void *arg;
};

static struct {
	enum dlog_sink sink;
	int fd;                  /* DLOG_FILE */
	char path[4096];
	int tee;                 /* lines up to this level to stderr too */
	struct tap *taps;
	unsigned n_taps, cap_taps;
	bool in_tap;             /* a tap that logs is not fed its own line */
} L = { .fd = -1, .tee = -1 };

/* "17:43:34.123" for stderr, "2026-12-07T17:43:34.123" for a file */
static void stamp(char *buf, size_t n, bool date)
{
	struct timespec ts;
	struct tm tm;
	size_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	k = strftime(buf, n, date ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%03ld", ts.tv_nsec / 1000000);
}

static void to_stderr(int level, const char *msg)
{
	char t[32];

	stamp(t, sizeof(t), false);
	fprintf(stderr, "%s %s: %s\n", t, ipx_log_level_name(level), msg);
}

static void to_file(int level, const char *msg)
{
	char line[1200], t[40];
	int k;

	stamp(t, sizeof(t), true);
	k = snprintf(line, sizeof(line), "%s %s: %s\n", t, ipx_log_level_name(level), msg);
	if (k > (int)sizeof(line) - 1)
		k = (int)sizeof(line) - 1;
	/* one write per line: O_APPEND keeps lines whole */
	if (write(L.fd, line, (size_t)k) < 0)
		to_stderr(level, msg);
}

/* systemd's stderr is the journal when $JOURNAL_STREAM names it
 * ("DEV:INODE"): then lines go to the journal directly, with fields. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

/* An SA's line starts "CONN[ID] ...": the connection and the IKE SA's
 * number as journal fields (journalctl IPSECFX_CONN=site-b). */
static void to_journal(int level, const char *msg, int prio)
{
	const char *br = strchr(msg, '['), *sp = strchr(msg, ' ');
	bool sa_line = false;
	unsigned long id = 0;
	char *end;
	int r;

	if (br && br > msg && (!sp || br < sp) && br - msg < 64) {
		id = strtoul(br + 1, &end, 10);
		sa_line = end > br + 1 && *end == ']';
	}
	if (sa_line)
		r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				    "SYSLOG_IDENTIFIER=ipsecfxd", "IPSECFX_CONN=%.*s",
				    (int)(br - msg), msg, "IPSECFX_IKE_SA=%lu", id, NULL);
	else
		r = sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				    "SYSLOG_IDENTIFIER=ipsecfxd", NULL);
	if (r < 0)
		to_stderr(level, msg);   /* refused (journald says nothing when absent) */
}

static void handler(int level, const char *msg, void *arg)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	(void)arg;
	switch (L.sink) {
	case DLOG_FILE:
		to_file(level, msg);
		break;
	case DLOG_SYSLOG:
		syslog(prio[level < 0 ? 0 : level > 3 ? 3 : level], "%s", msg);
		break;
	case DLOG_JOURNAL:
		to_journal(level, msg, prio[level < 0 ? 0 : level > 3 ? 3 : level]);
		break;
	default:
		to_stderr(level, msg);
		break;
	}
	if (L.sink != DLOG_STDERR && level <= L.tee)
		to_stderr(level, msg);
	if (L.in_tap)
		return;
	L.in_tap = true;
	for (unsigned i = 0; i < L.n_taps; i++)
		L.taps[i].fn(L.taps[i].arg, level, msg);
	L.in_tap = false;
}

void dlog_init(void)
{
	L.sink = stderr_is_journal() ? DLOG_JOURNAL : DLOG_STDERR;
	ipx_log_set_handler(handler, NULL);
}

static int open_file(const char *path, uid_t uid, gid_t gid)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		return -errno;
	/* the daemon reopens it as its own user after logrotate */
	if (geteuid() == 0 && fchown(fd, uid, gid) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int dlog_use_file(const char *path, uid_t uid, gid_t gid)
{
	int fd;

	if (strlen(path) >= sizeof(L.path))
		return -ENAMETOOLONG;
	fd = open_file(path, uid, gid);
	if (fd < 0)
		return fd;
	if (L.fd >= 0)
		close(L.fd);
	L.fd = fd;
	snprintf(L.path, sizeof(L.path), "%s", path);
	L.sink = DLOG_FILE;
	return 0;
}

int dlog_use_syslog(void)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), e = 0;

	/* syslog(3) says nothing when nobody listens: ask first */
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
		e = -errno;
	close(fd);
	if (e)
		return e;
	openlog("ipsecfxd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	L.sink = DLOG_SYSLOG;
	return 0;
}

enum dlog_sink dlog_sink(void)
{
	return L.sink;
}

void dlog_tee_stderr(int max_level)
{
	L.tee = max_level;
}

void dlog_reopen(void)
{
	int fd;

	if (L.sink != DLOG_FILE)
		return;
	fd = open_file(L.path, geteuid(), getegid());
	if (fd < 0) {
		ipx_err("log_file %s: cannot reopen: %s (logging on to the old file)", L.path,
			strerror(-fd));
		return;
	}
	close(L.fd);
	L.fd = fd;
}

void dlog_close(void)
{
	if (L.sink == DLOG_SYSLOG)
		closelog();
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	L.sink = DLOG_STDERR;
	free(L.taps);
	L.taps = NULL;
	L.n_taps = L.cap_taps = 0;
}

int dlog_tap_add(dlog_tap_fn fn, void *arg)
{
	if (L.n_taps == L.cap_taps) {
		unsigned cap = L.cap_taps ? L.cap_taps * 2 : 8;
		struct tap *t = realloc(L.taps, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		L.taps = t;
		L.cap_taps = cap;
	}
	L.taps[L.n_taps++] = (struct tap){ fn, arg };
	return 0;
}

void dlog_tap_del(dlog_tap_fn fn, void *arg)
{
	for (unsigned i = 0; i < L.n_taps; i++)
		if (L.taps[i].fn == fn && L.taps[i].arg == arg) {
			L.taps[i] = L.taps[--L.n_taps];
			return;
		}
}
