/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of TTLs on hash fields and set members (subkey.c, expire.c and the
 * hooks in t_hash.c, t_set.c, keyspace.c) on the substituted clock: every reply
 * code, every rule of which writes keep or drop a TTL, both encodings and
 * the conversion to the table form, lazy and active reclamation, keys that
 * move between project shards with their TTLs, the byte accounting, and a
 * randomised run against a model.
 */
#include "store_test.h"

TestSuite(subkey, .init = store_setup, .fini = store_teardown);

static void tick_all(void)
{
    for (int guard = 0; respite_tick(rs, 1000); guard++)
        cr_assert_lt(guard, 100000);
}

/* The shard key (in db 0) is accounted to. */
static struct shard *shard_of(const char *key)
{
    return ks_shard(st_int()->dbs[0], rs_str_from(key, strlen(key)), false);
}

static struct entry *entry_of(const char *key)
{
    struct shard *sh;
    struct entry *e = ks_get(st_int()->dbs[0], rs_str_from(key, strlen(key)), &sh);
    cr_assert_not_null(e, "%s", key);
    return e;
}

static void add_bytes(void *ud, struct entry *e)
{
    *(size_t *)ud += obj_bytes(e);
}

/* The bytes of the keys of the one-key projects (ud), which `small` accounts. */
static void add_tiny_bytes(void *ud, const struct ks_proj *p)
{
    if (p->one)
        ks_proj_foreach(p, add_bytes, ud);
}

/* The shard of key accounts exactly its entries' bytes, and key's
 * container, if it has sub-key TTLs (in its table's heap or in its pack),
 * is in the shard's heap at its earliest deadline and points back at its
 * key. */
static void check_shard(const char *key)
{
    struct shard *sh = shard_of(key);
    cr_assert_not_null(sh);
    struct entry *e = entry_of(key);
    size_t sum = 0;
    if (sh->is_small)
        ks_foreach_project(sh->db, false, add_tiny_bytes, &sum);
    else
        tbl_foreach(&sh->tbl, add_bytes, &sum);
    cr_expect_eq(sh->nbytes, sum, "%s: shard %llu, entries %zu", key,
                 (unsigned long long)sh->nbytes, sum);
    struct subttl *t = obj_subttl(e);
    int64_t next = obj_sub_next(e);
    if (t == NULL) {
        cr_assert_eq(next, -1, "a container with deadlines has a subttl");
        return;
    }
    cr_assert_neq(next, -1, "a subttl without deadlines is freed");
    cr_assert_neq(t->idx, EXP_NONE, "a subttl with deadlines is in the shard's heap");
    cr_assert_eq(sh->ttl->sub.a[t->idx].p, t);
    cr_assert_eq(sh->ttl->sub.a[t->idx].when, next);
    cr_assert_eq(t->key, e);
    for (uint32_t i = 0; i < t->h.n; i++) {
        cr_assert_eq(((struct entry *)t->h.a[i].p)->exp_idx, i);
        if (i)
            cr_assert_leq(t->h.a[(i - 1) / 2].when, t->h.a[i].when);
    }
}

/* ---- hashes --------------------------------------------------------------- */

Test(subkey, hexpire_codes_and_conditions)
{
    expect_reply("HEXPIRE nokey 10 FIELDS 2 a b", "*2\r\n:-2\r\n:-2\r\n");
    expect_reply("HSET h a 1 b 2 c 3", ":3\r\n");
    expect_reply("OBJECT ENCODING h", "$8\r\nlistpack\r\n");
    expect_reply("HEXPIRE h 100 FIELDS 2 a zz", "*2\r\n:1\r\n:-2\r\n");
    expect_reply("OBJECT ENCODING h", "$10\r\nlistpackex\r\n");
    check_shard("h");
    /* NX: only without TTL; XX: only with; GT/LT: no TTL is infinite. */
    expect_reply("HEXPIRE h 50 NX FIELDS 2 a b", "*2\r\n:0\r\n:1\r\n");
    expect_reply("HEXPIRE h 60 XX FIELDS 2 b c", "*2\r\n:1\r\n:0\r\n");
    expect_reply("HEXPIRE h 60 GT FIELDS 3 a b c", "*3\r\n:0\r\n:0\r\n:0\r\n");
    expect_reply("HEXPIRE h 61 GT FIELDS 1 b", "*1\r\n:1\r\n");
    expect_reply("HEXPIRE h 70 LT FIELDS 3 a b c", "*3\r\n:1\r\n:0\r\n:1\r\n");
    expect_reply("HTTL h FIELDS 4 a b c zz", "*4\r\n:70\r\n:61\r\n:70\r\n:-2\r\n");
    expect_reply("HPTTL h FIELDS 1 b", "*1\r\n:61000\r\n");
    expect_reply("HPEXPIRETIME h FIELDS 1 b", "*1\r\n:2000000061000\r\n");
    expect_reply("HEXPIRETIME h FIELDS 1 b", "*1\r\n:2000000061\r\n");
    check_shard("h");
    /* A time in the past deletes the field (code 2), after the condition. */
    expect_reply("HEXPIRE h 0 GT FIELDS 1 a", "*1\r\n:0\r\n");
    expect_reply("HPEXPIREAT h 1 FIELDS 1 a", "*1\r\n:2\r\n");
    expect_reply("HEXISTS h a", ":0\r\n");
    expect_reply("HLEN h", ":2\r\n");
    check_shard("h");
    expect_reply("HEXPIRE h 0 FIELDS 2 b c", "*2\r\n:2\r\n:2\r\n");
    expect_reply("EXISTS h", ":0\r\n");
    cr_assert_eq(st_int()->stats.expired_subkeys, 3);
}

