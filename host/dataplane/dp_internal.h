/* Data plane internals shared by dp.c, net.c, tun.c, rtnl.c. */
#ifndef IPSECFX_DP_INTERNAL_H
#define IPSECFX_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "dataplane.h"
#include "gso.h"
#include "spd.h"

/* Buffers.  Headroom covers the engine's outer headers (ipx_encap_overhead
 * is at most 40 + 8 + 8 + 16 = 72 bytes) and the IP/UDP header written in
 * front of a received datagram for the engine (48 bytes). */
#define DP_HEADROOM 128
#define DP_TAILROOM 64
#define DP_POOL_BUFS 2048
#define DP_TX_MAX 512           /* inner packets per encrypt burst */
#define DP_RX_VLEN 32           /* datagrams per recvmmsg */
#define DP_RX_MAX 512           /* packets per decrypt burst */
#define DP_RX_BIG 65536         /* a UDP GRO datagram is at most 64 KiB */
#define DP_RX_SEG_MIN 512       /* smallest GRO segment received in place */
#define DP_TUN_BUF (GSO_VNET_LEN + 65536)
#define DP_MAX_IN_SAS 4         /* inbound SAs per child during rekeys */
#define DP_UDP_SEGS 64          /* UDP GSO segments per send */
#define DP_EVQ 256
#define DP_ACQ 32

/* A fixed pool of equal buffers: a stack of free ones.  Nothing on the
 * packet path calls malloc. */
struct dp_pool {
	uint8_t *mem;
	uint32_t buf_size, count, nfree;
	uint8_t **free;
};

static inline uint8_t *dp_pool_get(struct dp_pool *p)
{
	return p->nfree ? p->free[--p->nfree] : NULL;
}

static inline void dp_pool_put(struct dp_pool *p, uint8_t *b)
{
	p->free[p->nfree++] = b;
}

enum dp_sock_kind { DP_SOCK_IKE, DP_SOCK_NATT, DP_SOCK_ESP };

struct dp_sock {
	struct ipx_dp *dp;
	int fd;
	uint8_t kind;             /* enum dp_sock_kind */
	uint8_t family;
	uint16_t port;            /* UDP port (host order); 0 for raw */
	struct ipx_addr bound;    /* family 0: the wildcard */
	bool gso, gro;            /* UDP_SEGMENT / UDP_GRO in use */
	uint32_t rx_seg;          /* NAT-T: GRO segment size last seen, 0: none */
	struct event *ev;
};

struct dp_child {
	uint32_t id;
	uint64_t user;
	struct ipx_ts *lts, *rts;
	unsigned nl, nr;
	uint32_t sa_out, spi_out;
	uint32_t sa_in[DP_MAX_IN_SAS], spi_in[DP_MAX_IN_SAS];
	unsigned n_in;
	struct ipx_dp_endpoint local, peer;
	bool encap, routes;
	struct dp_sock *sock;     /* where its ESP leaves */
	struct sockaddr_storage peer_sa;
	socklen_t peer_len;
	struct ipx_dp_child_stats st;
};

/* What one sendmmsg message carries (for counters). */
struct dp_msg_info {
	struct dp_child *child;
	uint32_t packets, bytes;
	uint16_t seg;             /* UDP_SEGMENT size, 0 = none */
};

struct dp_route {
	struct ipx_addr pfx;
	uint8_t plen;
	bool owned;               /* we added it: we remove it */
	uint32_t refs;
};

struct dp_rtnl;

/* Routes (or addresses) by prefix: the array for walking it, an index for
 * finding one (dp_map.c). */
struct dp_rset {
	struct dp_route *v;
	uint32_t n, cap;
	uint32_t *idx;            /* position in v + 1; 0: free slot */
	uint32_t slots;           /* a power of 2, or 0 */
};

/* SA handle -> child id, open addressing (linear probing). */
struct dp_samap {
	uint32_t *key, *val;
	uint32_t cap, n;
};

