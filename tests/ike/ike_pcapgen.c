/*
 * Writes IKEv2 exchanges built and encrypted by ipsecfx (codec, KDF, DH,
 * SK/SKF) into a pcap, and the keys as tshark ikev2_decryption_table
 * records, so that tests/ike/t_tshark_ike.sh can have Wireshark's IKEv2
 * dissector, a decoder written elsewhere, decode, decrypt and check them.
 *
 *   ike_pcapgen <out.pcap> <out.uat>
 *
 * Four IKE SAs between 192.0.2.1 (initiator) and 192.0.2.2:
 *   1. AES-GCM-256/PRF-SHA2-256/X25519: IKE_SA_INIT, IKE_AUTH (PSK),
 *      INFORMATIONAL Delete, all with real key exchange and AUTH;
 *   2. AES-CBC-256/HMAC-SHA2-512-256: INFORMATIONAL Delete of two ESP SAs;
 *   3. AES-CBC-192/HMAC-SHA2-384-192: INFORMATIONAL with a CP payload;
 *   4. AES-GCM-128: a CREATE_CHILD_SA request in three SKF fragments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <ipsecfx/bytes.h>

#include "ike/ike_crypto.h"
#include "ike/ike_msg.h"

static pcap_dumper_t *dump;
static FILE *uat;
static unsigned n_pkts;

#define CHECK(x)                                                         \
	do {                                                             \
		int rc_ = (x);                                           \
		if (rc_) {                                               \
			fprintf(stderr, "%s:%d: %s = %d\n", __FILE__,    \
				__LINE__, #x, rc_);                      \
			exit(1);                                         \
		}                                                        \
	} while (0)

/* One IPv4/UDP datagram carrying an IKE message (RFC 3948 non-ESP marker
 * on port 4500). */
