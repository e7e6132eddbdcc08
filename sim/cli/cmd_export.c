/* cmd_export.c: `qarray export`: an integer model file as a QDQ ONNX model
 * (quant/int/onnx_out.h), read back to check it is the same integer
 * network. */
#include "quant/int/export.h"
#include "quant/int/onnx_out.h"
#include "quant/int/onnx_q.h"
#include "sim/cli/args.h"
#include "sim/cli/cmd.h"

typedef struct {
    const char *model, *onnx;
} ExportOpts;

static const ArgOpt opts[] = {
    ARGS_OPT_MODEL(ExportOpts, model, "integer model file (qarray train --export,\n"
                   "qarray quantize)", ARG_REQUIRED),
    {.name = "onnx", .kind = ARG_STR, .off = offsetof(ExportOpts, onnx), .meta = "FILE",
     .help = "the QDQ ONNX model to write", .flags = ARG_REQUIRED | ARG_OUT},
};

static int run(const Args *a, void *obj, Err *e)
{
    (void)a;
    const ExportOpts *o = obj;
    INet net, back;
    intref_init(&back);
    if (export_load(&net, o->model, e) != QA_OK)
        return QA_ERR;
    int opset, rc = onnxq_save(&net, o->onnx, &opset, e);
    if (rc == QA_OK)
        rc = onnxq_load(&back, o->onnx, e);
    if (rc == QA_OK && onnxq_same(&net, &back, e) != QA_OK) {
        snprintf(e->file, sizeof e->file, "%s", o->onnx);
        rc = QA_ERR;
    }
    if (rc == QA_OK)
        printf("%s: %d layers of %s as QDQ ONNX, opset %d; read back: the same integer "
               "network\n", o->onnx, net.n, o->model, opset);
    intref_free(&net);
    intref_free(&back);
    return rc;
}

const ArgCmd cmd_export = {
    .name = "export",
    .summary = "write an integer model file as a QDQ ONNX model",
    .about =
        "Writes the integer network of a model file as a standard QDQ ONNX model\n"
        "(QuantizeLinear / DequantizeLinear around float Conv, MaxPool and Gemm;\n"
        "opset 13, or 21 for 4-bit or 16-bit codes) that ONNX Runtime runs, then\n"
        "reads it back and checks it is the same integer network (weights,\n"
        "multipliers, shifts, biases, bits). Residual adds are not exported.\n"
        "Conventions: quant/int/README.md.",
    .opts = opts, .nopts = (int)QA_COUNT(opts),
    .size = sizeof(ExportOpts),
    .run = run,
};
