/*
 * Daemon configuration loader: libcyaml schema -> y_* structures -> checked
 * and converted into struct cfg.  Every error names file, line and key.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>

#include "../ike/ike_pki.h"
#include "../proto/ikev2.h"
#include "cfgutil.h"
#include "config.h"
#include "config_pki.h"

/* ---- the YAML schema ---- */

struct y_end {
	char *id;
	char *auth;
	char **certs;
	unsigned certs_count;
	char *key;
	char *cert_uri;
	char **cacerts;
	unsigned cacerts_count;
	int revocation;
};

struct y_child {
	char *name;
	char **local_ts;
	unsigned local_ts_count;
	char **remote_ts;
	unsigned remote_ts_count;
	char **esp_proposals;
	unsigned esp_proposals_count;
	int mode;
	uint32_t *replay_window;
	char *rekey_time, *life_time, *rand_time;
	char *rekey_bytes, *life_bytes, *rekey_packets, *life_packets;
};

struct y_conn {
	char *name;
	char **local_addrs;
	unsigned local_addrs_count;
	char **remote_addrs;
	unsigned remote_addrs_count;
	struct y_end *local, *remote;
	char *psk;
	char *psk_file;
	char **proposals;
	unsigned proposals_count;
	int encap;
	int start_action;
	uint32_t keyingtries;
	uint32_t *child_retries;
	char *nat_keepalive;
	char *liveness_interval;
	uint32_t *liveness_retries;
	int liveness_action;
	char *updown;
	int strict_cookies;
	char *ike_lifetime;
	char *reauth_interval;
	int *fragmentation;
	uint32_t fragment_size;
	uint32_t *max_child_sas;
	uint32_t *max_ike_sas_per_peer;
	int hash_and_url;
	struct y_child *children;
	unsigned children_count;
};

struct y_tun {
	char *name;
	uint32_t mtu;
};

struct y_cfg {
	char *engine;
	int engine_fault_injection;
	uint64_t *engine_seq_margin;
	char *engine_auto_back;
	char *half_open_timeout;
	uint32_t engine_deadline_ms;
	uint32_t engine_card_sas;
	char *control;
	char *control_group;
	char *user, *group;
	int log_level;
	uint16_t ike_port, natt_port;
	int key_export;
	uint32_t *cookie_threshold;
	uint32_t max_half_open;
	uint32_t *max_half_open_per_source;
	char *retransmit_timeout;
	uint32_t retransmit_tries;
	char *retransmit_base;
	char *retransmit_limit;
	struct y_tun *tun;
	char **cacerts;
	unsigned cacerts_count;
	char **crls;
	unsigned crls_count;
	uint32_t *cert_cache;
	char *cert_fetch_timeout;
	char *cert_fetch_max;
	struct y_conn *connections;
	unsigned connections_count;
};

static const cyaml_strval_t mode_strings[] = {
	{ "tunnel", IPX_MODE_TUNNEL },
	{ "transport", IPX_MODE_TRANSPORT },
};

static const cyaml_strval_t start_strings[] = {
	{ "none", CFG_START_NONE },
	{ "start", CFG_START_START },
	{ "trap", CFG_START_TRAP },
};

static const cyaml_strval_t liveness_strings[] = {
	{ "restart", CFG_LIVENESS_RESTART },
	{ "clear", CFG_LIVENESS_CLEAR },
};

static const cyaml_strval_t auth_strings[] = {
	{ "psk", CFG_AUTH_PSK },
	{ "pubkey", CFG_AUTH_PUBKEY },
};

static const cyaml_strval_t revocation_strings[] = {
	{ "relaxed", CFG_REV_RELAXED },
	{ "ifuri", CFG_REV_IFURI },
	{ "strict", CFG_REV_STRICT },
};

static const cyaml_strval_t level_strings[] = {
	{ "error", IPX_LOG_ERR },
	{ "warning", IPX_LOG_WARN },
	{ "info", IPX_LOG_INFO },
	{ "debug", IPX_LOG_DEBUG },
};

#define OPT CYAML_FLAG_OPTIONAL
#define PTR CYAML_FLAG_POINTER

static const cyaml_schema_value_t str_value = {
	CYAML_VALUE_STRING(PTR, char, 1, 512),
};

#define STR_SEQ(key, flags, st, member)                                      \
	CYAML_FIELD_SEQUENCE(key, PTR | (flags), st, member, &str_value, 0, 256)

static const cyaml_schema_field_t end_fields[] = {
	CYAML_FIELD_STRING_PTR("id", PTR | OPT, struct y_end, id, 1, CFG_ID_MAX - 1),
	CYAML_FIELD_STRING_PTR("auth", PTR | OPT, struct y_end, auth, 1, 32),
	STR_SEQ("certs", OPT, struct y_end, certs),
	CYAML_FIELD_STRING_PTR("key", PTR | OPT, struct y_end, key, 1, 511),
	CYAML_FIELD_STRING_PTR("cert_uri", PTR | OPT, struct y_end, cert_uri, 1, 511),
	STR_SEQ("cacerts", OPT, struct y_end, cacerts),
	CYAML_FIELD_ENUM("revocation", OPT | CYAML_FLAG_STRICT, struct y_end, revocation,
			 revocation_strings, 3),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t child_fields[] = {
	CYAML_FIELD_STRING_PTR("name", PTR, struct y_child, name, 1, CFG_NAME_MAX - 1),
	STR_SEQ("local_ts", OPT, struct y_child, local_ts),
	STR_SEQ("remote_ts", OPT, struct y_child, remote_ts),
	STR_SEQ("esp_proposals", OPT, struct y_child, esp_proposals),
	CYAML_FIELD_ENUM("mode", OPT | CYAML_FLAG_STRICT, struct y_child, mode,
			 mode_strings, 2),
	CYAML_FIELD_UINT_PTR("replay_window", PTR | OPT, struct y_child,
			     replay_window),
	CYAML_FIELD_STRING_PTR("rekey_time", PTR | OPT, struct y_child, rekey_time, 1, 32),
	CYAML_FIELD_STRING_PTR("life_time", PTR | OPT, struct y_child, life_time, 1, 32),
	CYAML_FIELD_STRING_PTR("rand_time", PTR | OPT, struct y_child, rand_time, 1, 32),
	CYAML_FIELD_STRING_PTR("rekey_bytes", PTR | OPT, struct y_child, rekey_bytes, 1, 32),
	CYAML_FIELD_STRING_PTR("life_bytes", PTR | OPT, struct y_child, life_bytes, 1, 32),
	CYAML_FIELD_STRING_PTR("rekey_packets", PTR | OPT, struct y_child, rekey_packets, 1, 32),
	CYAML_FIELD_STRING_PTR("life_packets", PTR | OPT, struct y_child, life_packets, 1, 32),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t child_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_child, child_fields),
};

