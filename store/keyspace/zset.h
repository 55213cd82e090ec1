/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The sorted set value (zset.c): a packed array of (member, score) pairs
 * in order ("listpack") while it has at most zset-max-listpack-entries
 * members of at most zset-max-listpack-value bytes, else a B+ tree
 * (ds/ztree.h) whose member entries a hash table chains (OBJECT ENCODING
 * says "skiplist", Redis 7.4's name for that form). entries.c frees, copies and measures them through these; the
 * commands (commands/t_zset.c) read and write them the same way whatever
 * the form.
 */
#ifndef KEYSPACE_ZSET_H
#define KEYSPACE_ZSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ds/table.h"
#include "ds/ztree.h"
#include "resp.h"

struct pack;
struct store;

/* The large form: the tree, and its member entries chained by member. */
struct zbig {
    struct ztree tree;
    struct table dict;
    /* The members the next two pops from an end take, and their hashes in
     * dict, as the previous pop hashed them (zset.c, prefetch_next_pops):
     * only compared, never followed, so they may be stale (then unused). */
    const struct entry *pop_next, *pop_after;
    uint64_t pop_h, pop_after_h;
};

struct rzset {
    struct pack *lp;  /* packed form (member, then its score as 8 bytes of a
                       * double, by score then member), or NULL */
    struct zbig *big; /* else the large form */
};

/* A new empty sorted set in the form Redis's zsetTypeCreate picks for
 * size_hint members of up to maxlen bytes. */
struct rzset *zset_new(struct store *st, size_t size_hint, size_t maxlen);
void zset_free(struct rzset *z);
/* A deep copy (COPY). */
struct rzset *zset_dup(const struct rzset *z);
/* Allocated bytes of the value, members included. */
size_t zset_bytes(const struct rzset *z);
/* How much work freeing it takes (obj_free_effort's units). */
uint64_t zset_free_effort(const struct rzset *z);
/* Free z in slices worth about *work units (zset_free_effort's), taking
 * them off *work; true once z is freed. Between calls z is fit for
 * nothing but this. */
bool zset_free_some(struct rzset *z, int64_t *work);
/* Start loading what a member lookup reads first (the pack's first
 * bytes, or the large form's list and table headers), or with rest (once
 * that is loaded) the rest of a pack. CPU prefetches, for a batch. */
void zset_prefetch(const struct rzset *z, bool rest);
/* The table of the large form's members; NULL when packed. */
const struct table *zset_table(const struct rzset *z);
/* OBJECT ENCODING's name: "listpack" or "skiplist". */
const char *zset_enc_name(const struct rzset *z);
uint64_t zset_len(const struct rzset *z);
/* Redis's zsetTypeMaybeConvert: a packed set about to receive size_hint
 * members, or one of maxlen bytes, past the limits goes large at once. */
void zset_maybe_convert(struct store *st, struct rzset *z, size_t size_hint, size_t maxlen);
/* A packed z is about to receive n members and scores, none there yet
 * nor repeated, no member longer than longest bytes, taking bytes packed
 * (pack_elem_bytes each): whether they keep it packed (zset_add's
 * limits), with room made for them at once for zset_append_reserved (RDB
 * loading). O(1). */
bool zset_reserve_packed(struct store *st, struct rzset *z, uint64_t n, size_t longest,
                         size_t bytes);
/* Append m with score, a pair zset_reserve_packed made room for that goes
 * after every pair of z in (score, member) order (the caller compared),
 * without a search. O(1). */
void zset_append_reserved(struct rzset *z, struct rs_str m, double score);
/* Redis's zsetConvertToListpackIfNeeded: a large set that fits the
 * packed limits goes packed (the results of the *STORE commands). */
void zset_maybe_pack(struct store *st, struct rzset *z, size_t maxlen);

/* The score of m; false if m is not there. O(1) (O(n) packed). */
bool zset_score(const struct rzset *z, struct rs_str m, double *score);

/* zset_add's flags, Redis's ZADD_IN_* and ZADD_OUT_*. */
enum {
    ZADD_INCR = 1 << 0, ZADD_NX = 1 << 1, ZADD_XX = 1 << 2, ZADD_GT = 1 << 3, ZADD_LT = 1 << 4,
};
enum { ZADD_OUT_NOP = 1 << 0, ZADD_OUT_NAN = 1 << 1, ZADD_OUT_ADDED = 1 << 2,
       ZADD_OUT_UPDATED = 1 << 3 };
/* Redis's zsetAdd: add m with score, or update it (with ZADD_INCR add score
 * to it), as the flags allow; *out says what happened and *newscore (if
 * not NULL) the resulting score. False when an increment made NaN (out
 * ZADD_OUT_NAN), nothing changed. Converts past the packed limits. */
bool zset_add(struct store *st, struct rzset *z, struct rs_str m, double score, int flags,
              int *out, double *newscore);
/* Delete m; whether it was there. */
bool zset_remove(struct rzset *z, struct rs_str m);
/* The 0-based rank of m (from the end with rev) and its score; false if
 * absent. O(log n). */
bool zset_rank(const struct rzset *z, struct rs_str m, bool rev, uint64_t *rank, double *score);

struct zset_it;
/* The ranks [*first, *last] of the members in a score or lex range (one
 * of the two, the other NULL); false when none is. With it (may be NULL),
 * also a walk from *first forwards, or from *last backwards with rev,
 * which in the large form costs no walk of its own. O(log n). */
bool zset_range_ranks(const struct rzset *z, const struct zrange_score *sr,
                      const struct zrange_lex *lr, uint64_t *first, uint64_t *last, bool rev,
                      struct zset_it *it);
/* The members a LIMIT offset count (offset >= 0, count > 0) takes of a
 * score or lex range (one of the two, the other NULL) of a set in the
 * large form, at most count; with any, it is a walk from the first of
 * them (backwards with rev). As Redis's genericZrangebyscoreCommand: one
 * descent to the range's first member (its last with rev), offset steps
 * along the leaves, and the count while members stay in the range, where
 * zset_range_ranks makes a second descent for the range's end. The
 * entries of the members taken are prefetched for the reply.
 * O(log n + offset + count). */
uint64_t zset_range_limit(const struct rzset *z, const struct zrange_score *sr,
                          const struct zrange_lex *lr, uint64_t offset, uint64_t count, bool rev,
                          struct zset_it *it);
/* Delete the members of ranks [start, end] (end < length). O(log n + M). */
void zset_delete_ranks(struct rzset *z, uint64_t start, uint64_t end);

/* A walk over members in order, or in reverse from the end. */
struct zset_it {
    const struct rzset *z;
    bool rev;
    bool ok;            /* at a member */
    uint64_t idx;       /* its rank from the start */
    uint32_t off;       /* packed: offset of its member element */
    struct zt_pos p;    /* large: the member's place; leaf always NULL packed */
};
/* Start at rank (counted from the end with rev); rank < length. */
void zset_it_rank(struct zset_it *it, const struct rzset *z, uint64_t rank, bool rev);
/* The packed form's steps, which the inline ones below leave to zset.c. */
void zset_it_next_packed(struct zset_it *it);
struct rs_str zset_it_member_packed(const struct zset_it *it);
double zset_it_score_packed(const struct zset_it *it);

/* The large form's steps are inline: a range reply takes them a member at
 * a time. Only while it->ok. */
static inline void zset_it_next(struct zset_it *it)
{
    if (!it->p.leaf) {
        zset_it_next_packed(it);
        return;
    }
    it->p = zt_step(it->p, it->rev);
    it->idx += it->rev ? -1 : 1;
    it->ok = it->p.leaf != NULL;
}
static inline struct rs_str zset_it_member(const struct zset_it *it)
{
    return it->p.leaf ? zt_member(zt_entry(it->p)) : zset_it_member_packed(it);
}
static inline double zset_it_score(const struct zset_it *it)
{
    return it->p.leaf ? zt_pos_score(it->p) : zset_it_score_packed(it);
}

/* ZSCAN's step: the members of one table bucket (all of a packed set,
 * cursor 0 returned) passed to fn with their scores; the next cursor. */
typedef void zset_pair_fn(void *ud, struct rs_str m, double score);
uint64_t zset_scan(struct rzset *z, uint64_t cursor, zset_pair_fn *fn, void *ud);
/* A random member and its score, each member equally likely, drawn from g.
 * O(1) expected (O(n) packed). */
void zset_random(const struct rzset *z, struct rng *g, struct rs_str *m, double *score);

#endif
