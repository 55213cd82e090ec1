/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hash table of entries, keyed by the entry's key bytes (see table.c):
 * chained, power-of-two sizes, incremental rehash between two bucket arrays
 * as in Redis's dict.c.
 */
#ifndef DS_TABLE_H
#define DS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "ds/entry.h"
#include "ds/util.h"

struct table {
    uint64_t seed; /* XXH3 seed, the store's */
    struct entry **b[2];
    uint64_t used; /* entries in both arrays */
    int64_t rehash_idx; /* next bucket of b[0] to move, -1 when not rehashing */
    uint16_t paused;    /* walks in progress (tbl_pause; they nest a few deep):
                         * no rehash step, no resize while non-zero, so no
                         * entry moves under them */
    uint8_t lg[2];      /* b[i] has 1 << (lg[i] - 1) buckets, none when 0
                         * (tbl_size): bytes, so the header is 48 bytes */
    uint8_t chain[2];   /* no chain of b[i] is longer (tbl_random's bound; it
                         * may be stale high after unlinks), TBL_CHAIN_UNKNOWN
                         * past 254 */
    uint8_t load_lg;    /* grows past 2^load_lg entries a bucket (tbl_set_load) */
    uint8_t load_small; /* load_lg holds only up to TBL_SMALL_BUCKETS buckets
                         * (tbl_set_small_load) */
};

_Static_assert(sizeof(struct table) == 48, "a table header is 48 bytes (hashes, sets)");

#define TBL_CHAIN_UNKNOWN UINT8_MAX


void tbl_init(struct table *t, uint64_t seed);
/* A tbl_init'ed table in a block of its own, for values that hold their
 * table apart (hashes and sets, only once they leave their packed form),
 * two entries a bucket while small (tbl_set_small_load); freed by
 * tbl_destroy. */
struct table *tbl_new(uint64_t seed);
/* Let t hold up to 2^load_lg entries a bucket on average before it grows
 * (0 after tbl_init: Redis's load factor of 1): fewer buckets, longer
 * chains. Kept across tbl_free. */
void tbl_set_load(struct table *t, unsigned load_lg);
/* tbl_set_load while t has at most TBL_SMALL_BUCKETS buckets; growing past
 * them it takes load 0 for good. For the tables most of which stay small
 * (a project's keys, a hash's fields, a set's members), whose bucket array
 * is a fixed cost of each, where a big table's lookups would probe chains
 * of 1.5 entries on average at two a bucket (30 instructions more a GET in
 * a project of 100,000 keys). */
void tbl_set_small_load(struct table *t, unsigned load_lg);
#define TBL_SMALL_BUCKETS 32
/* Free the bucket arrays; entries are handed to free_entry first. */
void tbl_free(struct table *t, void (*free_entry)(void *ud, struct entry *e), void *ud);
/* tbl_free, then the block of a tbl_new table. */
void tbl_destroy(struct table *t, void (*free_entry)(void *ud, struct entry *e), void *ud);
/* tbl_free in slices, for a table nothing else uses any more (a value or a
 * shard being freed in the background): hands entries to free_entry, a
 * bucket at a time, until *work (one unit a bucket and one an entry) is
 * spent. Returns true once every entry is handed over and the arrays are
 * freed (the table is then empty), false to be called again. Between calls
 * the table is fit for nothing but this. */
bool tbl_free_some(struct table *t, int64_t *work, void (*free_entry)(void *ud, struct entry *e),
                   void *ud);

/* Buckets of array i (0, or 1 while rehashing): 0 or a power of two. */
static inline uint64_t tbl_size(const struct table *t, int i)
{
    return t->lg[i] ? 1ULL << (t->lg[i] - 1) : 0;
}

static inline uint64_t tbl_count(const struct table *t)
{
    return t->used;
}

uint64_t tbl_hash(const struct table *t, const char *key, size_t klen);
/* Start loading the bucket where key's lookup will start (a CPU prefetch;
 * no effect on contents); returns key's hash for tbl_prefetch_entry. */
uint64_t tbl_prefetch(const struct table *t, const char *key, size_t klen);
/* Start loading the first entry of the bucket of hash h, and return it
 * (NULL if none). The table must not have changed since tbl_prefetch gave
 * h. */
const struct entry *tbl_prefetch_entry(const struct table *t, uint64_t h);
/* Start loading the entry after e in its chain (e should be loaded by now:
 * this reads it). */
void tbl_prefetch_next(const struct entry *e);

