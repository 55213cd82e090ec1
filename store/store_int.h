/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Declarations private to store/: the store, its databases and shards, the
 * key entry, the command context. Nothing outside store/ includes this file;
 * embedders see only respite.h.
 *
 * Ownership in one paragraph: a store owns its databases; a database owns its
 * shards; a shard owns its table of entries and its expiry heap; an entry owns
 * its value. Pointers returned by lookups are borrowed and stop being valid at
 * the next write to the same shard.
 */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "resp.h"
#include "resp_writer.h"
#include "respite.h"

struct store;
struct session;

/* ------------------------------------------------------------------------
 * Errors (errors.def)
 * ------------------------------------------------------------------------ */

enum rs_err {
#define ERR(sym, text) RS_ERR_##sym,
#include "errors.def"
#undef ERR
    RS_ERR__COUNT
};

extern const char *const rs_err_text[RS_ERR__COUNT];

/* ------------------------------------------------------------------------
 * Entries: one key and its value in one allocation (obj.c)
 * ------------------------------------------------------------------------ */

enum obj_type { OBJ_STRING = 0, OBJ_LIST, OBJ_SET, OBJ_ZSET, OBJ_HASH, OBJ_STREAM };

enum obj_enc {
    ENC_EMBSTR = 0, /* string bytes follow the key inside the entry */
    ENC_INT,        /* string that is a canonical int64, in the value word */
    ENC_RAW,        /* string in a separate growable buffer (struct rstr) */
    ENC_HASH,       /* a struct hash (t_hash.c), packed or a table inside */
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

/* ------------------------------------------------------------------------
 * Hash table of entries (table.c): chained, power-of-two sizes, incremental
 * rehash between two bucket arrays as in Redis's dict.c.
 * ------------------------------------------------------------------------ */

struct table {
    uint64_t seed; /* XXH3 seed, the store's */
    struct entry **b[2];
    uint64_t used[2];
    int64_t rehash_idx; /* next bucket of b[0] to move, -1 when not rehashing */
    uint32_t paused;    /* walks in progress (tbl_pause): no rehash step, no
                         * resize while non-zero, so no entry moves under them */
    uint8_t lg[2];      /* b[i] has 1 << (lg[i] - 1) buckets, none when 0
                         * (tbl_size): a byte, so the header is 56 bytes */
};

/* ------------------------------------------------------------------------
 * Shards and databases (shard.c, ks.c)
 * ------------------------------------------------------------------------ */

struct exp_item {
    int64_t when; /* absolute deadline, store clock milliseconds */
    void *p;      /* a struct entry (key, hash field, set member) or a struct subttl */
};

/* A binary min-heap of deadlines (expire.c). Every object in it knows its
 * slot: the uint32_t at byte offset idx_off inside the object, EXP_NONE
 * while it is in no heap. So changing or removing a deadline is O(log n)
 * and reading it O(1). */
struct exp_heap {
    struct exp_item *a; /* NULL while empty: an empty heap costs no allocation */
    uint32_t n;
    uint16_t idx_off;
    uint8_t lgcap;      /* a holds 1 << lgcap items while it exists */
};

/* The deadlines of the fields of one hash or the members of one set: in h
 * for its table form (the sub-entries' exp_idx are slots in h); its packed
 * form ("listpackex", pack.h) keeps them in the pack and h stays empty.
 * While the container has deadlines the subttl is in its shard's `sub`
 * heap, keyed by the earliest (obj_sub_next), so the shard finds due
 * sub-keys without scanning its containers. Owned by the container value. */
struct subttl {
    struct exp_heap h;
    uint32_t idx;       /* slot in the shard's sub heap, or EXP_NONE */
    struct entry *key;  /* the key entry holding the container, while in that heap */
};

/* A project shard is one allocation: the struct, then its id's bytes
 * (shard_id). Its fixed cost, with its slots in the db's project map and
 * order array, is what a project costs beyond its keys (README). */
/* The deadlines of one shard: allocated with its first key or container
 * deadline and freed with its last (expire.c), so that the many projects
 * without any pay a pointer for them. */
struct shard_ttl {
    struct exp_heap exp; /* entries with a key TTL */
    struct exp_heap sub; /* subttls of containers with sub-key TTLs */
};

struct shard {
    struct table tbl;
    struct shard_ttl *ttl; /* NULL while nothing of the shard has a deadline */
    struct db *db;
    /* stats */
    uint64_t nbytes;     /* allocated bytes of entries and values */
    union {
        uint64_t ncommands;         /* commands that touched a key of this shard */
        struct shard *next_garbage; /* once no project's (flushed, freed in the
                                     * background): on the store's garbage list */
    };
    uint32_t seq;          /* creation order within the db: SCAN visits shards by seq */
    uint32_t idlen : 30;   /* bytes of the project id, 0 for the global shard */
    uint32_t is_project : 1;
    uint32_t is_empty : 1; /* a project shard without keys, counted in db->nempty:
                            * it stays in the map and order array (a write
                            * revives it) until the db compacts them (ks.c) */
    /* its places in its db's indexes (struct db), so leaving them is cheap */
    uint32_t due_idx;      /* slot in db->due while exp or sub is non-empty, else EXP_NONE */
    uint32_t rank;         /* its number in db->ranks, for as long as the shard lives */
};

/* The project id of a project shard (idlen bytes, not NUL-terminated). */
static inline const char *shard_id(const struct shard *sh)
{
    return (const char *)(sh + 1);
}

/* Open-addressing map from project id to shard. */
struct pmap {
    uintptr_t *slots; /* shard addresses tagged with bits of the id's hash (ks.c), 0 if empty */
    uint64_t cap;     /* 0 or a power of two; holds the db's norder shards */
};

/* A key's shard lookup in steps (ks_route_begin, ks.h). */
struct ks_route {
    struct db *db;
    struct rs_str id; /* the project id, when is_project */
    uint64_t h;       /* id's hash in db's map */
    uint64_t gen;     /* the store's pmap_gen at ks_route_begin */
    bool is_project;
};

/* A set of shard ranks (ks.c): a bit per rank, and the members in a list
 * in the order they came. Adding is O(1); a rank stays in until taken out
 * (or the db's ranks are numbered again, which rebuilds the sets). */
struct rankset {
    uint64_t *bits;  /* [ranks.cap / 64 + 1] */
    uint32_t *list;
    uint32_t n, cap; /* members, room in list */
};

/* A db numbers its shards by their places (ks.c): rank 1 is the global
 * shard, rank i + 2 the project shard order[i]. Shards are only appended
 * to the order array until the db compacts (frees its empty shards, the
 * only ones freed but by a flush) and numbers the shards left again, so
 * the indexes by rank are arrays that shrink with the shards. For RANDOMKEY, a Fenwick tree of the
 * shards' key counts by rank, brought up to date only when read: a change
 * of a key count adds the rank to `dirty` (O(1)); a read applies the dirty
 * ranks (O(log cap) each), then finds the shard of the n-th key in
 * O(log cap). */
struct ranks {
    uint64_t *sum;         /* [cap + 1]: Fenwick sums of the key counts */
    struct rankset dirty;  /* ranks whose count may differ from the tree's */
    uint32_t cap;          /* a power of two, or 0 */
};

struct db {
    struct store *st;
    int idx;
    struct shard global;
    struct pmap projects; /* every project shard of order, by id */
    struct shard **order; /* project shards sorted by seq, empty ones included */
    size_t norder, order_cap;
    size_t nempty;        /* shards of order that are empty (is_empty) */
    uint64_t next_seq;
    /* Kept as keys and deadlines come and go, so DBSIZE and INFO keyspace
     * read them in O(1) whatever the number of shards. */
    uint64_t nkeys;       /* keys of every shard */
    uint64_t nexpires;    /* keys with a TTL (the shards' exp heaps) */
    unsigned __int128 sum_deadlines; /* of those keys, for INFO's avg_ttl (exact,
                                      * where Redis estimates it by sampling) */
    uint64_t nsubexpires; /* containers with sub-key TTLs (the shards' sub heaps) */
    /* Timer work visits only the shards that have some to do: those with a
     * deadline, in a heap by their earliest one (expire.c), and those whose
     * key table rehashes (ks_rehash_step). */
    struct exp_heap due;          /* shards, at shard.due_idx */
    struct rankset rehashing;     /* ranks of shards whose table may rehash */
    struct ranks ranks;           /* the shards by rank, their key counts */
};

/* ------------------------------------------------------------------------
 * Configuration (config.c): every parameter CONFIG GET/SET knows.
 * ------------------------------------------------------------------------ */

struct rs_config {
    /* network and limits, read by server/ */
    char bind[256];
    int port;
    int maxclients;
    int timeout; /* seconds, 0 = never */
    int tcp_keepalive;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long obuf_hard[3], obuf_soft[3], obuf_soft_secs[3]; /* normal, replica, pubsub */
    int hz;
    int loglevel; /* 0 debug, 1 verbose, 2 notice, 3 warning, 4 nothing */
    char logfile[1024];
    int databases;
    int enable_debug_command; /* 0 no, 1 yes, 2 local */
    char requirepass[512];
    bool has_requirepass;
    bool active_expire;
    long long lua_time_limit;
    char dir[1024];
    bool protected_mode;
    char pidfile[1024];
    bool daemonize;
    long long maxmemory;
    int maxmemory_policy;
    /* A hash is packed while it has at most this many fields, each field and
     * value of at most this many bytes. */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    /* set encodings (t_set.c) */
    int set_max_intset_entries;
    int set_max_listpack_entries;
    int set_max_listpack_value;
    /* list chunks (quicklist.c): > 0 elements a chunk, < 0 a byte size
     * class (-1 4 KB ... -5 64 KB); depth is accepted, never applied */
    int list_max_listpack_size;
    int list_compress_depth;
    /* Which deletions free big values in the background (ks.c), as Redis's
     * lazyfree-lazy-*: DEL, FLUSHALL/FLUSHDB without a mode, expiry,
     * deletions and overwrites done by other commands. UNLINK and ASYNC
     * always do. */
    bool lazyfree_user_del;
    bool lazyfree_user_flush;
    bool lazyfree_expire;
    bool lazyfree_server_del;
};

/* Apply one parameter; startup is true while reading the command line or
 * config file (immutable parameters accepted). Returns NULL on success or an
 * error text, written into err (errlen > 0 required). */
const char *config_set(struct store *st, const char *name, const char *value, bool startup,
                       char *err, size_t errlen);
void config_defaults(struct rs_config *cfg);

/* ------------------------------------------------------------------------
 * Commands (cmd.c, commands.def)
 * ------------------------------------------------------------------------ */

enum cmd_flag {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_SKIP_SLOWLOG = 1 << 10,
    CMD_FAST = 1 << 11,
    CMD_NO_AUTH = 1 << 12,
    CMD_MAY_REPLICATE = 1 << 13,
    CMD_NO_MULTI = 1 << 14,
    CMD_MOVABLE_KEYS = 1 << 15,
    CMD_ALLOW_BUSY = 1 << 16,
    CMD_SENTINEL = 1 << 17,
};

struct cmd_ctx;
typedef void cmd_handler(struct cmd_ctx *c);

struct cmd_stats {
    uint64_t calls, usec, rejected, failed;
};

struct cmd_def {
    const char *name;     /* lower case, '_' for '-'; for a subcommand without parent */
    const char *fullname; /* "client|setname" for a subcommand */
    cmd_handler *handler; /* NULL for a pure container (CLIENT, CONFIG, ...) */
    int arity;            /* Redis convention: -N means at least N */
    uint32_t flags;
    const char *acl;      /* ACL categories, space separated, without '@' */
    int first, last, step;
    const char *group;    /* NULL for a subcommand: its parent's */
    const char *since;
    const char *summary;
    int is_sub;
};

/* The context of one command run. argv borrows the caller's buffer. */
struct cmd_ctx {
    struct store *st;
    struct session *s;
    const struct cmd_def *cmd;
    int argc;
    struct rs_str *argv;
    struct resp_out *out;
    struct db *db;
    int64_t now;     /* store clock at dispatch, ms */
    int64_t t0_us;   /* monotonic clock at dispatch, for commandstats */
    bool failed;     /* an error reply was written (commandstats) */
    /* The command runs inside EXEC (multi.c). The hook for blocking
     * commands (BLPOP, BLMOVE, ...): when in_exec is set they must not block
     * but answer at once as their non-blocking form would -- the element if
     * there is one, else the null (or empty) reply of a timeout -- as Redis
     * does in MULTI: nothing may wait between two commands of one EXEC.
     * Likewise, keys they push to are served to waiters only after EXEC. */
    bool in_exec;
    /* The command of a blocked client, run again because a key it waits on
     * was signaled (block.c): block_for_keys then leaves it blocked. A list
     * pop serves from that key only (rerun_key), as Redis serves a waiter
     * from the key that became ready, not its first non-empty one. */
    bool rerun;
    struct rs_str rerun_key;
};

/* Error replies; they also mark the command failed for INFO commandstats. */
void reply_err(struct cmd_ctx *c, enum rs_err e);
void reply_errf(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_arity(struct cmd_ctx *c);

/* ------------------------------------------------------------------------
 * Sessions: the command-level state of one client (session.c)
 * ------------------------------------------------------------------------ */

enum session_flag {
    SES_CLOSE_AFTER_REPLY = 1 << 0,
    SES_REPLY_OFF = 1 << 1,
    SES_REPLY_SKIP_NEXT = 1 << 2, /* CLIENT REPLY SKIP was just run */
    SES_REPLY_SKIP = 1 << 3,      /* this command's reply is dropped */
    SES_NO_EVICT = 1 << 4,
    SES_NO_TOUCH = 1 << 5,
    SES_AUTHENTICATED = 1 << 6,
    SES_KILLED = 1 << 7,          /* CLIENT KILL: the server closes it */
    SES_LOCAL = 1 << 8,           /* connected over loopback or a unix socket */
    SES_DIRTY_CAS = 1 << 9,       /* a WATCHed key changed: EXEC answers a null array */
    SES_DIRTY_EXEC = 1 << 10,     /* a command was rejected while queueing: EXECABORT */
};

struct mqueue;
struct watch;
struct blocked;
struct ps_client;

struct session {
    struct store *st;
    uint64_t id;
    int db;
    uint32_t flags;
    char *name, *lib_name, *lib_ver;
    int64_t ctime;   /* store clock ms at creation */
    int64_t last;    /* store clock ms of the last command */
    char last_cmd[48];       /* name of the last command, for CLIENT LIST cmd= */
    const struct cmd_def *last_def;
    char *exec_buf;          /* respite_exec's contiguous reply */
    size_t exec_cap;
    struct resp_out out;     /* replies waiting for the transport */
    struct resp_out discard; /* replies of CLIENT REPLY OFF/SKIP go here */
    const struct respite_client_io *io; /* the transport's, may be NULL */
    void *io_ud;
    struct mqueue *mq;       /* commands queued since MULTI; NULL outside MULTI (multi.c) */
    struct watch *watches;   /* keys this client WATCHes, newest first (multi.c) */
    struct blocked *blk;     /* the command it is blocked in, NULL if none (block.c) */
    struct ps_client *ps;    /* its subscriptions, NULL if it never subscribed (pubsub.c) */
    uint32_t nwatches;
    struct session *prev, *next; /* store's list, creation order */
};

/* ------------------------------------------------------------------------
 * Key registries (keyreg.c): (database index, key) -> a list of clients
 * ------------------------------------------------------------------------ */

struct kreg_key {
    struct kreg_key *next; /* bucket chain */
    void *head, *tail;     /* the owner's list of clients on the key */
    uint64_t hash;
    int db;
    bool ready;            /* block.c: queued in the store's ready keys */
    uint32_t on_nokey;     /* block.c: waits that a deletion must wake (XREADGROUP) */
    size_t klen;
    char key[];
};

struct kreg {
    struct kreg_key **b;
    uint64_t mask; /* buckets - 1, buckets a power of two or none */
    uint64_t nkeys;
};

/* key's entry in t, NULL if none. */
struct kreg_key *kreg_find(const struct store *st, const struct kreg *t, int db, const char *key,
                           size_t klen);
/* key's entry in t, a new zeroed one (head and tail NULL) if there was none:
 * the caller links its client at once. */
struct kreg_key *kreg_get(const struct store *st, struct kreg *t, int db, struct rs_str key);
/* Remove and free k, whose list is empty; the table goes with its last key. */
void kreg_del(struct kreg *t, struct kreg_key *k);

/* ------------------------------------------------------------------------
 * Blocking commands (block.c)
 * ------------------------------------------------------------------------ */

enum block_flags {
    BLOCK_ON_NOKEY = 1, /* XREADGROUP: the key's deletion, or its turning into
                         * another type, runs the command again (it answers
                         * NOGROUP or WRONGTYPE) */
};

void block_init(struct store *st);
void block_free(struct store *st);
/* A blocking command's timeout argument, Redis's getTimeoutFromObjectOrReply:
 * float seconds (BLPOP ...) or integer milliseconds (XREAD BLOCK). *ms is
 * relative, 0 for ever. Replies the error of a bad one. */
bool block_timeout_arg(struct cmd_ctx *c, struct rs_str a, bool seconds, int64_t *ms);
/* c's command found nothing to serve on keys[0..nkeys): block its client
 * until one of them, signaled, holds a value of type (OBJ_LIST,
 * OBJ_STREAM), or timeout_ms passes (0: never), and return true; no reply
 * is written (a timeout answers a null array, as Redis for lists and
 * streams). In a re-run (c->rerun) the client stays blocked as it was.
 * Returns false when nothing may wait -- inside EXEC, or a client without
 * a transport to resume it: the command then answers as its non-blocking
 * form would, as Redis does in MULTI. The command runs again with the same
 * arguments when woken, so one whose arguments mean "now" (XREAD's $) must
 * rewrite them in c->argv before calling this. */
bool block_for_keys(struct cmd_ctx *c, const struct rs_str *keys, int nkeys, int type,
                    int64_t timeout_ms, unsigned flags);
/* The signal behind ks_signal (ks.h). */
void block__signal(struct db *db, const char *key, size_t klen, bool deleted);
/* Signal every key of db that clients wait on (FLUSHDB, FLUSHALL, SWAPDB). */
void block__signal_db(struct db *db);
/* Serve the clients blocked on the keys signaled since the last call. */
void block_serve_ready(struct store *st);
/* s goes away: forget its blocked command, without a reply. */
void block_cancel(struct session *s);
/* CLIENT UNBLOCK: answer s's blocked command with its timeout reply, or
 * with an UNBLOCKED error, and resume s. false if s was not blocked. */
bool block_unblock(struct session *s, bool error);

/* ------------------------------------------------------------------------
 * Transactions (multi.c)
 * ------------------------------------------------------------------------ */

/* Does d run at once while its client is in MULTI (EXEC, DISCARD, MULTI,
 * WATCH, QUIT, RESET) instead of being queued? */
bool multi_runs_at_once(const struct cmd_def *d);
/* Queue c's command for EXEC (argv copied) and answer +QUEUED, or reject a
 * command flagged no-multi. c->s is in MULTI. */
void multi_queue(struct cmd_ctx *c);
/* A command of s was rejected (unknown, arity, NOAUTH): if s is in MULTI,
 * its EXEC will answer EXECABORT, as Redis's flagTransaction. */
static inline void multi_flag_rejected(struct session *s)
{
    if (s->mq)
        s->flags |= SES_DIRTY_EXEC;
}
/* EXEC itself was rejected (why: RS_ERR_ARITY or RS_ERR_NOAUTH): answer
 * EXECABORT with the reason and leave MULTI, in MULTI or not (Redis
 * execCommandAbort). */
cmd_handler cmd_exec;
void multi_exec_rejected(struct cmd_ctx *c, enum rs_err why);
/* Leave MULTI (dropping the queue) and release every WATCH of s: RESET,
 * disconnect. */
void multi_reset(struct session *s);
/* CLIENT LIST's multi= (-1 outside MULTI) and multi-mem= of s. */
int multi_count(const struct session *s);
size_t multi_mem(const struct session *s);
/* The WATCH hooks behind ks_touch and ks_touch_db (ks.h). */
void multi__touch(struct db *db, const char *key, size_t klen);
void multi__touch_db(struct db *emptied, struct db *replaced_with);

/* ------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------ */

/* INFO errorstats: error replies counted by their code, the first word of
 * the message ("ERR", "WRONGTYPE"), as Redis counts them. */
#define RS_ERRSTATS_MAX 128 /* distinct codes kept, Redis's ERROR_STATS_NUMBER */

struct err_stat {
    char code[32]; /* NUL-terminated */
    uint64_t count;
};

struct store_stats {
    uint64_t numcommands;
    uint64_t numconnections;
    uint64_t rejected_conn;
    uint64_t net_in, net_out;
    uint64_t expired_keys;
    uint64_t expired_subkeys; /* hash fields and set members */
    uint64_t expired_stale_perc;
    uint64_t lazyfreed;       /* keys and values freed in the background (ks.c) */
    uint64_t keyspace_hits, keyspace_misses;
    uint64_t total_error_replies;
    uint64_t connected_clients;
    uint64_t blocked_clients;
    uint64_t unexpected_error_replies;
    int64_t start_ms;      /* real time at open */
    int64_t lastsave;      /* unix seconds */
    struct err_stat errors[RS_ERRSTATS_MAX]; /* sorted by code */
    int nerrors;
};

struct store {
    struct rs_config cfg;
    struct db **dbs;
    int ndbs;
    uint64_t seed; /* XXH3 seed, random per process */
    uint64_t rng;  /* state of the store's random numbers (RANDOMKEY) */
    /* Shards the active expiry cycle and the rehash step visited, for the
     * tests that check timer work does not grow with the number of shards. */
    uint64_t timer_visits;

    /* clock */
    respite_clock_fn *clock_fn;
    void *clock_ud;
    int64_t clock_offset; /* DEBUG CLOCK ADVANCE while real; the sum stays <= STORE_CLOCK_MAX */
    int64_t clock_frozen; /* DEBUG CLOCK SET: >= 0 fixes the time */
    int64_t cmd_now;      /* the running command's time (one clock read per command), -1 between */
    int64_t real_minus_mono_us; /* wall clock minus monotonic clock, refreshed each tick */

    /* commands */
    struct cmd_lut *lut;  /* name -> cmd_def, built at open */
    struct cmd_stats *cstats;
    int ncstats;

    /* clients */
    struct session *sessions_head, *sessions_tail;
    uint64_t next_client_id;
    uint64_t nsessions;

    /* WATCHed keys of every database (multi.c). nkeys == 0 is the one
     * branch every key change pays when no client watches (ks_touch). */
    struct kreg watched;

    /* Blocked clients (block.c): the keys they wait on, their deadlines
     * (monotonic us), the keys signaled by the running command. */
    struct kreg blocking;
    uint64_t blocking_nokey;  /* keys with a wait that a deletion wakes */
    struct exp_heap btimeouts;
    struct kreg_key **ready;
    size_t nready, ready_cap;
    struct kreg_key *serving; /* the key block_serve_ready is serving */

    /* A transport's batch of commands run back to back (respite_batch):
     * the end of one command, read for its statistics, is the start of the
     * next, so each reads the clock once. 0: read it. */
    bool in_batch;
    int64_t batch_clock_us;

    /* Prefetch hints of the transport's current batch (store.c): the key
     * (and field or member) of each command, with the table and hash of the
     * key's lookup, for respite_client_prefetch_flush. The strings borrow
     * the transport's buffer until the flush. */
    struct {
        struct ks_route r; /* the key's shard lookup, begun */
        struct rs_str key, sub;
    } pf[RESPITE_PREFETCH_MAX];
    int npf;
    /* What the last flush found: the shard of each hint's key (NULL if
     * none) while the maps were at generation gen, for the commands as
     * they run in the hints' order (route_next, the next one's). key is
     * the hint's, compared by address only; the shard is checked against
     * the command's own key before it is used (ks_route_remember). */
    struct {
        const char *key;
        struct shard *sh;
        uint64_t gen;
        const struct table *t; /* sh's table if the key's hash h is known */
        uint64_t h;
    } route[RESPITE_PREFETCH_MAX];
    int nroute, route_next;
    /* The running command's key (argv[1]) and its hash in table key_t, from
     * its route entry, for its lookup (ks.c's find, tbl_find_ref_hint);
     * key_t NULL if none. Compared by address: the hash is only a hint. */
    struct rs_str key_hint;
    const struct table *key_t;
    uint64_t key_h;

    /* Shard routing (ks.c): pmap_gen counts the rebuilds of the project
     * maps (a shard may have left: a pointer kept from before may dangle);
     * route_sh, found at generation route_gen, is the shard ks_shard
     * checks first. */
    uint64_t pmap_gen;
    struct shard *route_sh;
    uint64_t route_gen;

    /* Lazy freeing (ks.c): shards of flushed databases (FLUSHALL ASYNC),
     * chained by next_garbage, and big values of deleted keys (UNLINK), first
     * in first out, freed in slices by respite_tick. */
    struct shard *garbage;
    struct lazy_val *lazy_head, *lazy_tail;
    uint64_t lazy_pending;  /* keys and values in either, not freed yet */
    int64_t last_tick_us;   /* monotonic clock at the last respite_tick, 0 before any */
    bool has_empty; /* some project shard became empty: ks_reap_empty looks */

    uint64_t used_memory;
    /* What the project shards cost beyond their keys (ks.c): the shards
     * with their ids, the project maps' and order arrays' capacity. INFO's
     * used_memory_overhead; not counted against any project. */
    uint64_t shard_bytes;
    /* DEBUG QUICKLIST-PACKED-THRESHOLD: list elements of at least this many
     * bytes are stored unpacked; 0 means the default, 1 GB. */
    uint64_t list_packed_threshold;
    struct store_stats stats;
    /* Pub/sub (pubsub.c): the registry, and the hook through which the
     * keyspace publishes (ks_publish), which pubsub_init registers. */
    struct pubsub *ps;
    long long (*publish)(struct store *st, struct rs_str chan, struct rs_str msg);
    const struct respite_hooks *hooks;
    void *hooks_ud;
    char run_id[41];
};

/* Publish msg on channel chan from inside the store (keyspace
 * notifications) as PUBLISH does; returns the number of deliveries. */
static inline long long ks_publish(struct store *st, struct rs_str chan, struct rs_str msg)
{
    return st->publish ? st->publish(st, chan, msg) : 0;
}

/* Count one error reply (msg as written, "ERR ...") in INFO errorstats
 * (cmd_server.c). */
void stats_error(struct store *st, const char *msg, size_t len);

/* Count c's command against the shard of its first key (PROJECT INFO). */
void store_count_shard_command(struct cmd_ctx *c);

/* The latest time DEBUG CLOCK may move the store clock to (ms, about year
 * 148000): TIME multiplies the clock by 1000 and `now + ttl` sums must keep
 * room, so the clock stays far below INT64_MAX even as real time runs on. */
#define STORE_CLOCK_MAX (INT64_MAX / 2000)

/* Store clock in milliseconds (real, offset or frozen). */
int64_t store_now(const struct store *st);
/* LRU clock in seconds, 24 bits, from the store clock (the running
 * command's time while one runs). */
uint32_t store_lru(const struct store *st);
/* Real wall-clock time in ms (for uptime, not for keys). */
int64_t rs_real_ms(void);
int64_t rs_mono_us(void);

#endif
