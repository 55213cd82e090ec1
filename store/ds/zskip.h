/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The skip list of a sorted set in its large form (Redis's zskiplist): its
 * members in (score, member bytes) order, with spans for O(log n) rank,
 * range and update. Each node is one allocation that also holds the
 * member as a struct entry (entry.h), so that the keyspace can chain that
 * entry in a hash table (table.h) for O(1) lookup by member without a
 * second allocation (keyspace/zset.c pairs them). Layout in zskip.c.
 *
 * Score and lex ranges, and their comparisons, are here too: the packed
 * form of small sorted sets (keyspace/zset.c) uses the same ones.
 */
#ifndef DS_ZSKIP_H
#define DS_ZSKIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ds/entry.h"
#include "resp.h"

#define ZSL_MAXLEVEL 32

struct zsl_node {
    struct zsl_node *back; /* the previous node, NULL for the first */
    /* then the member's struct entry (zsl_entry); the levels lie before */
};

/* The score of a node is in its entry, in the 8 bytes of vlen and
 * exp_idx, which a member's entry does not use (its level is in the lru
 * bits; type and enc stay a string's, which the hash table reads): 8
 * bytes less a node, which puts some nodes a jemalloc size class lower (a
 * level-3 node of an 11-byte member is 80 bytes, not 96; memory.py's
 * `zsets` is 77.2 MiB, not 79.2). Unaligned by 4: memcpy reads and
 * writes it. */
#define ZSL_SCORE_AT offsetof(struct entry, vlen)
_Static_assert(offsetof(struct entry, exp_idx) == ZSL_SCORE_AT + 4 &&
                   offsetof(struct entry, data) == ZSL_SCORE_AT + 12,
               "a member's score fills vlen and exp_idx");

static inline double zsl_score(const struct zsl_node *n)
{
    double d;
    memcpy(&d, (const char *)(n + 1) + ZSL_SCORE_AT, sizeof d);
    return d;
}
static inline void zsl_set_score(struct zsl_node *n, double d)
{
    memcpy((char *)(n + 1) + ZSL_SCORE_AT, &d, sizeof d);
}

struct zskip {
    struct zsl_node *head; /* sentinel of ZSL_MAXLEVEL levels, no member */
    struct zsl_node *tail; /* last node, NULL when empty */
    uint64_t n;            /* nodes */
    uint64_t bytes;        /* allocated bytes of the nodes, sentinel included */
    uint64_t rng;          /* state of the level draws */
    int level;             /* highest level in use, >= 1 */
    /* A walk was begun on the list (zsl_walk_begin) and no node was freed
     * since: the paths of its walks are made of live nodes. */
    bool walked;
};

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
/* Inline: a descent compares each node it passes. */
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
int zsl_cmp_member(struct rs_str a, struct rs_str b);

/* An empty list; seed starts its level draws. */
void zsl_init(struct zskip *zs, uint64_t seed);
/* Free every node; the struct may be initialised again. */
void zsl_free(struct zskip *zs);
/* zsl_free in slices, for a list nothing else uses any more: frees nodes
 * from the first until *work (one unit a node) is spent. Returns true once
 * none is left (zsl_free then frees the sentinel); between calls the list
 * is fit for nothing but this and zsl_free. */
bool zsl_free_some(struct zskip *zs, int64_t *work);

/* The member's entry of node n (the key bytes are the member; its next
 * pointer is free for a hash table to chain), and the node of such an
 * entry. */
static inline struct entry *zsl_entry(struct zsl_node *n)
{
    return (struct entry *)(n + 1);
}
static inline struct zsl_node *zsl_node_of(struct entry *e)
{
    return (struct zsl_node *)e - 1;
}
static inline struct rs_str zsl_member(const struct zsl_node *n)
{
    const struct entry *e = (const struct entry *)(n + 1);
    return rs_str_from(e->data, e->klen);
}
/* The start of n's allocation (its levels lie before it; MEMORY USAGE
 * measures it). */
const void *zsl_node_block(const struct zsl_node *n);
/* How many levels n has (its forward pointers). */
static inline uint32_t zsl_level(const struct zsl_node *n)
{
    return ((const struct entry *)(n + 1))->lru;
}
/* The address of n's level-i forward pointer: the i-th pointer below n
 * (the layout is zskip.c's). */
static inline struct zsl_node **zsl_fwd(const struct zsl_node *n, int i)
{
    return (struct zsl_node **)n - 1 - i;
}
/* The node after n (NULL at the end); the one before is n->back. Inline:
 * the walks of ranges and pops take it a member at a time. */
static inline struct zsl_node *zsl_next(const struct zsl_node *n)
{
    return *zsl_fwd(n, 0);
}
/* The node after n, or before it with rev; NULL past an end. */
static inline struct zsl_node *zsl_step(const struct zsl_node *n, bool rev)
{
    return rev ? n->back : zsl_next(n);
}
/* The first node, NULL when empty. */
static inline struct zsl_node *zsl_first(const struct zskip *zs)
{
    return zsl_next(zs->head);
}

/* A walk to the place of (score, m), as an insert, delete or update makes
 * one, run ahead of it (zsl_walks_run) so that it finds its nodes in the
 * cache and, while its path still holds, does not walk again. */
struct zsl_walk {
    const struct zskip *zs;
    struct zsl_node *at;
    double score;
    struct rs_str m; /* borrowed until the walk is run */
    const struct zsl_node *self; /* the node at (score, m), NULL if none */
    int level;       /* the level being walked; -1 once done */
    int levels;      /* zs->level when begun */
    /* once run: the last node before (score, m) at each level < levels
     * (the head when none), what zsl_insert and zsl_update need */
    struct zsl_node *path[ZSL_MAXLEVEL];
};
/* Begin w to the place of (score, m), self the node there (the place of a
 * member that moves) or NULL; marks zs walked (which its next node free
 * undoes). */
void zsl_walk_begin(struct zsl_walk *w, struct zskip *zs, double score, struct rs_str m,
                    const struct zsl_node *self);
/* Run the n walks of w to their end, one step of each in turn, prefetching
 * every step's next node, so the cache misses of different walks overlap
 * (a pipeline's updates, about to run). Reads the lists only. O(n log
 * size). */
void zsl_walks_run(struct zsl_walk *w, int n);

/* Insert member m (not yet in the list) with score; returns its node.
 * to (or NULL) is a run walk of zs: its path is taken instead of a walk
 * from the head when it is still the place's (checked, level by level,
 * against the list as it is now). O(log n). */
struct zsl_node *zsl_insert(struct zskip *zs, double score, struct rs_str m,
                            const struct zsl_walk *to);
/* Unlink and free node n. O(log n). */
void zsl_delete(struct zskip *zs, struct zsl_node *n);
/* Give node n a new score, moving it to its place (the node itself moves
 * in the list, not in memory: its entry stays where a table chains it).
 * from and to (or NULL) are run walks of zs, to n's place and to the new
 * one, used as zsl_insert's. O(log n). */
void zsl_update(struct zskip *zs, struct zsl_node *n, double score, const struct zsl_walk *from,
                const struct zsl_walk *to);
/* 0-based rank of n. O(log n). */
uint64_t zsl_rank(const struct zskip *zs, const struct zsl_node *n);
/* The node of 0-based rank r (r < n). O(log n). */
struct zsl_node *zsl_at_rank(const struct zskip *zs, uint64_t r);
/* The first / last node within a range, NULL if none, and *rank its
 * 0-based rank (meaningful only with a node). O(log n). */
struct zsl_node *zsl_first_in_score(const struct zskip *zs, const struct zrange_score *r,
                                    uint64_t *rank);
struct zsl_node *zsl_last_in_score(const struct zskip *zs, const struct zrange_score *r,
                                   uint64_t *rank);
struct zsl_node *zsl_first_in_lex(const struct zskip *zs, const struct zrange_lex *r,
                                  uint64_t *rank);
struct zsl_node *zsl_last_in_lex(const struct zskip *zs, const struct zrange_lex *r,
                                 uint64_t *rank);
/* Delete the nodes of ranks [start, end] (0-based, end < n), handing each
 * entry to fn before it is freed (to unlink it from a hash table). O(log n
 * + deleted). fn may be NULL. */
void zsl_delete_ranks(struct zskip *zs, uint64_t start, uint64_t end,
                      void (*fn)(void *ud, struct entry *e), void *ud);

#endif
