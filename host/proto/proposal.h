/*
 * Proposals: strongSwan proposal strings ("aes256gcm16-prfsha256-x25519",
 * "aes128-sha256-modp2048", "aes256gcm16-esn") into transform lists, the
 * SA payload proposals built from them, the responder's choice among the
 * initiator's proposals (RFC 7296 2.7, 3.3.6) and the initiator's check of
 * the responder's answer.
 *
 * One string is one proposal; several keywords of one transform type are
 * alternatives ("aes128gcm16-aes256gcm16-prfsha256-ecp256-x25519").  As in
 * strongSwan: a non-AEAD IKE proposal without a prf keyword gets the PRFs
 * matching its integrity algorithms; an AEAD IKE proposal must name its
 * PRF; an ESP proposal without esn/noesn gets noesn; AEAD and non-AEAD
 * ciphers do not mix in one proposal.
 */
#ifndef IPSECFX_PROTO_PROPOSAL_H
#define IPSECFX_PROTO_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ikev2.h"

/* SA payload (3.3): proposals, each with its transforms. */
struct ike_transform {
	uint8_t type;	   /* enum ikev2_xf_type */
	uint16_t id;	   /* transform ID */
	uint16_t key_len;  /* Key Length attribute in bits, 0 = absent */
	bool unknown_attr; /* parse: carried an attribute we do not know */
};
struct ike_proposal {
	uint8_t num;	  /* proposal number */
	uint8_t proto;	  /* enum ikev2_proto */
	uint8_t spi_size; /* 0, 4 or 8 */
	uint8_t spi[8];
	uint8_t n_xf;
	const struct ike_transform *xf;
};
struct ike_sa {
	const struct ike_proposal *props;
	unsigned n_props;
};

#define IKE_PROP_MAX_XF 32 /* transforms in one configured proposal */

/* A configured proposal: transforms ordered by type (ENCR, PRF, INTEG,
 * DH, ESN), keyword order kept within a type. */
struct ike_prop_cfg {
	uint8_t proto; /* IKEV2_PROTO_IKE or IKEV2_PROTO_ESP */
	uint8_t n_xf;
	struct ike_transform xf[IKE_PROP_MAX_XF];
};

/* Parse one proposal string for proto (IKE or ESP).  0, or -EINVAL with a
 * message naming the offending keyword in err (errlen octets, may be 0). */
int ike_prop_parse(const char *s, uint8_t proto, struct ike_prop_cfg *out,
		   char *err, size_t errlen);
/* A comma-separated list of proposals (at most max): 0 or -EINVAL. */
int ike_prop_parse_list(const char *s, uint8_t proto, struct ike_prop_cfg *out,
			unsigned max, unsigned *n, char *err, size_t errlen);

/* The proposals of an SA payload offering cfg[0..n): numbered 1..n, each
 * with the SPI given (spi_size 0 for IKE_SA_INIT, 8 for an IKE rekey, 4
 * for ESP).  props must have room for n; they point into cfg. */
int ike_prop_to_sa(const struct ike_prop_cfg *cfg, unsigned n,
		   const uint8_t *spi, uint8_t spi_size,
		   struct ike_proposal *props);

/* A negotiated suite: one transform of each type the proposal had. */
struct ike_prop_choice {
	uint8_t num;	  /* number of the chosen proposal */
	uint8_t proto;
	uint8_t spi_size; /* the other side's SPI */
	uint8_t spi[8];
	uint16_t encr, encr_bits, prf, integ, dh; /* 0 when absent / NONE */
	bool esn;				  /* ESN_YES chosen */
	uint8_t n_xf;
	struct ike_transform xf[5];
};

/* Responder (2.7, 3.3.6): the first of the initiator's proposals that one
 * of ours accepts, every transform type of it matched by exactly one
 * transform of ours (key lengths equal), transforms with unknown
 * attributes and proposals with unknown transform types skipped.
 * 0, or -ENOENT: answer NO_PROPOSAL_CHOSEN. */
int ike_prop_select(const struct ike_sa *offered,
		    const struct ike_prop_cfg *ours, unsigned n_ours,
		    struct ike_prop_choice *out);
/* The responder's SA payload proposal for a choice: the chosen number,
 * our SPI, one transform per type.  out->xf points into c. */
void ike_prop_choice_to_sa(const struct ike_prop_choice *c, const uint8_t *spi,
			   uint8_t spi_size, struct ike_proposal *out);
/* Initiator: is the responder's SA (one proposal) a subset of what we
 * offered, exactly one transform of each offered type?  0, or -EBADMSG
 * with *why (may be NULL). */
int ike_prop_check_reply(const struct ike_sa *offered,
			 const struct ike_sa *reply,
			 struct ike_prop_choice *out, const char **why);

/* "IKE:AES_GCM_16_256/HMAC_SHA2_256/CURVE25519" for log lines. */
const char *ike_prop_str(const struct ike_proposal *p, char *buf, size_t len);

#endif
