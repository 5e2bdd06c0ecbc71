// Anti-replay arithmetic of RFC 4303 3.4.3 and appendix A2.2, pipelined in
// six stages without a long carry chain: from the received low 32 bits of
// the sequence number, the window's top and its size W,
//   - the 64-bit sequence number (ESN: the high half inferred from the top),
//     or "invalid" when it would fall below 0 or beyond 2^64 - 1,
//   - whether it is above the top, or W or more below it (too old),
//   - for the window ring: how many ring words the top moves by, capped
//     at NW.
// The bit itself is tested by the caller, in the ring word of the number.
// Inbound admission (early check) and commit (recheck and update) both
// use it.
`default_nettype none

module replay_check #(
    parameter int NW     = 32,  // ring words (64 bits each)
    parameter int PASS_W = 1
) (
    input  wire logic              clk,
    input  wire logic              in_valid,
    input  wire logic [31:0]       in_lo,
    input  wire logic [63:0]       in_top,
    input  wire logic [15:0]       in_w,     // window, bits; 0 = off
    input  wire logic              in_esn,
    input  wire logic [PASS_W-1:0] in_pass,
    output logic                   out_valid,
    output logic [63:0]            out_seq,
    output logic                   out_invalid,  // below 0 or beyond 2^64 - 1
    output logic                   out_newer,    // above the top
    output logic                   out_old,      // W or more below the top
    output logic                   out_zero,     // sequence number 0
    output logic [$clog2(NW):0]    out_advance,  // ring words the top moves, <= NW
    output logic [PASS_W-1:0]      out_pass
);

`include "ipsecfx_func.svh"

  localparam int AW = $clog2(NW);
  if (NW < 2 || (1 << AW) != NW || NW > 256) begin : g_check
    $error("replay_check: NW a power of two, 2..256");
  end

  function automatic logic [63:0] dec64(input logic [63:0] x);
    dec64 = ~inc64(~x);
  endfunction

  // ---- S0: inputs and W - 1
  logic              v0, esn0;
  logic [31:0]       lo0;
  logic [63:0]       top0;
  logic [15:0]       w0, wm0;
  logic [PASS_W-1:0] p0;
  always_ff @(posedge clk) begin
    v0   <= in_valid;
    esn0 <= in_esn;
    lo0  <= in_lo;
    top0 <= in_top;
    w0   <= in_w;
    wm0  <= in_w - 16'd1;
    p0   <= in_pass;
  end

  // ---- S1
  logic              v1, esn1;
  logic [31:0]       lo1;
  logic [63:0]       top1;
  logic [15:0]       w1;
  logic              tge1;        // tl >= W - 1: the window lies in one 2^32 span
  logic [16:0]       xl1;         // tl[15:0] - (W - 1), bit 16 = borrow
  logic [15:0]       th1_m1;      // tl[31:16] - 1
  logic [16:0]       ll1;         // top[15:0] - (W - 1)
  logic [47:0]       tdec1;       // top[63:16] - 1
  logic [31:0]       thi_p1, thi_m1;
  logic [PASS_W-1:0] p1;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0]       tdec_in, thi_inc_in, thi_dec_in;  // narrower values
  /* verilator lint_on UNUSEDSIGNAL */
  always_comb begin
    tdec_in    = dec64({16'd0, top0[63:16]});
    thi_inc_in = inc64({32'd0, top0[63:32]});
    thi_dec_in = dec64({32'd0, top0[63:32]});
  end
  always_ff @(posedge clk) begin
    v1    <= v0;
    esn1  <= esn0;
    lo1   <= lo0;
    top1  <= top0;
    w1    <= w0;
    p1    <= p0;
    tge1  <= top0[31:16] != 16'd0 || top0[15:0] >= wm0 || w0 == 16'd0;
    xl1   <= {1'b0, top0[15:0]} - {1'b0, wm0};
    th1_m1 <= top0[31:16] - 16'd1;
    ll1   <= {1'b0, top0[15:0]} - {1'b0, wm0};
    tdec1 <= tdec_in[47:0];
    thi_p1 <= thi_inc_in[31:0];
    thi_m1 <= thi_dec_in[31:0];
  end

  // ---- S2: x = tl - W + 1 (low edge within the span); lo against it
  logic              v2, esn2, tge2, hmax2, hzero2;
  logic [31:0]       lo2, thi_p2, thi_m2;
  logic [63:0]       top2, left2;
  logic              left_neg2;   // top - W + 1 < 0: nothing is too old
  logic [15:0]       w2;
  logic [7:0]        c2;          // lo vs x, per 16 bits {gt, eq}
  logic [PASS_W-1:0] p2;
  logic [31:0]       x1;
  logic              lneg1;
  always_comb begin
    x1 = {xl1[16] ? th1_m1 : top1[31:16], xl1[15:0]};
    lneg1 = ll1[16] && top1[63:16] == 48'd0;
  end
  always_ff @(posedge clk) begin
    v2     <= v1;
    esn2   <= esn1;
    tge2   <= tge1;
    lo2    <= lo1;
    top2   <= top1;
    w2     <= w1;
    p2     <= p1;
    thi_p2 <= thi_p1;
    thi_m2 <= thi_m1;
    hmax2  <= &top1[63:32];
    hzero2 <= top1[63:32] == 32'd0;
    for (int k = 0; k < 2; k++) begin
      c2[4+k] <= lo1[16*k +: 16] > x1[16*k +: 16];
      c2[k]   <= lo1[16*k +: 16] == x1[16*k +: 16];
    end
    c2[7:6] <= 2'b00;
    c2[3:2] <= 2'b11;
    left2     <= {ll1[16] ? tdec1 : top1[63:16], ll1[15:0]};
    left_neg2 <= lneg1;
  end

  // ---- S3: the 64-bit number
  logic              v3, inv3;
  logic [63:0]       seq3, top3, left3;
  logic [41:0]       tbh_inc3;    // (top >> 22) + 1: the high part plus a borrow
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0]       tbh_inc2;
  /* verilator lint_on UNUSEDSIGNAL */
  assign tbh_inc2 = inc64({22'd0, top2[63:22]});
  logic              lneg3;
  logic              won3;
  logic [PASS_W-1:0] p3;
  logic              ge2;
  assign ge2 = cmp64_ge({c2[7:4], c2[3:0]});
  always_ff @(posedge clk) begin
    v3    <= v2;
    top3  <= top2;
    tbh_inc3 <= tbh_inc2[41:0];
    left3 <= left2;
    lneg3 <= left_neg2;
    won3  <= w2 != 16'd0;
    p3    <= p2;
    inv3  <= 1'b0;
    if (!esn2) begin
      seq3 <= {32'd0, lo2};
    end else if (tge2) begin         // A2.2 case A: window within one span
      seq3 <= ge2 ? {top2[63:32], lo2} : {thi_p2, lo2};
      inv3 <= !ge2 && hmax2;
    end else begin                   // case B: the window spans two
      seq3 <= ge2 ? {thi_m2, lo2} : {top2[63:32], lo2};
      inv3 <= ge2 && hzero2;
    end
  end

  // ---- S4: against the top and the left edge; ring words moved
  logic              v4, inv4, lneg4, won4, zero4;
  logic [63:0]       seq4;
  logic [7:0]        ct4, cl4;
  logic [16:0]       dlo4;        // low 16 bits of (seq >> 6) - (top >> 6), borrow
  logic [2:0]        hi_eq4, hi_eq1_4;   // high parts equal, per chunk
  logic [PASS_W-1:0] p4;
  logic [57:0]       tb3, sb3;
  always_comb begin
    tb3 = top3[63:6];
    sb3 = seq3[63:6];
  end
  always_ff @(posedge clk) begin
    v4       <= v3;
    inv4     <= inv3;
    lneg4    <= lneg3;
    won4     <= won3;
    seq4     <= seq3;
    p4       <= p3;
    zero4    <= seq3 == 64'd0;
    ct4      <= cmp64_step(seq3, top3);
    cl4      <= cmp64_step(seq3, left3);
    dlo4     <= {1'b0, sb3[15:0]} - {1'b0, tb3[15:0]};
    hi_eq4[0]   <= sb3[31:16] == tb3[31:16];
    hi_eq4[1]   <= sb3[47:32] == tb3[47:32];
    hi_eq4[2]   <= sb3[57:48] == tb3[57:48];
    hi_eq1_4[0] <= sb3[31:16] == tbh_inc3[15:0];
    hi_eq1_4[1] <= sb3[47:32] == tbh_inc3[31:16];
    hi_eq1_4[2] <= sb3[57:48] == tbh_inc3[41:32];
  end

  // ---- S5
  logic newer4, near4;
  always_comb begin
    newer4 = cmp64_ge(ct4) && !(&ct4[3:0]);  // above the top, not equal
    // the 16-bit difference is the whole difference when the high parts
    // agree, allowing for the borrow
    near4 = dlo4[16] ? &hi_eq1_4 : &hi_eq4;
  end

  always_ff @(posedge clk) begin
    out_valid   <= v4;
    out_seq     <= seq4;
    out_invalid <= inv4;
    out_zero    <= zero4;
    out_newer   <= newer4;
    out_old     <= won4 && !lneg4 && !cmp64_ge(cl4);
    out_advance <= (!near4 || dlo4[15:0] >= 16'(NW)) ? (AW+1)'(NW) : (AW+1)'(dlo4[AW:0]);
    out_pass    <= p4;
  end

endmodule

`default_nettype wire
