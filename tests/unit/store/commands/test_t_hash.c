/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the hash commands (t_hash.c) through the public API: raw reply
 * bytes against what redis-server 7.0.15 sends for the same sequences, in
 * both encodings, the conversion at exactly hash-max-listpack-entries and
 * hash-max-listpack-value, and the shard's byte accounting as hashes grow,
 * shrink, are copied and deleted.
 */
#include "store_test.h"

TestSuite(hash, .init = store_setup, .fini = store_teardown);

static struct db *db0(void)
{
    return st_int()->dbs[0];
}

/* HSET key f0 v0 ... f(n-1) v(n-1), with fields prefixed by pfx. */
static long long hset_n(const char *key, const char *pfx, int from, int n)
{
    int argc = 2 + 2 * n;
    const char **argv = malloc(sizeof *argv * argc);
    char(*words)[32] = malloc(sizeof *words * 2 * n);
    argv[0] = "HSET";
    argv[1] = key;
    for (int i = 0; i < n; i++) {
        snprintf(words[2 * i], 32, "%s%d", pfx, from + i);
        snprintf(words[2 * i + 1], 32, "v%d", from + i);
        argv[2 + 2 * i] = words[2 * i];
        argv[3 + 2 * i] = words[2 * i + 1];
    }
    size_t len;
    const char *r = runv(argc, argv, &len);
    cr_assert_eq(r[0], ':', "%s", r);
    long long added = atoll(r + 1);
    free(words);
    free(argv);
    return added;
}

/* The memory figure of the global shard matches its one key's entry. */
static void expect_accounted(const char *key)
{
    struct shard *sh = &db0()->global;
    struct entry **ref = tbl_find_ref(&sh->tbl, key, strlen(key));
    cr_assert_not_null(ref, "%s", key);
    cr_expect_eq(sh->nbytes, obj_bytes(*ref), "%s: shard %llu, entry %zu", key,
                 (unsigned long long)sh->nbytes, obj_bytes(*ref));
}

static void both_encodings_basics(void)
{
    expect_reply("HSET h f1 v1 f2 v2", ":2\r\n");
    expect_reply("HSET h f1 v1b f3 v3", ":1\r\n");
    expect_reply("HGET h f1", "$3\r\nv1b\r\n");
    expect_reply("HGET h nofield", "$-1\r\n");
    expect_reply("HMGET h f3 nofield f2", "*3\r\n$2\r\nv3\r\n$-1\r\n$2\r\nv2\r\n");
    expect_reply("HLEN h", ":3\r\n");
    expect_reply("HEXISTS h f2", ":1\r\n");
    expect_reply("HEXISTS h f9", ":0\r\n");
    expect_reply("HSTRLEN h f1", ":3\r\n");
    expect_reply("HSETNX h f1 x", ":0\r\n");
    expect_reply("HSETNX h f4 v4", ":1\r\n");
    expect_reply("HMSET h f5 v5", "+OK\r\n");
    expect_reply("HDEL h f4 f5 f9", ":2\r\n");
    expect_reply("HINCRBY h n 5", ":5\r\n");
    expect_reply("HINCRBY h n -7", ":-2\r\n");
    expect_reply("HINCRBY h f1 1", "-ERR hash value is not an integer\r\n");
    expect_reply("HINCRBYFLOAT h n 0.5", "$4\r\n-1.5\r\n");
    expect_reply("HINCRBYFLOAT h f1 1", "-ERR hash value is not a float\r\n");
    expect_reply("HDEL h n", ":1\r\n");
    expect_accounted("h");
}

Test(hash, commands_on_a_packed_hash)
{
    both_encodings_basics();
    expect_reply("OBJECT ENCODING h", "$8\r\nlistpack\r\n");
    /* A packed hash keeps insertion order, as a listpack. */
    expect_reply("HGETALL h",
                 "*6\r\n$2\r\nf1\r\n$3\r\nv1b\r\n$2\r\nf2\r\n$2\r\nv2\r\n$2\r\nf3\r\n$2\r\nv3\r\n");
    expect_reply("HKEYS h", "*3\r\n$2\r\nf1\r\n$2\r\nf2\r\n$2\r\nf3\r\n");
    expect_reply("HVALS h", "*3\r\n$3\r\nv1b\r\n$2\r\nv2\r\n$2\r\nv3\r\n");
    expect_reply("HSCAN h 0 MATCH *2",
                 "*2\r\n$1\r\n0\r\n*2\r\n$2\r\nf2\r\n$2\r\nv2\r\n");
    expect_reply("HSCAN h 0 NOVALUES",
                 "*2\r\n$1\r\n0\r\n*3\r\n$2\r\nf1\r\n$2\r\nf2\r\n$2\r\nf3\r\n");
    /* count >= size: the whole hash in its order. */
    expect_reply("HRANDFIELD h 3", "*3\r\n$2\r\nf1\r\n$2\r\nf2\r\n$2\r\nf3\r\n");
}

