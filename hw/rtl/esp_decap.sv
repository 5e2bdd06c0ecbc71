// ESP decapsulation, inbound, tunnel mode, IPv4 outer (optionally UDP 4500,
// RFC 3948): ESP packets on s_axis, inner packets on m_axis with the SA
// found by SPI and the status in tuser; a dropped packet is one null beat.
//
//   pkt_buffer    store and forward; the first six beats go to the parser
//   decap_admit   outer header, SPI lookup, early checks incl. replay
//   decap_cmd     the host's CFG, KEY and BKT commands, on decap_admit's tables
//   decap_issue   ciphertext realigned to blocks: J0A, DATA, LEN; the ICV
//   gcm_pipe      AES-GCM, hashing the ciphertext
//   decap_trail   padding, next header, inner header on the plaintext
//   decap_commit  final status in order, window update, counters, lifetimes
//   decap_output  plaintext buffer to m_axis
`default_nettype none

`include "esp_decap_wo.svh"

module esp_decap #(
    parameter int SA_BITS    = 12,    // log2 of the number of inbound SAs
    parameter int WINDOW_MAX = 1024,  // largest anti-replay window, bits
    parameter int BUF_W      = 11,    // input buffer: 2**BUF_W beats
    parameter int PT_W       = 11     // plaintext buffer: 2**PT_W beats
) (
    input  wire logic           clk,
    input  wire logic           rst,
    input  wire logic [127:0]   s_axis_tdata,
    input  wire logic [15:0]    s_axis_tkeep,
    input  wire logic           s_axis_tvalid,
    output logic                s_axis_tready,
    input  wire logic           s_axis_tlast,
    output logic [127:0]        m_axis_tdata,
    output logic [15:0]         m_axis_tkeep,
    output logic                m_axis_tvalid,
    input  wire logic           m_axis_tready,
    output logic                m_axis_tlast,
    output logic [27:0]         m_axis_tuser,
    input  wire logic           cmd_valid,
    input  wire logic [3:0]     cmd_op,
    input  wire logic [15:0]    cmd_index,
    input  wire logic [4:0]     cmd_slot,
    input  wire logic [2047:0]  cmd_stg,
    output logic                cmd_done,
    output logic                cmd_err,
    output logic [63:0]         stg_we,
    output logic [2047:0]       stg_wdata,
    output logic                ev_valid,
    output logic [3:0]          ev_type,
    output logic [15:0]         ev_sa,
    output logic                gdrop_valid,
    output logic [3:0]          gdrop_status
);

