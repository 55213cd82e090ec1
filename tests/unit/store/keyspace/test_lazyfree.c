/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lazy freeing (keyspace.c): a big value of a deleted key is queued in O(1) and
 * freed by ks_free_garbage in slices of bounded work; whole flushed shards
 * go the same way. Each test fills a value of 200,000 elements, deletes it,
 * then calls ks_free_garbage with no time budget, which does exactly one
 * slice a call: the value must take many slices, and at the end nothing is
 * pending and used_memory is back to what it was before the value existed.
 * Whatever is left is freed by respite_close (the ASan build checks for
 * leaks at exit).
 */
#include "store_test.h"

TestSuite(lazyfree, .init = store_setup, .fini = store_teardown);

#define N 200000
#define BATCH 1000

/* Run cmd key, then BATCH items of make() a command until n items. */
static void fill(const char *cmd, const char *key, int n, int per,
                 void (*make)(int i, char *a, char *b))
{
    static char bufs[2 * BATCH][2][24];
    const char *argv[2 + 2 * BATCH];
    for (int start = 0; start < n; start += BATCH) {
        int argc = 0;
        argv[argc++] = cmd;
        argv[argc++] = key;
        for (int i = start; i < n && i < start + BATCH; i++) {
            make(i, bufs[i - start][0], bufs[i - start][1]);
            for (int k = 0; k < per; k++)
                argv[argc++] = bufs[i - start][k];
        }
        size_t len;
        const char *r = runv(argc, argv, &len);
        cr_assert_eq(r[0], ':', "%s: %s", cmd, r);
    }
}

static void field(int i, char *a, char *b)
{
    snprintf(a, 24, "f%d", i);
    snprintf(b, 24, "v");
}

/* Slices until the queue is empty. */
static int drain(void)
{
    int slices = 1;
    while (ks_free_garbage(st_int(), 0))
        slices++;
    return slices;
}

/* Delete key with cmd (UNLINK...): queued, then freed in many slices, to
 * exactly the memory of before. */
static void check_sliced(const char *del, const char *key, uint64_t base, int min_slices)
{
    struct store *st = st_int();
    respite_tick(rs, 0); /* something ticks: background freeing is on */
    uint64_t full = st->used_memory;
    char line[64];
    snprintf(line, sizeof line, "%s %s", del, key);
    cr_assert_eq(run_int(line), 1);
    cr_expect_eq(st->lazy_pending, 1);
    cr_expect_eq(st->used_memory, full, "freed only in the background");
    int slices = drain();
    cr_expect_geq(slices, min_slices);
    cr_expect_eq(st->lazy_pending, 0);
    cr_expect_eq(st->stats.lazyfreed, 1);
    cr_expect_eq(st->used_memory, base);
    cr_expect_null(st->lazy_head);
}

Test(lazyfree, unlink_of_a_big_hash_is_freed_in_many_slices)
{
    uint64_t base = st_int()->used_memory;
    fill("HSET", "h", N, 2, field);
    /* a slice is about a thousand frees (fields and buckets) */
    check_sliced("UNLINK", "h", base, N / 1024);
}

Test(lazyfree, unlink_of_a_big_set_is_freed_in_many_slices)
{
    uint64_t base = st_int()->used_memory;
    fill("SADD", "s", N, 1, field);
    check_sliced("UNLINK", "s", base, N / 1024);
}

