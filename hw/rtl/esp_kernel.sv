// The Vitis RTL kernel: the ESP pipeline (esp_top) behind descriptor rings
// in host memory (docs/hw-interface.md, "The kernel").
//
//   s_axi_control  XRT's ap_ctrl_hs registers and the kernel's own
//                  (krn_regs): started once, left running, doorbells by
//                  register write
//   m_axi_gmem     packets: descriptors and packets in (krn_rd), results
//                  and completions out (krn_wr)
//   m_axi_ctl      the control ring (krn_ctl): SA-table commands and
//                  register accesses to the pipeline
//
// 64-bit addresses, 128-bit data (the pipeline's width), INCR bursts that
// never cross 4 KB, one transaction at a time per channel.  ap_rst_n is
// synchronous and active low; KRESET resets everything but the register
// slave's handshake.
`default_nettype none

module esp_kernel #(
    parameter int SA_BITS    = 12,
    parameter int WINDOW_MAX = 1024,
    parameter int C_S_AXI_CONTROL_ADDR_WIDTH = 12,
    parameter int C_M_AXI_ADDR_WIDTH = 64,
    parameter int C_M_AXI_DATA_WIDTH = 128
) (
    input  wire logic          ap_clk,
    input  wire logic          ap_rst_n,
    // verilator lint_off SYMRSVDWORD
    output logic               interrupt,
    // verilator lint_on SYMRSVDWORD
    input  wire logic [C_S_AXI_CONTROL_ADDR_WIDTH-1:0] s_axi_control_awaddr,
    input  wire logic          s_axi_control_awvalid,
    output logic               s_axi_control_awready,
    input  wire logic [31:0]   s_axi_control_wdata,
    input  wire logic [3:0]    s_axi_control_wstrb,
    input  wire logic          s_axi_control_wvalid,
    output logic               s_axi_control_wready,
    output logic [1:0]         s_axi_control_bresp,
    output logic               s_axi_control_bvalid,
    input  wire logic          s_axi_control_bready,
    input  wire logic [C_S_AXI_CONTROL_ADDR_WIDTH-1:0] s_axi_control_araddr,
    input  wire logic          s_axi_control_arvalid,
    output logic               s_axi_control_arready,
    output logic [31:0]        s_axi_control_rdata,
    output logic [1:0]         s_axi_control_rresp,
    output logic               s_axi_control_rvalid,
    input  wire logic          s_axi_control_rready,
    // m_axi_gmem
    output logic [63:0]        m_axi_gmem_awaddr,
    output logic [7:0]         m_axi_gmem_awlen,
    output logic [2:0]         m_axi_gmem_awsize,
    output logic [1:0]         m_axi_gmem_awburst,
    output logic               m_axi_gmem_awvalid,
    input  wire logic          m_axi_gmem_awready,
    output logic [127:0]       m_axi_gmem_wdata,
    output logic [15:0]        m_axi_gmem_wstrb,
    output logic               m_axi_gmem_wlast,
    output logic               m_axi_gmem_wvalid,
    input  wire logic          m_axi_gmem_wready,
    input  wire logic [1:0]    m_axi_gmem_bresp,
    input  wire logic          m_axi_gmem_bvalid,
    output logic               m_axi_gmem_bready,
    output logic [63:0]        m_axi_gmem_araddr,
    output logic [7:0]         m_axi_gmem_arlen,
    output logic [2:0]         m_axi_gmem_arsize,
    output logic [1:0]         m_axi_gmem_arburst,
    output logic               m_axi_gmem_arvalid,
    input  wire logic          m_axi_gmem_arready,
    input  wire logic [127:0]  m_axi_gmem_rdata,
    input  wire logic [1:0]    m_axi_gmem_rresp,
    input  wire logic          m_axi_gmem_rlast,
    input  wire logic          m_axi_gmem_rvalid,
    output logic               m_axi_gmem_rready,
    // m_axi_ctl
    output logic [63:0]        m_axi_ctl_awaddr,
    output logic [7:0]         m_axi_ctl_awlen,
    output logic [2:0]         m_axi_ctl_awsize,
    output logic [1:0]         m_axi_ctl_awburst,
    output logic               m_axi_ctl_awvalid,
    input  wire logic          m_axi_ctl_awready,
    output logic [127:0]       m_axi_ctl_wdata,
    output logic [15:0]        m_axi_ctl_wstrb,
    output logic               m_axi_ctl_wlast,
    output logic               m_axi_ctl_wvalid,
    input  wire logic          m_axi_ctl_wready,
    input  wire logic [1:0]    m_axi_ctl_bresp,
    input  wire logic          m_axi_ctl_bvalid,
    output logic               m_axi_ctl_bready,
    output logic [63:0]        m_axi_ctl_araddr,
    output logic [7:0]         m_axi_ctl_arlen,
    output logic [2:0]         m_axi_ctl_arsize,
    output logic [1:0]         m_axi_ctl_arburst,
    output logic               m_axi_ctl_arvalid,
    input  wire logic          m_axi_ctl_arready,
    input  wire logic [127:0]  m_axi_ctl_rdata,
    input  wire logic [1:0]    m_axi_ctl_rresp,
    input  wire logic          m_axi_ctl_rlast,
    input  wire logic          m_axi_ctl_rvalid,
    output logic               m_axi_ctl_rready
);

  `include "ipsecfx_contract.svh"

  if (C_M_AXI_ADDR_WIDTH != 64 || C_M_AXI_DATA_WIDTH != 128) begin : g_check
    $error("esp_kernel: m_axi is 64-bit address, 128-bit data");
  end
  if (C_S_AXI_CONTROL_ADDR_WIDTH < 8) begin : g_check_ctl
    $error("esp_kernel: s_axi_control needs 8 address bits or more");
  end

  logic rst_n_q, rst_ext, soft_rst, rst;
  // ap_rst_n registered once (it is synchronous; this also cuts its fanout)
  always_ff @(posedge ap_clk) rst_n_q <= ap_rst_n;
  assign rst_ext = !rst_n_q;
  assign rst     = rst_ext || soft_rst;
  assign interrupt = 1'b0;

  logic              running, halted;
  logic [191:0]      desc_base, cmpl_base;
  logic [11:0]       size_log2;
  logic [95:0]       tail, head;
  logic [2:0]        fault;
  logic              rd_fault, rd_desc, wr_fault, ctl_frd, ctl_fwr;
  logic              rd_halt, wr_halt, ctl_halt;

  assign fault  = {rd_desc, wr_fault || ctl_fwr, rd_fault || ctl_frd};
  assign halted = rd_halt || wr_halt || ctl_halt;

  krn_regs #(.ADDR_W(C_S_AXI_CONTROL_ADDR_WIDTH)) u_regs (
      .clk(ap_clk), .rst(rst_ext), .soft_rst(soft_rst),
      .awaddr(s_axi_control_awaddr), .awvalid(s_axi_control_awvalid),
      .awready(s_axi_control_awready), .wdata(s_axi_control_wdata),
      .wstrb(s_axi_control_wstrb), .wvalid(s_axi_control_wvalid),
      .wready(s_axi_control_wready), .bresp(s_axi_control_bresp),
      .bvalid(s_axi_control_bvalid), .bready(s_axi_control_bready),
      .araddr(s_axi_control_araddr), .arvalid(s_axi_control_arvalid),
      .arready(s_axi_control_arready), .rdata(s_axi_control_rdata),
      .rresp(s_axi_control_rresp), .rvalid(s_axi_control_rvalid),
      .rready(s_axi_control_rready),
      .running(running), .desc_base(desc_base), .cmpl_base(cmpl_base),
      .size_log2(size_log2), .tail(tail), .head(head), .fault(fault), .halted(halted));

  // ---- the pipeline
  logic [127:0] s_tdata;
  logic [15:0]  s_tkeep;
  logic         s_tlast;
  logic [47:0]  s_tuser;
  logic [1:0]   s_tvalid, s_tready;
  logic [255:0] m_tdata;
  logic [31:0]  m_tkeep;
  logic [1:0]   m_tlast, m_tvalid, m_tready;
  logic [55:0]  m_tuser;
  logic [11:0]  l_awaddr, l_araddr;
  logic         l_awvalid, l_awready, l_wvalid, l_wready, l_bvalid, l_bready;
  logic         l_arvalid, l_arready, l_rvalid, l_rready;
  logic [31:0]  l_wdata, l_rdata;
  logic [3:0]   l_wstrb;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [1:0]   l_bresp, l_rresp;
  /* verilator lint_on UNUSEDSIGNAL */

  esp_top #(.SA_BITS(SA_BITS), .WINDOW_MAX(WINDOW_MAX)) u_esp (
      .clk(ap_clk), .rst(rst),
      .s_axil_awaddr(l_awaddr), .s_axil_awvalid(l_awvalid), .s_axil_awready(l_awready),
      .s_axil_wdata(l_wdata), .s_axil_wstrb(l_wstrb), .s_axil_wvalid(l_wvalid),
      .s_axil_wready(l_wready), .s_axil_bresp(l_bresp), .s_axil_bvalid(l_bvalid),
      .s_axil_bready(l_bready), .s_axil_araddr(l_araddr), .s_axil_arvalid(l_arvalid),
      .s_axil_arready(l_arready), .s_axil_rdata(l_rdata), .s_axil_rresp(l_rresp),
      .s_axil_rvalid(l_rvalid), .s_axil_rready(l_rready),
      .s_axis_enc_tdata(s_tdata), .s_axis_enc_tkeep(s_tkeep), .s_axis_enc_tvalid(s_tvalid[0]),
      .s_axis_enc_tready(s_tready[0]), .s_axis_enc_tlast(s_tlast), .s_axis_enc_tuser(s_tuser),
      .m_axis_enc_tdata(m_tdata[127:0]), .m_axis_enc_tkeep(m_tkeep[15:0]),
      .m_axis_enc_tvalid(m_tvalid[0]), .m_axis_enc_tready(m_tready[0]),
      .m_axis_enc_tlast(m_tlast[0]), .m_axis_enc_tuser(m_tuser[27:0]),
      .s_axis_dec_tdata(s_tdata), .s_axis_dec_tkeep(s_tkeep), .s_axis_dec_tvalid(s_tvalid[1]),
      .s_axis_dec_tready(s_tready[1]), .s_axis_dec_tlast(s_tlast),
      .m_axis_dec_tdata(m_tdata[255:128]), .m_axis_dec_tkeep(m_tkeep[31:16]),
      .m_axis_dec_tvalid(m_tvalid[1]), .m_axis_dec_tready(m_tready[1]),
      .m_axis_dec_tlast(m_tlast[1]), .m_axis_dec_tuser(m_tuser[55:28]));

  // ---- packets: reader -> pipeline -> writer, a queue of buffers per direction
  logic [1:0]   q_in_valid, q_in_ready, q_out_valid, q_out_ready;
  logic [111:0] q_in_data;
  logic [223:0] q_out_data;
  logic         run;
  assign run = running && !halted;

  krn_rd u_rd (
      .clk(ap_clk), .rst(rst), .run(run),
      .desc_base(desc_base[127:0]), .size_log2(size_log2[7:0]), .tail(tail[63:0]),
      .araddr(m_axi_gmem_araddr), .arlen(m_axi_gmem_arlen), .arvalid(m_axi_gmem_arvalid),
      .arready(m_axi_gmem_arready), .rdata(m_axi_gmem_rdata), .rresp(m_axi_gmem_rresp),
      .rlast(m_axi_gmem_rlast), .rvalid(m_axi_gmem_rvalid), .rready(m_axi_gmem_rready),
      .s_tdata(s_tdata), .s_tkeep(s_tkeep), .s_tlast(s_tlast), .s_tuser(s_tuser),
      .s_tvalid(s_tvalid), .s_tready(s_tready),
      .q_valid(q_in_valid), .q_ready(q_in_ready), .q_data(q_in_data),
      .fault_rd(rd_fault), .fault_desc(rd_desc), .halted(rd_halt));

  for (genvar g = 0; g < 2; g++) begin : g_q
    /* verilator lint_off PINCONNECTEMPTY */
    sync_fifo #(.WIDTH(112), .DEPTH_W(5)) u_q (
        .clk(ap_clk), .rst(rst),
        .in_valid(q_in_valid[g]), .in_ready(q_in_ready[g]), .in_data(q_in_data),
        .out_valid(q_out_valid[g]), .out_ready(q_out_ready[g]),
        .out_data(q_out_data[112*g +: 112]), .count());
    /* verilator lint_on PINCONNECTEMPTY */
  end

  krn_wr u_wr (
      .clk(ap_clk), .rst(rst),
      .cmpl_base(cmpl_base[127:0]), .size_log2(size_log2[7:0]), .head(head[63:0]),
      .m_tdata(m_tdata), .m_tkeep(m_tkeep), .m_tlast(m_tlast), .m_tuser(m_tuser),
      .m_tvalid(m_tvalid), .m_tready(m_tready),
      .q_valid(q_out_valid), .q_ready(q_out_ready), .q_data(q_out_data),
      .awaddr(m_axi_gmem_awaddr), .awlen(m_axi_gmem_awlen), .awvalid(m_axi_gmem_awvalid),
      .awready(m_axi_gmem_awready), .wdata(m_axi_gmem_wdata), .wstrb(m_axi_gmem_wstrb),
      .wlast(m_axi_gmem_wlast), .wvalid(m_axi_gmem_wvalid), .wready(m_axi_gmem_wready),
      .bresp(m_axi_gmem_bresp), .bvalid(m_axi_gmem_bvalid), .bready(m_axi_gmem_bready),
      .fault_wr(wr_fault), .halted(wr_halt));

  krn_ctl u_ctl (
      .clk(ap_clk), .rst(rst), .run(run),
      .desc_base(desc_base[191:128]), .cmpl_base(cmpl_base[191:128]),
      .size_log2(size_log2[11:8]), .tail(tail[95:64]), .head(head[95:64]),
      .araddr(m_axi_ctl_araddr), .arlen(m_axi_ctl_arlen), .arvalid(m_axi_ctl_arvalid),
      .arready(m_axi_ctl_arready), .rdata(m_axi_ctl_rdata), .rresp(m_axi_ctl_rresp),
      .rlast(m_axi_ctl_rlast), .bresp(m_axi_ctl_bresp),
      .rvalid(m_axi_ctl_rvalid), .rready(m_axi_ctl_rready),
      .awaddr(m_axi_ctl_awaddr), .awlen(m_axi_ctl_awlen), .awvalid(m_axi_ctl_awvalid),
      .awready(m_axi_ctl_awready), .wdata(m_axi_ctl_wdata), .wstrb(m_axi_ctl_wstrb),
      .wlast(m_axi_ctl_wlast), .wvalid(m_axi_ctl_wvalid), .wready(m_axi_ctl_wready),
      .bvalid(m_axi_ctl_bvalid), .bready(m_axi_ctl_bready),
      .l_awaddr(l_awaddr), .l_awvalid(l_awvalid), .l_awready(l_awready),
      .l_wdata(l_wdata), .l_wstrb(l_wstrb), .l_wvalid(l_wvalid), .l_wready(l_wready),
      .l_bvalid(l_bvalid), .l_bready(l_bready),
      .l_araddr(l_araddr), .l_arvalid(l_arvalid), .l_arready(l_arready),
      .l_rdata(l_rdata), .l_rvalid(l_rvalid), .l_rready(l_rready),
      .fault_rd(ctl_frd), .fault_wr(ctl_fwr), .halted(ctl_halt));

  assign m_axi_gmem_awsize  = 3'd4;  // 16 bytes a beat
  assign m_axi_gmem_awburst = 2'b01; // INCR
  assign m_axi_gmem_arsize  = 3'd4;
  assign m_axi_gmem_arburst = 2'b01;
  assign m_axi_ctl_awsize   = 3'd4;
  assign m_axi_ctl_awburst  = 2'b01;
  assign m_axi_ctl_arsize   = 3'd4;
  assign m_axi_ctl_arburst  = 2'b01;


  // protocol checkers on the kernel's ports (simulation only: hs_check).  The
  // register slave's handshake survives KRESET (rst_ext); the masters' do not.
  axil_check #(.ADDR_W(C_S_AXI_CONTROL_ADDR_WIDTH), .NAME("esp_kernel.s_axi_control")) u_chk_ctrl (
      .clk(ap_clk), .rst(rst_ext),
      .awaddr(s_axi_control_awaddr), .awvalid(s_axi_control_awvalid),
      .awready(s_axi_control_awready), .wdata(s_axi_control_wdata),
      .wstrb(s_axi_control_wstrb), .wvalid(s_axi_control_wvalid),
      .wready(s_axi_control_wready), .bresp(s_axi_control_bresp),
      .bvalid(s_axi_control_bvalid), .bready(s_axi_control_bready),
      .araddr(s_axi_control_araddr), .arvalid(s_axi_control_arvalid),
      .arready(s_axi_control_arready), .rdata(s_axi_control_rdata),
      .rresp(s_axi_control_rresp), .rvalid(s_axi_control_rvalid),
      .rready(s_axi_control_rready));
  axi4_check #(.DATA_W(C_M_AXI_DATA_WIDTH), .DEPTH(64), .NAME("esp_kernel.m_axi_gmem")) u_chk_gmem (
      .clk(ap_clk), .rst(rst),
      .awaddr(m_axi_gmem_awaddr), .awlen(m_axi_gmem_awlen), .awsize(m_axi_gmem_awsize),
      .awburst(m_axi_gmem_awburst), .awvalid(m_axi_gmem_awvalid), .awready(m_axi_gmem_awready),
      .wdata(m_axi_gmem_wdata), .wstrb(m_axi_gmem_wstrb), .wlast(m_axi_gmem_wlast),
      .wvalid(m_axi_gmem_wvalid), .wready(m_axi_gmem_wready),
      .bresp(m_axi_gmem_bresp), .bvalid(m_axi_gmem_bvalid), .bready(m_axi_gmem_bready),
      .araddr(m_axi_gmem_araddr), .arlen(m_axi_gmem_arlen), .arsize(m_axi_gmem_arsize),
      .arburst(m_axi_gmem_arburst), .arvalid(m_axi_gmem_arvalid), .arready(m_axi_gmem_arready),
      .rdata(m_axi_gmem_rdata), .rresp(m_axi_gmem_rresp), .rlast(m_axi_gmem_rlast),
      .rvalid(m_axi_gmem_rvalid), .rready(m_axi_gmem_rready));
  axi4_check #(.DATA_W(C_M_AXI_DATA_WIDTH), .NAME("esp_kernel.m_axi_ctl")) u_chk_ctl (
      .clk(ap_clk), .rst(rst),
      .awaddr(m_axi_ctl_awaddr), .awlen(m_axi_ctl_awlen), .awsize(m_axi_ctl_awsize),
      .awburst(m_axi_ctl_awburst), .awvalid(m_axi_ctl_awvalid), .awready(m_axi_ctl_awready),
      .wdata(m_axi_ctl_wdata), .wstrb(m_axi_ctl_wstrb), .wlast(m_axi_ctl_wlast),
      .wvalid(m_axi_ctl_wvalid), .wready(m_axi_ctl_wready),
      .bresp(m_axi_ctl_bresp), .bvalid(m_axi_ctl_bvalid), .bready(m_axi_ctl_bready),
      .araddr(m_axi_ctl_araddr), .arlen(m_axi_ctl_arlen), .arsize(m_axi_ctl_arsize),
      .arburst(m_axi_ctl_arburst), .arvalid(m_axi_ctl_arvalid), .arready(m_axi_ctl_arready),
      .rdata(m_axi_ctl_rdata), .rresp(m_axi_ctl_rresp), .rlast(m_axi_ctl_rlast),
      .rvalid(m_axi_ctl_rvalid), .rready(m_axi_ctl_rready));

endmodule

`default_nettype wire
