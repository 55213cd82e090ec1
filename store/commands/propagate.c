/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Propagation: what the append-only file logs for each command, as
 * Redis's call()/alsoPropagate. A write command that did not fail is
 * logged as it was sent, unless its handler gave the form it replays as
 * (prop_add: SET ... PXAT for SET EX, SREM for SPOP, LPOP for a BLPOP that
 * was served...). A write that changed nothing (no ks_dirty during its
 * call: SET NX of a present key, DEL of a missing one, SREM of a missing
 * member...) is not logged, as Redis propagates only when server.dirty
 * moved; FLUSHDB and FLUSHALL log themselves (prop_add), even of nothing,
 * as Redis forces their propagation.
 * Blocking commands are logged only in the form their handler gives, since
 * their own line would block or wait again.
 *
 * Commands collect in the aof's pending buffer for the length of the
 * outermost call (cmd_call nests for EXEC and scripts); at its end they go
 * to the file's buffer, wrapped in MULTI ... EXEC when there are several,
 * each after a SELECT when its database differs from the one before.
 * Expiries reach here through the keyspace's hooks, as the deletions they
 * are, in order with the commands around them.
 *
 * Each command that reaches the file's buffer counts one in st->repl_off
 * (the MULTI and EXEC around a call's several too, not SELECT), as each
 * command Redis propagates moves its master_repl_offset; the client whose
 * call moved it remembers where it got to (s->woff, for WAITAOF).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "ds/mem.h"
#include "resp_num.h"

/* The pending command written since the previous one ends here; it runs
 * in db. */
static void pend_close(struct aof *a, int db)
{
    if (a->npend == a->pend_cap) {
        a->pend_cap = a->pend_cap ? a->pend_cap * 2 : 8;
        a->pend_db = rs_realloc(a->pend_db, (size_t)a->pend_cap * sizeof *a->pend_db);
        a->pend_end = rs_realloc(a->pend_end, (size_t)a->pend_cap * sizeof *a->pend_end);
    }
    a->pend_db[a->npend] = db;
    a->pend_end[a->npend++] = (uint32_t)a->pend.len;
}

static void put_argv(struct rdb_buf *b, int argc, const struct rs_str *argv)
{
    rdb_put_resp_array(b, argc);
    for (int i = 0; i < argc; i++)
        rdb_put_resp_bulk(b, argv[i].p, argv[i].len);
}

static void pend_argv(struct aof *a, int db, int argc, const struct rs_str *argv)
{
    put_argv(&a->pend, argc, argv);
    pend_close(a, db);
}

static void select_db(struct aof *a, int db)
{
    if (a->cur_db == db)
        return;
    char num[RESP_LL_STR_SIZE];
    struct rs_str argv[2] = {rs_str_from("SELECT", 6), rs_str_from(num, resp_ll2str(num, db))};
    put_argv(&a->buf, 2, argv);
    a->cur_db = db;
}

/* Under aof-timestamp-enabled, "#TS:<unix seconds>" before the commands
 * of a new second. */
static void annotate(struct store *st)
{
    struct aof *a = st->aof;
    if (!st->cfg.aof_timestamp)
        return;
    int64_t now = rs_real_ms() / 1000;
    if (now > a->last_ts) {
        char ts[40];
        int n = snprintf(ts, sizeof ts, "#TS:%lld\r\n", (long long)now);
        rdb_put_raw(&a->buf, ts, (size_t)n);
        a->last_ts = now;
    }
}

/* The call is over: its commands go to the file's buffer. */
static void flush_pending(struct store *st)
{
    struct aof *a = st->aof;
    if (a->npend == 0)
        return;
    annotate(st);
    bool multi = a->npend > 1;
    if (multi) {
        select_db(a, a->pend_db[0]);
        rdb_put_raw(&a->buf, "*1\r\n$5\r\nMULTI\r\n", 15);
    }
    uint32_t start = 0;
    for (int i = 0; i < a->npend; i++) {
        select_db(a, a->pend_db[i]);
        rdb_put_raw(&a->buf, a->pend.p + start, a->pend_end[i] - start);
        start = a->pend_end[i];
    }
    if (multi)
        rdb_put_raw(&a->buf, "*1\r\n$4\r\nEXEC\r\n", 14);
    st->repl_off += a->npend + (multi ? 2 : 0);
    a->pend.len = 0;
    a->npend = 0;
}

void prop_add(struct cmd_ctx *c, int argc, const struct rs_str *argv)
{
    c->propagated = true;
    if (c->st->aof)
        pend_argv(c->st->aof, c->db->idx, argc, argv);
}

void prop_addf(struct cmd_ctx *c, const char *fmt, ...)
{
    c->propagated = true;
    struct aof *a = c->st->aof;
    if (a == NULL)
        return;
    /* Count the arguments first: the array's length leads. */
    int argc = 0;
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f == 'v') {
            argc += va_arg(ap, int);
            (void)va_arg(ap, const struct rs_str *);
        } else {
            argc++;
            if (*f == 'c')
                (void)va_arg(ap, const char *);
            else if (*f == 's')
                (void)va_arg(ap, struct rs_str);
            else
                (void)va_arg(ap, long long);
        }
    }
    va_end(ap);
    rdb_put_resp_array(&a->pend, argc);
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f == 'c') {
            const char *s = va_arg(ap, const char *);
            rdb_put_resp_bulk(&a->pend, s, strlen(s));
        } else if (*f == 's') {
            struct rs_str s = va_arg(ap, struct rs_str);
            rdb_put_resp_bulk(&a->pend, s.p, s.len);
        } else if (*f == 'v') {
            int n = va_arg(ap, int);
            const struct rs_str *v = va_arg(ap, const struct rs_str *);
            for (int i = 0; i < n; i++)
                rdb_put_resp_bulk(&a->pend, v[i].p, v[i].len);
        } else {
            char num[RESP_LL_STR_SIZE];
            size_t n = resp_ll2str(num, va_arg(ap, long long));
            rdb_put_resp_bulk(&a->pend, num, n);
        }
    }
    va_end(ap);
    pend_close(a, c->db->idx);
}

