/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sorted set values (zset.h), in Redis 7.4's two forms and with its
 * conversions (t_zset.c's zsetTypeCreate, zsetAdd, zsetTypeMaybeConvert,
 * zsetConvertToListpackIfNeeded).
 *
 * Packed: a pack (ds/pack.h) of pairs, the member then its score as the 8
 * bytes of a double, in (score, member) order: rank i is pair i. Every
 * operation is a walk of at most zset-max-listpack-entries pairs.
 *
 * Large: a B+ tree (ds/ztree.h) that owns the members as entries, which
 * a table (ds/table.h) chains by member: O(1) lookup, O(log n) rank, range
 * and update. The table holds no allocation of its own per member, and
 * half a bucket per member (load factor 2).
 */
#include <string.h>

#include "ds/mem.h"
#include "ds/pack.h"
#include "keyspace/keyspace.h"
#include "keyspace/zset.h"

/* ------------------------------------------------------------------------
 * Packed form
 * ------------------------------------------------------------------------ */

static double lp_score(const struct pack *p, uint32_t off)
{
    struct rs_str s = pack_get(p, off, NULL);
    double d;
    memcpy(&d, s.p, sizeof d);
    return d;
}

/* The member at off, *score its score, *next the offset of the next pair. */
static struct rs_str lp_pair(const struct pack *p, uint32_t off, double *score, uint32_t *next)
{
    uint32_t soff;
    struct rs_str m = pack_get(p, off, &soff);
    struct rs_str s = pack_get(p, soff, next);
    memcpy(score, s.p, sizeof *score);
    return m;
}

/* A score's element. Redis packs an integral score as an integer, so a
 * packed -0 reads back as 0 (the large form keeps -0). */
static struct rs_str lp_score_str(double *score)
{
    if (*score == 0)
        *score = 0;
    return rs_str_from((const char *)score, sizeof *score);
}

/* Insert the pair at its place. */
static struct pack *lp_insert(struct pack *p, struct rs_str m, double score)
{
    uint32_t off = 0;
    while (off < p->len) {
        double s;
        uint32_t next;
        struct rs_str cur = lp_pair(p, off, &s, &next);
        if (s > score || (s == score && zt_cmp_member(cur, m) > 0))
            break;
        off = next;
    }
    p = pack_insert(p, off, m);
    uint32_t soff;
    pack_get(p, off, &soff);
    return pack_insert(p, soff, lp_score_str(&score));
}

/* ------------------------------------------------------------------------
 * Large form
 * ------------------------------------------------------------------------ */

static struct zbig *big_new(uint64_t seed)
{
    struct zbig *b = rs_malloc(sizeof *b);
    zt_init(&b->tree);
    tbl_init(&b->dict, seed);
    /* Two members a bucket: 4 bytes a member less than Redis's load of 1,
     * and the batch prefetch loads a chain's first two entries together. */
    tbl_set_load(&b->dict, 1);
    b->pop_next = b->pop_after = NULL;
    return b;
}

static void big_add(struct zbig *b, struct rs_str m, double score)
{
    tbl_insert(&b->dict, zt_insert(&b->tree, score, m));
}

static struct entry *big_find(const struct zbig *b, struct rs_str m)
{
    return tbl_get(&b->dict, m.p, m.len);
}

/* The table's part of the members' freeing: the tree frees them. */
static void entry_unchain(void *ud, struct entry *e)
{
    struct zbig *b = ud;
    tbl_unlink(&b->dict, e == b->pop_next ? tbl_find_ref_hint(&b->dict, e->data, e->klen, b->pop_h)
                                          : tbl_find_ref(&b->dict, e->data, e->klen));
}

/* After a delete at an end of a big set (a pop): in a big set each pop's
 * unchaining of its member from dict missed the cache at the bucket and
 * at the chain's entries before the member -- most of a ZPOPMIN's time.
 * So the pops of a batch run a pipeline while the replies and the next
 * commands are made: the member at the end now (the next pop's) has the
 * chain of its bucket fetched, its bucket having been fetched by the
 * previous pop; the member after it has its bucket fetched; the entry
 * after that is fetched, to be hashed by the next pop. */
