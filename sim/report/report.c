/* report.c: column tables and CSV writers for layers.csv and summary.csv.
 * Each column is (name, type, offset, unit, help); writers and docs walk
 * the same table. Files are written atomically. */
#include "sim/report/report.h"

#include <string.h>

typedef enum { C_INT, C_I64, C_F64, C_STR } ColType;

typedef struct {
    const char *name;
    ColType type;
    size_t off;
    const char *unit;
    const char *help;
} Column;

#define L(f) offsetof(LayerRecord, f)
static const Column layer_cols[] = {
    {"layer", C_STR, L(name), "", "layer name (torchvision naming)"},
    {"op", C_STR, L(op), "", "conv, fc, maxpool, avgpool or add"},
    {"N", C_INT, L(N), "", "batch"},
    {"C", C_INT, L(C), "", "input channels"},
    {"H", C_INT, L(H), "", "input height"},
    {"W", C_INT, L(W), "", "input width"},
    {"K", C_INT, L(K), "", "output channels"},
    {"R", C_INT, L(R), "", "filter height"},
    {"S", C_INT, L(S), "", "filter width"},
    {"P", C_INT, L(P), "", "output height"},
    {"Q", C_INT, L(Q), "", "output width"},
    {"stride", C_INT, L(stride), "", "stride"},
    {"pad", C_INT, L(pad), "", "padding"},
    {"w_bits", C_INT, L(w_bits), "bits", "weight precision"},
    {"a_bits", C_INT, L(a_bits), "bits", "input activation precision"},
    {"o_bits", C_INT, L(o_bits), "bits", "output precision as stored"},
    {"lanes", C_INT, L(lanes), "", "MAC lanes per PE at this precision"},
    {"array_rows", C_INT, L(rows), "PEs", "effective array rows"},
    {"array_cols", C_INT, L(cols), "PEs", "effective array columns"},
    {"split", C_STR, L(split), "", "work split over cores: K (output channels) or M (output rows)"},
    {"loop_order", C_STR, L(order), "", "w_outer (weights streamed once) or in_outer (inputs streamed once)"},
    {"tile_m", C_I64, L(tile_m), "pixels", "output pixels per tile"},
    {"tile_n", C_I64, L(tile_n), "channels", "output channels per tile"},
    {"tiles", C_I64, L(tiles), "", "tiles on the busiest core"},
    {"macs", C_I64, L(macs), "", "multiply-accumulates"},
    {"compute_cycles", C_I64, L(compute_cycles), "cycles", "busiest core's array (or vector unit) busy cycles"},
    {"mem_cycles", C_I64, L(mem_cycles), "cycles", "layer DRAM bytes / bytes per cycle (0 when unlimited)"},
    {"cycles", C_I64, L(cycles), "cycles", "layer time, barrier to barrier"},
    {"stall_cycles", C_I64, L(stall_cycles), "cycles", "busiest core's cycles not computing (waiting for data, fill, drain)"},
    {"bound_by", C_STR, L(bound), "", "compute or memory: which of compute_cycles and mem_cycles is larger"},
    {"dram_w_bytes", C_I64, L(dram_w_bytes), "bytes", "weights read from DRAM"},
    {"dram_in_bytes", C_I64, L(dram_in_bytes), "bytes", "input activations read from DRAM"},
    {"dram_out_bytes", C_I64, L(dram_out_bytes), "bytes", "outputs (and spilled tensors) written to DRAM"},
    {"dram_bytes", C_I64, L(dram_bytes), "bytes", "all DRAM traffic of the layer"},
    {"compulsory_bytes", C_I64, L(compulsory_bytes), "bytes", "each off-chip tensor once (inputs on chip and kept outputs excluded)"},
    {"sram_peak_bytes", C_I64, L(sram_peak_bytes), "bytes", "scratchpad in use on the busiest core"},
    {"in_on_chip", C_INT, L(in_on_chip), "", "1: input kept on chip by its producer"},
    {"out_on_chip", C_INT, L(out_on_chip), "", "1: output kept on chip for its consumers"},
    {"w_fetches", C_INT, L(w_fetches), "", "times the weights cross from DRAM"},
    {"in_fetches", C_INT, L(in_fetches), "", "times the input crosses from DRAM"},
    {"util", C_F64, L(util), "", "MACs / (peak MACs per cycle x cycles)"},
    {"dram_busy", C_F64, L(dram_busy), "", "fraction of the layer the DRAM channel is busy"},
    {"reason", C_STR, L(reason), "", "why each tensor is read, kept or written"},
};
#undef L

