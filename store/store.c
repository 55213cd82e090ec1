/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The store: lifecycle, the clock, clients (sessions) and the public API of
 * respite.h. Every piece of state hangs off struct store; nothing here is a
 * mutable global, so several stores can live in one process.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands/acl.h"
#include "commands/aof.h"
#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "keyspace/zset.h"
#include "ds/mem.h"
#include "commands/monitor.h"
#include "commands/pubsub.h"
#include "commands/persist.h"
#include "commands/tracking.h"
#include "commands/function.h"
#include "commands/script.h"
#include "commands/introspect.h"
#include "resp_num.h"

static void run_postponed(struct session *s, int argc, struct rs_str *argv);

/* ------------------------------------------------------------------------
 * Clocks (the store clock is keyspace/clock.c's)
 * ------------------------------------------------------------------------ */

static void sync_real_clock(struct store *st)
{
    st->real_minus_mono_us = rs_real_ms() * 1000 - rs_mono_us();
}

void respite_set_clock(struct respite *rs, respite_clock_fn *fn, void *ud)
{
    struct store *st = (struct store *)rs;
    st->clock_fn = fn;
    st->clock_ud = ud;
    st->clock_offset = 0;
    st->clock_frozen = -1;
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------ */

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
            seed = 0;
        close(fd);
    }
    if (seed == 0)
        seed = (uint64_t)rs_mono_us() ^ ((uint64_t)getpid() << 32);
    return seed;
}

static void make_dbs(struct store *st)
{
    st->ndbs = st->cfg.databases;
    st->dbs = rs_calloc((size_t)st->ndbs, sizeof *st->dbs);
    for (int i = 0; i < st->ndbs; i++)
        st->dbs[i] = db_new(st, i);
}

static void free_dbs(struct store *st)
{
    /* Garbage shards point to their db: free them first. */
    while (ks_free_garbage(st, 1000000))
        ;
    for (int i = 0; i < st->ndbs; i++)
        db_free(st, st->dbs[i]);
    rs_free(st->dbs);
    st->dbs = NULL;
    st->ndbs = 0;
}

/* The touch hook: WATCH and client tracking hear of a changed key, each
 * only while it has some. */
static void touch_key(struct db *db, const char *key, size_t klen)
{
    if (db->st->watched.n)
        multi__touch(db, key, klen);
    if (db->st->ntracked)
        tracking__touch(db->st, key, klen);
}

struct respite *respite_open(const char *const *config, int nconfig, char *err, size_t errlen)
{
    struct store *st = rs_calloc(1, sizeof *st);
    config_defaults(&st->cfg);
    st->seed = random_seed();
    st->rng.seed = st->seed;
    st->clock_frozen = -1;
    st->cmd_now = -1;
    sync_real_clock(st);
    st->next_client_id = 1;
    st->stats.start_ms = rs_real_ms();
    st->stats.lastsave = st->stats.start_ms / 1000;
    st->persist.child_pipe = -1;
    st->persist.last_bgsave_ok = true;
    st->persist.last_bgsave_secs = -1;
    st->persist.aofrw.last_ok = true;
    st->persist.aofrw.last_secs = -1;
    uint64_t r = random_seed();
    for (int i = 0; i < 40; i++) {
        st->run_id[i] = "0123456789abcdef"[r & 15];
        r = (r >> 4) | ((uint64_t)i << 60);
        if ((i & 15) == 15)
            r = random_seed();
    }
    memcpy(st->replid, st->run_id, sizeof st->replid);
    st->lut = cmd_lut_new();
    st->ncstats = cmd_table_size();
    st->cstats = rs_calloc((size_t)st->ncstats, sizeof *st->cstats);
    acl_init(st); /* before the configuration: requirepass and user lines */
    char local[256];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    for (int i = 0; i < nconfig; i++) {
        const char *msg = config_set(st, config[2 * i], config[2 * i + 1], true, err, errlen);
        if (msg) {
            acl_free(st);
            cmd_lut_free(st->lut);
            rs_free(st->cstats);
            rs_free(st);
            return NULL;
        }
    }
    make_dbs(st);
    block_init(st);
    /* The keyspace reaches WATCH, client tracking and blocked clients, a
     * layer above it, through these. */
    st->up = (struct ks_hooks){
        .touch = touch_key,
        .touch_db = multi__touch_db,
        .signal = block__signal,
        .signal_db = block__signal_db,
        .expired = prop_expired,
        .sub_expired = prop_sub_expired,
    };
    pubsub_init(st);
    tracking_init(st);
    st->lua_rand48 = LUA_RAND48_INIT;
    script_init(st);
    functions_init(st);
    introspect_init(st);
    st->run_postponed = run_postponed;
    st->startup_memory = store_used(st);
    return (struct respite *)st;
}

