/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Small helpers shared by store/ files: glob matching and option parsing.
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

#endif
