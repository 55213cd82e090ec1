/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Pearson's chi-square of counts against a uniform expectation, and the
 * bounds the random-pick tests hold them to: the statistic a uniform draw
 * passes with probability 1 - 0.0001, for the degrees of freedom the tests
 * use (computed from the chi-square distribution's upper tail).
 */
#ifndef CHISQ_H
#define CHISQ_H

#include <stdint.h>

#define CHISQ_P0001_DF9 33.72   /* 10 cells */
#define CHISQ_P0001_DF99 160.06 /* 100 cells */

/* The chi-square of hits[0..n) when each cell expects total / n. */
static inline double chi_square(const uint64_t *hits, int n)
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += hits[i];
    double want = (double)total / n, x = 0;
    for (int i = 0; i < n; i++)
        x += ((double)hits[i] - want) * ((double)hits[i] - want) / want;
    return x;
}

#endif
