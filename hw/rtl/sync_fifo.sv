// Small synchronous FIFO, first-word fall-through: out_data is valid while
// out_valid is high and advances when out_ready is.  The storage is a
// register array read asynchronously (distributed RAM), meant for shallow
// queues of descriptors and tags; deep data buffers use ram_sdp.
`default_nettype none

module sync_fifo #(
    parameter int WIDTH   = 32,  // bits per entry
    parameter int DEPTH_W = 4    // 2**DEPTH_W entries
) (
    input  wire logic               clk,
    input  wire logic               rst,
    input  wire logic               in_valid,
    output logic                    in_ready,
    input  wire logic [WIDTH-1:0]   in_data,
    output logic                    out_valid,
    input  wire logic               out_ready,
    output logic      [WIDTH-1:0]   out_data,
    output logic      [DEPTH_W:0]   count
);

  if (WIDTH < 1 || DEPTH_W < 1 || DEPTH_W > 8) begin : g_check
    $error("sync_fifo: WIDTH must be >= 1, DEPTH_W 1..8");
  end

  logic [WIDTH-1:0] mem[2**DEPTH_W];
  logic [DEPTH_W:0] wr_reg, rd_reg, count_reg;

  // full and empty from the pointers (equality, no subtraction); the count
  // is a register of its own for the consumers' room checks
  assign count     = count_reg;
  assign in_ready  = wr_reg != {~rd_reg[DEPTH_W], rd_reg[DEPTH_W-1:0]};
  assign out_valid = wr_reg != rd_reg;
  assign out_data  = mem[rd_reg[DEPTH_W-1:0]];

  always_ff @(posedge clk) begin
    if (in_valid && in_ready) mem[wr_reg[DEPTH_W-1:0]] <= in_data;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      wr_reg    <= '0;
      rd_reg    <= '0;
      count_reg <= '0;
    end else begin
      if (in_valid && in_ready) wr_reg <= wr_reg + 1'b1;
      if (out_valid && out_ready) rd_reg <= rd_reg + 1'b1;
      count_reg <= count_reg + (DEPTH_W+1)'(in_valid && in_ready) - (DEPTH_W+1)'(out_valid && out_ready);
    end
  end

endmodule

`default_nettype wire
