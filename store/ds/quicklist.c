/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (quicklist.h): a doubly linked list of chunks of packed
 * elements.
 *
 * Chunk format. A chunk's buffer keeps its elements in buf[head, tail),
 * with free room on both sides, so that a push at either end writes into
 * the room (no allocation, no copy) and only a full side makes the chunk
 * grow or re-centre its bytes: by half from 1 KB on (amortised O(1)),
 * below that to just the allocator's size class it needs (node_room: small
 * lists keep no slack, and a small chunk's copy is cheap). Each element is
 *
 *     varint(len)  bytes  backvarint(len)
 *
 * where varint is LEB128 (7 bits a byte, low bits first, high bit on every
 * byte but the last) and backvarint the same groups stored backwards, so
 * the element before any offset is found by reading from its end, as
 * listpack's back length does: "ab" is 02 'a' 'b' 02. pack.c's arrays have
 * no back length and no room at the front (they serve hashes and sets,
 * which never pop from the end), hence this format of its own.
 *
 * Limits. Chunks are filled as Redis fills its listpack nodes: every chunk
 * tracks lpsz, the bytes its elements would take in a Redis listpack
 * (integers encoded as integers), and a push goes into the end chunk only
 * while lpsz + len + 8 stays within list-max-listpack-size (Redis's
 * _quicklistNodeAllowInsert), so chunk boundaries -- and the listpack /
 * quicklist conversions t_list.c bases on them -- fall where Redis's do.
 * An element too big for a chunk of the fill's size limit (8 KB under a
 * positive fill), or of at least packed_threshold bytes once DEBUG
 * QUICKLIST-PACKED-THRESHOLD set one, gets a plain chunk of its own
 * (Redis 7.4's isLargeElement), so RDB nodes are Redis's.
 *
 * list-compress-depth is accepted by CONFIG but chunks are never
 * compressed: respite keeps lists uncompressed.
 */
#include <stdint.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/quicklist.h"
#include "resp_num.h"

#define SIZE_SAFETY_LIMIT 8192    /* a count-limited chunk's byte cap, Redis's */
#define SIZE_ESTIMATE_OVERHEAD 8  /* Redis's margin when judging a push */
#define MIN_CAP 32
#define GROW_EXACT_BELOW 1024 /* node_room */

static const size_t optimization_level[] = {4096, 8192, 16384, 32768, 65536};

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

void ql_limits(int fill, size_t *sz, uint64_t *count)
{
    *sz = SIZE_MAX;
    *count = UINT64_MAX;
    if (fill >= 0) {
        *count = fill == 0 ? 1 : (uint64_t)fill;
    } else {
        size_t off = (size_t)(-(long long)fill) - 1;
        size_t nlevels = sizeof optimization_level / sizeof optimization_level[0];
        *sz = optimization_level[off < nlevels ? off : nlevels - 1];
    }
}

bool ql_exceeds(int fill, size_t sz, uint64_t count)
{
    size_t sz_limit;
    uint64_t count_limit;
    ql_limits(fill, &sz_limit, &count_limit);
    if (sz_limit != SIZE_MAX)
        return sz > sz_limit;
    return sz > SIZE_SAFETY_LIMIT || count > count_limit;
}

static size_t lp_backlen_size(size_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

size_t ql_lp_entry_size(struct rs_str s)
{
    long long v;
    size_t enc;
    if (resp_str2ll_maybe(s.p, s.len, &v)) {
        if (v >= 0 && v <= 127)
            enc = 1;
        else if (v >= -4096 && v <= 4095)
            enc = 2;
        else if (v >= -32768 && v <= 32767)
            enc = 3;
        else if (v >= -8388608 && v <= 8388607)
            enc = 4;
        else if (v >= INT32_MIN && v <= INT32_MAX)
            enc = 5;
        else
            enc = 9;
    } else if (s.len < 64) {
        enc = 1 + s.len;
    } else if (s.len < 4096) {
        enc = 2 + s.len;
    } else {
        enc = 5 + s.len;
    }
    return enc + lp_backlen_size(enc);
}

static bool is_large(const struct quicklist *ql, size_t len)
{
    if (ql->packed_threshold != QL_DEFAULT_PACKED_THRESHOLD)
        return len >= ql->packed_threshold;
    size_t sz;
    uint64_t count;
    ql_limits(ql->fill, &sz, &count);
    return len > (sz == SIZE_MAX ? SIZE_SAFETY_LIMIT : sz);
}

static bool allow_insert(const struct quicklist *ql, const struct ql_node *nd, size_t len)
{
    if (!nd || nd->plain || is_large(ql, len))
        return false;
    return !ql_exceeds(ql->fill, nd->lpsz + len + SIZE_ESTIMATE_OVERHEAD, (uint64_t)nd->n + 1);
}

/* ------------------------------------------------------------------------
 * Elements inside a chunk
 * ------------------------------------------------------------------------ */

static inline uint32_t varint_len(size_t v)
{
    uint32_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Bytes an element of len bytes takes in a chunk. */
static inline uint32_t elem_size(size_t len)
{
    return 2 * varint_len(len) + (uint32_t)len;
}

static void elem_put(char *dst, struct rs_str s)
{
    if (s.len < 0x80) { /* most elements: one length byte each side */
        dst[0] = dst[s.len + 1] = (char)s.len;
        memcpy(dst + 1, s.p, s.len);
        return;
    }
    uint32_t k = varint_len(s.len);
    size_t v = s.len;
    char *back = dst + k + s.len + k - 1;
    for (uint32_t i = 0; i < k; i++, v >>= 7) {
        char byte = (char)((v & 0x7f) | (i + 1 < k ? 0x80 : 0));
        dst[i] = byte;
        back[-(ptrdiff_t)i] = byte;
    }
    if (s.len)
        memcpy(dst + k, s.p, s.len);
}

/* The element starting at off, and in *next the offset after it. */
static inline struct rs_str elem_at(const char *buf, uint32_t off, uint32_t *next)
{
    const unsigned char *p = (const unsigned char *)buf + off;
    size_t len = p[0] & 0x7f;
    uint32_t k = 1;
    if (p[0] & 0x80) {
        int shift = 7;
        do {
            len |= (size_t)(p[k] & 0x7f) << shift;
            shift += 7;
        } while (p[k++] & 0x80);
    }
    if (next)
        *next = off + 2 * k + (uint32_t)len;
    return rs_str_from(buf + off + k, len);
}

/* The offset of the element that ends at end. */
static inline uint32_t elem_before(const char *buf, uint32_t end)
{
    const unsigned char *p = (const unsigned char *)buf + end - 1;
    size_t len = *p & 0x7f;
    uint32_t k = 1;
    int shift = 7;
    while (*p & 0x80) {
        p--;
        len |= (size_t)(*p & 0x7f) << shift;
        shift += 7;
        k++;
    }
    return end - 2 * k - (uint32_t)len;
}

/* ------------------------------------------------------------------------
 * Chunks
 * ------------------------------------------------------------------------ */

static size_t node_bytes(const struct ql_node *nd)
{
    return ql_node_size(nd->cap);
}

/* The room of nd as the allocator gave it: what its size class holds past
 * the header (as much as was asked under a malloc that keeps no classes,
 * ASan's), so that pushes use that slack before growing the chunk. */
static uint32_t node_room_of(const struct ql_node *nd)
{
    size_t room = rs_alloc_size(nd) - QL_NODE_HDR;
    return room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
}

/* A chunk, not yet linked, with cap bytes of room on the side `where`
 * will be filled from. */
static struct ql_node *node_new(struct quicklist *ql, uint32_t cap, enum ql_where where)
{
    struct ql_node *nd = rs_malloc(ql_node_size(cap));
    nd->prev = nd->next = NULL;
    nd->n = 0;
    cap = nd->cap = node_room_of(nd);
    nd->head = nd->tail = where == QL_HEAD ? cap : 0;
    nd->lpsz = QL_LP_EMPTY;
    nd->plain = false;
    ql->bytes += node_bytes(nd);
    return nd;
}

/* Link nd after `after`, or first when after is NULL. */
static void node_link(struct quicklist *ql, struct ql_node *nd, struct ql_node *after)
{
    nd->prev = after;
    nd->next = after ? after->next : ql->head;
    if (nd->next)
        nd->next->prev = nd;
    else
        ql->tail = nd;
    if (after)
        after->next = nd;
    else
        ql->head = nd;
    ql->nnodes++;
}

static void node_unlink_free(struct quicklist *ql, struct ql_node *nd)
{
    if (nd->prev)
        nd->prev->next = nd->next;
    else
        ql->head = nd->next;
    if (nd->next)
        nd->next->prev = nd->prev;
    else
        ql->tail = nd->prev;
    ql->nnodes--;
    ql->count -= nd->n;
    ql->bytes -= node_bytes(nd);
    rs_free(nd);
}

/* nd was reallocated: point its neighbours (or the list) at it again. */
static void node_relink(struct quicklist *ql, struct ql_node *nd)
{
    if (nd->prev)
        nd->prev->next = nd;
    else
        ql->head = nd;
    if (nd->next)
        nd->next->prev = nd;
    else
        ql->tail = nd;
}

/* Reallocate nd (its bytes stay at their offsets) with at least cap bytes
 * of room. Returns nd, which may have moved, linked in its place. */
static struct ql_node *node_resize(struct quicklist *ql, struct ql_node *nd, uint32_t cap)
{
    ql->bytes -= node_bytes(nd);
    nd = rs_realloc(nd, ql_node_size(cap));
    nd->cap = node_room_of(nd);
    ql->bytes += node_bytes(nd);
    node_relink(ql, nd);
    return nd;
}

/* Make at least need free bytes on side `where` of nd: grow it when it is
 * nearly full, else move its bytes, leaving the other side at most half
 * the slack. A chunk below GROW_EXACT_BELOW bytes grows to just what it
 * needs (its size class's room): most lists are small, one chunk, built
 * push by push, and the half a bigger chunk grows by would stay empty
 * (Redis's listpack reallocates on every push, exactly). Bigger chunks
 * grow by half, so a chunk filling up to 8 KB or more is copied a few
 * times, not once every size class. Returns nd, which may have moved. */
static struct ql_node *node_room(struct quicklist *ql, struct ql_node *nd, uint32_t need,
                                 enum ql_where where)
{
    uint32_t side = where == QL_HEAD ? nd->head : nd->cap - nd->tail;
    if (side >= need)
        return nd;
    uint32_t used = nd->tail - nd->head;
    size_t want = (size_t)used + need;
    bool exact = want < GROW_EXACT_BELOW;
    if (nd->cap < want || (!exact && nd->cap < want + want / 4)) {
        size_t cap = exact ? want : want + want / 2;
        nd = node_resize(ql, nd, (uint32_t)(cap < MIN_CAP ? MIN_CAP : cap));
    }
    uint32_t cap = nd->cap;
    uint32_t slack = cap - used;
    uint32_t other = where == QL_HEAD ? cap - nd->tail : nd->head;
    if (other > (slack - need) / 2)
        other = (slack - need) / 2;
    uint32_t head = where == QL_HEAD ? slack - other : other;
    memmove(nd->buf + head, nd->buf + nd->head, used);
    nd->head = head;
    nd->tail = head + used;
    return nd;
}

/* Give back all the room of a chunk that takes no more pushes (growing by
 * half leaves a full chunk up to a third empty). Returns nd, which may
 * have moved. */
static struct ql_node *node_seal(struct quicklist *ql, struct ql_node *nd)
{
    uint32_t used = nd->tail - nd->head;
    if (nd->cap - used < 64)
        return nd; /* not worth a reallocation */
    memmove(nd->buf, nd->buf + nd->head, used);
    nd->head = 0;
    nd->tail = used;
    return node_resize(ql, nd, used);
}

/* Give back the room of a chunk that is mostly empty. Returns nd, which
 * may have moved; offsets relative to nd->head stay valid. */
static struct ql_node *node_shrink(struct quicklist *ql, struct ql_node *nd)
{
    uint32_t used = nd->tail - nd->head;
    if (nd->cap <= 4 * MIN_CAP || used >= nd->cap / 4)
        return nd;
    uint32_t cap = used * 2 < MIN_CAP ? MIN_CAP : used * 2;
    uint32_t head = (cap - used) / 2;
    memmove(nd->buf + head, nd->buf + nd->head, used);
    nd->head = head;
    nd->tail = head + used;
    return node_resize(ql, nd, cap);
}

/* Replace the oldn bytes at off by room for newn bytes, moving the shorter
 * side of the chunk. Returns where the newn bytes start. */
static uint32_t node_splice(struct quicklist *ql, struct ql_node **ndp, uint32_t off, uint32_t oldn,
                            uint32_t newn)
{
    struct ql_node *nd = *ndp;
    uint32_t before = off - nd->head;
    uint32_t after = nd->tail - off - oldn;
    if (newn > oldn) {
        uint32_t grow = newn - oldn;
        enum ql_where w = before < after ? QL_HEAD : QL_TAIL;
        nd = node_room(ql, nd, grow, w);
        off = nd->head + before;
        if (w == QL_HEAD) {
            memmove(nd->buf + nd->head - grow, nd->buf + nd->head, before);
            nd->head -= grow;
            off -= grow;
        } else {
            memmove(nd->buf + off + newn, nd->buf + off + oldn, after);
            nd->tail += grow;
        }
    } else if (newn < oldn) {
        uint32_t cut = oldn - newn;
        if (before < after) {
            memmove(nd->buf + nd->head + cut, nd->buf + nd->head, before);
            nd->head += cut;
            off += cut;
        } else {
            memmove(nd->buf + off + newn, nd->buf + off + oldn, after);
            nd->tail -= cut;
        }
    }
    *ndp = nd;
    return off;
}

/* Write s at an end of nd; returns nd, which may have moved. */
static struct ql_node *node_put(struct quicklist *ql, struct ql_node *nd, struct rs_str s,
                                enum ql_where where)
{
    uint32_t need = elem_size(s.len);
    nd = node_room(ql, nd, need, where);
    if (where == QL_HEAD) {
        nd->head -= need;
        elem_put(nd->buf + nd->head, s);
    } else {
        elem_put(nd->buf + nd->tail, s);
        nd->tail += need;
    }
    nd->n++;
    nd->lpsz += ql_lp_entry_size(s);
    ql->count++;
    return nd;
}

/* Write s at offset at inside nd (which may move). */
static void node_insert_at(struct quicklist *ql, struct ql_node *nd, uint32_t at, struct rs_str s)
{
    uint32_t off = node_splice(ql, &nd, at, 0, elem_size(s.len));
    elem_put(nd->buf + off, s);
    nd->n++;
    nd->lpsz += ql_lp_entry_size(s);
    ql->count++;
}

/* A new chunk holding s alone, linked after `after` (NULL: first), with
 * room for at least guess bytes unless s is plain. */
static void node_add_with(struct quicklist *ql, struct ql_node *after, struct rs_str s,
                          enum ql_where fill_from, uint32_t guess)
{
    uint32_t es = elem_size(s.len);
    bool plain = !ql->listpack && is_large(ql, s.len);
    uint32_t cap = plain ? es : es + (es < 64 ? MIN_CAP : es / 4);
    if (!plain && guess > cap)
        cap = guess;
    struct ql_node *nd = node_new(ql, cap, fill_from);
    nd->plain = plain;
    node_link(ql, nd, after);
    node_put(ql, nd, s, fill_from);
}

/* Move the elements of nd from offset at on into a new chunk after nd;
 * returns that chunk (nd itself may move). */
static struct ql_node *node_split(struct quicklist *ql, struct ql_node *nd, uint32_t at)
{
    uint32_t bytes = nd->tail - at, n = 0;
    size_t lpsz = 0;
    for (uint32_t off = at; off < nd->tail; n++)
        lpsz += ql_lp_entry_size(elem_at(nd->buf, off, &off));
    struct ql_node *r = node_new(ql, bytes < MIN_CAP ? MIN_CAP : bytes, QL_TAIL);
    memcpy(r->buf, nd->buf + at, bytes);
    r->tail = bytes;
    r->n = n;
    r->lpsz = QL_LP_EMPTY + lpsz;
    nd->tail = at;
    nd->n -= n;
    nd->lpsz -= lpsz;
    node_link(ql, r, nd);
    node_shrink(ql, nd);
    return r;
}

/* Redis's _quicklistNodeAllowMerge: would a and b together (one listpack
 * header fewer) pass the limits? */
static bool allow_merge(const struct quicklist *ql, const struct ql_node *a,
                        const struct ql_node *b)
{
    if (!a || !b || a->plain || b->plain)
        return false;
    return !ql_exceeds(ql->fill, a->lpsz + b->lpsz - QL_LP_EMPTY, (uint64_t)a->n + b->n);
}

/* Move the elements of b to the end of a, the chunk before it, and free
 * b. Returns a, which may have moved. */
static struct ql_node *node_merge(struct quicklist *ql, struct ql_node *a, struct ql_node *b)
{
    uint32_t bytes = b->tail - b->head;
    a = node_room(ql, a, bytes, QL_TAIL);
    memcpy(a->buf + a->tail, b->buf + b->head, bytes);
    a->tail += bytes;
    a->n += b->n;
    a->lpsz += b->lpsz - QL_LP_EMPTY;
    ql->count += b->n; /* node_unlink_free takes them off again */
    node_unlink_free(ql, b);
    return a;
}

/* Redis's _quicklistMergeNodes after a split: merge the two chunks before
 * center, the two after it, then center with its neighbours, where the
 * limits allow. */
static void merge_around(struct quicklist *ql, struct ql_node *center)
{
    struct ql_node *prev = center->prev;
    if (prev && allow_merge(ql, prev->prev, prev))
        node_merge(ql, prev->prev, prev);
    struct ql_node *next = center->next;
    if (next && allow_merge(ql, next, next->next))
        node_merge(ql, next, next->next);
    struct ql_node *target = center;
    if (allow_merge(ql, center->prev, center))
        target = node_merge(ql, center->prev, center);
    if (allow_merge(ql, target, target->next))
        node_merge(ql, target, target->next);
}

/* ------------------------------------------------------------------------
 * The list
 * ------------------------------------------------------------------------ */

void ql_set_fill(struct quicklist *ql, int fill)
{
    ql->fill = (int16_t)(fill > INT16_MAX ? INT16_MAX : fill < -5 ? -5 : fill);
}

struct quicklist *ql_new(int fill, uint32_t packed_threshold)
{
    struct quicklist *ql = rs_calloc(1, sizeof *ql);
    ql_set_fill(ql, fill);
    ql->packed_threshold = packed_threshold;
    ql->listpack = true;
    ql->bytes = sizeof *ql;
    return ql;
}

void ql_free(struct quicklist *ql)
{
    int64_t work = INT64_MAX;
    ql_free_some(ql, &work);
}

bool ql_free_some(struct quicklist *ql, int64_t *work)
{
    while (ql->head) {
        if (*work <= 0)
            return false;
        struct ql_node *nd = ql->head;
        ql->head = nd->next;
        rs_free(nd);
        (*work)--;
    }
    rs_free(ql);
    (*work)--;
    return true;
}

struct ql_node *ql_node_dup(const struct ql_node *nd)
{
    struct ql_node *c = rs_malloc(node_bytes(nd));
    memcpy(c, nd, node_bytes(nd));
    c->prev = c->next = NULL;
    return c;
}

struct quicklist *ql_dup(const struct quicklist *ql)
{
    struct quicklist *d = ql_new(ql->fill, ql->packed_threshold);
    d->listpack = ql->listpack;
    for (const struct ql_node *nd = ql->head; nd; nd = nd->next) {
        struct ql_node *c = ql_node_dup(nd);
        d->bytes += node_bytes(c);
        node_link(d, c, d->tail);
    }
    d->count = ql->count;
    return d;
}

struct quicklist *ql_own(const struct quicklist *view)
{
    struct quicklist *ql = rs_malloc(sizeof *ql);
    *ql = *view;
    ql->bytes += sizeof *ql;
    return ql;
}

void ql_push(struct quicklist *ql, struct rs_str s, enum ql_where where)
{
    struct ql_node *end = where == QL_HEAD ? ql->head : ql->tail;
    if (end && (ql->listpack || allow_insert(ql, end, s.len))) {
        node_put(ql, end, s, where);
        return;
    }
    /* The end chunk is full: sealed, and half its size is where the next
     * starts (chunks of a list tend to fill alike), so a chunk is grown a
     * couple of times, not a dozen. */
    uint32_t guess = 0;
    if (end && !end->plain) {
        end = node_seal(ql, end);
        guess = (end->tail - end->head) / 2; /* not cap: its size class */
    }
    node_add_with(ql, where == QL_HEAD ? NULL : ql->tail, s, where, guess);
}

void ql_push_many(struct quicklist *ql, const struct rs_str *v, size_t n, enum ql_where where)
{
    size_t i = 0;
    if (ql->listpack && n > 1) {
        /* A list in its listpack form (one chunk): the chunk is sized for
         * all of them at once, not grown push after push (a new list's
         * slack was a good part of a small list's bytes; an old one's
         * chunk would be reallocated once a size class). */
        size_t bytes = 0;
        for (size_t j = 0; j < n; j++)
            bytes += elem_size(v[j].len);
        uint32_t room = bytes < UINT32_MAX / 2 ? (uint32_t)bytes : 0;
        if (ql->head == NULL)
            node_add_with(ql, NULL, v[i++], where, room);
        else if (room)
            node_room(ql, ql->head, room, where);
    }
    for (; i < n; i++)
        ql_push(ql, v[i], where);
}

void ql_push_chunk(struct quicklist *ql, struct rs_str s, size_t room)
{
    if (ql->listpack && ql->tail)
        ql_push(ql, s, QL_TAIL);
    else
        node_add_with(ql, ql->tail, s, QL_TAIL, room < UINT32_MAX ? (uint32_t)room : 0);
}

struct ql_pos ql_end(const struct quicklist *ql, enum ql_where where)
{
    if (where == QL_HEAD)
        return (struct ql_pos){ql->head, ql->head->head};
    return (struct ql_pos){ql->tail, elem_before(ql->tail->buf, ql->tail->tail)};
}

void ql_pop(struct quicklist *ql, enum ql_where where)
{
    struct ql_pos pos = ql_end(ql, where);
    ql_delete(ql, &pos, where == QL_HEAD);
}

size_t ql_lp_bytes(const struct quicklist *ql)
{
    size_t sz = 0;
    for (const struct ql_node *nd = ql->head; nd; nd = nd->next)
        sz += nd->plain ? elem_at(nd->buf, nd->head, NULL).len : nd->lpsz;
    return sz;
}

struct rs_str ql_get(struct ql_pos pos)
{
    return elem_at(pos.node->buf, pos.off, NULL);
}

bool ql_next(struct ql_pos *pos)
{
    uint32_t next;
    elem_at(pos->node->buf, pos->off, &next);
    if (next < pos->node->tail) {
        pos->off = next;
        return true;
    }
    if (!pos->node->next)
        return false;
    pos->node = pos->node->next;
    pos->off = pos->node->head;
    return true;
}

struct rs_str ql_read(struct ql_pos *pos, bool *more)
{
    uint32_t next;
    struct rs_str e = elem_at(pos->node->buf, pos->off, &next);
    if (next < pos->node->tail) {
        pos->off = next;
        *more = true;
    } else if (pos->node->next) {
        pos->node = pos->node->next;
        pos->off = pos->node->head;
        *more = true;
    } else {
        *more = false;
    }
    return e;
}

bool ql_prev(struct ql_pos *pos)
{
    if (pos->off > pos->node->head) {
        pos->off = elem_before(pos->node->buf, pos->off);
        return true;
    }
    if (!pos->node->prev)
        return false;
    pos->node = pos->node->prev;
    pos->off = elem_before(pos->node->buf, pos->node->tail);
    return true;
}

bool ql_index(const struct quicklist *ql, long long idx, struct ql_pos *pos)
{
    bool forward = idx >= 0;
    uint64_t i = forward ? (uint64_t)idx : (uint64_t)(-(idx + 1));
    if (i >= ql->count)
        return false;
    if (i > ql->count / 2) {
        forward = !forward;
        i = ql->count - 1 - i;
    }
    struct ql_node *nd = forward ? ql->head : ql->tail;
    while (i >= nd->n) {
        i -= nd->n;
        nd = forward ? nd->next : nd->prev;
    }
    /* i counts from the chunk's first element (forward) or last; walk
     * from the chunk's nearer end. */
    if (i > nd->n / 2) {
        forward = !forward;
        i = nd->n - 1 - i;
    }
    uint32_t off;
    if (forward) {
        off = nd->head;
        while (i--)
            elem_at(nd->buf, off, &off);
    } else {
        off = nd->tail;
        do
            off = elem_before(nd->buf, off);
        while (i--);
    }
    pos->node = nd;
    pos->off = off;
    return true;
}

void ql_replace(struct quicklist *ql, struct ql_pos *pos, struct rs_str s)
{
    struct ql_node *nd = pos->node;
    uint32_t next;
    struct rs_str old = elem_at(nd->buf, pos->off, &next);
    nd->lpsz -= ql_lp_entry_size(old);
    uint32_t off = node_splice(ql, &nd, pos->off, next - pos->off, elem_size(s.len));
    elem_put(nd->buf + off, s);
    nd->lpsz += ql_lp_entry_size(s);
    nd->plain = !ql->listpack && nd->n == 1 && is_large(ql, s.len);
    pos->node = nd;
    pos->off = off;
}

/* Redis's _quicklistInsert: into the chunk while it has room, else into
 * the neighbouring chunk when the new element goes at the chunk's edge,
 * else into a new chunk at that edge, else the chunk is split there. */
void ql_insert(struct quicklist *ql, struct ql_pos pos, struct rs_str s, bool after)
{
    struct ql_node *nd = pos.node;
    uint32_t next;
    elem_at(nd->buf, pos.off, &next);
    uint32_t at = after ? next : pos.off;
    bool large = is_large(ql, s.len);
    if (ql->listpack || (!large && allow_insert(ql, nd, s.len))) {
        node_insert_at(ql, nd, at, s);
        return;
    }
    bool at_tail = at == nd->tail, at_head = at == nd->head;
    if (at_tail && allow_insert(ql, nd->next, s.len)) {
        node_put(ql, nd->next, s, QL_HEAD);
    } else if (at_head && allow_insert(ql, nd->prev, s.len)) {
        node_put(ql, nd->prev, s, QL_TAIL);
    } else if (at_tail || at_head) {
        node_add_with(ql, at_tail ? nd : nd->prev, s, at_tail ? QL_HEAD : QL_TAIL, 0);
    } else {
        struct ql_node *right = node_split(ql, nd, at);
        if (large) {
            node_add_with(ql, right->prev, s, QL_TAIL, 0);
        } else if (after) {
            /* The pivot's chunk is the left half: merges centre there. */
            right = node_put(ql, right, s, QL_HEAD);
            merge_around(ql, right->prev);
        } else {
            node_put(ql, right->prev, s, QL_TAIL);
            merge_around(ql, right);
        }
    }
}

bool ql_delete(struct quicklist *ql, struct ql_pos *pos, bool forward)
{
    struct ql_node *nd = pos->node;
    if (nd->n == 1) {
        struct ql_node *nn = forward ? nd->next : nd->prev;
        node_unlink_free(ql, nd);
        if (!nn)
            return false;
        pos->node = nn;
        pos->off = forward ? nn->head : elem_before(nn->buf, nn->tail);
        return true;
    }
    uint32_t next;
    nd->lpsz -= ql_lp_entry_size(elem_at(nd->buf, pos->off, &next));
    /* With nothing put in its place, the splice leaves off at the element
     * that followed the deleted one (or at the tail). */
    uint32_t off = node_splice(ql, &nd, pos->off, next - pos->off, 0);
    nd->n--;
    ql->count--;
    uint32_t rel = off - nd->head;
    nd = node_shrink(ql, nd);
    off = nd->head + rel;
    if (forward) {
        if (off < nd->tail) {
            *pos = (struct ql_pos){nd, off};
            return true;
        }
        if (!nd->next)
            return false;
        *pos = (struct ql_pos){nd->next, nd->next->head};
        return true;
    }
    if (off > nd->head) {
        *pos = (struct ql_pos){nd, elem_before(nd->buf, off)};
        return true;
    }
    if (!nd->prev)
        return false;
    *pos = (struct ql_pos){nd->prev, elem_before(nd->prev->buf, nd->prev->tail)};
    return true;
}

void ql_trim(struct quicklist *ql, enum ql_where where, uint64_t n)
{
    while (n > 0) {
        struct ql_node *nd = where == QL_HEAD ? ql->head : ql->tail;
        if (n >= nd->n) {
            n -= nd->n;
            node_unlink_free(ql, nd);
            continue;
        }
        size_t lpsz = 0;
        if (where == QL_HEAD) {
            uint32_t off = nd->head;
            for (uint64_t i = 0; i < n; i++)
                lpsz += ql_lp_entry_size(elem_at(nd->buf, off, &off));
            nd->head = off;
        } else {
            uint32_t off = nd->tail;
            for (uint64_t i = 0; i < n; i++) {
                off = elem_before(nd->buf, off);
                lpsz += ql_lp_entry_size(elem_at(nd->buf, off, NULL));
            }
            nd->tail = off;
        }
        nd->n -= (uint32_t)n;
        nd->lpsz -= lpsz;
        ql->count -= n;
        node_shrink(ql, nd);
        n = 0;
    }
}
