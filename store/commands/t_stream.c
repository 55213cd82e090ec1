/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID,
 * XREAD, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XGROUP, XINFO,
 * with Redis 7.4's replies and errors (the value itself is stream.c).
 *
 * XREAD and XREADGROUP with BLOCK that find nothing block their client
 * (block.c); XADD and XGROUP DESTROY signal the key so that they run again.
 */
#include <stdio.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/stream.h"

static struct stream *stream_of(const struct entry *e)
{
    return entry_ptr(e);
}

/* ------------------------------------------------------------------------
 * Replies and argument helpers
 * ------------------------------------------------------------------------ */

static void reply_id(struct cmd_ctx *c, struct sid id)
{
    char buf[SID_STR_SIZE];
    resp_add_bulk(c->out, buf, sid_format(id, buf));
}

/* [id, [field, value, ...]] */
static void reply_entry(struct cmd_ctx *c, const struct sentry *se)
{
    resp_add_array_len(c->out, 2);
    reply_id(c, se->id);
    resp_add_array_len(c->out, 2 * (long long)se->nfields);
    const uint8_t *f = se->fields, *v = se->values;
    for (uint32_t i = 0; i < se->nfields; i++) {
        resp_add_bulk_str(c->out, sentry_str(&f));
        resp_add_bulk_str(c->out, sentry_str(&v));
    }
}

static void reply_bad_id(struct cmd_ctx *c)
{
    reply_errf(c, "ERR Invalid stream ID specified as stream command argument");
}

/* An integer argument with Redis's own error text for a bad one. */
static bool arg_ll_msg(struct cmd_ctx *c, struct rs_str a, long long *v, const char *msg)
{
    if (resp_str2ll(a.p, a.len, v))
        return true;
    reply_errf(c, "ERR %s", msg);
    return false;
}

static bool parse_id(struct cmd_ctx *c, struct rs_str a, struct sid *id, uint64_t missing_seq,
                     bool strict)
{
    if (sid_parse(a, id, missing_seq, strict, NULL))
        return true;
    reply_bad_id(c);
    return false;
}

/* A range bound (Redis streamParseIntervalIDOrReply): "(" excludes it, then
 * the bound moves one ID inwards. start says which end it is. */
static bool parse_bound(struct cmd_ctx *c, struct rs_str a, struct sid *id, bool start)
{
    bool ex = a.len > 1 && a.p[0] == '(';
    if (ex ? !parse_id(c, rs_str_from(a.p + 1, a.len - 1), id, start ? 0 : UINT64_MAX, true)
           : !parse_id(c, a, id, start ? 0 : UINT64_MAX, false))
        return false;
    if (ex && !(start ? sid_incr(id) : sid_decr(id))) {
        reply_errf(c, start ? "ERR invalid start ID for the interval"
                            : "ERR invalid end ID for the interval");
        return false;
    }
    return true;
}

static void reply_nogroup(struct cmd_ctx *c, struct rs_str key, struct rs_str group,
                          const char *suffix)
{
    reply_errf(c, "NOGROUP No such key '%.*s' or consumer group '%.*s'%s", (int)key.len, key.p,
               (int)group.len, group.p, suffix);
}

static struct entry *stream_create(struct cmd_ctx *c, struct rs_str key, struct kloc *loc)
{
    loc->sh = ks_shard(c->db, key, true);
    struct entry *e = obj_new_ptr(loc->sh, key, OBJ_STREAM, ENC_RAW, stream_new());
    ks_add(c->db, loc->sh, e);
    bool wrong;
    return ks_write_type(c, key, OBJ_STREAM, loc, &wrong);
}

/* Create consumer name in group g of the stream s at key, and publish
 * xgroup-createconsumer as Redis does wherever a consumer is created. */
static struct sconsumer *consumer_create(struct cmd_ctx *c, struct rs_str key, struct stream *s,
                                         struct sgroup *g, struct rs_str name)
{
    struct sconsumer *cons = group_consumer_add(s, g, name, c->now);
    ks_notify(c->db, NOTIFY_STREAM, "xgroup-createconsumer", key);
    ks_dirty(c->st, 1);
    return cons;
}

/* Redis streamRangeHasTombstones with no end: is there a deleted entry at
 * or after start? */
static bool stream_tombstones_after(const struct stream *s, struct sid start)
{
    if (!s->e.length || sid_is_zero(s->max_deleted))
        return false;
    if (sid_cmp(s->first_id, s->max_deleted) > 0)
        return false;
    return sid_cmp(start, s->max_deleted) <= 0;
}

static void reply_lag(struct cmd_ctx *c, const struct stream *s, const struct sgroup *g)
{
    if (!s->entries_added) {
        resp_add_int(c->out, 0);
        return;
    }
    int64_t read = g->entries_read;
    if (read == SCG_INVALID_ENTRIES_READ || stream_tombstones_after(s, g->last_id))
        read = stream_distance(s, g->last_id);
    if (read == SCG_INVALID_ENTRIES_READ)
        resp_add_null(c->out);
    else
        resp_add_int(c->out, (long long)s->entries_added - read);
}

static void update_first_id(struct stream *s)
{
    if (!sentries_edge(&s->e, false, &s->first_id))
        s->first_id = (struct sid){0, 0};
}

/* Reply the live entries of [lo, hi] (at most count, 0 for all); with a
 * group, as a `>` read of XREADGROUP: the group's last ID advances and,
 * unless noack, every entry becomes pending for consumer. Returns the
 * entries replied. */
