/*
 * swanctl.conf read into a tree, for ipsecfx import-swanctl.  The format is
 * strongSwan's settings syntax (strongswan.conf(5): SYNTAX, REFERENCING
 * OTHER SECTIONS, INCLUDING FILES), the grammar at the top of
 * swanctl_conf.c; no Debian library reads it.  What strongSwan does with a
 * file, this does: included files join the section the include stands in,
 * a section given twice is one section, a setting given again replaces the
 * value, `name : a, b.c {` inherits what it does not set itself, and an
 * empty value (`key =`) clears the key.  Every node keeps its file and
 * line, and every message names them.
 */
#ifndef IPSECFX_SWANCTL_CONF_H
#define IPSECFX_SWANCTL_CONF_H

#include <stdbool.h>

struct sw_node {
	char *name;
	char *value;            /* a setting's; NULL for a section */
	unsigned file, line;    /* where it stands: sw_conf.files[file] */
	struct sw_node **kids;  /* a section's settings and sections, in order */
	unsigned n, cap;
	char **refs;            /* `name : refs {` (absolute names) */
	unsigned nrefs;
	unsigned ref_file, ref_line;
	bool referenced;        /* another section inherits from it */
	int state;              /* reference resolution: 0, 1 under way, 2 done */
};

struct sw_msg {
	unsigned file, line;    /* line 0: the whole file */
	int level;              /* IPX_LOG_ERR, _WARN, _INFO */
	unsigned seq;           /* the order said in */
	char *text;
};

struct sw_conf {
	struct sw_node root;
	char **files;           /* every file read, as named (the first: 0) */
	unsigned nfiles;
	struct sw_msg *msgs;    /* what was said, in the order said */
	unsigned nmsgs, errors;
};

/* Read file (and what it includes) into c->root: a second call (--secrets)
 * adds to what the first read.  0, or -EINVAL after errors (c->errors). */
int sw_conf_read(struct sw_conf *c, const char *file);
/* Inherit what references name and drop cleared settings; call once,
 * after the last sw_conf_read.  0 or -EINVAL. */
int sw_conf_finish(struct sw_conf *c);
/* Wipes every value (secrets are among them) and frees everything. */
void sw_conf_free(struct sw_conf *c);

void sw_msg(struct sw_conf *c, unsigned file, unsigned line, int level, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The same, at a node's place. */
void sw_say(struct sw_conf *c, const struct sw_node *at, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the tree ---- */

/* A section's kid by name (NULL: none); *index its place. */
struct sw_node *sw_get(const struct sw_node *sec, const char *name, unsigned *index);
/* A setting's value by name; NULL when it is not a setting there. */
const char *sw_value(const struct sw_node *sec, const char *name);
/* Take kid i out of the section (the node is freed). */
void sw_del(struct sw_node *sec, unsigned i);
/* Take kid i out of the section and hand it over. */
struct sw_node *sw_take(struct sw_node *sec, unsigned i);
/* A new setting name = value at the place of `at`, appended to sec.  NULL
 * when out of memory. */
struct sw_node *sw_add(struct sw_node *sec, const char *name, const char *value,
		       const struct sw_node *at);
/* A new empty section, likewise. */
struct sw_node *sw_add_section(struct sw_node *sec, const char *name, const struct sw_node *at);
/* Give a setting another value.  0 or -ENOMEM. */
int sw_set(struct sw_node *n, const char *value);
void sw_node_free(struct sw_node *n);

#endif
