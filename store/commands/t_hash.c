/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hash commands with Redis 7.4's replies and errors (t_hash.c there), over the
 * hash value of keyspace/hash.h: its encodings and its TTLs are described in
 * keyspace/hash.c.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/pack.h"
#include "resp_num.h"
#include "ds/util.h"
/* ------------------------------------------------------------------------
 * Lookups and accounting
 * ------------------------------------------------------------------------ */

/* A write handle: the key's hash and where it lives, with its byte count
 * (obj_bytes) when opened, so hash_close accounts the difference; h may be
 * view (hash_of), which hash_close stores back in the entry. */
struct hw {
    struct kloc loc;
    struct hash *h;
    struct hash view;
    size_t bytes0;
    bool changed; /* set by the command when Redis would signal the key
                   * modified: hash_close touches it for WATCH */
};

/* Open key's hash for writing, creating an empty one when create is set.
 * False (and a WRONGTYPE reply) for another type; w->h NULL if absent. */
static bool hash_open(struct cmd_ctx *c, struct rs_str key, bool create, struct hw *w)
{
    bool wrong;
    struct entry *e = ks_write_type(c, key, OBJ_HASH, &w->loc, &wrong);
    if (wrong)
        return false;
    if (e == NULL) {
        w->h = NULL;
        if (!create)
            return true;
        struct shard *sh = ks_shard(c->db, key, true);
        e = obj_new_ptr(sh, key, OBJ_HASH, ENC_HASH_PACK, pack_new());
        ks_add(c->db, sh, e);
        ks_write_type(c, key, OBJ_HASH, &w->loc, &wrong);
    }
    w->h = hash_of(e, &w->view);
    w->bytes0 = obj_bytes(*w->loc.ref);
    w->changed = false;
    return true;
}

/* Account the change of the hash; if the command changed it, touch the key
 * (WATCH) and publish event (class h); delete the key if it is empty, with
 * its `del` event. event NULL: no event of its own. */
static void hash_close(struct cmd_ctx *c, struct hw *w, const char *event)
{
    if (w->h == NULL)
        return;
    hash_put(*w->loc.ref, w->h, &w->view);
    if (w->changed) {
        ks_touch_loc(&w->loc);
        if (event)
            ks_notify(c->db, NOTIFY_HASH, event, c->argv[1]);
    }
    if (ks_value_changed(&w->loc, w->bytes0))
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
}

/* The hash of key for reading (hash_of: it may be *view), NULL if absent;
 * *wrong after a WRONGTYPE. */
static struct hash *hash_read(struct cmd_ctx *c, struct rs_str key, bool *wrong,
                              struct hash *view)
{
    struct entry *e = ks_read_type(c, key, OBJ_HASH, NULL, wrong);
    return e ? hash_of(e, view) : NULL;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

static void hset_generic(struct cmd_ctx *c, bool hmset)
{
    if (c->argc % 2 == 1) {
        reply_arity(c);
        return;
    }
    struct hw w;
    if (!hash_open(c, c->argv[1], true, &w))
        return;
    /* more pairs than a pack holds make a table, even if some are repeats
     * or fields already there, as Redis's hashTypeTryConversion */
    hash_reserve(c, w.h, (uint64_t)(c->argc - 2) / 2);
    long long added = 0;
    for (int i = 2; i < c->argc; i += 2)
        added += hash_set(c, w.h, c->argv[i], c->argv[i + 1], false);
    w.changed = true;
    ks_dirty(c->st, (uint64_t)(c->argc - 2) / 2);
    hash_close(c, &w, "hset");
    if (hmset)
        resp_add_ok(c->out);
    else
        resp_add_int(c->out, added);
}

/* HSET key field value [field value ...] */
void cmd_hset(struct cmd_ctx *c)
{
    hset_generic(c, false);
}

/* HMSET key field value [field value ...] */
void cmd_hmset(struct cmd_ctx *c)
{
    hset_generic(c, true);
}

/* HSETNX key field value */
void cmd_hsetnx(struct cmd_ctx *c)
{
    struct hw w;
    if (!hash_open(c, c->argv[1], true, &w))
        return;
    struct rs_str v;
    bool added = false;
    if (!hash_get(w.h, c->argv[2], &v)) {
        added = hash_set(c, w.h, c->argv[2], c->argv[3], false);
    }
    w.changed = added;
    ks_dirty(c->st, added);
    hash_close(c, &w, "hset");
    resp_add_int(c->out, added);
}

/* HGET key field */
void cmd_hget(struct cmd_ctx *c)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    struct rs_str v;
    if (wrong)
        return;
    if (h && hash_get(h, c->argv[2], &v))
        resp_add_bulk_str(c->out, v);
    else
        resp_add_null(c->out);
}

