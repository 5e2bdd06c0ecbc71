/*
 * The daemon's commands: list-sas, list-conns, list-certs, initiate,
 * terminate, reload, stats, export-keys, engine.  Each sends one JSON
 * request over the control socket and prints the answer for people (as
 * swanctl prints its own, where it has one), or as JSON with --json;
 * list-sas reads its answer as a stream and prints each SA as it comes.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../config/cfg_peek.h"
#include "../ctl/ctl.h"
#include "cmd.h"

#define DEFAULT_SOCKET "/run/ipsecfx/ipsecfx.sock"
#define DEFAULT_CONFIG "/etc/ipsecfx/ipsecfx.yaml"
#define DEFAULT_WAIT 30

struct opts {
	const char *socket;
	char socket_buf[108];
	const char *socket_from;      /* where the path came from, for errors */
	const char *config;           /* --config */
	bool no_wait;
	bool json;
	const char *child;
	int wait;
	const char *wireshark;
	bool ike, reauth;
	const char *sa;
	const char *conn;             /* list-sas --conn */
	long long limit, offset;      /* list-sas --limit (-1: none), --offset */
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* Bytes in binary units, named as such (IEC 80000-13): 1 KiB is 1024
 * bytes, 1 MiB 1024 KiB; one decimal below ten. */
static const char *human(long long b, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%lld bytes", b);
		return buf;
	}
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 9.95 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* append to a NUL-terminated buffer, cut at its end */
static void cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

static void upper(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < len; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[i] = 0;
}

/*
 * The negotiated algorithms as swanctl --list-sas writes them, from the
 * same fields: "AES_GCM_16-256/PRF_HMAC_SHA2_256/CURVE_25519", ESN only
 * when it is on.  A daemon without these fields: its "proposal".
 */
static const char *algs(json_t *o, char *buf, size_t len)
{
	if (!json_object_get(o, "encr_alg"))
		return str(o, "proposal");
	buf[0] = 0;
	cat(buf, len, "%s", str(o, "encr_alg"));
	if (json_object_get(o, "encr_keysize"))
		cat(buf, len, "-%lld", num(o, "encr_keysize"));
	if (json_object_get(o, "integ_alg"))
		cat(buf, len, "/%s", str(o, "integ_alg"));
	if (json_object_get(o, "prf_alg"))
		cat(buf, len, "/%s", str(o, "prf_alg"));
	if (json_object_get(o, "dh_group"))
		cat(buf, len, "/%s", str(o, "dh_group"));
	if (json_is_true(json_object_get(o, "esn")))
		cat(buf, len, "/ESN");
	return buf;
}

static void no_daemon(const struct opts *o, int err)
{
	fprintf(stderr, "ipsecfx: cannot talk to ipsecfxd at %s%s%s%s: %s%s\n", o->socket,
		o->socket_from ? " (" : "", o->socket_from ? o->socket_from : "",
		o->socket_from ? ")" : "", strerror(-err),
		err == -ENOENT || err == -ECONNREFUSED ? " (is the daemon running?)" : "");
}

/* Send cmd; 0 with *result, or print the daemon's error and return 1. */
static int call(const struct opts *o, json_t *req, json_t **result)
{
	json_t *resp;
	int ret = ctl_call(o->socket, req, &resp, 10000);

	json_decref(req);
	if (ret < 0) {
		no_daemon(o, ret);
		return 1;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		fprintf(stderr, "ipsecfx: %s\n", str(resp, "error"));
		json_decref(resp);
		return 1;
	}
	*result = json_incref(json_object_get(resp, "result"));
	json_decref(resp);
	return 0;
}

static void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("\n");
}

/* A Child SA's data-plane drops that counted, outbound first:
 * "dropped out too_big 3, no_room 1; in replayed 2; selector_mismatch 1" */
