/* SPDX-License-Identifier: BSD-3-Clause
 *
 * respite.h -- the public embedding API of the respite store.
 *
 * A store holds databases of keys and runs Redis commands on them, in the
 * caller's process, with no socket. A C program opens a store, opens one or
 * more clients on it (a client carries what a connection carries in Redis:
 * the selected database, the protocol version, its name), runs commands
 * given as argv, reads the replies, and closes everything.
 *
 *     struct respite *st = respite_open(NULL, 0, err, sizeof err);
 *     struct respite_client *c = respite_client_new(st);
 *     const char *argv[] = {"SET", "k", "v"};
 *     size_t len;
 *     const char *resp = respite_exec(c, 3, argv, NULL, &len);  // "+OK\r\n"
 *     respite_client_free(c);
 *     respite_close(st);
 *
 * Threads: a store is not thread-safe. All calls on one store and its clients
 * must come from one thread at a time, except respite_script_kill (any
 * thread, any time). While a store is served by
 * respite_server (respite_server.h) from a background thread, only that
 * thread may touch it.
 *
 * Time: the store reads time only through its clock. respite_set_clock()
 * substitutes it (tests); DEBUG CLOCK does the same over the wire when
 * enable-debug-command allows it. Key TTLs, TTL/PTTL, TIME and OBJECT
 * IDLETIME all follow that clock.
 *
 * Memory: allocation failure aborts the process, as in Redis.
 */
#ifndef RESPITE_H
#define RESPITE_H

#include <stddef.h>
#include <stdint.h>

#include "resp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* respite's own version (INFO and HELLO report the Redis version whose
 * behaviour respite follows, as redis_version / version). */
#define RESPITE_VERSION "0.1.0"

struct respite;
struct respite_client;

/* ------------------------------------------------------------------------
 * Store
 * ------------------------------------------------------------------------ */

/* Open a store. config holds nconfig name/value pairs (2*nconfig strings)
 * with redis.conf names ("databases", "16", "hz", "10", ...); NULL/0 gives
 * the defaults. Returns NULL and writes a message into err on a bad
 * parameter. The store owns nothing of config after the call. */
struct respite *respite_open(const char *const *config, int nconfig, char *err, size_t errlen);

/* Free the store and every key. Clients still open must not be used after
 * this; they are freed with it. */
void respite_close(struct respite *st);

