/*
 * A YAML file checked against its libcyaml schema before libcyaml reads
 * it.  libcyaml stops at its first error and words it for a programmer
 * ("Expecting SEQUENCE, got event: SCALAR"); this walks the whole document
 * (libyaml's node tree) against the same schema, so that the keys are not
 * listed twice, and reports every mistake at once as "FILE:LINE: KEY:
 * message": an unknown key with the nearest valid one, an enum value with
 * the valid ones, a type in words.  Each mistake is taken out of the tree
 * (or replaced by a placeholder) so that libcyaml can still load the rest
 * and the loader's own checks report their errors as well.
 *
 * On the way it accepts a single value where a list is meant (split at
 * commas, as swanctl.conf's lists), renames, notes or refuses the keys of
 * a hint table (another program's names for the same thing), and records
 * the line of every key for the loader's later messages (struct yamlpos).
 */
#ifndef IPSECFX_YAMLCHECK_H
#define IPSECFX_YAMLCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "yamlpos.h"

enum ycheck_hint_kind {
	YC_ALIAS,    /* read as the key `to` (a note says so) */
	YC_IGNORE,   /* dropped with the note `to`, if the value is one of
		      * `harmless` ("|"-separated; NULL: any), else refused */
	YC_REFUSE,   /* an error: "not supported: `to`" */
	YC_KIND = 3,
	/* or'ed into YC_IGNORE or YC_REFUSE: leaving the key out changes
	 * neither who may connect nor which traffic is protected how (a
	 * kernel setting, a preference), so that a translator's walk (struct
	 * ycheck's lenient) drops it with a warning instead of an error */
	YC_DROPPABLE = 4,
};

/* Another program's key at one level of the schema (the mapping whose
 * fields are `where`).  A key ending in '*' matches every key with that
 * prefix that is not a field of the level. */
struct ycheck_hint {
	const cyaml_schema_field_t *where;
	const char *key;
	enum ycheck_hint_kind kind;
	const char *to;
	const char *harmless;
};

/* A mapping of the schema in words ("a connection"), and what a value is
 * when its schema alone says too little ("a list of addresses"). */
struct ycheck_level {
	const cyaml_schema_field_t *fields;
	const char *name;
};
struct ycheck_noun {
	const char *key;
	const char *what;
};

struct ycheck {
	const char *file;
	yaml_document_t doc;
	bool loaded;
	struct yamlpos *yp;          /* filled by ycheck_walk */
	const struct ycheck_hint *hints;     /* ended by a NULL key */
	const struct ycheck_level *levels;   /* ended by NULL fields */
	const struct ycheck_noun *nouns;     /* ended by a NULL key */
	/* a translator's walk (ipsecfx import-swanctl): a refused hint that
	 * is YC_DROPPABLE is a warning ("not carried over"), and its key goes */
	bool lenient;
	unsigned errors;
	char path[512];
};

/* Parse FILE into yc->doc (YAML syntax errors and nesting deeper than the
 * index allows are reported with their line).  0, -EINVAL or -errno; an
 * empty document loads with no root node (ycheck_root() == 0). */
int ycheck_load(struct ycheck *yc, const char *file, struct yamlpos *yp);
/* Check the document against the schema (a mapping), reporting and taking
 * out every mistake; fills yc->yp.  The number of errors. */
unsigned ycheck_walk(struct ycheck *yc, const cyaml_schema_value_t *schema);
/* The document as YAML text for cyaml_load_data (wipe it with
 * ycheck_free_text); the document itself stays.  0 or -ENOMEM. */
int ycheck_emit(struct ycheck *yc, unsigned char **text, size_t *len);
void ycheck_free_text(unsigned char *text, size_t len);
/* Wipes every scalar (a PSK may be one) and frees the document. */
void ycheck_free(struct ycheck *yc);

/*
 * All of it: load FILE, let rewrite (may be NULL) change the tree, walk
 * it against the schema, and load what is left with libcyaml into *out.
 * *out is NULL when nothing could be loaded; the return value is -EINVAL
 * when a mistake was reported even so, so that the loader's own checks of
 * *out can report theirs before the file is refused.  The caller sets
 * yc's tables, and frees *out with cyaml_free and yp with yamlpos_free.
 */
int ycheck_cyaml_load(struct ycheck *yc, const char *file, struct yamlpos *yp,
		      void (*rewrite)(struct ycheck *yc), const cyaml_schema_value_t *schema,
		      void **out);
/* The same from rewrite on, for a document the caller built in yc->doc
 * (yc->loaded, yc->file and yc->yp set; its marks are its lines).  The
 * document stays, as the walk left it: what libcyaml was given. */
int ycheck_cyaml_doc(struct ycheck *yc, void (*rewrite)(struct ycheck *yc),
		     const cyaml_schema_value_t *schema, void **out);

/* ---- the tree, for a loader's own rewriting before ycheck_walk ---- */

int ycheck_root(struct ycheck *yc);
/* The scalar's text, or NULL when the node is not a scalar. */
const char *ycheck_scalar(struct ycheck *yc, int node);
bool ycheck_is_map(struct ycheck *yc, int node);
unsigned ycheck_line(struct ycheck *yc, int node);
/* The value of key in the mapping (0: none); *pair its index. */
int ycheck_get(struct ycheck *yc, int map, const char *key, unsigned *pair);
/* The key and value nodes of the mapping's pair i (0 when out of range). */
int ycheck_pair_key(struct ycheck *yc, int map, unsigned i);
int ycheck_pair_value(struct ycheck *yc, int map, unsigned i);
unsigned ycheck_pairs(struct ycheck *yc, int map);
/* A list's length (0 when the node is not a list) and its entry i. */
unsigned ycheck_items(struct ycheck *yc, int seq);
int ycheck_item(struct ycheck *yc, int seq, unsigned i);
void ycheck_del(struct ycheck *yc, int map, unsigned pair);
/* Append key: value, the new key standing at the line of the node `at`.
 * 0 or -ENOMEM. */
int ycheck_add(struct ycheck *yc, int map, const char *key, int value, int at);
/* A new scalar standing where `at` stands; 0 on failure. */
int ycheck_new_scalar(struct ycheck *yc, const char *text, int at);
/* A mapping of name -> mapping turned into a list of those mappings,
 * each given `name: <its key>` unless it has a name (swanctl.conf's
 * layout).  The new list, or
 * 0 when the node is not such a mapping. */
int ycheck_named_list(struct ycheck *yc, int map, const char *name_key);
/* Make the pair's value node `value`. */
void ycheck_set(struct ycheck *yc, int map, unsigned pair, int value);
/* Give the pair another key, standing where the old one stood.  0 or
 * -ENOMEM. */
int ycheck_rename(struct ycheck *yc, int map, unsigned pair, const char *key);

/* Errors and notes at a node, before the index exists: "FILE:LINE: PATH:
 * message".  ycheck_error counts into yc->errors. */
void ycheck_error(struct ycheck *yc, const char *path, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ycheck_warn(struct ycheck *yc, const char *path, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void ycheck_note(struct ycheck *yc, const char *path, int node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The candidate nearest to word (edit distance, '-' read as '_', case
 * ignored), or NULL when none is near enough to be a typo of it. */
const char *ycheck_suggest(const char *word, const char *const *cands, size_t n);

#endif
