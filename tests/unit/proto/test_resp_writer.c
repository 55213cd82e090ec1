/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of resp_writer.c: the exact bytes of every reply type in RESP2 and
 * RESP3 (one table, run once per protocol), deferred aggregate lengths,
 * payloads larger than a chunk, and the take/release cycle with its spare
 * chunk.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_writer.h"

TestSuite(resp_writer);

/* Concatenates the pending chunks (checking the list's bookkeeping on the
 * way) into a malloc'd buffer; *len gets its size. */
static char *pending(const struct resp_out *o, size_t *len)
{
    size_t total = 0;
    const struct resp_chunk *last = NULL;

    for (const struct resp_chunk *c = o->head; c != NULL; c = c->next) {
        cr_assert_leq(c->len, c->cap);
        total += c->len;
        last = c;
    }
    cr_assert_eq(last, o->tail);
    cr_assert_eq(total, o->nbytes, "nbytes %zu, chunks hold %zu", o->nbytes, total);

    char *all = malloc(total + 1);
    size_t at = 0;
    for (const struct resp_chunk *c = o->head; c != NULL; c = c->next) {
        memcpy(all + at, c->data, c->len);
        at += c->len;
    }
    *len = total;
    return all;
}

static void assert_pending(const struct resp_out *o, const char *want, size_t want_len,
                           const char *what)
{
    size_t len;
    char *got = pending(o, &len);

    cr_assert_eq(len, want_len, "%s: %zu bytes, want %zu: %.*s", what, len, want_len, (int)len,
                 got);
    cr_assert(memcmp(got, want, len) == 0, "%s: got %.*s", what, (int)len, got);
    free(got);
}

#define ASSERT_PENDING(o, lit, what) assert_pending((o), (lit), sizeof(lit) - 1, (what))

/* ---------------------------------------------------------------------------
 * Every reply type, byte-exact, in both protocols
 * ------------------------------------------------------------------------- */

static void emit_simple(struct resp_out *o) { resp_add_simple(o, "PONG", 4); }
static void emit_ok(struct resp_out *o) { resp_add_ok(o); }
static void emit_error(struct resp_out *o) { resp_add_error(o, "ERR no such key", 15); }
static void emit_error_crlf(struct resp_out *o) { resp_add_error(o, "ERR a\r\nb\nc\r", 11); }
static void emit_errorf(struct resp_out *o) { resp_add_errorf(o, "ERR %s is %d", "x", -5); }
static void emit_errorf_trim(struct resp_out *o) { resp_add_errorf(o, "\r\nERR a\nb\r\n\n"); }
static void emit_int_zero(struct resp_out *o) { resp_add_int(o, 0); }
static void emit_int_min(struct resp_out *o) { resp_add_int(o, LLONG_MIN); }
static void emit_int_max(struct resp_out *o) { resp_add_int(o, LLONG_MAX); }
static void emit_bulk(struct resp_out *o) { resp_add_bulk(o, "foo", 3); }
static void emit_bulk_empty(struct resp_out *o) { resp_add_bulk(o, "", 0); }
static void emit_bulk_binary(struct resp_out *o) { resp_add_bulk(o, "a\0\r\n", 4); }
static void emit_bulk_str(struct resp_out *o) { resp_add_bulk_str(o, RS_STR("key")); }
static void emit_bulk_cstr(struct resp_out *o) { resp_add_bulk_cstr(o, "hello"); }
static void emit_bulk_cstr_null(struct resp_out *o) { resp_add_bulk_cstr(o, NULL); }
static void emit_bulk_ll(struct resp_out *o) { resp_add_bulk_ll(o, -42); }
static void emit_null(struct resp_out *o) { resp_add_null(o); }
static void emit_null_array(struct resp_out *o) { resp_add_null_array(o); }
static void emit_array(struct resp_out *o) { resp_add_array_len(o, 3); }
static void emit_array_empty(struct resp_out *o) { resp_add_array_len(o, 0); }
static void emit_map(struct resp_out *o) { resp_add_map_len(o, 2); }
static void emit_set(struct resp_out *o) { resp_add_set_len(o, 3); }
static void emit_double(struct resp_out *o) { resp_add_double(o, 1.5); }
static void emit_double_int(struct resp_out *o) { resp_add_double(o, 3.0); }
static void emit_double_neg_zero(struct resp_out *o) { resp_add_double(o, -0.0); }
static void emit_double_big(struct resp_out *o) { resp_add_double(o, 1e20); }
static void emit_double_third(struct resp_out *o) { resp_add_double(o, 1.0 / 3); }
static void emit_double_inf(struct resp_out *o) { resp_add_double(o, INFINITY); }
static void emit_double_ninf(struct resp_out *o) { resp_add_double(o, -INFINITY); }
static void emit_double_nan(struct resp_out *o) { resp_add_double(o, NAN); }
static void emit_true(struct resp_out *o) { resp_add_bool(o, true); }
static void emit_false(struct resp_out *o) { resp_add_bool(o, false); }
static void emit_verbatim(struct resp_out *o) { resp_add_verbatim(o, "hello", 5, "txt"); }
static void emit_verbatim_short(struct resp_out *o) { resp_add_verbatim(o, "# x", 3, "md"); }
static void emit_bignum(struct resp_out *o) { resp_add_bignum(o, "-12345678901234567890", 21); }
static void emit_raw(struct resp_out *o) { resp_add_raw(o, "+raw\r\n", 6); }

