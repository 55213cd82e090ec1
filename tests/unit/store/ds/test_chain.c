/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of ds/chain: the intrusive chained table keeps every record it was
 * given through growth and shrinking, finds them by hash, and drains.
 */
#include <criterion/criterion.h>

#include "ds/chain.h"
#include "ds/mem.h"

struct rec {
    struct chain_link link;
    int id;
    int seen;
};

enum { N = 5000 };

static struct rec *find(const struct chain *t, int id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    for (struct chain_link *l = chain_head(t, h); l; l = l->next) {
        struct rec *r = chain_of(l, struct rec, link);
        if (l->hash == h && r->id == id)
            return r;
    }
    return NULL;
}

static void count_cb(void *ud, struct chain_link *l)
{
    chain_of(l, struct rec, link)->seen++;
    (*(int *)ud)++;
}

Test(chain, records_survive_growth_and_shrinking)
{
    static struct rec recs[N];
    struct chain t = {0};
    for (int i = 0; i < N; i++) {
        recs[i] = (struct rec){.id = i};
        recs[i].link.hash = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        chain_add(&t, &recs[i].link);
    }
    cr_assert_eq(t.n, N);
    cr_assert_geq(t.mask + 1, N, "the table keeps its load at most 1");
    for (int i = 0; i < N; i++)
        cr_assert_eq(find(&t, i), &recs[i]);
    /* Deleting all but a few shrinks the buckets; every one left is found. */
    uint64_t full = t.mask;
    for (int i = 10; i < N; i++)
        chain_del(&t, &recs[i].link);
    cr_assert_lt(t.mask, full);
    for (int i = 0; i < N; i++)
        cr_assert_eq(find(&t, i), i < 10 ? &recs[i] : NULL, "%d", i);
    int visits = 0;
    chain_foreach(&t, count_cb, &visits);
    cr_assert_eq(visits, 10);
    for (int i = 0; i < 10; i++)
        chain_del(&t, &recs[i].link);
    cr_assert_null(t.b, "the last link frees the buckets");
    cr_assert_eq(t.n, 0);
}

Test(chain, drain_hands_over_every_link_and_empties_the_table)
{
    static struct rec recs[N];
    struct chain t = {0};
    for (int i = 0; i < N; i++) {
        recs[i] = (struct rec){.id = i};
        recs[i].link.hash = (uint64_t)i;
        chain_add(&t, &recs[i].link);
    }
    int visits = 0;
    chain_drain(&t, count_cb, &visits);
    cr_assert_eq(visits, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(recs[i].seen, 1, "%d seen %d times", i, recs[i].seen);
    cr_assert_null(t.b);
    cr_assert_eq(t.n, 0);
}

Test(chain, random_reaches_every_link_and_none_of_an_empty_table)
{
    static struct rec recs[N];
    struct chain t = {0};
    cr_assert_null(chain_random(&t, 42));
    for (int i = 0; i < N; i++) {
        recs[i] = (struct rec){.id = i};
        recs[i].link.hash = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        chain_add(&t, &recs[i].link);
    }
    /* xorshift64 draws (fixed seed): 100 draws a link reach every one. */
    uint64_t s = 88172645463325252ULL;
    for (int k = 0; k < 100 * N; k++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        chain_of(chain_random(&t, s), struct rec, link)->seen++;
    }
    for (int i = 0; i < N; i++)
        cr_assert_gt(recs[i].seen, 0, "%d never drawn", i);
    for (int i = 0; i < N; i++)
        chain_del(&t, &recs[i].link);
}
