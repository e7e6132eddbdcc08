/* rng.c: splitmix64 (Steele et al. 2014) turns any seed, including 0, into a
 * well-mixed non-zero xorshift64* state (Vigna 2016); normals by the
 * Box-Muller transform, which yields two per pair of uniforms. */
#include "quant/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed)
{
    uint64_t x = seed;
    r->s = splitmix64(&x);
    if (r->s == 0) /* xorshift has a fixed point at 0 */
        r->s = 0x9E3779B97F4A7C15ull;
    r->has_spare = 0;
    r->spare = 0.0;
}

uint64_t rng_u64(Rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

double rng_uniform(Rng *r)
{
    return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0); /* 2^-53 */
}

double rng_uniform_pos(Rng *r)
{
    return ((double)(rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

double rng_normal(Rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = rng_uniform_pos(r), u2 = rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double th = 6.283185307179586476925 * u2; /* 2 pi */;
    r->spare = rad * sin(th);
    r->has_spare = 1;
    return rad * cos(th);
}
