/* SPDX-License-Identifier: BSD-3-Clause
 *
 * TTLs of hash fields and set members: the commands that set, read and
 * remove them, one implementation for both types (Redis 7.4's HEXPIRE
 * family in t_hash.c there; the set forms are respite's, in the same
 * shape with MEMBERS for FIELDS), and the argument parsing that HSETEX,
 * HGETEX and SADDEX share.
 *
 * A container keeps the deadlines of its sub-keys in the form it has (a
 * small one packs them as "listpackex", a large one in its table's heap);
 * a container with deadlines is in its shard's heap keyed by the earliest
 * (expire.c), which keyspace.c consults so that due sub-keys are gone before any
 * command sees the container.
 */
#include <limits.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"

/* The largest deadline a sub-key may have, in ms: Redis's
 * HFE_MAX_ABS_TIME_MSEC (46 bits). */
#define SUBKEY_MAX_MS 0x3FFFFFFFFFFFLL

struct names_words {
    const char *kw;            /* FIELDS, MEMBERS */
    const char *count_expire;  /* bad count, NAMES_EXPIRE */
    const char *count_other;   /* bad count, NAMES_OTHER */
    const char *mismatch;
};

static const struct names_words *words_of(int type)
{
    static const struct names_words hash = {
        "FIELDS", "Parameter `numFields` should be greater than 0",
        "Number of fields must be a positive integer",
        "The `numfields` parameter must match the number of arguments"};
    static const struct names_words set = {
        "MEMBERS", "Parameter `numMembers` should be greater than 0",
        "Number of members must be a positive integer",
        "The `nummembers` parameter must match the number of arguments"};
    return type == OBJ_HASH ? &hash : &set;
}

bool subkey_names(struct cmd_ctx *c, int type, int pos, enum subkey_names_style style,
                  long long *n)
{
    const struct names_words *w = words_of(type);
    if (pos >= c->argc || !rs_str_eqi(c->argv[pos], w->kw)) {
        reply_errf(c, "ERR Mandatory argument %s is missing or not at the right position", w->kw);
        return false;
    }
    long long v;
    if (pos + 1 >= c->argc || !resp_str2ll(c->argv[pos + 1].p, c->argv[pos + 1].len, &v) ||
        v < 1) {
        reply_errf(c, "ERR %s", style == NAMES_EXPIRE ? w->count_expire : w->count_other);
        return false;
    }
    if (v != c->argc - pos - 2) {
        reply_errf(c, "ERR %s", w->mismatch);
        return false;
    }
    *n = v;
    return true;
}

bool subkey_deadline(struct cmd_ctx *c, struct rs_str arg, int64_t base, bool seconds,
                     int64_t *when)
{
    long long v;
    if (!arg_ll(c, arg, &v))
        return false;
    if (v < 0) {
        reply_errf(c, "ERR invalid expire time, must be >= 0");
        return false;
    }
    if (seconds) {
        if (v > SUBKEY_MAX_MS / 1000) {
            reply_expire_time(c);
            return false;
        }
        v *= 1000;
    }
    if (v > SUBKEY_MAX_MS - base) {
        reply_expire_time(c);
        return false;
    }
    *when = v + base;
    return true;
}

