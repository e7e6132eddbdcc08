/* optim.c: SGD with momentum/Nesterov and the learning-rate schedules (optim.h). */
#include "quant/train/optim.h"

#include <math.h>
#include <string.h>

void optim_sgd_step(const SgdConfig *c, float lr, float *params, const float *grads,
                    float *velocity, const ParamSeg *segs, int nseg)
{
    for (int s = 0; s < nseg; s++) {
        if (segs[s].kind == PK_FROZEN)
            continue;
        float wd = segs[s].kind == PK_WEIGHT ? c->wd
                 : segs[s].kind == PK_BN ? c->wd_bn : c->wd_alpha;
        float *p = params + segs[s].off, *v = velocity + segs[s].off;
        const float *g = grads + segs[s].off;
        size_t n = segs[s].n;
#pragma omp parallel for schedule(static) if (n > 65536)
        for (size_t i = 0; i < n; i++) {
            float gi = g[i] + wd * p[i];
            v[i] = c->momentum * v[i] + gi;
            p[i] -= lr * (c->nesterov ? gi + c->momentum * v[i] : v[i]);
        }
    }
}

float optim_lr(const Schedule *s, long t)
{
    long spe = s->steps_per_epoch > 0 ? s->steps_per_epoch : 1;
    long epoch = t / spe;
    switch (s->kind) {
    case SCHED_CONST:
        return s->lr;
    case SCHED_STEP:
        return s->lr * powf(s->gamma, (float)(epoch / (s->step_epochs > 0 ? s->step_epochs : 1)));
    case SCHED_COSINE: {
        long w = (long)s->warmup_epochs * spe, total = (long)s->epochs * spe;
        if (t < w)
            return s->lr * (float)(t + 1) / (float)w;
        double u = total > w ? (double)(t - w) / (double)(total - w) : 1.0;
        if (u > 1.0)
            u = 1.0;
        return (float)((double)s->lr_end + (double)(s->lr - s->lr_end) * 0.5 *
                       (1.0 + cos(3.14159265358979323846 * u)));
    }
    case SCHED_EXP: {
        if (s->epochs <= 1)
            return s->lr;
        double f = (double)epoch / (double)(s->epochs - 1);
        if (f > 1.0)
            f = 1.0;
        return (float)((double)s->lr * pow((double)s->lr_end / (double)s->lr, f));
    }
    }
    return s->lr;
}

int optim_sched_parse(const char *name)
{
    static const char *names[] = {"const", "step", "cosine", "exp"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}
