/*
 * Traffic selectors (RFC 7296 3.13.1): their text form in the
 * configuration and the logs ("10.1.0.0/16[tcp/443]"), and the narrowing
 * of one by another (2.9).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ts.h"

static int parse_proto(const char *s, uint8_t *proto)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "any", 0 }, { "icmp", 1 }, { "tcp", 6 }, { "udp", 17 },
		{ "gre", 47 }, { "esp", 50 }, { "icmp6", 58 }, { "ipv6-icmp", 58 },
		{ "sctp", 132 },
	};
	char *end;
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*proto = names[i].num;
			return 0;
		}
	v = strtoul(s, &end, 10);
	if (!*s || *end || v > 255)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

static int parse_port(const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	if (strcmp(s, "any") == 0 || strcmp(s, "%any") == 0) {
		*lo = 0;
		*hi = 65535;
		return 0;
	}
	a = strtoul(s, &end, 10);
	if (end == s || a > 65535)
		return -EINVAL;
	if (*end == '-') {
		const char *t = end + 1;

		b = strtoul(t, &end, 10);
		if (end == t || *end || b > 65535 || b < a)
			return -EINVAL;
	} else if (*end) {
		return -EINVAL;
	} else {
		b = a;
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* first..last of a prefix */
static void prefix_range(uint8_t *start, uint8_t *end, int bytes, int plen)
{
	for (int i = 0; i < bytes; i++) {
		int bits = plen - i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		end[i] = (uint8_t)(start[i] | ~mask);
		start[i] &= mask;
	}
}

int ike_ts_parse(const char *s, struct ike_ts *ts, const char **why)
{
	char buf[160], *br, *slash, *dash;
	int fam;

	memset(ts, 0, sizeof(*ts));
	ts->end_port = 65535;
	if (strlen(s) >= sizeof(buf)) {
		*why = "too long";
		return -EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	br = strchr(buf, '[');
	if (br) {
		char *close = strchr(br, ']'), *pslash;

		if (!close || close[1]) {
			*why = "expected [protocol] or [protocol/port] at the end";
			return -EINVAL;
		}
		*close = 0;
		*br = 0;
		pslash = strchr(br + 1, '/');
		if (pslash)
			*pslash = 0;
		if (parse_proto(br + 1, &ts->proto) < 0) {
			*why = "unknown protocol";
			return -EINVAL;
		}
		if (pslash) {
			if (parse_port(pslash + 1, &ts->start_port, &ts->end_port) < 0) {
				*why = "bad port or port range";
				return -EINVAL;
			}
			if (ts->proto == 0 && !(ts->start_port == 0 && ts->end_port == 65535)) {
				*why = "ports need a protocol";
				return -EINVAL;
			}
		}
	}
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	ts->type = fam == AF_INET ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE;
	slash = strchr(buf, '/');
	dash = strchr(buf, '-');
	if (slash) {
		char *end;
		long plen;

		*slash = 0;
		plen = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || plen < 0 ||
		    plen > (fam == AF_INET ? 32 : 128)) {
			*why = "bad prefix length";
			return -EINVAL;
		}
		if (inet_pton(fam, buf, ts->start) != 1) {
			*why = "bad address";
			return -EINVAL;
		}
		prefix_range(ts->start, ts->end, fam == AF_INET ? 4 : 16, (int)plen);
	} else if (dash) {
		*dash = 0;
		if (inet_pton(fam, buf, ts->start) != 1 ||
		    inet_pton(fam, dash + 1, ts->end) != 1) {
			*why = "bad address range";
			return -EINVAL;
		}
		if (memcmp(ts->start, ts->end, fam == AF_INET ? 4 : 16) > 0) {
			*why = "range start above its end";
			return -EINVAL;
		}
	} else {
		if (inet_pton(fam, buf, ts->start) != 1) {
			*why = "bad address";
			return -EINVAL;
		}
		memcpy(ts->end, ts->start, 16);
	}
	return 0;
}

const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t len)
{
	int fam = ts->type == IKEV2_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	int bytes = fam == AF_INET ? 4 : 16, plen = -1;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t n;

	inet_ntop(fam, ts->start, a, sizeof(a));
	inet_ntop(fam, ts->end, b, sizeof(b));
	/* a prefix when start..end is one */
	for (int p = 0; p <= bytes * 8 && plen < 0; p++) {
		uint8_t s[16], e[16];

		memcpy(s, ts->start, 16);
		prefix_range(s, e, bytes, p);
		if (memcmp(s, ts->start, bytes) == 0 && memcmp(e, ts->end, bytes) == 0)
			plen = p;
	}
	if (plen >= 0)
		n = (size_t)snprintf(buf, len, "%s/%d", a, plen);
	else
		n = (size_t)snprintf(buf, len, "%s-%s", a, b);
	if (n < len && (ts->proto || ts->start_port || ts->end_port != 65535)) {
		/* the names parse_proto() reads, numbers otherwise */
		char pn[8];
		const char *name = ts->proto == 1 ? "icmp" : ts->proto == 6 ? "tcp" :
				   ts->proto == 17 ? "udp" : ts->proto == 47 ? "gre" :
				   ts->proto == 58 ? "icmp6" : ts->proto == 132 ? "sctp" : NULL;

		if (!name) {
			snprintf(pn, sizeof(pn), "%u", ts->proto);
			name = pn;
		}
		if (ts->start_port == 0 && ts->end_port == 65535)
			snprintf(buf + n, len - n, "[%s]", name);
		else if (ts->start_port == ts->end_port)
			snprintf(buf + n, len - n, "[%s/%u]", name, ts->start_port);
		else
			snprintf(buf + n, len - n, "[%s/%u-%u]", name,
				 ts->start_port, ts->end_port);
	}
	return buf;
}

void ike_ts_from_addr(const struct sockaddr_storage *ss, struct ike_ts *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->end_port = 65535;
	if (ss->ss_family == AF_INET) {
		ts->type = IKEV2_TS_IPV4_ADDR_RANGE;
		memcpy(ts->start, &((const struct sockaddr_in *)ss)->sin_addr, 4);
		memcpy(ts->end, ts->start, 4);
	} else {
		ts->type = IKEV2_TS_IPV6_ADDR_RANGE;
		memcpy(ts->start, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
		memcpy(ts->end, ts->start, 16);
	}
}

unsigned ike_ts_alen(const struct ike_ts *t)
{
	return t->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
}

bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
		      struct ike_ts *out)
{
	unsigned n = ike_ts_alen(a);

	if (a->type != b->type)
		return false;
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	memset(out, 0, sizeof(*out));
	out->type = a->type;
	out->proto = a->proto ? a->proto : b->proto;
	out->start_port = a->start_port > b->start_port ? a->start_port : b->start_port;
	out->end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
	if (out->start_port > out->end_port)
		return false;
	memcpy(out->start, memcmp(a->start, b->start, n) > 0 ? a->start : b->start, n);
	memcpy(out->end, memcmp(a->end, b->end, n) < 0 ? a->end : b->end, n);
	return memcmp(out->start, out->end, n) <= 0;
}

bool ike_same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}
