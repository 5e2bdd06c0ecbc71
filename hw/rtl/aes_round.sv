// One AES encryption round (FIPS-197 5.1) as combinational logic:
// SubBytes, ShiftRows, MixColumns (left out in the final round) and
// AddRoundKey.  A stage that may act as a bare AddRoundKey (ARK_ONLY_OK)
// lets AES-128 and AES-192 blocks pass the leading stages of the 14-round
// pipeline untouched but for a key XOR (see aes_enc_pipe).
//
// State layout: byte 0 of the block (the first byte on the wire) sits in
// bits [127:120]; byte i is row i % 4, column i / 4 of the AES state.
`default_nettype none

module aes_round #(
    parameter bit FINAL       = 1'b0,  // last round: no MixColumns
    parameter bit ARK_ONLY_OK = 1'b0   // the stage can be a bare AddRoundKey
) (
    input  wire logic [127:0] state_in,
    input  wire logic [127:0] round_key,
    input  wire logic         ark_only,   // only with ARK_ONLY_OK
    output logic      [127:0] state_out
);

  logic [7:0] sb[16];   // after SubBytes, byte order of the input
  logic [7:0] sr[16];   // after ShiftRows
  logic [7:0] mc[16];   // after MixColumns (or ShiftRows in the final round)
  logic [127:0] rnd;

  function automatic logic [7:0] xtime(input logic [7:0] a);
    xtime = {a[6:0], 1'b0} ^ (a[7] ? 8'h1b : 8'h00);
  endfunction

  genvar i;
  generate
    for (i = 0; i < 16; i++) begin : g_sbox
      aes_sbox u_sbox (.x(state_in[127-8*i -: 8]), .y(sb[i]));
    end
  endgenerate

  always_comb begin
    // ShiftRows: row r rotates left by r columns
    for (int c = 0; c < 4; c++)
      for (int r = 0; r < 4; r++)
        sr[r + 4*c] = sb[r + 4*((c + r) % 4)];
    for (int c = 0; c < 4; c++) begin
      if (FINAL) begin
        for (int r = 0; r < 4; r++) mc[r + 4*c] = sr[r + 4*c];
      end else begin
        mc[4*c+0] = xtime(sr[4*c+0]) ^ xtime(sr[4*c+1]) ^ sr[4*c+1] ^ sr[4*c+2] ^ sr[4*c+3];
        mc[4*c+1] = sr[4*c+0] ^ xtime(sr[4*c+1]) ^ xtime(sr[4*c+2]) ^ sr[4*c+2] ^ sr[4*c+3];
        mc[4*c+2] = sr[4*c+0] ^ sr[4*c+1] ^ xtime(sr[4*c+2]) ^ xtime(sr[4*c+3]) ^ sr[4*c+3];
        mc[4*c+3] = xtime(sr[4*c+0]) ^ sr[4*c+0] ^ sr[4*c+1] ^ sr[4*c+2] ^ xtime(sr[4*c+3]);
      end
    end
    for (int b = 0; b < 16; b++) rnd[127-8*b -: 8] = mc[b];
    if (ARK_ONLY_OK && ark_only) state_out = state_in ^ round_key;
    else state_out = rnd ^ round_key;
  end

endmodule

`default_nettype wire
