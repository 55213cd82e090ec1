/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reading an RDB file into the keyspace (rdb_file.h): versions 1 to 12,
 * as Redis 7.4's rdbLoadRio reads them. The file is read whole into
 * memory and checked as it is parsed: every length is bounded by the
 * bytes left, so a corrupt or truncated file is an error, never a read out
 * of bounds. Values are rebuilt through the same type APIs the commands
 * use (hash_set, set_add, ql_push, zset_add), so each takes the encoding
 * respite would give it -- a Redis 6 ziplist becomes a listpack, a big
 * intset a table -- and its sub-key deadlines are registered in its shard
 * as for a command's write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/crc64.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"
#include "keyspace/list.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "keyspace/set.h"
#include "keyspace/zset.h"
#include "resp_num.h"

struct loader {
    struct store *st;
    struct rdb_reader r;
    const uint8_t *base; /* the file's first byte */
    uint64_t nkeys;      /* keys read, for the progress hook */
    bool stopped;        /* by the progress hook */
    int64_t now;
    char *err;
    size_t errlen;
};

static bool fail(struct loader *ld, const char *what)
{
    snprintf(ld->err, ld->errlen, "%s", what);
    return false;
}

/* ---- element sources ------------------------------------------------------ */

/* The elements of a value, from RDB strings (a count of them) or from a
 * listpack, ziplist or intset blob. The last element returned is valid
 * until the next call. */
struct elems {
    struct rdb_reader *r;
    uint64_t left;      /* RDB strings still to read */
    bool is_blob;
    struct rdb_blob blob;
    char *blob_bytes;   /* the blob's string */
    char *cur;          /* the last RDB string read */
};

static void elems_close(struct elems *es)
{
    rs_free(es->blob_bytes);
    rs_free(es->cur);
    es->blob_bytes = es->cur = NULL;
}

/* n strings follow in r. */
static void elems_strings(struct elems *es, struct rdb_reader *r, uint64_t n)
{
    memset(es, 0, sizeof *es);
    es->r = r;
    es->left = n;
}

/* A blob of kind follows in r as one string. */
static bool elems_blob(struct elems *es, struct rdb_reader *r, enum rdb_blob_kind kind)
{
    memset(es, 0, sizeof *es);
    size_t len;
    es->blob_bytes = rdb_get_string(r, &len);
    es->is_blob = true;
    return es->blob_bytes &&
           rdb_blob_open(&es->blob, kind, (const uint8_t *)es->blob_bytes, len);
}

/* The next element in *s; false at the end or when malformed (*bad). */
static bool elems_next(struct elems *es, struct rs_str *s, bool *bad)
{
    if (es->is_blob) {
        bool more = rdb_blob_next(&es->blob, s);
        *bad = es->blob.bad;
        return more;
    }
    rs_free(es->cur);
    es->cur = NULL;
    if (es->left == 0)
        return false;
    es->left--;
    size_t len;
    es->cur = rdb_get_string(es->r, &len);
    *bad = es->cur == NULL;
    *s = rs_str_from(es->cur, len);
    return !*bad;
}

/* ---- values --------------------------------------------------------------- */

static int64_t due_or_kept(int64_t when, int64_t now)
{
    return when != -1 && when < now ? -2 : when;
}

