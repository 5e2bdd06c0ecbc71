// Inbound output: plaintext blocks of every decrypted packet go into a
// buffer as they leave the GCM pipeline; when the commit stage has decided,
// an accepted packet's inner packet (its own length, TFC padding and
// trailer left out) goes out on m_axis, a dropped one as a single null
// beat (tkeep 0, tlast) with its status in tuser, and its blocks are
// skipped.  The space is handed back to the issuer as credits.
`default_nettype none

module decap_output #(
    parameter int PT_W = 11   // plaintext buffer: 2**PT_W beats
) (
    input  wire logic           clk,
    input  wire logic           rst,
    input  wire logic           pt_valid,
    input  wire logic [127:0]   pt_data,    // block order
    input  wire logic           od_valid,
    output logic                od_ready,
    input  wire logic [52:0]    od_data,    // {beats, length, tuser}
    output logic                pt_free,
    output logic [11:0]         pt_free_n,
    output logic [127:0]        m_axis_tdata,
    output logic [15:0]         m_axis_tkeep,
    output logic                m_axis_tvalid,
    input  wire logic           m_axis_tready,
    output logic                m_axis_tlast,
    output logic [27:0]         m_axis_tuser
);

`include "ipsecfx_contract.svh"

  if (PT_W < 10 || PT_W > 12) begin : g_check
    $error("decap_output: PT_W 10..12");
  end

  logic [PT_W-1:0] wr_reg, rd_reg;
  logic [127:0]    rdata;
  logic            re;

  ram_sdp #(.WIDTH(128), .ADDR_W(PT_W)) u_ram (
      .clk(clk), .we(pt_valid), .waddr(wr_reg), .wdata(pt_data),
      .re(re), .raddr(rd_reg), .rdata(rdata));

  // ---- the packet being sent
  logic        p_busy, p_ok;
  logic [10:0] p_beats;      // blocks it has in the buffer
  logic [10:0] p_left;       // beats still to read
  logic [3:0]  p_lastb;      // bytes in the last beat, 0 = 16
  logic [27:0] p_user;
  logic [PT_W-1:0] p_base;

  // ---- output queue (two beats) fed by RAM reads and null beats; the
  // side information of a beat is {keep 16, last, tuser 28}
  logic [127:0] q_data[2];
  logic [44:0]  q_meta[2];
  logic [1:0]   qn_reg;
  logic         pend_reg;       // a read lands next cycle
  logic [44:0]  pend_meta;

  logic pop, issue_rd, issue_null;
  logic [1:0] qn_after;
  logic [44:0] rd_meta, in_meta;
  always_comb begin
    pop = qn_reg != 2'd0 && m_axis_tready;
    qn_after = qn_reg - 2'(pop) + 2'(pend_reg);
    issue_rd = p_busy && p_ok && p_left != '0 && qn_after <= 2'd1;
    issue_null = p_busy && !p_ok && !pend_reg && qn_after <= 2'd1;
    re = issue_rd;
    rd_meta = {p_left == 11'd1 && p_lastb != 4'd0 ? 16'((32'd1 << p_lastb) - 1) : 16'hffff,
               p_left == 11'd1, p_user};
    in_meta = pend_reg ? pend_meta : {16'h0000, 1'b1, p_user};
  end
  assign od_ready = !p_busy;

  logic [127:0] rdata_axis;
  always_comb for (int b = 0; b < 16; b++) rdata_axis[8*b +: 8] = rdata[127-8*b -: 8];

  always_ff @(posedge clk) begin
    pt_free <= 1'b0;
    if (pt_valid) wr_reg <= wr_reg + 1'b1;
    // queue
    if (pop) begin
      q_data[0] <= q_data[1];
      q_meta[0] <= q_meta[1];
    end
    if (pend_reg || issue_null) begin
      if (qn_reg == 2'd0 || (qn_reg == 2'd1 && pop)) begin
        q_data[0] <= pend_reg ? rdata_axis : 128'd0;
        q_meta[0] <= in_meta;
      end else begin
        q_data[1] <= pend_reg ? rdata_axis : 128'd0;
        q_meta[1] <= in_meta;
      end
    end
    qn_reg   <= qn_after + 2'(issue_null);
    pend_reg <= issue_rd;
    pend_meta <= rd_meta;
    if (issue_rd) begin
      rd_reg <= rd_reg + 1'b1;
      p_left <= p_left - 1'b1;
    end
    // a packet is done when its last read (or its null beat) is out
    if ((issue_rd && p_left == 11'd1) || issue_null) begin
      p_busy    <= 1'b0;
      rd_reg    <= p_base + PT_W'(p_beats);
      pt_free   <= p_beats != '0;
      pt_free_n <= 12'(p_beats);
    end
    if (od_valid && od_ready) begin
      p_busy  <= 1'b1;
      p_ok    <= od_data[IPX_F_TU_OUT_STATUS_LSB +: 4] == IPX_ST_OK;
      p_beats <= od_data[52:42];
      p_left  <= 11'(od_data[41:32]) + 11'(od_data[31:28] != 4'd0);
      p_lastb <= od_data[31:28];
      p_user  <= od_data[27:0];
      p_base  <= rd_reg;
      // an accepted packet with nothing to send cannot happen (length >= 20)
    end
    if (rst) begin
      wr_reg   <= '0;
      rd_reg   <= '0;
      p_busy   <= 1'b0;
      qn_reg   <= '0;
      pend_reg <= 1'b0;
      pt_free  <= 1'b0;
    end
  end

  assign m_axis_tvalid = qn_reg != 2'd0;
  assign m_axis_tdata  = q_data[0];
  assign {m_axis_tkeep, m_axis_tlast, m_axis_tuser} = q_meta[0];

endmodule

`default_nettype wire
