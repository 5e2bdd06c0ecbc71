// ESP encapsulation, outbound, tunnel mode, IPv4 outer (RFC 4303, RFC 3948
// for NAT-T, byte for byte as docs/esp-format.md): inner IPv4/IPv6 packets
// with an SA index on s_axis, ESP packets on m_axis, one status per packet.
//
//   pkt_buffer      store and forward: every packet's length is known
//                   before it is touched
//   encap_admit     SA table, checks, sequence numbers, counters, lifetimes
//   encap_issue     GCM slots: J0A (AAD), DATA (packet + trailer), LEN
//   gcm_pipe        AES-GCM, one block per clock
//   ipv4_csum       outer header checksum, alongside
//   encap_assemble  header, ciphertext, ICV out as 32-bit words
//   drop_ctr        per-SA drop counters; event_queue: events one by one
`default_nettype none

`include "esp_encap_wo.svh"

module esp_encap #(
    parameter int SA_BITS = 12,  // log2 of the number of outbound SAs
    parameter int BUF_W   = 11,  // input buffer: 2**BUF_W beats of 16 bytes
    parameter int CT_W    = 7    // ciphertext FIFO: 2**CT_W beats
) (
    input  wire logic           clk,
    input  wire logic           rst,
    input  wire logic [127:0]   s_axis_tdata,
    input  wire logic [15:0]    s_axis_tkeep,
    input  wire logic           s_axis_tvalid,
    output logic                s_axis_tready,
    input  wire logic           s_axis_tlast,
    input  wire logic [47:0]    s_axis_tuser,
    output logic [127:0]        m_axis_tdata,
    output logic [15:0]         m_axis_tkeep,
    output logic                m_axis_tvalid,
    input  wire logic           m_axis_tready,
    output logic                m_axis_tlast,
    output logic [27:0]         m_axis_tuser,
    // host SA-table commands for the outbound table
    input  wire logic           cmd_valid,
    input  wire logic [3:0]     cmd_op,
    input  wire logic [15:0]    cmd_index,
    input  wire logic [4:0]     cmd_slot,
    input  wire logic [2047:0]  cmd_stg,
    output logic                cmd_done,
    output logic                cmd_err,
    output logic [63:0]         stg_we,
    output logic [2047:0]       stg_wdata,
    // events and engine-wide drops
    output logic                ev_valid,
    output logic [3:0]          ev_type,
    output logic [15:0]         ev_sa,
    output logic                gdrop_valid,
    output logic [3:0]          gdrop_status
);

