/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TTLs of keys and of sub-keys (hash fields, set members).
 *
 * One binary min-heap (struct exp_heap, ds/heap.c) serves four
 * indexes: each shard's heap of keys with a TTL, each container's heap of
 * sub-keys with a TTL (struct subttl), each shard's heap of those
 * containers keyed by their earliest sub-key deadline, and each database's
 * heap of the shards that have a deadline, keyed by their earliest (of a
 * key or of a sub-key). Objects in a heap know their slot, so changing or
 * removing a deadline is O(log n) and reading it O(1). The shards' two
 * heaps change only through exp_set, exp_clear, exp_sub_set and
 * exp_sub_del, which move the shard in its database's heap when its
 * earliest deadline changes.
 *
 * Keys and sub-keys past their deadline are never visible (keyspace.c deletes
 * them on access) and are reclaimed actively here, in bounded slices: the
 * heap tops are always the next things due, so a slice does only useful
 * work, never samples, and never looks at a shard with nothing due.
 */
#include <stddef.h>

#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/pack.h"

/* ------------------------------------------------------------------------
 * Sub-key deadlines of one container
 * ------------------------------------------------------------------------ */

struct subttl *subttl_new(void)
{
    struct subttl *t = rs_malloc(sizeof *t);
    exp_heap_init(&t->h, offsetof(struct entry, exp_idx));
    t->idx = EXP_NONE;
    t->key = NULL;
    return t;
}

void subttl_free(struct subttl *t)
{
    if (t) {
        exp_heap_free(&t->h);
        rs_free(t);
    }
}

size_t subttl_bytes(const struct subttl *t)
{
    return t ? sizeof *t + exp_heap_cap(&t->h) * sizeof(struct exp_item) : 0;
}

void subttl_set(struct subttl **t, struct entry *f, int64_t when)
{
    if (*t == NULL)
        *t = subttl_new();
    exp_heap_set(&(*t)->h, f, when);
}

void subttl_clear(struct subttl *t, struct entry *f)
{
    if (f->exp_idx != EXP_NONE)
        exp_heap_del(&t->h, f);
}

int64_t subttl_get(const struct subttl *t, const struct entry *f)
{
    return f->exp_idx == EXP_NONE ? -1 : t->h.a[f->exp_idx].when;
}

void subttl_moved(struct subttl *t, struct entry *from, struct entry *to)
{
    to->exp_idx = from->exp_idx;
    from->exp_idx = EXP_NONE;
    if (to->exp_idx != EXP_NONE)
        exp_heap_moved(&t->h, to);
}

/* ------------------------------------------------------------------------
 * Reclamation
 * ------------------------------------------------------------------------ */

bool exp_sub_due(const struct shard *sh, const struct entry *e, int64_t now)
{
    if (shard_nsub(sh) == 0 || (e->type != OBJ_HASH && e->type != OBJ_SET))
        return false;
    const struct subttl *t = obj_subttl(e);
    return t && t->idx != EXP_NONE && sh->ttl->sub.a[t->idx].when < now;
}

bool exp_sub_all_due(const struct shard *sh, const struct entry *e, int64_t now)
{
    if (!exp_sub_due(sh, e, now))
        return false;
    const struct subttl *t = obj_subttl(e);
    if (t->h.n == 0)
        return obj_sub_packed_due(e, now, false) == obj_sub_count(e);
    if (t->h.n < obj_sub_count(e))
        return false; /* some have no deadline */
    for (uint32_t i = 0; i < t->h.n; i++)
        if (t->h.a[i].when >= now)
            return false;
    return true;
}

