/*
 * IKE PKI: certificates and signature AUTH, thin wrappers over OpenSSL 3
 * (X509, X509_STORE, EVP_PKEY, EVP_DigestSign/Verify).  No ASN.1 is parsed
 * by hand here: every DER structure goes through a d2i_* function.
 *
 *   loading certificates, bundles, private keys and CRLs (PEM or DER);
 *   the CERTREQ CA hash (RFC 7296 3.7) and the Hash and URL hash (3.6);
 *   identities proved by a certificate (3.5, 2.15: ID against SANs/DN);
 *   signature AUTH data (3.8): RSA PKCS#1 v1.5 (method 1), ECDSA with
 *   RFC 4754 r|s (methods 9, 10, 11), RFC 7427 Digital Signature (method
 *   14: PKCS#1 v1.5, RSASSA-PSS, ECDSA, and EdDSA per RFC 8420);
 *   chain validation against trust anchors with CRLs (RFC 5280 through
 *   X509_verify_cert) and the CRL distribution points for a fetcher.
 *
 * Functions return 0 (or a count) or a negative errno:
 *   -EINVAL      bad argument, or peer data malformed (bad lengths, DER
 *                that does not parse, an algorithm that does not fit the key)
 *   -ENOTSUP     well-formed but not acceptable (SHA-1 inside RFC 7427,
 *                unknown algorithm or method, a key type we cannot use)
 *   -EACCES      a signature that does not verify, a chain that does not
 *                validate
 *   -ENOBUFS     caller buffer too small
 *   -ENOENT, -EFBIG and other errno values from opening a file
 *   -ENOMEM, -EIO  allocation or OpenSSL failed unexpectedly
 * A `why` out-parameter (may be NULL) receives a short static reason for
 * every non-zero result; err/whybuf buffers get a one-line reason.
 * Private keys stay in EVP_PKEY objects; nothing here logs key material.
 */
#ifndef IPSECFX_IKE_PKI_H
#define IPSECFX_IKE_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../proto/ikev2.h"

/* Longest AUTH data ike_pki_sign() writes: RFC 7427 length octet, an
 * AlgorithmIdentifier (67 octets for RSASSA-PSS) and an RSA-8192
 * signature. */
#define IKE_PKI_AUTH_MAX (1 + 67 + 1024)

/* ---- loading ---- */

/* One certificate, PEM (the first CERTIFICATE block) or DER (the whole
 * file), detected by content.  NULL with a one-line reason in err
 * ("FILE: not a certificate (PEM or DER)", "FILE: no such file"). */
X509 *ike_pki_cert_load(const char *path, char *err, size_t errlen);
/* Every certificate of a PEM file (a bundle) or the one of a DER file,
 * appended to out.  The count appended, or -errno (then out is as it was:
 * -ENOENT, -EINVAL for content that is not certificates, ...). */
int ike_pki_certs_load(const char *path, STACK_OF(X509) *out, char *err,
		       size_t errlen);
/* A private key: PEM (PKCS#8 or traditional RSA/EC; encrypted keys are
 * refused, never prompted for) or DER.  Accepted: RSA of at least 2048
 * bits, EC on P-256/P-384/P-521, Ed25519; anything else is refused with
 * the reason in err. */
EVP_PKEY *ike_pki_key_load(const char *path, char *err, size_t errlen);
/* A CRL, PEM or DER. */
X509_CRL *ike_pki_crl_load(const char *path, char *err, size_t errlen);
/* A certificate from exactly len octets of DER (no trailing data), as in
 * a CERT payload of encoding X.509 Certificate - Signature (3.6). */
X509 *ike_pki_cert_from_der(const uint8_t *der, size_t len);
/* Is key the private half of cert's public key?  (EVP_PKEY_eq.) */
bool ike_pki_key_matches(EVP_PKEY *key, X509 *cert);

/* ---- hashes ---- */

/* 3.7: a CERTREQ's Certification Authority value is the SHA-1 of the
 * trusted CA's DER SubjectPublicKeyInfo. */
int ike_pki_spki_sha1(X509 *cert, uint8_t out[20]);
/* 3.6: the hash of Hash and URL encodings is the SHA-1 of the DER
 * certificate. */
int ike_pki_cert_sha1(X509 *cert, uint8_t out[20]);

/* ---- text ---- */

