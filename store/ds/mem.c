/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Allocation wrappers (see mem.h): abort on out-of-memory; and the arena a
 * fork's child allocates from (rs_mem_arena): size classes of powers of
 * two from 16 bytes, each block preceded by 16 bytes holding its class,
 * carved from 64 MB mmap(2) chunks, freed blocks kept on their class's
 * list for reuse. A block is the arena's when its address is in one of
 * the chunks (a header is not read: the bytes before a block of malloc's
 * are the allocator's, or ASan's poisoned redzone).
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ds/mem.h"

#define ARENA_CHUNK ((size_t)64 << 20)
#define ARENA_CLASSES 48
#define ARENA_CHUNKS_MAX 256

static struct {
    bool on;
    char *cur, *end;                 /* the free tail of the last chunk */
    void *free[ARENA_CLASSES];       /* a freed block's first word links the next */
    struct { char *lo, *hi; } chunks[ARENA_CHUNKS_MAX];
    int nchunks;
} arena;

static void oom(size_t n)
{
    fprintf(stderr, "respite: out of memory allocating %zu bytes\n", n);
    abort();
}

static bool in_arena(const void *p)
{
    for (int i = 0; i < arena.nchunks; i++)
        if ((const char *)p >= arena.chunks[i].lo && (const char *)p < arena.chunks[i].hi)
            return true;
    return false;
}

static size_t arena_class_size(int k)
{
    return (size_t)16 << k;
}

static void *arena_alloc(size_t n)
{
    int k = 0;
    while (arena_class_size(k) < n)
        k++;
    if (arena.free[k]) {
        void *p = arena.free[k];
        arena.free[k] = *(void **)p;
        return p;
    }
    size_t need = arena_class_size(k) + 16;
    if (need > (size_t)(arena.end - arena.cur)) {
        size_t len = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || arena.nchunks == ARENA_CHUNKS_MAX)
            oom(n);
        arena.chunks[arena.nchunks].lo = m;
        arena.chunks[arena.nchunks++].hi = m + len;
        arena.cur = m;
        arena.end = m + len;
    }
    char *h = arena.cur;
    arena.cur += need;
    *(int *)h = k;
    return h + 16;
}

static int arena_class(const void *p)
{
    return *(const int *)((const char *)p - 16);
}

void rs_mem_arena(void)
{
    arena.on = true;
}

void *rs_malloc(size_t n)
{
    if (arena.on)
        return arena_alloc(n);
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *rs_calloc(size_t n, size_t size)
{
    if (arena.on) {
        void *p = arena_alloc(n * size);
        memset(p, 0, n * size);
        return p;
    }
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *rs_realloc(void *p, size_t n)
{
    if (arena.on) {
        void *q = arena_alloc(n);
        if (p) {
            size_t old = rs_alloc_size(p);
            memcpy(q, p, old < n ? old : n);
            rs_free(p);
        }
        return q;
    }
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
}

size_t rs_alloc_size(const void *p)
{
    if (p == NULL)
        return 0;
    /* malloc_usable_size of a block from before the fork reads the
     * allocator's metadata and takes no lock */
    if (arena.on && in_arena(p))
        return arena_class_size(arena_class(p));
    return malloc_usable_size((void *)p);
}

char *rs_memdup(const void *p, size_t n)
{
    char *q = rs_malloc(n + 1);
    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void rs_free(void *p)
{
    if (!arena.on) {
        free(p);
    } else if (p && in_arena(p)) {
        int k = arena_class(p);
        *(void **)p = arena.free[k];
        arena.free[k] = p;
    }
}
