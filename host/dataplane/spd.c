/*
 * Traffic selectors and the SPD: packet 5-tuples, selector matching, the
 * outbound lookup and the inbound check.  The lookup order and its cost are
 * in spd.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <ipsecfx/bytes.h>

#include "spd.h"

static unsigned alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* ---- packets ------------------------------------------------------------ */

static bool proto_has_ports(uint8_t proto)
{
	/* RFC 4301 4.4.1.1: the port selectors apply to these protocols */
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_DCCP;
}

static void l4_ports(struct ipx_dp_flow *f, const uint8_t *l4, uint32_t l4len)
{
	if (proto_has_ports(f->proto) && l4len >= 4) {
		f->has_ports = true;
		f->sport = ipx_ld16(l4);
		f->dport = ipx_ld16(l4 + 2);
	} else if ((f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) &&
		   l4len >= 2) {
		/* RFC 7296 3.13.1: type and code as one 16-bit "port" */
		f->has_ports = true;
		f->sport = f->dport = ipx_ld16(l4);
	}
}

int spd_flow_parse(const uint8_t *p, uint32_t len, struct ipx_dp_flow *f)
{
	memset(f, 0, sizeof(*f));
	if (len < 1)
		return -EINVAL;
	if (p[0] >> 4 == 4) {
		uint32_t ihl, tot;

		if (len < 20)
			return -EINVAL;
		ihl = (p[0] & 0x0fu) * 4u;
		tot = ipx_ld16(p + 2);
		if (ihl < 20 || tot < ihl || tot > len)
			return -EINVAL;
		f->src.family = f->dst.family = AF_INET;
		memcpy(f->src.a, p + 12, 4);
		memcpy(f->dst.a, p + 16, 4);
		f->proto = p[9];
		/* a non-initial fragment carries no ports (RFC 4301 4.4.1.1) */
		if ((ipx_ld16(p + 6) & 0x1fff) == 0)
			l4_ports(f, p + ihl, tot - ihl);
		return 0;
	}
	if (p[0] >> 4 == 6) {
		uint32_t off = 40, end;
		uint8_t nh;

		if (len < 40)
			return -EINVAL;
		end = 40u + ipx_ld16(p + 4);
		if (end > len)
			return -EINVAL;
		f->src.family = f->dst.family = AF_INET6;
		memcpy(f->src.a, p + 8, 16);
		memcpy(f->dst.a, p + 24, 16);
		nh = p[6];
		/* walk the extension headers (RFC 8200 4) to the upper layer */
		for (int i = 0; i < 8; i++) {
			uint32_t hl;

			if (nh == 0 || nh == 43 || nh == 60) {
				if (end - off < 8)
					return -EINVAL;
				hl = (p[off + 1] + 1u) * 8u;
			} else if (nh == 51) {   /* AH: length in 4-byte units */
				if (end - off < 8)
					return -EINVAL;
				hl = (p[off + 1] + 2u) * 4u;
			} else if (nh == 44) {
				if (end - off < 8)
					return -EINVAL;
				if (ipx_ld16(p + off + 2) & 0xfff8) {
					f->proto = p[off];
					return 0;  /* later fragment: no ports */
				}
				hl = 8;
			} else {
				break;
			}
			if (hl > end - off)
				return -EINVAL;
			nh = p[off];
			off += hl;
		}
		f->proto = nh;
		l4_ports(f, p + off, end - off);
		return 0;
	}
	return -EINVAL;
}

/* ---- selectors ---------------------------------------------------------- */

static int addr_cmp(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return memcmp(a->a, b->a, alen(a->family));
}

/* The selector's protocol and ports, its addresses aside. */
static bool ts_ports_match(const struct ipx_ts *ts, uint8_t proto,
			   bool has_ports, uint16_t port)
{
	if (ts->proto && ts->proto != proto)
		return false;
	if (ts->port_start > ts->port_end)  /* OPAQUE (RFC 4301 4.4.1.1) */
		return !has_ports;
	if (!has_ports)
		return ts->port_start == 0 && ts->port_end == 0xffff;
	return port >= ts->port_start && port <= ts->port_end;
}

bool spd_ts_match(const struct ipx_ts *ts, const struct ipx_addr *a,
		  uint8_t proto, bool has_ports, uint16_t port)
{
	if (ts->start.family != a->family)
		return false;
	if (addr_cmp(a, &ts->start) < 0 || addr_cmp(a, &ts->end) > 0)
		return false;
	return ts_ports_match(ts, proto, has_ports, port);
}

