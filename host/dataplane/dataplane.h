/*
 * The data plane: every packet the appliance moves, between a TUN device
 * (clear traffic of the protected networks) and the network (ESP, plain or
 * UDP-encapsulated, and IKE datagrams), through the ESP engine.
 *
 * Use by ipsecfxd (single thread, the daemon's libevent loop):
 *
 *   ipx_dp_open(base, eng, &cfg, &dp)     TUN up, UDP 500/4500 and raw ESP
 *                                         sockets open, events on base
 *   ipx_dp_set_callbacks(dp, &cb)         IKE datagrams, acquires, engine
 *                                         events come back through these
 *   ipx_dp_ike_send(dp, &local, &remote, msg, len)
 *   ipx_dp_expect_spi(dp, spi, true)      an inbound SPI offered, its SA
 *                                         not installed yet (and false
 *                                         once it is, or never will be)
 *   -- IKE_AUTH / CREATE_CHILD_SA done: the daemon adds both ESP SAs to the
 *      engine itself (ipx_sa_add), then:
 *   ipx_dp_child_add(dp, &params, &child) SPD entries, routes, SA map
 *   ipx_dp_child_update(dp, child, IPX_DP_UPD_PEER, &params)   NAT moved
 *   ipx_dp_child_update(dp, child, IPX_DP_UPD_SAS, &params)    rekeyed:
 *       the new outbound SA takes over at once; the previous inbound SA
 *       stays accepted (make-before-break) until
 *   (IPX_DP_UPD_IN: only a new inbound SA, the outbound one unchanged)
 *   ipx_dp_child_retire_in(dp, child, old_in_sa), then ipx_sa_delete()
 *   ipx_dp_child_delete(dp, child)        then ipx_sa_delete() both SAs
 *   ipx_dp_keepalive_send(dp, &local, &remote)   when the NAT-T timer says
 *   ipx_dp_stats / ipx_dp_stats_json   `ipsecfx stats`
 *   ipx_dp_child_stats / ipx_dp_child_drops_json   per Child SA (list-sas)
 *   ipx_dp_close(dp)                      routes and addresses removed
 *
 * The data plane never adds or deletes engine SAs; it only reads their
 * handles, and updates the outbound SA's outer addresses and ports with
 * ipx_sa_update(IPX_UPD_ADDRS) when the daemon says the peer moved.  It
 * drains ipx_events() after every burst and hands each event up, so the
 * daemon must not call ipx_events() itself.  Callbacks run from the event
 * loop after a batch is complete: the daemon may call any function of this
 * API from inside them (child_add, child_delete, ike_send...).
 *
 * All functions return 0 or a negative errno value.  Documentation:
 * docs/dataplane.md.
 */
#ifndef IPSECFX_DATAPLANE_H
#define IPSECFX_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include <ipsecfx/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IPX_DP_CHILD_NONE UINT32_MAX

/*
 * A traffic selector (RFC 7296 3.13.1): an address range, an IP protocol
 * (0 = any) and a port range.  Ports 0-65535 are any; 65535-0 is OPAQUE
 * (matches only packets whose ports are not available, e.g. non-initial
 * fragments, RFC 4301 4.4.1.1).  For ICMP and ICMPv6 the port is
 * (type << 8 | code) (RFC 7296 3.13.1).
 */
struct ipx_ts {
	struct ipx_addr start, end;   /* same family, start <= end */
	uint8_t proto;
	uint16_t port_start, port_end;
};

/* Parse "10.1.0.0/24", "10.1.0.1-10.1.0.9", "fd00::/64", each optionally
 * followed by "[proto]" or "[proto/port]" or "[proto/lo-hi]" where proto is
 * tcp, udp, icmp, icmpv6, sctp or a number and, for icmp/icmpv6, port is the
 * type (all codes).  0 or -EINVAL. */
int ipx_ts_parse(const char *text, struct ipx_ts *ts);
/* Inverse of ipx_ts_parse (buffer of at least 128 bytes). */
const char *ipx_ts_str(const struct ipx_ts *ts, char *buf, size_t len);

