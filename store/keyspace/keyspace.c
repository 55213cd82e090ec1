/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyspace: databases, project shards and key lookups.
 *
 * A database holds a global shard and one shard per project. A key
 * "project:<id>:<rest>" or "project:{<id>}:<rest>" (id non-empty) lives in
 * the shard of project <id>; every other key in the global shard. Project
 * shards are found through an open-addressing map (pmap) keyed by id and
 * are created on first write. Each database also keeps its project shards
 * in an array sorted by their creation sequence number: SCAN visits shards
 * in that order, so a shard created during a scan is visited after those
 * that existed before it.
 *
 * A shard that loses its last key stays where it is, empty (is_empty): a
 * write to its project fills it again. Once as many of a db's shards are
 * empty as have keys, the db compacts after the command (ks_reap_empty,
 * never while a command may hold a kloc in a shard): empty shards are
 * freed and the order array and map are rebuilt to fit the rest. So
 * creating and emptying projects costs O(1) amortized, and a db whose
 * projects all went holds no memory for them.
 *
 * Nothing that runs on a timer or answers a counter walks the shards: each
 * database counts its keys and TTLs as they come and go, keeps the shards
 * with a deadline in a heap (expire.c), those whose table rehashes in a
 * set, and the key counts of all in a tree (struct ranks) that RANDOMKEY
 * descends. A shard joins them when created and leaves them when freed
 * (a compaction numbers the shards left again); FLUSHDB empties them with
 * the shards.
 */
#include <assert.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
/* Inline XXH3: keys are short and hashing is on every lookup. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/util.h"

/* ------------------------------------------------------------------------
 * Routing
 * ------------------------------------------------------------------------ */

bool ks_project_id(struct rs_str key, struct rs_str *id)
{
    static const char prefix[] = "project:";
    const size_t plen = sizeof prefix - 1;
    if (key.len < plen + 2 || key.p[0] != 'p' || memcmp(key.p, prefix, plen) != 0)
        return false;
    const char *p = key.p + plen, *end = key.p + key.len;
    if (*p == '{') {
        const char *close = memchr(p + 1, '}', (size_t)(end - p - 1));
        if (close == NULL || close == p + 1 || close + 1 >= end || close[1] != ':')
            return false;
        *id = rs_str_from(p + 1, (size_t)(close - p - 1));
        return true;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    if (colon == NULL || colon == p)
        return false;
    *id = rs_str_from(p, (size_t)(colon - p));
    return true;
}

/* ------------------------------------------------------------------------
 * Project map: linear probing, load at most 3/4. Nothing is deleted from
 * it one by one: shards leave only when the db compacts (db_compact), which
 * rebuilds the map at the size that fits the shards left.
 *
 * A slot holds its shard's address with bits of the id's hash in the low
 * bits that the allocation leaves zero (malloc aligns for any type), 0 when
 * empty: a probe reads a shard only when the bits match, so passing the
 * slots of other projects costs no miss on their shards.
 * ------------------------------------------------------------------------ */

#define PMAP_TAG_MASK ((uintptr_t)_Alignof(max_align_t) - 1)
static_assert(_Alignof(max_align_t) >= 8, "a slot's tag needs 3 free bits");

static uint64_t id_hash(const struct db *db, struct rs_str id)
{
    return XXH3_64bits_withSeed(id.p, id.len, db->st->seed);
}

/* The tag of hash h: bits the slot index does not use. */
static uintptr_t pmap_tag(uint64_t h)
{
    return (uintptr_t)(h >> 58) & PMAP_TAG_MASK;
}

static struct shard *slot_shard(uintptr_t v)
{
    return (struct shard *)(v & ~PMAP_TAG_MASK);
}

/* The index of id's slot in m (which has slots), h being id's hash: its
 * shard's, or the empty one where it would go. */
static uint64_t pmap_find(const struct pmap *m, struct rs_str id, uint64_t h)
{
    uint64_t mask = m->cap - 1;
    uintptr_t tag = pmap_tag(h);
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uintptr_t v = m->slots[i];
        if (v == 0)
            return i;
        const struct shard *sh = slot_shard(v);
        if ((v & PMAP_TAG_MASK) == tag && sh->idlen == id.len &&
            memcmp(shard_id(sh), id.p, id.len) == 0)
            return i;
    }
}

