/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Tests of resp_parser.c. One table of requests, each with the arguments or
 * the exact protocol error Redis 7 gives for it, is fed whole, split at
 * every byte, byte by byte, pipelined, and against a guard page. The feeder
 * below plays the server: it moves its buffer to a fresh allocation on
 * every read (so a pointer kept by the parser would dangle under ASan),
 * grows the argument array on RESP_GROW, and drops consumed bytes.
 * Then come the limits at N-1/N/N+1, RESP_GROW's economy, and Redis's
 * NUL quirk.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "resp_parser.h"

#define MAX_CMDS 128
#define MAX_ARGS 16
#define B(lit) {(lit), sizeof(lit) - 1}
#define FEED(f, lit) feed((f), (lit), sizeof(lit) - 1)

TestSuite(resp_parser);

/* ---------------------------------------------------------------------------
 * The feeder
 * ------------------------------------------------------------------------- */

struct got {
    int ncmds;
    int argc[MAX_CMDS];
    char *argv[MAX_CMDS][MAX_ARGS];
    size_t argl[MAX_CMDS][MAX_ARGS];
    int ngrow;
    bool is_err;
    char err[96];
};

struct feeder {
    struct resp_parser p;
    char *buf; /* unconsumed bytes, exactly len of them */
    size_t len;
    size_t grow_by; /* elements added per RESP_GROW */
    struct got got;
};

static void feeder_init(struct feeder *f, long long max_bulk_len, size_t grow_by)
{
    memset(f, 0, sizeof(*f));
    resp_parser_init(&f->p, NULL, 0, max_bulk_len);
    f->grow_by = grow_by;
}

static void feeder_free(struct feeder *f)
{
    for (int i = 0; i < f->got.ncmds; i++) {
        for (int j = 0; j < f->got.argc[i] && j < MAX_ARGS; j++)
            free(f->got.argv[i][j]);
    }
    free(f->p.args);
    free(f->buf);
}

/* Replaces f->buf with an exact-size copy of its bytes [from, len) plus
 * extra, so every call sees the pending bytes at a new address. */
static void move_buffer(struct feeder *f, size_t from, const char *extra, size_t n)
{
    size_t keep = f->len - from;
    char *nb = malloc(keep + n > 0 ? keep + n : 1);

    cr_assert_not_null(nb);
    if (keep > 0)
        memcpy(nb, f->buf + from, keep);
    if (n > 0)
        memcpy(nb + keep, extra, n);
    free(f->buf);
    f->buf = nb;
    f->len = keep + n;
}

static void record(struct feeder *f, size_t consumed)
{
    struct got *g = &f->got;

    cr_assert_lt(g->ncmds, MAX_CMDS);
    cr_assert_gt(consumed, 0, "a command must consume bytes");
    cr_assert_leq(consumed, f->len);
    g->argc[g->ncmds] = f->p.argc;
    for (int j = 0; j < f->p.argc; j++) {
        struct resp_arg a = f->p.args[j];
        cr_assert_leq(a.off + a.len, consumed, "argument %d outside its command", j);
        if (j < MAX_ARGS) {
            g->argv[g->ncmds][j] = malloc(a.len + 1);
            memcpy(g->argv[g->ncmds][j], f->buf + a.off, a.len);
            g->argl[g->ncmds][j] = a.len;
        }
    }
    g->ncmds++;
}

/* Appends n bytes to what is pending and parses every complete command. */
static void feed(struct feeder *f, const char *bytes, size_t n)
{
    move_buffer(f, 0, bytes, n);
    for (;;) {
        size_t consumed = 99;
        enum resp_status st = resp_parse(&f->p, f->buf, f->len, &consumed);
        if (st == RESP_GROW) {
            cr_assert_eq(consumed, 0);
            size_t cap = f->p.cap + f->grow_by;
            f->p.args = realloc(f->p.args, cap * sizeof(*f->p.args));
            f->p.cap = cap;
            f->got.ngrow++;
            continue;
        }
        if (st == RESP_AGAIN) {
            cr_assert_eq(consumed, 0);
            return;
        }
        if (st == RESP_ERR) {
            cr_assert_eq(consumed, 0);
            f->got.is_err = true;
            strcpy(f->got.err, f->p.err);
            return;
        }
        cr_assert_eq(st, RESP_OK);
        record(f, consumed);
        move_buffer(f, consumed, NULL, 0);
    }
}

