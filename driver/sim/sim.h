/*
 * The sim backend: the ESP engine API over the Verilated RTL pipeline
 * (hw/sim/espsim.h).  Selected with the engine name "sim"; the engine
 * configuration's device string may set random stream stalls:
 * "in_stall=PCT,out_stall=PCT,seed=N".
 */
#ifndef IPSECFX_SIM_H
#define IPSECFX_SIM_H

#include <stdint.h>

#include <ipsecfx/engine.h>

#include "espsim.h"

/* Clock cycles the model has run, and the stream timing of the last
 * packets (benchmarks).  0 / -EINVAL when eng is not a sim engine. */
int ipx_sim_cycles(struct ipx_engine *eng, uint64_t *cycles);
int ipx_sim_times(struct ipx_engine *eng, int port, struct espsim_times *t);

#endif