static const cyaml_schema_field_t conn_fields[] = {
	CYAML_FIELD_STRING_PTR("name", PTR, struct y_conn, name, 1, CFG_NAME_MAX - 1),
	STR_SEQ("local_addrs", OPT, struct y_conn, local_addrs),
	STR_SEQ("remote_addrs", OPT, struct y_conn, remote_addrs),
	CYAML_FIELD_MAPPING_PTR("local", PTR | OPT, struct y_conn, local, end_fields),
	CYAML_FIELD_MAPPING_PTR("remote", PTR | OPT, struct y_conn, remote, end_fields),
	CYAML_FIELD_STRING_PTR("psk", PTR | OPT, struct y_conn, psk, 1, 1024),
	CYAML_FIELD_STRING_PTR("psk_file", PTR | OPT, struct y_conn, psk_file, 1, 1024),
	STR_SEQ("proposals", OPT, struct y_conn, proposals),
	CFG_FIELD_BOOL("encap", OPT, struct y_conn, encap),
	CYAML_FIELD_ENUM("start_action", OPT | CYAML_FLAG_STRICT, struct y_conn,
			 start_action, start_strings, 3),
	CYAML_FIELD_UINT("keyingtries", OPT, struct y_conn, keyingtries),
	CYAML_FIELD_UINT_PTR("child_retries", PTR | OPT, struct y_conn, child_retries),
	CYAML_FIELD_STRING_PTR("nat_keepalive", PTR | OPT, struct y_conn, nat_keepalive, 1, 32),
	CYAML_FIELD_STRING_PTR("liveness_interval", PTR | OPT, struct y_conn, liveness_interval, 1, 32),
	CYAML_FIELD_UINT_PTR("liveness_retries", PTR | OPT, struct y_conn, liveness_retries),
	CYAML_FIELD_ENUM("liveness_action", OPT | CYAML_FLAG_STRICT, struct y_conn,
			 liveness_action, liveness_strings, 2),
	CYAML_FIELD_STRING_PTR("updown", PTR | OPT, struct y_conn, updown, 1, 255),
	CFG_FIELD_BOOL("strict_cookies", OPT, struct y_conn, strict_cookies),
	CYAML_FIELD_STRING_PTR("ike_lifetime", PTR | OPT, struct y_conn, ike_lifetime, 1, 32),
	CYAML_FIELD_STRING_PTR("reauth_interval", PTR | OPT, struct y_conn, reauth_interval, 1, 32),
	CYAML_FIELD_ENUM_PTR("fragmentation", PTR | OPT | CYAML_FLAG_STRICT, struct y_conn,
			     fragmentation, cfg_bool_strings, CFG_BOOL_STRINGS),
	CYAML_FIELD_UINT("fragment_size", OPT, struct y_conn, fragment_size),
	CYAML_FIELD_UINT_PTR("max_child_sas", PTR | OPT, struct y_conn, max_child_sas),
	CYAML_FIELD_UINT_PTR("max_ike_sas_per_peer", PTR | OPT, struct y_conn,
			     max_ike_sas_per_peer),
	CFG_FIELD_BOOL("hash_and_url", OPT, struct y_conn, hash_and_url),
	CYAML_FIELD_SEQUENCE("children", PTR | OPT, struct y_conn, children,
			     &child_value, 0, 64),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t conn_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_conn, conn_fields),
};

static const cyaml_schema_field_t tun_fields[] = {
	CYAML_FIELD_STRING_PTR("name", PTR | OPT, struct y_tun, name, 1, 15),
	CYAML_FIELD_UINT("mtu", OPT, struct y_tun, mtu),
	CYAML_FIELD_END
};

