/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The reply writer: RESP2/RESP3 encodings (as Redis 7.4's networking.c
 * writes them) appended to a list of chunks.
 *
 * Chunks: the tail chunk is filled up to its capacity, then a new one is
 * linked. A new chunk holds chunk_size bytes (RESP_CHUNK_SIZE unless the
 * owner resizes it, resp_out_set_chunk_size), or exactly what is left of a
 * larger payload, so a big bulk is copied once and never reallocated.
 * One full-size chunk is kept as a spare when a taken list is released: a
 * connection that replies and flushes in turn then reuses the same memory
 * and mallocs nothing.
 *
 * Limit: nheld counts the bytes of lists taken and not released (a list is
 * released whole, so it is subtracted chunk by chunk); a write is admitted
 * while nbytes + nheld + its length stays under the limit. The test costs
 * one predictable branch on writers without a limit.
 *
 * Deferred lengths: resp_add_deferred() links a small dedicated chunk of
 * capacity 0 (so nothing is appended to it; its room is still allocated),
 * and resp_set_deferred() writes the header into it. Taking the list
 * before setting it is a bug (the header would be missing), as it is in
 * Redis.
 */
#include "resp_writer.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_num.h"

/* "*" or "%" or "~", a long long, CRLF. */
#define DEFERRED_CAP (1 + RESP_LL_STR_SIZE + 2)

/* ---------------------------------------------------------------------------
 * Chunks
 * ------------------------------------------------------------------------- */

static struct resp_chunk *chunk_alloc(size_t cap)
{
    struct resp_chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        abort();
    c->next = NULL;
    c->len = 0;
    c->cap = cap;
    return c;
}

static void link_chunk(struct resp_out *o, struct resp_chunk *c)
{
    if (o->tail != NULL)
        o->tail->next = c;
    else
        o->head = c;
    o->tail = c;
}

/* Links an empty chunk able to take `want` bytes (at least a full chunk). */
static struct resp_chunk *push_chunk(struct resp_out *o, size_t want)
{
    struct resp_chunk *c;

    if (want <= o->chunk_size && o->spare != NULL) {
        c = o->spare;
        o->spare = NULL;
    } else {
        c = chunk_alloc(want > o->chunk_size ? want : o->chunk_size);
    }
    link_chunk(o, c);
    return c;
}

/* Whether len more bytes may be written under o's limit; the first refusal
 * makes o full (a full o keeps its limit, see resp_out_set_limit). */
static bool admit(struct resp_out *o, size_t len)
{
    if (o->full)
        return false;
    if (o->nbytes + o->nheld + len >= o->limit) {
        o->full = true;
        return false;
    }
    return true;
}

/* The general write: under the limit, across chunks. */
static void append_slow(struct resp_out *o, const char *p, size_t len)
{
    if (__builtin_expect(o->limit != 0, 0) && !admit(o, len))
        return;
    o->nbytes += len;
    while (len > 0) {
        struct resp_chunk *t = o->tail;
        if (t == NULL || t->len == t->cap)
            t = push_chunk(o, len);
        size_t n = t->cap - t->len < len ? t->cap - t->len : len;
        memcpy(t->data + t->len, p, n);
        t->len += n;
        p += n;
        len -= n;
    }
}

/* Where a write of at most max bytes goes when the tail chunk has room for
 * max and max stays under the limit; NULL sends the caller to the general
 * path (append_slow), which decides on the exact length. The replies of a
 * pipelined batch take this path nearly always: one test, then the bytes
 * are laid out in place and advance() counts them. */
static inline char *room(struct resp_out *o, size_t max)
{
    struct resp_chunk *t = o->tail;
    if (t == NULL || t->cap - t->len < max)
        return NULL;
    if (__builtin_expect(o->limit != 0, 0) && (o->full || o->nbytes + o->nheld + max >= o->limit))
        return NULL;
    return t->data + t->len;
}

/* Counts the bytes written from room() up to p. */
static inline void advance(struct resp_out *o, const char *p)
{
    struct resp_chunk *t = o->tail;
    size_t n = (size_t)(p - (t->data + t->len));
    t->len += n;
    o->nbytes += n;
}

static inline void append(struct resp_out *o, const char *p, size_t len)
{
    char *d = room(o, len);
    if (d == NULL) {
        append_slow(o, p, len);
        return;
    }
    memcpy(d, p, len);
    advance(o, d + len);
}

/* Writes <prefix><v>\r\n. */
static void append_header(struct resp_out *o, char prefix, long long v)
{
    char buf[1 + RESP_LL_STR_SIZE + 2];
    char *d = room(o, sizeof buf);
    bool is_fast = d != NULL;
    if (!is_fast)
        d = buf;
    char *p = d;
    *p++ = prefix;
    p += resp_ll2str(p, v);
    *p++ = '\r';
    *p++ = '\n';
    if (is_fast)
        advance(o, p);
    else
        append_slow(o, buf, (size_t)(p - buf));
}

