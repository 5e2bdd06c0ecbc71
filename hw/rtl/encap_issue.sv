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
  logic [1:0]         p_nr, p_padlen;
  logic               p_esn;
  logic [7:0]         p_nh;
  logic [31:0]        p_salt, p_spi;
  logic [63:0]        p_seq;
  logic [13:0]        p_ptlen;
  logic [BUF_W:0]     p_end;         // first beat after the packet
  logic [BUF_W-1:0]   p_addr;        // beat of the next DATA slot
  logic signed [15:0] p_rem;         // inner bytes from this slot's start
  logic [14:0]        p_ptrem;       // payload bytes from this slot's start
  logic [31:0]        p_ctr;
  logic [NB_W-1:0]    p_n;

  logic [CW-1:0] ct_cred;
  logic [TW-1:0] tag_cred;

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
  logic signed [15:0] q_rem;
  logic [1:0]         q_padlen;
  logic [7:0]         q_nh;
  logic [NB_W-1:0]    q_n;
  logic [SA_BITS-1:0] q_sa;
  logic [1:0]         q_nr;

  logic [13:0] w_ptlen;
  assign w_ptlen = wo_data[`EWO_PTLEN +: 14];

  always_ff @(posedge clk) begin
    rel_en  <= 1'b0;
    q_valid <= issue_j0a || issue_data || issue_len;
    q_sop   <= issue_j0a;
    q_sa    <= p_sa;
    q_nr    <= p_nr;
    q_n     <= p_n;
    q_ram   <= rd_en;
    q_rem   <= p_rem;
    q_padlen <= p_padlen;
    q_nh    <= p_nh;
    q_nbytes <= p_ptrem >= 15'd16 ? 5'd16 : 5'(p_ptrem);
    if (issue_j0a) begin
      q_kind <= SLOT_J0A;
      q_ctr  <= {p_salt, p_seq, 32'd1};
      q_aux  <= p_esn ? {p_spi, p_seq, 32'd0} : {p_spi, p_seq[31:0], 64'd0};
      p_phase <= P_DATA;
    end
    if (issue_data) begin
      q_kind  <= SLOT_DATA;
      q_ctr   <= {p_salt, p_seq, p_ctr};
      p_ctr   <= p_ctr + 1'b1;
      p_addr  <= p_addr + 1'b1;
      p_rem   <= p_rem - 16'sd16;
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
      p_padlen <= wo_data[`EWO_PADLEN +: 2];
      p_esn    <= wo_data[`EWO_ESN];
      p_nh     <= wo_data[`EWO_NH +: 8];
      p_salt   <= wo_data[`EWO_SALT +: 32];
      p_spi    <= wo_data[`EWO_SPI +: 32];
      p_seq    <= wo_data[`EWO_SEQ +: 64];
      p_ptlen  <= w_ptlen;
      p_end    <= (BUF_W+1)'(wo_data[`EWO_START +: 17]) + (BUF_W+1)'(wo_data[`EWO_BEATS +: 17]);
      p_addr   <= wo_data[`EWO_START +: BUF_W];
      p_rem    <= 16'(wo_data[`EWO_PLEN +: 14]);
      p_ptrem  <= 15'(w_ptlen);
      p_ctr    <= 32'd2;
      p_n      <= NB_W'(w_ptlen[13:4]) + NB_W'(w_ptlen[3:0] != 4'd0) + NB_W'(2);
      p_phase  <= P_J0A;
      p_busy   <= w_ok;
      if (!w_ok) begin  // nothing to encrypt: free its beats now
        rel_en  <= 1'b1;
        rel_ptr <= (BUF_W+1)'(wo_data[`EWO_START +: 17]) + (BUF_W+1)'(wo_data[`EWO_BEATS +: 17]);
      end
    end
    ct_cred  <= ct_cred - CW'(issue_data) + CW'(ct_pop);
    tag_cred <= tag_cred - TW'(issue_j0a) + TW'(tag_pop);
    if (rst) begin
      p_busy   <= 1'b0;
      q_valid  <= 1'b0;
      rel_en   <= 1'b0;
      ct_cred  <= CW'(CT_CREDIT);
      tag_cred <= TW'(TAG_CREDIT);
    end
  end

  // ---- slot: DATA beats get the trailer over the bytes past the packet
  logic [127:0] beat;   // AXIS lanes
  always_comb begin
    logic signed [6:0] t;
    for (int b = 0; b < 16; b++) begin
      t = 7'(b) - 7'(q_rem);
      if (q_rem > 16'sd15 || (q_ram && t < 0)) beat[8*b +: 8] = q_ram ? rd_data[8*b +: 8] : 8'h00;
      else if (t < 7'(q_padlen)) beat[8*b +: 8] = 8'(t + 7'sd1);
      else if (t == 7'(q_padlen)) beat[8*b +: 8] = {6'b0, q_padlen};
      else if (t == 7'(q_padlen) + 7'sd1) beat[8*b +: 8] = q_nh;
      else beat[8*b +: 8] = 8'h00;
    end
  end

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
