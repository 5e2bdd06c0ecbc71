/* The IKEv2 codec: round trips of every payload type through build ->
 * parse, table-driven malformed messages (outer and inside SK), header
 * checks, every truncation of valid IKE_SA_INIT and IKE_AUTH messages,
 * builder bounds. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/bytes.h>

#include "ike/ike_crypto.h"
#include "ike/ike_msg.h"
#include "tlib.h"

/* Hex with spaces; "N*XX" stands for N octets XX. */
static size_t hx(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		unsigned v, r, rep = 1;
		int k;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (sscanf(s, "%u*%2x%n", &r, &v, &k) == 2) {
			rep = r;
			s += k;
		} else if (sscanf(s, "%2x%n", &v, &k) == 1 && k == 2) {
			s += 2;
		} else {
			fail_msg("bad hex at '%s'", s);
		}
		while (rep--) {
			if (n >= max)
				fail_msg("hex too long");
			out[n++] = (uint8_t)v;
		}
	}
	return n;
}

static const uint8_t SPI_I[8] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t SPI_R[8] = { 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };

/* IKE header + payload bytes. */
static size_t mkmsg(uint8_t *buf, size_t max, uint8_t exch, uint8_t flags,
		    uint8_t first, const char *hex)
{
	size_t n;

	memcpy(buf, SPI_I, 8);
	if (exch == IKEV2_EXCH_IKE_SA_INIT && !(flags & IKEV2_FLAG_RESPONSE))
		memset(buf + 8, 0, 8);
	else
		memcpy(buf + 8, SPI_R, 8);
	buf[16] = first;
	buf[17] = IKEV2_VERSION;
	buf[18] = exch;
	buf[19] = flags;
	ipx_st32(buf + 20, 1);
	n = IKE_HDR_LEN + hx(hex, buf + IKE_HDR_LEN, max - IKE_HDR_LEN);
	ipx_st32(buf + 24, (uint32_t)n);
	return n;
}

#define INIT IKEV2_EXCH_IKE_SA_INIT
#define AUTH IKEV2_EXCH_IKE_AUTH
#define CHILD IKEV2_EXCH_CREATE_CHILD_SA
#define INFO IKEV2_EXCH_INFORMATIONAL
#define REQ IKEV2_FLAG_INITIATOR
#define RESP IKEV2_FLAG_RESPONSE
#define SYN IKEV2_N_INVALID_SYNTAX
#define UCP IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD

/* A transform, proposal and SA that parse. */
#define XF "00000008 01000014"
#define PROP "00000010 01010001 " XF
#define SA_OK "00000014 " PROP

static const struct bad {
	const char *name;
	uint8_t exch, flags, first;
	const char *hex;
	uint16_t notify;
	const char *reason;
} bads[] = {
	{ "payload length 3", INIT, REQ, 0x2b, "00000003", SYN, "below 4" },
	{ "payload length 0", INIT, REQ, 0x2b, "00000000", SYN, "below 4" },
	{ "payload past the end", INIT, REQ, 0x2b, "00000008 0000", SYN, "length past the end" },
	{ "header past the end", INIT, REQ, 0x2b, "0000", SYN, "header past the end" },
	{ "trailing octet", INIT, REQ, 0x2b, "00000004 ff", SYN, "data after the last payload" },
	{ "next payload missing", INIT, REQ, 0x2b, "2b000004", SYN, "header past the end" },
	{ "SA without proposals", INIT, REQ, 0x21, "00000004", SYN, "without proposals" },
	{ "proposal length 4", INIT, REQ, 0x21, "0000000c 00000004 01010001", SYN, "below header" },
	{ "proposal past SA", INIT, REQ, 0x21, "00000014 00000018 01010001 " XF, SYN,
	  "past the end of SA" },
	{ "last proposal marked more", INIT, REQ, 0x21, "00000014 02000010 01010001 " XF, SYN,
	  "proposal 'last' marker" },
	{ "proposal marked last, more follow", INIT, REQ, 0x21,
	  "00000024 " PROP " 00000010 02010001 " XF, SYN, "proposal 'last' marker" },
	{ "first proposal numbered 2", INIT, REQ, 0x21, "00000014 00000010 02010001 " XF, SYN,
	  "numbers not 1, 2, 3" },
	{ "proposals 1 then 3", INIT, REQ, 0x21,
	  "00000024 02000010 01010001 " XF " 00000010 03010001 " XF, SYN, "numbers not 1, 2, 3" },
	{ "answer with two proposals", INIT, RESP, 0x21,
	  "00000024 02000010 01010001 " XF " 00000010 02010001 " XF, SYN, "more than one proposal" },
	{ "answer proposal number 0", INIT, RESP, 0x21, "00000014 00000010 00010001 " XF, SYN,
	  "number zero" },
	{ "IKE proposal with SPI in IKE_SA_INIT", INIT, REQ, 0x21,
	  "0000001c 00000018 01010801 8*11 " XF, SYN, "wrong SPI size" },
	{ "ESP proposal with 3-octet SPI", INIT, REQ, 0x21,
	  "00000017 00000013 01030301 aabbcc " XF, SYN, "SPI size not 4" },
	{ "unknown protocol, 9-octet SPI", INIT, REQ, 0x21,
	  "0000001d 00000019 01090901 9*11 " XF, SYN, "SPI longer than 8" },
	{ "transforms announced 2, one there", INIT, REQ, 0x21, "00000014 00000010 01010002 " XF,
	  SYN, "fewer transforms" },
	{ "transforms announced 1, two there", INIT, REQ, 0x21,
	  "0000001c 00000018 01010001 03000008 01000014 00000008 02000005", SYN,
	  "more transforms than" },
	{ "transform length 4", INIT, REQ, 0x21, "00000014 00000010 01010001 00000004 01000014",
	  SYN, "transform length below 8" },
	{ "transform past proposal", INIT, REQ, 0x21,
	  "00000014 00000010 01010001 0000000c 01000014", SYN,
	  "transform length past the end of proposal" },
	{ "transform header past proposal", INIT, REQ, 0x21,
	  "00000010 0000000c 01010001 00000008", SYN, "transform header past" },
	{ "last transform marked more", INIT, REQ, 0x21,
	  "00000014 00000010 01010001 03000008 01000014", SYN, "transform 'last' marker" },
	{ "key length as TLV", INIT, REQ, 0x21,
	  "0000001a 00000016 01010001 0000000e 0100000c 000e0002 0080", SYN, "not in TV form" },
	{ "key length twice", INIT, REQ, 0x21,
	  "0000001c 00000018 01010001 00000010 0100000c 800e0080 800e0100", SYN, "twice" },
	{ "key length zero", INIT, REQ, 0x21,
	  "00000018 00000014 01010001 0000000c 0100000c 800e0000", SYN, "key length of zero" },
	{ "TLV attribute past transform", INIT, REQ, 0x21,
	  "00000018 00000014 01010001 0000000c 0100000c 00050010", SYN,
	  "attribute length past the end" },
	{ "attribute header past transform", INIT, REQ, 0x21,
	  "00000016 00000012 01010001 0000000a 0100000c 8005", SYN, "attribute past the end" },
	{ "proposal without transforms", INIT, REQ, 0x21, "0000000c 00000008 01010000", SYN,
	  "without transforms" },
	{ "KE without data", INIT, REQ, 0x22, "00000008 00130000", SYN, "without public value" },
	{ "KE x25519 of 31 octets", INIT, REQ, 0x22, "00000027 001f0000 31*01", SYN,
	  "length wrong for its group" },
	{ "KE modp2048 of 257 octets", INIT, REQ, 0x22, "00000109 000e0000 257*01", SYN,
	  "length wrong for its group" },
	{ "nonce of 15", INIT, REQ, 0x28, "00000013 15*aa", SYN, "16..256" },
	{ "nonce of 257", INIT, REQ, 0x28, "00000105 257*aa", SYN, "16..256" },
	{ "notify shorter than header", INIT, REQ, 0x29, "00000007 000000", SYN,
	  "shorter than its header" },
	{ "notify SPI past the end", INIT, REQ, 0x29, "00000008 00084004", SYN, "SPI past the end" },
	{ "NAT-D of 19", INIT, REQ, 0x29, "0000001b 00004004 19*01", SYN, "data length wrong" },
	{ "COOKIE of 65", INIT, RESP, 0x29, "00000049 00004006 65*01", SYN, "data length wrong" },
	{ "COOKIE of 0", INIT, RESP, 0x29, "00000008 00004006", SYN, "data length wrong" },
	{ "INVALID_KE_PAYLOAD of 3", INIT, RESP, 0x29, "0000000b 00000011 000e00", SYN,
	  "data length wrong" },
	{ "REKEY_SA without SPI", INIT, REQ, 0x29, "00000008 03004009", SYN, "SPI size wrong" },
	{ "SIGNATURE_HASH_ALGORITHMS odd", INIT, REQ, 0x29, "0000000b 0000402f 000200", SYN,
	  "data length wrong" },
	{ "FRAGMENTATION_SUPPORTED with data", INIT, REQ, 0x29, "00000009 0000402e 01", SYN,
	  "data length wrong" },
	{ "unknown critical payload", INIT, REQ, 0x3c, "00800004", UCP, "critical" },
	{ "unimplemented critical payload", INIT, REQ, IKEV2_PL_GSPM, "00800004", UCP, "critical" },
	{ "AUTH outside SK", INIT, REQ, 0x27, "00000009 02000000 01", SYN, "not allowed outside SK" },
	{ "SK in IKE_SA_INIT", INIT, REQ, 0x2e, "00000004", SYN, "not allowed outside SK" },
	{ "SKF in IKE_SA_INIT", INIT, REQ, 0x35, "00000010 0001 0001 8*aa", SYN,
	  "not allowed outside SK" },
	{ "IDi outside SK", AUTH, REQ, 0x23, "00000009 02000000 61", SYN, "not allowed outside SK" },
	{ "notify outside SK in a request", AUTH, REQ, 0x29, "00000008 00004000", SYN,
	  "not allowed outside SK" },
	{ "unprotected notify beside SK", AUTH, RESP, 0x29, "2e000008 00000018 00000004", SYN,
	  "beside SK" },
	{ "IKE_AUTH not encrypted", AUTH, REQ, 0x00, "", SYN, "not encrypted" },
	{ "INFORMATIONAL not encrypted", INFO, REQ, 0x00, "", SYN, "not encrypted" },
	{ "two SA payloads", INIT, REQ, 0x21, "21000014 " PROP " " SA_OK, SYN, "only once" },
	{ "two nonces", INIT, REQ, 0x28, "28000014 16*aa 00000014 16*aa", SYN, "only once" },
	{ "two KE", INIT, REQ, 0x22, "22000028 001f0000 32*01 00000028 001f0000 32*01", SYN,
	  "only once" },
	{ "data after SK", INFO, REQ, 0x2e, "29000008 aabbccdd 00", SYN, "data after the encrypted" },
	{ "SKF fragment 0", INFO, REQ, 0x35, "29000010 0000 0001 8*aa", SYN, "not within 1..total" },
	{ "SKF fragment 3 of 2", INFO, REQ, 0x35, "00000010 0003 0002 8*aa", SYN,
	  "not within 1..total" },
	{ "SKF total 0", INFO, REQ, 0x35, "29000010 0001 0000 8*aa", SYN, "not within 1..total" },
	{ "SKF next payload in fragment 2", INFO, REQ, 0x35, "29000010 0002 0002 8*aa", SYN,
	  "non-first fragment" },
	{ "SKF shorter than its fields", INFO, REQ, 0x35, "00000006 0001", SYN, "SKF shorter" },
	{ "unsupported exchange", 99, REQ, 0x2b, "00000004", IKEV2_N_NONE, "exchange type" },
};

