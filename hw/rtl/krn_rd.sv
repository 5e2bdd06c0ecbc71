// The kernel's reader: takes packet descriptors from the OUT and IN rings
// in host memory (round robin, one packet at a time), reads each packet
// over the m_axi read channels and streams it into the pipeline (OUT ->
// encrypt, IN -> decrypt) with the descriptor's tuser.  For every packet it
// pushes {ring index, DESC_DST, DESC_CAP} to that direction's queue, which
// the writer pops when the pipeline's result comes out (one per packet, in
// order).  A descriptor that breaks the rules (alignment, empty) or a read
// error response halts the reader and raises a fault bit; only a reset
// clears it.  Bursts never cross a 4 KB boundary.
`default_nettype none

module krn_rd #(
    parameter int MAX_LEN = 65520, // longest packet, bytes (longer than the pipeline takes: TOO_BIG)
    parameter int MAX_BURST = 64   // beats per read burst
) (
    input  wire logic           clk,
    input  wire logic           rst,
    input  wire logic           run,
    input  wire logic [127:0]   desc_base,  // ring d at bits 64 d
    input  wire logic [7:0]     size_log2,
    input  wire logic [63:0]    tail,
    // m_axi read channels (16-byte beats)
    output logic [63:0]         araddr,
    output logic [7:0]          arlen,
    output logic                arvalid,
    input  wire logic           arready,
    input  wire logic [127:0]   rdata,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [1:0]     rresp,      // bit 1: SLVERR or DECERR
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic           rlast,
    input  wire logic           rvalid,
    output logic                rready,
    // the pipeline's two input streams (tdata, tkeep, tlast, tuser shared)
    output logic [127:0]        s_tdata,
    output logic [15:0]         s_tkeep,
    output logic                s_tlast,
    output logic [47:0]         s_tuser,
    output logic [1:0]          s_tvalid,
    input  wire logic [1:0]     s_tready,
    // per direction: {index, dst, cap} to the writer
    output logic [1:0]          q_valid,
    input  wire logic [1:0]     q_ready,
    output logic [111:0]        q_data,
    output logic                fault_rd,
    output logic                fault_desc,
    output logic                halted
);

  if (MAX_BURST < 2 || MAX_BURST > 256 || MAX_LEN < 16 || MAX_LEN > 65535) begin : g_check
    $error("krn_rd: MAX_BURST 2..256, MAX_LEN 16..65535");
  end

  typedef enum logic [2:0] {S_IDLE, S_DAR, S_DR, S_PUSH, S_PAR, S_PR, S_HALT} state_t;
  state_t      st;
  logic        d;          // ring being served
  logic        last_d;
  logic [31:0] idx[2];     // descriptors taken, per ring
  logic [63:0] src, dst, addr;
  logic [15:0] len, cap, rem;
  logic [47:0] tuser;
  logic        beat;
  logic [3:0]  lg;
  logic [1:0]  work;

  assign lg      = d ? size_log2[7:4] : size_log2[3:0];
  assign work[0] = idx[0] != tail[31:0] && q_ready[0];
  assign work[1] = idx[1] != tail[63:32] && q_ready[1];
  assign halted  = st == S_HALT;

  // beats left of the packet, to the 4 KB boundary, per burst
  logic [12:0] beats_left, beats_4k, nb;
  assign beats_left = 13'((32'(rem) + 15) >> 4);
  assign beats_4k   = 13'((13'h1000 - {1'b0, addr[11:0]}) >> 4);
  always_comb begin
    nb = beats_left;
    if (beats_4k < nb) nb = beats_4k;
    if (13'(MAX_BURST) < nb) nb = 13'(MAX_BURST);
  end

  logic [63:0] desc_addr;
  logic [31:0] slot;
  always_comb begin
    slot = idx[d] & ((32'd1 << lg) - 32'd1);
    desc_addr = (d ? desc_base[127:64] : desc_base[63:0]) + {27'd0, slot, 5'd0};
  end

  always_comb begin
    araddr  = st == S_DAR ? desc_addr : addr;
    arlen   = st == S_DAR ? 8'd1 : 8'(nb - 13'd1);
    arvalid = st == S_DAR || st == S_PAR;
    rready  = st == S_DR || st == S_HALT || (st == S_PR && s_tready[d]);
    s_tdata = rdata;
    s_tkeep = rem >= 16 ? 16'hffff : 16'((32'd1 << rem[3:0]) - 32'd1);
    s_tlast = rem <= 16;
    s_tuser = tuser;
    s_tvalid = {st == S_PR && rvalid && d, st == S_PR && rvalid && !d};
    q_valid = {st == S_PUSH && d, st == S_PUSH && !d};
    q_data  = {idx[d], dst, cap};
  end

  logic desc_bad;
  assign desc_bad = src[3:0] != 0 || dst[3:0] != 0 || len == 0 || 32'(len) > MAX_LEN ||
                    cap[3:0] != 0 || lg == 0 || 32'(lg) > 12;

  always_ff @(posedge clk) begin
    if (rst) begin
      st         <= S_IDLE;
      d          <= 1'b0;
      last_d     <= 1'b1;
      idx[0]     <= '0;
      idx[1]     <= '0;
      fault_rd   <= 1'b0;
      fault_desc <= 1'b0;
      beat       <= 1'b0;
    end else begin
      fault_rd   <= 1'b0;
      fault_desc <= 1'b0;
      case (st)
        S_IDLE: if (run && work != 0) begin
          // round robin between the rings
          d  <= work[0] && (!work[1] || last_d) ? 1'b0 : 1'b1;
          st <= S_DAR;
        end
        S_DAR: if (arready) begin
          st   <= S_DR;
          beat <= 1'b0;
        end
        S_DR: if (rvalid) begin
          if (rresp[1]) begin
            fault_rd <= 1'b1;
            st       <= S_HALT;
          end else if (!beat) begin
            src  <= rdata[63:0];
            dst  <= rdata[127:64];
            beat <= 1'b1;
          end else begin
            len   <= rdata[15:0];
            cap   <= rdata[31:16];
            tuser <= rdata[79:32];
            st    <= S_PUSH;
          end
        end
        S_PUSH: begin
          if (desc_bad) begin
            fault_desc <= 1'b1;
            st         <= S_HALT;
          end else if (q_ready[d]) begin
            addr   <= src;
            rem    <= len;
            last_d <= d;
            st     <= S_PAR;
          end
        end
        S_PAR: if (arready) st <= S_PR;
        S_PR: if (rvalid && s_tready[d]) begin
          if (rresp[1]) begin
            fault_rd <= 1'b1;
            st       <= S_HALT;
          end else begin
            addr <= addr + 64'd16;
            rem  <= rem > 16 ? rem - 16'd16 : 16'd0;
            if (rem <= 16) begin
              idx[d] <= idx[d] + 32'd1;
              st     <= S_IDLE;
            end else if (rlast) begin
              st <= S_PAR;
            end
          end
        end
        default: ;  // S_HALT: sink whatever read data still arrives
      endcase
    end
  end

endmodule

`default_nettype wire
