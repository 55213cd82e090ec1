/* SPDX-License-Identifier: BSD-3-Clause
 *
 * RDB files (rdb_save.c, rdb_load.c), and the keyspace as RESP commands
 * (resp_save.c): the whole keyspace written to a file
 * in Redis 7.4's format (version 12) and read back from any version from
 * 1 to 12. What the keyspace layer cannot write or read itself -- the
 * function libraries, which the commands layer owns -- goes through
 * struct rdb_hooks. Values alone, in the same bytes, for DUMP and RESTORE
 * (rdb_put_value, rdb_value_read).
 */
#ifndef KEYSPACE_RDB_FILE_H
#define KEYSPACE_RDB_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "keyspace/keyspace.h"

struct store;
struct rdb_buf;
struct rdb_reader;

/* The Redis version a file says it was written by ("redis-ver"). */
#define RDB_REDIS_VER "7.4.1"

struct rdb_hooks {
    /* Append the libraries as RDB_OPCODE_FUNCTION2 records. */
    void (*put_functions)(struct store *st, struct rdb_buf *b);
    /* Create the library of code[0..len) (a FUNCTION2 record), replacing
     * one of the same name if replace; false with the reason in err. */
    bool (*load_function)(struct store *st, const char *code, size_t len, bool replace,
                          char *err, size_t errlen);
    /* Loading: called every RDB_PROGRESS_KEYS keys with the bytes of the
     * file read so far and its size (clients may be served from it);
     * false stops the load (a shutdown came). */
    bool (*progress)(struct store *st, size_t done, size_t total);
    /* Saving (rdb_save, resp_save): called every RDB_PROGRESS_KEYS keys
     * written with their count (a fork child reports its progress). */
    void (*save_progress)(struct store *st, uint64_t keys);
    /* Call fn with the code of each library (a RESP base's FUNCTION LOAD). */
    void (*each_function)(struct store *st, void (*fn)(void *ud, const char *code, size_t len),
                          void *ud);
};

#define RDB_PROGRESS_KEYS 1024

/* Write every database of st to path (through a temporary file in the
 * same directory, renamed over it), LZF-compressing strings unless
 * rdbcompression is off, with the CRC-64 unless rdbchecksum is off; the
 * aux field aof-base says 1 when aof_base (the base of an append-only
 * file, as Redis marks it), else 0.
 * Returns 0, or -1 with Redis's message in err (the target untouched).
 * O(keys + their bytes); the caller is blocked meanwhile. */
int rdb_save(struct store *st, const char *path, const struct rdb_hooks *hooks, bool aof_base,
             char *err, size_t errlen);

/* Add the keys of the RDB file at path to st, which should be empty
 * unless merge (then a key or function library there already is replaced
 * by the file's):
 * keys already past their deadline, and hash fields and set members past
 * theirs, are dropped, as Redis drops them on a primary. Older encodings
 * (ziplists, zipmaps are refused) are converted to those respite keeps.
 * Returns 0, 1 when there is no file at path (nothing loaded), 2 when
 * hooks->progress stopped it (the keys read stay), or -1 with
 * the reason in err: unreadable, corrupt, a bad checksum (checked unless
 * rdbchecksum is off or the file's is 0), a type not known (the keys read
 * before stay). O(file bytes). hooks->progress may run commands between
 * two keys: nothing it runs may write. */
int rdb_load(struct store *st, const char *path, const struct rdb_hooks *hooks, bool merge,
             char *err, size_t errlen);
/* rdb_load of a file that may go on past the RDB (an AOF whose RDB preamble
 * is followed by commands): *used is where the RDB ended. */
int rdb_load_prefix(struct store *st, const char *path, const struct rdb_hooks *hooks, bool merge,
                    char *err, size_t errlen, size_t *used);

/* The RDB type byte of e's value, then the value, as a file holds it after
 * the key and a DUMP payload before its footer. Borrows e. O(its size). */
void rdb_put_value(struct rdb_buf *b, struct entry *e);

/* A value read from RDB bytes, not yet in a keyspace: a string (str: the
 * input's bytes, or owned's, a buffer of its own) or an aggregate (v) of
 * type, owned by it until rdb_value_entry or rdb_value_free. */
struct rdb_value {
    enum obj_type type;
    int enc;
    void *v;
    struct rs_str str;
    char *owned;
    /* The packed blobs (listpacks, ziplists, intsets, stream nodes) read
     * and checked: Redis's count of deep sanitizations (rdb_value_read). */
    uint32_t nblobs;
};

/* Read a value of RDB type `type` from r (advanced past it), checking it
 * whole: every count against the bytes there, listpacks element by
 * element, stream IDs in order, PELs against their groups. Hash fields and
 * set members past their deadlines are dropped. Returns 0 (*out filled),
 * 1 when nothing is left (an empty aggregate, every part expired: *out
 * empty), or -1 with the reason in err (malformed, a type not known).
 * O(value bytes). */
int rdb_value_read(struct store *st, struct rdb_reader *r, int type, struct rdb_value *out,
                   char *err, size_t errlen);
/* The entry of key holding val's value (val is emptied); shard sh's. */
struct entry *rdb_value_entry(struct shard *sh, struct rs_str key, struct rdb_value *val);
void rdb_value_free(struct rdb_value *val);

/* Write n bytes at p to fd with write(2) (no stdio: what a forked child
 * may use), retrying after EINTR; returns the bytes written, fewer than n
 * once a write fails (errno tells why). */
size_t rdb_write(int fd, const void *p, size_t n);
/* Whether rdb_write wrote all n bytes. */
static inline bool rdb_write_all(int fd, const void *p, size_t n)
{
    return rdb_write(fd, p, n) == n;
}

/* Write the function libraries (FUNCTION LOAD) and every database of st
 * to path as RESP commands (resp_save.c), an append-only file's base
 * under aof-use-rdb-preamble no; through a temporary file renamed over
 * it. Streams are refused: -1 with the reason in err, as for a write
 * error. O(keys + their bytes). */
int resp_save(struct store *st, const char *path, const struct rdb_hooks *hooks, char *err,
              size_t errlen);

#endif
