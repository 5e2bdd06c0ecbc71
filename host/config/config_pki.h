/*
 * The certificate part of the configuration (docs/certificates.md): our
 * certificate and key, trust anchors, CRLs.  Loaded with the rest of the
 * file, so a key that does not match its certificate refuses the file
 * (on reload the running configuration stays).
 */
#ifndef IPSECFX_CONFIG_PKI_H
#define IPSECFX_CONFIG_PKI_H

#include <openssl/x509.h>

#include "config.h"
#include "yamlpos.h"

/* local.certs (end entity first), local.key and local.cert_uri of
 * connection c: loaded and checked (the key is the certificate's; the
 * key file is not readable by others, else a warning).  base names the
 * connection's local section for errors.  0 or -EINVAL (logged). */
int cfg_pki_local(const struct yamlpos *yp, const char *base, char *const *certs,
		  unsigned n_certs, const char *key, const char *cert_uri,
		  struct cfg_conn *c);
/* Certificates from each file (PEM bundles or DER): trust anchors. */
int cfg_pki_certs(const struct yamlpos *yp, const char *path, char *const *files,
		  unsigned n, STACK_OF(X509) **out);
int cfg_pki_crls(const struct yamlpos *yp, const char *path, char *const *files,
		 unsigned n, STACK_OF(X509_CRL) **out);
/* local.id when none is given with a certificate: its subject DN. */
int cfg_pki_default_id(const struct cfg_conn *c, struct cfg_id *id);
/* Does our certificate prove local.id?  0 or -EINVAL (logged). */
int cfg_pki_check_local_id(const struct yamlpos *yp, const char *path,
			   const struct cfg_conn *c);
void cfg_pki_free_conn(struct cfg_conn *c);
void cfg_pki_free(struct cfg *c);

#endif
