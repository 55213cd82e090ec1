/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Small helpers shared by store/ files: glob matching, argument copies and
 * prefetching a range.
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

#endif
