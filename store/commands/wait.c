/* SPDX-License-Identifier: BSD-3-Clause
 *
 * WAIT and WAITAOF, as Redis 7.4 answers them on a master without replicas
 * (respite does not replicate). Both count acknowledgements of the
 * client's writes up to its offset (s->woff: st->repl_off after its last
 * command that propagated, propagate.c). No replica ever acknowledges, so
 * WAIT answers 0, at once when asked for no replica, else when its time is
 * up; WAITAOF also counts the local append-only file, 1 once it is
 * fsynced up to that offset (aof_fsynced_off): asked for it alone, the
 * fsync answers it (block_serve_acks), and never while appendonly is off.
 * Inside MULTI and scripts they answer at once what they have, as Redis's
 * CLIENT_DENY_BLOCKING.
 */
#include <limits.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "keyspace/keyspace.h"

void wait_reply(struct resp_out *out, const struct session *s, bool aof)
{
    if (!aof) {
        resp_add_int(out, 0);
        return;
    }
    resp_add_array_len(out, 2);
    resp_add_int(out, aof_fsynced_off(s->st) >= s->woff);
    resp_add_int(out, 0);
}

void wait_ask_acks(struct store *st)
{
    if (st->acks_asked && !pause_active(st)) {
        st->repl_off++;
        st->acks_asked = false;
    }
}

/* WAIT numreplicas timeout -- arity 3, blocking
 * Reply: integer, the replicas that acknowledged the client's writes
 * (none), at once for numreplicas <= 0, else when timeout (ms, 0 for ever)
 * is up. */
void cmd_wait(struct cmd_ctx *c)
{
    long long numreplicas;
    int64_t timeout;
    if (!arg_ll(c, c->argv[1], &numreplicas) || !block_timeout_arg(c, c->argv[2], false, &timeout))
        return;
    if (numreplicas <= 0 || !block_for_acks(c, timeout, BLOCK_REPLICAS))
        wait_reply(c->out, c->s, false);
}

/* WAITAOF numlocal numreplicas timeout -- arity 4, blocking
 * Reply: array of two integers, whether the local append-only file is
 * fsynced up to the client's last write (0 while appendonly is off), and
 * the replicas that did so (none): at once when that meets numlocal (0 or
 * 1) and numreplicas, else when it does or timeout (ms, 0 for ever) is up.
 * numlocal 1 under appendonly no is an error, then and while it waits. */
void cmd_waitaof(struct cmd_ctx *c)
{
    long long numlocal, numreplicas;
    int64_t timeout;
    if (!arg_ll(c, c->argv[1], &numlocal))
        return;
    if (numlocal < 0 || numlocal > 1) {
        reply_err(c, RS_ERR_WAITAOF_NUMLOCAL);
        return;
    }
    if (!arg_range(c, c->argv[2], 0, LLONG_MAX, RS_ERR_NOT_POSITIVE, &numreplicas) ||
        !block_timeout_arg(c, c->argv[3], false, &timeout))
        return;
    if (numlocal && !c->st->cfg.appendonly) {
        reply_err(c, RS_ERR_WAITAOF_NO_AOF);
        return;
    }
    bool met = (!numlocal || aof_fsynced_off(c->st) >= c->s->woff) && numreplicas == 0;
    unsigned flags = BLOCK_AOF | (numlocal ? BLOCK_LOCAL : 0) | (numreplicas ? BLOCK_REPLICAS : 0);
    if (met || !block_for_acks(c, timeout, flags))
        wait_reply(c->out, c->s, true);
}
