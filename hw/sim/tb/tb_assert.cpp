/*
 * Drives the protocol checkers (hw/rtl/hs_check, axis_check, axil_check,
 * axi4_check) through the test wrapper chk_tb, and one of them inside the
 * whole pipeline (esp_top), for tests/rtl/t_assert.sh.
 *
 * Usage: tb_assert SCENARIO
 *   legal         legal traffic on every port, with waits: no assertion fires,
 *                 exit 0
 *   anything else breaks one rule once, after legal traffic: the model stops
 *                 at the failed assertion (Verilator aborts), naming the rule
 *                 and the port; reaching the end instead exits 3
 * tb_assert list prints the scenarios.
 */
#include <cstdio>
#include <cstring>
#include <memory>

#include "Vchk_tb.h"
#include "Vesp_top.h"

namespace {

struct bench {
	VerilatedContext ctx;
	std::unique_ptr<Vchk_tb> m;

	bench() : m(new Vchk_tb(&ctx)) {}
	/* one model in the process: its context is the thread's, so no
	 * harness::close_model (whose thread-context switch UBSan, in this
	 * program, reports as a null member access inside verilated.h) */
	~bench()
	{
		m->final();
		m.reset();
	}

	void tick()
	{
		m->clk = 0;
		m->eval();
		m->clk = 1;
		m->eval();
	}
	void reset()
	{
		m->rst = 1;
		tick();
		tick();
		m->rst = 0;
		m->m_awsize = 4;
		m->m_awburst = 1;
		m->m_arsize = 4;
		m->m_arburst = 1;
		m->m_wstrb = 0xffff;
		m->l_wstrb = 0xf;
		tick();
	}

	/* AXI4-Stream: beat n of a packet, READY low for `wait` edges first */
	void beat(unsigned n, unsigned keep, bool last, unsigned wait)
	{
		m->s_tvalid = 1;
		m->s_tdata[0] = n;
		m->s_tkeep = keep;
		m->s_tlast = last;
		m->s_tuser = 0x5a;
		m->s_tready = 0;
		for (unsigned i = 0; i < wait; i++)
			tick();
		m->s_tready = 1;
		tick();
		m->s_tvalid = 0;
		m->s_tready = 0;
	}
	void axis_legal()
	{
		beat(0, 0xffff, false, 2);
		beat(1, 0xffff, false, 0);
		beat(2, 0x0007, true, 1);
		beat(3, 0x0000, true, 0);   // a null beat: the pipeline's dropped packet
		tick();
	}

	void axil_legal()
	{
		m->l_awaddr = 0x40;
		m->l_awvalid = 1;
		m->l_wdata = 0x1234;
		m->l_wvalid = 1;
		tick();                     // waiting
		m->l_awready = 1;
		m->l_wready = 1;
		tick();
		m->l_awvalid = m->l_wvalid = m->l_awready = m->l_wready = 0;
		m->l_bvalid = 1;
		tick();                     // B waits for BREADY
		m->l_bready = 1;
		tick();
		m->l_bvalid = m->l_bready = 0;
		m->l_araddr = 0x44;
		m->l_arvalid = 1;
		m->l_arready = 1;
		tick();
		m->l_arvalid = m->l_arready = 0;
		m->l_rvalid = 1;
		m->l_rdata = 7;
		m->l_rready = 1;
		tick();
		m->l_rvalid = m->l_rready = 0;
		tick();
	}

	/* AXI4: a write burst of `beats` at `a`, WLAST on beat `lastat` */
	void axi_write(uint64_t a, unsigned beats, unsigned lastat)
	{
		m->m_awaddr = a;
		m->m_awlen = beats - 1;
		m->m_awvalid = 1;
		m->m_awready = 1;
		tick();
		m->m_awvalid = m->m_awready = 0;
		for (unsigned i = 0; i < beats; i++) {
			m->m_wvalid = 1;
			m->m_wdata[0] = i;
			m->m_wlast = i == lastat;
			m->m_wready = i != 1;   // the second beat waits an edge
			tick();
			if (i == 1) {
				m->m_wready = 1;
				tick();
			}
		}
		m->m_wvalid = m->m_wready = 0;
		m->m_bvalid = 1;
		m->m_bready = 1;
		tick();
		m->m_bvalid = m->m_bready = 0;
	}
	/* AXI4: a read burst of `beats` at `a`, RLAST on beat `lastat` */
	void axi_read(uint64_t a, unsigned beats, unsigned lastat)
	{
		m->m_araddr = a;
		m->m_arlen = beats - 1;
		m->m_arvalid = 1;
		m->m_arready = 1;
		tick();
		m->m_arvalid = m->m_arready = 0;
		for (unsigned i = 0; i < beats; i++) {
			m->m_rvalid = 1;
			m->m_rdata[0] = i;
			m->m_rlast = i == lastat;
			m->m_rready = 1;
			tick();
		}
		m->m_rvalid = m->m_rready = 0;
		tick();
	}
	void axi_legal()
	{
		axi_write(0x1fc0, 4, 3);    // ends on the 4 KB boundary
		axi_read(0xff0, 1, 0);
		axi_read(0x10000, 64, 63);
	}