static void check_bad(struct ike_msg *m, const uint8_t *buf, size_t len, int rc,
		      const struct ike_perr *e, uint16_t notify, const char *reason,
		      const char *name)
{
	(void)m;
	(void)buf;
	(void)len;
	if (rc != -EBADMSG)
		fail_msg("%s: accepted (rc %d)", name, rc);
	assert_non_null(e->reason);
	if (!strstr(e->reason, reason))
		fail_msg("%s: reason '%s' lacks '%s'", name, e->reason, reason);
	if (e->notify != notify)
		fail_msg("%s: notify %u (%s) want %u", name, e->notify,
			 ikev2_notify_name(e->notify), notify);
}

static void test_malformed(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct ike_perr e;
		size_t len = mkmsg(buf, sizeof(buf), b->exch, b->flags, b->first, b->hex);
		int rc = ike_msg_parse(m, buf, len, &e);

		check_bad(m, buf, len, rc, &e, b->notify, b->reason, b->name);
		assert_false(e.inner);
		assert_true(e.off <= len);
	}
	free(m);
}

/* Unknown critical payloads name their type for the notify data. */
static void test_unsupported_critical(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[256];
	struct ike_perr e;
	size_t len;

	(void)state;
	len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x21, "3c000014 " PROP " 00800008 aabbccdd");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_int_equal(e.notify, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD);
	assert_int_equal(e.pld_type, 0x3c);
	assert_int_equal(e.off, IKE_HDR_LEN + 20);
	/* the same, not critical: skipped, the chain goes on */
	len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x21, "3c000014 " PROP " 2b000008 aabbccdd 00000004");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_int_equal(m->n_skipped, 1);
	assert_int_equal(m->n_pld, 2);
	assert_int_equal(m->pld[1].type, IKEV2_PL_VENDOR);
	/* a known payload's critical bit is kept but means nothing (3.2) */
	len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x2b, "00800005 aa");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_true(m->pld[0].critical);
	free(m);
}

