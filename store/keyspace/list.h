/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (list.c) in its entry, in one of two forms (e->enc):
 *
 *   ENC_LIST_CHUNK  Redis's listpack form kept as its one chunk alone, a
 *                   struct ql_node (NULL while empty): most lists are
 *                   small, and a struct quicklist beside their chunk was
 *                   48 bytes more;
 *   ENC_RAW         a struct quicklist (ds/quicklist.h): the quicklist
 *                   form, or a list being built (loading, SORT STORE)
 *                   until obj_new_ptr stores it.
 *
 * The commands read and change both through a struct quicklist
 * (list_get), then store the result back (list_put). entries.c frees,
 * copies and measures lists through these.
 */
#ifndef T_LIST_H
#define T_LIST_H

#include <stddef.h>
#include <stdint.h>

#include "ds/entry.h"
#include "ds/quicklist.h"

struct store;

/* The list of e as a struct quicklist: its own, or *view made of its one
 * chunk. Valid until e changes; after changing it, list_put. O(1). */
static inline struct quicklist *list_get(const struct entry *e, struct quicklist *view)
{
    if (e->enc != ENC_LIST_CHUNK)
        return entry_ptr(e);
    ql_view(view, entry_ptr(e));
    return view;
}

/* Store ql, list_get(e, view)'s after a change or a new list e takes
 * (ENC_RAW: obj_new_ptr), back in e in its form: a list in listpack form
 * as its chunk alone (a struct quicklist of its own is freed), else as a
 * struct quicklist (made here from view). Returns the list's bytes as
 * stored (list_bytes). O(1). */
size_t list_put(struct entry *e, struct quicklist *ql, struct quicklist *view);
/* Allocated bytes of a list value v of encoding enc, elements included. */
size_t list_bytes(const void *v, int enc);
/* A deep copy of v (COPY), of the same encoding. O(bytes). */
void *list_dup(const void *v, int enc);
void list_free(void *v, int enc);
/* list_free in slices, as ql_free_some; true once v is freed. */
bool list_free_some(void *v, int enc, int64_t *work);
/* Chunks of v: obj_free_effort's units. */
uint64_t list_chunks(const void *v, int enc);
/* OBJECT ENCODING's name: "listpack" or "quicklist". */
const char *list_enc_name(const void *v, int enc);
/* The size from which elements are stored unpacked (DEBUG
 * QUICKLIST-PACKED-THRESHOLD, else 1 GB). */
uint32_t list_packed_threshold(const struct store *st);
/* Whether n more elements of bytes raw bytes keep ql (in listpack form)
 * within list-max-listpack-size. */
bool list_fits_packed(const struct store *st, const struct quicklist *ql, size_t bytes,
                      uint64_t n);
/* Before n elements of bytes raw bytes are added: a list in listpack form
 * that would pass list-max-listpack-size becomes a quicklist. */
void list_growing(const struct store *st, struct quicklist *ql, size_t bytes, uint64_t n);
/* The list (empty, or in listpack form) takes its quicklist form, with
 * chunks limited by list-max-listpack-size. */
void list_as_quicklist(const struct store *st, struct quicklist *ql);

#endif