/* ---------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------- */

struct entry {
    struct rs_str in;
    int argc; /* -1: a protocol error, err */
    struct rs_str argv[MAX_ARGS];
    const char *err;
};

/* Each input is one request ending on its last byte: a valid command, or an
 * error that needs that last byte to show. */
static const struct entry entries[] = {
    /* multibulk */
    {B("*1\r\n$4\r\nPING\r\n"), 1, {B("PING")}, NULL},
    {B("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"), 3, {B("SET"), B("k"), B("value")}, NULL},
    {B("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), 2, {B("GET"), B("")}, NULL},
    {B("*2\r\n$3\r\nSET\r\n$6\r\na\r\n\0b\n\r\n"), 2, {B("SET"), B("a\r\n\0b\n")}, NULL},
    {B("*1\r\n$2\r\n\r\n\r\n"), 1, {B("\r\n")}, NULL},
    {B("*0\r\n"), 0, {{0}}, NULL},
    {B("*-1\r\n"), 0, {{0}}, NULL},
    {B("*-100\r\n"), 0, {{0}}, NULL},
    /* Redis never checks the byte after a CR, nor the two after a payload. */
    {B("*1\rX$3\rYabcZW"), 1, {B("abc")}, NULL},
    {B("*12\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"
       "$1\r\ng\r\n$1\r\nh\r\n$1\r\ni\r\n$1\r\nj\r\n$1\r\nk\r\n$2\r\nlm\r\n"),
     12,
     {B("a"), B("b"), B("c"), B("d"), B("e"), B("f"), B("g"), B("h"), B("i"), B("j"), B("k"),
      B("lm")},
     NULL},
    /* inline */
    {B("PING\r\n"), 1, {B("PING")}, NULL},
    {B("PING\n"), 1, {B("PING")}, NULL},
    {B("SET k v\r\n"), 3, {B("SET"), B("k"), B("v")}, NULL},
    {B("  SET \t k\t v  \r\n"), 3, {B("SET"), B("k"), B("v")}, NULL},
    {B("\r\n"), 0, {{0}}, NULL},
    {B("\n"), 0, {{0}}, NULL},
    {B(" \t \x0b\x0c \r\n"), 0, {{0}}, NULL},
    {B("GET k\r\r\n"), 2, {B("GET"), B("k")}, NULL},
    {B("a\rb\r\n"), 2, {B("a"), B("b")}, NULL},
    {B("$3\r\n"), 1, {B("$3")}, NULL},
    {B("\xff\xfe x\n"), 2, {B("\xff\xfe"), B("x")}, NULL},
    {B("SET \"a b\" 'c d'\r\n"), 3, {B("SET"), B("a b"), B("c d")}, NULL},
    {B("a\"b c\"\n"), 1, {B("ab c")}, NULL},
    {B("a'b c' d\n"), 2, {B("ab c"), B("d")}, NULL},
    {B("\"\\x41\\x4a\\x4B\\x00\"\n"), 1, {B("AJK\0")}, NULL},
    {B("\"\\xZZ\\x4\"\n"), 1, {B("xZZx4")}, NULL},
    {B("\"\\n\\r\\t\\b\\a\\\\\\\"\\q\\'\"\n"), 1, {B("\n\r\t\b\a\\\"q'")}, NULL},
    {B("'a\\'b' 'c\\nd' '\\\\x'\n"), 3, {B("a'b"), B("c\\nd"), B("\\\\x")}, NULL},
    {B("\"\" '' x\n"), 3, {B(""), B(""), B("x")}, NULL},
    {B("\"a\"\x0b" "b\n"), 2, {B("a"), B("b")}, NULL},
    {B("a\x0b" "b\n"), 1, {B("a\x0b" "b")}, NULL},
    {B("\x0c" "a\n"), 1, {B("a")}, NULL},
    {B("\"a\rb\"\r\n"), 1, {B("a\rb")}, NULL},
    {B("\"a\\\rb\"\n"), 1, {B("a\rb")}, NULL},
    {B("\"a\" \r\n"), 1, {B("a")}, NULL},
    {B("'a'\r\n"), 1, {B("a")}, NULL},
    /* errors */
    {B("*abc\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*01\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*-0\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*+1\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*1 \r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("* 1\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*2147483648\r\n"), -1, {{0}}, "Protocol error: invalid multibulk length"},
    {B("*1\r\nfoo\r\n"), -1, {{0}}, "Protocol error: expected '$', got 'f'"},
    {B("*2\r\n$1\r\na\r\n:1\r\n"), -1, {{0}}, "Protocol error: expected '$', got ':'"},
    {B("*1\r\n\r\n"), -1, {{0}}, "Protocol error: expected '$', got ' '"},
    {B("*1\r\n\n\r\n"), -1, {{0}}, "Protocol error: expected '$', got ' '"},
    {B("*1\r\n$-1\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$abc\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$01\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$+1\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$1 \r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$-0\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("*1\r\n$536870913\r\n"), -1, {{0}}, "Protocol error: invalid bulk length"},
    {B("\"foo\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("'foo\r\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("\"foo\"bar\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("'foo'bar\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("\"a\"\"b\"\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("\"foo\\\"\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("\"foo\\\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
    {B("SET a \"b\r\n"), -1, {{0}}, "Protocol error: unbalanced quotes in request"},
};

#define NENTRIES (sizeof(entries) / sizeof(entries[0]))

static void check_entry(const struct got *g, const struct entry *e, size_t i, const char *how)
{
    if (e->argc < 0) {
        cr_assert(g->is_err, "entry %zu (%s): no error", i, how);
        cr_assert_str_eq(g->err, e->err, "entry %zu (%s)", i, how);
        cr_assert_eq(g->ncmds, 0, "entry %zu (%s)", i, how);
        return;
    }
    cr_assert_not(g->is_err, "entry %zu (%s): %s", i, how, g->err);
    cr_assert_eq(g->ncmds, 1, "entry %zu (%s): %d commands", i, how, g->ncmds);
    cr_assert_eq(g->argc[0], e->argc, "entry %zu (%s): argc %d", i, how, g->argc[0]);
    for (int j = 0; j < e->argc; j++) {
        cr_assert_eq(g->argl[0][j], e->argv[j].len, "entry %zu (%s) arg %d", i, how, j);
        cr_assert(memcmp(g->argv[0][j], e->argv[j].p, e->argv[j].len) == 0,
                  "entry %zu (%s) arg %d", i, how, j);
    }
}

static bool got_nothing(const struct got *g)
{
    return g->ncmds == 0 && !g->is_err;
}

/* ---------------------------------------------------------------------------
 * Feeding the table
 * ------------------------------------------------------------------------- */

Test(resp_parser, every_request_parses_when_fed_whole)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
        feed(&f, entries[i].in.p, entries[i].in.len);
        check_entry(&f.got, &entries[i], i, "whole");
        if (entries[i].argc >= 0)
            cr_assert_eq(f.len, 0, "entry %zu left bytes", i);
        feeder_free(&f);
    }
}

Test(resp_parser, every_request_split_at_every_byte_resumes)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        for (size_t k = 1; k < entries[i].in.len; k++) {
            struct feeder f;
            feeder_init(&f, RESP_BULK_MAX_DEFAULT, 2);
            feed(&f, entries[i].in.p, k);
            cr_assert(got_nothing(&f.got), "entry %zu: result after %zu bytes", i, k);
            cr_assert(resp_parser_in_command(&f.p), "entry %zu at %zu", i, k);
            feed(&f, entries[i].in.p + k, entries[i].in.len - k);
            check_entry(&f.got, &entries[i], i, "split");
            feeder_free(&f);
        }
    }
}

Test(resp_parser, every_request_fed_byte_by_byte_resumes_with_a_moved_buffer)
{
    for (size_t i = 0; i < NENTRIES; i++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
        for (size_t k = 0; k < entries[i].in.len; k++) {
            cr_assert(got_nothing(&f.got), "entry %zu: result after %zu bytes", i, k);
            feed(&f, entries[i].in.p + k, 1);
        }
        check_entry(&f.got, &entries[i], i, "bytewise");
        feeder_free(&f);
    }
}

Test(resp_parser, pipelined_commands_in_one_buffer_parse_in_order)
{
    size_t total = 0;
    for (size_t i = 0; i < NENTRIES; i++)
        total += entries[i].argc >= 0 ? entries[i].in.len : 0;
    char *all = malloc(total);
    size_t at = 0;
    for (size_t i = 0; i < NENTRIES; i++) {
        if (entries[i].argc >= 0) {
            memcpy(all + at, entries[i].in.p, entries[i].in.len);
            at += entries[i].in.len;
        }
    }

    for (int bytewise = 0; bytewise < 2; bytewise++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 4);
        if (bytewise) {
            for (size_t k = 0; k < total; k++)
                feed(&f, all + k, 1);
        } else {
            feed(&f, all, total);
        }
        cr_assert_not(f.got.is_err, "%s", f.got.err);
        int n = 0;
        for (size_t i = 0; i < NENTRIES; i++) {
            if (entries[i].argc < 0)
                continue;
            cr_assert_lt(n, f.got.ncmds);
            cr_assert_eq(f.got.argc[n], entries[i].argc, "entry %zu", i);
            for (int j = 0; j < entries[i].argc; j++) {
                cr_assert_eq(f.got.argl[n][j], entries[i].argv[j].len);
                cr_assert(memcmp(f.got.argv[n][j], entries[i].argv[j].p, f.got.argl[n][j]) == 0);
            }
            n++;
        }
        cr_assert_eq(n, f.got.ncmds);
        cr_assert_eq(f.len, 0);
        feeder_free(&f);
    }
    free(all);
}

/* Maps the bytes so that the last one ends a page followed by an unmapped
 * one (picohttpparser's trick): any read past len faults. */
struct guarded {
    char *map;
    size_t maplen;
    char *p;
};

static struct guarded guard_copy(const char *bytes, size_t len)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t npages = (len + pg - 1) / pg + 1;
    struct guarded g;

    g.maplen = npages * pg;
    g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(g.map, MAP_FAILED);
    cr_assert_eq(mprotect(g.map + g.maplen - pg, pg, PROT_NONE), 0);
    g.p = g.map + g.maplen - pg - len;
    memcpy(g.p, bytes, len);
    return g;
}

static void guard_free(struct guarded *g)
{
    munmap(g->map, g->maplen);
}

Test(resp_parser, no_prefix_of_any_request_is_read_past_its_end)
{
    struct resp_arg args[MAX_ARGS];

    for (size_t i = 0; i < NENTRIES; i++) {
        for (size_t k = 0; k <= entries[i].in.len; k++) {
            struct guarded g = guard_copy(entries[i].in.p, k);
            struct resp_parser p;
            size_t consumed;
            resp_parser_init(&p, args, MAX_ARGS, RESP_BULK_MAX_DEFAULT);
            enum resp_status st = resp_parse(&p, g.p, k, &consumed);
            if (k < entries[i].in.len)
                cr_assert_eq(st, RESP_AGAIN, "entry %zu, %zu bytes", i, k);
            else
                cr_assert_eq(st, entries[i].argc < 0 ? RESP_ERR : RESP_OK, "entry %zu", i);
            guard_free(&g);
        }
    }
}

/* ---------------------------------------------------------------------------
 * Status contract
 * ------------------------------------------------------------------------- */

Test(resp_parser, an_error_is_sticky_until_reset)
{
    struct resp_parser p;
    size_t consumed;
    char bad[] = "*x\r\n";
    char good[] = "PING\r\n";

    resp_parser_init(&p, NULL, 0, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parse(&p, bad, 4, &consumed), RESP_ERR);
    cr_assert_not(resp_parser_in_command(&p));
    cr_assert_eq(resp_parse(&p, good, 6, &consumed), RESP_ERR);
    cr_assert_str_eq(p.err, "Protocol error: invalid multibulk length");
    resp_parser_reset(&p);
    cr_assert_str_eq(p.err, "");
    struct resp_arg args[1];
    p.args = args;
    p.cap = 1;
    cr_assert_eq(resp_parse(&p, good, 6, &consumed), RESP_OK);
    cr_assert_eq(consumed, 6);
}

Test(resp_parser, an_empty_buffer_needs_more_and_starts_nothing)
{
    struct resp_parser p;
    size_t consumed = 7;

    resp_parser_init(&p, NULL, 0, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parse(&p, NULL, 0, &consumed), RESP_AGAIN);
    cr_assert_eq(consumed, 0);
    cr_assert_not(resp_parser_in_command(&p));
}

Test(resp_parser, in_command_is_true_between_first_byte_and_end)
{
    struct resp_arg args[2];
    struct resp_parser p;
    size_t consumed;
    char buf[] = "*1\r\n$1\r\nx\r\n";

    resp_parser_init(&p, args, 2, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parse(&p, buf, 1, &consumed), RESP_AGAIN);
    cr_assert(resp_parser_in_command(&p));
    cr_assert_eq(resp_parse(&p, buf, 11, &consumed), RESP_OK);
    cr_assert_not(resp_parser_in_command(&p));
    cr_assert_eq(p.argc, 1);
}

Test(resp_parser, bulk_left_is_what_the_awaited_payload_still_needs)
{
    struct resp_arg args[2];
    struct resp_parser p;
    size_t consumed;
    char buf[] = "*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n";

    resp_parser_init(&p, args, 2, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parser_bulk_left(&p, 0), 0);
    cr_assert_eq(resp_parse(&p, buf, 3, &consumed), RESP_AGAIN);
    cr_assert_eq(resp_parser_bulk_left(&p, 3), 0, "no bulk header read yet");
    cr_assert_eq(resp_parse(&p, buf, 10, &consumed), RESP_AGAIN);
    cr_assert_eq(resp_parser_bulk_left(&p, 10), 3, "\"GET\\r\\n\" with \"GE\" read");
    cr_assert_eq(resp_parse(&p, buf, 20, &consumed), RESP_AGAIN);
    cr_assert_eq(resp_parser_bulk_left(&p, 20), 10);
    cr_assert_eq(resp_parse(&p, buf, 29, &consumed), RESP_AGAIN);
    cr_assert_eq(resp_parser_bulk_left(&p, 29), 1);
    cr_assert_eq(resp_parse(&p, buf, 30, &consumed), RESP_OK);
    cr_assert_eq(resp_parser_bulk_left(&p, 30), 0);
}

/* ---------------------------------------------------------------------------
 * RESP_GROW
 * ------------------------------------------------------------------------- */

Test(resp_parser, a_huge_declared_count_alone_costs_nothing)
{
    struct resp_parser p;
    size_t consumed;
    char buf[] = "*1000000\r\n$3\r\nab";

    resp_parser_init(&p, NULL, 0, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parse(&p, buf, 10, &consumed), RESP_AGAIN);
    cr_assert_null(p.args);
    cr_assert_eq(resp_parse(&p, buf, sizeof(buf) - 1, &consumed), RESP_AGAIN);
    cr_assert_eq(p.cap, 0);
}

Test(resp_parser, grow_is_asked_only_when_an_argument_is_complete)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*3\r\n$1\r\na\r");
    cr_assert_eq(f.got.ngrow, 0);
    FEED(&f, "\n");
    cr_assert_eq(f.got.ngrow, 1);
    FEED(&f, "$1\r\nb\r\n$2\r\nc");
    cr_assert_eq(f.got.ngrow, 2);
    cr_assert_eq(f.got.ncmds, 0);
    FEED(&f, "d\r\n");
    cr_assert_eq(f.got.ngrow, 3);
    cr_assert_eq(f.got.ncmds, 1);
    cr_assert_eq(f.got.argc[0], 3);
    cr_assert(memcmp(f.got.argv[0][2], "cd", 2) == 0);
    /* The array is big enough now: no more requests. */
    FEED(&f, "*2\r\n$1\r\nx\r\n$1\r\ny\r\n");
    cr_assert_eq(f.got.ngrow, 3);
    cr_assert_eq(f.got.ncmds, 2);
    feeder_free(&f);
}

Test(resp_parser, grow_keeps_the_arguments_already_parsed)
{
    struct resp_parser p;
    size_t consumed;
    char buf[] = "*2\r\n$3\r\nfoo\r\n$3\r\nbar\r\n";
    struct resp_arg *args = malloc(sizeof(*args));

    resp_parser_init(&p, args, 1, RESP_BULK_MAX_DEFAULT);
    cr_assert_eq(resp_parse(&p, buf, sizeof(buf) - 1, &consumed), RESP_GROW);
    cr_assert_eq(consumed, 0);
    p.args = realloc(p.args, 2 * sizeof(*args));
    p.cap = 2;
    cr_assert_eq(resp_parse(&p, buf, sizeof(buf) - 1, &consumed), RESP_OK);
    cr_assert_eq(consumed, sizeof(buf) - 1);
    cr_assert_eq(p.argc, 2);
    cr_assert_eq(p.args[0].off, 8);
    cr_assert_eq(p.args[0].len, 3);
    cr_assert_eq(p.args[1].off, 17);
    free(p.args);
}

Test(resp_parser, inline_grow_resumes_after_arguments_unescaped_in_place)
{
    static const char line[] = "\"x\\x41\" 'y\\'' z \"\\n\"\r\n";
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    feed(&f, line, sizeof(line) - 1);
    cr_assert_eq(f.got.ngrow, 4);
    cr_assert_eq(f.got.ncmds, 1);
    cr_assert_eq(f.got.argc[0], 4);
    cr_assert(memcmp(f.got.argv[0][0], "xA", 2) == 0 && f.got.argl[0][0] == 2);
    cr_assert(memcmp(f.got.argv[0][1], "y'", 2) == 0 && f.got.argl[0][1] == 2);
    cr_assert(memcmp(f.got.argv[0][2], "z", 1) == 0 && f.got.argl[0][2] == 1);
    cr_assert(memcmp(f.got.argv[0][3], "\n", 1) == 0 && f.got.argl[0][3] == 1);
    feeder_free(&f);
}

Test(resp_parser, empty_commands_never_ask_for_arguments)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*0\r\n*-1\r\n\r\n   \n");
    cr_assert_eq(f.got.ncmds, 4);
    cr_assert_eq(f.got.ngrow, 0);
    feeder_free(&f);
}

