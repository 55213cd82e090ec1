/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Model-based test of the skip list of sorted sets (zskip.c): random
 * inserts, deletes, score updates and rank-range deletes against a sorted
 * array of (score, member), checking after every step the order both ways,
 * every rank (zsl_rank, zsl_at_rank), the scores, the bytes accounted, and
 * the first and last nodes of random score and lex ranges; and score
 * updates near and far in a list of several levels.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/zskip.h"

#define MAXN 3000

struct ref {
    double score;
    char m[12];
    struct zsl_node *node;
};

static struct ref model[MAXN];
static int nmodel;

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zsl_cmp_member(rs_str_from(x->m, strlen(x->m)), rs_str_from(y->m, strlen(y->m)));
}

static int find(const char *m)
{
    for (int i = 0; i < nmodel; i++)
        if (strcmp(model[i].m, m) == 0)
            return i;
    return -1;
}

static void check(const struct zskip *zs)
{
    qsort(model, (size_t)nmodel, sizeof *model, ref_cmp);
    cr_assert_eq(zs->n, (uint64_t)nmodel);
    struct zsl_node *n = zsl_first(zs), *prev = NULL;
    for (int i = 0; i < nmodel; i++, prev = n, n = zsl_next(n)) {
        cr_assert(n, "node %d missing", i);
        struct rs_str m = zsl_member(n);
        cr_assert(m.len == strlen(model[i].m) && memcmp(m.p, model[i].m, m.len) == 0,
                  "member at rank %d", i);
        cr_assert_eq(zsl_score(n), model[i].score);
        cr_assert_eq(n->back, prev);
        cr_assert_eq(n, model[i].node);
        cr_assert_eq(zsl_rank(zs, n), (uint64_t)i);
        cr_assert_eq(zsl_at_rank(zs, (uint64_t)i), n);
    }
    cr_assert_null(n);
    cr_assert_eq(zs->tail, prev);
}

/* A random score range's first and last nodes against the model's. */
static void check_ranges(const struct zskip *zs)
{
    struct zrange_score r = {rand() % 20 - 2, rand() % 20 - 2, rand() % 2, rand() % 2};
    int first = -1, last = -1;
    for (int i = 0; i < nmodel; i++) {
        if (zrange_score_gte_min(&r, model[i].score) && zrange_score_lte_max(&r, model[i].score)) {
            first = first < 0 ? i : first;
            last = i;
        }
    }
    uint64_t ra, rb;
    struct zsl_node *a = zsl_first_in_score(zs, &r, &ra), *b = zsl_last_in_score(zs, &r, &rb);
    cr_assert_eq(a, first < 0 ? NULL : model[first].node);
    cr_assert_eq(b, last < 0 ? NULL : model[last].node);
    if (a) {
        cr_assert_eq(ra, (uint64_t)first, "rank of the first node in range");
        cr_assert_eq(rb, (uint64_t)last, "rank of the last node in range");
    }
    /* lex ranges among equal scores are what BYLEX serves; here over the
     * whole order, which holds as long as it is sorted by member too */
    char lo[8], hi[8];
    snprintf(lo, sizeof lo, "m%d", rand() % 100);
    snprintf(hi, sizeof hi, "m%d", rand() % 100);
    struct zrange_lex lr = {rs_str_from(lo, strlen(lo)), rs_str_from(hi, strlen(hi)),
                            rand() % 2, rand() % 2};
    cr_assert_eq(zrange_lex_empty(&lr), zsl_cmp_member(lr.min, lr.max) > 0 ||
                                            (zsl_cmp_member(lr.min, lr.max) == 0 &&
                                             (lr.mink || lr.maxk)));
}

