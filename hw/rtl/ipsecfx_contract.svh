// Generated from driver/include/ipsecfx/contract.h by
// hw/contract/gen_contract.c (make contract).  Do not edit.
// Included inside each module that needs it (localparams are module
// scope), hence no include guard; a module uses a few of them.
// verilator lint_off UNUSEDPARAM

// constants
localparam longint unsigned IPX_HW_ID = 64'd1230002246; // ID register value, ASCII 'IPXF'
localparam longint unsigned IPX_HW_VERSION_MAJOR = 64'd1; // contract major version
localparam longint unsigned IPX_HW_VERSION_MINOR = 64'd0; // contract minor version
localparam longint unsigned IPX_ICV_LEN = 64'd16; // bytes of ICV for every supported transform
localparam longint unsigned IPX_ESP_HDR_LEN = 64'd8; // SPI + sequence number
localparam longint unsigned IPX_MAX_PKT_LEN = 64'd9216; // largest inner packet an engine takes
localparam longint unsigned IPX_MAX_OVERHEAD = 64'd128; // most bytes ESP adds; outer packets up to MAX_PKT_LEN + this
localparam longint unsigned IPX_REPLAY_WINDOW_MIN = 64'd64; // smallest anti-replay window, bits
localparam longint unsigned IPX_REPLAY_WINDOW_MAX = 64'd4096; // largest anti-replay window, bits
localparam longint unsigned IPX_DEFAULT_TTL = 64'd64; // outer TTL / hop limit when the SA gives none
localparam longint unsigned IPX_SEQ_SOFT_MARGIN_32 = 64'd1048576; // seq numbers left (32-bit) at which the near-exhaustion event fires
localparam longint unsigned IPX_SEQ_SOFT_MARGIN_64 = 64'd4294967296; // seq numbers left (ESN) at which the near-exhaustion event fires

// per-packet status codes (4 bits)
localparam logic [3:0] IPX_ST_OK = 4'd0; // ok
localparam logic [3:0] IPX_ST_AUTH_FAILED = 4'd1; // ICV mismatch
localparam logic [3:0] IPX_ST_REPLAYED = 4'd2; // sequence number replayed or left of the window
localparam logic [3:0] IPX_ST_UNKNOWN_SPI = 4'd3; // no inbound SA with this SPI
localparam logic [3:0] IPX_ST_MALFORMED = 4'd4; // truncated or inconsistent headers or lengths
localparam logic [3:0] IPX_ST_BAD_PADDING = 4'd5; // pad length or pad bytes wrong
localparam logic [3:0] IPX_ST_BAD_NEXT_HEADER = 4'd6; // next header does not fit the SA or inner packet
localparam logic [3:0] IPX_ST_SA_EXPIRED = 4'd7; // hard lifetime reached
localparam logic [3:0] IPX_ST_SEQ_EXHAUSTED = 4'd8; // outbound sequence number would wrap
localparam logic [3:0] IPX_ST_NO_ROOM = 4'd9; // buffer head- or tailroom too small for the result
localparam logic [3:0] IPX_ST_TOO_BIG = 4'd10; // packet larger than MAX_PKT_LEN
localparam logic [3:0] IPX_ST_BAD_SA = 4'd11; // SA handle unknown or of the wrong direction
localparam logic [3:0] IPX_ST_DUMMY = 4'd12; // dummy packet (next header 59), dropped by design
localparam logic [3:0] IPX_ST_ENGINE_FAULT = 4'd13; // engine failed to process the packet

