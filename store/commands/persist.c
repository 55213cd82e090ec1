/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Persistence as commands and the embedding API see it: SAVE, BGSAVE
 * [SCHEDULE], BGREWRITEAOF, the save points, stop-writes-on-bgsave-error
 * and the AOF's write errors (-MISCONF), the save before a shutdown,
 * INFO's Persistence section, and the loading at start (respite_load: the
 * RDB file, or under appendonly yes the append-only files, which aof.c
 * reads). The file format is the
 * keyspace's (keyspace/rdb_file.h); the function libraries, which live in
 * this layer, go in and out through its hooks. DEBUG RELOAD saves and
 * loads back.
 *
 * BGSAVE and BGREWRITEAOF fork, as Redis does, one child at a time
 * (persist_fork): the child writes its file from its copy of the memory
 * (copy-on-write pages), reports through a pipe (about once a second
 * the keys it wrote and its private dirty bytes, INFO's current_*; then
 * its outcome, the error text, its private dirty bytes) and _exit()s; it
 * touches nothing else -- no log, no loop, no atexit handler, no lock of the host (it allocates
 * from an arena of its own). The parent goes on serving and reaps the
 * child from the transport's timer (respite_persist_cron: waitpid on that
 * pid only, so a host's own children are left alone). Whichever of the
 * two is asked for while the other runs waits for it (scheduled), as in
 * Redis. Redis's state machine follows: the
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

#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/function.h"
#include "commands/introspect.h"
#include "commands/persist.h"
#include "commands/tracking.h"
#include "ds/mem.h"
#include "keyspace/rdb_file.h"

/* Seconds a save point waits after a failed BGSAVE (Redis's
 * CONFIG_BGSAVE_RETRY_DELAY). */
#define RETRY_DELAY 5

static bool load_progress(struct store *st, size_t done, size_t total);
static void save_progress(struct store *st, uint64_t keys);

const struct rdb_hooks persist_rdb_hooks = {
    .put_functions = function_rdb_put,
    .load_function = function_rdb_load,
    .progress = load_progress,
    .save_progress = save_progress,
    .each_function = function_each,
};

/* What the child writes to its pipe: about once a second its progress,
 * and its outcome before it exits (is_final). Under PIPE_BUF bytes, so
 * each write arrives whole. */
struct child_report {
    int is_final;
    int ok;
    uint64_t keys;  /* keys written so far */
    uint64_t cow;   /* Private_Dirty bytes of the child now */
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
    if (rdb_save(st, path, &persist_rdb_hooks, false, err, sizeof err) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    store_log(st, RS_LOG_NOTICE, "DB saved on disk");
    st->persist.dirty = 0;
    st->stats.lastsave = unix_s();
    st->persist.last_bgsave_ok = true;
    return 0;
}

uint64_t proc_rollup_bytes(const char *field)
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
    const char *p = strstr(buf, field);
    return p ? strtoull(p + strlen(field), NULL, 10) * 1024 : 0;
}

/* The child: run job, report, exit. Signals the host caught go back to
 * their defaults first, so a SIGTERM for the child (or SIGUSR1,
 * persist_kill_child) ends it rather than running the parent's handler;
 * every descriptor but the report pipe's and the standard ones is closed,
 * so the child holds no listening socket (a restarted server can bind
 * while it runs) and no client connection (one the server closes ends at
 * once, not when the child exits). */
static void child_main(struct store *st, int wfd,
                       int (*job)(struct store *st, const void *arg, char *err, size_t errlen),
                       const void *arg)
{
    rs_mem_arena();
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    if (wfd > 3)
        close_range(3, (unsigned)wfd - 1, 0);
    close_range((unsigned)wfd + 1, ~0U, 0);
    st->persist.report_fd = wfd;
    st->persist.report_us = rs_mono_us();
    struct child_report rep;
    memset(&rep, 0, sizeof rep);
    rep.ok = job(st, arg, rep.err, sizeof rep.err) == 0;
    rep.is_final = 1;
    rep.cow = proc_rollup_bytes("Private_Dirty:");
    ssize_t w = write(wfd, &rep, sizeof rep);
    (void)w; /* the parent treats a missing report as "no details" */
    _exit(rep.ok ? 0 : 1);
}

/* Every RDB_PROGRESS_KEYS keys written: rdb-key-save-delay's sleep; in
 * the child, at most once a second, the keys so far and the copied pages
 * to the parent, as Redis's sendChildInfo (nothing in the server itself:
 * a SAVE). */