static const cyaml_schema_field_t top_fields[] = {
	CYAML_FIELD_STRING_PTR("engine", PTR | OPT, struct y_cfg, engine, 1, 15),
	CFG_FIELD_BOOL("engine_fault_injection", OPT, struct y_cfg, engine_fault_injection),
	CYAML_FIELD_UINT_PTR("engine_seq_margin", PTR | OPT, struct y_cfg, engine_seq_margin),
	CYAML_FIELD_STRING_PTR("engine_auto_back", PTR | OPT, struct y_cfg, engine_auto_back,
			       1, 32),
	CYAML_FIELD_UINT("engine_deadline_ms", OPT, struct y_cfg, engine_deadline_ms),
	CYAML_FIELD_UINT("engine_card_sas", OPT, struct y_cfg, engine_card_sas),
	CYAML_FIELD_STRING_PTR("control", PTR | OPT, struct y_cfg, control, 1, 107),
	CYAML_FIELD_STRING_PTR("control_group", PTR | OPT, struct y_cfg, control_group, 1, 63),
	CYAML_FIELD_STRING_PTR("user", PTR | OPT, struct y_cfg, user, 1, 63),
	CYAML_FIELD_STRING_PTR("group", PTR | OPT, struct y_cfg, group, 1, 63),
	CYAML_FIELD_ENUM("log_level", OPT | CYAML_FLAG_STRICT, struct y_cfg,
			 log_level, level_strings, 4),
	CYAML_FIELD_UINT("ike_port", OPT, struct y_cfg, ike_port),
	CYAML_FIELD_UINT("natt_port", OPT, struct y_cfg, natt_port),
	CFG_FIELD_BOOL("key_export", OPT, struct y_cfg, key_export),
	CYAML_FIELD_UINT_PTR("cookie_threshold", PTR | OPT, struct y_cfg, cookie_threshold),
	CYAML_FIELD_UINT("max_half_open", OPT, struct y_cfg, max_half_open),
	CYAML_FIELD_STRING_PTR("half_open_timeout", PTR | OPT, struct y_cfg, half_open_timeout,
			       1, 32),
	CYAML_FIELD_UINT_PTR("max_half_open_per_source", PTR | OPT, struct y_cfg,
			     max_half_open_per_source),
	CYAML_FIELD_STRING_PTR("retransmit_timeout", PTR | OPT, struct y_cfg,
			       retransmit_timeout, 1, 32),
	CYAML_FIELD_UINT("retransmit_tries", OPT, struct y_cfg, retransmit_tries),
	CYAML_FIELD_STRING_PTR("retransmit_base", PTR | OPT, struct y_cfg,
			       retransmit_base, 1, 32),
	CYAML_FIELD_STRING_PTR("retransmit_limit", PTR | OPT, struct y_cfg,
			       retransmit_limit, 1, 32),
	CYAML_FIELD_MAPPING_PTR("tun", PTR | OPT, struct y_cfg, tun, tun_fields),
	STR_SEQ("cacerts", OPT, struct y_cfg, cacerts),
	STR_SEQ("crls", OPT, struct y_cfg, crls),
	CYAML_FIELD_UINT_PTR("cert_cache", PTR | OPT, struct y_cfg, cert_cache),
	CYAML_FIELD_STRING_PTR("cert_fetch_timeout", PTR | OPT, struct y_cfg,
			       cert_fetch_timeout, 1, 32),
	CYAML_FIELD_STRING_PTR("cert_fetch_max", PTR | OPT, struct y_cfg, cert_fetch_max,
			       1, 32),
	CYAML_FIELD_SEQUENCE("connections", PTR | OPT, struct y_cfg, connections,
			     &conn_value, 0, 100000),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t top_value = {
	CYAML_VALUE_MAPPING(PTR, struct y_cfg, top_fields),
};

/* ---- defaults (docs/config.md) ---- */

static const char *const default_ike[] = {
	"aes256gcm16-aes128gcm16-prfsha256-prfsha384-x25519-ecp256-modp2048",
	"aes256-aes128-sha256-sha384-x25519-ecp256-modp2048",
};
static const char *const default_esp[] = {
	"aes256gcm16-aes128gcm16",
	"aes256-aes128-sha256",
};
#define DEFAULT_CONTROL "/run/ipsecfx/ipsecfx.sock"
#define DEFAULT_USER "ipsecfx"
#define DEFAULT_TUN "ipsecfx0"
#define DEFAULT_MTU 1400
#define DEFAULT_REPLAY 1024

/* ---- identities ---- */

int cfg_parse_id(const char *s, struct cfg_id *id, bool allow_any,
		 const char **why)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->text, sizeof(id->text), "%s", s);
	if (strcmp(s, "%any") == 0) {
		if (!allow_any) {
			*why = "%any is only for the remote side";
			return -EINVAL;
		}
		id->any = true;
		return 0;
	}
	if (inet_pton(AF_INET, s, id->data) == 1) {
		id->type = IKEV2_ID_IPV4_ADDR;
		id->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, id->data) == 1) {
		id->type = IKEV2_ID_IPV6_ADDR;
		id->len = 16;
		return 0;
	}
	if (strncmp(s, "@#", 2) == 0) {
		/* swanctl's key ID: hex */
		size_t n = 0;

		if (!OPENSSL_hexstr2buf_ex(id->data, sizeof(id->data), &n, s + 2, '\0') || !n) {
			*why = "a key ID is @# and hex digits";
			return -EINVAL;
		}
		id->type = IKEV2_ID_KEY_ID;
		id->len = (uint16_t)n;
		return 0;
	}
	if (strchr(s, '=')) {
		size_t len;

		if (ike_pki_dn_from_text(s, id->data, sizeof(id->data), &len, why) < 0)
			return -EINVAL;
		id->type = IKEV2_ID_DER_ASN1_DN;
		id->len = (uint16_t)len;
		return 0;
	}
	if (s[0] == '@')
		s++;  /* strongSwan's way to force an FQDN */
	if (!*s || strlen(s) >= CFG_ID_MAX) {
		*why = "empty or too long";
		return -EINVAL;
	}
	id->type = strchr(s, '@') ? IKEV2_ID_RFC822_ADDR : IKEV2_ID_FQDN;
	id->len = (uint16_t)strlen(s);
	memcpy(id->data, s, id->len);
	return 0;
}

int cfg_parse_duration(const char *s, uint32_t *secs)
{
	char *end;
	unsigned long long v;
	unsigned long mult = 1;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -EINVAL;
		}
		if (end[1])
			return -EINVAL;
	}
	if (v > UINT32_MAX / mult)
		return -EINVAL;
	*secs = (uint32_t)(v * mult);
	return 0;
}

int cfg_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		switch (*end) {
		case 'k': case 'K': mult = 1ull << 10; break;
		case 'M': mult = 1ull << 20; break;
		case 'G': mult = 1ull << 30; break;
		case 'T': mult = 1ull << 40; break;
		default: return -EINVAL;
		}
		if (end[1])
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* ---- conversion ---- */

#define P(...) (snprintf(path, sizeof(path), __VA_ARGS__), path)

static int opt_duration(const struct yamlpos *yp, const char *path, const char *s,
			uint32_t def, uint32_t *out)
{
	*out = def;
	if (!s)
		return 0;
	if (cfg_parse_duration(s, out) < 0) {
		yamlpos_err(yp, path, "'%s' is not a duration (30s, 5m, 8h, 1d or seconds)", s);
		return -EINVAL;
	}
	return 0;
}

static int opt_size(const struct yamlpos *yp, const char *path, const char *s,
		    uint64_t *out)
{
	*out = 0;
	if (!s)
		return 0;
	if (cfg_parse_size(s, out) < 0) {
		yamlpos_err(yp, path, "'%s' is not a count (1500, 64k, 10M, 2G)", s);
		return -EINVAL;
	}
	return 0;
}

static int conv_addr(const struct yamlpos *yp, const char *path,
		     const char *s, struct sockaddr_storage *ss)
{
	struct ipx_addr a;

	memset(ss, 0, sizeof(*ss));
	if (cfg_addr(yp, path, s, &a) < 0)
		return -EINVAL;
	if (a.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a.a, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a.a, 16);
	}
	return 0;
}

