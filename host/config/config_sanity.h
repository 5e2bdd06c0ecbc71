/*
 * Warnings about a configuration that loads but is probably not what was
 * meant (docs/config.md, "Warnings"): selectors equal on both sides,
 * children of one connection that overlap, two connections for the same
 * peer and traffic.  Each "FILE:LINE: KEY: message", at warning level.
 */
#ifndef IPSECFX_CONFIG_SANITY_H
#define IPSECFX_CONFIG_SANITY_H

#include "config.h"
#include "yamlpos.h"

void cfg_sanity(const struct yamlpos *yp, const struct cfg *c);

#endif