/* HMGET key field [field ...] */
void cmd_hmget(struct cmd_ctx *c)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    if (wrong)
        return;
    resp_add_array_len(c->out, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        struct rs_str v;
        if (h && hash_get(h, c->argv[i], &v))
            resp_add_bulk_str(c->out, v);
        else
            resp_add_null(c->out);
    }
}

enum { H_FIELDS = 1, H_VALUES = 2 };

struct walk {
    struct resp_out *out;
    int what;
};

static void walk_cb(void *ud, struct entry *e)
{
    struct walk *w = ud;
    if (w->what & H_FIELDS)
        resp_add_bulk_str(w->out, field_key(e));
    if (w->what & H_VALUES)
        resp_add_bulk_str(w->out, field_val(e));
}

/* Reply fields and/or values of h in its own order. */
static void reply_all(struct cmd_ctx *c, struct hash *h, int what)
{
    if (h->pk) {
        uint32_t off = 0;
        while (off < h->pk->len) {
            struct rs_str f, v;
            int64_t when;
            off = packed_field(h->pk, h->per, off, &f, &v, &when);
            if (what & H_FIELDS)
                resp_add_bulk_str(c->out, f);
            if (what & H_VALUES)
                resp_add_bulk_str(c->out, v);
        }
        return;
    }
    struct walk w = {c->out, what};
    tbl_foreach(h->t, walk_cb, &w);
}

static void getall_generic(struct cmd_ctx *c, int what)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    if (wrong)
        return;
    long long n = h ? (long long)hash_size(h) : 0;
    if (what == (H_FIELDS | H_VALUES))
        resp_add_map_len(c->out, n);
    else
        resp_add_array_len(c->out, n);
    if (h)
        reply_all(c, h, what);
}

/* HGETALL key -- a map in RESP3, a flat array in RESP2. */
void cmd_hgetall(struct cmd_ctx *c)
{
    getall_generic(c, H_FIELDS | H_VALUES);
}

/* HKEYS key */
void cmd_hkeys(struct cmd_ctx *c)
{
    getall_generic(c, H_FIELDS);
}

/* HVALS key */
void cmd_hvals(struct cmd_ctx *c)
{
    getall_generic(c, H_VALUES);
}

/* HLEN key */
void cmd_hlen(struct cmd_ctx *c)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    if (!wrong)
        resp_add_int(c->out, h ? (long long)hash_size(h) : 0);
}

/* HEXISTS key field */
void cmd_hexists(struct cmd_ctx *c)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    struct rs_str v;
    if (!wrong)
        resp_add_int(c->out, h && hash_get(h, c->argv[2], &v));
}

/* HSTRLEN key field */
void cmd_hstrlen(struct cmd_ctx *c)
{
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    struct rs_str v;
    if (!wrong)
        resp_add_int(c->out, h && hash_get(h, c->argv[2], &v) ? (long long)v.len : 0);
}

/* HDEL key field [field ...] -- the key goes with its last field. */
void cmd_hdel(struct cmd_ctx *c)
{
    struct hw w;
    if (!hash_open(c, c->argv[1], false, &w))
        return;
    long long n = 0;
    for (int i = 2; w.h && i < c->argc; i++)
        n += hash_remove(w.h, c->argv[i]);
    w.changed = n > 0;
    ks_dirty(c->st, (uint64_t)n);
    hash_close(c, &w, "hdel");
    resp_add_int(c->out, n);
}

