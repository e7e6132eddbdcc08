/* tb_array.cc: the Verilog of models/rtl under Verilator against qarray's C
 * models. For every dataflow (WS, IS, OS), random GEMMs on arrays of
 * several shapes and operand widths (tb_top.v's slots), single and double
 * buffered, with signed operands over their full range: the RTL's outputs
 * must equal pe_ref.c's (both wrapped to the 32-bit accumulator the RTL
 * has; the reference sums in int64) and its cycle count must equal
 * pe_ref.c's and sys_gemm_cycles() exactly. Then the fixed MACs (2, 3, 4, 8,
 * 16 bits) and the precision-configurable MAC against plain integer
 * arithmetic, switching precision at random.
 *
 * The operand memories are here, reached from the RTL through DPI-C
 * (tb_read, tb_result). Prints one line per part and exits non-zero on the
 * first mismatch. Usage: test_rtl_array [GEMMS_PER_DATAFLOW [SEED]]. */
#include "Vtb_top.h"
#include "Vtb_top__Dpi.h"
#include "verilated.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

/* The project's C headers have no extern "C" guards of their own. */
extern "C" {
#include "models/pe_ref.h"
#include "models/systolic.h"
}

namespace {

/* tb_top.v's slots, in order: kind (1: qa_array_st, 0: qa_array_os),
 * rows, columns, operand bits. */
struct Slot {
    int st, rows, cols, bits;
};
const Slot kSlots[] = {
    {1, 4, 4, 8}, {1, 3, 5, 4}, {1, 5, 2, 16}, {1, 1, 1, 2}, {1, 1, 6, 3},
    {1, 6, 1, 8}, {0, 4, 4, 8}, {0, 3, 5, 4}, {0, 5, 2, 16}, {0, 1, 1, 2},
    {0, 1, 6, 3}, {0, 6, 1, 8},
};
const int kNSlots = sizeof kSlots / sizeof kSlots[0];

/* Explicit-state xorshift64: the same GEMMs on every run. */
struct Rng {
    uint64_t s;
    uint64_t next()
    {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    int64_t range(int64_t lo, int64_t hi)
    {
        return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
    }
};

int32_t wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

int64_t sext(uint64_t v, int bits)
{
    uint64_t m = (uint64_t)1 << (bits - 1);
    v &= (m << 1) - 1;
    return (int64_t)(v ^ m) - (int64_t)m;
}

/* A strided matrix: element (i, j) at p[i * s0 + j * s1]. */
struct View {
    int32_t *p;
    int64_t rows, cols, s0, s1;
};

/* What the running array reads and writes: memory 0 feeds its rows (X or
 * A), memory 1 its columns (S or B); results go to out. */
View g_mem[2], g_out;
int g_bad_write;

}  // namespace

/* Combinational reads; out of range (which a disabled port may ask for)
 * reads 0. */
int tb_read(int which, int row, int col)
{
    if (which < 0 || which > 1)
        return 0;
    const View &v = g_mem[which];
    if (row < 0 || row >= v.rows || col < 0 || col >= v.cols)
        return 0;
    return v.p[row * v.s0 + col * v.s1];
}

/* A result at the clock edge: a stationary array's partial sum adds into
 * its element (K-folds add up, wrapping like a 32-bit accumulator buffer);
 * an output-stationary array writes it. */
void tb_result(int row, int col, int value, int add)
{
    if (row < 0 || row >= g_out.rows || col < 0 || col >= g_out.cols) {
        g_bad_write = 1;
        return;
    }
    int32_t *y = &g_out.p[row * g_out.s0 + col * g_out.s1];
    *y = add ? wrap32((int64_t)*y + value) : value;
}

namespace {

void tick(Vtb_top *t)
{
    t->clk = 0;
    t->eval();
    t->clk = 1;
    t->eval();
}

/* One GEMM on slot `slot`; returns 0 when outputs and cycles agree. */
int run_gemm(Vtb_top *t, Rng &rng, Dataflow df, int slot, int64_t M,
             int64_t K, int64_t N, int db, int64_t *wrapped)
{
    const Slot &sl = kSlots[slot];
    const int64_t lo = -((int64_t)1 << (sl.bits - 1));
    const int64_t hi = ((int64_t)1 << (sl.bits - 1)) - 1;
    std::vector<int32_t> A(M * K), B(K * N), O(M * N, 0);
    std::vector<int64_t> ref(M * N);
    /* Full range, with the extremes more often than chance would pick. */
    for (auto *m : {&A, &B})
        for (auto &x : *m) {
            int64_t r = rng.range(0, 7);
            x = (int32_t)(r == 0 ? lo : r == 1 ? hi : rng.range(lo, hi));
        }
    PeRefStats st;
    Err e;
    if (pe_ref_gemm(df, sl.rows, sl.cols, M, K, N, A.data(), B.data(),
                    ref.data(), db, &st, &e) != QA_OK) {
        std::fprintf(stderr, "pe_ref: %s: %s\n", e.field, e.msg);
        return 1;
    }
    int64_t sys = sys_gemm_cycles(df, sl.rows, sl.cols, M, K, N, db);
    /* The array's own names: ST arrays see X (T, Kd), S (Kd, Nd), Y (T, Nd)
     * with d0 = Kd, d1 = Nd, d2 = T; OS arrays A, B, O with d0 = M,
     * d1 = N, d2 = K (as pe_ref.c's views). */
    int64_t d0, d1, d2;
    switch (df) {
    case DF_WS:
        g_mem[0] = {A.data(), M, K, K, 1};
        g_mem[1] = {B.data(), K, N, N, 1};
        g_out = {O.data(), M, N, N, 1};
        d0 = K, d1 = N, d2 = M;
        break;
    case DF_IS:
        g_mem[0] = {B.data(), N, K, 1, N};   /* X(n, k) = B[k][n] */
        g_mem[1] = {A.data(), K, M, 1, K};   /* S(k, m) = A[m][k] */
        g_out = {O.data(), N, M, 1, N};      /* Y(n, m) = O[m][n] */
        d0 = K, d1 = M, d2 = N;
        break;
    default:
        g_mem[0] = {A.data(), M, K, K, 1};
        g_mem[1] = {B.data(), K, N, N, 1};
        g_out = {O.data(), M, N, N, 1};
        d0 = M, d1 = N, d2 = K;
        break;
    }
    g_bad_write = 0;
    t->sel = slot;
    t->db = db;
    t->d0 = (uint16_t)d0;
    t->d1 = (uint16_t)d1;
    t->d2 = (uint16_t)d2;
    t->rst = 1;
    tick(t);
    t->rst = 0;
    t->start = 1;
    tick(t);
    t->start = 0;
    int64_t limit = 2 * sys + 64, n = 0;
    while (!t->done && n++ < limit)
        tick(t);

    const char *df_name = df == DF_WS ? "ws" : df == DF_IS ? "is" : "os";
    char what[160];
    std::snprintf(what, sizeof what,
                  "%s on a %dx%d array, %d-bit operands, M=%lld K=%lld "
                  "N=%lld, %s buffered", df_name, sl.rows, sl.cols, sl.bits,
                  (long long)M, (long long)K, (long long)N,
                  db ? "double" : "single");
    if (!t->done) {
        std::fprintf(stderr, "rtl: %s: no done after %lld cycles (pe_ref "
                     "%lld)\n", what, (long long)limit, (long long)st.cycles);
        return 1;
    }
    if (g_bad_write) {
        std::fprintf(stderr, "rtl: %s: a result outside the output\n", what);
        return 1;
    }
    if ((int64_t)t->cycles != st.cycles || st.cycles != sys) {
        std::fprintf(stderr, "rtl: %s: %lld cycles, pe_ref %lld, "
                     "sys_gemm_cycles %lld\n", what, (long long)t->cycles,
                     (long long)st.cycles, (long long)sys);
        return 1;
    }
    for (int64_t i = 0; i < M * N; i++) {
        if (O[i] != wrap32(ref[i])) {
            std::fprintf(stderr, "rtl: %s: O[%lld][%lld] = %d, pe_ref %lld\n",
                         what, (long long)(i / N), (long long)(i % N), O[i],
                         (long long)ref[i]);
            return 1;
        }
        *wrapped += ref[i] != wrap32(ref[i]);
    }
    return 0;
}

int check_arrays(Vtb_top *t, Rng &rng, int per_df)
{
    for (int s = 0; s < kNSlots; s++) {
        t->sel = s;
        t->eval();
        const Slot &sl = kSlots[s];
        unsigned want = (unsigned)(sl.st << 12 | sl.rows << 8 |
                                   sl.cols << 4 | (sl.bits == 16 ? 15 : sl.bits));
        if (t->slot_info != want) {
            std::fprintf(stderr, "rtl: slot %d of tb_top.v is 0x%04x, "
                         "tb_array.cc says 0x%04x\n", s, t->slot_info, want);
            return 1;
        }
    }
    const Dataflow dfs[] = {DF_WS, DF_IS, DF_OS};
    for (Dataflow df : dfs) {
        int64_t partial = 0, dbl = 0, wrapped = 0, cycles = 0;
        for (int g = 0; g < per_df; g++) {
            /* Slots of the dataflow's kind in turn. */
            std::vector<int> mine;
            for (int s = 0; s < kNSlots; s++)
                if (kSlots[s].st == (df != DF_OS))
                    mine.push_back(s);
            int slot = mine[g % mine.size()];
            const Slot &sl = kSlots[slot];
            /* Up to a little over two folds each way: partial folds, exact
             * multiples and single elements all come up. */
            int64_t span = 2 * (sl.rows > sl.cols ? sl.rows : sl.cols) + 3;
            int64_t M = rng.range(1, span), K = rng.range(1, span),
                    N = rng.range(1, span);
            int db = (int)rng.range(0, 1);
            if (run_gemm(t, rng, df, slot, M, K, N, db, &wrapped))
                return 1;
            int64_t in = df == DF_OS ? M : K, out = df == DF_IS ? M : N;
            partial += in % sl.rows != 0 || out % sl.cols != 0;
            dbl += db;
            cycles += (int64_t)t->cycles;
        }
        std::printf("rtl %s: %d GEMMs (%lld with a partial fold, %lld double "
                    "buffered, %lld outputs wrapped at 32 bits), %lld cycles: "
                    "outputs and cycles equal pe_ref and sys_gemm_cycles\n",
                    df == DF_WS ? "ws" : df == DF_IS ? "is" : "os", per_df,
                    (long long)partial, (long long)dbl, (long long)wrapped,
                    (long long)cycles);
    }
    return 0;
}

/* Fixed MACs of 2, 3, 4, 8, 16 bits and the configurable MAC, one random
 * step at a time against integer arithmetic (32-bit wrapping sums). */
int check_macs(Vtb_top *t, Rng &rng, int steps)
{
    static const int fixed_bits[5] = {2, 3, 4, 8, 16};
    int64_t acc[5] = {0}, lane[8] = {0};
    for (int i = 0; i < steps; i++) {
        /* The first step clears every lane (mode 3 runs all eight). */
        int en = i == 0 || rng.range(0, 7) != 0;
        int clr = i == 0 || rng.range(0, 7) == 0;
        int mode = i == 0 ? 3 : (int)rng.range(0, 3);
        uint16_t a = (uint16_t)rng.next(), b = (uint16_t)rng.next();
        t->mac_en = en;
        t->mac_clr = clr;
        t->mac_a = a;
        t->mac_b = b;
        t->cfg_mode = mode;
        tick(t);
        for (int f = 0; f < 5; f++) {
            int bits = fixed_bits[f];
            if (en)
                acc[f] = wrap32((clr ? 0 : acc[f]) +
                                sext(a, bits) * sext(b, bits));
            int32_t got = (int32_t)t->fixed_acc[f];
            if (got != acc[f]) {
                std::fprintf(stderr, "rtl: fixed %d-bit MAC step %d: %d, "
                             "expected %lld\n", bits, i, got,
                             (long long)acc[f]);
                return 1;
            }
        }
        int lb = 16 >> mode, lanes = 1 << mode;
        for (int l = 0; l < 8; l++) {
            if (en && l < lanes)
                lane[l] = wrap32((clr ? 0 : lane[l]) +
                                 sext(a >> (lb * l), lb) *
                                     sext(b >> (lb * l), lb));
            int32_t got = (int32_t)t->cfg_acc[l];
            if (got != lane[l]) {
                std::fprintf(stderr, "rtl: configurable MAC step %d, %d x "
                             "%d bits, lane %d: %d, expected %lld\n", i,
                             lanes, lb, l, got, (long long)lane[l]);
                return 1;
            }
        }
    }
    std::printf("rtl macs: fixed 2, 3, 4, 8, 16-bit MACs and the "
                "configurable MAC (1x16, 2x8, 4x4, 8x2 lanes, switched at "
                "random) equal integer arithmetic over %d steps\n", steps);
    return 0;
}

}  // namespace

int main(int argc, char **argv)
{
    int per_df = argc > 1 ? std::atoi(argv[1]) : 150;
    uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 20240611;
    if (per_df < 1 || seed == 0) {
        std::fprintf(stderr, "usage: test_rtl_array [GEMMS_PER_DATAFLOW "
                     "[SEED (not 0)]]\n");
        return 2;
    }
    Verilated::commandArgs(argc, argv);
    Vtb_top *t = new Vtb_top;
    Rng rng{seed};
    t->clk = 0;
    t->start = 0;
    t->mac_en = 0;
    int rc = check_arrays(t, rng, per_df) || check_macs(t, rng, 2000);
    t->final();
    delete t;
    return rc;
}
