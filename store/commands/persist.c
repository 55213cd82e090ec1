/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Persistence as commands and the embedding API see it: SAVE,
 * BGREWRITEAOF, and the loading of the RDB file at start (respite_load,
 * which aof.c holds, loads the append-only files instead under
 * appendonly yes). The file format is
 * the keyspace's (keyspace/rdb_file.h); the function libraries, which live
 * in this layer, go in and out through its hooks.
 */
#include <stdio.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/function.h"
#include "keyspace/rdb_file.h"

const struct rdb_hooks persist_rdb_hooks = {
    .put_functions = function_rdb_put,
    .load_function = function_rdb_load,
    .each_function = function_each,
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
    if (rdb_save(c->st, path, &persist_rdb_hooks, err, sizeof err) != 0) {
        reply_errf(c, "ERR %s", err);
        return;
    }
    c->st->stats.lastsave = rs_real_ms() / 1000;
    resp_add_ok(c->out);
}

/* BGREWRITEAOF: a child writes the next base (aof.c); under appendonly
 * no, Redis's reply for a rewrite with nothing to write. */
void cmd_bgrewriteaof(struct cmd_ctx *c)
{
    char err[512];
    if (c->st->aof == NULL) {
        reply_errf(c, "ERR Background append only file rewriting is only possible with "
                      "appendonly yes in respite");
        return;
    }
    int rc = aof_rewrite_start(c->st, err, sizeof err);
    if (rc < 0) {
        reply_errf(c, "ERR %s", err);
        return;
    }
    static const char started[] = "Background append only file rewriting started";
    static const char scheduled[] = "Background append only file rewriting scheduled";
    if (rc == 0)
        resp_add_simple(c->out, started, sizeof started - 1);
    else
        resp_add_simple(c->out, scheduled, sizeof scheduled - 1);
}

int persist_load_rdb(struct store *st, char *err, size_t errlen)
{
    char path[2048];
    rdb_path(st, path, sizeof path);
    int rc = rdb_load(st, path, &persist_rdb_hooks, err, errlen);
    if (rc == 0)
        st->stats.lastsave = rs_real_ms() / 1000;
    return rc;
}