/* Persistence. The store reads and writes Redis RDB files (version 12,
 * what Redis 7.4 writes; it reads versions 1 to 12) at <dir>/<dbfilename>,
 * the parameters `dir` (an absolute path: the store never changes the
 * process's working directory), `dbfilename`, `rdbcompression` and
 * `rdbchecksum`. SAVE writes the file on the calling thread, like every
 * command, through a temporary file renamed over the old one.
 *
 * Under `appendonly yes` every write is also logged to Redis 7's
 * multi-part append-only file (<dir>/<appenddirname>: a base, incremental
 * files, a manifest; `appendfilename`, `appendfsync`,
 * `aof-use-rdb-preamble`, `aof-load-truncated`, `aof-timestamp-enabled`,
 * `auto-aof-rewrite-percentage`, `auto-aof-rewrite-min-size`). The store
 * writes it only in respite_aof_flush, which the embedder calls before it
 * hands the replies of the commands run since to their clients: under
 * `appendfsync always` that call returns once the bytes are on disk. The
 * store runs one thread of its own while the file is open (the `everysec`
 * fsync, which touches only the file), a rewrite's end deletes the old
 * files through a short-lived detached thread each (it only closes the
 * unlinked file, whose blocks the kernel then frees off the calling
 * thread), and BGREWRITEAOF and the automatic
 * rewrite (`auto-aof-rewrite-percentage`, 0 turns it off) fork a child
 * that writes the new base, under the rules below for BGSAVE's child.
 *
 * BGSAVE, BGREWRITEAOF and the save points (`save`: none in a store that
 * is opened; respite-server sets Redis's "3600 1 300 100 60 10000" unless
 * its config file or command line names save), fork the process, as Redis does: the child
 * process writes the file from its copy-on-write view of the memory while
 * the store goes on. In a host with threads of its own, the child has only
 * the thread that called fork -- the one running the command, or
 * respite_persist_cron -- and does nothing but write the file and
 * _exit(): it allocates from memory of its own (mmap(2), never malloc,
 * whose lock another thread may have held at the fork), writes with
 * write(2) (no stdio), takes no lock of the host, runs no atexit handler
 * and flushes none of the host's stdio buffers. It closes its copies of
 * every descriptor but 0-2 (the host's sockets and files stay the
 * parent's alone). Its memory costs the
 * pages the host and the store write while it runs. SIGTERM, SIGINT and
 * SIGUSR1 get their default actions in the child. The child is waited
 * for by its pid only (waitpid), so a host's own children are not
 * touched, and never blocking: once its final report is in, its job is
 * over, and a later respite_persist_cron (or the next fork, or
 * respite_close) reaps it when its exit is done; a host that sets SIGCHLD to SIG_IGN makes the kernel reap it,
 * and its outcome then counts as a failure.
 *
 * One child runs at a time, as in Redis: a BGREWRITEAOF asked for while a
 * BGSAVE runs is scheduled, a BGSAVE while a rewrite runs is refused
 * unless SCHEDULE is given. respite_persist_cron notices the end of the
 * child (rdb_bgsave_in_progress or aof_rewrite_in_progress stays 1 until
 * it runs) and starts what is scheduled, a save point's BGSAVE or the
 * automatic rewrite; respite-server calls it hz times a second, an
 * embedder that wants BGSAVE or save points calls it periodically. O(save
 * points). */
void respite_persist_cron(struct respite *st);

/* What a shutdown does before the transport stops, for SHUTDOWN and the
 * transport's own reasons (a signal), as Redis's prepareForShutdown: stop
 * a running child; under appendonly write and fsync the append-only file;
 * then write the RDB file if save points are set and
 * RESPITE_SHUTDOWN_NOSAVE is not given, or RESPITE_SHUTDOWN_SAVE is;
 * logs Redis's lines through the log hook. Returns 0 when the transport
 * may stop, -1 when the save failed (without RESPITE_SHUTDOWN_FORCE): the
 * store then stays as it was and serves on. */
enum {
    RESPITE_SHUTDOWN_NOSAVE = 1,
    RESPITE_SHUTDOWN_SAVE = 2,
    RESPITE_SHUTDOWN_NOW = 4,
    RESPITE_SHUTDOWN_FORCE = 8,
};
int respite_shutdown(struct respite *st, int flags);

/* The users of `aclfile` (ACL LOAD's file), once the configuration is
 * set, before clients connect; nothing without one. Refused (-1, the
 * reason in err) when `user` lines were given too, or for a file with
 * errors, as redis-server refuses to start; 0 otherwise. */
int respite_acl_load(struct respite *st, char *err, size_t errlen);

/* respite_load fills a store that has no keys yet: under `appendonly yes`
 * from the append-only files (creating them, with an empty base, when
 * there are none, as Redis does), else from the RDB file, dropping keys
 * already expired. Returns 0 when loaded, 1 when there was nothing to
 * load, -1 with the reason in err for files that cannot be read, are
 * corrupt or hold what respite cannot load yet (some keys may then be
 * loaded), 2 when a SHUTDOWN came while loading (the transport is
 * stopping; some keys are loaded). On 0, err holds a warning to log, or ""
 * (a torn last command was cut under `aof-load-truncated yes`). Call it
 * before any client runs a command: clients that a transport serves
 * meanwhile (the loading hook) get -LOADING, and INFO says loading:1 with
 * Redis's loading_* fields. */
