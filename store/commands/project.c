/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PROJECT: respite's own commands over project shards (DESIGN.md, "Keyspace
 * and project shards"). A key "project:<id>:..." or "project:{<id>}:..."
 * lives in the shard of project <id> of its database; these commands list
 * the projects of the selected database and report one project's counters
 * (ks.h struct ks_proj), which the keyspace keeps as it goes, so every
 * reply is O(1) per project; PROJECT DROP removes a whole project from
 * every database at once (ks_project_drop); PROJECT QUOTA sets the limits
 * of a project id (keyspace/quota.c), which commands/quota.c enforces.
 */
#include <limits.h>
#include <stdio.h>

#include "commands/acl.h"
#include "commands/commands.h"
#include "commands/tracking.h"
#include "keyspace/keyspace.h"

struct list_walk {
    struct cmd_ctx *c;
    long long n;
    bool reply; /* false: count the projects with keys; true: reply their ids */
};

/* A project user (commands/acl.h) sees only its own projects: of any
 * other, PROJECT INFO and DROP answer NOPERM whether it exists or not. */
static bool project_hidden(const struct cmd_ctx *c, struct rs_str id)
{
    return (c->s->flags & SES_PROJECT) && !acl_in_projects(c->s, id);
}

static void list_cb(void *ud, const struct ks_proj *p)
{
    struct list_walk *w = ud;
    if (ks_proj_keys(p) == 0 || project_hidden(w->c, ks_proj_id(p)))
        return;
    w->n++;
    if (w->reply)
        resp_add_bulk_str(w->c->out, ks_proj_id(p));
}

/* PROJECT LIST -- the ids of the projects that have keys in the selected
 * database, in the order they were created. */
void cmd_project_list(struct cmd_ctx *c)
{
    struct list_walk w = {c, 0, false};
    ks_foreach_project(c->db, false, list_cb, &w);
    resp_add_array_len(c->out, w.n);
    w.reply = true;
    ks_foreach_project(c->db, false, list_cb, &w);
}

/* The three limits of q (zeros without a record) as map entries. */
static void add_limits(struct cmd_ctx *c, const struct ks_quota *q)
{
    resp_add_bulk_cstr(c->out, "maxmemory");
    resp_add_int(c->out, q ? (long long)q->maxmemory : 0);
    resp_add_bulk_cstr(c->out, "maxkeys");
    resp_add_int(c->out, q ? (long long)q->maxkeys : 0);
    resp_add_bulk_cstr(c->out, "maxops");
    resp_add_int(c->out, q ? (long long)q->maxops : 0);
}

/* PROJECT INFO id -- a map of keys, bytes (of keys and values), expiring
 * keys and commands (that named a key of the project first) in the
 * selected database; then usage against quota, across every database:
 * total_keys and total_bytes, the three limits (0 none), and the commands
 * MAXOPS delayed and MAXMEMORY or MAXKEYS refused. A project with no shard
 * in this database has the first four at zero. O(databases). */
void cmd_project_info(struct cmd_ctx *c)
{
    struct ks_proj p;
    if (project_hidden(c, c->argv[2])) {
        reply_err(c, RS_ERR_PROJECT_NOPERM);
        return;
    }
    /* A project whose keys all went: as if it never had any. */
    bool has = ks_project(c->db, c->argv[2], &p) && ks_proj_keys(&p) > 0;
    const struct ks_quota *q = ks_quota_find(c->st, c->argv[2]);
    uint64_t keys, bytes;
    ks_quota_usage(c->st, c->argv[2], &keys, &bytes);
    resp_add_map_len(c->out, 11);
    resp_add_bulk_cstr(c->out, "keys");
    resp_add_int(c->out, has ? (long long)ks_proj_keys(&p) : 0);
    resp_add_bulk_cstr(c->out, "bytes");
    resp_add_int(c->out, has ? (long long)ks_proj_bytes(&p) : 0);
    resp_add_bulk_cstr(c->out, "expiring_keys");
    resp_add_int(c->out, has ? (long long)ks_proj_expiring(&p) : 0);
    resp_add_bulk_cstr(c->out, "commands");
    resp_add_int(c->out, has ? (long long)ks_proj_commands(&p) : 0);
    resp_add_bulk_cstr(c->out, "total_keys");
    resp_add_int(c->out, (long long)keys);
    resp_add_bulk_cstr(c->out, "total_bytes");
    resp_add_int(c->out, (long long)bytes);
    add_limits(c, q);
    resp_add_bulk_cstr(c->out, "delayed_commands");
    resp_add_int(c->out, q ? (long long)q->delayed : 0);
    resp_add_bulk_cstr(c->out, "refused_commands");
    resp_add_int(c->out, q ? (long long)q->refused : 0);
}