bool setex_parse(struct cmd_ctx *c, int type, struct setex_opts *o)
{
    bool hash = type == OBJ_HASH;
    const char *nx = hash ? "fnx" : "mnx", *xx = hash ? "fxx" : "mxx";
    memset(o, 0, sizeof *o);
    bool has_time = false;
    int j = 2;
    for (; j < c->argc && !rs_str_eqi(c->argv[j], words_of(type)->kw); j++) {
        struct rs_str a = c->argv[j];
        if (rs_str_eqi(a, nx) || rs_str_eqi(a, xx)) {
            if (o->cond) {
                reply_errf(c, "ERR Only one of %s or %s arguments can be specified",
                           hash ? "FXX" : "MXX", hash ? "FNX" : "MNX");
                return false;
            }
            o->cond = rs_str_eqi(a, nx) ? SUBKEY_NX : SUBKEY_XX;
            continue;
        }
        bool ex = rs_str_eqi(a, "ex"), px = rs_str_eqi(a, "px"), exat = rs_str_eqi(a, "exat"),
             pxat = rs_str_eqi(a, "pxat"), keep = rs_str_eqi(a, "keepttl");
        if (!(ex || px || exat || pxat || keep)) {
            reply_errf(c, "ERR unknown argument: %.*s", (int)a.len, a.p);
            return false;
        }
        if (has_time) {
            reply_errf(c, "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be "
                          "specified");
            return false;
        }
        has_time = true;
        if (keep) {
            o->ttl = SUBKEY_KEEP;
            continue;
        }
        if (j + 1 >= c->argc) {
            reply_errf(c, "ERR missing expire time");
            return false;
        }
        if (!subkey_deadline(c, c->argv[++j], ex || px ? c->now : 0, ex || exat, &o->when))
            return false;
        o->ttl = SUBKEY_SET;
    }
    /* FIELDS numfields field value [field value ...] */
    int per = hash ? 2 : 1;
    if (c->argc - j < 2 + per) {
        reply_arity(c);
        return false;
    }
    long long n;
    if (!resp_str2ll(c->argv[j + 1].p, c->argv[j + 1].len, &n) || n < 1 || n > INT_MAX) {
        reply_errf(c, "ERR invalid number of %s", hash ? "fields" : "members");
        return false;
    }
    /* A count that does not match the arguments is an arity error, as
     * Redis 8's HSETEX (n is compared first: n * per may overflow). */
    if (n > c->argc || n * per != c->argc - j - 2) {
        reply_arity(c);
        return false;
    }
    o->first = j + 2;
    o->n = n;
    return true;
}

void setex_propagate(struct cmd_ctx *c, int type, const struct setex_opts *o)
{
    struct rs_str key = c->argv[1];
    /* from "FIELDS n" (or "MEMBERS n") to the end */
    int nargs = c->argc - (o->first - 2);
    const struct rs_str *args = c->argv + o->first - 2;
    if (type == OBJ_SET) {
        if (o->ttl == SUBKEY_SET)
            prop_addf(c, "csciv", "SADDEX", key, "PXAT", (long long)o->when, nargs, args);
        else if (o->ttl == SUBKEY_KEEP)
            prop_addf(c, "cscv", "SADDEX", key, "KEEPTTL", nargs, args);
        else
            prop_addf(c, "csv", "SADDEX", key, nargs, args);
        return;
    }
    if (o->ttl == SUBKEY_KEEP) {
        prop_addf(c, "cscv", "HSETEX", key, "KEEPTTL", nargs, args);
        return;
    }
    prop_addf(c, "csv", "HSET", key, c->argc - o->first, c->argv + o->first);
    if (o->ttl != SUBKEY_SET || !prop_on(c->st))
        return;
    struct rs_str *names = rs_malloc((size_t)o->n * sizeof *names);
    for (long long i = 0; i < o->n; i++)
        names[i] = c->argv[o->first + 2 * i];
    prop_addf(c, "csiciv", "HPEXPIREAT", key, (long long)o->when, "FIELDS", (long long)o->n,
              (int)o->n, names);
    rs_free(names);
}

/* ------------------------------------------------------------------------
 * HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT, SEXPIRE SPEXPIRE SEXPIREAT SPEXPIREAT
 * ------------------------------------------------------------------------ */

enum { COND_NX = 1, COND_XX, COND_GT, COND_LT };

/* Per-name codes of the expire commands. */
enum { SK_NO_NAME = -2, SK_NO_TTL = -1, SK_NOT_MET = 0, SK_SET = 1, SK_DELETED = 2 };

/* key time [NX|XX|GT|LT] FIELDS|MEMBERS n name... -- checks in Redis's
 * order: type, time, condition, names. A deadline not after now deletes
 * the name (code 2); conditions are tested first, a name without TTL
 * counting as an infinite one for GT and LT. */