bool spd_check_inbound(const struct ipx_ts *local, unsigned nl,
		       const struct ipx_ts *remote, unsigned nr,
		       const struct ipx_dp_flow *f)
{
	bool ok = false;

	for (unsigned i = 0; i < nr && !ok; i++)
		ok = spd_ts_match(&remote[i], &f->src, f->proto, f->has_ports,
				  f->sport);
	if (!ok)
		return false;
	for (unsigned i = 0; i < nl; i++)
		if (spd_ts_match(&local[i], &f->dst, f->proto, f->has_ports,
				 f->dport))
			return true;
	return false;
}

int spd_ts_valid(const struct ipx_ts *ts)
{
	if ((ts->start.family != AF_INET && ts->start.family != AF_INET6) ||
	    ts->start.family != ts->end.family)
		return -EINVAL;
	if (addr_cmp(&ts->start, &ts->end) > 0)
		return -EINVAL;
	/* start > end is only allowed as OPAQUE (65535-0) */
	if (ts->port_start > ts->port_end &&
	    !(ts->port_start == 0xffff && ts->port_end == 0))
		return -EINVAL;
	return 0;
}

typedef unsigned __int128 u128;

static u128 addr_u128(const struct ipx_addr *a)
{
	u128 v = 0;

	for (unsigned i = 0; i < alen(a->family); i++)
		v = v << 8 | a->a[i];
	return v;
}

