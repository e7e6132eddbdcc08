/* export.c: QNet -> integer network -> safetensors, and back (export.h). */
#include "quant/int/export.h"
#include "quant/int/safetensors.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Step of the codes of an activation quantizer: value = step * code with
 * codes 0..2^bits-1 (PACT, CG-PACT, FAQ, uniform RCF). */
static int act_step(const QOp *op, float *step, Err *e)
{
    QEncoding enc;
    op->q.ops->encoding(&op->q, &enc);
    if (enc.levels || enc.zero_point != 0.0f || enc.code_min != 0)
        return err_set(e, NULL, 0, op->name, "activation quantizer %s has no uniform "
                       "unsigned codes", op->q.ops->name);
    if (!(enc.scale > 0.0f))
        return err_set(e, NULL, 0, op->name, "activation scale not set (run a forward first)");
    *step = enc.scale;
    return QA_OK;
}

/* Integer weight values and their scale: uniform codes (value = scale (code -
 * zp), zp possibly half-integer: then 2 code - 2 zp with scale/2) or level
 * sets whose levels are integer multiples of the smallest one (APoT). */
static int weight_ints(QOp *op, const float *w, size_t n, int32_t *wi, float *scale, Err *e)
{
    int32_t *codes = qa_malloc(sizeof(int32_t) * n);
    if (!codes)
        return err_set(e, NULL, 0, op->name, "out of memory");
    QEncoding enc;
    if (q_encode(&op->q, w, codes, n, &enc, e)) {
        free(codes);
        return QA_ERR;
    }
    int rc = QA_OK;
    if (!enc.levels) {
        double twice = 2.0 * (double)enc.zero_point;
        int half = fabs(twice - nearbyint(twice)) < 1e-6 && fabs(fmod(twice, 2.0)) > 0.5;
        for (size_t i = 0; i < n; i++)
            wi[i] = half ? 2 * codes[i] - (int32_t)nearbyint(twice)
                         : codes[i] - (int32_t)nearbyint((double)enc.zero_point);
        *scale = half ? enc.scale / 2.0f : enc.scale;
    } else {
        float lmin = INFINITY;
        for (int k = 0; k < enc.n_levels; k++)
            if (fabsf(enc.levels[k]) > 0.0f && fabsf(enc.levels[k]) < lmin)
                lmin = fabsf(enc.levels[k]);
        for (int k = 0; k < enc.n_levels && rc == QA_OK; k++) {
            double r = (double)(enc.levels[k] / lmin);
            if (fabs(r - nearbyint(r)) > 1e-4)
                rc = err_set(e, NULL, 0, op->name, "level %g is not a multiple of %g: no "
                             "integer form", (double)enc.levels[k], (double)lmin);
        }
        for (size_t i = 0; i < n && rc == QA_OK; i++)
            wi[i] = (int32_t)nearbyint((double)(enc.levels[codes[i]] / lmin));
        *scale = enc.scale * lmin;
    }
    if (op->sat)
        *scale *= op->sat_scale;
    free(codes);
    return rc;
}

static int consumer_of(const QNet *net, int id)
{
    for (int i = id + 1; i < net->n_ops; i++)
        if (net->ops[i].in[0] == id || (net->ops[i].kind == QOP_ADD && net->ops[i].in[1] == id))
            return i;
    return -1;
}

static int iop_add(INet *out, IOp *op, Err *e)
{
    int id = intref_add(out, op, e);
    if (id < 0) {
        free(op->w), free(op->mult), free(op->shift), free(op->bias);
    }
    return id;
}

