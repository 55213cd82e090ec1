/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Client-side caching (tracking.c): CLIENT TRACKING, CACHING, GETREDIR,
 * TRACKINGINFO, and the invalidation messages of Redis 7.4's tracking.c.
 * The keyspace reaches it through the touch hook (ks_touch, registered by
 * store.c), gated by st->ntracked.
 */
#ifndef TRACKING_H
#define TRACKING_H

#include "commands/commands.h"

void tracking_init(struct store *st);
/* After every session left. */
void tracking_free(struct store *st);

/* The touch hook: key changed (Redis signalModifiedKey): its default-mode
 * trackers are told now, its BCAST prefixes gather it for
 * tracking_deliver. O(trackers of key + prefixes). */
void tracking__touch(struct store *st, const char *key, size_t klen);

/* c's read-only command ran for s, a tracking client (cmd_call; a script's
 * caller for the commands the script runs): remember its keys for s,
 * unless OPTIN/OPTOUT and CLIENT CACHING say otherwise. EVAL_RO and
 * FCALL_RO (no_mandatory_keys) are left out, as Redis leaves them: the keys
 * the script reads are remembered by the commands it runs. */
void tracking__remember(struct session *s, struct cmd_ctx *c);
static inline void tracking_remember(struct session *s, struct cmd_ctx *c)
{
    if (__builtin_expect(s->trk != NULL, 0) &&
        (c->cmd->flags & (CMD_READONLY | CMD_NO_MANDATORY_KEYS)) == CMD_READONLY)
        tracking__remember(s, c);
}

/* A top-level command of s begins / ended (d: its command, NULL if it was
 * rejected before being found): the client whose changes NOLOOP skips,
 * and CLIENT CACHING's flag lasting one command or transaction. */
void tracking_cmd_begin(struct store *st, struct session *s);
void tracking_cmd_end(struct session *s, const struct cmd_def *d);

/* Keep the default mode's table within tracking-table-max-keys (0: no
 * limit) while some client tracks, as Redis's trackingLimitUsedSlots:
 * random keys are forgotten, their trackers told at once (before the
 * reply of cur's command; a NOLOOP tracker that is cur is not told),
 * at most 100 keys a call, 100 more for each call in a row that ended
 * still over the limit. Before each command (cur: its client) and at
 * each respite_tick (cur NULL). */
void tracking__limit(struct store *st, const struct session *cur);
static inline void tracking_limit(struct store *st, const struct session *cur)
{
    if (__builtin_expect(st->ntracked != 0, 0))
        tracking__limit(st, cur);
}

/* FLUSHALL / FLUSHDB: every tracking client is told that everything
 * changed (a null), and every remembered key is forgotten. */
void tracking_flushed(struct store *st);

/* Send what the BCAST prefixes gathered since the last call, one message
 * per prefix and client, its keys sorted and without repeats (Redis sends
 * them before it sleeps: respite_deliver). */
void tracking_deliver(struct store *st);

/* s stops tracking (RESET) or goes away (also breaking the redirections
 * to it). */
void tracking_reset(struct session *s);
void tracking_client_free(struct session *s);

/* CLIENT LIST: the flags t R B of s into f (returns the end), redir=. */
char *tracking_flags(const struct session *s, char *f);
long long tracking_redir(const struct session *s);

/* INFO: tracking_clients, tracking_total_keys, _items, _prefixes. */
void tracking_stats(const struct store *st, uint64_t *nclients, uint64_t *nkeys,
                    uint64_t *nitems, uint64_t *nprefixes);

#endif
