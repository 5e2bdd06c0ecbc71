// Store-and-forward input buffer for a packet stream.  Beats from s_axis go
// into a circular RAM; when a packet's last beat is in, a descriptor gives
// its start, its length in bytes (from tkeep of the last beat), the side
// channel of its first beat, a copy of its first HDR_BEATS beats for the
// parser, and whether the framing was bad (a partial tkeep before tlast, or
// a last tkeep that is not contiguous from byte 0).  Packets longer than
// MAX_BEATS keep only their first MAX_BEATS beats (the length still counts
// every byte, saturating at 65535), so one packet always fits.
//
// The consumer reads beats by address (one cycle latency) and frees the
// space of everything before rel_ptr.  Lengths are counted without adders
// on the beat path: 16 * (full beats) + bytes of the last beat is wiring.
`default_nettype none

module pkt_buffer #(
    parameter int BUF_W     = 11,   // 2**BUF_W beats of storage
    parameter int MAX_BEATS = 584,  // beats kept per packet
    parameter int HDR_BEATS = 1,    // beats copied into the descriptor
    parameter int USER_W    = 1,    // side channel of the first beat
    parameter int DFIFO_W   = 4     // 2**DFIFO_W descriptors
) (
    input  wire logic                     clk,
    input  wire logic                     rst,
    input  wire logic [127:0]             s_axis_tdata,
    input  wire logic [15:0]              s_axis_tkeep,
    input  wire logic                     s_axis_tvalid,
    output logic                          s_axis_tready,
    input  wire logic                     s_axis_tlast,
    input  wire logic [USER_W-1:0]        s_axis_tuser,
    // descriptors, one per packet
    output logic                          d_valid,
    input  wire logic                     d_ready,
    output logic [BUF_W:0]                d_start,   // beat address, one wrap bit
    output logic [BUF_W:0]                d_beats,   // beats kept
    output logic [15:0]                   d_len,     // bytes, saturating
    output logic                          d_bad,     // framing violated
    output logic [USER_W-1:0]             d_user,
    output logic [128*HDR_BEATS-1:0]      d_hdr,     // beat k at [128k +: 128], AXIS lane order
    // beats
    input  wire logic                     rd_en,
    input  wire logic [BUF_W-1:0]         rd_addr,
    output logic [127:0]                  rd_data,
    // free the storage before rel_ptr
    input  wire logic                     rel_en,
    input  wire logic [BUF_W:0]           rel_ptr
);

  localparam int DEPTH = 2 ** BUF_W;
  localparam int DESC_W = 2 * (BUF_W + 1) + 16 + 1 + USER_W + 128 * HDR_BEATS;

  if (BUF_W < 4 || BUF_W > 16 || MAX_BEATS < 1 || MAX_BEATS > DEPTH - 8 ||
      HDR_BEATS < 1 || HDR_BEATS > 8 || USER_W < 1) begin : g_check
    $error("pkt_buffer: need BUF_W 4..16, 1 <= MAX_BEATS <= 2**BUF_W - 8, HDR_BEATS 1..8");
  end

  // ---- input register: the beat is accepted here and handled next cycle
  logic [BUF_W:0] used_reg;
  logic [DFIFO_W:0] dcount;
  logic           in_v_reg, in_last_reg;
  logic [127:0]   in_data_reg;
  logic [15:0]    in_keep_reg;
  logic [USER_W-1:0] in_user_reg;

  // room for the beat in flight and a few more: a cheap compare of a
  // registered count
  assign s_axis_tready = !rst && !used_reg[BUF_W] && used_reg[BUF_W-1:2] != '1 &&
                         dcount < (DFIFO_W+1)'(2 ** DFIFO_W - 2);

  always_ff @(posedge clk) begin
    in_v_reg    <= s_axis_tvalid && s_axis_tready;
    in_last_reg <= s_axis_tlast;
    in_data_reg <= s_axis_tdata;
    in_keep_reg <= s_axis_tkeep;
    in_user_reg <= s_axis_tuser;
    if (rst) in_v_reg <= 1'b0;
  end

  // ---- per-packet counting
  logic [BUF_W:0]   wr_reg, free_reg, start_reg;
  logic [11:0]      k_reg, k1_reg;     // beats before this one (saturating), and + 1
  logic [BUF_W:0]   kept_reg;          // beats written for this packet
  logic             bad_reg;
  logic [USER_W-1:0] user_reg;
  logic [128*HDR_BEATS-1:0] hdr_reg;

  logic             first;
  logic             keep_full, keep_contig;
  logic [4:0]       lastbytes;
  logic             store;
  always_comb begin
    first = k_reg == '0;
    keep_full = in_keep_reg == '1;
    keep_contig = 1'b1;
    for (int i = 0; i < 15; i++)
      if (in_keep_reg[i+1] && !in_keep_reg[i]) keep_contig = 1'b0;
    lastbytes = 5'd0;
    for (int i = 0; i < 16; i++)
      if (in_keep_reg[i]) lastbytes = 5'(i + 1);
    store = kept_reg < (BUF_W+1)'(MAX_BEATS);
  end

  // descriptor of the packet whose last beat is in the register
  logic [15:0] len;
  always_comb begin
    if (lastbytes[4]) len = k1_reg == '0 ? 16'hffff : {k1_reg, 4'b0};
    else len = {k_reg, lastbytes[3:0]};
  end

  // the header copy including the beat in the register
  logic [128*HDR_BEATS-1:0] hdr_cur;
  always_comb begin
    hdr_cur = first ? '0 : hdr_reg;
    for (int b = 0; b < HDR_BEATS; b++)
      if (k_reg == 12'(b)) hdr_cur[128*b +: 128] = in_data_reg;
  end

  logic             dq_ready_unused;
  logic [DESC_W-1:0] dq_in, dq_out;
  assign dq_in = {first ? wr_reg : start_reg,
                  kept_reg + (BUF_W+1)'(store),
                  len,
                  (first ? 1'b0 : bad_reg) || !keep_contig,
                  first ? in_user_reg : user_reg,
                  hdr_cur};

  always_ff @(posedge clk) begin
    if (in_v_reg) begin
      hdr_reg <= hdr_cur;
      if (first) begin
        start_reg <= wr_reg;
        user_reg  <= in_user_reg;
        bad_reg   <= !keep_full;
      end else if (!keep_full) begin
        bad_reg <= 1'b1;
      end
      if (store) wr_reg <= wr_reg + 1'b1;
      if (in_last_reg) begin
        k_reg    <= '0;
        k1_reg   <= 12'd1;
        kept_reg <= '0;
      end else begin
        if (k1_reg != '0) begin  // saturate at 4095 full beats
          k_reg  <= k1_reg;
          k1_reg <= k1_reg + 1'b1;
        end
        kept_reg <= kept_reg + (BUF_W+1)'(store);
      end
    end
    if (rel_en) free_reg <= rel_ptr;
    used_reg <= wr_reg - free_reg;
    if (rst) begin
      wr_reg   <= '0;
      free_reg <= '0;
      used_reg <= '0;
      k_reg    <= '0;
      k1_reg   <= 12'd1;
      kept_reg <= '0;
      bad_reg  <= 1'b0;
    end
  end

  ram_sdp #(.WIDTH(128), .ADDR_W(BUF_W)) u_ram (
      .clk  (clk),
      .we   (in_v_reg && store),
      .waddr(wr_reg[BUF_W-1:0]),
      .wdata(in_data_reg),
      .re   (rd_en),
      .raddr(rd_addr),
      .rdata(rd_data)
  );

  sync_fifo #(.WIDTH(DESC_W), .DEPTH_W(DFIFO_W)) u_desc (
      .clk      (clk),
      .rst      (rst),
      .in_valid (in_v_reg && in_last_reg),
      .in_ready (dq_ready_unused),
      .in_data  (dq_in),
      .out_valid(d_valid),
      .out_ready(d_ready),
      .out_data (dq_out),
      .count    (dcount)
  );

  assign {d_start, d_beats, d_len, d_bad, d_user, d_hdr} = dq_out;

  // the FIFO has room by the tready rule
  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = dq_ready_unused;
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
