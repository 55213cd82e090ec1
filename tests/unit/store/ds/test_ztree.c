/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Model-based test of the B+ tree of sorted sets (ztree.c): random
 * inserts, deletes, score updates near and far and rank-range deletes
 * against a sorted array of (score, member), checking after every step
 * the tree's invariants (zt_valid), the order both ways, every rank
 * (zt_rank, zt_at_rank), the scores, and the first and last members of
 * random score and lex ranges; the bytes accounted; members added in
 * order (full leaves) and in reverse; and freeing in slices.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/ztree.h"

#define MAXN 4000

struct ref {
    double score;
    char m[12];
    struct entry *e;
};

static struct ref model[MAXN];
static int nmodel;

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zt_cmp_member(rs_str_from(x->m, strlen(x->m)), rs_str_from(y->m, strlen(y->m)));
}

static int find(const char *m)
{
    for (int i = 0; i < nmodel; i++)
        if (strcmp(model[i].m, m) == 0)
            return i;
    return -1;
}

static struct rs_str str(const char *s)
{
    return rs_str_from(s, strlen(s));
}

/* Sort the model and check the tree against it; ranks of every member
 * when all_ranks, else of a sample. */
static void check(const struct ztree *t, bool all_ranks)
{
    qsort(model, (size_t)nmodel, sizeof *model, ref_cmp);
    cr_assert(zt_valid(t), "invariants");
    cr_assert_eq(t->n, (uint64_t)nmodel);
    struct zt_pos p = zt_first(t);
    for (int i = 0; i < nmodel; i++, p = zt_step(p, false)) {
        cr_assert(p.leaf, "member %d missing", i);
        struct rs_str m = zt_member(zt_entry(p));
        cr_assert(m.len == strlen(model[i].m) && memcmp(m.p, model[i].m, m.len) == 0,
                  "member at rank %d", i);
        cr_assert_eq(zt_pos_score(p), model[i].score);
        cr_assert_eq(zt_score(zt_entry(p)), model[i].score);
        cr_assert_eq(zt_entry(p), model[i].e);
        if (all_ranks || i % 37 == 0) {
            cr_assert_eq(zt_rank(t, model[i].e), (uint64_t)i);
            cr_assert_eq(zt_entry(zt_at_rank(t, (uint64_t)i)), model[i].e);
        }
    }
    cr_assert_null(p.leaf);
    p = zt_last(t);
    for (int i = nmodel - 1; i >= 0; i--, p = zt_step(p, true))
        cr_assert_eq(zt_entry(p), model[i].e, "backwards at rank %d", i);
    cr_assert_null(p.leaf);
}

static struct entry *pos_entry(struct zt_pos p)
{
    return p.leaf ? zt_entry(p) : NULL;
}

/* A random score range's and lex range's first and last members against
 * the model's (lex over the whole order: it holds as the members are
 * sorted the same way where scores tie, and ranges are checked only
 * against the model's own first and last in range). */
static void check_ranges(const struct ztree *t, int span)
{
    struct zrange_score r = {rand() % span - 2, rand() % span - 2, rand() % 2, rand() % 2};
    int first = -1, last = -1;
    for (int i = 0; i < nmodel; i++) {
        if (zrange_score_gte_min(&r, model[i].score) && zrange_score_lte_max(&r, model[i].score)) {
            first = first < 0 ? i : first;
            last = i;
        }
    }
    uint64_t ra, rb;
    struct zt_pos a = zt_first_in_score(t, &r, &ra), b = zt_last_in_score(t, &r, &rb);
    cr_assert_eq(pos_entry(a), first < 0 ? NULL : model[first].e);
    cr_assert_eq(pos_entry(b), last < 0 ? NULL : model[last].e);
    if (a.leaf) {
        cr_assert_eq(ra, (uint64_t)first, "rank of the first member in range");
        cr_assert_eq(rb, (uint64_t)last, "rank of the last member in range");
    }
}