/* Find a key, for changing it: returns the address of the pointer that
 * holds the entry (the bucket head or the previous entry's next), so the
 * caller can unlink or replace it; NULL if absent. Valid until the next call
 * on this table. Takes an incremental rehash step (unless paused), so a
 * lookup that changes nothing should use tbl_get. O(1). */
struct entry **tbl_find_ref(struct table *t, const char *key, size_t klen);
/* tbl_find_ref, starting from hint, a hash that was key's when computed
 * (tbl_prefetch's): a stale hint costs a second lookup, never a wrong
 * result. */
struct entry **tbl_find_ref_hint(struct table *t, const char *key, size_t klen, uint64_t hint);

/* The entry of key, or NULL. Unlike tbl_find_ref, no rehash step: nothing
 * moves, so a caller's references into the table stay valid. O(1). */
struct entry *tbl_get(const struct table *t, const char *key, size_t klen);
/* The same with key's tbl_hash already known. */
struct entry *tbl_get_hashed(const struct table *t, const char *key, size_t klen, uint64_t h);

/* Insert an entry whose key is not in the table. May grow the table. O(1). */
void tbl_insert(struct table *t, struct entry *e);

/* Unlink the entry *ref points to; returns it (the caller frees it). O(1). */
struct entry *tbl_unlink(struct table *t, struct entry **ref);

/* Put e in place of the entry *ref points to (same key), returns the old. */
struct entry *tbl_replace(struct table *t, struct entry **ref, struct entry *e);

/* Move up to n buckets of an incremental rehash, then start the shrink of
 * a table left under 1/8 full. Returns 1 if rehashing goes on, 0 when
 * done. */
int tbl_rehash(struct table *t, int n);

/* SCAN step (Redis dictScan): calls fn for every entry of one bucket (two
 * while rehashing) and returns the next cursor, 0 at the end. Every entry
 * present from start to end is seen at least once, whatever the resizes.
 * The table is paused during the step (fn as for tbl_foreach). */
uint64_t tbl_scan(struct table *t, uint64_t cursor, void (*fn)(void *ud, struct entry *e),
                  void *ud);

/* A random entry, or NULL if empty: every entry exactly equally likely,
 * whatever the chains and a rehash in progress (a uniform bucket and a
 * uniform place in [0, longest chain), drawn again until that place holds
 * an entry). Draws from g. O(1) expected: about buckets x longest chain /
 * entries draws, a few since the table is at least 1/8 full; O(n) only for
 * a table whose chains passed 254 (filled while paused). */
struct entry *tbl_random(const struct table *t, struct rng *g);
/* Up to n entries (into out; returns how many, 0 only when empty) met by
 * walking the buckets from a random one, as Redis's dictGetSomeKeys:
 * cheap (consecutive buckets, at most 10 x n, wrapping, each once) but not
 * uniform -- an entry after a run of empty buckets is likelier, entries of
 * one chain come together. For eviction's samples, where Redis is no more
 * exact. Draws from g. */
unsigned tbl_sample(const struct table *t, struct rng *g, struct entry **out, unsigned n);

/* A walk that its caller drives (and may end early): between tbl_iter_start
 * and tbl_iter_end the table is paused as for tbl_foreach, with the same
 * rules for what the caller may do to it. */
struct tbl_iter {
    struct table *t;
    int i;              /* array */
    uint64_t j;         /* next bucket of it */
    struct entry *next; /* next entry to return, held so the last returned
                         * can be unlinked */
};
void tbl_iter_start(struct tbl_iter *it, struct table *t);
/* The next entry, NULL at the end. O(1) amortized. */
struct entry *tbl_iter_next(struct tbl_iter *it);
/* End the walk (at its end or before). */
void tbl_iter_end(struct tbl_iter *it);

/* Visit every entry once. The table is paused meanwhile (no rehash step,
 * no resize, as Redis's safe iterator): fn may look keys up, insert (a new
 * entry may or may not be visited) and unlink the entry it is given (no
 * other: the walk holds the next one). O(size). */
void tbl_foreach(struct table *t, void (*fn)(void *ud, struct entry *e), void *ud);
/* Visit every entry once without writing t: no pause, so fn must change
 * nothing of t and look nothing up in it (a lookup may take a rehash
 * step). For a save, above all in a fork's child, where a write to the
 * table's header would copy its page (pausing every table a save walks
 * copied 16 MB of pages for 200,000 keys). O(size). */
void tbl_walk(const struct table *t, void (*fn)(void *ud, struct entry *e), void *ud);

#endif