int export_intnet(QNet *net, INet *out, Err *e)
{
    intref_init(out);
    if (net->preact)
        return err_set(e, NULL, 0, "arch", "pre-activation nets keep float BN before each conv: "
                       "integer export needs the post-activation form");
    out->in_C = net->in_C, out->in_H = net->in_H, out->in_W = net->in_W;
    out->in_bits = 8, out->in_scale = 1.0f / 255.0f, out->classes = net->classes;
    int *code_of = qa_malloc(sizeof(int) * net->n_ops);
    float *scale_of = qa_malloc(sizeof(float) * net->n_ops);
    if (!code_of || !scale_of) {
        free(code_of), free(scale_of);
        return err_set(e, NULL, 0, "export", "out of memory");
    }
    for (int i = 0; i < net->n_ops; i++)
        code_of[i] = -2;
    const float *P = net->params, *S = net->state;
    const float F = ldexpf(1.0f, EXPORT_ADD_FRAC_BITS);
    int rc = QA_ERR;
    for (int i = 0; i < net->n_ops; i++) {
        QOp *op = &net->ops[i];
        IOp io;
        memset(&io, 0, sizeof io);
        snprintf(io.name, sizeof io.name, "%s", op->name);
        int src = op->in[0];
        int in_id = src == QNET_INPUT ? INTREF_INPUT : code_of[src];
        float s_x = src == QNET_INPUT ? out->in_scale : scale_of[src];
        if (src != QNET_INPUT && in_id == -2 && op->kind != QOP_BN && op->kind != QOP_ACT) {
            err_set(e, NULL, 0, op->name, "input %s has no integer form", net->ops[src].name);
            goto done;
        }
        if (op->kind == QOP_CONV) {
            int bn = i + 1, next = consumer_of(net, bn);
            if (bn >= net->n_ops || net->ops[bn].kind != QOP_BN || net->ops[bn].in[0] != i ||
                next < 0) {
                err_set(e, NULL, 0, op->name, "a conv must be followed by batch norm");
                goto done;
            }
            if (op->w_bits == 0) {
                err_set(e, NULL, 0, op->name, "float weights: integer export needs every "
                        "conv quantized");
                goto done;
            }
            const QOp *b = &net->ops[bn], *c = &net->ops[next];
            size_t nw = (size_t)op->d.K * op->d.C * op->d.R * op->d.S;
            int32_t *wi = qa_malloc(sizeof(int32_t) * nw);
            io.w = qa_malloc(sizeof(int16_t) * nw);
            io.mult = qa_malloc(sizeof(int32_t) * op->d.K);
            io.shift = qa_malloc(sizeof(int32_t) * op->d.K);
            io.bias = qa_malloc(sizeof(int64_t) * op->d.K);
            float sw;
            if (!wi || !io.w || !io.mult || !io.shift || !io.bias) {
                free(wi);
                free(io.w), free(io.mult), free(io.shift), free(io.bias);
                err_set(e, NULL, 0, op->name, "out of memory");
                goto done;
            }
            if (weight_ints(op, P + op->p_w, nw, wi, &sw, e)) {
                free(wi);
                free(io.w), free(io.mult), free(io.shift), free(io.bias);
                goto done;
            }
            for (size_t j = 0; j < nw; j++) {
                if (wi[j] < INT16_MIN || wi[j] > INT16_MAX) {
                    err_set(e, NULL, 0, op->name, "weight value %d does not fit 16 bits", wi[j]);
                    free(wi);
                    free(io.w), free(io.mult), free(io.shift), free(io.bias);
                    goto done;
                }
                io.w[j] = (int16_t)wi[j];
            }
            free(wi);
            float s_y;
            int out_bits;
            if (c->kind == QOP_ACT) {
                if (c->a_bits == 0 || act_step(c, &s_y, e)) {
                    if (c->a_bits == 0)
                        err_set(e, NULL, 0, c->name, "float activation: integer export needs "
                                "every activation quantized");
                    free(io.w), free(io.mult), free(io.shift), free(io.bias);
                    goto done;
                }
                out_bits = c->a_bits;
            } else if (c->kind == QOP_ADD) {
                int a2 = consumer_of(net, next);
                if (a2 < 0 || net->ops[a2].kind != QOP_ACT || net->ops[a2].a_bits == 0 ||
                    act_step(&net->ops[a2], &s_y, e)) {
                    free(io.w), free(io.mult), free(io.shift), free(io.bias);
                    if (!e->msg[0] || a2 < 0 || net->ops[a2].a_bits == 0)
                        err_set(e, NULL, 0, c->name, "an add must feed a quantized activation");
                    goto done;
                }
                s_y /= F; /* branch units */
                out_bits = 0;
            } else {
                free(io.w), free(io.mult), free(io.shift), free(io.bias);
                err_set(e, NULL, 0, b->name, "batch norm must feed an activation or an add");
                goto done;
            }
            /* BN fold: y = g (s_x s_w acc) + h;  code = y / s_y */
            for (int k = 0; k < op->d.K; k++) {
                float g = P[b->p_w + k] / sqrtf(S[b->s_var + k] + net->bn_eps);
                float h = P[b->p_b + k] - S[b->s_mean + k] * g;
                intref_multiplier((double)g * (double)s_x * (double)sw / (double)s_y, &io.mult[k],
                                  &io.shift[k]);
                io.bias[k] = (int64_t)llround((double)h / (double)s_y * ldexp(1.0, io.shift[k]));
            }
            io.kind = IOP_CONV;
            io.in[0] = in_id, io.in[1] = 0;
            io.C = op->d.C, io.H = op->d.H, io.W = op->d.W;
            io.K = op->d.K, io.R = op->d.R, io.S = op->d.S;
            io.stride = op->d.stride, io.pad = op->d.pad;
            io.w_bits = op->w_bits, io.out_bits = out_bits;
            io.w_scale = sw, io.out_scale = s_y;
            int id = iop_add(out, &io, e);
            if (id < 0)
                goto done;
            /* the codes stand for the act's output, a branch for the BN's */
            int rep = c->kind == QOP_ACT ? next : bn;
            code_of[rep] = id, scale_of[rep] = s_y;
        } else if (op->kind == QOP_ADD) {
            int a2 = consumer_of(net, i);
            float s_add;
            if (a2 < 0 || net->ops[a2].kind != QOP_ACT || net->ops[a2].a_bits == 0 ||
                act_step(&net->ops[a2], &s_add, e)) {
                if (a2 < 0 || net->ops[a2].a_bits == 0)
                    err_set(e, NULL, 0, op->name, "an add must feed a quantized activation");
                goto done;
            }
            io.kind = IOP_ADD;
            io.mult = qa_malloc(sizeof(int32_t) * 2);
            io.shift = qa_malloc(sizeof(int32_t));
            if (!io.mult || !io.shift) {
                free(io.mult), free(io.shift);
                err_set(e, NULL, 0, op->name, "out of memory");
                goto done;
            }
            for (int j = 0; j < 2; j++) {
                int s = op->in[j];
                if (code_of[s] == -2) {
                    free(io.mult), free(io.shift);
                    err_set(e, NULL, 0, op->name, "input %s has no integer form", net->ops[s].name);
                    goto done;
                }
                io.in[j] = code_of[s];
                /* to units of s_add / F: exact 1 for branches, rounded for codes */
                io.mult[j] = (int32_t)lround((double)(scale_of[s] / (s_add / F)));
            }
            io.shift[0] = EXPORT_ADD_FRAC_BITS;
            io.C = op->C, io.H = op->H, io.W = op->W;
            io.out_bits = net->ops[a2].a_bits;
            io.out_scale = s_add;
            int id = iop_add(out, &io, e);
            if (id < 0)
                goto done;
            code_of[a2] = id, scale_of[a2] = s_add;
        } else if (op->kind == QOP_MAXPOOL) {
            io.kind = IOP_MAXPOOL;
            io.in[0] = in_id;
            io.C = op->d.C, io.H = op->d.H, io.W = op->d.W;
            io.R = op->d.R, io.S = op->d.S, io.stride = op->d.stride, io.pad = op->d.pad;
            io.out_scale = s_x;
            int id = iop_add(out, &io, e);
            if (id < 0)
                goto done;
            code_of[i] = id, scale_of[i] = s_x;
        } else if (op->kind == QOP_GAP) {
            int fc = consumer_of(net, i);
            if (fc != net->n_ops - 1 || net->ops[fc].kind != QOP_FC) {
                err_set(e, NULL, 0, op->name, "global pooling must feed the last fc");
                goto done;
            }
            QOp *f = &net->ops[fc];
            if (f->w_bits == 0) {
                err_set(e, NULL, 0, f->name, "float weights: integer export needs the fc quantized");
                goto done;
            }
            const QOp *srcop = &net->ops[src];
            size_t nw = (size_t)f->d.K * f->d.C;
            int32_t *wi = qa_malloc(sizeof(int32_t) * nw);
            io.w = qa_malloc(sizeof(int16_t) * nw);
            io.bias = qa_malloc(sizeof(int64_t) * f->d.K);
            float sw;
            if (!wi || !io.w || !io.bias || weight_ints(f, P + f->p_w, nw, wi, &sw, e)) {
                if (!wi || !io.w || !io.bias)
                    err_set(e, NULL, 0, f->name, "out of memory");
                free(wi), free(io.w), free(io.bias);
                goto done;
            }
            int bad = 0;
            for (size_t j = 0; j < nw; j++) {
                bad |= wi[j] < INT16_MIN || wi[j] > INT16_MAX;
                io.w[j] = (int16_t)wi[j];
            }
            free(wi);
            int HW = srcop->H * srcop->W;
            float s_l = s_x * sw / (float)HW;
            for (int k = 0; k < f->d.K; k++)
                io.bias[k] = (int64_t)llround((double)(P[f->p_b + k] / s_l));
            if (bad) {
                free(io.w), free(io.bias);
                err_set(e, NULL, 0, f->name, "weight value does not fit 16 bits");
                goto done;
            }
            /* named after the fc: the pool is its vector-unit half (the
             * chip's layers are then "<fc>.pool" and "<fc>", func.h) */
            snprintf(io.name, sizeof io.name, "%s", f->name);
            io.kind = IOP_GAPFC;
            io.in[0] = in_id;
            io.C = srcop->C, io.H = srcop->H, io.W = srcop->W, io.K = f->d.K;
            io.w_bits = f->w_bits, io.w_scale = sw, io.out_scale = s_l;
            if (iop_add(out, &io, e) < 0)
                goto done;
            break;
        } else if (op->kind == QOP_FC) {
            err_set(e, NULL, 0, op->name, "an fc must follow global pooling");
            goto done;
        }
        /* BN and ACT were absorbed by their conv or add */
    }
    rc = intref_validate(out, e);
done:
    free(code_of), free(scale_of);
    if (rc)
        intref_free(out);
    return rc;
}

