// Inbound trailer check on the plaintext stream (RFC 4303 2.4, 2.5): pad
// length, next header and whether the pad bytes read 1, 2, 3, ...; plus
// the inner header fields of the first block, for the commit stage.
//
// Pad bytes may reach 255 bytes back from the end, so the check runs along
// the whole stream: run(i) says bytes i-v(i)+1 .. i hold 1 .. v(i), i.e.
// run(i) = (v(i) == 1) or (v(i) == v(i-1) + 1 and run(i-1)).  At the end
// the padding is good when the pad length P is 0, or the byte before it
// holds P and has run set.  Three stages: compares, the run chain (carried
// across blocks), the verdict.
`default_nettype none

module decap_trail (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic         in_valid,
    input  wire logic [127:0] in_data,   // block order
    input  wire logic         in_first,
    input  wire logic         in_last,
    input  wire logic [3:0]   in_ctlen,  // ciphertext length mod 16
    // one result per packet
    output logic              out_valid,
    output logic              out_pad_ok,  // pad bytes 1, 2, 3 ... (length not checked)
    output logic [7:0]        out_padlen,
    output logic [7:0]        out_nh,
    output logic [7:0]        out_b0,      // inner header byte 0
    output logic [15:0]       out_w1,      // bytes 2..3 (IPv4 total length)
    output logic [15:0]       out_w2       // bytes 4..5 (IPv6 payload length)
);

  // ---- A: compares
  logic         a_v, a_first, a_last;
  logic [127:0] a_data;
  logic [3:0]   a_q;             // byte of the block just before the pad length
  logic [15:0]  a_g, a_p;
  logic [7:0]   prev_byte_reg;   // last byte of the previous block
  logic [7:0]   cur[16], prev[16];
  always_comb begin
    for (int i = 0; i < 16; i++) begin
      cur[i]  = in_data[127-8*i -: 8];
      prev[i] = i == 0 ? (in_first ? 8'd0 : prev_byte_reg) : in_data[127-8*(i-1) -: 8];
    end
  end
  always_ff @(posedge clk) begin
    a_v     <= in_valid && !rst;
    a_first <= in_first;
    a_last  <= in_last;
    a_data  <= in_data;
    a_q     <= in_ctlen - 4'd3;
    for (int i = 0; i < 16; i++) begin
      a_g[i] <= cur[i] == 8'd1;
      a_p[i] <= {1'b0, cur[i]} == {1'b0, prev[i]} + 9'd1;
    end
    if (in_valid) prev_byte_reg <= in_data[7:0];
  end

  // ---- B: the run chain
  logic         b_v, b_last;
  logic [127:0] b_data;
  logic [3:0]   b_q;
  logic [15:0]  b_run;
  logic         run_carry_reg;
  // every position from scratch, so the chain is a tree for synthesis
  function automatic logic [15:0] runs(input logic [15:0] g, input logic [15:0] p, input logic c);
    logic t;
    for (int i = 0; i < 16; i++) begin
      t = c;
      for (int j = 0; j <= i; j++) t = g[j] || (p[j] && t);
      runs[i] = t;
    end
  endfunction
  logic [15:0] run;
  assign run = runs(a_g, a_p, !a_first && run_carry_reg);
  always_ff @(posedge clk) begin
    b_v    <= a_v && !rst;
    b_last <= a_last;
    b_data <= a_data;
    b_q    <= a_q;
    b_run  <= run;
    if (a_v) run_carry_reg <= run[15];
    if (a_v && a_first) begin
      out_b0 <= a_data[127:120];
      out_w1 <= a_data[111:96];
      out_w2 <= a_data[95:80];
    end
  end

  // ---- C: the verdict at the last block
  logic [7:0] vq, plen, nh;
  always_comb begin
    vq   = b_data[127-8*32'(b_q) -: 8];
    plen = b_data[127-8*(32'(b_q)+1) -: 8];
    nh   = b_data[127-8*(32'(b_q)+2) -: 8];
  end
  always_ff @(posedge clk) begin
    out_valid  <= b_v && b_last && !rst;
    out_padlen <= plen;
    out_nh     <= nh;
    out_pad_ok <= plen == 8'd0 || (vq == plen && b_run[b_q]);
  end

endmodule

`default_nettype wire
