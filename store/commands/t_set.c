/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Set commands with Redis 7.4's replies and errors (t_set.c there), over the
 * set value of keyspace/set.h: its encodings and its TTLs are described in
 * keyspace/set.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "ds/intset.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/pack.h"
#include "keyspace/set.h"
#include "ds/util.h"
/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* The set at key, for adding the n members at argv[first]...: created
 * (in the encoding they call for) when absent. NULL after a WRONGTYPE
 * reply. loc is valid on return. */
static struct entry *set_open_add(struct cmd_ctx *c, int first, size_t n, struct kloc *loc)
{
    bool wrong;
    struct rs_str key = c->argv[1];
    struct entry *e = ks_write_type(c, key, OBJ_SET, loc, &wrong);
    if (wrong || e)
        return e;
    loc->sh = ks_shard(c->db, key, true);
    e = obj_new_ptr(loc->sh, key, OBJ_SET, ENC_RAW, set_new(c->st, c->argv[first], n));
    ks_add(c->db, loc->sh, e);
    return ks_write_type(c, key, OBJ_SET, loc, &wrong);
}

/* SADD key member [member ...] -- members already there keep their TTLs. */
void cmd_sadd(struct cmd_ctx *c)
{
    struct kloc loc;
    size_t nmembers = (size_t)c->argc - 2;
    struct entry *e = set_open_add(c, 2, nmembers, &loc);
    if (!e)
        return;
    struct rset view, *s = set_of(e, &view);
    size_t before = obj_bytes(e);
    set_maybe_convert(c->st, s, nmembers);
    long long added = 0;
    for (int i = 2; i < c->argc; i++)
        added += set_add(c->st, s, c->argv[i]);
    set_put(e, s, &view);
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (added) {
        ks_touch(c->db, c->argv[1]);
        ks_notify(c->db, NOTIFY_SET, "sadd", c->argv[1]);
    }
    ks_dirty(c->st, (uint64_t)added);
    resp_add_int(c->out, added);
}

/* SADDEX key [MNX|MXX] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL] MEMBERS n member ...
 * -- respite's SADD with member TTLs, in the shape of HSETEX: the members
 * are added or refreshed with the deadline; without a time option they
 * end without TTL, with KEEPTTL those already there keep theirs. MNX adds
 * only if none is there, MXX only if all are. Replies the number of
 * members newly added; a deadline not after now removes the members
 * instead (0). */
void cmd_saddex(struct cmd_ctx *c)
{
    struct setex_opts o;
    if (!setex_parse(c, OBJ_SET, &o))
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_SET, &loc, &wrong);
    if (wrong)
        return;
    bool ok = e != NULL || o.cond != SUBKEY_XX;
    struct rset view, *cur = e ? set_of(e, &view) : NULL;
    for (int i = o.first; cur && ok && o.cond && i < c->argc; i++)
        ok = set_contains(cur, c->argv[i]) == (o.cond == SUBKEY_XX);
    if (!ok || (o.ttl == SUBKEY_SET && o.when <= c->now)) {
        c->propagated = true;
        if (ok && e) {
            size_t before = obj_bytes(e);
            uint64_t gone = 0;
            struct rset *s = set_of(e, &view);
            for (int i = o.first; i < c->argc; i++)
                gone += set_remove(s, c->argv[i]);
            set_put(e, s, &view);
            c->st->stats.expired_subkeys += gone;
            ks_dirty(c->st, gone);
            if (gone) {
                prop_addf(c, "csv", "SREM", c->argv[1], c->argc - o.first, c->argv + o.first);
                ks_touch_loc(&loc);
                ks_notify(c->db, NOTIFY_SET, "srem", c->argv[1]);
            }
            if (ks_value_changed(&loc, before))
                ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
        }
        resp_add_int(c->out, 0);
        return;
    }
    e = set_open_add(c, o.first, (size_t)o.n, &loc);
    struct rset *s = set_of(e, &view);
    size_t before = obj_bytes(e);
    set_maybe_convert(c->st, s, (size_t)o.n);
    long long added = 0;
    for (int i = o.first; i < c->argc; i++) {
        added += set_add(c->st, s, c->argv[i]);
        if (o.ttl == SUBKEY_SET)
            set_member_set_ttl(c->st, s, c->argv[i], o.when);
        else if (o.ttl != SUBKEY_KEEP)
            set_member_persist(s, c->argv[i]);
    }
    set_put(e, s, &view);
    if (added || o.ttl != SUBKEY_KEEP)
        ks_touch_loc(&loc);
    c->propagated = true;
    setex_propagate(c, OBJ_SET, &o);
    /* the members added, or all given when their TTLs were rewritten */
    ks_dirty(c->st, o.ttl == SUBKEY_KEEP ? (uint64_t)added : (uint64_t)o.n);
    /* As HSETEX's: sadd, then sexpire when the members got a TTL. */
    ks_notify(c->db, NOTIFY_SET, "sadd", c->argv[1]);
    if (o.ttl == SUBKEY_SET)
        ks_notify(c->db, NOTIFY_SET, "sexpire", c->argv[1]);
    ks_value_changed(&loc, before);
    resp_add_int(c->out, added);
}

