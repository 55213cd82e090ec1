/* SPDX-License-Identifier: BSD-3-Clause
 *
 * MONITOR as Redis 7.4: a monitor gets one status line per command run,
 *
 *     +<unix seconds>.<microseconds> [<db> <client address>] "arg" "arg"...
 *
 * after the command ran (so `SELECT 1` shows db 1, the commands of an EXEC
 * show one by one before "exec", and a blocked command shows once, when it
 * blocks), with every argument quoted as Redis's sdscatrepr quotes it.
 * Commands flagged admin or skip-monitor are not shown, nor rejected ones
 * (unknown, wrong arity, NOAUTH). AUTH and HELLO show their secrets as
 * "(redacted)" (monitor_redact).
 *
 * The monitors are an array in the store; a line is formatted once into a
 * scratch buffer and appended to each monitor's output as it is, in the
 * middle of the running command's reply if a monitor runs MULTI/EXEC, as
 * Redis does. A monitor is a replica to Redis: it may not run commands that
 * read or write the keyspace, and a second MONITOR is not answered.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands/monitor.h"
#include "ds/mem.h"

cmd_handler cmd_monitor;

/* The scratch buffer of the line being formatted (st->mon_line). */
static void put(struct store *st, const char *p, size_t n)
{
    if (st->mon_len + n > st->mon_cap) {
        st->mon_cap = (st->mon_len + n) * 2;
        st->mon_line = rs_realloc(st->mon_line, st->mon_cap);
    }
    memcpy(st->mon_line + st->mon_len, p, n);
    st->mon_len += n;
}

/* a quoted as sdscatrepr: \\ \" \n \r \t \a \b escaped, printable ASCII
 * as is, any other byte as \xHH. */
static void put_repr(struct store *st, struct rs_str a)
{
    static const char hex[] = "0123456789abcdef";
    put(st, "\"", 1);
    for (size_t i = 0; i < a.len; i++) {
        unsigned char ch = (unsigned char)a.p[i];
        char esc[4] = {'\\', 0, 0, 0};
        size_t n = 2;
        switch (ch) {
        case '\\': esc[1] = '\\'; break;
        case '"': esc[1] = '"'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\a': esc[1] = 'a'; break;
        case '\b': esc[1] = 'b'; break;
        default:
            if (ch >= 0x20 && ch < 0x7f) {
                esc[0] = (char)ch;
                n = 1;
            } else {
                esc[1] = 'x';
                esc[2] = hex[ch >> 4];
                esc[3] = hex[ch & 15];
                n = 4;
            }
        }
        put(st, esc, n);
    }
    put(st, "\"", 1);
}

void monitor__feed(struct cmd_ctx *c)
{
    if (c->cmd->flags & (CMD_ADMIN | CMD_SKIP_MONITOR))
        return;
    struct store *st = c->st;
    struct session *s = c->s;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct session_desc d = {.addr = ""};
    if (s->io && s->io->describe)
        s->io->describe(s->io_ud, &d);
    char head[160];
    int n = snprintf(head, sizeof head, "+%lld.%06ld [%d %s] ", (long long)ts.tv_sec,
                     ts.tv_nsec / 1000, s->db, d.addr);
    st->mon_len = 0;
    put(st, head, (size_t)n);
    for (int i = 0; i < c->argc; i++) {
        if (i)
            put(st, " ", 1);
        put_repr(st, c->argv[i]);
    }
    put(st, "\r\n", 2);
    for (uint32_t i = 0; i < st->nmonitors; i++) {
        struct session *m = st->monitors[i];
        if (resp_out_full(&m->out))
            continue; /* over its limit: its transport closes it */
        resp_add_raw(&m->out, st->mon_line, st->mon_len);
        if (m != s && m->io && m->io->pushed)
            m->io->pushed(m->io_ud);
    }
    if (st->mon_cap > 64 * 1024) { /* one huge command does not keep its buffer */
        rs_free(st->mon_line);
        st->mon_line = NULL;
        st->mon_cap = 0;
    }
}

void monitor_redact(struct cmd_ctx *c, int i)
{
    c->argv[i] = RS_STR("(redacted)");
}

bool monitor_allows(const struct session *s, const struct cmd_def *d)
{
    return !(s->flags & SES_MONITOR) ||
           !(d->flags & (CMD_WRITE | CMD_READONLY | CMD_MAY_REPLICATE));
}

void monitor_stop(struct session *s)
{
    if (!(s->flags & SES_MONITOR))
        return;
    struct store *st = s->st;
    s->flags &= ~(uint32_t)SES_MONITOR;
    for (uint32_t i = 0; i < st->nmonitors; i++) {
        if (st->monitors[i] == s) {
            /* Order kept: monitors hear a command in the order they came. */
            memmove(&st->monitors[i], &st->monitors[i + 1],
                    (st->nmonitors - i - 1) * sizeof *st->monitors);
            st->nmonitors--;
            break;
        }
    }
    if (st->nmonitors == 0) {
        rs_free(st->monitors);
        st->monitors = NULL;
        st->monitors_cap = 0;
    }
}

void monitor_free(struct store *st)
{
    rs_free(st->monitors);
    rs_free(st->mon_line);
}

/* MONITOR -- +OK, then a line per command run by anyone. Refused inside
 * EXEC (Redis's DENY BLOCKING client); a monitor's second MONITOR gets no
 * reply at all, as in Redis. */
void cmd_monitor(struct cmd_ctx *c)
{
    struct session *s = c->s;
    struct store *st = c->st;
    if (c->in_exec) {
        reply_err(c, RS_ERR_MONITOR_DENY_BLOCKING);
        return;
    }
    if (s->flags & SES_MONITOR)
        return;
    if (st->nmonitors == st->monitors_cap) {
        st->monitors_cap = st->monitors_cap ? st->monitors_cap * 2 : 4;
        st->monitors = rs_realloc(st->monitors, st->monitors_cap * sizeof *st->monitors);
    }
    st->monitors[st->nmonitors++] = s;
    s->flags |= SES_MONITOR;
    resp_add_ok(c->out);
}
