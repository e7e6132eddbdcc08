/* report.c: the column tables of layers.csv and summary.csv and the
 * LayerRecord of a simulated layer. csv.c writes the files (atomically)
 * and the column list from the same tables. */
#include "sim/report/report.h"

#include <string.h>

#define L(f) offsetof(LayerRecord, f)
static const CsvCol layer_cols[] = {
    CSV_COL("layer", CSV_STR, L(name), "", "layer name (torchvision naming; an ONNX model's from its nodes)"),
    CSV_COL("op", CSV_STR, L(op), "", "conv, fc, matmul (two activations), maxpool, avgpool, add, or a vector op: eltwise, softmax, norm, reduce, copy"),
    CSV_COL("N", CSV_INT, L(N), "", "batch"),
    CSV_COL("C", CSV_INT, L(C), "", "input channels"),
    CSV_COL("H", CSV_INT, L(H), "", "input height"),
    CSV_COL("W", CSV_INT, L(W), "", "input width"),
    CSV_COL("K", CSV_INT, L(K), "", "output channels"),
    CSV_COL("R", CSV_INT, L(R), "", "filter height"),
    CSV_COL("S", CSV_INT, L(S), "", "filter width"),
    CSV_COL("P", CSV_INT, L(P), "", "output height"),
    CSV_COL("Q", CSV_INT, L(Q), "", "output width"),
    CSV_COL("stride", CSV_INT, L(stride), "", "stride"),
    CSV_COL("pad", CSV_INT, L(pad), "", "padding"),
    CSV_COL("w_bits", CSV_INT, L(w_bits), "bits", "weight precision"),
    CSV_COL("a_bits", CSV_INT, L(a_bits), "bits", "input activation precision"),
    CSV_COL("o_bits", CSV_INT, L(o_bits), "bits", "output precision as stored"),
    CSV_COL("lanes", CSV_INT, L(lanes), "", "MAC lanes per PE at this precision"),
    CSV_COL("array_rows", CSV_INT, L(rows), "PEs", "effective array rows"),
    CSV_COL("array_cols", CSV_INT, L(cols), "PEs", "effective array columns"),
    CSV_COL("split", CSV_STR, L(split), "", "work split over cores: K (output channels) or M (output rows)"),
    CSV_COL("loop_order", CSV_STR, L(order), "", "w_outer (weights streamed once) or in_outer (inputs streamed once)"),
    CSV_COL("tile_m", CSV_I64, L(tile_m), "pixels", "output pixels per tile"),
    CSV_COL("tile_n", CSV_I64, L(tile_n), "channels", "output channels per tile"),
    CSV_COL("tiles", CSV_I64, L(tiles), "", "tiles on the busiest core"),
    CSV_COL("macs", CSV_I64, L(macs), "", "multiply-accumulates"),
    CSV_COL("compute_cycles", CSV_I64, L(compute_cycles), "cycles", "busiest core's array (or vector unit) busy cycles"),
    CSV_COL("mem_cycles", CSV_I64, L(mem_cycles), "cycles", "layer DRAM bytes / bytes per cycle (0 when unlimited)"),
    CSV_COL("cycles", CSV_I64, L(cycles), "cycles", "layer time, barrier to barrier"),
    CSV_COL("stall_cycles", CSV_I64, L(stall_cycles), "cycles", "busiest core's cycles not computing (waiting for data, fill, drain)"),
    CSV_COL("bound_by", CSV_STR, L(bound), "", "compute or memory: which of compute_cycles and mem_cycles is larger"),
    CSV_COL("dram_w_bytes", CSV_I64, L(dram_w_bytes), "bytes", "weights read from DRAM"),
    CSV_COL("dram_in_bytes", CSV_I64, L(dram_in_bytes), "bytes", "input activations read from DRAM (a matmul: both operands)"),
    CSV_COL("dram_out_bytes", CSV_I64, L(dram_out_bytes), "bytes", "outputs (and spilled tensors) written to DRAM"),
    CSV_COL("dram_bytes", CSV_I64, L(dram_bytes), "bytes", "all DRAM traffic of the layer"),
    CSV_COL("compulsory_bytes", CSV_I64, L(compulsory_bytes), "bytes", "each off-chip tensor once (inputs on chip and kept outputs excluded)"),
    CSV_COL("sram_peak_bytes", CSV_I64, L(sram_peak_bytes), "bytes", "scratchpad in use on the busiest core"),
    CSV_COL("in_on_chip", CSV_INT, L(in_on_chip), "", "1: input kept on chip by its producer"),
    CSV_COL("out_on_chip", CSV_INT, L(out_on_chip), "", "1: output kept on chip for its consumers"),
    CSV_COL("w_fetches", CSV_INT, L(w_fetches), "", "times the weights (a matmul: its second operand) cross from DRAM"),
    CSV_COL("in_fetches", CSV_INT, L(in_fetches), "", "times the input crosses from DRAM"),
    CSV_COL("util", CSV_F64, L(util), "", "MACs / (peak MACs per cycle x cycles)"),
    CSV_COL("dram_busy", CSV_F64, L(dram_busy), "", "fraction of the layer the DRAM channel is busy"),
    CSV_NUM("sram_read_bytes", CSV_F64, L(sram_rd_bytes), "%.0f", "bytes", "scratchpad bytes read: operands into the array per fold, partial sums back, pool/add inputs, bytes stored to DRAM"),
    CSV_NUM("sram_write_bytes", CSV_F64, L(sram_wr_bytes), "%.0f", "bytes", "scratchpad bytes written: partial sums, outputs, bytes loaded from DRAM"),
    CSV_COL("energy_uj", CSV_F64, L(energy_uj), "uJ", "the layer's energy, e_mac_uj + e_array_uj + e_sram_uj + e_dram_uj + e_leak_uj (0 without an energy group)"),
    CSV_COL("e_mac_uj", CSV_F64, L(e_mac_uj), "uJ", "MACs on the array and pool/add operations on the vector unit"),
    CSV_COL("e_array_uj", CSV_F64, L(e_array_uj), "uJ", "operands and partial sums moved between PE registers"),
    CSV_COL("e_sram_uj", CSV_F64, L(e_sram_uj), "uJ", "scratchpad reads and writes"),
    CSV_COL("e_dram_uj", CSV_F64, L(e_dram_uj), "uJ", "DRAM reads and writes"),
    CSV_COL("e_leak_uj", CSV_F64, L(e_leak_uj), "uJ", "leakage of the whole chip over the layer's time"),
    CSV_COL("reason", CSV_STR, L(reason), "", "why each tensor is read, kept or written; how a grouped conv or matmul meets the array (one GEMM per group, or several block-diagonally)"),
};
#undef L

