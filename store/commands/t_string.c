/* SPDX-License-Identifier: BSD-3-Clause
 *
 * String commands, with Redis 7.4's option parsing, replies and errors
 * (t_string.c there). Values live in entries (entries.c): int-encoded,
 * embedded, or in a growable buffer once modified in place.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * Shared parsing
 * ------------------------------------------------------------------------ */

enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_PERSIST = 1 << 4,
    SET_EX = 1 << 5,
    SET_PX = 1 << 6,
    SET_EXAT = 1 << 7,
    SET_PXAT = 1 << 8,
};

#define SET_ANY_TTL (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

/* Redis's parseExtendedStringArgumentsOrReply, for SET (is_set) and GETEX.
 * The conditions are Redis's to the letter: "EX 1 EX 2" is accepted (the
 * last wins), "EX 1 PX 2" is a syntax error. */
static bool parse_set_opts(struct cmd_ctx *c, int from, bool is_set, int *flags,
                           struct rs_str *ttl)
{
    for (int j = from; j < c->argc; j++) {
        struct rs_str o = c->argv[j];
        bool has_next = j + 1 < c->argc;
        int f = *flags;
        if (is_set && rs_str_eqi(o, "nx") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (is_set && rs_str_eqi(o, "xx") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (is_set && rs_str_eqi(o, "get")) {
            *flags |= SET_GET;
        } else if (is_set && rs_str_eqi(o, "keepttl") && !(f & SET_PERSIST) &&
                   !(f & SET_ANY_TTL)) {
            *flags |= SET_KEEPTTL;
        } else if (!is_set && rs_str_eqi(o, "persist") && !(f & SET_ANY_TTL) &&
                   !(f & SET_KEEPTTL)) {
            *flags |= SET_PERSIST;
        } else if (rs_str_eqi(o, "ex") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_EXAT | SET_PX | SET_PXAT)) && has_next) {
            *flags |= SET_EX;
            *ttl = c->argv[++j];
        } else if (rs_str_eqi(o, "px") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_EX | SET_EXAT | SET_PXAT)) && has_next) {
            *flags |= SET_PX;
            *ttl = c->argv[++j];
        } else if (rs_str_eqi(o, "exat") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_EX | SET_PX | SET_PXAT)) && has_next) {
            *flags |= SET_EXAT;
            *ttl = c->argv[++j];
        } else if (rs_str_eqi(o, "pxat") && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   !(f & (SET_EX | SET_EXAT | SET_PX)) && has_next) {
            *flags |= SET_PXAT;
            *ttl = c->argv[++j];
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* Redis's getExpireMillisecondsOrReply: the absolute deadline in ms for a
 * relative (EX/PX) or absolute (EXAT/PXAT) time. */
static bool expire_ms(struct cmd_ctx *c, struct rs_str arg, int flags, int64_t *when)
{
    long long v;
    if (!arg_ll(c, arg, &v))
        return false;
    bool seconds = flags & (SET_EX | SET_EXAT);
    if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
        reply_expire_time(c);
        return false;
    }
    if (seconds)
        v *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        if (v > INT64_MAX - c->now) {
            reply_expire_time(c);
            return false;
        }
        v += c->now;
    }
    *when = v;
    return true;
}

/* Reply the string value of e (a bulk). */
static void reply_value(struct cmd_ctx *c, const struct entry *e)
{
    char buf[RESP_LL_STR_SIZE];
    resp_add_bulk_str(c->out, obj_str(e, buf));
}

/* GET's reply for key: the value, a null, or WRONGTYPE (returns false). */
static bool reply_get(struct cmd_ctx *c, struct rs_str key)
{
    bool wrong;
    struct entry *e = ks_read_type(c, key, OBJ_STRING, NULL, &wrong);
    if (wrong)
        return false;
    if (e)
        reply_value(c, e);
    else
        resp_add_null(c->out);
    return true;
}

/* The core of SET, SETNX, SETEX, PSETEX (Redis setGenericCommand). ok and
 * abort are the replies on success and on an NX/XX miss; NULL means +OK
 * and a null. */
