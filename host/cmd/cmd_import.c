/*
 * ipsecfx import-swanctl FILE [--secrets FILE] [-o OUT]: a swanctl.conf
 * turned into the equivalent ipsecfx.yaml (docs/operations.md, "Migrating
 * from strongSwan").
 *
 *   1. swanctl_conf.c reads FILE (its includes, its references) into a tree;
 *   2. import_swanctl.c resolves there what only swanctl.conf has: secrets,
 *      authorities, swanctl's directories, swanctl's defaults;
 *   3. the tree becomes a YAML document in swanctl.conf's layout, and the
 *      daemon's own loader reads it (cfg_load_tree, lenient) as it reads any
 *      file: its hint table says what each swanctl.conf key is here, so
 *      that importer and loader cannot disagree, and its checks are
 *      ipsecfxd -t's;
 *   4. every message is said at the swanctl.conf file and line it is about;
 *      when nothing was refused the document, as the loader read it, is
 *      written with libyaml's emitter (0600: it holds the PSKs).
 *
 * A node's mark carries its place: line FILE * LINE_FILES + LINE (the
 * loader prints lines of the first file as they are).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <yaml.h>

#include <ipsecfx/log.h>

#include "../config/config.h"
#include "../config/yamlcheck.h"
#include "../config/yamlpos.h"
#include "cmd.h"
#include "import.h"

#define LINE_FILES 1000000u    /* above swanctl_conf.c's MAX_LINES */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecfx import-swanctl FILE [--secrets FILE] [-o OUT]\n"
		"  FILE          a swanctl.conf (its includes and swanctl's x509/, x509ca/,\n"
		"                private/... beside it are read as swanctl reads them)\n"
		"  --secrets F   another file with a secrets section (read after FILE)\n"
		"  -o OUT        write ipsecfx.yaml here (mode 0600); default: stdout\n"
		"What cannot be carried over is said on stderr as FILE:LINE: with the\n"
		"reason; nothing is written when something essential cannot be (exit 1).\n");
}

/* ---- the tree as a YAML document ---- */

static void mark(yaml_document_t *doc, int id, const struct sw_node *at)
{
	yaml_node_t *n = yaml_document_get_node(doc, id);

	/* the loader's line is the mark's + 1; line 0 (none) wraps to 0 */
	n->start_mark.line = (size_t)at->file * LINE_FILES + at->line - 1;
	n->end_mark = n->start_mark;
}

static int scalar(yaml_document_t *doc, const char *text, const struct sw_node *at)
{
	int id = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)text, (int)strlen(text),
					  YAML_ANY_SCALAR_STYLE);

	if (id)
		mark(doc, id, at);
	return id;
}

static int to_node(yaml_document_t *doc, const struct sw_node *n)
{
	int id;

	if (n->value)
		return scalar(doc, n->value, n);
	id = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	if (!id)
		return 0;
	mark(doc, id, n);
	for (unsigned i = 0; i < n->n; i++) {
		int k = scalar(doc, n->kids[i]->name, n->kids[i]), v = to_node(doc, n->kids[i]);

		if (!k || !v || !yaml_document_append_mapping_pair(doc, id, k, v))
			return 0;
	}
	return id;
}

/* ---- the loader's messages, at swanctl.conf's places ---- */

/* A connection's or child's name in the document as the loader left it. */
static const char *name_at(struct ycheck *yc, int list, unsigned i)
{
	const char *s = ycheck_scalar(yc, ycheck_get(yc, ycheck_item(yc, list, i), "name", NULL));

	return s ? s : "?";
}

/* "connections[0].children[1].x" as swanctl.conf says it:
 * "connections.site.children.net.x". */
static void swan_path(struct ycheck *yc, const char *path, char *out, size_t n)
{
	int conns = ycheck_get(yc, ycheck_root(yc), "connections", NULL);
	unsigned ci, cj;
	int used = 0, used2 = 0;

	if (sscanf(path, "connections[%u]%n", &ci, &used) != 1 || !used ||
	    ci >= ycheck_items(yc, conns)) {
		snprintf(out, n, "%s", path);
		return;
	}
	path += used;
	if (sscanf(path, ".children[%u]%n", &cj, &used2) == 1 && used2) {
		int ch = ycheck_get(yc, ycheck_item(yc, conns, ci), "children", NULL);

		if (cj < ycheck_items(yc, ch)) {
			snprintf(out, n, "connections.%s.children.%s%s", name_at(yc, conns, ci),
				 name_at(yc, ch, cj), path + used2);
			return;
		}
	}
	snprintf(out, n, "connections.%s%s", name_at(yc, conns, ci), path);
}

