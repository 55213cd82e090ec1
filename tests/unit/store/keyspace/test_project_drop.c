/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PROJECT DROP (ks_project_drop): a project's keys leave every index of
 * every database at once -- the key counts of DBSIZE and INFO, the
 * deadline heaps of keys and of hash fields and set members, RANDOMKEY's
 * tree, the project map and order array -- while its shard is freed in
 * slices (ks_free_garbage) to exactly the memory of before; nothing of it
 * comes due later, SCAN goes on across it, and the project fills again
 * and is compacted as any emptied one. One-key projects (no shard of
 * their own) drop their key from the db's `small` shard.
 */
#include "store_test.h"

TestSuite(project_drop, .init = store_setup, .fini = store_teardown);

static struct db *db0(void)
{
    return st_int()->dbs[0];
}

/* INFO's used_memory. */
static uint64_t used(void)
{
    return st_int()->used_memory + st_int()->shard_bytes;
}

/* n keys "project:<p>:k<i>" (i from first), MSET 500 at a time. */
static void fill_project(const char *p, int first, int n)
{
    enum { BATCH = 500 };
    static char keys[BATCH][64];
    const char *argv[1 + 2 * BATCH];
    for (int start = first; start < first + n; start += BATCH) {
        int argc = 0;
        argv[argc++] = "MSET";
        for (int i = start; i < first + n && i < start + BATCH; i++) {
            snprintf(keys[i - start], sizeof keys[0], "project:%s:k%d", p, i);
            argv[argc++] = keys[i - start];
            argv[argc++] = "v";
        }
        size_t len;
        cr_assert_str_eq(runv(argc, argv, &len), "+OK\r\n");
    }
}

static void drain(int min_slices)
{
    int slices = 1;
    while (ks_free_garbage(st_int(), 0))
        slices++;
    cr_expect_geq(slices, min_slices);
    cr_expect_eq(st_int()->lazy_pending, 0);
}

static void tick_all(void)
{
    for (int guard = 0; respite_tick(rs, 1000); guard++)
        cr_assert_lt(guard, 100000);
}

Test(project_drop, a_one_key_project_drops_its_key_and_deadline)
{
    expect_reply("SET project:a:k v PX 5000", "+OK\r\n");
    expect_reply("SET project:{b}:k v", "+OK\r\n");
    expect_reply("SET g v PX 9000", "+OK\r\n");
    cr_assert_not_null(project_in(db0(), RS_STR("a")).one, "a one-key project has no shard");
    cr_assert_eq(ks_db_expires(db0(), false), 2);
    uint64_t dirty = st_int()->persist.dirty;
    expect_reply("PROJECT DROP a", ":1\r\n");
    expect_reply("PROJECT DROP b", ":1\r\n");
    expect_reply("PROJECT DROP a", ":0\r\n");
    expect_reply("PROJECT DROP nothing", ":0\r\n");
    cr_expect_eq(st_int()->persist.dirty - dirty, 2);
    expect_reply("DBSIZE", ":1\r\n");
    expect_reply("EXISTS project:a:k project:{b}:k", ":0\r\n");
    cr_expect_eq(ks_db_expires(db0(), false), 1);
    cr_expect_eq(ks_db_avg_ttl(db0(), T0), 9000, "only g's deadline is left");
    expect_reply("PROJECT LIST", "*0\r\n");
    expect_reply("PROJECT DROP", "-ERR wrong number of arguments for 'project|drop' command\r\n");
    expect_reply("PROJECT DROP a b", "-ERR wrong number of arguments for 'project|drop' command\r\n");
}

Test(project_drop, a_shard_leaves_every_index_at_once_and_is_freed_in_slices)
{
    enum { N = 20000 };
    struct store *st = st_int();
    fill_project("keep", 0, 10);
    expect_reply("PEXPIRE project:keep:k0 7000", ":1\r\n");
    expect_reply("SET g v", "+OK\r\n");
    uint64_t base = st->used_memory;
    fill_project("big", 0, N);
    char line[128];
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "PEXPIRE project:big:k%d %d", i, 1000 + i);
        cr_assert_eq(run_int(line), 1);
    }
    expect_reply("HSET project:big:h f1 v f2 v", ":2\r\n");
    expect_reply("HPEXPIRE project:big:h 500 FIELDS 1 f1", "*1\r\n:1\r\n");
    expect_reply("SADD project:big:s m1 m2", ":2\r\n");
    expect_reply("SEXPIRE project:big:s 1 MEMBERS 1 m1", "*1\r\n:1\r\n");
    cr_assert_eq(ks_db_expires(db0(), false), 101);
    cr_assert_eq(ks_db_expires(db0(), true), 2);
    cr_assert_eq(db0()->due.n, 2, "the shards keep and big have deadlines");
    respite_tick(rs, 0); /* something ticks: background freeing is on */
    uint64_t full = st->used_memory, expired = st->stats.expired_keys;

    expect_reply("PROJECT DROP big", ":20002\r\n");
    /* Gone from every count and index at once, freed later. */
    cr_expect_eq(st->lazy_pending, N + 2);
    cr_expect_eq(st->used_memory, full);
    expect_reply("DBSIZE", ":11\r\n");
    cr_expect_eq(ks_db_expires(db0(), false), 1);
    cr_expect_eq(ks_db_expires(db0(), true), 0);
    cr_expect_eq(ks_db_avg_ttl(db0(), T0), 7000);
    cr_expect_eq(db0()->due.n, 1);
    expect_reply("PROJECT INFO big", "*22\r\n$4\r\nkeys\r\n:0\r\n$5\r\nbytes\r\n:0\r\n"
                                     "$13\r\nexpiring_keys\r\n:0\r\n$8\r\ncommands\r\n:0\r\n"
                                     "$10\r\ntotal_keys\r\n:0\r\n$11\r\ntotal_bytes\r\n:0\r\n$9\r\nmaxmemory\r\n:0\r\n$7\r\nmaxkeys\r\n:0\r\n"
                                     "$6\r\nmaxops\r\n:0\r\n$16\r\ndelayed_commands\r\n:0\r\n$16\r\nrefused_commands\r\n:0\r\n");
    expect_reply("PROJECT LIST", "*1\r\n$4\r\nkeep\r\n");
    expect_reply("EXISTS project:big:k0 project:big:h project:big:s", ":0\r\n");
    for (int i = 0; i < 200; i++) {
        const char *r = run("RANDOMKEY");
        cr_assert(strstr(r, "project:big:") == NULL, "RANDOMKEY drew a dropped key: %s", r);
    }
    drain(N / 1024);
    cr_expect_eq(st->used_memory, base);

    /* Nothing of it comes due: only keep's key expires. */
    fake_now += 60000;
    tick_all();
    cr_expect_eq(st->stats.expired_keys - expired, 1);
    cr_expect_eq(st->stats.expired_subkeys, 0);
    expect_reply("DBSIZE", ":10\r\n");
}

