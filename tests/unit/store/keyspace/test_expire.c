/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of expire.c: the per-shard min-heap of key deadlines (order and
 * back-pointers under random sets and clears), the active expiry cycle on
 * a substituted clock (keys vanish once the clock passes their deadline,
 * emptied project shards are freed) and lazy expiry through respite_exec.
 */
#include "store_test.h"

TestSuite(expire, .init = store_setup, .fini = store_teardown);

/* ---- the heap, on a bare shard ------------------------------------------ */

#define NENT 1000

static struct entry *bare_entry(void)
{
    struct entry *e = calloc(1, sizeof *e);
    cr_assert_not_null(e);
    e->exp_idx = EXP_NONE;
    return e;
}

/* A shard of a bare db, outside any store: enough for the heaps. */
static void bare_shard(struct shard *sh, struct db *db)
{
    memset(db, 0, sizeof *db);
    exp_heap_init(&db->due, offsetof(struct shard, due_idx));
    memset(sh, 0, sizeof *sh);
    sh->db = db;
    sh->due_idx = EXP_NONE;
}

/* The db's count of TTLs and its heap of shards follow the shard's heap. */
static void check_db(const struct shard *sh)
{
    const struct db *db = sh->db;
    cr_assert_eq(db->nexpires, shard_nexp(sh));
    if (shard_nexp(sh) == 0) {
        cr_assert_eq(db->due.n, 0);
        cr_assert_eq(sh->due_idx, EXP_NONE);
    } else {
        cr_assert_eq(db->due.n, 1);
        cr_assert_eq(db->due.a[0].p, sh);
        cr_assert_eq(db->due.a[0].when, sh->ttl->exp.a[0].when, "the db sees the earliest deadline");
    }
}

static void check_heap(const struct shard *sh)
{
    check_db(sh);
    for (uint32_t i = 0; i < shard_nexp(sh); i++) {
        cr_assert_eq(((struct entry *)sh->ttl->exp.a[i].p)->exp_idx, i, "slot %u does not point back",
                     i);
        if (i > 0)
            cr_assert_leq(sh->ttl->exp.a[(i - 1) / 2].when, sh->ttl->exp.a[i].when,
                          "heap order at %u", i);
    }
}

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

Test(expire, heap_keeps_order_and_slots_under_random_set_and_clear)
{
    struct shard sh;
    struct db db;
    bare_shard(&sh, &db);
    struct entry *e[NENT];
    int64_t model[NENT];
    for (int i = 0; i < NENT; i++) {
        e[i] = bare_entry();
        model[i] = -1;
    }
    uint64_t seed = 7;
    for (int op = 0; op < 20000; op++) {
        int i = (int)(rnd(&seed) % NENT);
        if (rnd(&seed) % 10 < 6) {
            /* Few distinct deadlines: ties must be handled too. */
            model[i] = (int64_t)(rnd(&seed) % 5000);
            exp_set(&sh, e[i], model[i]);
        } else {
            exp_clear(&sh, e[i]);
            model[i] = -1;
        }
        cr_assert_eq(exp_get(&sh, e[i]), model[i]);
        if (op % 100 == 0) {
            check_heap(&sh);
            uint32_t n = 0;
            for (int j = 0; j < NENT; j++)
                n += model[j] != -1;
            cr_assert_eq(shard_nexp(&sh), n);
        }
    }
    check_heap(&sh);
    /* Draining from the top gives the deadlines in order. */
    int64_t last = -1;
    while (shard_nexp(&sh) > 0) {
        struct exp_item top = sh.ttl->exp.a[0];
        int64_t min = INT64_MAX;
        for (int j = 0; j < NENT; j++)
            if (model[j] != -1 && model[j] < min)
                min = model[j];
        cr_assert_eq(top.when, min);
        cr_assert_geq(top.when, last);
        last = top.when;
        exp_clear(&sh, top.p);
        for (int j = 0; j < NENT; j++)
            if (e[j] == top.p)
                model[j] = -1;
        cr_assert_eq(((struct entry *)top.p)->exp_idx, EXP_NONE);
    }
    cr_assert_null(sh.ttl, "a shard without deadlines keeps their heaps");
    for (int i = 0; i < NENT; i++)
        free(e[i]);
}

