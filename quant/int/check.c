/* check.c: the trained net checked against its integer form (check.h). */
#include "quant/int/check.h"

#include <stdlib.h>

int train_check_int(Trainer *t, const INet *inet, const Dataset *ds, IntCheck *c, Err *e)
{
    const int B = t->r.batch;
    int *pi = qa_malloc(sizeof(int) * (size_t)ds->n + 1);
    if (!pi)
        return err_set(e, NULL, 0, "eval", "out of memory");
    if (intref_predict(inet, ds->images, ds->n, pi, e)) {
        free(pi);
        return QA_ERR;
    }
    long fq_ok = 0, int_ok = 0, agree = 0;
    int idx[4096];
    for (int i = 0; i < ds->n; i += B) {
        int N = QA_MIN(B, ds->n - i);
        for (int j = 0; j < N; j++)
            idx[j] = i + j;
        idx_batch(ds, idx, N, 0, 0, NULL, t->x, t->y);
        const float *lg = qnet_forward(&t->net, t->x, N, 0, e);
        if (!lg) {
            free(pi);
            return QA_ERR;
        }
        for (int n = 0; n < N; n++) {
            int best = 0;
            for (int k = 1; k < IDX_CLASSES; k++)
                if (lg[(size_t)k * N + n] > lg[(size_t)best * N + n])
                    best = k;
            fq_ok += best == t->y[n];
            int_ok += pi[i + n] == t->y[n];
            agree += pi[i + n] == best;
        }
    }
    free(pi);
    c->n = ds->n;
    c->agree = (int)agree;
    c->fq_acc = 100.0f * (float)fq_ok / (float)ds->n;
    c->int_acc = 100.0f * (float)int_ok / (float)ds->n;
    return QA_OK;
}

int train_export(Trainer *t, const char *path, FILE *log, Err *e)
{
    INet inet;
    /* a forward first: activation quantizers hold their current scales */
    if (train_evaluate(t, &t->test, NULL) < 0.0f) {
        *e = t->err;
        return QA_ERR;
    }
    if (export_intnet(&t->net, &inet, e))
        return QA_ERR;
    IntCheck c;
    if (train_check_int(t, &inet, &t->test, &c, e)) {
        intref_free(&inet);
        return QA_ERR;
    }
    fprintf(log, "integer model: test %.2f%% (fake-quantized float %.2f%%), same class on "
            "%d of %d images\n", (double)c.int_acc, (double)c.fq_acc, c.agree, c.n);
    char fq[32], ia[32], ag[48];
    snprintf(fq, sizeof fq, "%.2f", (double)c.fq_acc);
    snprintf(ia, sizeof ia, "%.2f", (double)c.int_acc);
    snprintf(ag, sizeof ag, "%d/%d", c.agree, c.n);
    const char *meta[] = {"recipe", t->r.file, "arch", t->net.arch, "test_acc_fake_quant", fq,
                          "test_acc_integer", ia, "agreement", ag};
    int rc = export_save(&inet, path, meta, 5, e);
    intref_free(&inet);
    if (rc == QA_OK)
        fprintf(log, "wrote %s\n", path);
    return rc;
}