/* An address and a UDP port (port ignored where it does not apply). */
struct ipx_dp_endpoint {
	struct ipx_addr addr;
	uint16_t port;
};

/* The 5-tuple of a packet, as the acquire callback sees it. */
struct ipx_dp_flow {
	struct ipx_addr src, dst;
	uint8_t proto;
	bool has_ports;              /* false: no ports (or a later fragment) */
	uint16_t sport, dport;       /* ICMP: type << 8 | code in both */
};

struct ipx_dp_config {
	const char *tun_name;        /* NULL or "": the kernel picks ipsecfxN */
	uint32_t mtu;                /* TUN MTU; 0 = 1400 */
	uint16_t ike_port;           /* 0 = 500 */
	uint16_t natt_port;          /* 0 = 4500 (RFC 3948) */
	/* Addresses to bind the sockets to; none: the wildcard of each family. */
	const struct ipx_addr *local;
	unsigned n_local;
	bool no_ipv6;                /* with no local addresses: IPv4 only */
	bool no_raw_esp;             /* no plain (IP protocol 50) ESP */
	uint32_t route_table;        /* routes to remote selectors; 0 = main */
	/* Knobs for measuring the optimisations one by one (bench/tunnel);
	 * the defaults (all false / 0) are the fast path. */
	bool no_tun_offload;         /* no IFF_VNET_HDR TSO/GRO on the TUN */
	bool no_udp_gso, no_udp_gro;
	uint32_t batch;              /* packets per burst; 0 = 64, 1 = none */
	uint32_t sock_buf;           /* socket buffer bytes; 0 = 4 MiB */
};

/*
 * A Child SA as the data plane sees it.  Outbound: packets from the TUN
 * whose (src, dst, proto, ports) fall in (local_ts x remote_ts) are
 * encrypted with sa_out and sent from local to peer; over UDP (RFC 3948)
 * from the NAT-T socket when encap is set, else over IP protocol 50.
 * Inbound: packets decrypted by sa_in must come from remote_ts to local_ts
 * (RFC 4301 5.2).
 */
struct ipx_dp_child_params {
	const struct ipx_ts *local_ts;
	unsigned n_local_ts;
	const struct ipx_ts *remote_ts;
	unsigned n_remote_ts;
	uint32_t sa_out, sa_in;      /* engine handles from ipx_sa_add */
	uint32_t spi_out, spi_in;    /* for logs and stats */
	struct ipx_dp_endpoint local, peer; /* ports: NAT-T only; 0 = natt_port */
	bool encap;                  /* UDP encapsulation */
	uint8_t mode;                /* IPX_MODE_TUNNEL (transport: -EOPNOTSUPP) */
	bool no_routes;              /* do not route remote_ts to the TUN */
	uint64_t user;               /* the daemon's cookie, given back */
};

/* What ipx_dp_child_update changes. */
enum {
	IPX_DP_UPD_PEER = 1u << 0,   /* local, peer, encap */
	IPX_DP_UPD_SAS = 1u << 1,    /* sa_out/spi_out replace the outbound SA;
	                              * sa_in/spi_in are accepted in addition */
	IPX_DP_UPD_USER = 1u << 2,
	IPX_DP_UPD_IN = 1u << 3,     /* sa_in/spi_in accepted in addition; the
	                              * outbound SA stays whichever it is */
};

/* Callbacks; any may be NULL.  local/remote are the datagram's addresses and
 * ports; natt: it came on the NAT-T port (the non-ESP marker is stripped). */
struct ipx_dp_callbacks {
	void (*ike)(void *arg, const uint8_t *msg, size_t len,
		    const struct ipx_dp_endpoint *local,
		    const struct ipx_dp_endpoint *remote, bool natt);
	/* A packet from the TUN matched no Child SA (start_action=trap).
	 * The same 5-tuple is reported at most once a second. */
	void (*acquire)(void *arg, const struct ipx_dp_flow *flow);
	/* An engine event (lifetime, sequence number); child is
	 * IPX_DP_CHILD_NONE for SAs no Child SA holds. */
	void (*event)(void *arg, const struct ipx_event *ev, uint32_t child,
		      uint64_t child_user);
	void *arg;
};

