/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The set value (t_set.c): an intset while every member is an integer and
 * there are at most set-max-intset-entries of them, a packed array of
 * members ("listpack", "listpackex" with member TTLs) while small, else a
 * table of member entries ("hashtable"). obj.c frees, copies and measures
 * sets through these.
 */
#ifndef T_SET_H
#define T_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "resp.h"

struct entry;
struct store;
struct subttl;

struct rset;

/* Free a set and its members. */
void set_free(struct rset *s);
/* A deep copy (COPY). */
struct rset *set_dup(const struct rset *s);
/* Allocated bytes of the set, members included. */
size_t set_bytes(const struct rset *s);
/* OBJECT ENCODING's name: "intset", "listpack", "listpackex" or "hashtable". */
const char *set_enc_name(const struct rset *s);
/* The obj_subttl, obj_sub_ttl, obj_sub_set_ttl, obj_sub_persist,
 * obj_sub_next, obj_sub_packed_due, obj_sub_delete and obj_sub_count of a
 * set. */
struct subttl **set_subttl(struct rset *s);
int64_t set_member_ttl(struct rset *s, struct rs_str m, bool *found);
void set_member_set_ttl(struct store *st, struct rset *s, struct rs_str m, int64_t when);
bool set_member_persist(struct rset *s, struct rs_str m);
int64_t set_next_deadline(const struct rset *s);
uint64_t set_packed_due(struct rset *s, int64_t now, bool remove);
void set_sub_delete(struct rset *s, struct entry *m);
uint64_t set_size(const struct rset *s);
/* The table of a set in table form, NULL otherwise. */
const struct table *set_table(const struct rset *s);
/* Start loading the first line of a set in packed or intset form, or
 * with rest (once it is loaded) the others of a packed one (CPU
 * prefetches, pack_prefetch). */
void set_prefetch(const struct rset *s, bool rest);
/* Delete member m and its TTL; returns whether it was there. */
bool set_remove(struct rset *s, struct rs_str m);

#endif
