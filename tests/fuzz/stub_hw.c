/*
 * The fuzz targets are built with clang from C sources only: the backends
 * that need the Verilated models (sim, pipe) or XRT (xrt) are replaced by
 * entries that refuse to open.
 */
#include <errno.h>

#include "backend.h"

static int no_open(const struct ipx_engine_config *cfg, void **priv)
{
	(void)cfg;
	(void)priv;
	return -ENODEV;
}

const struct ipx_backend ipx_backend_sim = { .name = "sim", .open = no_open };
const struct ipx_backend ipx_backend_xrt = { .name = "xrt", .open = no_open };
const struct ipx_backend ipx_backend_pipe = { .name = "pipe", .open = no_open };
