/* A YAML document walked against its libcyaml schema: every error at once. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "cfgutil.h"
#include "yamlcheck.h"

/* ---- the tree ---- */

static yaml_node_t *node(struct ycheck *yc, int id)
{
	return id > 0 ? yaml_document_get_node(&yc->doc, id) : NULL;
}

int ycheck_root(struct ycheck *yc)
{
	return yc->loaded && yaml_document_get_root_node(&yc->doc) ? 1 : 0;
}

const char *ycheck_scalar(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

bool ycheck_is_map(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);

	return n && n->type == YAML_MAPPING_NODE;
}

static bool is_seq(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);

	return n && n->type == YAML_SEQUENCE_NODE;
}

unsigned ycheck_line(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);

	return n ? (unsigned)n->start_mark.line + 1 : 0;
}

unsigned ycheck_pairs(struct ycheck *yc, int map)
{
	yaml_node_t *n = node(yc, map);

	if (!n || n->type != YAML_MAPPING_NODE)
		return 0;
	return (unsigned)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static yaml_node_pair_t *pair_at(struct ycheck *yc, int map, unsigned i)
{
	return i < ycheck_pairs(yc, map) ? &node(yc, map)->data.mapping.pairs.start[i] : NULL;
}

int ycheck_pair_key(struct ycheck *yc, int map, unsigned i)
{
	yaml_node_pair_t *p = pair_at(yc, map, i);

	return p ? p->key : 0;
}

int ycheck_pair_value(struct ycheck *yc, int map, unsigned i)
{
	yaml_node_pair_t *p = pair_at(yc, map, i);

	return p ? p->value : 0;
}

int ycheck_get(struct ycheck *yc, int map, const char *key, unsigned *pair)
{
	for (unsigned i = 0; i < ycheck_pairs(yc, map); i++) {
		const char *k = ycheck_scalar(yc, ycheck_pair_key(yc, map, i));

		if (k && strcmp(k, key) == 0) {
			if (pair)
				*pair = i;
			return ycheck_pair_value(yc, map, i);
		}
	}
	return 0;
}

void ycheck_del(struct ycheck *yc, int map, unsigned i)
{
	yaml_node_t *n = node(yc, map);
	unsigned np = ycheck_pairs(yc, map);

	if (i >= np)
		return;
	memmove(&n->data.mapping.pairs.start[i], &n->data.mapping.pairs.start[i + 1],
		(np - i - 1) * sizeof(yaml_node_pair_t));
	n->data.mapping.pairs.top--;
}

void ycheck_set(struct ycheck *yc, int map, unsigned i, int value)
{
	yaml_node_pair_t *p = pair_at(yc, map, i);

	if (p)
		p->value = value;
}

/* New nodes stand where `at` stands, so that their messages have its line. */
static void place(struct ycheck *yc, int id, int at)
{
	yaml_node_t *n = node(yc, id), *a = node(yc, at);

	if (n && a) {
		n->start_mark = a->start_mark;
		n->end_mark = a->end_mark;
	}
}

int ycheck_new_scalar(struct ycheck *yc, const char *text, int at)
{
	int id = yaml_document_add_scalar(&yc->doc, NULL, (const yaml_char_t *)text,
					  (int)strlen(text), YAML_ANY_SCALAR_STYLE);

	if (id)
		place(yc, id, at);
	return id;
}

static int new_seq(struct ycheck *yc, int at)
{
	int id = yaml_document_add_sequence(&yc->doc, NULL, YAML_ANY_SEQUENCE_STYLE);

	if (id)
		place(yc, id, at);
	return id;
}

static int new_map(struct ycheck *yc, int at)
{
	int id = yaml_document_add_mapping(&yc->doc, NULL, YAML_ANY_MAPPING_STYLE);

	if (id)
		place(yc, id, at);
	return id;
}

int ycheck_rename(struct ycheck *yc, int map, unsigned i, const char *key)
{
	int k;

	if (i >= ycheck_pairs(yc, map))
		return -EINVAL;
	k = ycheck_new_scalar(yc, key, ycheck_pair_key(yc, map, i));
	if (!k)
		return -ENOMEM;
	node(yc, map)->data.mapping.pairs.start[i].key = k;
	return 0;
}

int ycheck_add(struct ycheck *yc, int map, const char *key, int value, int at)
{
	int k = ycheck_new_scalar(yc, key, at);

	if (!k || !yaml_document_append_mapping_pair(&yc->doc, map, k, value))
		return -ENOMEM;
	return 0;
}

unsigned ycheck_items(struct ycheck *yc, int seq)
{
	yaml_node_t *n = node(yc, seq);

	if (!n || n->type != YAML_SEQUENCE_NODE)
		return 0;
	return (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
}

int ycheck_item(struct ycheck *yc, int seq, unsigned i)
{
	return i < ycheck_items(yc, seq) ? node(yc, seq)->data.sequence.items.start[i] : 0;
}

static void set_item(struct ycheck *yc, int seq, unsigned i, int value)
{
	if (i < ycheck_items(yc, seq))
		node(yc, seq)->data.sequence.items.start[i] = value;
}

int ycheck_named_list(struct ycheck *yc, int map, const char *name_key)
{
	unsigned np = ycheck_pairs(yc, map);
	int seq;

	if (!np)
		return 0;
	for (unsigned i = 0; i < np; i++)
		if (!ycheck_scalar(yc, ycheck_pair_key(yc, map, i)) ||
		    !ycheck_is_map(yc, ycheck_pair_value(yc, map, i)))
			return 0;
	seq = new_seq(yc, map);
	if (!seq)
		return 0;
	for (unsigned i = 0; i < np; i++) {
		int k = ycheck_pair_key(yc, map, i), v = ycheck_pair_value(yc, map, i);

		/* its name is its key, unless it gives one itself */
		if (!ycheck_get(yc, v, name_key, NULL) && ycheck_add(yc, v, name_key, k, k) < 0)
			return 0;
		if (!yaml_document_append_sequence_item(&yc->doc, seq, v))
			return 0;
	}
	return seq;
}

/* ---- messages ---- */

static void vreport(struct ycheck *yc, int level, const char *path, int id,
		    const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	yamlpos_log(yc->yp, level, path, ycheck_line(yc, id), msg);
}

void ycheck_error(struct ycheck *yc, const char *path, int id, const char *fmt, ...)
{
	va_list ap;

	yc->errors++;
	va_start(ap, fmt);
	vreport(yc, IPX_LOG_ERR, path, id, fmt, ap);
	va_end(ap);
}

void ycheck_warn(struct ycheck *yc, const char *path, int id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(yc, IPX_LOG_WARN, path, id, fmt, ap);
	va_end(ap);
}

void ycheck_note(struct ycheck *yc, const char *path, int id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(yc, IPX_LOG_INFO, path, id, fmt, ap);
	va_end(ap);
}

/* ---- suggestions ---- */

static char fold(char c)
{
	return c == '-' ? '_' : (char)tolower((unsigned char)c);
}

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of neighbours each cost 1. */
static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[48][48];

	if (la >= 48 || lb >= 48)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = fold(a[i - 1]) != fold(b[j - 1]);
			unsigned v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

const char *ycheck_suggest(const char *word, const char *const *cands, size_t n)
{
	/* a typo: one edit in a short word, two from 6 letters, three from 12 */
	size_t len = strlen(word);
	unsigned limit = len >= 12 ? 3 : len >= 6 ? 2 : 1, best = limit + 1;
	const char *pick = NULL;

	for (size_t i = 0; i < n; i++) {
		unsigned d = distance(word, cands[i]);

		if (d < best) {
			best = d;
			pick = cands[i];
		}
	}
	return pick;
}

/* ---- the schema in words ---- */

static const cyaml_schema_field_t *field(const cyaml_schema_field_t *f, const char *key)
{
	for (; f && f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static const char *level_name(const struct ycheck *yc, const cyaml_schema_field_t *f)
{
	for (const struct ycheck_level *l = yc->levels; l && l->fields; l++)
		if (l->fields == f)
			return l->name;
	return "this mapping";
}

/* The keys of a mapping as a list: "id, auth, certs", the first few. */
static void key_list(const cyaml_schema_field_t *f, char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	for (int k = 0; f && f->key && n < len; f++, k++) {
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "",
				      k < 4 ? f->key : "...");
		if (k == 4)
			break;
	}
}

static const char *scalar_word(const cyaml_schema_value_t *v)
{
	switch (v->type) {
	case CYAML_INT:
	case CYAML_UINT:
		return "a whole number";
	case CYAML_ENUM:
		return "one value";
	default:
		return "a single value";
	}
}

/* What the value of key should be, in words. */
static void expected(const struct ycheck *yc, const char *key, const cyaml_schema_value_t *v,
		     char *out, size_t len)
{
	char keys[256];

	for (const struct ycheck_noun *n = yc->nouns; n && n->key; n++)
		if (key && strcmp(n->key, key) == 0) {
			snprintf(out, len, "%s", n->what);
			return;
		}
	switch (v->type) {
	case CYAML_MAPPING:
		key_list(v->mapping.fields, keys, sizeof(keys));
		snprintf(out, len, "%s (a mapping: %s)", level_name(yc, v->mapping.fields), keys);
		break;
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		if (v->sequence.entry->type == CYAML_MAPPING)
			snprintf(out, len, "a list of mappings");
		else
			snprintf(out, len, "a list of values");
		break;
	default:
		snprintf(out, len, "%s", scalar_word(v));
	}
}

static const char *got_word(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);

	if (!n)
		return "nothing";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "a single value";
}

/* YAML's null: `key:` with nothing, `~`, `null`. */
static bool is_null(struct ycheck *yc, int id)
{
	yaml_node_t *n = node(yc, id);
	const char *s;

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* ---- the walk ---- */

static size_t push_key(struct ycheck *yc, const char *key)
{
	size_t n = strlen(yc->path);

	snprintf(yc->path + n, sizeof(yc->path) - n, "%s%s", n ? "." : "", key);
	return n;
}

static size_t push_index(struct ycheck *yc, unsigned i)
{
	size_t n = strlen(yc->path);

	snprintf(yc->path + n, sizeof(yc->path) - n, "[%u]", i);
	return n;
}

static void record(struct ycheck *yc, int id)
{
	if (yamlpos_add(yc->yp, yc->path, ycheck_line(yc, id)) < 0)
		ycheck_error(yc, yc->path, id, "out of memory");
}

/* "a, b, c" where a list is meant: a list of a, b and c. */
static int split(struct ycheck *yc, int id)
{
	const char *s = ycheck_scalar(yc, id);
	char *buf = s ? strdup(s) : NULL, *save = NULL;
	size_t len = buf ? strlen(buf) : 0;
	int seq = buf ? new_seq(yc, id) : 0;

	if (!seq) {
		free(buf);
		return 0;
	}
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *e = t + strlen(t);
		int v;

		while (*t == ' ' || *t == '\t')
			t++;
		while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (!*t)
			continue;
		v = ycheck_new_scalar(yc, t, id);
		if (!v || !yaml_document_append_sequence_item(&yc->doc, seq, v)) {
			seq = 0;
			break;
		}
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	return seq;
}

static bool check_number(struct ycheck *yc, const cyaml_schema_value_t *v, int id)
{
	const char *s = ycheck_scalar(yc, id);
	unsigned bits = v->data_size >= 8 ? 64 : v->data_size * 8;
	char *end;

	errno = 0;
	if (v->type == CYAML_UINT) {
		unsigned long long max = bits == 64 ? ~0ull : (1ull << bits) - 1, x;

		x = isdigit((unsigned char)s[0]) ? strtoull(s, &end, 0) : 0;
		if (!isdigit((unsigned char)s[0]) || *end || errno) {
			ycheck_error(yc, yc->path, id, "'%s' is not a whole number", s);
			return false;
		}
		if (x > max) {
			ycheck_error(yc, yc->path, id, "%s is above %llu", s, max);
			return false;
		}
	} else {
		long long max = bits == 64 ? INT64_MAX : (1ll << (bits - 1)) - 1, x;

		x = strtoll(s, &end, 0);
		if (end == s || *end || errno) {
			ycheck_error(yc, yc->path, id, "'%s' is not a whole number", s);
			return false;
		}
		if (x > max || x < -max - 1) {
			ycheck_error(yc, yc->path, id, "%s is outside %lld..%lld", s, -max - 1, max);
			return false;
		}
	}
	return true;
}

static bool check_enum(struct ycheck *yc, const cyaml_schema_value_t *v, int id)
{
	const char *s = ycheck_scalar(yc, id), *names[32];
	char list[256] = "";
	size_t n = 0, len = 0;

	for (uint32_t i = 0; i < v->enumeration.count; i++) {
		if (strcmp(s, v->enumeration.strings[i].str) == 0)
			return true;
		if (n < 32)
			names[n++] = v->enumeration.strings[i].str;
		len += (size_t)snprintf(list + len, len < sizeof(list) ? sizeof(list) - len : 0,
					"%s%s", i ? ", " : "", v->enumeration.strings[i].str);
	}
	if (!(v->flags & CYAML_FLAG_STRICT)) {
		/* libcyaml then takes a number too */
		char *end;

		errno = 0;
		(void)strtoll(s, &end, 0);
		if (end != s && !*end && !errno)
			return true;
	}
	{
		const char *near = ycheck_suggest(s, names, n);

		if (near)
			ycheck_error(yc, yc->path, id, "'%s' is not one of %s (did you mean '%s'?)",
				     s, list, near);
		else
			ycheck_error(yc, yc->path, id, "'%s' is not one of %s", s, list);
	}
	return false;
}

static bool check_scalar(struct ycheck *yc, const char *key, const cyaml_schema_value_t *v,
			 int id)
{
	const char *s = ycheck_scalar(yc, id);
	char want[320];
	size_t len;

	if (!s) {
		expected(yc, key, v, want, sizeof(want));
		/* [ ] in a plain value make a list: 10.2.0.0/16[tcp/443] */
		ycheck_error(yc, yc->path, id, "expected %s, not %s%s", want, got_word(yc, id),
			     is_seq(yc, id) && !key ? " (a value with [ ] in it needs quotes)" : "");
		return false;
	}
	if (is_null(yc, id)) {
		ycheck_error(yc, yc->path, id, "has no value");
		return false;
	}
	switch (v->type) {
	case CYAML_STRING:
		len = strlen(s);
		if (len < v->string.min) {
			if (len)
				ycheck_error(yc, yc->path, id, "is too short (at least %u characters)",
					     v->string.min);
			else
				ycheck_error(yc, yc->path, id, "is empty");
			return false;
		}
		if (len > v->string.max) {
			ycheck_error(yc, yc->path, id, "is too long (%zu characters, at most %u)",
				     len, v->string.max);
			return false;
		}
		return true;
	case CYAML_INT:
	case CYAML_UINT:
		return check_number(yc, v, id);
	case CYAML_ENUM:
		return check_enum(yc, v, id);
	default:
		return true;
	}
}

static bool walk_value(struct ycheck *yc, const char *key, const cyaml_schema_value_t *v,
		       int *id);

/* A stand-in for a value the walk took out, of the schema's type, so that
 * an entry keeps its place in a list and a required key is there. */
static int placeholder(struct ycheck *yc, const cyaml_schema_value_t *v, int at)
{
	char text[64];

	switch (v->type) {
	case CYAML_MAPPING:
		return new_map(yc, at);
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		return new_seq(yc, at);
	case CYAML_ENUM:
		return ycheck_new_scalar(yc, v->enumeration.strings[0].str, at);
	case CYAML_INT:
	case CYAML_UINT:
		return ycheck_new_scalar(yc, "0", at);
	default:
		/* unique: a required name must not repeat another */
		snprintf(text, sizeof(text), "%.*s", (int)(v->string.max < 63 ? v->string.max : 63),
			 yc->path);
		return ycheck_new_scalar(yc, text, at);
	}
}

static bool walk_seq(struct ycheck *yc, const char *key, const cyaml_schema_value_t *v,
		     int *id)
{
	const cyaml_schema_value_t *e = v->sequence.entry;
	unsigned n;

	if (ycheck_scalar(yc, *id) && !is_null(yc, *id) && e->type != CYAML_MAPPING &&
	    e->type != CYAML_SEQUENCE && e->type != CYAML_SEQUENCE_FIXED) {
		/* swanctl.conf's habit: one value, or several separated by commas */
		int seq = split(yc, *id);

		if (!seq) {
			ycheck_error(yc, yc->path, *id, "out of memory");
			return false;
		}
		*id = seq;
	}
	if (!is_seq(yc, *id)) {
		char want[320];

		expected(yc, key, v, want, sizeof(want));
		if (is_null(yc, *id))
			ycheck_error(yc, yc->path, *id, "has no value: expected %s ([] for none)", want);
		else
			ycheck_error(yc, yc->path, *id, "expected %s, not %s", want, got_word(yc, *id));
		return false;
	}
	n = ycheck_items(yc, *id);
	if (n > v->sequence.max) {
		ycheck_error(yc, yc->path, ycheck_item(yc, *id, v->sequence.max),
			     "%u entries, at most %u", n, v->sequence.max);
		node(yc, *id)->data.sequence.items.top -= n - v->sequence.max;
		n = v->sequence.max;
	}
	if (n < v->sequence.min) {
		ycheck_error(yc, yc->path, *id, "%u entries, at least %u", n, v->sequence.min);
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		size_t back = push_index(yc, i);
		int it = ycheck_item(yc, *id, i);

		record(yc, it);
		if (!walk_value(yc, NULL, e, &it)) {
			/* keep the entry's place (the loader's paths count
			 * entries) and say nothing more about it */
			yamlpos_quiet(yc->yp, yc->path);
			it = placeholder(yc, e, it);
			if (it && e->type == CYAML_MAPPING)
				walk_value(yc, NULL, e, &it);
		}
		set_item(yc, *id, i, it);
		yc->path[back] = 0;
	}
	return true;
}

/* The hint for key at this level: its own (exact), or one for keys that
 * start alike (prefix) and go on with '-' or a digit, as swanctl.conf's
 * <suffix>es do ("local-1", "cert2"): "local_addr" is a typo, not one. */
static const struct ycheck_hint *find_hint(const struct ycheck *yc,
					   const cyaml_schema_field_t *fields, const char *key,
					   bool prefix)
{
	for (const struct ycheck_hint *h = yc->hints; h && h->key; h++) {
		size_t n = strlen(h->key);

		if (h->where != fields)
			continue;
		if (!prefix && strcmp(h->key, key) == 0)
			return h;
		if (prefix && n && h->key[n - 1] == '*' && strncmp(h->key, key, n - 1) == 0 &&
		    (key[n - 1] == '-' || isdigit((unsigned char)key[n - 1])))
			return h;
	}
	return NULL;
}

static bool harmless(const char *list, const char *value)
{
	size_t n = value ? strlen(value) : 0;

	if (!list)
		return true;
	if (!value)
		return false;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, '|');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, value, n) == 0)
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* Another program's key: NULL when it is dropped (a note or an error
 * said why), else the field it is read as. */
