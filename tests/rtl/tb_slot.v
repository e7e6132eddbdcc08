// tb_slot: one array of the test bench (tests/rtl/tb_array.cc) with its
// operand memories, which live in the C++ bench and are reached through
// DPI-C: a read is combinational (as from a register file), a result is
// handed over at the clock edge. ST = 1: qa_array_st (X, S, Y views of the
// GEMM, the bench sets them for WS or IS); ST = 0: qa_array_os (A, B, O).
// d0, d1, d2: inner, outer, stream (ST) or M, N, K (OS). Simulation only.
module tb_slot #(
    parameter ST = 1,
    parameter R = 4,
    parameter C = 4,
    parameter W = 8
) (
    input  wire        clk,
    input  wire        rst,
    input  wire        start,
    input  wire        db,
    input  wire        active,
    input  wire [15:0] d0,
    input  wire [15:0] d1,
    input  wire [15:0] d2,
    output wire        done,
    output wire [31:0] cycles
);
    import "DPI-C" function int tb_read(input int which, input int row,
                                        input int col);
    import "DPI-C" function void tb_result(input int row, input int col,
                                           input int value, input int add);
    localparam DW = 16;
    localparam ACC = 32;

    wire [R-1:0]      re;
    wire [R*DW-1:0]   rrow, rcol;
    reg  [R*W-1:0]    rdata;
    wire [C-1:0]      ce;
    wire [C*DW-1:0]   crow, ccol;
    reg  [C*W-1:0]    cdata;
    wire [C-1:0]      ye;
    wire [C*DW-1:0]   yrow, ycol;
    wire [C*ACC-1:0]  yval;
    /* verilator lint_off UNUSEDSIGNAL */
    wire              busy;
    reg  [31:0]       v;
    /* verilator lint_on UNUSEDSIGNAL */

    integer i;
    // Memory 0 feeds the rows (X or A), memory 1 the columns (S or B).
    always @(*) begin
        for (i = 0; i < R; i = i + 1) begin
            v = re[i] ? tb_read(0, {16'd0, rrow[i*DW +: DW]},
                                {16'd0, rcol[i*DW +: DW]}) : 32'd0;
            rdata[i*W +: W] = v[W-1:0];
        end
        for (i = 0; i < C; i = i + 1) begin
            v = ce[i] ? tb_read(1, {16'd0, crow[i*DW +: DW]},
                                {16'd0, ccol[i*DW +: DW]}) : 32'd0;
            cdata[i*W +: W] = v[W-1:0];
        end
    end
    always @(posedge clk)
        if (active)
            for (i = 0; i < C; i = i + 1)
                if (ye[i])
                    tb_result({16'd0, yrow[i*DW +: DW]},
                              {16'd0, ycol[i*DW +: DW]}, yval[i*ACC +: ACC],
                              ST);

    generate
        if (ST != 0) begin : g_st
            qa_array_st #(.R(R), .C(C), .W(W), .ACC(ACC), .DW(DW)) u_arr (
                .clk(clk), .rst(rst), .start(start), .db(db),
                .inner(d0), .outer(d1), .stream(d2),
                .xr_en(re), .xr_t(rrow), .xr_k(rcol), .x_data(rdata),
                .sr_en(ce), .sr_k(crow), .sr_n(ccol), .s_data(cdata),
                .y_en(ye), .y_t(yrow), .y_n(ycol), .y_val(yval),
                .busy(busy), .done(done), .cycles(cycles));
        end else begin : g_os
            qa_array_os #(.R(R), .C(C), .W(W), .ACC(ACC), .DW(DW)) u_arr (
                .clk(clk), .rst(rst), .start(start), .db(db),
                .m_dim(d0), .n_dim(d1), .k_dim(d2),
                .ar_en(re), .ar_m(rrow), .ar_k(rcol), .a_data(rdata),
                .br_en(ce), .br_k(crow), .br_n(ccol), .b_data(cdata),
                .o_en(ye), .o_m(yrow), .o_n(ycol), .o_val(yval),
                .busy(busy), .done(done), .cycles(cycles));
        end
    endgenerate
endmodule