/* HINCRBY key field increment */
void cmd_hincrby(struct cmd_ctx *c)
{
    long long by;
    if (!arg_ll(c, c->argv[3], &by))
        return;
    struct hw w;
    if (!hash_open(c, c->argv[1], true, &w))
        return;
    long long v = 0;
    struct rs_str cur;
    if (hash_get(w.h, c->argv[2], &cur) && !resp_str2ll(cur.p, cur.len, &v)) {
        reply_errf(c, "ERR hash value is not an integer");
        return;
    }
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_err(c, RS_ERR_OVERFLOW);
        return;
    }
    v += by;
    char buf[RESP_LL_STR_SIZE];
    struct rs_str s = rs_str_from(buf, resp_ll2str(buf, v));
    hash_set(c, w.h, c->argv[2], s, true);
    w.changed = true;
    ks_dirty(c->st, 1);
    hash_close(c, &w, "hincrby");
    resp_add_int(c->out, v);
}

/* HINCRBYFLOAT key field increment */
void cmd_hincrbyfloat(struct cmd_ctx *c)
{
    long double by, v = 0;
    if (!resp_str2ld(c->argv[3].p, c->argv[3].len, &by)) {
        reply_err(c, RS_ERR_NOT_FLOAT);
        return;
    }
    if (isnan(by) || isinf(by)) {
        reply_errf(c, "ERR value is NaN or Infinity");
        return;
    }
    struct hw w;
    if (!hash_open(c, c->argv[1], true, &w))
        return;
    struct rs_str cur;
    if (hash_get(w.h, c->argv[2], &cur) && !resp_str2ld(cur.p, cur.len, &v)) {
        reply_errf(c, "ERR hash value is not a float");
        return;
    }
    v += by;
    if (isnan(v) || isinf(v)) {
        reply_err(c, RS_ERR_NAN_INF);
        return;
    }
    char out[RESP_LD_STR_SIZE];
    struct rs_str s = rs_str_from(out, resp_ld2str(out, sizeof out, v));
    hash_set(c, w.h, c->argv[2], s, true);
    w.changed = true;
    /* The result, as Redis propagates it, and the TTL the field keeps (HSET
     * alone would drop it). */
    prop_addf(c, "csss", "HSET", c->argv[1], c->argv[2], s);
    bool found;
    int64_t ttl = prop_on(c->st) ? hash_field_ttl(w.h, c->argv[2], &found) : -1;
    if (ttl >= 0)
        prop_addf(c, "csicis", "HPEXPIREAT", c->argv[1], (long long)ttl, "FIELDS", 1LL,
                  c->argv[2]);
    ks_dirty(c->st, 1);
    hash_close(c, &w, "hincrbyfloat");
    resp_add_bulk_str(c->out, s);
}

/* ------------------------------------------------------------------------
 * HSETEX, HGETEX, HGETDEL (Redis 8.0): fields with their TTLs
 * ------------------------------------------------------------------------ */

/* Give field f of w's hash the deadline when; one not after now deletes
 * the field instead (an expiry). */
static void field_expire(struct cmd_ctx *c, struct hw *w, struct rs_str f, int64_t when)
{
    if (when <= c->now) {
        if (hash_remove(w->h, f))
            c->st->stats.expired_subkeys++;
        return;
    }
    hash_field_set_ttl(w->h, f, when);
}

/* HSETEX key [FNX|FXX] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL] FIELDS n field value ...
 * -- 1 when the fields were set, 0 when FNX/FXX prevented it. Without a
 * time option the fields lose their TTLs, with KEEPTTL they keep them. */