static void save_progress(struct store *st, uint64_t keys)
{
    struct persist *ps = &st->persist;
    if (st->cfg.rdb_key_save_delay > 0)
        usleep((useconds_t)st->cfg.rdb_key_save_delay * RDB_PROGRESS_KEYS);
    int64_t now = rs_mono_us();
    if (ps->report_fd <= 0 || now - ps->report_us < 1000000)
        return;
    ps->report_us = now;
    struct child_report rep;
    memset(&rep, 0, sizeof rep);
    rep.keys = keys;
    rep.cow = proc_rollup_bytes("Private_Dirty:");
    ssize_t w = write(ps->report_fd, &rep, sizeof rep);
    (void)w; /* progress only: the parent does without */
}

/* Read what the child reported so far (the pipe does not block): its
 * progress into INFO's figures; its final report into *final (then
 * true). */
static bool read_reports(struct store *st, struct child_report *final)
{
    struct persist *ps = &st->persist;
    struct child_report rep;
    bool got = false;
    while (read(ps->child_pipe, &rep, sizeof rep) == (ssize_t)sizeof rep) {
        if (rep.is_final) {
            *final = rep;
            got = true;
            continue;
        }
        ps->child_keys_done = rep.keys;
        ps->child_cow = rep.cow;
        if (rep.cow > ps->child_cow_peak)
            ps->child_cow_peak = rep.cow;
        ps->child_cow_ms = rs_real_ms();
    }
    return got;
}

/* Reap the child that reported its end and was still exiting: now if it is
 * gone (or wait: it is waited for), else at a later call. */
