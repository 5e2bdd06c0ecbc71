/* Proposal strings, SA payload proposals, responder selection and the
 * initiator's check of the answer: table driven. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_msg.h"
#include "proto/proposal.h"
#include "tlib.h"

/* Transform lists written compactly: "E12/128 P5 I12 D31 S0". */
static void xf_str(const struct ike_prop_cfg *c, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < c->n_xf && o < len; i++) {
		static const char t[] = "?EPIDS";
		const struct ike_transform *x = &c->xf[i];

		o += (size_t)snprintf(buf + o, len - o, "%s%c%u", i ? " " : "",
				      x->type < 6 ? t[x->type] : '?', x->id);
		if (x->key_len)
			o += (size_t)snprintf(buf + o, len - o, "/%u", x->key_len);
	}
}

static const struct parse_ok {
	const char *s;
	uint8_t proto;
	const char *want;
} parse_ok[] = {
	{ "aes256gcm16-prfsha256-x25519", IKEV2_PROTO_IKE, "E20/256 P5 D31" },
	{ "aes128-sha256-modp2048", IKEV2_PROTO_IKE, "E12/128 P5 I12 D14" },
	{ "aes256-sha384-ecp384", IKEV2_PROTO_IKE, "E12/256 P6 I13 D20" },
	{ "aes128gcm16-aes256gcm16-prfsha256-prfsha384-ecp256-x25519", IKEV2_PROTO_IKE,
	  "E20/128 E20/256 P5 P6 D19 D31" },
	/* PRFs derived from the integrity algorithms, in their order */
	{ "aes192-sha512-sha256-ecp521", IKEV2_PROTO_IKE, "E12/192 P7 P5 I14 I12 D21" },
	/* an explicit prf wins over derivation */
	{ "aes128-sha256-prfsha512-curve25519", IKEV2_PROTO_IKE, "E12/128 P7 I12 D31" },
	{ "chacha20poly1305-prfsha512-modp4096", IKEV2_PROTO_IKE, "E28 P7 D16" },
	{ "aes256-sha1-modp3072", IKEV2_PROTO_IKE, "E12/256 P2 I2 D15" },
	/* duplicates collapse */
	{ "aes128-aes128-sha256-sha2_256-x25519", IKEV2_PROTO_IKE, "E12/128 P5 I12 D31" },
	{ "aes256gcm16", IKEV2_PROTO_ESP, "E20/256 S0" },
	{ "aes128-sha256", IKEV2_PROTO_ESP, "E12/128 I12 S0" },
	{ "aes256gcm16-esn", IKEV2_PROTO_ESP, "E20/256 S1" },
	{ "aes256gcm16-noesn", IKEV2_PROTO_ESP, "E20/256 S0" },
	{ "aes256gcm16-esn-noesn", IKEV2_PROTO_ESP, "E20/256 S1 S0" },
	{ "aes256gcm16-x25519", IKEV2_PROTO_ESP, "E20/256 D31 S0" },
	{ "aes128gcm128-chacha20poly1305-ecp256", IKEV2_PROTO_ESP, "E20/128 E28 D19 S0" },
};

static void test_parse_ok(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_ok) / sizeof(parse_ok[0]); i++) {
		struct ike_prop_cfg c;
		char err[160] = "", got[256];
		int rc = ike_prop_parse(parse_ok[i].s, parse_ok[i].proto, &c, err, sizeof(err));

		if (rc)
			fail_msg("'%s': %s", parse_ok[i].s, err);
		assert_int_equal(c.proto, parse_ok[i].proto);
		xf_str(&c, got, sizeof(got));
		if (strcmp(got, parse_ok[i].want))
			fail_msg("'%s': got '%s' want '%s'", parse_ok[i].s, got, parse_ok[i].want);
	}
}

