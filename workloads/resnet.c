/* resnet.c: the built-in networks, built from one table of stage sizes.
 *
 * ImageNet ResNets follow torchvision's layer names and shapes (conv1 7x7/2
 * pad 3, maxpool 3x3/2 pad 1, four stages, global average pool, fc 1000);
 * resnet20 is the CIFAR-style net (He et al. 2016, Sec. 4.2) on 1x28x28
 * Fashion-MNIST images with 1x1 projection shortcuts (option B) where the
 * shape changes. Each block is emitted as: conv1, conv2[, conv3], the
 * projection ("downsample", Layer.shortcut = 1) if any, then "add" with
 * in[0] = the last conv of the block and in[1] = the shortcut.
 *
 * This is the only definition of ResNet-20: `qarray train` lowers this
 * graph to its trainable ops (quant/train/model.c, at any width through
 * net_build_scaled), so the layer names and shapes here are those of the
 * trained nets and their model files too, and the layer order fixes their
 * checkpoints' parameter order.
 *
 * Variants of ResNet-50 differ only where the stride of a stage's first
 * bottleneck sits and which convs feed a batch norm:
 *   resnet50       v1.5 (torchvision): stride on the 3x3 (conv2)
 *   resnet50v1     original (He et al. 2015, Caffe): stride on the first 1x1
 *   resnet50preact full pre-activation (He et al. 2016, "Identity Mappings"):
 *                  conv shapes of v1.5; BN-ReLU precede each conv, so conv3
 *                  and the projection feed the add, not a batch norm.
 *
 * Totals (batch 1; weights = conv + fc weights, no BN, no bias), checked in
 * tests/test_resnet.c, derivations there:
 *   resnet50        4,089,184,256 MACs  25,502,912 weights  54 conv/fc
 *   resnet50v1      3,857,973,248 MACs  25,502,912 weights  54 conv/fc
 *   resnet50preact  4,089,184,256 MACs  25,502,912 weights  54 conv/fc
 *   resnet18        1,814,073,344 MACs  11,678,912 weights  21 conv/fc
 *   resnet34        3,663,761,408 MACs  21,779,648 weights  37 conv/fc
 *   resnet20           31,021,952 MACs     270,608 weights  22 conv/fc */
#include "workloads/net.h"

#include <string.h>

typedef enum { BLOCK_BASIC, BLOCK_BOTTLENECK } BlockKind;
typedef enum { STEM_IMAGENET, STEM_CIFAR } StemKind;

typedef struct {
    const char *name;
    BlockKind block;
    StemKind stem;
    int stride_on_1x1; /* bottleneck: stride on conv1 (v1), else on conv2 */
    int preact;        /* full pre-activation blocks */
    int in_c, in_hw;   /* input image: channels, height = width */
    int stem_k;        /* channels out of the stem conv */
    int n_stages;
    int blocks[4];     /* blocks per stage */
    int widths[4];     /* bottleneck / basic block width per stage */
    int classes;
} NetSpec;

static const NetSpec specs[] = {
    {"resnet50", BLOCK_BOTTLENECK, STEM_IMAGENET, 0, 0, 3, 224, 64, 4,
     {3, 4, 6, 3}, {64, 128, 256, 512}, 1000},
    {"resnet50v1", BLOCK_BOTTLENECK, STEM_IMAGENET, 1, 0, 3, 224, 64, 4,
     {3, 4, 6, 3}, {64, 128, 256, 512}, 1000},
    {"resnet50preact", BLOCK_BOTTLENECK, STEM_IMAGENET, 0, 1, 3, 224, 64, 4,
     {3, 4, 6, 3}, {64, 128, 256, 512}, 1000},
    {"resnet18", BLOCK_BASIC, STEM_IMAGENET, 0, 0, 3, 224, 64, 4,
     {2, 2, 2, 2}, {64, 128, 256, 512}, 1000},
    {"resnet34", BLOCK_BASIC, STEM_IMAGENET, 0, 0, 3, 224, 64, 4,
     {3, 4, 6, 3}, {64, 128, 256, 512}, 1000},
    {"resnet20", BLOCK_BASIC, STEM_CIFAR, 0, 0, 1, 28, 16, 3,
     {3, 3, 3}, {16, 32, 64}, 10},
};

const char *net_builtin_names(void)
{
    return "resnet50, resnet50v1, resnet50preact, resnet18, resnet34, "
           "resnet20";
}

typedef struct {
    Net *net;
    const NetSpec *spec;
    int width;         /* channels of the stem; stage widths scale with it */
    int classes;       /* outputs of the fc */
    Err *e;
} Build;

/* Width of stage st at the build's scale: the spec's widths are whole
 * multiples of its stem (16, 32, 64 on 16; 64..512 on 64), so this is exact. */
static int stage_width(const Build *b, int st)
{
    return b->spec->widths[st] / b->spec->stem_k * b->width;
}

/* Channels and height of the tensor layer `in` produces (-1: the image). */
static void in_shape(const Build *b, int in, int *c, int *h)
{
    if (in == LAYER_NO_INPUT) {
        *c = b->spec->in_c;
        *h = b->spec->in_hw;
        return;
    }
    *c = b->net->layers[in].K;
    *h = b->net->layers[in].P;
}

/* A square layer reading `in`; its C, H, W come from the producer, and K 0
 * keeps the channel count (pools, adds). */
static Layer make(const Build *b, const char *name, LayerOp op, int in, int K,
                  int R, int stride, int pad)
{
    Layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "%s", name);
    l.op = op;
    l.N = 1;
    in_shape(b, in, &l.C, &l.H);
    l.W = l.H;
    l.K = K ? K : l.C;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad;
    l.groups = 1;
    l.in[0] = in;
    l.in[1] = LAYER_NO_INPUT;
    return l;
}

