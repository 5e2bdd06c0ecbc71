/*
 * The TUN device: clear packets of the protected networks.  With offloads
 * (IFF_VNET_HDR + TUNSETOFFLOAD TSO/CSUM) one read() brings a whole TCP
 * super-packet (up to 64 KiB) that dp.c segments, and one writev() hands
 * the kernel a run of decrypted TCP segments joined into one (gso.c), so a
 * bulk transfer costs a few system calls per 64 KiB instead of one per
 * packet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ipsecfx/log.h>

#include "dp_internal.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

static void tun_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ipx_dp *dp = arg;
	bool done = false;

	(void)what;
	/* bounded work per wake-up, so the network side gets its turn */
	for (int round = 0; round < 4 && !done; round++) {
		for (uint32_t r = 0; r < dp->batch; r++) {
			ssize_t n;

			if (dp->vnet) {
				n = read(fd, dp->tunbuf, DP_TUN_BUF);
			} else {
				/* one packet of at most the MTU: straight into a
				 * buffer of the pool, no copy */
				uint8_t *b;

				if (dp->ntx == DP_TX_MAX)
					dp_tx_flush(dp);
				b = dp_pool_get(&dp->pool);
				if (!b) {
					dp->st.drops[IPX_DP_DROP_NO_BUFFER]++;
					done = true;
					break;
				}
				n = read(fd, b + DP_HEADROOM,
					 dp->pool.buf_size - DP_HEADROOM - DP_TAILROOM);
				if (n > 0) {
					dp->st.tun_rx_reads++;
					dp_tun_packet_buf(dp, b, (uint32_t)n);
					continue;
				}
				dp_pool_put(&dp->pool, b);
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					ipx_warn("dataplane: tun %s: read: %s",
						 dp->ifname, strerror(errno));
				done = true;
				break;
			}
			if (n == 0) {
				done = true;
				break;
			}
			dp->st.tun_rx_reads++;
			dp_tun_packet(dp, dp->tunbuf, (uint32_t)n);
		}
		dp_tx_flush(dp);
	}
	dp_deliver(dp);
}

int tun_open(struct ipx_dp *dp, const char *name, bool offload)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		ipx_err("dataplane: /dev/net/tun: %s", strerror(e));
		return -e;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	if (name && *name)
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	else
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "ipsecfx%%d");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		ipx_err("dataplane: tun %s: TUNSETIFF: %s", ifr.ifr_name, strerror(e));
		close(fd);
		return -e;
	}
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", ifr.ifr_name);
	dp->tun_fd = fd;
	if (offload) {
		/* ask for the most, settle for what the kernel has: USO came
		 * in Linux 6.2, TSO and CSUM long before */
		static const unsigned tries[] = {
			TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
			TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
			TUN_F_CSUM,
		};
		int hl = (int)GSO_VNET_LEN;
		unsigned i;

		if (ioctl(fd, TUNSETVNETHDRSZ, &hl) < 0)
			ipx_warn("dataplane: tun %s: TUNSETVNETHDRSZ: %s",
				 dp->ifname, strerror(errno));
		for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
			if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0)
				break;
		if (i == sizeof(tries) / sizeof(tries[0]))
			ipx_warn("dataplane: tun %s: no offloads (%s)", dp->ifname,
				 strerror(errno));
		else if (i > 0)
			ipx_info("dataplane: tun %s: offloads limited to 0x%x",
				 dp->ifname, tries[i]);
		dp->vnet = true;
	}
	dp->ifindex = (int)if_nametoindex(dp->ifname);
	dp->tunbuf = malloc(DP_TUN_BUF);
	dp->tun_ev = event_new(dp->base, fd, EV_READ | EV_PERSIST, tun_read_cb, dp);
	if (!dp->tunbuf || !dp->tun_ev || event_add(dp->tun_ev, NULL) < 0 ||
	    dp->ifindex <= 0)
		return -ENOMEM;
	return 0;
}

void tun_close(struct ipx_dp *dp)
{
	if (dp->tun_ev)
		event_free(dp->tun_ev);
	dp->tun_ev = NULL;
	if (dp->tun_fd >= 0)
		close(dp->tun_fd);
	dp->tun_fd = -1;
	free(dp->tunbuf);
	dp->tunbuf = NULL;
}

static void tun_error(struct ipx_dp *dp, unsigned packets)
{
	dp->st.drops[IPX_DP_DROP_TUN_ERROR] += packets;
	ipx_dbg("dataplane: tun %s: write: %s", dp->ifname, strerror(errno));
}

/* Write the accepted decrypted packets dp->rx[idx[0..n)], in order. */
void tun_write_rx(struct ipx_dp *dp, unsigned *idx, unsigned n)
{
	struct iovec iov[2 + 64];
	struct virtio_net_hdr vh;

	if (!dp->vnet) {
		for (unsigned k = 0; k < n; k++) {
			struct ipx_pkt *p = &dp->rx[idx[k]];

			dp->st.tun_tx_writes++;
			if (write(dp->tun_fd, p->buf + p->off, p->len) < 0) {
				tun_error(dp, 1);
				continue;
			}
			dp->st.tun_tx_packets++;
			dp->st.tun_tx_bytes += p->len;
		}
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		struct ipx_pkt *p = &dp->rx[idx[k]];

		dp->gro[k] = (struct gro_pkt){ .p = p->buf + p->off, .len = p->len };
	}
	gro_plan(dp->gro, n);
	for (unsigned k = 0; k < n; k++) {
		struct gro_pkt *g = &dp->gro[k];
		uint32_t bytes = g->len;
		unsigned niov = 2;

		if (g->nmemb == 0)
			continue;   /* written with its group's head */
		memset(&vh, 0, sizeof(vh));
		iov[0] = (struct iovec){ &vh, sizeof(vh) };
		iov[1] = (struct iovec){ g->p, g->len };
		if (g->nmemb > 1) {
			bytes = gro_head_finish(dp->gro, k, &vh);
			for (int32_t j = g->next; j >= 0; j = dp->gro[j].next)
				iov[niov++] = (struct iovec){
					dp->gro[j].p + dp->gro[j].hdr_len,
					dp->gro[j].len - dp->gro[j].hdr_len };
		}
		dp->st.tun_tx_writes++;
		if (writev(dp->tun_fd, iov, (int)niov) < 0) {
			tun_error(dp, g->nmemb);
			continue;
		}
		if (g->nmemb > 1)
			dp->st.tun_tx_super++;
		dp->st.tun_tx_packets += g->nmemb;
		/* inner bytes as they were: headers of the members too */
		dp->st.tun_tx_bytes += bytes + (uint32_t)(g->nmemb - 1) * g->hdr_len;
	}
}
