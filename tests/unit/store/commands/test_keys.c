/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the keyspace commands (keys.c) through the public API
 * (respite_open, respite_client_new, respite_exec): raw reply bytes against
 * the RESP Redis 7.4 sends (the sequences were run on redis-server too).
 * TTLs run on a fake clock; project shards are checked through keyspace.h.
 */
#include "store_test.h"

TestSuite(keys, .init = store_setup, .fini = store_teardown);

static struct db *db0(void)
{
    return st_int()->dbs[0];
}

/* ---- TYPE, EXISTS, TOUCH, OBJECT ---------------------------------------- */

Test(keys, type_exists_touch)
{
    expect_reply("SET s hello", "+OK\r\n");
    expect_reply("TYPE s", "+string\r\n");
    expect_reply("TYPE nokey", "+none\r\n");
    expect_reply("EXISTS s s nokey", ":2\r\n");
    expect_reply("TOUCH s nokey s", ":2\r\n");
    expect_reply("TYPE", "-ERR wrong number of arguments for 'type' command\r\n");
}

Test(keys, object_subcommands)
{
    expect_reply("SET int 5", "+OK\r\n");
    expect_reply("SET big 12345", "+OK\r\n");
    expect_reply("SET s hello", "+OK\r\n");
    expect_reply("OBJECT ENCODING int", "$3\r\nint\r\n");
    expect_reply("OBJECT ENCODING s", "$6\r\nembstr\r\n");
    expect_reply("APPEND s !", ":6\r\n");
    expect_reply("OBJECT ENCODING s", "$3\r\nraw\r\n");
    expect_reply("OBJECT ENCODING nokey", "$-1\r\n");
    /* Redis shares the integers 0..9999. */
    expect_reply("OBJECT REFCOUNT int", ":2147483647\r\n");
    expect_reply("OBJECT REFCOUNT big", ":1\r\n");
    expect_reply("OBJECT REFCOUNT s", ":1\r\n");
    /* ... but not with a maxmemory under an LRU or LFU policy */
    expect_reply("CONFIG SET maxmemory 1gb maxmemory-policy allkeys-lru", "+OK\r\n");
    expect_reply("OBJECT REFCOUNT int", ":1\r\n");
    expect_reply("CONFIG SET maxmemory-policy volatile-lfu", "+OK\r\n");
    expect_reply("OBJECT REFCOUNT int", ":1\r\n");
    expect_reply("CONFIG SET maxmemory-policy volatile-ttl", "+OK\r\n");
    expect_reply("OBJECT REFCOUNT int", ":2147483647\r\n");
    expect_reply("CONFIG SET maxmemory 0 maxmemory-policy allkeys-lru", "+OK\r\n");
    expect_reply("OBJECT REFCOUNT int", ":2147483647\r\n");
    expect_reply("CONFIG SET maxmemory-policy noeviction", "+OK\r\n");
    expect_reply("OBJECT FREQ nokey", "$-1\r\n");
    expect_reply("OBJECT FREQ s",
                 "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                 "Please note that when switching between policies at runtime LRU and LFU data "
                 "will take some time to adjust.\r\n");
    expect_reply("OBJECT", "-ERR wrong number of arguments for 'object' command\r\n");
    expect_reply("OBJECT ENCODING",
                 "-ERR wrong number of arguments for 'object|encoding' command\r\n");
    expect_reply("OBJECT foo s", "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n");
    const char *help = run("OBJECT HELP");
    const char *head = "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                       "+ENCODING <key>\r\n";
    const char *tail = "+    <key>.\r\n+HELP\r\n+    Print this help.\r\n";
    cr_expect(strncmp(help, head, strlen(head)) == 0, "%s", help);
    cr_expect_str_eq(help + strlen(help) - strlen(tail), tail);
}