void cmd_hsetex(struct cmd_ctx *c)
{
    struct setex_opts o;
    if (!setex_parse(c, OBJ_HASH, &o))
        return;
    struct hw w;
    if (!hash_open(c, c->argv[1], o.cond != SUBKEY_XX, &w))
        return;
    bool ok = w.h != NULL;
    for (int i = o.first; ok && o.cond && i < c->argc; i += 2) {
        struct rs_str v;
        ok = hash_get(w.h, c->argv[i], &v) == (o.cond == SUBKEY_XX);
    }
    for (int i = o.first; ok && i < c->argc; i += 2) {
        hash_set(c, w.h, c->argv[i], c->argv[i + 1], o.ttl == SUBKEY_KEEP);
        if (o.ttl == SUBKEY_SET)
            field_expire(c, &w, c->argv[i], o.when);
    }
    w.changed = ok;
    c->propagated = true;
    if (ok) {
        setex_propagate(c, OBJ_HASH, &o);
        ks_dirty(c->st, (uint64_t)(c->argc - o.first) / 2);
    }
    /* Redis 8.0's events: hset, then hexpire for a TTL given (or hdel for
     * one already past, which deleted the fields). */
    bool past = o.ttl == SUBKEY_SET && o.when <= c->now;
    if (ok && !past)
        ks_notify(c->db, NOTIFY_HASH, "hset", c->argv[1]);
    hash_close(c, &w, o.ttl != SUBKEY_SET ? NULL : past ? "hdel" : "hexpire");
    resp_add_int(c->out, ok);
}

/* HGETEX key [EX s|PX ms|EXAT ts|PXAT ms|PERSIST] FIELDS n field ... --
 * the values (nulls for absent fields), then the TTL change of the fields
 * that exist; a deadline not after now deletes them. */
void cmd_hgetex(struct cmd_ctx *c)
{
    struct hw w;
    if (!hash_open(c, c->argv[1], false, &w))
        return;
    struct rs_str o = c->argv[2];
    bool persist = rs_str_eqi(o, "persist"), set = false;
    int64_t when = 0;
    int pos = persist ? 3 : 2;
    bool ex = rs_str_eqi(o, "ex"), px = rs_str_eqi(o, "px"), exat = rs_str_eqi(o, "exat"),
         pxat = rs_str_eqi(o, "pxat");
    if (ex || px || exat || pxat) {
        if (c->argc > 3 &&
            !subkey_deadline(c, c->argv[3], ex || px ? c->now : 0, ex || exat, &when))
            return;
        set = true;
        pos = 4;
    }
    long long n;
    if (!subkey_names(c, OBJ_HASH, pos, NAMES_OTHER, &n))
        return;
    resp_add_array_len(c->out, n);
    for (int i = pos + 2; i < c->argc; i++) {
        struct rs_str v, f = c->argv[i];
        if (w.h == NULL || !hash_get(w.h, f, &v)) {
            resp_add_null(c->out);
            continue;
        }
        resp_add_bulk_str(c->out, v);
        bool changed = set;
        if (set)
            field_expire(c, &w, f, when);
        else if (persist)
            changed = hash_field_persist(w.h, f);
        w.changed |= changed;
        ks_dirty(c->st, changed);
    }
    /* The names replay to the same effect; the deadline made absolute. */
    c->propagated = true;
    if (w.h == NULL) /* w.changed is only set for an open hash */
        return;
    if (w.changed && set)
        prop_addf(c, "csiv", "HPEXPIREAT", c->argv[1], (long long)when, c->argc - pos,
                  c->argv + pos);
    else if (w.changed && persist)
        prop_addf(c, "csv", "HPERSIST", c->argv[1], c->argc - pos, c->argv + pos);
    hash_close(c, &w, persist ? "hpersist" : when <= c->now ? "hdel" : "hexpire");
}

/* HGETDEL key FIELDS n field ... -- the values (nulls for absent fields),
 * then the fields are deleted, and the key with its last field. */
