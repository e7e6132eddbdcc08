/* train.h: the training loop: data, QNet, SGD and schedule driven by a
 * Recipe; per-epoch loss/accuracy lines; checkpoints (magic + version,
 * written atomically) from which --resume continues bit for bit (same
 * thread count: OpenBLAS may order sums by thread). */
#ifndef TRAIN_H
#define TRAIN_H

#include "quant/export.h"
#include "quant/idx.h"
#include "quant/model.h"
#include "quant/recipe.h"

#define TRAIN_CKPT_MAGIC "QACKPT\0\1"
#define TRAIN_CKPT_VERSION 2

typedef struct {
    Recipe r;
    QNet net;
    Dataset train, test;
    Rng rng;
    int epoch;              /* epochs completed */
    long step;              /* optimizer steps done */
    Schedule sched;
    SgdConfig sgd;
    float *x;               /* (1, batch, 28, 28) */
    uint8_t *y;             /* (batch) */
    float *dlogits;         /* (classes, batch) */
    int *perm;              /* (train.n) */
    Err err;                /* the error of a failed train_evaluate */
} Trainer;

typedef struct {
    float loss, train_acc, test_acc, lr;
    double seconds, images_per_s, gflops;
} EpochStats;

/* Load data, build the net, seed, initialize (or load init_from). */
int train_init(Trainer *t, const Recipe *r, Err *e);
/* One epoch of SGD over a fresh seeded permutation, then test accuracy. */
int train_epoch(Trainer *t, EpochStats *s, Err *e);
/* Accuracy (%) of the net in eval mode on ds; *loss gets the mean loss.
 * -1 if a forward failed (t->err says why). */
float train_evaluate(Trainer *t, const Dataset *ds, float *loss);
/* Checkpoint: header (magic, version, arch, width, sizes, recipe hash,
 * epoch, step, rng) then params, velocity, BN state. Atomic. */
int train_save(const Trainer *t, const char *path, Err *e);
/* Restore a checkpoint written for the same recipe (hash checked unless
 * weights_only: then only params and BN state, e.g. FAQ's float start). */
int train_load(Trainer *t, const char *path, int weights_only, Err *e);
void train_free(Trainer *t);

/* Predictions of the fake-quantized net (eval mode) and of the integer net
 * on ds: accuracies (%) and how many images both classify the same. */
typedef struct {
    float fq_acc, int_acc;
    int agree, n;
} IntCheck;
int train_check_int(Trainer *t, const INet *inet, const Dataset *ds, IntCheck *c, Err *e);
/* Export the trained net as an integer model file (safetensors) after
 * checking it on the test set; the accuracies go into the metadata. */
int train_export(Trainer *t, const char *path, FILE *log, Err *e);

/* The whole run: init, optional resume from out, epochs with a line each on
 * log (and a progress bar on a terminal), checkpoint after every epoch. */
int train_run(const Recipe *r, const char *out, int resume, const char *export_path,
              FILE *log, Err *e);

#endif