static void expire_generic(struct cmd_ctx *c, int type, int64_t base, bool seconds)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = ks_write_type(c, c->argv[1], type, &loc, &wrong);
    if (wrong)
        return;
    int64_t when;
    if (!subkey_deadline(c, c->argv[2], base, seconds, &when))
        return;
    int cond = 0, pos = 3;
    static const char *const conds[] = {NULL, "nx", "xx", "gt", "lt"};
    for (int k = COND_NX; pos < c->argc && k <= COND_LT; k++) {
        if (rs_str_eqi(c->argv[pos], conds[k])) {
            cond = k;
            pos++;
            break;
        }
    }
    long long n;
    if (!subkey_names(c, type, pos, NAMES_EXPIRE, &n))
        return;
    resp_add_array_len(c->out, n);
    if (e == NULL) {
        for (long long i = 0; i < n; i++)
            resp_add_int(c->out, SK_NO_NAME);
        return;
    }
    size_t before = obj_bytes(e);
    if (type == OBJ_HASH)
        obj_hash_make_ex(e);
    bool changed = false, deleted = false;
    for (int i = pos + 2; i < c->argc; i++) {
        bool found;
        int64_t cur = obj_sub_ttl(e, c->argv[i], &found);
        if (!found) {
            resp_add_int(c->out, SK_NO_NAME);
            continue;
        }
        if ((cond == COND_NX && cur != -1) || (cond == COND_XX && cur == -1) ||
            (cond == COND_GT && (cur == -1 || when <= cur)) ||
            (cond == COND_LT && cur != -1 && when >= cur)) {
            resp_add_int(c->out, SK_NOT_MET);
            continue;
        }
        changed = true;
        ks_dirty(c->st, 1);
        if (when <= c->now) {
            obj_sub_remove(e, c->argv[i]);
            deleted = true;
            c->st->stats.expired_subkeys++;
            resp_add_int(c->out, SK_DELETED);
            continue;
        }
        obj_sub_set_ttl(c->st, e, c->argv[i], when);
        resp_add_int(c->out, SK_SET);
    }
    /* One event, as Redis 7.4: the deletion's if any name was deleted. */
    bool is_hash = type == OBJ_HASH;
    c->propagated = true;
    if (changed) {
        /* The deadline made absolute; the names replay to the same codes. */
        prop_addf(c, "csiv", is_hash ? "HPEXPIREAT" : "SPEXPIREAT", c->argv[1], (long long)when,
                  c->argc - 3, c->argv + 3);
        ks_touch_loc(&loc);
        ks_notify(c->db, is_hash ? NOTIFY_HASH : NOTIFY_SET,
                  deleted ? (is_hash ? "hdel" : "srem") : (is_hash ? "hexpire" : "sexpire"),
                  c->argv[1]);
    }
    if (ks_value_changed(&loc, before))
        ks_notify(c->db, NOTIFY_GENERIC, "del", c->argv[1]);
}

/* HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
void cmd_hexpire(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_HASH, c->now, true);
}

/* HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
void cmd_hpexpire(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_HASH, c->now, false);
}

/* HEXPIREAT key unix-time-seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
void cmd_hexpireat(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_HASH, 0, true);
}

/* HPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
void cmd_hpexpireat(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_HASH, 0, false);
}

/* SEXPIRE key seconds [NX|XX|GT|LT] MEMBERS nummembers member [member ...] */
void cmd_sexpire(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_SET, c->now, true);
}

/* SPEXPIRE key milliseconds [NX|XX|GT|LT] MEMBERS nummembers member [member ...] */
void cmd_spexpire(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_SET, c->now, false);
}

/* SEXPIREAT key unix-time-seconds [NX|XX|GT|LT] MEMBERS nummembers member [member ...] */
void cmd_sexpireat(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_SET, 0, true);
}

/* SPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] MEMBERS nummembers member [member ...] */
void cmd_spexpireat(struct cmd_ctx *c)
{
    expire_generic(c, OBJ_SET, 0, false);
}

/* ------------------------------------------------------------------------
 * HTTL HPTTL HEXPIRETIME HPEXPIRETIME HPERSIST and the set forms
 * ------------------------------------------------------------------------ */

enum query { Q_TTL, Q_PTTL, Q_EXPIRETIME, Q_PEXPIRETIME, Q_PERSIST };

