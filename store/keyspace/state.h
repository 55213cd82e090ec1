/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The keyspace layer's state, as every layer above ds/ sees it: the store,
 * its databases and shards, sessions, configuration values, the context of
 * one command with its error replies (errors.c), the store clock
 * (clock.c), and the hooks through which the keyspace reaches up to the
 * layers above it (struct ks_hooks). Nothing outside store/ includes this
 * file; embedders see only respite.h, whose types (the clock and transport
 * callbacks) it uses.
 *
 * Ownership in one paragraph: a store owns its databases; a database owns its
 * shards; a shard owns its table of entries and its expiry heap; an entry owns
 * its value. Pointers returned by lookups are borrowed and stop being valid at
 * the next write to the same shard.
 */
#ifndef KEYSPACE_STATE_H
#define KEYSPACE_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ds/chain.h"
#include "ds/heap.h"
#include "ds/table.h"
#include "resp.h"
#include "resp_writer.h"
#include "respite.h"

struct store;
struct session;
struct cmd_def; /* commands/commands.h */

/* ------------------------------------------------------------------------
 * Errors (errors.def, errors.c)
 * ------------------------------------------------------------------------ */

enum rs_err {
#define ERR(sym, text) RS_ERR_##sym,
#include "keyspace/errors.def"
#undef ERR
    RS_ERR__COUNT
};

extern const char *const rs_err_text[RS_ERR__COUNT];

/* ------------------------------------------------------------------------
 * Shards and databases (keyspace.c, expire.c)
 * ------------------------------------------------------------------------ */

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
    /* the sum of exp's deadlines, its share of db->sum_deadlines, which a
     * project drop (ks_project_drop) takes off in O(1) */
    unsigned __int128 sum_deadlines;
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
    uint32_t idlen : 29;   /* bytes of the project id, 0 for the global shard */
    uint32_t is_project : 1;
    uint32_t is_empty : 1; /* a project shard without keys, counted in db->nempty:
                            * it stays in the map and order array (a write
                            * revives it) until the db compacts them (keyspace.c) */
    uint32_t is_small : 1; /* the db's shard `small` of one-key projects (struct tiny) */
    /* its places in its db's indexes (struct db), so leaving them is cheap */
    uint32_t due_idx;      /* slot in db->due while exp or sub is non-empty, else EXP_NONE */
    uint32_t rank;         /* its number in db->ranks, for as long as the shard lives */
};

/* The project id of a project shard (idlen bytes, not NUL-terminated). */
static inline const char *shard_id(const struct shard *sh)
{
    return (const char *)(sh + 1);
}

/* A project of at most one key (keyspace.c). A project needs no shard of its own
 * until it has a second key: its key is accounted to its db's shard
 * `small` (whose own table stays empty), TTL and sub-key deadlines
 * included, and the db's map and order array hold this record where they
 * hold a project's shard (a place, tagged PLACE_TINY). 32 bytes for an id
 * of up to 7 bytes, where a shard costs 112 and its table 8 more. */
struct tiny {
    struct entry *e;    /* its key, NULL while it has none (empty) */
    uint64_t ncommands; /* as a shard's */
    uint32_t seq;
    uint32_t rank;
    uint8_t idlen;
    char id[];
};

/* Open-addressing map from project id to place: a shard, or a struct tiny
 * (keyspace.c). */
struct pmap {
    uintptr_t *slots; /* places tagged with bits of the id's hash (keyspace.c), 0 if empty */
    uint64_t cap;     /* 0 or a power of two; holds the db's norder shards */
};

/* A key's shard lookup in steps (ks_route_begin, keyspace.h). */
struct ks_route {
    struct db *db;
    struct rs_str id; /* the project id, when is_project */
    uint64_t h;       /* id's hash in db's map */
    uint64_t gen;     /* the store's pmap_gen at ks_route_begin */
    bool is_project;
};

/* A set of shard ranks (keyspace.c): a bit per rank, and the members in a list
 * in the order they came. Adding is O(1); a rank stays in until taken out
 * (or the db's ranks are numbered again, which rebuilds the sets). */
struct rankset {
    uint64_t *bits;  /* [ranks.cap / 64 + 1] */
    uint32_t *list;
    uint32_t n, cap; /* members, room in list */
};

/* A db numbers its shards by their places (keyspace.c): rank 1 is the global
 * shard, rank i + 2 the project (a shard or a struct tiny) at order[i]. Shards are only appended
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
    struct shard small;   /* what the one-key projects' keys are accounted to (struct tiny) */
    struct pmap projects; /* every project of order, by id */
    uintptr_t *order;     /* projects (places, keyspace.c) sorted by seq, empty ones included */
    size_t norder, order_cap;
    size_t nempty;        /* projects of order that are empty */
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

/* The quotas of one project id (PROJECT QUOTA; keyspace/quota.c), for
 * the project across every database, kept while it has no keys. One
 * allocation: the struct, then the id's bytes. */
