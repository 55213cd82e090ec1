/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packed arrays of byte strings: the compact form of small hashes and small
 * sets (format at the top of pack.c). Elements are addressed by byte offsets
 * into the buffer; every search is a linear walk, which is what makes it
 * small.
 */
#ifndef PACK_H
#define PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct pack {
    uint32_t n;   /* elements */
    uint32_t len; /* bytes used in buf */
    char buf[];
};

/* Start loading the line where p starts, or with rest (once that is
 * loaded: it reads p's header) the others, up to 2 KB (CPU prefetches). */
void pack_prefetch(const struct pack *p, bool rest);

/* An empty pack. */
struct pack *pack_new(void);
void pack_free(struct pack *p);
/* A copy of p. */
struct pack *pack_dup(const struct pack *p);
/* Bytes p occupies (header and buffer), for memory accounting. */
static inline size_t pack_bytes(const struct pack *p)
{
    return sizeof *p + p->len;
}

/* The element at off (off < p->len), and in *next the offset of the one after. */
struct rs_str pack_get(const struct pack *p, uint32_t off, uint32_t *next);

/* Offset of the first element equal to s among those at element positions
 * 0, step, 2*step...; UINT32_MAX if none. O(bytes). */
uint32_t pack_find(const struct pack *p, struct rs_str s, uint32_t step);

/* Offset of the element at position idx (0-based, idx < n). O(bytes). */
uint32_t pack_seek(const struct pack *p, uint32_t idx);

/* A pack never grows past 1 GB whatever the thresholds (Redis's
 * lpSafeToAdd), so its 32-bit sizes and offsets cannot overflow; adding
 * deadlines to a pack this size (packex_widen, packex_set_deadline) at
 * most doubles it, which they still hold. */
#define PACK_SAFE_BYTES (1u << 30)
/* Whether add more bytes of elements fit in p (NULL: a new pack) within
 * PACK_SAFE_BYTES; a caller that is refused uses its unpacked form. O(1). */
bool pack_safe_to_add(const struct pack *p, size_t add);

/* Bytes an element of len bytes takes in a pack (its length and itself). */
size_t pack_elem_bytes(size_t len);
/* Room in p for elements of bytes bytes in all (pack_elem_bytes each), so
 * that inserting them reallocates nothing: for a caller that knows the
 * final size (loading an RDB listpack). Returns the (possibly moved) pack. */
struct pack *pack_reserve(struct pack *p, size_t bytes);

/* Append s into room pack_reserve made for it: no reallocation. */
void pack_append_reserved(struct pack *p, struct rs_str s);

/* Append s; returns the (possibly moved) pack. */
struct pack *pack_append(struct pack *p, struct rs_str s);

/* Insert s before the element at off (off == p->len appends); returns the
 * (possibly moved) pack. */
struct pack *pack_insert(struct pack *p, uint32_t off, struct rs_str s);

/* Replace the element at off by s; returns the (possibly moved) pack. */
struct pack *pack_replace(struct pack *p, uint32_t off, struct rs_str s);

/* Remove count elements starting at off; returns the (possibly moved) pack. */
struct pack *pack_delete(struct pack *p, uint32_t off, uint32_t count);

/* Packs with deadlines, the "listpackex" of small hashes and sets: every
 * entry is per elements (field, value, deadline; member, deadline), the
 * last one a deadline, 8 bytes or empty for none, and the entries are in
 * Redis 7.4's order: those with a deadline by deadline (so the earliest and
 * the due ones come first), then the others in the order they came. */

/* The deadline of an entry, its last element s; -1 if none. */
int64_t packex_deadline(struct rs_str s);
/* The deadline element for when (-1: none); the slice points into *when. */
struct rs_str packex_deadline_str(const int64_t *when);
/* A pack of entries of per - 1 elements, each given an empty deadline:
 * a pack with deadlines of per elements an entry. Frees p. O(bytes). */
struct pack *packex_widen(struct pack *p, uint32_t per);
/* The deadline (-1 if none) of the entry at off. */
int64_t packex_deadline_at(const struct pack *p, uint32_t per, uint32_t off);
/* Append an empty deadline element (an entry without a deadline). */
struct pack *packex_append_none(struct pack *p);
/* Give the entry at off the deadline when (-1: none), moving it to its
 * place; returns the (possibly moved) pack. O(bytes). */
struct pack *packex_set_deadline(struct pack *p, uint32_t per, uint32_t off, int64_t when);
/* The earliest deadline, -1 if none. O(1). */
int64_t packex_next(const struct pack *p, uint32_t per);
/* How many entries are due at now (deadline before now): the first ones. */
uint32_t packex_due(const struct pack *p, uint32_t per, int64_t now);
/* packex_due, and with remove those entries deleted (*p may move). */
uint32_t packex_take_due(struct pack **p, uint32_t per, int64_t now, bool remove);

#endif