static void session_free(struct session *s);

void respite_close(struct respite *rs)
{
    struct store *st = (struct store *)rs;
    if (st == NULL)
        return;
    persist_kill_child(st);
    while (st->sessions_head)
        session_free(st->sessions_head);
    aof_stop(st);
    free_dbs(st);
    block_free(st);
    pubsub_free(st);
    tracking_free(st);
    monitor_free(st);
    script_free(st);
    functions_free(st);
    ks_evict_free(st);
    ks_quota_clear(st);
    quota_free(st);
    acl_free(st);
    introspect_free(st);
    cmd_lut_free(st->lut);
    rs_free(st->cstats);
    rs_free(st);
}

int respite_config_set(struct respite *rs, const char *name, const char *value, char *err,
                       size_t errlen)
{
    struct store *st = (struct store *)rs;
    /* Before any client exists, start-up-only parameters are accepted too. */
    bool startup = st->nsessions == 0;
    int old_dbs = st->cfg.databases;
    char local[256];
    if (err == NULL || errlen == 0) {
        err = local;
        errlen = sizeof local;
    }
    if (config_set(st, name, value, startup, err, errlen))
        return -1;
    if (st->cfg.databases != old_dbs) {
        free_dbs(st);
        make_dbs(st);
    }
    return 0;
}

/* ks_evict as Redis's performEvictions runs it: not while CLIENT PAUSE
 * holds writes or all (eviction waits, as expiry does), and its time a
 * LATENCY `eviction-cycle` sample. */
static int evict(struct store *st)
{
    if (pause_active(st))
        return KS_EVICT_OK;
    if (st->cfg.latency_monitor_threshold <= 0) /* no clock reads before each command */
        return ks_evict(st);
    int64_t t0 = rs_mono_us();
    int r = ks_evict(st);
    latency_add_sample(st, "eviction-cycle", (rs_mono_us() - t0) / 1000);
    return r;
}

/* Redis's trackInstantaneousMetric: a sample of how fast value moved
 * against base since the last one (value per base, times factor). */
static void inst_track(struct inst_metric *m, uint64_t value, uint64_t base, int64_t factor)
{
    if (m->last_base > 0) {
        int64_t db = (int64_t)(base - m->last_base), dv = (int64_t)(value - m->last_value);
        m->samples[m->idx] = db > 0 ? dv * factor / db : 0;
        m->idx = (m->idx + 1) % RS_INST_SAMPLES;
    }
    m->last_base = base;
    m->last_value = value;
}

/* INFO's instantaneous metrics, sampled at most every 100 ms, as Redis's
 * cron does (run_with_period(100)): commands, network bytes and event loop
 * turns per second, and the loop's mean awake time a turn. */
static void inst_sample(struct store *st)
{
    int64_t now = rs_real_ms();
    if (now - st->stats.inst_last_ms < 100)
        return;
    st->stats.inst_last_ms = now;
    struct store_stats *s = &st->stats;
    uint64_t ms = (uint64_t)now;
    inst_track(&s->inst[RS_INST_COMMANDS], s->numcommands, ms, 1000);
    inst_track(&s->inst[RS_INST_NET_IN], s->net_in, ms, 1000);
    inst_track(&s->inst[RS_INST_NET_OUT], s->net_out, ms, 1000);
    inst_track(&s->inst[RS_INST_EL_CYCLES], s->el_cycles, ms, 1000);
    inst_track(&s->inst[RS_INST_EL_DURATION], s->el_ns / 1000, s->el_cycles, 1);
}

