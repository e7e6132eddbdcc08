/* check.h: a trained QNet beside its integer network: predictions of the
 * fake-quantized float net and of the integer reference on the same images,
 * and the export of the checked integer network as a model file (the
 * accuracies go into its metadata). Training itself is quant/train/. */
#ifndef INT_CHECK_H
#define INT_CHECK_H

#include "quant/int/export.h"
#include "quant/train/train.h"

/* Predictions of the fake-quantized net (eval mode) and of the integer net
 * on ds: accuracies (%) and how many images both classify the same. */
typedef struct {
    float fq_acc, int_acc;
    int agree, n;
} IntCheck;
int train_check_int(Trainer *t, const INet *inet, const Dataset *ds, IntCheck *c, Err *e);
/* Export the trained net as an integer model file (safetensors) after
 * checking it on the test set; the accuracies go into the metadata. */
int train_export(Trainer *t, const char *path, FILE *log, Err *e);

#endif
