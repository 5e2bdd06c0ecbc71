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

/*
 * The ESP pipeline's host interface (hw/rtl/esp_top.sv), explained in
 * docs/hw-interface.md.  Sizes the RTL takes as parameters (SAs per
 * direction, replay window) are read from registers, not fixed here.
 */

/* Layout constants.  X(NAME, value, "meaning") */
#define IPX_HW_LAYOUT(X)                                                      \
	X(KEY_SLOT_H1, 15, "key slot of H^1 (slots 0..14: AES round keys, one per pipeline stage)") \
	X(KEY_SLOTS, 20, "key slots per SA: 15 round keys, H^1..H^5")      \
	X(GHASH_POWERS, 5, "powers of H per SA (interleaved GHASH chains)") \
	X(STAGING_WORDS, 64, "32-bit words of SA command staging")           \
	X(WIN_WORD_BITS, 64, "replay window ring: bits per word")            \
	X(SPI_TABLES, 2, "SPI hash tables (two choices per SPI)")             \
	X(SPI_WAYS, 4, "SPI hash table entries per bucket")                   \
	X(SPI_HASH_KEY0, 0x5bd1e995, "SPI hash: key of table 0")              \
	X(SPI_HASH_KEY1, 0x27d4eb2f, "SPI hash: key of table 1")              \
	X(TUSER_IN_W, 48, "bits of s_axis_enc_tuser")                         \
	X(TUSER_OUT_W, 28, "bits of m_axis_*_tuser")                         \
	X(KERNEL_ID, 0x4950584b, "kernel KID register value, ASCII 'IPXK'")   \
	X(DESC_BYTES, 32, "packet descriptor, bytes (ring entry stride)")     \
	X(CMPL_BYTES, 16, "completion, bytes (completion ring stride)")       \
	X(CTL_BYTES, 512, "control ring entry, bytes (stride; 320 used)")     \
	X(CTL_DATA_WORDS, 64, "control entry data area, 32-bit words from word CTL_DATA") \
	X(CTL_REGS_MAX, 32, "register accesses in one REG control entry")     \
	X(DMA_ALIGN, 16, "packet and result buffers: device address and DESC_CAP alignment") \
	X(RING_LOG2_MAX, 12, "largest ring: 2^12 entries")                    \
	X(HEARTBEAT_CYCLES, 1024, "clocks per HEARTBEAT count")

/* Outer IPv4 DF bit policy (RFC 4301 8.1), the CFG_DF field and enum
 * ipx_df.  X(NAME, code, "meaning") */
#define IPX_DF_LIST(X)                                                        \
	X(COPY, 0, "copy the inner packet's DF (IPv6 inner: set)")            \
	X(SET, 1, "always set")                                               \
	X(CLEAR, 2, "always clear")

/* AXI-Lite registers, 32 bits each.  X(NAME, byte offset, "access", "meaning") */
#define IPX_REG_LIST(X)                                                       \
	X(ID, 0x0000, "ro", "HW_ID")                                          \
	X(VERSION, 0x0004, "ro", "HW_VERSION_MAJOR in bits 31:16, HW_VERSION_MINOR in 15:0") \
	X(SA_COUNT, 0x0008, "ro", "SAs per direction")                        \
	X(WINDOW_MAX, 0x000c, "ro", "largest anti-replay window, bits")       \
	X(DATA_BYTES, 0x0010, "ro", "stream data width, bytes")               \
	X(CIPHERS, 0x0014, "ro", "bit (1 << cipher code) per transform the pipeline runs") \
	X(CYCLES_LO, 0x0018, "ro", "clock cycles since reset, low half; reading it latches the high half") \
	X(CYCLES_HI, 0x001c, "ro", "high half, as latched by the last CYCLES_LO read") \
	X(SA_CMD, 0x0020, "rw", "writing starts an SA-table command (fields CMD_*); reads back the last one") \
	X(SA_STATUS, 0x0024, "ro", "bit 0: a command is running; bit 1: the last command was refused") \
	X(EVENT_OUT, 0x0028, "ro", "reading pops one outbound event (fields EV_*); 0 when there is none") \
	X(EVENT_IN, 0x002c, "ro", "reading pops one inbound event")           \
	X(EVENT_LOST, 0x0030, "ro", "events dropped because their queue was full") \
	X(DROPS_OUT, 0x0100, "ro", "engine-wide outbound drops: 16 counters of 64 bits by status, low word first") \
	X(DROPS_IN, 0x0180, "ro", "engine-wide inbound drops, same layout")   \
	X(STAGING, 0x0400, "rw", "SA command staging, STAGING_WORDS words")