Test(subkey, httl_rounds_seconds_up_and_persist_removes)
{
    expect_reply("HSET h a 1 b 2", ":2\r\n");
    expect_reply("HPEXPIRE h 1500 FIELDS 1 a", "*1\r\n:1\r\n");
    expect_reply("HTTL h FIELDS 2 a b", "*2\r\n:2\r\n:-1\r\n");
    fake_now += 501;
    expect_reply("HTTL h FIELDS 1 a", "*1\r\n:1\r\n");
    expect_reply("HPERSIST h FIELDS 3 a b zz", "*3\r\n:1\r\n:-1\r\n:-2\r\n");
    expect_reply("HTTL h FIELDS 1 a", "*1\r\n:-1\r\n");
    cr_assert_null(obj_subttl(entry_of("h")), "no TTL left: the subttl goes");
    cr_assert_eq(shard_nsub(shard_of("h")), 0);
    check_shard("h");
}

Test(subkey, writes_that_keep_or_drop_a_field_ttl)
{
    expect_reply("HSET h a 1 b 2 c 3 d x", ":4\r\n");
    expect_reply("HEXPIRE h 100 FIELDS 4 a b c d", "*4\r\n:1\r\n:1\r\n:1\r\n:1\r\n");
    expect_reply("HINCRBY h a 5", ":6\r\n");
    expect_reply("HINCRBYFLOAT h b 1.5", "$3\r\n3.5\r\n");
    expect_reply("HSETNX h c 9", ":0\r\n");
    expect_reply("HSET h d y", ":0\r\n");
    expect_reply("HTTL h FIELDS 4 a b c d", "*4\r\n:100\r\n:100\r\n:100\r\n:-1\r\n");
    expect_reply("HDEL h c", ":1\r\n");
    expect_reply("HSET h c new", ":1\r\n");
    expect_reply("HTTL h FIELDS 1 c", "*1\r\n:-1\r\n");
    check_shard("h");
    /* The key's TTL and the fields' TTLs are independent. */
    expect_reply("EXPIRE h 1000", ":1\r\n");
    expect_reply("PERSIST h", ":1\r\n");
    expect_reply("HTTL h FIELDS 1 a", "*1\r\n:100\r\n");
    check_shard("h");
}

