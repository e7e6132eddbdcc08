// qa_array_st: the weight-/input-stationary R x C systolic array of
// models/pe_ref.c (se_run) as register-transfer Verilog: the controller
// (qa_ctrl_st), the feeders with their skew, the PEs (qa_pe_st) and the
// bottom-edge collectors.
//
// The GEMM is Y (T, Kd) x S (Kd, Nd) in the array's own names: X rows
// stream from the left (T of them per fold), a Kt x Nt tile of S is held in
// the PEs, Y gets the partial sums. WS: X = A, S = B, Y = O; IS: X = B^T,
// S = A^T, Y = O^T. The operand memories are outside: every cycle row r asks
// for X[xr_t][xr_k] and column c for S[sr_k][sr_n] (data back in the same
// cycle, as from a register file), and column c's collector hands out a
// partial sum to add into Y[y_t][y_n] (K-folds add up there).
//
// Skew as in pe_ref.c: row r injects what row 0 injected r cycles earlier,
// column c what column 0 injected c cycles earlier (shift registers of the
// controller's slots). A stationary tile loads last row first, each value
// tagged with its destination row, so that every row captures in the same
// cycle. Collectors count instead of reading tags: column c's results come
// out in fold order, T per fold.
module qa_array_st #(
    parameter R = 4,
    parameter C = 4,
    parameter W = 8,
    parameter ACC = 32,
    parameter DW = 16,
    parameter CW = 32
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              start,
    input  wire              db,
    input  wire [DW-1:0]     inner,
    input  wire [DW-1:0]     outer,
    input  wire [DW-1:0]     stream,
    output wire [R-1:0]      xr_en,
    output wire [R*DW-1:0]   xr_t,
    output wire [R*DW-1:0]   xr_k,
    input  wire [R*W-1:0]    x_data,
    output wire [C-1:0]      sr_en,
    output wire [C*DW-1:0]   sr_k,
    output wire [C*DW-1:0]   sr_n,
    input  wire [C*W-1:0]    s_data,
    output wire [C-1:0]      y_en,
    output wire [C*DW-1:0]   y_t,
    output wire [C*DW-1:0]   y_n,
    output wire [C*ACC-1:0]  y_val,
    output wire              busy,
    output wire              done,
    output wire [CW-1:0]     cycles
);
    localparam RW = R > 1 ? $clog2(R) : 1;
    localparam [DW:0] RP = R[DW:0];

    // Controller slots, then their skewed copies: entry r of a line is what
    // row (column) r sees this cycle; entry 0 is the controller's own.
    wire          sv, lv;
    wire [DW-1:0] s_t, s_i0, s_ni, l_j, l_i0, l_ni, l_o0, l_no;
    wire [R-1:0]    xs_v;
    wire [R*DW-1:0] xs_t, xs_i0, xs_ni;
    wire [C-1:0]    ls_v;
    wire [C*DW-1:0] ls_j, ls_i0, ls_ni, ls_o0, ls_no;
    assign xs_v[0] = sv;
    assign xs_t[0 +: DW] = s_t;
    assign xs_i0[0 +: DW] = s_i0;
    assign xs_ni[0 +: DW] = s_ni;
    assign ls_v[0] = lv;
    assign ls_j[0 +: DW] = l_j;
    assign ls_i0[0 +: DW] = l_i0;
    assign ls_ni[0 +: DW] = l_ni;
    assign ls_o0[0 +: DW] = l_o0;
    assign ls_no[0 +: DW] = l_no;

    // The grid's wires: x (R rows of C+1 points, column 0 is the feeder),
    // the load chain and partial sums (C columns of R+1 points, row 0 is
    // the top edge). Values leaving at the right and bottom edges have no
    // reader.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [R*(C+1)*W-1:0]  gx;
    wire [R*(C+1)-1:0]    gxv, gxf;
    wire [C*(R+1)*W-1:0]  gl;
    wire [C*(R+1)-1:0]    glv, glu;
    wire [C*(R+1)*RW-1:0] glr;
    wire [C*(R+1)*ACC-1:0] gp;
    wire [C*(R+1)-1:0]    gpv;
    /* verilator lint_on UNUSEDSIGNAL */

    genvar r, c;
    generate
        for (r = 0; r < R; r = r + 1) begin : g_xfeed
            if (r > 0) begin : g_skew
                reg          v;
                reg [DW-1:0] t, i0, ni;
                always @(posedge clk) begin
                    v <= rst ? 1'b0 : xs_v[r-1];
                    t <= xs_t[(r-1)*DW +: DW];
                    i0 <= xs_i0[(r-1)*DW +: DW];
                    ni <= xs_ni[(r-1)*DW +: DW];
                end
                assign xs_v[r] = v;
                assign xs_t[r*DW +: DW] = t;
                assign xs_i0[r*DW +: DW] = i0;
                assign xs_ni[r*DW +: DW] = ni;
            end
            // Rows past the tile get bubbles.
            assign xr_en[r] = xs_v[r] && r < xs_ni[r*DW +: DW];
            assign xr_t[r*DW +: DW] = xs_t[r*DW +: DW];
            assign xr_k[r*DW +: DW] = xs_i0[r*DW +: DW] + r[DW-1:0];
            assign gx[(r*(C+1))*W +: W] = x_data[r*W +: W];
            assign gxv[r*(C+1)] = xr_en[r];
            assign gxf[r*(C+1)] = xs_t[r*DW +: DW] == {DW{1'b0}};
        end
        for (c = 0; c < C; c = c + 1) begin : g_lfeed
            if (c > 0) begin : g_skew
                reg          v;
                reg [DW-1:0] j, i0, ni, o0, no;
                always @(posedge clk) begin
                    v <= rst ? 1'b0 : ls_v[c-1];
                    j <= ls_j[(c-1)*DW +: DW];
                    i0 <= ls_i0[(c-1)*DW +: DW];
                    ni <= ls_ni[(c-1)*DW +: DW];
                    o0 <= ls_o0[(c-1)*DW +: DW];
                    no <= ls_no[(c-1)*DW +: DW];
                end
                assign ls_v[c] = v;
                assign ls_j[c*DW +: DW] = j;
                assign ls_i0[c*DW +: DW] = i0;
                assign ls_ni[c*DW +: DW] = ni;
                assign ls_o0[c*DW +: DW] = o0;
                assign ls_no[c*DW +: DW] = no;
            end
            // Load step j carries tile row ni-1-j; an unused column loads 0
            // with its "used" flag low.
            wire [DW-1:0] row = ls_ni[c*DW +: DW] - 1'b1 - ls_j[c*DW +: DW];
            wire used = c < ls_no[c*DW +: DW];
            assign sr_en[c] = ls_v[c] && used;
            assign sr_k[c*DW +: DW] = ls_i0[c*DW +: DW] + row;
            assign sr_n[c*DW +: DW] = ls_o0[c*DW +: DW] + c[DW-1:0];
            assign gl[c*(R+1)*W +: W] = used ? s_data[c*W +: W] : {W{1'b0}};
            assign glv[c*(R+1)] = ls_v[c];
            assign glu[c*(R+1)] = used;
            assign glr[c*(R+1)*RW +: RW] = row[RW-1:0];
            assign gp[c*(R+1)*ACC +: ACC] = {ACC{1'b0}};
            assign gpv[c*(R+1)] = 1'b0;
        end
        for (r = 0; r < R; r = r + 1) begin : g_row
            for (c = 0; c < C; c = c + 1) begin : g_col
                localparam XI = r * (C + 1) + c;   // x into PE(r,c)
                localparam VI = c * (R + 1) + r;   // from above into PE(r,c)
                qa_pe_st #(.W(W), .ACC(ACC), .RW(RW), .ROW(r)) u_pe (
                    .clk(clk), .rst(rst),
                    .x_in(gx[XI*W +: W]), .xv_in(gxv[XI]), .xf_in(gxf[XI]),
                    .x_out(gx[(XI+1)*W +: W]), .xv_out(gxv[XI+1]),
                    .xf_out(gxf[XI+1]),
                    .ld_in(gl[VI*W +: W]), .ldv_in(glv[VI]),
                    .ldrow_in(glr[VI*RW +: RW]), .lduse_in(glu[VI]),
                    .ld_out(gl[(VI+1)*W +: W]), .ldv_out(glv[VI+1]),
                    .ldrow_out(glr[(VI+1)*RW +: RW]), .lduse_out(glu[VI+1]),
                    .p_in(gp[VI*ACC +: ACC]), .pv_in(gpv[VI]),
                    .p_out(gp[(VI+1)*ACC +: ACC]), .pv_out(gpv[VI+1])
                );
            end
        end
        // Collectors: the partial sums written into the bottom row at the
        // end of the last cycle, T per fold, folds in order.
        for (c = 0; c < C; c = c + 1) begin : g_coll
            localparam BI = c * (R + 1) + R;
            reg [DW-1:0] t, i0, o0;
            wire v = gpv[BI];
            always @(posedge clk) begin
                if (rst || start) begin
                    t <= {DW{1'b0}};
                    i0 <= {DW{1'b0}};
                    o0 <= {DW{1'b0}};
                end else if (v) begin
                    if (t == stream - 1'b1) begin
                        t <= {DW{1'b0}};
                        if ({1'b0, i0} + RP >= {1'b0, inner}) begin
                            i0 <= {DW{1'b0}};
                            o0 <= o0 + C[DW-1:0];
                        end else begin
                            i0 <= i0 + R[DW-1:0];
                        end
                    end else begin
                        t <= t + 1'b1;
                    end
                end
            end
            assign y_en[c] = v;
            assign y_t[c*DW +: DW] = t;
            assign y_n[c*DW +: DW] = o0 + c[DW-1:0];
            assign y_val[c*ACC +: ACC] = gp[BI*ACC +: ACC];
        end
    endgenerate

    // Results in the bottom row this cycle.
    reg [CW-1:0] inc;
    integer i;
    always @(*) begin
        inc = {CW{1'b0}};
        for (i = 0; i < C; i = i + 1)
            inc = inc + {{(CW - 1){1'b0}}, gpv[i * (R + 1) + R]};
    end

    qa_ctrl_st #(.R(R), .C(C), .DW(DW), .CW(CW)) u_ctrl (
        .clk(clk), .rst(rst), .start(start), .db(db),
        .inner(inner), .outer(outer), .stream(stream), .coll_inc(inc),
        .sv(sv), .s_t(s_t), .s_i0(s_i0), .s_ni(s_ni),
        .lv(lv), .l_j(l_j), .l_i0(l_i0), .l_ni(l_ni), .l_o0(l_o0),
        .l_no(l_no), .busy(busy), .done(done), .cycles(cycles)
    );
endmodule
