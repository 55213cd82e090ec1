/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Hash commands with Redis 7.4's replies and errors (t_hash.c there). A
 * hash is packed (pack.c: field, value, field, value...) while it has at
 * most hash-max-listpack-entries fields and every field and value given to
 * it had at most hash-max-listpack-value bytes; past that it becomes a
 * table of entries (table.c) whose key is the field and whose embedded
 * value is the value, and it never converts back, as in Redis.
 *
 * Field TTLs: a packed hash whose field first gets a deadline becomes
 * "listpackex" (Redis 7.4's OBJ_ENCODING_LISTPACK_EX) -- every field then
 * has three elements, field, value, deadline, the deadline an empty string
 * when the field has none, and the fields are in Redis's order: those with
 * a deadline by deadline, so the earliest and the due ones come first,
 * then the others in the order they came -- and stays so until it becomes
 * a table, whose fields' deadlines are in the hash's subttl heap
 * (expire.c). In both forms the hash has a subttl while some field has a
 * deadline: it is the hash's registration in its shard's heap of
 * containers (ks.c, keyed by hash_next_deadline).
 *
 * The hash's bytes are part of its key entry's obj_bytes, so every change
 * of them is accounted to the shard at once (hash_close).
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "ds/pack.h"
#include "resp_num.h"
#include "ds/util.h"

struct hash {
    struct pack *pk;     /* the packed form, NULL once a table */
    uint32_t per;        /* pack elements per field: 2, or 3 for listpackex */
    struct table t;      /* the table form */
    struct subttl *ttl;  /* NULL while no field has a deadline; else the
                          * deadlines of the table form's fields, and the
                          * hash's registration in its shard in both forms */
    size_t bytes;        /* this struct, the pack or the field entries (bucket arrays
                          * are not counted, as for the shards' own tables) */
};

/* ------------------------------------------------------------------------
 * The value: both encodings behind one small interface
 * ------------------------------------------------------------------------ */

static size_t field_bytes(const struct entry *e)
{
    return sizeof *e + e->klen + e->vlen;
}

static struct rs_str field_key(const struct entry *e)
{
    return rs_str_from(e->data, e->klen);
}

static struct rs_str field_val(const struct entry *e)
{
    return rs_str_from(e->data + e->klen, e->vlen);
}


static struct hash *hash_new(void)
{
    struct hash *h = rs_malloc(sizeof *h);
    memset(h, 0, sizeof *h);
    h->pk = pack_new();
    h->per = 2;
    h->bytes = sizeof *h + pack_bytes(h->pk);
    return h;
}

size_t hash_bytes(const struct hash *h)
{
    return h->bytes + subttl_bytes(h->ttl);
}

struct subttl **hash_subttl(struct hash *h)
{
    return &h->ttl;
}

const struct table *hash_table(const struct hash *h)
{
    return h->pk ? NULL : &h->t;
}

void hash_prefetch(const struct hash *h, bool rest)
{
    /* A field's search walks the pack from its first bytes. */
    if (h->pk)
        pack_prefetch(h->pk, rest);
}


static void free_field(void *ud, struct entry *e)
{
    (void)ud;
    rs_free(e);
}

void hash_free(struct hash *h)
{
    if (h->pk)
        pack_free(h->pk);
    else
        tbl_free(&h->t, free_field, NULL);
    subttl_free(h->ttl);
    rs_free(h);
}

struct dup_walk {
    const struct hash *from;
    struct hash *to;
};

static void dup_field(void *ud, struct entry *e)
{
    struct dup_walk *w = ud;
    struct entry *n = obj_sub_entry(field_key(e), field_val(e));
    tbl_insert(&w->to->t, n);
    if (e->exp_idx != EXP_NONE)
        subttl_set(&w->to->ttl, n, subttl_get(w->from->ttl, e));
}

struct hash *hash_dup(const struct hash *h)
{
    struct hash *d = rs_malloc(sizeof *d);
    *d = *h;
    d->ttl = NULL;
    if (h->pk) {
        d->pk = pack_dup(h->pk);
        if (h->ttl)
            d->ttl = subttl_new();
    } else {
        tbl_init(&d->t, h->t.seed);
        struct dup_walk w = {h, d};
        tbl_foreach((struct table *)&h->t, dup_field, &w);
    }
    return d;
}

const char *hash_enc_name(const struct hash *h)
{
    if (h->pk)
        return h->per == 3 ? "listpackex" : "listpack";
    return "hashtable";
}

uint64_t hash_size(const struct hash *h)
{
    return h->pk ? h->pk->n / h->per : tbl_count(&h->t);
}

/* The field at off of pk, packed with per elements a field: its value in
 * *v and deadline (-1 if none) in *when; returns the next field's offset. */
static uint32_t packed_field(const struct pack *pk, uint32_t per, uint32_t off, struct rs_str *f,
                             struct rs_str *v, int64_t *when)
{
    *f = pack_get(pk, off, &off);
    *v = pack_get(pk, off, &off);
    *when = per == 3 ? packex_deadline(pack_get(pk, off, &off)) : -1;
    return off;
}

/* Give the field at off of a listpackex h the deadline when (-1 for
 * none), moving the field to its place. O(bytes). */
static void packed_set_deadline(struct hash *h, uint32_t off, int64_t when)
{
    size_t before = pack_bytes(h->pk);
    h->pk = packex_set_deadline(h->pk, 3, off, when);
    h->bytes = h->bytes - before + pack_bytes(h->pk);
}

/* Turn a packed hash into a table. O(n). */
static void hash_to_table(struct hash *h, uint64_t seed)
{
    struct pack *pk = h->pk;
    tbl_init(&h->t, seed);
    h->pk = NULL;
    h->bytes = sizeof *h;
    uint32_t off = 0;
    while (off < pk->len) {
        struct rs_str f, v;
        int64_t when;
        off = packed_field(pk, h->per, off, &f, &v, &when);
        struct entry *e = obj_sub_entry(f, v);
        tbl_insert(&h->t, e);
        h->bytes += field_bytes(e);
        if (when != -1)
            subttl_set(&h->ttl, e, when);
    }
    pack_free(pk);
}

/* The value of field f; false if absent. The slice is valid until the
 * next change of h. */
static bool hash_get(struct hash *h, struct rs_str f, struct rs_str *v)
{
    if (h->pk) {
        uint32_t off = pack_find(h->pk, f, h->per);
        if (off == UINT32_MAX)
            return false;
        pack_get(h->pk, off, &off);
        *v = pack_get(h->pk, off, NULL);
        return true;
    }
    struct entry *e = tbl_get(&h->t, f.p, f.len);
    if (e == NULL)
        return false;
    *v = field_val(e);
    return true;
}

/* Set f to v; returns true if f is new. An existing field keeps its TTL
 * when keep_ttl is set and loses it otherwise. A packed h becomes a table
 * first when f or v is too long to pack, or after when it has too many
 * fields. */
static bool hash_set(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v,
                     bool keep_ttl)
{
    if (h->pk && ((long long)f.len > c->st->cfg.hash_max_listpack_value ||
                  (long long)v.len > c->st->cfg.hash_max_listpack_value ||
                  !pack_safe_to_add(h->pk, f.len + v.len)))
        hash_to_table(h, c->st->seed);
    if (h->pk) {
        size_t before = pack_bytes(h->pk);
        uint32_t at = pack_find(h->pk, f, h->per);
        bool added = at == UINT32_MAX;
        if (added) {
            h->pk = pack_append(h->pk, f);
            h->pk = pack_append(h->pk, v);
            if (h->per == 3)
                h->pk = packex_append_none(h->pk);
        } else {
            uint32_t off;
            pack_get(h->pk, at, &off);
            h->pk = pack_replace(h->pk, off, v);
        }
        h->bytes = h->bytes - before + pack_bytes(h->pk);
        /* at is still the field's offset: only its value changed. */
        if (!added && !keep_ttl && h->per == 3 && packex_deadline_at(h->pk, 3, at) != -1)
            packed_set_deadline(h, at, -1);
        if ((long long)hash_size(h) > c->st->cfg.hash_max_listpack_entries)
            hash_to_table(h, c->st->seed);
        return added;
    }
    struct entry **ref = tbl_find_ref(&h->t, f.p, f.len);
    if (ref && (*ref)->vlen == v.len) {
        /* A value of the same length is overwritten in place. */
        memcpy((*ref)->data + (*ref)->klen, v.p, v.len);
        if (!keep_ttl)
            subttl_clear(h->ttl, *ref);
        return false;
    }
    struct entry *n = obj_sub_entry(f, v);
    h->bytes += field_bytes(n);
    if (ref == NULL) {
        tbl_insert(&h->t, n);
        return true;
    }
    struct entry *old = tbl_replace(&h->t, ref, n);
    if (old->exp_idx != EXP_NONE) {
        if (keep_ttl)
            subttl_moved(h->ttl, old, n);
        else
            subttl_clear(h->ttl, old);
    }
    h->bytes -= field_bytes(old);
    rs_free(old);
    return false;
}

bool hash_remove(struct hash *h, struct rs_str f)
{
    if (h->pk) {
        uint32_t off = pack_find(h->pk, f, h->per);
        if (off == UINT32_MAX)
            return false;
        size_t before = pack_bytes(h->pk);
        h->pk = pack_delete(h->pk, off, h->per);
        h->bytes = h->bytes - before + pack_bytes(h->pk);
        return true;
    }
    struct entry **ref = tbl_find_ref(&h->t, f.p, f.len);
    if (ref == NULL)
        return false;
    struct entry *e = tbl_unlink(&h->t, ref);
    subttl_clear(h->ttl, e);
    h->bytes -= field_bytes(e);
    rs_free(e);
    return true;
}

int64_t hash_field_ttl(struct hash *h, struct rs_str f, bool *found)
{
    if (h->pk) {
        uint32_t off = pack_find(h->pk, f, h->per);
        *found = off != UINT32_MAX;
        if (!*found)
            return -1;
        struct rs_str k, v;
        int64_t when;
        packed_field(h->pk, h->per, off, &k, &v, &when);
        return when;
    }
    struct entry *e = tbl_get(&h->t, f.p, f.len);
    *found = e != NULL;
    return e ? subttl_get(h->ttl, e) : -1;
}

void hash_field_set_ttl(struct hash *h, struct rs_str f, int64_t when)
{
    if (h->pk == NULL) {
        struct entry **ref = tbl_find_ref(&h->t, f.p, f.len);
        if (ref)
            subttl_set(&h->ttl, *ref, when);
        return;
    }
    uint32_t at = pack_find(h->pk, f, h->per);
    if (at == UINT32_MAX)
        return;
    if (h->per == 2) {
        /* it becomes listpackex, which moves the field */
        size_t before = pack_bytes(h->pk);
        h->pk = packex_widen(h->pk, 3);
        h->per = 3;
        h->bytes = h->bytes - before + pack_bytes(h->pk);
        at = pack_find(h->pk, f, 3);
    }
    packed_set_deadline(h, at, when);
    if (h->ttl == NULL)
        h->ttl = subttl_new();
}

bool hash_field_persist(struct hash *h, struct rs_str f)
{
    if (h->pk) {
        uint32_t at = h->per == 3 ? pack_find(h->pk, f, 3) : UINT32_MAX;
        if (at == UINT32_MAX || packex_deadline_at(h->pk, 3, at) == -1)
            return false;
        packed_set_deadline(h, at, -1);
        return true;
    }
    struct entry **ref = tbl_find_ref(&h->t, f.p, f.len);
    if (ref == NULL || subttl_get(h->ttl, *ref) == -1)
        return false;
    subttl_clear(h->ttl, *ref);
    return true;
}

int64_t hash_next_deadline(const struct hash *h)
{
    if (h->pk == NULL)
        return h->ttl && h->ttl->h.n ? h->ttl->h.a[0].when : -1;
    return h->per == 3 ? packex_next(h->pk, 3) : -1;
}

uint64_t hash_packed_due(struct hash *h, int64_t now, bool remove)
{
    if (h->pk == NULL || h->per == 2)
        return 0;
    uint32_t n = packex_due(h->pk, 3, now);
    if (remove && n) {
        size_t before = pack_bytes(h->pk);
        h->pk = pack_delete(h->pk, 0, n * 3);
        h->bytes = h->bytes - before + pack_bytes(h->pk);
    }
    return n;
}

void hash_sub_delete(struct hash *h, struct entry *f)
{
    struct entry **ref = tbl_find_ref(&h->t, field_key(f).p, f->klen);
    tbl_unlink(&h->t, ref);
    h->bytes -= field_bytes(f);
    rs_free(f);
}

/* ------------------------------------------------------------------------
 * Lookups and accounting
 * ------------------------------------------------------------------------ */

/* A write handle: the key's hash and where it lives, with its byte count
 * (obj_bytes) when opened, so hash_close accounts the difference. */
struct hw {
    struct kloc loc;
    struct hash *h;
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
        w->h = hash_new();
        e = obj_new_ptr(sh, key, OBJ_HASH, ENC_HASH, w->h);
        ks_add(c->db, sh, e);
        ks_write_type(c, key, OBJ_HASH, &w->loc, &wrong);
    } else {
        w->h = entry_ptr(e);
    }
    w->bytes0 = obj_bytes(*w->loc.ref);
    w->changed = false;
    return true;
}