/* Inside SK: the same walker with the inside rules. */
static const struct bad inner_bads[] = {
	{ "IKE delete with SPIs", INFO, REQ, 0x2a, "0000000c 01040001 aabbccdd", SYN, "IKE delete with SPIs" },
	{ "ESP delete, SPI size 8", INFO, REQ, 0x2a, "00000010 03080001 8*aa", SYN, "SPI size not 4" },
	{ "delete count 2, one SPI", INFO, REQ, 0x2a, "0000000c 03040002 aabbccdd", SYN, "count disagrees" },
	{ "delete of protocol 9", INFO, REQ, 0x2a, "00000008 09000000", SYN, "unknown protocol" },
	{ "ESP delete without SPIs", INFO, REQ, 0x2a, "00000008 03040000", SYN, "without SPIs" },
	{ "delete shorter than header", INFO, REQ, 0x2a, "00000006 0304", SYN, "shorter than its header" },
	{ "TS with zero selectors", AUTH, REQ, 0x2c, "00000008 00000000", SYN, "zero selectors" },
	{ "TS announces 2, one there", AUTH, REQ, 0x2c,
	  "00000018 02000000 07000010 0000ffff 0a000000 0affffff", SYN, "fewer selectors" },
	{ "TS announces 1, two there", AUTH, REQ, 0x2c,
	  "00000028 01000000 07000010 0000ffff 0a000000 0affffff 07000010 0000ffff 0a000000 0affffff",
	  SYN, "more selectors" },
	{ "IPv4 selector of 20", AUTH, REQ, 0x2c,
	  "0000001c 01000000 07000014 0000ffff 0a000000 0affffff 00000000", SYN, "not 16" },
	{ "IPv6 selector of 16", AUTH, REQ, 0x2d,
	  "00000018 01000000 08000010 0000ffff 0a000000 0affffff", SYN, "not 40" },
	{ "selector length 2", AUTH, REQ, 0x2c, "0000000c 01000000 07000002", SYN, "out of bounds" },
	{ "selector past the end", AUTH, REQ, 0x2c, "00000010 01000000 07000010 0000ffff", SYN,
	  "out of bounds" },
	{ "selector header past the end", AUTH, REQ, 0x2c, "0000000a 01000000 0700", SYN,
	  "selector header past" },
	{ "TS shorter than header", AUTH, REQ, 0x2c, "00000006 0100", SYN, "shorter than its header" },
	{ "CP of type 5", AUTH, REQ, 0x2f, "00000008 05000000", SYN, "unknown CP type" },
	{ "CP attribute past the end", AUTH, REQ, 0x2f, "0000000c 01000000 00010004", SYN, "past the end" },
	{ "CP attribute header past the end", AUTH, REQ, 0x2f, "0000000a 01000000 0001", SYN,
	  "header past the end" },
	{ "INTERNAL_IP4_ADDRESS of 3", AUTH, REQ, 0x2f, "0000000f 01000000 00010003 0a0000", SYN,
	  "wrong for its type" },
	{ "INTERNAL_IP6_ADDRESS of 16", AUTH, REQ, 0x2f, "0000001c 01000000 00080010 16*20", SYN,
	  "wrong for its type" },
	{ "SUPPORTED_ATTRIBUTES odd", AUTH, REQ, 0x2f, "0000000f 01000000 000e0003 000100", SYN,
	  "odd length" },
	{ "ID_IPV4_ADDR of 5", AUTH, REQ, 0x23, "0000000d 01000000 0a000001ff", SYN, "not 4 octets" },
	{ "ID_IPV6_ADDR of 4", AUTH, REQ, 0x24, "0000000c 05000000 0a000001", SYN, "not 16 octets" },
	{ "empty FQDN", AUTH, REQ, 0x23, "00000008 02000000", SYN, "empty identity" },
	{ "ID_NULL with data", AUTH, REQ, 0x23, "00000009 0d000000 61", SYN, "ID_NULL with data" },
	{ "ID shorter than header", AUTH, REQ, 0x23, "00000007 020000", SYN, "shorter than its header" },
	{ "AUTH without data", AUTH, REQ, 0x27, "00000008 02000000", SYN, "without data" },
	{ "RFC 7427 AlgorithmIdentifier too long", AUTH, REQ, 0x27, "0000000b 0e000000 050102",
	  SYN, "AlgorithmIdentifier" },
	{ "RFC 7427 AlgorithmIdentifier empty", AUTH, REQ, 0x27, "0000000b 0e000000 000102",
	  SYN, "AlgorithmIdentifier" },
	{ "CERT without data", AUTH, REQ, 0x25, "00000005 04", SYN, "without data" },
	{ "hash and URL of 20", AUTH, REQ, 0x25, "00000019 0c 20*01", SYN, "hash and URL" },
	{ "CERTREQ X.509 of 21", AUTH, REQ, 0x26, "0000001a 04 21*01", SYN, "multiple of 20" },
	{ "CERTREQ without encoding", AUTH, REQ, 0x26, "00000004", SYN, "without encoding" },
	{ "EAP length disagrees", AUTH, REQ, 0x30, "00000009 0101 0006 01", SYN, "disagrees" },
	{ "EAP shorter than header", AUTH, REQ, 0x30, "00000007 010100", SYN, "shorter" },
	{ "SK inside SK", AUTH, REQ, 0x2e, "00000004", SYN, "not allowed inside SK" },
	{ "SKF inside SK", INFO, REQ, 0x35, "00000010 0001 0001 8*aa", SYN, "not allowed inside SK" },
	{ "KE in IKE_AUTH", AUTH, REQ, 0x22, "00000028 001f0000 32*01", SYN, "not allowed inside SK" },
	{ "delete in IKE_AUTH", AUTH, REQ, 0x2a, "00000008 01000000", SYN, "not allowed inside SK" },
	{ "IDi in CREATE_CHILD_SA", CHILD, REQ, 0x23, "00000009 02000000 61", SYN,
	  "not allowed inside SK" },
	{ "SA in INFORMATIONAL", INFO, REQ, 0x21, SA_OK, SYN, "not allowed inside SK" },
	{ "two IDi", AUTH, REQ, 0x23, "23000009 02000000 61 00000009 02000000 61", SYN, "only once" },
	{ "two AUTH", AUTH, REQ, 0x27, "27000009 02000000 61 00000009 02000000 61", SYN, "only once" },
	{ "unknown critical inside", INFO, REQ, 0x3d, "00800004", UCP, "critical" },
	{ "inner trailing octet", INFO, REQ, 0x29, "00000008 00004000 00", SYN, "data after the last" },
	{ "inner length past the end", INFO, REQ, 0x29, "00000010 00004000", SYN, "length past the end" },
};

/* A message holding SK whose "plaintext" is hex, to exercise the inner
 * parser (decryption is the crypto test's business). */
static void test_inner_malformed(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[1024], plain[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(inner_bads) / sizeof(inner_bads[0]); i++) {
		const struct bad *b = &inner_bads[i];
		struct ike_perr e;
		size_t len = mkmsg(buf, sizeof(buf), b->exch, b->flags, 0x2e, "00000014 16*00");
		size_t pl = hx(b->hex, plain, sizeof(plain));
		int rc;

		assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
		rc = ike_msg_parse_inner(m, b->first, plain, pl, &e);
		check_bad(m, plain, pl, rc, &e, b->notify, b->reason, b->name);
		assert_true(e.inner);
		assert_true(e.off <= pl);
	}
	/* no SK parsed: nothing to parse inside */
	{
		struct ike_perr e;
		size_t len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x2b, "00000004");

		assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
		assert_int_equal(ike_msg_parse_inner(m, 0x29, plain, 0, &e), -EBADMSG);
	}
	free(m);
}

