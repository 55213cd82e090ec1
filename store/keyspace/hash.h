/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The hash value (hash.c): packed (pack.h: field, value, field, value...)
 * while small, a table of field entries past that, with its fields' TTLs.
 * entries.c frees, copies and measures hashes through these; the commands
 * (commands/t_hash.c) read and write them.
 *
 * In its entry (e->enc) a hash is one of:
 *
 *   ENC_HASH_PACK  a hash in listpack form with no field TTLs (most hashes
 *                  are): its pack alone, a struct pack, where a struct hash
 *                  beside it was 32 bytes more;
 *   ENC_HASH       a struct hash: the table form, a listpackex, or a hash
 *                  being built (loading, COPY) until obj_new_ptr stores it.
 *
 * Everything reads and changes both through a struct hash (hash_of), and
 * a change is stored back (hash_put) before anything else reads the entry.
 */
#ifndef KEYSPACE_HASH_H
#define KEYSPACE_HASH_H

#include "ds/entry.h"
#include "ds/pack.h"
#include "keyspace/keyspace.h"
#include "keyspace/state.h"

/* 32 bytes: most hashes stay small, so the table form is a block of its
 * own, allocated when the hash converts (a table header inside
 * every packed hash was most of a small hash's overhead). */
struct hash {
    struct pack *pk;     /* the packed form, NULL once a table */
    struct table *t;     /* the table form, NULL while packed */
    struct subttl *ttl;  /* NULL while no field has a deadline; else the
                          * deadlines of the table form's fields, and the
                          * hash's registration in its shard in both forms */
    uint64_t bytes : 56; /* this struct, the pack or the table header and the
                          * field entries (bucket arrays are not counted, as
                          * for the shards' own tables) */
    uint64_t per : 8;    /* pack elements per field: 2, or 3 for listpackex */
};

_Static_assert(sizeof(struct hash) == 32, "a hash is 32 bytes (jemalloc's class)");

/* The hash of e (OBJ_HASH): its struct hash, or *view made of its pack.
 * Valid until e changes; after changing it, hash_put. O(1). */
static inline struct hash *hash_of(const struct entry *e, struct hash *view)
{
    if (e->enc == ENC_HASH)
        return entry_ptr(e);
    /* A view's bytes are not kept (0 here, changes wrap): nothing reads
     * them, and hash_put counts those of a view that takes a struct hash
     * of its own. */
    view->pk = entry_ptr(e);
    view->t = NULL;
    view->ttl = NULL;
    view->bytes = 0;
    view->per = 2;
    return view;
}

/* Whether h is in the form an entry keeps as its pack alone. */
static inline bool hash_is_plain_pack(const struct hash *h)
{
    return h->pk && h->per == 2 && h->ttl == NULL;
}

/* hash_put's changes of form: e takes view as a struct hash of its own, or
 * h, a struct hash of e's own, as its pack alone. */
void hash_put_own(struct entry *e, const struct hash *view);
void hash_put_pack(struct entry *e, struct hash *h);

/* Store h, hash_of(e, view)'s after a change or a struct hash e takes
 * (view NULL: obj_new_ptr), back in e in its form: a packed hash with no
 * field TTLs as its pack alone (a struct hash of its own is freed), else
 * as a struct hash (made here from view). O(1). */
static inline void hash_put(struct entry *e, struct hash *h, const struct hash *view)
{
    if (h == view) {
        if (hash_is_plain_pack(h))
            entry_set_ptr(e, h->pk); /* the pack may have moved */
        else
            hash_put_own(e, view);
    } else if (hash_is_plain_pack(h)) {
        hash_put_pack(e, h);
    }
}

/* Allocated bytes of the hash value of e, fields included. */
static inline size_t hash_value_bytes(const struct entry *e)
{
    if (e->enc == ENC_HASH_PACK)
        return pack_bytes(entry_ptr(e));
    const struct hash *h = entry_ptr(e);
    return h->bytes + subttl_bytes(h->ttl);
}
/* Free the hash value of e (of either form). */
void hash_value_free(struct entry *e);

/* A deep copy of h (COPY). O(n). */
struct hash *hash_dup(const struct hash *h);
void hash_free(struct hash *h);
/* "listpack", "listpackex" or "hashtable", for OBJECT ENCODING. */
const char *hash_enc_name(const struct hash *h);
/* The obj_subttl, obj_sub_ttl, obj_sub_set_ttl, obj_sub_persist,
 * obj_sub_next, obj_sub_packed_due, obj_sub_delete and obj_sub_count of a
 * hash. */
struct subttl **hash_subttl(struct hash *h);
int64_t hash_field_ttl(struct hash *h, struct rs_str f, bool *found);
void hash_field_set_ttl(struct hash *h, struct rs_str f, int64_t when);
/* A packed hash h becomes listpackex, if it is not (a table stays). O(n). */
void hash_make_ex(struct hash *h);
bool hash_field_persist(struct hash *h, struct rs_str f);
int64_t hash_next_deadline(const struct hash *h);
uint64_t hash_packed_due(struct hash *h, int64_t now, bool remove);
void hash_sub_delete(struct hash *h, struct entry *f);
/* Delete field f and its TTL; returns whether it was there. */
bool hash_remove(struct hash *h, struct rs_str f);
uint64_t hash_size(const struct hash *h);
/* The table of a hash in table form, NULL while packed. */
const struct table *hash_table(const struct hash *h);
/* Start loading the first line of a packed hash, or with rest (once it is
 * loaded) the others (CPU prefetches, pack_prefetch). */
void hash_prefetch(const struct hash *h, bool rest);
struct hash *hash_new(void);
/* The value of field f; false if absent. The slice is valid until the
 * next change of h. */
bool hash_get(struct hash *h, struct rs_str f, struct rs_str *v);
/* Set f to v; returns true if f is new. An existing field keeps its TTL
 * when keep_ttl is set and loses it otherwise. A packed h becomes a table
 * first when f or v is too long to pack, or after when it has too many
 * fields. */
bool hash_set(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v,
                     bool keep_ttl);
/* h is about to receive n fields: a table at once when they pass
 * hash-max-listpack-entries (as Redis's RDB load and HSET), so they are not
 * first searched for in a pack. */
void hash_reserve(struct cmd_ctx *c, struct hash *h, uint64_t n);
/* A new h is about to receive n fields (none repeating) whose elements,
 * the longest longest bytes, take bytes packed (pack_elem_bytes each):
 * when they keep it packed, room for them at once and true, and then the
 * caller adds them all with hash_add_reserved (RDB loading). */
bool hash_reserve_packed(struct cmd_ctx *c, struct hash *h, uint64_t n, size_t longest,
                         size_t bytes);
/* Append field f and value v into the room hash_reserve_packed made. */
void hash_add_reserved(struct hash *h, struct rs_str f, struct rs_str v);
/* hash_set of a field f the caller knows is absent (loading a value checked
 * for repeats): appended without a search, so loading n packed fields is
 * O(n), not O(n^2). */
void hash_add(struct cmd_ctx *c, struct hash *h, struct rs_str f, struct rs_str v);
struct rs_str field_key(const struct entry *e);
struct rs_str field_val(const struct entry *e);
/* The field at off of pk, packed with per elements a field: its value in
 * *v and deadline (-1 if none) in *when; returns the next field's offset. */
uint32_t packed_field(const struct pack *pk, uint32_t per, uint32_t off, struct rs_str *f,
                             struct rs_str *v, int64_t *when);
void free_field(void *ud, struct entry *e);

#endif
