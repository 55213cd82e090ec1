/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Sorted set commands with Redis 7.4's replies, errors and keyspace events
 * (t_zset.c there), over the value of keyspace/zset.h. Every range command
 * turns its range (ranks, scores, lex, with LIMIT) into a window of ranks
 * and walks it, so the packed and the large forms answer alike.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "ds/mem.h"
#include "ds/util.h"
#include "keyspace/keyspace.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

static struct rzset *zset_of(const struct entry *e)
{
    return entry_ptr(e);
}

static bool str_eq(struct rs_str a, struct rs_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The value at loc changed from before bytes: account it, and delete the
 * key (with its `del` event) when it is now empty. */
static bool zset_changed(struct cmd_ctx *c, struct kloc *loc, size_t before, struct rs_str key)
{
    struct entry *e = *loc->ref;
    obj_account_change(loc->sh, before, obj_bytes(e));
    if (zset_len(zset_of(e)) != 0)
        return false;
    ks_delete(loc);
    ks_notify(c->db, NOTIFY_GENERIC, "del", key);
    return true;
}

/* A member and its score: a pair in RESP3's nested form, or flat. */
static void reply_pair(struct cmd_ctx *c, struct rs_str m, double score, bool nested)
{
    if (nested)
        resp_add_array_len(c->out, 2);
    resp_add_bulk_double(c->out, m.p, m.len, score);
}

/* The array header of n members, with scores or not: flat pairs in RESP2,
 * nested ones in RESP3. */
static void reply_members_len(struct cmd_ctx *c, long long n, bool withscores)
{
    resp_add_array_len(c->out, withscores && c->out->proto == 2 ? n * 2 : n);
}

static void reply_member(struct cmd_ctx *c, struct rs_str m, double score, bool withscores)
{
    if (withscores)
        reply_pair(c, m, score, c->out->proto > 2);
    else
        resp_add_bulk_str(c->out, m);
}

/* ------------------------------------------------------------------------
 * ZADD, ZINCRBY, ZREM
 * ------------------------------------------------------------------------ */

/* Whether a may be one of ZADD's flags: it starts as one does. */
static bool zadd_flag_start(struct rs_str a)
{
    switch (a.len ? a.p[0] | 0x20 : 0) {
    case 'n': /* nx */
    case 'x': /* xx */
    case 'c': /* ch */
    case 'i': /* incr */
    case 'g': /* gt */
    case 'l': /* lt */
        return true;
    default:
        return false;
    }
}

/* ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...], and
 * ZINCRBY key increment member (flags ZADD_INCR): Redis's
 * zaddGenericCommand, its checks in its order. */
static void zadd_generic(struct cmd_ctx *c, int flags)
{
    int idx = 2;
    bool ch = false;
    for (; idx < c->argc; idx++) {
        struct rs_str a = c->argv[idx];
        /* the first score ends the flags: spare it six comparisons */
        if (!zadd_flag_start(a))
            break;
        if (rs_str_eqi(a, "nx"))
            flags |= ZADD_NX;
        else if (rs_str_eqi(a, "xx"))
            flags |= ZADD_XX;
        else if (rs_str_eqi(a, "ch"))
            ch = true;
        else if (rs_str_eqi(a, "incr"))
            flags |= ZADD_INCR;
        else if (rs_str_eqi(a, "gt"))
            flags |= ZADD_GT;
        else if (rs_str_eqi(a, "lt"))
            flags |= ZADD_LT;
        else
            break;
    }
    int nargs = c->argc - idx;
    if (nargs % 2 || nargs == 0) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    long long n = nargs / 2;
    if ((flags & ZADD_NX) && (flags & ZADD_XX)) {
        reply_errf(c, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & ZADD_NX) && (flags & (ZADD_GT | ZADD_LT))) ||
        ((flags & ZADD_GT) && (flags & ZADD_LT))) {
        reply_errf(c, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & ZADD_INCR) && n > 1) {
        reply_errf(c, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double *scores = rs_malloc((size_t)n * sizeof *scores);
    size_t maxlen = 0;
    for (long long j = 0; j < n; j++) {
        struct rs_str s = c->argv[idx + 2 * j], m = c->argv[idx + 2 * j + 1];
        if (!resp_str2d(s.p, s.len, &scores[j])) {
            reply_err(c, RS_ERR_NOT_FLOAT);
            rs_free(scores);
            return;
        }
        maxlen = m.len > maxlen ? m.len : maxlen;
    }
    struct rs_str key = c->argv[1];
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, key, OBJ_ZSET, &loc, &wrong);
    long long added = 0, updated = 0, processed = 0;
    double score = 0;
    if (wrong)
        goto done;
    if (!e) {
        if (flags & ZADD_XX)
            goto reply;
        loc.sh = ks_shard(c->db, key, true);
        e = obj_new_ptr(loc.sh, key, OBJ_ZSET, ENC_RAW, zset_new(c->st, (size_t)n, maxlen));
        ks_add(c->db, loc.sh, e);
        e = ks_write_type(c, key, OBJ_ZSET, &loc, &wrong);
    } else {
        zset_maybe_convert(c->st, zset_of(e), (size_t)n, maxlen);
    }
    size_t before = obj_bytes(e);
    bool nan = false;
    for (long long j = 0; j < n; j++) {
        int out;
        double newscore;
        if (!zset_add(c->st, zset_of(e), c->argv[idx + 2 * j + 1], scores[j], flags, &out,
                      &newscore)) {
            nan = true;
            break;
        }
        added += (out & ZADD_OUT_ADDED) != 0;
        updated += (out & ZADD_OUT_UPDATED) != 0;
        processed += (out & ZADD_OUT_NOP) == 0;
        score = newscore;
    }
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (nan) {
        reply_errf(c, "ERR resulting score is not a number (NaN)");
        goto events;
    }
reply:
    if (flags & ZADD_INCR && processed)
        resp_add_double(c->out, score);
    else if (flags & ZADD_INCR)
        resp_add_null(c->out);
    else
        resp_add_int(c->out, ch ? added + updated : added);
events:
    if (added || updated) {
        ks_dirty(c->st, (uint64_t)(added + updated));
        ks_touch(c->db, key);
        ks_notify(c->db, NOTIFY_ZSET, flags & ZADD_INCR ? "zincr" : "zadd", key);
    }
done:
    rs_free(scores);
}

void cmd_zadd(struct cmd_ctx *c)
{
    zadd_generic(c, 0);
}

void cmd_zincrby(struct cmd_ctx *c)
{
    zadd_generic(c, ZADD_INCR);
}

/* ZREM key member [member ...] */
void cmd_zrem(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_ZSET, &loc, &wrong);
    if (wrong)
        return;
    long long deleted = 0;
    if (e) {
        size_t before = obj_bytes(e);
        for (int i = 2; i < c->argc && zset_len(zset_of(e)); i++)
            deleted += zset_remove(zset_of(e), c->argv[i]);
        if (deleted) {
            ks_touch_loc(&loc);
            ks_notify(c->db, NOTIFY_ZSET, "zrem", c->argv[1]);
        }
        ks_dirty(c->st, (uint64_t)deleted);
        zset_changed(c, &loc, before, c->argv[1]);
    }
    resp_add_int(c->out, deleted);
}

