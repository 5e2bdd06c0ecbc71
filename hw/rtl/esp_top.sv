// The ESP pipeline: AES-GCM ESP encapsulation and decapsulation (tunnel
// mode, IPv4 outer, optional NAT-T UDP, ESN, anti-replay) with on-chip SA
// tables, behind an AXI-Lite register file (docs/hw-interface.md).
//
//   s_axis_enc  inner packets; tuser on the first beat: SA index, headroom,
//               tailroom (TU_IN_*)
//   m_axis_enc  ESP packets, one per input packet; tuser: status, SA, ESP
//               offset (TU_OUT_*); a dropped packet is one null beat
//   s_axis_dec  ESP packets
//   m_axis_dec  inner packets, same side channel (SA found by SPI)
//
// One clock, synchronous active-high reset.  DATA_W is the stream width;
// this version implements 128 bits (one AES block per clock); a wider
// datapath needs parallel AES lanes and a GHASH that takes several blocks
// per clock (docs/rtl.md).
`default_nettype none

module esp_top #(
    parameter int DATA_W     = 128,   // AXI-Stream data width, bits
    parameter int SA_BITS    = 12,    // log2 of the SAs per direction (4096)
    parameter int WINDOW_MAX = 1024,  // largest anti-replay window, bits
    parameter int AXIL_W     = 12     // AXI-Lite address bits
) (
    input  wire logic                clk,
    input  wire logic                rst,
    input  wire logic [AXIL_W-1:0]   s_axil_awaddr,
    input  wire logic                s_axil_awvalid,
    output logic                     s_axil_awready,
    input  wire logic [31:0]         s_axil_wdata,
    input  wire logic [3:0]          s_axil_wstrb,
    input  wire logic                s_axil_wvalid,
    output logic                     s_axil_wready,
    output logic [1:0]               s_axil_bresp,
    output logic                     s_axil_bvalid,
    input  wire logic                s_axil_bready,
    input  wire logic [AXIL_W-1:0]   s_axil_araddr,
    input  wire logic                s_axil_arvalid,
    output logic                     s_axil_arready,
    output logic [31:0]              s_axil_rdata,
    output logic [1:0]               s_axil_rresp,
    output logic                     s_axil_rvalid,
    input  wire logic                s_axil_rready,
    input  wire logic [DATA_W-1:0]   s_axis_enc_tdata,
    input  wire logic [DATA_W/8-1:0] s_axis_enc_tkeep,
    input  wire logic                s_axis_enc_tvalid,
    output logic                     s_axis_enc_tready,
    input  wire logic                s_axis_enc_tlast,
    input  wire logic [47:0]         s_axis_enc_tuser,
    output logic [DATA_W-1:0]        m_axis_enc_tdata,
    output logic [DATA_W/8-1:0]      m_axis_enc_tkeep,
    output logic                     m_axis_enc_tvalid,
    input  wire logic                m_axis_enc_tready,
    output logic                     m_axis_enc_tlast,
    output logic [27:0]              m_axis_enc_tuser,
    input  wire logic [DATA_W-1:0]   s_axis_dec_tdata,
    input  wire logic [DATA_W/8-1:0] s_axis_dec_tkeep,
    input  wire logic                s_axis_dec_tvalid,
    output logic                     s_axis_dec_tready,
    input  wire logic                s_axis_dec_tlast,
    output logic [DATA_W-1:0]        m_axis_dec_tdata,
    output logic [DATA_W/8-1:0]      m_axis_dec_tkeep,
    output logic                     m_axis_dec_tvalid,
    input  wire logic                m_axis_dec_tready,
    output logic                     m_axis_dec_tlast,
    output logic [27:0]              m_axis_dec_tuser
);

  if (DATA_W != 128) begin : g_check_w
    $error("esp_top: only DATA_W = 128 is implemented");
  end
  if (SA_BITS < 3 || SA_BITS > 16) begin : g_check_sa
    $error("esp_top: SA_BITS 3..16");
  end

  logic [1:0]    cmd_valid, cmd_done, cmd_err, ev_valid, gdrop_valid;
  logic [3:0]    cmd_op;
  logic [15:0]   cmd_index;
  logic [4:0]    cmd_slot;
  logic [2047:0] cmd_stg, stg_wdata0, stg_wdata1;
  logic [63:0]   stg_we0, stg_we1;
  logic [7:0]    ev_type, gdrop_status;
  logic [31:0]   ev_sa;

  esp_regs #(.SA_BITS(SA_BITS), .WINDOW_MAX(WINDOW_MAX), .ADDR_W(AXIL_W)) u_regs (
      .clk(clk), .rst(rst),
      .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid),
      .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata),
      .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
      .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
      .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
      .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
      .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata),
      .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
      .s_axil_rready(s_axil_rready),
      .cmd_valid(cmd_valid), .cmd_op(cmd_op), .cmd_index(cmd_index), .cmd_slot(cmd_slot),
      .cmd_stg(cmd_stg), .cmd_done(cmd_done), .cmd_err(cmd_err),
      .stg_we0(stg_we0), .stg_wdata0(stg_wdata0), .stg_we1(stg_we1), .stg_wdata1(stg_wdata1),
      .ev_valid(ev_valid), .ev_type(ev_type), .ev_sa(ev_sa),
      .gdrop_valid(gdrop_valid), .gdrop_status(gdrop_status));

  esp_encap #(.SA_BITS(SA_BITS)) u_encap (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_enc_tdata), .s_axis_tkeep(s_axis_enc_tkeep),
      .s_axis_tvalid(s_axis_enc_tvalid), .s_axis_tready(s_axis_enc_tready),
      .s_axis_tlast(s_axis_enc_tlast), .s_axis_tuser(s_axis_enc_tuser),
      .m_axis_tdata(m_axis_enc_tdata), .m_axis_tkeep(m_axis_enc_tkeep),
      .m_axis_tvalid(m_axis_enc_tvalid), .m_axis_tready(m_axis_enc_tready),
      .m_axis_tlast(m_axis_enc_tlast), .m_axis_tuser(m_axis_enc_tuser),
      .cmd_valid(cmd_valid[0]), .cmd_op(cmd_op), .cmd_index(cmd_index), .cmd_slot(cmd_slot),
      .cmd_stg(cmd_stg), .cmd_done(cmd_done[0]), .cmd_err(cmd_err[0]),
      .stg_we(stg_we0), .stg_wdata(stg_wdata0),
      .ev_valid(ev_valid[0]), .ev_type(ev_type[3:0]), .ev_sa(ev_sa[15:0]),
      .gdrop_valid(gdrop_valid[0]), .gdrop_status(gdrop_status[3:0]));

  esp_decap #(.SA_BITS(SA_BITS), .WINDOW_MAX(WINDOW_MAX)) u_decap (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_dec_tdata), .s_axis_tkeep(s_axis_dec_tkeep),
      .s_axis_tvalid(s_axis_dec_tvalid), .s_axis_tready(s_axis_dec_tready),
      .s_axis_tlast(s_axis_dec_tlast),
      .m_axis_tdata(m_axis_dec_tdata), .m_axis_tkeep(m_axis_dec_tkeep),
      .m_axis_tvalid(m_axis_dec_tvalid), .m_axis_tready(m_axis_dec_tready),
      .m_axis_tlast(m_axis_dec_tlast), .m_axis_tuser(m_axis_dec_tuser),
      .cmd_valid(cmd_valid[1]), .cmd_op(cmd_op), .cmd_index(cmd_index), .cmd_slot(cmd_slot),
      .cmd_stg(cmd_stg), .cmd_done(cmd_done[1]), .cmd_err(cmd_err[1]),
      .stg_we(stg_we1), .stg_wdata(stg_wdata1),
      .ev_valid(ev_valid[1]), .ev_type(ev_type[7:4]), .ev_sa(ev_sa[31:16]),
      .gdrop_valid(gdrop_valid[1]), .gdrop_status(gdrop_status[7:4]));


  // protocol checkers on the register port and the four stream ports
  // (simulation only: hs_check)
  axil_check #(.ADDR_W(AXIL_W), .NAME("esp_top.s_axil")) u_chk_axil (
      .clk(clk), .rst(rst),
      .awaddr(s_axil_awaddr), .awvalid(s_axil_awvalid), .awready(s_axil_awready),
      .wdata(s_axil_wdata), .wstrb(s_axil_wstrb), .wvalid(s_axil_wvalid),
      .wready(s_axil_wready), .bresp(s_axil_bresp), .bvalid(s_axil_bvalid),
      .bready(s_axil_bready), .araddr(s_axil_araddr), .arvalid(s_axil_arvalid),
      .arready(s_axil_arready), .rdata(s_axil_rdata), .rresp(s_axil_rresp),
      .rvalid(s_axil_rvalid), .rready(s_axil_rready));
  axis_check #(.DATA_W(DATA_W), .USER_W(48), .NAME("esp_top.s_axis_enc")) u_chk_s_enc (
      .clk(clk), .rst(rst), .tdata(s_axis_enc_tdata), .tkeep(s_axis_enc_tkeep),
      .tvalid(s_axis_enc_tvalid), .tready(s_axis_enc_tready), .tlast(s_axis_enc_tlast),
      .tuser(s_axis_enc_tuser));
  axis_check #(.DATA_W(DATA_W), .USER_W(28), .NAME("esp_top.m_axis_enc")) u_chk_m_enc (
      .clk(clk), .rst(rst), .tdata(m_axis_enc_tdata), .tkeep(m_axis_enc_tkeep),
      .tvalid(m_axis_enc_tvalid), .tready(m_axis_enc_tready), .tlast(m_axis_enc_tlast),
      .tuser(m_axis_enc_tuser));
  axis_check #(.DATA_W(DATA_W), .USER_W(1), .NAME("esp_top.s_axis_dec")) u_chk_s_dec (
      .clk(clk), .rst(rst), .tdata(s_axis_dec_tdata), .tkeep(s_axis_dec_tkeep),
      .tvalid(s_axis_dec_tvalid), .tready(s_axis_dec_tready), .tlast(s_axis_dec_tlast),
      .tuser(1'b0));
  axis_check #(.DATA_W(DATA_W), .USER_W(28), .NAME("esp_top.m_axis_dec")) u_chk_m_dec (
      .clk(clk), .rst(rst), .tdata(m_axis_dec_tdata), .tkeep(m_axis_dec_tkeep),
      .tvalid(m_axis_dec_tvalid), .tready(m_axis_dec_tready), .tlast(m_axis_dec_tlast),
      .tuser(m_axis_dec_tuser));

endmodule

`default_nettype wire
