// qa_pe_st: one PE of the weight-/input-stationary array, the register
// transfer of se_pe() in models/pe_ref.c without its bookkeeping tags.
//
// Registers: the streaming operand x (passed right) with its valid and
// first-of-fold flags; the load chain ld (passed down) with its destination
// row; the shadow and active stationary operands sh and w with a "used
// column" flag each; the partial sum p (passed down) with its valid flag.
// Each cycle: a load-chain value meant for this row goes into the shadow
// (and stops), any other moves on; the first x of a fold swaps the shadow
// into w, and that same cycle's MAC already uses it; p = p_in + x * w when x
// is valid and the column is used, else p passes through (row 0 gets
// p_in = 0, pv_in = 0 from the top edge).
module qa_pe_st #(
    parameter W = 8,
    parameter ACC = 32,
    parameter RW = 4,     // bits of a row index
    parameter ROW = 0     // this PE's row
) (
    input  wire                  clk,
    input  wire                  rst,
    // streaming operand, from the left
    input  wire signed [W-1:0]   x_in,
    input  wire                  xv_in,
    input  wire                  xf_in,
    output reg  signed [W-1:0]   x_out,
    output reg                   xv_out,
    output reg                   xf_out,
    // stationary operand on its way down
    input  wire signed [W-1:0]   ld_in,
    input  wire                  ldv_in,
    input  wire [RW-1:0]         ldrow_in,
    input  wire                  lduse_in,
    output reg  signed [W-1:0]   ld_out,
    output reg                   ldv_out,
    output reg  [RW-1:0]         ldrow_out,
    output reg                   lduse_out,
    // partial sum, from above
    input  wire signed [ACC-1:0] p_in,
    input  wire                  pv_in,
    output reg  signed [ACC-1:0] p_out,
    output reg                   pv_out
);
    reg signed [W-1:0] w, sh;
    reg w_use, sh_use;

    // The swap reads the shadow as it was at the start of the cycle.
    wire swap = xv_in && xf_in;
    wire signed [W-1:0] w_n = swap ? sh : w;
    wire use_n = swap ? sh_use : w_use;
    wire mac = xv_in && use_n;
    wire signed [ACC-1:0] sum;
    qa_mac #(.W(W), .ACC(ACC)) u_mac (.a(x_in), .b(w_n), .c(p_in), .y(sum));
    wire capture = ldv_in && ldrow_in == ROW[RW-1:0];

    always @(posedge clk) begin
        x_out <= x_in;
        xf_out <= xf_in;
        w <= w_n;
        p_out <= mac ? sum : p_in;
        if (capture) begin
            sh <= ld_in;
        end else begin
            ld_out <= ld_in;
            ldrow_out <= ldrow_in;
            lduse_out <= lduse_in;
        end
        if (rst) begin
            xv_out <= 1'b0;
            ldv_out <= 1'b0;
            pv_out <= 1'b0;
            w_use <= 1'b0;
            sh_use <= 1'b0;
        end else begin
            xv_out <= xv_in;
            ldv_out <= ldv_in && !capture;
            pv_out <= pv_in || mac;
            w_use <= use_n;
            if (capture)
                sh_use <= lduse_in;
        end
    end
endmodule
