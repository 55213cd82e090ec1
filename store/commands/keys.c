/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyspace commands with Redis 7.4's replies and errors (db.c, expire.c and
 * object.c there): DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME,
 * RENAMENX, COPY, TOUCH, the EXPIRE and TTL families, PERSIST, OBJECT,
 * DBSIZE, FLUSHDB, FLUSHALL, SWAPDB and MOVE.
 *
 * Keys live in shards (keyspace.c), so a command over two keys may span two
 * shards or two databases: RENAME and MOVE hand the value to a new entry in
 * the destination shard (obj_rekey, no copy of the value), COPY duplicates
 * it (obj_dup). A TTL always travels with the key.
 *
 * SCAN cursor: (shard seq << SCAN_TC_BITS) | table cursor. The global shard
 * has seq 0 and project shards the creation seq kept in db->order, so a scan
 * visits the shards in seq order, each with Redis's reverse-binary cursor
 * (tbl_scan). A key present for the whole scan keeps its shard alive, with
 * the same seq, for the whole scan, so it is returned at least once whatever
 * the rehashes and whatever shards are created or freed meanwhile (a shard
 * created again gets a new, larger seq). When the cursor's shard is gone the
 * scan resumes at the start of the next one. KEYS and SCAN whose pattern's
 * literal prefix names a project ("project:42:*") visit only that shard.
 *
 * A project user's session (commands/acl.h) sees only the keys it may
 * read: KEYS, SCAN, RANDOMKEY and DBSIZE visit only its projects' shards
 * (a SCAN cursor then moves over their seqs alone) and skip the keys its
 * patterns do not let it read.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/acl.h"
#include "commands/commands.h"
#include "commands/persist.h"
#include "commands/tracking.h"
#include "keyspace/keyspace.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/util.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* lookupKeyReadWithFlags(LOOKUP_NOTOUCH): lazy expiry and hit/miss counts,
 * but the access time is left alone (TYPE, TTL, EXISTS, OBJECT); a miss
 * publishes keymiss when notify (not for OBJECT, Redis's LOOKUP_NONOTIFY). */
static struct entry *read_notouch(struct cmd_ctx *c, struct rs_str key, struct kloc *loc,
                                  bool notify)
{
    struct entry *e = ks_peek(c, c->db, key, loc);
    if (e) {
        c->st->stats.keyspace_hits++;
    } else {
        c->st->stats.keyspace_misses++;
        if (notify)
            ks_notify(c->db, NOTIFY_KEY_MISS, "keymiss", key);
    }
    return e;
}

/* Redis's getIntFromObjectOrReply: an int, else the error e (NOT_INT
 * replies the range error for integers outside int, as Redis does). */
static bool arg_int(struct cmd_ctx *c, struct rs_str a, int *v, enum rs_err e)
{
    long long ll;
    bool is_ll = resp_str2ll(a.p, a.len, &ll);
    if (is_ll && ll >= INT_MIN && ll <= INT_MAX) {
        *v = (int)ll;
        return true;
    }
    reply_err(c, is_ll && e == RS_ERR_NOT_INT ? RS_ERR_INT_RANGE : e);
    return false;
}

/* The database of index idx, or NULL after "DB index is out of range". */
static struct db *db_or_reply(struct cmd_ctx *c, int idx)
{
    if (idx < 0 || idx >= c->st->ndbs) {
        reply_err(c, RS_ERR_DB_RANGE);
        return NULL;
    }
    return c->st->dbs[idx];
}

static inline struct rs_str key_of(const struct entry *e)
{
    return rs_str_from(entry_key(e), e->klen);
}

/* ------------------------------------------------------------------------
 * DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE, FLUSHDB, FLUSHALL
 * ------------------------------------------------------------------------ */

static void del_generic(struct cmd_ctx *c, bool lazy)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        if (ks_delete_key(c, c->db, c->argv[i], lazy)) {
            ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[i]);
            ks_dirty(c->st, 1);
            n++;
        }
    }
    resp_add_int(c->out, n);
}

/* DEL key [key ...] -- frees at once, unless lazyfree-lazy-user-del. */
void cmd_del(struct cmd_ctx *c)
{
    del_generic(c, c->st->cfg.lazyfree_user_del);
}

/* UNLINK key [key ...] -- O(1) a key: big values are freed in the
 * background. */
void cmd_unlink(struct cmd_ctx *c)
{
    del_generic(c, true);
}

/* EXISTS key [key ...] -- a key named twice counts twice. */
void cmd_exists(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++)
        n += read_notouch(c, c->argv[i], NULL, true) != NULL;
    resp_add_int(c->out, n);
}

/* TYPE key -- a status reply: the type name, or "none". */
void cmd_type(struct cmd_ctx *c)
{
    struct entry *e = read_notouch(c, c->argv[1], NULL, true);
    const char *name = e ? obj_type_name(e->type) : "none";
    resp_add_simple(c->out, name, strlen(name));
}