#define R_(f) offsetof(RunRecord, f)
static const CsvCol run_cols[] = {
    CSV_COL("arch", CSV_STR, R_(arch), "", "architecture name"),
    CSV_COL("workload", CSV_STR, R_(workload), "", "network"),
    CSV_COL("engine", CSV_STR, R_(engine), "", "analytic or systemc"),
    CSV_COL("w_bits", CSV_INT, R_(w_bits), "bits", "weight precision of the inner layers"),
    CSV_COL("a_bits", CSV_INT, R_(a_bits), "bits", "activation precision of the inner layers"),
    CSV_COL("first_last_bits", CSV_INT, R_(first_last_bits), "bits", "precision of the first and last layers"),
    CSV_COL("batch", CSV_INT, R_(batch), "", "images per inference"),
    CSV_COL("cores", CSV_INT, R_(cores), "", "cores"),
    CSV_COL("dram_gbps", CSV_F64, R_(dram_gbps), "GB/s", "DRAM bandwidth (0 = unlimited)"),
    CSV_COL("sram_bytes", CSV_I64, R_(sram_bytes), "bytes", "scratchpad per core"),
    CSV_COL("cycles", CSV_I64, R_(cycles), "cycles", "total cycles of one inference"),
    CSV_COL("time_ms", CSV_F64, R_(time_ms), "ms", "cycles / clock"),
    CSV_COL("images_per_s", CSV_F64, R_(images_per_s), "1/s", "batch / time"),
    CSV_COL("dram_bytes", CSV_I64, R_(dram_bytes), "bytes", "DRAM traffic of one inference"),
    CSV_COL("macs", CSV_I64, R_(macs), "", "multiply-accumulates of one inference"),
    CSV_COL("util", CSV_F64, R_(util), "", "MACs / (peak MACs per cycle x cycles)"),
    CSV_COL("peak_tops", CSV_F64, R_(peak_tops), "TOPS", "2 x MACs per cycle x clock"),
    CSV_COL("achieved_tops", CSV_F64, R_(achieved_tops), "TOPS", "2 x MACs / time"),
    CSV_COL("chip_mm2", CSV_F64, R_(chip_mm2), "mm2", "PE arrays + scratchpads + per-core overhead (iso-area across bits)"),
    CSV_COL("tops_per_mm2", CSV_F64, R_(tops_per_mm2), "TOPS/mm2", "achieved_tops / chip_mm2"),
    CSV_COL("base_cycles", CSV_I64, R_(base_cycles), "cycles", "the same chip and network at base_bits (16)"),
    CSV_COL("speedup", CSV_F64, R_(speedup), "", "base_cycles / cycles"),
    CSV_COL("peak_gain", CSV_F64, R_(peak_gain), "", "peak MACs per cycle relative to base_bits"),
    CSV_COL("energy_uj", CSV_F64, R_(energy_uj), "uJ", "energy of one inference (the batch): the sum of the five components (0 without an energy group)"),
    CSV_COL("e_mac_uj", CSV_F64, R_(e_mac_uj), "uJ", "MACs and vector-unit operations"),
    CSV_COL("e_array_uj", CSV_F64, R_(e_array_uj), "uJ", "register hops inside the arrays"),
    CSV_COL("e_sram_uj", CSV_F64, R_(e_sram_uj), "uJ", "scratchpad reads and writes"),
    CSV_COL("e_dram_uj", CSV_F64, R_(e_dram_uj), "uJ", "DRAM reads and writes"),
    CSV_COL("e_leak_uj", CSV_F64, R_(e_leak_uj), "uJ", "leakage over the run's time"),
    CSV_COL("energy_per_image_uj", CSV_F64, R_(energy_per_image_uj), "uJ", "energy_uj / batch"),
    CSV_COL("power_w", CSV_F64, R_(power_w), "W", "average power: energy / time"),
    CSV_COL("tops_per_w", CSV_F64, R_(tops_per_w), "TOPS/W", "2 x MACs / energy"),
    CSV_COL("images_per_j", CSV_F64, R_(images_per_j), "1/J", "images per joule"),
    CSV_COL("edp_j_s", CSV_F64, R_(edp_j_s), "J*s", "energy-delay product of the run: energy x time"),
    CSV_COL("base_energy_uj", CSV_F64, R_(base_energy_uj), "uJ", "the same chip and network at base_bits (16)"),
    CSV_COL("energy_gain", CSV_F64, R_(energy_gain), "", "base_energy_uj / energy_uj: times less energy than at 16 bits"),
};
#undef R_

