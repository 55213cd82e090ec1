/* SPDX-License-Identifier: BSD-3-Clause
 *
 * List commands with Redis 7.4's replies, errors and encodings (t_list.c
 * there). A list value is a struct quicklist (quicklist.c). As in Redis
 * 7.2+, a new list is a "listpack" -- one chunk that pushes fill whatever
 * its size -- until a push would take it past list-max-listpack-size
 * (listTypeTryConvertListpack: the listpack's bytes plus the raw bytes
 * pushed); it is then a "quicklist" whose chunks obey the limit. A command
 * that removes elements turns a quicklist of one packed chunk back into a
 * listpack when that chunk is within half the limits
 * (listTypeTryConvertQuicklist with shrinking). A command reads or changes
 * the list through a struct quicklist, a view of its one chunk in listpack
 * form (list.h), and stores it back in its entry (list_store,
 * list_removed) before anything else may look at that key.
 */
#include <limits.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "resp_num.h"
#include "keyspace/list.h"
#include "ds/util.h"

/* ------------------------------------------------------------------------
 * Encoding conversions
 * ------------------------------------------------------------------------ */

/* The list of e (list_get, view its chunk's), ready for a change: DEBUG
 * QUICKLIST-PACKED-THRESHOLD applies to every list at once, as in Redis. */
static struct quicklist *list_for_write(const struct cmd_ctx *c, const struct entry *e,
                                        struct quicklist *view)
{
    struct quicklist *ql = list_get(e, view);
    ql->packed_threshold = list_packed_threshold(c->st);
    return ql;
}

/* Store ql, e's list changed (list_for_write's, with view), back in e and
 * account its bytes to sh (it had `before`, ql->bytes when opened). */
static void list_store(struct shard *sh, struct entry *e, struct quicklist *ql,
                       struct quicklist *view, size_t before)
{
    obj_account_change(sh, before, list_put(e, ql, view));
}

static size_t args_bytes(const struct rs_str *argv, int n)
{
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += argv[i].len;
    return bytes;
}

/* After elements were removed or replaced: a quicklist of one packed chunk
 * within half the limits becomes a listpack. */
static void list_shrunk(const struct cmd_ctx *c, struct quicklist *ql)
{
    if (ql->listpack || ql->nnodes != 1 || ql->head->plain)
        return;
    size_t sz_limit;
    uint64_t count_limit;
    ql_limits(c->st->cfg.list_max_listpack_size, &sz_limit, &count_limit);
    if (ql->head->lpsz > sz_limit / 2 || ql->count > count_limit / 2)
        return;
    ql->listpack = true;
}

/* The list at loc, ql (list_for_write's, with view), lost elements (it
 * had `before` bytes): try the conversion back unless it is empty, store
 * it (list_store), then delete the key if it is empty. Touches the key for
 * WATCH and publishes event (class l, unless NULL), then `del` if the key
 * goes. Returns whether the key was deleted. */
static bool list_removed(const struct cmd_ctx *c, struct kloc *loc, struct quicklist *ql,
                         struct quicklist *view, size_t before, const char *event)
{
    bool empty = ql->count == 0;
    if (!empty)
        list_shrunk(c, ql);
    list_store(loc->sh, *loc->ref, ql, view, before);
    ks_touch_loc(loc);
    if (event)
        ks_notify_entry(c->db, NOTIFY_LIST, event, *loc->ref);
    if (!empty)
        return false;
    if (event)
        ks_notify_entry(c->db, NOTIFY_GENERIC, "del", *loc->ref);
    ks_delete(loc);
    return true;
}

/* ------------------------------------------------------------------------
 * Argument helpers
 * ------------------------------------------------------------------------ */

static bool parse_where(struct cmd_ctx *c, struct rs_str a, enum ql_where *w)
{
    if (rs_str_eqi(a, "left"))
        *w = QL_HEAD;
    else if (rs_str_eqi(a, "right"))
        *w = QL_TAIL;
    else {
        reply_err(c, RS_ERR_SYNTAX);
        return false;
    }
    return true;
}

