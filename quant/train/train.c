/* train.c: the training loop and checkpoints (train.h). */
#include "quant/train/train.h"

#include <errno.h>
#include <math.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* FNV-1a of the effective recipe text minus its file name: a checkpoint
 * resumes only under the recipe that wrote it. */
static uint64_t recipe_hash(const Recipe *r)
{
    Recipe c = *r;
    memset(c.file, 0, sizeof c.file);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    uint64_t h = 1469598103934665603ULL;
    if (!f)
        return h;
    recipe_write(&c, f);
    fclose(f);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)buf[i]) * 1099511628211ULL;
    free(buf);
    return h;
}

static int train_calibrate(Trainer *t, int batches, Err *e);

int train_init(Trainer *t, const Recipe *r, Err *e)
{
    memset(t, 0, sizeof *t);
    t->r = *r;
    if (r->synthetic > 0) {
        if (idx_synthetic(&t->train, r->synthetic, (uint64_t)r->seed, 1, e) ||
            idx_synthetic(&t->test, r->synthetic / 5 + 1, (uint64_t)r->seed, 2, e))
            goto fail;
    } else if (idx_load_fashion(&t->train, &t->test, r->data_dir, e)) {
        goto fail;
    }
    if (r->train_subset > 0)
        idx_truncate(&t->train, r->train_subset);
    if (r->test_subset > 0)
        idx_truncate(&t->test, r->test_subset);
    QuantSpec qs = {.w_bits = r->w_bits, .a_bits = r->a_bits,
                    .first_last_bits = r->first_last_bits, .fpsc = r->fpsc, .wn = r->wn,
                    .alpha_init = (float)r->alpha_init};
    snprintf(qs.w_method, sizeof qs.w_method, "%s", r->w_method);
    snprintf(qs.a_method, sizeof qs.a_method, "%s", r->a_method);
    int quantized = r->w_bits > 0 || r->a_bits > 0;
    QNetSpec spec = {.arch = r->arch, .width_mult = (float)r->width, .batch = r->batch,
                     .classes = IDX_CLASSES, .quant = quantized ? &qs : NULL};
    if (qnet_build(&t->net, &spec, e))
        goto fail;
    t->x = qa_malloc(sizeof(float) * r->batch * 28 * 28);
    t->y = qa_malloc((size_t)r->batch);
    t->dlogits = qa_malloc(sizeof(float) * r->batch * IDX_CLASSES);
    t->perm = qa_malloc(sizeof(int) * (size_t)t->train.n);
    if (!t->x || !t->y || !t->dlogits || !t->perm) {
        err_set(e, NULL, 0, "train", "out of memory");
        goto fail;
    }
    rng_seed(&t->rng, (uint64_t)r->seed);
    qnet_init_params(&t->net, &t->rng);
    if (r->init_from[0] && train_load(t, r->init_from, 1, e))
        goto fail;
    if (r->calib_batches > 0 && train_calibrate(t, r->calib_batches, e))
        goto fail;
    t->sgd = (SgdConfig){.momentum = (float)r->momentum, .nesterov = r->nesterov,
                         .wd = (float)r->wd, .wd_bn = (float)r->wd_bn,
                         .wd_alpha = (float)r->wd_alpha};
    t->sched = (Schedule){.kind = (SchedKind)optim_sched_parse(r->schedule),
                          .lr = (float)r->lr, .lr_end = (float)r->lr_end,
                          .gamma = (float)r->gamma, .step_epochs = r->step_epochs,
                          .warmup_epochs = r->warmup_epochs, .epochs = r->epochs,
                          .steps_per_epoch = t->train.n / r->batch};
    if (t->sched.steps_per_epoch < 1) {
        err_set(e, r->file, 0, "train.batch", "batch %d is larger than the %d training images",
                r->batch, t->train.n);
        goto fail;
    }
    return QA_OK;
fail:
    train_free(t);
    return QA_ERR;
}

void train_free(Trainer *t)
{
    qnet_free(&t->net);
    idx_free(&t->train);
    idx_free(&t->test);
    free(t->x);
    free(t->y);
    free(t->dlogits);
    free(t->perm);
    memset(t, 0, sizeof *t);
}

float train_evaluate(Trainer *t, const Dataset *ds, float *loss)
{
    const int B = t->r.batch;
    long correct = 0;
    double lsum = 0.0;
    int idx[4096];
    for (int i = 0; i < ds->n; i += B) {
        int N = QA_MIN(B, ds->n - i);
        for (int j = 0; j < N; j++)
            idx[j] = i + j;
        idx_batch(ds, idx, N, 0, 0, NULL, t->x, t->y);
        const float *logits = qnet_forward(&t->net, t->x, N, 0, &t->err);
        if (!logits)
            return -1.0f;
        int ok;
        lsum += (double)nn_softmax_xent(N, IDX_CLASSES, logits, t->y, NULL, &ok) * N;
        correct += ok;
    }
    if (loss)
        *loss = (float)(lsum / ds->n);
    return 100.0f * (float)correct / (float)ds->n;
}

