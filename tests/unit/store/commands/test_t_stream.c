/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the stream type: ID parsing and formatting, the node store of
 * entries (append, ranges both ways, deletes and trims at every node
 * boundary, checked against a plain array of live IDs; nodes walked and
 * loaded back whole, as RDB files carry them), the skip lists of
 * pending entries, and a few commands on the substituted clock with the
 * byte accounting of streams that grow and go away.
 */
#include "ds/mem.h"
#include "store_test.h"
#include "ds/stream.h"

TestSuite(t_stream, .init = store_setup, .fini = store_teardown);

/* ---- IDs ------------------------------------------------------------------ */

static bool parse(const char *s, struct sid *id, uint64_t missing, bool strict, bool *seq_given)
{
    return sid_parse(rs_str_from(s, strlen(s)), id, missing, strict, seq_given);
}

Test(t_stream, ids_parse_as_redis)
{
    struct sid id;
    bool given;
    cr_expect(parse("5-7", &id, 0, true, NULL) && id.ms == 5 && id.seq == 7);
    cr_expect(parse("5", &id, 9, true, NULL) && id.ms == 5 && id.seq == 9);
    cr_expect(parse("-", &id, 0, false, NULL) && id.ms == 0 && id.seq == 0);
    cr_expect(parse("+", &id, 0, false, NULL) && id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    cr_expect_not(parse("-", &id, 0, true, NULL));
    cr_expect_not(parse("+", &id, 0, true, NULL));
    cr_expect(parse("18446744073709551615-18446744073709551615", &id, 0, true, NULL));
    cr_expect(id.ms == UINT64_MAX && id.seq == UINT64_MAX);
    cr_expect_not(parse("18446744073709551616", &id, 0, true, NULL));
    cr_expect_not(parse("-1", &id, 0, true, NULL));
    cr_expect_not(parse("1-", &id, 0, true, NULL));
    cr_expect_not(parse("1-x", &id, 0, true, NULL));
    cr_expect_not(parse("", &id, 0, true, NULL));
    cr_expect_not(parse("1-2-3", &id, 0, true, NULL));
    /* strtoull's leniency, as Redis's string2ull falls back to it */
    cr_expect(parse(" 7", &id, 0, true, NULL) && id.ms == 7);
    cr_expect(parse("+7", &id, 0, true, NULL) && id.ms == 7);
    /* "<ms>-*" only where a sequence may be generated */
    cr_expect_not(parse("5-*", &id, 0, true, NULL));
    cr_expect(parse("5-*", &id, 0, true, &given) && !given && id.ms == 5);
    cr_expect(parse("5-3", &id, 0, true, &given) && given);
    char longid[200];
    memset(longid, '1', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    cr_expect_not(parse(longid, &id, 0, true, NULL));
}

Test(t_stream, ids_format_and_step)
{
    char buf[SID_STR_SIZE];
    cr_expect_eq(sid_format((struct sid){0, 0}, buf), 3);
    cr_expect_str_eq(buf, "0-0");
    sid_format(SID_MAX, buf);
    cr_expect_str_eq(buf, "18446744073709551615-18446744073709551615");
    struct sid a = {1, UINT64_MAX};
    cr_expect(sid_incr(&a) && a.ms == 2 && a.seq == 0);
    cr_expect(sid_decr(&a) && a.ms == 1 && a.seq == UINT64_MAX);
    a = SID_MAX;
    cr_expect_not(sid_incr(&a));
    a = (struct sid){0, 0};
    cr_expect_not(sid_decr(&a));
    cr_expect_lt(sid_cmp((struct sid){1, 9}, (struct sid){2, 0}), 0);
    cr_expect_gt(sid_cmp((struct sid){2, 1}, (struct sid){2, 0}), 0);
}

/* ---- the entry store, against a model ------------------------------------- */

#define N 350 /* three full nodes and a half one */

struct model {
    struct sid live[N];
    int n;
};

static struct sid nth_id(int i)
{
    /* IDs that step over several milliseconds and sequences */
    return (struct sid){1000 + (uint64_t)i / 3, (uint64_t)(i % 3) * 7};
}

/* Redis's stream-node-max-bytes and stream-node-max-entries defaults */
static const struct snode_limits DEFAULT_LIMITS = {4096, 100};

/* Entry i: fields "a","b" most of the time (the node's master fields),
 * other names every 7th, a value that names i; nodes limited by lim. */
static void fill_by(struct sentries *e, struct model *m, const struct snode_limits *lim)
{
    for (int i = 0; i < N; i++) {
        char v1[16], v2[16];
        snprintf(v1, sizeof v1, "v%d", i);
        snprintf(v2, sizeof v2, "w%d", i);
        struct rs_str fv[6] = {
            rs_str_from(i % 7 ? "a" : "x", 1), rs_str_from(v1, strlen(v1)),
            rs_str_from("b", 1),               rs_str_from(v2, strlen(v2)),
            rs_str_from("c", 1),               rs_str_from("", 0),
        };
        sentries_append(e, nth_id(i), fv, i % 11 ? 2 : 3, lim);
        m->live[m->n++] = nth_id(i);
    }
}

static void fill(struct sentries *e, struct model *m)
{
    fill_by(e, m, &DEFAULT_LIMITS);
}

/* The live entries of e in both directions equal the model's, and each
 * entry holds its values. */
static void check(const struct sentries *e, const struct model *m)
{
    cr_assert_eq(e->length, (uint64_t)m->n);
    for (int rev = 0; rev < 2; rev++) {
        struct siter it;
        struct sentry se;
        siter_start(&it, e, (struct sid){0, 0}, SID_MAX, rev);
        int k = 0;
        while (siter_next(&it, &se)) {
            int want = rev ? m->n - 1 - k : k;
            cr_assert_lt(k, m->n);
            cr_assert_eq(sid_cmp(se.id, m->live[want]), 0, "entry %d", want);
            int i = (int)((se.id.ms - 1000) * 3 + se.id.seq / 7);
            cr_assert_eq(se.nfields, i % 11 ? 2u : 3u);
            const uint8_t *f = se.fields, *v = se.values;
            struct rs_str f0 = sentry_str(&f), v0 = sentry_str(&v);
            char want_v[16];
            snprintf(want_v, sizeof want_v, "v%d", i);
            cr_assert(f0.len == 1 && f0.p[0] == (i % 7 ? 'a' : 'x'));
            cr_assert(v0.len == strlen(want_v) && memcmp(v0.p, want_v, v0.len) == 0);
            k++;
        }
        cr_assert_eq(k, m->n);
    }
}

static void model_del(struct model *m, struct sid id)
{
    for (int i = 0; i < m->n; i++)
        if (sid_cmp(m->live[i], id) == 0) {
            memmove(m->live + i, m->live + i + 1, (size_t)(m->n - i - 1) * sizeof *m->live);
            m->n--;
            return;
        }
}

Test(t_stream, entries_append_and_range)
{
    size_t bytes = 0;
    struct sentries e;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill(&e, &m);
    cr_expect_eq(sentries_nodes(&e), 4);
    check(&e, &m);
    /* a bounded range starting and ending inside nodes, both ways */
    struct siter it;
    struct sentry se;
    siter_start(&it, &e, nth_id(95), nth_id(205), false);
    int k = 95;
    while (siter_next(&it, &se))
        cr_expect_eq(sid_cmp(se.id, nth_id(k++)), 0);
    cr_expect_eq(k, 206);
    siter_start(&it, &e, nth_id(95), nth_id(205), true);
    k = 205;
    while (siter_next(&it, &se))
        cr_expect_eq(sid_cmp(se.id, nth_id(k--)), 0);
    cr_expect_eq(k, 94);
    /* bounds between IDs */
    siter_start(&it, &e, (struct sid){1000, 1}, (struct sid){1000, 6}, false);
    cr_expect_not(siter_next(&it, &se));
    struct sid first, last;
    cr_expect(sentries_edge(&e, false, &first) && sid_cmp(first, nth_id(0)) == 0);
    cr_expect(sentries_edge(&e, true, &last) && sid_cmp(last, nth_id(N - 1)) == 0);
    sentries_free(&e);
    cr_expect_eq(bytes, 0);
}

Test(t_stream, entries_delete_at_node_boundaries)
{
    size_t bytes = 0;
    struct sentries e;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill(&e, &m);
    const int at[] = {0, 99, 100, 199, 200, 299, 300, N - 1, 150};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        cr_expect(sentries_delete(&e, nth_id(at[i])));
        cr_expect_not(sentries_delete(&e, nth_id(at[i])));
        cr_expect_not(sentries_exists(&e, nth_id(at[i])));
        model_del(&m, nth_id(at[i]));
        check(&e, &m);
    }
    cr_expect_not(sentries_delete(&e, (struct sid){5, 5}));
    cr_expect(sentries_exists(&e, nth_id(1)));
    /* emptying the second node frees it */
    for (int i = 100; i < 200; i++) {
        sentries_delete(&e, nth_id(i));
        model_del(&m, nth_id(i));
    }
    cr_expect_eq(sentries_nodes(&e), 3);
    check(&e, &m);
    /* and the first, then appending goes on after the last */
    for (int i = 0; i < 100; i++) {
        sentries_delete(&e, nth_id(i));
        model_del(&m, nth_id(i));
    }
    cr_expect_eq(sentries_nodes(&e), 2);
    struct rs_str fv[2] = {rs_str_from("a", 1), rs_str_from("v350", 4)};
    sentries_append(&e, nth_id(N), fv, 1, &DEFAULT_LIMITS);
    cr_expect(sentries_exists(&e, nth_id(N)));
    sentries_free(&e);
    cr_expect_eq(bytes, 0);
}

Test(t_stream, entries_trim_at_every_boundary)
{
    const uint64_t maxlens[] = {N, N - 1, 251, 250, 249, 201, 200, 199, 150, 101, 100, 99, 1, 0};
    for (int approx = 0; approx < 2; approx++) {
        for (size_t t = 0; t < sizeof maxlens / sizeof maxlens[0]; t++) {
            size_t bytes = 0;
            struct sentries e;
            struct model m = {.n = 0};
            sentries_init(&e, &bytes);
            fill(&e, &m);
            uint64_t maxlen = maxlens[t];
            int64_t removed = sentries_trim(&e, false, (struct sid){0, 0}, maxlen, approx, 0);
            /* exact trimming leaves maxlen; approximate removes whole
             * nodes only, so it stops at the node holding the cut */
            uint64_t want = maxlen;
            if (approx) {
                const uint64_t sizes[] = {100, 100, 100, 50};
                want = N;
                for (int k = 0; k < 4 && want - sizes[k] >= maxlen && want > maxlen; k++)
                    want -= sizes[k];
            }
            cr_expect_eq(e.length, want, "maxlen %llu approx %d", (unsigned long long)maxlen,
                         approx);
            cr_expect_eq((uint64_t)removed, N - want);
            memmove(m.live, m.live + (N - want), want * sizeof *m.live);
            m.n = (int)want;
            check(&e, &m);
            sentries_free(&e);
            cr_expect_eq(bytes, 0);
        }
    }
}

Test(t_stream, entries_trim_by_minid_and_limit)
{
    const int cuts[] = {0, 1, 99, 100, 101, 200, 299, 300, N - 1, N};
    for (int approx = 0; approx < 2; approx++) {
        for (size_t t = 0; t < sizeof cuts / sizeof cuts[0]; t++) {
            size_t bytes = 0;
            struct sentries e;
            struct model m = {.n = 0};
            sentries_init(&e, &bytes);
            fill(&e, &m);
            struct sid minid = cuts[t] < N ? nth_id(cuts[t]) : SID_MAX;
            sentries_trim(&e, true, minid, 0, approx, 0);
            /* approximate: a node goes when its last ID is below the cut */
            int keep_from = approx && cuts[t] < N ? cuts[t] / 100 * 100 : cuts[t];
            cr_expect_eq(e.length, (uint64_t)(N - keep_from), "cut %d approx %d", cuts[t],
                         approx);
            sentries_free(&e);
        }
    }
    /* LIMIT: whole nodes only while they fit in the limit */
    size_t bytes = 0;
    struct sentries e;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill(&e, &m);
    cr_expect_eq(sentries_trim(&e, false, (struct sid){0, 0}, 0, true, 150), 100);
    cr_expect_eq(sentries_trim(&e, false, (struct sid){0, 0}, 0, true, 99), 0);
    sentries_free(&e);
}

Test(t_stream, entries_dup_is_deep)
{
    size_t bytes = 0, dbytes = 0;
    struct sentries e, d;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill(&e, &m);
    sentries_dup(&d, &e, &dbytes);
    sentries_delete(&e, nth_id(5));
    check(&d, &m);
    cr_expect(sentries_exists(&d, nth_id(5)));
    sentries_free(&e);
    sentries_free(&d);
    cr_expect_eq(dbytes, 0);
}

Test(t_stream, nodes_close_at_either_limit)
{
    /* by entries: 7 a node, or a single node when nothing limits it */
    const struct snode_limits by7 = {0, 7}, none = {0, 0}, small = {200, 0}, smaller = {120, 0};
    size_t bytes = 0;
    struct sentries e;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill_by(&e, &m, &by7);
    cr_expect_eq(sentries_nodes(&e), (N + 6) / 7);
    check(&e, &m);
    sentries_free(&e);
    m.n = 0;
    fill_by(&e, &m, &none);
    cr_expect_eq(sentries_nodes(&e), 1);
    /* one big node is read both ways, entry by entry, and deletes in place */
    check(&e, &m);
    for (int i = 1; i < N; i += 3) {
        cr_assert(sentries_delete(&e, nth_id(i)));
        model_del(&m, nth_id(i));
    }
    check(&e, &m);
    /* an approximate trim cannot cut into it; an exact one can */
    cr_expect_eq(sentries_trim(&e, false, (struct sid){0, 0}, 10, true, 0), 0);
    cr_expect_eq(sentries_trim(&e, false, (struct sid){0, 0}, 10, false, 0),
                 (int64_t)m.n - 10);
    memmove(m.live, m.live + (m.n - 10), 10 * sizeof *m.live);
    m.n = 10;
    check(&e, &m);
    sentries_free(&e);
    /* by bytes: a smaller listpack limit makes more, smaller nodes */
    size_t nodes[2];
    const struct snode_limits *lims[2] = {&small, &smaller};
    for (int k = 0; k < 2; k++) {
        m.n = 0;
        fill_by(&e, &m, lims[k]);
        check(&e, &m);
        nodes[k] = sentries_nodes(&e);
        for (size_t i = 0; i < nodes[k]; i++) {
            struct snode_info ni;
            sentries_node_info(&e, i, &ni);
            cr_expect_lt(ni.count, 100);
        }
        sentries_free(&e);
    }
    cr_expect_gt(nodes[0], 3);
    cr_expect_gt(nodes[1], nodes[0]);
    cr_expect_eq(bytes, 0);
}

/* A store with one node per ID of ids. */
static void one_per_node(struct sentries *e, const struct sid *ids, int n)
{
    const struct snode_limits one = {0, 1};
    struct rs_str fv[2] = {rs_str_from("f", 1), rs_str_from("v", 1)};
    for (int i = 0; i < n; i++)
        sentries_append(e, ids[i], fv, 1, &one);
}

Test(t_stream, rax_nodes_as_redis_counts_them)
{
    /* the figures Redis 7.4.1's XINFO STREAM gives for these node IDs */
    size_t bytes = 0;
    struct sentries e;
    sentries_init(&e, &bytes);
    cr_expect_eq(sentries_rax_nodes(&e), 1);
    struct sid ids[60];
    for (int i = 0; i < 60; i++)
        ids[i] = (struct sid){1 + 20000 * (uint64_t)i, 1};
    one_per_node(&e, ids, 1);
    cr_expect_eq(sentries_rax_nodes(&e), 2);
    sentries_free(&e);
    one_per_node(&e, ids, 60);
    cr_expect_eq(sentries_rax_nodes(&e), 140);
    /* the last ten, as after trimming the first fifty */
    cr_expect_eq(sentries_trim(&e, false, (struct sid){0, 0}, 10, true, 0), 50);
    cr_expect_eq(sentries_rax_nodes(&e), 25);
    sentries_free(&e);
    /* keys parting at their last byte, and at every depth */
    for (int i = 0; i < 60; i++)
        ids[i] = (struct sid){7, (uint64_t)i};
    one_per_node(&e, ids, 60);
    /* a compressed run of 15 bytes, a branch of 60 leaves */
    cr_expect_eq(sentries_rax_nodes(&e), 1 + 1 + 60);
    sentries_free(&e);
    cr_expect_eq(bytes, 0);
}

/* Copy e node by node into a fresh store through the RDB walk and load
 * (tombstones and SAMEFIELDS flags included). */
static void copy_nodes(struct sentries *dst, const struct sentries *e, size_t *bytes)
{
    sentries_init(dst, bytes);
    for (size_t i = 0; i < sentries_nodes(e); i++) {
        struct snode_info ni;
        sentries_node_info(e, i, &ni);
        struct rs_str names[4];
        const uint8_t *p = ni.names;
        for (uint32_t j = 0; j < ni.nnames; j++)
            names[j] = sentry_str(&p);
        sentries_load_node(dst, ni.master, names, ni.nnames);
        uint32_t off = 0;
        struct sentry se;
        bool deleted, same;
        while (sentries_node_next(e, i, &off, &se, &deleted, &same)) {
            struct rs_str fv[6];
            const uint8_t *f = se.fields, *v = se.values;
            for (uint32_t j = 0; j < se.nfields; j++) {
                fv[2 * j] = sentry_str(&f);
                fv[2 * j + 1] = sentry_str(&v);
            }
            cr_assert(sentries_load_entry(dst, se.id, fv, se.nfields, same, deleted));
        }
    }
}

Test(t_stream, nodes_walk_and_load_back_the_same)
{
    size_t bytes = 0, cbytes = 0;
    struct sentries e, c;
    struct model m = {.n = 0};
    sentries_init(&e, &bytes);
    fill(&e, &m);
    for (int i = 0; i < N; i += 5) {
        sentries_delete(&e, nth_id(i));
        model_del(&m, nth_id(i));
    }
    copy_nodes(&c, &e, &cbytes);
    check(&c, &m);
    cr_assert_eq(sentries_nodes(&c), sentries_nodes(&e));
    for (size_t i = 0; i < sentries_nodes(&e); i++) {
        struct snode_info a, b;
        sentries_node_info(&e, i, &a);
        sentries_node_info(&c, i, &b);
        cr_assert(sid_cmp(a.master, b.master) == 0 && a.count == b.count && a.live == b.live);
    }
    /* the loaded tail node takes new entries where the original does */
    struct rs_str fv[2] = {rs_str_from("a", 1), rs_str_from("z", 1)};
    for (int i = N; i < N + 150; i++) {
        sentries_append(&e, nth_id(i), fv, 1, &DEFAULT_LIMITS);
        sentries_append(&c, nth_id(i), fv, 1, &DEFAULT_LIMITS);
    }
    cr_assert_eq(sentries_nodes(&c), sentries_nodes(&e));
    /* SAMEFIELDS claimed for names that are not the master fields */
    struct rs_str other[2] = {rs_str_from("nope", 4), rs_str_from("v", 1)};
    cr_assert_not(sentries_load_entry(&c, nth_id(N + 200), other, 1, true, false));
    sentries_free(&e);
    sentries_free(&c);
    cr_expect_eq(cbytes, 0);
}

/* ---- skip lists ----------------------------------------------------------- */

Test(t_stream, idmap_orders_and_finds)
{
    size_t bytes = 0;
    struct idmap m;
    idmap_init(&m, &bytes);
    /* insert 0..999 in a scrambled order */
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t k = (i * 617) % 1000;
        cr_assert(idmap_insert(&m, (struct sid){k, 0}, (void *)(uintptr_t)(k + 1)));
    }
    cr_expect_not(idmap_insert(&m, (struct sid){5, 0}, NULL));
    cr_expect_eq(m.size, 1000);
    uint64_t want = 0;
    for (struct idmap_node *x = idmap_seek(&m, (struct sid){0, 0}); x; x = x->next[0])
        cr_assert_eq(x->id.ms, want++);
    cr_expect_eq(want, 1000);
    cr_expect_eq((uintptr_t)idmap_find(&m, (struct sid){77, 0}), 78);
    cr_expect_null(idmap_find(&m, (struct sid){77, 1}));
    cr_expect_eq(idmap_seek(&m, (struct sid){77, 1})->id.ms, 78);
    cr_expect_eq(idmap_last(&m)->id.ms, 999);
    for (uint64_t k = 0; k < 1000; k += 2)
        cr_assert_eq((uintptr_t)idmap_remove(&m, (struct sid){k, 0}), k + 1);
    cr_expect_null(idmap_remove(&m, (struct sid){0, 0}));
    cr_expect_eq(m.size, 500);
    cr_expect_eq(idmap_seek(&m, (struct sid){0, 0})->id.ms, 1);
    idmap_free(&m);
    cr_expect_eq(bytes, 0);
}

