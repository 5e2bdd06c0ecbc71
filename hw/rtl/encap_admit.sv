`include "esp_encap_wo.svh"

// Outbound admission: one packet at a time from the input buffer's
// descriptors, against the SA table.  It checks the packet in the order of
// docs/esp-format.md and the software engine (BAD_SA, framing, SA_EXPIRED,
// SEQ_EXHAUSTED, MALFORMED, TOO_BIG, NO_ROOM), takes the SA's next sequence
// number, counts packets and bytes, applies the lifetimes and raises
// events, and hands a work order for every packet to the issuer (crypto)
// and the assembler (output).  All of an SA's state is read, updated and
// written back within one packet's five cycles, so back-to-back packets of
// one SA see each other's updates.
//
// It also owns the outbound SA configuration and state RAMs and carries out
// the host's SA-table commands on them and on the key slots.
`default_nettype none

module encap_admit #(
    parameter int SA_BITS = 12,   // log2 of the number of SAs
    parameter int BUF_W   = 11    // input buffer address bits
) (
    input  wire logic                clk,
    input  wire logic                rst,
    // packet descriptors (pkt_buffer)
    input  wire logic                d_valid,
    output logic                     d_ready,
    input  wire logic [BUF_W:0]      d_start,
    input  wire logic [BUF_W:0]      d_beats,
    input  wire logic [15:0]         d_len,
    input  wire logic                d_bad,
    input  wire logic [47:0]         d_user,   // TU_IN_* fields
    input  wire logic [127:0]        d_hdr,    // first beat, AXIS lane order
    // work orders
    output logic                     wo_valid,
    input  wire logic                wo_room,  // both consumers can take one
    output logic [`EWO_W-1:0]        wo_data,
    // per-SA drop counting and engine-wide drops
    output logic                     drop_valid,
    input  wire logic                drop_room,
    output logic [SA_BITS-1:0]       drop_sa,
    output logic [3:0]               drop_status,
    output logic                     gdrop_valid,
    output logic [3:0]               gdrop_status,
    // events: flags {hard, soft, near exhaustion, exhausted}
    output logic                     ev_valid,
    input  wire logic                ev_room,
    output logic [3:0]               ev_flags,
    output logic [SA_BITS-1:0]       ev_sa,
    // host SA-table commands (CFG, STATE, KEY ops)
    input  wire logic                cmd_valid,
    input  wire logic [3:0]          cmd_op,
    input  wire logic [15:0]         cmd_index,
    input  wire logic [4:0]          cmd_slot,
    input  wire logic [2047:0]       cmd_stg,
    output logic                     cmd_done,
    output logic                     cmd_err,
    output logic [63:0]              stg_we,
    output logic [2047:0]            stg_wdata,
    // key slots
    output logic                     kw_en,
    output logic [4:0]               kw_slot,
    output logic [SA_BITS-1:0]       kw_sa,
    output logic [127:0]             kw_data
);

`include "ipsecfx_contract.svh"
`include "ipsecfx_func.svh"

  if (SA_BITS < 1 || SA_BITS > 16 || BUF_W < 4) begin : g_check
    $error("encap_admit: SA_BITS 1..16, BUF_W >= 4");
  end
  if (IPX_STAGING_WORDS != 64) begin : g_check_stg
    $error("encap_admit: staging is 64 words");
  end

  // ---- SA configuration (host-written) and state (updated per packet)
  // cfg: {hard_pkts, hard_bytes, soft_pkts, soft_bytes, dport, sport, dst,
  //       src, salt, spi, ttl, df, udp, esn, nr, valid}
  localparam int CFG_W = 4 * 64 + 16 + 16 + 32 * 4 + 8 + 2 + 1 + 1 + 2 + 1;
  // state: {hard_exp, soft_exp, warned, exhausted, bytes, packets, seq}
  localparam int ST_W = 3 * 64 + 4;

  logic               cfg_we, st_we, cfg_re, st_re;
  logic [SA_BITS-1:0] cfg_waddr, st_waddr, rd_addr;
  logic [CFG_W-1:0]   cfg_wdata, cfg_q;
  logic [ST_W-1:0]    st_wdata, st_q;

  ram_sdp #(.WIDTH(CFG_W), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 10)) u_cfg (
      .clk(clk), .we(cfg_we), .waddr(cfg_waddr), .wdata(cfg_wdata),
      .re(cfg_re), .raddr(rd_addr), .rdata(cfg_q));
  ram_sdp #(.WIDTH(ST_W), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 10)) u_state (
      .clk(clk), .we(st_we), .waddr(st_waddr), .wdata(st_wdata),
      .re(st_re), .raddr(rd_addr), .rdata(st_q));

  logic [63:0] c_hard_pkts, c_hard_bytes, c_soft_pkts, c_soft_bytes;
  logic [15:0] c_dport, c_sport;
  logic [31:0] c_dst, c_src, c_salt, c_spi;
  logic [7:0]  c_ttl;
  logic [1:0]  c_df, c_nr;
  logic        c_udp, c_esn, c_valid;
  assign {c_hard_pkts, c_hard_bytes, c_soft_pkts, c_soft_bytes, c_dport, c_sport, c_dst,
          c_src, c_salt, c_spi, c_ttl, c_df, c_udp, c_esn, c_nr, c_valid} = cfg_q;

  logic        s_hard, s_soft, s_warned, s_exh;
  logic [63:0] s_bytes, s_pkts, s_seq;
  assign {s_hard, s_soft, s_warned, s_exh, s_bytes, s_pkts, s_seq} = st_q;

  // staging fields
  logic [63:0]  f_hard_pkts, f_hard_bytes, f_soft_pkts, f_soft_bytes;
  logic [15:0]  f_dport, f_sport;
  logic [31:0]  f_dst, f_src, f_salt, f_spi;
  logic [7:0]   f_ttl;
  logic [1:0]   f_df;
  logic         f_udp, f_esn, f_valid;
  logic [3:0]   f_cipher;
  logic [63:0]  f_seq, f_pkts, f_bytes;
  logic         f_exh, f_warned, f_soft, f_hard;
  logic [127:0] f_key;
  assign f_hard_pkts  = cmd_stg[IPX_F_CFG_HARD_PKTS_LSB +: 64];
  assign f_hard_bytes = cmd_stg[IPX_F_CFG_HARD_BYTES_LSB +: 64];
  assign f_soft_pkts  = cmd_stg[IPX_F_CFG_SOFT_PKTS_LSB +: 64];
  assign f_soft_bytes = cmd_stg[IPX_F_CFG_SOFT_BYTES_LSB +: 64];
  assign f_dport      = cmd_stg[IPX_F_CFG_DPORT_LSB +: 16];
  assign f_sport      = cmd_stg[IPX_F_CFG_SPORT_LSB +: 16];
  assign f_dst        = cmd_stg[IPX_F_CFG_DST_LSB +: 32];
  assign f_src        = cmd_stg[IPX_F_CFG_SRC_LSB +: 32];
  assign f_salt       = cmd_stg[IPX_F_CFG_SALT_LSB +: 32];
  assign f_spi        = cmd_stg[IPX_F_CFG_SPI_LSB +: 32];
  assign f_ttl        = cmd_stg[IPX_F_CFG_TTL_LSB +: 8];
  assign f_df         = cmd_stg[IPX_F_CFG_DF_LSB +: 2];
  assign f_udp        = cmd_stg[IPX_F_CFG_UDP_LSB];
  assign f_esn        = cmd_stg[IPX_F_CFG_ESN_LSB];
  assign f_valid      = cmd_stg[IPX_F_CFG_VALID_LSB];
  assign f_cipher     = cmd_stg[IPX_F_CFG_CIPHER_LSB +: 4];
  assign f_seq        = cmd_stg[IPX_F_ST_SEQ_LSB +: 64];
  assign f_pkts       = cmd_stg[IPX_F_ST_PACKETS_LSB +: 64];
  assign f_bytes      = cmd_stg[IPX_F_ST_BYTES_LSB +: 64];
  assign f_exh        = cmd_stg[IPX_F_ST_SEQ_EXHAUSTED_LSB];
  assign f_warned     = cmd_stg[IPX_F_ST_SEQ_WARNED_LSB];
  assign f_soft       = cmd_stg[IPX_F_ST_SOFT_EXPIRED_LSB];
  assign f_hard       = cmd_stg[IPX_F_ST_HARD_EXPIRED_LSB];
  assign f_key        = cmd_stg[IPX_F_KEY_LSB +: 128];

  // the transforms the pipeline runs, and their AES key size code
  logic       stg_supported;
  logic [1:0] stg_nr;
  always_comb begin
    stg_supported = 1'b1;
    stg_nr = 2'd0;
    case (f_cipher)
      IPX_CIPHER_AES128GCM16: stg_nr = 2'd0;
      IPX_CIPHER_AES192GCM16: stg_nr = 2'd1;
      IPX_CIPHER_AES256GCM16: stg_nr = 2'd2;
      default: stg_supported = 1'b0;
    endcase
  end

  // ---- the packet being admitted
  typedef enum logic [3:0] {
    S_IDLE, S_C1, S_C2, S_C3, S_C4, S_HREAD, S_HCLEAR, S_HDONE
  } state_t;
  state_t state_reg;

  logic [BUF_W:0]  p_start, p_beats;
  logic [15:0]     p_len, p_head, p_tail;
  logic            p_bad, p_oob;
  logic [SA_BITS-1:0] p_sa;
  logic [127:0]    p_hdr;

  // inner header (AXIS lanes: byte k at [8k +: 8])
  logic [7:0]  hb[16];
  always_comb for (int k = 0; k < 16; k++) hb[k] = p_hdr[8*k +: 8];
  logic        v4, v6;
  logic [5:0]  ihl4;
  logic [15:0] tot4, pl6;
  logic [7:0]  tos;
  logic        inner_df;
  always_comb begin
    v4 = hb[0][7:4] == 4'd4;
    v6 = hb[0][7:4] == 4'd6;
    ihl4 = {hb[0][3:0], 2'b00};
    tot4 = {hb[2], hb[3]};
    pl6 = {hb[4], hb[5]};
    tos = v6 ? {hb[0][3:0], hb[1][7:4]} : hb[1];
    inner_df = v6 || hb[6][6];
  end

  // C1 results
  logic        r_len20, r_len40, r_ihl20, r_ihl_le, r_tot_ge, r_tot_le, r_head_ok;
  logic [16:0] r_tot6;
  logic [63:0] r_seq_inc, r_pk_inc;
  logic [3:0]  r_seq_ones;        // 16-bit chunks of the sequence number all ones
  logic [47:0] r_bhi_inc;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] bhi_inc64;   // 48 bits wanted
  /* verilator lint_on UNUSEDSIGNAL */
  assign bhi_inc64 = inc64({16'b0, s_bytes[63:16]});
  logic        r_seq_max;
  // C2 results
  logic        r_malformed, r_too_big;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [16:0] r_plen;      // beyond 14 bits only for the TOO_BIG check
  /* verilator lint_on UNUSEDSIGNAL */
  logic [16:0] r_need;
  logic [16:0] r_blo;
  logic [63:0] r_seq_new;
  logic [63:0] bytes_new;
  assign bytes_new = {r_blo[16] ? r_bhi_inc : s_bytes[63:16], r_blo[15:0]};
  // C3 results
  logic [3:0]  r_status;
  logic [63:0] r_bytes_new;
  logic        r_warn;
  logic [7:0]  r_cmp_sb, r_cmp_sp, r_cmp_hb, r_cmp_hp;
  logic        r_nz_sb, r_nz_sp, r_nz_hb, r_nz_hp;
  logic [13:0] r_ptlen;
  logic [1:0]  r_padlen;

  logic [5:0]  hdr_bytes;   // outer header in front of the ciphertext
  assign hdr_bytes = c_udp ? 6'd44 : 6'd36;

  localparam int WARN32 = $clog2(IPX_SEQ_SOFT_MARGIN_32);
  localparam int WARN64 = $clog2(IPX_SEQ_SOFT_MARGIN_64);
  if ((64'd1 << WARN32) != IPX_SEQ_SOFT_MARGIN_32 || (64'd1 << WARN64) != IPX_SEQ_SOFT_MARGIN_64 ||
      WARN32 >= 32 || WARN64 >= 64) begin : g_check_margin
    $error("encap_admit: the sequence-number margins must be powers of two");
  end

  // the decision, C4
  logic soft_hit, hard_hit, ok;
  always_comb begin
    ok = r_status == IPX_ST_OK;
    soft_hit = !s_soft && ((r_nz_sb && cmp64_ge(r_cmp_sb)) || (r_nz_sp && cmp64_ge(r_cmp_sp)));
    hard_hit = !s_hard && ((r_nz_hb && cmp64_ge(r_cmp_hb)) || (r_nz_hp && cmp64_ge(r_cmp_hp)));
  end

  logic start;
  assign start = state_reg == S_IDLE && !(cmd_valid && !cmd_done) && d_valid && wo_room &&
                 drop_room && ev_room;
  assign d_ready = start;

  logic [4:0] clr_reg;

  always_comb begin
    rd_addr = start ? d_user[IPX_F_TU_IN_SA_LSB +: SA_BITS] : cmd_index[SA_BITS-1:0];
    cfg_re = start;
    st_re = start || (state_reg == S_IDLE && cmd_valid && !cmd_done && cmd_op == IPX_CMD_READ_STATE);
  end

  // host command decode
  logic cmd_new, cmd_oob;
  assign cmd_new = state_reg == S_IDLE && cmd_valid && !cmd_done;
  assign cmd_oob = cmd_index >= 16'(2 ** SA_BITS);

  always_comb begin
    cfg_we = 1'b0;
    cfg_waddr = cmd_index[SA_BITS-1:0];
    cfg_wdata = {f_hard_pkts, f_hard_bytes, f_soft_pkts, f_soft_bytes, f_dport, f_sport,
                 f_dst, f_src, f_salt, f_spi, f_ttl, f_df, f_udp, f_esn, stg_nr,
                 f_valid && stg_supported};
    st_we = 1'b0;
    st_waddr = cmd_index[SA_BITS-1:0];
    st_wdata = {f_hard, f_soft, f_warned, f_exh, f_bytes, f_pkts, f_seq};
    kw_en = 1'b0;
    kw_slot = cmd_slot;
    kw_sa = cmd_index[SA_BITS-1:0];
    kw_data = f_key;
    if (cmd_new && !cmd_oob) begin
      case (cmd_op)
        IPX_CMD_WRITE_CFG: cfg_we = stg_supported || !f_valid;
        IPX_CMD_WRITE_STATE: st_we = 1'b1;
        IPX_CMD_WRITE_KEY: kw_en = cmd_slot < 5'(IPX_KEY_SLOTS);
        default: ;
      endcase
    end
    if (state_reg == S_HCLEAR) begin
      kw_en = 1'b1;
      kw_slot = clr_reg;
      kw_data = '0;
    end
    if (state_reg == S_C4 && ok) begin
      st_we = 1'b1;
      st_waddr = p_sa;
      st_wdata = {s_hard || hard_hit, s_soft || soft_hit, s_warned || r_warn, s_exh || r_seq_max,
                  r_bytes_new, r_pk_inc, r_seq_new};
    end
  end

  // ---- the packet and command sequencer
  always_ff @(posedge clk) begin
    cmd_done   <= 1'b0;
    stg_we     <= '0;
    wo_valid   <= 1'b0;
    drop_valid <= 1'b0;
    gdrop_valid <= 1'b0;
    ev_valid   <= 1'b0;
    case (state_reg)
      S_IDLE: begin
        if (cmd_new) begin
          cmd_err <= 1'b0;
          if (cmd_oob) begin
            cmd_err <= 1'b1;
            state_reg <= S_HDONE;
          end else begin
            case (cmd_op)
              IPX_CMD_WRITE_CFG: begin
                cmd_err <= !cfg_we;
                state_reg <= S_HDONE;
              end
              IPX_CMD_WRITE_STATE: state_reg <= S_HDONE;
              IPX_CMD_READ_STATE: state_reg <= S_HREAD;
              IPX_CMD_WRITE_KEY: begin
                cmd_err <= !kw_en;
                state_reg <= S_HDONE;
              end
              IPX_CMD_CLEAR_KEYS: begin
                clr_reg <= '0;
                state_reg <= S_HCLEAR;
              end
              default: begin
                cmd_err <= 1'b1;
                state_reg <= S_HDONE;
              end
            endcase
          end
        end else if (start) begin
          p_start <= d_start;
          p_beats <= d_beats;
          p_len   <= d_len;
          p_bad   <= d_bad;
          p_sa    <= d_user[IPX_F_TU_IN_SA_LSB +: SA_BITS];
          p_oob   <= d_user[IPX_F_TU_IN_SA_LSB +: IPX_F_TU_IN_SA_W] >= 16'(2 ** SA_BITS);
          p_head  <= d_user[IPX_F_TU_IN_HEADROOM_LSB +: 16];
          p_tail  <= d_user[IPX_F_TU_IN_TAILROOM_LSB +: 16];
          p_hdr   <= d_hdr;
          state_reg <= S_C1;
        end
      end
      S_C1: begin
        r_len20   <= p_len >= 16'd20;
        r_len40   <= p_len >= 16'd40;
        r_ihl20   <= ihl4 >= 6'd20;
        r_ihl_le  <= {10'b0, ihl4} <= p_len;
        r_tot_ge  <= tot4 >= {10'b0, ihl4};
        r_tot_le  <= tot4 <= p_len;
        r_tot6    <= 17'd40 + {1'b0, pl6};
        r_head_ok <= p_head >= {10'b0, hdr_bytes};
        r_seq_inc <= inc64(s_seq);
        for (int k = 0; k < 4; k++) r_seq_ones[k] <= &s_seq[16*k +: 16];
        r_pk_inc  <= inc64(s_pkts);
        r_bhi_inc <= bhi_inc64[47:0];
        state_reg <= S_C2;
      end
      S_C2: begin
        r_malformed <= !((v4 && r_len20 && r_ihl20 && r_ihl_le && r_tot_ge && r_tot_le) ||
                         (v6 && r_len40 && r_tot6 <= {1'b0, p_len}));
        r_plen    <= v4 ? {1'b0, tot4} : r_tot6;
        r_too_big <= (v4 ? {1'b0, tot4} : r_tot6) > 17'(IPX_MAX_PKT_LEN);
        // tailroom needed: packet, worst padding, pad length, next header, ICV
        r_need    <= (v4 ? {1'b0, tot4} : r_tot6) + 17'(4 - 1 + 2 + IPX_ICV_LEN);
        r_blo     <= {1'b0, s_bytes[15:0]} + {3'b0, (v4 ? tot4[13:0] : r_tot6[13:0])};
        // the last number: all ones (32 or 64 bits)
        r_seq_max <= c_esn ? &r_seq_ones : &r_seq_ones[1:0];
        r_seq_new <= (c_esn ? &r_seq_ones : &r_seq_ones[1:0]) ? s_seq : r_seq_inc;
        state_reg <= S_C3;
      end
      S_C3: begin
        if (!c_valid || p_oob) r_status <= IPX_ST_BAD_SA;
        else if (p_bad) r_status <= IPX_ST_MALFORMED;
        else if (s_hard) r_status <= IPX_ST_SA_EXPIRED;
        else if (s_exh) r_status <= IPX_ST_SEQ_EXHAUSTED;
        else if (r_malformed) r_status <= IPX_ST_MALFORMED;
        else if (r_too_big) r_status <= IPX_ST_TOO_BIG;
        else if (!r_head_ok || {1'b0, p_tail} < r_need) r_status <= IPX_ST_NO_ROOM;
        else r_status <= IPX_ST_OK;
        r_bytes_new <= bytes_new;
        r_warn <= !s_warned && (c_esn ? &r_seq_new[63:WARN64] : &r_seq_new[31:WARN32]);
        r_cmp_sp <= cmp64_step(r_pk_inc, c_soft_pkts);
        r_cmp_hp <= cmp64_step(r_pk_inc, c_hard_pkts);
        r_cmp_sb <= cmp64_step(bytes_new, c_soft_bytes);
        r_cmp_hb <= cmp64_step(bytes_new, c_hard_bytes);
        r_nz_sb <= c_soft_bytes != '0;
        r_nz_sp <= c_soft_pkts != '0;
        r_nz_hb <= c_hard_bytes != '0;
        r_nz_hp <= c_hard_pkts != '0;
        // ESP payload: the packet, padding to 4 bytes, pad length, next header
        r_padlen <= 2'(2'd2 - r_plen[1:0]);
        r_ptlen  <= r_plen[13:0] + 14'd2 + 14'(2'(2'd2 - r_plen[1:0]));
        state_reg <= S_C4;
      end
      S_C4: begin
        wo_valid <= 1'b1;
        if (r_status == IPX_ST_BAD_SA) begin
          gdrop_valid  <= 1'b1;
          gdrop_status <= r_status;
        end else if (!ok) begin
          drop_valid  <= 1'b1;
          drop_sa     <= p_sa;
          drop_status <= r_status;
        end
        ev_valid <= ok;
        ev_flags <= {hard_hit, soft_hit, r_warn, r_seq_max};
        ev_sa    <= p_sa;
        state_reg <= S_IDLE;
      end
      S_HREAD: state_reg <= S_HDONE;  // the state word arrives; copied below
      S_HCLEAR: begin
        clr_reg <= clr_reg + 1'b1;
        if (clr_reg == 5'(IPX_KEY_SLOTS - 1)) state_reg <= S_HDONE;
      end
      S_HDONE: begin
        cmd_done  <= 1'b1;
        state_reg <= S_IDLE;
      end
      default: state_reg <= S_IDLE;
    endcase
    if (state_reg == S_HREAD) begin
      stg_we[IPX_F_ST_SEQ_LSB / 32 +: 7] <= '1;
      stg_wdata <= '0;
      stg_wdata[IPX_F_ST_SEQ_LSB +: 64] <= s_seq;
      stg_wdata[IPX_F_ST_PACKETS_LSB +: 64] <= s_pkts;
      stg_wdata[IPX_F_ST_BYTES_LSB +: 64] <= s_bytes;
      stg_wdata[IPX_F_ST_SEQ_EXHAUSTED_LSB] <= s_exh;
      stg_wdata[IPX_F_ST_SEQ_WARNED_LSB] <= s_warned;
      stg_wdata[IPX_F_ST_SOFT_EXPIRED_LSB] <= s_soft;
      stg_wdata[IPX_F_ST_HARD_EXPIRED_LSB] <= s_hard;
    end
    if (rst) begin
      state_reg  <= S_IDLE;
      cmd_done   <= 1'b0;
      cmd_err    <= 1'b0;
      wo_valid   <= 1'b0;
      drop_valid <= 1'b0;
      gdrop_valid <= 1'b0;
      ev_valid   <= 1'b0;
    end
  end

  // ---- the work order (esp_encap_wo.svh): registered in C4
  always_ff @(posedge clk) begin
    if (state_reg == S_C4) begin
      wo_data <= '0;
      wo_data[`EWO_STATUS +: 4]    <= r_status;
      wo_data[`EWO_SA +: 16]       <= 16'(p_sa);
      wo_data[`EWO_START +: 17]    <= 17'(p_start);
      wo_data[`EWO_BEATS +: 17]    <= 17'(p_beats);
      wo_data[`EWO_PLEN +: 14]     <= r_plen[13:0];
      wo_data[`EWO_PTLEN +: 14]    <= r_ptlen;
      wo_data[`EWO_PADLEN +: 2]    <= r_padlen;
      wo_data[`EWO_NH +: 8]        <= v6 ? 8'd41 : 8'd4;
      wo_data[`EWO_NR +: 2]        <= c_nr;
      wo_data[`EWO_ESN]            <= c_esn;
      wo_data[`EWO_UDP]            <= c_udp;
      wo_data[`EWO_DF]           <= c_df == IPX_DF_SET || (c_df == IPX_DF_COPY && inner_df);
      wo_data[`EWO_TOS +: 8]       <= tos;
      wo_data[`EWO_TTL +: 8]       <= c_ttl;
      wo_data[`EWO_SEQ +: 64]      <= s_seq;
      wo_data[`EWO_SPI +: 32]      <= c_spi;
      wo_data[`EWO_SALT +: 32]     <= c_salt;
      wo_data[`EWO_SRC +: 32]      <= c_src;
      wo_data[`EWO_DST +: 32]      <= c_dst;
      wo_data[`EWO_SPORT +: 16]    <= c_sport;
      wo_data[`EWO_DPORT +: 16]    <= c_dport;
      // outer lengths: IPv4 20, UDP 8, ESP header 8, IV 8, payload, ICV
      wo_data[`EWO_TOT +: 16]    <= 16'(r_ptlen) + (c_udp ? 16'd60 : 16'd52);
      wo_data[`EWO_ULEN +: 16]   <= 16'(r_ptlen) + 16'd40;
    end
  end

`ifndef SYNTHESIS
  // Invariants of the SA table (simulation only, --assert).  The sequence
  // number is the GCM IV: a packet that goes out takes the SA's next number
  // and the number written back is past it, or the SA is marked exhausted
  // and sends nothing more; an exhausted or expired SA sends nothing.
  always_ff @(posedge clk) begin
    if (!rst && state_reg == S_C4 && ok) begin
      a_seq_once : assert (r_seq_max ? r_seq_new == s_seq : r_seq_new == inc64(s_seq))
      else $error("encap_admit: SA %0d sends sequence number %h and writes back %h", p_sa,
                  s_seq, r_seq_new);
      a_seq_live : assert (!s_exh && !s_hard)
      else $error("encap_admit: SA %0d sends from an exhausted or expired SA", p_sa);
    end
  end
`endif

endmodule

`default_nettype wire