int respite_tick(struct respite *rs, int64_t budget_us)
{
    struct store *st = (struct store *)rs;
    st->last_tick_us = rs_mono_us();
    int64_t end = st->last_tick_us + budget_us;
    int more = 0;
    sync_real_clock(st);
    /* One budget for all the steps: a tick exceeds it by a slice at most.
     * Expiry waits while clients are paused (CLIENT PAUSE), as in Redis. */
    if (st->cfg.active_expire && !pause_active(st)) {
        int64_t t0 = rs_mono_us();
        int left = exp_active_cycle(st, budget_us);
        int64_t dt = rs_mono_us() - t0;
        latency_add_sample(st, "expire-cycle", dt / 1000);
        st->stats.expire_cycle_us += (uint64_t)dt;
        st->stats.expire_time_cap_reached += (uint64_t)left;
        more |= left;
    }
    /* Each step takes a slice even when the budget is spent, so a tick
     * makes progress and says whether work is left. */
    more |= ks_free_garbage(st, end - rs_mono_us());
    more |= ks_rehash_step(st, end - rs_mono_us());
    /* What the last eviction left over its time limit (Redis's eviction
     * time proc), with the same limit. */
    if (st->evict_running)
        more |= evict(st) == KS_EVICT_RUNNING;
    /* Also here, as Redis's cron: a limit lowered by CONFIG SET applies
     * while no command comes. */
    tracking_limit(st, NULL);
    /* Keys the tick removed (active expiry) wake their waiters now, not
     * after the next command of some client: XREADGROUP answers that its
     * stream is gone. The transport hears of each through io->unblocked. */
    if (st->nready) {
        block_serve_ready(st);
        ks_reap_empty(st);
    }
    aof_cron(st);
    mem_note_peak(st);
    inst_sample(st);
    if (st->pp_head && !pause_active(st))
        pause_resume(st);
    if (st->qp_head)
        quota_resume(st);
    return more;
}

int64_t respite_expire_deadline(const struct respite *rs)
{
    const struct store *st = (const struct store *)rs;
    int64_t next = exp_next_deadline(st);
    /* A frozen or embedder's clock does not follow the monotonic one. */
    if (next < 0 || !st->cfg.active_expire || st->clock_frozen >= 0 || st->clock_fn)
        return -1;
    int64_t mono = rs_mono_us();
    /* Expiry waits for the end of a CLIENT PAUSE. */
    if (st->pause_mode && st->pause_end_us > mono)
        return st->pause_end_us;
    /* Due once the clock passes it: at next + 1 ms. A deadline years ahead
     * is asked about again in an hour, and the product stays in range. */
    int64_t ms = next + 1 - store_now_at(st, mono);
    return mono + (ms < 3600 * 1000 ? ms : 3600 * 1000) * 1000;
}

int respite_free_pending(const struct respite *rs)
{
    const struct store *st = (const struct store *)rs;
    return st->lazy_head != NULL || st->garbage != NULL || st->evict_running;
}

int respite_evicting(const struct respite *rs)
{
    return ((const struct store *)rs)->evict_running;
}

void respite_set_hooks(struct respite *rs, const struct respite_hooks *hooks, void *ud)
{
    struct store *st = (struct store *)rs;
    st->hooks = hooks;
    st->hooks_ud = ud;
}

void respite_stat_add(struct respite *rs, enum respite_stat which, uint64_t n)
{
    struct store *st = (struct store *)rs;
    switch (which) {
    case RESPITE_STAT_CONNECTIONS:
        st->stats.numconnections += n;
        break;
    case RESPITE_STAT_REJECTED:
        st->stats.rejected_conn += n;
        break;
    case RESPITE_STAT_READ:
        st->stats.reads++;
        st->stats.net_in += n;
        break;
    case RESPITE_STAT_WRITE:
        st->stats.writes++;
        st->stats.net_out += n;
        break;
    case RESPITE_STAT_QBUF_LIMIT_CLOSED:
        st->stats.qbuf_limit_closed += n;
        break;
    case RESPITE_STAT_OBUF_LIMIT_CLOSED:
        st->stats.obuf_limit_closed += n;
        break;
    case RESPITE_STAT_REPLY_BUFFER_SHRINKS:
        st->stats.reply_buffer_shrinks += n;
        break;
    case RESPITE_STAT_REPLY_BUFFER_EXPANDS:
        st->stats.reply_buffer_expands += n;
        break;
    case RESPITE_STAT_EL_TURN:
        st->stats.el_cycles++;
        st->stats.el_ns += n;
        break;
    }
}

uint64_t respite_client_count(const struct respite *rs)
{
    return ((const struct store *)rs)->nsessions;
}

/* ------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------ */