static void print_drops(json_t *d)
{
	static const char *const dirs[][2] = { { "encrypt", "out" }, { "decrypt", "in" } };
	const char *k;
	json_t *v;
	bool first = true;

	printf("    dropped");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		json_t *o = json_object_get(d, dirs[i][0]);
		const char *sep = " ";

		if (!json_object_size(o))
			continue;
		printf("%s %s", first ? "" : ";", dirs[i][1]);
		json_object_foreach(o, k, v) {
			printf("%s%s %lld", sep, k, (long long)json_integer_value(v));
			sep = ", ";
		}
		first = false;
	}
	json_object_foreach(d, k, v) {
		if (json_is_object(v))
			continue;
		printf("%s %s %lld", first ? "" : ";", k, (long long)json_integer_value(v));
		first = false;
	}
	printf("\n");
}

static void print_ts(const char *label, json_t *list)
{
	size_t x;
	json_t *t;

	printf("%s", label);
	json_array_foreach(list, x, t)
		printf("%s%s", x ? ", " : "", json_string_value(t));
	printf("\n");
}

/* Its lifetime line: what is next for it, or that it is going. */
static void print_child_times(json_t *c)
{
	const char *st = str(c, "state");

	printf("    installed %llds ago", num(c, "installed_s"));
	if (strcmp(st, "deleting") == 0) {
		printf(", deleting\n");
		return;
	}
	if (strcmp(st, "rekeyed") == 0) {
		printf(", replaced by a rekey, deleting\n");
		return;
	}
	if (strcmp(st, "rekeying") == 0 ||
	    (json_object_get(c, "rekey_in_s") && !num(c, "rekey_in_s")))
		printf(", rekeying");
	else if (json_object_get(c, "rekey_in_s"))
		printf(", rekey in %llds", num(c, "rekey_in_s"));
	if (json_object_get(c, "expires_in_s"))
		printf(", expires in %llds", num(c, "expires_in_s"));
	printf("\n");
}

static void print_child(json_t *sa, json_t *c)
{
	char a[32], st[16], mode[16], alg[160];

	upper(str(c, "state"), st, sizeof(st));
	upper(str(c, "mode"), mode, sizeof(mode));
	/* an older daemon's "proposal" starts with ESP: already */
	printf("  %s[%lld]: %s, %s%s, %s%s\n", str(c, "name"), num(c, "unique_id"), st, mode,
	       json_is_true(json_object_get(sa, "nat_t")) ? "-in-UDP" : "",
	       json_object_get(c, "encr_alg") ? "ESP:" : "", algs(c, alg, sizeof(alg)));
	print_child_times(c);
	printf("    in  %s, %s, %lld packets\n", str(c, "spi_in"),
	       human(num(c, "bytes_in"), a, sizeof(a)), num(c, "packets_in"));
	printf("    out %s, %s, %lld packets\n", str(c, "spi_out"),
	       human(num(c, "bytes_out"), a, sizeof(a)), num(c, "packets_out"));
	if (json_object_get(c, "dp_drops"))
		print_drops(json_object_get(c, "dp_drops"));
	print_ts("    local  ", json_object_get(c, "local_ts"));
	print_ts("    remote ", json_object_get(c, "remote_ts"));
}

/* The IKE SA's lifetime line (established or replaced SAs only). */
static void print_sa_times(json_t *sa)
{
	printf("  established %llds ago", num(sa, "established_s"));
	if (json_object_get(sa, "last_heard_s"))
		printf(", last heard %llds ago", num(sa, "last_heard_s"));
	if (json_object_get(sa, "rekeyed_by") || strcmp(str(sa, "state"), "rekeyed") == 0) {
		printf(", replaced by [%lld], deleting\n", num(sa, "rekeyed_by"));
		return;
	}
	if (json_object_get(sa, "rekey_in_s") && !num(sa, "rekey_in_s"))
		printf(", rekeying");
	else if (json_object_get(sa, "rekey_in_s"))
		printf(", rekey in %llds", num(sa, "rekey_in_s"));
	if (json_object_get(sa, "reauth_in_s"))
		printf(", reauthentication in %llds", num(sa, "reauth_in_s"));
	if (json_object_get(sa, "expires_in_s"))
		printf(", expires in %llds", num(sa, "expires_in_s"));
	printf("\n");
}

