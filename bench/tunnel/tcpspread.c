/*
 * tcpspread: TCP bulk traffic spread over many address pairs, for the
 * bench/tunnel variants with many Child SAs (docs/tunnel-performance.md,
 * "Many Child SAs").  iperf3 binds one source address per client, so its
 * streams all fall under one pair of /32 selectors: one Child SA.  Here
 * every connection has its own (source, destination) pair, given one per
 * line in a file, so that with one Child SA per pair the load is spread
 * evenly over that many Child SAs.
 *
 *   tcpspread server PORT COUNT SECONDS
 *       accept connections (COUNT expected) on any address, read and
 *       discard; print the bits/s received over SECONDS from the first
 *       byte on, and exit (stderr: how the bytes divided between the
 *       connections)
 *   tcpspread client PAIRS PORT SECONDS
 *       one connection per "SRC DST" line of PAIRS (IPv4), SRC bound,
 *       each written to as fast as it takes data, for SECONDS; then close.
 *       Give it a second or two more than the server's window.
 *
 * Every connection is written to whenever it can take data (epoll, level
 * triggered), like iperf3's writes of 128 KiB, so the TCP stacks and not
 * the generator decide how the load divides between connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (128 * 1024)
#define MAX_CONNS 65536

static uint8_t buf[CHUNK];

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
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How the window's bytes divided between the connections (stderr). */
static void report_spread(uint64_t *per, unsigned n, uint64_t bytes)
{
	unsigned busy = 0;

	qsort(per, n, sizeof(*per), cmp_u64);
	for (unsigned i = 0; i < n; i++)
		busy += per[i] > 0;
	fprintf(stderr, "tcpspread server: %llu bytes in the window over %u connections, "
		"%u of them with data; per connection min %llu, median %llu, max %llu\n",
		(unsigned long long)bytes, n, busy, n ? (unsigned long long)per[0] : 0ULL,
		n ? (unsigned long long)per[n / 2] : 0ULL,
		n ? (unsigned long long)per[n - 1] : 0ULL);
}

static int server(int port, unsigned count, double secs)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event ev, evs[256];
	uint64_t *per = calloc(MAX_CONNS, sizeof(*per));   /* window bytes, by accept order */
	unsigned *conn = calloc(MAX_CONNS, sizeof(*conn)); /* fd -> accept order */
	unsigned accepted = 0;
	uint64_t bytes = 0;
	double t0 = 0, end = now() + secs + 60;
	int one = 1, lfd, ep = -1;

	raise_nofile(count);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!per || !conn || lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0 ||
	    nonblock(lfd) < 0 || (ep = epoll_create1(0)) < 0) {
		perror("tcpspread server");
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening\n");
	fflush(stdout);
	/* the window: SECS from the first byte on, all of it inside the
	 * client's sending time (it sends longer) */
	while (now() < end) {
		int n = epoll_wait(ep, evs, 256, 100);
		double t = now();

		if (t0 && t >= t0 + secs)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (fd >= MAX_CONNS || accepted == MAX_CONNS) {
						close(fd);
						continue;
					}
					ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
					conn[fd] = accepted++;
				}
				continue;
			}
			while ((r = read(fd, buf, sizeof(buf))) > 0) {
				if (!t0)
					t0 = now();
				bytes += (uint64_t)r;
				per[conn[fd]] += (uint64_t)r;
			}
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
	report_spread(per, accepted, bytes);
	if (accepted < count)
		fprintf(stderr, "tcpspread server: %u of %u connections accepted\n",
			accepted, count);
	printf("%llu\n", t0 ? (unsigned long long)(bytes * 8 / secs) : 0ULL);
	free(per);
	free(conn);
	return 0;
}

static int connect_one(const char *src, const char *dst, int port, int ep)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct epoll_event ev;
	int fd;

	if (inet_pton(AF_INET, src, &s.sin_addr) != 1 ||
	    inet_pton(AF_INET, dst, &d.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0 ||
	    (connect(fd, (struct sockaddr *)&d, sizeof(d)) < 0 && errno != EINPROGRESS)) {
		int e = errno;

		static unsigned told;

		if (told++ < 3)
			fprintf(stderr, "tcpspread client: %s -> %s: %s\n", src, dst,
				strerror(e));
		close(fd);
		return -e;
	}
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return fd;
}

static int client(const char *pairs, int port, double secs)
{
	char src[64], dst[64];
	struct epoll_event evs[256];
	int *fds = malloc(MAX_CONNS * sizeof(*fds));
	uint8_t *sent = calloc(MAX_CONNS, 1);   /* by fd: has carried data */
	unsigned n = 0, failed = 0;
	FILE *f = fopen(pairs, "r");
	int ep = epoll_create1(0);
	double end;

	if (!f || !fds || !sent || ep < 0) {
		perror("tcpspread client");
		return 1;
	}
	raise_nofile(MAX_CONNS);
	while (n < MAX_CONNS && fscanf(f, "%63s %63s", src, dst) == 2) {
		int fd = connect_one(src, dst, port, ep);

		if (fd >= MAX_CONNS) {
			close(fd);
			fd = -1;
		}
		if (fd < 0)
			failed++;
		else
			fds[n++] = fd;
	}
	fclose(f);
	end = now() + secs;
	while (now() < end) {
		int k = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd;

			/* one write per wake-up and connection: each gets its
			 * turn; the server leaving at the end of its window
			 * resets the rest, which is no failure */
			if ((evs[i].events & (EPOLLERR | EPOLLHUP)) ||
			    (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0 && errno != EAGAIN)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				failed += !sent[fd];
				continue;
			}
			sent[fd] = 1;
		}
	}
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	if (failed)
		fprintf(stderr, "tcpspread client: %u of %u connections failed\n", failed,
			n + failed);
	free(fds);
	free(sent);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), (unsigned)atoi(argv[3]), atof(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atof(argv[4]));
	fprintf(stderr, "usage: tcpspread server PORT COUNT SECONDS\n"
			"       tcpspread client PAIRS PORT SECONDS\n");
	return 2;
}
