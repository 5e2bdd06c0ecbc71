/* Key path -> line index over libyaml events; libcyaml error reformatting. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

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

static int add(struct yamlpos *yp, const char *path, unsigned line)
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
				ret = add(yp, path, line);
				path[top->path_len] = 0;
			} else if (top) {
				if (!top->is_map) {
					child_path(path, sizeof(path), top);
					ret = add(yp, path, line);
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
					ret = add(yp, path, line);
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

void yamlpos_free(struct yamlpos *yp)
{
	for (size_t i = 0; i < yp->n; i++)
		free(yp->v[i].path);
	free(yp->v);
	yp->v = NULL;
	yp->n = yp->cap = 0;
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

void yamlpos_err(const struct yamlpos *yp, const char *path, const char *fmt, ...)
{
	unsigned line = yamlpos_line(yp, path);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		ipx_err("%s:%u: %s: %s", yp->file, line, path, msg);
	else
		ipx_err("%s: %s: %s", yp->file, path, msg);
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

void yamlpos_cyaml_flush(struct yamlpos_cyaml *c)
{
	char path[256] = "";
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
	if (strncmp(c->msg, "Unexpected key: ", 16) == 0) {
		char full[320];

		snprintf(full, sizeof(full), "%s%s%s", path, path[0] ? "." : "",
			 c->msg + 16);
		if (line_exact(c->yp, full))
			line = line_exact(c->yp, full);
	} else if (path[0] && line_exact(c->yp, path)) {
		line = line_exact(c->yp, path);
	}
	if (line)
		ipx_err("%s:%u: %s%s%s", c->yp->file, line, path, path[0] ? ": " : "",
			c->msg);
	else
		ipx_err("%s: %s%s%s", c->yp->file, path, path[0] ? ": " : "", c->msg);
	c->msg[0] = 0;
	c->nframes = 0;
}
