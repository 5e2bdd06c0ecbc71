/*
 * Verilator harness of the kernel behind the C API of kernsim.h.  Each tick
 * drives the inputs from the models' state, evaluates with the clock low,
 * samples every valid/ready pair, then raises the clock: a handshake counts
 * when both were high before the edge, as in hardware.  Each m_axi port is
 * served by a memory slave that takes up to 32 read bursts outstanding and
 * answers each, in order, a set latency after its address (PCIe's round
 * trip), and one write burst at a time.
 */
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "Vesp_kernel.h"
#include "harness.h"
#include "kernsim.h"

namespace {

struct region {
	uint64_t base;
	size_t size;
	std::unique_ptr<uint8_t[]> mem;
};

/* a read burst taken, answered from `due` on, in order */
struct rburst {
	uint64_t addr;
	unsigned beats, beat;
	bool err;
	uint64_t due;
};

/* one m_axi port's slave state */
struct slave {
	std::deque<rburst> rq;     // read bursts taken and not fully answered
	bool rd = false;           // this cycle: the oldest is due and answered
	bool wr = false;           // a write burst is being taken
	uint64_t waddr = 0;
	unsigned wbeats = 0, wbeat = 0;
	bool werr = false;
	bool bpend = false, bresp_err = false;
	// a response offered and not taken at the last edge stays offered
	// (AXI4 A3.2.1: VALID, once high, waits for READY), stalls or not
	bool rheld = false, bheld = false;
	// this cycle's outputs
	bool arready = false, rvalid = false, awready = false, wready = false, bvalid = false;
};

} // namespace

struct kernsim {
	VerilatedContext ctx;
	std::unique_ptr<Vesp_kernel> m;
	uint64_t cycles = 0;
	std::vector<region> regions;
	uint64_t next_dev = KERNSIM_DEV_BASE;
	slave port[2];             // 0: gmem, 1: ctl
	harness::rng r;
	unsigned rd_pct = 0, wr_pct = 0;
	uint64_t rd_latency = 0;   // cycles from a read burst's address to its data
	size_t rd_max = 32;        // read bursts the memory takes outstanding
	bool stall = false, dma_err = false;
	kernsim_stats stats{};
	harness::axil_master axil;

	kernsim() : m(new Vesp_kernel(&ctx)), axil(AXIL_PINS(m, s_axi_control_)) {}

	uint8_t *at(uint64_t a, size_t n)
	{
		for (auto &g : regions)
			if (a >= g.base && a - g.base < g.size && n <= g.size - (a - g.base))
				return g.mem.get() + (a - g.base);
		return nullptr;
	}

	bool check_burst(uint64_t a, unsigned beats, unsigned size, unsigned burst)
	{
		bool ok = size == 4 && burst == 1 && (a & 15) == 0 &&
			  (a >> 12) == ((a + 16ull * beats - 1) >> 12);
		if (!ok) {
			stats.protocol_errors++;
			fprintf(stderr, "kernsim: bad burst addr %#llx beats %u size %u burst %u\n",
				(unsigned long long)a, beats, size, burst);
		}
		return ok;
	}

	template <typename T> void rdata_beat(T &w, const slave &s)
	{
		const rburst *b = s.rd ? &s.rq.front() : nullptr;
		const uint8_t *p = !b || b->err ? nullptr : at(b->addr + 16ull * b->beat, 16);
		for (int i = 0; i < 4; i++) {
			uint32_t v = 0;
			if (p)
				memcpy(&v, p + 4 * i, 4);
			w[i] = v;
		}
	}

