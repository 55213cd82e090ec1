/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (list.c, a struct quicklist): entries.c frees, copies and
 * measures lists through these.
 */
#ifndef T_LIST_H
#define T_LIST_H

#include <stddef.h>
#include <stdint.h>

struct quicklist;
struct store;

/* Allocated bytes of the list, elements included. */
size_t list_bytes(const struct quicklist *ql);
/* A deep copy (COPY). O(bytes). */
struct quicklist *list_dup(const struct quicklist *ql);
void list_free(struct quicklist *ql);
/* OBJECT ENCODING's name: "listpack" or "quicklist". */
const char *list_enc_name(const struct quicklist *ql);
/* The size from which elements are stored unpacked (DEBUG
 * QUICKLIST-PACKED-THRESHOLD, else 1 GB). */
uint32_t list_packed_threshold(const struct store *st);
/* Before n elements of bytes raw bytes are added: a list in listpack form
 * that would pass list-max-listpack-size becomes a quicklist. */
void list_growing(const struct store *st, struct quicklist *ql, size_t bytes, uint64_t n);
/* The list (empty, or in listpack form) takes its quicklist form, with
 * chunks limited by list-max-listpack-size. */
void list_as_quicklist(const struct store *st, struct quicklist *ql);

#endif