/* ---------------------------------------------------------------------------
 * Limits at N-1, N, N+1
 * ------------------------------------------------------------------------- */

/* Feeds prefix then fill bytes of c one at a time until total bytes are
 * pending, and returns the feeder (to free). Byte-wise feeding also shows
 * that a long line is not rescanned: this stays linear. */
static void feed_filler(struct feeder *f, const char *prefix, char c, size_t total)
{
    size_t plen = strlen(prefix);
    feed(f, prefix, plen);
    char *fill = malloc(total - plen);
    memset(fill, c, total - plen);
    /* Whole chunks, then the last 3 bytes one by one. */
    feed(f, fill, total - plen - 3);
    for (size_t k = total - plen - 3; k < total - plen; k++)
        feed(f, fill + k, 1);
    free(fill);
}

Test(resp_parser, inline_without_newline_fails_past_64k_pending)
{
    static const size_t sizes[] = {RESP_INLINE_MAX - 1, RESP_INLINE_MAX, RESP_INLINE_MAX + 1};
    for (size_t i = 0; i < 3; i++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
        feed_filler(&f, "a", 'a', sizes[i]);
        if (sizes[i] <= RESP_INLINE_MAX) {
            cr_assert(got_nothing(&f.got), "%zu bytes", sizes[i]);
        } else {
            cr_assert(f.got.is_err);
            cr_assert_str_eq(f.got.err, "Protocol error: too big inline request");
        }
        feeder_free(&f);
    }
}

