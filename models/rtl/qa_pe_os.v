// qa_pe_os: one PE of the output-stationary array, the register transfer of
// os_pe() in models/pe_ref.c without its bookkeeping tags.
//
// Registers: operand a (passed right) with valid, first-k and last-k flags;
// operand b (passed down) with valid and last-k flags; the accumulator acc;
// the result register h (valid hv); the drain chain d (valid dv) with the
// row its result belongs to. When a and b meet, acc = (first ? 0 : acc) +
// a * b, and on the last k the sum goes into h. When copy is high (the
// column's last b is entering the bottom row) h, including a result made in
// this very cycle, moves into d and h empties; otherwise d takes the value
// from above, so the chain shifts down one row per cycle (row 0 gets
// dv_in = 0 from the top edge).
module qa_pe_os #(
    parameter W = 8,
    parameter ACC = 32,
    parameter RW = 4,
    parameter ROW = 0
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire signed [W-1:0]   a_in,
    input  wire                  av_in,
    input  wire                  af_in,    // k = 0
    input  wire                  al_in,    // k = K - 1
    output reg  signed [W-1:0]   a_out,
    output reg                   av_out,
    output reg                   af_out,
    output reg                   al_out,
    input  wire signed [W-1:0]   b_in,
    input  wire                  bv_in,
    input  wire                  bl_in,
    output reg  signed [W-1:0]   b_out,
    output reg                   bv_out,
    output reg                   bl_out,
    input  wire                  copy,
    input  wire signed [ACC-1:0] d_in,
    input  wire                  dv_in,
    input  wire [RW-1:0]         drow_in,
    output reg  signed [ACC-1:0] d_out,
    output reg                   dv_out,
    output reg  [RW-1:0]         drow_out
);
    reg signed [ACC-1:0] acc, h;
    reg hv;

    wire mac = av_in && bv_in;
    wire signed [ACC-1:0] sum;
    qa_mac #(.W(W), .ACC(ACC)) u_mac (
        .a(a_in), .b(b_in), .c(af_in ? {ACC{1'b0}} : acc), .y(sum)
    );
    wire done = mac && al_in;
    wire signed [ACC-1:0] h_n = done ? sum : h;
    wire hv_n = done || hv;

    always @(posedge clk) begin
        a_out <= a_in;
        af_out <= af_in;
        al_out <= al_in;
        b_out <= b_in;
        bl_out <= bl_in;
        if (mac)
            acc <= sum;
        h <= h_n;
        if (copy) begin
            d_out <= h_n;
            drow_out <= ROW[RW-1:0];
        end else begin
            d_out <= d_in;
            drow_out <= drow_in;
        end
        if (rst) begin
            av_out <= 1'b0;
            bv_out <= 1'b0;
            hv <= 1'b0;
            dv_out <= 1'b0;
        end else begin
            av_out <= av_in;
            bv_out <= bv_in;
            hv <= hv_n && !copy;
            dv_out <= copy ? hv_n : dv_in;
        end
    end
endmodule