static bool load_list(struct loader *ld, int type, struct quicklist **out)
{
    struct store *st = ld->st;
    struct quicklist *ql = ql_new(st->cfg.list_max_listpack_size, list_packed_threshold(st));
    *out = ql;
    uint64_t nodes = 1;
    if (type == RDB_TYPE_LIST_QUICKLIST || type == RDB_TYPE_LIST_QUICKLIST_2)
        if (!rdb_get_len(&ld->r, &nodes))
            return false;
    for (uint64_t i = 0; i < nodes; i++) {
        struct elems es;
        bool ok;
        uint64_t container = 2;
        if (type == RDB_TYPE_LIST_QUICKLIST_2 && !rdb_get_len(&ld->r, &container))
            return false;
        if (type == RDB_TYPE_LIST) {
            uint64_t n;
            if (!rdb_get_len(&ld->r, &n))
                return false;
            elems_strings(&es, &ld->r, n);
            ok = true;
        } else if (container == 1) {
            elems_strings(&es, &ld->r, 1);
            ok = true;
        } else {
            ok = container == 2 &&
                 elems_blob(&es, &ld->r,
                            type == RDB_TYPE_LIST_QUICKLIST_2 ? RDB_BLOB_LISTPACK
                                                              : RDB_BLOB_ZIPLIST);
        }
        struct rs_str s;
        bool bad = !ok;
        while (!bad && elems_next(&es, &s, &bad)) {
            list_growing(st, ql, s.len, 1);
            ql_push(ql, s, QL_TAIL);
        }
        elems_close(&es);
        if (bad)
            return false;
    }
    return true;
}

/* Members (with deadlines relative to min when min != -1). */
static bool load_set(struct loader *ld, int type, struct rset **out)
{
    struct store *st = ld->st;
    struct elems es;
    int64_t min = -1;
    uint64_t n = 0;
    if (type == RDB_TYPE_SET_INTSET || type == RDB_TYPE_SET_LISTPACK) {
        if (!elems_blob(&es, &ld->r,
                        type == RDB_TYPE_SET_INTSET ? RDB_BLOB_INTSET : RDB_BLOB_LISTPACK)) {
            elems_close(&es);
            return false;
        }
    } else {
        if (type == RDB_TYPE_RESPITE_SET_TTL && !rdb_get_u64le(&ld->r, (uint64_t *)&min))
            return false;
        if (!rdb_get_len(&ld->r, &n))
            return false;
        elems_strings(&es, &ld->r, n);
    }
    struct rs_str m;
    bool bad = false;
    for (;;) {
        int64_t when = -1;
        if (min != -1 && es.left > 0) {
            uint64_t rel;
            if (!rdb_get_len(&ld->r, &rel)) {
                bad = true;
                break;
            }
            when = rel == 0 ? -1 : min + (int64_t)rel - 1;
        }
        if (!elems_next(&es, &m, &bad))
            break;
        when = due_or_kept(when, ld->now);
        if (when == -2)
            continue;
        if (*out == NULL)
            *out = set_new(st, m, n ? n : 1);
        set_add(st, *out, m);
        if (when != -1)
            set_member_set_ttl(st, *out, m, when);
    }
    elems_close(&es);
    return !bad;
}

/* Fields and values; with deadlines for the 7.4 types. */
static bool load_hash(struct loader *ld, int type, struct hash **out)
{
    struct cmd_ctx c = {.st = ld->st};
    struct hash *h = *out = hash_new();
    struct elems es;
    int64_t min = -1;
    bool metadata = type == RDB_TYPE_HASH_METADATA;
    bool lpex = type == RDB_TYPE_HASH_LISTPACK_EX || type == RDB_TYPE_HASH_LISTPACK_EX_PRE_GA;
    if ((metadata || type == RDB_TYPE_HASH_LISTPACK_EX) &&
        !rdb_get_u64le(&ld->r, (uint64_t *)&min))
        return false;
    if (type == RDB_TYPE_HASH || metadata) {
        uint64_t n;
        if (!rdb_get_len(&ld->r, &n))
            return false;
        elems_strings(&es, &ld->r, 2 * n);
    } else if (!elems_blob(&es, &ld->r,
                           type == RDB_TYPE_HASH_ZIPLIST ? RDB_BLOB_ZIPLIST
                                                         : RDB_BLOB_LISTPACK)) {
        elems_close(&es);
        return false;
    }
    bool bad = false;
    for (;;) {
        int64_t when = -1;
        if (metadata && es.left > 0) {
            uint64_t rel;
            if (!rdb_get_len(&ld->r, &rel)) {
                bad = true;
                break;
            }
            when = rel == 0 ? -1 : min + (int64_t)rel - 1;
        }
        struct rs_str f, v;
        if (!elems_next(&es, &f, &bad))
            break;
        /* the field outlives the value's read only as a copy */
        char *fcopy = rs_malloc(f.len + 1);
        memcpy(fcopy, f.p, f.len);
        f.p = fcopy;
        if (!elems_next(&es, &v, &bad)) {
            rs_free(fcopy);
            bad = true;
            break;
        }
        if (lpex) {
            char *vcopy = rs_malloc(v.len + 1);
            memcpy(vcopy, v.p, v.len);
            v.p = vcopy;
            struct rs_str t;
            long long ttl;
            if (!elems_next(&es, &t, &bad) || !resp_str2ll(t.p, t.len, &ttl)) {
                rs_free(fcopy);
                rs_free(vcopy);
                bad = true;
                break;
            }
            when = ttl == 0 ? -1 : ttl;
        }
        when = due_or_kept(when, ld->now);
        if (when != -2) {
            hash_set(&c, h, f, v, false);
            if (when != -1)
                hash_field_set_ttl(h, f, when);
        }
        rs_free(fcopy);
        if (lpex)
            rs_free((char *)v.p);
    }
    elems_close(&es);
    return !bad;
}