/*
 * One IKE SA as swanctl --list-sas shows one: state and SPIs (ours
 * starred), both ends with their identities, the algorithms, the timers,
 * then each Child SA.  While it connects only what is known is shown.
 */
static void print_sa(json_t *sa)
{
	size_t k;
	json_t *c;
	char st[24], alg[160];
	bool ini = strcmp(str(sa, "role"), "initiator") == 0;
	const char *peer = json_object_get(sa, "remote_id") ? str(sa, "remote_id") : str(sa, "peer_id");

	upper(str(sa, "state"), st, sizeof(st));
	printf("%s[%lld]: %s, IKEv2, %s, SPIs %s_i%s %s_r%s\n", str(sa, "conn"),
	       num(sa, "unique_id"), st, str(sa, "role"), str(sa, "spi_i"), ini ? "*" : "",
	       str(sa, "spi_r"), ini ? "" : "*");
	if (json_object_get(sa, "local_id"))
		printf("  local  '%s' @ %s", str(sa, "local_id"), str(sa, "local"));
	else
		printf("  local  %s", str(sa, "local"));
	printf("%s\n", json_is_true(json_object_get(sa, "nat_local")) ? " [NAT]" : "");
	if (*peer && strcmp(peer, "-"))
		printf("  remote '%s' @ %s", peer, str(sa, "remote"));
	else
		printf("  remote %s, identity not known yet", str(sa, "remote"));
	printf("%s", json_is_true(json_object_get(sa, "nat_remote")) ? " [NAT]" : "");
	if (json_object_get(sa, "peer_auth"))
		printf(", authenticated by %s%s%s", str(sa, "peer_auth"),
		       json_object_get(sa, "peer_cert") ? ", certificate " : "",
		       json_object_get(sa, "peer_cert") ? str(sa, "peer_cert") : "");
	printf("\n");
	if (json_object_get(sa, "proposal"))
		printf("  %s\n", algs(sa, alg, sizeof(alg)));
	if (json_object_get(sa, "established_s"))
		print_sa_times(sa);
	json_array_foreach(json_object_get(sa, "children"), k, c)
		print_child(sa, c);
}

/* One SA of a --json listing: the array is written as it comes, as
 * json_dumpf would indent it whole (the same bytes as before streaming). */
static void print_json_item(json_t *sa, bool first)
{
	char *s = json_dumps(sa, JSON_INDENT(2) | JSON_SORT_KEYS);

	printf("%s  ", first ? "[\n" : ",\n");
	for (const char *p = s ? s : "null"; *p; p++) {
		putchar(*p);
		if (*p == '\n')
			fputs("  ", stdout);
	}
	free(s);
}

/* An old daemon answers with the whole list: filtered here instead. */
static long long print_old_list(const struct opts *o, json_t *list)
{
	long long n = 0, skip = o->offset;
	size_t i;
	json_t *sa;

	json_array_foreach(list, i, sa) {
		if (o->conn && strcmp(str(sa, "conn"), o->conn) != 0)
			continue;
		if (skip > 0) {
			skip--;
			continue;
		}
		if (o->limit >= 0 && n == o->limit)
			break;
		o->json ? print_json_item(sa, !n) : print_sa(sa);
		n++;
	}
	return n;
}

/*
 * list-sas as a stream (ctl.h): each SA printed as it arrives, so that the
 * command's memory does not grow with the daemon's SAs either.  1 on any
 * failure, the listing then incomplete (and said so on stderr).
 */
