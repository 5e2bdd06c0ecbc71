// Test wrapper of the protocol checkers (hw/rtl/*_check.sv) for
// tests/rtl/t_assert.sh: every checker input is a port, so tb_assert can
// drive legal traffic and then break one rule at a time.  Simulation only.
`default_nettype none

module chk_tb (
    input wire logic         clk,
    input wire logic         rst,
    // AXI4-Stream, 128 bits, 8-bit TUSER
    input wire logic [127:0] s_tdata,
    input wire logic [15:0]  s_tkeep,
    input wire logic         s_tvalid,
    input wire logic         s_tready,
    input wire logic         s_tlast,
    input wire logic [7:0]   s_tuser,
    // AXI4-Lite, 12-bit addresses
    input wire logic [11:0]  l_awaddr,
    input wire logic         l_awvalid,
    input wire logic         l_awready,
    input wire logic [31:0]  l_wdata,
    input wire logic [3:0]   l_wstrb,
    input wire logic         l_wvalid,
    input wire logic         l_wready,
    input wire logic [1:0]   l_bresp,
    input wire logic         l_bvalid,
    input wire logic         l_bready,
    input wire logic [11:0]  l_araddr,
    input wire logic         l_arvalid,
    input wire logic         l_arready,
    input wire logic [31:0]  l_rdata,
    input wire logic [1:0]   l_rresp,
    input wire logic         l_rvalid,
    input wire logic         l_rready,
    // AXI4, 128 bits
    input wire logic [63:0]  m_awaddr,
    input wire logic [7:0]   m_awlen,
    input wire logic [2:0]   m_awsize,
    input wire logic [1:0]   m_awburst,
    input wire logic         m_awvalid,
    input wire logic         m_awready,
    input wire logic [127:0] m_wdata,
    input wire logic [15:0]  m_wstrb,
    input wire logic         m_wlast,
    input wire logic         m_wvalid,
    input wire logic         m_wready,
    input wire logic [1:0]   m_bresp,
    input wire logic         m_bvalid,
    input wire logic         m_bready,
    input wire logic [63:0]  m_araddr,
    input wire logic [7:0]   m_arlen,
    input wire logic [2:0]   m_arsize,
    input wire logic [1:0]   m_arburst,
    input wire logic         m_arvalid,
    input wire logic         m_arready,
    input wire logic [127:0] m_rdata,
    input wire logic [1:0]   m_rresp,
    input wire logic         m_rlast,
    input wire logic         m_rvalid,
    input wire logic         m_rready
);

  axis_check #(.DATA_W(128), .USER_W(8), .NAME("chk_tb.s_axis")) u_axis (
      .clk(clk), .rst(rst), .tdata(s_tdata), .tkeep(s_tkeep), .tvalid(s_tvalid),
      .tready(s_tready), .tlast(s_tlast), .tuser(s_tuser));

  axil_check #(.ADDR_W(12), .NAME("chk_tb.s_axil")) u_axil (
      .clk(clk), .rst(rst), .awaddr(l_awaddr), .awvalid(l_awvalid), .awready(l_awready),
      .wdata(l_wdata), .wstrb(l_wstrb), .wvalid(l_wvalid), .wready(l_wready),
      .bresp(l_bresp), .bvalid(l_bvalid), .bready(l_bready), .araddr(l_araddr),
      .arvalid(l_arvalid), .arready(l_arready), .rdata(l_rdata), .rresp(l_rresp),
      .rvalid(l_rvalid), .rready(l_rready));

  axi4_check #(.DATA_W(128), .NAME("chk_tb.m_axi")) u_axi (
      .clk(clk), .rst(rst), .awaddr(m_awaddr), .awlen(m_awlen), .awsize(m_awsize),
      .awburst(m_awburst), .awvalid(m_awvalid), .awready(m_awready), .wdata(m_wdata),
      .wstrb(m_wstrb), .wlast(m_wlast), .wvalid(m_wvalid), .wready(m_wready),
      .bresp(m_bresp), .bvalid(m_bvalid), .bready(m_bready), .araddr(m_araddr),
      .arlen(m_arlen), .arsize(m_arsize), .arburst(m_arburst), .arvalid(m_arvalid),
      .arready(m_arready), .rdata(m_rdata), .rresp(m_rresp), .rlast(m_rlast),
      .rvalid(m_rvalid), .rready(m_rready));

endmodule

`default_nettype wire
