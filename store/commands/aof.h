/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The append-only file (aof.c) and the stream of commands that feeds it
 * (propagate.c). Commands propagate in the form that replays to the same
 * state (absolute deadlines, the members SPOP took, the ids XADD gave, the
 * pops a blocked client got, expiries as deletions); the commands of one
 * outermost call -- a command, an EXEC, a script -- go out together, in a
 * MULTI ... EXEC block when there are several, after a SELECT when their
 * database is not the file's current one, as Redis 7 propagates them.
 *
 * The files are Redis 7's multi-part layout: in <dir>/<appenddirname>, a
 * base (an RDB file, or RESP commands) and incremental files of RESP
 * commands, listed in order by the manifest <appendfilename>.manifest.
 * The engine and commands see struct aof only through these functions;
 * st->aof is NULL while appendonly is off and while files load.
 */
#ifndef COMMANDS_AOF_H
#define COMMANDS_AOF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "keyspace/rdb.h"
#include "keyspace/state.h"

/* in Redis's order of the names (its CONFIG SET error lists them so) */
enum aof_fsync { AOF_FSYNC_EVERYSEC, AOF_FSYNC_ALWAYS, AOF_FSYNC_NO };

struct aof {
    /* propagation (propagate.c) */
    struct rdb_buf pend; /* RESP of the running call's commands, not yet in buf */
    int *pend_db;        /* the database of each pending command */
    uint32_t *pend_end;  /* and where it ends in pend */
    int npend, pend_cap;
    int cur_db;          /* the database the file's next command runs in, -1: SELECT first */
    int64_t last_ts;     /* unix seconds of the last #TS: annotation */
    struct rdb_buf buf;  /* bytes for the incremental file, not yet written */
    /* files (aof.c) */
    int fd;              /* the open incremental file */
    /* appendonly turned on at run time, its first rewrite not yet in: fd
     * is the temporary incremental file, and the base_seq ... incr_last
     * below are unset (aof_enable) */
    bool waiting;
    long long base_seq;               /* the manifest's base */
    char base[512];                   /* its file's name */
    long long incr_first, incr_last; /* its incremental files; fd is incr_last's */
    uint64_t base_size;  /* bytes of the base and the incremental files at the last rewrite */
    uint64_t size;       /* bytes of the base and incremental files now */
    bool sync_pending;   /* written since the last fsync (or since the last ask, everysec) */
    /* How far the file holds the commands (st->repl_off's count when they
     * were all written), and how far it counts as fsynced (Redis's
     * fsynced_reploff_pending: WAITAOF's local count, aof_fsynced_off),
     * raised by the loop and the thread, never lowered (aof.c's
     * note_synced). */
    int64_t written_off;
    _Atomic int64_t synced_off;
    /* the fsync thread (everysec): fsyncs fd when asked, off the loop */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool fsync_asked, stopping;
    int64_t fsync_off;   /* written_off when the running fsync was asked (under mu) */
    /* an fsync asked and not finished: a write now waits on the disk with it
     * (the aof-write-pending-fsync latency event); read without the lock */
    _Atomic bool fsync_running;
    int64_t last_fsync_ms;
    /* stats (INFO); BGREWRITEAOF's are st->persist.aofrw */
    bool last_write_ok;
    int write_errno;       /* of the failed write, while last_write_ok is false */
};

/* ---- propagation (propagate.c) ------------------------------------------ */

/* c's command has run (cmd_call, a blocked client's re-run): log it when
 * it is a write that changed the dataset (changed: ks_dirty counted a
 * change during the call, as Redis propagates only when server.dirty
 * moved) and gave no form of its own (prop_add); at the end of the
 * outermost call, move the call's commands to the file's buffer, counted
 * in st->repl_off, which c's client then remembers (s->woff). */
void prop_call_done(struct cmd_ctx *c, bool changed);
/* The keyspace's hooks (struct ks_hooks): DEL (UNLINK when lazy) of an
 * expired or evicted key, HDEL or SREM of an expired field or member. */
void prop_expired(struct db *db, struct rs_str key, bool lazy);
void prop_sub_expired(struct db *db, struct rs_str key, bool is_hash, struct rs_str name);

/* ---- the files (aof.c) --------------------------------------------------- */

/* Turn appendonly on at run time, as Redis: a rewrite child writes the
 * first base while the commands go to a temporary incremental file (a
 * child appendonly no started is stopped first); the rewrite is only
 * scheduled when another child runs or defer is set (inside EXEC).
 * 0, or -1 with the reason in err (appendonly stays off). */
int aof_enable(struct store *st, bool defer, char *err, size_t errlen);
/* Turn it off: stop a rewrite child, drop a scheduled rewrite, write and
 * fsync what is buffered (or, while the first rewrite was still due,
 * delete the temporary file), close the file. */
void aof_stop(struct store *st);
/* Load the files of the manifest into st (empty); 1 when there is no
 * manifest, 0 when loaded, -1 with the reason in err. */
int aof_load(struct store *st, char *err, size_t errlen);
/* respite_load under appendonly yes: load the files and open them for
 * appending, or create them (an empty base) when there are none, as
 * Redis; as respite_load's returns (2: a SHUTDOWN stopped the load of the
 * RDB base). */
int aof_load_at_start(struct store *st, char *err, size_t errlen);
/* Write the buffered bytes to the incremental file; fsync them under
 * appendfsync always, or ask the thread to once a second under everysec;
 * with nothing to write, move what counts as fsynced as Redis 7.4's
 * flushAppendOnlyFile (see there). */
void aof_flush(struct store *st);
/* How far the file is fsynced, on st->repl_off's scale, as Redis's
 * fsynced_reploff: -1 while appendonly is off, 0 while its first rewrite
 * runs (the base is not in: nothing counts as on disk), then what the
 * fsyncs covered. WAITAOF's local count is whether it reaches the
 * client's s->woff. */
int64_t aof_fsynced_off(const struct store *st);
/* Write the buffered bytes and fsync the file now (a shutdown). */
void aof_sync(struct store *st);
/* Once a tick: the everysec fsync, the retry of a failed write. */
void aof_cron(struct store *st);
/* Fork the rewrite child (persist_fork) writing a new base, with no child
 * running and not inside EXEC, under appendonly yes or no (a base alone
 * then): 0, or -1 with the reason in err (counted as a failed rewrite). */
int aof_rewrite_start(struct store *st, char *err, size_t errlen);
/* Whether the cron may start a rewrite: after failed ones, the next waits
 * 2, 4 ... 64 s (one that cannot succeed, a stream under
 * aof-use-rdb-preamble no or a full disk, must not fork at every tick). */
bool aof_rewrite_may_start(const struct store *st);
/* Whether the automatic rewrite is due (auto-aof-rewrite-percentage and
 * -min-size, aof_rewrite_may_start). */
bool aof_rewrite_due(const struct store *st);
/* Start the scheduled or automatic rewrite from the cron (logged). */
void aof_rewrite_cron(struct store *st);
/* The rewrite child pid ended with status (persist.c reaped it): install
 * its base, or keep the old files; cow is its private dirty bytes, why its
 * error text ("" when none). A SIGUSR1 (persist_kill_child) is no
 * failure. */
void aof_rewrite_done(struct store *st, int pid, int status, uint64_t cow, const char *why);
/* The errno of the last write to the file when it failed (a full disk),
 * 0 once writes succeed again. st->aof must be set. */
static inline int aof_write_errno(const struct store *st)
{
    return st->aof->last_write_ok ? 0 : st->aof->write_errno;
}

#endif
