/* pe_ref.c: register-transfer model of an R x C systolic array, stepped one
 * cycle at a time. The timing formulas of systolic.c are derived from the
 * micro-architecture below; this file never uses them.
 *
 * Cycle of the model: the controller decides what the edge feeders inject,
 * every PE computes its next registers from the current registers of its
 * left and upper neighbours (or the feeders at the edges), the collectors
 * take the results written into the bottom row, then next becomes current.
 * Skew is a delay line per feeder: row r injects what row 0 injected r
 * cycles earlier, column c what column 0 injected c cycles earlier.
 *
 * Two engines, one per kind of PE:
 *  - stationary (WS and IS, the same hardware): Y (T, Kd) x S (Kd, Nd) with a
 *    Kt x Nt tile of S held in PE rows 0..Kt-1, columns 0..Nt-1. S rows
 *    travel down a load chain from the top edge (Kt cycles, last row first)
 *    and each PE captures its own into a shadow register; a PE swaps shadow
 *    into active when the first stream element of a fold reaches it;
 *    X rows stream from the left, partial sums start in row 0 and move down
 *    through all R rows; the collector of column c adds them into the
 *    accumulator buffer Y (K-folds add up there). WS: X = A, S = B, Y = O.
 *    IS: X = B^T, S = A^T, Y = O^T (strided views, no copies).
 *  - output stationary: an Mt x Nt tile of O in PE rows 0..Mt-1, columns
 *    0..Nt-1. A rows enter from the left, B columns from the top; each PE
 *    accumulates and, on the last k, puts its sum into its result register.
 *    When the last B element of a column reaches the bottom row, the column's
 *    result registers are copied into its drain chain, which shifts down one
 *    row per cycle out of the bottom edge.
 *
 * Every value in a register carries the fold it belongs to (and its stream
 * index), so each PE checks that it only combines operands of one fold and
 * never overwrites a value not yet consumed: a schedule that is too eager
 * fails loudly as a hazard instead of giving a wrong cycle count. The tags
 * are bookkeeping of the model; hardware would count instead. */
#include "models/pe_ref.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A reference array larger than this is a configuration mistake, not a
 * validation run: beyond it two copies of its registers take over 100 MB. */
#define PE_REF_MAX_PES (1 << 20)

/* Strided matrix views: element (i, j) at p[i * s0 + j * s1]. */
typedef struct {
    const int32_t *p;
    int64_t s0, s1;
} View;

typedef struct {
    int64_t *p;
    int64_t s0, s1;
} OutView;

/* What row 0 / column 0 of the feeders injects in one cycle. */
typedef struct {
    int32_t fold; /* -1: bubble */
    int32_t idx;  /* stream index t (or k), or load step j */
} Slot;

/* An operand on an edge of the array in the current cycle. */
typedef struct {
    int32_t v;
    int32_t fold; /* -1: bubble */
    int32_t idx;  /* stream index t or k; for a stationary load, the
                   * destination row */
    uint8_t use;  /* stationary loads: the value belongs to a used column */
} Feed;

/* One tile: offset and size along the inner (row) and outer (column)
 * dimension of the array. */
typedef struct {
    int64_t i0, ni; /* rows of the array: K (WS, IS) or M (OS) */
    int64_t o0, no; /* columns of the array: N (WS, OS) or M (IS) */
} Tile;

/* State shared by both engines. */
typedef struct {
    int R, C;
    int db;
    int64_t inner, outer;    /* dimensions cut by R and by C */
    int64_t n_inner, folds;  /* fold f: inner f % n_inner, outer f / n_inner */
    int64_t stream;          /* elements streamed per fold */
    int64_t *collected;      /* (folds) results taken off the bottom edge */
    int64_t folds_done;
    int64_t cycle, watchdog;
    int64_t macs, max_abs;
    int hazard;
    Err *e;
} Run;

static Tile tile_of(const Run *u, int64_t f)
{
    Tile t;
    t.i0 = (f % u->n_inner) * u->R;
    t.ni = QA_MIN((int64_t)u->R, u->inner - t.i0);
    t.o0 = (f / u->n_inner) * u->C;
    t.no = QA_MIN((int64_t)u->C, u->outer - t.o0);
    return t;
}

