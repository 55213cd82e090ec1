/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RESP request parser: multibulk ("*N\r\n$len\r\n...") and inline
 * ("SET k v\r\n") commands, exactly as Redis 7 reads them
 * (networking.c processMultibulkBuffer/processInlineBuffer).
 *
 * Resumable: a command may arrive split at any byte. Between calls the parser
 * keeps offsets, never pointers, so the caller may move its buffer (realloc,
 * memmove) as long as the unconsumed bytes keep their order from the start.
 * A bulk's payload is never rescanned: once its header is read the parser
 * waits until len+2 bytes are there.
 *
 * Zero-copy and allocation-free: arguments are (offset, length) pairs into
 * the caller's buffer, stored in an array the caller owns and grows on
 * RESP_GROW. Inline arguments with quotes or escapes are unescaped in place
 * (the result is never longer than the source), which is why buf is mutable.
 */
#ifndef RESP_PARSER_H
#define RESP_PARSER_H

#include <stdbool.h>

#include "resp.h"

/* Before a client authenticates (requirepass), Redis refuses commands of
 * more arguments or longer bulks than these ("unauthenticated multibulk
 * length", "unauthenticated bulk length"). */
#define RESP_UNAUTH_MAX_ARGS 10
#define RESP_UNAUTH_MAX_BULK 16384

struct resp_arg {
    size_t off; /* from the start of the command (buf passed to resp_parse) */
    size_t len;
};

struct resp_parser {
    /* config: set by the caller, may change between commands */
    long long max_bulk_len;   /* proto-max-bulk-len */
    bool unauthenticated;     /* the client must AUTH first: Redis's tighter limits apply */
    struct resp_arg *args;    /* caller-owned argument array */
    size_t cap;               /* its capacity in elements */

    /* result, valid after RESP_OK until the next call */
    int argc;

    /* state: private to resp_parser.c */
    int state;
    long long nleft;          /* multibulk arguments still to read */
    long long bulk_len;       /* -1 while the '$' header is not read */
    size_t pos;               /* bytes of the current command already scanned */
    size_t line;              /* where the header line being searched starts */

    /* sticky error: "Protocol error: ..." exactly as Redis replies it
     * (without the leading "-ERR " and trailing CRLF) */
    char err[96];
};

/* Prepare a parser. args/cap may be NULL/0: the first argument then asks
 * for RESP_GROW. max_bulk_len is proto-max-bulk-len. */
void resp_parser_init(struct resp_parser *p, struct resp_arg *args, size_t cap,
                      long long max_bulk_len);

/* Parse the command that starts at buf[0]; len bytes are available.
 *
 * RESP_OK:    a command is complete. p->argc arguments are in p->args
 *             (argc may be 0: an empty inline line or "*0"/"*-1", which
 *             Redis skips silently). *consumed is its length in bytes; the
 *             next command starts at buf + *consumed. The parser is reset.
 * RESP_AGAIN: more bytes are needed; call again with the same bytes (maybe
 *             moved) followed by more. *consumed is 0.
 * RESP_GROW:  p->cap is too small for the next argument: give a larger
 *             array (contents preserved, e.g. realloc) in p->args/p->cap
 *             and call again. Asked only when an argument is actually
 *             there, so a huge declared count costs nothing up front.
 * RESP_ERR:   protocol error, p->err holds Redis's text. Sticky until
 *             resp_parser_reset. Redis replies the error and closes.
 *
 * O(bytes newly available); the payload of a bulk is not scanned. */
enum resp_status resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *consumed);

/* Forget any partial command and any error; keeps config and args array. */
void resp_parser_reset(struct resp_parser *p);

/* True when a command has been started but not finished (some bytes of it
 * were scanned): the server uses it for query-buffer accounting. */
int resp_parser_in_command(const struct resp_parser *p);

/* While the payload of a bulk argument is awaited (RESP_AGAIN with its
 * header read) and len bytes of the command are at hand: how many more
 * complete that argument, its CRLF included. 0 otherwise. Lets a reader
 * size its next read to a big argument, as Redis does. O(1). */
size_t resp_parser_bulk_left(const struct resp_parser *p, size_t len);

#endif
