/*
 * The sim bus: the Verilated kernel and its host-memory model
 * (hw/sim/kernsim.h), in this process.  The device string may set random
 * back-pressure on the memory side: "in_stall=PCT,out_stall=PCT,seed=N"
 * (reads, writes), and the host memory's read latency: "rd_latency=CYCLES".  DMA memory is the model's own, at device addresses above
 * 2^44; sync is a no-op as the model reads the host's bytes directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "../fpga/bus.h"
#include "kernsim.h"

#define SIM_WAIT_CYCLES 32

static int sb_reg_rd(void *b, uint32_t off, uint32_t *v)
{
	return kernsim_reg_read(b, off, v);
}

static int sb_reg_wr(void *b, uint32_t off, uint32_t v)
{
	return kernsim_reg_write(b, off, v);
}

static int sb_alloc(void *b, size_t size, struct ipx_dma *d)
{
	memset(d, 0, sizeof(*d));
	d->dev = kernsim_alloc(b, size, &d->host);
	if (!d->dev)
		return -ENOMEM;
	d->size = size;
	return 0;
}

static void sb_free(void *b, struct ipx_dma *d)
{
	(void)b;
	memset(d, 0, sizeof(*d));  /* the model frees its memory at close */
}

static int sb_sync(void *b, struct ipx_dma *d, size_t off, size_t len, bool to_dev)
{
	(void)b;
	(void)to_dev;
	return off + len <= d->size ? 0 : -EINVAL;
}

static void sb_wait(void *b)
{
	kernsim_step(b, SIM_WAIT_CYCLES);
}

static uint64_t sb_ticks(void *b)
{
	return kernsim_cycles(b);
}

static int sb_inject(void *b, enum ipx_fault kind)
{
	switch (kind) {
	case IPX_FAULT_NONE:
		return kernsim_fault(b, KERNSIM_FAULT_NONE);
	case IPX_FAULT_STALL:
		return kernsim_fault(b, KERNSIM_FAULT_STALL);
	case IPX_FAULT_DMA:
		return kernsim_fault(b, KERNSIM_FAULT_DMA);
	case IPX_FAULT_RESET:
		return kernsim_fault(b, KERNSIM_FAULT_RESET);
	}
	return -EINVAL;
}

static void sb_close(void *b)
{
	struct kernsim_stats st;

	kernsim_get_stats(b, &st);
	if (st.protocol_errors)
		ipx_err("sim bus: %llu AXI protocol errors by the kernel",
			(unsigned long long)st.protocol_errors);
	kernsim_close(b);
}

static const char *sb_describe(void *b)
{
	(void)b;
	return "Verilated esp_kernel";
}

static const struct ipx_bus_ops sim_bus_ops = {
	.name = "sim",
	.reg_rd = sb_reg_rd,
	.reg_wr = sb_reg_wr,
	.dma_alloc = sb_alloc,
	.dma_free = sb_free,
	.dma_sync = sb_sync,
	.wait = sb_wait,
	.ticks = sb_ticks,
	.inject = sb_inject,
	.close = sb_close,
	.describe = sb_describe,
};

int ipx_bus_sim_open(const char *dev, struct ipx_bus *bus)
{
	struct kernsim *k = kernsim_open();
	unsigned in = 0, out = 0;
	unsigned long long seed = 1;
	const char *p;

	if (!k) {
		ipx_err("sim bus: cannot create the kernel model");
		return -ENOMEM;
	}
	if (dev) {
		if ((p = strstr(dev, "in_stall=")))
			in = (unsigned)strtoul(p + 9, NULL, 10);
		if ((p = strstr(dev, "out_stall=")))
			out = (unsigned)strtoul(p + 10, NULL, 10);
		if ((p = strstr(dev, "seed=")))
			seed = strtoull(p + 5, NULL, 10);
		kernsim_stalls(k, seed, in, out);
		if ((p = strstr(dev, "rd_latency=")))
			kernsim_latency(k, strtoull(p + 11, NULL, 10));
	}
	bus->ops = &sim_bus_ops;
	bus->priv = k;
	return 0;
}

/* for tests: the model behind a sim bus */
struct kernsim *ipx_bus_sim_model(struct ipx_bus *bus);
struct kernsim *ipx_bus_sim_model(struct ipx_bus *bus)
{
	return bus->ops == &sim_bus_ops ? bus->priv : NULL;
}
