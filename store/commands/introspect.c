/* SPDX-License-Identifier: BSD-3-Clause
 *
 * What the server tells about its own speed, as Redis 7.4: SLOWLOG (the
 * commands that took at least slowlog-log-slower-than microseconds),
 * LATENCY's event monitor (latency-monitor-threshold: per event, the
 * worst latency of each second in a ring of 160 samples) and the
 * per-command latency histograms of LATENCY HISTOGRAM and INFO
 * latencystats (latency-tracking).
 *
 * Cost on the command path (cmd_call): one compare of the duration with
 * st->slow_us (the lower threshold of the slowlog and the monitor) and,
 * with latency-tracking on, one histogram increment: O(1), no allocation
 * but a command's first. Only a command past slow_us comes here.
 *
 * Histograms count nanoseconds (the microseconds measured, times 1000, as
 * Redis) in HdrHistogram's layout for 1 ns .. 1 s at 2 significant digits:
 * values below 256 one bucket each, then per power of two 128 buckets of
 * equal width; a percentile is the highest value of its bucket, so the
 * figures are those Redis prints for the same durations.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "commands/aof.h"
#include "commands/introspect.h"
#include "commands/persist.h"
#include "ds/mem.h"
#include "resp_num.h"

#define SLOWLOG_MAX_ARGC 32    /* arguments kept of a command, the last says how many more */
#define SLOWLOG_MAX_STRING 128 /* bytes kept of an argument */
#define LAT_TS_LEN 160         /* samples kept per event */
#define LAT_EVENTS_MAX 32
#define LAT_GRAPH_COLS 80

struct slow_entry {
    struct slow_entry *next; /* older */
    long long id, time, duration;
    int argc;
    struct rs_str *argv; /* copies, cut as Redis */
    char *peer, *name;
};

struct lat_sample {
    int64_t time;     /* unix seconds, 0: empty */
    uint32_t latency; /* ms, the worst of that second */
};

struct lat_event {
    char name[48];
    uint32_t max;
    int idx; /* next slot */
    struct lat_sample samples[LAT_TS_LEN];
};

struct introspect {
    struct slow_entry *slow_head; /* newest first */
    long long slow_len, slow_next_id;
    struct lat_event *events[LAT_EVENTS_MAX]; /* in the order they first happened */
    int nevents;
};

void introspect_init(struct store *st)
{
    st->intro = rs_calloc(1, sizeof *st->intro);
    st->lat_hist = rs_calloc((size_t)st->ncstats, sizeof *st->lat_hist);
    introspect_config(st);
}

static void slow_free(struct slow_entry *e)
{
    for (int i = 0; i < e->argc; i++)
        rs_free((char *)e->argv[i].p);
    rs_free(e->argv);
    rs_free(e->peer);
    rs_free(e->name);
    rs_free(e);
}

static void slow_reset(struct introspect *in)
{
    while (in->slow_head) {
        struct slow_entry *e = in->slow_head;
        in->slow_head = e->next;
        slow_free(e);
    }
    in->slow_len = 0;
}

void introspect_reset_histograms(struct store *st)
{
    for (int i = 0; i < st->ncstats; i++) {
        rs_free(st->lat_hist[i]);
        st->lat_hist[i] = NULL;
    }
}

void introspect_free(struct store *st)
{
    if (st->intro == NULL)
        return;
    slow_reset(st->intro);
    for (int i = 0; i < st->intro->nevents; i++)
        rs_free(st->intro->events[i]);
    introspect_reset_histograms(st);
    rs_free(st->lat_hist);
    st->lat_hist = NULL;
    rs_free(st->intro);
    st->intro = NULL;
}

void introspect_config(struct store *st)
{
    const struct rs_config *cfg = &st->cfg;
    /* The percentiles' text, checked and written canonically by CONFIG. */
    char text[RS_CFG_KEPT_LEN];
    st->nlat_pctl = 0;
    if (respite_config_get((struct respite *)st, "latency-tracking-info-percentiles", text,
                           sizeof text) == 0)
        for (char *w = text, *end; st->nlat_pctl < RS_PCTL_MAX; w = end) {
            double v = strtod(w, &end);
            if (end == w)
                break;
            st->lat_pctl[st->nlat_pctl++] = v;
        }
    int64_t slow = INT64_MAX;
    if (cfg->slowlog_log_slower_than >= 0 && cfg->slowlog_max_len > 0)
        slow = cfg->slowlog_log_slower_than;
    if (cfg->latency_monitor_threshold > 0 && cfg->latency_monitor_threshold < INT64_MAX / 1000 &&
        cfg->latency_monitor_threshold * 1000 < slow)
        slow = cfg->latency_monitor_threshold * 1000;
    st->slow_us = slow;
    /* A shorter log drops its oldest entries now, as Redis's. */
    struct introspect *in = st->intro;
    if (in && in->slow_len > cfg->slowlog_max_len) {
        struct slow_entry **pp = &in->slow_head;
        for (long long i = 0; i < cfg->slowlog_max_len; i++)
            pp = &(*pp)->next;
        while (*pp) {
            struct slow_entry *e = *pp;
            *pp = e->next;
            slow_free(e);
        }
        in->slow_len = cfg->slowlog_max_len;
    }
}