static const cyaml_schema_field_t *hinted(struct ycheck *yc, const cyaml_schema_field_t *fields,
					  const struct ycheck_hint *h, int map, unsigned i)
{
	int k = ycheck_pair_key(yc, map, i), v = ycheck_pair_value(yc, map, i);
	const char *key = ycheck_scalar(yc, k);

	switch (h->kind & YC_KIND) {
	case YC_ALIAS:
		if (ycheck_get(yc, map, h->to, NULL)) {
			ycheck_error(yc, yc->path, k, "'%s' is another name for '%s', given as well: give one",
				     key, h->to);
			return NULL;
		}
		ycheck_note(yc, yc->path, k, "read as %s", h->to);
		if (ycheck_rename(yc, map, i, h->to) < 0)
			return NULL;
		return field(fields, h->to);
	case YC_IGNORE:
		if (harmless(h->harmless, ycheck_scalar(yc, v))) {
			ycheck_note(yc, yc->path, k, "ignored: %s", h->to);
			return NULL;
		}
		if (yc->lenient && (h->kind & YC_DROPPABLE))
			ycheck_warn(yc, yc->path, k, "'%s' is not carried over: %s",
				    ycheck_scalar(yc, v) ? ycheck_scalar(yc, v) : got_word(yc, v),
				    h->to);
		else
			ycheck_error(yc, yc->path, k, "'%s' is not supported: %s",
				     ycheck_scalar(yc, v) ? ycheck_scalar(yc, v) : got_word(yc, v),
				     h->to);
		return NULL;
	case YC_REFUSE:
	default:
		if (yc->lenient && (h->kind & YC_DROPPABLE))
			ycheck_warn(yc, yc->path, k, "not carried over: %s", h->to);
		else
			ycheck_error(yc, yc->path, k, "not supported: %s", h->to);
		return NULL;
	}
}

