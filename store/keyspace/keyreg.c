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

/* key's entry in t (h its hash), NULL if none. */
static struct kreg_key *lookup(const struct chain *t, int db, const char *key, size_t klen,
                               uint64_t h)
{
    for (struct chain_link *l = chain_head(t, h); l; l = l->next) {
        struct kreg_key *k = chain_of(l, struct kreg_key, link);
        if (l->hash == h && k->db == db && k->klen == klen && memcmp(k->key, key, klen) == 0)
            return k;
    }
    return NULL;
}

struct kreg_key *kreg_find(const struct store *st, const struct chain *t, int db, const char *key,
                           size_t klen)
{
    if (t->n == 0)
        return NULL;
    return lookup(t, db, key, klen, kreg_hash(st, db, key, klen));
}

struct kreg_key *kreg_get(const struct store *st, struct chain *t, int db, struct rs_str key)
{
    uint64_t h = kreg_hash(st, db, key.p, key.len);
    struct kreg_key *k = lookup(t, db, key.p, key.len, h);
    if (k)
        return k;
    k = rs_malloc(sizeof *k + key.len);
    memset(k, 0, sizeof *k);
    k->link.hash = h;
    k->db = db;
    k->klen = key.len;
    if (key.len)
        memcpy(k->key, key.p, key.len);
    chain_add(t, &k->link);
    return k;
}

void kreg_del(struct chain *t, struct kreg_key *k)
{
    chain_del(t, &k->link);
    rs_free(k);
}