static void set_generic(struct cmd_ctx *c, int flags, struct rs_str key, struct rs_str val,
                        const struct rs_str *ttl, bool int_replies)
{
    int64_t when = 0;
    if (ttl && !expire_ms(c, *ttl, flags, &when))
        return;
    if ((flags & SET_GET) && !reply_get(c, key))
        return;
    struct kloc loc;
    struct entry *old = ks_write(c, c->db, key, &loc);
    if (((flags & SET_NX) && old) || ((flags & SET_XX) && !old)) {
        c->propagated = true; /* nothing changed: nothing to log */
        if (!(flags & SET_GET)) {
            if (int_replies)
                resp_add_int(c->out, 0);
            else
                resp_add_null(c->out);
        }
        return;
    }
    struct shard *sh = old ? loc.sh : ks_shard(c->db, key, true);
    struct entry *e;
    if (old && obj_set_string_inplace(old, val)) {
        e = old;
        if (!(flags & SET_KEEPTTL))
            exp_clear(sh, e);
        ks_touch_loc(&loc);
    } else if (old) {
        e = obj_new_string(sh, key, val);
        ks_replace(&loc, e, flags & SET_KEEPTTL);
    } else {
        e = obj_new_string(sh, key, val);
        ks_add(c->db, sh, e);
    }
    ks_notify(c->db, NOTIFY_STRING, "set", key);
    ks_dirty(c->st, 1);
    if (ttl) {
        exp_set(sh, e, when);
        ks_notify(c->db, NOTIFY_GENERIC, "expire", key);
        /* The deadline made absolute, as Redis 7 propagates SET EX. */
        prop_addf(c, "cssci", "SET", key, val, "PXAT", (long long)when);
    }
    if (!(flags & SET_GET)) {
        if (int_replies)
            resp_add_int(c->out, 1);
        else
            resp_add_ok(c->out);
    }
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* GET key -- O(1). */
void cmd_get(struct cmd_ctx *c)
{
    reply_get(c, c->argv[1]);
}

/* SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts-ms|KEEPTTL] */
void cmd_set(struct cmd_ctx *c)
{
    int flags = 0;
    struct rs_str ttl;
    if (!parse_set_opts(c, 3, true, &flags, &ttl))
        return;
    set_generic(c, flags, c->argv[1], c->argv[2], (flags & SET_ANY_TTL) ? &ttl : NULL, false);
}

/* SETNX key value -- :1 set, :0 key existed. */
void cmd_setnx(struct cmd_ctx *c)
{
    set_generic(c, SET_NX, c->argv[1], c->argv[2], NULL, true);
}

/* SETEX key seconds value */
void cmd_setex(struct cmd_ctx *c)
{
    set_generic(c, SET_EX, c->argv[1], c->argv[3], &c->argv[2], false);
}

/* PSETEX key milliseconds value */
void cmd_psetex(struct cmd_ctx *c)
{
    set_generic(c, SET_PX, c->argv[1], c->argv[3], &c->argv[2], false);
}

/* GETSET key value -- the old value; the TTL is dropped. */
void cmd_getset(struct cmd_ctx *c)
{
    if (!reply_get(c, c->argv[1]))
        return;
    struct shard *sh = ks_shard(c->db, c->argv[1], true);
    ks_set(c, c->db, c->argv[1], obj_new_string(sh, c->argv[1], c->argv[2]));
    ks_notify(c->db, NOTIFY_STRING, "set", c->argv[1]);
    ks_dirty(c->st, 1);
    prop_addf(c, "css", "SET", c->argv[1], c->argv[2]); /* as Redis 7.4 logs it */
}

/* The string at key for a command that answers a null when it is missing:
 * NULL once that null (or WRONGTYPE) is replied. */
static struct entry *string_or_reply(struct cmd_ctx *c, struct rs_str key, struct kloc *loc)
{
    bool wrong;
    struct entry *e = ks_read_type(c, key, OBJ_STRING, loc, &wrong);
    if (e == NULL && !wrong)
        resp_add_null(c->out);
    return e;
}

/* GETDEL key */
void cmd_getdel(struct cmd_ctx *c)
{
    struct kloc loc;
    struct entry *e = string_or_reply(c, c->argv[1], &loc);
    if (e == NULL)
        return;
    reply_value(c, e);
    ks_delete(&loc);
    ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
    prop_addf(c, "cs", "DEL", c->argv[1]); /* as Redis logs it */
    ks_dirty(c->st, 1);
}

/* GETEX key [EX s|PX ms|EXAT ts|PXAT ts-ms|PERSIST] */
void cmd_getex(struct cmd_ctx *c)
{
    int flags = 0;
    struct rs_str ttl;
    if (!parse_set_opts(c, 2, false, &flags, &ttl))
        return;
    struct kloc loc;
    struct entry *e = string_or_reply(c, c->argv[1], &loc);
    if (e == NULL)
        return;
    int64_t when = 0;
    if ((flags & SET_ANY_TTL) && !expire_ms(c, ttl, flags, &when))
        return;
    reply_value(c, e);
    c->propagated = true; /* GETEX logs what it changed, if anything */
    if ((flags & (SET_EXAT | SET_PXAT)) && when <= c->now) {
        ks_delete(&loc);
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
        prop_addf(c, "cs", "DEL", c->argv[1]);
        ks_dirty(c->st, 1);
    } else if (flags & SET_ANY_TTL) {
        exp_set(loc.sh, e, when);
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_GENERIC, "expire", c->argv[1]);
        prop_addf(c, "csi", "PEXPIREAT", c->argv[1], (long long)when);
        ks_dirty(c->st, 1);
    } else if ((flags & SET_PERSIST) && e->exp_idx != EXP_NONE) {
        exp_clear(loc.sh, e);
        ks_touch_loc(&loc);
        ks_notify(c->db, NOTIFY_GENERIC, "persist", c->argv[1]);
        prop_addf(c, "cs", "PERSIST", c->argv[1]);
        ks_dirty(c->st, 1);
    }
}

