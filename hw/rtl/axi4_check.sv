// Simulation-only checker of an AXI4 master port as the kernel uses it
// (docs/hw-interface.md, "The kernel"): hs_check's handshake rules on each
// of the five channels, INCR bursts of full-width beats that stay inside
// one 4 KB page (AXI4 A3.4.1), and WLAST and RLAST on exactly the beat the
// burst's length says.  Bursts are matched to their data in order; the
// kernel keeps at most DEPTH of each outstanding.
`default_nettype none

module axi4_check #(
    parameter int DATA_W = 128,
    parameter int DEPTH  = 8,       // bursts outstanding per direction, at most
    parameter     NAME   = "m_axi"
) (
    input wire logic                clk,
    input wire logic                rst,
    input wire logic [63:0]         awaddr,
    input wire logic [7:0]          awlen,
    input wire logic [2:0]          awsize,
    input wire logic [1:0]          awburst,
    input wire logic                awvalid,
    input wire logic                awready,
    input wire logic [DATA_W-1:0]   wdata,
    input wire logic [DATA_W/8-1:0] wstrb,
    input wire logic                wlast,
    input wire logic                wvalid,
    input wire logic                wready,
    input wire logic [1:0]          bresp,
    input wire logic                bvalid,
    input wire logic                bready,
    input wire logic [63:0]         araddr,
    input wire logic [7:0]          arlen,
    input wire logic [2:0]          arsize,
    input wire logic [1:0]          arburst,
    input wire logic                arvalid,
    input wire logic                arready,
    input wire logic [DATA_W-1:0]   rdata,
    input wire logic [1:0]          rresp,
    input wire logic                rlast,
    input wire logic                rvalid,
    input wire logic                rready
);

  localparam int BYTES = DATA_W / 8;
  localparam int LG = $clog2(BYTES);

  if (DATA_W < 32 || (1 << LG) != BYTES || DEPTH < 1 || DEPTH > 256) begin : g_check
    $error("axi4_check: DATA_W a power of two >= 32, DEPTH 1..256");
  end

  hs_check #(.W(64 + 8 + 3 + 2), .NAME({NAME, ".AW"})) u_aw (
      .clk(clk), .rst(rst), .valid(awvalid), .ready(awready),
      .payload({awaddr, awlen, awsize, awburst}));
  hs_check #(.W(DATA_W + BYTES + 1), .NAME({NAME, ".W"})) u_w (
      .clk(clk), .rst(rst), .valid(wvalid), .ready(wready), .payload({wdata, wstrb, wlast}));
  hs_check #(.W(2), .NAME({NAME, ".B"})) u_b (
      .clk(clk), .rst(rst), .valid(bvalid), .ready(bready), .payload(bresp));
  hs_check #(.W(64 + 8 + 3 + 2), .NAME({NAME, ".AR"})) u_ar (
      .clk(clk), .rst(rst), .valid(arvalid), .ready(arready),
      .payload({araddr, arlen, arsize, arburst}));
  hs_check #(.W(DATA_W + 2 + 1), .NAME({NAME, ".R"})) u_r (
      .clk(clk), .rst(rst), .valid(rvalid), .ready(rready), .payload({rdata, rresp, rlast}));

`ifndef SYNTHESIS
  // a burst's last byte on the same 4 KB page as its first
  function automatic logic one_page(input logic [11:0] a, input logic [7:0] len);
    logic [64:0] end_a;  // one past the last byte
    end_a = 65'(a) + ((65'(len) + 65'd1) << LG);
    return end_a <= 65'd4096;
  endfunction

  // lengths of the bursts whose data has not all passed, in order
  logic [7:0] wq[DEPTH], rq[DEPTH];
  int unsigned wn, rn;       // bursts queued
  logic [8:0]  wbeat, rbeat; // beats of the head burst already passed

  always_ff @(posedge clk) begin
    if (rst) begin
      wn    <= 0;
      rn    <= 0;
      wbeat <= '0;
      rbeat <= '0;
    end else begin
      if (awvalid) begin
        a_aw_incr : assert (awburst == 2'd1 && awsize == 3'(LG) && awaddr[LG-1:0] == '0)
        else $error("%s.AW: burst %0d size %0d address %h: not INCR of aligned full-width beats",
                    NAME, awburst, awsize, awaddr);
        a_aw_page : assert (one_page(awaddr[11:0], awlen))
        else $error("%s.AW: %h + %0d beats crosses a 4 KB boundary", NAME, awaddr, awlen + 1);
      end
      if (arvalid) begin
        a_ar_incr : assert (arburst == 2'd1 && arsize == 3'(LG) && araddr[LG-1:0] == '0)
        else $error("%s.AR: burst %0d size %0d address %h: not INCR of aligned full-width beats",
                    NAME, arburst, arsize, araddr);
        a_ar_page : assert (one_page(araddr[11:0], arlen))
        else $error("%s.AR: %h + %0d beats crosses a 4 KB boundary", NAME, araddr, arlen + 1);
      end
      a_depth : assert (wn < DEPTH && rn < DEPTH)
      else $error("%s: more than %0d bursts outstanding", NAME, DEPTH - 1);
      // each direction: push at the address handshake, then match the data
      // beat of this edge against the oldest burst, pop at its last beat
      begin
        logic [7:0]  q[DEPTH];
        int unsigned n;
        q = wq;
        n = wn;
        if (awvalid && awready && n < DEPTH) begin
          q[n] = awlen;
          n = n + 1;
        end
        if (wvalid && wready) begin
          a_w_burst : assert (n != 0)
          else $error("%s.W: a data beat before its burst's address", NAME);
          if (n != 0) begin
            a_wlast : assert (wlast == (9'(q[0]) == wbeat))
            else $error("%s.W: WLAST %0d on beat %0d of a %0d-beat burst", NAME, wlast,
                        wbeat + 9'd1, q[0] + 8'd1);
            if (9'(q[0]) == wbeat) begin
              for (int i = 0; i + 1 < DEPTH; i++) q[i] = q[i + 1];
              n = n - 1;
              wbeat <= '0;
            end else begin
              wbeat <= wbeat + 9'd1;
            end
          end
        end
        wq <= q;
        wn <= n;
        q = rq;
        n = rn;
        if (arvalid && arready && n < DEPTH) begin
          q[n] = arlen;
          n = n + 1;
        end
        if (rvalid && rready) begin
          a_r_burst : assert (n != 0)
          else $error("%s.R: a read beat with no read outstanding", NAME);
          if (n != 0) begin
            a_rlast : assert (rlast == (9'(q[0]) == rbeat))
            else $error("%s.R: RLAST %0d on beat %0d of a %0d-beat burst", NAME, rlast,
                        rbeat + 9'd1, q[0] + 8'd1);
            if (9'(q[0]) == rbeat) begin
              for (int i = 0; i + 1 < DEPTH; i++) q[i] = q[i + 1];
              n = n - 1;
              rbeat <= '0;
            end else begin
              rbeat <= rbeat + 9'd1;
            end
          end
        end
        rq <= q;
        rn <= n;
      end
    end
  end
`endif

endmodule

`default_nettype wire