const CsvTable report_layer_table = CSV_TABLE(layer_cols);
const CsvTable report_run_table = CSV_TABLE(run_cols);

int report_write_layers(const char *path, const LayerRecord *rows, int n,
                        Err *e)
{
    return csv_write(path, &report_layer_table, rows, sizeof *rows, n, e);
}

int report_write_summary(const char *path, const RunRecord *rows, int n,
                         Err *e)
{
    return csv_write(path, &report_run_table, rows, sizeof *rows, n, e);
}

void report_print_columns(FILE *f)
{
    csv_doc(f, "`layers.csv` (one row per layer)", &report_layer_table);
    csv_doc(f, "`summary.csv` (one row per design point)", &report_run_table);
}

void report_layer_record(const Layer *l, const LayerMap *m,
                         const LayerStats *s, LayerRecord *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", l->name);
    snprintf(r->op, sizeof r->op, "%s", layer_op_name(l->op));
    r->N = l->N; r->C = l->C; r->H = l->H; r->W = l->W; r->K = l->K;
    r->R = l->R; r->S = l->S; r->P = l->P; r->Q = l->Q;
    r->stride = l->stride; r->pad = l->pad;
    r->w_bits = l->w_bits; r->a_bits = l->a_bits; r->o_bits = l->o_bits;
    r->lanes = m->lanes; r->rows = m->rows; r->cols = m->cols;
    snprintf(r->split, sizeof r->split, "%s", m->split == SPLIT_K ? "K" : "M");
    snprintf(r->order, sizeof r->order, "%s",
             m->order == LOOP_W_OUTER ? "w_outer" : "in_outer");
    r->tile_m = m->tile_m; r->tile_n = m->tile_n; r->tiles = m->tiles;
    r->macs = m->macs;
    r->compute_cycles = s->compute_cycles;
    r->mem_cycles = s->mem_cycles;
    r->cycles = s->cycles;
    r->stall_cycles = s->stall_cycles;
    snprintf(r->bound, sizeof r->bound, "%s",
             s->mem_cycles > s->compute_cycles ? "memory" : "compute");
    r->dram_w_bytes = m->dram_w_bytes;
    r->dram_in_bytes = m->dram_in_bytes;
    r->dram_out_bytes = m->dram_out_bytes;
    r->dram_bytes = tile_layer_dram_bytes(m);
    r->compulsory_bytes = m->compulsory_bytes;
    r->sram_peak_bytes = m->sram_peak_bytes;
    r->in_on_chip = m->in_resident;
    r->out_on_chip = m->out_resident;
    r->w_fetches = (int)m->w_fetches;
    r->in_fetches = (int)m->in_fetches;
    r->util = s->util;
    r->dram_busy = s->dram_busy;
    const ChipAccess *c = &m->access;
    r->sram_rd_bytes = (c->rd_w_bits + c->rd_in_bits + c->rd_psum_bits) / 8.0 +
                       (double)s->dram_wr_bytes;
    r->sram_wr_bytes = (c->wr_psum_bits + c->wr_out_bits) / 8.0 +
                       (double)s->dram_rd_bytes;
    r->energy_uj = s->energy.total_pj * 1e-6;
    r->e_mac_uj = s->energy.mac_pj * 1e-6;
    r->e_array_uj = s->energy.array_pj * 1e-6;
    r->e_sram_uj = s->energy.sram_pj * 1e-6;
    r->e_dram_uj = s->energy.dram_pj * 1e-6;
    r->e_leak_uj = s->energy.leak_pj * 1e-6;
    snprintf(r->reason, sizeof r->reason, "%s", m->reason);
}

void report_run_energy(const Energy *en, double base_pj, RunRecord *r)
{
    r->energy_uj = en->total_pj * 1e-6;
    r->e_mac_uj = en->mac_pj * 1e-6;
    r->e_array_uj = en->array_pj * 1e-6;
    r->e_sram_uj = en->sram_pj * 1e-6;
    r->e_dram_uj = en->dram_pj * 1e-6;
    r->e_leak_uj = en->leak_pj * 1e-6;
    r->base_energy_uj = base_pj * 1e-6;
    r->energy_per_image_uj = r->batch > 0 ? r->energy_uj / r->batch : 0;
    r->power_w = r->time_ms > 0 ? r->energy_uj * 1e-3 / r->time_ms : 0;
    r->tops_per_w = en->total_pj > 0 ? 2.0 * (double)r->macs / en->total_pj : 0;
    r->images_per_j = r->energy_uj > 0 ? r->batch / (r->energy_uj * 1e-6) : 0;
    r->edp_j_s = r->energy_uj * 1e-6 * r->time_ms * 1e-3;
    r->energy_gain = en->total_pj > 0 ? base_pj / en->total_pj : 0;
}
