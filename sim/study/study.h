/* study.h: a design-space study read from a libconfig file: one base chip,
 * a list of values per axis, the baseline of the speedups, the point the
 * plots fix, and the output folder. Point i of the cross product is decoded
 * in mixed radix (the last axis, bits, varies fastest).
 * Names of workloads and engines are kept as text here and checked by the
 * caller (arch/ sees neither workloads/ nor sim/). */
#ifndef STUDY_H
#define STUDY_H

#include "arch/arch.h"
#include "workloads/onnx.h"

/* At most this many points: a sweep keeps a list of the points to run
 * (8 bytes each) and merge a row per point, and a study of 2^32 points
 * would have filled memory before running the first (at a second a point,
 * 2^24 points are already half a year). */
#define STUDY_MAX_POINTS (INT64_C(1) << 24)

/* The largest batch of a design point, wherever it is given (study axis,
 * qarray run --batch). */
#define STUDY_MAX_BATCH 65536

/* Axes in cross-product order: the first varies slowest. */
typedef enum {
    STUDY_WORKLOAD, STUDY_ENGINE, STUDY_BATCH, STUDY_CORES, STUDY_SRAM,
    STUDY_ARRAY, STUDY_DATAFLOW, STUDY_TIMING, STUDY_RULE, STUDY_PLACEMENT, STUDY_AREA,
    STUDY_DRAM, STUDY_FIRST_LAST, STUDY_BITS, STUDY_NAXES
} StudyAxis;

/* One value of an axis. text is canonical ("4/4", "unlimited", "32x16",
 * "2097152"): it is the CSV cell, so equal texts mean equal values. */
typedef struct {
    char text[64];
    int line;        /* source line; 0 for a value taken from the chip */
    long i0, i1;     /* batch, cores, first_last (0 = "same"), enums in i0;
                        bits W/A and array rows x cols in i0, i1 */
    double d;        /* dram_gbps (0 = unlimited), sram bytes */
} StudyValue;

typedef struct {
    StudyValue *v;   /* n values, distinct */
    int n;
    int line;        /* line of the key; 0 if the axis was not given */
} StudyAxisValues;

/* The paper's numbers the claims are judged against (claims.c), data of
 * the study file's `claims` group; the defaults are PACT Section 6's. */
typedef struct {
    double area_ratio, area_tolerance; /* MAC area 16 -> 2 bits (Fig. 6b) */
    double linear_share;    /* unlimited bandwidth, 8 and 4 bits: at least
                               this share of the peak-MAC gain */
    double drop_share;      /* 2 bits: below the 4-bit share, at least this */
    double bw_gbps, bw_speedup; /* at this bandwidth, 16 -> 4 bits at least */
    double super_gbps;      /* at this bandwidth, above the 4x peak gain */
    double fl_gain, fl_tolerance; /* first/last at the inner bits, not 8 */
    double energy_exponent, energy_tolerance; /* FAQ: E(16)/E(b) ~ (16/b)^x */
} ClaimData;

typedef struct {
    char file[512];
    char name[64];
    char arch_path[512];
    char out_dir[512];
    char compare[32];               /* "pact2018" or "" */
    ClaimData claims;
    OnnxOptions onnx;               /* input_shape: shapes of ONNX inputs */
    int input_shape_line;           /* its line in the file, for errors */
    Accel accel;                    /* the base chip */
    StudyAxisValues axes[STUDY_NAXES];
    StudyValue baseline[STUDY_NAXES];
    int baseline_set[STUDY_NAXES];
    StudyValue plot[STUDY_NAXES];
    int plot_set[STUDY_NAXES];
    int64_t npoints;
} Study;

/* A design point: one value per axis and the chip with the chip axes set. */
typedef struct {
    int64_t id;
    const StudyValue *v[STUDY_NAXES];
    Accel accel;
    const OnnxOptions *onnx;        /* the study's input shapes */
} StudyPoint;

/* Load and check a study; on error s holds nothing to free and e names
 * file:line: field. Axes not in the file take one value from the chip
 * (or resnet50, the SystemC engine, batch 1, 16 bits, first_last 8). */
int study_load(Study *s, const char *path, Err *e);
void study_free(Study *s);

/* Replace an axis by the single value `text` (command-line overrides such as
 * --engine analytic); e names `flag` on a bad value. */
int study_override(Study *s, StudyAxis ax, const char *text, const char *flag,
                   Err *e);

/* study_load, then (each when not NULL) the engine axis replaced by one
 * value and the output folder by out, as a command line asks; errors of
 * those two name the fields "engine" and "out". On error s holds nothing. */
int study_load_with(Study *s, const char *path, const char *engine, const char *out,
                    Err *e);

/* The keys of the `claims` group with their defaults and help. */
void study_help_claims(FILE *f);

const char *study_axis_name(StudyAxis ax);
/* 1 if the axis has a column in the points table. An optional axis (the
 * area model, added after points tables existed) has one only when the
 * study names it (as an axis, in baseline or in plot), so the tables of
 * studies that do not are what they were. */
int study_axis_shown(const Study *s, StudyAxis ax);
/* One line: what the axis means and what values it takes. */
const char *study_axis_help(StudyAxis ax);

/* Point id (0 <= id < npoints). */
void study_point(const Study *s, int64_t id, StudyPoint *p);
/* The baseline of point p: p with the study's baseline values put in. */
void study_baseline(const Study *s, const StudyPoint *p, StudyPoint *b);
/* 1 if p's value of every axis set in `plot` equals it. */
int study_point_in_plot(const Study *s, const StudyPoint *p);
/* Index of the value with this text on an axis, -1 if none. */
int study_find_value(const Study *s, StudyAxis ax, const char *text);

/* Inner bits (max of W and A) and the effective first/last bits of p:
 * first_last N means N bits or the inner bits when wider, capped at the
 * chip's base_bits; "same" means the inner bits. */
int study_inner_bits(const StudyPoint *p);
int study_first_last_bits(const StudyPoint *p);

/* "i/n" with 0 <= i < n. */
int study_parse_shard(const char *s, long *i, long *n);

#endif