struct respite_client *respite_client_attach(struct respite *rs, const struct respite_client_io *io,
                                             void *ud, int local)
{
    struct store *st = (struct store *)rs;
    struct session *s = rs_calloc(1, sizeof *s);
    s->st = st;
    s->id = st->next_client_id++;
    s->io = io;
    s->io_ud = ud;
    s->ctime = s->last = store_now(st);
    if (local)
        s->flags |= SES_LOCAL;
    acl_session_init(s);
    resp_out_init(&s->out, 2);
    resp_out_init(&s->discard, 2);
    s->prev = st->sessions_tail;
    if (st->sessions_tail)
        st->sessions_tail->next = s;
    else
        st->sessions_head = s;
    st->sessions_tail = s;
    st->nsessions++;
    return (struct respite_client *)s;
}

struct respite_client *respite_client_new(struct respite *rs)
{
    return respite_client_attach(rs, NULL, NULL, 1);
}

static void session_free(struct session *s)
{
    struct store *st = s->st;
    if (s->prev)
        s->prev->next = s->next;
    else
        st->sessions_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        st->sessions_tail = s->prev;
    st->nsessions--;
    multi_reset(s);
    block_cancel(s);
    pause_cancel(s);
    pubsub_client_free(s);
    monitor_stop(s);
    tracking_client_free(s);
    resp_out_free(&s->out);
    resp_out_free(&s->discard);
    rs_free(s->name);
    rs_free(s->lib_name);
    rs_free(s->lib_ver);
    rs_free(s->exec_buf);
    rs_free(s);
}

void respite_client_free(struct respite_client *c)
{
    if (c)
        session_free((struct session *)c);
}

void respite_client_prefetch(struct respite_client *c, int argc, const struct rs_str *argv)
{
    struct session *s = (struct session *)c;
    struct store *st = s->st;
    if (st->npf == RESPITE_PREFETCH_MAX || argc < 2)
        return;
    int i = st->npf++;
    st->pf[i].key = argv[1];
    st->pf[i].sub = argc >= 3 ? argv[2] : rs_str_from(NULL, 0);
    st->pf[i].last = argc >= 3 ? argv[argc >= 4 ? 3 : 2] : rs_str_from(NULL, 0);
    ks_route_begin(&st->pf[i].r, st->dbs[s->db], argv[1]);
}

/* Load the bucket, the first entry and the second entry of each lookup of
 * [0..n) with a table (t[], hashes h[]): one pass per step, so the misses
 * of a step overlap. */
static void prefetch_lookups(int n, const struct table *const *t, const uint64_t *h)
{
    const struct entry *first[RESPITE_PREFETCH_MAX];
    for (int i = 0; i < n; i++)
        first[i] = t[i] ? tbl_prefetch_entry(t[i], h[i]) : NULL;
    for (int i = 0; i < n; i++)
        if (first[i])
            tbl_prefetch_next(first[i]);
}

void respite_client_prefetch_flush(struct respite_client *c)
{
    struct store *st = ((struct session *)c)->st;
    const struct table *t[RESPITE_PREFETCH_MAX];
    uint64_t h[RESPITE_PREFETCH_MAX];
    const struct entry *e[RESPITE_PREFETCH_MAX];
    int n = st->npf;
    st->npf = 0;
    /* Each step of the lookups in a pass over all of them, so that a
     * step's misses overlap: the project map's slots (respite_client_prefetch
     * began them), the shards, the keys' buckets and entries, the values,
     * what the values hold first; then the buckets and entries of the fields
     * and members in hashes, sets and sorted sets in table form. */
    uintptr_t guess[RESPITE_PREFETCH_MAX];
    for (int i = 0; i < n; i++)
        guess[i] = ks_route_guess(&st->pf[i].r);
    for (int i = 0; i < n; i++) {
        st->route[i].key = st->pf[i].key.p;
        st->route[i].place = guess[i];
        st->route[i].db = st->pf[i].r.db;
        st->route[i].gen = st->pmap_gen;
        t[i] = ks_route_table(guess[i], &e[i]); /* or a one-key project's entry */
        if (t[i])
            h[i] = tbl_prefetch(t[i], st->pf[i].key.p, st->pf[i].key.len);
        st->route[i].t = t[i];
        st->route[i].h = t[i] ? h[i] : 0;
    }
    st->nroute = n;
    st->route_next = 0;
    prefetch_lookups(n, t, h);
    for (int i = 0; i < n; i++) {
        if (t[i])
            e[i] = tbl_get_hashed(t[i], st->pf[i].key.p, st->pf[i].key.len, h[i]);
        if (e[i])
            obj_prefetch(e[i]);
    }
    for (int i = 0; i < n; i++)
        if (e[i])
            obj_prefetch_data(e[i], false);
    for (int i = 0; i < n; i++)
        if (e[i])
            obj_prefetch_data(e[i], true);
    int nsub = 0;
    for (int i = 0; i < n; i++) {
        const struct table *ct = e[i] && st->pf[i].sub.p ? obj_member_table(e[i]) : NULL;
        t[i] = ct && tbl_count(ct) ? ct : NULL;
        if (t[i]) {
            struct rs_str m = e[i]->type == OBJ_ZSET ? st->pf[i].last : st->pf[i].sub;
            h[i] = tbl_prefetch(ct, m.p, m.len);
            nsub++;
        }
    }
    if (nsub)
        prefetch_lookups(n, t, h);
}

