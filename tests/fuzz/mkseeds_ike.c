/*
 * Writes the seed corpus of fuzz_ike_parse into the directory given:
 * messages built with the codec (SK bodies in the clear, as ike_msg_build()
 * leaves them, so the fuzzer reaches the inner parser), and the real
 * datagrams of the test vectors (strongSwan captures, RFC 7634 B).
 *   make fuzz-seeds   (regenerates tests/fuzz/corpus/ike)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "ike/ike_msg.h"

static const char *dir;
static unsigned n_written;

static void put(const char *name, const uint8_t *b, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
	n_written++;
}

static void build(const char *name, const struct ike_msg *m)
{
	static uint8_t buf[8192];
	size_t len;

	if (ike_msg_build(m, buf, sizeof(buf), &len, NULL)) {
		fprintf(stderr, "%s: build failed\n", name);
		exit(1);
	}
	put(name, buf, len);
}

static const uint8_t SI[8] = { 0x5e, 0xed, 1, 2, 3, 4, 5, 6 };
static const uint8_t SR[8] = { 0x5e, 0xed, 7, 8, 9, 10, 11, 12 };

static void built_seeds(void)
{
	static struct ike_msg m;
	static const struct ike_transform ikex[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256, false },
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_CBC, 128, false },
		{ IKEV2_XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0, false },
		{ IKEV2_XF_INTEG, IKEV2_INTEG_HMAC_SHA2_256_128, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_CURVE25519, 0, false },
		{ IKEV2_XF_DH, IKEV2_DH_MODP2048, 0, false },
	};
	static const struct ike_transform espx[] = {
		{ IKEV2_XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128, false },
		{ IKEV2_XF_DH, IKEV2_DH_ECP256, 0, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_YES, 0, false },
		{ IKEV2_XF_ESN, IKEV2_ESN_NO, 0, false },
	};
	struct ike_proposal ip[2] = { { 1, IKEV2_PROTO_IKE, 0, { 0 }, 6, ikex },
				      { 2, IKEV2_PROTO_IKE, 0, { 0 }, 3, ikex + 1 } };
	struct ike_proposal ep = { 1, IKEV2_PROTO_ESP, 4, { 0xc0, 0, 0, 1 }, 4, espx };
	struct ike_proposal rk = { 1, IKEV2_PROTO_IKE, 8, { 1, 2, 3, 4, 5, 6, 7, 8 }, 3, ikex };
	struct ike_ts ts[2] = {
		{ IKEV2_TS_IPV4_ADDR_RANGE, 17, 500, 4500, { 10, 0, 0, 0 }, { 10, 0, 0, 255 } },
		{ IKEV2_TS_IPV6_ADDR_RANGE, 0, 0, 65535, { 0x20, 1, 0xd, 0xb8 }, { 0x20, 1, 0xd, 0xb8, 0xff } },
	};
	static const uint8_t ip4[4] = { 10, 1, 2, 3 }, v[16] = "ipsecfx-seed-vid";
	struct ike_cp_attr attrs[2] = { { IKEV2_CFG_INTERNAL_IP4_ADDRESS, 0, NULL },
					{ IKEV2_CFG_INTERNAL_IP6_DNS, 16, v } };
	uint8_t ke32[32], ke64[64], nonce[32], natd[20], ck[36], auth[32], cert[64];
	static const uint8_t spis[8] = { 0xc0, 0, 0, 1, 0xc0, 0, 0, 2 }, eap[6] = { 1, 1, 0, 6, 1, 0x61 };
	static const uint8_t sh[4] = { 0, 2, 0, 4 }, grp[2] = { 0, 31 }, win[4] = { 0, 0, 0, 10 };
	struct ike_pld *p;

	memset(ke32, 0x25, sizeof(ke32));
	memset(ke64, 0x19, sizeof(ke64));
	memset(nonce, 0x4e, sizeof(nonce));
	memset(natd, 0xd0, sizeof(natd));
	memset(ck, 0xcc, sizeof(ck));
	memset(auth, 0xa0, sizeof(auth));
	memset(cert, 0x30, sizeof(cert));

	/* IKE_SA_INIT request */
	ike_msg_init(&m, SI, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_INITIATOR, 0);
	p = ike_msg_add(&m, IKEV2_PL_SA, false);
	p->u.sa = (struct ike_sa){ ip, 2 };
	p = ike_msg_add(&m, IKEV2_PL_KE, false);
	p->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ke32, 32 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, false);
	p->u.nonce = (struct ike_blob){ nonce, 32 };
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, natd, 20);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, 20);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, sh, 4);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_COOKIE, ck, 36);
	p = ike_msg_add(&m, IKEV2_PL_VENDOR, false);
	p->u.vendor = (struct ike_blob){ v, 16 };
	build("init_req", &m);

	/* IKE_SA_INIT responses: accepted, COOKIE, INVALID_KE_PAYLOAD */
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	p = ike_msg_add(&m, IKEV2_PL_SA, false);
	ip[0].n_xf = 3;
	p->u.sa = (struct ike_sa){ ip, 1 };
	p = ike_msg_add(&m, IKEV2_PL_KE, false);
	p->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ke32, 32 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, false);
	p->u.nonce = (struct ike_blob){ nonce, 32 };
	p = ike_msg_add(&m, IKEV2_PL_CERTREQ, false);
	p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, natd, 20 };
	build("init_resp", &m);
	ike_msg_init(&m, SI, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_COOKIE, ck, 36);
	build("init_resp_cookie", &m);
	ike_msg_init(&m, SI, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_RESPONSE, 0);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, grp, 2);
	build("init_resp_invalid_ke", &m);

	/* IKE_AUTH request, SK in the clear */
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_IDI, true);
	p->u.id = (struct ike_id){ IKEV2_ID_IPV4_ADDR, ip4, 4 };
	p = ike_msg_add(&m, IKEV2_PL_CERT, true);
	p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, cert, 64 };
	p = ike_msg_add(&m, IKEV2_PL_CERTREQ, true);
	p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, natd, 20 };
	ike_msg_add_notify(&m, true, 0, NULL, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0);
	p = ike_msg_add(&m, IKEV2_PL_IDR, true);
	p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"gw.example", 10 };
	p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
	p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_SHARED_KEY_MIC, .data = auth, .len = 32 };
	p = ike_msg_add(&m, IKEV2_PL_CP, true);
	p->u.cp = (struct ike_cp){ IKEV2_CFG_REQUEST, attrs, 2 };
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &ep, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ ts, 2 };
	p = ike_msg_add(&m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ ts, 1 };
	ike_msg_add_notify(&m, true, IKEV2_PROTO_ESP, ep.spi, 4, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
	p = ike_msg_add(&m, IKEV2_PL_EAP, true);
	p->u.eap = (struct ike_blob){ eap, 6 };
	build("auth_req_clear", &m);

	/* IKE_AUTH with certificates (3.6), SK in the clear: by value
	 * (encoding 4, end entity and intermediate) with a CERTREQ and an
	 * RFC 7427 AUTH; Hash and URL of a certificate (12) after
	 * HTTP_CERT_LOOKUP_SUPPORTED; a response with Hash and URL of a
	 * bundle (13) */
	{
		static const char url[] = "http://192.0.2.1:8080/gw.der";
		uint8_t hu[IKEV2_SHA1_LEN + sizeof(url) - 1], sig[80];

		memset(hu, 0x5a, IKEV2_SHA1_LEN);
		memcpy(hu + IKEV2_SHA1_LEN, url, sizeof(url) - 1);
		memset(sig, 0x51, sizeof(sig));
		sig[0] = 12;	/* RFC 7427: ecdsa-with-SHA256 AlgorithmIdentifier */
		memcpy(sig + 1, "\x30\x0a\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 12);
		ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
		ike_msg_add(&m, IKEV2_PL_SK, false);
		p = ike_msg_add(&m, IKEV2_PL_IDI, true);
		p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"gw.example", 10 };
		p = ike_msg_add(&m, IKEV2_PL_CERT, true);
		p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, cert, 64 };
		p = ike_msg_add(&m, IKEV2_PL_CERT, true);
		p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, cert, 32 };
		p = ike_msg_add(&m, IKEV2_PL_CERTREQ, true);
		p->u.cert = (struct ike_cert){ IKEV2_CERT_X509_SIG, natd, 20 };
		p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
		p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_DIGITAL_SIG, .data = sig,
					       .len = sizeof(sig) };
		p = ike_msg_add(&m, IKEV2_PL_SA, true);
		p->u.sa = (struct ike_sa){ &ep, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSI, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSR, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		build("auth_req_cert_x509_clear", &m);

		ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
		ike_msg_add(&m, IKEV2_PL_SK, false);
		p = ike_msg_add(&m, IKEV2_PL_IDI, true);
		p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"gw.example", 10 };
		p = ike_msg_add(&m, IKEV2_PL_CERT, true);
		p->u.cert = (struct ike_cert){ IKEV2_CERT_HASH_URL_X509, hu, sizeof(hu) };
		ike_msg_add_notify(&m, true, 0, NULL, 0, IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED, NULL, 0);
		p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
		p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_ECDSA_SHA256_P256, .data = ke64,
					       .len = 64 };
		p = ike_msg_add(&m, IKEV2_PL_SA, true);
		p->u.sa = (struct ike_sa){ &ep, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSI, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSR, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		build("auth_req_cert_hash_url_clear", &m);

		ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
		ike_msg_add(&m, IKEV2_PL_SK, false);
		p = ike_msg_add(&m, IKEV2_PL_IDR, true);
		p->u.id = (struct ike_id){ IKEV2_ID_FQDN, (const uint8_t *)"gw.example", 10 };
		p = ike_msg_add(&m, IKEV2_PL_CERT, true);
		p->u.cert = (struct ike_cert){ IKEV2_CERT_HASH_URL_X509_BUNDLE, hu, sizeof(hu) };
		p = ike_msg_add(&m, IKEV2_PL_AUTH, true);
		p->u.auth = (struct ike_auth){ .method = IKEV2_AUTH_DIGITAL_SIG, .data = sig,
					       .len = sizeof(sig) };
		p = ike_msg_add(&m, IKEV2_PL_SA, true);
		p->u.sa = (struct ike_sa){ &ep, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSI, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		p = ike_msg_add(&m, IKEV2_PL_TSR, true);
		p->u.ts = (struct ike_tsp){ ts, 1 };
		build("auth_resp_cert_bundle_clear", &m);
	}

	/* IKE_AUTH response: unprotected notify */
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_RESPONSE, 1);
	ike_msg_add_notify(&m, false, 0, NULL, 0, IKEV2_N_INVALID_IKE_SPI, NULL, 0);
	build("auth_resp_unprotected", &m);

	/* CREATE_CHILD_SA: Child SA with PFS, and IKE SA rekey */
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_FLAG_INITIATOR, 2);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	ike_msg_add_notify(&m, true, IKEV2_PROTO_ESP, ep.spi, 4, IKEV2_N_REKEY_SA, NULL, 0);
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &ep, 1 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, true);
	p->u.nonce = (struct ike_blob){ nonce, 32 };
	p = ike_msg_add(&m, IKEV2_PL_KE, true);
	p->u.ke = (struct ike_ke){ IKEV2_DH_ECP256, ke64, 64 };
	p = ike_msg_add(&m, IKEV2_PL_TSI, true);
	p->u.ts = (struct ike_tsp){ ts, 1 };
	p = ike_msg_add(&m, IKEV2_PL_TSR, true);
	p->u.ts = (struct ike_tsp){ ts + 1, 1 };
	build("child_req_clear", &m);
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_CREATE_CHILD_SA, IKEV2_FLAG_RESPONSE, 3);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_SA, true);
	p->u.sa = (struct ike_sa){ &rk, 1 };
	p = ike_msg_add(&m, IKEV2_PL_NONCE, true);
	p->u.nonce = (struct ike_blob){ nonce, 32 };
	p = ike_msg_add(&m, IKEV2_PL_KE, true);
	p->u.ke = (struct ike_ke){ IKEV2_DH_CURVE25519, ke32, 32 };
	build("rekey_resp_clear", &m);

	/* INFORMATIONAL: deletes, notify, CP */
	ike_msg_init(&m, SI, SR, IKEV2_EXCH_INFORMATIONAL, 0, 4);
	ike_msg_add(&m, IKEV2_PL_SK, false);
	p = ike_msg_add(&m, IKEV2_PL_DELETE, true);
	p->u.del = (struct ike_delete){ IKEV2_PROTO_ESP, 4, 2, spis };
	p = ike_msg_add(&m, IKEV2_PL_DELETE, true);
	p->u.del = (struct ike_delete){ IKEV2_PROTO_IKE, 0, 0, NULL };
	ike_msg_add_notify(&m, true, 0, NULL, 0, IKEV2_N_SET_WINDOW_SIZE, win, 4);
	p = ike_msg_add(&m, IKEV2_PL_CP, true);
	p->u.cp = (struct ike_cp){ IKEV2_CFG_SET, attrs, 1 };
	build("info_clear", &m);

	/* an SKF fragment, contents in the clear */
	{
		static uint8_t buf[512];
		size_t len, off;

		ike_msg_init(&m, SI, SR, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_INITIATOR, 1);
		if (ike_frag_build(&m.hdr, IKEV2_PL_NOTIFY, 1, 2,
				   (const uint8_t *)"\x00\x00\x00\x08\x00\x00\x40\x00", 8,
				   buf, sizeof(buf), &len, &off))
			exit(1);
		put("skf_clear", buf, len);
	}
}