static void test_header(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[256];
	struct ike_perr e;
	struct ike_hdr h;
	size_t len;

	(void)state;
	len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x2b, "00000004");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_memory_equal(m->hdr.spi_i, SPI_I, 8);
	assert_int_equal(m->hdr.msg_id, 1);
	assert_int_equal(m->hdr.length, len);
	assert_int_equal(m->hdr.flags, REQ);

	buf[17] = 0x30; /* version 3.0: 2.5 */
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_int_equal(e.notify, IKEV2_N_INVALID_MAJOR_VERSION);
	assert_int_equal(e.off, 17);
	buf[17] = 0x10; /* IKEv1 */
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_int_equal(e.notify, IKEV2_N_NONE);
	buf[17] = 0x21; /* minor version ignored */
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	buf[17] = 0x20;
	buf[19] = REQ | 0x47; /* reserved flag bits ignored */
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	buf[19] = REQ;

	/* length field must be the datagram's */
	assert_int_equal(ike_msg_parse(m, buf, len - 1, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "length"));
	assert_int_equal(e.notify, SYN);
	ipx_st32(buf + 24, (uint32_t)len + 1);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	ipx_st32(buf + 24, 0xffffffff);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	ipx_st32(buf + 24, (uint32_t)len);

	/* SPIi zero, SPIr set in an IKE_SA_INIT request */
	memset(buf, 0, 8);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "initiator SPI"));
	memcpy(buf, SPI_I, 8);
	buf[8] = 1;
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "responder SPI"));
	buf[19] = RESP; /* fine in the answer */
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);

	/* anything shorter than a header: no one to answer */
	for (size_t n = 0; n < IKE_HDR_LEN; n++) {
		assert_int_equal(ike_hdr_parse(buf, n, &h, &e), -EBADMSG);
		assert_int_equal(e.notify, IKEV2_N_NONE);
	}
	assert_int_equal(ike_hdr_parse(buf, len, &h, NULL), 0);
	free(m);
}

/* Positive odds and ends of the parser. */
static void test_accepted(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t buf[512], plain[256];
	struct ike_perr e;
	size_t len, pl;

	(void)state;
	/* a transform with an unknown attribute is kept, flagged */
	len = mkmsg(buf, sizeof(buf), INIT, REQ, 0x21,
		    "00000024 00000020 01010002 0300000c 0100000c 80050001 0000000c 0100000c 800e0080");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_true(m->pld[0].u.sa.props[0].xf[0].unknown_attr);
	assert_false(m->pld[0].u.sa.props[0].xf[1].unknown_attr);
	assert_int_equal(m->pld[0].u.sa.props[0].xf[1].key_len, 128);
	/* a bare unprotected notify answering a request (1.5) */
	len = mkmsg(buf, sizeof(buf), AUTH, RESP, 0x29, "00000008 00000004");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_true(m->unprotected_notify);
	assert_int_equal(m->sk, -1);
	assert_non_null(ike_msg_notify(m, IKEV2_N_INVALID_IKE_SPI));
	/* COOKIE answer: only N, responder SPI zero is fine */
	len = mkmsg(buf, sizeof(buf), INIT, RESP, 0x29, "0000000c 00004006 aabbccdd");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_int_equal(ike_msg_notify(m, IKEV2_N_COOKIE)->len, 4);
	/* an empty INFORMATIONAL (liveness): SK with nothing inside */
	len = mkmsg(buf, sizeof(buf), INFO, REQ, 0x2e, "00000014 16*00");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_int_equal(ike_msg_parse_inner(m, 0, plain, 0, &e), 0);
	assert_int_equal(m->n_pld, 1);
	/* ID_NULL, opaque TS type, unknown ID type, digital signature AUTH */
	len = mkmsg(buf, sizeof(buf), AUTH, REQ, 0x2e, "00000014 16*00");
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	pl = hx("27000008 0d000000 2c00000c 0e000000 02aabb00 24000010 01000000 09000008 0102aaaa "
		"00000009 63000000 7a",
		plain, sizeof(plain));
	assert_int_equal(ike_msg_parse_inner(m, 0x23, plain, pl, &e), 0);
	assert_int_equal(m->n_pld, 5);
	assert_int_equal(m->pld[1].u.id.type, IKEV2_ID_NULL);
	assert_int_equal(m->pld[2].u.auth.sig_alg_len, 2);
	assert_int_equal(m->pld[2].u.auth.sig_len, 1);
	assert_int_equal(m->pld[3].u.ts.ts[0].type, IKEV2_TS_FC_ADDR_RANGE);
	assert_int_equal(m->pld[4].u.id.type, 0x63);
	assert_int_equal(m->pld[4].off, pl - 9);
	free(m);
}

/* ---- round trips ---- */

static void test_roundtrip_init(void **state)
{
	struct ike_msg *out = malloc(sizeof(*out)), *in = malloc(sizeof(*in));
	static const struct ike_transform xf1[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
		{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0, false },
	};
	static const struct ike_transform xf2[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 128, false },
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 256, false },
		{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_384, 0, false },
		{ IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_384_192, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_MODP2048, 0, false },
	};
	struct ike_proposal props[2] = { { 1, IKEV2_PROTO_IKE, 0, { 0 }, 3, xf1 },
					 { 2, IKEV2_PROTO_IKE, 0, { 0 }, 5, xf2 } };
	uint8_t ke[32], nonce[32], natd[20], vid[16], ca[40], buf[1024];
	const struct ike_pld *p;
	struct ike_pld *q;
	struct ike_perr e;
	size_t len, sk;

	(void)state;
	tlib_srand(34);
	tlib_rand_bytes(ke, sizeof(ke));
	tlib_rand_bytes(nonce, sizeof(nonce));
	tlib_rand_bytes(natd, sizeof(natd));
	tlib_rand_bytes(vid, sizeof(vid));
	tlib_rand_bytes(ca, sizeof(ca));
	ike_msg_init(out, SPI_I, NULL, INIT, REQ, 0);
	q = ike_msg_add(out, IKEV2_PL_SA, false);
	q->u.sa = (struct ike_sa){ props, 2 };
	q = ike_msg_add(out, IKEV2_PL_KE, false);
	q->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ke, 32 };
	q = ike_msg_add(out, IKEV2_PL_NONCE, false);
	q->u.nonce = (struct ike_blob){ nonce, 32 };
	assert_int_equal(ike_msg_add_notify(out, false, 0, NULL, 0,
					    IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, 20), 0);
	assert_int_equal(ike_msg_add_notify(out, false, 0, NULL, 0,
					    IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0), 0);
	q = ike_msg_add(out, IKEV2_PL_CERTREQ, false);
	q->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, ca, 40 };
	q = ike_msg_add(out, IKEV2_PL_VENDOR, false);
	q->u.vendor = (struct ike_blob){ vid, 16 };
	q->critical = true;
	assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk), 0);
	assert_int_equal(sk, 0);

	assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
	assert_int_equal(in->n_pld, 7);
	assert_int_equal(in->hdr.exchange, INIT);
	assert_int_equal(in->hdr.version, IKEV2_VERSION);
	p = ike_msg_get(in, IKEV2_PL_SA, 0);
	assert_int_equal(p->u.sa.n_props, 2);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(p->u.sa.props[i].num, i + 1);
		assert_int_equal(p->u.sa.props[i].proto, IKEV2_PROTO_IKE);
		assert_int_equal(p->u.sa.props[i].n_xf, props[i].n_xf);
		for (unsigned j = 0; j < props[i].n_xf; j++) {
			assert_int_equal(p->u.sa.props[i].xf[j].type, props[i].xf[j].type);
			assert_int_equal(p->u.sa.props[i].xf[j].id, props[i].xf[j].id);
			assert_int_equal(p->u.sa.props[i].xf[j].key_len, props[i].xf[j].key_len);
		}
	}
	p = ike_msg_get(in, IKEV2_PL_KE, 0);
	assert_int_equal(p->u.ke.group, IKEV2_DH_CURVE25519);
	assert_memory_equal(p->u.ke.data, ke, 32);
	p = ike_msg_get(in, IKEV2_PL_NONCE, 0);
	assert_memory_equal(p->u.nonce.data, nonce, 32);
	assert_memory_equal(ike_msg_notify(in, IKEV2_N_NAT_DETECTION_SOURCE_IP)->data, natd, 20);
	assert_int_equal(ike_msg_notify(in, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED)->len, 0);
	p = ike_msg_get(in, IKEV2_PL_CERTREQ, 0);
	assert_int_equal(p->u.cert.encoding, IKEV2_CERT_X509_SIG);
	assert_memory_equal(p->u.cert.data, ca, 40);
	p = ike_msg_get(in, IKEV2_PL_VENDOR, 0);
	assert_memory_equal(p->u.vendor.data, vid, 16);
	assert_true(p->critical);
	assert_null(ike_msg_get(in, IKEV2_PL_VENDOR, 1));
	assert_non_null(ike_msg_get(in, IKEV2_PL_NOTIFY, 1));
	assert_null(ike_msg_get(in, IKEV2_PL_NOTIFY, 2));
	free(out);
	free(in);
}