	void drive()
	{
		for (int p = 0; p < 2; p++) {
			slave &s = port[p];
			s.rd = !s.rq.empty() && cycles >= s.rq.front().due;
			s.arready = !stall && s.rq.size() < rd_max && !r.chance(rd_pct);
			s.rvalid = s.rd && (s.rheld || (!stall && !r.chance(rd_pct)));
			s.awready = !stall && !s.wr && !s.bpend && !r.chance(wr_pct);
			s.wready = !stall && s.wr && !r.chance(wr_pct);
			s.bvalid = s.bpend && (s.bheld || !stall);
		}
		slave &g = port[0], &c = port[1];
		m->m_axi_gmem_arready = g.arready;
		m->m_axi_gmem_rvalid = g.rvalid;
		rdata_beat(m->m_axi_gmem_rdata, g);
		m->m_axi_gmem_rresp = g.rd && g.rq.front().err ? 2 : 0;
		m->m_axi_gmem_rlast = g.rd && g.rq.front().beat + 1 == g.rq.front().beats;
		m->m_axi_gmem_awready = g.awready;
		m->m_axi_gmem_wready = g.wready;
		m->m_axi_gmem_bvalid = g.bvalid;
		m->m_axi_gmem_bresp = g.bresp_err ? 2 : 0;
		m->m_axi_ctl_arready = c.arready;
		m->m_axi_ctl_rvalid = c.rvalid;
		rdata_beat(m->m_axi_ctl_rdata, c);
		m->m_axi_ctl_rresp = c.rd && c.rq.front().err ? 2 : 0;
		m->m_axi_ctl_rlast = c.rd && c.rq.front().beat + 1 == c.rq.front().beats;
		m->m_axi_ctl_awready = c.awready;
		m->m_axi_ctl_wready = c.wready;
		m->m_axi_ctl_bvalid = c.bvalid;
		m->m_axi_ctl_bresp = c.bresp_err ? 2 : 0;
		axil.drive();
	}

	struct sampled {
		bool ar, r, aw, w, b;
		uint64_t araddr, awaddr;
		unsigned arlen, arsize, arburst, awlen, awsize, awburst, wlast;
		uint32_t wdata[4];
		unsigned wstrb;
	};

	template <typename T> static void get_w(sampled &x, const T &w)
	{
		for (int i = 0; i < 4; i++)
			x.wdata[i] = w[i];
	}

	void take(slave &s, const sampled &x)
	{
		s.rheld = s.rvalid && !x.r;
		s.bheld = s.bvalid && !x.b;
		if (x.ar) {
			unsigned beats = x.arlen + 1;
			bool ok = check_burst(x.araddr, beats, x.arsize, x.arburst);
			s.rq.push_back(rburst{ x.araddr, beats, 0,
					       dma_err || !ok || !at(x.araddr, 16ull * beats),
					       cycles + rd_latency });
			if (!dma_err && !at(x.araddr, 16ull * beats))
				stats.bad_access++;
			dma_err = false;   // one burst
		}
		if (x.r) {
			stats.rd_beats++;
			if (++s.rq.front().beat == s.rq.front().beats)
				s.rq.pop_front();
		}
		if (x.aw) {
			s.wr = true;
			s.waddr = x.awaddr;
			s.wbeats = x.awlen + 1;
			s.wbeat = 0;
			bool ok = check_burst(x.awaddr, s.wbeats, x.awsize, x.awburst);
			s.werr = !ok || !at(x.awaddr, 16ull * s.wbeats);
			if (!at(x.awaddr, 16ull * s.wbeats))
				stats.bad_access++;
		}
		if (x.w) {
			stats.wr_beats++;
			uint8_t *p = s.werr ? nullptr : at(s.waddr + 16ull * s.wbeat, 16);
			for (unsigned b = 0; p && b < 16; b++)
				if (x.wstrb & (1u << b))
					p[b] = (uint8_t)(x.wdata[b / 4] >> (8 * (b % 4)));
			bool last = ++s.wbeat == s.wbeats;
			if (last != (bool)x.wlast) {
				stats.protocol_errors++;
				fprintf(stderr, "kernsim: wlast on beat %u of %u\n", s.wbeat, s.wbeats);
			}
			if (last) {
				s.wr = false;
				s.bpend = true;
				s.bresp_err = s.werr;
			}
		}
		if (x.b)
			s.bpend = false;
	}