Test(zskip, random_operations_match_a_sorted_array)
{
    struct zskip zs;
    zsl_init(&zs, 12345);
    srand(7);
    nmodel = 0;
    uint64_t base = zs.bytes;
    for (int step = 0; step < 4000; step++) {
        char m[8];
        snprintf(m, sizeof m, "m%d", rand() % 100);
        int at = find(m), op = rand() % 10;
        double score = (double)(rand() % 16);
        if (op < 5 && at < 0 && nmodel < MAXN) {
            model[nmodel].score = score;
            strcpy(model[nmodel].m, m);
            model[nmodel++].node = zsl_insert(&zs, score, rs_str_from(m, strlen(m)), NULL);
        } else if (op < 7 && at >= 0) {
            zsl_delete(&zs, model[at].node);
            model[at] = model[--nmodel];
        } else if (op < 9 && at >= 0) {
            zsl_update(&zs, model[at].node, score, NULL, NULL);
            model[at].score = score;
        } else if (nmodel > 0) {
            uint64_t s = (uint64_t)(rand() % nmodel), e = s + (uint64_t)(rand() % 3);
            if (e >= (uint64_t)nmodel)
                e = (uint64_t)nmodel - 1;
            qsort(model, (size_t)nmodel, sizeof *model, ref_cmp);
            zsl_delete_ranks(&zs, s, e, NULL, NULL);
            memmove(&model[s], &model[e + 1], (size_t)(nmodel - (int)e - 1) * sizeof *model);
            nmodel -= (int)(e - s + 1);
        }
        check(&zs);
        check_ranges(&zs);
    }
    while (nmodel)
        zsl_delete(&zs, model[--nmodel].node);
    cr_assert_eq(zs.bytes, base, "every node's bytes given back");
    zsl_free(&zs);
}

/* Updates that move a node a few places either way (ZINCRBY's: a node of
 * one level among others moves at level 0 only), onto ties, or far, in a
 * list tall enough for several levels. */
Test(zskip, updates_near_and_far_keep_order_and_ranks)
{
    struct zskip zs;
    zsl_init(&zs, 99);
    srand(11);
    nmodel = 0;
    for (int i = 0; i < MAXN; i++) {
        model[i].score = (double)(i / 2);
        snprintf(model[i].m, sizeof model[i].m, "e%d", i);
        model[i].node =
            zsl_insert(&zs, model[i].score, rs_str_from(model[i].m, strlen(model[i].m)), NULL);
        nmodel++;
    }
    cr_assert_geq(zs.level, 4);
    for (int step = 0; step < 3000; step++) {
        int at = rand() % nmodel;
        double by = step % 5 == 4 ? (double)(rand() % 3000 - 1500) : (double)(rand() % 7 - 3);
        model[at].score += by;
        zsl_update(&zs, model[at].node, model[at].score, NULL, NULL);
        if (step % 100 == 99)
            check(&zs);
    }
    check(&zs);
    zsl_free(&zs);
}

/* The batch prefetch's walks (zsl_walks_run), run together: each ends
 * at the node before its (score, member) -- the head when it goes first --
 * with that node's predecessor at every level as its path, and the list is
 * left as it was. */
Test(zskip, walks_end_before_their_place_and_change_nothing)
{
    struct zskip zs;
    zsl_init(&zs, 5);
    srand(23);
    nmodel = 0;
    for (int i = 0; i < MAXN; i++) {
        model[i].score = (double)(rand() % 1000);
        snprintf(model[i].m, sizeof model[i].m, "m%d", i);
        model[i].node =
            zsl_insert(&zs, model[i].score, rs_str_from(model[i].m, strlen(model[i].m)), NULL);
        nmodel++;
    }
    cr_assert_geq(zs.level, 4);
    enum { NW = 70 }; /* more than one chunk of zsl_walks_run */
    static struct zsl_walk w[NW];
    char names[NW][12];
    for (int i = 0; i < NW; i++) {
        /* members of the list, at their score and elsewhere, and others */
        int k = rand() % nmodel;
        double score = i % 3 == 0 ? model[k].score : (double)(rand() % 1100 - 50);
        snprintf(names[i], sizeof names[i], i % 2 ? "m%d" : "x%d", k);
        zsl_walk_begin(&w[i], &zs, score, rs_str_from(names[i], strlen(names[i])), NULL);
    }
    zsl_walks_run(w, NW);
    for (int i = 0; i < NW; i++) {
        struct zsl_node *want = zs.head;
        for (struct zsl_node *x = zsl_first(&zs); x; x = zsl_next(x)) {
            struct rs_str m = zsl_member(x);
            if (!(zsl_score(x) < w[i].score ||
                  (zsl_score(x) == w[i].score && zsl_cmp_member(m, w[i].m) < 0)))
                break;
            want = x;
        }
        cr_assert_eq(w[i].level, -1);
        cr_assert(w[i].at == want, "walk %d to %g %.*s", i, w[i].score, (int)w[i].m.len,
                  w[i].m.p);
        cr_assert_eq(w[i].path[0], want);
        /* level i's node is the last before the place among the nodes of
         * more than i levels: at level i, it is followed by one at or
         * after the place */
        for (int l = 1; l < w[i].levels; l++) {
            struct zsl_node *u = w[i].path[l];
            cr_assert(u == zs.head || zsl_score(u) < w[i].score ||
                      (zsl_score(u) == w[i].score && zsl_cmp_member(zsl_member(u), w[i].m) < 0));
            cr_assert(u == w[i].path[l - 1] || u == zs.head ||
                      zsl_score(u) < zsl_score(w[i].path[l - 1]) ||
                      (zsl_score(u) == zsl_score(w[i].path[l - 1]) &&
                       zsl_cmp_member(zsl_member(u), zsl_member(w[i].path[l - 1])) < 0));
        }
    }
    check(&zs);
    zsl_free(&zs);
}