static int conv_props(const struct yamlpos *yp, const char *base, char **v,
		      unsigned n, const char *const *defaults, unsigned ndef,
		      uint8_t proto, struct ike_prop_cfg **out, unsigned *nout)
{
	char path[160], err[160];
	int bad = 0;

	if (!n) {
		v = (char **)defaults;
		n = ndef;
	}
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*nout = n;
	for (unsigned i = 0; i < n; i++) {
		if (ike_prop_parse(v[i], proto, &(*out)[i], err, sizeof(err)) < 0) {
			yamlpos_err(yp, P("%s[%u]", base, i), "%s", err);
			bad = -EINVAL;
		}
	}
	return bad;
}

/*
 * Only what the ESP engines implement may be offered (the software
 * engine, which is also every card's fallback: driver/soft/xform.c): an
 * offer the peer accepts and we then cannot install would leave the peer
 * with a half tunnel.  NULL, or what is missing.
 */
static const char *esp_unsupported(const struct ike_prop_cfg *p)
{
	for (unsigned k = 0; k < p->n_xf; k++) {
		const struct ike_transform *x = &p->xf[k];

		if (x->type == IKEV2_XF_ENCR && x->id == IKEV2_ENCR_AES_CBC && x->key_len == 192)
			return "AES-192-CBC (aes192) is not implemented by the ESP engines: use aes128 or aes256";
		if (x->type == IKEV2_XF_INTEG && x->id != IKEV2_INTEG_HMAC_SHA2_256_128)
			return "ESP integrity other than HMAC-SHA2-256-128 (sha256) is not implemented by the ESP engines";
	}
	return NULL;
}

static int conv_ts(const struct yamlpos *yp, const char *base, char **v,
		   unsigned n, struct ike_ts **out, unsigned *nout)
{
	char path[160];
	int bad = 0;

	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*nout = n;
	for (unsigned i = 0; i < n; i++) {
		const char *why = "";

		if (strcmp(v[i], "dynamic") == 0) {
			(*out)[i].type = 0;  /* resolved to the IKE address */
			continue;
		}
		if (ike_ts_parse(v[i], &(*out)[i], &why) < 0) {
			yamlpos_err(yp, P("%s[%u]", base, i), "'%s': %s", v[i], why);
			bad = -EINVAL;
		}
	}
	return bad;
}

static int read_psk_file(const struct yamlpos *yp, const char *path,
			 const char *file, char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		yamlpos_err(yp, path, "%s: %s", file, strerror(errno));
		return -EINVAL;
	}
	/* the daemon reads it as its user or group (docs/security.md) */
	if (fstat(fd, &st) == 0 && (st.st_mode & 0007))
		ipx_warn("%s: %s is readable by others; chmod 640 it (owner root, the daemon's group)",
			 yp->file, file);
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0) {
		yamlpos_err(yp, path, "%s: empty or unreadable", file);
		return -EINVAL;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	return 0;
}

static int conv_psk(const struct yamlpos *yp, const char *base, const struct y_conn *y,
		    struct cfg_conn *c)
{
	char path[160], filebuf[1024];
	const char *text = y->psk;
	size_t len;
	int ret = 0;

	if (y->psk && y->psk_file) {
		yamlpos_err(yp, P("%s.psk_file", base), "give psk or psk_file, not both");
		return -EINVAL;
	}
	if (y->psk_file) {
		if (read_psk_file(yp, P("%s.psk_file", base), y->psk_file,
				  filebuf, sizeof(filebuf)) < 0)
			return -EINVAL;
		text = filebuf;
	}
	if (!text) {
		yamlpos_err(yp, P("%s", base), "auth psk needs psk or psk_file");
		return -EINVAL;
	}
	/* swanctl.conf: a 0x prefix means hex */
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		uint8_t tmp[512];

		ret = cfg_hex(yp, P("%s.psk", base), text, tmp, 0,
			      sizeof(tmp), &len);
		if (ret == 0) {
			c->psk = malloc(len);
			if (c->psk)
				memcpy(c->psk, tmp, len);
		}
		OPENSSL_cleanse(tmp, sizeof(tmp));
	} else {
		len = strlen(text);
		c->psk = malloc(len ? len : 1);
		if (c->psk)
			memcpy(c->psk, text, len);
	}
	OPENSSL_cleanse(filebuf, sizeof(filebuf));
	if (ret < 0)
		return ret;
	if (!c->psk)
		return -ENOMEM;
	c->psk_len = len;
	if (!len) {
		yamlpos_err(yp, P("%s.%s", base, y->psk_file ? "psk_file" : "psk"),
			    "the PSK is empty");
		return -EINVAL;
	}
	if (len < 16)
		ipx_warn("%s: connection %s: a PSK of %zu bytes is weak; use 32 random bytes",
			 yp->file, c->name, len);
	return 0;
}

static int conv_auth(const struct yamlpos *yp, const char *base, const struct y_end *y,
		     uint8_t *auth)
{
	char path[160];

	*auth = CFG_AUTH_PSK;
	if (!y || !y->auth)
		return 0;
	for (unsigned k = 0; k < sizeof(auth_strings) / sizeof(auth_strings[0]); k++)
		if (strcmp(y->auth, auth_strings[k].str) == 0) {
			*auth = (uint8_t)auth_strings[k].val;
			return 0;
		}
	yamlpos_err(yp, P("%s.auth", base), "'%s': psk or pubkey", y->auth);
	return -EINVAL;
}

/* The identity of one end: as given; else, with a certificate, its
 * subject (local) or whatever a trusted certificate proves (remote);
 * else the address, as strongSwan does. */
static int conv_id(const struct yamlpos *yp, const char *base, const struct y_end *y,
		   const struct cfg_conn *c, struct cfg_id *id,
		   const struct sockaddr_storage *addr, bool remote)
{
	char path[160];
	const char *why = "";
	uint8_t auth = remote ? c->remote_auth : c->local_auth;

	if (y && y->id) {
		if (cfg_parse_id(y->id, id, remote, &why) < 0) {
			yamlpos_err(yp, P("%s.id", base), "'%s': %s", y->id, why);
			return -EINVAL;
		}
		return 0;
	}
	if (auth == CFG_AUTH_PUBKEY && remote)
		return cfg_parse_id("%any", id, true, &why);
	if (auth == CFG_AUTH_PUBKEY && c->cert)
		return cfg_pki_default_id(c, id);
	if (addr) {
		char a[INET6_ADDRSTRLEN];

		if (addr->ss_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, a, sizeof(a));
		else
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, a, sizeof(a));
		return cfg_parse_id(a, id, remote, &why);
	}
	if (remote)
		return cfg_parse_id("%any", id, true, &why);
	yamlpos_err(yp, P("%s.id", base), "needed when local_addrs is not given");
	return -EINVAL;
}

