/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the list representation (quicklist.c) directly, with chunks of
 * three elements (fill 3) or of 4 KB (fill -1), so that every operation
 * runs across chunk edges: push and pop at both ends, index from both
 * ends, insert at and between chunk edges (splits, neighbours, new
 * chunks), replace, delete while walking both ways, trim; plain chunks for
 * large elements; copies. After each step the list is checked against a
 * plain array model and its own invariants (links, counts, byte and
 * listpack-size bookkeeping, chunk limits).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ds/quicklist.h"

#define MAXN 512

/* The model: the elements as C strings, in order. */
static char model[MAXN][48];
static int nmodel;

static struct rs_str S(const char *s)
{
    return rs_str_from(s, strlen(s));
}

static void model_insert(int at, const char *s)
{
    memmove(model[at + 1], model[at], (size_t)(nmodel - at) * sizeof model[0]);
    snprintf(model[at], sizeof model[at], "%s", s);
    nmodel++;
}

static void model_delete(int at)
{
    memmove(model[at], model[at + 1], (size_t)(nmodel - at - 1) * sizeof model[0]);
    nmodel--;
}

/* Links, counts, bytes, listpack sizes and chunk limits. */
static void check_invariants(const struct quicklist *ql)
{
    uint64_t count = 0;
    uint32_t nnodes = 0;
    size_t bytes = sizeof *ql;
    const struct ql_node *prev = NULL;
    for (const struct ql_node *nd = ql->head; nd; prev = nd, nd = nd->next) {
        cr_assert_eq(nd->prev, prev, "broken prev link");
        cr_assert_gt(nd->n, 0, "empty chunk left in the list");
        cr_assert_leq(nd->head, nd->tail);
        cr_assert_leq(nd->tail, nd->cap);
        count += nd->n;
        nnodes++;
        /* a chunk is its 36-byte header and its room, at least the struct */
        size_t nb = QL_NODE_HDR + nd->cap;
        bytes += nb < sizeof *nd ? sizeof *nd : nb;
        struct ql_pos pos = {(struct ql_node *)nd, nd->head};
        size_t lpsz = QL_LP_EMPTY;
        for (uint32_t i = 0; i < nd->n; i++) {
            lpsz += ql_lp_entry_size(ql_get(pos));
            if (i + 1 < nd->n)
                cr_assert(ql_next(&pos));
        }
        cr_assert_eq(lpsz, nd->lpsz, "listpack size of a chunk: %zu, tracked %zu", lpsz, (size_t)nd->lpsz);
        if (!ql->listpack && !nd->plain && ql->fill > 0)
            cr_assert_leq(nd->n, (uint32_t)ql->fill, "chunk of %u elements", nd->n);
    }
    cr_assert_eq(prev, ql->tail, "tail is not the last chunk");
    cr_assert_eq(count, ql->count);
    cr_assert_eq(nnodes, ql->nnodes);
    cr_assert_eq(bytes, ql->bytes, "bytes %zu, tracked %zu", bytes, ql->bytes);
}

/* The list equals the model, read forwards, backwards and by index. */
static void check(const struct quicklist *ql)
{
    check_invariants(ql);
    cr_assert_eq(ql->count, (uint64_t)nmodel, "count %llu, model %d",
                 (unsigned long long)ql->count, nmodel);
    if (nmodel == 0)
        return;
    struct ql_pos pos = ql_end(ql, QL_HEAD);
    for (int i = 0; i < nmodel; i++) {
        struct rs_str e = ql_get(pos);
        cr_assert(e.len == strlen(model[i]) && memcmp(e.p, model[i], e.len) == 0,
                  "forward element %d: %.*s, want %s", i, (int)e.len, e.p, model[i]);
        cr_assert_eq(ql_next(&pos), i + 1 < nmodel);
    }
    pos = ql_end(ql, QL_TAIL);
    for (int i = nmodel - 1; i >= 0; i--) {
        struct rs_str e = ql_get(pos);
        cr_assert(e.len == strlen(model[i]) && memcmp(e.p, model[i], e.len) == 0,
                  "backward element %d", i);
        cr_assert_eq(ql_prev(&pos), i > 0);
    }
    for (int i = 0; i < nmodel; i++) {
        struct ql_pos a, b;
        cr_assert(ql_index(ql, i, &a));
        cr_assert(ql_index(ql, i - nmodel, &b));
        struct rs_str ea = ql_get(a), eb = ql_get(b);
        cr_assert(ea.len == strlen(model[i]) && memcmp(ea.p, model[i], ea.len) == 0,
                  "index %d", i);
        cr_assert(eb.len == ea.len && memcmp(ea.p, eb.p, ea.len) == 0, "index %d", i - nmodel);
    }
    struct ql_pos none;
    cr_assert_not(ql_index(ql, nmodel, &none));
    cr_assert_not(ql_index(ql, -nmodel - 1, &none));
}

