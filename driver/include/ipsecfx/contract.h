/*
 * ipsecfx hardware/software contract: the one source of truth.
 *
 * Everything the ESP pipeline (hw/rtl), the Verilator harness (hw/sim), the
 * FPGA driver and the software engine must agree on is defined here, once, as
 * X-macro tables.  hw/contract/gen_contract.c expands the same tables into the
 * SystemVerilog include hw/rtl/ipsecfx_contract.svh; a test regenerates it and
 * fails if the committed copy differs.  docs/hw-interface.md explains each item.
 *
 * Rules for editing: append, never renumber; every value is a plain integer
 * literal so that both languages read the same number.
 */
#ifndef IPSECFX_CONTRACT_H
#define IPSECFX_CONTRACT_H

/* Identification: the ID register reads IPX_HW_ID; software refuses a device
 * whose major version differs from IPX_HW_VERSION_MAJOR. */
#define IPX_HW_CONSTANTS(X)                                                   \
	X(HW_ID, 0x49505846, "ID register value, ASCII 'IPXF'")               \
	X(HW_VERSION_MAJOR, 1, "contract major version")                      \
	X(HW_VERSION_MINOR, 0, "contract minor version")                      \
	X(ICV_LEN, 16, "bytes of ICV for every supported transform")          \
	X(ESP_HDR_LEN, 8, "SPI + sequence number")                            \
	X(MAX_PKT_LEN, 9216, "largest inner packet an engine takes")          \
	X(MAX_OVERHEAD, 128, "most bytes ESP adds; outer packets up to MAX_PKT_LEN + this") \
	X(REPLAY_WINDOW_MIN, 64, "smallest anti-replay window, bits")         \
	X(REPLAY_WINDOW_MAX, 4096, "largest anti-replay window, bits")        \
	X(DEFAULT_TTL, 64, "outer TTL / hop limit when the SA gives none")    \
	X(SEQ_SOFT_MARGIN_32, 0x100000, "seq numbers left (32-bit) at which the near-exhaustion event fires") \
	X(SEQ_SOFT_MARGIN_64, 0x100000000, "seq numbers left (ESN) at which the near-exhaustion event fires")

/*
 * Per-packet status codes.  Every engine returns exactly these, and counts
 * every non-OK packet under its code (per SA where the SA is known, engine-wide
 * otherwise).  4 bits in hardware.
 *   X(NAME, code, "name as logged and in JSON", "meaning")
 */
#define IPX_STATUS_LIST(X)                                                    \
	X(OK, 0, "ok", "ok")                                                  \
	X(AUTH_FAILED, 1, "auth_failed", "ICV mismatch")                      \
	X(REPLAYED, 2, "replayed", "sequence number replayed or left of the window") \
	X(UNKNOWN_SPI, 3, "unknown_spi", "no inbound SA with this SPI")       \
	X(MALFORMED, 4, "malformed", "truncated or inconsistent headers or lengths") \
	X(BAD_PADDING, 5, "bad_padding", "pad length or pad bytes wrong")     \
	X(BAD_NEXT_HEADER, 6, "bad_next_header", "next header does not fit the SA or inner packet") \
	X(SA_EXPIRED, 7, "sa_expired", "hard lifetime reached")               \
	X(SEQ_EXHAUSTED, 8, "seq_exhausted", "outbound sequence number would wrap") \
	X(NO_ROOM, 9, "no_room", "buffer head- or tailroom too small for the result") \
	X(TOO_BIG, 10, "too_big", "packet larger than MAX_PKT_LEN")           \
	X(BAD_SA, 11, "bad_sa", "SA handle unknown or of the wrong direction") \
	X(DUMMY, 12, "dummy", "dummy packet (next header 59), dropped by design") \
	X(ENGINE_FAULT, 13, "engine_fault", "engine failed to process the packet")

/*
 * Transforms (the SA entry's cipher field).  Names follow strongSwan's
 * proposal keywords.  key_len counts the cipher key plus the 4-byte salt
 * (RFC 4106 section 8.1, RFC 4543, RFC 7634 section 3) or the AES key alone
 * (RFC 3602); integ_len is the HMAC key.  block is the ESP padding boundary,
 * iv the explicit IV carried in every packet.
 *   X(name, code, key_len, integ_len, block, iv, keyword)
 */
#define IPX_CIPHER_LIST(X)                                                    \
	X(AES128GCM16, 1, 20, 0, 4, 8, "aes128gcm16")                         \
	X(AES192GCM16, 2, 28, 0, 4, 8, "aes192gcm16")                         \
	X(AES256GCM16, 3, 36, 0, 4, 8, "aes256gcm16")                         \
	X(AES128GMAC, 4, 20, 0, 4, 8, "aes128gmac")                           \
	X(AES192GMAC, 5, 28, 0, 4, 8, "aes192gmac")                           \
	X(AES256GMAC, 6, 36, 0, 4, 8, "aes256gmac")                           \
	X(CHACHA20POLY1305, 7, 36, 0, 4, 8, "chacha20poly1305")               \
	X(AES128_SHA256, 8, 16, 32, 16, 16, "aes128-sha256")                  \
	X(AES256_SHA256, 9, 32, 32, 16, 16, "aes256-sha256")

/* Event codes an engine raises towards its user (4 bits in hardware).
 *   X(NAME, code, "name", "meaning") */
#define IPX_EVENT_LIST(X)                                                     \
	X(SOFT_LIFETIME, 1, "soft_lifetime", "soft byte or packet lifetime reached") \
	X(HARD_LIFETIME, 2, "hard_lifetime", "hard byte or packet lifetime reached; SA stops") \
	X(SEQ_NEAR_EXHAUSTION, 3, "seq_near_exhaustion", "outbound sequence number near its limit") \
	X(SEQ_EXHAUSTED, 4, "seq_exhausted", "outbound sequence number at its limit; SA stops") \
	X(ENGINE_FAULT, 5, "engine_fault", "engine fault detected")           \
	X(FALLBACK, 6, "fallback", "SAs moved to another engine")

#endif /* IPSECFX_CONTRACT_H */