/* ------------------------------------------------------------------------
 * Histograms
 * ------------------------------------------------------------------------ */

/* The lowest value counted at index i. */
static int64_t hist_low(int i)
{
    if (i < 2 * LAT_HIST_SUB)
        return i;
    return (int64_t)(i % LAT_HIST_SUB + LAT_HIST_SUB) << (i / LAT_HIST_SUB - 1);
}

/* The highest value counted at index i. */
static int64_t hist_value(int i)
{
    if (i < 2 * LAT_HIST_SUB)
        return i;
    return hist_low(i) + ((int64_t)1 << (i / LAT_HIST_SUB - 1)) - 1;
}

struct lat_hist *introspect_new_hist(struct store *st, int idx)
{
    return st->lat_hist[idx] = rs_calloc(1, sizeof *st->lat_hist[idx]);
}

uint64_t introspect_calls(const struct store *st, int idx)
{
    const struct lat_hist *h = st->lat_hist[idx];
    return h ? h->total : 0;
}

double introspect_percentile(const struct store *st, int idx, double pct)
{
    const struct lat_hist *h = st->lat_hist[idx];
    if (h == NULL || h->total == 0)
        return 0;
    double p = pct < 100.0 ? pct : 100.0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->total + 0.5), seen = 0;
    if (want == 0)
        want = 1;
    for (int i = 0; i < LAT_HIST_LEN; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            /* Percentile 0 is the lowest value of its bucket, as Redis's. */
            if (pct == 0.0)
                return (double)hist_low(i) / 1000.0;
            return (double)hist_value(i) / 1000.0;
        }
    }
    return (double)hist_value(LAT_HIST_LEN - 1) / 1000.0;
}

/* One command's {calls, histogram_usec: {bucket: cumulative count}}: the
 * buckets are the powers of two from 1024 ns, each named by its highest
 * value in microseconds, listed where the count grew. */
static void hist_reply(struct cmd_ctx *c, const struct lat_hist *h)
{
    resp_add_map_len(c->out, 2);
    resp_add_bulk_cstr(c->out, "calls");
    resp_add_int(c->out, (long long)h->total);
    resp_add_bulk_cstr(c->out, "histogram_usec");
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    uint64_t cum = 0, prev = 0;
    int i = 0;
    for (int64_t level = 1024; cum < h->total; level *= 2) {
        int last = lat_hist_index((uint64_t)(level < LAT_HIST_MAX_NS ? level : LAT_HIST_MAX_NS));
        for (; i <= last && i < LAT_HIST_LEN; i++)
            cum += h->counts[i];
        if (cum > prev) {
            resp_add_int(c->out, hist_value(last) / 1000);
            resp_add_int(c->out, (long long)cum);
            n++;
        }
        prev = cum;
        if (level >= LAT_HIST_MAX_NS)
            break;
    }
    resp_set_deferred(c->out, d, RESP_AGG_MAP, n);
}

/* ------------------------------------------------------------------------
 * The slow path of a command: SLOWLOG and the latency monitor
 * ------------------------------------------------------------------------ */

