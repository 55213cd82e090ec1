/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What project quotas (PROJECT QUOTA, keyspace/quota.c) do to a command,
 * checked by the engine (store.c run) only while some quota is set
 * (st->quotas.n, the one test every command pays otherwise).
 *
 * The keys of the command are found through its key specs (as ACL finds
 * them); a key of a project with a record makes the command that
 * project's:
 *   - MAXMEMORY: a denyoom command (by cmd_flags_of: a script by its
 *     shebang flags) into a project whose bytes in every database are at
 *     or over the quota is refused with -OOM, as Redis refuses one over
 *     maxmemory;
 *   - MAXKEYS: a command refused -OOM when the keys it may create in the
 *     project (keys it names that do not exist, at positions whose key
 *     spec writes without deleting and either inserts, overwrites, or
 *     belongs to a denyoom command), on top of the project's keys in every
 *     database, would pass the quota;
 *   - MAXOPS: a token bucket of maxops tokens refilled at maxops a second;
 *     a command that names a key of the project takes one, and waits (held
 *     as CLIENT PAUSE holds one, pause.c) while the bucket has less than
 *     one. Waiting slows only that project's clients: the loop goes on
 *     serving the others.
 * EXEC is checked as a whole, as Redis checks maxmemory at EXEC: the
 * queued commands' keys together (each queued command was checked alone
 * when it was queued too, so a refusal there aborts the EXEC), and one
 * token per queued command of the project, taken at once (the bucket may
 * go below zero: the next commands wait for it to refill). A script is
 * checked at start by its flags and declared keys; a script without a
 * shebang, as Redis's scriptVerifyOOM, per redis.call until its first
 * write (quota_script_refusal). Nothing is checked while the append-only
 * file loads: its commands were accepted once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "commands/introspect.h"
#include "ds/mem.h"

/* The key plans of the commands (cmd_key_plan), found on first use, and
 * the buffers of one check. */
struct quota_plans {
    struct cmd_key_plan *plans;
    uint8_t *planned;
    struct cmd_key *keys;
    int kcap;
    /* the projects with a record that the command touches */
    struct touched {
        struct ks_quota *q;
        uint64_t ops;     /* commands of it that take a token */
        uint64_t by;      /* the last command (ncollected) that took one */
        bool denyoom;     /* a denyoom command writes to it */
    } *t;
    int nt, tcap;
    uint64_t ncollected; /* the commands collect looked at, ever */
    /* the missing keys it may create: project (index in t) and key */
    struct missing {
        int t;
        struct rs_str key;
    } *m;
    int nm, mcap;
};

void quota_free(struct store *st)
{
    struct quota_plans *qp = st->qplans;
    if (qp == NULL)
        return;
    rs_free(qp->plans);
    rs_free(qp->planned);
    rs_free(qp->keys);
    rs_free(qp->t);
    rs_free(qp->m);
    rs_free(qp);
    st->qplans = NULL;
}

static struct quota_plans *plans_of(struct store *st)
{
    if (st->qplans == NULL) {
        struct quota_plans *qp = rs_calloc(1, sizeof *qp);
        qp->plans = rs_calloc((size_t)cmd_table_size(), sizeof *qp->plans);
        qp->planned = rs_calloc((size_t)cmd_table_size(), 1);
        st->qplans = qp;
    }
    return st->qplans;
}

/* The entry of q in the touched list (added if new). */
static struct touched *touch(struct quota_plans *qp, struct ks_quota *q, int *at)
{
    for (int i = 0; i < qp->nt; i++) {
        if (qp->t[i].q == q) {
            *at = i;
            return &qp->t[i];
        }
    }
    if (qp->nt == qp->tcap) {
        qp->tcap = qp->tcap ? qp->tcap * 2 : 4;
        qp->t = rs_realloc(qp->t, (size_t)qp->tcap * sizeof *qp->t);
    }
    *at = qp->nt;
    qp->t[qp->nt] = (struct touched){q, 0, 0, false};
    return &qp->t[qp->nt++];
}