/* SA-table commands, written to SA_CMD's CMD_OP field.  X(NAME, code, "meaning") */
#define IPX_SA_CMD_LIST(X)                                                    \
	X(WRITE_CFG, 1, "staging CFG_* -> configuration of SA CMD_INDEX")    \
	X(WRITE_STATE, 2, "staging ST_* -> state of the SA")                  \
	X(READ_STATE, 3, "state of the SA -> staging ST_*")                   \
	X(WRITE_KEY, 4, "staging KEY -> key slot CMD_SLOT of the SA")         \
	X(CLEAR_KEYS, 5, "zero every key slot of the SA")                     \
	X(WRITE_WIN, 6, "staging WIN -> replay window ring of the SA (inbound)") \
	X(READ_WIN, 7, "replay window ring -> staging WIN (inbound)")         \
	X(WRITE_CTR, 8, "staging CTR_DROPS -> drop counters of the SA")       \
	X(READ_CTR, 9, "drop counters of the SA -> staging CTR_DROPS")        \
	X(WRITE_BKT, 10, "staging BKT_* -> bucket CMD_INDEX of SPI table CMD_SLOT (inbound)") \
	X(READ_BKT, 11, "bucket CMD_INDEX of SPI table CMD_SLOT -> staging BKT_*")

/* Bit fields.  X(NAME, word, lsb, width, "meaning"): bits lsb.. of 32-bit
 * word `word` and up (a field may span words, low word first).  CMD_* are
 * fields of SA_CMD, EV_* of an event word, TU_* of the stream side
 * channels (word 0 = bits 0..31 of tuser), the rest of the staging area. */
