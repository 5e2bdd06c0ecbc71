/*
 * IKEv2 on the wire: every protocol constant by name and the packed layout
 * of every header, as RFC 7296 section 3 draws them (plus RFC 7383
 * fragmentation and RFC 7427 signature hashes).  Nothing else in ipsecfx
 * writes an IKEv2 number as a literal: it names it here.
 *
 * Multi-byte fields of the wire structs are big endian.  The structs are
 * packed and only ever copied to or from a buffer with memcpy (never cast
 * onto the datagram), so alignment never matters.
 */
#ifndef IPSECFX_IKEV2_H
#define IPSECFX_IKEV2_H

#include <stdint.h>

/* UDP ports (RFC 7296 2.23; RFC 3948 for 4500 and the non-ESP marker). */
#define IKEV2_PORT 500
#define IKEV2_NATT_PORT 4500
#define IKEV2_NON_ESP_MARKER_LEN 4 /* four zero octets before IKE on 4500 */

/* Version octet: major version in the high nibble (3.1). */
#define IKEV2_VERSION 0x20
#define IKEV2_MAJOR(v) ((uint8_t)(v) >> 4)
#define IKEV2_MINOR(v) ((uint8_t)(v) & 0x0f)

/* Header flags (3.1).  The other five bits are reserved: cleared when sent,
 * ignored on receipt. */
#define IKEV2_FLAG_INITIATOR 0x08 /* sent by the original initiator */
#define IKEV2_FLAG_VERSION 0x10   /* sender could speak a higher major */
#define IKEV2_FLAG_RESPONSE 0x20  /* this is a response */

/* Exchange types (3.1; IANA "IKEv2 Exchange Types"). */
enum ikev2_exchange {
	IKEV2_EXCH_IKE_SA_INIT = 34,
	IKEV2_EXCH_IKE_AUTH = 35,
	IKEV2_EXCH_CREATE_CHILD_SA = 36,
	IKEV2_EXCH_INFORMATIONAL = 37,
	IKEV2_EXCH_IKE_SESSION_RESUME = 38, /* RFC 5723 */
	IKEV2_EXCH_GSA_AUTH = 39,	    /* G-IKEv2 */
	IKEV2_EXCH_GSA_REGISTRATION = 40,
	IKEV2_EXCH_GSA_REKEY = 41,
	IKEV2_EXCH_IKE_INTERMEDIATE = 43, /* RFC 9242 */
	IKEV2_EXCH_IKE_FOLLOWUP_KE = 44,  /* RFC 9370 */
};

/* Payload types (3.2; IANA "IKEv2 Payload Types"). */
enum ikev2_payload {
	IKEV2_PL_NONE = 0,
	IKEV2_PL_SA = 33,      /* Security Association (3.3) */
	IKEV2_PL_KE = 34,      /* Key Exchange (3.4) */
	IKEV2_PL_IDI = 35,     /* Identification - Initiator (3.5) */
	IKEV2_PL_IDR = 36,     /* Identification - Responder (3.5) */
	IKEV2_PL_CERT = 37,    /* Certificate (3.6) */
	IKEV2_PL_CERTREQ = 38, /* Certificate Request (3.7) */
	IKEV2_PL_AUTH = 39,    /* Authentication (3.8) */
	IKEV2_PL_NONCE = 40,   /* Nonce Ni/Nr (3.9) */
	IKEV2_PL_NOTIFY = 41,  /* Notify (3.10) */
	IKEV2_PL_DELETE = 42,  /* Delete (3.11) */
	IKEV2_PL_VENDOR = 43,  /* Vendor ID (3.12) */
	IKEV2_PL_TSI = 44,     /* Traffic Selector - Initiator (3.13) */
	IKEV2_PL_TSR = 45,     /* Traffic Selector - Responder (3.13) */
	IKEV2_PL_SK = 46,      /* Encrypted and Authenticated (3.14) */
	IKEV2_PL_CP = 47,      /* Configuration (3.15) */
	IKEV2_PL_EAP = 48,     /* Extensible Authentication (3.16) */
	IKEV2_PL_GSPM = 49,    /* Generic Secure Password Methods, RFC 6467 */
	IKEV2_PL_IDG = 50,     /* Group Identification, G-IKEv2 */
	IKEV2_PL_GSA = 51,     /* Group Security Association, G-IKEv2 */
	IKEV2_PL_KD = 52,      /* Key Download, G-IKEv2 */
	IKEV2_PL_SKF = 53,     /* Encrypted and Authenticated Fragment, RFC 7383 */
	IKEV2_PL_PS = 54,      /* Puzzle Solution, RFC 8019 */
};
/* Known payload types fit a bitmask indexed by (type - IKEV2_PL_FIRST). */
#define IKEV2_PL_FIRST IKEV2_PL_SA
#define IKEV2_PL_LAST IKEV2_PL_PS
#define IKEV2_PL_BIT(t) (1ull << ((t) - IKEV2_PL_FIRST))