#define REPLY(fn, r2, r3) {#fn, fn, r2, sizeof(r2) - 1, r3, sizeof(r3) - 1}

static const struct reply_case {
    const char *name;
    void (*emit)(struct resp_out *o);
    const char *resp2;
    size_t len2;
    const char *resp3;
    size_t len3;
} replies[] = {
    REPLY(emit_simple, "+PONG\r\n", "+PONG\r\n"),
    REPLY(emit_ok, "+OK\r\n", "+OK\r\n"),
    REPLY(emit_error, "-ERR no such key\r\n", "-ERR no such key\r\n"),
    REPLY(emit_error_crlf, "-ERR a  b c \r\n", "-ERR a  b c \r\n"),
    REPLY(emit_errorf, "-ERR x is -5\r\n", "-ERR x is -5\r\n"),
    REPLY(emit_errorf_trim, "-ERR a b\r\n", "-ERR a b\r\n"),
    REPLY(emit_int_zero, ":0\r\n", ":0\r\n"),
    REPLY(emit_int_min, ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"),
    REPLY(emit_int_max, ":9223372036854775807\r\n", ":9223372036854775807\r\n"),
    REPLY(emit_bulk, "$3\r\nfoo\r\n", "$3\r\nfoo\r\n"),
    REPLY(emit_bulk_empty, "$0\r\n\r\n", "$0\r\n\r\n"),
    REPLY(emit_bulk_binary, "$4\r\na\0\r\n\r\n", "$4\r\na\0\r\n\r\n"),
    REPLY(emit_bulk_str, "$3\r\nkey\r\n", "$3\r\nkey\r\n"),
    REPLY(emit_bulk_cstr, "$5\r\nhello\r\n", "$5\r\nhello\r\n"),
    REPLY(emit_bulk_cstr_null, "$-1\r\n", "_\r\n"),
    REPLY(emit_bulk_ll, "$3\r\n-42\r\n", "$3\r\n-42\r\n"),
    REPLY(emit_null, "$-1\r\n", "_\r\n"),
    REPLY(emit_null_array, "*-1\r\n", "_\r\n"),
    REPLY(emit_array, "*3\r\n", "*3\r\n"),
    REPLY(emit_array_empty, "*0\r\n", "*0\r\n"),
    REPLY(emit_map, "*4\r\n", "%2\r\n"),
    REPLY(emit_set, "*3\r\n", "~3\r\n"),
    REPLY(emit_double, "$3\r\n1.5\r\n", ",1.5\r\n"),
    REPLY(emit_double_int, "$1\r\n3\r\n", ",3\r\n"),
    REPLY(emit_double_neg_zero, "$2\r\n-0\r\n", ",-0\r\n"),
    REPLY(emit_double_big, "$5\r\n1e+20\r\n", ",1e+20\r\n"),
    REPLY(emit_double_third, "$18\r\n0.3333333333333333\r\n", ",0.3333333333333333\r\n"),
    REPLY(emit_double_inf, "$3\r\ninf\r\n", ",inf\r\n"),
    REPLY(emit_double_ninf, "$4\r\n-inf\r\n", ",-inf\r\n"),
    REPLY(emit_double_nan, "$3\r\nnan\r\n", ",nan\r\n"),
    REPLY(emit_true, ":1\r\n", "#t\r\n"),
    REPLY(emit_false, ":0\r\n", "#f\r\n"),
    REPLY(emit_verbatim, "$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n"),
    REPLY(emit_verbatim_short, "$3\r\n# x\r\n", "=7\r\nmd :# x\r\n"),
    REPLY(emit_bignum, "$21\r\n-12345678901234567890\r\n", "(-12345678901234567890\r\n"),
    REPLY(emit_raw, "+raw\r\n", "+raw\r\n"),
};

ParameterizedTestParameters(resp_writer, every_reply_type_is_byte_exact)
{
    static int protos[] = {2, 3};
    return cr_make_param_array(int, protos, 2);
}

ParameterizedTest(int *proto, resp_writer, every_reply_type_is_byte_exact)
{
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        struct resp_out o;
        resp_out_init(&o, *proto);
        replies[i].emit(&o);
        if (*proto == 2)
            assert_pending(&o, replies[i].resp2, replies[i].len2, replies[i].name);
        else
            assert_pending(&o, replies[i].resp3, replies[i].len3, replies[i].name);
        resp_out_free(&o);
    }
}