static struct quicklist *chunked(int fill)
{
    nmodel = 0;
    struct quicklist *ql = ql_new(fill, 1u << 30);
    ql->listpack = false;
    return ql;
}

static void push(struct quicklist *ql, const char *s, enum ql_where w)
{
    ql_push(ql, S(s), w);
    model_insert(w == QL_HEAD ? 0 : nmodel, s);
}

/* A list of n elements "e0".."e<n-1>" pushed at the tail. */
static struct quicklist *filled(int fill, int n)
{
    struct quicklist *ql = chunked(fill);
    char buf[32];
    for (int i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "e%d", i);
        push(ql, buf, QL_TAIL);
    }
    check(ql);
    return ql;
}

Test(quicklist, pushes_fill_chunks_of_fill_elements_at_both_ends)
{
    struct quicklist *ql = chunked(3);
    char buf[32];
    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof buf, "t%d", i);
        push(ql, buf, QL_TAIL);
        snprintf(buf, sizeof buf, "h%d", i);
        push(ql, buf, QL_HEAD);
        check(ql);
    }
    /* t0 and h0 share the first chunk, which t1 fills; then each end
     * grows its own chunks of 3: h1..h9 in 3 and t2..t9 in 3 (3+3+2). */
    cr_expect_eq(ql->nnodes, 7);
    cr_expect_eq(ql->head->n, 3);
    cr_expect_eq(ql->tail->n, 2);
    ql_free(ql);
}

Test(quicklist, pops_cross_every_chunk_edge)
{
    for (int n = 1; n <= 10; n++) {
        struct quicklist *ql = filled(3, n);
        bool head = true;
        while (nmodel > 0) {
            ql_pop(ql, head ? QL_HEAD : QL_TAIL);
            model_delete(head ? 0 : nmodel - 1);
            head = !head;
            check(ql);
        }
        cr_expect_null(ql->head);
        cr_expect_null(ql->tail);
        cr_expect_eq(ql->nnodes, 0);
        ql_free(ql);
    }
}

Test(quicklist, insert_before_and_after_every_position)
{
    for (int n = 1; n <= 9; n++) {
        for (int at = 0; at < n; at++) {
            for (int after = 0; after <= 1; after++) {
                struct quicklist *ql = filled(3, n);
                struct ql_pos pos;
                cr_assert(ql_index(ql, at, &pos));
                ql_insert(ql, pos, S("new"), after);
                model_insert(at + after, "new");
                check(ql);
                /* And a second one next to it, into what the first made. */
                cr_assert(ql_index(ql, at + after, &pos));
                ql_insert(ql, pos, S("next"), !after);
                model_insert(at + after + !after, "next");
                check(ql);
                ql_free(ql);
            }
        }
    }
}

Test(quicklist, a_split_merges_with_neighbours_that_fit)
{
    /* [z] [a b c]: inserting after a splits the full chunk into [a] and
     * [x b c]; [a] then merges into [z] (Redis's _quicklistMergeNodes). */
    struct quicklist *ql = chunked(3);
    push(ql, "a", QL_TAIL);
    push(ql, "b", QL_TAIL);
    push(ql, "c", QL_TAIL);
    push(ql, "z", QL_HEAD);
    cr_assert_eq(ql->nnodes, 2);
    struct ql_pos pos;
    cr_assert(ql_index(ql, 1, &pos));
    ql_insert(ql, pos, S("x"), true);
    model_insert(2, "x");
    check(ql);
    cr_expect_eq(ql->nnodes, 2);
    cr_expect_eq(ql->head->n, 2);
    cr_expect_eq(ql->tail->n, 3);
    ql_free(ql);
}