Test(hash, commands_on_a_table_hash)
{
    run("CONFIG SET hash-max-listpack-entries 0");
    both_encodings_basics();
    expect_reply("OBJECT ENCODING h", "$9\r\nhashtable\r\n");
    expect_reply("HLEN h", ":3\r\n");
    const char *all = run("HGETALL h");
    cr_expect(strncmp(all, "*6\r\n", 4) == 0, "%s", all);
    cr_expect(strstr(all, "$2\r\nf1\r\n$3\r\nv1b\r\n") != NULL, "%s", all);
    cr_expect(strstr(all, "$2\r\nf3\r\n$2\r\nv3\r\n") != NULL, "%s", all);
    const char *keys = run("HSCAN h 0 COUNT 100 NOVALUES");
    cr_expect(strncmp(keys, "*2\r\n$1\r\n0\r\n*3\r\n", 15) == 0, "%s", keys);
}

Test(hash, converts_at_exactly_the_entry_threshold)
{
    cr_expect_eq(hset_n("h", "f", 0, 512), 512);
    expect_reply("OBJECT ENCODING h", "$8\r\nlistpack\r\n");
    expect_accounted("h");
    expect_reply("HSET h f0 changed", ":0\r\n");
    expect_reply("OBJECT ENCODING h", "$8\r\nlistpack\r\n");
    cr_expect_eq(hset_n("h", "f", 512, 1), 1);
    expect_reply("OBJECT ENCODING h", "$9\r\nhashtable\r\n");
    expect_accounted("h");
    expect_reply("HLEN h", ":513\r\n");
    expect_reply("HGET h f0", "$7\r\nchanged\r\n");
    expect_reply("HGET h f511", "$4\r\nv511\r\n");
    expect_reply("HGET h f512", "$4\r\nv512\r\n");
    /* Never back: Redis does not convert a table to a listpack. */
    expect_reply("HDEL h f512 f0", ":2\r\n");
    expect_reply("OBJECT ENCODING h", "$9\r\nhashtable\r\n");
    expect_accounted("h");
    /* One HSET that goes past the threshold converts on its way. */
    cr_expect_eq(hset_n("h2", "g", 0, 513), 513);
    expect_reply("OBJECT ENCODING h2", "$9\r\nhashtable\r\n");
}

Test(hash, converts_past_the_value_threshold)
{
    char v64[65], v65[66], line[200];
    memset(v64, 'x', 64);
    v64[64] = '\0';
    memset(v65, 'y', 65);
    v65[65] = '\0';
    snprintf(line, sizeof line, "HSET a f %s", v64);
    expect_reply(line, ":1\r\n");
    snprintf(line, sizeof line, "HSET a %s v", v64);
    expect_reply(line, ":1\r\n");
    expect_reply("OBJECT ENCODING a", "$8\r\nlistpack\r\n");
    snprintf(line, sizeof line, "HSET a f %s", v65);
    expect_reply(line, ":0\r\n");
    expect_reply("OBJECT ENCODING a", "$9\r\nhashtable\r\n");
    expect_accounted("a");
    snprintf(line, sizeof line, "HSET b %s v", v65);
    expect_reply(line, ":1\r\n");
    expect_reply("OBJECT ENCODING b", "$9\r\nhashtable\r\n");
    /* HINCRBYFLOAT's result counts, not its argument. */
    const char *r = run("HINCRBYFLOAT c f 1e70");
    cr_expect(strncmp(r, "$71\r\n1000000000000000000", 23) == 0, "%s", r);
    expect_reply("OBJECT ENCODING c", "$9\r\nhashtable\r\n");
    /* The threshold is read at each change. */
    expect_reply("CONFIG SET hash-max-listpack-value 3", "+OK\r\n");
    expect_reply("HSET d abc abc", ":1\r\n");
    expect_reply("OBJECT ENCODING d", "$8\r\nlistpack\r\n");
    expect_reply("HSET d abcd 1", ":1\r\n");
    expect_reply("OBJECT ENCODING d", "$9\r\nhashtable\r\n");
    expect_reply("CONFIG GET hash-max-listpack-value",
                 "*2\r\n$23\r\nhash-max-listpack-value\r\n$1\r\n3\r\n");
    expect_reply("CONFIG GET hash-max-listpack-entries",
                 "*2\r\n$25\r\nhash-max-listpack-entries\r\n$3\r\n512\r\n");
}