static void reap_exiting(struct persist *ps, bool wait)
{
    if (ps->exiting == 0)
        return;
    int status;
    pid_t r;
    while ((r = waitpid(ps->exiting, &status, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
        ;
    if (r != 0) /* reaped, or by someone else (ECHILD) */
        ps->exiting = 0;
}

int persist_fork(struct store *st, enum persist_child type,
                 int (*job)(struct store *st, const void *arg, char *err, size_t errlen),
                 const void *arg, char *err, size_t errlen)
{
    struct persist *ps = &st->persist;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    /* The previous child, if still exiting, goes first: one child of ours
     * at a time, as a host or a test that lists the children sees. */
    reap_exiting(ps, true);
    int64_t t0 = rs_mono_us();
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_main(st, fds[1], job, arg);
    }
    int64_t fork_us = rs_mono_us() - t0;
    latency_add_sample(st, "fork", fork_us / 1000);
    if (pid > 0) { /* Redis's stat_fork_time and stat_total_forks */
        st->stats.latest_fork_us = (uint64_t)fork_us;
        st->stats.total_forks++;
    }
    /* GB of used memory copied per second of fork(), as Redis's
     * stat_fork_rate (LATENCY DOCTOR judges the fork event by it). */
    ps->fork_rate = (double)store_used(st) * 1e6 /
                    (double)(fork_us > 0 ? fork_us : 1) / (1024.0 * 1024 * 1024);
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK); /* the cron reads the progress as it comes */
    ps->child_keys = total_keys(st);
    ps->child_keys_done = ps->child_cow = ps->child_cow_peak = 0;
    ps->child_cow_ms = 0;
    ps->child = pid;
    ps->child_type = type;
    ps->child_pipe = fds[0];
    ps->child_start = rs_real_ms();
    return pid;
}

/* BGSAVE's child job: the RDB file. */
static int rdb_job(struct store *st, const void *arg, char *err, size_t errlen)
{
    (void)arg;
    char path[2048];
    rdb_path(st, path, sizeof path);
    return rdb_save(st, path, &persist_rdb_hooks, false, err, errlen);
}

/* Fork the BGSAVE child (Redis's rdbSaveBackground). Returns 0 when it
 * runs, -1 (logged, status err) when fork or pipe failed. */
static int bgsave_start(struct store *st)
{
    struct persist *ps = &st->persist;
    ps->last_try = unix_s();
    ps->saves++;
    ps->dirty_at_fork = ps->dirty;
    char err[512];
    int pid = persist_fork(st, PERSIST_CHILD_RDB, rdb_job, NULL, err, sizeof err);
    if (pid < 0) {
        ps->last_bgsave_ok = false;
        store_log(st, RS_LOG_WARNING, "Can't save in background: %s", err);
        return -1;
    }
    store_log(st, RS_LOG_NOTICE, "Background saving started by pid %d", pid);
    return 0;
}

/* The BGSAVE child pid is gone with status: record it as Redis's
 * backgroundSaveDoneHandlerDisk. rep is NULL when the child wrote no
 * report (it was killed). */
static void bgsave_done(struct store *st, int pid, int status, const struct child_report *rep)
{
    struct persist *ps = &st->persist;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        store_log(st, RS_LOG_NOTICE, "Background saving terminated with success");
        ps->dirty -= ps->dirty_at_fork;
        st->stats.lastsave = unix_s();
        ps->last_bgsave_ok = true;
    } else if (WIFEXITED(status)) {
        if (rep && rep->err[0])
            store_log(st, RS_LOG_WARNING, "%s", rep->err);
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
    if (rep)
        ps->last_cow = rep->cow;
    ps->last_bgsave_secs = (rs_real_ms() - ps->child_start) / 1000;
}

/* The child is gone with status: read its report, hand it to its type's
 * end. A report the child did not write (it was killed) reads as empty. */
static void child_finish(struct store *st, int status, struct child_report *rep, bool reported)
{
    struct persist *ps = &st->persist;
    rep->err[sizeof rep->err - 1] = '\0';
    close(ps->child_pipe);
    ps->child_pipe = -1;
    int pid = ps->child;
    ps->child = 0;
    /* INFO's current_* are the running child's: none now, as Redis's
     * resetChildState */
    ps->child_keys = ps->child_keys_done = ps->child_cow = ps->child_cow_peak = 0;
    ps->child_cow_ms = 0;
    if (ps->child_type == PERSIST_CHILD_RDB)
        bgsave_done(st, pid, status, reported ? rep : NULL);
    else
        aof_rewrite_done(st, pid, status, reported ? rep->cow : 0, rep->err);
}

static void child_done(struct store *st, int status)
{
    struct child_report rep;
    memset(&rep, 0, sizeof rep);
    bool reported = read_reports(st, &rep);
    child_finish(st, status, &rep, reported);
}

void persist_kill_child(struct store *st)
{
    struct persist *ps = &st->persist;
    reap_exiting(ps, true);
    if (ps->child == 0)
        return;
    kill(ps->child, SIGUSR1);
    kill(ps->child, SIGCONT); /* a stopped child acts on it only once continued */
    int status;
    while (waitpid(ps->child, &status, 0) < 0 && errno == EINTR)
        ;
    child_done(st, status);
}

bool persist__refuses_writes(const struct store *st, char *buf, size_t size)
{
    if (st->cfg.stop_writes_on_bgsave_error && st->cfg.nsave > 0 && !st->persist.last_bgsave_ok)
        snprintf(buf, size, "%s", rs_err_text[RS_ERR_MISCONF]);
    else if (st->aof && aof_write_errno(st))
        snprintf(buf, size, rs_err_text[RS_ERR_MISCONF_AOF], strerror(aof_write_errno(st)));
    else
        return false;
    return true;
}

void respite_persist_cron(struct respite *rs)
{
    struct store *st = (struct store *)rs;
    struct persist *ps = &st->persist;
    reap_exiting(ps, false);
    if (ps->child) {
        struct child_report rep;
        memset(&rep, 0, sizeof rep);
        int status;
        pid_t r;
        if (read_reports(st, &rep)) {
            /* Its outcome is in: only its _exit is left, which is not
             * waited for (the kernel freeing the child's page tables and
             * copied pages took 55-65 ms of a 600 MB server's loop); its
             * status is the one its report gives (child_main's exit code). */
            while ((r = waitpid(ps->child, &status, WNOHANG)) < 0 && errno == EINTR)
                ;
            if (r == 0)
                ps->exiting = ps->child;
            if (r <= 0)
                status = rep.ok ? 0 : 1 << 8;
            child_finish(st, status, &rep, true);
        } else if ((r = waitpid(ps->child, &status, WNOHANG)) == ps->child) {
            child_done(st, status);
        } else if (r < 0 && errno == ECHILD) { /* reaped by someone else: outcome unknown */
            child_done(st, 1 << 8);
        }
        if (ps->child)
            return;
    }
    /* No child runs. As Redis's serverCron: a rewrite scheduled while a
     * BGSAVE ran first, then a scheduled BGSAVE or a save point, then the
     * automatic rewrite. */
    if (st->persist.aofrw.scheduled && aof_rewrite_may_start(st)) {
        aof_rewrite_cron(st);
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
    if (st->aof && aof_rewrite_due(st))
        aof_rewrite_cron(st);
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* SAVE: the RDB file, written before the reply; Redis's bare -ERR when it
 * fails (the reason is logged). A BGREWRITEAOF child may run meanwhile,
 * as in Redis. */
void cmd_save(struct cmd_ctx *c)
{
    if (c->st->persist.child && c->st->persist.child_type == PERSIST_CHILD_RDB) {
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
 * MULTI/EXEC, or with SCHEDULE while a BGREWRITEAOF child runs, it is only
 * scheduled, as in Redis (nothing may fork between the commands of a
 * transaction; one child at a time). */
void cmd_bgsave(struct cmd_ctx *c)
{
    bool schedule = c->argc == 2 && rs_str_eqi(c->argv[1], "schedule");
    if (c->argc > 2 || (c->argc == 2 && !schedule)) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    struct persist *ps = &c->st->persist;
    if (ps->child && ps->child_type == PERSIST_CHILD_RDB) {
        reply_err(c, RS_ERR_BGSAVE_RUNNING);
    } else if (ps->child && !schedule && !c->in_exec) {
        reply_err(c, RS_ERR_BGSAVE_OTHER_CHILD);
    } else if (ps->child || c->in_exec) {
        ps->scheduled = true;
        resp_add_simple(c->out, "Background saving scheduled", 27);
    } else if (bgsave_start(c->st) == 0) {
        resp_add_simple(c->out, "Background saving started", 25);
    } else {
        reply_err(c, RS_ERR_BARE);
    }
}

/* BGREWRITEAOF: a child writes the next base (aof.c); scheduled for the
 * cron inside EXEC (the transaction's commands are logged after the fork)
 * or while a BGSAVE runs, as in Redis. Under appendonly no too, as Redis:
 * the base alone then, without an incremental file. */
void cmd_bgrewriteaof(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct persist *ps = &st->persist;
    static const char started[] = "Background append only file rewriting started";
    static const char scheduled[] = "Background append only file rewriting scheduled";
    char err[512];
    if (ps->child && ps->child_type == PERSIST_CHILD_AOF) {
        reply_err(c, RS_ERR_AOFRW_RUNNING);
    } else if (ps->child || c->in_exec) {
        ps->aofrw.scheduled = true;
        ps->aofrw.failures = 0;
        resp_add_simple(c->out, scheduled, sizeof scheduled - 1);
    } else if (aof_rewrite_start(st, err, sizeof err) == 0) {
        resp_add_simple(c->out, started, sizeof started - 1);
    } else {
        store_log(st, RS_LOG_WARNING, "%s", err);
        reply_err(c, RS_ERR_AOFRW_FAILED);
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
    if (st->persist.child && st->persist.child_type == PERSIST_CHILD_RDB) {
        store_log(st, RS_LOG_WARNING, "There is a child saving an .rdb. Killing it!");
        persist_kill_child(st);
    }
    if (st->aof) {
        /* The files hold the whole dataset already: a rewrite is not
         * waited for -- unless it writes the first base, as Redis. */
        if (st->persist.child && st->aof->waiting) {
            if (!(flags & RESPITE_SHUTDOWN_FORCE)) {
                store_log(st, RS_LOG_WARNING, "Writing initial AOF, can't exit.");
                store_log(st, RS_LOG_WARNING, "Errors trying to shut down the server. Check the "
                          "logs for more information.");
                return -1;
            }
            store_log(st, RS_LOG_WARNING, "Writing initial AOF. Exit anyway.");
        }
        if (st->persist.child) {
            store_log(st, RS_LOG_WARNING, "There is a child rewriting the AOF. Killing it!");
            persist_kill_child(st);
        }
        store_log(st, RS_LOG_NOTICE, "Calling fsync() on the AOF file.");
        aof_sync(st);
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
                              "loading_rdb_used_mem:%" PRIu64 "\r\n"
                              "loading_loaded_bytes:%zu\r\n"
                              "loading_loaded_perc:%.2f\r\n"
                              "loading_eta_seconds:%" PRId64 "\r\n",
                              ps->load_start_ms / 1000, ps->load_total,
                              ps->load_rdb_used_mem, ps->load_done, perc, eta);
    }
    bool rdb_child = ps->child && ps->child_type == PERSIST_CHILD_RDB;
    bool aof_child = ps->child && ps->child_type == PERSIST_CHILD_AOF;
    int64_t running = ps->child ? (rs_real_ms() - ps->child_start) / 1000 : -1;
    const struct aof *a = st->aof;
    const struct persist_aofrw *rw = &ps->aofrw;
    /* the running child's progress, as Redis: the share of the keys it
     * wrote, the pages copied since its fork at its last report and
     * that report's age */
    double fork_perc = ps->child_keys ? 100.0 * (double)ps->child_keys_done /
                                            (double)ps->child_keys : 0;
    int64_t cow_age = ps->child_cow_ms ? (rs_real_ms() - ps->child_cow_ms) / 1000 : 0;
    if (n < size)
        n += (size_t)snprintf(buf + n, size - n,
             "current_cow_peak:%" PRIu64 "\r\n"
             "current_cow_size:%" PRIu64 "\r\n"
             "current_cow_size_age:%" PRId64 "\r\n"
             "current_fork_perc:%.2f\r\n"
             "current_save_keys_processed:%" PRIu64 "\r\n"
             "current_save_keys_total:%" PRIu64 "\r\n"
             "rdb_changes_since_last_save:%" PRIu64 "\r\n"
             "rdb_bgsave_in_progress:%d\r\n"
             "rdb_last_save_time:%" PRId64 "\r\n"
             "rdb_last_bgsave_status:%s\r\n"
             "rdb_last_bgsave_time_sec:%" PRId64 "\r\n"
             "rdb_current_bgsave_time_sec:%" PRId64 "\r\n"
             "rdb_saves:%" PRIu64 "\r\n"
             "rdb_last_cow_size:%" PRIu64 "\r\n"
             "rdb_last_load_keys_expired:%" PRIu64 "\r\n"
             "rdb_last_load_keys_loaded:%" PRIu64 "\r\n"
             "aof_enabled:%d\r\n"
             "aof_rewrite_in_progress:%d\r\n"
             "aof_rewrite_scheduled:%d\r\n"
             "aof_last_rewrite_time_sec:%" PRId64 "\r\n"
             "aof_current_rewrite_time_sec:%" PRId64 "\r\n"
             "aof_last_bgrewrite_status:%s\r\n"
             "aof_rewrites:%" PRIu64 "\r\n"
             "aof_rewrites_consecutive_failures:%" PRIu64 "\r\n"
             "aof_last_write_status:%s\r\n"
             "aof_last_cow_size:%" PRIu64 "\r\n"
             "module_fork_in_progress:0\r\n"
             "module_fork_last_cow_size:0\r\n",
             ps->child_cow_peak, ps->child_cow, cow_age, fork_perc, ps->child_keys_done,
             ps->child_keys, ps->dirty, rdb_child, st->stats.lastsave,
             ps->last_bgsave_ok ? "ok" : "err", ps->last_bgsave_secs, rdb_child ? running : -1,
             ps->saves, ps->last_cow, ps->load_expired, ps->load_loaded, a != NULL, aof_child,
             rw->scheduled,
             rw->last_secs, aof_child ? running : -1, rw->last_ok ? "ok" : "err", rw->count,
             rw->failures, !a || a->last_write_ok ? "ok" : "err", rw->last_cow);
    /* Redis adds these while appendonly is on. */
    if (a && n < size)
        snprintf(buf + n, size - n,
                 "aof_current_size:%" PRIu64 "\r\n"
                 "aof_base_size:%" PRIu64 "\r\n"
                 "aof_pending_rewrite:%d\r\n"
                 "aof_buffer_length:%zu\r\n"
                 "aof_pending_bio_fsync:%d\r\n"
                 "aof_delayed_fsync:0\r\n",
                 a->size, a->base_size, rw->scheduled, a->buf.len, a->fsync_asked);
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

int respite_load(struct respite *rs, char *err, size_t errlen)
{
    struct store *st = (struct store *)rs;
    struct persist *ps = &st->persist;
    err[0] = '\0';
    char path[2048];
    rdb_path(st, path, sizeof path);
    struct stat sb;
    ps->loading = true;
    ps->load_start_ms = rs_real_ms();
    ps->load_rdb_used_mem = 0;
    ps->load_total = !st->cfg.appendonly && stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
    ps->load_done = ps->events_done = 0;
    ps->events_us = rs_mono_us();
    /* Under appendonly, the RDB base of the files sets load_total as it
     * loads (the progress hook). */
    int rc = st->cfg.appendonly ? aof_load_at_start(st, err, errlen)
                                : rdb_load(st, path, &persist_rdb_hooks, false, err, errlen);
    ps->loading = false;
    if (rc == 0)
        st->stats.lastsave = unix_s();
    return rc;
}

/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE], as Redis: save the RDB file
 * (unless NOSAVE), empty every database, the function libraries and the
 * project quotas (unless NOFLUSH), load the file back (MERGE: a key already there takes the
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
        ks_quota_clear(st); /* the file's come back */
        tracking_flushed(st);
    }
    if (rdb_load(st, path, &persist_rdb_hooks, merge, err, sizeof err) != 0) {
        reply_err(c, RS_ERR_DEBUG_RELOAD_LOAD);
        return;
    }
    resp_add_ok(c->out);
}