/* Generic payload header, critical bit (3.2). */
#define IKEV2_CRITICAL 0x80

/* Security protocol IDs in proposals, notifies and deletes (3.3.1). */
enum ikev2_proto {
	IKEV2_PROTO_NONE = 0,
	IKEV2_PROTO_IKE = 1,
	IKEV2_PROTO_AH = 2,
	IKEV2_PROTO_ESP = 3,
};

/* Substructure "last" markers (3.3.1, 3.3.2). */
#define IKEV2_PROP_LAST 0
#define IKEV2_PROP_MORE 2
#define IKEV2_XF_LAST 0
#define IKEV2_XF_MORE 3

/* Transform types (3.3.2; RFC 9370 adds the additional key exchanges). */
enum ikev2_xf_type {
	IKEV2_XF_ENCR = 1,
	IKEV2_XF_PRF = 2,
	IKEV2_XF_INTEG = 3,
	IKEV2_XF_DH = 4, /* "Key Exchange Method" since RFC 9370 */
	IKEV2_XF_ESN = 5,
	IKEV2_XF_ADDKE1 = 6,
	IKEV2_XF_ADDKE7 = 12,
};

/* Transform type 1: encryption algorithms (IANA; RFC 7296 3.3.2). */
enum ikev2_encr {
	IKEV2_ENCR_DES_IV64 = 1,
	IKEV2_ENCR_DES = 2,
	IKEV2_ENCR_3DES = 3,
	IKEV2_ENCR_RC5 = 4,
	IKEV2_ENCR_IDEA = 5,
	IKEV2_ENCR_CAST = 6,
	IKEV2_ENCR_BLOWFISH = 7,
	IKEV2_ENCR_3IDEA = 8,
	IKEV2_ENCR_DES_IV32 = 9,
	IKEV2_ENCR_NULL = 11,
	IKEV2_ENCR_AES_CBC = 12,    /* RFC 3602 */
	IKEV2_ENCR_AES_CTR = 13,    /* RFC 3686 */
	IKEV2_ENCR_AES_CCM_8 = 14,  /* RFC 4309 */
	IKEV2_ENCR_AES_CCM_12 = 15,
	IKEV2_ENCR_AES_CCM_16 = 16,
	IKEV2_ENCR_AES_GCM_8 = 18,  /* RFC 4106 / RFC 5282: 8-octet ICV */
	IKEV2_ENCR_AES_GCM_12 = 19, /* 12-octet ICV */
	IKEV2_ENCR_AES_GCM_16 = 20, /* 16-octet ICV */
	IKEV2_ENCR_NULL_AUTH_AES_GMAC = 21, /* RFC 4543 */
	IKEV2_ENCR_CAMELLIA_CBC = 23,
	IKEV2_ENCR_CAMELLIA_CTR = 24,
	IKEV2_ENCR_CAMELLIA_CCM_8 = 25,
	IKEV2_ENCR_CAMELLIA_CCM_12 = 26,
	IKEV2_ENCR_CAMELLIA_CCM_16 = 27,
	IKEV2_ENCR_CHACHA20_POLY1305 = 28, /* RFC 7634 */
	IKEV2_ENCR_AES_CCM_8_IIV = 29,	   /* RFC 8750 */
	IKEV2_ENCR_AES_GCM_16_IIV = 30,
	IKEV2_ENCR_CHACHA20_POLY1305_IIV = 31,
};

/* Transform type 2: pseudorandom functions. */
enum ikev2_prf {
	IKEV2_PRF_HMAC_MD5 = 1,
	IKEV2_PRF_HMAC_SHA1 = 2,
	IKEV2_PRF_HMAC_TIGER = 3,
	IKEV2_PRF_AES128_XCBC = 4,
	IKEV2_PRF_HMAC_SHA2_256 = 5, /* RFC 4868 */
	IKEV2_PRF_HMAC_SHA2_384 = 6,
	IKEV2_PRF_HMAC_SHA2_512 = 7,
	IKEV2_PRF_AES128_CMAC = 8,
};