void respite_deliver(struct respite *rs)
{
    tracking_deliver((struct store *)rs);
}

void respite_batch(struct respite *rs, int on)
{
    struct store *st = (struct store *)rs;
    st->in_batch = on != 0;
    st->batch_clock_us = 0;
}

void respite_client_closing(struct respite_client *c)
{
    block_cancel((struct session *)c);
    pause_cancel((struct session *)c);
    pubsub_client_free((struct session *)c);
    monitor_stop((struct session *)c);
}

struct resp_out *respite_client_output(struct respite_client *c)
{
    return &((struct session *)c)->out;
}

void respite_client_error(struct respite_client *c, const char *msg)
{
    struct session *s = (struct session *)c;
    error_reply_counted(s->st, &s->out, msg);
}

int respite_client_flags(const struct respite_client *c)
{
    const struct session *s = (const struct session *)c;
    return ((s->flags & (SES_CLOSE_AFTER_REPLY | SES_KILLED)) ? RESPITE_CLOSE_AFTER_REPLY : 0) |
           (acl_auth_required(s) ? RESPITE_UNAUTHENTICATED : 0) |
           ((s->flags & SES_WAITING) ? RESPITE_BLOCKED : 0) | (pubsub_is_subscriber(s) ? RESPITE_PUBSUB : 0) |
           ((s->flags & SES_MONITOR) ? RESPITE_MONITOR : 0);
}

/* c's command may not run now (why: its error, whose %s names the
 * command): answer it as Redis's rejectCommand, an EXEC with EXECABORT. */
static void rejected(struct cmd_ctx *c)
{
    c->st->cstats[cmd_index(c->cmd)].rejected++;
    c->st->stats.total_error_replies++;
    multi_flag_rejected(c->s);
}

/* Refuse c's command with the error text (Redis's EXECABORT for EXEC). */
static void reject_text(struct cmd_ctx *c, const char *text)
{
    if (c->cmd->handler == cmd_exec)
        multi_exec_rejected(c, text);
    else
        reply_errf(c, "%s", text);
    rejected(c);
}

/* Refuse it with the error why (a %s in its text names the command). */
static void reject(struct cmd_ctx *c, enum rs_err why)
{
    char name[96], text[512];
    cmd_print_name(c->cmd->fullname, name, sizeof name);
    snprintf(text, sizeof text, rs_err_text[why], name);
    reject_text(c, text);
}

/* Redis's processCommand under maxmemory: evict first, then refuse c's
 * command when the store is still over the limit and the command may grow
 * it: flagged denyoom (for EXEC: one of its queued commands; for EVAL and
 * FCALL: by the script's flags), in MULTI too (7.4 queues the others
 * there). Notes the state for the scripts the command runs
 * (st->oom_at_start). */
static bool refused_for_oom(struct cmd_ctx *c)
{
    struct store *st = c->st;
    bool oom = evict(st) == KS_EVICT_FAIL;
    st->oom_at_start = oom;
    return oom && ((cmd_flags_of(c) & CMD_DENYOOM) ||
                   (c->cmd->handler == cmd_exec && (multi_flags(c->s) & CMD_DENYOOM)));
}

/* The ACL check of c's command for a session flagged SES_ACL_CHECK, where
 * Redis's processCommand runs it (after NOAUTH): on a refusal, the ACL
 * LOG entry and -NOPERM (EXECABORT for EXEC), and true. A command that
 * MULTI refuses as no-multi gets that error first, as in Redis. */
