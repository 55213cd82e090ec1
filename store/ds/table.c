/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hash table of entries: separate chaining through the entries' own next
 * pointers (no allocation per key), power-of-two bucket arrays, XXH3 with the
 * store's random seed, and incremental rehashing between two arrays as in
 * Redis's dict.c: while b[1] exists, every lookup and insert moves one
 * bucket of b[0] there, and buckets below rehash_idx in b[0] are empty.
 *
 * Invariants: used counts the entries of both arrays (the count of each
 * is of no use: a rehash ends when it has passed every bucket of b[0]);
 * new entries go to b[1] while rehashing; the table grows when used >= size << load_lg (load
 * factor 1, or 2^load_lg for a table that asks for it) and shrinks when
 * under 1/8 full; no chain of b[i] is longer than chain[i] (unless that is
 * TBL_CHAIN_UNKNOWN), which the places where chains grow (inserts, rehash
 * moves) keep and a new array starts at 0, so tbl_random can draw
 * uniformly by rejection.
 *
 * Walks (tbl_foreach, tbl_scan) pause the table as Redis's safe iterators
 * pause rehashing: while paused no rehash step runs and no resize starts or
 * ends, so an entry the walk has passed cannot move to a bucket it has yet
 * to visit (seen twice) nor the other way (missed), and no array is freed
 * under it, whatever the callback looks up, inserts or unlinks. The checks
 * skipped meanwhile run when the last walk ends (tbl_resume). tbl_walk,
 * for a walk that changes nothing (a save), does not pause: it writes
 * nothing to the table.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
/* Inline XXH3: keys are short and hashing is on every lookup. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ds/mem.h"
#include "ds/table.h"

#define TBL_MIN_SIZE 1
/* paused of a table that tbl_free_some frees in slices. */
#define FREEING UINT16_MAX

/* The lg[] code of a power of two n >= 1 (see struct table). */
static uint8_t lg_of(uint64_t n)
{
    return (uint8_t)(__builtin_ctzll(n) + 1);
}

void tbl_init(struct table *t, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t->seed = seed;
    t->rehash_idx = -1;
}

struct table *tbl_new(uint64_t seed)
{
    struct table *t = rs_malloc(sizeof *t);
    tbl_init(t, seed);
    tbl_set_small_load(t, 1);
    return t;
}

void tbl_set_load(struct table *t, unsigned load_lg)
{
    t->load_lg = (uint8_t)load_lg;
}

void tbl_set_small_load(struct table *t, unsigned load_lg)
{
    t->load_lg = (uint8_t)load_lg;
    t->load_small = 1;
}

/* The bucket count resize() needs for n entries at t's load. */
static uint64_t buckets_for(const struct table *t, uint64_t n)
{
    return (n + ((uint64_t)1 << t->load_lg) - 1) >> t->load_lg;
}

uint64_t tbl_hash(const struct table *t, const char *key, size_t klen)
{
    return XXH3_64bits_withSeed(key, klen, t->seed);
}

static inline bool is_rehashing(const struct table *t)
{
    return t->rehash_idx != -1;
}

/* Whether entries may move between buckets now (no walk in progress). */
static inline bool can_move(const struct table *t)
{
    return t->paused == 0;
}

/* Put e at the head of bucket j of b[i], keeping chain[i] a bound of its
 * chains: the chain is walked, short as it is, because the bound must hold
 * for tbl_random to be exact. */
static inline void link_head(struct table *t, int i, uint64_t j, struct entry *e)
{
    e->next = t->b[i][j];
    t->b[i][j] = e;
    if (t->chain[i] == TBL_CHAIN_UNKNOWN)
        return;
    unsigned n = 0;
    for (const struct entry *p = e; p && n <= t->chain[i]; p = p->next)
        n++;
    if (n > t->chain[i])
        t->chain[i] = (uint8_t)n;
}