/* "RSA-3072", "ECDSA P-256", "Ed25519" (into buf, which is returned). */
const char *ike_pki_key_type(EVP_PKEY *key, char *buf, size_t n);
/* A Name as one line in the order of its RDNs: "C=XX, O=ipsecfx test,
 * CN=gw.example".  Attributes of one multi-valued RDN are joined with
 * " + "; ',', '+', '\' and leading/trailing spaces of a value are escaped
 * with '\' (so ike_pki_dn_from_text() reads it back); control characters
 * become '?'.  Truncated to n - 1 characters, always NUL-terminated. */
void ike_pki_name_text(const X509_NAME *name, char *out, size_t n);
/*
 * strongSwan-style DN text to DER (the data of an ID_DER_ASN1_DN):
 * "C=XX, O=Example, CN=gw.example" (',' with or without spaces) or
 * "/C=XX/O=Example/CN=gw.example" (a leading '/' makes '/' the
 * separator).  A backslash escapes the next character ("O=a\, b"); '+'
 * joins attributes into one multi-valued RDN; spaces around names and
 * values are dropped.  Attribute names, case-insensitive: C, ST, L, O, OU,
 * CN, DC, UID, E (Email, emailAddress), SN (serialNumber, as strongSwan
 * reads it), surname, G (GN, givenName), I (initials), T (title),
 * D (description), N (name), pseudonym, dnQualifier, street, postalCode,
 * or a dotted OID.  0, -EINVAL (why: "unknown attribute name", "empty DN",
 * ...) or -ENOBUFS when the DER does not fit cap.
 */
int ike_pki_dn_from_text(const char *s, uint8_t *der, size_t cap,
			 size_t *len, const char **why);
/* DER Name (exactly len octets) to text as ike_pki_name_text(); -EINVAL
 * when it is not one. */
int ike_pki_dn_to_text(const uint8_t *der, size_t len, char *out, size_t n);

/* ---- identities (3.5) ----
 * Does cert prove the identity (ID type, ID data)?
 *   IKEV2_ID_FQDN         a dNSName SAN equal ignoring ASCII case
 *   IKEV2_ID_IPV4_ADDR,
 *   IKEV2_ID_IPV6_ADDR    an iPAddress SAN of the same 4/16 octets
 *   IKEV2_ID_RFC822_ADDR  an rfc822Name SAN equal ignoring ASCII case
 *   IKEV2_ID_DER_ASN1_DN  the subject equal by value (X509_NAME_cmp on the
 *                         decoded Name: case and whitespace differences
 *                         OpenSSL canonicalises still match)
 *   IKEV2_ID_KEY_ID       the subjectKeyIdentifier, or the SHA-1 of the
 *                         subjectPublicKey bits
 * Anything else (and malformed ID data): false. */
bool ike_pki_id_matches(X509 *cert, uint8_t id_type, const uint8_t *id,
			size_t id_len);

/* ---- signature AUTH (3.8) ---- */

/*
 * Sign <SignedOctets> (ike_auth_octets()) with key.  peer_hashes is the
 * bitmask (1u << IKEV2_SIGHASH_x) of the peer's N(SIGNATURE_HASH_
 * ALGORITHMS), 0 when it sent none.
 *
 * With peer_hashes != 0, method 14 (RFC 7427): 1-octet length |
 * AlgorithmIdentifier | signature, where the algorithm is
 *   RSA      RSASSA-PSS, salt = hash length, MGF1 with the same hash,
 *            trailer 1, with the strongest of SHA-512 > SHA-384 > SHA-256
 *            the peer announced (RSA-2048 and up hold any of them);
 *   ECDSA    ecdsa-with-SHA256/384/512 matching the curve (P-256/SHA-256,
 *            P-384/SHA-384, P-521/SHA-512) when announced, else the
 *            strongest announced; the signature a DER Ecdsa-Sig-Value;
 *   Ed25519  id-Ed25519 (RFC 8420) when Identity (5) was announced: pure
 *            EdDSA over the octets.
 * When no announced hash fits the key, as if peer_hashes were 0:
 *   RSA      method 1, RSASSA-PKCS1-v1_5 with SHA-1 (what RFC 7296 3.8
 *            leaves for interoperability);
 *   ECDSA    method 9/10/11 by curve (RFC 4754: SHA-256/384/512, the
 *            signature r | s, each zero-padded to the curve size);
 *   Ed25519  -ENOTSUP (it has no method of its own).
 * *method gets the AUTH method and out (cap octets; IKE_PKI_AUTH_MAX is
 * enough for keys up to RSA-8192) the AUTH data that follows the 4-octet
 * payload header; -ENOBUFS when cap is short of the key's largest
 * signature.
 */
