/*
 * The ESP pipeline's host interface as C constants: register offsets,
 * SA-table commands, bit fields and layout numbers, all expanded from the
 * tables of contract.h (docs/hw-interface.md explains them).  Used by the
 * backends that program the pipeline (driver/pipe, driver/fpga) and the
 * host-side tables (driver/sa_table.c).
 */
#ifndef IPSECFX_HWIF_H
#define IPSECFX_HWIF_H

#include <ipsecfx/contract.h>

#define IPX_X_LAYOUT(n, v, d) IPX_##n = (v),
enum { IPX_HW_LAYOUT(IPX_X_LAYOUT) };
#undef IPX_X_LAYOUT

#define IPX_X_REG(n, o, a, d) IPX_REG_##n = (o),
enum { IPX_REG_LIST(IPX_X_REG) };
#undef IPX_X_REG

#define IPX_X_CMD(n, v, d) IPX_CMD_##n = (v),
enum { IPX_SA_CMD_LIST(IPX_X_CMD) };
#undef IPX_X_CMD

/* IPX_F_<name>_WORD, _LSB (within the word) and _W (bits) */
#define IPX_X_FIELD(n, w, l, wd, d) \
	IPX_F_##n##_WORD = (w), IPX_F_##n##_LSB = (l), IPX_F_##n##_W = (wd),
enum { IPX_FIELD_LIST(IPX_X_FIELD) };
#undef IPX_X_FIELD

#define IPX_X_KREG(n, o, a, d) IPX_KREG_##n = (o),
enum { IPX_KREG_LIST(IPX_X_KREG) };
#undef IPX_X_KREG

#define IPX_X_KF(n, v, d) IPX_KF_##n = (1u << (v)),
enum { IPX_KFAULT_LIST(IPX_X_KF) };
#undef IPX_X_KF

#define IPX_X_CTL(n, v, d) IPX_CTL_OP_##n = (v),
enum { IPX_CTL_OP_LIST(IPX_X_CTL) };
#undef IPX_X_CTL
#define IPX_X_RES(n, v, d) IPX_CTL_RES_##n = (v),
enum { IPX_CTL_RES_LIST(IPX_X_RES) };
#undef IPX_X_RES

#endif
