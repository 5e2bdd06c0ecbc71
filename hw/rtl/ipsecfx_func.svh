// Wide arithmetic without long carry chains, for the SA state machines.
// yosys maps '+' and compares to CARRY4 chains, one cell per four bits;
// these keep every step within the pipeline's logic-depth budget.
// Included inside each module that uses them, so no include guard.

// x + 1 as four 16-bit increments, each taken when every chunk below it
// is all ones (carry select: 16-bit carry chains side by side)
function automatic logic [63:0] inc64(input logic [63:0] x);
  logic c;
  c = 1'b1;
  for (int k = 0; k < 4; k++) begin
    inc64[16*k +: 16] = c ? x[16*k +: 16] + 16'd1 : x[16*k +: 16];
    c = c && x[16*k +: 16] == 16'hffff;
  end
endfunction

// first step of a >= b: per 16-bit chunk {gt[3:0], eq[3:0]}
function automatic logic [7:0] cmp64_step(input logic [63:0] a, input logic [63:0] b);
  for (int k = 0; k < 4; k++) begin
    cmp64_step[4+k] = a[16*k +: 16] > b[16*k +: 16];
    cmp64_step[k]   = a[16*k +: 16] == b[16*k +: 16];
  end
endfunction

// second step: a >= b from the chunk results
function automatic logic cmp64_ge(input logic [7:0] s);
  cmp64_ge = s[7] || (s[3] && (s[6] || (s[2] && (s[5] || (s[1] && (s[4] || s[0]))))));
endfunction
