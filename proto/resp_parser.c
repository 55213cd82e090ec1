/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The request parser: Redis 7's processMultibulkBuffer, processInlineBuffer
 * and sdssplitargs, rewritten to be resumable, zero-copy and allocation-free.
 *
 * Redis quirks kept on purpose, because clients may depend on them:
 *   - the first byte picks the format: '*' is multibulk, anything else inline;
 *   - header lines end at the first CR, and the byte after it is not checked
 *     to be LF; a bulk's payload is followed by two bytes that are skipped
 *     unchecked;
 *   - Redis finds line ends with strchr() on its NUL-terminated query buffer,
 *     so a NUL before the CR (header) or LF (inline line) hides the line end:
 *     the request then waits for more bytes until more than RESP_INLINE_MAX
 *     bytes are pending and fails as "too big";
 *   - a count <= 0 and an empty inline line are commands with no argument.
 *
 * State between calls (all offsets from the start of the command):
 *   line  start of the '*' or '$' line being searched (0 for '*' and inline);
 *   pos   how far the search went; once a bulk header is read, the start of
 *         its payload; while an inline line is split, the next byte to split.
 * A search resumes at pos, so no byte is examined twice however the input is
 * cut. The one exception is the NUL case above: pos stays on the NUL and
 * each call only re-checks the pending size.
 */
#include "resp_parser.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "resp_num.h"

enum parse_state {
    ST_IDLE,        /* no byte of the command seen */
    ST_MBULK_LINE,  /* searching the CR of "*<count>" */
    ST_BULK_LINE,   /* searching the CR of "$<len>" */
    ST_BULK_DATA,   /* waiting for bulk_len + 2 bytes at pos */
    ST_INLINE_LINE, /* searching the LF of an inline request */
    ST_INLINE_ARGS, /* LF found; splitting the line from pos */
    ST_ERR,         /* sticky protocol error */
};

/* ---------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------- */

static enum resp_status fail(struct resp_parser *p, const char *msg)
{
    snprintf(p->err, sizeof(p->err), "%s", msg);
    p->state = ST_ERR;
    return RESP_ERR;
}

/* Searches buf[pos..len) for c the way strchr() does on Redis's buffer: the
 * search also stops at a NUL. Returns true with *at set when c is found.
 * Otherwise pos moves to where the search stopped (len, or the NUL, which
 * every later call stops at again) so the next call scans only new bytes. */
static bool find_byte(struct resp_parser *p, const char *buf, size_t len, char c, size_t *at)
{
    if (p->pos < len) {
        const char *hit = memchr(buf + p->pos, c, len - p->pos);
        size_t end = hit != NULL ? (size_t)(hit - buf) : len;
        const char *nul = memchr(buf + p->pos, '\0', end - p->pos);
        if (nul != NULL)
            end = (size_t)(nul - buf);
        p->pos = end;
    }
    if (p->pos < len && buf[p->pos] == c) {
        *at = p->pos;
        return true;
    }
    return false;
}