/* TOUCH key [key ...] -- the keys that exist, their access time updated. */
void cmd_touch(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        struct entry *e = ks_read(c, c->db, c->argv[i], NULL);
        /* TOUCH touches even for a CLIENT NO-TOUCH client, as in Redis, but
         * not from the script of one (Redis looks at the caller's command) */
        if (e && (c->s->flags & (SES_NO_TOUCH | SES_SCRIPT)) == SES_NO_TOUCH)
            ks_access(c->st, e);
        n += e != NULL;
    }
    resp_add_int(c->out, n);
}

struct visible_walk {
    const struct session *s;
    uint64_t keys, expiring;
};

static void visible_cb(void *ud, struct entry *e)
{
    struct visible_walk *w = ud;
    if (acl_may_read(w->s, key_of(e))) {
        w->keys++;
        w->expiring += e->exp_idx != EXP_NONE;
    }
}

uint64_t keys_visible(const struct session *s, struct db *db, uint64_t *expiring)
{
    if (!(s->flags & SES_PROJECT)) {
        if (expiring)
            *expiring = ks_db_expires(db, false);
        return ks_db_size(db);
    }
    struct visible_walk w = {s, 0, 0};
    for (int i = 0, n = acl_nprojects(s); i < n; i++) {
        bool whole;
        struct ks_proj p;
        if (!ks_project(db, acl_project(s, i, &whole), &p))
            continue;
        if (whole) {
            w.keys += ks_proj_keys(&p);
            w.expiring += ks_proj_expiring(&p);
        } else {
            ks_proj_foreach(&p, visible_cb, &w);
        }
    }
    if (expiring)
        *expiring = w.expiring;
    return w.keys;
}

/* DBSIZE -- keys of the database, including expired ones not reclaimed yet
 * (Redis counts them too); for a project user, those it may read. */
void cmd_dbsize(struct cmd_ctx *c)
{
    resp_add_int(c->out, (long long)keys_visible(c->s, c->db, NULL));
}

/* [ASYNC|SYNC], lazyfree-lazy-user-flush when neither: false (and a
 * syntax error) on anything else. */
static bool flush_mode(struct cmd_ctx *c, bool *async)
{
    *async = c->st->cfg.lazyfree_user_flush;
    if (c->argc == 1)
        return true;
    if (c->argc == 2 && rs_str_eqi(c->argv[1], "async")) {
        *async = true;
        return true;
    }
    if (c->argc == 2 && rs_str_eqi(c->argv[1], "sync")) {
        *async = false;
        return true;
    }
    reply_err(c, RS_ERR_SYNTAX);
    return false;
}

/* FLUSHDB [ASYNC|SYNC] */
void cmd_flushdb(struct cmd_ctx *c)
{
    bool async;
    if (!flush_mode(c, &async))
        return;
    ks_dirty(c->st, ks_db_size(c->db));
    ks_flush_db(c->st, c->db, async);
    tracking_flushed(c->st);
    prop_add(c, c->argc, c->argv); /* even of an empty database, as Redis forces it */
    resp_add_ok(c->out);
}

/* FLUSHALL [ASYNC|SYNC] */
void cmd_flushall(struct cmd_ctx *c)
{
    bool async;
    if (!flush_mode(c, &async))
        return;
    for (int i = 0; i < c->st->ndbs; i++) {
        ks_dirty(c->st, ks_db_size(c->st->dbs[i]));
        ks_flush_db(c->st, c->st->dbs[i], async);
    }
    tracking_flushed(c->st);
    /* As Redis 7.4: with save points, the emptied dataset is saved at
     * once (a failure is only logged). */
    if (c->st->cfg.nsave > 0)
        persist_save(c->st);
    prop_add(c, c->argc, c->argv); /* even of nothing, as Redis forces it */
    resp_add_ok(c->out);
}

/* ------------------------------------------------------------------------
 * KEYS, SCAN, RANDOMKEY
 * ------------------------------------------------------------------------ */

#define SCAN_TC_BITS 39
#define SCAN_TC_MASK ((1ULL << SCAN_TC_BITS) - 1)

/* Cursors stay below 2^63: some clients read them as signed 64-bit. */
_Static_assert(KS_SEQ_BITS + SCAN_TC_BITS <= 63, "a SCAN cursor fits in an int64");

/* Does every key matching pat live in one project's shard? True when the
 * pattern's literal prefix (up to its first '*', '?' or '[', escapes
 * resolved) already names a project, which is then set in *id. */
static bool pattern_project(struct rs_str pat, struct rs_str *id, char *buf, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < pat.len && n < size; i++) {
        char ch = pat.p[i];
        if (ch == '*' || ch == '?' || ch == '[')
            break;
        if (ch == '\\') {
            if (i + 1 == pat.len)
                break;
            ch = pat.p[++i];
        }
        buf[n++] = ch;
    }
    /* Routing depends only on the bytes up to the colon that ends the id,
     * so a key with this prefix routes to the same project. */
    return ks_project_id(rs_str_from(buf, n), id);
}

/* Where KEYS and SCAN look for pat: false for every project of db; true
 * for only one project, set in *only (only->sh NULL if it does not exist). */
