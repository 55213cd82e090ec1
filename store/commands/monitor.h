/* SPDX-License-Identifier: BSD-3-Clause
 *
 * MONITOR (monitor.c): clients that see every command the server runs, as
 * Redis 7.4's replicationFeedMonitors shows them.
 */
#ifndef MONITOR_H
#define MONITOR_H

#include "commands/commands.h"

/* c's command ran (cmd_call): show it to every monitor unless its flags
 * hide it (admin, skip-monitor). The caller checks st->nmonitors first, so
 * a server nobody monitors pays that one branch. O(argv bytes + monitors). */
void monitor__feed(struct cmd_ctx *c);

static inline void monitor_feed(struct cmd_ctx *c)
{
    if (__builtin_expect(c->st->nmonitors != 0, 0))
        monitor__feed(c);
}

/* Show argv[i] of c's command to monitors as "(redacted)" (AUTH and
 * HELLO's passwords). The handler reads the argument before: c->argv[i]
 * points elsewhere after the call. */
void monitor_redact(struct cmd_ctx *c, int i);

/* Whether a monitor may run d: as a Redis replica, none that reads or
 * writes the keyspace. */
bool monitor_allows(const struct session *s, const struct cmd_def *d);

/* s stops monitoring (RESET, disconnect); nothing if it was not. */
void monitor_stop(struct session *s);

/* Free the store's monitor list (respite_close, after every session left). */
void monitor_free(struct store *st);

#endif
