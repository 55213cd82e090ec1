/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Pub/Sub (pubsub.c): the channels, patterns and shard channels clients
 * subscribe to, and the delivery of published messages to them. Only
 * store/ includes this header; the keyspace publishes through the hook
 * ks_publish (store_int.h), which pubsub_init registers.
 */
#ifndef PUBSUB_H
#define PUBSUB_H

#include "keyspace/state.h"

/* The kinds of subscription: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE. */
enum ps_kind { PS_CHANNEL = 0, PS_PATTERN, PS_SHARD, PS__KINDS };

/* Create and free the store's registry (st->ps). pubsub_free runs after
 * every session left. */
void pubsub_init(struct store *st);
void pubsub_free(struct store *st);

/* s goes away: leave every channel, pattern and shard channel at once,
 * without confirmations; nothing is delivered to s after it. O(its
 * subscriptions). */
void pubsub_client_free(struct session *s);

/* RESET: leave everything, without confirmations, as Redis's RESET. */
void pubsub_reset(struct session *s);

/* Subscriptions of s of one kind (CLIENT LIST sub= psub= ssub=). */
uint64_t pubsub_count(const struct session *s, enum ps_kind kind);

/* Does fn return true for one of s's subscriptions (its kind and name)?
 * O(its subscriptions). */
bool pubsub_any(const struct session *s,
                bool (*fn)(void *ud, enum ps_kind kind, struct rs_str name), void *ud);

/* Whether s is subscribed to anything (the pubsub client class, flag P). */
bool pubsub_is_subscriber(const struct session *s);

/* A command of s begins: messages published to s until pubsub_cmd_end
 * wait and follow the command's reply, as Redis 7.4 defers pushes to the
 * client whose command is running. */
void pubsub_cmd_begin(struct store *st, struct session *s);
void pubsub_cmd_end(struct store *st);

/* Append a message (RESP bytes) to s's output as a push: after the reply
 * of s's command if it is running, dropped while s is over its output
 * limit. Client tracking's invalidations go this way. */
void pubsub_push(struct session *s, const char *msg, size_t len);

/* Whether command d may run for s now: a RESP2 client subscribed to
 * anything runs only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and
 * RESET. */
bool pubsub_allows(const struct session *s, const struct cmd_def *d);

/* INFO: distinct channels, patterns and shard channels subscribed to, and
 * clients subscribed to anything. O(1). */
uint64_t pubsub_nchannels(const struct store *st, enum ps_kind kind);
uint64_t pubsub_nclients(const struct store *st);

#endif