/* A key that belongs to one side only, given on the other. */
static int end_misplaced(const struct yamlpos *yp, const char *base, const struct y_end *y,
			 bool remote)
{
	char path[160];
	int bad = 0;

	if (!y)
		return 0;
	if (remote && (y->certs_count || y->key || y->cert_uri)) {
		yamlpos_err(yp, P("%s", base),
			    "certs, key and cert_uri are ours: they belong under local (the peer's certificate is checked against remote.cacerts)");
		bad = -EINVAL;
	}
	if (!remote && (y->cacerts_count || y->revocation)) {
		yamlpos_err(yp, P("%s", base),
			    "cacerts and revocation check the peer: they belong under remote");
		bad = -EINVAL;
	}
	return bad;
}

/* local.auth / remote.auth and what each needs. */
static int conv_ends(const struct yamlpos *yp, const char *base, const struct y_conn *y,
		     const struct cfg *top, struct cfg_conn *c)
{
	const struct y_end *l = y->local, *r = y->remote;
	char path[160], lb[96], rb[96];
	int bad = 0;

	snprintf(lb, sizeof(lb), "%s.local", base);
	snprintf(rb, sizeof(rb), "%s.remote", base);
	/* every error of the kind at once; what follows depends on auth */
	if (conv_auth(yp, lb, l, &c->local_auth) < 0)
		bad = -EINVAL;
	if (conv_auth(yp, rb, r, &c->remote_auth) < 0)
		bad = -EINVAL;
	if (end_misplaced(yp, lb, l, false) < 0)
		bad = -EINVAL;
	if (end_misplaced(yp, rb, r, true) < 0)
		bad = -EINVAL;
	if (bad)
		return bad;
	if (c->local_auth == CFG_AUTH_PUBKEY) {
		if (cfg_pki_local(yp, lb, l ? l->certs : NULL, l ? l->certs_count : 0,
				  l ? l->key : NULL, l ? l->cert_uri : NULL, c) < 0)
			bad = -EINVAL;
	} else if (l && (l->certs_count || l->key || l->cert_uri)) {
		yamlpos_err(yp, P("%s.auth", lb), "certs, key and cert_uri need auth: pubkey");
		bad = -EINVAL;
	}
	if (c->remote_auth == CFG_AUTH_PUBKEY) {
		c->revocation = (uint8_t)(r ? r->revocation : CFG_REV_RELAXED);
		bool loaded = true;

		if (r && r->cacerts_count &&
		    cfg_pki_certs(yp, P("%s.cacerts", rb), r->cacerts, r->cacerts_count,
				  &c->cacerts) < 0)
			loaded = false;
		if (!loaded)
			bad = -EINVAL;
		else if (!sk_X509_num(cfg_conn_cacerts(top, c))) {
			yamlpos_err(yp, P("%s.auth", rb),
				    "pubkey needs trust anchors: remote.cacerts or the top-level cacerts");
			bad = -EINVAL;
		}
	} else if (r && (r->cacerts_count || r->revocation)) {
		yamlpos_err(yp, P("%s.auth", rb), "cacerts and revocation need auth: pubkey");
		bad = -EINVAL;
	}
	if (bad)
		return bad;
	if (conv_id(yp, lb, l, c, &c->local_id, c->n_local_addrs ? &c->local_addrs[0] : NULL,
		    false) < 0 ||
	    conv_id(yp, rb, r, c, &c->remote_id,
		    c->n_remote_addrs ? &c->remote_addrs[0] : NULL, true) < 0)
		return -EINVAL;
	if (c->local_auth == CFG_AUTH_PUBKEY &&
	    cfg_pki_check_local_id(yp, P("%s.id", lb), c) < 0)
		return -EINVAL;
	if (c->local_auth != CFG_AUTH_PSK && c->remote_auth != CFG_AUTH_PSK &&
	    (y->psk || y->psk_file)) {
		yamlpos_err(yp, P("%s.psk", base), "unused: neither local.auth nor remote.auth is psk");
		return -EINVAL;
	}
	if ((c->local_auth == CFG_AUTH_PSK || c->remote_auth == CFG_AUTH_PSK) &&
	    conv_psk(yp, base, y, c) < 0)
		return -EINVAL;
	return 0;
}

