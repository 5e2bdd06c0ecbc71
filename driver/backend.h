/*
 * What a backend implements.  Each backend is one file (or directory) that
 * fills in a struct ipx_backend and registers it in engine.c; delete the
 * file and the entry and the rest still builds.  engine.c validates SA
 * parameters against the backend's capabilities before calling sa_add, so a
 * backend may assume well-formed parameters.
 */
#ifndef IPSECFX_BACKEND_H
#define IPSECFX_BACKEND_H

#include <ipsecfx/engine.h>

struct ipx_backend {
	const char *name;
	int (*open)(const struct ipx_engine_config *cfg, void **priv);
	void (*close)(void *priv);
	void (*caps)(void *priv, struct ipx_caps *caps);
	int (*sa_add)(void *priv, const struct ipx_sa_params *p, uint32_t *sa);
	int (*sa_update)(void *priv, uint32_t sa, unsigned mask,
			 const struct ipx_sa_params *p);
	int (*sa_delete)(void *priv, uint32_t sa);
	int (*sa_query)(void *priv, uint32_t sa, struct ipx_sa_state *st);
	int (*sa_set_state)(void *priv, uint32_t sa,
			    const struct ipx_sa_state *st);
	uint32_t (*sa_lookup)(void *priv, uint32_t spi);
	int (*encrypt)(void *priv, struct ipx_pkt *pkts, unsigned n);
	int (*decrypt)(void *priv, struct ipx_pkt *pkts, unsigned n);
	unsigned (*events)(void *priv, struct ipx_event *ev, unsigned max);
	void (*drops)(void *priv, uint64_t drops[IPX_ST__COUNT]);
	int (*health)(void *priv, struct ipx_health *h);
	int (*inject_fault)(void *priv, enum ipx_fault kind);
	int (*recover)(void *priv);
	/* cards (NULL elsewhere): 1 when there is one to open, 0 with why
	 * not; logs nothing (engine auto asks before opening) */
	int (*probe)(const struct ipx_engine_config *cfg, char *why, size_t n);
	/* NULL when this build can open it, else why not (optional) */
	const char *(*missing)(void);
};

extern const struct ipx_backend ipx_backend_soft;
extern const struct ipx_backend ipx_backend_sim;  /* the Verilated kernel, driver/fpga */
extern const struct ipx_backend ipx_backend_xrt;  /* an Alveo card, driver/fpga */
extern const struct ipx_backend ipx_backend_pipe; /* the bare pipeline, driver/pipe (tests) */

/* The backend's private state if eng runs backend be, else NULL (tests). */
void *ipx_engine_priv(struct ipx_engine *eng, const struct ipx_backend *be);

#endif