/* ------------------------------------------------------------------------
 * Reads of members
 * ------------------------------------------------------------------------ */

void cmd_zcard(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e ? (long long)zset_len(zset_of(e)) : 0);
}

void cmd_zscore(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    double s;
    if (e && zset_score(zset_of(e), c->argv[2], &s))
        resp_add_double(c->out, s);
    else
        resp_add_null(c->out);
}

void cmd_zmscore(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    resp_add_array_len(c->out, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        double s;
        if (e && zset_score(zset_of(e), c->argv[i], &s))
            resp_add_double(c->out, s);
        else
            resp_add_null(c->out);
    }
}

/* ZRANK, ZREVRANK key member [WITHSCORE] */
static void rank_generic(struct cmd_ctx *c, bool rev)
{
    if (c->argc > 4) {
        reply_arity(c);
        return;
    }
    bool withscore = c->argc == 4;
    if (withscore && !rs_str_eqi(c->argv[3], "withscore")) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    uint64_t rank;
    double score;
    if (!e || !zset_rank(zset_of(e), c->argv[2], rev, &rank, &score)) {
        if (withscore)
            resp_add_null_array(c->out);
        else
            resp_add_null(c->out);
        return;
    }
    if (withscore)
        resp_add_array_len(c->out, 2);
    resp_add_int(c->out, (long long)rank);
    if (withscore)
        resp_add_double(c->out, score);
}

void cmd_zrank(struct cmd_ctx *c)
{
    rank_generic(c, false);
}

void cmd_zrevrank(struct cmd_ctx *c)
{
    rank_generic(c, true);
}

/* ------------------------------------------------------------------------
 * Ranges
 * ------------------------------------------------------------------------ */

enum range_kind { BY_AUTO, BY_RANK, BY_SCORE, BY_LEX };

static bool parse_score_range(struct cmd_ctx *c, struct rs_str min, struct rs_str max,
                              struct zrange_score *r)
{
    if (zrange_score_parse(min, max, r))
        return true;
    reply_errf(c, "ERR min or max is not a float");
    return false;
}

static bool parse_lex_range(struct cmd_ctx *c, struct rs_str min, struct rs_str max,
                            struct zrange_lex *r)
{
    if (zrange_lex_parse(min, max, r))
        return true;
    reply_errf(c, "ERR min or max not valid string range item");
    return false;
}

/* Redis's rank sanitising: negative from the end, clamped; false when
 * the window is empty. */
static bool rank_window(long long start, long long end, long long len, uint64_t *from,
                        uint64_t *to)
{
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (start > end || start >= len)
        return false;
    if (end >= len)
        end = len - 1;
    *from = (uint64_t)start;
    *to = (uint64_t)end;
    return true;
}

/* The window of a score or lex range [first, last] (ranks) with LIMIT
 * offset count, as Redis 7.4's genericZrangeby*Command and its
 * zslNthIn*Range walk it: *start is where the walk begins (from the low
 * end forwards, or from the high end backwards with rev) and *n how many
 * it takes; false when it takes none. A negative offset counts from the
 * far end of the range in the large form (Redis's skiplist) and takes
 * nothing in the packed one, as there. */