Test(project_drop, without_a_tick_the_shard_is_freed_by_the_command)
{
    struct store *st = st_int();
    uint64_t base = used();
    fill_project("p", 0, 5000);
    cr_assert_eq(st->last_tick_us, 0);
    expect_reply("PROJECT DROP p", ":5000\r\n");
    cr_expect_eq(st->lazy_pending, 0);
    /* The project stays, empty, until the db compacts after the command. */
    ks_reap_empty(st);
    cr_expect_eq(used(), base);
    cr_expect_eq(db0()->norder, 0);
}

Test(project_drop, a_dropped_project_fills_again_and_is_compacted_as_an_emptied_one)
{
    fill_project("p", 0, 50);
    fill_project("q", 0, 50);
    fill_project("r", 0, 50);
    expect_reply("PROJECT DROP q", ":50\r\n");
    expect_reply("SET project:q:new v", "+OK\r\n");
    expect_reply("GET project:q:new", "$1\r\nv\r\n");
    expect_reply("PROJECT LIST", "*3\r\n$1\r\np\r\n$1\r\nq\r\n$1\r\nr\r\n");
    expect_reply("DBSIZE", ":101\r\n");
    /* Two of three emptied: the db compacts after the command. */
    expect_reply("PROJECT DROP p", ":50\r\n");
    expect_reply("PROJECT DROP q", ":1\r\n");
    ks_reap_empty(st_int());
    cr_expect_eq(db0()->norder, 1);
    expect_reply("PROJECT LIST", "*1\r\n$1\r\nr\r\n");
    expect_reply("GET project:r:k49", "$1\r\nv\r\n");
}

Test(project_drop, every_database_loses_the_project)
{
    fill_project("p", 0, 30);
    expect_reply("SELECT 5", "+OK\r\n");
    fill_project("p", 0, 1);
    expect_reply("SELECT 9", "+OK\r\n");
    fill_project("p", 0, 4);
    expect_reply("SET project:pp:k v", "+OK\r\n");
    expect_reply("PROJECT DROP p", ":35\r\n");
    expect_reply("DBSIZE", ":1\r\n");
    expect_reply("SELECT 5", "+OK\r\n");
    expect_reply("DBSIZE", ":0\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    expect_reply("DBSIZE", ":0\r\n");
}

Test(project_drop, scan_returns_every_kept_key_across_drops)
{
    enum { P = 40, K = 30 };
    char id[16];
    for (int p = 0; p < P; p++) {
        snprintf(id, sizeof id, "%d", p);
        fill_project(id, 0, K);
    }
    static char keys[1000][64];
    static bool seen[P][K];
    unsigned long long cursor = 0;
    int calls = 0, dropped = 1;
    do {
        char line[64];
        snprintf(line, sizeof line, "SCAN %llu COUNT 7", cursor);
        int n = parse_scan(run(line), &cursor, keys, 1000);
        int last = -1;
        for (int i = 0; i < n; i++) {
            int p, k;
            cr_assert_eq(sscanf(keys[i], "project:%d:k%d", &p, &k), 2, "%s", keys[i]);
            seen[p][k] = true;
            last = p;
        }
        /* Between calls: drop the odd projects, the one the cursor is in
         * first when it is odd. */
        if (last >= 0 && last % 2 == 1) {
            snprintf(line, sizeof line, "PROJECT DROP %d", last);
            run(line);
        }
        if (dropped < P) {
            snprintf(line, sizeof line, "PROJECT DROP %d", dropped);
            run(line);
            dropped += 2;
        }
        calls++;
    } while (cursor != 0 && calls < 10000);
    cr_assert_eq(cursor, 0);
    for (int p = 0; p < P; p += 2)
        for (int k = 0; k < K; k++)
            cr_assert(seen[p][k], "project:%d:k%d, kept all along, was not returned", p, k);
    expect_reply("DBSIZE", ":600\r\n");
}