/* PROJECT QUOTA id [MAXMEMORY bytes] [MAXKEYS n] [MAXOPS per-second] --
 * (@admin: a project user runs it only if granted, and then only on its
 * own projects, as PROJECT INFO) without options, the map of the project's three limits (0: none); with
 * some, those are set (the others kept) and the reply is OK. Each value is
 * an integer >= 0; an unknown option, or one without its value, is a
 * syntax error. Logged (AOF) as the whole new state, so a replay sets
 * the same limits. */
void cmd_project_quota(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct rs_str id = c->argv[2];
    if (project_hidden(c, id)) {
        reply_err(c, RS_ERR_PROJECT_NOPERM);
        return;
    }
    const struct ks_quota *q = ks_quota_find(st, id);
    if (c->argc == 3) {
        resp_add_map_len(c->out, 3);
        add_limits(c, q);
        return;
    }
    static const char *const names[3] = {"maxmemory", "maxkeys", "maxops"};
    long long v[3] = {q ? (long long)q->maxmemory : 0, q ? (long long)q->maxkeys : 0,
                      q ? (long long)q->maxops : 0};
    for (int i = 3; i < c->argc; i += 2) {
        int k = 0;
        while (k < 3 && !rs_str_eqi(c->argv[i], names[k]))
            k++;
        if (k == 3 || i + 1 == c->argc) {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
        if (!arg_range(c, c->argv[i + 1], 0, LLONG_MAX, RS_ERR_NOT_INT, &v[k]))
            return;
    }
    ks_quota_set(st, id, (uint64_t)v[0], (uint64_t)v[1], (uint64_t)v[2]);
    ks_dirty(st, 1);
    if (prop_on(st))
        prop_addf(c, "ccscicici", "PROJECT", "QUOTA", id, "MAXMEMORY", v[0], "MAXKEYS", v[1],
                  "MAXOPS", v[2]);
    resp_add_ok(c->out);
}

/* The one event of a PROJECT DROP that removed keys of db: the id on
 * __keyevent@<db>__:project_drop, class g. No keyspace channel: the id is
 * no key, and one message per key is what the drop avoids. */
static void notify_drop(struct db *db, struct rs_str id)
{
    int need = NOTIFY_KEYEVENT | NOTIFY_GENERIC;
    if ((db->st->cfg.notify_mask & need) != need)
        return;
    char chan[64];
    int n = snprintf(chan, sizeof chan, "__keyevent@%d__:project_drop", db->idx);
    struct ks_event about = {id, true};
    ks_publish(db->st, rs_str_from(chan, (size_t)n), id, &about);
}

/* PROJECT DROP id -- every key of project id, in every database, gone at
 * once: the number of keys dropped. Watchers of those keys fail their
 * EXEC, waiters hear of deleted keys (list and zset pops wait on, as after
 * DEL), tracking clients are told as for a flush (a null: their keys are
 * not listed, as they are not walked), one event per database. Dirty
 * counts the keys, as DEL and FLUSHALL do; the AOF logs the command. The
 * project's quotas stay: they belong to the id (PROJECT QUOTA id clears
 * them). */
void cmd_project_drop(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct rs_str id = c->argv[2];
    uint64_t total = 0;
    if (project_hidden(c, id)) {
        reply_err(c, RS_ERR_PROJECT_NOPERM);
        return;
    }
    for (int i = 0; i < st->ndbs; i++) {
        struct db *db = st->dbs[i];
        struct ks_proj p;
        if (!ks_project(db, id, &p) || ks_proj_keys(&p) == 0)
            continue;
        multi_touch_project(db, id); /* while the keys are there to be found */
        block_signal_project(db, id);
        total += ks_project_drop(db, id);
        notify_drop(db, id);
    }
    if (total > 0) {
        ks_dirty(st, total);
        tracking_flushed(st);
    }
    resp_add_int(c->out, (long long)total);
}

/* PROJECT HELP */
void cmd_project_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "LIST",
        "    Return the ids of the projects that have keys in the current database.",
        "INFO <id>",
        "    Return the keys, bytes, expiring keys and commands of project <id> in the",
        "    current database (zeros for a project without keys), then its keys and",
        "    bytes in every database against its quotas.",
        "QUOTA <id> [MAXMEMORY <bytes>] [MAXKEYS <count>] [MAXOPS <per-second>]",
        "    Set the quotas of project <id> across every database (0: no limit), or",
        "    without options return them. A write over MAXMEMORY or MAXKEYS gets -OOM;",
        "    commands over MAXOPS wait until the project's rate allows them.",
        "DROP <id>",
        "    Delete every key of project <id> in every database at once (freed in the",
        "    background); return the number of keys deleted.",
        NULL,
    };
    reply_help(c, "PROJECT", lines);
}
