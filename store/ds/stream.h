/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The stream value (stream.c): entry IDs, the ID-ordered entry store, the
 * ordered maps of pending entries, consumer groups and consumers. The
 * commands over them are in t_stream.c.
 *
 * Entries live in nodes, kept in ID order in an array of node pointers with
 * a movable head (so trimming whole nodes from the head is O(1)). A node
 * packs entries into one byte block (as many as struct snode_limits let in), after
 * the field names of its first entry (the node's master fields): an entry
 * with the same field names stores only its values, as Redis's listpack
 * nodes do. Appending is O(1) amortised, finding an ID is a binary search
 * over nodes plus a scan of one node, deleting marks the entry deleted in
 * place and frees its node once every entry of it is deleted.
 *
 * Every byte a stream allocates is counted in its `bytes`, so the shard's
 * accounting (obj_bytes) is O(1).
 */
#ifndef STREAM_H
#define STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resp.h"

/* Redis's stream-node-max-entries and stream-node-max-bytes: a node takes
 * no new entry once it holds max_entries (live or deleted; 0: no limit), or
 * once the listpack Redis would keep for it, plus the new entry's names and
 * values, reaches max_bytes (0 or over 1 GB: 1 GB, Redis's cap) -- so nodes
 * split where Redis's do. */
struct snode_limits {
    uint64_t max_bytes;
    uint64_t max_entries;
};

/* ---- IDs ------------------------------------------------------------------ */

struct sid {
    uint64_t ms, seq;
};

#define SID_MAX ((struct sid){UINT64_MAX, UINT64_MAX})
#define SID_STR_SIZE 42 /* "<20 digits>-<20 digits>" and a NUL */

int sid_cmp(struct sid a, struct sid b);
static inline bool sid_is_zero(struct sid a)
{
    return a.ms == 0 && a.seq == 0;
}
/* The next and previous IDs; false (and a unchanged) at the ends. */
bool sid_incr(struct sid *a);
bool sid_decr(struct sid *a);
/* Format "<ms>-<seq>" into buf (SID_STR_SIZE); returns the length. */
size_t sid_format(struct sid a, char *buf);
/* The 16 bytes Redis keys a stream node by (radix tree, RDB): ms then seq,
 * big-endian. */
void sid_key(struct sid id, uint8_t k[16]);

/* Parse an ID argument as Redis's streamGenericParseIDOrReply: "-" and "+"
 * (unless strict), "<ms>", "<ms>-<seq>", and with seq_given non-NULL also
 * "<ms>-*" (*seq_given false). A missing seq is missing_seq. Numbers follow
 * Redis's string2ull. */
bool sid_parse(struct rs_str s, struct sid *id, uint64_t missing_seq, bool strict,
               bool *seq_given);

/* ---- entries -------------------------------------------------------------- */

struct snode;

struct sentries {
    struct snode **nodes; /* live nodes are nodes[head .. head + n) */
    size_t head, n, cap;
    uint64_t length;      /* live entries */
    size_t *bytes;        /* the owner's byte counter */
};

/* One entry read from a node: its ID and its field/value strings. The
 * pointers borrow the node and are valid until the next write. */
struct sentry {
    struct sid id;
    uint32_t nfields;
    const uint8_t *fields; /* nfields packed strings */
    const uint8_t *values; /* nfields packed strings */
};

/* The next packed string at *p (advanced past it). */
struct rs_str sentry_str(const uint8_t **p);

void sentries_init(struct sentries *e, size_t *bytes);
void sentries_free(struct sentries *e);
/* sentries_free in slices: frees nodes from the last until *work (one
 * unit a node) is spent; true once e is empty (as after sentries_free). */
bool sentries_free_some(struct sentries *e, int64_t *work);
/* Append id (greater than every ID ever appended) with nfields pairs from
 * fv (field, value, field, value...), in the last node unless it is full
 * by lim. */
void sentries_append(struct sentries *e, struct sid id, const struct rs_str *fv,
                     uint32_t nfields, const struct snode_limits *lim);
/* Delete the live entry id; whether it was there. */
bool sentries_delete(struct sentries *e, struct sid id);
/* Does a live entry id exist? */
bool sentries_exists(const struct sentries *e, struct sid id);
/* The first or last live entry's ID; false when empty. */
bool sentries_edge(const struct sentries *e, bool last, struct sid *id);
/* Trim from the head: entries with ID < minid (use_minid) or down to
 * maxlen entries. approx removes whole nodes only; limit > 0 caps the
 * entries removed (whole nodes, as Redis). Returns entries removed. */
int64_t sentries_trim(struct sentries *e, bool use_minid, struct sid minid, uint64_t maxlen,
                      bool approx, int64_t limit);
/* Node count (XINFO's radix-tree-keys). */
size_t sentries_nodes(const struct sentries *e);
/* The nodes Redis's radix tree keyed by these nodes' master IDs has
 * (XINFO's radix-tree-nodes): its shape is that of the sorted keys, so it
 * is counted from them. O(nodes). */
uint64_t sentries_rax_nodes(const struct sentries *e);
/* A deep copy into dst (its own counter). */
void sentries_dup(struct sentries *dst, const struct sentries *src, size_t *bytes);

/* Nodes whole, as an RDB file holds them (Redis's listpack nodes). A
 * node's master entry: */
struct snode_info {
    struct sid master;   /* the ID its entries are relative to */
    uint32_t count;      /* entries, live and deleted */
    uint32_t live;
    uint32_t nnames;     /* the master fields: nnames packed strings */
    const uint8_t *names;
};
/* Node i (0 .. sentries_nodes - 1); pointers borrow the node. */
void sentries_node_info(const struct sentries *e, size_t i, struct snode_info *out);
/* The entries of node i in order, tombstones included: *off is 0 at the
 * start; false past the last. *same: the entry's names are the master
 * fields (stored once). */
bool sentries_node_next(const struct sentries *e, size_t i, uint32_t *off, struct sentry *out,
                        bool *deleted, bool *same);
/* Loading a stream node by node: open a node at the tail with its master
 * ID and master fields (names[0..nnames)), then give it its entries in ID
 * order, tombstones included, each above every ID before it (a node holds
 * any number of entries, as the file has it). The caller gives it at
 * least one live one. sentries_load_entry returns false (nothing added)
 * when same is claimed for names that are not the master fields. */
void sentries_load_node(struct sentries *e, struct sid master, const struct rs_str *names,
                        uint32_t nnames);
bool sentries_load_entry(struct sentries *e, struct sid id, const struct rs_str *fv,
                         uint32_t nfields, bool same, bool deleted);

/* Iteration over live entries in [lo, hi], forward or in reverse. */
struct siter {
    const struct sentries *e;
    struct sid lo, hi;
    bool rev;
    bool done;
    size_t node;  /* index into nodes[] relative to head */
    uint32_t pos; /* offset of the next entry in the node; backward, of the
                   * end of the next entry */
};

void siter_start(struct siter *it, const struct sentries *e, struct sid lo, struct sid hi,
                 bool rev);
bool siter_next(struct siter *it, struct sentry *out);

/* ---- ordered maps of IDs (pending entries) -------------------------------- */

/* A skip list from ID to a pointer: O(log n) find, insert and remove,
 * in-order iteration from any ID. */
struct idmap_node {
    struct sid id;
    void *val;
    int level;
    struct idmap_node *next[];
};

#define IDMAP_LEVELS 24

struct idmap {
    struct idmap_node *head; /* sentinel with IDMAP_LEVELS links */
    uint64_t size;
    uint64_t rng;
    size_t *bytes;
};

void idmap_init(struct idmap *m, size_t *bytes);
/* Free the map's nodes (the values are the caller's). */
void idmap_free(struct idmap *m);
/* Remove entries from the first until *work (one unit an entry) is spent,
 * handing each value to free_val (if not NULL); true once m is empty. m
 * stays a valid map throughout. */
bool idmap_clear_some(struct idmap *m, int64_t *work, void (*free_val)(void *ud, void *val),
                      void *ud);
void *idmap_find(const struct idmap *m, struct sid id);
/* Insert id -> val; false if id is already there. */
bool idmap_insert(struct idmap *m, struct sid id, void *val);
/* Remove id; its value, or NULL. */
void *idmap_remove(struct idmap *m, struct sid id);
/* The first node with ID >= id (NULL past the end); next via next[0]. */
struct idmap_node *idmap_seek(const struct idmap *m, struct sid id);
struct idmap_node *idmap_last(const struct idmap *m);

/* ---- groups --------------------------------------------------------------- */

struct sconsumer;

/* A pending entry: delivered to consumer, not acknowledged. Owned by its
 * group's pel; the consumer's pel points to it too. */
struct snack {
    int64_t delivery_time;
    uint64_t delivery_count;
    struct sconsumer *consumer; /* NULL only while XCLAIM FORCE creates it */
};

/* The name of a group or consumer; first in both, for name_search. */
struct sname {
    char *p;
    size_t len;
};

struct sconsumer {
    struct sname name;
    int64_t seen_time;   /* last attempted interaction */
    int64_t active_time; /* last successful one, -1 for never */
    struct idmap pel;
};

#define SCG_INVALID_ENTRIES_READ (-1)

struct sgroup {
    struct sname name;
    struct sid last_id;
    int64_t entries_read;
    struct idmap pel;           /* id -> struct snack */
    struct sconsumer **cons;    /* sorted by name */
    size_t ncons, capcons;
};

struct stream {
    struct sentries e;
    struct sid last_id, first_id, max_deleted;
    uint64_t entries_added;
    struct sgroup **groups; /* sorted by name */
    size_t ngroups, capgroups;
    size_t bytes; /* everything allocated below this struct */
};

struct stream *stream_new(void);
void stream_free(struct stream *s);
/* stream_free in slices (lazy freeing): frees pending entries and nodes
 * until *work (one unit each, one a group) is spent. True once the stream
 * is freed; until then it is fit for nothing but this. */
bool stream_free_some(struct stream *s, int64_t *work);
/* The work stream_free_some needs, about: nodes, groups and pending
 * entries (Redis's lazyfreeGetFreeEffort counts the same). O(groups). */
uint64_t stream_free_effort(const struct stream *s);
struct stream *stream_dup(const struct stream *s);
size_t stream_bytes(const struct stream *s);

/* Redis's streamEstimateDistanceFromFirstEverEntry: the logical read
 * counter of id (entries added up to it), or SCG_INVALID_ENTRIES_READ when
 * it cannot be known. O(1). */
int64_t stream_distance(const struct stream *s, struct sid id);
/* Groups and consumers by name; NULL if absent. */
struct sgroup *stream_group(const struct stream *s, struct rs_str name);
/* A new group (name not present). */
struct sgroup *stream_group_add(struct stream *s, struct rs_str name, struct sid last,
                                int64_t entries_read);
/* Remove and free a group; whether it existed. */
bool stream_group_del(struct stream *s, struct rs_str name);
struct sconsumer *group_consumer(const struct sgroup *g, struct rs_str name);
struct sconsumer *group_consumer_add(struct stream *s, struct sgroup *g, struct rs_str name,
                                     int64_t now);
/* Delete a consumer and its pending entries; how many it had (0 if absent). */
uint64_t group_consumer_del(struct stream *s, struct sgroup *g, struct rs_str name);

/* A new pending entry id in g, for consumer c (may be NULL for FORCE). */
struct snack *group_nack_add(struct stream *s, struct sgroup *g, struct sid id,
                             struct sconsumer *c, int64_t now);
/* Move the pending entry n (of ID id) to consumer c's pel. */
void group_nack_assign(struct sid id, struct snack *n, struct sconsumer *c);
/* Acknowledge id: remove it from both pels; whether it was pending. */
bool group_nack_del(struct stream *s, struct sgroup *g, struct sid id);

#endif