static int list_sas(const struct opts *o)
{
	json_t *req = json_pack("{s:s, s:b}", "cmd", "list-sas", "stream", 1), *m = NULL;
	struct ctl_conn *c = NULL;
	long long n = 0;
	int ret;

	if (o->conn)
		json_object_set_new(req, "conn", json_string(o->conn));
	if (o->limit >= 0)
		json_object_set_new(req, "limit", json_integer(o->limit));
	if (o->offset)
		json_object_set_new(req, "offset", json_integer(o->offset));
	ret = ctl_connect(o->socket, req, &c);
	json_decref(req);
	if (ret == 0)
		ret = ctl_recv(c, &m, 10000);
	if (ret < 0)
		goto fail;
	if (!json_is_true(json_object_get(m, "ok"))) {
		fprintf(stderr, "ipsecfx: %s\n", str(m, "error"));
		ret = 1;
		goto out;
	}
	if (json_is_array(json_object_get(m, "result"))) {
		n = print_old_list(o, json_object_get(m, "result"));
		goto end;
	}
	for (;;) {
		json_t *sa;

		json_decref(m);
		ret = ctl_recv(c, &m, 10000);
		if (ret < 0)
			goto fail;
		sa = json_object_get(m, "sa");
		if (!sa)
			break;
		o->json ? print_json_item(sa, !n) : print_sa(sa);
		n++;
	}
	if (!json_is_true(json_object_get(m, "end")) || json_object_get(m, "error")) {
		fprintf(stderr, "ipsecfx: the listing stopped after %lld IKE SAs: %s\n", n,
			json_object_get(m, "error") ? str(m, "error") : "unexpected answer");
		ret = 1;
		goto out;
	}
end:
	if (o->json)
		printf(n ? "\n]\n" : "[]\n");
	else if (!n)
		printf("no IKE SAs%s%s\n", o->conn ? " of " : "", o->conn ? o->conn : "");
	ret = 0;
	goto out;
fail:
	if (n)
		printf("\n");
	if (n)
		fprintf(stderr, "ipsecfx: the listing broke off, talking to ipsecfxd at %s: %s\n",
			o->socket, strerror(-ret));
	else
		no_daemon(o, ret);
	ret = 1;
out:
	json_decref(m);
	ctl_disconnect(c);
	fflush(stdout);
	return ret;
}

/* ---- list-conns ---- */

static void print_list(const char *label, json_t *list, const char *none)
{
	size_t i;
	json_t *v;

	printf("%s", label);
	json_array_foreach(list, i, v)
		printf("%s%s", i ? ", " : "", json_string_value(v));
	printf("%s\n", json_array_size(list) ? "" : none);
}

static void print_end(const char *side, json_t *e)
{
	printf("  %s %s authentication:\n    id: %s\n", side,
	       strcmp(str(e, "auth"), "pubkey") == 0 ? "public key" : "pre-shared key",
	       str(e, "id"));
}

/* One connection as swanctl --list-conns shows one, with its proposals
 * and how many of its SAs are up. */
static void print_conn(json_t *c)
{
	size_t i;
	json_t *k;
	long long up = num(c, "ike_sas_up");

	printf("%s: %s, %lld IKE SA%s up, start_action %s", str(c, "name"), str(c, "version"),
	       up, up == 1 ? "" : "s", str(c, "start_action"));
	if (json_object_get(c, "reauth_interval_s"))
		printf(", reauthentication every %llds", num(c, "reauth_interval_s"));
	else
		printf(", no reauthentication");
	printf(", lifetime %llds%s\n", num(c, "ike_lifetime_s"),
	       json_is_true(json_object_get(c, "encap")) ? ", UDP encapsulation forced" : "");
	print_list("  local:  ", json_object_get(c, "local_addrs"), "%any");
	print_list("  remote: ", json_object_get(c, "remote_addrs"), "%any");
	print_list("  proposals: ", json_object_get(c, "proposals"), "");
	print_end("local", json_object_get(c, "local"));
	print_end("remote", json_object_get(c, "remote"));
	json_array_foreach(json_object_get(c, "children"), i, k) {
		char mode[16];

		upper(str(k, "mode"), mode, sizeof(mode));
		printf("  %s: %s, %lld up", str(k, "name"), mode, num(k, "child_sas_up"));
		if (json_object_get(k, "rekey_time_s"))
			printf(", rekeying every %llds", num(k, "rekey_time_s"));
		if (json_object_get(k, "life_time_s"))
			printf(", lifetime %llds", num(k, "life_time_s"));
		printf("\n");
		print_list("    local:  ", json_object_get(k, "local_ts"), "");
		print_list("    remote: ", json_object_get(k, "remote_ts"), "");
		print_list("    esp_proposals: ", json_object_get(k, "esp_proposals"), "");
	}
}