/* A key the level does not have: where it belongs, what a hint says of
 * keys like it, or the key it is a typo of. */
static void unknown_key(struct ycheck *yc, const cyaml_schema_field_t *fields, const char *key,
			int k)
{
	const char *cands[64], *near;
	const struct ycheck_hint *h;
	size_t n = 0;

	for (const struct ycheck_level *l = yc->levels; l && l->fields; l++)
		if (l->fields != fields && field(l->fields, key)) {
			ycheck_error(yc, yc->path, k, "unknown key '%s' in %s: it belongs in %s",
				     key, level_name(yc, fields), l->name);
			return;
		}
	h = find_hint(yc, fields, key, true);
	if (h) {
		ycheck_error(yc, yc->path, k, "unknown key '%s': %s", key, h->to);
		return;
	}
	for (const cyaml_schema_field_t *f = fields; f->key && n < 64; f++)
		cands[n++] = f->key;
	near = ycheck_suggest(key, cands, n);
	if (near)
		ycheck_error(yc, yc->path, k, "unknown key '%s' (did you mean '%s'?)", key, near);
	else
		ycheck_error(yc, yc->path, k, "unknown key '%s' in %s", key, level_name(yc, fields));
}

/* The field pair i of map is read as, or NULL (reported) to drop it. */
static const cyaml_schema_field_t *pair_field(struct ycheck *yc,
					      const cyaml_schema_field_t *fields, int map,
					      unsigned i)
{
	int k = ycheck_pair_key(yc, map, i);
	const char *key = ycheck_scalar(yc, k);
	const cyaml_schema_field_t *f;
	const struct ycheck_hint *h;

	if (!key) {
		ycheck_error(yc, yc->path, k, "a key must be a name, not %s", got_word(yc, k));
		return NULL;
	}
	f = field(fields, key);
	if (f)
		return f;
	h = find_hint(yc, fields, key, false);
	if (h) {
		size_t back = push_key(yc, key);

		f = hinted(yc, fields, h, map, i);
		yc->path[back] = 0;
		return f;
	}
	unknown_key(yc, fields, key, k);
	return NULL;
}

