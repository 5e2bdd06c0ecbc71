# bench/: benchmarks, never part of make test.
BENCH_ESP_SRCS := bench/esp/bench_esp.c
OBJS += $(BENCH_ESP_SRCS:%.c=$(O)/%.o)
BENCH_BINS += $(O)/bench/bench_esp

$(O)/bench/bench_esp: $(BENCH_ESP_SRCS:%.c=$(O)/%.o) $(DRIVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_JSON) $(DRIVER_LIBS)

# bench/ike: the IKEv2 load generator (bench/ike/run.sh, tests/gateway/t_scale.sh);
# the daemon's codec and IKE crypto, none of its SA manager
IKEGEN_SRCS := bench/ike/ikegen.c bench/ike/gen_net.c bench/ike/gen_msg.c \
	bench/ike/gen_setup.c bench/ike/gen_respond.c bench/ike/gen_churn.c \
	bench/ike/gen_flood.c bench/ike/gen_report.c
IKEGEN_OBJS := $(IKEGEN_SRCS:%.c=$(O)/%.o)
OBJS += $(IKEGEN_OBJS)
BENCH_BINS += $(O)/bench/ikegen

$(IKEGEN_OBJS): IPX_CPPFLAGS += -Ihost

$(O)/bench/ikegen: $(IKEGEN_OBJS) $(HOST_LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $(IKEGEN_OBJS) $(HOST_LIBS) $(HOST_SYSLIBS) -lm

# bench/tunnel: TCP load spread over many address pairs (the many-Child-SA variants)
TCPSPREAD_SRCS := bench/tunnel/tcpspread.c
OBJS += $(TCPSPREAD_SRCS:%.c=$(O)/%.o)
BENCH_BINS += $(O)/bench/tcpspread

$(O)/bench/tcpspread: $(TCPSPREAD_SRCS:%.c=$(O)/%.o)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^

# bench/tunnel: UDP datagrams spread over the same address pairs (the UDP variants)
UDPSPREAD_SRCS := bench/tunnel/udpspread.c
OBJS += $(UDPSPREAD_SRCS:%.c=$(O)/%.o)
BENCH_BINS += $(O)/bench/udpspread

$(O)/bench/udpspread: $(UDPSPREAD_SRCS:%.c=$(O)/%.o)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^
