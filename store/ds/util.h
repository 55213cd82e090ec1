/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Small helpers shared by store/ files: glob matching, argument copies,
 * prefetching a range and the store's random numbers.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

/* Start loading every cache line of [p, p + n) (CPU prefetches): a struct
 * that malloc aligns to 16 bytes straddles one line more than its size
 * suggests. */
static inline void prefetch_span(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + n;
    for (; a < end; a += 64)
        __builtin_prefetch((const void *)a);
}

/* A stream of random numbers: splitmix64 over a counter, mixed with a
 * per-process seed. Every random pick of the store draws from one (the
 * store's), so it has no global state. */
struct rng {
    uint64_t state; /* counter, advanced by the golden ratio each draw */
    uint64_t seed;  /* mixed into every draw */
};

static inline uint64_t rng_next(struct rng *g)
{
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ULL) ^ g->seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* A number in [0, n), n > 0, each exactly equally likely (Lemire's
 * multiply-and-reject: no modulo bias); one draw but for a rare retry. */
static inline uint64_t rng_below(struct rng *g, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)rng_next(g) * n;
    if ((uint64_t)m < n) {
        uint64_t floor = -n % n; /* 2^64 mod n */
        while ((uint64_t)m < floor)
            m = (unsigned __int128)rng_next(g) * n;
    }
    return (uint64_t)(m >> 64);
}

/* Redis's glob matcher (util.c stringmatchlen): '*', '?', '[a-z]', '[^a]',
 * '\' escapes, byte-wise, with the same corner cases and the same nesting
 * limit that keeps hostile patterns from taking exponential time. */
bool glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

static inline bool glob_match_str(struct rs_str pat, struct rs_str s)
{
    return glob_match(pat.p, pat.len, s.p, s.len, false);
}

/* A copy of argv that outlives the transport's buffer (a command queued by
 * MULTI, a blocked command): the array and the bytes in one allocation,
 * freed with rs_free. *bytes gets the sum of the argument lengths. */
struct rs_str *argv_dup(int argc, const struct rs_str *argv, size_t *bytes);

/* v as "%f" with trailing zeros and a trailing point removed ("99.9",
 * "50"): Redis's trimDoubleString form of the latency percentiles.
 * Returns the length. */
size_t fmt_trimmed_double(char *buf, size_t size, double v);

#endif