/* yamlpos kept the loader's messages (in_order): into sc's, placed. */
static void take_messages(struct sw_conf *sc, struct ycheck *yc, struct yamlpos *yp)
{
	for (size_t i = 0; i < yp->nmsgs; i++) {
		const struct yamlpos_msg *m = &yp->msgs[i];
		unsigned file = m->line / LINE_FILES, line = m->line % LINE_FILES;
		char prefix[PATH_MAX + 32], path[512], swan[600];
		const char *rest = m->text, *colon;
		size_t plen;

		/* "FILE[:LINE]: [PATH: ]message" */
		if (m->line)
			snprintf(prefix, sizeof(prefix), "%s:%u: ", yp->file, m->line);
		else
			snprintf(prefix, sizeof(prefix), "%s: ", yp->file);
		plen = strlen(prefix);
		if (strncmp(rest, prefix, plen) == 0)
			rest += plen;
		colon = strstr(rest, ": ");
		if (colon && (size_t)(colon - rest) < sizeof(path) && !memchr(rest, ' ', (size_t)(colon - rest)) &&
		    !memchr(rest, '\'', (size_t)(colon - rest))) {
			memcpy(path, rest, (size_t)(colon - rest));
			path[colon - rest] = 0;
			swan_path(yc, path, swan, sizeof(swan));
			sw_msg(sc, file < sc->nfiles ? file : 0, line, m->level, "%s%s", swan, colon);
		} else {
			sw_msg(sc, file < sc->nfiles ? file : 0, line, m->level, "%s", rest);
		}
		free(m->text);
	}
	free(yp->msgs);
	yp->msgs = NULL;
	yp->nmsgs = 0;
}

/* Anything logged past yamlpos (ipx_err in a loader): without a place. */
static void collect(int level, const char *msg, void *arg)
{
	if (level <= IPX_LOG_INFO)
		sw_msg(arg, 0, 0, level, "%s", msg);
}

static int by_place(const void *a, const void *b)
{
	const struct sw_msg *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The messages by file and line, as a compiler's; the count of level. */
static void report(struct sw_conf *sc, unsigned *warnings)
{
	static const char *const word[] = { "error", "warning", "info", "debug" };

	*warnings = 0;
	qsort(sc->msgs, sc->nmsgs, sizeof(*sc->msgs), by_place);
	for (unsigned i = 0; i < sc->nmsgs; i++) {
		const struct sw_msg *m = &sc->msgs[i];
		const char *f = m->file < sc->nfiles ? sc->files[m->file] : "?";

		if (m->level == IPX_LOG_WARN)
			(*warnings)++;
		if (m->line)
			fprintf(stderr, "%s:%u: %s: %s\n", f, m->line, word[m->level & 3], m->text);
		else
			fprintf(stderr, "%s: %s: %s\n", f, word[m->level & 3], m->text);
	}
}

/* ---- ipsecfx.yaml out ---- */

struct out {
	yaml_emitter_t em;
	struct ycheck *yc;
};

static bool event(struct out *o, yaml_event_t *ev, int ok)
{
	return ok && yaml_emitter_emit(&o->em, ev);
}

/* Text YAML would read as null or as nothing: quoted. */
static bool needs_quotes(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcasecmp(s, "null");
}

static bool emit(struct out *o, int id);

static bool emit_pair(struct out *o, int map, unsigned i)
{
	return emit(o, ycheck_pair_key(o->yc, map, i)) && emit(o, ycheck_pair_value(o->yc, map, i));
}

static bool emit(struct out *o, int id)
{
	struct ycheck *yc = o->yc;
	const char *s = ycheck_scalar(yc, id);
	yaml_event_t ev;
	bool ok = true, flat = true;
	unsigned name = 0, kids = 0;

	if (s)
		return event(o, &ev, yaml_scalar_event_initialize(
			&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
			needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE));
	if (ycheck_is_map(yc, id)) {
		/* a connection's or child's name first, its children last */
		bool named = ycheck_get(yc, id, "name", &name) != 0;
		bool parent = ycheck_get(yc, id, "children", &kids) != 0;

		if (!event(o, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
								       YAML_BLOCK_MAPPING_STYLE)))
			return false;
		if (named)
			ok = emit_pair(o, id, name);
		for (unsigned i = 0; ok && i < ycheck_pairs(yc, id); i++)
			if ((!named || i != name) && (!parent || i != kids))
				ok = emit_pair(o, id, i);
		if (ok && parent)
			ok = emit_pair(o, id, kids);
		return ok && event(o, &ev, yaml_mapping_end_event_initialize(&ev));
	}
	/* a list of values on one line: local_ts: [10.1.0.0/16] */
	for (unsigned i = 0; i < ycheck_items(yc, id); i++)
		if (!ycheck_scalar(yc, ycheck_item(yc, id, i)))
			flat = false;
	if (!event(o, &ev, yaml_sequence_start_event_initialize(
			   &ev, NULL, NULL, 1,
			   flat ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE)))
		return false;
	for (unsigned i = 0; ok && i < ycheck_items(yc, id); i++)
		ok = emit(o, ycheck_item(yc, id, i));
	return ok && event(o, &ev, yaml_sequence_end_event_initialize(&ev));
}

