/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Persistence as commands and the embedding API see it: SAVE, the
 * loading of the RDB file at start (respite_load_rdb), DEBUG RELOAD. The file format is
 * the keyspace's (keyspace/rdb_file.h); the function libraries, which live
 * in this layer, go in and out through its hooks.
 */
#include <stdio.h>

#include "commands/commands.h"
#include "commands/function.h"
#include "commands/tracking.h"
#include "keyspace/rdb_file.h"

static const struct rdb_hooks hooks = {
    .put_functions = function_rdb_put,
    .load_function = function_rdb_load,
};

/* <dir>/<dbfilename> into buf. */
static void rdb_path(const struct store *st, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", st->cfg.dir, st->cfg.dbfilename);
}

/* SAVE: the RDB file, written before the reply. */
void cmd_save(struct cmd_ctx *c)
{
    char path[2048], err[512];
    rdb_path(c->st, path, sizeof path);
    if (rdb_save(c->st, path, &hooks, err, sizeof err) != 0) {
        reply_errf(c, "ERR %s", err);
        return;
    }
    c->st->stats.lastsave = rs_real_ms() / 1000;
    resp_add_ok(c->out);
}

int respite_load_rdb(struct respite *rs, char *err, size_t errlen)
{
    struct store *st = (struct store *)rs;
    char path[2048];
    rdb_path(st, path, sizeof path);
    int rc = rdb_load(st, path, &hooks, false, err, errlen);
    if (rc == 0)
        st->stats.lastsave = rs_real_ms() / 1000;
    return rc;
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis: save the RDB file
 * (unless NOSAVE), empty every database and the function libraries (unless
 * NOFLUSH), load the file back (MERGE: a key already there takes the
 * file's value). Keys, their TTLs and the TTLs of fields and members come
 * back as SAVE wrote them. O(dataset); the store is blocked meanwhile. */
void debug_reload(struct cmd_ctx *c)
{
    bool merge = false, flush = true, save = true;
    for (int j = 2; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "merge")) {
            merge = true;
        } else if (rs_str_eqi(c->argv[j], "noflush")) {
            flush = false;
        } else if (rs_str_eqi(c->argv[j], "nosave")) {
            save = false;
        } else {
            reply_err(c, RS_ERR_DEBUG_RELOAD_OPTION);
            return;
        }
    }
    struct store *st = c->st;
    char path[2048], err[512];
    rdb_path(st, path, sizeof path);
    if (save) {
        if (rdb_save(st, path, &hooks, err, sizeof err) != 0) {
            reply_err(c, RS_ERR_PLAIN);
            return;
        }
        st->stats.lastsave = rs_real_ms() / 1000;
    }
    if (flush) {
        for (int i = 0; i < st->ndbs; i++)
            ks_flush_db(st, st->dbs[i], false);
        functions_free(st);
        tracking_flushed(st);
    }
    if (rdb_load(st, path, &hooks, merge, err, sizeof err) != 0) {
        reply_err(c, RS_ERR_DEBUG_RELOAD_LOAD);
        return;
    }
    resp_add_ok(c->out);
}
