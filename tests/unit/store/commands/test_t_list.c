/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the list commands (t_list.c) through the public API: the
 * shard's byte accounting as lists grow across chunks, shrink, move, are
 * copied and deleted; encodings with plain chunks (DEBUG
 * QUICKLIST-PACKED-THRESHOLD); a list in listpack form kept as its one
 * chunk alone, in and out of that form; long lists read from both ends.
 * Replies are compared with redis-server by tests/compat/cases/lists.txt
 * and cases_nodes/.
 */
#include "store_test.h"
#include "ds/mem.h"

TestSuite(list, .init = store_setup, .fini = store_teardown);

static struct db *db0(void)
{
    return st_int()->dbs[0];
}

/* The global shard's bytes are exactly those of its entries. */
static void expect_accounted(const char *const *keys, int n)
{
    struct shard *sh = &db0()->global;
    uint64_t sum = 0;
    for (int i = 0; i < n; i++) {
        struct entry **ref = tbl_find_ref(&sh->tbl, keys[i], strlen(keys[i]));
        if (ref)
            sum += obj_bytes(*ref);
    }
    cr_expect_eq(sh->nbytes, sum, "shard %llu, entries %llu", (unsigned long long)sh->nbytes,
                 (unsigned long long)sum);
    cr_expect_eq(st_int()->used_memory, sh->nbytes);
}

Test(list, bytes_follow_pushes_pops_moves_copies_and_deletes)
{
    static const char *const keys[] = {"l", "l2", "c"};
    expect_reply("CONFIG SET list-max-listpack-size 3", "+OK\r\n");
    for (int i = 0; i < 50; i++) {
        char line[64];
        snprintf(line, sizeof line, "RPUSH l element-%d", i);
        run(line);
        snprintf(line, sizeof line, "LPUSH l %d", i);
        run(line);
        expect_accounted(keys, 3);
    }
    expect_reply("LLEN l", ":100\r\n");
    expect_reply("LINSERT l AFTER element-10 x", ":101\r\n");
    expect_reply("LSET l 50 a-longer-value-than-before", "+OK\r\n");
    expect_reply("LREM l 0 7", ":1\r\n");
    expect_accounted(keys, 3);
    expect_reply("COPY l c", ":1\r\n");
    expect_accounted(keys, 3);
    for (int i = 0; i < 30; i++)
        run("LMOVE l l2 LEFT RIGHT");
    expect_accounted(keys, 3);
    expect_reply("LTRIM l 5 -5", "+OK\r\n");
    run("LPOP l 10");
    expect_accounted(keys, 3);
    expect_reply("DEL l l2 c", ":3\r\n");
    cr_expect_eq(db0()->global.nbytes, 0);
    cr_expect_eq(st_int()->used_memory, 0);
}

