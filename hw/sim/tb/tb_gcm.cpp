/*
 * Testbench of gcm_pipe (AES-CTR + GHASH + tag, the GCM core of the RTL
 * pipeline): Wycheproof AES-GCM cases with a 96-bit IV and a 128-bit tag
 * (AES-128/192/256, encrypt and decrypt, every invalid case rejected) and
 * the draft-mcgrew-gcm-test-01 ESP payloads (AAD = SPI || Seq, 32-bit and
 * extended sequence numbers; the AES-GMAC case as AAD only).  Packets of
 * eight SAs and all key sizes run back to back, some with random gaps
 * between slots.
 * Usage: tb_gcm WYCHEPROOF.json DRAFT-MCGREW.json   (prints TAP)
 */
#include <memory>

#include "Vgcm_pipe.h"
#include "hw_keys.h"
#include "tb_util.h"

namespace {

enum { SLOT_J0 = 0, SLOT_J0A = 1, SLOT_AAD = 2, SLOT_DATA = 3, SLOT_LEN = 4 };
constexpr unsigned NSA = 8;

struct pkt {
	unsigned sa = 0;
	tb::bytes key, nonce, aad, text;
	bool dec = false, j0a = false;
	/* results */
	tb::bytes out, tag;
	bool got_tag = false;
};

struct slot {
	unsigned kind, nbytes, n;
	bool sop;
	uint8_t ctr[16], data[16];
	size_t pkt;
};

struct bench {
	VerilatedContext ctx;
	std::unique_ptr<Vgcm_pipe> m;
	uint64_t cycles = 0;
	uint8_t nr[NSA] = {};

