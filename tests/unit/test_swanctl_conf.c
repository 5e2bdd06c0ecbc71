/*
 * The swanctl.conf reader of ipsecfx import-swanctl (host/cmd/swanctl_conf.c):
 * a table of files, each with the tree it must read as (one "path=value"
 * line per setting, in order) or the first error it must report
 * ("LINE: text").  The grammar's edges: values of several parts, strings
 * across lines and their escapes, comments, sections given twice, settings
 * given again, references, cleared keys, includes; and every kind of
 * syntax error, at its line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ipsecfx/log.h>

#include "../../host/cmd/swanctl_conf.h"
#include "tlib.h"

static char dir[64];

static void put(const char *name, const char *text, size_t len)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void dump(const struct sw_node *n, const char *prefix, char *out, size_t cap)
{
	for (unsigned i = 0; i < n->n; i++) {
		const struct sw_node *k = n->kids[i];
		char path[256];
		size_t len = strlen(out);

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k->name);
		if (k->value)
			snprintf(out + len, cap - len, "%s=%s\n", path, k->value);
		else
			dump(k, path, out, cap);
	}
}

/* Read text as DIR/main.conf: 0 and the tree in out, or -EINVAL and the
 * first error as "LINE: text". */
static int read_text(const char *text, size_t len, char *out, size_t cap)
{
	struct sw_conf c = { 0 };
	char p[128];
	int ret;

	put("main.conf", text, len);
	snprintf(p, sizeof(p), "%s/main.conf", dir);
	out[0] = 0;
	ret = sw_conf_read(&c, p);
	if (ret == 0)
		ret = sw_conf_finish(&c);
	if (ret == 0) {
		dump(&c.root, "", out, cap);
	} else {
		for (unsigned i = 0; i < c.nmsgs; i++)
			if (c.msgs[i].level == IPX_LOG_ERR) {
				snprintf(out, cap, "%u: %s", c.msgs[i].line, c.msgs[i].text);
				break;
			}
	}
	sw_conf_free(&c);
	return ret;
}

#define PUT(name, text) put(name, text, strlen(text))
#define READ(text, out) read_text(text, strlen(text), out, sizeof(out))

