/*
 * One top-level value of a configuration file without loading it: the
 * ipsecfx command reads `control:` to find the daemon's socket, as any
 * user who may read the file (it need not be valid as a whole).
 */
#ifndef IPSECFX_CFG_PEEK_H
#define IPSECFX_CFG_PEEK_H

#include <stddef.h>

/* 1 and the value of the top-level scalar key in out; 0 when the file does
 * not set it; -errno when it cannot be read or is not YAML. */
int cfg_peek_string(const char *file, const char *key, char *out, size_t n);

#endif