static void emit(bool from_i, uint16_t port, const uint8_t *ike, size_t len)
{
	static uint8_t pkt[70000];
	struct pcap_pkthdr h = { { 1700000000 + n_pkts, 0 }, 0, 0 };
	size_t mk = port == IKEV2_NATT_PORT ? 4 : 0, n = 28 + mk + len;
	uint32_t sum = 0;

	memset(pkt, 0, 28 + mk);
	pkt[0] = 0x45;
	ipx_st16(pkt + 2, (uint16_t)n);
	pkt[8] = 64;
	pkt[9] = 17;
	memcpy(pkt + 12, from_i ? "\xc0\x00\x02\x01" : "\xc0\x00\x02\x02", 4);
	memcpy(pkt + 16, from_i ? "\xc0\x00\x02\x02" : "\xc0\x00\x02\x01", 4);
	for (int i = 0; i < 20; i += 2)
		sum += ipx_ld16(pkt + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ipx_st16(pkt + 10, (uint16_t)~sum);
	ipx_st16(pkt + 20, port);
	ipx_st16(pkt + 22, port);
	ipx_st16(pkt + 24, (uint16_t)(8 + mk + len));
	memcpy(pkt + 28 + mk, ike, len);
	h.caplen = h.len = (bpf_u_int32)n;
	pcap_dump((u_char *)dump, &h, pkt);
	n_pkts++;
}

static void hexf(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static const char *tshark_encr(const struct ike_sa_keys *k)
{
	static char s[64];

	if (k->encr == IKEV2_ENCR_AES_GCM_16)
		snprintf(s, sizeof(s), "AES-GCM-%u with 16 octet ICV [RFC5282]", k->encr_bits);
	else
		snprintf(s, sizeof(s), "AES-CBC-%u [RFC3602]", k->encr_bits);
	return s;
}

static const char *tshark_integ(uint16_t integ)
{
	switch (integ) {
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		return "HMAC_SHA2_256_128 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		return "HMAC_SHA2_384_192 [RFC4868]";
	case IKEV2_INTEG_HMAC_SHA2_512_256:
		return "HMAC_SHA2_512_256 [RFC4868]";
	}
	return "NONE [RFC4306]";
}

/* ikev2_decryption_table record: SPIi,SPIr,SK_ei,SK_er,encr,SK_ai,SK_ar,integ */
static void uat_line(const uint8_t *si, const uint8_t *sr, const struct ike_sa_keys *k)
{
	hexf(uat, si, 8);
	fputc(',', uat);
	hexf(uat, sr, 8);
	fputc(',', uat);
	hexf(uat, k->sk_ei, k->encr_len);
	fputc(',', uat);
	hexf(uat, k->sk_er, k->encr_len);
	fprintf(uat, ",\"%s\",", tshark_encr(k));
	hexf(uat, k->sk_ai, k->integ_len);
	fputc(',', uat);
	hexf(uat, k->sk_ar, k->integ_len);
	fprintf(uat, ",\"%s\"\n", tshark_integ(k->integ));
}

/* Keys for an SA whose IKE_SA_INIT is not in the capture. */
static void fake_keys(struct ike_sa_keys *k, const uint8_t *si, const uint8_t *sr,
		      uint16_t prf, uint16_t encr, uint16_t bits, uint16_t integ)
{
	uint8_t g[32], n[32];
	struct ike_kdf_in in = { .prf = prf, .encr = encr, .encr_bits = bits, .integ = integ,
				 .g_ir = g, .g_ir_len = 32, .ni = n, .ni_len = 32,
				 .nr = n, .nr_len = 32, .spi_i = si, .spi_r = sr };

	CHECK(ike_random(g, sizeof(g)));
	CHECK(ike_random(n, sizeof(n)));
	CHECK(ike_sa_keys_derive(&in, k));
}

static void seal_emit(struct ike_msg *m, struct ike_sa_keys *k, bool from_i)
{
	static uint8_t buf[4096];
	size_t len, sk;

	CHECK(ike_msg_build(m, buf, sizeof(buf), &len, &sk));
	CHECK(ike_sk_encrypt(k, from_i, buf, sizeof(buf), &len, sk));
	emit(from_i, IKEV2_NATT_PORT, buf, len);
}

static const struct ike_transform ike_xf[] = {
	{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
	{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
	{ IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0, false },
};
static const struct ike_transform esp_xf[] = {
	{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
	{ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false },
};

/* SA 1: a whole PSK exchange with real X25519 and AUTH. */
static void sa1(void)
{
	static struct ike_msg m, r;
	static uint8_t init_i[1024], init_r[1024];
	static const char psk[] = "ipsecfx-tshark-psk";
	static const char idi[] = "ipsecfx-initiator.example", idr[] = "ipsecfx-responder.example";
	struct ike_proposal prop = { 1, IKEV2_PROTO_IKE, 0, { 0 }, 3, ike_xf };
	struct ike_proposal eprop = { 1, IKEV2_PROTO_ESP, 4, { 0xc1, 0xa0, 0x00, 0x01 }, 2, esp_xf };
	struct ike_ts tsi = { IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, { 10, 1, 0, 1 }, { 10, 1, 0, 1 } };
	struct ike_ts tsr = { IKEV2_TS_IPV4_ADDR_RANGE, 0, 0, 65535, { 10, 2, 0, 1 }, { 10, 2, 0, 1 } };
	uint8_t si[8], sr[8], ni[32], nr[32], kei[32], ker[32], natd[20], auth[64];
	static const uint8_t ip_i[4] = { 192, 0, 2, 1 }, ip_r[4] = { 192, 0, 2, 2 };
	struct ike_dh *dhi, *dhr;
	struct ike_sa_keys k;
	struct ike_pld *p;
	const uint8_t *g;
	size_t l, li, lr, gl, al;

	CHECK(ike_spi_new(si));
	CHECK(ike_spi_new(sr));
	CHECK(ike_random(ni, 32));
	CHECK(ike_random(nr, 32));
	CHECK(ike_dh_new(IKEV2_DH_CURVE25519, &dhi));
	CHECK(ike_dh_new(IKEV2_DH_CURVE25519, &dhr));
	CHECK(ike_dh_public(dhi, kei, sizeof(kei), &l));
	CHECK(ike_dh_public(dhr, ker, sizeof(ker), &l));

	/* IKE_SA_INIT request and response */
	ike_msg_init(&m, si, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	p = ike_msg_add(&m, IKEV2_PL_SA, false);
	p->u.sa = (struct ike_sa){ &prop, 1 };
	p = ike_msg_add(&m, IKEV2_PL_KE, false);
	p->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, kei, 32 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, false);
	p->u.nonce = (struct ike_blob){ ni, 32 };
	CHECK(ike_natd_hash(si, (const uint8_t *)"\0\0\0\0\0\0\0\0", ip_i, 4, 500, natd));
	CHECK(ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, 20));
	CHECK(ike_natd_hash(si, (const uint8_t *)"\0\0\0\0\0\0\0\0", ip_r, 4, 500, natd));
	CHECK(ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, 20));
	CHECK(ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0));
	CHECK(ike_msg_build(&m, init_i, sizeof(init_i), &li, NULL));
	emit(true, IKEV2_PORT, init_i, li);

	ike_msg_init(&r, si, sr, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	p = ike_msg_add(&r, IKEV2_PL_SA, false);
	p->u.sa = (struct ike_sa){ &prop, 1 };
	p = ike_msg_add(&r, IKEV2_PL_KE, false);
	p->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ker, 32 };
	p = ike_msg_add(&r, IKEV2_PL_NONCE, false);
	p->u.nonce = (struct ike_blob){ nr, 32 };
	CHECK(ike_msg_add_notify(&r, false, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0));
	CHECK(ike_msg_build(&r, init_r, sizeof(init_r), &lr, NULL));
	emit(false, IKEV2_PORT, init_r, lr);

	/* keys from the initiator's view of the exchange */
	CHECK(ike_dh_compute(dhi, ker, 32, NULL));
	CHECK(ike_dh_compute(dhr, kei, 32, NULL));
	g = ike_dh_secret(dhi, &gl);
	{
		struct ike_kdf_in in = { .prf = IKEV2_PRF_HMAC_SHA2_256, .encr = IKEV2_ENCR_AES_GCM_16,
					 .encr_bits = 256, .integ = IKEV2_INTEG_NONE, .g_ir = g,
					 .g_ir_len = gl, .ni = ni, .ni_len = 32, .nr = nr,
					 .nr_len = 32, .spi_i = si, .spi_r = sr };

		CHECK(ike_sa_keys_derive(&in, &k));
	}
	uat_line(si, sr, &k);

	/* IKE_AUTH request */
	{
		struct ike_auth_in ain = { IKEV2_PRF_HMAC_SHA2_256, k.sk_pi, k.prf_len, init_i, li,
					   nr, 32, IKEV2_ID_FQDN, (const uint8_t *)idi, strlen(idi) };

		CHECK(ike_auth_psk(&ain, (const uint8_t *)psk, strlen(psk), auth, &al));
	}
	ike_msg_init(&m, si, sr, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_IDI, true);
	p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)idi, strlen(idi) };
	CHECK(ike_msg_add_notify(&m, true, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0));
	p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
	p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_SHARED_KEY_MIC, .data = auth, .len = al };
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &eprop, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ &tsi, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ &tsr, 1 };
	seal_emit(&m, &k, true);

	/* IKE_AUTH response */
	{
		struct ike_auth_in ain = { IKEV2_PRF_HMAC_SHA2_256, k.sk_pr, k.prf_len, init_r, lr,
					   ni, 32, IKEV2_ID_FQDN, (const uint8_t *)idr, strlen(idr) };

		CHECK(ike_auth_psk(&ain, (const uint8_t *)psk, strlen(psk), auth, &al));
	}
	eprop.spi[0] = 0xc2;
	ike_msg_init(&m, si, sr, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_IDR, true);
	p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)idr, strlen(idr) };
	p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
	p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_SHARED_KEY_MIC, .data = auth, .len = al };
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &eprop, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ &tsi, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ &tsr, 1 };
	seal_emit(&m, &k, false);

	/* INFORMATIONAL: Delete of the IKE SA, and the empty answer */
	ike_msg_init(&m, si, sr, IKEV2_EXCH_INFORMATIONAL, IKEV2_FLAG_INITIATOR, 2);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_DELETE, true);
	p->u.del = (struct ike_delete){ IKEV2_PROTO_IKE, 0, 0, NULL };
	seal_emit(&m, &k, true);
	ike_msg_init(&m, si, sr, IKEV2_EXCH_INFORMATIONAL, IKEV2_FLAG_RESPONSE, 2);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	seal_emit(&m, &k, false);

	ike_sa_keys_wipe(&k);
	ike_dh_free(dhi);
	ike_dh_free(dhr);
}

