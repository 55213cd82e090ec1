/* SPDX-License-Identifier: BSD-3-Clause
 *
 * SLOWLOG, the LATENCY monitor and the per-command latency histograms
 * (introspect.c), and CLIENT PAUSE's hold on commands (pause.c).
 */
#ifndef RS_INTROSPECT_H
#define RS_INTROSPECT_H

#include "keyspace/state.h"

/* At open, after the configuration: the (empty) logs and histograms. */
void introspect_init(struct store *st);
void introspect_free(struct store *st);
/* After a CONFIG SET of slowlog-* or latency-monitor-threshold: st->slow_us
 * again, and a log longer than slowlog-max-len cut to it. */
void introspect_config(struct store *st);
/* c's command took us microseconds, at least st->slow_us: a slowlog entry
 * and a "command" or "fast-command" latency sample if past their
 * thresholds. */
void introspect_slow(struct cmd_ctx *c, int64_t us);
/* The same for a blocked command of s that answered (its argv: block.c's
 * copy), whose first run took us microseconds, at least st->slow_us. */
void introspect_unblocked(struct session *s, const struct cmd_def *cmd, int argc,
                          struct rs_str *argv, int64_t us);
/* A command's latency histogram: nanoseconds in HdrHistogram's layout for
 * 1 ns .. 1 s at 2 significant digits (values below 256 a bucket each,
 * then 128 buckets of equal width per power of two). */
#define LAT_HIST_SUB 128
#define LAT_HIST_MAX_NS 1000000000LL      /* longer runs count as 1 s */
#define LAT_HIST_LEN (24 * LAT_HIST_SUB) /* 2^29 .. 2^30 ns is the last power */
struct lat_hist {
    uint64_t total;
    uint64_t counts[LAT_HIST_LEN];
};

/* The bucket of ns (>= 1). */
static inline int lat_hist_index(uint64_t ns)
{
    if (ns < 2 * LAT_HIST_SUB)
        return (int)ns;
    int e = 63 - __builtin_clzll(ns); /* >= 8 */
    return (e - 6) * LAT_HIST_SUB + (int)(ns >> (e - 7)) - LAT_HIST_SUB;
}

/* st->lat_hist[idx], made (zeroed, 24 kB) at the command's first run. */
struct lat_hist *introspect_new_hist(struct store *st, int idx);

/* One run of the command at table index idx took us microseconds (latency-
 * tracking): O(1), inline in cmd_call. */
static inline void introspect_record(struct store *st, int idx, int64_t us)
{
    struct lat_hist *h = st->lat_hist[idx];
    if (h == NULL)
        h = introspect_new_hist(st, idx);
    uint64_t ns = us <= 0                           ? 1
                  : us >= LAT_HIST_MAX_NS / 1000 ? (uint64_t)LAT_HIST_MAX_NS
                                                    : (uint64_t)us * 1000;
    h->counts[lat_hist_index(ns)]++;
    h->total++;
}
/* CONFIG RESETSTAT: every histogram emptied. */
void introspect_reset_histograms(struct store *st);
/* The runs the histogram of command idx holds, and its percentile pct
 * (0..100) in microseconds, as INFO latencystats prints them. */
uint64_t introspect_calls(const struct store *st, int idx);
double introspect_percentile(const struct store *st, int idx, double pct);
/* A latency sample of ms milliseconds for event ("command", "expire-cycle",
 * "fork", ...), kept if latency-monitor-threshold is on and ms reaches it. */
void latency_add_sample(struct store *st, const char *event, int64_t ms);

/* What CLIENT PAUSE holds back (st->pause_mode). */
enum pause_mode { PAUSE_WRITE = 1, PAUSE_ALL = 2 };
/* Whether c's command must wait for the end of a pause: every command
 * under PAUSE_ALL; under PAUSE_WRITE those that may write (flagged write or
 * may-replicate, an EXEC of such commands, a script that does not declare
 * no-writes). Ends a pause whose time ran out. */
bool pause_holds(struct cmd_ctx *c);
/* Keep c's command (a copy of its argv) until the pause ends; its client
 * counts as blocked for the transport (RESPITE_BLOCKED). */
void pause_postpone(struct cmd_ctx *c);
/* The pause is over (CLIENT UNPAUSE, or its time ran out, seen by
 * respite_block_timeouts or the next command): the held commands run, in
 * the order they came, each client told through io->unblocked. */
void pause_resume(struct store *st);
/* Whether c's client can be held (it has a transport that hears of the
 * end: io->unblocked). */
bool pause_can_hold(const struct cmd_ctx *c);
/* A project's MAXOPS (quota.c): hold c's command until until_us
 * (monotonic); run the held commands whose time came (the others wait,
 * st->qp_next_us the earliest). Cancelled as a paused one (pause_cancel). */
void quota_postpone(struct cmd_ctx *c, int64_t until_us);
void quota_resume(struct store *st);
/* CLIENT LIST argv-mem of s while its command is held, else 0. */
size_t pause_argv_mem(const struct session *s);
/* s goes away (closed, killed): its held command is dropped. */
void pause_cancel(struct session *s);

#endif