// transforms: code, key bytes incl. salt, integrity key bytes, block, IV bytes
localparam logic [3:0] IPX_CIPHER_AES128GCM16 = 4'd1; // aes128gcm16
localparam int IPX_CIPHER_AES128GCM16_KEY_LEN = 20;
localparam int IPX_CIPHER_AES128GCM16_BLOCK = 4;
localparam int IPX_CIPHER_AES128GCM16_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES192GCM16 = 4'd2; // aes192gcm16
localparam int IPX_CIPHER_AES192GCM16_KEY_LEN = 28;
localparam int IPX_CIPHER_AES192GCM16_BLOCK = 4;
localparam int IPX_CIPHER_AES192GCM16_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES256GCM16 = 4'd3; // aes256gcm16
localparam int IPX_CIPHER_AES256GCM16_KEY_LEN = 36;
localparam int IPX_CIPHER_AES256GCM16_BLOCK = 4;
localparam int IPX_CIPHER_AES256GCM16_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES128GMAC = 4'd4; // aes128gmac
localparam int IPX_CIPHER_AES128GMAC_KEY_LEN = 20;
localparam int IPX_CIPHER_AES128GMAC_BLOCK = 4;
localparam int IPX_CIPHER_AES128GMAC_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES192GMAC = 4'd5; // aes192gmac
localparam int IPX_CIPHER_AES192GMAC_KEY_LEN = 28;
localparam int IPX_CIPHER_AES192GMAC_BLOCK = 4;
localparam int IPX_CIPHER_AES192GMAC_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES256GMAC = 4'd6; // aes256gmac
localparam int IPX_CIPHER_AES256GMAC_KEY_LEN = 36;
localparam int IPX_CIPHER_AES256GMAC_BLOCK = 4;
localparam int IPX_CIPHER_AES256GMAC_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_CHACHA20POLY1305 = 4'd7; // chacha20poly1305
localparam int IPX_CIPHER_CHACHA20POLY1305_KEY_LEN = 36;
localparam int IPX_CIPHER_CHACHA20POLY1305_BLOCK = 4;
localparam int IPX_CIPHER_CHACHA20POLY1305_IV_LEN = 8;
localparam logic [3:0] IPX_CIPHER_AES128_SHA256 = 4'd8; // aes128-sha256
localparam int IPX_CIPHER_AES128_SHA256_KEY_LEN = 16;
localparam int IPX_CIPHER_AES128_SHA256_BLOCK = 16;
localparam int IPX_CIPHER_AES128_SHA256_IV_LEN = 16;
localparam logic [3:0] IPX_CIPHER_AES256_SHA256 = 4'd9; // aes256-sha256
localparam int IPX_CIPHER_AES256_SHA256_KEY_LEN = 32;
localparam int IPX_CIPHER_AES256_SHA256_BLOCK = 16;
localparam int IPX_CIPHER_AES256_SHA256_IV_LEN = 16;

// events (4 bits)
localparam logic [3:0] IPX_EV_SOFT_LIFETIME = 4'd1; // soft byte or packet lifetime reached
localparam logic [3:0] IPX_EV_HARD_LIFETIME = 4'd2; // hard byte or packet lifetime reached; SA stops
localparam logic [3:0] IPX_EV_SEQ_NEAR_EXHAUSTION = 4'd3; // outbound sequence number near its limit
localparam logic [3:0] IPX_EV_SEQ_EXHAUSTED = 4'd4; // outbound sequence number at its limit; SA stops
localparam logic [3:0] IPX_EV_ENGINE_FAULT = 4'd5; // engine fault detected
localparam logic [3:0] IPX_EV_FALLBACK = 4'd6; // SAs moved to another engine

// outer DF policy (CFG_DF)
localparam logic [1:0] IPX_DF_COPY = 2'd0; // copy the inner packet's DF (IPv6 inner: set)
localparam logic [1:0] IPX_DF_SET = 2'd1; // always set
localparam logic [1:0] IPX_DF_CLEAR = 2'd2; // always clear

