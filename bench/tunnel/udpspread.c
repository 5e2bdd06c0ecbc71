/*
 * udpspread: UDP datagrams spread over many address pairs, for the
 * bench/tunnel UDP variants with many Child SAs (docs/tunnel-performance.md,
 * "Many Child SAs").  The sibling of tcpspread: the same PAIRS file, but
 * the load does not depend on 1,000 TCP connections' congestion control,
 * so that the same packets can be sent through 10,000 Child SAs, through
 * one Child SA for the same pairs, and through one Child SA for one pair.
 *
 *   udpspread server PAIRS PORT SECONDS
 *       receive on PORT of every address (one socket, recvmmsg); print the
 *       bits/s of UDP payload received over SECONDS from the first
 *       datagram on, and exit (stderr: how the datagrams divided between
 *       the pairs of PAIRS); 0 if none came within SECONDS + 10 s
 *   udpspread client [-s SIZE] [-b BATCH] PAIRS PORT SECONDS
 *       one UDP socket per "SRC DST" line of PAIRS (IPv4), SRC bound and
 *       connected to DST:PORT; for SECONDS, in turn over the pairs,
 *       BATCH datagrams (default 16) of SIZE bytes of payload (default
 *       1400) to each with one sendmmsg.  Give it a second more than the
 *       server's window.  The datagrams are sent with DF: one that does
 *       not fit the route's MTU is an error, not two fragments.
 *
 * The client sends as fast as it can: nothing pushes back on UDP (a TUN
 * device drops when its queue is full), so the figure is what the path
 * carries, with the same sender in every variant.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 65536
#define MAX_SIZE 65507
#define MAX_BATCH 256
#define RX_BATCH 64
#define RX_SIZE 2048         /* room per received datagram; more is truncated */
#define SOCK_BUF (16 << 20)

struct pair {
	uint64_t key;        /* src << 32 | dst, host order */
	unsigned idx;        /* line in PAIRS */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void raise_nofile(unsigned need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < need + 64) {
		r.rlim_cur = r.rlim_max < need + 64 ? r.rlim_max : need + 64;
		if (setrlimit(RLIMIT_NOFILE, &r) < 0)
			perror("udpspread: setrlimit");
	}
}

/* A socket buffer of SOCK_BUF, past rmem_max/wmem_max when root. */
static void big_buf(int fd, int opt, int force)
{
	int v = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v)) < 0)
		perror("udpspread: socket buffer");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_pair(const void *a, const void *b)
{
	return cmp_u64(&((const struct pair *)a)->key, &((const struct pair *)b)->key);
}

/* PAIRS: "SRC DST" per line; *n pairs in file order; -1 on error (told). */
static struct pair *read_pairs(const char *path, unsigned *n)
{
	char src[64], dst[64];
	struct in_addr s, d;
	struct pair *p = calloc(MAX_PAIRS, sizeof(*p));
	FILE *f = fopen(path, "r");
	int r;

