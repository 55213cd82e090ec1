/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The store clock: what keys expire by and commands read as now (real
 * time, moved by DEBUG CLOCK or a clock the embedder set), and the
 * process's real and monotonic clocks.
 */
#include <time.h>

#include "keyspace/state.h"

int64_t rs_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rs_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The real clock is read as the monotonic clock plus an offset to wall
 * time refreshed by respite_tick: the monotonic reading also times the
 * command for commandstats, so one clock read serves both. A step of the
 * wall clock is followed within one tick. */
int64_t store_now_at(const struct store *st, int64_t mono_us)
{
    if (st->clock_frozen >= 0)
        return st->clock_frozen;
    int64_t t = st->clock_fn ? st->clock_fn(st->clock_ud) : (mono_us + st->real_minus_mono_us) / 1000;
    return t + st->clock_offset;
}

int64_t store_now(const struct store *st)
{
    return store_now_at(st, rs_mono_us());
}

uint32_t store_lru(const struct store *st)
{
    int64_t now = st->cmd_now >= 0 ? st->cmd_now : store_now(st);
    return (uint32_t)((now / 1000) & 0xFFFFFF);
}
