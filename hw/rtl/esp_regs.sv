// AXI-Lite register file of the ESP pipeline (docs/hw-interface.md): ID and
// version, sizes, a cycle counter, the SA-table command register and its
// 64-word staging area, the event queues, engine-wide drop counters.
// Writes take AW and W in either order, whole words (write strobes are
// ignored); every access answers OKAY (an unmapped address reads 0).  A command written to SA_CMD goes to the
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
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [3:0]         s_axil_wstrb,   // whole 32-bit words only
    /* verilator lint_on UNUSEDSIGNAL */
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

  // engine-wide drops each direction can have: no SA to charge
  localparam logic [15:0] GDROPS_OUT = 16'd1 << IPX_ST_BAD_SA;
  localparam logic [15:0] GDROPS_IN = (16'd1 << IPX_ST_MALFORMED) | (16'd1 << IPX_ST_TOO_BIG) |
                                      (16'd1 << IPX_ST_UNKNOWN_SPI);

  // ---- staging
  logic [31:0] stg[64];
  always_comb for (int i = 0; i < 64; i++) cmd_stg[32*i +: 32] = stg[i];

  // ---- counters
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] ev_lost_inc;
  /* verilator lint_on UNUSEDSIGNAL */
  assign ev_lost_inc = inc64({32'd0, ev_lost_reg});
  logic [63:0] cycles_reg;
  logic [31:0] cycles_hi_reg;
  logic [63:0] gdrops[2][16];
  logic [31:0] ev_lost_reg;
  logic        busy_reg, refused_reg;
  logic [31:0] cmd_reg;

  // ---- event queues
  // registered outputs, so the read mux starts at flip-flops
  logic [1:0]  evq_valid, evq_pop, evq_ready;
  logic [19:0] evq_data[2];
  genvar d;
  generate
    for (d = 0; d < 2; d++) begin : g_evq
      fifo_ram #(.WIDTH(20), .ADDR_W(6)) u_q (
          .clk(clk), .rst(rst),
          .in_valid(ev_valid[d]), .in_ready(evq_ready[d]),
          .in_data({ev_type[4*d +: 4], ev_sa[16*d +: 16]}),
          .out_valid(evq_valid[d]), .out_ready(evq_pop[d]), .out_data(evq_data[d]));
    end
  endgenerate

  // ---- write channel
  logic              aw_held, w_held;
  logic [ADDR_W-1:0] aw_addr;
  logic [31:0]       w_data;
  logic              do_write;

  assign s_axil_awready = !aw_held;
  assign s_axil_wready  = !w_held;
  assign s_axil_bresp   = 2'b00;
  assign do_write = aw_held && w_held && !s_axil_bvalid;

  // staging writes land a cycle after the write is answered: word select
  // decoded into a register first (whole words; write strobes are ignored)
  logic [63:0] stg_axi_we;
  logic [31:0] stg_axi_data;

  always_ff @(posedge clk) begin
    if (s_axil_awvalid && s_axil_awready) begin
      aw_held <= 1'b1;
      aw_addr <= s_axil_awaddr;
    end
    if (s_axil_wvalid && s_axil_wready) begin
      w_held <= 1'b1;
      w_data <= s_axil_wdata;
    end
    if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;

    // units write command results into the staging area; the host's
    // words arrive one cycle late
    stg_axi_we <= '0;
    for (int i = 0; i < 64; i++) begin
      if (stg_axi_we[i]) stg[i] <= stg_axi_data;
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
        for (int i = 0; i < 64; i++) stg_axi_we[i] <= aw_addr[7:2] == 6'(i);
        stg_axi_data <= w_data;
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
    // one incrementer per counter a direction can raise (no read mux)
    for (int k = 0; k < 2; k++)
      for (int st = 0; st < 16; st++)
        if (gdrop_valid[k] && gdrop_status[4*k +: 4] == 4'(st) && (k == 0 ? GDROPS_OUT[st] : GDROPS_IN[st]))
          gdrops[k][st] <= inc64(gdrops[k][st]);
    if ((ev_valid[0] && !evq_ready[0]) || (ev_valid[1] && !evq_ready[1]))
      ev_lost_reg <= ev_lost_inc[31:0];

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

  // ---- read channel: one read at a time; the address is registered, then
  // the staging, drop-counter and other registers are picked in parallel,
  // then among those (three cycles to the answer, all from flip-flops)
  logic [ADDR_W-1:0] ra_reg;
  logic [1:0]        rstep_reg;       // 1: address in, 2: parts in
  logic [31:0]       r_stg, r_drop, r_misc;
  logic [1:0]        r_region;        // 0 misc, 1 staging, 2 drops
  logic [31:0]       misc;
  always_comb begin
    misc = 32'd0;
    evq_pop = 2'b00;
    case (32'(ra_reg))
      IPX_REG_ID: misc = IPX_HW_ID[31:0];
      IPX_REG_VERSION: misc = {IPX_HW_VERSION_MAJOR[15:0], IPX_HW_VERSION_MINOR[15:0]};
      IPX_REG_SA_COUNT: misc = 32'd1 << SA_BITS;
      IPX_REG_WINDOW_MAX: misc = 32'(WINDOW_MAX);
      IPX_REG_DATA_BYTES: misc = 32'd16;
      IPX_REG_CIPHERS: misc = CIPHERS;
      IPX_REG_CYCLES_LO: misc = cycles_reg[31:0];
      IPX_REG_CYCLES_HI: misc = cycles_hi_reg;
      IPX_REG_SA_CMD: misc = cmd_reg;
      IPX_REG_SA_STATUS: misc = {30'd0, refused_reg, busy_reg};
      IPX_REG_EVENT_OUT: begin
        misc = evq_valid[0] ? {1'b1, 3'b0, evq_data[0][19:16], 8'd0, evq_data[0][15:0]} : 32'd0;
        evq_pop[0] = evq_valid[0] && rstep_reg == 2'd1;
      end
      IPX_REG_EVENT_IN: begin
        misc = evq_valid[1] ? {1'b1, 3'b0, evq_data[1][19:16], 8'd0, evq_data[1][15:0]} : 32'd0;
        evq_pop[1] = evq_valid[1] && rstep_reg == 2'd1;
      end
      IPX_REG_EVENT_LOST: misc = ev_lost_reg;
      default: misc = 32'd0;
    endcase
  end

  assign s_axil_arready = !s_axil_rvalid && rstep_reg == 2'd0;
  assign s_axil_rresp   = 2'b00;

  always_ff @(posedge clk) begin
    case (rstep_reg)
      2'd0: if (s_axil_arvalid) begin
        ra_reg    <= s_axil_araddr;
        rstep_reg <= 2'd1;
      end
      2'd1: begin
        r_stg  <= stg[ra_reg[7:2]];
        r_drop <= gdrops[ra_reg[7]][ra_reg[6:3]][32*ra_reg[2] +: 32];
        r_misc <= misc;
        if (ra_reg >= ADDR_W'(IPX_REG_STAGING) &&
            ra_reg < ADDR_W'(IPX_REG_STAGING + 4 * IPX_STAGING_WORDS))
          r_region <= 2'd1;
        else if (ra_reg >= ADDR_W'(IPX_REG_DROPS_OUT) && ra_reg < ADDR_W'(IPX_REG_DROPS_IN + 128))
          r_region <= 2'd2;
        else
          r_region <= 2'd0;
        if (32'(ra_reg) == IPX_REG_CYCLES_LO) cycles_hi_reg <= cycles_reg[63:32];
        rstep_reg <= 2'd2;
      end
      default: begin
        s_axil_rvalid <= 1'b1;
        s_axil_rdata  <= r_region == 2'd1 ? r_stg : r_region == 2'd2 ? r_drop : r_misc;
        rstep_reg     <= 2'd0;
      end
    endcase
    if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
    if (rst) begin
      s_axil_rvalid <= 1'b0;
      rstep_reg     <= 2'd0;
      cycles_hi_reg <= '0;
    end
  end

endmodule

`default_nettype wire
