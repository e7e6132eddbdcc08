// qa_mac_acc: a fixed-precision MAC with its accumulator register, the unit
// whose area qarray's MAC area models describe (models/rtl/synth/): acc
// restarts from the product when clr (the first k of a sum) and holds when
// en is low. The same multiply-add and register as an output-stationary PE
// (qa_pe_os) without the operand pipeline and drain registers.
module qa_mac_acc #(
    parameter W = 8,
    parameter ACC = 32
) (
    input  wire                  clk,
    input  wire                  en,
    input  wire                  clr,
    input  wire signed [W-1:0]   a,
    input  wire signed [W-1:0]   b,
    output reg  signed [ACC-1:0] acc
);
    wire signed [ACC-1:0] sum;
    qa_mac #(.W(W), .ACC(ACC)) u_mac (
        .a(a), .b(b), .c(clr ? {ACC{1'b0}} : acc), .y(sum)
    );
    always @(posedge clk)
        if (en)
            acc <= sum;
endmodule
