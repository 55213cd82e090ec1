/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Persistence as commands and the embedding API see it: SAVE, BGSAVE
 * [SCHEDULE], the save points, stop-writes-on-bgsave-error (-MISCONF),
 * the save before a shutdown, INFO's Persistence section, and the loading
 * of the RDB file at start (respite_load_rdb). The file format is the
 * keyspace's (keyspace/rdb_file.h); the function libraries, which live in
 * this layer, go in and out through its hooks. DEBUG RELOAD saves and
 * loads back.
 *
 * BGSAVE forks, as Redis does: the child writes the file from its copy of
 * the memory (copy-on-write pages) with rdb_save, reports through a pipe
 * (its outcome, the error text, its private dirty bytes) and _exit()s;
 * it touches nothing else -- no log, no loop, no atexit handler, no lock
 * of the host but the allocator's, which glibc and jemalloc make usable
 * after fork. The parent goes on serving and reaps the child from the
 * transport's timer (respite_persist_cron: waitpid on that pid only, so a
 * host's own children are left alone). Redis's state machine follows: the
 * change count drops by the changes made before the fork on success,
 * rdb_last_bgsave_status turns err on failure (and writes get -MISCONF
 * while save points are set), a save point retries 5 seconds after a
 * failure.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands/commands.h"
#include "commands/function.h"
#include "commands/persist.h"
#include "commands/tracking.h"
#include "ds/mem.h"
#include "keyspace/rdb_file.h"

/* Seconds a save point waits after a failed BGSAVE (Redis's
 * CONFIG_BGSAVE_RETRY_DELAY). */
#define RETRY_DELAY 5

static bool load_progress(struct store *st, size_t done, size_t total);

static const struct rdb_hooks hooks = {
    .put_functions = function_rdb_put,
    .load_function = function_rdb_load,
    .progress = load_progress,
};

/* What the child writes to its pipe before it exits. */
struct child_report {
    int ok;
    uint64_t cow;   /* Private_Dirty bytes of the child once the file is written */
    char err[512];  /* why it failed */
};

/* <dir>/<dbfilename> into buf. */
static void rdb_path(const struct store *st, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", st->cfg.dir, st->cfg.dbfilename);
}

static int64_t unix_s(void)
{
    return rs_real_ms() / 1000;
}

static uint64_t total_keys(const struct store *st)
{
    uint64_t n = 0;
    for (int i = 0; i < st->ndbs; i++)
        n += ks_db_size(st->dbs[i]);
    return n;
}

/* ------------------------------------------------------------------------
 * Saving
 * ------------------------------------------------------------------------ */

int persist_save(struct store *st)
{
    char path[2048], err[512];
    rdb_path(st, path, sizeof path);
    if (rdb_save(st, path, &hooks, err, sizeof err) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    store_log(st, RS_LOG_NOTICE, "DB saved on disk");
    st->persist.dirty = 0;
    st->stats.lastsave = unix_s();
    st->persist.last_bgsave_ok = true;
    return 0;
}

/* The child's private dirty bytes: its pages copied since the fork, as
 * Redis's zmalloc_get_private_dirty; 0 when /proc does not say. Only
 * system calls: it runs in the child. */
static uint64_t private_dirty(void)
{
    int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, "Private_Dirty:");
    return p ? strtoull(p + 14, NULL, 10) * 1024 : 0;
}

/* The child: write the file, report, exit. Signals the host caught go
 * back to their defaults first, so a SIGTERM for the child (or SIGUSR1,
 * persist_kill_child) ends it rather than running the parent's handler;
 * every descriptor but the report pipe's and the standard ones is closed,
 * so the child holds no listening socket (a restarted server can bind
 * while it runs) and no client connection (one the server closes ends at
 * once, not when the child exits). */
static void child_main(struct store *st, int wfd)
{
    rs_mem_arena();
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    if (wfd > 3)
        close_range(3, (unsigned)wfd - 1, 0);
    close_range((unsigned)wfd + 1, ~0U, 0);
    struct child_report rep;
    memset(&rep, 0, sizeof rep);
    char path[2048];
    rdb_path(st, path, sizeof path);
    rep.ok = rdb_save(st, path, &hooks, rep.err, sizeof rep.err) == 0;
    rep.cow = private_dirty();
    ssize_t w = write(wfd, &rep, sizeof rep);
    (void)w; /* the parent treats a missing report as "no details" */
    _exit(rep.ok ? 0 : 1);
}

/* Fork the BGSAVE child (Redis's rdbSaveBackground). Returns 0 when it
 * runs, -1 (logged, status err) when fork or pipe failed. */
