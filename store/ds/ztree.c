/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The B+ tree of a large sorted set (ztree.h), and the score and lex
 * ranges.
 *
 * Leaves hold the members, ZT_LEAF at most, in (score, member) order: the
 * scores in one array, their entries in another, so that a search reads
 * scores only (and a member's bytes on a tie, or for a lex range). The
 * leaves are linked both ways for walks. An inner node holds, for each
 * child, the number of members under it (ranks add up along a descent)
 * and its last member, score and entry (a descent compares those): every
 * inner key is exact, the greatest member under its child, kept so by the
 * operations on their way back up.
 *
 * Every node but the root and the two ends of each level holds at least
 * a third of its capacity, and every inner node two children at least,
 * so that a node always has a sibling to refill it from. An insert into a
 * full node splits it in two halves; at the far right (left) end of its
 * level a leaf stays full and the one new member starts a leaf beside
 * it, and an inner node keeps all its children but one, so that members
 * added in order (RDB loading, scores that are times) fill their nodes.
 * A node that falls under a third after a delete takes members from a
 * sibling, or merges with it when both fit one node. The root is a leaf
 * while the tree has no inner level, empty in an empty tree; an inner
 * root of one child gives way to it.
 *
 * Modifications descend recursively (the height is 6 for 100 million
 * members); reads descend in a loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/ztree.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------ */

int zt_cmp_member(struct rs_str a, struct rs_str b)
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
    if (resp_fast_double(s.p, s.len, v))
        return true;
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
    int c = zt_cmp_member(m, r->min);
    return r->mink == ZLEX_EXCL ? c > 0 : c >= 0;
}