static const struct parse_bad {
	const char *s;
	uint8_t proto;
	const char *msg; /* substring of the error */
} parse_bad[] = {
	{ "aes999-sha256-modp2048", IKEV2_PROTO_IKE, "unknown algorithm 'aes999'" },
	{ "aes128-sha256-modp2048-bogus", IKEV2_PROTO_IKE, "unknown algorithm 'bogus'" },
	{ "aes128gcm8-prfsha256-x25519", IKEV2_PROTO_IKE, "'aes128gcm8' in proposal 'aes128gcm8-prfsha256-x25519' is not supported" },
	{ "aes256gcm12", IKEV2_PROTO_ESP, "'aes256gcm12'" },
	{ "aes128-sha256-modp1024", IKEV2_PROTO_IKE, "'modp1024'" },
	{ "3des-sha1-modp2048", IKEV2_PROTO_IKE, "'3des'" },
	{ "aes256gcm16-x25519", IKEV2_PROTO_IKE, "needs a PRF" },
	{ "aes256gcm16-sha256-prfsha256-x25519", IKEV2_PROTO_IKE, "no integrity" },
	{ "aes128-aes256gcm16-sha256-x25519", IKEV2_PROTO_IKE, "mixes AEAD" },
	{ "aes128-modp2048", IKEV2_PROTO_IKE, "no integrity algorithm" },
	{ "aes128-sha256", IKEV2_PROTO_IKE, "no DH group" },
	{ "sha256-prfsha256-modp2048", IKEV2_PROTO_IKE, "no encryption" },
	{ "aes128-sha256-modp2048-esn", IKEV2_PROTO_IKE, "ESN is for ESP" },
	{ "aes128-sha256-prfsha256", IKEV2_PROTO_ESP, "a PRF is for IKE" },
	{ "aes128", IKEV2_PROTO_ESP, "no integrity" },
	{ "", IKEV2_PROTO_IKE, "empty proposal" },
	{ "aes128--sha256", IKEV2_PROTO_ESP, "empty algorithm" },
	{ "aes128-sha256-", IKEV2_PROTO_ESP, "empty algorithm" },
	{ "-aes128-sha256", IKEV2_PROTO_ESP, "empty algorithm" },
	{ "AES128-sha256", IKEV2_PROTO_ESP, "unknown algorithm 'AES128'" },
	{ "aes128-sha256", IKEV2_PROTO_AH, "IKE or ESP" },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_bad) / sizeof(parse_bad[0]); i++) {
		struct ike_prop_cfg c;
		char err[200] = "";

		assert_int_equal(ike_prop_parse(parse_bad[i].s, parse_bad[i].proto, &c, err,
						sizeof(err)), -EINVAL);
		if (!strstr(err, parse_bad[i].msg))
			fail_msg("'%s': error '%s' lacks '%s'", parse_bad[i].s, err, parse_bad[i].msg);
	}
	/* a NULL/0 error buffer is fine */
	{
		struct ike_prop_cfg c;

		assert_int_equal(ike_prop_parse("nope", IKEV2_PROTO_ESP, &c, NULL, 0), -EINVAL);
	}
}

