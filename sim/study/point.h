/* point.h: one design point, end to end: build the network, apply the bit
 * policy, map it, time it with the chosen engine, and the same at base_bits
 * for the speedup. Used by `qarray run` and `qarray sweep`. */
#ifndef POINT_H
#define POINT_H

#include "arch/arch.h"
#include "sim/report/report.h"
#include "sim/engine/sim.h"
#include "workloads/onnx.h"

typedef enum { ENGINE_ANALYTIC, ENGINE_SYSTEMC, ENGINE_COUNT } Engine;

typedef struct {
    Accel accel;
    char workload[64];         /* built-in name, or "" with topo_path or
                                  onnx_path */
    char topo_path[512];       /* SCALE-Sim CSV; "" for a built-in */
    char onnx_path[512];       /* ONNX model; "" for a built-in */
    OnnxOptions onnx;          /* its input shapes (--input-shape) */
    char model_path[512];      /* integer model file (safetensors): its
                                * layers and per-layer bits; the bit
                                * options are then ignored */
    int w_bits, a_bits;
    int first_last_bits;       /* 0: max(8, w/a bits) capped at base_bits */
    int shortcut_bits;         /* 0: as the rest */
    int batch;
    Engine engine;
    int64_t base_cycles;       /* > 0: cycles of the base_bits run, already
                                  known to the caller (a sweep's cache):
                                  it is not run again */
    double base_energy_pj;     /* with base_cycles: that run's energy */
    const char *vcd_path;      /* SystemC engine: value-change dump */
    SimArbitration arbitration;/* SystemC engine: DRAM channel arbitration */
    int verbose;
} PointSpec;

/* Names in enum order, NULL-terminated (the --engine choices). */
extern const char *const point_engine_names[ENGINE_COUNT + 1];
const char *point_engine_name(Engine e);
int point_engine_parse(const char *s, Engine *e);

/* Fill spec defaults (SystemC engine, resnet50, 16 bits, batch 1). */
void point_defaults(PointSpec *p);

/* Run the point. *layers (n rows, caller frees) may be NULL if not wanted.
 * rec gets the summary including speedup over base_bits. */
int point_run(const PointSpec *p, RunRecord *rec, LayerRecord **layers,
              int *nlayers, Err *e);

#endif