static char *cstr_dup(const char *s)
{
    size_t n = strlen(s);
    char *p = rs_malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static void slowlog_push(struct cmd_ctx *c, int64_t us)
{
    struct introspect *in = c->st->intro;
    struct slow_entry *e = rs_calloc(1, sizeof *e);
    e->id = in->slow_next_id++;
    e->time = (long long)(c->now / 1000);
    e->duration = us;
    e->argc = c->argc < SLOWLOG_MAX_ARGC ? c->argc : SLOWLOG_MAX_ARGC;
    e->argv = rs_malloc((size_t)e->argc * sizeof *e->argv);
    for (int i = 0; i < e->argc; i++) {
        char buf[SLOWLOG_MAX_STRING + 64];
        size_t n;
        if (i == SLOWLOG_MAX_ARGC - 1 && c->argc > SLOWLOG_MAX_ARGC) {
            n = (size_t)snprintf(buf, sizeof buf, "... (%d more arguments)",
                                 c->argc - SLOWLOG_MAX_ARGC + 1);
        } else if (c->argv[i].len > SLOWLOG_MAX_STRING) {
            memcpy(buf, c->argv[i].p, SLOWLOG_MAX_STRING);
            n = SLOWLOG_MAX_STRING + (size_t)snprintf(buf + SLOWLOG_MAX_STRING,
                                                      sizeof buf - SLOWLOG_MAX_STRING,
                                                      "... (%zu more bytes)",
                                                      c->argv[i].len - SLOWLOG_MAX_STRING);
        } else {
            n = c->argv[i].len;
            memcpy(buf, c->argv[i].p, n);
        }
        char *p = rs_malloc(n ? n : 1);
        memcpy(p, buf, n);
        e->argv[i] = rs_str_from(p, n);
    }
    struct session_desc d;
    session_describe(c->s, &d);
    e->peer = cstr_dup(d.addr);
    e->name = cstr_dup(c->s->name ? c->s->name : "");
    e->next = in->slow_head;
    in->slow_head = e;
    if (++in->slow_len > c->st->cfg.slowlog_max_len)
        introspect_config(c->st); /* drops the oldest */
}

void introspect_slow(struct cmd_ctx *c, int64_t us)
{
    const struct rs_config *cfg = &c->st->cfg;
    /* EXEC and the like are not logged (their commands are); a command
     * that blocked its client is done only when it answers. */
    if (c->s->blk)
        return;
    if (cfg->latency_monitor_threshold > 0)
        latency_add_sample(c->st, (c->cmd->flags & CMD_FAST) ? "fast-command" : "command",
                           us / 1000);
    if (cfg->slowlog_log_slower_than >= 0 && us >= cfg->slowlog_log_slower_than &&
        cfg->slowlog_max_len > 0 && !(c->cmd->flags & CMD_SKIP_SLOWLOG))
        slowlog_push(c, us);
}

void introspect_unblocked(struct session *s, const struct cmd_def *cmd, int argc,
                          struct rs_str *argv, int64_t us)
{
    struct cmd_ctx c = {
        .st = s->st, .s = s, .cmd = cmd, .argc = argc, .argv = argv, .now = store_now(s->st)};
    introspect_slow(&c, us);
}

static struct lat_event *event_find(const struct introspect *in, const char *name, size_t len)
{
    for (int i = 0; i < in->nevents; i++)
        if (strlen(in->events[i]->name) == len && memcmp(in->events[i]->name, name, len) == 0)
            return in->events[i];
    return NULL;
}

void latency_add_sample(struct store *st, const char *event, int64_t ms)
{
    if (st->cfg.latency_monitor_threshold <= 0 || ms < st->cfg.latency_monitor_threshold)
        return;
    struct introspect *in = st->intro;
    struct lat_event *ev = event_find(in, event, strlen(event));
    if (ev == NULL) {
        if (in->nevents == LAT_EVENTS_MAX)
            return;
        ev = rs_calloc(1, sizeof *ev);
        snprintf(ev->name, sizeof ev->name, "%s", event);
        in->events[in->nevents++] = ev;
    }
    uint32_t lat = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    int64_t now = rs_real_ms() / 1000;
    if (lat > ev->max)
        ev->max = lat;
    /* One sample per second: the worst of it. */
    struct lat_sample *prev = &ev->samples[(ev->idx + LAT_TS_LEN - 1) % LAT_TS_LEN];
    if (prev->time == now) {
        if (lat > prev->latency)
            prev->latency = lat;
        return;
    }
    ev->samples[ev->idx] = (struct lat_sample){now, lat};
    ev->idx = (ev->idx + 1) % LAT_TS_LEN;
}

/* ------------------------------------------------------------------------
 * SLOWLOG
 * ------------------------------------------------------------------------ */

/* SLOWLOG GET [count] -- the newest count entries (10; -1 all). */
void cmd_slowlog_get(struct cmd_ctx *c)
{
    long long count = 10;
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->argc == 3 && !arg_range(c, c->argv[2], -1, LLONG_MAX, RS_ERR_SLOWLOG_COUNT, &count))
        return;
    struct introspect *in = c->st->intro;
    long long n = count < 0 || count > in->slow_len ? in->slow_len : count;
    resp_add_array_len(c->out, n);
    const struct slow_entry *e = in->slow_head;
    for (long long i = 0; i < n; i++, e = e->next) {
        resp_add_array_len(c->out, 6);
        resp_add_int(c->out, e->id);
        resp_add_int(c->out, e->time);
        resp_add_int(c->out, e->duration);
        resp_add_array_len(c->out, e->argc);
        for (int j = 0; j < e->argc; j++)
            resp_add_bulk(c->out, e->argv[j].p, e->argv[j].len);
        resp_add_bulk_cstr(c->out, e->peer);
        resp_add_bulk_cstr(c->out, e->name);
    }
}