Test(quicklist, delete_at_every_position_both_directions)
{
    for (int n = 1; n <= 9; n++) {
        for (int at = 0; at < n; at++) {
            for (int fwd = 0; fwd <= 1; fwd++) {
                struct quicklist *ql = filled(3, n);
                struct ql_pos pos;
                cr_assert(ql_index(ql, at, &pos));
                bool more = ql_delete(ql, &pos, fwd);
                model_delete(at);
                check(ql);
                int want = fwd ? at : at - 1; /* the element the position moved to */
                cr_assert_eq(more, want >= 0 && want < nmodel);
                if (more) {
                    struct rs_str e = ql_get(pos);
                    cr_assert(e.len == strlen(model[want]) &&
                              memcmp(e.p, model[want], e.len) == 0);
                }
                ql_free(ql);
            }
        }
    }
}

Test(quicklist, delete_all_matching_while_walking)
{
    /* Every other element, so whole chunks and chunk edges go. */
    for (int fwd = 0; fwd <= 1; fwd++) {
        struct quicklist *ql = filled(3, 20);
        struct ql_pos pos = ql_end(ql, fwd ? QL_HEAD : QL_TAIL);
        int idx = fwd ? 0 : 19;
        for (bool more = true; more;) {
            if (idx % 3 != 1) {
                more = ql_delete(ql, &pos, fwd);
            } else {
                more = fwd ? ql_next(&pos) : ql_prev(&pos);
            }
            idx += fwd ? 1 : -1;
        }
        nmodel = 0;
        char buf[32];
        for (int i = 0; i < 20; i++) {
            if (i % 3 == 1) {
                snprintf(buf, sizeof buf, "e%d", i);
                model_insert(nmodel, buf);
            }
        }
        check(ql);
        ql_free(ql);
    }
}

Test(quicklist, replace_at_every_position_growing_and_shrinking)
{
    for (int n = 1; n <= 7; n++) {
        for (int at = 0; at < n; at++) {
            struct quicklist *ql = filled(3, n);
            struct ql_pos pos;
            cr_assert(ql_index(ql, at, &pos));
            ql_replace(ql, &pos, S("a much longer element than before"));
            snprintf(model[at], sizeof model[at], "a much longer element than before");
            check(ql);
            ql_replace(ql, &pos, S(""));
            model[at][0] = '\0';
            check(ql);
            ql_replace(ql, &pos, S("42"));
            snprintf(model[at], sizeof model[at], "42");
            check(ql);
            ql_free(ql);
        }
    }
}

Test(quicklist, trim_every_count_from_both_ends)
{
    for (int n = 0; n <= 10; n++) {
        for (int k = 0; k <= n; k++) {
            for (int w = 0; w <= 1; w++) {
                struct quicklist *ql = filled(3, n);
                ql_trim(ql, w ? QL_TAIL : QL_HEAD, (uint64_t)k);
                for (int i = 0; i < k; i++)
                    model_delete(w ? nmodel - 1 : 0);
                check(ql);
                ql_free(ql);
            }
        }
    }
}

Test(quicklist, byte_limit_chunks_and_listpack_sizes)
{
    /* fill -1: 4096 bytes a chunk as Redis counts a listpack. 100-byte
     * elements take 100 + 2 (header) + 1 (back length) listpack bytes. */
    struct quicklist *ql = chunked(-1);
    char big[101];
    memset(big, 'x', 100);
    big[100] = '\0';
    for (int i = 0; i < 100; i++) {
        ql_push(ql, S(big), QL_TAIL);
        nmodel++;
    }
    check_invariants(ql);
    /* A push fits while lpsz + 100 + 8 <= 4096: 7 + 103 * 38 = 3921 fits
     * the 39th (3921 + 108 = 4029), not the 40th (4024 + 108 > 4096). */
    cr_expect_eq(ql->head->n, 39);
    cr_expect_eq(ql->head->lpsz, 7 + 103 * 39);
    cr_expect_eq(ql->nnodes, 3);
    ql_free(ql);
}