static void print_conns(json_t *list)
{
	size_t i;
	json_t *c;

	json_array_foreach(list, i, c)
		print_conn(c);
	if (!json_array_size(list))
		printf("no connections loaded\n");
}

/* A certificate's common lines (the caller printed its first). */
static void print_cert_fields(json_t *c)
{
	if (strcmp(str(c, "issuer"), str(c, "subject")))
		printf("    issuer %s\n", str(c, "issuer"));
	else
		printf("    self-signed\n");
	printf("    %s, serial %s, valid %s to %s%s\n", str(c, "key"), str(c, "serial"),
	       str(c, "not_before"), str(c, "not_after"),
	       json_is_false(json_object_get(c, "valid_now")) ? " (NOT VALID NOW)" : "");
	printf("    SHA-1 %s\n", str(c, "sha1"));
}

static void print_certs(json_t *res)
{
	json_t *l = json_object_get(res, "local"), *a = json_object_get(res, "anchors");
	json_t *r = json_object_get(res, "crls"), *h = json_object_get(res, "cache"), *c;
	size_t i;

	printf("local certificates:%s\n", json_array_size(l) ? "" : " none");
	json_array_foreach(l, i, c) {
		printf("  %s: %s %s\n", str(c, "conn"), str(c, "kind"), str(c, "subject"));
		print_cert_fields(c);
		if (json_object_get(c, "cert_uri"))
			printf("    Hash and URL at %s\n", str(c, "cert_uri"));
	}
	printf("trust anchors:%s\n", json_array_size(a) ? "" : " none");
	json_array_foreach(a, i, c) {
		if (json_object_get(c, "conn"))
			printf("  %s remote.cacerts: %s\n", str(c, "conn"), str(c, "subject"));
		else
			printf("  cacerts: %s\n", str(c, "subject"));
		print_cert_fields(c);
	}
	printf("CRLs:%s\n", json_array_size(r) ? "" : " none");
	json_array_foreach(r, i, c)
		printf("  %s: %lld revoked, updated %s, next %s%s%s%s\n", str(c, "issuer"),
		       num(c, "revoked"), str(c, "last_update"), str(c, "next_update"),
		       json_is_true(json_object_get(c, "expired")) ? " (EXPIRED)" : "",
		       json_object_get(c, "url") ? ", fetched from " : "",
		       json_object_get(c, "url") ? str(c, "url") : "");
	printf("Hash and URL cache:%s\n", json_array_size(h) ? "" : " empty");
	json_array_foreach(h, i, c) {
		printf("  %s %s\n", str(c, "sha1"), str(c, "url"));
		printf("    %s, %lld hits, fetched %llds ago\n", str(c, "subject"), num(c, "hits"),
		       num(c, "age_s"));
	}
}

static int write_file(const char *dir, const char *name, json_t *lines)
{
	char path[512];
	size_t i;
	json_t *l;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	umask(077);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "ipsecfx: %s: %s\n", path, strerror(errno));
		return 1;
	}
	json_array_foreach(lines, i, l)
		fprintf(f, "%s\n", json_string_value(l));
	fclose(f);
	printf("%s: %zu entries\n", path, json_array_size(lines));
	return 0;
}