`include "ipsecfx_contract.svh"

  localparam int NB_W = 11;
  // ring words: the window plus one word, rounded up to a power of two
  localparam int NW = 1 << $clog2(WINDOW_MAX / 64 + 1);
  localparam int AW = $clog2(NW);

  if (SA_BITS < 3 || SA_BITS > 16 || BUF_W < 11 || BUF_W > 16 || PT_W != 11) begin : g_check
    $error("esp_decap: SA_BITS 3..16, BUF_W 11..16, PT_W 11");
  end
  if (WINDOW_MAX < 32'(IPX_REPLAY_WINDOW_MIN) || WINDOW_MAX % 64 != 0 ||
      WINDOW_MAX > 32'(IPX_REPLAY_WINDOW_MAX) || 2 * NW > 32'(IPX_STAGING_WORDS)) begin : g_check_w
    $error("esp_decap: WINDOW_MAX a multiple of 64 whose ring fits the staging area");
  end

  // ---- input buffer
  logic             d_valid, d_ready, d_bad, d_user_unused;
  logic [BUF_W:0]   d_start, d_beats;
  logic [15:0]      d_len;
  logic [767:0]     d_hdr;
  logic             rd_en, rel_en;
  logic [BUF_W-1:0] rd_addr;
  logic [127:0]     rd_data;
  logic [BUF_W:0]   rel_ptr;
  pkt_buffer #(
      .BUF_W(BUF_W), .MAX_BEATS(32'(IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD) / 16), .HDR_BEATS(6),
      .USER_W(1)
  ) u_buf (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tkeep), .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast), .s_axis_tuser(1'b0),
      .d_valid(d_valid), .d_ready(d_ready), .d_start(d_start), .d_beats(d_beats),
      .d_len(d_len), .d_bad(d_bad), .d_user(d_user_unused), .d_hdr(d_hdr),
      .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data), .rel_en(rel_en), .rel_ptr(rel_ptr));

  // ---- command routing
  logic ctr_op, com_op;
  assign ctr_op = (cmd_op == IPX_CMD_READ_CTR || cmd_op == IPX_CMD_WRITE_CTR) &&
                  (32'(cmd_index) >> SA_BITS) == 32'd0;  // cmd_index < 2**SA_BITS
  assign com_op = cmd_op == IPX_CMD_READ_STATE || cmd_op == IPX_CMD_WRITE_STATE ||
                  cmd_op == IPX_CMD_READ_WIN || cmd_op == IPX_CMD_WRITE_WIN;
  // the routing in flip-flops: a command reaches its unit the cycle after
  // cmd_valid rises (cmd_op and cmd_index hold while cmd_valid is up) and
  // leaves it with cmd_valid, which falls the cycle after cmd_done
  logic cmd_a, cmd_c, cmd_k;
  always_ff @(posedge clk) begin
    cmd_a <= cmd_valid && !ctr_op && !com_op && !cmd_done;
    cmd_c <= cmd_valid && ctr_op && !cmd_done;
    cmd_k <= cmd_valid && com_op && !cmd_done;
    if (rst) begin
      cmd_a <= 1'b0;
      cmd_c <= 1'b0;
      cmd_k <= 1'b0;
    end
  end

  // ---- admission
  logic               wo_valid, wo_room, co_valid, co_room, pipe_empty;
  logic [`DWO_W-1:0]  wo_data;
  logic [`DCO_W-1:0]  co_data;
  logic               st_b_en, win_b_en, cfgb_en;
  logic [SA_BITS-1:0] st_b_addr, cfgb_addr;
  logic [64:0]        st_b_data;
  logic [SA_BITS+AW-1:0] win_b_addr;
  logic [63:0]        win_b_data;
  logic [`DCFG_W-1:0] cfgb_data;
  logic               a_done, a_err;
  logic [63:0]        a_stg_we;
  logic [2047:0]      a_stg_wdata;
  logic               kw_en;
  logic [4:0]         kw_slot;
  logic [SA_BITS-1:0] kw_sa;
  logic [127:0]       kw_data;
  logic               h_req, h_gnt, h_bkt_we, h_bkt_re, h_bkt_sel, h_cfg_we;
  logic [SA_BITS-3:0] h_bkt_idx;
  logic [4*48-1:0]    h_bkt_wdata, h_bkt_rdata;
  logic [SA_BITS-1:0] h_cfg_addr;
  logic [`DCFG_W-1:0] h_cfg_wdata;

  decap_admit #(.SA_BITS(SA_BITS), .BUF_W(BUF_W), .NW(NW)) u_admit (
      .clk(clk), .rst(rst),
      .d_valid(d_valid), .d_ready(d_ready), .d_start(d_start), .d_beats(d_beats),
      .d_len(d_len), .d_bad(d_bad), .d_hdr(d_hdr),
      .wo_valid(wo_valid), .wo_room(wo_room), .wo_data(wo_data),
      .co_valid(co_valid), .co_room(co_room), .co_data(co_data), .pipe_empty(pipe_empty),
      .st_en(st_b_en), .st_addr(st_b_addr), .st_data(st_b_data),
      .win_en(win_b_en), .win_addr(win_b_addr), .win_data(win_b_data),
      .cfgb_en(cfgb_en), .cfgb_addr(cfgb_addr), .cfgb_data(cfgb_data),
      .h_req(h_req), .h_gnt(h_gnt), .h_bkt_we(h_bkt_we), .h_bkt_re(h_bkt_re),
      .h_bkt_sel(h_bkt_sel), .h_bkt_idx(h_bkt_idx), .h_bkt_wdata(h_bkt_wdata),
      .h_bkt_rdata(h_bkt_rdata), .h_cfg_we(h_cfg_we), .h_cfg_addr(h_cfg_addr),
      .h_cfg_wdata(h_cfg_wdata));

  decap_cmd #(.SA_BITS(SA_BITS), .NW(NW)) u_cmd (
      .clk(clk), .rst(rst),
      .cmd_valid(cmd_a), .cmd_op(cmd_op), .cmd_index(cmd_index),
      .cmd_slot(cmd_slot), .cmd_stg(cmd_stg), .cmd_done(a_done), .cmd_err(a_err),
      .stg_we(a_stg_we), .stg_wdata(a_stg_wdata),
      .h_req(h_req), .h_gnt(h_gnt), .h_bkt_we(h_bkt_we), .h_bkt_re(h_bkt_re),
      .h_bkt_sel(h_bkt_sel), .h_bkt_idx(h_bkt_idx), .h_bkt_wdata(h_bkt_wdata),
      .h_bkt_rdata(h_bkt_rdata), .h_cfg_we(h_cfg_we), .h_cfg_addr(h_cfg_addr),
      .h_cfg_wdata(h_cfg_wdata),
      .kw_en(kw_en), .kw_slot(kw_slot), .kw_sa(kw_sa), .kw_data(kw_data));

  logic              iwo_valid, iwo_ready, cwo_valid, cwo_ready, f_unused0, f_unused1;
  logic [`DWO_W-1:0] iwo_data;
  logic [`DCO_W-1:0] cwo_data;
  logic [4:0]        iwo_count, cwo_count;
  sync_fifo #(.WIDTH(`DWO_W), .DEPTH_W(4)) u_iwo (
      .clk(clk), .rst(rst), .in_valid(wo_valid), .in_ready(f_unused0), .in_data(wo_data),
      .out_valid(iwo_valid), .out_ready(iwo_ready), .out_data(iwo_data), .count(iwo_count));
  sync_fifo #(.WIDTH(`DCO_W), .DEPTH_W(4)) u_cwo (
      .clk(clk), .rst(rst), .in_valid(co_valid), .in_ready(f_unused1), .in_data(co_data),
      .out_valid(cwo_valid), .out_ready(cwo_ready), .out_data(cwo_data), .count(cwo_count));
  assign wo_room = iwo_count < 5'd14;
  assign co_room = cwo_count < 5'd14;

  // packets between admission and commit
  logic       c_done;
  logic [5:0] inflight_reg;
  always_ff @(posedge clk) begin
    inflight_reg <= inflight_reg + 6'(co_valid) - 6'(c_done);
    if (rst) inflight_reg <= '0;
  end
  assign pipe_empty = inflight_reg == '0;

  // ---- crypto
  logic               s_valid, s_sop;
  logic [2:0]         s_kind;
  logic [127:0]       s_ctr, s_data;
  logic [4:0]         s_nbytes;
  logic [NB_W-1:0]    s_n;
  logic [SA_BITS-1:0] s_sa;
  logic [1:0]         s_nr;
  logic [15:0]        s_user;
  logic               icv_in_valid, pt_free, tag_pop;
  logic [127:0]       icv_in;
  logic [11:0]        pt_free_n;

  decap_issue #(
      .SA_BITS(SA_BITS), .BUF_W(BUF_W), .NB_W(NB_W), .PT_CREDIT(2 ** PT_W - 4), .TAG_CREDIT(14)
  ) u_issue (
      .clk(clk), .rst(rst),
      .wo_valid(iwo_valid), .wo_ready(iwo_ready), .wo_data(iwo_data),
      .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data), .rel_en(rel_en), .rel_ptr(rel_ptr),
      .s_valid(s_valid), .s_kind(s_kind), .s_ctr(s_ctr), .s_data(s_data), .s_nbytes(s_nbytes),
      .s_sop(s_sop), .s_n(s_n), .s_sa(s_sa), .s_nr(s_nr), .s_user(s_user),
      .icv_valid(icv_in_valid), .icv_data(icv_in),
      .pt_free(pt_free), .pt_free_n(pt_free_n), .tag_pop(tag_pop));

  logic         pt_valid, t_valid;
  logic [127:0] pt_data, t_tag;
  logic [15:0]  pt_user;
  gcm_pipe #(.SA_BITS(SA_BITS), .NB_W(NB_W), .USER_W(16)) u_gcm (
      .clk(clk), .rst(rst),
      .s_valid(s_valid), .s_kind(s_kind), .s_ctr(s_ctr), .s_data(s_data), .s_nbytes(s_nbytes),
      .s_sop(s_sop), .s_n(s_n), .s_sa(s_sa), .s_nr(s_nr), .s_dec(1'b1), .s_user(s_user),
      .d_valid(pt_valid), .d_data(pt_data), .d_user(pt_user),
      .t_valid(t_valid), .t_tag(t_tag),
      .kw_en(kw_en), .kw_slot(kw_slot), .kw_sa(kw_sa), .kw_data(kw_data));

  // ICV against the computed tag, packet by packet
  logic         icv_valid, f_unused2, f_unused3, f_unused4;
  logic [127:0] icv;
  logic [4:0]   icv_count_unused, tg_count_unused, tr_count_unused;
  sync_fifo #(.WIDTH(128), .DEPTH_W(4)) u_icv (
      .clk(clk), .rst(rst), .in_valid(icv_in_valid), .in_ready(f_unused2), .in_data(icv_in),
      .out_valid(icv_valid), .out_ready(t_valid), .out_data(icv), .count(icv_count_unused));
  // the compare takes two cycles: 4-bit pieces into flip-flops, then their AND
  logic        tc_valid_reg, tc_icv_reg;
  logic [31:0] tc_eq_reg;
  always_ff @(posedge clk) begin
    tc_valid_reg <= t_valid;
    tc_icv_reg   <= icv_valid;
    for (int k = 0; k < 32; k++) tc_eq_reg[k] <= t_tag[4*k +: 4] == icv[4*k +: 4];
    if (rst) tc_valid_reg <= 1'b0;
  end
  logic tg_valid, tg_ok;
  sync_fifo #(.WIDTH(1), .DEPTH_W(4)) u_tg (
      .clk(clk), .rst(rst), .in_valid(tc_valid_reg), .in_ready(f_unused3),
      .in_data(tc_icv_reg && tc_eq_reg == '1),
      .out_valid(tg_valid), .out_ready(tag_pop), .out_data(tg_ok), .count(tg_count_unused));

  // trailer
  logic        tr_in_valid, tr_pad_ok, tr_valid;
  logic [7:0]  tr_padlen, tr_nh, tr_b0;
  logic [15:0] tr_w1, tr_w2;
  logic [56:0] tr_data;
  decap_trail u_trail (
      .clk(clk), .rst(rst), .in_valid(pt_valid), .in_data(pt_data), .in_first(pt_user[15]),
      .in_last(pt_user[14]), .in_ctlen(pt_user[3:2]),
      .out_valid(tr_in_valid), .out_pad_ok(tr_pad_ok), .out_padlen(tr_padlen), .out_nh(tr_nh),
      .out_b0(tr_b0), .out_w1(tr_w1), .out_w2(tr_w2));
  sync_fifo #(.WIDTH(57), .DEPTH_W(4)) u_tr (
      .clk(clk), .rst(rst), .in_valid(tr_in_valid), .in_ready(f_unused4),
      .in_data({tr_pad_ok, tr_padlen, tr_nh, tr_b0, tr_w1, tr_w2}),
      .out_valid(tr_valid), .out_ready(tag_pop), .out_data(tr_data), .count(tr_count_unused));

  // ---- commit
  logic               od_valid, od_room, drop_valid, drop_room, ev_in_valid, ev_room;
  logic [52:0]        od_data;
  logic [SA_BITS-1:0] drop_sa, ev_in_sa;
  logic [3:0]         drop_status;
  logic [1:0]         ev_flags;
  logic               k_done, k_err, tr_ready_unused;
  logic [63:0]        k_stg_we;
  logic [2047:0]      k_stg_wdata;

  decap_commit #(.SA_BITS(SA_BITS), .NW(NW)) u_commit (
      .clk(clk), .rst(rst),
      .co_valid(cwo_valid), .co_ready(cwo_ready), .co_data(cwo_data),
      .tr_valid(tr_valid), .tr_ready(tr_ready_unused), .tr_data(tr_data),
      .tg_valid(tg_valid), .tg_ready(tag_pop), .tg_ok(tg_ok),
      .cfg_en(cfgb_en), .cfg_addr(cfgb_addr), .cfg_data(cfgb_data),
      .st_b_en(st_b_en), .st_b_addr(st_b_addr), .st_b_data(st_b_data),
      .win_b_en(win_b_en), .win_b_addr(win_b_addr), .win_b_data(win_b_data),
      .od_valid(od_valid), .od_room(od_room), .od_data(od_data), .done(c_done),
      .drop_valid(drop_valid), .drop_room(drop_room), .drop_sa(drop_sa),
      .drop_status(drop_status), .gdrop_valid(gdrop_valid), .gdrop_status(gdrop_status),
      .ev_valid(ev_in_valid), .ev_room(ev_room), .ev_flags(ev_flags), .ev_sa(ev_in_sa),
      .cmd_valid(cmd_k), .cmd_op(cmd_op), .cmd_index(cmd_index),
      .cmd_stg(cmd_stg), .cmd_done(k_done), .cmd_err(k_err),
      .stg_we(k_stg_we), .stg_wdata(k_stg_wdata));

  // ---- output
  logic        odq_valid, odq_ready, f_unused5;
  logic [52:0] odq_data;
  logic [4:0]  odq_count;
  sync_fifo #(.WIDTH(53), .DEPTH_W(4)) u_od (
      .clk(clk), .rst(rst), .in_valid(od_valid), .in_ready(f_unused5), .in_data(od_data),
      .out_valid(odq_valid), .out_ready(odq_ready), .out_data(odq_data), .count(odq_count));
  assign od_room = odq_count < 5'd14;

  decap_output #(.PT_W(PT_W)) u_out (
      .clk(clk), .rst(rst), .pt_valid(pt_valid), .pt_data(pt_data),
      .od_valid(odq_valid), .od_ready(odq_ready), .od_data(odq_data),
      .pt_free(pt_free), .pt_free_n(pt_free_n),
      .m_axis_tdata(m_axis_tdata), .m_axis_tkeep(m_axis_tkeep), .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast), .m_axis_tuser(m_axis_tuser));

  // ---- drop counters, events
  logic        c_cmd_done, c_rd_valid;
  logic [3:0]  c_rd_idx;
  logic [63:0] c_rd_data;
  drop_ctr #(.SA_BITS(SA_BITS)) u_drops (
      .clk(clk), .rst(rst),
      .inc_valid(drop_valid), .inc_ready(drop_room), .inc_sa(drop_sa), .inc_status(drop_status),
      .cmd_valid(cmd_c), .cmd_write(cmd_op == IPX_CMD_WRITE_CTR),
      .cmd_sa(cmd_index[SA_BITS-1:0]), .cmd_wdata(cmd_stg[IPX_F_CTR_DROPS_LSB +: 1024]),
      .cmd_done(c_cmd_done), .rd_valid(c_rd_valid), .rd_idx(c_rd_idx), .rd_data(c_rd_data));

  event_queue #(
      .NFLAGS(2), .TYPES({IPX_EV_HARD_LIFETIME, IPX_EV_SOFT_LIFETIME}), .SA_W(16)
  ) u_ev (
      .clk(clk), .rst(rst), .in_valid(ev_in_valid), .in_ready(ev_room), .in_flags(ev_flags),
      .in_sa(16'(ev_in_sa)), .ev_valid(ev_valid), .ev_type(ev_type), .ev_sa(ev_sa));

  always_comb begin
    cmd_done  = a_done || k_done || c_cmd_done;
    cmd_err   = (a_done && a_err) || (k_done && k_err);
    stg_we    = a_stg_we | k_stg_we;
    // word by word: one of admission and commit answers a command
    for (int w = 0; w < 64; w++)
      stg_wdata[32*w +: 32] = a_stg_we[w] ? a_stg_wdata[32*w +: 32] : k_stg_wdata[32*w +: 32];
    if (c_rd_valid) begin
      for (int k = 0; k < 16; k++)
        if (c_rd_idx == 4'(k)) stg_we[IPX_F_CTR_DROPS_LSB / 32 + 2 * k +: 2] = 2'b11;
      stg_wdata[IPX_F_CTR_DROPS_LSB +: 1024] = {16{c_rd_data}};
    end
  end

  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = ^{d_user_unused, f_unused0, f_unused1, f_unused2, f_unused3, f_unused4,
                       f_unused5, icv_count_unused, tg_count_unused, tr_count_unused,
                       tr_ready_unused, pt_user[13:4], pt_user[1:0]};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
