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

struct spd_rule {
	struct ipx_ts l, r;
	uint32_t child;
	uint64_t order;             /* child add sequence << 16 | rule index */
};

struct spd_host {
	struct ipx_addr a;
	struct spd_host *next;
	struct spd_rule **v;        /* in lookup order */
	uint32_t n, cap;
};

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

bool spd_ts_match(const struct ipx_ts *ts, const struct ipx_addr *a,
		  uint8_t proto, bool has_ports, uint16_t port)
{
	if (ts->start.family != a->family)
		return false;
	if (addr_cmp(a, &ts->start) < 0 || addr_cmp(a, &ts->end) > 0)
		return false;
	if (ts->proto && ts->proto != proto)
		return false;
	if (ts->port_start > ts->port_end)  /* OPAQUE (RFC 4301 4.4.1.1) */
		return !has_ports;
	if (!has_ports)
		return ts->port_start == 0 && ts->port_end == 0xffff;
	return port >= ts->port_start && port <= ts->port_end;
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
	u128 x, y;

	x = range_size(&a->r), y = range_size(&b->r);
	if (x != y)
		return x < y ? -1 : 1;
	x = range_size(&a->l), y = range_size(&b->l);
	if (x != y)
		return x < y ? -1 : 1;
	if ((a->r.proto == 0) != (b->r.proto == 0))
		return a->r.proto ? -1 : 1;
	if (port_width(&a->r) != port_width(&b->r))
		return port_width(&a->r) < port_width(&b->r) ? -1 : 1;
	if (port_width(&a->l) != port_width(&b->l))
		return port_width(&a->l) < port_width(&b->l) ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool rule_match(const struct spd_rule *r, const struct ipx_dp_flow *f)
{
	return spd_ts_match(&r->r, &f->dst, f->proto, f->has_ports, f->dport) &&
	       spd_ts_match(&r->l, &f->src, f->proto, f->has_ports, f->sport);
}

static uint32_t addr_hash(const struct ipx_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull ^ a->family;

	for (unsigned i = 0; i < alen(a->family); i++)
		h = (h ^ a->a[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static bool addr_eq(const struct ipx_addr *a, const struct ipx_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, alen(a->family));
}

int spd_init(struct spd *s)
{
	memset(s, 0, sizeof(*s));
	s->nhbuckets = 64;
	s->hbuckets = calloc(s->nhbuckets, sizeof(*s->hbuckets));
	s->cache = calloc(SPD_CACHE_SIZE, sizeof(*s->cache));
	s->gen = 1;
	if (!s->hbuckets || !s->cache) {
		spd_free(s);
		return -ENOMEM;
	}
	return 0;
}

static void free_rules_list(struct spd_rule **v, uint32_t n)
{
	/* a rule lives in exactly one list */
	for (uint32_t i = 0; i < n; i++)
		free(v[i]);
}

void spd_free(struct spd *s)
{
	for (uint32_t b = 0; s->hbuckets && b < s->nhbuckets; b++) {
		struct spd_host *h = s->hbuckets[b], *next;

		for (; h; h = next) {
			next = h->next;
			free_rules_list(h->v, h->n);
			free(h->v);
			free(h);
		}
	}
	free(s->hbuckets);
	if (s->wide)
		free_rules_list(s->wide, s->nwide);
	free(s->wide);
	free(s->cache);
	memset(s, 0, sizeof(*s));
}

static struct spd_host *host_find(const struct spd *s, const struct ipx_addr *a)
{
	struct spd_host *h = s->hbuckets[addr_hash(a) & (s->nhbuckets - 1)];

	while (h && !addr_eq(&h->a, a))
		h = h->next;
	return h;
}

static int host_rehash(struct spd *s)
{
	uint32_t nb = s->nhbuckets * 2;
	struct spd_host **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nhbuckets; i++) {
		struct spd_host *h = s->hbuckets[i], *next;

		for (; h; h = next) {
			uint32_t k = addr_hash(&h->a) & (nb - 1);

			next = h->next;
			h->next = b[k];
			b[k] = h;
		}
	}
	free(s->hbuckets);
	s->hbuckets = b;
	s->nhbuckets = nb;
	return 0;
}

/* Insert r into the ordered list v (n entries, capacity cap). */
static int list_insert(struct spd_rule ***v, uint32_t *n, uint32_t *cap,
		       struct spd_rule *r)
{
	uint32_t lo = 0, hi = *n;

	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 4;
		struct spd_rule **nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	while (lo < hi) {   /* first position whose rule sorts after r */
		uint32_t mid = (lo + hi) / 2;

		if (rule_cmp((*v)[mid], r) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(*v + lo + 1, *v + lo, (*n - lo) * sizeof(**v));
	(*v)[lo] = r;
	(*n)++;
	return 0;
}

static bool is_host(const struct ipx_ts *ts)
{
	return addr_eq(&ts->start, &ts->end);
}

static int rule_insert(struct spd *s, struct spd_rule *r)
{
	struct spd_host *h;

	if (!is_host(&r->r))
		return list_insert(&s->wide, &s->nwide, &s->capwide, r);
	h = host_find(s, &r->r.start);
	if (!h) {
		if (s->nhosts >= s->nhbuckets && host_rehash(s) < 0)
			return -ENOMEM;
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		h->a = r->r.start;
		h->next = s->hbuckets[addr_hash(&h->a) & (s->nhbuckets - 1)];
		s->hbuckets[addr_hash(&h->a) & (s->nhbuckets - 1)] = h;
		s->nhosts++;
	}
	return list_insert(&h->v, &h->n, &h->cap, r);
}

/* Remove the rules of child from list v; returns how many. */
static uint32_t list_remove(struct spd_rule **v, uint32_t *n, uint32_t child)
{
	uint32_t j = 0, removed = 0;

	for (uint32_t i = 0; i < *n; i++) {
		if (v[i]->child == child) {
			free(v[i]);
			removed++;
		} else {
			v[j++] = v[i];
		}
	}
	*n = j;
	return removed;
}

int spd_remove(struct spd *s, uint32_t child)
{
	uint32_t removed = list_remove(s->wide, &s->nwide, child);

	/* every bucket: a child's host rules may sit under several addresses */
	for (uint32_t b = 0; b < s->nhbuckets; b++) {
		struct spd_host **pp = &s->hbuckets[b];

		while (*pp) {
			struct spd_host *h = *pp;

			removed += list_remove(h->v, &h->n, child);
			if (h->n == 0) {
				*pp = h->next;
				free(h->v);
				free(h);
				s->nhosts--;
			} else {
				pp = &h->next;
			}
		}
	}
	s->nrules -= removed;
	s->gen++;
	return removed ? 0 : -ENOENT;
}

int spd_add(struct spd *s, uint32_t child, const struct ipx_ts *local,
	    unsigned nl, const struct ipx_ts *remote, unsigned nr)
{
	uint64_t seq = ++s->seq;

	if (!nl || !nr || nl * nr > 0xffff)
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
			r = calloc(1, sizeof(*r));
			if (!r)
				goto nomem;
			r->l = local[i];
			r->r = remote[j];
			r->child = child;
			r->order = seq << 16 | (i * nr + j);
			if (rule_insert(s, r) < 0) {
				free(r);
				goto nomem;
			}
			s->nrules++;
		}
	}
	s->gen++;
	return 0;
nomem:
	spd_remove(s, child);
	return -ENOMEM;
}

uint32_t spd_lookup_slow(const struct spd *s, const struct ipx_dp_flow *f)
{
	const struct spd_host *h = host_find(s, &f->dst);

	if (h)
		for (uint32_t i = 0; i < h->n; i++)
			if (rule_match(h->v[i], f))
				return h->v[i]->child;
	for (uint32_t i = 0; i < s->nwide; i++)
		if (rule_match(s->wide[i], f))
			return s->wide[i]->child;
	return IPX_DP_CHILD_NONE;
}

static bool flow_eq(const struct ipx_dp_flow *a, const struct ipx_dp_flow *b)
{
	return a->proto == b->proto && a->has_ports == b->has_ports &&
	       a->sport == b->sport && a->dport == b->dport &&
	       addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst);
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