/* SREM key member [member ...]; an emptied set is deleted. */
void cmd_srem(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_SET, &loc, &wrong);
    if (wrong)
        return;
    long long removed = 0;
    if (e) {
        struct rset view, *s = set_of(e, &view);
        size_t before = obj_bytes(e);
        for (int i = 2; i < c->argc && set_size(s); i++)
            removed += set_remove(s, c->argv[i]);
        set_put(e, s, &view);
        if (removed) {
            ks_touch_loc(&loc);
            ks_notify(c->db, NOTIFY_SET, "srem", c->argv[1]);
        }
        ks_dirty(c->st, (uint64_t)removed);
        if (ks_value_changed(&loc, before))
            ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
    }
    resp_add_int(c->out, removed);
}

static bool reply_member_cb(void *ud, struct rs_str m)
{
    resp_add_bulk_str(ud, m);
    return true;
}

/* SMEMBERS key -- a RESP3 set. */
void cmd_smembers(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_set_len(c->out, 0);
        return;
    }
    struct rset view, *s = set_of(e, &view);
    resp_add_set_len(c->out, (long long)set_size(s));
    set_foreach(s, reply_member_cb, c->out);
}

/* SISMEMBER key member */
void cmd_sismember(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    struct rset view;
    if (!wrong)
        resp_add_int(c->out, e && set_contains(set_of(e, &view), c->argv[2]));
}

/* SMISMEMBER key member [member ...] */
void cmd_smismember(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (wrong)
        return;
    resp_add_array_len(c->out, c->argc - 2);
    struct rset view, *s = e ? set_of(e, &view) : NULL;
    for (int i = 2; i < c->argc; i++)
        resp_add_int(c->out, s && set_contains(s, c->argv[i]));
}

/* SCARD key */
void cmd_scard(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e ? (long long)obj_sub_count(e) : 0);
}

/* ------------------------------------------------------------------------
 * Random members (SPOP, SRANDMEMBER)
 * ------------------------------------------------------------------------ */

/* A random member of a non-empty set, every member equally likely; an
 * integer is formatted into buf (RESP_LL_STR_SIZE bytes). O(1) expected,
 * O(n) for the small packed form. */
static struct rs_str set_random(struct store *st, struct rset *s, char *buf)
{
    switch (s->enc) {
    case SENC_INTSET:
        return rs_str_from(buf, resp_ll2str(buf, s->is->v[rng_below(&st->rng, s->is->n)]));
    case SENC_LISTPACK: {
        uint32_t next, i = (uint32_t)rng_below(&st->rng, set_size(s));
        return pack_get(s->lp, pack_seek(s->lp, i * s->per), &next);
    }
    default: {
        struct entry *e = tbl_random(s->ht, &st->rng);
        return rs_str_from(e->data, e->klen);
    }
    }
}