	*n = 0;
	if (!p || !f) {
		fprintf(stderr, "udpspread: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	while ((r = fscanf(f, "%63s %63s", src, dst)) == 2) {
		if (*n == MAX_PAIRS) {
			fprintf(stderr, "udpspread: %s: more than %u pairs\n", path, MAX_PAIRS);
			goto fail;
		}
		if (inet_pton(AF_INET, src, &s) != 1 || inet_pton(AF_INET, dst, &d) != 1) {
			fprintf(stderr, "udpspread: %s: not an IPv4 pair: %s %s\n", path, src, dst);
			goto fail;
		}
		p[*n].key = (uint64_t)ntohl(s.s_addr) << 32 | ntohl(d.s_addr);
		p[*n].idx = *n;
		(*n)++;
	}
	if (r != EOF || ferror(f) || !*n) {
		fprintf(stderr, "udpspread: %s: %s\n", path,
			ferror(f) ? strerror(errno) : "no \"SRC DST\" lines");
		goto fail;
	}
	fclose(f);
	return p;
fail:
	if (f)
		fclose(f);
	free(p);
	return NULL;
}

/* How the window's datagrams divided between the pairs (stderr). */
static void report_spread(uint64_t *per, unsigned n, uint64_t dgrams, uint64_t other)
{
	unsigned busy = 0;

	qsort(per, n, sizeof(*per), cmp_u64);
	for (unsigned i = 0; i < n; i++)
		busy += per[i] > 0;
	fprintf(stderr, "udpspread server: %llu datagrams in the window over %u pairs, "
		"%u of them with data, %u with none; per pair min %llu, median %llu, "
		"max %llu; %llu from no pair\n",
		(unsigned long long)dgrams, n, busy, n - busy, (unsigned long long)per[0],
		(unsigned long long)per[n / 2], (unsigned long long)per[n - 1],
		(unsigned long long)other);
}

static int server(const char *pairs, int port, double secs)
{
	static uint8_t bufs[RX_BATCH][RX_SIZE];
	static char ctl[RX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	static struct sockaddr_in from[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	static struct mmsghdr m[RX_BATCH];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned n;
	struct pair *p = read_pairs(pairs, &n);
	uint64_t *per = p ? calloc(n, sizeof(*per)) : NULL;
	uint64_t bytes = 0, dgrams = 0, other = 0;
	double t0 = 0, end = now() + secs + 10;
	int one = 1, fd;

	if (!p || !per)
		return 1;
	qsort(p, n, sizeof(*p), cmp_pair);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("udpspread server");
		return 1;
	}
	big_buf(fd, SO_RCVBUF, SO_RCVBUFFORCE);
	printf("listening\n");
	fflush(stdout);
	while (now() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int k = poll(&pfd, 1, 100);
		double t;

		if (k < 0 && errno != EINTR) {
			perror("udpspread server: poll");
			return 1;
		}
		if (k <= 0)
			goto check;
		for (int i = 0; i < RX_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], RX_SIZE };
			m[i].msg_hdr = (struct msghdr){
				.msg_name = &from[i], .msg_namelen = sizeof(from[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctl[i], .msg_controllen = sizeof(ctl[i]),
			};
		}
		k = recvmmsg(fd, m, RX_BATCH, MSG_DONTWAIT, NULL);
		if (k < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror("udpspread server: recvmmsg");
			return 1;
		}
		t = now();
		if (t0 && t >= t0 + secs)
			break;
		if (!t0)
			t0 = t;
		for (int i = 0; i < k; i++) {
			struct msghdr *h = &m[i].msg_hdr;
			struct cmsghdr *c;
			struct pair key = { 0 }, *hit = NULL;

			/* the datagram's own length, even if truncated */
			bytes += m[i].msg_len;
			dgrams++;
			for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;

					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					key.key = (uint64_t)ntohl(from[i].sin_addr.s_addr) << 32 |
						  ntohl(pi.ipi_addr.s_addr);
					hit = bsearch(&key, p, n, sizeof(*p), cmp_pair);
				}
			if (hit)
				per[hit->idx]++;
			else
				other++;
		}
		continue;
check:
		if (t0 && now() >= t0 + secs)
			break;
	}
	report_spread(per, n, dgrams, other);
	printf("%llu\n", t0 ? (unsigned long long)(bytes * 8 / secs) : 0ULL);
	free(per);
	free(p);
	return 0;
}

static int client(const char *pairs, int port, double secs, unsigned size, unsigned batch)
{
	static struct mmsghdr m[MAX_BATCH];
	static struct iovec iov;
	unsigned n, i;
	struct pair *p = read_pairs(pairs, &n);
	int *fds = p ? malloc(n * sizeof(*fds)) : NULL;
	int pmtu = IP_PMTUDISC_DO;
	uint8_t *buf = calloc(1, size);
	uint64_t sent = 0, calls = 0, refused = 0, nobufs = 0;
	double end;

	if (!p || !fds || !buf) {
		if (p)
			perror("udpspread client");
		return 1;
	}
	raise_nofile(n);
	for (i = 0; i < n; i++) {
		struct sockaddr_in s = { .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(p[i].key >> 32) };
		struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl((uint32_t)p[i].key) };
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0 ||
		    setsockopt(fds[i], IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
		    bind(fds[i], (struct sockaddr *)&s, sizeof(s)) < 0 ||
		    connect(fds[i], (struct sockaddr *)&d, sizeof(d)) < 0) {
			fprintf(stderr, "udpspread client: %s -> %s: %s\n",
				inet_ntop(AF_INET, &s.sin_addr, a, sizeof(a)),
				inet_ntop(AF_INET, &d.sin_addr, b, sizeof(b)), strerror(errno));
			return 1;
		}
		big_buf(fds[i], SO_SNDBUF, SO_SNDBUFFORCE);
	}
	iov = (struct iovec){ buf, size };
	for (i = 0; i < batch; i++)
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	end = now() + secs;
	for (i = 0;; i = i + 1 == n ? 0 : i + 1) {
		int k;

		if (!(calls++ & 63) && now() >= end)
			break;
		k = sendmmsg(fds[i], m, batch, 0);
		if (k >= 0) {
			sent += (unsigned)k;
			continue;
		}
		/* an ICMP error of an earlier datagram (the server not yet
		 * there or gone at the end of its window), a full queue */
		if (errno == ECONNREFUSED)
			refused++;
		else if (errno == ENOBUFS || errno == EAGAIN)
			nobufs++;
		else if (errno == EMSGSIZE) {
			fprintf(stderr, "udpspread client: %u bytes of payload do not fit the "
				"route's MTU (with 28 bytes of IPv4 and UDP headers)\n", size);
			return 1;
		} else if (errno != EINTR) {
			perror("udpspread client: sendmmsg");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	fprintf(stderr, "udpspread client: %llu datagrams of %u bytes sent over %u pairs in "
		"%.1f s (%.2f Gbit/s offered); %llu calls refused, %llu out of buffers\n",
		(unsigned long long)sent, size, n, secs, sent * size * 8 / secs / 1e9,
		(unsigned long long)refused, (unsigned long long)nobufs);
	free(fds);
	free(buf);
	free(p);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: udpspread server PAIRS PORT SECONDS\n"
			"       udpspread client [-s SIZE] [-b BATCH] PAIRS PORT SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned size = 1400, batch = 16;
	int a = 2;

	if (argc == 5 && !strcmp(argv[1], "server"))
		return server(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc < 2 || strcmp(argv[1], "client"))
		return usage();
	while (a + 1 < argc && argv[a][0] == '-') {
		int is_s = !strcmp(argv[a], "-s"), is_b = !strcmp(argv[a], "-b");
		unsigned long max = is_s ? MAX_SIZE : MAX_BATCH, v;
		char *e;

		errno = 0;
		v = strtoul(argv[a + 1], &e, 10);
		if ((!is_s && !is_b) || errno || *e || e == argv[a + 1] || v < 1 || v > max) {
			fprintf(stderr, "udpspread client: bad %s %s (-s SIZE 1-%u, -b BATCH 1-%u)\n",
				argv[a], argv[a + 1], MAX_SIZE, MAX_BATCH);
			return 2;
		}
		*(is_s ? &size : &batch) = (unsigned)v;
		a += 2;
	}
	if (argc - a != 3)
		return usage();
	return client(argv[a], atoi(argv[a + 1]), atof(argv[a + 2]), size, batch);
}
