/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The hash value (struct hash, keyspace/hash.h): its two encodings behind one
 * small interface, and its fields' TTLs, as Redis 7.4's t_hash.c keeps
 * them; the commands are in commands/t_hash.c. A hash is packed (pack.c: field, value, field, value...) while it has at
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
 * containers (keyspace.c, keyed by hash_next_deadline).
 *
 * The hash's bytes are part of its key entry's obj_bytes, so every change
 * of them is accounted to the shard at once (commands/t_hash.c's
 * hash_close).
 */
#include <string.h>

#include "ds/mem.h"
#include "ds/pack.h"
#include "keyspace/hash.h"
#include "keyspace/keyspace.h"

/* ------------------------------------------------------------------------
 * The value: both encodings behind one small interface
 * ------------------------------------------------------------------------ */

static size_t field_bytes(const struct entry *e)
{
    return sizeof *e + e->klen + e->vlen;
}

struct rs_str field_key(const struct entry *e)
{
    return rs_str_from(e->data, e->klen);
}

struct rs_str field_val(const struct entry *e)
{
    return rs_str_from(e->data + e->klen, e->vlen);
}


struct hash *hash_new(void)
{
    struct hash *h = rs_malloc(sizeof *h);
    memset(h, 0, sizeof *h);
    h->pk = pack_new();
    h->per = 2;
    h->bytes = sizeof *h + pack_bytes(h->pk);
    return h;
}


void hash_put_own(struct entry *e, const struct hash *view)
{
    struct hash *h = rs_malloc(sizeof *h);
    *h = *view;
    if (h->pk) /* a table's are counted from its conversion on */
        h->bytes = sizeof *h + pack_bytes(h->pk);
    entry_set_ptr(e, h);
    e->enc = ENC_HASH;
}

void hash_put_pack(struct entry *e, struct hash *h)
{
    entry_set_ptr(e, h->pk);
    e->enc = ENC_HASH_PACK;
    rs_free(h);
}

void hash_value_free(struct entry *e)
{
    if (e->enc == ENC_HASH_PACK)
        pack_free(entry_ptr(e));
    else
        hash_free(entry_ptr(e));
}

struct subttl **hash_subttl(struct hash *h)
{
    return &h->ttl;
}

const struct table *hash_table(const struct hash *h)
{
    return h->pk ? NULL : h->t;
}

void hash_prefetch(const struct hash *h, bool rest)
{
    /* A field's search walks the pack from its first bytes, or starts from
     * the table's header, a block of its own. */
    if (h->pk)
        pack_prefetch(h->pk, rest);
    else if (!rest)
        __builtin_prefetch(h->t);
}


void free_field(void *ud, struct entry *e)
{
    (void)ud;
    rs_free(e);
}

void hash_free(struct hash *h)
{
    if (h->pk)
        pack_free(h->pk);
    else
        tbl_destroy(h->t, free_field, NULL);
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
    tbl_insert(w->to->t, n);
    if (e->exp_idx != EXP_NONE)
        subttl_set(&w->to->ttl, n, subttl_get(w->from->ttl, e));
}

