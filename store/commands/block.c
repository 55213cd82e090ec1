/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Blocked clients: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, and XREAD /
 * XREADGROUP with BLOCK, as Redis 7.4's blocked.c; and WAIT and WAITAOF,
 * which wait on no key (block_for_acks).
 *
 * A blocking command that finds nothing to serve calls block_for_keys: its
 * session keeps a copy of the command (struct blocked) and one wait per key
 * in the store's registry of blocking keys (keyreg.c), each key's waits in
 * the order clients blocked. The transport stops running the client's
 * commands while it is blocked (RESPITE_BLOCKED).
 *
 * Waking: a change that may give a waiter data -- a key added or replaced
 * (ks_add, ks_replace), an XADD, a deletion or group removal that
 * XREADGROUP must hear of (ks_take, XGROUP DESTROY) -- signals its key
 * (ks_signal), which queues it once in st->ready if anybody waits on it.
 * After each top-level command (so after a whole EXEC: waiters see a
 * transaction's final state) block_serve_ready takes the queued keys in
 * order and, for each, runs again the blocked commands of the waiters whose
 * type the key now holds, in the order they blocked, with c->rerun set (a
 * list pop then serves from that key only): a command that now finds data
 * replies and its client is unblocked; one that still finds nothing calls
 * block_for_keys again, which leaves it blocked where it was. So a push that serves one waiter is not seen by the next, and a
 * BLMOVE that pushes to another waiter's key queues that key and serves it
 * in the same pass.
 *
 * Timeouts run on the monotonic clock (not the store clock that DEBUG
 * CLOCK moves): a heap of deadlines, whose earliest the transport arms a
 * timer for (respite_block_deadline, respite_block_timeouts).
 *
 * WAIT and WAITAOF wait for acknowledgements of the client's writes: no
 * replica ever gives one, so only their timeout or CLIENT UNBLOCK ends
 * them, but a WAITAOF that asked for the local fsync (and no replica) is
 * answered once the append-only file is fsynced up to the client's last
 * write, and with an error once appendonly is turned off: such clients
 * are listed in st->acks_head, which block_serve_acks looks at once per
 * loop turn, after the file's write (respite_aof_flush), as Redis's
 * beforeSleep does.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "commands/aof.h"
#include "commands/acl.h"
#include "commands/commands.h"
#include "commands/introspect.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/util.h"

/* One blocked client's wait on one key. */
struct bwait {
    struct kreg_key *bk; /* in st->blocking; head/tail: the key's waits */
    struct blocked *b;
    struct bwait *prev, *next;
};

/* The type of a WAIT or WAITAOF (struct blocked's): no key serves it. */
enum { TYPE_ACKS = -1 };

struct blocked {
    struct session *s;
    const struct cmd_def *cmd;
    int argc;
    struct rs_str *argv; /* a copy (argv_dup) */
    int type;            /* OBJ_LIST or OBJ_STREAM: what serves it; TYPE_ACKS */
    unsigned flags;      /* enum block_flags */
    struct blocked *acks_prev, *acks_next; /* in st->acks_head (BLOCK_LOCAL) */
    bool muted;          /* CLIENT REPLY OFF/SKIP when it blocked */
    bool again;          /* set by block_for_keys when a re-run found nothing */
    int64_t us;          /* how long its first run took (SLOWLOG, when it answers) */
    uint32_t tidx;       /* slot in st->btimeouts, EXP_NONE: waits forever */
    int nwaits;
    struct bwait waits[];
};

void block_init(struct store *st)
{
    exp_heap_init(&st->btimeouts, offsetof(struct blocked, tidx));
}

void block_free(struct store *st)
{
    exp_heap_free(&st->btimeouts);
    rs_free(st->ready);
}

/* ------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------ */

bool block_timeout_arg(struct cmd_ctx *c, struct rs_str a, bool seconds, int64_t *ms)
{
    long long t;
    if (seconds) {
        long double v;
        if (!resp_str2ld(a.p, a.len, &v)) {
            reply_errf(c, "ERR timeout is not a float or out of range");
            return false;
        }
        v *= 1000.0L;
        if (v > (long double)LLONG_MAX) {
            reply_errf(c, "ERR timeout is out of range");
            return false;
        }
        /* Milliseconds rounded up (a positive timeout never means "for
         * ever"); Redis's C cast gives LLONG_MIN for what does not fit
         * below: such a timeout is "negative". */
        v = ceill(v);
        t = v >= -0x1p63L ? (long long)v : LLONG_MIN;
    } else if (!resp_str2ll(a.p, a.len, &t)) {
        reply_errf(c, "ERR timeout is not an integer or out of range");
        return false;
    }
    if (t < 0) {
        reply_errf(c, "ERR timeout is negative");
        return false;
    }
    if (t > 0 && t > LLONG_MAX - c->now) {
        reply_errf(c, "ERR timeout is out of range");
        return false;
    }
    *ms = t;
    return true;
}

/* ------------------------------------------------------------------------
 * Blocking and unblocking
 * ------------------------------------------------------------------------ */

static struct resp_out *out_of(struct blocked *b)
{
    return b->muted ? &b->s->discard : &b->s->out;
}

/* Count the waits that want deletions (total_blocking_keys_on_nokey). */
static void nokey_count(struct store *st, struct kreg_key *bk, int delta)
{
    if (delta > 0 && bk->on_nokey++ == 0)
        st->blocking_nokey++;
    else if (delta < 0 && --bk->on_nokey == 0)
        st->blocking_nokey--;
}

/* May c's client block? Not inside EXEC or a script, nor without a
 * transport to resume it. */
static bool may_block(const struct cmd_ctx *c)
{
    return !c->in_exec && c->s->io != NULL && c->s->io->unblocked != NULL;
}

/* A blocked state for c's command (its arguments copied) with room for
 * nkeys waits, none linked yet. */
static struct blocked *blocked_new(struct cmd_ctx *c, int nkeys, int type, unsigned flags)
{
    struct blocked *b = rs_malloc(sizeof *b + (size_t)nkeys * sizeof b->waits[0]);
    size_t bytes;
    b->s = c->s;
    b->cmd = c->cmd;
    b->argc = c->argc;
    b->argv = argv_dup(c->argc, c->argv, &bytes);
    b->type = type;
    b->flags = flags;
    b->acks_prev = b->acks_next = NULL;
    b->muted = c->out == &c->s->discard;
    b->again = false;
    b->tidx = EXP_NONE;
    b->nwaits = 0;
    return b;
}

/* c's client is blocked in b from now, until timeout_ms from its
 * command's start (0: for ever). */
static void blocked_start(struct cmd_ctx *c, struct blocked *b, int64_t timeout_ms)
{
    /* A deadline past the monotonic clock's range is no deadline. */
    if (timeout_ms > 0 && timeout_ms < (INT64_MAX - c->t0_us) / 1000)
        exp_heap_set(&c->st->btimeouts, b, c->t0_us + timeout_ms * 1000);
    b->us = rs_mono_us() - c->t0_us;
    c->s->blk = b;
    c->s->flags |= SES_WAITING;
    c->st->stats.blocked_clients++;
}

bool block_for_keys(struct cmd_ctx *c, const struct rs_str *keys, int nkeys, int type,
                    int64_t timeout_ms, unsigned flags)
{
    struct session *s = c->s;
    struct store *st = c->st;
    if (c->rerun) {
        s->blk->again = true; /* still nothing: it stays where it is */
        return true;
    }
    if (!may_block(c))
        return false;
    struct blocked *b = blocked_new(c, nkeys, type, flags);
    for (int i = 0; i < nkeys; i++) {
        struct kreg_key *bk = kreg_get(st, &st->blocking, s->db, keys[i]);
        bool dup = false;
        for (int j = 0; j < b->nwaits && !dup; j++)
            dup = b->waits[j].bk == bk;
        if (dup)
            continue; /* BLPOP k k: one wait, so a key's waits are distinct clients */
        struct bwait *w = &b->waits[b->nwaits++];
        w->bk = bk;
        w->b = b;
        w->next = NULL;
        w->prev = bk->tail;
        if (w->prev)
            w->prev->next = w;
        else
            bk->head = w;
        bk->tail = w;
        if (flags & BLOCK_ON_NOKEY)
            nokey_count(st, bk, 1);
    }
    blocked_start(c, b, timeout_ms);
    return true;
}

bool block_for_acks(struct cmd_ctx *c, int64_t timeout_ms, unsigned flags)
{
    struct store *st = c->st;
    if (!may_block(c))
        return false;
    struct blocked *b = blocked_new(c, 0, TYPE_ACKS, flags);
    if (flags & BLOCK_LOCAL) {
        b->acks_prev = st->acks_tail;
        if (st->acks_tail)
            st->acks_tail->acks_next = b;
        else
            st->acks_head = b;
        st->acks_tail = b;
    }
    blocked_start(c, b, timeout_ms);
    st->acks_asked = true;
    return true;
}

/* Take b's client out of every wait and free b; the transport hears of it
 * (notify) unless the client is going away. */
static void unblock(struct blocked *b, bool notify)
{
    struct session *s = b->s;
    struct store *st = s->st;
    for (int i = 0; i < b->nwaits; i++) {
        struct bwait *w = &b->waits[i];
        struct kreg_key *bk = w->bk;
        if (w->prev)
            w->prev->next = w->next;
        else
            bk->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        else
            bk->tail = w->prev;
        if (b->flags & BLOCK_ON_NOKEY)
            nokey_count(st, bk, -1);
        /* A queued key, or the one being served, goes when its turn ends. */
        if (bk->head == NULL && !bk->ready && bk != st->serving)
            kreg_del(&st->blocking, bk);
    }
    if (b->flags & BLOCK_LOCAL) {
        if (b->acks_prev)
            b->acks_prev->acks_next = b->acks_next;
        else
            st->acks_head = b->acks_next;
        if (b->acks_next)
            b->acks_next->acks_prev = b->acks_prev;
        else
            st->acks_tail = b->acks_prev;
    }
    exp_heap_del(&st->btimeouts, b);
    st->stats.blocked_clients--;
    s->blk = NULL;
    s->flags &= ~(uint32_t)SES_WAITING;
    /* Answered: its command is done, for the slowlog as in Redis. */
    if (notify && b->us >= st->slow_us)
        introspect_unblocked(s, b->cmd, b->argc, b->argv, b->us);
    rs_free(b->argv);
    rs_free(b);
    if (notify)
        s->io->unblocked(s->io_ud);
}

void block_cancel(struct session *s)
{
    if (s->blk)
        unblock(s->blk, false);
}

/* What b's command answers when its time is up (or CLIENT UNBLOCK TIMEOUT
 * ends it): a list's or stream's null, WAIT's and WAITAOF's counts. */
static void answer_timeout(struct blocked *b)
{
    if (b->type == TYPE_ACKS)
        wait_reply(out_of(b), b->s, b->flags & BLOCK_AOF);
    else
        resp_add_null_array(out_of(b));
}

/* Answer b's command with the error t, counted in INFO's errorstats. */
static void answer_error(struct blocked *b, const char *t)
{
    error_reply_counted(b->s->st, out_of(b), t);
}

bool block_unblock(struct session *s, bool error)
{
    struct blocked *b = s->blk;
    if (b == NULL)
        return false;
    if (error) {
        /* counted as Redis counts it: errorstats, and a failed call */
        answer_error(b, rs_err_text[RS_ERR_UNBLOCKED]);
        s->st->cstats[cmd_index(b->cmd)].failed++;
    } else {
        answer_timeout(b);
    }
    unblock(b, true);
    return true;
}

void block_serve_acks(struct store *st)
{
    if (st->acks_head == NULL) /* every loop turn: mostly nothing to do */
        return;
    int64_t synced = aof_fsynced_off(st);
    /* Answering one unblocks only that one, so `next` survives. */
    for (struct blocked *b = st->acks_head, *next; b; b = next) {
        next = b->acks_next;
        if (!st->cfg.appendonly)
            answer_error(b, rs_err_text[RS_ERR_WAITAOF_NO_AOF]);
        else if (!(b->flags & BLOCK_REPLICAS) && synced >= b->s->woff) {
            wait_reply(out_of(b), b->s, true);
        } else {
            continue;
        }
        unblock(b, true);
    }
}

/* ------------------------------------------------------------------------
 * Waking
 * ------------------------------------------------------------------------ */

void block__signal(struct db *db, const char *key, size_t klen, bool deleted)
{
    struct store *st = db->st;
    struct kreg_key *bk = kreg_find(st, &st->blocking, db->idx, key, klen);
    if (bk == NULL || bk->ready || (deleted && bk->on_nokey == 0))
        return;
    bk->ready = true;
    if (st->nready == st->ready_cap) {
        st->ready_cap = st->ready_cap ? st->ready_cap * 2 : 16;
        st->ready = rs_realloc(st->ready, st->ready_cap * sizeof *st->ready);
    }
    st->ready[st->nready++] = bk;
}

/* block__signal for each key of db waited on, of project *id only when id
 * is not NULL. O(keys waited on). */
static void signal_keys(struct db *db, const struct rs_str *id, bool deleted)
{
    struct store *st = db->st;
    for (uint64_t i = 0; st->blocking.b && i <= st->blocking.mask; i++)
        for (struct chain_link *l = st->blocking.b[i]; l; l = l->next) {
            struct kreg_key *bk = chain_of(l, struct kreg_key, link);
            if (bk->db == db->idx && (!id || ks_key_in_project(bk->key, bk->klen, *id)))
                block__signal(db, bk->key, bk->klen, deleted);
        }
}

void block__signal_db(struct db *db)
{
    signal_keys(db, NULL, false);
}

void block_signal_project(struct db *db, struct rs_str id)
{
    if (db->st->blocking.n != 0)
        signal_keys(db, &id, true);
}

/* The type of key in db as a waiter sees it (-1: absent or expired), without
 * reclaiming anything. */
static int live_type(struct db *db, const struct kreg_key *bk)
{
    struct rs_str key = rs_str_from(bk->key, bk->klen);
    struct shard *sh;
    struct entry *e = ks_get(db, key, &sh);
    if (e == NULL || exp_is_due(sh, e, store_now(db->st)))
        return -1;
    return e->type;
}

/* Run b's command again (bk was signaled and holds b's type). */
static void rerun(struct store *st, struct blocked *b, const struct kreg_key *bk)
{
    struct session *s = b->s;
    int64_t t0 = rs_mono_us();
    struct cmd_ctx c = {
        .st = st,
        .s = s,
        .cmd = b->cmd,
        .argc = b->argc,
        .argv = b->argv,
        .out = out_of(b),
        .db = st->dbs[s->db],
        .now = store_now(st),
        .t0_us = t0,
        .rerun = true,
        .rerun_key = rs_str_from(bk->key, bk->klen),
    };
    st->cmd_now = c.now;
    /* As Redis processes the command again: the user's rules may have
     * changed while it waited. */
    if ((s->flags & SES_ACL_CHECK) && !acl_allows_rerun(&c)) {
        st->cmd_now = -1;
        unblock(b, true);
        return;
    }
    b->again = false;
    uint64_t changes = st->persist.changes;
    c.cmd->handler(&c);
    if (st->aof)
        prop_call_done(&c, st->persist.changes != changes);
    st->cmd_now = -1;
    if (!b->again)
        unblock(b, true);
}

/* Serve the waits of bk in the order they came. */
static void serve_key(struct store *st, struct kreg_key *bk)
{
    int type = live_type(st->dbs[bk->db], bk);
    /* Each waiter is a distinct client (block_for_keys), and serving one
     * unblocks only that one, so `next` survives. */
    for (struct bwait *w = bk->head, *next; w; w = next) {
        next = w->next;
        struct blocked *b = w->b;
        /* A waiter that must hear of its key's removal (XREADGROUP) runs
         * again whatever the key holds now, and answers what its command
         * answers then (NOGROUP for a missing key or group, WRONGTYPE), as
         * Redis 7.4 does (7.0 answered -UNBLOCKED). */
        if (type == b->type || (b->flags & BLOCK_ON_NOKEY)) {
            rerun(st, b, bk);
            type = live_type(st->dbs[bk->db], bk); /* it may have emptied the key */
        }
    }
}

void block_serve_ready(struct store *st)
{
    for (size_t i = 0; i < st->nready; i++) {
        struct kreg_key *bk = st->ready[i];
        bk->ready = false;
        st->serving = bk;
        serve_key(st, bk);
        st->serving = NULL;
        if (bk->head == NULL && !bk->ready)
            kreg_del(&st->blocking, bk);
    }
    st->nready = 0;
}

/* ------------------------------------------------------------------------
 * Timeouts (transport API)
 * ------------------------------------------------------------------------ */

int64_t respite_block_deadline(const struct respite *rs)
{
    const struct store *st = (const struct store *)rs;
    int64_t when = st->btimeouts.n ? st->btimeouts.a[0].when : -1;
    /* Clients held by CLIENT PAUSE wait for its end too. */
    if (st->pp_head && st->pause_mode && (when < 0 || st->pause_end_us < when))
        when = st->pause_end_us;
    /* And those a project's MAXOPS holds, for their time. */
    if (st->qp_head && (when < 0 || st->qp_next_us < when))
        when = st->qp_next_us;
    return when;
}

void respite_block_timeouts(struct respite *rs)
{
    struct store *st = (struct store *)rs;
    if (st->pp_head && !pause_active(st))
        pause_resume(st);
    if (st->qp_head)
        quota_resume(st);
    int64_t now = rs_mono_us();
    while (st->btimeouts.n && st->btimeouts.a[0].when <= now) {
        struct blocked *b = st->btimeouts.a[0].p;
        answer_timeout(b);
        unblock(b, true);
    }
}
