/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The append-only file, in Redis 7's multi-part layout: in
 * <dir>/<appenddirname>, a base (<appendfilename>.<seq>.base.rdb, an RDB
 * file written by rdb_save, or under aof-use-rdb-preamble no
 * <appendfilename>.<seq>.base.aof, RESP commands written by resp_save),
 * incremental files of RESP commands
 * (<appendfilename>.<seq>.incr.aof, what propagate.c produces) and the
 * manifest <appendfilename>.manifest, whose lines are Redis's:
 *
 *     file appendonly.aof.1.base.rdb seq 1 type b
 *     file appendonly.aof.1.incr.aof seq 1 type i
 *
 * The manifest is replaced atomically (a temporary file, fsynced, renamed,
 * the directory fsynced), so a crash leaves the old list or the new one.
 *
 * Writing: the commands of a loop turn collect in aof->buf; aof_flush
 * writes them (respite_aof_flush, before the transport sends the turn's
 * replies) and, under appendfsync always, fsyncs them in the same call, so
 * no reply leaves before its write is on disk and one fsync covers every
 * client of the turn. Under everysec the fsync runs on a thread of its own
 * once a second, never on the loop's. How far the file is fsynced is kept
 * on st->repl_off's scale (aof_fsynced_off), for WAITAOF: each fsync
 * covers what was written when it was asked.
 *
 * BGREWRITEAOF forks: the parent opens the next incremental file at once
 * (listed in the manifest with the old ones, so a crash meanwhile loses
 * nothing), the child writes the keyspace as it was at the fork into a
 * temporary base; when the child succeeds the parent renames it to the new
 * base, lists only the new base and the new incremental file, and deletes
 * the old files, as Redis does. Under appendonly no it rewrites too, as
 * Redis: the child writes the next base, which the manifest then lists
 * alone (no incremental file is opened or kept); the rewrite's state and
 * figures are st->persist.aofrw, which outlives struct aof.
 *
 * Turning appendonly on at run time (aof_enable) is such a rewrite too, so
 * the loop never writes the keyspace itself, as Redis's AOF_WAIT_REWRITE:
 * the commands go meanwhile to a temporary incremental file
 * (temp-<appendfilename>.incr) that no manifest lists; when the child's
 * base is in, that file becomes the next incremental file and the manifest
 * lists the two alone. A failed first rewrite drops the temporary file's
 * commands (the next fork's snapshot holds them) and is scheduled again.
 *
 * Loading replays each incremental file's commands through a session of
 * its own (MULTI ... EXEC blocks run as transactions). A file that ends in
 * the middle of a command (a torn write) is cut back to the last whole
 * command -- to before the MULTI of a block without its EXEC -- when
 * aof-load-truncated is on, as Redis does; anything else malformed stops
 * the load.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands/aof.h"
#include "commands/introspect.h"
#include "commands/commands.h"
#include "commands/persist.h"
#include "keyspace/rdb_file.h"
#include "ds/mem.h"

/* ------------------------------------------------------------------------
 * Names and the manifest
 * ------------------------------------------------------------------------ */

/* <dir>/<appenddirname>[/name] into buf. */
static void aof_path(const struct store *st, const char *name, char *buf, size_t size)
{
    if (name)
        snprintf(buf, size, "%s/%s/%s", st->cfg.dir, st->cfg.appenddirname, name);
    else
        snprintf(buf, size, "%s/%s", st->cfg.dir, st->cfg.appenddirname);
}

static void base_name(const struct store *st, long long seq, bool rdb, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%lld.base.%s", st->cfg.appendfilename, seq, rdb ? "rdb" : "aof");
}

static void incr_name(const struct store *st, long long seq, char *buf, size_t size)
{
    snprintf(buf, size, "%s.%lld.incr.aof", st->cfg.appendfilename, seq);
}

/* The incremental file of a first rewrite (aof_enable), listed nowhere
 * until the rewrite's base is in. */
static void temp_incr_path(const struct store *st, char *buf, size_t size)
{
    char name[600];
    snprintf(name, sizeof name, "temp-%s.incr", st->cfg.appendfilename);
    aof_path(st, name, buf, size);
}

/* Create <dir>/<appenddirname> unless it is there: 0, or -1 with err. */
static int make_aof_dir(const struct store *st, char *err, size_t errlen)
{
    char dir[2048];
    aof_path(st, NULL, dir, sizeof dir);
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "Can't create the append-only dir %s: %s", dir, strerror(errno));
    return -1;
}

/* What a manifest lists: one base and incremental files incr_first to
 * incr_last (Redis numbers them one after the other), 0 when none. */
struct manifest {
    long long base_seq; /* 0: no base */
    char base[512];
    long long incr_first, incr_last;
    char **incr; /* their names, in order */
    int nincr;
};

static void manifest_free(struct manifest *m)
{
    for (int i = 0; i < m->nincr; i++)
        rs_free(m->incr[i]);
    rs_free(m->incr);
    m->incr = NULL;
    m->nincr = 0;
}