static bool pattern_project_of(struct db *db, struct rs_str pat, bool has_pat,
                               struct ks_proj *only)
{
    char buf[256];
    struct rs_str id;
    if (!has_pat || !pattern_project(pat, &id, buf, sizeof buf))
        return false;
    if (!ks_project(db, id, only))
        only->sh = NULL;
    return true;
}

/* Call fn for each project of db that s, a project user's session, walks:
 * its user's projects, or with a pattern routed to one project (only),
 * that one if it is one of them. */
static void walk_user_projects(const struct session *s, struct db *db, bool routed,
                               const struct ks_proj *only,
                               void (*fn)(void *ud, const struct ks_proj *p), void *ud)
{
    if (routed) {
        if (only->sh && acl_in_projects(s, ks_proj_id(only)))
            fn(ud, only);
        return;
    }
    for (int i = 0, n = acl_nprojects(s); i < n; i++) {
        struct ks_proj p;
        if (ks_project(db, acl_project(s, i, NULL), &p))
            fn(ud, &p);
    }
}

struct keys_walk {
    struct cmd_ctx *c;
    struct shard *sh; /* the shard the walked project's keys are accounted to */
    struct rs_str pat;
    bool all;
    long long n;
};

static void keys_cb(void *ud, struct entry *e)
{
    struct keys_walk *w = ud;
    if ((w->all || glob_match_str(w->pat, key_of(e))) && ks_is_live(w->sh, e, w->c->now) &&
        acl_may_read(w->c->s, key_of(e))) {
        resp_add_bulk(w->c->out, entry_key(e), e->klen);
        w->n++;
    }
}

static void keys_project(void *ud, const struct ks_proj *p)
{
    struct keys_walk *w = ud;
    w->sh = p->sh;
    ks_proj_foreach(p, keys_cb, w);
}

/* KEYS pattern -- O(N) over the keys of the shards visited. Expired keys
 * are skipped, not deleted (the walk must not change the tables). */
void cmd_keys(struct cmd_ctx *c)
{
    struct rs_str pat = c->argv[1];
    struct keys_walk w = {c, NULL, pat, pat.len == 1 && pat.p[0] == '*', 0};
    struct resp_deferred d = resp_add_deferred(c->out);
    struct ks_proj only;
    bool routed = pattern_project_of(c->db, pat, !w.all, &only);
    if (c->s->flags & SES_PROJECT)
        walk_user_projects(c->s, c->db, routed, &only, keys_project, &w);
    else if (!routed)
        ks_foreach_project(c->db, true, keys_project, &w);
    else if (only.sh)
        keys_project(&w, &only);
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, w.n);
}

/* The first project at or after seq that a scan visits, in *p: the global
 * shard for seq 0, else the project with the smallest seq >= seq; false
 * past the last. A routed scan (MATCH naming a project) has the one
 * project only. */
static bool scan_project(const struct session *s, struct db *db, bool routed,
                         const struct ks_proj *only, uint64_t seq, struct ks_proj *p)
{
    if (s->flags & SES_PROJECT) {
        /* A project user's projects only, by seq: O(its projects). */
        bool found = false;
        for (int i = 0, n = acl_nprojects(s); i < n; i++) {
            struct ks_proj q;
            if (!ks_project(db, acl_project(s, i, NULL), &q) || ks_proj_seq(&q) < seq ||
                (routed && (!only->sh || !rs_str_eq(ks_proj_id(&q), ks_proj_id(only)))) || (found && ks_proj_seq(&q) >= ks_proj_seq(p)))
                continue;
            *p = q;
            found = true;
        }
        return found;
    }
    if (routed) {
        *p = *only;
        return only->sh && ks_proj_seq(only) >= seq;
    }
    if (seq == 0) {
        *p = (struct ks_proj){&db->global, NULL};
        return true;
    }
    return ks_project_from_seq(db, seq, p);
}

struct scan_hit {
    struct shard *sh;
    struct entry *e;
};

struct scan_acc {
    const struct session *s; /* keys it may not read are skipped */
    struct shard *sh; /* the shard being scanned */
    struct rs_str pat;
    bool use_pat;
    long long sampled; /* entries visited, matching or not */
    struct scan_hit *hits;
    size_t n, cap;
};

static void scan_cb(void *ud, struct entry *e)
{
    struct scan_acc *a = ud;
    a->sampled++;
    if ((a->use_pat && !glob_match_str(a->pat, key_of(e))) || !acl_may_read(a->s, key_of(e)))
        return;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->hits = rs_realloc(a->hits, a->cap * sizeof *a->hits);
    }
    a->hits[a->n++] = (struct scan_hit){a->sh, e};
}

/* A type name of SCAN's TYPE option, any case; -1 for a name no key can
 * have (Redis 7.4 then returns no keys; the error is for Redis 8). */
static int scan_type(struct rs_str name)
{
    for (int t = OBJ_STRING; t <= OBJ_STREAM; t++)
        if (rs_str_eqi(name, obj_type_name(t)))
            return t;
    return -1;
}

/* SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 * Reply: [next cursor as a bulk string, [keys...]]. Each call visits up to
 * about 10*COUNT buckets and stops once COUNT keys were sampled, as Redis.
 * Expired keys met on the way are deleted and not returned. */