Test(list, emptied_lists_are_deleted)
{
    expect_reply("RPUSH l a b c", ":3\r\n");
    expect_reply("LPOP l 3", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    expect_reply("EXISTS l", ":0\r\n");
    expect_reply("RPUSH l a", ":1\r\n");
    expect_reply("LMOVE l l LEFT RIGHT", "$1\r\na\r\n");
    expect_reply("EXISTS l", ":1\r\n");
    expect_reply("LMOVE l other LEFT RIGHT", "$1\r\na\r\n");
    expect_reply("EXISTS l", ":0\r\n");
    expect_reply("LREM other 0 a", ":1\r\n");
    expect_reply("EXISTS other", ":0\r\n");
    cr_expect_eq(st_int()->used_memory, 0);
}

Test(list, plain_chunks_keep_a_quicklist)
{
    st_int()->list_packed_threshold = 10; /* what DEBUG QUICKLIST-PACKED-THRESHOLD 10 sets */
    expect_reply("CONFIG SET list-max-listpack-size 2", "+OK\r\n");
    expect_reply("RPUSH l a b c", ":3\r\n");
    expect_reply("OBJECT ENCODING l", "$9\r\nquicklist\r\n");
    expect_reply("RPUSH l 0123456789abc", ":4\r\n");
    expect_reply("LPOP l 3", "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    /* One chunk left, but a plain one: Redis keeps the quicklist. */
    expect_reply("OBJECT ENCODING l", "$9\r\nquicklist\r\n");
    expect_reply("LSET l 0 x", "+OK\r\n");
    expect_reply("OBJECT ENCODING l", "$8\r\nlistpack\r\n");
    expect_reply("LRANGE l 0 -1", "*1\r\n$1\r\nx\r\n");
}

/* The entry of key in the global shard. */
static struct entry *entry_of(const char *key)
{
    struct entry **ref = tbl_find_ref(&db0()->global.tbl, key, strlen(key));
    cr_assert(ref != NULL, "%s is missing", key);
    return *ref;
}

/* key is in listpack form as its chunk alone (no struct quicklist), and
 * accounts for that entry and that chunk only. */
static void expect_chunk_alone(const char *key)
{
    struct entry *e = entry_of(key);
    cr_expect_eq(e->enc, ENC_LIST_CHUNK, "%s: enc %d", key, e->enc);
    cr_expect_eq(obj_bytes(e), 24 + 8 + strlen(key) + rs_alloc_size(entry_ptr(e)));
}

Test(list, listpacks_are_their_chunk_alone_both_ways)
{
    static const char *const keys[] = {"l", "c", "r"};
    expect_reply("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
    expect_reply("RPUSH l a b c", ":3\r\n");
    expect_chunk_alone("l");
    expect_reply("LPUSH l z", ":4\r\n");
    expect_chunk_alone("l");
    expect_reply("RPUSH l d", ":5\r\n"); /* past the count limit */
    cr_expect_eq(entry_of("l")->enc, ENC_RAW);
    expect_reply("OBJECT ENCODING l", "$9\r\nquicklist\r\n");
    expect_accounted(keys, 3);
    expect_reply("RPOP l 2", "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
    cr_expect_eq(entry_of("l")->enc, ENC_RAW); /* 3 is above half the limit */
    expect_reply("LREM l 1 a", ":1\r\n");
    expect_chunk_alone("l");
    expect_reply("OBJECT ENCODING l", "$8\r\nlistpack\r\n");
    expect_accounted(keys, 3);
    /* LINSERT and LSET convert before they look for the pivot or index. */
    expect_reply("LINSERT l BEFORE nope x", ":-1\r\n");
    expect_chunk_alone("l");
    expect_reply("RPUSH l 1 2", ":4\r\n");
    expect_reply("LINSERT l BEFORE nope x", ":-1\r\n");
    expect_reply("OBJECT ENCODING l", "$9\r\nquicklist\r\n");
    expect_accounted(keys, 3);
    expect_reply("LTRIM l 0 1", "+OK\r\n");
    expect_chunk_alone("l");
    expect_reply("LRANGE l 0 -1", "*2\r\n$1\r\nz\r\n$1\r\nb\r\n");
    /* Copied, renamed, moved between keys, sorted into another (DUMP and
     * RESTORE: tests/compat/cases_nodes/list_chunk.txt). */
    expect_reply("COPY l c", ":1\r\n");
    expect_chunk_alone("c");
    cr_expect_neq(entry_ptr(entry_of("c")), entry_ptr(entry_of("l")));
    expect_reply("RENAME c r", "+OK\r\n");
    expect_chunk_alone("r");
    expect_reply("LMOVE r c LEFT LEFT", "$1\r\nz\r\n");
    expect_chunk_alone("r");
    expect_chunk_alone("c");
    expect_accounted(keys, 3);
    expect_reply("SORT l ALPHA STORE r", ":2\r\n"); /* a list built apart, then stored */
    expect_chunk_alone("r");
    expect_reply("LRANGE r 0 -1", "*2\r\n$1\r\nb\r\n$1\r\nz\r\n");
    expect_accounted(keys, 3);
    expect_reply("DEL l c r", ":3\r\n");
    cr_expect_eq(st_int()->used_memory, 0);
}

Test(list, long_lists_read_from_both_ends)
{
    expect_reply("CONFIG SET list-max-listpack-size 4", "+OK\r\n");
    for (int i = 0; i < 200; i++) {
        char line[64];
        snprintf(line, sizeof line, "RPUSH l %d", i);
        run(line);
    }
    for (int i = 0; i < 200; i += 13) {
        char line[64], want[64];
        snprintf(line, sizeof line, "LINDEX l %d", i);
        snprintf(want, sizeof want, "$%d\r\n%d\r\n", i < 10 ? 1 : i < 100 ? 2 : 3, i);
        expect_reply(line, want);
        snprintf(line, sizeof line, "LINDEX l %d", i - 200);
        expect_reply(line, want);
        snprintf(line, sizeof line, "LPOS l %d", i);
        snprintf(want, sizeof want, ":%d\r\n", i);
        expect_reply(line, want);
    }
    expect_reply("LRANGE l 97 99", "*3\r\n$2\r\n97\r\n$2\r\n98\r\n$2\r\n99\r\n");
    expect_reply("LRANGE l -2 -1", "*2\r\n$3\r\n198\r\n$3\r\n199\r\n");
}
