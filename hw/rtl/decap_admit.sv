// Inbound admission, one packet at a time, in the order of checks of
// docs/esp-format.md: outer IPv4 header (TOO_BIG, MALFORMED, NAT-T UDP and
// its non-ESP marker), SPI lookup (UNKNOWN_SPI), hard lifetime
// (SA_EXPIRED), ESP length (MALFORMED) and the early anti-replay check
// (REPLAYED) before anything is decrypted.  The verdict goes to the commit
// stage (every packet, in order) and to the issuer (every packet: crypto,
// or just freeing its buffer space).  Nothing here writes SA state but
// T_spec; the commit stage re-checks replay and decides with the state
// as it is then, so packets of one SA in flight together get the same
// result as one after the other.
//
// ESN: the high half of the sequence number is inferred from the window's
// top (RFC 4303 A2.2).  Packets still in flight may move the top, and the
// inference with it, only if they are ahead of this one: T_spec holds the
// highest number admitted for the SA; a packet whose number is not above
// it waits until the pipeline is empty and infers again, so the ICV is
// always checked with the number the sequential order would use.
//
// SPI lookup: two tables of 4-way buckets, bucket index = fold(S(spi ^ key))
// per table (docs/hw-interface.md); the host places each inbound SPI in one
// of its two buckets.  Also holds the inbound SA configuration (read by the
// commit stage through port B).
//
// The host's CFG, KEY and BKT commands run in decap_cmd, which shares the
// bucket RAMs and the configuration RAM's port A with the packet path: it
// raises h_req and gets h_gnt while the packet machine is parked in S_HOST.
// The machine enters S_HOST only from S_IDLE, where a request wins over a
// new packet, and leaves it the cycle after h_req falls.
`default_nettype none

`include "esp_decap_wo.svh"

module decap_admit #(
    parameter int SA_BITS = 12,  // log2 of the number of SAs
    parameter int BUF_W   = 11,  // input buffer address bits
    parameter int NW      = 32   // replay window ring words
) (
    input  wire logic                clk,
    input  wire logic                rst,
    // packet descriptors (pkt_buffer, six header beats)
    input  wire logic                d_valid,
    output logic                     d_ready,
    input  wire logic [BUF_W:0]      d_start,
    input  wire logic [BUF_W:0]      d_beats,
    input  wire logic [15:0]         d_len,
    input  wire logic                d_bad,
    input  wire logic [767:0]        d_hdr,
    // verdicts
    output logic                     wo_valid,
    input  wire logic                wo_room,
    output logic [`DWO_W-1:0]        wo_data,
    output logic                     co_valid,
    input  wire logic                co_room,
    output logic [`DCO_W-1:0]        co_data,
    input  wire logic                pipe_empty,  // no verdict awaits its commit
    // SA state (decap_commit's RAMs, read port): {hard_expired, top}
    output logic                     st_en,
    output logic [SA_BITS-1:0]       st_addr,
    input  wire logic [64:0]         st_data,    // one cycle
    output logic                     win_en,
    output logic [SA_BITS+$clog2(NW)-1:0] win_addr,
    input  wire logic [63:0]         win_data,   // two cycles
    // configuration for the commit stage
    input  wire logic                cfgb_en,
    input  wire logic [SA_BITS-1:0]  cfgb_addr,
    output logic [`DCFG_W-1:0]       cfgb_data,
    // the SA tables for the host's commands (decap_cmd): granted while
    // the packet machine is idle
    input  wire logic                h_req,
    output logic                     h_gnt,
    input  wire logic                h_bkt_we,
    input  wire logic                h_bkt_re,
    input  wire logic                h_bkt_sel,   // SPI table 0 or 1
    input  wire logic [SA_BITS-3:0]  h_bkt_idx,
    input  wire logic [4*48-1:0]     h_bkt_wdata, // IPX_SPI_WAYS x {sa[15:0], spi[31:0]}
    output logic      [4*48-1:0]     h_bkt_rdata, // a cycle after h_bkt_re
    input  wire logic                h_cfg_we,
    input  wire logic [SA_BITS-1:0]  h_cfg_addr,
    input  wire logic [`DCFG_W-1:0]  h_cfg_wdata
);

