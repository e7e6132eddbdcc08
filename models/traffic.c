/* traffic.c: tile bytes, DRAM passes and scratchpad fit of one candidate.
 *
 * The reuse rules (what makes low precision super-linear):
 *  - A tensor on chip costs no DRAM bytes: an input kept on chip by its
 *    producer, or all weights when the chip keeps the whole model.
 *  - The loop order fixes which tensor is streamed once: weights-outer
 *    loads every weight tile once and streams the inputs once per filter
 *    block; inputs-outer loads every input tile once and streams the weights
 *    once per row block. The re-streamed tensor is read once only when it
 *    is cut into one block, or when it is cached (kept after pass 1) because
 *    it fits beside everything else.
 *  - The output is written once, or not at all when it stays on chip.
 * Broadcast: with the work split by output channels every core needs the
 * same input tile; it crosses from DRAM once and is shared (each core's DMA
 * loads 1/cores of it). Likewise weights when split by output rows.
 * Tensors kept on chip are spread evenly over all the cores' scratchpads
 * and reach the core that needs them over the on-chip network, which is
 * not modelled in time (an assumption, said in models/README.md). */
#include "models/traffic.h"

int64_t traffic_part(int64_t total, int64_t parts, int64_t i)
{
    return total / parts + (i < total % parts ? 1 : 0);
}

int64_t traffic_in_rows(const Layer *l, int64_t r)
{
    if (r <= 0)
        return 0;
    /* Whole images: all H rows of each image touched. */
    if (r >= l->P)
        return QA_CEIL_DIV(r, (int64_t)l->P) * l->H;
    /* r output rows of one image read (r - 1) * stride + R rows, with the
     * rows a stride skips fetched too (contiguous DMA): r * stride plus the
     * overlap R - stride when the window is taller than the stride. */
    int64_t halo = l->R > l->stride ? l->R - l->stride : 0;
    return QA_MIN((int64_t)l->H, r * l->stride + halo);
}

/* Rows fetched for the first k output rows of one image: k * stride rows
 * plus the window overlap, never more than the image. */
static int64_t cum_rows(const Layer *l, int64_t k)
{
    if (k <= 0)
        return 0;
    int64_t halo = l->R > l->stride ? l->R - l->stride : 0;
    return QA_MIN((int64_t)l->H, k * l->stride + halo);
}

int64_t traffic_in_rows_range(const Layer *l, int64_t start, int64_t a,
                              int64_t b)
{
    int64_t total = 0, P = l->P;
    for (int64_t x = a; x < b;) {
        int64_t img = x / P;
        int64_t e = QA_MIN(b, (img + 1) * P);
        int64_t s0 = QA_MAX(start, img * P); /* this pass's first row here */
        total += cum_rows(l, e - s0) - cum_rows(l, x - s0);
        x = e;
    }
    return total;
}

int64_t traffic_w_tile(const LayerView *v, int64_t n)
{
    if (!v->on_array)
        return 0;
    return bits_to_bytes(n * v->kg, v->l->w_bits);
}

int64_t traffic_in_row_bytes(const LayerView *v, int64_t n)
{
    if (v->on_array)
        return v->row_in_bytes;
    return bits_to_bytes((int64_t)v->l->W * n, v->l->a_bits);
}

int64_t traffic_in_tile(const LayerView *v, int64_t n, int64_t r)
{
    return traffic_in_rows(v->l, r) * traffic_in_row_bytes(v, n);
}

int64_t traffic_out_tile(const LayerView *v, int64_t n, int64_t r)
{
    return bits_to_bytes(n * r * v->l->Q, v->l->o_bits);
}

/* Bytes of one pass of one input over a core's share: output rows
 * [r0, r0 + rows) of all channels (conv/fc) or of ch channels cut in nb_n
 * blocks (pool/add, each block reading its own channels). Consecutive row
 * blocks reuse the window overlap, so the row blocking does not matter. */
static int64_t in_pass_bytes(const LayerView *v, int64_t ch, int64_t nb_n,
                             int64_t r0, int64_t rows)
{
    int64_t in_rows = traffic_in_rows_range(v->l, r0, r0, r0 + rows);
    if (v->on_array)
        return in_rows * v->row_in_bytes;
    int64_t big = QA_CEIL_DIV(ch, nb_n), nbig = ch % nb_n;
    return in_rows * (nbig * traffic_in_row_bytes(v, big) +
                      (nb_n - nbig) * traffic_in_row_bytes(v, ch / nb_n));
}