static void hazard(Run *u, int r, int c, const char *what)
{
    if (u->hazard)
        return;
    u->hazard = 1;
    err_set(u->e, NULL, 0, "pe_ref",
            "internal hazard in cycle %lld at PE(%d,%d): %s",
            (long long)u->cycle, r, c, what);
}

static void track(Run *u, int64_t v)
{
    int64_t a = v < 0 ? -v : v;
    if (a > u->max_abs)
        u->max_abs = a;
}

/* Ring position of the slot injected `delay` cycles ago. */
static int ring_at(int64_t cycle, int delay, int size)
{
    int i = (int)(cycle % size) - delay;
    return i < 0 ? i + size : i;
}

/* A result of fold f left the array; returns 1 when the fold is complete. */
static int collect(Run *u, int64_t f, int64_t per_fold)
{
    if (++u->collected[f] == per_fold) {
        u->folds_done++;
        return 1;
    }
    return 0;
}

static int fold_done(const Run *u, int64_t f, int64_t per_fold)
{
    return u->collected[f] == per_fold;
}

/* ---- stationary engine (WS, IS) ---------------------------------------- */

typedef struct {
    int64_t p;               /* partial sum passed down */
    int32_t w, sh, x;        /* active and shadow stationary operand; the
                              * streaming operand passed right */
    int32_t ld;              /* stationary operand on its way down */
    int32_t w_fold, sh_fold; /* fold of w and sh (-1: none yet) */
    int32_t ld_fold, ld_row; /* fold and destination row of ld (-1: bubble) */
    int32_t x_fold, x_t;     /* fold and stream index of x (-1: bubble) */
    int32_t p_fold, p_t;     /* fold and stream index of p (-1: bubble) */
    uint8_t w_use, sh_use, ld_use; /* the operand belongs to a used column */
} SePe;

/* Next state of PE(r,c). fx: the operand entering row r from the left edge;
 * fw: the stationary operand entering column c's load chain from the top. */
static void se_pe(Run *u, const SePe *cur, SePe *o, int r, int c,
                  const Feed *fx, const Feed *fw)
{
    const int C = u->C;
    const SePe *q = &cur[r * C + c];
    int32_t xv, xf, xt;
    if (c == 0) {
        xv = fx->v, xf = fx->fold, xt = fx->idx;
    } else {
        const SePe *l = q - 1;
        xv = l->x, xf = l->x_fold, xt = l->x_t;
    }
    o->x = xv, o->x_fold = xf, o->x_t = xt;

    /* Load chain: a stationary operand moves down one row per cycle and the
     * PE of its destination row captures it into the shadow register. Only
     * that capture touches the shadow, so a load in flight never disturbs a
     * shadow value still waiting for its swap. */
    int32_t lv, lf, lr;
    uint8_t lu;
    if (r == 0) {
        lv = fw->v, lf = fw->fold, lr = fw->idx, lu = fw->use;
    } else {
        const SePe *up = q - C;
        lv = up->ld, lf = up->ld_fold, lr = up->ld_row, lu = up->ld_use;
    }
    o->sh = q->sh, o->sh_fold = q->sh_fold, o->sh_use = q->sh_use;
    o->ld_fold = -1;
    if (lf >= 0 && lr == r)
        o->sh = lv, o->sh_fold = lf, o->sh_use = lu;
    else
        o->ld = lv, o->ld_fold = lf, o->ld_row = lr, o->ld_use = lu;

    /* The first element of a fold swaps the shadow in (a wavefront that
     * follows the data), and that same cycle's MAC already uses it. */
    if (xf >= 0 && xt == 0)
        o->w = q->sh, o->w_fold = q->sh_fold, o->w_use = q->sh_use;
    else
        o->w = q->w, o->w_fold = q->w_fold, o->w_use = q->w_use;

    int64_t p = 0;
    int32_t pf = -1, pt = 0;
    if (r > 0) {
        const SePe *up = q - C;
        p = up->p, pf = up->p_fold, pt = up->p_t;
    }
    if (xf >= 0) {
        if (o->w_fold != xf) {
            hazard(u, r, c, "stationary operand of another fold");
        } else if (o->w_use) {
            if (r == 0)
                pf = xf, pt = xt;
            else if (pf != xf || pt != xt)
                hazard(u, r, c, "partial sum out of step with its operand");
            p += (int64_t)xv * o->w;
            u->macs++;
            track(u, p);
        }
    }
    o->p = p, o->p_fold = pf, o->p_t = pt;
}

