/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Connection and server commands: PING, ECHO, QUIT, SELECT.
 */
#include <string.h>

#include "cmd.h"
#include "ks.h"

/* PING [message] */
void cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        reply_arity(c);
        return;
    }
    if (c->argc == 2)
        resp_add_bulk_str(c->out, c->argv[1]);
    else
        resp_add_simple(c->out, "PONG", 4);
}

/* ECHO message */
void cmd_echo(struct cmd_ctx *c)
{
    resp_add_bulk_str(c->out, c->argv[1]);
}

/* QUIT -- +OK, then the transport closes the connection. */
void cmd_quit(struct cmd_ctx *c)
{
    resp_add_ok(c->out);
    c->s->flags |= SES_CLOSE_AFTER_REPLY;
}

/* SELECT index */
void cmd_select(struct cmd_ctx *c)
{
    long long idx;
    if (!arg_ll(c, c->argv[1], &idx))
        return;
    if (idx < 0 || idx >= c->st->ndbs) {
        reply_err(c, RS_ERR_DB_RANGE);
        return;
    }
    c->s->db = (int)idx;
    resp_add_ok(c->out);
}
