// qa_ctrl_st: the controller of the stationary (WS, IS) array: the cycle
// loop of se_run() in models/pe_ref.c. It walks the folds (inner index
// fastest: tile offsets i0 += R, then o0 += C), and each cycle decides what
// row 0 of the streaming feeders and column 0 of the load feeders inject;
// the skew of the other rows and columns is in qa_array_st.
//
// A fold's stream starts once its load is complete and the previous stream
// has ended. Double buffered, the next load may start with the current
// stream (the shadow registers hold it until the swap wavefront); single
// buffered, it waits until every result of the previous fold has been
// written into the bottom row. The run ends in the cycle after the last
// result was written there: `cycles` is the count pe_ref.c and systolic.c
// give (cycle 0 = the first operand enters the array).
//
// Results are counted, not tagged: coll_inc is how many bottom-row
// registers hold a valid partial sum in this cycle (each one was written at
// the end of the previous cycle); a fold of T stream elements and an Nt
// columns wide tile yields T * Nt of them.
module qa_ctrl_st #(
    parameter R = 4,
    parameter C = 4,
    parameter DW = 16,    // bits of a GEMM dimension
    parameter CW = 32     // bits of a counter (cycles, results)
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          start,
    input  wire          db,
    input  wire [DW-1:0] inner,   // cut by R: K (WS, IS)
    input  wire [DW-1:0] outer,   // cut by C: N (WS), M (IS)
    input  wire [DW-1:0] stream,  // streamed per fold: M (WS), N (IS)
    input  wire [CW-1:0] coll_inc,
    // stream slot of row 0
    output wire          sv,
    output wire [DW-1:0] s_t,
    output wire [DW-1:0] s_i0,
    output wire [DW-1:0] s_ni,
    // load slot of column 0
    output wire          lv,
    output wire [DW-1:0] l_j,
    output wire [DW-1:0] l_i0,
    output wire [DW-1:0] l_ni,
    output wire [DW-1:0] l_o0,
    output wire [DW-1:0] l_no,
    output reg           busy,
    output reg           done,
    output reg  [CW-1:0] cycles
);
    reg [CW-1:0] cyc, coll, exp_r;
    // stream: active, index, tile; folds started; next tile; all started
    reg st_act, st_fin;
    reg [DW-1:0] st_t, st_i0, st_o0, nsi0, nso0;
    reg [CW-1:0] ns;
    // load: the same, and loads complete
    reg ld_act, ld_fin;
    reg [DW-1:0] ld_j, ld_i0, ld_o0, nli0, nlo0;
    reg [CW-1:0] nl, ldone;

    // Tile sizes and the fold after (i0, o0), in CW bits so that i0 + R
    // cannot wrap.
    function [DW-1:0] size_at(input [DW-1:0] off, input [DW-1:0] dim,
                              input [DW-1:0] cut);
        reg [CW-1:0] rest;
        begin
            rest = {{(CW - DW){1'b0}}, dim} - {{(CW - DW){1'b0}}, off};
            size_at = rest < {{(CW - DW){1'b0}}, cut} ? rest[DW-1:0] : cut;
        end
    endfunction
    function last_in(input [DW-1:0] off, input [DW-1:0] dim,
                     input [DW-1:0] cut);
        last_in = {{(CW - DW){1'b0}}, off} + {{(CW - DW){1'b0}}, cut} >=
                  {{(CW - DW){1'b0}}, dim};
    endfunction

    localparam [DW-1:0] RD = R[DW-1:0];
    localparam [DW-1:0] CD = C[DW-1:0];

    wire st_start = busy && !st_act && ns < ldone;
    assign sv = st_act || st_start;
    assign s_t = st_start ? {DW{1'b0}} : st_t;
    assign s_i0 = st_start ? nsi0 : st_i0;
    wire [DW-1:0] s_o0 = st_start ? nso0 : st_o0;
    assign s_ni = size_at(s_i0, inner, RD);
    wire [DW-1:0] s_no = size_at(s_o0, outer, CD);
    wire st_end = sv && s_t == stream - 1'b1;
    wire [CW-1:0] ns_now = ns + {{(CW - 1){1'b0}}, st_start};
    wire [CW-1:0] exp_now = exp_r + (st_start ? {{(CW - DW){1'b0}}, stream} *
                                                {{(CW - DW){1'b0}}, s_no}
                                              : {CW{1'b0}});
    wire [CW-1:0] coll_now = coll + coll_inc;
    wire prev_done = ns_now >= nl && coll_now == exp_now;
    wire ld_start = busy && !ld_act && !ld_fin &&
                    (nl == 0 || (db ? ns_now >= nl : prev_done));
    assign lv = ld_act || ld_start;
    assign l_j = ld_start ? {DW{1'b0}} : ld_j;
    assign l_i0 = ld_start ? nli0 : ld_i0;
    assign l_o0 = ld_start ? nlo0 : ld_o0;
    assign l_ni = size_at(l_i0, inner, RD);
    assign l_no = size_at(l_o0, outer, CD);
    wire ld_end = lv && l_j == l_ni - 1'b1;
    wire finish = busy && st_fin && coll_now == exp_r;

    wire ns_ilast = last_in(nsi0, inner, RD);
    wire nl_ilast = last_in(nli0, inner, RD);

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            done <= 1'b0;
            cycles <= {CW{1'b0}};
        end else if (start && !busy) begin
            busy <= 1'b1;
            done <= 1'b0;
            cyc <= {CW{1'b0}};
            coll <= {CW{1'b0}};
            exp_r <= {CW{1'b0}};
            st_act <= 1'b0;
            st_fin <= 1'b0;
            ns <= {CW{1'b0}};
            nsi0 <= {DW{1'b0}};
            nso0 <= {DW{1'b0}};
            ld_act <= 1'b0;
            ld_fin <= 1'b0;
            nl <= {CW{1'b0}};
            ldone <= {CW{1'b0}};
            nli0 <= {DW{1'b0}};
            nlo0 <= {DW{1'b0}};
        end else if (busy) begin
            cyc <= cyc + 1'b1;
            coll <= coll_now;
            exp_r <= exp_now;
            if (st_start) begin
                ns <= ns_now;
                st_i0 <= nsi0;
                st_o0 <= nso0;
                nsi0 <= ns_ilast ? {DW{1'b0}} : nsi0 + RD;
                nso0 <= ns_ilast ? nso0 + CD : nso0;
                if (ns_ilast && last_in(nso0, outer, CD))
                    st_fin <= 1'b1;
            end
            st_act <= sv && !st_end;
            st_t <= s_t + 1'b1;
            if (ld_start) begin
                nl <= nl + 1'b1;
                ld_i0 <= nli0;
                ld_o0 <= nlo0;
                nli0 <= nl_ilast ? {DW{1'b0}} : nli0 + RD;
                nlo0 <= nl_ilast ? nlo0 + CD : nlo0;
                if (nl_ilast && last_in(nlo0, outer, CD))
                    ld_fin <= 1'b1;
            end
            ld_act <= lv && !ld_end;
            ld_j <= l_j + 1'b1;
            if (ld_end)
                ldone <= nl + {{(CW - 1){1'b0}}, ld_start};
            if (finish) begin
                busy <= 1'b0;
                done <= 1'b1;
                cycles <= cyc;
            end
        end
    end
endmodule