ParameterizedTestParameters(resp_writer, replies_in_sequence_are_concatenated)
{
    static int protos[] = {2, 3};
    return cr_make_param_array(int, protos, 2);
}

ParameterizedTest(int *proto, resp_writer, replies_in_sequence_are_concatenated)
{
    struct resp_out o;
    size_t want_len = 0;
    char want[2048];

    resp_out_init(&o, *proto);
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        replies[i].emit(&o);
        const char *r = *proto == 2 ? replies[i].resp2 : replies[i].resp3;
        size_t n = *proto == 2 ? replies[i].len2 : replies[i].len3;
        memcpy(want + want_len, r, n);
        want_len += n;
    }
    assert_pending(&o, want, want_len, "sequence");
    resp_out_free(&o);
}

ParameterizedTestParameters(resp_writer, replies_straddling_a_chunk_end_are_byte_exact)
{
    static int protos[] = {2, 3};
    return cr_make_param_array(int, protos, 2);
}

/* Bulks, doubles and headers are laid out in place when the tail chunk has
 * room for their longest form, else written piecewise: every offset before
 * a chunk's end gives the same bytes. */
ParameterizedTest(int *proto, resp_writer, replies_straddling_a_chunk_end_are_byte_exact)
{
    static char fill[RESP_CHUNK_SIZE];
    memset(fill, 'x', sizeof fill);
    const char *bulk = "$20\r\nelement:000000000042\r\n";
    const char *dbl = *proto == 2 ? "$19\r\n0.30000000000000004\r\n$7\r\n1234567\r\n$4\r\n-inf\r\n"
                                  : ",0.30000000000000004\r\n,1234567\r\n,-inf\r\n";
    for (size_t room = 0; room <= 80; room++) {
        struct resp_out o;
        resp_out_init(&o, *proto);
        resp_add_raw(&o, fill, RESP_CHUNK_SIZE - room);
        resp_add_array_len(&o, 123);
        resp_add_bulk(&o, "element:000000000042", 20);
        resp_add_double(&o, 0.1 + 0.2);
        resp_add_double(&o, 1234567);
        resp_add_double(&o, -INFINITY);

        char want[RESP_CHUNK_SIZE + 256];
        int n = snprintf(want, sizeof want, "%.*s*123\r\n%s%s", (int)(RESP_CHUNK_SIZE - room),
                         fill, bulk, dbl);
        assert_pending(&o, want, (size_t)n, "straddling");
        resp_out_free(&o);
    }
}

