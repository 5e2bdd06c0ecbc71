/*
 * Messages of one IKE SA: SPIs, building and sealing (the SK payload, 3.14),
 * opening what the responder sent.  The codec and the crypto are the
 * daemon's (host/ike/ike_pld.c, ike_build.c, ike_sk.c): they take no
 * struct ikesa, only buffers and keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/bytes.h>

#include "ikegen.h"

int gen_spi_new(uint32_t idx, uint8_t spi[IKEV2_SPI_LEN])
{
	/* the index lets a datagram find its tunnel without a hash table;
	 * the random half keeps an old SA's SPI from matching a new one */
	int ret = ike_random(spi, 4);

	if (ret < 0)
		return ret;
	spi[0] |= 0x80; /* never zero (3.1) */
	ipx_st32(spi + 4, idx + 1);
	return 0;
}

uint32_t gen_spi_idx(const uint8_t spi[IKEV2_SPI_LEN])
{
	return ipx_ld32(spi + 4) - 1;
}

struct gsa *gen_sa_new(uint32_t idx)
{
	struct gsa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	sa->initiator = true;
	if (gen_spi_new(idx, sa->spi_i) < 0) {
		free(sa);
		return NULL;
	}
	return sa;
}

void gen_sa_free(struct gsa *sa)
{
	if (!sa)
		return;
	ike_sa_keys_wipe(&sa->keys);
	free(sa->last_resp);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

const uint8_t *gen_sa_our_spi(const struct gsa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

void gen_msg_start(struct gsa *sa, struct ike_msg *m, uint8_t exchange,
		   bool response, uint32_t id)
{
	uint8_t flags = (sa->initiator ? IKEV2_FLAG_INITIATOR : 0) |
			(response ? IKEV2_FLAG_RESPONSE : 0);

	ike_msg_init(m, sa->spi_i, sa->spi_r, exchange, flags, id);
}

void gen_msg_add_ts(struct ike_msg *m, struct ike_ts *tsi, uint32_t n)
{
	struct ike_pld *p;

	memset(tsi, 0, sizeof(*tsi));
	tsi->type = IKEV2_TS_IPV4_ADDR_RANGE;
	tsi->end_port = 65535;
	ipx_st32(tsi->start, ntohl(G->o.ts_base.s_addr) + n);
	memcpy(tsi->end, tsi->start, 4);
	p = ike_msg_add(m, IKEV2_PL_TSI, true);
	p->u.ts.ts = tsi;
	p->u.ts.n_ts = 1;
	p = ike_msg_add(m, IKEV2_PL_TSR, true);
	p->u.ts.ts = &G->tsr;
	p->u.ts.n_ts = 1;
}

int gen_msg_seal(struct gsa *sa, struct ike_msg *m, size_t *len)
{
	size_t sk_off = 0;
	int ret = ike_msg_build(m, G->buf, sizeof(G->buf), len, &sk_off);

	if (ret == 0 && m->sk >= 0)
		ret = ike_sk_encrypt(&sa->keys, sa->initiator, G->buf, sizeof(G->buf),
				     len, sk_off);
	return ret;
}

int gen_msg_open(struct gsa *sa, uint8_t *buf, size_t len, const char **why)
{
	struct ike_msg *m = &G->min;
	struct ike_perr e = { 0 };
	const uint8_t *plain;
	size_t plain_len;
	int ret;

	if (ike_msg_parse(m, buf, len, &e) < 0) {
		*why = e.reason;
		return -EBADMSG;
	}
	if (m->sk < 0)
		return 0; /* IKE_SA_INIT, or an unprotected notify (1.5) */
	if (!sa->keys_ok) {
		*why = "SK payload before keys";
		return -EBADMSG;
	}
	ret = ike_sk_decrypt(&sa->keys, m->hdr.flags & IKEV2_FLAG_INITIATOR, m, buf,
			     &plain, &plain_len);
	if (ret < 0) {
		*why = ret == -EACCES ? "integrity check failed" : "cannot decrypt";
		return ret;
	}
	if (ike_msg_parse_inner(m, m->pld[m->sk].u.sk.first, plain, plain_len, &e) < 0) {
		*why = e.reason;
		return -EBADMSG;
	}
	return 0;
}

uint16_t gen_msg_error(const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->n_pld; i++) {
		const struct ike_pld *p = &m->pld[i];

		if (p->type == IKEV2_PL_NOTIFY && p->u.n.type != IKEV2_N_NONE &&
		    p->u.n.type <= IKEV2_N_ERROR_MAX)
			return p->u.n.type;
	}
	return 0;
}

int gen_group(uint16_t group)
{
	unsigned i;
	int ret;

	for (i = 0; i < G->o.n_groups; i++)
		if (G->o.groups[i] == group)
			break;
	if (i == G->o.n_groups)
		return -ENOENT; /* not one we offered */
	if (G->dh[i])
		return (int)i;
	ret = ike_dh_new(group, &G->dh[i]);
	if (ret == 0)
		ret = ike_dh_public(G->dh[i], G->dh_pub[i], sizeof(G->dh_pub[i]),
				    &G->dh_pub_len[i]);
	return ret < 0 ? ret : (int)i;
}
