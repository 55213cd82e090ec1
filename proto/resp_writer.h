/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Reply writer: appends RESP2 or RESP3 replies to a chunked output buffer.
 * The RESP2/RESP3 shape of every reply type is decided here and nowhere else
 * (a map is "*2n" in RESP2 and "%n" in RESP3, a null "$-1" or "_", ...).
 *
 * Ownership: every resp_add_* copies the bytes it is given. The chunk list is
 * owned by the resp_out until resp_out_take() hands it to the caller (the
 * server, to write it); those chunks are then frozen, and new replies go to
 * fresh chunks. Allocation failure aborts the process (as Redis does).
 *
 * Limit: a writer may be given a cap on the bytes its client owes (pending
 * plus taken and not yet released, as Redis counts a client's output
 * memory). The write that would reach it is dropped and the writer turns
 * full: every later write is dropped too, so a reply that grows with an
 * argument stops costing memory at once, and the owner closes the client
 * (Redis's close-asap flag). Loops that build such replies test
 * resp_out_full() to stop costing CPU as well.
 */
#ifndef RESP_WRITER_H
#define RESP_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "resp.h"

#define RESP_CHUNK_SIZE (16 * 1024)

struct resp_chunk {
    struct resp_chunk *next;
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated in data */
    char data[];
};

struct resp_out {
    struct resp_chunk *head, *tail; /* pending chunks, tail is being filled */
    size_t nbytes;                  /* bytes in head..tail */
    struct resp_chunk *spare;       /* one recycled chunk, saves a malloc per write */
    size_t chunk_size;              /* a new chunk's capacity (RESP_CHUNK_SIZE unless set) */
    int proto;                      /* 2 or 3 */
    size_t nheld;                   /* bytes of taken lists not yet released */
    size_t limit;                   /* nbytes + nheld stay below it; 0 = no limit */
    bool full;                      /* a write met the limit: writes are dropped */
};

/* A placeholder for an aggregate length not known yet (KEYS, SCAN...). */
struct resp_deferred {
    struct resp_chunk *chunk;
};

enum resp_agg { RESP_AGG_ARRAY, RESP_AGG_MAP, RESP_AGG_SET };

void resp_out_init(struct resp_out *o, int proto);
/* Free all chunks, pending and spare. */
void resp_out_free(struct resp_out *o);

/* Detach the pending chunk list (NULL if empty) and leave o empty. The
 * caller owns the list until it gives it back to resp_out_release(). */
struct resp_chunk *resp_out_take(struct resp_out *o);
/* Free a list returned by resp_out_take (keeps one chunk as the spare). */
void resp_out_release(struct resp_out *o, struct resp_chunk *list);
/* Drop everything pending (CLIENT REPLY OFF/SKIP). */
void resp_out_discard(struct resp_out *o);
/* Free the spare chunk (an idle client need not keep one). */
void resp_out_drop_spare(struct resp_out *o);
/* Set the capacity of the chunks made from now on (and of the spare: one
 * of another size is made again at it), as Redis resizes a client's reply
 * buffer; size > 0. */
void resp_out_set_chunk_size(struct resp_out *o, size_t size);
/* Cap the bytes o's client owes at limit (0: none); see the file comment.
 * A limit already met makes o full at its next write. Once full, o stays
 * full: its client is to be closed. */
void resp_out_set_limit(struct resp_out *o, size_t limit);

/* Whether a write met the limit and writes are being dropped. */
static inline bool resp_out_full(const struct resp_out *o)
{
    return o->full;
}

/* Raw bytes, already in RESP form. */
void resp_add_raw(struct resp_out *o, const char *p, size_t len);

/* "+<s>\r\n". s must not contain CR or LF. */
void resp_add_simple(struct resp_out *o, const char *s, size_t len);
void resp_add_ok(struct resp_out *o);
/* "-<msg>\r\n"; msg starts with the error code ("ERR ...", "WRONGTYPE ...").
 * CR and LF inside msg are replaced by spaces, as Redis does. */
void resp_add_error(struct resp_out *o, const char *msg, size_t len);
void resp_add_errorf(struct resp_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void resp_add_int(struct resp_out *o, long long v);
void resp_add_bulk(struct resp_out *o, const char *p, size_t len);
static inline void resp_add_bulk_str(struct resp_out *o, struct rs_str s)
{
    resp_add_bulk(o, s.p, s.len);
}
void resp_add_bulk_cstr(struct resp_out *o, const char *s);
/* A bulk string holding the decimal form of v. */
void resp_add_bulk_ll(struct resp_out *o, long long v);

/* Null bulk: "$-1" in RESP2, "_" in RESP3. */
void resp_add_null(struct resp_out *o);
/* Null array: "*-1" in RESP2, "_" in RESP3. */
void resp_add_null_array(struct resp_out *o);

void resp_add_array_len(struct resp_out *o, long long n);
/* n key/value pairs: "*<2n>" in RESP2, "%<n>" in RESP3. */
void resp_add_map_len(struct resp_out *o, long long n);
/* "*<n>" in RESP2, "~<n>" in RESP3. */
void resp_add_set_len(struct resp_out *o, long long n);
/* A push (pub/sub messages, confirmations): ">n" in RESP3, "*<n>" in RESP2. */
void resp_add_push_len(struct resp_out *o, long long n);

/* RESP3 ",<d>"; RESP2 a bulk string. Formatted as Redis 7.4 does
 * (resp_d2str: round-trip form, "inf", "-inf", "nan"). */
void resp_add_double(struct resp_out *o, double d);
/* resp_add_bulk(o, p, len) then resp_add_double(o, d), in one call (a
 * sorted set's member and score). */
void resp_add_bulk_double(struct resp_out *o, const char *p, size_t len, double d);
/* RESP3 "#t"/"#f"; RESP2 ":1"/":0". */
void resp_add_bool(struct resp_out *o, bool b);
/* RESP3 "=<len+4>\r\n<fmt>:<text>"; RESP2 a bulk string of text.
 * fmt is exactly three characters ("txt"). */
void resp_add_verbatim(struct resp_out *o, const char *p, size_t len, const char *fmt);
/* RESP3 "(<digits>"; RESP2 a bulk string. */
void resp_add_bignum(struct resp_out *o, const char *p, size_t len);

/* Reserve an aggregate header whose length is set later with
 * resp_set_deferred(). Costs one small chunk (none once o is full). */
struct resp_deferred resp_add_deferred(struct resp_out *o);
/* n is elements for arrays and sets, pairs for maps. */
void resp_set_deferred(struct resp_out *o, struct resp_deferred d, enum resp_agg kind,
                       long long n);

#endif