static int se_run(Run *u, View X, View S, OutView Y)
{
    const int R = u->R, C = u->C;
    const int64_t T = u->stream;
    size_t npe = (size_t)R * (size_t)C;
    SePe *cur = qa_calloc(npe, sizeof *cur);
    SePe *nxt = qa_calloc(npe, sizeof *nxt);
    Slot *xring = qa_calloc((size_t)R, sizeof *xring);
    Slot *wring = qa_calloc((size_t)C, sizeof *wring);
    Feed *fx = qa_calloc((size_t)R, sizeof *fx);
    Feed *fw = qa_calloc((size_t)C, sizeof *fw);
    int rc = QA_ERR;
    if (!cur || !nxt || !xring || !wring || !fx || !fw) {
        err_set(u->e, NULL, 0, "pe_ref", "out of memory for a %dx%d array",
                R, C);
        goto done;
    }
    for (size_t i = 0; i < npe; i++)
        cur[i].w_fold = cur[i].sh_fold = cur[i].ld_fold = -1;
    for (size_t i = 0; i < npe; i++)
        cur[i].x_fold = cur[i].p_fold = -1;
    for (int r = 0; r < R; r++)
        xring[r].fold = -1;
    for (int c = 0; c < C; c++)
        wring[c].fold = -1;

    int64_t st_fold = -1, st_t = 0, next_stream = 0;
    int64_t ld_fold = -1, ld_j = 0, ld_n = 0, next_load = 0, loads_done = 0;
    for (u->cycle = 0; u->folds_done < u->folds; u->cycle++) {
        const int64_t cyc = u->cycle;
        if (cyc > u->watchdog) {
            hazard(u, 0, 0, "the array never finished");
            goto done;
        }
        /* Controller. The stream of a fold starts once its load is complete
         * and the previous stream has ended. */
        if (st_fold < 0 && next_stream < loads_done)
            st_fold = next_stream++, st_t = 0;
        Slot xs = { -1, 0 };
        if (st_fold >= 0) {
            xs.fold = (int32_t)st_fold, xs.idx = (int32_t)st_t;
            if (++st_t == T)
                st_fold = -1;
        }
        /* Double buffered, the next load may start with the current stream:
         * its column-skewed captures trail the swap wavefront. Single
         * buffered, it waits until the previous fold has fully left. */
        if (ld_fold < 0 && next_load < u->folds &&
            (next_load == 0 ||
             (u->db ? next_stream >= next_load
                    : fold_done(u, next_load - 1,
                                T * tile_of(u, next_load - 1).no)))) {
            ld_fold = next_load++, ld_j = 0;
            ld_n = tile_of(u, ld_fold).ni;
        }
        Slot ws = { -1, 0 };
        if (ld_fold >= 0) {
            ws.fold = (int32_t)ld_fold, ws.idx = (int32_t)ld_j;
            if (++ld_j == ld_n)
                loads_done = ld_fold + 1, ld_fold = -1;
        }
        xring[cyc % R] = xs;
        wring[cyc % C] = ws;

        /* Feeders: row r gets X(t, k0 + r) of the element row 0 got r cycles
         * ago; the load chain of column c gets tile row ni-1-j in load step j
         * (last row first, so all rows capture in the same cycle, the last
         * step), c cycles after column 0. */
        for (int r = 0; r < R; r++) {
            Slot s = xring[ring_at(cyc, r, R)];
            fx[r].fold = -1;
            if (s.fold < 0)
                continue;
            Tile t = tile_of(u, s.fold);
            if (r >= t.ni)
                continue;
            fx[r].v = X.p[s.idx * X.s0 + (t.i0 + r) * X.s1];
            fx[r].fold = s.fold, fx[r].idx = s.idx;
        }
        for (int c = 0; c < C; c++) {
            Slot s = wring[ring_at(cyc, c, C)];
            fw[c].fold = s.fold;
            if (s.fold < 0)
                continue;
            Tile t = tile_of(u, s.fold);
            fw[c].idx = (int32_t)(t.ni - 1 - s.idx);
            fw[c].use = c < t.no;
            fw[c].v = fw[c].use
                          ? S.p[(t.i0 + fw[c].idx) * S.s0 + (t.o0 + c) * S.s1]
                          : 0;
        }

        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                se_pe(u, cur, &nxt[r * C + c], r, c, &fx[r], &fw[c]);

        /* Collectors: the bottom row's partial sums are finished outputs of
         * this fold, added into the accumulator buffer. */
        for (int c = 0; c < C; c++) {
            const SePe *b = &nxt[(size_t)(R - 1) * C + c];
            if (b->p_fold < 0)
                continue;
            Tile t = tile_of(u, b->p_fold);
            if (c >= t.no) {
                hazard(u, R - 1, c, "output from an unused column");
                continue;
            }
            int64_t *y = &Y.p[b->p_t * Y.s0 + (t.o0 + c) * Y.s1];
            *y += b->p;
            track(u, *y);
            collect(u, b->p_fold, T * t.no);
        }
        if (u->hazard)
            goto done;
        SePe *tmp = cur;
        cur = nxt, nxt = tmp;
    }
    rc = QA_OK;
done:
    free(cur);
    free(nxt);
    free(xring);
    free(wring);
    free(fx);
    free(fw);
    return rc;
}