/* MGET key [key ...] -- nulls for missing keys and other types. */
void cmd_mget(struct cmd_ctx *c)
{
    resp_add_array_len(c->out, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        struct entry *e = ks_read(c, c->db, c->argv[i], NULL);
        if (e && e->type == OBJ_STRING)
            reply_value(c, e);
        else
            resp_add_null(c->out);
    }
}

static void mset_generic(struct cmd_ctx *c, bool nx)
{
    if (c->argc % 2 == 0) {
        reply_arity(c);
        return;
    }
    if (nx) {
        for (int i = 1; i < c->argc; i += 2) {
            if (ks_write(c, c->db, c->argv[i], NULL)) {
                resp_add_int(c->out, 0);
                return;
            }
        }
    }
    for (int i = 1; i < c->argc; i += 2) {
        struct shard *sh = ks_shard(c->db, c->argv[i], true);
        ks_set(c, c->db, c->argv[i], obj_new_string(sh, c->argv[i], c->argv[i + 1]));
        ks_notify(c->db, NOTIFY_STRING, "set", c->argv[i]);
        ks_dirty(c->st, 1);
    }
    if (nx)
        resp_add_int(c->out, 1);
    else
        resp_add_ok(c->out);
}

/* MSET key value [key value ...] */
void cmd_mset(struct cmd_ctx *c)
{
    mset_generic(c, false);
}

/* MSETNX key value [key value ...] -- all or nothing. */
void cmd_msetnx(struct cmd_ctx *c)
{
    mset_generic(c, true);
}

/* Redis checkStringLength: size + append within proto-max-bulk-len. */
static bool check_length(struct cmd_ctx *c, long long size, long long append)
{
    /* size and append are >= 0: compare without forming the sum. */
    if (size > c->st->cfg.proto_max_bulk_len - append) {
        reply_err(c, RS_ERR_STRING_TOO_LONG);
        return false;
    }
    return true;
}