int respite_load(struct respite *st, char *err, size_t errlen);

/* Write the commands logged since the last call to the append-only file,
 * fsynced under `appendfsync always` (nothing when appendonly is off);
 * then answer the clients WAITAOF holds whose writes are now fsynced, or
 * that wait for that while appendonly is now off (each gets the unblocked
 * callback: the transport runs what they sent meanwhile, and calls this
 * again before it writes their replies out). Called once per loop turn
 * (it also counts in the replication offset the acknowledgements a WAIT
 * or WAITAOF asked for since the last call, as Redis's beforeSleep). */
void respite_aof_flush(struct respite *st);
/* Whether logged commands wait for respite_aof_flush under `appendfsync
 * always`: the replies of their clients must not be sent before it. */
int respite_aof_pending(const struct respite *st);

/* Set one parameter as CONFIG SET would, or at start-up time also the ones
 * CONFIG SET refuses (port, bind, databases...) while no client exists.
 * Returns 0, or -1 with a message in err. */
int respite_config_set(struct respite *st, const char *name, const char *value, char *err,
                       size_t errlen);

/* Current value of a parameter as CONFIG GET prints it, NUL-terminated, into
 * buf. Returns 0, or -1 if there is no such parameter. */
int respite_config_get(struct respite *st, const char *name, char *buf, size_t size);

/* The configuration file the store's parameters were read from, which
 * CONFIG REWRITE rewrites (kept as an absolute path; path is copied).
 * Without it, CONFIG REWRITE answers that there is none. Returns 0, or -1
 * when the path cannot be made absolute. */
int respite_config_file(struct respite *st, const char *path);

/* A clock returns the current time in milliseconds since the Unix epoch. */
typedef int64_t respite_clock_fn(void *ud);

/* Substitute the store's clock; fn NULL restores the real clock. ud is
 * passed back to fn and is not owned. Keys keep their absolute deadlines, so
 * moving the clock forward expires them. */
void respite_set_clock(struct respite *st, respite_clock_fn *fn, void *ud);

/* Background work, bounded to about budget_us microseconds in all: reclaims
 * expired keys (active expiry), frees flushed data (FLUSHALL ASYNC) and big
 * values of deleted keys (UNLINK) in slices, advances hash table
 * rehashing, keeps client tracking's table within
 * tracking-table-max-keys (invalidating the keys it evicts), and samples
 * INFO's instantaneous rates (at most every 100 ms). (Whether freed memory goes back to the system is the
 * allocator's business: respite-server links jemalloc for that.)
 * The server calls it hz times a second, and every millisecond while work
 * is left (every loop turn while an eviction is, respite_evicting), with a
 * 1 ms budget; an embedder without a server may call it
 * whenever it likes (lazy expiry works without it). Clients blocked on keys
 * it removed are served before it returns (io->unblocked). Background
 * freeing relies on it: while it has not run for 2 seconds (or never),
 * UNLINK and FLUSHALL ASYNC free at once, as DEL and FLUSHALL do. Whatever
 * is still queued is freed by respite_close. Returns 1 if work is left that
 * a prompt further call would do, else 0. */
int respite_tick(struct respite *st, int64_t budget_us);

/* When the next key or hash field or set member expires, on the monotonic
 * clock in microseconds (CLOCK_MONOTONIC), -1 if nothing will (no
 * deadline, active expiry off, or a clock that does not run with the real
 * one); at most an hour ahead, when the transport asks again: it calls
 * respite_tick then, so that keys are reclaimed,
 * and their `expired` events published, on time rather than at the next
 * of its hz ticks. O(databases). */
int64_t respite_expire_deadline(const struct respite *st);

/* Whether values or flushed databases wait to be freed in the background
 * (UNLINK, FLUSHALL ASYNC), or keys to be evicted (an eviction stopped at
 * its time limit over maxmemory), 1 or 0: a transport calls respite_tick
 * promptly while this holds, so memory comes back at once rather than at
 * the next tick of its hz timer. O(1). */
