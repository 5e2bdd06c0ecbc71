/*
 * Where each key of a YAML file is: libcyaml turns a file into structures
 * but does not say on which line a value stood, so this index, built with
 * libyaml's event parser, maps a key path ("sas[1].key") to its line.  Config
 * loaders use it to name the file, line and key in every error.
 */
#ifndef IPSECFX_YAMLPOS_H
#define IPSECFX_YAMLPOS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cyaml/cyaml.h>

struct yamlpos_entry {
	char *path;
	unsigned line;
};

struct yamlpos_msg {
	unsigned line;
	int level;
	char *text;
};

struct yamlpos {
	const char *file;
	struct yamlpos_entry *v;
	size_t n, cap;
	/* subtrees whose messages are not shown: a checker replaced them
	 * with a placeholder after reporting why (yamlcheck.h) */
	char **quiet;
	size_t nquiet;
	unsigned warnings;       /* warnings logged (yamlpos_warn, ycheck_warn) */
	/* in_order: messages are kept until yamlpos_flush, which logs them
	 * by line, as a compiler's; else each is logged at once */
	bool in_order;
	struct yamlpos_msg *msgs;
	size_t nmsgs;
};

/* Index the file.  0 on success; on a YAML syntax error prints
 * "FILE:LINE: ..." to the log and returns -EINVAL; -errno if unreadable. */
int yamlpos_load(struct yamlpos *yp, const char *file);
/* Frees the index; messages still kept are logged first. */
void yamlpos_free(struct yamlpos *yp);
/* A file named in the configuration: an absolute path as it is, a relative
 * one from the configuration file's directory (not the working directory,
 * which the daemon leaves).  Returns file or buf. */
const char *yamlpos_path(const struct yamlpos *yp, const char *file, char *buf, size_t n);
/* Log the messages kept (in_order), by line; those without a line last. */
void yamlpos_flush(struct yamlpos *yp);
/* Record that the key (or entry) at path stands on line.  0 or -ENOMEM. */
int yamlpos_add(struct yamlpos *yp, const char *path, unsigned line);
/* Say nothing more about path and what lies under it. */
int yamlpos_quiet(struct yamlpos *yp, const char *path);
bool yamlpos_is_quiet(const struct yamlpos *yp, const char *path);
/* Line of the key at path, or of its closest ancestor; 0 when unknown. */
unsigned yamlpos_line(const struct yamlpos *yp, const char *path);
/* Log "FILE:LINE: PATH: message" at error level (warning, info level);
 * without the path when it is "". */
void yamlpos_err(const struct yamlpos *yp, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void yamlpos_warn(const struct yamlpos *yp, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void yamlpos_note(const struct yamlpos *yp, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same with the line given (0: none), as checkers report before the
 * index exists. */
void yamlpos_log(const struct yamlpos *yp, int level, const char *path, unsigned line,
		 const char *msg);

/*
 * libcyaml's log callback for loaders: collects its message and backtrace,
 * turns the backtrace into a key path and logs it with yamlpos_err.  Set
 * cyaml_config.log_fn to yamlpos_cyaml_log and log_ctx to a struct
 * yamlpos_cyaml, then call yamlpos_cyaml_flush() after cyaml_load_file.
 */
struct yamlpos_cyaml {
	const struct yamlpos *yp;
	bool index_lines;        /* its marks are not the file's: lines from yp only */
	char msg[256];
	char path[256];
	char frames[8][64];
	int nframes;
	int errors;
};
void yamlpos_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt,
		       va_list args);
void yamlpos_cyaml_flush(struct yamlpos_cyaml *c);

#endif
