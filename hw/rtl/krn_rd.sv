// The kernel's reader: takes packet descriptors from the OUT and IN rings
// in host memory, reads each packet over the m_axi read channels and
// streams it into the pipeline (OUT -> encrypt, IN -> decrypt) with the
// descriptor's tuser.  For every packet it pushes {ring index, DESC_DST,
// DESC_CAP} to that direction's queue, which the writer pops when the
// pipeline's result comes out (one per packet, in order).
//
// Host memory is a PCIe round trip away (about 1 us), so the reader keeps
// the read channel busy instead of waiting on it:
//   - descriptors are fetched ahead, up to DESC_BURST a burst, into a queue
//     per ring (DESC_Q_W deep), as the host's tail allows;
//   - packets are taken from the two queues round robin, and their data is
//     requested in bursts while the data buffer (2^DATA_AW beats) has room
//     for all that is requested and not yet streamed, so up to that many
//     bytes are in flight;
//   - read data comes back in request order (one AXI ID); a queue of tags,
//     one per burst requested, says whose it is.
// A descriptor that breaks the rules (alignment, empty) halts the reader
// when its turn comes, packets before it still go out; an error response
// halts it at once.  Either raises a fault bit; only a reset clears it.
// Halted, the reader requests nothing more and sinks what still arrives.
// Bursts never cross a 4 KB boundary.
`default_nettype none

module krn_rd #(
    parameter int MAX_LEN    = 65520, // longest packet, bytes (longer than the pipeline takes: TOO_BIG)
    parameter int MAX_BURST  = 64,    // beats per packet read burst
    parameter int DESC_BURST = 4,     // descriptors per read burst, at most
    parameter int DESC_Q_W   = 3,     // log2 of the descriptors queued per ring
    parameter int DATA_AW    = 9,     // log2 of the beats the data buffer holds
    parameter int OUTST_W    = 5      // log2 of the read bursts outstanding, at most
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

  localparam int DQ = 2 ** DESC_Q_W;        // descriptors per ring queue
  localparam int DATA_N = 2 ** DATA_AW;     // beats the data buffer holds
  localparam int DESC_W = 64 + 64 + 16 + 16 + 48;   // {src, dst, len, cap, tuser}

  if (MAX_BURST < 2 || MAX_BURST > 256 || MAX_LEN < 16 || MAX_LEN > 65535 ||
      DESC_BURST < 1 || DESC_BURST > DQ || DESC_Q_W < 1 || DESC_Q_W > 6 ||
      DATA_AW < 7 || DATA_AW > 14 || MAX_BURST > DATA_N || OUTST_W < 1 || OUTST_W > 8)
  begin : g_check
    $error("krn_rd: MAX_BURST 2..256 and at most the data buffer, MAX_LEN 16..65535, DESC_BURST 1..2^DESC_Q_W, DATA_AW 7..14, OUTST_W 1..8");
  end

  logic halt_q;
  assign halted = halt_q;

  // ---- descriptor fetch: ring state
  logic [31:0] fidx_q[2];      // descriptors requested, per ring
  logic [31:0] pidx_q[2];      // descriptors taken for packets, per ring
  logic [DESC_Q_W:0] dres_q[2];  // queue entries reserved (queued + in flight)
  logic [3:0]  lg[2];
  logic [1:0]  dq_valid, dq_pop, dq_push;
  logic [DESC_W-1:0] dq_data[2];
  logic [DESC_W-1:0] dq_in;

  assign lg[0] = size_log2[3:0];
  assign lg[1] = size_log2[7:4];

  // how many descriptors ring d may fetch now: what the tail allows, to the
  // ring's end, to the 4 KB page's end, into the queue's free room
  logic [31:0] f_n[2];
  logic [63:0] f_addr[2];
  logic [1:0]  fd_want;  // ring d fetches: a whole burst, or all there is to fetch
  always_comb begin
    for (int d = 0; d < 2; d++) begin
      logic [31:0] slot, avail, to_end, room, to_page, n;
      logic [12:0] page_left;
      slot = fidx_q[d] & ((32'd1 << lg[d]) - 32'd1);
      f_addr[d] = desc_base[64*d +: 64] + {27'd0, slot, 5'd0};
      avail = tail[32*d +: 32] - fidx_q[d];
      to_end = (32'd1 << lg[d]) - slot;
      room = 32'(DQ) - 32'(dres_q[d]);
      page_left = 13'h1000 - {1'b0, f_addr[d][11:0]};
      to_page = {19'd0, page_left} >> 5;
      n = 32'(DESC_BURST);
      if (avail < n) n = avail;
      if (to_end < n) n = to_end;
      if (room < n) n = room;
      if (to_page < n) n = to_page;
      // a ring size the descriptor check refuses: one at a time until then
      if (lg[d] == 4'd0 || lg[d] > 4'd12) n = n != 0 ? 32'd1 : 32'd0;
      f_n[d] = n;
      // not a short burst only because the queue is nearly full: wait for room
      fd_want[d] = n != 0 && !(n == room && room < 32'(DESC_BURST));
    end
  end

  // ---- packet data requests: the packet whose bursts are being requested
  logic        pk_busy_q;            // bursts of a packet still to request
  logic [63:0] pk_addr_q;
  logic [12:0] pk_beats_q;           // beats still to request
  logic [DATA_AW:0] credit_q;        // data buffer beats neither requested nor held
  logic [12:0] beats_4k, nb;
  assign beats_4k = 13'((13'h1000 - {1'b0, pk_addr_q[11:0]}) >> 4);
  always_comb begin
    nb = pk_beats_q;
    if (beats_4k < nb) nb = beats_4k;
    if (13'(MAX_BURST) < nb) nb = 13'(MAX_BURST);
  end

  // ---- the AR channel: one request register, loaded when empty or taken
  logic        ar_q;                 // arvalid
  logic [63:0] ar_addr_q;
  logic [7:0]  ar_len_q;
  logic [1:0]  tag_in;               // {descriptors, ring} of the burst requested
  logic [1:0]  tag_out;
  logic        tag_valid, tag_room;
  logic        ar_free, want_d, want_p, pick_d, ar_load;
  logic        fd_ring, fd_last_q;   // ring of the descriptor fetch, last one served

  assign ar_free = !ar_q || arready;
  assign fd_ring = fd_want[0] && (!fd_want[1] || fd_last_q) ? 1'b0 : 1'b1;
  assign want_d  = run && !halt_q && fd_want != 0;
  assign want_p  = !halt_q && pk_busy_q && 32'(credit_q) >= 32'(nb);
  // descriptors first: a request is two beats a descriptor, and the packets
  // behind them must be known a round trip ahead
  assign pick_d  = want_d;
  assign ar_load = ar_free && tag_room && (want_d || want_p);
  assign tag_in  = {pick_d, pick_d ? fd_ring : 1'b0};

  assign araddr  = ar_addr_q;
  assign arlen   = ar_len_q;
  assign arvalid = ar_q;

  // the tag queue holds one entry per burst between its request and its
  // last beat (its depth bounds the bursts outstanding)
  logic tag_pop;
  /* verilator lint_off PINCONNECTEMPTY */
  sync_fifo #(.WIDTH(2), .DEPTH_W(OUTST_W)) u_tags (
      .clk(clk), .rst(rst),
      .in_valid(ar_load), .in_ready(tag_room), .in_data(tag_in),
      .out_valid(tag_valid), .out_ready(tag_pop), .out_data(tag_out), .count());
  /* verilator lint_on PINCONNECTEMPTY */

  // ---- read data: descriptors to their ring's queue, packet data to the buffer
  logic beat, r_err, r_desc, r_data_push;
  logic d_half_q;                    // the first beat of a descriptor is held
  logic [127:0] d_first_q;
  assign rready = 1'b1;              // every destination has its room reserved
  assign beat   = rvalid && tag_valid;
  assign r_err  = beat && rresp[1];
  assign r_desc = beat && tag_out[1];
  assign tag_pop = beat && rlast;
  assign r_data_push = beat && !tag_out[1] && !rresp[1] && !halt_q;
  assign dq_in = {d_first_q[63:0], d_first_q[127:64], rdata[15:0], rdata[31:16], rdata[79:32]};
  assign dq_push = {r_desc && d_half_q && tag_out[0] && !rresp[1] && !halt_q,
                    r_desc && d_half_q && !tag_out[0] && !rresp[1] && !halt_q};

  for (genvar g = 0; g < 2; g++) begin : g_dq
    /* verilator lint_off PINCONNECTEMPTY */
    sync_fifo #(.WIDTH(DESC_W), .DEPTH_W(DESC_Q_W)) u_dq (
        .clk(clk), .rst(rst),
        .in_valid(dq_push[g]), .in_ready(), .in_data(dq_in),
        .out_valid(dq_valid[g]), .out_ready(dq_pop[g]), .out_data(dq_data[g]), .count());
    /* verilator lint_on PINCONNECTEMPTY */
  end

  // ---- packets: taken from the rings' queues, round robin
  logic        p_ring, p_last_q;
  logic [1:0]  p_can;
  logic        p_take;
  logic [63:0] p_src, p_dst;
  logic [15:0] p_len, p_cap;
  logic [47:0] p_tuser;
  logic        p_bad;
  logic        info_room;
  assign p_can  = {dq_valid[1] && q_ready[1], dq_valid[0] && q_ready[0]};
  assign p_ring = p_can[0] && (!p_can[1] || p_last_q) ? 1'b0 : 1'b1;
  assign {p_src, p_dst, p_len, p_cap, p_tuser} = dq_data[p_ring];
  assign p_bad  = p_src[3:0] != 0 || p_dst[3:0] != 0 || p_len == 0 || 32'(p_len) > MAX_LEN ||
                  p_cap[3:0] != 0 || lg[p_ring] == 0 || 32'(lg[p_ring]) > 12;
  // a packet is taken when its queue, the writer's queue and the stream's
  // packet queue have it and room, and the last one's bursts are requested
  assign p_take = run && !halt_q && p_can != 0 && !pk_busy_q && info_room && !p_bad;
  assign dq_pop = {p_take && p_ring, p_take && !p_ring};
  assign q_valid = dq_pop;
  assign q_data  = {pidx_q[p_ring], p_dst, p_cap};

  // ---- the stream side: packets in order, their beats from the buffer
  logic [64:0]  info_in, info_out;   // {ring, len, tuser}
  logic         info_valid, info_pop;
  logic [127:0] buf_data;
  logic         buf_valid, buf_pop;
  /* verilator lint_off PINCONNECTEMPTY */
  sync_fifo #(.WIDTH(65), .DEPTH_W(4)) u_info (
      .clk(clk), .rst(rst),
      .in_valid(p_take), .in_ready(info_room), .in_data(info_in),
      .out_valid(info_valid), .out_ready(info_pop), .out_data(info_out), .count());
  fifo_ram #(.WIDTH(128), .ADDR_W(DATA_AW)) u_buf (
      .clk(clk), .rst(rst),
      .in_valid(r_data_push), .in_ready(), .in_data(rdata),
      .out_valid(buf_valid), .out_ready(buf_pop), .out_data(buf_data));
  /* verilator lint_on PINCONNECTEMPTY */
  assign info_in = {p_ring, p_len, p_tuser};

  logic        o_ring;
  logic [15:0] o_len, o_rem_q, o_rem;
  logic        o_first_q;            // the next beat starts a packet
  logic        o_go;
  assign {o_ring, o_len, s_tuser} = info_out;
  assign o_rem    = o_first_q ? o_len : o_rem_q;
  assign s_tdata  = buf_data;
  assign s_tkeep  = o_rem >= 16 ? 16'hffff : 16'((32'd1 << o_rem[3:0]) - 32'd1);
  assign s_tlast  = o_rem <= 16;
  assign s_tvalid = {info_valid && buf_valid && o_ring, info_valid && buf_valid && !o_ring};
  assign o_go     = info_valid && buf_valid && s_tready[o_ring];
  assign buf_pop  = o_go;
  assign info_pop = o_go && s_tlast;

  // ---- registers
  always_ff @(posedge clk) begin
    if (rst) begin
      halt_q     <= 1'b0;
      fault_rd   <= 1'b0;
      fault_desc <= 1'b0;
      ar_q       <= 1'b0;
      fd_last_q  <= 1'b1;
      p_last_q   <= 1'b1;
      pk_busy_q  <= 1'b0;
      credit_q   <= (DATA_AW + 1)'(DATA_N);
      d_half_q   <= 1'b0;
      o_first_q  <= 1'b1;
      for (int d = 0; d < 2; d++) begin
        fidx_q[d] <= '0;
        pidx_q[d] <= '0;
        dres_q[d] <= '0;
      end
    end else begin
      fault_rd   <= 1'b0;
      fault_desc <= 1'b0;

      // the AR request register
      if (ar_free) ar_q <= 1'b0;
      if (ar_load) begin
        ar_q <= 1'b1;
        if (pick_d) begin
          ar_addr_q <= f_addr[fd_ring];
          ar_len_q  <= 8'(2 * f_n[fd_ring] - 1);
          fd_last_q <= fd_ring;
          fidx_q[fd_ring] <= fidx_q[fd_ring] + f_n[fd_ring];
        end else begin
          ar_addr_q  <= pk_addr_q;
          ar_len_q   <= 8'(nb - 13'd1);
          pk_addr_q  <= pk_addr_q + {47'd0, nb, 4'd0};
          pk_beats_q <= pk_beats_q - nb;
          if (pk_beats_q == nb) pk_busy_q <= 1'b0;
        end
      end

      // descriptor queue reservations: up at the request, down at the pop
      for (int d = 0; d < 2; d++) begin
        dres_q[d] <= dres_q[d] + (ar_load && pick_d && fd_ring == 1'(d) ?
                                  (DESC_Q_W + 1)'(f_n[d]) : '0) - (DESC_Q_W + 1)'(dq_pop[d]);
      end
      // data buffer credits: down at a packet burst's request, up as a beat
      // leaves for the pipeline
      credit_q <= credit_q - (ar_load && !pick_d ? (DATA_AW + 1)'(nb) : '0) +
                  (DATA_AW + 1)'(buf_pop);

      // read data
      if (r_desc) begin
        d_half_q <= !d_half_q;
        if (!d_half_q) d_first_q <= rdata;
      end
      if (r_err && !halt_q) begin
        fault_rd <= 1'b1;
        halt_q   <= 1'b1;
      end

      // packets
      if (run && !halt_q && p_can != 0 && !pk_busy_q && info_room && p_bad) begin
        fault_desc <= 1'b1;
        halt_q     <= 1'b1;
      end
      if (p_take) begin
        p_last_q   <= p_ring;
        pidx_q[p_ring] <= pidx_q[p_ring] + 32'd1;
        pk_busy_q  <= 1'b1;
        pk_addr_q  <= p_src;
        pk_beats_q <= 13'((32'(p_len) + 15) >> 4);
      end

      // the stream
      if (o_go) begin
        o_first_q <= s_tlast;
        o_rem_q   <= o_rem - 16'd16;
      end
    end
  end

endmodule

`default_nettype wire
