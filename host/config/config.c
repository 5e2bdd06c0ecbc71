/*
 * Daemon configuration loader: the file's tree checked against the libcyaml
 * schema (yamlcheck.c, with swanctl.conf's layout and names read first:
 * config_swanctl.c and the hint table below) -> y_* structures -> checked
 * and converted into struct cfg -> what is probably not meant, warned of
 * (config_sanity.c).  Every message names file, line and key; all of a
 * file's errors are reported at once, by line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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
#include "config_sanity.h"
#include "config_swanctl.h"
#include "yamlcheck.h"

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

struct y_metrics {
	char *listen;
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
	char *log_file, *pid_file;
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
	struct y_metrics *metrics;
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

static const cyaml_schema_field_t metrics_fields[] = {
	CYAML_FIELD_STRING_PTR("listen", PTR | OPT, struct y_metrics, listen, 1, 63),
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
	CYAML_FIELD_STRING_PTR("log_file", PTR | OPT, struct y_cfg, log_file, 1, 255),
	CYAML_FIELD_STRING_PTR("pid_file", PTR | OPT, struct y_cfg, pid_file, 1, 255),
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
	CYAML_FIELD_MAPPING_PTR("metrics", PTR | OPT, struct y_cfg, metrics, metrics_fields),
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

/* ---- what the schema check says in words (yamlcheck.h) ---- */

static const struct ycheck_level levels[] = {
	{ top_fields, "the top level" },
	{ conn_fields, "a connection" },
	{ end_fields, "local or remote" },
	{ child_fields, "a child" },
	{ tun_fields, "tun" },
	{ metrics_fields, "metrics" },
	{ NULL, NULL },
};

static const struct ycheck_noun nouns[] = {
	{ "local_addrs", "a list of addresses or host names" },
	{ "remote_addrs", "a list of addresses, host names or %any" },
	{ "local_ts", "a list of traffic selectors (10.1.0.0/16, ...)" },
	{ "remote_ts", "a list of traffic selectors (10.2.0.0/16, ...)" },
	{ "proposals", "a list of IKE proposals (aes256gcm16-prfsha256-x25519, ...)" },
	{ "esp_proposals", "a list of ESP proposals (aes256gcm16, ...)" },
	{ "certs", "a list of files" },
	{ "cacerts", "a list of files" },
	{ "crls", "a list of files" },
	{ "connections", "a list of connections (- name: ...)" },
	{ "children", "a list of children (- name: ...)" },
	{ NULL, NULL },
};

#define XFRM "a kernel (XFRM) setting: ipsecfx has its own data plane (tun, docs/dataplane.md)"

/* swanctl.conf's keys that are not this file's (docs/config.md has the
 * whole table); ipsecfx import-swanctl reads swanctl.conf through it too,
 * so that the loader and the importer cannot disagree.  start_action,
 * dpd_action and updown of a child, and a connection's rekey_time and
 * over_time: config_swanctl.c. */