static bool parse_score(struct rs_str s, double *score)
{
    char buf[128];
    if (s.len == 0 || s.len >= sizeof buf)
        return false;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *end;
    *score = strtod(buf, &end);
    return end == buf + s.len;
}

static bool load_zset(struct loader *ld, int type, struct rzset **out)
{
    struct store *st = ld->st;
    struct elems es;
    uint64_t n = 0;
    bool blob = type == RDB_TYPE_ZSET_ZIPLIST || type == RDB_TYPE_ZSET_LISTPACK;
    if (blob) {
        if (!elems_blob(&es, &ld->r,
                        type == RDB_TYPE_ZSET_ZIPLIST ? RDB_BLOB_ZIPLIST : RDB_BLOB_LISTPACK)) {
            elems_close(&es);
            return false;
        }
    } else {
        if (!rdb_get_len(&ld->r, &n))
            return false;
        elems_strings(&es, &ld->r, n);
    }
    *out = zset_new(st, blob ? 0 : (size_t)n, 0);
    bool bad = false;
    struct rs_str m, sc;
    for (uint64_t i = 0; blob || i < n; i++) {
        double score;
        if (!elems_next(&es, &m, &bad))
            break;
        if (blob) {
            char *mcopy = rs_malloc(m.len + 1);
            memcpy(mcopy, m.p, m.len);
            m.p = mcopy;
            bad = !elems_next(&es, &sc, &bad) || !parse_score(sc, &score);
        } else {
            /* the score follows its member, outside the count of strings */
            bad = type == RDB_TYPE_ZSET_2 ? !rdb_get_double(&ld->r, &score)
                                          : !rdb_get_text_double(&ld->r, &score);
        }
        if (!bad) {
            int flags_out;
            zset_add(st, *out, m, score, 0, &flags_out, NULL);
        }
        if (blob)
            rs_free((char *)m.p);
        if (bad)
            break;
    }
    elems_close(&es);
    return !bad;
}

/* ---- keys ----------------------------------------------------------------- */

/* Elements of a value being loaded (v may be NULL: a set whose members all
 * expired). */
static uint64_t value_size(enum obj_type type, void *v)
{
    if (v == NULL)
        return 0;
    switch (type) {
    case OBJ_LIST:
        return ((struct quicklist *)v)->count;
    case OBJ_SET:
        return set_size(v);
    case OBJ_HASH:
        return hash_size(v);
    default:
        return zset_len(v);
    }
}

static void value_free(enum obj_type type, void *v)
{
    switch (type) {
    case OBJ_LIST:
        list_free(v);
        break;
    case OBJ_SET:
        set_free(v);
        break;
    case OBJ_HASH:
        hash_free(v);
        break;
    default:
        zset_free(v);
        break;
    }
}

