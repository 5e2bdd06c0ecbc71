# driver/: the ESP engine API and its backends -> $(O)/libipsecfx-driver.a
DRIVER_SRCS := driver/engine.c driver/place.c driver/log.c driver/sa_table.c driver/card.c driver/card_sa.c \
	driver/hw_pkt.c \
	driver/soft/soft.c driver/soft/esp.c driver/soft/xform.c \
	driver/soft/replay.c driver/pipe/pipe.c driver/hw_keys.c \
	driver/fpga/fpga.c driver/bus/sim_bus.c driver/bus/xrt_bus.c
# the backends that need the Verilated models or XRT (the fuzz targets stub them)
DRIVER_HW_SRCS := driver/pipe/pipe.c driver/fpga/fpga.c driver/bus/sim_bus.c driver/bus/xrt_bus.c
DRIVER_OBJS := $(DRIVER_SRCS:%.c=$(O)/%.o)
DRIVER_LIB := $(O)/libipsecfx-driver.a
DRIVER_LIBS := $(LIBS_CRYPTO)
OBJS += $(DRIVER_OBJS)

# hw/module.mk adds the Verilated pipeline (objects and archives) the sim
# backend runs; archives are merged member by member (ar MRI script).
$(DRIVER_LIB): $(DRIVER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && { echo "create $@"; for f in $^; do case $$f in \
		*.a) echo "addlib $$f";; *) echo "addmod $$f";; esac; done; \
		echo save; echo end; } | ar -M

# The xrt bus needs XRT (source /opt/xilinx/xrt/setup.sh before building);
# without it the xrt engine is built as a stub that says so when opened.
XRT_KERNEL_H := $(wildcard $(XILINX_XRT)/include/xrt/xrt_kernel.h)
ifneq ($(and $(XILINX_XRT),$(XRT_KERNEL_H)),)
$(O)/driver/bus/xrt_bus.o: IPX_CPPFLAGS += -DHAVE_XRT -isystem $(XILINX_XRT)/include
DRIVER_LIBS += -L$(XILINX_XRT)/lib -lxrt_coreutil -luuid -Wl,-rpath,$(XILINX_XRT)/lib
else
# said whenever the driver library is looked at (a phony, order-only
# prerequisite: it never forces a rebuild)
$(DRIVER_LIB): | xrt-note
xrt-note:
	@echo "build: XILINX_XRT not set (or no XRT headers there): engine xrt is built without XRT and will refuse to open" >&2
.PHONY: xrt-note
endif

# Compile-only check of the xrt bus against XRT's published headers, without
# XRT installed: make xrt-check XRT_INCLUDE=<XRT source>/src/runtime_src/core/include
xrt-check:
	@test -n "$(XRT_INCLUDE)" -a -f "$(XRT_INCLUDE)/xrt/xrt_kernel.h" || \
		{ echo "xrt-check: set XRT_INCLUDE to a directory with xrt/xrt_kernel.h"; exit 1; }
	$(CC) $(filter-out -MMD -MP,$(IPX_CPPFLAGS)) -DHAVE_XRT -isystem $(XRT_INCLUDE) \
		$(IPX_CFLAGS) -fsyntax-only driver/bus/xrt_bus.c
	@echo "xrt-check: driver/bus/xrt_bus.c compiles with -Wall -Wextra -Werror against $(XRT_INCLUDE)"

.PHONY: xrt-check
