// Inbound commit: every packet, in arrival order, gets its final status
// here, from the SA state as it is now (earlier packets of the SA already
// committed), in the order of docs/esp-format.md: SA_EXPIRED, MALFORMED
// (length), REPLAYED (re-checked), AUTH_FAILED; then the window is updated
// (the ICV verified), then BAD_PADDING, DUMMY, BAD_NEXT_HEADER, MALFORMED
// (inner header).  It counts packets and clear bytes, applies the
// lifetimes, raises events and counts drops, and tells the output stage
// what to send.  It owns the inbound state and replay-window RAMs (the
// admission stage reads them through port B) and runs the host's STATE
// and WIN commands.
//
// Window: a ring of NW 64-bit words per SA, bit b of word (s >> 6) mod NW
// for sequence number s (RFC 6479).  Moving the top clears the words it
// passes, one write per cycle.
`default_nettype none

`include "esp_decap_wo.svh"

module decap_commit #(
    parameter int SA_BITS = 12,
    parameter int NW      = 32
) (
    input  wire logic                clk,
    input  wire logic                rst,
    input  wire logic                co_valid,
    output logic                     co_ready,
    input  wire logic [`DCO_W-1:0]   co_data,
    // crypto results of DK_CRYPTO packets, in order
    input  wire logic                tr_valid,
    output logic                     tr_ready,
    input  wire logic [56:0]         tr_data,   // {pad_ok, padlen, nh, b0, w1, w2}
    input  wire logic                tg_valid,
    output logic                     tg_ready,
    input  wire logic                tg_ok,
    // configuration (decap_admit, port B)
    output logic                     cfg_en,
    output logic [SA_BITS-1:0]       cfg_addr,
    input  wire logic [`DCFG_W-1:0]  cfg_data,
    // state and window for the admission stage
    input  wire logic                st_b_en,
    input  wire logic [SA_BITS-1:0]  st_b_addr,
    output logic [64:0]              st_b_data,   // {hard_expired, top}
    input  wire logic                win_b_en,
    input  wire logic [SA_BITS+$clog2(NW)-1:0] win_b_addr,
    output logic [63:0]              win_b_data,
    // results
    output logic                     od_valid,
    input  wire logic                od_room,
    output logic [52:0]              od_data,     // {nbeats 11, len 14, TU_OUT fields 28}
    output logic                     done,        // one packet committed
    output logic                     drop_valid,
    input  wire logic                drop_room,
    output logic [SA_BITS-1:0]       drop_sa,
    output logic [3:0]               drop_status,
    output logic                     gdrop_valid,
    output logic [3:0]               gdrop_status,
    output logic                     ev_valid,
    input  wire logic                ev_room,
    output logic [1:0]               ev_flags,    // {hard, soft}
    output logic [SA_BITS-1:0]       ev_sa,
    // host commands (STATE, WIN)
    input  wire logic                cmd_valid,
    input  wire logic [3:0]          cmd_op,
    input  wire logic [15:0]         cmd_index,
    input  wire logic [2047:0]       cmd_stg,
    output logic                     cmd_done,
    output logic                     cmd_err,
    output logic [63:0]              stg_we,
    output logic [2047:0]            stg_wdata
);