void cmd_slowlog_len(struct cmd_ctx *c)
{
    resp_add_int(c->out, c->st->intro->slow_len);
}

void cmd_slowlog_reset(struct cmd_ctx *c)
{
    slow_reset(c->st->intro);
    resp_add_ok(c->out);
}

void cmd_slowlog_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        NULL,
    };
    reply_help(c, "SLOWLOG", lines);
}

/* ------------------------------------------------------------------------
 * LATENCY
 * ------------------------------------------------------------------------ */

static const struct lat_sample *last_sample(const struct lat_event *ev)
{
    return &ev->samples[(ev->idx + LAT_TS_LEN - 1) % LAT_TS_LEN];
}

/* LATENCY LATEST -- per event: name, time and latency of its last sample,
 * its all-time worst. */
void cmd_latency_latest(struct cmd_ctx *c)
{
    const struct introspect *in = c->st->intro;
    resp_add_array_len(c->out, in->nevents);
    for (int i = 0; i < in->nevents; i++) {
        const struct lat_event *ev = in->events[i];
        resp_add_array_len(c->out, 4);
        resp_add_bulk_cstr(c->out, ev->name);
        resp_add_int(c->out, last_sample(ev)->time);
        resp_add_int(c->out, last_sample(ev)->latency);
        resp_add_int(c->out, ev->max);
    }
}

/* LATENCY HISTORY event -- its samples, oldest first, as [time, latency]. */
void cmd_latency_history(struct cmd_ctx *c)
{
    const struct lat_event *ev = event_find(c->st->intro, c->argv[2].p, c->argv[2].len);
    if (ev == NULL) {
        resp_add_array_len(c->out, 0);
        return;
    }
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    for (int j = 0; j < LAT_TS_LEN; j++) {
        const struct lat_sample *s = &ev->samples[(ev->idx + j) % LAT_TS_LEN];
        if (s->time == 0)
            continue;
        resp_add_array_len(c->out, 2);
        resp_add_int(c->out, s->time);
        resp_add_int(c->out, s->latency);
        n++;
    }
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

static void event_remove(struct introspect *in, int i)
{
    rs_free(in->events[i]);
    memmove(&in->events[i], &in->events[i + 1], (size_t)(in->nevents - i - 1) * sizeof in->events[0]);
    in->nevents--;
}

/* LATENCY RESET [event ...] -- the number of events dropped. */
void cmd_latency_reset(struct cmd_ctx *c)
{
    struct introspect *in = c->st->intro;
    long long n = 0;
    if (c->argc == 2) {
        n = in->nevents;
        while (in->nevents)
            event_remove(in, in->nevents - 1);
    } else {
        for (int j = 2; j < c->argc; j++) {
            for (int i = 0; i < in->nevents; i++) {
                if (rs_str_eq(c->argv[j], rs_str_from(in->events[i]->name,
                                                      strlen(in->events[i]->name)))) {
                    event_remove(in, i);
                    n++;
                    break;
                }
            }
        }
    }
    resp_add_int(c->out, n);
}

struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = rs_realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        if (t->len + (size_t)n + 1 > t->cap) {
            t->cap = (t->len + (size_t)n + 1) * 2;
            t->p = rs_realloc(t->p, t->cap);
        }
        vsnprintf(t->p + t->len, (size_t)n + 1, fmt, again);
        t->len += (size_t)n;
    }
    va_end(again);
}

/* Rows of a filled sparkline of n values (4 rows of 3 heights each: '_',
 * 'o', '#', '|' below the top), then a blank row and the labels written
 * downwards, one character a row, as Redis's LATENCY GRAPH. */
