/* idx.h: image-classification data for training: gzip'd IDX files
 * (Fashion-MNIST, Debian's dataset-fashion-mnist), a seeded synthetic set for
 * tests, shuffling and batching with random-crop/flip augmentation.
 * Images stay uint8 in memory; a batch is float x = pixel / 255 (no mean
 * shift, so the integer network sees the raw pixels as 8-bit codes). */
#ifndef IDX_H
#define IDX_H

#include "arch/qa.h"
#include "quant/rng.h"

#define IDX_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define IDX_ENV_DIR "QARRAY_FASHION_MNIST"
#define IDX_CLASSES 10
/* Largest image file read: n x H x W pixels (Fashion-MNIST's training set
 * is 47 M); a header asking for more is refused before anything is read. */
#define IDX_MAX_PIXELS ((size_t)1 << 31)

typedef struct {
    int n, H, W;
    uint8_t *images; /* (n, H, W) */
    uint8_t *labels; /* (n), each < IDX_CLASSES */
} Dataset;

/* Load one IDX image file (magic 0x803) and its label file (magic 0x801),
 * gzip'd or plain. Errors name the file: missing, truncated, bad magic,
 * count mismatch, a label >= 10 (with its index). */
int idx_load(Dataset *ds, const char *images_path, const char *labels_path, Err *e);
/* Fashion-MNIST train (60000) and test (10000) sets from dir; dir NULL or ""
 * means $QARRAY_FASHION_MNIST, else IDX_DEFAULT_DIR. */
int idx_load_fashion(Dataset *train, Dataset *test, const char *dir, Err *e);
/* The test set alone (evaluation and validation read no training images). */
int idx_load_fashion_test(Dataset *test, const char *dir, Err *e);
/* n 28x28 images of 10 classes, each class a fixed pattern drawn from seed
 * (three Gaussian blobs), each image that pattern shifted, scaled and with
 * noise drawn from sample_seed: a train and a test set share seed and differ
 * in sample_seed. Learnable, not separable by one pixel. */
int idx_synthetic(Dataset *ds, int n, uint64_t seed, uint64_t sample_seed, Err *e);
/* Keep the first n images (n <= ds->n). */
void idx_truncate(Dataset *ds, int n);
void idx_free(Dataset *ds);

/* Fisher-Yates permutation of 0..n-1. */
void idx_shuffle(int *perm, int n, Rng *rng);
/* Batch images perm[0..N) into x (1, N, H, W) as pixel/255 and y (N).
 * augment: random crop from the image zero-padded by `pad` pixels and a
 * horizontal flip with probability 1/2, drawn from rng in image order. */
void idx_batch(const Dataset *ds, const int *perm, int N, int augment, int pad,
               Rng *rng, float *x, uint8_t *y);

#endif
