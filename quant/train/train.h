/* train.h: the training loop: data, QNet, SGD and schedule driven by a
 * Recipe; per-epoch loss/accuracy lines; checkpoints (magic + version,
 * written atomically) from which --resume continues bit for bit (same
 * thread count: OpenBLAS may order sums by thread). */
#ifndef TRAIN_H
#define TRAIN_H

#include "quant/train/idx.h"
#include "quant/train/model.h"
#include "quant/train/recipe.h"

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

/* The whole run: init, optional resume from out, epochs with a line each on
 * log (and a progress bar on a terminal), checkpoint after every epoch.
 * On success *t holds the trained net (the caller calls train_free); on
 * failure nothing is left to free. */
int train_run(Trainer *t, const Recipe *r, const char *out, int resume, FILE *log,
              Err *e);

#endif
