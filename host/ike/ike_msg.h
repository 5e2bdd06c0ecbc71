/*
 * IKEv2 message codec: one representation, struct ike_msg, for both
 * directions.
 *
 * Receiving:
 *	struct ike_msg m;  struct ike_perr e;
 *	ike_msg_parse(&m, dgram, len, &e);       header + outer payloads
 *	ike_sk_decrypt(...)                      (ike_crypto.h) in place
 *	ike_msg_parse_inner(&m, first, plain, plain_len, &e);
 *   after which m.pld[] holds the outer payloads then the inner ones
 *   (inner == true), each already validated.  Every pointer in m points
 *   into the datagram (or the decrypted plaintext inside it): nothing is
 *   copied, secrets included, so the buffer must outlive m.
 *   On error both return -EBADMSG and fill e: a reason for the log, the
 *   notify type a responder should answer with (e.notify, 0 = answer
 *   nothing) and for UNSUPPORTED_CRITICAL_PAYLOAD the offending type.
 *   After an error m->hdr is valid whenever the 28-octet header itself
 *   passed (so an answer can be addressed); the payload arrays are not to
 *   be used.
 *
 * Sending:
 *	ike_msg_init(&m, spi_i, spi_r, exchange, flags, msg_id);
 *	p = ike_msg_add(&m, IKEV2_PL_SK, false);          outer SK
 *	p = ike_msg_add(&m, IKEV2_PL_IDI, true); p->u.id = ...   inner
 *	ike_msg_build(&m, buf, cap, &len, &sk_off);        plaintext SK body
 *	ike_sk_encrypt(..., buf, cap, &len, sk_off)       (ike_crypto.h)
 *   The pointers in the payload structs point at the caller's data.
 *   Large messages: ike_msg_build_inner() then one ike_frag_build() per
 *   RFC 7383 fragment, each sealed with ike_sk_encrypt().
 *
 * Limits per message (a datagram that needs more is refused with
 * INVALID_SYNTAX and a reason saying which limit): IKE_MSG_MAX_PLD payloads
 * (outer + inner), IKE_MSG_MAX_PROPS proposals, IKE_MSG_MAX_XFS transforms,
 * IKE_MSG_MAX_TS traffic selectors, IKE_MSG_MAX_CP_ATTRS configuration
 * attributes.  No allocation: struct ike_msg is the whole arena (~12 KiB).
 */
#ifndef IPSECFX_IKE_MSG_H
#define IPSECFX_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/ikev2.h"
#include "../proto/proposal.h"
#include "../proto/ts.h"

#define IKE_MSG_MAX_PLD 64
#define IKE_MSG_MAX_PROPS 32
#define IKE_MSG_MAX_XFS 256
#define IKE_MSG_MAX_TS 64
#define IKE_MSG_MAX_CP_ATTRS 64
#define IKE_HDR_LEN ((size_t)sizeof(struct ikev2_hdr))
#define IKE_GEN_LEN ((size_t)sizeof(struct ikev2_gen))

/* The IKE header, host byte order. */
struct ike_hdr {
	uint8_t spi_i[IKEV2_SPI_LEN];
	uint8_t spi_r[IKEV2_SPI_LEN];
	uint8_t next;	   /* parse: first payload type; build: computed */
	uint8_t version;   /* parse: as received; build: 0 means 0x20 */
	uint8_t exchange;  /* enum ikev2_exchange */
	uint8_t flags;	   /* IKEV2_FLAG_* */
	uint32_t msg_id;
	uint32_t length;   /* parse: as received; build: computed */
};

struct ike_ke { /* 3.4 */
	uint16_t group;
	const uint8_t *data;
	size_t len;
};

struct ike_blob { /* Nonce (3.9), Vendor ID (3.12), EAP (3.16) */
	const uint8_t *data;
	size_t len;
};

struct ike_id { /* IDi, IDr (3.5) */
	uint8_t type; /* enum ikev2_id_type */
	const uint8_t *data;
	size_t len;
};