/* Every payload that lives inside SK, through build -> parse -> inner. */
static void test_roundtrip_inner(void **state)
{
	struct ike_msg *out = malloc(sizeof(*out)), *in = malloc(sizeof(*in));
	static const struct ike_transform xf[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 256, false },
		{ IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_ECP256, 0, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_YES, 0, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false },
	};
	struct ike_proposal prop = { 1, IKEV2_PROTO_ESP, 4, { 0xca, 0xfe, 0x00, 0x01 }, 5, xf };
	struct ike_ts ts[3] = {
		{ IKEV2_TS_IPV4_ADDR_RANGE, 6, 80, 443, { 10, 0, 0, 1 }, { 10, 0, 0, 254 } },
		{ IKEV2_TS_IPV6_ADDR_RANGE, 0, 0, 65535,
		  { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0x20, 0x01, 0x0d, 0xb8, [14] = 0xff, [15] = 0xff } },
		{ IKEV2_TS_IPV4_ADDR_RANGE, 1, 65535, 0, { 0 }, { 255, 255, 255, 255 } },
	};
	static const uint8_t ip4[4] = { 10, 9, 8, 7 }, mask[4] = { 255, 255, 255, 0 };
	struct ike_cp_attr attrs[3] = { { IKEV2_CFG_INTERNAL_IP4_ADDRESS, 4, ip4 },
					{ IKEV2_CFG_INTERNAL_IP4_NETMASK, 4, mask },
					{ IKEV2_CFG_INTERNAL_IP6_DNS, 0, NULL } };
	static const uint8_t cert[100] = { 0x30, 0x82 }, authd[32] = { 1 }, eap[5] = { 2, 7, 0, 5, 1 };
	static const uint8_t spi[4] = { 0xc0, 0xff, 0xee, 0x01 }, spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t buf[2048];
	struct ike_pld *q;
	const struct ike_pld *p;
	struct ike_perr e;
	size_t len, sk;

	(void)state;
	ike_msg_init(out, SPI_I, SPI_R, AUTH, REQ, 1);
	assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
	q = ike_msg_add(out, IKEV2_PL_IDI, true);
	q->u.id = (struct ike_id){ IKEV2_ID_IPV4_ADDR, ip4, 4 };
	q = ike_msg_add(out, IKEV2_PL_CERT, true);
	q->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, cert, sizeof(cert) };
	q = ike_msg_add(out, IKEV2_PL_CERTREQ, true);
	q->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, cert, 20 };
	q = ike_msg_add(out, IKEV2_PL_IDR, true);
	q->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"vpn.example.net", 15 };
	q = ike_msg_add(out, IKEV2_PL_AUTH, true);
	q->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_SHARED_KEY_MIC, .data = authd, .len = 32 };
	q = ike_msg_add(out, IKEV2_PL_CP, true);
	q->u.cp = (struct ike_cp){ IKEV2_CFG_REQUEST, attrs, 3 };
	assert_int_equal(ike_msg_add_notify(out, true, IKEV2_PROTO_ESP, spi, 4,
					    IKEV2_N_USE_TRANSPORT_MODE, NULL, 0), 0);
	q = ike_msg_add(out, IKEV2_PL_SA, true);
	q->u.sa = (struct ike_sa){ &prop, 1 };
	q = ike_msg_add(out, IKEV2_PL_TSI, true);
	q->u.ts = (struct ike_tsp){ ts, 3 };
	q = ike_msg_add(out, IKEV2_PL_TSR, true);
	q->u.ts = (struct ike_tsp){ ts + 1, 1 };
	q = ike_msg_add(out, IKEV2_PL_EAP, true);
	q->u.eap = (struct ike_blob){ eap, 5 };
	q = ike_msg_add(out, IKEV2_PL_VENDOR, true);
	q->u.vendor = (struct ike_blob){ (const uint8_t *)"ipsecfx", 7 };
	assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk), 0);
	assert_int_equal(sk, IKE_HDR_LEN);
	assert_int_equal(buf[sk], IKEV2_PL_IDI); /* SK next = first inner */

	assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
	assert_int_equal(in->n_pld, 1);
	assert_int_equal(ike_msg_parse_inner(in, buf[sk], buf + sk + 4, len - sk - 4, &e), 0);
	assert_int_equal(in->n_pld, 13);
	p = ike_msg_get(in, IKEV2_PL_IDI, 0);
	assert_true(p->inner);
	assert_int_equal(p->u.id.type, IKEV2_ID_IPV4_ADDR);
	assert_memory_equal(p->u.id.data, ip4, 4);
	p = ike_msg_get(in, IKEV2_PL_IDR, 0);
	assert_int_equal(p->u.id.len, 15);
	assert_memory_equal(p->u.id.data, "vpn.example.net", 15);
	p = ike_msg_get(in, IKEV2_PL_CERT, 0);
	assert_int_equal(p->u.cert.len, sizeof(cert));
	assert_memory_equal(p->u.cert.data, cert, sizeof(cert));
	assert_int_equal(ike_msg_get(in, IKEV2_PL_CERTREQ, 0)->u.cert.len, 20);
	p = ike_msg_get(in, IKEV2_PL_AUTH, 0);
	assert_int_equal(p->u.auth.method, IKEV2_AUTH_SHARED_KEY_MIC);
	assert_memory_equal(p->u.auth.data, authd, 32);
	p = ike_msg_get(in, IKEV2_PL_CP, 0);
	assert_int_equal(p->u.cp.type, IKEV2_CFG_REQUEST);
	assert_int_equal(p->u.cp.n_attrs, 3);
	assert_int_equal(p->u.cp.attrs[1].type, IKEV2_CFG_INTERNAL_IP4_NETMASK);
	assert_memory_equal(p->u.cp.attrs[1].value, mask, 4);
	assert_int_equal(p->u.cp.attrs[2].len, 0);
	{
		const struct ike_notify *n = ike_msg_notify(in, IKEV2_N_USE_TRANSPORT_MODE);

		assert_int_equal(n->proto, IKEV2_PROTO_ESP);
		assert_int_equal(n->spi_size, 4);
		assert_memory_equal(n->spi, spi, 4);
	}
	p = ike_msg_get(in, IKEV2_PL_SA, 0);
	assert_int_equal(p->u.sa.props[0].spi_size, 4);
	assert_memory_equal(p->u.sa.props[0].spi, prop.spi, 4);
	assert_int_equal(p->u.sa.props[0].n_xf, 5);
	assert_int_equal(p->u.sa.props[0].xf[3].id, IKEV2_ESN_YES);
	p = ike_msg_get(in, IKEV2_PL_TSI, 0);
	assert_int_equal(p->u.ts.n_ts, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct ike_ts *a = &p->u.ts.ts[i], *b = &ts[i];

		assert_int_equal(a->type, b->type);
		assert_int_equal(a->proto, b->proto);
		assert_int_equal(a->start_port, b->start_port);
		assert_int_equal(a->end_port, b->end_port);
		assert_memory_equal(a->start, b->start, 16);
		assert_memory_equal(a->end, b->end, 16);
	}
	assert_int_equal(ike_msg_get(in, IKEV2_PL_TSR, 0)->u.ts.ts[0].type, IKEV2_TS_IPV6_ADDR_RANGE);
	assert_memory_equal(ike_msg_get(in, IKEV2_PL_EAP, 0)->u.eap.data, eap, 5);
	assert_memory_equal(ike_msg_get(in, IKEV2_PL_VENDOR, 0)->u.vendor.data, "ipsecfx", 7);

	/* INFORMATIONAL: deletes (IKE and ESP), notify, CP */
	ike_msg_init(out, SPI_I, SPI_R, INFO, RESP, 7);
	assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
	q = ike_msg_add(out, IKEV2_PL_DELETE, true);
	q->u.del = (struct ike_delete){ IKEV2_PROTO_ESP, 4, 2, spis };
	q = ike_msg_add(out, IKEV2_PL_DELETE, true);
	q->u.del = (struct ike_delete){ IKEV2_PROTO_IKE, 0, 0, NULL };
	assert_int_equal(ike_msg_add_notify(out, true, 0, NULL, 0, IKEV2_N_SET_WINDOW_SIZE,
					    (const uint8_t *)"\0\0\0\x0a", 4), 0);
	q = ike_msg_add(out, IKEV2_PL_CP, true);
	q->u.cp = (struct ike_cp){ IKEV2_CFG_ACK, NULL, 0 };
	assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk), 0);
	assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
	assert_int_equal(ike_msg_parse_inner(in, buf[sk], buf + sk + 4, len - sk - 4, &e), 0);
	p = ike_msg_get(in, IKEV2_PL_DELETE, 0);
	assert_int_equal(p->u.del.n_spi, 2);
	assert_memory_equal(p->u.del.spis, spis, 8);
	assert_int_equal(ike_msg_get(in, IKEV2_PL_DELETE, 1)->u.del.proto, IKEV2_PROTO_IKE);
	assert_int_equal(ike_msg_get(in, IKEV2_PL_CP, 0)->u.cp.n_attrs, 0);
	assert_int_equal(in->hdr.msg_id, 7);

	/* CREATE_CHILD_SA: SA (rekey of the IKE SA, 8-octet SPI), Ni, KE */
	{
		static const struct ike_transform ix[] = {
			{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false },
			{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_512, 0, false },
			{ IKEV2_XF_DH, IKEV2_DH_ECP384, 0, false },
		};
		struct ike_proposal ip = { 1, IKEV2_PROTO_IKE, 8, { 1, 2, 3, 4, 5, 6, 7, 8 }, 3, ix };
		uint8_t nonce[64] = { 9 }, ke[96] = { 7 };

		ike_msg_init(out, SPI_I, SPI_R, CHILD, REQ, 9);
		assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
		q = ike_msg_add(out, IKEV2_PL_SA, true);
		q->u.sa = (struct ike_sa){ &ip, 1 };
		q = ike_msg_add(out, IKEV2_PL_NONCE, true);
		q->u.nonce = (struct ike_blob){ nonce, sizeof(nonce) };
		q = ike_msg_add(out, IKEV2_PL_KE, true);
		q->u.ke = (struct ike_ke){ IKEV2_DH_ECP384, ke, sizeof(ke) };
		assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk), 0);
		assert_int_equal(ike_msg_parse(in, buf, len, &e), 0);
		assert_int_equal(ike_msg_parse_inner(in, buf[sk], buf + sk + 4, len - sk - 4, &e), 0);
		p = ike_msg_get(in, IKEV2_PL_SA, 0);
		assert_int_equal(p->u.sa.props[0].spi_size, 8);
		assert_memory_equal(p->u.sa.props[0].spi, ip.spi, 8);
		assert_int_equal(ike_msg_get(in, IKEV2_PL_KE, 0)->u.ke.len, 96);
		assert_int_equal(ike_msg_get(in, IKEV2_PL_NONCE, 0)->u.nonce.len, 64);
	}
	free(out);
	free(in);
}

