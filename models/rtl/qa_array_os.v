// qa_array_os: the output-stationary R x C systolic array of
// models/pe_ref.c (os_run) as register-transfer Verilog: the controller
// (qa_ctrl_os), the feeders with their skew, the PEs (qa_pe_os), the
// per-column copy into the drain chains and the bottom-edge collectors.
//
// O (M, N) = A (M, K) x B (K, N); an Mt x Nt tile of O stays in the PEs
// while K operand pairs stream: row r reads A[ar_m][ar_k] and column c
// reads B[br_k][br_n] each cycle (data back in the same cycle), and column
// c's collector hands out O[o_m][o_n]. Skew: row r injects what row 0
// injected r cycles earlier, column c what column 0 injected c cycles
// earlier (one shift register of the controller's slot serves both). A
// column copies its results into its drain chain when its last B element
// enters the bottom row; the chain carries each result's row, so the
// collector only counts folds (Mt results per column per fold).
module qa_array_os #(
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
    input  wire [DW-1:0]     m_dim,
    input  wire [DW-1:0]     k_dim,
    input  wire [DW-1:0]     n_dim,
    output wire [R-1:0]      ar_en,
    output wire [R*DW-1:0]   ar_m,
    output wire [R*DW-1:0]   ar_k,
    input  wire [R*W-1:0]    a_data,
    output wire [C-1:0]      br_en,
    output wire [C*DW-1:0]   br_k,
    output wire [C*DW-1:0]   br_n,
    input  wire [C*W-1:0]    b_data,
    output wire [C-1:0]      o_en,
    output wire [C*DW-1:0]   o_m,
    output wire [C*DW-1:0]   o_n,
    output wire [C*ACC-1:0]  o_val,
    output wire              busy,
    output wire              done,
    output wire [CW-1:0]     cycles
);
    localparam RW = R > 1 ? $clog2(R) : 1;
    localparam L = R > C ? R : C;   // slot line: entry e is e cycles old
    localparam [DW:0] RP = R[DW:0];

    wire          sv;
    wire [DW-1:0] s_k, s_i0, s_ni, s_o0, s_no;
    // Rows read the tile's i0 and ni, columns its o0 and no: with R != C
    // the line's tail feeds only one of them.
    wire [L-1:0]    q_v;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [L*DW-1:0] q_k, q_i0, q_ni, q_o0, q_no;
    /* verilator lint_on UNUSEDSIGNAL */
    assign q_v[0] = sv;
    assign q_k[0 +: DW] = s_k;
    assign q_i0[0 +: DW] = s_i0;
    assign q_ni[0 +: DW] = s_ni;
    assign q_o0[0 +: DW] = s_o0;
    assign q_no[0 +: DW] = s_no;

    // Grid wires: a along rows (C+1 points, column 0 the feeder); b and the
    // drain chain down columns (R+1 points, row 0 the top edge). Values
    // leaving at the right and bottom edges have no reader.
    /* verilator lint_off UNUSEDSIGNAL */
    wire [R*(C+1)*W-1:0]   ga;
    wire [R*(C+1)-1:0]     gav, gaf, gal;
    wire [C*(R+1)*W-1:0]   gb;
    wire [C*(R+1)-1:0]     gbv, gbl;
    wire [C*(R+1)*ACC-1:0] gd;
    wire [C*(R+1)-1:0]     gdv;
    wire [C*(R+1)*RW-1:0]  gdr;
    /* verilator lint_on UNUSEDSIGNAL */
    wire [C-1:0] copy;

    genvar r, c;
    generate
        for (r = 1; r < L; r = r + 1) begin : g_skew
            reg          v;
            reg [DW-1:0] k, i0, ni, o0, no;
            always @(posedge clk) begin
                v <= rst ? 1'b0 : q_v[r-1];
                k <= q_k[(r-1)*DW +: DW];
                i0 <= q_i0[(r-1)*DW +: DW];
                ni <= q_ni[(r-1)*DW +: DW];
                o0 <= q_o0[(r-1)*DW +: DW];
                no <= q_no[(r-1)*DW +: DW];
            end
            assign q_v[r] = v;
            assign q_k[r*DW +: DW] = k;
            assign q_i0[r*DW +: DW] = i0;
            assign q_ni[r*DW +: DW] = ni;
            assign q_o0[r*DW +: DW] = o0;
            assign q_no[r*DW +: DW] = no;
        end
        // Row r: A(i0 + r, k); rows past the tile get bubbles.
        for (r = 0; r < R; r = r + 1) begin : g_afeed
            assign ar_en[r] = q_v[r] && r < q_ni[r*DW +: DW];
            assign ar_m[r*DW +: DW] = q_i0[r*DW +: DW] + r[DW-1:0];
            assign ar_k[r*DW +: DW] = q_k[r*DW +: DW];
            assign ga[(r*(C+1))*W +: W] = a_data[r*W +: W];
            assign gav[r*(C+1)] = ar_en[r];
            assign gaf[r*(C+1)] = q_k[r*DW +: DW] == {DW{1'b0}};
            assign gal[r*(C+1)] = q_k[r*DW +: DW] == k_dim - 1'b1;
        end
        // Column c: B(k, o0 + c); columns past the tile get bubbles.
        for (c = 0; c < C; c = c + 1) begin : g_bfeed
            assign br_en[c] = q_v[c] && c < q_no[c*DW +: DW];
            assign br_k[c*DW +: DW] = q_k[c*DW +: DW];
            assign br_n[c*DW +: DW] = q_o0[c*DW +: DW] + c[DW-1:0];
            assign gb[c*(R+1)*W +: W] = b_data[c*W +: W];
            assign gbv[c*(R+1)] = br_en[c];
            assign gbl[c*(R+1)] = q_k[c*DW +: DW] == k_dim - 1'b1;
            assign gd[c*(R+1)*ACC +: ACC] = {ACC{1'b0}};
            assign gdv[c*(R+1)] = 1'b0;
            assign gdr[c*(R+1)*RW +: RW] = {RW{1'b0}};
            // The last B element of the column enters the bottom row this
            // cycle: from the feeder if R = 1, else from PE(R-2, c).
            localparam UI = c * (R + 1) + R - 1;
            assign copy[c] = gbv[UI] && gbl[UI];
        end
        for (r = 0; r < R; r = r + 1) begin : g_row
            for (c = 0; c < C; c = c + 1) begin : g_col
                localparam XI = r * (C + 1) + c;
                localparam VI = c * (R + 1) + r;
                qa_pe_os #(.W(W), .ACC(ACC), .RW(RW), .ROW(r)) u_pe (
                    .clk(clk), .rst(rst),
                    .a_in(ga[XI*W +: W]), .av_in(gav[XI]), .af_in(gaf[XI]),
                    .al_in(gal[XI]),
                    .a_out(ga[(XI+1)*W +: W]), .av_out(gav[XI+1]),
                    .af_out(gaf[XI+1]), .al_out(gal[XI+1]),
                    .b_in(gb[VI*W +: W]), .bv_in(gbv[VI]), .bl_in(gbl[VI]),
                    .b_out(gb[(VI+1)*W +: W]), .bv_out(gbv[VI+1]),
                    .bl_out(gbl[VI+1]),
                    .copy(copy[c]),
                    .d_in(gd[VI*ACC +: ACC]), .dv_in(gdv[VI]),
                    .drow_in(gdr[VI*RW +: RW]),
                    .d_out(gd[(VI+1)*ACC +: ACC]), .dv_out(gdv[VI+1]),
                    .drow_out(gdr[(VI+1)*RW +: RW])
                );
            end
        end
        // Collectors: a fold's Mt results leave column c one per cycle,
        // folds in order; the row comes with the result.
        for (c = 0; c < C; c = c + 1) begin : g_coll
            localparam BI = c * (R + 1) + R;
            reg [DW-1:0] cnt, i0, o0;
            wire v = gdv[BI];
            wire ilast = {1'b0, i0} + RP >= {1'b0, m_dim};
            wire [DW-1:0] ni = ilast ? m_dim - i0 : R[DW-1:0];
            always @(posedge clk) begin
                if (rst || start) begin
                    cnt <= {DW{1'b0}};
                    i0 <= {DW{1'b0}};
                    o0 <= {DW{1'b0}};
                end else if (v) begin
                    if (cnt == ni - 1'b1) begin
                        cnt <= {DW{1'b0}};
                        i0 <= ilast ? {DW{1'b0}} : i0 + R[DW-1:0];
                        o0 <= ilast ? o0 + C[DW-1:0] : o0;
                    end else begin
                        cnt <= cnt + 1'b1;
                    end
                end
            end
            assign o_en[c] = v;
            assign o_m[c*DW +: DW] = i0 + {{(DW - RW){1'b0}}, gdr[BI*RW +: RW]};
            assign o_n[c*DW +: DW] = o0 + c[DW-1:0];
            assign o_val[c*ACC +: ACC] = gd[BI*ACC +: ACC];
        end
    endgenerate

    reg [CW-1:0] inc;
    integer i;
    always @(*) begin
        inc = {CW{1'b0}};
        for (i = 0; i < C; i = i + 1)
            inc = inc + {{(CW - 1){1'b0}}, gdv[i * (R + 1) + R]};
    end

    qa_ctrl_os #(.R(R), .C(C), .DW(DW), .CW(CW)) u_ctrl (
        .clk(clk), .rst(rst), .start(start), .db(db),
        .inner(m_dim), .outer(n_dim), .stream(k_dim), .coll_inc(inc),
        .sv(sv), .s_k(s_k), .s_i0(s_i0), .s_ni(s_ni), .s_o0(s_o0),
        .s_no(s_no), .busy(busy), .done(done), .cycles(cycles)
    );
endmodule
