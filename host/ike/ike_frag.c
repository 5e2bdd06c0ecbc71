/*
 * IKE fragmentation (RFC 7383): a message too large for fragment_size cut
 * into SKF fragments, each encrypted on its own; and the reassembly of the
 * fragments we receive.
 *
 * Reassembly keeps one message in progress per direction: requests and
 * responses apart (a fragmented request of the peer may cross our
 * fragmented one's answer), and a completed message goes out in a buffer
 * of its own that the caller frees, so nothing of it lingers into the
 * next message.  Each fragment is verified and decrypted before it is
 * stored (2.6), so only the peer holding the keys can fill these buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <ipsecfx/log.h>

#include "ike_sa.h"

void ike_frags_reset(struct ike_frags *f)
{
	for (unsigned i = 0; i < IKE_MAX_FRAGS; i++) {
		if (f->part[i])
			OPENSSL_clear_free(f->part[i], f->part_len[i]);
	}
	memset(f, 0, sizeof(*f));
}

void ike_frags_drop(struct ikesa *sa, int which)
{
	if (!sa->rx_frags[which])
		return;
	ike_frags_reset(sa->rx_frags[which]);
	free(sa->rx_frags[which]);
	sa->rx_frags[which] = NULL;
}

/* Largest IKE message that fits fragment_size (an IP datagram, RFC 7383
 * 2.5.1): minus IP, UDP and, on the NAT-T port, the non-ESP marker. */
size_t ike_frag_max_message(const struct ikesa *sa)
{
	size_t ip = sa->remote.ss_family == AF_INET6 ? 40 : 20;
	size_t fs = sa->conn ? sa->conn->fragment_size : 1280;

	return fs - ip - 8 - (sa->natt ? 4 : 0);
}

int ike_frag_split(struct ikesa *sa, const struct ike_msg *msg, struct ike_wire *w)
{
	uint8_t *inner = malloc(IKE_MSG_BUF), *f = sa->mgr->buf;
	size_t inner_len, chunk, maxm = ike_frag_max_message(sa), ovh;
	unsigned total;
	uint8_t first;
	int ret;

	if (!inner)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	ret = ike_msg_build_inner(msg, inner, IKE_MSG_BUF, &inner_len, &first);
	if (ret < 0)
		goto out;
	/* worst case of the encryption overhead at this size */
	ovh = ike_sk_overhead(&sa->keys, maxm) + 16;
	if (maxm <= IKE_HDR_LEN + 8 + ovh + 64) {
		ret = -EMSGSIZE;
		goto out;
	}
	chunk = maxm - IKE_HDR_LEN - 8 - ovh;
	total = (unsigned)((inner_len + chunk - 1) / chunk);
	if (total > IKE_MAX_FRAGS) {
		ret = -EMSGSIZE;
		goto out;
	}
	w->buf = malloc(total * maxm + 64);
	if (!w->buf) {
		ret = -ENOMEM;
		goto out;
	}
	w->n_frags = total;
	for (unsigned i = 0; i < total; i++) {
		size_t n = i + 1 < total ? chunk : inner_len - i * chunk, flen, skf_off;

		ret = ike_frag_build(&msg->hdr, first, (uint16_t)(i + 1), (uint16_t)total,
				     inner + i * chunk, n, f, IKE_MSG_BUF, &flen, &skf_off);
		if (ret == 0)
			ret = ike_sk_encrypt(&sa->keys, sa->initiator, f, IKE_MSG_BUF,
					     &flen, skf_off);
		if (ret < 0)
			goto out;
		memcpy(w->buf + w->len, f, flen);
		w->len += flen;
		w->frag_len[i] = (uint16_t)flen;   /* at most maxm */
	}
out:
	OPENSSL_clear_free(inner, IKE_MSG_BUF);
	if (ret < 0) {
		free(w->buf);
		memset(w, 0, sizeof(*w));
	}
	return ret;
}

int ike_frag_add(struct ikesa *sa, const struct ike_msg *m, const uint8_t *plain,
		 size_t plain_len, uint8_t **whole, size_t *whole_len, uint8_t *first)
{
	bool response = m->hdr.flags & IKEV2_FLAG_RESPONSE;
	struct ike_frags *f = sa->rx_frags[response];
	const struct ike_sk *sk = &m->pld[m->sk].u.sk;
	unsigned num = sk->frag_num, total = sk->frag_total;
	uint8_t *all;
	size_t off = 0;

	*whole = NULL;
	if (!total || total > IKE_MAX_FRAGS || num < 1 || num > total) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE fragment %u/%u refused", num, total);
		return -EBADMSG;
	}
	if (!f) {
		f = sa->rx_frags[response] = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
	}
	if (f->total && f->id != m->hdr.msg_id)
		ike_frags_reset(f);  /* another message: the older one is stale */
	if (f->total && total != f->total) {
		/* 2.6.2: more fragments than before: the sender cut the
		 * message again, smaller; fewer: a stale fragment */
		if (total < f->total)
			return 1;
		ike_frags_reset(f);
	}
	if (f->part[num - 1])
		return 1;  /* a duplicate */
	if (f->len + plain_len > IKE_MSG_BUF) {
		ike_sa_log(sa, IPX_LOG_WARN, "IKE fragment %u/%u refused: the message would exceed %u bytes",
			   num, total, IKE_MSG_BUF);
		ike_frags_reset(f);
		return -EBADMSG;
	}
	sa->mgr->st.fragments_rx++;
	f->id = m->hdr.msg_id;
	f->total = (uint16_t)total;
	f->part[num - 1] = malloc(plain_len ? plain_len : 1);
	if (!f->part[num - 1])
		return -ENOMEM;
	memcpy(f->part[num - 1], plain, plain_len);
	f->part_len[num - 1] = plain_len;
	f->len += plain_len;
	if (num == 1)
		f->first = sk->first;
	if (++f->have < total)
		return 1;
	/* complete: the plaintext of the whole message, in order */
	all = malloc(f->len ? f->len : 1);
	if (!all) {
		ike_frags_reset(f);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < total; i++) {
		memcpy(all + off, f->part[i], f->part_len[i]);
		off += f->part_len[i];
	}
	*first = f->first;
	*whole = all;
	*whole_len = f->len;
	ike_frags_drop(sa, response);
	sa->mgr->st.reassembled++;
	return 0;
}
