/*
 * swanctl.conf's syntax (swanctl_conf.h), read by hand.  The grammar, as
 * strongSwan 5.9's settings_lexer.l and settings_parser.y read it:
 *
 *   file      := statement*
 *   statement := include | section | setting
 *   include   := "include" [ \t]+ pattern         (not followed by '=')
 *   section   := NAME [':' refs] '{' statement* '}'
 *   refs      := absname (',' absname)*
 *   absname   := NAME ('.' NAME)*
 *   setting   := NAME '=' part*    ending at a newline, '#' or '}'
 *   part      := word | string     (a value's parts are joined by one space)
 *   NAME      := [^#{}:.,="\r\n\t ]+
 *   word      := [^#}"\r\n\t ]+
 *   string    := '"' (any | '\' any)* '"'   (may span lines; \n \r \t are
 *                those characters, '\' and a newline joins two lines, '\x'
 *                is x)
 *   pattern   := string | ([^"\#}\r\n\t ] | '\' ["#} ])+
 *   comment   := '#' to the end of the line, outside strings
 *
 * Blank lines, spaces, tabs and comments may stand between statements and
 * between a NAME and its '{', ':' or '='.  An include pattern is a glob,
 * relative to the including file's directory; the files it names join the
 * section the include stands in, in the order glob(3) sorts them, and each
 * must close the sections it opens.  The first syntax error in a file ends
 * its reading, as it ends strongSwan's.
 */
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "../config/cfgutil.h"
#include "swanctl_conf.h"

#define MAX_FILE (16u << 20)     /* bytes of one file */
#define MAX_LINES 999999u        /* a file's lines (the importer's marks) */
#define MAX_INCLUDE 10           /* includes within includes */
#define MAX_DEPTH 32             /* sections within sections */

/* ---- messages ---- */

static void vmsg(struct sw_conf *c, unsigned file, unsigned line, int level, const char *fmt,
		 va_list ap)
{
	struct sw_msg *v;
	char *text;

	if (level == IPX_LOG_ERR)
		c->errors++;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	v = realloc(c->msgs, (c->nmsgs + 1) * sizeof(*v));
	if (!v) {
		free(text);
		return;
	}
	c->msgs = v;
	v[c->nmsgs] = (struct sw_msg){ file, line, level, c->nmsgs, text };
	c->nmsgs++;
}

void sw_msg(struct sw_conf *c, unsigned file, unsigned line, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(c, file, line, level, fmt, ap);
	va_end(ap);
}

void sw_say(struct sw_conf *c, const struct sw_node *at, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(c, at ? at->file : 0, at ? at->line : 0, level, fmt, ap);
	va_end(ap);
}

/* ---- the tree ---- */

