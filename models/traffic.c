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
 * Grouped convolutions and matmuls are cut by units (groups; a matmul's
 * image and head): a unit reads only its own slice of the input, so their
 * input crosses once whatever the loop order, like a pool's. A matmul's
 * second operand is an activation that takes the weights' place: it is
 * re-read, cached or kept on chip as weights are. The other vector ops read
 * each input in proportion to the outputs a tile makes (VIEW_FLAT).
 * Tensors kept on chip are spread evenly over all the cores' scratchpads
 * and reach the core that needs them over the on-chip network, which is
 * not modelled in time (an assumption, said in models/README.md). */
#include "models/traffic.h"

int64_t traffic_part(int64_t total, int64_t parts, int64_t i)
{
    return total / parts + (i < total % parts ? 1 : 0);
}

/* Rows of overlap between the windows of consecutive output rows: the
 * window's span (R, or more when dilated) less the stride. */
static int64_t halo_rows(const Layer *l)
{
    int64_t span = layer_span_h(l);
    return span > l->stride ? span - l->stride : 0;
}

int64_t traffic_in_rows(const Layer *l, int64_t r)
{
    if (r <= 0)
        return 0;
    /* Whole images: all H rows of each image touched. */
    if (r >= l->P)
        return QA_CEIL_DIV(r, (int64_t)l->P) * l->H;
    /* r output rows of one image read (r - 1) * stride + span rows, with
     * the rows a stride skips fetched too (contiguous DMA): r * stride plus
     * the overlap span - stride when the window is taller than the stride. */
    return QA_MIN((int64_t)l->H, r * l->stride + halo_rows(l));
}

/* Rows fetched for the first k output rows of one image: k * stride rows
 * plus the window overlap, never more than the image. */
static int64_t cum_rows(const Layer *l, int64_t k)
{
    if (k <= 0)
        return 0;
    return QA_MIN((int64_t)l->H, k * l->stride + halo_rows(l));
}

int64_t traffic_in_rows_range(const Layer *l, int64_t start, int64_t a,
                              int64_t b)
{
    if (b <= a)
        return 0;
    int64_t P = l->P;
    int64_t first = a / P, last = (b - 1) / P; /* images touched */
    /* this pass's first row in an image: `start` in its own image, the
     * image's first row in every later one */
    int64_t s0 = QA_MAX(start, first * P);
    if (first == last)
        return cum_rows(l, b - s0) - cum_rows(l, a - s0);
    int64_t head = cum_rows(l, (first + 1) * P - s0) - cum_rows(l, a - s0);
    int64_t whole = (last - first - 1) * cum_rows(l, P);
    return head + whole + cum_rows(l, b - last * P);
}

int traffic_rows_uniform(const Layer *l)
{
    return halo_rows(l) == 0 && (int64_t)l->P * l->stride <= l->H;
}

void traffic_view_dims(const Layer *l, LayerView *v)
{
    int64_t g = QA_MAX(1, l->groups);
    v->l = l;
    v->on_array = layer_on_array(l);
    v->nin = l->op == OP_MATMUL ? 1 : layer_inputs(l);
    v->rows_out = (int64_t)l->N * l->P;
    v->ch = l->K;
    v->unit_k = 1;
    v->kg = (int64_t)(l->C / g) * l->R * l->S;
    v->row_in_bytes = bits_to_bytes((int64_t)l->C * l->W, l->a_bits);
    v->unit_in = 0;
    v->out_elems = v->in_elems[0] = v->in_elems[1] = 0;
    if (l->op == OP_MATMUL || (v->on_array && g > 1)) {
        v->kind = VIEW_GROUPS;
        v->ch = l->op == OP_MATMUL ? l->N * g : g;
        v->unit_k = l->K / g;
        v->unit_in = (int64_t)(l->C / g) * l->W;
        if (l->op == OP_MATMUL)
            v->rows_out = l->P;
    } else if (v->on_array) {
        v->kind = VIEW_DENSE;
    } else if (layer_is_flat(l)) {
        v->kind = VIEW_FLAT;
        v->out_elems = (int64_t)l->K * l->P * l->Q;
        v->in_elems[0] = (int64_t)l->C * l->H * l->W;
        v->in_elems[1] = l->in1_elems;
    } else {
        v->kind = VIEW_WINDOW;
    }
    v->w_all = l->op == OP_MATMUL ? layer_in1_bytes(l) : layer_weight_bytes(l);
    v->in_all[0] = layer_in_bytes(l);
    v->in_all[1] = v->nin == 2 ? layer_in1_bytes(l) : 0;
    v->out_all = layer_out_bytes(l);
}

int64_t traffic_w_tile(const LayerView *v, int64_t n)
{
    if (!v->on_array)
        return 0;
    return bits_to_bytes(n * v->unit_k * v->kg, v->l->w_bits);
}

int64_t traffic_in_row_bytes(const LayerView *v, int64_t n)
{
    switch (v->kind) {
    case VIEW_DENSE:
        return v->row_in_bytes;
    case VIEW_GROUPS:
        return bits_to_bytes(n * v->unit_in, v->l->a_bits);
    default:
        return bits_to_bytes((int64_t)v->l->W * n, v->l->a_bits);
    }
}

int64_t traffic_flat_elems(const LayerView *v, int k, int64_t n, int64_t r)
{
    int64_t out = n * r * v->l->Q;
    if (k < 0 || v->out_elems <= 0)
        return out;
    /* out <= 2^36 * 2^16 and in_elems <= 2^36: the product needs 128 bits */
    __int128 num = (__int128)out * v->in_elems[k];
    return (int64_t)((num + v->out_elems - 1) / v->out_elems);
}