static bool walk_map(struct ycheck *yc, const cyaml_schema_field_t *fields, int map)
{
	size_t back;

	for (unsigned i = 0; i < ycheck_pairs(yc, map);) {
		const cyaml_schema_field_t *f = pair_field(yc, fields, map, i);
		unsigned first = i;
		int v;

		if (!f) {
			ycheck_del(yc, map, i);
			continue;
		}
		back = push_key(yc, f->key);
		ycheck_get(yc, map, f->key, &first);
		if (first < i) {
			ycheck_error(yc, yc->path, ycheck_pair_key(yc, map, i),
				     "given twice (first on line %u)",
				     ycheck_line(yc, ycheck_pair_key(yc, map, first)));
			yc->path[back] = 0;
			ycheck_del(yc, map, i);
			continue;
		}
		record(yc, ycheck_pair_key(yc, map, i));
		v = ycheck_pair_value(yc, map, i);
		if (!walk_value(yc, f->key, &f->value, &v)) {
			if (f->value.flags & CYAML_FLAG_OPTIONAL) {
				yc->path[back] = 0;
				ycheck_del(yc, map, i);
				continue;
			}
			/* required: a stand-in, and nothing more about it */
			yamlpos_quiet(yc->yp, yc->path);
			v = placeholder(yc, &f->value, v);
			if (!v)
				return false;
		}
		ycheck_set(yc, map, i, v);
		yc->path[back] = 0;
		i++;
	}
	for (const cyaml_schema_field_t *f = fields; f->key; f++) {
		int v;

		if ((f->value.flags & CYAML_FLAG_OPTIONAL) || ycheck_get(yc, map, f->key, NULL))
			continue;
		ycheck_error(yc, yc->path, map, "'%s' is missing", f->key);
		v = placeholder(yc, &f->value, map);
		if (!v || ycheck_add(yc, map, f->key, v, map) < 0)
			return false;
		/* nothing more about a stand-in */
		back = push_key(yc, f->key);
		yamlpos_quiet(yc->yp, yc->path);
		yc->path[back] = 0;
	}
	return true;
}

