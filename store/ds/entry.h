/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The entry: a key and its value (or a hash field and its value, a set
 * member) in one allocation, the record every table (table.h) chains. Its
 * header carries the value's type and encoding and a slot in a deadline
 * heap (heap.h) for whoever keeps one; what the types mean is the
 * keyspace's business (keyspace/entries.c).
 */
#ifndef DS_ENTRY_H
#define DS_ENTRY_H

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Entries: one key and its value in one allocation (keyspace/entries.c)
 * ------------------------------------------------------------------------ */

enum obj_type { OBJ_STRING = 0, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH, OBJ_STREAM };

enum obj_enc {
    ENC_EMBSTR = 0, /* string bytes follow the key inside the entry */
    ENC_INT,        /* string that is a canonical int64, in the value word */
    ENC_RAW,        /* string in a separate growable buffer (struct rstr) */
    ENC_HASH,       /* a struct hash (keyspace/hash.h), packed or a table
                     * inside */
    ENC_LIST_CHUNK, /* a list in its listpack form: its one chunk alone, a
                     * struct ql_node (NULL while empty); a list in another
                     * form is ENC_RAW, a struct quicklist (keyspace/list.c) */
    ENC_HASH_PACK,  /* a hash in its listpack form with no field TTLs: its
                     * pack alone, a struct pack (keyspace/hash.h) */
    ENC_SET_PACK,   /* a set in its listpack form with no member TTLs: its
                     * pack alone (keyspace/set.h); a set in another form
                     * is ENC_RAW, a struct rset */
};

#define EXP_NONE UINT32_MAX

/* Layout of data[]: for ENC_EMBSTR the key bytes then the value bytes; for
 * every other encoding an 8-byte value word (int64 or pointer) then the key.
 * The header is 24 bytes, so the value word is 8-byte aligned. */
struct entry {
    struct entry *next; /* bucket chain */
    uint32_t klen;
    uint32_t vlen;      /* ENC_EMBSTR only */
    uint32_t exp_idx;   /* slot in the shard's expiry heap, or EXP_NONE */
    uint32_t lru : 24;  /* last access, store LRU clock (seconds) */
    uint32_t type : 4;
    uint32_t enc : 4;
    char data[];
};

/* A string value that grows in place (APPEND, SETRANGE): amortised O(1). */
struct rstr {
    size_t len, cap;
    char buf[];
};

static inline const char *entry_key(const struct entry *e)
{
    return e->enc == ENC_EMBSTR ? e->data : e->data + 8;
}

static inline int64_t entry_int(const struct entry *e)
{
    int64_t v;
    memcpy(&v, e->data, 8);
    return v;
}

static inline void entry_set_int(struct entry *e, int64_t v)
{
    memcpy(e->data, &v, 8);
}

static inline void *entry_ptr(const struct entry *e)
{
    void *p;
    memcpy(&p, e->data, sizeof p);
    return p;
}

static inline void entry_set_ptr(struct entry *e, void *p)
{
    memcpy(e->data, &p, sizeof p);
}

#endif
