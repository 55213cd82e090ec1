/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Client-side caching as Redis 7.4 (tracking.c there): CLIENT TRACKING
 * ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP],
 * CLIENT CACHING YES|NO, CLIENT GETREDIR, CLIENT TRACKINGINFO.
 *
 * Default mode: after a read-only command of a tracking client, the keys it
 * read are remembered for it (key -> sorted array of client ids, in a key
 * registry without databases: as in Redis, a key names the same entry in
 * every database). When such a key changes (the touch hook) each of its
 * clients still tracking in that mode gets an `invalidate` message and the
 * key is forgotten. Clients that stopped tracking or went away are skipped
 * then, as Redis does: their entries live until the key changes or a
 * flush.
 *
 * BCAST mode: a client registers prefixes (the empty one by default); a
 * changed key is gathered by every prefix it starts with, with the client
 * that changed it, and tracking_deliver sends each prefix's keys, sorted
 * and without repeats, once per loop turn (NOLOOP clients without the keys
 * they changed themselves).
 *
 * A message goes to the client, as a RESP3 push [invalidate, [keys]], or
 * to its REDIRECT client: a push if that one speaks RESP3, else a
 * `message` on __redis__:invalidate if it is subscribed to anything (it
 * need not be to that channel), else nothing. A flush sends a null instead
 * of the keys, in the tracking client's protocol. A redirect to a client
 * that went away marks the tracker broken_redirect and tells it (RESP3)
 * tracking-redir-broken. Messages to the client whose command is running
 * follow its reply (pubsub_push).
 */
#include <stdlib.h>
#include <string.h>

#include "commands/acl.h"
#include "commands/pubsub.h"
#include "commands/tracking.h"
#include "ds/mem.h"
#include "resp_num.h"

enum {
    TRK_BCAST = 1 << 0,
    TRK_OPTIN = 1 << 1,
    TRK_OPTOUT = 1 << 2,
    TRK_NOLOOP = 1 << 3,
    TRK_CACHING = 1 << 4,    /* CLIENT CACHING given for the next command */
    TRK_BROKEN_REDIR = 1 << 5,
};

struct trk_prefix;

/* A tracking client (session.trk, NULL while tracking is off). */
struct trk_client {
    uint32_t flags;
    uint32_t idx;                 /* slot in tracking.clients */
    uint64_t redir;               /* REDIRECT's client id, 0 if none */
    struct session *redir_s;      /* that client, NULL once it went away */
    struct trk_prefix **prefixes; /* BCAST: its prefixes, in prefix_cmp order */
    uint32_t nprefixes, cap;
};

/* A key BCAST gathered: who changed it (compared, never followed). */
struct trk_pending {
    char *key;
    size_t len;
    const struct session *writer;
    size_t seq; /* order gathered: the last writer of a key wins */
};

/* A BCAST prefix with at least one client. */
struct trk_prefix {
    struct session **subs;
    uint32_t nsubs, cap;
    struct trk_pending *pend;
    size_t npend, pend_cap;
    size_t len;
    char p[];
};

/* The clients remembered for one key: ids, ascending (kreg_key.head). */
struct trk_ids {
    uint32_t n, cap;
    uint64_t id[];
};

struct tracking {
    struct chain keys;         /* default mode: key -> struct trk_ids */
    uint64_t nitems;           /* (key, client) pairs */
    struct chain byid;         /* tracking clients by id (8 bytes) -> session */
    struct session **clients;  /* every tracking client */
    uint32_t nclients, cap;
    uint32_t nredirs;          /* of them, with a REDIRECT */
    struct trk_prefix **prefixes; /* in prefix_cmp order */
    uint32_t nprefixes, pcap;
    const struct session *cur; /* the client whose command runs */
    uint64_t limit_rounds;     /* tracking__limit calls in a row left over the limit */
    char *enc;                 /* scratch: one message */
    size_t enc_len, enc_cap;
};

static void gate(struct store *st)
{
    st->ntracked = st->trk->keys.n + st->trk->nprefixes;
}

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

