// The kernel's writer: takes the pipeline's results (encrypt and decrypt
// outputs, round robin, a packet at a time), writes each to its DST buffer
// over the m_axi write channels, then its completion to the ring's
// completion area once the data is acknowledged, so that the host, polling
// memory, never sees a completion before the data.  The result length is
// known only at tlast: a burst that outlives the packet is filled with
// strobe-less beats.  A result longer than DESC_CAP is cut (CMPL_OVERFLOW);
// a write error response halts the writer and raises a fault bit.
`default_nettype none

module krn_wr #(
    parameter int MAX_BURST = 16   // beats per write burst
) (
    input  wire logic           clk,
    input  wire logic           rst,
    input  wire logic [127:0]   cmpl_base,  // ring d at bits 64 d
    input  wire logic [7:0]     size_log2,
    output logic [63:0]         head,       // completions written, ring d at 32 d
    // the pipeline's two output streams
    input  wire logic [255:0]   m_tdata,
    input  wire logic [31:0]    m_tkeep,
    input  wire logic [1:0]     m_tlast,
    input  wire logic [55:0]    m_tuser,
    input  wire logic [1:0]     m_tvalid,
    output logic [1:0]          m_tready,
    // per direction: {index, dst, cap} from the reader
    input  wire logic [1:0]     q_valid,
    output logic [1:0]          q_ready,
    input  wire logic [223:0]   q_data,
    // m_axi write channels
    output logic [63:0]         awaddr,
    output logic [7:0]          awlen,
    output logic                awvalid,
    input  wire logic           awready,
    output logic [127:0]        wdata,
    output logic [15:0]         wstrb,
    output logic                wlast,
    output logic                wvalid,
    input  wire logic           wready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [1:0]     bresp,      // bit 1: SLVERR or DECERR
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire logic           bvalid,
    output logic                bready,
    output logic                fault_wr,
    output logic                halted
);

  if (MAX_BURST < 1 || MAX_BURST > 256) begin : g_check
    $error("krn_wr: MAX_BURST 1..256");
  end

  typedef enum logic [3:0] {S_IDLE, S_AW, S_W, S_B, S_DRAIN, S_CAW, S_CW, S_CB, S_HALT} state_t;
  state_t      st;
  logic        d, last_d;
  logic [31:0] idx;
  logic [63:0] addr;
  logic [15:0] cap_left, len;
  logic [27:0] tuser;
  logic        ended, ovf;
  logic [8:0]  bl;          // beats left in the burst
  logic [1:0]  ready_in;
  logic [3:0]  lg;

  assign lg = d ? size_log2[7:4] : size_log2[3:0];
  assign ready_in[0] = m_tvalid[0] && q_valid[0];
  assign ready_in[1] = m_tvalid[1] && q_valid[1];
  assign halted = st == S_HALT;

  // round robin between the directions
  logic pick;
  assign pick = ready_in[0] && (!ready_in[1] || last_d) ? 1'b0 : 1'b1;

  logic [127:0] cur_data;
  logic [15:0]  cur_keep;
  logic         cur_last, cur_valid;
  assign cur_data  = d ? m_tdata[255:128] : m_tdata[127:0];
  assign cur_keep  = d ? m_tkeep[31:16] : m_tkeep[15:0];
  assign cur_last  = d ? m_tlast[1] : m_tlast[0];
  assign cur_valid = d ? m_tvalid[1] : m_tvalid[0];

  logic [12:0] beats_cap, beats_4k, nb;
  assign beats_cap = 13'(cap_left >> 4);
  assign beats_4k  = 13'((13'h1000 - {1'b0, addr[11:0]}) >> 4);
  always_comb begin
    nb = beats_cap;
    if (beats_4k < nb) nb = beats_4k;
    if (13'(MAX_BURST) < nb) nb = 13'(MAX_BURST);
  end

  logic [31:0] slot;
  logic [63:0] cmpl_addr;
  always_comb begin
    slot      = idx & ((32'd1 << lg) - 32'd1);
    cmpl_addr = (d ? cmpl_base[127:64] : cmpl_base[63:0]) + {28'd0, slot, 4'd0};
  end

  always_comb begin
    awaddr   = st == S_CAW ? cmpl_addr : addr;
    awlen    = st == S_CAW ? 8'd0 : 8'(nb - 13'd1);
    awvalid  = st == S_AW || st == S_CAW;
    wvalid   = (st == S_W && (ended || cur_valid)) || st == S_CW;
    // after the packet's last beat the burst is filled with strobe-less
    // zeros, not with whatever the pipeline offers next: W's payload holds
    // while WVALID waits for WREADY (AXI4 A3.2.1; axi4_check found it)
    wdata    = st == S_CW ? {32'd0, idx + 32'd1, 16'd0, len, ovf, 3'd0, tuser} :
               ended ? '0 : cur_data;
    wstrb    = st == S_CW ? 16'hffff : (ended ? 16'h0 : cur_keep);
    wlast    = st == S_CW || bl == 1;
    bready   = st == S_B || st == S_CB || st == S_HALT;
    m_tready = 2'b00;
    if ((st == S_W && !ended && wready) || st == S_DRAIN) m_tready[d] = 1'b1;
    q_ready = 2'b00;
    if (st == S_IDLE && ready_in != 0) q_ready[pick] = 1'b1;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      st       <= S_IDLE;
      d        <= 1'b0;
      last_d   <= 1'b1;
      head     <= '0;
      fault_wr <= 1'b0;
    end else begin
      fault_wr <= 1'b0;
      case (st)
        S_IDLE: if (ready_in != 0) begin
          d        <= pick;
          last_d   <= pick;
          {idx, addr, cap_left} <= pick ? q_data[223:112] : q_data[111:0];
          tuser    <= pick ? m_tuser[55:28] : m_tuser[27:0];
          len      <= '0;
          ended    <= 1'b0;
          ovf      <= 1'b0;
          st       <= S_AW;
        end
        S_AW: begin
          if (cap_left < 16) begin
            ovf <= 1'b1;
            st  <= S_DRAIN;
          end else if (awready) begin
            bl <= 9'(nb);
            st <= S_W;
          end
        end
        S_W: if (wvalid && wready) begin
          if (!ended) begin
            len <= len + 16'($countones(cur_keep));
            if (cur_last) ended <= 1'b1;
          end
          addr     <= addr + 64'd16;
          cap_left <= cap_left - 16'd16;
          bl       <= bl - 9'd1;
          if (bl == 1) st <= S_B;
        end
        S_B: if (bvalid) begin
          if (bresp[1]) begin
            fault_wr <= 1'b1;
            st       <= S_HALT;
          end else begin
            st <= ended ? S_CAW : S_AW;
          end
        end
        S_DRAIN: if (cur_valid && cur_last) st <= S_CAW;
        S_CAW: if (awready) st <= S_CW;
        S_CW: if (wready) st <= S_CB;
        S_CB: if (bvalid) begin
          if (bresp[1]) begin
            fault_wr <= 1'b1;
            st       <= S_HALT;
          end else begin
            if (d) head[63:32] <= idx + 32'd1;
            else head[31:0] <= idx + 32'd1;
            st <= S_IDLE;
          end
        end
        default: ;
      endcase
    end
  end

endmodule

`default_nettype wire