Test(resp_parser, an_inline_line_longer_than_64k_is_accepted_when_its_newline_is_there)
{
    size_t n = RESP_INLINE_MAX + 10;
    char *line = malloc(n + 1);
    struct feeder f;

    memset(line, 'b', n);
    line[n] = '\n';
    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    feed(&f, line, n + 1);
    cr_assert_eq(f.got.ncmds, 1);
    cr_assert_eq(f.got.argl[0][0], n);
    feeder_free(&f);
    free(line);
}

Test(resp_parser, multibulk_count_without_cr_fails_past_64k_pending)
{
    static const size_t sizes[] = {RESP_INLINE_MAX - 1, RESP_INLINE_MAX, RESP_INLINE_MAX + 1};
    for (size_t i = 0; i < 3; i++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
        feed_filler(&f, "*", '1', sizes[i]);
        if (sizes[i] <= RESP_INLINE_MAX) {
            cr_assert(got_nothing(&f.got), "%zu bytes", sizes[i]);
        } else {
            cr_assert(f.got.is_err);
            cr_assert_str_eq(f.got.err, "Protocol error: too big mbulk count string");
        }
        feeder_free(&f);
    }
}

Test(resp_parser, a_count_line_past_64k_with_its_cr_is_an_invalid_length_not_too_big)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    feed_filler(&f, "*", '1', RESP_INLINE_MAX - 1);
    FEED(&f, "1111\r");
    /* A CR as the last byte waits for one more, even past 64K. */
    cr_assert(got_nothing(&f.got));
    FEED(&f, "\n");
    cr_assert_str_eq(f.got.err, "Protocol error: invalid multibulk length");
    feeder_free(&f);
}

