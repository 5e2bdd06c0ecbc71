# bench/: benchmarks, never part of make test.
BENCH_ESP_SRCS := bench/esp/bench_esp.c
OBJS += $(BENCH_ESP_SRCS:%.c=$(O)/%.o)
BENCH_BINS += $(O)/bench/bench_esp

$(O)/bench/bench_esp: $(BENCH_ESP_SRCS:%.c=$(O)/%.o) $(DRIVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_JSON) $(DRIVER_LIBS)
