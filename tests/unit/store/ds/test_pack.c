/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of the packed string arrays (pack.c) directly: appends, lookups by
 * stride, replacements that grow and shrink an element, deletes, lengths
 * that need multi-byte varints, binary and empty elements, copies.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ds/pack.h"

static struct rs_str S(const char *s)
{
    return rs_str_from(s, strlen(s));
}

static void expect_at(const struct pack *p, uint32_t idx, struct rs_str want)
{
    struct rs_str got = pack_get(p, pack_seek(p, idx), NULL);
    cr_expect_eq(got.len, want.len, "element %u: length %zu, want %zu", idx, got.len, want.len);
    cr_expect(got.len == want.len && memcmp(got.p, want.p, got.len) == 0, "element %u", idx);
}

Test(pack, append_get_find_and_bytes)
{
    struct pack *p = pack_new();
    cr_expect_eq(p->n, 0);
    cr_expect_eq(pack_bytes(p), sizeof *p);
    cr_expect_eq(pack_find(p, S("a"), 1), UINT32_MAX);
    p = pack_append(p, S("a"));
    p = pack_append(p, S("hello"));
    p = pack_append(p, S(""));
    p = pack_append(p, S("a"));
    cr_expect_eq(p->n, 4);
    /* 01 'a' 05 "hello" 00 01 'a' */
    cr_expect_eq(p->len, 2 + 6 + 1 + 2);
    cr_expect_eq(pack_bytes(p), sizeof *p + 11);
    cr_expect(memcmp(p->buf, "\x01" "a" "\x05" "hello" "\x00" "\x01" "a", 11) == 0);
    expect_at(p, 0, S("a"));
    expect_at(p, 1, S("hello"));
    expect_at(p, 2, S(""));
    expect_at(p, 3, S("a"));
    cr_expect_eq(pack_find(p, S("a"), 1), 0);
    cr_expect_eq(pack_find(p, S("hello"), 1), 2);
    cr_expect_eq(pack_find(p, S(""), 1), 8);
    /* With stride 2 only positions 0 and 2 are candidates: "hello" is not. */
    cr_expect_eq(pack_find(p, S("hello"), 2), UINT32_MAX);
    cr_expect_eq(pack_find(p, S(""), 2), 8);
    cr_expect_eq(pack_find(p, S("x"), 1), UINT32_MAX);
    uint32_t next;
    pack_get(p, 0, &next);
    cr_expect_eq(next, 2);
    pack_free(p);
}

/* Elements of one length that differ in their first byte only, or in their
 * last only, at every stride: only an equal one at a candidate position
 * matches (a listpackex set is member, deadline; a hash with deadlines is
 * field, value, deadline). */
Test(pack, find_tells_apart_elements_that_differ_in_one_end_at_any_stride)
{
    const char *const elems[] = {"user:0001", "user:0002", "vser:0001", "user:0003",
                                 "user:0002", "xser:0002", "user:0004", "user:0005"};
    struct pack *p = pack_new();
    for (size_t i = 0; i < sizeof elems / sizeof *elems; i++)
        p = pack_append(p, S(elems[i]));
    for (uint32_t step = 1; step <= 3; step++) {
        for (size_t i = 0; i < sizeof elems / sizeof *elems; i++) {
            /* The first candidate position holding an equal element. */
            uint32_t want = UINT32_MAX;
            for (size_t j = 0; j < sizeof elems / sizeof *elems && want == UINT32_MAX; j += step)
                if (strcmp(elems[j], elems[i]) == 0)
                    want = pack_seek(p, (uint32_t)j);
            cr_expect_eq(pack_find(p, S(elems[i]), step), want, "%s, step %u", elems[i], step);
        }
        cr_expect_eq(pack_find(p, S("user:0006"), step), UINT32_MAX);
        cr_expect_eq(pack_find(p, S("wser:0001"), step), UINT32_MAX);
    }
    pack_free(p);
}

Test(pack, insert_before_an_element_or_at_the_end)
{
    struct pack *p = pack_new();
    p = pack_insert(p, 0, S("c"));
    p = pack_insert(p, 0, S("a"));
    p = pack_insert(p, pack_find(p, S("c"), 1), S("b"));
    p = pack_insert(p, p->len, S("d"));
    cr_expect_eq(p->n, 4);
    cr_expect_eq(p->len, 8);
    expect_at(p, 0, S("a"));
    expect_at(p, 1, S("b"));
    expect_at(p, 2, S("c"));
    expect_at(p, 3, S("d"));
    pack_free(p);
}

