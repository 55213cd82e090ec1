/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Key registries: chained hash tables of (database index, key) -> the list
 * of clients interested in that key. WATCH (multi.c) keeps one of the keys
 * clients watch, blocking commands (block.c) one of the keys clients wait
 * on. A registry allocates nothing while empty, so "does anybody care about
 * this key?" costs one branch on nkeys when nobody does.
 */
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ds/mem.h"
#include "keyspace/state.h"

static uint64_t kreg_hash(const struct store *st, int db, const char *key, size_t klen)
{
    return XXH3_64bits_withSeed(key, klen, st->seed ^ ((uint64_t)db * 0x9E3779B97F4A7C15ULL));
}

/* The slot holding key's entry, or the empty slot at the end of its chain;
 * NULL when the table has no buckets. */
static struct kreg_key **kreg_ref(const struct kreg *t, int db, const char *key, size_t klen,
                                  uint64_t h)
{
    if (t->b == NULL)
        return NULL;
    struct kreg_key **ref = &t->b[h & t->mask];
    for (; *ref; ref = &(*ref)->next) {
        struct kreg_key *k = *ref;
        if (k->hash == h && k->db == db && k->klen == klen && memcmp(k->key, key, klen) == 0)
            return ref;
    }
    return ref;
}

static void kreg_grow(struct kreg *t)
{
    uint64_t old = t->b ? t->mask + 1 : 0, cap = old ? old * 2 : 16;
    struct kreg_key **b = rs_calloc(cap, sizeof *b);
    for (uint64_t i = 0; i < old; i++) {
        for (struct kreg_key *k = t->b[i], *next; k; k = next) {
            next = k->next;
            k->next = b[k->hash & (cap - 1)];
            b[k->hash & (cap - 1)] = k;
        }
    }
    rs_free(t->b);
    t->b = b;
    t->mask = cap - 1;
}

struct kreg_key *kreg_find(const struct store *st, const struct kreg *t, int db, const char *key,
                           size_t klen)
{
    if (t->nkeys == 0)
        return NULL;
    struct kreg_key **ref = kreg_ref(t, db, key, klen, kreg_hash(st, db, key, klen));
    return ref ? *ref : NULL;
}

struct kreg_key *kreg_get(const struct store *st, struct kreg *t, int db, struct rs_str key)
{
    uint64_t h = kreg_hash(st, db, key.p, key.len);
    struct kreg_key **ref = kreg_ref(t, db, key.p, key.len, h);
    if (ref && *ref)
        return *ref;
    if (t->b == NULL || t->nkeys > t->mask) {
        kreg_grow(t);
        ref = kreg_ref(t, db, key.p, key.len, h);
    }
    struct kreg_key *k = rs_malloc(sizeof *k + key.len);
    memset(k, 0, sizeof *k);
    k->hash = h;
    k->db = db;
    k->klen = key.len;
    if (key.len)
        memcpy(k->key, key.p, key.len);
    *ref = k;
    t->nkeys++;
    return k;
}

void kreg_del(struct kreg *t, struct kreg_key *k)
{
    struct kreg_key **ref = kreg_ref(t, k->db, k->key, k->klen, k->hash);
    *ref = k->next;
    rs_free(k);
    if (--t->nkeys == 0) {
        rs_free(t->b);
        t->b = NULL;
        t->mask = 0;
    }
}
