/*
 * The card engine over the Verilated kernel (engine "sim", driver/fpga):
 * device addresses above 2^38 survive every DMA path (and a 32-bit cut
 * one faults the kernel); each fault hook (stall, DMA read error, reset)
 * gives -EIO without touching the packets, one ENGINE_FAULT event and the
 * fault in ipx_engine_health() within the deadline, SA state from host
 * knowledge (an upper bound of the sequence number), and recovery to an
 * empty, working engine; engine xrt without XRT or a card fails cleanly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ipsecfx/hwif.h>
#include <ipsecfx/place.h>

#include "fpga/fpga.h"
#include "kernsim.h"
#include "tengine.h"

struct kernsim *ipx_bus_sim_model(struct ipx_bus *bus);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct ipx_engine *open_sim(uint32_t deadline_ms)
{
	struct ipx_engine_config cfg = { .max_sas = 64, .deadline_ms = deadline_ms };
	struct ipx_engine *e = NULL;

	assert_int_equal(ipx_engine_open_direct("sim", &cfg, &e), 0);  /* the kernel engine itself, not behind placement */
	return e;
}

/* n packets through an outbound and back through an inbound SA */
static void traffic(struct ipx_engine *e, uint32_t out, unsigned n)
{
	struct ipx_pkt p[16];
	uint8_t inner[16][300];

	assert_true(n <= 16);
	for (unsigned i = 0; i < n; i++) {
		tlib_ip_packet(inner[i], 60 + 13 * i, (int)(i & 1), 6);
		p[i] = te_pkt(inner[i], 60 + 13 * i);
		p[i].sa = out;
	}
	assert_int_equal(ipx_encrypt_burst(e, p, n), (int)n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(p[i].status, IPX_ST_OK);
	assert_int_equal(ipx_decrypt_burst(e, p, n), (int)n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(p[i].status, IPX_ST_OK);
		assert_int_equal(p[i].len, 60 + 13 * i);
		assert_memory_equal(te_data(&p[i]), inner[i], p[i].len);
	}
}

static void add_pair(struct ipx_engine *e, uint32_t *out, uint32_t *in)
{
	struct ipx_sa_params p;

	te_params(&p, IPX_CIPHER_AES256GCM16, IPX_MODE_TUNNEL, 0, false, false);
	*out = te_add(e, &p, IPX_DIR_OUT);
	*in = te_add(e, &p, IPX_DIR_IN);
}

static void test_high_addresses(void **state)
{
	struct ipx_engine *e = open_sim(0);
	struct ipx_bus *bus;
	struct kernsim_stats st;
	uint64_t base;
	uint32_t out, in;

	(void)state;
	assert_int_equal(ipx_fpga_bus(e, &bus, &base), 0);
	assert_true(base >> 38 != 0);
	assert_true(base >> 44 != 0);
	add_pair(e, &out, &in);
	traffic(e, out, 16);
	kernsim_get_stats(ipx_bus_sim_model(bus), &st);
	assert_int_equal(st.bad_access, 0);
	assert_int_equal(st.protocol_errors, 0);
	assert_true(st.rd_beats > 0 && st.wr_beats > 0);
	print_message("DMA region at %#llx: %llu read and %llu write beats, all in host memory\n",
		      (unsigned long long)base, (unsigned long long)st.rd_beats,
		      (unsigned long long)st.wr_beats);
	te_reset();
	ipx_engine_close(e);
}

/* The same ring given to the kernel with its address cut to 32 bits: the
 * kernel's descriptor read lands outside host memory and faults. */
static void test_truncated_address(void **state)
{
	struct kernsim *k = kernsim_open();
	struct kernsim_stats st;
	void *host;
	uint64_t dev = kernsim_alloc(k, 1 << 16, &host);
	uint32_t v = 0, cut = (uint32_t)dev;

	(void)state;
	assert_true(dev >> 32 != 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_DESC_LO, cut), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_DESC_HI, 0), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_CMPL_LO, cut + 4096), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_CMPL_HI, 0), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_SIZE, 4), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_CTRL, 1), 0);
	assert_int_equal(kernsim_reg_write(k, IPX_KREG_OUT_TAIL, 1), 0);
	kernsim_step(k, 200);
	assert_int_equal(kernsim_reg_read(k, IPX_KREG_KFAULT, &v), 0);
	assert_int_equal(v & IPX_KF_DMA_RD, IPX_KF_DMA_RD);
	assert_int_equal(kernsim_reg_read(k, IPX_KREG_KSTATUS, &v), 0);
	assert_int_equal(v, 3);   /* running, halted */
	kernsim_get_stats(k, &st);
	assert_int_equal(st.bad_access, 1);
	kernsim_close(k);
}