/* Transform type 3: integrity algorithms. */
enum ikev2_integ {
	IKEV2_INTEG_NONE = 0,
	IKEV2_INTEG_HMAC_MD5_96 = 1,
	IKEV2_INTEG_HMAC_SHA1_96 = 2,
	IKEV2_INTEG_DES_MAC = 3,
	IKEV2_INTEG_KPDK_MD5 = 4,
	IKEV2_INTEG_AES_XCBC_96 = 5,
	IKEV2_INTEG_HMAC_MD5_128 = 6,
	IKEV2_INTEG_HMAC_SHA1_160 = 7,
	IKEV2_INTEG_AES_CMAC_96 = 8,
	IKEV2_INTEG_AES_128_GMAC = 9,
	IKEV2_INTEG_AES_192_GMAC = 10,
	IKEV2_INTEG_AES_256_GMAC = 11,
	IKEV2_INTEG_HMAC_SHA2_256_128 = 12, /* RFC 4868 */
	IKEV2_INTEG_HMAC_SHA2_384_192 = 13,
	IKEV2_INTEG_HMAC_SHA2_512_256 = 14,
};

/* Transform type 4: Diffie-Hellman groups / key exchange methods. */
enum ikev2_dh {
	IKEV2_DH_NONE = 0,
	IKEV2_DH_MODP768 = 1,
	IKEV2_DH_MODP1024 = 2,
	IKEV2_DH_MODP1536 = 5,
	IKEV2_DH_MODP2048 = 14, /* RFC 3526 */
	IKEV2_DH_MODP3072 = 15,
	IKEV2_DH_MODP4096 = 16,
	IKEV2_DH_MODP6144 = 17,
	IKEV2_DH_MODP8192 = 18,
	IKEV2_DH_ECP256 = 19, /* RFC 5903 */
	IKEV2_DH_ECP384 = 20,
	IKEV2_DH_ECP521 = 21,
	IKEV2_DH_MODP1024_160 = 22, /* RFC 5114 */
	IKEV2_DH_MODP2048_224 = 23,
	IKEV2_DH_MODP2048_256 = 24,
	IKEV2_DH_ECP192 = 25,
	IKEV2_DH_ECP224 = 26,
	IKEV2_DH_BRAINPOOL224 = 27, /* RFC 6954 */
	IKEV2_DH_BRAINPOOL256 = 28,
	IKEV2_DH_BRAINPOOL384 = 29,
	IKEV2_DH_BRAINPOOL512 = 30,
	IKEV2_DH_CURVE25519 = 31, /* RFC 8031 */
	IKEV2_DH_CURVE448 = 32,
};

/* Transform type 5: extended sequence numbers. */
enum ikev2_esn {
	IKEV2_ESN_NO = 0,
	IKEV2_ESN_YES = 1,
};

/* Transform attributes (3.3.5).  AF=1 means TV (value in the length
 * field); the only attribute IKEv2 defines is Key Length, in bits. */
#define IKEV2_ATTR_AF 0x8000
#define IKEV2_ATTR_TYPE_MASK 0x7fff
#define IKEV2_ATTR_KEY_LENGTH 14

/* Authentication methods (3.8; RFC 7427, RFC 7619). */
enum ikev2_auth_method {
	IKEV2_AUTH_RSA_SIG = 1,
	IKEV2_AUTH_SHARED_KEY_MIC = 2, /* PSK, 2.15 */
	IKEV2_AUTH_DSS_SIG = 3,
	IKEV2_AUTH_ECDSA_SHA256_P256 = 9, /* RFC 4754 */
	IKEV2_AUTH_ECDSA_SHA384_P384 = 10,
	IKEV2_AUTH_ECDSA_SHA512_P521 = 11,
	IKEV2_AUTH_GSPAM = 12,	    /* RFC 6467 */
	IKEV2_AUTH_NULL = 13,	    /* RFC 7619 */
	IKEV2_AUTH_DIGITAL_SIG = 14, /* RFC 7427 */
};

