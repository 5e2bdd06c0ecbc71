/*
 * The FPGA engine's extras for tests and benchmarks (engines "sim", "xrt").
 */
#ifndef IPSECFX_FPGA_H
#define IPSECFX_FPGA_H

#include <stdint.h>

#include <ipsecfx/engine.h>

#include "bus.h"

/* The bus under an FPGA engine and the device address of its DMA region;
 * -EINVAL when eng is not one. */
int ipx_fpga_bus(struct ipx_engine *eng, struct ipx_bus **bus, uint64_t *dev_base);
/* Simulated clock cycles so far (0 on a card or another engine). */
uint64_t ipx_fpga_ticks(struct ipx_engine *eng);

#endif