int respite_free_pending(const struct respite *st);

/* Whether an eviction stopped at its time limit over maxmemory, 1 or 0: a
 * transport then calls respite_tick again at its next loop turn, after
 * serving its clients, as Redis runs its eviction time event, rather than
 * a millisecond later (which halves the pace of eviction). O(1). */
int respite_evicting(const struct respite *st);

/* ------------------------------------------------------------------------
 * Stopping a script from another thread
 * ------------------------------------------------------------------------ */

enum respite_killer {
    RESPITE_KILL_SCRIPT = 1,   /* as SCRIPT KILL: an EVAL's script */
    RESPITE_KILL_FUNCTION = 2, /* as FUNCTION KILL: an FCALL's function */
};

enum respite_kill_result {
    RESPITE_KILL_ASKED = 0,      /* the running script will stop (see below) */
    RESPITE_KILL_NOTBUSY = -1,   /* no script runs */
    RESPITE_KILL_UNKILLABLE = -2, /* it ran a write command: it runs to its end */
    RESPITE_KILL_OTHER = -3,     /* a script of the other kind runs */
};

/* The one call of this header that any thread may make, at any time
 * between respite_open and respite_close, concurrently with the thread
 * that uses the store (it reads and writes two atomic words of the store
 * and nothing else): a host's watchdog or UI thread stops the Lua script
 * that a command on the store's thread is running, as SCRIPT KILL or
 * FUNCTION KILL would. Returns at once, with RESPITE_KILL_NOTBUSY,
 * _UNKILLABLE or _OTHER in Redis's order (as those commands' errors), or
 * RESPITE_KILL_ASKED: the store's thread then looks at the request within
 * 100,000 Lua instructions (about a millisecond), whether or not the
 * script passed busy-reply-threshold and whether or not a server serves
 * the store, and stops it there -- unless it ran a write command in
 * between, when it goes on as SCRIPT KILL would then have answered
 * -UNKILLABLE. The stopped command replies `-ERR Script killed by user
 * with SCRIPT KILL...`, the log says so, as for SCRIPT KILL. A request
 * only ever stops the run it was made during, never a later one. */
enum respite_kill_result respite_script_kill(struct respite *st, enum respite_killer which);

/* ------------------------------------------------------------------------
 * Clients and commands
 * ------------------------------------------------------------------------ */

/* A new client (RESP2, database 0), owned by the caller. */
struct respite_client *respite_client_new(struct respite *st);
void respite_client_free(struct respite_client *c);

/* Run one command. argv[i] holds argvlen[i] bytes (argvlen NULL: argv are
 * NUL-terminated strings). The reply's RESP bytes (RESP2, or RESP3 after
 * HELLO 3) are returned and *len set; they belong to the client and stay
 * valid until its next call. Never NULL: errors come back as RESP errors. */
const char *respite_exec(struct respite_client *c, int argc, const char *const *argv,
                         const size_t *argvlen, size_t *len);

/* A parsed reply, for C callers. */
enum respite_reply_type {
    RESPITE_REPLY_STRING = 1, /* bulk string */
    RESPITE_REPLY_ARRAY,
    RESPITE_REPLY_INTEGER,
    RESPITE_REPLY_NIL,
    RESPITE_REPLY_STATUS,     /* simple string */
    RESPITE_REPLY_ERROR,
    RESPITE_REPLY_DOUBLE,
    RESPITE_REPLY_BOOL,
    RESPITE_REPLY_MAP,        /* elements alternate key, value */
    RESPITE_REPLY_SET,
    RESPITE_REPLY_VERB,
    RESPITE_REPLY_BIGNUM,
    RESPITE_REPLY_PUSH,
};

