// Simulation-only checker of an AXI4-Stream port as the pipeline uses it
// (docs/hw-interface.md): the handshake rules of hs_check over TDATA, TKEEP,
// TLAST and TUSER, and the byte rules: every byte of a beat before the last
// is valid, and the last beat's valid bytes run from byte 0 (a null beat,
// TKEEP = 0, is the pipeline's dropped packet).
`default_nettype none

module axis_check #(
    parameter int DATA_W = 128,
    parameter int USER_W = 1,
    parameter     NAME   = "axis"
) (
    input wire logic                clk,
    input wire logic                rst,
    input wire logic [DATA_W-1:0]   tdata,
    input wire logic [DATA_W/8-1:0] tkeep,
    input wire logic                tvalid,
    input wire logic                tready,
    input wire logic                tlast,
    input wire logic [USER_W-1:0]   tuser
);

  if (DATA_W < 8 || DATA_W % 8 != 0 || USER_W < 1) begin : g_check
    $error("axis_check: DATA_W a multiple of 8, USER_W >= 1");
  end

  hs_check #(.W(DATA_W + DATA_W / 8 + 1 + USER_W), .NAME(NAME)) u_hs (
      .clk(clk), .rst(rst), .valid(tvalid), .ready(tready),
      .payload({tdata, tkeep, tlast, tuser}));

`ifndef SYNTHESIS
  always_ff @(posedge clk) begin
    if (!rst && tvalid) begin
      a_keep_full : assert (tlast || &tkeep)
      else $error("%s: TKEEP %h on a beat before the last", NAME, tkeep);
      // a run of ones from bit 0: tkeep + 1 has no bit in common with tkeep
      a_keep_run : assert (!tlast || ((tkeep + 1'b1) & tkeep) == '0)
      else $error("%s: TKEEP %h on the last beat is not a run from byte 0", NAME, tkeep);
    end
  end
`endif

endmodule

`default_nettype wire
