/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of keyspace.c's indexes of a database's shards: timer work (the active
 * expiry cycle, the rehash step) visits only the shards with something
 * due, however many there are; DBSIZE, INFO keyspace and the TTL counts
 * are counters that agree with a walk of the shards after every kind of
 * change; RANDOMKEY draws shards by their key counts (the key tree).
 */
#include "store_test.h"

TestSuite(ks, .init = store_setup, .fini = store_teardown);

/* ---- the indexes against a walk of the shards --------------------------- */

struct walk {
    struct db *db;
    uint64_t keys, expires, subexpires, shards_due;
    unsigned __int128 sum_deadlines;
};

static bool in_set(const struct rankset *s, uint32_t r)
{
    return s->bits[r >> 6] & (1ULL << (r & 63));
}

/* The list holds each member of the bitmap once. */
static void check_set(const struct rankset *s, uint32_t cap)
{
    uint32_t bits = 0;
    for (uint32_t r = 1; r <= cap; r++)
        bits += in_set(s, r);
    cr_assert_eq(s->n, bits);
    for (uint32_t i = 0; i < s->n; i++)
        cr_assert(in_set(s, s->list[i]));
}

/* The deadlines of sh (a project's, the global shard or `small`). */
static void walk_deadlines(struct walk *w, struct shard *sh)
{
    w->expires += shard_nexp(sh);
    w->subexpires += shard_nsub(sh);
    for (uint32_t i = 0; i < shard_nexp(sh); i++)
        w->sum_deadlines += (uint64_t)sh->ttl->exp.a[i].when;
    cr_assert_eq(sh->db, w->db);
    /* In the db's heap exactly while it has a deadline, at its earliest. */
    if (shard_nexp(sh) == 0 && shard_nsub(sh) == 0) {
        cr_assert_eq(sh->due_idx, EXP_NONE, "a shard without deadlines is in the heap");
    } else {
        int64_t next = INT64_MAX;
        if (shard_nexp(sh))
            next = sh->ttl->exp.a[0].when;
        if (shard_nsub(sh) && sh->ttl->sub.a[0].when < next)
            next = sh->ttl->sub.a[0].when;
        cr_assert_neq(sh->due_idx, EXP_NONE, "a shard with deadlines is not in the heap");
        cr_assert_eq(w->db->due.a[sh->due_idx].p, sh);
        cr_assert_eq(w->db->due.a[sh->due_idx].when, next, "the heap has a stale deadline");
        w->shards_due++;
    }
}

/* The address of the place at order[i] (a shard or a one-key project). */
static uintptr_t order_addr(const struct db *db, size_t i)
{
    return db->order[i] & ~(uintptr_t)15;
}

static void walk_project(void *ud, const struct ks_proj *p)
{
    struct walk *w = ud;
    w->keys += ks_proj_keys(p);
    if (p->one) {
        /* Its key's deadlines are small's; its rank is its place. */
        cr_assert_eq(p->sh, &w->db->small);
        cr_assert_eq(order_addr(w->db, p->one->rank - 2), (uintptr_t)p->one);
        return;
    }
    struct shard *sh = p->sh;
    walk_deadlines(w, sh);
    /* Its rank is its place (1 global, order[rank - 2]); listed while its
     * table rehashes. */
    if (sh->rank == 1)
        cr_assert_eq(sh, &w->db->global);
    else
        cr_assert_eq(order_addr(w->db, sh->rank - 2), (uintptr_t)sh);
    if (sh->tbl.rehash_idx != -1)
        cr_assert(in_set(&w->db->rehashing, sh->rank), "a rehashing table is not listed");
}

/* Every db's counters and indexes agree with a walk of its shards, and
 * RANDOMKEY's tree gives each shard exactly as many of the draws 0..n-1 as
 * it has keys (checked while n is small). */