/* key FIELDS|MEMBERS n name... -- per name -2 absent, -1 without TTL, else
 * the time left or the deadline (seconds rounded up, as Redis), or for
 * PERSIST 1 when a TTL was removed. */
static void query_generic(struct cmd_ctx *c, int type, enum query q)
{
    bool wrong;
    struct kloc loc;
    struct entry *e = q == Q_PERSIST ? ks_write_type(c, c->argv[1], type, &loc, &wrong)
                                     : ks_read_type(c, c->argv[1], type, &loc, &wrong);
    long long n;
    if (wrong || !subkey_names(c, type, 2, NAMES_OTHER, &n))
        return;
    resp_add_array_len(c->out, n);
    size_t before = e ? obj_bytes(e) : 0;
    bool changed = false;
    for (int i = 4; i < c->argc; i++) {
        bool found = false;
        int64_t when = e ? obj_sub_ttl(e, c->argv[i], &found) : -1;
        if (!found)
            resp_add_int(c->out, SK_NO_NAME);
        else if (when == -1)
            resp_add_int(c->out, SK_NO_TTL);
        else if (q == Q_PERSIST) {
            changed |= obj_sub_persist(e, c->argv[i]);
            resp_add_int(c->out, 1);
        } else if (q == Q_TTL)
            resp_add_int(c->out, (when - c->now + 999) / 1000);
        else if (q == Q_PTTL)
            resp_add_int(c->out, when - c->now);
        else if (q == Q_EXPIRETIME)
            resp_add_int(c->out, (when + 999) / 1000);
        else
            resp_add_int(c->out, when);
    }
    if (changed) {
        ks_touch_loc(&loc);
        ks_dirty(c->st, 1); /* once, as 7.4's HPERSIST (HEXPIRE counts each field) */
        ks_notify(c->db, type == OBJ_HASH ? NOTIFY_HASH : NOTIFY_SET,
                  type == OBJ_HASH ? "hpersist" : "spersist", c->argv[1]);
    }
    if (e && q == Q_PERSIST)
        ks_value_changed(&loc, before);
}

/* HTTL key FIELDS numfields field [field ...] */
void cmd_httl(struct cmd_ctx *c)
{
    query_generic(c, OBJ_HASH, Q_TTL);
}

/* HPTTL key FIELDS numfields field [field ...] */
void cmd_hpttl(struct cmd_ctx *c)
{
    query_generic(c, OBJ_HASH, Q_PTTL);
}

/* HEXPIRETIME key FIELDS numfields field [field ...] */
void cmd_hexpiretime(struct cmd_ctx *c)
{
    query_generic(c, OBJ_HASH, Q_EXPIRETIME);
}

/* HPEXPIRETIME key FIELDS numfields field [field ...] */
void cmd_hpexpiretime(struct cmd_ctx *c)
{
    query_generic(c, OBJ_HASH, Q_PEXPIRETIME);
}

/* HPERSIST key FIELDS numfields field [field ...] */
void cmd_hpersist(struct cmd_ctx *c)
{
    query_generic(c, OBJ_HASH, Q_PERSIST);
}

/* STTL key MEMBERS nummembers member [member ...] */
void cmd_sttl(struct cmd_ctx *c)
{
    query_generic(c, OBJ_SET, Q_TTL);
}

/* SPTTL key MEMBERS nummembers member [member ...] */
void cmd_spttl(struct cmd_ctx *c)
{
    query_generic(c, OBJ_SET, Q_PTTL);
}

/* SEXPIRETIME key MEMBERS nummembers member [member ...] */
void cmd_sexpiretime(struct cmd_ctx *c)
{
    query_generic(c, OBJ_SET, Q_EXPIRETIME);
}

/* SPEXPIRETIME key MEMBERS nummembers member [member ...] */
void cmd_spexpiretime(struct cmd_ctx *c)
{
    query_generic(c, OBJ_SET, Q_PEXPIRETIME);
}

/* SPERSIST key MEMBERS nummembers member [member ...] */
void cmd_spersist(struct cmd_ctx *c)
{
    query_generic(c, OBJ_SET, Q_PERSIST);
}
