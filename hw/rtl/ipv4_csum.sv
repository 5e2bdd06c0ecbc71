// IPv4 header checksum (RFC 1071) of a 20-byte header, pipelined: the
// one's complement sum of ten 16-bit words as a tree of adds no wider than
// 20 bits, then two end-around-carry folds.  PASS_W bits travel alongside;
// the result comes out 6 cycles after the header.
`default_nettype none

module ipv4_csum #(
    parameter int PASS_W = 1
) (
    input  wire logic              clk,
    input  wire logic              rst,
    input  wire logic              in_valid,
    input  wire logic [159:0]      in_hdr,    // word i at [16 i +: 16], checksum field 0
    input  wire logic [PASS_W-1:0] in_pass,
    output logic                   out_valid,
    output logic [15:0]            out_csum,
    output logic [PASS_W-1:0]      out_pass
);

  if (PASS_W < 1) begin : g_check
    $error("ipv4_csum: PASS_W >= 1");
  end

  localparam int N = 6;
  logic              v_reg[N];
  logic [PASS_W-1:0] p_reg[N];

  logic [16:0] s1[5];
  logic [17:0] s2[3];
  logic [18:0] s3[2];
  logic [19:0] s4;
  logic [16:0] s5;
  logic [15:0] s6;

  always_ff @(posedge clk) begin
    for (int i = 0; i < 5; i++)
      s1[i] <= {1'b0, in_hdr[32*i +: 16]} + {1'b0, in_hdr[32*i+16 +: 16]};
    s2[0] <= {1'b0, s1[0]} + {1'b0, s1[1]};
    s2[1] <= {1'b0, s1[2]} + {1'b0, s1[3]};
    s2[2] <= {1'b0, s1[4]};
    s3[0] <= {1'b0, s2[0]} + {1'b0, s2[1]};
    s3[1] <= {1'b0, s2[2]};
    s4    <= {1'b0, s3[0]} + {1'b0, s3[1]};
    s5    <= {1'b0, s4[15:0]} + {13'b0, s4[19:16]};
    s6    <= s5[15:0] + {15'b0, s5[16]};
    v_reg[0] <= in_valid;
    p_reg[0] <= in_pass;
    for (int i = 1; i < N; i++) begin
      v_reg[i] <= v_reg[i-1];
      p_reg[i] <= p_reg[i-1];
    end
    if (rst) for (int i = 0; i < N; i++) v_reg[i] <= 1'b0;
  end

  assign out_valid = v_reg[N-1];
  assign out_pass  = p_reg[N-1];
  assign out_csum  = ~s6;

endmodule

`default_nettype wire