Test(hash, binary_and_empty_fields)
{
    const char *set[] = {"HSET", "h", "a\r\n\0b", "v\0\r\n", "", ""};
    size_t len;
    /* runv takes C strings: binary bytes go through respite_exec's lengths. */
    size_t lens[] = {4, 1, 5, 4, 0, 0};
    const char *r = respite_exec(cl, 6, set, lens, &len);
    cr_expect_str_eq(r, ":2\r\n");
    const char *get[] = {"HGET", "h", "a\r\n\0b"};
    size_t glens[] = {4, 1, 5};
    r = respite_exec(cl, 3, get, glens, &len);
    cr_expect_eq(len, 10);
    cr_expect(memcmp(r, "$4\r\nv\0\r\n\r\n", 10) == 0);
    expect_reply("HLEN h", ":2\r\n");
    const char *hget_empty[] = {"HSTRLEN", "h", ""};
    r = runv(3, hget_empty, &len);
    cr_expect_str_eq(r, ":0\r\n");
}

Test(hash, empty_hash_is_deleted_and_errors_leave_no_key)
{
    expect_reply("HSET h a 1", ":1\r\n");
    expect_reply("HDEL h a", ":1\r\n");
    expect_reply("EXISTS h", ":0\r\n");
    cr_expect_eq(db0()->global.nbytes, 0);
    cr_expect_eq(st_int()->used_memory, 0);
    expect_reply("HDEL h a", ":0\r\n");
    expect_reply("HINCRBY h f x", "-ERR value is not an integer or out of range\r\n");
    expect_reply("HINCRBYFLOAT h f nan", "-ERR value is not a valid float\r\n");
    expect_reply("HINCRBYFLOAT h f inf", "-ERR value is NaN or Infinity\r\n");
    expect_reply("EXISTS h", ":0\r\n");
    expect_reply("HSET h", "-ERR wrong number of arguments for 'hset' command\r\n");
    expect_reply("HSET h a 1 b", "-ERR wrong number of arguments for 'hset' command\r\n");
    expect_reply("EXISTS h", ":0\r\n");
}

Test(hash, overflow_and_wrongtype)
{
    expect_reply("HSET h big 9223372036854775807", ":1\r\n");
    expect_reply("HINCRBY h big 1", "-ERR increment or decrement would overflow\r\n");
    expect_reply("HSET h fl inf", ":1\r\n");
    expect_reply("HINCRBYFLOAT h fl 1", "-ERR increment would produce NaN or Infinity\r\n");
    expect_reply("SET s v", "+OK\r\n");
    const char *wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    expect_reply("HSET s f v", wt);
    expect_reply("HGET s f", wt);
    expect_reply("HGETALL s", wt);
    expect_reply("HDEL s f", wt);
    expect_reply("HRANDFIELD s", wt);
    expect_reply("HSCAN s 0", wt);
    expect_reply("GET h", wt);
}

Test(hash, hrandfield_counts_and_resp3_shapes)
{
    expect_reply("HRANDFIELD nokey", "$-1\r\n");
    expect_reply("HRANDFIELD nokey 3", "*0\r\n");
    expect_reply("HSET h a 1", ":1\r\n");
    expect_reply("HRANDFIELD h", "$1\r\na\r\n");
    expect_reply("HRANDFIELD h -3", "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n");
    expect_reply("HRANDFIELD h -2 WITHVALUES",
                 "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n");
    expect_reply("HRANDFIELD h 0", "*0\r\n");
    expect_reply("HRANDFIELD h 1 WITHVALUES x", "-ERR syntax error\r\n");
    expect_reply("HRANDFIELD h 4611686018427387904 WITHVALUES", "-ERR value is out of range\r\n");
    run("HELLO 3");
    expect_reply("HRANDFIELD h -2 WITHVALUES",
                 "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    expect_reply("HGETALL h", "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    expect_reply("HGETALL nokey", "%0\r\n");
    expect_reply("HRANDFIELD nokey", "_\r\n");
    /* Distinct fields of a table hash, each once. */
    run("HELLO 2");
    run("CONFIG SET hash-max-listpack-entries 0");
    cr_expect_eq(hset_n("t", "f", 0, 50), 50);
    const char *r = run("HRANDFIELD t 49");
    cr_expect(strncmp(r, "*49\r\n", 5) == 0, "%s", r);
    char name[16];
    int seen = 0;
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "\nf%d\r", i);
        const char *p = strstr(r, name);
        if (p) {
            seen++;
            cr_expect_null(strstr(p + 1, name), "f%d twice", i);
        }
    }
    cr_expect_eq(seen, 49);
    r = run("HRANDFIELD t -60");
    cr_expect(strncmp(r, "*60\r\n$", 6) == 0, "%s", r);
    r = run("HRANDFIELD t");
    cr_expect(strncmp(r, "$2\r\nf", 5) == 0 || strncmp(r, "$3\r\nf", 5) == 0, "%s", r);
}

