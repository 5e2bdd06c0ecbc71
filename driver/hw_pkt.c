/*
 * The pipeline's packet sideband and results, shared by the backends that
 * drive it (hw_pkt.h).
 */
#include <string.h>

#include <ipsecfx/hwif.h>

#include "hw_pkt.h"

static unsigned tu(uint64_t v, unsigned lsb, unsigned w)
{
	return (unsigned)((v >> lsb) & ((1ull << w) - 1));
}

bool hwp_bad_buffer(const struct ipx_pkt *pkt)
{
	return pkt->off > pkt->buf_len || pkt->len > pkt->buf_len - pkt->off || pkt->len == 0;
}

uint64_t hwp_tuser_in(uint32_t index, const struct ipx_pkt *pkt)
{
	return (uint64_t)index << IPX_F_TU_IN_SA_LSB |
	       (uint64_t)(pkt->off > 0xffff ? 0xffff : pkt->off) << IPX_F_TU_IN_HEADROOM_LSB |
	       (uint64_t)(pkt->buf_len - pkt->off > 0xffff ? 0xffff : pkt->buf_len - pkt->off)
		       << (32 * IPX_F_TU_IN_TAILROOM_WORD + IPX_F_TU_IN_TAILROOM_LSB);
}

uint32_t hwp_tuser_sa(uint64_t tuser)
{
	return tu(tuser, IPX_F_TU_OUT_SA_LSB, IPX_F_TU_OUT_SA_W);
}

void hwp_apply(struct ipx_pkt *pkt, bool out, uint64_t tuser, uint32_t in_sa,
	       const uint8_t *res, uint32_t len)
{
	unsigned st = tu(tuser, IPX_F_TU_OUT_STATUS_LSB, IPX_F_TU_OUT_STATUS_W);
	unsigned eo = tu(tuser, IPX_F_TU_OUT_ESP_OFF_LSB, IPX_F_TU_OUT_ESP_OFF_W);
	uint32_t head = eo + IPX_ESP_HDR_LEN + 8;

	pkt->status = (uint16_t)st;
	if (!out) {
		pkt->sa = IPX_SA_NONE;
		pkt->esp_off = 0;
		if (st != IPX_ST_MALFORMED && st != IPX_ST_TOO_BIG && st != IPX_ST_UNKNOWN_SPI) {
			pkt->sa = in_sa;
			pkt->esp_off = (uint16_t)eo;
		}
	}
	if (st != IPX_ST_OK)
		return;
	if (out) {
		/* outer headers in front of where the inner packet was */
		if (pkt->off < head || len > pkt->buf_len - (pkt->off - head)) {
			pkt->status = IPX_ST_ENGINE_FAULT;
			return;
		}
		pkt->off -= head;
		pkt->esp_off = (uint16_t)eo;
	} else {
		/* the inner packet behind the ESP header and IV */
		if (head > pkt->len || len > pkt->buf_len - (pkt->off + head)) {
			pkt->status = IPX_ST_ENGINE_FAULT;
			return;
		}
		pkt->off += head;
	}
	memcpy(pkt->buf + pkt->off, res, len);
	pkt->len = len;
}