// host interface layout
localparam int unsigned IPX_KEY_SLOT_H1 = 32'd15; // key slot of H^1 (slots 0..14: AES round keys, one per pipeline stage)
localparam int unsigned IPX_KEY_SLOTS = 32'd20; // key slots per SA: 15 round keys, H^1..H^5
localparam int unsigned IPX_GHASH_POWERS = 32'd5; // powers of H per SA (interleaved GHASH chains)
localparam int unsigned IPX_STAGING_WORDS = 32'd64; // 32-bit words of SA command staging
localparam int unsigned IPX_WIN_WORD_BITS = 32'd64; // replay window ring: bits per word
localparam int unsigned IPX_SPI_TABLES = 32'd2; // SPI hash tables (two choices per SPI)
localparam int unsigned IPX_SPI_WAYS = 32'd4; // SPI hash table entries per bucket
localparam int unsigned IPX_SPI_HASH_KEY0 = 32'd1540483477; // SPI hash: key of table 0
localparam int unsigned IPX_SPI_HASH_KEY1 = 32'd668265263; // SPI hash: key of table 1
localparam int unsigned IPX_TUSER_IN_W = 32'd48; // bits of s_axis_enc_tuser
localparam int unsigned IPX_TUSER_OUT_W = 32'd28; // bits of m_axis_*_tuser
localparam int unsigned IPX_KERNEL_ID = 32'd1230002251; // kernel KID register value, ASCII 'IPXK'
localparam int unsigned IPX_DESC_BYTES = 32'd32; // packet descriptor, bytes (ring entry stride)
localparam int unsigned IPX_CMPL_BYTES = 32'd16; // completion, bytes (completion ring stride)
localparam int unsigned IPX_CTL_BYTES = 32'd512; // control ring entry, bytes (stride; 320 used)
localparam int unsigned IPX_CTL_DATA_WORDS = 32'd64; // control entry data area, 32-bit words from word CTL_DATA
localparam int unsigned IPX_CTL_REGS_MAX = 32'd32; // register accesses in one REG control entry
localparam int unsigned IPX_DMA_ALIGN = 32'd16; // packet and result buffers: device address and DESC_CAP alignment
localparam int unsigned IPX_RING_LOG2_MAX = 32'd12; // largest ring: 2^12 entries
localparam int unsigned IPX_HEARTBEAT_CYCLES = 32'd1024; // clocks per HEARTBEAT count

// AXI-Lite registers (byte offsets)
localparam int unsigned IPX_REG_ID = 32'h0000; // ro: HW_ID
localparam int unsigned IPX_REG_VERSION = 32'h0004; // ro: HW_VERSION_MAJOR in bits 31:16, HW_VERSION_MINOR in 15:0
localparam int unsigned IPX_REG_SA_COUNT = 32'h0008; // ro: SAs per direction
localparam int unsigned IPX_REG_WINDOW_MAX = 32'h000c; // ro: largest anti-replay window, bits
localparam int unsigned IPX_REG_DATA_BYTES = 32'h0010; // ro: stream data width, bytes
localparam int unsigned IPX_REG_CIPHERS = 32'h0014; // ro: bit (1 << cipher code) per transform the pipeline runs
localparam int unsigned IPX_REG_CYCLES_LO = 32'h0018; // ro: clock cycles since reset, low half; reading it latches the high half
localparam int unsigned IPX_REG_CYCLES_HI = 32'h001c; // ro: high half, as latched by the last CYCLES_LO read
localparam int unsigned IPX_REG_SA_CMD = 32'h0020; // rw: writing starts an SA-table command (fields CMD_*); reads back the last one
localparam int unsigned IPX_REG_SA_STATUS = 32'h0024; // ro: bit 0: a command is running; bit 1: the last command was refused
localparam int unsigned IPX_REG_EVENT_OUT = 32'h0028; // ro: reading pops one outbound event (fields EV_*); 0 when there is none
localparam int unsigned IPX_REG_EVENT_IN = 32'h002c; // ro: reading pops one inbound event
localparam int unsigned IPX_REG_EVENT_LOST = 32'h0030; // ro: events dropped because their queue was full
localparam int unsigned IPX_REG_DROPS_OUT = 32'h0100; // ro: engine-wide outbound drops: 16 counters of 64 bits by status, low word first
localparam int unsigned IPX_REG_DROPS_IN = 32'h0180; // ro: engine-wide inbound drops, same layout
localparam int unsigned IPX_REG_STAGING = 32'h0400; // rw: SA command staging, STAGING_WORDS words