Test(expire, moving_a_deadline_up_and_down_reorders_the_heap)
{
    struct shard sh;
    struct db db;
    bare_shard(&sh, &db);
    struct entry *e[8];
    for (int i = 0; i < 8; i++) {
        e[i] = bare_entry();
        exp_set(&sh, e[i], 100 * (i + 1));
    }
    cr_assert_eq(sh.ttl->exp.a[0].p, e[0]);
    exp_set(&sh, e[7], 50); /* later to earliest */
    cr_assert_eq(sh.ttl->exp.a[0].p, e[7]);
    exp_set(&sh, e[7], 10000); /* back to latest */
    cr_assert_eq(sh.ttl->exp.a[0].p, e[0]);
    check_heap(&sh);
    exp_clear(&sh, e[3]);
    exp_clear(&sh, e[3]); /* no TTL: nothing to do */
    cr_assert_eq(shard_nexp(&sh), 7);
    check_heap(&sh);
    for (int i = 0; i < 8; i++) {
        exp_clear(&sh, e[i]);
        free(e[i]);
    }
}

Test(expire, a_heap_array_grows_from_one_item_and_goes_with_the_last)
{
    struct shard sh;
    struct db db;
    bare_shard(&sh, &db);
    struct entry *e[5];
    /* A project of two deadlines holds an array of two items (32 bytes),
     * not of four. */
    const uint32_t caps[5] = {1, 2, 4, 4, 8};
    for (int i = 0; i < 5; i++) {
        e[i] = bare_entry();
        exp_set(&sh, e[i], 100 * (i + 1));
        cr_assert_eq(exp_heap_cap(&sh.ttl->exp), caps[i], "capacity after %d deadlines", i + 1);
        cr_assert_eq(exp_heap_cap(&sh.ttl->sub), 0, "no container deadline: no sub array");
    }
    check_heap(&sh);
    for (int i = 0; i < 5; i++) {
        exp_clear(&sh, e[i]);
        free(e[i]);
    }
    cr_assert_null(sh.ttl, "the shard's deadlines go with its last");
    cr_assert_eq(db.due.n, 0);
    cr_assert_null(db.due.a, "the db's heap of shards frees its array when empty");
}

/* ---- active expiry ------------------------------------------------------ */

static void tick_all(void)
{
    for (int guard = 0; respite_tick(rs, 1000); guard++)
        cr_assert_lt(guard, 100000);
}

static void set_px(const char *key, long long ms)
{
    char line[256];
    snprintf(line, sizeof line, "SET %s v PX %lld", key, ms);
    expect_reply(line, "+OK\r\n");
}

