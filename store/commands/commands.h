/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The commands layer: the command table (commands.def) and its dispatch
 * (table.c), the helpers command families share (arguments, scan options,
 * help and error texts, sub-key TTL arguments), blocking commands
 * (block.c), transactions (multi.c), configuration (config.c). Command
 * files include this and the keyspace's headers; the engine (store.c)
 * includes this to run them.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

#include <string.h>

#include "keyspace/keyspace.h"

/* The Redis version respite behaves as (HELLO, INFO, redis.REDIS_VERSION). */
#define RS_REDIS_VERSION "7.4.0"
#define RS_REDIS_VERSION_NUM 0x070400

/* ------------------------------------------------------------------------
 * The command table
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
    CMD_NO_MANDATORY_KEYS = 1 << 18, /* keys may be absent (EVAL's numkeys 0): ACL's concern */
    CMD_NO_ASYNC_LOADING = 1 << 19,
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

/* Apply one parameter; startup is true while reading the command line or
 * config file (immutable parameters accepted). Returns NULL on success or an
 * error text, written into err (errlen > 0 required). */
const char *config_set(struct store *st, const char *name, const char *value, bool startup,
                       char *err, size_t errlen);
void config_defaults(struct rs_config *cfg);

void reply_arity(struct cmd_ctx *c);

/* A line for the transport's log (the log hook of respite.h), if level
 * passes loglevel; lines longer than 1 KB are cut. */
enum { RS_LOG_DEBUG = 0, RS_LOG_VERBOSE = 1, RS_LOG_NOTICE = 2, RS_LOG_WARNING = 3 };
void store_log(const struct store *st, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Project quotas (quota.c). What the quotas of the projects c's command
 * names do to it: QUOTA_REFUSED for MAXMEMORY or MAXKEYS (its -OOM text
 * written into text), QUOTA_HELD when it waits for a project's MAXOPS
 * rate (quota_postpone holds it; it runs through the engine again later),
 * else QUOTA_RUN, its MAXOPS tokens taken. Call only while st->quotas.n. */
enum { QUOTA_RUN, QUOTA_REFUSED, QUOTA_HELD };
int quota_check(struct cmd_ctx *c, char *text, size_t size);
/* The same for sub, a command of a script without a shebang, before the
 * script's first write (as Redis's scriptVerifyOOM): the -OOM text written
 * into text, or NULL. */
const char *quota_script_refusal(const struct cmd_ctx *sub, char *text, size_t size);
/* Free the check's plans and buffers (at close). */
void quota_free(struct store *st);

/* Count c's command against the shard of its first key (PROJECT INFO). */
void store_count_shard_command(struct cmd_ctx *c);

/* The flat table: top-level commands, each followed by its subcommands. */
int cmd_table_size(void);
const struct cmd_def *cmd_at(int i);
extern const struct cmd_def cmd__table[]; /* table.c's, for cmd_index */
/* d's place in the table: inline, the ACL check of every command of a
 * confined user and commandstats take it. */
static inline int cmd_index(const struct cmd_def *d)
{
    return (int)(d - cmd__table);
}
/* Number of subcommands of d (they follow it in the table). */
int cmd_nsubs(const struct cmd_def *d);

/* Does the table name (lower case, '_' for '-') equal s, ignoring case? */
bool cmd_name_is(const char *name, struct rs_str s);
/* The name as users spell it ('-' for '_'), NUL-terminated. */
void cmd_print_name(const char *name, char *buf, size_t size);

struct cmd_lut *cmd_lut_new(void);
void cmd_lut_free(struct cmd_lut *l);
/* A top-level command by name, any case; NULL if unknown. l remembers the
 * name it found last and checks it first (a pipeline repeats one command). */
const struct cmd_def *cmd_lookup(struct cmd_lut *l, struct rs_str name);
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, struct rs_str name);

/* Find the command of c->argv and check its arity; on failure write Redis's
 * rejection error and return NULL. Sets c->cmd. */
