# driver/: the ESP engine API and its backends -> $(O)/libipsecfx-driver.a
DRIVER_SRCS := driver/engine.c driver/place.c driver/log.c \
	driver/soft/soft.c driver/soft/esp.c driver/soft/xform.c \
	driver/soft/replay.c driver/sim/sim.c driver/sim/sim_keys.c
# the backends that need the Verilated models (tests/fuzz stubs them)
DRIVER_HW_SRCS := driver/sim/sim.c driver/sim/sim_keys.c
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
