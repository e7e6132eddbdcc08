/* point.c: one design point end to end (see point.h). */
#include "sim/study/point.h"
#include "models/analytic.h"
#include "models/area.h"
#include "models/scale.h"
#include "models/mapper.h"
#include "sim/engine/func.h"
#include "sim/engine/sim.h"
#include "quant/int/export.h"

#include <stdlib.h>
#include <string.h>

const char *const point_engine_names[ENGINE_COUNT + 1] = {"analytic", "systemc", NULL};

const char *point_engine_name(Engine e)
{
    return e < ENGINE_COUNT ? point_engine_names[e] : "?";
}

int point_engine_parse(const char *s, Engine *e)
{
    for (int i = 0; i < ENGINE_COUNT; i++)
        if (!strcmp(s, point_engine_names[i])) {
            *e = (Engine)i;
            return QA_OK;
        }
    return QA_ERR;
}

void point_defaults(PointSpec *p)
{
    memset(p, 0, sizeof *p);
    arch_defaults(&p->accel);
    snprintf(p->workload, sizeof p->workload, "resnet50");
    p->w_bits = p->a_bits = 16;
    p->batch = 1;
    p->engine = ENGINE_SYSTEMC;
    p->arbitration = SIM_ARB_ROUND_ROBIN;
}

/* First and last layers at 8 bits unless the rest is wider (PACT Sec. 6). */
static int first_last(const PointSpec *p, int w, int a)
{
    if (p->first_last_bits > 0)
        return p->first_last_bits;
    return QA_MIN(p->accel.base_bits, QA_MAX(8, QA_MAX(w, a)));
}

/* The layers of an integer model file; base_bits > 0: every code narrower
 * than base_bits widened to it (the baseline), int32 branches and pooled
 * sums keep their width. */
static int model_net(const PointSpec *p, int base_bits, Net *net, Err *e)
{
    INet in;
    intref_init(&in);
    if (export_load(&in, p->model_path, e) != QA_OK)
        return QA_ERR;
    int rc = func_net(&in, p->batch, net, e);
    intref_free(&in);
    if (rc != QA_OK)
        return QA_ERR;
    snprintf(net->name, sizeof net->name, "%.63s", p->model_path);
    for (int i = 0; base_bits > 0 && i < net->n; i++) {
        Layer *l = &net->layers[i];
        if (l->w_bits)
            l->w_bits = QA_MAX(l->w_bits, base_bits);
        l->a_bits = QA_MAX(l->a_bits, base_bits);
        l->o_bits = QA_MAX(l->o_bits, base_bits);
    }
    return QA_OK;
}

/* Most common w_bits and a_bits of the model's array layers (the summary's
 * precision), and the bits of its first array layer. */
static void model_bits(const Net *net, int *w, int *a, int *fl)
{
    int cw[33] = {0}, ca[33] = {0};
    *fl = 0;
    for (int i = 0; i < net->n; i++) {
        const Layer *l = &net->layers[i];
        if (!layer_on_array(l))
            continue;
        if (!*fl)
            *fl = QA_MAX(l->w_bits, l->a_bits);
        cw[QA_MIN(l->w_bits, 32)]++;
        ca[QA_MIN(l->a_bits, 32)]++;
    }
    *w = *a = 1;
    for (int b = 1; b <= 32; b++) {
        *w = cw[b] > cw[*w] ? b : *w;
        *a = ca[b] > ca[*a] ? b : *a;
    }
}

/* baseline: the same network at base_bits (a model file's layers widened). */
static int build_net(const PointSpec *p, int w, int a, int fl, int baseline,
                     Net *net, Err *e)
{
    if (p->model_path[0])
        return model_net(p, baseline ? p->accel.base_bits : 0, net, e);
    /* SCALE-Sim's timing takes its topologies as it reads them (rounding
     * output sizes up, workloads/topo_csv.c) */
    TopoRounding round = p->accel.timing == TIMING_SCALESIM ? TOPO_CEIL
                                                            : TOPO_FLOOR;
    int rc = p->onnx_path[0]   ? onnx_load(net, p->onnx_path, &p->onnx, e)
             : p->topo_path[0] ? topo_csv_read(net, p->topo_path, round, e)
                               : net_build(net, p->workload, e);
    if (rc != QA_OK)
        return QA_ERR;
    net_set_batch(net, p->batch);
    BitPolicy bp = {w, a, fl, p->shortcut_bits};
    if (net_apply_bits(net, &bp, e) != QA_OK) {
        net_free(net);
        return QA_ERR;
    }
    return QA_OK;
}

/* Time one network; fills rs and (if asked) the schedule. Only the design
 * point itself writes the value-change dump (vcd), not its baseline. */