int ike_pki_sign(EVP_PKEY *key, uint32_t peer_hashes, const uint8_t *octets,
		 size_t n, uint8_t *method, uint8_t *out, size_t cap,
		 size_t *out_len, const char **why);
/*
 * Verify AUTH data (any length, any content: it is the peer's) of method
 * 1 (PKCS#1 v1.5 SHA-1, RSA keys), 9/10/11 (ECDSA r|s; the key's curve
 * must be the method's) or 14 (RFC 7427: sha256/384/512WithRSAEncryption,
 * RSASSA-PSS with SHA-256/384/512 and MGF1 with SHA-256/384/512, the salt
 * length as the parameters say, ecdsa-with-SHA256/384/512 with a DER
 * signature, Ed25519, Ed448; SHA-1 in any role is refused, so is an
 * algorithm that does not fit the key) over octets with pub.
 * 0 when it verifies, -EACCES when it does not ("ECDSA P-256 signature
 * does not verify"), -EINVAL when malformed or unfit for the key ("method
 * 10 (ECDSA P-384) with a P-256 key"), -ENOTSUP when not acceptable ("RFC
 * 7427 AlgorithmIdentifier: SHA-1 not accepted").
 */
int ike_pki_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *data,
		   size_t len, const uint8_t *octets, size_t n,
		   const char **why);
/* What method + AUTH data use, for logs: "RSASSA-PSS SHA-256 (RFC 7427)",
 * "ECDSA P-256 SHA-256 (method 9)", "Ed25519 (RFC 7427)"; "?" when the
 * data does not parse.  Into buf, which is returned. */
const char *ike_pki_auth_name(uint8_t method, const uint8_t *data, size_t len,
			      char *buf, size_t n);

/* ---- chain validation (RFC 5280 through X509_verify_cert) ---- */

enum ike_pki_revocation {
	/* fail only when a loaded CRL lists a certificate of the chain */
	IKE_PKI_REV_RELAXED = 0,
	/* also when a certificate names a CRL distribution point but no
	 * usable CRL of its issuer is loaded */
	IKE_PKI_REV_IFURI,
	/* also when any certificate but the trust anchor has no usable CRL
	 * of its issuer (status unknown) */
	IKE_PKI_REV_STRICT,
};
/*
 * Validate ee at time now against anchors (trusted certificates; each is a
 * trust anchor, also an intermediate: X509_V_FLAG_PARTIAL_CHAIN) with the
 * untrusted intermediates (may be NULL) and CRLs (may be NULL).  A CRL
 * that is present but expired or not yet valid counts as no CRL; one
 * whose signature does not verify fails the validation in every mode (a
 * fetcher should not load it).  OpenSSL checks revocation before validity
 * periods, so an expired certificate in a chain with unknown status is
 * reported for the status.  The end entity's keyUsage, when present, must
 * include digitalSignature or nonRepudiation.
 * 0, or -EACCES with a reason in whybuf: OpenSSL's
 * X509_verify_cert_error_string with the subject of the certificate at
 * fault, e.g. "certificate has expired (notAfter 2025-01-01 00:00:00
 * UTC): C=XX, O=ipsecfx test, CN=gw.example", "certificate revoked (CRL
 * of C=XX, O=ipsecfx test, CN=ipsecfx test Int CA): ...", "unable to get
 * local issuer certificate: no trust anchor for C=XX, O=Other, CN=Other
 * Root CA (issuer of ...)", "key usage lacks digitalSignature: ...".
 * On success *chain_out (when chain_out is not NULL) gets the validated
 * chain, end entity first (free it with sk_X509_pop_free(c, X509_free)).
 */
int ike_pki_verify_chain(STACK_OF(X509) *anchors, STACK_OF(X509_CRL) *crls,
			 X509 *ee, STACK_OF(X509) *untrusted,
			 enum ike_pki_revocation rev, time_t now,
			 STACK_OF(X509) **chain_out, char *whybuf,
			 size_t whylen);
/* The http:// URIs of cert's CRL distribution points (full names), at
 * most max of them, each a NUL-terminated copy the caller frees with
 * OPENSSL_free.  The number written (0 when none), or -ENOMEM. */
int ike_pki_crl_uris(X509 *cert, char **uris, int max);

#endif
