/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The set value (t_set.c): an intset while every member is an integer and
 * there are at most set-max-intset-entries of them, a packed array of
 * members ("listpack") while small, else a table of member entries
 * ("hashtable"). obj.c frees, copies and measures sets through these.
 */
#ifndef T_SET_H
#define T_SET_H

#include <stddef.h>

struct rset;

/* Free a set and its members. */
void set_free(struct rset *s);
/* A deep copy (COPY). */
struct rset *set_dup(const struct rset *s);
/* Allocated bytes of the set, members included. */
size_t set_bytes(const struct rset *s);
/* OBJECT ENCODING's name: "intset", "listpack" or "hashtable". */
const char *set_enc_name(const struct rset *s);

#endif
