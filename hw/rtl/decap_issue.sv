// Inbound crypto issue: for each packet admitted to crypto, reads its beats
// from the input buffer, realigns the ciphertext (it starts 36, 44 or more
// bytes in: a multiple of 4) to 16-byte blocks with a 4:1 word select, and
// issues a J0A slot (counter salt||IV||1, AAD = SPI || Seq), one DATA slot
// per ciphertext block and a LEN slot.  The ICV, the 16 bytes after the
// ciphertext, goes to the ICV FIFO for the tag check.  A packet starts once
// the plaintext buffer has room for all its blocks and the tag FIFO for its
// tag.  Packets that were dropped only have their buffer space freed.
`default_nettype none

`include "esp_decap_wo.svh"

module decap_issue #(
    parameter int SA_BITS    = 12,
    parameter int BUF_W      = 11,
    parameter int NB_W       = 11,
    parameter int PT_CREDIT  = 2048,  // plaintext buffer beats
    parameter int TAG_CREDIT = 16     // tag / ICV FIFO entries
) (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic               wo_valid,
    output logic                    wo_ready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [`DWO_W-1:0]  wo_data,   // SA index beyond SA_BITS unused
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                    rd_en,
    output logic [BUF_W-1:0]        rd_addr,
    input  wire logic [127:0]       rd_data,
    output logic                    rel_en,
    output logic [BUF_W:0]          rel_ptr,
    output logic                    s_valid,
    output logic [2:0]              s_kind,
    output logic [127:0]            s_ctr,
    output logic [127:0]            s_data,
    output logic [4:0]              s_nbytes,
    output logic                    s_sop,
    output logic [NB_W-1:0]         s_n,
    output logic [SA_BITS-1:0]      s_sa,
    output logic [1:0]              s_nr,
    output logic [15:0]             s_user,    // {first block, last block, ciphertext bytes}
    output logic                    icv_valid,
    output logic [127:0]            icv_data,
    // credits
    input  wire logic               pt_free,
    input  wire logic [11:0]        pt_free_n,
    input  wire logic               tag_pop
);

`include "ipsecfx_slot.svh"

  if (BUF_W < 4 || BUF_W > 16 || NB_W < 10 || PT_CREDIT < 600 || PT_CREDIT > 4095) begin : g_check
    $error("decap_issue: BUF_W 4..16, NB_W >= 10, PT_CREDIT holds a largest packet");
  end

  localparam int CW = 13;
  localparam int TW = $clog2(TAG_CREDIT + 1);

  logic [CW-1:0] pt_cred;
  logic [TW-1:0] tag_cred;

  // ---- the packet
  logic               p_busy;
  logic [SA_BITS-1:0] p_sa;
  logic [1:0]         p_nr, p_s;
  logic               p_esn;
  logic [31:0]        p_salt, p_spi;
  logic [63:0]        p_seq, p_iv;
  logic [13:0]        p_ctlen;
  logic [9:0]         p_m;            // ciphertext blocks
  logic [1:0]         p_r;            // ICV word offset in the last block, 0 means 4
  logic [BUF_W:0]     p_end;
  logic [BUF_W-1:0]   p_addr;         // next beat to read
  logic [10:0]        p_reads;        // reads left
  logic               p_started;
  // the block of the next arrival, jb (ciphertext block; the first arrival
  // is no block when the ciphertext starts mid-beat), kept as flags and
  // counters so that no compare sits between an arrival and the slot
  logic               j_ok;           // the next arrival is a block
  logic               j_first;        // jb == 0
  logic [10:0]        j_ctr;          // jb + 2, the block's counter
  logic [10:0]        j_rem;          // p_m - jb
  logic               j_rem0, j_rem1; // j_rem == 0, j_rem == 1
  logic               room_reg;       // pt_cred > p_m, a cycle old
  logic               load_d_reg;     // a packet was loaded last cycle
  logic [CW-1:0]      pt_ded_reg;     // the credits a start takes, a cycle on
  logic [11:0]        pt_add_reg;     // the credits that came back, a cycle on
  logic               tag_pop_reg;
  logic [BUF_W:0]     l_start, l_beats;   // the work order's, for the cycle after the load
  logic [2:0]         l_bw;

  logic [1:0]  w_kind;
  logic [13:0] w_ctlen;
  logic [9:0]  w_m;
  logic [4:0]  w_basew;
  always_comb begin
    w_kind  = wo_data[`DWO_KIND +: 2];
    w_ctlen = wo_data[`DWO_CTLEN +: 14];
    w_m     = w_ctlen[13:4] + 10'(w_ctlen[3:0] != 4'd0);
    w_basew = wo_data[`DWO_BASEW +: 5];
  end

  logic start, load, rd_pend_reg, last_arrival;
  always_comb begin
    // a packet starts when there is room for all of it downstream
    // room_reg is a cycle old and so conservative: credits only come back
    // while a packet waits (not the cycle after its load, when room_reg
    // still compares another packet's blocks)
    start = p_busy && !p_started && !load_d_reg && tag_cred != '0 && room_reg;
    rd_en = p_busy && p_started && p_reads != '0 || start;
    rd_addr = p_addr;
    load = wo_valid && !p_busy;
  end
  assign wo_ready = load;

  // ---- arrivals: realign, slot, ICV
  logic [127:0] nd, blk, icv;
  logic [95:0]  cur_reg, last_reg;   // the last three words are all realigning needs
  logic         blk_ok, blk_data;
  always_comb begin
    for (int b = 0; b < 16; b++) nd[127-8*b -: 8] = rd_data[8*b +: 8];
    // words s..s+3 of {previous beat, this beat}
    case (p_s)
      2'd0: blk = nd;
      2'd1: blk = {cur_reg[95:0], nd[127:96]};
      2'd2: blk = {cur_reg[63:0], nd[127:64]};
      default: blk = {cur_reg[31:0], nd[127:32]};
    endcase
    blk_ok   = j_ok;
    blk_data = j_ok && !j_rem0;   // jb < p_m
    case (p_r)
      2'd1: icv = {last_reg[95:0], blk[127:96]};
      2'd2: icv = {last_reg[63:0], blk[127:64]};
      2'd3: icv = {last_reg[31:0], blk[127:32]};
      default: icv = blk;
    endcase
    last_arrival = rd_pend_reg && blk_ok && j_rem0;   // jb == p_m
  end

  always_ff @(posedge clk) begin
    rel_en    <= 1'b0;
    icv_valid <= 1'b0;
    s_valid   <= 1'b0;
    s_sop     <= 1'b0;
    rd_pend_reg <= rd_en;
    if (load) begin
      p_sa    <= wo_data[`DWO_SA +: SA_BITS];
      p_nr    <= wo_data[`DWO_NR +: 2];
      p_esn   <= wo_data[`DWO_ESN];
      p_salt  <= wo_data[`DWO_SALT +: 32];
      p_spi   <= wo_data[`DWO_SPI +: 32];
      p_seq   <= wo_data[`DWO_SEQ +: 64];
      p_iv    <= wo_data[`DWO_IV +: 64];
      p_ctlen <= w_ctlen;
      p_m     <= w_m;
      p_s     <= w_basew[1:0];
      p_r     <= w_ctlen[3:2];
      // p_end, p_addr and p_reads follow the cycle after (start waits)
      l_start <= (BUF_W+1)'(wo_data[`DWO_START +: 17]);
      l_beats <= (BUF_W+1)'(wo_data[`DWO_BEATS +: 17]);
      l_bw    <= w_basew[4:2];
      j_ok    <= w_basew[1:0] == 2'd0;
      j_first <= 1'b1;
      j_ctr   <= 11'd2;
      j_rem   <= 11'(w_m);
      j_rem0  <= w_ctlen == 14'd0;
      j_rem1  <= w_ctlen != 14'd0 && w_ctlen <= 14'd16;
      p_started <= 1'b0;
      p_busy  <= w_kind == `DK_CRYPTO;
      if (w_kind != `DK_CRYPTO) begin
        rel_en  <= 1'b1;
        rel_ptr <= (BUF_W+1)'(wo_data[`DWO_START +: 17]) + (BUF_W+1)'(wo_data[`DWO_BEATS +: 17]);
      end
    end
    if (load_d_reg) begin
      p_end   <= l_start + l_beats;
      p_addr  <= l_start[BUF_W-1:0] + BUF_W'(l_bw);
      p_reads <= 11'(p_m) + 11'd1 + 11'(p_s != 2'd0);
    end
    if (start) begin  // J0A with the first read
      p_started <= 1'b1;
      s_valid   <= 1'b1;
      s_kind    <= SLOT_J0A;
      s_sop     <= 1'b1;
      s_ctr     <= {p_salt, p_iv, 32'd1};
      s_data    <= p_esn ? {p_spi, p_seq, 32'd0} : {p_spi, p_seq[31:0], 64'd0};
      s_n       <= NB_W'(p_m) + NB_W'(2);
      s_sa      <= p_sa;
      s_nr      <= p_nr;
    end
    if (rd_en) begin
      p_addr  <= p_addr + 1'b1;
      p_reads <= p_reads - 1'b1;
    end
    if (rd_pend_reg) begin
      cur_reg <= nd[95:0];
      j_ok    <= 1'b1;
      if (blk_ok) begin
        j_first <= 1'b0;
        j_ctr   <= j_ctr + 1'b1;
        j_rem   <= j_rem - 1'b1;
        j_rem0  <= j_rem1;
        j_rem1  <= j_rem == 11'd2;
      end
      if (blk_data) begin
        s_valid  <= 1'b1;
        s_kind   <= SLOT_DATA;
        s_ctr    <= {p_salt, p_iv, 21'd0, j_ctr};
        s_data   <= blk;
        s_nbytes <= j_rem1 && p_ctlen[3:0] != 4'd0 ? {1'b0, p_ctlen[3:0]} : 5'd16;
        s_user   <= {j_first, j_rem1, p_ctlen};
        if (j_rem1) last_reg <= blk[95:0];
      end
      if (last_arrival) begin
        s_valid   <= 1'b1;
        s_kind    <= SLOT_LEN;
        s_data    <= {64'(p_esn ? 96 : 64), 64'({p_ctlen, 3'b000})};
        icv_valid <= 1'b1;
        icv_data  <= icv;
        rel_en    <= 1'b1;
        rel_ptr   <= p_end;
        p_busy    <= 1'b0;
      end
    end
    // credits: what a start takes and what comes back are registered first
    // (a cycle late either way is safe: a start waits for room_reg, which
    // cannot see the taken credits before the packet's last arrival)
    load_d_reg  <= load;
    room_reg    <= pt_cred > CW'(p_m);
    pt_ded_reg  <= start ? CW'(p_m) : '0;
    pt_add_reg  <= pt_free ? pt_free_n : '0;
    tag_pop_reg <= tag_pop;
    pt_cred  <= pt_cred - pt_ded_reg + CW'(pt_add_reg);
    tag_cred <= tag_cred - TW'(start) + TW'(tag_pop_reg);
    if (rst) begin
      p_busy    <= 1'b0;
      p_started <= 1'b0;
      rd_pend_reg <= 1'b0;
      s_valid   <= 1'b0;
      rel_en    <= 1'b0;
      icv_valid <= 1'b0;
      pt_cred   <= CW'(PT_CREDIT);
      load_d_reg  <= 1'b0;
      room_reg    <= 1'b0;
      pt_ded_reg  <= '0;
      pt_add_reg  <= '0;
      tag_pop_reg <= 1'b0;
      tag_cred  <= TW'(TAG_CREDIT);
    end
  end

endmodule

`default_nettype wire