/* Move one non-empty bucket (visiting at most 10 empty ones). */
static void rehash_one(struct table *t)
{
    int empty_visits = 10;
    while (t->b[0][t->rehash_idx] == NULL) {
        t->rehash_idx++;
        if ((uint64_t)t->rehash_idx == tbl_size(t, 0) || --empty_visits == 0)
            break;
    }
    if ((uint64_t)t->rehash_idx < tbl_size(t, 0)) {
        struct entry *e = t->b[0][t->rehash_idx];
        uint64_t mask = tbl_size(t, 1) - 1;
        while (e) {
            struct entry *next = e->next;
            link_head(t, 1, tbl_hash(t, entry_key(e), e->klen) & mask, e);
            e = next;
        }
        t->b[0][t->rehash_idx] = NULL;
        t->rehash_idx++;
    }
    if ((uint64_t)t->rehash_idx >= tbl_size(t, 0)) { /* every bucket of b[0] moved */
        rs_free(t->b[0]);
        t->b[0] = t->b[1];
        t->lg[0] = t->lg[1];
        t->chain[0] = t->chain[1];
        t->b[1] = NULL;
        t->lg[1] = 0;
        t->chain[1] = 0;
        t->rehash_idx = -1;
    }
}

static void shrink_if_sparse(struct table *t);

int tbl_rehash(struct table *t, int n)
{
    while (n-- > 0 && is_rehashing(t) && can_move(t))
        rehash_one(t);
    shrink_if_sparse(t);
    return is_rehashing(t);
}

static uint64_t next_pow2(uint64_t n)
{
    uint64_t s = TBL_MIN_SIZE;
    while (s < n)
        s <<= 1;
    return s;
}

/* Start moving to a table of n buckets, rounded up to a power of two. A
 * table of at most REHASH_AT_ONCE buckets moves at once: most value tables
 * are small and see few operations after they grow, so an incremental
 * rehash would keep both arrays for good (a 10-field hash its old 8
 * buckets, 64 bytes), and moving a few dozen entries costs less than the
 * dual lookups meanwhile. */
#define REHASH_AT_ONCE 32
static void resize(struct table *t, uint64_t n)
{
    uint64_t size = next_pow2(n);
    if (t->load_small && size > TBL_SMALL_BUCKETS) { /* tbl_set_small_load: */
        t->load_lg = 0; /* the next growth is at one entry a bucket */
        t->load_small = 0;
    }
    if (is_rehashing(t) || size == tbl_size(t, 0))
        return;
    struct entry **b = rs_calloc(size, sizeof *b);
    if (t->b[0] == NULL) {
        t->b[0] = b;
        t->lg[0] = lg_of(size);
        t->chain[0] = 0;
        return;
    }
    t->b[1] = b;
    t->lg[1] = lg_of(size);
    t->chain[1] = 0;
    t->rehash_idx = 0;
    if (tbl_size(t, 0) <= REHASH_AT_ONCE && can_move(t))
        while (is_rehashing(t))
            rehash_one(t);
}

/* Start shrinking a table under 1/8 full (Redis's HASHTABLE_MIN_FILL).
 * Deletes check it, but not while a rehash runs, so the background step
 * checks it too: otherwise a table emptied during a rehash keeps its size. */
static void shrink_if_sparse(struct table *t)
{
    if (can_move(t) && !is_rehashing(t) && tbl_size(t, 0) > TBL_MIN_SIZE &&
        t->used * 8 < tbl_size(t, 0))
        resize(t, buckets_for(t, t->used));
}

struct entry *tbl_get(const struct table *t, const char *key, size_t klen)
{
    return tbl_count(t) ? tbl_get_hashed(t, key, klen, tbl_hash(t, key, klen)) : NULL;
}

struct entry *tbl_get_hashed(const struct table *t, const char *key, size_t klen, uint64_t h)
{
    for (int i = 0; i < 2 && tbl_size(t, i); i++) {
        for (struct entry *e = t->b[i][h & (tbl_size(t, i) - 1)]; e; e = e->next)
            if (e->klen == klen && memcmp(entry_key(e), key, klen) == 0)
                return e;
        if (!is_rehashing(t))
            break;
    }
    return NULL;
}