static bool str_eq(struct rs_str a, struct rs_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* ------------------------------------------------------------------------
 * Push and pop
 * ------------------------------------------------------------------------ */

/* The list at key for a push, created when absent (unless only_existing).
 * NULL after a WRONGTYPE reply or for an absent key with only_existing
 * (*wrong tells them apart). loc->sh is valid on return. */
static struct entry *list_open_push(struct cmd_ctx *c, struct rs_str key, bool only_existing,
                                    struct kloc *loc, bool *wrong)
{
    struct entry *e = ks_write_type(c, key, OBJ_LIST, loc, wrong);
    if (*wrong || e || only_existing)
        return e;
    loc->sh = ks_shard(c->db, key, true);
    e = obj_new_ptr(loc->sh, key, OBJ_LIST, ENC_LIST_CHUNK, NULL); /* no chunk yet */
    ks_add(c->db, loc->sh, e);
    return e;
}

/* LPUSH, RPUSH, LPUSHX, RPUSHX key element [element ...] -- the length
 * after the push; the X forms answer 0 for an absent key. */
static void push_generic(struct cmd_ctx *c, enum ql_where where, bool only_existing)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = list_open_push(c, c->argv[1], only_existing, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_int(c->out, 0);
        return;
    }
    struct quicklist view, *ql = list_for_write(c, e, &view);
    size_t before = ql->bytes;
    int n = c->argc - 2;
    list_growing(c->st, ql, args_bytes(c->argv + 2, n), (uint64_t)n);
    ql_push_many(ql, c->argv + 2, (size_t)n, where);
    uint64_t count = ql->count;
    list_store(loc.sh, e, ql, &view, before);
    ks_touch(c->db, c->argv[1]); /* loc->ref is not set for a new list */
    ks_dirty(c->st, (uint64_t)n);
    ks_notify(c->db, NOTIFY_LIST, where == QL_HEAD ? "lpush" : "rpush", c->argv[1]);
    resp_add_int(c->out, (long long)count);
}

void cmd_lpush(struct cmd_ctx *c)
{
    push_generic(c, QL_HEAD, false);
}

void cmd_rpush(struct cmd_ctx *c)
{
    push_generic(c, QL_TAIL, false);
}

void cmd_lpushx(struct cmd_ctx *c)
{
    push_generic(c, QL_HEAD, true);
}

void cmd_rpushx(struct cmd_ctx *c)
{
    push_generic(c, QL_TAIL, true);
}

/* Reply up to count elements popped from an end of the list at loc, as
 * an array, then delete the key if it emptied. */
static void pop_range_reply(struct cmd_ctx *c, struct kloc *loc, enum ql_where where,
                            long long count)
{
    struct quicklist view, *ql = list_for_write(c, *loc->ref, &view);
    size_t before = ql->bytes;
    uint64_t n = (uint64_t)count < ql->count ? (uint64_t)count : ql->count;
    resp_add_array_len(c->out, (long long)n);
    struct ql_pos pos = ql_end(ql, where);
    for (uint64_t i = 0; i < n; i++) {
        resp_add_bulk_str(c->out, ql_get(pos));
        ql_delete(ql, &pos, where == QL_HEAD); /* pos moves to the new end */
    }
    ks_dirty(c->st, n);
    list_removed(c, loc, ql, &view, before, where == QL_HEAD ? "lpop" : "rpop");
}

/* Reply one element popped from an end of the list at loc, as a bulk, then
 * delete the key if it emptied. */
static void pop_one_reply(struct cmd_ctx *c, struct kloc *loc, enum ql_where where)
{
    struct quicklist view, *ql = list_for_write(c, *loc->ref, &view);
    size_t before = ql->bytes;
    struct ql_pos pos = ql_end(ql, where);
    resp_add_bulk_str(c->out, ql_get(pos));
    ql_delete(ql, &pos, where == QL_HEAD);
    ks_dirty(c->st, 1);
    list_removed(c, loc, ql, &view, before, where == QL_HEAD ? "lpop" : "rpop");
}

/* LPOP, RPOP key [count] -- without count a bulk or a null; with count an
 * array (a null array for an absent key, empty for count 0). */
static void pop_generic(struct cmd_ctx *c, enum ql_where where)
{
    long long count = 1;
    bool has_count = c->argc == 3;
    if (c->argc > 3) {
        reply_arity(c);
        return;
    }
    if (has_count && !arg_range(c, c->argv[2], 0, LLONG_MAX, RS_ERR_NOT_POSITIVE, &count))
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_LIST, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        if (has_count)
            resp_add_null_array(c->out);
        else
            resp_add_null(c->out);
        return;
    }
    if (has_count && count == 0)
        resp_add_array_len(c->out, 0); /* Redis's fast exit: no change, no WATCH touch */
    else if (has_count)
        pop_range_reply(c, &loc, where, count);
    else
        pop_one_reply(c, &loc, where);
}

