/*
 * Traffic selectors (RFC 7296 3.13.1), shared by the configuration and IKE:
 * the type, its text form, narrowing.
 */
#ifndef IPSECFX_PROTO_TS_H
#define IPSECFX_PROTO_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ikev2.h"

struct ike_ts { /* one selector (3.13.1) */
	uint8_t type;  /* enum ikev2_ts_type; 0 in a configuration: "dynamic" */
	uint8_t proto; /* IP protocol, 0 = any */
	uint16_t start_port, end_port;
	uint8_t start[16], end[16]; /* IPv4 uses the first 4 octets */
};

/* "10.1.0.0/16", "2001:db8::/32", "10.0.0.1-10.0.0.9", "0.0.0.0/0[tcp/80]",
 * "10.1.0.0/16[udp/1000-2000]", "::/0[icmp6]".  0 or -EINVAL, *why set. */
int ike_ts_parse(const char *s, struct ike_ts *ts, const char **why);
/* "10.1.0.0/16[tcp/80]" style text of a selector. */
const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t len);
/* Octets of its addresses: 4 (IPv4) or 16. */
unsigned ike_ts_alen(const struct ike_ts *t);
/* Narrowing (2.9): the part of a that lies inside b, if any. */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out);
/* The selector of one address (a "dynamic" one resolved). */
void ike_ts_from_addr(const struct sockaddr_storage *ss, struct ike_ts *ts);
/* The same IP address (ports not compared). */
bool ike_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#endif