static bool limit_window(const struct rzset *z, bool found, uint64_t first, uint64_t last,
                         long long offset, long long limit, bool rev, uint64_t *start,
                         uint64_t *n)
{
    long long len = (long long)zset_len(z);
    if (!found || (offset > 0 && offset >= len) || limit == 0 || (offset < 0 && z->lp))
        return false;
    long long f = (long long)first, l = (long long)last, s;
    if (!rev) {
        s = offset >= 0 ? f + offset : l + 1 + offset;
        if (s < f || s > l)
            return false;
        *n = (uint64_t)(l - s + 1);
    } else {
        s = offset >= 0 ? l - offset : f - offset - 1;
        if (s < f || s > l)
            return false;
        *n = (uint64_t)(s - f + 1);
    }
    if (limit > 0 && (uint64_t)limit < *n)
        *n = (uint64_t)limit;
    *start = (uint64_t)s;
    return true;
}

/* Where a range's members go: the client, or a new sorted set (STORE). */
struct range_out {
    struct cmd_ctx *c;
    bool withscores;
    struct rzset *dst; /* ZRANGESTORE */
};

/* Walk n members from rank start (an absolute rank; backwards with rev),
 * from at when that walk is already there (NULL: seek it). */
static void emit_window(struct range_out *o, const struct rzset *z, uint64_t start, uint64_t n,
                        bool rev, const struct zset_it *at)
{
    struct cmd_ctx *c = o->c;
    struct rzset *dst = o->dst;
    bool withscores = o->withscores;
    if (!dst)
        reply_members_len(c, (long long)n, withscores);
    struct zset_it it;
    if (at)
        it = *at;
    else
        zset_it_rank(&it, z, rev ? zset_len(z) - 1 - start : start, rev);
    if (!dst && it.p.leaf) {
        /* The large form's reply, place to place in registers (the walk
         * below keeps it in memory across the writer's calls): a
         * ZRANGE's hundred members. */
        for (struct zt_pos x = it.p; n > 0 && x.leaf; n--, x = zt_step(x, it.rev))
            reply_member(c, zt_member(zt_entry(x)), zt_pos_score(x), withscores);
        return;
    }
    for (uint64_t i = 0; i < n && it.ok; i++, zset_it_next(&it)) {
        if (dst) {
            int out;
            zset_add(c->st, dst, zset_it_member(&it), zset_it_score(&it), 0, &out, NULL);
        } else {
            reply_member(c, zset_it_member(&it), zset_it_score(&it), withscores);
        }
    }
}

/* Z[REV]RANGE[BYSCORE|BYLEX][STORE]: Redis's zrangeGenericCommand. at is
 * the index of the source key; dst (ZRANGESTORE) the destination or NULL;
 * kind and rev what the command fixes (BY_AUTO and !rev_fixed: options). */
static void range_generic(struct cmd_ctx *c, int at, const struct rs_str *dst,
                          enum range_kind kind, bool rev, bool rev_fixed)
{
    long long offset = 0, limit = -1;
    bool withscores = false;
    for (int j = at + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        struct rs_str a = c->argv[j];
        if (!dst && rs_str_eqi(a, "withscores")) {
            withscores = true;
        } else if (rs_str_eqi(a, "limit") && left >= 2) {
            if (!arg_ll(c, c->argv[j + 1], &offset) || !arg_ll(c, c->argv[j + 2], &limit))
                return;
            j += 2;
        } else if (!rev_fixed && !rev && rs_str_eqi(a, "rev")) {
            rev = true;
        } else if (kind == BY_AUTO && rs_str_eqi(a, "bylex")) {
            kind = BY_LEX;
        } else if (kind == BY_AUTO && rs_str_eqi(a, "byscore")) {
            kind = BY_SCORE;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    if (kind == BY_AUTO)
        kind = BY_RANK;
    if (limit != -1 && kind == BY_RANK) {
        reply_errf(c, "ERR syntax error, LIMIT is only supported in combination with either "
                      "BYSCORE or BYLEX");
        return;
    }
    if (withscores && kind == BY_LEX) {
        reply_errf(c, "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    struct rs_str min = c->argv[at + 1], max = c->argv[at + 2];
    if (rev && kind != BY_RANK) { /* given as max min */
        struct rs_str t = min;
        min = max;
        max = t;
    }
    long long start = 0, end = 0;
    struct zrange_score sr;
    struct zrange_lex lr;
    if ((kind == BY_RANK && (!arg_ll(c, min, &start) || !arg_ll(c, max, &end))) ||
        (kind == BY_SCORE && !parse_score_range(c, min, max, &sr)) ||
        (kind == BY_LEX && !parse_lex_range(c, min, max, &lr)))
        return;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[at], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    struct range_out o = {c, withscores, NULL};
    uint64_t from = 0, n = 0;
    bool some = false;
    struct zset_it walk; /* where a range starts, which LIMIT's offset 0 keeps */
    const struct zset_it *hint = NULL;
    if (e) {
        const struct rzset *z = zset_of(e);
        if (kind == BY_RANK) {
            uint64_t to;
            some = rank_window(start, end, (long long)zset_len(z), &from, &to);
            n = some ? to - from + 1 : 0;
            if (some && rev) /* ranks counted from the end */
                from = zset_len(z) - 1 - from;
        } else if (z->big && offset >= 0 && limit > 0) {
            n = zset_range_limit(z, kind == BY_SCORE ? &sr : NULL, kind == BY_LEX ? &lr : NULL,
                                 (uint64_t)offset, (uint64_t)limit, rev, &walk);
            some = n > 0;
            from = some ? walk.idx : 0;
            hint = some ? &walk : NULL;
        } else {
            uint64_t first, last;
            bool found = zset_range_ranks(z, kind == BY_SCORE ? &sr : NULL,
                                          kind == BY_LEX ? &lr : NULL, &first, &last, rev, &walk);
            some = limit_window(z, found, first, last, offset, limit, rev, &from, &n);
            hint = some && walk.idx == from ? &walk : NULL;
        }
    }
    if (!dst) {
        if (some)
            emit_window(&o, zset_of(e), from, n, rev, hint);
        else
            resp_add_array_len(c->out, 0);
        return;
    }
    if (!some) {
        if (ks_delete_key(c, c->db, *dst, c->st->cfg.lazyfree_server_del)) {
            ks_notify(c->db, NOTIFY_GENERIC, "del", *dst);
            ks_dirty(c->st, 1);
        }
        resp_add_int(c->out, 0);
        return;
    }
    o.dst = zset_new(c->st, n, 0);
    emit_window(&o, zset_of(e), from, n, rev, hint);
    struct shard *sh = ks_shard(c->db, *dst, true);
    ks_set(c, c->db, *dst, obj_new_ptr(sh, *dst, OBJ_ZSET, ENC_RAW, o.dst));
    resp_add_int(c->out, (long long)n);
    ks_notify(c->db, NOTIFY_ZSET, "zrangestore", *dst);
    ks_dirty(c->st, 1);
}

void cmd_zrange(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_AUTO, false, false);
}

void cmd_zrangestore(struct cmd_ctx *c)
{
    range_generic(c, 2, &c->argv[1], BY_AUTO, false, false);
}

void cmd_zrevrange(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_RANK, true, true);
}

void cmd_zrangebyscore(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_SCORE, false, true);
}

void cmd_zrevrangebyscore(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_SCORE, true, true);
}