/* Append p[0..n) to t->enc; p may point into t->enc itself. */
static void put(struct tracking *t, const char *p, size_t n)
{
    if (t->enc_len + n > t->enc_cap) {
        bool inside = t->enc && p >= t->enc && p < t->enc + t->enc_len;
        size_t off = inside ? (size_t)(p - t->enc) : 0;
        t->enc_cap = (t->enc_len + n) * 2;
        t->enc = rs_realloc(t->enc, t->enc_cap);
        if (inside)
            p = t->enc + off;
    }
    memcpy(t->enc + t->enc_len, p, n);
    t->enc_len += n;
}

static void put_len(struct tracking *t, char type, size_t n)
{
    char buf[32];
    buf[0] = type;
    size_t k = 1 + resp_ll2str(buf + 1, (long long)n);
    memcpy(buf + k, "\r\n", 2);
    put(t, buf, k + 2);
}

static void put_bulk(struct tracking *t, const char *p, size_t n)
{
    put_len(t, '$', n);
    put(t, p, n);
    put(t, "\r\n", 2);
}

/* Append a message to `to`: after the reply of its running command
 * (pubsub_push), or at once (now: a flush's null comes before the +OK of
 * the FLUSHALL that caused it, as in Redis 7.4). */
static void push(struct session *to, const char *msg, size_t len, bool now)
{
    if (!now) {
        pubsub_push(to, msg, len);
    } else if (!resp_out_full(&to->out)) {
        resp_add_raw(&to->out, msg, len);
        if (to->io && to->io->pushed)
            to->io->pushed(to->io_ud);
    }
}

/* Send the keys part (payload bytes: an array of keys, or a null: now) to
 * the tracking client s, or where it redirects (Redis
 * sendTrackingMessage). */
static void send_msg(struct store *st, struct session *s, const char *payload, size_t plen,
                     bool now)
{
    struct tracking *t = st->trk;
    struct trk_client *tc = s->trk;
    struct session *to = s;
    size_t mark = t->enc_len; /* the payload may be in t->enc: append after it */
    if (tc->redir) {
        if (tc->redir_s == NULL) {
            tc->flags |= TRK_BROKEN_REDIR;
            if (s->out.proto == 3) {
                put(t, ">2\r\n", 4);
                put_bulk(t, "tracking-redir-broken", 21);
                char num[32];
                num[0] = ':';
                size_t k = 1 + resp_ll2str(num + 1, (long long)tc->redir);
                memcpy(num + k, "\r\n", 2);
                put(t, num, k + 2);
                push(s, t->enc + mark, t->enc_len - mark, now);
            }
            t->enc_len = mark;
            return;
        }
        to = tc->redir_s;
    }
    static const char push_hdr[] = ">2\r\n$10\r\ninvalidate\r\n";
    static const char message[] = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n";
    if (to->out.proto == 3)
        put(t, push_hdr, sizeof push_hdr - 1);
    else if (to != s && pubsub_is_subscriber(to))
        put(t, message, sizeof message - 1);
    else
        return;
    if (payload == NULL) /* in t->enc, before mark */
        payload = t->enc;
    put(t, payload, plen);
    push(to, t->enc + mark, t->enc_len - mark, now);
    t->enc_len = mark;
}

/* ------------------------------------------------------------------------
 * Default mode: remembered keys
 * ------------------------------------------------------------------------ */

static struct session *client_by_id(const struct store *st, uint64_t id)
{
    struct kreg_key *k = kreg_find(st, &st->trk->byid, 0, (const char *)&id, sizeof id);
    return k ? k->head : NULL;
}

