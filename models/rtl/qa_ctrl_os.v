// qa_ctrl_os: the controller of the output-stationary array: the cycle loop
// of os_run() in models/pe_ref.c. Folds are Mt x Nt tiles of O (offsets
// i0 += R fastest, then o0 += C); each streams K operand pairs. Each cycle
// it decides what row 0 / column 0 of the feeders inject; the skew of the
// others is in qa_array_os.
//
// Double buffered, a fold may start once the previous stream has ended and
// R cycles after the previous start (a column's drain chain takes one
// parallel copy per R cycles); single buffered, once every result of the
// previous fold has been written into the bottom row. The run ends in the
// cycle after the last result was written there (`cycles`, as pe_ref.c and
// systolic.c count). coll_inc: bottom-row drain registers holding a result
// this cycle; a fold yields Mt * Nt.
module qa_ctrl_os #(
    parameter R = 4,
    parameter C = 4,
    parameter DW = 16,
    parameter CW = 32
) (
    input  wire          clk,
    input  wire          rst,
    input  wire          start,
    input  wire          db,
    input  wire [DW-1:0] inner,   // M, cut by R
    input  wire [DW-1:0] outer,   // N, cut by C
    input  wire [DW-1:0] stream,  // K
    input  wire [CW-1:0] coll_inc,
    output wire          sv,
    output wire [DW-1:0] s_k,
    output wire [DW-1:0] s_i0,
    output wire [DW-1:0] s_ni,
    output wire [DW-1:0] s_o0,
    output wire [DW-1:0] s_no,
    output reg           busy,
    output reg           done,
    output reg  [CW-1:0] cycles
);
    reg [CW-1:0] cyc, coll, exp_r, nf, since;
    reg st_act, st_fin;
    reg [DW-1:0] st_k, st_i0, st_o0, ni0, no0;

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
    localparam [CW-1:0] RC = R[CW-1:0];

    wire [CW-1:0] coll_now = coll + coll_inc;
    wire st_start = busy && !st_act && !st_fin &&
                    (nf == 0 || (db ? since >= RC : coll_now == exp_r));
    assign sv = st_act || st_start;
    assign s_k = st_start ? {DW{1'b0}} : st_k;
    assign s_i0 = st_start ? ni0 : st_i0;
    assign s_o0 = st_start ? no0 : st_o0;
    assign s_ni = size_at(s_i0, inner, RD);
    assign s_no = size_at(s_o0, outer, CD);
    wire st_end = sv && s_k == stream - 1'b1;
    wire finish = busy && st_fin && coll_now == exp_r;
    wire i_last = last_in(ni0, inner, RD);

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
            nf <= {CW{1'b0}};
            since <= {CW{1'b0}};
            st_act <= 1'b0;
            st_fin <= 1'b0;
            ni0 <= {DW{1'b0}};
            no0 <= {DW{1'b0}};
        end else if (busy) begin
            cyc <= cyc + 1'b1;
            coll <= coll_now;
            if (st_start) begin
                nf <= nf + 1'b1;
                exp_r <= exp_r + {{(CW - DW){1'b0}}, s_ni} *
                                 {{(CW - DW){1'b0}}, s_no};
                since <= {{(CW - 1){1'b0}}, 1'b1};
                st_i0 <= ni0;
                st_o0 <= no0;
                ni0 <= i_last ? {DW{1'b0}} : ni0 + RD;
                no0 <= i_last ? no0 + CD : no0;
                if (i_last && last_in(no0, outer, CD))
                    st_fin <= 1'b1;
            end else if (since < RC) begin
                since <= since + 1'b1;
            end
            st_act <= sv && !st_end;
            st_k <= s_k + 1'b1;
            if (finish) begin
                busy <= 1'b0;
                done <= 1'b1;
                cycles <= cyc;
            end
        end
    end
endmodule