/* Put sh, not in db's map, in a map with room for it. */
static void pmap_insert(struct db *db, struct shard *sh)
{
    struct pmap *m = &db->projects;
    struct rs_str id = rs_str_from(shard_id(sh), sh->idlen);
    uint64_t h = id_hash(db, id);
    assert(((uintptr_t)sh & PMAP_TAG_MASK) == 0);
    m->slots[pmap_find(m, id, h)] = (uintptr_t)sh | pmap_tag(h);
}

/* Capacity a project map of n shards is rebuilt with: at most half full,
 * so it grows only after as many creations again. */
static uint64_t pmap_fit(uint64_t n)
{
    uint64_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

/* Rebuild db's map with cap slots from the shards of db->order. */
static void pmap_rebuild(struct db *db, uint64_t cap)
{
    struct pmap *m = &db->projects;
    struct store *st = db->st;
    st->pmap_gen++; /* shards may leave: pointers from before may dangle */
    st->shard_bytes -= m->cap * sizeof *m->slots;
    rs_free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    if (db->norder == 0)
        return;
    m->cap = cap;
    m->slots = rs_calloc(cap, sizeof *m->slots);
    st->shard_bytes += cap * sizeof *m->slots;
    for (size_t i = 0; i < db->norder; i++)
        pmap_insert(db, db->order[i]);
}

/* Add sh, just appended to db->order (so norder counts it): the map holds
 * every shard of the order array. */
static void pmap_put(struct db *db, struct shard *sh)
{
    struct pmap *m = &db->projects;
    if (db->norder * 4 > m->cap * 3) {
        pmap_rebuild(db, m->cap ? m->cap * 2 : 8);
        return;
    }
    pmap_insert(db, sh);
}

/* ------------------------------------------------------------------------
 * Ranks of shards, sets of them, and the tree of key counts (struct ranks)
 * ------------------------------------------------------------------------ */

/* Add r to the set unless it is in. O(1) amortized. */
static void rankset_add(struct rankset *s, uint32_t r)
{
    uint64_t bit = 1ULL << (r & 63);
    if (s->bits[r >> 6] & bit)
        return;
    s->bits[r >> 6] |= bit;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->list = rs_realloc(s->list, s->cap * sizeof *s->list);
    }
    s->list[s->n++] = r;
}

/* s has just become empty: a burst (a load, a flush) leaves no big list
 * behind, while a small one stays for the next adds. */
static void rankset_emptied(struct rankset *s)
{
    if (s->cap > 64) {
        rs_free(s->list);
        s->list = NULL;
        s->cap = 0;
    }
}

/* Take the last member out of the set and return it; s is not empty. */
static uint32_t rankset_pop(struct rankset *s)
{
    uint32_t r = s->list[--s->n];
    s->bits[r >> 6] &= ~(1ULL << (r & 63));
    if (s->n == 0)
        rankset_emptied(s);
    return r;
}

/* Take every member out. O(members). */
static void rankset_clear(struct rankset *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        s->bits[s->list[i] >> 6] = 0;
    s->n = 0;
    rankset_emptied(s);
}

/* Room for ranks up to cap in s's bitmap (from old_cap). */
static void rankset_grow(struct rankset *s, uint32_t old_cap, uint32_t cap)
{
    size_t words = cap / 64 + 1, old_words = old_cap ? old_cap / 64 + 1 : 0;
    s->bits = rs_realloc(s->bits, words * sizeof *s->bits);
    memset(s->bits + old_words, 0, (words - old_words) * sizeof *s->bits);
}

static void rankset_free(struct rankset *s)
{
    rs_free(s->bits);
    rs_free(s->list);
    memset(s, 0, sizeof *s);
}

/* The shard of rank r of db: 1 is the global shard, r >= 2 order[r - 2]. */
static struct shard *rank_shard(struct db *db, uint32_t r)
{
    return r == 1 ? &db->global : db->order[r - 2];
}

static void tree_add(struct ranks *k, uint32_t r, uint64_t delta)
{
    for (; r <= k->cap; r += r & -r)
        k->sum[r] += delta; /* unsigned wrap-around subtracts */
}

/* The count the tree holds for rank r. O(log cap). */
static uint64_t tree_get(const struct ranks *k, uint32_t r)
{
    uint64_t v = k->sum[r];
    for (uint32_t stop = r - (r & -r), j = r - 1; j != stop; j -= j & -j)
        v -= k->sum[j];
    return v;
}

/* Double the ranks of db. A Fenwick tree over 1..2cap keeps its first cap
 * sums; of the new ones only sum[2cap] covers old ranks, all of them. */