void prop_call_done(struct cmd_ctx *c, bool changed)
{
    struct store *st = c->st;
    uint32_t flags = c->cmd->flags;
    /* A failed command that changed something is logged, as in Redis:
     * what it changed stays. */
    bool log = changed && (flags & CMD_WRITE) && !c->propagated && !(flags & CMD_BLOCKING);
    struct aof *a = st->aof;
    if (log && st->call_depth == 0 && a->npend == 0) {
        /* The common case, a command alone: straight to the file's buffer. */
        annotate(st);
        select_db(a, c->db->idx);
        put_argv(&a->buf, c->argc, c->argv);
        c->s->woff = ++st->repl_off;
        return;
    }
    if (log)
        pend_argv(a, c->db->idx, c->argc, c->argv);
    if (st->call_depth == 0 && a->npend) {
        flush_pending(st);
        c->s->woff = st->repl_off;
    }
}

void prop_expired(struct db *db, struct rs_str key, bool lazy)
{
    struct store *st = db->st;
    struct rs_str argv[2] = {lazy ? rs_str_from("UNLINK", 6) : rs_str_from("DEL", 3), key};
    pend_argv(st->aof, db->idx, 2, argv);
    if (st->call_depth == 0) /* the active expiry cycle, between commands */
        flush_pending(st);
}

void prop_sub_expired(struct db *db, struct rs_str key, bool is_hash, struct rs_str name)
{
    struct store *st = db->st;
    struct rs_str argv[3] = {is_hash ? rs_str_from("HDEL", 4) : rs_str_from("SREM", 4), key,
                             name};
    pend_argv(st->aof, db->idx, 3, argv);
    if (st->call_depth == 0)
        flush_pending(st);
}
