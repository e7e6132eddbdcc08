/* energy.c: a layer's energy by component (energy.h).
 *
 *   mac    MACs x E_mac(w, a) + vector-unit operations x E_add(a)
 *            formula  E_mac = mul8 (w a / 64)^(mul_exp / 2)
 *                           + add8 (p / 8)^add_exp, p = the partial sum's
 *                     width (energy_psum_bits); mul_exp 1.977 and add_exp
 *                     0.868 fit Horowitz's 8- and 32-bit points (the
 *                     presets say how)
 *            table    the chip's PE per MAC at sqrt(w a) bits, log-log
 *                     between the listed widths (exact at them)
 *            APoT     ceil(w / 2) terms of a shift and an add, the shifter
 *                     costed as one more adder (area.c sizes it like one)
 *            x flex_overhead when the lanes are narrower than base_bits
 *   array  register hops x width x hop_pj_per_bit (systolic.h's paths)
 *   sram   bytes read  (operands into the array, partial sums back, every
 *                       byte stored to DRAM) x read pJ/B
 *          + bytes written (partial sums, outputs, every byte loaded from
 *                       DRAM) x write pJ/B; pJ/B = given at sram_ref_bytes
 *                       x (sram_bytes / sram_ref_bytes)^sram_size_exp
 *   dram   DRAM bytes x 8 x dram_pj_per_bit
 *   leak   (logic mm2 x its mW/mm2 + scratchpad mm2 x its mW/mm2) x the
 *          layer's time (mW x ns = pJ), the whole chip however many cores
 *          the layer uses
 * mac, array and sram are multiplied by the technology factor `scale`;
 * DRAM is another chip, and leakage is given per mm2 at the chip's node. */
#include "models/energy.h"
#include "models/area.h"
#include "models/scale.h"
#include "models/systolic.h"
#include "models/traffic.h"

#include <math.h>
#include <string.h>

int energy_psum_bits(const Accel *a, int w_bits, int a_bits, int64_t kg)
{
    int lg = 0;
    while (lg < 62 && ((int64_t)1 << lg) < kg)
        lg++;
    return QA_MIN(a->acc_bits, w_bits + a_bits + lg);
}

double energy_add_pj(const Accel *a, int bits)
{
    const EnergyParams *p = &a->energy;
    return p->add8_pj * pow(bits / 8.0, p->add_exp) * p->scale;
}

/* The table at b bits: the listed value itself at a listed width, else
 * linear in log(pJ) vs log(bits) between the two around b (the end
 * segments beyond the ends), as area.c interpolates the Bit Fusion areas. */
static double table_pj(const EnergyParams *p, double b)
{
    int n = arch_energy_table_len(p->table_bits);
    for (int i = 1; i <= n; i++)
        if (p->table_bits[i] == b)
            return p->table_pj[i];
    if (n == 1)
        return p->table_pj[1];
    int i = 1;
    while (i < n - 1 && b > p->table_bits[i + 1])
        i++;
    double x0 = log(p->table_bits[i]), x1 = log(p->table_bits[i + 1]);
    double y0 = log(p->table_pj[i]), y1 = log(p->table_pj[i + 1]);
    return exp(y0 + (y1 - y0) * (log(b) - x0) / (x1 - x0));
}

double energy_fixed_mac_pj(const Accel *a, int w_bits, int a_bits, int64_t kg)
{
    const EnergyParams *p = &a->energy;
    int pb = energy_psum_bits(a, w_bits, a_bits, kg);
    if (a->pe == PE_APOT)
        return ((w_bits + 1) / 2) * 2.0 * energy_add_pj(a, pb);
    if (p->mac == EMAC_TABLE)
        return table_pj(p, sqrt((double)w_bits * a_bits)) * p->scale;
    double mul = p->mul8_pj * pow((double)w_bits * a_bits / 64.0,
                                  p->mul_exp / 2.0) * p->scale;
    return mul + energy_add_pj(a, pb);
}