/* Read the value of type for key and add it to db unless expire is past;
 * false with err set when the value is malformed or of an unknown type. */
static bool load_key(struct loader *ld, struct db *db, int type, struct rs_str key,
                     int64_t expire)
{
    struct shard *sh;
    if (ks_get(db, key, &sh) != NULL)
        return fail(ld, "Duplicate key in the RDB file");
    void *v = NULL;
    enum obj_type otype;
    int enc = ENC_RAW;
    bool ok;
    size_t slen = 0;
    char *s = NULL;
    switch (type) {
    case RDB_TYPE_STRING:
        otype = OBJ_STRING;
        s = rdb_get_string(&ld->r, &slen);
        ok = s != NULL;
        break;
    case RDB_TYPE_LIST:
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        otype = OBJ_LIST;
        ok = load_list(ld, type, (struct quicklist **)&v);
        break;
    case RDB_TYPE_SET:
    case RDB_TYPE_SET_INTSET:
    case RDB_TYPE_SET_LISTPACK:
    case RDB_TYPE_RESPITE_SET_TTL:
        otype = OBJ_SET;
        ok = load_set(ld, type, (struct rset **)&v);
        break;
    case RDB_TYPE_HASH:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
    case RDB_TYPE_HASH_METADATA:
    case RDB_TYPE_HASH_LISTPACK_EX:
    case RDB_TYPE_HASH_LISTPACK_EX_PRE_GA:
        otype = OBJ_HASH;
        enc = ENC_HASH;
        ok = load_hash(ld, type, (struct hash **)&v);
        break;
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
        otype = OBJ_ZSET;
        ok = load_zset(ld, type, (struct rzset **)&v);
        break;
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
        snprintf(ld->err, ld->errlen, "RDB loading of stream values is not implemented yet");
        return false;
    default:
        snprintf(ld->err, ld->errlen, "Unknown RDB type %d", type);
        return false;
    }
    bool keep = ok && (otype == OBJ_STRING || value_size(otype, v) != 0) &&
                (expire == -1 || expire >= ld->now);
    if (!keep) {
        if (v)
            value_free(otype, v);
        rs_free(s);
        return ok || fail(ld, "Corrupt RDB value");
    }
    sh = ks_shard(db, key, true);
    struct entry *e = otype == OBJ_STRING ? obj_new_string(sh, key, rs_str_from(s, slen))
                                          : obj_new_ptr(sh, key, otype, enc, v);
    rs_free(s);
    ks_add(db, sh, e);
    if (expire != -1)
        exp_set(sh, e, expire);
    return true;
}

