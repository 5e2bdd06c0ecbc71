// Simulation-only checker of an AXI4-Lite slave port: hs_check's handshake
// rules on each of the five channels, and no response without its request
// (at most one of each outstanding, as the register files take them).
`default_nettype none

module axil_check #(
    parameter int ADDR_W = 12,
    parameter     NAME   = "s_axil"
) (
    input wire logic              clk,
    input wire logic              rst,
    input wire logic [ADDR_W-1:0] awaddr,
    input wire logic              awvalid,
    input wire logic              awready,
    input wire logic [31:0]       wdata,
    input wire logic [3:0]        wstrb,
    input wire logic              wvalid,
    input wire logic              wready,
    input wire logic [1:0]        bresp,
    input wire logic              bvalid,
    input wire logic              bready,
    input wire logic [ADDR_W-1:0] araddr,
    input wire logic              arvalid,
    input wire logic              arready,
    input wire logic [31:0]       rdata,
    input wire logic [1:0]        rresp,
    input wire logic              rvalid,
    input wire logic              rready
);

  if (ADDR_W < 2 || ADDR_W > 64) begin : g_check
    $error("axil_check: ADDR_W 2..64");
  end

  hs_check #(.W(ADDR_W), .NAME({NAME, ".AW"})) u_aw (
      .clk(clk), .rst(rst), .valid(awvalid), .ready(awready), .payload(awaddr));
  hs_check #(.W(36), .NAME({NAME, ".W"})) u_w (
      .clk(clk), .rst(rst), .valid(wvalid), .ready(wready), .payload({wdata, wstrb}));
  hs_check #(.W(2), .NAME({NAME, ".B"})) u_b (
      .clk(clk), .rst(rst), .valid(bvalid), .ready(bready), .payload(bresp));
  hs_check #(.W(ADDR_W), .NAME({NAME, ".AR"})) u_ar (
      .clk(clk), .rst(rst), .valid(arvalid), .ready(arready), .payload(araddr));
  hs_check #(.W(34), .NAME({NAME, ".R"})) u_r (
      .clk(clk), .rst(rst), .valid(rvalid), .ready(rready), .payload({rdata, rresp}));

`ifndef SYNTHESIS
  // writes: address and data taken (in either order), response not yet
  logic aw_q, w_q, ar_q;
  always_ff @(posedge clk) begin
    if (rst) begin
      aw_q <= 1'b0;
      w_q  <= 1'b0;
      ar_q <= 1'b0;
    end else begin
      if (bvalid) begin
        a_b_after : assert ((aw_q || (awvalid && awready)) && (w_q || (wvalid && wready)))
        else $error("%s.B: a write response before the write's address and data", NAME);
      end
      if (rvalid) begin
        a_r_after : assert (ar_q || (arvalid && arready))
        else $error("%s.R: a read response before the read's address", NAME);
      end
      // a new request taken at the edge that answers the old one counts
      aw_q <= (aw_q && !(bvalid && bready)) || (awvalid && awready);
      w_q  <= (w_q && !(bvalid && bready)) || (wvalid && wready);
      ar_q <= (ar_q && !(rvalid && rready)) || (arvalid && arready);
    end
  end
`endif

endmodule

`default_nettype wire
