/*
 * libFuzzer target for the IKEv2 parser (host/ike/ike_pld.c), linked with
 * the codec alone.  For each input:
 *   1. parse it as a datagram (header and outer payloads);
 *   2. if it carries SK/SKF, parse the SK contents as an inner payload
 *      chain, as if already decrypted (seeds hold SK bodies in the clear,
 *      as ike_msg_build() leaves them before ike_sk_encrypt());
 *   3. if all of it parsed, build it again, parse the result and build
 *      once more: the second build must equal the first byte for byte
 *      (parse and build agree on every field they keep).
 * Any crash, sanitizer report or disagreement aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUF_MAX (1 << 17)

static struct ike_msg m1, m2;
static uint8_t b1[BUF_MAX], b2[BUF_MAX];

static int parse_all(struct ike_msg *m, const uint8_t *buf, size_t len)
{
	struct ike_perr e;
	int rc = ike_msg_parse(m, buf, len, &e);

	if (rc) {
		/* every refusal says why */
		if (!e.reason || e.off > len)
			abort();
		return rc;
	}
	if (m->sk >= 0) {
		const struct ike_sk *sk = &m->pld[m->sk].u.sk;

		rc = ike_msg_parse_inner(m, sk->first, sk->data, sk->len, &e);
		if (rc && (!e.reason || e.off > sk->len))
			abort();
	}
	return rc;
}

/* The builder refuses only what it documents: selectors of types it
 * cannot encode and SKF (which ike_frag_build() makes). */
static int expected_build_rc(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type == IKEV2_PL_SKF)
			return -EINVAL;
		if (p->type == IKEV2_PL_TSI || p->type == IKEV2_PL_TSR)
			for (unsigned j = 0; j < p->u.ts.n_ts; j++)
				if (p->u.ts.ts[j].type != IKEV2_TS_IPV4_ADDR_RANGE &&
				    p->u.ts.ts[j].type != IKEV2_TS_IPV6_ADDR_RANGE)
					return -EINVAL;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t l1, l2;
	int rc;

	if (parse_all(&m1, data, size))
		return 0;
	rc = ike_msg_build(&m1, b1, sizeof(b1), &l1, NULL);
	if (rc != expected_build_rc(&m1))
		abort();
	if (rc)
		return 0;
	/* normalised once, the message is a fixed point */
	if (parse_all(&m2, b1, l1))
		abort();
	if (ike_msg_build(&m2, b2, sizeof(b2), &l2, NULL) || l2 != l1 ||
	    memcmp(b1, b2, l1))
		abort();
	return 0;
}
