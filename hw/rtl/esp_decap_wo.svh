// Inbound work orders: decap_admit's verdict on a packet, for decap_issue
// (crypto; every packet, so that its buffer space is freed) and for
// decap_commit (every packet, in order).  Bit offsets; macros so that port
// widths can use them.
`ifndef ESP_DECAP_WO_SVH
`define ESP_DECAP_WO_SVH
// kinds
`define DK_NOSA      2'd0  // dropped before an SA was known: engine-wide drop
`define DK_EARLY     2'd1  // dropped by the early checks: no crypto
`define DK_CRYPTO    2'd2  // decrypt, verify, then decide
// to the issuer
`define DWO_KIND     0     // 2
`define DWO_SA       2     // 16
`define DWO_NR       18    // 2
`define DWO_ESN      20    // 1
`define DWO_SALT     21    // 32
`define DWO_SPI      53    // 32
`define DWO_SEQ      85    // 64: sequence number (high half inferred)
`define DWO_IV       149   // 64: the packet's IV
`define DWO_START    213   // 17: first beat in the input buffer
`define DWO_BEATS    230   // 17: beats it holds
`define DWO_BASEW    247   // 5: 32-bit word of the packet where the ciphertext starts
`define DWO_CTLEN    252   // 14: ciphertext bytes
`define DWO_W        266
// to the commit stage
`define DCO_KIND     0     // 2
`define DCO_STATUS   2     // 4: status of DK_NOSA and DK_EARLY packets
`define DCO_SA       6     // 16
`define DCO_LO       22    // 32: sequence number, low half as received
`define DCO_ESPOFF   54    // 8: ESP header offset in the outer packet
`define DCO_CTLEN    62    // 14
`define DCO_W        76
// inbound SA configuration word: {hard_pkts, hard_bytes, soft_pkts,
// soft_bytes, salt, spi, window, esn, nr, valid}
`define DCFG_W       340
`endif