int64_t traffic_in_tile(const LayerView *v, int k, int64_t n, int64_t r)
{
    if (v->kind == VIEW_FLAT)
        return bits_to_bytes(traffic_flat_elems(v, k, n, r), v->l->a_bits);
    return traffic_in_rows(v->l, r) * traffic_in_row_bytes(v, n);
}

int64_t traffic_out_tile(const LayerView *v, int64_t n, int64_t r)
{
    return bits_to_bytes(n * v->unit_k * r * v->l->Q, v->l->o_bits);
}

/* Bytes of one pass of input k over a core's share: output rows
 * [r0, r0 + rows) of all channels (dense conv/fc) or of ch units cut in
 * nb_n blocks (each block reading its own slice). Consecutive row blocks
 * reuse the window overlap, so the row blocking does not matter, except to
 * a flat op: its tiles (nb_m row blocks) each round their share up. */
static int64_t in_pass_bytes(const LayerView *v, int k, int64_t ch,
                             int64_t nb_n, int64_t r0, int64_t rows,
                             int64_t nb_m)
{
    int64_t big = QA_CEIL_DIV(ch, nb_n), nbig = ch % nb_n;
    if (v->kind == VIEW_FLAT) {
        int64_t rbig = QA_CEIL_DIV(rows, nb_m), nrbig = rows % nb_m;
        int64_t nsz[2] = {big, ch / nb_n}, ncnt[2] = {nbig, nb_n - nbig};
        int64_t rsz[2] = {rbig, rows / nb_m}, rcnt[2] = {nrbig, nb_m - nrbig};
        int64_t sum = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                if (ncnt[i] && rcnt[j])
                    sum += ncnt[i] * rcnt[j] *
                           traffic_in_tile(v, k, nsz[i], rsz[j]);
        return sum;
    }
    int64_t in_rows = traffic_in_rows_range(v->l, r0, r0, r0 + rows);
    if (v->kind == VIEW_DENSE)
        return in_rows * v->row_in_bytes;
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
    c->in_tile = 0;
    for (int k = 0; k < v->nin; k++)
        c->in_tile += traffic_in_tile(v, k, c->tn, c->tr);
    c->out_tile = traffic_out_tile(v, c->tn, c->tr);
    for (int k = 0; k < 2; k++) {
        c->in_pass[k] = 0;
        if (k >= v->nin)
            continue;
        if (by_ch && v->kind == VIEW_DENSE) {
            c->in_pass[k] = in_pass_bytes(v, k, v->ch, 1, 0, v->rows_out, 1);
            continue;
        }
        int64_t r0 = 0;
        for (int64_t i = 0; i < cu; i++) {
            int64_t rows = by_ch ? v->rows_out : traffic_part(v->rows_out, cu, i);
            c->in_pass[k] += in_pass_bytes(
                v, k, by_ch ? traffic_part(v->ch, cu, i) : v->ch, c->nb_n,
                by_ch ? 0 : r0, rows, c->nb_m);
            r0 += by_ch ? 0 : rows;
        }
    }
}

int traffic_eval(const Accel *a, const LayerView *v, int64_t resident_bytes,
                 TileChoice *c)
{
    int nbuf = a->double_buffer ? 2 : 1;

    /* Passes over each tensor. Tiles of vector ops, grouped convs and
     * matmuls read disjoint slices of the input, so their input crosses
     * once whatever the order. */
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
    if (v->kind == VIEW_GROUPS)
        c->in_reads = 1;
    if (v->w_resident || !v->on_array)
        c->w_reads = 0;

    /* Chip-level bytes of one pass over each tensor. */
    int64_t w_pass = v->w_all;
    int64_t in_pass = qa_cadd(c->in_pass[0], c->in_pass[1]);
    c->dram_w = qa_cmul(c->w_reads, w_pass);
    c->dram_in = 0;
    for (int i = 0; i < 2; i++) {
        c->dram_in_k[i] = i < v->nin && !v->in_resident[i]
                              ? qa_cmul(c->in_reads, c->in_pass[i]) : 0;
        c->dram_in = qa_cadd(c->dram_in, c->dram_in_k[i]);
    }
    c->dram_out = c->keep_out ? 0 : v->out_all;

    /* Working set of the busiest core: streaming buffers (two when the
     * tensor has more than one tile and double buffering is on). Tensors
     * held for longer (kept outputs, cached tensors, tensors resident from
     * earlier layers) are spread evenly over all the chip's scratchpads:
     * they stay where they are while later layers use other cores. */
    int64_t wt = c->w_tile, it = c->in_tile, ot = c->out_tile;
    int64_t buf = 0;
    buf = qa_cadd(buf, qa_cmul(c->nb_n > 1 ? nbuf : 1, wt));
    buf = qa_cadd(buf, qa_cmul(c->nb_m > 1 ? nbuf : 1, it));
    if (!c->keep_out)
        buf = qa_cadd(buf, qa_cmul(c->nb_n * c->nb_m > 1 ? nbuf : 1, ot));
    int64_t extra = 0;
    if (c->keep_out)
        extra = qa_cadd(extra, v->out_all);
    if (c->cache)
        extra = qa_cadd(extra, w_outer ? in_pass : w_pass);
    c->buffer_bytes = buf;
    c->held_bytes = extra;
    c->sram_bytes = qa_cadd(buf, QA_CEIL_DIV(qa_cadd(resident_bytes, extra), (int64_t)a->cores));
    return c->sram_bytes <= a->sram_bytes;
}
