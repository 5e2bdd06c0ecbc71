/*
 * ipsecfx esp encrypt|decrypt: run an ESP engine over a pcap file.
 *
 * Reads LINKTYPE_RAW, IPv4/IPv6 raw, Ethernet (with VLAN tags), Linux cooked
 * (SLL, SLL2) and BSD loopback captures; writes LINKTYPE_RAW.  encrypt sends
 * every IP packet through the first SA of the file; decrypt installs every
 * SA as inbound and lets the engine pick one by SPI.  Packets that fail are
 * counted under their reason, never written.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <pcap/pcap.h>

#include <ipsecfx/bytes.h>
#include <ipsecfx/engine.h>
#include <ipsecfx/log.h>

#include "../config/sas_file.h"
#include "cmd.h"

#define BURST 32
#define HEADROOM 256
#define MAX_CAP 65535
#define BUF_LEN (HEADROOM + MAX_CAP + IPX_MAX_OVERHEAD + 64)

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif

struct slot {
	struct pcap_pkthdr hdr;
	uint8_t *buf;
};

struct esp_run {
	bool encrypt;
	struct ipx_engine *eng;
	uint32_t *handles;
	unsigned nsa;
	const struct sas_set *sas;
	pcap_dumper_t *dump;
	uint64_t read, written, dropped, not_ip, events;
	struct slot slots[BURST];
	struct ipx_pkt pkts[BURST];
	unsigned n;
};

static void esp_usage(FILE *f)
{
	fprintf(f,
		"usage: ipsecfx esp encrypt|decrypt --sa FILE [--engine NAME] [--json] IN.pcap OUT.pcap\n"
		"\n"
		"  --sa FILE      SAs in YAML (docs/sas-file.md); encrypt uses the first\n"
		"  --engine NAME  ESP engine backend: soft (default), or see 'ipsecfx engines'\n"
		"  --json         print the counters as one JSON object on stdout\n"
		"\n"
		"Per-SA counters and drops by reason go to stderr.\n");
}

/* Offset of the IP header in a captured frame, or -1 if it carries none. */
static int l3_offset(int dlt, const uint8_t *p, uint32_t len)
{
	uint32_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return len >= 4 ? 4 : -1;
	case DLT_EN10MB:
		off = 12;
		for (;;) {
			if (len < off + 2)
				return -1;
			type = ipx_ld16(p + off);
			if (type != 0x8100 && type != 0x88a8)
				break;
			off += 4;  /* 802.1Q / 802.1ad tag */
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		type = ipx_ld16(p + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		type = ipx_ld16(p);
		off = 20;
		break;
	default:
		return -1;
	}
	if (type != 0x0800 && type != 0x86dd)
		return -1;
	return (int)off;
}

static bool dlt_supported(int dlt)
{
	return dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6 ||
	       dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_EN10MB ||
	       dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
}

static void flush(struct esp_run *r)
{
	if (!r->n)
		return;
	if (r->encrypt)
		ipx_encrypt_burst(r->eng, r->pkts, r->n);
	else
		ipx_decrypt_burst(r->eng, r->pkts, r->n);
	for (unsigned i = 0; i < r->n; i++) {
		struct ipx_pkt *p = &r->pkts[i];
		struct pcap_pkthdr h = r->slots[i].hdr;

		if (p->status != IPX_ST_OK) {
			r->dropped++;
			continue;
		}
		h.caplen = h.len = p->len;
		pcap_dump((u_char *)r->dump, &h, p->buf + p->off);
		r->written++;
	}
	r->n = 0;
}

static void add_packet(struct esp_run *r, int dlt, const struct pcap_pkthdr *h,
		       const uint8_t *data)
{
	int off = l3_offset(dlt, data, h->caplen);
	struct slot *s = &r->slots[r->n];
	struct ipx_pkt *p = &r->pkts[r->n];
	uint32_t len;

	r->read++;
	if (off < 0) {
		r->not_ip++;
		return;
	}
	len = h->caplen - (uint32_t)off;
	if (len > MAX_CAP)
		len = MAX_CAP;  /* the engine will call it too big */
	s->hdr = *h;
	memcpy(s->buf + HEADROOM, data + off, len);
	memset(p, 0, sizeof(*p));
	p->buf = s->buf;
	p->buf_len = BUF_LEN;
	p->off = HEADROOM;
	p->len = len;
	p->sa = r->encrypt ? r->handles[0] : IPX_SA_NONE;
	if (++r->n == BURST)
		flush(r);
}

static void drain_events(struct esp_run *r, json_t *jev)
{
	struct ipx_event ev[16];
	unsigned n;

	while ((n = ipx_events(r->eng, ev, 16)) > 0) {
		for (unsigned i = 0; i < n; i++) {
			r->events++;
			fprintf(stderr, "event: SA %08x %s: %s\n", ev[i].spi,
				ev[i].dir == IPX_DIR_OUT ? "out" : "in",
				ipx_event_name(ev[i].type));
			if (jev)
				json_array_append_new(jev,
					json_pack("{s:s, s:I}", "event",
						  ipx_event_name(ev[i].type),
						  "spi", (json_int_t)ev[i].spi));
		}
	}
}

static json_t *drops_json(const uint64_t *drops)
{
	json_t *o = json_object();

	for (int s = 1; s < IPX_ST__COUNT; s++)
		if (drops[s])
			json_object_set_new(o, ipx_status_name(s),
					    json_integer((json_int_t)drops[s]));
	return o;
}

static void print_drops(const char *who, const uint64_t *drops)
{
	bool any = false;

	for (int s = 1; s < IPX_ST__COUNT; s++) {
		if (!drops[s])
			continue;
		fprintf(stderr, "%s%s %llu", any ? ", " : who, ipx_status_name(s),
			(unsigned long long)drops[s]);
		any = true;
	}
	if (any)
		fprintf(stderr, "\n");
}

static void report(struct esp_run *r, const char *op, bool as_json, json_t *jev)
{
	uint64_t edrops[IPX_ST__COUNT];
	json_t *root = NULL, *jsas = NULL;

	fprintf(stderr, "ipsecfx esp %s: read %llu, wrote %llu, dropped %llu, not IP %llu\n",
		op, (unsigned long long)r->read, (unsigned long long)r->written,
		(unsigned long long)r->dropped, (unsigned long long)r->not_ip);
	if (as_json) {
		root = json_pack("{s:s, s:I, s:I, s:I, s:I}", "op", op,
				 "read", (json_int_t)r->read,
				 "written", (json_int_t)r->written,
				 "dropped", (json_int_t)r->dropped,
				 "not_ip", (json_int_t)r->not_ip);
		jsas = json_array();
	}
	for (unsigned i = 0; i < r->nsa; i++) {
		struct ipx_sa_state st;

		if (r->handles[i] == IPX_SA_NONE ||
		    ipx_sa_query(r->eng, r->handles[i], &st) < 0)
			continue;
		fprintf(stderr, "  SA %08x %s: %llu packets, %llu bytes, seq %llu\n",
			r->sas->v[i].spi, r->encrypt ? "out" : "in",
			(unsigned long long)st.ctr.packets,
			(unsigned long long)st.ctr.bytes,
			(unsigned long long)st.seq);
		print_drops("    drops: ", st.ctr.drops);
		if (jsas)
			json_array_append_new(jsas,
				json_pack("{s:I, s:s, s:I, s:I, s:I, s:o}",
					  "spi", (json_int_t)r->sas->v[i].spi,
					  "dir", r->encrypt ? "out" : "in",
					  "packets", (json_int_t)st.ctr.packets,
					  "bytes", (json_int_t)st.ctr.bytes,
					  "seq", (json_int_t)st.seq,
					  "drops", drops_json(st.ctr.drops)));
	}
	ipx_engine_drops(r->eng, edrops);
	print_drops("  no SA: ", edrops);
	if (root) {
		json_object_set_new(root, "sas", jsas);
		json_object_set_new(root, "engine_drops", drops_json(edrops));
		json_object_set(root, "events", jev);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("\n");
		json_decref(root);
	}
}

int cmd_esp(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sa", required_argument, NULL, 's' },
		{ "engine", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sa_file = NULL, *engine = "soft", *op, *in_path, *out_path;
	char errbuf[PCAP_ERRBUF_SIZE];
	struct esp_run *r = NULL;
	struct sas_set sas = { 0 };
	pcap_t *in = NULL, *dead = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	json_t *jev = NULL;
	bool as_json = false;
	int c, ret = 1, dlt, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:e:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sa_file = optarg;
			break;
		case 'e':
			engine = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			esp_usage(stdout);
			return 0;
		default:
			esp_usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3 || !sa_file) {
		esp_usage(stderr);
		return 2;
	}
	op = argv[optind];
	in_path = argv[optind + 1];
	out_path = argv[optind + 2];
	if (strcmp(op, "encrypt") != 0 && strcmp(op, "decrypt") != 0) {
		fprintf(stderr, "ipsecfx esp: '%s' is neither encrypt nor decrypt\n", op);
		return 2;
	}
	if (sas_file_load(sa_file, &sas) < 0)
		return 1;

	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->encrypt = op[0] == 'e';
	r->sas = &sas;
	r->nsa = r->encrypt ? 1 : sas.n;
	r->handles = malloc(r->nsa * sizeof(uint32_t));
	if (!r->handles)
		goto out;
	for (unsigned i = 0; i < BURST; i++) {
		r->slots[i].buf = malloc(BUF_LEN);
		if (!r->slots[i].buf)
			goto out;
	}
	if (ipx_engine_open(engine, NULL, &r->eng) < 0)
		goto out;
	for (unsigned i = 0; i < r->nsa; i++) {
		sas.v[i].dir = r->encrypt ? IPX_DIR_OUT : IPX_DIR_IN;
		if (ipx_sa_add(r->eng, &sas.v[i], &r->handles[i]) < 0) {
			fprintf(stderr, "ipsecfx esp: %s: SA %08x (sas[%u]) refused by engine '%s'\n",
				sa_file, sas.v[i].spi, i, engine);
			r->nsa = i;
			goto out;
		}
	}

	in = pcap_open_offline(in_path, errbuf);
	if (!in) {
		fprintf(stderr, "ipsecfx esp: %s\n", errbuf);
		goto out;
	}
	dlt = pcap_datalink(in);
	if (!dlt_supported(dlt)) {
		fprintf(stderr, "ipsecfx esp: %s: link type %s not supported (raw IP, Ethernet, Linux cooked, loopback are)\n",
			in_path, pcap_datalink_val_to_name(dlt) ?: "?");
		goto out;
	}
	dead = pcap_open_dead(DLT_RAW, MAX_CAP);
	r->dump = dead ? pcap_dump_open(dead, out_path) : NULL;
	if (!r->dump) {
		fprintf(stderr, "ipsecfx esp: %s: %s\n", out_path,
			dead ? pcap_geterr(dead) : "out of memory");
		goto out;
	}
	if (as_json)
		jev = json_array();
	while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
		add_packet(r, dlt, h, data);
		if (r->n == 0)
			drain_events(r, jev);
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "ipsecfx esp: %s: %s\n", in_path, pcap_geterr(in));
		goto out;
	}
	flush(r);
	drain_events(r, jev);
	if (pcap_dump_flush(r->dump) < 0) {
		fprintf(stderr, "ipsecfx esp: %s: write failed\n", out_path);
		goto out;
	}
	report(r, op, as_json, jev);
	ret = 0;
out:
	json_decref(jev);
	if (r) {
		if (r->dump)
			pcap_dump_close(r->dump);
		if (r->eng) {
			for (unsigned i = 0; i < r->nsa; i++)
				ipx_sa_delete(r->eng, r->handles[i]);
			ipx_engine_close(r->eng);
		}
		for (unsigned i = 0; i < BURST; i++)
			free(r->slots[i].buf);
		free(r->handles);
		free(r);
	}
	if (dead)
		pcap_close(dead);
	if (in)
		pcap_close(in);
	sas_set_free(&sas);
	return ret;
}
