/*
 * The Verilated kernel (hw/rtl/esp_kernel.sv) with a model of host memory
 * behind both m_axi ports, behind a small C API.  The harness owns the
 * model and the clock; time moves only when the caller steps it (register
 * accesses step it too), so runs are deterministic.
 *
 * Host memory: regions handed out by kernsim_alloc() at device addresses
 * from KERNSIM_DEV_BASE up (above 2^38 and 2^44, so that an address cut to
 * 32 or 40 bits lands nowhere); an access outside every region is answered
 * with SLVERR.  Bursts are checked against the AXI rules this kernel must
 * keep (16-byte beats, INCR, no 4 KB crossing); violations are counted.
 */
#ifndef IPSECFX_KERNSIM_H
#define IPSECFX_KERNSIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KERNSIM_DEV_BASE 0x104000000000ull  /* bits 44 and 38 */

enum kernsim_fault {
	KERNSIM_FAULT_NONE = 0,   /* clear every hook */
	KERNSIM_FAULT_STALL = 1,  /* the memory stops answering: no completions */
	KERNSIM_FAULT_DMA = 2,    /* the next read burst returns SLVERR */
	KERNSIM_FAULT_RESET = 3,  /* ap_rst_n pulsed: the kernel loses everything */
};

struct kernsim;

struct kernsim *kernsim_open(void);
void kernsim_close(struct kernsim *k);
/* Random back-pressure on the memory side: each cycle arready/rvalid are
 * held low with probability rd_pct/100, awready/wready with wr_pct/100. */
void kernsim_stalls(struct kernsim *k, uint64_t seed, unsigned rd_pct, unsigned wr_pct);
/* Host-memory read latency: a read burst's first beat comes rd_cycles after
 * its address was taken (0, the default: the next cycle).  The memory takes
 * up to 32 read bursts outstanding and answers them in order. */
void kernsim_latency(struct kernsim *k, uint64_t rd_cycles);

/* s_axi_control, with a cycle budget: -ETIMEDOUT when it does not answer */
int kernsim_reg_write(struct kernsim *k, uint32_t addr, uint32_t val);
int kernsim_reg_read(struct kernsim *k, uint32_t addr, uint32_t *val);

/* Host memory of size bytes (4 KB aligned, zeroed): its device address, and
 * in *host the pointer the host uses.  0 on failure.  Freed at close. */
uint64_t kernsim_alloc(struct kernsim *k, size_t size, void **host);

void kernsim_step(struct kernsim *k, uint64_t cycles);
uint64_t kernsim_cycles(const struct kernsim *k);
int kernsim_fault(struct kernsim *k, enum kernsim_fault kind);

struct kernsim_stats {
	uint64_t rd_beats, wr_beats;  /* m_axi data beats, both ports */
	uint64_t bad_access;          /* accesses outside host memory */
	uint64_t protocol_errors;     /* bursts that break the rules above */
};
void kernsim_get_stats(const struct kernsim *k, struct kernsim_stats *st);

#ifdef __cplusplus
}
#endif
#endif