Test(quicklist, listpack_entry_sizes_follow_redis_encodings)
{
    cr_expect_eq(ql_lp_entry_size(S("0")), 2);
    cr_expect_eq(ql_lp_entry_size(S("127")), 2);
    cr_expect_eq(ql_lp_entry_size(S("128")), 3);
    cr_expect_eq(ql_lp_entry_size(S("-4096")), 3);
    cr_expect_eq(ql_lp_entry_size(S("32767")), 4);
    cr_expect_eq(ql_lp_entry_size(S("8388607")), 5);
    cr_expect_eq(ql_lp_entry_size(S("2147483647")), 6);
    cr_expect_eq(ql_lp_entry_size(S("9223372036854775807")), 10);
    cr_expect_eq(ql_lp_entry_size(S("01")), 4);  /* not canonical: a string */
    cr_expect_eq(ql_lp_entry_size(S("-0")), 4);
    cr_expect_eq(ql_lp_entry_size(S("")), 2);
    cr_expect_eq(ql_lp_entry_size(S("abc")), 5);
    char s[200];
    memset(s, 'a', sizeof s);
    cr_expect_eq(ql_lp_entry_size(rs_str_from(s, 63)), 65);
    cr_expect_eq(ql_lp_entry_size(rs_str_from(s, 64)), 67);  /* 2-byte header */
    cr_expect_eq(ql_lp_entry_size(rs_str_from(s, 125)), 128);
    cr_expect_eq(ql_lp_entry_size(rs_str_from(s, 126)), 130); /* 2-byte back length */
}

Test(quicklist, large_elements_get_plain_chunks)
{
    struct quicklist *ql = chunked(3);
    ql->packed_threshold = 10;
    push(ql, "a", QL_TAIL);
    push(ql, "0123456789", QL_TAIL);
    push(ql, "b", QL_TAIL);
    check(ql);
    cr_expect_eq(ql->nnodes, 3);
    cr_expect(ql->head->next->plain);
    /* Inserting next to a plain chunk never goes into it. */
    struct ql_pos pos;
    cr_assert(ql_index(ql, 1, &pos));
    ql_insert(ql, pos, S("c"), true);
    model_insert(2, "c");
    check(ql);
    cr_assert(ql_index(ql, 1, &pos));
    cr_expect_eq(pos.node->n, 1);
    /* A large element inserted in the middle of a chunk splits it. */
    ql_free(ql);
    ql = filled(3, 3);
    ql->packed_threshold = 10;
    cr_assert(ql_index(ql, 1, &pos));
    ql_insert(ql, pos, S("abcdefghijk"), false);
    model_insert(1, "abcdefghijk");
    check(ql);
    cr_expect_eq(ql->nnodes, 3);
    ql_free(ql);
}

Test(quicklist, redis_node_sizes_and_clamped_fill)
{
    /* Redis keeps the fill in 16 bits, clamped to [-5, 32767] */
    struct quicklist *ql = chunked(40000);
    cr_expect_eq(ql->fill, 32767);
    ql_set_fill(ql, -9);
    cr_expect_eq(ql->fill, -5);
    ql_set_fill(ql, 2);
    ql->packed_threshold = 10;
    /* two packed chunks (the header 7, "a" 3, "bb" 4; 7, "c" 3), a plain one (its 12 bytes) */
    push(ql, "a", QL_TAIL);
    push(ql, "bb", QL_TAIL);
    push(ql, "0123456789ab", QL_TAIL);
    push(ql, "c", QL_TAIL);
    check(ql);
    cr_expect_eq(ql->nnodes, 3);
    cr_expect_eq(ql_lp_bytes(ql), (7 + 3 + 4) + 12 + (7 + 3));
    ql_free(ql);
}

Test(quicklist, binary_and_long_elements_round_trip)
{
    struct quicklist *ql = chunked(-2);
    static char big[20000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    ql_push(ql, rs_str_from("\0\r\n\xff", 4), QL_TAIL);
    ql_push(ql, rs_str_from(big, sizeof big), QL_HEAD);
    ql_push(ql, rs_str_from(big, 300), QL_TAIL);
    check_invariants(ql);
    struct ql_pos pos;
    cr_assert(ql_index(ql, 0, &pos));
    struct rs_str e = ql_get(pos);
    cr_expect(e.len == sizeof big && memcmp(e.p, big, e.len) == 0);
    cr_assert(ql_index(ql, -2, &pos));
    e = ql_get(pos);
    cr_expect(e.len == 4 && memcmp(e.p, "\0\r\n\xff", 4) == 0);
    cr_assert(ql_index(ql, -1, &pos));
    e = ql_get(pos);
    cr_expect(e.len == 300 && memcmp(e.p, big, 300) == 0);
    ql_free(ql);
}

Test(quicklist, copies_are_deep_and_equal)
{
    struct quicklist *ql = filled(3, 11);
    struct quicklist *d = ql_dup(ql);
    check(d);
    cr_expect_eq(d->bytes, ql->bytes);
    ql_pop(ql, QL_HEAD);
    check(d);
    ql_free(ql);
    ql_free(d);
}

Test(quicklist, listpack_form_keeps_one_chunk)
{
    nmodel = 0;
    struct quicklist *ql = ql_new(3, 1u << 30);
    cr_assert(ql->listpack);
    char buf[32];
    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof buf, "e%d", i);
        push(ql, buf, i % 2 ? QL_HEAD : QL_TAIL);
    }
    struct ql_pos pos;
    cr_assert(ql_index(ql, 5, &pos));
    ql_insert(ql, pos, S("x"), true);
    model_insert(6, "x");
    check(ql);
    cr_expect_eq(ql->nnodes, 1);
    ql_free(ql);
}

