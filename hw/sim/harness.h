/*
 * What the Verilator harnesses of the pipeline (espsim.cpp) and the kernel
 * (kernsim.cpp) share: the xorshift64* generator behind their random
 * stalls, and the AXI-Lite master that carries register accesses over the
 * model's slave port, one at a time.
 *
 * The master follows the harnesses' tick: drive() before the clock-low
 * evaluation, sample() after it (a handshake counts when valid and ready
 * were both high before the edge), update() after the rising edge.
 */
#ifndef IPSECFX_HARNESS_H
#define IPSECFX_HARNESS_H

#include <cerrno>
#include <cstdint>

#include <verilated.h>

namespace harness {

/* xorshift64* */
struct rng {
	uint64_t s = 1;

	uint64_t next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	void seed(uint64_t v) { s = v ? v : 1; }
	/* true with probability pct/100, never for 0 */
	bool chance(unsigned pct) { return pct && next() % 100 < pct; }
};

/*
 * Delete a model that has its own context.  Verilator 5.006 erases a model's
 * scopes (it has them once it carries assertions: --assert) from the calling
 * thread's current context, not from the model's: that is the context made
 * last, which may be another engine's, already freed (a use-after-free that
 * showed as a hang on a garbage mutex).  So make the model's own context
 * current for the deletion, then leave the thread on Verilator's default
 * context, never on one about to go.
 */
template <typename M> void close_model(VerilatedContext &ctx, M &model)
{
	model->final();
	Verilated::threadContextp(&ctx);
	model.reset();
	Verilated::threadContextp(Verilated::defaultContextp());
}

/* An AXI-Lite slave port of a Verilated model (12-bit addresses). */
struct axil_pins {
	CData *awvalid, *awready, *wvalid, *wready, *wstrb, *bvalid, *bready;
	CData *arvalid, *arready, *rvalid, *rready;
	SData *awaddr, *araddr;
	IData *wdata, *rdata;
};

/* the pins of port <prefix>* of model m: AXIL_PINS(m, s_axil_) */
#define AXIL_PINS(m, p)                                                         \
	(harness::axil_pins{ &(m)->p##awvalid, &(m)->p##awready, &(m)->p##wvalid,  \
			     &(m)->p##wready, &(m)->p##wstrb, &(m)->p##bvalid,      \
			     &(m)->p##bready, &(m)->p##arvalid, &(m)->p##arready,   \
			     &(m)->p##rvalid, &(m)->p##rready, &(m)->p##awaddr,     \
			     &(m)->p##araddr, &(m)->p##wdata, &(m)->p##rdata })

struct axil_master {
	axil_pins pin;
	bool wr = false, aw_done = false, w_done = false, b_done = false;
	bool rd = false, ar_done = false, r_done = false;
	uint32_t rdata = 0;
	/* the handshakes of this cycle, sampled before the edge */
	bool awf = false, wf = false, bf = false, arf = false, rf = false;
	uint32_t rdv = 0;

	explicit axil_master(const axil_pins &p) : pin(p) {}

	void drive()
	{
		*pin.awvalid = wr && !aw_done;
		*pin.wvalid = wr && !w_done;
		*pin.wstrb = 0xf;
		*pin.bready = 1;
		*pin.arvalid = rd && !ar_done;
		*pin.rready = 1;
	}

	void sample()
	{
		awf = *pin.awvalid && *pin.awready;
		wf = *pin.wvalid && *pin.wready;
		bf = *pin.bvalid && *pin.bready;
		arf = *pin.arvalid && *pin.arready;
		rf = *pin.rvalid && *pin.rready;
		rdv = *pin.rdata;
	}

	void update()
	{
		aw_done |= awf;
		w_done |= wf;
		if (bf && wr)
			b_done = true;
		ar_done |= arf;
		if (rf && rd) {
			r_done = true;
			rdata = rdv;
		}
	}

	/* One access, ticking harness h (its tick() and cycles) for at most
	 * 1000 cycles: 0, or -ETIMEDOUT when the port does not answer. */
	template <typename H> int write(H &h, uint32_t addr, uint32_t val)
	{
		uint64_t budget = h.cycles + 1000;

		*pin.awaddr = (SData)addr;
		*pin.wdata = val;
		wr = true;
		aw_done = w_done = b_done = false;
		while (!b_done && h.cycles < budget)
			h.tick();
		wr = false;
		return b_done ? 0 : -ETIMEDOUT;
	}

	template <typename H> int read(H &h, uint32_t addr, uint32_t *val)
	{
		uint64_t budget = h.cycles + 1000;

		*pin.araddr = (SData)addr;
		rd = true;
		ar_done = r_done = false;
		while (!r_done && h.cycles < budget)
			h.tick();
		rd = false;
		*val = rdata;
		return r_done ? 0 : -ETIMEDOUT;
	}
};

} // namespace harness

#endif