struct ks_quota {
    struct ks_quota *next; /* in its slot's chain */
    /* config: 0 is no limit */
    uint64_t maxmemory;    /* bytes of keys and values (PROJECT INFO's bytes) */
    uint64_t maxkeys;
    uint64_t maxops;       /* commands naming a key of the project, per second */
    /* MAXOPS's token bucket (commands/quota.c): tokens as of refill_us
     * (monotonic), at most maxops, below 0 after an EXEC that took more */
    double tokens;
    int64_t refill_us;
    /* stats */
    uint64_t delayed;      /* commands held by MAXOPS */
    uint64_t refused;      /* commands refused -OOM by MAXMEMORY or MAXKEYS */
    uint32_t idlen;
    char id[];
};

/* Every project's quotas, by id: chains in slots (cap a power of two, or
 * 0). n == 0 is the one test a command pays while no quota is set. */
struct ks_quotas {
    struct ks_quota **slots;
    uint32_t cap, n;
    uint32_t nmemory; /* those with a MAXMEMORY: eviction looks at them first */
};

/* ------------------------------------------------------------------------
 * Configuration (config.c): every parameter CONFIG GET/SET knows.
 * ------------------------------------------------------------------------ */

#define RS_SAVE_POINTS_MAX 16

#define RS_PCTL_MAX 32 /* latency-tracking-info-percentiles used at most */

/* Room for the accepted-and-ignored parameters: config.c checks its table
 * fits (a longer value is refused as "argument is too long"). */
enum { RS_CFG_NKEPT = 160, RS_CFG_KEPT_LEN = 256 };

#define REPLY_BUFFER_PEAK_RESET_MS 5000 /* Redis's default reply buffer peak window */

struct rs_config {
    /* network and limits, read by server/ */
    char bind[256];
    int port;
    long long maxclients; /* Redis's range, 1..UINT_MAX; the server takes at most INT_MAX */
    int timeout; /* seconds, 0 = never */
    int tcp_keepalive;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    long long obuf_hard[3], obuf_soft[3], obuf_soft_secs[3]; /* normal, replica, pubsub */
    int hz;
    /* Not parameters: DEBUG REPLYBUFFER's PEAK-RESET-TIME (ms, -1 never) and
     * RESIZING, read by the transport (respite_net_config) */
    long long reply_buffer_peak_reset_ms;
    bool reply_buffer_resizing;
    int loglevel; /* 0 debug, 1 verbose, 2 notice, 3 warning, 4 nothing */
    char logfile[1024];
    int databases;
    int enable_debug_command; /* 0 no, 1 yes, 2 local */
    char requirepass[512]; /* the default user's password (commands/acl.c), "" none */
    char aclfile[1024];    /* ACL LOAD/SAVE's file, "" none */
    long long acllog_max_len;
    bool active_expire;
    long long lua_time_limit;
    /* persistence (keyspace/rdb_file.h) */
    char dir[1024];          /* absolute */
    char dbfilename[256];
    bool rdbcompression;
    bool rdbchecksum;
    int sanitize_dump_payload; /* enum sanitize_dump (RESTORE) */
    /* the append-only file (commands/aof.c) */
    bool appendonly;
    char appendfilename[256];
    char appenddirname[256];
    int appendfsync;           /* enum aof_fsync */
    bool aof_use_rdb_preamble; /* the base is an RDB file, else RESP commands */
    bool aof_load_truncated;   /* a torn last command is cut, not fatal */
    bool aof_timestamp;        /* #TS: annotations */
    int auto_aof_rewrite_percentage;
    long long auto_aof_rewrite_min_size;
    /* save points (`save <seconds> <changes> ...`): a BGSAVE when at least
     * changes were made and seconds have passed since the last save */
    struct save_point {
        int64_t seconds;
        int64_t changes;
    } save[RS_SAVE_POINTS_MAX];
    int nsave;
    bool stop_writes_on_bgsave_error;
    int key_load_delay; /* a debug aid, as Redis's: microseconds of sleep per key loaded */
    int rdb_key_save_delay; /* and per key saved (RDB or RESP file) */
    bool protected_mode;
    char pidfile[1024];
    bool daemonize;
    /* maxmemory (keyspace/evict.c): bytes of used_memory past which keys are
     * evicted before a command by maxmemory_policy (enum mm_policy), or
     * commands flagged denyoom refused; 0 no limit */
    long long maxmemory;
    int maxmemory_samples;           /* keys sampled per database per eviction */
    int maxmemory_eviction_tenacity; /* 0..100: the time one eviction may take */
    int lfu_log_factor;              /* LFU counter: the higher, the slower it grows */
    int lfu_decay_time;              /* minutes per decrement of an idle LFU counter */
    bool lazyfree_eviction;          /* lazyfree-lazy-eviction */
    /* busy-reply-threshold (lua-time-limit): ms a script runs before other
     * clients get -BUSY and SCRIPT KILL may stop it; 0 never */
    long long busy_reply_threshold;
    /* keys the client tracking table holds at most (commands/tracking.c); 0 no limit */
    long long tracking_table_max_keys;
    int maxmemory_policy; /* enum mm_policy */
    /* A hash is packed while it has at most this many fields, each field and
     * value of at most this many bytes. */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    /* sorted set encodings (keyspace/zset.c), as the hash's */
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    /* set encodings (t_set.c) */
    long long set_max_intset_entries;
    long long set_max_listpack_entries;
    long long set_max_listpack_value;
    /* list chunks (quicklist.c): > 0 elements a chunk, < 0 a byte size
     * class (-1 4 KB ... -5 64 KB); depth is accepted, never applied */
    int list_max_listpack_size;
    int list_compress_depth;
    /* stream nodes (stream.c's struct snode_limits): listpack bytes and
     * entries a node takes, 0 for no limit */
    long long stream_node_max_bytes;
    long long stream_node_max_entries;
    /* Which deletions free big values in the background (keyspace.c), as Redis's
     * lazyfree-lazy-*: DEL, FLUSHALL/FLUSHDB without a mode, expiry,
     * deletions and overwrites done by other commands. UNLINK and ASYNC
     * always do. */
    bool lazyfree_user_del;
    bool lazyfree_user_flush;
    bool lazyfree_expire;
    bool lazyfree_server_del;
    /* notify-keyspace-events (notify.c): the classes as configured, which
     * CONFIG GET prints, and the mask ks_notify tests -- the same, or 0
     * while neither K nor E is set and nothing would be published. */
    int notify_keyspace_events;
    int notify_mask;
    /* SLOWLOG and LATENCY (commands/introspect.c) */
    long long slowlog_log_slower_than; /* us; < 0 logs nothing, 0 every command */
    long long slowlog_max_len;
    long long latency_monitor_threshold; /* ms, 0 off */
    bool latency_tracking;               /* per-command histograms (INFO latencystats) */
    int enable_protected_configs; /* 0 no, 1 yes, 2 local: may CONFIG SET change dir, dbfilename */
    /* The parameters respite accepts and ignores (config.c's CFG_KEPT rows),
     * each as CONFIG GET prints it. */
    char kept[RS_CFG_NKEPT][RS_CFG_KEPT_LEN];
};