static void prefetch_next_pops(struct zbig *b, bool tail)
{
    struct zt_pos p = tail ? zt_last(&b->tree) : zt_first(&b->tree);
    if (p.leaf == NULL)
        return;
    const struct entry *e = zt_entry(p);
    if (e == b->pop_after) {
        b->pop_h = b->pop_after_h;
        tbl_prefetch_entry(&b->dict, b->pop_h);
    } else { /* the batch's first pop */
        b->pop_h = tbl_prefetch(&b->dict, e->data, e->klen);
    }
    b->pop_next = e;
    b->pop_after = NULL;
    if ((p = zt_step(p, tail)).leaf == NULL)
        return;
    e = zt_entry(p);
    b->pop_after = e;
    b->pop_after_h = tbl_prefetch(&b->dict, e->data, e->klen);
    if ((p = zt_step(p, tail)).leaf != NULL)
        __builtin_prefetch(zt_entry(p));
}

static void no_free(void *ud, struct entry *e)
{
    (void)ud;
    (void)e;
}

static void big_free(struct zbig *b)
{
    tbl_free(&b->dict, no_free, NULL);
    zt_free(&b->tree);
    rs_free(b);
}

/* ------------------------------------------------------------------------
 * Conversions
 * ------------------------------------------------------------------------ */

static void to_big(struct store *st, struct rzset *z)
{
    struct zbig *b = big_new(st->seed);
    for (uint32_t off = 0; off < z->lp->len;) {
        double s;
        struct rs_str m = lp_pair(z->lp, off, &s, &off);
        big_add(b, m, s);
    }
    pack_free(z->lp);
    z->lp = NULL;
    z->big = b;
}

static void to_packed(struct rzset *z)
{
    struct pack *p = pack_new();
    for (struct zt_pos x = zt_first(&z->big->tree); x.leaf; x = zt_step(x, false)) {
        p = pack_append(p, zt_member(zt_entry(x)));
        double score = zt_pos_score(x);
        p = pack_append(p, lp_score_str(&score));
    }
    big_free(z->big);
    z->big = NULL;
    z->lp = p;
}

struct rzset *zset_new(struct store *st, size_t size_hint, size_t maxlen)
{
    struct rzset *z = rs_calloc(1, sizeof *z);
    if (size_hint <= (size_t)st->cfg.zset_max_listpack_entries &&
        maxlen <= (size_t)st->cfg.zset_max_listpack_value)
        z->lp = pack_new();
    else
        z->big = big_new(st->seed);
    return z;
}

void zset_maybe_convert(struct store *st, struct rzset *z, size_t size_hint, size_t maxlen)
{
    if (z->lp && (size_hint > (size_t)st->cfg.zset_max_listpack_entries ||
                  maxlen > (size_t)st->cfg.zset_max_listpack_value))
        to_big(st, z);
}

bool zset_reserve_packed(struct store *st, struct rzset *z, uint64_t n, size_t longest,
                         size_t bytes)
{
    if (z->lp == NULL || zset_len(z) + n > (uint64_t)st->cfg.zset_max_listpack_entries ||
        longest > (size_t)st->cfg.zset_max_listpack_value || !pack_safe_to_add(z->lp, bytes))
        return false;
    z->lp = pack_reserve(z->lp, z->lp->len + bytes);
    return true;
}

void zset_append_reserved(struct rzset *z, struct rs_str m, double score)
{
    pack_append_reserved(z->lp, m);
    pack_append_reserved(z->lp, lp_score_str(&score));
}

void zset_maybe_pack(struct store *st, struct rzset *z, size_t maxlen)
{
    if (z->big && z->big->tree.n <= (uint64_t)st->cfg.zset_max_listpack_entries &&
        maxlen <= (size_t)st->cfg.zset_max_listpack_value &&
        pack_safe_to_add(NULL, z->big->tree.n * (maxlen + sizeof(double))))
        to_packed(z);
}

void zset_free(struct rzset *z)
{
    if (z->lp)
        pack_free(z->lp);
    else
        big_free(z->big);
    rs_free(z);
}