Test(resp_parser, bulk_count_without_cr_fails_past_64k_pending)
{
    static const size_t sizes[] = {RESP_INLINE_MAX - 1, RESP_INLINE_MAX, RESP_INLINE_MAX + 1};
    for (size_t i = 0; i < 3; i++) {
        struct feeder f;
        feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
        FEED(&f, "*2\r\n$1\r\nx\r\n");
        /* The limit counts from the start of the '$' line. */
        feed_filler(&f, "$", '1', sizes[i]);
        if (sizes[i] <= RESP_INLINE_MAX) {
            cr_assert(got_nothing(&f.got), "%zu bytes", sizes[i]);
        } else {
            cr_assert(f.got.is_err);
            cr_assert_str_eq(f.got.err, "Protocol error: too big bulk count string");
        }
        feeder_free(&f);
    }
}

Test(resp_parser, bulk_length_is_checked_against_max_bulk_len)
{
    static const struct {
        const char *hdr;
        bool is_ok;
    } cases[] = {{"*1\r\n$999\r\n", true}, {"*1\r\n$1000\r\n", true}, {"*1\r\n$1001\r\n", false}};
    for (size_t i = 0; i < 3; i++) {
        struct feeder f;
        feeder_init(&f, 1000, 1);
        feed(&f, cases[i].hdr, strlen(cases[i].hdr));
        if (!cases[i].is_ok) {
            cr_assert_str_eq(f.got.err, "Protocol error: invalid bulk length");
            feeder_free(&f);
            continue;
        }
        size_t n = (size_t)atoi(cases[i].hdr + 5);
        char *payload = malloc(n + 2);
        memset(payload, 'v', n);
        memcpy(payload + n, "\r\n", 2);
        feed(&f, payload, n + 1);
        cr_assert(got_nothing(&f.got));
        feed(&f, payload + n + 1, 1);
        cr_assert_eq(f.got.ncmds, 1);
        cr_assert_eq(f.got.argl[0][0], n);
        free(payload);
        feeder_free(&f);
    }
}