static int bgsave_start(struct store *st)
{
    struct persist *ps = &st->persist;
    ps->last_try = unix_s();
    ps->saves++;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        ps->last_bgsave_ok = false;
        store_log(st, RS_LOG_WARNING, "Can't save in background: pipe: %s", strerror(errno));
        return -1;
    }
    ps->dirty_at_fork = ps->dirty;
    ps->child_keys = total_keys(st);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_main(st, fds[1]);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        ps->last_bgsave_ok = false;
        store_log(st, RS_LOG_WARNING, "Can't save in background: fork: %s", strerror(errno));
        return -1;
    }
    ps->child = pid;
    ps->child_pipe = fds[0];
    ps->child_start = rs_real_ms();
    store_log(st, RS_LOG_NOTICE, "Background saving started by pid %d", (int)pid);
    return 0;
}

/* The child is gone with status: record it as Redis's
 * backgroundSaveDoneHandlerDisk. A report the child did not write (it was
 * killed) reads as empty. */
static void bgsave_done(struct store *st, int status)
{
    struct persist *ps = &st->persist;
    struct child_report rep;
    memset(&rep, 0, sizeof rep);
    ssize_t n = read(ps->child_pipe, &rep, sizeof rep);
    bool reported = n == (ssize_t)sizeof rep;
    rep.err[sizeof rep.err - 1] = '\0';
    close(ps->child_pipe);
    ps->child_pipe = -1;
    int pid = ps->child;
    ps->child = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        store_log(st, RS_LOG_NOTICE, "Background saving terminated with success");
        ps->dirty -= ps->dirty_at_fork;
        st->stats.lastsave = unix_s();
        ps->last_bgsave_ok = true;
    } else if (WIFEXITED(status)) {
        if (reported && rep.err[0])
            store_log(st, RS_LOG_WARNING, "%s", rep.err);
        store_log(st, RS_LOG_WARNING, "Background saving error");
        ps->last_bgsave_ok = false;
    } else {
        int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        store_log(st, RS_LOG_WARNING, "Background saving terminated by signal %d", sig);
        char tmp[2048];
        snprintf(tmp, sizeof tmp, "%s/temp-%d.rdb", st->cfg.dir, pid);
        unlink(tmp);
        /* SIGUSR1 is how the server stops its own child: not a failure. */
        if (sig != SIGUSR1)
            ps->last_bgsave_ok = false;
    }
    if (reported)
        ps->last_cow = rep.cow;
    ps->last_bgsave_secs = (rs_real_ms() - ps->child_start) / 1000;
}

void persist_kill_child(struct store *st)
{
    struct persist *ps = &st->persist;
    if (ps->child == 0)
        return;
    kill(ps->child, SIGUSR1);
    int status;
    while (waitpid(ps->child, &status, 0) < 0 && errno == EINTR)
        ;
    bgsave_done(st, status);
}

bool persist_refuses_writes(const struct store *st)
{
    return st->cfg.stop_writes_on_bgsave_error && st->cfg.nsave > 0 &&
           !st->persist.last_bgsave_ok;
}

