/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A sorted array of distinct int64 values: the "intset" encoding of small
 * sets whose members are all canonical integers (intset.c).
 */
#ifndef INTSET_H
#define INTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct intset {
    uint32_t n, cap;
    int64_t v[]; /* ascending */
};

/* The most values an intset holds whatever set-max-intset-entries says
 * (Redis's limit), so that its 32-bit count and capacity cannot overflow. */
#define INTSET_MAX_ENTRIES (1u << 30)

/* An empty intset with room for cap values. */
struct intset *intset_new(uint32_t cap);
/* Is v a member? O(log n). */
bool intset_find(const struct intset *is, int64_t v);
/* Add v; *added tells whether it was new. May move the set. O(n). */
struct intset *intset_add(struct intset *is, int64_t v, bool *added);
/* An intset of v[0..n), ascending, each once. O(n). */
struct intset *intset_from_sorted(const int64_t *v, uint32_t n);
/* Remove v; returns whether it was there. O(n). */
bool intset_remove(struct intset *is, int64_t v);
/* Remove the value at index i (i < n). O(n). */
void intset_remove_at(struct intset *is, uint32_t i);
/* Allocated bytes. */
size_t intset_bytes(const struct intset *is);
/* A copy. */
struct intset *intset_dup(const struct intset *is);

#endif
