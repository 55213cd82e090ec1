/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of transactions (multi.c) through the public API with two
 * in-process clients: raw reply bytes as redis-server 7.0.15 sends them (the
 * sequences of two clients were run against it), the table of watched keys
 * emptied by UNWATCH, EXEC, DISCARD, RESET and disconnect, and EXEC's single
 * clock reading on a clock that moves at every read.
 */
#include "store_test.h"

TestSuite(multi, .init = store_setup, .fini = store_teardown);

/* Run line on client c instead of the default one. */
static const char *run_on(struct respite_client *c, const char *line)
{
    struct respite_client *saved = cl;
    cl = c;
    const char *r = run(line);
    cl = saved;
    return r;
}

static uint64_t nwatched(void)
{
    return st_int()->watched.n;
}

Test(multi, queue_exec_discard)
{
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("SET k 1", "+QUEUED\r\n");
    expect_reply("INCR k", "+QUEUED\r\n");
    expect_reply("SADD k m", "+QUEUED\r\n");
    expect_reply("EXEC", "*3\r\n+OK\r\n:2\r\n"
                         "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("MULTI", "-ERR MULTI calls can not be nested\r\n");
    expect_reply("DEL k", "+QUEUED\r\n");
    expect_reply("DISCARD", "+OK\r\n");
    expect_reply("GET k", "$1\r\n2\r\n");
    expect_reply("EXEC", "-ERR EXEC without MULTI\r\n");
    expect_reply("DISCARD", "-ERR DISCARD without MULTI\r\n");
}

Test(multi, queue_time_errors_abort)
{
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("SET k", "-ERR wrong number of arguments for 'set' command\r\n");
    expect_reply("SET k 1", "+QUEUED\r\n");
    expect_reply("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    expect_reply("EXISTS k", ":0\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("SHUTDOWN", "-ERR Command not allowed inside a transaction\r\n");
    expect_reply("EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("EXEC x", "-EXECABORT Transaction discarded because of: wrong number of "
                           "arguments for 'exec' command\r\n");
    expect_reply("EXEC", "-ERR EXEC without MULTI\r\n");
}

Test(multi, watch_broken_by_another_client)
{
    struct respite_client *b = respite_client_new(rs);
    expect_reply("WATCH k project:p1:k", "+OK\r\n");
    cr_expect_eq(nwatched(), 2);
    cr_expect_str_eq(run_on(b, "SET project:p1:k v"), "+OK\r\n");
    cr_expect_eq(nwatched(), 0, "a broken client's watches are dropped at once");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("GET k", "+QUEUED\r\n");
    expect_reply("EXEC", "*-1\r\n");
    respite_client_free(b);
}

Test(multi, watch_released_everywhere)
{
    struct respite_client *b = respite_client_new(rs);
    cr_expect_str_eq(run_on(b, "WATCH a b c"), "+OK\r\n");
    expect_reply("WATCH b d", "+OK\r\n");
    cr_expect_eq(nwatched(), 4);
    const char *info = run("INFO clients");
    cr_expect(strstr(info, "\r\nwatching_clients:2\r\nclients_in_timeout_table:0\r\n"
                              "total_watched_keys:4\r\n"), "%s", info);
    expect_reply("UNWATCH", "+OK\r\n");
    cr_expect_eq(nwatched(), 3);
    expect_reply("WATCH x", "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("EXEC", "*0\r\n");
    cr_expect_eq(nwatched(), 3);
    expect_reply("WATCH y", "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("DISCARD", "+OK\r\n");
    expect_reply("WATCH z", "+OK\r\n");
    expect_reply("RESET", "+RESET\r\n");
    cr_expect_eq(nwatched(), 3);
    respite_client_free(b);
    cr_expect_eq(nwatched(), 0);
    cr_expect_null(st_int()->watched.b, "the table goes with its last key");
}

Test(multi, watch_follows_the_database_index)
{
    struct respite_client *b = respite_client_new(rs);
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("WATCH k", "+OK\r\n");
    cr_expect_str_eq(run_on(b, "SET k in-db-0"), "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("EXEC", "*0\r\n");
    expect_reply("WATCH k", "+OK\r\n");
    cr_expect_str_eq(run_on(b, "SWAPDB 0 1"), "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("GET k", "+QUEUED\r\n");
    expect_reply("EXEC", "*-1\r\n");
    respite_client_free(b);
}

/* A clock that moves 40 ms at every read. */
static int64_t moving_clock(void *ud)
{
    int64_t *t = ud;
    *t += 40;
    return *t;
}

Test(multi, one_clock_reading_per_exec)
{
    expect_reply("SET k v PX 100", "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    for (int i = 0; i < 5; i++)
        expect_reply("GET k", "+QUEUED\r\n");
    /* EXEC reads T0 + 90: alive; a second reading would see it expired. */
    fake_now = T0 + 50;
    respite_set_clock(rs, moving_clock, &fake_now);
    expect_reply("EXEC", "*5\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n$1\r\nv\r\n");
    expect_reply("GET k", "$-1\r\n");
}

Test(multi, shards_emptied_inside_exec_are_reaped_after)
{
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("SET project:p:a 1", "+QUEUED\r\n");
    expect_reply("DEL project:p:a", "+QUEUED\r\n");
    expect_reply("HSET project:p:h f v", "+QUEUED\r\n");
    expect_reply("SADD project:q:s m", "+QUEUED\r\n");
    expect_reply("DEL project:q:s", "+QUEUED\r\n");
    expect_reply("EXEC", "*5\r\n+OK\r\n:1\r\n:1\r\n:1\r\n:1\r\n");
    struct db *db = st_int()->dbs[0];
    cr_expect(has_project(db, rs_str_from("p", 1)));
    cr_expect(!has_project(db, rs_str_from("q", 1)), "reaped once EXEC is over");
    expect_reply("HGET project:p:h f", "$1\r\nv\r\n");
}

Test(multi, resp3_null_array_and_nested_nulls)
{
    struct respite_client *b = respite_client_new(rs);
    run("HELLO 3");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("GET nokey", "+QUEUED\r\n");
    expect_reply("EXEC", "*1\r\n_\r\n");
    expect_reply("WATCH k", "+OK\r\n");
    cr_expect_str_eq(run_on(b, "SET k v"), "+OK\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("EXEC", "_\r\n");
    respite_client_free(b);
}

Test(multi, exec_rejected_says_why)
{
    char err[256];
    static const char *const config[] = {"requirepass", "pw"};
    struct respite *locked = respite_open(config, 1, err, sizeof err);
    cr_assert_not_null(locked, "%s", err);
    struct respite_client *saved = cl;
    cl = respite_client_new(locked);
    expect_reply("EXEC", "-EXECABORT Transaction discarded because of: NOAUTH Authentication "
                         "required.\r\n");
    expect_reply("EXEC x", "-EXECABORT Transaction discarded because of: wrong number of "
                           "arguments for 'exec' command\r\n");
    expect_reply("MULTI", "-NOAUTH Authentication required.\r\n");
    respite_client_free(cl);
    cl = saved;
    respite_close(locked);
}

/* Does client a's EXEC still run after b ran line (a watching key)? */
static bool survives(struct respite_client *b, const char *key, const char *line)
{
    char watch[128];
    snprintf(watch, sizeof watch, "WATCH %s", key);
    cr_assert_str_eq(run(watch), "+OK\r\n");
    run_on(b, line);
    cr_assert_str_eq(run("MULTI"), "+OK\r\n");
    return strcmp(run("EXEC"), "*0\r\n") == 0;
}

/* Field and member TTLs (Redis 7.4's HEXPIRE family, respite's SEXPIRE
 * family): a change of a TTL or an expiry of a field breaks a WATCH of the
 * key, a command that changes nothing does not. */
Test(multi, subkey_ttls_touch_their_key)
{
    struct respite_client *b = respite_client_new(rs);
    run("HSET h f v g w");
    run("SADD s m n");
    cr_expect(!survives(b, "h", "HEXPIRE h 100 FIELDS 1 f"));
    cr_expect(survives(b, "h", "HEXPIRE h 200 NX FIELDS 1 f"));
    cr_expect(survives(b, "h", "HEXPIRE h 200 FIELDS 1 nofield"));
    cr_expect(!survives(b, "h", "HPERSIST h FIELDS 1 f"));
    cr_expect(survives(b, "h", "HPERSIST h FIELDS 1 f"));
    cr_expect(survives(b, "h", "HGETDEL h FIELDS 1 nofield"));
    cr_expect(!survives(b, "h", "HGETEX h PX 50 FIELDS 1 f"));
    cr_expect(survives(b, "h", "HGETEX h PERSIST FIELDS 1 g"));
    cr_expect(!survives(b, "s", "SEXPIRE s 100 MEMBERS 1 m"));
    /* Expiry of a field, reclaimed by another client's read. */
    expect_reply("WATCH h", "+OK\r\n");
    fake_now += 60;
    cr_expect_str_eq(run_on(b, "HGET h f"), "$-1\r\n");
    expect_reply("MULTI", "+OK\r\n");
    expect_reply("EXEC", "*-1\r\n");
    cr_expect(!survives(b, "h", "HGETDEL h FIELDS 1 g"), "the last field: the key goes");
    respite_client_free(b);
}