Test(hash, hscan_walks_a_table_to_the_end)
{
    run("CONFIG SET hash-max-listpack-entries 0");
    cr_expect_eq(hset_n("t", "f", 0, 300), 300);
    char line[64];
    unsigned long long cursor = 0;
    int fields = 0, calls = 0;
    do {
        snprintf(line, sizeof line, "HSCAN t %llu COUNT 7", cursor);
        const char *r = run(line);
        cr_assert(strncmp(r, "*2\r\n$", 5) == 0, "%s", r);
        const char *p = strchr(r + 5, '\n') + 1;
        cursor = strtoull(p, NULL, 10);
        p = strchr(p, '\n') + 1;
        cr_assert_eq(*p, '*');
        fields += atoi(p + 1) / 2;
        calls++;
    } while (cursor != 0 && calls < 1000);
    cr_expect_eq(cursor, 0);
    cr_expect_eq(fields, 300); /* no resize during the scan: each field once */
    cr_expect_gt(calls, 1);
}

Test(hash, copy_is_deep_and_rename_moves)
{
    run("CONFIG SET hash-max-listpack-entries 2");
    expect_reply("HSET p a 1 b 2", ":2\r\n");
    expect_reply("HSET t a 1 b 2 c 3", ":3\r\n");
    expect_reply("COPY p p2", ":1\r\n");
    expect_reply("COPY t t2", ":1\r\n");
    expect_reply("HSET p2 a x", ":0\r\n");
    expect_reply("HDEL t2 a b", ":2\r\n");
    expect_reply("HGET p a", "$1\r\n1\r\n");
    expect_reply("HLEN t", ":3\r\n");
    expect_reply("HLEN t2", ":1\r\n");
    expect_reply("OBJECT ENCODING t2", "$9\r\nhashtable\r\n");
    expect_reply("RENAME t moved", "+OK\r\n");
    expect_reply("HGET moved c", "$1\r\n3\r\n");
    /* Every byte returns when the keys go. */
    expect_reply("DEL p p2 t2 moved", ":4\r\n");
    cr_expect_eq(db0()->global.nbytes, 0);
    cr_expect_eq(st_int()->used_memory, 0);
}

Test(hash, project_shards_account_and_reap_their_hashes)
{
    struct db *db = db0();
    cr_expect_eq(hset_n("project:7:calc_cache", "f", 0, 600), 600);
    struct shard *p7;
    struct entry *e = ks_get(db, RS_STR("project:7:calc_cache"), &p7);
    cr_assert_not_null(e);
    cr_expect_eq(p7->nbytes, obj_bytes(e));
    cr_expect_eq(project_bytes(db, RS_STR("7")), obj_bytes(e));
    cr_expect_eq(st_int()->used_memory, p7->nbytes);
    /* RENAME moves the hash to another project with its bytes. */
    expect_reply("RENAME project:7:calc_cache project:{8}:c", "+OK\r\n");
    cr_expect(!has_project(db, RS_STR("7")));
    cr_expect_eq(st_int()->used_memory, project_bytes(db, RS_STR("8")));
    expect_reply("HGET project:{8}:c f599", "$4\r\nv599\r\n");
    expect_reply("OBJECT ENCODING project:{8}:c", "$9\r\nhashtable\r\n");
    /* HDEL of the last field deletes the key, and the empty shard goes. */
    expect_reply("HSET project:9:h a 1", ":1\r\n");
    expect_reply("HDEL project:9:h a", ":1\r\n");
    cr_expect(!has_project(db, RS_STR("9")));
    expect_reply("FLUSHALL", "+OK\r\n");
    cr_expect_eq(st_int()->used_memory, 0);
}

