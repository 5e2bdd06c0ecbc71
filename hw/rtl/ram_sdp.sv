// Simple dual-port RAM: one synchronous write port, one synchronous read
// port (data one cycle after the address), as block RAM or UltraRAM infer
// from it.  A read of the address written in the same cycle returns the
// old data; the pipeline never depends on that case.  No reset: RAM
// contents are programmed by the host before use.
`default_nettype none

module ram_sdp #(
    parameter int WIDTH  = 128,  // bits per word
    parameter int ADDR_W = 12,   // 2**ADDR_W words
    parameter bit ULTRA  = 1'b0, // ask for UltraRAM (ram_style "ultra")
    parameter bit OREG   = 1'b0  // register the output again: two cycles of latency,
                                 // the read mux of a deep RAM gets a cycle of its own
) (
    input  wire logic              clk,
    input  wire logic              we,
    input  wire logic [ADDR_W-1:0] waddr,
    input  wire logic [WIDTH-1:0]  wdata,
    input  wire logic              re,
    input  wire logic [ADDR_W-1:0] raddr,
    output logic      [WIDTH-1:0]  rdata
);

  logic [WIDTH-1:0] q;

  if (WIDTH < 1 || ADDR_W < 1 || ADDR_W > 20) begin : g_check
    $error("ram_sdp: WIDTH must be >= 1 and ADDR_W 1..20");
  end

  if (ULTRA) begin : g_uram
    (* ram_style = "ultra" *) logic [WIDTH-1:0] mem[2**ADDR_W];
    always_ff @(posedge clk) begin
      if (we) mem[waddr] <= wdata;
      if (re) q <= mem[raddr];
    end
  end else begin : g_bram
    logic [WIDTH-1:0] mem[2**ADDR_W];
    always_ff @(posedge clk) begin
      if (we) mem[waddr] <= wdata;
      if (re) q <= mem[raddr];
    end
  end

  if (OREG) begin : g_oreg
    logic re_d;
    always_ff @(posedge clk) begin
      re_d <= re;
      if (re_d) rdata <= q;
    end
  end else begin : g_noreg
    assign rdata = q;
  end

endmodule

`default_nettype wire