Test(resp_writer, errorf_longer_than_its_stack_buffer_is_complete)
{
    struct resp_out o;
    char word[1001];

    memset(word, 'w', 1000);
    word[1000] = '\0';
    resp_out_init(&o, 2);
    resp_add_errorf(&o, "ERR %s\n%s", word, word);

    size_t len;
    char *got = pending(&o, &len);
    cr_assert_eq(len, 1 + 4 + 1000 + 1 + 1000 + 2);
    cr_assert_eq(got[1005], ' ');
    cr_assert(memcmp(got + len - 3, "w\r\n", 3) == 0);
    free(got);
    resp_out_free(&o);
}

/* ---------------------------------------------------------------------------
 * Deferred lengths
 * ------------------------------------------------------------------------- */

ParameterizedTestParameters(resp_writer, deferred_lengths_take_the_aggregate_shape)
{
    static int protos[] = {2, 3};
    return cr_make_param_array(int, protos, 2);
}

ParameterizedTest(int *proto, resp_writer, deferred_lengths_take_the_aggregate_shape)
{
    struct resp_out o;

    resp_out_init(&o, *proto);
    struct resp_deferred outer = resp_add_deferred(&o);
    resp_add_bulk(&o, "k", 1);
    struct resp_deferred inner = resp_add_deferred(&o);
    resp_add_int(&o, 1);
    resp_add_int(&o, 2);
    resp_set_deferred(&o, inner, RESP_AGG_SET, 2);
    resp_add_bulk(&o, "m", 1);
    struct resp_deferred empty = resp_add_deferred(&o);
    resp_set_deferred(&o, empty, RESP_AGG_ARRAY, 0);
    resp_set_deferred(&o, outer, RESP_AGG_MAP, 2);
    /* Appending after an aggregate that ended the list still goes last. */
    resp_add_ok(&o);

    if (*proto == 2)
        ASSERT_PENDING(&o, "*4\r\n$1\r\nk\r\n*2\r\n:1\r\n:2\r\n$1\r\nm\r\n*0\r\n+OK\r\n", "resp2");
    else
        ASSERT_PENDING(&o, "%2\r\n$1\r\nk\r\n~2\r\n:1\r\n:2\r\n$1\r\nm\r\n*0\r\n+OK\r\n", "resp3");
    resp_out_free(&o);
}

Test(resp_writer, deferred_length_fits_the_widest_long_long)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    struct resp_deferred d = resp_add_deferred(&o);
    resp_set_deferred(&o, d, RESP_AGG_ARRAY, LLONG_MIN);
    ASSERT_PENDING(&o, "*-9223372036854775808\r\n", "widest");
    resp_out_free(&o);
}

Test(resp_writer, a_deferred_array_can_wrap_more_than_a_chunk)
{
    struct resp_out o;

    resp_out_init(&o, 3);
    struct resp_deferred d = resp_add_deferred(&o);
    for (int i = 0; i < 5000; i++)
        resp_add_int(&o, 1234567);
    resp_set_deferred(&o, d, RESP_AGG_ARRAY, 5000);

    size_t len;
    char *got = pending(&o, &len);
    cr_assert_eq(len, 7 + 5000 * 10);
    cr_assert(memcmp(got, "*5000\r\n:1234567\r\n", 17) == 0);
    free(got);
    resp_out_free(&o);
}

/* ---------------------------------------------------------------------------
 * Chunks
 * ------------------------------------------------------------------------- */

static size_t count_chunks(const struct resp_chunk *c)
{
    size_t n = 0;
    for (; c != NULL; c = c->next)
        n++;
    return n;
}

