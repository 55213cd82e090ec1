/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Transparent huge pages for respite-server's heap once it is big enough
 * for them to matter (jemalloc only; the program's, not librespite's).
 *
 * Huge pages make a BGSAVE's fork copy one page-table entry per 2 MB
 * instead of one per 4 KB (1 ms instead of ~60 ms at 600 MB, README
 * "Persistence") and spare the TLB on big keyspaces. jemalloc's own
 * `thp:always` asks for them on every mapping from the first, so an empty
 * server holds three mostly unused 2 MB pages (11 MiB of RSS against 5).
 * Here jemalloc runs with `thp:default` and each arena's extent-allocation
 * hook is wrapped: a mapping is marked MADV_HUGEPAGE, as jemalloc's
 * `thp:always` marks it, once the heap has mapped THP_FROM bytes. jemalloc
 * grows its mappings geometrically and keeps them (retain), so past the
 * threshold nearly every byte of a growing heap is in marked mappings,
 * and below it the few pages a fork copies cost microseconds.
 *
 * MALLOC_CONF=thp:always or thp:never in the environment is jemalloc's to
 * honour, and then no hook is installed.
 */
#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "thp.h"

/* Below this many bytes mapped by the arenas, no huge pages: an empty
 * server maps about 8 MB, a fork of 32 MB of 4 KB pages takes ~3 ms. */
#define THP_FROM (32u << 20)

static extent_hooks_t *default_hooks;
static extent_hooks_t thp_hooks;
static atomic_size_t mapped;

static void *thp_alloc(extent_hooks_t *hooks, void *new_addr, size_t size, size_t alignment,
                       bool *zero, bool *commit, unsigned arena_ind)
{
    (void)hooks;
    void *p = default_hooks->alloc(default_hooks, new_addr, size, alignment, zero, commit,
                                   arena_ind);
    if (p != NULL && atomic_fetch_add_explicit(&mapped, size, memory_order_relaxed) + size >=
                         THP_FROM)
        madvise(p, size, MADV_HUGEPAGE);
    return p;
}

void thp_init(void)
{
    const char *mode = NULL;
    size_t len = sizeof mode;
    if (mallctl("opt.thp", &mode, &len, NULL, 0) != 0 || strcmp(mode, "default") != 0)
        return;
    unsigned narenas;
    len = sizeof narenas;
    if (mallctl("opt.narenas", &narenas, &len, NULL, 0) != 0)
        return;
    len = sizeof default_hooks;
    if (mallctl("arena.0.extent_hooks", &default_hooks, &len, NULL, 0) != 0)
        return;
    thp_hooks = *default_hooks;
    thp_hooks.alloc = thp_alloc;
    /* Every automatic arena, created here if it is not yet: a thread is
     * given one on its first allocation, and would map without the hook. */
    extent_hooks_t *hooks = &thp_hooks;
    for (unsigned i = 0; i < narenas; i++) {
        char name[32];
        snprintf(name, sizeof name, "arena.%u.extent_hooks", i);
        mallctl(name, NULL, NULL, &hooks, sizeof hooks);
    }
}
