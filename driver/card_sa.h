/*
 * The host's record of each SA in a card's SA table, for every engine
 * that programs the pipeline (driver/fpga over any bus, driver/pipe over
 * the bare Verilated pipeline): which handle names which table entry, the
 * SA's parameters without its keys, its place in the inbound SPI buckets,
 * the drops only the host sees, and what the host knows of its state for
 * when the card can no longer be asked (the last state read back or set,
 * and the outbound sequence-number bound of card.h).
 *
 * The records go to the pipeline through sa_table.c (struct sat); this
 * file decides what a handle is and what an SA operation does when the
 * card is healthy and when it has failed:
 *   - add installs keys, state and configuration, and inbound the SPI's
 *     bucket; on failure the key slots are cleared again;
 *   - delete on a failed card only forgets (recover() clears the tables);
 *   - update and set_state on a failed card are refused (-EIO);
 *   - query on a failed card answers from host knowledge: outbound the
 *     bound, never below what the card may have used.
 *
 * Handles: one space for both directions (2 * nsa).  A "direct" table
 * (the pipe engine, a test fixture) gives the handle dir * nsa + index, so
 * that a handle of no SA reaches the pipeline as that table entry and the
 * pipeline's own BAD_SA answers it.
 */
#ifndef IPSECFX_CARD_SA_H
#define IPSECFX_CARD_SA_H

#include <stdbool.h>
#include <stdint.h>

#include <ipsecfx/engine.h>

#include "card.h"
#include "sa_table.h"

struct card_sa {
	bool used;
	uint8_t dir;
	uint32_t index;                /* the table entry */
	struct ipx_sa_params p;        /* without keys (the GCM salt stays) */
	uint64_t host_drops[IPX_ST__COUNT];
	uint8_t bkt_t;                 /* inbound: table, bucket, way of the SPI */
	uint32_t bkt_b;
	uint8_t bkt_w;
	struct ipx_sa_state known;     /* the state last read back or set */
	struct ipx_seq_bound seq;      /* outbound: the sequence-number bound */
};

struct card_sas {
	struct sat *sat;
	uint32_t nsa;                  /* table entries per direction */
	bool direct;                   /* handle = dir * nsa + index */
	struct card_sa *v;             /* by handle, 2 * nsa */
	uint32_t *hmap[2];             /* the handle in each table entry, by direction */
};

/* nsa entries per direction of the table sat programs.  0 or -ENOMEM. */
int card_sas_init(struct card_sas *c, struct sat *sat, uint32_t nsa, bool direct);
/* Everything wiped and freed. */
void card_sas_free(struct card_sas *c);
/* Every SA forgotten (the card was reset and has none). */
void card_sas_clear(struct card_sas *c);

/* The SA of handle h, or NULL. */
struct card_sa *card_sa_get(const struct card_sas *c, uint32_t h);
/* The SA in table entry (dir, index), or NULL. */
struct card_sa *card_sa_at(const struct card_sas *c, unsigned dir, uint32_t index);
/* The handle of an SA, or IPX_SA_NONE for NULL. */
uint32_t card_sa_handle(const struct card_sas *c, const struct card_sa *sa);
/* The handle of the inbound SA with this SPI, or IPX_SA_NONE. */
uint32_t card_sa_lookup(const struct card_sas *c, uint32_t spi);
/* sat_ops.bkt_holds: inbound table entry i holds an SA in use whose SPI
 * sits in way w of bucket b of SPI table t. */
bool card_sa_in_bucket(const struct card_sas *c, uint32_t i, unsigned t, uint32_t b, unsigned w);
/* An event of sa (NULL: of the engine) onto the engine's ring. */
void card_sa_event(const struct card_sas *c, struct ipx_evring *r, const struct card_sa *sa,
		   enum ipx_event_type type);

/* The engine operations of ipsecfx/engine.h on a card whose fault state is
 * f (read again after a failing query: a query can be what finds the
 * fault).  The caller has checked for faults the card shows only when
 * asked. */
int card_sa_add(struct card_sas *c, const struct ipx_card_fault *f,
		const struct ipx_sa_params *p, uint32_t *h);
int card_sa_delete(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h);
int card_sa_update(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		   unsigned mask, const struct ipx_sa_params *p);
int card_sa_query(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		  struct ipx_sa_state *out);
int card_sa_set_state(struct card_sas *c, const struct ipx_card_fault *f, uint32_t h,
		      const struct ipx_sa_state *in);

#endif
