/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The ordered part of a sorted set in its large form: a B+ tree of its
 * members in (score, member bytes) order, counting the members under
 * each child, for O(log n) rank, range and update (where Redis keeps a
 * skip list). The tree owns the members, one struct entry each (the
 * member's bytes as its key, its score in the entry's header), so that
 * the keyspace can chain the same entries in a hash table (table.h) for
 * O(1) lookup by member (keyspace/zset.c pairs them).
 *
 * Why a tree: a leaf holds ZT_LEAF scores side by side, beside pointers
 * to their entries, so a search compares scores without touching a
 * member, and the leaves of 100,000 members take 2 MB where a skip list's
 * nodes take 8: a descent misses the cache about twice, a skip list's
 * some twenty times (ZRANGEBYSCORE's cost was those misses). Layout and
 * invariants in ztree.c.
 *
 * Score and lex ranges, and their comparisons, are here too: the packed
 * form of small sorted sets (keyspace/zset.c) uses the same ones.
 */
#ifndef DS_ZTREE_H
#define DS_ZTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ds/entry.h"
#include "resp.h"

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------ */

/* A score range: [min, max], either end exclusive. */
struct zrange_score {
    double min, max;
    bool minex, maxex;
};

/* A lex range: min/max bytes, exclusive or inclusive, or an infinity
 * ('-' below every member, '+' above). The slices borrow the arguments. */
enum { ZLEX_INCL = 0, ZLEX_EXCL, ZLEX_NEG_INF, ZLEX_POS_INF };
struct zrange_lex {
    struct rs_str min, max;
    int mink, maxk; /* ZLEX_* */
};

/* Parse Redis's score range bounds ("1.5", "(1.5", "-inf", "+inf"). False
 * for a bound that is not a float (NaN included). */
bool zrange_score_parse(struct rs_str min, struct rs_str max, struct zrange_score *r);
/* Parse lex bounds ("[a", "(a", "-", "+"); false for anything else. */
bool zrange_lex_parse(struct rs_str min, struct rs_str max, struct zrange_lex *r);
/* Inline: a descent compares each score it passes. */
static inline bool zrange_score_gte_min(const struct zrange_score *r, double v)
{
    return r->minex ? v > r->min : v >= r->min;
}
static inline bool zrange_score_lte_max(const struct zrange_score *r, double v)
{
    return r->maxex ? v < r->max : v <= r->max;
}
bool zrange_lex_gte_min(const struct zrange_lex *r, struct rs_str m);
bool zrange_lex_lte_max(const struct zrange_lex *r, struct rs_str m);
/* Whether a range holds nothing whatever the members (min above max, or
 * equal with an exclusive end). */
bool zrange_score_empty(const struct zrange_score *r);
bool zrange_lex_empty(const struct zrange_lex *r);
/* memcmp order of byte strings, the shorter first on a tie. */
int zt_cmp_member(struct rs_str a, struct rs_str b);

/* ------------------------------------------------------------------------
 * Members
 * ------------------------------------------------------------------------ */

/* A member's score is in its entry, in the 8 bytes of vlen and exp_idx,
 * which a member's entry does not use (type and enc stay a string's,
 * which the hash table reads). Unaligned by 4: memcpy reads and writes
 * it. */
#define ZT_SCORE_AT offsetof(struct entry, vlen)
_Static_assert(offsetof(struct entry, exp_idx) == ZT_SCORE_AT + 4 &&
                   offsetof(struct entry, data) == ZT_SCORE_AT + 12,
               "a member's score fills vlen and exp_idx");

static inline double zt_score(const struct entry *e)
{
    double d;
    memcpy(&d, (const char *)e + ZT_SCORE_AT, sizeof d);
    return d;
}
static inline struct rs_str zt_member(const struct entry *e)
{
    return rs_str_from(e->data, e->klen);
}

/* ------------------------------------------------------------------------
 * The tree
 * ------------------------------------------------------------------------ */

/* Members a leaf holds (a leaf is 504 bytes, jemalloc's 512 class), and
 * children an inner node has (1,000 bytes, the 1,024 class). */
#define ZT_LEAF 30
#define ZT_INNER 31

struct zt_leaf {
    uint32_t n; /* members, 1..ZT_LEAF (0 in an empty tree's root) */
    struct zt_leaf *prev, *next;
    double s[ZT_LEAF];        /* their scores, in order */
    struct entry *e[ZT_LEAF]; /* their entries */
};

struct ztree {
    void *root;                 /* a struct zt_leaf at height 0 */
    struct zt_leaf *first, *last;
    uint64_t n;                 /* members */
    uint64_t bytes;             /* allocated bytes: nodes and entries */
    uint64_t inner;             /* inner nodes */
    uint64_t leaves;            /* leaves */
    int height;                 /* inner levels above the leaves */
};

/* A member's place: slot i of leaf; leaf NULL past either end. */
struct zt_pos {
    struct zt_leaf *leaf;
    uint32_t i;
};

/* An empty tree. */
void zt_init(struct ztree *t);
/* Free every node and entry; the struct may be initialised again. */
void zt_free(struct ztree *t);
/* zt_free in slices, for a tree nothing else uses any more: frees members
 * from the first until *work (one unit a member) is spent. Returns true
 * once none is left (every node is then freed too); between calls the
 * tree is fit for nothing but this and zt_free. */
bool zt_free_some(struct ztree *t, int64_t *work);

/* The allocated bytes of the nodes, inner and leaves (MEMORY USAGE). */
size_t zt_node_bytes(const struct ztree *t);

/* Insert member m (not yet in the tree) with score; returns its entry
 * (next NULL, free for a hash table to chain). O(log n). */
struct entry *zt_insert(struct ztree *t, double score, struct rs_str m);
/* Remove entry e (of t) and free it. O(log n). */
void zt_delete(struct ztree *t, struct entry *e);
/* Give entry e (of t) a new score, moving it to its place; the entry
 * stays where it is in memory (a table chains it). O(log n). */
void zt_update(struct ztree *t, struct entry *e, double score);
/* 0-based rank of entry e (of t). O(log n). */
uint64_t zt_rank(const struct ztree *t, const struct entry *e);
/* The place of 0-based rank r (r < n). O(log n). */
struct zt_pos zt_at_rank(const struct ztree *t, uint64_t r);
/* The place of the first / last member within a range (leaf NULL if
 * none), and *rank its 0-based rank (meaningful only with a member).
 * O(log n). */
struct zt_pos zt_first_in_score(const struct ztree *t, const struct zrange_score *r,
                                uint64_t *rank);
struct zt_pos zt_last_in_score(const struct ztree *t, const struct zrange_score *r,
                               uint64_t *rank);
struct zt_pos zt_first_in_lex(const struct ztree *t, const struct zrange_lex *r,
                              uint64_t *rank);
struct zt_pos zt_last_in_lex(const struct ztree *t, const struct zrange_lex *r, uint64_t *rank);
/* Delete the members of ranks [start, end] (0-based, end < n), handing
 * each entry to fn (may be NULL) before it is freed (to unlink it from a
 * hash table). O(log n + deleted). */
void zt_delete_ranks(struct ztree *t, uint64_t start, uint64_t end,
                     void (*fn)(void *ud, struct entry *e), void *ud);

/* Whether every invariant of ztree.c holds: the order, the counts and
 * keys of the inner nodes, the fill of every node but the root, the
 * leaves' links, n. O(n); for tests. */
bool zt_valid(const struct ztree *t);

/* Walks, inline: a range reply takes them a member at a time. */
static inline struct zt_pos zt_first(const struct ztree *t)
{
    return (struct zt_pos){t->n ? t->first : NULL, 0};
}
static inline struct zt_pos zt_last(const struct ztree *t)
{
    return (struct zt_pos){t->n ? t->last : NULL, t->n ? t->last->n - 1 : 0};
}
/* The place after p (before it with rev); leaf NULL past an end. */
static inline struct zt_pos zt_step(struct zt_pos p, bool rev)
{
    if (rev) {
        if (p.i > 0)
            return (struct zt_pos){p.leaf, p.i - 1};
        p.leaf = p.leaf->prev;
        return (struct zt_pos){p.leaf, p.leaf ? p.leaf->n - 1 : 0};
    }
    if (p.i + 1 < p.leaf->n)
        return (struct zt_pos){p.leaf, p.i + 1};
    return (struct zt_pos){p.leaf->next, 0};
}
static inline struct entry *zt_entry(struct zt_pos p)
{
    return p.leaf->e[p.i];
}
/* The score at p, read from the leaf (no miss on the entry). */
static inline double zt_pos_score(struct zt_pos p)
{
    return p.leaf->s[p.i];
}

#endif