`include "ipsecfx_contract.svh"
`include "ipsecfx_func.svh"

  localparam int AW = $clog2(NW);
  localparam int BKT_BITS = SA_BITS - 2;
  localparam int BKT_W = 32'(IPX_SPI_WAYS) * 48;

  if (SA_BITS < 3 || SA_BITS > 16 || BUF_W < 4 || (1 << AW) != NW) begin : g_check
    $error("decap_admit: SA_BITS 3..16, NW a power of two");
  end
  if (`DCFG_W != 4 * 64 + 32 + 32 + 16 + 1 + 2 + 1) begin : g_check_cfg
    $error("decap_admit: DCFG_W does not match the fields");
  end
  if (IPX_SPI_WAYS != 4 || IPX_SPI_TABLES != 2) begin : g_check_spi
    $error("decap_admit: two SPI tables of 4-way buckets");
  end

  // ---- FSM
  typedef enum logic [4:0] {
    S_IDLE, S_P1, S_P2, S_P3, S_P4, S_H, S_B, S_B1, S_B2, S_R, S_C1, S_W, S_W1, S_W2, S_C2,
    S_DRAIN,
    S_HOST  // the tables are decap_cmd's
  } state_t;
  state_t state_reg;

  logic [BUF_W:0]  p_start, p_beats;
  logic [15:0]     p_len;
  logic            p_bad;
  logic [767:0]    p_hdr;

  // outer header words (network order) of the packet
  logic [31:0] hw[24];
  always_comb
    for (int w = 0; w < 24; w++)
      hw[w] = {p_hdr[32*w +: 8], p_hdr[32*w+8 +: 8], p_hdr[32*w+16 +: 8], p_hdr[32*w+24 +: 8]};

  // P1: fields at variable offsets
  logic [3:0]  r_ver, r_ihl;
  logic [15:0] r_tot, r_ulen;
  logic [13:0] r_frag;          // MF and fragment offset
  logic [7:0]  r_proto;
  logic [31:0] r_spi, r_lo;
  logic [63:0] r_iv;
  logic [4:0]  r_espw;           // ESP header word offset
  // P2
  logic        r_len20, r_ihl_le, r_tot_ge, r_tot_le, r_toobig;
  logic [15:0] r_tl3;            // tot - IHL bytes
  // P3
  logic        r_outer_bad, r_esp_lt8, r_esp_ge4;
  logic [15:0] r_esplen;
  // P4 / H / B
  logic [3:0]  r_status;         // engine-wide verdict so far
  logic [31:0] r_y0, r_y1;
  logic [BKT_W-1:0] b0_q, b1_q;
  logic        bkt_re;
  logic [BKT_BITS-1:0] b0_addr, b1_addr;
  logic [SA_BITS-1:0] r_sa;
  // C1 and on
  logic        r_lenbad, r_exp, r_cvalid;
  logic [63:0] r_tspec;

  // S-boxes of the SPI hash: table t uses spi ^ key_t
  logic [31:0] hx0, hx1, hy0, hy1;
  assign hx0 = r_spi ^ IPX_SPI_HASH_KEY0;
  assign hx1 = r_spi ^ IPX_SPI_HASH_KEY1;
  genvar gi;
  generate
    for (gi = 0; gi < 4; gi++) begin : g_hs
      aes_sbox u_s0 (.x(hx0[8*gi +: 8]), .y(hy0[8*gi +: 8]));
      aes_sbox u_s1 (.x(hx1[8*gi +: 8]), .y(hy1[8*gi +: 8]));
    end
  endgenerate

  function automatic logic [BKT_BITS-1:0] fold(input logic [31:0] y);
    fold = '0;
    for (int s = 0; s < 32; s += BKT_BITS) fold = fold ^ BKT_BITS'(y >> s);
  endfunction

  // ---- the tables shared with decap_cmd: the packet path reads them in
  // S_H (buckets) and S_R (configuration), the host only in S_HOST
  logic bkt_we0, bkt_we1, cfg_we, cfg_re;
  logic [`DCFG_W-1:0] cfg_q;
  assign h_gnt = state_reg == S_HOST;
  always_comb begin
    bkt_we0 = h_gnt && h_bkt_we && !h_bkt_sel;
    bkt_we1 = h_gnt && h_bkt_we && h_bkt_sel;
    bkt_re  = state_reg == S_H || (h_gnt && h_bkt_re);
    b0_addr = h_bkt_idx;
    b1_addr = h_bkt_idx;
    if (state_reg == S_H) begin
      b0_addr = fold(r_y0);
      b1_addr = fold(r_y1);
    end
    cfg_we  = h_gnt && h_cfg_we;
    cfg_re  = state_reg == S_R;
  end
  assign h_bkt_rdata = h_bkt_sel ? b1_q : b0_q;

  ram_sdp #(.WIDTH(BKT_W), .ADDR_W(BKT_BITS)) u_bkt0 (
      .clk(clk), .we(bkt_we0), .waddr(h_bkt_idx), .wdata(h_bkt_wdata), .re(bkt_re),
      .raddr(b0_addr), .rdata(b0_q));
  ram_sdp #(.WIDTH(BKT_W), .ADDR_W(BKT_BITS)) u_bkt1 (
      .clk(clk), .we(bkt_we1), .waddr(h_bkt_idx), .wdata(h_bkt_wdata), .re(bkt_re),
      .raddr(b1_addr), .rdata(b1_q));

  // configuration RAM: port A host writes and admission reads, port B the
  // commit stage
  ram_tdp #(.WIDTH(`DCFG_W), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 10)) u_cfg (
      .clk(clk), .a_en(cfg_we || cfg_re), .a_we(cfg_we), .a_addr(cfg_we ? h_cfg_addr : r_sa),
      .a_wdata(h_cfg_wdata), .a_rdata(cfg_q),
      .b_en(cfgb_en), .b_addr(cfgb_addr), .b_rdata(cfgb_data));

  logic [31:0] c_salt;
  logic [15:0] c_w;
  logic        c_esn, c_valid;
  logic [1:0]  c_nr;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [255:0] c_limits;  // the commit stage's
  logic [31:0]  c_spi;
  /* verilator lint_on UNUSEDSIGNAL */
  assign {c_limits, c_salt, c_spi, c_w, c_esn, c_nr, c_valid} = cfg_q;

  // T_spec: the highest sequence number admitted to crypto, per SA
  logic        ts_we;
  logic [63:0] ts_q;
  ram_sdp #(.WIDTH(64), .ADDR_W(SA_BITS), .ULTRA(SA_BITS >= 10)) u_tspec (
      .clk(clk), .we(ts_we), .waddr(r_sa), .wdata(rc_seq), .re(state_reg == S_R),
      .raddr(r_sa), .rdata(ts_q));

  // early anti-replay check
  logic        rc_valid, rc_invalid, rc_newer, rc_old, rc_zero;
  logic [63:0] rc_seq;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [AW:0] rc_adv;
  logic        rc_pass;
  /* verilator lint_on UNUSEDSIGNAL */
  replay_check #(.NW(NW), .PASS_W(1)) u_rc (
      .clk(clk), .in_valid(state_reg == S_C1), .in_lo(r_lo), .in_top(st_data[63:0]),
      .in_w(c_w), .in_esn(c_esn), .in_pass(1'b0),
      .out_valid(rc_valid), .out_seq(rc_seq), .out_invalid(rc_invalid), .out_newer(rc_newer),
      .out_old(rc_old), .out_zero(rc_zero), .out_advance(rc_adv), .out_pass(rc_pass));

  logic        r_invalid, r_newer, r_old, r_zero, r_bit;
  logic [63:0] r_seq;
  logic [7:0]  r_tscmp;

  assign st_en   = state_reg == S_R;
  assign st_addr = r_sa;
  assign win_en  = state_reg == S_W && rc_valid;
  assign win_addr = {r_sa, rc_seq[6 +: AW]};

  logic start;
  assign start = state_reg == S_IDLE && !h_req && d_valid && wo_room && co_room;
  assign d_ready = start;

  // bucket match, in two steps: 16-bit halves compared (S_B), then the
  // entry picked (S_B1)
  logic [7:0]  r_eqlo, r_eqhi;   // ways 0..3: table 0, 4..7: table 1
  logic        r_spi_nz, r_hit;
  logic [15:0] r_hit_sa;
  logic [47:0] way[8];
  always_comb
    for (int e = 0; e < 4; e++) begin
      way[e]   = b0_q[48*e +: 48];
      way[4+e] = b1_q[48*e +: 48];
    end
  logic        hit;
  logic [15:0] hit_sa;
  always_comb begin
    hit = 1'b0;
    hit_sa = '0;
    for (int e = 0; e < 8; e++)
      if (r_eqlo[e] && r_eqhi[e]) begin
        hit = r_spi_nz;
        hit_sa = way[e][47:32];
      end
  end

  // verdict of the early checks
  logic replayed, stable;
  always_comb begin
    replayed = r_invalid || r_zero || (!r_newer && (r_old || (c_w != 16'd0 && r_bit)));
    // T_spec < seq: every packet in flight is behind this one
    stable = !c_esn || pipe_empty || !cmp64_ge(r_tscmp);
  end

  logic [13:0] ctlen;
  assign ctlen = 14'(r_esplen - 16'd32);

  assign ts_we = state_reg == S_C2 && stable && c_valid && !r_exp && !r_lenbad && !replayed;

  always_ff @(posedge clk) begin
    wo_valid <= 1'b0;
    co_valid <= 1'b0;
    unique case (state_reg)
      S_IDLE: begin
        if (h_req) begin  // a command before a new packet
          state_reg <= S_HOST;
        end else if (start) begin
          p_start <= d_start;
          p_beats <= d_beats;
          p_len   <= d_len;
          p_bad   <= d_bad;
          p_hdr   <= d_hdr;
          state_reg <= S_P1;
        end
      end
      S_P1: begin  // IPv4 fields; UDP and ESP words after IHL
        r_ver   <= hw[0][31:28];
        r_ihl   <= hw[0][27:24];
        r_tot   <= hw[0][15:0];
        r_frag  <= hw[1][13:0];
        r_proto <= hw[2][23:16];
        r_ulen  <= hw[5'(hw[0][27:24]) + 5'd1][31:16];
        r_espw  <= 5'(hw[0][27:24]) + (hw[2][23:16] == 8'd17 ? 5'd2 : 5'd0);
        state_reg <= S_P2;
      end
      S_P2: begin
        r_spi    <= hw[r_espw];
        r_lo     <= hw[r_espw + 5'd1];
        r_iv     <= {hw[r_espw + 5'd2], hw[r_espw + 5'd3]};
        r_len20  <= p_len >= 16'd20;
        r_ihl_le <= {10'd0, r_ihl, 2'b00} <= p_len;
        r_tot_ge <= r_tot >= {10'd0, r_ihl, 2'b00};
        r_tot_le <= r_tot <= p_len;
        r_toobig <= p_len > 16'(IPX_MAX_PKT_LEN + IPX_MAX_OVERHEAD);
        r_tl3    <= r_tot - {10'd0, r_ihl, 2'b00};
        state_reg <= S_P3;
      end
      S_P3: begin
        // RFC 4303/3948 framing: IPv4 only (IPv6 outer is not in this
        // pipeline), no fragment, ESP or UDP with a length that fits
        r_outer_bad <= r_ver != 4'd4 || !r_len20 || r_ihl < 4'd5 || !r_ihl_le || !r_tot_ge ||
                       !r_tot_le || r_frag != 14'd0 ||
                       (r_proto != 8'd50 && r_proto != 8'd17) ||
                       (r_proto == 8'd17 && (r_tl3 < 16'd8 || r_ulen < 16'd8 || r_ulen > r_tl3));
        r_esplen <= r_proto == 8'd17 ? r_ulen - 16'd8 : r_tl3;
        // ESP length under 8, and 4 or more (the non-ESP marker needs 4)
        r_esp_lt8 <= r_proto == 8'd17 ? r_ulen < 16'd16 : r_tl3 < 16'd8;
        r_esp_ge4 <= r_proto == 8'd17 ? r_ulen >= 16'd12 : r_tl3 >= 16'd4;
        state_reg <= S_P4;
      end
      S_P4: begin
        if (p_bad) r_status <= IPX_ST_MALFORMED;
        else if (r_toobig) r_status <= IPX_ST_TOO_BIG;
        else if (r_outer_bad || r_esp_lt8 || (r_proto == 8'd17 && r_esp_ge4 && r_spi == 32'd0))
          r_status <= IPX_ST_MALFORMED;
        else r_status <= IPX_ST_OK;
        // ESP header, IV, at least one block (4 bytes), ICV; whole blocks
        r_lenbad <= r_esplen < 16'(8 + 8 + 4 + IPX_ICV_LEN) || r_esplen[1:0] != 2'b00;
        r_y0 <= hy0;
        r_y1 <= hy1;
        r_spi_nz <= r_spi != 32'd0;
        state_reg <= S_H;
      end
      S_H: state_reg <= S_B;  // buckets read
      S_B: begin
        for (int e = 0; e < 8; e++) begin
          r_eqlo[e] <= way[e][15:0] == r_spi[15:0];
          r_eqhi[e] <= way[e][31:16] == r_spi[31:16];
        end
        state_reg <= S_B1;
      end
      S_B1: begin
        r_hit    <= hit;
        r_hit_sa <= hit_sa;
        state_reg <= S_B2;
      end
      S_B2: begin
        r_sa <= r_hit_sa[SA_BITS-1:0];
        if (r_status != IPX_ST_OK || !r_hit || r_hit_sa[15:SA_BITS] != '0) begin
          co_valid <= 1'b1;
          wo_valid <= 1'b1;
          co_data  <= '0;
          wo_data  <= '0;
          co_data[`DCO_KIND +: 2]   <= `DK_NOSA;
          co_data[`DCO_STATUS +: 4] <= r_status != IPX_ST_OK ? r_status : IPX_ST_UNKNOWN_SPI;
          wo_data[`DWO_KIND +: 2]   <= `DK_NOSA;
          wo_data[`DWO_START +: 17] <= 17'(p_start);
          wo_data[`DWO_BEATS +: 17] <= 17'(p_beats);
          state_reg <= S_IDLE;
        end else begin
          state_reg <= S_R;
        end
      end
      S_R: state_reg <= S_C1;   // cfg, top, T_spec read
      S_C1: begin
        r_cvalid <= c_valid;
        r_exp    <= st_data[64];
        r_tspec  <= ts_q;
        state_reg <= S_W;
      end
      S_W: begin  // replay_check, then the window word
        if (rc_valid) begin
          r_seq     <= rc_seq;
          r_invalid <= rc_invalid;
          r_newer   <= rc_newer;
          r_old     <= rc_old;
          r_zero    <= rc_zero;
          r_tscmp   <= cmp64_step(r_tspec, rc_seq);
          state_reg <= S_W1;
        end
      end
      S_W1: state_reg <= S_W2;
      S_W2: begin              // window word in: the number's bit
        r_bit <= win_data[r_seq[5:0]];
        state_reg <= S_C2;
      end
      S_C2: begin
        if (!r_cvalid) begin
          co_valid <= 1'b1;
          wo_valid <= 1'b1;
          co_data  <= '0;
          wo_data  <= '0;
          co_data[`DCO_KIND +: 2]   <= `DK_NOSA;
          co_data[`DCO_STATUS +: 4] <= IPX_ST_UNKNOWN_SPI;
          wo_data[`DWO_KIND +: 2]   <= `DK_NOSA;
          wo_data[`DWO_START +: 17] <= 17'(p_start);
          wo_data[`DWO_BEATS +: 17] <= 17'(p_beats);
          state_reg <= S_IDLE;
        end else if (!stable) begin
          state_reg <= S_DRAIN;
        end else begin
          co_valid <= 1'b1;
          wo_valid <= 1'b1;
          co_data <= '0;
          wo_data <= '0;
          co_data[`DCO_SA +: 16]      <= 16'(r_sa);
          co_data[`DCO_LO +: 32]      <= r_lo;
          co_data[`DCO_ESPOFF +: 8]   <= {1'b0, r_espw, 2'b00};
          co_data[`DCO_CTLEN +: 14]   <= ctlen;
          wo_data[`DWO_SA +: 16]      <= 16'(r_sa);
          wo_data[`DWO_NR +: 2]       <= c_nr;
          wo_data[`DWO_ESN]           <= c_esn;
          wo_data[`DWO_SALT +: 32]    <= c_salt;
          wo_data[`DWO_SPI +: 32]     <= r_spi;
          wo_data[`DWO_SEQ +: 64]     <= r_seq;
          wo_data[`DWO_IV +: 64]      <= r_iv;
          wo_data[`DWO_START +: 17]   <= 17'(p_start);
          wo_data[`DWO_BEATS +: 17]   <= 17'(p_beats);
          wo_data[`DWO_BASEW +: 5]    <= r_espw + 5'd4;
          wo_data[`DWO_CTLEN +: 14]   <= ctlen;
          if (r_exp || r_lenbad || replayed) begin
            co_data[`DCO_KIND +: 2]   <= `DK_EARLY;
            co_data[`DCO_STATUS +: 4] <= r_exp ? IPX_ST_SA_EXPIRED :
                                         r_lenbad ? IPX_ST_MALFORMED : IPX_ST_REPLAYED;
            wo_data[`DWO_KIND +: 2]   <= `DK_EARLY;
          end else begin
            co_data[`DCO_KIND +: 2]   <= `DK_CRYPTO;
            wo_data[`DWO_KIND +: 2]   <= `DK_CRYPTO;
          end
          state_reg <= S_IDLE;
        end
      end
      S_DRAIN: if (pipe_empty) state_reg <= S_R;
      S_HOST: if (!h_req) state_reg <= S_IDLE;
      default: state_reg <= S_IDLE;
    endcase
    if (rst) begin
      state_reg <= S_IDLE;
      wo_valid  <= 1'b0;
      co_valid  <= 1'b0;
    end
  end

endmodule

`default_nettype wire