static void sparkline(struct text *t, const uint32_t *v, char (*labels)[24], int n)
{
    enum { ROWS = 4, HEIGHTS = 3 };
    static const char fill[HEIGHTS] = {'_', 'o', '#'};
    uint32_t min = v[0], max = v[0];
    for (int j = 1; j < n; j++) {
        min = v[j] < min ? v[j] : min;
        max = v[j] > max ? v[j] : max;
    }
    double range = max - min ? (double)(max - min) : 1.0;
    char line[LAT_GRAPH_COLS];
    for (int row = 0; row < ROWS; row++) {
        for (int j = 0; j < n; j++) {
            int step = (int)((double)(v[j] - min) * ROWS * HEIGHTS / range);
            step = step < 0 ? 0 : step >= ROWS * HEIGHTS ? ROWS * HEIGHTS - 1 : step;
            int k = step - (ROWS - row - 1) * HEIGHTS;
            line[j] = k < 0 ? ' ' : k < HEIGHTS ? fill[k] : '|';
        }
        text_add(t, line, (size_t)n);
        text_add(t, "\n", 1);
    }
    memset(line, ' ', (size_t)n);
    text_add(t, line, (size_t)n);
    text_add(t, "\n", 1);
    for (size_t k = 0;; k++) {
        bool any = false;
        for (int j = 0; j < n; j++) {
            any |= strlen(labels[j]) > k;
            line[j] = strlen(labels[j]) > k ? labels[j][k] : ' ';
        }
        if (!any)
            break;
        text_add(t, line, (size_t)n);
        text_add(t, "\n", 1);
    }
}

/* LATENCY GRAPH event -- its samples as an ASCII graph, labelled by how
 * long ago each was (s, m, h, d). */
void cmd_latency_graph(struct cmd_ctx *c)
{
    const struct lat_event *ev = event_find(c->st->intro, c->argv[2].p, c->argv[2].len);
    if (ev == NULL) {
        reply_errf(c, rs_err_text[RS_ERR_LATENCY_NO_SAMPLES], (int)c->argv[2].len, c->argv[2].p);
        return;
    }
    uint32_t v[LAT_TS_LEN];
    char labels[LAT_TS_LEN][24];
    int n = 0;
    int64_t now = rs_real_ms() / 1000;
    uint32_t min = 0, max = 0;
    for (int j = 0; j < LAT_TS_LEN; j++) {
        const struct lat_sample *s = &ev->samples[(ev->idx + j) % LAT_TS_LEN];
        if (s->time == 0)
            continue;
        min = n == 0 || s->latency < min ? s->latency : min;
        max = n == 0 || s->latency > max ? s->latency : max;
        long long ago = now - s->time;
        if (ago < 60)
            snprintf(labels[n], sizeof labels[n], "%llds", ago);
        else if (ago < 3600)
            snprintf(labels[n], sizeof labels[n], "%lldm", ago / 60);
        else if (ago < 86400)
            snprintf(labels[n], sizeof labels[n], "%lldh", ago / 3600);
        else
            snprintf(labels[n], sizeof labels[n], "%lldd", ago / 86400);
        v[n++] = s->latency;
    }
    struct text t = {0};
    text_printf(&t, "%s - high %lu ms, low %lu ms (all time high %lu ms)\n", ev->name,
                (unsigned long)max, (unsigned long)min, (unsigned long)ev->max);
    char dashes[LAT_GRAPH_COLS];
    memset(dashes, '-', sizeof dashes);
    text_add(&t, dashes, sizeof dashes);
    text_add(&t, "\n", 1);
    /* Wider than the graph: in bands of LAT_GRAPH_COLS samples. */
    for (int from = 0; from < n; from += LAT_GRAPH_COLS)
        sparkline(&t, v + from, labels + from, n - from < LAT_GRAPH_COLS ? n - from : LAT_GRAPH_COLS);
    resp_add_verbatim(c->out, t.p, t.len, "txt");
    rs_free(t.p);
}

/* LATENCY DOCTOR's advice, in the order Redis 7.4 gives it. */
enum {
    ADV_BETTER_VM = 1 << 0,
    ADV_SLOWLOG_ENABLED = 1 << 1,
    ADV_SLOWLOG_TUNING = 1 << 2,
    ADV_SLOWLOG_INSPECT = 1 << 3,
    ADV_SCHEDULER = 1 << 4,
    ADV_LOCAL_DISK = 1 << 5,
    ADV_SSD = 1 << 6,
    ADV_DATA_WRITEBACK = 1 << 7,
    ADV_DISK_CONTENTION = 1 << 8,
    ADV_NO_APPENDFSYNC = 1 << 9,
    ADV_RELAX_FSYNC = 1 << 10,
    ADV_WRITE_LOAD_INFO = 1 << 11,
    ADV_HZ = 1 << 12,
    ADV_LARGE_OBJECTS = 1 << 13,
    ADV_MASS_EVICTION = 1 << 14,
    ADV_DISABLE_THP = 1 << 15,
};