/* maxmemory-policy, in the order of config.c's names: the low two bits say
 * how a key is chosen (LRU, LFU, random, nearest deadline), bit 2 among all
 * keys rather than those with a TTL. */
enum mm_policy {
    MM_VOLATILE_LRU = 0,
    MM_VOLATILE_LFU,
    MM_VOLATILE_RANDOM,
    MM_VOLATILE_TTL,
    MM_ALLKEYS_LRU,
    MM_ALLKEYS_LFU,
    MM_ALLKEYS_RANDOM,
    MM_NOEVICTION,
};
#define MM_HOW(p) ((p) & 3)
#define MM_LRU 0
#define MM_LFU 1
#define MM_RANDOM 2
#define MM_TTL 3
#define MM_ALLKEYS 4

/* sanitize-dump-payload, in the order of config.c's names: whose RESTORE
 * payloads Redis checks whole (respite checks every one, and counts those
 * Redis would in INFO dump_payload_sanitizations). */
enum sanitize_dump { SANITIZE_DUMP_NO, SANITIZE_DUMP_YES, SANITIZE_DUMP_CLIENTS };

/* Keyspace notification classes (notify-keyspace-events), Redis's NOTIFY_*
 * bits: K and E say where events go, the others which events are sent. */
enum ks_notify_class {
    NOTIFY_KEYSPACE = 1 << 0, /* K: __keyspace@<db>__:<key>, the event as message */
    NOTIFY_KEYEVENT = 1 << 1, /* E: __keyevent@<db>__:<event>, the key as message */
    NOTIFY_GENERIC = 1 << 2,  /* g: del, expire, rename_from, copy_to, move_to... */
    NOTIFY_STRING = 1 << 3,   /* $ */
    NOTIFY_LIST = 1 << 4,     /* l */
    NOTIFY_SET = 1 << 5,      /* s, set-member TTLs included (sexpire, sexpired, spersist) */
    NOTIFY_HASH = 1 << 6,     /* h */
    NOTIFY_ZSET = 1 << 7,     /* z */
    NOTIFY_EXPIRED = 1 << 8,  /* x: expired */
    NOTIFY_EVICTED = 1 << 9,  /* e: evicted */
    NOTIFY_STREAM = 1 << 10,  /* t */
    NOTIFY_KEY_MISS = 1 << 11, /* m: keymiss, not in A */
    NOTIFY_MODULE = 1 << 12,  /* d */
    NOTIFY_NEW = 1 << 13,     /* n: new, not in A */
    /* A: what Redis 7.4's A stands for */
    NOTIFY_ALL = NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH |
                 NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE,
};