static bool load_body(struct loader *ld, const struct rdb_hooks *hooks)
{
    struct store *st = ld->st;
    struct rdb_reader *r = &ld->r;
    struct db *db = st->dbs[0];
    int64_t expire = -1;
    for (;;) {
        int type = rdb_get_type(r);
        uint64_t a, b;
        switch (type) {
        case -1:
            return fail(ld, "Short read loading the RDB file");
        case RDB_OPCODE_EOF:
            return true;
        case RDB_OPCODE_EXPIRETIME_MS:
            if (!rdb_get_u64le(r, &a))
                return fail(ld, "Short read loading the RDB file");
            expire = (int64_t)a;
            continue;
        case RDB_OPCODE_EXPIRETIME: {
            uint32_t secs;
            if (!rdb_get_u32le(r, &secs))
                return fail(ld, "Short read loading the RDB file");
            expire = (int64_t)secs * 1000;
            continue;
        }
        case RDB_OPCODE_FREQ:
            if (rdb_get_type(r) == -1)
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_IDLE:
            if (!rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_SELECTDB:
            if (!rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            if (a >= (uint64_t)st->ndbs) {
                snprintf(ld->err, ld->errlen,
                         "FATAL: Data file was created with a Redis server configured to "
                         "handle more than %d databases. Exiting",
                         st->ndbs);
                return false;
            }
            db = st->dbs[a];
            continue;
        case RDB_OPCODE_RESIZEDB:
            if (!rdb_get_len(r, &a) || !rdb_get_len(r, &b))
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_SLOT_INFO:
            if (!rdb_get_len(r, &a) || !rdb_get_len(r, &a) || !rdb_get_len(r, &a))
                return fail(ld, "Short read loading the RDB file");
            continue;
        case RDB_OPCODE_AUX: {
            size_t n;
            char *name = rdb_get_string(r, &n);
            char *value = name ? rdb_get_string(r, &n) : NULL;
            rs_free(name);
            rs_free(value);
            if (value == NULL)
                return fail(ld, "Short read loading the RDB file");
            continue;
        }
        case RDB_OPCODE_FUNCTION2: {
            size_t n;
            char *code = rdb_get_string(r, &n);
            if (code == NULL)
                return fail(ld, "Short read loading the RDB file");
            bool ok = hooks && hooks->load_function &&
                      hooks->load_function(st, code, n, ld->err, ld->errlen);
            rs_free(code);
            if (!ok)
                return false;
            continue;
        }
        case RDB_OPCODE_FUNCTION_PRE_GA:
            return fail(ld, "Pre-release function format not supported");
        case RDB_OPCODE_MODULE_AUX:
            return fail(ld, "Module data in the RDB file: modules are not supported");
        default:
            break;
        }
        size_t klen;
        char *key = rdb_get_string(r, &klen);
        if (key == NULL)
            return fail(ld, "Short read loading the RDB file");
        bool ok = load_key(ld, db, type, rs_str_from(key, klen), expire);
        rs_free(key);
        if (!ok)
            return false;
        expire = -1;
        if (++ld->nkeys % RDB_PROGRESS_KEYS == 0 && hooks && hooks->progress &&
            !hooks->progress(st, (size_t)(r->p - ld->base), (size_t)(r->end - ld->base))) {
            ld->stopped = true;
            return false;
        }
    }
}

int rdb_load(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
             size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "Fatal error loading the DB, check server logs. Exiting. (%s: %s)",
                 path, strerror(errno));
        return -1;
    }
    struct rdb_buf data = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rdb_put_raw(&data, chunk, n);
    bool read_ok = !ferror(f);
    fclose(f);
    struct loader ld = {.st = st, .now = store_now(st), .err = err, .errlen = errlen};
    ld.r.p = ld.base = data.p;
    ld.r.end = data.p + data.len;
    int version = 0;
    bool ok = read_ok;
    if (!ok)
        snprintf(err, errlen, "Error reading %s", path);
    if (ok && (data.len < 9 || memcmp(data.p, "REDIS", 5) != 0)) {
        ok = fail(&ld, "Wrong signature trying to load DB from file");
    } else if (ok) {
        for (int i = 5; i < 9; i++)
            version = version * 10 + (data.p[i] >= '0' && data.p[i] <= '9' ? data.p[i] - '0' : 99);
        if (version < 1 || version > RDB_VERSION) {
            snprintf(err, errlen, "Can't handle RDB format version %d", version);
            ok = false;
        }
    }
    if (ok) {
        ld.r.p += 9;
        ok = load_body(&ld, hooks);
    }
    if (ok && version >= 5) {
        const uint8_t *at = ld.r.p;
        uint64_t expected;
        if (!rdb_get_u64le(&ld.r, &expected)) {
            ok = fail(&ld, "Short read loading the RDB file");
        } else if (st->cfg.rdbchecksum && expected != 0 &&
                   crc64(0, data.p, (size_t)(at - data.p)) != expected) {
            ok = fail(&ld, "Wrong RDB checksum. Aborting now.");
        }
    }
    rs_free(data.p);
    return ok ? 0 : ld.stopped ? 2 : -1;
}
