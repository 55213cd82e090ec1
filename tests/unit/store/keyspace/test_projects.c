/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What a project costs and what its removal gives back (issue 11): the
 * bytes a project with one key adds to the store's accounting beyond the
 * key, measured in respite's own accounting (INFO used_memory =
 * used_memory_dataset + used_memory_overhead), not RSS, so the bound holds
 * on any machine; projects created and emptied in rounds leave the store
 * as it was, the order array and project map shrunk; and SCAN, PROJECT
 * INFO and PROJECT LIST behave across the empty shards a db keeps until it
 * compacts.
 */
#include "store_test.h"
#include "ds/table.h"

TestSuite(projects, .init = store_setup, .fini = store_teardown);

static struct db *db0(void)
{
    return st_int()->dbs[0];
}

/* INFO's used_memory. */
static uint64_t used(void)
{
    return st_int()->used_memory + st_int()->shard_bytes;
}

#define VALUE "abcdefghijklmnopqrst" /* 20 bytes, as the load */

static void set_project_key(int p, int k)
{
    char key[64];
    snprintf(key, sizeof key, "project:%d:k%d", p, k);
    const char *argv[] = {"SET", key, VALUE};
    size_t len;
    cr_assert_str_eq(runv(3, argv, &len), "+OK\r\n");
}

static void del_project_key(int p, int k)
{
    char key[64];
    snprintf(key, sizeof key, "project:%d:k%d", p, k);
    const char *argv[] = {"DEL", key};
    size_t len;
    cr_assert_str_eq(runv(2, argv, &len), ":1\r\n");
}

Test(projects, a_project_with_one_key_costs_little_beyond_the_key)
{
    enum { N = 10000 };
    uint64_t base = used();
    uint64_t data0 = st_int()->used_memory;
    for (int p = 0; p < N; p++)
        set_project_key(p, 0);
    uint64_t per_key = (st_int()->used_memory - data0) / N;
    uint64_t per_project = (used() - base) / N;
    /* Its record (struct tiny: 25 bytes and a 4-byte id) and its slots in
     * the order array and project map: 55 bytes measured (29 + 2 x 8 x
     * 16384 / 10000), where a shard of its own gives 134 (104 + a 4-byte
     * id + the same slots) and 245 before issue 11 (184 + a 5-byte id + 8 x
     * 32768 / 10000 + 8 x 16384 / 10000). */
    cr_assert_leq(per_project - per_key, 56, "a project costs %llu bytes beyond its key",
                  (unsigned long long)(per_project - per_key));
    /* The key itself: its entry, header + key + value, nothing else. */
    cr_assert_leq(per_key, sizeof(struct entry) + strlen("project:9999:k0") + 20);
    /* A project with one key has no shard of its own. */
    cr_assert_not_null(project_in(db0(), RS_STR("1234")).one);
}

Test(projects, creating_and_emptying_projects_in_rounds_gives_everything_back)
{
    enum { N = 20000, ROUNDS = 3 };
    struct db *db = db0();
    expect_reply("SET global v", "+OK\r\n");
    uint64_t base = used();
    for (int round = 0; round < ROUNDS; round++) {
        for (int p = 0; p < N; p++)
            set_project_key(p, round);
        cr_assert_eq(db->norder, N);
        cr_assert_geq(db->projects.cap, N);
        /* Emptied in creation order: each removal is O(1) amortized. */
        for (int p = 0; p < N; p++)
            del_project_key(p, round);
        cr_assert_eq(used(), base, "round %d: %llu bytes left", round,
                     (unsigned long long)(used() - base));
        cr_assert_eq(st_int()->shard_bytes, 0);
        cr_assert_eq(db->norder, 0);
        cr_assert_eq(db->nempty, 0);
        cr_assert_eq(db->order_cap, 0);
        cr_assert_eq(db->projects.cap, 0);
    }
    expect_reply("DBSIZE", ":1\r\n");
}

Test(projects, the_order_array_and_map_shrink_to_the_projects_left)
{
    enum { N = 20000, KEEP = 100 };
    struct db *db = db0();
    for (int p = 0; p < N; p++)
        set_project_key(p, 0);
    /* Keep one project in each N / KEEP, spread over the order array. */
    for (int p = 0; p < N; p++)
        if (p % (N / KEEP) != 0)
            del_project_key(p, 0);
    cr_assert_eq(run_int("DBSIZE"), KEEP);
    cr_assert_leq(db->norder, 2 * KEEP, "%zu shards kept for %d projects", db->norder, KEEP);
    cr_assert_leq(db->order_cap, 4 * KEEP);
    cr_assert_leq(db->projects.cap, 8 * KEEP);
    for (int p = 0; p < N; p += N / KEEP) {
        char key[64];
        snprintf(key, sizeof key, "GET project:%d:k0", p);
        expect_reply(key, "$20\r\n" VALUE "\r\n");
    }
}