static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* Training diverged at the step about to be counted: name the first op
 * whose output holds a NaN or Inf (the forward pass runs in op order), else
 * the loss itself. */
static int diverged_forward(const Trainer *t, double loss, Err *e)
{
    const QNet *net = &t->net;
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        if (!all_finite(op->y, (size_t)op->C * net->N * op->H * op->W))
            return err_set(e, NULL, 0, op->name, "step %ld (epoch %d): output not "
                           "finite: training diverged (lower train.lr?)", t->step + 1,
                           t->epoch + 1);
    }
    return err_set(e, NULL, 0, "loss", "step %ld (epoch %d): loss %g: training diverged "
                   "(lower train.lr?)", t->step + 1, t->epoch + 1, loss);
}

/* The op whose parameter segment starts at off (conv/fc weights, fc bias,
 * BN gamma/beta, learned alphas); ops are searched in order, so offset 0
 * is the first conv's weights. */
static const char *param_owner(const QNet *net, size_t off)
{
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        int has_w = op->kind == QOP_CONV || op->kind == QOP_FC || op->kind == QOP_BN ||
                    (op->kind == QOP_ACT && op->learned);
        if ((has_w && op->p_w == off) ||
            ((op->kind == QOP_FC || op->kind == QOP_BN) && op->p_b == off) ||
            (op->kind != QOP_ACT && op->learned && op->p_alpha == off))
            return op->name;
    }
    return "parameters";
}

/* After an update: a parameter that became NaN or Inf stops training with
 * the step and the op it belongs to. */
static int check_params(const Trainer *t, Err *e)
{
    const QNet *net = &t->net;
    for (int i = 0; i < net->n_segs; i++) {
        const ParamSeg *g = &net->segs[i];
        if (!all_finite(net->params + g->off, g->n))
            return err_set(e, NULL, 0, param_owner(net, g->off), "step %ld (epoch %d): "
                           "parameter not finite after the update: training diverged "
                           "(lower train.lr?)", t->step + 1, t->epoch + 1);
    }
    return QA_OK;
}

int train_epoch(Trainer *t, EpochStats *s, Err *e)
{
    const int B = t->r.batch;
    const long steps = t->sched.steps_per_epoch;
    double t0 = now_s(), lsum = 0.0;
    long correct = 0;
    idx_shuffle(t->perm, t->train.n, &t->rng);
    char what[32];
    snprintf(what, sizeof what, "epoch %d", t->epoch + 1);
    for (long b = 0; b < steps; b++) {
        idx_batch(&t->train, t->perm + b * B, B, t->r.augment, t->r.crop_pad, &t->rng,
                  t->x, t->y);
        const float *logits = qnet_forward(&t->net, t->x, B, 1, e);
        if (!logits)
            return QA_ERR;
        int ok;
        double bl = (double)nn_softmax_xent(B, IDX_CLASSES, logits, t->y, t->dlogits, &ok);
        if (!isfinite(bl))
            return diverged_forward(t, bl, e);
        lsum += bl;
        correct += ok;
        qnet_zero_grads(&t->net);
        qnet_backward(&t->net, t->x, t->dlogits);
        s->lr = optim_lr(&t->sched, t->step);
        optim_sgd_step(&t->sgd, s->lr, t->net.params, t->net.grads, t->net.velocity,
                       t->net.segs, t->net.n_segs);
        if (check_params(t, e))
            return QA_ERR;
        t->step++;
        qa_progress(what, b + 1, steps);
    }
    s->seconds = now_s() - t0;
    s->loss = (float)(lsum / steps);
    s->train_acc = 100.0f * (float)correct / (float)(steps * B);
    s->images_per_s = steps * B / s->seconds;
    /* a training step is ~3 forward passes of GEMM work, 2 flops per MAC */
    s->gflops = 6.0 * qnet_macs_per_image(&t->net) * s->images_per_s * 1e-9;
    s->test_acc = train_evaluate(t, &t->test, NULL);
    if (s->test_acc < 0.0f) {
        *e = t->err;
        return QA_ERR;
    }
    t->epoch++;
    return QA_OK;
}

/* Checkpoint header, little-endian fixed layout. Version 2 follows it with
 * the RNG's spare normal (8 bytes); version 1 files (no spare, has_spare 0)
 * still load. */