static bool acl_refused(struct cmd_ctx *c)
{
    struct session *s = c->s;
    int pos = 0;
    int why = acl_check(c, s, &pos); /* first: the usual yes ends the check here */
    if (why == ACL_OK || (s->mq && (c->cmd->flags & CMD_NO_MULTI)))
        return false;
    acl_log_denied(c, c, s, why, s->mq ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL, pos);
    char text[1200] = "NOPERM ";
    acl_error_text(c, s, why, pos, text + 7, sizeof text - 7);
    reject_text(c, text);
    return true;
}

/* Run one command of s. nested: from the script_busy hook, inside the
 * command whose script runs past its threshold, which keeps its own
 * messages to send after its reply, tracking client and emptied shards
 * to reap (respite_client_run keeps its clock reading). */
static void run(struct session *s, int argc, struct rs_str *argv, bool nested)
{
    struct store *st = s->st;
    bool muted = s->flags & (SES_REPLY_OFF | SES_REPLY_SKIP);
    /* In a batch, the previous command's end is this one's start. */
    int64_t t0 = st->batch_clock_us ? st->batch_clock_us : rs_mono_us();
    struct cmd_ctx c = {
        .st = st,
        .s = s,
        .argc = argc,
        .argv = argv,
        .out = muted ? &s->discard : &s->out,
        .db = st->dbs[s->db],
        .now = store_now_at(st, t0),
        .t0_us = t0,
    };
    s->last = c.now;
    st->cmd_now = c.now;
    st->npf = 0; /* hints point into tables that commands may change */
    /* The project the batch's prefetch found for this command's key, and
     * the key's hash there. */
    st->key_hint = argc >= 2 ? argv[1] : rs_str_from(NULL, 0);
    if (st->route_next < st->nroute && argc >= 2 && st->route[st->route_next].key == argv[1].p) {
        int i = st->route_next++;
        if (st->route[i].place)
            ks_route_remember(st, st->route[i].db, st->route[i].place, st->route[i].gen);
        st->key_t = st->route[i].t;
        st->key_h = st->route[i].h;
    }
    if (!nested) {
        pubsub_cmd_begin(st, s);
        tracking_cmd_begin(st, s);
    }
    if (cmd_resolve(&c)) {
        char misconf[512];
        int quota;
        bool authed = !acl_auth_required(s) || (c.cmd->flags & CMD_NO_AUTH);
        /* Where Redis's processCommand does it: after the NOAUTH check,
         * before the others, for a command queued in MULTI too. */
        if (authed)
            tracking_limit(st, s);
        if (!authed) {
            reject(&c, RS_ERR_NOAUTH);
        } else if (__builtin_expect((s->flags & SES_ACL_CHECK) != 0, 0) && acl_refused(&c)) {
            /* refused: NOPERM */
        } else if (!monitor_allows(s, c.cmd)) {
            reject(&c, RS_ERR_REPLICA_KEYSPACE);
        } else if (st->cfg.maxmemory && !st->script_busy && refused_for_oom(&c)) {
            reject(&c, RS_ERR_OOM);
        } else if (__builtin_expect(st->quotas.n != 0, 0) && !nested &&
                   (quota = quota_check(&c, misconf, sizeof misconf)) != QUOTA_RUN) {
            /* Refused (-OOM), or held by the MAXOPS of a project: it runs
             * through here again, as a command CLIENT PAUSE held does. */
            if (quota == QUOTA_REFUSED)
                reject_text(&c, misconf);
        } else if (!pubsub_allows(s, c.cmd)) {
            reject(&c, RS_ERR_NOT_IN_PUBSUB_CONTEXT);
        } else if (st->script_busy && !(c.cmd->flags & CMD_ALLOW_BUSY)) {
            reject(&c, (enum rs_err)st->script_busy);
        } else if ((c.cmd->flags & CMD_WRITE || c.cmd->handler == cmd_ping) &&
                   persist_refuses_writes(st, misconf, sizeof misconf)) {
            reject_text(&c, misconf);
        } else if (st->persist.loading && !(c.cmd->flags & CMD_LOADING) &&
                   !(s->flags & SES_REPLAY)) {
            reject(&c, RS_ERR_LOADING);
        } else if (st->pause_mode && pause_holds(&c)) {
            pause_postpone(&c);
        } else if (s->mq && !multi_runs_at_once(c.cmd)) {
            multi_queue(&c);
        } else {
            cmd_call(&c);
            /* After the call, so that the write that creates a project's
             * shard counts in it (the shard is reaped only below). */
            store_count_shard_command(&c);
        }
        if (s->last_def != c.cmd) { /* formatting the name costs more than this check */
            s->last_def = c.cmd;
            cmd_print_name(c.cmd->fullname, s->last_cmd, sizeof s->last_cmd);
        }
    } else {
        multi_flag_rejected(s);
    }
    tracking_cmd_end(s, c.cmd);
    /* The hints hold for this command's argv only. */
    st->key_hint = rs_str_from(NULL, 0);
    st->key_t = NULL;
    st->key_place = 0;
    st->cmd_now = -1;
    if (!nested) {
        pubsub_cmd_end(st); /* messages to s follow its reply */
        /* After the whole command (a whole EXEC): waiters see its final state. */
        if (st->nready) {
            block_serve_ready(st);
            st->batch_clock_us = 0; /* that took time: read the clock again */
        }
        ks_reap_empty(st);
        /* The pause ended (CLIENT UNPAUSE, or its time): the held commands
         * run now, after the one that saw it end. */
        if (st->pp_head && !pause_active(st)) {
            pause_resume(st);
            st->batch_clock_us = 0;
        }
    }
    /* CLIENT REPLY SKIP mutes exactly the command after it. */
    s->flags &= ~SES_REPLY_SKIP;
    if (s->flags & SES_REPLY_SKIP_NEXT) {
        s->flags &= ~SES_REPLY_SKIP_NEXT;
        s->flags |= SES_REPLY_SKIP;
    }
    if (s->discard.nbytes)
        resp_out_discard(&s->discard);
}