/* ------------------------------------------------------------------------
 * The command context (the command table is commands/commands.h)
 * ------------------------------------------------------------------------ */

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
    bool err_counted; /* that error was counted already (a script's, from a command it called) */
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
    /* The handler gave the form its command replays as (prop_add,
     * commands/propagate.c): its own argv is not logged. */
    bool propagated;
};

/* Error replies; they also mark the command failed for INFO commandstats. */
void reply_err(struct cmd_ctx *c, enum rs_err e);
void reply_errf(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error reply of msg[0..len) as it is ("CODE text"), of any length. */
void reply_error_bytes(struct cmd_ctx *c, const char *msg, size_t len);

/* ------------------------------------------------------------------------
 * Sessions: the command-level state of one client (store.c)
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
    SES_MONITOR = 1 << 11,        /* in st->monitors (commands/monitor.c) */
    SES_SCRIPT = 1 << 12,         /* the scripting engine's (redis.call's client):
                                   * monitors see its commands from "lua" */
    SES_REPLAY = 1 << 13,         /* the append-only file's loader (aof.c): not
                                   * refused with -LOADING, as Redis's fake client */
    SES_ACL_CHECK = 1 << 14,      /* its user may not run everything: each command
                                   * passes the ACL check (commands/acl.c) */
    SES_AUTH_OPEN = 1 << 15,      /* the default user needs no password now: no
                                   * AUTH is required (kept on every session by
                                   * commands/acl.c) */
    SES_WAITING = 1 << 16,        /* blocked (s->blk, block.c) or its command held by
                                   * CLIENT PAUSE (s->pp, pause.c): RESPITE_BLOCKED */
    SES_PROJECT = 1 << 17,        /* its user is a project user: it sees only what
                                   * it may read (commands/acl.h) */
};

struct mqueue;
struct watch;
struct blocked;
struct ps_client;
struct trk_client;
struct acl_user;

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
    struct postponed *pp;    /* its command held by CLIENT PAUSE, NULL if none (pause.c) */
    struct watch *watches;   /* keys this client WATCHes, newest first (multi.c) */
    struct blocked *blk;     /* the command it is blocked in, NULL if none (block.c) */
    int64_t woff;            /* st->repl_off after its last command that propagated
                              * something: what WAITAOF waits to see fsynced */
    struct ps_client *ps;    /* its subscriptions, NULL if it never subscribed (pubsub.c) */
    struct trk_client *trk;  /* its CLIENT TRACKING state, NULL while off (tracking.c) */
    struct acl_user *user;   /* who it runs as (commands/acl.c); a script's
                              * session runs as its caller's, set at each run */
    uint32_t nwatches;
    struct session *prev, *next; /* store's list, creation order */
};

/* ------------------------------------------------------------------------
 * Key registries (keyreg.c): (database index, key) -> a list of clients,
 * for WATCH (commands/multi.c) and blocked clients (commands/block.c)
 * ------------------------------------------------------------------------ */

struct kreg_key {
    struct chain_link link; /* in its registry, the hash of (db, key) */
    void *head, *tail;      /* the owner's list of clients on the key */
    int db;
    bool ready;            /* block.c: queued in the store's ready keys */
    uint32_t on_nokey;     /* block.c: waits that a deletion must wake (XREADGROUP) */
    size_t klen;
    char key[];
};

/* key's entry in t, NULL if none. */
struct kreg_key *kreg_find(const struct store *st, const struct chain *t, int db, const char *key,
                           size_t klen);
/* key's entry in t, a new zeroed one (head and tail NULL) if there was none:
 * the caller links its client at once. */
struct kreg_key *kreg_get(const struct store *st, struct chain *t, int db, struct rs_str key);
/* Remove and free k, whose list is empty; the table goes with its last key. */
void kreg_del(struct chain *t, struct kreg_key *k);

/* ------------------------------------------------------------------------
 * The store
 * ------------------------------------------------------------------------ */

/* What a keyspace event is about, for whom may hear it (pub/sub hides
 * events from project users that may not read their key): a key, or for
 * PROJECT DROP's event a project id. */
struct ks_event {
    struct rs_str name;
    bool project;
};

/* What the keyspace calls in the layers above it, registered by the engine
 * at open (respite_open): WATCH (commands/multi.c) and blocked clients
 * (commands/block.c). keyspace.h's ks_touch and ks_signal call them only
 * when some client watches or waits. */
