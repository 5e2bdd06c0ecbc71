// AES-GCM (NIST SP 800-38D) for a stream of packets, one 16-byte block per
// clock: the counter-mode keystream from aes_enc_pipe, GHASH from ghash_pipe,
// and the tag E(K, J0) ^ GHASH.
//
// The feeder describes each packet as a run of slots (ipsecfx_slot.svh):
// one J0 or J0A slot first (counter block J0; a J0A slot also hashes its
// data, the ESP AAD fits one block), then AAD, DATA and LEN slots.  Every
// slot goes through the AES pipeline, so order is kept; a DATA slot comes
// out as data ^ AES(counter), its first s_nbytes bytes kept, the rest
// zero.  GHASH takes the ciphertext: the output when encrypting, the input
// when decrypting (s_dec).  The tag of each packet follows its last slot by
// 7 cycles.  There is no back-pressure: whoever consumes d_* and t_* must
// have room for every slot it issued (credits).
//
// Key slots (kw_slot): 0..14 AES round keys per pipeline stage, then
// H^1..H^5 (see docs/hw-interface.md).
`default_nettype none

module gcm_pipe #(
    parameter int SA_BITS = 12,  // log2 of the number of SAs
    parameter int NB_W    = 11,  // bits of the GHASH block count of a packet
    parameter int USER_W  = 8    // side information carried with DATA slots
) (
    input  wire logic               clk,
    input  wire logic               rst,
    // slots in
    input  wire logic               s_valid,
    input  wire logic [2:0]         s_kind,
    input  wire logic [127:0]       s_ctr,     // counter block (J0, J0A, DATA)
    input  wire logic [127:0]       s_data,    // block, byte 0 in [127:120]
    input  wire logic [4:0]         s_nbytes,  // DATA: bytes 1..16 that count
    input  wire logic               s_sop,     // first slot of a packet
    input  wire logic [NB_W-1:0]    s_n,       // with s_sop: hashed slots of the packet
    input  wire logic [SA_BITS-1:0] s_sa,
    input  wire logic [1:0]         s_nr,      // 0: AES-128, 1: AES-192, 2: AES-256
    input  wire logic               s_dec,     // hash the input (decryption)
    input  wire logic [USER_W-1:0]  s_user,
    // DATA results, in slot order
    output logic                    d_valid,
    output logic [127:0]            d_data,
    output logic [USER_W-1:0]       d_user,
    // one tag per packet, in packet order
    output logic                    t_valid,
    output logic [127:0]            t_tag,
    // key programming
    input  wire logic               kw_en,
    input  wire logic [4:0]         kw_slot,
    input  wire logic [SA_BITS-1:0] kw_sa,
    input  wire logic [127:0]       kw_data
);

`include "ipsecfx_slot.svh"
`include "ipsecfx_contract.svh"

  if (SA_BITS < 1 || SA_BITS > 16 || USER_W < 1) begin : g_check
    $error("gcm_pipe: SA_BITS must be 1..16, USER_W >= 1");
  end

  // side information through the AES pipeline
  localparam int AU_W = 3 + 128 + 5 + 1 + NB_W + 1 + USER_W;
  logic [AU_W-1:0] a_in_user, a_out_user;
  assign a_in_user = {s_kind, s_data, s_nbytes, s_sop, s_n, s_dec, s_user};

  logic               a_valid;
  logic [127:0]       a_ks;
  logic [SA_BITS-1:0] a_sa;

  aes_enc_pipe #(.SA_BITS(SA_BITS), .USER_W(AU_W)) u_aes (
      .clk      (clk),
      .rst      (rst),
      .in_valid (s_valid),
      .in_block (s_ctr),
      .in_sa    (s_sa),
      .in_nr    (s_nr),
      .in_user  (a_in_user),
      .out_valid(a_valid),
      .out_block(a_ks),
      .out_sa   (a_sa),
      .out_user (a_out_user),
      .kw_en    (kw_en && kw_slot < 5'(IPX_KEY_SLOT_H1)),
      .kw_slot  (kw_slot[3:0]),
      .kw_sa    (kw_sa),
      .kw_data  (kw_data)
  );

  logic [2:0]        a_kind;
  logic [127:0]      a_data;
  logic [4:0]        a_nbytes;
  logic              a_sop, a_dec;
  logic [NB_W-1:0]   a_n;
  logic [USER_W-1:0] a_user;
  assign {a_kind, a_data, a_nbytes, a_sop, a_n, a_dec, a_user} = a_out_user;

  // keystream applied, bytes past nbytes cleared
  logic [127:0] mask, res, din;
  always_comb begin
    for (int b = 0; b < 16; b++) mask[127-8*b -: 8] = 5'(b) < a_nbytes ? 8'hff : 8'h00;
    res = (a_data ^ a_ks) & mask;
    din = a_data & mask;
  end

  // a packet whose first slot is a bare J0 starts GHASH on its next slot
  logic sop_pend_reg;
  logic hashed;
  assign hashed = a_kind != SLOT_J0;

  logic               g_valid, g_sop;
  logic [NB_W-1:0]    g_n;
  logic [127:0]       g_x;
  logic [SA_BITS-1:0] g_sa;

  always_ff @(posedge clk) begin
    d_valid <= a_valid && a_kind == SLOT_DATA && !rst;
    d_data  <= res;
    d_user  <= a_user;
    g_valid <= a_valid && hashed && !rst;
    g_sop   <= a_sop || sop_pend_reg;
    g_x     <= a_kind == SLOT_DATA ? (a_dec ? din : res) : a_data;
    g_sa    <= a_sa;
    if (a_valid && a_sop) g_n <= a_n;
    if (a_valid) sop_pend_reg <= a_sop && !hashed;
    if (rst) sop_pend_reg <= 1'b0;
  end

  logic         h_valid;
  logic [127:0] h_hash;
  ghash_pipe #(.SA_BITS(SA_BITS), .NB_W(NB_W)) u_ghash (
      .clk      (clk),
      .rst      (rst),
      .in_valid (g_valid),
      .in_sop   (g_sop),
      .in_n     (g_n),
      .in_x     (g_x),
      .in_sa    (g_sa),
      .out_valid(h_valid),
      .out_hash (h_hash),
      .hw_en    (kw_en && kw_slot >= 5'(IPX_KEY_SLOT_H1)),
      .hw_pow   (3'(kw_slot - 5'(IPX_KEY_SLOT_H1))),
      .hw_sa    (kw_sa),
      .hw_data  (kw_data)
  );

  // E(K, J0) of each packet waits for its GHASH
  logic         m_valid;
  logic [127:0] m_mask;
  // the FIFO holds more masks than packets can be in flight after the AES
  // pipeline (each takes two slots at least, GHASH adds 6 cycles)
  /* verilator lint_off UNUSEDSIGNAL */
  logic         m_ready_unused;
  logic [4:0]   m_count_unused;
  /* verilator lint_on UNUSEDSIGNAL */
  sync_fifo #(.WIDTH(128), .DEPTH_W(4)) u_tagmask (
      .clk      (clk),
      .rst      (rst),
      .in_valid (a_valid && (a_kind == SLOT_J0 || a_kind == SLOT_J0A)),
      .in_ready (m_ready_unused),
      .in_data  (a_ks),
      .out_valid(m_valid),
      .out_ready(h_valid),
      .out_data (m_mask),
      .count    (m_count_unused)
  );

  always_ff @(posedge clk) begin
    t_valid <= h_valid && m_valid && !rst;
    t_tag   <= h_hash ^ m_mask;
  end

endmodule

`default_nettype wire