static void ranks_grow(struct db *db)
{
    struct ranks *k = &db->ranks;
    uint32_t old = k->cap, cap = old ? old * 2 : 1;
    k->sum = rs_realloc(k->sum, (cap + 1) * sizeof *k->sum);
    memset(k->sum + old + 1, 0, (cap - old) * sizeof *k->sum);
    if (old)
        k->sum[cap] = k->sum[old];
    rankset_grow(&k->dirty, old, cap);
    rankset_grow(&db->rehashing, old, cap);
    k->cap = cap;
}

/* sh takes rank r, its place in its db (1 for the global shard, then its
 * index in the order array + 2), with a count of 0 in the tree until its
 * dirty mark is applied. O(1) amortized. */
static void rank_take(struct shard *sh, uint32_t r)
{
    struct ranks *k = &sh->db->ranks;
    while (r > k->cap)
        ranks_grow(sh->db);
    sh->rank = r;
    rankset_add(&k->dirty, r);
}

static void ranks_free(struct db *db)
{
    rs_free(db->ranks.sum);
    rankset_free(&db->ranks.dirty);
    rankset_free(&db->rehashing);
    memset(&db->ranks, 0, sizeof db->ranks);
}

/* Fill db's tree from every shard's count at once, in O(cap) (each sum
 * passes itself to the next that covers it), and empty the dirty set:
 * cheaper than applying the dirty ranks one by one when most are, as after
 * a load. */
static void tree_rebuild(struct db *db)
{
    struct ranks *k = &db->ranks;
    uint32_t last = (uint32_t)db->norder + 1; /* the highest rank in use */
    for (uint32_t r = 1; r <= k->cap; r++)
        k->sum[r] = r <= last ? tbl_count(&rank_shard(db, r)->tbl) : 0;
    for (uint32_t r = 1; r <= k->cap; r++) {
        uint32_t up = r + (r & -r);
        if (up <= k->cap)
            k->sum[up] += k->sum[r];
    }
    rankset_clear(&k->dirty);
}

struct shard *ks_random_shard(struct db *db, uint64_t r)
{
    struct ranks *k = &db->ranks;
    if (k->dirty.n > k->cap / 16) {
        tree_rebuild(db);
    } else {
        while (k->dirty.n > 0) {
            uint32_t d = rankset_pop(&k->dirty);
            tree_add(k, d, tbl_count(&rank_shard(db, d)->tbl) - tree_get(k, d));
        }
    }
    if (db->nkeys == 0)
        return NULL;
    /* The shard of the (r mod nkeys)-th key: descend from the top sum. */
    uint64_t x = r % db->nkeys;
    uint32_t pos = 0;
    for (uint32_t step = k->cap; step > 0; step >>= 1) {
        if (pos + step <= k->cap && k->sum[pos + step] <= x) {
            pos += step;
            x -= k->sum[pos];
        }
    }
    return rank_shard(db, pos + 1);
}

/* ------------------------------------------------------------------------
 * The db's indexes of its shards
 * ------------------------------------------------------------------------ */

/* sh's key count changed by delta. O(1). */
static void count_keys(struct shard *sh, int delta)
{
    sh->db->nkeys += (uint64_t)(int64_t)delta;
    rankset_add(&sh->db->ranks.dirty, sh->rank);
}

/* After an insert or an unlink in sh's table, which may start a rehash:
 * list sh for the background steps (ks_rehash_step) if it does. (KEYS and
 * SCAN change nothing while they walk a key table, so the end of their walk
 * starts no resize.) */
static void note_rehash(struct shard *sh)
{
    if (sh->tbl.rehash_idx != -1)
        rankset_add(&sh->db->rehashing, sh->rank);
}


/* sh, new (about to be appended to the order array) or the global shard
 * of a db just flushed, enters its db's indexes. */
static void shard_join(struct shard *sh)
{
    sh->due_idx = EXP_NONE;
    rank_take(sh, sh->is_project ? (uint32_t)sh->db->norder + 2 : 1);
}

/* Number db's shards again by their places, after a compaction moved them
 * in the order array: the rank arrays and sets shrink with the shards. The
 * tree is filled again when RANDOMKEY next reads it. O(shards). */
static void ranks_rebuild(struct db *db)
{
    ranks_free(db);
    rank_take(&db->global, 1);
    note_rehash(&db->global);
    for (size_t i = 0; i < db->norder; i++) {
        rank_take(db->order[i], (uint32_t)i + 2);
        note_rehash(db->order[i]);
    }
}

