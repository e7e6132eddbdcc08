// tb_top: what tests/rtl/tb_array.cc simulates in one Verilator build: the
// arrays of models/rtl in several shapes, operand widths and both kinds
// (tb_slot), the fixed MACs of every width qarray synthesizes, and the
// precision-configurable MAC. `sel` picks the array that runs; the others
// are held in reset. The slot table must match kSlots in tb_array.cc (the
// bench checks it through slot_info). Simulation only.
module tb_top (
    input  wire         clk,
    input  wire         rst,
    input  wire         start,
    input  wire         db,
    input  wire [3:0]   sel,
    input  wire [15:0]  d0,
    input  wire [15:0]  d1,
    input  wire [15:0]  d2,
    output wire         done,
    output wire [31:0]  cycles,
    output wire [15:0]  slot_info,   // {st, R, C, W} of slot sel, 4 bits each
    // MACs
    input  wire         mac_en,
    input  wire         mac_clr,
    input  wire [15:0]  mac_a,
    input  wire [15:0]  mac_b,
    input  wire [1:0]   cfg_mode,
    output wire [159:0] fixed_acc,   // W = 2, 3, 4, 8, 16: 32 bits each
    output wire [255:0] cfg_acc      // 8 lanes, 32 bits each
);
    localparam NS = 12;
    // {st, R, C, W} per slot
    localparam [NS*16-1:0] INFO = {
        16'h0618, 16'h0163, 16'h0112, 16'h052f, 16'h0354, 16'h0448,
        16'h1618, 16'h1163, 16'h1112, 16'h152f, 16'h1354, 16'h1448};
    wire [NS-1:0] dn;
    wire [NS*32-1:0] cy;

    genvar s;
    generate
        for (s = 0; s < NS; s = s + 1) begin : g_slot
            localparam [15:0] I = INFO[s*16 +: 16];
            // Integers for the parameters; W = 16 is written as f.
            localparam integer ST = {31'd0, I[12]};
            localparam integer R = {28'd0, I[11:8]};
            localparam integer C = {28'd0, I[7:4]};
            localparam integer W = I[3:0] == 4'hf ? 16 : {28'd0, I[3:0]};
            wire on = sel == s;
            tb_slot #(.ST(ST), .R(R), .C(C), .W(W)) u_slot (
                .clk(clk), .rst(rst || !on), .start(start && on), .db(db),
                .active(on), .d0(d0), .d1(d1), .d2(d2),
                .done(dn[s]), .cycles(cy[s*32 +: 32]));
        end
    endgenerate
    assign done = dn[sel];
    assign cycles = cy[sel*32 +: 32];
    assign slot_info = INFO[sel*16 +: 16];

    qa_mac_acc #(.W(2)) u_f2 (.clk(clk), .en(mac_en), .clr(mac_clr),
        .a(mac_a[1:0]), .b(mac_b[1:0]), .acc(fixed_acc[0 +: 32]));
    qa_mac_acc #(.W(3)) u_f3 (.clk(clk), .en(mac_en), .clr(mac_clr),
        .a(mac_a[2:0]), .b(mac_b[2:0]), .acc(fixed_acc[32 +: 32]));
    qa_mac_acc #(.W(4)) u_f4 (.clk(clk), .en(mac_en), .clr(mac_clr),
        .a(mac_a[3:0]), .b(mac_b[3:0]), .acc(fixed_acc[64 +: 32]));
    qa_mac_acc #(.W(8)) u_f8 (.clk(clk), .en(mac_en), .clr(mac_clr),
        .a(mac_a[7:0]), .b(mac_b[7:0]), .acc(fixed_acc[96 +: 32]));
    qa_mac_acc #(.W(16)) u_f16 (.clk(clk), .en(mac_en), .clr(mac_clr),
        .a(mac_a), .b(mac_b), .acc(fixed_acc[128 +: 32]));
    qa_mac_cfg u_cfg (.clk(clk), .en(mac_en), .clr(mac_clr), .mode(cfg_mode),
        .a(mac_a), .b(mac_b), .acc(cfg_acc));
endmodule
