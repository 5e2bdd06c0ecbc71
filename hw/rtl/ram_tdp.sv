// Dual-port RAM: port A reads or writes, port B reads, both synchronous
// (data one cycle after the address), as block RAM and UltraRAM offer.  A
// port-A write does not update port A's read data; a port-B read of the
// address port A writes in the same cycle returns the old data (the
// pipeline tolerates either).  No reset.
`default_nettype none

module ram_tdp #(
    parameter int WIDTH  = 64,   // bits per word
    parameter int ADDR_W = 12,   // 2**ADDR_W words
    parameter bit ULTRA  = 1'b0, // ask for UltraRAM
    parameter bit OREG   = 1'b0  // register the outputs again: two cycles of latency,
                                 // the read mux of a deep RAM gets a cycle of its own
) (
    input  wire logic              clk,
    input  wire logic              a_en,
    input  wire logic              a_we,
    input  wire logic [ADDR_W-1:0] a_addr,
    input  wire logic [WIDTH-1:0]  a_wdata,
    output logic      [WIDTH-1:0]  a_rdata,
    input  wire logic              b_en,
    input  wire logic [ADDR_W-1:0] b_addr,
    output logic      [WIDTH-1:0]  b_rdata
);

  logic [WIDTH-1:0] qa, qb;

  if (WIDTH < 1 || ADDR_W < 1 || ADDR_W > 20) begin : g_check
    $error("ram_tdp: WIDTH >= 1, ADDR_W 1..20");
  end

  if (ULTRA) begin : g_uram
    (* ram_style = "ultra" *) logic [WIDTH-1:0] mem[2**ADDR_W];
    always_ff @(posedge clk) begin
      if (a_en) begin
        if (a_we) mem[a_addr] <= a_wdata;
        else qa <= mem[a_addr];
      end
    end
    always_ff @(posedge clk) begin
      if (b_en) qb <= mem[b_addr];
    end
  end else begin : g_bram
    logic [WIDTH-1:0] mem[2**ADDR_W];
    always_ff @(posedge clk) begin
      if (a_en) begin
        if (a_we) mem[a_addr] <= a_wdata;
        else qa <= mem[a_addr];
      end
    end
    always_ff @(posedge clk) begin
      if (b_en) qb <= mem[b_addr];
    end
  end

  if (OREG) begin : g_oreg
    logic a_d, b_d;
    always_ff @(posedge clk) begin
      a_d <= a_en && !a_we;
      b_d <= b_en;
      if (a_d) a_rdata <= qa;
      if (b_d) b_rdata <= qb;
    end
  end else begin : g_noreg
    assign a_rdata = qa;
    assign b_rdata = qb;
  end

endmodule

`default_nettype wire