/* ---- model file ---- */

static const char *kind_names[] = {"conv", "add", "maxpool", "gapfc"};

int export_save(const INet *net, const char *path, const char *const *extra_meta,
                int n_extra, Err *e)
{
    int rc = QA_ERR;
    StTensor *t = qa_calloc((size_t)net->n * 4 + 1, sizeof *t);
    const char **meta = qa_calloc((size_t)(n_extra + 5) * 2, sizeof(char *));
    int8_t **narrow = qa_calloc((size_t)net->n + 1, sizeof(int8_t *));
    char *graph = NULL, input[160], classes[16];
    size_t glen = 0;
    FILE *g = open_memstream(&graph, &glen);
    if (!t || !meta || !narrow || !g) {
        err_set(e, path, 0, NULL, "out of memory");
        goto done;
    }
    int nt = 0;
    fprintf(g, "# name kind in0 in1 C H W K R S stride pad w_bits out_bits w_scale out_scale alpha\n");
    for (int i = 0; i < net->n; i++) {
        const IOp *op = &net->ops[i];
        float alpha = op->out_bits > 0 ? op->out_scale * (float)((1 << op->out_bits) - 1) : 0.0f;
        fprintf(g, "%s %s %d %d %d %d %d %d %d %d %d %d %d %d %.9g %.9g %.9g\n", op->name,
                kind_names[op->kind], op->in[0], op->kind == IOP_ADD ? op->in[1] : -1, op->C,
                op->H, op->W, op->K, op->R, op->S, op->stride, op->pad, op->w_bits,
                op->out_bits, (double)op->w_scale, (double)op->out_scale, (double)alpha);
        if (op->w) {
            StTensor *w = &t[nt++];
            snprintf(w->name, sizeof w->name, "%s.weight", op->name);
            size_t n = (size_t)op->K * op->C * (op->kind == IOP_CONV ? op->R * op->S : 1);
            int fits8 = 1;
            for (size_t j = 0; j < n; j++)
                fits8 &= op->w[j] >= -128 && op->w[j] <= 127;
            w->ndim = op->kind == IOP_CONV ? 4 : 2;
            w->shape[0] = op->K, w->shape[1] = op->C;
            w->shape[2] = op->R, w->shape[3] = op->S;
            if (fits8) {
                narrow[i] = qa_malloc(n);
                if (!narrow[i]) {
                    err_set(e, path, 0, NULL, "out of memory");
                    goto done;
                }
                for (size_t j = 0; j < n; j++)
                    narrow[i][j] = (int8_t)op->w[j];
                w->dtype = ST_I8, w->data = narrow[i], w->bytes = n;
            } else {
                w->dtype = ST_I16, w->data = op->w, w->bytes = 2 * n;
            }
        }
        int nm = op->kind == IOP_CONV ? op->K : op->kind == IOP_ADD ? 2 : 0;
        int nb = op->kind == IOP_ADD ? 1 : nm;
        if (op->mult) {
            StTensor *m = &t[nt++];
            snprintf(m->name, sizeof m->name, "%s.mult", op->name);
            *m = (StTensor){.dtype = ST_I32, .ndim = 1, .shape = {nm}, .data = op->mult,
                            .bytes = 4 * (size_t)nm};
            snprintf(m->name, sizeof m->name, "%s.mult", op->name);
            StTensor *s = &t[nt++];
            *s = (StTensor){.dtype = ST_I32, .ndim = 1, .shape = {nb}, .data = op->shift,
                            .bytes = 4 * (size_t)nb};
            snprintf(s->name, sizeof s->name, "%s.shift", op->name);
        }
        if (op->bias) {
            StTensor *b = &t[nt++];
            *b = (StTensor){.dtype = ST_I64, .ndim = 1, .shape = {op->K}, .data = op->bias,
                            .bytes = 8 * (size_t)op->K};
            snprintf(b->name, sizeof b->name, "%s.bias", op->name);
        }
    }
    fclose(g);
    g = NULL;
    snprintf(input, sizeof input, "%d %d %d %d %.9g", net->in_C, net->in_H, net->in_W,
             net->in_bits, (double)net->in_scale);
    snprintf(classes, sizeof classes, "%d", net->classes);
    int k = 0;
    meta[k++] = "format", meta[k++] = "qarray-intref";
    meta[k++] = "version", meta[k++] = "1";
    meta[k++] = "input", meta[k++] = input;
    meta[k++] = "classes", meta[k++] = classes;
    meta[k++] = "graph", meta[k++] = graph;
    for (int i = 0; i < 2 * n_extra; i++)
        meta[k++] = extra_meta[i];
    rc = st_write(path, t, nt, meta, k / 2, e);
done:
    if (g)
        fclose(g);
    free(graph);
    if (narrow)
        for (int i = 0; i < net->n; i++)
            free(narrow[i]);
    free(narrow), free(t), free(meta);
    return rc;
}

