/* report.h: the rows qarray writes, and the one column table per row kind
 * that produces CSV headers, CSV rows and the README's column list, so the
 * files and their documentation cannot drift apart (STYLE practice 15). */
#ifndef REPORT_H
#define REPORT_H

#include "arch/arch.h"
#include "models/stats.h"
#include "models/tiling.h"
#include "sim/report/csv.h"
#include "workloads/net.h"

/* One row of layers.csv: a layer, its mapping and its simulated time. */
typedef struct {
    char name[LAYER_NAME_MAX];
    char op[16];
    int N, C, H, W, K, R, S, P, Q, stride, pad;
    int w_bits, a_bits, o_bits;
    int lanes, rows, cols;
    char split[4], order[12];
    int64_t tile_m, tile_n, tiles;
    int64_t macs;
    int64_t compute_cycles, mem_cycles, cycles, stall_cycles;
    char bound[12];
    int64_t dram_w_bytes, dram_in_bytes, dram_out_bytes, dram_bytes;
    int64_t compulsory_bytes, sram_peak_bytes;
    int in_on_chip, out_on_chip, w_fetches, in_fetches;
    double util;
    double dram_busy;
    double sram_rd_bytes, sram_wr_bytes;
    double energy_uj;        /* the sum of the five components */
    double e_mac_uj, e_array_uj, e_sram_uj, e_dram_uj, e_leak_uj;
    char reason[160];
} LayerRecord;

/* One row of summary.csv: a design point. */
typedef struct {
    char arch[64], workload[64], engine[16];
    int w_bits, a_bits, first_last_bits, batch, cores;
    double dram_gbps;        /* 0 = unlimited */
    int64_t sram_bytes;
    int64_t cycles;
    double time_ms;
    double images_per_s;
    int64_t dram_bytes;
    int64_t macs;
    double util;
    double peak_tops, achieved_tops, chip_mm2, tops_per_mm2;
    int64_t base_cycles;     /* the same chip and network at base_bits */
    double speedup;          /* base_cycles / cycles */
    double peak_gain;        /* peak MACs relative to base_bits */
    /* Energy of one run (the whole batch); all 0 for a chip without an
     * energy group. */
    double energy_uj;
    double e_mac_uj, e_array_uj, e_sram_uj, e_dram_uj, e_leak_uj;
    double energy_per_image_uj;
    double power_w;          /* energy / time */
    double tops_per_w;       /* 2 x MACs / energy */
    double images_per_j;
    double edp_j_s;          /* energy x time of the run */
    double base_energy_uj;   /* the same chip and network at base_bits */
    double energy_gain;      /* base_energy_uj / energy_uj */
} RunRecord;

void report_layer_record(const Layer *l, const LayerMap *m,
                         const LayerStats *s, LayerRecord *r);
/* The energy columns of rec from a run's energy (pJ), its time and MACs
 * (rec's time_ms, batch and macs set); base_pj: the base_bits run's
 * energy (0: unknown). */
void report_run_energy(const Energy *en, double base_pj, RunRecord *rec);

/* layers.csv and summary.csv, atomically; errors name the file. */
int report_write_layers(const char *path, const LayerRecord *rows, int n,
                        Err *e);
int report_write_summary(const char *path, const RunRecord *rows, int n,
                         Err *e);
/* The column tables (rows are LayerRecord and RunRecord), for callers
 * that write rows into a FILE of their own with csv_row. */
extern const CsvTable report_layer_table;
extern const CsvTable report_run_table;
/* Markdown list of every column (name, unit, meaning) for the README. */
void report_print_columns(FILE *f);

#endif