void cmd_hgetdel(struct cmd_ctx *c)
{
    struct hw w;
    long long n;
    if (!hash_open(c, c->argv[1], false, &w) || !subkey_names(c, OBJ_HASH, 2, NAMES_OTHER, &n))
        return;
    resp_add_array_len(c->out, n);
    for (int i = 4; i < c->argc; i++) {
        struct rs_str v;
        if (w.h && hash_get(w.h, c->argv[i], &v)) {
            resp_add_bulk_str(c->out, v);
            bool removed = hash_remove(w.h, c->argv[i]);
            w.changed |= removed;
            ks_dirty(c->st, removed);
        } else {
            resp_add_null(c->out);
        }
    }
    hash_close(c, &w, "hdel");
}

/* ------------------------------------------------------------------------
 * HRANDFIELD and HSCAN
 * ------------------------------------------------------------------------ */

struct pair {
    struct rs_str f, v;
};

struct pairs {
    struct pair *a;
    size_t n;
};

static void pairs_cb(void *ud, struct entry *e)
{
    struct pairs *p = ud;
    p->a[p->n++] = (struct pair){field_key(e), field_val(e)};
}

/* Every field and value of h, in its order (rs_free the array). O(n). */
static struct pair *hash_pairs(struct hash *h)
{
    struct pairs p = {rs_malloc(sizeof *p.a * (hash_size(h) ? hash_size(h) : 1)), 0};
    if (h->pk) {
        uint32_t off = 0;
        while (off < h->pk->len) {
            struct pair *q = &p.a[p.n++];
            int64_t when;
            off = packed_field(h->pk, h->per, off, &q->f, &q->v, &when);
        }
    } else {
        tbl_foreach(h->t, pairs_cb, &p);
    }
    return p.a;
}

static void reply_pair(struct cmd_ctx *c, struct pair p, bool withvalues)
{
    if (withvalues && c->out->proto == 3)
        resp_add_array_len(c->out, 2);
    resp_add_bulk_str(c->out, p.f);
    if (withvalues)
        resp_add_bulk_str(c->out, p.v);
}

/* count distinct random fields of table-encoded h, count at most a third
 * of its size, as Redis's hrandfieldWithCountCommand: random draws,
 * remembered (by entry address) in a temporary table until count differ,
 * O(count). */
static void table_sample(struct cmd_ctx *c, struct hash *h, uint64_t count, bool withvalues)
{
    struct table seen;
    tbl_init(&seen, h->t->seed);
    for (uint64_t got = 0; got < count;) {
        struct entry *e = tbl_random(h->t, &c->st->rng);
        struct rs_str id = rs_str_from((const char *)&e, sizeof e);
        if (tbl_get(&seen, id.p, id.len))
            continue;
        tbl_insert(&seen, obj_sub_entry(id, rs_str_from("", 0)));
        reply_pair(c, (struct pair){field_key(e), field_val(e)}, withvalues);
        got++;
    }
    tbl_free(&seen, free_field, NULL);
}

/* HRANDFIELD key [count [WITHVALUES]] -- a positive count gives distinct
 * fields (the whole hash when count >= its size), a negative one -count
 * fields that may repeat. WITHVALUES pairs are [field, value] arrays in
 * RESP3, flat in RESP2. For a table, O(fields returned), but O(size) for
 * a positive count over a third of the size; for a packed hash O(size +
 * fields returned). */