Test(resp_parser, default_max_bulk_len_is_512mb_and_the_payload_is_not_needed_to_check_it)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*1\r\n$536870912\r\n");
    cr_assert(got_nothing(&f.got));
    cr_assert(resp_parser_in_command(&f.p));
    feeder_free(&f);
}

Test(resp_parser, multibulk_count_is_limited_to_int_max)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*2147483647\r\n");
    cr_assert(got_nothing(&f.got));
    cr_assert_eq(f.got.ngrow, 0);
    feeder_free(&f);
    /* INT_MAX + 1 is in the error table. */
}

Test(resp_parser, a_huge_max_bulk_len_does_not_overflow_the_wait)
{
    struct feeder f;

    feeder_init(&f, LLONG_MAX, 1);
    FEED(&f, "*1\r\n$9223372036854775807\r\nabc\r\n");
    cr_assert(got_nothing(&f.got));
    feeder_free(&f);
}

/* ---------------------------------------------------------------------------
 * Redis's strchr() on a NUL-terminated buffer
 * ------------------------------------------------------------------------- */

Test(resp_parser, a_nul_before_the_inline_newline_hides_it_until_64k_pending)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "GET a\0b\r\nPING\r\n");
    cr_assert(got_nothing(&f.got));
    cr_assert(resp_parser_in_command(&f.p));
    feed_filler(&f, "", 'x', RESP_INLINE_MAX - 15 + 1);
    cr_assert(f.got.is_err);
    cr_assert_str_eq(f.got.err, "Protocol error: too big inline request");
    feeder_free(&f);
}