/* Read the manifest; 1 when there is none, -1 with err when malformed. */
static int manifest_read(const struct store *st, struct manifest *m, char *err, size_t errlen)
{
    char name[512], path[2048];
    snprintf(name, sizeof name, "%s.manifest", st->cfg.appendfilename);
    aof_path(st, name, path, sizeof path);
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    char line[1200];
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        /* key value pairs, in any order: file, seq, type (b, h, i) */
        char file[512] = "", type = 0;
        long long seq = -1;
        char *save = NULL;
        for (char *k = strtok_r(line, " \r\n", &save); k; k = strtok_r(NULL, " \r\n", &save)) {
            char *v = strtok_r(NULL, " \r\n", &save);
            if (v == NULL)
                break;
            if (strcmp(k, "file") == 0)
                snprintf(file, sizeof file, "%s", v);
            else if (strcmp(k, "seq") == 0)
                seq = atoll(v);
            else if (strcmp(k, "type") == 0)
                type = v[0];
        }
        if (!file[0] || seq < 0 || (type != 'b' && type != 'h' && type != 'i')) {
            snprintf(err, errlen, "Invalid AOF manifest file format");
            rc = -1;
            break;
        }
        if (type == 'b') {
            m->base_seq = seq;
            snprintf(m->base, sizeof m->base, "%s", file);
        } else if (type == 'i') {
            if (m->nincr == 0)
                m->incr_first = seq;
            m->incr_last = seq;
            m->incr = rs_realloc(m->incr, (size_t)(m->nincr + 1) * sizeof *m->incr);
            m->incr[m->nincr++] = rs_memdup(file, strlen(file));
        }
    }
    fclose(f);
    if (rc != 0)
        manifest_free(m);
    return rc;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write the manifest listing base base_seq (file base) and incremental
 * files incr_first..incr_last, atomically. 0 or -1 with err. */
