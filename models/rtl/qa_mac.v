// qa_mac: y = c + a * b on signed operands: the multiply-add of every PE of
// the array (qa_pe_st, qa_pe_os) and of the synthesized MAC (qa_mac_acc).
// The product is exact in 2W bits and is sign-extended to the ACC-bit sum
// (ACC >= 2W), which wraps like a hardware accumulator.
module qa_mac #(
    parameter W = 8,     // operand bits
    parameter ACC = 32   // sum bits, at least 2W
) (
    input  wire signed [W-1:0]   a,
    input  wire signed [W-1:0]   b,
    input  wire signed [ACC-1:0] c,
    output wire signed [ACC-1:0] y
);
    wire signed [2*W-1:0] p = a * b;
    generate
        if (ACC > 2 * W) begin : g_ext
            assign y = c + {{(ACC - 2 * W){p[2*W-1]}}, p};
        end else begin : g_same
            assign y = c + p;
        end
    endgenerate
endmodule
