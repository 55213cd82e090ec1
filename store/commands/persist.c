/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Persistence as commands and the embedding API see it: SAVE, and the
 * loading of the RDB file at start (respite_load_rdb). The file format is
 * the keyspace's (keyspace/rdb_file.h); the function libraries, which live
 * in this layer, go in and out through its hooks.
 */
#include <stdio.h>

#include "commands/commands.h"
#include "commands/function.h"
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
    int rc = rdb_load(st, path, &hooks, err, errlen);
    if (rc == 0)
        st->stats.lastsave = rs_real_ms() / 1000;
    return rc;
}
