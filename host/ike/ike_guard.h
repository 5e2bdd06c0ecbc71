/*
 * The flood guard: who gets a cookie when the IKE socket overflows.
 *
 * Cookies (RFC 7296 2.6) keep a spoofed IKE_SA_INIT flood from costing
 * state, but each request still costs a stateless N(COOKIE) answer, and a
 * flood faster than the daemon can answer fills the socket: the kernel then
 * drops datagrams at random, a real initiator's among them, whatever it
 * does.  What tells a real initiator from a spoofed one before any cookie
 * exists is that it retransmits its request unchanged, from the same
 * address with the same SPIi (2.1, 2.4), while a spoofed flood sends each
 * address and SPIi once.
 *
 * So while the kernel is dropping IKE datagrams and cookies are needed,
 * the first cookie-less IKE_SA_INIT of an (address, SPIi) is only
 * remembered, not answered, and the same request coming again gets its
 * cookie.  Reading a datagram and remembering it costs far less than
 * answering it, so the daemon reads everything again, and the one request
 * in a hundred thousand that is retransmitted is answered.  The price: a
 * real initiator's first request waits for its retransmission (a second or
 * a few), only while a flood is on.
 *
 * Memory is remembered in two Bloom filters of IKE_GUARD_BITS bits each,
 * the older emptied and reused every IKE_GUARD_PERIOD_S seconds: a request
 * is recognised when its first copy came at most IKE_GUARD_PERIOD_S seconds
 * ago (up to twice that; no false negatives in that window).  False positives
 * (a spoofed request answered as if it were repeated) are a few per cent
 * at 250,000 requests a second: only the answers they cost.  The filters
 * (4 MiB) exist only once the guard has been on.
 */
#ifndef IPSECFX_IKE_GUARD_H
#define IPSECFX_IKE_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_GUARD_BITS (1u << 24)      /* per filter */
#define IKE_GUARD_PERIOD_S 8u          /* between two filter rotations */
#define IKE_GUARD_HOLD_S 30u           /* on for this long after a drop */

struct ike_guard {
	uint64_t *bits[2];              /* [cur] fills; the other is older */
	unsigned cur;
	uint64_t rotate_at;             /* monotonic s */
	uint64_t until;                 /* on while now < until */
	uint64_t overflows;             /* the kernel's count at the last tick */
	bool have_overflows;
	bool was_on;                    /* at the last tick */
	uint64_t key[2];                /* hash key (random) */
	uint64_t activations;
};

int ike_guard_init(struct ike_guard *g);
void ike_guard_free(struct ike_guard *g);

/*
 * Once a second: `overflows` is the kernel's count of IKE datagrams dropped
 * for a full socket (cumulative).  A rise turns the guard on (or keeps it
 * on) for IKE_GUARD_HOLD_S.  Returns 1 when it just came on, -1 when it
 * just went off, 0 otherwise.
 */
int ike_guard_tick(struct ike_guard *g, uint64_t now, uint64_t overflows);

static inline bool ike_guard_on(const struct ike_guard *g, uint64_t now)
{
	return now < g->until;
}

/* A cookie-less IKE_SA_INIT from ip (4 or 16 bytes) with spi_i: true when
 * the same came before (answer it), false when it is new (it is
 * remembered now; do not answer).  False on no memory too. */
bool ike_guard_repeated(struct ike_guard *g, uint64_t now, const uint8_t *ip,
			size_t ip_len, const uint8_t spi_i[8]);

#endif