struct rzset *zset_dup(const struct rzset *z)
{
    struct rzset *n = rs_calloc(1, sizeof *n);
    if (z->lp) {
        n->lp = pack_dup(z->lp);
        return n;
    }
    n->big = big_new(z->big->dict.seed);
    /* In order: each insert lands last, and the leaves fill up. */
    for (struct zt_pos x = zt_first(&z->big->tree); x.leaf; x = zt_step(x, false))
        big_add(n->big, zt_member(zt_entry(x)), zt_pos_score(x));
    return n;
}

size_t zset_bytes(const struct rzset *z)
{
    size_t n = sizeof *z;
    if (z->lp)
        return n + pack_bytes(z->lp);
    /* half a bucket per member (the table's load), as set_bytes counts
     * its table's: from the count, which only the value's writes change */
    return n + sizeof *z->big + z->big->tree.bytes +
           (tbl_count(&z->big->dict) + 1) / 2 * sizeof(void *);
}

uint64_t zset_free_effort(const struct rzset *z)
{
    return z->lp ? 1 : z->big->tree.n;
}

bool zset_free_some(struct rzset *z, int64_t *work)
{
    if (z->big && !(tbl_free_some(&z->big->dict, work, no_free, NULL) &&
                    zt_free_some(&z->big->tree, work)))
        return false;
    zset_free(z);
    (*work)--;
    return true;
}

void zset_prefetch(const struct rzset *z, bool rest)
{
    if (z->lp) {
        pack_prefetch(z->lp, rest);
    } else if (!rest) {
        __builtin_prefetch(z->big);
        __builtin_prefetch((const char *)z->big + 64);
    }
}

const struct table *zset_table(const struct rzset *z)
{
    return z->big ? &z->big->dict : NULL;
}

const char *zset_enc_name(const struct rzset *z)
{
    return z->lp ? "listpack" : "skiplist";
}

uint64_t zset_len(const struct rzset *z)
{
    return z->lp ? z->lp->n / 2 : z->big->tree.n;
}

/* ------------------------------------------------------------------------
 * Members
 * ------------------------------------------------------------------------ */

bool zset_score(const struct rzset *z, struct rs_str m, double *score)
{
    if (z->lp) {
        uint32_t off = pack_find(z->lp, m, 2);
        if (off == UINT32_MAX)
            return false;
        uint32_t soff;
        pack_get(z->lp, off, &soff);
        *score = lp_score(z->lp, soff);
        return true;
    }
    struct entry *e = big_find(z->big, m);
    if (e)
        *score = zt_score(e);
    return e != NULL;
}

bool zset_remove(struct rzset *z, struct rs_str m)
{
    if (z->lp) {
        uint32_t off = pack_find(z->lp, m, 2);
        if (off == UINT32_MAX)
            return false;
        z->lp = pack_delete(z->lp, off, 2);
        return true;
    }
    struct entry **ref = tbl_find_ref(&z->big->dict, m.p, m.len);
    if (!ref)
        return false;
    struct entry *e = tbl_unlink(&z->big->dict, ref);
    zt_delete(&z->big->tree, e);
    return true;
}

bool zset_add(struct store *st, struct rzset *z, struct rs_str m, double score, int flags,
              int *out, double *newscore)
{
    double cur = 0;
    *out = 0;
    /* the large form's entry, found once for the lookup and the update */
    struct entry *e = z->big ? big_find(z->big, m) : NULL;
    if (e)
        cur = zt_score(e);
    if (e || (z->lp && zset_score(z, m, &cur))) {
        if (flags & ZADD_NX) {
            *out = ZADD_OUT_NOP;
            return true;
        }
        if (flags & ZADD_INCR) {
            score += cur;
            if (score != score) {
                *out = ZADD_OUT_NAN;
                return false;
            }
        }
        /* GT and LT refuse a move the wrong way, or none */
        if (((flags & ZADD_LT) && score >= cur) || ((flags & ZADD_GT) && score <= cur)) {
            *out = ZADD_OUT_NOP;
            return true;
        }
        if (newscore)
            *newscore = score;
        if (score != cur) {
            if (z->lp) {
                zset_remove(z, m);
                z->lp = lp_insert(z->lp, m, score);
            } else {
                zt_update(&z->big->tree, e, score);
            }
            *out = ZADD_OUT_UPDATED;
        }
        return true;
    }
    if (flags & ZADD_XX) {
        *out = ZADD_OUT_NOP;
        return true;
    }
    if (z->lp && (zset_len(z) + 1 > (uint64_t)st->cfg.zset_max_listpack_entries ||
                  m.len > (size_t)st->cfg.zset_max_listpack_value ||
                  !pack_safe_to_add(z->lp, m.len + sizeof(double))))
        to_big(st, z);
    if (z->lp)
        z->lp = lp_insert(z->lp, m, score);
    else
        big_add(z->big, m, score);
    if (newscore)
        *newscore = score;
    *out = ZADD_OUT_ADDED;
    return true;
}

