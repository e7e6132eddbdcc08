/* recipe.h: a training recipe (libconfig file) as a plain struct. One static
 * key table (path, type, default, min, max, help) drives parsing, range
 * checks, the --help-recipe listing and the effective-recipe echo. Errors
 * name file:line: key. Unknown keys are errors too (a typo must not be
 * silently ignored). */
#ifndef RECIPE_H
#define RECIPE_H

#include "arch/qa.h"

#include <stdio.h>

typedef struct {
    char file[256];
    /* model */
    char arch[32];
    double width;
    /* data */
    char data_dir[256];
    int synthetic;            /* > 0: seeded synthetic set of this many training images */
    int train_subset, test_subset; /* 0: all */
    int augment, crop_pad;
    /* train */
    int epochs, batch;
    long seed;
    char schedule[16];
    double lr, lr_end, gamma, momentum, wd, wd_bn, wd_alpha;
    int step_epochs, warmup_epochs, nesterov;
    /* quant */
    char w_method[16], a_method[16];
    int w_bits, a_bits, first_last_bits;
    int fpsc;                 /* projection shortcuts at 16 bits (SAWB sec. 5.1) */
    int wn;                   /* APoT weight normalization (eq. 9) */
    double alpha_init;        /* initial PACT/APoT alpha (<= 0: quantizer's data rule) */
    char init_from[256];      /* float checkpoint to start from (FAQ) */
    int calib_batches;        /* batches of activation calibration before training */
    char calib_rule[8];       /* "faq" (percentile, power of two) or "mse" */
} Recipe;

void recipe_defaults(Recipe *r);
/* Parse path into r (defaults first). Errors: "file:line: key: message". */
int recipe_load(Recipe *r, const char *path, Err *e);
/* Apply one "key=value" override (the same table and range checks). */
int recipe_set(Recipe *r, const char *kv, Err *e);
/* Cross-field rules: bits need a method, methods need bits, etc. */
int recipe_validate(const Recipe *r, Err *e);
/* The key table as help lines. */
void recipe_help(FILE *f);
/* r in libconfig syntax (every key, effective values). */
void recipe_write(const Recipe *r, FILE *f);

#endif
