/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Vocabulary shared by every layer: the borrowed byte slice (struct rs_str),
 * the status codes of the RESP parser, and Redis's protocol limits.
 * Nothing here allocates or does I/O.
 */
#ifndef RESP_H
#define RESP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A borrowed byte slice: never NUL-terminated by contract, may hold NUL and
 * CR/LF bytes. Whoever hands one out says how long it stays valid. */
struct rs_str {
    const char *p;
    size_t len;
};

#define RS_STR(lit) ((struct rs_str){(lit), sizeof(lit) - 1})

static inline struct rs_str rs_str_from(const char *p, size_t len)
{
    return (struct rs_str){p, len};
}

static inline int rs_str_eq(struct rs_str a, struct rs_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* Byte order, a prefix before what it begins (memcmp's sign, then length):
 * Redis's compareStringObjects and the order of its radix trees. */
static inline int rs_str_cmp(struct rs_str a, struct rs_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

/* Case-insensitive comparison with a NUL-terminated ASCII literal, the way
 * Redis matches command options (strcasecmp). */
int rs_str_eqi(struct rs_str a, const char *lit);

/* Status of resp_parse(). */
enum resp_status {
    RESP_OK = 0,    /* a command is ready */
    RESP_AGAIN = 1, /* need more bytes */
    RESP_GROW = 2,  /* need a larger argument array; see resp_parser.h */
    RESP_ERR = -1,  /* protocol error; sticky, text in parser->err */
};

/* Redis's limits (server.h): an inline request or a '*'/'$' header line
 * longer than this without its CR is a protocol error. */
#define RESP_INLINE_MAX (64 * 1024)
/* Default proto-max-bulk-len: 512 MB. */
#define RESP_BULK_MAX_DEFAULT (512LL * 1024 * 1024)

#endif
