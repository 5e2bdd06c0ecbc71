/* Key path -> line index over libyaml events; libcyaml error reformatting. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "yamlpos.h"

#define MAX_DEPTH 32

struct frame {
	bool is_map;
	bool want_key;      /* mapping: next scalar is a key */
	unsigned index;     /* sequence: next entry */
	size_t path_len;    /* length of this node's path */
	char key[128];      /* mapping: the current key */
};

int yamlpos_add(struct yamlpos *yp, const char *path, unsigned line)
{
	if (yp->n == yp->cap) {
		size_t cap = yp->cap ? yp->cap * 2 : 64;
		struct yamlpos_entry *v = realloc(yp->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		yp->v = v;
		yp->cap = cap;
	}
	yp->v[yp->n].path = strdup(path);
	if (!yp->v[yp->n].path)
		return -ENOMEM;
	yp->v[yp->n++].line = line;
	return 0;
}

/* The path of a value about to start under the frame f (path holds f's). */
static void child_path(char *path, size_t size, const struct frame *f)
{
	size_t n = f->path_len;

	if (f->is_map)
		snprintf(path + n, size - n, "%s%s", n ? "." : "", f->key);
	else
		snprintf(path + n, size - n, "[%u]", f->index);
}

int yamlpos_load(struct yamlpos *yp, const char *file)
{
	struct frame st[MAX_DEPTH];
	char path[1024] = "";
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ret = 0;
	bool done = false;
	FILE *fp;

	memset(yp, 0, sizeof(*yp));
	yp->file = file;
	fp = fopen(file, "r");
	if (!fp) {
		ret = -errno;
		ipx_err("%s: cannot open: %s", file, strerror(errno));
		return ret;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	while (!done) {
		struct frame *top = depth ? &st[depth - 1] : NULL;
		unsigned line;

		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.context)
				ipx_err("%s:%zu: YAML syntax error: %s %s (from line %zu)",
					file, parser.problem_mark.line + 1,
					parser.problem ? parser.problem : "",
					parser.context, parser.context_mark.line + 1);
			else
				ipx_err("%s:%zu: YAML syntax error: %s", file,
					parser.problem_mark.line + 1,
					parser.problem ? parser.problem : "unknown");
			ret = -EINVAL;
			break;
		}
		line = (unsigned)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SCALAR_EVENT:
			if (top && top->is_map && top->want_key) {
				snprintf(top->key, sizeof(top->key), "%s",
					 (const char *)ev.data.scalar.value);
				top->want_key = false;
				child_path(path, sizeof(path), top);
				ret = yamlpos_add(yp, path, line);
				path[top->path_len] = 0;
			} else if (top) {
				if (!top->is_map) {
					child_path(path, sizeof(path), top);
					ret = yamlpos_add(yp, path, line);
					path[top->path_len] = 0;
					top->index++;
				} else {
					top->want_key = true;
				}
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth == MAX_DEPTH) {
				ipx_err("%s:%u: nested too deeply", file, line);
				ret = -EINVAL;
				break;
			}
			if (top) {
				child_path(path, sizeof(path), top);
				if (!top->is_map)
					ret = yamlpos_add(yp, path, line);
			}
			st[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			st[depth].want_key = true;
			st[depth].index = 0;
			st[depth].path_len = strlen(path);
			st[depth].key[0] = 0;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			top = depth ? &st[depth - 1] : NULL;
			if (top) {
				path[top->path_len] = 0;
				if (top->is_map)
					top->want_key = true;
				else
					top->index++;
			} else {
				path[0] = 0;
			}
			break;
		default:
			break;
		}
		if (ev.type == YAML_SCALAR_EVENT)
			OPENSSL_cleanse(ev.data.scalar.value, ev.data.scalar.length);
		yaml_event_delete(&ev);
		if (ret < 0)
			break;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	if (ret < 0)
		yamlpos_free(yp);
	yp->file = file;
	return ret;
}

static int by_line(const void *a, const void *b)
{
	const struct yamlpos_msg *x = a, *y = b;
	unsigned lx = x->line ? x->line : ~0u, ly = y->line ? y->line : ~0u;

	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x < y ? -1 : x > y;   /* stable: in the order said */
}

void yamlpos_flush(struct yamlpos *yp)
{
	if (yp->nmsgs)
		qsort(yp->msgs, yp->nmsgs, sizeof(*yp->msgs), by_line);
	for (size_t i = 0; i < yp->nmsgs; i++) {
		ipx_log(yp->msgs[i].level, "%s", yp->msgs[i].text);
		free(yp->msgs[i].text);
	}
	free(yp->msgs);
	yp->msgs = NULL;
	yp->nmsgs = 0;
}

const char *yamlpos_path(const struct yamlpos *yp, const char *file, char *buf, size_t n)
{
	const char *slash = yp && yp->file ? strrchr(yp->file, '/') : NULL;
	int k;

	if (!file || file[0] == '/' || !slash)
		return file;
	k = snprintf(buf, n, "%.*s/%s", (int)(slash - yp->file), yp->file, file);
	return k > 0 && (size_t)k < n ? buf : file;
}

void yamlpos_free(struct yamlpos *yp)
{
	yamlpos_flush(yp);
	for (size_t i = 0; i < yp->n; i++)
		free(yp->v[i].path);
	free(yp->v);
	yp->v = NULL;
	yp->n = yp->cap = 0;
	for (size_t i = 0; i < yp->nquiet; i++)
		free(yp->quiet[i]);
	free(yp->quiet);
	yp->quiet = NULL;
	yp->nquiet = 0;
}

int yamlpos_quiet(struct yamlpos *yp, const char *path)
{
	char **v = realloc(yp->quiet, (yp->nquiet + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	yp->quiet = v;
	v[yp->nquiet] = strdup(path);
	if (!v[yp->nquiet])
		return -ENOMEM;
	yp->nquiet++;
	return 0;
}

bool yamlpos_is_quiet(const struct yamlpos *yp, const char *path)
{
	for (size_t i = 0; i < yp->nquiet; i++) {
		size_t n = strlen(yp->quiet[i]);

		if (strncmp(path, yp->quiet[i], n) == 0 &&
		    (!path[n] || path[n] == '.' || path[n] == '['))
			return true;
	}
	return false;
}

static unsigned line_exact(const struct yamlpos *yp, const char *path)
{
	for (size_t i = 0; i < yp->n; i++)
		if (strcmp(yp->v[i].path, path) == 0)
			return yp->v[i].line;
	return 0;
}

unsigned yamlpos_line(const struct yamlpos *yp, const char *path)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s", path);
	for (;;) {
		char *cut;

		for (size_t i = 0; i < yp->n; i++)
			if (strcmp(yp->v[i].path, p) == 0)
				return yp->v[i].line;
		cut = strrchr(p, '.');
		if (!cut || (strrchr(p, '[') && strrchr(p, '[') > cut))
			cut = strrchr(p, '[');
		if (!cut)
			return 0;
		*cut = 0;
	}
}

void yamlpos_log(const struct yamlpos *yp, int level, const char *path, unsigned line,
		 const char *msg)
{
	char where[32] = "";

	/* the loaders hold their index as const; it never is */
	struct yamlpos *m = (struct yamlpos *)yp;
	struct yamlpos_msg *v;
	char *text;

	if (yamlpos_is_quiet(yp, path))
		return;
	if (level == IPX_LOG_WARN)
		m->warnings++;
	if (line)
		snprintf(where, sizeof(where), ":%u", line);
	if (!yp->in_order ||
	    asprintf(&text, "%s%s: %s%s%s", yp->file, where, path, *path ? ": " : "", msg) < 0) {
		ipx_log(level, "%s%s: %s%s%s", yp->file, where, path, *path ? ": " : "", msg);
		return;
	}
	v = realloc(m->msgs, (m->nmsgs + 1) * sizeof(*v));
	if (!v) {
		ipx_log(level, "%s", text);
		free(text);
		return;
	}
	m->msgs = v;
	v[m->nmsgs++] = (struct yamlpos_msg){ line, level, text };
}

static void vlog_at(const struct yamlpos *yp, int level, const char *path,
		    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	yamlpos_log(yp, level, path, yamlpos_line(yp, path), msg);
}

void yamlpos_err(const struct yamlpos *yp, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_at(yp, IPX_LOG_ERR, path, fmt, ap);
	va_end(ap);
}

void yamlpos_warn(const struct yamlpos *yp, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_at(yp, IPX_LOG_WARN, path, fmt, ap);
	va_end(ap);
}

void yamlpos_note(const struct yamlpos *yp, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_at(yp, IPX_LOG_INFO, path, fmt, ap);
	va_end(ap);
}

/*
 * libcyaml reports an error as a message followed by a backtrace, innermost
 * frame first:
 *   Load: Invalid UINT value: '70000'
 *   Load: Backtrace:
 *     in mapping field 'sport' (line: 7, column: 20)
 *     in sequence entry '2' (line: 5, column: 5)
 * The frames become a key path ("sas[1].encap.sport"; entries count from 1
 * in libcyaml, from 0 in our paths) and the innermost line is the line.
 */
void yamlpos_cyaml_log(cyaml_log_t level, void *ctx, const char *fmt,
		       va_list args)
{
	struct yamlpos_cyaml *c = ctx;
	char line[256], *s;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = 0;
	s = line;
	while (*s == ' ')
		s++;
	if (strncmp(s, "Load: ", 6) == 0) {
		s += 6;
		if (strcmp(s, "Backtrace:") == 0)
			return;
		yamlpos_cyaml_flush(c);
		snprintf(c->msg, sizeof(c->msg), "%s", s);
		c->nframes = 0;
		c->errors++;
		return;
	}
	if (strncmp(s, "in ", 3) == 0 && c->nframes < 8)
		snprintf(c->frames[c->nframes++], sizeof(c->frames[0]), "%s", s + 3);
}

/* libcyaml's words for a programmer, in an operator's: its messages, as
 * load.c of libcyaml 1.x prints them, each with what it becomes. */
static void reword(const char *m, char *out, size_t len)
{
	static const struct {
		const char *from, *to;
	} words[] = {
		{ "Unexpected key: ", "unknown key '%s'" },
		{ "Missing required mapping field: ", "'%s' is missing" },
		{ "Mapping field already seen: ", "'%s' is given twice" },
		{ "Invalid UINT value: ", "%s is not a whole number in range" },
		{ "Invalid uint64_t value: ", "%s is not a whole number" },
		{ "Invalid INT value: ", "%s is not a whole number in range" },
		{ "Invalid ENUM value: ", "'%s' is not one of the values this key takes" },
		{ "Invalid FLOAT value: ", "'%s' is not a number" },
		{ "STRING length < 1: ", "no value%s" },
		{ "No anchor found for alias: ", "no anchor for the alias %s" },
	};
	char arg[192];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].from);

		if (strncmp(m, words[i].from, n) != 0)
			continue;
		snprintf(arg, sizeof(arg), "%s", m + n);
		if (strncmp(words[i].to, "no value", 8) == 0)
			arg[0] = 0;
		snprintf(out, len, words[i].to, arg);
		return;
	}
	if (strncmp(m, "Expecting ", 10) == 0 && strstr(m, "got event: ")) {
		const char *got = strstr(m, "got event: ") + 11;

		snprintf(out, len, "expected %s, not %s",
			 strncmp(m + 10, "SEQUENCE", 8) == 0 ? "a list" :
			 strncmp(m + 10, "MAPPING", 7) == 0 ? "a mapping (key: value)" :
			 "a single value",
			 strcmp(got, "SCALAR") == 0 ? "a single value" :
			 strcmp(got, "SEQUENCE_START") == 0 ? "a list" :
			 strcmp(got, "MAPPING_START") == 0 ? "a mapping" : got);
		return;
	}
	if (strncmp(m, "STRING length > ", 16) == 0) {
		snprintf(out, len, "longer than %lu characters", strtoul(m + 16, NULL, 10));
		return;
	}
	if (strncmp(m, "Insufficient entries (", 22) == 0) {
		const char *of = strstr(m, " of ");

		snprintf(out, len, "fewer than %lu entries", of ? strtoul(of + 4, NULL, 10) : 1ul);
		return;
	}
	if (strncmp(m, "Excessive entries (", 19) == 0) {
		snprintf(out, len, "more than %lu entries", strtoul(m + 19, NULL, 10));
		return;
	}
	snprintf(out, len, "%s", m);
}