// SA-table commands (SA_CMD.CMD_OP)
localparam logic [3:0] IPX_CMD_WRITE_CFG = 4'd1; // staging CFG_* -> configuration of SA CMD_INDEX
localparam logic [3:0] IPX_CMD_WRITE_STATE = 4'd2; // staging ST_* -> state of the SA
localparam logic [3:0] IPX_CMD_READ_STATE = 4'd3; // state of the SA -> staging ST_*
localparam logic [3:0] IPX_CMD_WRITE_KEY = 4'd4; // staging KEY -> key slot CMD_SLOT of the SA
localparam logic [3:0] IPX_CMD_CLEAR_KEYS = 4'd5; // zero every key slot of the SA
localparam logic [3:0] IPX_CMD_WRITE_WIN = 4'd6; // staging WIN -> replay window ring of the SA (inbound)
localparam logic [3:0] IPX_CMD_READ_WIN = 4'd7; // replay window ring -> staging WIN (inbound)
localparam logic [3:0] IPX_CMD_WRITE_CTR = 4'd8; // staging CTR_DROPS -> drop counters of the SA
localparam logic [3:0] IPX_CMD_READ_CTR = 4'd9; // drop counters of the SA -> staging CTR_DROPS
localparam logic [3:0] IPX_CMD_WRITE_BKT = 4'd10; // staging BKT_* -> bucket CMD_INDEX of SPI table CMD_SLOT (inbound)
localparam logic [3:0] IPX_CMD_READ_BKT = 4'd11; // bucket CMD_INDEX of SPI table CMD_SLOT -> staging BKT_*