double energy_mac_pj(const Accel *a, int w_bits, int a_bits, int64_t kg)
{
    /* The lane width as tile_array sizes it: a shift-add PE by the
     * activations, a multiplier by the wider operand. */
    int lane = a->pe == PE_APOT ? a_bits : QA_MAX(w_bits, a_bits);
    double e = energy_fixed_mac_pj(a, w_bits, a_bits, kg);
    return lane < a->base_bits ? e * a->energy.flex_overhead : e;
}

double energy_sram_pj_per_byte(const Accel *a, int write)
{
    const EnergyParams *p = &a->energy;
    double ref = write ? p->sram_write_pj_per_byte : p->sram_read_pj_per_byte;
    return ref * pow((double)a->sram_bytes / (double)p->sram_ref_bytes,
                     p->sram_size_exp) * p->scale;
}

double energy_leak_mw(const Accel *a)
{
    AreaReport r;
    area_report(a, a->base_bits, &r);
    return (r.pe_mm2 + r.other_mm2) * a->energy.leak_logic_mw_per_mm2 +
           r.sram_mm2 * a->energy.leak_sram_mw_per_mm2;
}

/* Add `count` tiles of n channels x r output rows (count may be 0). */
static void add_tiles(const Accel *a, const Layer *l, const LayerMap *m,
                      int64_t n, int64_t r, int64_t count, ChipAccess *c)
{
    if (count <= 0 || n <= 0 || r <= 0)
        return;
    /* A grouped conv or a batched matmul runs one GEMM per group: the n
     * channels of the tile are ng GEMMs of at most K / groups columns,
     * each streaming its own inputs (block-diagonal packing changes the
     * cycles, not what is read). */
    int64_t per_group = l->K / QA_MAX(1, l->groups);
    int64_t ng = l->groups > 1 ? QA_CEIL_DIV(n, per_group) : 1;
    int64_t ng_cols = l->groups > 1 ? QA_MIN(n, per_group) : n;
    SysTraffic t;
    int cols = tile_cols(a, l, m, n, r);
    if (sys_gemm_traffic(a->dataflow, m->rows, cols, r * l->Q, c->kg, ng_cols,
                         &t) != QA_OK)
        return;
    double k = (double)count * (double)ng;
    /* A: inputs (im2col rows), B: weights. */
    c->macs += count * n * r * l->Q * c->kg;
    c->rd_in_bits += k * (double)t.a_reads * c->a_bits;
    c->rd_w_bits += k * (double)t.b_reads * c->w_bits;
    c->rd_psum_bits += k * (double)t.psum_reads * c->psum_bits;
    c->wr_psum_bits += k * (double)t.psum_writes * c->psum_bits;
    c->wr_out_bits += k * (double)t.outputs * c->o_bits;
    c->hop_bits += k * ((double)t.a_hops * c->a_bits +
                        (double)t.b_hops * c->w_bits +
                        (double)t.psum_hops * c->psum_bits);
}

/* The blocks of one dimension: `total` units cut into nb blocks, the first
 * total % nb one unit longer (traffic_part). */
typedef struct {
    int64_t size[2], count[2];
} Blocks;

static void blocks(int64_t total, int64_t nb, Blocks *b)
{
    b->size[0] = QA_CEIL_DIV(total, nb);
    b->count[0] = total % nb;
    b->size[1] = total / nb;
    b->count[1] = nb - total % nb;
}