/* ---- output-stationary engine ------------------------------------------ */

typedef struct {
    int64_t acc, h, d;       /* accumulator, result register, drain chain */
    int32_t a, b;            /* operands passed right and down */
    int32_t a_fold, a_k;     /* fold and k of a (-1: bubble) */
    int32_t b_fold, b_k;
    int32_t h_fold;          /* -1: result register empty */
    int32_t d_fold, d_row;   /* -1: drain slot empty; row the result is of */
} OsPe;

/* Next state of PE(r,c); copy_fold >= 0: this cycle column c copies its
 * result registers into its drain chain. */
static void os_pe(Run *u, const OsPe *cur, OsPe *o, int r, int c,
                  const Feed *fa, const Feed *fb, int32_t copy_fold,
                  int64_t K)
{
    const int C = u->C;
    const OsPe *q = &cur[r * C + c];
    if (c == 0) {
        o->a = fa->v, o->a_fold = fa->fold, o->a_k = fa->idx;
    } else {
        const OsPe *l = q - 1;
        o->a = l->a, o->a_fold = l->a_fold, o->a_k = l->a_k;
    }
    if (r == 0) {
        o->b = fb->v, o->b_fold = fb->fold, o->b_k = fb->idx;
    } else {
        const OsPe *up = q - C;
        o->b = up->b, o->b_fold = up->b_fold, o->b_k = up->b_k;
    }
    o->acc = q->acc;
    o->h = q->h, o->h_fold = q->h_fold;

    if (o->a_fold >= 0 && o->b_fold >= 0) {
        if (o->a_fold != o->b_fold || o->a_k != o->b_k) {
            hazard(u, r, c, "operands of different folds or k meet");
            return;
        }
        /* k = 0 restarts the sum: the accumulator of the previous fold has
         * already been moved to the result register. */
        int64_t s = (o->a_k == 0 ? 0 : q->acc) + (int64_t)o->a * o->b;
        o->acc = s;
        u->macs++;
        track(u, s);
        if (o->a_k == K - 1) {
            if (q->h_fold >= 0)
                hazard(u, r, c, "result register still full");
            o->h = s, o->h_fold = o->a_fold;
        }
    } else if (o->a_fold >= 0 || o->b_fold >= 0) {
        /* A alone passes through unused columns, B alone through unused
         * rows; inside the tile both must arrive together. */
        Tile t = tile_of(u, o->a_fold >= 0 ? o->a_fold : o->b_fold);
        if (r < t.ni && c < t.no)
            hazard(u, r, c, "operand missing inside the tile");
    }

    if (copy_fold >= 0) {
        if (r < u->R - 1 && q->d_fold >= 0)
            hazard(u, r, c, "drain chain overwritten before it emptied");
        o->d_fold = -1;
        if (o->h_fold >= 0) {
            if (o->h_fold != copy_fold)
                hazard(u, r, c, "result of another fold in the copy");
            o->d = o->h, o->d_fold = o->h_fold, o->d_row = r;
            o->h_fold = -1;
        }
    } else if (r == 0) {
        o->d_fold = -1;
    } else {
        const OsPe *up = q - C;
        o->d = up->d, o->d_fold = up->d_fold, o->d_row = up->d_row;
    }
}