void cmd_lpop(struct cmd_ctx *c)
{
    pop_generic(c, QL_HEAD);
}

void cmd_rpop(struct cmd_ctx *c)
{
    pop_generic(c, QL_TAIL);
}

/* Pop from the first non-empty list of keys[0..n) -- in a re-run, from
 * rerun_key only -- and reply [key, element] (count 0) or [key, [up to
 * count elements]]. false, with nothing replied, when all are absent. */
static bool pop_first(struct cmd_ctx *c, const struct rs_str *keys, int n, enum ql_where where,
                      long long count)
{
    for (int j = 0; j < n; j++) {
        if (c->rerun && !str_eq(keys[j], c->rerun_key))
            continue;
        struct kloc loc;
        struct entry *e = ks_write(c, c->db, keys[j], &loc);
        if (!e)
            continue;
        if (e->type != OBJ_LIST) {
            reply_err(c, RS_ERR_WRONGTYPE);
            return true;
        }
        resp_add_array_len(c->out, 2);
        resp_add_bulk_str(c->out, keys[j]);
        /* The pop that happened, from the key it happened on. */
        const char *pop = where == QL_HEAD ? "LPOP" : "RPOP";
        if (count == 0) {
            prop_addf(c, "cs", pop, keys[j]);
            pop_one_reply(c, &loc, where);
        } else {
            prop_addf(c, "csi", pop, keys[j], count);
            pop_range_reply(c, &loc, where, count);
        }
        return true;
    }
    return false;
}

/* [B]LMPOP from argv[at]: numkeys key [key ...] LEFT|RIGHT [COUNT count] --
 * from the first non-empty list, [key, [elements]]. When all are absent, a
 * null array, or (BLMPOP, block) the client waits for the timeout in
 * argv[1], which is checked after the other arguments, as Redis does. */
