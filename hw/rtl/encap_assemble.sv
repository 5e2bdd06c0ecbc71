// Outbound output: the ESP packet of each work order, in order, on m_axis:
// outer IPv4 header (20), UDP header (8, NAT-T), ESP header (8), IV = the
// sequence number (8), ciphertext, ICV.  The pieces are 32-bit words (every
// length here is a multiple of 4), gathered in an 8-word accumulator that
// sends 4 words a beat; so the ciphertext, block-aligned in the GCM
// pipeline, lands 36 or 44 bytes into the packet without a barrel shifter.
// A dropped packet comes out as one null beat (tkeep 0, tlast) whose tuser
// gives its status.
`default_nettype none

`include "esp_encap_wo.svh"

module encap_assemble (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic               wo_valid,
    output logic                    wo_ready,
    input  wire logic [`EWO_W-1:0]  wo_data,
    input  wire logic [15:0]        wo_csum,
    // ciphertext beats and tags, block order (byte 0 in [127:120])
    input  wire logic               ct_valid,
    output logic                    ct_ready,
    input  wire logic [127:0]       ct_data,
    input  wire logic               tag_valid,
    output logic                    tag_ready,
    input  wire logic [127:0]       tag_data,
    // packets out
    output logic [127:0]            m_axis_tdata,
    output logic [15:0]             m_axis_tkeep,
    output logic                    m_axis_tvalid,
    input  wire logic               m_axis_tready,
    output logic                    m_axis_tlast,
    output logic [27:0]             m_axis_tuser
);

`include "ipsecfx_contract.svh"

  if (IPX_TUSER_OUT_W != 28) begin : g_check
    $error("encap_assemble: TUSER_OUT_W changed");
  end

  // ---- the packet being assembled
  typedef enum logic [2:0] {A_H0, A_H1, A_H2, A_CT, A_ICV, A_DONE} phase_t;
  logic          a_busy, a_ok;
  phase_t        a_phase;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [`EWO_W-1:0] a_wo;      // the issuer's fields unused here
  /* verilator lint_on UNUSEDSIGNAL */
  logic [15:0]   a_csum;
  logic [10:0]   a_ctleft;      // ciphertext beats still to take
  // the same state as flags, for the handshakes with the FIFOs: busy with
  // a packet to send, the phase one-hot, the last ciphertext beat, and the
  // accumulator's fill against 4 words
  logic          f_bo, f_hdr, f_ct, f_icv, f_done, f_ctlast, f_le4, f_ge4, f_nz;

  logic        w_udp, w_df;
  logic [7:0]  w_tos, w_ttl;
  logic [15:0] w_tot, w_ulen, w_sport, w_dport;
  logic [31:0] w_spi, w_src, w_dst;
  logic [63:0] w_seq;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [13:0] w_ptlen;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [3:0]  w_status;
  logic [15:0] w_sa;
  always_comb begin
    w_udp    = a_wo[`EWO_UDP];
    w_df     = a_wo[`EWO_DF];
    w_tos    = a_wo[`EWO_TOS +: 8];
    w_ttl    = a_wo[`EWO_TTL +: 8];
    w_tot    = a_wo[`EWO_TOT +: 16];
    w_ulen   = a_wo[`EWO_ULEN +: 16];
    w_sport  = a_wo[`EWO_SPORT +: 16];
    w_dport  = a_wo[`EWO_DPORT +: 16];
    w_spi    = a_wo[`EWO_SPI +: 32];
    w_src    = a_wo[`EWO_SRC +: 32];
    w_dst    = a_wo[`EWO_DST +: 32];
    w_seq    = a_wo[`EWO_SEQ +: 64];
    w_ptlen  = a_wo[`EWO_PTLEN +: 14];
    w_status = a_wo[`EWO_STATUS +: 4];
    w_sa     = a_wo[`EWO_SA +: 16];
  end

  // header words, first byte in bits 31:24 (docs/esp-format.md, outer IPv4:
  // ID = Seq mod 2^16, DF by policy, MF 0, offset 0)
  logic [31:0] h[11];
  always_comb begin
    h[0] = {8'h45, w_tos, w_tot};
    h[1] = {w_seq[15:0], w_df ? 16'h4000 : 16'h0000};
    h[2] = {w_ttl, w_udp ? 8'd17 : 8'd50, a_csum};
    h[3] = w_src;
    h[4] = w_dst;
    if (w_udp) begin  // RFC 3948: checksum 0 over IPv4
      h[5] = {w_sport, w_dport};
      h[6] = {w_ulen, 16'h0000};
      h[7] = w_spi;
      h[8] = w_seq[31:0];
      h[9] = w_seq[63:32];
      h[10] = w_seq[31:0];
    end else begin
      h[5] = w_spi;
      h[6] = w_seq[31:0];
      h[7] = w_seq[63:32];
      h[8] = w_seq[31:0];
      h[9] = 32'd0;
      h[10] = 32'd0;
    end
  end

  // ---- the next chunk, prefetched into a register so that the word
  // insertion below starts from flip-flops
  logic [31:0] src[4];
  logic [2:0]  src_n;
  logic [2:0]  lastw;           // words in the last ciphertext beat
  assign lastw = w_ptlen[3:0] == 4'd0 ? 3'd4 : {1'b0, w_ptlen[3:2]};
  always_comb begin
    for (int i = 0; i < 4; i++) src[i] = 32'd0;
    src_n = 3'd4;
    case (a_phase)
      A_H0: for (int i = 0; i < 4; i++) src[i] = h[i];
      A_H1: for (int i = 0; i < 4; i++) src[i] = h[4+i];
      A_H2: begin
        for (int i = 0; i < 3; i++) src[i] = h[8+i];
        src_n = w_udp ? 3'd3 : 3'd1;
      end
      A_CT: begin
        for (int i = 0; i < 4; i++) src[i] = ct_data[127-32*i -: 32];
        src_n = f_ctlast ? lastw : 3'd4;
      end
      A_ICV: begin
        for (int i = 0; i < 4; i++) src[i] = tag_data[127-32*i -: 32];
      end
      default: ;
    endcase
  end

  logic [31:0] chunk[4];
  logic [2:0]  chunk_n;
  logic        ch_valid;

  // ---- accumulator and output
  logic [31:0] acc[8];
  logic [3:0]  cnt_reg;
  logic        m_valid_reg;

  // the accumulator's fill, 0..8 words, in gates rather than adders and
  // compares (those become carry chains behind the output handshake)
  function automatic logic [3:0] add4(input logic [3:0] a, input logic [3:0] b);
    logic c;
    c = 1'b0;
    for (int i = 0; i < 4; i++) begin
      add4[i] = a[i] ^ b[i] ^ c;
      c = (a[i] & b[i]) | (c & (a[i] ^ b[i]));
    end
  endfunction
  function automatic logic le4(input logic [3:0] a);   // a <= 4
    le4 = !a[3] && !(a[2] && a[1:0] != 2'b00);
  endfunction

  logic        can_out, emit, last, accept, finish, load, alldone, fetch;
  logic        c_ge4, c_le4;
  logic [3:0]  cnt_after, cnt_sum;
  logic [8:0]  ca_eq;           // cnt_after == k
  logic [7:0]  ca_gt;           // cnt_after > i
  always_comb begin
    c_ge4 = f_ge4;   // cnt_reg >= 4
    c_le4 = f_le4;   // cnt_reg <= 4
    can_out = !m_valid_reg || m_axis_tready;
    // the next chunk is taken when it is there and the chunk register is
    // free or frees now (accept; cnt_reg is at most 8), written over the flags
    fetch = f_bo && (f_hdr || (f_ct && ct_valid) || (f_icv && tag_valid)) &&
            (!ch_valid || f_le4 || (f_ge4 && can_out));
    alldone = f_done && !ch_valid;
    emit = 1'b0;
    last = 1'b0;
    if (a_busy && a_ok) begin
      emit = can_out && (c_ge4 || (alldone && f_nz));
      last = alldone && c_le4;
    end else if (a_busy) begin
      emit = can_out;   // the null beat of a dropped packet
      last = 1'b1;
    end
    // cnt_reg - 4 on an emit of a full beat: cnt_reg is 4..8 then
    cnt_after = !emit ? cnt_reg : (!c_ge4 ? 4'd0 : (cnt_reg[3] ? 4'd4 : {2'b00, cnt_reg[1:0]}));
    for (int k = 0; k < 9; k++) ca_eq[k] = cnt_after == 4'(k);
    for (int i = 0; i < 8; i++) begin
      ca_gt[i] = 1'b0;
      for (int k = i + 1; k < 9; k++) ca_gt[i] = ca_gt[i] || ca_eq[k];
    end
    accept = a_busy && a_ok && ch_valid && le4(cnt_after);
    cnt_sum = add4(cnt_after, accept ? {1'b0, chunk_n} : 4'd0);
    finish = emit && last;
    load = wo_valid && (!a_busy || finish);
  end
  assign wo_ready  = load;
  assign ct_ready  = fetch && f_ct;
  assign tag_ready = fetch && f_icv;

  always_ff @(posedge clk) begin
    // accumulator: what stays moves down, the chunk goes behind it
    for (int i = 0; i < 8; i++) begin
      if (ca_gt[i]) begin
        if (emit && c_ge4 && i < 4) acc[i] <= acc[i+4];
      end else begin
        for (int k = 0; k < 5; k++)
          if (ca_eq[k] && i - k >= 0 && i - k < 4) acc[i] <= chunk[i-k];
      end
    end
    cnt_reg <= cnt_sum;
    f_le4   <= le4(cnt_sum);
    f_ge4   <= cnt_sum[3] || cnt_sum[2];
    f_nz    <= cnt_sum != 4'd0;
    if (accept) ch_valid <= 1'b0;
    if (fetch) begin
      ch_valid <= 1'b1;
      for (int i = 0; i < 4; i++) chunk[i] <= src[i];
      chunk_n <= src_n;
      case (a_phase)
        A_H0: a_phase <= A_H1;
        A_H1: a_phase <= A_H2;
        A_H2: begin
          a_phase <= A_CT;
          f_hdr   <= 1'b0;
          f_ct    <= 1'b1;
        end
        A_CT: begin
          a_ctleft <= a_ctleft - 1'b1;
          f_ctlast <= a_ctleft == 11'd2;
          if (f_ctlast) begin
            a_phase <= A_ICV;
            f_ct    <= 1'b0;
            f_icv   <= 1'b1;
          end
        end
        A_ICV: begin
          a_phase <= A_DONE;
          f_done  <= 1'b1;
          f_icv   <= 1'b0;
        end
        default: ;
      endcase
    end
    if (emit) begin
      m_valid_reg <= 1'b1;
      for (int k = 0; k < 16; k++)
        m_axis_tdata[8*k +: 8] <= a_ok ? acc[k/4][31-8*(k%4) -: 8] : 8'h00;
      if (!a_ok) m_axis_tkeep <= 16'h0000;
      else if (cnt_reg >= 4'd4) m_axis_tkeep <= 16'hffff;
      else m_axis_tkeep <= 16'((32'd1 << (4 * cnt_reg)) - 1);
      m_axis_tlast <= last;
      m_axis_tuser <= '0;
      m_axis_tuser[IPX_F_TU_OUT_STATUS_LSB +: 4] <= w_status;
      m_axis_tuser[IPX_F_TU_OUT_SA_LSB +: 16] <= w_sa;
      m_axis_tuser[IPX_F_TU_OUT_ESP_OFF_LSB +: 8] <= !a_ok ? 8'd0 : w_udp ? 8'd28 : 8'd20;
    end else if (m_axis_tready) begin
      m_valid_reg <= 1'b0;
    end
    if (finish) begin
      a_busy   <= 1'b0;
      f_bo     <= 1'b0;
      ch_valid <= 1'b0;
    end
    if (load) begin
      a_busy   <= 1'b1;
      a_ok     <= wo_data[`EWO_STATUS +: 4] == IPX_ST_OK;
      a_wo     <= wo_data;
      a_csum   <= wo_csum;
      a_phase  <= A_H0;
      a_ctleft <= 11'(wo_data[`EWO_PTLEN + 4 +: 10]) + 11'(wo_data[`EWO_PTLEN +: 4] != 4'd0);
      f_bo     <= wo_data[`EWO_STATUS +: 4] == IPX_ST_OK;
      f_hdr    <= 1'b1;
      f_ct     <= 1'b0;
      f_icv    <= 1'b0;
      f_done   <= 1'b0;
      // a_ctleft == 1: 1 to 16 bytes of payload
      f_ctlast <= wo_data[`EWO_PTLEN +: 14] != 14'd0 && wo_data[`EWO_PTLEN +: 14] <= 14'd16;
    end
    if (rst) begin
      a_busy      <= 1'b0;
      ch_valid    <= 1'b0;
      cnt_reg     <= '0;
      f_bo        <= 1'b0;
      f_hdr       <= 1'b0;
      f_ct        <= 1'b0;
      f_icv       <= 1'b0;
      f_le4       <= 1'b1;
      f_ge4       <= 1'b0;
      f_nz        <= 1'b0;
      f_done      <= 1'b0;
      m_valid_reg <= 1'b0;
    end
  end

  assign m_axis_tvalid = m_valid_reg;

endmodule

`default_nettype wire