static const struct ycheck_hint swanctl_hints[] = {
	{ top_fields, "secrets", YC_REFUSE,
	  "a connection's PSK is its psk (or psk_file) key, a private key local.key", NULL },
	{ top_fields, "authorities", YC_REFUSE,
	  "trust anchors are cacerts (top level or remote.cacerts), CRLs crls", NULL },
	{ top_fields, "pools", YC_REFUSE, "virtual IP pools (configuration payloads)", NULL },
	{ top_fields, "include", YC_REFUSE, "one file holds everything", NULL },
	{ conn_fields, "version", YC_IGNORE, "ipsecfx speaks IKEv2 only", "0|2" },
	{ conn_fields, "mobike", YC_IGNORE,
	  "MOBIKE (RFC 4555) is not implemented: an IKE SA stays on its addresses", NULL },
	{ conn_fields, "dpd_delay", YC_ALIAS, "liveness_interval", NULL },
	{ conn_fields, "dpd_timeout", YC_IGNORE,
	  "IKEv1 only (liveness_retries says when a peer is dead)", NULL },
	{ conn_fields, "reauth_time", YC_ALIAS, "reauth_interval", NULL },
	{ conn_fields, "over_time", YC_REFUSE | YC_DROPPABLE,
	  "use ike_lifetime (the IKE SA is rekeyed between 80% and 90% of it, deleted at 100%)", NULL },
	{ conn_fields, "rand_time", YC_IGNORE,
	  "the IKE SA rekey falls at random between 80% and 90% of ike_lifetime", NULL },
	{ conn_fields, "local_port", YC_REFUSE,
	  "the top-level ike_port and natt_port serve every connection", NULL },
	{ conn_fields, "remote_port", YC_REFUSE,
	  "the top-level ike_port and natt_port serve every connection", NULL },
	{ conn_fields, "vips", YC_REFUSE, "virtual IPs (configuration payloads)", NULL },
	{ conn_fields, "pools", YC_REFUSE, "virtual IP pools (configuration payloads)", NULL },
	{ conn_fields, "aggressive", YC_IGNORE, "aggressive mode is IKEv1's", "no" },
	{ conn_fields, "pull", YC_IGNORE, "IKEv1 mode config only", NULL },
	{ conn_fields, "dscp", YC_REFUSE | YC_DROPPABLE, "a DSCP for IKE packets", NULL },
	{ conn_fields, "childless", YC_IGNORE | YC_DROPPABLE,
	  "childless IKE SAs (RFC 6023) are not supported: the first Child SA comes with IKE_AUTH",
	  "allow|never" },
	{ conn_fields, "send_certreq", YC_IGNORE | YC_DROPPABLE,
	  "certificate requests go out with remote.auth pubkey", "yes" },
	{ conn_fields, "send_cert", YC_IGNORE | YC_DROPPABLE,
	  "with local.auth pubkey our certificate goes with every IKE_AUTH", "ifasked|always" },
	{ conn_fields, "ppk_id", YC_REFUSE, "postquantum preshared keys (RFC 8784)", NULL },
	{ conn_fields, "ppk_required", YC_IGNORE,
	  "postquantum preshared keys (RFC 8784) are not supported", "no" },
	{ conn_fields, "unique", YC_IGNORE | YC_DROPPABLE,
	  "an IKE_AUTH with INITIAL_CONTACT replaces the peer's older SAs; max_ike_sas_per_peer bounds the rest",
	  "no" },
	{ conn_fields, "if_id_in", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ conn_fields, "if_id_out", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ conn_fields, "mediation", YC_IGNORE, "mediation is not supported", "no" },
	{ conn_fields, "mediated_by", YC_REFUSE, "mediation", NULL },
	{ conn_fields, "mediation_peer", YC_REFUSE, "mediation", NULL },
	{ conn_fields, "local*", YC_REFUSE,
	  "more authentication rounds (local<suffix>) are not supported: one local and one remote", NULL },
	{ conn_fields, "remote*", YC_REFUSE,
	  "more authentication rounds (remote<suffix>) are not supported: one local and one remote", NULL },
	{ end_fields, "round", YC_REFUSE, "more authentication rounds", NULL },
	{ end_fields, "pubkeys", YC_REFUSE,
	  "raw public keys: use certificates (certs, cacerts)", NULL },
	{ end_fields, "eap_id", YC_REFUSE, "EAP", NULL },
	{ end_fields, "aaa_id", YC_REFUSE, "EAP", NULL },
	{ end_fields, "xauth_id", YC_REFUSE, "XAuth (IKEv1)", NULL },
	{ end_fields, "groups", YC_REFUSE, "group memberships", NULL },
	{ end_fields, "cert_policy", YC_REFUSE, "certificate policies", NULL },
	{ end_fields, "ca_id", YC_REFUSE, "cacerts names the trust anchors", NULL },
	{ end_fields, "cacert*", YC_REFUSE,
	  "cacert<suffix> sections (tokens) are not supported: cacerts takes files", NULL },
	{ end_fields, "cert*", YC_REFUSE,
	  "cert<suffix> sections (tokens) are not supported: certs takes files", NULL },
	{ child_fields, "ah_proposals", YC_REFUSE, "AH: ESP only (esp_proposals)", NULL },
	{ child_fields, "sha256_96", YC_IGNORE, "HMAC-SHA-256 is truncated to 128 bits", "no" },
	{ child_fields, "rand_bytes", YC_IGNORE,
	  "the rekey by bytes is brought forward by up to 5% at random", NULL },
	{ child_fields, "rand_packets", YC_IGNORE,
	  "the rekey by packets is brought forward by up to 5% at random", NULL },
	{ child_fields, "close_action", YC_IGNORE | YC_DROPPABLE,
	  "with start_action: start a missing Child SA is set up again", "none" },
	{ child_fields, "hostaccess", YC_IGNORE | YC_DROPPABLE, "no firewall rules are installed", "no" },
	{ child_fields, "policies", YC_IGNORE | YC_DROPPABLE,
	  "the data plane routes by the Child SAs' selectors", "yes" },
	{ child_fields, "policies_fwd_out", YC_IGNORE | YC_DROPPABLE, XFRM, "no" },
	{ child_fields, "ipcomp", YC_IGNORE | YC_DROPPABLE, "IPComp is not supported", "no" },
	{ child_fields, "inactivity", YC_REFUSE | YC_DROPPABLE, "closing an idle Child SA", NULL },
	{ child_fields, "reqid", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "priority", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "interface", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "mark_in", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "mark_in_sa", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "mark_out", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "set_mark_in", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "set_mark_out", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "if_id_in", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "if_id_out", YC_REFUSE | YC_DROPPABLE, XFRM, NULL },
	{ child_fields, "label", YC_REFUSE, "security labels", NULL },
	{ child_fields, "label_mode", YC_REFUSE, "security labels", NULL },
	{ child_fields, "tfc_padding", YC_IGNORE | YC_DROPPABLE, "TFC padding is not supported", "0" },
	{ child_fields, "hw_offload", YC_IGNORE,
	  "the top-level engine key says where ESP runs", NULL },
	{ child_fields, "copy_df", YC_IGNORE | YC_DROPPABLE, "the DF bit is copied from the inner packet", "yes" },
	{ child_fields, "copy_ecn", YC_IGNORE | YC_DROPPABLE, "ECN is copied as RFC 6040 says", "yes" },
	{ child_fields, "copy_dscp", YC_IGNORE | YC_DROPPABLE,
	  "the DSCP is copied from the inner packet to the ESP packet", "out" },
	{ NULL, NULL, YC_REFUSE, NULL, NULL },
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

/* ---- the metrics listener ---- */

/* "127.0.0.1:9641" or "[::1]:9641": an address (no host name: the
 * listener opens before anything is resolved) and a port. */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN], *end;
	bool v6 = s[0] == '[';
	unsigned long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == s || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - s);
	if (v6 && (n < 3 || s[n - 1] != ']'))
		return -EINVAL;
	if (v6) {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port < 1 || port > 65535 || !isdigit((unsigned char)colon[1]))
		return -EINVAL;
	if (!v6 && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (v6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

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
	/* swanctl.conf's forms that are not taken here: say so rather than
	 * read "fqdn:gw" or "*.example" as a name of that spelling */
	{
		static const char *const typed[] = {
			"ipv4:", "ipv6:", "rfc822:", "email:", "userfqdn:", "fqdn:", "dns:",
			"asn1dn:", "asn1gn:", "keyid:",
		};

		for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++)
			if (strncmp(s, typed[i], strlen(typed[i])) == 0) {
				*why = "type prefixes are not supported: write the identity alone (its form gives its type; @#hex for a key ID)";
				return -EINVAL;
			}
		if (strchr(s, '*')) {
			*why = "wildcards are not supported: %any on the remote side (with pubkey, any identity a trusted certificate proves)";
			return -EINVAL;
		}
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

/* ---- local_addrs, remote_addrs ---- */

struct addrs {
	struct sockaddr_storage *v;
	unsigned n, cap;
	bool any;
};

/* A literal IPv4 or IPv6 address. */
static bool parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return true;
	}
	return false;
}

