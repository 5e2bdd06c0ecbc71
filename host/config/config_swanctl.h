/*
 * swanctl.conf's layout and habits, turned into this configuration's
 * before its schema check (docs/config.md, "From swanctl.conf").  The key
 * names that differ are the hint table beside the schema in config.c.
 */
#ifndef IPSECFX_CONFIG_SWANCTL_H
#define IPSECFX_CONFIG_SWANCTL_H

#include "yamlcheck.h"

/* Connections and children as mappings keyed by name become lists; a
 * connection's rekey_time (with over_time) becomes ike_lifetime;
 * start_action, dpd_action and updown, per child in swanctl.conf, move up
 * to their connection.  Every change that is not the same setting in
 * other words is said (a note, a warning or an error). */
void cfg_swanctl_layout(struct ycheck *yc);

#endif