/* SAs 2 and 3: AES-CBC with HMAC-SHA2-512/384 */
static void sa_cbc(uint16_t bits, uint16_t integ, uint16_t prf, bool cp)
{
	static struct ike_msg m;
	static const uint8_t spis[8] = { 0xc1, 0xa0, 0, 1, 0xc2, 0xa0, 0, 1 };
	static const uint8_t ip4[4] = { 10, 9, 0, 7 }, mask[4] = { 255, 255, 255, 0 };
	struct ike_cp_attr attrs[2] = { { IKEV2_CFG_INTERNAL_IP4_ADDRESS, 4, ip4 },
					{ IKEV2_CFG_INTERNAL_IP4_NETMASK, 4, mask } };
	uint8_t si[8], sr[8];
	struct ike_sa_keys k;
	struct ike_pld *p;

	CHECK(ike_spi_new(si));
	CHECK(ike_spi_new(sr));
	fake_keys(&k, si, sr, prf, IKEV2_ENCR_AES_CBC, bits, integ);
	uat_line(si, sr, &k);
	ike_msg_init(&m, si, sr, IKEV2_EXCH_INFORMATIONAL, 0, 5); /* from the responder */
	ike_msg_add(&m, IKEV2_PL_SK, false);
	if (cp) {
		p = ike_msg_add(&m, IKEV2_PL_CP, true);
		p->u.cp = (struct ike_cp){ IKEV2_CFG_SET, attrs, 2 };
	} else {
		p = ike_msg_add(&m, IKEV2_PL_DELETE, true);
		p->u.del = (struct ike_delete){ IKEV2_PROTO_ESP, 4, 2, spis };
	}
	seal_emit(&m, &k, false);
	ike_msg_init(&m, si, sr, IKEV2_EXCH_INFORMATIONAL, IKEV2_FLAG_INITIATOR | IKEV2_FLAG_RESPONSE, 5);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	if (!cp) {
		p = ike_msg_add(&m, IKEV2_PL_DELETE, true);
		p->u.del = (struct ike_delete){ IKEV2_PROTO_ESP, 4, 2, spis };
	}
	seal_emit(&m, &k, true);
	ike_sa_keys_wipe(&k);
}