/* APPEND key value -- the new length. Amortised O(1). */
void cmd_append(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct rs_str val = c->argv[2];
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STRING, &loc, &wrong);
    if (wrong)
        return;
    if (e == NULL) {
        struct shard *sh = ks_shard(c->db, c->argv[1], true);
        ks_add(c->db, sh, obj_new_string(sh, c->argv[1], val));
        ks_notify(c->db, NOTIFY_STRING, "append", c->argv[1]);
        ks_dirty(c->st, 1);
        resp_add_int(c->out, (long long)val.len);
        return;
    }
    size_t len = obj_strlen(e);
    if (!check_length(c, (long long)len, (long long)val.len))
        return;
    struct rstr *r = obj_raw_reserve(&loc, len + val.len);
    if (val.len)
        memcpy(r->buf + r->len, val.p, val.len);
    r->len += val.len;
    ks_touch(c->db, c->argv[1]); /* even for an empty value, as Redis */
    ks_notify(c->db, NOTIFY_STRING, "append", c->argv[1]);
    ks_dirty(c->st, 1);
    resp_add_int(c->out, (long long)r->len);
}

/* STRLEN key */
void cmd_strlen(struct cmd_ctx *c)
{
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_STRING, NULL, &wrong);
    if (!wrong)
        resp_add_int(c->out, e ? (long long)obj_strlen(e) : 0);
}

/* GETRANGE key start end (and SUBSTR) -- Redis's index clamping. */
void cmd_getrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll(c, c->argv[2], &start) || !arg_ll(c, c->argv[3], &end))
        return;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], OBJ_STRING, NULL, &wrong);
    if (wrong)
        return;
    if (e == NULL) {
        resp_add_bulk(c->out, "", 0);
        return;
    }
    char buf[RESP_LL_STR_SIZE];
    struct rs_str s = obj_str(e, buf);
    long long len = (long long)s.len;
    if (start < 0 && end < 0 && start > end) {
        resp_add_bulk(c->out, "", 0);
        return;
    }
    clamp_str_range(&start, &end, len);
    if (start > end || len == 0)
        resp_add_bulk(c->out, "", 0);
    else
        resp_add_bulk(c->out, s.p + start, (size_t)(end - start + 1));
}

void cmd_substr(struct cmd_ctx *c)
{
    cmd_getrange(c);
}

/* SETRANGE key offset value -- the new length; zero-pads. */
void cmd_setrange(struct cmd_ctx *c)
{
    long long off;
    struct rs_str val = c->argv[3];
    if (!arg_ll(c, c->argv[2], &off))
        return;
    if (off < 0) {
        reply_err(c, RS_ERR_OFFSET_RANGE);
        return;
    }
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STRING, &loc, &wrong);
    if (wrong)
        return;
    if (e == NULL) {
        if (val.len == 0) {
            resp_add_int(c->out, 0);
            return;
        }
        if (!check_length(c, off, (long long)val.len))
            return;
        struct shard *sh = ks_shard(c->db, c->argv[1], true);
        e = obj_new_raw(sh, c->argv[1], rs_str_from("", 0), (size_t)off + val.len);
        ks_add(c->db, sh, e);
        ks_locate(sh, e, &loc);
    } else {
        size_t olen = obj_strlen(e);
        if (val.len == 0) {
            resp_add_int(c->out, (long long)olen);
            return;
        }
        if (!check_length(c, off, (long long)val.len))
            return;
    }
    size_t need = (size_t)off + val.len;
    struct rstr *r = obj_raw_reserve(&loc, need > obj_strlen(*loc.ref) ? need : 0);
    if (r->len < (size_t)off)
        memset(r->buf + r->len, 0, (size_t)off - r->len);
    memcpy(r->buf + off, val.p, val.len);
    if (r->len < need)
        r->len = need;
    ks_touch(c->db, c->argv[1]);
    ks_notify(c->db, NOTIFY_STRING, "setrange", c->argv[1]);
    ks_dirty(c->st, 1);
    resp_add_int(c->out, (long long)r->len);
}