static int conv(Build *b, const char *name, int in, int K, int R, int stride,
                int pad, int shortcut, int bn_after)
{
    Layer l = make(b, name, OP_CONV, in, K, R, stride, pad);
    l.shortcut = shortcut;
    l.bn_after = bn_after;
    return net_add(b->net, &l, b->e);
}

static int add(Build *b, const char *name, int branch, int shortcut)
{
    Layer l = make(b, name, OP_ADD, branch, 0, 1, 1, 0);
    l.in[1] = shortcut;
    return net_add(b->net, &l, b->e);
}

/* torchvision's name of a layer of block `index` of stage `stage` (0-based
 * stage, printed 1-based): "layer2.0.conv1". */
static const char *bname(char *buf, int stage, int index, const char *part)
{
    snprintf(buf, LAYER_NAME_MAX, "layer%d.%d.%s", stage + 1, index, part);
    return buf;
}

/* One conv of a block's residual branch. */
typedef struct {
    const char *part;
    int K, R, stride, pad;
} BranchConv;

/* One residual block reading x; returns the id of its add. s: stride. */
static int block(Build *b, int stage, int index, int x, int width, int s)
{
    const NetSpec *sp = b->spec;
    char name[LAYER_NAME_MAX];
    int cin, h;
    in_shape(b, x, &cin, &h);
    BranchConv br[3];
    int n;
    if (sp->block == BLOCK_BOTTLENECK) {
        int s1 = sp->stride_on_1x1 ? s : 1, s2 = sp->stride_on_1x1 ? 1 : s;
        br[0] = (BranchConv){"conv1", width, 1, s1, 0};
        br[1] = (BranchConv){"conv2", width, 3, s2, 1};
        br[2] = (BranchConv){"conv3", 4 * width, 1, 1, 0};
        n = 3;
    } else {
        br[0] = (BranchConv){"conv1", width, 3, s, 1};
        br[1] = (BranchConv){"conv2", width, 3, 1, 1};
        n = 2;
    }
    /* Pre-activation: the next BN-ReLU sits before the following conv, so
     * the branch's last conv feeds the add, not a batch norm. */
    int y = x;
    for (int i = 0; i < n && y >= 0; i++)
        y = conv(b, bname(name, stage, index, br[i].part), y, br[i].K,
                 br[i].R, br[i].stride, br[i].pad, 0,
                 i < n - 1 || !sp->preact);
    if (y < 0)
        return QA_ERR;
    int out = br[n - 1].K, sc = x;
    if (s != 1 || cin != out) {
        sc = conv(b, bname(name, stage, index, "downsample"), x, out, 1, s, 0,
                  1, !sp->preact);
        if (sc < 0)
            return QA_ERR;
    }
    return add(b, bname(name, stage, index, "add"), y, sc);
}

static int build(Build *b)
{
    const NetSpec *sp = b->spec;
    int x;
    if (sp->stem == STEM_IMAGENET) {
        x = conv(b, "conv1", LAYER_NO_INPUT, b->width, 7, 2, 3, 0, 1);
        if (x < 0)
            return QA_ERR;
        Layer pool = make(b, "maxpool", OP_MAXPOOL, x, 0, 3, 2, 1);
        x = net_add(b->net, &pool, b->e);
    } else {
        x = conv(b, "conv1", LAYER_NO_INPUT, b->width, 3, 1, 1, 0, 1);
    }
    for (int st = 0; st < sp->n_stages && x >= 0; st++)
        for (int i = 0; i < sp->blocks[st] && x >= 0; i++)
            x = block(b, st, i, x, stage_width(b, st), i == 0 && st > 0 ? 2 : 1);
    if (x < 0)
        return QA_ERR;
    /* Global average pool: the window is the whole feature map. */
    int c, h;
    in_shape(b, x, &c, &h);
    Layer avg = make(b, "avgpool", OP_AVGPOOL, x, 0, h, 1, 0);
    if ((x = net_add(b->net, &avg, b->e)) < 0)
        return QA_ERR;
    Layer fc = make(b, "fc", OP_FC, x, b->classes, 1, 1, 0);
    return net_add(b->net, &fc, b->e) < 0 ? QA_ERR : QA_OK;
}

int net_build_scaled(Net *net, const char *name, int width, int classes, Err *e)
{
    net_init(net, name);
    for (size_t i = 0; i < QA_COUNT(specs); i++) {
        if (strcmp(specs[i].name, name))
            continue;
        const NetSpec *sp = &specs[i];
        /* Bounds keep every channel count (at most 32x the stem) an int;
         * layer_finish then refuses what is too large to hold. */
        if (width < 0 || width > NET_WIDTH_MAX)
            return err_set(e, NULL, 0, "width", "%d channels outside 0..%d", width,
                           NET_WIDTH_MAX);
        if (classes < 0 || classes > LAYER_DIM_MAX)
            return err_set(e, NULL, 0, "classes", "%d outside 0..%d", classes,
                           LAYER_DIM_MAX);
        Build b = {net, sp, width ? width : sp->stem_k, classes ? classes : sp->classes, e};
        const BitPolicy base = {16, 16, 0, 0};
        if (build(&b) || net_apply_bits(net, &base, e)) {
            net_free(net);
            return QA_ERR;
        }
        return QA_OK;
    }
    return err_set(e, NULL, 0, "network", "unknown network '%s' (built-in: %s)",
                   name, net_builtin_names());
}

int net_build(Net *net, const char *name, Err *e)
{
    return net_build_scaled(net, name, 0, 0, e);
}