/* Hash algorithms in N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 section 4). */
enum ikev2_sighash {
	IKEV2_SIGHASH_SHA1 = 1,
	IKEV2_SIGHASH_SHA2_256 = 2,
	IKEV2_SIGHASH_SHA2_384 = 3,
	IKEV2_SIGHASH_SHA2_512 = 4,
	IKEV2_SIGHASH_IDENTITY = 5, /* RFC 8420 */
};

/* Identification types (3.5). */
enum ikev2_id_type {
	IKEV2_ID_IPV4_ADDR = 1,
	IKEV2_ID_FQDN = 2,
	IKEV2_ID_RFC822_ADDR = 3,
	IKEV2_ID_IPV6_ADDR = 5,
	IKEV2_ID_DER_ASN1_DN = 9,
	IKEV2_ID_DER_ASN1_GN = 10,
	IKEV2_ID_KEY_ID = 11,
	IKEV2_ID_FC_NAME = 12, /* RFC 4595 */
	IKEV2_ID_NULL = 13,    /* RFC 7619 */
};

/* Certificate encodings (3.6). */
enum ikev2_cert_enc {
	IKEV2_CERT_PKCS7_X509 = 1,
	IKEV2_CERT_PGP = 2,
	IKEV2_CERT_DNS_SIGNED_KEY = 3,
	IKEV2_CERT_X509_SIG = 4,
	IKEV2_CERT_KERBEROS = 6,
	IKEV2_CERT_CRL = 7,
	IKEV2_CERT_ARL = 8,
	IKEV2_CERT_SPKI = 9,
	IKEV2_CERT_X509_ATTR = 10,
	IKEV2_CERT_RAW_RSA = 11,
	IKEV2_CERT_HASH_URL_X509 = 12,	     /* SHA-1 hash (20) | URL */
	IKEV2_CERT_HASH_URL_X509_BUNDLE = 13, /* SHA-1 hash (20) | URL */
	IKEV2_CERT_OCSP = 14,		     /* RFC 4806 */
	IKEV2_CERT_RAW_PUBKEY = 15,	     /* RFC 7670 */
};
#define IKEV2_SHA1_LEN 20 /* CERTREQ CA hashes, Hash and URL, NAT-D (3.6, 3.7, 2.23) */

/* Traffic selector types (3.13.1). */
enum ikev2_ts_type {
	IKEV2_TS_IPV4_ADDR_RANGE = 7,
	IKEV2_TS_IPV6_ADDR_RANGE = 8,
	IKEV2_TS_FC_ADDR_RANGE = 9, /* RFC 4595 */
	IKEV2_TS_SECLABEL = 10,	    /* RFC 9478 */
};
#define IKEV2_TS_IPV4_LEN 16 /* selector length of an IPv4 range */
#define IKEV2_TS_IPV6_LEN 40 /* selector length of an IPv6 range */

/* Configuration payload types and attributes (3.15, 3.15.1). */
enum ikev2_cfg_type {
	IKEV2_CFG_REQUEST = 1,
	IKEV2_CFG_REPLY = 2,
	IKEV2_CFG_SET = 3,
	IKEV2_CFG_ACK = 4,
};
enum ikev2_cfg_attr {
	IKEV2_CFG_INTERNAL_IP4_ADDRESS = 1,
	IKEV2_CFG_INTERNAL_IP4_NETMASK = 2,
	IKEV2_CFG_INTERNAL_IP4_DNS = 3,
	IKEV2_CFG_INTERNAL_IP4_NBNS = 4,
	IKEV2_CFG_INTERNAL_IP4_DHCP = 6,
	IKEV2_CFG_APPLICATION_VERSION = 7,
	IKEV2_CFG_INTERNAL_IP6_ADDRESS = 8,
	IKEV2_CFG_INTERNAL_IP6_DNS = 10,
	IKEV2_CFG_INTERNAL_IP6_DHCP = 12,
	IKEV2_CFG_INTERNAL_IP4_SUBNET = 13,
	IKEV2_CFG_SUPPORTED_ATTRIBUTES = 14,
	IKEV2_CFG_INTERNAL_IP6_SUBNET = 15,
	IKEV2_CFG_INTERNAL_DNS_DOMAIN = 25, /* RFC 8598 */
};
#define IKEV2_CFG_ATTR_R 0x8000 /* reserved bit above the 15-bit type */