static bool walk_value(struct ycheck *yc, const char *key, const cyaml_schema_value_t *v,
		       int *id)
{
	char want[320];

	switch (v->type) {
	case CYAML_MAPPING:
		if (!ycheck_is_map(yc, *id)) {
			expected(yc, key, v, want, sizeof(want));
			ycheck_error(yc, yc->path, *id, "expected %s, not %s", want,
				     is_null(yc, *id) ? "nothing" : got_word(yc, *id));
			return false;
		}
		return walk_map(yc, v->mapping.fields, *id);
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED:
		return walk_seq(yc, key, v, id);
	case CYAML_IGNORE:
		return true;
	default:
		return check_scalar(yc, key, v, *id);
	}
}

unsigned ycheck_walk(struct ycheck *yc, const cyaml_schema_value_t *schema)
{
	int root = ycheck_root(yc);

	yc->path[0] = 0;
	if (!root)
		return yc->errors;
	if (!ycheck_is_map(yc, root)) {
		ycheck_error(yc, "", root, "expected a mapping of settings (key: value), not %s",
			     got_word(yc, root));
		return yc->errors;
	}
	walk_map(yc, schema->mapping.fields, root);
	return yc->errors;
}

/* ---- load, emit, free ---- */

int ycheck_load(struct ycheck *yc, const char *file, struct yamlpos *yp)
{
	yaml_parser_t parser;
	yaml_document_t more;
	FILE *fp;
	int ret;

	yc->file = file;
	yc->yp = yp;
	yc->loaded = false;
	yc->errors = 0;
	/* libyaml's event parser first: syntax errors with their line, and
	 * a bound on nesting before the tree is built */
	{
		bool in_order = yp->in_order;

		ret = yamlpos_load(yp, file);
		if (ret < 0)
			return ret;
		yamlpos_free(yp);
		yp->in_order = in_order;
	}
	fp = fopen(file, "r");
	if (!fp) {
		ret = -errno;
		ipx_err("%s: cannot open: %s", file, strerror(errno));
		return ret;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &yc->doc)) {
		ipx_err("%s:%zu: YAML error: %s", file, parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "unknown");
		ret = -EINVAL;
	} else {
		yc->loaded = true;
		if (yaml_parser_load(&parser, &more)) {
			yaml_node_t *r = yaml_document_get_root_node(&more);

			if (r) {
				ipx_err("%s:%zu: a second YAML document starts here: one only",
					file, r->start_mark.line + 1);
				ret = -EINVAL;
			}
			yaml_document_delete(&more);
		}
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return ret;
}

