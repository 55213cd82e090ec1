/* SPDX-License-Identifier: BSD-3-Clause
 *
 * CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE, as Redis 7.4.
 *
 * While a pause is on, the command of a client that it holds (every
 * command under ALL; under WRITE those flagged write or may-replicate, an
 * EXEC of such, EVAL/EVALSHA/FCALL unless the script or function declares
 * no-writes) does not run: the session keeps a copy of it (struct
 * postponed) in the store's queue, and counts as blocked (flag b,
 * blocked_clients, RESPITE_BLOCKED for the transport, which runs nothing
 * more of it). Expiry (active and lazy deletion: a lookup finds no key
 * past its deadline but leaves it, keyspace.c) and eviction wait too; the
 * test of the pause, pause_active, is the keyspace's.
 *
 * The pause ends with CLIENT UNPAUSE or when its time is up -- seen by the
 * next command (pause_holds), by respite_block_timeouts (the transport's
 * timer, armed for the end through respite_block_deadline) and by
 * respite_tick. The held commands then run in the order they came,
 * through the engine's run (st->run_postponed), after the command that
 * ended it; each client is told (io->unblocked) so its transport runs
 * what it sent meanwhile. A held command may be held again by a new
 * pause.
 *
 * A project's MAXOPS (quota.c) holds commands the same way, in a queue of
 * its own (st->qp_head) where each waits until its time (until_us): the
 * transport's timer is armed for the earliest (respite_block_deadline), and
 * quota_resume runs those whose time came, which check their quota again.
 */
#include <string.h>

#include "commands/commands.h"
#include "commands/introspect.h"
#include "ds/mem.h"
#include "ds/util.h"

struct postponed {
    struct session *s;
    struct postponed *next;
    int argc;
    struct rs_str *argv; /* a copy (argv_dup) */
    size_t bytes;        /* the arguments' bytes: CLIENT LIST argv-mem */
    int64_t until_us;    /* held by a MAXOPS quota until then (monotonic), 0 by a pause */
};

/* Under WRITE: whether c's command may write (a script or function by its
 * flags, as Redis's getCommandFlags tells). */
