/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, as Redis's multi.c.
 *
 * MULTI gives the session a queue (struct mqueue). While it has one,
 * respite_client_run hands every command except EXEC, DISCARD, MULTI, WATCH,
 * QUIT and RESET to multi_queue, which copies its argv and answers +QUEUED.
 * A command rejected while queueing (unknown, wrong arity, NOAUTH, flagged
 * no-multi) marks the session SES_DIRTY_EXEC, and EXEC then answers
 * EXECABORT. EXEC runs the queue as one command: all its commands see the
 * EXEC's clock reading (a key cannot expire between two of them), and
 * nothing else runs in between -- emptied project shards are reaped and the
 * active expiry cycle runs only between top-level commands, so a
 * transaction over several projects' shards is as atomic as one over one
 * shard. Each command runs with c->in_exec set: a blocking command must
 * then act as its non-blocking form (see struct cmd_ctx).
 *
 * WATCH: the store keeps a registry (keyreg.c) of watched keys by (database
 * index, key), each with the list of its watchers (struct watch); each session
 * keeps the list of its own watches. Every change of a key reaches
 * multi__touch through ks_touch (keyspace.h), which marks the watchers
 * SES_DIRTY_CAS and, as Redis does, drops their watches at once (nothing can
 * undo the failure). Watches follow the database index, not its contents:
 * SWAPDB touches them, then leaves them where they are.
 *
 * A key watched while already expired but not yet reclaimed follows Redis
 * 7's rules: the watch remembers it (expired), so the key's reclamation is
 * no change; and EXEC fails when a key that was live at WATCH time has
 * expired by EXEC time, even if nothing reclaimed it yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/acl.h"
#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/util.h"

/* One queued command. argv and the argument bytes share one allocation. */
struct mcmd {
    const struct cmd_def *cmd;
    int argc;
    struct rs_str *argv;
};

struct mqueue {
    struct mcmd *cmds;
    int n, cap;
    size_t mem; /* CLIENT LIST multi-mem: argument bytes plus a pointer per
                 * argument, as Redis counts argv_len_sums */
    uint32_t flags; /* the queued commands' flags (cmd_flags_of) together */
};

/* One session's watch of one key. */
struct watch {
    struct kreg_key *wk; /* in st->watched, head: the key's watchers */
    struct session *s;
    struct watch *prev, *next; /* the key's watchers */
    struct watch *snext;       /* the session's watches */
    bool expired;              /* the key was expired, not yet reclaimed, at WATCH */
};

/* ------------------------------------------------------------------------
 * Watches
 * ------------------------------------------------------------------------ */

/* The clock of the running command, or now between commands. */
static int64_t clock_now(const struct store *st)
{
    return st->cmd_now >= 0 ? st->cmd_now : store_now(st);
}

/* The entry of key in db as it physically is: no lazy expiry, no rehash
 * step (callers may hold klocs), NULL if absent. */
static struct entry *present(struct db *db, const char *key, size_t klen, struct shard **sh)
{
    return ks_get(db, rs_str_from(key, klen), sh);
}

/* Is key in db, and past its deadline at now? */
static bool expired_in(struct db *db, const char *key, size_t klen, int64_t now)
{
    struct shard *sh;
    struct entry *e = present(db, key, klen, &sh);
    return e && exp_is_due(sh, e, now);
}

/* Watch key in the session's database, unless it already does: O(1) plus
 * the key's other watchers. */
static void watch_key(struct cmd_ctx *c, struct rs_str key)
{
    struct session *s = c->s;
    struct kreg_key *wk = kreg_get(c->st, &c->st->watched, s->db, key);
    for (struct watch *w = wk->head; w; w = w->next)
        if (w->s == s)
            return;
    struct watch *w = rs_malloc(sizeof *w);
    w->wk = wk;
    w->s = s;
    w->prev = NULL;
    w->next = wk->head;
    if (w->next)
        w->next->prev = w;
    wk->head = w;
    w->snext = s->watches;
    s->watches = w;
    s->nwatches++;
    w->expired = expired_in(c->db, key.p, key.len, c->now);
}

static void unwatch_all(struct session *s)
{
    struct store *st = s->st;
    while (s->watches) {
        struct watch *w = s->watches;
        s->watches = w->snext;
        if (w->prev)
            w->prev->next = w->next;
        else
            w->wk->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        if (w->wk->head == NULL)
            kreg_del(&st->watched, w->wk);
        rs_free(w);
    }
    s->nwatches = 0;
}