/* The member m copied out of the set (it is about to be removed). */
static struct rs_str member_copy(struct rs_str m, char **owned)
{
    *owned = rs_memdup(m.p, m.len);
    return rs_str_from(*owned, m.len);
}

/* How many members one SREM of SPOP's propagates at most, as Redis. */
#define SPOP_PROP_BATCH 1024

/* SPOP key [count] -- without count a bulk or a null; with count a set of
 * up to count members, the whole set (and the key goes) when count covers
 * it. Logged as Redis 7.4 propagates it: SREM of the members taken, up to
 * SPOP_PROP_BATCH a command; DEL (UNLINK under lazyfree-lazy-server-del)
 * of a set taken whole. O(1) per member popped. */
void cmd_spop(struct cmd_ctx *c)
{
    long long count = 1;
    bool with_count = c->argc == 3;
    if (c->argc > 3) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (with_count && (!resp_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < 0)) {
        reply_err(c, RS_ERR_NOT_POSITIVE);
        return;
    }
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_SET, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        if (with_count)
            resp_add_set_len(c->out, 0);
        else
            resp_add_null(c->out);
        return;
    }
    struct rset view, *s = set_of(e, &view);
    if (with_count && count == 0) {
        resp_add_set_len(c->out, 0);
        return;
    }
    if (with_count && (uint64_t)count >= set_size(s)) {
        resp_add_set_len(c->out, (long long)set_size(s));
        set_foreach(s, reply_member_cb, c->out);
        prop_addf(c, "cs", c->st->cfg.lazyfree_server_del ? "UNLINK" : "DEL", c->argv[1]);
        ks_dirty(c->st, set_size(s));
        ks_delete(&loc);
        ks_notify(c->db, NOTIFY_SET, "spop", c->argv[1]);
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
        return;
    }
    size_t before = obj_bytes(e);
    if (with_count)
        resp_add_set_len(c->out, count);
    /* The members taken, as SREM: the choice was random. */
    int cap = prop_on(c->st) ? (int)(count < SPOP_PROP_BATCH ? count : SPOP_PROP_BATCH) : 0;
    struct rs_str *batch = cap ? rs_malloc((size_t)cap * sizeof *batch) : NULL;
    int n = 0;
    for (long long i = 0; i < count; i++) {
        char buf[RESP_LL_STR_SIZE], *owned;
        struct rs_str m = set_random(c->st, s, buf);
        resp_add_bulk_str(c->out, m);
        if (cap) /* a copy, owned until its SREM is out */
            m = batch[n++] = member_copy(m, &owned);
        set_remove(s, m); /* reads m before it changes the set */
        if (n == cap || i + 1 == count) {
            prop_addf(c, "csv", "SREM", c->argv[1], n, batch);
            while (n)
                rs_free((char *)batch[--n].p);
        }
    }
    rs_free(batch);
    set_put(e, s, &view);
    ks_touch_loc(&loc);
    ks_dirty(c->st, (uint64_t)count);
    ks_notify(c->db, NOTIFY_SET, "spop", c->argv[1]);
    if (ks_value_changed(&loc, before))
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
}

static struct rset *set_tmp(void)
{
    struct rset *s = rs_calloc(1, sizeof *s);
    s->enc = SENC_INTSET;
    s->is = intset_new(0);
    return s;
}

/* SRANDMEMBER key [count] -- with a count >= 0 that many distinct members
 * (the whole set when it covers it), with a negative one |count| members
 * that may repeat; an array either way. */
