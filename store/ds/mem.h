/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Allocation wrappers for store/: every allocation of the store goes through
 * them. They abort on failure, as Redis does (a store that cannot allocate
 * cannot keep its promises). Byte accounting per shard is done by the
 * callers that know the shard (entries.c), from the sizes they ask for.
 */
#ifndef MEM_H
#define MEM_H

#include <stddef.h>

void *rs_malloc(size_t n);
void *rs_calloc(size_t n, size_t size);
void *rs_realloc(void *p, size_t n);
char *rs_memdup(const void *p, size_t n); /* n bytes and a NUL */
void rs_free(void *p);

#endif