void multi__touch(struct db *db, const char *key, size_t klen)
{
    struct store *st = db->st;
    struct kreg_key *wk = kreg_find(st, &st->watched, db->idx, key, klen);
    if (wk == NULL)
        return;
    /* Dropping a session's watches never frees the watch after it here:
     * each session watches a key once, so `next` belongs to another one. */
    for (struct watch *w = wk->head, *next; w; w = next) {
        next = w->next;
        if (w->expired) {
            /* Watched while expired: its removal is no logical change.
             * (Redis leaves the loop here when the key is present, skipping
             * the later watchers too; that case needs an expired key to be
             * changed without being reclaimed first, which no command does.) */
            struct shard *sh;
            if (present(db, key, klen, &sh) == NULL)
                w->expired = false;
            continue;
        }
        w->s->flags |= SES_DIRTY_CAS;
        unwatch_all(w->s);
    }
}

/* The watched key wk of emptied is about to go, and replaced_with's (NULL
 * for none) to take its place: flag its watchers whose EXEC must fail.
 * Only flagged, not unwatched: that would free keys of the caller's walk. */
static void touch_emptied(struct db *emptied, struct db *replaced_with, struct kreg_key *wk,
                          int64_t now)
{
    struct shard *sh;
    bool in_emptied = present(emptied, wk->key, wk->klen, &sh) != NULL;
    bool in_other = replaced_with && present(replaced_with, wk->key, wk->klen, &sh);
    if (!in_emptied && !in_other)
        return;
    bool other_expired = in_other && expired_in(replaced_with, wk->key, wk->klen, now);
    for (struct watch *w = wk->head; w; w = w->next) {
        if (w->expired) {
            if (!in_other) {
                w->expired = false; /* an expired key deleted: no change */
                continue;
            }
            if (other_expired)
                continue; /* expired, and still expired */
        } else if (!in_emptied && other_expired) {
            w->expired = true; /* absent, now expired: no change yet */
            continue;
        }
        w->s->flags |= SES_DIRTY_CAS;
    }
}

/* touch_emptied for each watched key of db, of project *id only when id
 * is not NULL. O(watched keys). */
static void touch_watched(struct db *db, struct db *replaced_with, const struct rs_str *id)
{
    struct store *st = db->st;
    int64_t now = clock_now(st);
    for (uint64_t i = 0; st->watched.b && i <= st->watched.mask; i++) {
        for (struct chain_link *l = st->watched.b[i]; l; l = l->next) {
            struct kreg_key *wk = chain_of(l, struct kreg_key, link);
            if (wk->db != db->idx || (id && !ks_key_in_project(wk->key, wk->klen, *id)))
                continue;
            touch_emptied(db, replaced_with, wk, now);
        }
    }
}

void multi__touch_db(struct db *emptied, struct db *replaced_with)
{
    touch_watched(emptied, replaced_with, NULL);
}

void multi_touch_project(struct db *db, struct rs_str id)
{
    if (db->st->watched.n != 0)
        touch_watched(db, NULL, &id);
}

/* Has a key that was live when watched expired since (Redis
 * isWatchedKeyExpired)? */
static bool watched_key_expired(struct cmd_ctx *c)
{
    for (struct watch *w = c->s->watches; w; w = w->snext)
        if (!w->expired && w->wk->db < c->st->ndbs &&
            expired_in(c->st->dbs[w->wk->db], w->wk->key, w->wk->klen, c->now))
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * The queue
 * ------------------------------------------------------------------------ */

cmd_handler cmd_exec, cmd_discard, cmd_multi, cmd_watch, cmd_quit, cmd_reset;

bool multi_runs_at_once(const struct cmd_def *d)
{
    cmd_handler *h = d->handler;
    return h == cmd_exec || h == cmd_discard || h == cmd_multi || h == cmd_watch ||
           h == cmd_quit || h == cmd_reset;
}

void multi_queue(struct cmd_ctx *c)
{
    struct session *s = c->s;
    if (c->cmd->flags & CMD_NO_MULTI) {
        reply_err(c, RS_ERR_NO_MULTI_CMD);
        c->st->cstats[cmd_index(c->cmd)].rejected++;
        c->st->stats.total_error_replies++;
        multi_flag_rejected(s);
        return;
    }
    struct mqueue *q = s->mq;
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 4;
        q->cmds = rs_realloc(q->cmds, (size_t)q->cap * sizeof *q->cmds);
    }
    size_t bytes;
    struct mcmd *m = &q->cmds[q->n++];
    m->cmd = c->cmd;
    m->argc = c->argc;
    m->argv = argv_dup(c->argc, c->argv, &bytes);
    q->mem += bytes + (size_t)c->argc * sizeof(void *);
    q->flags |= cmd_flags_of(c);
    resp_add_simple(c->out, "QUEUED", 6);
}

/* Leave MULTI: drop the queue and every watch (Redis discardTransaction). */
static void discard(struct session *s)
{
    struct mqueue *q = s->mq;
    if (q) {
        for (int i = 0; i < q->n; i++)
            rs_free(q->cmds[i].argv);
        rs_free(q->cmds);
        rs_free(q);
        s->mq = NULL;
    }
    s->flags &= ~(uint32_t)(SES_DIRTY_CAS | SES_DIRTY_EXEC);
    unwatch_all(s);
}

