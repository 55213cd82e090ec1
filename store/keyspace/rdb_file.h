/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB files (rdb_save.c, rdb_load.c), and the keyspace as RESP commands
 * (resp_save.c): the whole keyspace written to a file
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
    /* Call fn with the code of each library (a RESP base's FUNCTION LOAD). */
    void (*each_function)(struct store *st, void (*fn)(void *ud, const char *code, size_t len),
                          void *ud);
};

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
 * Returns 0, 1 when there is no file at path (nothing loaded), or -1 with
 * the reason in err: unreadable, corrupt, a bad checksum (checked unless
 * rdbchecksum is off or the file's is 0), a type not known (the keys read
 * before stay). O(file bytes). */
int rdb_load(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
             size_t errlen);

/* Write the function libraries (FUNCTION LOAD) and every database of st
 * to path as RESP commands (resp_save.c), an append-only file's base
 * under aof-use-rdb-preamble no; through a temporary file renamed over
 * it. Streams are refused: -1 with the reason in err, as for a write
 * error. O(keys + their bytes). */
int resp_save(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
              size_t errlen);

#endif
