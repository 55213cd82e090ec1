/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Skip list of (score, member) as Redis's t_zset.c zsl* functions: levels
 * drawn with p = 1/4 up to ZSL_MAXLEVEL, each level's forward pointer with
 * its span (how many nodes it jumps), so ranks add up along a search.
 *
 * A node of L levels is one allocation, from low to high addresses:
 *
 *     [pad] span[L-1] ... span[1] | fwd[L-1] ... fwd[0] | node | entry key
 *      u32 each, 8-aligned          pointers              8 B    24 B + klen
 *
 * The pointer to a node is to its struct zsl_node; fwd[i] is the i-th
 * pointer below it (zsl_fwd, in zskip.h for the inline zsl_next), span[i]
 * (i >= 1) the i-th u32 below the forward pointers. Level 0 always jumps
 * one node, so its span is not stored. The member's struct entry follows
 * the node (klen and the key bytes; the lru bits hold L, vlen and exp_idx
 * the score, zskip.h; next is the hash table's), so node and entry find
 * each other by a constant offset.
 * Spans are 32-bit: a sorted set of 4 billion members would not fit the
 * memory of the machines respite runs on anyway.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/zskip.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------ */

int zsl_cmp_member(struct rs_str a, struct rs_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* One bound: "(1.5" exclusive, "1.5" inclusive; NaN refused. */
static bool score_bound(struct rs_str s, double *v, bool *ex)
{
    *ex = s.len > 0 && s.p[0] == '(';
    if (*ex) {
        s.p++;
        s.len--;
    }
    long long ll;
    if (resp_int_as_double(s.p, s.len, &ll)) {
        *v = (double)ll;
        return true;
    }
    /* The infinities as clients write them, without strtod's locale and
     * case-folding (300 instructions); other spellings take strtod. */
    if ((s.len == 4 && (s.p[0] == '+' || s.p[0] == '-') && memcmp(s.p + 1, "inf", 3) == 0) ||
        (s.len == 3 && memcmp(s.p, "inf", 3) == 0)) {
        *v = s.p[0] == '-' ? -INFINITY : INFINITY;
        return true;
    }
    /* Redis's zslParseRange: strtod up to the first NUL, which must end
     * the number ("" is 0, " 1" is 1), NaN refused. */
    char small[128];
    char *buf = s.len < sizeof small ? small : rs_malloc(s.len + 1);
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    bool ok = *end == '\0' && !isnan(*v);
    if (buf != small)
        rs_free(buf);
    return ok;
}

bool zrange_score_parse(struct rs_str min, struct rs_str max, struct zrange_score *r)
{
    return score_bound(min, &r->min, &r->minex) && score_bound(max, &r->max, &r->maxex);
}

static bool lex_bound(struct rs_str s, struct rs_str *v, int *k)
{
    if (s.len == 0)
        return false;
    *v = rs_str_from(s.p + 1, s.len - 1);
    switch (s.p[0]) {
    case '+':
    case '-':
        *k = s.p[0] == '+' ? ZLEX_POS_INF : ZLEX_NEG_INF;
        return s.len == 1;
    case '(':
        *k = ZLEX_EXCL;
        return true;
    case '[':
        *k = ZLEX_INCL;
        return true;
    default:
        return false;
    }
}

bool zrange_lex_parse(struct rs_str min, struct rs_str max, struct zrange_lex *r)
{
    return lex_bound(min, &r->min, &r->mink) && lex_bound(max, &r->max, &r->maxk);
}

bool zrange_lex_gte_min(const struct zrange_lex *r, struct rs_str m)
{
    if (r->mink == ZLEX_NEG_INF || r->mink == ZLEX_POS_INF)
        return r->mink == ZLEX_NEG_INF;
    int c = zsl_cmp_member(m, r->min);
    return r->mink == ZLEX_EXCL ? c > 0 : c >= 0;
}

bool zrange_lex_lte_max(const struct zrange_lex *r, struct rs_str m)
{
    if (r->maxk == ZLEX_NEG_INF || r->maxk == ZLEX_POS_INF)
        return r->maxk == ZLEX_POS_INF;
    int c = zsl_cmp_member(m, r->max);
    return r->maxk == ZLEX_EXCL ? c < 0 : c <= 0;
}

bool zrange_score_empty(const struct zrange_score *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* Redis's sdscmplex: -inf below every string, +inf above. */
static int lex_bound_cmp(int ka, struct rs_str a, int kb, struct rs_str b)
{
    int ra = ka == ZLEX_NEG_INF ? -1 : ka == ZLEX_POS_INF ? 1 : 0;
    int rb = kb == ZLEX_NEG_INF ? -1 : kb == ZLEX_POS_INF ? 1 : 0;
    if (ra || rb)
        return ra - rb;
    return zsl_cmp_member(a, b);
}

bool zrange_lex_empty(const struct zrange_lex *r)
{
    /* Infinities count as exclusive bounds, as in Redis. */
    int c = lex_bound_cmp(r->mink, r->min, r->maxk, r->max);
    return c > 0 || (c == 0 && (r->mink != ZLEX_INCL || r->maxk != ZLEX_INCL));
}

/* ------------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------------ */

static inline size_t span_bytes(uint32_t level)
{
    return ((size_t)(level - 1) * 4 + 7) & ~(size_t)7;
}

/* Level i's span (i >= 1). */
static inline uint32_t *span(const struct zsl_node *n, int i)
{
    return (uint32_t *)((char *)n - 8 * (size_t)zsl_level(n)) - i;
}

static inline uint64_t span_of(const struct zsl_node *n, int i)
{
    return i == 0 ? 1 : *span(n, i);
}

static inline void span_set(struct zsl_node *n, int i, uint64_t v)
{
    if (i > 0)
        *span(n, i) = (uint32_t)v;
}

static size_t node_bytes(uint32_t level, size_t klen)
{
    return span_bytes(level) + 8 * (size_t)level + sizeof(struct zsl_node) +
           sizeof(struct entry) + klen;
}

static struct zsl_node *node_new(uint32_t level, double score, struct rs_str m)
{
    char *base = rs_malloc(node_bytes(level, m.len));
    struct zsl_node *n = (struct zsl_node *)(base + span_bytes(level) + 8 * (size_t)level);
    n->back = NULL;
    struct entry *e = zsl_entry(n);
    e->next = NULL;
    e->klen = (uint32_t)m.len;
    e->lru = level;
    e->type = OBJ_STRING;
    e->enc = ENC_EMBSTR;
    zsl_set_score(n, score);
    if (m.len)
        memcpy(e->data, m.p, m.len);
    for (uint32_t i = 0; i < level; i++) {
        *zsl_fwd(n, (int)i) = NULL;
        span_set(n, (int)i, 0);
    }
    return n;
}

const void *zsl_node_block(const struct zsl_node *n)
{
    uint32_t level = zsl_level(n);
    return (const char *)n - span_bytes(level) - 8 * (size_t)level;
}

static size_t node_free(struct zsl_node *n)
{
    size_t bytes = node_bytes(zsl_level(n), zsl_entry(n)->klen);
    rs_free((void *)zsl_node_block(n));
    return bytes;
}

/* ------------------------------------------------------------------------
 * The list
 * ------------------------------------------------------------------------ */

void zsl_init(struct zskip *zs, uint64_t seed)
{
    zs->head = node_new(ZSL_MAXLEVEL, 0, rs_str_from("", 0));
    zs->tail = NULL;
    zs->n = 0;
    zs->bytes = node_bytes(ZSL_MAXLEVEL, 0);
    zs->rng = seed | 1;
    zs->level = 1;
    zs->walked = false;
}

void zsl_free(struct zskip *zs)
{
    struct zsl_node *n = zsl_first(zs);
    while (n) {
        struct zsl_node *next = zsl_next(n);
        node_free(n);
        n = next;
    }
    node_free(zs->head);
    zs->head = zs->tail = NULL;
    zs->n = zs->bytes = 0;
    zs->walked = false;
}

bool zsl_free_some(struct zskip *zs, int64_t *work)
{
    struct zsl_node *n = zsl_first(zs);
    zs->walked = false;
    for (; n && *work > 0; (*work)--) {
        struct zsl_node *next = zsl_next(n);
        zs->bytes -= node_free(n);
        n = next;
    }
    /* Only level 0 is walked from now on. */
    *zsl_fwd(zs->head, 0) = n;
    return n == NULL;
}

/* Redis's zslRandomLevel: each further level with probability 1/4. */
static uint32_t random_level(struct zskip *zs)
{
    uint32_t level = 1;
    for (;;) {
        zs->rng ^= zs->rng << 13;
        zs->rng ^= zs->rng >> 7;
        zs->rng ^= zs->rng << 17;
        if ((zs->rng & 0xFFFF) >= 0xFFFF / 4 || level == ZSL_MAXLEVEL)
            return level;
        level++;
    }
}

/* Whether node x sorts before (score, m). */
static inline bool before(const struct zsl_node *x, double score, struct rs_str m)
{
    return zsl_score(x) < score || (zsl_score(x) == score && zsl_cmp_member(zsl_member(x), m) < 0);
}

/* Whether x sorts before the place of (score, m), self being the node
 * there if any (NULL if none): x == self is not, without comparing the
 * member with itself. */
static inline bool precedes(const struct zsl_node *x, const struct zsl_node *self, double score,
                            struct rs_str m)
{
    return x != self && before(x, score, m);
}

/* Walk to the place of (score, m) (self: precedes): the last node before
 * it at every level (update[]) and, unless rank is NULL, that node's rank
 * (rank[], 1-based, the head's 0). */
static void walk_to(const struct zskip *zs, double score, struct rs_str m,
                    const struct zsl_node *self, struct zsl_node **update, uint64_t *rank)
{
    struct zsl_node *h = zs->head;
    uint64_t r = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && precedes(f, self, score, m)) {
            if (rank)
                r += span_of(h, i);
            h = f;
        }
        update[i] = h;
        if (rank)
            rank[i] = r;
    }
}

void zsl_walk_begin(struct zsl_walk *w, struct zskip *zs, double score, struct rs_str m,
                    const struct zsl_node *self)
{
    zs->walked = true;
    w->zs = zs;
    w->self = self;
    w->at = zs->head;
    w->score = score;
    w->m = m;
    w->levels = zs->level;
    w->level = zs->level - 1;
}

void zsl_walks_run(struct zsl_walk *w, int n)
{
    enum { CHUNK = 64 };
    uint8_t live[CHUNK]; /* the walks of the chunk not done yet */
    for (int base = 0; base < n; base += CHUNK) {
        int nlive = n - base < CHUNK ? n - base : CHUNK;
        for (int k = 0; k < nlive; k++)
            live[k] = (uint8_t)k;
        while (nlive > 0) {
            for (int k = 0; k < nlive;) {
                struct zsl_walk *x = &w[base + live[k]];
                /* f was prefetched by the step before: walk_to's step */
                struct zsl_node *f = *zsl_fwd(x->at, x->level);
                if (f && precedes(f, x->self, x->score, x->m)) {
                    x->at = f;
                } else {
                    x->path[x->level] = x->at;
                    if (--x->level < 0) {
                        /* f is the node at or after the place: an update
                         * reads the one after it (zsl_update) */
                        if (f && (f = *zsl_fwd(f, 0)) != NULL)
                            __builtin_prefetch(f);
                        live[k] = live[--nlive];
                        continue;
                    }
                }
                /* the next step reads the next node's score and, if it
                 * moves there, its forward pointer at this level: both
                 * lines */
                if ((f = *zsl_fwd(x->at, x->level)) != NULL) {
                    __builtin_prefetch(f);
                    __builtin_prefetch(zsl_fwd(f, x->level));
                }
                k++;
            }
        }
    }
}

/* Whether the path of the run walk w (or NULL) is the place of (score, m)
 * in zs as the list is now, at every level: its node there still before
 * (score, m), the node after it not. zs->walked vouches that its nodes are
 * alive, and a node keeps its levels while it is. */
static bool path_holds(const struct zskip *zs, const struct zsl_walk *w, double score,
                       struct rs_str m, const struct zsl_node *self)
{
    if (!w || w->zs != zs || !zs->walked || w->level >= 0 || w->levels < zs->level)
        return false;
    /* a node on several levels is checked once */
    const struct zsl_node *pu = NULL, *pf = NULL;
    for (int i = zs->level - 1; i >= 0; i--) {
        const struct zsl_node *u = w->path[i], *f = *zsl_fwd(u, i);
        if (u != pu && u != zs->head && !before(u, score, m))
            return false;
        if (f != pf && f && precedes(f, self, score, m))
            return false;
        pu = u;
        pf = f;
    }
    return true;
}

/* update[] for the place of (score, m), from the path of to when it holds
 * (path_holds), else by a walk; and rank[] as link_at reads it for a node
 * of level levels: rank[0] - rank[i] for i < levels (rank[] relative to
 * update[levels - 1] then), absolute when levels exceeds zs->level. */
static void find_place(const struct zskip *zs, const struct zsl_walk *to, double score,
                       struct rs_str m, int levels, struct zsl_node **update, uint64_t *rank)
{
    if (levels > zs->level || !path_holds(zs, to, score, m, NULL)) {
        walk_to(zs, score, m, NULL, update, rank);
        return;
    }
    memcpy(update, to->path, (size_t)zs->level * sizeof *update);
    /* update[i] lies on level i after update[i + 1] */
    rank[levels - 1] = 0;
    for (int i = levels - 2; i >= 0; i--) {
        uint64_t r = rank[i + 1];
        for (struct zsl_node *h = update[i + 1]; h != update[i]; h = *zsl_fwd(h, i))
            r += span_of(h, i);
        rank[i] = r;
    }
}

/* Link the unlinked node x after update[] (walk_to's for its place). */
static void link_at(struct zskip *zs, struct zsl_node *x, struct zsl_node **update,
                    uint64_t *rank)
{
    int level = (int)zsl_level(x);
    if (level > zs->level) {
        for (int i = zs->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zs->head;
            span_set(zs->head, i, zs->n);
        }
        zs->level = level;
    }
    for (int i = 0; i < level; i++) {
        *zsl_fwd(x, i) = *zsl_fwd(update[i], i);
        *zsl_fwd(update[i], i) = x;
        span_set(x, i, span_of(update[i], i) - (rank[0] - rank[i]));
        span_set(update[i], i, rank[0] - rank[i] + 1);
    }
    for (int i = level; i < zs->level; i++)
        span_set(update[i], i, span_of(update[i], i) + 1);
    x->back = update[0] == zs->head ? NULL : update[0];
    if (*zsl_fwd(x, 0))
        (*zsl_fwd(x, 0))->back = x;
    else
        zs->tail = x;
    zs->n++;
}

/* Unlink x, whose predecessors at every level are update[]: at x's own
 * levels they point to x (Redis tests it; it cannot be otherwise), above
 * them they jump over x. */
static void unlink_node(struct zskip *zs, struct zsl_node *x, struct zsl_node **update)
{
    int xl = (int)zsl_level(x), i = 1;
    *zsl_fwd(update[0], 0) = *zsl_fwd(x, 0); /* level 0: no span */
    for (; i < xl; i++) {
        span_set(update[i], i, span_of(update[i], i) + span_of(x, i) - 1);
        *zsl_fwd(update[i], i) = *zsl_fwd(x, i);
    }
    for (; i < zs->level; i++)
        span_set(update[i], i, span_of(update[i], i) - 1);
    if (*zsl_fwd(x, 0))
        (*zsl_fwd(x, 0))->back = x->back;
    else
        zs->tail = x->back;
    while (zs->level > 1 && *zsl_fwd(zs->head, zs->level - 1) == NULL)
        zs->level--;
    zs->n--;
}

struct zsl_node *zsl_insert(struct zskip *zs, double score, struct rs_str m,
                            const struct zsl_walk *to)
{
    struct zsl_node *x = node_new(random_level(zs), score, m);
    zs->bytes += node_bytes(zsl_level(x), m.len);
    struct zsl_node *update[ZSL_MAXLEVEL];
    uint64_t rank[ZSL_MAXLEVEL];
    find_place(zs, to, score, m, (int)zsl_level(x), update, rank);
    link_at(zs, x, update, rank);
    return x;
}

void zsl_delete(struct zskip *zs, struct zsl_node *n)
{
    struct zsl_node *update[ZSL_MAXLEVEL];
    walk_to(zs, zsl_score(n), zsl_member(n), n, update, NULL);
    unlink_node(zs, n, update);
    zs->bytes -= node_free(n);
    zs->walked = false;
}

/* How far a node of one level moves in place at level 0 (move_near). */
#define ZSL_NEAR 3

/* Move n, of one level, to its place for score when that is within
 * ZSL_NEAR nodes of one level: it stays in the same gap between taller
 * nodes, whose spans count it as before, so only level 0 changes and no
 * walk from the head is needed (ZINCRBY's small steps). False, nothing
 * done, otherwise. */
static bool move_near(struct zskip *zs, struct zsl_node *n, double score)
{
    struct rs_str m = zsl_member(n);
    struct zsl_node *p = n->back, *q = zsl_next(n); /* the new neighbours */
    if (zsl_level(n) != 1)
        return false;
    if (q && before(q, score, m)) {
        for (int k = 0; q && before(q, score, m); k++) {
            if (k == ZSL_NEAR || zsl_level(q) != 1)
                return false;
            p = q;
            q = zsl_next(q);
        }
    } else {
        for (int k = 0; p && !before(p, score, m); k++) {
            if (k == ZSL_NEAR || zsl_level(p) != 1)
                return false;
            q = p;
            p = p->back;
        }
    }
    struct zsl_node *b = n->back, *f = zsl_next(n);
    *zsl_fwd(b ? b : zs->head, 0) = f;
    if (f)
        f->back = b;
    else
        zs->tail = b;
    *zsl_fwd(n, 0) = q;
    *zsl_fwd(p ? p : zs->head, 0) = n;
    n->back = p;
    if (q)
        q->back = n;
    else
        zs->tail = n;
    zsl_set_score(n, score);
    return true;
}

void zsl_update(struct zskip *zs, struct zsl_node *n, double score, const struct zsl_walk *from,
                const struct zsl_walk *to)
{
    /* In place when it keeps its order: Redis's fast path, with ties on
     * the score settled by the members as the order is. */
    struct rs_str m = zsl_member(n);
    struct zsl_node *next = zsl_next(n);
    if ((n->back == NULL || before(n->back, score, m)) &&
        (next == NULL || !before(next, score, m))) {
        zsl_set_score(n, score);
        return;
    }
    /* with a walk to the new place, its path costs less than move_near's
     * look at the neighbours (cache misses, the move being seldom near) */
    if (!to && move_near(zs, n, score))
        return;
    struct zsl_node *update[ZSL_MAXLEVEL];
    uint64_t rank[ZSL_MAXLEVEL];
    if (path_holds(zs, from, zsl_score(n), m, n))
        memcpy(update, from->path, (size_t)zs->level * sizeof *update);
    else
        walk_to(zs, zsl_score(n), m, n, update, NULL);
    unlink_node(zs, n, update);
    zsl_set_score(n, score);
    find_place(zs, to, score, m, (int)zsl_level(n), update, rank);
    link_at(zs, n, update, rank);
}

uint64_t zsl_rank(const struct zskip *zs, const struct zsl_node *n)
{
    struct zsl_node *h = zs->head;
    uint64_t rank = 0;
    struct rs_str m = zsl_member(n);
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && (f == n || before(f, zsl_score(n), m))) {
            rank += span_of(h, i);
            h = f;
        }
        if (h == n)
            return rank - 1;
    }
    return rank - 1; /* not reached for a node of the list */
}