uint32_t multi_flags(const struct session *s)
{
    return s->mq ? s->mq->flags : 0;
}

void multi_reset(struct session *s)
{
    discard(s);
}

void multi_exec_rejected(struct cmd_ctx *c, const char *text)
{
    bool err_prefix = strncmp(text, "ERR ", 4) == 0;
    reply_errf(c, rs_err_text[RS_ERR_EXECABORT_WHY], err_prefix ? text + 4 : text);
    discard(c->s);
}

int multi_count(const struct session *s)
{
    return s->mq ? s->mq->n : -1;
}

size_t multi_mem(const struct session *s)
{
    return s->mq ? s->mq->mem : 0;
}

const struct rs_str *multi_queued(const struct session *s, int i, const struct cmd_def **d,
                                 int *argc)
{
    *d = s->mq->cmds[i].cmd;
    *argc = s->mq->cmds[i].argc;
    return s->mq->cmds[i].argv;
}

bool multi_may_write(const struct session *s)
{
    for (int i = 0; s->mq && i < s->mq->n; i++)
        if (s->mq->cmds[i].cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE))
            return true;
    return false;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* MULTI */
void cmd_multi(struct cmd_ctx *c)
{
    if (c->s->mq) {
        reply_err(c, RS_ERR_MULTI_NESTED);
        return;
    }
    c->s->mq = rs_calloc(1, sizeof *c->s->mq);
    resp_add_ok(c->out);
}

/* DISCARD */
void cmd_discard(struct cmd_ctx *c)
{
    if (!c->s->mq) {
        reply_err(c, RS_ERR_DISCARD_NO_MULTI);
        return;
    }
    discard(c->s);
    resp_add_ok(c->out);
}

/* A queued command that its user may still run; else its NOPERM reply
 * and ACL LOG entry, and false. */
static bool exec_allowed(struct cmd_ctx *exec, struct cmd_ctx *sub)
{
    int pos = 0;
    int why = acl_check(sub, sub->s, &pos);
    if (why == ACL_OK)
        return true;
    static const char *const reasons[] = {
        [ACL_DENIED_CMD] = "no permission to execute the command or subcommand",
        [ACL_DENIED_KEY] = "no permission to touch the specified keys",
        [ACL_DENIED_CHANNEL] = "no permission to access one of the channels used as arguments",
    };
    acl_log_denied(sub, exec, sub->s, why, ACL_CTX_MULTI, pos);
    reply_errf(sub, rs_err_text[RS_ERR_NOPERM_EXEC], reasons[why]);
    return false;
}

/* EXEC -- an array of the queued commands' replies, a null array when a
 * watched key changed, EXECABORT after a rejected command. Every command
 * runs at the EXEC's time; the queue stays in place (CLIENT LIST shows
 * flags=x and multi=N) until the last one has run. */
void cmd_exec(struct cmd_ctx *c)
{
    struct session *s = c->s;
    if (!s->mq) {
        reply_err(c, RS_ERR_EXEC_NO_MULTI);
        return;
    }
    if (watched_key_expired(c))
        s->flags |= SES_DIRTY_CAS;
    if (s->flags & SES_DIRTY_EXEC) {
        reply_err(c, RS_ERR_EXECABORT);
        discard(s);
        return;
    }
    if (s->flags & SES_DIRTY_CAS) {
        resp_add_null_array(c->out);
        discard(s);
        return;
    }
    unwatch_all(s);
    struct mqueue *q = s->mq;
    resp_add_array_len(c->out, q->n);
    for (int i = 0; i < q->n; i++) {
        struct cmd_ctx sub = {
            .st = c->st,
            .s = s,
            .cmd = q->cmds[i].cmd,
            .argc = q->cmds[i].argc,
            .argv = q->cmds[i].argv,
            .out = c->out,
            .db = c->st->dbs[s->db], /* a queued SELECT moves the next ones */
            .now = c->now,
            .t0_us = rs_mono_us(),
            .in_exec = true,
        };
        /* The rules may have changed since it was queued (Redis checks
         * again, with its own text). */
        if (!(s->flags & SES_ACL_CHECK) || exec_allowed(c, &sub)) {
            cmd_call(&sub);
            store_count_shard_command(&sub);
        }
    }
    discard(s);
}

/* WATCH key [key ...] */
void cmd_watch(struct cmd_ctx *c)
{
    if (c->s->mq) {
        reply_err(c, RS_ERR_WATCH_IN_MULTI);
        return;
    }
    for (int i = 1; i < c->argc; i++)
        watch_key(c, c->argv[i]);
    resp_add_ok(c->out);
}

/* UNWATCH */
void cmd_unwatch(struct cmd_ctx *c)
{
    unwatch_all(c->s);
    c->s->flags &= ~(uint32_t)SES_DIRTY_CAS;
    resp_add_ok(c->out);
}
