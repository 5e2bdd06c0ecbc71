/*
 * SA file loader: the schema below turns the YAML into structures
 * (libcyaml), then each entry is checked and converted to engine
 * parameters.  Key material is wiped from every intermediate buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "cfgutil.h"
#include "sas_file.h"
#include "yamlcheck.h"

struct y_encap {
	uint16_t sport, dport;
};

struct y_sa {
	uint32_t spi;
	char *cipher;
	char *key;
	char *integ_key;
	int mode;
	char *src, *dst;
	struct y_encap *encap;
	int esn;
	char *seq;
	uint32_t *replay_window;
	uint8_t ttl;
	int df;
	uint32_t tfc_pad;
};

struct y_file {
	struct y_sa *sas;
	unsigned sas_count;
};

static const cyaml_strval_t mode_strings[] = {
	{ "tunnel", IPX_MODE_TUNNEL },
	{ "transport", IPX_MODE_TRANSPORT },
};

static const cyaml_strval_t df_strings[] = {
	{ "copy", IPX_DF_COPY },
	{ "set", IPX_DF_SET },
	{ "clear", IPX_DF_CLEAR },
};

static const cyaml_schema_field_t encap_fields[] = {
	CYAML_FIELD_UINT("sport", CYAML_FLAG_DEFAULT, struct y_encap, sport),
	CYAML_FIELD_UINT("dport", CYAML_FLAG_DEFAULT, struct y_encap, dport),
	CYAML_FIELD_END
};

#define OPT CYAML_FLAG_OPTIONAL
#define STR(key, flags, member)                                              \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | (flags), struct y_sa, \
			       member, 1, 1024)

static const cyaml_schema_field_t sa_fields[] = {
	CYAML_FIELD_UINT("spi", CYAML_FLAG_DEFAULT, struct y_sa, spi),
	STR("cipher", 0, cipher),
	STR("key", 0, key),
	STR("integ_key", OPT, integ_key),
	CYAML_FIELD_ENUM("mode", OPT | CYAML_FLAG_STRICT, struct y_sa, mode,
			 mode_strings, 2),
	STR("src", OPT, src),
	STR("dst", OPT, dst),
	CYAML_FIELD_MAPPING_PTR("encap", CYAML_FLAG_POINTER | OPT, struct y_sa,
				encap, encap_fields),
	CFG_FIELD_BOOL("esn", OPT, struct y_sa, esn),
	STR("seq", OPT, seq),
	CYAML_FIELD_UINT_PTR("replay_window", CYAML_FLAG_POINTER | OPT,
			     struct y_sa, replay_window),
	CYAML_FIELD_UINT("ttl", OPT, struct y_sa, ttl),
	CYAML_FIELD_ENUM("df", OPT | CYAML_FLAG_STRICT, struct y_sa, df,
			 df_strings, 3),
	CYAML_FIELD_UINT("tfc_pad", OPT, struct y_sa, tfc_pad),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t sa_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct y_sa, sa_fields),
};

static const cyaml_schema_field_t file_fields[] = {
	CYAML_FIELD_SEQUENCE("sas", CYAML_FLAG_POINTER, struct y_file, sas,
			     &sa_value, 1, 65536),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t file_value = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct y_file, file_fields),
};

#define REPLAY_DEFAULT 1024

static int convert(const struct yamlpos *yp, unsigned i, const struct y_sa *y,
		   struct ipx_sa_params *p)
{
	const struct ipx_cipher_info *ci;
	char path[64];
	size_t n;
	int bad = 0;

#define P(k) (snprintf(path, sizeof(path), "sas[%u].%s", i, k), path)
	memset(p, 0, sizeof(*p));
	p->spi = y->spi;
	if (y->spi == 0) {
		yamlpos_err(yp, P("spi"), "SPI 0 is reserved (RFC 4303 2.1)");
		bad = -EINVAL;
	}
	if (cfg_cipher(yp, P("cipher"), y->cipher, &ci) < 0)
		return -EINVAL;
	p->cipher = (uint8_t)ci->id;
	if (cfg_hex(yp, P("key"), y->key, p->key, ci->key_len, IPX_KEY_MAX, &n) < 0)
		bad = -EINVAL;
	p->key_len = ci->key_len;
	if (ci->integ_len) {
		if (!y->integ_key) {
			yamlpos_err(yp, P("cipher"), "%s needs integ_key", ci->name);
			bad = -EINVAL;
		} else if (cfg_hex(yp, P("integ_key"), y->integ_key, p->integ_key,
				   ci->integ_len, IPX_INTEG_KEY_MAX, &n) < 0) {
			bad = -EINVAL;
		}
		p->integ_key_len = ci->integ_len;
	} else if (y->integ_key) {
		yamlpos_err(yp, P("integ_key"), "%s is an AEAD: no integ_key",
			    ci->name);
		bad = -EINVAL;
	}
	p->mode = (uint8_t)y->mode;
	if (y->src && cfg_addr(yp, P("src"), y->src, &p->src) < 0)
		bad = -EINVAL;
	if (y->dst && cfg_addr(yp, P("dst"), y->dst, &p->dst) < 0)
		bad = -EINVAL;
	if (p->mode == IPX_MODE_TUNNEL && (!y->src || !y->dst)) {
		yamlpos_err(yp, P("mode"), "tunnel mode needs src and dst");
		bad = -EINVAL;
	} else if (p->src.family != p->dst.family) {
		yamlpos_err(yp, P("dst"), "src and dst differ in address family");
		bad = -EINVAL;
	}
	if (y->encap) {
		if (!y->encap->sport || !y->encap->dport) {
			yamlpos_err(yp, P("encap"), "ports must be non-zero");
			bad = -EINVAL;
		}
		p->encap_sport = y->encap->sport;
		p->encap_dport = y->encap->dport;
	}
	p->esn = y->esn;
	p->seq = 1;
	if (y->seq && cfg_u64(yp, P("seq"), y->seq, 1,
			      y->esn ? UINT64_MAX : UINT32_MAX, &p->seq) < 0)
		bad = -EINVAL;
	p->replay_window = y->replay_window ? *y->replay_window : REPLAY_DEFAULT;
	if (p->replay_window &&
	    (p->replay_window < IPX_REPLAY_WINDOW_MIN ||
	     p->replay_window > IPX_REPLAY_WINDOW_MAX)) {
		yamlpos_err(yp, P("replay_window"), "%u outside 0 (off) or %u..%u",
			    p->replay_window, IPX_REPLAY_WINDOW_MIN,
			    IPX_REPLAY_WINDOW_MAX);
		bad = -EINVAL;
	}
	if (p->esn && !p->replay_window) {
		yamlpos_err(yp, P("esn"), "ESN needs a replay window");
		bad = -EINVAL;
	}
	p->ttl = y->ttl;
	p->df = (uint8_t)y->df;
	p->tfc_pad = y->tfc_pad;
	if (p->tfc_pad && (p->mode != IPX_MODE_TUNNEL || p->tfc_pad > IPX_MAX_PKT_LEN)) {
		yamlpos_err(yp, P("tfc_pad"), "needs tunnel mode and at most %u",
			    IPX_MAX_PKT_LEN);
		bad = -EINVAL;
	}
#undef P
	return bad;
}

static const struct ycheck_level levels[] = {
	{ file_fields, "the top level" },
	{ sa_fields, "an SA" },
	{ encap_fields, "encap" },
	{ NULL, NULL },
};

static const struct ycheck_noun nouns[] = {
	{ "sas", "a list of SAs (- spi: ...)" },
	{ NULL, NULL },
};

int sas_file_load(const char *file, struct sas_set *out)
{
	const cyaml_config_t cfg = { .mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR };
	struct ycheck yc = { .levels = levels, .nouns = nouns };
	struct yamlpos yp = { .file = file, .in_order = true };
	struct y_file *y = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	/* every mistake of the file at once, by line (yamlcheck.h) */
	ret = ycheck_cyaml_load(&yc, file, &yp, NULL, &file_value, (void **)&y);
	if (!y) {
		yamlpos_free(&yp);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	out->v = calloc(y->sas_count, sizeof(*out->v));
	if (!out->v) {
		ret = -ENOMEM;
		goto done;
	}
	out->n = y->sas_count;
	for (unsigned i = 0; i < y->sas_count; i++)
		if (convert(&yp, i, &y->sas[i], &out->v[i]) < 0)
			ret = -EINVAL;
	for (unsigned i = 0; i < y->sas_count && ret == 0; i++)
		for (unsigned j = 0; j < i; j++)
			if (out->v[i].spi == out->v[j].spi) {
				char path[32];

				snprintf(path, sizeof(path), "sas[%u].spi", i);
				yamlpos_err(&yp, path, "SPI %08x repeats sas[%u]",
					    out->v[i].spi, j);
				ret = -EINVAL;
			}
done:
	for (unsigned i = 0; i < y->sas_count; i++) {
		cfg_free_secret(y->sas[i].key);
		cfg_free_secret(y->sas[i].integ_key);
	}
	cyaml_free(&cfg, &file_value, y, 0);
	yamlpos_free(&yp);
	if (ret < 0)
		sas_set_free(out);
	return ret;
}

void sas_set_free(struct sas_set *s)
{
	if (s->v) {
		OPENSSL_cleanse(s->v, s->n * sizeof(*s->v));
		free(s->v);
	}
	s->v = NULL;
	s->n = 0;
}