void energy_count(const Accel *a, const Layer *l, LayerMap *m)
{
    ChipAccess *c = &m->access;
    memset(c, 0, sizeof *c);
    c->w_bits = l->w_bits;
    c->a_bits = l->a_bits;
    c->o_bits = l->o_bits;
    if (layer_is_flat(l)) {
        /* A flat vector op: vec_ops operations per element of the larger
         * of its first input and its output (as tile_compute_cycles counts
         * them); it reads its inputs once and writes its output. */
        int64_t in = layer_in_elems(l), outs = layer_out_elems(l);
        c->vec_ops = QA_MAX(in, outs) * l->vec_ops;
        c->rd_in_bits = (double)(in + layer_in1_elems(l)) * l->a_bits;
        c->wr_out_bits = (double)outs * l->o_bits;
        return;
    }
    if (!layer_on_array(l)) {
        /* Vector unit: a pool output reads its R x S window, an add output
         * its two inputs; one operation per element read (pool) or per
         * output (add), as tile_compute_cycles counts them. */
        int64_t outs = layer_out_elems(l);
        int64_t reads = l->op == OP_ADD ? 2 : (int64_t)l->R * l->S;
        c->vec_ops = l->op == OP_ADD ? outs : outs * reads;
        c->rd_in_bits = (double)outs * (double)reads * l->a_bits;
        c->wr_out_bits = (double)outs * l->o_bits;
        return;
    }
    c->kg = (int64_t)(l->C / QA_MAX(1, l->groups)) * l->R * l->S;
    c->psum_bits = energy_psum_bits(a, l->w_bits, l->a_bits, c->kg);
    int cu = m->cores_used, by_ch = m->split == SPLIT_K;
    int64_t rows = (int64_t)l->N * l->P;
    if (cu < 1 || m->nb_n < 1 || m->nb_m < 1)
        return;
    for (int core = 0; core < cu; core++) {
        /* The core's share, cut as tiling.c cuts it (core_share). */
        int64_t ch_c = by_ch ? traffic_part(l->K, cu, core) : l->K;
        int64_t rows_c = by_ch ? rows : traffic_part(rows, cu, core);
        Blocks bn, bm;
        blocks(ch_c, m->nb_n, &bn);
        blocks(rows_c, m->nb_m, &bm);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                add_tiles(a, l, m, bn.size[i], bm.size[j],
                          bn.count[i] * bm.count[j], c);
    }
}

void energy_layer(const Accel *a, const LayerMap *m, int64_t cycles,
                  int64_t dram_rd_bytes, int64_t dram_wr_bytes, Energy *out)
{
    memset(out, 0, sizeof *out);
    const EnergyParams *p = &a->energy;
    if (!p->set)
        return;
    const ChipAccess *c = &m->access;
    if (c->macs > 0)
        out->mac_pj = (double)c->macs *
                      energy_mac_pj(a, c->w_bits, c->a_bits, c->kg);
    if (c->vec_ops > 0)
        out->mac_pj += (double)c->vec_ops * energy_add_pj(a, c->a_bits);
    out->array_pj = c->hop_bits * p->hop_pj_per_bit * p->scale;
    double rd = (c->rd_w_bits + c->rd_in_bits + c->rd_psum_bits) / 8.0 +
                (double)dram_wr_bytes;
    double wr = (c->wr_psum_bits + c->wr_out_bits) / 8.0 +
                (double)dram_rd_bytes;
    out->sram_pj = rd * energy_sram_pj_per_byte(a, 0) +
                   wr * energy_sram_pj_per_byte(a, 1);
    out->dram_pj = (double)(dram_rd_bytes + dram_wr_bytes) * 8.0 *
                   p->dram_pj_per_bit;
    out->leak_pj = energy_leak_mw(a) * (double)cycles / a->clock_ghz;
    stats_energy_total(out);
}

double energy_peak_pj_per_mac(const Accel *a, int bits)
{
    if (!a->energy.set)
        return 0;
    AreaReport r;
    area_report(a, bits, &r);
    if (r.macs_per_cycle <= 0)
        return 0;
    int rows, cols;
    scale_array(a, bits, &rows, &cols);
    /* One fold of the full array height: each MAC passes one streamed
     * operand to its neighbour and one partial sum down (WS, IS), or both
     * operands (OS); the stationary load is amortised away. */
    int pb = energy_psum_bits(a, bits, bits, rows);
    double hop = a->dataflow == DF_OS ? 2.0 * bits : (double)bits + pb;
    double mac = energy_mac_pj(a, bits, bits, rows);
    double leak = energy_leak_mw(a) /
                  ((double)r.macs_per_cycle * a->clock_ghz);
    return mac + hop * a->energy.hop_pj_per_bit * a->energy.scale + leak;
}

double energy_peak_tops_per_w(const Accel *a, int bits)
{
    double pj = energy_peak_pj_per_mac(a, bits);
    return pj > 0 ? 2.0 / pj : 0;
}
