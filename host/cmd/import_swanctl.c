/*
 * What only swanctl.conf has, resolved in its tree (import.h): secrets,
 * authorities, swanctl's directories and defaults.  Every other key is the
 * loader's to read (config.c's hint table).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ipsecfx/log.h>

#include "../ike/ike_pki.h"
#include "import.h"

#define ERR IPX_LOG_ERR
#define WARN IPX_LOG_WARN
#define INFO IPX_LOG_INFO

/* A file of PKI material and what is in it. */
struct pki_file {
	char *path;
	STACK_OF(X509) *certs;
};

struct ike_secret {
	const struct sw_node *sec, *secret;
	const char *ids[16];
	unsigned nids;
};

struct imp {
	struct sw_conf *c;
	const char *dir;
	struct ike_secret psks[256];
	unsigned npsks;
	struct pki_file cas[64];     /* authorities, then x509ca/ */
	unsigned ncas;
	char *keys[64];              /* private/, rsa/, ecdsa/, pkcs8/ */
	unsigned nkeys;
	char *crls[64];              /* x509crl/ */
	unsigned ncrls;
	bool need_anchors, need_crls;
};

/* "ike-1" is an ike<suffix>: the prefix and anything after it. */
static bool prefixed(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* A file named in swanctl.conf: absolute, or under dir/sub. */
static char *under(const char *dir, const char *sub, const char *file)
{
	char *p = NULL;

	if (file[0] == '/')
		return strdup(file);
	if (asprintf(&p, "%s/%s/%s", dir, sub, file) < 0)
		return NULL;
	return p;
}

/* The regular files of dir/sub, sorted; NULL-ended, or NULL. */
static char **files_in(const char *dir, const char *sub)
{
	struct dirent **names = NULL;
	char *path = NULL, **out = NULL;
	int n;

	if (asprintf(&path, "%s/%s", dir, sub) < 0)
		return NULL;
	n = scandir(path, &names, NULL, alphasort);
	if (n >= 0)
		out = calloc((size_t)n + 1, sizeof(*out));
	for (int i = 0, k = 0; i < n; i++) {
		struct stat st;
		char *f = NULL;

		if (out && names[i]->d_name[0] != '.' &&
		    asprintf(&f, "%s/%s", path, names[i]->d_name) >= 0) {
			if (stat(f, &st) == 0 && S_ISREG(st.st_mode))
				out[k++] = f;
			else
				free(f);
		}
		free(names[i]);
	}
	free(names);
	free(path);
	return out;
}

/* ---- secrets ---- */

/* 0s (base64) as 0x (hex), which the loader reads; others as they are. */
static char *psk_text(const char *v)
{
	size_t n = strlen(v), len, pad = 0;
	unsigned char *raw;
	char *out;

	if (strncmp(v, "0s", 2) != 0)
		return strdup(v);
	v += 2;
	n -= 2;
	raw = malloc(n + 1);
	out = malloc(2 * n + 3);
	if (!raw || !out || n % 4 || EVP_DecodeBlock(raw, (const unsigned char *)v, (int)n) < 0) {
		free(raw);
		free(out);
		return NULL;
	}
	while (pad < 2 && n > pad && v[n - 1 - pad] == '=')
		pad++;
	len = n / 4 * 3 - pad;
	strcpy(out, "0x");
	for (size_t i = 0; i < len; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, n + 1);
	free(raw);
	return out;
}

static void secrets(struct imp *im, struct sw_node *sec)
{
	static const struct {
		const char *prefix;
		int level;
		const char *why;
	} other[] = {
		{ "private", INFO, "a passphrase for a key in private/: ipsecfx reads unencrypted keys only (openssl pkey -in KEY -out PLAIN)" },
		{ "rsa", INFO, "a passphrase for a key in rsa/: ipsecfx reads unencrypted keys only (openssl pkey -in KEY -out PLAIN)" },
		{ "ecdsa", INFO, "a passphrase for a key in ecdsa/: ipsecfx reads unencrypted keys only (openssl pkey -in KEY -out PLAIN)" },
		{ "pkcs8", INFO, "a passphrase for a key in pkcs8/: ipsecfx reads unencrypted keys only (openssl pkey -in KEY -out PLAIN)" },
		{ "pkcs12", WARN, "PKCS#12 containers are not read: convert one (openssl pkcs12 -in F.p12 -nodes) into a key in private/ and a certificate in x509/" },
		{ "token", WARN, "keys on tokens (PKCS#11) are not supported" },
		{ "eap", WARN, "EAP is not supported (PSKs and certificates only)" },
		{ "xauth", WARN, "XAuth is IKEv1's" },
		{ "ntlm", WARN, "EAP is not supported (PSKs and certificates only)" },
		{ "ppk", WARN, "postquantum preshared keys (RFC 8784) are not supported" },
	};

	for (unsigned i = 0; i < sec->n; i++) {
		const struct sw_node *s = sec->kids[i];
		struct ike_secret *p;
		size_t k;

		if (s->value || !prefixed(s->name, "ike")) {
			for (k = 0; k < sizeof(other) / sizeof(other[0]); k++)
				if (!s->value && prefixed(s->name, other[k].prefix))
					break;
			if (k < sizeof(other) / sizeof(other[0]))
				sw_say(im->c, s, other[k].level, "secrets.%s: not carried over: %s",
				       s->name, other[k].why);
			else
				sw_say(im->c, s, WARN, "secrets.%s: not a kind of secret swanctl.conf has: left out",
				       s->name);
			continue;
		}
		if (im->npsks == sizeof(im->psks) / sizeof(im->psks[0])) {
			sw_say(im->c, s, ERR, "secrets.%s: more than %u IKE secrets", s->name, im->npsks);
			return;
		}
		p = &im->psks[im->npsks];
		*p = (struct ike_secret){ .sec = s, .secret = sw_get(s, "secret", NULL) };
		if (!p->secret || !p->secret->value) {
			sw_say(im->c, s, WARN, "secrets.%s: no secret in it: left out", s->name);
			continue;
		}
		for (unsigned j = 0; j < s->n; j++) {
			const struct sw_node *id = s->kids[j];

			if (id->value && prefixed(id->name, "id") && p->nids < 16)
				p->ids[p->nids++] = id->value;
			else if (id != p->secret)
				sw_say(im->c, id, WARN, "secrets.%s.%s: not a key of an IKE secret: left out",
				       s->name, id->name);
		}
		im->npsks++;
	}
}

/* "@moon" is "moon"; a key ID (@#) stays. */
static const char *bare(const char *id)
{
	return id[0] == '@' && id[1] != '#' ? id + 1 : id;
}

/* How well a secret's owner matches an identity, in strongSwan's terms
 * (id_match_t): 20 the same, 19 through a wildcard, 1 %any. */
static int id_match(const char *owner, const char *id)
{
	unsigned char a[16], b[16];
	uint8_t da[512], db[512];
	size_t la, lb;
	const char *why;

	if (strcmp(owner, "%any") == 0)
		return 1;
	if (strcmp(id, "%any") == 0)
		return 0;
	if ((inet_pton(AF_INET, owner, a) == 1 && inet_pton(AF_INET, id, b) == 1 &&
	     memcmp(a, b, 4) == 0) ||
	    (inet_pton(AF_INET6, owner, a) == 1 && inet_pton(AF_INET6, id, b) == 1 &&
	     memcmp(a, b, 16) == 0))
		return 20;
	if (strchr(owner, '=') && strchr(id, '=') &&
	    ike_pki_dn_from_text(owner, da, sizeof(da), &la, &why) == 0 &&
	    ike_pki_dn_from_text(id, db, sizeof(db), &lb, &why) == 0)
		return la == lb && memcmp(da, db, la) == 0 ? 20 : 0;
	if (strcasecmp(bare(owner), bare(id)) == 0)
		return 20;
	if (strchr(owner, '*') && fnmatch(bare(owner), bare(id), FNM_CASEFOLD) == 0)
		return 19;
	return 0;
}

/* The best match of a secret's owners for any of ids; a secret without
 * owners is everyone's (ID_MATCH_ANY). */
static int owner_match(const struct ike_secret *p, char *const *ids, unsigned n)
{
	int best = 0;

	if (!p->nids)
		return 1;
	for (unsigned i = 0; i < p->nids; i++)
		for (unsigned k = 0; k < n; k++) {
			int m = id_match(p->ids[i], ids[k]);

			if (m > best)
				best = m;
		}
	return best;
}

/* A comma-separated value as a list (strtok_r'd copy in *buf). */
static unsigned split(const char *v, char **buf, char **out, unsigned max)
{
	char *save = NULL;
	unsigned n = 0;

	*buf = v ? strdup(v) : NULL;
	for (char *t = *buf ? strtok_r(*buf, ",", &save) : NULL; t && n < max;
	     t = strtok_r(NULL, ",", &save)) {
		char *e = t + strlen(t);

		while (*t == ' ' || *t == '\t')
			t++;
		while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (*t)
			out[n++] = t;
	}
	return n;
}

/* One end's identities as charon would know them: its id, else its
 * addresses (the default identity), %any left out. */
static unsigned end_ids(const struct sw_node *conn, const struct sw_node *end,
			const char *addrs_key, char **buf, char **out, unsigned max)
{
	const char *id = sw_value(end, "id");
	unsigned n;

	if (id && strcmp(id, "%any") != 0) {
		*buf = NULL;
		out[0] = (char *)id;
		return 1;
	}
	n = split(sw_value(conn, addrs_key), buf, out, max);
	for (unsigned i = 0; i < n;)
		if (strcmp(out[i], "%any") == 0)
			out[i] = out[--n];
		else
			i++;
	return n;
}

/* The connection's PSK: the IKE secret whose owners best match our and the
 * peer's identities (charon's credential manager: the sum of both
 * matches, the first of equals). */
static void conn_psk(struct imp *im, struct sw_node *conn, const struct sw_node *local,
		     const struct sw_node *remote)
{
	char *me[16], *peer[16], *mb = NULL, *pb = NULL, *text;
	unsigned nme = end_ids(conn, local, "local_addrs", &mb, me, 16);
	unsigned npeer = end_ids(conn, remote, "remote_addrs", &pb, peer, 16);
	const struct ike_secret *pick = NULL, *tie = NULL;
	int best = 0;

	for (unsigned i = 0; i < im->npsks; i++) {
		const struct ike_secret *p = &im->psks[i];
		int m = owner_match(p, me, nme), o = owner_match(p, peer, npeer);

		if (!m && !o)
			continue;
		if (m + o > best) {
			best = m + o;
			pick = p;
			tie = NULL;
		} else if (m + o == best && !tie) {
			tie = p;
		}
	}
	if (!pick) {
		sw_say(im->c, conn, ERR,
		       "connections.%s: psk authentication, and no IKE secret in secrets whose id<suffix> matches %s and %s%s",
		       conn->name, nme ? me[0] : "our address", npeer ? peer[0] : "the peer's",
		       im->npsks ? "" : " (is there a --secrets file?)");
	} else {
		if (tie)
			sw_say(im->c, tie->sec, WARN,
			       "secrets.%s matches connection %s as well as secrets.%s (line %u) does: the first is taken, as charon takes it",
			       tie->sec->name, conn->name, pick->sec->name, pick->sec->line);
		text = psk_text(pick->secret->value);
		if (!text)
			sw_say(im->c, pick->secret, ERR, "secrets.%s.secret: 0s and no Base64 after it",
			       pick->sec->name);
		else if (!sw_add(conn, "psk", text, pick->secret))
			sw_say(im->c, conn, ERR, "out of memory");
		else
			sw_say(im->c, pick->secret, INFO, "secrets.%s: the psk of connection %s",
			       pick->sec->name, conn->name);
		if (text)
			OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	free(mb);
	free(pb);
}

/* ---- certificates and keys ---- */

static void pki_add(struct imp *im, const struct sw_node *at, char *path)
{
	const unsigned max = sizeof(im->cas) / sizeof(im->cas[0]);
	STACK_OF(X509) *certs = path ? sk_X509_new_null() : NULL;
	char err[PATH_MAX + 64] = "out of memory";

	if (certs && im->ncas == max)
		snprintf(err, sizeof(err), "%s: more than %u CA files", path, max);
	else if (certs && ike_pki_certs_load(path, certs, err, sizeof(err)) > 0) {
		im->cas[im->ncas++] = (struct pki_file){ path, certs };
		return;
	} else if (certs && !err[0])
		snprintf(err, sizeof(err), "%s: no certificate in it", path);
	if (at)
		sw_say(im->c, at, WARN, "%s: left out", err);
	else
		sw_msg(im->c, 0, 0, WARN, "%s: left out (swanctl's x509ca/)", err);
	sk_X509_pop_free(certs, X509_free);
	free(path);
}

static void authorities(struct imp *im, const struct sw_node *sec)
{
	for (unsigned i = 0; i < sec->n; i++) {
		const struct sw_node *a = sec->kids[i];

		if (a->value) {
			sw_say(im->c, a, WARN, "authorities.%s: not an authority (a section): left out",
			       a->name);
			continue;
		}
		for (unsigned k = 0; k < a->n; k++) {
			const struct sw_node *s = a->kids[k];
			const char *n = s->name;

			if (!s->value)
				sw_say(im->c, s, WARN, "authorities.%s.%s: left out (not a setting)",
				       a->name, n);
			else if (!strcmp(n, "cacert") || !strcmp(n, "file"))
				pki_add(im, s, under(im->dir, "x509ca", s->value));
			else if (!strcmp(n, "handle") || !strcmp(n, "slot") || !strcmp(n, "module"))
				sw_say(im->c, s, ERR, "authorities.%s.%s: not supported: CA certificates on tokens (PKCS#11)",
				       a->name, n);
			else if (!strcmp(n, "crl_uris"))
				sw_say(im->c, s, WARN, "authorities.%s.crl_uris: not carried over: CRLs are files here (crls), or fetched from each certificate's own distribution points with remote.revocation: ifuri",
				       a->name);
			else if (!strcmp(n, "ocsp_uris"))
				sw_say(im->c, s, WARN, "authorities.%s.ocsp_uris: not carried over: OCSP is not supported",
				       a->name);
			else if (!strcmp(n, "cert_uri_base"))
				sw_say(im->c, s, WARN, "authorities.%s.cert_uri_base: not carried over: give local.cert_uri (ending in /) and hash_and_url: true to the connections whose certificates this CA issued",
				       a->name);
			else
				sw_say(im->c, s, WARN, "authorities.%s.%s: not a key of an authority: left out",
				       a->name, n);
		}
	}
}

/* swanctl --load-creds reads every file in these directories. */
static void directories(struct imp *im)
{
	static const char *const keydirs[] = { "private", "rsa", "ecdsa", "pkcs8" };
	char **v;

	v = files_in(im->dir, "x509ca");
	for (unsigned i = 0; v && v[i]; i++)
		pki_add(im, NULL, v[i]);
	free(v);
	for (size_t d = 0; d < sizeof(keydirs) / sizeof(keydirs[0]); d++) {
		v = files_in(im->dir, keydirs[d]);
		for (unsigned i = 0; v && v[i]; i++)
			if (im->nkeys < sizeof(im->keys) / sizeof(im->keys[0]))
				im->keys[im->nkeys++] = v[i];
			else
				free(v[i]);
		free(v);
	}
	v = files_in(im->dir, "x509crl");
	for (unsigned i = 0; v && v[i]; i++)
		if (im->ncrls < sizeof(im->crls) / sizeof(im->crls[0]))
			im->crls[im->ncrls++] = v[i];
		else
			free(v[i]);
	free(v);
}

/* A comma-separated list of files, each made absolute under dir/sub. */
static int absolute_files(struct imp *im, struct sw_node *n, const char *sub)
{
	char *buf, *list[64], *out = NULL;
	unsigned k = split(n->value, &buf, list, 64);
	int ret = 0;

	for (unsigned i = 0; i < k && ret == 0; i++) {
		char *p = under(im->dir, sub, list[i]), *more;

		if (!p || asprintf(&more, "%s%s%s", out ? out : "", out ? ", " : "", p) < 0)
			ret = -ENOMEM;
		else {
			free(out);
			out = more;
		}
		free(p);
	}
	if (ret == 0 && out)
		ret = sw_set(n, out);
	free(out);
	free(buf);
	return ret;
}

/* Whom cert was issued by, among the CA files: a file, or NULL. */
static const struct pki_file *issuer_of(const struct imp *im, X509 *cert, X509 **by)
{
	for (unsigned i = 0; i < im->ncas; i++)
		for (int k = 0; k < sk_X509_num(im->cas[i].certs); k++) {
			X509 *ca = sk_X509_value(im->cas[i].certs, k);

			if (ca != cert && X509_check_issued(ca, cert) == X509_V_OK) {
				*by = ca;
				return &im->cas[i];
			}
		}
	return NULL;
}

static bool self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

/* local.certs: charon sends the intermediate CAs it has for our
 * certificate; here they follow it in certs. */
static void intermediates(struct imp *im, struct sw_node *certs, X509 *cert)
{
	X509 *at = cert, *by = NULL;

	for (int depth = 0; depth < 8 && !self_signed(at); depth++) {
		const struct pki_file *f = issuer_of(im, at, &by);
		char *more = NULL;

		if (!f || self_signed(by))
			return;
		if (!strstr(certs->value, f->path)) {
			if (asprintf(&more, "%s, %s", certs->value, f->path) < 0 ||
			    sw_set(certs, more) < 0) {
				free(more);
				return;
			}
			free(more);
			sw_say(im->c, certs, INFO, "local.certs: %s added after it, an intermediate CA charon would send along",
			       f->path);
		}
		at = by;
	}
}

/* local.key: the key in swanctl's key directories that is the first
 * certificate's (charon finds it by its public key). */
static void local_key(struct imp *im, const struct sw_node *conn, struct sw_node *local)
{
	struct sw_node *certs = sw_get(local, "certs", NULL);
	char *buf = NULL, *list[64], err[256];
	X509 *cert;

	if (!certs || !certs->value || split(certs->value, &buf, list, 64) == 0) {
		free(buf);
		return;
	}
	cert = ike_pki_cert_load(list[0], err, sizeof(err));
	free(buf);
	if (!cert)
		return;   /* the loader says why */
	intermediates(im, certs, cert);
	if (!sw_get(local, "key", NULL)) {
		unsigned i;

		for (i = 0; i < im->nkeys; i++) {
			EVP_PKEY *k = ike_pki_key_load(im->keys[i], err, sizeof(err));
			bool mine = k && ike_pki_key_matches(k, cert);

			EVP_PKEY_free(k);
			if (mine)
				break;
		}
		if (i < im->nkeys && sw_add(local, "key", im->keys[i], certs))
			sw_say(im->c, certs, INFO, "connections.%s.local.key: %s, the certificate's private key",
			       conn->name, im->keys[i]);
		else
			sw_say(im->c, certs, INFO, "connections.%s.local.certs: no unencrypted private key of it in %s/private, rsa, ecdsa or pkcs8",
			       conn->name, im->dir);
	}
	X509_free(cert);
}

/* ---- connections ---- */

/* The one authentication round of a side, as `local` (or `remote`):
 * swanctl.conf may call it local-anything. */
static struct sw_node *round_of(struct imp *im, struct sw_node *conn, const char *side)
{
	struct sw_node *one = NULL;
	unsigned n = 0;

	for (unsigned i = 0; i < conn->n; i++)
		if (!conn->kids[i]->value && prefixed(conn->kids[i]->name, side)) {
			one = conn->kids[i];
			n++;
		}
	if (n == 1 && strcmp(one->name, side) != 0) {
		sw_say(im->c, one, INFO, "connections.%s.%s: the only %s round: read as %s",
		       conn->name, one->name, side, side);
		free(one->name);
		one->name = strdup(side);
		if (!one->name)
			return NULL;
	}
	if (n > 1)
		return sw_get(conn, side, NULL);   /* the loader refuses the others */
	return one ? one : sw_add_section(conn, side, conn);
}

/* swanctl.conf's `default` proposal keyword: ours are the defaults when
 * the key is left out; among others it is left out. */
static void default_proposals(struct imp *im, struct sw_node *sec, const char *key,
			      const char *where)
{
	unsigned at;
	struct sw_node *n = sw_get(sec, key, &at);
	char *buf, *list[64], *out = NULL, *more;
	unsigned k;
	bool had = false;

	if (!n || !n->value)
		return;
	k = split(n->value, &buf, list, 64);
	for (unsigned i = 0; i < k; i++) {
		if (strcmp(list[i], "default") == 0) {
			had = true;
			continue;
		}
		if (asprintf(&more, "%s%s%s", out ? out : "", out ? ", " : "", list[i]) < 0)
			break;
		free(out);
		out = more;
	}
	if (had && !out) {
		sw_say(im->c, n, INFO, "%s.%s: default: left out, for ipsecfx's defaults (docs/config.md)",
		       where, key);
		sw_del(sec, at);
	} else if (had && sw_set(n, out) == 0) {
		sw_say(im->c, n, WARN, "%s.%s: 'default' left out: ipsecfx adds its defaults only to a connection that gives none",
		       where, key);
	}
	free(out);
	free(buf);
}

static void children(struct imp *im, struct sw_node *conn)
{
	struct sw_node *ch = sw_get(conn, "children", NULL);
	char where[300];

	for (unsigned i = 0; ch && !ch->value && i < ch->n; i++) {
		struct sw_node *c = ch->kids[i];
		unsigned at;

		if (c->value)
			continue;   /* the loader says what is wrong with it */
		snprintf(where, sizeof(where), "connections.%s.children.%s", conn->name, c->name);
		if (sw_get(c, "updown", &at)) {
			sw_say(im->c, c->kids[at], WARN, "%s.updown: not carried over: strongSwan's updown script reads PLUTO_* variables; ipsecfx runs its updown with the event as its argument and IPSECFX_* variables (docs/config.md)",
			       where);
			sw_del(c, at);
		}
		default_proposals(im, c, "esp_proposals", where);
	}
}

/* An end's auth as swanctl has it: pubkey when not given. */
static const char *end_auth(struct imp *im, struct sw_node *conn, struct sw_node *end,
			    const char *fallback, const char *why)
{
	const char *auth = sw_value(end, "auth");

	if (auth)
		return auth;
	if (!sw_add(end, "auth", fallback, end->line ? end : conn))
		return NULL;
	sw_say(im->c, end->line ? end : conn, INFO, "connections.%s.%s.auth: %s (%s)", conn->name,
	       end->name, fallback, why);
	return fallback;
}

static void connection(struct imp *im, struct sw_node *conn)
{
	struct sw_node *local, *remote, *n;
	bool had_remote = false;
	const char *la, *ra;
	char where[300];

	for (unsigned i = 0; i < conn->n; i++)
		if (!conn->kids[i]->value && prefixed(conn->kids[i]->name, "remote"))
			had_remote = true;
	local = round_of(im, conn, "local");
	remote = round_of(im, conn, "remote");
	if (!local || !remote)
		return;
	la = end_auth(im, conn, local, "pubkey", "swanctl.conf's default");
	ra = end_auth(im, conn, remote, had_remote ? "pubkey" : la ? la : "pubkey",
		      had_remote ? "swanctl.conf's default" :
		      "there is no remote section: swanctl takes any authentication from the peer, here it is local's");
	if (!la || !ra)
		return;
	if (!sw_get(remote, "id", NULL) && sw_add(remote, "id", "%any", remote->line ? remote : conn))
		sw_say(im->c, remote->line ? remote : conn, INFO,
		       "connections.%s.remote.id: %%any (swanctl.conf's default; ipsecfx's would be the peer's address)",
		       conn->name);
	if ((n = sw_get(local, "certs", NULL)) && n->value && absolute_files(im, n, "x509") < 0)
		return;
	if ((n = sw_get(remote, "certs", NULL)) && n->value && absolute_files(im, n, "x509") < 0)
		return;
	if ((n = sw_get(remote, "cacerts", NULL)) && n->value &&
	    absolute_files(im, n, "x509ca") < 0)
		return;
	if (!strcmp(la, "pubkey"))
		local_key(im, conn, local);
	if (!strcmp(ra, "pubkey")) {
		im->need_crls = true;
		if (!sw_get(remote, "cacerts", NULL))
			im->need_anchors = true;
	}
	if ((!strcmp(la, "psk") || !strcmp(ra, "psk")) && !sw_get(conn, "psk", NULL) &&
	    !sw_get(conn, "psk_file", NULL))
		conn_psk(im, conn, local, remote);
	snprintf(where, sizeof(where), "connections.%s", conn->name);
	default_proposals(im, conn, "proposals", where);
	children(im, conn);
}

/* The top-level cacerts and crls, first in the file. */
static void top_pki(struct imp *im)
{
	struct sw_node *root = &im->c->root, *n;
	char *list = NULL, *more;

	for (unsigned i = 0; im->need_anchors && i < im->ncas; i++) {
		if (asprintf(&more, "%s%s%s", list ? list : "", list ? ", " : "", im->cas[i].path) < 0)
			break;
		free(list);
		list = more;
	}
	if (list && (n = sw_add(root, "cacerts", list, NULL))) {
		memmove(&root->kids[1], &root->kids[0], (root->n - 1) * sizeof(*root->kids));
		root->kids[0] = n;
		sw_msg(im->c, 0, 0, INFO, "cacerts: swanctl's trust anchors (x509ca/, authorities): %s",
		       list);
	}
	free(list);
	list = NULL;
	for (unsigned i = 0; im->need_crls && i < im->ncrls; i++) {
		if (asprintf(&more, "%s%s%s", list ? list : "", list ? ", " : "", im->crls[i]) < 0)
			break;
		free(list);
		list = more;
	}
	if (list && (n = sw_add(root, "crls", list, NULL))) {
		memmove(&root->kids[1], &root->kids[0], (root->n - 1) * sizeof(*root->kids));
		root->kids[0] = n;
	}
	free(list);
}

/* The top level: connections stay, secrets and authorities are read
 * here, pools stay for the loader to refuse, the rest is not swanctl's. */
static void top_level(struct imp *im)
{
	struct sw_node *root = &im->c->root;

	for (unsigned i = 0; i < root->n;) {
		struct sw_node *k = root->kids[i];

		if (!k->value && !strcmp(k->name, "secrets")) {
			secrets(im, k);
		} else if (!k->value && !strcmp(k->name, "authorities")) {
			authorities(im, k);
		} else if (!k->value && (!strcmp(k->name, "connections") || !strcmp(k->name, "pools"))) {
			i++;
			continue;
		} else if (!k->referenced) {
			sw_say(im->c, k, WARN, "%s: not one of swanctl.conf's sections (connections, secrets, authorities, pools): left out, as swanctl leaves it",
			       k->name);
		}
		if (k->value || strcmp(k->name, "secrets") != 0) {
			sw_del(root, i);
			continue;
		}
		i++;   /* the secrets stay until the connections have them */
	}
}

int swanctl_resolve(struct sw_conf *c, const char *dir)
{
	struct imp *im = calloc(1, sizeof(*im));
	struct sw_node *conns;
	unsigned errors = c->errors, at;

	if (!im)
		return -ENOMEM;
	im->c = c;
	im->dir = dir;
	top_level(im);
	directories(im);
	conns = sw_get(&c->root, "connections", NULL);
	for (unsigned i = 0; conns && i < conns->n; i++) {
		if (conns->kids[i]->value) {
			sw_say(c, conns->kids[i], ERR, "connections.%s: a setting where a connection (a section) is meant",
			       conns->kids[i]->name);
			continue;
		}
		connection(im, conns->kids[i]);
	}
	if (!conns || !conns->n)
		sw_msg(c, 0, 0, ERR, "no connections: nothing to import");
	top_pki(im);
	if (sw_get(&c->root, "secrets", &at))
		sw_del(&c->root, at);
	for (unsigned i = 0; i < im->ncas; i++) {
		free(im->cas[i].path);
		sk_X509_pop_free(im->cas[i].certs, X509_free);
	}
	for (unsigned i = 0; i < im->nkeys; i++)
		free(im->keys[i]);
	for (unsigned i = 0; i < im->ncrls; i++)
		free(im->crls[i]);
	free(im);
	return c->errors > errors ? -EINVAL : 0;
}