Test(resp_parser, a_nul_at_the_start_of_an_inline_request_stalls_it)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "\0PING\r\n");
    cr_assert(got_nothing(&f.got));
    feeder_free(&f);
}

Test(resp_parser, a_nul_before_a_header_cr_hides_it_until_64k_pending)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*1\0\r\n$1\r\na\r\n");
    cr_assert(got_nothing(&f.got));
    feed_filler(&f, "", 'x', RESP_INLINE_MAX - 12 + 1);
    cr_assert_str_eq(f.got.err, "Protocol error: too big mbulk count string");
    feeder_free(&f);

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*1\r\n$1\0\r\na\r\n");
    cr_assert(got_nothing(&f.got));
    feed_filler(&f, "", 'x', RESP_INLINE_MAX - 8 + 1);
    cr_assert_str_eq(f.got.err, "Protocol error: too big bulk count string");
    feeder_free(&f);
}

Test(resp_parser, a_nul_inside_a_bulk_payload_is_plain_data)
{
    struct feeder f;

    feeder_init(&f, RESP_BULK_MAX_DEFAULT, 1);
    FEED(&f, "*1\r\n$3\r\n\0\0\0\r\n");
    cr_assert_eq(f.got.ncmds, 1);
    cr_assert(memcmp(f.got.argv[0][0], "\0\0\0", 3) == 0);
    feeder_free(&f);
}