/* Notify message types (3.10.1; IANA).  Below 16384: errors. */
enum ikev2_notify_type {
	IKEV2_N_NONE = 0, /* ipsecfx: "no notify to send" */
	IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKEV2_N_INVALID_IKE_SPI = 4,
	IKEV2_N_INVALID_MAJOR_VERSION = 5,
	IKEV2_N_INVALID_SYNTAX = 7,
	IKEV2_N_INVALID_MESSAGE_ID = 9,
	IKEV2_N_INVALID_SPI = 11,
	IKEV2_N_NO_PROPOSAL_CHOSEN = 14,
	IKEV2_N_INVALID_KE_PAYLOAD = 17,
	IKEV2_N_AUTHENTICATION_FAILED = 24,
	IKEV2_N_SINGLE_PAIR_REQUIRED = 34,
	IKEV2_N_NO_ADDITIONAL_SAS = 35,
	IKEV2_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKEV2_N_FAILED_CP_REQUIRED = 37,
	IKEV2_N_TS_UNACCEPTABLE = 38,
	IKEV2_N_INVALID_SELECTORS = 39,
	IKEV2_N_UNACCEPTABLE_ADDRESSES = 40, /* RFC 4555 */
	IKEV2_N_UNEXPECTED_NAT_DETECTED = 41,
	IKEV2_N_USE_ASSIGNED_HOA = 42, /* RFC 5026 */
	IKEV2_N_TEMPORARY_FAILURE = 43,
	IKEV2_N_CHILD_SA_NOT_FOUND = 44,

	IKEV2_N_INITIAL_CONTACT = 16384,
	IKEV2_N_SET_WINDOW_SIZE = 16385,
	IKEV2_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKEV2_N_IPCOMP_SUPPORTED = 16387,
	IKEV2_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKEV2_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKEV2_N_COOKIE = 16390,
	IKEV2_N_USE_TRANSPORT_MODE = 16391,
	IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKEV2_N_REKEY_SA = 16393,
	IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKEV2_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKEV2_N_MOBIKE_SUPPORTED = 16396, /* RFC 4555 */
	IKEV2_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKEV2_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKEV2_N_NO_ADDITIONAL_ADDRESSES = 16399,
	IKEV2_N_UPDATE_SA_ADDRESSES = 16400,
	IKEV2_N_COOKIE2 = 16401,
	IKEV2_N_NO_NATS_ALLOWED = 16402,
	IKEV2_N_AUTH_LIFETIME = 16403,	       /* RFC 4478 */
	IKEV2_N_MULTIPLE_AUTH_SUPPORTED = 16404, /* RFC 4739 */
	IKEV2_N_ANOTHER_AUTH_FOLLOWS = 16405,
	IKEV2_N_REDIRECT_SUPPORTED = 16406, /* RFC 5685 */
	IKEV2_N_REDIRECT = 16407,
	IKEV2_N_REDIRECTED_FROM = 16408,
	IKEV2_N_TICKET_LT_OPAQUE = 16409, /* RFC 5723 */
	IKEV2_N_TICKET_REQUEST = 16410,
	IKEV2_N_TICKET_ACK = 16411,
	IKEV2_N_TICKET_NACK = 16412,
	IKEV2_N_TICKET_OPAQUE = 16413,
	IKEV2_N_LINK_ID = 16414,
	IKEV2_N_USE_WESP_MODE = 16415,
	IKEV2_N_ROHC_SUPPORTED = 16416,
	IKEV2_N_EAP_ONLY_AUTHENTICATION = 16417, /* RFC 5998 */
	IKEV2_N_CHILDLESS_IKEV2_SUPPORTED = 16418,
	IKEV2_N_QUICK_CRASH_DETECTION = 16419,
	IKEV2_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
	IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421,
	IKEV2_N_IKEV2_MESSAGE_ID_SYNC = 16422,
	IKEV2_N_IPSEC_REPLAY_COUNTER_SYNC = 16423,
	IKEV2_N_SECURE_PASSWORD_METHODS = 16424,
	IKEV2_N_PSK_PERSIST = 16425,
	IKEV2_N_PSK_CONFIRM = 16426,
	IKEV2_N_ERX_SUPPORTED = 16427,
	IKEV2_N_IFOM_CAPABILITY = 16428,
	IKEV2_N_SENDER_REQUEST_ID = 16429,
	IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430, /* RFC 7383 */
	IKEV2_N_SIGNATURE_HASH_ALGORITHMS = 16431,     /* RFC 7427 */
	IKEV2_N_CLONE_IKE_SA_SUPPORTED = 16432,
	IKEV2_N_CLONE_IKE_SA = 16433,
	IKEV2_N_PUZZLE = 16434,	 /* RFC 8019 */
	IKEV2_N_USE_PPK = 16435, /* RFC 8784 */
	IKEV2_N_PPK_IDENTITY = 16436,
	IKEV2_N_NO_PPK_AUTH = 16437,
	IKEV2_N_INTERMEDIATE_EXCHANGE_SUPPORTED = 16438, /* RFC 9242 */
	IKEV2_N_IP4_ALLOWED = 16439,
	IKEV2_N_IP6_ALLOWED = 16440,
	IKEV2_N_ADDITIONAL_KEY_EXCHANGE = 16441, /* RFC 9370 */
	IKEV2_N_USE_AGGFRAG = 16442,		 /* RFC 9347 */
};
#define IKEV2_N_ERROR_MAX 16383 /* types up to here are errors (3.10.1) */