static int os_run(Run *u, const int32_t *A, const int32_t *B, int64_t *O,
                  int64_t K, int64_t N)
{
    const int R = u->R, C = u->C, W = QA_MAX(R, C);
    size_t npe = (size_t)R * (size_t)C;
    OsPe *cur = qa_calloc(npe, sizeof *cur);
    OsPe *nxt = qa_calloc(npe, sizeof *nxt);
    Slot *ring = qa_calloc((size_t)W, sizeof *ring);
    Feed *fa = qa_calloc((size_t)R, sizeof *fa);
    Feed *fb = qa_calloc((size_t)C, sizeof *fb);
    int32_t *copy = qa_calloc((size_t)C, sizeof *copy);
    int rc = QA_ERR;
    if (!cur || !nxt || !ring || !fa || !fb || !copy) {
        err_set(u->e, NULL, 0, "pe_ref", "out of memory for a %dx%d array",
                R, C);
        goto done;
    }
    for (size_t i = 0; i < npe; i++)
        cur[i].a_fold = cur[i].b_fold = cur[i].h_fold = cur[i].d_fold = -1;
    for (int i = 0; i < W; i++)
        ring[i].fold = -1;

    int64_t st_fold = -1, st_k = 0, next = 0, last_start = 0;
    for (u->cycle = 0; u->folds_done < u->folds; u->cycle++) {
        const int64_t cyc = u->cycle;
        if (cyc > u->watchdog) {
            hazard(u, 0, 0, "the array never finished");
            goto done;
        }
        /* Controller. Double buffered, a fold may start once the previous
         * stream has ended and R cycles after the previous start: each
         * column's drain chain takes one parallel copy per R cycles, and
         * consecutive folds copy as far apart as they start. Single
         * buffered, it waits for the previous fold's last result. */
        if (st_fold < 0 && next < u->folds &&
            (next == 0 ||
             (u->db ? cyc - last_start >= R
                    : fold_done(u, next - 1, tile_of(u, next - 1).ni *
                                                 tile_of(u, next - 1).no)))) {
            st_fold = next++, st_k = 0, last_start = cyc;
        }
        Slot s0 = { -1, 0 };
        if (st_fold >= 0) {
            s0.fold = (int32_t)st_fold, s0.idx = (int32_t)st_k;
            if (++st_k == K)
                st_fold = -1;
        }
        ring[cyc % W] = s0;

        /* Feeders: row r gets A(m0 + r, k), column c gets B(k, n0 + c). */
        for (int r = 0; r < R; r++) {
            Slot s = ring[ring_at(cyc, r, W)];
            fa[r].fold = -1;
            if (s.fold < 0)
                continue;
            Tile t = tile_of(u, s.fold);
            if (r >= t.ni)
                continue;
            fa[r].v = A[(t.i0 + r) * K + s.idx];
            fa[r].fold = s.fold, fa[r].idx = s.idx;
        }
        for (int c = 0; c < C; c++) {
            Slot s = ring[ring_at(cyc, c, W)];
            fb[c].fold = -1;
            if (s.fold < 0)
                continue;
            Tile t = tile_of(u, s.fold);
            if (c >= t.no)
                continue;
            fb[c].v = B[s.idx * N + t.o0 + c];
            fb[c].fold = s.fold, fb[c].idx = s.idx;
        }
        /* A column copies its results when its last B element enters the
         * bottom row. */
        for (int c = 0; c < C; c++) {
            int32_t bf, bk;
            if (R == 1) {
                bf = fb[c].fold, bk = fb[c].idx;
            } else {
                const OsPe *p = &cur[(size_t)(R - 2) * C + c];
                bf = p->b_fold, bk = p->b_k;
            }
            copy[c] = bf >= 0 && bk == K - 1 ? bf : -1;
        }

        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++)
                os_pe(u, cur, &nxt[r * C + c], r, c, &fa[r], &fb[c], copy[c],
                      K);

        for (int c = 0; c < C; c++) {
            const OsPe *b = &nxt[(size_t)(R - 1) * C + c];
            if (b->d_fold < 0)
                continue;
            Tile t = tile_of(u, b->d_fold);
            O[(t.i0 + b->d_row) * N + t.o0 + c] = b->d;
            collect(u, b->d_fold, t.ni * t.no);
        }
        if (u->hazard)
            goto done;
        OsPe *tmp = cur;
        cur = nxt, nxt = tmp;
    }
    rc = QA_OK;