static int time_net(const PointSpec *p, const Net *net, const char *vcd,
                    TileSchedule *ts, RunStats *rs, Err *e)
{
    if (map_net(&p->accel, net, ts, e) != QA_OK)
        return QA_ERR;
    int rc = QA_ERR;
    switch (p->engine) {
    case ENGINE_ANALYTIC:
        rc = analytic_run(&p->accel, net, ts, rs, e);
        break;
    case ENGINE_SYSTEMC: {
        SimOptions o = {.vcd_path = vcd, .verbose = p->verbose,
                        .arbitration = p->arbitration};
        rc = sim_run(&p->accel, ts, &o, rs, e);
        if (rc != QA_OK)
            stats_free(rs);
        break;
    }
    default:
        rc = err_set(e, NULL, 0, "engine", "unknown engine %d", (int)p->engine);
        break;
    }
    /* Both engines stop their counts at QA_COUNT_MAX: such a run is too
     * long to report (analytic_run says so itself). */
    if (rc == QA_OK && (rc = stats_check(rs, net, e)) != QA_OK)
        stats_free(rs);
    if (rc != QA_OK)
        tile_free(ts);
    return rc;
}

int point_run(const PointSpec *p, RunRecord *rec, LayerRecord **layers,
              int *nlayers, Err *e)
{
    const Accel *a = &p->accel;
    Net net, base;
    TileSchedule ts, bts;
    RunStats rs, brs;
    int fl = first_last(p, p->w_bits, p->a_bits);

    memset(rec, 0, sizeof *rec);
    memset(&base, 0, sizeof base);
    memset(&bts, 0, sizeof bts);
    memset(&brs, 0, sizeof brs);
    if (layers)
        *layers = NULL;
    if (build_net(p, p->w_bits, p->a_bits, fl, 0, &net, e) != QA_OK)
        return QA_ERR;
    if (time_net(p, &net, p->vcd_path, &ts, &rs, e) != QA_OK) {
        net_free(&net);
        return QA_ERR;
    }
    /* The baseline: every layer at base_bits on the same chip. */
    int bb = a->base_bits;
    if (p->base_cycles > 0) {
        brs.cycles = p->base_cycles;
        brs.energy.total_pj = p->base_energy_pj;
    } else {
        if (build_net(p, bb, bb, bb, 1, &base, e) != QA_OK)
            goto fail;
        if (time_net(p, &base, NULL, &bts, &brs, e) != QA_OK) {
            net_free(&base);
            goto fail;
        }
    }

    snprintf(rec->arch, sizeof rec->arch, "%s", a->name);
    snprintf(rec->workload, sizeof rec->workload, "%s", net.name);
    snprintf(rec->engine, sizeof rec->engine, "%s", point_engine_name(p->engine));
    rec->w_bits = p->w_bits;
    rec->a_bits = p->a_bits;
    rec->first_last_bits = fl;
    if (p->model_path[0])
        model_bits(&net, &rec->w_bits, &rec->a_bits, &rec->first_last_bits);
    rec->batch = p->batch;
    rec->cores = a->cores;
    rec->dram_gbps = a->dram_gbps;
    rec->sram_bytes = a->sram_bytes;
    rec->cycles = rs.cycles;
    rec->time_ms = (double)rs.cycles / (a->clock_ghz * 1e6);
    rec->images_per_s = rec->time_ms > 0 ? p->batch * 1e3 / rec->time_ms : 0;
    rec->dram_bytes = rs.dram_rd_bytes + rs.dram_wr_bytes;
    rec->macs = net_macs(&net);
    AreaReport ar, br;
    area_report(a, QA_MAX(rec->w_bits, rec->a_bits), &ar);
    area_report(a, bb, &br);
    rec->peak_tops = ar.peak_tops;
    rec->chip_mm2 = ar.chip_mm2;
    rec->achieved_tops = rec->time_ms > 0
                             ? 2.0 * (double)rec->macs / (rec->time_ms * 1e-3) * 1e-12
                             : 0;
    rec->tops_per_mm2 = rec->achieved_tops / ar.chip_mm2;
    rec->util = rs.cycles > 0 ? (double)rec->macs /
                                    (ar.macs_per_cycle * (double)rs.cycles)
                              : 0;
    rec->base_cycles = brs.cycles;
    rec->speedup = rs.cycles > 0 ? (double)brs.cycles / rs.cycles : 0;
    rec->peak_gain = ar.macs_per_cycle / br.macs_per_cycle;
    report_run_energy(&rs.energy, brs.energy.total_pj, rec);

    if (layers) {
        LayerRecord *rows = qa_calloc((size_t)QA_MAX(net.n, 1), sizeof *rows);
        if (!rows) {
            err_set(e, NULL, 0, NULL, "out of memory");
            goto fail_all;
        }
        for (int i = 0; i < net.n; i++)
            report_layer_record(&net.layers[i], &ts.layers[i], &rs.layers[i],
                                &rows[i]);
        *layers = rows;
        *nlayers = net.n;
    }
    stats_free(&brs);
    tile_free(&bts);
    net_free(&base);
    stats_free(&rs);
    tile_free(&ts);
    net_free(&net);
    return QA_OK;

fail_all:
    stats_free(&brs);
    tile_free(&bts);
    net_free(&base);
fail:
    stats_free(&rs);
    tile_free(&ts);
    net_free(&net);
    return QA_ERR;
}