/* The node before the one of 1-based rank r (the head for r = 1), and in
 * update (unless NULL) its predecessors at every level. */
static struct zsl_node *walk_rank(const struct zskip *zs, uint64_t r, struct zsl_node **update)
{
    struct zsl_node *h = zs->head;
    if (r == 1) { /* the head at every level, no walk (ZPOPMIN's) */
        for (int i = 0; update && i < zs->level; i++)
            update[i] = h;
        return h;
    }
    uint64_t traversed = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && traversed + span_of(h, i) < r) {
            traversed += span_of(h, i);
            h = f;
        }
        if (update)
            update[i] = h;
    }
    return h;
}

struct zsl_node *zsl_at_rank(const struct zskip *zs, uint64_t r)
{
    if (r + 1 == zs->n) /* the ends without a walk (ZPOPMAX's, ZRANGE -1) */
        return zs->tail;
    return zsl_next(walk_rank(zs, r + 1, NULL));
}

/* The walks of the range ends below count the ranks they pass (spans), so
 * a range's ranks cost no walk of their own. */

struct zsl_node *zsl_first_in_score(const struct zskip *zs, const struct zrange_score *r,
                                    uint64_t *rank)
{
    if (zrange_score_empty(r) || !zs->tail || !zrange_score_gte_min(r, zsl_score(zs->tail)))
        return NULL;
    struct zsl_node *h = zs->head;
    uint64_t n = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && !zrange_score_gte_min(r, zsl_score(f))) {
            n += span_of(h, i);
            h = f;
        }
    }
    h = zsl_next(h);
    *rank = n;
    return h && zrange_score_lte_max(r, zsl_score(h)) ? h : NULL;
}

