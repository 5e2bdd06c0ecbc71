/*
 * A packet's trip through the pipeline's stream port, as every backend
 * that drives the pipeline sees it (docs/hw-interface.md, the TUSER
 * sideband): the host's check of a packet's buffer description, the
 * sideband an outbound packet enters with, and what the sideband and
 * result bytes that come back make of the caller's packet.  How packets
 * and results travel (the Verilated pipeline's port, the kernel's rings)
 * stays with each backend.
 */
#ifndef IPSECFX_DRIVER_HW_PKT_H
#define IPSECFX_DRIVER_HW_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include <ipsecfx/engine.h>

/* Whether the buffer description is inconsistent (off, len, buf_len). */
bool hwp_bad_buffer(const struct ipx_pkt *pkt);

/* The input sideband of an outbound packet for table entry index:
 * headroom and tailroom around it, each capped at 0xffff. */
uint64_t hwp_tuser_in(uint32_t index, const struct ipx_pkt *pkt);

/* The table entry an output sideband names. */
uint32_t hwp_tuser_sa(uint64_t tuser);

/* Applies a result that came back with output sideband tuser and len
 * bytes at res: the status; inbound, the SA (in_sa, the handle of the
 * entry the sideband names) and ESP offset where the pipeline found one;
 * on success the result in place of the packet (outbound behind the outer
 * headers in front of where the inner packet was, inbound behind the ESP
 * header and IV), or ENGINE_FAULT when it does not fit the buffer. */
void hwp_apply(struct ipx_pkt *pkt, bool out, uint64_t tuser, uint32_t in_sa,
	       const uint8_t *res, uint32_t len);

#endif