Test(projects, an_emptied_project_reads_as_one_that_never_had_keys)
{
    set_project_key(1, 0);
    set_project_key(2, 0);
    set_project_key(3, 0);
    run("GET project:2:k0");
    del_project_key(2, 0); /* 1 empty of 3: kept for now */
    cr_assert(has_project(db0(), RS_STR("2")));
    expect_reply("PROJECT INFO 2", "*22\r\n$4\r\nkeys\r\n:0\r\n$5\r\nbytes\r\n:0\r\n"
                                   "$13\r\nexpiring_keys\r\n:0\r\n$8\r\ncommands\r\n:0\r\n"
                                   "$10\r\ntotal_keys\r\n:0\r\n$11\r\ntotal_bytes\r\n:0\r\n$9\r\nmaxmemory\r\n:0\r\n$7\r\nmaxkeys\r\n:0\r\n"
                                   "$6\r\nmaxops\r\n:0\r\n$16\r\ndelayed_commands\r\n:0\r\n$16\r\nrefused_commands\r\n:0\r\n");
    expect_reply("PROJECT LIST", "*2\r\n$1\r\n1\r\n$1\r\n3\r\n");
    run("GET project:2:k0");
    /* Filled again, it counts its commands from this write on. */
    set_project_key(2, 0);
    expect_reply("PROJECT INFO 2", "*22\r\n$4\r\nkeys\r\n:1\r\n$5\r\nbytes\r\n:56\r\n"
                                   "$13\r\nexpiring_keys\r\n:0\r\n$8\r\ncommands\r\n:1\r\n"
                                   "$10\r\ntotal_keys\r\n:1\r\n$11\r\ntotal_bytes\r\n:56\r\n"
                                   "$9\r\nmaxmemory\r\n:0\r\n$7\r\nmaxkeys\r\n:0\r\n$6\r\nmaxops\r\n:0\r\n"
                                   "$16\r\ndelayed_commands\r\n:0\r\n$16\r\nrefused_commands\r\n:0\r\n");
    expect_reply("PROJECT LIST", "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
}

Test(projects, scan_returns_every_kept_key_while_other_projects_go_and_come)
{
    enum { N = 2000 };
    for (int p = 0; p < N; p++)
        set_project_key(p, 0);
    static char keys[1000][64];
    static bool seen[N];
    unsigned long long cursor = 0;
    int calls = 0, gone = 0, fresh = N;
    do {
        char line[64];
        snprintf(line, sizeof line, "SCAN %llu COUNT 5", cursor);
        int n = parse_scan(run(line), &cursor, keys, 1000);
        for (int i = 0; i < n; i++) {
            int p, k;
            cr_assert_eq(sscanf(keys[i], "project:%d:k%d", &p, &k), 2, "%s", keys[i]);
            if (p < N)
                seen[p] = true;
        }
        /* Between calls: empty the odd projects (the db compacts on the
         * way, more than once) and create new ones. */
        for (int j = 0; j < 40 && gone < N; j++, gone += 2)
            del_project_key(gone + 1, 0);
        set_project_key(fresh++, 0);
        calls++;
    } while (cursor != 0 && calls < 10000);
    cr_assert_eq(cursor, 0);
    for (int p = 0; p < N; p += 2)
        cr_assert(seen[p], "project %d, kept all along, was not returned", p);
}

/* Prefetch hints (respite_client_prefetch) resolve each key's project
 * shard ahead of the commands, and the command whose key sits at the
 * hint's address starts from that shard. The bytes there may have changed
 * since (an embedder reuses its buffer): the shard is checked against the
 * key the command runs with. */
Test(projects, a_hinted_key_rewritten_in_place_before_it_runs_reaches_its_own_project)
{
    expect_reply("SADD project:1:s from-one", ":1\r\n");
    expect_reply("SADD project:2:s from-two", ":1\r\n");
    char key[] = "project:1:s";
    struct rs_str hint[] = {rs_str_from("SMEMBERS", 8), rs_str_from(key, strlen(key))};
    respite_client_prefetch(cl, 2, hint);
    respite_client_prefetch_flush(cl);
    key[8] = '2';
    const char *argv[] = {"SMEMBERS", key};
    size_t len;
    cr_expect_str_eq(runv(2, argv, &len), "*1\r\n$8\r\nfrom-two\r\n");
    /* And the other way: the shard found last is no shortcut for another. */
    key[8] = '1';
    cr_expect_str_eq(runv(2, argv, &len), "*1\r\n$8\r\nfrom-one\r\n");
    /* Another key of the hinted project: the hint's hash is not its own. */
    expect_reply("SADD project:1:t from-t", ":1\r\n");
    respite_client_prefetch(cl, 2, hint);
    respite_client_prefetch_flush(cl);
    key[10] = 't';
    cr_expect_str_eq(runv(2, argv, &len), "*1\r\n$6\r\nfrom-t\r\n");
    respite_client_prefetch(cl, 2, hint);
    respite_client_prefetch_flush(cl);
    key[10] = 'u';
    cr_expect_str_eq(runv(2, argv, &len), "*0\r\n");
    const char *sadd[] = {"SADD", key, "new"};
    respite_client_prefetch(cl, 2, hint);
    respite_client_prefetch_flush(cl);
    key[10] = 't';
    cr_expect_str_eq(runv(3, sadd, &len), ":1\r\n");
    expect_reply("SCARD project:1:t", ":2\r\n");
}

/* Commands of a batch run after its hints resolved their shards: one that
 * frees shards (FLUSHALL, or the compaction after a DEL empties enough
 * projects) leaves the later commands' shards dangling; they must find
 * their projects again (the sanitizers catch a use of a freed shard). */
static void hint_keys(int n, char keys[][32])
{
    for (int i = 0; i < n; i++) {
        struct rs_str hint[] = {rs_str_from("SADD", 4), rs_str_from(keys[i], strlen(keys[i])),
                                rs_str_from("m", 1)};
        respite_client_prefetch(cl, 3, hint);
    }
    respite_client_prefetch_flush(cl);
}

Test(projects, a_batch_whose_shards_are_freed_by_an_earlier_command_finds_its_projects_again)
{
    char keys[8][32];
    for (int i = 0; i < 8; i++) {
        snprintf(keys[i], sizeof keys[i], "project:%d:s", i);
        const char *argv[] = {"SADD", keys[i], "m"};
        size_t len;
        cr_assert_str_eq(runv(3, argv, &len), ":1\r\n");
    }
    hint_keys(8, keys);
    expect_reply("FLUSHALL", "+OK\r\n");
    for (int i = 0; i < 8; i++) {
        const char *argv[] = {"SADD", keys[i], "m"};
        size_t len;
        cr_expect_str_eq(runv(3, argv, &len), ":1\r\n", "%s", keys[i]);
    }
    /* Emptying the first half compacts the db after the command that
     * empties the fourth: the rest of the batch runs on shards found
     * before it. */
    hint_keys(8, keys);
    for (int i = 0; i < 8; i++) {
        const char *argv[] = {i < 4 ? "DEL" : "SADD", keys[i], "n"};
        size_t len;
        cr_expect_str_eq(runv(i < 4 ? 2 : 3, argv, &len), ":1\r\n", "%s", keys[i]);
    }
    cr_expect_eq(db0()->norder, 4);
    for (int i = 0; i < 8; i++) {
        char line[64];
        snprintf(line, sizeof line, "SCARD %s", keys[i]);
        cr_expect_eq(run_int(line), i < 4 ? 0 : 2, "%s", line);
    }
}

/* A hint resolves in the client's database when it is given: a SELECT or
 * SWAPDB that runs before the command points it at another one. */
Test(projects, a_batch_that_changes_database_reaches_the_projects_of_the_new_one)
{
    expect_reply("SADD project:7:s in-db0", ":1\r\n");
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("SADD project:7:s in-db1", ":1\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    char keys[2][32] = {"project:7:s", "project:7:s"};
    hint_keys(2, keys);
    const char *argv[] = {"SMEMBERS", keys[0]};
    size_t len;
    expect_reply("SELECT 1", "+OK\r\n");
    cr_expect_str_eq(runv(2, argv, &len), "*1\r\n$6\r\nin-db1\r\n");
    hint_keys(2, keys);
    expect_reply("SWAPDB 0 1", "+OK\r\n");
    cr_expect_str_eq(runv(2, argv, &len), "*1\r\n$6\r\nin-db0\r\n");
}

/* PROJECT INFO's commands of project p. */
static long long project_commands(int p)
{
    char line[64];
    snprintf(line, sizeof line, "PROJECT INFO %d", p);
    const char *r = strstr(run(line), "commands\r\n:");
    cr_assert_not_null(r, "%s", line);
    return atoll(r + strlen("commands\r\n:"));
}

/* A command counts in the shard its key's lookup found, or in the one it
 * made, or in the key's shard after a compaction it caused. */
Test(projects, each_command_counts_in_its_keys_project_however_its_shard_was_found)
{
    char keys[4][32] = {"project:1:s", "project:2:s", "project:1:s", "project:3:s"};
    expect_reply("SADD project:1:s a", ":1\r\n");
    expect_reply("SADD project:2:s a", ":1\r\n");
    hint_keys(4, keys);
    const char *const cmds[4][3] = {{"SADD", keys[0], "b"},
                                    {"DEL", keys[1]}, /* 1 of 2 empty: compacts */
                                    {"SCARD", keys[2]},
                                    {"SADD", keys[3], "c"}}; /* a new project */
    const int argc[4] = {3, 2, 2, 3};
    const char *const want[4] = {":1\r\n", ":1\r\n", ":2\r\n", ":1\r\n"};
    for (int i = 0; i < 4; i++) {
        size_t len;
        cr_expect_str_eq(runv(argc[i], cmds[i], &len), want[i], "%s", cmds[i][0]);
    }
    cr_expect(!has_project(db0(), RS_STR("2")));
    cr_expect_eq(project_commands(1), 3);
    cr_expect_eq(project_commands(3), 1);
}
