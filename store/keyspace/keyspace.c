/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyspace: databases, project shards and key lookups.
 *
 * A database holds a global shard and its projects. A key
 * "project:<id>:<rest>" or "project:{<id>}:<rest>" (id non-empty) lives in
 * project <id>; every other key in the global shard. A project starts as
 * a record of one key (struct tiny, 32 bytes), whose key is accounted to
 * the db's shard `small` with its deadlines, and becomes a shard of its
 * own at its second key: most of what a project costs is the shard, and
 * many projects have one key. Projects are found through an
 * open-addressing map (pmap) keyed by id and are created on first write.
 * Each database also keeps its projects in an array sorted by their
 * creation sequence number: SCAN visits projects in that order, so one
 * created during a scan is visited after those that existed before it.
 *
 * A project that loses its last key stays where it is, empty: a write to
 * it fills it again. Once as many of a db's projects are empty as have
 * keys, the db compacts after the command (ks_reap_empty, never while a
 * command may hold a kloc in a project): empty ones are freed and the
 * order array and map are rebuilt to fit the rest. So
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
 * Places. The map and the order array hold a db's projects as places: the
 * address of a project's shard, or of its struct tiny with PLACE_TINY set
 * (the low bits are zero in both, as malloc aligns for any type). A
 * project is a tiny one from its first key until a second comes
 * (ks_shard); it never goes back, but a compaction frees it once empty.
 * ------------------------------------------------------------------------ */

#define PLACE_TINY ((uintptr_t)1)
#define PLACE_MASK ((uintptr_t)_Alignof(max_align_t) - 1)
static_assert(_Alignof(max_align_t) >= 16, "a map slot's tag needs 4 free bits");
static_assert(offsetof(struct tiny, e) == 0, "a kloc's ref into a tiny project is its address");
/* The longest id a tiny project holds (its idlen is a byte). */
#define TINY_ID_MAX 255

static bool place_is_tiny(uintptr_t v)
{
    return v & PLACE_TINY;
}

static struct tiny *place_tiny(uintptr_t v)
{
    return (struct tiny *)(v & ~PLACE_MASK);
}

static struct shard *place_shard(uintptr_t v)
{
    return (struct shard *)(v & ~PLACE_MASK);
}

static struct rs_str place_id(uintptr_t v)
{
    if (place_is_tiny(v))
        return rs_str_from(place_tiny(v)->id, place_tiny(v)->idlen);
    return rs_str_from(shard_id(place_shard(v)), place_shard(v)->idlen);
}

static uint32_t place_seq(uintptr_t v)
{
    return place_is_tiny(v) ? place_tiny(v)->seq : place_shard(v)->seq;
}

static uint64_t place_count(uintptr_t v)
{
    return place_is_tiny(v) ? place_tiny(v)->e != NULL : tbl_count(&place_shard(v)->tbl);
}

static bool key_is(const struct entry *e, struct rs_str key)
{
    return e->klen == key.len && memcmp(entry_key(e), key.p, key.len) == 0;
}

static size_t tiny_size(const struct tiny *t)
{
    return offsetof(struct tiny, id) + t->idlen;
}

/* ------------------------------------------------------------------------
 * Project map: linear probing, load at most 3/4. Nothing is deleted from
 * it one by one: projects leave only when the db compacts (db_compact),
 * which rebuilds the map at the size that fits the projects left.
 *
 * A slot holds its project's place with bits of the id's hash in the low
 * bits the place leaves zero, 0 when empty: a probe reads a project only
 * when the bits match, so passing the slots of other projects costs no
 * miss on theirs.
 * ------------------------------------------------------------------------ */

static uint64_t id_hash(const struct db *db, struct rs_str id)
{
    return XXH3_64bits_withSeed(id.p, id.len, db->st->seed);
}

/* The tag of hash h: bits the slot index and PLACE_TINY do not use. */
static uintptr_t pmap_tag(uint64_t h)
{
    return (uintptr_t)(h >> 58) & PLACE_MASK & ~PLACE_TINY;
}

/* The place a slot holds. */
static uintptr_t slot_place(uintptr_t v)
{
    return v & ~(PLACE_MASK & ~PLACE_TINY);
}

/* The index of id's slot in m (which has slots), h being id's hash: its
 * project's, or the empty one where it would go. */
