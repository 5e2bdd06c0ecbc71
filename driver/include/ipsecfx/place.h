/*
 * Engine placement and software fallback (design.md, "Software fallback,
 * exactly", "Nonce safety").
 *
 * ipx_engine_open("sim" | "xrt" | "auto") returns an engine that owns a card
 * engine and a software engine behind one handle, with its own SA handles
 * and SPI lookup.  Every ipx_* call works on it as on any engine; this header
 * adds what only the placement layer has: where each SA runs, the card's
 * history, manual moves and the fallback tunables.
 *
 * Placement: an SA whose parameters the card lacks (cipher, transport mode,
 * IPv6 outer headers, ESN, TFC, window size...) runs in software, every
 * other one on the card.  Fallback: when the card faults (a burst returns
 * an error, or the card queues IPX_EV_ENGINE_FAULT, or its health check
 * fails) every SA on it moves to software carrying its state; an outbound
 * SA continues at the card's upper bound on the next sequence number plus
 * a margin, so that no sequence number (the GCM IV) is ever used twice; the
 * burst that failed is run again in software.  One IPX_EV_FALLBACK event is
 * queued per SA moved.  Moving back recovers the card (every SA on it is
 * gone after a fault) and installs the SAs again with their state, the
 * outbound sequence number moving forward only.
 *
 * Limits (documented): inbound replay windows move with what the card last
 * reported, so a packet the card accepted after that read-back may be
 * accepted once more in software; packets inside the card when it faults
 * are lost.
 */
#ifndef IPSECFX_PLACE_H
#define IPSECFX_PLACE_H

#include <ipsecfx/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ipx_where { IPX_ON_NONE = 0, IPX_ON_CARD = 1, IPX_ON_SOFT = 2 };

struct ipx_place_opts {
	/* Added to the card's upper bound on an outbound SA's next sequence
	 * number when it falls back; 0 = IPX_PLACE_MARGIN. */
	uint64_t seq_margin;
	/* Seconds after a fault to recover the card and move every SA back;
	 * 0 = never (the default): moving back is manual. */
	uint32_t auto_back_s;
	/* Seconds between read-backs of the inbound windows of the SAs on the
	 * card (what a fallback carries); 0 = 1 s. */
	uint32_t sync_ms;
};
#define IPX_PLACE_MARGIN 1024

struct ipx_place_info {
	char card[16];              /* the card backend: "sim", "xrt" */
	bool card_serving;          /* SAs are placed on the card */
	struct ipx_health health;   /* the card's */
	uint64_t fallbacks;         /* fallbacks since open */
	uint64_t moves_back;        /* SAs moved to the card again */
	uint64_t last_fallback_us;  /* duration of the last fallback (state moves) */
	uint64_t last_fault_ms;     /* CLOCK_MONOTONIC ms of the last fault, 0 none */
	uint32_t sas_card, sas_soft;
	/* the card's SA table (handles, both directions), whether its last
	 * refusal was for room, how many SAs went to software for want of
	 * room since open, and how many of those are there now */
	uint32_t card_max_sas;
	bool card_full;
	uint64_t card_full_sas;
	uint32_t sas_soft_no_room;
	uint64_t seq_margin;
	uint32_t auto_back_s;
};

/* Open exactly the backend named, without placement or fallback (tests,
 * benchmarks that measure one backend). */
int ipx_engine_open_direct(const char *backend, const struct ipx_engine_config *cfg,
			   struct ipx_engine **out);
/* true when eng is a placement engine. */
bool ipx_place_is(const struct ipx_engine *eng);
int ipx_place_configure(struct ipx_engine *eng, const struct ipx_place_opts *o);
int ipx_place_info(struct ipx_engine *eng, struct ipx_place_info *info);
/* Where SA handle sa runs and why (why may be NULL). */
int ipx_place_where(struct ipx_engine *eng, uint32_t sa, enum ipx_where *where,
		    char *why, size_t why_len);
/* Move SAs: every one (spi 0) or those with this SPI, to the card (the card
 * is recovered first when it faulted) or to software.  SAs the card cannot
 * serve stay in software.  *moved (may be NULL) counts the SAs moved. */
int ipx_place_move(struct ipx_engine *eng, enum ipx_where to, uint32_t spi,
		   unsigned *moved);
/* One SA as the placement layer sees it. */
struct ipx_place_sa {
	uint32_t sa, spi;
	uint8_t dir, cipher;
	enum ipx_where where;
	char why[112];
};
/* The SAs in use, by handle: fills up to max entries, returns how many
 * there are (0 for an engine that is not a placement engine). */
unsigned ipx_place_list(struct ipx_engine *eng, struct ipx_place_sa *out, unsigned max);

/* The card engine and the software engine behind eng (tests). */
struct ipx_engine *ipx_place_card(struct ipx_engine *eng);
struct ipx_engine *ipx_place_soft(struct ipx_engine *eng);

#ifdef __cplusplus
}
#endif
#endif