struct out {
	struct cfg_secbuf b;
	bool failed;
};

static int out_write(void *data, unsigned char *p, size_t n)
{
	struct out *o = data;

	if (cfg_secbuf_add(&o->b, p, n) < 0) {
		o->failed = true;
		return 0;
	}
	return 1;
}

struct emit {
	struct ycheck *yc;
	yaml_emitter_t em;
	unsigned *refs;
	bool *done;
	int n;
};

static void count_refs(struct emit *e, int id)
{
	yaml_node_t *n = node(e->yc, id);

	if (!n || ++e->refs[id] > 1)
		return;
	if (n->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++)
			count_refs(e, *i);
	else if (n->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			count_refs(e, p->key);
			count_refs(e, p->value);
		}
}

static bool emit_event(struct emit *e, yaml_event_t *ev, int ok)
{
	return ok && yaml_emitter_emit(&e->em, ev);
}

/* One node as events; a node reached twice (a YAML alias) is written
 * once with an anchor, then as an alias. */
static bool emit_node(struct emit *e, int id)
{
	yaml_node_t *n = node(e->yc, id);
	yaml_char_t anchor[16], *a = NULL;
	yaml_event_t ev;
	bool ok = true;

	if (!n)
		return false;
	if (e->refs[id] > 1) {
		snprintf((char *)anchor, sizeof(anchor), "n%d", id);
		if (e->done[id])
			return emit_event(e, &ev, yaml_alias_event_initialize(&ev, anchor));
		e->done[id] = true;
		a = anchor;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return emit_event(e, &ev, yaml_scalar_event_initialize(
			&ev, a, NULL, n->data.scalar.value, (int)n->data.scalar.length, 1, 1,
			n->data.scalar.style));
	case YAML_SEQUENCE_NODE:
		if (!emit_event(e, &ev, yaml_sequence_start_event_initialize(
				&ev, a, NULL, 1, YAML_ANY_SEQUENCE_STYLE)))
			return false;
		for (int i = 0; ok && i < (int)ycheck_items(e->yc, id); i++)
			ok = emit_node(e, ycheck_item(e->yc, id, (unsigned)i));
		return ok && emit_event(e, &ev, yaml_sequence_end_event_initialize(&ev));
	case YAML_MAPPING_NODE:
		if (!emit_event(e, &ev, yaml_mapping_start_event_initialize(
				&ev, a, NULL, 1, YAML_ANY_MAPPING_STYLE)))
			return false;
		for (unsigned i = 0; ok && i < ycheck_pairs(e->yc, id); i++)
			ok = emit_node(e, ycheck_pair_key(e->yc, id, i)) &&
			     emit_node(e, ycheck_pair_value(e->yc, id, i));
		return ok && emit_event(e, &ev, yaml_mapping_end_event_initialize(&ev));
	default:
		return false;
	}
}

