/*
 * Fixtures for tests that run against an ESP engine.  The engine under test
 * is named by IPSECFX_TEST_ENGINE (default "soft"); the reference is always
 * the software engine on its OpenSSL path, so a run against "soft" compares
 * intel-ipsec-mb with OpenSSL, and a run against "sim" the RTL with software.
 */
#ifndef IPSECFX_TENGINE_H
#define IPSECFX_TENGINE_H

#include "tlib.h"

#define TE_HEAD 256
#define TE_BUF (TE_HEAD + IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD + 256)

const char *te_engine_name(void);
struct ipx_engine *te_open(void);        /* the engine under test */
struct ipx_engine *te_open_ref(void);    /* soft, OpenSSL only */
struct ipx_engine *te_open_named(const char *name, bool no_ipsecmb);

/* true when the engine can take these SA parameters (else the test skips) */
bool te_supports(struct ipx_engine *e, const struct ipx_sa_params *p);

/* SA parameters with random keys for cipher c (deterministic PRNG). */
void te_params(struct ipx_sa_params *p, enum ipx_cipher c, uint8_t mode,
	       int outer_v6, bool encap, bool esn);
uint32_t te_add(struct ipx_engine *e, struct ipx_sa_params *p, uint8_t dir);

/* A packet in a fresh buffer at TE_HEAD; buffers come from a pool freed by
 * te_reset(). */
struct ipx_pkt te_pkt(const uint8_t *data, uint32_t len);
void te_reset(void);
uint8_t *te_data(const struct ipx_pkt *p);

/* one-packet helpers returning the status */
int te_encrypt(struct ipx_engine *e, uint32_t sa, struct ipx_pkt *p);
int te_decrypt(struct ipx_engine *e, struct ipx_pkt *p);

uint64_t te_sa_drops(struct ipx_engine *e, uint32_t sa, enum ipx_status st);
uint64_t te_engine_drops(struct ipx_engine *e, enum ipx_status st);

#endif
