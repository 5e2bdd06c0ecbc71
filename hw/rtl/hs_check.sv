// Simulation-only checker of one valid/ready handshake (AXI4-Stream 2.2,
// AXI4 A3.2.1): once VALID is high it stays high, with the same payload,
// until READY takes the beat.  Each rule is a named immediate assertion
// evaluated at the clock edge; Verilator checks them with --assert
// (hw/module.mk), and a failure names the port (NAME) and the rule.
// Nothing of it reaches synthesis.
`default_nettype none

module hs_check #(
    parameter int W    = 1,       // payload bits
    /* verilator lint_off UNUSEDPARAM */
    parameter     NAME = "port"   // the port, in messages (unused in synthesis)
    /* verilator lint_on UNUSEDPARAM */
) (
    input wire logic         clk,
    input wire logic         rst,
    input wire logic         valid,
    input wire logic         ready,
    input wire logic [W-1:0] payload
);

  if (W < 1) begin : g_check
    $error("hs_check: W >= 1");
  end

`ifndef SYNTHESIS
  logic         waiting_q;  // a beat was offered and not taken at the last edge
  logic [W-1:0] payload_q;

  always_ff @(posedge clk) begin
    if (rst) begin
      waiting_q <= 1'b0;
    end else begin
      if (waiting_q) begin
        a_valid_held : assert (valid)
        else $error("%s: VALID fell before READY took the beat", NAME);
        a_payload_held : assert (!valid || payload == payload_q)
        else $error("%s: the payload changed while VALID waited for READY", NAME);
      end
      waiting_q <= valid && !ready;
    end
    payload_q <= payload;
  end
`else
  /* verilator lint_off UNUSEDSIGNAL */
  logic unused;
  assign unused = ^{clk, rst, valid, ready, payload};
  /* verilator lint_on UNUSEDSIGNAL */
`endif

endmodule

`default_nettype wire