static void print_engine(json_t *e)
{
	json_t *card = json_object_get(e, "card"), *sa;
	size_t i;

	printf("engine: %s (%s)\n", str(e, "configured"), str(e, "impl"));
	if (!card) {
		printf("  one backend, %s: no card, no fallback\n", str(e, "backend"));
		return;
	}
	printf("  card %s: %s, %s", str(card, "backend"),
	       json_is_true(json_object_get(card, "serving")) ? "serving" : "NOT serving",
	       json_is_true(json_object_get(card, "healthy")) ? "healthy" : "FAULTED");
	if (num(card, "faults"))
		printf(", %lld faults (last: %s: %s)", num(card, "faults"), str(card, "fault"),
		       str(card, "why"));
	printf("\n  software: soft; fallbacks %lld (last took %lld us), moved back %lld, "
	       "sequence margin %lld\n",
	       num(e, "fallbacks"), num(e, "last_fallback_us"), num(e, "moves_back"),
	       num(e, "seq_margin"));
	printf("  SAs: %lld on the card, %lld in software\n", num(e, "sas_card"),
	       num(e, "sas_soft"));
	json_array_foreach(json_object_get(e, "sas"), i, sa)
		printf("    %s %-3s %-18s %-4s %s\n", str(sa, "spi"), str(sa, "dir"),
		       str(sa, "cipher"), str(sa, "placement"), str(sa, "why"));
}

static int count_arg(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return !*s || *end || errno || *v < 0 ? -1 : 0;
}

/*
 * initiate: the daemon streams the connection's log lines and then the
 * outcome (host/daemon/initiate.h); printed as they come, as swanctl
 * --initiate does.  0 when the Child SA is up, 1 with the reason.
 */