struct ike_auth { /* 3.8 */
	uint8_t method; /* enum ikev2_auth_method */
	const uint8_t *data;
	size_t len;
	/* parse, method DIGITAL_SIG (RFC 7427 3): the AlgorithmIdentifier
	 * and the signature that follow the one-octet ASN.1 length. */
	const uint8_t *sig_alg;
	size_t sig_alg_len;
	const uint8_t *sig;
	size_t sig_len;
};

struct ike_cert { /* CERT (3.6) and CERTREQ (3.7) */
	uint8_t encoding; /* enum ikev2_cert_enc */
	const uint8_t *data;
	size_t len;
};

struct ike_notify { /* 3.10 */
	uint8_t proto; /* enum ikev2_proto */
	uint8_t spi_size;
	uint16_t type; /* enum ikev2_notify_type */
	const uint8_t *spi;
	const uint8_t *data;
	size_t len;
};

struct ike_delete { /* 3.11 */
	uint8_t proto;
	uint8_t spi_size;
	uint16_t n_spi;
	const uint8_t *spis; /* n_spi * spi_size octets */
};

struct ike_tsp { /* TSi, TSr (3.13) */
	const struct ike_ts *ts;
	unsigned n_ts;
};

struct ike_cp_attr { /* 3.15.1 */
	uint16_t type;
	uint16_t len;
	const uint8_t *value;
};
struct ike_cp { /* 3.15 */
	uint8_t type; /* enum ikev2_cfg_type */
	const struct ike_cp_attr *attrs;
	unsigned n_attrs;
};

struct ike_sk { /* SK (3.14) and SKF (RFC 7383 2.5) */
	uint8_t first;	     /* type of the first inner payload */
	uint16_t frag_num;   /* SKF only */
	uint16_t frag_total; /* SKF only */
	const uint8_t *data; /* parse: IV | ciphertext | ICV */
	size_t len;
};

struct ike_pld {
	uint8_t type;  /* enum ikev2_payload */
	bool critical; /* critical bit as received / to send */
	bool inner;    /* inside SK (decrypted) */
	uint32_t off;  /* parse: offset of the generic header in the
			* datagram (outer) or in the plaintext (inner) */
	union {
		struct ike_sa sa;
		struct ike_ke ke;
		struct ike_blob nonce, vendor, eap;
		struct ike_id id;
		struct ike_auth auth;
		struct ike_cert cert; /* CERT and CERTREQ */
		struct ike_notify n;
		struct ike_delete del;
		struct ike_tsp ts;
		struct ike_cp cp;
		struct ike_sk sk; /* SK and SKF */
	} u;
};

struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw; /* parse: the datagram */
	size_t raw_len;
	unsigned n_pld;
	int sk;		    /* index of the SK/SKF payload in pld[], or -1 */
	unsigned n_skipped; /* unknown non-critical payloads skipped (3.2) */
	bool unprotected_notify; /* outer N in a non-INIT response (1.5) */
	/* parse: the decrypted payloads ike_msg_parse_inner() read */
	const uint8_t *plain;
	size_t plain_len;
	uint8_t first;
	struct ike_pld pld[IKE_MSG_MAX_PLD];
	/* parse arena */
	unsigned n_props, n_xfs, n_ts, n_cp;
	struct ike_proposal props[IKE_MSG_MAX_PROPS];
	struct ike_transform xfs[IKE_MSG_MAX_XFS];
	struct ike_ts ts[IKE_MSG_MAX_TS];
	struct ike_cp_attr cp[IKE_MSG_MAX_CP_ATTRS];
};

/* A parse error: what to log and what to answer. */
struct ike_perr {
	const char *reason; /* static text */
	uint16_t notify;    /* IKEV2_N_* to send back, IKEV2_N_NONE: drop */
	uint8_t pld_type;   /* payload being parsed (for
			     * UNSUPPORTED_CRITICAL_PAYLOAD: its data octet) */
	bool inner;	    /* error inside the decrypted SK plaintext */
	uint32_t off;	    /* where in the datagram (or plaintext) */
};

/* ---- parsing ---- */

/* Validate the 28-octet header (3.1) of a datagram of len octets: version
 * 2.x, length field == len, SPIi non-zero, SPIr zero in an IKE_SA_INIT
 * request.  0 or -EBADMSG. */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h,
		  struct ike_perr *err);