`include "ipsecfx_contract.svh"

  localparam int NB_W = 11;

  if (SA_BITS < 1 || SA_BITS > 16 || BUF_W < 11 || BUF_W > 16 || CT_W < 5 || CT_W > 12)
  begin : g_check
    $error("esp_encap: SA_BITS 1..16, BUF_W 11..16 (two largest packets), CT_W 5..12");
  end
  if (IPX_TUSER_IN_W != 48 || IPX_TUSER_OUT_W != 28) begin : g_check_tuser
    $error("esp_encap: side-channel widths changed");
  end

  // ---- input buffer
  logic             d_valid, d_ready, d_bad;
  logic [BUF_W:0]   d_start, d_beats;
  logic [15:0]      d_len;
  logic [47:0]      d_user;
  logic [127:0]     d_hdr;
  logic             rd_en, rel_en;
  logic [BUF_W-1:0] rd_addr;
  logic [127:0]     rd_data;
  logic [BUF_W:0]   rel_ptr;

  pkt_buffer #(
      .BUF_W(BUF_W), .MAX_BEATS(32'(IPX_MAX_PKT_LEN) / 16), .HDR_BEATS(1), .USER_W(48)
  ) u_buf (
      .clk(clk), .rst(rst),
      .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tkeep), .s_axis_tvalid(s_axis_tvalid),
      .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast), .s_axis_tuser(s_axis_tuser),
      .d_valid(d_valid), .d_ready(d_ready), .d_start(d_start), .d_beats(d_beats),
      .d_len(d_len), .d_bad(d_bad), .d_user(d_user), .d_hdr(d_hdr),
      .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data),
      .rel_en(rel_en), .rel_ptr(rel_ptr));

  // ---- host commands: drop counters to drop_ctr, the rest to admission
  logic ctr_op;
  assign ctr_op = (cmd_op == IPX_CMD_READ_CTR || cmd_op == IPX_CMD_WRITE_CTR) &&
                  (32'(cmd_index) >> SA_BITS) == 32'd0;  // cmd_index < 2**SA_BITS
  // the routing in flip-flops: a command reaches its unit the cycle after
  // cmd_valid rises (cmd_op and cmd_index hold while cmd_valid is up) and
  // leaves it with cmd_valid, which falls the cycle after cmd_done
  logic cmd_a, cmd_c;
  always_ff @(posedge clk) begin
    cmd_a <= cmd_valid && !ctr_op && !cmd_done;
    cmd_c <= cmd_valid && ctr_op && !cmd_done;
    if (rst) begin
      cmd_a <= 1'b0;
      cmd_c <= 1'b0;
    end
  end

  logic          a_done, a_err, c_done;
  logic [63:0]   a_stg_we;
  logic [2047:0] a_stg_wdata;
  logic          c_rd_valid;
  logic [3:0]    c_rd_idx;
  logic [63:0]   c_rd_data;

  // ---- admission
  logic              wo_valid, wo_room;
  logic [`EWO_W-1:0] wo_data;
  logic              drop_valid, drop_room, ev_in_valid, ev_room;
  logic [SA_BITS-1:0] drop_sa, ev_in_sa;
  logic [3:0]        drop_status, ev_flags;
  logic              kw_en;
  logic [4:0]        kw_slot;
  logic [SA_BITS-1:0] kw_sa;
  logic [127:0]      kw_data;

  encap_admit #(.SA_BITS(SA_BITS), .BUF_W(BUF_W)) u_admit (
      .clk(clk), .rst(rst),
      .d_valid(d_valid), .d_ready(d_ready), .d_start(d_start), .d_beats(d_beats),
      .d_len(d_len), .d_bad(d_bad), .d_user(d_user), .d_hdr(d_hdr),
      .wo_valid(wo_valid), .wo_room(wo_room), .wo_data(wo_data),
      .drop_valid(drop_valid), .drop_room(drop_room), .drop_sa(drop_sa),
      .drop_status(drop_status), .gdrop_valid(gdrop_valid), .gdrop_status(gdrop_status),
      .ev_valid(ev_in_valid), .ev_room(ev_room), .ev_flags(ev_flags), .ev_sa(ev_in_sa),
      .cmd_valid(cmd_a), .cmd_op(cmd_op), .cmd_index(cmd_index),
      .cmd_slot(cmd_slot), .cmd_stg(cmd_stg), .cmd_done(a_done), .cmd_err(a_err),
      .stg_we(a_stg_we), .stg_wdata(a_stg_wdata),
      .kw_en(kw_en), .kw_slot(kw_slot), .kw_sa(kw_sa), .kw_data(kw_data));

  // ---- work orders to the issuer, and through the checksum to the assembler
  logic              iwo_valid, iwo_ready;
  logic [`EWO_W-1:0] iwo_data;
  logic [4:0]        iwo_count, awo_count;
  logic              iwo_in_ready_unused, awo_in_ready_unused;

  sync_fifo #(.WIDTH(`EWO_W), .DEPTH_W(4)) u_iwo (
      .clk(clk), .rst(rst),
      .in_valid(wo_valid), .in_ready(iwo_in_ready_unused), .in_data(wo_data),
      .out_valid(iwo_valid), .out_ready(iwo_ready), .out_data(iwo_data), .count(iwo_count));

  logic              cs_valid;
  logic [15:0]       cs_csum;
  logic [`EWO_W-1:0] cs_wo;
  ipv4_csum #(.PASS_W(`EWO_W)) u_csum (
      .clk(clk), .rst(rst), .in_valid(wo_valid),
      .in_hdr({wo_data[`EWO_DST +: 32], wo_data[`EWO_SRC +: 32], 16'h0000,
               wo_data[`EWO_TTL +: 8], wo_data[`EWO_UDP] ? 8'd17 : 8'd50,
               wo_data[`EWO_DF] ? 16'h4000 : 16'h0000, wo_data[`EWO_SEQ +: 16],
               wo_data[`EWO_TOT +: 16], 8'h45, wo_data[`EWO_TOS +: 8]}),
      .in_pass(wo_data), .out_valid(cs_valid), .out_csum(cs_csum), .out_pass(cs_wo));

  logic                 awo_valid, awo_ready;
  logic [`EWO_W+15:0]   awo_data;
  sync_fifo #(.WIDTH(`EWO_W + 16), .DEPTH_W(4)) u_awo (
      .clk(clk), .rst(rst),
      .in_valid(cs_valid), .in_ready(awo_in_ready_unused), .in_data({cs_csum, cs_wo}),
      .out_valid(awo_valid), .out_ready(awo_ready), .out_data(awo_data), .count(awo_count));

  // room for this one and the ones in the checksum pipeline (6) and C4
  assign wo_room = iwo_count < 5'd8 && awo_count < 5'd8;

  // ---- crypto
  logic               s_valid, s_sop;
  logic [2:0]         s_kind;
  logic [127:0]       s_ctr, s_data;
  logic [4:0]         s_nbytes;
  logic [NB_W-1:0]    s_n;
  logic [SA_BITS-1:0] s_sa;
  logic [1:0]         s_nr;
  logic               ct_pop, tag_pop;

  encap_issue #(
      .SA_BITS(SA_BITS), .BUF_W(BUF_W), .NB_W(NB_W), .CT_CREDIT(2 ** CT_W), .TAG_CREDIT(16)
  ) u_issue (
      .clk(clk), .rst(rst),
      .wo_valid(iwo_valid), .wo_ready(iwo_ready), .wo_data(iwo_data),
      .rd_en(rd_en), .rd_addr(rd_addr), .rd_data(rd_data), .rel_en(rel_en), .rel_ptr(rel_ptr),
      .s_valid(s_valid), .s_kind(s_kind), .s_ctr(s_ctr), .s_data(s_data), .s_nbytes(s_nbytes),
      .s_sop(s_sop), .s_n(s_n), .s_sa(s_sa), .s_nr(s_nr),
      .ct_pop(ct_pop), .tag_pop(tag_pop));

  logic         d_out_valid, t_valid;
  logic [127:0] d_out_data, t_tag;
  logic         d_user_unused;
  gcm_pipe #(.SA_BITS(SA_BITS), .NB_W(NB_W), .USER_W(1)) u_gcm (
      .clk(clk), .rst(rst),
      .s_valid(s_valid), .s_kind(s_kind), .s_ctr(s_ctr), .s_data(s_data), .s_nbytes(s_nbytes),
      .s_sop(s_sop), .s_n(s_n), .s_sa(s_sa), .s_nr(s_nr), .s_dec(1'b0), .s_user(1'b0),
      .d_valid(d_out_valid), .d_data(d_out_data), .d_user(d_user_unused),
      .t_valid(t_valid), .t_tag(t_tag),
      .kw_en(kw_en), .kw_slot(kw_slot), .kw_sa(kw_sa), .kw_data(kw_data));

  logic         ct_valid, tag_valid, ct_in_ready_unused, tag_in_ready_unused;
  logic [127:0] ct_data, tag_data;
  fifo_ram #(.WIDTH(128), .ADDR_W(CT_W)) u_ct (
      .clk(clk), .rst(rst),
      .in_valid(d_out_valid), .in_ready(ct_in_ready_unused), .in_data(d_out_data),
      .out_valid(ct_valid), .out_ready(ct_pop), .out_data(ct_data));
  fifo_ram #(.WIDTH(128), .ADDR_W(4)) u_tag (
      .clk(clk), .rst(rst),
      .in_valid(t_valid), .in_ready(tag_in_ready_unused), .in_data(t_tag),
      .out_valid(tag_valid), .out_ready(tag_pop), .out_data(tag_data));

  // ---- output
  encap_assemble u_asm (
      .clk(clk), .rst(rst),
      .wo_valid(awo_valid), .wo_ready(awo_ready), .wo_data(awo_data[`EWO_W-1:0]),
      .wo_csum(awo_data[`EWO_W +: 16]),
      .ct_valid(ct_valid), .ct_ready(ct_pop), .ct_data(ct_data),
      .tag_valid(tag_valid), .tag_ready(tag_pop), .tag_data(tag_data),
      .m_axis_tdata(m_axis_tdata), .m_axis_tkeep(m_axis_tkeep), .m_axis_tvalid(m_axis_tvalid),
      .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast), .m_axis_tuser(m_axis_tuser));

  // ---- drop counters and events
  drop_ctr #(.SA_BITS(SA_BITS)) u_drops (
      .clk(clk), .rst(rst),
      .inc_valid(drop_valid), .inc_ready(drop_room), .inc_sa(drop_sa), .inc_status(drop_status),
      .cmd_valid(cmd_c), .cmd_write(cmd_op == IPX_CMD_WRITE_CTR),
      .cmd_sa(cmd_index[SA_BITS-1:0]),
      .cmd_wdata(cmd_stg[IPX_F_CTR_DROPS_LSB +: 1024]), .cmd_done(c_done),
      .rd_valid(c_rd_valid), .rd_idx(c_rd_idx), .rd_data(c_rd_data));

  logic [15:0] evq_sa;
  event_queue #(
      .NFLAGS(4),
      .TYPES({IPX_EV_HARD_LIFETIME, IPX_EV_SOFT_LIFETIME, IPX_EV_SEQ_NEAR_EXHAUSTION,
              IPX_EV_SEQ_EXHAUSTED}),
      .SA_W(16)
  ) u_ev (
      .clk(clk), .rst(rst),
      .in_valid(ev_in_valid), .in_ready(ev_room), .in_flags(ev_flags), .in_sa(16'(ev_in_sa)),
      .ev_valid(ev_valid), .ev_type(ev_type), .ev_sa(evq_sa));
  assign ev_sa = evq_sa;

  // ---- command completion and staging write-back
  always_comb begin
    cmd_done  = a_done || c_done;
    cmd_err   = a_done && a_err;
    stg_we    = a_stg_we;
    stg_wdata = a_stg_wdata;
    if (c_rd_valid) begin
      for (int k = 0; k < 16; k++)
        if (c_rd_idx == 4'(k)) stg_we[IPX_F_CTR_DROPS_LSB / 32 + 2 * k +: 2] = 2'b11;
      stg_wdata[IPX_F_CTR_DROPS_LSB +: 1024] = {16{c_rd_data}};
    end
  end

  // widths that some FIFOs report but the credit scheme makes unneeded
  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = ^{iwo_in_ready_unused, awo_in_ready_unused, ct_in_ready_unused,
                       tag_in_ready_unused, d_user_unused};
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
