// Inbound trailer check on the plaintext stream (RFC 4303 2.4, 2.5): pad
// length, next header and whether the pad bytes read 1, 2, 3, ...; plus
// the inner header fields of the first block, for the commit stage.
//
// Pad bytes may reach 255 bytes back from the end, so the check runs along
// the whole stream: run(i) says bytes i-v(i)+1 .. i hold 1 .. v(i), i.e.
// run(i) = (v(i) == 1) or (v(i) == v(i-1) + 1 and run(i-1)).  At the end
// the padding is good when the pad length P is 0, or the byte before it
// holds P and has run set.  Four stages: compares, the run chain (carried
// across blocks, in two steps), the verdict.
`default_nettype none

module decap_trail (
    input  wire logic         clk,
    input  wire logic         rst,
    input  wire logic         in_valid,
    input  wire logic [127:0] in_data,   // block order
    input  wire logic         in_first,
    input  wire logic         in_last,
    input  wire logic [1:0]   in_ctlen,  // ciphertext length / 4 mod 4
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
  logic [1:0]   a_q;             // ciphertext length / 4 mod 4: where the trailer ends
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
    a_q     <= in_ctlen;
    for (int i = 0; i < 16; i++) begin
      a_g[i] <= cur[i] == 8'd1;
      a_p[i] <= {1'b0, cur[i]} == {1'b0, prev[i]} + 9'd1;
    end
    if (in_valid) prev_byte_reg <= in_data[7:0];
  end

  // ---- B: runs within each half block, without what comes before it,
  // and where the whole prefix of a half propagates (v(i) = v(i-1) + 1)
  function automatic logic [7:0] runs8(input logic [7:0] g, input logic [7:0] p);
    logic t;
    for (int i = 0; i < 8; i++) begin
      t = 1'b0;
      for (int j = 0; j <= i; j++) t = g[j] || (p[j] && t);
      runs8[i] = t;
    end
  endfunction
  function automatic logic [7:0] props8(input logic [7:0] p);
    for (int i = 0; i < 8; i++) props8[i] = &(p | ~((8'd2 << i) - 8'd1));
  endfunction

  logic         b_v, b_first, b_last;
  logic [127:0] b_data;
  logic [1:0]   b_q;
  logic [15:0]  b_loc, b_prop;
  always_ff @(posedge clk) begin
    b_v     <= a_v && !rst;
    b_first <= a_first;
    b_last  <= a_last;
    b_data  <= a_data;
    b_q     <= a_q;
    b_loc   <= {runs8(a_g[15:8], a_p[15:8]), runs8(a_g[7:0], a_p[7:0])};
    b_prop  <= {props8(a_p[15:8]), props8(a_p[7:0])};
    if (a_v && a_first) begin
      out_b0 <= a_data[127:120];
      out_w1 <= a_data[111:96];
      out_w2 <= a_data[95:80];
    end
  end

  // ---- B2: the runs with the carry from the previous block
  logic         c_v, c_last;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [127:0] c_data;      // only the trailer's bytes are read
  logic [1:0]   c_q;
  logic [15:0]  c_run;
  /* verilator lint_on UNUSEDSIGNAL */
  logic         run_carry_reg;
  logic [15:0]  run;
  logic         cin, mid;
  always_comb begin
    cin = !b_first && run_carry_reg;
    for (int i = 0; i < 8; i++) run[i] = b_loc[i] || (b_prop[i] && cin);
    mid = b_loc[7] || (b_prop[7] && cin);
    for (int i = 8; i < 16; i++) run[i] = b_loc[i] || (b_prop[i] && mid);
  end
  always_ff @(posedge clk) begin
    c_v    <= b_v && !rst;
    c_last <= b_last;
    c_data <= b_data;
    c_q    <= b_q;
    c_run  <= run;
    if (b_v) run_carry_reg <= run[15];
  end

  // ---- C: the verdict at the last block.  The ciphertext is whole 4-byte
  // blocks, so its last byte is byte 15, 3, 7 or 11 of the block: the
  // three trailer bytes sit at one of four fixed places.
  logic [7:0] vq, plen, nh;
  logic       runq;
  always_comb begin
    case (c_q)
      2'd0: {vq, plen, nh, runq} = {c_data[23:0], c_run[13]};
      2'd1: {vq, plen, nh, runq} = {c_data[119:96], c_run[1]};
      2'd2: {vq, plen, nh, runq} = {c_data[87:64], c_run[5]};
      default: {vq, plen, nh, runq} = {c_data[55:32], c_run[9]};
    endcase
  end
  always_ff @(posedge clk) begin
    out_valid  <= c_v && c_last && !rst;
    out_padlen <= plen;
    out_nh     <= nh;
    out_pad_ok <= plen == 8'd0 || (vq == plen && runq);
  end

endmodule

`default_nettype wire