/* Parse a whole datagram: header and outer payload chain, each payload
 * validated before it is interpreted, then the placement rules (which
 * payloads may stand outside SK in this exchange).  0 or -EBADMSG. */
int ike_msg_parse(struct ike_msg *m, const uint8_t *buf, size_t len,
		  struct ike_perr *err);

/* Parse the decrypted SK (or reassembled SKF) plaintext, padding already
 * removed, whose first payload is of type first; the payloads are added to
 * m with inner = true and checked against the rules for inside SK.
 * 0 or -EBADMSG. */
int ike_msg_parse_inner(struct ike_msg *m, uint8_t first, const uint8_t *plain,
			size_t len, struct ike_perr *err);

/* A message parsed again from its header and decrypted payloads (as
 * ike_msg_parse_inner() had them), for an exchange that waited: m looks as
 * after ike_msg_parse + ike_msg_parse_inner, with an SK payload without
 * data and no raw datagram.  0 or -EBADMSG. */
int ike_msg_parse_plain(struct ike_msg *m, const struct ike_hdr *h, uint8_t first,
			const uint8_t *plain, size_t len, struct ike_perr *err);

/* The nth (0-based) payload of type, outer or inner, or NULL. */
const struct ike_pld *ike_msg_get(const struct ike_msg *m, uint8_t type,
				  unsigned nth);
/* The first notify of the given type, or NULL. */
const struct ike_notify *ike_msg_notify(const struct ike_msg *m, uint16_t type);
/* Is payload type allowed outside (inner = false) or inside SK in this
 * exchange and direction?  (The one table; exposed for tests and tasks.) */
bool ike_pld_allowed(uint8_t exchange, bool response, bool inner, uint8_t type);

/* ---- building ---- */

void ike_msg_init(struct ike_msg *m, const uint8_t spi_i[IKEV2_SPI_LEN],
		  const uint8_t spi_r[IKEV2_SPI_LEN], uint8_t exchange,
		  uint8_t flags, uint32_t msg_id);
/* Append an empty payload of type (inner: inside SK); the caller fills
 * p->u.  NULL when IKE_MSG_MAX_PLD payloads are already there. */
struct ike_pld *ike_msg_add(struct ike_msg *m, uint8_t type, bool inner);
/* Shorthand for a Notify payload (spi may be NULL when spi_size is 0).
 * 0 or -ENOSPC (IKE_MSG_MAX_PLD reached). */
int ike_msg_add_notify(struct ike_msg *m, bool inner, uint8_t proto,
		       const uint8_t *spi, uint8_t spi_size, uint16_t type,
		       const uint8_t *data, size_t len);

/* Serialise m into buf (cap octets).  Outer payloads in order; if one of
 * them is SK it must be the last, and the inner payloads follow its
 * generic header as plaintext (no IV, padding or ICV yet): *sk_off (may be
 * NULL) is then the offset of the SK generic header, else 0.  The header's
 * length and next-payload fields are computed.  0, -ENOBUFS (cap too
 * small), -EMSGSIZE (a payload over 65535 octets) or -EINVAL (a field that
 * cannot be encoded, e.g. inner payloads without SK). */
int ike_msg_build(const struct ike_msg *m, uint8_t *buf, size_t cap,
		  size_t *len, size_t *sk_off);
/* Serialise only the inner payloads (the SK plaintext), for RFC 7383
 * fragmentation; *first receives the first inner payload type. */
int ike_msg_build_inner(const struct ike_msg *m, uint8_t *buf, size_t cap,
			size_t *len, uint8_t *first);
/* One fragment message (RFC 7383 2.5): header h (length computed), an SKF
 * payload numbered num of total whose next-payload is first for fragment 1
 * and 0 otherwise, and chunk as its plaintext; *skf_off is the offset of
 * the SKF generic header, ready for ike_sk_encrypt(). */
int ike_frag_build(const struct ike_hdr *h, uint8_t first, uint16_t num,
		   uint16_t total, const uint8_t *chunk, size_t chunk_len,
		   uint8_t *buf, size_t cap, size_t *len, size_t *skf_off);

#endif