struct ipx_dp {
	struct event_base *base;
	struct ipx_engine *eng;
	struct ipx_dp_callbacks cb;
	struct ipx_dp_stats st;
	uint32_t batch;
	uint16_t ike_port, natt_port;
	uint32_t mtu, route_table, sock_buf;
	bool udp_gso_ok, udp_gro_ok;

	/* TUN */
	int tun_fd, ifindex;
	char ifname[16];
	bool vnet;                /* IFF_VNET_HDR: offloads on */
	struct event *tun_ev;
	uint8_t *tunbuf;          /* one read: vnet header + up to 64 KiB */

	/* network */
	struct dp_sock *socks;
	unsigned nsocks;
	struct dp_rtnl *rtnl;

	/* children and policy */
	struct dp_child **child;
	uint32_t nchild_slots, nchildren;
	struct spd spd;
	struct dp_samap samap;
	struct dp_rset routes;      /* to the TUN, with their references */
	struct dp_rset addrs;       /* on the TUN */

	/* packets */
	struct dp_pool pool;
	struct ipx_pkt tx[DP_TX_MAX];
	struct dp_child *txc[DP_TX_MAX];
	unsigned ntx;
	struct ipx_pkt rx[DP_RX_MAX];
	unsigned nrx;
	struct gro_pkt gro[DP_RX_MAX];
	/* recvmmsg state for UDP sockets (big buffers, see net.c) */
	uint8_t *rxbig;
	struct mmsghdr rmsg[DP_RX_VLEN];
	struct iovec riov[DP_RX_VLEN];
	struct sockaddr_storage rname[DP_RX_VLEN];
	uint8_t rctl[DP_RX_VLEN][64];
	uint8_t *rawbuf[DP_RX_VLEN]; /* pool buffers lent to a raw recvmmsg */
	/* pool buffers lent to a NAT-T recvmmsg, an iovec each (net.c) */
	uint8_t *scbuf[DP_RX_MAX];
	struct iovec sciov[DP_RX_MAX];
	uint32_t txlen[DP_TX_MAX];  /* inner lengths, for the counters */
	unsigned rxok[DP_RX_MAX];   /* decrypted packets that passed */
	/* sendmmsg state */
	struct dp_msg_info minfo[DP_TX_MAX];
	struct mmsghdr smsg[DP_TX_MAX];
	struct iovec siov[DP_TX_MAX];
	uint8_t sctl[DP_TX_MAX][64];

	/* things handed up once a batch is done */
	struct ipx_event evq[DP_EVQ];
	uint32_t evq_child[DP_EVQ];
	uint64_t evq_user[DP_EVQ];
	unsigned nev;
	uint64_t ev_lost;
	struct ipx_dp_flow acq[DP_ACQ];
	unsigned nacq;
	struct { uint32_t hash; int64_t ms; } acq_seen[64];   /* last report, ms */
	/* ESP for an SPI the daemon offered in a request whose answer has
	 * not been processed yet (the responder may use the SA first) */
	struct dp_samap expect;     /* SPI -> 1 */
	struct ipx_pkt hold[IPX_DP_HOLD];
	int64_t hold_ms[IPX_DP_HOLD];   /* when first held */
	unsigned nhold;
	bool hold_replay;           /* an expected SPI went: try them again */
	int64_t rx_held_ms[DP_RX_MAX]; /* rx[i] came out of hold then; 0: fresh */
	/* RFC 4303 3.4.2 audit of unknown SPIs: at most one line a second */
	int64_t spi_audit_ms;
	uint64_t spi_audit_quiet;   /* not logged since the last line */
};

/* net.c */
int net_open(struct ipx_dp *dp, const struct ipx_dp_config *cfg);
void net_close(struct ipx_dp *dp);
struct dp_sock *net_sock_for(struct ipx_dp *dp, uint8_t kind, uint16_t port,
			     const struct ipx_addr *local, uint8_t family);