/* Sizes fixed by the RFCs. */
#define IKEV2_SPI_LEN 8		  /* IKE SPI (3.1) */
#define IKEV2_CHILD_SPI_LEN 4	  /* ESP/AH SPI (3.3.1) */
#define IKEV2_NONCE_MIN 16	  /* 3.9 */
#define IKEV2_NONCE_MAX 256	  /* 3.9 */
#define IKEV2_COOKIE_MIN 1	  /* 2.6 */
#define IKEV2_COOKIE_MAX 64	  /* 2.6 */
#define IKEV2_NATD_LEN IKEV2_SHA1_LEN /* 2.23 */
#define IKEV2_PRF_PLUS_MAX_ITER 255 /* 2.13: prf+ undefined beyond this */
#define IKEV2_PSK_PAD "Key Pad for IKEv2" /* 2.15, 17 octets, no NUL */
#define IKEV2_PSK_PAD_LEN 17

/* ---- Wire structs (RFC 7296 section 3). ---- */

/* IKE header (3.1), 28 octets. */
struct ikev2_hdr {
	uint8_t spi_i[8];  /* initiator's SPI, never zero */
	uint8_t spi_r[8];  /* responder's SPI, zero in the first IKE_SA_INIT */
	uint8_t next;	   /* type of the first payload */
	uint8_t version;   /* major << 4 | minor, 0x20 */
	uint8_t exchange;  /* enum ikev2_exchange */
	uint8_t flags;	   /* IKEV2_FLAG_* */
	uint32_t msg_id;   /* message ID, big endian */
	uint32_t length;   /* whole message incl. this header, big endian */
} __attribute__((packed));

/* Generic payload header (3.2), 4 octets. */
struct ikev2_gen {
	uint8_t next;	 /* type of the next payload, 0 for the last */
	uint8_t crit;	 /* IKEV2_CRITICAL bit, 7 reserved bits */
	uint16_t length; /* payload length incl. this header */
} __attribute__((packed));

/* Proposal substructure (3.3.1), 8 octets, then SPI and transforms. */
struct ikev2_prop {
	uint8_t last;	  /* IKEV2_PROP_LAST or IKEV2_PROP_MORE */
	uint8_t reserved;
	uint16_t length;  /* proposal incl. SPI and transforms */
	uint8_t num;	  /* proposal number, 1.. */
	uint8_t proto;	  /* enum ikev2_proto */
	uint8_t spi_size; /* 0 or 8 for IKE, 4 for ESP/AH */
	uint8_t n_xf;	  /* number of transforms */
} __attribute__((packed));

/* Transform substructure (3.3.2), 8 octets, then attributes. */
struct ikev2_xf {
	uint8_t last;	 /* IKEV2_XF_LAST or IKEV2_XF_MORE */
	uint8_t reserved;
	uint16_t length; /* transform incl. attributes */
	uint8_t type;	 /* enum ikev2_xf_type */
	uint8_t reserved2;
	uint16_t id;	 /* transform ID of that type */
} __attribute__((packed));

/* Transform attribute (3.3.5), 4 octets; TLV form has a value after. */
struct ikev2_attr {
	uint16_t type; /* IKEV2_ATTR_AF | attribute type */
	uint16_t len;  /* TV: the value; TLV: length of the value */
} __attribute__((packed));

