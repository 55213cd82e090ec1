/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyspace commands: DEL, EXISTS, DBSIZE, FLUSHDB, FLUSHALL.
 */
#include <string.h>

#include "cmd.h"
#include "ks.h"

static void del_generic(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        n += ks_delete_key(c, c->db, c->argv[i]);
    resp_add_int(c->out, n);
}

/* DEL key [key ...] */
void cmd_del(struct cmd_ctx *c)
{
    del_generic(c);
}

/* UNLINK key [key ...] -- values are freed at once: respite's frees are
 * bounded per key (no nested values big enough to stall yet). */
void cmd_unlink(struct cmd_ctx *c)
{
    del_generic(c);
}

/* EXISTS key [key ...] -- a key named twice counts twice. */
void cmd_exists(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        n += ks_read(c, c->db, c->argv[i], NULL) != NULL;
    resp_add_int(c->out, n);
}

/* DBSIZE */
void cmd_dbsize(struct cmd_ctx *c)
{
    resp_add_int(c->out, (long long)ks_db_size(c->db));
}

/* [ASYNC|SYNC]: false (and a syntax error) on anything else. */
static bool flush_mode(struct cmd_ctx *c, bool *async)
{
    *async = false;
    if (c->argc == 1)
        return true;
    if (c->argc == 2 && rs_str_eqi(c->argv[1], "async")) {
        *async = true;
        return true;
    }
    if (c->argc == 2 && rs_str_eqi(c->argv[1], "sync"))
        return true;
    reply_err(c, RS_ERR_SYNTAX);
    return false;
}

/* FLUSHDB [ASYNC|SYNC] */
void cmd_flushdb(struct cmd_ctx *c)
{
    bool async;
    if (!flush_mode(c, &async))
        return;
    ks_flush_db(c->st, c->db, async);
    resp_add_ok(c->out);
}

/* FLUSHALL [ASYNC|SYNC] */
void cmd_flushall(struct cmd_ctx *c)
{
    bool async;
    if (!flush_mode(c, &async))
        return;
    for (int i = 0; i < c->st->ndbs; i++)
        ks_flush_db(c->st, c->st->dbs[i], async);
    resp_add_ok(c->out);
}