/* Empty db's indexes, and its counters, as a flush empties it. */
static void db_indexes_free(struct db *db)
{
    exp_heap_free(&db->due);
    ranks_free(db);
    db->nkeys = db->nexpires = db->nsubexpires = 0;
    db->sum_deadlines = 0;
}

/* ------------------------------------------------------------------------
 * Shards
 * ------------------------------------------------------------------------ */

static void shard_init(struct shard *sh, struct db *db)
{
    memset(sh, 0, sizeof *sh);
    tbl_init(&sh->tbl, db->st->seed);
    sh->db = db;
}

static size_t shard_size(const struct shard *sh)
{
    return sizeof *sh + sh->idlen;
}

static void order_resize(struct db *db, size_t cap)
{
    db->st->shard_bytes += (cap - db->order_cap) * sizeof *db->order;
    db->order_cap = cap;
    db->order = rs_realloc(db->order, cap * sizeof *db->order);
}

/* A new, empty project shard (is_empty until ks_add puts a key in it). */
static struct shard *shard_new(struct db *db, struct rs_str id)
{
    struct shard *sh = rs_malloc(sizeof *sh + id.len);
    shard_init(sh, db);
    memcpy((char *)shard_id(sh), id.p, id.len);
    sh->idlen = (uint32_t)id.len;
    sh->is_project = true;
    sh->is_empty = true;
    db->nempty++;
    db->st->shard_bytes += shard_size(sh);
    /* SCAN cursors hold a seq in KS_SEQ_BITS bits. Once the counter runs
     * out (after 2^24 shard creations in this db), renumber the live shards
     * in order: only a SCAN in flight at that moment may miss keys. */
    if (db->next_seq + 1 >= (1ULL << KS_SEQ_BITS)) {
        for (size_t i = 0; i < db->norder; i++)
            db->order[i]->seq = (uint32_t)(i + 1);
        db->next_seq = db->norder;
    }
    sh->seq = (uint32_t)++db->next_seq;
    shard_join(sh);
    if (db->norder == db->order_cap)
        order_resize(db, db->order_cap ? db->order_cap * 2 : 8);
    db->order[db->norder++] = sh; /* seq only grows: the array stays sorted */
    pmap_put(db, sh);
    return sh;
}

static void free_entry_cb(void *ud, struct entry *e)
{
    obj_free(ud, e);
}

/* Free every entry and the tables of sh, not sh itself. */
static void shard_clear(struct shard *sh)
{
    tbl_free(&sh->tbl, free_entry_cb, sh);
    shard_ttl_free(sh);
}

static void shard_free(struct shard *sh)
{
    shard_clear(sh);
    sh->db->st->shard_bytes -= shard_size(sh);
    rs_free(sh);
}

/* Free db's empty project shards; the order array and the map shrink to
 * fit the rest. O(shards), run once at least as many shards are empty as
 * have keys, so each emptied shard pays O(1) amortized. */
static void db_compact(struct db *db)
{
    size_t n = 0;
    for (size_t i = 0; i < db->norder; i++) {
        struct shard *sh = db->order[i];
        if (tbl_count(&sh->tbl) == 0) {
            /* Without keys it has no deadline (not in db->due); its rank
             * goes with the renumbering below. */
            assert(sh->due_idx == EXP_NONE);
            shard_free(sh);
        } else {
            db->order[n++] = sh; /* in seq order still */
        }
    }
    db->norder = n;
    db->nempty = 0;
    size_t cap = db->order_cap;
    while (cap > 8 && n * 2 < cap)
        cap /= 2;
    if (n == 0) {
        db->st->shard_bytes -= db->order_cap * sizeof *db->order;
        rs_free(db->order);
        db->order = NULL;
        db->order_cap = 0;
    } else if (cap != db->order_cap) {
        order_resize(db, cap);
    }
    pmap_rebuild(db, pmap_fit(n));
    ranks_rebuild(db);
}

struct shard *ks_project(struct db *db, struct rs_str id)
{
    const struct pmap *m = &db->projects;
    return m->cap ? slot_shard(m->slots[pmap_find(m, id, id_hash(db, id))]) : NULL;
}

/* Whether sh, found while the maps were at generation gen, is still the
 * shard of project id in db. */
static bool route_holds(const struct shard *sh, uint64_t gen, const struct db *db,
                        struct rs_str id)
{
    return sh && gen == db->st->pmap_gen && sh->db == db && sh->idlen == id.len &&
           memcmp(shard_id(sh), id.p, id.len) == 0;
}