/* Expect entry i of a pack of (member, deadline) to be m with deadline when. */
static void expect_entry(const struct pack *p, uint32_t i, const char *m, int64_t when)
{
    expect_at(p, 2 * i, S(m));
    uint32_t off = pack_seek(p, 2 * i + 1);
    cr_expect_eq(packex_deadline(pack_get(p, off, NULL)), when, "entry %u", i);
}

Test(pack, deadlines_keep_redis_order)
{
    struct pack *p = pack_new();
    p = pack_append(p, S("a"));
    p = pack_append(p, S("b"));
    p = pack_append(p, S("c"));
    p = packex_widen(p, 2);
    cr_expect_eq(p->n, 6);
    cr_expect_eq(packex_next(p, 2), -1);
    p = packex_set_deadline(p, 2, pack_find(p, S("c"), 2), 300);
    p = packex_set_deadline(p, 2, pack_find(p, S("b"), 2), 100);
    p = packex_set_deadline(p, 2, pack_find(p, S("a"), 2), 300); /* after the equal one */
    expect_entry(p, 0, "b", 100);
    expect_entry(p, 1, "c", 300);
    expect_entry(p, 2, "a", 300);
    cr_expect_eq(packex_next(p, 2), 100);
    cr_expect_eq(packex_due(p, 2, 100), 0);
    cr_expect_eq(packex_due(p, 2, 101), 1);
    cr_expect_eq(packex_due(p, 2, 1000), 3);
    p = packex_set_deadline(p, 2, pack_find(p, S("b"), 2), -1); /* to the end */
    expect_entry(p, 2, "b", -1);
    cr_expect_eq(packex_next(p, 2), 300);
    cr_expect_eq(p->n, 6);
    pack_free(p);
}

/* An entry of a hash with deadlines (field, value, deadline). */
struct hentry {
    const char *f;
    const char *v;
    int64_t when;
};

/* Expect p to hold exactly the n entries want, in that order, and no byte
 * more. */
static void expect_hentries(const struct pack *p, const struct hentry *want, uint32_t n)
{
    cr_assert_eq(p->n, 3 * n);
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct rs_str f = pack_get(p, off, &off);
        struct rs_str v = pack_get(p, off, &off);
        int64_t when = packex_deadline(pack_get(p, off, &off));
        cr_expect(f.len == strlen(want[i].f) && memcmp(f.p, want[i].f, f.len) == 0,
                  "entry %u: field %.*s, want %s", i, (int)f.len, f.p, want[i].f);
        cr_expect(v.len == strlen(want[i].v) && memcmp(v.p, want[i].v, v.len) == 0,
                  "entry %u: value of %s", i, want[i].f);
        cr_expect_eq(when, want[i].when, "entry %u (%s): deadline %ld, want %ld", i, want[i].f,
                     (long)when, (long)want[i].when);
    }
    cr_expect_eq(off, p->len);
}

static struct pack *set_deadline(struct pack *p, const char *f, int64_t when)
{
    uint32_t off = pack_find(p, S(f), 3);
    cr_assert_neq(off, UINT32_MAX, "%s", f);
    return packex_set_deadline(p, 3, off, when);
}

/* Each move of packex_set_deadline: from none (to the front, between
 * deadlines), earlier and later among deadlines, to none (to the end), a
 * change that keeps the place and none to none; the entries it passes over
 * keep their order and bytes. */