/* The reference to key's entry among the buckets of hash h, or NULL. */
static struct entry **find_ref_hashed(struct table *t, const char *key, size_t klen, uint64_t h)
{
    for (int i = 0; i < 2; i++) {
        if (tbl_size(t, i) == 0)
            break;
        struct entry **ref = &t->b[i][h & (tbl_size(t, i) - 1)];
        for (; *ref; ref = &(*ref)->next) {
            struct entry *e = *ref;
            if (e->klen == klen && memcmp(entry_key(e), key, klen) == 0)
                return ref;
        }
        if (!is_rehashing(t))
            break;
    }
    return NULL;
}

struct entry **tbl_find_ref(struct table *t, const char *key, size_t klen)
{
    if (tbl_count(t) == 0)
        return NULL;
    if (is_rehashing(t) && can_move(t))
        rehash_one(t);
    return find_ref_hashed(t, key, klen, tbl_hash(t, key, klen));
}

struct entry **tbl_find_ref_hint(struct table *t, const char *key, size_t klen, uint64_t hint)
{
    if (tbl_count(t) == 0)
        return NULL;
    if (is_rehashing(t) && can_move(t))
        rehash_one(t);
    struct entry **ref = find_ref_hashed(t, key, klen, hint);
    if (ref)
        return ref; /* whatever hint was, this is key's entry */
    uint64_t h = tbl_hash(t, key, klen);
    return h == hint ? NULL : find_ref_hashed(t, key, klen, h);
}

uint64_t tbl_prefetch(const struct table *t, const char *key, size_t klen)
{
    uint64_t h = tbl_hash(t, key, klen);
    for (int i = 0; i < 2 && tbl_size(t, i); i++)
        __builtin_prefetch(&t->b[i][h & (tbl_size(t, i) - 1)]);
    return h;
}

/* The header and the key's first bytes, and the line after: an entry may
 * straddle two. */
static void prefetch_entry(const struct entry *e)
{
    __builtin_prefetch(e);
    __builtin_prefetch((const char *)e + 64);
}

const struct entry *tbl_prefetch_entry(const struct table *t, uint64_t h)
{
    const struct entry *first = NULL;
    for (int i = 0; i < 2 && tbl_size(t, i); i++) {
        const struct entry *e = t->b[i][h & (tbl_size(t, i) - 1)];
        if (e) {
            prefetch_entry(e);
            if (first == NULL)
                first = e;
        }
    }
    return first;
}

void tbl_prefetch_next(const struct entry *e)
{
    if (e->next)
        prefetch_entry(e->next);
}

void tbl_insert(struct table *t, struct entry *e)
{
    /* A paused table takes the entry at a load over 1 rather than move
     * others; only a first array (nothing to walk yet) is allocated. */
    if (is_rehashing(t)) {
        if (can_move(t))
            rehash_one(t);
    } else if (tbl_size(t, 0) == 0 ||
               (can_move(t) && tbl_count(t) >= tbl_size(t, 0) << t->load_lg)) {
        resize(t, buckets_for(t, tbl_count(t) + 1));
    }
    int i = is_rehashing(t) ? 1 : 0;
    link_head(t, i, tbl_hash(t, entry_key(e), e->klen) & (tbl_size(t, i) - 1), e);
    t->used++;
}

struct entry *tbl_unlink(struct table *t, struct entry **ref)
{
    struct entry *e = *ref;
    t->used--;
    *ref = e->next;
    e->next = NULL;
    shrink_if_sparse(t);
    return e;
}

struct entry *tbl_replace(struct table *t, struct entry **ref, struct entry *e)
{
    struct entry *old = *ref;
    e->next = old->next;
    *ref = e;
    old->next = NULL;
    return old;
}

static uint64_t rev(uint64_t v)
{
    uint64_t s = 8 * sizeof v, mask = ~0ULL;
    while ((s >>= 1) > 0) {
        mask ^= mask << s;
        v = ((v >> s) & mask) | ((v << s) & ~mask);
    }
    return v;
}