static void lmpop_generic(struct cmd_ctx *c, int at, bool block)
{
    static const char *const ends[2] = {"left", "right"};
    int numkeys, end;
    long long count;
    if (!mpop_args(c, at, ends, &numkeys, &end, &count))
        return;
    enum ql_where where = end ? QL_TAIL : QL_HEAD;
    int64_t timeout_ms = 0;
    if ((block && !block_timeout_arg(c, c->argv[1], true, &timeout_ms)) ||
        pop_first(c, c->argv + at + 1, numkeys, where, count))
        return;
    if (!block ||
        !block_for_keys(c, c->argv + at + 1, numkeys, OBJ_LIST, timeout_ms, 0))
        resp_add_null_array(c->out);
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_lmpop(struct cmd_ctx *c)
{
    lmpop_generic(c, 1, false);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_blmpop(struct cmd_ctx *c)
{
    lmpop_generic(c, 2, true);
}

/* BLPOP, BRPOP key [key ...] timeout -- [key, element] from the first
 * non-empty list, else the client waits. */
static void bpop_generic(struct cmd_ctx *c, enum ql_where where)
{
    int64_t timeout;
    if (!block_timeout_arg(c, c->argv[c->argc - 1], true, &timeout) ||
        pop_first(c, c->argv + 1, c->argc - 2, where, 0))
        return;
    if (!block_for_keys(c, c->argv + 1, c->argc - 2, OBJ_LIST, timeout, 0))
        resp_add_null_array(c->out);
}

void cmd_blpop(struct cmd_ctx *c)
{
    bpop_generic(c, QL_HEAD);
}

void cmd_brpop(struct cmd_ctx *c)
{
    bpop_generic(c, QL_TAIL);
}

/* Pop from src's end `from` and push at dst's end `to`; replies the
 * element. When src is absent: a null, or (block) the client waits
 * timeout_ms. */
static void move_generic(struct cmd_ctx *c, enum ql_where from, enum ql_where to, bool block,
                         int64_t timeout_ms)
{
    struct rs_str src = c->argv[1], dst = c->argv[2];
    bool wrong;
    struct kloc sloc, dloc;
    struct entry *se = ks_write_type(c, src, OBJ_LIST, &sloc, &wrong);
    if (wrong)
        return;
    if (!se) {
        if (!block || !block_for_keys(c, &c->argv[1], 1, OBJ_LIST, timeout_ms, 0))
            resp_add_null(c->out);
        return;
    }
    struct entry *de = ks_write(c, c->db, dst, &dloc);
    if (de && de->type != OBJ_LIST) {
        reply_err(c, RS_ERR_WRONGTYPE);
        return;
    }
    se = ks_write(c, c->db, src, &sloc); /* dst's lookup may have expired a key */
    /* The element is copied out: pushing may move the chunk it is in. */
    struct quicklist sview, *sq = list_for_write(c, se, &sview);
    size_t sbefore = sq->bytes;
    struct rs_str v = ql_get(ql_end(sq, from));
    char small[128];
    char *buf = v.len <= sizeof small ? small : rs_malloc(v.len);
    if (v.len)
        memcpy(buf, v.p, v.len);
    v = rs_str_from(buf, v.len);
    /* Redis pops an integer out of a quicklist as an integer object, whose
     * bytes its conversion check does not count (out of a listpack it
     * pops a string). */
    long long ll;
    bool is_int = v.len > 0 && v.len <= 20 && resp_str2ll(v.p, v.len, &ll);
    size_t vbytes = is_int && !sq->listpack ? 0 : v.len;
    ql_pop(sq, from);
    ks_dirty(c->st, 1);
    /* Redis's events: dst's push (after its `new`), src's pop, src's del. */
    const char *pushed = to == QL_HEAD ? "lpush" : "rpush";
    const char *popped = from == QL_HEAD ? "lpop" : "rpop";
    if (se == de) {
        list_growing(c->st, sq, vbytes, 1);
        ql_push(sq, v, to);
        list_removed(c, &sloc, sq, &sview, sbefore, NULL);
        ks_notify(c->db, NOTIFY_LIST, pushed, dst);
        ks_notify(c->db, NOTIFY_LIST, popped, src);
    } else {
        bool src_gone = list_removed(c, &sloc, sq, &sview, sbefore, NULL);
        de = list_open_push(c, dst, false, &dloc, &wrong);
        struct quicklist dview, *dq = list_for_write(c, de, &dview);
        size_t dbefore = dq->bytes;
        list_growing(c->st, dq, vbytes, 1);
        ql_push(dq, v, to);
        list_store(dloc.sh, de, dq, &dview, dbefore);
        ks_touch(c->db, dst);
        ks_notify(c->db, NOTIFY_LIST, pushed, dst);
        ks_notify(c->db, NOTIFY_LIST, popped, src);
        if (src_gone)
            ks_notify(c->db, NOTIFY_GENERIC, "del", src);
    }
    if (block) /* what a served wait did, without the wait */
        prop_addf(c, "csscc", "LMOVE", src, dst, from == QL_HEAD ? "LEFT" : "RIGHT",
                  to == QL_HEAD ? "LEFT" : "RIGHT");
    resp_add_bulk_str(c->out, v);
    if (buf != small)
        rs_free(buf);
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void cmd_lmove(struct cmd_ctx *c)
{
    enum ql_where from, to;
    if (!parse_where(c, c->argv[3], &from) || !parse_where(c, c->argv[4], &to))
        return;
    move_generic(c, from, to, false, 0);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
void cmd_blmove(struct cmd_ctx *c)
{
    enum ql_where from, to;
    int64_t timeout;
    if (!parse_where(c, c->argv[3], &from) || !parse_where(c, c->argv[4], &to) ||
        !block_timeout_arg(c, c->argv[5], true, &timeout))
        return;
    move_generic(c, from, to, true, timeout);
}

/* RPOPLPUSH source destination -- LMOVE source destination RIGHT LEFT */
void cmd_rpoplpush(struct cmd_ctx *c)
{
    move_generic(c, QL_TAIL, QL_HEAD, false, 0);
}

/* BRPOPLPUSH source destination timeout */
void cmd_brpoplpush(struct cmd_ctx *c)
{
    int64_t timeout;
    if (block_timeout_arg(c, c->argv[3], true, &timeout))
        move_generic(c, QL_TAIL, QL_HEAD, true, timeout);
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------ */

/* LLEN key */
void cmd_llen(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_LIST, NULL, &wrong);
    struct quicklist view;
    if (!wrong)
        resp_add_int(c->out, e ? (long long)list_get(e, &view)->count : 0);
}

/* LINDEX key index -- the element or a null; the key is checked before
 * the index is parsed, as in Redis. O(distance from the nearer end). */
void cmd_lindex(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_LIST, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_null(c->out);
        return;
    }
    long long idx;
    if (!arg_ll(c, c->argv[2], &idx))
        return;
    struct quicklist view;
    struct ql_pos pos;
    if (ql_index(list_get(e, &view), idx, &pos))
        resp_add_bulk_str(c->out, ql_get(pos));
    else
        resp_add_null(c->out);
}

/* Redis's clamping of start/end against a list of llen elements: false
 * for an empty range, else [*start, *end] within the list. */
static bool clamp_range(long long *start, long long *end, long long llen)
{
    if (*start < 0)
        *start += llen;
    if (*end < 0)
        *end += llen;
    if (*start < 0)
        *start = 0;
    if (*start > *end || *start >= llen)
        return false;
    if (*end >= llen)
        *end = llen - 1;
    return true;
}

/* LRANGE key start stop -- written straight from the chunks. */
void cmd_lrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll(c, c->argv[2], &start) || !arg_ll(c, c->argv[3], &end))
        return;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_LIST, NULL, &wrong);
    if (wrong)
        return;
    struct quicklist view, *ql = e ? list_get(e, &view) : NULL;
    if (!ql || !clamp_range(&start, &end, (long long)ql->count)) {
        resp_add_array_len(c->out, 0);
        return;
    }
    long long n = end - start + 1;
    resp_add_array_len(c->out, n);
    struct ql_pos pos;
    ql_index(ql, start, &pos);
    bool more = true;
    for (long long i = 0; i < n && more; i++)
        resp_add_bulk_str(c->out, ql_read(&pos, &more));
}

/* LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
void cmd_lpos(struct cmd_ctx *c)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (rs_str_eqi(c->argv[j], "rank") && more) {
            if (!arg_ll(c, c->argv[++j], &rank))
                return;
            if (rank == LLONG_MIN) {
                reply_err(c, RS_ERR_RANK_RANGE);
                return;
            }
            if (rank == 0) {
                reply_err(c, RS_ERR_RANK_ZERO);
                return;
            }
        } else if (rs_str_eqi(c->argv[j], "count") && more) {
            if (!arg_range(c, c->argv[++j], 0, LLONG_MAX, RS_ERR_COUNT_NEGATIVE, &count))
                return;
        } else if (rs_str_eqi(c->argv[j], "maxlen") && more) {
            if (!arg_range(c, c->argv[++j], 0, LLONG_MAX, RS_ERR_MAXLEN_NEGATIVE, &maxlen))
                return;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    bool forward = rank > 0;
    if (rank < 0)
        rank = -rank;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_LIST, NULL, &wrong);
    if (wrong)
        return;
    if (!e) {
        if (count != -1)
            resp_add_array_len(c->out, 0);
        else
            resp_add_null(c->out);
        return;
    }
    struct quicklist view, *ql = list_get(e, &view);
    struct resp_deferred d = {0};
    if (count != -1)
        d = resp_add_deferred(c->out);
    long long llen = (long long)ql->count, index = 0, matches = 0, matchindex = -1, found = 0;
    struct ql_pos pos = ql_end(ql, forward ? QL_HEAD : QL_TAIL);
    for (bool more = true; more && (maxlen == 0 || index < maxlen); index++) {
        bool eq = str_eq(ql_get(pos), c->argv[2]);
        more = forward ? ql_next(&pos) : ql_prev(&pos);
        if (!eq)
            continue;
        matches++;
        if (matches < rank)
            continue;
        matchindex = forward ? index : llen - index - 1;
        if (count == -1)
            break;
        found++;
        resp_add_int(c->out, matchindex);
        if (count && matches - rank + 1 >= count)
            break;
    }
    if (count != -1)
        resp_set_deferred(c->out, d, RESP_AGG_ARRAY, found);
    else if (matchindex != -1)
        resp_add_int(c->out, matchindex);
    else
        resp_add_null(c->out);
}

/* ------------------------------------------------------------------------
 * Changes inside the list
 * ------------------------------------------------------------------------ */

