/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Pub/Sub as Redis 7.4: SUBSCRIBE PSUBSCRIBE SSUBSCRIBE, their UNSUBSCRIBE
 * forms, PUBLISH SPUBLISH and PUBSUB.
 *
 * The registry has three namespaces (channels, patterns, shard channels),
 * each a table from name to a struct ps_chan holding its subscribers in a
 * dense array. Each client that ever subscribed has a struct ps_client with
 * one table per kind of the struct ps_sub records it holds, keyed by the
 * channel's address. So subscribing, unsubscribing and a client's
 * disconnect cost O(1) per subscription (a record knows its slot in its
 * channel's array), and a channel or pattern goes with its last subscriber.
 *
 * PUBLISH makes one pass over the channel's array and one over the array
 * of every pattern that matches it (each pattern is matched once, however
 * many clients hold it). A message is encoded once per (kind, pattern)
 * into a scratch buffer in its RESP2 form; a RESP3 client gets the same
 * bytes with '>' for '*' as the first byte, so the encoding is shared by
 * both protocols.
 *
 * Delivery appends to the subscriber's output and tells its transport
 * (io->pushed), which flushes it with its other output. A message to the
 * client whose command is running waits until that command's reply is out
 * (pubsub_cmd_end), as Redis 7.4 orders them. A subscriber whose writer is
 * full (past its output limit: its transport closes it) is skipped.
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "commands/commands.h"
#include "ds/mem.h"
#include "commands/acl.h"
#include "commands/pubsub.h"
#include "ds/chain.h"
#include "resp_num.h"
#include "ds/util.h"

cmd_handler cmd_ping, cmd_quit, cmd_reset, cmd_subscribe, cmd_unsubscribe, cmd_psubscribe,
    cmd_punsubscribe, cmd_ssubscribe, cmd_sunsubscribe;

/* ------------------------------------------------------------------------
 * The registry
 * ------------------------------------------------------------------------ */

struct ps_sub;

/* A channel, pattern or shard channel with at least one subscriber. */
struct ps_chan {
    struct chain_link link;  /* in its namespace, hash of the name */
    struct ps_sub **subs; /* its subscribers, in no particular order */
    uint32_t nsubs, cap;
    uint32_t pos;         /* patterns: slot in pubsub.pats */
    uint32_t len;
    char name[];
};

/* One client's subscription to one ps_chan. */
struct ps_sub {
    struct chain_link link;  /* in its client's table, hash of ch's address */
    struct ps_chan *ch;
    struct session *s;
    uint32_t idx;         /* slot in ch->subs */
};

struct ps_client {
    struct chain t[PS__KINDS];
};

struct pubsub {
    struct chain ns[PS__KINDS];
    struct ps_chan **pats; /* every pattern, for PUBLISH to match each once */
    uint32_t npats, pats_cap;
    uint64_t nclients;     /* sessions subscribed to anything */
    struct session *running; /* whose command runs (pubsub_cmd_begin) */
    char *later;           /* messages to `running`, after its reply */
    size_t nlater, later_cap;
    char *enc;             /* scratch: one message's encoding */
    size_t enc_cap;
};

/* The confirmation words and message kinds, by ps_kind. */
static const char *const sub_word[PS__KINDS] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsub_word[PS__KINDS] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

static uint64_t name_hash(const struct store *st, enum ps_kind kind, struct rs_str name)
{
    return XXH3_64bits_withSeed(name.p, name.len, st->seed + (uint64_t)kind);
}

static uint64_t ptr_hash(const void *p)
{
    return ((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL) >> 16;
}

static struct ps_chan *chan_find(const struct store *st, enum ps_kind kind, struct rs_str name,
                                 uint64_t h)
{
    for (struct chain_link *l = chain_head(&st->ps->ns[kind], h); l; l = l->next) {
        struct ps_chan *ch = chain_of(l, struct ps_chan, link);
        if (l->hash == h && ch->len == name.len && memcmp(ch->name, name.p, name.len) == 0)
            return ch;
    }
    return NULL;
}

static struct ps_sub *sub_find(const struct ps_client *pc, enum ps_kind kind,
                               const struct ps_chan *ch)
{
    uint64_t h = ptr_hash(ch);
    for (struct chain_link *l = chain_head(&pc->t[kind], h); l; l = l->next)
        if ((chain_of(l, struct ps_sub, link))->ch == ch)
            return chain_of(l, struct ps_sub, link);
    return NULL;
}

static uint64_t total(const struct ps_client *pc)
{
    return pc ? pc->t[PS_CHANNEL].n + pc->t[PS_PATTERN].n + pc->t[PS_SHARD].n : 0;
}

/* Subscribe s to name (of kind); false if it already was. */
static bool subscribe(struct session *s, enum ps_kind kind, struct rs_str name)
{
    struct store *st = s->st;
    struct pubsub *ps = st->ps;
    uint64_t h = name_hash(st, kind, name);
    struct ps_chan *ch = chan_find(st, kind, name, h);
    if (s->ps == NULL)
        s->ps = rs_calloc(1, sizeof *s->ps);
    if (ch && sub_find(s->ps, kind, ch))
        return false;
    if (ch == NULL) {
        ch = rs_calloc(1, sizeof *ch + name.len);
        ch->link.hash = h;
        ch->len = (uint32_t)name.len;
        memcpy(ch->name, name.p, name.len);
        chain_add(&ps->ns[kind], &ch->link);
        if (kind == PS_PATTERN) {
            if (ps->npats == ps->pats_cap) {
                ps->pats_cap = ps->pats_cap ? ps->pats_cap * 2 : 8;
                ps->pats = rs_realloc(ps->pats, ps->pats_cap * sizeof *ps->pats);
            }
            ch->pos = ps->npats;
            ps->pats[ps->npats++] = ch;
        }
    }
    if (ch->nsubs == ch->cap) {
        ch->cap = ch->cap ? ch->cap * 2 : 2;
        ch->subs = rs_realloc(ch->subs, ch->cap * sizeof *ch->subs);
    }
    struct ps_sub *sub = rs_malloc(sizeof *sub);
    sub->link.hash = ptr_hash(ch);
    sub->ch = ch;
    sub->s = s;
    sub->idx = ch->nsubs;
    ch->subs[ch->nsubs++] = sub;
    if (total(s->ps) == 0)
        ps->nclients++;
    chain_add(&s->ps->t[kind], &sub->link);
    return true;
}

/* Drop sub from its channel, which goes with its last subscriber; the
 * caller unlinks it from its client's table (or frees that whole). */
static void sub_drop(struct pubsub *ps, enum ps_kind kind, struct ps_sub *sub)
{
    struct ps_chan *ch = sub->ch;
    struct ps_sub *last = ch->subs[--ch->nsubs];
    ch->subs[sub->idx] = last;
    last->idx = sub->idx;
    rs_free(sub);
    if (ch->nsubs > 0) {
        if (ch->cap > 8 && ch->nsubs < ch->cap / 4) {
            ch->cap /= 2;
            ch->subs = rs_realloc(ch->subs, ch->cap * sizeof *ch->subs);
        }
        return;
    }
    chain_del(&ps->ns[kind], &ch->link);
    if (kind == PS_PATTERN) {
        struct ps_chan *moved = ps->pats[--ps->npats];
        ps->pats[ch->pos] = moved;
        moved->pos = ch->pos;
    }
    rs_free(ch->subs);
    rs_free(ch);
}

/* Unsubscribe s from sub. */
static void unsubscribe(struct session *s, enum ps_kind kind, struct ps_sub *sub)
{
    chain_del(&s->ps->t[kind], &sub->link);
    sub_drop(s->st->ps, kind, sub);
    if (total(s->ps) == 0)
        s->st->ps->nclients--;
}

struct drop_walk {
    struct pubsub *ps;
    enum ps_kind kind;
};

static void drop_cb(void *ud, struct chain_link *l)
{
    struct drop_walk *w = ud;
    sub_drop(w->ps, w->kind, chain_of(l, struct ps_sub, link));
}

static void leave_all(struct session *s)
{
    struct ps_client *pc = s->ps;
    if (pc == NULL)
        return;
    if (total(pc) > 0)
        s->st->ps->nclients--;
    for (int k = 0; k < PS__KINDS; k++) {
        struct drop_walk w = {s->st->ps, (enum ps_kind)k};
        chain_drain(&pc->t[k], drop_cb, &w);
    }
    rs_free(pc);
    s->ps = NULL;
}

/* ------------------------------------------------------------------------
 * Delivery
 * ------------------------------------------------------------------------ */

static void enc_reserve(struct pubsub *ps, size_t n)
{
    if (n > ps->enc_cap) {
        ps->enc_cap = n;
        ps->enc = rs_realloc(ps->enc, n);
    }
}

static size_t put_bulk(char *p, const char *s, size_t len)
{
    p[0] = '$';
    size_t n = 1 + resp_ll2str(p + 1, (long long)len);
    memcpy(p + n, "\r\n", 2);
    n += 2;
    memcpy(p + n, s, len);
    memcpy(p + n + len, "\r\n", 2);
    return n + len + 2;
}

/* The RESP2 form of a message into ps->enc: [kind, pattern (pmessage
 * only), channel, message]. Returns its length. */
static size_t encode(struct pubsub *ps, const char *kind, const struct ps_chan *pat,
                     struct rs_str chan, struct rs_str msg)
{
    size_t klen = strlen(kind);
    enc_reserve(ps, klen + chan.len + msg.len + (pat ? pat->len : 0) + 4 * 24);
    char *p = ps->enc;
    memcpy(p, pat ? "*4\r\n" : "*3\r\n", 4);
    size_t n = 4;
    n += put_bulk(p + n, kind, klen);
    if (pat)
        n += put_bulk(p + n, pat->name, pat->len);
    n += put_bulk(p + n, chan.p, chan.len);
    n += put_bulk(p + n, msg.p, msg.len);
    return n;
}

void pubsub_push(struct session *s, const char *msg, size_t len)
{
    struct pubsub *ps = s->st->ps;
    if (s == ps->running) {
        if (ps->nlater + len > ps->later_cap) {
            ps->later_cap = (ps->nlater + len) * 2;
            ps->later = rs_realloc(ps->later, ps->later_cap);
        }
        memcpy(ps->later + ps->nlater, msg, len);
        ps->nlater += len;
        return;
    }
    if (resp_out_full(&s->out))
        return; /* over its limit: its transport closes it */
    resp_add_raw(&s->out, msg, len);
    if (s->io && s->io->pushed)
        s->io->pushed(s->io_ud);
}

/* Hand the encoded message to every subscriber of ch; a keyspace event
 * (event: the key it is about, or a project id for project_drop) skips
 * the project users' sessions that may not read that key. */
static void deliver(struct pubsub *ps, const struct ps_chan *ch, size_t len,
                    const struct ks_event *event)
{
    for (uint32_t i = 0; i < ch->nsubs; i++) {
        struct session *s = ch->subs[i]->s;
        if (event && (s->flags & SES_PROJECT) &&
            !(event->project ? acl_in_projects(s, event->name) : acl_may_read(s, event->name)))
            continue;
        ps->enc[0] = s->out.proto == 3 ? '>' : '*';
        pubsub_push(s, ps->enc, len);
    }
}

/* PUBLISH / SPUBLISH: deliver msg on chan (of kind PS_CHANNEL or
 * PS_SHARD) and, for a channel, to every matching pattern. Returns the
 * number of deliveries. O(subscribers of chan + patterns). */
static long long publish(struct store *st, enum ps_kind kind, struct rs_str chan, struct rs_str msg,
                         const struct ks_event *event)
{
    struct pubsub *ps = st->ps;
    long long n = 0;
    struct ps_chan *ch = chan_find(st, kind, chan, name_hash(st, kind, chan));
    if (ch) {
        size_t len = encode(ps, kind == PS_SHARD ? "smessage" : "message", NULL, chan, msg);
        deliver(ps, ch, len, event);
        n += ch->nsubs;
    }
    if (kind != PS_CHANNEL)
        return n;
    for (uint32_t i = 0; i < ps->npats; i++) {
        struct ps_chan *pat = ps->pats[i];
        if (!glob_match(pat->name, pat->len, chan.p, chan.len, false))
            continue;
        size_t len = encode(ps, "pmessage", pat, chan, msg);
        deliver(ps, pat, len, event);
        n += pat->nsubs;
    }
    return n;
}

/* The hook the keyspace publishes through (ks_publish). */
static long long publish_hook(struct store *st, struct rs_str chan, struct rs_str msg,
                              const struct ks_event *event)
{
    return publish(st, PS_CHANNEL, chan, msg, event);
}

/* ------------------------------------------------------------------------
 * API
 * ------------------------------------------------------------------------ */

void pubsub_init(struct store *st)
{
    st->ps = rs_calloc(1, sizeof *st->ps);
    st->publish = publish_hook;
}

void pubsub_free(struct store *st)
{
    struct pubsub *ps = st->ps;
    for (int k = 0; k < PS__KINDS; k++)
        rs_free(ps->ns[k].b); /* every session left: the tables are empty */
    rs_free(ps->pats);
    rs_free(ps->later);
    rs_free(ps->enc);
    rs_free(ps);
    st->ps = NULL;
}

void pubsub_client_free(struct session *s)
{
    if (s->st->ps->running == s)
        s->st->ps->nlater = 0;
    leave_all(s);
}

void pubsub_reset(struct session *s)
{
    leave_all(s);
}

uint64_t pubsub_count(const struct session *s, enum ps_kind kind)
{
    return s->ps ? s->ps->t[kind].n : 0;
}

struct any_walk {
    bool (*fn)(void *ud, enum ps_kind kind, struct rs_str name);
    void *ud;
    enum ps_kind kind;
    bool hit;
};

static void any_one(void *ud, struct chain_link *l)
{
    struct any_walk *w = ud;
    const struct ps_sub *sub = (const struct ps_sub *)l; /* link is its first member */
    if (!w->hit)
        w->hit = w->fn(w->ud, w->kind, rs_str_from(sub->ch->name, sub->ch->len));
}

bool pubsub_any(const struct session *s,
                bool (*fn)(void *ud, enum ps_kind kind, struct rs_str name), void *ud)
{
    struct any_walk w = {fn, ud, PS_CHANNEL, false};
    for (int k = 0; s->ps && k < PS__KINDS && !w.hit; k++) {
        w.kind = (enum ps_kind)k;
        chain_foreach(&s->ps->t[k], any_one, &w);
    }
    return w.hit;
}

bool pubsub_is_subscriber(const struct session *s)
{
    return total(s->ps) > 0;
}

void pubsub_cmd_begin(struct store *st, struct session *s)
{
    st->ps->running = s;
}

void pubsub_cmd_end(struct store *st)
{
    struct pubsub *ps = st->ps;
    struct session *s = ps->running;
    ps->running = NULL;
    if (ps->nlater == 0)
        return;
    resp_add_raw(&s->out, ps->later, ps->nlater);
    ps->nlater = 0;
    if (ps->later_cap > 64 * 1024) { /* a burst does not keep its buffer */
        rs_free(ps->later);
        ps->later = NULL;
        ps->later_cap = 0;
    }
}

bool pubsub_allows(const struct session *s, const struct cmd_def *d)
{
    if (s->out.proto != 2 || !pubsub_is_subscriber(s))
        return true;
    return d->handler == cmd_subscribe || d->handler == cmd_unsubscribe ||
           d->handler == cmd_psubscribe || d->handler == cmd_punsubscribe ||
           d->handler == cmd_ssubscribe || d->handler == cmd_sunsubscribe ||
           d->handler == cmd_ping || d->handler == cmd_quit || d->handler == cmd_reset;
}

uint64_t pubsub_nchannels(const struct store *st, enum ps_kind kind)
{
    return st->ps->ns[kind].n;
}

uint64_t pubsub_nclients(const struct store *st)
{
    return st->ps->nclients;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* [subscribe|unsubscribe..., name or null, count]: a push in RESP3. */
static void confirm(struct cmd_ctx *c, const char *word, const struct rs_str *name,
                    enum ps_kind kind)
{
    const struct ps_client *pc = c->s->ps;
    uint64_t count = kind == PS_SHARD ? pubsub_count(c->s, PS_SHARD)
                                      : (pc ? pc->t[PS_CHANNEL].n + pc->t[PS_PATTERN].n : 0);
    resp_add_push_len(c->out, 3);
    resp_add_bulk_cstr(c->out, word);
    if (name)
        resp_add_bulk_str(c->out, *name);
    else
        resp_add_null(c->out);
    resp_add_int(c->out, (long long)count);
}

static void subscribe_cmd(struct cmd_ctx *c, enum ps_kind kind)
{
    for (int i = 1; i < c->argc; i++) {
        subscribe(c->s, kind, c->argv[i]);
        confirm(c, sub_word[kind], &c->argv[i], kind);
    }
}

static void unsubscribe_cmd(struct cmd_ctx *c, enum ps_kind kind)
{
    struct session *s = c->s;
    struct store *st = c->st;
    if (c->argc == 1) {
        struct chain *t = s->ps ? &s->ps->t[kind] : NULL;
        if (t == NULL || t->n == 0) {
            confirm(c, unsub_word[kind], NULL, kind);
            return;
        }
        /* One at a time, from a cursor over the buckets that starts over
         * when the table shrinks under us (at most log n times). */
        uint64_t i = 0, mask = t->mask;
        while (t->n > 0) {
            if (t->mask != mask) {
                i = 0;
                mask = t->mask;
            }
            while (t->b[i] == NULL)
                i++;
            struct ps_sub *sub = chain_of(t->b[i], struct ps_sub, link);
            /* The name outlives the confirmation only if copied: the
             * channel may go with this subscription. */
            struct ps_chan *ch = sub->ch;
            char small[128];
            char *copy = ch->len <= sizeof small ? small : rs_malloc(ch->len);
            memcpy(copy, ch->name, ch->len);
            struct rs_str name = rs_str_from(copy, ch->len);
            unsubscribe(s, kind, sub);
            confirm(c, unsub_word[kind], &name, kind);
            if (copy != small)
                rs_free(copy);
        }
        return;
    }
    for (int i = 1; i < c->argc; i++) {
        struct ps_chan *ch = chan_find(st, kind, c->argv[i], name_hash(st, kind, c->argv[i]));
        struct ps_sub *sub = ch && s->ps ? sub_find(s->ps, kind, ch) : NULL;
        if (sub)
            unsubscribe(s, kind, sub);
        confirm(c, unsub_word[kind], &c->argv[i], kind);
    }
}

/* SUBSCRIBE channel [channel ...] */
void cmd_subscribe(struct cmd_ctx *c)
{
    subscribe_cmd(c, PS_CHANNEL);
}

/* PSUBSCRIBE pattern [pattern ...] */
void cmd_psubscribe(struct cmd_ctx *c)
{
    subscribe_cmd(c, PS_PATTERN);
}

/* SSUBSCRIBE shardchannel [shardchannel ...] -- refused inside EXEC, as
 * Redis refuses it to a client that must not block. */
void cmd_ssubscribe(struct cmd_ctx *c)
{
    if (c->in_exec) {
        reply_err(c, RS_ERR_SSUBSCRIBE_DENY_BLOCKING);
        return;
    }
    subscribe_cmd(c, PS_SHARD);
}

/* UNSUBSCRIBE [channel ...] */
void cmd_unsubscribe(struct cmd_ctx *c)
{
    unsubscribe_cmd(c, PS_CHANNEL);
}

/* PUNSUBSCRIBE [pattern ...] */
void cmd_punsubscribe(struct cmd_ctx *c)
{
    unsubscribe_cmd(c, PS_PATTERN);
}

/* SUNSUBSCRIBE [shardchannel ...] */
void cmd_sunsubscribe(struct cmd_ctx *c)
{
    unsubscribe_cmd(c, PS_SHARD);
}

/* PUBLISH channel message */
void cmd_publish(struct cmd_ctx *c)
{
    resp_add_int(c->out, publish(c->st, PS_CHANNEL, c->argv[1], c->argv[2], NULL));
}

/* SPUBLISH shardchannel message */
void cmd_spublish(struct cmd_ctx *c)
{
    resp_add_int(c->out, publish(c->st, PS_SHARD, c->argv[1], c->argv[2], NULL));
}

/* PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the names of kind matching
 * the pattern. O(names). */
static void list_names(struct cmd_ctx *c, enum ps_kind kind)
{
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    const struct chain *t = &c->st->ps->ns[kind];
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (uint64_t i = 0; t->b && i <= t->mask; i++)
        for (const struct chain_link *l = t->b[i]; l; l = l->next) {
            const struct ps_chan *ch = chain_of(l, const struct ps_chan, link);
            if ((c->argc == 3 &&
                 !glob_match(c->argv[2].p, c->argv[2].len, ch->name, ch->len, false)) ||
                !acl_may_see_channel(c->s, rs_str_from(ch->name, ch->len), false))
                continue;
            resp_add_bulk(c->out, ch->name, ch->len);
            n++;
        }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

/* PUBSUB NUMSUB / SHARDNUMSUB [name ...]: name, subscribers, ... */
static void count_subs(struct cmd_ctx *c, enum ps_kind kind)
{
    resp_add_array_len(c->out, (long long)(c->argc - 2) * 2);
    for (int i = 2; i < c->argc; i++) {
        const struct ps_chan *ch =
            chan_find(c->st, kind, c->argv[i], name_hash(c->st, kind, c->argv[i]));
        resp_add_bulk_str(c->out, c->argv[i]);
        resp_add_int(c->out, ch && acl_may_see_channel(c->s, c->argv[i], false) ? ch->nsubs : 0);
    }
}

void cmd_pubsub_channels(struct cmd_ctx *c)
{
    list_names(c, PS_CHANNEL);
}

void cmd_pubsub_shardchannels(struct cmd_ctx *c)
{
    list_names(c, PS_SHARD);
}

void cmd_pubsub_numsub(struct cmd_ctx *c)
{
    count_subs(c, PS_CHANNEL);
}

void cmd_pubsub_shardnumsub(struct cmd_ctx *c)
{
    count_subs(c, PS_SHARD);
}

/* PUBSUB NUMPAT: distinct patterns subscribed to (that a project user
 * may subscribe to, for its session: O(patterns) then). */
void cmd_pubsub_numpat(struct cmd_ctx *c)
{
    const struct pubsub *ps = c->st->ps;
    long long n = (long long)ps->ns[PS_PATTERN].n;
    if (c->s->flags & SES_PROJECT) {
        n = 0;
        for (uint32_t i = 0; i < ps->npats; i++)
            n += acl_may_see_channel(c->s, rs_str_from(ps->pats[i]->name, ps->pats[i]->len), true);
    }
    resp_add_int(c->out, n);
}

void cmd_pubsub_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: "
        "'*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        NULL,
    };
    reply_help(c, "PUBSUB", lines);
}
