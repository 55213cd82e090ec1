/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Packed arrays of byte strings (pack.h), the "listpack" of small hashes.
 *
 * Format: struct pack (element count, bytes used) followed by the elements
 * back to back, each one its length as a LEB128 varint (7 bits a byte, low
 * bits first, high bit set on every byte but the last) then its bytes:
 *
 *     "a", "hello"  ->  01 'a' 05 'h' 'e' 'l' 'l' 'o'
 *
 * The allocation is the size class of the elements' bytes (a change
 * reallocates when they outgrow it or shrink; pack_reserve makes room
 * ahead), so a pack costs its header plus one to five bytes of length per
 * element.
 * A hash stores field, value, field, value...; lookups walk the buffer.
 * With deadlines (pack.h: packex_*) a hash stores field, value, deadline...
 * and a set member, deadline...
 */
#include <assert.h>
#include <malloc.h>
#include <string.h>

#include "ds/mem.h"
#include "ds/pack.h"
#include "ds/util.h"

static size_t varint_len(size_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void varint_put(char *dst, size_t v)
{
    while (v >= 0x80) {
        *dst++ = (char)(0x80 | (v & 0x7f));
        v >>= 7;
    }
    *dst = (char)v;
}

struct pack *pack_new(void)
{
    struct pack *p = rs_malloc(sizeof *p);
    p->n = 0;
    p->len = 0;
    return p;
}

void pack_free(struct pack *p)
{
    rs_free(p);
}

struct pack *pack_dup(const struct pack *p)
{
    struct pack *d = rs_malloc(sizeof *p + p->len);
    memcpy(d, p, sizeof *p + p->len);
    return d;
}

bool pack_safe_to_add(const struct pack *p, size_t add)
{
    size_t len = p ? p->len : 0;
    return add <= PACK_SAFE_BYTES - len;
}

struct rs_str pack_get(const struct pack *p, uint32_t off, uint32_t *next)
{
    const unsigned char *s = (const unsigned char *)p->buf + off;
    size_t len = 0;
    int shift = 0;
    while (*s & 0x80) {
        len |= (size_t)(*s++ & 0x7f) << shift;
        shift += 7;
    }
    len |= (size_t)*s++ << shift;
    uint32_t start = (uint32_t)((const char *)s - p->buf);
    if (next)
        *next = start + (uint32_t)len;
    return rs_str_from(p->buf + start, len);
}

uint32_t pack_find(const struct pack *p, struct rs_str s, uint32_t step)
{
    uint32_t off = 0;
    uint32_t gap = 0; /* elements before the next candidate */
    while (off < p->len) {
        uint32_t next;
        struct rs_str e = pack_get(p, off, &next);
        /* The last bytes first: members of one shape ("user:<number>")
         * share a prefix and differ there, and most compares end without
         * a call. */
        if (gap == 0 && e.len == s.len &&
            (s.len == 0 ||
             (e.p[s.len - 1] == s.p[s.len - 1] && memcmp(e.p, s.p, s.len) == 0)))
            return off;
        gap = gap == 0 ? step - 1 : gap - 1;
        off = next;
    }
    return UINT32_MAX;
}

/* The offset after count elements from off. */
static uint32_t skip(const struct pack *p, uint32_t off, uint32_t count)
{
    while (count--)
        pack_get(p, off, &off);
    return off;
}

uint32_t pack_seek(const struct pack *p, uint32_t idx)
{
    return skip(p, 0, idx);
}

/* Replace the old bytes [off, off+oldn) by room for newn bytes. */
static struct pack *splice(struct pack *p, uint32_t off, uint32_t oldn, uint32_t newn)
{
    if (newn == oldn) /* a value overwritten by one as long (HSET's common case) */
        return p;
    uint32_t tail = p->len - off - oldn;
    uint32_t len = p->len - oldn + newn;
    /* Appends to a small pack mostly fit the allocation's size class:
     * realloc only when they do not. */
    if (newn > oldn && sizeof *p + len > malloc_usable_size(p))
        p = rs_realloc(p, sizeof *p + len);
    memmove(p->buf + off + newn, p->buf + off + oldn, tail);
    if (newn < oldn)
        p = rs_realloc(p, sizeof *p + len);
    p->len = len;
    return p;
}

void pack_prefetch(const struct pack *p, bool rest)
{
    if (!rest) {
        __builtin_prefetch(p);
        return;
    }
    /* The lines after the first, which holds the header read here. */
    size_t end = sizeof *p + p->len < 2048 ? sizeof *p + p->len : 2048;
    const char *next = (const char *)(((uintptr_t)p + 64) & ~(uintptr_t)63);
    if ((const char *)p + end > next)
        prefetch_span(next, (size_t)((const char *)p + end - next));
}

size_t pack_elem_bytes(size_t len)
{
    return varint_len(len) + len;
}

struct pack *pack_reserve(struct pack *p, size_t bytes)
{
    if (sizeof *p + bytes <= malloc_usable_size(p))
        return p;
    if (p->len) /* else nothing to copy: a new allocation is cheaper */
        return rs_realloc(p, sizeof *p + bytes);
    rs_free(p);
    p = rs_malloc(sizeof *p + bytes);
    p->n = 0;
    p->len = 0;
    return p;
}

void pack_append_reserved(struct pack *p, struct rs_str s)
{
    if (s.len < 0x80) { /* most elements: a one-byte length */
        assert(sizeof *p + p->len + 1 + s.len <= malloc_usable_size(p));
        p->buf[p->len] = (char)s.len;
        memcpy(p->buf + p->len + 1, s.p, s.len);
        p->len += 1 + (uint32_t)s.len;
        p->n++;
        return;
    }
    uint32_t vl = (uint32_t)varint_len(s.len);
    assert(sizeof *p + p->len + vl + s.len <= malloc_usable_size(p));
    varint_put(p->buf + p->len, s.len);
    if (s.len)
        memcpy(p->buf + p->len + vl, s.p, s.len);
    p->len += vl + (uint32_t)s.len;
    p->n++;
}

struct pack *pack_append(struct pack *p, struct rs_str s)
{
    return pack_insert(p, p->len, s);
}

struct pack *pack_insert(struct pack *p, uint32_t off, struct rs_str s)
{
    uint32_t vl = (uint32_t)varint_len(s.len);
    p = splice(p, off, 0, vl + (uint32_t)s.len);
    varint_put(p->buf + off, s.len);
    if (s.len)
        memcpy(p->buf + off + vl, s.p, s.len);
    p->n++;
    return p;
}

struct pack *pack_replace(struct pack *p, uint32_t off, struct rs_str s)
{
    uint32_t next;
    pack_get(p, off, &next);
    uint32_t vl = (uint32_t)varint_len(s.len);
    p = splice(p, off, next - off, vl + (uint32_t)s.len);
    varint_put(p->buf + off, s.len);
    if (s.len)
        memcpy(p->buf + off + vl, s.p, s.len);
    return p;
}

struct pack *pack_delete(struct pack *p, uint32_t off, uint32_t count)
{
    uint32_t end = skip(p, off, count);
    p = splice(p, off, end - off, 0);
    p->n -= count;
    return p;
}

/* ------------------------------------------------------------------------
 * Packs with deadlines
 * ------------------------------------------------------------------------ */

int64_t packex_deadline(struct rs_str s)
{
    int64_t when = -1;
    if (s.len == sizeof when)
        memcpy(&when, s.p, sizeof when);
    return when;
}

struct rs_str packex_deadline_str(const int64_t *when)
{
    return rs_str_from((const char *)when, *when == -1 ? 0 : sizeof *when);
}

int64_t packex_deadline_at(const struct pack *p, uint32_t per, uint32_t off)
{
    return packex_deadline(pack_get(p, skip(p, off, per - 1), NULL));
}

struct pack *packex_append_none(struct pack *p)
{
    return pack_append(p, rs_str_from(NULL, 0));
}

struct pack *packex_widen(struct pack *p, uint32_t per)
{
    struct pack *w = pack_new();
    uint32_t off = 0;
    while (off < p->len) {
        uint32_t end = skip(p, off, per - 1);
        w = splice(w, w->len, 0, end - off);
        memcpy(w->buf + w->len - (end - off), p->buf + off, end - off);
        w->n += per - 1;
        w = packex_append_none(w);
        off = end;
    }
    pack_free(p);
    return w;
}

/* The offset after the entry at off, and in *when its deadline (-1 if
 * none): each element decoded once. */
static uint32_t entry_end(const struct pack *p, uint32_t per, uint32_t off, int64_t *when)
{
    *when = packex_deadline(pack_get(p, skip(p, off, per - 1), &off));
    return off;
}

/* Where, among the entries other than the one at [self, self_end), an entry
 * with deadline when goes: the offset of the first one with no deadline or
 * a later one, p->len if none. */
static uint32_t place(const struct pack *p, uint32_t per, int64_t when, uint32_t self,
                      uint32_t self_end)
{
    if (when == -1)
        return p->len;
    for (uint32_t off = 0; off < p->len;) {
        if (off == self) {
            off = self_end;
            continue;
        }
        int64_t w;
        uint32_t end = entry_end(p, per, off, &w);
        if (w == -1 || w > when)
            return off;
        off = end;
    }
    return p->len;
}

struct pack *packex_set_deadline(struct pack *p, uint32_t per, uint32_t off, int64_t when)
{
    uint32_t dl = skip(p, off, per - 1); /* the old deadline element */
    uint32_t end;
    pack_get(p, dl, &end);
    uint32_t at = place(p, per, when, off, end);
    struct rs_str d = packex_deadline_str(&when);
    uint32_t dn = (uint32_t)varint_len(d.len) + (uint32_t)d.len;

    /* The entry's elements but its deadline (k bytes) land at dst; the
     * entries between its old place and at move over it by one memmove,
     * and one splice resizes the deadline where it ends up. */
    uint32_t k = dl - off;
    uint32_t dst;
    char small[256];
    char *tmp = NULL;
    if (at != off && at != end) {
        tmp = k <= sizeof small ? small : rs_malloc(k);
        memcpy(tmp, p->buf + off, k);
    }
    if (tmp == NULL) {
        dst = off; /* it stays */
        p = splice(p, dl, end - dl, dn);
    } else if (at < off) {
        /* Earlier: the resize moves only what follows the entry. */
        dst = at;
        p = splice(p, dl, end - dl, dn);
        memmove(p->buf + at + k + dn, p->buf + at, off - at);
    } else {
        /* Later: the resize moves only what follows at. */
        dst = at - (end - off);
        memmove(p->buf + off, p->buf + end, at - end);
        p = splice(p, dst + k, end - dl, dn);
    }
    if (tmp) {
        memcpy(p->buf + dst, tmp, k);
        if (tmp != small)
            rs_free(tmp);
    }
    varint_put(p->buf + dst + k, d.len);
    memcpy(p->buf + dst + k + dn - d.len, d.p, d.len);
    return p;
}

int64_t packex_next(const struct pack *p, uint32_t per)
{
    return p->len ? packex_deadline_at(p, per, 0) : -1;
}

uint32_t packex_due(const struct pack *p, uint32_t per, int64_t now)
{
    uint32_t n = 0;
    for (uint32_t off = 0; off < p->len; n++) {
        int64_t w;
        off = entry_end(p, per, off, &w);
        if (w == -1 || w >= now)
            break;
    }
    return n;
}

uint32_t packex_take_due(struct pack **p, uint32_t per, int64_t now, bool remove)
{
    uint32_t n = packex_due(*p, per, now);
    if (remove && n)
        *p = pack_delete(*p, 0, n * per);
    return n;
}