Test(keys, object_idletime_follows_the_store_clock_and_reads_do_not_reset_it)
{
    expect_reply("SET k v", "+OK\r\n");
    fake_now += 42000;
    expect_reply("OBJECT IDLETIME k", ":42\r\n");
    /* TYPE, TTL, EXISTS and OBJECT do not touch the key (LOOKUP_NOTOUCH). */
    run("TYPE k");
    run("TTL k");
    run("EXISTS k");
    expect_reply("OBJECT IDLETIME k", ":42\r\n");
    expect_reply("GET k", "$1\r\nv\r\n");
    expect_reply("OBJECT IDLETIME k", ":0\r\n");
    fake_now += 7000;
    expect_reply("TOUCH k", ":1\r\n");
    expect_reply("OBJECT IDLETIME k", ":0\r\n");
}

/* ---- TTL rules ---------------------------------------------------------- */

Test(keys, ttl_family_reports_missing_persistent_and_rounded_times)
{
    expect_reply("TTL nokey", ":-2\r\n");
    expect_reply("PEXPIRETIME nokey", ":-2\r\n");
    expect_reply("SET k v", "+OK\r\n");
    expect_reply("TTL k", ":-1\r\n");
    expect_reply("PTTL k", ":-1\r\n");
    expect_reply("EXPIRETIME k", ":-1\r\n");
    expect_reply("PEXPIRE k 1499", ":1\r\n");
    expect_reply("TTL k", ":1\r\n");
    expect_reply("PTTL k", ":1499\r\n");
    expect_reply("PEXPIRE k 1500", ":1\r\n");
    expect_reply("TTL k", ":2\r\n"); /* rounded to the nearest second */
    expect_reply("PEXPIRETIME k", ":2000000001500\r\n");
    expect_reply("EXPIRETIME k", ":2000000002\r\n");
    expect_reply("EXPIRE k 100", ":1\r\n");
    fake_now += 40000;
    expect_reply("TTL k", ":60\r\n");
    expect_reply("PTTL k", ":60000\r\n");
    expect_reply("PERSIST k", ":1\r\n");
    expect_reply("PERSIST k", ":0\r\n");
    expect_reply("PERSIST nokey", ":0\r\n");
    expect_reply("TTL k", ":-1\r\n");
    /* A deadline at INT64_MAX: the rounding must not overflow. */
    expect_reply("PEXPIREAT k 9223372036854775807", ":1\r\n");
    expect_reply("EXPIRETIME k", ":9223372036854776\r\n");
}

Test(keys, expire_options_nx_xx_gt_lt)
{
    expect_reply("SET k v", "+OK\r\n");
    expect_reply("EXPIRE k 100 XX", ":0\r\n"); /* no TTL yet */
    expect_reply("EXPIRE k 100 GT", ":0\r\n"); /* no TTL counts as infinite */
    expect_reply("EXPIRE k 100 LT", ":1\r\n");
    expect_reply("EXPIRE k 200 NX", ":0\r\n");
    expect_reply("EXPIRE k 200 XX", ":1\r\n");
    expect_reply("EXPIRE k 100 GT", ":0\r\n");
    expect_reply("EXPIRE k 300 gt", ":1\r\n");
    expect_reply("EXPIRE k 300 LT", ":0\r\n");
    expect_reply("EXPIRE k 50 lt", ":1\r\n");
    expect_reply("TTL k", ":50\r\n");
    expect_reply("EXPIRE k 10 XX GT", ":0\r\n");
    expect_reply("EXPIRE k 10 XX LT", ":1\r\n");
    expect_reply("EXPIRE k 10 NX NX", ":0\r\n");
    expect_reply("EXPIRE nokey 10 NX", ":0\r\n");
    expect_reply("TTL k", ":10\r\n");
}