/* The advice each event of Redis's calls for, and how many advices it
 * counts (Redis counts some twice, and counts the conditional ones --
 * relax-fsync, hz -- even when it then prints nothing: with no other
 * advice the report then ends in its bare heading, as Redis's does).
 * `command`'s slow log advice depends on the configuration: the caller
 * adds it. Events respite does not record (aof-fstat, aof-rename,
 * rdb-unlink-temp-file...) are here so a report over any of Redis's
 * names reads as Redis's. */
static const struct {
    const char *event;
    unsigned advice;
    int count;
} doctor_events[] = {
    {"command", ADV_SLOWLOG_INSPECT | ADV_LARGE_OBJECTS, 2},
    {"fast-command", ADV_SCHEDULER, 1},
    {"aof-write-pending-fsync", ADV_LOCAL_DISK | ADV_DISK_CONTENTION | ADV_SSD | ADV_DATA_WRITEBACK,
     4},
    {"aof-write-active-child", ADV_NO_APPENDFSYNC | ADV_DATA_WRITEBACK | ADV_SSD, 3},
    {"aof-write-alone", ADV_LOCAL_DISK | ADV_DATA_WRITEBACK | ADV_SSD, 3},
    {"aof-fsync-always", ADV_RELAX_FSYNC, 1},
    {"aof-fstat", ADV_DISK_CONTENTION | ADV_LOCAL_DISK, 2},
    {"rdb-unlink-temp-file", ADV_DISK_CONTENTION | ADV_LOCAL_DISK, 2},
    {"aof-rewrite-diff-write", ADV_WRITE_LOAD_INFO | ADV_DATA_WRITEBACK | ADV_SSD | ADV_LOCAL_DISK,
     4},
    {"aof-rename", ADV_WRITE_LOAD_INFO | ADV_DATA_WRITEBACK | ADV_SSD | ADV_LOCAL_DISK, 4},
    {"expire-cycle", ADV_HZ | ADV_LARGE_OBJECTS, 2},
    {"eviction-del", ADV_LARGE_OBJECTS, 1},
    {"eviction-cycle", ADV_MASS_EVICTION, 1},
};

static const char *const doctor_texts[] = {
    /* ADV_BETTER_VM */
    "- If you are using a virtual machine, consider upgrading it with a faster one using a "
    "hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() "
    "performance. Even in the context of the same VM provider, certain kinds of instances can "
    "execute fork faster than others.\n",
    /* ADV_SLOWLOG_ENABLED, ADV_SLOWLOG_TUNING: printed with the threshold */
    NULL,
    NULL,
    /* ADV_SLOWLOG_INSPECT */
    "- Check your Slow Log to understand what are the commands you are running which are too "
    "slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
    /* ADV_SCHEDULER */
    "- The system is slow to execute Redis code paths not containing system calls. This usually "
    "means the system does not provide Redis CPU time to run for long periods. You should try "
    "to:\n"
    "  1) Lower the system load.\n"
    "  2) Use a computer / VM just for Redis if you are running other software in the same "
    "system.\n"
    "  3) Check if you have a \"noisy neighbour\" problem.\n"
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your "
    "system.\n"
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you "
    "are using Jemalloc. However this may create fragmentation problems.\n",
    /* ADV_LOCAL_DISK */
    "- It is strongly advised to use local disks for persistence, especially if you are using "
    "AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n",
    /* ADV_SSD */
    "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF "
    "log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks "
    "can be a good option. However Redis should perform reasonably with high load using normal "
    "disks. Use this advice as a last resort.\n",
    /* ADV_DATA_WRITEBACK */
    "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared "
    "to data=ordered, however this mode of operation provides less guarantees, and sometimes it "
    "can happen that after a hard crash the AOF file will have a half-written command at the end "
    "and will require to be repaired before Redis restarts.\n",
    /* ADV_DISK_CONTENTION */
    "- Try to lower the disk contention. This is often caused by other disk intensive processes "
    "running in the same computer (including other Redis instances).\n",
    /* ADV_NO_APPENDFSYNC */
    "- Assuming from the point of view of data safety this is viable in your environment, you "
    "could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be "
    "performed while there is a child rewriting the AOF file or producing an RDB file (the moment "
    "where there is high disk contention).\n",
    /* ADV_RELAX_FSYNC: under appendfsync always only */
    "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a "
    "setup, if possible try to relax the fsync policy to 'onesec'.\n",
    /* ADV_WRITE_LOAD_INFO */
    "- Latency during the AOF atomic rename operation or when the final difference is flushed to "
    "the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing "
    "the AOF buffer to get very large. If possible try to send less commands to accomplish the "
    "same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n",
    /* ADV_HZ: under hz 100 only */
    "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' "
    "configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
    /* ADV_LARGE_OBJECTS */
    "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking "
    "operation. If you have very large objects that are often deleted, expired, or evicted, try "
    "to fragment those objects into multiple smaller objects.\n",
    /* ADV_MASS_EVICTION */
    "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects "
    "via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys "
    "migrations (RESTORE command), may create sudden memory pressure forcing the server to block "
    "trying to evict keys. \n",
    /* ADV_DISABLE_THP */
    "- I detected a non zero amount of anonymous huge pages used by your process. This creates "
    "very serious latency events in different conditions, especially when Redis is persisting on "
    "disk. To disable THP support use the command 'echo never > "
    "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local "
    "so that the command will be executed again after a reboot. Note that even if you have "
    "already disabled THP, you still need to restart the Redis process to get rid of the huge "
    "pages already created.\n",
};

