// Inbound SA commands from the host (docs/hw-interface.md): WRITE_CFG,
// WRITE_KEY, CLEAR_KEYS, WRITE_BKT and READ_BKT; any other op that esp_decap
// routes here ends with cmd_err.  The arguments are checked when the command
// arrives (SA index, key slot, bucket index and table, cipher, window), then
// the executor asks decap_admit for the SA tables it shares with the packet
// path (the two SPI bucket RAMs and the configuration RAM, port A) and, for
// as long as it holds them, also writes the key slots of gcm_pipe.
//
// Sharing: h_req rises the cycle the command arrives and falls in the cycle
// before cmd_done; decap_admit answers with h_gnt from its packet machine
// when that is idle, a pending command before a new packet.  Table and key
// writes happen only in granted cycles.  A command takes, from its arrival
// at an idle admission: one cycle to be granted, one to be carried out
// (READ_BKT one more for the read data, CLEAR_KEYS one per key slot), one
// to end; cmd_done is a one-cycle pulse after that and cmd_err holds the
// command's verdict until the next command is carried out.
`default_nettype none

`include "esp_decap_wo.svh"

module decap_cmd #(
    parameter int SA_BITS = 12,  // log2 of the number of inbound SAs
    parameter int NW      = 32   // replay window ring words: windows up to 64 * (NW - 1)
) (
    input  wire logic                clk,
    input  wire logic                rst,
    // host command (op, index, slot and staging hold while cmd_valid is up;
    // cmd_valid falls the cycle after cmd_done)
    input  wire logic                cmd_valid,
    input  wire logic [3:0]          cmd_op,
    input  wire logic [15:0]         cmd_index,
    input  wire logic [4:0]          cmd_slot,
    input  wire logic [2047:0]       cmd_stg,
    output logic                     cmd_done,
    output logic                     cmd_err,
    output logic [63:0]              stg_we,     // READ_BKT's answer, by staging word
    output logic [2047:0]            stg_wdata,
    // the SA tables in decap_admit: requested, then granted while its
    // packet machine is idle
    output logic                     h_req,
    input  wire logic                h_gnt,
    output logic                     h_bkt_we,
    output logic                     h_bkt_re,
    output logic                     h_bkt_sel,  // SPI table 0 or 1
    output logic [SA_BITS-3:0]       h_bkt_idx,
    output logic [4*48-1:0]          h_bkt_wdata, // IPX_SPI_WAYS x {sa[15:0], spi[31:0]}
    input  wire logic [4*48-1:0]     h_bkt_rdata, // bucket h_bkt_idx of h_bkt_sel, a cycle after h_bkt_re
    output logic                     h_cfg_we,
    output logic [SA_BITS-1:0]       h_cfg_addr,
    output logic [`DCFG_W-1:0]       h_cfg_wdata,
    // key slots of gcm_pipe (written only while granted)
    output logic                     kw_en,
    output logic [4:0]               kw_slot,
    output logic [SA_BITS-1:0]       kw_sa,
    output logic [127:0]             kw_data
);

`include "ipsecfx_contract.svh"

  localparam int BKT_BITS = SA_BITS - 2;  // 4-way buckets: a quarter as many as SAs
  localparam int NWAY = 32'(IPX_SPI_WAYS);

  if (SA_BITS < 3 || SA_BITS > 16 || NW < 2 || (NW & (NW - 1)) != 0) begin : g_check
    $error("decap_cmd: SA_BITS 3..16, NW a power of two");
  end
  if (`DCFG_W != 4 * 64 + 32 + 32 + 16 + 1 + 2 + 1) begin : g_check_cfg
    $error("decap_cmd: DCFG_W does not match the fields");
  end
  if (IPX_SPI_WAYS != 4 || IPX_SPI_TABLES != 2 || IPX_KEY_SLOTS < 1 || IPX_KEY_SLOTS > 32 ||
      IPX_F_BKT_SPI_LSB + 64 * (NWAY - 1) + 32 > 256 ||
      IPX_F_BKT_SA_LSB + 64 * (NWAY - 1) + 16 > 256) begin : g_check_contract
    $error("decap_cmd: two SPI tables of 4-way buckets in staging words 0..7, 1..32 key slots");
  end

  // ---- staging fields
  logic [63:0]  f_hard_pkts, f_hard_bytes, f_soft_pkts, f_soft_bytes;
  logic [31:0]  f_salt, f_spi;
  logic [15:0]  f_w;
  logic         f_esn, f_valid;
  logic [3:0]   f_cipher;
  assign f_hard_pkts  = cmd_stg[IPX_F_CFG_HARD_PKTS_LSB +: 64];
  assign f_hard_bytes = cmd_stg[IPX_F_CFG_HARD_BYTES_LSB +: 64];
  assign f_soft_pkts  = cmd_stg[IPX_F_CFG_SOFT_PKTS_LSB +: 64];
  assign f_soft_bytes = cmd_stg[IPX_F_CFG_SOFT_BYTES_LSB +: 64];
  assign f_salt       = cmd_stg[IPX_F_CFG_SALT_LSB +: 32];
  assign f_spi        = cmd_stg[IPX_F_CFG_SPI_LSB +: 32];
  assign f_w          = cmd_stg[IPX_F_CFG_WINDOW_LSB +: 16];
  assign f_esn        = cmd_stg[IPX_F_CFG_ESN_LSB];
  assign f_valid      = cmd_stg[IPX_F_CFG_VALID_LSB];
  assign f_cipher     = cmd_stg[IPX_F_CFG_CIPHER_LSB +: 4];

  // the configuration as decap_admit and decap_commit read it: a valid SA
  // with a cipher or window the pipeline cannot run is stored invalid
  logic       cfg_ok;
  logic [1:0] cfg_nr;
  always_comb begin
    cfg_ok = 1'b1;
    cfg_nr = 2'd0;
    unique case (f_cipher)
      IPX_CIPHER_AES128GCM16: cfg_nr = 2'd0;
      IPX_CIPHER_AES192GCM16: cfg_nr = 2'd1;
      IPX_CIPHER_AES256GCM16: cfg_nr = 2'd2;
      default: cfg_ok = 1'b0;
    endcase
    // the window must fit the ring, with a word to spare; ESN needs one
    if (f_w > 16'(64 * (NW - 1)) || (f_esn && f_w == 16'd0)) cfg_ok = 1'b0;
  end

  assign h_cfg_addr  = cmd_index[SA_BITS-1:0];
  assign h_cfg_wdata = {f_hard_pkts, f_hard_bytes, f_soft_pkts, f_soft_bytes, f_salt, f_spi,
                        f_w, f_esn, cfg_nr, f_valid && cfg_ok};
  assign h_bkt_sel   = cmd_slot[0];
  assign h_bkt_idx   = cmd_index[BKT_BITS-1:0];
  always_comb
    for (int e = 0; e < NWAY; e++)
      h_bkt_wdata[48*e +: 48] = {cmd_stg[IPX_F_BKT_SA_LSB + 64*e +: 16],
                                 cmd_stg[IPX_F_BKT_SPI_LSB + 64*e +: 32]};
  assign kw_sa = cmd_index[SA_BITS-1:0];

  // ---- executor
  typedef enum logic [2:0] {
    C_IDLE,   // waiting for a command
    C_EXEC,   // arguments checked; carried out in the first granted cycle
    C_READ,   // READ_BKT: the bucket comes back
    C_CLEAR,  // CLEAR_KEYS: one key slot per cycle
    C_DONE    // tables released; cmd_done next cycle
  } state_t;

  state_t      state_d, state_q;
  logic        sa_ok_d, sa_ok_q;    // SA index in range
  logic        cfg_ok_d, cfg_ok_q;  // ... and a configuration that may be stored
  logic        key_ok_d, key_ok_q;  // ... and a key slot in range
  logic        bkt_ok_d, bkt_ok_q;  // bucket index and SPI table in range
  logic [4:0]  clr_d, clr_q;        // CLEAR_KEYS: key slot
  logic        done_d, done_q;
  logic        err_d, err_q;
  logic        rd_d, rd_q;          // READ_BKT: the bucket goes to the staging area
  logic [4*48-1:0] bkt_d, bkt_q;

  logic cmd_new, oob_sa, oob_bkt;
  assign cmd_new = state_q == C_IDLE && cmd_valid && !done_q;
  assign oob_sa  = cmd_index >= 16'(2 ** SA_BITS);
  assign oob_bkt = cmd_index >= 16'(2 ** BKT_BITS) || cmd_slot > 5'd1;

  always_comb begin
    state_d  = state_q;
    sa_ok_d  = sa_ok_q;
    cfg_ok_d = cfg_ok_q;
    key_ok_d = key_ok_q;
    bkt_ok_d = bkt_ok_q;
    clr_d    = clr_q;
    done_d   = 1'b0;
    err_d    = err_q;
    rd_d     = 1'b0;
    bkt_d    = bkt_q;
    h_req    = 1'b0;
    h_bkt_we = 1'b0;
    h_bkt_re = 1'b0;
    h_cfg_we = 1'b0;
    kw_en    = 1'b0;
    kw_slot  = cmd_slot;
    kw_data  = cmd_stg[IPX_F_KEY_LSB +: 128];
    unique case (state_q)
      C_IDLE: begin
        h_req = cmd_new;  // the same cycle, so that it wins over a packet
        if (cmd_new) begin
          sa_ok_d  = !oob_sa;
          cfg_ok_d = !oob_sa && (cfg_ok || !f_valid);
          key_ok_d = !oob_sa && cmd_slot < 5'(IPX_KEY_SLOTS);
          bkt_ok_d = !oob_bkt;
          state_d  = C_EXEC;
        end
      end
      C_EXEC: begin
        h_req = 1'b1;
        if (h_gnt) begin
          err_d   = 1'b0;
          state_d = C_DONE;
          unique case (cmd_op)
            IPX_CMD_WRITE_CFG: begin
              h_cfg_we = cfg_ok_q;
              err_d    = !cfg_ok_q;
            end
            IPX_CMD_WRITE_KEY: begin
              kw_en = key_ok_q;
              err_d = !key_ok_q;
            end
            IPX_CMD_CLEAR_KEYS: begin
              err_d = !sa_ok_q;
              clr_d = '0;
              if (sa_ok_q) state_d = C_CLEAR;
            end
            IPX_CMD_WRITE_BKT: begin
              h_bkt_we = bkt_ok_q;
              err_d    = !bkt_ok_q;
            end
            IPX_CMD_READ_BKT: begin
              h_bkt_re = bkt_ok_q;
              err_d    = !bkt_ok_q;
              if (bkt_ok_q) state_d = C_READ;
            end
            default: err_d = 1'b1;
          endcase
        end
      end
      C_READ: begin
        h_req   = 1'b1;
        rd_d    = 1'b1;
        bkt_d   = h_bkt_rdata;
        state_d = C_DONE;
      end
      C_CLEAR: begin
        h_req   = 1'b1;
        kw_en   = 1'b1;
        kw_slot = clr_q;
        kw_data = '0;
        clr_d   = clr_q + 5'd1;
        if (clr_q == 5'(IPX_KEY_SLOTS - 1)) state_d = C_DONE;
      end
      C_DONE: begin
        done_d  = 1'b1;
        state_d = C_IDLE;
      end
      default: state_d = C_IDLE;
    endcase
  end

  always_ff @(posedge clk) begin
    state_q  <= state_d;
    sa_ok_q  <= sa_ok_d;
    cfg_ok_q <= cfg_ok_d;
    key_ok_q <= key_ok_d;
    bkt_ok_q <= bkt_ok_d;
    clr_q    <= clr_d;
    done_q   <= done_d;
    err_q    <= err_d;
    rd_q     <= rd_d;
    bkt_q    <= bkt_d;
    if (rst) begin
      state_q <= C_IDLE;
      done_q  <= 1'b0;
      err_q   <= 1'b0;
      rd_q    <= 1'b0;
    end
  end

  assign cmd_done = done_q;
  assign cmd_err  = err_q;

  // READ_BKT's answer: the bucket's entries in staging words 0..7
  assign stg_we = {56'd0, {8{rd_q}}};
  always_comb begin
    stg_wdata = '0;
    for (int e = 0; e < NWAY; e++) begin
      stg_wdata[IPX_F_BKT_SPI_LSB + 64*e +: 32] = bkt_q[48*e +: 32];
      stg_wdata[IPX_F_BKT_SA_LSB + 64*e +: 16]  = bkt_q[48*e+32 +: 16];
    end
  end

endmodule

`default_nettype wire
