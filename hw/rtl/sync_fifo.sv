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

  localparam int N = 2 ** DEPTH_W;

  logic [WIDTH-1:0]   mem[N];
  logic [DEPTH_W-1:0] wr_reg, rd_reg;
  logic [DEPTH_W:0]   count_reg, count_p1_reg, count_m1_reg;  // count, count + 1, count - 1
  logic [N-1:0]       fill_reg;   // thermometer: fill_reg[k] = more than k entries

  // full and empty are bits of a thermometer code of the count, so that
  // in_ready and out_valid leave flip-flops and their next values only
  // look at neighbouring bits; the binary count (for the consumers' room
  // checks) keeps count + 1 and count - 1 ready, so that a handshake only
  // selects (no adder or compare behind it)
  logic push, pop;
  assign push      = in_valid && !fill_reg[N-1];
  assign pop       = out_ready && fill_reg[0];
  assign count     = count_reg;
  assign in_ready  = !fill_reg[N-1];
  assign out_valid = fill_reg[0];
  assign out_data  = mem[rd_reg];

  always_ff @(posedge clk) begin
    if (push) mem[wr_reg] <= in_data;
  end

  always_ff @(posedge clk) begin
    if (push) wr_reg <= wr_reg + 1'b1;
    if (pop) rd_reg <= rd_reg + 1'b1;
    if (push && !pop) begin
      count_reg    <= count_p1_reg;
      count_p1_reg <= count_p1_reg + 1'b1;
      count_m1_reg <= count_reg;
      fill_reg     <= {fill_reg[N-2:0], 1'b1};
    end else if (pop && !push) begin
      count_reg    <= count_m1_reg;
      count_p1_reg <= count_reg;
      count_m1_reg <= count_m1_reg - 1'b1;
      fill_reg     <= {1'b0, fill_reg[N-1:1]};
    end
    if (rst) begin
      wr_reg       <= '0;
      rd_reg       <= '0;
      count_reg    <= '0;
      count_p1_reg <= (DEPTH_W+1)'(1);
      count_m1_reg <= '1;
      fill_reg     <= '0;
    end
  end

endmodule

`default_nettype wire
