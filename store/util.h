/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Small helpers shared by store/ files: glob matching and argument copies.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"

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