/* SA 4: a CREATE_CHILD_SA request (with PFS) in RFC 7383 fragments. */
static void sa_frag(void)
{
	static struct ike_msg m;
	static uint8_t inner[2048], frag[512];
	struct ike_proposal eprop = { 1, IKEV2_PROTO_ESP, 4, { 0xc3, 0xa0, 0x00, 0x01 }, 2, esp_xf };
	struct ike_ts ts = { IKEV2_TS_IPV4_ADDR_RANGE, 6, 443, 443, { 10, 3, 0, 0 }, { 10, 3, 255, 255 } };
	uint8_t si[8], sr[8], nonce[48], ke[256];
	struct ike_sa_keys k;
	struct ike_pld *p;
	struct ike_dh *dh;
	size_t il, l, off, chunk = 160;
	uint8_t first;
	uint16_t total;

	CHECK(ike_spi_new(si));
	CHECK(ike_spi_new(sr));
	CHECK(ike_random(nonce, sizeof(nonce)));
	CHECK(ike_dh_new(IKEV2_DH_MODP2048, &dh));
	CHECK(ike_dh_public(dh, ke, sizeof(ke), &l));
	ike_dh_free(dh);
	fake_keys(&k, si, sr, IKEV2_PRF_HMAC_SHA2_256, IKEV2_ENCR_AES_GCM_16, 128, 0);
	uat_line(si, sr, &k);
	ike_msg_init(&m, si, sr, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_FLAG_INITIATOR, 3);
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &eprop, 1 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, true);
	p->u.nonce = (struct ike_blob){ nonce, sizeof(nonce) };
	p = ike_msg_add(&m, IKEV2_PL_KE, true);
	p->u.ke = (struct ike_ke){ IKEV2_DH_MODP2048, ke, 256 };
	p = ike_msg_add(&m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ &ts, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ &ts, 1 };
	CHECK(ike_msg_build_inner(&m, inner, sizeof(inner), &il, &first));
	total = (uint16_t)((il + chunk - 1) / chunk);
	for (uint16_t f = 1; f <= total; f++) {
		size_t o = (size_t)(f - 1) * chunk, n = il - o < chunk ? il - o : chunk;

		CHECK(ike_frag_build(&m.hdr, first, f, total, inner + o, n, frag, sizeof(frag),
				     &l, &off));
		CHECK(ike_sk_encrypt(&k, true, frag, sizeof(frag), &l, off));
		emit(true, IKEV2_NATT_PORT, frag, l);
	}
	ike_sa_keys_wipe(&k);
}

int main(int argc, char **argv)
{
	pcap_t *p;

	if (argc != 3) {
		fprintf(stderr, "usage: %s <out.pcap> <out.uat>\n", argv[0]);
		return 2;
	}
	p = pcap_open_dead(DLT_RAW, 65535);
	dump = p ? pcap_dump_open(p, argv[1]) : NULL;
	uat = fopen(argv[2], "w");
	if (!dump || !uat) {
		perror("open");
		return 1;
	}
	sa1();
	sa_cbc(256, IKEV2_INTEG_HMAC_SHA2_512_256, IKEV2_PRF_HMAC_SHA2_512, false);
	sa_cbc(192, IKEV2_INTEG_HMAC_SHA2_384_192, IKEV2_PRF_HMAC_SHA2_384, true);
	sa_frag();
	pcap_dump_close(dump);
	pcap_close(p);
	fclose(uat);
	printf("%u packets\n", n_pkts);
	return 0;
}
