/* optim.h: SGD with momentum (heavy-ball or Nesterov) and decoupled groups of
 * weight decay, and the learning-rate schedules: step, cosine with linear
 * warmup, and FAQ's per-epoch exponential decay. Operates on flat parameter
 * and gradient arrays split into segments of a kind; knows nothing of layers. */
#ifndef OPTIM_H
#define OPTIM_H

#include <stddef.h>

/* What a parameter segment is: it selects the weight decay applied to it. */
typedef enum {
    PK_WEIGHT, /* conv/fc weights: wd */
    PK_BN,     /* batch-norm gamma/beta and fc bias: wd_bn */
    PK_ALPHA,  /* clipping levels (PACT alpha, APoT alpha): wd_alpha, as PACT eq. 3
                  and APoT keep their own L2 strength for alpha */
    PK_FROZEN  /* not trained (e.g. FAQ's calibrated clip): left untouched */
} ParamKind;

typedef struct {
    size_t off, n;
    ParamKind kind;
} ParamSeg;

typedef struct {
    float momentum;     /* 0.9 */
    int nesterov;       /* 1: v = mu v + g; p -= lr (g + mu v) */
    float wd, wd_bn, wd_alpha;
} SgdConfig;

/* One step over all segments:  g' = g + decay(kind) p;  v = mu v + g';
 * p -= lr v  (or lr (g' + mu v) with Nesterov). v starts at 0. */
void optim_sgd_step(const SgdConfig *c, float lr, float *params, const float *grads,
                    float *velocity, const ParamSeg *segs, int nseg);

typedef enum { SCHED_CONST, SCHED_STEP, SCHED_COSINE, SCHED_EXP } SchedKind;

typedef struct {
    SchedKind kind;
    float lr;            /* base (peak) learning rate */
    float lr_end;        /* cosine floor; exp: value at the last epoch */
    float gamma;         /* step: factor every step_epochs */
    int step_epochs;     /* step: epochs between drops */
    int warmup_epochs;   /* cosine: linear warmup from lr/steps_per_epoch */
    int epochs;          /* total */
    long steps_per_epoch;
} Schedule;

/* Learning rate at optimizer step t (0-based).
 * step:   lr * gamma^floor(epoch / step_epochs)
 * cosine: warmup lr (t+1)/W over W steps, then lr_end + (lr-lr_end)(1+cos(pi u))/2
 *         with u the fraction of the remaining steps done (per step)
 * exp:    lr * (lr_end/lr)^(epoch/(epochs-1))  (FAQ section 3: the rate is
 *         multiplied by a constant after each epoch to reach lr_end at the end) */
float optim_lr(const Schedule *s, long t);
/* Parse "const", "step", "cosine", "exp"; -1 if unknown. */
int optim_sched_parse(const char *name);

#endif