/* Remember key for client id; O(log n) when it was already, O(n) to add. */
static void remember(struct store *st, struct rs_str key, uint64_t id)
{
    struct tracking *t = st->trk;
    struct kreg_key *k = kreg_get(st, &t->keys, 0, key);
    struct trk_ids *ids = k->head;
    uint32_t lo = 0, hi = ids ? ids->n : 0;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (ids->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (ids && lo < ids->n && ids->id[lo] == id)
        return;
    if (ids == NULL || ids->n == ids->cap) {
        uint32_t cap = ids ? ids->cap * 2 : 1;
        ids = rs_realloc(ids, sizeof *ids + cap * sizeof ids->id[0]);
        if (k->head == NULL)
            ids->n = 0;
        ids->cap = cap;
        k->head = ids;
    }
    memmove(&ids->id[lo + 1], &ids->id[lo], (ids->n - lo) * sizeof ids->id[0]);
    ids->id[lo] = id;
    ids->n++;
    t->nitems++;
    gate(st);
}

/* Free the clients remembered for k. */
static void drop_ids(struct store *st, struct kreg_key *k)
{
    struct trk_ids *ids = k->head;
    st->trk->nitems -= ids->n;
    rs_free(ids);
}

static void forget(struct store *st, struct kreg_key *k)
{
    drop_ids(st, k);
    kreg_del(&st->trk->keys, k);
}

static void forget_cb(void *ud, struct chain_link *l)
{
    struct kreg_key *k = chain_of(l, struct kreg_key, link);
    drop_ids(ud, k);
    rs_free(k); /* kreg_get's, out of the drained registry */
}

static void forget_all(struct store *st)
{
    chain_drain(&st->trk->keys, forget_cb, st);
    gate(st);
}

void tracking__remember(struct session *s, struct cmd_ctx *c)
{
    struct trk_client *tc = s->trk;
    if ((tc->flags & TRK_BCAST) || (c->cmd->flags & CMD_PUBSUB))
        return;
    bool caching = tc->flags & TRK_CACHING;
    if (((tc->flags & TRK_OPTIN) && !caching) || ((tc->flags & TRK_OPTOUT) && caching))
        return;
    int *pos = NULL;
    int n = cmd_key_positions(c->cmd, c->argv, c->argc, &pos);
    for (int i = 0; i < n; i++)
        remember(c->st, c->argv[pos[i]], s->id);
    rs_free(pos);
}

/* ------------------------------------------------------------------------
 * BCAST prefixes
 * ------------------------------------------------------------------------ */

static bool overlap(const char *a, size_t alen, const char *b, size_t blen)
{
    return memcmp(a, b, alen < blen ? alen : blen) == 0;
}

/* The bytes of a up to its first NUL, as Redis's %s prints an sds. */
static int c_len(const char *p, size_t len)
{
    const char *z = memchr(p, 0, len);
    return (int)(z ? (size_t)(z - p) : len);
}

/* Byte order, shorter first: the order of Redis's radix trees, in which
 * it visits prefixes. */
static int prefix_cmp(const struct trk_prefix *a, const struct trk_prefix *b)
{
    return rs_str_cmp(rs_str_from(a->p, a->len), rs_str_from(b->p, b->len));
}

/* Insert px into arr[0..*n) (room for one more) kept in prefix_cmp order. */
static void insert_sorted(struct trk_prefix **arr, uint32_t *n, struct trk_prefix *px)
{
    uint32_t i = *n;
    while (i > 0 && prefix_cmp(arr[i - 1], px) > 0) {
        arr[i] = arr[i - 1];
        i--;
    }
    arr[i] = px;
    (*n)++;
}

/* Remove px from arr[0..*n), keeping the order. */
static void remove_sorted(struct trk_prefix **arr, uint32_t *n, const struct trk_prefix *px)
{
    for (uint32_t i = 0; i < *n; i++)
        if (arr[i] == px) {
            memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof *arr);
            (*n)--;
            return;
        }
}