Test(subkey, expired_fields_are_invisible_at_once)
{
    expect_reply("HSET h a 1 b 2 c 3", ":3\r\n");
    expect_reply("HPEXPIRE h 10 FIELDS 2 a b", "*2\r\n:1\r\n:1\r\n");
    fake_now += 10; /* at the deadline the fields are still there */
    expect_reply("HPTTL h FIELDS 2 a b", "*2\r\n:0\r\n:0\r\n");
    expect_reply("HLEN h", ":3\r\n");
    fake_now += 1; /* one millisecond past the deadline */
    expect_reply("HLEN h", ":1\r\n");
    expect_reply("HGETALL h", "*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    expect_reply("HKEYS h", "*1\r\n$1\r\nc\r\n");
    expect_reply("HRANDFIELD h -5",
                 "*5\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n");
    expect_reply("HSCAN h 0", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    cr_assert_eq(st_int()->stats.expired_subkeys, 2);
    check_shard("h");
    expect_reply("HPEXPIRE h 5 FIELDS 1 c", "*1\r\n:1\r\n");
    fake_now += 6; /* one millisecond past the deadline */
    expect_reply("TYPE h", "+none\r\n");
    expect_reply("DBSIZE", ":0\r\n");
}

Test(subkey, hsetex_hgetex_hgetdel)
{
    expect_reply("HSETEX h FXX EX 10 FIELDS 1 a 1", ":0\r\n");
    expect_reply("EXISTS h", ":0\r\n");
    expect_reply("HSETEX h FNX EX 10 FIELDS 2 a 1 b 2", ":1\r\n");
    expect_reply("HSETEX h FNX FIELDS 2 b 3 c 4", ":0\r\n");
    expect_reply("HTTL h FIELDS 2 a b", "*2\r\n:10\r\n:10\r\n");
    expect_reply("HSETEX h KEEPTTL FIELDS 1 a x", ":1\r\n");
    expect_reply("HSETEX h FIELDS 1 b y", ":1\r\n");
    expect_reply("HTTL h FIELDS 2 a b", "*2\r\n:10\r\n:-1\r\n");
    expect_reply("HGETEX h PERSIST FIELDS 2 a zz", "*2\r\n$1\r\nx\r\n$-1\r\n");
    expect_reply("HTTL h FIELDS 1 a", "*1\r\n:-1\r\n");
    expect_reply("HGETEX h PX 20 FIELDS 1 a", "*1\r\n$1\r\nx\r\n");
    expect_reply("HPTTL h FIELDS 1 a", "*1\r\n:20\r\n");
    expect_reply("HGETEX h EXAT 1 FIELDS 1 a", "*1\r\n$1\r\nx\r\n");
    expect_reply("HEXISTS h a", ":0\r\n");
    expect_reply("HGETDEL h FIELDS 2 b zz", "*2\r\n$1\r\ny\r\n$-1\r\n");
    expect_reply("EXISTS h", ":0\r\n");
    expect_reply("HSETEX h PXAT 1 FIELDS 1 a 1", ":1\r\n");
    expect_reply("EXISTS h", ":0\r\n");
}

Test(subkey, argument_errors)
{
    expect_reply("SET s v", "+OK\r\n");
    expect_reply("HEXPIRE s x FIELDS 1 a", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    expect_reply("HEXPIRE h x FIELDS 1 a", "-ERR value is not an integer or out of range\r\n");
    expect_reply("HEXPIRE h -1 FIELDS 1 a", "-ERR invalid expire time, must be >= 0\r\n");
    expect_reply("HEXPIREAT h 70368744178 FIELDS 1 a", "-ERR invalid expire time in 'hexpireat' command\r\n");
    expect_reply("HPEXPIREAT h 70368744177664 FIELDS 1 a", "-ERR invalid expire time in 'hpexpireat' command\r\n");
    expect_reply("HEXPIRE h 10 NX XX FIELDS 1 a", "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    expect_reply("HEXPIRE h 10 FIELDS 0 a", "-ERR Parameter `numFields` should be greater than 0\r\n");
    expect_reply("HEXPIRE h 10 FIELDS 2 a", "-ERR The `numfields` parameter must match the number of arguments\r\n");
    expect_reply("HTTL h FIELDS x a", "-ERR Number of fields must be a positive integer\r\n");
    expect_reply("HTTL h FELDS 1 a", "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
    expect_reply("STTL h MEMBERS 0 a", "-ERR Number of members must be a positive integer\r\n");
    expect_reply("SEXPIRE h 1 MEMBERS 2 a", "-ERR The `nummembers` parameter must match the number of arguments\r\n");
    expect_reply("HSETEX h FNX FXX FIELDS 1 a 1", "-ERR Only one of FXX or FNX arguments can be specified\r\n");
    expect_reply("HSETEX h EX 1 KEEPTTL FIELDS 1 a 1", "-ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified\r\n");
    expect_reply("HSETEX h FOO FIELDS 1 a 1", "-ERR unknown argument: FOO\r\n");
    expect_reply("HSETEX h FIELDS 2 a 1", "-ERR wrong number of arguments for 'hsetex' command\r\n");
    expect_reply("HSETEX h FIELDS 0 a 1", "-ERR invalid number of fields\r\n");
    expect_reply("SADDEX s2 MNX MXX MEMBERS 1 a", "-ERR Only one of MXX or MNX arguments can be specified\r\n");
    expect_reply("DBSIZE", ":1\r\n");
}

/* ---- sets ----------------------------------------------------------------- */

Test(subkey, saddex_and_member_ttls_in_every_encoding)
{
    expect_reply("SADD i 1 2 3", ":3\r\n");
    expect_reply("SADD l a b c", ":3\r\n");
    expect_reply("OBJECT ENCODING i", "$6\r\nintset\r\n");
    expect_reply("SEXPIRE i 10 MEMBERS 2 1 9", "*2\r\n:1\r\n:-2\r\n");
    expect_reply("SEXPIRE l 20 MEMBERS 1 a", "*1\r\n:1\r\n");
    expect_reply("OBJECT ENCODING i", "$10\r\nlistpackex\r\n");
    expect_reply("OBJECT ENCODING l", "$10\r\nlistpackex\r\n");
    expect_reply("STTL i MEMBERS 3 1 2 9", "*3\r\n:10\r\n:-1\r\n:-2\r\n");
    check_shard("i");
    check_shard("l");
    /* SADD keeps a member's TTL, SREM and SPOP remove it with the member. */
    expect_reply("SADD l a d", ":1\r\n");
    expect_reply("STTL l MEMBERS 1 a", "*1\r\n:20\r\n");
    expect_reply("SREM l a", ":1\r\n");
    expect_reply("SADD l a", ":1\r\n");
    expect_reply("STTL l MEMBERS 1 a", "*1\r\n:-1\r\n");
    check_shard("l");
    /* SADDEX adds or refreshes; without a time the members lose theirs. */
    expect_reply("SADDEX l EX 30 MEMBERS 2 a new", ":1\r\n");
    expect_reply("STTL l MEMBERS 2 a new", "*2\r\n:30\r\n:30\r\n");
    expect_reply("SADDEX l KEEPTTL MEMBERS 2 a other", ":1\r\n");
    expect_reply("STTL l MEMBERS 2 a other", "*2\r\n:30\r\n:-1\r\n");
    expect_reply("SADDEX l MEMBERS 1 a", ":0\r\n");
    expect_reply("STTL l MEMBERS 1 a", "*1\r\n:-1\r\n");
    expect_reply("SADDEX l MXX EX 5 MEMBERS 2 a nothere", ":0\r\n");
    expect_reply("SADDEX l MNX EX 5 MEMBERS 2 x1 x2", ":2\r\n");
    expect_reply("SPERSIST l MEMBERS 3 x1 b zz", "*3\r\n:1\r\n:-1\r\n:-2\r\n");
    check_shard("l");
    fake_now += 10001; /* one millisecond past the deadline */
    expect_reply("SISMEMBER i 1", ":0\r\n");
    expect_reply("SCARD i", ":2\r\n");
    expect_reply("SADDEX l PXAT 1 MEMBERS 2 b c", ":0\r\n");
    expect_reply("SMISMEMBER l b c d", "*3\r\n:0\r\n:0\r\n:1\r\n");
    check_shard("l");
}

Test(subkey, the_presence_pattern)
{
    expect_reply("SADDEX project:7:active_users EX 300 MEMBERS 1 user:42", ":1\r\n");
    fake_now += 200000;
    expect_reply("SADDEX project:7:active_users EX 300 MEMBERS 1 user:43", ":1\r\n");
    expect_reply("SADDEX project:7:active_users EX 300 MEMBERS 1 user:42", ":0\r\n");
    fake_now += 200000;
    expect_reply("SADDEX project:7:active_users EX 300 MEMBERS 1 user:44", ":1\r\n");
    fake_now += 99999;
    expect_reply("SMISMEMBER project:7:active_users user:42 user:43 user:44",
                 "*3\r\n:1\r\n:1\r\n:1\r\n");
    fake_now += 1; /* user:42's and user:43's deadline: still there (expired once now > it) */
    expect_reply("SMISMEMBER project:7:active_users user:42 user:43 user:44",
                 "*3\r\n:1\r\n:1\r\n:1\r\n");
    expect_reply("SPTTL project:7:active_users MEMBERS 2 user:42 user:43",
                 "*2\r\n:0\r\n:0\r\n");
    fake_now += 1;
    expect_reply("SMEMBERS project:7:active_users", "*1\r\n$7\r\nuser:44\r\n");
    fake_now += 200000;
    expect_reply("SMEMBERS project:7:active_users", "*0\r\n");
    expect_reply("EXISTS project:7:active_users", ":0\r\n");
    cr_assert(!has_project(st_int()->dbs[0], RS_STR("7")), "the emptied shard is freed");
}

Test(subkey, set_operations_never_see_expired_members)
{
    expect_reply("SADD a x y z", ":3\r\n");
    expect_reply("SADD b x y", ":2\r\n");
    expect_reply("SPEXPIRE a 10 MEMBERS 1 y", "*1\r\n:1\r\n");
    fake_now += 11; /* one millisecond past the deadline */
    expect_reply("SINTER a b", "*1\r\n$1\r\nx\r\n");
    expect_reply("SINTERCARD 2 a b", ":1\r\n");
    expect_reply("SDIFF b a", "*1\r\n$1\r\ny\r\n");
    expect_reply("SMOVE a b z", ":1\r\n");
    expect_reply("SEXPIRE b 5 MEMBERS 1 z", "*1\r\n:1\r\n");
    expect_reply("SMOVE b a z", ":1\r\n");
    expect_reply("STTL a MEMBERS 1 z", "*1\r\n:-1\r\n");
    check_shard("a");
    check_shard("b");
}

/* ---- keys moving with their TTLs, reclamation ---------------------------- */

Test(subkey, rename_copy_move_carry_the_ttls_across_shards)
{
    expect_reply("HSET project:1:h a 1 b 2", ":2\r\n");
    expect_reply("HEXPIRE project:1:h 100 FIELDS 1 a", "*1\r\n:1\r\n");
    expect_reply("RENAME project:1:h project:2:h", "+OK\r\n");
    cr_assert(!has_project(st_int()->dbs[0], RS_STR("1")), "the emptied shard is freed");
    check_shard("project:2:h");
    expect_reply("HTTL project:2:h FIELDS 2 a b", "*2\r\n:100\r\n:-1\r\n");
    expect_reply("COPY project:2:h project:3:h", ":1\r\n");
    check_shard("project:3:h");
    expect_reply("HTTL project:3:h FIELDS 1 a", "*1\r\n:100\r\n");
    expect_reply("SADD s m n", ":2\r\n");
    expect_reply("SEXPIRE s 50 MEMBERS 1 m", "*1\r\n:1\r\n");
    expect_reply("MOVE s 1", ":1\r\n");
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("STTL s MEMBERS 2 m n", "*2\r\n:50\r\n:-1\r\n");
    expect_reply("SELECT 0", "+OK\r\n");
    /* The copies expire on their own, actively. */
    fake_now += 100001; /* one millisecond past the deadline */
    tick_all();
    expect_reply("HGETALL project:3:h", "*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    cr_assert_eq(st_int()->stats.expired_subkeys, 3);
    expect_reply("SELECT 1", "+OK\r\n");
    expect_reply("SMEMBERS s", "*1\r\n$1\r\nn\r\n");
}

Test(subkey, active_reclamation_frees_fields_and_keys_without_access)
{
    char line[128];
    for (int k = 0; k < 50; k++) {
        snprintf(line, sizeof line, "HSET project:%d:cache f%d v", k % 5, k);
        run(line);
        snprintf(line, sizeof line, "HSET project:%d:cache keep%d v", k % 5, k);
        run(line);
        snprintf(line, sizeof line, "HPEXPIRE project:%d:cache %d FIELDS 1 f%d", k % 5,
                 1000 * (k + 1), k);
        run(line);
        snprintf(line, sizeof line, "SADDEX project:%d:users PX %d MEMBERS 1 u%d", k % 5,
                 1000 * (k + 1), k);
        run(line);
    }
    uint64_t used = st_int()->used_memory;
    fake_now += 25001; /* one millisecond past the 25th deadline */
    tick_all();
    cr_assert_eq(st_int()->stats.expired_subkeys, 50);
    cr_assert_lt(st_int()->used_memory, used);
    fake_now += 25000;
    tick_all();
    cr_assert_eq(st_int()->stats.expired_subkeys, 100);
    /* The sets emptied and went; the hashes keep their other fields. */
    cr_assert_eq(run_int("DBSIZE"), 5);
    for (int p = 0; p < 5; p++) {
        char key[32];
        snprintf(key, sizeof key, "project:%d:cache", p);
        check_shard(key);
        cr_assert_eq(shard_nsub(shard_of(key)), 0);
    }
}

/* ---- against a model ------------------------------------------------------ */

#define NF 24

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* The commands a model run sends, each a format taking the sub-key's
 * number (expire: the milliseconds first). */
struct model_cmds {
    const char *key, *limit;
    const char *add_clear; /* add or overwrite, the TTL goes */
    const char *add_keep;  /* add or touch, the TTL stays */
    const char *del, *expire, *persist, *pttl, *len;
};

static const struct model_cmds hash_cmds = {
    "h", "hash-max-listpack-entries", "HSET h f%d 1", "HINCRBY h f%d 1", "HDEL h f%d",
    "HPEXPIRE h %lld FIELDS 1 f%d", "HPERSIST h FIELDS 1 f%d", "HPTTL h FIELDS 1 f%d", "HLEN h"};

/* Integer members: the set starts as an intset. */
static const struct model_cmds set_cmds = {
    "s", "set-max-listpack-entries", "SADDEX s MEMBERS 1 %d", "SADD s %d", "SREM s %d",
    "SPEXPIRE s %lld MEMBERS 1 %d", "SPERSIST s MEMBERS 1 %d", "SPTTL s MEMBERS 1 %d",
    "SCARD s"};

/* Random adds, deletes, expires, persists and clock moves on one container
 * of at most NF sub-keys, checked against a model of the deadlines; with
 * max_entries < NF the container goes back and forth between packed and
 * table (it is deleted when it empties), with NF or more it stays packed. */
static void model_run(const struct model_cmds *k, int max_entries, uint64_t seed)
{
    /* model: -2 absent, else the deadline or -1 */
    int64_t model[NF];
    for (int i = 0; i < NF; i++)
        model[i] = -2;
    char line[128];
    snprintf(line, sizeof line, "CONFIG SET %s %d", k->limit, max_entries);
    run(line);
    for (int op = 0; op < 4000; op++) {
        int f = (int)(rnd(&seed) % NF);
        int what = (int)(rnd(&seed) % 11);
        long long ms = (long long)(rnd(&seed) % 200);
        if (what < 3) {
            snprintf(line, sizeof line, k->add_clear, f);
            run(line);
            model[f] = -1;
        } else if (what == 10) {
            snprintf(line, sizeof line, k->add_keep, f);
            run(line);
            if (model[f] == -2)
                model[f] = -1;
        } else if (what < 4) {
            snprintf(line, sizeof line, k->del, f);
            run(line);
            model[f] = -2;
        } else if (what < 7) {
            snprintf(line, sizeof line, k->expire, ms, f);
            const char *r = run(line);
            long long want = model[f] == -2 ? -2 : ms == 0 ? 2 : 1;
            char w[32];
            snprintf(w, sizeof w, "*1\r\n:%lld\r\n", want);
            cr_assert_str_eq(r, w, "%s", line);
            if (model[f] != -2)
                model[f] = ms == 0 ? -2 : fake_now + ms;
        } else if (what < 8) {
            snprintf(line, sizeof line, k->persist, f);
            run(line);
            if (model[f] >= 0)
                model[f] = -1;
        } else {
            fake_now += ms / 4;
            if (what == 9)
                tick_all();
        }
        for (int i = 0; i < NF; i++)
            if (model[i] >= 0 && model[i] < fake_now) /* expired once now > deadline */
                model[i] = -2;
        if (op % 50 == 0 || op == 3999) {
            long long n = 0;
            for (int i = 0; i < NF; i++) {
                snprintf(line, sizeof line, k->pttl, i);
                const char *r = run(line);
                long long got = atoll(r + 5);
                long long want = model[i] >= 0 ? model[i] - fake_now : model[i];
                cr_assert_eq(got, want, "op %d sub-key %d: %s", op, i, r);
                n += model[i] != -2;
            }
            cr_assert_eq(run_int(k->len), n, "op %d", op);
            if (n) {
                check_shard(k->key);
                if (max_entries >= NF)
                    cr_assert_str_neq(obj_enc_name(entry_of(k->key)), "hashtable");
            } else {
                snprintf(line, sizeof line, "EXISTS %s", k->key);
                expect_reply(line, ":0\r\n");
            }
        }
    }
}

Test(subkey, random_operations_agree_with_a_model)
{
    model_run(&hash_cmds, 8, 11);
}

Test(subkey, random_operations_on_a_packed_hash_agree_with_a_model)
{
    model_run(&hash_cmds, NF, 12);
}

Test(subkey, random_operations_on_a_set_agree_with_a_model)
{
    model_run(&set_cmds, 8, 13);
}

Test(subkey, random_operations_on_a_packed_set_agree_with_a_model)
{
    model_run(&set_cmds, NF, 14);
}
