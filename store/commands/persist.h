/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB snapshots as the rest of the commands layer sees them (persist.c):
 * the synchronous save, the background save's child process, the save
 * points, the MISCONF state and INFO's Persistence section.
 */
#ifndef COMMANDS_PERSIST_H
#define COMMANDS_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "commands/commands.h"

/* Write the RDB file now, on this thread, as Redis's rdbSave (SAVE, the
 * final save of a shutdown, FLUSHALL's): on success the change count
 * restarts from 0, lastsave is now and rdb_last_bgsave_status ok.
 * Returns 0, or -1 once the reason is logged. */
int persist_save(struct store *st);

/* Whether st refuses write commands (and PING) with -MISCONF: a
 * background save failed while save points are set and
 * stop-writes-on-bgsave-error is yes, and none succeeded since. */
bool persist_refuses_writes(const struct store *st);

/* Stop a running BGSAVE (SIGUSR1, as Redis's killRDBChild), wait for its
 * process and remove its temporary file; nothing if none runs. Its
 * outcome is not recorded as a failure. */
void persist_kill_child(struct store *st);

/* The lines of INFO's `# Persistence` section, in Redis 7.4's order,
 * into buf (NUL-terminated). */
void persist_info(const struct store *st, char *buf, size_t size);

#endif