void cmd_scan(struct cmd_ctx *c)
{
    uint64_t cursor;
    struct scan_opts o;
    if (!arg_cursor(c, c->argv[1], &cursor) || !scan_opts_parse(c, 2, SCAN_ALLOW_TYPE, &o))
        return;
    long long count = o.count;
    bool by_type = o.has_type;
    int type = by_type ? scan_type(o.type) : -1;
    struct scan_acc a = {.s = c->s, .pat = o.pat, .use_pat = o.use_pat};

    struct db *db = c->db;
    struct ks_proj only, p;
    bool routed = pattern_project_of(db, a.pat, a.use_pat, &only);
    uint64_t seq = cursor >> SCAN_TC_BITS, tc = cursor & SCAN_TC_MASK;
    bool more = scan_project(c->s, db, routed, &only, seq, &p);
    if (more && ks_proj_seq(&p) != seq)
        tc = 0; /* the cursor's project is gone: start the next one */
    long long budget = o.max_steps;
    uint64_t next = 0;
    while (more) {
        a.sh = p.sh;
        tc = ks_proj_scan(&p, tc, scan_cb, &a);
        if (tc == 0) {
            more = scan_project(c->s, db, routed, &only, (uint64_t)ks_proj_seq(&p) + 1, &p);
            if (!more) {
                next = 0;
                break;
            }
        }
        next = ((uint64_t)ks_proj_seq(&p) << SCAN_TC_BITS) | tc;
        if (budget-- == 0 || a.sampled >= count)
            break;
    }

    /* Filter once the tables are no longer walked: deleting an expired key
     * frees only its own entry, so the other hits stay valid. */
    size_t kept = 0;
    for (size_t i = 0; i < a.n; i++) {
        struct scan_hit h = a.hits[i];
        if (by_type) {
            /* Redis 7.4 checks the type through a lookup: hit/miss stats. */
            struct entry *e = read_notouch(c, key_of(h.e), NULL, false);
            if (e == NULL || (int)e->type != type)
                continue;
        } else if (!ks_is_live(h.sh, h.e, c->now)) {
            ks_peek(c, db, key_of(h.e), NULL); /* deletes it, counted as expired */
            continue;
        }
        a.hits[kept++] = h;
    }

    char buf[24];
    resp_add_array_len(c->out, 2);
    resp_add_bulk(c->out, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)next));
    resp_add_array_len(c->out, (long long)kept);
    for (size_t i = 0; i < kept; i++)
        resp_add_bulk(c->out, entry_key(a.hits[i].e), a.hits[i].e->klen);
    rs_free(a.hits);
}

struct pick_walk {
    struct cmd_ctx *c;
    struct shard *sh;
    uint64_t seen;
    struct entry *pick;
};

/* Reservoir sampling over the live keys s may read: each equally likely. */
static void pick_cb(void *ud, struct entry *e)
{
    struct pick_walk *w = ud;
    if (!ks_is_live(w->sh, e, w->c->now) || !acl_may_read(w->c->s, key_of(e)))
        return;
    if (rng_below(&w->c->st->rng, ++w->seen) == 0)
        w->pick = e;
}

static void pick_project(void *ud, const struct ks_proj *p)
{
    struct pick_walk *w = ud;
    w->sh = p->sh;
    ks_proj_foreach(p, pick_cb, w);
}

#define RANDOMKEY_DRAWS 64

/* RANDOMKEY of a project user: a key drawn uniformly over its projects'
 * keys (a project by its key count, then a key of it), drawn again while
 * it is one the user may not read or an expired one (deleted, as below);
 * after RANDOMKEY_DRAWS misses, one walk of its projects picks among the
 * keys it may read. */
static void randomkey_projects(struct cmd_ctx *c)
{
    struct db *db = c->db;
    for (int draw = 0; draw < RANDOMKEY_DRAWS; draw++) {
        uint64_t total = 0;
        int n = acl_nprojects(c->s);
        for (int i = 0; i < n; i++) {
            struct ks_proj p;
            if (ks_project(db, acl_project(c->s, i, NULL), &p))
                total += ks_proj_keys(&p);
        }
        if (total == 0)
            break;
        uint64_t x = rng_below(&c->st->rng, total);
        for (int i = 0; i < n; i++) {
            struct ks_proj p;
            if (!ks_project(db, acl_project(c->s, i, NULL), &p))
                continue;
            if (x >= ks_proj_keys(&p)) {
                x -= ks_proj_keys(&p);
                continue;
            }
            struct entry *e = ks_proj_random(&p, &c->st->rng);
            if (!acl_may_read(c->s, key_of(e)))
                break;
            if (ks_is_live(p.sh, e, c->now)) {
                resp_add_bulk(c->out, entry_key(e), e->klen);
                return;
            }
            ks_peek(c, db, key_of(e), NULL); /* deletes it (not while paused) */
            break;
        }
    }
    struct pick_walk w = {c, NULL, 0, NULL};
    struct ks_proj none = {0};
    walk_user_projects(c->s, db, false, &none, pick_project, &w);
    if (w.pick)
        resp_add_bulk(c->out, entry_key(w.pick), w.pick->klen);
    else
        resp_add_null(c->out);
}

