/*
 * The security policy database of the data plane: which Child SA an
 * outbound packet belongs to, and whether a decrypted packet may pass.
 *
 * Each Child SA contributes one rule per (local_ts, remote_ts) pair.  An
 * outbound lookup returns the child of the first rule that matches, in this
 * order (most specific first, then oldest):
 *   1. smaller remote address range
 *   2. smaller local address range
 *   3. a given protocol before "any"
 *   4. narrower remote port range, then narrower local port range
 *   5. the child added first, then the rule given first
 * A rule's remote range is split into the CIDR prefixes that cover it
 * exactly (one for a prefix; at most 62 for an IPv4 range, 254 for IPv6)
 * and the rule is listed under each in a hash on (family, prefix length,
 * prefix), every list in the order above: tuple space search on the remote
 * address, as VPP and Open vSwitch classify.  A rule keeps the size of its
 * whole ranges, so a range split into pieces still ranks by its whole size.
 * A lookup probes the prefix lengths in use for the destination's family,
 * longest first, and under each prefix found takes the first rule that
 * matches if it comes before the best so far; it stops at the first length
 * whose prefixes hold more addresses than the best's remote range (a child
 * found under its /24 ends it before the /16s).
 * Cost: a lookup is O(prefix lengths in use: at most 33, or 129 for IPv6)
 * hash probes, plus the rules under those prefixes that come before the
 * answer and do not match; it does not grow with the number of rules, but
 * many rules under one remote prefix (children that differ only in their
 * local selectors) share a list scanned in order.
 * spd_add and spd_remove are O(the child's rules x address bits) (a hash
 * on the child id finds its rules), plus a memmove of k pointers where k
 * rules share one remote prefix.  Memory: a rule is 144 bytes, a prefix
 * node 40 + 8 per rule listed, a child 24, plus the hash buckets and
 * malloc's headers: about 260 bytes for a child with one rule whose remote
 * range is a prefix (measured with 100,000), and a node or 8 bytes
 * more for each further prefix of a split range.  A direct-mapped flow
 * cache in front makes repeated 5-tuples O(1); any change to the rules
 * invalidates it (a generation number).
 */
#ifndef IPSECFX_DP_SPD_H
#define IPSECFX_DP_SPD_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"

/* The 5-tuple of an IPv4/IPv6 packet; every length checked (RFC 4301
 * 4.4.1.1: ports of a non-initial fragment are unavailable).  0, or -EINVAL
 * for a packet that is not a whole IP packet. */
int spd_flow_parse(const uint8_t *p, uint32_t len, struct ipx_dp_flow *f);

/* Does (addr, proto, port) fall within the selector? */
bool spd_ts_match(const struct ipx_ts *ts, const struct ipx_addr *a,
		  uint8_t proto, bool has_ports, uint16_t port);
/* RFC 4301 5.2 for tunnel mode: a decrypted packet's source must lie in a
 * remote selector and its destination in a local one. */
bool spd_check_inbound(const struct ipx_ts *local, unsigned nl,
		       const struct ipx_ts *remote, unsigned nr,
		       const struct ipx_dp_flow *f);
/* Validate a selector (family, order). */
int spd_ts_valid(const struct ipx_ts *ts);

/* The CIDR prefixes that exactly cover [start, end]; returns how many were
 * written (at most max) or -E2BIG. */
int spd_range_prefixes(const struct ipx_addr *start, const struct ipx_addr *end,
		       struct ipx_addr *pfx, uint8_t *plen, unsigned max);

struct spd_rule;
struct spd_node;
struct spd_child;

#define SPD_CACHE_SIZE 4096

struct spd_cache_ent {
	struct ipx_dp_flow key;
	uint32_t gen;
	uint32_t child;
};

struct spd {
	struct spd_node **nodes;        /* rules by remote prefix (hash) */
	uint32_t nbuckets, nnodes;
	uint32_t nplen[2][129];         /* nodes per prefix length: IPv4, IPv6 */
	uint8_t plens[2][129];          /* the lengths with a node, longest first */
	uint8_t nplens[2];
	uint8_t plens_stale;            /* families whose plens need redoing */
	struct spd_child **cbuckets;    /* each child's rules, by child id */
	uint32_t ncbuckets, nchildren;
	uint32_t nrules;
	uint64_t seq;                   /* child add order */
	uint32_t gen;                   /* bumped on every change */
	struct spd_cache_ent *cache;
	uint64_t cache_hits, cache_misses;
};

int spd_init(struct spd *s);
void spd_free(struct spd *s);
/* Add the child's rules (the cross product local x remote). */
int spd_add(struct spd *s, uint32_t child, const struct ipx_ts *local,
	    unsigned nl, const struct ipx_ts *remote, unsigned nr);
/* Remove every rule of the child; 0 or -ENOENT. */
int spd_remove(struct spd *s, uint32_t child);
/* The child an outbound packet belongs to, IPX_DP_CHILD_NONE if none. */
uint32_t spd_lookup(struct spd *s, const struct ipx_dp_flow *f);
/* The same without the cache (tests compare the two). */
uint32_t spd_lookup_slow(const struct spd *s, const struct ipx_dp_flow *f);

#endif