#define IPX_FIELD_LIST(X)                                                     \
	X(CMD_INDEX, 0, 0, 16, "SA index, or bucket for bucket commands")     \
	X(CMD_SLOT, 0, 16, 5, "key slot (WRITE_KEY) or SPI table (bucket commands)") \
	X(CMD_DIR, 0, 23, 1, "0: outbound table, 1: inbound table")          \
	X(CMD_OP, 0, 24, 4, "command code")                                   \
	X(EV_SA, 0, 0, 16, "SA index")                                        \
	X(EV_TYPE, 0, 24, 4, "event code")                                    \
	X(EV_VALID, 0, 31, 1, "an event was popped")                          \
	X(TU_IN_SA, 0, 0, 16, "encrypt input, first beat: SA index")          \
	X(TU_IN_HEADROOM, 0, 16, 16, "encrypt input: bytes the packet may grow in front") \
	X(TU_IN_TAILROOM, 1, 0, 16, "encrypt input: bytes from the packet start to the buffer end") \
	X(TU_OUT_STATUS, 0, 0, 4, "output, every beat: status code")          \
	X(TU_OUT_SA, 0, 4, 16, "output: SA index (decrypt: the SA its SPI found)") \
	X(TU_OUT_ESP_OFF, 0, 20, 8, "output: offset of the ESP header in the outer packet") \
	X(CFG_VALID, 0, 0, 1, "SA in use")                                    \
	X(CFG_CIPHER, 0, 4, 4, "transform code")                              \
	X(CFG_ESN, 0, 8, 1, "64-bit sequence numbers")                        \
	X(CFG_UDP, 0, 9, 1, "outbound: UDP encapsulation")                    \
	X(CFG_DF, 0, 10, 2, "outbound: DF policy (enum ipx_df)")              \
	X(CFG_TTL, 0, 16, 8, "outbound: outer TTL")                           \
	X(CFG_WINDOW, 1, 0, 16, "inbound: anti-replay window, bits (0: off)") \
	X(CFG_SPI, 2, 0, 32, "SPI")                                           \
	X(CFG_SALT, 3, 0, 32, "salt, the first 4 nonce bytes (byte 0 in bits 31:24)") \
	X(CFG_SRC, 4, 0, 32, "outbound: outer IPv4 source")                   \
	X(CFG_DST, 5, 0, 32, "outbound: outer IPv4 destination")              \
	X(CFG_SPORT, 6, 0, 16, "outbound: UDP source port")                   \
	X(CFG_DPORT, 6, 16, 16, "outbound: UDP destination port")             \
	X(CFG_SOFT_BYTES, 8, 0, 64, "soft lifetime in bytes (0: none)")       \
	X(CFG_SOFT_PKTS, 10, 0, 64, "soft lifetime in packets (0: none)")     \
	X(CFG_HARD_BYTES, 12, 0, 64, "hard lifetime in bytes (0: none)")      \
	X(CFG_HARD_PKTS, 14, 0, 64, "hard lifetime in packets (0: none)")     \
	X(ST_SEQ, 16, 0, 64, "outbound: next sequence number; inbound: highest accepted") \
	X(ST_PACKETS, 18, 0, 64, "packets processed")                         \
	X(ST_BYTES, 20, 0, 64, "clear bytes of those packets")                \
	X(ST_SEQ_EXHAUSTED, 22, 0, 1, "outbound: every sequence number used") \
	X(ST_SEQ_WARNED, 22, 1, 1, "outbound: near-exhaustion event raised")  \
	X(ST_SOFT_EXPIRED, 22, 2, 1, "soft lifetime reached")                 \
	X(ST_HARD_EXPIRED, 22, 3, 1, "hard lifetime reached")                 \
	X(CTR_DROPS, 32, 0, 64, "drops with status s: 64 bits at word 32 + 2 s") \
	X(KEY, 0, 0, 128, "key slot value; byte 0 of the block in word 3 bits 31:24") \
	X(WIN, 0, 0, 64, "window ring word r: 64 bits at word 2 r")           \
	X(BKT_SPI, 0, 0, 32, "bucket entry e: SPI at word 2 e (0: empty)")    \
	X(BKT_SA, 1, 0, 16, "bucket entry e: SA index at word 2 e + 1")      \
	X(DESC_SRC, 0, 0, 64, "descriptor: device address of the packet (DMA_ALIGN)") \
	X(DESC_DST, 2, 0, 64, "descriptor: device address of the result buffer (DMA_ALIGN)") \
	X(DESC_LEN, 4, 0, 16, "descriptor: packet bytes, 1 .. MAX_PKT_LEN + MAX_OVERHEAD") \
	X(DESC_CAP, 4, 16, 16, "descriptor: result buffer bytes, a multiple of DMA_ALIGN") \
	X(DESC_TUSER, 5, 0, 48, "descriptor: the packet's s_axis tuser (encrypt: TU_IN_*; decrypt: 0)") \
	X(DESC_COOKIE, 7, 0, 32, "descriptor: the host's, never read")      \
	X(CMPL_TUSER, 0, 0, 28, "packet completion: the result's m_axis tuser (TU_OUT_*)") \
	X(CMPL_OVERFLOW, 0, 31, 1, "packet completion: result longer than DESC_CAP, cut") \
	X(CMPL_LEN, 1, 0, 16, "packet completion: result bytes written at DESC_DST") \
	X(CMPL_SEQ, 2, 0, 32, "completion: ring position + 1 (free-running); new when it matches") \
	X(CMPL_RESULT, 0, 0, 4, "control completion: result code (CTL_RES_*)") \
	X(CTL_OP, 0, 0, 4, "control entry: operation (CTL_OP_*)")             \
	X(CTL_CMD, 1, 0, 32, "control entry, SA_CMD op: the SA_CMD register value") \
	X(CTL_WR_FROM, 2, 0, 8, "SA_CMD op: first staging word written from the data area") \
	X(CTL_WR_N, 2, 8, 8, "SA_CMD op: staging words written before the command") \
	X(CTL_RD_FROM, 2, 16, 8, "SA_CMD op: first staging word read back into the data area") \
	X(CTL_RD_N, 2, 24, 8, "SA_CMD op: staging words read back after the command") \
	X(CTL_NREG, 3, 0, 8, "REG op: register accesses, up to CTL_REGS_MAX") \
	X(CTL_DATA, 16, 0, 32, "data area: staging word w at word 16 + w; REG op: access i at 16 + 2 i (pipeline register offset, bit 31: write) and 17 + 2 i (data)")

/*
 * The Vitis RTL kernel around the pipeline (hw/rtl/esp_kernel.sv): its
 * s_axi_control registers, XRT's ap_ctrl_hs block first.  Three rings
 * (OUT: packets to encrypt, IN: packets to decrypt, CTL: SA-table commands
 * and pipeline register accesses) live in host memory; each has a
 * descriptor ring, a completion ring, a size and two indices.
 *   X(NAME, byte offset, "access", "meaning")
 */
