/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A chained hash table with an intrusive link (chain.c): the records embed
 * a struct chain_link holding their hash, and the table owns only its
 * bucket array. For the registries whose records others point at (the key
 * registries of WATCH and blocking, Pub/Sub's channels and subscriptions):
 * a record never moves. No incremental rehash: a resize is O(n) and at
 * least doubles or quarters the buckets, so it amortises to O(1).
 */
#ifndef DS_CHAIN_H
#define DS_CHAIN_H

#include <stddef.h>
#include <stdint.h>

struct chain_link {
    struct chain_link *next;
    uint64_t hash;
};

struct chain {
    struct chain_link **b; /* NULL while empty: an empty table allocates nothing */
    uint64_t mask;         /* buckets - 1 */
    uint64_t n;            /* links */
};

/* Add l (its hash set) to t. O(1) amortized. */
void chain_add(struct chain *t, struct chain_link *l);
/* Unlink l, which is in t; the table shrinks as it empties and frees its
 * buckets with its last link. O(1) amortized. */
void chain_del(struct chain *t, struct chain_link *l);

/* The first link of the bucket of hash (walk it by next and compare the
 * hash and the record), NULL if none. */
static inline struct chain_link *chain_head(const struct chain *t, uint64_t hash)
{
    return t->b ? t->b[hash & t->mask] : NULL;
}

/* The record of type T that holds link l as its member m. */
#define chain_of(l, T, m) ((T *)(void *)((char *)(l) - offsetof(T, m)))

/* A link of t chosen by r, NULL if t is empty: the first non-empty bucket
 * from r's, and a place in its chain by r's high bits. Not uniform (a
 * link after empty buckets or in a short chain is likelier), as Redis's
 * random walks are not. O(buckets) at worst; the table stays at least
 * 1/8 full, so about 8 buckets are visited on average. */
struct chain_link *chain_random(const struct chain *t, uint64_t r);

/* Visit every link of t; fn must not change t. O(buckets + links). */
void chain_foreach(const struct chain *t, void (*fn)(void *ud, struct chain_link *l), void *ud);
/* Empty t, handing each link to fn (which may free its record, and must
 * not touch t). O(buckets + links). */
void chain_drain(struct chain *t, void (*fn)(void *ud, struct chain_link *l), void *ud);

#endif