static long long reply_range(struct cmd_ctx *c, struct stream *s, struct sid lo, struct sid hi,
                             long long count, bool rev, struct sgroup *g, struct sconsumer *cons,
                             bool noack)
{
    struct resp_deferred d = resp_add_deferred(c->out);
    struct siter it;
    struct sentry se;
    long long n = 0;
    siter_start(&it, &s->e, lo, hi, rev);
    while ((!count || n < count) && siter_next(&it, &se)) {
        if (g && sid_cmp(se.id, g->last_id) > 0) {
            if (g->entries_read != SCG_INVALID_ENTRIES_READ &&
                !stream_tombstones_after(s, se.id))
                g->entries_read++;
            else if (s->entries_added)
                g->entries_read = stream_distance(s, se.id);
            g->last_id = se.id;
        }
        reply_entry(c, &se);
        n++;
        if (g && !noack) {
            struct snack *k = idmap_find(&g->pel, se.id);
            if (k) {
                group_nack_assign(se.id, k, cons);
                k->delivery_time = c->now;
                k->delivery_count = 1;
            } else {
                group_nack_add(s, g, se.id, cons, c->now);
            }
            cons->active_time = c->now; /* NOACK reads do not count as activity */
        }
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
    return n;
}

/* The one entry id, as XCLAIM replies it; false if it is gone. */
static bool reply_one(struct cmd_ctx *c, const struct stream *s, struct sid id)
{
    struct siter it;
    struct sentry se;
    siter_start(&it, &s->e, id, id, false);
    if (!siter_next(&it, &se))
        return false;
    reply_entry(c, &se);
    return true;
}

/* ------------------------------------------------------------------------
 * XADD, XTRIM
 * ------------------------------------------------------------------------ */

struct trim_args {
    int strategy; /* 0 none, 1 MAXLEN, 2 MINID */
    bool approx;
    long long maxlen;
    struct sid minid;
    long long limit;
    bool nomkstream;
    bool id_given, seq_given;
    struct sid id;
};

/* Redis streamParseAddOrTrimArgsOrReply: the options of XADD (xadd) or
 * XTRIM from argv[2]; returns the index of XADD's ID, or -1 after an error
 * reply. */
static int parse_add_trim(struct cmd_ctx *c, struct trim_args *a, bool xadd)
{
    memset(a, 0, sizeof *a);
    a->limit = -1;
    bool limit_given = false;
    int i = 2;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        struct rs_str o = c->argv[i];
        if (xadd && o.len == 1 && o.p[0] == '*') {
            break;
        } else if ((rs_str_eqi(o, "maxlen") || rs_str_eqi(o, "minid")) && more) {
            bool minid = rs_str_eqi(o, "minid");
            if (a->strategy) {
                reply_errf(c, "ERR syntax error, MAXLEN and MINID options at the same time are "
                              "not compatible");
                return -1;
            }
            a->approx = false;
            struct rs_str next = c->argv[i + 1];
            if (more >= 2 && next.len == 1 && (next.p[0] == '~' || next.p[0] == '=')) {
                a->approx = next.p[0] == '~';
                i++;
            }
            if (minid) {
                if (!parse_id(c, c->argv[i + 1], &a->minid, 0, true))
                    return -1;
            } else {
                if (!arg_ll(c, c->argv[i + 1], &a->maxlen))
                    return -1;
                if (a->maxlen < 0) {
                    reply_errf(c, "ERR The MAXLEN argument must be >= 0.");
                    return -1;
                }
            }
            i++;
            a->strategy = minid ? 2 : 1;
        } else if (rs_str_eqi(o, "limit") && more) {
            if (!arg_ll(c, c->argv[i + 1], &a->limit))
                return -1;
            if (a->limit < 0) {
                reply_errf(c, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = true;
            i++;
        } else if (xadd && rs_str_eqi(o, "nomkstream")) {
            a->nomkstream = true;
        } else if (xadd) {
            if (!sid_parse(o, &a->id, 0, true, &a->seq_given)) {
                reply_bad_id(c);
                return -1;
            }
            a->id_given = true;
            break;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return -1;
        }
    }
    /* as Redis: LIMIT 0 passes this check (and meets the next) */
    if (limit_given && a->limit && !a->strategy) {
        reply_errf(c, "ERR syntax error, LIMIT cannot be used without specifying a trimming "
                      "strategy");
        return -1;
    }
    if (!xadd && !a->strategy) {
        reply_errf(c, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given) {
        if (!a->approx) {
            reply_errf(c, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        /* Redis's default: 100 nodes of stream-node-max-entries (the
         * product wrapping as Redis's does), 10000 when that is not
         * positive, at most 1000000 */
        long long lim = (long long)((unsigned long long)c->st->cfg.stream_node_max_entries * 100);
        a->limit = lim <= 0 ? 10000 : lim > 1000000 ? 1000000 : lim;
    } else {
        a->limit = 0;
    }
    return i;
}

static int64_t stream_trim(struct stream *s, const struct trim_args *a)
{
    int64_t n = sentries_trim(&s->e, a->strategy == 2, a->minid, (uint64_t)a->maxlen, a->approx,
                              a->limit);
    if (n)
        update_first_id(s);
    return n;
}

/* XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id
 *      field value [field value ...] */
void cmd_xadd(struct cmd_ctx *c)
{
    struct trim_args a;
    int idpos = parse_add_trim(c, &a, true);
    if (idpos < 0)
        return;
    int fpos = idpos + 1;
    if (c->argc - fpos < 2 || (c->argc - fpos) % 2 == 1) {
        reply_arity(c);
        return;
    }
    if (a.id_given && a.seq_given && sid_is_zero(a.id)) {
        reply_errf(c, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STREAM, &loc, &wrong);
    if (wrong)
        return;
    bool created = e == NULL; /* ks_add then touched and signaled the key */
    if (created) {
        if (a.nomkstream) {
            resp_add_null(c->out);
            return;
        }
        e = stream_create(c, c->argv[1], &loc);
    }
    struct stream *s = stream_of(e);
    if (sid_cmp(s->last_id, SID_MAX) == 0) {
        reply_errf(c, "ERR The stream has exhausted the last possible ID, unable to add more "
                      "items");
        return;
    }
    struct sid id;
    if (a.id_given && a.seq_given) {
        id = a.id;
    } else if (a.id_given) {
        if (s->last_id.ms == a.id.ms) {
            id = s->last_id;
            /* a sequence that would overflow stays, refused below as not
             * greater, as Redis 7.2 on (7.0: "Elements are too large to
             * be stored") */
            if (id.seq != UINT64_MAX)
                id.seq++;
        } else {
            id = a.id;
        }
    } else if ((uint64_t)c->now > s->last_id.ms) {
        id = (struct sid){(uint64_t)c->now, 0};
    } else {
        id = s->last_id;
        sid_incr(&id);
    }
    if (sid_cmp(id, s->last_id) <= 0) {
        reply_errf(c, "ERR The ID specified in XADD is equal or smaller than the target stream "
                      "top item");
        return;
    }
    size_t before = obj_bytes(e);
    struct snode_limits lim = {(uint64_t)c->st->cfg.stream_node_max_bytes,
                               (uint64_t)c->st->cfg.stream_node_max_entries};
    sentries_append(&s->e, id, c->argv + fpos, (uint32_t)((c->argc - fpos) / 2), &lim);
    if (s->e.length == 1)
        s->first_id = id;
    s->last_id = id;
    s->entries_added++;
    reply_id(c, id);
    int64_t trimmed = a.strategy ? stream_trim(s, &a) : 0;
    /* The id given, and an approximate trim as the exact one it did. */
    if (prop_on(c->st)) {
        char idbuf[SID_STR_SIZE];
        prop_addf(c, "cssv", "XADD", c->argv[1], rs_str_from(idbuf, sid_format(id, idbuf)),
                  c->argc - fpos, c->argv + fpos);
        if (trimmed)
            prop_addf(c, "cscci", "XTRIM", c->argv[1], "MAXLEN", "=", (long long)s->e.length);
    }
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (!created)
        ks_changed(c->db, c->argv[1]); /* WATCH, and XREAD waiters */
    ks_notify(c->db, NOTIFY_STREAM, "xadd", c->argv[1]);
    ks_dirty(c->st, 1);
    if (trimmed)
        ks_notify(c->db, NOTIFY_STREAM, "xtrim", c->argv[1]);
}

/* XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
void cmd_xtrim(struct cmd_ctx *c)
{
    struct trim_args a;
    if (parse_add_trim(c, &a, false) < 0)
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STREAM, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_int(c->out, 0);
        return;
    }
    size_t before = obj_bytes(e);
    long long trimmed = stream_trim(stream_of(e), &a);
    resp_add_int(c->out, trimmed);
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (trimmed) {
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_STREAM, "xtrim", c->argv[1]);
    }
    ks_dirty(c->st, (uint64_t)trimmed);
}

/* ------------------------------------------------------------------------
 * XLEN, XRANGE, XREVRANGE, XDEL, XSETID
 * ------------------------------------------------------------------------ */

void cmd_xlen(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_STREAM, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e ? (long long)stream_of(e)->e.length : 0);
}

static void range_generic(struct cmd_ctx *c, bool rev)
{
    struct sid lo, hi;
    if (!parse_bound(c, c->argv[rev ? 3 : 2], &lo, true) ||
        !parse_bound(c, c->argv[rev ? 2 : 3], &hi, false))
        return;
    long long count = -1;
    for (int j = 4; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "count") && j + 1 < c->argc) {
            if (!arg_ll(c, c->argv[j + 1], &count))
                return;
            if (count < 0)
                count = 0;
            j++;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_STREAM, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_array_len(c->out, 0);
        return;
    }
    if (count == 0) {
        resp_add_null_array(c->out);
        return;
    }
    reply_range(c, stream_of(e), lo, hi, count < 0 ? 0 : count, rev, NULL, NULL, false);
}

/* XRANGE key start end [COUNT count] */
void cmd_xrange(struct cmd_ctx *c)
{
    range_generic(c, false);
}

/* XREVRANGE key end start [COUNT count] */
void cmd_xrevrange(struct cmd_ctx *c)
{
    range_generic(c, true);
}

/* Parse argv[from..] as strict IDs into a new array (the caller frees it). */
static struct sid *parse_ids(struct cmd_ctx *c, int from)
{
    struct sid *ids = rs_malloc(sizeof *ids * (size_t)(c->argc - from));
    for (int j = from; j < c->argc; j++) {
        if (!parse_id(c, c->argv[j], &ids[j - from], 0, true)) {
            rs_free(ids);
            return NULL;
        }
    }
    return ids;
}

/* XDEL key id [id ...] */
void cmd_xdel(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STREAM, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_int(c->out, 0);
        return;
    }
    struct sid *ids = parse_ids(c, 2);
    if (!ids)
        return;
    struct stream *s = stream_of(e);
    size_t before = obj_bytes(e);
    long long deleted = 0;
    bool first = false;
    for (int j = 0; j < c->argc - 2; j++) {
        if (!sentries_delete(&s->e, ids[j]))
            continue;
        if (sid_cmp(ids[j], s->first_id) == 0)
            first = true;
        if (sid_cmp(ids[j], s->max_deleted) > 0)
            s->max_deleted = ids[j];
        deleted++;
    }
    if (deleted && (first || s->e.length == 0))
        update_first_id(s);
    rs_free(ids);
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (deleted) {
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_STREAM, "xdel", c->argv[1]);
    }
    ks_dirty(c->st, (uint64_t)deleted);
    resp_add_int(c->out, deleted);
}

/* XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
void cmd_xsetid(struct cmd_ctx *c)
{
    struct sid id, maxdel = {0, 0};
    long long added = -1;
    if (!parse_id(c, c->argv[2], &id, 0, true))
        return;
    for (int i = 3; i < c->argc; i += 2) {
        bool more = i + 1 < c->argc;
        if (rs_str_eqi(c->argv[i], "entriesadded") && more) {
            if (!arg_ll(c, c->argv[i + 1], &added))
                return;
            if (added < 0) {
                reply_errf(c, "ERR entries_added must be positive");
                return;
            }
        } else if (rs_str_eqi(c->argv[i], "maxdeletedid") && more) {
            if (!parse_id(c, c->argv[i + 1], &maxdel, 0, true))
                return;
            if (sid_cmp(id, maxdel) < 0) {
                reply_errf(c, "ERR The ID specified in XSETID is smaller than the provided "
                              "max_deleted_entry_id");
                return;
            }
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    bool wrong;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STREAM, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        reply_errf(c, "ERR no such key");
        return;
    }
    struct stream *s = stream_of(e);
    /* Redis 7.2+ (7.0 lacks this check) */
    if (sid_cmp(id, s->max_deleted) < 0) {
        reply_errf(c, "ERR The ID specified in XSETID is smaller than current "
                      "max_deleted_entry_id");
        return;
    }
    if (s->e.length > 0) {
        struct sid top;
        sentries_edge(&s->e, true, &top);
        if (sid_cmp(id, top) < 0) {
            reply_errf(c, "ERR The ID specified in XSETID is smaller than the target stream "
                          "top item");
            return;
        }
        if (added != -1 && s->e.length > (uint64_t)added) {
            reply_errf(c, "ERR The entries_added specified in XSETID is smaller than the target "
                          "stream length");
            return;
        }
    }
    s->last_id = id;
    if (added != -1)
        s->entries_added = (uint64_t)added;
    if (!sid_is_zero(maxdel))
        s->max_deleted = maxdel;
    ks_notify(c->db, NOTIFY_STREAM, "xsetid", c->argv[1]);
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* ------------------------------------------------------------------------
 * XREAD, XREADGROUP
 * ------------------------------------------------------------------------ */

/* The history of consumer from start on (XREADGROUP with an ID): entries
 * still in the stream are replied and count one more delivery, deleted
 * ones are replied as [id, nil]. */
static void reply_history(struct cmd_ctx *c, const struct stream *s, struct sconsumer *cons,
                          struct sid start, long long count)
{
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (struct idmap_node *x = idmap_seek(&cons->pel, start); x && (!count || n < count);
         x = x->next[0], n++) {
        if (reply_one(c, s, x->id)) {
            struct snack *k = x->val;
            k->delivery_time = c->now;
            k->delivery_count++;
        } else {
            resp_add_array_len(c->out, 2);
            reply_id(c, x->id);
            resp_add_null_array(c->out);
        }
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

/* XREAD / XREADGROUP with BLOCK found nothing: block c on the keys of its
 * STREAMS list (argv[streams..]), as block_for_keys. The command runs again
 * with the arguments it blocked with, so each "$" is first rewritten to the
 * ID it stood for now (ids[k]), as Redis rewrites its argv: a re-run then
 * reads what came after it. */
static bool xread_block(struct cmd_ctx *c, int streams, int nstreams, const struct sid *ids,
                        int64_t ms, bool xreadgroup)
{
    struct rs_str *argv = c->argv, *tmp = NULL;
    char *bufs = NULL;
    for (int k = 0; k < nstreams; k++) {
        struct rs_str a = argv[streams + nstreams + k];
        if (a.len != 1 || a.p[0] != '$')
            continue;
        if (!tmp) {
            tmp = rs_malloc((size_t)c->argc * sizeof *tmp);
            memcpy(tmp, argv, (size_t)c->argc * sizeof *tmp);
            bufs = rs_malloc((size_t)nstreams * SID_STR_SIZE);
        }
        char *b = bufs + (size_t)k * SID_STR_SIZE;
        tmp[streams + nstreams + k] = rs_str_from(b, sid_format(ids[k], b));
    }
    if (tmp)
        c->argv = tmp;
    bool blocked = block_for_keys(c, c->argv + streams, nstreams, OBJ_STREAM, ms,
                                  xreadgroup ? BLOCK_ON_NOKEY : 0);
    c->argv = argv;
    rs_free(tmp);
    rs_free(bufs);
    return blocked;
}

static void xread_generic(struct cmd_ctx *c, bool xreadgroup)
{
    long long count = 0;
    int64_t block_ms = -1; /* no BLOCK */
    int block_at = 0;      /* argv index of BLOCK */
    int streams = 0, nstreams = 0;
    bool noack = false;
    struct rs_str gname = {0}, cname = {0};
    bool has_group = false;
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - i - 1;
        struct rs_str o = c->argv[i];
        if (rs_str_eqi(o, "block") && more) {
            block_at = i;
            if (!block_timeout_arg(c, c->argv[++i], false, &block_ms))
                return;
        } else if (rs_str_eqi(o, "count") && more) {
            i++;
            if (!arg_ll(c, c->argv[i], &count))
                return;
            if (count < 0)
                count = 0;
        } else if (rs_str_eqi(o, "streams") && more) {
            streams = i + 1;
            nstreams = c->argc - streams;
            if (nstreams % 2 != 0) {
                reply_errf(c, "ERR Unbalanced '%s' list of streams: for each stream key an ID or "
                              "'%c' must be specified.",
                           xreadgroup ? "xreadgroup" : "xread", xreadgroup ? '>' : '$');
                return;
            }
            nstreams /= 2;
            break;
        } else if (rs_str_eqi(o, "group") && more >= 2) {
            if (!xreadgroup) {
                reply_errf(c, "ERR The GROUP option is only supported by XREADGROUP. You called "
                              "XREAD instead.");
                return;
            }
            gname = c->argv[i + 1];
            cname = c->argv[i + 2];
            has_group = true;
            i += 2;
        } else if (rs_str_eqi(o, "noack")) {
            if (!xreadgroup) {
                reply_errf(c, "ERR The NOACK option is only supported by XREADGROUP. You called "
                              "XREAD instead.");
                return;
            }
            noack = true;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    if (streams == 0) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (xreadgroup && !has_group) {
        reply_errf(c, "ERR Missing GROUP option for XREADGROUP");
        return;
    }

    /* Resolve every key, group and ID before replying anything. */
    struct sid *ids = rs_malloc(sizeof *ids * (size_t)nstreams);
    struct sgroup **groups = rs_calloc((size_t)nstreams, sizeof *groups);
    bool ok = true;
    for (int k = 0; ok && k < nstreams; k++) {
        struct rs_str key = c->argv[streams + k], arg = c->argv[streams + nstreams + k];
        bool wrong;
        struct entry *e = xreadgroup ? ks_write_type(c, key, OBJ_STREAM, NULL, &wrong)
                                     : ks_read_type(c, key, OBJ_STREAM, NULL, &wrong);
        if (wrong) {
            ok = false;
            break;
        }
        const struct stream *s = e ? stream_of(e) : NULL;
        if (has_group && (!s || !(groups[k] = stream_group(s, gname)))) {
            reply_nogroup(c, key, gname, " in XREADGROUP with GROUP option");
            ok = false;
        } else if (arg.len == 1 && (arg.p[0] == '$' || arg.p[0] == '+')) {
            if (xreadgroup) {
                reply_errf(c, "ERR The %c ID is meaningless in the context of XREADGROUP: you "
                              "want to read the history of this consumer by specifying a proper "
                              "ID, or use the > ID to get new messages. The %c ID would just "
                              "return an empty result set.",
                           arg.p[0], arg.p[0]);
                ok = false;
            } else if (arg.p[0] == '$') {
                ids[k] = s ? s->last_id : (struct sid){0, 0};
            } else {
                /* 7.4's "+": read from just before the last ID the stream
                 * generated (an entry deleted since leaves nothing to read);
                 * below 0-0 there is no such ID. */
                ids[k] = s ? s->last_id : (struct sid){0, 0};
                if (s && !sid_decr(&ids[k])) {
                    reply_err(c, RS_ERR_XREAD_LAST_ZERO);
                    ok = false;
                }
            }
        } else if (arg.len == 1 && arg.p[0] == '>') {
            if (!xreadgroup) {
                reply_errf(c, "ERR The > ID can be specified only when calling XREADGROUP using "
                              "the GROUP <group> <consumer> option.");
                ok = false;
            }
            ids[k] = SID_MAX;
        } else {
            ok = parse_id(c, arg, &ids[k], 0, true);
        }
    }

    struct resp_deferred d;
    long long nreplied = 0;
    for (int k = 0; ok && k < nstreams; k++) {
        struct rs_str key = c->argv[streams + k];
        struct kloc loc;
        bool wrong;
        struct entry *e = xreadgroup ? ks_write_type(c, key, OBJ_STREAM, &loc, &wrong)
                                     : ks_peek(c, c->db, key, &loc);
        if (!e)
            continue;
        struct stream *s = stream_of(e);
        size_t before = obj_bytes(e);
        struct sid gt = ids[k];
        bool serve = false, history = false;
        struct sconsumer *cons = NULL;
        if (groups[k]) {
            if (sid_cmp(gt, SID_MAX) != 0) {
                serve = history = true;
            } else if (s->e.length) {
                struct sid top;
                sentries_edge(&s->e, true, &top);
                if (sid_cmp(top, groups[k]->last_id) > 0) {
                    serve = true;
                    gt = groups[k]->last_id;
                }
            }
            cons = group_consumer(groups[k], cname);
            if (!cons)
                cons = consumer_create(c, key, s, groups[k], cname);
            cons->seen_time = c->now;
        } else if (s->e.length) {
            struct sid top;
            sentries_edge(&s->e, true, &top);
            serve = sid_cmp(top, gt) > 0;
        }
        if (serve) {
            if (nreplied++ == 0)
                d = resp_add_deferred(c->out);
            struct sid start = gt;
            sid_incr(&start);
            if (c->out->proto == 2)
                resp_add_array_len(c->out, 2);
            resp_add_bulk_str(c->out, key);
            if (history)
                reply_history(c, s, cons, start, count);
            else
                reply_range(c, s, start, SID_MAX, count, false, groups[k], cons, noack);
            ks_dirty(c->st, !history && xreadgroup); /* the group's last ID moved */
        }
        if (xreadgroup)
            obj_account_change(loc.sh, before, obj_bytes(e));
    }
    bool blocked = false;
    if (ok) {
        if (nreplied)
            resp_set_deferred(c->out, d, c->out->proto == 2 ? RESP_AGG_ARRAY : RESP_AGG_MAP,
                              nreplied);
        else if (block_ms < 0 ||
                 !(blocked = xread_block(c, streams, nstreams, ids, block_ms, xreadgroup)))
            /* Nothing to serve and no waiting: the reply of a timeout. */
            resp_add_null_array(c->out);
    }
    /* XREADGROUP replays as itself without its BLOCK: on the same stream
     * and group it delivers the same entries (their delivery time is the
     * replay's). */
    if (xreadgroup && ok && !blocked) {
        if (block_at)
            prop_addf(c, "vv", block_at, c->argv, c->argc - block_at - 2, c->argv + block_at + 2);
        else
            prop_add(c, c->argc, c->argv);
    }
    rs_free(ids);
    rs_free(groups);
}

/* XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...] */
void cmd_xread(struct cmd_ctx *c)
{
    xread_generic(c, false);
}

/* XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK]
 *            STREAMS key [key ...] id [id ...] */
void cmd_xreadgroup(struct cmd_ctx *c)
{
    xread_generic(c, true);
}

/* ------------------------------------------------------------------------
 * XACK, XPENDING, XCLAIM, XAUTOCLAIM
 * ------------------------------------------------------------------------ */

/* The stream at argv[1] and its group argv[2] for a write; NULL (after a
 * WRONGTYPE reply if *wrong) when either is missing. */
static struct sgroup *group_lookup(struct cmd_ctx *c, struct kloc *loc, struct entry **ep,
                                   bool *wrong)
{
    *ep = ks_write_type(c, c->argv[1], OBJ_STREAM, loc, wrong);
    if (*wrong || !*ep)
        return NULL;
    return stream_group(stream_of(*ep), c->argv[2]);
}

/* XACK key group id [id ...] */
void cmd_xack(struct cmd_ctx *c)
{
    struct kloc loc;
    struct entry *e;
    bool wrong;
    struct sgroup *g = group_lookup(c, &loc, &e, &wrong);
    if (wrong)
        return;
    if (!g) {
        resp_add_int(c->out, 0);
        return;
    }
    struct sid *ids = parse_ids(c, 3);
    if (!ids)
        return;
    size_t before = obj_bytes(e);
    long long n = 0;
    for (int j = 0; j < c->argc - 3; j++)
        n += group_nack_del(stream_of(e), g, ids[j]);
    ks_dirty(c->st, (uint64_t)n);
    rs_free(ids);
    obj_account_change(loc.sh, before, obj_bytes(e));
    resp_add_int(c->out, n);
}

static void pending_summary(struct cmd_ctx *c, const struct sgroup *g)
{
    resp_add_array_len(c->out, 4);
    resp_add_int(c->out, (long long)g->pel.size);
    if (g->pel.size == 0) {
        resp_add_null(c->out);
        resp_add_null(c->out);
        resp_add_null_array(c->out);
        return;
    }
    reply_id(c, g->pel.head->next[0]->id);
    reply_id(c, idmap_last(&g->pel)->id);
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (size_t i = 0; i < g->ncons; i++) {
        const struct sconsumer *k = g->cons[i];
        if (k->pel.size == 0)
            continue;
        resp_add_array_len(c->out, 2);
        resp_add_bulk(c->out, k->name.p, k->name.len);
        resp_add_bulk_ll(c->out, (long long)k->pel.size);
        n++;
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

/* XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
void cmd_xpending(struct cmd_ctx *c)
{
    bool summary = c->argc == 3;
    long long count = 0, minidle = 0;
    struct sid lo, hi;
    struct rs_str cname = {0};
    bool has_cons = false;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (c->argc >= 6) {
        int i = 3;
        if (rs_str_eqi(c->argv[3], "idle")) {
            if (!arg_ll(c, c->argv[4], &minidle))
                return;
            if (c->argc < 8) {
                reply_err(c, RS_ERR_SYNTAX);
                return;
            }
            i += 2;
        }
        if (!arg_ll(c, c->argv[i + 2], &count))
            return;
        if (count < 0)
            count = 0;
        if (!parse_bound(c, c->argv[i], &lo, true) || !parse_bound(c, c->argv[i + 1], &hi, false))
            return;
        if (i + 3 < c->argc) {
            cname = c->argv[i + 3];
            has_cons = true;
        }
    }
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_STREAM, NULL, &wrong);
    if (wrong)
        return;
    const struct sgroup *g = e ? stream_group(stream_of(e), c->argv[2]) : NULL;
    if (!g) {
        reply_nogroup(c, c->argv[1], c->argv[2], "");
        return;
    }
    if (summary) {
        pending_summary(c, g);
        return;
    }
    const struct idmap *pel = &g->pel;
    if (has_cons) {
        const struct sconsumer *k = group_consumer(g, cname);
        if (!k) {
            resp_add_array_len(c->out, 0);
            return;
        }
        pel = &k->pel;
    }
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (struct idmap_node *x = idmap_seek(pel, lo); count && x && sid_cmp(x->id, hi) <= 0;
         x = x->next[0]) {
        const struct snack *k = x->val;
        if (minidle && c->now - k->delivery_time < minidle)
            continue;
        n++;
        count--;
        resp_add_array_len(c->out, 4);
        reply_id(c, x->id);
        resp_add_bulk(c->out, k->consumer->name.p, k->consumer->name.len);
        int64_t idle = c->now - k->delivery_time;
        resp_add_int(c->out, idle < 0 ? 0 : idle);
        resp_add_int(c->out, (long long)k->delivery_count);
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

/* X[AUTO]CLAIM replay as what they did, as Redis's
 * streamPropagateXCLAIM: the consumer's creation, then per claimed entry
 * an XCLAIM of it alone, forced, with its delivery time and count (a
 * min-idle-time compares with the clock, which replay does not share),
 * and per pending entry of a deleted one an XCLAIM that drops it. */
static void prop_claim(struct cmd_ctx *c, const struct sgroup *g, struct sid id,
                       const struct snack *nk)
{
    if (!prop_on(c->st))
        return;
    char idbuf[SID_STR_SIZE], lastbuf[SID_STR_SIZE];
    struct rs_str ids = rs_str_from(idbuf, sid_format(id, idbuf));
    if (nk == NULL) {
        prop_addf(c, "cssscsc", "XCLAIM", c->argv[1], c->argv[2], c->argv[3], "0", ids,
                  "JUSTID");
        return;
    }
    prop_addf(c, "cssscscicicccs", "XCLAIM", c->argv[1], c->argv[2], c->argv[3], "0", ids,
              "TIME", (long long)nk->delivery_time, "RETRYCOUNT", (long long)nk->delivery_count,
              "FORCE", "JUSTID", "LASTID", rs_str_from(lastbuf, sid_format(g->last_id, lastbuf)));
}

/* The claiming consumer argv[3]: X[AUTO]CLAIM create it even when they
 * claim nothing (Redis 7.2+), and count the attempt as its last seen. */
static struct sconsumer *claimer(struct cmd_ctx *c, struct stream *s, struct sgroup *g)
{
    prop_addf(c, "ccsss", "XGROUP", "CREATECONSUMER", c->argv[1], c->argv[2], c->argv[3]);
    struct sconsumer *cons = group_consumer(g, c->argv[3]);
    if (!cons)
        cons = consumer_create(c, c->argv[1], s, g, c->argv[3]);
    cons->seen_time = c->now;
    return cons;
}

/* XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
 *        [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID]
 *        [LASTID lastid] */
void cmd_xclaim(struct cmd_ctx *c)
{
    struct kloc loc;
    struct entry *e;
    bool wrong;
    struct sgroup *g = group_lookup(c, &loc, &e, &wrong);
    if (wrong)
        return;
    if (!g) {
        reply_nogroup(c, c->argv[1], c->argv[2], "");
        return;
    }
    long long minidle, retry = -1, dtime = -1;
    bool force = false, justid = false;
    if (!arg_ll_msg(c, c->argv[4], &minidle, "Invalid min-idle-time argument for XCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    int j = 5;
    struct sid tmp;
    while (j < c->argc && sid_parse(c->argv[j], &tmp, 0, true, NULL))
        j++;
    int last_id_arg = j - 1;
    struct sid lastid = {0, 0};
    for (; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        struct rs_str o = c->argv[j];
        if (rs_str_eqi(o, "force")) {
            force = true;
        } else if (rs_str_eqi(o, "justid")) {
            justid = true;
        } else if (rs_str_eqi(o, "idle") && more) {
            long long idle;
            if (!arg_ll_msg(c, c->argv[++j], &idle, "Invalid IDLE option argument for XCLAIM"))
                return;
            /* An idle time outside 0..now would give a delivery time past now
             * or before the epoch (or overflow): Redis then uses now. */
            dtime = idle >= 0 && idle <= c->now ? c->now - idle : c->now;
        } else if (rs_str_eqi(o, "time") && more) {
            if (!arg_ll_msg(c, c->argv[++j], &dtime, "Invalid TIME option argument for XCLAIM"))
                return;
        } else if (rs_str_eqi(o, "retrycount") && more) {
            if (!arg_ll_msg(c, c->argv[++j], &retry,
                            "Invalid RETRYCOUNT option argument for XCLAIM"))
                return;
        } else if (rs_str_eqi(o, "lastid") && more) {
            if (!parse_id(c, c->argv[++j], &lastid, 0, true))
                return;
        } else {
            reply_errf(c, "ERR Unrecognized XCLAIM option '%.*s'", (int)o.len, o.p);
            return;
        }
    }
    if (sid_cmp(lastid, g->last_id) > 0)
        g->last_id = lastid;
    if (dtime == -1 || dtime < 0 || dtime > c->now)
        dtime = c->now;
    struct stream *s = stream_of(e);
    size_t before = obj_bytes(e);
    struct sconsumer *cons = claimer(c, s, g);
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (int k = 5; k <= last_id_arg; k++) {
        struct sid id;
        sid_parse(c->argv[k], &id, 0, true, NULL);
        struct snack *nk = idmap_find(&g->pel, id);
        if (!sentries_exists(&s->e, id)) {
            /* The entry is gone: so goes its pending entry. */
            if (nk) {
                group_nack_del(s, g, id);
                prop_claim(c, g, id, NULL);
                ks_dirty(c->st, 1);
            }
            continue;
        }
        if (force && !nk)
            nk = group_nack_add(s, g, id, NULL, c->now);
        if (!nk)
            continue;
        if (nk->consumer && minidle && c->now - nk->delivery_time < minidle)
            continue;
        group_nack_assign(id, nk, cons);
        nk->delivery_time = dtime;
        if (retry >= 0)
            nk->delivery_count = (uint64_t)retry;
        else if (!justid)
            nk->delivery_count++;
        prop_claim(c, g, id, nk);
        if (justid)
            reply_id(c, id);
        else
            reply_one(c, s, id);
        cons->active_time = c->now;
        ks_dirty(c->st, 1);
        n++;
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
    obj_account_change(loc.sh, before, obj_bytes(e));
}

/* XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
void cmd_xautoclaim(struct cmd_ctx *c)
{
    long long minidle, count = 100;
    bool justid = false;
    struct sid start;
    if (!arg_ll_msg(c, c->argv[4], &minidle, "Invalid min-idle-time argument for XAUTOCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    if (!parse_bound(c, c->argv[5], &start, true))
        return;
    for (int j = 6; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "count") && j + 1 < c->argc) {
            /* Redis caps COUNT so that COUNT * 10 attempts cannot overflow. */
            if (!resp_str2ll(c->argv[j + 1].p, c->argv[j + 1].len, &count) || count < 1 ||
                count > INT64_MAX / 16) {
                reply_errf(c, "ERR COUNT must be > 0");
                return;
            }
            j++;
        } else if (rs_str_eqi(c->argv[j], "justid")) {
            justid = true;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    struct kloc loc;
    struct entry *e;
    bool wrong;
    struct sgroup *g = group_lookup(c, &loc, &e, &wrong);
    if (wrong)
        return;
    if (!g) {
        reply_nogroup(c, c->argv[1], c->argv[2], "");
        return;
    }
    struct stream *s = stream_of(e);
    size_t before = obj_bytes(e);
    long long attempts = count * 10;
    struct sid *deleted = rs_malloc(sizeof *deleted * (size_t)(count < 1024 ? count : 1024));
    size_t ndeleted = 0, capdeleted = (size_t)(count < 1024 ? count : 1024);
    resp_add_array_len(c->out, 3);
    /* The cursor goes first but is known last: the claimed entries are
     * gathered in a second writer and appended after it. */
    struct resp_out body;
    resp_out_init(&body, c->out->proto);
    struct resp_out *out = c->out;
    c->out = &body;
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    struct sconsumer *cons = claimer(c, s, g);
    struct idmap_node *x = idmap_seek(&g->pel, start);
    struct sid next;
    while (attempts-- && count && x) {
        struct sid id = x->id;
        struct snack *nk = x->val;
        x = x->next[0];
        if (!sentries_exists(&s->e, id)) {
            group_nack_del(s, g, id);
            prop_claim(c, g, id, NULL);
            ks_dirty(c->st, 1);
            if (ndeleted == capdeleted) {
                capdeleted *= 2;
                deleted = rs_realloc(deleted, sizeof *deleted * capdeleted);
            }
            deleted[ndeleted++] = id;
            count--;
            continue;
        }
        if (minidle && c->now - nk->delivery_time < minidle)
            continue;
        group_nack_assign(id, nk, cons);
        nk->delivery_time = c->now;
        if (!justid)
            nk->delivery_count++;
        prop_claim(c, g, id, nk);
        if (justid)
            reply_id(c, id);
        else
            reply_one(c, s, id);
        cons->active_time = c->now;
        ks_dirty(c->st, 1);
        n++;
        count--;
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
    c->out = out;
    next = x ? x->id : (struct sid){0, 0};
    reply_id(c, next);
    for (struct resp_chunk *ch = body.head; ch; ch = ch->next)
        resp_add_raw(c->out, ch->data, ch->len);
    resp_out_free(&body);
    resp_add_array_len(c->out, (long long)ndeleted);
    for (size_t i = 0; i < ndeleted; i++)
        reply_id(c, deleted[i]);
    rs_free(deleted);
    obj_account_change(loc.sh, before, obj_bytes(e));
}

/* ------------------------------------------------------------------------
 * XGROUP
 * ------------------------------------------------------------------------ */

/* The common part of XGROUP's subcommands (Redis xgroupCommand): the
 * stream in *e (NULL only with mkstream) and its group argv[3] in *g, which
 * must exist if need_group. False after an error reply. */
static bool xgroup_open(struct cmd_ctx *c, bool mkstream, bool need_group, struct kloc *loc,
                        struct entry **e, struct sgroup **g)
{
    bool wrong;
    *e = ks_write_type(c, c->argv[2], OBJ_STREAM, loc, &wrong);
    if (wrong)
        return false;
    *g = *e ? stream_group(stream_of(*e), c->argv[3]) : NULL;
    if (mkstream)
        return true;
    if (!*e) {
        reply_errf(c, "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE "
                      "you may want to use the MKSTREAM option to create an empty stream "
                      "automatically.");
        return false;
    }
    if (need_group && !*g) {
        reply_errf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                   (int)c->argv[3].len, c->argv[3].p, (int)c->argv[2].len, c->argv[2].p);
        return false;
    }
    return true;
}

static bool parse_entries_read(struct cmd_ctx *c, struct rs_str a, long long *v)
{
    if (!arg_ll(c, a, v))
        return false;
    if (*v < 0 && *v != SCG_INVALID_ENTRIES_READ) {
        reply_errf(c, "ERR value for ENTRIESREAD must be positive or -1");
        return false;
    }
    return true;
}

/* XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read] */
void cmd_xgroup_create(struct cmd_ctx *c)
{
    bool mkstream = false;
    long long read = SCG_INVALID_ENTRIES_READ;
    for (int i = 5; i < c->argc;) {
        if (rs_str_eqi(c->argv[i], "mkstream")) {
            mkstream = true;
            i++;
        } else if (rs_str_eqi(c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (!parse_entries_read(c, c->argv[i + 1], &read))
                return;
            i += 2;
        } else {
            reply_subcmd_syntax(c);
            return;
        }
    }
    struct kloc loc;
    struct sgroup *g;
    struct entry *e;
    if (!xgroup_open(c, mkstream, false, &loc, &e, &g))
        return;
    if (c->argc > 8) {
        reply_subcmd_syntax(c);
        return;
    }
    struct sid id;
    if (c->argv[4].len == 1 && c->argv[4].p[0] == '$')
        id = e ? stream_of(e)->last_id : (struct sid){0, 0};
    else if (!parse_id(c, c->argv[4], &id, 0, true))
        return;
    if (g) {
        reply_errf(c, "BUSYGROUP Consumer Group name already exists");
        return;
    }
    if (!e)
        e = stream_create(c, c->argv[2], &loc);
    size_t before = obj_bytes(e);
    stream_group_add(stream_of(e), c->argv[3], id, read);
    obj_account_change(loc.sh, before, obj_bytes(e));
    ks_notify(c->db, NOTIFY_STREAM, "xgroup-create", c->argv[2]);
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* XGROUP SETID key group id|$ [ENTRIESREAD entries-read] */
void cmd_xgroup_setid(struct cmd_ctx *c)
{
    long long read = SCG_INVALID_ENTRIES_READ;
    for (int i = 5; i < c->argc; i += 2) {
        if (!rs_str_eqi(c->argv[i], "entriesread") || i + 1 >= c->argc) {
            reply_subcmd_syntax(c);
            return;
        }
        if (!parse_entries_read(c, c->argv[i + 1], &read))
            return;
    }
    struct kloc loc;
    struct sgroup *g;
    struct entry *e;
    if (!xgroup_open(c, false, true, &loc, &e, &g))
        return;
    if (c->argc != 5 && c->argc != 7) {
        reply_subcmd_syntax(c);
        return;
    }
    struct sid id;
    if (c->argv[4].len == 1 && c->argv[4].p[0] == '$')
        id = stream_of(e)->last_id;
    else if (!parse_id(c, c->argv[4], &id, 0, false))
        return;
    g->last_id = id;
    g->entries_read = read;
    ks_notify(c->db, NOTIFY_STREAM, "xgroup-setid", c->argv[2]);
    ks_dirty(c->st, 1);
    resp_add_ok(c->out);
}

/* XGROUP DESTROY key group */
void cmd_xgroup_destroy(struct cmd_ctx *c)
{
    struct kloc loc;
    struct sgroup *g;
    struct entry *e;
    if (!xgroup_open(c, false, false, &loc, &e, &g))
        return;
    size_t before = obj_bytes(e);
    bool del = stream_group_del(stream_of(e), c->argv[3]);
    resp_add_int(c->out, del);
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (del) {
        ks_signal(c->db, c->argv[2]); /* its blocked XREADGROUPs answer NOGROUP */
        ks_notify(c->db, NOTIFY_STREAM, "xgroup-destroy", c->argv[2]);
        ks_dirty(c->st, 1);
    }
}

/* XGROUP CREATECONSUMER key group consumer */
void cmd_xgroup_createconsumer(struct cmd_ctx *c)
{
    struct kloc loc;
    struct sgroup *g;
    struct entry *e;
    if (!xgroup_open(c, false, true, &loc, &e, &g))
        return;
    if (group_consumer(g, c->argv[4])) {
        resp_add_int(c->out, 0);
        return;
    }
    size_t before = obj_bytes(e);
    consumer_create(c, c->argv[2], stream_of(e), g, c->argv[4]);
    obj_account_change(loc.sh, before, obj_bytes(e));
    resp_add_int(c->out, 1);
}

/* XGROUP DELCONSUMER key group consumer */
void cmd_xgroup_delconsumer(struct cmd_ctx *c)
{
    struct kloc loc;
    struct sgroup *g;
    struct entry *e;
    if (!xgroup_open(c, false, true, &loc, &e, &g))
        return;
    size_t before = obj_bytes(e);
    bool had = group_consumer(g, c->argv[4]) != NULL;
    resp_add_int(c->out, (long long)group_consumer_del(stream_of(e), g, c->argv[4]));
    obj_account_change(loc.sh, before, obj_bytes(e));
    if (had) {
        ks_notify(c->db, NOTIFY_STREAM, "xgroup-delconsumer", c->argv[2]);
        ks_dirty(c->st, 1);
    }
}

void cmd_xgroup_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        NULL,
    };
    reply_help(c, "XGROUP", lines);
}

/* ------------------------------------------------------------------------
 * XINFO
 * ------------------------------------------------------------------------ */

static struct entry *xinfo_open(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[2], OBJ_STREAM, NULL, &wrong);
    if (!e && !wrong)
        reply_errf(c, "ERR no such key");
    return e;
}

static void reply_field(struct cmd_ctx *c, const char *name)
{
    resp_add_bulk_cstr(c->out, name);
}

/* XINFO CONSUMERS key group */
void cmd_xinfo_consumers(struct cmd_ctx *c)
{
    struct entry *e = xinfo_open(c);
    if (!e)
        return;
    const struct sgroup *g = stream_group(stream_of(e), c->argv[3]);
    if (!g) {
        reply_errf(c, "NOGROUP No such consumer group '%.*s' for key name '%.*s'",
                   (int)c->argv[3].len, c->argv[3].p, (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    resp_add_array_len(c->out, (long long)g->ncons);
    for (size_t i = 0; i < g->ncons; i++) {
        const struct sconsumer *k = g->cons[i];
        int64_t idle = c->now - k->seen_time;
        int64_t inactive = k->active_time != -1 ? c->now - k->active_time : -1;
        resp_add_map_len(c->out, 4);
        reply_field(c, "name");
        resp_add_bulk(c->out, k->name.p, k->name.len);
        reply_field(c, "pending");
        resp_add_int(c->out, (long long)k->pel.size);
        reply_field(c, "idle");
        resp_add_int(c->out, idle < 0 ? 0 : idle);
        reply_field(c, "inactive");
        resp_add_int(c->out, inactive);
    }
}

/* XINFO GROUPS key */
void cmd_xinfo_groups(struct cmd_ctx *c)
{
    struct entry *e = xinfo_open(c);
    if (!e)
        return;
    const struct stream *s = stream_of(e);
    resp_add_array_len(c->out, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct sgroup *g = s->groups[i];
        resp_add_map_len(c->out, 6);
        reply_field(c, "name");
        resp_add_bulk(c->out, g->name.p, g->name.len);
        reply_field(c, "consumers");
        resp_add_int(c->out, (long long)g->ncons);
        reply_field(c, "pending");
        resp_add_int(c->out, (long long)g->pel.size);
        reply_field(c, "last-delivered-id");
        reply_id(c, g->last_id);
        reply_field(c, "entries-read");
        if (g->entries_read != SCG_INVALID_ENTRIES_READ)
            resp_add_int(c->out, g->entries_read);
        else
            resp_add_null(c->out);
        reply_field(c, "lag");
        reply_lag(c, s, g);
    }
}

/* The pending entries of a group (with their consumer) or of a consumer,
 * at most count (0 for all). */
static void reply_pel_full(struct cmd_ctx *c, const struct idmap *pel, bool with_consumer,
                           long long count)
{
    long long n = (long long)pel->size;
    if (count && n > count)
        n = count;
    resp_add_array_len(c->out, n);
    const struct idmap_node *x = pel->head->next[0];
    for (long long i = 0; i < n; i++, x = x->next[0]) {
        const struct snack *k = x->val;
        resp_add_array_len(c->out, with_consumer ? 4 : 3);
        reply_id(c, x->id);
        if (with_consumer)
            resp_add_bulk(c->out, k->consumer->name.p, k->consumer->name.len);
        resp_add_int(c->out, k->delivery_time);
        resp_add_int(c->out, (long long)k->delivery_count);
    }
}

static void reply_groups_full(struct cmd_ctx *c, const struct stream *s, long long count)
{
    resp_add_array_len(c->out, (long long)s->ngroups);
    for (size_t i = 0; i < s->ngroups; i++) {
        const struct sgroup *g = s->groups[i];
        resp_add_map_len(c->out, 7);
        reply_field(c, "name");
        resp_add_bulk(c->out, g->name.p, g->name.len);
        reply_field(c, "last-delivered-id");
        reply_id(c, g->last_id);
        reply_field(c, "entries-read");
        if (g->entries_read != SCG_INVALID_ENTRIES_READ)
            resp_add_int(c->out, g->entries_read);
        else
            resp_add_null(c->out);
        reply_field(c, "lag");
        reply_lag(c, s, g);
        reply_field(c, "pel-count");
        resp_add_int(c->out, (long long)g->pel.size);
        reply_field(c, "pending");
        reply_pel_full(c, &g->pel, true, count);
        reply_field(c, "consumers");
        resp_add_array_len(c->out, (long long)g->ncons);
        for (size_t j = 0; j < g->ncons; j++) {
            const struct sconsumer *k = g->cons[j];
            resp_add_map_len(c->out, 5);
            reply_field(c, "name");
            resp_add_bulk(c->out, k->name.p, k->name.len);
            reply_field(c, "seen-time");
            resp_add_int(c->out, k->seen_time);
            reply_field(c, "active-time");
            resp_add_int(c->out, k->active_time);
            reply_field(c, "pel-count");
            resp_add_int(c->out, (long long)k->pel.size);
            reply_field(c, "pending");
            reply_pel_full(c, &k->pel, false, count);
        }
    }
}

/* XINFO STREAM key [FULL [COUNT count]] */
void cmd_xinfo_stream(struct cmd_ctx *c)
{
    /* The key first, then the options, as Redis's xinfoCommand. */
    struct entry *e = xinfo_open(c);
    if (!e)
        return;
    bool full = c->argc > 3;
    long long count = 10;
    if (full) {
        if ((c->argc != 4 && c->argc != 6) || !rs_str_eqi(c->argv[3], "full") ||
            (c->argc == 6 && !rs_str_eqi(c->argv[4], "count"))) {
            reply_subcmd_syntax(c);
            return;
        }
        if (c->argc == 6) {
            if (!arg_ll(c, c->argv[5], &count))
                return;
            if (count < 0)
                count = 10;
        }
    }
    struct stream *s = stream_of(e);
    size_t nodes = sentries_nodes(&s->e);
    resp_add_map_len(c->out, full ? 9 : 10);
    reply_field(c, "length");
    resp_add_int(c->out, (long long)s->e.length);
    /* Redis's radix tree of nodes: one key per node */
    reply_field(c, "radix-tree-keys");
    resp_add_int(c->out, (long long)nodes);
    reply_field(c, "radix-tree-nodes");
    resp_add_int(c->out, (long long)sentries_rax_nodes(&s->e));
    reply_field(c, "last-generated-id");
    reply_id(c, s->last_id);
    reply_field(c, "max-deleted-entry-id");
    reply_id(c, s->max_deleted);
    reply_field(c, "entries-added");
    resp_add_int(c->out, (long long)s->entries_added);
    reply_field(c, "recorded-first-entry-id");
    reply_id(c, s->first_id);
    if (full) {
        reply_field(c, "entries");
        reply_range(c, s, (struct sid){0, 0}, SID_MAX, count, false, NULL, NULL, false);
        reply_field(c, "groups");
        reply_groups_full(c, s, count);
        return;
    }
    reply_field(c, "groups");
    resp_add_int(c->out, (long long)s->ngroups);
    for (int last = 0; last < 2; last++) {
        reply_field(c, last ? "last-entry" : "first-entry");
        struct sid id;
        if (sentries_edge(&s->e, last, &id))
            reply_one(c, s, id);
        else
            resp_add_null(c->out);
    }
}

void cmd_xinfo_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        NULL,
    };
    reply_help(c, "XINFO", lines);
}
