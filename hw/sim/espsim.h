/*
 * The Verilated ESP pipeline (hw/rtl/esp_top.sv) behind a small C API: the
 * harness owns the model and the clock, drives the AXI-Lite port as a
 * master and the two stream ports as a source and a sink, with optional
 * random stalls on every stream handshake.  Time moves only when the
 * caller steps it, so runs are deterministic.  Functions return 0 or a
 * negative errno.
 *
 * Ports: ESPSIM_ENC (s_axis_enc -> m_axis_enc), ESPSIM_DEC (s/m_axis_dec).
 */
#ifndef IPSECFX_ESPSIM_H
#define IPSECFX_ESPSIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { ESPSIM_ENC = 0, ESPSIM_DEC = 1 };

struct espsim;

struct espsim *espsim_open(void);
void espsim_close(struct espsim *s);
/* Random stalls: each cycle the source holds tvalid low with probability
 * in_pct/100 and the sink holds tready low with out_pct/100. */
void espsim_stalls(struct espsim *s, uint64_t seed, unsigned in_pct, unsigned out_pct);

/* AXI-Lite, with a cycle budget: -ETIMEDOUT when the port does not answer */
int espsim_reg_write(struct espsim *s, uint32_t addr, uint32_t val);
int espsim_reg_read(struct espsim *s, uint32_t addr, uint32_t *val);

/* Queue a packet for a stream port; tuser rides on its first beat. */
int espsim_send(struct espsim *s, int port, const uint8_t *pkt, uint32_t len, uint64_t tuser);
/* The oldest completed output packet: its bytes (tkeep honoured), its
 * tuser.  -EAGAIN when none, -ENOSPC when cap is too small (it stays). */
int espsim_recv(struct espsim *s, int port, uint8_t *buf, uint32_t cap, uint32_t *len,
		uint64_t *tuser);
/* Packets sent but not yet received on port. */
unsigned espsim_pending(const struct espsim *s, int port);
void espsim_step(struct espsim *s, uint64_t cycles);
uint64_t espsim_cycles(const struct espsim *s);

/* For benchmarks: cycle of the first input beat accepted and of the last
 * output beat, for the most recent packet sent/received on port. */
struct espsim_times {
	uint64_t first_in, last_in, first_out, last_out;
};
void espsim_times(const struct espsim *s, int port, struct espsim_times *t);

#ifdef __cplusplus
}
#endif
#endif