void cmd_zrangebylex(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_LEX, false, true);
}

void cmd_zrevrangebylex(struct cmd_ctx *c)
{
    range_generic(c, 1, NULL, BY_LEX, true, true);
}

/* ZCOUNT, ZLEXCOUNT key min max */
static void count_generic(struct cmd_ctx *c, enum range_kind kind)
{
    struct zrange_score sr;
    struct zrange_lex lr;
    if ((kind == BY_SCORE && !parse_score_range(c, c->argv[2], c->argv[3], &sr)) ||
        (kind == BY_LEX && !parse_lex_range(c, c->argv[2], c->argv[3], &lr)))
        return;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    uint64_t first, last;
    bool found = e && zset_range_ranks(zset_of(e), kind == BY_SCORE ? &sr : NULL,
                                       kind == BY_LEX ? &lr : NULL, &first, &last, false, NULL);
    resp_add_int(c->out, found ? (long long)(last - first + 1) : 0);
}

void cmd_zcount(struct cmd_ctx *c)
{
    count_generic(c, BY_SCORE);
}

void cmd_zlexcount(struct cmd_ctx *c)
{
    count_generic(c, BY_LEX);
}

/* ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX key min max */
static void remrange_generic(struct cmd_ctx *c, enum range_kind kind)
{
    long long start = 0, end = 0;
    struct zrange_score sr;
    struct zrange_lex lr;
    if ((kind == BY_RANK && (!arg_ll(c, c->argv[2], &start) || !arg_ll(c, c->argv[3], &end))) ||
        (kind == BY_SCORE && !parse_score_range(c, c->argv[2], c->argv[3], &sr)) ||
        (kind == BY_LEX && !parse_lex_range(c, c->argv[2], c->argv[3], &lr)))
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_ZSET, &loc, &wrong);
    if (wrong)
        return;
    uint64_t first, last;
    bool some = false;
    if (e && kind == BY_RANK)
        some = rank_window(start, end, (long long)zset_len(zset_of(e)), &first, &last);
    else if (e)
        some = zset_range_ranks(zset_of(e), kind == BY_SCORE ? &sr : NULL,
                                kind == BY_LEX ? &lr : NULL, &first, &last, false, NULL);
    if (!some) {
        resp_add_int(c->out, 0);
        return;
    }
    size_t before = obj_bytes(e);
    zset_delete_ranks(zset_of(e), first, last);
    static const char *const events[] = {
        [BY_RANK] = "zremrangebyrank", [BY_SCORE] = "zremrangebyscore",
        [BY_LEX] = "zremrangebylex"};
    ks_touch_loc(&loc);
    ks_notify(c->db, NOTIFY_ZSET, events[kind], c->argv[1]);
    ks_dirty(c->st, last - first + 1);
    zset_changed(c, &loc, before, c->argv[1]);
    resp_add_int(c->out, (long long)(last - first + 1));
}

void cmd_zremrangebyrank(struct cmd_ctx *c)
{
    remrange_generic(c, BY_RANK);
}

void cmd_zremrangebyscore(struct cmd_ctx *c)
{
    remrange_generic(c, BY_SCORE);
}

void cmd_zremrangebylex(struct cmd_ctx *c)
{
    remrange_generic(c, BY_LEX);
}

/* ------------------------------------------------------------------------
 * Pops: ZPOPMIN ZPOPMAX ZMPOP and their blocking forms
 * ------------------------------------------------------------------------ */