`include "ipsecfx_contract.svh"
`include "ipsecfx_func.svh"

  localparam int AW = $clog2(NW);
  localparam int ST_W = 3 * 64 + 2;   // {hard, soft, bytes, packets, top}

  if (SA_BITS < 1 || SA_BITS > 16 || (1 << AW) != NW || 2 * NW > 32'(IPX_STAGING_WORDS) ||
      IPX_F_WIN_LSB != 0) begin : g_check
    $error("decap_commit: NW a power of two whose ring fits the staging area");
  end

  // ---- RAMs
  logic               st_en, st_we;
  logic [SA_BITS-1:0] st_addr;
  logic [ST_W-1:0]    st_wdata, st_q, st_bq;
  ram_tdp #(.WIDTH(ST_W), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 10)) u_state (
      .clk(clk), .a_en(st_en), .a_we(st_we), .a_addr(st_addr), .a_wdata(st_wdata),
      .a_rdata(st_q), .b_en(st_b_en), .b_addr(st_b_addr), .b_rdata(st_bq));
  assign st_b_data = {st_bq[ST_W-1], st_bq[63:0]};

  logic                    win_en, win_we;
  logic [SA_BITS+AW-1:0]   win_addr;
  logic [63:0]             win_wdata, win_q;
  ram_tdp #(.WIDTH(64), .ADDR_W(SA_BITS + AW), .ULTRA(SA_BITS + AW >= 12), .OREG(1'b1)) u_win (
      .clk(clk), .a_en(win_en), .a_we(win_we), .a_addr(win_addr), .a_wdata(win_wdata),
      .a_rdata(win_q), .b_en(win_b_en), .b_addr(win_b_addr), .b_rdata(win_b_data));

  logic        s_hard, s_soft;
  logic [63:0] s_bytes, s_pkts, s_top;
  assign {s_hard, s_soft, s_bytes, s_pkts, s_top} = st_q;

  logic [63:0] c_hard_pkts, c_hard_bytes, c_soft_pkts, c_soft_bytes;
  logic [15:0] c_w;
  logic        c_esn;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [31:0] c_salt, c_spi;
  logic [1:0]  c_nr;
  logic        c_valid;
  /* verilator lint_on UNUSEDSIGNAL */
  assign {c_hard_pkts, c_hard_bytes, c_soft_pkts, c_soft_bytes, c_salt, c_spi, c_w, c_esn,
          c_nr, c_valid} = cfg_data;

  // ---- the packet at the head
  logic [1:0]  h_kind;
  logic [3:0]  h_status;
  logic [15:0] h_sa;
  logic [31:0] h_lo;
  logic [7:0]  h_espoff;
  logic [13:0] h_ctlen;
  assign h_kind   = co_data[`DCO_KIND +: 2];
  assign h_status = co_data[`DCO_STATUS +: 4];
  assign h_sa     = co_data[`DCO_SA +: 16];
  assign h_lo     = co_data[`DCO_LO +: 32];
  assign h_espoff = co_data[`DCO_ESPOFF +: 8];
  assign h_ctlen  = co_data[`DCO_CTLEN +: 14];
  logic [SA_BITS-1:0] sa;
  assign sa = h_sa[SA_BITS-1:0];

  logic        t_pad_ok;
  logic [7:0]  t_padlen, t_nh, t_b0;
  logic [15:0] t_w1, t_w2;
  assign {t_pad_ok, t_padlen, t_nh, t_b0, t_w1, t_w2} = tr_data;

  // replay re-check with the state of now
  logic        rc_in, rc_valid, rc_invalid, rc_newer, rc_old, rc_zero, rc_pass_unused;
  logic [63:0] rc_seq;
  logic [AW:0] rc_adv;
  replay_check #(.NW(NW), .PASS_W(1)) u_rc (
      .clk(clk), .in_valid(rc_in), .in_lo(h_lo), .in_top(s_top), .in_w(c_w), .in_esn(c_esn),
      .in_pass(1'b0), .out_valid(rc_valid), .out_seq(rc_seq), .out_invalid(rc_invalid),
      .out_newer(rc_newer), .out_old(rc_old), .out_zero(rc_zero), .out_advance(rc_adv),
      .out_pass(rc_pass_unused));

  typedef enum logic [4:0] {
    K_IDLE, K_R, K_RC, K_W, K_W1, K_W2, K_D, K_E, K_WCLR, K_WSET, K_C1, K_C2, K_C3, K_F,
    K_HREAD, K_HREAD2, K_HWIN, K_HWIN_RD, K_HDONE
  } state_t;
  state_t state_reg;

  logic [63:0] r_seq;
  logic        r_newer, r_replayed, r_icv;
  logic [AW:0] r_adv;
  logic [AW:0] k_reg;              // window words handled
  logic [63:0] r_word;
  logic [3:0]  r_status;
  logic [13:0] r_body, r_outlen;
  logic        r_padbad, r_nhbad, r_v4;
  logic [5:0]  r_ihl4;
  logic [16:0] r_tot6;
  logic [63:0] r_pk_inc;
  logic [47:0] r_bhi_inc;
  logic [16:0] r_blo;
  logic [7:0]  r_cmp_sb, r_cmp_sp, r_cmp_hb, r_cmp_hp;
  logic        r_nz_sb, r_nz_sp, r_nz_hb, r_nz_hp;
  logic [63:0] r_bytes_new;
  logic        r_soft_hit, r_hard_hit;

  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] bhi_inc64;
  /* verilator lint_on UNUSEDSIGNAL */
  assign bhi_inc64 = inc64({16'd0, s_bytes[63:16]});
  logic [63:0] bytes_new;
  assign bytes_new = {r_blo[16] ? r_bhi_inc : s_bytes[63:16], r_blo[15:0]};

  logic cmd_new;
  assign cmd_new = state_reg == K_IDLE && cmd_valid && !cmd_done;
  logic start;
  assign start = state_reg == K_IDLE && !cmd_new && co_valid && od_room && drop_room && ev_room;

  logic [AW-1:0] sb_idx, cl_idx;
  assign sb_idx = r_seq[6 +: AW];
  assign cl_idx = AW'(s_top[6 +: AW] + AW'(k_reg));   // word k past the old top's

  // ---- RAM ports
  always_comb begin
    st_en = 1'b0;
    st_we = 1'b0;
    st_addr = sa;
    st_wdata = {s_hard || r_hard_hit, s_soft || r_soft_hit,
                r_status == IPX_ST_OK ? r_bytes_new : s_bytes,
                r_status == IPX_ST_OK ? r_pk_inc : s_pkts,
                r_icv && r_newer ? r_seq : s_top};
    win_en = 1'b0;
    win_we = 1'b0;
    win_addr = {sa, sb_idx};
    win_wdata = r_word | (64'd1 << r_seq[5:0]);
    cfg_en = start;
    cfg_addr = sa;
    case (state_reg)
      K_IDLE: begin
        if (start) st_en = 1'b1;
        if (cmd_new && cmd_index < 16'(2 ** SA_BITS)) begin
          st_addr = cmd_index[SA_BITS-1:0];
          case (cmd_op)
            IPX_CMD_READ_STATE: st_en = 1'b1;
            IPX_CMD_WRITE_STATE: begin
              st_en = 1'b1;
              st_we = 1'b1;
              st_wdata = {cmd_stg[IPX_F_ST_HARD_EXPIRED_LSB], cmd_stg[IPX_F_ST_SOFT_EXPIRED_LSB],
                          cmd_stg[IPX_F_ST_BYTES_LSB +: 64], cmd_stg[IPX_F_ST_PACKETS_LSB +: 64],
                          cmd_stg[IPX_F_ST_SEQ_LSB +: 64]};
            end
            default: ;
          endcase
        end
      end
      K_W: if (rc_valid) begin
        win_en = 1'b1;
        win_addr = {sa, rc_seq[6 +: AW]};
      end
      K_WCLR: begin
        win_en = 1'b1;
        win_we = 1'b1;
        win_addr = {sa, cl_idx};
        win_wdata = '0;
      end
      K_WSET: begin
        win_en = 1'b1;
        win_we = 1'b1;
        // a new block starts empty (its old word was cleared or is stale)
        if (r_newer && r_adv != '0) win_wdata = 64'd1 << r_seq[5:0];
      end
      K_F: begin
        st_en = 1'b1;
        st_we = 1'b1;
      end
      K_HWIN: begin
        win_en = 1'b1;
        win_addr = {cmd_index[SA_BITS-1:0], k_reg[AW-1:0]};
        win_we = cmd_op == IPX_CMD_WRITE_WIN;
        win_wdata = cmd_stg[IPX_F_WIN_LSB + 64 * k_reg[AW-1:0] +: 64];
      end
      default: ;
    endcase
  end

  assign rc_in = state_reg == K_RC;
  assign co_ready = state_reg == K_F || (start && h_kind == `DK_NOSA);
  assign tr_ready = state_reg == K_F && h_kind == `DK_CRYPTO;
  assign tg_ready = tr_ready;

  always_ff @(posedge clk) begin
    cmd_done    <= 1'b0;
    stg_we      <= '0;
    od_valid    <= 1'b0;
    done        <= 1'b0;
    drop_valid  <= 1'b0;
    gdrop_valid <= 1'b0;
    ev_valid    <= 1'b0;
    case (state_reg)
      K_IDLE: begin
        if (cmd_new) begin
          cmd_err <= cmd_index >= 16'(2 ** SA_BITS);
          state_reg <= K_HDONE;
          if (cmd_index < 16'(2 ** SA_BITS)) begin
            case (cmd_op)
              IPX_CMD_WRITE_STATE: ;
              IPX_CMD_READ_STATE: state_reg <= K_HREAD;
              IPX_CMD_WRITE_WIN, IPX_CMD_READ_WIN: begin
                k_reg <= '0;
                state_reg <= K_HWIN;
              end
              default: cmd_err <= 1'b1;
            endcase
          end
        end else if (start) begin
          if (h_kind == `DK_NOSA) begin
            gdrop_valid  <= 1'b1;
            gdrop_status <= h_status;
            od_valid <= 1'b1;
            od_data  <= {11'd0, 14'd0, 8'd0, 16'd0, h_status};
            done <= 1'b1;
          end else begin
            state_reg <= K_R;
          end
        end
      end
      K_R: state_reg <= K_RC;        // state and configuration read
      K_RC: begin                      // re-check started; counters meanwhile
        r_pk_inc  <= inc64(s_pkts);
        r_bhi_inc <= bhi_inc64[47:0];
        state_reg <= K_W;
      end
      K_W: if (rc_valid) begin
        r_seq   <= rc_seq;
        r_newer <= rc_newer;
        r_adv   <= rc_adv;
        r_replayed <= rc_invalid || rc_zero || (!rc_newer && rc_old);
        state_reg <= K_W1;
      end
      K_W1: state_reg <= K_W2;
      K_W2: state_reg <= K_D;          // window word in
      K_D: begin
        if (h_kind != `DK_CRYPTO || (tr_valid && tg_valid)) begin
          r_word <= win_q;
          if (!r_newer && c_w != 16'd0 && win_q[r_seq[5:0]]) r_replayed <= 1'b1;
          // inner packet (tunnel mode): its header in the first block
          r_body  <= h_ctlen - 14'd2 - 14'(t_padlen);
          r_padbad <= {6'd0, t_padlen} + 14'd2 > h_ctlen || !t_pad_ok;
          r_v4    <= t_b0[7:4] == 4'd4;
          r_ihl4  <= {t_b0[3:0], 2'b00};
          r_tot6  <= 17'd40 + {1'b0, t_w2};
          r_nhbad <= !((t_nh == 8'd4 && t_b0[7:4] == 4'd4) || (t_nh == 8'd41 && t_b0[7:4] == 4'd6));
          state_reg <= K_E;
        end
      end
      K_E: begin
        r_icv <= 1'b0;
        if (s_hard) r_status <= IPX_ST_SA_EXPIRED;
        else if (h_kind == `DK_EARLY) r_status <= h_status == IPX_ST_MALFORMED ?
                                                  IPX_ST_MALFORMED : IPX_ST_REPLAYED;
        else if (r_replayed) r_status <= IPX_ST_REPLAYED;
        else if (!tg_ok) r_status <= IPX_ST_AUTH_FAILED;
        else begin
          r_icv <= 1'b1;
          if (r_padbad) r_status <= IPX_ST_BAD_PADDING;
          else if (t_nh == 8'd59) r_status <= IPX_ST_DUMMY;
          else if (r_nhbad || r_body == 14'd0) r_status <= IPX_ST_BAD_NEXT_HEADER;
          else if (r_v4 ? !(r_body >= 14'd20 && r_ihl4 >= 6'd20 && 14'(r_ihl4) <= r_body &&
                            t_w1 >= 16'(r_ihl4) && t_w1 <= 16'(r_body))
                        : !(r_body >= 14'd40 && r_tot6 <= 17'(r_body)))
            r_status <= IPX_ST_MALFORMED;
          else r_status <= IPX_ST_OK;
        end
        r_outlen <= r_v4 ? t_w1[13:0] : r_tot6[13:0];
        k_reg <= (AW+1)'(1);
        state_reg <= K_C1;
      end
      K_C1: begin
        r_blo <= {1'b0, s_bytes[15:0]} + {3'd0, r_outlen};
        // window: clear the words the top passes (every word when it moves
        // a whole ring or more), then set the number's bit
        if (r_icv && c_w != 16'd0) begin
          if (r_newer && r_adv == (AW+1)'(NW)) begin
            k_reg <= '0;
            state_reg <= K_WCLR;
          end else begin
            state_reg <= r_newer && r_adv > (AW+1)'(1) ? K_WCLR : K_WSET;
          end
        end else begin
          state_reg <= K_C2;
        end
      end
      K_WCLR: begin  // words k past the old top's: 1 .. adv - 1, or 0 .. NW - 1
        k_reg <= k_reg + 1'b1;
        if (k_reg + 1'b1 >= (r_adv == (AW+1)'(NW) ? (AW+1)'(NW) : r_adv)) state_reg <= K_WSET;
      end
      K_WSET: state_reg <= K_C2;
      K_C2: begin
        r_bytes_new <= bytes_new;
        r_cmp_sp <= cmp64_step(r_pk_inc, c_soft_pkts);
        r_cmp_hp <= cmp64_step(r_pk_inc, c_hard_pkts);
        r_cmp_sb <= cmp64_step(bytes_new, c_soft_bytes);
        r_cmp_hb <= cmp64_step(bytes_new, c_hard_bytes);
        r_nz_sb <= c_soft_bytes != '0;
        r_nz_sp <= c_soft_pkts != '0;
        r_nz_hb <= c_hard_bytes != '0;
        r_nz_hp <= c_hard_pkts != '0;
        state_reg <= K_C3;
      end
      K_C3: begin
        r_soft_hit <= r_status == IPX_ST_OK && !s_soft &&
                      ((r_nz_sb && cmp64_ge(r_cmp_sb)) || (r_nz_sp && cmp64_ge(r_cmp_sp)));
        r_hard_hit <= r_status == IPX_ST_OK && !s_hard &&
                      ((r_nz_hb && cmp64_ge(r_cmp_hb)) || (r_nz_hp && cmp64_ge(r_cmp_hp)));
        state_reg <= K_F;
      end
      K_F: begin   // state written; results out
        od_valid <= 1'b1;
        // the plaintext buffer holds every block of a decrypted packet
        od_data  <= {h_kind == `DK_CRYPTO ? 11'(h_ctlen[13:4]) + 11'(h_ctlen[3:0] != 4'd0) : 11'd0,
                     r_status == IPX_ST_OK ? r_outlen : 14'd0,
                     h_espoff, h_sa, r_status};
        if (r_status != IPX_ST_OK) begin
          drop_valid  <= 1'b1;
          drop_sa     <= sa;
          drop_status <= r_status;
        end
        ev_valid <= r_soft_hit || r_hard_hit;
        ev_flags <= {r_hard_hit, r_soft_hit};
        ev_sa    <= sa;
        done     <= 1'b1;
        state_reg <= K_IDLE;
      end
      K_HREAD: state_reg <= K_HREAD2;
      K_HREAD2: begin
        stg_we[IPX_F_ST_SEQ_LSB / 32 +: 7] <= '1;
        stg_wdata <= '0;
        stg_wdata[IPX_F_ST_SEQ_LSB +: 64] <= s_top;
        stg_wdata[IPX_F_ST_PACKETS_LSB +: 64] <= s_pkts;
        stg_wdata[IPX_F_ST_BYTES_LSB +: 64] <= s_bytes;
        stg_wdata[IPX_F_ST_SOFT_EXPIRED_LSB] <= s_soft;
        stg_wdata[IPX_F_ST_HARD_EXPIRED_LSB] <= s_hard;
        state_reg <= K_HDONE;
      end
      K_HWIN: begin
        k_reg <= k_reg + 1'b1;
        if (k_reg == (AW+1)'(NW - 1)) state_reg <= cmd_op == IPX_CMD_READ_WIN ? K_HWIN_RD : K_HDONE;
      end
      K_HWIN_RD: state_reg <= K_HDONE;  // the last word lands
      K_HDONE: begin
        cmd_done  <= 1'b1;
        state_reg <= K_IDLE;
      end
      default: state_reg <= K_IDLE;
    endcase
    if (hw_rd[1]) begin
      for (int r = 0; r < NW; r++)
        if (hw_idx[1] == AW'(r)) stg_we[IPX_F_WIN_LSB / 32 + 2 * r +: 2] <= 2'b11;
      stg_wdata <= {(2048 / 64){win_q}};  // word r of the ring at 64 r (WIN_LSB 0)
    end
    if (rst) begin
      state_reg   <= K_IDLE;
      cmd_done    <= 1'b0;
      cmd_err     <= 1'b0;
      od_valid    <= 1'b0;
      done        <= 1'b0;
      drop_valid  <= 1'b0;
      gdrop_valid <= 1'b0;
      ev_valid    <= 1'b0;
    end
  end

  // READ_WIN: word k arrives two cycles after its read
  logic [1:0]    hw_rd;
  logic [AW-1:0] hw_idx[2];
  always_ff @(posedge clk) begin
    hw_rd <= {hw_rd[0], state_reg == K_HWIN && cmd_op == IPX_CMD_READ_WIN};
    hw_idx[0] <= k_reg[AW-1:0];
    hw_idx[1] <= hw_idx[0];
    if (rst) hw_rd <= '0;
  end

`ifndef SYNTHESIS
  // Invariants of the replay window (simulation only, --assert): the ICV is
  // judged only once the tag and trailer of the packet are in; the window's
  // top moves only forward and only for a packet whose ICV verified; a
  // packet passes only with a verified ICV.
  always_ff @(posedge clk) begin
    if (!rst) begin
      if (state_reg == K_E && h_kind == `DK_CRYPTO) begin
        a_icv_waits : assert (tr_valid && tg_valid)
        else $error("decap_commit: SA %0d judged before its tag and trailer came", sa);
      end
      if (state_reg == K_F) begin
        a_top_forward : assert (st_wdata[63:0] >= s_top)
        else $error("decap_commit: SA %0d window top moves back from %h to %h", sa, s_top,
                    st_wdata[63:0]);
        a_top_icv : assert (r_icv || st_wdata[63:0] == s_top)
        else $error("decap_commit: SA %0d window top moves without a verified ICV", sa);
        a_ok_icv : assert (r_status != IPX_ST_OK || r_icv)
        else $error("decap_commit: SA %0d passes a packet without a verified ICV", sa);
      end
    end
  end
`endif

  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = rc_pass_unused;
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