struct shard *ks_shard(struct db *db, struct rs_str key, bool create)
{
    struct rs_str id;
    if (!ks_project_id(key, &id))
        return &db->global;
    /* A command resolves its key several times (the prefetch, the lookup,
     * the count of the shard's commands): the last shard found is checked
     * first, which skips the map's hash and probes. */
    struct store *st = db->st;
    if (route_holds(st->route_sh, st->route_gen, db, id))
        return st->route_sh;
    struct shard *sh = ks_project(db, id);
    if (sh == NULL && create)
        sh = shard_new(db, id);
    if (sh)
        ks_route_remember(st, sh, st->pmap_gen);
    return sh;
}

void ks_route_remember(struct store *st, struct shard *sh, uint64_t gen)
{
    st->route_sh = sh;
    st->route_gen = gen;
}

void ks_route_begin(struct ks_route *r, struct db *db, struct rs_str key)
{
    r->db = db;
    r->gen = db->st->pmap_gen;
    r->is_project = ks_project_id(key, &r->id);
    if (!r->is_project || db->projects.cap == 0)
        return;
    r->h = id_hash(db, r->id);
    __builtin_prefetch(&db->projects.slots[r->h & (db->projects.cap - 1)]);
}

struct shard *ks_route_guess(const struct ks_route *r)
{
    const struct pmap *m = &r->db->projects;
    if (!r->is_project)
        return &r->db->global;
    if (r->gen != r->db->st->pmap_gen || m->cap == 0)
        return NULL;
    /* The first shard whose tag matches: the project's, most likely; no
     * id compare here, as the command checks it (ks_shard's route). */
    uint64_t mask = m->cap - 1, i = r->h & mask;
    uintptr_t tag = pmap_tag(r->h);
    while (m->slots[i] && (m->slots[i] & PMAP_TAG_MASK) != tag)
        i = (i + 1) & mask;
    struct shard *sh = slot_shard(m->slots[i]);
    if (sh == NULL)
        return NULL;
    /* From the header (the table, db, idlen) to the id the check compares
     * (up to 16 bytes of it). */
    prefetch_span(sh, sizeof *sh + 16);
    return sh;
}

void ks_reap_empty(struct store *st)
{
    if (!st->has_empty)
        return;
    st->has_empty = false;
    for (int d = 0; d < st->ndbs; d++) {
        struct db *db = st->dbs[d];
        if (db->nempty > 0 && db->nempty * 2 >= db->norder)
            db_compact(db);
    }
}

/* sh lost its last key: it stays, empty, until its db compacts. */
static void mark_if_empty(struct shard *sh)
{
    if (sh->is_project && !sh->is_empty && tbl_count(&sh->tbl) == 0) {
        sh->is_empty = true;
        sh->db->nempty++;
        sh->db->st->has_empty = true;
    }
}

/* A key goes into sh: if it was empty, it is a fresh project again. */
static void unmark_empty(struct shard *sh)
{
    if (sh->is_empty) {
        sh->is_empty = false;
        sh->db->nempty--;
        sh->ncommands = 0; /* counted for a project that had no keys */
    }
}

/* ------------------------------------------------------------------------
 * Lazy freeing: big values of deleted keys, and whole flushed shards, are
 * freed by respite_tick in slices, so neither the command that deletes them
 * nor any later one waits for the frees.
 * ------------------------------------------------------------------------ */

/* Values whose obj_free_effort passes this are freed in the background
 * (Redis's LAZYFREE_THRESHOLD): a smaller one is cheaper to free at once. */
#define LAZY_THRESHOLD 64
/* Work (obj_free_effort's units) between two reads of the clock. */
#define LAZY_STEP 1024
/* A store whose respite_tick has not run for this long has nothing freeing
 * in the background (an embedder that does not tick): deletions free at
 * once. The server ticks at least once a second. */
#define LAZY_TICK_GAP_US 2000000

struct lazy_val {
    struct lazy_val *next;
    struct entry *e;
    size_t bytes; /* obj_disown's, off used_memory once e is freed */
};

static bool has_background(const struct store *st)
{
    return st->last_tick_us != 0 && rs_mono_us() - st->last_tick_us < LAZY_TICK_GAP_US;
}

/* Queue e, out of sh's table and heaps, for freeing in slices; the caller
 * counts it pending if it is not yet. O(1). */
static void lazy_push(struct store *st, struct shard *sh, struct entry *e)
{
    struct lazy_val *v = rs_malloc(sizeof *v);
    v->next = NULL;
    v->e = e;
    v->bytes = obj_disown(sh, e);
    if (st->lazy_tail)
        st->lazy_tail->next = v;
    else
        st->lazy_head = v;
    st->lazy_tail = v;
}

