/* tradeoff.h: the two halves of the project in one row per integer model
 * file of a Fashion-MNIST network: its test accuracy (the integer network;
 * `qarray validate --dataset` shows the chip's is the same, image for
 * image) beside the fake-quant accuracy stored at export, and from the
 * simulator the speedup over 16 bits and TOPS/mm2 of that network and of
 * ResNet-50 at the same bits on the same chip (point_run). Writes nothing
 * but the figure, drawn by gnuplot from a data file the caller wrote. */
#ifndef TRADEOFF_H
#define TRADEOFF_H

#include "quant/train/idx.h"
#include "sim/study/point.h"

typedef struct {
    char name[256];           /* the model file */
    int w_bits, a_bits;       /* of the model's inner layers */
    double acc;               /* test accuracy of the integer network, % */
    double fq_acc;            /* fake-quant accuracy from the file, %;
                               * < 0: not in the file */
    double speedup, tops_mm2; /* the model's network on base's chip */
    double r50_speedup, r50_tops_mm2; /* ResNet-50 at the same bits */
} TradeoffRow;

/* The row of the model file at path: accuracy on te (whose images must
 * be the model's input), then two design points from base (its chip,
 * engine and batch; the model's layers and bits, then resnet50 at them). */
int tradeoff_row(const char *path, const Dataset *te, const PointSpec *base,
                 TradeoffRow *r, Err *e);

/* The figure: SCRIPT (results/plots/tradeoff.gp) draws DIR/tradeoff.png
 * and .svg from DIR/tradeoff.dat through the gnuplot runner (drawn aside,
 * renamed into place), titled `caption`; gnuplot's output goes to
 * DIR/gnuplot.log. */
int tradeoff_plot(const char *dir, const char *script, const char *caption,
                  Err *e);

#endif
