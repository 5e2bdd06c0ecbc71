/*
 * ipsecfx import-swanctl (cmd_import.c): what only swanctl.conf has,
 * resolved in its tree (import_swanctl.c) before the daemon's loader reads
 * the rest through its swanctl.conf hint table.
 */
#ifndef IPSECFX_IMPORT_H
#define IPSECFX_IMPORT_H

#include "swanctl_conf.h"

/*
 * In c's tree, as swanctl and charon would read it (swanctl's directory is
 * dir, the swanctl.conf file's): the secrets' IKE PSKs become the `psk` of
 * the connections whose identities they match best; certificate paths
 * under x509/ and x509ca/ become absolute; a local certificate gets its
 * private key from private/, rsa/, ecdsa/ or pkcs8/ and its intermediate
 * CAs from x509ca/ and the authorities; the authorities and x509ca/ become
 * the top-level cacerts (x509crl/ crls) when a connection needs them;
 * swanctl's defaults where ours differ and it matters (auth: pubkey,
 * remote.id: %any) are written out.  What cannot be carried over is said
 * (sw_msg) and taken out; what this leaves to the loader (every other key)
 * stays.  0, or -EINVAL when an error was said.
 */
int swanctl_resolve(struct sw_conf *c, const char *dir);

#endif