/* Copy tensor name of the given dtype and shape into a fresh array. */
static void *take(const StFile *f, const char *name, StDtype dt, int ndim, const int64_t *shape,
                  Err *e)
{
    const void *p;
    if (st_get(f, name, dt, ndim, shape, &p, e))
        return NULL;
    size_t n = st_dtype_size(dt);
    for (int d = 0; d < ndim; d++)
        n *= (size_t)shape[d];
    void *q = qa_malloc(n + 1);
    if (!q) {
        err_set(e, f->path, 0, name, "out of memory");
        return NULL;
    }
    memcpy(q, p, n);
    return q;
}

static int16_t *take_weights(const StFile *f, const char *name, int ndim, const int64_t *shape,
                             Err *e)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)shape[d];
    const void *p;
    Err e8;
    int16_t *w = NULL;
    if (st_get(f, name, ST_I8, ndim, shape, &p, &e8) == QA_OK) {
        w = qa_malloc(sizeof(int16_t) * n + 1);
        if (w)
            for (size_t j = 0; j < n; j++)
                w[j] = ((const int8_t *)p)[j];
    } else if (st_get(f, name, ST_I16, ndim, shape, &p, e) == QA_OK) {
        w = qa_malloc(sizeof(int16_t) * n + 1);
        if (w)
            memcpy(w, p, sizeof(int16_t) * n);
    } else {
        if (strstr(e->msg, "dtype"))
            snprintf(e->msg, sizeof e->msg, "weights must be I8 or I16");
        return NULL;
    }
    if (!w)
        err_set(e, f->path, 0, name, "out of memory");
    return w;
}

