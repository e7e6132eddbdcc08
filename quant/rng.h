/* rng.h: the explicit-state random number generator every random choice of
 * qarray uses (splitmix64 seeding, xorshift64* stream, Box-Muller normals).
 * No global state: the caller owns an Rng and seeds it, so the same seed
 * gives the same numbers bit for bit on every run and platform. */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s;       /* xorshift64* state, never 0 */
    double spare;     /* second Box-Muller normal, valid if has_spare */
    int has_spare;
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_u64(Rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double rng_uniform(Rng *r);
/* Uniform in (0, 1): never 0, for logarithms. */
double rng_uniform_pos(Rng *r);
/* Standard normal N(0, 1). */
double rng_normal(Rng *r);

#endif
