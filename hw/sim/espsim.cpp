/*
 * Verilator harness of the ESP pipeline behind the C API of espsim.h.
 * Each tick drives the inputs, evaluates with the clock low, samples every
 * valid/ready pair, then raises the clock: a handshake counts when both
 * were high before the edge, as in hardware.
 */
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "Vesp_top.h"
#include "espsim.h"
#include "harness.h"

namespace {

struct pkt {
	std::vector<uint8_t> data;
	uint64_t tuser;
};

struct source {
	std::deque<pkt> q;
	size_t off = 0;          // bytes of the head packet already sent
	bool valid = false;      // what is on the port this cycle
	bool held = false;       // offered and not taken at the last edge: stays
	                         // offered (AXI4-Stream 2.2: TVALID waits for TREADY)
	uint64_t first_in = 0, last_in = 0;
};

struct sink {
	std::deque<pkt> q;
	pkt cur;
	bool ready = false;
	uint64_t first_out = 0, last_out = 0;
	bool in_packet = false;
};

template <std::size_t W> void put_beat(VlWide<W> &w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < 4; i++)
		w[i] = 0;
	for (size_t k = 0; k < n; k++)
		w[k / 4] |= (uint32_t)p[k] << (8 * (k % 4));
}

} // namespace

struct espsim {
	VerilatedContext ctx;
	std::unique_ptr<Vesp_top> m;
	uint64_t cycles = 0;
	source src[2];
	sink snk[2];
	unsigned sent[2] = { 0, 0 }, received[2] = { 0, 0 };
	harness::rng r;
	unsigned in_pct = 0, out_pct = 0;
	harness::axil_master axil;

	espsim() : m(new Vesp_top(&ctx)), axil(AXIL_PINS(m, s_axil_)) {}

	void drive()
	{
		for (int p = 0; p < 2; p++) {
			source &s = src[p];
			uint8_t beat[16];
			size_t n = 0;
			bool last = false;
			uint64_t tuser = 0;

			s.valid = !s.q.empty() && (s.held || !r.chance(in_pct));
			snk[p].ready = !r.chance(out_pct);
			if (s.valid) {
				const pkt &h = s.q.front();

				n = h.data.size() - s.off < 16 ? h.data.size() - s.off : 16;
				memcpy(beat, h.data.data() + s.off, n);
				last = s.off + n >= h.data.size();
				tuser = h.tuser;
			}
			unsigned keep = n >= 16 ? 0xffff : (1u << n) - 1;
			if (p == ESPSIM_ENC) {
				m->s_axis_enc_tvalid = s.valid;
				put_beat(m->s_axis_enc_tdata, beat, n);
				m->s_axis_enc_tkeep = keep;
				m->s_axis_enc_tlast = last;
				m->s_axis_enc_tuser = tuser;
				m->m_axis_enc_tready = snk[p].ready;
			} else {
				m->s_axis_dec_tvalid = s.valid;
				put_beat(m->s_axis_dec_tdata, beat, n);
				m->s_axis_dec_tkeep = keep;
				m->s_axis_dec_tlast = last;
				m->m_axis_dec_tready = snk[p].ready;
			}
		}
		axil.drive();
	}

	void take(int p, bool in_fire, bool out_fire, const VlWide<4> &odata, unsigned okeep,
		  bool olast, uint64_t ouser)
	{
		src[p].held = src[p].valid && !in_fire;
		if (in_fire) {
			source &s = src[p];
			const pkt &h = s.q.front();

			if (s.off == 0)
				s.first_in = cycles;
			s.off += 16;
			if (s.off >= h.data.size()) {
				s.q.pop_front();
				s.off = 0;
				s.last_in = cycles;
			}
		}
		if (out_fire) {
			sink &k = snk[p];

			if (!k.in_packet) {
				k.first_out = cycles;
				k.in_packet = true;
			}
			for (unsigned b = 0; b < 16; b++)
				if (okeep & (1u << b))
					k.cur.data.push_back((uint8_t)(odata[b / 4] >> (8 * (b % 4))));
			if (olast) {
				k.cur.tuser = ouser;
				k.q.push_back(std::move(k.cur));
				k.cur = pkt();
				k.last_out = cycles;
				k.in_packet = false;
			}
		}
	}