static int manifest_write(const struct store *st, long long base_seq, const char *base,
                          long long incr_first, long long incr_last, char *err, size_t errlen)
{
    char name[512], path[2048], tmp[2048], dir[2048], line[1100];
    snprintf(name, sizeof name, "%s.manifest", st->cfg.appendfilename);
    aof_path(st, name, path, sizeof path);
    snprintf(name, sizeof name, "temp-%s.manifest", st->cfg.appendfilename);
    aof_path(st, name, tmp, sizeof tmp);
    aof_path(st, NULL, dir, sizeof dir);
    struct rdb_buf b = {0};
    if (base_seq) {
        int n = snprintf(line, sizeof line, "file %s seq %lld type b\n", base, base_seq);
        rdb_put_raw(&b, line, (size_t)n);
    }
    for (long long s = incr_first; s && s <= incr_last; s++) {
        incr_name(st, s, name, sizeof name);
        int n = snprintf(line, sizeof line, "file %s seq %lld type i\n", name, s);
        rdb_put_raw(&b, line, (size_t)n);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bool ok = fd >= 0 && write(fd, b.p, b.len) == (ssize_t)b.len && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0 && fsync_dir(dir) == 0;
    rs_free(b.p);
    if (!ok) {
        snprintf(err, errlen, "Can't persist the AOF manifest file %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

/* The file counts as fsynced up to off (from the loop or the thread). */
static void note_synced(struct aof *a, int64_t off)
{
    int64_t cur = atomic_load(&a->synced_off);
    while (off > cur && !atomic_compare_exchange_weak(&a->synced_off, &cur, off))
        ;
}

static void *fsync_thread(void *arg)
{
    struct aof *a = arg;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->fsync_asked && !a->stopping)
            pthread_cond_wait(&a->cv, &a->mu);
        if (a->fsync_asked) {
            a->fsync_asked = false;
            int fd = a->fd;
            /* fd stays open while the thread runs: aof_stop and the switch
             * to a new incremental file take the lock to close one. */
            fdatasync(fd);
            note_synced(a, a->fsync_off);
            atomic_store(&a->fsync_running, false);
        }
        if (a->stopping)
            break;
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

/* Under everysec, ask the thread to fsync what is written, a second after
 * the last ask (from the write, as Redis's flushAppendOnlyFile, and from
 * the cron for a write that came sooner); not while an fsync runs, as
 * Redis postpones it: the thread holds mu through its fdatasync, which
 * the loop would wait out, and the fsync's offset is its ask's. Returns
 * whether one was due (asked, or postponed). */
static bool fsync_everysec(struct store *st)
{
    struct aof *a = st->aof;
    int64_t now = rs_real_ms();
    if (st->cfg.appendfsync != AOF_FSYNC_EVERYSEC || !a->sync_pending ||
        now - a->last_fsync_ms < 1000)
        return false;
    if (atomic_load(&a->fsync_running))
        return true;
    pthread_mutex_lock(&a->mu);
    a->fsync_asked = true;
    a->fsync_off = a->written_off;
    atomic_store(&a->fsync_running, true);
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    a->sync_pending = false;
    a->last_fsync_ms = now;
    return true;
}

/* Write the buffered bytes; 0 when they are all in the file, -1 when a
 * write failed (they stay buffered from where it stopped). */
static int write_buf(struct store *st)
{
    struct aof *a = st->aof;
    int64_t t0 = rs_mono_us();
    size_t n = rdb_write(a->fd, a->buf.p, a->buf.len);
    int64_t ms = (rs_mono_us() - t0) / 1000;
    /* Redis's classes of a slow write, then the write itself. */
    latency_add_sample(st,
                       st->cfg.appendfsync == AOF_FSYNC_EVERYSEC && atomic_load(&a->fsync_running)
                           ? "aof-write-pending-fsync"
                       : st->persist.child ? "aof-write-active-child"
                                           : "aof-write-alone",
                       ms);
    latency_add_sample(st, "aof-write", ms);
    a->size += n;
    if (n < a->buf.len) {
        /* What could not be written (a full disk) stays and is tried
         * again from where it stopped; meanwhile the last write status
         * says err (INFO) and, under always, no reply of it leaves. */
        int e = errno ? errno : EIO;
        if (a->last_write_ok)
            store_log(st, RS_LOG_WARNING, "Error writing to the AOF file: %s", strerror(e));
        a->last_write_ok = false;
        a->write_errno = e;
        memmove(a->buf.p, a->buf.p + n, a->buf.len - n);
        a->buf.len -= n;
        return -1;
    }
    if (!a->last_write_ok)
        store_log(st, RS_LOG_WARNING, "AOF write error looks solved, respite can write again.");
    a->last_write_ok = true;
    a->buf.len = 0;
    a->written_off = st->repl_off;
    a->sync_pending = true;
    return 0;
}

/* Under always, fsync what is written, now. */
static void fsync_always(struct store *st)
{
    struct aof *a = st->aof;
    int64_t t0 = rs_mono_us();
    pthread_mutex_lock(&a->mu);
    fdatasync(a->fd);
    pthread_mutex_unlock(&a->mu);
    note_synced(a, a->written_off);
    latency_add_sample(st, "aof-fsync-always", (rs_mono_us() - t0) / 1000);
    a->last_fsync_ms = rs_real_ms();
    a->sync_pending = false;
}

void aof_flush(struct store *st)
{
    struct aof *a = st->aof;
    if (a == NULL)
        return;
    enum aof_fsync mode = st->cfg.appendfsync;
    if (a->buf.len) {
        if (write_buf(st) != 0)
            return;
        if (mode == AOF_FSYNC_ALWAYS)
            fsync_always(st);
        else
            fsync_everysec(st);
        return;
    }
    /* Nothing to write: as Redis 7.4's flushAppendOnlyFile, fsync what
     * is written unsynced under always (appendfsync no or everysec may
     * have left some), or under everysec once the second is up, unless an
     * fsync runs; else count every command as fsynced (Redis's "All data
     * is fsync'd already"), under everysec even those written within the
     * second and not fsynced yet: WAITAOF's local count becomes 1 at the
     * turn after a write, as 7.4.1's does. Never under no. */
    if (a->sync_pending && mode == AOF_FSYNC_ALWAYS)
        fsync_always(st);
    else if (!fsync_everysec(st) && mode != AOF_FSYNC_NO)
        note_synced(a, st->repl_off);
}

int64_t aof_fsynced_off(const struct store *st)
{
    const struct aof *a = st->aof;
    if (a == NULL)
        return -1;
    return a->waiting ? 0 : atomic_load(&a->synced_off);
}

/* Open incremental file seq for appending (created empty). */
static int open_incr(struct store *st, long long seq, char *err, size_t errlen)
{
    char name[512], path[2048];
    incr_name(st, seq, name, sizeof name);
    aof_path(st, name, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
    return fd;
}

/* Move writing to the new file fd (its seq incr_last): what is buffered
 * goes to the old one first, fsynced. */
static void switch_incr(struct aof *a, struct store *st, int fd)
{
    aof_flush(st);
    pthread_mutex_lock(&a->mu);
    fdatasync(a->fd);
    close(a->fd);
    a->fd = fd;
    pthread_mutex_unlock(&a->mu);
    note_synced(a, a->written_off);
    a->sync_pending = false;
    a->cur_db = -1; /* a file's commands start in db 0: SELECT first */
}

static struct aof *aof_new(int fd)
{
    struct aof *a = rs_calloc(1, sizeof *a);
    a->fd = fd;
    a->cur_db = -1;
    a->last_write_ok = true;
    a->last_fsync_ms = rs_real_ms();
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    pthread_create(&a->thread, NULL, fsync_thread, a);
    return a;
}

static void aof_free(struct aof *a)
{
    pthread_mutex_lock(&a->mu);
    a->stopping = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cv);
    rs_free(a->pend.p);
    rs_free(a->pend_db);
    rs_free(a->pend_end);
    rs_free(a->buf.p);
    rs_free(a);
}

static void *close_thread(void *arg)
{
    close((int)(intptr_t)arg);
    return NULL;
}

/* Delete path without the loop paying for it, as Redis's bg_unlink: the
 * name goes now; the file's blocks go when its last descriptor closes,
 * which a short-lived thread of its own does (freeing a 120 MB base on
 * ext4 held the loop for 40-55 ms). */
static void unlink_in_background(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    unlink(path);
    if (fd < 0)
        return;
    pthread_attr_t attr;
    pthread_t t;
    bool started = pthread_attr_init(&attr) == 0;
    started = started && pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
              pthread_create(&t, &attr, close_thread, (void *)(intptr_t)fd) == 0;
    pthread_attr_destroy(&attr);
    if (!started)
        close(fd);
}

/* Delete the files of m that are not base keep_base or incremental files
 * from keep_incr on (what a new manifest no longer lists). */
static void delete_unlisted(const struct store *st, const struct manifest *m, long long keep_base,
                            long long keep_incr)
{
    char path[2048];
    if (m->base_seq && m->base_seq != keep_base) {
        store_log(st, RS_LOG_NOTICE, "Removing the history file %s", m->base);
        aof_path(st, m->base, path, sizeof path);
        unlink_in_background(path);
    }
    for (int i = 0; i < m->nincr; i++) {
        if (m->incr_first + i >= keep_incr)
            continue;
        store_log(st, RS_LOG_NOTICE, "Removing the history file %s", m->incr[i]);
        aof_path(st, m->incr[i], path, sizeof path);
        unlink_in_background(path);
    }
}

/* Write a base to path: an RDB file, or RESP commands (rdb false). */
static int write_base(struct store *st, const char *path, bool rdb, char *err, size_t errlen)
{
    return rdb ? rdb_save(st, path, &persist_rdb_hooks, true, err, errlen)
               : resp_save(st, path, &persist_rdb_hooks, err, errlen);
}

/* What a process killed mid-rewrite leaves in the directory: files of
 * ours that m does not list (a base renamed before its manifest, old files
 * a new manifest dropped before they were deleted) and temporary files.
 * Deleted at start, once m is loaded. */
static void delete_strays(const struct store *st, const struct manifest *m)
{
    char dir[2048], path[2048];
    aof_path(st, NULL, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    size_t plen = strlen(st->cfg.appendfilename);
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        bool ours = strncmp(n, st->cfg.appendfilename, plen) == 0 && n[plen] == '.' &&
                    ((len > 9 && strcmp(n + len - 9, ".incr.aof") == 0) ||
                     (len > 9 && strcmp(n + len - 9, ".base.rdb") == 0) ||
                     (len > 9 && strcmp(n + len - 9, ".base.aof") == 0));
        bool listed = strcmp(n, m->base) == 0;
        for (int i = 0; i < m->nincr && !listed; i++)
            listed = strcmp(n, m->incr[i]) == 0;
        if ((ours && !listed) || strncmp(n, "temp-", 5) == 0) {
            aof_path(st, n, path, sizeof path);
            unlink(path);
        }
    }
    closedir(d);
}

/* A first base of the keyspace, written here, a new incremental file and
 * the manifest listing the two: at start, when there are no files yet (the
 * keyspace is empty). */
static int aof_create(struct store *st, char *err, size_t errlen)
{
    char name[512], path[2048];
    if (make_aof_dir(st, err, errlen) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    struct manifest old;
    if (manifest_read(st, &old, err, errlen) < 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    long long base_seq = old.base_seq + 1, incr_seq = old.incr_last + 1;
    bool rdb = st->cfg.aof_use_rdb_preamble;
    base_name(st, base_seq, rdb, name, sizeof name);
    aof_path(st, name, path, sizeof path);
    int fd = -1;
    if (write_base(st, path, rdb, err, errlen) != 0 ||
        (fd = open_incr(st, incr_seq, err, errlen)) < 0 ||
        manifest_write(st, base_seq, name, incr_seq, incr_seq, err, errlen) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        if (fd >= 0)
            close(fd);
        unlink(path);
        manifest_free(&old);
        return -1;
    }
    delete_unlisted(st, &old, base_seq, incr_seq);
    manifest_free(&old);
    struct aof *a = aof_new(fd);
    a->base_seq = base_seq;
    a->incr_first = a->incr_last = incr_seq;
    snprintf(a->base, sizeof a->base, "%s", name);
    a->size = a->base_size = file_size(path);
    st->aof = a;
    store_log(st, RS_LOG_NOTICE, "Creating AOF base file %s", name);
    return 0;
}

/* What the temporary incremental file holds is in the snapshot of the
 * child about to fork (or went with a failed child): it starts empty
 * again. 0, or -1 with err (its old commands must not replay on top of a
 * base that holds them). */
static int temp_incr_restart(struct store *st, char *err, size_t errlen)
{
    struct aof *a = st->aof;
    a->buf.len = 0;
    a->size = 0;
    a->cur_db = -1;
    if (ftruncate(a->fd, 0) == 0)
        return 0;
    snprintf(err, errlen, "Can't truncate the temporary AOF incr file: %s", strerror(errno));
    return -1;
}

int aof_enable(struct store *st, bool defer, char *err, size_t errlen)
{
    char path[2048];
    if (make_aof_dir(st, err, errlen) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    struct persist *ps = &st->persist;
    /* A rewrite that appendonly no started is not collecting the commands
     * since its fork: stopped, as Redis does (also inside EXEC, where the
     * first rewrite is only scheduled: that child must not end as it). */
    if (ps->child && ps->child_type == PERSIST_CHILD_AOF) {
        store_log(st, RS_LOG_WARNING, "AOF was enabled but there is already an AOF rewriting in "
                  "background. Stopping background AOF and starting a rewrite now.");
        persist_kill_child(st);
    }
    temp_incr_path(st, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        store_log(st, RS_LOG_WARNING, "%s", err);
        return -1;
    }
    struct aof *a = aof_new(fd);
    a->waiting = true;
    /* The first rewrite's base holds every command so far: once it is in,
     * they count as on disk (Redis takes its fsynced offset so). */
    a->written_off = st->repl_off;
    atomic_store(&a->synced_off, st->repl_off);
    st->aof = a;
    if (ps->child || defer) {
        ps->aofrw.scheduled = true;
        ps->aofrw.failures = 0;
        store_log(st, RS_LOG_WARNING,
                  ps->child ? "AOF was enabled but there is already another background "
                              "operation. An AOF background was scheduled to start when possible."
                            : "AOF was enabled during a transaction. An AOF background was "
                              "scheduled to start when possible.");
        return 0;
    }
    if (aof_rewrite_start(st, err, errlen) != 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        store_log(st, RS_LOG_WARNING, "respite needs to enable the AOF but can't trigger a "
                  "background AOF rewrite operation. Check the above logs for more info about "
                  "the error.");
        st->aof = NULL;
        close(fd);
        unlink(path);
        aof_free(a);
        return -1;
    }
    return 0;
}

void aof_sync(struct store *st)
{
    aof_flush(st);
    if (fsync(st->aof->fd) != 0)
        store_log(st, RS_LOG_WARNING, "Fail to fsync the AOF file: %s.", strerror(errno));
}

void aof_stop(struct store *st)
{
    struct aof *a = st->aof;
    if (a == NULL)
        return;
    if (st->persist.child && st->persist.child_type == PERSIST_CHILD_AOF)
        persist_kill_child(st);
    /* nor is a rewrite scheduled any more (the first one, rescheduled
     * as its child was stopped, included), as Redis's stopAppendOnly */
    st->persist.aofrw.scheduled = false;
    if (a->waiting) { /* no manifest lists what it wrote */
        char path[2048];
        temp_incr_path(st, path, sizeof path);
        unlink(path);
    } else {
        aof_sync(st);
    }
    pthread_mutex_lock(&a->mu); /* not while the everysec thread fsyncs it */
    close(a->fd);
    pthread_mutex_unlock(&a->mu);
    st->aof = NULL;
    aof_free(a);
}

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

/* A decimal after p's first byte up to CRLF, within end; -1 if not whole,
 * -2 if malformed. *next after the CRLF. */
static long long read_count(const char *p, const char *end, const char **next)
{
    const char *cr = memchr(p, '\r', (size_t)(end - p));
    if (cr == NULL || cr + 1 >= end)
        return -1;
    if (cr[1] != '\n' || cr == p + 1)
        return -2;
    long long v = 0;
    for (const char *q = p + 1; q < cr; q++) {
        if (*q < '0' || *q > '9' || v > (1LL << 40))
            return -2;
        v = v * 10 + (*q - '0');
    }
    *next = cr + 2;
    return v;
}

/* Replay the RESP commands of file path from byte from on (last: the
 * manifest's last file, whose torn tail may be cut). 0, or -1 with err. */
static int load_resp(struct store *st, const char *path, size_t from, bool last, char *err,
                     size_t errlen, char *note, size_t notelen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "Can't open the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    /* Mapped, not read: the pages of a big file come and go as the
     * replay walks it. */
    struct stat sb;
    size_t len = fstat(fd, &sb) == 0 ? (size_t)sb.st_size : 0;
    if (len <= from) { /* nothing to replay */
        close(fd);
        return 0;
    }
    char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (buf == MAP_FAILED) {
        snprintf(err, errlen, "Can't map the append-only file %s: %s", path, strerror(errno));
        return -1;
    }
    struct session *s = (struct session *)respite_client_new((struct respite *)st);
    s->flags = (s->flags | SES_AUTHENTICATED | SES_REPLAY) & ~(uint32_t)SES_ACL_CHECK;
    struct rs_str *argv = NULL;
    long long cap = 0;
    const char *p = buf + from, *end = buf + len, *multi_at = NULL;
    int rc = 0;
    const char *torn = NULL; /* where the whole commands end */
    while (p < end) {
        const char *start = p;
        if (*p == '#') { /* an annotation (#TS:...) */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) {
                torn = start;
                break;
            }
            p = nl + 1;
            continue;
        }
        const char *q;
        long long argc = *p == '*' ? read_count(p, end, &q) : -2;
        if (argc == -1) {
            torn = start;
            break;
        }
        if (argc < 1) {
            snprintf(err, errlen, "Bad file format reading the append only file %s", path);
            rc = -1;
            break;
        }
        bool whole = true, bad = false;
        for (long long i = 0; i < argc && whole && !bad; i++) {
            /* Grown with what is read: a count is only a claim. */
            if (i == cap) {
                cap = cap ? cap * 2 : 16;
                argv = rs_realloc(argv, (size_t)cap * sizeof *argv);
            }
            if (q >= end) {
                whole = false;
                break;
            }
            long long n = *q == '$' ? read_count(q, end, &q) : -2;
            if (n == -1 || (n >= 0 && (size_t)(end - q) < (size_t)n + 2)) {
                whole = false;
            } else if (n < 0 || q[n] != '\r' || q[n + 1] != '\n') {
                bad = true;
            } else {
                argv[i] = rs_str_from(q, (size_t)n);
                q += n + 2;
            }
        }
        if (bad) {
            snprintf(err, errlen, "Bad file format reading the append only file %s", path);
            rc = -1;
            break;
        }
        if (!whole) {
            torn = start;
            break;
        }
        p = q;
        if (cmd_lookup(st->lut, argv[0]) == NULL) {
            snprintf(err, errlen, "Unknown command '%.*s' reading the append only file %s",
                     (int)(argv[0].len < 64 ? argv[0].len : 64), argv[0].p, path);
            rc = -1;
            break;
        }
        bool is_multi = rs_str_eqi(argv[0], "multi");
        if (is_multi)
            multi_at = start;
        respite_client_run((struct respite_client *)s, (int)argc, argv);
        resp_out_discard(&s->out);
        if (rs_str_eqi(argv[0], "exec"))
            multi_at = NULL;
    }
    /* A block without its EXEC did not run (its session is freed with
     * the queue): the file is cut before its MULTI. */
    if (rc == 0 && multi_at)
        torn = multi_at;
    if (rc == 0 && torn) {
        if (!last || !st->cfg.aof_load_truncated) {
            snprintf(err, errlen,
                     "Unexpected end of file reading the append only file %s. You can: 1) Make "
                     "a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "
                     "2) Alternatively you can set the 'aof-load-truncated' configuration option "
                     "to yes and restart the server.",
                     path);
            rc = -1;
        } else if (truncate(path, (off_t)(torn - buf)) != 0) {
            snprintf(err, errlen, "Error truncating the AOF file %s: %s", path, strerror(errno));
            rc = -1;
        } else {
            snprintf(note, notelen,
                     "!!! Warning: short read while loading the AOF file %s!!! AOF loaded anyway "
                     "because aof-load-truncated is enabled; the file was cut to %lld bytes (%lld "
                     "dropped)",
                     path, (long long)(torn - buf), (long long)(end - torn));
        }
    }
    respite_client_free((struct respite_client *)s);
    rs_free(argv);
    munmap(buf, len);
    return rc;
}

/* Load the files m lists. */
/* The base file of m, known by its content as Redis's loader knows it: an
 * RDB ("REDIS" first), which may be followed by commands (a pre-7.0 AOF
 * with an RDB preamble, moved in by upgrade_old_aof), or commands alone.
 * 0, 1 when there is no such file, 2 when a SHUTDOWN stopped it, or -1
 * with err. */
static int load_base(struct store *st, const struct manifest *m, char *err, size_t errlen,
                     char *note, size_t notelen)
{
    char path[2048], magic[5] = "";
    aof_path(st, m->base, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 1 : (snprintf(err, errlen, "Can't open the AOF base file %s: %s",
                                               path, strerror(errno)), -1);
    bool rdb = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "REDIS", 5) == 0;
    fclose(f);
    size_t used = 0;
    if (rdb) {
        int rc = rdb_load_prefix(st, path, &persist_rdb_hooks, false, err, errlen, &used);
        if (rc != 0)
            return rc;
    }
    return load_resp(st, path, used, m->nincr == 0, err, errlen, note, notelen);
}

static int load_manifest(struct store *st, const struct manifest *m, char *err, size_t errlen,
                         char *note, size_t notelen)
{
    char path[2048];
    if (m->base_seq) {
        int rc = load_base(st, m, err, errlen, note, notelen);
        if (rc == 1) {
            aof_path(st, m->base, path, sizeof path);
            snprintf(err, errlen, "The AOF base file %s doesn't exist", path);
            return -1;
        }
        if (rc != 0)
            return rc; /* 2: a SHUTDOWN stopped it */
    }
    for (int i = 0; i < m->nincr; i++) {
        aof_path(st, m->incr[i], path, sizeof path);
        if (load_resp(st, path, 0, i == m->nincr - 1, err, errlen, note, notelen) != 0)
            return -1;
    }
    return 0;
}

int aof_load(struct store *st, char *err, size_t errlen)
{
    struct manifest m;
    int rc = manifest_read(st, &m, err, errlen);
    if (rc != 0)
        return rc;
    char note[1024] = "";
    struct aof *on = st->aof;
    st->aof = NULL; /* replay propagates nothing */
    rc = load_manifest(st, &m, err, errlen, note, sizeof note);
    manifest_free(&m);
    st->aof = on;
    if (rc == 0 && note[0])
        snprintf(err, errlen, "%s", note);
    else if (rc == 0)
        err[0] = '\0';
    return rc;
}

/* Open the files m lists for appending (the last incremental file; a new
 * one when it lists none). */
static int aof_open(struct store *st, const struct manifest *m, char *err, size_t errlen)
{
    long long incr = m->nincr ? m->incr_last : 1;
    int fd = open_incr(st, incr, err, errlen);
    if (fd < 0)
        return -1;
    if (m->nincr == 0 && manifest_write(st, m->base_seq, m->base, incr, incr, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    struct aof *a = aof_new(fd);
    a->base_seq = m->base_seq;
    snprintf(a->base, sizeof a->base, "%s", m->base);
    a->incr_first = m->nincr ? m->incr_first : incr;
    a->incr_last = incr;
    char path[2048];
    if (m->base_seq) {
        aof_path(st, m->base, path, sizeof path);
        a->size += file_size(path);
    }
    for (int i = 0; i < m->nincr; i++) {
        aof_path(st, m->incr[i], path, sizeof path);
        a->size += file_size(path);
    }
    a->base_size = a->size;
    st->aof = a;
    return 0;
}

void respite_aof_flush(struct respite *rs)
{
    struct store *st = (struct store *)rs;
    wait_ask_acks(st);
    aof_flush(st);
    block_serve_acks(st);
}

int respite_aof_pending(const struct respite *rs)
{
    const struct store *st = (const struct store *)rs;
    return st->aof && st->aof->buf.len && st->cfg.appendfsync == AOF_FSYNC_ALWAYS;
}

/* Move a pre-7.0 single append-only file (<dir>/<appendfilename>) into the
 * AOF directory as its base, as Redis 7's aofUpgradePrepare: when the
 * directory has no manifest (have is false) or an empty one, or one that
 * lists only that file, which the directory lacks (a move cut short). The
 * manifest is written first, then the file moved. 1 when it moved it, 0
 * when there was nothing to move, -1 with err. */
static int upgrade_old_aof(struct store *st, const struct manifest *m, bool have, char *err,
                           size_t errlen)
{
    const char *name = st->cfg.appendfilename;
    char old[2048], dir[2048], path[2048];
    snprintf(old, sizeof old, "%s/%s", st->cfg.dir, name);
    aof_path(st, NULL, dir, sizeof dir);
    aof_path(st, name, path, sizeof path);
    struct stat sb;
    if (stat(old, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    if (have && m->nincr == 0 && m->base_seq &&
        (strcmp(m->base, name) != 0 || stat(path, &sb) == 0))
        return 0;
    if (have && m->nincr != 0)
        return 0;
    if (make_aof_dir(st, err, errlen) != 0)
        return -1;
    if (manifest_write(st, 1, name, 0, 0, err, errlen) != 0)
        return -1;
    if (rename(old, path) != 0 || fsync_dir(dir) != 0 || fsync_dir(st->cfg.dir) != 0) {
        snprintf(err, errlen, "Error trying to rename the old AOF file %s into dir %s: %s", name,
                 st->cfg.appenddirname, strerror(errno));
        return -1;
    }
    store_log(st, RS_LOG_NOTICE,
              "Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).",
              name, st->cfg.appenddirname);
    return 1;
}

int aof_load_at_start(struct store *st, char *err, size_t errlen)
{
    struct manifest m;
    int rc = manifest_read(st, &m, err, errlen);
    if (rc < 0)
        return -1;
    int moved = upgrade_old_aof(st, &m, rc == 0, err, errlen);
    if (moved != 0) {
        manifest_free(&m);
        if (moved < 0 || (rc = manifest_read(st, &m, err, errlen)) < 0)
            return -1;
    }
    if (rc == 1) /* no AOF yet: a base of the (empty) keyspace, as Redis */
        return aof_create(st, err, errlen) == 0 ? 1 : -1;
    char note[1024] = "";
    rc = load_manifest(st, &m, err, errlen, note, sizeof note);
    /* Strays first: the incremental file aof_open may create for a
     * manifest that lists none is not in m. */
    if (rc == 0)
        delete_strays(st, &m);
    if (rc == 0 && aof_open(st, &m, err, errlen) != 0)
        rc = -1;
    if (rc == 0)
        snprintf(err, errlen, "%s", note);
    manifest_free(&m);
    return rc;
}

/* ------------------------------------------------------------------------
 * Rewriting (BGREWRITEAOF) and the cron
 * ------------------------------------------------------------------------ */

static void temp_base_path(const struct store *st, pid_t child, char *buf, size_t size)
{
    char name[64];
    snprintf(name, sizeof name, "temp-rewriteaof-bg-%d.aof", (int)child);
    aof_path(st, name, buf, size);
}

/* A rewrite child that did not succeed may leave its temporary base and,
 * stopped mid-write, the file rdb_save or resp_save was writing it
 * through (temp-<pid>.rdb, temp-<pid>.aof): all go. */
static void remove_child_temps(const struct store *st, pid_t child)
{
    char name[64], path[2048];
    temp_base_path(st, child, path, sizeof path);
    unlink(path);
    for (int i = 0; i < 2; i++) {
        snprintf(name, sizeof name, "temp-%d.%s", (int)child, i ? "aof" : "rdb");
        aof_path(st, name, path, sizeof path);
        unlink(path);
    }
}

/* The rewrite child's job: the keyspace as it was at the fork, into the
 * temporary base. */
static int rewrite_job(struct store *st, const void *arg, char *err, size_t errlen)
{
    (void)arg;
    char path[2048];
    temp_base_path(st, getpid(), path, sizeof path);
    return write_base(st, path, st->persist.aofrw.child_rdb, err, errlen);
}

/* Under appendonly yes, open the next incremental file and list it before
 * the child starts (a crash during the rewrite loads the old base and
 * every incremental file); returns its seq, or -1 with err. */
static long long rewrite_next_incr(struct store *st, char *err, size_t errlen)
{
    struct aof *a = st->aof;
    long long next = a->incr_last + 1;
    int fd = open_incr(st, next, err, errlen);
    if (fd < 0)
        return -1;
    if (manifest_write(st, a->base_seq, a->base, a->incr_first ? a->incr_first : next, next,
                       err, errlen) != 0) {
        close(fd);
        return -1;
    }
    switch_incr(a, st, fd);
    if (a->incr_first == 0)
        a->incr_first = next;
    a->incr_last = next;
    return next;
}

int aof_rewrite_start(struct store *st, char *err, size_t errlen)
{
    struct persist_aofrw *rw = &st->persist.aofrw;
    rw->scheduled = false;
    rw->child_rdb = st->cfg.aof_use_rdb_preamble; /* the base's type, chosen now */
    if (make_aof_dir(st, err, errlen) != 0)
        return -1;
    /* Under appendonly no there is no incremental file: the new base is
     * all the files hold, as Redis writes it then. */
    long long next = 0;
    if (st->aof && st->aof->waiting ? temp_incr_restart(st, err, errlen) != 0
        : st->aof && (next = rewrite_next_incr(st, err, errlen)) < 0) {
        rw->last_ok = false;
        rw->failures++;
        return -1;
    }
    rw->start_ms = rs_real_ms();
    char why[256];
    int pid = persist_fork(st, PERSIST_CHILD_AOF, rewrite_job, NULL, why, sizeof why);
    if (pid < 0) {
        snprintf(err, errlen, "Can't rewrite append only file in background: %s", why);
        rw->last_ok = false;
        rw->failures++;
        return -1;
    }
    rw->child_incr = next;
    rw->count++; /* INFO's aof_rewrites counts the rewrites started, as Redis's */
    store_log(st, RS_LOG_NOTICE, "Background append only file rewriting started by pid %d", pid);
    return 0;
}

/* The sizes of the files after a rewrite: the new base (path) and the
 * incremental files from its fork's on. */
static void rewrite_sizes(struct store *st, const char *path)
{
    struct aof *a = st->aof;
    a->size = file_size(path);
    for (long long s = a->incr_first; s <= a->incr_last; s++) {
        char iname[512], ipath[2048];
        incr_name(st, s, iname, sizeof iname);
        aof_path(st, iname, ipath, sizeof ipath);
        a->size += file_size(ipath);
    }
    a->base_size = a->size;
}

/* A first rewrite (aof_enable) did not install its base: its temporary
 * incremental file starts again and the rewrite is scheduled again, as
 * Redis (after the backoff of failures, aof_rewrite_may_start). */
static void first_rewrite_again(struct store *st)
{
    char err[256];
    if (temp_incr_restart(st, err, sizeof err) != 0)
        store_log(st, RS_LOG_WARNING, "%s", err);
    st->persist.aofrw.scheduled = true;
}

/* Give the temporary incremental file of a first rewrite its name in the
 * layout, seq; false (logged) when it cannot. */
static bool temp_incr_install(struct store *st, long long seq)
{
    char tpath[2048], name[512], path[2048];
    temp_incr_path(st, tpath, sizeof tpath);
    incr_name(st, seq, name, sizeof name);
    aof_path(st, name, path, sizeof path);
    if (rename(tpath, path) != 0) {
        store_log(st, RS_LOG_WARNING,
                  "Error trying to rename the temporary AOF incr file %s into %s: %s", tpath, path,
                  strerror(errno));
        return false;
    }
    store_log(st, RS_LOG_NOTICE, "Successfully renamed the temporary AOF incr file %s into %s",
              strrchr(tpath, '/') + 1, name);
    return true;
}

void aof_rewrite_done(struct store *st, int pid, int status, uint64_t cow, const char *why)
{
    struct persist_aofrw *rw = &st->persist.aofrw;
    struct aof *a = st->aof;
    bool first = a && a->waiting;
    char tmp[2048], name[512], path[2048], err[512];
    temp_base_path(st, pid, tmp, sizeof tmp);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1) { /* stopped by us */
        remove_child_temps(st, pid);
        if (first)
            first_rewrite_again(st);
        return;
    }
    rw->last_secs = (rs_real_ms() - rw->start_ms) / 1000;
    rw->last_cow = cow;
    struct manifest old = {0};
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
        store_log(st, RS_LOG_NOTICE, "Background AOF rewrite terminated with success");
        ok = manifest_read(st, &old, err, sizeof err) >= 0;
    }
    /* The next base follows the manifest's (none under appendonly no
     * before the first rewrite). The incremental files from the fork's on
     * stay listed: none when appendonly was off, the temporary one under
     * its next name after a first rewrite (every older file goes). */
    long long base = old.base_seq + 1;
    long long incr = first ? old.incr_last + 1 : rw->child_incr;
    long long keep = first || incr == 0 ? LLONG_MAX : incr;
    base_name(st, base, rw->child_rdb, name, sizeof name);
    aof_path(st, name, path, sizeof path);
    bool renamed = ok && rename(tmp, path) == 0;
    if (renamed)
        store_log(st, RS_LOG_NOTICE, "Successfully renamed the temporary AOF base file %s into %s",
                  strrchr(tmp, '/') + 1, name);
    bool moved = renamed && first && temp_incr_install(st, incr);
    if (renamed && (moved || !first) &&
        manifest_write(st, base, name, incr, a ? (first ? incr : a->incr_last) : 0, err,
                       sizeof err) == 0) {
        delete_unlisted(st, &old, base, keep);
        if (a) {
            a->waiting = false;
            a->base_seq = base;
            snprintf(a->base, sizeof a->base, "%s", name);
            a->incr_first = incr;
            if (first)
                a->incr_last = incr;
            rewrite_sizes(st, path);
        }
        rw->last_ok = true;
        rw->failures = 0;
        store_log(st, RS_LOG_NOTICE, "Background AOF rewrite finished successfully");
    } else {
        /* The next base is listed nowhere yet, whichever step failed; the
         * temporary incremental file goes back under its name. */
        if (renamed)
            unlink(path);
        remove_child_temps(st, pid);
        if (moved) {
            char iname[512], ipath[2048], tpath[2048];
            incr_name(st, incr, iname, sizeof iname);
            aof_path(st, iname, ipath, sizeof ipath);
            temp_incr_path(st, tpath, sizeof tpath);
            if (rename(ipath, tpath) != 0)
                unlink(ipath);
        }
        rw->last_ok = false;
        rw->failures++;
        if (why[0])
            store_log(st, RS_LOG_WARNING, "AOF rewrite child: %s", why);
        store_log(st, RS_LOG_WARNING, "Background AOF rewrite terminated with error");
        if (first)
            first_rewrite_again(st);
    }
    manifest_free(&old);
}

void aof_cron(struct store *st)
{
    struct aof *a = st->aof;
    if (a == NULL)
        return;
    if (!a->last_write_ok) /* try again: no client may come to flush it */
        aof_flush(st);
    fsync_everysec(st);
}

/* Growth of the files since the last rewrite (or the start), in percent
 * of their size then. */
static uint64_t growth(const struct aof *a)
{
    uint64_t base = a->base_size ? a->base_size : 1;
    return (a->size - (a->size > base ? base : a->size)) * 100 / base;
}

bool aof_rewrite_may_start(const struct store *st)
{
    const struct persist_aofrw *rw = &st->persist.aofrw;
    int shift = rw->failures < 6 ? (int)rw->failures : 6;
    return rw->failures == 0 || rs_real_ms() - rw->start_ms >= (int64_t)(1000LL << shift);
}

bool aof_rewrite_due(const struct store *st)
{
    const struct aof *a = st->aof;
    return aof_rewrite_may_start(st) && st->cfg.auto_aof_rewrite_percentage > 0 &&
           a->size >= (uint64_t)st->cfg.auto_aof_rewrite_min_size &&
           growth(a) >= (uint64_t)st->cfg.auto_aof_rewrite_percentage;
}

void aof_rewrite_cron(struct store *st)
{
    if (!st->persist.aofrw.scheduled)
        store_log(st, RS_LOG_NOTICE, "Starting automatic rewriting of AOF on %llu%% growth",
                 (unsigned long long)growth(st->aof));
    char err[512];
    if (aof_rewrite_start(st, err, sizeof err) < 0) {
        store_log(st, RS_LOG_WARNING, "%s", err);
        /* appendonly waits for its first base: tried again */
        if (st->aof && st->aof->waiting)
            st->persist.aofrw.scheduled = true;
    }
}