/* Check an HRANDFIELD key <count> WITHVALUES reply of a hash of fields
 * f<i> with values v<i>, i < n: count distinct pairs that belong. */
static void expect_distinct_pairs(const char *key, int count, int n)
{
    char line[64];
    snprintf(line, sizeof line, "HRANDFIELD %s %d WITHVALUES", key, count);
    const char *r = run(line);
    cr_assert_eq(atoi(r + 1), 2 * count, "%s: %.20s", line, r);
    bool *seen = calloc((size_t)n, sizeof *seen);
    const char *p = strchr(r, '\n') + 1;
    for (int k = 0; k < count; k++) {
        int flen = atoi(p + 1);
        p = strchr(p, '\n') + 1;
        cr_assert_eq(p[0], 'f');
        int i = atoi(p + 1);
        cr_assert(i >= 0 && i < n && !seen[i], "%s: f%d bad or repeated", line, i);
        seen[i] = true;
        p += flen + 2;
        int vlen = atoi(p + 1);
        p = strchr(p, '\n') + 1;
        cr_assert(p[0] == 'v' && atoi(p + 1) == i, "%s: f%d with %.*s", line, i, vlen, p);
        p += vlen + 2;
    }
    free(seen);
}

/* The fastest of 3 runs of line, in microseconds. */
static int64_t best_us(const char *line)
{
    int64_t best = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = rs_mono_us();
        run(line);
        int64_t dt = rs_mono_us() - t0;
        best = dt < best ? dt : best;
    }
    return best;
}

Test(hash, hrandfield_samples_a_big_table_without_copying_it)
{
    /* Issue 10 item 11: HRANDFIELD big 1 copied every field first. */
    for (int i = 0; i < 200000; i += 1000)
        hset_n("big", "f", i, 1000);
    expect_reply("OBJECT ENCODING big", "$9\r\nhashtable\r\n");
    expect_distinct_pairs("big", 1, 200000);
    expect_distinct_pairs("big", 500, 200000);
    /* Over a third of the size: a copy loses random fields. */
    hset_n("mid", "f", 0, 900);
    expect_distinct_pairs("mid", 301, 900);
    expect_distinct_pairs("mid", 899, 900);
    expect_distinct_pairs("mid", 299, 900);
    expect_distinct_pairs("mid", 900, 900);
    int64_t one = best_us("HRANDFIELD big 1"), copy = best_us("HRANDFIELD big 70000");
    cr_assert_lt(one * 20, copy, "HRANDFIELD big 1: %lld us, 70000: %lld us", (long long)one,
                 (long long)copy);
}

/* ---- uniform random picks (issue 17) --------------------------------------- */

/* As t_set's: table-encoded hashes of 10 and 100 fields, at a fixed seed. */
static void table_hash(int n)
{
    table_value("CONFIG SET hash-max-listpack-entries 1", "HSET", "h", n, true);
}

Test(hash, hrandfield_is_uniform_over_twenty_ten_field_tables)
{
    seed_store(17);
    for (int s = 0; s < 20; s++) {
        table_hash(10);
        check_uniform("HRANDFIELD h -1000", 'm', 10, 1, NULL);
        check_uniform("HRANDFIELD h -500 WITHVALUES", 'm', 10, 2, NULL);
        check_uniform("HRANDFIELD h", 'm', 10, 1000, NULL);
        check_uniform("HRANDFIELD h 3", 'm', 10, 300, NULL);              /* draws until distinct */
        check_uniform("HRANDFIELD h 7 WITHVALUES", 'm', 10, 150, NULL);   /* selection sampling */
    }
}

Test(hash, hrandfield_is_uniform_over_many_picks_of_a_hundred)
{
    seed_store(17);
    table_hash(100);
    check_uniform("HRANDFIELD h -10000", 'm', 100, 100, NULL); /* 1,000,000 picks */
    check_uniform("HRANDFIELD h -10000 WITHVALUES", 'm', 100, 10, NULL);
    /* The forms that cost a command per few picks: 50,000 or 10,000. */
    check_uniform("HRANDFIELD h 20", 'm', 100, 2500, NULL);
    check_uniform("HRANDFIELD h 60", 'm', 100, 834, NULL);
    check_uniform("HRANDFIELD h", 'm', 100, 10000, NULL);
}
