// The kernel's control ring executor.  Each CTL entry (CTL_BYTES apart in
// host memory, 20 beats used) is read over its own m_axi port, executed
// against the pipeline's AXI-Lite register file as its only master, and
// written back: the data area (read staging words or register values),
// then a completion with the result code (CTL_RES_*).  Operations:
//   SA_CMD  write CTL_WR_N staging words, write SA_CMD, poll SA_STATUS until
//           the command is done, read CTL_RD_N staging words back;
//   REG     up to CTL_REGS_MAX register reads/writes in order (events,
//           drop counters).
// The host issues SA commands only while no packet is in the pipeline
// (docs/hw-interface.md).  A bus error response halts the executor.
`default_nettype none

module krn_ctl #(
    parameter int AXIL_W = 12,
    parameter int POLL_MAX = 65535   // SA_STATUS polls before TIMEOUT
) (
    input  wire logic              clk,
    input  wire logic              rst,
    input  wire logic              run,
    input  wire logic [63:0]       desc_base,
    input  wire logic [63:0]       cmpl_base,
    input  wire logic [3:0]        size_log2,
    input  wire logic [31:0]       tail,
    output logic [31:0]            head,
    // m_axi (its own port)
    output logic [63:0]            araddr,
    output logic [7:0]             arlen,
    output logic                   arvalid,
    input  wire logic              arready,
    input  wire logic [127:0]      rdata,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [1:0]        rresp,
    input  wire logic              rlast,
    input  wire logic [1:0]        bresp,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic              rvalid,
    output logic                   rready,
    output logic [63:0]            awaddr,
    output logic [7:0]             awlen,
    output logic                   awvalid,
    input  wire logic              awready,
    output logic [127:0]           wdata,
    output logic [15:0]            wstrb,
    output logic                   wlast,
    output logic                   wvalid,
    input  wire logic              wready,
    input  wire logic              bvalid,
    output logic                   bready,
    // AXI-Lite master to the pipeline's register file
    output logic [AXIL_W-1:0]      l_awaddr,
    output logic                   l_awvalid,
    input  wire logic              l_awready,
    output logic [31:0]            l_wdata,
    output logic [3:0]             l_wstrb,
    output logic                   l_wvalid,
    input  wire logic              l_wready,
    input  wire logic              l_bvalid,
    output logic                   l_bready,
    output logic [AXIL_W-1:0]      l_araddr,
    output logic                   l_arvalid,
    input  wire logic              l_arready,
    input  wire logic [31:0]       l_rdata,
    input  wire logic              l_rvalid,
    output logic                   l_rready,
    output logic                   fault_rd,
    output logic                   fault_wr,
    output logic                   halted
);

  `include "ipsecfx_contract.svh"

  if (AXIL_W < 11 || POLL_MAX < 1) begin : g_check
    $error("krn_ctl: AXIL_W >= 11 (the staging area), POLL_MAX >= 1");
  end

  localparam int NW = 16 + IPX_CTL_DATA_WORDS;  // words read per entry
  localparam int NB = NW / 4;                    // beats

  typedef enum logic [3:0] {
    S_IDLE, S_AR, S_R, S_DEC, S_SWR, S_CMD, S_POLL, S_SRD, S_REG, S_WB, S_WBW, S_WBB,
    S_CAW, S_CW, S_CB, S_HALT
  } state_t;
  state_t      st;
  logic [31:0] cbuf[NW];
  logic [31:0] idx;
  logic [4:0]  beat;
  logic [6:0]  i;         // access counter
  logic [3:0]  result;
  logic [16:0] polls;
  // the AXI-Lite access in flight
  logic              acc_pend, acc_we, aw_ok, w_ok, ar_ok;
  logic [AXIL_W-1:0] acc_addr;
  logic [31:0]       acc_wdata;
  logic              acc_done;

  logic [7:0] wr_from, wr_n, rd_from, rd_n, nreg;
  assign wr_from = cbuf[2][7:0];
  assign wr_n    = cbuf[2][15:8];
  assign rd_from = cbuf[2][23:16];
  assign rd_n    = cbuf[2][31:24];
  assign nreg    = cbuf[3][7:0];
  assign halted  = st == S_HALT;

  logic [31:0] slot;
  logic [63:0] entry;
  always_comb begin
    slot  = idx & ((32'd1 << size_log2) - 32'd1);
    entry = desc_base + {23'd0, slot, 9'd0};
  end

  // the word an access uses: staging word, or register list slot
  logic [6:0]  wi;
  logic [31:0] reg_a;
  always_comb begin
    case (st)
      S_SWR:   wi = 7'(16 + 32'(wr_from) + 32'(i));
      S_SRD:   wi = 7'(16 + 32'(rd_from) + 32'(i));
      default: wi = 7'(16 + 2 * 32'(i));
    endcase
    reg_a = cbuf[wi];
  end

  always_comb begin
    araddr   = entry;
    arlen    = 8'(NB - 1);
    arvalid  = st == S_AR;
    rready   = st == S_R || st == S_HALT;
    awaddr   = st == S_CAW ? cmpl_base + {28'd0, slot, 4'd0} : entry + 64'd64;
    awlen    = st == S_CAW ? 8'd0 : 8'(IPX_CTL_DATA_WORDS / 4 - 1);
    awvalid  = st == S_WB || st == S_CAW;
    wvalid   = st == S_WBW || st == S_CW;
    wdata    = st == S_CW ? {32'd0, idx + 32'd1, 32'd0, 28'd0, result}
                          : {cbuf[7'(16 + 4 * 32'(beat) + 3)], cbuf[7'(16 + 4 * 32'(beat) + 2)],
                             cbuf[7'(16 + 4 * 32'(beat) + 1)], cbuf[7'(16 + 4 * 32'(beat))]};
    wstrb    = 16'hffff;
    wlast    = st == S_CW || beat == 5'(IPX_CTL_DATA_WORDS / 4 - 1);
    bready   = st == S_WBB || st == S_CB || st == S_HALT;
    l_awaddr  = acc_addr;
    l_awvalid = acc_pend && acc_we && !aw_ok;
    l_wdata   = acc_wdata;
    l_wstrb   = 4'hf;
    l_wvalid  = acc_pend && acc_we && !w_ok;
    l_bready  = 1'b1;
    l_araddr  = acc_addr;
    l_arvalid = acc_pend && !acc_we && !ar_ok;
    l_rready  = 1'b1;
    acc_done  = acc_pend && (acc_we ? l_bvalid : l_rvalid);
  end

  // start an access (in the cycle after the previous one finished)
  task automatic access(input logic we, input logic [AXIL_W-1:0] a, input logic [31:0] v);
    acc_pend  <= 1'b1;
    acc_we    <= we;
    acc_addr  <= a;
    acc_wdata <= v;
    aw_ok     <= 1'b0;
    w_ok      <= 1'b0;
    ar_ok     <= 1'b0;
  endtask

  always_ff @(posedge clk) begin
    if (rst) begin
      st       <= S_IDLE;
      idx      <= '0;
      head     <= '0;
      acc_pend <= 1'b0;
      fault_rd <= 1'b0;
      fault_wr <= 1'b0;
    end else begin
      fault_rd <= 1'b0;
      fault_wr <= 1'b0;
      if (l_awvalid && l_awready) aw_ok <= 1'b1;
      if (l_wvalid && l_wready) w_ok <= 1'b1;
      if (l_arvalid && l_arready) ar_ok <= 1'b1;
      if (acc_done) acc_pend <= 1'b0;
      case (st)
        S_IDLE: if (run && idx != tail) st <= S_AR;
        S_AR: if (arready) begin
          beat <= '0;
          st   <= S_R;
        end
        S_R: if (rvalid) begin
          if (rresp[1]) begin
            fault_rd <= 1'b1;
            st       <= S_HALT;
          end else begin
            for (int k = 0; k < 4; k++) cbuf[7'(4 * 32'(beat) + k)] <= rdata[32*k +: 32];
            beat <= beat + 5'd1;
            if (beat == 5'(NB - 1)) st <= S_DEC;
          end
        end
        S_DEC: begin
          i      <= '0;
          polls  <= '0;
          result <= IPX_CTL_RES_OK;
          if (cbuf[0][3:0] == IPX_CTL_OP_SA_CMD &&
              32'(wr_from) + 32'(wr_n) <= IPX_CTL_DATA_WORDS &&
              32'(rd_from) + 32'(rd_n) <= IPX_CTL_DATA_WORDS)
            st <= wr_n != 0 ? S_SWR : S_CMD;
          else if (cbuf[0][3:0] == IPX_CTL_OP_REG && 32'(nreg) <= IPX_CTL_REGS_MAX)
            st <= nreg != 0 ? S_REG : S_WB;
          else begin
            result <= IPX_CTL_RES_BAD;
            st     <= S_WB;
          end
        end
        S_SWR: begin
          if (!acc_pend) access(1'b1, AXIL_W'(IPX_REG_STAGING + 4 * (32'(wr_from) + 32'(i))), reg_a);
          if (acc_done) begin
            i <= i + 7'd1;
            if (8'(i) + 8'd1 == wr_n) st <= S_CMD;
          end
        end
        S_CMD: begin
          if (!acc_pend) access(1'b1, AXIL_W'(IPX_REG_SA_CMD), cbuf[1]);
          if (acc_done) st <= S_POLL;
        end
        S_POLL: begin
          if (!acc_pend) access(1'b0, AXIL_W'(IPX_REG_SA_STATUS), 32'd0);
          if (acc_done) begin
            polls <= polls + 17'd1;
            if (!l_rdata[0]) begin
              i <= '0;
              if (l_rdata[1]) result <= IPX_CTL_RES_REFUSED;
              st <= rd_n != 0 ? S_SRD : S_WB;
            end else if (32'(polls) >= POLL_MAX) begin
              result <= IPX_CTL_RES_TIMEOUT;
              st     <= S_WB;
            end
          end
        end
        S_SRD: begin
          if (!acc_pend) access(1'b0, AXIL_W'(IPX_REG_STAGING + 4 * (32'(rd_from) + 32'(i))), 32'd0);
          if (acc_done) begin
            cbuf[wi] <= l_rdata;
            i <= i + 7'd1;
            if (8'(i) + 8'd1 == rd_n) st <= S_WB;
          end
        end
        S_REG: begin
          if (!acc_pend) access(reg_a[31], AXIL_W'(reg_a), cbuf[wi + 7'd1]);
          if (acc_done) begin
            if (!acc_we) cbuf[wi + 7'd1] <= l_rdata;
            i <= i + 7'd1;
            if (8'(i) + 8'd1 == nreg) st <= S_WB;
          end
        end
        S_WB: if (awready) begin
          beat <= '0;
          st   <= S_WBW;
        end
        S_WBW: if (wready) begin
          beat <= beat + 5'd1;
          if (wlast) st <= S_WBB;
        end
        S_WBB, S_CB: if (bvalid) begin
          if (bresp[1]) begin
            fault_wr <= 1'b1;
            st       <= S_HALT;
          end else if (st == S_WBB) begin
            st <= S_CAW;
          end else begin
            head <= idx + 32'd1;
            idx  <= idx + 32'd1;
            st   <= S_IDLE;
          end
        end
        S_CAW: if (awready) st <= S_CW;
        S_CW: if (wready) st <= S_CB;
        default: ;
      endcase
    end
  end

endmodule

`default_nettype wire