bool zset_rank(const struct rzset *z, struct rs_str m, bool rev, uint64_t *rank, double *score)
{
    uint64_t r, len = zset_len(z);
    if (z->lp) {
        uint32_t off = 0;
        for (r = 0; off < z->lp->len; r++) {
            struct rs_str cur = lp_pair(z->lp, off, score, &off);
            if (cur.len == m.len && memcmp(cur.p, m.p, m.len) == 0)
                break;
        }
        if (off >= z->lp->len && r == len)
            return false;
    } else {
        struct entry *e = big_find(z->big, m);
        if (!e)
            return false;
        *score = zt_score(e);
        r = zt_rank(&z->big->tree, e);
    }
    *rank = rev ? len - 1 - r : r;
    return true;
}

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------ */

static bool in_min(const struct zrange_score *sr, const struct zrange_lex *lr, struct rs_str m,
                   double s)
{
    return sr ? zrange_score_gte_min(sr, s) : zrange_lex_gte_min(lr, m);
}

static bool in_max(const struct zrange_score *sr, const struct zrange_lex *lr, struct rs_str m,
                   double s)
{
    return sr ? zrange_score_lte_max(sr, s) : zrange_lex_lte_max(lr, m);
}

bool zset_range_ranks(const struct rzset *z, const struct zrange_score *sr,
                      const struct zrange_lex *lr, uint64_t *first, uint64_t *last, bool rev,
                      struct zset_it *it)
{
    if (sr ? zrange_score_empty(sr) : zrange_lex_empty(lr))
        return false;
    if (z->lp) {
        bool found = false;
        uint32_t off = 0;
        for (uint64_t r = 0; off < z->lp->len; r++) {
            double s;
            struct rs_str m = lp_pair(z->lp, off, &s, &off);
            if (!in_min(sr, lr, m, s))
                continue;
            if (!in_max(sr, lr, m, s))
                break;
            if (!found)
                *first = r;
            *last = r;
            found = true;
        }
        if (found && it)
            zset_it_rank(it, z, rev ? zset_len(z) - 1 - *last : *first, rev);
        return found;
    }
    const struct ztree *t = &z->big->tree;
    struct zt_pos a = sr ? zt_first_in_score(t, sr, first) : zt_first_in_lex(t, lr, first);
    if (!a.leaf)
        return false;
    struct zt_pos b = sr ? zt_last_in_score(t, sr, last) : zt_last_in_lex(t, lr, last);
    if (it)
        *it = (struct zset_it){.z = z, .rev = rev, .ok = true, .idx = rev ? *last : *first,
                               .p = rev ? b : a};
    return true;
}