enum pop_shape {
    POP_FLAT,   /* ZPOPMIN: member, score, ... */
    POP_NESTED, /* ZPOPMIN with a count in RESP3: [member, score] ... */
    POP_KEYED,  /* BZPOPMIN: key, member, score */
    POP_MPOP,   /* ZMPOP: [key, [[member, score] ...]] */
};

/* Pop up to count members from the zset at loc (key), replying in shape,
 * as Redis's genericZpopCommand once it found its key. */
static void pop_from(struct cmd_ctx *c, struct kloc *loc, struct rs_str key, bool max,
                     long long count, enum pop_shape shape)
{
    struct rzset *z = zset_of(*loc->ref);
    long long n = (long long)zset_len(z) < count ? (long long)zset_len(z) : count;
    if (shape == POP_FLAT) {
        resp_add_array_len(c->out, n * 2);
    } else if (shape == POP_NESTED) {
        resp_add_array_len(c->out, n);
    } else if (shape == POP_KEYED) {
        resp_add_array_len(c->out, n * 2 + 1);
        resp_add_bulk_str(c->out, key);
    } else {
        resp_add_array_len(c->out, 2);
        resp_add_bulk_str(c->out, key);
        resp_add_array_len(c->out, n);
    }
    size_t before = obj_bytes(*loc->ref);
    struct zset_it it;
    zset_it_rank(&it, z, 0, max);
    for (long long i = 0; i < n; i++, zset_it_next(&it))
        reply_pair(c, zset_it_member(&it), zset_it_score(&it),
                   shape == POP_NESTED || shape == POP_MPOP);
    uint64_t len = zset_len(z);
    if (max)
        zset_delete_ranks(z, len - (uint64_t)n, len - 1);
    else
        zset_delete_ranks(z, 0, (uint64_t)n - 1);
    ks_notify(c->db, NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", key);
    ks_dirty(c->st, (uint64_t)n);
    zset_changed(c, loc, before, key);
    ks_touch(c->db, key);
}

/* Pop from the first non-empty zset of keys[0..n) -- in a re-run, from
 * rerun_key only. false, with nothing replied, when all are absent. */
static bool pop_first(struct cmd_ctx *c, const struct rs_str *keys, int n, bool max,
                      long long count, enum pop_shape shape)
{
    for (int j = 0; j < n; j++) {
        if (c->rerun && !str_eq(keys[j], c->rerun_key))
            continue;
        struct kloc loc;
        struct entry *e = ks_write(c, c->db, keys[j], &loc);
        if (!e)
            continue;
        if (e->type != OBJ_ZSET) {
            reply_err(c, RS_ERR_WRONGTYPE);
            return true;
        }
        /* The pop that happened, from the key it happened on (BZPOPMIN's
         * one member without a count, as Redis logs it). */
        if (shape == POP_KEYED)
            prop_addf(c, "cs", max ? "ZPOPMAX" : "ZPOPMIN", keys[j]);
        else
            prop_addf(c, "csi", max ? "ZPOPMAX" : "ZPOPMIN", keys[j], count);
        pop_from(c, &loc, keys[j], max, count, shape);
        return true;
    }
    return false;
}

/* ZPOPMIN, ZPOPMAX key [count] */
static void zpop_generic(struct cmd_ctx *c, bool max)
{
    if (c->argc > 3) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    long long count = 1;
    bool has_count = c->argc == 3;
    if (has_count && !arg_range(c, c->argv[2], 0, LLONG_MAX, RS_ERR_NOT_POSITIVE, &count))
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_ZSET, &loc, &wrong);
    if (wrong)
        return;
    if (!e || count == 0) {
        resp_add_array_len(c->out, 0);
        return;
    }
    pop_from(c, &loc, c->argv[1], max, count,
             has_count && c->out->proto > 2 ? POP_NESTED : POP_FLAT);
}

void cmd_zpopmin(struct cmd_ctx *c)
{
    zpop_generic(c, false);
}

void cmd_zpopmax(struct cmd_ctx *c)
{
    zpop_generic(c, true);
}

/* BZPOPMIN, BZPOPMAX key [key ...] timeout */
static void bzpop_generic(struct cmd_ctx *c, bool max)
{
    int64_t timeout;
    if (!block_timeout_arg(c, c->argv[c->argc - 1], true, &timeout) ||
        pop_first(c, c->argv + 1, c->argc - 2, max, 1, POP_KEYED))
        return;
    if (!block_for_keys(c, c->argv + 1, c->argc - 2, OBJ_ZSET, timeout, 0))
        resp_add_null_array(c->out);
}

void cmd_bzpopmin(struct cmd_ctx *c)
{
    bzpop_generic(c, false);
}

void cmd_bzpopmax(struct cmd_ctx *c)
{
    bzpop_generic(c, true);
}

/* [B]ZMPOP from argv[at]: numkeys key [key ...] MIN|MAX [COUNT count] */
static void zmpop_generic(struct cmd_ctx *c, int at, bool block)
{
    static const char *const ends[2] = {"min", "max"};
    int numkeys, end;
    long long count;
    if (!mpop_args(c, at, ends, &numkeys, &end, &count))
        return;
    bool max = end;
    int64_t timeout_ms = 0;
    if ((block && !block_timeout_arg(c, c->argv[1], true, &timeout_ms)) ||
        pop_first(c, c->argv + at + 1, numkeys, max, count, POP_MPOP))
        return;
    if (!block || !block_for_keys(c, c->argv + at + 1, numkeys, OBJ_ZSET, timeout_ms, 0))
        resp_add_null_array(c->out);
}