Test(resp_writer, a_bulk_larger_than_a_chunk_is_copied_once_into_few_chunks)
{
    static const size_t sizes[] = {RESP_CHUNK_SIZE - 1, RESP_CHUNK_SIZE, RESP_CHUNK_SIZE + 1,
                                   10 * RESP_CHUNK_SIZE + 7};
    for (size_t s = 0; s < 4; s++) {
        size_t n = sizes[s];
        char *payload = malloc(n);
        for (size_t i = 0; i < n; i++)
            payload[i] = (char)('a' + i % 26);

        struct resp_out o;
        resp_out_init(&o, 2);
        resp_add_simple(&o, "before", 6);
        resp_add_bulk(&o, payload, n);
        resp_add_simple(&o, "after", 5);

        char hdr[32];
        int hlen = snprintf(hdr, sizeof(hdr), "+before\r\n$%zu\r\n", n);
        size_t len;
        char *got = pending(&o, &len);
        cr_assert_eq(len, (size_t)hlen + n + 2 + 8);
        cr_assert(memcmp(got, hdr, (size_t)hlen) == 0);
        cr_assert(memcmp(got + hlen, payload, n) == 0);
        cr_assert(memcmp(got + hlen + n, "\r\n+after\r\n", 10) == 0);
        /* The tail of the first chunk, one chunk for the rest of the
         * payload, one for what follows. */
        cr_assert_leq(count_chunks(o.head), 3, "%zu bytes took %zu chunks", n,
                      count_chunks(o.head));
        free(got);
        free(payload);
        resp_out_free(&o);
    }
}

Test(resp_writer, small_replies_fill_each_chunk_before_the_next)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    for (int i = 0; i < 10000; i++)
        resp_add_ok(&o);
    cr_assert_eq(o.nbytes, 50000);
    cr_assert_eq(count_chunks(o.head), (50000 + RESP_CHUNK_SIZE - 1) / RESP_CHUNK_SIZE);
    for (const struct resp_chunk *c = o.head; c != o.tail; c = c->next)
        cr_assert_eq(c->len, c->cap);
    resp_out_free(&o);
}

/* ---------------------------------------------------------------------------
 * take / release / discard
 * ------------------------------------------------------------------------- */

Test(resp_writer, take_returns_null_when_nothing_is_pending)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    cr_assert_null(resp_out_take(&o));
    resp_out_release(&o, NULL);
    resp_out_free(&o);
}

Test(resp_writer, a_taken_list_is_frozen_and_new_replies_start_a_fresh_chunk)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    resp_add_int(&o, 1);
    struct resp_chunk *list = resp_out_take(&o);
    cr_assert_not_null(list);
    cr_assert_null(o.head);
    cr_assert_eq(o.nbytes, 0);

    resp_add_int(&o, 2);
    cr_assert_neq(o.head, list);
    cr_assert_eq(list->len, 4);
    cr_assert(memcmp(list->data, ":1\r\n", 4) == 0);
    cr_assert_null(list->next);
    ASSERT_PENDING(&o, ":2\r\n", "after take");

    resp_out_release(&o, list);
    resp_out_free(&o);
}

Test(resp_writer, a_released_chunk_is_reused_so_steady_replies_do_not_malloc)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    resp_add_ok(&o);
    struct resp_chunk *first = resp_out_take(&o);
    resp_out_release(&o, first);
    cr_assert_eq(o.spare, first);

    for (int round = 0; round < 3; round++) {
        resp_add_bulk(&o, "value", 5);
        cr_assert_eq(o.head, first, "round %d used a new chunk", round);
        cr_assert_null(o.spare);
        ASSERT_PENDING(&o, "$5\r\nvalue\r\n", "reused");
        resp_out_release(&o, resp_out_take(&o));
        cr_assert_eq(o.spare, first);
    }
    resp_out_free(&o);
}