/* st->run_postponed: a command CLIENT PAUSE held runs as if just sent. */
static void run_postponed(struct session *s, int argc, struct rs_str *argv)
{
    run(s, argc, argv, false);
}

void respite_client_run(struct respite_client *cl, int argc, struct rs_str *argv)
{
    struct session *s = (struct session *)cl;
    struct store *st = s->st;
    if (argc <= 0)
        return;
    if (!st->script_busy) {
        run(s, argc, argv, false);
        return;
    }
    /* Inside the script's command, whose clock reading comes back after
     * (its key hints are for its argv[1], the script: run drops them). A
     * batch's clock is the script's start, not this command's. */
    int64_t cmd_now = st->cmd_now;
    st->batch_clock_us = 0;
    run(s, argc, argv, true);
    st->cmd_now = cmd_now;
}

const char *respite_exec(struct respite_client *cl, int argc, const char *const *argv,
                         const size_t *argvlen, size_t *len)
{
    struct session *s = (struct session *)cl;
    struct rs_str small[16];
    struct rs_str *args = argc <= 16 ? small : rs_malloc((size_t)argc * sizeof *args);
    for (int i = 0; i < argc; i++)
        args[i] = rs_str_from(argv[i], argvlen ? argvlen[i] : strlen(argv[i]));
    if (argc <= 0)
        respite_client_error(cl, "ERR empty command");
    else
        respite_client_run(cl, argc, args);
    if (args != small)
        rs_free(args);

    /* Gather the reply chunks into one buffer the caller can read. */
    size_t n = s->out.nbytes;
    if (n + 1 > s->exec_cap) {
        s->exec_cap = n + 1;
        s->exec_buf = rs_realloc(s->exec_buf, s->exec_cap);
    }
    struct resp_chunk *list = resp_out_take(&s->out);
    size_t off = 0;
    for (struct resp_chunk *ch = list; ch; ch = ch->next) {
        memcpy(s->exec_buf + off, ch->data, ch->len);
        off += ch->len;
    }
    resp_out_release(&s->out, list);
    s->exec_buf[off] = '\0';
    *len = off;
    return s->exec_buf;
}

struct respite_reply *respite_command(struct respite_client *c, int argc, const char *const *argv,
                                      const size_t *argvlen)
{
    size_t len, used;
    const char *buf = respite_exec(c, argc, argv, argvlen, &len);
    if (len == 0) /* CLIENT REPLY OFF */
        return NULL;
    return respite_reply_parse(buf, len, &used);
}