void cmd_srandmember(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    long long l = 0;
    if (c->argc == 3) {
        if (!arg_ll(c, c->argv[2], &l))
            return;
        if (l == LLONG_MIN) {
            reply_errf(c, "ERR value is out of range, value must between %lld and %lld",
                       -LLONG_MAX, LLONG_MAX);
            return;
        }
    }
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_SET, NULL, &wrong);
    if (wrong)
        return;
    char buf[RESP_LL_STR_SIZE];
    struct rset view;
    if (c->argc == 2) {
        if (e)
            resp_add_bulk_str(c->out, set_random(c->st, set_of(e, &view), buf));
        else
            resp_add_null(c->out);
        return;
    }
    if (!e || l == 0) {
        resp_add_array_len(c->out, 0);
        return;
    }
    struct rset *s = set_of(e, &view);
    if (l < 0) {
        resp_add_array_len(c->out, -l);
        /* Stops when the client's output is full: it is being closed. */
        for (long long i = 0; i < -l && !resp_out_full(c->out); i++)
            resp_add_bulk_str(c->out, set_random(c->st, s, buf));
        return;
    }
    if ((uint64_t)l >= set_size(s)) {
        resp_add_array_len(c->out, (long long)set_size(s));
        set_foreach(s, reply_member_cb, c->out);
        return;
    }
    /* Distinct picks as Redis: when count is close to the size, a copy that
     * loses random members down to count; else random draws collected in a
     * temporary set until count differ. O(N) either way. */
    struct rset *pick;
    if ((uint64_t)l * 3 > set_size(s)) {
        pick = set_dup(s);
        while (set_size(pick) > (uint64_t)l) {
            char *owned;
            set_remove(pick, member_copy(set_random(c->st, pick, buf), &owned));
            rs_free(owned);
        }
    } else {
        pick = set_tmp();
        while (set_size(pick) < (uint64_t)l)
            set_add(c->st, pick, set_random(c->st, s, buf));
    }
    resp_add_array_len(c->out, l);
    set_foreach(pick, reply_member_cb, c->out);
    set_free(pick);
}

/* ------------------------------------------------------------------------
 * SMOVE
 * ------------------------------------------------------------------------ */

/* SMOVE source destination member -- Redis's order of checks: a missing
 * source answers 0 before any type check; moving within one set only
 * tests membership. */
void cmd_smove(struct cmd_ctx *c)
{
    struct rs_str src = c->argv[1], dst = c->argv[2], m = c->argv[3];
    struct kloc sloc, dloc;
    /* dst first: a lookup may take a rehash step, which moves table slots
     * (not entries), and sloc is used below while dloc.ref is not. */
    struct entry *de = ks_write(c, c->db, dst, &dloc);
    struct entry *se = ks_write(c, c->db, src, &sloc);
    if (!se) {
        resp_add_int(c->out, 0);
        return;
    }
    if (se->type != OBJ_SET || (de && de->type != OBJ_SET)) {
        reply_err(c, RS_ERR_WRONGTYPE);
        return;
    }
    if (se == de) {
        struct rset view;
        resp_add_int(c->out, set_contains(set_of(se, &view), m));
        return;
    }
    struct rset sview, *ss = set_of(se, &sview);
    size_t before = obj_bytes(se);
    bool removed = set_remove(ss, m);
    set_put(se, ss, &sview);
    if (!removed) {
        resp_add_int(c->out, 0);
        return;
    }
    ks_touch(c->db, src);
    ks_dirty(c->st, 1);
    ks_notify(c->db, NOTIFY_SET, "srem", src);
    if (ks_value_changed(&sloc, before)) {
        ks_notify(c->db, NOTIFY_GENERIC, "del", src);
        de = ks_write(c, c->db, dst, &dloc); /* the deletion may move dst's slot */
    }
    if (!de) {
        dloc.sh = ks_shard(c->db, dst, true);
        de = obj_new_ptr(dloc.sh, dst, OBJ_SET, ENC_RAW, set_new(c->st, m, 1));
        ks_add(c->db, dloc.sh, de);
    }
    before = obj_bytes(de);
    struct rset dview, *ds = set_of(de, &dview);
    bool added = set_add(c->st, ds, m);
    set_put(de, ds, &dview);
    if (added) {
        ks_touch(c->db, dst);
        ks_dirty(c->st, 1);
        ks_notify(c->db, NOTIFY_SET, "sadd", dst);
    }
    obj_account_change(dloc.sh, before, obj_bytes(de));
    resp_add_int(c->out, 1);
}

