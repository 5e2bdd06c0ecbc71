// Fully pipelined AES encryption (FIPS-197), one 128-bit block per clock,
// AES-128, AES-192 and AES-256 with per-SA round keys.
//
// Fifteen stages, one register each: stage 0 is AddRoundKey, stages 1..14
// are rounds, stage 14 the final round.  A block of an AES-Nr key runs its
// Nr rounds in stages 15-Nr..14; the stages before them only XOR a key,
// and the host loads the key slots so that this is the identity except for
// the initial AddRoundKey in stage 14-Nr (docs/hw-interface.md, "Round-key
// slots").  So every key size has the same latency and the blocks of many
// SAs and key sizes mix freely in the pipeline.
//
// Round keys live in one RAM per stage, indexed by SA; the host expands
// keys once, at SA install, and writes them through the kw_* port.  Each
// stage's RAM is read one cycle ahead with the SA index the block carries,
// so the key arrives with the block.  USER_W bits of side information
// travel with each block.
`default_nettype none

module aes_enc_pipe #(
    parameter int SA_BITS = 12,  // log2 of the number of SAs
    parameter int USER_W  = 8    // side information carried with each block
) (
    input  wire logic               clk,
    input  wire logic               rst,
    // blocks in
    input  wire logic               in_valid,
    input  wire logic [127:0]       in_block,
    input  wire logic [SA_BITS-1:0] in_sa,
    input  wire logic [1:0]         in_nr,    // 0: AES-128, 1: AES-192, 2: AES-256
    input  wire logic [USER_W-1:0]  in_user,
    // blocks out, 16 cycles later
    output logic                    out_valid,
    output logic [127:0]            out_block,
    output logic [SA_BITS-1:0]      out_sa,
    output logic [USER_W-1:0]       out_user,
    // round-key programming: slot 0..14 of SA kw_sa
    input  wire logic               kw_en,
    input  wire logic [3:0]         kw_slot,
    input  wire logic [SA_BITS-1:0] kw_sa,
    input  wire logic [127:0]       kw_data
);

  // latency: 16 cycles (input register + one per stage)
  localparam int STAGES = 15;

  if (SA_BITS < 1 || SA_BITS > 16 || USER_W < 1) begin : g_check
    $error("aes_enc_pipe: SA_BITS must be 1..16, USER_W >= 1");
  end

  // pipeline registers; index 0 is the input register, s+1 holds the
  // block after stage s
  logic               v_reg[STAGES+1];
  logic [127:0]       st_reg[STAGES+1];
  logic [SA_BITS-1:0] sa_reg[STAGES+1];
  logic [1:0]         nr_reg[STAGES+1];
  logic [USER_W-1:0]  u_reg[STAGES+1];

  logic [127:0] rk[STAGES];
  logic [127:0] st_next[STAGES];

  genvar s;
  generate
    for (s = 0; s < STAGES; s++) begin : g_stage
      // the block that enters stage s next cycle is in register s now
      // (the module input for stage 0)
      logic [SA_BITS-1:0] raddr;
      logic               rvalid;
      logic               ark_only;
      if (s == 0) begin : g_a0
        assign raddr  = in_sa;
        assign rvalid = in_valid;
      end else begin : g_an
        assign raddr  = sa_reg[s-1];
        assign rvalid = v_reg[s-1];
      end

      ram_sdp #(.WIDTH(128), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 11)) u_rk (
          .clk  (clk),
          .we   (kw_en && kw_slot == 4'(s)),
          .waddr(kw_sa),
          .wdata(kw_data),
          .re   (rvalid),
          .raddr(raddr),
          .rdata(rk[s])
      );

      // stages 1..2 are bare AddRoundKey for AES-128 and AES-192, stages 3..4
      // for AES-128; stage 0 always is
      if (s == 0) begin : g_ark0
        assign ark_only = 1'b1;
      end else if (s <= 2) begin : g_ark12
        assign ark_only = nr_reg[s] != 2'd2;
      end else if (s <= 4) begin : g_ark34
        assign ark_only = nr_reg[s] == 2'd0;
      end else begin : g_round
        assign ark_only = 1'b0;
      end

      aes_round #(.FINAL(s == STAGES - 1), .ARK_ONLY_OK(s <= 4)) u_round (
          .state_in (st_reg[s]),
          .round_key(rk[s]),
          .ark_only (ark_only),
          .state_out(st_next[s])
      );
    end
  endgenerate

  always_ff @(posedge clk) begin
    st_reg[0] <= in_block;
    sa_reg[0] <= in_sa;
    nr_reg[0] <= in_nr;
    u_reg[0]  <= in_user;
    for (int i = 0; i < STAGES; i++) begin
      st_reg[i+1] <= st_next[i];
      sa_reg[i+1] <= sa_reg[i];
      nr_reg[i+1] <= nr_reg[i];
      u_reg[i+1]  <= u_reg[i];
    end
    if (rst) begin
      for (int i = 0; i <= STAGES; i++) v_reg[i] <= 1'b0;
    end else begin
      v_reg[0] <= in_valid;
      for (int i = 0; i < STAGES; i++) v_reg[i+1] <= v_reg[i];
    end
  end

  assign out_valid = v_reg[STAGES];
  assign out_block = st_reg[STAGES];
  assign out_sa    = sa_reg[STAGES];
  assign out_user  = u_reg[STAGES];

endmodule

`default_nettype wire
