/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PROJECT: respite's own commands over project shards (DESIGN.md, "Keyspace
 * and project shards"). A key "project:<id>:..." or "project:{<id>}:..."
 * lives in the shard of project <id> of its database; these commands list
 * the projects of the selected database and report one project's counters
 * (ks.h struct ks_proj), which the keyspace keeps as it goes, so every
 * reply is O(1) per project; PROJECT DROP removes a whole project from
 * every database at once (ks_project_drop).
 */
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

/* PROJECT INFO id -- a map of keys, bytes (of keys and values), expiring
 * keys and commands (that named a key of the project first). A project
 * with no shard in this database has all four at zero. */
void cmd_project_info(struct cmd_ctx *c)
{
    struct ks_proj p;
    if (project_hidden(c, c->argv[2])) {
        reply_err(c, RS_ERR_PROJECT_NOPERM);
        return;
    }
    /* A project whose keys all went: as if it never had any. */
    bool has = ks_project(c->db, c->argv[2], &p) && ks_proj_keys(&p) > 0;
    resp_add_map_len(c->out, 4);
    resp_add_bulk_cstr(c->out, "keys");
    resp_add_int(c->out, has ? (long long)ks_proj_keys(&p) : 0);
    resp_add_bulk_cstr(c->out, "bytes");
    resp_add_int(c->out, has ? (long long)ks_proj_bytes(&p) : 0);
    resp_add_bulk_cstr(c->out, "expiring_keys");
    resp_add_int(c->out, has ? (long long)ks_proj_expiring(&p) : 0);
    resp_add_bulk_cstr(c->out, "commands");
    resp_add_int(c->out, has ? (long long)ks_proj_commands(&p) : 0);
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
 * counts the keys, as DEL and FLUSHALL do; the AOF logs the command. */
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
        "    current database (zeros for a project without keys).",
        "DROP <id>",
        "    Delete every key of project <id> in every database at once (freed in the",
        "    background); return the number of keys deleted.",
        NULL,
    };
    reply_help(c, "PROJECT", lines);
}
