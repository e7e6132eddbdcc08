/* tradeoff.c: accuracy beside speed, one row per model file (tradeoff.h). */
#include "sim/study/tradeoff.h"
#include "sim/report/gnuplot.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quant/int/export.h"
#include "quant/int/safetensors.h"
#include "sim/study/plot.h"

/* The fake-quant accuracy the training run wrote into the file; -1 if
 * there is none (qarray quantize writes none). */
static double stored_fq_acc(const char *path)
{
    StFile sf;
    Err ignore;
    double acc = -1;
    if (st_read(&sf, path, &ignore) != QA_OK)
        return acc;
    const char *fq = st_meta(&sf, "test_acc_fake_quant");
    if (fq)
        acc = atof(fq);
    st_close(&sf);
    return acc;
}

int tradeoff_row(const char *path, const Dataset *te, const PointSpec *base,
                 TradeoffRow *r, Err *e)
{
    INet net;
    intref_init(&net);
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", path);
    r->fq_acc = -1;
    if (export_load(&net, path, e) != QA_OK)
        return QA_ERR;
    int rc = QA_ERR;
    int *pred = qa_malloc(sizeof *pred * (size_t)QA_MAX(te->n, 1));
    if (!pred) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto done;
    }
    if (net.in_C != 1 || net.in_H != te->H || net.in_W != te->W) {
        err_set(e, path, 0, "input", "the model reads %dx%dx%d images, the data set "
                "has 1x%dx%d", net.in_C, net.in_H, net.in_W, te->H, te->W);
        goto done;
    }
    if (intref_predict(&net, te->images, te->n, pred, e) != QA_OK)
        goto done;
    int ok = 0;
    for (int i = 0; i < te->n; i++)
        ok += pred[i] == te->labels[i];
    r->acc = 100.0 * ok / te->n;
    r->fq_acc = stored_fq_acc(path);
    PointSpec p = *base;
    RunRecord rec;
    snprintf(p.model_path, sizeof p.model_path, "%s", path);
    if (point_run(&p, &rec, NULL, NULL, e) != QA_OK)
        goto done;
    r->w_bits = rec.w_bits, r->a_bits = rec.a_bits;
    r->speedup = rec.speedup, r->tops_mm2 = rec.tops_per_mm2;
    p = *base;
    snprintf(p.workload, sizeof p.workload, "resnet50");
    p.w_bits = rec.w_bits, p.a_bits = rec.a_bits;
    if (point_run(&p, &rec, NULL, NULL, e) != QA_OK)
        goto done;
    r->r50_speedup = rec.speedup, r->r50_tops_mm2 = rec.tops_per_mm2;
    rc = QA_OK;
done:
    free(pred);
    intref_free(&net);
    return rc;
}

int tradeoff_plot(const char *dir, const char *script, const char *caption,
                  Err *e)
{
    if (access(script, R_OK) != 0)
        return err_set(e, script, 0, NULL, "cannot read the gnuplot script");
    char log[1100];
    snprintf(log, sizeof log, "%s/gnuplot.log", dir);
    remove(log);
    const GnuplotVar vars[] = {{"dir", dir, 0}, {"caption", caption, 0}};
    return gnuplot_draw(script, vars, (int)QA_COUNT(vars), dir, log, e);
}
