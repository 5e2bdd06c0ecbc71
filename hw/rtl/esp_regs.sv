// AXI-Lite register file of the ESP pipeline (docs/hw-interface.md): ID and
// version, sizes, a cycle counter, the SA-table command register and its
// 64-word staging area, the event queues, engine-wide drop counters.
// Writes take AW and W in either order; every access answers OKAY (an
// unmapped address reads 0).  A command written to SA_CMD goes to the
// outbound or inbound unit (CMD_DIR) and stays valid until it is done; a
// command written while one runs is refused (SA_STATUS bit 1).
`default_nettype none

module esp_regs #(
    parameter int SA_BITS    = 12,    // log2 of the SAs per direction
    parameter int WINDOW_MAX = 1024,  // replay window bits
    parameter int ADDR_W     = 12     // AXI-Lite address bits
) (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic [ADDR_W-1:0]  s_axil_awaddr,
    input  wire logic               s_axil_awvalid,
    output logic                    s_axil_awready,
    input  wire logic [31:0]        s_axil_wdata,
    input  wire logic [3:0]         s_axil_wstrb,
    input  wire logic               s_axil_wvalid,
    output logic                    s_axil_wready,
    output logic [1:0]              s_axil_bresp,
    output logic                    s_axil_bvalid,
    input  wire logic               s_axil_bready,
    input  wire logic [ADDR_W-1:0]  s_axil_araddr,
    input  wire logic               s_axil_arvalid,
    output logic                    s_axil_arready,
    output logic [31:0]             s_axil_rdata,
    output logic [1:0]              s_axil_rresp,
    output logic                    s_axil_rvalid,
    input  wire logic               s_axil_rready,
    // SA-table commands: [0] outbound unit, [1] inbound unit
    output logic [1:0]              cmd_valid,
    output logic [3:0]              cmd_op,
    output logic [15:0]             cmd_index,
    output logic [4:0]              cmd_slot,
    output logic [2047:0]           cmd_stg,
    input  wire logic [1:0]         cmd_done,
    input  wire logic [1:0]         cmd_err,
    input  wire logic [63:0]        stg_we0,
    input  wire logic [2047:0]      stg_wdata0,
    input  wire logic [63:0]        stg_we1,
    input  wire logic [2047:0]      stg_wdata1,
    // events and engine-wide drops: [0] outbound, [1] inbound
    input  wire logic [1:0]         ev_valid,
    input  wire logic [7:0]         ev_type,    // [4d +: 4]
    input  wire logic [31:0]        ev_sa,      // [16d +: 16]
    input  wire logic [1:0]         gdrop_valid,
    input  wire logic [7:0]         gdrop_status
);

`include "ipsecfx_contract.svh"
`include "ipsecfx_func.svh"

  if (ADDR_W < 12 || SA_BITS < 1 || SA_BITS > 16 || WINDOW_MAX < 64) begin : g_check
    $error("esp_regs: ADDR_W >= 12, SA_BITS 1..16, WINDOW_MAX >= 64");
  end

  localparam logic [31:0] CIPHERS = (32'd1 << IPX_CIPHER_AES128GCM16) |
                                    (32'd1 << IPX_CIPHER_AES192GCM16) |
                                    (32'd1 << IPX_CIPHER_AES256GCM16);

  // ---- staging
  logic [31:0] stg[64];
  always_comb for (int i = 0; i < 64; i++) cmd_stg[32*i +: 32] = stg[i];

  // ---- counters
  logic [63:0] cycles_reg;
  logic [31:0] cycles_hi_reg;
  logic [63:0] gdrops[2][16];
  logic [31:0] ev_lost_reg;
  logic        busy_reg, refused_reg;
  logic [31:0] cmd_reg;

  // ---- event queues
  logic [1:0]  evq_valid, evq_pop, evq_ready;
  logic [19:0] evq_data[2];
  logic [6:0]  evq_count_unused[2];
  genvar d;
  generate
    for (d = 0; d < 2; d++) begin : g_evq
      sync_fifo #(.WIDTH(20), .DEPTH_W(6)) u_q (
          .clk(clk), .rst(rst),
          .in_valid(ev_valid[d]), .in_ready(evq_ready[d]),
          .in_data({ev_type[4*d +: 4], ev_sa[16*d +: 16]}),
          .out_valid(evq_valid[d]), .out_ready(evq_pop[d]), .out_data(evq_data[d]),
          .count(evq_count_unused[d]));
    end
  endgenerate

  // ---- write channel
  logic              aw_held, w_held;
  logic [ADDR_W-1:0] aw_addr;
  logic [31:0]       w_data;
  logic [3:0]        w_strb;
  logic              do_write;

  assign s_axil_awready = !aw_held;
  assign s_axil_wready  = !w_held;
  assign s_axil_bresp   = 2'b00;
  assign do_write = aw_held && w_held && !s_axil_bvalid;

  logic [31:0] wmask;
  always_comb for (int i = 0; i < 4; i++) wmask[8*i +: 8] = {8{w_strb[i]}};

  always_ff @(posedge clk) begin
    if (s_axil_awvalid && s_axil_awready) begin
      aw_held <= 1'b1;
      aw_addr <= s_axil_awaddr;
    end
    if (s_axil_wvalid && s_axil_wready) begin
      w_held <= 1'b1;
      w_data <= s_axil_wdata;
      w_strb <= s_axil_wstrb;
    end
    if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;

    // units write command results into the staging area
    for (int i = 0; i < 64; i++) begin
      if (stg_we0[i]) stg[i] <= stg_wdata0[32*i +: 32];
      if (stg_we1[i]) stg[i] <= stg_wdata1[32*i +: 32];
    end

    if ((cmd_valid & cmd_done) != 2'b00) begin
      busy_reg  <= 1'b0;
      cmd_valid <= 2'b00;
      refused_reg <= (cmd_valid & cmd_err) != 2'b00;
    end

    if (do_write) begin
      aw_held <= 1'b0;
      w_held  <= 1'b0;
      s_axil_bvalid <= 1'b1;
      if (aw_addr >= ADDR_W'(IPX_REG_STAGING) &&
          aw_addr < ADDR_W'(IPX_REG_STAGING + 4 * IPX_STAGING_WORDS)) begin
        stg[aw_addr[7:2]] <= (stg[aw_addr[7:2]] & ~wmask) | (w_data & wmask);
      end else if (aw_addr == ADDR_W'(IPX_REG_SA_CMD)) begin
        if (busy_reg) begin
          refused_reg <= 1'b1;
        end else begin
          cmd_reg     <= w_data;
          busy_reg    <= 1'b1;
          refused_reg <= 1'b0;
          cmd_valid   <= {w_data[IPX_F_CMD_DIR_LSB], !w_data[IPX_F_CMD_DIR_LSB]};
        end
      end
    end

    cycles_reg <= inc64(cycles_reg);
    for (int k = 0; k < 2; k++)
      if (gdrop_valid[k]) gdrops[k][gdrop_status[4*k +: 4]] <= inc64(gdrops[k][gdrop_status[4*k +: 4]]);
    if ((ev_valid[0] && !evq_ready[0]) || (ev_valid[1] && !evq_ready[1]))
      ev_lost_reg <= ev_lost_reg + 1'b1;

    if (rst) begin
      aw_held <= 1'b0;
      w_held  <= 1'b0;
      s_axil_bvalid <= 1'b0;
      busy_reg <= 1'b0;
      refused_reg <= 1'b0;
      cmd_valid <= 2'b00;
      cmd_reg <= '0;
      cycles_reg <= '0;
      ev_lost_reg <= '0;
      for (int k = 0; k < 2; k++)
        for (int s = 0; s < 16; s++) gdrops[k][s] <= '0;
    end
  end

  assign cmd_op    = cmd_reg[IPX_F_CMD_OP_LSB +: 4];
  assign cmd_index = cmd_reg[IPX_F_CMD_INDEX_LSB +: 16];
  assign cmd_slot  = cmd_reg[IPX_F_CMD_SLOT_LSB +: 5];

  // ---- read channel: one read at a time, data registered
  logic [ADDR_W-1:0] ra;
  logic [31:0]       rd;
  always_comb begin
    ra = s_axil_araddr;
    rd = 32'd0;
    evq_pop = 2'b00;
    if (ra >= ADDR_W'(IPX_REG_STAGING) && ra < ADDR_W'(IPX_REG_STAGING + 4 * IPX_STAGING_WORDS)) begin
      rd = stg[ra[7:2]];
    end else if (ra >= ADDR_W'(IPX_REG_DROPS_OUT) && ra < ADDR_W'(IPX_REG_DROPS_OUT + 128)) begin
      rd = gdrops[0][ra[6:3]][32*ra[2] +: 32];
    end else if (ra >= ADDR_W'(IPX_REG_DROPS_IN) && ra < ADDR_W'(IPX_REG_DROPS_IN + 128)) begin
      rd = gdrops[1][ra[6:3]][32*ra[2] +: 32];
    end else begin
      case (32'(ra))
        IPX_REG_ID: rd = IPX_HW_ID[31:0];
        IPX_REG_VERSION: rd = {IPX_HW_VERSION_MAJOR[15:0], IPX_HW_VERSION_MINOR[15:0]};
        IPX_REG_SA_COUNT: rd = 32'd1 << SA_BITS;
        IPX_REG_WINDOW_MAX: rd = 32'(WINDOW_MAX);
        IPX_REG_DATA_BYTES: rd = 32'd16;
        IPX_REG_CIPHERS: rd = CIPHERS;
        IPX_REG_CYCLES_LO: rd = cycles_reg[31:0];
        IPX_REG_CYCLES_HI: rd = cycles_hi_reg;
        IPX_REG_SA_CMD: rd = cmd_reg;
        IPX_REG_SA_STATUS: rd = {30'd0, refused_reg, busy_reg};
        IPX_REG_EVENT_OUT: begin
          rd = evq_valid[0] ? {1'b1, 3'b0, evq_data[0][19:16], 8'd0, evq_data[0][15:0]} : 32'd0;
          evq_pop[0] = evq_valid[0] && s_axil_arvalid && s_axil_arready;
        end
        IPX_REG_EVENT_IN: begin
          rd = evq_valid[1] ? {1'b1, 3'b0, evq_data[1][19:16], 8'd0, evq_data[1][15:0]} : 32'd0;
          evq_pop[1] = evq_valid[1] && s_axil_arvalid && s_axil_arready;
        end
        IPX_REG_EVENT_LOST: rd = ev_lost_reg;
        default: rd = 32'd0;
      endcase
    end
  end

  assign s_axil_arready = !s_axil_rvalid;
  assign s_axil_rresp   = 2'b00;

  always_ff @(posedge clk) begin
    if (s_axil_arvalid && s_axil_arready) begin
      s_axil_rvalid <= 1'b1;
      s_axil_rdata  <= rd;
      if (32'(ra) == IPX_REG_CYCLES_LO) cycles_hi_reg <= cycles_reg[63:32];
    end else if (s_axil_rready) begin
      s_axil_rvalid <= 1'b0;
    end
    if (rst) begin
      s_axil_rvalid <= 1'b0;
      cycles_hi_reg <= '0;
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = ^{evq_count_unused[0], evq_count_unused[1]};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