// bit fields: _LSB counts from bit 0 of word 0
localparam int IPX_F_CMD_INDEX_LSB = 0; // SA index, or bucket for bucket commands
localparam int IPX_F_CMD_INDEX_W = 16;
localparam int IPX_F_CMD_SLOT_LSB = 16; // key slot (WRITE_KEY) or SPI table (bucket commands)
localparam int IPX_F_CMD_SLOT_W = 5;
localparam int IPX_F_CMD_DIR_LSB = 23; // 0: outbound table, 1: inbound table
localparam int IPX_F_CMD_DIR_W = 1;
localparam int IPX_F_CMD_OP_LSB = 24; // command code
localparam int IPX_F_CMD_OP_W = 4;
localparam int IPX_F_EV_SA_LSB = 0; // SA index
localparam int IPX_F_EV_SA_W = 16;
localparam int IPX_F_EV_TYPE_LSB = 24; // event code
localparam int IPX_F_EV_TYPE_W = 4;
localparam int IPX_F_EV_VALID_LSB = 31; // an event was popped
localparam int IPX_F_EV_VALID_W = 1;
localparam int IPX_F_TU_IN_SA_LSB = 0; // encrypt input, first beat: SA index
localparam int IPX_F_TU_IN_SA_W = 16;
localparam int IPX_F_TU_IN_HEADROOM_LSB = 16; // encrypt input: bytes the packet may grow in front
localparam int IPX_F_TU_IN_HEADROOM_W = 16;
localparam int IPX_F_TU_IN_TAILROOM_LSB = 32; // encrypt input: bytes from the packet start to the buffer end
localparam int IPX_F_TU_IN_TAILROOM_W = 16;
localparam int IPX_F_TU_OUT_STATUS_LSB = 0; // output, every beat: status code
localparam int IPX_F_TU_OUT_STATUS_W = 4;
localparam int IPX_F_TU_OUT_SA_LSB = 4; // output: SA index (decrypt: the SA its SPI found)
localparam int IPX_F_TU_OUT_SA_W = 16;
localparam int IPX_F_TU_OUT_ESP_OFF_LSB = 20; // output: offset of the ESP header in the outer packet
localparam int IPX_F_TU_OUT_ESP_OFF_W = 8;
localparam int IPX_F_CFG_VALID_LSB = 0; // SA in use
localparam int IPX_F_CFG_VALID_W = 1;
localparam int IPX_F_CFG_CIPHER_LSB = 4; // transform code
localparam int IPX_F_CFG_CIPHER_W = 4;
localparam int IPX_F_CFG_ESN_LSB = 8; // 64-bit sequence numbers
localparam int IPX_F_CFG_ESN_W = 1;
localparam int IPX_F_CFG_UDP_LSB = 9; // outbound: UDP encapsulation
localparam int IPX_F_CFG_UDP_W = 1;
localparam int IPX_F_CFG_DF_LSB = 10; // outbound: DF policy (enum ipx_df)
localparam int IPX_F_CFG_DF_W = 2;
localparam int IPX_F_CFG_TTL_LSB = 16; // outbound: outer TTL
localparam int IPX_F_CFG_TTL_W = 8;
localparam int IPX_F_CFG_WINDOW_LSB = 32; // inbound: anti-replay window, bits (0: off)
localparam int IPX_F_CFG_WINDOW_W = 16;
localparam int IPX_F_CFG_SPI_LSB = 64; // SPI
localparam int IPX_F_CFG_SPI_W = 32;
localparam int IPX_F_CFG_SALT_LSB = 96; // salt, the first 4 nonce bytes (byte 0 in bits 31:24)
localparam int IPX_F_CFG_SALT_W = 32;
localparam int IPX_F_CFG_SRC_LSB = 128; // outbound: outer IPv4 source
localparam int IPX_F_CFG_SRC_W = 32;
localparam int IPX_F_CFG_DST_LSB = 160; // outbound: outer IPv4 destination
localparam int IPX_F_CFG_DST_W = 32;
localparam int IPX_F_CFG_SPORT_LSB = 192; // outbound: UDP source port
localparam int IPX_F_CFG_SPORT_W = 16;
localparam int IPX_F_CFG_DPORT_LSB = 208; // outbound: UDP destination port
localparam int IPX_F_CFG_DPORT_W = 16;
localparam int IPX_F_CFG_SOFT_BYTES_LSB = 256; // soft lifetime in bytes (0: none)
localparam int IPX_F_CFG_SOFT_BYTES_W = 64;
localparam int IPX_F_CFG_SOFT_PKTS_LSB = 320; // soft lifetime in packets (0: none)
localparam int IPX_F_CFG_SOFT_PKTS_W = 64;
localparam int IPX_F_CFG_HARD_BYTES_LSB = 384; // hard lifetime in bytes (0: none)
localparam int IPX_F_CFG_HARD_BYTES_W = 64;
localparam int IPX_F_CFG_HARD_PKTS_LSB = 448; // hard lifetime in packets (0: none)
localparam int IPX_F_CFG_HARD_PKTS_W = 64;
localparam int IPX_F_ST_SEQ_LSB = 512; // outbound: next sequence number; inbound: highest accepted
localparam int IPX_F_ST_SEQ_W = 64;
localparam int IPX_F_ST_PACKETS_LSB = 576; // packets processed
localparam int IPX_F_ST_PACKETS_W = 64;
localparam int IPX_F_ST_BYTES_LSB = 640; // clear bytes of those packets
localparam int IPX_F_ST_BYTES_W = 64;
localparam int IPX_F_ST_SEQ_EXHAUSTED_LSB = 704; // outbound: every sequence number used
localparam int IPX_F_ST_SEQ_EXHAUSTED_W = 1;
localparam int IPX_F_ST_SEQ_WARNED_LSB = 705; // outbound: near-exhaustion event raised
localparam int IPX_F_ST_SEQ_WARNED_W = 1;
localparam int IPX_F_ST_SOFT_EXPIRED_LSB = 706; // soft lifetime reached
localparam int IPX_F_ST_SOFT_EXPIRED_W = 1;
localparam int IPX_F_ST_HARD_EXPIRED_LSB = 707; // hard lifetime reached
localparam int IPX_F_ST_HARD_EXPIRED_W = 1;
localparam int IPX_F_CTR_DROPS_LSB = 1024; // drops with status s: 64 bits at word 32 + 2 s
localparam int IPX_F_CTR_DROPS_W = 64;
localparam int IPX_F_KEY_LSB = 0; // key slot value; byte 0 of the block in word 3 bits 31:24
localparam int IPX_F_KEY_W = 128;
localparam int IPX_F_WIN_LSB = 0; // window ring word r: 64 bits at word 2 r
localparam int IPX_F_WIN_W = 64;
localparam int IPX_F_BKT_SPI_LSB = 0; // bucket entry e: SPI at word 2 e (0: empty)
localparam int IPX_F_BKT_SPI_W = 32;
localparam int IPX_F_BKT_SA_LSB = 32; // bucket entry e: SA index at word 2 e + 1
localparam int IPX_F_BKT_SA_W = 16;
localparam int IPX_F_DESC_SRC_LSB = 0; // descriptor: device address of the packet (DMA_ALIGN)
localparam int IPX_F_DESC_SRC_W = 64;
localparam int IPX_F_DESC_DST_LSB = 64; // descriptor: device address of the result buffer (DMA_ALIGN)
localparam int IPX_F_DESC_DST_W = 64;
localparam int IPX_F_DESC_LEN_LSB = 128; // descriptor: packet bytes, 1 .. MAX_PKT_LEN + MAX_OVERHEAD
localparam int IPX_F_DESC_LEN_W = 16;
localparam int IPX_F_DESC_CAP_LSB = 144; // descriptor: result buffer bytes, a multiple of DMA_ALIGN
localparam int IPX_F_DESC_CAP_W = 16;
localparam int IPX_F_DESC_TUSER_LSB = 160; // descriptor: the packet's s_axis tuser (encrypt: TU_IN_*; decrypt: 0)
localparam int IPX_F_DESC_TUSER_W = 48;
localparam int IPX_F_DESC_COOKIE_LSB = 224; // descriptor: the host's, never read
localparam int IPX_F_DESC_COOKIE_W = 32;
localparam int IPX_F_CMPL_TUSER_LSB = 0; // packet completion: the result's m_axis tuser (TU_OUT_*)
localparam int IPX_F_CMPL_TUSER_W = 28;
localparam int IPX_F_CMPL_OVERFLOW_LSB = 31; // packet completion: result longer than DESC_CAP, cut
localparam int IPX_F_CMPL_OVERFLOW_W = 1;
localparam int IPX_F_CMPL_LEN_LSB = 32; // packet completion: result bytes written at DESC_DST
localparam int IPX_F_CMPL_LEN_W = 16;
localparam int IPX_F_CMPL_SEQ_LSB = 64; // completion: ring position + 1 (free-running); new when it matches
localparam int IPX_F_CMPL_SEQ_W = 32;
localparam int IPX_F_CMPL_RESULT_LSB = 0; // control completion: result code (CTL_RES_*)
localparam int IPX_F_CMPL_RESULT_W = 4;
localparam int IPX_F_CTL_OP_LSB = 0; // control entry: operation (CTL_OP_*)
localparam int IPX_F_CTL_OP_W = 4;
localparam int IPX_F_CTL_CMD_LSB = 32; // control entry, SA_CMD op: the SA_CMD register value
localparam int IPX_F_CTL_CMD_W = 32;
localparam int IPX_F_CTL_WR_FROM_LSB = 64; // SA_CMD op: first staging word written from the data area
localparam int IPX_F_CTL_WR_FROM_W = 8;
localparam int IPX_F_CTL_WR_N_LSB = 72; // SA_CMD op: staging words written before the command
localparam int IPX_F_CTL_WR_N_W = 8;
localparam int IPX_F_CTL_RD_FROM_LSB = 80; // SA_CMD op: first staging word read back into the data area
localparam int IPX_F_CTL_RD_FROM_W = 8;
localparam int IPX_F_CTL_RD_N_LSB = 88; // SA_CMD op: staging words read back after the command
localparam int IPX_F_CTL_RD_N_W = 8;
localparam int IPX_F_CTL_NREG_LSB = 96; // REG op: register accesses, up to CTL_REGS_MAX
localparam int IPX_F_CTL_NREG_W = 8;
localparam int IPX_F_CTL_DATA_LSB = 512; // data area: staging word w at word 16 + w; REG op: access i at 16 + 2 i (pipeline register offset, bit 31: write) and 17 + 2 i (data)
localparam int IPX_F_CTL_DATA_W = 32;