static int conv_child(const struct yamlpos *yp, unsigned ci, unsigned i,
		      const struct y_child *y, struct cfg_child *c)
{
	char path[160], base[96];
	int bad = 0;

	snprintf(c->name, sizeof(c->name), "%s", y->name);
	snprintf(base, sizeof(base), "connections[%u].children[%u]", ci, i);
	if (conv_ts(yp, P("%s.local_ts", base), y->local_ts, y->local_ts_count,
		    &c->local_ts, &c->n_local_ts) < 0)
		bad = -EINVAL;
	if (conv_ts(yp, P("%s.remote_ts", base), y->remote_ts, y->remote_ts_count,
		    &c->remote_ts, &c->n_remote_ts) < 0)
		bad = -EINVAL;
	if (conv_props(yp, P("%s.esp_proposals", base), y->esp_proposals,
		       y->esp_proposals_count, default_esp,
		       sizeof(default_esp) / sizeof(default_esp[0]),
		       IKEV2_PROTO_ESP, &c->esp, &c->n_esp) < 0)
		bad = -EINVAL;
	for (unsigned k = 0; !bad && k < c->n_esp; k++) {
		const char *no = esp_unsupported(&c->esp[k]);

		if (no) {
			yamlpos_err(yp, P("%s.esp_proposals[%u]", base, k), "'%s': %s",
				    y->esp_proposals_count ? y->esp_proposals[k] : default_esp[k], no);
			bad = -EINVAL;
		}
	}
	c->mode = (uint8_t)y->mode;
	if (c->mode == IPX_MODE_TRANSPORT) {
		/* the data plane carries tunnel mode only (docs/dataplane.md) */
		yamlpos_err(yp, P("%s.mode", base),
			    "transport mode is not supported by the data plane: tunnel only");
		bad = -EINVAL;
	}
	c->replay_window = y->replay_window ? *y->replay_window : DEFAULT_REPLAY;
	if (c->replay_window && (c->replay_window < IPX_REPLAY_WINDOW_MIN ||
				 c->replay_window > IPX_REPLAY_WINDOW_MAX)) {
		yamlpos_err(yp, P("%s.replay_window", base), "%u outside 0 or %u..%u",
			    c->replay_window, IPX_REPLAY_WINDOW_MIN, IPX_REPLAY_WINDOW_MAX);
		bad = -EINVAL;
	}
	/* strongSwan's defaults: rekey after an hour, hard limit 10% later,
	 * up to 10% earlier at random so both ends do not rekey at once */
	if (opt_duration(yp, P("%s.rekey_time", base), y->rekey_time, 3600, &c->rekey_time) < 0 ||
	    opt_duration(yp, P("%s.life_time", base), y->life_time,
			 c->rekey_time + (c->rekey_time >= 20 ? c->rekey_time / 10 : 2),
			 &c->life_time) < 0 ||
	    opt_duration(yp, P("%s.rand_time", base), y->rand_time,
			 c->rekey_time / 10, &c->rand_time) < 0 ||
	    opt_size(yp, P("%s.rekey_bytes", base), y->rekey_bytes, &c->rekey_bytes) < 0 ||
	    opt_size(yp, P("%s.life_bytes", base), y->life_bytes, &c->life_bytes) < 0 ||
	    opt_size(yp, P("%s.rekey_packets", base), y->rekey_packets, &c->rekey_packets) < 0 ||
	    opt_size(yp, P("%s.life_packets", base), y->life_packets, &c->life_packets) < 0)
		bad = -EINVAL;
	if (!y->life_time && !c->rekey_time)
		c->life_time = 0;
	if (c->life_time && c->rekey_time >= c->life_time) {
		yamlpos_err(yp, P("%s.rekey_time", base), "must be below life_time (%us)",
			    c->life_time);
		bad = -EINVAL;
	}
	if (c->rand_time >= c->rekey_time && c->rekey_time) {
		yamlpos_err(yp, P("%s.rand_time", base), "must be below rekey_time");
		bad = -EINVAL;
	}
	if (c->life_bytes && !c->rekey_bytes)
		c->rekey_bytes = c->life_bytes - c->life_bytes / 10;
	if (c->life_packets && !c->rekey_packets)
		c->rekey_packets = c->life_packets - c->life_packets / 10;
	if ((c->life_bytes && c->rekey_bytes >= c->life_bytes) ||
	    (c->life_packets && c->rekey_packets >= c->life_packets)) {
		yamlpos_err(yp, P("%s", base), "rekey_bytes/packets must be below life_bytes/packets");
		bad = -EINVAL;
	}
	return bad;
}

static int conv_conn(const struct yamlpos *yp, unsigned i, const struct y_conn *y,
		     const struct cfg *top, struct cfg_conn *c)
{
	char path[160], base[64];
	int bad = 0;

	snprintf(c->name, sizeof(c->name), "%s", y->name);
	snprintf(base, sizeof(base), "connections[%u]", i);
	c->local_addrs = calloc(y->local_addrs_count + 1, sizeof(*c->local_addrs));
	c->remote_addrs = calloc(y->remote_addrs_count + 1, sizeof(*c->remote_addrs));
	c->children = calloc(y->children_count + 1, sizeof(*c->children));
	if (!c->local_addrs || !c->remote_addrs || !c->children)
		return -ENOMEM;
	for (unsigned k = 0; k < y->local_addrs_count; k++) {
		if (conv_addr(yp, P("%s.local_addrs[%u]", base, k), y->local_addrs[k],
			      &c->local_addrs[k]) < 0)
			bad = -EINVAL;
		c->n_local_addrs++;
	}
	for (unsigned k = 0; k < y->remote_addrs_count; k++) {
		if (strcmp(y->remote_addrs[k], "%any") == 0) {
			c->remote_any = true;
			continue;
		}
		if (conv_addr(yp, P("%s.remote_addrs[%u]", base, k), y->remote_addrs[k],
			      &c->remote_addrs[c->n_remote_addrs]) < 0)
			bad = -EINVAL;
		c->n_remote_addrs++;
	}
	if (!y->remote_addrs_count)
		c->remote_any = true;
	if (conv_ends(yp, base, y, top, c) < 0)
		bad = -EINVAL;
	c->hash_and_url = y->hash_and_url;
	if (conv_props(yp, P("%s.proposals", base), y->proposals, y->proposals_count,
		       default_ike, sizeof(default_ike) / sizeof(default_ike[0]),
		       IKEV2_PROTO_IKE, &c->ike, &c->n_ike) < 0)
		bad = -EINVAL;
	c->encap = y->encap;
	c->start_action = (uint8_t)y->start_action;
	c->keyingtries = y->keyingtries;
	c->child_retries = y->child_retries ? *y->child_retries : 5;
	if (opt_duration(yp, P("%s.nat_keepalive", base), y->nat_keepalive, 20,
			 &c->nat_keepalive) < 0 ||
	    opt_duration(yp, P("%s.liveness_interval", base), y->liveness_interval, 5,
			 &c->liveness_interval) < 0 ||
	    opt_duration(yp, P("%s.ike_lifetime", base), y->ike_lifetime, 8 * 3600,
			 &c->ike_lifetime) < 0 ||
	    opt_duration(yp, P("%s.reauth_interval", base), y->reauth_interval, 0,
			 &c->reauth_interval) < 0)
		bad = -EINVAL;
	c->liveness_retries = y->liveness_retries ? *y->liveness_retries : 10;
	c->liveness_action = (uint8_t)y->liveness_action;
	if (y->updown) {
		if (y->updown[0] != '/') {
			yamlpos_err(yp, P("%s.updown", base), "needs an absolute path");
			bad = -EINVAL;
		} else if (access(y->updown, X_OK) < 0) {
			yamlpos_err(yp, P("%s.updown", base), "%s: %s", y->updown,
				    strerror(errno));
			bad = -EINVAL;
		}
		snprintf(c->updown, sizeof(c->updown), "%s", y->updown);
	}
	c->strict_cookies = y->strict_cookies;
	c->fragmentation = y->fragmentation ? *y->fragmentation : true;
	c->fragment_size = y->fragment_size ? y->fragment_size : 1280;
	if (c->fragment_size < 576 || c->fragment_size > 65000) {
		yamlpos_err(yp, P("%s.fragment_size", base), "%u outside 576..65000",
			    c->fragment_size);
		bad = -EINVAL;
	}
	c->max_child_sas = y->max_child_sas ? *y->max_child_sas : 64;
	if (c->max_child_sas && c->max_child_sas < y->children_count) {
		yamlpos_err(yp, P("%s.max_child_sas", base),
			     "%u is below the %u children configured (0 = no limit)",
			     c->max_child_sas, y->children_count);
		bad = -EINVAL;
	}
	c->max_ike_sas_per_peer = y->max_ike_sas_per_peer ? *y->max_ike_sas_per_peer : 8;
	if (c->ike_lifetime && c->ike_lifetime < 30) {
		yamlpos_err(yp, P("%s.ike_lifetime", base), "at least 30s (or 0 = none)");
		bad = -EINVAL;
	}
	if (c->start_action != CFG_START_NONE && !c->n_remote_addrs) {
		yamlpos_err(yp, P("%s.start_action", base),
			    "initiating needs a remote address in remote_addrs");
		bad = -EINVAL;
	}
	for (unsigned k = 0; k < y->children_count; k++) {
		if (conv_child(yp, i, k, &y->children[k], &c->children[k]) < 0)
			bad = -EINVAL;
		c->n_children++;
		for (unsigned j = 0; j < k; j++)
			if (strcmp(c->children[j].name, c->children[k].name) == 0) {
				yamlpos_err(yp, P("%s.children[%u].name", base, k),
					    "'%s' repeats children[%u]",
					    c->children[k].name, j);
				bad = -EINVAL;
			}
	}
	return bad;
}

