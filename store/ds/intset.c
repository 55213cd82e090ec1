/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sorted int64 array for small integer sets (intset.h). Lookups are binary
 * searches; insertion and removal move the tail, which is cheap for the
 * few hundred values this encoding holds (set-max-intset-entries).
 */
#include <string.h>

#include "ds/intset.h"
#include "ds/mem.h"

struct intset *intset_new(uint32_t cap)
{
    if (cap < 4)
        cap = 4;
    struct intset *is = rs_malloc(sizeof *is + cap * sizeof(int64_t));
    is->n = 0;
    is->cap = cap;
    return is;
}

struct intset *intset_from_sorted(const int64_t *v, uint32_t n)
{
    struct intset *is = intset_new(n);
    memcpy(is->v, v, (size_t)n * sizeof *v);
    is->n = n;
    return is;
}

/* Index of v, or of where it would go; *found tells which. */
static uint32_t search(const struct intset *is, int64_t v, bool *found)
{
    uint32_t lo = 0, hi = is->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (is->v[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < is->n && is->v[lo] == v;
    return lo;
}

bool intset_find(const struct intset *is, int64_t v)
{
    bool found;
    search(is, v, &found);
    return found;
}

struct intset *intset_add(struct intset *is, int64_t v, bool *added)
{
    bool found;
    uint32_t i = search(is, v, &found);
    *added = !found;
    if (found)
        return is;
    if (is->n == is->cap) {
        is->cap *= 2;
        is = rs_realloc(is, sizeof *is + is->cap * sizeof(int64_t));
    }
    memmove(is->v + i + 1, is->v + i, (is->n - i) * sizeof(int64_t));
    is->v[i] = v;
    is->n++;
    return is;
}

void intset_remove_at(struct intset *is, uint32_t i)
{
    memmove(is->v + i, is->v + i + 1, (is->n - i - 1) * sizeof(int64_t));
    is->n--;
}

bool intset_remove(struct intset *is, int64_t v)
{
    bool found;
    uint32_t i = search(is, v, &found);
    if (found)
        intset_remove_at(is, i);
    return found;
}

size_t intset_bytes(const struct intset *is)
{
    return sizeof *is + is->cap * sizeof(int64_t);
}

struct intset *intset_dup(const struct intset *is)
{
    struct intset *n = rs_malloc(intset_bytes(is));
    memcpy(n, is, intset_bytes(is));
    return n;
}