/* A pipeline's updates and inserts given the paths of walks run before
 * any of them (as the batch prefetch runs them), between other updates,
 * inserts and deletes that leave some paths holding and make others stale
 * (moved nodes, freed nodes: ASan sees a freed node read): each result is
 * the model's, whichever paths were taken. */
Test(zskip, updates_and_inserts_take_walked_paths_only_while_they_hold)
{
    struct zskip zs;
    zsl_init(&zs, 77);
    srand(31);
    nmodel = 0;
    int next_name = 0;
    for (int i = 0; i < 2000; i++, next_name++) {
        model[i].score = (double)(rand() % 500);
        snprintf(model[i].m, sizeof model[i].m, "m%d", next_name);
        model[i].node =
            zsl_insert(&zs, model[i].score, rs_str_from(model[i].m, strlen(model[i].m)), NULL);
        nmodel++;
    }
    enum { BATCH = 16 };
    static struct zsl_walk w[2 * BATCH];
    for (int round = 0; round < 150; round++) {
        struct {
            char m[12];
            double score;
            const struct zsl_walk *from, *to;
        } op[BATCH];
        int nw = 0;
        for (int k = 0; k < BATCH; k++) {
            /* an update (most), or an insert of a new member */
            if (rand() % 4 || nmodel + BATCH >= MAXN)
                strcpy(op[k].m, model[rand() % nmodel].m);
            else
                snprintf(op[k].m, sizeof op[k].m, "m%d", next_name++);
            op[k].score = (double)(rand() % 500);
            int at = find(op[k].m);
            struct rs_str m = rs_str_from(op[k].m, strlen(op[k].m));
            op[k].from = NULL;
            if (at >= 0) {
                zsl_walk_begin(&w[nw], &zs, model[at].score, m, model[at].node);
                op[k].from = &w[nw++];
            }
            zsl_walk_begin(&w[nw], &zs, op[k].score, m, NULL);
            op[k].to = &w[nw++];
        }
        zsl_walks_run(w, nw);
        for (int k = 0; k < BATCH; k++) {
            int at = find(op[k].m);
            if (rand() % 8 == 0 && nmodel > 1) {
                /* something else first: a delete (a node freed) or an
                 * update without paths */
                int o = rand() % nmodel;
                if (o != at && rand() % 2) {
                    zsl_delete(&zs, model[o].node);
                    model[o] = model[--nmodel];
                } else {
                    model[o].score = (double)(rand() % 500);
                    zsl_update(&zs, model[o].node, model[o].score, NULL, NULL);
                }
                at = find(op[k].m);
            }
            struct rs_str m = rs_str_from(op[k].m, strlen(op[k].m));
            if (at >= 0) {
                /* an insert's walk made for a member since added is no
                 * update's: only its to */
                zsl_update(&zs, model[at].node, op[k].score, op[k].from, op[k].to);
                model[at].score = op[k].score;
            } else {
                model[nmodel].score = op[k].score;
                strcpy(model[nmodel].m, op[k].m);
                model[nmodel++].node = zsl_insert(&zs, op[k].score, m, op[k].to);
            }
        }
        check(&zs);
    }
    zsl_free(&zs);
}
