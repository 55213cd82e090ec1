/* SPDX-License-Identifier: BSD-3-Clause
 *
 * thp_init: huge pages for respite-server's heap past a size (thp.c).
 */
#ifndef RS_THP_H
#define RS_THP_H

/* Install the arenas' extent hooks; call once, early in main, before any
 * thread but jemalloc's own is started. Does nothing unless jemalloc's
 * `thp` option is `default` (respite-server's malloc_conf). */
void thp_init(void);

#endif
