# tests/: unit tests (cmocka) -> $(O)/tests/test_*; tests/run.sh runs them
# and the script suites.
TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(O)/%.o)
OBJS += $(TESTLIB_OBJS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
OBJS += $(UNIT_SRCS:%.c=$(O)/%.o)
TEST_BINS += $(UNIT_BINS)

# unit tests may reach into driver internals (driver/soft/soft.h)
$(O)/tests/unit/%.o: IPX_CPPFLAGS += -Idriver -Itests/lib

$(O)/tests/test_%: $(O)/tests/unit/test_%.o $(TESTLIB_OBJS) $(HOSTCFG_LIB) $(DP_LIB) $(DRIVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_CMOCKA) $(LIBS_JSON) $(LIBS_CYAML) $(LIBS_PCAP) $(DP_LIBS) $(DRIVER_LIBS)
$(O)/tests/lib/%.o: IPX_CPPFLAGS += -Idriver -Itests/lib

# The static-SA harness for the data plane (tests/dataplane/t_*.sh, bench/tunnel)
DPSTATIC_SRCS := tests/dataplane/dp_static.c
OBJS += $(DPSTATIC_SRCS:%.c=$(O)/%.o)
TEST_BINS += $(O)/tests/dp_static

$(O)/tests/dp_static: $(DPSTATIC_SRCS:%.c=$(O)/%.o) $(HOSTCFG_LIB) $(DP_LIB) $(DRIVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_CYAML) $(DP_LIBS) $(DRIVER_LIBS)