static void u128_addr(u128 v, uint8_t family, struct ipx_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	for (int i = (int)alen(family) - 1; i >= 0; i--) {
		a->a[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The last address of the block of 2^k addresses at s. */
static u128 block_last(u128 s, unsigned k)
{
	return k >= 128 ? ~(u128)0 : s | (((u128)1 << k) - 1);
}

/* Trailing zero bits of v (128 for 0). */
static unsigned u128_ctz(u128 v)
{
	uint64_t lo = (uint64_t)v, hi = (uint64_t)(v >> 64);

	if (lo)
		return (unsigned)__builtin_ctzll(lo);
	return hi ? 64 + (unsigned)__builtin_ctzll(hi) : 128;
}

/* The largest k with 2^k <= v; v > 0. */
static unsigned u128_log2(u128 v)
{
	uint64_t hi = (uint64_t)(v >> 64);

	if (hi)
		return 127 - (unsigned)__builtin_clzll(hi);
	return 63 - (unsigned)__builtin_clzll((uint64_t)v);
}

int spd_range_prefixes(const struct ipx_addr *start, const struct ipx_addr *end,
		       struct ipx_addr *pfx, uint8_t *plen, unsigned max)
{
	unsigned bits = alen(start->family) * 8, n = 0;
	u128 s = addr_u128(start), e = addr_u128(end);

	if (start->family != end->family || s > e)
		return -EINVAL;
	for (;;) {
		/* the largest block at s that is aligned and does not pass e:
		 * O(1) a prefix, so that a range costs O(bits) */
		unsigned k = u128_ctz(s);
		u128 last;

		if (e - s != ~(u128)0 && u128_log2(e - s + 1) < k)
			k = u128_log2(e - s + 1);
		if (k > bits)
			k = bits;
		if (n == max)
			return -E2BIG;
		u128_addr(s, start->family, &pfx[n]);
		plen[n++] = (uint8_t)(bits - k);
		last = block_last(s, k);
		if (last >= e)
			break;
		s = last + 1;
	}
	return (int)n;
}

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "tcp", IPPROTO_TCP },   { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "gre", IPPROTO_GRE },
};

static int parse_u(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, s[0] == '0' && s[1] == 'x' ? 16 : 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_addr(const char *s, struct ipx_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

static int parse_proto_ports(char *s, struct ipx_ts *ts)
{
	char *slash = strchr(s, '/'), *dash;
	unsigned long v, lo, hi;
	bool icmp;

	if (slash)
		*slash = 0;
	ts->proto = 0;
	for (size_t i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (!strcasecmp(s, proto_names[i].name))
			ts->proto = proto_names[i].proto;
	if (!ts->proto) {
		if (parse_u(s, 255, &v) < 0)
			return -EINVAL;
		ts->proto = (uint8_t)v;
	}
	if (!slash)
		return 0;
	s = slash + 1;
	icmp = ts->proto == IPPROTO_ICMP || ts->proto == IPPROTO_ICMPV6;
	if (!strcmp(s, "opaque")) {
		ts->port_start = 0xffff;
		ts->port_end = 0;
		return 0;
	}
	dash = strchr(s, '-');
	if (dash)
		*dash = 0;
	/* "0x..." is the raw 16-bit port field, ICMP type and code included */
	if (s[0] == '0' && s[1] == 'x')
		icmp = false;
	if (parse_u(s, icmp ? 255 : 65535, &lo) < 0)
		return -EINVAL;
	hi = lo;
	if (dash && parse_u(dash + 1, icmp ? 255 : 65535, &hi) < 0)
		return -EINVAL;
	if (hi < lo)
		return -EINVAL;
	if (icmp) {    /* types lo..hi, every code */
		lo <<= 8;
		hi = hi << 8 | 0xff;
	}
	ts->port_start = (uint16_t)lo;
	ts->port_end = (uint16_t)hi;
	return 0;
}

int ipx_ts_parse(const char *text, struct ipx_ts *ts)
{
	char buf[160], *br, *p;
	int ret = -EINVAL;

	memset(ts, 0, sizeof(*ts));
	ts->port_end = 0xffff;
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	br = strchr(buf, '[');
	if (br) {
		size_t l = strlen(br);

		if (l < 3 || br[l - 1] != ']')
			return -EINVAL;
		br[l - 1] = 0;
		*br++ = 0;
		if (parse_proto_ports(br, ts) < 0)
			return -EINVAL;
	}
	if ((p = strchr(buf, '/'))) {
		unsigned long plen;
		unsigned bits;
		u128 v, mask;

		*p = 0;
		if (parse_addr(buf, &ts->start) < 0)
			return -EINVAL;
		bits = alen(ts->start.family) * 8;
		if (parse_u(p + 1, bits, &plen) < 0)
			return -EINVAL;
		v = addr_u128(&ts->start);
		mask = block_last(0, bits - (unsigned)plen);
		u128_addr(v & ~mask, ts->start.family, &ts->start);
		u128_addr(v | mask, ts->start.family, &ts->end);
		ret = 0;
	} else if ((p = strchr(buf, '-'))) {
		*p = 0;
		if (parse_addr(buf, &ts->start) < 0 ||
		    parse_addr(p + 1, &ts->end) < 0)
			return -EINVAL;
		ret = 0;
	} else {
		if (parse_addr(buf, &ts->start) < 0)
			return -EINVAL;
		ts->end = ts->start;
		ret = 0;
	}
	if (ret == 0)
		ret = spd_ts_valid(ts);
	return ret;
}

const char *ipx_ts_str(const struct ipx_ts *ts, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct ipx_addr pfx[1];
	uint8_t plen[1];
	int n;

	inet_ntop(ts->start.family, ts->start.a, a, sizeof(a));
	inet_ntop(ts->end.family, ts->end.a, b, sizeof(b));
	n = spd_range_prefixes(&ts->start, &ts->end, pfx, plen, 1);
	if (n == 1)
		n = snprintf(buf, len, "%s/%u", a, plen[0]);
	else
		n = snprintf(buf, len, "%s-%s", a, b);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (ts->proto || ts->port_start != 0 || ts->port_end != 0xffff) {
		size_t u = (size_t)n;

		if (ts->port_start == 0 && ts->port_end == 0xffff)
			snprintf(buf + u, len - u, "[%u]", ts->proto);
		else if (ts->port_start > ts->port_end)
			snprintf(buf + u, len - u, "[%u/opaque]", ts->proto);
		else if (ts->proto == IPPROTO_ICMP || ts->proto == IPPROTO_ICMPV6)
			snprintf(buf + u, len - u, "[%u/0x%04x-0x%04x]", ts->proto,
				 ts->port_start, ts->port_end);
		else
			snprintf(buf + u, len - u, "[%u/%u-%u]", ts->proto,
				 ts->port_start, ts->port_end);
	}
	return buf;
}

/* ---- the table ---------------------------------------------------------- */

/*
 * A 128-bit value at 8-byte alignment, so that the structs below ask no more
 * of the allocator than a pointer does.
 */
typedef u128 u128a __attribute__((aligned(8)));

/* Prefixes that can cover one range: 2 * (bits - 1), 254 for IPv6. */
#define MAX_PFX 256

struct spd_rule {
	/* what a lookup reads first, together */
	u128a rsize;                /* remote range, end - start: key 1 */
	struct ipx_ts l, r;
	uint32_t child;
	/* the rest of the order, read when two candidates compare */
	u128a lsize;                /* local range, end - start: key 2 */
	uint64_t rank;              /* proto any << 32 | remote ports << 16 | local */
	uint64_t order;             /* child add sequence << 16 | rule index */
	struct spd_rule *next;      /* the child's next rule */
};

/*
 * The rules listed under one remote prefix: those with that prefix among the
 * prefixes of their remote range.  Nodes sit in one hash on (family, prefix
 * length, prefix).
 */
struct spd_node {
	u128a key;                  /* the prefix, left-aligned, host bits zero */
	struct spd_node *next;      /* hash chain */
	uint32_t n, cap;
	uint8_t family, plen;
	struct spd_rule *v[];       /* n rules in lookup order */
};

struct spd_child {
	uint32_t id;
	uint32_t nrules;
	struct spd_child *next;     /* hash chain */
	struct spd_rule *rules;
};

static u128 range_size(const struct ipx_ts *ts)
{
	return addr_u128(&ts->end) - addr_u128(&ts->start);
}

static uint32_t port_width(const struct ipx_ts *ts)
{
	return ts->port_start > ts->port_end ? 0
					     : (uint32_t)(ts->port_end - ts->port_start);
}

/* The lookup order of spd.h: negative when a comes first. */
static int rule_cmp(const struct spd_rule *a, const struct spd_rule *b)
{
	if (a->rsize != b->rsize)
		return a->rsize < b->rsize ? -1 : 1;
	if (a->lsize != b->lsize)
		return a->lsize < b->lsize ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The remote address is not checked: the rule was found under a prefix that
 * holds the packet's destination and lies within its remote range. */
static bool rule_match(const struct spd_rule *r, const struct ipx_dp_flow *f)
{
	return ts_ports_match(&r->r, f->proto, f->has_ports, f->dport) &&
	       spd_ts_match(&r->l, &f->src, f->proto, f->has_ports, f->sport);
}

/* ---- nodes: tuple space search on the remote prefix ---------------------- */

/* The address as a key: its bits from the top, IPv4 in the first 32. */
static u128 addr_key(const struct ipx_addr *a)
{
	uint64_t hi = ipx_ld64(a->a), lo = ipx_ld64(a->a + 8);

	if (a->family != AF_INET6) {
		hi &= 0xffffffff00000000ull;
		lo = 0;
	}
	return (u128)hi << 64 | lo;
}

static u128 pfx_mask(unsigned plen)
{
	return plen ? ~(u128)0 << (128 - plen) : 0;
}

static uint32_t pfx_hash(uint8_t family, unsigned plen, u128 key)
{
	uint64_t h = (uint64_t)(key >> 64) * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)key * 0xc2b2ae3d27d4eb4full ^
		     (plen << 1 | (family == AF_INET6)) * 0x165667b19e3779f9ull;

	/* an IPv4 key has no low bits: fold the high ones down */
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	return (uint32_t)(h ^ h >> 32);
}

/* The link to the node of prefix key/plen, or to the NULL ending its chain. */
static struct spd_node **node_link(const struct spd *s, uint8_t family,
				   unsigned plen, u128 key)
{
	struct spd_node **link =
		&s->nodes[pfx_hash(family, plen, key) & (s->nbuckets - 1)];

	while (*link && ((*link)->key != key || (*link)->plen != plen ||
			 (*link)->family != family))
		link = &(*link)->next;
	return link;
}

static void node_rehash(struct spd *s)
{
	struct spd_node **old = s->nodes;
	uint32_t nold = s->nbuckets;

	s->nodes = calloc(nold * 2, sizeof(*s->nodes));
	if (!s->nodes) {            /* longer chains, the same answers */
		s->nodes = old;
		return;
	}
	s->nbuckets = nold * 2;
	for (uint32_t b = 0; b < nold; b++) {
		struct spd_node *n = old[b], *next;

		for (; n; n = next) {
			struct spd_node **link =
				&s->nodes[pfx_hash(n->family, n->plen, n->key) &
					  (s->nbuckets - 1)];

			next = n->next;
			n->next = *link;
			*link = n;
		}
	}
	free(old);
}

/* The prefix lengths with a node, longest first, for the lookup: once a
 * rule, after all its prefixes, so that a rule costs O(bits). */
static void plens_update(struct spd *s)
{
	for (unsigned fi = 0; fi < 2; fi++) {
		unsigned n = 0;

		if (!(s->plens_stale & 1u << fi))
			continue;
		for (int p = 128; p >= 0; p--)
			if (s->nplen[fi][p])
				s->plens[fi][n++] = (uint8_t)p;
		s->nplens[fi] = (uint8_t)n;
	}
	s->plens_stale = 0;
}

/*
 * The link to the node of prefix key/plen, made if missing (with room for
 * one rule, so that a new node always takes its first rule); NULL when out
 * of memory, nothing changed.
 */
static struct spd_node **node_get(struct spd *s, uint8_t family, unsigned plen,
				  u128 key)
{
	struct spd_node **link = node_link(s, family, plen, key), *n;
	unsigned fi = family == AF_INET6;

	if (*link)
		return link;
	if (s->nnodes >= s->nbuckets) {
		node_rehash(s);
		link = node_link(s, family, plen, key);
	}
	n = malloc(sizeof(*n) + sizeof(n->v[0]));
	if (!n)
		return NULL;
	n->key = key;
	n->next = NULL;
	n->n = 0;
	n->cap = 1;
	n->family = family;
	n->plen = (uint8_t)plen;
	*link = n;
	s->nnodes++;
	if (s->nplen[fi][plen]++ == 0)
		s->plens_stale |= (uint8_t)(1u << fi);
	return link;
}

/* Where r goes in (or is in) the node's list. */
static uint32_t node_pos(const struct spd_node *n, const struct spd_rule *r)
{
	uint32_t lo = 0, hi = n->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (rule_cmp(n->v[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Resize the node behind link to room for cap rules; false if out of memory. */
static bool node_resize(struct spd_node **link, uint32_t cap)
{
	struct spd_node *n = realloc(*link, sizeof(*n) + cap * sizeof(n->v[0]));

	if (!n)
		return false;
	n->cap = cap;
	*link = n;
	return true;
}

static int node_insert(struct spd_node **link, struct spd_rule *r)
{
	struct spd_node *n = *link;
	uint32_t i;

	if (n->n == n->cap) {
		if (!node_resize(link, n->cap * 2))
			return -ENOMEM;
		n = *link;
	}
	i = node_pos(n, r);
	memmove(&n->v[i + 1], &n->v[i], (n->n - i) * sizeof(n->v[0]));
	n->v[i] = r;
	n->n++;
	return 0;
}

static void node_remove(struct spd *s, uint8_t family, unsigned plen, u128 key,
			const struct spd_rule *r)
{
	struct spd_node **link = node_link(s, family, plen, key), *n = *link;
	unsigned fi = family == AF_INET6;
	uint32_t i;

	if (!n)
		return;
	i = node_pos(n, r);
	if (i == n->n || n->v[i] != r)
		return;
	memmove(&n->v[i], &n->v[i + 1], (n->n - i - 1) * sizeof(n->v[0]));
	if (--n->n == 0) {
		*link = n->next;
		free(n);
		s->nnodes--;
		if (--s->nplen[fi][plen] == 0)
			s->plens_stale |= (uint8_t)(1u << fi);
	} else if (n->cap >= 8 && n->n <= n->cap / 4) {
		node_resize(link, n->cap / 2);    /* failing is harmless */
	}
}

/* Take r out of the nodes of the first npfx prefixes of its remote range
 * (all: -1). */
static void rule_unlink(struct spd *s, const struct spd_rule *r, int npfx)
{
	struct ipx_addr pfx[MAX_PFX];
	uint8_t plen[MAX_PFX];
	int n = spd_range_prefixes(&r->r.start, &r->r.end, pfx, plen, MAX_PFX);

	if (npfx >= 0 && npfx < n)
		n = npfx;
	for (int i = 0; i < n; i++)
		node_remove(s, pfx[i].family, plen[i], addr_key(&pfx[i]), r);
	plens_update(s);
}

/* List r at the node of each prefix of its remote range. */
static int rule_link(struct spd *s, struct spd_rule *r)
{
	struct ipx_addr pfx[MAX_PFX];
	uint8_t plen[MAX_PFX];
	int n = spd_range_prefixes(&r->r.start, &r->r.end, pfx, plen, MAX_PFX);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct spd_node **link = node_get(s, pfx[i].family, plen[i],
						  addr_key(&pfx[i]));

		if (!link || node_insert(link, r) < 0) {
			rule_unlink(s, r, i);
			return -ENOMEM;
		}
	}
	plens_update(s);
	return 0;
}

/* ---- children ------------------------------------------------------------ */

static struct spd_child **child_link(const struct spd *s, uint32_t id)
{
	uint32_t h = id * 0x9e3779b1u;
	struct spd_child **link = &s->cbuckets[(h ^ h >> 16) & (s->ncbuckets - 1)];

	while (*link && (*link)->id != id)
		link = &(*link)->next;
	return link;
}

static int child_rehash(struct spd *s)
{
	struct spd_child **old = s->cbuckets;
	uint32_t nold = s->ncbuckets;

	s->cbuckets = calloc(nold * 2, sizeof(*s->cbuckets));
	if (!s->cbuckets) {
		s->cbuckets = old;
		return -ENOMEM;
	}
	s->ncbuckets = nold * 2;
	for (uint32_t b = 0; b < nold; b++) {
		struct spd_child *c = old[b], *next;

		for (; c; c = next) {
			struct spd_child **link = child_link(s, c->id);

			next = c->next;
			c->next = *link;
			*link = c;
		}
	}
	free(old);
	return 0;
}

/* The child's record, made if missing; NULL when out of memory. */
static struct spd_child *child_get(struct spd *s, uint32_t id)
{
	struct spd_child **link = child_link(s, id);

	if (*link)
		return *link;
	if (s->nchildren >= s->ncbuckets) {
		if (child_rehash(s) < 0)
			return NULL;
		link = child_link(s, id);
	}
	*link = calloc(1, sizeof(**link));
	if (!*link)
		return NULL;
	(*link)->id = id;
	s->nchildren++;
	return *link;
}

/* ---- the SPD -------------------------------------------------------------- */

int spd_init(struct spd *s)
{
	memset(s, 0, sizeof(*s));
	s->ncbuckets = s->nbuckets = 64;
	s->cbuckets = calloc(s->ncbuckets, sizeof(*s->cbuckets));
	s->nodes = calloc(s->nbuckets, sizeof(*s->nodes));
	s->cache = calloc(SPD_CACHE_SIZE, sizeof(*s->cache));
	s->gen = 1;
	if (!s->cbuckets || !s->nodes || !s->cache) {
		spd_free(s);
		return -ENOMEM;
	}
	return 0;
}

void spd_free(struct spd *s)
{
	for (uint32_t b = 0; s->cbuckets && b < s->ncbuckets; b++) {
		struct spd_child *c = s->cbuckets[b], *cnext;

		for (; c; c = cnext) {
			struct spd_rule *r = c->rules, *rnext;

			for (; r; r = rnext) {
				rnext = r->next;
				free(r);
			}
			cnext = c->next;
			free(c);
		}
	}
	for (uint32_t b = 0; s->nodes && b < s->nbuckets; b++) {
		struct spd_node *n = s->nodes[b], *nnext;

		for (; n; n = nnext) {
			nnext = n->next;
			free(n);
		}
	}
	free(s->nodes);
	free(s->cbuckets);
	free(s->cache);
	memset(s, 0, sizeof(*s));
}

int spd_remove(struct spd *s, uint32_t child)
{
	struct spd_child **link = child_link(s, child), *c = *link;
	struct spd_rule *r, *next;
	uint32_t removed;

	if (!c)
		return -ENOENT;
	*link = c->next;
	s->nchildren--;
	removed = c->nrules;
	for (r = c->rules; r; r = next) {
		next = r->next;
		rule_unlink(s, r, -1);
		free(r);
	}
	free(c);
	s->nrules -= removed;
	s->gen++;
	return removed ? 0 : -ENOENT;
}

static struct spd_rule *rule_new(uint32_t child, const struct ipx_ts *l,
				 const struct ipx_ts *r, uint64_t order)
{
	struct spd_rule *x = malloc(sizeof(*x));

	if (!x)
		return NULL;
	x->l = *l;
	x->r = *r;
	x->rsize = range_size(r);
	x->lsize = range_size(l);
	x->rank = (uint64_t)(r->proto == 0) << 32 | port_width(r) << 16 |
		  port_width(l);
	x->order = order;
	x->child = child;
	x->next = NULL;
	return x;
}

int spd_add(struct spd *s, uint32_t child, const struct ipx_ts *local,
	    unsigned nl, const struct ipx_ts *remote, unsigned nr)
{
	uint64_t seq = ++s->seq;
	struct spd_child *c = NULL;

	if (!nl || !nr || nl > 0xffff / nr)
		return -EINVAL;
	for (unsigned i = 0; i < nl; i++)
		if (spd_ts_valid(&local[i]) < 0)
			return -EINVAL;
	for (unsigned i = 0; i < nr; i++)
		if (spd_ts_valid(&remote[i]) < 0)
			return -EINVAL;
	for (unsigned i = 0; i < nl; i++) {
		for (unsigned j = 0; j < nr; j++) {
			struct spd_rule *r;

			/* an IPv4 local with an IPv6 remote selects nothing */
			if (local[i].start.family != remote[j].start.family)
				continue;
			if (!c && !(c = child_get(s, child)))
				goto nomem;
			r = rule_new(child, &local[i], &remote[j], seq << 16 | (i * nr + j));
			if (!r)
				goto nomem;
			if (rule_link(s, r) < 0) {
				free(r);
				goto nomem;
			}
			r->next = c->rules;
			c->rules = r;
			c->nrules++;
			s->nrules++;
		}
	}
	s->gen++;
	return 0;
nomem:
	spd_remove(s, child);
	return -ENOMEM;
}

/* The first rule of the node's list that matches, if it comes before best. */
static const struct spd_rule *node_best(const struct spd_node *n,
					const struct ipx_dp_flow *f,
					const struct spd_rule *best)
{
	for (uint32_t i = 0; i < n->n; i++) {
		if (best && rule_cmp(n->v[i], best) > 0)
			break;
		if (rule_match(n->v[i], f))
			return n->v[i];
	}
	return best;
}

uint32_t spd_lookup_slow(const struct spd *s, const struct ipx_dp_flow *f)
{
	const struct spd_rule *best = NULL;
	unsigned fi, bits;
	u128 key;

	if (f->dst.family != AF_INET && f->dst.family != AF_INET6)
		return IPX_DP_CHILD_NONE;
	fi = f->dst.family == AF_INET6;
	bits = alen(f->dst.family) * 8;
	key = addr_key(&f->dst);
	for (unsigned i = 0; i < s->nplens[fi]; i++) {
		unsigned p = s->plens[fi][i];
		const struct spd_node *n;

		/* a rule listed under a /p covers at least 2^(bits - p)
		 * addresses: none from here on can come before best */
		if (best && best->rsize < block_last(0, bits - p))
			break;
		n = *node_link(s, f->dst.family, p, key & pfx_mask(p));
		if (n)
			best = node_best(n, f, best);
	}
	return best ? best->child : IPX_DP_CHILD_NONE;
}

static bool addr_eq(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, alen(a->family));
}

static bool flow_eq(const struct ipx_dp_flow *a, const struct ipx_dp_flow *b)
{
	return a->proto == b->proto && a->has_ports == b->has_ports &&
	       a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst);
}

static uint32_t addr_hash(const struct ipx_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull ^ a->family;

	for (unsigned i = 0; i < alen(a->family); i++)
		h = (h ^ a->a[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t flow_hash(const struct ipx_dp_flow *f)
{
	uint32_t h = addr_hash(&f->dst) * 31 + addr_hash(&f->src);

	h ^= (uint32_t)f->proto << 24 ^ (uint32_t)f->sport << 16 ^ f->dport;
	h *= 0x9e3779b1u;
	return h >> 20;   /* SPD_CACHE_SIZE = 4096 = 2^12 */
}

uint32_t spd_lookup(struct spd *s, const struct ipx_dp_flow *f)
{
	struct spd_cache_ent *e = &s->cache[flow_hash(f) & (SPD_CACHE_SIZE - 1)];

	if (e->gen == s->gen && flow_eq(&e->key, f)) {
		s->cache_hits++;
		return e->child;
	}
	s->cache_misses++;
	e->key = *f;
	e->gen = s->gen;
	e->child = spd_lookup_slow(s, f);
	return e->child;
}
