// The outbound work order: what encap_admit decides about a packet, read by
// encap_issue (crypto) and encap_assemble (output).  Bit offsets; macros so
// that port widths can use them.
`ifndef ESP_ENCAP_WO_SVH
`define ESP_ENCAP_WO_SVH
`define EWO_STATUS   0    // 4: status code
`define EWO_SA       4    // 16: SA index
`define EWO_START    20   // 17: first beat in the input buffer
`define EWO_BEATS    37   // 17: beats it holds
`define EWO_PLEN     54   // 14: inner packet length
`define EWO_PTLEN    68   // 14: ESP payload: packet, padding, pad length, next header
`define EWO_PADLEN   82   // 2: pad bytes
`define EWO_NH       84   // 8: next header
`define EWO_NR       92   // 2: AES key size code
`define EWO_ESN      94   // 1: 64-bit sequence numbers
`define EWO_UDP      95   // 1: UDP encapsulation
`define EWO_DF       96   // 1: outer DF bit
`define EWO_TOS      97   // 8: outer TOS
`define EWO_TTL      105  // 8: outer TTL
`define EWO_SEQ      113  // 64: sequence number (and IV)
`define EWO_SPI      177  // 32
`define EWO_SALT     209  // 32
`define EWO_SRC      241  // 32: outer source
`define EWO_DST      273  // 32: outer destination
`define EWO_SPORT    305  // 16
`define EWO_DPORT    321  // 16
`define EWO_TOT      337  // 16: outer IPv4 total length
`define EWO_ULEN     353  // 16: UDP length
`define EWO_W        369
`endif
