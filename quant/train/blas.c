/* blas.c: OpenBLAS loaded on demand (blas.h). */
#include "quant/train/blas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

/* Debian's runtime package (libopenblas0) installs this name. */
#define NN_BLAS_LIB "libopenblas.so.0"

static __typeof__(cblas_sgemm) *sgemm_fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[400];

static void load(void)
{
    /* Before the library's constructor reads it: one thread, no pool. */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    void *h = dlopen(NN_BLAS_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "cannot load OpenBLAS (%s): install "
                 "libopenblas0", why ? why : NN_BLAS_LIB);
        return;
    }
    void (*set_threads)(int);
    *(void **)&set_threads = dlsym(h, "openblas_set_num_threads");
    *(void **)&sgemm_fn = dlsym(h, "cblas_sgemm");
    if (!sgemm_fn) {
        snprintf(load_error, sizeof load_error, "%s has no cblas_sgemm", NN_BLAS_LIB);
        return;
    }
    if (set_threads)
        set_threads(1);
}

int nn_blas_load(Err *e)
{
    pthread_once(&once, load);
    if (!sgemm_fn)
        return err_set(e, NULL, 0, "blas", "%s", load_error);
    return QA_OK;
}

void nn_sgemm(enum CBLAS_ORDER order, enum CBLAS_TRANSPOSE ta, enum CBLAS_TRANSPOSE tb,
              int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc)
{
    if (!sgemm_fn) { /* a caller that built no QNet (a layer test) */
        Err e;
        if (nn_blas_load(&e) != QA_OK) {
            err_print(&e, stderr);
            abort();
        }
    }
    sgemm_fn(order, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