static void prefix_join(struct store *st, struct session *s, struct rs_str p)
{
    struct tracking *t = st->trk;
    struct trk_prefix *px = NULL;
    for (uint32_t i = 0; i < t->nprefixes && !px; i++)
        if (t->prefixes[i]->len == p.len && memcmp(t->prefixes[i]->p, p.p, p.len) == 0)
            px = t->prefixes[i];
    if (px == NULL) {
        px = rs_calloc(1, sizeof *px + p.len);
        px->len = p.len;
        memcpy(px->p, p.p, p.len);
        if (t->nprefixes == t->pcap) {
            t->pcap = t->pcap ? t->pcap * 2 : 4;
            t->prefixes = rs_realloc(t->prefixes, t->pcap * sizeof *t->prefixes);
        }
        insert_sorted(t->prefixes, &t->nprefixes, px);
        gate(st);
    }
    for (uint32_t i = 0; i < px->nsubs; i++)
        if (px->subs[i] == s)
            return;
    if (px->nsubs == px->cap) {
        px->cap = px->cap ? px->cap * 2 : 2;
        px->subs = rs_realloc(px->subs, px->cap * sizeof *px->subs);
    }
    px->subs[px->nsubs++] = s;
    struct trk_client *tc = s->trk;
    if (tc->nprefixes == tc->cap) {
        tc->cap = tc->cap ? tc->cap * 2 : 2;
        tc->prefixes = rs_realloc(tc->prefixes, tc->cap * sizeof *tc->prefixes);
    }
    insert_sorted(tc->prefixes, &tc->nprefixes, px);
}

static void pending_clear(struct trk_prefix *px)
{
    for (size_t i = 0; i < px->npend; i++)
        rs_free(px->pend[i].key);
    px->npend = 0;
    if (px->pend_cap > 1024) {
        rs_free(px->pend);
        px->pend = NULL;
        px->pend_cap = 0;
    }
}

static void prefix_leave(struct store *st, struct session *s, struct trk_prefix *px)
{
    struct tracking *t = st->trk;
    for (uint32_t i = 0; i < px->nsubs; i++)
        if (px->subs[i] == s) {
            px->subs[i] = px->subs[--px->nsubs];
            break;
        }
    if (px->nsubs)
        return;
    remove_sorted(t->prefixes, &t->nprefixes, px);
    pending_clear(px);
    rs_free(px->pend);
    rs_free(px->subs);
    rs_free(px);
    gate(st);
}