void cmd_zmpop(struct cmd_ctx *c)
{
    zmpop_generic(c, 1, false);
}

void cmd_bzmpop(struct cmd_ctx *c)
{
    zmpop_generic(c, 2, true);
}

/* ------------------------------------------------------------------------
 * ZRANDMEMBER
 * ------------------------------------------------------------------------ */

static void free_taken(void *ud, struct entry *e)
{
    (void)ud;
    rs_free(e);
}

/* ZRANDMEMBER key [count [WITHSCORES]] -- a negative count may repeat
 * members; a positive one gives distinct ones, the whole set in order
 * when it covers it. */
void cmd_zrandmember(struct cmd_ctx *c)
{
    long long l = 0;
    bool withscores = false;
    if (c->argc >= 3) {
        if (!arg_ll(c, c->argv[2], &l))
            return;
        if (l == LLONG_MIN) {
            reply_errf(c, "ERR value is out of range, value must between %lld and %lld",
                       -LLONG_MAX, LLONG_MAX);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !rs_str_eqi(c->argv[3], "withscores"))) {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
        withscores = c->argc == 4;
        if (withscores && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            reply_errf(c, "ERR value is out of range");
            return;
        }
    }
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_ZSET, NULL, &wrong);
    if (wrong)
        return;
    struct rs_str m;
    double score;
    if (c->argc == 2) {
        if (!e) {
            resp_add_null(c->out);
            return;
        }
        zset_random(zset_of(e), &c->st->rng, &m, &score);
        resp_add_bulk_str(c->out, m);
        return;
    }
    if (!e || l == 0) {
        resp_add_array_len(c->out, 0);
        return;
    }
    const struct rzset *z = zset_of(e);
    uint64_t size = zset_len(z);
    if (l < 0 || l == 1) {
        long long n = l < 0 ? -l : 1;
        reply_members_len(c, n, withscores);
        /* Stops when the client's output is full: it is being closed. */
        for (long long i = 0; i < n && !resp_out_full(c->out); i++) {
            zset_random(z, &c->st->rng, &m, &score);
            reply_member(c, m, score, withscores);
        }
        return;
    }
    struct zset_it it;
    if ((uint64_t)l >= size) {
        reply_members_len(c, (long long)size, withscores);
        for (zset_it_rank(&it, z, 0, true); it.ok; zset_it_next(&it))
            reply_member(c, zset_it_member(&it), zset_it_score(&it), withscores);
        return;
    }
    /* Distinct picks: selection sampling over the walk (Knuth's Algorithm
     * S), O(size), each member taken with the probability that leaves
     * exactly l -- when l is close to the size; else random draws, with a
     * temporary table of those taken, O(l). */
    reply_members_len(c, l, withscores);
    if ((uint64_t)l * 3 > size) {
        uint64_t need = (uint64_t)l, left = size;
        for (zset_it_rank(&it, z, 0, false); it.ok && need; zset_it_next(&it), left--) {
            if (rng_below(&c->st->rng, left) < need) {
                reply_member(c, zset_it_member(&it), zset_it_score(&it), withscores);
                need--;
            }
        }
        return;
    }
    struct table taken;
    tbl_init(&taken, c->st->seed);
    while (tbl_count(&taken) < (uint64_t)l) {
        zset_random(z, &c->st->rng, &m, &score);
        if (tbl_get(&taken, m.p, m.len))
            continue;
        tbl_insert(&taken, obj_sub_entry(m, rs_str_from("", 0)));
        reply_member(c, m, score, withscores);
    }
    tbl_free(&taken, free_taken, NULL);
}

/* ------------------------------------------------------------------------
 * ZSCAN
 * ------------------------------------------------------------------------ */

struct zscan_walk {
    struct rs_str *m;
    double *s;
    size_t n, cap;
};

static void zscan_cb(void *ud, struct rs_str m, double score)
{
    struct zscan_walk *w = ud;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->m = rs_realloc(w->m, w->cap * sizeof *w->m);
        w->s = rs_realloc(w->s, w->cap * sizeof *w->s);
    }
    w->m[w->n] = m;
    w->s[w->n++] = score;
}

/* ZSCAN key cursor [MATCH pattern] [COUNT count] -- as SSCAN; scores as
 * bulk strings in both protocols, as Redis. */
