# tests/: unit tests (cmocka) -> $(O)/tests/test_*; tests/run.sh runs them
# and the script suites.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(O)/%.o)
OBJS += $(TESTLIB_OBJS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
OBJS += $(UNIT_SRCS:%.c=$(O)/%.o)
TEST_BINS += $(UNIT_BINS)

# unit tests may reach into driver internals (driver/soft/soft.h) and
# include host modules as "ike/ike_msg.h"
$(O)/tests/unit/%.o: IPX_CPPFLAGS += -Idriver -Ihost -Itests/lib

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(TESTLIB_OBJS) $(HOST_LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $< $(TESTLIB_OBJS) $(HOST_LIBS) $(LIBS_CMOCKA) $(HOST_SYSLIBS)
$(O)/tests/lib/%.o: IPX_CPPFLAGS += -Idriver -Itests/lib

# the swanctl.conf reader is ipsecfx's (host/cmd/), not a library's
$(O)/tests/test_swanctl_conf: $(O)/tests/unit/test_swanctl_conf.o $(O)/host/cmd/swanctl_conf.o \
		$(TESTLIB_OBJS) $(HOST_LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $< $(O)/host/cmd/swanctl_conf.o $(TESTLIB_OBJS) $(HOST_LIBS) \
		$(LIBS_CMOCKA) $(HOST_SYSLIBS)

# The static-SA harness for the data plane (tests/dataplane/t_*.sh, bench/tunnel)
DPSTATIC_SRCS := tests/dataplane/dp_static.c
OBJS += $(DPSTATIC_SRCS:%.c=$(O)/%.o)
TEST_BINS += $(O)/tests/dp_static

$(O)/tests/dp_static: $(DPSTATIC_SRCS:%.c=$(O)/%.o) $(HOST_LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $(DPSTATIC_SRCS:%.c=$(O)/%.o) $(HOST_LIBS) $(HOST_SYSLIBS)

# the card engine's tests reach the kernel model (hw/sim/kernsim.h)
$(O)/tests/unit/test_kernel.o: IPX_CPPFLAGS += -Ihw/sim