void respite_persist_cron(struct respite *rs)
{
    struct store *st = (struct store *)rs;
    struct persist *ps = &st->persist;
    if (ps->child) {
        int status;
        pid_t r = waitpid(ps->child, &status, WNOHANG);
        if (r == ps->child)
            bgsave_done(st, status);
        else if (r < 0 && errno == ECHILD) /* reaped by someone else: outcome unknown */
            bgsave_done(st, 1 << 8);
        if (ps->child)
            return;
    }
    int64_t now = unix_s();
    bool may_retry = now - ps->last_try > RETRY_DELAY || ps->last_bgsave_ok;
    if (ps->scheduled && may_retry) {
        if (bgsave_start(st) == 0)
            ps->scheduled = false;
        return;
    }
    for (int i = 0; i < st->cfg.nsave; i++) {
        const struct save_point *sp = &st->cfg.save[i];
        if (ps->dirty >= (uint64_t)sp->changes && now - st->stats.lastsave > sp->seconds &&
            may_retry) {
            store_log(st, RS_LOG_NOTICE, "%" PRId64 " changes in %" PRId64 " seconds. Saving...",
                      sp->changes, sp->seconds);
            bgsave_start(st);
            return;
        }
    }
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* SAVE: the RDB file, written before the reply; Redis's bare -ERR when it
 * fails (the reason is logged). */
void cmd_save(struct cmd_ctx *c)
{
    if (c->st->persist.child) {
        reply_err(c, RS_ERR_BGSAVE_RUNNING);
        return;
    }
    c->st->persist.saves++;
    if (persist_save(c->st) != 0) {
        reply_err(c, RS_ERR_BARE);
        return;
    }
    resp_add_ok(c->out);
}

/* BGSAVE [SCHEDULE]: fork the child that writes the file. Inside
 * MULTI/EXEC it is only scheduled, as in Redis (nothing may fork between
 * the commands of a transaction); SCHEDULE is accepted for Redis's sake:
 * with no other kind of child, a BGSAVE that is not running starts. */
void cmd_bgsave(struct cmd_ctx *c)
{
    if (c->argc > 2 || (c->argc == 2 && !rs_str_eqi(c->argv[1], "schedule"))) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    struct persist *ps = &c->st->persist;
    if (ps->child) {
        reply_err(c, RS_ERR_BGSAVE_RUNNING);
    } else if (c->in_exec) {
        ps->scheduled = true;
        resp_add_simple(c->out, "Background saving scheduled", 27);
    } else if (bgsave_start(c->st) == 0) {
        resp_add_simple(c->out, "Background saving started", 25);
    } else {
        reply_err(c, RS_ERR_BARE);
    }
}

/* ------------------------------------------------------------------------
 * Shutdown, INFO, loading
 * ------------------------------------------------------------------------ */

int respite_shutdown(struct respite *rs, int flags)
{
    struct store *st = (struct store *)rs;
    store_log(st, RS_LOG_NOTICE, "User requested shutdown...");
    /* While loading, as Redis: never a save (of half the data); the load
     * stops. */
    if (st->persist.loading) {
        st->persist.stop_loading = true;
        return 0;
    }
    if (st->persist.child) {
        store_log(st, RS_LOG_WARNING, "There is a child saving an .rdb. Killing it!");
        persist_kill_child(st);
    }
    bool save = flags & RESPITE_SHUTDOWN_SAVE;
    if ((st->cfg.nsave > 0 && !(flags & RESPITE_SHUTDOWN_NOSAVE)) || save) {
        store_log(st, RS_LOG_NOTICE, "Saving the final RDB snapshot before exiting.");
        if (persist_save(st) != 0) {
            if (flags & RESPITE_SHUTDOWN_FORCE) {
                store_log(st, RS_LOG_WARNING, "Error trying to save the DB. Exit anyway.");
            } else {
                store_log(st, RS_LOG_WARNING, "Error trying to save the DB, can't exit.");
                store_log(st, RS_LOG_WARNING, "Errors trying to shut down the server. Check the "
                          "logs for more information.");
                return -1;
            }
        }
    }
    return 0;
}

void persist_info(const struct store *st, char *buf, size_t size)
{
    const struct persist *ps = &st->persist;
    size_t n = (size_t)snprintf(buf, size, "# Persistence\r\nloading:%d\r\nasync_loading:0\r\n",
                                ps->loading);
    if (ps->loading && n < size) {
        int64_t secs = (rs_real_ms() - ps->load_start_ms) / 1000;
        double perc = ps->load_total ? 100.0 * (double)ps->load_done / (double)ps->load_total : 0;
        /* Redis's estimate: the rate so far over what is left (1 s when
         * nothing is read yet) */
        int64_t eta = ps->load_done && secs
                          ? (int64_t)((double)(ps->load_total - ps->load_done) /
                                      ((double)ps->load_done / (double)secs))
                          : 1;
        n += (size_t)snprintf(buf + n, size - n,
                              "loading_start_time:%" PRId64 "\r\n"
                              "loading_total_bytes:%zu\r\n"
                              "loading_rdb_used_mem:0\r\n"
                              "loading_loaded_bytes:%zu\r\n"
                              "loading_loaded_perc:%.2f\r\n"
                              "loading_eta_seconds:%" PRId64 "\r\n",
                              ps->load_start_ms / 1000, ps->load_total, ps->load_done, perc, eta);
    }
    int64_t current = ps->child ? (rs_real_ms() - ps->child_start) / 1000 : -1;
    if (n < size)
        snprintf(buf + n, size - n,
             "current_cow_peak:0\r\n"
             "current_cow_size:0\r\n"
             "current_cow_size_age:0\r\n"
             "current_fork_perc:0.00\r\n"
             "current_save_keys_processed:0\r\n"
             "current_save_keys_total:%" PRIu64 "\r\n"
             "rdb_changes_since_last_save:%" PRIu64 "\r\n"
             "rdb_bgsave_in_progress:%d\r\n"
             "rdb_last_save_time:%" PRId64 "\r\n"
             "rdb_last_bgsave_status:%s\r\n"
             "rdb_last_bgsave_time_sec:%" PRId64 "\r\n"
             "rdb_current_bgsave_time_sec:%" PRId64 "\r\n"
             "rdb_saves:%" PRIu64 "\r\n"
             "rdb_last_cow_size:%" PRIu64 "\r\n"
             "rdb_last_load_keys_expired:0\r\n"
             "rdb_last_load_keys_loaded:%" PRIu64 "\r\n"
             "aof_enabled:0\r\n"
             "aof_rewrite_in_progress:0\r\n"
             "aof_rewrite_scheduled:0\r\n"
             "aof_last_rewrite_time_sec:-1\r\n"
             "aof_current_rewrite_time_sec:-1\r\n"
             "aof_last_bgrewrite_status:ok\r\n"
             "aof_rewrites:0\r\n"
             "aof_rewrites_consecutive_failures:0\r\n"
             "aof_last_write_status:ok\r\n"
             "aof_last_cow_size:0\r\n"
             "module_fork_in_progress:0\r\n"
             "module_fork_last_cow_size:0\r\n",
             ps->child ? ps->child_keys : 0, ps->dirty, ps->child != 0, st->stats.lastsave,
             ps->last_bgsave_ok ? "ok" : "err", ps->last_bgsave_secs, current, ps->saves,
             ps->last_cow, ps->load_loaded);
}

/* Every RDB_PROGRESS_KEYS keys of the load: the figures for INFO, and the
 * transport serves its clients about every 2 MB or 100 ms (Redis's
 * loading-process-events-interval-bytes), as Redis's
 * processEventsWhileBlocked. */
static bool load_progress(struct store *st, size_t done, size_t total)
{
    struct persist *ps = &st->persist;
    ps->load_done = done;
    ps->load_total = total;
    if (st->cfg.key_load_delay > 0)
        usleep((useconds_t)st->cfg.key_load_delay * RDB_PROGRESS_KEYS);
    int64_t now = rs_mono_us();
    if (done - ps->events_done < 2 * 1024 * 1024 && now - ps->events_us < 100 * 1000)
        return true;
    ps->events_done = done;
    ps->events_us = now;
    if (st->hooks && st->hooks->loading)
        st->hooks->loading(st->hooks_ud);
    return !ps->stop_loading;
}

int respite_load_rdb(struct respite *rs, char *err, size_t errlen)
{
    struct store *st = (struct store *)rs;
    struct persist *ps = &st->persist;
    char path[2048];
    rdb_path(st, path, sizeof path);
    struct stat sb;
    ps->loading = true;
    ps->load_start_ms = rs_real_ms();
    ps->load_total = stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
    ps->load_done = ps->events_done = 0;
    ps->events_us = rs_mono_us();
    int rc = rdb_load(st, path, &hooks, false, err, errlen);
    ps->loading = false;
    if (rc == 0) {
        st->stats.lastsave = unix_s();
        st->persist.load_loaded = total_keys(st);
    }
    return rc;
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis: save the RDB file
 * (unless NOSAVE), empty every database and the function libraries (unless
 * NOFLUSH), load the file back (MERGE: a key already there takes the
 * file's value). Keys, their TTLs and the TTLs of fields and members come
 * back as SAVE wrote them. O(dataset); the store is blocked meanwhile. */
void debug_reload(struct cmd_ctx *c)
{
    bool merge = false, flush = true, save = true;
    for (int j = 2; j < c->argc; j++) {
        if (rs_str_eqi(c->argv[j], "merge")) {
            merge = true;
        } else if (rs_str_eqi(c->argv[j], "noflush")) {
            flush = false;
        } else if (rs_str_eqi(c->argv[j], "nosave")) {
            save = false;
        } else {
            reply_err(c, RS_ERR_DEBUG_RELOAD_OPTION);
            return;
        }
    }
    struct store *st = c->st;
    char path[2048], err[512];
    rdb_path(st, path, sizeof path);
    if (save && persist_save(st) != 0) {
        reply_err(c, RS_ERR_BARE);
        return;
    }
    if (flush) {
        for (int i = 0; i < st->ndbs; i++)
            ks_flush_db(st, st->dbs[i], false);
        functions_free(st);
        tracking_flushed(st);
    }
    if (rdb_load(st, path, &hooks, merge, err, sizeof err) != 0) {
        reply_err(c, RS_ERR_DEBUG_RELOAD_LOAD);
        return;
    }
    resp_add_ok(c->out);
}
