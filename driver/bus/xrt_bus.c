/*
 * The xrt bus: an Alveo card running hw/alveo's xclbin, through XRT's C API
 * (../shared/docs/alveo-xrt.md): the device opened by index, the xclbin
 * loaded, the kernel opened exclusively (register access needs that),
 * rings and packet buffers in one host-only buffer object in the bank of
 * the kernel's mem argument, register reads and writes for doorbells.
 * Built only when XRT is present (HAVE_XRT, from XILINX_XRT); otherwise
 * opening it says so.  `make xrt-check XRT_INCLUDE=...` compiles this file
 * against XRT's published headers without XRT installed.
 *
 * Device string: "index=N,xclbin=PATH" (defaults 0 and $IPSECFX_XCLBIN).
 * Not run on a card here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipsecfx/log.h>

#include "../fpga/bus.h"

#ifdef HAVE_XRT
#include <sched.h>

#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#define XRT_KERNEL_NAME "esp_kernel"

struct xrt_bus {
	xrtDeviceHandle dev;
	xrtKernelHandle krn;
	int grp;
	char desc[64];
};

static int xb_reg_rd(void *b, uint32_t off, uint32_t *v)
{
	struct xrt_bus *x = b;

	return xrtKernelReadRegister(x->krn, off, v) ? -EIO : 0;
}

static int xb_reg_wr(void *b, uint32_t off, uint32_t v)
{
	struct xrt_bus *x = b;

	return xrtKernelWriteRegister(x->krn, off, v) ? -EIO : 0;
}

static int xb_alloc(void *b, size_t size, struct ipx_dma *d)
{
	struct xrt_bus *x = b;
	xrtBufferHandle bo;

	memset(d, 0, sizeof(*d));
	bo = xrtBOAlloc(x->dev, size, XRT_BO_FLAGS_HOST_ONLY, (xrtMemoryGroup)x->grp);
	if (!bo) {
		ipx_err("xrt: cannot allocate a host-only buffer of %zu bytes "
			"(is host memory enabled: xrt-smi configure --host-mem?)", size);
		return -ENOMEM;
	}
	d->host = xrtBOMap(bo);
	d->dev = xrtBOAddress(bo);
	if (!d->host || !d->dev) {
		xrtBOFree(bo);
		return -ENOMEM;
	}
	d->size = size;
	d->handle = bo;
	return 0;
}

static void xb_free(void *b, struct ipx_dma *d)
{
	(void)b;
	if (d->handle)
		xrtBOFree(d->handle);
	memset(d, 0, sizeof(*d));
}

static int xb_sync(void *b, struct ipx_dma *d, size_t off, size_t len, bool to_dev)
{
	(void)b;
	if (off + len > d->size)
		return -EINVAL;
	/* host-only memory: cache maintenance, no DMA */
	return xrtBOSync(d->handle, to_dev ? XCL_BO_SYNC_BO_TO_DEVICE : XCL_BO_SYNC_BO_FROM_DEVICE,
			 len, off) ? -EIO : 0;
}

static void xb_wait(void *b)
{
	(void)b;
	sched_yield();
}

static uint64_t xb_ticks(void *b)
{
	(void)b;
	return 0;
}

static void xb_close(void *b)
{
	struct xrt_bus *x = b;

	if (x->krn)
		xrtKernelClose(x->krn);
	if (x->dev)
		xrtDeviceClose(x->dev);
	free(x);
}

static const char *xb_describe(void *b)
{
	return ((struct xrt_bus *)b)->desc;
}

static const struct ipx_bus_ops xrt_bus_ops = {
	.name = "xrt",
	.reg_rd = xb_reg_rd,
	.reg_wr = xb_reg_wr,
	.dma_alloc = xb_alloc,
	.dma_free = xb_free,
	.dma_sync = xb_sync,
	.wait = xb_wait,
	.ticks = xb_ticks,
	.inject = NULL,
	.close = xb_close,
	.describe = xb_describe,
};

static unsigned dev_index(const char *devstr)
{
	const char *p = devstr ? strstr(devstr, "index=") : NULL;

	return p ? (unsigned)strtoul(p + 6, NULL, 10) : 0;
}

int ipx_bus_xrt_probe(const char *devstr, char *why, size_t n)
{
	unsigned index = dev_index(devstr);
	xrtDeviceHandle dev = xrtDeviceOpen(index);

	if (!dev) {
		snprintf(why, n, "no Alveo device %u", index);
		return 0;
	}
	xrtDeviceClose(dev);
	return 1;
}

int ipx_bus_xrt_open(const char *devstr, struct ipx_bus *bus)
{
	struct xrt_bus *x = calloc(1, sizeof(*x));
	const char *xclbin = getenv("IPSECFX_XCLBIN"), *p;
	char path[512] = "";
	unsigned index = dev_index(devstr);
	xuid_t uuid;

	if (!x)
		return -ENOMEM;
	if (devstr && (p = strstr(devstr, "xclbin="))) {
		size_t n = strcspn(p + 7, ",");

		if (n >= sizeof(path))
			n = sizeof(path) - 1;
		memcpy(path, p + 7, n);
		path[n] = 0;
		xclbin = path;
	}
	if (!xclbin || !*xclbin) {
		ipx_err("xrt: no xclbin: set xclbin=PATH in the device string or IPSECFX_XCLBIN");
		free(x);
		return -EINVAL;
	}
	x->dev = xrtDeviceOpen(index);
	if (!x->dev) {
		ipx_err("xrt: no Alveo device %u (xrtDeviceOpen failed)", index);
		free(x);
		return -ENODEV;
	}
	if (xrtDeviceLoadXclbinFile(x->dev, xclbin) || xrtDeviceGetXclbinUUID(x->dev, uuid)) {
		ipx_err("xrt: cannot load %s on device %u", xclbin, index);
		xb_close(x);
		return -EIO;
	}
	x->krn = xrtPLKernelOpenExclusive(x->dev, uuid, XRT_KERNEL_NAME);
	if (!x->krn) {
		ipx_err("xrt: %s has no kernel %s (or it is in use)", xclbin, XRT_KERNEL_NAME);
		xb_close(x);
		return -ENOENT;
	}
	x->grp = xrtKernelArgGroupId(x->krn, 0);
	if (x->grp < 0) {
		ipx_err("xrt: no memory bank for %s argument 0", XRT_KERNEL_NAME);
		xb_close(x);
		return -EIO;
	}
	snprintf(x->desc, sizeof(x->desc), "Alveo device %u, XRT", index);
	bus->ops = &xrt_bus_ops;
	bus->priv = x;
	return 0;
}

const char *ipx_bus_xrt_missing(void)
{
	return NULL;
}

#else /* !HAVE_XRT */

int ipx_bus_xrt_probe(const char *devstr, char *why, size_t n)
{
	(void)devstr;
	snprintf(why, n, "this build has no XRT support");
	return 0;
}

const char *ipx_bus_xrt_missing(void)
{
	return "this build has no XRT support (XILINX_XRT was not set when it was built); "
	       "use engine sim or soft, or rebuild after sourcing /opt/xilinx/xrt/setup.sh";
}

int ipx_bus_xrt_open(const char *devstr, struct ipx_bus *bus)
{
	(void)devstr;
	(void)bus;
	ipx_err("xrt: %s", ipx_bus_xrt_missing());
	return -ENODEV;
}

#endif