Test(pack, deadline_moves_keep_every_entry_intact)
{
    static char big[300]; /* a field longer than the move's stack copy */
    memset(big, 'F', sizeof big - 1);
    struct pack *p = pack_new();
    const char *const fv[] = {"a", "1", "bb", "22", "c", "", big, "v", "e", "5"};
    for (size_t i = 0; i < sizeof fv / sizeof *fv; i++)
        p = pack_append(p, S(fv[i]));
    p = packex_widen(p, 3);

    p = set_deadline(p, "c", 500); /* from none, to the front */
    expect_hentries(p,
                    (struct hentry[]){
                        {"c", "", 500}, {"a", "1", -1}, {"bb", "22", -1}, {big, "v", -1},
                        {"e", "5", -1}},
                    5);
    p = set_deadline(p, big, 300); /* from none, before a deadline */
    p = set_deadline(p, "e", 400); /* from none, between deadlines */
    expect_hentries(p,
                    (struct hentry[]){
                        {big, "v", 300}, {"e", "5", 400}, {"c", "", 500}, {"a", "1", -1},
                        {"bb", "22", -1}},
                    5);
    p = set_deadline(p, "c", 100); /* earlier, over two */
    expect_hentries(p,
                    (struct hentry[]){
                        {"c", "", 100}, {big, "v", 300}, {"e", "5", 400}, {"a", "1", -1},
                        {"bb", "22", -1}},
                    5);
    p = set_deadline(p, big, 400); /* later, after the equal one */
    expect_hentries(p,
                    (struct hentry[]){
                        {"c", "", 100}, {"e", "5", 400}, {big, "v", 400}, {"a", "1", -1},
                        {"bb", "22", -1}},
                    5);
    p = set_deadline(p, "c", 450); /* later, over two */
    p = set_deadline(p, big, 200); /* earlier, a long field */
    expect_hentries(p,
                    (struct hentry[]){
                        {big, "v", 200}, {"e", "5", 400}, {"c", "", 450}, {"a", "1", -1},
                        {"bb", "22", -1}},
                    5);
    p = set_deadline(p, "e", 420); /* a new deadline in the same place */
    p = set_deadline(p, big, -1);  /* to none: after the others without one */
    expect_hentries(p,
                    (struct hentry[]){
                        {"e", "5", 420}, {"c", "", 450}, {"a", "1", -1}, {"bb", "22", -1},
                        {big, "v", -1}},
                    5);
    p = set_deadline(p, "c", -1);  /* to none, from before the none ones */
    p = set_deadline(p, "a", -1);  /* none to none: to the end too */
    p = set_deadline(p, "a", -1);  /* and again, already the last */
    expect_hentries(p,
                    (struct hentry[]){
                        {"e", "5", 420}, {"bb", "22", -1}, {big, "v", -1}, {"c", "", -1},
                        {"a", "1", -1}},
                    5);
    p = set_deadline(p, "e", -1); /* the last deadline goes */
    expect_hentries(p,
                    (struct hentry[]){
                        {"bb", "22", -1}, {big, "v", -1}, {"c", "", -1}, {"a", "1", -1},
                        {"e", "5", -1}},
                    5);
    cr_expect_eq(packex_next(p, 3), -1);
    pack_free(p);
}

Test(pack, long_elements_use_multibyte_lengths)
{
    static char big[70000];
    memset(big, 'x', sizeof big);
    big[0] = '\0';
    big[sizeof big - 1] = '\r';
    struct pack *p = pack_new();
    p = pack_append(p, rs_str_from(big, 127));
    p = pack_append(p, rs_str_from(big, 128));
    p = pack_append(p, rs_str_from(big, sizeof big));
    /* 127 takes one length byte, 128 two, 70000 three. */
    cr_expect_eq(p->len, 1 + 127 + 2 + 128 + 3 + sizeof big);
    expect_at(p, 0, rs_str_from(big, 127));
    expect_at(p, 1, rs_str_from(big, 128));
    expect_at(p, 2, rs_str_from(big, sizeof big));
    cr_expect_eq(pack_find(p, rs_str_from(big, sizeof big), 1), 1 + 127 + 2 + 128);
    pack_free(p);
}

Test(pack, replace_grows_and_shrinks_in_the_middle)
{
    struct pack *p = pack_new();
    p = pack_append(p, S("f1"));
    p = pack_append(p, S("v1"));
    p = pack_append(p, S("f2"));
    p = pack_append(p, S("v2"));
    uint32_t off = pack_seek(p, 1);
    p = pack_replace(p, off, S("a much longer value"));
    expect_at(p, 1, S("a much longer value"));
    expect_at(p, 2, S("f2"));
    expect_at(p, 3, S("v2"));
    cr_expect_eq(p->n, 4);
    p = pack_replace(p, pack_seek(p, 1), S(""));
    expect_at(p, 1, S(""));
    expect_at(p, 3, S("v2"));
    cr_expect_eq(p->len, 3 + 1 + 3 + 3);
    p = pack_replace(p, pack_seek(p, 3), S("last"));
    expect_at(p, 3, S("last"));
    /* As long as before: overwritten in place, the neighbours kept. */
    uint32_t len = p->len;
    p = pack_replace(p, pack_seek(p, 2), S("F2"));
    p = pack_replace(p, pack_seek(p, 3), S("LAST"));
    expect_at(p, 1, S(""));
    expect_at(p, 2, S("F2"));
    expect_at(p, 3, S("LAST"));
    cr_expect_eq(p->len, len);
    cr_expect_eq(p->n, 4);
    pack_free(p);
}