/* RANDOMKEY -- a random key of the database, a null if it is empty (of
 * those a project user may read, for its session). The
 * project is drawn with a weight of its key count, then a key of its
 * table (tbl_random), so every key is exactly equally likely: O(log
 * projects) (ks_random_project). An expired key drawn is
 * deleted and the draw repeated, as Redis does; during a CLIENT PAUSE it
 * stays, and when every key has a TTL (all may be past it) the 100th
 * draw is answered whatever it is, as Redis's dbRandomKey. */
void cmd_randomkey(struct cmd_ctx *c)
{
    struct db *db = c->db;
    if (c->s->flags & SES_PROJECT) {
        randomkey_projects(c);
        return;
    }
    for (int draws = 1;; draws += draws < 100) {
        uint64_t n = ks_db_size(db);
        struct ks_proj p;
        if (n == 0 || !ks_random_project(db, rng_below(&c->st->rng, n), &p)) {
            resp_add_null(c->out);
            return;
        }
        struct entry *e = ks_proj_random(&p, &c->st->rng);
        if (ks_is_live(p.sh, e, c->now) ||
            (draws == 100 && pause_active(c->st) && ks_db_expires(db, false) == n)) {
            resp_add_bulk(c->out, entry_key(e), e->klen);
            return;
        }
        ks_peek(c, db, key_of(e), NULL); /* deletes it (not while paused), counted as expired */
    }
}

/* ------------------------------------------------------------------------
 * RENAME, RENAMENX, COPY, MOVE, SWAPDB
 * ------------------------------------------------------------------------ */

/* Put the value of the entry at from (taken out of its shard) under key in
 * db, with deadline when (-1: none). */
static void move_entry(struct db *db, struct rs_str key, struct kloc *from, int64_t when)
{
    struct entry *e = ks_take(from);
    /* After the take: a kloc into a one-key project is stale once its
     * project gets a second key (ks_shard). */
    struct shard *to = ks_shard(db, key, true);
    e = obj_rekey(from->sh, to, key, e);
    uint32_t lru = e->lru;
    ks_add(db, to, e);
    e->lru = lru; /* the value keeps its access time, as Redis's object does */
    if (when != -1)
        exp_set(to, e, when);
}

static void rename_generic(struct cmd_ctx *c, bool nx)
{
    struct rs_str src = c->argv[1], dst = c->argv[2];
    struct kloc sl, dl;
    struct entry *e = ks_write(c, c->db, src, &sl);
    if (e == NULL) {
        reply_err(c, RS_ERR_NO_SUCH_KEY);
        return;
    }
    if (rs_str_eq(src, dst)) {
        if (nx)
            resp_add_int(c->out, 0);
        else
            resp_add_ok(c->out);
        return;
    }
    int64_t when = exp_get(sl.sh, e);
    if (ks_write(c, c->db, dst, &dl)) {
        if (nx) {
            resp_add_int(c->out, 0);
            return;
        }
        ks_delete(&dl);
    }
    /* The lookup and deletion of dst may have moved src's slot (a rehash
     * step, an unlink in the same chain): find it again. */
    ks_peek(c, c->db, src, &sl);
    move_entry(c->db, dst, &sl, when);
    ks_notify(c->db, NOTIFY_GENERIC, "rename_from", src);
    ks_notify(c->db, NOTIFY_GENERIC, "rename_to", dst);
    ks_dirty(c->st, 1);
    if (nx)
        resp_add_int(c->out, 1);
    else
        resp_add_ok(c->out);
}

/* RENAME key newkey -- O(1); the TTL moves with the key. */
void cmd_rename(struct cmd_ctx *c)
{
    rename_generic(c, false);
}

/* RENAMENX key newkey -- :1 renamed, :0 newkey exists (or is key). */
void cmd_renamenx(struct cmd_ctx *c)
{
    rename_generic(c, true);
}

/* COPY source destination [DB destination-db] [REPLACE] -- :1 copied, :0
 * source missing or destination present without REPLACE. O(N) in the size
 * of the value. */
void cmd_copy(struct cmd_ctx *c)
{
    struct db *dst_db = c->db;
    bool replace = false;
    for (int j = 3; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "replace")) {
            replace = true;
        } else if (rs_str_eqi(c->argv[j], "db") && j + 1 < c->argc) {
            int idx;
            if (!arg_int(c, c->argv[++j], &idx, RS_ERR_NOT_INT))
                return;
            if ((dst_db = db_or_reply(c, idx)) == NULL)
                return;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    struct rs_str src = c->argv[1], dst = c->argv[2];
    if (dst_db == c->db && rs_str_eq(src, dst)) {
        reply_err(c, RS_ERR_SAME_OBJECT);
        return;
    }
    struct kloc sl, dl;
    struct entry *e = ks_read(c, c->db, src, &sl);
    if (e == NULL) {
        resp_add_int(c->out, 0);
        return;
    }
    int64_t when = exp_get(sl.sh, e);
    bool existed = ks_write(c, dst_db, dst, &dl) != NULL;
    if (existed && !replace) {
        resp_add_int(c->out, 0);
        return;
    }
    /* Entries never move on a lookup or another key's deletion: e stays
     * valid though sl may not. */
    struct shard *to = ks_shard(dst_db, dst, true);
    struct entry *n = obj_dup(to, dst, e);
    if (existed)
        ks_delete(&dl);
    ks_add(dst_db, to, n);
    if (when != -1)
        exp_set(to, n, when);
    ks_notify(dst_db, NOTIFY_GENERIC, "copy_to", dst);
    ks_dirty(c->st, 1);
    resp_add_int(c->out, 1);
}

