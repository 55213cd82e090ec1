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
#include "resp_reader.h"
#include "respite.h"

#define MAX_DEPTH 64

static struct respite_reply *node(enum respite_reply_type t)
{
    struct respite_reply *x = rs_calloc(1, sizeof *x);
    x->type = t;
    return x;
}

static void set_str(struct respite_reply *x, const struct resp_item *it)
{
    x->str = rs_memdup(it->p, it->len);
    x->len = it->len;
}

static struct respite_reply *parse(const char **pos, const char *end, int depth)
{
    struct resp_item it;
    if (depth > MAX_DEPTH || !resp_read_item(pos, end, &it))
        return NULL;
    struct respite_reply *x = NULL;
    switch (it.type) {
    case '+':
        x = node(RESPITE_REPLY_STATUS);
        set_str(x, &it);
        return x;
    case '-':
        x = node(RESPITE_REPLY_ERROR);
        set_str(x, &it);
        return x;
    case ':':
        x = node(RESPITE_REPLY_INTEGER);
        x->integer = it.n;
        return x;
    case '_':
        return node(RESPITE_REPLY_NIL);
    case '#':
        x = node(RESPITE_REPLY_BOOL);
        x->integer = it.n;
        return x;
    case ',':
        x = node(RESPITE_REPLY_DOUBLE);
        set_str(x, &it);
        x->dval = strtod(x->str, NULL);
        return x;
    case '(':
        x = node(RESPITE_REPLY_BIGNUM);
        set_str(x, &it);
        return x;
    case '$':
    case '=':
        x = node(it.type == '$' ? RESPITE_REPLY_STRING : RESPITE_REPLY_VERB);
        set_str(x, &it);
        return x;
    default: { /* aggregates */
        size_t count = (size_t)it.n * (it.type == '%' ? 2 : 1);
        x = node(it.type == '*' ? RESPITE_REPLY_ARRAY
                 : it.type == '%' ? RESPITE_REPLY_MAP
                 : it.type == '~' ? RESPITE_REPLY_SET : RESPITE_REPLY_PUSH);
        x->element = rs_calloc(count ? count : 1, sizeof *x->element);
        x->elements = count;
        for (size_t i = 0; i < count; i++) {
            x->element[i] = parse(pos, end, depth + 1);
            if (x->element[i] == NULL) {
                respite_reply_free(x);
                return NULL;
            }
        }
        return x;
    }
    }
}

struct respite_reply *respite_reply_parse(const char *buf, size_t len, size_t *used)
{
    const char *pos = buf;
    struct respite_reply *x = parse(&pos, buf + len, 0);
    if (x && used)
        *used = (size_t)(pos - buf);
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
