// qa_mul_cfg: an N x N multiplier (N a power of two, >= 2) that also runs
// as N/L independent L x L multipliers side by side (lanes), L = 2^lg a
// power of two, 2 <= L <= N: the multiplier of the precision-configurable
// MAC (qa_mac_cfg).
//
// Built like Bit Fusion's fusion units (Sharma et al., ISCA 2018): four
// N/2 x N/2 sub-multipliers, recursively, down to 2 x 2 bricks. When the
// lane is at least N bits wide, the four partial products are shifted and
// added: p = hh * 2^N + (hl + lh) * 2^(N/2) + ll. When lanes are narrower,
// only the diagonal pair works (hh on the high halves, ll on the low
// halves, each a lane or lanes of its own) and p = {hh, ll}: lane i's
// 2L-bit product is p[2Li +: 2L]. The off-diagonal pair idles, which is the
// price of the linear rule (16/b lanes) against Bit Fusion's quadratic one.
//
// sa, sb: a's and b's top bit is a sign bit (two's complement), else the
// operand is unsigned; the high halves inherit them, the low halves are
// unsigned while fused. Lanes are always signed. The product is exact mod
// 2^(2N), so sub-products are sign- or zero-extended before the shifted sum.
module qa_mul_cfg #(
    parameter N = 16
) (
    input  wire [N-1:0]   a,
    input  wire [N-1:0]   b,
    input  wire           sa,
    input  wire           sb,
    input  wire [2:0]     lg,   // log2 of the lane width
    output wire [2*N-1:0] p
);
    generate
        if (N == 2) begin : g_brick
            // Bit Fusion's BitBrick: 2-bit operands sign-extended to 3 bits.
            wire signed [2:0] as = {sa & a[1], a};
            wire signed [2:0] bs = {sb & b[1], b};
            wire signed [5:0] pp = as * bs;
            // lg is the same at every level; the brick itself is always one
            // 2-bit lane or part of a wider one.
            /* verilator lint_off UNUSEDSIGNAL */
            wire [2:0] unused = lg;
            wire [1:0] unused_pp = pp[5:4];
            /* verilator lint_on UNUSEDSIGNAL */
            assign p = pp[3:0];
        end else begin : g_fuse
            localparam H = N / 2;
            localparam LN = $clog2(N);
            wire fused = {29'd0, lg} >= LN;
            wire [N-1:0] hh, hl, lh, ll;
            qa_mul_cfg #(.N(H)) u_hh (
                .a(a[N-1:H]), .b(b[N-1:H]), .sa(fused ? sa : 1'b1),
                .sb(fused ? sb : 1'b1), .lg(lg), .p(hh));
            qa_mul_cfg #(.N(H)) u_hl (
                .a(a[N-1:H]), .b(b[H-1:0]), .sa(sa), .sb(1'b0), .lg(lg),
                .p(hl));
            qa_mul_cfg #(.N(H)) u_lh (
                .a(a[H-1:0]), .b(b[N-1:H]), .sa(1'b0), .sb(sb), .lg(lg),
                .p(lh));
            qa_mul_cfg #(.N(H)) u_ll (
                .a(a[H-1:0]), .b(b[H-1:0]), .sa(!fused), .sb(!fused),
                .lg(lg), .p(ll));
            // hl is signed when a is, lh when b is: extend to the N + H
            // bits above the shift.
            wire [N+H-1:0] hl_x = {{H{sa & hl[N-1]}}, hl};
            wire [N+H-1:0] lh_x = {{H{sb & lh[N-1]}}, lh};
            wire [2*N-1:0] sum = {hh, {N{1'b0}}} + {hl_x, {H{1'b0}}} +
                                 {lh_x, {H{1'b0}}} + {{N{1'b0}}, ll};
            assign p = fused ? sum : {hh, ll};
        end
    endgenerate
endmodule