static void check_indexes(void)
{
    struct store *st = st_int();
    for (int d = 0; d < st->ndbs; d++) {
        struct db *db = st->dbs[d];
        struct walk w = {.db = db};
        ks_foreach_project(db, true, walk_project, &w);
        walk_deadlines(&w, &db->small);
        cr_assert_eq(tbl_count(&db->small.tbl), 0);
        cr_assert_eq(ks_db_size(db), w.keys, "db%d: DBSIZE %llu, walk %llu", d,
                     (unsigned long long)ks_db_size(db), (unsigned long long)w.keys);
        cr_assert_eq(ks_db_expires(db, false), w.expires, "db%d: expires", d);
        cr_assert(db->sum_deadlines == w.sum_deadlines, "db%d: the sum of deadlines", d);
        cr_assert_eq(ks_db_expires(db, true), w.subexpires, "db%d: subexpiry", d);
        cr_assert_eq(db->due.n, w.shards_due, "db%d: the heap holds freed shards", d);
        check_set(&db->rehashing, db->ranks.cap);
        check_set(&db->ranks.dirty, db->ranks.cap);
        if (w.keys > 2000)
            continue;
        uint64_t seen = 0;
        for (uint64_t x = 0; x < w.keys; x++) {
            struct ks_proj p;
            cr_assert(ks_random_project(db, x, &p));
            cr_assert_gt(ks_proj_keys(&p), 0, "drew an empty project");
            seen++;
        }
        cr_assert_eq(seen, w.keys);
        if (w.keys == 0)
            cr_assert(!ks_random_project(db, 12345, &(struct ks_proj){0}));
    }
}

/* The draws 0..n-1 land on project id (the global shard for NULL)
 * exactly its key count of times. */
static void check_draws(struct db *db, const char *id)
{
    struct ks_proj want = {&db->global, NULL}, got;
    bool has = id == NULL || ks_project(db, rs_str_from(id, strlen(id)), &want);
    uint64_t n = ks_db_size(db), hits = 0;
    for (uint64_t x = 0; x < n; x++) {
        cr_assert(ks_random_project(db, x, &got));
        hits += has && got.sh == want.sh && got.one == want.one;
    }
    cr_assert_eq(hits, has ? ks_proj_keys(&want) : 0, "project %s", id ? id : "(global)");
}

static void tick(void)
{
    for (int guard = 0; respite_tick(rs, 1000); guard++)
        cr_assert_lt(guard, 100000);
}

Test(ks, counters_follow_adds_deletes_ttls_and_expiry)
{
    char line[128];
    for (int p = 0; p < 20; p++)
        for (int k = 0; k <= p; k++) {
            snprintf(line, sizeof line, "SET project:%d:k%d v", p, k);
            run(line);
        }
    run("SET plain v");
    check_indexes();
    cr_assert_eq(run_int("DBSIZE"), 211);
    check_draws(st_int()->dbs[0], "19");
    check_draws(st_int()->dbs[0], NULL);

    run("EXPIRE project:3:k0 100");
    run("PEXPIRE project:3:k1 50");
    run("EXPIRE project:3:k1 1000"); /* moved later: the earliest is k0 again */
    run("EXPIRE plain 10");
    run("SET project:4:k0 w EX 5");
    check_indexes();
    run("PERSIST project:3:k0");
    run("SET project:3:k1 v"); /* an overwrite drops the TTL */
    check_indexes();
    cr_assert_eq(ks_db_expires(st_int()->dbs[0], false), 2);

    run("DEL project:5:k0 project:5:k1 project:5:k2 project:5:k3 project:5:k4");
    run("UNLINK project:6:k0 project:6:k1");
    check_indexes();
    check_draws(st_int()->dbs[0], "5");
    check_draws(st_int()->dbs[0], "6");

    /* Lazy expiry (an access) and active expiry both go through the same
     * deletion. */
    fake_now += 5001;
    expect_reply("GET project:4:k0", "$-1\r\n");
    check_indexes();
    fake_now += 10000;
    tick();
    check_indexes();
    cr_assert_eq(ks_db_expires(st_int()->dbs[0], false), 0);
    expect_reply("EXISTS plain", ":0\r\n");

    /* Hash fields and set members with TTLs. */
    run("HSET project:7:h f1 a f2 b");
    run("HEXPIRE project:7:h 100 FIELDS 1 f1");
    run("SADDEX project:8:s EX 50 MEMBERS 2 m1 m2");
    check_indexes();
    cr_assert_eq(ks_db_expires(st_int()->dbs[0], true), 2);
    fake_now += 60001;
    tick();
    check_indexes();
    cr_assert_eq(ks_db_expires(st_int()->dbs[0], true), 1);
    expect_reply("EXISTS project:8:s", ":0\r\n");
    fake_now += 60000;
    expect_reply("HLEN project:7:h", ":1\r\n");
    check_indexes();
    cr_assert_eq(ks_db_expires(st_int()->dbs[0], true), 0);
}