/* ---- reading the metadata: every number range-checked ---- */

/* The next whitespace-separated token of *p into buf; 0 at the end. */
static int token(const char **p, char *buf, size_t n)
{
    const char *s = *p + strspn(*p, " \t");
    size_t len = strcspn(s, " \t");
    if (!len)
        return 0;
    snprintf(buf, n, "%.*s", (int)QA_MIN(len, n - 1), s);
    *p = s + len;
    return len < n;
}

/* One integer field in lo..hi: the whole token, no wrap (sscanf's %d is
 * undefined past INT_MAX). */
static int int_field(const char **p, const char *name, long lo, long hi, int *out,
                     const char *path, int line, const char *where, Err *e)
{
    char buf[64], *end;
    if (!token(p, buf, sizeof buf))
        return err_set(e, path, line, where, "%s: missing or too long", name);
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno || *end || end == buf || v < lo || v > hi)
        return err_set(e, path, line, where, "%s: '%s' is not an integer in %ld..%ld", name,
                       buf, lo, hi);
    *out = (int)v;
    return QA_OK;
}

/* One finite number (scales and alphas are documentation of the codes, but
 * a NaN or an infinity is no scale). */
static int real_field(const char **p, const char *name, float *out, const char *path,
                      int line, const char *where, Err *e)
{
    char buf[64], *end;
    if (!token(p, buf, sizeof buf))
        return err_set(e, path, line, where, "%s: missing or too long", name);
    float v = strtof(buf, &end);
    if (*end || end == buf || !isfinite(v) || v < 0)
        return err_set(e, path, line, where, "%s: '%s' is not a finite number >= 0", name,
                       buf);
    *out = v;
    return QA_OK;
}