/* ql_push_many into a new and then an old list in its listpack form: the
 * elements in LPUSH's and RPUSH's order, and the one chunk sized for them
 * at once (no room left past what they need at the end pushed to, beyond
 * what a 48-byte element would leave). */
Test(quicklist, push_many_sizes_the_listpack_chunk_at_once)
{
    nmodel = 0;
    struct quicklist *ql = ql_new(-2, 1u << 30);
    const char *first[] = {"alpha", "bravo", "charlie"};
    const char *more[] = {"delta", "echo", "foxtrot", "golf"};
    struct rs_str v[4];
    for (int i = 0; i < 3; i++) {
        v[i] = S(first[i]);
        model_insert(nmodel, first[i]);
    }
    ql_push_many(ql, v, 3, QL_TAIL);
    check(ql);
    uint32_t room = ql->head->cap - ql->head->tail;
    cr_expect_lt(room, 48, "%u bytes of room after a new list's pushes", room);
    for (int i = 0; i < 4; i++) {
        v[i] = S(more[i]);
        model_insert(0, more[i]);
    }
    ql_push_many(ql, v, 4, QL_HEAD);
    check(ql);
    cr_expect_eq(ql->nnodes, 1);
    cr_expect_lt(ql->head->head, 48, "%u bytes of room after an old list's pushes",
                 (unsigned)ql->head->head);
    ql_free(ql);
}

Test(quicklist, random_operations_match_the_model)
{
    unsigned seed = 12345;
    for (int round = 0; round < 20; round++) {
        struct quicklist *ql = chunked(round % 2 ? 3 : 5);
        char buf[32];
        for (int step = 0; step < 300; step++) {
            seed = seed * 1103515245 + 12345;
            unsigned r = (seed >> 8) % 100;
            snprintf(buf, sizeof buf, "v%u", seed % 1000);
            if (r < 30 && nmodel < MAXN - 2) {
                push(ql, buf, r % 2 ? QL_HEAD : QL_TAIL);
            } else if (r < 45 && nmodel > 0) {
                ql_pop(ql, r % 2 ? QL_HEAD : QL_TAIL);
                model_delete(r % 2 ? 0 : nmodel - 1);
            } else if (r < 65 && nmodel > 0 && nmodel < MAXN - 2) {
                int at = (int)((seed >> 4) % (unsigned)nmodel);
                struct ql_pos pos;
                cr_assert(ql_index(ql, at, &pos));
                ql_insert(ql, pos, S(buf), r % 2);
                model_insert(at + (int)(r % 2), buf);
            } else if (r < 80 && nmodel > 0) {
                int at = (int)((seed >> 4) % (unsigned)nmodel);
                struct ql_pos pos;
                cr_assert(ql_index(ql, at, &pos));
                ql_delete(ql, &pos, r % 2);
                model_delete(at);
            } else if (r < 90 && nmodel > 0) {
                int at = (int)((seed >> 4) % (unsigned)nmodel);
                struct ql_pos pos;
                cr_assert(ql_index(ql, at, &pos));
                ql_replace(ql, &pos, S(buf));
                snprintf(model[at], sizeof model[at], "%s", buf);
            } else if (nmodel > 0) {
                int k = (int)((seed >> 4) % 4);
                if (k > nmodel)
                    k = nmodel;
                ql_trim(ql, r % 2 ? QL_HEAD : QL_TAIL, (uint64_t)k);
                for (int i = 0; i < k; i++)
                    model_delete(r % 2 ? 0 : nmodel - 1);
            }
            check(ql);
        }
        ql_free(ql);
    }
}