static void vector_seeds(const char *srcdir)
{
	static const char *caps[] = { "ike/strongswan_psk_aes256gcm16_x25519.json",
				      "ike/strongswan_psk_aes128_sha256_modp2048_frag.json",
				      "ike/strongswan_psk_chacha20poly1305_ecp384.json" };
	char path[1024], name[64];
	json_error_t err;
	json_t *j, *m;
	size_t i;

	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		snprintf(path, sizeof(path), "%s/tests/vectors/%s", srcdir, caps[c]);
		j = json_load_file(path, 0, &err);
		if (!j) {
			fprintf(stderr, "%s: %s\n", path, err.text);
			exit(1);
		}
		json_array_foreach(json_object_get(j, "messages"), i, m) {
			long n;
			uint8_t *b = OPENSSL_hexstr2buf(json_string_value(json_object_get(m, "hex")), &n);

			/* two fragments of the fragmented exchange, the
			 * IKE_SA_INIT and IKE_AUTH of the third, are plenty */
			if ((c == 1 && i >= 4 && i < 11) || (c == 2 && i >= 4))
				continue;
			snprintf(name, sizeof(name), "strongswan%zu_%02zu", c, i);
			put(name, b, (size_t)n);
			OPENSSL_free(b);
		}
		json_decref(j);
	}
	snprintf(path, sizeof(path), "%s/tests/vectors/esp/rfc7634_chacha20poly1305_esp_ike.json",
		 srcdir);
	j = json_load_file(path, 0, &err);
	if (j) {
		long n;
		uint8_t *b = OPENSSL_hexstr2buf(json_string_value(json_object_get(
			json_object_get(j, "appendix_B_ikev2"), "full_message")), &n);

		put("rfc7634_b", b, (size_t)n);
		OPENSSL_free(b);
		json_decref(j);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s <srcdir> <outdir>\n", argv[0]);
		return 2;
	}
	dir = argv[2];
	built_seeds();
	vector_seeds(argv[1]);
	printf("%u seeds in %s\n", n_written, dir);
	return 0;
}