int ycheck_emit(struct ycheck *yc, unsigned char **text, size_t *len)
{
	struct out o = { 0 };
	struct emit e = { .yc = yc };
	yaml_event_t ev;
	bool ok;

	*text = NULL;
	*len = 0;
	e.n = (int)(yc->doc.nodes.top - yc->doc.nodes.start);
	e.refs = calloc((size_t)e.n + 1, sizeof(*e.refs));
	e.done = calloc((size_t)e.n + 1, sizeof(*e.done));
	if (!e.refs || !e.done || !yaml_emitter_initialize(&e.em)) {
		free(e.refs);
		free(e.done);
		return -ENOMEM;
	}
	yaml_emitter_set_output(&e.em, out_write, &o);
	yaml_emitter_set_unicode(&e.em, 1);
	yaml_emitter_set_width(&e.em, -1);
	if (ycheck_root(yc))
		count_refs(&e, 1);
	ok = emit_event(&e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) &&
	     emit_event(&e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1)) &&
	     (!ycheck_root(yc) || emit_node(&e, 1)) &&
	     emit_event(&e, &ev, yaml_document_end_event_initialize(&ev, 1)) &&
	     emit_event(&e, &ev, yaml_stream_end_event_initialize(&ev));
	/* the text may hold a PSK: so may the emitter's buffer */
	if (e.em.buffer.start)
		OPENSSL_cleanse(e.em.buffer.start, (size_t)(e.em.buffer.end - e.em.buffer.start));
	yaml_emitter_delete(&e.em);
	free(e.refs);
	free(e.done);
	if (!ok || o.failed) {
		cfg_secbuf_free(&o.b);
		return -ENOMEM;
	}
	*text = (unsigned char *)o.b.s;
	*len = o.b.n;
	return 0;
}