void cmd_zscan(struct cmd_ctx *c)
{
    uint64_t cursor;
    struct scan_opts o;
    struct entry *e = scan_open(c, OBJ_ZSET, 0, &cursor, &o);
    if (e == NULL)
        return;
    struct rzset *z = zset_of(e);
    struct zscan_walk w = {0};
    long long maxiter = o.max_steps;
    if (z->lp)
        cursor = zset_scan(z, 0, zscan_cb, &w);
    else
        do {
            cursor = zset_scan(z, cursor, zscan_cb, &w);
        } while (cursor && maxiter-- && (long long)w.n < o.count);
    resp_add_array_len(c->out, 2);
    resp_add_bulk_ll(c->out, (long long)cursor);
    struct resp_deferred mark = resp_add_deferred(c->out);
    long long n = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (o.use_pat && !glob_match_str(o.pat, w.m[i]))
            continue;
        /* Redis prints a packed score as stored (d2string), a skip
         * list's with "%.17Lg" (ld2string's LD_STR_AUTO): 0.35 is
         * 0.34999999999999998 */
        char buf[RESP_D_STR_SIZE];
        size_t len = z->lp || isinf(w.s[i])
                         ? resp_d2str(buf, sizeof buf, w.s[i])
                         : (size_t)snprintf(buf, sizeof buf, "%.17g", w.s[i]);
        resp_add_bulk_str(c->out, w.m[i]);
        resp_add_bulk(c->out, buf, len);
        n += 2;
    }
    resp_set_deferred(c->out, mark, RESP_AGG_ARRAY, n);
    rs_free(w.m);
    rs_free(w.s);
}

/* ------------------------------------------------------------------------
 * ZUNION ZINTER ZDIFF, their STORE forms, ZINTERCARD
 * ------------------------------------------------------------------------ */

