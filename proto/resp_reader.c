/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reply reader (resp_reader.h): the header line of an item, then its
 * payload for the bulk-shaped types.
 */
#include "resp_reader.h"

#include "resp_num.h"

/* The line at *pos up to CRLF; advances past it. */
static bool line(const char **pos, const char *end, const char **s, size_t *n)
{
    for (const char *q = *pos; q + 1 < end; q++) {
        if (q[0] == '\r' && q[1] == '\n') {
            *s = *pos;
            *n = (size_t)(q - *pos);
            *pos = q + 2;
            return true;
        }
    }
    return false;
}

bool resp_read_item(const char **pos, const char *end, struct resp_item *it)
{
    if (*pos >= end)
        return false;
    it->type = *(*pos)++;
    it->n = 0;
    if (!line(pos, end, &it->p, &it->len))
        return false;
    switch (it->type) {
    case '+':
    case '-':
    case ',':
    case '(':
        return true;
    case '_':
        return true;
    case '#':
        it->n = it->len == 1 && it->p[0] == 't';
        return true;
    case ':':
        return resp_str2ll(it->p, it->len, &it->n);
    case '$':
    case '=':
    case '!': {
        long long ll;
        if (!resp_str2ll(it->p, it->len, &ll))
            return false;
        if (ll < 0) {
            it->type = '_';
            return true;
        }
        if ((size_t)(end - *pos) < (size_t)ll + 2)
            return false;
        it->p = *pos;
        it->len = (size_t)ll;
        *pos += ll + 2;
        if (it->type == '!')
            it->type = '-';
        return true;
    }
    case '*':
    case '%':
    case '~':
    case '>': {
        if (!resp_str2ll(it->p, it->len, &it->n))
            return false;
        if (it->n < 0) {
            it->type = '_';
            return true;
        }
        size_t count = (size_t)it->n * (it->type == '%' ? 2 : 1);
        return count <= (size_t)(end - *pos) / 3;
    }
    default:
        return false;
    }
}