/* Drop reasons of the data plane itself (the engine's statuses are
 * counted separately, by direction). */
#define IPX_DP_DROP_LIST(X)                                                   \
	X(NO_POLICY, "no_policy", "outbound packet matched no Child SA")      \
	X(SELECTOR, "selector_mismatch", "decrypted packet outside its Child SA's selectors (RFC 4301 5.2)") \
	X(NOT_ESP, "not_esp", "datagram on the NAT-T port that is not IKE, keepalive or ESP (RFC 3948 2.2)") \
	X(BAD_INNER, "bad_inner", "packet from the TUN that is not a whole IPv4/IPv6 packet") \
	X(BAD_GSO, "bad_gso", "TUN super-packet that cannot be segmented")   \
	X(NO_CHILD, "no_child", "decrypted by an SA that no Child SA holds")  \
	X(TOO_BIG, "too_big", "packet larger than the buffers")               \
	X(NO_BUFFER, "no_buffer", "buffer pool empty")                        \
	X(TX_ERROR, "tx_error", "the kernel refused to send")                 \
	X(TUN_ERROR, "tun_error", "the kernel refused a TUN write")           \
	X(TRUNCATED, "truncated", "datagram larger than the receive buffer")

enum ipx_dp_drop {
#define IPX_DP_X(n, s, d) IPX_DP_DROP_##n,
	IPX_DP_DROP_LIST(IPX_DP_X)
#undef IPX_DP_X
	IPX_DP_DROP__COUNT
};
const char *ipx_dp_drop_name(enum ipx_dp_drop d);

struct ipx_dp_stats {
	uint64_t tun_rx_packets, tun_rx_bytes;  /* inner packets, after GSO split */
	uint64_t tun_rx_reads, tun_rx_super;    /* read() calls; of them TSO */
	uint64_t tun_tx_packets, tun_tx_bytes;  /* inner packets written */
	uint64_t tun_tx_writes, tun_tx_super;   /* write calls; of them coalesced */
	uint64_t esp_tx_packets, esp_tx_bytes;  /* ESP packets sent (ESP bytes) */
	uint64_t esp_tx_calls, esp_tx_gso;      /* sendmmsg calls; UDP GSO runs */
	uint64_t esp_rx_packets, esp_rx_bytes;  /* ESP packets handed to the engine */
	uint64_t esp_rx_held;                   /* held for an SA being negotiated */
	uint64_t net_rx_calls, net_rx_gro;      /* recvmmsg calls; GRO datagrams */
	uint64_t net_rx_copied;     /* NAT-T datagrams copied, not received in place */
	uint64_t ike_rx, ike_tx, keepalive_rx, keepalive_tx;
	uint64_t acquires;                      /* acquire callbacks made */
	uint64_t udp_rx_overflows;  /* dropped by the kernel on the IKE and NAT-T
				     * sockets (full: not read in time) */
	uint64_t drops[IPX_DP_DROP__COUNT];
	uint64_t enc_drops[IPX_ST__COUNT];      /* engine status, outbound */
	uint64_t dec_drops[IPX_ST__COUNT];      /* engine status, inbound */
	uint32_t children;
	bool tun_offload, udp_gso, udp_gro;     /* what the kernel accepted */
};

struct ipx_dp_child_stats {
	uint64_t out_packets, out_bytes;        /* inner packets encrypted and sent */
	uint64_t in_packets, in_bytes;          /* inner packets decrypted and passed */
	uint64_t selector_drops, tx_errors;
	uint64_t enc_drops[IPX_ST__COUNT];
	uint64_t dec_drops[IPX_ST__COUNT];
};

struct ipx_dp;

int ipx_dp_open(struct event_base *base, struct ipx_engine *eng,
		const struct ipx_dp_config *cfg, struct ipx_dp **out);
/* Remove the routes and addresses added, close everything.  The engine
 * and its SAs are the caller's. */