typedef struct {
    char magic[8];
    uint32_t version;
    char arch[32];
    int32_t width, classes;
    uint64_t n_params, n_state;
    uint64_t recipe_hash;
    int32_t epoch, rng_has_spare;
    int64_t step;
    uint64_t rng;
} CkptHeader;

int train_save(const Trainer *t, const char *path, Err *e)
{
    CkptHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, TRAIN_CKPT_MAGIC, 8);
    h.version = TRAIN_CKPT_VERSION;
    snprintf(h.arch, sizeof h.arch, "%s", t->net.arch);
    h.width = t->net.width, h.classes = t->net.classes;
    h.n_params = t->net.n_params, h.n_state = t->net.n_state;
    h.recipe_hash = recipe_hash(&t->r);
    h.epoch = t->epoch, h.step = t->step;
    h.rng = t->rng.s;
    h.rng_has_spare = t->rng.has_spare;
    double spare = t->rng.spare;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        if (qa_mkdirs(dir, e))
            return QA_ERR;
    }
    AtomicFile af;
    if (qa_afile_open(&af, path, e))
        return QA_ERR;
    size_t np = t->net.n_params;
    if (fwrite(&h, sizeof h, 1, af.f) != 1 || fwrite(&spare, sizeof spare, 1, af.f) != 1 ||
        fwrite(t->net.params, sizeof(float), np, af.f) != np ||
        fwrite(t->net.velocity, sizeof(float), np, af.f) != np ||
        fwrite(t->net.state, sizeof(float), t->net.n_state, af.f) != t->net.n_state)
        return qa_afile_fail(&af, e);
    return qa_afile_commit(&af, e);
}


int train_load(Trainer *t, const char *path, int weights_only, Err *e)
{
    /* Resuming reads the checkpoint this run then rewrites: its own. */
    FILE *f = qa_open_input(path, "checkpoint", weights_only ? 0 : QA_IN_OWN, e);
    if (!f)
        return QA_ERR;
    CkptHeader h;
    int rc = QA_ERR;
    size_t np = t->net.n_params;
    double spare = 0.0;
    float *skip = NULL;
    if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, TRAIN_CKPT_MAGIC, 8)) {
        err_set(e, path, 0, "magic", "not a qarray training checkpoint");
        goto out;
    }
    if (h.version < 1 || h.version > TRAIN_CKPT_VERSION) {
        err_set(e, path, 0, "version", "version %u, this build reads 1..%d", h.version,
                TRAIN_CKPT_VERSION);
        goto out;
    }
    if (h.version >= 2 && fread(&spare, sizeof spare, 1, f) != 1) {
        err_set(e, path, 0, NULL, "truncated checkpoint");
        goto out;
    }
    /* weights only (a float start for quantized training): the float
     * parameters are a prefix of the quantized layout (model.h) */
    int fits = weights_only ? h.n_params <= np : h.n_params == np;
    if (strncmp(h.arch, t->net.arch, sizeof h.arch) || h.width != t->net.width || !fits ||
        h.n_state != t->net.n_state) {
        err_set(e, path, 0, "model", "checkpoint is %.32s width %d (%llu params), the recipe "
                "builds %s width %d (%zu params)", h.arch, h.width,
                (unsigned long long)h.n_params, t->net.arch, t->net.width, np);
        goto out;
    }
    if (!weights_only && h.recipe_hash != recipe_hash(&t->r)) {
        err_set(e, path, 0, "recipe", "written under a different recipe: resume with the same one");
        goto out;
    }
    size_t hn = (size_t)h.n_params;
    float *vel = t->net.velocity;
    if (weights_only) {
        skip = qa_malloc(sizeof(float) * (hn + 1));
        if (!skip) {
            err_set(e, path, 0, NULL, "out of memory");
            goto out;
        }
        vel = skip;
    }
    if (fread(t->net.params, sizeof(float), hn, f) != hn ||
        fread(vel, sizeof(float), hn, f) != hn ||
        fread(t->net.state, sizeof(float), t->net.n_state, f) != t->net.n_state) {
        err_set(e, path, 0, NULL, "truncated checkpoint");
        goto out;
    }
    if (fgetc(f) != EOF) {
        err_set(e, path, 0, NULL, "trailing bytes after the checkpoint");
        goto out;
    }
    /* What training writes: finite values (a NaN or Inf would only come
     * from a damaged file or a diverged run, and would train on silently),
     * and a position inside this recipe's run. */
    if (!all_finite(t->net.params, hn) || !all_finite(vel, hn) ||
        !all_finite(t->net.state, t->net.n_state)) {
        err_set(e, path, 0, "params", "not finite (NaN or Inf): a damaged checkpoint "
                "or a diverged run");
        goto out;
    }
    if (!weights_only &&
        (h.epoch < 0 || h.epoch > t->r.epochs ||
         h.step != (int64_t)h.epoch * t->sched.steps_per_epoch)) {
        err_set(e, path, 0, "epoch", "epoch %d, step %lld: not a position of this recipe's "
                "%d epochs of %ld steps", h.epoch, (long long)h.step, t->r.epochs,
                (long)t->sched.steps_per_epoch);
        goto out;
    }
    if (!weights_only) {
        t->epoch = h.epoch;
        t->step = h.step;
        t->rng.s = h.rng;
        t->rng.spare = spare;
        t->rng.has_spare = h.rng_has_spare;
    }
    qnet_sync_alphas(&t->net);
    rc = QA_OK;