Test(ks, counters_follow_rename_move_copy_swapdb_and_flushes)
{
    char line[128];
    for (int p = 0; p < 10; p++)
        for (int k = 0; k < 3; k++) {
            snprintf(line, sizeof line, "SET project:%d:k%d v PX %d", p, k, 1000 * (k + 1));
            run(line);
        }
    run("HSET project:0:h f v");
    run("HPEXPIRE project:0:h 500 FIELDS 1 f");
    check_indexes();

    /* RENAME across projects and into the global shard: the TTL moves. */
    expect_reply("RENAME project:1:k0 project:2:moved", "+OK\r\n");
    expect_reply("RENAME project:1:k1 g", "+OK\r\n");
    expect_reply("RENAME project:0:h project:9:h", "+OK\r\n");
    check_indexes();
    /* MOVE to another db, COPY into one. */
    expect_reply("MOVE project:3:k0 1", ":1\r\n");
    expect_reply("MOVE project:3:k1 1", ":1\r\n");
    expect_reply("MOVE project:3:k2 2", ":1\r\n");
    expect_reply("COPY project:4:k0 project:4:c DB 1", ":1\r\n");
    expect_reply("COPY project:9:h project:11:h", ":1\r\n");
    check_indexes();
    cr_assert(has_project(st_int()->dbs[0], RS_STR("3")) &&
                  project_keys(st_int()->dbs[0], RS_STR("3")) == 0,
              "an emptied project stays, empty, until a compaction");
    cr_assert_eq(ks_db_size(st_int()->dbs[1]), 3);

    expect_reply("SWAPDB 0 1", "+OK\r\n");
    check_indexes();
    cr_assert_eq(run_int("DBSIZE"), 3);
    /* Expiry after the swap reaches the keys in both. */
    fake_now += 1500;
    tick();
    check_indexes();
    expect_reply("SWAPDB 0 1", "+OK\r\n");
    check_indexes();

    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("FLUSHDB", "+OK\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    check_indexes();
    respite_tick(rs, 0); /* something ticks: FLUSHALL ASYNC frees in the background */
    expect_reply("FLUSHALL ASYNC", "+OK\r\n");
    check_indexes();
    cr_assert_eq(run_int("DBSIZE"), 0);
    /* The db works as new after a flush. */
    run("SET project:1:a v PX 10");
    run("SET b v");
    check_indexes();
    fake_now += 11;
    tick();
    check_indexes();
    cr_assert_eq(run_int("DBSIZE"), 1);
    expect_reply("INFO keyspace",
                 "$56\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n\r\n");
}

Test(ks, random_churn_keeps_the_indexes_exact)
{
    /* Keys come and go in random projects (shards created and freed, their
     * ranks reused), with and without TTLs; ticks between. */
    uint64_t seed = 42;
    char line[128];
    for (int op = 0; op < 6000; op++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int p = (int)((seed >> 33) % 40), k = (int)((seed >> 45) % 12);
        int what = (int)((seed >> 20) % 6);
        switch (what) {
        case 0:
        case 1:
            snprintf(line, sizeof line, "SET project:%d:k%d v", p, k);
            break;
        case 2:
            snprintf(line, sizeof line, "SET project:%d:k%d v PX %d", p, k, 1 + k * 7);
            break;
        case 3:
            snprintf(line, sizeof line, "DEL project:%d:k%d", p, k);
            break;
        case 4:
            snprintf(line, sizeof line, "RANDOMKEY");
            break;
        default:
            snprintf(line, sizeof line, "RENAME project:%d:k%d project:%d:k%d", p, k,
                     (p + 1) % 40, k);
            break;
        }
        run(line);
        if (op % 50 == 0) {
            fake_now += 5;
            tick();
        }
        if (op % 500 == 0)
            check_indexes();
    }
    check_indexes();
}

/* ---- timer work over many shards ---------------------------------------- */

/* Projects of two keys each, so each has a shard of its own: the issue's
 * 1,000,000 shards (about 10 s a test under the sanitizers). */
#define NSHARDS 1000000

static void make_shards(int n)
{
    char k1[64], k2[64];
    const char *argv[5] = {"MSET", k1, "01234567890123456789", k2, "01234567890123456789"};
    size_t len;
    for (int p = 0; p < n; p++) {
        snprintf(k1, sizeof k1, "project:%d:a", p);
        snprintf(k2, sizeof k2, "project:%d:b", p);
        const char *r = runv(5, argv, &len);
        cr_assert_eq(r[0], '+');
    }
    cr_assert_eq(st_int()->dbs[0]->norder, (size_t)n);
    struct ks_proj last;
    cr_assert(ks_project_from_seq(st_int()->dbs[0], (uint64_t)n, &last));
    cr_assert_null(last.one, "a project of two keys has a shard");
}

Test(ks, a_tick_over_many_shards_with_nothing_due_visits_none, .timeout = 180)
{
    make_shards(NSHARDS);
    tick(); /* whatever rehashing the loading left */
    struct store *st = st_int();
    uint64_t v0 = st->timer_visits;
    for (int i = 0; i < 10; i++) {
        fake_now += 1000;
        cr_assert_eq(respite_tick(rs, 1000), 0);
    }
    cr_assert_eq(st->timer_visits - v0, 0, "idle ticks visited %llu shards",
                 (unsigned long long)(st->timer_visits - v0));
    cr_assert_eq(run_int("DBSIZE"), 2 * NSHARDS);
}

Test(ks, a_tick_over_many_shards_reclaims_the_one_due_key_visiting_only_its_shard,
     .timeout = 180)
{
    make_shards(NSHARDS);
    run("SET project:due:k v PX 10");
    run("SET project:later:k v PX 100000");
    tick();
    struct store *st = st_int();
    uint64_t v0 = st->timer_visits, expired0 = st->stats.expired_keys;
    fake_now += 11;
    cr_assert_eq(respite_tick(rs, 1000), 0);
    cr_assert_eq(st->stats.expired_keys - expired0, 1);
    cr_assert_leq(st->timer_visits - v0, 2, "the tick visited %llu shards",
                  (unsigned long long)(st->timer_visits - v0));
    expect_reply("EXISTS project:due:k project:later:k", ":1\r\n");
    cr_assert(has_project(st->dbs[0], RS_STR("due")) && project_keys(st->dbs[0], RS_STR("due")) == 0,
              "the emptied project waits for a compaction");
    cr_assert_eq(run_int("DBSIZE"), 2 * NSHARDS + 1);
}

Test(ks, a_project_holds_two_keys_a_bucket_and_deadlines_only_while_it_has_some)
{
    run("MSET project:p:k0 v project:p:k1 v project:p:k2 v project:p:k3 v project:p:k4 v "
        "project:p:k5 v project:p:k6 v project:p:k7 v project:p:k8 v");
    run("MSET g0 v g1 v g2 v g3 v g4 v g5 v g6 v g7 v g8 v");
    struct db *db = st_int()->dbs[0];
    struct shard *sh = project_in(db, RS_STR("p")).sh;
    cr_assert_not_null(sh);
    cr_assert_eq(tbl_size(&sh->tbl, 0), 8, "9 keys of a project in 8 buckets");
    cr_assert_eq(tbl_size(&db->global.tbl, 0), 16, "9 global keys in 16 buckets");
    cr_assert_null(sh->ttl, "a project without a deadline holds no heap");
    run("EXPIRE project:p:k1 100");
    run("EXPIRE project:p:k2 100");
    cr_assert_not_null(sh->ttl);
    cr_assert_eq(exp_heap_cap(&sh->ttl->exp), 2, "two deadlines, an array of two");
    run("PERSIST project:p:k1");
    cr_assert_not_null(sh->ttl);
    run("DEL project:p:k2");
    cr_assert_null(sh->ttl, "the heap goes with the project's last deadline");
    cr_assert_eq(sh->due_idx, EXP_NONE);
    /* Past 32 buckets, one key a bucket as the global shard (k2 went:
     * k0 to k65 are 65 keys). */
    char line[64];
    for (int k = 9; k < 66; k++) {
        snprintf(line, sizeof line, "SET project:p:k%d v", k);
        run(line);
    }
    cr_assert_eq(tbl_size(&sh->tbl, 0), 64, "65 keys of a project in 64 buckets");
    run("SET project:p:k66 v");
    cr_assert_eq(tbl_size(&sh->tbl, sh->tbl.rehash_idx == -1 ? 0 : 1), 128,
                 "its 66th key grows it to 128");
    check_indexes();
}

Test(ks, the_rehash_step_visits_only_rehashing_tables)
{
    char line[64];
    for (int p = 0; p < 1000; p++) {
        snprintf(line, sizeof line, "SET project:%d:k v", p);
        run(line);
    }
    /* A project's table holds two keys a bucket up to 32 buckets: its
     * 65th key grows it to 64 buckets (moved at once, as every table of at
     * most 32, table.c) at one key a bucket, so its 66th starts a rehash:
     * one shard rehashes. */
    for (int k = 0; k < 66; k++) {
        snprintf(line, sizeof line, "SET project:grow:k%d v", k);
        run(line);
    }
    struct db *db = st_int()->dbs[0];
    struct shard *sh = project_in(db, RS_STR("grow")).sh;
    cr_assert_neq(sh->tbl.rehash_idx, -1, "the 66th key starts no rehash");
    cr_assert_eq(db->rehashing.n, 1);
    check_indexes();
    uint64_t v0 = st_int()->timer_visits;
    cr_assert_eq(respite_tick(rs, 1000), 0);
    cr_assert_eq(sh->tbl.rehash_idx, -1);
    cr_assert_eq(db->rehashing.n, 0);
    cr_assert_leq(st_int()->timer_visits - v0, 2);
    check_indexes();

    /* A compaction (as many shards empty as with keys) frees the empty
     * shards and numbers the rest again: the rehashing set keeps the
     * tables that still rehash, under their new ranks, and the rank arrays
     * shrink. */
    for (int k = 0; k < 66; k++) {
        snprintf(line, sizeof line, "SET project:grow2:k%d v", k);
        run(line);
    }
    struct shard *grow2 = project_in(db, RS_STR("grow2")).sh;
    cr_assert_neq(grow2->tbl.rehash_idx, -1);
    uint32_t cap0 = db->ranks.cap;
    for (int p = 0; p < 1000; p++) {
        snprintf(line, sizeof line, "DEL project:%d:k", p);
        run(line);
    }
    cr_assert_lt(db->norder, 1000, "no compaction");
    cr_assert_lt(db->ranks.cap, cap0);
    cr_assert_eq(db->rehashing.n, 1);
    cr_assert_eq(db->rehashing.list[0], grow2->rank);
    check_indexes();
    v0 = st_int()->timer_visits;
    cr_assert_eq(respite_tick(rs, 1000), 0);
    cr_assert_eq(db->rehashing.n, 0);
    cr_assert_eq(grow2->tbl.rehash_idx, -1);
    cr_assert_leq(st_int()->timer_visits - v0, 2);
    check_indexes();
}

/* ---- RANDOMKEY ---------------------------------------------------------- */

Test(ks, randomkey_is_uniform_over_keys_not_projects)
{
    char line[64];
    for (int k = 0; k < 1000; k++) {
        snprintf(line, sizeof line, "SET project:big:k%d v", k);
        run(line);
    }
    for (int p = 0; p < 1000; p++) {
        snprintf(line, sizeof line, "SET project:small%d:k v", p);
        run(line);
    }
    check_draws(st_int()->dbs[0], "big");
    /* Through the command: half the keys are in "big". With 4000 draws
     * the count is 2000 +- 32 (one standard deviation); 8 of them is a
     * bound a correct draw passes but for 1e-15, and one weighted by
     * projects (1 in 1001) is far out of. */
    int big = 0;
    for (int i = 0; i < 4000; i++) {
        const char *r = run("RANDOMKEY");
        cr_assert_eq(r[0], '$');
        big += strstr(r, "project:big:") != NULL;
    }
    cr_assert(big > 2000 - 256 && big < 2000 + 256, "%d of 4000 draws in the big project", big);

    /* Deleting keys moves the draws at once. */
    for (int k = 0; k < 1000; k++) {
        snprintf(line, sizeof line, "DEL project:big:k%d", k);
        run(line);
    }
    for (int i = 0; i < 200; i++)
        cr_assert_null(strstr(run("RANDOMKEY"), "project:big:"));
    check_indexes();
}

Test(ks, randomkey_deletes_expired_keys_it_draws_and_answers_null_when_empty)
{
    run("SET project:a:k v PX 10");
    run("SET project:b:k v PX 10");
    run("SET c v PX 10");
    fake_now += 11;
    expect_reply("RANDOMKEY", "$-1\r\n");
    cr_assert_eq(run_int("DBSIZE"), 0);
    check_indexes();
    run("SET project:b:k v");
    expect_reply("RANDOMKEY", "$11\r\nproject:b:k\r\n");
}

/* ---- one-key projects (struct tiny) and their promotion to shards -------- */

static bool is_tiny(const char *id)
{
    return project_in(st_int()->dbs[0], rs_str_from(id, strlen(id))).one != NULL;
}

static uint64_t key_bytes(const char *key)
{
    struct shard *sh;
    struct entry *e = ks_get(st_int()->dbs[0], rs_str_from(key, strlen(key)), &sh);
    cr_assert_not_null(e, "%s", key);
    return obj_bytes(e);
}

Test(ks, a_second_key_makes_a_shard_that_keeps_the_first_keys_deadlines)
{
    struct db *db = st_int()->dbs[0];
    expect_reply("HSET project:t:h f1 1 f2 2", ":2\r\n");
    expect_reply("HPEXPIRE project:t:h 3000 FIELDS 1 f1", "*1\r\n:1\r\n");
    expect_reply("PEXPIRE project:t:h 10000", ":1\r\n");
    expect_reply("GET project:t:h", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    cr_assert(is_tiny("t"));
    cr_assert_eq(project_expiring(db, RS_STR("t")), 1);
    cr_assert_eq(project_bytes(db, RS_STR("t")), key_bytes("project:t:h"));
    cr_assert_eq(db->small.nbytes, key_bytes("project:t:h"));
    check_indexes();

    expect_reply("SET project:t:s v", "+OK\r\n");
    cr_assert(!is_tiny("t"), "a project of two keys has a shard");
    cr_assert_eq(project_keys(db, RS_STR("t")), 2);
    cr_assert_eq(project_expiring(db, RS_STR("t")), 1);
    cr_assert_eq(project_bytes(db, RS_STR("t")), key_bytes("project:t:h") + key_bytes("project:t:s"));
    cr_assert_eq(db->small.nbytes, 0);
    cr_assert_eq(shard_nexp(&db->small) + shard_nsub(&db->small), 0);
    expect_reply("PTTL project:t:h", ":10000\r\n");
    expect_reply("HPTTL project:t:h FIELDS 1 f1", "*1\r\n:3000\r\n");
    check_indexes();

    /* The deadlines moved with the key: the shard's expiry reclaims them. */
    fake_now += 3001;
    tick();
    expect_reply("HLEN project:t:h", ":1\r\n");
    fake_now += 7000;
    tick();
    expect_reply("EXISTS project:t:h project:t:s", ":1\r\n");
    check_indexes();
}

Test(ks, keys_move_within_a_one_key_project_and_out_of_it)
{
    struct db *db = st_int()->dbs[0];
    /* RENAME within: the key leaves before the new one comes, no shard. */
    expect_reply("SET project:r:a v EX 100", "+OK\r\n");
    expect_reply("RENAME project:r:a project:r:b", "+OK\r\n");
    cr_assert(is_tiny("r"));
    expect_reply("TTL project:r:b", ":100\r\n");
    /* COPY within makes a second key. */
    expect_reply("COPY project:r:b project:r:c", ":1\r\n");
    cr_assert(!is_tiny("r"));
    expect_reply("MGET project:r:b project:r:c", "*2\r\n$1\r\nv\r\n$1\r\nv\r\n");
    check_indexes();
    /* SMOVE and LMOVE of a last member into a new key of the project. */
    expect_reply("SADD project:s:a m", ":1\r\n");
    expect_reply("SMOVE project:s:a project:s:b m", ":1\r\n");
    cr_assert(is_tiny("s"));
    expect_reply("SMEMBERS project:s:b", "*1\r\n$1\r\nm\r\n");
    expect_reply("SADD project:s:a m2", ":1\r\n");
    expect_reply("SMOVE project:s:a project:s:b m2", ":1\r\n");
    expect_reply("SADD project:s:a m3 m4", ":2\r\n");
    expect_reply("SMOVE project:s:a project:s:c m3", ":1\r\n");
    cr_assert_eq(project_keys(db, RS_STR("s")), 3);
    expect_reply("RPUSH project:l:a x y", ":2\r\n");
    expect_reply("LMOVE project:l:a project:l:b LEFT LEFT", "$1\r\nx\r\n");
    cr_assert(!is_tiny("l"));
    expect_reply("LMOVE project:l:a project:l:b LEFT LEFT", "$1\r\ny\r\n");
    expect_reply("LRANGE project:l:b 0 -1", "*2\r\n$1\r\ny\r\n$1\r\nx\r\n");
    /* MSET of two keys of a new project; RENAME out of a one-key project
     * into another, and a MOVE to another db. */
    expect_reply("MSET project:m:x 1 project:m:y 2", "+OK\r\n");
    cr_assert_eq(project_keys(db, RS_STR("m")), 2);
    expect_reply("SET project:o:k v", "+OK\r\n");
    expect_reply("RENAME project:o:k project:p:k", "+OK\r\n");
    expect_reply("MOVE project:p:k 1", ":1\r\n");
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("GET project:p:k", "$1\r\nv\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    expect_reply("EXISTS project:o:k project:p:k", ":0\r\n");
    check_indexes();
}

struct key_set {
    char keys[200][32];
    int seen[200];
    int n;
};

static void mark_key(struct key_set *ks, const char *k, size_t len)
{
    for (int i = 0; i < ks->n; i++)
        if (strlen(ks->keys[i]) == len && memcmp(ks->keys[i], k, len) == 0) {
            ks->seen[i]++;
            return;
        }
    cr_assert_fail("SCAN returned %.*s", (int)len, k);
}

Test(ks, scan_keys_and_randomkey_see_one_key_projects_and_shards_alike)
{
    struct key_set ks = {.n = 0};
    char line[96];
    for (int p = 0; p < 60; p++) {
        int nkeys = p % 20 == 0 ? 3 : 1; /* three shards among tiny ones */
        for (int k = 0; k < nkeys; k++) {
            snprintf(ks.keys[ks.n], sizeof ks.keys[0], "project:%d:k%d", p, k);
            snprintf(line, sizeof line, "SET %s v", ks.keys[ks.n++]);
            run(line);
        }
    }
    strcpy(ks.keys[ks.n++], "global");
    run("SET global v");
    unsigned long long cursor = 0;
    int calls = 0;
    char got[16][64];
    do {
        snprintf(line, sizeof line, "SCAN %llu COUNT 3", cursor);
        int n = parse_scan(run(line), &cursor, got, 16);
        for (int i = 0; i < n; i++)
            mark_key(&ks, got[i], strlen(got[i]));
        cr_assert_lt(++calls, 1000);
    } while (cursor != 0);
    for (int i = 0; i < ks.n; i++)
        cr_expect_eq(ks.seen[i], 1, "%s seen %d times", ks.keys[i], ks.seen[i]);
    char want[16];
    snprintf(want, sizeof want, "*%d\r\n", ks.n);
    cr_assert_eq(strncmp(run("KEYS *"), want, strlen(want)), 0, "KEYS * of %d keys", ks.n);
    expect_reply("KEYS project:7:*", "*1\r\n$12\r\nproject:7:k0\r\n");
    expect_reply("SCAN 0 MATCH project:7:* COUNT 100",
                 "*2\r\n$1\r\n0\r\n*1\r\n$12\r\nproject:7:k0\r\n");
    expect_reply("SCAN 0 MATCH project:99:* COUNT 100", "*2\r\n$1\r\n0\r\n*0\r\n");
    for (int i = 0; i < 300; i++) {
        const char *r = run("RANDOMKEY");
        int len;
        cr_assert_eq(sscanf(r, "$%d\r\n", &len), 1, "%s", r);
        mark_key(&ks, strstr(r, "\r\n") + 2, (size_t)len);
    }
    check_draws(st_int()->dbs[0], "7");
    check_draws(st_int()->dbs[0], "20");
    check_indexes();
}

Test(ks, a_flush_frees_one_key_projects_with_their_deadlines)
{
    char line[96];
    for (int async = 0; async < 2; async++) {
        for (int p = 0; p < 100; p++) {
            snprintf(line, sizeof line, "SET project:%d:k v PX %d", p, 1000 + p);
            run(line);
            snprintf(line, sizeof line, "HSET project:h%d:h f v g w", p);
            run(line);
            snprintf(line, sizeof line, "HPEXPIRE project:h%d:h 500 FIELDS 1 f", p);
            run(line);
        }
        check_indexes();
        expect_reply(async ? "FLUSHALL ASYNC" : "FLUSHALL", "+OK\r\n");
        tick();
        cr_assert_eq(run_int("DBSIZE"), 0);
        cr_assert_eq(st_int()->used_memory, 0);
        cr_assert_eq(st_int()->lazy_pending, 0);
        cr_assert_eq(st_int()->dbs[0]->small.nbytes, 0);
        check_indexes();
        fake_now += 2000; /* nothing is left to expire */
        tick();
        check_indexes();
    }
}

/* A batch's hint for a key of a one-key project that an earlier command of
 * the batch turns into a shard (the record the hint found is freed) finds
 * the project again (the sanitizers catch a use of the freed record). */
Test(ks, a_batch_whose_one_key_project_becomes_a_shard_finds_it_again)
{
    expect_reply("SET project:b:a 1", "+OK\r\n");
    /* Hints are matched to commands by the address of their key. */
    const char *set[] = {"SET", "project:b:x", "2"}, *incr[] = {"INCR", "project:b:a"};
    struct rs_str hint_set[] = {RS_STR("SET"), rs_str_from(set[1], strlen(set[1])), RS_STR("2")};
    struct rs_str hint_incr[] = {RS_STR("INCR"), rs_str_from(incr[1], strlen(incr[1]))};
    respite_client_prefetch(cl, 3, hint_set);
    respite_client_prefetch(cl, 2, hint_incr);
    respite_client_prefetch_flush(cl);
    cr_assert_eq(st_int()->nroute, 2);
    size_t len;
    cr_expect_str_eq(runv(3, set, &len), "+OK\r\n");
    cr_expect_str_eq(runv(2, incr, &len), ":2\r\n");
    cr_assert(!is_tiny("b"));
    check_indexes();
}