void yamlpos_cyaml_flush(struct yamlpos_cyaml *c)
{
	char path[256] = "", msg[300];
	unsigned line = 0;

	if (!c->msg[0])
		return;
	for (int i = c->nframes - 1; i >= 0; i--) {
		const char *f = c->frames[i], *q = strchr(f, '\'');
		const char *l = strstr(f, "line: ");
		char name[64] = "";
		size_t n = strlen(path);

		if (q) {
			const char *e = strchr(q + 1, '\'');

			if (e && (size_t)(e - q - 1) < sizeof(name)) {
				memcpy(name, q + 1, (size_t)(e - q - 1));
				name[e - q - 1] = 0;
			}
		}
		if (strncmp(f, "mapping field", 13) == 0 && name[0])
			snprintf(path + n, sizeof(path) - n, "%s%s", n ? "." : "", name);
		else if (strncmp(f, "sequence entry", 14) == 0 && name[0])
			snprintf(path + n, sizeof(path) - n, "[%ld]", strtol(name, NULL, 10) - 1);
		if (l && i == 0)
			line = (unsigned)strtoul(l + 6, NULL, 10);
	}
	/* libcyaml's marks point at its parser's position, which for a bad or
	 * unknown key can be a line early; our index knows the key's own line */
	if (c->index_lines)
		line = 0;
	if (strncmp(c->msg, "Unexpected key: ", 16) == 0) {
		char full[320];

		snprintf(full, sizeof(full), "%s%s%s", path, path[0] ? "." : "",
			 c->msg + 16);
		if (line_exact(c->yp, full))
			line = line_exact(c->yp, full);
	} else if (path[0] && line_exact(c->yp, path)) {
		line = line_exact(c->yp, path);
	}
	if (!line && c->index_lines)
		line = yamlpos_line(c->yp, path);
	reword(c->msg, msg, sizeof(msg));
	yamlpos_log(c->yp, IPX_LOG_ERR, path, line, msg);
	c->msg[0] = 0;
	c->nframes = 0;
}