static int end_of_fields(const char *p, const char *path, int line, const char *where,
                         Err *e)
{
    p += strspn(p, " \t\r");
    if (*p)
        return err_set(e, path, line, where, "unexpected '%s' after the last field", p);
    return QA_OK;
}

/* "C H W bits scale" of the input, "N" of the classes. */
static int parse_input(INet *net, const char *input, const char *classes, const char *path,
                       Err *e)
{
    const char *p = input;
    if (int_field(&p, "C", 1, 65536, &net->in_C, path, 0, "input", e) ||
        int_field(&p, "H", 1, 65536, &net->in_H, path, 0, "input", e) ||
        int_field(&p, "W", 1, 65536, &net->in_W, path, 0, "input", e) ||
        int_field(&p, "bits", 1, 8, &net->in_bits, path, 0, "input", e) ||
        real_field(&p, "scale", &net->in_scale, path, 0, "input", e) ||
        end_of_fields(p, path, 0, "input", e))
        return QA_ERR;
    p = classes;
    if (int_field(&p, "classes", 1, 1024, &net->classes, path, 0, "classes", e) ||
        end_of_fields(p, path, 0, "classes", e))
        return QA_ERR;
    return QA_OK;
}

/* One line of the graph: name kind in0 in1 C H W K R S stride pad w_bits
 * out_bits w_scale out_scale alpha. Shapes, windows and bits in range;
 * in0/in1 earlier ops (intref_validate checks which). */
static int parse_op(const char *buf, IOp *op, const char *path, int ln, Err *e)
{
    const char *p = buf;
    char kind[16];
    float alpha;
    if (!token(&p, op->name, sizeof op->name))
        return err_set(e, path, ln, "graph", "layer name missing or longer than %zu bytes",
                       sizeof op->name - 1);
    int k;
    if (!token(&p, kind, sizeof kind))
        return err_set(e, path, ln, op->name, "kind missing");
    for (k = 0; k < 4 && strcmp(kind, kind_names[k]); k++)
        ;
    if (k == 4)
        return err_set(e, path, ln, op->name, "kind '%s' is not conv, add, maxpool or gapfc",
                       kind);
    op->kind = (IOpKind)k;
    const char *n = op->name;
    int win = op->kind == IOP_CONV || op->kind == IOP_MAXPOOL;
    int kmin = op->kind == IOP_CONV || op->kind == IOP_GAPFC ? 1 : 0;
    if (int_field(&p, "in0", -1, 1 << 20, &op->in[0], path, ln, n, e) ||
        int_field(&p, "in1", -1, 1 << 20, &op->in[1], path, ln, n, e) ||
        int_field(&p, "C", 1, 65536, &op->C, path, ln, n, e) ||
        int_field(&p, "H", 1, 65536, &op->H, path, ln, n, e) ||
        int_field(&p, "W", 1, 65536, &op->W, path, ln, n, e) ||
        int_field(&p, "K", kmin, 65536, &op->K, path, ln, n, e) ||
        int_field(&p, "R", win, 64, &op->R, path, ln, n, e) ||
        int_field(&p, "S", win, 64, &op->S, path, ln, n, e) ||
        int_field(&p, "stride", win, 64, &op->stride, path, ln, n, e) ||
        int_field(&p, "pad", 0, 64, &op->pad, path, ln, n, e) ||
        int_field(&p, "w_bits", 0, INTREF_MAX_BITS, &op->w_bits, path, ln, n, e) ||
        int_field(&p, "out_bits", 0, 16, &op->out_bits, path, ln, n, e) ||
        real_field(&p, "w_scale", &op->w_scale, path, ln, n, e) ||
        real_field(&p, "out_scale", &op->out_scale, path, ln, n, e) ||
        real_field(&p, "alpha", &alpha, path, ln, n, e) ||
        end_of_fields(p, path, ln, n, e))
        return QA_ERR;
    return QA_OK;
}