bool zrange_lex_lte_max(const struct zrange_lex *r, struct rs_str m)
{
    if (r->maxk == ZLEX_NEG_INF || r->maxk == ZLEX_POS_INF)
        return r->maxk == ZLEX_POS_INF;
    int c = zt_cmp_member(m, r->max);
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
    return zt_cmp_member(a, b);
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

struct zt_inner {
    uint32_t n;                 /* children, 1..ZT_INNER */
    uint64_t cnt[ZT_INNER];     /* members under each */
    double s[ZT_INNER];         /* the score of the last member under each */
    struct entry *e[ZT_INNER];  /* and its entry */
    void *c[ZT_INNER];          /* a struct zt_inner, or a leaf one level up */
};

/* The under-full marks. */
#define LEAF_MIN (ZT_LEAF / 3)
#define INNER_MIN (ZT_INNER / 3)

static struct zt_leaf *leaf_new(struct ztree *t)
{
    struct zt_leaf *l = rs_malloc(sizeof *l);
    l->n = 0;
    l->prev = l->next = NULL;
    t->bytes += sizeof *l;
    t->leaves++;
    return l;
}

static struct zt_inner *inner_new(struct ztree *t)
{
    struct zt_inner *in = rs_malloc(sizeof *in);
    in->n = 0;
    t->bytes += sizeof *in;
    t->inner++;
    return in;
}

static void node_free(struct ztree *t, void *x, int h)
{
    t->bytes -= h ? sizeof(struct zt_inner) : sizeof(struct zt_leaf);
    t->inner -= h ? 1 : 0;
    t->leaves -= h ? 0 : 1;
    rs_free(x);
}

static struct entry *entry_new(struct ztree *t, double score, struct rs_str m)
{
    struct entry *e = rs_malloc(sizeof *e + m.len);
    e->next = NULL;
    e->klen = (uint32_t)m.len;
    e->lru = 0;
    e->type = OBJ_STRING;
    e->enc = ENC_EMBSTR;
    memcpy((char *)e + ZT_SCORE_AT, &score, sizeof score);
    if (m.len)
        memcpy(e->data, m.p, m.len);
    t->bytes += sizeof *e + m.len;
    return e;
}

static void entry_free(struct ztree *t, struct entry *e)
{
    t->bytes -= sizeof *e + e->klen;
    rs_free(e);
}

/* Both kinds of node start with their slot count. */
_Static_assert(offsetof(struct zt_leaf, n) == 0 && offsetof(struct zt_inner, n) == 0,
               "a node's count first");
static inline uint32_t node_n(const void *x)
{
    return *(const uint32_t *)x;
}
static inline void node_set_n(void *x, uint32_t n)
{
    *(uint32_t *)x = n;
}

/* Move k slots (a member and its score; a child, its count and key) of
 * src from si to slot di of dst, nodes of height h, which may be the
 * same node. */
static void slots_move(void *dst, uint32_t di, const void *src, uint32_t si, uint32_t k, int h)
{
    if (h == 0) {
        struct zt_leaf *d = dst;
        const struct zt_leaf *f = src;
        memmove(d->s + di, f->s + si, k * sizeof *d->s);
        memmove(d->e + di, f->e + si, k * sizeof *d->e);
        return;
    }
    struct zt_inner *d = dst;
    const struct zt_inner *f = src;
    memmove(d->cnt + di, f->cnt + si, k * sizeof *d->cnt);
    memmove(d->s + di, f->s + si, k * sizeof *d->s);
    memmove(d->e + di, f->e + si, k * sizeof *d->e);
    memmove(d->c + di, f->c + si, k * sizeof *d->c);
}

/* Members under the k children of in from slot i. */
static uint64_t counts(const struct zt_inner *in, uint32_t i, uint32_t k)
{
    uint64_t n = 0;
    for (uint32_t j = i; j < i + k; j++)
        n += in->cnt[j];
    return n;
}

/* Members under x, a node at height h. */
static uint64_t node_count(const void *x, int h)
{
    return h ? counts(x, 0, node_n(x)) : node_n(x);
}

/* in's key for child i (at height h): the child's last member. */
static void set_key(struct zt_inner *in, uint32_t i, int h)
{
    const void *x = in->c[i];
    if (h == 0) {
        const struct zt_leaf *l = x;
        in->s[i] = l->s[l->n - 1];
        in->e[i] = l->e[l->n - 1];
    } else {
        const struct zt_inner *c = x;
        in->s[i] = c->s[c->n - 1];
        in->e[i] = c->e[c->n - 1];
    }
}

/* Start loading the scores of x (a leaf's or an inner node's), which its
 * search reads first: four lines, fetched together rather than one after
 * the other as the search's steps need them. */
static inline void prefetch_scores(const void *x, int h)
{
    const char *s = h ? (const char *)((const struct zt_inner *)x)->s
                      : (const char *)((const struct zt_leaf *)x)->s;
    for (int k = 0; k < 4; k++)
        __builtin_prefetch(s + 64 * k);
}

void zt_init(struct ztree *t)
{
    t->n = t->bytes = t->inner = t->leaves = 0;
    t->height = 0;
    t->root = t->first = t->last = leaf_new(t);
}

size_t zt_node_bytes(const struct ztree *t)
{
    return (t->height ? t->inner * rs_alloc_size(t->root) : 0) +
           t->leaves * rs_alloc_size(t->first);
}

/* Free the inner nodes under x (height h >= 1), not the leaves. */
static void free_inner(struct ztree *t, struct zt_inner *in, int h)
{
    if (h > 1)
        for (uint32_t i = 0; i < in->n; i++)
            free_inner(t, in->c[i], h - 1);
    node_free(t, in, h);
}

void zt_free(struct ztree *t)
{
    int64_t work = INT64_MAX;
    zt_free_some(t, &work);
}

bool zt_free_some(struct ztree *t, int64_t *work)
{
    /* members from the end of the first leaf, leaves from the first */
    while (t->first) {
        struct zt_leaf *l = t->first;
        for (; l->n > 0 && *work > 0; (*work)--)
            entry_free(t, l->e[--l->n]);
        if (l->n > 0)
            return false;
        t->first = l->next;
        node_free(t, l, 0);
    }
    if (t->height)
        free_inner(t, t->root, t->height);
    t->root = t->last = NULL;
    t->n = 0;
    t->height = 0;
    return true;
}

/* ------------------------------------------------------------------------
 * Searches
 * ------------------------------------------------------------------------ */

/* What a descent looks for: the first member that is not "before" it, a
 * predicate that holds for a prefix of the order. */
enum {
    T_BELOW_MIN,     /* below a score range's min: finds its first member */
    T_IN_MAX,        /* at or below its max: finds the member after its last */
    T_BELOW_LEX_MIN, /* the same for lex ranges */
    T_IN_LEX_MAX,
    T_BEFORE,        /* before (score, m): finds the member's place; self,
                      * if not NULL, is the entry at that place */
};
struct target {
    int kind;
    const struct zrange_score *sr;
    const struct zrange_lex *lr;
    double score;
    struct rs_str m;
    const struct entry *self;
};

static inline bool before(const struct target *t, double s, const struct entry *e)
{
    switch (t->kind) {
    case T_BELOW_MIN:
        return !zrange_score_gte_min(t->sr, s);
    case T_IN_MAX:
        return zrange_score_lte_max(t->sr, s);
    case T_BELOW_LEX_MIN:
        return !zrange_lex_gte_min(t->lr, zt_member(e));
    case T_IN_LEX_MAX:
        return zrange_lex_lte_max(t->lr, zt_member(e));
    default:
        return s < t->score ||
               (s == t->score && e != t->self && zt_cmp_member(zt_member(e), t->m) < 0);
    }
}

/* The first of s[0..n) (entries e[]) not before t: n if none. */
static inline uint32_t lower(const double *s, struct entry *const *e, uint32_t n,
                             const struct target *t)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (before(t, s[mid], e[mid]))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static inline uint32_t leaf_lower(const struct zt_leaf *l, const struct target *t)
{
    return lower(l->s, l->e, l->n, t);
}

/* The child of in to descend into for t: the first whose last member is
 * not before t; n when every member under in is before it. */
static inline uint32_t inner_lower(const struct zt_inner *in, const struct target *t)
{
    return lower(in->s, in->e, in->n, t);
}

/* The first member not before t (leaf NULL if none) and its rank (n if
 * none). Below the root, the child a descent enters holds a member not
 * before t (its last), so only the root can answer "none". */
static inline struct zt_pos descend(const struct ztree *t, const struct target *tg,
                                    uint64_t *rank)
{
    const void *x = t->root;
    uint64_t r = 0;
    for (int h = t->height; h > 0; h--) {
        const struct zt_inner *in = x;
        uint32_t i = inner_lower(in, tg);
        if (i == in->n) {
            *rank = t->n;
            return (struct zt_pos){NULL, 0};
        }
        x = in->c[i];
        prefetch_scores(x, h - 1);
        r += counts(in, 0, i);
    }
    struct zt_leaf *l = (struct zt_leaf *)x;
    uint32_t i = leaf_lower(l, tg);
    *rank = r + i;
    return (struct zt_pos){i < l->n ? l : NULL, i};
}

uint64_t zt_rank(const struct ztree *t, const struct entry *e)
{
    struct target tg = {.kind = T_BEFORE, .score = zt_score(e), .m = zt_member(e), .self = e};
    uint64_t r;
    descend(t, &tg, &r);
    return r;
}

struct zt_pos zt_at_rank(const struct ztree *t, uint64_t r)
{
    if (r == 0) /* the ends without a descent (ZPOPMIN, ZRANGE -1) */
        return zt_first(t);
    if (r + 1 == t->n)
        return zt_last(t);
    const void *x = t->root;
    for (int h = t->height; h > 0; h--) {
        const struct zt_inner *in = x;
        uint32_t i = 0;
        while (r >= in->cnt[i])
            r -= in->cnt[i++];
        x = in->c[i];
    }
    return (struct zt_pos){(struct zt_leaf *)x, (uint32_t)r};
}

/* The member before p, p being the place after it (leaf NULL: the end);
 * one must be there. */
static struct zt_pos before_pos(const struct ztree *t, struct zt_pos p)
{
    return p.leaf ? zt_step(p, true) : zt_last(t);
}

struct zt_pos zt_first_in_score(const struct ztree *t, const struct zrange_score *r,
                                uint64_t *rank)
{
    struct zt_pos none = {NULL, 0};
    if (zrange_score_empty(r) || t->n == 0 || !zrange_score_gte_min(r, t->last->s[t->last->n - 1]))
        return none;
    struct target tg = {.kind = T_BELOW_MIN, .sr = r};
    struct zt_pos p = descend(t, &tg, rank);
    return p.leaf && zrange_score_lte_max(r, zt_pos_score(p)) ? p : none;
}

struct zt_pos zt_last_in_score(const struct ztree *t, const struct zrange_score *r,
                               uint64_t *rank)
{
    struct zt_pos none = {NULL, 0};
    if (zrange_score_empty(r) || t->n == 0 || !zrange_score_lte_max(r, t->first->s[0]))
        return none;
    struct target tg = {.kind = T_IN_MAX, .sr = r};
    struct zt_pos p = before_pos(t, descend(t, &tg, rank));
    (*rank)--;
    return zrange_score_gte_min(r, zt_pos_score(p)) ? p : none;
}

struct zt_pos zt_first_in_lex(const struct ztree *t, const struct zrange_lex *r, uint64_t *rank)
{
    struct zt_pos none = {NULL, 0};
    if (zrange_lex_empty(r) || t->n == 0 ||
        !zrange_lex_gte_min(r, zt_member(t->last->e[t->last->n - 1])))
        return none;
    struct target tg = {.kind = T_BELOW_LEX_MIN, .lr = r};
    struct zt_pos p = descend(t, &tg, rank);
    return p.leaf && zrange_lex_lte_max(r, zt_member(zt_entry(p))) ? p : none;
}

struct zt_pos zt_last_in_lex(const struct ztree *t, const struct zrange_lex *r, uint64_t *rank)
{
    struct zt_pos none = {NULL, 0};
    if (zrange_lex_empty(r) || t->n == 0 || !zrange_lex_lte_max(r, zt_member(t->first->e[0])))
        return none;
    struct target tg = {.kind = T_IN_LEX_MAX, .lr = r};
    struct zt_pos p = before_pos(t, descend(t, &tg, rank));
    (*rank)--;
    return zrange_lex_gte_min(r, zt_member(zt_entry(p))) ? p : none;
}

/* ------------------------------------------------------------------------
 * Inserts
 * ------------------------------------------------------------------------ */

/* Where a node lies in its level: at the right end (every ancestor took
 * its last child), at the left end. */
enum { EDGE_RIGHT = 1, EDGE_LEFT = 2 };

/* Where a full node of cap at height h splits for an insert at i: how
 * many slots it keeps. At the end of its level, an insert past its end
 * (at the right; at its start, at the left) leaves it full, less the one
 * child an inner node hands over so that the new one has two (an inner
 * node's inserts come after the child that split, so at 1 at least);
 * else half. */
static uint32_t split_at(uint32_t i, uint32_t cap, int edge, int h)
{
    if ((edge & EDGE_RIGHT) && i == cap)
        return h ? cap - 1 : cap;
    if ((edge & EDGE_LEFT) && i == (h ? 1u : 0u))
        return h ? 1 : 0;
    return (cap + 1) / 2;
}

/* Open slot *i of x (height h) for an insert, splitting x when it is
 * full: *at is then the half the slot is in and *i its index there.
 * Returns the new node after x when x split, else NULL. The slot's
 * contents are the caller's to write. */
static void *open_slot(struct ztree *t, void *x, int h, uint32_t *i, void **at, int edge)
{
    void *r = NULL;
    uint32_t cap = h ? ZT_INNER : ZT_LEAF;
    if (node_n(x) == cap) {
        uint32_t keep = split_at(*i, cap, edge, h);
        r = h ? (void *)inner_new(t) : (void *)leaf_new(t);
        slots_move(r, 0, x, keep, cap - keep, h);
        node_set_n(r, cap - keep);
        node_set_n(x, keep);
        if (h == 0) {
            struct zt_leaf *l = x, *lr = r;
            lr->prev = l;
            lr->next = l->next;
            if (lr->next)
                lr->next->prev = lr;
            else
                t->last = lr;
            l->next = lr;
        }
        if (*i > keep || keep == cap) {
            *i -= keep;
            x = r;
        }
    }
    uint32_t n = node_n(x);
    slots_move(x, *i + 1, x, *i, n - *i, h);
    node_set_n(x, n + 1);
    *at = x;
    return r;
}

/* Insert child x (at height h - 1, cnt members) at slot i of in (at
 * height h); returns a new node after in when in was full and split. */
static struct zt_inner *inner_insert(struct ztree *t, struct zt_inner *in, uint32_t i, void *x,
                                     uint64_t cnt, int h, int edge)
{
    void *at;
    struct zt_inner *r = open_slot(t, in, h, &i, &at, edge);
    in = at;
    in->c[i] = x;
    in->cnt[i] = cnt;
    set_key(in, i, h - 1);
    return r;
}

/* Insert entry e (score s) at its place (tg) under x, at height h;
 * returns x's new sibling when x split, else NULL. */
static void *insert_at(struct ztree *t, void *x, int h, const struct target *tg, double s,
                       struct entry *e, int edge)
{
    if (h == 0) {
        uint32_t i = leaf_lower(x, tg);
        void *at;
        void *r = open_slot(t, x, 0, &i, &at, edge);
        struct zt_leaf *l = at;
        l->s[i] = s;
        l->e[i] = e;
        return r;
    }
    struct zt_inner *in = x;
    uint32_t i = inner_lower(in, tg);
    if (i == in->n) /* after every member: into the last child */
        i--;
    int cedge = ((edge & EDGE_RIGHT) && i == in->n - 1 ? EDGE_RIGHT : 0) |
                ((edge & EDGE_LEFT) && i == 0 ? EDGE_LEFT : 0);
    void *sib = insert_at(t, in->c[i], h - 1, tg, s, e, cedge);
    if (!sib) {
        in->cnt[i]++;
        set_key(in, i, h - 1);
        return NULL;
    }
    uint64_t scnt = node_count(sib, h - 1);
    in->cnt[i] = in->cnt[i] + 1 - scnt;
    set_key(in, i, h - 1);
    return inner_insert(t, in, i + 1, sib, scnt, h, edge);
}

/* Link entry e, with its score set, at its place. */
static void link_entry(struct ztree *t, struct entry *e)
{
    double s = zt_score(e);
    struct target tg = {.kind = T_BEFORE, .score = s, .m = zt_member(e), .self = e};
    void *sib = insert_at(t, t->root, t->height, &tg, s, e, EDGE_LEFT | EDGE_RIGHT);
    t->n++;
    if (sib) { /* the root split: a new root above the two */
        struct zt_inner *root = inner_new(t);
        t->height++;
        uint64_t scnt = node_count(sib, t->height - 1);
        root->n = 0;
        inner_insert(t, root, 0, t->root, t->n - scnt, t->height, 0);
        inner_insert(t, root, 1, sib, scnt, t->height, 0);
        t->root = root;
    }
}

struct entry *zt_insert(struct ztree *t, double score, struct rs_str m)
{
    struct entry *e = entry_new(t, score, m);
    link_entry(t, e);
    return e;
}

/* ------------------------------------------------------------------------
 * Deletes and updates
 * ------------------------------------------------------------------------ */

/* Child i of in (at height h + 1) fell under its mark: it takes members
 * from a sibling, or merges with it when both fit one node (the right one
 * of the two is freed). in has two children at least. */
static void refill(struct ztree *t, struct zt_inner *in, uint32_t i, int h)
{
    uint32_t a = i > 0 ? i - 1 : i, b = a + 1;
    uint32_t na = node_n(in->c[a]), nb = node_n(in->c[b]);
    uint32_t cap = h ? ZT_INNER : ZT_LEAF;
    /* the new sizes: all in a, or half each; move slots from the end
     * of a to the front of b, or the other way */
    uint32_t to_a = na + nb <= cap ? na + nb : (na + nb) / 2;
    void *A = in->c[a], *B = in->c[b];
    if (to_a > na) {
        uint32_t k = to_a - na;
        uint64_t moved = h ? counts(B, 0, k) : k;
        slots_move(A, na, B, 0, k, h);
        slots_move(B, 0, B, k, nb - k, h);
        in->cnt[a] += moved;
        in->cnt[b] -= moved;
    } else if (to_a < na) {
        uint32_t k = na - to_a;
        uint64_t moved = h ? counts(A, to_a, k) : k;
        slots_move(B, k, B, 0, nb, h);
        slots_move(B, 0, A, to_a, k, h);
        in->cnt[a] -= moved;
        in->cnt[b] += moved;
    }
    node_set_n(A, to_a);
    node_set_n(B, na + nb - to_a);
    if (h == 0 && na + nb == to_a) { /* b's leaf goes: out of the links */
        struct zt_leaf *la = A, *lb = B;
        la->next = lb->next;
        if (la->next)
            la->next->prev = la;
        else
            t->last = la;
    }
    /* a holds members either way (the two cannot both be empty); b's key
     * may name a member just removed, so both are read again */
    set_key(in, a, h);
    if (node_n(in->c[b]) > 0) {
        set_key(in, b, h);
        return;
    }
    /* merged: b goes */
    node_free(t, in->c[b], h);
    slots_move(in, b, in, b + 1, in->n - b - 1, h + 1);
    in->n--;
}

/* A removal: of the member at a place (tg), or at a rank (tg NULL) of up
 * to want members from there within one leaf. With moveto not NULL the
 * member found (by tg) moves to that score instead, in place when it stays
 * between its neighbours (nothing is removed then), else it is unlinked
 * and kept. */
struct removal {
    const struct target *tg;
    uint64_t rank;
    uint64_t want;
    const double *moveto;
    void (*fn)(void *ud, struct entry *e);
    void *ud;
    uint64_t done; /* members removed */
};

/* Whether score s for entry e, at slot i of l, keeps the order. */
static bool fits_at(const struct zt_leaf *l, uint32_t i, double s, struct entry *e)
{
    struct target tg = {.kind = T_BEFORE, .score = s, .m = zt_member(e), .self = e};
    const struct zt_leaf *pl = i > 0 ? l : l->prev, *nl = i + 1 < l->n ? l : l->next;
    uint32_t pi = i > 0 ? i - 1 : pl ? pl->n - 1 : 0, ni = i + 1 < l->n ? i + 1 : 0;
    return (!pl || before(&tg, pl->s[pi], pl->e[pi])) && (!nl || !before(&tg, nl->s[ni], nl->e[ni]));
}

/* Remove under x (height h) as rm says; returns whether x fell under its
 * mark. */
static bool remove_at(struct ztree *t, void *x, int h, struct removal *rm)
{
    if (h == 0) {
        struct zt_leaf *l = x;
        uint32_t i = rm->tg ? leaf_lower(l, rm->tg) : (uint32_t)rm->rank;
        if (rm->moveto && fits_at(l, i, *rm->moveto, l->e[i])) {
            l->s[i] = *rm->moveto;
            memcpy((char *)l->e[i] + ZT_SCORE_AT, rm->moveto, sizeof *rm->moveto);
            return false;
        }
        uint32_t k = rm->want < l->n - i ? (uint32_t)rm->want : l->n - i;
        for (uint32_t j = i; j < i + k && !rm->moveto; j++) {
            if (rm->fn)
                rm->fn(rm->ud, l->e[j]);
            entry_free(t, l->e[j]);
        }
        slots_move(l, i, l, i + k, l->n - i - k, 0);
        l->n -= k;
        rm->done = k;
        return l->n < LEAF_MIN;
    }
    struct zt_inner *in = x;
    uint32_t i = 0;
    if (rm->tg)
        i = inner_lower(in, rm->tg);
    else
        while (rm->rank >= in->cnt[i])
            rm->rank -= in->cnt[i++];
    bool under = remove_at(t, in->c[i], h - 1, rm);
    in->cnt[i] -= rm->done;
    if (node_n(in->c[i]) > 0)
        set_key(in, i, h - 1);
    if (under && in->n > 1)
        refill(t, in, i, h - 1);
    return in->n < INNER_MIN;
}

/* Run rm from the root; an inner root left with one child gives way to it. */
static void remove_root(struct ztree *t, struct removal *rm)
{
    remove_at(t, t->root, t->height, rm);
    t->n -= rm->done;
    while (t->height > 0 && ((struct zt_inner *)t->root)->n == 1) {
        void *c = ((struct zt_inner *)t->root)->c[0];
        node_free(t, t->root, t->height);
        t->root = c;
        t->height--;
    }
}

void zt_delete(struct ztree *t, struct entry *e)
{
    struct target tg = {.kind = T_BEFORE, .score = zt_score(e), .m = zt_member(e), .self = e};
    struct removal rm = {.tg = &tg, .want = 1};
    remove_root(t, &rm);
}

void zt_update(struct ztree *t, struct entry *e, double score)
{
    struct target tg = {.kind = T_BEFORE, .score = zt_score(e), .m = zt_member(e), .self = e};
    struct removal rm = {.tg = &tg, .want = 1, .moveto = &score};
    remove_root(t, &rm);
    if (rm.done == 0) /* moved in place */
        return;
    memcpy((char *)e + ZT_SCORE_AT, &score, sizeof score);
    link_entry(t, e);
}

void zt_delete_ranks(struct ztree *t, uint64_t start, uint64_t end,
                     void (*fn)(void *ud, struct entry *e), void *ud)
{
    /* a leaf's run at a time: O(log n) each, and O(1) a member */
    for (uint64_t left = end - start + 1; left > 0;) {
        struct removal rm = {.rank = start, .want = left, .fn = fn, .ud = ud};
        remove_root(t, &rm);
        left -= rm.done;
    }
}

/* ------------------------------------------------------------------------
 * Checks
 * ------------------------------------------------------------------------ */

/* Checks x at height h and its subtree, x being at the edge of its level
 * that edge says (EDGE_*; the root is at both); *prev is the last leaf met
 * before it, in order, (*ls, *le) the last member's score and entry (le
 * NULL before any). Returns its member count, or UINT64_MAX. */
static uint64_t valid_node(const struct ztree *t, const void *x, int h, int edge,
                           const struct zt_leaf **prev, double *ls, const struct entry **le)
{
    uint32_t n = node_n(x);
    bool root = x == t->root;
    if (n > (h ? ZT_INNER : ZT_LEAF) || (!edge && n < (h ? INNER_MIN : LEAF_MIN)) ||
        (!root && n == 0) || (h && n < 2))
        return UINT64_MAX;
    if (h == 0) {
        const struct zt_leaf *l = x;
        if (l->prev != *prev || (*prev && (*prev)->next != l))
            return UINT64_MAX;
        for (uint32_t i = 0; i < n; i++) {
            if (zt_score(l->e[i]) != l->s[i])
                return UINT64_MAX;
            if (*le) {
                struct target tg = {.kind = T_BEFORE, .score = l->s[i], .m = zt_member(l->e[i])};
                if (!before(&tg, *ls, *le))
                    return UINT64_MAX;
            }
            *ls = l->s[i];
            *le = l->e[i];
        }
        *prev = l;
        return n;
    }
    const struct zt_inner *in = x;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        int cedge = ((edge & EDGE_RIGHT) && i == n - 1 ? EDGE_RIGHT : 0) |
                    ((edge & EDGE_LEFT) && i == 0 ? EDGE_LEFT : 0);
        uint64_t c = valid_node(t, in->c[i], h - 1, cedge, prev, ls, le);
        if (c == UINT64_MAX || c != in->cnt[i] || in->e[i] != *le || in->s[i] != *ls)
            return UINT64_MAX;
        sum += c;
    }
    return sum;
}

bool zt_valid(const struct ztree *t)
{
    const struct zt_leaf *prev = NULL;
    double ls = 0;
    const struct entry *le = NULL;
    uint64_t n = valid_node(t, t->root, t->height, EDGE_LEFT | EDGE_RIGHT, &prev, &ls, &le);
    const void *x = t->root;
    for (int h = t->height; h > 0; h--)
        x = ((const struct zt_inner *)x)->c[0];
    return n == t->n && prev == t->last && prev->next == NULL && x == t->first &&
           t->first->prev == NULL;
}