/* ------------------------------------------------------------------------
 * SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms
 * ------------------------------------------------------------------------ */

/* The sets of keys argv[from], argv[from + step]...: NULL for a missing key.
 * Replies WRONGTYPE and returns NULL if any key holds another type (every
 * key is looked up first, as Redis does). *nmissing counts missing keys. */
static struct rset **load_sets(struct cmd_ctx *c, int from, int n, int *nmissing)
{
    /* The pointers, then the views of sets kept as their pack (set_of). */
    struct rset **sets = rs_calloc((size_t)n, sizeof *sets + sizeof(struct rset));
    struct rset *views = (struct rset *)(sets + n);
    *nmissing = 0;
    for (int i = 0; i < n; i++) {
        bool wrong;
        struct entry *e = ks_read_type(c, c->argv[from + i], OBJ_SET, NULL, &wrong);
        if (wrong) {
            rs_free(sets);
            return NULL;
        }
        sets[i] = e ? set_of(e, &views[i]) : NULL;
        *nmissing += !e;
    }
    return sets;
}

static int by_size(const void *a, const void *b)
{
    uint64_t x = set_size(*(struct rset *const *)a), y = set_size(*(struct rset *const *)b);
    return x < y ? -1 : x > y;
}

struct inter_walk {
    struct store *st;
    struct rset **sets; /* by size; the walk is over sets[0] */
    int n;
    struct rset *out;   /* result, or NULL to only count */
    uint64_t count, limit;
};

static bool inter_cb(void *ud, struct rs_str m)
{
    struct inter_walk *w = ud;
    for (int i = 1; i < w->n; i++)
        if (!set_contains(w->sets[i], m))
            return true;
    w->count++;
    if (w->out)
        set_add(w->st, w->out, m);
    return !w->limit || w->count < w->limit; /* SINTERCARD stops at its LIMIT */
}

/* Intersection of n non-missing sets, walking the smallest:
 * O(N*M), N the smallest size, M the number of sets. */
static void inter_sets(struct store *st, struct rset **sets, int n, struct inter_walk *w)
{
    qsort(sets, (size_t)n, sizeof *sets, by_size);
    w->st = st;
    w->sets = sets;
    w->n = n;
    set_foreach(sets[0], inter_cb, w);
}

struct union_walk {
    struct store *st;
    struct rset *out;
    struct rset **others; /* SDIFF: members of these are left out */
    int nothers;
};

static bool union_cb(void *ud, struct rs_str m)
{
    struct union_walk *w = ud;
    for (int i = 0; i < w->nothers; i++)
        if (w->others[i] && set_contains(w->others[i], m))
            return true;
    set_add(w->st, w->out, m);
    return true;
}

static bool remove_cb(void *ud, struct rs_str m)
{
    set_remove(ud, m);
    return set_size(ud) > 0; /* nothing left to remove from */
}

/* Missing sets (NULL) count as empty. */
static int by_size_desc(const void *a, const void *b)
{
    struct rset *x = *(struct rset *const *)a, *y = *(struct rset *const *)b;
    uint64_t nx = x ? set_size(x) : 0, ny = y ? set_size(y) : 0;
    return nx > ny ? -1 : nx < ny;
}

/* sets[0] less the members of sets[1..n-1] (NULL for missing) into out,
 * by the cheaper of Redis's two algorithms (sunionDiffGenericCommand):
 * 1, each member of the first looked up in the others, O(N*M) with N the
 * first's size and M the number of sets, or 2, the first copied and every
 * member of the others removed from the copy, O(total size); 1 is taken
 * when N*M/2 is at most the total, as Redis estimates. */
