/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The set value (t_set.c): an intset while every member is an integer and
 * there are at most set-max-intset-entries of them, a packed array of
 * members ("listpack") while small, else a table of member entries
 * ("hashtable"). obj.c frees, copies and measures sets through these.
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
/* OBJECT ENCODING's name: "intset", "listpack" or "hashtable". */
const char *set_enc_name(const struct rset *s);
/* The obj_subttl, obj_sub_find, obj_sub_delete and obj_sub_count of a set. */
struct subttl **set_subttl(struct rset *s);
struct entry *set_sub_find(struct store *st, struct rset *s, struct rs_str m, bool to_table,
                           bool *found);
void set_sub_delete(struct rset *s, struct entry *m);
uint64_t set_size(const struct rset *s);
/* Delete member m and its TTL; returns whether it was there. */
bool set_remove(struct rset *s, struct rs_str m);

#endif