static void emit_bucket(struct entry *e, void (*fn)(void *ud, struct entry *e), void *ud)
{
    while (e) {
        struct entry *next = e->next;
        fn(ud, e);
        e = next;
    }
}

/* Pause t for a walk: until the matching tbl_resume no entry moves to
 * another bucket and no bucket array is resized or freed. Pauses nest. */
static void tbl_pause(struct table *t)
{
    t->paused++;
}

/* End a pause; the last one starts the resize that inserts or unlinks
 * skipped meanwhile. */
static void tbl_resume(struct table *t)
{
    if (--t->paused > 0)
        return;
    if (!is_rehashing(t) && tbl_count(t) > tbl_size(t, 0) << t->load_lg)
        resize(t, buckets_for(t, tbl_count(t)));
    shrink_if_sparse(t);
}

/* One SCAN step of a paused table (see tbl_scan). */
static uint64_t scan_step(struct table *t, uint64_t v, void (*fn)(void *ud, struct entry *e),
                          void *ud)
{
    if (!is_rehashing(t)) {
        uint64_t m0 = tbl_size(t, 0) - 1;
        emit_bucket(t->b[0][v & m0], fn, ud);
        v |= ~m0;
        v = rev(v);
        v++;
        return rev(v);
    }
    int small = tbl_size(t, 0) <= tbl_size(t, 1) ? 0 : 1, large = 1 - small;
    uint64_t m0 = tbl_size(t, small) - 1, m1 = tbl_size(t, large) - 1;
    emit_bucket(t->b[small][v & m0], fn, ud);
    /* Visit the expansions of the small bucket in the large table. */
    do {
        emit_bucket(t->b[large][v & m1], fn, ud);
        v |= ~m1;
        v = rev(v);
        v++;
        v = rev(v);
    } while (v & (m0 ^ m1));
    return v;
}

uint64_t tbl_scan(struct table *t, uint64_t v, void (*fn)(void *ud, struct entry *e), void *ud)
{
    if (tbl_count(t) == 0)
        return 0;
    tbl_pause(t);
    v = scan_step(t, v, fn, ud);
    tbl_resume(t);
    return v;
}

/* The k-th entry in walk order (k < tbl_count): tbl_random's way when no
 * chain bound is known. O(n). */
static struct entry *nth_entry(const struct table *t, uint64_t k)
{
    for (int i = 0; i < 2; i++)
        for (uint64_t j = 0; j < tbl_size(t, i); j++)
            for (struct entry *e = t->b[i][j]; e; e = e->next)
                if (k-- == 0)
                    return e;
    return NULL;
}

struct entry *tbl_random(const struct table *t, struct rng *g)
{
    if (tbl_count(t) == 0)
        return NULL;
    unsigned bound = t->chain[0];
    if (is_rehashing(t) && t->chain[1] > bound)
        bound = t->chain[1];
    if (bound == TBL_CHAIN_UNKNOWN)
        return nth_entry(t, rng_below(g, tbl_count(t)));
    assert(bound > 0 && "an entry got in without link_head");
    /* The buckets that may hold entries: b[0] from rehash_idx (those below
     * are moved), then b[1]. A draw is a (bucket, place) pair, each with
     * probability 1 / (buckets x bound), and every entry sits at exactly
     * one place of one bucket, so the first draw that lands on an entry
     * lands on each with equal probability. */
    uint64_t first = is_rehashing(t) ? (uint64_t)t->rehash_idx : 0;
    uint64_t n0 = tbl_size(t, 0) - first;
    uint64_t nbuckets = n0 + (is_rehashing(t) ? tbl_size(t, 1) : 0);
    for (;;) {
        uint64_t x = rng_below(g, nbuckets * bound);
        uint64_t j = x / bound, place = x % bound;
        struct entry *e = j < n0 ? t->b[0][first + j] : t->b[1][j - n0];
        while (e && place--)
            e = e->next;
        if (e)
            return e;
    }
}