struct respite_reply {
    enum respite_reply_type type;
    long long integer;        /* INTEGER, BOOL */
    double dval;              /* DOUBLE */
    char *str;                /* STRING STATUS ERROR VERB BIGNUM DOUBLE: NUL-terminated */
    size_t len;               /* bytes in str */
    size_t elements;          /* ARRAY MAP SET PUSH: number of element[] (maps: 2 per pair) */
    struct respite_reply **element;
};

/* Run one command and return its reply parsed; the caller owns it and frees
 * it with respite_reply_free(). */
struct respite_reply *respite_command(struct respite_client *c, int argc, const char *const *argv,
                                      const size_t *argvlen);

/* Parse one RESP2/RESP3 reply from buf[0..len). Returns the reply (owned by
 * the caller) and sets *used, or NULL if the bytes are incomplete or not
 * RESP. */
struct respite_reply *respite_reply_parse(const char *buf, size_t len, size_t *used);
void respite_reply_free(struct respite_reply *r);

/* ------------------------------------------------------------------------
 * Transport API: what a network server (server/) or any other transport
 * uses to carry clients' commands. Embedders that only run commands
 * in-process do not need it.
 * ------------------------------------------------------------------------ */

/* What a transport knows of a connection, for CLIENT LIST and CLIENT INFO. */
struct session_desc {
    char addr[64];   /* "127.0.0.1:53412" */
    char laddr[64];  /* "127.0.0.1:6379" */
    int fd;
    size_t qbuf, qbuf_free, argv_mem;
    size_t obl, oll, omem;
    /* the reply buffer replies are written into: its size, and the most it
     * held at once in the last 5 seconds (Redis's rbs and rbp) */
    size_t rbs, rbp;
    const char *events; /* "r", "w", "rw" */
};

/* Callbacks a transport gives for each client; any may be NULL. ud is the
 * transport's and is passed back unchanged. */
struct respite_client_io {
    void (*describe)(void *ud, struct session_desc *d);
    /* CLIENT KILL of this client by another: run nothing more for it and
     * close it once the running command is done, dropping its pending
     * output (it may have stopped reading). */
    void (*kill)(void *ud);
    /* The client's blocking command (BLPOP, XREAD BLOCK, WAIT, ...) has
     * answered -- served, timed out or CLIENT UNBLOCKed -- while another
     * client's command, respite_block_timeouts, respite_tick (a key it
     * waits on expired) or respite_aof_flush (a WAITAOF's fsync) ran: its
     * reply is in its output, and
     * the transport resumes running its commands (not from inside this
     * call). A transport without it never blocks clients: their blocking
     * commands answer the timeout reply at once. */
    void (*unblocked)(void *ud);
    /* A message (pub/sub) was appended to the client's output while
     * another client's command ran, or a timer: the transport writes it
     * out with its other output (not from inside this call). Called once
     * per message; a transport without it finds the messages in the
     * output at the client's next command. */
    void (*pushed)(void *ud);
};

/* Store-wide callbacks of the transport. */
struct respite_hooks {
    /* SHUTDOWN, once respite_shutdown allowed it: stop serving after this
     * command's reply. flags: RESPITE_SHUTDOWN_*. */
    void (*shutdown)(void *ud, int flags);
    /* A configuration parameter that the transport applies changed (maxclients,
     * timeout, ...): it re-reads what it needs. */
    void (*config_changed)(void *ud, const char *name);
    /* A line for the server's log (redis.log in a script); level 0 debug
     * .. 3 warning, already checked against loglevel. */
    void (*log)(void *ud, int level, const char *msg);
    /* A script has run past busy-reply-threshold: the transport serves
     * its other clients now, as Redis's processEventsWhileBlocked -- reads
     * what they sent and runs it with respite_client_run (the store answers
     * -BUSY to all but the commands Redis allows meanwhile: SCRIPT KILL,
     * SHUTDOWN NOSAVE, AUTH, HELLO, MULTI, DISCARD, WATCH, UNWATCH, QUIT,
     * RESET), accepts connections, writes replies -- and returns without
     * waiting. Called about every 100,000 Lua instructions until the
     * script ends. caller is the io ud of the client whose command runs
     * the script (NULL if it has no io): nothing more of it may run, and
     * its output must not be written, until that command returns. Timers
     * must not run (expiry would change what the script sees). Without
     * this hook a script runs to its end and nobody gets -BUSY. */
    void (*script_busy)(void *ud, void *caller);
    /* respite_load is loading the file: as script_busy, the transport
     * serves its clients now (accepts, reads, runs their commands, writes)
     * and returns without waiting; the store answers -LOADING to all but
     * the commands Redis runs while loading (INFO, CONFIG, SHUTDOWN...).
     * Called about every 2 MB of the file, or 100 ms. No timer may run. */
    void (*loading)(void *ud);
};