/* DUMP key -- Redis's payload of the value: its RDB type and value (LZF
 * under rdbcompression, as Redis), the RDB version in 2 bytes and the
 * CRC-64 in 8, both little-endian; a null for a missing key. O(value). */
void cmd_dump(struct cmd_ctx *c)
{
    struct entry *e = ks_read(c, c->db, c->argv[1], NULL);
    if (e == NULL) {
        resp_add_null(c->out);
        return;
    }
    struct rdb_buf b = {.no_lzf = !c->st->cfg.rdbcompression};
    rdb_put_value(&b, e);
    rdb_put_dump_footer(&b);
    resp_add_bulk(c->out, (const char *)b.p, b.len);
    rs_free(b.p);
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ f]
 * -- the key from a DUMP payload (of respite or Redis, RDB version <= 12),
 * checked in Redis 7.4's order: options, BUSYKEY, the TTL, the footer
 * (version and CRC-64), then the value, which is checked whole (as Redis
 * under sanitize-dump-payload yes), so a bad one is "Bad data format" and
 * never a broken key. A TTL of 0 is none; one already past deletes a
 * replaced key (event del) and restores nothing. FREQ is checked and
 * ignored (respite has no LFU policy). O(value). */
void cmd_restore(struct cmd_ctx *c)
{
    long long idle = -1, freq = -1, ttl;
    bool replace = false, absttl = false;
    for (int j = 4; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (rs_str_eqi(c->argv[j], "replace")) {
            replace = true;
        } else if (rs_str_eqi(c->argv[j], "absttl")) {
            absttl = true;
        } else if (rs_str_eqi(c->argv[j], "idletime") && more && freq == -1) {
            if (!arg_ll(c, c->argv[++j], &idle))
                return;
            if (idle < 0) {
                reply_err(c, RS_ERR_RESTORE_IDLETIME);
                return;
            }
        } else if (rs_str_eqi(c->argv[j], "freq") && more && idle == -1) {
            if (!arg_ll(c, c->argv[++j], &freq))
                return;
            if (freq < 0 || freq > 255) {
                reply_err(c, RS_ERR_RESTORE_FREQ);
                return;
            }
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    struct rs_str key = c->argv[1];
    struct kloc loc;
    bool existed = ks_write(c, c->db, key, &loc) != NULL;
    if (existed && !replace) {
        reply_err(c, RS_ERR_BUSYKEY);
        return;
    }
    if (!arg_ll(c, c->argv[2], &ttl))
        return;
    if (ttl < 0) {
        reply_err(c, RS_ERR_RESTORE_TTL);
        return;
    }
    const uint8_t *data = (const uint8_t *)c->argv[3].p;
    size_t len = c->argv[3].len;
    uint16_t version;
    if (!rdb_dump_verify(data, len, c->st->skip_checksum, &version)) {
        reply_err(c, RS_ERR_FN_PAYLOAD);
        return;
    }
    /* the value may run into the footer: Redis reads the payload whole */
    struct rdb_reader r = {data, data + len};
    struct rdb_value val;
    char err[128];
    int type = rdb_get_type(&r);
    if (type == -1 || rdb_value_read(c->st, &r, type, &val, err, sizeof err) != 0) {
        reply_err(c, RS_ERR_BAD_DATA);
        return;
    }
    /* INFO dump_payload_sanitizations: Redis checks a payload's packed
     * parts whole, and counts each, under sanitize-dump-payload yes (or
     * clients, for a client's RESTORE, not the append-only file's); respite
     * checks them so always, and counts them when Redis would. */
    int sanitize = c->st->cfg.sanitize_dump_payload;
    if (sanitize == SANITIZE_DUMP_YES ||
        (sanitize == SANITIZE_DUMP_CLIENTS && !(c->s->flags & SES_REPLAY)))
        c->st->stats.dump_sanitizations += val.nblobs;
    if (ttl && !absttl)
        ttl = (long long)((uint64_t)ttl + (uint64_t)c->now); /* wraps as Redis's sum */
    if (ttl && ttl <= c->now) {
        rdb_value_free(&val);
        c->propagated = true; /* nothing restored: only the deletion is logged */
        if (existed) {
            ks_delete(&loc);
            ks_dirty(c->st, 1);
            ks_notify(c->db, NOTIFY_GENERIC, "del", key);
            prop_addf(c, "cs", "DEL", key);
        }
        resp_add_ok(c->out);
        return;
    }
    /* A relative TTL is logged as the deadline it gave, as Redis rewrites
     * it: ttl ABSTTL. */
    if (ttl && !absttl)
        prop_addf(c, "csisvc", "RESTORE", key, ttl, c->argv[3], c->argc - 4, c->argv + 4,
                  "ABSTTL");
    struct shard *sh = ks_shard(c->db, key, true);
    struct entry *e = rdb_value_entry(sh, key, &val);
    if (existed)
        ks_replace(&loc, e, false);
    else
        ks_add(c->db, sh, e);
    if (ttl)
        exp_set(sh, e, ttl);
    ks_set_idle_or_freq(c->st, e, idle, (int)freq);
    ks_dirty(c->st, 1);
    ks_notify(c->db, NOTIFY_GENERIC, "restore", key);
    resp_add_ok(c->out);
}

/* MOVE key db -- :1 moved, :0 missing here or present there. O(1). */
void cmd_move(struct cmd_ctx *c)
{
    int idx;
    if (!arg_int(c, c->argv[2], &idx, RS_ERR_NOT_INT))
        return;
    struct db *dst = db_or_reply(c, idx);
    if (dst == NULL)
        return;
    if (dst == c->db) {
        reply_err(c, RS_ERR_SAME_OBJECT);
        return;
    }
    struct rs_str key = c->argv[1];
    struct kloc sl;
    struct entry *e = ks_write(c, c->db, key, &sl);
    if (e == NULL || ks_write(c, dst, key, NULL) != NULL) {
        resp_add_int(c->out, 0);
        return;
    }
    move_entry(dst, key, &sl, exp_get(sl.sh, e));
    ks_notify(c->db, NOTIFY_GENERIC, "move_from", key);
    ks_notify(dst, NOTIFY_GENERIC, "move_to", key);
    ks_dirty(c->st, 1);
    resp_add_int(c->out, 1);
}

/* SWAPDB index1 index2 -- clients stay on their index and see the other
 * contents at once. O(1). */
void cmd_swapdb(struct cmd_ctx *c)
{
    int a, b;
    if (!arg_int(c, c->argv[1], &a, RS_ERR_SWAPDB_FIRST) ||
        !arg_int(c, c->argv[2], &b, RS_ERR_SWAPDB_SECOND))
        return;
    if (a < 0 || a >= c->st->ndbs || b < 0 || b >= c->st->ndbs) {
        reply_err(c, RS_ERR_DB_RANGE);
        return;
    }
    /* Logged in the caller's database, which c->db stops being once the
     * indexes move. */
    prop_add(c, c->argc, c->argv);
    struct db **dbs = c->st->dbs, *t = dbs[a];
    /* Watches stay with the index: a key that exists on either side is
     * touched for the watchers of both (SWAPDB i i changes nothing). */
    if (a != b) {
        ks_touch_db(dbs[a], dbs[b]);
        ks_touch_db(dbs[b], dbs[a]);
    }
    dbs[a] = dbs[b];
    dbs[b] = t;
    dbs[a]->idx = a;
    dbs[b]->idx = b;
    if (a != b) {
        ks_signal_db(dbs[a]);
        ks_signal_db(dbs[b]);
    }
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* ------------------------------------------------------------------------
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
 * PERSIST
 * ------------------------------------------------------------------------ */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* Redis's expireGenericCommand: time in argv[2], in seconds or ms, added to
 * base (the clock for the relative forms, 0 for the *AT forms). A deadline
 * not after now deletes the key and still replies 1. */
static void expire_generic(struct cmd_ctx *c, int64_t base, bool seconds)
{
    int flags = 0;
    for (int j = 3; j < c->argc; j++) {
        struct rs_str o = c->argv[j];
        if (rs_str_eqi(o, "nx")) {
            flags |= EXP_NX;
        } else if (rs_str_eqi(o, "xx")) {
            flags |= EXP_XX;
        } else if (rs_str_eqi(o, "gt")) {
            flags |= EXP_GT;
        } else if (rs_str_eqi(o, "lt")) {
            flags |= EXP_LT;
        } else {
            reply_errf(c, rs_err_text[RS_ERR_UNSUPPORTED_OPTION], cstr_len(o, 512), o.p);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_err(c, RS_ERR_NX_XX_GT_LT);
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        reply_err(c, RS_ERR_GT_LT);
        return;
    }
    long long when;
    if (!arg_ll(c, c->argv[2], &when))
        return;
    /* Negative times are allowed (they delete the key); only overflow of
     * the unit conversion or of the addition is an error. */
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_expire_time(c);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - base) {
        reply_expire_time(c);
        return;
    }
    when += base;

    struct kloc loc;
    struct entry *e = ks_write(c, c->db, c->argv[1], &loc);
    c->propagated = true; /* logged below when it changed the key */
    if (e == NULL) {
        resp_add_int(c->out, 0);
        return;
    }
    if (flags) {
        int64_t cur = exp_get(loc.sh, e);
        /* GT and LT take "no TTL" as an infinite one. */
        if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
            ((flags & EXP_GT) && (cur == -1 || when <= cur)) ||
            ((flags & EXP_LT) && cur != -1 && when >= cur)) {
            resp_add_int(c->out, 0);
            return;
        }
    }
    if (when <= c->now) {
        ks_delete_lazy(&loc, c->st->cfg.lazyfree_expire); /* an expiry, for Redis */
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
        prop_addf(c, "cs", "DEL", c->argv[1]);
        ks_dirty(c->st, 1);
    } else {
        exp_set(loc.sh, e, when);
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_GENERIC, "expire", c->argv[1]);
        prop_addf(c, "csi", "PEXPIREAT", c->argv[1], (long long)when);
        ks_dirty(c->st, 1);
    }
    resp_add_int(c->out, 1);
}

/* EXPIRE key seconds [NX|XX|GT|LT] */
void cmd_expire(struct cmd_ctx *c)
{
    expire_generic(c, c->now, true);
}

/* PEXPIRE key milliseconds [NX|XX|GT|LT] */
void cmd_pexpire(struct cmd_ctx *c)
{
    expire_generic(c, c->now, false);
}

/* EXPIREAT key unix-time-seconds [NX|XX|GT|LT] */
void cmd_expireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, true);
}

/* PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] */
void cmd_pexpireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, false);
}

/* Redis's ttlGenericCommand: -2 no key, -1 no TTL, else the time left (or
 * the deadline with abs), never below 0; seconds are rounded. */
static void ttl_generic(struct cmd_ctx *c, bool ms, bool abs)
{
    struct kloc loc;
    struct entry *e = read_notouch(c, c->argv[1], &loc, true);
    if (e == NULL) {
        resp_add_int(c->out, -2);
        return;
    }
    int64_t when = exp_get(loc.sh, e);
    if (when == -1) {
        resp_add_int(c->out, -1);
        return;
    }
    int64_t ttl = abs ? when : when - c->now;
    if (ttl < 0)
        ttl = 0;
    /* Unsigned: ttl + 500 must not overflow for a deadline near INT64_MAX
     * (Redis replies the exact quotient there too). */
    resp_add_int(c->out, ms ? ttl : (int64_t)(((uint64_t)ttl + 500) / 1000));
}

/* TTL key */
void cmd_ttl(struct cmd_ctx *c)
{
    ttl_generic(c, false, false);
}

/* PTTL key */
void cmd_pttl(struct cmd_ctx *c)
{
    ttl_generic(c, true, false);
}

/* EXPIRETIME key */
void cmd_expiretime(struct cmd_ctx *c)
{
    ttl_generic(c, false, true);
}