const struct cmd_def *cmd_resolve(struct cmd_ctx *c);
/* The argv indexes of the keys of d's command line argv[0..argc), found
 * through its key specs (Redis getKeysFromCommand), into *pos (NULL or
 * the caller's to rs_free). Returns their number, 0 when the arguments
 * cannot hold them (docs.c). */
int cmd_key_positions(const struct cmd_def *d, const struct rs_str *argv, int argc, int **pos);
/* Redis's ACL categories in its order (ACL CAT, COMMAND INFO): their
 * number, and the names into *names. */
int cmd_acl_categories(const char *const **names);
/* d's categories as bits: bit i for the i-th of cmd_acl_categories. */
uint32_t cmd_acl_mask(const struct cmd_def *d);

/* How to find the keys of a command (docs.c; found once per command by
 * acl.c, per call by COMMAND GETKEYS): its key specs and the permission
 * each asks of its keys (KEY_PERM_*, as Redis's ACLSelectorCheckKey reads
 * the spec's flags). */
enum { KEY_PERM_READ = 1, KEY_PERM_WRITE = 2, KEY_PERM_NOT_KEY = 4 };
enum { KEY_VAR_SET = 1, KEY_VAR_BITFIELD = 2 };
struct cmd_key_plan {
    int16_t spec;      /* its first key spec row, -1 if none or derived */
    int8_t nspecs;
    int8_t nkeyspecs;  /* the specs that name keys (not SPUBLISH's channel) */
    bool derived;      /* one spec from first/last/step */
    bool sort;         /* SORT's and SORT_RO's keys (docs.c's sort_keys) */
    uint8_t varflags;  /* KEY_VAR_*: the key's flags depend on the arguments */
    uint8_t perm[4];   /* per spec */
    /* fixed: the one spec, at fixed places as most commands' (no keyword,
     * no count of keys, not SORT's): argv[first], then every step-th up to
     * first + last (last >= 0, a multiple of step) or argc + last (< 0). */
    bool fixed;
    int8_t first, last, step;
};
void cmd_key_plan(const struct cmd_def *d, struct cmd_key_plan *p);
/* The keys of a line of n arguments by a fixed plan p, found without an
 * array (the ACL check of every command): argv[p->first..*last] every
 * p->step-th (none when *last < p->first); false when the line cannot
 * hold them (cmd_find_keys's -1). */
static inline bool cmd_fixed_keys(const struct cmd_key_plan *p, int n, int *last)
{
    *last = p->last >= 0 ? p->first + p->last : n + p->last;
    return p->last < 0 || *last < n;
}
/* The permission (KEY_PERM_*) each key of a fixed plan p asks in the
 * line args[0..n): its spec's, or as the arguments say for the one key of
 * a variable_flags spec (SET with or without GET, BITFIELD) (docs.c). */
uint8_t cmd_fixed_perm(const struct cmd_key_plan *p, const struct rs_str *args, int n);
/* A key of a command line (Redis keyReference): its argv index, the
 * permission it needs and the flags of the spec that found it (space
 * separated, as COMMAND GETKEYSANDFLAGS shows them; static). */
struct cmd_key {
    int pos;
    uint8_t perm;
    const char *flags;
};
/* The keys of d's command line args[0..n) by plan p, as Redis's
 * getKeysFromCommandWithSpecs, into *keys, an array of *cap entries grown
 * with rs_realloc (NULL or the caller's, may be kept from call to call).
 * Specs of things that are not keys are skipped. Returns their number, -1
 * when the arguments cannot hold them (the command refuses them itself). */
int cmd_find_keys(const struct cmd_def *d, const struct cmd_key_plan *p, const struct rs_str *args,
                  int n, struct cmd_key **keys, int *cap);
/* The keys of db that s sees (keys.c): all of them (ks_db_size), or for a
 * project user's session those it may read (commands/acl.h), O(1) per
 * project it reads whole, else a walk of the project; and in *expiring
 * (if not NULL) how many of them have a TTL. */
uint64_t keys_visible(const struct session *s, struct db *db, uint64_t *expiring);
/* Run c->cmd's handler, propagate it (propagate.c) and account it in
 * commandstats. */