/* Account the change of the hash, touch the key if the command changed it
 * (WATCH); delete the key if it is empty. */
static void hash_close(struct hw *w)
{
    if (w->h == NULL)
        return;
    if (w->changed)
        ks_touch_loc(&w->loc);
    ks_value_changed(&w->loc, w->bytes0);
}

/* The hash of key for reading, NULL if absent; *wrong after a WRONGTYPE. */
static struct hash *hash_read(struct cmd_ctx *c, struct rs_str key, bool *wrong)
{
    struct entry *e = ks_read_type(c, key, OBJ_HASH, NULL, wrong);
    return e ? entry_ptr(e) : NULL;
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
    long long added = 0;
    for (int i = 2; i < c->argc; i += 2)
        added += hash_set(c, w.h, c->argv[i], c->argv[i + 1], false);
    w.changed = true;
    hash_close(&w);
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
    hash_close(&w);
    resp_add_int(c->out, added);
}

/* HGET key field */
void cmd_hget(struct cmd_ctx *c)
{
    bool wrong;
    struct hash *h = hash_read(c, c->argv[1], &wrong);
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
    struct hash *h = hash_read(c, c->argv[1], &wrong);
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
    tbl_foreach(&h->t, walk_cb, &w);
}

static void getall_generic(struct cmd_ctx *c, int what)
{
    bool wrong;
    struct hash *h = hash_read(c, c->argv[1], &wrong);
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
    struct hash *h = hash_read(c, c->argv[1], &wrong);
    if (!wrong)
        resp_add_int(c->out, h ? (long long)hash_size(h) : 0);
}