uint64_t zset_range_limit(const struct rzset *z, const struct zrange_score *sr,
                          const struct zrange_lex *lr, uint64_t offset, uint64_t count, bool rev,
                          struct zset_it *it)
{
    if (sr ? zrange_score_empty(sr) : zrange_lex_empty(lr))
        return 0;
    const struct ztree *t = &z->big->tree;
    uint64_t rank;
    struct zt_pos x = rev ? (sr ? zt_last_in_score(t, sr, &rank) : zt_last_in_lex(t, lr, &rank))
                          : (sr ? zt_first_in_score(t, sr, &rank) : zt_first_in_lex(t, lr, &rank));
    for (; x.leaf && offset > 0; offset--) {
        x = zt_step(x, rev);
        rank = rev ? rank - 1 : rank + 1;
    }
    uint64_t n = 0;
    for (struct zt_pos y = x; y.leaf && n < count; y = zt_step(y, rev), n++) {
        /* a score range reads the leaf's scores only; the entries the
         * reply reads are fetched together, their misses overlapping */
        struct entry *e = zt_entry(y);
        if (sr ? !(rev ? zrange_score_gte_min(sr, zt_pos_score(y))
                       : zrange_score_lte_max(sr, zt_pos_score(y)))
               : !(rev ? zrange_lex_gte_min(lr, zt_member(e)) : zrange_lex_lte_max(lr, zt_member(e))))
            break;
        __builtin_prefetch(e);
    }
    if (n)
        *it = (struct zset_it){.z = z, .rev = rev, .ok = true, .idx = rank, .p = x};
    return n;
}

void zset_delete_ranks(struct rzset *z, uint64_t start, uint64_t end)
{
    if (z->lp) {
        z->lp = pack_delete(z->lp, pack_seek(z->lp, (uint32_t)start * 2),
                            (uint32_t)(end - start + 1) * 2);
        return;
    }
    uint64_t len = z->big->tree.n;
    zt_delete_ranks(&z->big->tree, start, end, entry_unchain, z->big);
    if (start == 0 || end == len - 1)
        prefetch_next_pops(z->big, start != 0);
}

/* ------------------------------------------------------------------------
 * Walks
 * ------------------------------------------------------------------------ */

/* Position it at rank it->idx (from the start), or mark it done. */
static void it_seek(struct zset_it *it)
{
    it->ok = it->idx < zset_len(it->z);
    if (!it->ok || !it->z->lp)
        return;
    it->off = pack_seek(it->z->lp, (uint32_t)it->idx * 2);
}

void zset_it_rank(struct zset_it *it, const struct rzset *z, uint64_t rank, bool rev)
{
    it->z = z;
    it->rev = rev;
    it->idx = rev ? zset_len(z) - 1 - rank : rank;
    it->p.leaf = NULL;
    it_seek(it);
    if (it->ok && z->big)
        it->p = zt_at_rank(&z->big->tree, it->idx);
}

void zset_it_next_packed(struct zset_it *it)
{
    if (it->rev) {
        if (it->idx == 0) {
            it->ok = false;
            return;
        }
        it->idx--;
        it_seek(it); /* a pack is walked forwards only: O(n) a step, n <= 128 */
        return;
    }
    it->idx++;
    uint32_t soff;
    pack_get(it->z->lp, it->off, &soff);
    pack_get(it->z->lp, soff, &it->off);
    it->ok = it->off < it->z->lp->len;
}

struct rs_str zset_it_member_packed(const struct zset_it *it)
{
    return pack_get(it->z->lp, it->off, NULL);
}

double zset_it_score_packed(const struct zset_it *it)
{
    uint32_t soff;
    pack_get(it->z->lp, it->off, &soff);
    return lp_score(it->z->lp, soff);
}

struct scan_ud {
    zset_pair_fn *fn;
    void *ud;
};

static void scan_entry(void *ud, struct entry *e)
{
    struct scan_ud *s = ud;
    s->fn(s->ud, zt_member(e), zt_score(e));
}

uint64_t zset_scan(struct rzset *z, uint64_t cursor, zset_pair_fn *fn, void *ud)
{
    if (z->big) {
        struct scan_ud s = {fn, ud};
        return tbl_scan(&z->big->dict, cursor, scan_entry, &s);
    }
    for (uint32_t off = 0; off < z->lp->len;) {
        double s;
        struct rs_str m = lp_pair(z->lp, off, &s, &off);
        fn(ud, m, s);
    }
    return 0;
}

void zset_random(const struct rzset *z, struct rng *g, struct rs_str *m, double *score)
{
    if (z->big) {
        const struct entry *e = tbl_random(&z->big->dict, g);
        *m = zt_member(e);
        *score = zt_score(e);
        return;
    }
    uint32_t next;
    *m = lp_pair(z->lp, pack_seek(z->lp, (uint32_t)rng_below(g, zset_len(z)) * 2), score, &next);
}