int exp_sub_expire(struct kloc *loc, int64_t now, int64_t end_us, bool *deleted)
{
    struct entry *e = *loc->ref;
    struct subttl *t = obj_subttl(e);
    size_t before = obj_bytes(e);
    struct db *db = loc->sh->db;
    struct rs_str key = rs_str_from(entry_key(e), e->klen);
    bool is_hash = e->type == OBJ_HASH;
    if (db->st->aof) {
        uint32_t per;
        const struct pack *p = obj_sub_pack(e, &per);
        /* The due entries are the pack's first ones (pack.h). */
        uint32_t ndue = p ? packex_due(p, per, now) : 0;
        uint32_t off = ndue ? pack_seek(p, 0) : 0;
        for (uint32_t i = 0; i < ndue * per; i++) {
            uint32_t next;
            struct rs_str s = pack_get(p, off, &next);
            if (i % per == 0)
                db->st->up.sub_expired(db, key, is_hash, s);
            off = next;
        }
    }
    uint64_t n = obj_sub_packed_due(e, now, true);
    int more = 0;
    while (t->h.n && t->h.a[0].when < now) {
        if (end_us && (n & 31) == 31 && rs_mono_us() >= end_us) {
            more = 1;
            break;
        }
        struct entry *f = t->h.a[0].p;
        if (db->st->aof)
            db->st->up.sub_expired(db, key, is_hash, rs_str_from(f->data, f->klen));
        exp_heap_del(&t->h, f);
        obj_sub_delete(e, f);
        n++;
    }
    loc->sh->db->st->stats.expired_subkeys += n;
    if (n) {
        ks_touch_loc(loc); /* Redis 7.4 signals the hash modified */
        /* One event for the fields or members reclaimed together, as
         * Redis's active expiry publishes one per hash, and `del` for the
         * key they leave empty (before it goes, with its key's bytes). */
        ks_notify_entry(loc->sh->db, is_hash ? NOTIFY_HASH : NOTIFY_SET,
                        is_hash ? "hexpired" : "sexpired", e);
        if (obj_sub_count(e) == 0)
            ks_notify_entry(loc->sh->db, NOTIFY_GENERIC, "del", e);
    }
    *deleted = ks_value_changed(loc, before);
    return more;
}

/* ------------------------------------------------------------------------
 * The shards' heaps, and the db's heap of shards by earliest deadline
 * ------------------------------------------------------------------------ */

/* sh's earliest deadline (of a key or a container's sub-key) may have
 * changed: move it in its db's heap of shards, or out when it has none.
 * Called after every change of the top of either of its heaps. */
static void shard_deadline_changed(struct shard *sh)
{
    const struct shard_ttl *t = sh->ttl;
    int64_t next = INT64_MAX;
    if (t && t->exp.n > 0)
        next = t->exp.a[0].when;
    if (t && t->sub.n > 0 && t->sub.a[0].when < next)
        next = t->sub.a[0].when;
    struct exp_heap *due = &sh->db->due;
    if (next == INT64_MAX)
        exp_heap_del(due, sh);
    else if (sh->due_idx == EXP_NONE || due->a[sh->due_idx].when != next)
        exp_heap_set(due, sh, next);
}

enum shard_heap { SHARD_EXP, SHARD_SUB };

/* Set or remove p's deadline in sh's heap `which` (when is -1 to remove),
 * keeping the db's count of the objects in such heaps and its sum of key
 * deadlines. The shard's deadlines come with the first and go with the
 * last. */
static void shard_heap_change(struct shard *sh, enum shard_heap which, void *p, int64_t when)
{
    if (sh->ttl == NULL) {
        if (when == -1)
            return;
        sh->ttl = rs_malloc(sizeof *sh->ttl);
        exp_heap_init(&sh->ttl->exp, offsetof(struct entry, exp_idx));
        exp_heap_init(&sh->ttl->sub, offsetof(struct subttl, idx));
        sh->ttl->sum_deadlines = 0;
    }
    struct exp_heap *h = which == SHARD_EXP ? &sh->ttl->exp : &sh->ttl->sub;
    uint64_t *count = which == SHARD_EXP ? &sh->db->nexpires : &sh->db->nsubexpires;
    uint32_t *slot = (uint32_t *)((char *)p + h->idx_off), was = *slot;
    if (which == SHARD_EXP) {
        /* Deadlines are store-clock milliseconds, >= 0. */
        if (was != EXP_NONE) {
            sh->db->sum_deadlines -= (uint64_t)h->a[was].when;
            sh->ttl->sum_deadlines -= (uint64_t)h->a[was].when;
        }
        if (when != -1) {
            sh->db->sum_deadlines += (uint64_t)when;
            sh->ttl->sum_deadlines += (uint64_t)when;
        }
    }
    if (when == -1) {
        if (was == EXP_NONE)
            return;
        exp_heap_del(h, p);
        --*count;
        if (sh->ttl->exp.n == 0 && sh->ttl->sub.n == 0)
            shard_ttl_free(sh);
    } else {
        exp_heap_set(h, p, when);
        *count += was == EXP_NONE;
    }
    /* Only a change at the top moves the shard's earliest deadline. */
    if (was == 0 || (when != -1 && *slot == 0))
        shard_deadline_changed(sh);
}