void cmd_call(struct cmd_ctx *c);
/* The flags c's command runs with (Redis's getCommandFlags): its table's,
 * but for EVAL, EVALSHA and FCALL (and their _RO forms) those the script's
 * shebang flags give (script_cmd_flags). */
uint32_t cmd_flags_of(struct cmd_ctx *c);

/* Propagation (propagate.c): c's command replays as argv[0..argc) -- a
 * relative TTL made absolute, a random choice made explicit -- instead of
 * its own line. Each call adds one command, in order; argv is copied. A
 * handler calls it only where it changed something (a refused or no-op
 * form need not be logged), and may skip building the form while
 * prop_on is false. */
void prop_add(struct cmd_ctx *c, int argc, const struct rs_str *argv);
/* The same with the arguments given by fmt, one letter each: c a C
 * string, s a struct rs_str, i a long long, v an int n and a const struct
 * rs_str * of n arguments. */
void prop_addf(struct cmd_ctx *c, const char *fmt, ...);
static inline bool prop_on(const struct store *st)
{
    return st->aof != NULL;
}



/* Parse an integer argument (Redis string2ll); on failure reply
 * "value is not an integer or out of range" and return false. */
bool arg_ll(struct cmd_ctx *c, struct rs_str a, long long *v);
/* Redis getRangeLongFromObjectOrReply with a message: one error text for
 * a non-integer and for a value out of [min, max]. */
bool arg_range(struct cmd_ctx *c, struct rs_str a, long long min, long long max, enum rs_err err,
               long long *v);

/* Redis's index rule of GETRANGE, BITCOUNT and BITPOS: negative indexes
 * count from the end of a sequence of len, then both are clamped to
 * [0, len - 1]; *start > *end afterwards means an empty range. */
static inline void clamp_str_range(long long *start, long long *end, long long len)
{
    if (*start < 0)
        *start += len;
    if (*end < 0)
        *end += len;
    if (*start < 0)
        *start = 0;
    if (*end < 0)
        *end = 0;
    if (*end >= len)
        *end = len - 1;
}

/* Length of an argument as Redis's %s would print it: up to a NUL byte,
 * at most max bytes. */
static inline int cstr_len(struct rs_str s, size_t max)
{
    const char *nul = memchr(s.p, '\0', s.len);
    size_t n = nul ? (size_t)(nul - s.p) : s.len;
    return (int)(n < max ? n : max);
}
/* A SCAN-family cursor (Redis 7.4 parseScanCursorOrReply: string2ull, so
 * " 1", "+7" and "-0" are cursors while "", "-1" and "1x" are not); on
 * failure reply "invalid cursor" and return false. */
bool arg_cursor(struct cmd_ctx *c, struct rs_str a, uint64_t *cursor);

/* The options of SCAN, SSCAN and HSCAN from argv[from] on. */
enum { SCAN_ALLOW_TYPE = 1, SCAN_ALLOW_NOVALUES = 2 };
struct scan_opts {
    long long count;   /* COUNT, 10 by default */
    long long max_steps; /* the buckets one call may visit: 10 * COUNT as
                          * Redis, capped at LLONG_MAX */
    struct rs_str pat; /* MATCH */
    bool use_pat;      /* MATCH given and not "*" */
    bool has_type;     /* TYPE (SCAN only) */
    struct rs_str type;
    bool novalues;     /* NOVALUES (HSCAN only) */
};
/* Parse [MATCH pattern] [COUNT count], plus TYPE or NOVALUES when allowed,
 * as Redis's scanGenericCommand; on an error reply it and return false. */
bool scan_opts_parse(struct cmd_ctx *c, int from, unsigned allow, struct scan_opts *o);
/* The start of HSCAN, SSCAN and ZSCAN key cursor [options], in Redis's
 * order (the cursor, the key's type, then the options, so a missing key
 * answers an empty scan whatever its options): the key's entry (of type
 * type), its cursor and options; NULL once c is answered. */
