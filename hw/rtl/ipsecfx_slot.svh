// Slot kinds of the GCM pipeline (gcm_pipe), shared by the modules that
// feed it.  Internal to the RTL: the host never sees them.  Included inside
// each module that uses them, so no include guard.
// verilator lint_off UNUSEDPARAM
localparam logic [2:0] SLOT_J0   = 3'd0;  // AES(counter) = tag mask; nothing hashed
localparam logic [2:0] SLOT_J0A  = 3'd1;  // AES(counter) = tag mask; data hashed (ESP AAD)
localparam logic [2:0] SLOT_AAD  = 3'd2;  // data hashed
localparam logic [2:0] SLOT_DATA = 3'd3;  // data ^ AES(counter) out; ciphertext hashed
localparam logic [2:0] SLOT_LEN  = 3'd4;  // data (the length block) hashed
// verilator lint_on UNUSEDPARAM