/* May a write through a key of this spec create the key? */
static bool may_create(const struct cmd_key *k, uint32_t flags)
{
    if (!(k->perm & KEY_PERM_WRITE) || strstr(k->flags, "delete"))
        return false;
    return (flags & CMD_DENYOOM) || strstr(k->flags, "insert") || strncmp(k->flags, "OW", 2) == 0;
}

/* Note what d's command line argv[0..argc), running with flags in db,
 * does to projects with quotas; ops: it takes a token of each. */
static void collect(struct store *st, struct db *db, const struct cmd_def *d, uint32_t flags,
                    const struct rs_str *argv, int argc, bool ops, int64_t now)
{
    struct quota_plans *qp = plans_of(st);
    int id = cmd_index(d);
    if (!qp->planned[id]) {
        cmd_key_plan(d, &qp->plans[id]);
        qp->planned[id] = 1;
    }
    if (qp->plans[id].nkeyspecs == 0)
        return;
    int n = cmd_find_keys(d, &qp->plans[id], argv, argc, &qp->keys, &qp->kcap);
    uint64_t me = ++qp->ncollected;
    for (int i = 0; i < n; i++) {
        struct rs_str key = argv[qp->keys[i].pos], pid;
        struct ks_quota *q;
        if (!ks_project_id(key, &pid) || (q = ks_quota_find(st, pid)) == NULL)
            continue;
        int at;
        struct touched *t = touch(qp, q, &at);
        if (ops && t->by != me) { /* one token a command, however many of its keys */
            t->ops++;
            t->by = me;
        }
        if ((flags & CMD_DENYOOM) && (qp->keys[i].perm & KEY_PERM_WRITE))
            t->denyoom = true;
        if (q->maxkeys == 0 || !may_create(&qp->keys[i], flags))
            continue;
        struct shard *sh;
        struct entry *e = ks_get(db, key, &sh);
        if (e && ks_is_live(sh, e, now))
            continue;
        if (qp->nm == qp->mcap) {
            qp->mcap = qp->mcap ? qp->mcap * 2 : 8;
            qp->m = rs_realloc(qp->m, (size_t)qp->mcap * sizeof *qp->m);
        }
        qp->m[qp->nm++] = (struct missing){at, key};
    }
}

static int missing_cmp(const void *a, const void *b)
{
    const struct missing *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return rs_str_cmp(x->key, y->key);
}

/* The id of q for an error text: printable bytes, at most 64 of them. */
static void print_id(const struct ks_quota *q, char *buf)
{
    uint32_t n = q->idlen < 64 ? q->idlen : 64;
    for (uint32_t i = 0; i < n; i++)
        buf[i] = q->id[i] >= 0x20 && q->id[i] < 0x7f && q->id[i] != '\'' ? q->id[i] : '?';
    buf[n] = '\0';
}

/* Refill q's bucket to now (monotonic us). */
static void refill(struct ks_quota *q, int64_t now)
{
    if (now > q->refill_us) {
        q->tokens += (double)(now - q->refill_us) * (double)q->maxops / 1e6;
        if (q->tokens > (double)q->maxops)
            q->tokens = (double)q->maxops;
        q->refill_us = now;
    }
}

/* The verdict on what collect noted, at now (the command's monotonic
 * start, us): a refusal's text into text, or a wait in *until; else the
 * tokens are taken. */
