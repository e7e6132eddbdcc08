/* validate.c: an integer model on the chip, batch by batch (validate.h). */
#include "sim/engine/validate.h"

#include <stdlib.h>
#include <string.h>

#include "models/analytic.h"
#include "models/mapper.h"
#include "quant/rng.h"
#include "sim/engine/sim.h"

/* Add one batch's layer to the totals. */
static void add_layer(ValLayer *t, const FuncLayer *f, int64_t first_image,
                      int64_t cycles)
{
    FuncLayer *a = &t->f;
    if (a->mismatches == 0 && f->mismatches > 0) {
        memcpy(a->first, f->first, sizeof a->first);
        a->first[0] += first_image;
        a->got = f->got, a->want = f->want;
    }
    a->mismatches += f->mismatches;
    a->elems += f->elems;
    a->max_acc = QA_MAX(a->max_acc, f->max_acc);
    a->max_sum = QA_MAX(a->max_sum, f->max_sum);
    a->exact_tiles += f->exact_tiles, a->fast_tiles += f->fast_tiles;
    a->acc_bits_needed = QA_MAX(a->acc_bits_needed, f->acc_bits_needed);
    a->overflow |= f->overflow;
    a->macs += f->macs, a->tiles += f->tiles;
    a->pe_eligible += f->pe_eligible;
    a->pe_tiles += f->pe_tiles, a->pe_macs += f->pe_macs;
    a->pe_mismatches += f->pe_mismatches;
    a->pe_cycles += f->pe_cycles, a->sys_cycles += f->sys_cycles;
    a->pe_max_acc = QA_MAX(a->pe_max_acc, f->pe_max_acc);
    a->pe_max_want = QA_MAX(a->pe_max_want, f->pe_max_want);
    t->cycles += cycles;
}

/* The chip for batches of n images: the layer graph, its schedule and the
 * functional state, kept from one batch to the next of the same size. */
typedef struct {
    int n;                  /* 0: nothing made yet */
    Net net;
    TileSchedule ts;
    FuncChip *f;
} Batch;

static void batch_free(Batch *b)
{
    func_free(b->f);
    if (b->n) {
        tile_free(&b->ts);
        net_free(&b->net);
    }
    memset(b, 0, sizeof *b);
}

/* b ready for n images (made again only when n changes). */
static int batch_make(Batch *b, const Accel *a, const INet *ref, const ValOptions *o,
                      int flip, int n, Err *e)
{
    if (b->n == n)
        return QA_OK;
    batch_free(b);
    if (func_net(ref, n, &b->net, e) != QA_OK)
        return QA_ERR;
    b->n = n;
    FuncOptions fo = {.pe_max_macs = o->pe_macs, .exact_acc = o->exact_acc,
                      .pe_tiles = o->pe_tiles};
    if (map_net(a, &b->net, &b->ts, e) != QA_OK ||
        func_init(&b->f, a, ref, &b->net, &b->ts, &fo, e) != QA_OK)
        return QA_ERR;
    if (flip >= 0 && func_flip_weight(b->f, flip, o->flip_index, o->flip_bit, e) != QA_OK)
        return QA_ERR;
    return QA_OK;
}

/* The chip's run of images [first, first + n): totals and predictions. */
static int run_batch(const Accel *a, const INet *ref, const ValOptions *o, int flip,
                     const uint8_t *images, int n, int first, Batch *b, ValResult *r,
                     Err *e)
{
    RunStats rs;
    memset(&rs, 0, sizeof rs);
    int rc = QA_ERR;
    if (batch_make(b, a, ref, o, flip, n, e) != QA_OK)
        return QA_ERR;
    FuncChip *f = b->f;
    /* each batch its own sample of PE-level re-runs */
    if (func_restart(f, images, o->seed ^ (uint64_t)first * 0x9e3779b97f4a7c15u, e) !=
        QA_OK)
        return QA_ERR;
    if (o->systemc) {
        SimFunctional h = func_sim_hooks(f);
        SimOptions so = {NULL, 0, SIM_ARB_ROUND_ROBIN, &h};
        if (sim_run(a, &b->ts, &so, &rs, e) != QA_OK)
            goto done;
    } else if (func_run(f, e) != QA_OK || func_compare(f, e) != QA_OK ||
               analytic_run(a, &b->net, &b->ts, &rs, e) != QA_OK) {
        goto done;
    }
    const FuncLayer *fl = func_layers(f);
    for (int l = 0; l < b->net.n; l++)
        add_layer(&r->layers[l], &fl[l], first, rs.layers[l].cycles);
    r->cycles += rs.cycles;
    const int64_t *lg = func_logits(f);
    int classes = ref->classes;
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int k = 1; k < classes; k++)
            if (lg[(size_t)i * classes + k] > lg[(size_t)i * classes + best])
                best = k;
        r->chip_pred[first + i] = best;
        r->ref_pred[first + i] = func_ref_pred(f)[i];
    }
    rc = QA_OK;