/* Lex ranges over members of one score, as BYLEX serves them. */
static void check_lex(const struct ztree *t)
{
    char lo[8], hi[8];
    snprintf(lo, sizeof lo, "m%d", rand() % 100);
    snprintf(hi, sizeof hi, "m%d", rand() % 100);
    int kinds[] = {ZLEX_INCL, ZLEX_EXCL, ZLEX_NEG_INF, ZLEX_POS_INF};
    struct zrange_lex lr = {str(lo), str(hi), kinds[rand() % 4], kinds[rand() % 4]};
    int first = -1, last = -1;
    for (int i = 0; i < nmodel; i++) {
        struct rs_str m = str(model[i].m);
        if (zrange_lex_gte_min(&lr, m) && zrange_lex_lte_max(&lr, m)) {
            first = first < 0 ? i : first;
            last = i;
        }
    }
    if (zrange_lex_empty(&lr))
        first = last = -1;
    uint64_t ra, rb;
    struct zt_pos a = zt_first_in_lex(t, &lr, &ra), b = zt_last_in_lex(t, &lr, &rb);
    cr_assert_eq(pos_entry(a), first < 0 ? NULL : model[first].e, "lex first %s %s", lo, hi);
    cr_assert_eq(pos_entry(b), last < 0 ? NULL : model[last].e, "lex last %s %s", lo, hi);
    if (a.leaf) {
        cr_assert_eq(ra, (uint64_t)first);
        cr_assert_eq(rb, (uint64_t)last);
    }
}

static void add(struct ztree *t, double score, const char *m)
{
    model[nmodel].score = score;
    strcpy(model[nmodel].m, m);
    model[nmodel++].e = zt_insert(t, score, str(m));
}

/* Delete ranks [s, e] of the sorted model from the tree and the model. */
static void delete_ranks(struct ztree *t, int s, int e)
{
    qsort(model, (size_t)nmodel, sizeof *model, ref_cmp);
    zt_delete_ranks(t, (uint64_t)s, (uint64_t)e, NULL, NULL);
    memmove(&model[s], &model[e + 1], (size_t)(nmodel - e - 1) * sizeof *model);
    nmodel -= e - s + 1;
}

/* Small: a tree of one leaf and of two levels, every step checked. */
Test(ztree, random_operations_match_a_sorted_array)
{
    struct ztree t;
    zt_init(&t);
    srand(7);
    nmodel = 0;
    uint64_t base = t.bytes;
    for (int step = 0; step < 6000; step++) {
        char m[8];
        snprintf(m, sizeof m, "m%d", rand() % 100);
        int at = find(m), op = rand() % 10;
        double score = (double)(rand() % 16);
        if (op < 5 && at < 0) {
            add(&t, score, m);
        } else if (op < 7 && at >= 0) {
            zt_delete(&t, model[at].e);
            model[at] = model[--nmodel];
        } else if (op < 9 && at >= 0) {
            zt_update(&t, model[at].e, score);
            model[at].score = score;
        } else if (nmodel > 0) {
            int s = rand() % nmodel, e = s + rand() % 3;
            delete_ranks(&t, s, e < nmodel ? e : nmodel - 1);
        }
        check(&t, true);
        check_ranges(&t, 20);
    }
    while (nmodel)
        zt_delete(&t, model[--nmodel].e);
    cr_assert(zt_valid(&t));
    cr_assert_eq(t.bytes, base, "every node's and entry's bytes given back");
    zt_free(&t);
}

/* Large: three levels, with the splits, refills and merges of inner
 * nodes, updates near (ZINCRBY's) and far, and long rank deletes. */
Test(ztree, a_tree_of_several_levels_keeps_every_invariant)
{
    struct ztree t;
    zt_init(&t);
    srand(11);
    nmodel = 0;
    char m[12];
    for (int i = 0; i < MAXN; i++) {
        snprintf(m, sizeof m, "e%d", i);
        add(&t, (double)(rand() % 1000), m);
    }
    check(&t, true);
    cr_assert_geq(t.height, 2);
    int next_name = MAXN;
    for (int step = 0; step < 3000; step++) {
        int op = rand() % 20, at = rand() % nmodel;
        if (op < 8) {
            double by = op < 6 ? (double)(rand() % 7 - 3) : (double)(rand() % 3000 - 1500);
            model[at].score += by;
            zt_update(&t, model[at].e, model[at].score);
        } else if (op < 13 && nmodel > 1) {
            zt_delete(&t, model[at].e);
            model[at] = model[--nmodel];
        } else if (op < 19 && nmodel < MAXN) {
            snprintf(m, sizeof m, "e%d", next_name++);
            add(&t, (double)(rand() % 1000), m);
        } else if (nmodel > 200) {
            int s = rand() % nmodel, e = s + rand() % 150;
            delete_ranks(&t, s, e < nmodel ? e : nmodel - 1);
        }
        if (step % 50 == 0) {
            check(&t, false);
            check_ranges(&t, 1000);
        }
    }
    check(&t, true);
    /* down to nothing by ranks, the tree shrinking level by level */
    while (nmodel > 0) {
        int e = rand() % 500;
        delete_ranks(&t, 0, e < nmodel ? e : nmodel - 1);
        check(&t, false);
    }
    cr_assert_eq(t.height, 0);
    zt_free(&t);
}