/* Free e, out of sh's table and heaps: in the background when lazy, e is
 * big and respite_tick runs, else at once. */
static void drop(struct shard *sh, struct entry *e, bool lazy)
{
    struct store *st = sh->db->st;
    if (lazy && obj_free_effort(e) > LAZY_THRESHOLD && has_background(st)) {
        lazy_push(st, sh, e);
        st->lazy_pending++;
    } else {
        obj_free(sh, e);
    }
}

/* ------------------------------------------------------------------------
 * Lookups
 * ------------------------------------------------------------------------ */

static struct entry *find(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    struct shard *sh = ks_shard(db, key, false);
    if (sh == NULL)
        return NULL;
    /* The running command's key has its hash from the batch's prefetch. */
    struct store *st = c->st;
    struct entry **ref = st->key_t == &sh->tbl && key.p == st->key_hint.p &&
                                 key.len == st->key_hint.len
                             ? tbl_find_ref_hint(&sh->tbl, key.p, key.len, st->key_h)
                             : tbl_find_ref(&sh->tbl, key.p, key.len);
    if (ref == NULL)
        return NULL;
    if (exp_is_due(sh, *ref, c->now)) {
        struct kloc dead = {sh, ref};
        ks_delete_lazy(&dead, c->st->cfg.lazyfree_expire);
        c->st->stats.expired_keys++;
        return NULL;
    }
    if (exp_sub_due(sh, *ref, c->now)) {
        /* Due fields or members go before anyone sees the container; the
         * key goes with them if they were all it had. */
        struct kloc at = {sh, ref};
        bool deleted;
        exp_sub_expire(&at, c->now, 0, &deleted);
        if (deleted)
            return NULL;
    }
    if (loc) {
        loc->sh = sh;
        loc->ref = ref;
    }
    return *ref;
}

struct entry *ks_peek(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    return find(c, db, key, loc);
}

struct entry *ks_read(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    struct entry *e = find(c, db, key, loc);
    if (e == NULL) {
        c->st->stats.keyspace_misses++;
        return NULL;
    }
    c->st->stats.keyspace_hits++;
    if (!(c->s->flags & SES_NO_TOUCH))
        e->lru = store_lru(c->st);
    return e;
}

struct entry *ks_write(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    struct entry *e = find(c, db, key, loc);
    if (e && !(c->s->flags & SES_NO_TOUCH))
        e->lru = store_lru(c->st);
    return e;
}

static struct entry *check_type(struct cmd_ctx *c, struct entry *e, int type, bool *wrong)
{
    *wrong = false;
    if (e && (int)e->type != type) {
        reply_err(c, RS_ERR_WRONGTYPE);
        *wrong = true;
        return NULL;
    }
    return e;
}

struct entry *ks_read_type(struct cmd_ctx *c, struct rs_str key, int type, struct kloc *loc,
                           bool *wrong)
{
    return check_type(c, ks_read(c, c->db, key, loc), type, wrong);
}

struct entry *ks_write_type(struct cmd_ctx *c, struct rs_str key, int type, struct kloc *loc,
                            bool *wrong)
{
    return check_type(c, ks_write(c, c->db, key, loc), type, wrong);
}

/* ------------------------------------------------------------------------
 * Changes
 * ------------------------------------------------------------------------ */

/* The subttl of e if e is a container with sub-key deadlines. */
static struct subttl *subttl_of(const struct entry *e)
{
    return e->type == OBJ_HASH || e->type == OBJ_SET ? *obj_subttl(e) : NULL;
}

/* Put the container e in sh's heap of containers keyed by next, its
 * earliest sub-key deadline (obj_sub_next), or update it; nothing when
 * next is -1. The one place a subttl is made for a packed container, whose
 * deadlines are in its pack: it holds only this registration, and its
 * bytes are accounted here. */
static void sub_register_at(struct shard *sh, struct entry *e, int64_t next)
{
    if (next == -1)
        return;
    struct subttl **tp = obj_subttl(e);
    if (*tp == NULL) {
        *tp = subttl_new();
        obj_account_change(sh, 0, subttl_bytes(*tp));
    }
    (*tp)->key = e;
    exp_sub_set(sh, *tp, next);
}

/* sub_register_at for e of any type. */
static void sub_register(struct shard *sh, struct entry *e)
{
    if (e->type == OBJ_HASH || e->type == OBJ_SET)
        sub_register_at(sh, e, obj_sub_next(e));
}