struct ks_hooks {
    /* key of db changed: its watchers' EXEC fails */
    void (*touch)(struct db *db, const char *key, size_t klen);
    /* emptied is about to be emptied, or replaced by replaced_with (SWAPDB) */
    void (*touch_db)(struct db *emptied, struct db *replaced_with);
    /* key of db was written (or deleted): clients blocked on it may go on */
    void (*signal)(struct db *db, const char *key, size_t klen, bool deleted);
    /* every key of db may have changed */
    void (*signal_db)(struct db *db);
    /* Called only while st->aof is set: key of db is about to be deleted
     * for its TTL or evicted, lazily (lazyfree-lazy-expire or -eviction)
     * or not; name, a field (is_hash) or member of key, is about to be
     * deleted for its own. The append-only file logs DEL (UNLINK when
     * lazy, as Redis's propagateDeletion), HDEL, SREM. */
    void (*expired)(struct db *db, struct rs_str key, bool lazy);
    void (*sub_expired)(struct db *db, struct rs_str key, bool is_hash, struct rs_str name);
};

/* INFO errorstats: error replies counted by their code, the first word of
 * the message ("ERR", "WRONGTYPE"), as Redis counts them. */
#define RS_ERRSTATS_MAX 128 /* distinct codes kept, Redis's ERROR_STATS_NUMBER */

struct err_stat {
    char code[32]; /* NUL-terminated */
    uint64_t count;
};

/* The instantaneous metrics (store_stats.inst) and how many samples each
 * averages, as Redis's STATS_METRIC_*. */
#define RS_INST_SAMPLES 16
enum {
    RS_INST_COMMANDS,
    RS_INST_NET_IN,
    RS_INST_NET_OUT,
    RS_INST_EL_CYCLES,
    RS_INST_EL_DURATION,
    RS_INST_NUM
};

struct store_stats {
    uint64_t numcommands;
    uint64_t numconnections;
    uint64_t rejected_conn;
    uint64_t net_in, net_out;
    uint64_t expired_keys;
    uint64_t expired_subkeys; /* hash fields and set members */
    uint64_t evicted_keys;
    /* Time spent over maxmemory (keyspace/evict.c): the total of the past
     * spells, and the start of the current one (monotonic us, 0 none) */
    uint64_t evict_exceeded_us;
    int64_t evict_exceeded_since;
    uint64_t lazyfreed;       /* keys and values freed in the background (keyspace.c) */
    uint64_t keyspace_hits, keyspace_misses;
    uint64_t total_error_replies;
    uint64_t connected_clients;
    uint64_t blocked_clients;
    uint64_t unexpected_error_replies;
    /* The active expiry cycle (respite_tick): its time, and the cycles
     * that stopped on their time budget with keys still due. */
    uint64_t expire_cycle_us;
    uint64_t expire_time_cap_reached;
    /* Snapshot children (persist_fork): how many forked, and how long the
     * last fork() took (us). */
    uint64_t total_forks;
    uint64_t latest_fork_us;
    /* What the transport reports (respite_stat_add): read and write
     * calls, clients it closed at the query or output buffer limits,
     * reply chunk resizes, event loop turns and their awake time (us). */
    uint64_t reads, writes;
    uint64_t qbuf_limit_closed, obuf_limit_closed;
    uint64_t reply_buffer_shrinks, reply_buffer_expands;
    uint64_t el_cycles, el_ns;
    uint64_t cmd_usec; /* time of top-level commands (cmd_call), eventloop_duration_cmd_sum */
    uint64_t dump_sanitizations; /* RESTORE's packed parts counted as Redis's (keys.c) */
    /* INFO's instantaneous_* figures: Redis's trackInstantaneousMetric,
     * a sample every 100 ms (respite_tick) of how fast a counter moved, the
     * mean of the last RS_INST_SAMPLES reported. */
    struct inst_metric {
        uint64_t last_value, last_base; /* last_base 0: no sample yet */
        int64_t samples[RS_INST_SAMPLES];
        int idx;
    } inst[RS_INST_NUM];
    int64_t inst_last_ms; /* real time of the last sampling */
    int64_t start_ms;      /* real time at open */
    int64_t lastsave;      /* unix seconds */
    struct err_stat errors[RS_ERRSTATS_MAX]; /* sorted by code */
    int nerrors;
};

struct store {
    struct rs_config cfg;
    char config_file[4096]; /* absolute path of the configuration file (CONFIG REWRITE), "" none */
    struct db **dbs;
    int ndbs;
    uint64_t seed; /* XXH3 seed, random per process */
    struct rng rng; /* the store's random numbers (every random pick) */
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
    /* SLOWLOG, LATENCY and the per-command latency histograms
     * (commands/introspect.c). slow_us: a command that took at least this
     * many microseconds goes to introspect_slow -- the lower of the two
     * thresholds, INT64_MAX while both are off -- so the usual command pays
     * one compare for both. */
    int64_t slow_us;
    struct introspect *intro;
    struct lat_hist **lat_hist; /* by command index, NULL until it ran (introspect.h) */
    /* latency-tracking-info-percentiles as numbers (introspect_config reads
     * them from the parameter's text) */
    double lat_pctl[RS_PCTL_MAX];
    int nlat_pctl;
    /* CLIENT PAUSE (commands/pause.c): what is paused (enum pause_mode,
     * 0 none) until pause_end_us (monotonic), and the clients whose command
     * waits for the end, in the order they came. */
    int pause_mode;
    int64_t pause_end_us;
    struct postponed *pp_head, *pp_tail;
    /* The engine's run of one command (store.c), for the held ones. */
    void (*run_postponed)(struct session *s, int argc, struct rs_str *argv);

