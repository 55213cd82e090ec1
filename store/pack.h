/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packed arrays of byte strings: the compact form of small hashes and small
 * sets (format at the top of pack.c). Elements are addressed by byte offsets
 * into the buffer; every search is a linear walk, which is what makes it
 * small.
 */
#ifndef PACK_H
#define PACK_H

#include <stddef.h>
#include <stdint.h>

#include "resp.h"

struct pack {
    uint32_t n;   /* elements */
    uint32_t len; /* bytes used in buf */
    char buf[];
};

/* An empty pack. */
struct pack *pack_new(void);
void pack_free(struct pack *p);
/* A copy of p. */
struct pack *pack_dup(const struct pack *p);
/* Bytes p occupies (header and buffer), for memory accounting. */
size_t pack_bytes(const struct pack *p);

/* The element at off (off < p->len), and in *next the offset of the one after. */
struct rs_str pack_get(const struct pack *p, uint32_t off, uint32_t *next);

/* Offset of the first element equal to s among those at element positions
 * 0, step, 2*step...; UINT32_MAX if none. O(bytes). */
uint32_t pack_find(const struct pack *p, struct rs_str s, uint32_t step);

/* Offset of the element at position idx (0-based, idx < n). O(bytes). */
uint32_t pack_seek(const struct pack *p, uint32_t idx);

/* Append s; returns the (possibly moved) pack. */
struct pack *pack_append(struct pack *p, struct rs_str s);

/* Insert s before the element at off (off == p->len appends); returns the
 * (possibly moved) pack. */
struct pack *pack_insert(struct pack *p, uint32_t off, struct rs_str s);

/* Replace the element at off by s; returns the (possibly moved) pack. */
struct pack *pack_replace(struct pack *p, uint32_t off, struct rs_str s);

/* Remove count elements starting at off; returns the (possibly moved) pack. */
struct pack *pack_delete(struct pack *p, uint32_t off, uint32_t count);

#endif