struct hash *hash_dup(const struct hash *h)
{
    struct hash *d = rs_malloc(sizeof *d);
    *d = *h;
    d->ttl = NULL;
    if (h->pk) {
        d->pk = pack_dup(h->pk); /* its registration: ks_add's */
    } else {
        d->t = tbl_new(h->t->seed);
        struct dup_walk w = {h, d};
        tbl_foreach(h->t, dup_field, &w);
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
    return h->pk ? h->pk->n / h->per : tbl_count(h->t);
}

/* The field at off of pk, packed with per elements a field: its value in
 * *v and deadline (-1 if none) in *when; returns the next field's offset. */
uint32_t packed_field(const struct pack *pk, uint32_t per, uint32_t off, struct rs_str *f,
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
    h->t = tbl_new(seed);
    h->pk = NULL;
    h->bytes = sizeof *h + sizeof *h->t;
    uint32_t off = 0;
    while (off < pk->len) {
        struct rs_str f, v;
        int64_t when;
        off = packed_field(pk, h->per, off, &f, &v, &when);
        struct entry *e = obj_sub_entry(f, v);
        tbl_insert(h->t, e);
        h->bytes += field_bytes(e);
        if (when != -1)
            subttl_set(&h->ttl, e, when);
    }
    pack_free(pk);
}

void hash_reserve(struct cmd_ctx *c, struct hash *h, uint64_t n)
{
    if (h->pk && n > (uint64_t)c->st->cfg.hash_max_listpack_entries)
        hash_to_table(h, c->st->seed);
}

bool hash_reserve_packed(struct cmd_ctx *c, struct hash *h, uint64_t n, size_t longest,
                         size_t bytes)
{
    /* set_field's limits, for the fields together */
    if (h->pk == NULL || h->per != 2 || n > (uint64_t)c->st->cfg.hash_max_listpack_entries ||
        (long long)longest > c->st->cfg.hash_max_listpack_value ||
        !pack_safe_to_add(h->pk, bytes))
        return false;
    h->pk = pack_reserve(h->pk, h->pk->len + bytes);
    return true;
}

void hash_add_reserved(struct hash *h, struct rs_str f, struct rs_str v)
{
    uint32_t before = h->pk->len;
    pack_append_reserved(h->pk, f);
    pack_append_reserved(h->pk, v);
    h->bytes += h->pk->len - before; /* pack_elem_bytes of each */
}

/* The value of field f; false if absent. The slice is valid until the
 * next change of h. */
bool hash_get(struct hash *h, struct rs_str f, struct rs_str *v)
{
    if (h->pk) {
        uint32_t off = pack_find(h->pk, f, h->per);
        if (off == UINT32_MAX)
            return false;
        pack_get(h->pk, off, &off);
        *v = pack_get(h->pk, off, NULL);
        return true;
    }
    struct entry *e = tbl_get(h->t, f.p, f.len);
    if (e == NULL)
        return false;
    *v = field_val(e);
    return true;
}

/* Set f to v; returns true if f is new. An existing field keeps its TTL
 * when keep_ttl is set and loses it otherwise. A packed h becomes a table
 * first when f or v is too long to pack, or after when it has too many
 * fields. */
/* hash_set, and hash_add when is_new says f is absent (no search). */
static bool set_field(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v,
                      bool keep_ttl, bool is_new)
{
    if (h->pk && ((long long)f.len > c->st->cfg.hash_max_listpack_value ||
                  (long long)v.len > c->st->cfg.hash_max_listpack_value ||
                  !pack_safe_to_add(h->pk, f.len + v.len)))
        hash_to_table(h, c->st->seed);
    if (h->pk) {
        size_t before = pack_bytes(h->pk);
        uint32_t at = is_new ? UINT32_MAX : pack_find(h->pk, f, h->per);
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
    struct entry **ref = is_new ? NULL : tbl_find_ref(h->t, f.p, f.len);
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
        tbl_insert(h->t, n);
        return true;
    }
    struct entry *old = tbl_replace(h->t, ref, n);
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

bool hash_set(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v,
              bool keep_ttl)
{
    return set_field(c, h, f, v, keep_ttl, false);
}

void hash_add(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v)
{
    set_field(c, h, f, v, false, true);
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
    struct entry **ref = tbl_find_ref(h->t, f.p, f.len);
    if (ref == NULL)
        return false;
    struct entry *e = tbl_unlink(h->t, ref);
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
    struct entry *e = tbl_get(h->t, f.p, f.len);
    *found = e != NULL;
    return e ? subttl_get(h->ttl, e) : -1;
}

void hash_field_set_ttl(struct hash *h, struct rs_str f, int64_t when)
{
    if (h->pk == NULL) {
        struct entry **ref = tbl_find_ref(h->t, f.p, f.len);
        if (ref)
            subttl_set(&h->ttl, *ref, when);
        return;
    }
    uint32_t at = pack_find(h->pk, f, h->per);
    if (at == UINT32_MAX)
        return;
    if (h->per == 2) {
        hash_make_ex(h); /* which moves the field */
        at = pack_find(h->pk, f, 3);
    }
    packed_set_deadline(h, at, when);
}

void hash_make_ex(struct hash *h)
{
    if (h->pk == NULL || h->per == 3)
        return;
    size_t before = pack_bytes(h->pk);
    h->pk = packex_widen(h->pk, 3);
    h->per = 3;
    h->bytes = h->bytes - before + pack_bytes(h->pk);
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
    struct entry **ref = tbl_find_ref(h->t, f.p, f.len);
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
    size_t before = pack_bytes(h->pk);
    uint32_t n = packex_take_due(&h->pk, 3, now, remove);
    h->bytes = h->bytes - before + pack_bytes(h->pk);
    return n;
}

void hash_sub_delete(struct hash *h, struct entry *f)
{
    struct entry **ref = tbl_find_ref(h->t, field_key(f).p, f->klen);
    tbl_unlink(h->t, ref);
    h->bytes -= field_bytes(f);
    rs_free(f);
}