Test(lazyfree, unlink_of_a_big_list_is_freed_in_slices)
{
    uint64_t base = st_int()->used_memory;
    expect_reply("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
    fill("RPUSH", "l", N, 1, field); /* 50,000 chunks */
    check_sliced("UNLINK", "l", base, N / 4 / 1024);
}

Test(lazyfree, unlink_of_a_stream_with_pending_entries_is_freed_in_slices)
{
    uint64_t base = st_int()->used_memory;
    char id[32];
    for (int i = 1; i <= 20000; i++) {
        snprintf(id, sizeof id, "XADD st %d-1 f v", i);
        run(id);
    }
    expect_reply("XGROUP CREATE st g 0", "+OK\r\n");
    expect_reply("XGROUP CREATE st g2 0", "+OK\r\n");
    run("XREADGROUP GROUP g alice COUNT 10000 STREAMS st >");
    run("XREADGROUP GROUP g bob COUNT 10000 STREAMS st >");
    run("XREADGROUP GROUP g2 carol COUNT 20000 STREAMS st >");
    /* 200 nodes and 40,000 pending entries, each seen by a consumer too */
    check_sliced("UNLINK", "st", base, 40000 / 1024);
}

Test(lazyfree, hashes_and_sets_with_sub_key_ttls_leave_their_shard_and_are_freed)
{
    struct store *st = st_int();
    uint64_t base = st->used_memory;
    fill("HSET", "h", 10000, 2, field);
    fill("SADD", "s", 10000, 1, field);
    expect_reply("HEXPIRE h 100 FIELDS 2 f1 f2", "*2\r\n:1\r\n:1\r\n");
    expect_reply("SEXPIRE s 100 MEMBERS 2 f1 f2", "*2\r\n:1\r\n:1\r\n");
    expect_reply("EXPIRE h 100", ":1\r\n");
    cr_assert_eq(shard_nsub(&st->dbs[0]->global), 2);
    respite_tick(rs, 0);
    expect_reply("UNLINK h s", ":2\r\n");
    cr_expect_eq(shard_nsub(&st->dbs[0]->global), 0);
    cr_expect_eq(shard_nexp(&st->dbs[0]->global), 0);
    cr_expect_eq(st->dbs[0]->global.nbytes, 0);
    cr_expect_eq(st->lazy_pending, 2);
    /* the clock passing their deadlines changes nothing for them now */
    fake_now += 200 * 1000;
    drain();
    cr_expect_eq(st->lazy_pending, 0);
    cr_expect_eq(st->used_memory, base);
}

Test(lazyfree, small_values_and_strings_are_freed_by_the_command)
{
    struct store *st = st_int();
    uint64_t base = st->used_memory;
    fill("HSET", "h", 64, 2, field);
    expect_reply("SET s hello", "+OK\r\n");
    respite_tick(rs, 0);
    expect_reply("UNLINK h s", ":2\r\n");
    cr_expect_eq(st->lazy_pending, 0);
    cr_expect_eq(st->used_memory, base);
}

Test(lazyfree, without_a_tick_unlink_frees_at_once)
{
    struct store *st = st_int();
    uint64_t base = st->used_memory;
    fill("HSET", "h", 10000, 2, field);
    cr_assert_eq(st->last_tick_us, 0);
    expect_reply("UNLINK h", ":1\r\n");
    cr_expect_eq(st->lazy_pending, 0);
    cr_expect_eq(st->used_memory, base);
}

Test(lazyfree, flushall_async_frees_shards_and_big_values_in_slices)
{
    struct store *st = st_int();
    uint64_t base = st->used_memory;
    fill("HSET", "project:1:h", N, 2, field);
    fill("SADD", "s", N / 2, 1, field);
    expect_reply("SET project:1:k v", "+OK\r\n");
    expect_reply("SELECT 3", "+OK\r\n");
    expect_reply("SET k v", "+OK\r\n");
    respite_tick(rs, 0);
    uint64_t full = st->used_memory;
    expect_reply("FLUSHALL ASYNC", "+OK\r\n");
    cr_expect_eq(st->lazy_pending, 4);
    cr_expect_eq(st->used_memory, full);
    expect_reply("DBSIZE", ":0\r\n");
    cr_expect_geq(drain(), (N + N / 2) / 1024);
    cr_expect_eq(st->lazy_pending, 0);
    cr_expect_eq(st->stats.lazyfreed, 4);
    cr_expect_eq(st->used_memory, base);
}

Test(lazyfree, close_frees_what_is_still_queued)
{
    fill("HSET", "h", N, 2, field);
    fill("SADD", "s", N, 1, field);
    respite_tick(rs, 0);
    expect_reply("UNLINK h", ":1\r\n");
    cr_assert_eq(ks_free_garbage(st_int(), 0), 1); /* one slice: most of h is left */
    expect_reply("FLUSHALL ASYNC", "+OK\r\n");
    cr_expect_eq(st_int()->lazy_pending, 2);
    /* store_teardown's respite_close frees the rest; LeakSanitizer checks. */
}
