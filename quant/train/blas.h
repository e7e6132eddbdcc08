/* blas.h: the one matrix product of training, OpenBLAS's cblas_sgemm,
 * loaded (dlopen) the first time a network is built, never at start-up.
 * OpenBLAS's constructor starts a thread pool sized to the machine when the
 * library loads; linked into qarray it ran for every command, and under an
 * address-space limit (ulimit -v, as batch systems set) its threads
 * retried a failing allocation forever and exit waited for them: even
 * `qarray area` spun at 100% CPU. Training uses it single-threaded (OpenMP
 * threads around it, layers.c), so it is loaded with OPENBLAS_NUM_THREADS=1
 * and starts no pool at all. */
#ifndef NN_BLAS_H
#define NN_BLAS_H

#include <cblas.h>

#include "arch/qa.h"

/* Load OpenBLAS once (thread-safe). Fails with a message naming the
 * library when it cannot be loaded (not installed, or no memory). */
int nn_blas_load(Err *e);

/* cblas_sgemm of the loaded library. nn_blas_load must have succeeded
 * (every QNet build calls it); a caller that skipped it gets it loaded
 * here, and a process without the library stops with the message. */
void nn_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
              int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

#endif
