// qa_mac_cfg: the precision-configurable 16-bit MAC of PACT Section 6 ("a
// precision-configurable MAC unit, whose bit precision can be modulated
// dynamically ... iso-area at each precision"), built for qarray's `linear`
// precision rule: at b = 16, 8, 4, 2 bits it is 16/b independent signed
// b-bit MAC lanes. Lane l multiplies a[bl +: b] by b[bl +: b] (qa_mul_cfg)
// and adds the product into its own ACC-bit accumulator, as a b-bit lane of
// qarray's model has the chip's acc_bits: in a weight-stationary array each
// lane is a column of its own with its own partial sum. So the MAC holds
// 8 accumulators (the 2-bit lanes); at wider lanes the upper ones idle.
//
// mode: 0 = 1 x 16 bits, 1 = 2 x 8, 2 = 4 x 4, 3 = 8 x 2. clr restarts
// every working lane's sum from its product; en low holds them all.
module qa_mac_cfg #(
    parameter ACC = 32
) (
    input  wire             clk,
    input  wire             en,
    input  wire             clr,
    input  wire [1:0]       mode,
    input  wire [15:0]      a,
    input  wire [15:0]      b,
    output wire [8*ACC-1:0] acc
);
    wire [31:0] p;
    qa_mul_cfg #(.N(16)) u_mul (
        .a(a), .b(b), .sa(1'b1), .sb(1'b1), .lg(3'd4 - {1'b0, mode}), .p(p));

    genvar l;
    generate
        for (l = 0; l < 8; l = l + 1) begin : g_lane
            // Lane l's product, sign-extended, at each lane width.
            wire [ACC-1:0] p16, p8, p4, p2;
            if (l == 0) begin : g_16
                assign p16 = {{(ACC - 32){p[31]}}, p};
            end else begin : g_no16
                assign p16 = {ACC{1'b0}};
            end
            if (l < 2) begin : g_8
                assign p8 = {{(ACC - 16){p[16*l+15]}}, p[16*l +: 16]};
            end else begin : g_no8
                assign p8 = {ACC{1'b0}};
            end
            if (l < 4) begin : g_4
                assign p4 = {{(ACC - 8){p[8*l+7]}}, p[8*l +: 8]};
            end else begin : g_no4
                assign p4 = {ACC{1'b0}};
            end
            assign p2 = {{(ACC - 4){p[4*l+3]}}, p[4*l +: 4]};
            wire [ACC-1:0] add = mode == 2'd0 ? p16 : mode == 2'd1 ? p8 :
                                 mode == 2'd2 ? p4 : p2;
            // Lanes 0 .. 2^mode - 1 work.
            wire on = en && l < (1 << mode);
            reg [ACC-1:0] r;
            always @(posedge clk)
                if (on)
                    r <= (clr ? {ACC{1'b0}} : r) + add;
            assign acc[l*ACC +: ACC] = r;
        end
    endgenerate
endmodule