static const struct {
	const char *name, *text, *want;   /* want: the tree, or "!LINE: error" */
} cases[] = {
	{ "one setting", "a = b\n", "a=b\n" },
	{ "no newline at the end", "a = b", "a=b\n" },
	{ "parts joined by one space", "a =   x    y\t z  \n", "a=x y z\n" },
	{ "a string keeps its spaces", "a = \"x   y\" z\n", "a=x   y z\n" },
	{ "escapes", "a = \"q\\\"\\\\ \\t|\\n|\\x\"\n", "a=q\"\\ \t|\n|x\n" },
	{ "a string across lines", "a = \"l1\nl2\"\nb = c\n", "a=l1\nl2\nb=c\n" },
	{ "backslash-newline joins lines", "a = \"l1 \\\nl2\"\n", "a=l1 l2\n" },
	{ "comments", "# top\na = b # not this\nc = \"d # this\" # not\n",
	  "a=b\nc=d # this\n" },
	{ "a value may hold = { : and ,", "a = x=y {z 1:2, 3\n", "a=x=y {z 1:2, 3\n" },
	{ "'}' ends a value", "s { a = x}\n", "s.a=x\n" },
	{ "a section on one line", "s { k = v }\n", "s.k=v\n" },
	{ "'{' on the next line", "s\n{\n  k = v\n}\n", "s.k=v\n" },
	{ "nested", "c {\n  gw {\n    r = 1\n    l { id = x }\n  }\n}\n",
	  "c.gw.r=1\nc.gw.l.id=x\n" },
	{ "a section given twice is one", "s { a = 1 }\nt { }\ns { b = 2 }\n",
	  "s.a=1\ns.b=2\n" },
	{ "a setting given again: the later value", "a = 1\nb = 2\na = 3\n", "a=3\nb=2\n" },
	{ "key = clears it", "a = 1\na =\nb = 2\n", "b=2\n" },
	{ "references inherit what is not set",
	  "t {\n  x = 1\n  y = 2\n  sub { z = 3 }\n}\nc : t {\n  x = 9\n  sub { w = 4 }\n}\n",
	  "t.x=1\nt.y=2\nt.sub.z=3\nc.x=9\nc.sub.w=4\nc.sub.z=3\nc.y=2\n" },
	{ "references by absolute name, several",
	  "d { a { p = 1 } }\ne { q = 2 }\nc : d.a, e {\n}\n", "d.a.p=1\ne.q=2\nc.p=1\nc.q=2\n" },
	{ "an empty value stops inheriting", "t { x = 1 }\nc : t { x = }\n", "t.x=1\n" },
	{ "include = x is a setting", "include = x\n", "include=x\n" },
	{ "IPv6 and ranges in values", "a = 2001:db8::1, 10.0.0.1-10.0.0.9\n",
	  "a=2001:db8::1, 10.0.0.1-10.0.0.9\n" },
	{ "CRLF line ends", "s {\r\n  a = b\r\n}\r\n", "s.a=b\n" },
	{ "a section not closed", "a = 1\ns {\n  b = 2\n",
	  "!2: section 's' is not closed by the end of the file" },
	{ "'}' closing nothing", "s { }\n}\n", "!2: '}' without a section to close" },
	{ "a string not closed", "a = 1\nb = \"x\ny\n", "!2: the string opened on this line is not closed" },
	{ "a name alone", "s {\n  a\n  b = 1\n}\n",
	  "!2: 'a' needs '=' and a value (a setting) or '{' (a section)" },
	{ "no name", "\n= x\n", "!2: expected a name, not '='" },
	{ "a string for a name", "\"a\" = x\n", "!1: a quoted string where a name is expected" },
	{ "a setting and a section of one name", "a = 1\na { }\n", "!2: 'a' is a section here, a setting on" },
	{ "references without a name", "c : { }\n", "!1: expected the name of a section to inherit from" },
	{ "references in a circle", "a : b { }\nb : a { }\n", "!1: 'a' inherits from itself" },
	{ "a missing include", "a = 1\ninclude nothere.conf\n", "!2: include " },
	{ "two files in one include", "include a.conf b.conf\n", "!1: one file name or pattern per include" },
	{ "not UTF-8", "a = 1\nb = \xff\n", "!2: not UTF-8 text" },
};

static void test_table(void **state)
{
	char out[2048];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = read_text(cases[i].text, strlen(cases[i].text), out, sizeof(out));

		if (cases[i].want[0] == '!') {
			if (ret == 0 || strncmp(out, cases[i].want + 1, strlen(cases[i].want + 1)) != 0)
				fail_msg("%s: want error \"%s\", got %s\"%s\"", cases[i].name,
					 cases[i].want + 1, ret == 0 ? "a tree " : "", out);
		} else if (ret != 0 || strcmp(out, cases[i].want) != 0) {
			fail_msg("%s: want\n%s got %s\n%s", cases[i].name, cases[i].want,
				 ret ? "an error:" : "", out);
		}
	}
}

static void test_nul(void **state)
{
	char out[256];

	(void)state;
	assert_int_not_equal(read_text("a = 1\n\0b = 2\n", 12, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "a NUL byte"));
}

/* include: relative to the including file, a glob in order, into the
 * section it stands in; a file that includes itself is stopped. */
static void test_include(void **state)
{
	char out[2048], sub[128];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	mkdir(sub, 0700);
	PUT("conf.d/b.conf", "gw2 { r = 2 }\n");
	PUT("conf.d/a.conf", "gw1 { r = 1 }\ninclude ../more.conf\n");
	PUT("more.conf", "x = y\n");
	assert_int_equal(READ("connections {\n  include conf.d/*.conf\n}\n", out), 0);
	assert_string_equal(out, "connections.gw1.r=1\nconnections.x=y\nconnections.gw2.r=2\n");
	assert_int_equal(READ("include conf.d/none-*.conf\na = 1\n", out), 0);
	assert_string_equal(out, "a=1\n");
	PUT("loop.conf", "include loop.conf\n");
	assert_int_not_equal(READ("include loop.conf\n", out), 0);
	assert_non_null(strstr(out, "includes nested more than"));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ipsecfx-swconf-%d", (int)getpid());
	return mkdir(dir, 0700);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_include),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
