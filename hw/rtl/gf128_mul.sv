// Pipelined multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D
// 6.3): one product per clock, three register stages, each two or three
// LUT levels deep.
//
//   stage 1  the three 64x64 carry-less products of one Karatsuba step,
//            (a0*b0, a1*b1, (a0+a1)*(b0+b1)), each as four partial sums of
//            16 terms
//   stage 2  partial sums added, Karatsuba recombined: the 255-bit product
//   stage 3  reduction modulo x^128 + x^7 + x^2 + x + 1
//
// Bit order is GCM's: bit 127 of a block (the most significant bit of its
// first byte) is the coefficient of x^0.
`default_nettype none

module gf128_mul (
    input  wire logic         clk,
    input  wire logic [127:0] a,
    input  wire logic [127:0] b,
    output logic      [127:0] p     // a*b, three cycles after a and b
);

  // polynomial order: pa[i] is the coefficient of x^i
  logic [127:0] pa, pb;
  logic [63:0]  am, bm;
  always_comb begin
    for (int i = 0; i < 128; i++) begin
      pa[i] = a[127-i];
      pb[i] = b[127-i];
    end
    am = pa[63:0] ^ pa[127:64];
    bm = pb[63:0] ^ pb[127:64];
  end

  // the terms x[i]*y[j] with j in [16q, 16q+16): x shifted by j where
  // y[j] is set (written per word, it also simulates fast)
  function automatic logic [126:0] clmul_part(input logic [63:0] x, input logic [63:0] y,
                                              input int q);
    clmul_part = '0;
    for (int j = 16 * q; j < 16 * q + 16; j++)
      if (y[j]) clmul_part = clmul_part ^ ({63'd0, x} << j);
  endfunction

  // stage 1: partial sum q of each product at [127 q +: 127]
  logic [4*127-1:0] lo_reg, hi_reg, mid_reg;
  always_ff @(posedge clk) begin
    for (int q = 0; q < 4; q++) begin
      lo_reg[127*q +: 127]  <= clmul_part(pa[63:0], pb[63:0], q);
      hi_reg[127*q +: 127]  <= clmul_part(pa[127:64], pb[127:64], q);
      mid_reg[127*q +: 127] <= clmul_part(am, bm, q);
    end
  end

  // stage 2
  logic [126:0] lo, hi, m;
  logic [254:0] full_reg;
  always_comb begin
    lo = lo_reg[0 +: 127] ^ lo_reg[127 +: 127] ^ lo_reg[254 +: 127] ^ lo_reg[381 +: 127];
    hi = hi_reg[0 +: 127] ^ hi_reg[127 +: 127] ^ hi_reg[254 +: 127] ^ hi_reg[381 +: 127];
    m  = mid_reg[0 +: 127] ^ mid_reg[127 +: 127] ^ mid_reg[254 +: 127] ^ mid_reg[381 +: 127]
         ^ lo ^ hi;
  end
  always_ff @(posedge clk) begin
    full_reg <= {128'b0, lo} ^ {hi, 128'b0} ^ {64'b0, m, 64'b0};
  end

  // stage 3: x^128 = x^7 + x^2 + x + 1 folds the high half down; what the
  // fold pushes past x^127 (six bits at most) folds once more
  logic [126:0] hi3;
  logic [133:0] t3;
  logic [5:0]   o3;
  logic [127:0] full;
  always_comb begin
    hi3 = full_reg[254:128];
    t3 = {7'd0, hi3} ^ {6'd0, hi3, 1'b0} ^ {5'd0, hi3, 2'b0} ^ {hi3, 7'b0};
    o3 = t3[133:128];
    full = full_reg[127:0] ^ t3[127:0] ^ {122'd0, o3} ^ {121'd0, o3, 1'b0} ^
           {120'd0, o3, 2'b0} ^ {115'd0, o3, 7'b0};
  end

  always_ff @(posedge clk) begin
    for (int i = 0; i < 128; i++) p[127-i] <= full[i];
  end

endmodule

`default_nettype wire
