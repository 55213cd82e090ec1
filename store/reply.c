/* SPDX-License-Identifier: BSD-3-Clause
 *
 * A RESP2/RESP3 reply reader for C callers of the embedding API
 * (respite_command, respite_reply_parse): turns reply bytes into a tree of
 * struct respite_reply, each node and string separately allocated and owned
 * by the caller. Depth is bounded so hostile input cannot exhaust the stack.
 */
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"
#include "resp_num.h"
#include "respite.h"

#define MAX_DEPTH 64

struct rd {
    const char *p, *end;
};

/* The line at rd->p up to CRLF; advances past it. */
static bool line(struct rd *r, const char **s, size_t *n)
{
    for (const char *q = r->p; q + 1 < r->end; q++) {
        if (q[0] == '\r' && q[1] == '\n') {
            *s = r->p;
            *n = (size_t)(q - r->p);
            r->p = q + 2;
            return true;
        }
    }
    return false;
}

static struct respite_reply *node(enum respite_reply_type t)
{
    struct respite_reply *x = rs_calloc(1, sizeof *x);
    x->type = t;
    return x;
}

static void set_str(struct respite_reply *x, const char *s, size_t n)
{
    x->str = rs_memdup(s, n);
    x->len = n;
}

static struct respite_reply *parse(struct rd *r, int depth)
{
    if (r->p >= r->end || depth > MAX_DEPTH)
        return NULL;
    char t = *r->p++;
    const char *s;
    size_t n;
    long long ll;
    if (!line(r, &s, &n))
        return NULL;
    struct respite_reply *x = NULL;
    switch (t) {
    case '+':
        x = node(RESPITE_REPLY_STATUS);
        set_str(x, s, n);
        return x;
    case '-':
        x = node(RESPITE_REPLY_ERROR);
        set_str(x, s, n);
        return x;
    case ':':
        if (!resp_str2ll(s, n, &ll))
            return NULL;
        x = node(RESPITE_REPLY_INTEGER);
        x->integer = ll;
        return x;
    case '_':
        return node(RESPITE_REPLY_NIL);
    case '#':
        x = node(RESPITE_REPLY_BOOL);
        x->integer = n == 1 && s[0] == 't';
        return x;
    case ',':
        x = node(RESPITE_REPLY_DOUBLE);
        set_str(x, s, n);
        x->dval = strtod(x->str, NULL);
        return x;
    case '(':
        x = node(RESPITE_REPLY_BIGNUM);
        set_str(x, s, n);
        return x;
    case '$':
    case '=':
    case '!':
        if (!resp_str2ll(s, n, &ll))
            return NULL;
        if (ll < 0)
            return node(RESPITE_REPLY_NIL);
        if ((size_t)(r->end - r->p) < (size_t)ll + 2)
            return NULL;
        x = node(t == '$' ? RESPITE_REPLY_STRING
                          : t == '=' ? RESPITE_REPLY_VERB : RESPITE_REPLY_ERROR);
        set_str(x, r->p, (size_t)ll);
        r->p += ll + 2;
        return x;
    case '*':
    case '%':
    case '~':
    case '>': {
        if (!resp_str2ll(s, n, &ll))
            return NULL;
        if (ll < 0)
            return node(RESPITE_REPLY_NIL);
        size_t count = (size_t)ll * (t == '%' ? 2 : 1);
        /* Each element takes at least 3 bytes: refuse counts the input
         * cannot hold before allocating for them. */
        if (count > (size_t)(r->end - r->p) / 3)
            return NULL;
        x = node(t == '*' ? RESPITE_REPLY_ARRAY
                 : t == '%' ? RESPITE_REPLY_MAP
                 : t == '~' ? RESPITE_REPLY_SET : RESPITE_REPLY_PUSH);
        x->element = rs_calloc(count ? count : 1, sizeof *x->element);
        x->elements = count;
        for (size_t i = 0; i < count; i++) {
            x->element[i] = parse(r, depth + 1);
            if (x->element[i] == NULL) {
                respite_reply_free(x);
                return NULL;
            }
        }
        return x;
    }
    default:
        return NULL;
    }
}

struct respite_reply *respite_reply_parse(const char *buf, size_t len, size_t *used)
{
    struct rd r = {buf, buf + len};
    struct respite_reply *x = parse(&r, 0);
    if (x && used)
        *used = (size_t)(r.p - buf);
    return x;
}

void respite_reply_free(struct respite_reply *x)
{
    if (x == NULL)
        return;
    for (size_t i = 0; i < x->elements; i++)
        respite_reply_free(x->element[i]);
    rs_free(x->element);
    rs_free(x->str);
    rs_free(x);
}
