/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB files (rdb_save.c, rdb_load.c): the whole keyspace written to a file
 * in Redis 7.4's format (version 12) and read back from any version from
 * 1 to 12. What the keyspace layer cannot write or read itself -- the
 * function libraries, which the commands layer owns -- goes through
 * struct rdb_hooks.
 */
#ifndef KEYSPACE_RDB_FILE_H
#define KEYSPACE_RDB_FILE_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct rdb_buf;

/* The Redis version a file says it was written by ("redis-ver"). */
#define RDB_REDIS_VER "7.4.1"

struct rdb_hooks {
    /* Append the libraries as RDB_OPCODE_FUNCTION2 records. */
    void (*put_functions)(struct store *st, struct rdb_buf *b);
    /* Create the library of code[0..len) (a FUNCTION2 record); false with
     * the reason in err. */
    bool (*load_function)(struct store *st, const char *code, size_t len, char *err,
                          size_t errlen);
    /* Loading: called every RDB_PROGRESS_KEYS keys with the bytes of the
     * file read so far and its size (clients may be served from it);
     * false stops the load (a shutdown came). */
    bool (*progress)(struct store *st, size_t done, size_t total);
};

#define RDB_PROGRESS_KEYS 1024

/* Write every database of st to path (through a temporary file in the
 * same directory, renamed over it), LZF-compressing strings unless
 * rdbcompression is off, with the CRC-64 unless rdbchecksum is off.
 * Returns 0, or -1 with Redis's message in err (the target untouched).
 * O(keys + their bytes); the caller is blocked meanwhile. */
int rdb_save(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
             size_t errlen);

/* Add the keys of the RDB file at path to st, which should be empty:
 * keys already past their deadline, and hash fields and set members past
 * theirs, are dropped, as Redis drops them on a primary. Older encodings
 * (ziplists, zipmaps are refused) are converted to those respite keeps.
 * Returns 0, 1 when there is no file at path (nothing loaded), 2 when
 * hooks->progress stopped it (the keys read stay), or -1 with
 * the reason in err: unreadable, corrupt, a bad checksum (checked unless
 * rdbchecksum is off or the file's is 0), a type not known (the keys read
 * before stay). O(file bytes). hooks->progress may run commands between
 * two keys: nothing it runs may write. */
int rdb_load(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
             size_t errlen);

#endif
