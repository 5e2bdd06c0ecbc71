/*
 * The pipe backend: the ESP engine API over the bare Verilated RTL
 * pipeline (hw/sim/espsim.h), a test fixture.  Selected with the engine
 * name "pipe" (engine "sim" is the whole Alveo kernel in simulation,
 * driver/fpga over driver/bus/sim_bus.c); the engine configuration's
 * device string may set random stream stalls:
 * "in_stall=PCT,out_stall=PCT,seed=N".
 */
#ifndef IPSECFX_PIPE_H
#define IPSECFX_PIPE_H

#include <stdint.h>

#include <ipsecfx/engine.h>

#include "espsim.h"

/* Clock cycles the model has run, and the stream timing of the last
 * packets (benchmarks).  0 / -EINVAL when eng is not a pipe engine. */
int ipx_pipe_cycles(struct ipx_engine *eng, uint64_t *cycles);
int ipx_pipe_times(struct ipx_engine *eng, int port, struct espsim_times *t);

#endif
