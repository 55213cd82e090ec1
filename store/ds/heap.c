/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The deadline heap (heap.h): an array that grows and shrinks by powers of
 * two, each move writing the object's slot.
 */
#include "ds/heap.h"
#include "ds/mem.h"

static inline uint32_t *slot_of(const struct exp_heap *h, const void *p)
{
    return (uint32_t *)((char *)p + h->idx_off);
}

void exp_heap_init(struct exp_heap *h, uint32_t idx_off)
{
    h->a = NULL;
    h->n = 0;
    h->lgcap = 0;
    h->idx_off = (uint16_t)idx_off;
}

void exp_heap_free(struct exp_heap *h)
{
    rs_free(h->a);
    exp_heap_init(h, h->idx_off);
}

static void place(struct exp_heap *h, uint32_t i, struct exp_item it)
{
    h->a[i] = it;
    *slot_of(h, it.p) = i;
}

static void sift_up(struct exp_heap *h, uint32_t i)
{
    struct exp_item it = h->a[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (h->a[parent].when <= it.when)
            break;
        place(h, i, h->a[parent]);
        i = parent;
    }
    place(h, i, it);
}

static void sift_down(struct exp_heap *h, uint32_t i)
{
    struct exp_item it = h->a[i];
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        int64_t best = it.when;
        if (l < h->n && h->a[l].when < best)
            m = l, best = h->a[l].when;
        if (l + 1 < h->n && h->a[l + 1].when < best)
            m = l + 1;
        if (m == i)
            break;
        place(h, i, h->a[m]);
        i = m;
    }
    place(h, i, it);
}

void exp_heap_set(struct exp_heap *h, void *p, int64_t when)
{
    uint32_t i = *slot_of(h, p);
    if (i != EXP_NONE) {
        int64_t old = h->a[i].when;
        h->a[i].when = when;
        if (when < old)
            sift_up(h, i);
        else
            sift_down(h, i);
        return;
    }
    /* The first array holds one item: most heaps are a project's key
     * deadlines or a hash's field deadlines, of a few items (a 4-item
     * start took 64 bytes from each such project for 2 deadlines). */
    if (h->n == exp_heap_cap(h)) {
        h->lgcap = h->a ? h->lgcap + 1 : 0;
        h->a = rs_realloc(h->a, ((size_t)1 << h->lgcap) * sizeof *h->a);
    }
    i = h->n++;
    place(h, i, (struct exp_item){when, p});
    sift_up(h, i);
}

void exp_heap_del(struct exp_heap *h, void *p)
{
    uint32_t i = *slot_of(h, p);
    if (i == EXP_NONE)
        return;
    *slot_of(h, p) = EXP_NONE;
    uint32_t last = --h->n;
    if (i != last) {
        place(h, i, h->a[last]);
        if (i > 0 && h->a[i].when < h->a[(i - 1) / 2].when)
            sift_up(h, i);
        else
            sift_down(h, i);
    }
    if (h->n == 0) {
        exp_heap_free(h);
    } else if (exp_heap_cap(h) > 64 && h->n * 4 < exp_heap_cap(h)) {
        h->lgcap--;
        h->a = rs_realloc(h->a, exp_heap_cap(h) * sizeof *h->a);
    }
}

void exp_heap_moved(struct exp_heap *h, void *p)
{
    h->a[*slot_of(h, p)].p = p;
}
