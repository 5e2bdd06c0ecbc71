// Turns per-packet event flags into single events, in a fixed order: a
// packet can raise several at once (sequence number exhausted and near
// exhaustion, soft and hard lifetime), the register file takes one per
// clock.  Flag bit i becomes event type TYPES[4i +: 4]; lower bits first.
`default_nettype none

module event_queue #(
    parameter int                 NFLAGS = 4,       // flags per packet
    parameter logic [4*NFLAGS-1:0] TYPES  = '0,      // event code per flag
    parameter int                 SA_W   = 16
) (
    input  wire logic              clk,
    input  wire logic              rst,
    input  wire logic              in_valid,
    output logic                   in_ready,
    input  wire logic [NFLAGS-1:0] in_flags,
    input  wire logic [SA_W-1:0]   in_sa,
    output logic                   ev_valid,
    output logic [3:0]             ev_type,
    output logic [SA_W-1:0]        ev_sa
);

  if (NFLAGS < 1 || NFLAGS > 8) begin : g_check
    $error("event_queue: NFLAGS 1..8");
  end

  logic              q_valid;
  logic [NFLAGS-1:0] q_flags;
  logic [SA_W-1:0]   q_sa;
  logic [NFLAGS-1:0] done_reg;   // flags of the head entry already sent

  // packets without events are not queued; the head comes from a register
  fifo_ram #(.WIDTH(NFLAGS + SA_W), .ADDR_W(4)) u_q (
      .clk      (clk),
      .rst      (rst),
      .in_valid (in_valid && in_flags != '0),
      .in_ready (in_ready),
      .in_data  ({in_flags, in_sa}),
      .out_valid(q_valid),
      .out_ready(q_valid && (q_flags & ~done_reg & ~pick) == '0),
      .out_data ({q_flags, q_sa})
  );

  // lowest pending flag of the head entry
  logic [NFLAGS-1:0] pend, pick;
  logic [3:0]        pick_type;
  always_comb begin
    pend = q_flags & ~done_reg;
    pick = '0;
    pick_type = '0;
    for (int i = NFLAGS - 1; i >= 0; i--) begin
      if (pend[i]) begin
        pick = NFLAGS'(1) << i;
        pick_type = TYPES[4*i +: 4];
      end
    end
  end

  always_ff @(posedge clk) begin
    ev_valid <= q_valid && pend != '0 && !rst;
    ev_type  <= pick_type;
    ev_sa    <= q_sa;
    if (q_valid) begin
      if ((pend & ~pick) == '0) done_reg <= '0;
      else done_reg <= done_reg | pick;
    end
    if (rst) done_reg <= '0;
  end

endmodule

`default_nettype wire
