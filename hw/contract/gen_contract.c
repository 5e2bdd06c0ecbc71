/*
 * Expands the contract tables of driver/include/ipsecfx/contract.h into the
 * SystemVerilog include hw/rtl/ipsecfx_contract.svh, so that the RTL and the
 * C code read the same numbers from one source.  Run by `make contract`;
 * tests/unit/test_contract.c fails if the committed file is stale.
 */
#include <stdio.h>
#include <string.h>

#include <ipsecfx/contract.h>

/* -m: the tables of docs/hw-interface.md, between its "generated" marks */
static int markdown(void)
{
	printf("### Registers (AXI-Lite, 32-bit, byte offsets)\n\n"
	       "| offset | name | access | meaning |\n|---|---|---|---|\n");
#define R(n, o, a, d) printf("| 0x%04x | %s | %s | %s |\n", (unsigned)(o), #n, a, d);
	IPX_REG_LIST(R)
#undef R
	printf("\n### SA-table commands (SA_CMD.CMD_OP)\n\n| code | name | meaning |\n|---|---|---|\n");
#define K(n, v, d) printf("| %d | %s | %s |\n", v, #n, d);
	IPX_SA_CMD_LIST(K)
#undef K
	printf("\n### Bit fields\n\nWord w, bits lsb .. lsb+width-1 (a field wider than the rest of its "
	       "word continues in the next words, low bits first).\n\n"
	       "| name | word | lsb | width | meaning |\n|---|---|---|---|---|\n");
#define F(n, w, l, wd, d) printf("| %s | %d | %d | %d | %s |\n", #n, w, l, wd, d);
	IPX_FIELD_LIST(F)
#undef F
	printf("\n### Layout constants\n\n| name | value | meaning |\n|---|---|---|\n");
#define L(n, v, d) printf("| %s | %llu | %s |\n", #n, (unsigned long long)(v), d);
	IPX_HW_LAYOUT(L)
#undef L
	printf("\n### DF policy (CFG_DF)\n\n| code | name | meaning |\n|---|---|---|\n");
#define D(n, v, d) printf("| %d | %s | %s |\n", v, #n, d);
	IPX_DF_LIST(D)
#undef D
	printf("\n### Status codes (TU_OUT_STATUS, drop counters)\n\n| code | name | meaning |\n|---|---|---|\n");
#define S(n, v, s, d) printf("| %d | %s | %s |\n", v, s, d);
	IPX_STATUS_LIST(S)
#undef S
	printf("\n### Kernel registers (s_axi_control, 32-bit, byte offsets)\n\n"
	       "| offset | name | access | meaning |\n|---|---|---|---|\n");
#define R(n, o, a, d) printf("| 0x%02x | %s | %s | %s |\n", (unsigned)(o), #n, a, d);
	IPX_KREG_LIST(R)
#undef R
	printf("\n### KFAULT bits\n\n| bit | name | meaning |\n|---|---|---|\n");
#define K(n, v, d) printf("| %d | %s | %s |\n", v, #n, d);
	IPX_KFAULT_LIST(K)
	printf("\n### Control ring operations (CTL_OP)\n\n| code | name | meaning |\n|---|---|---|\n");
	IPX_CTL_OP_LIST(K)
	printf("\n### Control completion results (CMPL_RESULT)\n\n| code | name | meaning |\n|---|---|---|\n");
	IPX_CTL_RES_LIST(K)
#undef K
	printf("\n### Event codes (EV_TYPE)\n\n| code | name | meaning |\n|---|---|---|\n");
#define E(n, v, s, d) printf("| %d | %s | %s |\n", v, s, d);
	IPX_EVENT_LIST(E)
#undef E
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-m") == 0)
		return markdown();
	printf("// Generated from driver/include/ipsecfx/contract.h by\n"
	       "// hw/contract/gen_contract.c (make contract).  Do not edit.\n"
	       "// Included inside each module that needs it (localparams are module\n"
	       "// scope), hence no include guard; a module uses a few of them.\n"
	       "// verilator lint_off UNUSEDPARAM\n\n");
	printf("// constants\n");
#define C(n, v, d) printf("localparam longint unsigned IPX_%s = 64'd%llu; // %s\n", #n, (unsigned long long)(v), d);
	IPX_HW_CONSTANTS(C)
#undef C
	printf("\n// per-packet status codes (4 bits)\n");
#define S(n, v, s, d) printf("localparam logic [3:0] IPX_ST_%s = 4'd%d; // %s\n", #n, v, d);
	IPX_STATUS_LIST(S)
#undef S
	printf("\n// transforms: code, key bytes incl. salt, integrity key bytes, block, IV bytes\n");
#define X(n, v, k, i, b, iv, s)                                                      \
	printf("localparam logic [3:0] IPX_CIPHER_%s = 4'd%d; // %s\n", #n, v, s);   \
	printf("localparam int IPX_CIPHER_%s_KEY_LEN = %d;\n", #n, k);               \
	printf("localparam int IPX_CIPHER_%s_BLOCK = %d;\n", #n, b);                 \
	printf("localparam int IPX_CIPHER_%s_IV_LEN = %d;\n", #n, iv);
	IPX_CIPHER_LIST(X)
#undef X
	printf("\n// events (4 bits)\n");
#define E(n, v, s, d) printf("localparam logic [3:0] IPX_EV_%s = 4'd%d; // %s\n", #n, v, d);
	IPX_EVENT_LIST(E)
#undef E
	printf("\n// outer DF policy (CFG_DF)\n");
#define D(n, v, d) printf("localparam logic [1:0] IPX_DF_%s = 2'd%d; // %s\n", #n, v, d);
	IPX_DF_LIST(D)
#undef D
	printf("\n// host interface layout\n");
#define L(n, v, d) printf("localparam int unsigned IPX_%s = 32'd%llu; // %s\n", #n, (unsigned long long)(v), d);
	IPX_HW_LAYOUT(L)
#undef L
	printf("\n// AXI-Lite registers (byte offsets)\n");
#define R(n, o, a, d) printf("localparam int unsigned IPX_REG_%s = 32'h%04x; // %s: %s\n", #n, (unsigned)(o), a, d);
	IPX_REG_LIST(R)
#undef R
	printf("\n// SA-table commands (SA_CMD.CMD_OP)\n");
#define K(n, v, d) printf("localparam logic [3:0] IPX_CMD_%s = 4'd%d; // %s\n", #n, v, d);
	IPX_SA_CMD_LIST(K)
#undef K
	printf("\n// bit fields: _LSB counts from bit 0 of word 0\n");
#define F(n, w, l, wd, d)                                                            \
	printf("localparam int IPX_F_%s_LSB = %d; // %s\n", #n, (w) * 32 + (l), d);    \
	printf("localparam int IPX_F_%s_W = %d;\n", #n, wd);
	IPX_FIELD_LIST(F)
#undef F
	printf("\n// kernel s_axi_control registers (byte offsets)\n");
#define R(n, o, a, d) printf("localparam int unsigned IPX_KREG_%s = 32'h%02x; // %s: %s\n", #n, (unsigned)(o), a, d);
	IPX_KREG_LIST(R)
#undef R
	printf("\n// KFAULT bits\n");
#define K(n, v, d) printf("localparam int IPX_KF_%s = %d; // %s\n", #n, v, d);
	IPX_KFAULT_LIST(K)
#undef K
	printf("\n// control ring operations and results\n");
#define K(n, v, d) printf("localparam logic [3:0] IPX_CTL_OP_%s = 4'd%d; // %s\n", #n, v, d);
	IPX_CTL_OP_LIST(K)
#undef K
#define K(n, v, d) printf("localparam logic [3:0] IPX_CTL_RES_%s = 4'd%d; // %s\n", #n, v, d);
	IPX_CTL_RES_LIST(K)
#undef K
	printf("\n// verilator lint_on UNUSEDPARAM\n");
	return 0;
}