void respite_set_hooks(struct respite *st, const struct respite_hooks *hooks, void *ud);

/* A client carried by a transport. local: the peer is on loopback or a unix
 * socket (enable-debug-command local). io and ud describe the connection. */
struct respite_client *respite_client_attach(struct respite *st, const struct respite_client_io *io,
                                             void *ud, int local);

/* Run one command whose arguments borrow the transport's buffer (valid for
 * the call only). The reply is appended to the client's output, taken with
 * respite_client_output(). */
void respite_client_run(struct respite_client *c, int argc, struct rs_str *argv);

/* Hints from a transport that has parsed several of c's commands before
 * running them: respite_client_prefetch for each command (argc its
 * arguments, of which argv holds the first three and, when argc >= 4, the
 * last in argv[3]: argv[1] is usually a key of c's database, argv[2] of a
 * hash or set command a field or member, the last of a sorted-set command
 * a member) starts loading the project map slot of the
 * key's shard; respite_client_prefetch_flush, once all are given and just
 * before the commands run, loads in turn the shards, the keys' buckets and
 * entries, the values and their first bytes (a small hash's, set's or
 * list's), then the buckets and entries of the fields and members in big
 * hashes and sets. The misses of a pipeline's lookups then overlap. The
 * shards found are kept for the commands, which run in the hints' order
 * and start from them (each checked against the command's own key, so a
 * stale hint costs a lookup, nothing else): no effect on any result. argv
 * borrows the transport's buffer until the flush. At most
 * RESPITE_PREFETCH_MAX hints per flush are kept, more are ignored; running
 * a command drops hints not flushed. */
#define RESPITE_PREFETCH_MAX 32
void respite_client_prefetch(struct respite_client *c, int argc, const struct rs_str *argv);
void respite_client_prefetch_flush(struct respite_client *c);

/* The transport runs several commands back to back, with nothing in
 * between (a parsed batch): between respite_batch(st, true) and
 * respite_batch(st, false) each command's start is the previous one's end,
 * which saves a clock reading per command. */
void respite_batch(struct respite *st, int on);

/* The transport is closing c (the peer went away, a kill): it runs no more
 * commands, and a blocking command it waits in is dropped at once, so no
 * data is handed to it before respite_client_free. */
void respite_client_closing(struct respite_client *c);

/* The client's pending output (chunk list of resp_writer.h). */
struct resp_out *respite_client_output(struct respite_client *c);

/* Append an error reply (a protocol error, "ERR max number of clients
 * reached") written by the transport itself. msg includes the code. */
void respite_client_error(struct respite_client *c, const char *msg);

/* What the store gathers over a loop turn and sends at its end (the
 * CLIENT TRACKING BCAST invalidations, which Redis sends before it
 * sleeps): a transport calls this once per loop turn, after the turn's
 * commands and before it writes out; the messages reach the clients'
 * outputs through their pushed callbacks. */
void respite_deliver(struct respite *rs);