	void legal()
	{
		axis_legal();
		axil_legal();
		axi_legal();
	}
};

/* the pipeline model: a beat before the last with TKEEP not full */
int esp_keep_mid()
{
	VerilatedContext ctx;
	std::unique_ptr<Vesp_top> m(new Vesp_top(&ctx));

	m->rst = 1;
	for (int i = 0; i < 4; i++) {
		m->clk = 0;
		m->eval();
		m->clk = 1;
		m->eval();
	}
	m->rst = 0;
	m->s_axis_enc_tvalid = 1;
	m->s_axis_enc_tkeep = 0x00ff;
	m->s_axis_enc_tlast = 0;
	for (int i = 0; i < 4; i++) {
		m->clk = 0;
		m->eval();
		m->clk = 1;
		m->eval();
	}
	m->final();
	m.reset();
	return 3;
}

struct scenario {
	const char *name, *rule;
	void (*run)(bench &);
};

const scenario scenarios[] = {
	{ "legal", "", [](bench &) {} },
	{ "axis_valid_drop", "chk_tb.s_axis a_valid_held",
	  [](bench &b) {
		  b.m->s_tvalid = 1;
		  b.m->s_tkeep = 0xffff;
		  b.tick();          // offered, not taken
		  b.m->s_tvalid = 0; // withdrawn
		  b.tick();
	  } },
	{ "axis_payload", "chk_tb.s_axis a_payload_held",
	  [](bench &b) {
		  b.m->s_tvalid = 1;
		  b.m->s_tkeep = 0xffff;
		  b.tick();
		  b.m->s_tdata[0] ^= 1;
		  b.tick();
	  } },
	{ "axis_keep_mid", "chk_tb.s_axis a_keep_full", [](bench &b) { b.beat(0, 0x7fff, false, 0); } },
	{ "axis_keep_last", "chk_tb.s_axis a_keep_run", [](bench &b) { b.beat(0, 0x0005, true, 0); } },
	{ "axil_aw_drop", "chk_tb.s_axil.AW a_valid_held",
	  [](bench &b) {
		  b.m->l_awvalid = 1;
		  b.tick();
		  b.m->l_awvalid = 0;
		  b.tick();
	  } },
	{ "axil_b_early", "chk_tb.s_axil a_b_after",
	  [](bench &b) {
		  b.m->l_bvalid = 1;
		  b.tick();
	  } },
	{ "axil_r_early", "chk_tb.s_axil a_r_after",
	  [](bench &b) {
		  b.m->l_rvalid = 1;
		  b.tick();
	  } },
	{ "axi_aw_size", "chk_tb.m_axi a_aw_incr",
	  [](bench &b) {
		  b.m->m_awsize = 3;
		  b.axi_write(0x100, 2, 1);
	  } },
	{ "axi_ar_page", "chk_tb.m_axi a_ar_page", [](bench &b) { b.axi_read(0xff0, 2, 1); } },
	{ "axi_wlast_early", "chk_tb.m_axi a_wlast", [](bench &b) { b.axi_write(0x100, 4, 2); } },
	{ "axi_rlast_late", "chk_tb.m_axi a_rlast", [](bench &b) { b.axi_read(0x100, 2, 5); } },
	{ "axi_w_orphan", "chk_tb.m_axi a_w_burst",
	  [](bench &b) {
		  b.m->m_wvalid = 1;
		  b.m->m_wready = 1;
		  b.m->m_wlast = 1;
		  b.tick();
	  } },
	{ "axi_r_drop", "chk_tb.m_axi.R a_valid_held",
	  [](bench &b) {
		  b.m->m_araddr = 0x200;
		  b.m->m_arlen = 0;
		  b.m->m_arvalid = b.m->m_arready = 1;
		  b.tick();
		  b.m->m_arvalid = b.m->m_arready = 0;
		  b.m->m_rvalid = 1;
		  b.m->m_rlast = 1;
		  b.tick();          // RREADY low: offered, not taken
		  b.m->m_rvalid = 0;
		  b.tick();
	  } },
};

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tb_assert SCENARIO | list\n");
		return 2;
	}
	if (!strcmp(argv[1], "list")) {
		for (const scenario &s : scenarios)
			printf("%s %s\n", s.name, s.rule);
		printf("esp_keep_mid esp_top.s_axis_enc a_keep_full\n");
		return 0;
	}
	if (!strcmp(argv[1], "esp_keep_mid"))
		return esp_keep_mid();
	for (const scenario &s : scenarios) {
		if (strcmp(argv[1], s.name))
			continue;
		bench b;
		b.reset();
		b.legal();
		s.run(b);
		for (int i = 0; i < 4; i++)
			b.tick();
		if (s.rule[0]) {
			printf("tb_assert: %s: no assertion fired\n", s.name);
			return 3;
		}
		printf("tb_assert: legal traffic, no assertion fired\n");
		return 0;
	}
	fprintf(stderr, "tb_assert: no scenario '%s' (tb_assert list)\n", argv[1]);
	return 2;
}