void cmd_hrandfield(struct cmd_ctx *c)
{
    long long l = 0;
    bool withvalues = false;
    if (c->argc >= 3) {
        if (!arg_ll(c, c->argv[2], &l))
            return;
        if (l < -LLONG_MAX) {
            reply_errf(c, "ERR value is out of range, value must between %lld and %lld",
                       -LLONG_MAX, LLONG_MAX);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !rs_str_eqi(c->argv[3], "withvalues"))) {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
        withvalues = c->argc == 4;
        if (withvalues && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_errf(c, "ERR value is out of range");
            return;
        }
    }
    bool wrong;
    struct hash view, *h = hash_read(c, c->argv[1], &wrong, &view);
    if (wrong)
        return;
    if (c->argc == 2) {
        if (h == NULL) {
            resp_add_null(c->out);
            return;
        }
        if (h->pk == NULL) {
            resp_add_bulk_str(c->out, field_key(tbl_random(h->t, &c->st->rng)));
            return;
        }
        struct pair *all = hash_pairs(h);
        resp_add_bulk_str(c->out, all[rng_below(&c->st->rng, hash_size(h))].f);
        rs_free(all);
        return;
    }
    if (h == NULL || l == 0) {
        resp_add_array_len(c->out, 0);
        return;
    }
    uint64_t size = hash_size(h);
    uint64_t count = l < 0 ? (uint64_t)-l : (uint64_t)l;
    bool uniq = l > 0;
    if (uniq && count > size)
        count = size;
    resp_add_array_len(c->out, (long long)(withvalues && c->out->proto == 2 ? count * 2 : count));
    if (!uniq && h->pk == NULL) {
        /* Repeats allowed: one O(1) draw per field from the table. */
        /* Stops when the client's output is full: it is being closed. */
        for (uint64_t i = 0; i < count && !resp_out_full(c->out); i++) {
            struct entry *e = tbl_random(h->t, &c->st->rng);
            reply_pair(c, (struct pair){field_key(e), field_val(e)}, withvalues);
        }
        return;
    }
    if (uniq && h->pk == NULL && count * 3 <= size) {
        table_sample(c, h, count, withvalues);
        return;
    }
    struct pair *all = hash_pairs(h);
    if (uniq) {
        /* Selection sampling (Knuth's algorithm S): count distinct fields
         * in the hash's own order, O(size), as Redis does for a listpack and
         * for a count over a third of a table's size; the whole hash when
         * count >= its size. */
        uint64_t need = count;
        for (uint64_t i = 0; i < size && need; i++) {
            if (rng_below(&c->st->rng, size - i) < need) {
                reply_pair(c, all[i], withvalues);
                need--;
            }
        }
    } else {
        for (uint64_t i = 0; i < count && !resp_out_full(c->out); i++)
            reply_pair(c, all[rng_below(&c->st->rng, size)], withvalues);
    }
    rs_free(all);
}

struct hscan_acc {
    struct pair *a;
    size_t n, cap;
};

static void hscan_cb(void *ud, struct entry *e)
{
    struct hscan_acc *a = ud;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->a = rs_realloc(a->a, sizeof *a->a * a->cap);
    }
    a->a[a->n++] = (struct pair){field_key(e), field_val(e)};
}

/* HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
 * A packed hash is returned whole with cursor 0, as Redis does; a table
 * is walked bucket by bucket (tbl_scan) until about COUNT elements (fields
 * and values both count, as in Redis) or 10*COUNT buckets. */
void cmd_hscan(struct cmd_ctx *c)
{
    uint64_t cursor;
    struct scan_opts o;
    struct entry *e = scan_open(c, OBJ_HASH, SCAN_ALLOW_NOVALUES, &cursor, &o);
    if (e == NULL)
        return;
    struct hash view, *h = hash_of(e, &view);
    long long count = o.count;
    struct rs_str pat = o.pat;
    bool use_pat = o.use_pat, novalues = o.novalues;
    struct hscan_acc a = {0};
    uint64_t next = 0;
    if (h->pk) {
        a.a = hash_pairs(h);
        a.n = hash_size(h);
    } else {
        long long budget = o.max_steps;
        next = cursor;
        do {
            next = tbl_scan(h->t, next, hscan_cb, &a);
        } while (next && budget-- && (long long)(novalues ? a.n : a.n * 2) < count);
    }
    size_t kept = 0;
    for (size_t i = 0; i < a.n; i++)
        if (!use_pat || glob_match_str(pat, a.a[i].f))
            a.a[kept++] = a.a[i];
    char buf[24];
    resp_add_array_len(c->out, 2);
    resp_add_bulk(c->out, buf, (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)next));
    resp_add_array_len(c->out, (long long)(novalues ? kept : kept * 2));
    for (size_t i = 0; i < kept; i++) {
        resp_add_bulk_str(c->out, a.a[i].f);
        if (!novalues)
            resp_add_bulk_str(c->out, a.a[i].v);
    }
    rs_free(a.a);
}
