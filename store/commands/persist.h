/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB snapshots as the rest of the commands layer sees them (persist.c):
 * the synchronous save, the one child process BGSAVE and BGREWRITEAOF
 * share, the save points, the MISCONF state and INFO's Persistence
 * section.
 */
#ifndef COMMANDS_PERSIST_H
#define COMMANDS_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/commands.h"
#include "keyspace/rdb_file.h"

/* What runs in the child process (struct persist's child_type). */
enum persist_child { PERSIST_CHILD_RDB = 1, PERSIST_CHILD_AOF };

/* The RDB hooks of this layer (the function libraries, the load's
 * progress), for every file written or loaded with rdb_save, resp_save,
 * rdb_load. */
extern const struct rdb_hooks persist_rdb_hooks;

/* Fork the child of type, which runs job(st, arg, err, errlen) -- write
 * a file, 0 or -1 with the reason in err -- under the fork-safety rules of
 * respite.h (its own arena, the host's signals at their defaults, no
 * descriptor but 0-2 and its report pipe) and exits. The cron reaps it
 * and calls that type's end (BGSAVE's, aof_rewrite_done). Returns its
 * pid, or -1 (pipe or fork failed) with the reason in err. None may run
 * already. */
int persist_fork(struct store *st, enum persist_child type,
                 int (*job)(struct store *st, const void *arg, char *err, size_t errlen),
                 const void *arg, char *err, size_t errlen);

/* The bytes of field ("Private_Dirty:", "AnonHugePages:") over the
 * whole process in /proc/self/smaps_rollup, 0 when /proc does not say.
 * Only system calls: a save child calls it. */
uint64_t proc_rollup_bytes(const char *field);

/* Write the RDB file now, on this thread, as Redis's rdbSave (SAVE, the
 * final save of a shutdown, FLUSHALL's): on success the change count
 * restarts from 0, lastsave is now and rdb_last_bgsave_status ok.
 * Returns 0, or -1 once the reason is logged. */
int persist_save(struct store *st);

/* Whether st refuses write commands (and PING) with -MISCONF, as Redis's
 * writeCommandsDeniedByDiskError, and the text into buf: Redis's
 * RDB one when a background save failed while save points are set and
 * stop-writes-on-bgsave-error is yes, and none succeeded since; else its
 * AOF one when the last write to the append-only file failed. One
 * predictable branch when the last BGSAVE went well and there is no AOF:
 * it runs before every write command. */
bool persist__refuses_writes(const struct store *st, char *buf, size_t size);
static inline bool persist_refuses_writes(const struct store *st, char *buf, size_t size)
{
    if (__builtin_expect(st->persist.last_bgsave_ok && st->aof == NULL, 1))
        return false;
    return persist__refuses_writes(st, buf, size);
}

/* Stop the running child (SIGUSR1, as Redis's killRDBChild and
 * killAppendOnlyChild), wait for its process and remove its temporary
 * file; nothing if none runs. Its outcome is not recorded as a failure. */
void persist_kill_child(struct store *st);

/* The lines of INFO's `# Persistence` section, in Redis 7.4's order,
 * into buf (NUL-terminated). */
void persist_info(const struct store *st, char *buf, size_t size);

#endif