enum zop { ZOP_UNION, ZOP_INTER, ZOP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

/* An input: a sorted set, or a set whose members score 1. */
struct zsrc {
    const struct entry *e; /* NULL: a missing key (empty) */
    double weight;
    long long idx;         /* its place among the keys */
};

static uint64_t src_len(const struct zsrc *s)
{
    if (!s->e)
        return 0;
    return s->e->type == OBJ_ZSET ? zset_len(zset_of(s->e)) : obj_sub_count(s->e);
}

static bool src_find(const struct zsrc *s, struct rs_str m, double *score)
{
    if (!s->e)
        return false;
    if (s->e->type == OBJ_ZSET)
        return zset_score(zset_of(s->e), m, score);
    *score = 1.0;
    struct rset view;
    return set_contains(set_of(s->e, &view), m);
}

static void aggregate(double *target, double v, int agg)
{
    if (agg == AGG_SUM) {
        *target += v;
        if (isnan(*target)) /* inf + -inf */
            *target = 0;
    } else if (agg == AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

/* The walk over one input, adding what op makes of each member to out. */
struct zop_walk {
    struct cmd_ctx *c;
    enum zop op;
    int agg;
    struct zsrc *src; /* sorted by size for union and inter */
    int n, i;         /* inputs, the one walked */
    struct rzset *out;
    size_t maxlen;
    uint64_t count, limit; /* ZINTERCARD: out is NULL */
};

static void zop_member(struct zop_walk *w, struct rs_str m, double score)
{
    const struct zsrc *s = &w->src[w->i];
    double v = s->weight * score, other;
    int out;
    if (isnan(v))
        v = 0;
    if (w->op == ZOP_UNION) {
        if (zset_score(w->out, m, &other)) {
            aggregate(&other, v, w->agg);
            zset_add(w->c->st, w->out, m, other, 0, &out, NULL);
            return;
        }
    } else if (w->op == ZOP_INTER) {
        for (int j = 1; j < w->n; j++) {
            double x;
            if (w->src[j].e == s->e)
                x = score; /* the same input walked */
            else if (!src_find(&w->src[j], m, &x))
                return;
            aggregate(&v, x * w->src[j].weight, w->agg);
        }
        if (!w->out) {
            w->count++;
            return;
        }
    } else {
        for (int j = 1; j < w->n; j++)
            if (src_find(&w->src[j], m, &other))
                return;
        v = score;
    }
    w->maxlen = m.len > w->maxlen ? m.len : w->maxlen;
    zset_add(w->c->st, w->out, m, v, 0, &out, NULL);
}

static bool zop_set_cb(void *ud, struct rs_str m)
{
    struct zop_walk *w = ud;
    zop_member(w, m, 1.0);
    return !w->limit || w->count < w->limit;
}

static void zop_walk_src(struct zop_walk *w, int i)
{
    w->i = i;
    const struct entry *e = w->src[i].e;
    if (!e)
        return;
    if (e->type == OBJ_SET) {
        struct rset view;
        set_foreach(set_of(e, &view), zop_set_cb, w);
        return;
    }
    struct zset_it it;
    const struct rzset *z = zset_of(e);
    if (!zset_len(z))
        return;
    /* In a union the walked set may be the output's source too: the
     * output is separate, so the walk is safe. */
    for (zset_it_rank(&it, z, 0, false); it.ok && (!w->limit || w->count < w->limit);
         zset_it_next(&it))
        zop_member(w, zset_it_member(&it), zset_it_score(&it));
}

static int src_by_size(const void *a, const void *b)
{
    uint64_t x = src_len(a), y = src_len(b);
    if (x != y)
        return x < y ? -1 : 1;
    /* equal sizes keep their order (a stable sort, as glibc's qsort is
     * for these), which the order of the sums follows */
    long long i = ((const struct zsrc *)a)->idx, j = ((const struct zsrc *)b)->idx;
    return i < j ? -1 : i > j;
}

/* Redis's zunionInterDiffGenericCommand: numkeys at argv[at]; dst for the
 * STORE forms; card for ZINTERCARD. */
static void zop_generic(struct cmd_ctx *c, int at, const struct rs_str *dst, enum zop op,
                        bool card)
{
    long long nsrc;
    if (!arg_ll(c, c->argv[at], &nsrc))
        return;
    if (nsrc < 1) {
        char name[64];
        cmd_print_name(c->cmd->name, name, sizeof name);
        reply_errf(c, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (nsrc > c->argc - at - 1) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    struct zsrc *src = rs_calloc((size_t)nsrc, sizeof *src);
    int j = at + 1;
    for (long long i = 0; i < nsrc; i++, j++) {
        struct entry *e = ks_read(c, c->db, c->argv[j], NULL);
        if (e && e->type != OBJ_ZSET && e->type != OBJ_SET) {
            reply_err(c, RS_ERR_WRONGTYPE);
            goto done;
        }
        src[i].e = e;
        src[i].weight = 1.0;
        src[i].idx = i;
    }
    int agg = AGG_SUM;
    bool withscores = false;
    long long limit = 0;
    while (j < c->argc) {
        int left = c->argc - j;
        struct rs_str a = c->argv[j];
        if (op != ZOP_DIFF && !card && left >= nsrc + 1 && rs_str_eqi(a, "weights")) {
            j++;
            for (long long i = 0; i < nsrc; i++, j++) {
                if (!resp_str2d(c->argv[j].p, c->argv[j].len, &src[i].weight)) {
                    reply_errf(c, "ERR weight value is not a float");
                    goto done;
                }
            }
        } else if (op != ZOP_DIFF && !card && left >= 2 && rs_str_eqi(a, "aggregate")) {
            struct rs_str v = c->argv[j + 1];
            if (rs_str_eqi(v, "sum")) {
                agg = AGG_SUM;
            } else if (rs_str_eqi(v, "min")) {
                agg = AGG_MIN;
            } else if (rs_str_eqi(v, "max")) {
                agg = AGG_MAX;
            } else {
                reply_err(c, RS_ERR_SYNTAX);
                goto done;
            }
            j += 2;
        } else if (!dst && !card && rs_str_eqi(a, "withscores")) {
            withscores = true;
            j++;
        } else if (card && left >= 2 && rs_str_eqi(a, "limit")) {
            if (!resp_str2ll(c->argv[j + 1].p, c->argv[j + 1].len, &limit) || limit < 0) {
                reply_errf(c, "ERR LIMIT can't be negative");
                goto done;
            }
            j += 2;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            goto done;
        }
    }
    if (op != ZOP_DIFF)
        qsort(src, (size_t)nsrc, sizeof *src, src_by_size);
    struct zop_walk w = {c, op, agg, src, (int)nsrc, 0, NULL, 0, 0, (uint64_t)limit};
    if (!card)
        w.out = zset_new(c->st, SIZE_MAX, 0);
    if (op == ZOP_UNION) {
        for (int i = 0; i < nsrc; i++)
            zop_walk_src(&w, i);
    } else if (src_len(&src[0]) > 0) {
        zop_walk_src(&w, 0);
    }
    if (card) {
        resp_add_int(c->out, (long long)w.count);
    } else if (dst) {
        long long n = (long long)zset_len(w.out);
        if (n) {
            zset_maybe_pack(c->st, w.out, w.maxlen);
            struct shard *sh = ks_shard(c->db, *dst, true);
            ks_set(c, c->db, *dst, obj_new_ptr(sh, *dst, OBJ_ZSET, ENC_RAW, w.out));
            static const char *const events[] = {
                [ZOP_UNION] = "zunionstore", [ZOP_INTER] = "zinterstore",
                [ZOP_DIFF] = "zdiffstore"};
            resp_add_int(c->out, n);
            ks_notify(c->db, NOTIFY_ZSET, events[op], *dst);
            ks_dirty(c->st, 1);
        } else {
            zset_free(w.out);
            resp_add_int(c->out, 0);
            if (ks_delete_key(c, c->db, *dst, c->st->cfg.lazyfree_server_del)) {
                ks_notify(c->db, NOTIFY_GENERIC, "del", *dst);
                ks_dirty(c->st, 1);
            }
        }
    } else {
        reply_members_len(c, (long long)zset_len(w.out), withscores);
        struct zset_it it;
        if (zset_len(w.out))
            for (zset_it_rank(&it, w.out, 0, false); it.ok; zset_it_next(&it))
                reply_member(c, zset_it_member(&it), zset_it_score(&it), withscores);
        zset_free(w.out);
    }
done:
    rs_free(src);
}

void cmd_zunion(struct cmd_ctx *c)
{
    zop_generic(c, 1, NULL, ZOP_UNION, false);
}

void cmd_zinter(struct cmd_ctx *c)
{
    zop_generic(c, 1, NULL, ZOP_INTER, false);
}

void cmd_zdiff(struct cmd_ctx *c)
{
    zop_generic(c, 1, NULL, ZOP_DIFF, false);
}

void cmd_zunionstore(struct cmd_ctx *c)
{
    zop_generic(c, 2, &c->argv[1], ZOP_UNION, false);
}

void cmd_zinterstore(struct cmd_ctx *c)
{
    zop_generic(c, 2, &c->argv[1], ZOP_INTER, false);
}

void cmd_zdiffstore(struct cmd_ctx *c)
{
    zop_generic(c, 2, &c->argv[1], ZOP_DIFF, false);
}

void cmd_zintercard(struct cmd_ctx *c)
{
    zop_generic(c, 1, NULL, ZOP_INTER, true);
}