static void free_conn(struct cfg_conn *c)
{
	cfg_pki_free_conn(c);
	free(c->local_addrs);
	free(c->remote_addrs);
	if (c->psk) {
		OPENSSL_cleanse(c->psk, c->psk_len);
		free(c->psk);
	}
	free(c->ike);
	for (unsigned k = 0; k < c->n_children; k++) {
		free(c->children[k].local_ts);
		free(c->children[k].remote_ts);
		free(c->children[k].esp);
	}
	free(c->children);
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n_conns; i++)
		free_conn(&c->conns[i]);
	free(c->conns);
	cfg_pki_free(c);
	free(c);
}

/* Trust anchors, CRLs and the Hash and URL fetcher's limits. */
static int conv_top_pki(const struct yamlpos *yp, const struct y_cfg *y, struct cfg *c)
{
	uint64_t max = 64 * 1024;
	int bad = 0;

	if (cfg_pki_certs(yp, "cacerts", y->cacerts, y->cacerts_count, &c->cacerts) < 0 ||
	    cfg_pki_crls(yp, "crls", y->crls, y->crls_count, &c->crls) < 0)
		bad = -EINVAL;
	c->cert_cache = y->cert_cache ? *y->cert_cache : 500;
	if (c->cert_cache > 1000000) {
		yamlpos_err(yp, "cert_cache", "%u above 1000000", c->cert_cache);
		bad = -EINVAL;
	}
	c->cert_fetch_timeout_s = 10;
	if (y->cert_fetch_timeout &&
	    (cfg_parse_duration(y->cert_fetch_timeout, &c->cert_fetch_timeout_s) < 0 ||
	     c->cert_fetch_timeout_s < 1 || c->cert_fetch_timeout_s > 300)) {
		yamlpos_err(yp, "cert_fetch_timeout", "'%s': a duration from 1s to 5m",
			    y->cert_fetch_timeout);
		bad = -EINVAL;
	}
	if (y->cert_fetch_max &&
	    (cfg_parse_size(y->cert_fetch_max, &max) < 0 || max < 256 || max > 16 << 20)) {
		yamlpos_err(yp, "cert_fetch_max", "'%s': a size from 256 to 16M", y->cert_fetch_max);
		bad = -EINVAL;
	}
	c->cert_fetch_max = (uint32_t)max;
	return bad;
}