static int pending_cmp(const void *a, const void *b)
{
    const struct trk_pending *x = a, *y = b;
    int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    if (r)
        return r;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whether pend[i] (sorted) is the last change of its key: the one sent. */
static bool last_of_key(const struct trk_prefix *px, size_t i)
{
    const struct trk_pending *e = &px->pend[i];
    return i + 1 == px->npend || e->len != e[1].len || memcmp(e->key, e[1].key, e->len) != 0;
}

/* Is px's gathered key i one to send to s: the last change of its key,
 * not made by s under NOLOOP, of a key s may read (a project user's
 * session hears only of those, commands/acl.h)? */
static bool key_for(const struct trk_prefix *px, size_t i, const struct session *s)
{
    const struct trk_pending *e = &px->pend[i];
    return last_of_key(px, i) && !(e->writer == s && (s->trk->flags & TRK_NOLOOP)) &&
           acl_may_read(s, rs_str_from(e->key, e->len));
}

/* The array of px's gathered keys (sorted, each once) that s is to hear
 * of, into t->enc; returns how many it holds. */
static size_t build_keys(struct tracking *t, const struct trk_prefix *px, const struct session *s)
{
    size_t n = 0;
    for (size_t i = 0; i < px->npend; i++)
        n += key_for(px, i, s);
    t->enc_len = 0;
    if (n == 0)
        return 0;
    put_len(t, '*', n);
    for (size_t i = 0; i < px->npend; i++)
        if (key_for(px, i, s))
            put_bulk(t, px->pend[i].key, px->pend[i].len);
    return n;
}

void tracking_deliver(struct store *st)
{
    struct tracking *t = st->trk;
    for (uint32_t i = 0; i < t->nprefixes; i++) {
        struct trk_prefix *px = t->prefixes[i];
        if (px->npend == 0)
            continue;
        qsort(px->pend, px->npend, sizeof *px->pend, pending_cmp);
        for (uint32_t j = 0; j < px->nsubs; j++) {
            struct session *s = px->subs[j];
            if (build_keys(t, px, s))
                send_msg(st, s, NULL, t->enc_len, false);
        }
        t->enc_len = 0;
        pending_clear(px);
    }
}

/* ------------------------------------------------------------------------
 * Invalidation
 * ------------------------------------------------------------------------ */

/* Tell the default-mode trackers of k that it changed, skipping a NOLOOP
 * one that is cur (the client whose command runs, NULL if none), then
 * forget k (Redis trackingInvalidateKey). now: the messages go before the
 * reply of cur's command (see push). */
static void invalidate(struct store *st, struct kreg_key *k, const struct session *cur, bool now)
{
    /* One message for all: "*1\r\n$<len>\r\n<key>\r\n", built after the
     * headers send_msg appends, so kept in a buffer of its own. */
    char small[256];
    size_t klen = k->klen;
    size_t plen = 4 + 24 + klen + 2;
    char *payload = plen <= sizeof small ? small : rs_malloc(plen);
    memcpy(payload, "*1\r\n$", 5);
    size_t n = 5 + resp_ll2str(payload + 5, (long long)klen);
    memcpy(payload + n, "\r\n", 2);
    memcpy(payload + n + 2, k->key, klen);
    memcpy(payload + n + 2 + klen, "\r\n", 2);
    plen = n + 4 + klen;
    struct trk_ids *ids = k->head;
    for (uint32_t i = 0; i < ids->n; i++) {
        struct session *s = client_by_id(st, ids->id[i]);
        if (s == NULL || (s->trk->flags & TRK_BCAST))
            continue;
        if ((s->trk->flags & TRK_NOLOOP) && s == cur)
            continue;
        send_msg(st, s, payload, plen, now);
    }
    if (payload != small)
        rs_free(payload);
    forget(st, k);
    gate(st);
}

void tracking__touch(struct store *st, const char *key, size_t klen)
{
    struct tracking *t = st->trk;
    for (uint32_t i = 0; i < t->nprefixes; i++) {
        struct trk_prefix *px = t->prefixes[i];
        if (px->len > klen || memcmp(px->p, key, px->len) != 0)
            continue;
        if (px->npend == px->pend_cap) {
            px->pend_cap = px->pend_cap ? px->pend_cap * 2 : 8;
            px->pend = rs_realloc(px->pend, px->pend_cap * sizeof *px->pend);
        }
        struct trk_pending *e = &px->pend[px->npend];
        e->key = rs_malloc(klen ? klen : 1);
        memcpy(e->key, key, klen);
        e->len = klen;
        e->writer = t->cur;
        e->seq = px->npend++;
    }
    struct kreg_key *k = kreg_find(st, &t->keys, 0, key, klen);
    if (k)
        invalidate(st, k, t->cur, false);
}

void tracking__limit(struct store *st, const struct session *cur)
{
    struct tracking *t = st->trk;
    uint64_t max = (uint64_t)st->cfg.tracking_table_max_keys;
    if (t->nclients == 0 || max == 0)
        return;
    /* As Redis: the effort grows with the calls that could not get back
     * under the limit, so a table far over it shrinks in a few calls
     * while one call stays bounded. */
    for (uint64_t effort = 100 * (t->limit_rounds + 1); t->keys.n > max; effort--) {
        if (effort == 0) {
            t->limit_rounds++;
            return;
        }
        struct chain_link *l = chain_random(&t->keys, rng_next(&st->rng));
        invalidate(st, chain_of(l, struct kreg_key, link), cur, true);
    }
    t->limit_rounds = 0;
}

void tracking_flushed(struct store *st)
{
    struct tracking *t = st->trk;
    for (uint32_t i = 0; i < t->nclients; i++) {
        struct session *s = t->clients[i];
        if (s->out.proto == 3)
            send_msg(st, s, "_\r\n", 3, true);
        else
            send_msg(st, s, "$-1\r\n", 5, true);
    }
    forget_all(st);
}

/* ------------------------------------------------------------------------
 * Clients
 * ------------------------------------------------------------------------ */

static void disable(struct session *s)
{
    struct trk_client *tc = s->trk;
    if (tc == NULL)
        return;
    struct store *st = s->st;
    struct tracking *t = st->trk;
    for (uint32_t i = 0; i < tc->nprefixes; i++)
        prefix_leave(st, s, tc->prefixes[i]);
    rs_free(tc->prefixes);
    struct session *moved = t->clients[--t->nclients];
    t->clients[tc->idx] = moved;
    moved->trk->idx = tc->idx;
    if (tc->redir)
        t->nredirs--;
    kreg_del(&t->byid, kreg_find(st, &t->byid, 0, (const char *)&s->id, sizeof s->id));
    rs_free(tc);
    s->trk = NULL;
}

void tracking_reset(struct session *s)
{
    disable(s);
}

void tracking_client_free(struct session *s)
{
    disable(s);
    struct tracking *t = s->st->trk;
    if (t->cur == s)
        t->cur = NULL;
    for (uint32_t i = 0; t->nredirs && i < t->nclients; i++)
        if (t->clients[i]->trk->redir_s == s)
            t->clients[i]->trk->redir_s = NULL;
}

void tracking_cmd_begin(struct store *st, struct session *s)
{
    st->trk->cur = s;
}

void tracking_cmd_end(struct session *s, const struct cmd_def *d)
{
    /* CACHING lasts for the next command, or the next transaction: Redis
     * keeps it while in MULTI and after any CLIENT subcommand. */
    if (s->trk && !s->mq && !(d && strncmp(d->fullname, "client|", 7) == 0))
        s->trk->flags &= ~(uint32_t)TRK_CACHING;
}

char *tracking_flags(const struct session *s, char *f)
{
    if (s->trk == NULL)
        return f;
    *f++ = 't';
    if (s->trk->flags & TRK_BROKEN_REDIR)
        *f++ = 'R';
    if (s->trk->flags & TRK_BCAST)
        *f++ = 'B';
    return f;
}

long long tracking_redir(const struct session *s)
{
    return s->trk ? (long long)s->trk->redir : -1;
}

void tracking_stats(const struct store *st, uint64_t *nclients, uint64_t *nkeys,
                    uint64_t *nitems, uint64_t *nprefixes)
{
    const struct tracking *t = st->trk;
    *nclients = t->nclients;
    *nkeys = t->keys.n;
    *nitems = t->nitems;
    *nprefixes = t->nprefixes;
}

void tracking_init(struct store *st)
{
    st->trk = rs_calloc(1, sizeof *st->trk);
}

void tracking_free(struct store *st)
{
    struct tracking *t = st->trk;
    forget_all(st);
    rs_free(t->clients); /* every session left: no client, no prefix */
    rs_free(t->prefixes);
    rs_free(t->enc);
    rs_free(t);
    st->trk = NULL;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

static struct session *session_by_id(const struct store *st, long long id)
{
    for (struct session *s = st->sessions_head; s; s = s->next)
        if ((long long)s->id == id)
            return s;
    return NULL;
}

/* Redis checkPrefixCollisionsOrReply: false after an error reply. Redis
 * answers the overlap of two given prefixes other than the first with an
 * error and goes on, enabling tracking and answering +OK too: *twice is
 * set then. */
static bool check_prefixes(struct cmd_ctx *c, const struct rs_str *p, int n, bool *twice)
{
    const struct trk_client *tc = c->s->trk;
    for (int i = 0; i < n; i++) {
        for (uint32_t j = 0; tc && j < tc->nprefixes; j++) {
            const struct trk_prefix *px = tc->prefixes[j];
            if (overlap(px->p, px->len, p[i].p, p[i].len)) {
                reply_errf(c,
                           "ERR Prefix '%.*s' overlaps with an existing prefix '%.*s'. "
                           "Prefixes for a single client must not overlap.",
                           c_len(p[i].p, p[i].len), p[i].p, c_len(px->p, px->len), px->p);
                return false;
            }
        }
        for (int j = i + 1; j < n; j++) {
            if (overlap(p[i].p, p[i].len, p[j].p, p[j].len)) {
                reply_errf(c,
                           "ERR Prefix '%.*s' overlaps with another provided prefix '%.*s'. "
                           "Prefixes for a single client must not overlap.",
                           c_len(p[i].p, p[i].len), p[i].p, c_len(p[j].p, p[j].len), p[j].p);
                if (i == 0)
                    return false;
                *twice = true;
                return true;
            }
        }
    }
    return true;
}

/* CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
 * [OPTOUT] [NOLOOP] -- Redis 7.4's checks and errors, in its order. */
void cmd_client_tracking(struct cmd_ctx *c)
{
    struct session *s = c->s;
    struct store *st = c->st;
    long long redir = 0;
    uint32_t opts = 0;
    struct rs_str *prefix = NULL;
    int nprefix = 0;
    struct session *redir_s = NULL;
    for (int j = 3; j < c->argc; j++) {
        bool more = j < c->argc - 1;
        if (rs_str_eqi(c->argv[j], "redirect") && more) {
            j++;
            if (redir != 0) {
                reply_errf(c, "ERR A client can only redirect to a single other client");
                goto out;
            }
            if (!arg_ll(c, c->argv[j], &redir))
                goto out;
            redir_s = session_by_id(st, redir);
            if (redir_s == NULL) {
                reply_errf(c, "ERR The client ID you want redirect to does not exist");
                goto out;
            }
        } else if (rs_str_eqi(c->argv[j], "bcast")) {
            opts |= TRK_BCAST;
        } else if (rs_str_eqi(c->argv[j], "optin")) {
            opts |= TRK_OPTIN;
        } else if (rs_str_eqi(c->argv[j], "optout")) {
            opts |= TRK_OPTOUT;
        } else if (rs_str_eqi(c->argv[j], "noloop")) {
            opts |= TRK_NOLOOP;
        } else if (rs_str_eqi(c->argv[j], "prefix") && more) {
            j++;
            prefix = rs_realloc(prefix, (size_t)(nprefix + 1) * sizeof *prefix);
            prefix[nprefix++] = c->argv[j];
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            goto out;
        }
    }
    if (rs_str_eqi(c->argv[2], "on")) {
        struct trk_client *tc = s->trk;
        if (!(opts & TRK_BCAST) && nprefix) {
            reply_errf(c, "ERR PREFIX option requires BCAST mode to be enabled");
            goto out;
        }
        if (tc && !(tc->flags & TRK_BCAST) != !(opts & TRK_BCAST)) {
            reply_errf(c, "ERR You can't switch BCAST mode on/off before disabling tracking "
                          "for this client, and then re-enabling it with a different mode.");
            goto out;
        }
        if ((opts & TRK_BCAST) && (opts & (TRK_OPTIN | TRK_OPTOUT))) {
            reply_errf(c, "ERR OPTIN and OPTOUT are not compatible with BCAST");
            goto out;
        }
        if ((opts & TRK_OPTIN) && (opts & TRK_OPTOUT)) {
            reply_errf(c, "ERR You can't specify both OPTIN mode and OPTOUT mode");
            goto out;
        }
        if (tc && (((opts & TRK_OPTIN) && (tc->flags & TRK_OPTOUT)) ||
                   ((opts & TRK_OPTOUT) && (tc->flags & TRK_OPTIN)))) {
            reply_errf(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                          "for this client, and then re-enabling it with a different mode.");
            goto out;
        }
        bool twice = false;
        if ((opts & TRK_BCAST) && !check_prefixes(c, prefix, nprefix, &twice))
            goto out;
        struct tracking *t = st->trk;
        if (tc == NULL) {
            tc = s->trk = rs_calloc(1, sizeof *tc);
            if (t->nclients == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 4;
                t->clients = rs_realloc(t->clients, t->cap * sizeof *t->clients);
            }
            tc->idx = t->nclients;
            t->clients[t->nclients++] = s;
            kreg_get(st, &t->byid, 0, rs_str_from((const char *)&s->id, sizeof s->id))->head = s;
        }
        if (tc->redir)
            t->nredirs--;
        if (redir)
            t->nredirs++;
        /* As enableTracking: the old options go, the prefixes add up. */
        tc->flags &= ~(uint32_t)(TRK_BROKEN_REDIR | TRK_BCAST | TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP);
        tc->redir = (uint64_t)redir;
        tc->redir_s = redir_s;
        if (opts & TRK_BCAST) {
            tc->flags |= TRK_BCAST;
            if (nprefix == 0)
                prefix_join(st, s, rs_str_from("", 0));
            for (int i = 0; i < nprefix; i++)
                prefix_join(st, s, prefix[i]);
        }
        tc->flags |= opts & (TRK_OPTIN | TRK_OPTOUT | TRK_NOLOOP);
        (void)twice; /* the error is out; +OK follows it, as in Redis */
    } else if (rs_str_eqi(c->argv[2], "off")) {
        disable(s);
    } else {
        reply_err(c, RS_ERR_SYNTAX);
        goto out;
    }
    resp_add_ok(c->out);
out:
    rs_free(prefix);
}

/* CLIENT CACHING YES|NO */
void cmd_client_caching(struct cmd_ctx *c)
{
    struct trk_client *tc = c->s->trk;
    if (tc == NULL) {
        reply_errf(c, "ERR CLIENT CACHING can be called only when the client is in tracking "
                      "mode with OPTIN or OPTOUT mode enabled");
        return;
    }
    if (rs_str_eqi(c->argv[2], "yes")) {
        if (!(tc->flags & TRK_OPTIN)) {
            reply_errf(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                          "OPTIN mode.");
            return;
        }
    } else if (rs_str_eqi(c->argv[2], "no")) {
        if (!(tc->flags & TRK_OPTOUT)) {
            reply_errf(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                          "OPTOUT mode.");
            return;
        }
    } else {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    tc->flags |= TRK_CACHING;
    resp_add_ok(c->out);
}

/* CLIENT GETREDIR -- the REDIRECT id, 0 without one, -1 when not tracking. */
void cmd_client_getredir(struct cmd_ctx *c)
{
    resp_add_int(c->out, tracking_redir(c->s));
}

/* CLIENT TRACKINGINFO -- {flags: set, redirect: id, prefixes: array}. */
void cmd_client_trackinginfo(struct cmd_ctx *c)
{
    const struct trk_client *tc = c->s->trk;
    uint32_t f = tc ? tc->flags : 0;
    resp_add_map_len(c->out, 3);
    resp_add_bulk_cstr(c->out, "flags");
    const char *names[8];
    int n = 0;
    names[n++] = tc ? "on" : "off";
    if (f & TRK_BCAST)
        names[n++] = "bcast";
    if (f & TRK_OPTIN) {
        names[n++] = "optin";
        if (f & TRK_CACHING)
            names[n++] = "caching-yes";
    }
    if (f & TRK_OPTOUT) {
        names[n++] = "optout";
        if (f & TRK_CACHING)
            names[n++] = "caching-no";
    }
    if (f & TRK_NOLOOP)
        names[n++] = "noloop";
    if (f & TRK_BROKEN_REDIR)
        names[n++] = "broken_redirect";
    resp_add_set_len(c->out, n);
    for (int i = 0; i < n; i++)
        resp_add_bulk_cstr(c->out, names[i]);
    resp_add_bulk_cstr(c->out, "redirect");
    resp_add_int(c->out, tracking_redir(c->s));
    resp_add_bulk_cstr(c->out, "prefixes");
    uint32_t np = tc ? tc->nprefixes : 0; /* sorted, as Redis's radix tree lists them */
    resp_add_array_len(c->out, np);
    for (uint32_t i = 0; i < np; i++)
        resp_add_bulk(c->out, tc->prefixes[i]->p, tc->prefixes[i]->len);
}