/* LSET key index element */
void cmd_lset(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_LIST, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        reply_err(c, RS_ERR_NO_SUCH_KEY);
        return;
    }
    long long idx;
    if (!arg_ll(c, c->argv[2], &idx))
        return;
    struct quicklist view, *ql = list_for_write(c, e, &view);
    size_t before = ql->bytes;
    list_growing(c->st, ql, c->argv[3].len, 1);
    struct ql_pos pos;
    if (!ql_index(ql, idx, &pos)) {
        list_store(loc.sh, e, ql, &view, before); /* converted all the same, as Redis */
        reply_err(c, RS_ERR_INDEX_RANGE);
        return;
    }
    ql_replace(ql, &pos, c->argv[3]);
    ks_dirty(c->st, 1);
    list_removed(c, &loc, ql, &view, before, "lset");
    resp_add_ok(c->out);
}

/* LINSERT key BEFORE|AFTER pivot element -- the new length, -1 when the
 * pivot is not there, 0 for an absent key. */
void cmd_linsert(struct cmd_ctx *c)
{
    bool after;
    if (rs_str_eqi(c->argv[2], "after"))
        after = true;
    else if (rs_str_eqi(c->argv[2], "before"))
        after = false;
    else {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_LIST, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_int(c->out, 0);
        return;
    }
    struct quicklist view, *ql = list_for_write(c, e, &view);
    size_t before = ql->bytes;
    /* As Redis, the list is converted for the element before the pivot is
     * known to be there. */
    list_growing(c->st, ql, c->argv[4].len, 1);
    struct ql_pos pos = ql_end(ql, QL_HEAD);
    for (bool more = true; more;) {
        struct ql_pos at = pos;
        if (str_eq(ql_read(&pos, &more), c->argv[3])) {
            ql_insert(ql, at, c->argv[4], after);
            uint64_t count = ql->count;
            list_store(loc.sh, e, ql, &view, before);
            ks_touch_loc(&loc);
            ks_notify(c->db, NOTIFY_LIST, "linsert", c->argv[1]);
            ks_dirty(c->st, 1);
            resp_add_int(c->out, (long long)count);
            return;
        }
    }
    list_store(loc.sh, e, ql, &view, before); /* converted all the same */
    resp_add_int(c->out, -1);
}

/* LREM key count element -- count > 0 from the head, < 0 from the tail,
 * 0 all. */
void cmd_lrem(struct cmd_ctx *c)
{
    long long count;
    if (!arg_ll(c, c->argv[2], &count))
        return;
    if (count == LLONG_MIN) { /* 7.4 refuses the count whose negation overflows */
        reply_err(c, RS_ERR_RANK_RANGE);
        return;
    }
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_LIST, &loc, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_add_int(c->out, 0);
        return;
    }
    bool forward = count >= 0;
    uint64_t limit = (uint64_t)(count < 0 ? -count : count);
    struct quicklist view, *ql = list_for_write(c, e, &view);
    size_t before = ql->bytes;
    uint64_t removed = 0;
    struct ql_pos pos = ql_end(ql, forward ? QL_HEAD : QL_TAIL);
    for (bool more = true; more;) {
        if (str_eq(ql_get(pos), c->argv[3])) {
            more = ql_delete(ql, &pos, forward);
            if (++removed == limit)
                break;
        } else {
            more = forward ? ql_next(&pos) : ql_prev(&pos);
        }
    }
    ks_dirty(c->st, removed);
    if (removed)
        list_removed(c, &loc, ql, &view, before, "lrem");
    resp_add_int(c->out, (long long)removed);
}

/* LTRIM key start stop */
void cmd_ltrim(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll(c, c->argv[2], &start) || !arg_ll(c, c->argv[3], &end))
        return;
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_LIST, &loc, &wrong);
    if (wrong)
        return;
    if (e) {
        struct quicklist view, *ql = list_for_write(c, e, &view);
        size_t before = ql->bytes;
        long long llen = (long long)ql->count, ltrim = llen, rtrim = 0;
        if (clamp_range(&start, &end, llen)) {
            ltrim = start;
            rtrim = llen - end - 1;
        }
        ql_trim(ql, QL_HEAD, (uint64_t)ltrim);
        ql_trim(ql, QL_TAIL, (uint64_t)rtrim);
        ks_dirty(c->st, (uint64_t)(ltrim + rtrim));
        list_removed(c, &loc, ql, &view, before, "ltrim");
    }
    resp_add_ok(c->out);
}