/* ---- commands ------------------------------------------------------------- */

Test(t_stream, auto_ids_come_from_the_store_clock)
{
    expect_reply("XADD s * a 1", "$15\r\n2000000000000-0\r\n");
    expect_reply("XADD s * a 1", "$15\r\n2000000000000-1\r\n");
    fake_now += 7;
    expect_reply("XADD s * a 1", "$15\r\n2000000000007-0\r\n");
    /* a clock that goes back keeps IDs growing */
    fake_now -= 100;
    expect_reply("XADD s * a 1", "$15\r\n2000000000007-1\r\n");
    expect_reply("XADD s 2000000000007-* a 1", "$15\r\n2000000000007-2\r\n");
}

Test(t_stream, idle_times_follow_the_clock)
{
    run("XADD s 1-1 a 1");
    run("XGROUP CREATE s g 0");
    run("XREADGROUP GROUP g alice STREAMS s >");
    fake_now += 5000;
    expect_reply("XPENDING s g - + 10",
                 "*1\r\n*4\r\n$3\r\n1-1\r\n$5\r\nalice\r\n:5000\r\n:1\r\n");
    expect_reply("XAUTOCLAIM s g bob 6000 0 JUSTID", "*3\r\n$3\r\n0-0\r\n*0\r\n*0\r\n");
    expect_reply("XAUTOCLAIM s g bob 5000 0 JUSTID",
                 "*3\r\n$3\r\n0-0\r\n*1\r\n$3\r\n1-1\r\n*0\r\n");
    expect_reply("XPENDING s g - + 10 bob", "*1\r\n*4\r\n$3\r\n1-1\r\n$3\r\nbob\r\n:0\r\n:1\r\n");
}

Test(t_stream, bytes_are_accounted_and_returned)
{
    struct store *st = st_int();
    uint64_t before = st->used_memory;
    char line[128];
    for (int i = 1; i <= 500; i++) {
        snprintf(line, sizeof line, "XADD s %d-1 user_id 42 parameter_name p%d old 1 new 2", i, i);
        run(line);
    }
    run("XGROUP CREATE s g 0");
    run("XREADGROUP GROUP g c COUNT 100 STREAMS s >");
    run("COPY s s2");
    uint64_t grown = st->used_memory;
    cr_expect_gt(grown, before + 2 * 500 * 20);
    run("XTRIM s MAXLEN 10");
    run("XACK s g 1-1 2-1");
    cr_expect_lt(st->used_memory, grown);
    run("DEL s s2");
    cr_expect_eq(st->used_memory, before);
}