static int initiate(const struct opts *o, const char *conn)
{
	json_t *req = json_pack("{s:s, s:s, s:b}", "cmd", "initiate", "conn", conn, "stream", 1);
	json_t *m = NULL, *e;
	struct ctl_conn *c = NULL;
	int wait = o->no_wait ? 0 : o->wait ? o->wait : DEFAULT_WAIT, ret;

	if (o->child)
		json_object_set_new(req, "child", json_string(o->child));
	if (wait)
		json_object_set_new(req, "wait", json_integer(wait));
	ret = ctl_connect(o->socket, req, &c);
	json_decref(req);
	if (ret == 0)
		ret = ctl_recv(c, &m, 10000);
	if (ret < 0) {
		no_daemon(o, ret);
		ctl_disconnect(c);
		return 1;
	}
	if (!json_is_true(json_object_get(m, "ok"))) {
		fprintf(stderr, "ipsecfx: %s\n", str(m, "error"));
		json_decref(m);
		ctl_disconnect(c);
		return 1;
	}
	ret = 1;
	for (;;) {
		json_decref(m);
		m = NULL;
		/* the daemon ends it at its deadline: a little longer here */
		if (ctl_recv(c, &m, (wait + 10) * 1000) < 0) {
			fprintf(stderr, "ipsecfx: the daemon stopped answering about %s\n", conn);
			break;
		}
		e = json_object_get(m, "event");
		if (!e)
			break;    /* the end line */
		if (o->json) {
			json_dumpf(e, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			printf("\n");
		}
		if (json_object_get(e, "log")) {
			if (!o->json)
				printf("%s\n", str(e, "log"));
		} else if (json_object_get(e, "initiating")) {
			if (!o->json)
				printf("initiated %s (setting up in the background)\n", conn);
			ret = 0;
		} else if (json_is_true(json_object_get(e, "established"))) {
			if (!o->json)
				printf("initiated %s: established%s%s\n", conn,
				       *str(e, "child") != '-' && *str(e, "child") ? ", child " : "",
				       *str(e, "child") != '-' ? str(e, "child") : "");
			ret = 0;
		} else if (json_object_get(e, "done")) {
			fprintf(stderr, "ipsecfx: %s\n", str(e, "error"));
			ret = 1;
		}
		fflush(stdout);
	}
	json_decref(m);
	ctl_disconnect(c);
	return ret;
}

/* --socket, else $IPSECFX_SOCKET, else control: in --config FILE or the
 * default configuration (when this user may read it), else the default. */
static int find_socket(struct opts *o, bool socket_given)
{
	const char *file = o->config ? o->config : DEFAULT_CONFIG;
	static char from[300];
	int r;

	if (socket_given)
		return 0;
	if (getenv("IPSECFX_SOCKET") && !o->config) {
		o->socket = getenv("IPSECFX_SOCKET");
		o->socket_from = "$IPSECFX_SOCKET";
		return 0;
	}
	r = cfg_peek_string(file, "control", o->socket_buf, sizeof(o->socket_buf));
	if (r < 0 && o->config) {
		fprintf(stderr, "ipsecfx: %s: %s\n", file,
			r == -EINVAL ? "not a YAML file" : strerror(-r));
		return -1;
	}
	if (r > 0) {
		o->socket = o->socket_buf;
		snprintf(from, sizeof(from), "control: in %s", file);
		o->socket_from = from;
	}
	return 0;
}

int cmd_ctl(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'C' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "child", required_argument, NULL, 'c' },
		{ "wait", required_argument, NULL, 'w' },
		{ "wireshark", required_argument, NULL, 'W' },
		{ "ike", no_argument, NULL, 'I' },
		{ "reauth", no_argument, NULL, 'R' },
		{ "sa", required_argument, NULL, 'S' },
		{ "conn", required_argument, NULL, 'N' },
		{ "limit", required_argument, NULL, 'L' },
		{ "offset", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .socket = DEFAULT_SOCKET, .limit = -1 };
	const char *cmd = argv[0], *arg = NULL;
	json_t *res = NULL;
	bool socket_given = false;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:C:jc:w:W:h", lo, NULL)) != -1) {
		switch (c) {
		case 'C':
			o.config = optarg;
			break;
		case 'n':
			o.no_wait = true;
			break;
		case 'I':
			o.ike = true;
			break;
		case 'R':
			o.reauth = true;
			break;
		case 'S':
			o.sa = optarg;
			break;
		case 'N':
			o.conn = optarg;
			break;
		case 'L':
		case 'O':
			if (count_arg(optarg, c == 'L' ? &o.limit : &o.offset) < 0) {
				fprintf(stderr, "ipsecfx: --%s wants a number >= 0, not '%s'\n",
					c == 'L' ? "limit" : "offset", optarg);
				return 2;
			}
			break;
		case 's':
			o.socket = optarg;
			socket_given = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'c':
			o.child = optarg;
			break;
		case 'w': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < 1 || v > 86400) {
				fprintf(stderr, "ipsecfx: --wait takes a number of seconds (1-86400), "
					"not '%s'\n", optarg);
				return 2;
			}
			o.wait = (int)v;
			break;
		}
		case 'W':
			o.wireshark = optarg;
			break;
		case 'h':
			printf("usage: ipsecfx %s [--socket PATH] [--json] ...\n", cmd);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc)
		arg = argv[optind];
	if (find_socket(&o, socket_given) < 0)
		return 2;
	if (o.no_wait && o.wait) {
		fprintf(stderr, "ipsecfx: --wait or --no-wait?\n");
		return 2;
	}

	if ((o.conn || o.limit >= 0 || o.offset) && strcmp(cmd, "list-sas") != 0) {
		fprintf(stderr, "ipsecfx: --conn, --limit and --offset are list-sas options\n");
		return 2;
	}
	if (strcmp(cmd, "list-sas") == 0) {
		/* list-sas NAME: the same as --conn NAME */
		if (arg && o.conn && strcmp(arg, o.conn) != 0) {
			fprintf(stderr, "ipsecfx: list-sas %s --conn %s: which one?\n", arg, o.conn);
			return 2;
		}
		if (arg)
			o.conn = arg;
		ret = list_sas(&o);
	} else if (strcmp(cmd, "list-conns") == 0) {
		json_t *req = json_pack("{s:s}", "cmd", "list-conns");

		if (arg)
			json_object_set_new(req, "conn", json_string(arg));
		ret = call(&o, req, &res);
		if (!ret)
			o.json ? print_json(res) : print_conns(res);
	} else if (strcmp(cmd, "list-certs") == 0) {
		ret = call(&o, json_pack("{s:s}", "cmd", "list-certs"), &res);
		if (!ret)
			o.json ? print_json(res) : print_certs(res);
	} else if (strcmp(cmd, "initiate") == 0) {
		if (!arg) {
			fprintf(stderr, "usage: ipsecfx initiate CONN [--child NAME] "
				"[--wait SECONDS | --no-wait]\n");
			return 2;
		}
		ret = initiate(&o, arg);
	} else if (strcmp(cmd, "terminate") == 0) {
		if (!arg) {
			fprintf(stderr, "usage: ipsecfx terminate CONN\n");
			return 2;
		}
		ret = call(&o, json_pack("{s:s, s:s}", "cmd", cmd, "conn", arg), &res);
		if (!ret)
			o.json ? print_json(res) : (void)printf("terminated %s\n", arg);
	} else if (strcmp(cmd, "rekey") == 0) {
		json_t *req;

		if (!arg || (o.ike + o.reauth + (o.child != NULL)) > 1) {
			fprintf(stderr, "usage: ipsecfx rekey CONN [--child NAME | --ike | --reauth]\n");
			return 2;
		}
		req = json_pack("{s:s, s:s, s:b, s:b}", "cmd", "rekey", "conn", arg,
				"ike", o.ike, "reauth", o.reauth);
		if (o.child)
			json_object_set_new(req, "child", json_string(o.child));
		ret = call(&o, req, &res);
		if (!ret)
			o.json ? print_json(res)
			       : (void)printf("%s: rekeying %s\n", arg,
					      json_string_value(json_object_get(res, "rekeying")));
	} else if (strcmp(cmd, "reload") == 0) {
		ret = call(&o, json_pack("{s:s}", "cmd", "reload"), &res);
		if (!ret)
			o.json ? print_json(res)
			       : (void)printf("reloaded: %lld connections\n",
					      (long long)json_integer_value(json_object_get(res, "connections")));
	} else if (strcmp(cmd, "stats") == 0) {
		ret = call(&o, json_pack("{s:s}", "cmd", "stats"), &res);
		if (!ret)
			print_json(res);
	} else if (strcmp(cmd, "engine") == 0) {
		const char *op = arg ? arg : "show", *what = optind + 1 < argc ? argv[optind + 1] : NULL;
		json_t *req;

		if (strcmp(op, "show") && ((strcmp(op, "move") && strcmp(op, "fault")) || !what)) {
			fprintf(stderr, "usage: ipsecfx engine [show] [--json]\n"
				"       ipsecfx engine move soft|card [--sa SPI]\n"
				"       ipsecfx engine fault stall|dma|reset   (tests; needs "
				"engine_fault_injection: true)\n");
			return 2;
		}
		req = json_pack("{s:s, s:s}", "cmd", "engine", "op", op);
		if (strcmp(op, "move") == 0)
			json_object_set_new(req, "to", json_string(what));
		if (strcmp(op, "fault") == 0)
			json_object_set_new(req, "kind", json_string(what));
		if (o.sa)
			json_object_set_new(req, "spi", json_string(o.sa));
		ret = call(&o, req, &res);
		if (!ret && o.json)
			print_json(res);
		else if (!ret && strcmp(op, "fault") == 0)
			printf("fault injected: %s\n", str(res, "injected"));
		else if (!ret) {
			json_t *e = strcmp(op, "move") == 0 ? json_object_get(res, "engine") : res;

			if (strcmp(op, "move") == 0)
				printf("%lld SAs moved to %s\n", num(res, "moved"), str(res, "to"));
			print_engine(e);
		}
	} else if (strcmp(cmd, "export-keys") == 0) {
		if (!o.wireshark) {
			fprintf(stderr, "usage: ipsecfx export-keys --wireshark DIR\n");
			return 2;
		}
		ret = call(&o, json_pack("{s:s}", "cmd", "export-keys"), &res);
		if (!ret) {
			ret = write_file(o.wireshark, "esp_sa", json_object_get(res, "esp_sa"));
			ret |= write_file(o.wireshark, "ikev2_decryption_table",
					  json_object_get(res, "ikev2_decryption_table"));
		}
	} else {
		fprintf(stderr, "ipsecfx: unknown command '%s'\n", cmd);
		return 2;
	}
	json_decref(res);
	return ret;
}