/* ---- truncations ---- */

/* Every prefix of a valid message is refused, with the header length
 * left as it was and with it set to the prefix length (so the payload
 * chain itself must give the truncation away). */
static void truncations(const uint8_t *msg, size_t len, bool has_sk)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t *b = malloc(len);

	for (size_t n = 0; n < len; n++) {
		struct ike_perr e;

		memcpy(b, msg, n);
		assert_int_equal(ike_msg_parse(m, b, n, &e), -EBADMSG);
		assert_non_null(e.reason);
		if (n >= IKE_HDR_LEN) {
			ipx_st32(b + 24, (uint32_t)n);
			if (ike_msg_parse(m, b, n, &e) != -EBADMSG) {
				/* only possible inside the SK blob, whose
				 * length field still says more */
				fail_msg("prefix %zu of %zu accepted (sk %d)", n, len, has_sk);
			}
		}
	}
	free(b);
	free(m);
}

/* A realistic IKE_SA_INIT request: two proposals, KE, Ni, NAT-D x2,
 * fragmentation and signature hash notifies, a vendor ID. */
static size_t mk_init(uint8_t *buf, size_t cap)
{
	struct ike_msg *out = malloc(sizeof(*out));
	static const struct ike_transform xf[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false },
		{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_ECP256, 0, false },
	};
	static const uint8_t sh[] = { 0, 2, 0, 3, 0, 4 };
	struct ike_proposal p[2] = { { 1, IKEV2_PROTO_IKE, 0, { 0 }, 5, xf },
				     { 2, IKEV2_PROTO_IKE, 0, { 0 }, 3, xf + 1 } };
	uint8_t ke[32] = { 1 }, ni[32] = { 2 }, h1[20] = { 3 }, h2[20] = { 4 };
	struct ike_pld *q;
	size_t len;

	ike_msg_init(out, SPI_I, NULL, INIT, REQ, 0);
	q = ike_msg_add(out, IKEV2_PL_SA, false);
	q->u.sa = (struct ike_sa){ p, 2 };
	q = ike_msg_add(out, IKEV2_PL_KE, false);
	q->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ke, 32 };
	q = ike_msg_add(out, IKEV2_PL_NONCE, false);
	q->u.nonce = (struct ike_blob){ ni, 32 };
	ike_msg_add_notify(out, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h1, 20);
	ike_msg_add_notify(out, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h2, 20);
	ike_msg_add_notify(out, false, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_msg_add_notify(out, false, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, sh, 6);
	q = ike_msg_add(out, IKEV2_PL_VENDOR, false);
	q->u.vendor = (struct ike_blob){ (const uint8_t *)"0123456789abcdef", 16 };
	assert_int_equal(ike_msg_build(out, buf, cap, &len, NULL), 0);
	free(out);
	return len;
}

static void test_truncate_init(void **state)
{
	uint8_t buf[1024];
	size_t len = mk_init(buf, sizeof(buf));
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_perr e;

	(void)state;
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0);
	assert_int_equal(m->n_pld, 8);
	truncations(buf, len, false);
	free(m);
}