#define R_(f) offsetof(RunRecord, f)
static const Column run_cols[] = {
    {"arch", C_STR, R_(arch), "", "architecture name"},
    {"workload", C_STR, R_(workload), "", "network"},
    {"engine", C_STR, R_(engine), "", "analytic or systemc"},
    {"w_bits", C_INT, R_(w_bits), "bits", "weight precision of the inner layers"},
    {"a_bits", C_INT, R_(a_bits), "bits", "activation precision of the inner layers"},
    {"first_last_bits", C_INT, R_(first_last_bits), "bits", "precision of the first and last layers"},
    {"batch", C_INT, R_(batch), "", "images per inference"},
    {"cores", C_INT, R_(cores), "", "cores"},
    {"dram_gbps", C_F64, R_(dram_gbps), "GB/s", "DRAM bandwidth (0 = unlimited)"},
    {"sram_bytes", C_I64, R_(sram_bytes), "bytes", "scratchpad per core"},
    {"cycles", C_I64, R_(cycles), "cycles", "total cycles of one inference"},
    {"time_ms", C_F64, R_(time_ms), "ms", "cycles / clock"},
    {"images_per_s", C_F64, R_(images_per_s), "1/s", "batch / time"},
    {"dram_bytes", C_I64, R_(dram_bytes), "bytes", "DRAM traffic of one inference"},
    {"macs", C_I64, R_(macs), "", "multiply-accumulates of one inference"},
    {"util", C_F64, R_(util), "", "MACs / (peak MACs per cycle x cycles)"},
    {"peak_tops", C_F64, R_(peak_tops), "TOPS", "2 x MACs per cycle x clock"},
    {"achieved_tops", C_F64, R_(achieved_tops), "TOPS", "2 x MACs / time"},
    {"chip_mm2", C_F64, R_(chip_mm2), "mm2", "PE arrays + scratchpads + per-core overhead (iso-area across bits)"},
    {"tops_per_mm2", C_F64, R_(tops_per_mm2), "TOPS/mm2", "achieved_tops / chip_mm2"},
    {"base_cycles", C_I64, R_(base_cycles), "cycles", "the same chip and network at base_bits (16)"},
    {"speedup", C_F64, R_(speedup), "", "base_cycles / cycles"},
    {"peak_gain", C_F64, R_(peak_gain), "", "peak MACs per cycle relative to base_bits"},
};
#undef R_

static void print_header(FILE *f, const Column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i ? "," : "", cols[i].name);
    fputc('\n', f);
}

static void print_row(FILE *f, const Column *cols, size_t n, const void *rec)
{
    const char *base = rec;
    for (size_t i = 0; i < n; i++) {
        const void *p = base + cols[i].off;
        if (i)
            fputc(',', f);
        switch (cols[i].type) {
        case C_INT: fprintf(f, "%d", *(const int *)p); break;
        case C_I64: fprintf(f, "%lld", (long long)*(const int64_t *)p); break;
        case C_F64: fprintf(f, "%.6g", *(const double *)p); break;
        case C_STR: {
            /* Quote strings that hold the separator. */
            const char *s = p;
            if (strpbrk(s, ",\""))
                fprintf(f, "\"%s\"", s);
            else
                fputs(s, f);
            break;
        }
        }
    }
    fputc('\n', f);
}

void report_print_layer_header(FILE *f) { print_header(f, layer_cols, QA_COUNT(layer_cols)); }
void report_print_layer_row(FILE *f, const LayerRecord *r) { print_row(f, layer_cols, QA_COUNT(layer_cols), r); }
void report_print_summary_header(FILE *f) { print_header(f, run_cols, QA_COUNT(run_cols)); }
void report_print_summary_row(FILE *f, const RunRecord *r) { print_row(f, run_cols, QA_COUNT(run_cols), r); }

int report_write_layers(const char *path, const LayerRecord *rows, int n,
                        Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    report_print_layer_header(af.f);
    for (int i = 0; i < n; i++)
        report_print_layer_row(af.f, &rows[i]);
    return qa_afile_commit(&af, e);
}

int report_write_summary(const char *path, const RunRecord *rows, int n,
                         Err *e)
{
    AtomicFile af;
    if (qa_afile_open(&af, path, e) != QA_OK)
        return QA_ERR;
    report_print_summary_header(af.f);
    for (int i = 0; i < n; i++)
        report_print_summary_row(af.f, &rows[i]);
    return qa_afile_commit(&af, e);
}

static void print_doc(FILE *f, const char *title, const Column *cols, size_t n)
{
    fprintf(f, "%s\n\n| column | unit | meaning |\n|---|---|---|\n", title);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "| `%s` | %s | %s |\n", cols[i].name, cols[i].unit,
                cols[i].help);
    fputc('\n', f);
}

void report_print_columns(FILE *f)
{
    print_doc(f, "`layers.csv` (one row per layer)", layer_cols, QA_COUNT(layer_cols));
    print_doc(f, "`summary.csv` (one row per design point)", run_cols, QA_COUNT(run_cols));
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
    snprintf(r->reason, sizeof r->reason, "%s", m->reason);
}
