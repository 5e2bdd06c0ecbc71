// Outbound crypto issue: turns each work order into GCM slots.  A packet of
// ESP payload length P (inner packet, 0..3 pad bytes 1,2,3, pad length,
// next header) becomes a J0A slot (counter salt||seq||1, AAD = SPI || Seq),
// ceil(P/16) DATA slots (counter salt||seq||j+2; the inner packet's beats
// from the input buffer with the trailer written over the bytes past its
// end) and a LEN slot.  DATA slots wait for ciphertext-FIFO credits and
// J0A slots for tag-FIFO credits, so the free-running GCM pipeline never
// overruns the assembler.  Input buffer space is freed packet by packet,
// dropped packets at once.
`default_nettype none

`include "esp_encap_wo.svh"

module encap_issue #(
    parameter int SA_BITS   = 12,  // log2 of the number of SAs
    parameter int BUF_W     = 11,  // input buffer address bits
    parameter int NB_W      = 11,  // GHASH block count bits
    parameter int CT_CREDIT = 128, // ciphertext FIFO entries
    parameter int TAG_CREDIT = 16  // tag FIFO entries
) (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic               wo_valid,
    output logic                    wo_ready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire logic [`EWO_W-1:0]  wo_data,  // the header fields are the assembler's
    /* verilator lint_on UNUSEDSIGNAL */
    // input buffer
    output logic                    rd_en,
    output logic [BUF_W-1:0]        rd_addr,
    input  wire logic [127:0]       rd_data,
    output logic                    rel_en,
    output logic [BUF_W:0]          rel_ptr,
    // GCM slots (gcm_pipe)
    output logic                    s_valid,
    output logic [2:0]              s_kind,
    output logic [127:0]            s_ctr,
    output logic [127:0]            s_data,
    output logic [4:0]              s_nbytes,
    output logic                    s_sop,
    output logic [NB_W-1:0]         s_n,
    output logic [SA_BITS-1:0]      s_sa,
    output logic [1:0]              s_nr,
    // credits come back as the assembler takes ciphertext and tags
    input  wire logic               ct_pop,
    input  wire logic               tag_pop
);

`include "ipsecfx_contract.svh"
`include "ipsecfx_slot.svh"

  if (BUF_W < 4 || BUF_W > 16 || NB_W < 10 || CT_CREDIT < 4 || TAG_CREDIT < 2) begin : g_check
    $error("encap_issue: BUF_W 4..16, NB_W >= 10, credits >= 4 / 2");
  end

  localparam int CW = $clog2(CT_CREDIT + 1);
  localparam int TW = $clog2(TAG_CREDIT + 1);

  // ---- the packet being issued
  typedef enum logic [1:0] {P_J0A, P_DATA, P_LEN} phase_t;
  logic               p_busy;
  phase_t             p_phase;
  logic [SA_BITS-1:0] p_sa;
  logic [1:0]         p_nr;
  logic               p_esn;
  logic [31:0]        p_salt, p_spi;
  logic [63:0]        p_seq;
  logic [13:0]        p_ptlen;
  logic [BUF_W:0]     p_end;         // first beat after the packet
  logic [BUF_W-1:0]   p_addr;        // beat of the next DATA slot
  logic signed [15:0] p_rem;         // inner bytes from this slot's start
  logic [14:0]        p_ptrem;       // payload bytes from this slot's start
  logic [15:0]        p_ctr;         // block counter: 2 .. 600 at most
  logic [NB_W-1:0]    p_n;
  // the trailer over the beats: beat LAST (the one holding byte plen, its
  // bytes before plen from the buffer) and the spill into the next one
  logic [9:0]         p_left;        // DATA slots before the LAST beat
  logic [127:0]       p_ov0, p_ov1;  // trailer bytes, AXIS lanes
  logic [15:0]        p_keep0;       // bytes of the LAST beat from the buffer

  logic [CW-1:0] ct_cred;
  logic [TW-1:0] tag_cred;
  logic          ct_pop_reg, tag_pop_reg;  // credits back, a cycle late (safe)

  logic issue_j0a, issue_data, issue_len, load, w_ok;
  always_comb begin
    issue_j0a  = p_busy && p_phase == P_J0A && tag_cred != '0;
    issue_data = p_busy && p_phase == P_DATA && ct_cred != '0;
    issue_len  = p_busy && p_phase == P_LEN;
    load       = wo_valid && (!p_busy || issue_len);
    w_ok       = wo_data[`EWO_STATUS +: 4] == IPX_ST_OK;
  end
  assign wo_ready = load;

  // the buffer beat of a DATA slot, read now, used by the slot next cycle
  assign rd_en   = issue_data && p_rem > 0;
  assign rd_addr = p_addr;

  // ---- slot request registers
  logic               q_valid, q_sop, q_ram;
  logic [2:0]         q_kind;
  logic [127:0]       q_ctr, q_aux;
  logic [4:0]         q_nbytes;
  logic [127:0]       q_ov;          // trailer bytes of this beat
  logic [15:0]        q_keep;        // its bytes from the buffer
  logic [NB_W-1:0]    q_n;
  logic [SA_BITS-1:0] q_sa;
  logic [1:0]         q_nr;

  logic [13:0] w_ptlen, w_plen;
  logic [1:0]  w_padlen;
  logic [7:0]  w_nh;
  assign w_ptlen  = wo_data[`EWO_PTLEN +: 14];
  assign w_plen   = wo_data[`EWO_PLEN +: 14];
  assign w_padlen = wo_data[`EWO_PADLEN +: 2];
  assign w_nh     = wo_data[`EWO_NH +: 8];

  // trailer bytes k = 0 .. padlen+1: 1, 2, .., padlen, padlen, next header
  // (RFC 4303 2.4), laid over the beats from byte plen mod 16 on; worked
  // out from registers the cycle after a packet is loaded
  logic [3:0]   p_o;             // plen mod 16
  logic [1:0]   p_pad;
  logic [7:0]   p_nhb;
  function automatic logic [7:0] tbyte(input logic signed [5:0] k, input logic [1:0] padlen,
                                       input logic [7:0] nh);
    if (k < 0 || k > 6'sd5 || k > $signed({4'd0, padlen}) + 6'sd1) tbyte = 8'h00;
    else if (k < $signed({4'd0, padlen})) tbyte = 8'(k) + 8'd1;
    else if (k == $signed({4'd0, padlen})) tbyte = {6'd0, padlen};
    else tbyte = nh;
  endfunction
  logic [127:0] w_ov0, w_ov1;
  logic [15:0]  w_keep0;
  always_comb begin
    for (int b = 0; b < 16; b++) begin
      w_ov0[8*b +: 8] = tbyte(6'(b) - $signed({2'd0, p_o}), p_pad, p_nhb);
      w_ov1[8*b +: 8] = tbyte(6'(b + 16) - $signed({2'd0, p_o}), p_pad, p_nhb);
      w_keep0[b] = 4'(b) < p_o;
    end
  end

  always_ff @(posedge clk) begin
    rel_en  <= 1'b0;
    q_valid <= issue_j0a || issue_data || issue_len;
    q_sop   <= issue_j0a;
    q_sa    <= p_sa;
    q_nr    <= p_nr;
    q_n     <= p_n;
    q_ram   <= rd_en;
    q_ov    <= p_left == '0 ? p_ov0 : (p_left == 10'h3ff ? p_ov1 : 128'd0);
    q_keep  <= p_left == '0 ? p_keep0 : (p_left == 10'h3ff ? 16'h0000 : 16'hffff);
    q_nbytes <= p_ptrem >= 15'd16 ? 5'd16 : 5'(p_ptrem);
    if (issue_j0a) begin
      q_kind <= SLOT_J0A;
      q_ctr  <= {p_salt, p_seq, 32'd1};
      q_aux  <= p_esn ? {p_spi, p_seq, 32'd0} : {p_spi, p_seq[31:0], 64'd0};
      p_phase <= P_DATA;
    end
    if (issue_data) begin
      q_kind  <= SLOT_DATA;
      q_ctr   <= {p_salt, p_seq, 16'd0, p_ctr};
      p_ctr   <= p_ctr + 1'b1;
      p_addr  <= p_addr + 1'b1;
      p_rem   <= p_rem - 16'sd16;
      p_left  <= p_left - 1'b1;
      p_ptrem <= p_ptrem - 15'd16;
      if (p_ptrem <= 15'd16) p_phase <= P_LEN;
    end
    if (issue_len) begin
      q_kind <= SLOT_LEN;
      q_aux  <= {64'(p_esn ? 96 : 64), 64'({p_ptlen, 3'b000})};
      rel_en  <= 1'b1;
      rel_ptr <= p_end;
      p_busy  <= 1'b0;
    end
    if (load) begin
      p_sa     <= wo_data[`EWO_SA +: SA_BITS];
      p_nr     <= wo_data[`EWO_NR +: 2];
      p_esn    <= wo_data[`EWO_ESN];
      p_salt   <= wo_data[`EWO_SALT +: 32];
      p_spi    <= wo_data[`EWO_SPI +: 32];
      p_seq    <= wo_data[`EWO_SEQ +: 64];
      p_ptlen  <= w_ptlen;
      p_end    <= (BUF_W+1)'(wo_data[`EWO_START +: 17]) + (BUF_W+1)'(wo_data[`EWO_BEATS +: 17]);
      p_addr   <= wo_data[`EWO_START +: BUF_W];
      p_rem    <= 16'(wo_data[`EWO_PLEN +: 14]);
      p_ptrem  <= 15'(w_ptlen);
      p_ctr    <= 16'd2;
      p_n      <= NB_W'(w_ptlen[13:4]) + NB_W'(w_ptlen[3:0] != 4'd0) + NB_W'(2);
      p_left   <= w_plen[13:4];
      p_o      <= w_plen[3:0];
      p_pad    <= w_padlen;
      p_nhb    <= w_nh;
      p_phase  <= P_J0A;
      p_busy   <= w_ok;
      if (!w_ok) begin  // nothing to encrypt: free its beats now
        rel_en  <= 1'b1;
        rel_ptr <= (BUF_W+1)'(wo_data[`EWO_START +: 17]) + (BUF_W+1)'(wo_data[`EWO_BEATS +: 17]);
      end
    end
    p_ov0    <= w_ov0;   // valid from the cycle after the load on
    p_ov1    <= w_ov1;
    p_keep0  <= w_keep0;
    ct_pop_reg  <= ct_pop;
    tag_pop_reg <= tag_pop;
    ct_cred  <= ct_cred - CW'(issue_data) + CW'(ct_pop_reg);
    tag_cred <= tag_cred - TW'(issue_j0a) + TW'(tag_pop_reg);
    if (rst) begin
      p_busy   <= 1'b0;
      q_valid  <= 1'b0;
      rel_en   <= 1'b0;
      ct_cred  <= CW'(CT_CREDIT);
      ct_pop_reg  <= 1'b0;
      tag_pop_reg <= 1'b0;
      tag_cred <= TW'(TAG_CREDIT);
    end
  end

  // ---- slot: DATA beats get the trailer over the bytes past the packet
  logic [127:0] beat;   // AXIS lanes
  always_comb
    for (int b = 0; b < 16; b++)
      beat[8*b +: 8] = (q_ram && q_keep[b] ? rd_data[8*b +: 8] : 8'h00) | q_ov[8*b +: 8];

  always_comb begin
    s_valid  = q_valid;
    s_kind   = q_kind;
    s_ctr    = q_ctr;
    s_nbytes = q_nbytes;
    s_sop    = q_sop;
    s_n      = q_n;
    s_sa     = q_sa;
    s_nr     = q_nr;
    if (q_kind == SLOT_DATA)
      for (int b = 0; b < 16; b++) s_data[127-8*b -: 8] = beat[8*b +: 8];
    else
      s_data = q_aux;
  end

endmodule

`default_nettype wire
