/* u8s8.c: oneDNN's u8 x s8 -> s32 GEMM and its exactness level (u8s8.h). */
#include "quant/int/u8s8.h"

#include <dnnl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int u8s8_gemm(int64_t M, int64_t N, int64_t K, const uint8_t *A, int64_t lda,
              const int8_t *B, int64_t ldb, int32_t *C, int64_t ldc, Err *e)
{
    const int32_t co = 0; /* no offset added to C */
    dnnl_status_t s = dnnl_gemm_u8s8s32('N', 'N', 'F', M, N, K, 1.0f, A, lda, 0, B,
                                        ldb, 0, 0.0f, C, ldc, &co);
    if (s != dnnl_success)
        return err_set(e, NULL, 0, "onednn", "dnnl_gemm_u8s8s32 (%lld x %lld x %lld) "
                       "failed with status %d", (long long)M, (long long)N,
                       (long long)K, (int)s);
    return QA_OK;
}

/* ---- the probe ----------------------------------------------------------- */

/* Codes of one probe operand: a constant, or seeded values in lo..hi. */
typedef struct {
    int lo, hi;
} Range;

static uint32_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(*s >> 33);
}

static int draw(uint64_t *s, Range r)
{
    return r.lo == r.hi ? r.lo : r.lo + (int)(next(s) % (uint32_t)(r.hi - r.lo + 1));
}

/* One product of shape M x N x K against int64 loops; 1 when equal. */
static int probe_one(int64_t M, int64_t N, int64_t K, Range a, Range b, uint64_t seed)
{
    uint8_t *A = malloc((size_t)(M * K));
    int8_t *B = malloc((size_t)(K * N));
    int32_t *C = malloc(sizeof *C * (size_t)(M * N));
    int ok = A && B && C;
    for (int64_t i = 0; ok && i < M * K; i++)
        A[i] = (uint8_t)draw(&seed, a);
    for (int64_t i = 0; ok && i < K * N; i++)
        B[i] = (int8_t)draw(&seed, b);
    Err e;
    if (ok && u8s8_gemm(M, N, K, A, K, B, N, C, N, &e) != QA_OK)
        ok = 0;
    for (int64_t m = 0; ok && m < M; m++)
        for (int64_t n = 0; ok && n < N; n++) {
            int64_t s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (int64_t)A[m * K + k] * B[k * N + n];
            ok = s == C[m * N + n];
        }
    free(A), free(B), free(C);
    return ok;
}

/* Shapes that reach the GEMV kernels (M or N of 1), small and odd
 * remainders, and a blocked GEMM; K long enough that saturated pairs
 * cannot cancel out. */
static const int64_t probe_shapes[][3] = {
    {1, 1, 130}, {37, 1, 257}, {1, 29, 257}, {8, 8, 64}, {67, 45, 300}, {48, 64, 256},
};

/* Every shape with these operand ranges. */
static int probe(const Range *a, const Range *b, int n)
{
    uint64_t seed = 1;
    for (int i = 0; i < n; i++)
        for (size_t s = 0; s < QA_COUNT(probe_shapes); s++)
            if (!probe_one(probe_shapes[s][0], probe_shapes[s][1], probe_shapes[s][2],
                           a[i], b[i], seed++))
                return 0;
    return 1;
}

static U8s8Level level = U8S8_NONE;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int isa_has_vnni(dnnl_cpu_isa_t isa)
{
    /* AVX-512 with VNNI and everything above it (bf16, AMX) carry its bits;
     * AVX2-VNNI is left out: oneDNN 2.6 has no int8 GEMM kernel that uses it. */
    return ((unsigned)isa & (unsigned)dnnl_cpu_isa_avx512_core_vnni) ==
           (unsigned)dnnl_cpu_isa_avx512_core_vnni;
}

static void decide(void)
{
    const char *env = getenv("QARRAY_ONEDNN");
    if (env && !strcmp(env, "off")) {
        level = U8S8_NONE;
        return;
    }
    /* the extremes of every pair, then seeded codes over the whole range */
    static const Range full_a[] = {{255, 255}, {255, 255}, {0, 255}};
    static const Range full_b[] = {{-128, -128}, {127, 127}, {-128, 127}};
    static const Range half_a[] = {{255, 255}, {127, 127}, {0, 255}, {0, 127}};
    static const Range half_b[] = {{-64, -64}, {-128, -128}, {-64, 63}, {-128, 127}};
    if (!probe(half_a, half_b, (int)QA_COUNT(half_a)))
        level = U8S8_NONE;
    else if (isa_has_vnni(dnnl_get_effective_cpu_isa()) &&
             probe(full_a, full_b, (int)QA_COUNT(full_a)))
        level = U8S8_FULL;
    else
        level = U8S8_HALF;
}

U8s8Level u8s8_level(void)
{
    pthread_once(&once, decide);
    return level;
}

const char *u8s8_level_name(U8s8Level l)
{
    return l == U8S8_FULL ? "full" : l == U8S8_HALF ? "half" : "none";
}

const char *u8s8_isa_name(void)
{
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "no jit (reference kernels)";
    }
}

int u8s8_exact(int amax, int bmin, int bmax, int64_t K)
{
    if (amax < 0 || amax > 255 || bmin < -128 || bmax > 127 || bmin > bmax || K < 0)
        return 0;
    int64_t babs = QA_MAX(-(int64_t)bmin, (int64_t)bmax);
    if (amax > 0 && babs > 0 && K > ((int64_t)INT32_MAX) / (amax * babs))
        return 0;
    switch (u8s8_level()) {
    case U8S8_FULL: return 1;
    case U8S8_HALF: return amax <= 127 || (bmin >= -64 && bmax <= 63);
    default: return 0;
    }
}