/* Writes "-" msg "\r\n" with CR and LF inside msg turned into spaces. */
static void append_error(struct resp_out *o, const char *msg, size_t len)
{
    append(o, "-", 1);
    while (len > 0) {
        size_t run = 0;
        while (run < len && msg[run] != '\r' && msg[run] != '\n')
            run++;
        append(o, msg, run);
        if (run == len)
            break;
        append(o, " ", 1);
        msg += run + 1;
        len -= run + 1;
    }
    append(o, "\r\n", 2);
}

/* ---------------------------------------------------------------------------
 * Buffer management
 * ------------------------------------------------------------------------- */

/* Prepares an empty writer for protocol 2 or 3. Allocates nothing. */
void resp_out_init(struct resp_out *o, int proto)
{
    assert(proto == 2 || proto == 3);
    o->head = o->tail = NULL;
    o->nbytes = 0;
    o->spare = NULL;
    o->chunk_size = RESP_CHUNK_SIZE;
    o->proto = proto;
    o->nheld = 0;
    o->limit = 0;
    o->full = false;
}

/* Frees the pending chunks and the spare. Lists already taken are the
 * caller's to release. */
void resp_out_free(struct resp_out *o)
{
    resp_out_discard(o);
    free(o->spare);
    o->spare = NULL;
}

/* Returns the pending list, oldest chunk first (NULL when nothing is
 * pending); o is left empty and the next reply starts a fresh chunk, so the
 * list stays frozen while the caller writes it out. */
struct resp_chunk *resp_out_take(struct resp_out *o)
{
    struct resp_chunk *list = o->head;

    o->nheld += o->nbytes;
    o->head = o->tail = NULL;
    o->nbytes = 0;
    return list;
}

/* Frees a list from resp_out_take (NULL is fine), keeping one full-size
 * chunk as the spare if there is none; its bytes are no longer held. */
void resp_out_release(struct resp_out *o, struct resp_chunk *list)
{
    while (list != NULL) {
        struct resp_chunk *next = list->next;
        assert(list->len <= o->nheld);
        o->nheld -= list->len;
        if (o->spare == NULL && list->cap == o->chunk_size) {
            list->next = NULL;
            list->len = 0;
            o->spare = list;
        } else {
            free(list);
        }
        list = next;
    }
}

/* Drops every pending byte; unset deferred headers become invalid. */
void resp_out_discard(struct resp_out *o)
{
    resp_out_release(o, resp_out_take(o));
}

/* ---------------------------------------------------------------------------
 * Replies. Each copies its input; none keeps a pointer to it.
 * ------------------------------------------------------------------------- */

/* Appends p[0..len) unchanged. */
void resp_add_raw(struct resp_out *o, const char *p, size_t len)
{
    append(o, p, len);
}

/* "+<s>\r\n"; s must hold no CR or LF. */
void resp_add_simple(struct resp_out *o, const char *s, size_t len)
{
    append(o, "+", 1);
    append(o, s, len);
    append(o, "\r\n", 2);
}

/* "+OK\r\n". */
void resp_add_ok(struct resp_out *o)
{
    append(o, "+OK\r\n", 5);
}

/* "-<msg>\r\n", CR and LF in msg written as spaces. msg carries its own
 * code ("ERR ...", "WRONGTYPE ..."). */
void resp_add_error(struct resp_out *o, const char *msg, size_t len)
{
    append_error(o, msg, len);
}

/* Like resp_add_error on the printf-formatted text, after dropping CR and
 * LF at both ends of it, as Redis's addReplyErrorFormat does. */
void resp_add_errorf(struct resp_out *o, const char *fmt, ...)
{
    char stack[256];
    char *msg = stack;
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof(stack), fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if ((size_t)n >= sizeof(stack)) {
        msg = malloc((size_t)n + 1);
        if (msg == NULL)
            abort();
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }

    const char *p = msg;
    size_t len = (size_t)n;
    while (len > 0 && (p[0] == '\r' || p[0] == '\n')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
        len--;
    append_error(o, p, len);
    if (msg != stack)
        free(msg);
}

/* ":<v>\r\n". */
void resp_add_int(struct resp_out *o, long long v)
{
    append_header(o, ':', v);
}

/* memcpy(d, p, len) without a call for 8 to 32 bytes (a sorted set's
 * members, a hash's fields): two moves that may overlap, reading p[0..len)
 * only. */
static inline void copy_short(char *d, const char *p, size_t len)
{
    if (len >= 16 && len <= 32) {
        char a[16], b[16];
        memcpy(a, p, 16);
        memcpy(b, p + len - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + len - 16, b, 16);
    } else if (len >= 8 && len < 16) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + len - 8, &b, 8);
    } else {
        memcpy(d, p, len);
    }
}