int cfg_load(const char *file, struct cfg **out)
{
	struct yamlpos yp;
	struct yamlpos_cyaml lc = { .yp = &yp };
	const cyaml_config_t ccfg = {
		.log_fn = yamlpos_cyaml_log,
		.log_ctx = &lc,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
	};
	struct y_cfg *y = NULL;
	struct cfg *c;
	char path[160];
	cyaml_err_t cerr;
	int ret;

	*out = NULL;
	ret = yamlpos_load(&yp, file);
	if (ret < 0)
		return ret;
	cerr = cyaml_load_file(file, &ccfg, &top_value, (cyaml_data_t **)&y, NULL);
	yamlpos_cyaml_flush(&lc);
	if (cerr != CYAML_OK) {
		if (!lc.errors)
			ipx_err("%s: %s", file, cyaml_strerror(cerr));
		yamlpos_free(&yp);
		return -EINVAL;
	}
	if (!y) {
		/* no document (empty, or only comments): libcyaml loads NULL */
		ipx_err("%s: empty: expected a YAML mapping", file);
		yamlpos_free(&yp);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		goto done;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	snprintf(c->engine, sizeof(c->engine), "%s", y->engine ? y->engine : "soft");
	if (strcmp(c->engine, "soft") && strcmp(c->engine, "sim") && strcmp(c->engine, "xrt") &&
	    strcmp(c->engine, "auto")) {
		yamlpos_err(&yp, "engine", "'%s': one of soft, sim, xrt, auto", c->engine);
		ret = -EINVAL;
	}
	c->engine_fault_injection = y->engine_fault_injection;
	c->engine_seq_margin = y->engine_seq_margin ? *y->engine_seq_margin : 1024;
	if (c->engine_seq_margin < 1 || c->engine_seq_margin > (1u << 30)) {
		yamlpos_err(&yp, "engine_seq_margin", "%llu outside 1..2^30",
			    (unsigned long long)c->engine_seq_margin);
		ret = -EINVAL;
	}
	if (y->engine_auto_back &&
	    cfg_parse_duration(y->engine_auto_back, &c->engine_auto_back_s) < 0) {
		yamlpos_err(&yp, "engine_auto_back", "'%s': a duration (30s, 5m) or 0",
			    y->engine_auto_back);
		ret = -EINVAL;
	}
	c->half_open_timeout_s = 30;
	if (y->half_open_timeout &&
	    (cfg_parse_duration(y->half_open_timeout, &c->half_open_timeout_s) < 0 ||
	     c->half_open_timeout_s < 1 || c->half_open_timeout_s > 300)) {
		yamlpos_err(&yp, "half_open_timeout", "'%s': a duration from 1s to 5m",
			    y->half_open_timeout);
		ret = -EINVAL;
	}
	c->engine_deadline_ms = y->engine_deadline_ms ? y->engine_deadline_ms : 50;
	c->engine_card_sas = y->engine_card_sas;
	if (c->engine_deadline_ms > 10000) {
		yamlpos_err(&yp, "engine_deadline_ms", "%u above 10000", c->engine_deadline_ms);
		ret = -EINVAL;
	}
	snprintf(c->control, sizeof(c->control), "%s",
		 y->control ? y->control : DEFAULT_CONTROL);
	snprintf(c->control_group, sizeof(c->control_group), "%s",
		 y->control_group ? y->control_group : "");
	/* the accounts themselves are looked up by the daemon (ipsecfxd -t
	 * too): the loader does not depend on this host's users */
	snprintf(c->user, sizeof(c->user), "%s", y->user ? y->user : DEFAULT_USER);
	snprintf(c->group, sizeof(c->group), "%s", y->group ? y->group : "");
	c->log_level = y->log_level ? y->log_level : IPX_LOG_INFO;
	c->ike_port = y->ike_port ? y->ike_port : IKEV2_PORT;
	c->natt_port = y->natt_port ? y->natt_port : IKEV2_NATT_PORT;
	c->key_export = y->key_export;
	c->cookie_threshold = y->cookie_threshold ? *y->cookie_threshold : 500;
	c->max_half_open = y->max_half_open ? y->max_half_open : 65535;
	c->max_half_open_per_source = y->max_half_open_per_source ?
				      *y->max_half_open_per_source : 5;
	c->retransmit_tries = y->retransmit_tries ? y->retransmit_tries : 5;
	{
		c->retransmit_timeout_ms = 2000;
		if (y->retransmit_timeout) {
			char *end;
			double v = strtod(y->retransmit_timeout, &end);

			/* seconds, fractions allowed ("0.5") */
			if (end == y->retransmit_timeout || (*end && strcmp(end, "s") != 0) ||
			    v < 0.05 || v > 120) {
				yamlpos_err(&yp, "retransmit_timeout", "'%s': seconds between 0.05 and 120",
					    y->retransmit_timeout);
				ret = -EINVAL;
			} else {
				c->retransmit_timeout_ms = (uint32_t)(v * 1000);
			}
		}
		c->retransmit_base = 1.8;
		if (y->retransmit_base) {
			char *end;
			double v = strtod(y->retransmit_base, &end);

			if (end == y->retransmit_base || *end || v < 1 || v > 4) {
				yamlpos_err(&yp, "retransmit_base", "'%s': a factor between 1 and 4",
					    y->retransmit_base);
				ret = -EINVAL;
			} else {
				c->retransmit_base = v;
			}
		}
		c->retransmit_limit_ms = 0;
		if (y->retransmit_limit) {
			char *end;
			double v = strtod(y->retransmit_limit, &end);

			/* "0" = no cap; else seconds, at least the first wait */
			if (end == y->retransmit_limit || (*end && strcmp(end, "s") != 0) ||
			    v < 0 || v > 3600 ||
			    (v > 0 && v * 1000 < c->retransmit_timeout_ms)) {
				yamlpos_err(&yp, "retransmit_limit",
					    "'%s': 0 (no limit) or seconds from retransmit_timeout (%.3gs) to 3600",
					    y->retransmit_limit, c->retransmit_timeout_ms / 1000.0);
				ret = -EINVAL;
			} else {
				c->retransmit_limit_ms = (uint32_t)(v * 1000);
			}
		}
	}
	snprintf(c->tun_name, sizeof(c->tun_name), "%s",
		 y->tun && y->tun->name ? y->tun->name : DEFAULT_TUN);
	c->tun_mtu = y->tun && y->tun->mtu ? y->tun->mtu : DEFAULT_MTU;
	if (c->tun_mtu < 576 || c->tun_mtu > IPX_MAX_PKT_LEN) {
		yamlpos_err(&yp, "tun.mtu", "%u outside 576..%u", c->tun_mtu,
			    IPX_MAX_PKT_LEN);
		ret = -EINVAL;
	}
	if (c->ike_port == c->natt_port) {
		yamlpos_err(&yp, "natt_port", "must differ from ike_port");
		ret = -EINVAL;
	}
	if (conv_top_pki(&yp, y, c) < 0)
		ret = -EINVAL;
	c->conns = calloc(y->connections_count + 1, sizeof(*c->conns));
	if (!c->conns) {
		ret = -ENOMEM;
		goto done;
	}
	for (unsigned i = 0; i < y->connections_count; i++) {
		if (conv_conn(&yp, i, &y->connections[i], c, &c->conns[i]) < 0)
			ret = -EINVAL;
		c->n_conns++;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->conns[j].name, c->conns[i].name) == 0) {
				yamlpos_err(&yp, P("connections[%u].name", i),
					    "'%s' repeats connections[%u]",
					    c->conns[i].name, j);
				ret = -EINVAL;
			}
	}
done:
	for (unsigned i = 0; y && i < y->connections_count; i++)
		cfg_free_secret(y->connections[i].psk);
	cyaml_free(&ccfg, &top_value, y, 0);
	yamlpos_free(&yp);
	if (ret < 0) {
		cfg_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

const struct cfg_child *cfg_child_find(const struct cfg_conn *conn, const char *name)
{
	for (unsigned i = 0; conn && i < conn->n_children; i++)
		if (strcmp(conn->children[i].name, name) == 0)
			return &conn->children[i];
	return NULL;
}

STACK_OF(X509) *cfg_conn_cacerts(const struct cfg *c, const struct cfg_conn *conn)
{
	return conn->cacerts ? conn->cacerts : c->cacerts;
}

const struct cfg_conn *cfg_conn_find(const struct cfg *c, const char *name)
{
	for (unsigned i = 0; i < c->n_conns; i++)
		if (strcmp(c->conns[i].name, name) == 0)
			return &c->conns[i];
	return NULL;
}
