/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The hash value (hash.c): packed (pack.h: field, value, field, value...)
 * while small, a table of field entries past that, with its fields' TTLs.
 * entries.c frees, copies and measures hashes through these; the commands
 * (commands/t_hash.c) read and write them.
 */
#ifndef KEYSPACE_HASH_H
#define KEYSPACE_HASH_H

#include "keyspace/state.h"

struct pack;

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

/* Bytes of a hash value (its fields and values), part of obj_bytes. */
size_t hash_bytes(const struct hash *h);
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
 * hash-max-listpack-entries (as Redis's RDB load), so they are not first
 * searched for in a pack. */
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