Test(expire, active_cycle_reclaims_keys_once_the_clock_passes_their_deadline)
{
    char key[64];
    for (int i = 1; i <= 100; i++) {
        snprintf(key, sizeof key, "k:%d", i);
        set_px(key, 1000LL * i);
        for (int p = 0; p < 4; p++) {
            snprintf(key, sizeof key, "project:%d:k:%d", p, i);
            set_px(key, 1000LL * i);
        }
    }
    expect_reply("SET forever v", "+OK\r\n");
    expect_reply("SET project:0:forever v", "+OK\r\n");
    cr_assert_eq(run_int("DBSIZE"), 502);
    struct db *db = st_int()->dbs[0];
    cr_assert_eq(shard_nexp(&db->global), 100);
    cr_assert_eq(db->norder, 4);

    tick_all(); /* nothing is due yet */
    cr_assert_eq(run_int("DBSIZE"), 502);

    /* DBSIZE counts keys not reclaimed yet: moving the clock alone changes
     * nothing; the cycle does. */
    fake_now += 50500;
    cr_assert_eq(run_int("DBSIZE"), 502);
    uint64_t expired0 = st_int()->stats.expired_keys;
    tick_all();
    cr_assert_eq(run_int("DBSIZE"), 252);
    cr_assert_eq(st_int()->stats.expired_keys - expired0, 250);
    expect_reply("EXISTS k:50 k:51 project:3:k:50 project:3:k:51", ":2\r\n");

    fake_now += 1000000;
    tick_all();
    cr_assert_eq(run_int("DBSIZE"), 2);
    expect_reply("EXISTS forever project:0:forever", ":2\r\n");
    /* Project shards emptied by expiry are freed; project 0 keeps a key. */
    cr_assert_eq(db->norder, 1);
    cr_assert(has_project(db, RS_STR("0")));
    cr_assert(!has_project(db, RS_STR("1")));
}

Test(expire, active_cycle_works_in_bounded_slices)
{
    char key[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k:%d", i);
        set_px(key, 10);
    }
    fake_now += 11; /* past the deadline: due once now > when */
    /* A zero budget still makes progress, a slice at a time. */
    int slices = 0;
    while (respite_tick(rs, 0))
        slices++;
    cr_assert_eq(run_int("DBSIZE"), 0);
    cr_assert_gt(slices, 0, "20000 keys reclaimed in one zero-budget slice");
}

/* ---- lazy expiry -------------------------------------------------------- */

Test(expire, due_keys_are_invisible_and_deleted_on_access_without_a_tick)
{
    expect_reply("SET a v PX 100", "+OK\r\n");
    expect_reply("SET project:9:b v PX 100", "+OK\r\n");
    struct db *db = st_int()->dbs[0];
    cr_assert_eq(project_expiring(db, RS_STR("9")), 1);
    cr_assert_eq(shard_nexp(&db->global), 1);

    fake_now += 99;
    expect_reply("PTTL a", ":1\r\n");
    expect_reply("GET a", "$1\r\nv\r\n");
    fake_now += 1; /* at the deadline itself the key is still there (now > when expires) */
    expect_reply("PTTL a", ":0\r\n");
    expect_reply("GET a", "$1\r\nv\r\n");
    expect_reply("PTTL project:9:b", ":0\r\n");
    fake_now += 1; /* one millisecond past the deadline */
    cr_assert_eq(run_int("DBSIZE"), 2);
    expect_reply("GET a", "$-1\r\n");
    cr_assert_eq(run_int("DBSIZE"), 1);
    expect_reply("TTL project:9:b", ":-2\r\n");
    cr_assert_eq(run_int("DBSIZE"), 0);
    /* The project's shard went with its last key. */
    cr_assert(!has_project(db, RS_STR("9")));
    cr_assert_eq(st_int()->stats.expired_keys, 2);
}

Test(expire, every_kind_of_access_sees_a_due_key_as_missing)
{
    const char *probes[] = {"EXISTS k", "TYPE k", "TTL k", "PTTL k", "GET k", "STRLEN k",
                            "OBJECT ENCODING k", "PERSIST k", "EXPIRE k 100", "RENAME k z",
                            "COPY k z", "MOVE k 1", "TOUCH k"};
    const char *want[] = {":0\r\n", "+none\r\n", ":-2\r\n", ":-2\r\n", "$-1\r\n", ":0\r\n",
                          "$-1\r\n", ":0\r\n", ":0\r\n", "-ERR no such key\r\n", ":0\r\n",
                          ":0\r\n", ":0\r\n"};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        set_px("k", 5);
        fake_now += 6; /* one millisecond past the deadline */
        expect_reply(probes[i], want[i]);
        cr_expect_eq(run_int("DBSIZE"), 0, "%s left the key", probes[i]);
    }
}