struct entry *scan_open(struct cmd_ctx *c, int type, unsigned allow, uint64_t *cursor,
                        struct scan_opts *o);

/* The arguments of LMPOP and ZMPOP (and their blocking forms) from
 * argv[at]: numkeys key [key ...] <end> [COUNT count], <end> ends[0] or
 * ends[1] in any case. Sets the key count, the end given (0 or 1) and the
 * count (1 without COUNT); false once c is answered, in Redis's order. */
bool mpop_args(struct cmd_ctx *c, int at, const char *const ends[2], int *numkeys, int *end,
               long long *count);

/* "invalid expire time in '<command>' command" */
void reply_expire_time(struct cmd_ctx *c);
/* Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong
 * number of arguments for '<argv[1]>'. Try <CMD> HELP." (server.c) */
void reply_subcmd_syntax(struct cmd_ctx *c);
/* A growable text buffer for the multi-line replies (INFO, CLIENT LIST,
 * MEMORY DOCTOR; server.c). Zero-initialised is empty; p is NULL until
 * the first text, NUL-terminated after. */
struct sbuf {
    char *p;
    size_t len, cap;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

/* What INFO's Memory section reports (server.c), which MEMORY STATS and
 * DOCTOR read too. Reading them notes the peak. The ratios are Redis
 * 7.4's (getMemoryOverheadData), as floats, 0 where the divisor is. */
struct mem_info {
    uint64_t used;     /* used_memory: keys, values and project shards */
    uint64_t dataset;  /* used_memory_dataset: keys and values */
    uint64_t overhead; /* used_memory_overhead: the project shards */
    uint64_t peak;     /* the largest used noted (here and at each tick) */
    uint64_t startup;  /* used when the store opened */
    uint64_t rss;      /* the process's resident set, 0 if unknown */
    uint64_t clients;  /* the clients' query and output buffers */
    uint64_t aof_buffer; /* the append-only file's buffers */
    /* the global shards' bucket arrays being emptied by a rehash, and how
     * many tables rehash */
    uint64_t rehashing, nrehashing;
    /* jemalloc's allocated, active, resident and muzzy bytes and its
     * small slabs' free regions (mem_alloc_stats); without jemalloc,
     * Redis's stand-ins: resident the rss less the scripts' VMs, active
     * the resident, allocated the used, the others 0 */
    uint64_t allocated, active, resident, muzzy, frag_smallbins;
    double peak_perc;    /* used * 100 / peak */
    double dataset_perc; /* dataset * 100 / (used - startup) */
    double alloc_frag;   /* frag_smallbins / allocated + 1 */
    double alloc_rss;    /* resident / active */
    double rss_extra;    /* rss / resident */
    double frag;         /* rss / allocated: mem_fragmentation_ratio */
    long long alloc_rss_bytes, rss_extra_bytes, frag_bytes; /* the differences */
};
void mem_info(struct store *st, struct mem_info *m);
/* Fill m's allocator figures from jemalloc, refreshing its statistics;
 * false (m untouched) when the process does not link it (memory.c). */
bool mem_alloc_stats(struct mem_info *m);
/* Note used memory in the peak (respite_tick, as Redis's cron). O(1). */
void mem_note_peak(struct store *st);
/* The allocator as Redis's ZMALLOC_LIB names it (INFO mem_allocator):
 * "jemalloc-5.3.0" when the process links jemalloc, else "libc"
 * (memory.c). */
void mem_alloc_name(char *buf, size_t size);

/* A HELP reply: "<CMD> <subcommand> ..." then lines (NULL-terminated)
 * then Redis's closing "HELP" lines. */
void reply_help(struct cmd_ctx *c, const char *cmd, const char *const *lines);

/* s's CLIENT INFO line without its newline (Redis catClientInfoString),
 * as c, the running command, shows it; rs_malloc'd, *len its length. */
char *client_info_string(const struct cmd_ctx *c, const struct session *s, size_t *len);

/* DEBUG DIGEST and DEBUG DIGEST-VALUE key ... (digest.c; cmd_debug calls
 * them): Redis's digest of the dataset and of values. */
void debug_digest(struct cmd_ctx *c);
void debug_digest_value(struct cmd_ctx *c);
/* DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] (persist.c; cmd_debug calls it). */
void debug_reload(struct cmd_ctx *c);
/* ---- TTLs of hash fields and set members (subkey.c) ---------------------- */

/* The error texts of a count of names: NAMES_EXPIRE for HEXPIRE and its
 * kin, NAMES_OTHER for HTTL, HPERSIST, HGETEX, HGETDEL and their kin. */
enum subkey_names_style { NAMES_EXPIRE, NAMES_OTHER };

/* argv[pos] must be FIELDS (a hash, type OBJ_HASH) or MEMBERS (a set), and
 * argv[pos + 1] the count of names that follow it to the end; *n gets it. */
bool subkey_names(struct cmd_ctx *c, int type, int pos, enum subkey_names_style style,
                  long long *n);

/* The absolute deadline in ms of a sub-key time argument: base (the clock,
 * or 0 for the *AT forms) plus arg in seconds or ms. Replies Redis's error
 * for a non-integer, negative or too large time. */
bool subkey_deadline(struct cmd_ctx *c, struct rs_str arg, int64_t base, bool seconds,
                     int64_t *when);

enum { SUBKEY_NX = 1, SUBKEY_XX = 2 };            /* FNX/MNX, FXX/MXX */
enum { SUBKEY_DROP = 0, SUBKEY_KEEP, SUBKEY_SET }; /* what a write does to TTLs */

/* The options of HSETEX and SADDEX, up to their names. */
struct setex_opts {
    int cond;     /* 0, SUBKEY_NX or SUBKEY_XX */
    int ttl;      /* SUBKEY_DROP (no option), SUBKEY_KEEP (KEEPTTL), SUBKEY_SET */
    int64_t when; /* SUBKEY_SET: the deadline */
    int first;    /* argv index of the first name */
    long long n;  /* names (field-value pairs for HSETEX) */
};

/* Parse "key [FNX|FXX] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL] FIELDS n f v ..."
 * (type OBJ_HASH) or the MNX/MXX ... MEMBERS n m ... of SADDEX (OBJ_SET),
 * replying the error of a malformed one. */
bool setex_parse(struct cmd_ctx *c, int type, struct setex_opts *o);
/* Propagate an HSETEX or SADDEX (type) that wrote its names, o as
 * setex_parse gave it: the deadline made absolute, a hash's as HSET and
 * HPEXPIREAT (commands Redis 7.4 replays), HSETEX only for KEEPTTL. */
void setex_propagate(struct cmd_ctx *c, int type, const struct setex_opts *o);

/* ------------------------------------------------------------------------
 * Blocking commands (block.c)
 * ------------------------------------------------------------------------ */

enum block_flags {
    BLOCK_ON_NOKEY = 1, /* XREADGROUP: the key's deletion, or its turning into
                         * another type, runs the command again (it answers
                         * NOGROUP or WRONGTYPE) */
    /* block_for_acks's */
    BLOCK_AOF = 2,      /* WAITAOF (else WAIT): what wait_reply answers */
    BLOCK_LOCAL = 4,    /* WAITAOF's numlocal 1: the local fsync of the client's
                         * writes answers it, appendonly turned off refuses it */
    BLOCK_REPLICAS = 8, /* it asked for replicas: only its time (or CLIENT
                         * UNBLOCK) ends it */
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
/* WAIT or WAITAOF (wait.c; flags BLOCK_AOF, BLOCK_LOCAL, BLOCK_REPLICAS)
 * found fewer acknowledgements than it asked for: block c's client until
 * timeout_ms passes (0: for ever) and return true, no reply written; its
 * timeout, and CLIENT UNBLOCK TIMEOUT, answer wait_reply's counts then,
 * and block_serve_acks may answer it sooner. Returns false where nothing
 * may wait, as block_for_keys: the command answers at once. */
bool block_for_acks(struct cmd_ctx *c, int64_t timeout_ms, unsigned flags);
/* Once per loop turn, after the append-only file's write (respite_aof_flush):
 * answer the WAITAOF clients of BLOCK_LOCAL whose writes are now fsynced
 * (and that asked for no replica), and refuse them all, as Redis, once
 * appendonly is off. O(such clients). */
void block_serve_acks(struct store *st);
/* The blocked-clients hooks (struct ks_hooks, registered by store.c):
 * key of db was signaled (ks_signal), every key of db (ks_signal_db). */
void block__signal(struct db *db, const char *key, size_t klen, bool deleted);
void block__signal_db(struct db *db);
/* PROJECT DROP is about to remove every key of project id from db: the
 * clients waiting on one are signaled as for a deleted key (only
 * XREADGROUP's wake). O(keys waited on in the store). */
void block_signal_project(struct db *db, struct rs_str id);
/* Serve the clients blocked on the keys signaled since the last call. */
void block_serve_ready(struct store *st);
/* s goes away: forget its blocked command, without a reply. */
void block_cancel(struct session *s);
/* CLIENT UNBLOCK: answer s's blocked command with its timeout reply, or
 * with an UNBLOCKED error, and resume s. false if s was not blocked. */
bool block_unblock(struct session *s, bool error);

/* ------------------------------------------------------------------------
 * WAIT and WAITAOF (wait.c)
 * ------------------------------------------------------------------------ */

/* Write WAIT's reply (aof false: the replicas that acknowledged s's writes,
 * none) or WAITAOF's (aof: whether the append-only file is fsynced up to
 * s's last write, then the replicas, none) into out. */
void wait_reply(struct resp_out *out, const struct session *s, bool aof);
/* Once per loop turn, before the append-only file's write
 * (respite_aof_flush): a WAIT or WAITAOF that blocked since the last call
 * counts one in st->repl_off, the REPLCONF GETACK Redis then sends its
 * replicas, which moves its offset even with none -- not during a CLIENT
 * PAUSE, after which it counts. */
void wait_ask_acks(struct store *st);

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
/* PING, refused with the write commands under -MISCONF (persist.h). */
cmd_handler cmd_ping;
/* EXEC refused with the error text (without its '-'): Redis's EXECABORT
 * naming it, the transaction dropped. */
void multi_exec_rejected(struct cmd_ctx *c, const char *text);
/* Leave MULTI (dropping the queue) and release every WATCH of s: RESET,
 * disconnect. */
void multi_reset(struct session *s);
/* The flags of the commands s queued since MULTI, together (0 outside
 * MULTI): EXEC is denyoom when one of them is (Redis's mstate.cmd_flags). */
uint32_t multi_flags(const struct session *s);
/* CLIENT LIST's multi= (-1 outside MULTI) and multi-mem= of s. */
int multi_count(const struct session *s);
size_t multi_mem(const struct session *s);
/* Whether a command queued by s's MULTI may write (flagged write or
 * may-replicate): CLIENT PAUSE WRITE holds its EXEC. O(queued). */
/* The i-th command queued by s (i below multi_count): its argv, command
 * in *d and argc in *argc; borrowed until EXEC or DISCARD. */
const struct rs_str *multi_queued(const struct session *s, int i, const struct cmd_def **d,
                                 int *argc);
bool multi_may_write(const struct session *s);
/* What the transport knows of s (addresses, buffers), defaults for a client
 * without one (an embedder's, the scripting engine's: no address). */
void session_describe(const struct session *s, struct session_desc *d);
/* The WATCH hooks behind ks_touch and ks_touch_db (struct ks_hooks,
 * registered by store.c). */
void multi__touch(struct db *db, const char *key, size_t klen);
void multi__touch_db(struct db *emptied, struct db *replaced_with);
/* PROJECT DROP is about to remove every key of project id from db: the
 * EXEC of each client watching one that exists fails. O(watched keys in
 * the store), not O(keys of the project). */
void multi_touch_project(struct db *db, struct rs_str id);

#endif
