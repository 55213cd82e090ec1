/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of table.c, the per-shard hash table: lookups, inserts and deletes
 * while an incremental rehash is half done, growth and shrinking, the
 * reverse-binary SCAN cursor (every entry present for the whole scan is
 * returned, whatever resizes happen between calls), random picks and
 * eviction's samples.
 * Entries are built by hand: the table reads only their key and chain.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "chisq.h"
#include "ds/table.h"

#define SEED 0x5eed5eed12345678ULL

static struct table t;

static void setup(void)
{
    tbl_init(&t, SEED);
}

static void free_cb(void *ud, struct entry *e)
{
    (void)ud;
    free(e);
}

static void teardown(void)
{
    tbl_free(&t, free_cb, NULL);
}

TestSuite(table, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static struct entry *mk(const char *prefix, int i)
{
    char k[64];
    int n = snprintf(k, sizeof k, "%s%d", prefix, i);
    struct entry *e = calloc(1, sizeof *e + (size_t)n + 1); /* NUL after the key, for atoi */
    cr_assert_not_null(e);
    e->klen = (uint32_t)n;
    e->enc = ENC_EMBSTR;
    e->exp_idx = EXP_NONE;
    memcpy(e->data, k, (size_t)n);
    return e;
}

static struct entry **find(const char *prefix, int i)
{
    char k[64];
    int n = snprintf(k, sizeof k, "%s%d", prefix, i);
    return tbl_find_ref(&t, k, (size_t)n);
}

static void add(const char *prefix, int i)
{
    cr_assert_null(find(prefix, i), "%s%d inserted twice", prefix, i);
    tbl_insert(&t, mk(prefix, i));
}

static void del(const char *prefix, int i)
{
    struct entry **ref = find(prefix, i);
    cr_assert_not_null(ref, "%s%d missing", prefix, i);
    free(tbl_unlink(&t, ref));
}

static bool rehashing(void)
{
    return t.rehash_idx != -1;
}

/* Count the entries actually chained in the buckets of array i. */
static uint64_t chained_in(int i)
{
    uint64_t n = 0;
    for (uint64_t j = 0; j < tbl_size(&t, i); j++)
        for (struct entry *e = t.b[i][j]; e; e = e->next)
            n++;
    return n;
}

/* And in both arrays. */
static uint64_t chained(void)
{
    return chained_in(0) + chained_in(1);
}

static void finish_rehash(void)
{
    for (int guard = 0; tbl_rehash(&t, 100); guard++)
        cr_assert_lt(guard, 1000000, "rehash does not end");
    cr_assert_eq(t.lg[1], 0);
    cr_assert_null(t.b[1]);
    cr_assert_eq(t.used, chained_in(0), "every entry is in b[0] once the rehash ends");
}

/* ---- lookups, inserts, deletes ------------------------------------------ */

Test(table, empty_table_finds_nothing_and_scans_to_zero)
{
    cr_assert_null(find("k", 1));
    cr_assert_eq(tbl_count(&t), 0);
    cr_assert_eq(tbl_scan(&t, 0, free_cb, NULL), 0);
    cr_assert_null(tbl_random(&t, &(struct rng){1, SEED}));
}

Test(table, insert_find_delete_under_incremental_rehash)
{
    int saw_rehash = 0;
    for (int i = 0; i < 5000; i++) {
        add("k", i);
        saw_rehash += rehashing();
        /* Every key so far stays reachable in the middle of a rehash. */
        if (i % 97 == 0)
            for (int j = 0; j <= i; j++)
                cr_assert_not_null(find("k", j), "k%d lost after %d inserts", j, i + 1);
    }
    cr_assert_gt(saw_rehash, 0, "the test never ran during a rehash");
    cr_assert_eq(tbl_count(&t), 5000);
    for (int i = 1; i < 5000; i += 2)
        del("k", i);
    cr_assert_eq(tbl_count(&t), 2500);
    cr_assert_eq(chained(), 2500);
    for (int i = 0; i < 5000; i++) {
        if (i % 2)
            cr_assert_null(find("k", i));
        else
            cr_assert_not_null(find("k", i));
    }
}

/* A hint is a hash the caller computed for the key once: right, it finds
 * the entry; stale (another key's), the lookup falls back to the key's own
 * hash, so an absent key is never concluded from it. During a rehash too. */
Test(table, a_lookup_from_a_stale_hint_finds_what_a_plain_one_finds)
{
    int checked = 0;
    for (int i = 0; i < 3000; i++) {
        add("k", i);
        if (i % 61 != 0)
            continue;
        for (int j = 0; j <= i; j += 7) {
            char k[32], other[32];
            int n = snprintf(k, sizeof k, "k%d", j);
            int m = snprintf(other, sizeof other, "k%d", j + 1);
            uint64_t right = tbl_prefetch(&t, k, (size_t)n);
            uint64_t stale = tbl_prefetch(&t, other, (size_t)m);
            /* Each lookup may take a rehash step: the entries compare,
             * not the references into the buckets. */
            struct entry **ref = find("k", j);
            cr_assert_not_null(ref);
            struct entry *e = *ref;
            ref = tbl_find_ref_hint(&t, k, (size_t)n, right);
            cr_assert(ref && *ref == e, "k%d", j);
            ref = tbl_find_ref_hint(&t, k, (size_t)n, stale);
            cr_assert(ref && *ref == e, "k%d", j);
            checked += rehashing();
        }
        cr_assert_null(tbl_find_ref_hint(&t, "absent", 6, tbl_prefetch(&t, "k0", 2)));
    }
    cr_assert_gt(checked, 0, "the test never ran during a rehash");
}

Test(table, entries_inserted_during_a_rehash_can_be_deleted)
{
    /* Fill to the load limit, so the next insert starts a rehash; keys
     * inserted then go to the new array even when their old bucket is not
     * moved yet, and deleting them must debit that array. */
    int n = 0;
    while (!rehashing() || tbl_size(&t, 1) < 2048)
        add("k", n++);
    for (int i = 0; i < 200; i++)
        add("new", i);
    cr_assert(rehashing());
    for (int i = 0; i < 200; i++) {
        del("new", i);
        cr_assert_eq(t.used, chained(), "counts drift after %d deletes", i + 1);
    }
    finish_rehash();
    cr_assert_eq(tbl_count(&t), (uint64_t)n);
    cr_assert_eq(t.used, chained());
    for (int i = 0; i < n; i++)
        cr_assert_not_null(find("k", i));
}

Test(table, replace_keeps_the_chain)
{
    for (int i = 0; i < 100; i++)
        add("k", i);
    struct entry **ref = find("k", 42);
    struct entry *fresh = mk("k", 42);
    free(tbl_replace(&t, ref, fresh));
    cr_assert_eq(*find("k", 42), fresh);
    cr_assert_eq(tbl_count(&t), 100);
    for (int i = 0; i < 100; i++)
        cr_assert_not_null(find("k", i));
}

Test(table, grows_with_the_keys_and_shrinks_when_they_go)
{
    for (int i = 0; i < 10000; i++)
        add("k", i);
    finish_rehash();
    cr_assert_geq(tbl_size(&t, 0), 8192);
    cr_assert_leq(t.used, tbl_size(&t, 0), "load factor above 1 after growth");
    for (int i = 10; i < 10000; i++)
        del("k", i);
    finish_rehash();
    /* Redis's minimum fill: at least 1/8 of the buckets used. */
    cr_assert_geq(t.used * 8, tbl_size(&t, 0), "size %lu for 10 keys",
                  (unsigned long)tbl_size(&t, 0));
    cr_assert_eq(tbl_count(&t), 10);
    for (int i = 0; i < 10; i++)
        cr_assert_not_null(find("k", i));
    /* Down to nothing and back. */
    for (int i = 0; i < 10; i++)
        del("k", i);
    finish_rehash();
    cr_assert_eq(tbl_count(&t), 0);
    add("k", 1);
    cr_assert_not_null(find("k", 1));
}

Test(table, a_table_emptied_during_a_rehash_still_shrinks)
{
    /* Deletes start no shrink while a rehash runs: the background rehash
     * step must start it once the rehash is over. */
    int n = 0;
    while (!rehashing() || tbl_size(&t, 1) < 16384)
        add("k", n++);
    for (int i = 0; i < n; i++)
        del("k", i);
    cr_assert_eq(tbl_count(&t), 0);
    finish_rehash();
    cr_assert_eq(tbl_size(&t, 0), 1, "an empty table keeps %lu buckets",
                 (unsigned long)tbl_size(&t, 0));
}

Test(table, a_table_of_one_key_has_one_bucket)
{
    /* A project with one key pays for one bucket pointer, not four. */
    add("k", 0);
    cr_assert_eq(tbl_size(&t, 0), 1);
    add("k", 1);
    finish_rehash();
    cr_assert_eq(tbl_size(&t, 0), 2);
    cr_assert_not_null(find("k", 0));
    cr_assert_not_null(find("k", 1));
}

Test(table, a_small_table_grows_and_shrinks_at_once_a_big_one_by_steps)
{
    /* Up to 32 buckets, a resize moves every entry when it starts: a small
     * value table keeps no second array it would rarely get to free. */
    for (int i = 0; i < 33; i++) {
        add("k", i);
        cr_assert(!rehashing(), "rehashing after %d inserts", i + 1);
        cr_assert_null(t.b[1]);
    }
    cr_assert_eq(tbl_size(&t, 0), 64);
    for (int i = 0; i < 33; i++)
        cr_assert_not_null(find("k", i), "k%d lost", i);
    for (int i = 33; i < 65; i++)
        add("k", i);
    cr_assert(rehashing(), "64 buckets grow by steps");
    finish_rehash();
    for (int i = 5; i < 65; i++)
        del("k", i);
    finish_rehash();
    for (int i = 0; i < 3; i++) {
        del("k", i);
        cr_assert(!rehashing());
    }
    cr_assert_leq(tbl_size(&t, 0), 16);
    cr_assert_not_null(find("k", 3));
    cr_assert_not_null(find("k", 4));
}

/* ---- SCAN --------------------------------------------------------------- */

#define NSTABLE 300

struct seen {
    int stable[NSTABLE];
    uint64_t visits;
};

static void seen_cb(void *ud, struct entry *e)
{
    struct seen *s = ud;
    s->visits++;
    if (e->klen > 6 && memcmp(e->data, "stable", 6) == 0) {
        int i = atoi(e->data + 6);
        cr_assert(i >= 0 && i < NSTABLE);
        s->stable[i]++;
    }
}

Test(table, scan_of_a_quiet_table_returns_each_entry_exactly_once)
{
    for (int i = 0; i < NSTABLE; i++)
        add("stable", i);
    /* Once in the middle of a rehash, once after. */
    for (int round = 0; round < 2; round++) {
        struct seen s = {0};
        uint64_t cur = 0;
        do
            cur = tbl_scan(&t, cur, seen_cb, &s);
        while (cur);
        for (int i = 0; i < NSTABLE; i++)
            cr_assert_eq(s.stable[i], 1, "round %d: stable%d seen %d times", round, i,
                         s.stable[i]);
        finish_rehash();
    }
}

Test(table, scan_returns_every_stable_entry_while_the_table_grows_and_shrinks)
{
    for (int i = 0; i < NSTABLE; i++)
        add("stable", i);
    struct seen s = {0};
    uint64_t cur = 0;
    int next_tmp = 0, first_tmp = 0, calls = 0;
    uint64_t min_size = UINT64_MAX, max_size = 0;
    do {
        cur = tbl_scan(&t, cur, seen_cb, &s);
        calls++;
        /* Between calls: grow to thousands of entries, then drain them so
         * the table shrinks back, over and over. */
        if ((calls / 40) % 2 == 0) {
            for (int k = 0; k < 60; k++)
                add("tmp", next_tmp++);
        } else {
            for (int k = 0; k < 90 && first_tmp < next_tmp; k++)
                del("tmp", first_tmp++);
        }
        uint64_t size = tbl_size(&t, 0) > tbl_size(&t, 1) ? tbl_size(&t, 0) : tbl_size(&t, 1);
        min_size = size < min_size ? size : min_size;
        max_size = size > max_size ? size : max_size;
    } while (cur && calls < 100000);
    cr_assert_eq(cur, 0, "scan did not end");
    cr_assert_gt(max_size, 4 * min_size, "the table never really resized");
    for (int i = 0; i < NSTABLE; i++)
        cr_assert_geq(s.stable[i], 1, "stable%d never returned", i);
}

/* ---- random ------------------------------------------------------------- */

Test(table, random_picks_only_present_entries_and_reaches_them_all)
{
    for (int i = 0; i < 64; i++)
        add("k", i);
    for (int i = 0; i < 64; i += 2)
        del("k", i);
    int hits[64] = {0};
    struct rng g = {1, SEED};
    for (int n = 0; n < 20000; n++) {
        struct entry *e = tbl_random(&t, &g);
        cr_assert_not_null(e);
        int i = atoi(e->data + 1);
        cr_assert(i % 2 == 1, "deleted k%d picked", i);
        hits[i]++;
    }
    for (int i = 1; i < 64; i += 2)
        cr_assert_gt(hits[i], 0, "k%d never picked", i);
}

Test(table, sample_gives_distinct_present_entries_and_reaches_them_all)
{
    struct entry *out[8];
    struct rng g = {1, SEED};
    cr_assert_eq(tbl_sample(&t, &g, out, 8), 0);
    for (int i = 0; i < 3; i++)
        add("k", i);
    cr_assert_eq(tbl_sample(&t, &g, out, 8), 3); /* fewer than asked: all of them */
    for (int i = 3; i < 400; i++)
        add("k", i);
    for (int i = 0; i < 400; i += 2)
        del("k", i);
    int hits[400] = {0};
    for (int n = 0; n < 4000; n++) {
        unsigned got = tbl_sample(&t, &g, out, 5);
        cr_assert_eq(got, 5);
        for (unsigned a = 0; a < got; a++) {
            int i = atoi(out[a]->data + 1);
            cr_assert(i % 2 == 1, "deleted k%d sampled", i);
            for (unsigned b = 0; b < a; b++)
                cr_assert_neq(out[a], out[b], "k%d sampled twice at once", i);
            hits[i]++;
        }
    }
    for (int i = 1; i < 400; i += 2)
        cr_assert_gt(hits[i], 0, "k%d never sampled", i);
}

/* n draws from the table, counted by the number after the key's one-letter
 * prefix, modulo ncells; returns the chi-square of the counts. */
static double draw_chi(struct rng *g, uint64_t n, int ncells)
{
    uint64_t hits[100] = {0};
    cr_assert_leq(ncells, 100);
    for (uint64_t d = 0; d < n; d++)
        hits[atoi(tbl_random(&t, g)->data + 1) % ncells]++;
    return chi_square(hits, ncells);
}

Test(table, random_is_uniform_over_twenty_ten_entry_tables)
{
    /* The first shape: Redis 7.4 keeps the chi-square of 1000 draws
     * from each between 3 and 21, respite did between 244 and 329. */
    struct rng g = {7, SEED};
    for (int s = 0; s < 20; s++) {
        tbl_free(&t, free_cb, NULL);
        tbl_init(&t, SEED + (uint64_t)s);
        for (int i = 0; i < 10; i++)
            add("k", i);
        double x = draw_chi(&g, 1000, 10);
        cr_assert_lt(x, CHISQ_P0001_DF9, "table %d: chi-square %.1f", s, x);
    }
}

Test(table, random_is_uniform_over_a_million_draws_of_a_hundred_entries)
{
    struct rng g = {7, SEED};
    for (int i = 0; i < 100; i++)
        add("k", i);
    uint64_t before = g.state;
    double x = draw_chi(&g, 1000000, 100);
    cr_assert_lt(x, CHISQ_P0001_DF99, "chi-square %.1f", x);
    /* O(1) expected: buckets x longest chain / entries draws a pick. */
    double per_pick = (double)((g.state - before) / 0x9E3779B97F4A7C15ULL) / 1e6;
    double bound = (double)tbl_size(&t, 0) * t.chain[0] / 100;
    cr_assert_lt(per_pick, bound * 1.05, "%.2f draws a pick, %.2f expected", per_pick, bound);
}

Test(table, random_is_uniform_mid_rehash_and_after_deletes)
{
    struct rng g = {7, SEED};
    for (int i = 0; i < 72; i++) /* the 65th starts the growth to 128 */
        add("k", i);
    cr_assert(rehashing());
    struct tbl_iter it;
    tbl_iter_start(&it, &t); /* holds the rehash half done */
    for (int i = 72; i < 100; i++)
        add("k", i);
    cr_assert(rehashing() && t.rehash_idx > 0 && chained_in(0) > 0 && chained_in(1) > 0);
    double x = draw_chi(&g, 300000, 100);
    cr_assert_lt(x, CHISQ_P0001_DF99, "mid-rehash: chi-square %.1f", x);
    tbl_iter_end(&it);
    finish_rehash();
    /* Deletes leave the chain bound high: still exact, only slower. */
    for (int i = 100; i < 300; i++)
        add("k", i);
    for (int i = 0; i < 300; i++)
        if (i % 3 != 0)
            del("k", i);
    cr_assert_eq(tbl_count(&t), 100);
    x = draw_chi(&g, 300000, 100);
    cr_assert_lt(x, CHISQ_P0001_DF99, "after deletes: chi-square %.1f", x);
}

Test(table, random_stays_uniform_when_a_paused_table_chains_past_the_bound)
{
    /* A table filled while paused keeps its one first bucket: a chain of
     * 300, past what chain[] holds, so picks walk to a uniform index. */
    struct rng g = {7, SEED};
    struct tbl_iter it;
    tbl_iter_start(&it, &t);
    for (int i = 0; i < 300; i++)
        add("k", i);
    cr_assert_eq(tbl_size(&t, 0), 1);
    cr_assert_eq(t.chain[0], TBL_CHAIN_UNKNOWN);
    double x = draw_chi(&g, 300000, 100);
    cr_assert_lt(x, CHISQ_P0001_DF99, "chi-square %.1f", x);
    tbl_iter_end(&it);
    finish_rehash();
    cr_assert_lt(t.chain[0], 20, "the rehash bounds the new chains again");
    x = draw_chi(&g, 300000, 100);
    cr_assert_lt(x, CHISQ_P0001_DF99, "after the rehash: chi-square %.1f", x);
}

/* ---- walks that change the table they walk -------------------------------- */

#define NWALK 400

struct busy_walk {
    int seen[NWALK];
    int inserted;
    bool del_current;
};

/* Probes (a find takes a rehash step unless paused), inserts new keys and
 * unlinks the entry visited: what SINTER s s, SMOVE or lazy expiry do to a
 * table under a walk. */
static void busy_cb(void *ud, struct entry *e)
{
    struct busy_walk *w = ud;
    bool is_w = e->klen > 1 && e->data[0] == 'w';
    if (is_w) {
        int i = atoi(e->data + 1);
        cr_assert(i >= 0 && i < NWALK);
        w->seen[i]++;
    }
    for (int j = 0; j < 4; j++)
        find("w", (int)(rand() % NWALK));
    if (w->inserted < 200)
        tbl_insert(&t, mk("new", w->inserted++));
    if (w->del_current && is_w)
        free(tbl_unlink(&t, tbl_find_ref(&t, e->data, e->klen)));
}

Test(table, a_walk_sees_each_entry_once_while_its_callback_probes_inserts_and_unlinks)
{
    srand(7);
    /* Each shape: while growing (mid-rehash), while shrinking (most keys
     * deleted, a shrink started), quiet; with and without deletions. */
    for (int shape = 0; shape < 6; shape++) {
        tbl_free(&t, free_cb, NULL);
        tbl_init(&t, SEED);
        /* 260: just past the growth at 256, whose rehash has barely begun */
        int n = shape % 3 == 0 ? 260 : NWALK, keep = n;
        for (int i = 0; i < n; i++)
            add("w", i);
        if (shape % 3 == 1) {
            finish_rehash();
            keep = 12;
            for (int i = keep; i < n; i++)
                del("w", i);
            cr_assert(rehashing(), "shape %d: no shrink started", shape);
        } else if (shape % 3 == 2) {
            finish_rehash();
        } else {
            cr_assert(rehashing(), "shape %d: no rehash under way", shape);
        }
        struct busy_walk w = {.del_current = shape >= 3};
        tbl_foreach(&t, busy_cb, &w);
        for (int i = 0; i < keep; i++)
            cr_assert_eq(w.seen[i], 1, "shape %d: w%d seen %d times", shape, i, w.seen[i]);
        cr_assert_eq(chained(), tbl_count(&t), "shape %d", shape);
        for (int i = 0; i < w.inserted; i++)
            cr_assert_not_null(find("new", i), "shape %d: new%d lost", shape, i);
        for (int i = 0; i < keep; i++)
            cr_assert((find("w", i) != NULL) == !w.del_current, "shape %d: w%d", shape, i);
        /* The walk's end starts what the pause held back. */
        finish_rehash();
        cr_assert_geq(tbl_size(&t, 0), tbl_count(&t), "shape %d: over-full after the walk", shape);
    }
}

static void count_cb(void *ud, struct entry *e)
{
    int *seen = ud;
    cr_assert(e->klen > 1 && e->data[0] == 'w');
    int i = atoi(e->data + 1);
    cr_assert(i >= 0 && i < NWALK);
    seen[i]++;
}

/* tbl_walk is a save's walk, in a fork's child too: it must not write the
 * table (a write copies the page of its header), mid-rehash included. The
 * header is walked from a read-only page: a write would fault. */
Test(table, a_read_only_walk_sees_each_entry_once_and_writes_nothing)
{
    for (int shape = 0; shape < 2; shape++) {
        tbl_free(&t, free_cb, NULL);
        tbl_init(&t, SEED);
        int n = shape == 0 ? 260 : NWALK; /* 260: mid-rehash, as above */
        for (int i = 0; i < n; i++)
            add("w", i);
        if (shape == 1)
            finish_rehash();
        cr_assert_eq(rehashing(), shape == 0, "shape %d", shape);
        long page = sysconf(_SC_PAGESIZE);
        struct table *ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert(ro != MAP_FAILED);
        *ro = t;
        cr_assert_eq(mprotect(ro, (size_t)page, PROT_READ), 0);
        int seen[NWALK] = {0};
        tbl_walk(ro, count_cb, seen);
        munmap(ro, (size_t)page);
        for (int i = 0; i < n; i++)
            cr_assert_eq(seen[i], 1, "shape %d: w%d seen %d times", shape, i, seen[i]);
    }
}