static void test_parse_list(void **state)
{
	struct ike_prop_cfg c[4];
	unsigned n;
	char err[200];

	(void)state;
	assert_int_equal(ike_prop_parse_list("aes256gcm16-prfsha256-x25519, aes128-sha256-modp2048",
					     IKEV2_PROTO_IKE, c, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(c[1].xf[0].id, IKEV2_ENCR_AES_CBC);
	assert_int_equal(ike_prop_parse_list("aes256gcm16,aes128-sha256,bad", IKEV2_PROTO_ESP,
					     c, 4, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'bad'"));
	assert_int_equal(ike_prop_parse_list("aes256gcm16,aes256gcm16", IKEV2_PROTO_ESP,
					     c, 1, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(ike_prop_parse_list("aes256gcm16,", IKEV2_PROTO_ESP,
					     c, 4, &n, err, sizeof(err)), -EINVAL);
}

/* Offers are built from proposal strings, serialised in an SA payload
 * and parsed back, so selection runs on what the parser produces. */
struct offer {
	struct ike_msg m;
	const struct ike_sa *sa;
};

static void mk_offer(struct offer *o, const char *list, uint8_t proto, bool response,
		     void (*tweak)(struct ike_prop_cfg *c, unsigned n))
{
	static struct ike_prop_cfg cfg[8];
	static struct ike_proposal props[8];
	static uint8_t buf[4096];
	static const uint8_t si[8] = { 1 }, sr[8] = { 2 }, spi[4] = { 0xc1, 0, 0, 1 };
	uint8_t exch = proto == IKEV2_PROTO_IKE ? IKEV2_EXCH_IKE_SA_INIT : IKEV2_EXCH_IKE_AUTH;
	struct ike_msg b;
	struct ike_pld *p;
	struct ike_perr e;
	unsigned n;
	size_t len, sk;
	char err[200];

	if (ike_prop_parse_list(list, proto, cfg, 8, &n, err, sizeof(err)))
		fail_msg("%s: %s", list, err);
	if (tweak)
		tweak(cfg, n);
	assert_int_equal(ike_prop_to_sa(cfg, n, spi, proto == IKEV2_PROTO_IKE ? 0 : 4, props), 0);
	ike_msg_init(&b, si, response ? sr : NULL, exch,
		     response ? IKEV2_FLAG_RESPONSE : IKEV2_FLAG_INITIATOR, 0);
	if (exch == IKEV2_EXCH_IKE_AUTH)
		assert_non_null(ike_msg_add(&b, IKEV2_PL_SK, false));
	p = ike_msg_add(&b, IKEV2_PL_SA, exch == IKEV2_EXCH_IKE_AUTH);
	p->u.sa = (struct ike_sa){ props, n };
	assert_int_equal(ike_msg_build(&b, buf, sizeof(buf), &len, &sk), 0);
	if (exch == IKEV2_EXCH_IKE_AUTH) {
		/* parse the plaintext SK body directly */
		assert_int_equal(ike_msg_parse(&o->m, buf, len, &e), 0);
		assert_int_equal(ike_msg_parse_inner(&o->m, buf[sk], buf + sk + 4,
						     len - sk - 4, &e), 0);
	} else {
		assert_int_equal(ike_msg_parse(&o->m, buf, len, &e), 0);
	}
	o->sa = &ike_msg_get(&o->m, IKEV2_PL_SA, 0)->u.sa;
}

static void ours_of(const char *list, uint8_t proto, struct ike_prop_cfg *c, unsigned *n)
{
	char err[200];

	if (ike_prop_parse_list(list, proto, c, 8, n, err, sizeof(err)))
		fail_msg("%s: %s", list, err);
}

/* tweaks applied to the offer before it is serialised */
static void drop_keylen(struct ike_prop_cfg *c, unsigned n)
{
	(void)n;
	c[0].xf[0].key_len = 0; /* AES without Key Length: RFC 3.3.5 MUST */
}

static struct ike_transform unknown_type[] = { { 9, 1, 0, false } };
static void add_unknown_type(struct ike_prop_cfg *c, unsigned n)
{
	(void)n;
	c[0].xf[c[0].n_xf++] = unknown_type[0];
}

static void add_dh_none(struct ike_prop_cfg *c, unsigned n)
{
	(void)n;
	c[0].xf[c[0].n_xf++] = (struct ike_transform){ IKEV2_XF_DH, IKEV2_DH_NONE, 0, false };
}

static const struct sel {
	const char *offer, *ours;
	uint8_t proto;
	void (*tweak)(struct ike_prop_cfg *, unsigned);
	int rc;
	uint8_t num;
	uint16_t encr, bits, prf, integ, dh;
	bool esn;
} sels[] = {
	{ "aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-x25519", IKEV2_PROTO_IKE,
	  NULL, 0, 1, IKEV2_ENCR_AES_GCM_16, 256, IKEV2_PRF_HMAC_SHA2_256, 0, IKEV2_DH_CURVE25519, false },
	/* the initiator's first acceptable proposal wins, even if we list
	 * another first */
	{ "aes128-sha256-modp2048,aes256gcm16-prfsha256-x25519",
	  "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048", IKEV2_PROTO_IKE,
	  NULL, 0, 1, IKEV2_ENCR_AES_CBC, 128, IKEV2_PRF_HMAC_SHA2_256,
	  IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_DH_MODP2048, false },
	{ "aes128-sha256-modp2048,aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-x25519",
	  IKEV2_PROTO_IKE, NULL, 0, 2, IKEV2_ENCR_AES_GCM_16, 256, IKEV2_PRF_HMAC_SHA2_256, 0,
	  IKEV2_DH_CURVE25519, false },
	/* within a type the initiator's order decides */
	{ "aes128gcm16-aes256gcm16-prfsha384-prfsha256-ecp256-x25519",
	  "aes256gcm16-aes128gcm16-prfsha256-prfsha384-x25519-ecp256", IKEV2_PROTO_IKE,
	  NULL, 0, 1, IKEV2_ENCR_AES_GCM_16, 128, IKEV2_PRF_HMAC_SHA2_384, 0, IKEV2_DH_ECP256, false },
	/* key lengths must agree */
	{ "aes128-sha256-modp2048", "aes256-sha256-modp2048", IKEV2_PROTO_IKE, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes256-sha256-modp2048", "aes256-sha256-modp2048", IKEV2_PROTO_IKE, drop_keylen, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	/* each type must match */
	{ "aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha384-x25519", IKEV2_PROTO_IKE, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes256gcm16-prfsha256-x25519", "aes256gcm16-prfsha256-ecp256", IKEV2_PROTO_IKE, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes256-sha512-x25519", "aes256-sha256-prfsha512-x25519", IKEV2_PROTO_IKE, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	/* a proposal with an unknown transform type is skipped */
	{ "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048",
	  "aes256gcm16-prfsha256-x25519,aes128-sha256-modp2048", IKEV2_PROTO_IKE,
	  add_unknown_type, 0, 2, IKEV2_ENCR_AES_CBC, 128, IKEV2_PRF_HMAC_SHA2_256,
	  IKEV2_INTEG_HMAC_SHA2_256_128, IKEV2_DH_MODP2048, false },
	/* ESP */
	{ "aes256gcm16", "aes256gcm16", IKEV2_PROTO_ESP, NULL, 0, 1, IKEV2_ENCR_AES_GCM_16, 256, 0, 0, 0, false },
	{ "aes256gcm16-esn", "aes256gcm16-esn-noesn", IKEV2_PROTO_ESP, NULL, 0, 1, IKEV2_ENCR_AES_GCM_16, 256, 0, 0, 0, true },
	{ "aes256gcm16-noesn-esn", "aes256gcm16-esn-noesn", IKEV2_PROTO_ESP, NULL, 0, 1, IKEV2_ENCR_AES_GCM_16, 256, 0, 0, 0, false },
	{ "aes256gcm16-esn", "aes256gcm16", IKEV2_PROTO_ESP, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes128-sha256,aes256-sha512", "aes256-sha512", IKEV2_PROTO_ESP, NULL, 0, 2,
	  IKEV2_ENCR_AES_CBC, 256, 0, IKEV2_INTEG_HMAC_SHA2_512_256, 0, false },
	/* PFS: required by us but not offered, offered but not wanted,
	 * offered with NONE as an option */
	{ "aes256gcm16", "aes256gcm16-x25519", IKEV2_PROTO_ESP, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes256gcm16-x25519", "aes256gcm16", IKEV2_PROTO_ESP, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
	{ "aes256gcm16-x25519", "aes256gcm16", IKEV2_PROTO_ESP, add_dh_none, 0, 1,
	  IKEV2_ENCR_AES_GCM_16, 256, 0, 0, IKEV2_DH_NONE, false },
	{ "aes256gcm16-ecp256-x25519", "aes256gcm16-x25519", IKEV2_PROTO_ESP, NULL, 0, 1,
	  IKEV2_ENCR_AES_GCM_16, 256, 0, 0, IKEV2_DH_CURVE25519, false },
	/* protocol must agree */
	{ "aes256gcm16", "aes256gcm16-prfsha256-x25519", IKEV2_PROTO_ESP, NULL, -ENOENT, 0, 0, 0, 0, 0, 0, false },
};

static void test_select(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		const struct sel *s = &sels[i];
		struct offer *o = malloc(sizeof(*o));
		struct ike_prop_cfg ours[8];
		struct ike_prop_choice c;
		unsigned n;
		int rc;

		mk_offer(o, s->offer, s->proto, false, s->tweak);
		/* ours may be of another protocol than the offer */
		ours_of(s->ours, strstr(s->ours, "prf") ? IKEV2_PROTO_IKE : s->proto, ours, &n);
		rc = ike_prop_select(o->sa, ours, n, &c);
		if (rc != s->rc)
			fail_msg("case %zu (%s vs %s): rc %d want %d", i, s->offer, s->ours, rc, s->rc);
		if (!rc) {
			assert_int_equal(c.num, s->num);
			assert_int_equal(c.encr, s->encr);
			assert_int_equal(c.encr_bits, s->bits);
			assert_int_equal(c.prf, s->prf);
			assert_int_equal(c.integ, s->integ);
			assert_int_equal(c.dh, s->dh);
			assert_int_equal(c.esn, s->esn);
			assert_int_equal(c.proto, s->proto);
			/* one transform per offered type */
			for (unsigned a = 0; a < c.n_xf; a++)
				for (unsigned b = a + 1; b < c.n_xf; b++)
					assert_int_not_equal(c.xf[a].type, c.xf[b].type);
			if (s->proto == IKEV2_PROTO_ESP) {
				assert_int_equal(c.spi_size, 4);
				assert_int_equal(c.spi[0], 0xc1);
			}
		}
		free(o);
	}
}

/* A transform with an unknown attribute is unacceptable but its siblings
 * of the same type still count (3.3.6). */
static void test_select_unknown_attr(void **state)
{
	struct offer *o = malloc(sizeof(*o));
	struct ike_prop_cfg ours[2];
	struct ike_prop_choice c;
	unsigned n;
	uint8_t *raw;

	(void)state;
	mk_offer(o, "aes256gcm16-aes128gcm16-prfsha256-x25519", IKEV2_PROTO_IKE, false, NULL);
	ours_of("aes128gcm16-aes256gcm16-prfsha256-x25519", IKEV2_PROTO_IKE, ours, &n);
	assert_int_equal(ike_prop_select(o->sa, ours, n, &c), 0);
	assert_int_equal(c.encr_bits, 256);
	/* mark the first transform as carrying an unknown attribute, as the
	 * parser would */
	raw = (uint8_t *)&o->m.xfs[0];
	((struct ike_transform *)raw)->unknown_attr = true;
	assert_int_equal(ike_prop_select(o->sa, ours, n, &c), 0);
	assert_int_equal(c.encr_bits, 128);
	free(o);
}

/* Responder's answer built from a choice parses and passes the
 * initiator's check; doctored answers fail it. */
static void test_reply(void **state)
{
	struct offer *off = malloc(sizeof(*off));
	struct ike_prop_cfg ours[4];
	struct ike_prop_choice c, back;
	struct ike_proposal ans;
	struct ike_transform xf[6];
	struct ike_sa reply = { &ans, 1 };
	const char *why;
	unsigned n;

	(void)state;
	mk_offer(off, "aes128-sha256-modp2048,aes256gcm16-prfsha256-prfsha384-x25519-ecp256",
		 IKEV2_PROTO_IKE, false, NULL);
	ours_of("aes256gcm16-prfsha384-ecp256", IKEV2_PROTO_IKE, ours, &n);
	assert_int_equal(ike_prop_select(off->sa, ours, n, &c), 0);
	assert_int_equal(c.num, 2);
	ike_prop_choice_to_sa(&c, NULL, 0, &ans);
	assert_int_equal(ans.num, 2);
	assert_int_equal(ans.n_xf, 3);
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), 0);
	assert_int_equal(back.encr, IKEV2_ENCR_AES_GCM_16);
	assert_int_equal(back.prf, IKEV2_PRF_HMAC_SHA2_384);
	assert_int_equal(back.dh, IKEV2_DH_ECP256);

	/* wrong number */
	ans.num = 3;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	assert_non_null(strstr(why, "number"));
	ans.num = 2;
	/* a transform we did not offer (ECP-384) */
	memcpy(xf, c.xf, sizeof(c.xf));
	ans.xf = xf;
	xf[2].id = IKEV2_DH_ECP384;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	assert_non_null(strstr(why, "did not offer"));
	/* two of one type */
	xf[2] = xf[1];
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	assert_non_null(strstr(why, "two transforms"));
	/* a type missing */
	memcpy(xf, c.xf, sizeof(c.xf));
	ans.n_xf = 2;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	assert_non_null(strstr(why, "omits"));
	ans.n_xf = 3;
	/* a key length we did not offer */
	xf[0].key_len = 128;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	xf[0].key_len = 256;
	/* protocol and SPI size */
	ans.proto = IKEV2_PROTO_ESP;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	ans.proto = IKEV2_PROTO_IKE;
	ans.spi_size = 8;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	ans.spi_size = 0;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, NULL), 0);
	/* an answer of two proposals */
	reply.n_props = 2;
	assert_int_equal(ike_prop_check_reply(off->sa, &reply, &back, &why), -EBADMSG);
	free(off);
}

/* ESP answer through the wire: built, parsed as a response, checked. */
static void test_reply_esp_wire(void **state)
{
	struct offer *off = malloc(sizeof(*off)), *ans = malloc(sizeof(*ans));
	struct ike_prop_cfg ours[2];
	struct ike_prop_choice c, back;
	unsigned n;
	char s[128];

	(void)state;
	mk_offer(off, "aes128gcm16-esn,aes256gcm16-x25519", IKEV2_PROTO_ESP, false, NULL);
	ours_of("aes256gcm16-x25519", IKEV2_PROTO_ESP, ours, &n);
	assert_int_equal(ike_prop_select(off->sa, ours, n, &c), 0);
	assert_int_equal(c.num, 2);
	/* the answer on the wire: "aes256gcm16-x25519" with our SPI */
	mk_offer(ans, "aes256gcm16-x25519", IKEV2_PROTO_ESP, true, NULL);
	assert_int_equal(ans->sa->n_props, 1);
	((struct ike_proposal *)ans->sa->props)->num = 2;
	assert_int_equal(ike_prop_check_reply(off->sa, ans->sa, &back, NULL), 0);
	assert_int_equal(back.dh, IKEV2_DH_CURVE25519);
	assert_false(back.esn);
	assert_string_equal(ike_prop_str(&ans->sa->props[0], s, sizeof(s)),
			    "ESP:AES_GCM_16_256/CURVE25519/NO");
	free(off);
	free(ans);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_select_unknown_attr),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_esp_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