static int write_yaml(struct ycheck *yc, FILE *f)
{
	struct out o = { .yc = yc };
	yaml_event_t ev;
	bool ok;

	if (!yaml_emitter_initialize(&o.em))
		return -ENOMEM;
	yaml_emitter_set_output_file(&o.em, f);
	yaml_emitter_set_unicode(&o.em, 1);
	yaml_emitter_set_width(&o.em, -1);
	ok = event(&o, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) &&
	     event(&o, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1)) &&
	     emit(&o, ycheck_root(yc)) &&
	     event(&o, &ev, yaml_document_end_event_initialize(&ev, 1)) &&
	     event(&o, &ev, yaml_stream_end_event_initialize(&ev)) &&
	     yaml_emitter_flush(&o.em);
	/* the PSKs went through its buffer */
	if (o.em.buffer.start)
		OPENSSL_cleanse(o.em.buffer.start, (size_t)(o.em.buffer.end - o.em.buffer.start));
	yaml_emitter_delete(&o.em);
	return ok ? 0 : -EIO;
}

/* OUT, whole or not at all: a temporary file beside it, renamed. */
static int write_out(struct ycheck *yc, const char *out)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, ret;

	if (!out || !strcmp(out, "-"))
		return write_yaml(yc, stdout) < 0 || fflush(stdout) ? -EIO : 0;
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);   /* 0600 */
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		fprintf(stderr, "ipsecfx: %s: %s\n", out, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return ret;
	}
	ret = write_yaml(yc, f);
	if (fflush(f) || fsync(fd) < 0)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, out) < 0)
		ret = -errno;
	if (ret) {
		fprintf(stderr, "ipsecfx: %s: %s\n", out, strerror(-ret));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

static bool same_file(const char *a, const char *b)
{
	struct stat x, y;

	return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* ---- the command ---- */

struct import {
	const char *file, *secrets, *out;
	struct sw_conf sc;
	struct ycheck yc;
	struct yamlpos yp;
	struct cfg *cfg;
};

/* Steps 1 to 3: 0, or -EINVAL (said). */
static int run(struct import *im)
{
	char *dup = strdup(im->file), *dir = NULL;
	int ret = -EINVAL, root;

	if (!dup)
		return -ENOMEM;
	/* swanctl's directory is its file's: x509/ and the others beside it */
	if (sw_conf_read(&im->sc, im->file) == 0 &&
	    (!im->secrets || sw_conf_read(&im->sc, im->secrets) == 0) &&
	    sw_conf_finish(&im->sc) == 0 && (dir = realpath(dirname(dup), NULL)) &&
	    swanctl_resolve(&im->sc, dir) == 0)
		ret = 0;
	free(dir);
	free(dup);
	if (ret < 0)
		return ret;
	if (!yaml_document_initialize(&im->yc.doc, NULL, NULL, NULL, 1, 1))
		return -ENOMEM;
	im->yc.loaded = true;
	root = to_node(&im->yc.doc, &im->sc.root);
	if (root != 1) {
		sw_msg(&im->sc, 0, 0, IPX_LOG_ERR, "out of memory");
		return -ENOMEM;
	}
	im->yp = (struct yamlpos){ .file = im->file, .in_order = true };
	im->yc.file = im->file;
	im->yc.yp = &im->yp;
	ret = cfg_load_tree(&im->yc, true, &im->cfg);
	take_messages(&im->sc, &im->yc, &im->yp);
	return ret < 0 || im->sc.errors ? -EINVAL : 0;
}

static void summary(const struct import *im, unsigned warnings, bool written)
{
	unsigned children = 0;

	if (!written) {
		fprintf(stderr, "ipsecfx: %s: %u error%s: nothing written\n", im->file,
			im->sc.errors, im->sc.errors == 1 ? "" : "s");
		return;
	}
	for (unsigned i = 0; i < im->cfg->n_conns; i++)
		children += im->cfg->conns[i].n_children;
	fprintf(stderr, "ipsecfx: %s: %u connection%s, %u child%s written to %s (%u warning%s)\n",
		im->file, im->cfg->n_conns, im->cfg->n_conns == 1 ? "" : "s", children,
		children == 1 ? "" : "ren", im->out && strcmp(im->out, "-") ? im->out : "stdout",
		warnings, warnings == 1 ? "" : "s");
}

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secrets", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import im = { 0 };
	unsigned warnings;
	int c, ret;

	while ((c = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			im.secrets = optarg;
			break;
		case 'o':
			im.out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	im.file = argv[optind];
	if (im.out && (same_file(im.out, im.file) || (im.secrets && same_file(im.out, im.secrets)))) {
		fprintf(stderr, "ipsecfx: -o %s would overwrite what it reads\n", im.out);
		return 2;
	}
	ipx_log_set_handler(collect, &im.sc);
	ret = run(&im);
	ipx_log_set_handler(NULL, NULL);
	report(&im.sc, &warnings);
	if (ret == 0 && write_out(&im.yc, im.out) < 0)
		ret = -EIO;
	else
		summary(&im, warnings, ret == 0);
	cfg_free(im.cfg);
	ycheck_free(&im.yc);
	yamlpos_free(&im.yp);
	sw_conf_free(&im.sc);
	return ret == 0 ? 0 : 1;
}
