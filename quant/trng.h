/* trng.h: the seeded generator the training module draws from (splitmix64
 * seeding + xorshift64*). Explicit state, no globals: same seed, same bits.
 * Placeholder interface until quant/rng.h is merged; then every user switches. */
#ifndef TRNG_H
#define TRNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s;
} TRng;

static inline void trng_seed(TRng *r, uint64_t seed)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    r->s = (z ^ (z >> 31)) | 1;
}
static inline uint32_t trng_u32(TRng *r)
{
    r->s ^= r->s >> 12, r->s ^= r->s << 25, r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1DULL) >> 32);
}
/* uniform in [0, 1) */
static inline float trng_uniform(TRng *r) { return (trng_u32(r) >> 8) * (1.0f / 16777216.0f); }
/* standard normal (Box-Muller, one value per call) */
static inline float trng_normal(TRng *r)
{
    float u = trng_uniform(r), v = trng_uniform(r);
    return sqrtf(-2.0f * logf(1.0f - u)) * cosf(6.2831853f * v);
}

#endif
