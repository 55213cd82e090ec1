/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reply reader: one RESP2/RESP3 reply item at a time from a byte buffer, for
 * the callers that turn reply bytes back into values (respite_reply_parse's
 * tree, the Lua values of redis.call). Pure, allocates nothing: an item's
 * string points into the buffer. An aggregate item gives its element count
 * (pairs for a map); its elements are the items that follow.
 */
#ifndef RESP_READER_H
#define RESP_READER_H

#include <stdbool.h>
#include <stddef.h>

struct resp_item {
    /* The RESP type byte: '+' status, '-' error (also '!' blob errors),
     * ':' integer, '_' null (also "$-1" and "*-1"), '#' boolean, ','
     * double, '(' big number, '$' bulk, '=' verbatim, '*' array, '%' map,
     * '~' set, '>' push. */
    char type;
    const char *p; /* string, double and big number text, in the buffer */
    size_t len;
    long long n;   /* integer value, boolean (0/1), element count (pairs for '%') */
};

/* Read the item at *pos in buf[0..end) and advance *pos past it (past its
 * header only, for an aggregate). false on malformed or truncated input, or
 * an aggregate count the remaining bytes cannot hold (3 bytes an element at
 * least), so callers may allocate for the count. */
bool resp_read_item(const char **pos, const char *end, struct resp_item *it);

#endif