	bench() : m(new Vgcm_pipe(&ctx)) {}

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
		m->s_valid = 0;
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
			fprintf(stderr, "bad key size %zu\n", key.size());
			exit(2);
		}
		for (unsigned s = 0; s < IPX_KEY_SLOTS; s++) {
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

	static void ctr_block(uint8_t *c, const tb::bytes &nonce, uint32_t i)
	{
		memcpy(c, nonce.data(), 12);
		c[12] = (uint8_t)(i >> 24);
		c[13] = (uint8_t)(i >> 16);
		c[14] = (uint8_t)(i >> 8);
		c[15] = (uint8_t)i;
	}

	static void slots_of(const pkt &p, size_t idx, std::vector<slot> &out)
	{
		size_t na = (p.aad.size() + 15) / 16, nd = (p.text.size() + 15) / 16;
		unsigned n = (unsigned)((p.j0a ? 1 : na) + nd + 1);
		slot s{};

		s.pkt = idx;
		s.kind = p.j0a ? SLOT_J0A : SLOT_J0;
		s.sop = true;
		s.n = n;
		ctr_block(s.ctr, p.nonce, 1);
		if (p.j0a)
			memcpy(s.data, p.aad.data(), p.aad.size());
		out.push_back(s);
		for (size_t i = 0; !p.j0a && i < na; i++) {
			slot a{};
			size_t len = std::min<size_t>(16, p.aad.size() - 16 * i);

			a.pkt = idx;
			a.kind = SLOT_AAD;
			memcpy(a.data, p.aad.data() + 16 * i, len);
			out.push_back(a);
		}
		for (size_t i = 0; i < nd; i++) {
			slot d{};
			size_t len = std::min<size_t>(16, p.text.size() - 16 * i);

			d.pkt = idx;
			d.kind = SLOT_DATA;
			d.nbytes = (unsigned)len;
			ctr_block(d.ctr, p.nonce, (uint32_t)(i + 2));
			memcpy(d.data, p.text.data() + 16 * i, len);
			out.push_back(d);
		}
		slot l{};
		uint64_t ab = 8ull * p.aad.size(), tbits = 8ull * p.text.size();

		l.pkt = idx;
		l.kind = SLOT_LEN;
		for (int i = 0; i < 8; i++) {
			l.data[i] = (uint8_t)(ab >> (56 - 8 * i));
			l.data[8 + i] = (uint8_t)(tbits >> (56 - 8 * i));
		}
		out.push_back(l);
	}

	/* Run packets whose keys are loaded; results land in the packets. */
	bool run(std::vector<pkt> &ps, tb::rng *gaps)
	{
		std::vector<slot> sl;
		std::vector<size_t> dpkt;  /* packet of each DATA slot, in order */
		size_t next = 0, dgot = 0, tgot = 0;

		for (size_t i = 0; i < ps.size(); i++) {
			slots_of(ps[i], i, sl);
			ps[i].out.clear();
			ps[i].got_tag = false;
		}
		for (const slot &s : sl)
			if (s.kind == SLOT_DATA)
				dpkt.push_back(s.pkt);

		uint64_t budget = cycles + 100 + 4 * sl.size();
		while ((dgot < dpkt.size() || tgot < ps.size()) && cycles < budget) {
			bool send = next < sl.size() && (!gaps || gaps->below(3) != 0);

			m->s_valid = send;
			if (send) {
				const slot &s = sl[next];
				const pkt &p = ps[s.pkt];

				m->s_kind = s.kind;
				tb::set_block(m->s_ctr, s.ctr);
				tb::set_block(m->s_data, s.data);
				m->s_nbytes = s.nbytes;
				m->s_sop = s.sop;
				m->s_n = s.n;
				m->s_sa = p.sa;
				m->s_nr = nr[p.sa];
				m->s_dec = p.dec;
				m->s_user = (uint32_t)(s.pkt & 0xff);
				next++;
			}
			tick();
			if (m->d_valid && dgot < dpkt.size()) {
				uint8_t b[16];
				pkt &p = ps[dpkt[dgot]];
				size_t have = p.out.size();
				size_t len = std::min<size_t>(16, p.text.size() - have);

				tb::get_block(m->d_data, b);
				p.out.insert(p.out.end(), b, b + len);
				dgot++;
			}
			if (m->t_valid && tgot < ps.size()) {
				ps[tgot].tag.resize(16);
				tb::get_block(m->t_tag, ps[tgot].tag.data());
				ps[tgot].got_tag = true;
				tgot++;
			}
		}
		m->s_valid = 0;
		/* nothing more may come out */
		for (int i = 0; i < 64; i++) {
			tick();
			if (m->d_valid || m->t_valid)
				return false;
		}
		return dgot == dpkt.size() && tgot == ps.size();
	}
};

/* Run ps in batches of NSA packets, one SA each. */
bool run_all(bench &b, std::vector<pkt> &ps, tb::rng *gaps)
{
	bool ok = true;

	for (size_t i = 0; i < ps.size(); i += NSA) {
		size_t end = std::min(ps.size(), i + NSA);
		std::vector<pkt> batch(ps.begin() + (long)i, ps.begin() + (long)end);

		for (size_t j = 0; j < batch.size(); j++) {
			batch[j].sa = (unsigned)j;
			b.load_key((unsigned)j, batch[j].key);
		}
		ok &= b.run(batch, gaps);
		std::copy(batch.begin(), batch.end(), ps.begin() + (long)i);
	}
	return ok;
}

void wycheproof(tb::tap &t, bench &b, const char *path, tb::rng &rnd)
{
	json_t *v = tb::load_json(path);
	json_t *groups = json_object_get(v, "testGroups");

	for (int ks : { 128, 192, 256 }) {
		std::vector<pkt> enc, dec;
		std::vector<int> ids;
		std::vector<bool> valid;

		for (size_t g = 0; g < json_array_size(groups); g++) {
			json_t *gr = json_array_get(groups, g);
			json_t *tests = json_object_get(gr, "tests");

			if (json_integer_value(json_object_get(gr, "ivSize")) != 96 ||
			    json_integer_value(json_object_get(gr, "tagSize")) != 128 ||
			    json_integer_value(json_object_get(gr, "keySize")) != ks)
				continue;
			for (size_t i = 0; i < json_array_size(tests); i++) {
				json_t *c = json_array_get(tests, i);
				pkt p;

				p.key = tb::hex(tb::jstr(c, "key"));
				p.nonce = tb::hex(tb::jstr(c, "iv"));
				p.aad = tb::hex(tb::jstr(c, "aad"));
				p.text = tb::hex(tb::jstr(c, "msg"));
				enc.push_back(p);
				p.text = tb::hex(tb::jstr(c, "ct"));
				p.dec = true;
				dec.push_back(p);
				ids.push_back((int)json_integer_value(json_object_get(c, "tcId")));
				valid.push_back(strcmp(tb::jstr(c, "result"), "valid") == 0);
			}
		}
		bool ran = run_all(b, enc, &rnd) && run_all(b, dec, nullptr);
		std::string bad;
		size_t nvalid = 0;

		for (size_t g = 0, k = 0; g < json_array_size(groups); g++) {
			json_t *gr = json_array_get(groups, g);
			json_t *tests = json_object_get(gr, "tests");

			if (json_integer_value(json_object_get(gr, "ivSize")) != 96 ||
			    json_integer_value(json_object_get(gr, "tagSize")) != 128 ||
			    json_integer_value(json_object_get(gr, "keySize")) != ks)
				continue;
			for (size_t i = 0; i < json_array_size(tests); i++, k++) {
				json_t *c = json_array_get(tests, i);
				tb::bytes ct = tb::hex(tb::jstr(c, "ct"));
				tb::bytes tag = tb::hex(tb::jstr(c, "tag"));
				tb::bytes msg = tb::hex(tb::jstr(c, "msg"));
				bool accept = dec[k].got_tag && dec[k].tag == tag;
				bool good;

				if (valid[k]) {
					nvalid++;
					good = accept && dec[k].out == msg && enc[k].got_tag &&
					       enc[k].out == ct && enc[k].tag == tag;
				} else {
					good = !accept;
				}
				if (!good)
					bad += " " + std::to_string(ids[k]);
			}
		}
		t.result(ran && bad.empty(),
			 "Wycheproof AES-GCM-%d, 96-bit IV: %zu cases (%zu valid: encrypt and decrypt "
			 "match; %zu invalid: tag rejected)%s%s",
			 ks, enc.size(), nvalid, enc.size() - nvalid, bad.empty() ? "" : "; wrong:",
			 bad.c_str());
	}
	json_decref(v);
}

void mcgrew(tb::tap &t, bench &b, const char *path, tb::rng &rnd)
{
	json_t *v = tb::load_json(path);
	json_t *cases = json_object_get(v, "cases");
	std::vector<pkt> enc, dec;

	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		pkt p;
		bool gmac = strcmp(tb::jstr(c, "algorithm"), "AES-GMAC-ESP") == 0;

		p.key = tb::hex(tb::jstr(c, "key"));
		p.nonce = tb::hex(tb::jstr(c, "nonce"));
		p.aad = tb::hex(tb::jstr(c, "aad"));
		p.text = tb::hex(tb::jstr(c, "plaintext"));
		p.j0a = !gmac;  /* the ESP AAD fits one block: the J0A slot */
		enc.push_back(p);
		p.text = tb::hex(tb::jstr(c, "ciphertext"));
		p.dec = true;
		dec.push_back(p);
	}
	bool ran = run_all(b, enc, &rnd) && run_all(b, dec, &rnd);
	for (size_t i = 0; i < json_array_size(cases); i++) {
		json_t *c = json_array_get(cases, i);
		tb::bytes ct = tb::hex(tb::jstr(c, "ciphertext"));
		tb::bytes icv = tb::hex(tb::jstr(c, "icv"));
		tb::bytes pt = tb::hex(tb::jstr(c, "plaintext"));
		bool ok = ran && enc[i].out == ct && enc[i].tag == icv && dec[i].out == pt &&
			  dec[i].tag == icv;

		t.result(ok, "draft-mcgrew case %d: %s-%d, %s sequence numbers, %zu bytes", (int)(i + 1),
			 tb::jstr(c, "algorithm"),
			 (int)json_integer_value(json_object_get(c, "key_bits")),
			 json_is_true(json_object_get(c, "esn")) ? "64-bit" : "32-bit", pt.size());
		if (!ok)
			fprintf(stderr, "case %zu: ct %s tag %s\n", i + 1, tb::tohex(enc[i].out).c_str(),
				tb::tohex(enc[i].tag).c_str());
	}
	json_decref(v);
}

} // namespace

int main(int argc, char **argv)
{
	tb::tap t;
	bench b;
	tb::rng rnd(0x6c6d);

	if (argc < 3) {
		fprintf(stderr, "usage: tb_gcm WYCHEPROOF.json DRAFT-MCGREW.json\n");
		return 2;
	}
	b.reset();
	wycheproof(t, b, argv[1], rnd);
	mcgrew(t, b, argv[2], rnd);
	b.m->final();
	return t.done();
}