/* One event's line: its spikes (count, average, mean deviation, period
 * per spike, worst), and for fork the fork rate; adds the advice it
 * calls for to *advice and their count to *advices. */
static void doctor_event(struct text *t, const struct store *st, int num,
                         const struct lat_event *ev, unsigned *advice, int *advices)
{
    const struct rs_config *cfg = &st->cfg;
    long long n = 0, sum = 0, oldest = 0;
    for (int j = 0; j < LAT_TS_LEN; j++) {
        const struct lat_sample *s = &ev->samples[j];
        if (s->time == 0)
            continue;
        if (oldest == 0 || s->time < oldest)
            oldest = s->time;
        sum += s->latency;
        n++;
    }
    long long avg = n ? sum / n : 0, mad = 0;
    for (int j = 0; j < LAT_TS_LEN; j++)
        if (ev->samples[j].time)
            mad += llabs((long long)ev->samples[j].latency - avg);
    mad = n ? mad / n : 0;
    long long period = n ? rs_real_ms() / 1000 - oldest : 0;
    if (n && period == 0)
        period = 1;
    text_printf(t,
                "%d. %s: %lld latency spikes (average %lldms, mean deviation %lldms, period %.2f "
                "sec). Worst all time event %lums.",
                num, ev->name, n, avg, mad, n ? (double)period / (double)n : 0.0,
                (unsigned long)ev->max);
    if (strcmp(ev->name, "fork") == 0) {
        double rate = st->persist.fork_rate;
        const char *quality = rate < 10    ? "terrible"
                              : rate < 25  ? "poor"
                              : rate < 100 ? "good"
                                           : "excellent";
        if (rate < 25) {
            *advice |= ADV_BETTER_VM;
            (*advices)++;
        }
        text_printf(t, " Fork rate is %.2f GB/sec (%s).", rate, quality);
    }
    if (strcmp(ev->name, "command") == 0) {
        if (cfg->slowlog_log_slower_than < 0 || cfg->slowlog_max_len == 0) {
            *advice |= ADV_SLOWLOG_ENABLED;
            (*advices)++;
        } else if (cfg->slowlog_log_slower_than / 1000 > cfg->latency_monitor_threshold) {
            *advice |= ADV_SLOWLOG_TUNING;
            (*advices)++;
        }
    }
    for (size_t k = 0; k < sizeof doctor_events / sizeof doctor_events[0]; k++)
        if (strcmp(ev->name, doctor_events[k].event) == 0) {
            *advice |= doctor_events[k].advice;
            *advices += doctor_events[k].count;
        }
    text_add(t, "\n", 1);
}

/* LATENCY DOCTOR -- Redis 7.4's report: each event's line (doctor_event),
 * then the advice its events call for, and the process's transparent
 * huge pages (AnonHugePages) as Redis checks its own. */
