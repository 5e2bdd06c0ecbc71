/*
 * The placement layer as engine.c sees it (driver/place.c): a backend whose
 * open takes the card backend's name.
 */
#ifndef IPSECFX_DRIVER_PLACE_H
#define IPSECFX_DRIVER_PLACE_H

#include "backend.h"

extern const struct ipx_backend ipx_backend_place;
int place_open(const char *card, const struct ipx_engine_config *cfg, void **priv);
struct ipx_engine *place_card_engine(void *priv);
/* eng's placement state, NULL when eng is not a placement engine */
void *ipx_place_priv(struct ipx_engine *eng);

#endif
