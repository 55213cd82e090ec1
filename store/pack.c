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
 * The buffer is exactly as long as the elements (every change reallocates),
 * so a pack costs its header plus one to five bytes of length per element.
 * A hash stores field, value, field, value...; lookups walk the buffer.
 */
#include <malloc.h>
#include <string.h>

#include "mem.h"
#include "pack.h"

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

size_t pack_bytes(const struct pack *p)
{
    return sizeof *p + p->len;
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
    uint32_t i = 0;
    while (off < p->len) {
        uint32_t next;
        struct rs_str e = pack_get(p, off, &next);
        if (i % step == 0 && e.len == s.len && (s.len == 0 || memcmp(e.p, s.p, s.len) == 0))
            return off;
        off = next;
        i++;
    }
    return UINT32_MAX;
}

uint32_t pack_seek(const struct pack *p, uint32_t idx)
{
    uint32_t off = 0;
    while (idx--)
        pack_get(p, off, &off);
    return off;
}

/* Replace the old bytes [off, off+oldn) by room for newn bytes. */
static struct pack *splice(struct pack *p, uint32_t off, uint32_t oldn, uint32_t newn)
{
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
    uint32_t end = off;
    for (uint32_t i = 0; i < count; i++)
        pack_get(p, end, &end);
    p = splice(p, off, end - off, 0);
    p->n -= count;
    return p;
}
