/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Error replies (errors.def): their texts, writing one into a command's
 * reply, and counting it in INFO errorstats. Every layer that holds a
 * command context replies errors through these, the keyspace's lookups
 * (WRONGTYPE) included.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "keyspace/state.h"

const char *const rs_err_text[RS_ERR__COUNT] = {
#define ERR(sym, text) text,
#include "keyspace/errors.def"
#undef ERR
};

/* ------------------------------------------------------------------------
 * INFO errorstats
 * ------------------------------------------------------------------------ */

/* The code is the first word when a space occurs within the first 32 bytes,
 * else "ERR" (Redis afterErrorReply). Codes are kept sorted, as Redis's rax
 * lists them; past RS_ERRSTATS_MAX distinct codes new ones are not counted. */
void stats_error(struct store *st, const char *msg, size_t len)
{
    const char *sp = memchr(msg, ' ', len < 32 ? len : 32);
    const char *code = sp ? msg : "ERR";
    size_t n = sp ? (size_t)(sp - msg) : 3;
    struct store_stats *ss = &st->stats;
    int lo = 0, hi = ss->nerrors;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int cmp = strncmp(ss->errors[mid].code, code, n);
        if (cmp == 0 && ss->errors[mid].code[n] != '\0')
            cmp = 1;
        if (cmp == 0) {
            ss->errors[mid].count++;
            return;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ss->nerrors == RS_ERRSTATS_MAX)
        return;
    memmove(&ss->errors[lo + 1], &ss->errors[lo],
            (size_t)(ss->nerrors - lo) * sizeof ss->errors[0]);
    memcpy(ss->errors[lo].code, code, n);
    ss->errors[lo].code[n] = '\0';
    ss->errors[lo].count = 1;
    ss->nerrors++;
}

void error_reply_counted(struct store *st, struct resp_out *out, const char *msg)
{
    resp_add_error(out, msg, strlen(msg));
    stats_error(st, msg, strlen(msg));
    st->stats.total_error_replies++;
}

/* ------------------------------------------------------------------------
 * Error replies
 * ------------------------------------------------------------------------ */

void reply_err(struct cmd_ctx *c, enum rs_err e)
{
    const char *t = rs_err_text[e];
    resp_add_error(c->out, t, strlen(t));
    stats_error(c->st, t, strlen(t));
    c->failed = true;
}

void reply_errf(struct cmd_ctx *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = sizeof buf - 1;
    reply_error_bytes(c, buf, (size_t)n);
}

void reply_error_bytes(struct cmd_ctx *c, const char *msg, size_t len)
{
    resp_add_error(c->out, msg, len);
    stats_error(c->st, msg, len);
    c->failed = true;
}