out:
    free(skip);
    fclose(f);
    return rc;
}

/* Activation clips from `batches` training batches (no augmentation)
 * through the float-activation network: FAQ sec. 3.2's percentiles, or the
 * MSE rule (quant.calib_rule). */
static int train_calibrate(Trainer *t, int batches, Err *e)
{
    const int B = t->r.batch;
    int n = QA_MIN(batches, t->train.n / B);
    /* Weights that lose their float scale (DoReFa, weight normalization)
     * rescale every conv's output, so the float checkpoint's BN running
     * statistics no longer fit: batch statistics then (which also refresh
     * the running ones), or the clips grow layer by layer to 1e15. */
    int batch_stats = qnet_weights_rescaled(&t->net);
    qnet_calib_begin(&t->net, !strcmp(t->r.calib_rule, "mse"));
    for (int b = 0; b < n; b++) {
        int idx[4096];
        for (int j = 0; j < B; j++)
            idx[j] = b * B + j;
        idx_batch(&t->train, idx, B, 0, 0, NULL, t->x, t->y);
        if (!qnet_forward(&t->net, t->x, B, batch_stats, e))
            return QA_ERR;
    }
    return qnet_calib_end(&t->net, e);
}

static void print_alphas(const QNet *net, FILE *log)
{
    int any = 0;
    for (int i = 0; i < net->n_ops; i++) {
        const QOp *op = &net->ops[i];
        if (op->kind == QOP_ACT && op->a_bits > 0) {
            fprintf(log, "%s %s=%.3f", any ? "" : "  alpha:", op->name,
                    (double)net->params[op->p_w]);
            any = 1;
        } else if (op->w_bits > 0 && op->learned) {
            fprintf(log, "%s %s.w=%.3f", any ? "" : "  alpha:", op->name,
                    (double)net->params[op->p_alpha]);
            any = 1;
        }
    }
    if (any)
        fprintf(log, "\n");
}

int train_run(Trainer *tp, const Recipe *r, const char *out, int resume, FILE *log,
              Err *e)
{
    Trainer t;
    if (train_init(&t, r, e))
        return QA_ERR;
    if (resume) {
        if (!out)
            return train_free(&t), err_set(e, NULL, 0, "--resume", "needs -o CHECKPOINT");
        /* A run killed before its first checkpoint left none: resuming
         * it is starting it (a checkpoint that exists must load). */
        if (access(out, F_OK) != 0 && errno == ENOENT) {
            fprintf(log, "no checkpoint %s yet: starting from the beginning\n", out);
        } else {
            if (train_load(&t, out, 0, e))
                return train_free(&t), QA_ERR;
            fprintf(log, "resumed %s at epoch %d (step %ld)\n", out, t.epoch, t.step);
        }
    }
    fprintf(log, "train %s: %s width %d, %d params, %d train / %d test images, %.1f MMAC/image\n",
            r->file, t.net.arch, t.net.width, (int)t.net.n_params, t.train.n, t.test.n,
            qnet_macs_per_image(&t.net) * 1e-6);
    while (t.epoch < r->epochs) {
        EpochStats s;
        if (train_epoch(&t, &s, e))
            return train_free(&t), QA_ERR;
        fprintf(log, "epoch %3d/%d  lr %.5f  loss %.4f  train %.2f%%  test %.2f%%  "
                "%.0fs  %.0f img/s  %.1f GFLOP/s\n", t.epoch, r->epochs, (double)s.lr,
                (double)s.loss, (double)s.train_acc, (double)s.test_acc, s.seconds,
                s.images_per_s, s.gflops);
        print_alphas(&t.net, log);
        fflush(log);
        if (out && train_save(&t, out, e))
            return train_free(&t), QA_ERR;
    }
    *tp = t;
    return QA_OK;
}