static uint64_t pmap_find(const struct pmap *m, struct rs_str id, uint64_t h)
{
    uint64_t mask = m->cap - 1;
    uintptr_t tag = pmap_tag(h);
    for (uint64_t i = h & mask;; i = (i + 1) & mask) {
        uintptr_t v = m->slots[i];
        if (v == 0)
            return i;
        if ((v & PLACE_MASK & ~PLACE_TINY) == tag && rs_str_eq(place_id(slot_place(v)), id))
            return i;
    }
}

/* Put place v, not in db's map (or there to be replaced, with the same
 * id), in a map with room for it. */
static void pmap_insert(struct db *db, uintptr_t v)
{
    struct pmap *m = &db->projects;
    struct rs_str id = place_id(v);
    uint64_t h = id_hash(db, id);
    m->slots[pmap_find(m, id, h)] = v | pmap_tag(h);
}

/* Capacity a project map of n projects is rebuilt with: at most half
 * full, so it grows only after as many creations again. */
static uint64_t pmap_fit(uint64_t n)
{
    uint64_t cap = 8;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

/* Rebuild db's map with cap slots from the projects of db->order. */
static void pmap_rebuild(struct db *db, uint64_t cap)
{
    struct pmap *m = &db->projects;
    struct store *st = db->st;
    st->pmap_gen++; /* projects may leave: pointers from before may dangle */
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

/* Add v, just appended to db->order (so norder counts it): the map holds
 * every project of the order array. */
static void pmap_put(struct db *db, uintptr_t v)
{
    struct pmap *m = &db->projects;
    if (db->norder * 4 > m->cap * 3) {
        pmap_rebuild(db, m->cap ? m->cap * 2 : 8);
        return;
    }
    pmap_insert(db, v);
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

/* The place of rank r of db: 1 is the global shard, r >= 2 order[r - 2]. */
static uintptr_t rank_place(const struct db *db, uint32_t r)
{
    return r == 1 ? (uintptr_t)&db->global : db->order[r - 2];
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

/* Place v of db takes rank r (1 for the global shard, then its index in
 * the order array + 2), with a count of 0 in the tree until its dirty mark
 * is applied. O(1) amortized. */
static void rank_take(struct db *db, uintptr_t v, uint32_t r)
{
    struct ranks *k = &db->ranks;
    while (r > k->cap)
        ranks_grow(db);
    if (place_is_tiny(v))
        place_tiny(v)->rank = r;
    else
        place_shard(v)->rank = r;
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
        k->sum[r] = r <= last ? place_count(rank_place(db, r)) : 0;
    for (uint32_t r = 1; r <= k->cap; r++) {
        uint32_t up = r + (r & -r);
        if (up <= k->cap)
            k->sum[up] += k->sum[r];
    }
    rankset_clear(&k->dirty);
}

/* A project (or the global shard) as ks.h shows it. */
static struct ks_proj proj_of(struct db *db, uintptr_t v)
{
    if (place_is_tiny(v))
        return (struct ks_proj){&db->small, place_tiny(v)};
    return (struct ks_proj){place_shard(v), NULL};
}

bool ks_random_project(struct db *db, uint64_t x, struct ks_proj *p)
{
    struct ranks *k = &db->ranks;
    if (k->dirty.n > k->cap / 16) {
        tree_rebuild(db);
    } else {
        while (k->dirty.n > 0) {
            uint32_t d = rankset_pop(&k->dirty);
            tree_add(k, d, place_count(rank_place(db, d)) - tree_get(k, d));
        }
    }
    if (db->nkeys == 0)
        return false;
    /* The shard of the x-th key: descend from the top sum. */
    x %= db->nkeys;
    uint32_t pos = 0;
    for (uint32_t step = k->cap; step > 0; step >>= 1) {
        if (pos + step <= k->cap && k->sum[pos + step] <= x) {
            pos += step;
            x -= k->sum[pos];
        }
    }
    *p = proj_of(db, rank_place(db, pos + 1));
    return true;
}

/* ------------------------------------------------------------------------
 * The db's indexes of its shards
 * ------------------------------------------------------------------------ */

/* The key count of db's place of rank r changed by delta. O(1). */
static void count_keys(struct db *db, uint32_t rank, int delta)
{
    db->nkeys += (uint64_t)(int64_t)delta;
    rankset_add(&db->ranks.dirty, rank);
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



/* Number db's shards again by their places, after a compaction moved them
 * in the order array: the rank arrays and sets shrink with the shards. The
 * tree is filled again when RANDOMKEY next reads it. O(shards). */
static void ranks_rebuild(struct db *db)
{
    ranks_free(db);
    rank_take(db, (uintptr_t)&db->global, 1);
    note_rehash(&db->global);
    for (size_t i = 0; i < db->norder; i++) {
        rank_take(db, db->order[i], (uint32_t)i + 2);
        if (!place_is_tiny(db->order[i]))
            note_rehash(place_shard(db->order[i]));
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
 * Registration of containers with sub-key deadlines
 * ------------------------------------------------------------------------ */

/* The subttl of e if e is a container with sub-key deadlines. */
static struct subttl *subttl_of(const struct entry *e)
{
    return e->type == OBJ_HASH || e->type == OBJ_SET ? obj_subttl(e) : NULL;
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
    struct subttl **tp = obj_subttl_slot(e);
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

/* ------------------------------------------------------------------------
 * Shards
 * ------------------------------------------------------------------------ */

static void shard_init(struct shard *sh, struct db *db)
{
    memset(sh, 0, sizeof *sh);
    tbl_init(&sh->tbl, db->st->seed);
    sh->db = db;
    sh->due_idx = EXP_NONE;
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

/* A project shard for id, in no index yet. */
static struct shard *shard_alloc(struct db *db, struct rs_str id)
{
    struct shard *sh = rs_malloc(sizeof *sh + id.len);
    shard_init(sh, db);
    /* Two keys a bucket while the table is small: most projects hold a
     * few keys, so their bucket array is a fixed cost of each (64 bytes
     * for the dashboard's 9 keys where load 1 took 128); the global shard
     * keeps Redis's load of 1. */
    tbl_set_small_load(&sh->tbl, 1);
    memcpy((char *)shard_id(sh), id.p, id.len);
    sh->idlen = (uint32_t)id.len;
    sh->is_project = true;
    db->st->shard_bytes += shard_size(sh);
    return sh;
}

/* A new, empty project enters db at place v (its seq and rank are set
 * here): ks_add puts its first key in. */
static void project_join(struct db *db, uintptr_t v)
{
    db->nempty++;
    /* SCAN cursors hold a seq in KS_SEQ_BITS bits. Once the counter runs
     * out (after 2^24 project creations in this db), renumber the live
     * projects in order: only a SCAN in flight at that moment may miss
     * keys. */
    if (db->next_seq + 1 >= (1ULL << KS_SEQ_BITS)) {
        for (size_t i = 0; i < db->norder; i++) {
            if (place_is_tiny(db->order[i]))
                place_tiny(db->order[i])->seq = (uint32_t)(i + 1);
            else
                place_shard(db->order[i])->seq = (uint32_t)(i + 1);
        }
        db->next_seq = db->norder;
    }
    uint32_t seq = (uint32_t)++db->next_seq;
    if (place_is_tiny(v))
        place_tiny(v)->seq = seq;
    else
        place_shard(v)->seq = seq;
    rank_take(db, v, (uint32_t)db->norder + 2);
    if (db->norder == db->order_cap)
        order_resize(db, db->order_cap ? db->order_cap * 2 : 8);
    db->order[db->norder++] = v; /* seq only grows: the array stays sorted */
    pmap_put(db, v);
}

/* A new, empty project of id: a tiny one unless its id is too long. */
static uintptr_t project_new(struct db *db, struct rs_str id)
{
    uintptr_t v;
    if (id.len <= TINY_ID_MAX) {
        struct tiny *t = rs_malloc(offsetof(struct tiny, id) + id.len);
        t->e = NULL;
        t->ncommands = 0;
        t->idlen = (uint8_t)id.len;
        memcpy(t->id, id.p, id.len);
        db->st->shard_bytes += tiny_size(t);
        v = (uintptr_t)t | PLACE_TINY;
    } else {
        struct shard *sh = shard_alloc(db, id);
        sh->is_empty = true;
        v = (uintptr_t)sh;
    }
    project_join(db, v);
    return v;
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

/* Free the record of a tiny project of db; its key, if any, goes too. */
static void tiny_free(struct db *db, struct tiny *t)
{
    if (t->e)
        obj_free(&db->small, t->e);
    db->st->shard_bytes -= tiny_size(t);
    rs_free(t);
}

/* Free db's empty projects; the order array and the map shrink to fit the
 * rest. O(projects), run once at least as many projects are empty as have
 * keys, so each emptied one pays O(1) amortized. */
static void db_compact(struct db *db)
{
    size_t n = 0;
    for (size_t i = 0; i < db->norder; i++) {
        uintptr_t v = db->order[i];
        if (place_count(v) != 0) {
            db->order[n++] = v; /* in seq order still */
        } else if (place_is_tiny(v)) {
            tiny_free(db, place_tiny(v));
        } else {
            /* Without keys it has no deadline (not in db->due); its rank
             * goes with the renumbering below. */
            assert(place_shard(v)->due_idx == EXP_NONE);
            shard_free(place_shard(v));
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

/* The place of project id in db, 0 if none. */
static uintptr_t project_place(const struct db *db, struct rs_str id)
{
    const struct pmap *m = &db->projects;
    return m->cap ? slot_place(m->slots[pmap_find(m, id, id_hash(db, id))]) : 0;
}

bool ks_project(struct db *db, struct rs_str id, struct ks_proj *p)
{
    uintptr_t v = project_place(db, id);
    if (v)
        *p = proj_of(db, v);
    return v != 0;
}

/* The place of key in db: the global shard's for a key of no project, its
 * project's, 0 if it has none; with create, a missing project is made. */
static uintptr_t route(struct db *db, struct rs_str key, bool create)
{
    /* A command resolves its key several times (the prefetch, the lookup,
     * an insert, the count of the project's commands): once its argv[1]
     * is found, the place is known by the key's address. */
    struct store *st = db->st;
    if (key.p == st->key_hint.p && st->key_place && key.len == st->key_hint.len &&
        st->key_place_db == db && st->key_place_gen == st->pmap_gen)
        return st->key_place;
    struct rs_str id;
    uintptr_t v;
    if (!ks_project_id(key, &id)) {
        v = (uintptr_t)&db->global;
    } else {
        /* The last place found is checked first (the batch's prefetch
         * guessed it), which skips the map's hash and probes. */
        v = st->route_place;
        if (!(v && st->route_db == db && st->route_gen == st->pmap_gen &&
              rs_str_eq(place_id(v), id))) {
            v = project_place(db, id);
            if (v == 0 && create)
                v = project_new(db, id);
            if (v == 0)
                return 0;
            ks_route_remember(st, db, v, st->pmap_gen);
        }
    }
    if (key.p == st->key_hint.p && key.len == st->key_hint.len) {
        st->key_place = v;
        st->key_place_db = db;
        st->key_place_gen = st->pmap_gen;
    }
    return v;
}

/* The tiny project t of db has a key and gets a second: it becomes a
 * shard, at its place (seq, rank), holding the key with its TTL and its
 * sub-key deadlines. Places kept from before are stale (pmap_gen). */
static struct shard *promote(struct db *db, struct tiny *t)
{
    struct shard *small = &db->small;
    struct shard *sh = shard_alloc(db, rs_str_from(t->id, t->idlen));
    sh->seq = t->seq;
    sh->rank = t->rank;
    sh->ncommands = t->ncommands;
    struct entry *e = t->e;
    int64_t when = exp_get(small, e);
    if (when != -1)
        exp_clear(small, e);
    sub_unregister(small, e);
    size_t bytes = obj_bytes(e);
    small->nbytes -= bytes;
    sh->nbytes += bytes;
    tbl_insert(&sh->tbl, e);
    if (when != -1)
        exp_set(sh, e, when);
    sub_register(sh, e);
    db->order[t->rank - 2] = (uintptr_t)sh;
    pmap_insert(db, (uintptr_t)sh); /* in the slot of t: same id */
    db->st->shard_bytes -= tiny_size(t);
    rs_free(t);
    db->st->pmap_gen++;
    ks_route_remember(db->st, db, (uintptr_t)sh, db->st->pmap_gen);
    return sh;
}

struct shard *ks_shard(struct db *db, struct rs_str key, bool create)
{
    uintptr_t v = route(db, key, create);
    if (!place_is_tiny(v))
        return place_shard(v); /* NULL for 0 */
    struct tiny *t = place_tiny(v);
    if (create && t->e && !key_is(t->e, key))
        return promote(db, t);
    return &db->small;
}

void ks_count_command(struct db *db, struct rs_str key)
{
    uintptr_t v = route(db, key, false);
    if (place_is_tiny(v))
        place_tiny(v)->ncommands++;
    else if (v)
        place_shard(v)->ncommands++;
}

void ks_route_remember(struct store *st, struct db *db, uintptr_t place, uint64_t gen)
{
    st->route_place = place;
    st->route_db = db;
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

uintptr_t ks_route_guess(const struct ks_route *r)
{
    const struct pmap *m = &r->db->projects;
    if (!r->is_project)
        return (uintptr_t)&r->db->global;
    if (r->gen != r->db->st->pmap_gen || m->cap == 0)
        return 0;
    /* The first project whose tag matches: the key's, most likely; no id
     * compare here, as the command checks it (route). */
    uint64_t mask = m->cap - 1, i = r->h & mask;
    uintptr_t tag = pmap_tag(r->h);
    while (m->slots[i] && (m->slots[i] & PLACE_MASK & ~PLACE_TINY) != tag)
        i = (i + 1) & mask;
    uintptr_t v = slot_place(m->slots[i]);
    if (v == 0)
        return 0;
    /* From the header to the id the check compares (up to 16 bytes of it). */
    if (place_is_tiny(v))
        prefetch_span(place_tiny(v), offsetof(struct tiny, id) + 16);
    else
        prefetch_span(place_shard(v), sizeof(struct shard) + 16);
    return v;
}

const struct table *ks_route_table(uintptr_t place, const struct entry **one)
{
    *one = NULL;
    if (place == 0)
        return NULL;
    if (place_is_tiny(place)) {
        *one = place_tiny(place)->e;
        return NULL;
    }
    const struct table *t = &place_shard(place)->tbl;
    return tbl_count(t) ? t : NULL;
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

/* A project of db lost its last key: it stays, empty, until its db
 * compacts. */
static void project_emptied(struct db *db)
{
    db->nempty++;
    db->st->has_empty = true;
}

/* sh lost its last key (a project shard's: see project_emptied). */
static void mark_if_empty(struct shard *sh)
{
    if (sh->is_project && !sh->is_empty && tbl_count(&sh->tbl) == 0) {
        sh->is_empty = true;
        project_emptied(sh->db);
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
    st->lazy_bytes += v->bytes;
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

bool pause_active(struct store *st)
{
    if (st->pause_mode && rs_mono_us() >= st->pause_end_us)
        st->pause_mode = 0;
    return st->pause_mode != 0;
}

/* key's entry in db after lazy expiry, NULL if none; *emptied (when not
 * NULL) says the key was there until its due sub-keys, all it had, went
 * (Redis finds the key there, then expires the fields: no keymiss). A
 * read (!write) during a CLIENT PAUSE finds no key past its deadline but
 * leaves it, as Redis 7.4's expireIfNeeded: not deleted, counted,
 * published nor logged until the pause ends (DBSIZE still counts it).
 * A write deletes it: the only writes a pause lets run are those no
 * transport can hold (an embedder's), which may add the key again. Due
 * fields and members go even then (respite shows none past its deadline,
 * Redis hides them from most reads without deleting). */
static struct entry *find(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc,
                          bool *emptied, bool write)
{
    uintptr_t v = route(db, key, false);
    struct shard *sh;
    struct entry **ref;
    if (v == 0) {
        return NULL;
    } else if (place_is_tiny(v)) {
        struct tiny *t = place_tiny(v);
        if (t->e == NULL || !key_is(t->e, key))
            return NULL;
        sh = &db->small;
        ref = &t->e;
    } else {
        sh = place_shard(v);
        /* The running command's key has its hash from the batch's prefetch. */
        struct store *st = c->st;
        ref = st->key_t == &sh->tbl && key.p == st->key_hint.p && key.len == st->key_hint.len
                  ? tbl_find_ref_hint(&sh->tbl, key.p, key.len, st->key_h)
                  : tbl_find_ref(&sh->tbl, key.p, key.len);
        if (ref == NULL)
            return NULL;
    }
    if (exp_is_due(sh, *ref, c->now)) {
        if (!write && pause_active(c->st))
            return NULL;
        struct kloc dead = {sh, ref};
        ks_expire(&dead);
        return NULL;
    }
    if (exp_sub_due(sh, *ref, c->now)) {
        /* Due fields or members go before anyone sees the container; the
         * key goes with them if they were all it had. */
        struct kloc at = {sh, ref};
        bool deleted;
        exp_sub_expire(&at, c->now, 0, &deleted);
        if (deleted) {
            if (emptied)
                *emptied = true;
            return NULL;
        }
    }
    if (loc) {
        loc->sh = sh;
        loc->ref = ref;
    }
    return *ref;
}

struct entry *ks_peek(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    return find(c, db, key, loc, NULL, false);
}

struct entry *ks_read(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    bool emptied = false;
    struct entry *e = find(c, db, key, loc, &emptied, false);
    if (e == NULL) {
        c->st->stats.keyspace_misses++;
        if (!emptied)
            ks_notify(db, NOTIFY_KEY_MISS, "keymiss", key);
        return NULL;
    }
    c->st->stats.keyspace_hits++;
    if (!(c->s->flags & SES_NO_TOUCH))
        ks_access(c->st, e);
    return e;
}

struct entry *ks_get(struct db *db, struct rs_str key, struct shard **sh)
{
    uintptr_t v = route(db, key, false);
    if (v == 0)
        return NULL;
    if (place_is_tiny(v)) {
        *sh = &db->small;
        struct entry *e = place_tiny(v)->e;
        return e && key_is(e, key) ? e : NULL;
    }
    *sh = place_shard(v);
    return tbl_get(&(*sh)->tbl, key.p, key.len);
}

/* The tiny project whose key is e, accounted to its db's `small`. */
static struct tiny *tiny_of(struct db *db, const struct entry *e)
{
    struct tiny *t = place_tiny(route(db, rs_str_from(entry_key(e), e->klen), false));
    assert(t->e == e);
    return t;
}

void ks_locate(struct shard *sh, struct entry *e, struct kloc *loc)
{
    loc->sh = sh;
    loc->ref = sh->is_small ? &tiny_of(sh->db, e)->e : tbl_find_ref(&sh->tbl, entry_key(e), e->klen);
}

struct entry *ks_write(struct cmd_ctx *c, struct db *db, struct rs_str key, struct kloc *loc)
{
    struct entry *e = find(c, db, key, loc, NULL, true);
    if (e && !(c->s->flags & SES_NO_TOUCH))
        ks_access(c->st, e);
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

/* ks_add without its hooks and event. */
static void add_entry(struct db *db, struct shard *sh, struct entry *e)
{
    ks_access_init(db->st, e);
    if (sh->is_small) {
        /* ks_shard made the project, or found it empty or holding e's key
         * (gone since), and the caller added nothing to it since. */
        struct tiny *t = place_tiny(route(db, rs_str_from(entry_key(e), e->klen), false));
        assert(t->e == NULL);
        t->e = e;
        e->next = NULL;
        db->nempty--;
        t->ncommands = 0; /* counted while it had no keys */
        count_keys(db, t->rank, 1);
    } else {
        unmark_empty(sh);
        tbl_insert(&sh->tbl, e);
        count_keys(db, sh->rank, 1);
        note_rehash(sh);
    }
    sub_register(sh, e);
}

void ks_add(struct db *db, struct shard *sh, struct entry *e)
{
    add_entry(db, sh, e);
    ks_changed(sh->db, rs_str_from(entry_key(e), e->klen));
    ks_notify_entry(db, NOTIFY_NEW, "new", e);
}

void ks_add_untouched(struct db *db, struct shard *sh, struct entry *e)
{
    add_entry(db, sh, e);
    ks_signal(sh->db, rs_str_from(entry_key(e), e->klen));
    ks_notify_entry(db, NOTIFY_NEW, "new", e);
}

bool ks_value_changed(struct kloc *loc, size_t before)
{
    struct entry *e = *loc->ref;
    struct subttl *t = obj_subttl(e);
    int64_t next = obj_sub_next(e);
    if (t && next == -1) {
        exp_sub_del(loc->sh, t);
        subttl_free(t);
        *obj_subttl_slot(e) = NULL;
    }
    obj_account_change(loc->sh, before, obj_bytes(e));
    sub_register_at(loc->sh, e, next);
    if (obj_sub_count(e) != 0)
        return false;
    ks_delete(loc);
    return true;
}

/* ks_replace without its hooks. */
static void replace_entry(struct kloc *loc, struct entry *e, bool keep_ttl)
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
    if (loc->sh->is_small) {
        e->next = NULL;
        *loc->ref = e;
    } else {
        tbl_replace(&loc->sh->tbl, loc->ref, e);
    }
    sub_register(loc->sh, e);
    drop(loc->sh, old, loc->sh->db->st->cfg.lazyfree_server_del);
}

void ks_replace(struct kloc *loc, struct entry *e, bool keep_ttl)
{
    /* A new value, accessed now; under LFU it keeps the key's counter, as
     * Redis's dbSetValue. */
    const struct store *st = loc->sh->db->st;
    if (MM_HOW(st->cfg.maxmemory_policy) == MM_LFU)
        e->lru = (*loc->ref)->lru;
    else
        e->lru = store_lru(st);
    replace_entry(loc, e, keep_ttl);
    ks_changed(loc->sh->db, rs_str_from(entry_key(e), e->klen));
}

void ks_reencode(struct kloc *loc, struct entry *e)
{
    e->lru = (*loc->ref)->lru;
    replace_entry(loc, e, true);
}

void ks_set(struct cmd_ctx *c, struct db *db, struct rs_str key, struct entry *e)
{
    struct kloc loc;
    if (ks_write(c, db, key, &loc)) {
        ks_replace(&loc, e, false);
    } else {
        ks_add(db, ks_shard(db, key, true), e);
    }
}

void ks_expire(struct kloc *loc)
{
    struct store *st = loc->sh->db->st;
    /* Before the entry goes with its key's bytes; Redis publishes after the
     * deletion, which no subscriber can tell apart. */
    ks_notify_entry(loc->sh->db, NOTIFY_EXPIRED, "expired", *loc->ref);
    if (st->aof)
        st->up.expired(loc->sh->db, rs_str_from(entry_key(*loc->ref), (*loc->ref)->klen),
                       st->cfg.lazyfree_expire);
    ks_delete_lazy(loc, st->cfg.lazyfree_expire);
    st->stats.expired_keys++;
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
    struct shard *sh = loc->sh;
    struct entry *e;
    if (sh->is_small) {
        struct tiny *t = (struct tiny *)loc->ref; /* ref is &t->e, its first member */
        e = t->e;
        t->e = NULL;
        count_keys(sh->db, t->rank, -1);
        project_emptied(sh->db);
    } else {
        e = tbl_unlink(&sh->tbl, loc->ref);
        count_keys(sh->db, sh->rank, -1);
        note_rehash(sh);
    }
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
    shard_init(&db->small, db);
    db->small.is_small = true;
    rank_take(db, (uintptr_t)&db->global, 1);
    return db;
}

void ks_foreach_project(struct db *db, bool global, void (*fn)(void *ud, const struct ks_proj *p),
                        void *ud)
{
    if (global) {
        struct ks_proj p = {&db->global, NULL};
        fn(ud, &p);
    }
    for (size_t i = 0; i < db->norder; i++) {
        struct ks_proj p = proj_of(db, db->order[i]);
        fn(ud, &p);
    }
}

bool ks_project_from_seq(struct db *db, uint64_t seq, struct ks_proj *p)
{
    size_t lo = 0, hi = db->norder;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (place_seq(db->order[mid]) < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == db->norder)
        return false;
    *p = proj_of(db, db->order[lo]);
    return true;
}

struct rs_str ks_proj_id(const struct ks_proj *p)
{
    return p->one ? rs_str_from(p->one->id, p->one->idlen) : rs_str_from(shard_id(p->sh), p->sh->idlen);
}

uint32_t ks_proj_seq(const struct ks_proj *p)
{
    return p->one ? p->one->seq : p->sh->seq;
}

uint64_t ks_proj_keys(const struct ks_proj *p)
{
    return p->one ? p->one->e != NULL : tbl_count(&p->sh->tbl);
}

uint64_t ks_proj_bytes(const struct ks_proj *p)
{
    if (p->one)
        return p->one->e ? obj_bytes(p->one->e) : 0;
    return p->sh->nbytes;
}

uint64_t ks_proj_expiring(const struct ks_proj *p)
{
    if (p->one)
        return p->one->e && p->one->e->exp_idx != EXP_NONE;
    return shard_nexp(p->sh);
}

uint64_t ks_proj_commands(const struct ks_proj *p)
{
    return p->one ? p->one->ncommands : p->sh->ncommands;
}

void ks_proj_foreach(const struct ks_proj *p, void (*fn)(void *ud, struct entry *e), void *ud)
{
    if (p->one == NULL)
        tbl_foreach(&p->sh->tbl, fn, ud);
    else if (p->one->e)
        fn(ud, p->one->e);
}

void ks_proj_walk(const struct ks_proj *p, void (*fn)(void *ud, struct entry *e), void *ud)
{
    if (p->one == NULL)
        tbl_walk(&p->sh->tbl, fn, ud);
    else if (p->one->e)
        fn(ud, p->one->e);
}

uint64_t ks_proj_scan(const struct ks_proj *p, uint64_t cursor,
                      void (*fn)(void *ud, struct entry *e), void *ud)
{
    if (p->one == NULL)
        return tbl_scan(&p->sh->tbl, cursor, fn, ud);
    if (p->one->e)
        fn(ud, p->one->e);
    return 0;
}

struct entry *ks_proj_random(const struct ks_proj *p, struct rng *g)
{
    return p->one ? p->one->e : tbl_random(&p->sh->tbl, g);
}

unsigned ks_proj_sample(const struct ks_proj *p, struct rng *g, struct entry **out, unsigned n)
{
    if (p->one) {
        out[0] = p->one->e;
        return 1;
    }
    return tbl_sample(&p->sh->tbl, g, out, n);
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
    /* The keys of the tiny projects go to the garbage in a shard of their
     * own, with small's deadlines and bytes. */
    struct shard *tg = NULL;
    if (async && db->small.nbytes) {
        tg = rs_malloc(sizeof *tg);
        shard_init(tg, db);
        tg->ttl = db->small.ttl;
        tg->nbytes = db->small.nbytes;
        db->small.ttl = NULL;
        db->small.nbytes = 0;
    }
    for (size_t i = 0; i < db->norder; i++) {
        uintptr_t v = db->order[i];
        if (!place_is_tiny(v)) {
            if (async)
                to_garbage(st, place_shard(v));
            else
                shard_free(place_shard(v));
            continue;
        }
        struct tiny *t = place_tiny(v);
        if (tg && t->e) {
            tbl_insert(&tg->tbl, t->e);
            t->e = NULL;
        }
        tiny_free(db, t);
    }
    if (tg)
        to_garbage(st, tg);
    shard_clear(&db->small);
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
    /* Every project left, the global shard is empty: start the indexes over. */
    db_indexes_free(db);
    db->global.due_idx = db->small.due_idx = EXP_NONE;
    rank_take(db, (uintptr_t)&db->global, 1);
}

uint64_t ks_project_drop(struct db *db, struct rs_str id)
{
    uintptr_t v = project_place(db, id);
    if (v == 0 || place_count(v) == 0)
        return 0;
    if (place_is_tiny(v)) {
        /* Its one key, accounted to small, goes as UNLINK's would. */
        struct kloc loc = {&db->small, &place_tiny(v)->e};
        ks_delete_lazy(&loc, true);
        return 1;
    }
    struct store *st = db->st;
    struct shard *old = place_shard(v);
    uint64_t n = tbl_count(&old->tbl);
    /* Its deadlines leave the db's heap and counts with its own heaps,
     * which go with it: nothing of it comes due later. */
    exp_heap_del(&db->due, old);
    if (old->ttl) {
        db->nexpires -= old->ttl->exp.n;
        db->nsubexpires -= old->ttl->sub.n;
        db->sum_deadlines -= old->ttl->sum_deadlines;
    }
    db->nkeys -= n;
    /* An empty shard of the same id takes its place (seq, rank, map slot),
     * as if every key had been deleted: a SCAN cursor into the project
     * finds it empty and goes on with the next, a write fills it again,
     * and the next compaction frees it as any emptied project. */
    struct shard *fresh = shard_alloc(db, id);
    fresh->seq = old->seq;
    fresh->rank = old->rank;
    fresh->is_empty = true;
    db->order[old->rank - 2] = (uintptr_t)fresh;
    pmap_insert(db, (uintptr_t)fresh); /* in the slot of old: same id */
    rankset_add(&db->ranks.dirty, fresh->rank);
    project_emptied(db);
    st->pmap_gen++; /* places kept from before may name old */
    if (has_background(st))
        to_garbage(st, old);
    else
        shard_free(old);
    return n;
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
        st->lazy_bytes -= v->bytes;
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
            struct shard *sh = place_shard(rank_place(db, rh->list[rh->n - 1]));
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
