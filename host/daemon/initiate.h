/*
 * `ipsecfx initiate` as swanctl --initiate does it: the control request
 * stays open, streams the log lines of the connection's SAs as they are
 * written, and ends with the outcome the moment there is one, the peer's
 * refusal included:
 *
 *   {"cmd": "initiate", "conn": "site", "child": "lan", "wait": 30, "stream": true}
 *   {"ok": true, "stream": "initiate", "conn": "site", "child": "lan"}
 *   {"event": {"level": "info", "log": "site[1] 192.0.2.2: ..."}}
 *   {"event": {"done": true, "established": false, "error": "..."}}
 *   {"end": true, "count": 3}
 *
 * Without "wait" the answer is at once ({"initiating": "site"} as the only
 * entry): the set-up goes on in the background.
 */
#ifndef IPSECFXD_INITIATE_H
#define IPSECFXD_INITIATE_H

#include <event2/event.h>
#include <jansson.h>

#include "../config/config.h"
#include "../ctl/ctl.h"
#include "../ike/ike.h"

struct inits;

struct inits *inits_new(struct event_base *base, struct ike_mgr *ike);
void inits_free(struct inits *in);
/* The control command (a ctl_stream_fn, given the configuration in use). */
int inits_start(struct inits *in, const struct cfg *cfg, json_t *req, struct ctl_stream *st,
		char *err, size_t n);
/* From the IKE manager's event hook: "up", "child-failed", "ike-failed",
 * "dead", "ike-down"... */
void inits_event(struct inits *in, struct ikesa *sa, struct child_sa *c, const char *what);

#endif