done:
    free(cur);
    free(nxt);
    free(ring);
    free(fa);
    free(fb);
    free(copy);
    return rc;
}

/* ---- dispatch ----------------------------------------------------------- */

typedef struct {
    /* Sizes cut by the array rows and columns, and the stream length. */
    void (*dims)(int64_t M, int64_t K, int64_t N, int64_t *inner,
                 int64_t *outer, int64_t *stream);
    int (*run)(Run *u, const int32_t *A, const int32_t *B, int64_t *O,
               int64_t M, int64_t K, int64_t N);
} PeRefOps;

static void ws_dims(int64_t M, int64_t K, int64_t N, int64_t *inner,
                    int64_t *outer, int64_t *stream)
{
    *inner = K, *outer = N, *stream = M;
}

static void is_dims(int64_t M, int64_t K, int64_t N, int64_t *inner,
                    int64_t *outer, int64_t *stream)
{
    *inner = K, *outer = M, *stream = N;
}

static void os_dims(int64_t M, int64_t K, int64_t N, int64_t *inner,
                    int64_t *outer, int64_t *stream)
{
    *inner = M, *outer = N, *stream = K;
}

/* WS: X = A (M,K), S = B (K,N), Y = O (M,N). */
static int ws_run(Run *u, const int32_t *A, const int32_t *B, int64_t *O,
                  int64_t M, int64_t K, int64_t N)
{
    (void)M;
    View X = { A, K, 1 }, S = { B, N, 1 };
    OutView Y = { O, N, 1 };
    return se_run(u, X, S, Y);
}

/* IS: X(n,k) = B[k][n], S(k,m) = A[m][k], Y(n,m) = O[m][n]. */
static int is_run(Run *u, const int32_t *A, const int32_t *B, int64_t *O,
                  int64_t M, int64_t K, int64_t N)
{
    (void)M;
    View X = { B, 1, N }, S = { A, 1, K };
    OutView Y = { O, 1, N };
    return se_run(u, X, S, Y);
}

static int os_run_gemm(Run *u, const int32_t *A, const int32_t *B,
                       int64_t *O, int64_t M, int64_t K, int64_t N)
{
    (void)M;
    return os_run(u, A, B, O, K, N);
}

static const PeRefOps pe_ref_ops[DF_COUNT] = {
    [DF_WS] = { ws_dims, ws_run },
    [DF_OS] = { os_dims, os_run_gemm },
    [DF_IS] = { is_dims, is_run },
};

static int64_t max_abs32(const int32_t *v, int64_t n)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t a = v[i] < 0 ? -(int64_t)v[i] : v[i];
        m = QA_MAX(m, a);
    }
    return m;
}

static int check_size(const char *name, int64_t v, Err *e)
{
    if (v < 1 || v > INT32_MAX)
        return err_set(e, NULL, 0, name, "must be in 1..%d (got %lld)",
                       INT32_MAX, (long long)v);
    return QA_OK;
}