void ipx_dp_close(struct ipx_dp *dp);
void ipx_dp_set_callbacks(struct ipx_dp *dp, const struct ipx_dp_callbacks *cb);
const char *ipx_dp_tun_name(const struct ipx_dp *dp);
int ipx_dp_tun_ifindex(const struct ipx_dp *dp);

/* An address on the TUN (a virtual IP from a configuration payload),
 * removed at close if it was not there before. */
int ipx_dp_addr_add(struct ipx_dp *dp, const struct ipx_addr *a, uint8_t plen);
int ipx_dp_addr_del(struct ipx_dp *dp, const struct ipx_addr *a, uint8_t plen);

/* Route a selector's addresses to the TUN without a Child SA (for
 * start_action: trap: the packets then raise acquires), or drop that
 * reference again (add = false).  Reference-counted with the Child SAs'
 * routes. */
int ipx_dp_route_ts(struct ipx_dp *dp, const struct ipx_ts *ts, bool add);

/* Send an IKE message from local (address, port: the IKE or NAT-T port) to
 * remote.  On the NAT-T port the non-ESP marker is prepended (RFC 3948 2.2).
 * local->addr may be unset (family 0): the kernel picks the source. */
int ipx_dp_ike_send(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
		    const struct ipx_dp_endpoint *remote, const void *msg,
		    size_t len);
/* Datagrams the kernel dropped so far on the IKE and NAT-T sockets because
 * they were full (SO_MEMINFO's drop count): what turns the IKE flood guard
 * on (host/ike/ike_guard.h). */
uint64_t ipx_dp_udp_rx_overflows(const struct ipx_dp *dp);
/* A NAT-keepalive (one 0xFF byte, RFC 3948 2.3) from the NAT-T port. */
int ipx_dp_keepalive_send(struct ipx_dp *dp, const struct ipx_dp_endpoint *local,
			  const struct ipx_dp_endpoint *remote);

int ipx_dp_child_add(struct ipx_dp *dp, const struct ipx_dp_child_params *p,
		     uint32_t *child);
int ipx_dp_child_update(struct ipx_dp *dp, uint32_t child, unsigned mask,
			const struct ipx_dp_child_params *p);
#define IPX_DP_HOLD 64          /* ESP packets held for SAs being negotiated */
#define IPX_DP_HOLD_MS 2000     /* ... each for at most this long */

/* on: spi is an inbound SPI the daemon has offered in a request whose
 * answer it has not processed yet.  The responder installs its SAs before
 * it answers and may send on them at once: ESP for spi that comes first is
 * held (at most IPX_DP_HOLD packets in all, each for IPX_DP_HOLD_MS;
 * docs/dataplane.md) and decrypted once the SA is installed, instead of being
 * dropped for an unknown SPI.  off: installed, or given up; what is still
 * held for it is decrypted or dropped at the next burst. */
int ipx_dp_expect_spi(struct ipx_dp *dp, uint32_t spi, bool on);
/* Stop accepting packets decrypted by an earlier inbound SA of the child. */
int ipx_dp_child_retire_in(struct ipx_dp *dp, uint32_t child, uint32_t sa_in);
int ipx_dp_child_delete(struct ipx_dp *dp, uint32_t child);

void ipx_dp_stats(const struct ipx_dp *dp, struct ipx_dp_stats *st);
int ipx_dp_child_stats(const struct ipx_dp *dp, uint32_t child,
		       struct ipx_dp_child_stats *st);
/* ipx_dp_stats as JSON (docs/dataplane.md shows the shape): a fixed
 * size, whatever the number of Child SAs; the caller owns the reference.
 * NULL on allocation failure. */
json_t *ipx_dp_stats_json(const struct ipx_dp *dp);
/* Every Child SA's counters, an array (as long as there are Child SAs:
 * dp_static and the tests). */
json_t *ipx_dp_children_json(const struct ipx_dp *dp);
/* One Child SA's drops, only the counters that are not 0; NULL when it
 * has none (or there is no such child). */
json_t *ipx_dp_child_drops_json(const struct ipx_dp *dp, uint32_t child);

#ifdef __cplusplus
}
#endif
#endif /* IPSECFX_DATAPLANE_H */