/* The most bytes a bulk of len bytes takes. */
#define BULK_MAX(len) (1 + RESP_LL_STR_SIZE + 2 + (len) + 2)

/* Lays "$<len>\r\n<p>\r\n" out at d (room for BULK_MAX(len)); returns the
 * end. */
static inline char *put_bulk(char *d, const char *p, size_t len)
{
    *d++ = '$';
    d += resp_ll2str(d, (long long)len);
    *d++ = '\r';
    *d++ = '\n';
    copy_short(d, p, len);
    d += len;
    *d++ = '\r';
    *d++ = '\n';
    return d;
}

/* "$<len>\r\n<p>\r\n". */
void resp_add_bulk(struct resp_out *o, const char *p, size_t len)
{
    char *d = room(o, BULK_MAX(len));
    if (d == NULL) {
        append_header(o, '$', (long long)len);
        append_slow(o, p, len);
        append_slow(o, "\r\n", 2);
        return;
    }
    advance(o, put_bulk(d, p, len));
}

/* A bulk of the NUL-terminated s; a null bulk when s is NULL, as Redis's
 * addReplyBulkCString. */
void resp_add_bulk_cstr(struct resp_out *o, const char *s)
{
    if (s == NULL)
        resp_add_null(o);
    else
        resp_add_bulk(o, s, strlen(s));
}

/* A bulk holding the decimal digits of v. */
void resp_add_bulk_ll(struct resp_out *o, long long v)
{
    char buf[RESP_LL_STR_SIZE];
    size_t len = resp_ll2str(buf, v);

    resp_add_bulk(o, buf, len);
}

/* "$-1\r\n" in RESP2, "_\r\n" in RESP3. */
void resp_add_null(struct resp_out *o)
{
    if (o->proto == 3)
        append(o, "_\r\n", 3);
    else
        append(o, "$-1\r\n", 5);
}

/* "*-1\r\n" in RESP2, "_\r\n" in RESP3. */
void resp_add_null_array(struct resp_out *o)
{
    if (o->proto == 3)
        append(o, "_\r\n", 3);
    else
        append(o, "*-1\r\n", 5);
}

/* "*<n>\r\n"; n elements follow. */
void resp_add_array_len(struct resp_out *o, long long n)
{
    append_header(o, '*', n);
}

/* n key/value pairs follow: "%<n>" in RESP3, "*<2n>" in RESP2. */
void resp_add_map_len(struct resp_out *o, long long n)
{
    if (o->proto == 3)
        append_header(o, '%', n);
    else
        append_header(o, '*', n * 2);
}

/* n elements follow: "~<n>" in RESP3, "*<n>" in RESP2. */
void resp_add_set_len(struct resp_out *o, long long n)
{
    append_header(o, o->proto == 3 ? '~' : '*', n);
}

/* n elements of an out-of-band message follow: ">n" in RESP3, "*<n>" in
 * RESP2. */
void resp_add_push_len(struct resp_out *o, long long n)
{
    append_header(o, o->proto == 3 ? '>' : '*', n);
}

/* The most bytes a double takes: "$NN\r\n" at most before its text,
 * which is shorter than RESP_D_STR_SIZE, then CRLF. */
#define DOUBLE_MAX (5 + RESP_D_STR_SIZE + 2)

/* Lays the double whose text resp_d2chars wrote to num (len bytes) out at
 * w (room for DOUBLE_MAX): ",<num>\r\n" in RESP3, a bulk in RESP2.
 * Returns the end. */
static inline char *put_double(char *w, int proto, const char num[RESP_D_STR_SIZE], size_t len)
{
    if (proto == 3) {
        *w++ = ',';
    } else {
        *w++ = '$';
        w += resp_ll2str(w, (long long)len);
        *w++ = '\r';
        *w++ = '\n';
    }
    /* the whole of num, a fixed size the compiler copies inline; the bytes
     * past len are overwritten next or left past the chunk's length */
    memcpy(w, num, RESP_D_STR_SIZE);
    w += len;
    *w++ = '\r';
    *w++ = '\n';
    return w;
}

/* resp_add_double of the text num (len bytes, from resp_d2chars). */
static void add_double_chars(struct resp_out *o, const char num[RESP_D_STR_SIZE], size_t len)
{
    char *w = room(o, DOUBLE_MAX);
    if (w != NULL) {
        advance(o, put_double(w, o->proto, num, len));
        return;
    }
    char buf[DOUBLE_MAX];
    append_slow(o, buf, (size_t)(put_double(buf, o->proto, num, len) - buf));
}

