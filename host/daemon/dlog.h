/*
 * Where ipsecfxd's log lines go (docs/deploy.md, "Where the logs go"):
 *
 *   -f                   stderr, each line with the time of day; under
 *                        systemd (stderr is the journal: $JOURNAL_STREAM)
 *                        the journal itself, each line with its priority
 *                        and the connection and IKE SA as fields
 *   log_file: PATH       that file, each line with the date and time
 *   otherwise            syslog (LOG_DAEMON); when syslog is unreachable
 *                        (no /dev/log: containers, minimal hosts) stderr,
 *                        said once at start
 *
 * Until the daemon has started, warnings and errors go to the terminal
 * too, so that whoever started it reads why it did not come up.  Taps see
 * every line that passes the level filter, whatever the sink: the control
 * socket uses them to stream an SA's lines to `ipsecfx initiate` and to
 * return a reload's errors.
 */
#ifndef IPSECFXD_DLOG_H
#define IPSECFXD_DLOG_H

#include <stdbool.h>
#include <sys/types.h>

enum dlog_sink { DLOG_STDERR, DLOG_FILE, DLOG_SYSLOG, DLOG_JOURNAL };

/* Start on stderr (start-up and -f), or the journal when stderr is it. */
void dlog_init(void);
/* Switch to a file (opened append-only, owned by uid:gid so that the
 * daemon can reopen it after dropping privileges).  0 or -errno. */
int dlog_use_file(const char *path, uid_t uid, gid_t gid);
/* Switch to syslog; -errno (and stays where it is) when /dev/log does not
 * take a datagram. */
int dlog_use_syslog(void);
enum dlog_sink dlog_sink(void);
/* Lines up to this level to stderr too, besides the file or syslog: -f
 * with log_file (every line), start-up in the background (warnings and
 * errors); -1 turns it off. */
void dlog_tee_stderr(int max_level);
/* After logrotate moved the file (SIGHUP): open it again. */
void dlog_reopen(void);
void dlog_close(void);

typedef void (*dlog_tap_fn)(void *arg, int level, const char *msg);
/* 0 or -ENOMEM.  A tap must not add or remove taps from its callback. */
int dlog_tap_add(dlog_tap_fn fn, void *arg);
void dlog_tap_del(dlog_tap_fn fn, void *arg);

#endif