static void wipe_free(char *s)
{
	if (s)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void sw_node_free(struct sw_node *n)
{
	if (!n)
		return;
	for (unsigned i = 0; i < n->n; i++)
		sw_node_free(n->kids[i]);
	free(n->kids);
	for (unsigned i = 0; i < n->nrefs; i++)
		free(n->refs[i]);
	free(n->refs);
	free(n->name);
	wipe_free(n->value);
	free(n);
}

struct sw_node *sw_get(const struct sw_node *sec, const char *name, unsigned *index)
{
	for (unsigned i = 0; sec && i < sec->n; i++)
		if (strcmp(sec->kids[i]->name, name) == 0) {
			if (index)
				*index = i;
			return sec->kids[i];
		}
	return NULL;
}

const char *sw_value(const struct sw_node *sec, const char *name)
{
	const struct sw_node *n = sw_get(sec, name, NULL);

	return n ? n->value : NULL;
}

struct sw_node *sw_take(struct sw_node *sec, unsigned i)
{
	struct sw_node *n;

	if (i >= sec->n)
		return NULL;
	n = sec->kids[i];
	memmove(&sec->kids[i], &sec->kids[i + 1], (sec->n - i - 1) * sizeof(*sec->kids));
	sec->n--;
	return n;
}

void sw_del(struct sw_node *sec, unsigned i)
{
	sw_node_free(sw_take(sec, i));
}

static int append(struct sw_node *sec, struct sw_node *n)
{
	if (sec->n == sec->cap) {
		unsigned cap = sec->cap ? sec->cap * 2 : 8;
		struct sw_node **v = realloc(sec->kids, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sec->kids = v;
		sec->cap = cap;
	}
	sec->kids[sec->n++] = n;
	return 0;
}

static struct sw_node *new_node(const char *name, const char *value, unsigned file,
				unsigned line)
{
	struct sw_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strdup(name);
	n->value = value ? strdup(value) : NULL;
	n->file = file;
	n->line = line;
	if (!n->name || (value && !n->value)) {
		sw_node_free(n);
		return NULL;
	}
	return n;
}

static struct sw_node *add_at(struct sw_node *sec, const char *name, const char *value,
			      const struct sw_node *at)
{
	struct sw_node *n = new_node(name, value, at ? at->file : 0, at ? at->line : 0);

	if (n && append(sec, n) < 0) {
		sw_node_free(n);
		n = NULL;
	}
	return n;
}

struct sw_node *sw_add(struct sw_node *sec, const char *name, const char *value,
		       const struct sw_node *at)
{
	return add_at(sec, name, value ? value : "", at);
}

struct sw_node *sw_add_section(struct sw_node *sec, const char *name, const struct sw_node *at)
{
	return add_at(sec, name, NULL, at);
}

int sw_set(struct sw_node *n, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	wipe_free(n->value);
	n->value = v;
	return 0;
}

/* ---- text ---- */

/* One file being read. */
struct src {
	struct sw_conf *c;
	unsigned file;
	const char *p, *end;
	unsigned line;
	int includes;          /* how deep in includes this file is */
	bool failed;
};

static int peek(const struct src *s)
{
	return s->p < s->end ? (unsigned char)*s->p : EOF;
}

static void syntax(struct src *s, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void syntax(struct src *s, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(s->c, s->file, line, IPX_LOG_ERR, fmt, ap);
	va_end(ap);
	s->failed = true;
}

static void newline(struct src *s)
{
	if (++s->line > MAX_LINES && !s->failed)
		syntax(s, s->line, "more than %u lines: not a swanctl.conf", MAX_LINES);
}

/* Blanks, newlines and comments: the next character. */
static int skip_blank(struct src *s)
{
	for (int ch; (ch = peek(s)) != EOF; s->p++) {
		if (ch == '\n') {
			newline(s);
		} else if (ch == '#') {
			while (s->p + 1 < s->end && s->p[1] != '\n')
				s->p++;
		} else if (ch != ' ' && ch != '\t' && ch != '\r') {
			return ch;
		}
	}
	return EOF;
}

static bool name_char(int ch)
{
	return ch != EOF && !strchr("#{}:.,=\"\r\n\t ", ch);
}

static char *take_name(struct src *s)
{
	const char *start = s->p;

	while (name_char(peek(s)))
		s->p++;
	return strndup(start, (size_t)(s->p - start));
}

/* A quoted string, at its opening '"', appended to b. */
static int string(struct src *s, struct cfg_secbuf *b)
{
	unsigned first = s->line;

	for (s->p++; s->p < s->end; s->p++) {
		char ch = *s->p, out;

		if (ch == '"') {
			s->p++;
			return cfg_secbuf_add(b, "", 0);
		}
		if (ch == '\r')
			continue;
		if (ch == '\n')
			newline(s);
		out = ch;
		if (ch == '\\') {
			if (++s->p == s->end)
				break;
			ch = *s->p;
			if (ch == '\r' && s->p + 1 < s->end && s->p[1] == '\n')
				ch = *++s->p;
			if (ch == '\n') {   /* the line goes on on the next */
				newline(s);
				continue;
			}
			out = ch == 'n' ? '\n' : ch == 'r' ? '\r' : ch == 't' ? '\t' : ch;
		}
		if (cfg_secbuf_add(b, &out, 1) < 0)
			return -ENOMEM;
	}
	syntax(s, first, "the string opened on this line is not closed");
	return -EINVAL;
}

/* A setting's value, after its '='. */
static int value(struct src *s, struct cfg_secbuf *b)
{
	for (int ch; (ch = peek(s)) != EOF;) {
		if (ch == '\n') {
			newline(s);
			s->p++;
			break;
		}
		if (ch == '#' || ch == '}')
			break;
		if (ch == ' ' || ch == '\t' || ch == '\r') {
			s->p++;
			continue;
		}
		if (b->n && cfg_secbuf_add(b, " ", 1) < 0)
			return -ENOMEM;
		if (ch == '"') {
			if (string(s, b) < 0)
				return -EINVAL;
			continue;
		}
		{
			const char *start = s->p;

			while ((ch = peek(s)) != EOF && !strchr("#}\"\r\n\t ", ch))
				s->p++;
			if (cfg_secbuf_add(b, start, (size_t)(s->p - start)) < 0)
				return -ENOMEM;
		}
	}
	return cfg_secbuf_add(b, "", 0);
}

static int statements(struct src *s, struct sw_node *sec, int depth);
static int read_file(struct sw_conf *c, const char *path, struct sw_node *into, int includes,
		     unsigned from_file, unsigned from_line);

/* include PATTERN, after the word include. */
static int include(struct src *s, struct sw_node *sec, unsigned line)
{
	struct cfg_secbuf pat = { 0 };
	char *dir, *full = NULL;
	glob_t g = { 0 };
	int ret = 0, ch;

	while (peek(s) == ' ' || peek(s) == '\t')
		s->p++;
	if (peek(s) == '"') {
		if (string(s, &pat) < 0)
			return -EINVAL;
	} else {
		while ((ch = peek(s)) != EOF && !strchr("#}\r\n\t ", ch)) {
			if (ch == '\\' && s->p + 1 < s->end && strchr("\"#} ", s->p[1]))
				s->p++;
			if (cfg_secbuf_add(&pat, s->p++, 1) < 0)
				return -ENOMEM;
		}
	}
	while (peek(s) == ' ' || peek(s) == '\t' || peek(s) == '\r')
		s->p++;
	if ((ch = peek(s)) != EOF && ch != '\n' && ch != '#' && ch != '}') {
		syntax(s, line, "one file name or pattern per include");
		cfg_secbuf_free(&pat);
		return -EINVAL;
	}
	if (!pat.n) {
		syntax(s, line, "include without a file name");
		cfg_secbuf_free(&pat);
		return -EINVAL;
	}
	if (s->includes >= MAX_INCLUDE) {
		syntax(s, line, "includes nested more than %d deep (does a file include itself?)",
		       MAX_INCLUDE);
		cfg_secbuf_free(&pat);
		return -EINVAL;
	}
	/* relative to the directory of the file the include is in */
	dir = strdup(s->c->files[s->file]);
	if (dir && strrchr(dir, '/'))
		*strrchr(dir, '/') = 0;
	else if (dir)
		strcpy(dir, ".");
	if (!dir || (pat.s[0] != '/' && asprintf(&full, "%s/%s", dir, pat.s) < 0)) {
		free(dir);
		cfg_secbuf_free(&pat);
		return -ENOMEM;
	}
	ret = glob(full ? full : pat.s, 0, NULL, &g);
	if (ret == GLOB_NOMATCH && !strpbrk(pat.s, "*?[")) {
		sw_msg(s->c, s->file, line, IPX_LOG_ERR, "include %s: %s", full ? full : pat.s,
		       strerror(ENOENT));
		ret = -EINVAL;
	} else if (ret == GLOB_NOMATCH) {
		sw_msg(s->c, s->file, line, IPX_LOG_INFO, "include %s: no file matches",
		       full ? full : pat.s);
		ret = 0;
	} else if (ret) {
		sw_msg(s->c, s->file, line, IPX_LOG_ERR, "include %s: cannot list it",
		       full ? full : pat.s);
		ret = -EINVAL;
	} else {
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (read_file(s->c, g.gl_pathv[i], sec, s->includes + 1, s->file, line) < 0)
				ret = -EINVAL;
	}
	globfree(&g);
	free(full);
	free(dir);
	cfg_secbuf_free(&pat);
	return ret;
}

/* `: a, b.c` before a section's '{'. */
static int refs(struct src *s, struct sw_node *sec, unsigned line)
{
	s->p++;   /* ':' */
	sec->ref_file = s->file;
	sec->ref_line = line;
	for (;;) {
		const char *start;
		char **v;
		int ch = skip_blank(s);

		start = s->p;
		while ((ch = peek(s)) != EOF && (name_char(ch) || ch == '.'))
			s->p++;
		if (s->p == start || start[0] == '.' || s->p[-1] == '.') {
			syntax(s, s->line, "expected the name of a section to inherit from");
			return -EINVAL;
		}
		v = realloc(sec->refs, (sec->nrefs + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		sec->refs = v;
		v[sec->nrefs] = strndup(start, (size_t)(s->p - start));
		if (!v[sec->nrefs])
			return -ENOMEM;
		sec->nrefs++;
		if (skip_blank(s) != ',')
			return 0;
		s->p++;
	}
}

/* NAME { ... }, after NAME: the section (merged with one of that name). */
static int section(struct src *s, struct sw_node *sec, char *name, unsigned line, int depth)
{
	struct sw_node *n = sw_get(sec, name, NULL);

	if (n && n->value) {
		syntax(s, line, "'%s' is a section here, a setting on %s:%u", name,
		       s->c->files[n->file], n->line);
		return -EINVAL;
	}
	if (!n) {
		n = new_node(name, NULL, s->file, line);
		if (!n || append(sec, n) < 0) {
			sw_node_free(n);
			return -ENOMEM;
		}
	}
	if (depth >= MAX_DEPTH) {
		syntax(s, line, "sections nested more than %d deep", MAX_DEPTH);
		return -EINVAL;
	}
	if (peek(s) == ':' && refs(s, n, line) < 0)
		return -EINVAL;
	if (skip_blank(s) != '{') {
		syntax(s, s->line, "expected '{' to open section '%s'", name);
		return -EINVAL;
	}
	s->p++;
	return statements(s, n, depth + 1);
}

/* NAME = value, after the '=': a new value replaces one given before. */
static int setting(struct src *s, struct sw_node *sec, char *name, unsigned line)
{
	struct sw_node *n = sw_get(sec, name, NULL);
	struct cfg_secbuf b = { 0 };
	int ret;

	s->p++;   /* '=' */
	ret = value(s, &b);
	if (ret < 0) {
		cfg_secbuf_free(&b);
		return ret;
	}
	if (n && !n->value) {
		syntax(s, line, "'%s' is a setting here, a section on %s:%u", name,
		       s->c->files[n->file], n->line);
	} else if (n) {
		sw_msg(s->c, s->file, line, IPX_LOG_INFO,
		       "'%s' given again (first on %s:%u): this value counts, as in swanctl", name,
		       s->c->files[n->file], n->line);
		wipe_free(n->value);
		n->value = b.s;
		n->file = s->file;
		n->line = line;
		return 0;
	} else {
		n = new_node(name, "", s->file, line);
		if (n && append(sec, n) == 0) {
			wipe_free(n->value);
			n->value = b.s;
			return 0;
		}
		sw_node_free(n);
		ret = -ENOMEM;
	}
	cfg_secbuf_free(&b);
	return s->failed ? -EINVAL : ret;
}

static int statement(struct src *s, struct sw_node *sec, int depth)
{
	unsigned line = s->line;
	char *name;
	int ch = peek(s), ret;

	if (!name_char(ch)) {
		if (ch == '"')
			syntax(s, line, "a quoted string where a name is expected");
		else
			syntax(s, line, "expected a name, not '%c'", ch);
		return -EINVAL;
	}
	name = take_name(s);
	if (!name)
		return -ENOMEM;
	if (strcmp(name, "include") == 0 && (peek(s) == ' ' || peek(s) == '\t')) {
		const char *q = s->p;

		while (q < s->end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < s->end && *q != '=') {
			free(name);
			return include(s, sec, line);
		}
	}
	ch = skip_blank(s);
	if (ch == '{' || ch == ':')
		ret = section(s, sec, name, line, depth);
	else if (ch == '=')
		ret = setting(s, sec, name, line);
	else {
		syntax(s, line, "'%s' needs '=' and a value (a setting) or '{' (a section)", name);
		ret = -EINVAL;
	}
	free(name);
	return ret;
}

/* Statements up to the '}' that closes sec (depth > 0) or the file's end. */
static int statements(struct src *s, struct sw_node *sec, int depth)
{
	unsigned open_line = s->line;

	for (;;) {
		int ch = skip_blank(s);

		if (s->failed)
			return -EINVAL;
		if (ch == EOF) {
			if (depth == 0)
				return 0;
			syntax(s, open_line, "section '%s' is not closed by the end of the file",
			       sec->name);
			return -EINVAL;
		}
		if (ch == '}') {
			if (depth == 0) {
				syntax(s, s->line, "'}' without a section to close");
				return -EINVAL;
			}
			s->p++;
			return 0;
		}
		if (statement(s, sec, depth) < 0)
			return -EINVAL;
	}
}

static int slurp(const char *path, char **out, size_t *len, const char **why)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char *b;

	*why = NULL;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_FILE) {
		*why = S_ISDIR(st.st_mode) ? "a directory" : "not a regular file of at most 16 MiB";
		fclose(f);
		return -EINVAL;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(b, 1, (size_t)st.st_size, f);
	b[*len] = 0;
	fclose(f);
	*out = b;
	return 0;
}

/* The line of the first byte that is not UTF-8 (YAML is), or 0. */
static unsigned not_utf8(const unsigned char *p, size_t n)
{
	unsigned line = 1;

	for (size_t i = 0; i < n;) {
		unsigned char b = p[i];
		size_t k = b < 0x80 ? 0 : (b & 0xe0) == 0xc0 ? 1 : (b & 0xf0) == 0xe0 ? 2 :
			   (b & 0xf8) == 0xf0 ? 3 : 9;

		if (b == '\n')
			line++;
		if (k == 9 || (k == 1 && b < 0xc2) || i + k >= n + (k ? 0 : 1))
			return line;
		for (size_t j = 1; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return line;
		i += k + 1;
	}
	return 0;
}

static int read_file(struct sw_conf *c, const char *path, struct sw_node *into, int includes,
		     unsigned from_file, unsigned from_line)
{
	struct src s = { .c = c, .line = 1, .includes = includes };
	const char *why;
	char *text = NULL, **v;
	size_t len = 0;
	int ret;

	v = realloc(c->files, (c->nfiles + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->files = v;
	v[c->nfiles] = strdup(path);
	if (!v[c->nfiles])
		return -ENOMEM;
	s.file = c->nfiles++;
	ret = slurp(path, &text, &len, &why);
	if (ret < 0) {
		if (c->nfiles == 1 || from_line == 0)
			sw_msg(c, s.file, 0, IPX_LOG_ERR, "cannot read it: %s",
			       why ? why : strerror(-ret));
		else
			sw_msg(c, from_file, from_line, IPX_LOG_ERR, "include %s: %s", path,
			       why ? why : strerror(-ret));
		return -EINVAL;
	}
	s.p = text;
	s.end = text + len;
	if (memchr(text, 0, len))
		syntax(&s, 0, "a NUL byte: not a text file");
	else if (not_utf8((const unsigned char *)text, len))
		syntax(&s, not_utf8((const unsigned char *)text, len), "not UTF-8 text");
	else
		ret = statements(&s, into, 0);
	OPENSSL_cleanse(text, len);
	free(text);
	return s.failed ? -EINVAL : ret;
}

int sw_conf_read(struct sw_conf *c, const char *file)
{
	unsigned errors = c->errors;

	if (!c->root.name && !(c->root.name = strdup("")))
		return -ENOMEM;
	return read_file(c, file, &c->root, 0, 0, 0) < 0 || c->errors > errors ? -EINVAL : 0;
}

/* ---- references ---- */

static struct sw_node *copy(const struct sw_node *n)
{
	struct sw_node *d = new_node(n->name, n->value, n->file, n->line);

	if (!d)
		return NULL;
	d->state = 2;   /* what it inherits is in it already */
	for (unsigned i = 0; i < n->n; i++) {
		struct sw_node *k = copy(n->kids[i]);

		if (!k || append(d, k) < 0) {
			sw_node_free(k);
			sw_node_free(d);
			return NULL;
		}
	}
	return d;
}

/* What src has and dst does not, after dst's own (strongswan.conf(5)). */
static int inherit(struct sw_node *dst, const struct sw_node *src)
{
	for (unsigned i = 0; i < src->n; i++) {
		const struct sw_node *k = src->kids[i];
		struct sw_node *have = sw_get(dst, k->name, NULL), *d;

		if (have) {
			if (!have->value && !k->value && inherit(have, k) < 0)
				return -ENOMEM;
			continue;
		}
		d = copy(k);
		if (!d || append(dst, d) < 0) {
			sw_node_free(d);
			return -ENOMEM;
		}
	}
	return 0;
}

static struct sw_node *lookup(struct sw_conf *c, const char *abs)
{
	struct sw_node *n = &c->root;
	char *dup = strdup(abs), *save = NULL;

	if (!dup)
		return NULL;
	for (char *t = strtok_r(dup, ".", &save); n && t; t = strtok_r(NULL, ".", &save))
		n = sw_get(n, t, NULL);
	free(dup);
	return n && !n->value && n != &c->root ? n : NULL;
}

static int resolve(struct sw_conf *c, struct sw_node *sec)
{
	if (sec->state == 2 || sec->value)
		return 0;
	if (sec->state == 1) {
		sw_msg(c, sec->ref_file, sec->ref_line, IPX_LOG_ERR,
		       "'%s' inherits from itself (through the sections it names)", sec->name);
		return -EINVAL;
	}
	sec->state = 1;
	for (unsigned i = 0; i < sec->nrefs; i++) {
		struct sw_node *r = lookup(c, sec->refs[i]);

		if (!r) {
			sw_msg(c, sec->ref_file, sec->ref_line, IPX_LOG_WARN,
			       "'%s' inherits from '%s', which is no section: nothing inherited",
			       sec->name, sec->refs[i]);
			continue;
		}
		r->referenced = true;
		if (resolve(c, r) < 0 || inherit(sec, r) < 0)
			return -EINVAL;
	}
	for (unsigned i = 0; i < sec->n; i++)
		if (resolve(c, sec->kids[i]) < 0)
			return -EINVAL;
	sec->state = 2;
	return 0;
}

/* `key =` clears the key: its default applies (strongswan.conf(5)). */
static void drop_cleared(struct sw_node *sec)
{
	for (unsigned i = 0; i < sec->n;) {
		struct sw_node *k = sec->kids[i];

		if (k->value && !k->value[0]) {
			sw_del(sec, i);
			continue;
		}
		if (!k->value)
			drop_cleared(k);
		i++;
	}
}

int sw_conf_finish(struct sw_conf *c)
{
	if (resolve(c, &c->root) < 0)
		return -EINVAL;
	drop_cleared(&c->root);
	return c->errors ? -EINVAL : 0;
}

void sw_conf_free(struct sw_conf *c)
{
	for (unsigned i = 0; i < c->root.n; i++)
		sw_node_free(c->root.kids[i]);
	free(c->root.kids);
	free(c->root.name);
	for (unsigned i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	for (unsigned i = 0; i < c->nmsgs; i++)
		free(c->msgs[i].text);
	free(c->msgs);
	memset(c, 0, sizeof(*c));
}
