/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (list.c, a struct quicklist): entries.c frees, copies and
 * measures lists through these.
 */
#ifndef T_LIST_H
#define T_LIST_H

#include <stddef.h>

struct quicklist;

/* Allocated bytes of the list, elements included. */
size_t list_bytes(const struct quicklist *ql);
/* A deep copy (COPY). O(bytes). */
struct quicklist *list_dup(const struct quicklist *ql);
void list_free(struct quicklist *ql);
/* OBJECT ENCODING's name: "listpack" or "quicklist". */
const char *list_enc_name(const struct quicklist *ql);

#endif
