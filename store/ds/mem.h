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
/* The bytes the allocator holds for p, a block of these wrappers (at least
 * what was asked; 0 for NULL): malloc_usable_size, whichever malloc the
 * process links (jemalloc's in respite-server), for MEMORY USAGE. */
size_t rs_alloc_size(const void *p);

/* From now on, for good: allocate from private mmap(2)'d memory, never
 * through malloc, and ignore frees of what malloc gave before. For the
 * child of a fork in a process with other threads (BGSAVE), which writes a
 * file and exits: one of them may have held a lock of the allocator at
 * the fork, which the child would wait on for ever (not glibc's nor
 * jemalloc's, which reset theirs in a child, but ASan's does not). */
void rs_mem_arena(void);

#endif