unsigned tbl_sample(const struct table *t, struct rng *g, struct entry **out, unsigned n)
{
    if (tbl_count(t) == 0 || n == 0)
        return 0;
    /* The buckets that may hold entries, as in tbl_random. */
    uint64_t first = is_rehashing(t) ? (uint64_t)t->rehash_idx : 0;
    uint64_t n0 = tbl_size(t, 0) - first;
    uint64_t nbuckets = n0 + (is_rehashing(t) ? tbl_size(t, 1) : 0);
    uint64_t j = rng_below(g, nbuckets);
    unsigned got = 0;
    /* Past 10 x n buckets, on until the first entry (there is one); each
     * bucket once at most, so no entry twice. */
    for (uint64_t steps = 0;
         got < n && steps < nbuckets && (steps < 10 * (uint64_t)n || got == 0); steps++) {
        for (struct entry *e = j < n0 ? t->b[0][first + j] : t->b[1][j - n0]; e && got < n;
             e = e->next)
            out[got++] = e;
        j = j + 1 == nbuckets ? 0 : j + 1;
    }
    return got;
}

void tbl_iter_start(struct tbl_iter *it, struct table *t)
{
    *it = (struct tbl_iter){.t = t};
    tbl_pause(t);
}

struct entry *tbl_iter_next(struct tbl_iter *it)
{
    struct table *t = it->t;
    while (it->next == NULL) {
        if (it->j == tbl_size(t, it->i)) {
            if (it->i == 1)
                return NULL;
            it->i = 1;
            it->j = 0;
            continue;
        }
        it->next = t->b[it->i][it->j++];
    }
    struct entry *e = it->next;
    it->next = e->next;
    return e;
}

void tbl_iter_end(struct tbl_iter *it)
{
    tbl_resume(it->t);
}

void tbl_foreach(struct table *t, void (*fn)(void *ud, struct entry *e), void *ud)
{
    struct tbl_iter it;
    tbl_iter_start(&it, t);
    for (struct entry *e; (e = tbl_iter_next(&it)) != NULL;)
        fn(ud, e);
    tbl_iter_end(&it);
}

void tbl_walk(const struct table *t, void (*fn)(void *ud, struct entry *e), void *ud)
{
    for (int i = 0; i < 2; i++)
        for (uint64_t j = 0; j < tbl_size(t, i); j++)
            emit_bucket(t->b[i][j], fn, ud);
}

void tbl_free(struct table *t, void (*free_entry)(void *ud, struct entry *e), void *ud)
{
    /* Not tbl_foreach: its resume would check sizes of a table whose
     * entries are gone. */
    if (free_entry)
        tbl_walk(t, free_entry, ud);
    rs_free(t->b[0]);
    rs_free(t->b[1]);
    unsigned load_lg = t->load_lg, load_small = t->load_small;
    tbl_init(t, t->seed);
    t->load_lg = (uint8_t)load_lg;
    t->load_small = (uint8_t)load_small;
}

void tbl_destroy(struct table *t, void (*free_entry)(void *ud, struct entry *e), void *ud)
{
    tbl_free(t, free_entry, ud);
    rs_free(t);
}

bool tbl_free_some(struct table *t, int64_t *work, void (*free_entry)(void *ud, struct entry *e),
                   void *ud)
{
    /* A table being freed is walked by no one and rehashes no more:
     * rehash_idx counts the buckets of both arrays left to free, from the
     * last down, so the walk resumes where it stopped. paused marks it. */
    if (t->paused != FREEING) {
        t->paused = FREEING;
        t->rehash_idx = (int64_t)(tbl_size(t, 0) + tbl_size(t, 1));
    }
    while (t->rehash_idx > 0) {
        if (*work <= 0)
            return false;
        uint64_t j = (uint64_t)--t->rehash_idx, s0 = tbl_size(t, 0);
        for (struct entry *e = j >= s0 ? t->b[1][j - s0] : t->b[0][j], *next; e; e = next) {
            next = e->next;
            free_entry(ud, e);
            (*work)--;
        }
        (*work)--;
    }
    t->used = 0;
    tbl_free(t, NULL, NULL);
    return true;
}