static void diff_sets(struct store *st, struct rset *out, struct rset **sets, int n)
{
    uint64_t work1 = 0, work2 = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && sets[i] == sets[0])
            return; /* the first set less itself */
        if (sets[i]) {
            work1 += set_size(sets[0]);
            work2 += set_size(sets[i]);
        }
    }
    if (work1 / 2 <= work2) {
        /* The largest first: a member there is likelier, and found sooner. */
        qsort(sets + 1, (size_t)n - 1, sizeof *sets, by_size_desc);
        struct union_walk w = {st, out, sets + 1, n - 1};
        set_foreach(sets[0], union_cb, &w);
        return;
    }
    struct union_walk w = {st, out, NULL, 0};
    set_foreach(sets[0], union_cb, &w);
    for (int i = 1; i < n && set_size(out); i++)
        if (sets[i])
            set_foreach(sets[i], remove_cb, out);
}

enum set_op { OP_INTER, OP_UNION, OP_DIFF };

/* The result of op over the sets (NULL entries are empty sets), as a new
 * temporary set. */
static struct rset *set_op(struct cmd_ctx *c, struct rset **sets, int n, int nmissing,
                           enum set_op op)
{
    struct rset *out = set_tmp();
    if (op == OP_INTER) {
        if (!nmissing) {
            struct inter_walk w = {.out = out};
            inter_sets(c->st, sets, n, &w);
        }
    } else if (op == OP_UNION) {
        struct union_walk w = {c->st, out, NULL, 0};
        for (int i = 0; i < n; i++)
            if (sets[i])
                set_foreach(sets[i], union_cb, &w);
    } else if (sets[0]) {
        diff_sets(c->st, out, sets, n);
    }
    return out;
}

/* SINTER/SUNION/SDIFF key [key ...]: a set reply. */
static void set_op_reply(struct cmd_ctx *c, enum set_op op)
{
    int nmissing, n = c->argc - 1;
    struct rset **sets = load_sets(c, 1, n, &nmissing);
    if (!sets)
        return;
    struct rset *out = set_op(c, sets, n, nmissing, op);
    resp_add_set_len(c->out, (long long)set_size(out));
    set_foreach(out, reply_member_cb, c->out);
    set_free(out);
    rs_free(sets);
}

/* The STORE forms: destination key, sources; replaces the destination
 * whatever its type (an empty result deletes it) and replies the size. */
static void set_op_store(struct cmd_ctx *c, enum set_op op)
{
    int nmissing, n = c->argc - 2;
    struct rset **sets = load_sets(c, 2, n, &nmissing);
    if (!sets)
        return;
    struct rset *out = set_op(c, sets, n, nmissing, op);
    rs_free(sets);
    struct rs_str dst = c->argv[1];
    long long size = (long long)set_size(out);
    if (!size) {
        set_free(out);
        if (ks_delete_key(c, c->db, dst, c->st->cfg.lazyfree_server_del)) {
            ks_notify(c->db, NOTIFY_GENERIC, "del", dst);
            ks_dirty(c->st, 1);
        }
    } else {
        struct shard *sh = ks_shard(c->db, dst, true);
        ks_set(c, c->db, dst, obj_new_ptr(sh, dst, OBJ_SET, ENC_RAW, out));
        static const char *const events[] = {
            [OP_INTER] = "sinterstore", [OP_UNION] = "sunionstore", [OP_DIFF] = "sdiffstore"};
        ks_notify(c->db, NOTIFY_SET, events[op], dst);
        ks_dirty(c->st, 1);
    }
    resp_add_int(c->out, size);
}

void cmd_sinter(struct cmd_ctx *c)
{
    set_op_reply(c, OP_INTER);
}

void cmd_sunion(struct cmd_ctx *c)
{
    set_op_reply(c, OP_UNION);
}