Test(resp_writer, release_keeps_one_full_size_spare_and_frees_the_rest)
{
    struct resp_out o;
    size_t big = 3 * RESP_CHUNK_SIZE;
    char *payload = calloc(1, big);

    resp_out_init(&o, 2);
    resp_add_deferred(&o); /* never set: the list is dropped unsent */
    resp_add_raw(&o, payload, big);
    resp_add_raw(&o, payload, RESP_CHUNK_SIZE + 10);
    resp_add_ok(&o);
    resp_add_raw(&o, payload, RESP_CHUNK_SIZE);
    struct resp_chunk *list = resp_out_take(&o);
    /* placeholder, 48K, 16K + 10, then two full-size chunks */
    cr_assert_eq(count_chunks(list), 5);
    resp_out_release(&o, list);
    cr_assert_not_null(o.spare);
    cr_assert_eq(o.spare->cap, RESP_CHUNK_SIZE);
    cr_assert_eq(o.spare->len, 0);
    cr_assert_null(o.spare->next);
    free(payload);
    resp_out_free(&o);
}

Test(resp_writer, discard_drops_everything_pending)
{
    struct resp_out o;

    resp_out_init(&o, 3);
    resp_add_bulk(&o, "x", 1);
    resp_add_null(&o);
    resp_out_discard(&o);
    cr_assert_null(o.head);
    cr_assert_null(o.tail);
    cr_assert_eq(o.nbytes, 0);
    resp_add_bool(&o, true);
    ASSERT_PENDING(&o, "#t\r\n", "after discard");
    resp_out_free(&o);
}

/* ---------------------------------------------------------------------------
 * The limit
 * ------------------------------------------------------------------------- */

Test(resp_writer, the_write_that_meets_the_limit_is_dropped_and_the_writer_stays_full)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    resp_out_set_limit(&o, 10);
    resp_add_ok(&o); /* 5 bytes */
    cr_assert(!resp_out_full(&o));
    resp_add_int(&o, 1); /* 4 more: 9, still under */
    cr_assert(!resp_out_full(&o));
    resp_add_simple(&o, "x", 1); /* "+" would make 10 */
    cr_assert(resp_out_full(&o));
    ASSERT_PENDING(&o, "+OK\r\n:1\r\n", "before the limit");
    /* Dropped now, even what would fit; a deferred header costs nothing. */
    resp_add_raw(&o, "", 0);
    struct resp_deferred d = resp_add_deferred(&o);
    resp_add_int(&o, 2);
    resp_set_deferred(&o, d, RESP_AGG_ARRAY, 1);
    ASSERT_PENDING(&o, "+OK\r\n:1\r\n", "after the limit");
    resp_out_free(&o);
}

Test(resp_writer, bytes_taken_and_not_released_count_toward_the_limit)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    resp_out_set_limit(&o, 12);
    resp_add_ok(&o);
    struct resp_chunk *taken = resp_out_take(&o); /* 5 held */
    resp_add_ok(&o);                              /* 10 owed */
    cr_assert(!resp_out_full(&o));
    resp_out_release(&o, taken); /* 5 owed: 5 more fit */
    resp_add_ok(&o);
    cr_assert(!resp_out_full(&o));
    cr_assert_eq(o.nheld, 0);
    taken = resp_out_take(&o);
    resp_add_int(&o, 12); /* 10 held + 5 */
    cr_assert(resp_out_full(&o));
    cr_assert_eq(o.nbytes, 0);
    resp_out_release(&o, taken);
    cr_assert_eq(o.nheld, 0);
    resp_out_free(&o);
}

Test(resp_writer, no_limit_by_default_and_discard_keeps_the_held_count)
{
    struct resp_out o;

    resp_out_init(&o, 2);
    for (int i = 0; i < 10000; i++)
        resp_add_int(&o, i);
    cr_assert(!resp_out_full(&o));
    struct resp_chunk *taken = resp_out_take(&o);
    size_t held = o.nheld;
    resp_add_deferred(&o); /* discarded unset, as CLIENT REPLY does */
    resp_add_ok(&o);
    resp_out_discard(&o);
    cr_assert_eq(o.nheld, held);
    resp_out_release(&o, taken);
    cr_assert_eq(o.nheld, 0);
    resp_out_free(&o);
}
