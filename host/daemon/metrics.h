/*
 * Prometheus metrics: GET /metrics on metrics.listen in the text exposition
 * format 0.0.4, served by libevent's evhttp on the daemon's event loop
 * (docs/operations.md, "Prometheus metrics", lists every metric).
 */
#ifndef IPSECFX_METRICS_H
#define IPSECFX_METRICS_H

#include <event2/event.h>

#include <ipsecfx/engine.h>

#include "../config/config.h"
#include "../dataplane/dataplane.h"
#include "../ike/ike.h"

struct metrics;

/* Listen on cfg->metrics_listen; nothing (0, *out NULL) when it is "".
 * Opened before the privilege drop (the port may be below 1024).  0, or
 * -errno with why logged, the address and the key named: the daemon
 * refuses to start without the metrics it was told to serve. */
int metrics_open(struct event_base *base, const struct cfg *cfg, struct ike_mgr *ike,
		 struct ipx_dp *dp, struct ipx_engine *eng, struct metrics **out);
/* Scrapes in progress are cut short (NULL: nothing). */
void metrics_free(struct metrics *m);

#endif