/* HEXISTS key field */
void cmd_hexists(struct cmd_ctx *c)
{
    bool wrong;
    struct hash *h = hash_read(c, c->argv[1], &wrong);
    struct rs_str v;
    if (!wrong)
        resp_add_int(c->out, h && hash_get(h, c->argv[2], &v));
}

/* HSTRLEN key field */
void cmd_hstrlen(struct cmd_ctx *c)
{
    bool wrong;
    struct hash *h = hash_read(c, c->argv[1], &wrong);
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
    hash_close(&w);
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
    hash_close(&w);
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
    hash_close(&w);
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
    hash_close(&w);
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
        if (set) {
            field_expire(c, &w, f, when);
            w.changed = true;
        } else if (persist) {
            w.changed |= hash_field_persist(w.h, f);
        }
    }
    hash_close(&w);
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
            w.changed |= hash_remove(w.h, c->argv[i]);
        } else {
            resp_add_null(c->out);
        }
    }
    hash_close(&w);
}

/* ------------------------------------------------------------------------
 * HRANDFIELD and HSCAN
 * ------------------------------------------------------------------------ */

/* splitmix64 over the store's random state (as RANDOMKEY's). */
static uint64_t rand_next(struct store *st)
{
    uint64_t z = (st->rng += 0x9E3779B97F4A7C15ULL) ^ st->seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

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
        tbl_foreach(&h->t, pairs_cb, &p);
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
    tbl_init(&seen, h->t.seed);
    for (uint64_t got = 0; got < count;) {
        struct entry *e = tbl_random(&h->t, rand_next(c->st));
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
    struct hash *h = hash_read(c, c->argv[1], &wrong);
    if (wrong)
        return;
    if (c->argc == 2) {
        if (h == NULL) {
            resp_add_null(c->out);
            return;
        }
        if (h->pk == NULL) {
            resp_add_bulk_str(c->out, field_key(tbl_random(&h->t, rand_next(c->st))));
            return;
        }
        struct pair *all = hash_pairs(h);
        resp_add_bulk_str(c->out, all[rand_next(c->st) % hash_size(h)].f);
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
            struct entry *e = tbl_random(&h->t, rand_next(c->st));
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
            if (rand_next(c->st) % (size - i) < need) {
                reply_pair(c, all[i], withvalues);
                need--;
            }
        }
    } else {
        for (uint64_t i = 0; i < count && !resp_out_full(c->out); i++)
            reply_pair(c, all[rand_next(c->st) % size], withvalues);
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
    if (!arg_cursor(c, c->argv[2], &cursor))
        return;
    bool wrong;
    struct hash *h = hash_read(c, c->argv[1], &wrong);
    if (wrong)
        return;
    if (h == NULL) {
        resp_add_array_len(c->out, 2);
        resp_add_bulk(c->out, "0", 1);
        resp_add_array_len(c->out, 0);
        return;
    }
    struct scan_opts o;
    if (!scan_opts_parse(c, 3, SCAN_ALLOW_NOVALUES, &o))
        return;
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
            next = tbl_scan(&h->t, next, hscan_cb, &a);
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