/* C-locale isspace(), which sdssplitargs() uses to skip blanks. */
static bool is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(int c)
{
    if (c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

/* ---------------------------------------------------------------------------
 * Multibulk: "*<count>\r\n" then count times "$<len>\r\n<payload>\r\n"
 * ------------------------------------------------------------------------- */

/* Finds the CR ending the header line that starts at p->line and the byte
 * after it. RESP_OK with *cr set; RESP_AGAIN; or RESP_ERR with too_big when
 * no CR is in sight and more than RESP_INLINE_MAX bytes are pending. */
static enum resp_status find_header_end(struct resp_parser *p, const char *buf, size_t len,
                                        const char *too_big, size_t *cr)
{
    if (!find_byte(p, buf, len, '\r', cr)) {
        if (len - p->line > RESP_INLINE_MAX)
            return fail(p, too_big);
        return RESP_AGAIN;
    }
    /* Redis wants one more byte (the LF, though it never looks at it). */
    return *cr + 2 <= len ? RESP_OK : RESP_AGAIN;
}

/* Fast path for a header line "<c><1-9 digits...>\r" met for the first
 * time (nothing of it scanned yet): reads the number while scanning, with
 * no memchr and no second pass. Anything unusual -- a sign, a leading zero,
 * more than 18 digits, a NUL, an incomplete line -- returns false and the
 * general path decides, so the result is always the general path's. */
static bool fast_header(const struct resp_parser *p, const char *buf, size_t len, long long *num,
                        size_t *cr)
{
    size_t i = p->line + 1;
    if (p->pos != p->line || i >= len || buf[i] < '1' || buf[i] > '9')
        return false;
    long long v = buf[i++] - '0';
    size_t end = len < i + 17 ? len : i + 17;
    while (i < end && buf[i] >= '0' && buf[i] <= '9')
        v = v * 10 + (buf[i++] - '0');
    if (i + 1 >= len || buf[i] != '\r')
        return false;
    *num = v;
    *cr = i;
    return true;
}

static enum resp_status parse_multibulk(struct resp_parser *p, char *buf, size_t len)
{
    size_t cr;
    enum resp_status st;

    if (p->state == ST_MBULK_LINE) {
        long long count;
        if (!fast_header(p, buf, len, &count, &cr)) {
            st = find_header_end(p, buf, len, "Protocol error: too big mbulk count string", &cr);
            if (st != RESP_OK)
                return st;
            if (!resp_str2ll(buf + 1, cr - 1, &count))
                return fail(p, "Protocol error: invalid multibulk length");
        }
        if (count > INT_MAX)
            return fail(p, "Protocol error: invalid multibulk length");
        if (count > RESP_UNAUTH_MAX_ARGS && p->unauthenticated)
            return fail(p, "Protocol error: unauthenticated multibulk length");
        p->pos = cr + 2;
        if (count <= 0)
            return RESP_OK;
        p->nleft = count;
        p->line = p->pos;
        p->state = ST_BULK_LINE;
    }

    while (p->nleft > 0) {
        if (p->state == ST_BULK_LINE) {
            long long blen;
            if (p->line < len && buf[p->line] == '$' && fast_header(p, buf, len, &blen, &cr))
                goto have_len;
            st = find_header_end(p, buf, len, "Protocol error: too big bulk count string", &cr);
            if (st != RESP_OK)
                return st;
            if (buf[p->line] != '$') {
                /* Redis formats the byte with %c, then turns CR and LF in
                 * the error into spaces. */
                char got = buf[p->line] == '\r' || buf[p->line] == '\n' ? ' ' : buf[p->line];
                snprintf(p->err, sizeof(p->err), "Protocol error: expected '$', got '%c'", got);
                p->state = ST_ERR;
                return RESP_ERR;
            }
            if (!resp_str2ll(buf + p->line + 1, cr - p->line - 1, &blen))
                return fail(p, "Protocol error: invalid bulk length");
        have_len:
            if (blen < 0 || blen > p->max_bulk_len)
                return fail(p, "Protocol error: invalid bulk length");
            if (blen > RESP_UNAUTH_MAX_BULK && p->unauthenticated)
                return fail(p, "Protocol error: unauthenticated bulk length");
            p->bulk_len = blen;
            p->pos = cr + 2;
            p->state = ST_BULK_DATA;
        }

        /* Written to avoid overflowing bulk_len + 2 when max_bulk_len is
         * set near LLONG_MAX. */
        size_t avail = len - p->pos;
        if (avail < 2 || avail - 2 < (unsigned long long)p->bulk_len)
            return RESP_AGAIN;
        if ((size_t)p->argc >= p->cap)
            return RESP_GROW;
        p->args[p->argc++] = (struct resp_arg){p->pos, (size_t)p->bulk_len};
        p->pos += (size_t)p->bulk_len + 2;
        p->nleft--;
        p->bulk_len = -1;
        p->line = p->pos;
        p->state = ST_BULK_LINE;
    }
    return RESP_OK;
}

/* ---------------------------------------------------------------------------
 * Inline: one line up to LF (a CR before it is dropped), split as
 * sdssplitargs() does. Each argument is unescaped into its own first bytes,
 * which never overruns: every output byte consumes at least one input byte.
 * ------------------------------------------------------------------------- */

/* The byte at i of a line whose LF is known to be ahead, or 0 at the line's
 * end (the LF, or a CR right before it). The line holds no NUL (the search
 * for the LF stops at one), so 0 plays the part of sdssplitargs()'s NUL
 * terminator, and nothing past the LF is ever read. */
static int line_at(const char *buf, size_t i)
{
    if (buf[i] == '\n' || (buf[i] == '\r' && buf[i + 1] == '\n'))
        return 0;
    return (unsigned char)buf[i];
}

static enum resp_status split_inline(struct resp_parser *p, char *buf)
{
    size_t r = p->pos;

    for (;;) {
        while (is_space(line_at(buf, r)))
            r++;
        if (line_at(buf, r) == 0)
            break;
        /* Ask before touching the argument, so the call after RESP_GROW
         * finds it intact at pos. */
        if ((size_t)p->argc >= p->cap) {
            p->pos = r;
            return RESP_GROW;
        }

        size_t start = r, w = r;
        bool in_dq = false, in_sq = false, is_done = false;
        while (!is_done) {
            int c = line_at(buf, r);
            if (in_dq) {
                if (c == '\\' && line_at(buf, r + 1) == 'x' && is_hex(line_at(buf, r + 2)) &&
                    is_hex(line_at(buf, r + 3))) {
                    buf[w++] = (char)(hex_value(line_at(buf, r + 2)) * 16 +
                                      hex_value(line_at(buf, r + 3)));
                    r += 3;
                } else if (c == '\\' && line_at(buf, r + 1) != 0) {
                    r++;
                    switch (line_at(buf, r)) {
                    case 'n': buf[w++] = '\n'; break;
                    case 'r': buf[w++] = '\r'; break;
                    case 't': buf[w++] = '\t'; break;
                    case 'b': buf[w++] = '\b'; break;
                    case 'a': buf[w++] = '\a'; break;
                    default: buf[w++] = buf[r]; break;
                    }
                } else if (c == '"') {
                    /* A closing quote must end the argument. */
                    int next = line_at(buf, r + 1);
                    if (next != 0 && !is_space(next))
                        goto unbalanced;
                    is_done = true;
                } else if (c == 0) {
                    goto unbalanced;
                } else {
                    buf[w++] = (char)c;
                }
            } else if (in_sq) {
                if (c == '\\' && line_at(buf, r + 1) == '\'') {
                    r++;
                    buf[w++] = '\'';
                } else if (c == '\'') {
                    int next = line_at(buf, r + 1);
                    if (next != 0 && !is_space(next))
                        goto unbalanced;
                    is_done = true;
                } else if (c == 0) {
                    goto unbalanced;
                } else {
                    buf[w++] = (char)c;
                }
            } else {
                /* Only these end an unquoted argument: '\v' and '\f' are
                 * part of it, although they are skipped between arguments. */
                switch (c) {
                case ' ':
                case '\n':
                case '\r':
                case '\t':
                case 0: is_done = true; break;
                case '"': in_dq = true; break;
                case '\'': in_sq = true; break;
                default: buf[w++] = (char)c; break;
                }
            }
            if (line_at(buf, r) != 0)
                r++;
        }
        p->args[p->argc++] = (struct resp_arg){start, w - start};
    }

    /* r is on the line's end: its LF, or the CR before it. */
    p->pos = r + (buf[r] == '\n' ? 1 : 2);
    return RESP_OK;

unbalanced:
    return fail(p, "Protocol error: unbalanced quotes in request");
}

static enum resp_status parse_inline(struct resp_parser *p, char *buf, size_t len)
{
    if (p->state == ST_INLINE_LINE) {
        size_t lf;
        if (!find_byte(p, buf, len, '\n', &lf)) {
            if (len > RESP_INLINE_MAX)
                return fail(p, "Protocol error: too big inline request");
            return RESP_AGAIN;
        }
        p->pos = 0;
        p->state = ST_INLINE_ARGS;
    }
    return split_inline(p, buf);
}

/* ---------------------------------------------------------------------------
 * API
 * ------------------------------------------------------------------------- */

/* Sets up p with the caller's argument array (borrowed until the caller
 * replaces it; may be NULL with cap 0) and proto-max-bulk-len. */
void resp_parser_init(struct resp_parser *p, struct resp_arg *args, size_t cap,
                      long long max_bulk_len)
{
    p->max_bulk_len = max_bulk_len;
    p->unauthenticated = false;
    p->args = args;
    p->cap = cap;
    resp_parser_reset(p);
}

/* Drops the partial command and the sticky error; config and args stay. */
void resp_parser_reset(struct resp_parser *p)
{
    p->argc = 0;
    p->state = ST_IDLE;
    p->nleft = 0;
    p->bulk_len = -1;
    p->pos = 0;
    p->line = 0;
    p->err[0] = '\0';
}

/* True between the first byte of a command and its end (RESP_OK or
 * RESP_ERR). */
int resp_parser_in_command(const struct resp_parser *p)
{
    return p->state != ST_IDLE && p->state != ST_ERR;
}

/* See resp_parser.h. pos is where the awaited payload starts; written so
 * that a bulk_len near LLONG_MAX does not overflow. */
size_t resp_parser_bulk_left(const struct resp_parser *p, size_t len)
{
    if (p->state != ST_BULK_DATA || len < p->pos)
        return 0;
    unsigned long long have = len - p->pos;
    unsigned long long want = (unsigned long long)p->bulk_len + 2;
    if (have >= want)
        return 0;
    want -= have;
    return want > SIZE_MAX ? SIZE_MAX : (size_t)want;
}

/* Reads a decimal made of a digit 1-9 and up to 17 more digits, or a lone
 * "0", at buf[i], followed by CR and one more byte. Returns the index of the
 * CR, or 0 when the line is anything else (the general path decides). */
static size_t fast_number(const char *buf, size_t len, size_t i, long long *num)
{
    if (i >= len || buf[i] < '0' || buf[i] > '9')
        return 0;
    long long v = buf[i] - '0';
    size_t j = i + 1;
    if (v != 0) {
        size_t end = len < i + 18 ? len : i + 18;
        while (j < end && buf[j] >= '0' && buf[j] <= '9')
            v = v * 10 + (buf[j++] - '0');
    }
    if (j + 1 >= len || buf[j] != '\r')
        return 0;
    *num = v;
    return j;
}

/* The whole of a well-formed multibulk command already in buf, in one pass
 * with no state kept: the common case of a pipelined batch. RESP_OK with
 * the arguments filled in, or RESP_AGAIN to let the general (resumable)
 * path handle anything else -- a partial command, an error, a count needing
 * RESP_GROW. It runs only at a command's first byte, so what it scanned in
 * vain is scanned again at most once per command. */
static enum resp_status fast_command(struct resp_parser *p, const char *buf, size_t len,
                                     size_t *consumed)
{
    long long n, blen;
    size_t cr = fast_number(buf, len, 1, &n);
    if (cr == 0 || n == 0 || (unsigned long long)n > p->cap)
        return RESP_AGAIN;
    size_t i = cr + 2;
    for (long long k = 0; k < n; k++) {
        if (i >= len || buf[i] != '$')
            return RESP_AGAIN;
        cr = fast_number(buf, len, i + 1, &blen);
        if (cr == 0 || blen > p->max_bulk_len)
            return RESP_AGAIN;
        size_t start = cr + 2;
        if (len - start < 2 || len - start - 2 < (unsigned long long)blen)
            return RESP_AGAIN;
        p->args[k] = (struct resp_arg){start, (size_t)blen};
        i = start + (size_t)blen + 2;
    }
    p->argc = (int)n;
    *consumed = i;
    return RESP_OK;
}

/* See resp_parser.h for the statuses. buf is borrowed for the call; inline
 * arguments are unescaped in place inside buf[0..*consumed). The offsets in
 * p->args are valid against buf, or against the same bytes moved elsewhere,
 * until the command is consumed. O(bytes not seen by earlier calls). */
enum resp_status resp_parse(struct resp_parser *p, char *buf, size_t len, size_t *consumed)
{
    enum resp_status st;

    *consumed = 0;
    switch (p->state) {
    case ST_ERR:
        return RESP_ERR;
    case ST_IDLE:
        if (len == 0)
            return RESP_AGAIN;
        if (buf[0] == '*' && !p->unauthenticated && fast_command(p, buf, len, consumed) == RESP_OK)
            return RESP_OK;
        p->argc = 0;
        p->state = buf[0] == '*' ? ST_MBULK_LINE : ST_INLINE_LINE;
        break;
    default:
        /* The caller must pass again at least the bytes seen so far. */
        assert(len >= p->pos);
        break;
    }

    if (p->state == ST_INLINE_LINE || p->state == ST_INLINE_ARGS)
        st = parse_inline(p, buf, len);
    else
        st = parse_multibulk(p, buf, len);

    if (st == RESP_OK) {
        assert(p->pos <= len);
        *consumed = p->pos;
        int argc = p->argc;
        resp_parser_reset(p);
        p->argc = argc;
    }
    return st;
}