int64_t traffic_units(const LayerView *v, CoreSplit split)
{
    return split == SPLIT_K ? v->ch : v->rows_out;
}

void traffic_shape(const LayerView *v, TileChoice *c)
{
    int by_ch = c->split == SPLIT_K;
    int64_t cu = c->cores_used;
    c->share_ch = by_ch ? QA_CEIL_DIV(v->ch, cu) : v->ch;
    c->share_rows = by_ch ? v->rows_out : QA_CEIL_DIV(v->rows_out, cu);
    c->tn = QA_MIN(c->tn, c->share_ch);
    c->tr = QA_MIN(c->tr, c->share_rows);
    c->nb_n = QA_CEIL_DIV(c->share_ch, c->tn);
    c->nb_m = QA_CEIL_DIV(c->share_rows, c->tr);
    c->w_tile = traffic_w_tile(v, c->tn);
    c->in_tile = traffic_in_tile(v, c->tn, c->tr) * v->nin;
    c->out_tile = traffic_out_tile(v, c->tn, c->tr);
    c->in_pass = 0;
    if (by_ch && v->on_array) {
        c->in_pass = in_pass_bytes(v, v->ch, 1, 0, v->rows_out);
    } else {
        int64_t r0 = 0;
        for (int64_t i = 0; i < cu; i++) {
            int64_t rows = by_ch ? v->rows_out : traffic_part(v->rows_out, cu, i);
            c->in_pass += in_pass_bytes(
                v, by_ch ? traffic_part(v->ch, cu, i) : v->ch, c->nb_n,
                by_ch ? 0 : r0, rows);
            r0 += by_ch ? 0 : rows;
        }
    }
}

int traffic_eval(const Accel *a, const LayerView *v, int64_t resident_bytes,
                 TileChoice *c)
{
    int nbuf = a->double_buffer ? 2 : 1;

    /* Passes over each tensor. Pool/add tiles read disjoint slices of the
     * input, so their input crosses once whatever the order. */
    int w_outer = c->order == LOOP_W_OUTER;
    if (!v->on_array) {
        c->w_reads = 0;
        c->in_reads = 1;
    } else if (w_outer) {
        c->w_reads = 1;
        c->in_reads = (c->cache || c->nb_n == 1) ? 1 : c->nb_n;
    } else {
        c->in_reads = 1;
        c->w_reads = (c->cache || c->nb_m == 1) ? 1 : c->nb_m;
    }
    if (v->w_resident || !v->on_array)
        c->w_reads = 0;

    /* Chip-level bytes of one pass over each tensor. */
    int64_t w_pass = v->w_all;
    int64_t in_pass = c->in_pass;
    c->dram_w = c->w_reads * w_pass;
    c->dram_in = 0;
    for (int i = 0; i < v->nin; i++)
        if (!v->in_resident[i])
            c->dram_in += c->in_reads * in_pass;
    c->dram_out = c->keep_out ? 0 : v->out_all;

    /* Working set of the busiest core: streaming buffers (two when the
     * tensor has more than one tile and double buffering is on). Tensors
     * held for longer (kept outputs, cached tensors, tensors resident from
     * earlier layers) are spread evenly over all the chip's scratchpads:
     * they stay where they are while later layers use other cores. */
    int64_t wt = c->w_tile, it = c->in_tile, ot = c->out_tile;
    int64_t buf = 0;
    buf += (c->nb_n > 1 ? nbuf : 1) * wt;
    buf += (c->nb_m > 1 ? nbuf : 1) * it;
    if (!c->keep_out)
        buf += (c->nb_n * c->nb_m > 1 ? nbuf : 1) * ot;
    int64_t extra = 0;
    if (c->keep_out)
        extra += v->out_all;
    if (c->cache)
        extra += w_outer ? in_pass * v->nin : w_pass;
    c->buffer_bytes = buf;
    c->held_bytes = extra;
    c->sram_bytes = buf + QA_CEIL_DIV(resident_bytes + extra, (int64_t)a->cores);
    return c->sram_bytes <= a->sram_bytes;
}
