// Generated from driver/include/ipsecfx/contract.h by
// hw/contract/gen_contract.c (make contract).  Do not edit.
`ifndef IPSECFX_CONTRACT_SVH
`define IPSECFX_CONTRACT_SVH

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

`endif // IPSECFX_CONTRACT_SVH
