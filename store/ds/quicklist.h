/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (quicklist.c): a doubly linked list of packed chunks, as
 * Redis's quicklist. Push and pop at either end are O(1) amortised; an
 * element is reached through the chunks from the nearer end of the list,
 * then through its chunk from the nearer end of the chunk. Chunks hold at
 * most list-max-listpack-size elements (positive fill) or about that many
 * bytes as a Redis listpack would take (negative fill: 4 KB...64 KB), and
 * elements too big for a chunk get a chunk of their own.
 *
 * Positions (struct ql_pos) and element slices are borrowed: they stop
 * being valid at the next change of the list.
 */
#ifndef QUICKLIST_H
#define QUICKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

enum ql_where { QL_HEAD = 0, QL_TAIL = 1 };

/* A chunk is allocated as QL_NODE_HDR + cap bytes: the header's 36 bytes,
 * not sizeof's 40 (most lists are one small chunk, and 8 bytes more often
 * push a block into jemalloc's next size class). */
struct ql_node {
    struct ql_node *prev, *next;
    uint32_t n : 31;     /* elements (each takes at least 2 of buf's < 4 GiB) */
    uint32_t plain : 1;  /* one element too big to share a chunk */
    uint32_t head, tail; /* the elements are buf[head, tail) */
    uint32_t cap;        /* bytes of buf */
    uint32_t lpsz;       /* bytes of these elements as a Redis listpack
                          * (limits), whose size is 32 bits as well */
    char buf[];
};

#define QL_NODE_HDR offsetof(struct ql_node, buf)
_Static_assert(QL_NODE_HDR == 36, "a chunk's header is 36 bytes");

/* 48 bytes, a jemalloc class: every list has one, most lists are small. */
struct quicklist {
    struct ql_node *head, *tail;
    uint64_t count;   /* elements */
    size_t bytes;     /* allocated bytes, this struct and its chunks */
    uint32_t nnodes;
    uint32_t packed_threshold; /* elements of at least this many bytes are
                                * plain; below 4 GiB, as DEBUG
                                * QUICKLIST-PACKED-THRESHOLD bounds it */
    int16_t fill;     /* list-max-listpack-size when it became a quicklist,
                       * within [-5, 32767] as Redis's 16-bit field keeps it */
    bool listpack;    /* Redis's listpack form: one chunk, pushes ignore the limits */
};

_Static_assert(sizeof(struct quicklist) == 48, "a quicklist is 48 bytes (jemalloc's class)");

/* An element's place: its chunk and its byte offset there. */
struct ql_pos {
    struct ql_node *node;
    uint32_t off;
};

/* Redis's packed_threshold when DEBUG QUICKLIST-PACKED-THRESHOLD set none:
 * then the fill's size limit decides what is plain. */
#define QL_DEFAULT_PACKED_THRESHOLD ((uint32_t)1 << 30)

/* An empty list with chunks limited by fill (list-max-listpack-size,
 * clamped as Redis's quicklistSetFill), in its listpack form. */
struct quicklist *ql_new(int fill, uint32_t packed_threshold);
/* Chunks from now on limited by fill, clamped as by ql_new. */
void ql_set_fill(struct quicklist *ql, int fill);
void ql_free(struct quicklist *ql);
/* ql_free in slices (lazy freeing): frees chunks from the head until
 * *work (one unit a chunk) is spent. True once the list is freed; until
 * then it is fit for nothing but this. The work it needs is nnodes. */
bool ql_free_some(struct quicklist *ql, int64_t *work);
/* A deep copy. O(bytes). */
struct quicklist *ql_dup(const struct quicklist *ql);
/* A copy of the chunk nd alone, unlinked. O(bytes). */
struct ql_node *ql_node_dup(const struct ql_node *nd);

/* The bytes of a chunk of cap bytes of room: its header and the room, and
 * never less than the struct (a few bytes of room are never all). */
static inline size_t ql_node_size(uint32_t cap)
{
    size_t b = QL_NODE_HDR + cap;
    return b < sizeof(struct ql_node) ? sizeof(struct ql_node) : b;
}

