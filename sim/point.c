/* point.c: one design point end to end (see point.h). */
#include "sim/point.h"
#include "models/analytic.h"
#include "models/area.h"
#include "models/scale.h"
#include "models/tiling.h"
#include "sim/sim.h"

#include <stdlib.h>
#include <string.h>

static const char *const engine_names[ENGINE_COUNT] = {"analytic", "systemc"};

const char *point_engine_name(Engine e)
{
    return e < ENGINE_COUNT ? engine_names[e] : "?";
}

int point_engine_parse(const char *s, Engine *e)
{
    for (int i = 0; i < ENGINE_COUNT; i++)
        if (!strcmp(s, engine_names[i])) {
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

static int build_net(const PointSpec *p, int w, int a, int fl, Net *net,
                     Err *e)
{
    int rc = p->topo_path[0] ? topo_csv_load(net, p->topo_path, e)
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
    if (tile_map_net(&p->accel, net, ts, e) != QA_OK)
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
    if (build_net(p, p->w_bits, p->a_bits, fl, &net, e) != QA_OK)
        return QA_ERR;
    if (time_net(p, &net, p->vcd_path, &ts, &rs, e) != QA_OK) {
        net_free(&net);
        return QA_ERR;
    }
    /* The baseline: every layer at base_bits on the same chip. */
    int bb = a->base_bits;
    if (p->base_cycles > 0) {
        brs.cycles = p->base_cycles;
    } else {
        if (build_net(p, bb, bb, bb, &base, e) != QA_OK)
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
    area_report(a, QA_MAX(p->w_bits, p->a_bits), &ar);
    area_report(a, bb, &br);
    rec->peak_tops = ar.peak_tops;
    rec->chip_mm2 = ar.chip_mm2;
    rec->achieved_tops = rec->time_ms > 0
                             ? 2.0 * (double)rec->macs / (rec->time_ms * 1e-3) * 1e-12
                             : 0;
    rec->tops_per_mm2 = rec->achieved_tops / ar.chip_mm2;
    rec->util = rs.cycles > 0 ? (double)rec->macs /
                                    ((double)ar.macs_per_cycle * rs.cycles)
                              : 0;
    rec->base_cycles = brs.cycles;
    rec->speedup = rs.cycles > 0 ? (double)brs.cycles / rs.cycles : 0;
    rec->peak_gain = (double)ar.macs_per_cycle / br.macs_per_cycle;

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
