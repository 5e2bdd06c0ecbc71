// Per-SA drop counters: one 64-bit counter per SA and status code in a RAM,
// incremented by read-modify-write (three cycles each) from a request
// queue.  The host reads or writes the 16 counters of an SA through the
// SA-table commands READ_CTR and WRITE_CTR.
`default_nettype none

module drop_ctr #(
    parameter int SA_BITS = 12  // log2 of the number of SAs
) (
    input  wire logic               clk,
    input  wire logic               rst,
    // increments
    input  wire logic               inc_valid,
    output logic                    inc_ready,
    input  wire logic [SA_BITS-1:0] inc_sa,
    input  wire logic [3:0]         inc_status,
    // host: read (cmd_write 0) or write the 16 counters of cmd_sa
    input  wire logic               cmd_valid,
    input  wire logic               cmd_write,
    input  wire logic [SA_BITS-1:0] cmd_sa,
    input  wire logic [1023:0]      cmd_wdata,   // counter s at [64 s +: 64]
    output logic                    cmd_done,
    output logic                    rd_valid,    // one counter read back
    output logic [3:0]              rd_idx,
    output logic [63:0]             rd_data
);

`include "ipsecfx_func.svh"

  if (SA_BITS < 1 || SA_BITS > 16) begin : g_check
    $error("drop_ctr: SA_BITS 1..16");
  end

  logic               q_valid, q_pop;
  logic [SA_BITS-1:0] q_sa;
  logic [3:0]         q_status;
  logic [4:0]         q_count_unused;
  sync_fifo #(.WIDTH(SA_BITS + 4), .DEPTH_W(4)) u_q (
      .clk      (clk),
      .rst      (rst),
      .in_valid (inc_valid),
      .in_ready (inc_ready),
      .in_data  ({inc_sa, inc_status}),
      .out_valid(q_valid),
      .out_ready(q_pop),
      .out_data ({q_sa, q_status}),
      .count    (q_count_unused)
  );

  typedef enum logic [2:0] {S_IDLE, S_WAIT, S_WRITE, S_HOST, S_HOST_W1, S_HOST_LAST} state_t;
  state_t             state_reg;
  logic [SA_BITS+3:0] addr_reg;
  logic [4:0]         idx_reg;     // host command: counter being handled
  logic [1:0]         hrd_reg;     // host reads in flight (data two cycles on)
  logic [3:0]         hidx_reg[2];

  logic               we, re;
  logic [SA_BITS+3:0] waddr, raddr;
  logic [63:0]        wdata, rdata;

  always_comb begin
    we = 1'b0;
    re = 1'b0;
    waddr = addr_reg;
    raddr = addr_reg;
    wdata = inc64(rdata);
    q_pop = 1'b0;
    case (state_reg)
      S_IDLE: begin
        if (!(cmd_valid && !cmd_done) && q_valid) begin
          re = 1'b1;
          raddr = {q_sa, q_status};
          q_pop = 1'b1;
        end
      end
      S_WRITE: we = 1'b1;
      S_HOST: begin
        waddr = {cmd_sa, idx_reg[3:0]};
        raddr = {cmd_sa, idx_reg[3:0]};
        wdata = cmd_wdata[64*idx_reg[3:0] +: 64];
        we = cmd_write;
        re = !cmd_write;
      end
      default: ;
    endcase
  end

  always_ff @(posedge clk) begin
    cmd_done <= 1'b0;
    hrd_reg  <= {hrd_reg[0], 1'b0};
    hidx_reg[1] <= hidx_reg[0];
    case (state_reg)
      S_IDLE: begin
        // cmd_valid stays up the cycle cmd_done is out: not a new command
        if (cmd_valid && !cmd_done) begin
          state_reg <= S_HOST;
          idx_reg   <= '0;
        end else if (q_valid) begin
          state_reg <= S_WAIT;
          addr_reg  <= {q_sa, q_status};
        end
      end
      S_WAIT: state_reg <= S_WRITE;
      S_WRITE: state_reg <= S_IDLE;  // read data is in; write it + 1
      S_HOST: begin
        hrd_reg[0]  <= !cmd_write;
        hidx_reg[0] <= idx_reg[3:0];
        idx_reg     <= idx_reg + 1'b1;
        if (idx_reg == 5'd15) state_reg <= S_HOST_W1;
      end
      S_HOST_W1: state_reg <= S_HOST_LAST;
      S_HOST_LAST: begin  // the last read lands; the command completes
        cmd_done  <= 1'b1;
        state_reg <= S_IDLE;
      end
      default: state_reg <= S_IDLE;
    endcase
    if (rst) begin
      state_reg <= S_IDLE;
      cmd_done  <= 1'b0;
      hrd_reg   <= 2'b00;
    end
  end

  assign rd_valid = hrd_reg[1];
  assign rd_idx   = hidx_reg[1];
  assign rd_data  = rdata;

  ram_sdp #(.WIDTH(64), .ADDR_W(SA_BITS + 4), .ULTRA(SA_BITS >= 8), .OREG(1'b1)) u_ram (
      .clk  (clk),
      .we   (we),
      .waddr(waddr),
      .wdata(wdata),
      .re   (re),
      .raddr(raddr),
      .rdata(rdata)
  );

  /* verilator lint_off UNUSEDSIGNAL */
  logic unused_ok;
  assign unused_ok = ^q_count_unused;
  /* verilator lint_on UNUSEDSIGNAL */

endmodule

`default_nettype wire
