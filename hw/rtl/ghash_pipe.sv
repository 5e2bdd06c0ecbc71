// GHASH (NIST SP 800-38D 6.4) at one block per clock, for a stream of
// packets that follow each other without gaps between packets.
//
// The multiplier (gf128_mul) is pipelined, so the Horner feedback
// Y = (Y ^ X) * H cannot close in one cycle.  Instead the blocks of a packet
// are dealt round-robin to L = 5 accumulators: block i joins chain
// (i-1) mod 5, and is multiplied by H^5 while its chain continues, and by
// H^(n-i+1) when it is one of the last five blocks of the n-block packet.
// Every block X_i thus ends up multiplied by H^(n-i+1); XORing the five
// chain results gives GHASH.  The powers H^1..H^5 are held per SA and
// loaded by the host.  Blocks may arrive with gaps: the chain of block i is
// fed again only by block i+5, never sooner than five cycles later, which
// is the loop latency (accumulator read, multiplier input register, three
// multiplier stages).
`default_nettype none

module ghash_pipe #(
    parameter int SA_BITS = 12,  // log2 of the number of SAs
    parameter int NB_W    = 11   // bits of the per-packet block count
) (
    input  wire logic               clk,
    input  wire logic               rst,
    // blocks in: in_n (the packet's block count) is read with in_sop
    input  wire logic               in_valid,
    input  wire logic               in_sop,
    input  wire logic [NB_W-1:0]    in_n,
    input  wire logic [127:0]       in_x,
    input  wire logic [SA_BITS-1:0] in_sa,
    // one hash per packet, 6 cycles after its last block
    output logic                    out_valid,
    output logic [127:0]            out_hash,
    // H power programming: hw_pow 0..L-1 is H^1..H^L of SA hw_sa
    input  wire logic               hw_en,
    input  wire logic [2:0]         hw_pow,
    input  wire logic [SA_BITS-1:0] hw_sa,
    input  wire logic [127:0]       hw_data
);

`include "ipsecfx_contract.svh"

  localparam int L = IPX_GHASH_POWERS;  // interleaved chains = loop latency

  if (SA_BITS < 1 || SA_BITS > 16 || NB_W < 4 || NB_W > 16) begin : g_check
    $error("ghash_pipe: SA_BITS must be 1..16, NB_W 4..16");
  end
  if (L != 5) begin : g_check_l
    $error("ghash_pipe: the multiplier loop is 5 cycles; GHASH_POWERS must be 5");
  end

  // ---- input: block position within the packet.  The flags of a block
  // are compares of in_n (first block) or of the previous block's count
  // (rem_reg, the next one being rem_reg - 1) with small constants, written
  // out so that no subtraction sits in front of the H RAM address.
  logic [NB_W-1:0] rem_reg;       // blocks left in the packet, incl. the last one seen
  logic [2:0]      ord_reg;       // position of the last block, saturating at L+1
  logic [2:0]      chain_reg;     // its chain, 0..L-1

  logic            hi_zero_n, hi_zero_r;  // no bits above the low three
  logic            final_b, eql_b, last_b, gel_b;
  logic [2:0]      ord, chain, pow;
  always_comb begin
    hi_zero_n = in_n[NB_W-1:3] == '0;
    hi_zero_r = rem_reg[NB_W-1:3] == '0;
    if (in_sop) begin  // this block's count is in_n
      final_b = hi_zero_n && in_n[2:0] <= 3'(L);
      eql_b   = hi_zero_n && in_n[2:0] == 3'(L);
      last_b  = hi_zero_n && in_n[2:0] == 3'd1;
      gel_b   = !hi_zero_n || in_n[2:0] >= 3'(L);
      pow     = in_n[2:0] - 3'd1;
    end else begin     // this block's count is rem_reg - 1
      final_b = hi_zero_r && rem_reg[2:0] <= 3'(L + 1);
      eql_b   = hi_zero_r && rem_reg[2:0] == 3'(L + 1);
      last_b  = hi_zero_r && rem_reg[2:0] == 3'd2;
      gel_b   = !hi_zero_r || rem_reg[2:0] >= 3'(L + 1);
      pow     = rem_reg[2:0] - 3'd2;
    end
    if (gel_b) pow = 3'(L - 1);
    ord   = in_sop ? 3'd1 : (ord_reg > 3'(L) ? ord_reg : ord_reg + 3'd1);
    chain = in_sop || chain_reg == 3'(L - 1) ? 3'd0 : chain_reg + 3'd1;
  end

  always_ff @(posedge clk) begin
    if (in_valid) begin
      rem_reg   <= in_sop ? in_n : rem_reg - 1'b1;
      ord_reg   <= ord;
      chain_reg <= chain;
    end
    if (rst) begin
      rem_reg   <= '0;
      ord_reg   <= '0;
      chain_reg <= '0;
    end
  end

  // ---- G0: flags of the block; H^p was read as it came in
  logic               g0_v, g0_first, g0_final, g0_ffinal, g0_last;
  logic [2:0]         g0_chain;
  logic [127:0]       g0_x;

  always_ff @(posedge clk) begin
    g0_v      <= in_valid && !rst;
    g0_x      <= in_x;
    g0_chain  <= chain;
    g0_first  <= ord <= 3'(L);
    g0_final  <= final_b;
    g0_ffinal <= final_b && (eql_b || ord == 3'd1);
    g0_last   <= last_b;
  end

  // H^p: one RAM per power, all read with the SA; the power picked from
  // the registered outputs
  logic [127:0] hram[L];
  logic [2:0]   hsel_reg;
  logic [127:0] hpow_reg;
  genvar k;
  generate
    for (k = 0; k < L; k++) begin : g_hpow
      ram_sdp #(.WIDTH(128), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 11)) u_hpow (
          .clk  (clk),
          .we   (hw_en && hw_pow == 3'(k)),
          .waddr(hw_sa),
          .wdata(hw_data),
          .re   (in_valid),
          .raddr(in_sa),
          .rdata(hram[k])
      );
    end
  endgenerate
  always_ff @(posedge clk) begin
    if (in_valid) hsel_reg <= pow;
    hpow_reg <= hram[hsel_reg];
  end

  // ---- G1: multiplicand = X ^ chain accumulator
  logic [127:0] acc[L];
  logic [127:0] g1_a;
  logic         g1_v, g1_final, g1_ffinal, g1_last;
  logic [2:0]   g1_chain;

  always_ff @(posedge clk) begin
    g1_a      <= g0_first ? g0_x : g0_x ^ acc[g0_chain];
    g1_v      <= g0_v && !rst;
    g1_final  <= g0_final;
    g1_ffinal <= g0_ffinal;
    g1_last   <= g0_last;
    g1_chain  <= g0_chain;
  end

  // ---- G2..G4: the multiplier; flags travel beside it
  logic [127:0] prod;
  gf128_mul u_mul (.clk(clk), .a(g1_a), .b(hpow_reg), .p(prod));

  logic [2:0] gv, gfinal, gffinal, glast;  // index 0: G2, 2: G4
  logic [2:0] gchain[3];
  always_ff @(posedge clk) begin
    gv      <= {gv[1:0], g1_v && !rst} & {3{!rst}};
    gfinal  <= {gfinal[1:0], g1_final};
    gffinal <= {gffinal[1:0], g1_ffinal};
    glast   <= {glast[1:0], g1_last};
    gchain[0] <= g1_chain;
    gchain[1] <= gchain[0];
    gchain[2] <= gchain[1];
  end

  logic       g3_v, g3_final, g3_ffinal, g3_last;
  logic [2:0] g3_chain;
  assign g3_v      = gv[2];
  assign g3_final  = gfinal[2];
  assign g3_ffinal = gffinal[2];
  assign g3_last   = glast[2];
  assign g3_chain  = gchain[2];

  // ---- G4: product back into its chain, or into the packet's sum
  logic [127:0] comb_reg;
  logic [127:0] comb_next;
  assign comb_next = (g3_ffinal ? 128'b0 : comb_reg) ^ prod;

  always_ff @(posedge clk) begin
    if (g3_v && !g3_final) acc[g3_chain] <= prod;
    if (g3_v && g3_final) comb_reg <= comb_next;
    out_valid <= g3_v && g3_final && g3_last && !rst;
    out_hash  <= comb_next;
  end

endmodule

`default_nettype wire