/* Key Exchange payload body (3.4), then the public value. */
struct ikev2_ke {
	uint16_t group; /* enum ikev2_dh */
	uint16_t reserved;
} __attribute__((packed));

/* Identification payload body (3.5), then the identity. */
struct ikev2_id {
	uint8_t type; /* enum ikev2_id_type */
	uint8_t reserved[3];
} __attribute__((packed));

/* Certificate and Certificate Request bodies (3.6, 3.7), then data. */
struct ikev2_cert {
	uint8_t encoding; /* enum ikev2_cert_enc */
} __attribute__((packed));

/* Authentication payload body (3.8), then the authentication data. */
struct ikev2_auth {
	uint8_t method; /* enum ikev2_auth_method */
	uint8_t reserved[3];
} __attribute__((packed));

/* Notify payload body (3.10), then SPI and notification data. */
struct ikev2_notify {
	uint8_t proto;	  /* enum ikev2_proto, 0 when no SPI */
	uint8_t spi_size; /* 0, or 4 for ESP/AH */
	uint16_t type;	  /* enum ikev2_notify_type */
} __attribute__((packed));

/* Delete payload body (3.11), then n_spi SPIs of spi_size octets. */
struct ikev2_delete {
	uint8_t proto;	  /* enum ikev2_proto */
	uint8_t spi_size; /* 0 for IKE, 4 for ESP/AH */
	uint16_t n_spi;	  /* number of SPIs */
} __attribute__((packed));

/* Traffic Selector payload body (3.13), then n_ts selectors. */
struct ikev2_tsp {
	uint8_t n_ts; /* number of traffic selectors */
	uint8_t reserved[3];
} __attribute__((packed));

/* Traffic selector (3.13.1), 8 octets, then start and end address. */
struct ikev2_ts {
	uint8_t type;	     /* enum ikev2_ts_type */
	uint8_t proto;	     /* IP protocol, 0 = any */
	uint16_t length;     /* selector length incl. this header */
	uint16_t start_port; /* 0..65535; 65535..0 means OPAQUE */
	uint16_t end_port;
} __attribute__((packed));

/* Configuration payload body (3.15), then attributes. */
struct ikev2_cp {
	uint8_t type; /* enum ikev2_cfg_type */
	uint8_t reserved[3];
} __attribute__((packed));

/* Configuration attribute (3.15.1), then the value. */
struct ikev2_cp_attr {
	uint16_t type; /* reserved bit | enum ikev2_cfg_attr */
	uint16_t len;  /* value length */
} __attribute__((packed));

/* Encrypted Fragment payload body (RFC 7383 2.5) before IV and data. */
struct ikev2_skf {
	uint16_t num;	/* fragment number, 1..total */
	uint16_t total; /* total fragments, >= 1 */
} __attribute__((packed));

_Static_assert(sizeof(struct ikev2_hdr) == 28, "IKE header is 28 octets");
_Static_assert(sizeof(struct ikev2_gen) == 4, "generic header is 4 octets");
_Static_assert(sizeof(struct ikev2_prop) == 8, "proposal header");
_Static_assert(sizeof(struct ikev2_xf) == 8, "transform header");
_Static_assert(sizeof(struct ikev2_ts) == 8, "selector header");

/* Names for log lines ("SA", "NAT_DETECTION_SOURCE_IP", ...).  Unknown
 * values give "UNKNOWN"; never NULL. */
const char *ikev2_exchange_name(unsigned v);
const char *ikev2_payload_name(unsigned v);
const char *ikev2_notify_name(unsigned v);
const char *ikev2_proto_name(unsigned v);
const char *ikev2_xf_type_name(unsigned v);
/* A transform ID of the given transform type ("AES_GCM_16", "MODP_2048"). */
const char *ikev2_xf_name(unsigned type, unsigned id);
const char *ikev2_auth_name(unsigned v);
const char *ikev2_id_name(unsigned v);
const char *ikev2_ts_name(unsigned v);
const char *ikev2_cert_name(unsigned v);
const char *ikev2_cfg_name(unsigned v);
const char *ikev2_cfg_attr_name(unsigned v);

/* Octets of the KE public value of a group (3.4: the length of the MODP
 * prime; RFC 5903 7: x||y for ECP; RFC 8031: 32/56 for Curve25519/448);
 * 0 when the group is not known. */
unsigned ikev2_dh_pub_len(unsigned group);

#endif
