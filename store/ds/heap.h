/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A binary min-heap of deadlines (heap.c) whose objects know their slot:
 * key TTLs, sub-key TTLs, shards by earliest deadline, blocked clients'
 * timeouts all use it.
 */
#ifndef DS_HEAP_H
#define DS_HEAP_H

#include <stdint.h>

#include "ds/entry.h"

struct exp_item {
    int64_t when; /* absolute deadline, store clock milliseconds */
    void *p;      /* a struct entry (key, hash field, set member) or a struct subttl */
};

/* A binary min-heap of deadlines. Every object in it knows its
 * slot: the uint32_t at byte offset idx_off inside the object, EXP_NONE
 * while it is in no heap. So changing or removing a deadline is O(log n)
 * and reading it O(1). */
struct exp_heap {
    struct exp_item *a; /* NULL while empty: an empty heap costs no allocation */
    uint32_t n;
    uint16_t idx_off;
    uint8_t lgcap;      /* a holds 1 << lgcap items while it exists */
};

/* Items h's array holds. */
static inline uint32_t exp_heap_cap(const struct exp_heap *h)
{
    return h->a ? (uint32_t)1 << h->lgcap : 0;
}

void exp_heap_init(struct exp_heap *h, uint32_t idx_off);
/* Free the array (the objects in the heap are not touched). */
void exp_heap_free(struct exp_heap *h);
/* Insert p or change its deadline. O(log n). */
void exp_heap_set(struct exp_heap *h, void *p, int64_t when);
/* Remove p if it is in h. O(log n). */
void exp_heap_del(struct exp_heap *h, void *p);
/* p, in h, now lives at another address (realloc, copy): fix its item. */
void exp_heap_moved(struct exp_heap *h, void *p);

#endif