static void fault_case(enum ipx_fault kind)
{
	const uint32_t deadline = 20;
	struct ipx_engine *e = open_sim(deadline);
	struct ipx_pkt p[8], keep[8];
	uint8_t inner[8][200], copy[8][200];
	struct ipx_event ev[16];
	struct ipx_health h;
	struct ipx_sa_state st;
	uint32_t out, in;
	unsigned nev, faults = 0;
	double t0, dt;

	add_pair(e, &out, &in);
	traffic(e, out, 10);            /* sequence numbers 1..10 used */
	assert_int_equal(ipx_engine_health(e, &h), 0);
	assert_true(h.hardware && h.ok);
	assert_int_equal(ipx_sa_query(e, in, &st), 0);
	assert_int_equal(st.seq, 10);
	assert_int_equal(ipx_engine_inject_fault(e, kind), 0);
	for (unsigned i = 0; i < 8; i++) {
		tlib_ip_packet(inner[i], 100 + i, 0, 17);
		p[i] = te_pkt(inner[i], 100 + i);
		p[i].sa = out;
		keep[i] = p[i];
		memcpy(copy[i], p[i].buf + p[i].off, p[i].len);
	}
	t0 = now_s();
	assert_int_equal(ipx_encrypt_burst(e, p, 8), -EIO);
	dt = now_s() - t0;
	/* untouched: the caller sends them elsewhere */
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(p[i].off, keep[i].off);
		assert_int_equal(p[i].len, keep[i].len);
		assert_memory_equal(p[i].buf + p[i].off, copy[i], p[i].len);
	}
	print_message("fault %d detected in %.3f s (deadline %u ms)\n", kind, dt, deadline);
	assert_true(dt < 5.0);
	nev = ipx_events(e, ev, 16);
	for (unsigned i = 0; i < nev; i++)
		if (ev[i].type == IPX_EV_ENGINE_FAULT) {
			faults++;
			assert_int_equal(ev[i].sa, IPX_SA_NONE);
		}
	assert_int_equal(faults, 1);
	assert_int_equal(ipx_engine_health(e, &h), 0);
	assert_false(h.ok);
	assert_int_equal(h.fault, kind);
	assert_int_equal(h.faults, 1);
	assert_true(h.why[0] != 0);
	/* the next burst fails at once, the packets again untouched */
	assert_int_equal(ipx_encrypt_burst(e, p, 8), -EIO);
	assert_int_equal(ipx_decrypt_burst(e, p, 1), -EIO);
	/* host knowledge: the card may have used 11..18, never 19 or above */
	assert_int_equal(ipx_sa_query(e, out, &st), 0);
	assert_int_equal(st.seq, 19);
	assert_int_equal(ipx_sa_query(e, in, &st), 0);
	assert_int_equal(st.seq, 10);
	assert_int_equal(st.replay_bitmap[0] & 0x3ff, 0x3ff);
	/* recovery: empty, healthy, working */
	assert_int_equal(ipx_engine_recover(e), 0);
	assert_int_equal(ipx_engine_health(e, &h), 0);
	assert_true(h.ok);
	assert_int_equal(h.faults, 1);
	assert_int_equal(ipx_sa_query(e, out, &st), -ENOENT);
	add_pair(e, &out, &in);
	traffic(e, out, 5);
	te_reset();
	ipx_engine_close(e);
}

static void test_fault_stall(void **state)
{
	(void)state;
	fault_case(IPX_FAULT_STALL);
}

static void test_fault_dma(void **state)
{
	(void)state;
	fault_case(IPX_FAULT_DMA);
}

static void test_fault_reset(void **state)
{
	(void)state;
	fault_case(IPX_FAULT_RESET);
}

/* A reset shows in the health check without traffic. */
static void test_reset_idle(void **state)
{
	struct ipx_engine *e = open_sim(0);
	struct ipx_health h;
	struct ipx_event ev[4];

	(void)state;
	assert_int_equal(ipx_engine_inject_fault(e, IPX_FAULT_RESET), 0);
	assert_int_equal(ipx_engine_health(e, &h), 0);
	assert_false(h.ok);
	assert_int_equal(h.fault, IPX_FAULT_RESET);
	assert_int_equal(ipx_events(e, ev, 4), 1);
	assert_int_equal(ev[0].type, IPX_EV_ENGINE_FAULT);
	ipx_engine_close(e);
}

static void test_soft_health(void **state)
{
	struct ipx_engine *e = te_open_named("soft", false);
	struct ipx_health h;

	(void)state;
	assert_int_equal(ipx_engine_health(e, &h), 0);
	assert_false(h.hardware);
	assert_true(h.ok);
	assert_int_equal(ipx_engine_inject_fault(e, IPX_FAULT_STALL), -EOPNOTSUPP);
	assert_int_equal(ipx_engine_recover(e), 0);
	ipx_engine_close(e);
}

static void test_xrt_absent(void **state)
{
	struct ipx_engine *e = NULL;
	int ret;

	(void)state;
	tlib_log_capture(1);
	ret = ipx_engine_open("xrt", NULL, &e);
	assert_true(ret < 0);
	assert_null(e);
	assert_non_null(strstr(tlib_log_text(), "xrt:"));
	print_message("engine xrt: %s", tlib_log_text());
	tlib_log_capture(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_high_addresses),
		cmocka_unit_test(test_truncated_address),
		cmocka_unit_test(test_fault_stall),
		cmocka_unit_test(test_fault_dma),
		cmocka_unit_test(test_fault_reset),
		cmocka_unit_test(test_reset_idle),
		cmocka_unit_test(test_soft_health),
		cmocka_unit_test(test_xrt_absent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
