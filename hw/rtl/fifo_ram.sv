// First-word fall-through FIFO over a block RAM (ram_sdp, one cycle read
// latency): the RAM is read ahead into a two-entry output queue, so
// out_data is valid whenever out_valid is and one entry can leave per
// clock.  in_ready drops when the FIFO is full; the writers in this design
// never see that, they hold credits for the space they use.
`default_nettype none

module fifo_ram #(
    parameter int WIDTH  = 128,  // bits per entry
    parameter int ADDR_W = 7     // 2**ADDR_W entries in the RAM, plus two
) (
    input  wire logic             clk,
    input  wire logic             rst,
    input  wire logic             in_valid,
    output logic                  in_ready,
    input  wire logic [WIDTH-1:0] in_data,
    output logic                  out_valid,
    input  wire logic             out_ready,
    output logic      [WIDTH-1:0] out_data
);

  if (WIDTH < 1 || ADDR_W < 2 || ADDR_W > 16) begin : g_check
    $error("fifo_ram: WIDTH >= 1, ADDR_W 2..16");
  end

  logic [ADDR_W:0] wr_reg, rd_reg;
  // words in the RAM, with full and empty as flip-flops of their own, so
  // that no pointer compare sits in front of a handshake
  logic [ADDR_W:0] rc_reg, rc_p1_reg, rc_m1_reg;   // and rc + 1, rc - 1 ready
  logic            full_reg, empty_reg;
  logic            rd_pend_reg;     // a RAM read is on its way
  logic [WIDTH-1:0] rdata;
  logic [WIDTH-1:0] q0_reg, q1_reg;
  logic [1:0]      qn_reg;          // entries in the output queue
  logic            qv_reg;          // qn_reg != 0, a flip-flop of its own

  logic push, pop, issue;
  logic [1:0] qn_after;             // after this cycle's pop and arrival
  always_comb begin
    push      = in_valid && !full_reg;
    pop       = qv_reg && out_ready;
    qn_after  = qn_reg - 2'(pop) + 2'(rd_pend_reg);
    issue     = !empty_reg && qn_after <= 2'd1;
  end

  assign in_ready  = !full_reg;
  assign out_valid = qv_reg;
  assign out_data  = q0_reg;

  ram_sdp #(.WIDTH(WIDTH), .ADDR_W(ADDR_W)) u_ram (
      .clk  (clk),
      .we   (push),
      .waddr(wr_reg[ADDR_W-1:0]),
      .wdata(in_data),
      .re   (issue),
      .raddr(rd_reg[ADDR_W-1:0]),
      .rdata(rdata)
  );

  always_ff @(posedge clk) begin
    // queue: shift on pop, the arriving word goes behind what stays
    if (pop) q0_reg <= q1_reg;
    if (rd_pend_reg) begin
      if (qn_reg == 2'd0 || (qn_reg == 2'd1 && pop)) q0_reg <= rdata;
      else q1_reg <= rdata;
    end
    qn_reg      <= qn_after;
    qv_reg      <= qn_after != 2'd0;
    rd_pend_reg <= issue;
    if (issue) rd_reg <= rd_reg + 1'b1;
    if (push) wr_reg <= wr_reg + 1'b1;
    if (push && !issue) begin
      rc_reg    <= rc_p1_reg;
      rc_p1_reg <= rc_p1_reg + 1'b1;
      rc_m1_reg <= rc_reg;
      full_reg  <= rc_reg == (ADDR_W+1)'(2**ADDR_W - 1);
      empty_reg <= 1'b0;
    end else if (issue && !push) begin
      rc_reg    <= rc_m1_reg;
      rc_p1_reg <= rc_reg;
      rc_m1_reg <= rc_m1_reg - 1'b1;
      full_reg  <= 1'b0;
      empty_reg <= rc_reg == (ADDR_W+1)'(1);
    end
    if (rst) begin
      wr_reg      <= '0;
      rd_reg      <= '0;
      rc_reg      <= '0;
      rc_p1_reg   <= (ADDR_W+1)'(1);
      rc_m1_reg   <= '1;
      full_reg    <= 1'b0;
      empty_reg   <= 1'b1;
      qn_reg      <= '0;
      qv_reg      <= 1'b0;
      rd_pend_reg <= 1'b0;
    end
  end

endmodule

`default_nettype wire