    /* clients */
    struct session *sessions_head, *sessions_tail;
    uint64_t next_client_id;
    uint64_t nsessions;

    /* WATCHed keys of every database (multi.c). nkeys == 0 is the one
     * branch every key change pays when no client watches (ks_touch). */
    struct chain watched;

    /* Blocked clients (block.c): the keys they wait on, their deadlines
     * (monotonic us), the keys signaled by the running command. */
    struct chain blocking;
    uint64_t blocking_nokey;  /* keys with a wait that a deletion wakes */
    struct exp_heap btimeouts;
    struct kreg_key **ready;
    size_t nready, ready_cap;
    struct kreg_key *serving; /* the key block_serve_ready is serving */
    /* WAITAOF clients that asked for the local fsync (block.c), in the
     * order they blocked; and whether a WAIT or WAITAOF blocked since the
     * last respite_aof_flush (commands/wait.c). */
    struct blocked *acks_head, *acks_tail;
    bool acks_asked;

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
        struct rs_str key, sub; /* sub: argv[2], a field's or set member's place */
        struct rs_str last;     /* a sorted-set member's: ZADD key score member,
                                 * ZINCRBY, ZSCORE, ZREM, ZRANK end with it */
    } pf[RESPITE_PREFETCH_MAX];
    int npf;
    /* What the last flush found: the shard of each hint's key (NULL if
     * none) while the maps were at generation gen, for the commands as
     * they run in the hints' order (route_next, the next one's). key is
     * the hint's, compared by address only; the shard is checked against
     * the command's own key before it is used (ks_route_remember). */
    struct {
        const char *key;
        uintptr_t place; /* a project's place in db (keyspace.c) or a shard, 0 if none */
        struct db *db;
        uint64_t gen;
        const struct table *t; /* the place's table if the key's hash h is known */
        uint64_t h;
    } route[RESPITE_PREFETCH_MAX];
    int nroute, route_next;
    /* The running command's key (argv[1]) and its hash in table key_t, from
     * its route entry, for its lookup (keyspace.c's find, tbl_find_ref_hint);
     * key_t NULL if none. Compared by address: the hash is only a hint. */
    struct rs_str key_hint;
    const struct table *key_t;
    uint64_t key_h;
    /* The place (keyspace.c) of key_hint in key_place_db, once a lookup in
     * the running command found it, at map generation key_place_gen; 0
     * outside a command and until found. argv[1] stays put for the
     * command, so a key at its address is that key: later lookups of it
     * skip the parse of the key and the compare of the project id. */
    uintptr_t key_place;
    struct db *key_place_db;
    uint64_t key_place_gen;

    /* Shard routing (keyspace.c): pmap_gen counts the rebuilds of the project
     * maps and of the projects that became shards (a place may have left:
     * a pointer kept from before may dangle); route_place, found in
     * route_db at generation route_gen, is the place ks_shard checks
     * first. */
    uint64_t pmap_gen;
    uintptr_t route_place;
    struct db *route_db;
    uint64_t route_gen;

    /* Lazy freeing (keyspace.c): shards of flushed databases (FLUSHALL ASYNC),
     * chained by next_garbage, and big values of deleted keys (UNLINK), first
     * in first out, freed in slices by respite_tick. */
    struct shard *garbage;
    struct lazy_val *lazy_head, *lazy_tail;
    uint64_t lazy_pending;  /* keys and values in either, not freed yet */
    int64_t last_tick_us;   /* monotonic clock at the last respite_tick, 0 before any */
    bool has_empty; /* some project shard became empty: ks_reap_empty looks */

    uint64_t used_memory;
    /* Bytes of values queued for freeing in the background (keyspace.c's
     * lazy_val): still in used_memory, not counted against maxmemory
     * (INFO mem_not_counted_for_evict), being on their way out. */
    uint64_t lazy_bytes;
    /* Eviction (keyspace/evict.c): the pool of candidates, NULL until a
     * sampling policy first evicts; whether the last eviction stopped at
     * its time limit over maxmemory (respite_tick goes on with it); the
     * database the random policies start from; and whether the store was
     * over maxmemory when the running command started, after eviction
     * (Redis's pre_command_oom_state), which scripts' denyoom commands
     * read. */
    struct evict_pool *evpool;
    bool evict_running;
    bool oom_at_start;
    int evict_next_db;
    /* Project quotas (keyspace/quota.c), and the commands MAXOPS holds
     * (commands/pause.c) in the order they came, with the earliest time one
     * of them may run (monotonic us). */
    struct ks_quotas quotas;
    struct postponed *qp_head, *qp_tail;
    int64_t qp_next_us;
    struct quota_plans *qplans; /* commands/quota.c's, NULL until a check */
    /* What the project shards cost beyond their keys (keyspace.c): the shards
     * with their ids, the project maps' and order arrays' capacity. INFO's
     * used_memory_overhead; not counted against any project. */
    uint64_t shard_bytes;
    /* Outside stats, as CONFIG RESETSTAT keeps them (Redis does): the
     * largest used_memory noted (mem_note_peak), used_memory when the
     * store opened (used_memory_startup), and the ACL denials counted by
     * reason (ACL_DENIED_*, acl.c: Redis's acl_info). */
    uint64_t peak_memory;
    uint64_t startup_memory;
    uint64_t acl_denied[5];
    /* DEBUG QUICKLIST-PACKED-THRESHOLD: list elements of at least this many
     * bytes are stored unpacked; 0 means the default, 1 GB. */
    uint32_t list_packed_threshold; /* below 4 GiB (its parse bounds it) */
    /* DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE's and FUNCTION RESTORE's
     * payloads and RDB files are taken whatever their CRC-64. */
    bool skip_checksum;
    struct store_stats stats;
    bool save_appending; /* a save line was read at start-up: the next adds to it */
    /* Snapshots (commands/persist.c): what INFO's Persistence section
     * reports and the save points compare. */
    struct persist {
        uint64_t dirty;         /* changes since the last save (ks_dirty) */
        uint64_t changes;       /* every change since the start (ks_dirty), never reset: a
                                 * call that moved it is logged (propagate.c) */
        uint64_t dirty_at_fork; /* dirty when the running BGSAVE forked */
        /* The one child process (persist_fork), as Redis allows one:
         * a BGSAVE or a BGREWRITEAOF. */
        int child;              /* its pid, 0 none */
        int exiting;            /* a child whose final report is in but that has not
                                 * exited yet (tearing down its copy of a large address
                                 * space takes tens of ms): reaped by a later tick,
                                 * not waited for on the loop (persist.c); 0 none */
        int child_type;         /* enum persist_child */
        int child_pipe;         /* read end of its report pipe, -1 none */
        int64_t child_start;    /* unix ms when it forked */
        double fork_rate;       /* GB/s of the last fork (persist_fork), 0 before any */
        uint64_t child_keys;    /* keys when it forked (current_save_keys_total) */
        /* what the child reported of its progress (persist.c): INFO's current_* */
        uint64_t child_keys_done;  /* current_save_keys_processed */
        uint64_t child_cow, child_cow_peak; /* current_cow_size, current_cow_peak */
        int64_t child_cow_ms;   /* unix ms of its last report, 0 none */
        int report_fd;          /* in the child only: its report pipe, 0 in the server */
        int64_t report_us;      /* in the child: when it last reported (monotonic) */
        bool scheduled;         /* BGSAVE SCHEDULE (or in EXEC): start one when none runs */
        bool last_bgsave_ok;    /* rdb_last_bgsave_status */
        int64_t last_bgsave_secs; /* rdb_last_bgsave_time_sec, -1 none yet */
        int64_t last_try;       /* unix s of the last BGSAVE fork attempt */
        uint64_t saves;         /* rdb_saves: SAVE and BGSAVE runs */
        uint64_t last_cow;      /* rdb_last_cow_size: the child's private dirty bytes */
        uint64_t load_loaded;   /* rdb_last_load_keys_loaded: keys the last RDB load added */
        uint64_t load_expired;  /* rdb_last_load_keys_expired: and dropped as expired */
        uint64_t load_rdb_used_mem; /* loading_rdb_used_mem: the used-mem aux of the file */
        /* the load at start (respite_load): INFO's loading_* fields */
        bool loading;
        bool stop_loading;      /* SHUTDOWN while loading: the load stops */
        int64_t load_start_ms;  /* unix ms */
        size_t load_total, load_done; /* bytes of the file, bytes read */
        size_t events_done;     /* load_done when clients were last served */
        int64_t events_us;      /* and when (monotonic) */
        /* BGREWRITEAOF (commands/aof.c), kept while appendonly is off too:
         * Redis rewrites then as well, a base alone. */
        struct persist_aofrw {
            bool scheduled;       /* asked for in EXEC or while a BGSAVE ran: the cron starts it */
            int64_t start_ms;     /* unix ms when the running or the last one forked */
            long long child_incr; /* the incremental file opened at its fork, 0 none (AOF off) */
            bool child_rdb;       /* it writes an RDB base, else RESP */
            bool last_ok;         /* aof_last_bgrewrite_status */
            int64_t last_secs;    /* aof_last_rewrite_time_sec, -1 before any */
            uint64_t count;       /* aof_rewrites */
            uint64_t failures;    /* aof_rewrites_consecutive_failures */
            uint64_t last_cow;    /* aof_last_cow_size: the last child's private dirty bytes */
        } aofrw;
    } persist;
    /* Pub/sub (pubsub.c): the registry, and the hook through which the
     * keyspace publishes (ks_publish), which pubsub_init registers. */
    struct pubsub *ps;
    struct scripting *scripting; /* script cache and Lua engine (commands/script.c), NULL until used */
    /* While a script runs past busy-reply-threshold (script_lua.c), the
     * error other clients' commands get (RS_ERR_BUSY_SCRIPT), unless
     * flagged CMD_ALLOW_BUSY; 0 otherwise. */
    int script_busy;
    struct lua_engine *script_running; /* whose script runs (script_lua.c), NULL between */
    /* math.random's state (Redis's rand.c), one for EVAL's and FUNCTION's
     * engines and the server's life, as in Redis 7: no flush resets it */
    uint64_t lua_rand48;
    /* What other threads see of scripts (respite_script_kill, script_lua.c):
     * the running script's run number << 3 | 4 once it wrote | its kind
     * (1 EVAL, 2 function; 0 while none runs), written by the store's
     * thread only; and a kill request, the state it was aimed at (0 none). */
    _Atomic uint64_t script_state;
    _Atomic uint64_t script_kill_req;
    uint64_t script_runs;
    struct acl *acl; /* users and the ACL LOG (commands/acl.c) */
    struct functions *functions; /* FUNCTION libraries and their engine (commands/function.c), NULL until used */
    long long (*publish)(struct store *st, struct rs_str chan, struct rs_str msg,
                         const struct ks_event *event);
    /* MONITOR (commands/monitor.c): the monitors in the order they came,
     * and the scratch buffer a command's line is formatted into once.
     * nmonitors == 0 is the one branch a command pays when none watches. */
    struct session **monitors;
    uint32_t nmonitors, monitors_cap;
    char *mon_line;
    size_t mon_len, mon_cap;
    /* Client-side caching (commands/tracking.c). ntracked counts the keys
     * remembered for tracking clients and the BCAST prefixes: while it is
     * 0 a key change pays no tracking work (ks_touch's gate). */
    struct tracking *trk;
    uint64_t ntracked;
    const struct respite_hooks *hooks;
    void *hooks_ud;
    struct ks_hooks up;
    /* The append-only file and what commands propagate to it
     * (commands/aof.c, propagate.c); NULL while appendonly is off and
     * while a file loads, so propagation costs one branch per command. */
    struct aof *aof;
    int call_depth; /* cmd_call nesting: EXEC and scripts run commands inside one */
    /* Redis's master_repl_offset, as a master without replicas keeps it
     * (INFO, ROLE; WAITAOF compares it): one for each command propagated
     * to the append-only file (MULTI and EXEC around a call's several
     * count, SELECT does not; propagate.c), and one for each loop turn in
     * which a WAIT or WAITAOF blocked (the GETACK Redis sends its replicas,
     * commands/wait.c). */
    int64_t repl_off;
    char run_id[41];
    char replid[41]; /* INFO's master_replid: run_id until DEBUG CHANGE-REPL-ID */
};