/* A list in its listpack form kept as its one chunk alone, with no struct
 * of its own (keyspace/list.c; NULL: no chunk yet): *view becomes a
 * quicklist of that chunk, whose bytes count the chunk only, and which
 * the ql_* functions change as any other (the chunk may move, go, or
 * have neighbours once the list takes its quicklist form). Inline: every
 * command on such a list starts here. */
static inline void ql_view(struct quicklist *view, struct ql_node *nd)
{
    /* fill is Redis's default: a listpack's pushes ignore it, and
     * list_as_quicklist sets the configured one when the form changes. */
    view->head = view->tail = nd;
    view->count = nd ? nd->n : 0;
    view->bytes = nd ? ql_node_size(nd->cap) : 0;
    view->nnodes = nd != NULL;
    view->packed_threshold = QL_DEFAULT_PACKED_THRESHOLD;
    view->fill = -2;
    view->listpack = true;
}
/* A struct quicklist of its own for the chunks of view (ql_view's, its
 * bytes then counting the struct too). */
struct quicklist *ql_own(const struct quicklist *view);
/* What Redis's quicklist nodes weigh together (DEBUG OBJECT's
 * ql_uncompressed_size): each chunk as its listpack's bytes, a plain one
 * as its element's length. O(chunks). */
size_t ql_lp_bytes(const struct quicklist *ql);

/* Bytes the listpack of Redis would take for the element s (its header,
 * its bytes or integer, its back length), and for an empty listpack. */
size_t ql_lp_entry_size(struct rs_str s);
#define QL_LP_EMPTY 7
/* Would a chunk of sz listpack bytes and count elements pass the limits
 * of fill? (Redis quicklistNodeExceedsLimit.) */
bool ql_exceeds(int fill, size_t sz, uint64_t count);
/* The limits of one chunk under fill: bytes (SIZE_MAX if none) and
 * elements (UINT64_MAX if none). */
void ql_limits(int fill, size_t *sz, uint64_t *count);

/* Add s (copied) at an end. O(1) amortised. */
void ql_push(struct quicklist *ql, struct rs_str s, enum ql_where where);
/* ql_push of v[0..n) in turn (LPUSH and RPUSH's order). */
void ql_push_many(struct quicklist *ql, const struct rs_str *v, size_t n, enum ql_where where);
/* Add s at the tail in a chunk of its own (unless the list is in its
 * listpack form, one chunk): loading starts each RDB node so, and the
 * ql_push calls after it fill that chunk, so chunks stay the file's. The
 * chunk gets room for about `room` bytes of elements (the node's listpack
 * size, which a chunk of the same elements is close to), so that those
 * pushes do not reallocate it. */
void ql_push_chunk(struct quicklist *ql, struct rs_str s, size_t room);
/* The first or last element (the list must not be empty). */
struct ql_pos ql_end(const struct quicklist *ql, enum ql_where where);
/* Remove the first or last element. O(1) amortised. */
void ql_pop(struct quicklist *ql, enum ql_where where);

/* The element at pos, and the position of the next one (towards the tail)
 * or of the previous one; false at the end of the list. */
struct rs_str ql_get(struct ql_pos pos);
bool ql_next(struct ql_pos *pos);
/* ql_get then ql_next in one step: the element at *pos, and *more says
 * whether *pos moved on to the next one. */
struct rs_str ql_read(struct ql_pos *pos, bool *more);
bool ql_prev(struct ql_pos *pos);
/* The position of element idx (0-based from the head, negative from the
 * tail); false if out of range. O(distance from the nearer end). */
bool ql_index(const struct quicklist *ql, long long idx, struct ql_pos *pos);

/* Replace the element at pos by s; pos stays valid (it may move). */
void ql_replace(struct quicklist *ql, struct ql_pos *pos, struct rs_str s);
/* Insert s before or after the element at pos. pos is then invalid. */
void ql_insert(struct quicklist *ql, struct ql_pos pos, struct rs_str s, bool after);
/* Delete the element at pos; *pos becomes the next element in the
 * direction `forward` (towards the tail when true); false if there is
 * none. */
bool ql_delete(struct quicklist *ql, struct ql_pos *pos, bool forward);
/* Delete n elements from an end. O(n) chunks, O(1) per whole chunk. */
void ql_trim(struct quicklist *ql, enum ql_where where, uint64_t n);

#endif