done:
    stats_free(&rs);
    return rc;
}

/* The totals over layers and images. */
static void summarize(ValResult *r)
{
    r->first_bad = -1;
    for (int l = 0; l < r->shape.n; l++) {
        const FuncLayer *f = &r->layers[l].f;
        r->mismatches += f->mismatches, r->macs += f->macs;
        r->pe_tiles += f->pe_tiles, r->elems += f->elems;
        r->pe_macs += f->pe_macs, r->pe_eligible += f->pe_eligible;
        r->overflows += f->overflow;
        r->pe_bad += f->pe_mismatches + (f->pe_cycles != f->sys_cycles) +
                     (f->pe_max_acc != f->pe_max_want);
        if (r->first_bad < 0 && (f->mismatches || f->overflow))
            r->first_bad = l;
    }
    for (int i = 0; i < r->n; i++)
        r->agree += r->chip_pred[i] == r->ref_pred[i];
}

int validate_run(const Accel *a, const INet *ref, const uint8_t *images, int n,
                 const ValOptions *o, ValResult *r, Err *e)
{
    memset(r, 0, sizeof *r);
    r->first_bad = -1;
    if (func_net(ref, 1, &r->shape, e) != QA_OK)
        return QA_ERR;
    if (n < 1 || o->batch < 1)
        return err_set(e, NULL, 0, n < 1 ? "images" : "batch", "must be at least 1");
    int flip = -1;
    if (o->flip_layer && (flip = net_find(&r->shape, o->flip_layer)) < 0)
        return err_set(e, NULL, 0, "flip", "no layer '%s' in the model", o->flip_layer);
    r->n = n;
    r->layers = qa_calloc((size_t)r->shape.n, sizeof *r->layers);
    r->chip_pred = qa_calloc((size_t)n, sizeof *r->chip_pred);
    r->ref_pred = qa_calloc((size_t)n, sizeof *r->ref_pred);
    if (!r->layers || !r->chip_pred || !r->ref_pred)
        return err_set(e, NULL, 0, NULL, "out of memory");
    size_t per = (size_t)ref->in_C * ref->in_H * ref->in_W;
    Batch bt;
    memset(&bt, 0, sizeof bt);
    for (int i = 0; i < n; i += o->batch) {
        int b = QA_MIN(o->batch, n - i);
        if (run_batch(a, ref, o, flip, images + per * i, b, i, &bt, r, e) != QA_OK) {
            batch_free(&bt);
            return QA_ERR;
        }
        qa_progress("validate", i + b, n);
    }
    batch_free(&bt);
    summarize(r);
    return QA_OK;
}

int validate_verdict(const ValResult *r, const Accel *a, const char *model, Err *e)
{
    if (r->first_bad >= 0) {
        const FuncLayer *f = &r->layers[r->first_bad].f;
        const char *name = r->shape.layers[r->first_bad].name;
        if (f->mismatches)
            return err_set(e, model, 0, name, "%lld outputs differ from the integer "
                           "reference, first at image %lld channel %lld row %lld column "
                           "%lld: chip %lld, reference %lld", (long long)f->mismatches,
                           (long long)f->first[0], (long long)f->first[1],
                           (long long)f->first[2], (long long)f->first[3],
                           (long long)f->got, (long long)f->want);
        return err_set(e, model, 0, name, "accumulator overflow: partial sums need %d "
                       "bits, the chip has %d", f->acc_bits_needed, a->acc_bits);
    }
    if (r->pe_bad)
        return err_set(e, model, 0, "pe_ref", "the PE-level array disagrees with the "
                       "functional model");
    return QA_OK;
}

void validate_free(ValResult *r)
{
    net_free(&r->shape);
    free(r->layers);
    free(r->chip_pred);
    free(r->ref_pred);
    memset(r, 0, sizeof *r);
}

int validate_random_images(const INet *ref, uint64_t seed, int n, uint8_t **images,
                           Err *e)
{
    size_t total = (size_t)ref->in_C * ref->in_H * ref->in_W * (size_t)n;
    *images = qa_malloc(total ? total : 1);
    if (!*images)
        return err_set(e, NULL, 0, NULL, "out of memory");
    Rng rng;
    rng_seed(&rng, seed);
    for (size_t i = 0; i < total; i++)
        (*images)[i] = (uint8_t)(rng_u64(&rng) % ((uint64_t)1 << ref->in_bits));
    return QA_OK;
}