/* INFO's used_memory: keys and values, and what the project shards cost
 * beyond them. */
static inline uint64_t store_used(const struct store *st)
{
    return st->used_memory + st->shard_bytes;
}

/* Publish msg on channel chan from inside the store (keyspace
 * notifications) as PUBLISH does, about event's key (or project: see
 * struct ks_event); returns the number of deliveries. */
static inline long long ks_publish(struct store *st, struct rs_str chan, struct rs_str msg,
                                   const struct ks_event *event)
{
    return st->publish ? st->publish(st, chan, msg, event) : 0;
}

/* Count one error reply (msg as written, "ERR ...") in INFO errorstats
 * (errors.c). */
void stats_error(struct store *st, const char *msg, size_t len);
/* Write the error reply msg to out, outside any command's call, counted
 * as a command's is: errorstats and total_error_replies (errors.c). */
void error_reply_counted(struct store *st, struct resp_out *out, const char *msg);

/* The latest time DEBUG CLOCK may move the store clock to (ms, about year
 * 148000): TIME multiplies the clock by 1000 and `now + ttl` sums must keep
 * room, so the clock stays far below INT64_MAX even as real time runs on. */
#define STORE_CLOCK_MAX (INT64_MAX / 2000)

/* Store clock in milliseconds (real, offset or frozen) (clock.c). */
int64_t store_now(const struct store *st);
/* The same at mono_us, a reading of rs_mono_us. */
int64_t store_now_at(const struct store *st, int64_t mono_us);
/* LRU clock in seconds, 24 bits, from the store clock (the running
 * command's time while one runs). */
uint32_t store_lru(const struct store *st);
/* Real wall-clock time in ms (for uptime, not for keys). */
int64_t rs_real_ms(void);
int64_t rs_mono_us(void);

#endif