static bool unspecified(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == 0;
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int push_addr(struct addrs *a, const struct sockaddr_storage *ss)
{
	for (unsigned i = 0; i < a->n; i++)
		if (ike_same_ip(&a->v[i], ss))
			return 0;
	if (a->n == a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 4;
		struct sockaddr_storage *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *ss;
	return 0;
}

/* swanctl.conf's subnet (10.0.0.0/8) or range (10.0.0.1-10.0.0.9). */
static bool net_or_range(const char *s)
{
	char head[INET6_ADDRSTRLEN + 1];
	const char *dash = strchr(s, '-');
	struct sockaddr_storage ss;

	if (strchr(s, '/'))
		return true;
	if (!dash || (size_t)(dash - s) >= sizeof(head))
		return false;
	memcpy(head, s, (size_t)(dash - s));
	head[dash - s] = 0;
	return parse_addr(head, &ss);
}

/* Letters, digits, '-' and '.' (RFC 1123), so that a mistyped address
 * is not sent to the resolver. */
static bool host_name(const char *s)
{
	bool letter = false;

	if (!*s || strlen(s) > 253 || *s == '-' || *s == '.')
		return false;
	for (const char *p = s; *p; p++) {
		if (isalpha((unsigned char)*p))
			letter = true;
		else if (!isdigit((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	}
	return letter;
}

/* A host name, looked up now: every address it has. */
static int resolve(const struct yamlpos *yp, const char *path, const char *s, struct addrs *a)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	char list[256] = "";
	size_t len = 0;
	int e = getaddrinfo(s, NULL, &hints, &res);

	if (e) {
		yamlpos_err(yp, path, "'%s' does not resolve (%s): give an address, or a name this host can look up",
			    s, e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
		return -EINVAL;
	}
	for (struct addrinfo *r = res; r; r = r->ai_next) {
		struct sockaddr_storage ss;
		char t[INET6_ADDRSTRLEN];

		if ((r->ai_family != AF_INET && r->ai_family != AF_INET6) ||
		    r->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, r->ai_addr, r->ai_addrlen);
		((struct sockaddr_in *)&ss)->sin_port = 0;   /* also sin6_port */
		if (push_addr(a, &ss) < 0) {
			freeaddrinfo(res);
			return -ENOMEM;
		}
		inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
			  (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
			  (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, t, sizeof(t));
		if (!strstr(list, t) && len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
						len ? ", " : "", t);
	}
	freeaddrinfo(res);
	yamlpos_note(yp, path, "'%s' is %s (looked up at start and at each reload)", s, list);
	return 0;
}

/* One entry of local_addrs or remote_addrs. */
static int conv_addr(const struct yamlpos *yp, const char *path, const char *s, bool remote,
		     struct addrs *a)
{
	struct sockaddr_storage ss;

	if (strcmp(s, "%any") == 0) {
		a->any = true;
		return 0;
	}
	if (parse_addr(s, &ss)) {
		if (!unspecified(&ss))
			return push_addr(a, &ss);
		if (remote)
			yamlpos_err(yp, path, "'%s' is no peer's address: for any peer, write %%any", s);
		else
			yamlpos_err(yp, path, "'%s' is not an address to bind to: leave local_addrs out to use every address of this host", s);
		return -EINVAL;
	}
	if (strcmp(s, "0.0.0.0/0") == 0 || strcmp(s, "::/0") == 0) {
		if (remote)
			yamlpos_err(yp, path, "'%s': for any peer, write %%any", s);
		else
			yamlpos_err(yp, path, "'%s': leave local_addrs out to use every address of this host", s);
		return -EINVAL;
	}
	if (net_or_range(s)) {
		yamlpos_err(yp, path, "'%s': subnets and ranges are not supported in %s: give addresses or host names%s",
			    s, remote ? "remote_addrs" : "local_addrs",
			    remote ? ", or %any (with remote.id saying who may connect)" : "");
		return -EINVAL;
	}
	if (s[0] == '%') {
		yamlpos_err(yp, path, "'%s': the only %% word here is %%any", s);
		return -EINVAL;
	}
	if (!host_name(s)) {
		yamlpos_err(yp, path, "'%s' is not an IPv4 or IPv6 address or a host name", s);
		return -EINVAL;
	}
	return resolve(yp, path, s, a);
}

static int conv_addrs(const struct yamlpos *yp, const char *base, char **v, unsigned n,
		      bool remote, struct addrs *a)
{
	char path[160];
	int bad = 0;

	for (unsigned k = 0; k < n; k++) {
		int ret;

		snprintf(path, sizeof(path), "%s[%u]", base, k);
		/* taken out by the schema check, which said why */
		ret = yamlpos_is_quiet(yp, path) ? -EINVAL : conv_addr(yp, path, v[k], remote, a);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			bad = ret;
	}
	if (!a->v)
		a->v = calloc(1, sizeof(*a->v));
	return a->v ? bad : -ENOMEM;
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
	char fb[4096];
	int fd;

	file = yamlpos_path(yp, file, fb, sizeof(fb));
	fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		yamlpos_err(yp, path, "%s: %s", file, strerror(errno));
		return -EINVAL;
	}
	/* the daemon reads it as its user or group (docs/security.md) */
	if (fstat(fd, &st) == 0 && (st.st_mode & 0007))
		yamlpos_warn(yp, path, "%s is readable by others; chmod 640 it (owner root, the daemon's group)",
			     file);
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
		yamlpos_warn(yp, P("%s.%s", base, y->psk_file ? "psk_file" : "psk"),
			     "a PSK of %zu bytes is weak; use 32 random bytes", len);
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
	yamlpos_err(yp, P("%s.auth", base),
		    "'%s' is not one of psk, pubkey (pubkey: a signature with a certificate's RSA, ECDSA or Ed25519 key; EAP and XAuth are not supported)",
		    y->auth);
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
	/* as strongSwan: the address each IKE SA runs on (ike_our_id) */
	memset(id, 0, sizeof(*id));
	id->dynamic = true;
	snprintf(id->text, sizeof(id->text), "%%myaddr");
	return 0;
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
		    false) < 0)
		bad = -EINVAL;
	if (conv_id(yp, rb, r, c, &c->remote_id,
		    c->n_remote_addrs ? &c->remote_addrs[0] : NULL, true) < 0)
		bad = -EINVAL;
	if (bad)
		return bad;
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
	struct addrs local = { 0 }, remote = { 0 };
	char path[160], base[64];
	int bad = 0, ret;

	snprintf(c->name, sizeof(c->name), "%s", y->name);
	snprintf(base, sizeof(base), "connections[%u]", i);
	c->children = calloc(y->children_count + 1, sizeof(*c->children));
	if (!c->children)
		return -ENOMEM;
	ret = conv_addrs(yp, P("%s.local_addrs", base), y->local_addrs, y->local_addrs_count,
			 false, &local);
	c->local_addrs = local.v;
	c->n_local_addrs = local.n;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		bad = ret;
	ret = conv_addrs(yp, P("%s.remote_addrs", base), y->remote_addrs, y->remote_addrs_count,
			 true, &remote);
	c->remote_addrs = remote.v;
	c->n_remote_addrs = remote.n;
	c->remote_any = remote.any || !y->remote_addrs_count;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		bad = ret;
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

/* The file's tree (yc->doc when built, else read from yp->file) checked
 * and converted; messages to yp. */
static int load(struct ycheck *yc, struct yamlpos *yp, bool built, struct cfg **out)
{
	const cyaml_config_t ccfg = { .mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR };
	const char *file = yp->file;
	struct y_cfg *y = NULL;
	struct cfg *c;
	char path[160];
	const char *why;
	int ret;

	*out = NULL;
	yc->hints = swanctl_hints;
	yc->levels = levels;
	yc->nouns = nouns;
	if (built)
		ret = ycheck_cyaml_doc(yc, cfg_swanctl_layout, &top_value, (void **)&y);
	else
		ret = ycheck_cyaml_load(yc, file, yp, cfg_swanctl_layout, &top_value, (void **)&y);
	if (!y)
		return ret == -ENOMEM ? ret : -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		ret = -ENOMEM;
		goto done;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	snprintf(c->engine, sizeof(c->engine), "%s", y->engine ? y->engine : "soft");
	if (strcmp(c->engine, "soft") && strcmp(c->engine, "sim") && strcmp(c->engine, "xrt") &&
	    strcmp(c->engine, "auto")) {
		static const char *const engines[] = { "soft", "sim", "xrt", "auto" };
		const char *near = ycheck_suggest(c->engine, engines, 4);

		yamlpos_err(yp, "engine", "'%s' is not one of soft, sim, xrt, auto%s%s%s", c->engine,
			    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		ret = -EINVAL;
	} else if ((why = ipx_engine_missing(c->engine))) {
		/* what the daemon would refuse at start: ipsecfxd -t too */
		yamlpos_err(yp, "engine", "%s: %s", c->engine, why);
		ret = -EINVAL;
	}
	c->engine_fault_injection = y->engine_fault_injection;
	c->engine_seq_margin = y->engine_seq_margin ? *y->engine_seq_margin : 1024;
	if (c->engine_seq_margin < 1 || c->engine_seq_margin > (1u << 30)) {
		yamlpos_err(yp, "engine_seq_margin", "%llu outside 1..2^30",
			    (unsigned long long)c->engine_seq_margin);
		ret = -EINVAL;
	}
	if (y->engine_auto_back &&
	    cfg_parse_duration(y->engine_auto_back, &c->engine_auto_back_s) < 0) {
		yamlpos_err(yp, "engine_auto_back", "'%s': a duration (30s, 5m) or 0",
			    y->engine_auto_back);
		ret = -EINVAL;
	}
	c->half_open_timeout_s = 30;
	if (y->half_open_timeout &&
	    (cfg_parse_duration(y->half_open_timeout, &c->half_open_timeout_s) < 0 ||
	     c->half_open_timeout_s < 1 || c->half_open_timeout_s > 300)) {
		yamlpos_err(yp, "half_open_timeout", "'%s': a duration from 1s to 5m",
			    y->half_open_timeout);
		ret = -EINVAL;
	}
	c->engine_deadline_ms = y->engine_deadline_ms ? y->engine_deadline_ms : 50;
	c->engine_card_sas = y->engine_card_sas;
	if (c->engine_deadline_ms > 10000) {
		yamlpos_err(yp, "engine_deadline_ms", "%u above 10000", c->engine_deadline_ms);
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
	snprintf(c->log_file, sizeof(c->log_file), "%s", y->log_file ? y->log_file : "");
	snprintf(c->pid_file, sizeof(c->pid_file), "%s", y->pid_file ? y->pid_file : "");
	if (c->log_file[0] && c->log_file[0] != '/') {
		yamlpos_err(yp, "log_file", "needs an absolute path");
		ret = -EINVAL;
	}
	if (c->pid_file[0] && c->pid_file[0] != '/') {
		yamlpos_err(yp, "pid_file", "needs an absolute path");
		ret = -EINVAL;
	}
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
				yamlpos_err(yp, "retransmit_timeout", "'%s': seconds between 0.05 and 120",
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
				yamlpos_err(yp, "retransmit_base", "'%s': a factor between 1 and 4",
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
				yamlpos_err(yp, "retransmit_limit",
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
		yamlpos_err(yp, "tun.mtu", "%u outside 576..%u", c->tun_mtu,
			    IPX_MAX_PKT_LEN);
		ret = -EINVAL;
	}
	if (y->metrics && y->metrics->listen) {
		snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", y->metrics->listen);
		if (parse_listen(c->metrics_listen, &c->metrics_addr) < 0) {
			yamlpos_err(yp, "metrics.listen", "'%s': ADDRESS:PORT, an IPv6 address in "
				    "brackets (127.0.0.1:9641, [::1]:9641)", c->metrics_listen);
			ret = -EINVAL;
		}
	}
	if (c->ike_port == c->natt_port) {
		if (y->natt_port)
			yamlpos_err(yp, "natt_port", "must differ from ike_port");
		else
			yamlpos_err(yp, "ike_port", "%u is natt_port's default: give natt_port too",
				    c->ike_port);
		ret = -EINVAL;
	}
	if (conv_top_pki(yp, y, c) < 0)
		ret = -EINVAL;
	c->conns = calloc(y->connections_count + 1, sizeof(*c->conns));
	if (!c->conns) {
		ret = -ENOMEM;
		goto done;
	}
	for (unsigned i = 0; i < y->connections_count; i++) {
		if (conv_conn(yp, i, &y->connections[i], c, &c->conns[i]) < 0)
			ret = -EINVAL;
		c->n_conns++;
		for (unsigned j = 0; j < i; j++)
			if (strcmp(c->conns[j].name, c->conns[i].name) == 0) {
				yamlpos_err(yp, P("connections[%u].name", i),
					    "'%s' repeats connections[%u]",
					    c->conns[i].name, j);
				ret = -EINVAL;
			}
	}
	if (ret == 0)
		cfg_sanity(yp, c);
	c->n_warnings = yp->warnings;
done:
	for (unsigned i = 0; y && i < y->connections_count; i++)
		cfg_free_secret(y->connections[i].psk);
	cyaml_free(&ccfg, &top_value, y, 0);
	if (ret < 0) {
		cfg_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int cfg_load(const char *file, struct cfg **out)
{
	struct ycheck yc = { 0 };
	struct yamlpos yp = { .file = file, .in_order = true };
	int ret = load(&yc, &yp, false, out);

	yamlpos_free(&yp);
	return ret;
}

int cfg_load_tree(struct ycheck *yc, bool lenient, struct cfg **out)
{
	yc->lenient = lenient;
	return load(yc, yc->yp, true, out);
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