void ycheck_free_text(unsigned char *text, size_t len)
{
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
}

void ycheck_free(struct ycheck *yc)
{
	if (!yc->loaded)
		return;
	for (yaml_node_t *n = yc->doc.nodes.start; n < yc->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE)
			OPENSSL_cleanse(n->data.scalar.value, n->data.scalar.length);
	yaml_document_delete(&yc->doc);
	yc->loaded = false;
}

static void cyaml_quiet(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	(void)level;
	(void)ctx;
	(void)fmt;
	(void)args;
}

int ycheck_cyaml_doc(struct ycheck *yc, void (*rewrite)(struct ycheck *yc),
		     const cyaml_schema_value_t *schema, void **out)
{
	struct yamlpos_cyaml lc = { .yp = yc->yp, .index_lines = true };
	cyaml_config_t ccfg = {
		.log_fn = yamlpos_cyaml_log,
		.log_ctx = &lc,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
	};
	unsigned char *text = NULL;
	size_t len = 0;
	cyaml_err_t cerr;
	int ret;

	*out = NULL;
	if (rewrite)
		rewrite(yc);
	ycheck_walk(yc, schema);
	if (!ycheck_is_map(yc, ycheck_root(yc)))
		return -EINVAL;
	ret = ycheck_emit(yc, &text, &len);
	if (ret < 0)
		return ret;
	/* after a mistake, what libcyaml may still say is about the stand-ins */
	if (yc->errors)
		ccfg.log_fn = cyaml_quiet;
	cerr = cyaml_load_data(text, len, &ccfg, schema, (cyaml_data_t **)out, NULL);
	yamlpos_cyaml_flush(&lc);
	if (cerr != CYAML_OK) {
		/* the walk lets nothing through that libcyaml refuses: this is
		 * a gap in it, said as well as libcyaml's words allow */
		if (!lc.errors && !yc->errors)
			ipx_err("%s: %s", yc->file, cyaml_strerror(cerr));
		*out = NULL;
		ret = -EINVAL;
	} else if (yc->errors) {
		ret = -EINVAL;
	}
	ycheck_free_text(text, len);
	return ret;
}

int ycheck_cyaml_load(struct ycheck *yc, const char *file, struct yamlpos *yp,
		      void (*rewrite)(struct ycheck *yc), const cyaml_schema_value_t *schema,
		      void **out)
{
	int ret;

	*out = NULL;
	ret = ycheck_load(yc, file, yp);
	if (ret == 0 && !ycheck_root(yc)) {
		ipx_err("%s: empty: expected a YAML mapping", file);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = ycheck_cyaml_doc(yc, rewrite, schema, out);
	ycheck_free(yc);
	return ret;
}