/* INCR/DECR/INCRBY/DECRBY: the TTL is kept, Redis's overflow rule. */
static void incr_generic(struct cmd_ctx *c, long long by)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STRING, &loc, &wrong);
    if (wrong)
        return;
    long long v = 0;
    if (e) {
        if (e->enc == ENC_INT) {
            v = entry_int(e);
        } else {
            char buf[RESP_LL_STR_SIZE];
            struct rs_str s = obj_str(e, buf);
            if (!resp_str2ll(s.p, s.len, &v)) {
                reply_err(c, RS_ERR_NOT_INT);
                return;
            }
        }
    }
    if ((by < 0 && v < 0 && by < LLONG_MIN - v) || (by > 0 && v > 0 && by > LLONG_MAX - v)) {
        reply_err(c, RS_ERR_OVERFLOW);
        return;
    }
    v += by;
    if (e && e->enc == ENC_INT) {
        entry_set_int(e, v);
        ks_touch_loc(&loc);
    } else if (e) {
        struct entry *n = obj_new_int(loc.sh, c->argv[1], v);
        ks_replace(&loc, n, true);
    } else {
        struct shard *sh = ks_shard(c->db, c->argv[1], true);
        ks_add(c->db, sh, obj_new_int(sh, c->argv[1], v));
    }
    ks_notify(c->db, NOTIFY_STRING, "incrby", c->argv[1]);
    ks_dirty(c->st, 1);
    resp_add_int(c->out, v);
}

void cmd_incr(struct cmd_ctx *c)
{
    incr_generic(c, 1);
}

void cmd_decr(struct cmd_ctx *c)
{
    incr_generic(c, -1);
}

void cmd_incrby(struct cmd_ctx *c)
{
    long long by;
    if (arg_ll(c, c->argv[2], &by))
        incr_generic(c, by);
}

void cmd_decrby(struct cmd_ctx *c)
{
    long long by;
    if (!arg_ll(c, c->argv[2], &by))
        return;
    if (by == LLONG_MIN) {
        reply_err(c, RS_ERR_DECR_OVERFLOW);
        return;
    }
    incr_generic(c, -by);
}

/* INCRBYFLOAT key increment -- long double arithmetic and Redis's
 * human-friendly formatting ("10.6", not "10.59999..."). */
void cmd_incrbyfloat(struct cmd_ctx *c)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], OBJ_STRING, &loc, &wrong);
    if (wrong)
        return;
    long double v = 0, by;
    if (e) {
        char buf[RESP_LL_STR_SIZE];
        struct rs_str s = obj_str(e, buf);
        if (e->enc == ENC_INT) {
            v = (long double)entry_int(e);
        } else if (!resp_str2ld(s.p, s.len, &v)) {
            reply_err(c, RS_ERR_NOT_FLOAT);
            return;
        }
    }
    if (!resp_str2ld(c->argv[2].p, c->argv[2].len, &by)) {
        reply_err(c, RS_ERR_NOT_FLOAT);
        return;
    }
    v += by;
    if (isnan(v) || isinf(v)) {
        reply_err(c, RS_ERR_NAN_INF);
        return;
    }
    char out[RESP_LD_STR_SIZE];
    size_t n = resp_ld2str(out, sizeof out, v);
    struct rs_str s = rs_str_from(out, n);
    if (e) {
        struct entry *ne = obj_new_embstr(loc.sh, c->argv[1], s);
        ks_replace(&loc, ne, true);
    } else {
        struct shard *sh = ks_shard(c->db, c->argv[1], true);
        ks_add(c->db, sh, obj_new_embstr(sh, c->argv[1], s));
    }
    ks_notify(c->db, NOTIFY_STRING, "incrbyfloat", c->argv[1]);
    /* The result, not the increment: float formatting must not drift. */
    prop_addf(c, "cssc", "SET", c->argv[1], s, "KEEPTTL");
    ks_dirty(c->st, 1);
    resp_add_bulk(c->out, out, n);
}

/* LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] -- the
 * classic O(N*M) dynamic programme, with Redis's walk back for IDX. */
