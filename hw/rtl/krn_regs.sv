// The kernel's s_axi_control slave (docs/hw-interface.md, "The kernel"):
// XRT's ap_ctrl_hs block at 0x00..0x0c, the mem argument at 0x10, then the
// project's registers (IPX_KREG_*): identification, status, fault, reset,
// heartbeat and three rings (base addresses, size, doorbell, head).
//
// ap_ctrl_hs for a persistent kernel: the host sets ap_start once; the
// kernel takes it (ap_start clears, ap_ready is seen once) and runs until a
// reset.  ap_done is never raised, so XRT's clear-on-read race cannot occur.
// KRESET holds soft_rst for 16 clocks: the rings, the pipeline and these
// registers (but not the AXI-Lite handshake) return to their reset state.
`default_nettype none

module krn_regs #(
    parameter int ADDR_W = 12
) (
    input  wire logic              clk,
    input  wire logic              rst,       // ap_rst_n inverted
    output logic                   soft_rst,  // KRESET: rst for the rest
    input  wire logic [ADDR_W-1:0] awaddr,
    input  wire logic              awvalid,
    output logic                   awready,
    input  wire logic [31:0]       wdata,
    input  wire logic [3:0]        wstrb,
    input  wire logic              wvalid,
    output logic                   wready,
    output logic [1:0]             bresp,
    output logic                   bvalid,
    input  wire logic              bready,
    input  wire logic [ADDR_W-1:0] araddr,
    input  wire logic              arvalid,
    output logic                   arready,
    output logic [31:0]            rdata,
    output logic [1:0]             rresp,
    output logic                   rvalid,
    input  wire logic              rready,
    // to the engines
    output logic                   running,
    output logic [3*64-1:0]        desc_base,  // ring r at bits 64 r
    output logic [3*64-1:0]        cmpl_base,
    output logic [3*4-1:0]         size_log2,
    output logic [3*32-1:0]        tail,
    input  wire logic [3*32-1:0]   head,
    input  wire logic [2:0]        fault,      // IPX_KF_* bits
    input  wire logic              halted
);

  `include "ipsecfx_contract.svh"

  if (ADDR_W < 8) begin : g_check
    $error("krn_regs: ADDR_W must be at least 8");
  end

  logic              aw_ok, w_ok;
  logic [ADDR_W-1:0] aw_addr;
  logic [31:0]       w_data;
  logic [3:0]        rst_cnt;
  logic              srst;  // rst or KRESET
  logic              ap_start, gie;
  logic [1:0]        ier, isr;
  logic [63:0]       mem_arg;
  logic [9:0]        hb_div;
  logic [31:0]       heartbeat;
  logic [2:0]        fault_reg;
  logic              wr_fire;

  assign soft_rst = rst_cnt != 0;
  assign srst     = rst || soft_rst;
  assign awready  = !aw_ok && !bvalid;
  assign wready   = !w_ok && !bvalid;
  assign arready  = !rvalid;
  assign bresp    = 2'b00;
  assign rresp    = 2'b00;
  assign wr_fire  = aw_ok && w_ok && !bvalid;

  // AXI-Lite handshake: address and data may come in either order
  always_ff @(posedge clk) begin
    if (rst) begin
      aw_ok  <= 1'b0;
      w_ok   <= 1'b0;
      bvalid <= 1'b0;
    end else begin
      if (awvalid && awready) begin
        aw_ok   <= 1'b1;
        aw_addr <= awaddr;
      end
      if (wvalid && wready) begin
        w_ok   <= 1'b1;
        w_data <= wdata;
      end
      if (wr_fire) begin
        aw_ok  <= 1'b0;
        w_ok   <= 1'b0;
        bvalid <= 1'b1;
      end
      if (bvalid && bready) bvalid <= 1'b0;
    end
  end

  // a write with all strobes low changes nothing; partial strobes are
  // treated as full words (the host only writes whole words)
  logic wr_en;
  assign wr_en = wr_fire && wstrb_seen != 4'd0;
  logic [3:0] wstrb_seen;
  always_ff @(posedge clk) begin
    if (wvalid && wready) wstrb_seen <= wstrb;
  end

  always_ff @(posedge clk) begin
    if (rst) rst_cnt <= 4'd0;
    else if (wr_en && 32'(aw_addr) == IPX_KREG_KRESET && w_data[0]) rst_cnt <= 4'd15;
    else if (rst_cnt != 0) rst_cnt <= rst_cnt - 4'd1;
  end

  always_ff @(posedge clk) begin
    if (srst) begin
      ap_start  <= 1'b0;
      running   <= 1'b0;
      gie       <= 1'b0;
      ier       <= 2'b0;
      isr       <= 2'b0;
      mem_arg   <= '0;
      desc_base <= '0;
      cmpl_base <= '0;
      size_log2 <= '0;
      tail      <= '0;
      hb_div    <= '0;
      heartbeat <= '0;
      fault_reg <= '0;
    end else begin
      fault_reg <= fault_reg | fault;
      if (ap_start) begin
        ap_start <= 1'b0;  // taken: ap_ready
        running  <= 1'b1;
      end
      if (running && !halted) begin
        hb_div <= hb_div + 10'd1;
        if (hb_div == 10'(IPX_HEARTBEAT_CYCLES - 1)) heartbeat <= heartbeat + 32'd1;
      end
      if (wr_en) begin
        case (32'(aw_addr))
          IPX_KREG_CTRL:        if (w_data[0]) ap_start <= 1'b1;
          IPX_KREG_GIE:         gie <= w_data[0];
          IPX_KREG_IER:         ier <= w_data[1:0];
          IPX_KREG_ISR:         isr <= isr ^ w_data[1:0];
          IPX_KREG_MEM_LO:      mem_arg[31:0] <= w_data;
          IPX_KREG_MEM_HI:      mem_arg[63:32] <= w_data;
          IPX_KREG_OUT_DESC_LO: desc_base[31:0] <= w_data;
          IPX_KREG_OUT_DESC_HI: desc_base[63:32] <= w_data;
          IPX_KREG_OUT_CMPL_LO: cmpl_base[31:0] <= w_data;
          IPX_KREG_OUT_CMPL_HI: cmpl_base[63:32] <= w_data;
          IPX_KREG_OUT_SIZE:    size_log2[3:0] <= w_data[3:0];
          IPX_KREG_OUT_TAIL:    tail[31:0] <= w_data;
          IPX_KREG_IN_DESC_LO:  desc_base[95:64] <= w_data;
          IPX_KREG_IN_DESC_HI:  desc_base[127:96] <= w_data;
          IPX_KREG_IN_CMPL_LO:  cmpl_base[95:64] <= w_data;
          IPX_KREG_IN_CMPL_HI:  cmpl_base[127:96] <= w_data;
          IPX_KREG_IN_SIZE:     size_log2[7:4] <= w_data[3:0];
          IPX_KREG_IN_TAIL:     tail[63:32] <= w_data;
          IPX_KREG_CTL_DESC_LO: desc_base[159:128] <= w_data;
          IPX_KREG_CTL_DESC_HI: desc_base[191:160] <= w_data;
          IPX_KREG_CTL_CMPL_LO: cmpl_base[159:128] <= w_data;
          IPX_KREG_CTL_CMPL_HI: cmpl_base[191:160] <= w_data;
          IPX_KREG_CTL_SIZE:    size_log2[11:8] <= w_data[3:0];
          IPX_KREG_CTL_TAIL:    tail[95:64] <= w_data;
          default: ;
        endcase
      end
    end
  end

  logic [31:0] rd;
  always_comb begin
    case (32'(araddr))
      IPX_KREG_CTRL:        rd = {28'd0, 1'b0, !running, 1'b0, ap_start};
      IPX_KREG_GIE:         rd = {31'd0, gie};
      IPX_KREG_IER:         rd = {30'd0, ier};
      IPX_KREG_ISR:         rd = {30'd0, isr};
      IPX_KREG_MEM_LO:      rd = mem_arg[31:0];
      IPX_KREG_MEM_HI:      rd = mem_arg[63:32];
      IPX_KREG_KID:         rd = 32'(IPX_KERNEL_ID);
      IPX_KREG_KVERSION:    rd = 32'(IPX_HW_VERSION_MAJOR << 16 | IPX_HW_VERSION_MINOR);
      IPX_KREG_KSTATUS:     rd = {30'd0, halted, running};
      IPX_KREG_KFAULT:      rd = {29'd0, fault_reg};
      IPX_KREG_HEARTBEAT:   rd = heartbeat;
      IPX_KREG_OUT_DESC_LO: rd = desc_base[31:0];
      IPX_KREG_OUT_DESC_HI: rd = desc_base[63:32];
      IPX_KREG_OUT_CMPL_LO: rd = cmpl_base[31:0];
      IPX_KREG_OUT_CMPL_HI: rd = cmpl_base[63:32];
      IPX_KREG_OUT_SIZE:    rd = {28'd0, size_log2[3:0]};
      IPX_KREG_OUT_TAIL:    rd = tail[31:0];
      IPX_KREG_OUT_HEAD:    rd = head[31:0];
      IPX_KREG_IN_DESC_LO:  rd = desc_base[95:64];
      IPX_KREG_IN_DESC_HI:  rd = desc_base[127:96];
      IPX_KREG_IN_CMPL_LO:  rd = cmpl_base[95:64];
      IPX_KREG_IN_CMPL_HI:  rd = cmpl_base[127:96];
      IPX_KREG_IN_SIZE:     rd = {28'd0, size_log2[7:4]};
      IPX_KREG_IN_TAIL:     rd = tail[63:32];
      IPX_KREG_IN_HEAD:     rd = head[63:32];
      IPX_KREG_CTL_DESC_LO: rd = desc_base[159:128];
      IPX_KREG_CTL_DESC_HI: rd = desc_base[191:160];
      IPX_KREG_CTL_CMPL_LO: rd = cmpl_base[159:128];
      IPX_KREG_CTL_CMPL_HI: rd = cmpl_base[191:160];
      IPX_KREG_CTL_SIZE:    rd = {28'd0, size_log2[11:8]};
      IPX_KREG_CTL_TAIL:    rd = tail[95:64];
      IPX_KREG_CTL_HEAD:    rd = head[95:64];
      default:              rd = 32'd0;
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      rvalid <= 1'b0;
    end else begin
      if (arvalid && arready) begin
        rvalid <= 1'b1;
        rdata  <= rd;
      end else if (rvalid && rready) begin
        rvalid <= 1'b0;
      end
    end
  end

endmodule

`default_nettype wire