/* PEXPIRETIME key */
void cmd_pexpiretime(struct cmd_ctx *c)
{
    ttl_generic(c, true, true);
}

/* PERSIST key -- :1 if a TTL was removed. */
void cmd_persist(struct cmd_ctx *c)
{
    struct kloc loc;
    struct entry *e = ks_write(c, c->db, c->argv[1], &loc);
    bool had = e && e->exp_idx != EXP_NONE;
    if (had) {
        exp_clear(loc.sh, e);
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_GENERIC, "persist", c->argv[1]);
        ks_dirty(c->st, 1);
    }
    resp_add_int(c->out, had);
}

/* ------------------------------------------------------------------------
 * OBJECT
 * ------------------------------------------------------------------------ */

/* The key of OBJECT <sub> key, or NULL after a null reply. */
static struct entry *object_lookup(struct cmd_ctx *c)
{
    struct entry *e = read_notouch(c, c->argv[2], NULL, false);
    if (e == NULL)
        resp_add_null(c->out);
    return e;
}

/* OBJECT ENCODING key */
void cmd_object_encoding(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (e)
        resp_add_bulk_cstr(c->out, obj_enc_name(e));
}

/* OBJECT FREQ key -- the key's LFU counter, decayed to now, under an LFU
 * policy; Redis's error under the others (after the key lookup, as
 * there). */
void cmd_object_freq(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (e == NULL)
        return;
    if (MM_HOW(c->st->cfg.maxmemory_policy) != MM_LFU)
        reply_err(c, RS_ERR_LFU_NOT_SELECTED);
    else
        resp_add_int(c->out, ks_lfu_freq(c->st, e));
}

/* OBJECT IDLETIME key -- seconds since the last access, on the store's
 * 24-bit LRU clock (wrapping as Redis's estimateObjectIdleTime); Redis's
 * error under an LFU policy. */
void cmd_object_idletime(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (e == NULL)
        return;
    if (MM_HOW(c->st->cfg.maxmemory_policy) == MM_LFU)
        reply_err(c, RS_ERR_LRU_SELECTED);
    else
        resp_add_int(c->out, (long long)(ks_idle_ms(c->st, e) / 1000));
}

/* OBJECT REFCOUNT key -- Redis's count (ks_refcount), which clients read. */
void cmd_object_refcount(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (e == NULL)
        return;
    resp_add_int(c->out, ks_refcount(c->st, e));
}

/* OBJECT HELP */
void cmd_object_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        NULL,
    };
    reply_help(c, "OBJECT", lines);
}