/* An IKE_AUTH request, encrypted with AES-GCM: every truncation refused
 * by the parser or, where the parser cannot see it, by the ICV; and every
 * truncation of its decrypted inner chain refused by the inner parser. */
static void test_truncate_auth(void **state)
{
	struct ike_msg *out = malloc(sizeof(*out)), *m = malloc(sizeof(*m));
	uint8_t buf[2048], b2[2048], plain[2048], g[32] = { 5 }, n[32] = { 6 };
	static const struct ike_transform xf[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false },
	};
	struct ike_proposal prop = { 1, IKEV2_PROTO_ESP, 4, { 1, 2, 3, 4 }, 2, xf };
	struct ike_ts ts = { IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, { 10 }, { 10, 255, 255, 255 } };
	uint8_t authd[32] = { 8 };
	struct ike_kdf_in kin = { .prf = IKEV2_PRF_HMAC_SHA2_256, .encr = IKEV2_ENCR_AES_GCM_16,
				  .encr_bits = 256, .g_ir = g, .g_ir_len = 32, .ni = n,
				  .ni_len = 32, .nr = n, .nr_len = 32, .spi_i = SPI_I,
				  .spi_r = SPI_R };
	struct ike_sa_keys k;
	struct ike_pld *q;
	struct ike_perr e;
	const uint8_t *pt;
	size_t len, sk, pl, inner_len;
	uint8_t first;

	(void)state;
	assert_int_equal(ike_sa_keys_derive(&kin, &k), 0);
	ike_msg_init(out, SPI_I, SPI_R, AUTH, REQ, 1);
	assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
	q = ike_msg_add(out, IKEV2_PL_IDI, true);
	q->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"client.example", 14 };
	q = ike_msg_add(out, IKEV2_PL_AUTH, true);
	q->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_SHARED_KEY_MIC, .data = authd, .len = 32 };
	ike_msg_add_notify(out, true, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	q = ike_msg_add(out, IKEV2_PL_SA, true);
	q->u.sa = (struct ike_sa){ &prop, 1 };
	q = ike_msg_add(out, IKEV2_PL_TSI, true);
	q->u.ts = (struct ike_tsp){ &ts, 1 };
	q = ike_msg_add(out, IKEV2_PL_TSR, true);
	q->u.ts = (struct ike_tsp){ &ts, 1 };
	assert_int_equal(ike_msg_build_inner(out, plain, sizeof(plain), &inner_len, &first), 0);
	assert_int_equal(ike_msg_build(out, buf, sizeof(buf), &len, &sk), 0);
	assert_int_equal(ike_sk_encrypt(&k, true, buf, sizeof(buf), &len, sk), 0);

	/* the whole message works */
	memcpy(b2, buf, len);
	assert_int_equal(ike_msg_parse(m, b2, len, &e), 0);
	assert_int_equal(ike_sk_decrypt(&k, true, m, b2, &pt, &pl), 0);
	assert_int_equal(pl, inner_len);
	assert_int_equal(ike_msg_parse_inner(m, first, pt, pl, &e), 0);

	/* outer truncations: with the header length as sent the parser
	 * refuses; with it patched too, the SK length gives it away */
	truncations(buf, len, true);
	/* patch both the header and the SK length: only the ICV can tell */
	for (size_t t = sk + 4; t < len; t++) {
		memcpy(b2, buf, t);
		ipx_st32(b2 + 24, (uint32_t)t);
		ipx_st16(b2 + sk + 2, (uint16_t)(t - sk));
		assert_int_equal(ike_msg_parse(m, b2, t, &e), 0);
		assert_int_not_equal(ike_sk_decrypt(&k, true, m, b2, &pt, &pl), 0);
	}
	/* inner truncations */
	for (size_t t = 0; t < inner_len; t++) {
		memcpy(b2, buf, len);
		assert_int_equal(ike_msg_parse(m, b2, len, &e), 0);
		assert_int_equal(ike_msg_parse_inner(m, first, plain, t, &e), -EBADMSG);
		assert_true(e.inner);
	}
	ike_sa_keys_wipe(&k);
	free(out);
	free(m);
}

/* ---- builder ---- */