void cmd_lcs(struct cmd_ctx *c)
{
    struct entry *ea = ks_read(c, c->db, c->argv[1], NULL);
    struct entry *eb = ks_read(c, c->db, c->argv[2], NULL);
    if ((ea && ea->type != OBJ_STRING) || (eb && eb->type != OBJ_STRING)) {
        reply_err(c, RS_ERR_LCS_TYPES);
        return;
    }
    bool getlen = false, getidx = false, withmatchlen = false;
    long long minmatchlen = 0;
    for (int j = 3; j < c->argc; j++) {
        struct rs_str o = c->argv[j];
        if (rs_str_eqi(o, "idx")) {
            getidx = true;
        } else if (rs_str_eqi(o, "len")) {
            getlen = true;
        } else if (rs_str_eqi(o, "withmatchlen")) {
            withmatchlen = true;
        } else if (rs_str_eqi(o, "minmatchlen") && j + 1 < c->argc) {
            if (!arg_ll(c, c->argv[++j], &minmatchlen))
                return;
            if (minmatchlen < 0)
                minmatchlen = 0;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    if (getidx && getlen) {
        reply_err(c, RS_ERR_LCS_IDX_LEN);
        return;
    }
    char bufa[RESP_LL_STR_SIZE], bufb[RESP_LL_STR_SIZE];
    struct rs_str sa = ea ? obj_str(ea, bufa) : rs_str_from("", 0);
    struct rs_str sb = eb ? obj_str(eb, bufb) : rs_str_from("", 0);
    if (sa.len >= UINT32_MAX - 1 || sb.len >= UINT32_MAX - 1) {
        reply_err(c, RS_ERR_LCS_TOO_LONG);
        return;
    }
    uint32_t alen = (uint32_t)sa.len, blen = (uint32_t)sb.len;
    unsigned long long cells = (unsigned long long)(alen + 1) * (blen + 1);
    if (cells * sizeof(uint32_t) > (unsigned long long)c->st->cfg.proto_max_bulk_len) {
        reply_err(c, RS_ERR_LCS_MEMORY);
        return;
    }
    const char *a = sa.p, *b = sb.p;
    uint32_t *dp = rs_malloc((size_t)cells * sizeof *dp);
#define LCS(i, j) dp[(size_t)(j) + (size_t)(i) * (blen + 1)]
    for (uint32_t i = 0; i <= alen; i++) {
        for (uint32_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0)
                LCS(i, j) = 0;
            else if (a[i - 1] == b[j - 1])
                LCS(i, j) = LCS(i - 1, j - 1) + 1;
            else
                LCS(i, j) = LCS(i - 1, j) > LCS(i, j - 1) ? LCS(i - 1, j) : LCS(i, j - 1);
        }
    }
    uint32_t idx = LCS(alen, blen);
    bool compute = getidx || !getlen;
    char *result = compute ? rs_malloc(idx + 1) : NULL;
    struct resp_deferred d = {0};
    long long nranges = 0;
    if (getidx) {
        resp_add_map_len(c->out, 2);
        resp_add_bulk_cstr(c->out, "matches");
        d = resp_add_deferred(c->out);
    }
    uint32_t i = alen, j = blen;
    uint32_t as = alen, ae = 0, bs = 0, be = 0; /* as == alen: no range open */
    while (compute && i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            result[idx - 1] = a[i - 1];
            if (as == alen) {
                as = ae = i - 1;
                bs = be = j - 1;
            } else if (as == i && bs == j) {
                as--;
                bs--;
            } else {
                emit = true;
            }
            if (as == 0 || bs == 0)
                emit = true;
            idx--;
            i--;
            j--;
        } else {
            if (LCS(i - 1, j) > LCS(i, j - 1))
                i--;
            else
                j--;
            if (as != alen)
                emit = true;
        }
        uint32_t mlen = ae - as + 1;
        if (emit) {
            if (getidx && (minmatchlen == 0 || mlen >= minmatchlen)) {
                resp_add_array_len(c->out, 2 + withmatchlen);
                resp_add_array_len(c->out, 2);
                resp_add_int(c->out, as);
                resp_add_int(c->out, ae);
                resp_add_array_len(c->out, 2);
                resp_add_int(c->out, bs);
                resp_add_int(c->out, be);
                if (withmatchlen)
                    resp_add_int(c->out, mlen);
                nranges++;
            }
            as = alen;
        }
    }
    if (getidx) {
        resp_add_bulk_cstr(c->out, "len");
        resp_add_int(c->out, LCS(alen, blen));
        resp_set_deferred(c->out, d, RESP_AGG_ARRAY, nranges);
    } else if (getlen) {
        resp_add_int(c->out, idx);
    } else {
        resp_add_bulk(c->out, result, LCS(alen, blen));
    }
#undef LCS
    rs_free(result);
    rs_free(dp);
}
