# hw/: the contract's Verilog include is generated from the C header.
GEN_CONTRACT := $(O)/hw/gen_contract
OBJS += $(O)/hw/contract/gen_contract.o
BINS += $(GEN_CONTRACT)

$(GEN_CONTRACT): $(O)/hw/contract/gen_contract.o
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^

# Regenerate the committed include (tests/unit/contract check compares) and
# the tables of docs/hw-interface.md (tests/rtl/t_hwdoc.sh compares).
contract: $(GEN_CONTRACT)
	$(GEN_CONTRACT) > hw/rtl/ipsecfx_contract.svh
	$(GEN_CONTRACT) -m > $(O)/hw/tables.md
	awk -v t=$(O)/hw/tables.md '/<!-- generated: begin -->/ { print; while ((getline l < t) > 0) print l; skip = 1; next } \
		/<!-- generated: end -->/ { skip = 0 } !skip' docs/hw-interface.md > $(O)/hw/hw-interface.md
	mv $(O)/hw/hw-interface.md docs/hw-interface.md

.PHONY: contract

# ---- Verilator models of the RTL and the testbenches that drive them.
# Models are built once per build directory and reused until an RTL file
# changes.  OPT_FAST=-O3 roughly doubles simulation speed over Verilator's
# default -Os (docs/rtl.md).
VERILATOR ?= verilator
VL_ROOT := $(shell $(VERILATOR) --getenv VERILATOR_ROOT 2>/dev/null)
RTL_SRCS := $(sort $(wildcard hw/rtl/*.sv))
RTL_DEPS := $(RTL_SRCS) $(wildcard hw/rtl/*.svh)
# the kernel shell: only the kernel model reads (and rebuilds for) these
KRN_SRCS := hw/rtl/esp_kernel.sv $(wildcard hw/rtl/krn_*.sv)
PIPE_SRCS := $(filter-out $(KRN_SRCS),$(RTL_SRCS))
PIPE_DEPS := $(filter-out $(KRN_SRCS),$(RTL_DEPS))
VL_OPTS := --cc -Wall --assert -O3 --x-assign fast --x-initial fast --no-timing \
	-Ihw/rtl -CFLAGS "-fPIC -O2" -MAKEFLAGS "OPT_FAST=-O3" --build -j 1
CXX ?= g++
IPX_CXXFLAGS := -std=gnu++17 -O2 -g -Wall -Wextra -Werror $(SAN) \
	-isystem $(VL_ROOT)/include -isystem $(VL_ROOT)/include/vltstd \
	-Idriver/include -Idriver -Idriver/pipe -Ihw/sim -Ihw/sim/tb $(CPPFLAGS) $(CXXFLAGS)

# The models are C++ compiled by Verilator's own make, without $(SAN): a
# SANITIZE=1 build links the plain build's models instead of making its own
# (VL_O), which saves CI their second build.
VL_O := $(if $(SAN),build,$(O))

# $(call vl_model,NAME,TOP,PARAMS[,SRCS,DEPS]): $(VL_O)/hw/vl_NAME holds
# V<TOP>__ALL.a and the Verilator runtime objects; VL_NAME lists what to
# link.  SRCS/DEPS default to the pipeline's files (not the kernel shell's).
define vl_model
$(VL_O)/hw/vl_$(1)/V$(2)__ALL.a: $(or $(5),$(PIPE_DEPS))
	@mkdir -p $$(@D)
	+$(VERILATOR) $(VL_OPTS) --top-module $(2) $(3) -Mdir $$(@D) $(or $(4),$(PIPE_SRCS))
	$$(MAKE) -s -C $$(@D) -f V$(2).mk verilated.o verilated_threads.o
$(VL_O)/hw/vl_$(1)/verilated.o $(VL_O)/hw/vl_$(1)/verilated_threads.o: $(VL_O)/hw/vl_$(1)/V$(2)__ALL.a
VL_$(1) := $(VL_O)/hw/vl_$(1)/V$(2)__ALL.a $(VL_O)/hw/vl_$(1)/verilated.o \
	$(VL_O)/hw/vl_$(1)/verilated_threads.o
VL_$(1)_DIR := $(VL_O)/hw/vl_$(1)
endef

# the whole pipeline, as the sim backend runs it
$(eval $(call vl_model,esp,esp_top,))

$(O)/hw/sim/espsim.o: hw/sim/espsim.cpp $(VL_esp)
	@mkdir -p $(@D)
	$(CXX) $(IPX_CXXFLAGS) -isystem $(VL_esp_DIR) -MMD -MP -c -o $@ $<
OBJS += $(O)/hw/sim/espsim.o
$(DRIVER_LIB): $(O)/hw/sim/espsim.o $(VL_esp)
DRIVER_LIBS += -lstdc++ -lm -pthread
$(O)/driver/pipe/%.o: IPX_CPPFLAGS += -Ihw/sim

# the whole kernel (esp_kernel around esp_top), as the sim engine runs it
$(eval $(call vl_model,kern,esp_kernel,,$(RTL_SRCS),$(RTL_DEPS)))

$(O)/hw/sim/kernsim.o: hw/sim/kernsim.cpp $(VL_kern)
	@mkdir -p $(@D)
	$(CXX) $(IPX_CXXFLAGS) -isystem $(VL_kern_DIR) -MMD -MP -c -o $@ $<
OBJS += $(O)/hw/sim/kernsim.o
$(DRIVER_LIB): $(O)/hw/sim/kernsim.o $(VL_O)/hw/vl_kern/Vesp_kernel__ALL.a
$(O)/driver/bus/%.o $(O)/driver/fpga/%.o: IPX_CPPFLAGS += -Ihw/sim

# module testbenches: small SA tables, the same RTL
$(eval $(call vl_model,aes,aes_enc_pipe,-GSA_BITS=2 -GUSER_W=8))
$(eval $(call vl_model,gcm,gcm_pipe,-GSA_BITS=3 -GUSER_W=8))

$(O)/hw/sim/tb/%.o: hw/sim/tb/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(IPX_CXXFLAGS) -isystem $(VL_DIR) -MMD -MP -c -o $@ $<
OBJS += $(O)/hw/sim/tb/tb_aes.o $(O)/hw/sim/tb/tb_gcm.o

$(O)/hw/sim/tb/tb_aes.o: VL_DIR = $(VL_aes_DIR)
$(O)/hw/sim/tb/tb_aes.o: $(VL_aes)
$(O)/hw/tb_aes: $(O)/hw/sim/tb/tb_aes.o $(O)/driver/hw_keys.o $(VL_aes)
	$(CXX) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_JSON) $(LIBS_CRYPTO) -pthread

$(O)/hw/sim/tb/tb_gcm.o: VL_DIR = $(VL_gcm_DIR)
$(O)/hw/sim/tb/tb_gcm.o: $(VL_gcm)
$(O)/hw/tb_gcm: $(O)/hw/sim/tb/tb_gcm.o $(O)/driver/hw_keys.o $(VL_gcm)
	$(CXX) $(IPX_LDFLAGS) -o $@ $^ $(LIBS_JSON) $(LIBS_CRYPTO) -pthread

# the protocol checkers broken on purpose (tests/rtl/t_assert.sh): their test
# wrapper, and the pipeline model for one checker in place
CHK_SRCS := hw/sim/tb/chk_tb.sv $(wildcard hw/rtl/*_check.sv)
$(eval $(call vl_model,chk,chk_tb,,$(CHK_SRCS),$(CHK_SRCS)))
OBJS += $(O)/hw/sim/tb/tb_assert.o
$(O)/hw/sim/tb/tb_assert.o: VL_DIR = $(VL_chk_DIR) -isystem $(VL_esp_DIR)
$(O)/hw/sim/tb/tb_assert.o: $(VL_chk) $(VL_esp)
$(O)/hw/tb_assert: $(O)/hw/sim/tb/tb_assert.o $(VL_chk) $(VL_O)/hw/vl_esp/Vesp_top__ALL.a
	$(CXX) $(IPX_LDFLAGS) -o $@ $^ -pthread
TEST_BINS += $(O)/hw/tb_assert

TEST_BINS += $(O)/hw/tb_aes
TEST_BINS += $(O)/hw/tb_gcm

# cycle benchmark of the pipeline (make -C hw bench runs it)
RTL_BENCH := $(O)/hw/rtl_bench
OBJS += $(O)/hw/sim/rtl_bench.o
$(O)/hw/sim/rtl_bench.o: IPX_CPPFLAGS += -Idriver/pipe -Ihw/sim
$(RTL_BENCH): $(O)/hw/sim/rtl_bench.o $(DRIVER_LIB)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(DRIVER_LIBS) $(LIBS_JSON)
BENCH_BINS += $(RTL_BENCH)

# the whole kernel against the bare pipeline (make -C hw bench runs it)
KERN_BENCH := $(O)/hw/kern_bench
OBJS += $(O)/hw/sim/kern_bench.o
$(O)/hw/sim/kern_bench.o: IPX_CPPFLAGS += -Idriver/pipe -Ihw/sim
$(KERN_BENCH): $(O)/hw/sim/kern_bench.o $(DRIVER_LIB)
	$(CC) $(IPX_LDFLAGS) -o $@ $^ $(DRIVER_LIBS) $(LIBS_JSON)
BENCH_BINS += $(KERN_BENCH)
