/*
 * rtnetlink through libmnl: link MTU and state, addresses and routes on the
 * TUN device.  Control path only; each request waits for the kernel's ack.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include <ipsecfx/log.h>

#include "dp_internal.h"

struct dp_rtnl {
	struct mnl_socket *nl;
	uint32_t seq, portid;
	char buf[8192];
};

int rtnl_open(struct dp_rtnl **out)
{
	struct dp_rtnl *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		ipx_err("dataplane: rtnetlink: %s", strerror(e));
		if (r->nl)
			mnl_socket_close(r->nl);
		free(r);
		return -e;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (uint32_t)time(NULL);
	*out = r;
	return 0;
}

void rtnl_close(struct dp_rtnl *r)
{
	if (!r)
		return;
	mnl_socket_close(r->nl);
	free(r);
}

/* Send nlh and wait for its ack: 0 or the kernel's -errno. */
static int talk(struct dp_rtnl *r, struct nlmsghdr *nlh)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(r->nl, r->buf, sizeof(r->buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(r->buf, (size_t)n, seq, r->portid, NULL, NULL);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *start(struct dp_rtnl *r, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++r->seq;
	return nlh;
}

int rtnl_link_no_ll6(struct dp_rtnl *r, int ifindex)
{
	struct nlmsghdr *nlh = start(r, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *af, *in6;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	return talk(r, nlh);
}

int rtnl_link_set(struct dp_rtnl *r, int ifindex, uint32_t mtu, uint32_t txqlen,
		  bool up)
{
	struct nlmsghdr *nlh = start(r, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	return talk(r, nlh);
}

static unsigned alen(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

int rtnl_addr(struct dp_rtnl *r, bool add, int ifindex, const struct ipx_addr *a,
	      uint8_t plen)
{
	struct nlmsghdr *nlh = start(r, add ? RTM_NEWADDR : RTM_DELADDR,
				     add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* IFA_LOCAL is the address of a point-to-point device (IPv4) */
	mnl_attr_put(nlh, IFA_LOCAL, alen(a->family), a->a);
	mnl_attr_put(nlh, IFA_ADDRESS, alen(a->family), a->a);
	if (a->family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return talk(r, nlh);
}

int rtnl_route(struct dp_rtnl *r, bool add, int ifindex,
	       const struct ipx_addr *dst, uint8_t plen,
	       const struct ipx_addr *prefsrc, uint32_t table)
{
	struct nlmsghdr *nlh = start(r, add ? RTM_NEWROUTE : RTM_DELROUTE,
				     add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen(dst->family), dst->a);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (prefsrc && prefsrc->family == dst->family)
		mnl_attr_put(nlh, RTA_PREFSRC, alen(dst->family), prefsrc->a);
	return talk(r, nlh);
}