Test(pack, delete_pairs_anywhere_and_dup)
{
    struct pack *p = pack_new();
    const char *w[] = {"a", "1", "b", "2", "c", "3"};
    for (int i = 0; i < 6; i++)
        p = pack_append(p, S(w[i]));
    struct pack *d = pack_dup(p);
    p = pack_delete(p, pack_find(p, S("b"), 2), 2);
    cr_expect_eq(p->n, 4);
    expect_at(p, 0, S("a"));
    expect_at(p, 2, S("c"));
    expect_at(p, 3, S("3"));
    p = pack_delete(p, pack_find(p, S("c"), 2), 2);
    p = pack_delete(p, 0, 2);
    cr_expect_eq(p->n, 0);
    cr_expect_eq(p->len, 0);
    cr_expect_eq(pack_find(p, S("a"), 2), UINT32_MAX);
    /* The copy is untouched. */
    cr_expect_eq(d->n, 6);
    expect_at(d, 2, S("b"));
    expect_at(d, 5, S("3"));
    pack_free(p);
    pack_free(d);
}

Test(pack, no_pack_grows_past_the_safe_size)
{
    /* Issue 10 item 14: hashes capped their packs at 1 GB, sets did not;
     * both now ask this. */
    cr_assert(pack_safe_to_add(NULL, PACK_SAFE_BYTES));
    cr_assert_not(pack_safe_to_add(NULL, (size_t)PACK_SAFE_BYTES + 1));
    cr_assert_not(pack_safe_to_add(NULL, SIZE_MAX));
    struct pack *p = pack_append(pack_new(), rs_str_from("abc", 3));
    cr_assert(pack_safe_to_add(p, PACK_SAFE_BYTES - p->len));
    cr_assert_not(pack_safe_to_add(p, PACK_SAFE_BYTES - p->len + 1));
    cr_assert_not(pack_safe_to_add(p, SIZE_MAX));
    pack_free(p);
}

/* pack_reserve makes room for elements of a known size (RDB loading): the
 * appends after it fill the pack where it is, empty or not. */
Test(pack, reserve_takes_the_appends_without_a_move)
{
    char big[300];
    memset(big, 'v', sizeof big);
    const struct rs_str elems[] = {rs_str_from("field", 5), rs_str_from(big, sizeof big),
                                   rs_str_from("", 0), rs_str_from(big, 200)};
    for (int first = 0; first < 2; first++) {
        struct pack *p = pack_new();
        if (first)
            p = pack_append(p, rs_str_from("a", 1));
        size_t bytes = first ? pack_elem_bytes(1) : 0;
        for (size_t i = 0; i < 4; i++)
            bytes += pack_elem_bytes(elems[i].len);
        cr_assert_eq(bytes, (first ? 2u : 0u) + 6 + 302 + 1 + 202);
        p = pack_reserve(p, bytes);
        struct pack *at = p;
        for (size_t i = 0; i < 4; i++)
            p = pack_append(p, elems[i]);
        cr_assert(p == at, "an append moved the reserved pack");
        cr_assert_eq(p->len, bytes);
        cr_assert_eq(p->n, 4u + (unsigned)first);
        uint32_t off = first ? pack_elem_bytes(1) : 0;
        for (size_t i = 0; i < 4; i++) {
            struct rs_str s = pack_get(p, off, &off);
            cr_assert(s.len == elems[i].len && memcmp(s.p, elems[i].p, s.len) == 0);
        }
        if (first)
            cr_assert(pack_get(p, 0, NULL).p[0] == 'a');
        pack_free(p);
    }
}