/* Flags a transport acts on after each command. */
enum {
    RESPITE_CLOSE_AFTER_REPLY = 1, /* QUIT, a kill by another client */
    RESPITE_UNAUTHENTICATED = 2,   /* must AUTH first: the transport applies Redis's
                                      tighter request limits (resp_parser.h) */
    RESPITE_BLOCKED = 4,           /* in a blocking command: run nothing more for it
                                      until the unblocked callback */
    RESPITE_PUBSUB = 8,            /* subscribed to a channel, pattern or shard
                                      channel: the pubsub output class, and no idle
                                      timeout */
    RESPITE_MONITOR = 16,          /* MONITOR: no idle timeout (a Redis replica) */
};
int respite_client_flags(const struct respite_client *c);

/* Counters the transport keeps in the store, for INFO. */
enum respite_stat {
    RESPITE_STAT_CONNECTIONS,     /* total_connections_received (+1) */
    RESPITE_STAT_REJECTED,        /* rejected_connections (+1) */
    RESPITE_STAT_READ,            /* a read call that brought n bytes:
                                   * total_reads_processed +1,
                                   * total_net_input_bytes +n */
    RESPITE_STAT_WRITE,           /* a write call that sent n bytes:
                                   * total_writes_processed +1,
                                   * total_net_output_bytes +n */
    RESPITE_STAT_QBUF_LIMIT_CLOSED, /* client_query_buffer_limit_disconnections (+1) */
    RESPITE_STAT_OBUF_LIMIT_CLOSED, /* client_output_buffer_limit_disconnections (+1) */
    RESPITE_STAT_REPLY_BUFFER_SHRINKS, /* reply_buffer_shrinks (+1) */
    RESPITE_STAT_REPLY_BUFFER_EXPANDS, /* reply_buffer_expands (+1) */
    RESPITE_STAT_EL_TURN,         /* a loop turn awake n ns: eventloop_cycles +1,
                                   * eventloop_duration_sum +n / 1000 */
};
void respite_stat_add(struct respite *st, enum respite_stat which, uint64_t n);

/* The parameters a network transport applies, read from the store's
 * configuration (re-read after the config_changed hook). */
struct respite_net_config {
    char bind[256];             /* space-separated addresses, "-" prefix: optional */
    int port;                   /* 0: pick a free port */
    int maxclients;
    int timeout;                /* idle seconds before a client is closed, 0 never */
    int tcp_keepalive;          /* seconds, 0 off */
    int hz;                     /* background task frequency, clamped to 1..500 */
    long long client_query_buffer_limit;
    long long proto_max_bulk_len;
    /* client-output-buffer-limit of the "normal" and "pubsub" classes
     * (RESPITE_OBUF_NORMAL, RESPITE_OBUF_PUBSUB); 0 = none */
    struct respite_obuf_limit {
        long long hard, soft, soft_secs;
    } obuf[2];
    int loglevel;               /* 0 debug .. 3 warning, 4 nothing */
    char logfile[1024];         /* "" = standard output */
    char pidfile[1024];
    /* DEBUG REPLYBUFFER: how often a client's reply buffer peak restarts (ms,
     * -1 never; PEAK-RESET-TIME) and whether its buffer follows the peak
     * (RESIZING) */
    long long reply_buffer_peak_reset_ms;
    int reply_buffer_resizing;
};
enum { RESPITE_OBUF_NORMAL = 0, RESPITE_OBUF_PUBSUB = 1 };
void respite_net_config(const struct respite *st, struct respite_net_config *out);

/* Blocked clients' timeouts: the earliest deadline, on the monotonic clock
 * in microseconds (CLOCK_MONOTONIC), -1 if none; and answering every client
 * whose deadline has passed (each gets the unblocked callback). */
int64_t respite_block_deadline(const struct respite *st);
void respite_block_timeouts(struct respite *st);

/* Number of clients attached (connected_clients). */
uint64_t respite_client_count(const struct respite *st);

#ifdef __cplusplus
}
#endif

#endif