#define IPX_KREG_LIST(X)                                                      \
	X(CTRL, 0x00, "rw", "XRT: bit 0 ap_start (the kernel then runs until reset), 1 ap_done (never set), 2 ap_idle, 3 ap_ready") \
	X(GIE, 0x04, "rw", "XRT global interrupt enable (the kernel raises no interrupt)") \
	X(IER, 0x08, "rw", "XRT interrupt enable")                             \
	X(ISR, 0x0c, "rw", "XRT interrupt status, toggle on write")            \
	X(MEM_LO, 0x10, "rw", "kernel argument 0 (mem: the host buffer of the rings), low half; not used by the kernel") \
	X(MEM_HI, 0x14, "rw", "high half")                                     \
	X(KID, 0x20, "ro", "KERNEL_ID")                                        \
	X(KVERSION, 0x24, "ro", "HW_VERSION_MAJOR in bits 31:16, HW_VERSION_MINOR in 15:0") \
	X(KSTATUS, 0x28, "ro", "bit 0: running (started, not reset); bit 1: halted by a fault") \
	X(KFAULT, 0x2c, "ro", "fault bits (KF_*); cleared by a reset only")   \
	X(KRESET, 0x30, "wo", "writing bit 0 resets the kernel and the pipeline: rings, SA tables, faults; then ap_start again") \
	X(HEARTBEAT, 0x34, "ro", "counts every HEARTBEAT_CYCLES clocks while running and not halted") \
	X(OUT_DESC_LO, 0x40, "rw", "OUT ring: descriptors (DESC_BYTES each), device address, low half") \
	X(OUT_DESC_HI, 0x44, "rw", "high half")                                \
	X(OUT_CMPL_LO, 0x48, "rw", "OUT ring: completions (CMPL_BYTES each), low half") \
	X(OUT_CMPL_HI, 0x4c, "rw", "high half")                                \
	X(OUT_SIZE, 0x50, "rw", "OUT ring: log2 of its entries, 1 .. RING_LOG2_MAX") \
	X(OUT_TAIL, 0x54, "rw", "OUT ring doorbell: descriptors written by the host (free-running)") \
	X(OUT_HEAD, 0x58, "ro", "OUT ring: completions written by the kernel (free-running)") \
	X(IN_DESC_LO, 0x60, "rw", "IN ring, same layout")                      \
	X(IN_DESC_HI, 0x64, "rw", "")                                          \
	X(IN_CMPL_LO, 0x68, "rw", "")                                          \
	X(IN_CMPL_HI, 0x6c, "rw", "")                                          \
	X(IN_SIZE, 0x70, "rw", "")                                             \
	X(IN_TAIL, 0x74, "rw", "")                                             \
	X(IN_HEAD, 0x78, "ro", "")                                             \
	X(CTL_DESC_LO, 0x80, "rw", "CTL ring (entries of CTL_BYTES), same layout") \
	X(CTL_DESC_HI, 0x84, "rw", "")                                         \
	X(CTL_CMPL_LO, 0x88, "rw", "")                                         \
	X(CTL_CMPL_HI, 0x8c, "rw", "")                                         \
	X(CTL_SIZE, 0x90, "rw", "")                                            \
	X(CTL_TAIL, 0x94, "rw", "")                                            \
	X(CTL_HEAD, 0x98, "ro", "")

/* KFAULT bits.  X(NAME, bit, "meaning") */
#define IPX_KFAULT_LIST(X)                                                    \
	X(DMA_RD, 0, "a read on m_axi returned an error response")           \
	X(DMA_WR, 1, "a write on m_axi returned an error response")          \
	X(DESC, 2, "a descriptor broke the rules (alignment, length, capacity)")

/* Control ring operations (CTL_OP) and results (CMPL_RESULT).
 *   X(NAME, code, "meaning") */
#define IPX_CTL_OP_LIST(X)                                                    \
	X(SA_CMD, 1, "write CTL_WR_N staging words, run the SA-table command CTL_CMD, read CTL_RD_N staging words back") \
	X(REG, 2, "CTL_NREG pipeline register reads and writes, in order; read values replace the data words")
#define IPX_CTL_RES_LIST(X)                                                   \
	X(OK, 0, "done")                                                      \
	X(REFUSED, 1, "the pipeline refused the SA-table command (SA_STATUS bit 1)") \
	X(TIMEOUT, 2, "the SA-table command did not finish")                 \
	X(BAD, 3, "unknown operation or a range beyond the staging area")

#endif /* IPSECFX_CONTRACT_H */