/* Members of one score, ordered by their bytes: lex ranges. */
Test(ztree, lex_ranges_among_equal_scores)
{
    struct ztree t;
    zt_init(&t);
    srand(3);
    nmodel = 0;
    char m[8];
    for (int i = 0; i < 100; i++) {
        snprintf(m, sizeof m, "m%d", i);
        add(&t, 0, m);
    }
    check(&t, true);
    for (int k = 0; k < 2000; k++) {
        check_lex(&t);
        if (k % 10 == 0 && nmodel > 10) {
            int at = rand() % nmodel;
            zt_delete(&t, model[at].e);
            model[at] = model[--nmodel];
            check(&t, false);
        }
    }
    zt_free(&t);
}

/* Members added in order fill their leaves (RDB loading, times as
 * scores), in reverse order too; a set added at random fills them by a
 * half at least. */
Test(ztree, members_in_order_fill_their_leaves)
{
    char m[12];
    for (int order = 0; order < 3; order++) {
        struct ztree t;
        zt_init(&t);
        nmodel = 0;
        srand(5);
        for (int i = 0; i < MAXN; i++) {
            snprintf(m, sizeof m, "k%05d", i);
            double s = order == 0 ? i : order == 1 ? MAXN - i : rand() % MAXN;
            add(&t, s, m);
        }
        check(&t, false);
        uint64_t leaves = 0;
        for (struct zt_leaf *l = zt_first(&t).leaf; l; l = l->next)
            leaves++;
        uint64_t full = (MAXN + ZT_LEAF - 1) / ZT_LEAF;
        if (order < 2)
            cr_assert_eq(leaves, full, "order %d: %llu leaves", order, (unsigned long long)leaves);
        else
            cr_assert_leq(leaves, 2 * full + 1);
        zt_free(&t);
    }
}

/* zt_free_some frees a member a unit, then everything once none is left;
 * the bytes come back to nothing (ASan sees anything left). */
Test(ztree, freeing_in_slices)
{
    struct ztree t;
    zt_init(&t);
    char m[12];
    for (int i = 0; i < 3000; i++) {
        snprintf(m, sizeof m, "s%d", i);
        zt_insert(&t, i % 97, str(m));
    }
    int calls = 0;
    for (;;) {
        int64_t work = 100;
        calls++;
        if (zt_free_some(&t, &work))
            break;
        cr_assert_eq(work, 0);
    }
    cr_assert_eq(calls, 30);
    cr_assert_eq(t.bytes, 0);
}

/* Members added in order split the inner nodes at the right end; the new
 * right-end leaf's member then goes, each way a member can (a one-child
 * inner node was left there, with an empty leaf and a key naming the
 * freed entry). In reverse order, the same at the left end. */
Test(ztree, emptying_an_end_leaf_after_an_end_split)
{
    char m[16];
    static const int sizes[] = {931, 932, 960, 961, 28831};
    for (int k = 0; k < 2 * 3 * 5; k++) {
        int n = sizes[k % 5], how = k / 5 % 3;
        bool rev = k >= 15;
        struct ztree t;
        zt_init(&t);
        struct entry *end = NULL;
        for (int i = 0; i < n; i++) {
            snprintf(m, sizeof m, "k%06d", i);
            end = zt_insert(&t, rev ? -i : i, str(m));
        }
        cr_assert(zt_valid(&t), "n %d, rev %d: loaded", n, rev);
        if (how == 0)
            zt_delete(&t, end);
        else if (how == 1)
            zt_delete_ranks(&t, rev ? 0 : t.n - 1, rev ? 0 : t.n - 1, NULL, NULL);
        else
            zt_update(&t, end, rev ? n : -n);
        cr_assert(zt_valid(&t), "n %d, how %d, rev %d", n, how, rev);
        cr_assert_lt(zt_last(&t).i, t.last->n);
        zt_free(&t);
    }
}