	void tick()
	{
		drive();
		m->clk = 0;
		m->eval();
		bool ein = m->s_axis_enc_tvalid && m->s_axis_enc_tready;
		bool eout = m->m_axis_enc_tvalid && m->m_axis_enc_tready;
		bool din = m->s_axis_dec_tvalid && m->s_axis_dec_tready;
		bool dout = m->m_axis_dec_tvalid && m->m_axis_dec_tready;
		VlWide<4> ed = m->m_axis_enc_tdata, dd = m->m_axis_dec_tdata;
		unsigned ek = m->m_axis_enc_tkeep, dk = m->m_axis_dec_tkeep;
		bool el = m->m_axis_enc_tlast, dl = m->m_axis_dec_tlast;
		uint64_t eu = m->m_axis_enc_tuser, du = m->m_axis_dec_tuser;
		axil.sample();
		m->clk = 1;
		m->eval();
		cycles++;
		take(ESPSIM_ENC, ein, eout, ed, ek, el, eu);
		take(ESPSIM_DEC, din, dout, dd, dk, dl, du);
		axil.update();
	}
};

extern "C" {

struct espsim *espsim_open(void)
{
	espsim *s = new (std::nothrow) espsim();

	if (!s)
		return nullptr;
	s->m->rst = 1;
	for (int i = 0; i < 8; i++)
		s->tick();
	s->m->rst = 0;
	s->tick();
	return s;
}

void espsim_close(struct espsim *s)
{
	if (!s)
		return;
	harness::close_model(s->ctx, s->m);
	delete s;
}

void espsim_stalls(struct espsim *s, uint64_t seed, unsigned in_pct, unsigned out_pct)
{
	s->r.seed(seed);
	s->in_pct = in_pct > 90 ? 90 : in_pct;
	s->out_pct = out_pct > 90 ? 90 : out_pct;
}

int espsim_reg_write(struct espsim *s, uint32_t addr, uint32_t val)
{
	return s->axil.write(*s, addr, val);
}

int espsim_reg_read(struct espsim *s, uint32_t addr, uint32_t *val)
{
	return s->axil.read(*s, addr, val);
}

int espsim_send(struct espsim *s, int port, const uint8_t *data, uint32_t len, uint64_t tuser)
{
	if (port != ESPSIM_ENC && port != ESPSIM_DEC)
		return -EINVAL;
	if (len == 0)
		return -EINVAL;  /* AXI-Stream has no empty packet */
	s->src[port].q.push_back(pkt{ std::vector<uint8_t>(data, data + len), tuser });
	s->sent[port]++;
	return 0;
}

int espsim_recv(struct espsim *s, int port, uint8_t *buf, uint32_t cap, uint32_t *len,
		uint64_t *tuser)
{
	if (port != ESPSIM_ENC && port != ESPSIM_DEC)
		return -EINVAL;
	sink &k = s->snk[port];
	if (k.q.empty())
		return -EAGAIN;
	const pkt &p = k.q.front();
	*len = (uint32_t)p.data.size();
	*tuser = p.tuser;
	if (p.data.size() > cap)
		return -ENOSPC;
	if (!p.data.empty())
		memcpy(buf, p.data.data(), p.data.size());
	k.q.pop_front();
	s->received[port]++;
	return 0;
}

unsigned espsim_pending(const struct espsim *s, int port)
{
	return s->sent[port] - s->received[port] - (unsigned)s->snk[port].q.size();
}

void espsim_step(struct espsim *s, uint64_t cycles)
{
	for (uint64_t i = 0; i < cycles; i++)
		s->tick();
}

uint64_t espsim_cycles(const struct espsim *s)
{
	return s->cycles;
}

void espsim_times(const struct espsim *s, int port, struct espsim_times *t)
{
	t->first_in = s->src[port].first_in;
	t->last_in = s->src[port].last_in;
	t->first_out = s->snk[port].first_out;
	t->last_out = s->snk[port].last_out;
}

} // extern "C"