void shard_ttl_free(struct shard *sh)
{
    if (sh->ttl) {
        exp_heap_free(&sh->ttl->exp);
        exp_heap_free(&sh->ttl->sub);
        rs_free(sh->ttl);
        sh->ttl = NULL;
    }
}

void exp_set(struct shard *sh, struct entry *e, int64_t when)
{
    shard_heap_change(sh, SHARD_EXP, e, when);
}

void exp_clear(struct shard *sh, struct entry *e)
{
    shard_heap_change(sh, SHARD_EXP, e, -1);
}

void exp_sub_set(struct shard *sh, struct subttl *t, int64_t when)
{
    shard_heap_change(sh, SHARD_SUB, t, when);
}

void exp_sub_del(struct shard *sh, struct subttl *t)
{
    shard_heap_change(sh, SHARD_SUB, t, -1);
}

/* ------------------------------------------------------------------------
 * The active cycle
 * ------------------------------------------------------------------------ */

/* Keys and containers one visit of a shard reclaims at most before the
 * cycle looks again for the earliest shard: shards are served about in
 * the order of their deadlines, and one with a large backlog cannot hold
 * up those due before most of it. */
#define EXP_VISIT_BATCH 64

/* Delete due keys and containers' due sub-keys of sh, earliest first, up
 * to a batch. *work counts them across the cycle; the clock is read every
 * 32. Returns 1 if it stopped on the time budget. */
static int expire_shard(struct shard *sh, int64_t now, int64_t end, uint64_t *work)
{
    for (int k = 0; k < EXP_VISIT_BATCH; k++) {
        const struct shard_ttl *t = sh->ttl; /* freed with its last deadline */
        bool key_due = t && t->exp.n > 0 && t->exp.a[0].when < now;
        bool sub_due = t && t->sub.n > 0 && t->sub.a[0].when < now;
        if (!key_due && !sub_due)
            return 0;
        if (key_due && (!sub_due || t->exp.a[0].when <= t->sub.a[0].when)) {
            struct kloc loc;
            ks_locate(sh, t->exp.a[0].p, &loc);
            ks_expire(&loc);
        } else {
            struct kloc loc;
            ks_locate(sh, ((struct subttl *)t->sub.a[0].p)->key, &loc);
            bool deleted;
            if (exp_sub_expire(&loc, now, end, &deleted))
                return 1;
        }
        if ((++*work & 31) == 0 && rs_mono_us() >= end)
            return 1;
    }
    return 0;
}

int64_t exp_next_deadline(const struct store *st)
{
    int64_t next = -1;
    for (int d = 0; d < st->ndbs; d++) {
        const struct exp_heap *h = &st->dbs[d]->due;
        if (h->n > 0 && (next == -1 || h->a[0].when < next))
            next = h->a[0].when;
    }
    return next;
}

int exp_active_cycle(struct store *st, int64_t budget_us)
{
    int64_t now = store_now(st), end = rs_mono_us() + budget_us;
    uint64_t work = 0;
    int more = 0;
    for (;;) {
        /* The shard with the earliest deadline of all dbs: the tops of a
         * few heaps. Shards left with due ones after a time-out are still
         * there next time: that is how the cycle resumes. */
        struct db *best = NULL;
        for (int d = 0; d < st->ndbs; d++) {
            const struct exp_heap *h = &st->dbs[d]->due;
            if (h->n > 0 && h->a[0].when < now &&
                (best == NULL || h->a[0].when < best->due.a[0].when))
                best = st->dbs[d];
        }
        if (best == NULL)
            break;
        st->timer_visits++;
        if (expire_shard(best->due.a[0].p, now, end, &work)) {
            more = 1;
            break;
        }
    }
    ks_reap_empty(st);
    return more;
}