static bool may_write(struct cmd_ctx *c)
{
    if (c->cmd->handler == cmd_exec)
        return multi_may_write(c->s);
    return (cmd_flags_of(c) & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
}

bool pause_holds(struct cmd_ctx *c)
{
    /* Without a transport that hears of the end, nothing can wait. */
    if (!pause_active(c->st) || !pause_can_hold(c))
        return false;
    return c->st->pause_mode == PAUSE_ALL || may_write(c);
}

/* Hold c's command at the tail of the queue *head..*tail. */
static void postpone(struct cmd_ctx *c, struct postponed **head, struct postponed **tail,
                     int64_t until_us)
{
    struct store *st = c->st;
    struct postponed *p = rs_calloc(1, sizeof *p);
    p->s = c->s;
    p->argc = c->argc;
    p->argv = argv_dup(c->argc, c->argv, &p->bytes);
    p->until_us = until_us;
    if (*tail)
        (*tail)->next = p;
    else
        *head = p;
    *tail = p;
    c->s->pp = p;
    c->s->flags |= SES_WAITING;
    st->stats.blocked_clients++;
}

void pause_postpone(struct cmd_ctx *c)
{
    postpone(c, &c->st->pp_head, &c->st->pp_tail, 0);
}

bool pause_can_hold(const struct cmd_ctx *c)
{
    return c->s->io && c->s->io->unblocked;
}

void quota_postpone(struct cmd_ctx *c, int64_t until_us)
{
    struct store *st = c->st;
    if (st->qp_head == NULL || until_us < st->qp_next_us)
        st->qp_next_us = until_us;
    postpone(c, &st->qp_head, &st->qp_tail, until_us);
}

size_t pause_argv_mem(const struct session *s)
{
    return s->pp ? s->pp->bytes : 0;
}

void pause_cancel(struct session *s)
{
    struct postponed *p = s->pp;
    if (p == NULL)
        return;
    struct store *st = s->st;
    struct postponed **head = p->until_us ? &st->qp_head : &st->pp_head;
    struct postponed **tail = p->until_us ? &st->qp_tail : &st->pp_tail;
    struct postponed *prev = NULL;
    for (struct postponed *q = *head; q != p; q = q->next)
        prev = q;
    if (prev)
        prev->next = p->next;
    else
        *head = p->next;
    if (*tail == p)
        *tail = prev;
    s->pp = NULL;
    s->flags &= ~(uint32_t)SES_WAITING;
    st->stats.blocked_clients--;
    rs_free(p->argv);
    rs_free(p);
}

/* Run the held command p, taken off its queue. */
static void resume_one(struct store *st, struct postponed *p)
{
    struct session *s = p->s;
    s->pp = NULL;
    s->flags &= ~(uint32_t)SES_WAITING;
    st->stats.blocked_clients--;
    st->run_postponed(s, p->argc, p->argv);
    rs_free(p->argv);
    rs_free(p);
    /* Held again, or blocked by its command (BLPOP): told later. */
    if (s->pp == NULL && s->blk == NULL && !(s->flags & SES_KILLED))
        s->io->unblocked(s->io_ud);
}

void pause_resume(struct store *st)
{
    /* The queue as it is now: a command held again joins a new one. */
    struct postponed *list = st->pp_head;
    st->pp_head = st->pp_tail = NULL;
    while (list) {
        struct postponed *p = list;
        list = p->next;
        resume_one(st, p);
    }
}

void quota_resume(struct store *st)
{
    int64_t now = rs_mono_us();
    if (st->qp_head == NULL || st->qp_next_us > now)
        return;
    /* Those whose time came leave the queue, in the order they came; the
     * others stay. A command held again joins the queue's tail. */
    struct postponed *due = NULL, **due_tail = &due, *prev = NULL;
    st->qp_next_us = INT64_MAX;
    for (struct postponed *p = st->qp_head, *next; p; p = next) {
        next = p->next;
        if (p->until_us > now) {
            if (p->until_us < st->qp_next_us)
                st->qp_next_us = p->until_us;
            prev = p;
            continue;
        }
        if (prev)
            prev->next = next;
        else
            st->qp_head = next;
        if (st->qp_tail == p)
            st->qp_tail = prev;
        p->next = NULL;
        *due_tail = p;
        due_tail = &p->next;
    }
    while (due) {
        struct postponed *p = due;
        due = p->next;
        resume_one(st, p);
    }
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* CLIENT PAUSE timeout [WRITE|ALL] -- timeout in milliseconds; a pause
 * already on is only ever made longer or wider, as in Redis. */
void cmd_client_pause(struct cmd_ctx *c)
{
    if (c->argc > 4) {
        reply_subcmd_syntax(c);
        return;
    }
    int64_t ms;
    if (!block_timeout_arg(c, c->argv[2], false, &ms))
        return;
    int mode = PAUSE_ALL;
    if (c->argc == 4) {
        if (rs_str_eqi(c->argv[3], "write")) {
            mode = PAUSE_WRITE;
        } else if (!rs_str_eqi(c->argv[3], "all")) {
            reply_err(c, RS_ERR_PAUSE_MODE);
            return;
        }
    }
    struct store *st = c->st;
    int64_t end = ms > (INT64_MAX - c->t0_us) / 1000 ? INT64_MAX : c->t0_us + ms * 1000;
    if (!pause_active(st)) {
        st->pause_mode = mode;
        st->pause_end_us = end;
    } else {
        if (mode > st->pause_mode)
            st->pause_mode = mode;
        if (end > st->pause_end_us)
            st->pause_end_us = end;
    }
    resp_add_ok(c->out);
}

/* CLIENT UNPAUSE -- the held commands run after this one. */
void cmd_client_unpause(struct cmd_ctx *c)
{
    c->st->pause_mode = 0;
    resp_add_ok(c->out);
}