static void test_build_bounds(void **state)
{
	uint8_t ref[1024], *buf = malloc(1024 + 64);
	size_t len = mk_init(ref, sizeof(ref));
	struct ike_msg *out = malloc(sizeof(*out));
	static uint8_t big[70000];
	struct ike_pld *q;
	struct ike_ts bad_ts = { 9, 0, 0, 0, { 0 }, { 0 } };
	size_t l, sk;

	(void)state;
	/* every buffer short of the message: -ENOBUFS, nothing written past
	 * the end */
	for (size_t cap = 0; cap < len; cap++) {
		size_t got;
		uint8_t m[1024];

		memset(buf, 0xa5, 1024 + 64);
		mk_init(m, sizeof(m));
		{
			/* rebuild the same message into the short buffer */
			struct ike_msg *tmp = malloc(sizeof(*tmp));
			struct ike_perr e;

			assert_int_equal(ike_msg_parse(tmp, m, len, &e), 0);
			/* a parsed message is buildable as is: SA, KE, ... */
			for (unsigned i = 0; i < tmp->n_pld; i++)
				tmp->pld[i].inner = false;
			assert_int_equal(ike_msg_build(tmp, buf, cap, &got, NULL), -ENOBUFS);
			for (size_t i = cap; i < 1024 + 64; i++)
				assert_int_equal(buf[i], 0xa5);
			assert_int_equal(ike_msg_build(tmp, buf, len, &got, NULL), 0);
			assert_int_equal(got, len);
			assert_memory_equal(buf, ref, len); /* parse -> build is exact */
			free(tmp);
		}
	}

	/* inner payloads without SK; SK not last */
	ike_msg_init(out, SPI_I, SPI_R, AUTH, REQ, 1);
	ike_msg_add_notify(out, true, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	ike_msg_init(out, SPI_I, SPI_R, AUTH, REQ, 1);
	assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
	ike_msg_add_notify(out, false, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	/* a TS type the builder cannot encode, a notify SPI missing, an SA
	 * without proposals */
	ike_msg_init(out, SPI_I, SPI_R, AUTH, REQ, 1);
	assert_non_null(ike_msg_add(out, IKEV2_PL_SK, false));
	q = ike_msg_add(out, IKEV2_PL_TSI, true);
	q->u.ts = (struct ike_tsp){ &bad_ts, 1 };
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	q->u.ts.n_ts = 0;
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	q->type = IKEV2_PL_NOTIFY;
	q->u.n = (struct ike_notify){ IKEV2_PROTO_ESP, 4, IKEV2_N_REKEY_SA, NULL, NULL, 0 };
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	q->type = IKEV2_PL_SA;
	q->u.sa = (struct ike_sa){ NULL, 0 };
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	q->type = IKEV2_PL_SKF;
	assert_int_equal(ike_msg_build(out, buf, 1024, &l, &sk), -EINVAL);
	/* a payload over 65535 octets */
	ike_msg_init(out, SPI_I, NULL, INIT, REQ, 0);
	q = ike_msg_add(out, IKEV2_PL_VENDOR, false);
	q->u.vendor = (struct ike_blob){ big, sizeof(big) };
	{
		uint8_t *huge = malloc(80000);

		assert_int_equal(ike_msg_build(out, huge, 80000, &l, NULL), -EMSGSIZE);
		free(huge);
	}
	/* at most IKE_MSG_MAX_PLD payloads */
	ike_msg_init(out, SPI_I, NULL, INIT, REQ, 0);
	for (int i = 0; i < IKE_MSG_MAX_PLD; i++)
		assert_non_null(ike_msg_add(out, IKEV2_PL_VENDOR, false));
	assert_null(ike_msg_add(out, IKEV2_PL_VENDOR, false));
	assert_int_equal(ike_msg_add_notify(out, false, 0, NULL, 0, 1, NULL, 0), -ENOSPC);
	/* fragments: number within 1..total */
	assert_int_equal(ike_frag_build(&out->hdr, 0x29, 0, 1, big, 10, buf, 1024, &l, &sk), -EINVAL);
	assert_int_equal(ike_frag_build(&out->hdr, 0x29, 2, 1, big, 10, buf, 1024, &l, &sk), -EINVAL);
	assert_int_equal(ike_frag_build(&out->hdr, 0x29, 1, 1, big, 10, buf, 20, &l, &sk), -ENOBUFS);
	free(out);
	free(buf);
}

/* Too many of something for the per-message arena: refused, named. */
static void test_limits(void **state)
{
	struct ike_msg *m = malloc(sizeof(*m));
	uint8_t *buf = malloc(8192);
	char *hex = malloc(40000);
	struct ike_perr e;
	size_t len, o = 0;

	(void)state;
	/* 65 vendor IDs */
	for (int i = 0; i < IKE_MSG_MAX_PLD + 1; i++)
		o += (size_t)sprintf(hex + o, "%s ", i < IKE_MSG_MAX_PLD ? "2b000004" : "00000004");
	len = mkmsg(buf, 8192, INIT, REQ, 0x2b, hex);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "IKE_MSG_MAX_PLD"));
	/* 257 transforms in one proposal (in one SA) */
	o = (size_t)sprintf(hex, "%08x %02x00%04x 0101%04x ", (unsigned)(4 + 8 + 255 * 8),
			    0, 8 + 255 * 8, 255);
	for (int i = 0; i < 255; i++)
		o += (size_t)sprintf(hex + o, "%02x000008 01000014 ", i == 254 ? 0 : 3);
	len = mkmsg(buf, 8192, INIT, REQ, 0x21, hex);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), 0); /* 255 fit */
	assert_int_equal(m->pld[0].u.sa.props[0].n_xf, 255);
	/* two such proposals: 510 transforms */
	o = (size_t)sprintf(hex, "%08x ", (unsigned)(4 + 2 * (8 + 255 * 8)));
	for (int p = 0; p < 2; p++) {
		o += (size_t)sprintf(hex + o, "%02x00%04x %02x0100ff ", p ? 0 : 2, 8 + 255 * 8, p + 1);
		for (int i = 0; i < 255; i++)
			o += (size_t)sprintf(hex + o, "%02x000008 01000014 ", i == 254 ? 0 : 3);
	}
	len = mkmsg(buf, 8192, INIT, REQ, 0x21, hex);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "IKE_MSG_MAX_XFS"));
	/* 33 proposals */
	o = (size_t)sprintf(hex, "%08x ", 4 + 33 * 16);
	for (int i = 0; i < 33; i++)
		o += (size_t)sprintf(hex + o, "%02x000010 %02x010001 00000008 01000014 ",
				     i == 32 ? 0 : 2, i + 1);
	len = mkmsg(buf, 8192, INIT, REQ, 0x21, hex);
	assert_int_equal(ike_msg_parse(m, buf, len, &e), -EBADMSG);
	assert_non_null(strstr(e.reason, "IKE_MSG_MAX_PROPS"));
	free(hex);
	free(buf);
	free(m);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ikev2_payload_name(IKEV2_PL_SA), "SA");
	assert_string_equal(ikev2_payload_name(IKEV2_PL_SKF), "SKF");
	assert_string_equal(ikev2_payload_name(200), "UNKNOWN");
	assert_string_equal(ikev2_exchange_name(IKEV2_EXCH_IKE_SA_INIT), "IKE_SA_INIT");
	assert_string_equal(ikev2_notify_name(IKEV2_N_NAT_DETECTION_SOURCE_IP),
			    "NAT_DETECTION_SOURCE_IP");
	assert_string_equal(ikev2_notify_name(16431), "SIGNATURE_HASH_ALGORITHMS");
	assert_string_equal(ikev2_notify_name(16430), "IKEV2_FRAGMENTATION_SUPPORTED");
	assert_string_equal(ikev2_notify_name(1), "UNSUPPORTED_CRITICAL_PAYLOAD");
	assert_string_equal(ikev2_notify_name(44), "CHILD_SA_NOT_FOUND");
	assert_string_equal(ikev2_notify_name(16392), "HTTP_CERT_LOOKUP_SUPPORTED");
	assert_string_equal(ikev2_notify_name(12345), "UNKNOWN");
	assert_string_equal(ikev2_xf_name(IKEV2_XF_ENCR, 20), "AES_GCM_16");
	assert_string_equal(ikev2_xf_name(IKEV2_XF_DH, 31), "CURVE25519");
	assert_string_equal(ikev2_xf_name(IKEV2_XF_INTEG, 12), "HMAC_SHA2_256_128");
	assert_string_equal(ikev2_xf_name(IKEV2_XF_PRF, 7), "HMAC_SHA2_512");
	assert_string_equal(ikev2_xf_name(9, 1), "UNKNOWN");
	assert_string_equal(ikev2_xf_type_name(IKEV2_XF_ESN), "ESN");
	assert_string_equal(ikev2_auth_name(14), "DIGITAL_SIG");
	assert_string_equal(ikev2_id_name(IKEV2_ID_FQDN), "FQDN");
	assert_string_equal(ikev2_ts_name(8), "IPV6_ADDR_RANGE");
	assert_string_equal(ikev2_cert_name(12), "HASH_URL_X509");
	assert_string_equal(ikev2_cfg_name(2), "REPLY");
	assert_string_equal(ikev2_cfg_attr_name(1), "INTERNAL_IP4_ADDRESS");
	assert_string_equal(ikev2_proto_name(3), "ESP");
	assert_int_equal(ikev2_dh_pub_len(IKEV2_DH_MODP2048), 256);
	assert_int_equal(ikev2_dh_pub_len(IKEV2_DH_ECP521), 132);
	assert_int_equal(ikev2_dh_pub_len(77), 0);
	/* the placement table */
	assert_true(ike_pld_allowed(INIT, false, false, IKEV2_PL_KE));
	assert_false(ike_pld_allowed(INIT, false, true, IKEV2_PL_KE));
	assert_false(ike_pld_allowed(AUTH, false, false, IKEV2_PL_NOTIFY));
	assert_true(ike_pld_allowed(AUTH, true, false, IKEV2_PL_NOTIFY));
	assert_true(ike_pld_allowed(AUTH, false, true, IKEV2_PL_EAP));
	assert_true(ike_pld_allowed(CHILD, false, true, IKEV2_PL_KE));
	assert_true(ike_pld_allowed(INFO, false, true, IKEV2_PL_DELETE));
	assert_false(ike_pld_allowed(99, false, true, IKEV2_PL_DELETE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unsupported_critical),
		cmocka_unit_test(test_inner_malformed),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_roundtrip_init),
		cmocka_unit_test(test_roundtrip_inner),
		cmocka_unit_test(test_truncate_init),
		cmocka_unit_test(test_truncate_auth),
		cmocka_unit_test(test_build_bounds),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