Test(keys, expire_errors_as_redis_7)
{
    expect_reply("SET k v", "+OK\r\n");
    expect_reply("EXPIRE k 10 NX XX",
                 "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
    expect_reply("EXPIRE k 10 NX GT",
                 "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
    expect_reply("EXPIRE k 10 GT LT",
                 "-ERR GT and LT options at the same time are not compatible\r\n");
    expect_reply("EXPIRE k 10 foo", "-ERR Unsupported option foo\r\n");
    expect_reply("EXPIRE k x foo", "-ERR Unsupported option foo\r\n"); /* options first */
    expect_reply("EXPIRE k x", "-ERR value is not an integer or out of range\r\n");
    expect_reply("EXPIRE k 9223372036854775807",
                 "-ERR invalid expire time in 'expire' command\r\n");
    expect_reply("EXPIRE k -9223372036854775807",
                 "-ERR invalid expire time in 'expire' command\r\n");
    expect_reply("PEXPIRE k 9223372036854775807",
                 "-ERR invalid expire time in 'pexpire' command\r\n");
    /* seconds * 1000 fits, + now does not. */
    expect_reply("EXPIRE k 9223372036854775", "-ERR invalid expire time in 'expire' command\r\n");
    expect_reply("EXPIREAT k 9223372036854775", ":1\r\n");
    expect_reply("EXPIREAT k 9223372036854776",
                 "-ERR invalid expire time in 'expireat' command\r\n");
    expect_reply("PEXPIREAT k 9223372036854775807", ":1\r\n");
    expect_reply("EXPIRE k", "-ERR wrong number of arguments for 'expire' command\r\n");
}

Test(keys, a_deadline_in_the_past_deletes_the_key_and_replies_1)
{
    const char *cmds[] = {"EXPIRE k 0", "EXPIRE k -10", "PEXPIRE k 0", "EXPIREAT k 1",
                          "PEXPIREAT k 2000000000000", "EXPIRE k -1 LT",
                          "EXPIREAT k -9223372036854775"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        expect_reply("SET k v", "+OK\r\n");
        expect_reply(cmds[i], ":1\r\n");
        expect_reply("EXISTS k", ":0\r\n");
    }
    /* ... unless an option refuses first. */
    expect_reply("SET k v", "+OK\r\n");
    expect_reply("EXPIRE k -1 GT", ":0\r\n");
    expect_reply("EXPIRE k -1 XX", ":0\r\n");
    expect_reply("EXISTS k", ":1\r\n");
    expect_reply("EXPIRE nokey -1", ":0\r\n");
}

/* As Redis's keyIsExpired: a key is expired once now > its deadline; at the
 * deadline's own millisecond it is still there, with PTTL 0. */
Test(keys, a_key_expires_one_millisecond_after_its_deadline)
{
    expect_reply("SET k v EX 10", "+OK\r\n");
    fake_now += 9999;
    expect_reply("PTTL k", ":1\r\n");
    fake_now += 1; /* now == the deadline */
    expect_reply("PTTL k", ":0\r\n");
    expect_reply("TTL k", ":0\r\n");
    expect_reply("GET k", "$1\r\nv\r\n");
    expect_reply("EXISTS k", ":1\r\n");
    fake_now += 1; /* now > the deadline */
    expect_reply("PTTL k", ":-2\r\n");
    expect_reply("EXISTS k", ":0\r\n");
}

/* ---- RENAME, COPY, MOVE, SWAPDB ----------------------------------------- */

Test(keys, rename_rules)
{
    expect_reply("RENAME a b", "-ERR no such key\r\n");
    expect_reply("RENAME a a", "-ERR no such key\r\n");
    expect_reply("RENAMENX a a", "-ERR no such key\r\n");
    expect_reply("SET a 1", "+OK\r\n");
    expect_reply("RENAME a a", "+OK\r\n");
    expect_reply("RENAMENX a a", ":0\r\n");
    expect_reply("SET b 2", "+OK\r\n");
    expect_reply("RENAMENX a b", ":0\r\n");
    expect_reply("RENAME a b", "+OK\r\n");
    expect_reply("MGET a b", "*2\r\n$-1\r\n$1\r\n1\r\n");
    expect_reply("RENAMENX b c", ":1\r\n");
    expect_reply("EXISTS b c", ":1\r\n");
    /* The destination's own TTL is gone with it, the source's moves. */
    expect_reply("SET d 4 EX 100", "+OK\r\n");
    expect_reply("RENAME c d", "+OK\r\n");
    expect_reply("TTL d", ":-1\r\n");
    expect_reply("SET e 5 PX 5000", "+OK\r\n");
    expect_reply("RENAME e d", "+OK\r\n");
    expect_reply("PTTL d", ":5000\r\n");
    expect_reply("DBSIZE", ":1\r\n");
}

Test(keys, rename_moves_keys_and_ttls_across_project_shards)
{
    struct db *db = db0();
    expect_reply("SET g hello PX 90000", "+OK\r\n");
    expect_reply("RENAME g project:1:x", "+OK\r\n");
    cr_assert_eq(tbl_count(&db->global.tbl), 0);
    cr_assert_eq(project_keys(db, RS_STR("1")), 1);
    expect_reply("PTTL project:1:x", ":90000\r\n");
    /* project:{2}:... is project 2's shard too; project 1's shard is freed
     * with its last key. */
    expect_reply("RENAME project:1:x project:{2}:y", "+OK\r\n");
    cr_assert(!has_project(db, RS_STR("1")));
    expect_reply("GET project:{2}:y", "$5\r\nhello\r\n");
    expect_reply("PTTL project:{2}:y", ":90000\r\n");
    cr_assert_eq(project_expiring(db, RS_STR("2")), 1);
    /* Over an existing key of another project, then back to global. */
    expect_reply("SET project:3:z zz", "+OK\r\n");
    expect_reply("RENAMENX project:{2}:y project:3:z", ":0\r\n");
    expect_reply("RENAME project:{2}:y project:3:z", "+OK\r\n");
    expect_reply("GET project:3:z", "$5\r\nhello\r\n");
    expect_reply("RENAMENX project:3:z back", ":1\r\n");
    expect_reply("PTTL back", ":90000\r\n");
    cr_assert_eq(db->norder, 0);
    cr_assert_eq(shard_nexp(&db->global), 1);
    /* A raw (appended) string and an int keep their encoding. */
    expect_reply("SET n 42", "+OK\r\n");
    expect_reply("APPEND back !", ":6\r\n");
    expect_reply("RENAME n project:4:n", "+OK\r\n");
    expect_reply("RENAME back project:4:b", "+OK\r\n");
    expect_reply("OBJECT ENCODING project:4:n", "$3\r\nint\r\n");
    expect_reply("OBJECT ENCODING project:4:b", "$3\r\nraw\r\n");
    expect_reply("GET project:4:b", "$6\r\nhello!\r\n");
    expect_reply("DBSIZE", ":2\r\n");
}

Test(keys, rename_within_one_crowded_shard)
{
    /* Source and destination in one table, many times over: the source's
     * slot must be found again after the destination is deleted. */
    char line[128];
    for (int i = 0; i < 2000; i++) {
        snprintf(line, sizeof line, "SET project:7:k%d %d", i, i);
        expect_reply(line, "+OK\r\n");
    }
    for (int i = 0; i + 1 < 2000; i += 2) {
        snprintf(line, sizeof line, "RENAME project:7:k%d project:7:k%d", i, i + 1);
        expect_reply(line, "+OK\r\n");
    }
    cr_assert_eq(run_int("DBSIZE"), 1000);
    expect_reply("GET project:7:k1001", "$4\r\n1000\r\n");
}

Test(keys, copy_rules)
{
    expect_reply("SET s hello PX 5000", "+OK\r\n");
    expect_reply("COPY s s", "-ERR source and destination objects are the same\r\n");
    expect_reply("COPY s s DB 0", "-ERR source and destination objects are the same\r\n");
    expect_reply("COPY s s DB x", "-ERR value is not an integer or out of range\r\n");
    expect_reply("COPY s s DB", "-ERR syntax error\r\n");
    expect_reply("COPY s t DB 16", "-ERR DB index is out of range\r\n");
    expect_reply("COPY s t DB 99999999999",
                 "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
    expect_reply("COPY s t foo", "-ERR syntax error\r\n");
    expect_reply("COPY nokey t", ":0\r\n");
    expect_reply("COPY s project:5:t", ":1\r\n");
    expect_reply("GET project:5:t", "$5\r\nhello\r\n");
    expect_reply("PTTL project:5:t", ":5000\r\n");
    expect_reply("COPY s project:5:t", ":0\r\n");
    expect_reply("SET other x", "+OK\r\n");
    expect_reply("COPY other project:5:t REPLACE", ":1\r\n");
    expect_reply("GET project:5:t", "$1\r\nx\r\n");
    expect_reply("PTTL project:5:t", ":-1\r\n");
    expect_reply("COPY s s DB 1", ":1\r\n");
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("GET s", "$5\r\nhello\r\n");
    expect_reply("PTTL s", ":5000\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    /* The copy is independent of its source. */
    expect_reply("APPEND s !", ":6\r\n");
    expect_reply("GET project:5:t", "$1\r\nx\r\n");
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("GET s", "$5\r\nhello\r\n");
}

Test(keys, move_rules)
{
    expect_reply("SET k v EX 100", "+OK\r\n");
    expect_reply("MOVE k x", "-ERR value is not an integer or out of range\r\n");
    expect_reply("MOVE k 16", "-ERR DB index is out of range\r\n");
    expect_reply("MOVE k -1", "-ERR DB index is out of range\r\n");
    expect_reply("MOVE k 0", "-ERR source and destination objects are the same\r\n");
    expect_reply("MOVE k 99999999999",
                 "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
    expect_reply("MOVE nokey 1", ":0\r\n");
    expect_reply("MOVE k 1", ":1\r\n");
    expect_reply("EXISTS k", ":0\r\n");
    expect_reply("SET k again", "+OK\r\n");
    expect_reply("MOVE k 1", ":0\r\n"); /* present there */
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("TTL k", ":100\r\n");
    expect_reply("GET k", "$1\r\nv\r\n");
    expect_reply("SET project:8:m mv", "+OK\r\n");
    expect_reply("MOVE project:8:m 2", ":1\r\n");
    cr_assert(!has_project(st_int()->dbs[1], RS_STR("8")));
    cr_assert(has_project(st_int()->dbs[2], RS_STR("8")));
    expect_reply("SELECT 2", "+OK\r\n");
    expect_reply("GET project:8:m", "$2\r\nmv\r\n");
}

Test(keys, swapdb_rules)
{
    expect_reply("SWAPDB a b", "-ERR invalid first DB index\r\n");
    expect_reply("SWAPDB 0 b", "-ERR invalid second DB index\r\n");
    expect_reply("SWAPDB 99999999999 0", "-ERR invalid first DB index\r\n");
    expect_reply("SWAPDB 0 16", "-ERR DB index is out of range\r\n");
    expect_reply("SWAPDB -1 0", "-ERR DB index is out of range\r\n");
    expect_reply("SWAPDB 0 0", "+OK\r\n");
    expect_reply("SET a 1", "+OK\r\n");
    expect_reply("SET project:1:a 1 PX 1000", "+OK\r\n");
    expect_reply("SWAPDB 0 3", "+OK\r\n");
    expect_reply("DBSIZE", ":0\r\n");
    expect_reply("SELECT 3", "+OK\r\n");
    expect_reply("DBSIZE", ":2\r\n");
    expect_reply("PTTL project:1:a", ":1000\r\n");
    cr_assert_eq(st_int()->dbs[3]->idx, 3);
    /* Expiry keeps working in the swapped database. */
    fake_now += 1001; /* one millisecond past the deadline */
    for (int guard = 0; respite_tick(rs, 1000); guard++)
        cr_assert_lt(guard, 1000);
    expect_reply("DBSIZE", ":1\r\n");
}

/* ---- KEYS, SCAN, RANDOMKEY ---------------------------------------------- */

static char scan_keys[100000][64];

Test(keys, scan_argument_errors)
{
    expect_reply("SCAN x", "-ERR invalid cursor\r\n");
    expect_reply("SCAN 1x", "-ERR invalid cursor\r\n");
    expect_reply("SCAN 18446744073709551616", "-ERR invalid cursor\r\n");
    expect_reply("SCAN 0 COUNT 0", "-ERR syntax error\r\n");
    expect_reply("SCAN 0 COUNT x", "-ERR value is not an integer or out of range\r\n");
    expect_reply("SCAN 0 MATCH", "-ERR syntax error\r\n");
    expect_reply("SCAN 0 foo bar", "-ERR syntax error\r\n");
    expect_reply("SCAN 0", "*2\r\n$1\r\n0\r\n*0\r\n");
    /* 7.4's string2ull: a negative integer and "" are invalid, "-0" and "+1" not */
    expect_reply("SCAN -1", "-ERR invalid cursor\r\n");
    expect_reply("SCAN -0", "*2\r\n$1\r\n0\r\n*0\r\n");
    const char *argv[] = {"SCAN", ""};
    size_t len;
    cr_expect_str_eq(runv(2, argv, &len), "-ERR invalid cursor\r\n");
    expect_reply("SET k v", "+OK\r\n");
    expect_reply("SCAN 0 TYPE foo", "*2\r\n$1\r\n0\r\n*0\r\n"); /* 7.4: no error */
    expect_reply("SCAN 0 TYPE STRING", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
    expect_reply("SCAN 0 TYPE hash", "*2\r\n$1\r\n0\r\n*0\r\n");
    expect_reply("SCAN 0 MATCH k*", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
}

Test(keys, scan_returns_every_key_across_50_projects_while_keys_are_added)
{
    char line[128];
    int nstable = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof line, "SET g%d v", i);
        run(line);
        nstable++;
    }
    for (int p = 0; p < 50; p++)
        for (int i = 0; i < 20; i++) {
            snprintf(line, sizeof line, "SET project:%d:s%d v", p, i);
            run(line);
            nstable++;
        }
    /* Keys that exist only during the scan live in new and old shards, and
     * some of their shards are freed again. */
    static int seen_g[200], seen_p[50][20];
    unsigned long long cursor = 0;
    int calls = 0, added = 0, nkeys = 0;
    do {
        snprintf(line, sizeof line, "SCAN %llu COUNT 7", cursor);
        int n = parse_scan(run(line), &cursor, scan_keys, 100000);
        for (int i = 0; i < n; i++) {
            int a, b;
            if (sscanf(scan_keys[i], "g%d", &a) == 1 && strchr(scan_keys[i], ':') == NULL)
                seen_g[a]++;
            else if (sscanf(scan_keys[i], "project:%d:s%d", &a, &b) == 2)
                seen_p[a][b]++;
        }
        nkeys += n;
        calls++;
        for (int k = 0; k < 10; k++, added++) {
            snprintf(line, sizeof line, "SET project:%d:t%d v", 50 + added % 80, added);
            run(line);
            snprintf(line, sizeof line, "SET tmp%d v", added);
            run(line);
        }
        if (calls % 5 == 0) {
            /* Drop whole new projects: their shards are freed. */
            for (int k = added - 50; k < added; k++) {
                snprintf(line, sizeof line, "DEL project:%d:t%d tmp%d", 50 + k % 80, k, k);
                run(line);
            }
        }
    } while (cursor != 0 && calls < 100000);
    cr_assert_eq(cursor, 0);
    for (int i = 0; i < 200; i++)
        cr_assert_geq(seen_g[i], 1, "g%d never returned", i);
    for (int p = 0; p < 50; p++)
        for (int i = 0; i < 20; i++)
            cr_assert_geq(seen_p[p][i], 1, "project:%d:s%d never returned", p, i);
    cr_assert_geq(nkeys, nstable);
}

Test(keys, scan_and_keys_skip_expired_keys_and_scan_deletes_them)
{
    expect_reply("SET live v", "+OK\r\n");
    expect_reply("SET dead v PX 10", "+OK\r\n");
    expect_reply("SET project:1:dead v PX 10", "+OK\r\n");
    fake_now += 11; /* one millisecond past the deadline */
    expect_reply("KEYS *", "*1\r\n$4\r\nlive\r\n");
    expect_reply("DBSIZE", ":3\r\n"); /* KEYS does not delete */
    expect_reply("SCAN 0 COUNT 100", "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n");
    expect_reply("DBSIZE", ":1\r\n");
}

Test(keys, keys_patterns_and_project_routing)
{
    const char *keys[] = {"hello", "hallo", "hxllo", "project:1:a", "project:{1}:b",
                          "project:12:a", "project:1x:a"};
    char line[128];
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        snprintf(line, sizeof line, "SET %s v", keys[i]);
        run(line);
    }
    struct db *db = db0();
    /* Routing: project:{1}: is project 1, as is project:1:. */
    cr_assert_eq(project_keys(db, RS_STR("1")), 2);
    cr_assert_eq(project_keys(db, RS_STR("12")), 1);
    cr_assert_eq(tbl_count(&db->global.tbl), 3);
    /* Several keys come in the table's order: count them. */
    cr_assert_eq(atoi(run("KEYS h[ae]llo") + 1), 2);
    cr_assert_eq(atoi(run("KEYS h?llo") + 1), 3);
    cr_assert_eq(atoi(run("KEYS h[^x]llo") + 1), 2);
    expect_reply("KEYS project:1:*", "*1\r\n$11\r\nproject:1:a\r\n");
    expect_reply("KEYS project:{1}:*", "*1\r\n$13\r\nproject:{1}:b\r\n");
    expect_reply("KEYS project:\\1:*", "*1\r\n$11\r\nproject:1:a\r\n");
    expect_reply("KEYS project:99:*", "*0\r\n");
    cr_assert_eq(atoi(run("KEYS project:1*") + 1), 3); /* not project:{1}:b */
    cr_assert_eq(atoi(run("KEYS *") + 1), 7);
}

Test(keys, a_scan_whose_pattern_names_a_project_visits_only_its_shard)
{
    char line[128];
    for (int i = 0; i < 2000; i++) {
        snprintf(line, sizeof line, "SET g%d v", i);
        run(line);
    }
    run("SET project:42:a v");
    run("SET project:42:b v");
    run("SET project:{42}:c v");
    /* Redis would need many calls over 2003 keys; the one small shard is
     * done in one. */
    unsigned long long cursor;
    int n = parse_scan(run("SCAN 0 MATCH project:42:* COUNT 10"), &cursor, scan_keys, 10);
    cr_assert_eq(cursor, 0);
    cr_assert_eq(n, 2);
    n = parse_scan(run("SCAN 0 MATCH project:{42}:*"), &cursor, scan_keys, 10);
    cr_assert_eq(cursor, 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(scan_keys[0], "project:{42}:c");
    expect_reply("SCAN 0 MATCH project:43:*", "*2\r\n$1\r\n0\r\n*0\r\n");
}

Test(keys, randomkey_skips_expired_keys_across_shards)
{
    expect_reply("RANDOMKEY", "$-1\r\n");
    char line[128];
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "SET dead%d v PX 5", i);
        run(line);
        snprintf(line, sizeof line, "SET project:%d:dead v PX 5", i);
        run(line);
    }
    run("SET project:7:live v");
    fake_now += 6; /* one millisecond past the deadline */
    expect_reply("RANDOMKEY", "$14\r\nproject:7:live\r\n");
    expect_reply("DEL project:7:live", ":1\r\n");
    expect_reply("RANDOMKEY", "$-1\r\n");
    expect_reply("DBSIZE", ":0\r\n");
}

Test(keys, randomkey_reaches_keys_of_every_shard)
{
    char line[128];
    for (int p = 0; p < 10; p++) {
        snprintf(line, sizeof line, "SET project:%d:k v", p);
        run(line);
    }
    run("SET global v");
    int seen_global = 0, seen[10] = {0};
    for (int i = 0; i < 2000; i++) {
        const char *r = run("RANDOMKEY");
        int p;
        if (sscanf(r, "$%*d\r\nproject:%d:k", &p) == 1)
            seen[p]++;
        else if (strcmp(r, "$6\r\nglobal\r\n") == 0)
            seen_global++;
        else
            cr_assert_fail("RANDOMKEY replied %s", r);
    }
    cr_assert_gt(seen_global, 100); /* about 182 expected of each */
    for (int p = 0; p < 10; p++)
        cr_assert_gt(seen[p], 100, "project %d drawn %d times", p, seen[p]);
}

struct seq_walk {
    uint32_t seq[8];
    char first[8];
    int n;
};

static void seq_cb(void *ud, const struct ks_proj *p)
{
    struct seq_walk *w = ud;
    if (w->n < 8) {
        w->seq[w->n] = ks_proj_seq(p);
        w->first[w->n++] = ks_proj_id(p).p[0];
    }
}

Test(keys, shard_seqs_are_renumbered_before_they_outgrow_a_scan_cursor)
{
    struct db *db = db0();
    run("SET project:a:k v");
    run("SET project:b:k v");
    db->next_seq = (1ULL << KS_SEQ_BITS) - 2; /* as after 2^25 shard creations */
    run("SET project:c:k v");
    run("SET project:d:k v");
    run("SET project:e:k v");
    cr_assert_eq(db->norder, 5);
    struct seq_walk w = {.n = 0};
    ks_foreach_project(db, false, seq_cb, &w);
    cr_assert_eq(w.n, 5);
    for (int i = 0; i < w.n; i++) {
        cr_assert_lt(w.seq[i], 1ULL << KS_SEQ_BITS);
        if (i > 0)
            cr_assert_lt(w.seq[i - 1], w.seq[i], "order broken at %d", i);
        cr_assert_eq(w.first[i], 'a' + i);
    }
    unsigned long long cursor = 0;
    int total = 0;
    char line[64];
    do {
        snprintf(line, sizeof line, "SCAN %llu COUNT 1", cursor);
        total += parse_scan(run(line), &cursor, scan_keys, 100);
    } while (cursor != 0);
    cr_assert_eq(total, 5);
}

/* ---- uniform RANDOMKEY (issue 17) ------------------------------------------ */

Test(keys, randomkey_is_uniform_within_a_shard)
{
    seed_store(17);
    char line[128];
    for (int s = 0; s < 20; s++) { /* 20 shards of 10 keys: a project's, or the global one */
        run("FLUSHALL");
        for (int i = 0; i < 10; i++) {
            if (s % 2)
                snprintf(line, sizeof line, "SET project:%d:k%d v", s, i);
            else
                snprintf(line, sizeof line, "SET k%d v", i);
            run(line);
        }
        check_uniform("RANDOMKEY", 'k', 10, 1000, NULL);
    }
    run("FLUSHALL");
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "SET project:7:k%d v", i);
        run(line);
    }
    check_uniform("RANDOMKEY", 'k', 100, 20000, NULL);
}

Test(keys, randomkey_is_uniform_over_keys_of_uneven_shards)
{
    /* Projects of 1 to 13 keys and the global shard: each key, not each
     * shard, equally likely. */
    seed_store(17);
    char line[128];
    for (int i = 0; i < 100; i++) {
        int p = i < 40 ? i % 13 : i < 50 ? 100 + i : -1;
        if (p < 0)
            snprintf(line, sizeof line, "SET k%d v", i);
        else
            snprintf(line, sizeof line, "SET project:%d:k%d v", p, i);
        run(line);
    }
    check_uniform("RANDOMKEY", 'k', 100, 20000, NULL);
}
