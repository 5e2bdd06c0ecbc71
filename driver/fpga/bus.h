/*
 * What the FPGA engine (fpga.c) needs from whatever carries the kernel: a
 * register window (s_axi_control), DMA memory the kernel can master, and a
 * way to let the device make progress while the host polls that memory.
 * Two buses: sim (the Verilated kernel in this process, driver/bus/sim_bus.c)
 * and xrt (an Alveo card through XRT's C API, driver/bus/xrt_bus.c).  The
 * engine never knows which one it runs on.
 */
#ifndef IPSECFX_FPGA_BUS_H
#define IPSECFX_FPGA_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipsecfx/engine.h>

struct ipx_dma {
	void *host;        /* the host's mapping */
	uint64_t dev;      /* the address the kernel uses */
	size_t size;
	void *handle;      /* the bus's (xrt: the buffer object) */
};

struct ipx_bus_ops {
	const char *name;
	int (*reg_rd)(void *b, uint32_t off, uint32_t *v);
	int (*reg_wr)(void *b, uint32_t off, uint32_t v);
	int (*dma_alloc)(void *b, size_t size, struct ipx_dma *d);
	void (*dma_free)(void *b, struct ipx_dma *d);
	/* make [off, off + len) of d coherent: towards the device or back */
	int (*dma_sync)(void *b, struct ipx_dma *d, size_t off, size_t len, bool to_dev);
	/* the host is waiting for completions: the sim bus runs the clock, a
	 * card's bus yields the CPU */
	void (*wait)(void *b);
	/* simulated clock cycles (0 on a card): the deadline also needs this
	 * many cycles without progress on the sim bus, so that a descheduled
	 * process never mistakes its own pause for a stall */
	uint64_t (*ticks)(void *b);
	/* fault hooks (NULL: none); kind IPX_FAULT_NONE clears them */
	int (*inject)(void *b, enum ipx_fault kind);
	void (*close)(void *b);
	/* cosmetic: for caps.impl */
	const char *(*describe)(void *b);
};

struct ipx_bus {
	const struct ipx_bus_ops *ops;
	void *priv;
};

/* 0 or a negative errno; on failure a message says why */
int ipx_bus_sim_open(const char *device, struct ipx_bus *bus);
int ipx_bus_xrt_open(const char *device, struct ipx_bus *bus);
/* Is there a card to open (engine auto asks before it opens one)?  1, or
 * 0 with why there is none in why; it logs nothing. */
int ipx_bus_xrt_probe(const char *device, char *why, size_t n);
/* NULL when this build can open the xrt bus, else why not (no device is
 * touched: ipsecfxd -t asks) */
const char *ipx_bus_xrt_missing(void);

#endif