struct zsl_node *zsl_last_in_score(const struct zskip *zs, const struct zrange_score *r,
                                   uint64_t *rank)
{
    struct zsl_node *first = zsl_first(zs);
    if (zrange_score_empty(r) || !first || !zrange_score_lte_max(r, zsl_score(first)))
        return NULL;
    struct zsl_node *h = zs->head;
    uint64_t n = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && zrange_score_lte_max(r, zsl_score(f))) {
            n += span_of(h, i);
            h = f;
        }
    }
    *rank = n - 1;
    return h != zs->head && zrange_score_gte_min(r, zsl_score(h)) ? h : NULL;
}

struct zsl_node *zsl_first_in_lex(const struct zskip *zs, const struct zrange_lex *r,
                                  uint64_t *rank)
{
    if (zrange_lex_empty(r) || !zs->tail || !zrange_lex_gte_min(r, zsl_member(zs->tail)))
        return NULL;
    struct zsl_node *h = zs->head;
    uint64_t n = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && !zrange_lex_gte_min(r, zsl_member(f))) {
            n += span_of(h, i);
            h = f;
        }
    }
    h = zsl_next(h);
    *rank = n;
    return h && zrange_lex_lte_max(r, zsl_member(h)) ? h : NULL;
}

struct zsl_node *zsl_last_in_lex(const struct zskip *zs, const struct zrange_lex *r,
                                 uint64_t *rank)
{
    struct zsl_node *first = zsl_first(zs);
    if (zrange_lex_empty(r) || !first || !zrange_lex_lte_max(r, zsl_member(first)))
        return NULL;
    struct zsl_node *h = zs->head;
    uint64_t n = 0;
    for (int i = zs->level - 1; i >= 0; i--) {
        struct zsl_node *f;
        while ((f = *zsl_fwd(h, i)) && zrange_lex_lte_max(r, zsl_member(f))) {
            n += span_of(h, i);
            h = f;
        }
    }
    *rank = n - 1;
    return h != zs->head && zrange_lex_gte_min(r, zsl_member(h)) ? h : NULL;
}

void zsl_delete_ranks(struct zskip *zs, uint64_t start, uint64_t end,
                      void (*fn)(void *ud, struct entry *e), void *ud)
{
    struct zsl_node *update[ZSL_MAXLEVEL];
    struct zsl_node *x = zsl_next(walk_rank(zs, start + 1, update));
    zs->walked = false;
    for (uint64_t r = start; x && r <= end; r++) {
        struct zsl_node *next = zsl_next(x);
        unlink_node(zs, x, update);
        if (fn)
            fn(ud, zsl_entry(x));
        zs->bytes -= node_free(x);
        x = next;
    }
}
