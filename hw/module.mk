# hw/: the contract's Verilog include is generated from the C header.
GEN_CONTRACT := $(O)/hw/gen_contract
OBJS += $(O)/hw/contract/gen_contract.o
BINS += $(GEN_CONTRACT)

$(GEN_CONTRACT): $(O)/hw/contract/gen_contract.o
	@mkdir -p $(@D)
	$(CC) $(IPX_LDFLAGS) -o $@ $^

# Regenerate the committed include (tests/unit/contract check compares).
contract: $(GEN_CONTRACT)
	$(GEN_CONTRACT) > hw/rtl/ipsecfx_contract.svh

.PHONY: contract
