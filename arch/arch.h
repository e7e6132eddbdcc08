/* arch.h: the accelerator description every other module reads.
 *
 * A chip of `cores` identical cores; each core a rows x cols systolic array
 * of PEs that are one MAC wide at base_bits (16), a scratchpad of sram_bytes
 * (the same bytes at every precision) and a DMA engine; all cores share one
 * DRAM channel of dram_gbps (0 = unlimited) with a fixed latency.
 * At lower precision a PE holds more MAC lanes at the same area (iso-area);
 * scale_rule says how many, placement says where the lanes go.
 * arch_load (arch_cfg.c) parses, arch_validate checks, models read const. */
#ifndef ARCH_H
#define ARCH_H

#include "arch/qa.h"

typedef enum { DF_WS, DF_OS, DF_IS, DF_COUNT } Dataflow;
typedef enum { SCALE_LINEAR, SCALE_AREA, SCALE_QUADRATIC, SCALE_TABLE,
               SCALE_COUNT } ScaleRule;
typedef enum { PLACE_COLS, PLACE_ROWS, PLACE_BOTH, PLACE_COUNT } Placement;
typedef enum { AREA_PACT, AREA_BITFUSION, AREA_SYNTH, AREA_COUNT } AreaModel;
typedef enum { PE_UNIFORM, PE_APOT, PE_COUNT } PeKind;
/* Whose count of a layer's array cycles: qarray's (models/systolic.c) or
 * SCALE-Sim v2's (models/scalesim.c; one tile per core and layer). */
typedef enum { TIMING_QARRAY, TIMING_SCALESIM, TIMING_COUNT } Timing;

#define ARCH_MAX_BITS 16

/* Energy per MAC: a formula of the operand widths, or a table of the
 * chip's PE per MAC at listed widths (models/energy.c). */
typedef enum { EMAC_FORMULA, EMAC_TABLE, EMAC_COUNT } EnergyMac;
#define ARCH_ENERGY_TABLE_MAX 16

/* The energy group of an architecture file: the numbers models/energy.c
 * prices a schedule with. Values are at the node they were published for;
 * `scale` carries them to the chip's node. Presets cite every value. */
typedef struct {
    int set;                 /* 1: the file has an energy group (else no
                              * energy is reported) */
    EnergyMac mac;
    double mul8_pj;          /* 8 x 8-bit multiply */
    double mul_exp;          /* multiply ~ (w*a/64)^(mul_exp/2) */
    double add8_pj;          /* 8-bit add */
    double add_exp;          /* add ~ (bits/8)^add_exp */
    double table_bits[ARCH_ENERGY_TABLE_MAX + 1]; /* EMAC_TABLE: entries 1.. */
    double table_pj[ARCH_ENERGY_TABLE_MAX + 1];   /* pJ per MAC at those */
    double flex_overhead;    /* x per MAC when lanes run below base_bits */
    double hop_pj_per_bit;   /* one bit moved one PE inside the array */
    double sram_read_pj_per_byte, sram_write_pj_per_byte; /* at ref size */
    int64_t sram_ref_bytes;
    double sram_size_exp;    /* pJ/byte ~ (sram_bytes / ref)^exp */
    double dram_pj_per_bit;
    double leak_logic_mw_per_mm2, leak_sram_mw_per_mm2;
    double scale;            /* technology factor on on-chip dynamic energy */
} EnergyParams;

typedef struct {
    char name[64];
    double clock_ghz;
    int cores;
    int rows, cols;          /* PE array per core at base_bits */
    int base_bits;           /* precision of one MAC lane of a PE (16) */
    Dataflow dataflow;
    Timing timing;           /* array cycles: qarray's or SCALE-Sim v2's */
    int64_t sram_bytes;      /* scratchpad per core */
    int double_buffer;       /* 1: load/compute/store overlap */
    double dram_gbps;        /* shared DRAM bandwidth; 0 = unlimited */
    int64_t dram_latency_cycles;
    int burst_bytes;         /* DMA burst size (SystemC transactions) */
    int acc_bits;            /* accumulator width of a PE (32) */
    int vector_lanes;        /* elements/cycle of the pool/add unit at base_bits */
    ScaleRule scale_rule;
    Placement placement;
    PeKind pe;               /* uniform multiplier lanes or APoT shift-add */
    double lane_table[ARCH_MAX_BITS + 1]; /* SCALE_TABLE: lanes at b bits */
    int weights_resident;    /* 1: a model whose weights fit stays on chip */
    AreaModel area_model;    /* MAC area vs bits (models/area.c) */
    double mac16_um2;        /* area of one base_bits MAC lane */
    double sram_mm2_per_kib; /* scratchpad area */
    double core_overhead_mm2;/* per core: control, DMA, vector unit */
    EnergyParams energy;
} Accel;

/* The built-in defaults (a small but valid chip). */
void arch_defaults(Accel *a);
/* Cross-field rules; errors name the field. file may be NULL. */
int arch_validate(const Accel *a, const char *file, Err *e);

/* Names of the enumerations, in enum order, NULL-terminated (the key
 * tables of arch_cfg.c and the study axes read them). */
extern const char *const arch_dataflow_names[DF_COUNT + 1];
extern const char *const arch_scale_names[SCALE_COUNT + 1];
extern const char *const arch_place_names[PLACE_COUNT + 1];
extern const char *const arch_area_names[AREA_COUNT + 1];
extern const char *const arch_pe_names[PE_COUNT + 1];
extern const char *const arch_timing_names[TIMING_COUNT + 1];
extern const char *const arch_energy_mac_names[EMAC_COUNT + 1];

const char *arch_dataflow_name(Dataflow d);
int arch_dataflow_parse(const char *s, Dataflow *d);
const char *arch_scale_name(ScaleRule r);
int arch_scale_parse(const char *s, ScaleRule *r);
const char *arch_place_name(Placement p);
int arch_place_parse(const char *s, Placement *p);
const char *arch_pe_name(PeKind k);
int arch_pe_parse(const char *s, PeKind *k);
const char *arch_area_model_name(AreaModel m);
int arch_area_model_parse(const char *s, AreaModel *m);
const char *arch_timing_name(Timing t);

/* DRAM bytes per cycle at the core clock; 0 means unlimited. */
double arch_dram_bytes_per_cycle(const Accel *a);

/* libconfig loader (arch_cfg.c): defaults, then the file; unknown keys, bad
 * types and out-of-range values are errors naming file:line: key. */
int arch_load(Accel *a, const char *path, Err *e);
/* Write the effective configuration in the same format (atomic). */
int arch_save(const Accel *a, const char *path, Err *e);
/* Entries set in an energy table list (entries 1..n are non-zero). */
int arch_energy_table_len(const double *list);

/* Print every key with type, default, range, unit and help. */
void arch_help_config(FILE *f);
/* Set one key from text (a command-line override such as --bw 64): the
 * same type and range checks as the file; errors name `flag`. Cross-field
 * rules are left to arch_validate. */
int arch_set(Accel *a, const char *key, const char *text, const char *flag,
             Err *e);
/* The same from a libconfig setting of another file (a study axis); errors
 * are file:line: field. */
struct config_setting_t;
int arch_set_setting(Accel *a, const char *key,
                     const struct config_setting_t *s, const char *file,
                     const char *field, Err *e);

#endif