int export_load(INet *net, const char *path, Err *e)
{
    intref_init(net);
    StFile f;
    if (st_read(&f, path, e))
        return QA_ERR;
    int rc = QA_ERR;
    const char *fmt = st_meta(&f, "format"), *graph = st_meta(&f, "graph");
    const char *input = st_meta(&f, "input"), *classes = st_meta(&f, "classes");
    if (!fmt || strcmp(fmt, "qarray-intref")) {
        err_set(e, path, 0, "format", "not a qarray integer model (metadata format)");
        goto done;
    }
    const char *ver = st_meta(&f, "version");
    if (!ver || strcmp(ver, "1")) {
        err_set(e, path, 0, "version", "model version %s, this build reads 1", ver ? ver : "(none)");
        goto done;
    }
    if (!graph || !input || !classes) {
        err_set(e, path, 0, "__metadata__", "needs graph, input and classes");
        goto done;
    }
    if (parse_input(net, input, classes, path, e) != QA_OK)
        goto done;
    const char *line = graph;
    for (int ln = 1; *line; ln++) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[512];
        if (len >= sizeof buf) {
            err_set(e, path, ln, "graph", "line too long");
            goto done;
        }
        memcpy(buf, line, len);
        buf[len] = 0;
        line += len + (nl ? 1 : 0);
        if (!buf[0] || buf[0] == '#')
            continue;
        IOp op;
        memset(&op, 0, sizeof op);
        if (parse_op(buf, &op, path, ln, e) != QA_OK)
            goto done;
        /* tensors are found by layer name: two layers of one name would
         * both read the first one's */
        for (int i = 0; i < net->n; i++)
            if (!strcmp(net->ops[i].name, op.name)) {
                err_set(e, path, ln, op.name, "layer name used twice");
                goto done;
            }
        char tn[96];
        int64_t wsh[4] = {op.K, op.C, op.R, op.S}, kk[1] = {op.K}, two[1] = {2}, one[1] = {1};
        if (op.kind == IOP_CONV || op.kind == IOP_GAPFC) {
            snprintf(tn, sizeof tn, "%s.weight", op.name);
            op.w = take_weights(&f, tn, op.kind == IOP_CONV ? 4 : 2, wsh, e);
            snprintf(tn, sizeof tn, "%s.bias", op.name);
            if (op.w)
                op.bias = take(&f, tn, ST_I64, 1, kk, e);
        }
        int have_w = op.kind == IOP_ADD || op.kind == IOP_MAXPOOL || (op.w && op.bias);
        if (have_w && (op.kind == IOP_CONV || op.kind == IOP_ADD)) {
            snprintf(tn, sizeof tn, "%s.mult", op.name);
            op.mult = take(&f, tn, ST_I32, 1, op.kind == IOP_ADD ? two : kk, e);
            snprintf(tn, sizeof tn, "%s.shift", op.name);
            if (op.mult)
                op.shift = take(&f, tn, ST_I32, 1, op.kind == IOP_ADD ? one : kk, e);
        }
        int need = (op.kind == IOP_CONV && !(op.w && op.bias && op.mult && op.shift)) ||
                   (op.kind == IOP_GAPFC && !(op.w && op.bias)) ||
                   (op.kind == IOP_ADD && !(op.mult && op.shift));
        if (need || intref_add(net, &op, e) < 0) {
            free(op.w), free(op.bias), free(op.mult), free(op.shift);
            if (!e->file[0])
                snprintf(e->file, sizeof e->file, "%s", path);
            goto done;
        }
    }
    if (intref_validate(net, e)) {
        snprintf(e->file, sizeof e->file, "%s", path);
        goto done;
    }
    rc = QA_OK;
done:
    st_close(&f);
    if (rc)
        intref_free(net);
    return rc;
}
