/*
 * Testbench of aes_enc_pipe: FIPS-197 appendix C and SP 800-38A F.1 ECB
 * vectors, keys of all three sizes loaded in different SA slots and their
 * blocks mixed in one stream with random gaps, then a key replaced in place.
 * Usage: tb_aes VECTORS.json   (prints TAP)
 */
#include <memory>

#include "Vaes_enc_pipe.h"
#include "hw_keys.h"
#include "tb_util.h"

namespace {

struct blk {
	unsigned sa;
	tb::bytes pt, ct;
	std::string name;
};

struct bench {
	VerilatedContext ctx;
	std::unique_ptr<Vaes_enc_pipe> m;
	uint64_t cycles = 0;

	bench() : m(new Vaes_enc_pipe(&ctx)) {}

	void tick()
	{
		m->clk = 0;
		m->eval();
		m->clk = 1;
		m->eval();
		cycles++;
	}

	void reset()
	{
		m->rst = 1;
		m->in_valid = 0;
		m->kw_en = 0;
		for (int i = 0; i < 4; i++)
			tick();
		m->rst = 0;
		tick();
	}

	void load_key(unsigned sa, const tb::bytes &key)
	{
		struct hwk k;

		if (hwk_prepare(key.data(), (unsigned)key.size(), &k)) {
			fprintf(stderr, "bad key size\n");
			exit(2);
		}
		for (unsigned s = 0; s < IPX_KEY_SLOT_H1; s++) {
			m->kw_en = 1;
			m->kw_slot = s;
			m->kw_sa = sa;
			tb::set_block(m->kw_data, k.slot[s]);
			tick();
		}
		m->kw_en = 0;
		nr[sa] = k.nr_code;
		hwk_wipe(&k);
	}

	/* Send the blocks (gaps at random when rnd), collect every output
	 * with a cycle budget; returns the outputs in order. */
	std::vector<tb::bytes> run(const std::vector<blk> &in, tb::rng *rnd)
	{
		std::vector<tb::bytes> out;
		size_t next = 0;
		uint64_t budget = cycles + 64 + 4 * in.size();

		while (out.size() < in.size() && cycles < budget) {
			bool send = next < in.size() && (!rnd || rnd->below(4) != 0);

			m->in_valid = send;
			if (send) {
				tb::set_block(m->in_block, in[next].pt.data());
				m->in_sa = in[next].sa;
				m->in_nr = nr[in[next].sa];
				m->in_user = (uint32_t)next & 0xff;
				next++;
			}
			tick();
			if (m->out_valid) {
				tb::bytes b(16);

				tb::get_block(m->out_block, b.data());
				if (m->out_user != (out.size() & 0xff))
					fprintf(stderr, "side information out of step\n");
				out.push_back(b);
			}
		}
		m->in_valid = 0;
		return out;
	}

	uint8_t nr[4] = { 0, 0, 0, 0 };
};

} // namespace

int main(int argc, char **argv)
{
	tb::tap t;
	bench b;
	tb::rng rnd(0x5eed);

	if (argc < 2) {
		fprintf(stderr, "usage: tb_aes VECTORS.json\n");
		return 2;
	}
	json_t *v = tb::load_json(argv[1]);
	json_t *cases = json_object_get(v, "cases");
	std::vector<blk> all;
	std::vector<tb::bytes> keys;

	b.reset();
	/* one case per SA slot first (the first four), then the rest reuse
	 * slots after their blocks are done */
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		json_t *bl = json_object_get(c, "blocks");
		unsigned sa = (unsigned)(i % 4);
		std::vector<blk> one;

		b.load_key(sa, tb::hex(tb::jstr(c, "key")));
		for (size_t j = 0; j < json_array_size(bl); j++) {
			json_t *p = json_array_get(bl, j);
			blk x{ sa, tb::hex(json_string_value(json_array_get(p, 0))),
			       tb::hex(json_string_value(json_array_get(p, 1))),
			       std::string(tb::jstr(c, "name")) + " block " + std::to_string(j + 1) };
			one.push_back(x);
		}
		std::vector<tb::bytes> out = b.run(one, nullptr);
		bool ok = out.size() == one.size();
		for (size_t j = 0; ok && j < one.size(); j++)
			ok = out[j] == one[j].ct;
		t.result(ok, "%s (%zu blocks)", tb::jstr(c, "name"), one.size());
	}

	/* cases 2..5 (AES-256, -128, -192, -256) are still loaded, in slots
	 * 2, 3, 0, 1: mix their blocks */
	{
		size_t nc = json_array_size(cases);
		std::vector<blk> mix;

		for (size_t i = nc - 4; i < nc; i++) {
			json_t *c = json_array_get(cases, i);
			json_t *bl = json_object_get(c, "blocks");

			for (size_t j = 0; j < json_array_size(bl); j++) {
				json_t *p = json_array_get(bl, j);
				mix.push_back(blk{ (unsigned)(i % 4),
						   tb::hex(json_string_value(json_array_get(p, 0))),
						   tb::hex(json_string_value(json_array_get(p, 1))), "" });
			}
		}
		/* shuffle, repeat, random gaps */
		std::vector<blk> stream;
		for (int rep = 0; rep < 40; rep++)
			for (size_t i = 0; i < mix.size(); i++)
				stream.push_back(mix[rnd.below((unsigned)mix.size())]);
		std::vector<tb::bytes> out = b.run(stream, &rnd);
		size_t good = 0;
		for (size_t i = 0; i < out.size() && i < stream.size(); i++)
			good += out[i] == stream[i].ct;
		t.result(out.size() == stream.size() && good == stream.size(),
			 "%zu blocks of 3 key sizes interleaved with random gaps: %zu right",
			 stream.size(), good);

		/* back to back, no gaps */
		out = b.run(stream, nullptr);
		good = 0;
		for (size_t i = 0; i < out.size() && i < stream.size(); i++)
			good += out[i] == stream[i].ct;
		t.result(out.size() == stream.size() && good == stream.size(),
			 "the same back to back, one block per clock: %zu right", good);
	}

	/* replace a key in place: slot 1 gets C.1's AES-128 key */
	{
		json_t *c = json_array_get(cases, 0);
		json_t *p = json_array_get(json_object_get(c, "blocks"), 0);
		std::vector<blk> one{ blk{ 1, tb::hex(json_string_value(json_array_get(p, 0))),
					   tb::hex(json_string_value(json_array_get(p, 1))), "" } };

		b.load_key(1, tb::hex(tb::jstr(c, "key")));
		std::vector<tb::bytes> out = b.run(one, nullptr);
		t.result(out.size() == 1 && out[0] == one[0].ct,
			 "SA slot reloaded with another key size");
	}
	json_decref(v);
	b.m->final();
	return t.done();
}