	void tick()
	{
		drive();
		m->ap_clk = 0;
		m->eval();
		sampled g{}, c{};
		g.ar = m->m_axi_gmem_arvalid && port[0].arready;
		g.r = m->m_axi_gmem_rready && port[0].rvalid;
		g.aw = m->m_axi_gmem_awvalid && port[0].awready;
		g.w = m->m_axi_gmem_wvalid && port[0].wready;
		g.b = m->m_axi_gmem_bready && port[0].bvalid;
		g.araddr = m->m_axi_gmem_araddr;
		g.arlen = m->m_axi_gmem_arlen;
		g.arsize = m->m_axi_gmem_arsize;
		g.arburst = m->m_axi_gmem_arburst;
		g.awaddr = m->m_axi_gmem_awaddr;
		g.awlen = m->m_axi_gmem_awlen;
		g.awsize = m->m_axi_gmem_awsize;
		g.awburst = m->m_axi_gmem_awburst;
		g.wlast = m->m_axi_gmem_wlast;
		g.wstrb = m->m_axi_gmem_wstrb;
		get_w(g, m->m_axi_gmem_wdata);
		c.ar = m->m_axi_ctl_arvalid && port[1].arready;
		c.r = m->m_axi_ctl_rready && port[1].rvalid;
		c.aw = m->m_axi_ctl_awvalid && port[1].awready;
		c.w = m->m_axi_ctl_wvalid && port[1].wready;
		c.b = m->m_axi_ctl_bready && port[1].bvalid;
		c.araddr = m->m_axi_ctl_araddr;
		c.arlen = m->m_axi_ctl_arlen;
		c.arsize = m->m_axi_ctl_arsize;
		c.arburst = m->m_axi_ctl_arburst;
		c.awaddr = m->m_axi_ctl_awaddr;
		c.awlen = m->m_axi_ctl_awlen;
		c.awsize = m->m_axi_ctl_awsize;
		c.awburst = m->m_axi_ctl_awburst;
		c.wlast = m->m_axi_ctl_wlast;
		c.wstrb = m->m_axi_ctl_wstrb;
		get_w(c, m->m_axi_ctl_wdata);
		axil.sample();
		m->ap_clk = 1;
		m->eval();
		cycles++;
		take(port[0], g);
		take(port[1], c);
		axil.update();
	}

	void reset(unsigned n)
	{
		m->ap_rst_n = 0;
		for (unsigned i = 0; i < n; i++)
			tick();
		m->ap_rst_n = 1;
		port[0] = slave();
		port[1] = slave();
		tick();
		tick();
	}
};

extern "C" {

struct kernsim *kernsim_open(void)
{
	kernsim *k = new (std::nothrow) kernsim();

	if (!k)
		return nullptr;
	k->reset(8);
	return k;
}

void kernsim_close(struct kernsim *k)
{
	if (!k)
		return;
	harness::close_model(k->ctx, k->m);
	delete k;
}

void kernsim_stalls(struct kernsim *k, uint64_t seed, unsigned rd_pct, unsigned wr_pct)
{
	k->r.seed(seed);
	k->rd_pct = rd_pct > 90 ? 90 : rd_pct;
	k->wr_pct = wr_pct > 90 ? 90 : wr_pct;
}

int kernsim_reg_write(struct kernsim *k, uint32_t addr, uint32_t val)
{
	return k->axil.write(*k, addr, val);
}

int kernsim_reg_read(struct kernsim *k, uint32_t addr, uint32_t *val)
{
	return k->axil.read(*k, addr, val);
}

uint64_t kernsim_alloc(struct kernsim *k, size_t size, void **host)
{
	size_t sz = (size + 4095) & ~(size_t)4095;
	region g;

	if (!size)
		return 0;
	g.mem.reset(new (std::nothrow) uint8_t[sz]());
	if (!g.mem)
		return 0;
	g.base = k->next_dev;
	g.size = sz;
	*host = g.mem.get();
	k->next_dev += sz + 65536;  // a hole between regions
	k->regions.push_back(std::move(g));
	return k->regions.back().base;
}

void kernsim_step(struct kernsim *k, uint64_t cycles)
{
	for (uint64_t i = 0; i < cycles; i++)
		k->tick();
}

uint64_t kernsim_cycles(const struct kernsim *k)
{
	return k->cycles;
}

void kernsim_latency(struct kernsim *k, uint64_t rd_cycles)
{
	k->rd_latency = rd_cycles;
}

int kernsim_fault(struct kernsim *k, enum kernsim_fault kind)
{
	switch (kind) {
	case KERNSIM_FAULT_NONE:
		k->stall = false;
		k->dma_err = false;
		return 0;
	case KERNSIM_FAULT_STALL:
		k->stall = true;
		return 0;
	case KERNSIM_FAULT_DMA:
		k->dma_err = true;
		return 0;
	case KERNSIM_FAULT_RESET:
		k->reset(16);
		return 0;
	}
	return -EINVAL;
}

void kernsim_get_stats(const struct kernsim *k, struct kernsim_stats *st)
{
	*st = k->stats;
}

} // extern "C"
