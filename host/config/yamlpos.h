/*
 * Where each key of a YAML file is: libcyaml turns a file into structures
 * but does not say on which line a value stood, so this index, built with
 * libyaml's event parser, maps a key path ("sas[1].key") to its line.  Config
 * loaders use it to name the file, line and key in every error.
 */
#ifndef IPSECFX_YAMLPOS_H
#define IPSECFX_YAMLPOS_H

#include <stdarg.h>
#include <stddef.h>

#include <cyaml/cyaml.h>

struct yamlpos_entry {
	char *path;
	unsigned line;
};

struct yamlpos {
	const char *file;
	struct yamlpos_entry *v;
	size_t n, cap;
};

/* Index the file.  0 on success; on a YAML syntax error prints
 * "FILE:LINE: ..." to the log and returns -EINVAL; -errno if unreadable. */
int yamlpos_load(struct yamlpos *yp, const char *file);
void yamlpos_free(struct yamlpos *yp);
/* Line of the key at path, or of its closest ancestor; 0 when unknown. */
unsigned yamlpos_line(const struct yamlpos *yp, const char *path);
/* Log "FILE:LINE: PATH: message" at error level. */
void yamlpos_err(const struct yamlpos *yp, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * libcyaml's log callback for loaders: collects its message and backtrace,
 * turns the backtrace into a key path and logs it with yamlpos_err.  Set
 * cyaml_config.log_fn to yamlpos_cyaml_log and log_ctx to a struct
 * yamlpos_cyaml, then call yamlpos_cyaml_flush() after cyaml_load_file.
 */
struct yamlpos_cyaml {
	const struct yamlpos *yp;
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