static void sub_unregister(struct shard *sh, struct entry *e)
{
    struct subttl *t = subttl_of(e);
    if (t)
        exp_sub_del(sh, t);
}

void ks_add(struct db *db, struct shard *sh, struct entry *e)
{
    (void)db;
    e->lru = store_lru(sh->db->st);
    unmark_empty(sh);
    tbl_insert(&sh->tbl, e);
    count_keys(sh, 1);
    note_rehash(sh);
    sub_register(sh, e);
    ks_changed(sh->db, rs_str_from(entry_key(e), e->klen));
}

bool ks_value_changed(struct kloc *loc, size_t before)
{
    struct entry *e = *loc->ref;
    struct subttl **tp = obj_subttl(e);
    int64_t next = obj_sub_next(e);
    if (*tp && next == -1) {
        exp_sub_del(loc->sh, *tp);
        subttl_free(*tp);
        *tp = NULL;
    }
    obj_account_change(loc->sh, before, obj_bytes(e));
    sub_register_at(loc->sh, e, next);
    if (obj_sub_count(e) != 0)
        return false;
    ks_delete(loc);
    return true;
}

void ks_replace(struct kloc *loc, struct entry *e, bool keep_ttl)
{
    struct entry *old = *loc->ref;
    if (old->exp_idx != EXP_NONE) {
        if (keep_ttl) {
            e->exp_idx = old->exp_idx;
            old->exp_idx = EXP_NONE;
            exp_moved(loc->sh, e);
        } else {
            exp_clear(loc->sh, old);
        }
    }
    sub_unregister(loc->sh, old);
    tbl_replace(&loc->sh->tbl, loc->ref, e);
    sub_register(loc->sh, e);
    drop(loc->sh, old, loc->sh->db->st->cfg.lazyfree_server_del);
    ks_changed(loc->sh->db, rs_str_from(entry_key(e), e->klen));
}

void ks_set(struct cmd_ctx *c, struct db *db, struct rs_str key, struct entry *e)
{
    struct kloc loc;
    if (ks_write(c, db, key, &loc)) {
        e->lru = store_lru(c->st);
        ks_replace(&loc, e, false);
    } else {
        ks_add(db, ks_shard(db, key, true), e);
    }
}

void ks_delete(struct kloc *loc)
{
    ks_delete_lazy(loc, loc->sh->db->st->cfg.lazyfree_server_del);
}

void ks_delete_lazy(struct kloc *loc, bool lazy)
{
    struct shard *sh = loc->sh; /* still there: empty shards are reaped after the command */
    drop(sh, ks_take(loc), lazy);
}

struct entry *ks_take(struct kloc *loc)
{
    struct entry *e = tbl_unlink(&loc->sh->tbl, loc->ref);
    count_keys(loc->sh, -1);
    note_rehash(loc->sh);
    exp_clear(loc->sh, e);
    sub_unregister(loc->sh, e);
    /* After the unlink: a WATCH of a key already expired when watched is
     * not broken by the removal of that key (multi.c). */
    ks_touch(loc->sh->db, rs_str_from(entry_key(e), e->klen));
    ks_signal_deleted(loc->sh->db, rs_str_from(entry_key(e), e->klen));
    mark_if_empty(loc->sh);
    return e;
}

bool ks_delete_key(struct cmd_ctx *c, struct db *db, struct rs_str key, bool lazy)
{
    struct kloc loc;
    if (ks_write(c, db, key, &loc) == NULL)
        return false;
    ks_delete_lazy(&loc, lazy);
    return true;
}

/* ------------------------------------------------------------------------
 * Whole databases
 * ------------------------------------------------------------------------ */

struct db *db_new(struct store *st, int idx)
{
    struct db *db = rs_calloc(1, sizeof *db);
    db->st = st;
    db->idx = idx;
    exp_heap_init(&db->due, offsetof(struct shard, due_idx));
    shard_init(&db->global, db);
    shard_join(&db->global);
    return db;
}

void ks_foreach_shard(struct db *db, void (*fn)(void *ud, struct shard *sh), void *ud)
{
    fn(ud, &db->global);
    for (size_t i = 0; i < db->norder; i++)
        fn(ud, db->order[i]);
}

uint64_t ks_db_size(const struct db *db)
{
    return db->nkeys;
}

uint64_t ks_db_expires(const struct db *db, bool sub)
{
    return sub ? db->nsubexpires : db->nexpires;
}