// kernel s_axi_control registers (byte offsets)
localparam int unsigned IPX_KREG_CTRL = 32'h00; // rw: XRT: bit 0 ap_start (the kernel then runs until reset), 1 ap_done (never set), 2 ap_idle, 3 ap_ready
localparam int unsigned IPX_KREG_GIE = 32'h04; // rw: XRT global interrupt enable (the kernel raises no interrupt)
localparam int unsigned IPX_KREG_IER = 32'h08; // rw: XRT interrupt enable
localparam int unsigned IPX_KREG_ISR = 32'h0c; // rw: XRT interrupt status, toggle on write
localparam int unsigned IPX_KREG_MEM_LO = 32'h10; // rw: kernel argument 0 (mem: the host buffer of the rings), low half; not used by the kernel
localparam int unsigned IPX_KREG_MEM_HI = 32'h14; // rw: high half
localparam int unsigned IPX_KREG_KID = 32'h20; // ro: KERNEL_ID
localparam int unsigned IPX_KREG_KVERSION = 32'h24; // ro: HW_VERSION_MAJOR in bits 31:16, HW_VERSION_MINOR in 15:0
localparam int unsigned IPX_KREG_KSTATUS = 32'h28; // ro: bit 0: running (started, not reset); bit 1: halted by a fault
localparam int unsigned IPX_KREG_KFAULT = 32'h2c; // ro: fault bits (KF_*); cleared by a reset only
localparam int unsigned IPX_KREG_KRESET = 32'h30; // wo: writing bit 0 resets the kernel and the pipeline: rings, SA tables, faults; then ap_start again
localparam int unsigned IPX_KREG_HEARTBEAT = 32'h34; // ro: counts every HEARTBEAT_CYCLES clocks while running and not halted
localparam int unsigned IPX_KREG_OUT_DESC_LO = 32'h40; // rw: OUT ring: descriptors (DESC_BYTES each), device address, low half
localparam int unsigned IPX_KREG_OUT_DESC_HI = 32'h44; // rw: high half
localparam int unsigned IPX_KREG_OUT_CMPL_LO = 32'h48; // rw: OUT ring: completions (CMPL_BYTES each), low half
localparam int unsigned IPX_KREG_OUT_CMPL_HI = 32'h4c; // rw: high half
localparam int unsigned IPX_KREG_OUT_SIZE = 32'h50; // rw: OUT ring: log2 of its entries, 1 .. RING_LOG2_MAX
localparam int unsigned IPX_KREG_OUT_TAIL = 32'h54; // rw: OUT ring doorbell: descriptors written by the host (free-running)
localparam int unsigned IPX_KREG_OUT_HEAD = 32'h58; // ro: OUT ring: completions written by the kernel (free-running)
localparam int unsigned IPX_KREG_IN_DESC_LO = 32'h60; // rw: IN ring, same layout
localparam int unsigned IPX_KREG_IN_DESC_HI = 32'h64; // rw: 
localparam int unsigned IPX_KREG_IN_CMPL_LO = 32'h68; // rw: 
localparam int unsigned IPX_KREG_IN_CMPL_HI = 32'h6c; // rw: 
localparam int unsigned IPX_KREG_IN_SIZE = 32'h70; // rw: 
localparam int unsigned IPX_KREG_IN_TAIL = 32'h74; // rw: 
localparam int unsigned IPX_KREG_IN_HEAD = 32'h78; // ro: 
localparam int unsigned IPX_KREG_CTL_DESC_LO = 32'h80; // rw: CTL ring (entries of CTL_BYTES), same layout
localparam int unsigned IPX_KREG_CTL_DESC_HI = 32'h84; // rw: 
localparam int unsigned IPX_KREG_CTL_CMPL_LO = 32'h88; // rw: 
localparam int unsigned IPX_KREG_CTL_CMPL_HI = 32'h8c; // rw: 
localparam int unsigned IPX_KREG_CTL_SIZE = 32'h90; // rw: 
localparam int unsigned IPX_KREG_CTL_TAIL = 32'h94; // rw: 
localparam int unsigned IPX_KREG_CTL_HEAD = 32'h98; // ro: 

// KFAULT bits
localparam int IPX_KF_DMA_RD = 0; // a read on m_axi returned an error response
localparam int IPX_KF_DMA_WR = 1; // a write on m_axi returned an error response
localparam int IPX_KF_DESC = 2; // a descriptor broke the rules (alignment, length, capacity)

// control ring operations and results
localparam logic [3:0] IPX_CTL_OP_SA_CMD = 4'd1; // write CTL_WR_N staging words, run the SA-table command CTL_CMD, read CTL_RD_N staging words back
localparam logic [3:0] IPX_CTL_OP_REG = 4'd2; // CTL_NREG pipeline register reads and writes, in order; read values replace the data words
localparam logic [3:0] IPX_CTL_RES_OK = 4'd0; // done
localparam logic [3:0] IPX_CTL_RES_REFUSED = 4'd1; // the pipeline refused the SA-table command (SA_STATUS bit 1)
localparam logic [3:0] IPX_CTL_RES_TIMEOUT = 4'd2; // the SA-table command did not finish
localparam logic [3:0] IPX_CTL_RES_BAD = 4'd3; // unknown operation or a range beyond the staging area

// verilator lint_on UNUSEDPARAM