/* ",<d>\r\n" in RESP3, a bulk of the same text in RESP2 (resp_d2chars). */
void resp_add_double(struct resp_out *o, double d)
{
    char num[RESP_D_STR_SIZE];
    add_double_chars(o, num, resp_d2chars(num, d));
}

/* resp_add_bulk then resp_add_double, with one test for room: a sorted
 * set's member and score, a hundred of them in a ZRANGE ... WITHSCORES. */
void resp_add_bulk_double(struct resp_out *o, const char *p, size_t len, double d)
{
    char num[RESP_D_STR_SIZE];
    size_t dlen = resp_d2chars(num, d);
    char *w = room(o, BULK_MAX(len) + DOUBLE_MAX);
    if (w == NULL) {
        resp_add_bulk(o, p, len);
        add_double_chars(o, num, dlen);
        return;
    }
    w = put_bulk(w, p, len);
    advance(o, put_double(w, o->proto, num, dlen));
}

/* "#t\r\n"/"#f\r\n" in RESP3, ":1\r\n"/":0\r\n" in RESP2. */
void resp_add_bool(struct resp_out *o, bool b)
{
    if (o->proto == 3)
        append(o, b ? "#t\r\n" : "#f\r\n", 4);
    else
        append(o, b ? ":1\r\n" : ":0\r\n", 4);
}

/* "=<len+4>\r\n<fmt>:<p>\r\n" in RESP3 (a fmt shorter than three
 * characters is padded with spaces, as Redis), a bulk of p in RESP2. */
void resp_add_verbatim(struct resp_out *o, const char *p, size_t len, const char *fmt)
{
    if (o->proto != 3) {
        resp_add_bulk(o, p, len);
        return;
    }
    char ext[4] = "   :";
    for (size_t i = 0; i < 3 && fmt[i] != '\0'; i++)
        ext[i] = fmt[i];
    append_header(o, '=', (long long)len + 4);
    append(o, ext, sizeof(ext));
    append(o, p, len);
    append(o, "\r\n", 2);
}

/* "(<p>\r\n" in RESP3, a bulk of p in RESP2; p holds the digits. */
void resp_add_bignum(struct resp_out *o, const char *p, size_t len)
{
    if (o->proto != 3) {
        resp_add_bulk(o, p, len);
        return;
    }
    append(o, "(", 1);
    append(o, p, len);
    append(o, "\r\n", 2);
}

/* Reserves the place of an aggregate header in a dedicated small chunk
 * (one malloc); replies added next go after it. The handle is valid until
 * resp_set_deferred, which must come before the next resp_out_take or
 * resp_out_discard. */
struct resp_deferred resp_add_deferred(struct resp_out *o)
{
    if (o->full)
        return (struct resp_deferred){NULL}; /* resp_set_deferred ignores it */
    struct resp_chunk *c = chunk_alloc(DEFERRED_CAP);

    /* Room for the header, but a capacity of 0 while it is unset: nothing
     * is appended to it, and it holds no bytes (nbytes and nheld agree
     * with the chunks' lengths). */
    c->cap = 0;
    link_chunk(o, c);
    return (struct resp_deferred){c};
}

/* Writes the header reserved by d: "*<n>" for an array, "%<n>" or "*<2n>"
 * for a map of n pairs, "~<n>" or "*<n>" for a set. */
void resp_set_deferred(struct resp_out *o, struct resp_deferred d, enum resp_agg kind,
                       long long n)
{
    char prefix = '*';

    if (d.chunk == NULL) {
        assert(o->full);
        return;
    }
    assert(d.chunk->len == 0 && d.chunk->cap == 0);
    if (kind == RESP_AGG_MAP) {
        if (o->proto == 3)
            prefix = '%';
        else
            n *= 2;
    } else if (kind == RESP_AGG_SET && o->proto == 3) {
        prefix = '~';
    }

    char *buf = d.chunk->data;
    size_t len = 1;
    buf[0] = prefix;
    len += resp_ll2str(buf + 1, n);
    buf[len++] = '\r';
    buf[len++] = '\n';
    d.chunk->len = d.chunk->cap = len;
    o->nbytes += len;
}

void resp_out_drop_spare(struct resp_out *o)
{
    free(o->spare);
    o->spare = NULL;
}

void resp_out_set_chunk_size(struct resp_out *o, size_t size)
{
    assert(size > 0);
    o->chunk_size = size;
    if (o->spare != NULL && o->spare->cap != size) {
        free(o->spare);
        o->spare = chunk_alloc(size);
    }
}

/* Sets the cap on nbytes + nheld (0: none); full is left as it is. */
void resp_out_set_limit(struct resp_out *o, size_t limit)
{
    if (!o->full) /* a full o stays full, limit and all */
        o->limit = limit;
}