uint64_t ks_db_avg_ttl(const struct db *db, int64_t now)
{
    if (db->nexpires == 0)
        return 0;
    int64_t avg = (int64_t)(db->sum_deadlines / db->nexpires);
    return avg > now ? (uint64_t)(avg - now) : 0;
}

static void to_garbage(struct store *st, struct shard *sh)
{
    sh->next_garbage = st->garbage;
    st->garbage = sh;
    st->lazy_pending += tbl_count(&sh->tbl); /* Redis counts a flushed db's keys */
}

void ks_flush_db(struct store *st, struct db *db, bool async)
{
    async = async && has_background(st);
    ks_touch_db(db, NULL);
    ks_signal_db(db);
    for (size_t i = 0; i < db->norder; i++) {
        struct shard *sh = db->order[i];
        if (async)
            to_garbage(st, sh);
        else
            shard_free(sh);
    }
    st->shard_bytes -= db->order_cap * sizeof *db->order;
    rs_free(db->order);
    db->order = NULL;
    db->norder = db->order_cap = db->nempty = 0;
    pmap_rebuild(db, 0); /* frees the map */
    if (async && tbl_count(&db->global.tbl)) {
        struct shard *g = rs_malloc(sizeof *g);
        *g = db->global; /* like the db's own, not in shard_bytes */
        to_garbage(st, g);
        shard_init(&db->global, db);
    } else {
        shard_clear(&db->global);
    }
    /* Every shard left, the global one is empty: start the indexes over. */
    db_indexes_free(db);
    shard_join(&db->global);
}

/* An entry of a garbage shard (ud): a big value joins the queue of values,
 * as UNLINK's would, so one huge value does not hold up a slice. */
static void free_garbage_entry(void *ud, struct entry *e)
{
    struct shard *sh = ud;
    struct store *st = sh->db->st;
    if (obj_free_effort(e) > LAZY_THRESHOLD) {
        lazy_push(st, sh, e); /* pending already, as a key of the shard */
        return;
    }
    obj_free(sh, e);
    st->lazy_pending--;
    st->stats.lazyfreed++;
}

/* Spend up to *work on the queue of values, then on garbage shards. */
static void free_lazy_some(struct store *st, int64_t *work)
{
    while (*work > 0 && st->lazy_head) {
        struct lazy_val *v = st->lazy_head;
        if (!obj_free_some(st, v->e, v->bytes, work))
            return;
        st->lazy_head = v->next;
        if (st->lazy_head == NULL)
            st->lazy_tail = NULL;
        rs_free(v);
        st->lazy_pending--;
        st->stats.lazyfreed++;
    }
    while (*work > 0 && st->garbage) {
        struct shard *sh = st->garbage;
        if (!tbl_free_some(&sh->tbl, work, free_garbage_entry, sh))
            return;
        st->garbage = sh->next_garbage;
        shard_ttl_free(sh);
        if (sh->is_project)
            st->shard_bytes -= shard_size(sh);
        rs_free(sh);
    }
}

int ks_free_garbage(struct store *st, int64_t budget_us)
{
    int64_t end = rs_mono_us() + budget_us;
    while (st->lazy_head || st->garbage) {
        int64_t work = LAZY_STEP;
        free_lazy_some(st, &work);
        if (rs_mono_us() >= end)
            return st->lazy_head || st->garbage;
    }
    return 0;
}

void db_free(struct store *st, struct db *db)
{
    ks_flush_db(st, db, false);
    db_indexes_free(db);
    rs_free(db);
}

int ks_rehash_step(struct store *st, int64_t budget_us)
{
    int64_t end = rs_mono_us() + budget_us;
    for (int d = 0; d < st->ndbs; d++) {
        struct db *db = st->dbs[d];
        struct rankset *rh = &db->rehashing;
        while (rh->n > 0) {
            /* The last listed: a table leaves once its rehash is done and it
             * needs no shrink (tbl_rehash starts one it was held back from).
             * Listed ranks are live: a shard is freed only by a compaction,
             * which numbers the rest again, or a flush, which empties the
             * set. */
            struct shard *sh = rank_shard(db, rh->list[rh->n - 1]);
            st->timer_visits++;
            if (!tbl_rehash(&sh->tbl, 100))
                rankset_pop(rh);
            if (rs_mono_us() >= end) {
                for (; d < st->ndbs; d++)
                    if (st->dbs[d]->rehashing.n > 0)
                        return 1;
                return 0;
            }
        }
    }
    return 0;
}