static bool judge(struct store *st, struct quota_plans *qp, int64_t now, int64_t *until,
                  char *text, size_t size)
{
    char id[65];
    if (qp->nm > 1)
        qsort(qp->m, (size_t)qp->nm, sizeof *qp->m, missing_cmp);
    for (int i = 0; i < qp->nt; i++) {
        struct touched *t = &qp->t[i];
        struct ks_quota *q = t->q;
        uint64_t creates = 0;
        for (int j = 0; j < qp->nm; j++)
            creates += qp->m[j].t == i && (j == 0 || missing_cmp(&qp->m[j - 1], &qp->m[j]) != 0);
        if (!(q->maxmemory && t->denyoom) && !(q->maxkeys && creates))
            continue;
        uint64_t keys, bytes;
        ks_quota_usage(st, rs_str_from(q->id, q->idlen), &keys, &bytes);
        if (q->maxmemory && t->denyoom && bytes >= q->maxmemory) {
            print_id(q, id);
            snprintf(text, size, rs_err_text[RS_ERR_QUOTA_MEMORY], id,
                     (unsigned long long)bytes, (unsigned long long)q->maxmemory);
        } else if (q->maxkeys && creates && keys + creates > q->maxkeys) {
            print_id(q, id);
            snprintf(text, size, rs_err_text[RS_ERR_QUOTA_KEYS], id, (unsigned long long)keys,
                     (unsigned long long)creates, (unsigned long long)q->maxkeys);
        } else {
            continue;
        }
        q->refused++;
        return true;
    }
    /* Tokens: all or none, so a command held for one project takes none
     * of another's. */
    int64_t wait = 0;
    for (int i = 0; i < qp->nt; i++) {
        struct ks_quota *q = qp->t[i].q;
        if (q->maxops == 0 || qp->t[i].ops == 0)
            continue;
        refill(q, now);
        if (q->tokens < 1) {
            int64_t w = (int64_t)((1 - q->tokens) * 1e6 / (double)q->maxops) + 1;
            if (w > wait)
                wait = w;
        }
    }
    if (wait) {
        *until = now + wait;
        for (int i = 0; i < qp->nt; i++)
            qp->t[i].q->delayed += qp->t[i].q->maxops && qp->t[i].ops;
        return false;
    }
    for (int i = 0; i < qp->nt; i++)
        if (qp->t[i].q->maxops)
            qp->t[i].q->tokens -= (double)qp->t[i].ops;
    return false;
}

int quota_check(struct cmd_ctx *c, char *text, size_t size)
{
    struct store *st = c->st;
    struct session *s = c->s;
    if ((s->flags & SES_REPLAY) || st->persist.loading)
        return QUOTA_RUN;
    struct quota_plans *qp = plans_of(st);
    qp->nt = qp->nm = 0;
    /* A command can wait only with a transport to resume it; one being
     * queued does not run yet (EXEC takes its token). */
    bool ops = pause_can_hold(c) && !st->script_busy;
    if (c->cmd->handler == cmd_exec) {
        for (int i = 0; i < multi_count(s); i++) {
            int argc;
            const struct cmd_def *d;
            const struct rs_str *argv = multi_queued(s, i, &d, &argc);
            collect(st, c->db, d, d->flags, argv, argc, ops, c->now);
        }
    } else {
        bool queued = s->mq && !multi_runs_at_once(c->cmd);
        collect(st, c->db, c->cmd, cmd_flags_of(c), c->argv, c->argc, ops && !queued, c->now);
    }
    int64_t until = 0;
    if (qp->nt == 0)
        return QUOTA_RUN;
    if (judge(st, qp, c->t0_us, &until, text, size))
        return QUOTA_REFUSED;
    if (until == 0)
        return QUOTA_RUN;
    quota_postpone(c, until);
    return QUOTA_HELD;
}

const char *quota_script_refusal(const struct cmd_ctx *sub, char *text, size_t size)
{
    struct store *st = sub->st;
    if (st->persist.loading)
        return NULL;
    struct quota_plans *qp = plans_of(st);
    qp->nt = qp->nm = 0;
    collect(st, sub->db, sub->cmd, sub->cmd->flags, sub->argv, sub->argc, false, sub->now);
    int64_t until = 0;
    return qp->nt && judge(st, qp, sub->t0_us, &until, text, size) ? text : NULL;
}