void cmd_sdiff(struct cmd_ctx *c)
{
    set_op_reply(c, OP_DIFF);
}

void cmd_sinterstore(struct cmd_ctx *c)
{
    set_op_store(c, OP_INTER);
}

void cmd_sunionstore(struct cmd_ctx *c)
{
    set_op_store(c, OP_UNION);
}

void cmd_sdiffstore(struct cmd_ctx *c)
{
    set_op_store(c, OP_DIFF);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] -- the size of the
 * intersection, stopping at limit (0 = none). */
void cmd_sintercard(struct cmd_ctx *c)
{
    long long numkeys, limit = 0;
    if (!resp_str2ll(c->argv[1].p, c->argv[1].len, &numkeys) || numkeys <= 0) {
        reply_errf(c, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_errf(c, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int i = 2 + (int)numkeys; i < c->argc; i += 2) {
        if (rs_str_eqi(c->argv[i], "limit") && i + 1 < c->argc) {
            if (!resp_str2ll(c->argv[i + 1].p, c->argv[i + 1].len, &limit) || limit < 0) {
                reply_errf(c, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    int nmissing;
    struct rset **sets = load_sets(c, 2, (int)numkeys, &nmissing);
    if (!sets)
        return;
    struct inter_walk w = {.limit = (uint64_t)limit};
    if (!nmissing)
        inter_sets(c->st, sets, (int)numkeys, &w);
    rs_free(sets);
    resp_add_int(c->out, (long long)w.count);
}

/* ------------------------------------------------------------------------
 * SSCAN
 * ------------------------------------------------------------------------ */

struct sscan_walk {
    struct entry **hits;
    size_t n, cap;
};

static void sscan_cb(void *ud, struct entry *e)
{
    struct sscan_walk *w = ud;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->hits = rs_realloc(w->hits, w->cap * sizeof *w->hits);
    }
    w->hits[w->n++] = e;
}

struct sscan_reply {
    struct cmd_ctx *c;
    struct rs_str pat;
    bool use_pat;
    long long n;
};

static bool sscan_member_cb(void *ud, struct rs_str m)
{
    struct sscan_reply *r = ud;
    if (!r->use_pat || glob_match_str(r->pat, m)) {
        resp_add_bulk_str(r->c->out, m);
        r->n++;
    }
    return true;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count] -- the small encodings
 * answer everything at once with cursor 0, a table COUNT buckets' worth
 * (at most 10 * COUNT visits) as Redis's scanGenericCommand. */
void cmd_sscan(struct cmd_ctx *c)
{
    uint64_t cursor;
    struct scan_opts o;
    struct entry *e = scan_open(c, OBJ_SET, 0, &cursor, &o);
    if (e == NULL)
        return;
    long long count = o.count;
    struct sscan_reply r = {.c = c, .pat = o.pat, .use_pat = o.use_pat};
    struct rset view, *s = set_of(e, &view);
    resp_add_array_len(c->out, 2);
    if (s->enc != SENC_HT) {
        resp_add_bulk(c->out, "0", 1);
        struct resp_deferred mark = resp_add_deferred(c->out);
        set_foreach(s, sscan_member_cb, &r);
        resp_set_deferred(c->out, mark, RESP_AGG_ARRAY, r.n);
        return;
    }
    struct sscan_walk w = {0};
    long long maxiter = o.max_steps;
    do {
        cursor = tbl_scan(s->ht, cursor, sscan_cb, &w);
    } while (cursor && maxiter-- && (long long)w.n < count);
    resp_add_bulk_ll(c->out, (long long)cursor);
    struct resp_deferred mark = resp_add_deferred(c->out);
    for (size_t i = 0; i < w.n; i++)
        sscan_member_cb(&r, rs_str_from(w.hits[i]->data, w.hits[i]->klen));
    resp_set_deferred(c->out, mark, RESP_AGG_ARRAY, r.n);
    rs_free(w.hits);
}