void cmd_latency_doctor(struct cmd_ctx *c)
{
    const struct introspect *in = c->st->intro;
    const struct rs_config *cfg = &c->st->cfg;
    struct text t = {0};
    if (in->nevents == 0 && cfg->latency_monitor_threshold == 0) {
        text_printf(&t, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this "
                        "Redis instance. You may use \"CONFIG SET latency-monitor-threshold "
                        "<milliseconds>.\" in order to enable it. If we weren't in a deep space "
                        "mission I'd suggest to take a look at "
                        "https://redis.io/topics/latency-monitor.\n");
        resp_add_verbatim(c->out, t.p, t.len, "txt");
        rs_free(t.p);
        return;
    }
    unsigned advice = 0;
    int advices = 0;
    if (in->nevents > 0)
        text_printf(&t, "Dave, I have observed latency spikes in this Redis instance. You don't "
                        "mind talking about it, do you Dave?\n\n");
    for (int i = 0; i < in->nevents; i++)
        doctor_event(&t, c->st, i + 1, in->events[i], &advice, &advices);
    if (proc_rollup_bytes("AnonHugePages:") > 0) {
        advice |= ADV_DISABLE_THP;
        advices++;
    }
    if (in->nevents == 0 && advices == 0) {
        text_printf(&t, "Dave, no latency spike was observed during the lifetime of this Redis "
                        "instance, not in the slightest bit. I honestly think you ought to sit "
                        "down calmly, take a stress pill, and think things over.\n");
    } else if (advices == 0) {
        text_printf(&t, "\nWhile there are latency events logged, I'm not able to suggest "
                        "any easy fix. Please use the Redis community to get some help, "
                        "providing this report in your help request.\n");
    } else {
        text_printf(&t, "\nI have a few advices for you:\n\n");
        if (cfg->appendfsync != AOF_FSYNC_ALWAYS)
            advice &= ~(unsigned)ADV_RELAX_FSYNC;
        if (cfg->hz >= 100)
            advice &= ~(unsigned)ADV_HZ;
        unsigned long long threshold_us = (unsigned long long)cfg->latency_monitor_threshold * 1000;
        for (size_t k = 0; k < sizeof doctor_texts / sizeof doctor_texts[0]; k++) {
            if (!(advice & (1u << k)))
                continue;
            if (1u << k == ADV_SLOWLOG_ENABLED)
                text_printf(&t, "- There are latency issues with potentially slow commands you "
                                "are using. Try to enable the Slow Log Redis feature using the "
                                "command 'CONFIG SET slowlog-log-slower-than %llu'. If the Slow "
                                "log is disabled Redis is not able to log slow commands execution "
                                "for you.\n",
                            threshold_us);
            else if (1u << k == ADV_SLOWLOG_TUNING)
                text_printf(&t, "- Your current Slow Log configuration only logs events that are "
                                "slower than your configured latency monitor threshold. Please "
                                "use 'CONFIG SET slowlog-log-slower-than %llu'.\n",
                            threshold_us);
            else
                text_add(&t, doctor_texts[k], strlen(doctor_texts[k]));
        }
    }
    resp_add_verbatim(c->out, t.p, t.len, "txt");
    rs_free(t.p);
}

/* The histograms of the commands at table indexes from..to that have
 * one, as name: histogram pairs; returns how many. */
static long long histograms_reply(struct cmd_ctx *c, int from, int to)
{
    const struct store *st = c->st;
    long long n = 0;
    char name[96];
    for (int i = from; i <= to; i++) {
        if (st->lat_hist[i] == NULL)
            continue;
        cmd_print_name(cmd_at(i)->fullname, name, sizeof name);
        resp_add_bulk_cstr(c->out, name);
        hist_reply(c, st->lat_hist[i]);
        n++;
    }
    return n;
}

/* LATENCY HISTOGRAM [command ...] -- every command's histogram, or those
 * named (a container names its subcommands). */
void cmd_latency_histogram(struct cmd_ctx *c)
{
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = c->argc == 2 ? histograms_reply(c, 0, c->st->ncstats - 1) : 0;
    for (int j = 2; j < c->argc; j++) {
        const struct cmd_def *cmd = cmd_lookup(c->st->lut, c->argv[j]);
        if (cmd)
            n += histograms_reply(c, cmd_index(cmd), cmd_index(cmd) + cmd_nsubs(cmd));
    }
    resp_set_deferred(c->out, d, RESP_AGG_MAP, n);
}

void cmd_latency_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the "
        "specified command names.",
        "    If no commands are specified then all histograms are replied.",
        NULL,
    };
    reply_help(c, "LATENCY", lines);
}