/* Send the encrypted packets dp->tx[0..ntx) whose status is OK. */
void net_send_tx(struct ipx_dp *dp);
int net_send_one(struct ipx_dp *dp, struct dp_sock *s,
		 const struct ipx_dp_endpoint *local,
		 const struct ipx_dp_endpoint *remote,
		 const struct iovec *iov, unsigned niov);

/* RFC 3948 2.2: what a datagram on the NAT-T port is. */
enum dp_natt_kind { DP_NATT_ESP, DP_NATT_IKE, DP_NATT_KEEPALIVE, DP_NATT_BAD };
enum dp_natt_kind dp_natt_classify(const uint8_t *p, uint32_t len);

/* tun.c */
int tun_open(struct ipx_dp *dp, const char *name, bool offload);
void tun_close(struct ipx_dp *dp);
void tun_write_rx(struct ipx_dp *dp, unsigned *idx, unsigned n);

/* rtnl.c: rtnetlink through libmnl */
int rtnl_open(struct dp_rtnl **out);
void rtnl_close(struct dp_rtnl *r);
/* No IPv6 link-local address (and so no router solicitations or MLD) on a
 * device that only carries routed traffic. */
int rtnl_link_no_ll6(struct dp_rtnl *r, int ifindex);
int rtnl_link_set(struct dp_rtnl *r, int ifindex, uint32_t mtu, uint32_t txqlen,
		  bool up);
int rtnl_addr(struct dp_rtnl *r, bool add, int ifindex, const struct ipx_addr *a,
	      uint8_t plen);
int rtnl_route(struct dp_rtnl *r, bool add, int ifindex,
	       const struct ipx_addr *dst, uint8_t plen,
	       const struct ipx_addr *prefsrc, uint32_t table);

/* dp.c: the packet paths call back into the core */
void dp_tx_flush(struct ipx_dp *dp);
void dp_rx_flush(struct ipx_dp *dp);
void dp_tun_packet(struct ipx_dp *dp, uint8_t *p, uint32_t len);
void dp_tun_packet_buf(struct ipx_dp *dp, uint8_t *b, uint32_t len);
void dp_deliver(struct ipx_dp *dp);
void dp_ike_up(struct ipx_dp *dp, const uint8_t *msg, uint32_t len,
	       const struct ipx_dp_endpoint *local,
	       const struct ipx_dp_endpoint *remote, bool natt);
struct dp_child *dp_child_by_sa(struct ipx_dp *dp, uint32_t sa);
/* dp_child.c: every route and address we added, removed (close). */
void dp_routes_clear(struct ipx_dp *dp);
/* dp_map.c: the SA handle -> child map and the expected SPIs. */
uint32_t dp_map_get(const struct dp_samap *m, uint32_t key);
int dp_map_put(struct dp_samap *m, uint32_t key, uint32_t val);
void dp_map_del(struct dp_samap *m, uint32_t key);
/* dp_map.c: the route sets.  find: NULL when absent; add: a new entry at
 * the end of v (the caller fills it in; NULL: no memory); del: r goes, the
 * last entry takes its place (pointers into v are invalidated). */
struct dp_route *dp_rset_find(const struct dp_rset *s, const struct ipx_addr *pfx,
			      uint8_t plen);
struct dp_route *dp_rset_add(struct dp_rset *s, const struct ipx_addr *pfx, uint8_t plen);
void dp_rset_del(struct dp_rset *s, struct dp_route *r);
void dp_rset_free(struct dp_rset *s);

/* helpers */
void dp_addr_to_sa(const struct ipx_addr *a, uint16_t port,
		   struct sockaddr_storage *ss, socklen_t *len);
void dp_sa_to_addr(const struct sockaddr_storage *ss, struct ipx_addr *a,
		   uint16_t *port);
const char *dp_addr_str(const struct ipx_addr *a, char *buf, size_t len);

#endif
