/* SPDX-License-Identifier: BSD-3-Clause
 *
 * libFuzzer target for resp_parser.c. The input is a byte stream from a
 * client. It is parsed three ways, each with its own copy of the bytes:
 * whole; in two reads cut at a point derived from the first byte; and, for
 * short inputs, one byte per read. Every read moves the pending bytes to a
 * fresh exact-size allocation (as a server's realloc would), the argument
 * array starts empty and grows on RESP_GROW, and complete commands are
 * dropped from the front as in a pipeline.
 *
 * Checked on every command: it consumes at least one byte and at most what
 * is pending, and each argument lies inside it. Checked across the three
 * ways: the same commands, arguments and final error, since the parser
 * must not depend on how the stream is cut. (Past RESP_INLINE_MAX bytes it
 * may, as Redis does: a long line can be "too big" in an early read and
 * complete in a later one, so larger inputs skip that comparison.) ASan and
 * UBSan watch the rest.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_parser.h"
#include "fuzz_check.h"

/* Small enough for fuzz inputs to cross it. */
#define FUZZ_MAX_BULK 512
#define FUZZ_BYTEWISE_MAX 512

/* What a run produced, serialized so that runs compare with memcmp. */
struct transcript {
    char *p;
    size_t len, cap;
};

static void put(struct transcript *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2;
        t->p = realloc(t->p, t->cap);
        CHECK(t->p != NULL);
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
}

struct conn {
    struct resp_parser p;
    char *buf; /* exactly len pending bytes */
    size_t len;
};

/* Keeps buf[from..len) and appends extra[0..n), at a new address. */
static void rebuffer(struct conn *c, size_t from, const uint8_t *extra, size_t n)
{
    size_t keep = c->len - from;
    char *nb = malloc(keep + n > 0 ? keep + n : 1);

    CHECK(nb != NULL);
    if (keep > 0)
        memcpy(nb, c->buf + from, keep);
    if (n > 0)
        memcpy(nb + keep, extra, n);
    free(c->buf);
    c->buf = nb;
    c->len = keep + n;
}

/* Parses what is pending; false once a protocol error ended the stream. */
static bool drain(struct conn *c, struct transcript *t)
{
    for (;;) {
        size_t consumed = SIZE_MAX;
        enum resp_status st = resp_parse(&c->p, c->buf, c->len, &consumed);
        switch (st) {
        case RESP_GROW:
            CHECK(consumed == 0);
            CHECK(c->p.cap <= c->len); /* an argument takes at least a byte */
            c->p.cap = c->p.cap * 2 + 1;
            c->p.args = realloc(c->p.args, c->p.cap * sizeof(*c->p.args));
            CHECK(c->p.args != NULL);
            break;
        case RESP_AGAIN:
            CHECK(consumed == 0);
            return true;
        case RESP_ERR:
            CHECK(consumed == 0);
            CHECK(strncmp(c->p.err, "Protocol error: ", 16) == 0);
            put(t, "E", 1);
            put(t, c->p.err, strlen(c->p.err));
            return false;
        case RESP_OK:
            CHECK(consumed > 0 && consumed <= c->len);
            CHECK(c->p.argc >= 0 && (size_t)c->p.argc <= c->p.cap);
            CHECK(!resp_parser_in_command(&c->p));
            put(t, "C", 1);
            put(t, &c->p.argc, sizeof(c->p.argc));
            for (int i = 0; i < c->p.argc; i++) {
                struct resp_arg a = c->p.args[i];
                CHECK(a.off <= consumed && a.len <= consumed - a.off);
                put(t, &a.len, sizeof(a.len));
                put(t, c->buf + a.off, a.len);
            }
            rebuffer(c, consumed, NULL, 0);
            break;
        }
    }
}

/* Feeds data in reads of the given sizes (the last one takes the rest). */
static void run(const uint8_t *data, size_t size, size_t first, size_t step,
                struct transcript *t)
{
    struct conn c = {0};
    size_t fed = 0;

    resp_parser_init(&c.p, NULL, 0, FUZZ_MAX_BULK);
    while (fed < size) {
        size_t n = fed == 0 ? first : step;
        if (n == 0 || n > size - fed)
            n = size - fed;
        rebuffer(&c, 0, data + fed, n);
        fed += n;
        if (!drain(&c, t))
            break;
    }
    free(c.p.args);
    free(c.buf);
}

static bool same(const struct transcript *a, const struct transcript *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct transcript whole = {0}, split = {0}, bytewise = {0};

    if (size == 0)
        return 0;
    run(data, size, size, 0, &whole);

    size_t cut = (size_t)data[0] * size / 256;
    run(data, size, cut, 0, &split);
    CHECK(size > RESP_INLINE_MAX || same(&split, &whole));

    if (size <= FUZZ_BYTEWISE_MAX) {
        run(data, size, 1, 1, &bytewise);
        CHECK(same(&bytewise, &whole));
    }
    free(whole.p);
    free(split.p);
    free(bytewise.p);
    return 0;
}
