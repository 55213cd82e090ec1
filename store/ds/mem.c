/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Allocation wrappers (see mem.h): abort on out-of-memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds/mem.h"

static void oom(size_t n)
{
    fprintf(stderr, "respite: out of memory allocating %zu bytes\n", n);
    abort();
}

void *rs_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        oom(n);
    return p;
}

void *rs_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *rs_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        oom(n);
    return q;
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
    free(p);
}