int pe_ref_gemm(Dataflow df, int rows, int cols, int64_t M, int64_t K,
                int64_t N, const int32_t *A, const int32_t *B, int64_t *O,
                int double_buffer, PeRefStats *st, Err *e)
{
    if ((unsigned)df >= DF_COUNT)
        return err_set(e, NULL, 0, "dataflow", "unknown dataflow %d", (int)df);
    if (rows < 1)
        return err_set(e, NULL, 0, "rows", "must be >= 1 (got %d)", rows);
    if (cols < 1)
        return err_set(e, NULL, 0, "cols", "must be >= 1 (got %d)", cols);
    if ((int64_t)rows * cols > PE_REF_MAX_PES)
        return err_set(e, NULL, 0, "rows", "a %dx%d reference array is more "
                       "than %d PEs", rows, cols, PE_REF_MAX_PES);
    if (check_size("M", M, e) || check_size("K", K, e) ||
        check_size("N", N, e))
        return QA_ERR;
    if (!A || !B || !O)
        return err_set(e, NULL, 0, "pe_ref", "NULL matrix");
    int64_t mk, kn, mn, bytes;
    if (__builtin_mul_overflow(M, K, &mk) ||
        __builtin_mul_overflow(K, N, &kn) ||
        __builtin_mul_overflow(M, N, &mn) ||
        __builtin_mul_overflow(mn, (int64_t)sizeof *O, &bytes) ||
        (uint64_t)bytes > SIZE_MAX / 2)
        return err_set(e, NULL, 0, "pe_ref", "GEMM %lldx%lldx%lld is too big "
                       "for memory", (long long)M, (long long)K,
                       (long long)N);
    /* Every partial sum is bounded by K * max|A| * max|B|. */
    int64_t bound;
    if (__builtin_mul_overflow(max_abs32(A, mk), max_abs32(B, kn), &bound) ||
        __builtin_mul_overflow(bound, K, &bound))
        return err_set(e, NULL, 0, "pe_ref", "values too large: partial sums "
                       "could overflow int64");

    const PeRefOps *ops = &pe_ref_ops[df];
    Run u;
    memset(&u, 0, sizeof u);
    u.R = rows, u.C = cols, u.db = double_buffer != 0, u.e = e;
    ops->dims(M, K, N, &u.inner, &u.outer, &u.stream);
    u.n_inner = (u.inner - 1) / rows + 1;
    int64_t n_outer = (u.outer - 1) / cols + 1;
    if (__builtin_mul_overflow(u.n_inner, n_outer, &u.folds) ||
        u.folds > INT32_MAX)
        return err_set(e, NULL, 0, "pe_ref", "too many folds for the "
                       "reference array");
    /* A loose bound that a correct array never reaches: per fold at most a
     * preload of R, the stream, and skew and drain of 2R + C. */
    u.watchdog = u.folds * (u.stream + 3 * (int64_t)rows + 2 * (int64_t)cols +
                            8) + 8;
    u.collected = qa_calloc((size_t)u.folds, sizeof *u.collected);
    if (!u.collected)
        return err_set(e, NULL, 0, "pe_ref", "out of memory for %lld folds",
                       (long long)u.folds);
    memset(O, 0, (size_t)bytes);
    int rc = ops->run(&u, A, B, O, M, K, N);
    free(u.collected);
    if (rc != QA_OK)
        return rc;
    if (st) {
        st->cycles = u.cycle;
        st->folds = u.folds;
        st->macs = u.macs;
        st->max_abs_psum = u.max_abs;
    }
    return QA_OK;
}

int pe_ref_check_acc(const PeRefStats *st, int acc_bits, Err *e)
{
    if (acc_bits < 2 || acc_bits > 64)
        return err_set(e, NULL, 0, "acc_bits", "must be 2..64, is %d",
                       acc_bits);
    /* Signed b bits hold -2^(b-1) .. 2^(b-1) - 1; |x| <= 2^(b-1) - 1 is
     * the test that does not depend on the sign. */
    int64_t max = acc_bits == 64 ? INT64_MAX
                                 : ((int64_t)1 << (acc_bits - 1)) - 1;
    if (st->max_abs_psum > max) {
        int need = 1;
        while (need < 64 && st->max_abs_psum > ((int64_t)1 << (need - 1)) - 1)
            need++;
        return err_set(e, NULL, 0, "acc_bits",
                       "accumulator overflow: a partial sum of magnitude "
                       "%lld needs %d bits, the PE accumulator has %d",
                       (long long)st->max_abs_psum, need, acc_bits);
    }
    return QA_OK;
}
