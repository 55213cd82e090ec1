/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The network server: one libuv loop owns the store, the listeners and every
 * connection.
 *
 * Reading: each connection has a query buffer; alloc_cb lends its free tail,
 * once per loop turn and about 16 kB at a time (so one client's pipeline
 * is served a slice per turn, between the other clients' commands).
 * After a read, every complete command in the buffer runs (pipelining), the
 * arguments being slices of the buffer (zero copy). A partial command stays
 * at the buffer's front; the parser keeps offsets, so the buffer may move.
 *
 * Writing: replies accumulate in the client's chunked output buffer. A
 * check handle (run once per loop turn, after all reads of that turn)
 * flushes every connection that has output: first a uv_try_write of all
 * chunks at once, and only what the socket would not take goes to uv_write,
 * whose chunks stay frozen until its callback. So replies of one loop turn
 * leave in one write per client, and the GET/SET path allocates nothing.
 *
 * Blocked clients (BLPOP, XREAD BLOCK, ...): while a client is blocked its
 * bytes are still read but its commands wait. The store tells us when it is
 * unblocked (conn_unblocked, called from inside another client's command
 * or a timeout); the check handle then runs its waiting commands and
 * flushes its reply. One timer is armed for the earliest timeout.
 *
 * Limits: maxclients, client-query-buffer-limit (checked after every read,
 * whatever the client's state), the output buffer limits of the client's
 * class, "normal" or "pubsub" while it is subscribed (hard: close at once;
 * soft: close when exceeded for that many seconds) and the idle timeout, checked hz times a second. A
 * client killed (CLIENT KILL) or timed out is closed even while a write to it
 * is in flight: uv_close cancels the write, its callback sees the closing flag.
 * The hard limit is also the cap of each client's reply writer, which drops
 * what a command writes past it and turns full (resp_writer.h): a reply
 * that grows with an argument stops there, and flush() closes the client.
 *
 * A script past busy-reply-threshold runs inside a read callback; the
 * engine calls on_script_busy every 100,000 Lua instructions, which
 * serves the other clients with a poll(2) of its own (libuv's loop cannot
 * be entered again from a callback): see there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "resp_parser.h"
#include "resp_writer.h"
#include "respite_server.h"
#include "srv_log.h"

#define MAX_LISTENERS 16
#define READ_CHUNK (16 * 1024)
#define QBUF_IDLE_KEEP (64 * 1024) /* an empty query buffer larger than this is freed */
#define BG_SLICE_US 1000           /* longest background slice (expiry, freeing, rehash) */
#define IDLE_BUFFERS_MS 2000       /* an idle client's buffers are freed after this */
#define PARSE_BATCH 16             /* commands parsed before they run (prefetching) */
#define RB_MIN_BYTES 1024          /* the smallest reply chunk the cron shrinks one to */

struct srv_conn {
    uv_tcp_t handle; /* first: a uv_handle_t* is a struct srv_conn* */
    struct respite_server *srv;
    struct respite_client *cl;

    /* query buffer: unparsed bytes are qbuf[qpos..qlen) */
    char *qbuf;
    size_t qpos, qlen, qcap;
    struct resp_parser parser;
    /* The arguments of a batch of parsed commands (see process_input);
     * parser.args points into it. */
    struct resp_arg *pool;
    struct rs_str *argv; /* pool_cap too */
    size_t pool_cap;

    /* writing */
    uv_write_t wreq;
    struct resp_chunk *inflight; /* frozen until write_cb */
    size_t inflight_bytes;
    size_t wq_seen; /* the write queue's size at the last cron, to see it drain */
    /* CLIENT LIST rbp: the most bytes a flush found in the first reply
     * chunk (its capacity, chunk_size, is CLIENT LIST rbs) since
     * rbp_since_ms, Redis's reply buffer peak: reset by the cron every
     * reply_buffer_peak_reset_ms, it sizes the chunks (reply_buffer_cron) */
    size_t rbp;
    int64_t rbp_since_ms;
    uv_buf_t *bufs;
    size_t bufs_cap;

    uint64_t read_turn;     /* the loop turn of its last read (srv->turn) */
    int64_t last_ms;        /* last interaction, real time */
    int64_t soft_since_ms;  /* over the soft output limit since, 0 = not */
    int obuf_class;         /* RESPITE_OBUF_NORMAL, or _PUBSUB while subscribed */
    bool writing, closing, close_after_reply, on_pending, on_unblocked;
    bool killed; /* CLIENT KILL: closed at the next flush, its output dropped */
    struct srv_conn *next_pending;
    struct srv_conn *next_unblocked;
    struct srv_conn *prev, *next; /* all connections */
    char addr[64], laddr[64];
};

struct respite_server {
    struct respite *st;
    struct respite_net_config cfg;
    uv_loop_t loop;
    uv_tcp_t listeners[MAX_LISTENERS];
    int nlisteners;
    int port;
    uv_check_t flusher;
    uv_timer_t cron;
    uv_timer_t bg;       /* background slices while work is left */
    uv_idle_t evict;     /* eviction slices once a loop turn while over maxmemory */
    uv_timer_t blk_timer; /* the earliest blocked client's timeout */
    int64_t blk_armed;    /* the deadline blk_timer is armed for (monotonic us), -1 none */
    uv_timer_t exp_timer; /* the store's next key deadline (respite_expire_deadline) */
    int64_t exp_armed;    /* the deadline exp_timer is armed for (monotonic us), -1 none */
    uv_async_t wakeup;   /* respite_server_stop from another thread, or a caught signal */
    bool signals;        /* respite_server_catch_signals: sig_srv is this one */
    uv_thread_t thread;
    bool threaded;
    bool stopping;
    bool timers_open;    /* flusher, cron, bg and wakeup are initialised */
    bool handles_closed;
    uint64_t turn; /* loop turns, counted by the check handle */
    /* The loop's turns for INFO (eventloop_cycles, eventloop_duration_sum),
     * as Redis counts them from afterSleep to beforeSleep: a turn wakes when
     * its poll returns -- at its first I/O callback (el_woke), else at the
     * check handle -- and is awake until the prepare handle, right before
     * the next poll. el_wake_ns: when it woke, 0 while asleep. */
    uv_prepare_t el_prepare;
    uint64_t el_wake_ns;
    struct srv_conn *conns;
    uint64_t nconns;
    /* Connections with output to write this turn, written in the order
     * they were listed (schedule_flush). */
    struct srv_conn *pending, **pending_tail; /* tail: where the next one goes */
    struct srv_conn *unblocked; /* clients whose blocking command answered */
    /* Serving from inside a long script (on_script_busy): its poll set,
     * each entry's connection (NULL for a listener), and whether its
     * commands run now. */
    struct pollfd *pfd;
    struct srv_conn **pconn;
    size_t poll_cap;
    bool in_script;
    struct srv_log log;
};

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * Connection lifetime
 * ------------------------------------------------------------------------ */

static void on_conn_closed(uv_handle_t *h)
{
    struct srv_conn *conn = (struct srv_conn *)h;
    struct resp_out *o = respite_client_output(conn->cl);
    if (conn->inflight)
        resp_out_release(o, conn->inflight);
    respite_client_free(conn->cl);
    free(conn->qbuf);
    free(conn->pool);
    free(conn->argv);
    free(conn->bufs);
    free(conn);
}

static void conn_close(struct srv_conn *conn)
{
    if (conn->closing)
        return;
    conn->closing = true;
    struct respite_server *srv = conn->srv;
    /* Nothing may be handed to a client that is going. */
    respite_client_closing(conn->cl);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        srv->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    srv->nconns--;
    /* It may still be on the pending list: flush() skips closing ones. */
    uv_close((uv_handle_t *)&conn->handle, on_conn_closed);
}

static void conn_describe(void *ud, struct session_desc *d)
{
    struct srv_conn *conn = ud;
    snprintf(d->addr, sizeof d->addr, "%s", conn->addr);
    snprintf(d->laddr, sizeof d->laddr, "%s", conn->laddr);
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)&conn->handle, &fd);
    d->fd = fd;
    d->qbuf = conn->qlen - conn->qpos;
    d->qbuf_free = conn->qcap - conn->qlen;
    d->argv_mem = 0;
    struct resp_out *o = respite_client_output(conn->cl);
    d->omem = o->nbytes + conn->inflight_bytes;
    d->obl = 0;
    d->oll = 0;
    for (struct resp_chunk *ch = o->head; ch; ch = ch->next)
        d->oll++;
    d->rbs = o->tail ? o->tail->cap : o->spare ? o->spare->cap : 0;
    d->rbp = conn->rbp;
    d->events = conn->writing ? "rw" : "r";
}

static void flush(struct srv_conn *conn);
static void schedule_flush(struct srv_conn *conn);

/* CLIENT KILL from another client: it runs nothing more, and is closed by
 * the flush of this loop turn (right after the killing command, which may
 * be iterating the clients) without waiting for its replies to drain, as
 * Redis frees it at once -- a client that stopped reading is gone too. */
static void conn_kill(void *ud)
{
    struct srv_conn *conn = ud;
    conn->killed = true;
    conn->close_after_reply = true;
    schedule_flush(conn);
}

/* The store answered this client's blocking command: run what it sent
 * meanwhile, from the check handle (never from inside a command). */
static void conn_unblocked(void *ud)
{
    struct srv_conn *conn = ud;
    if (conn->on_unblocked)
        return;
    conn->on_unblocked = true;
    conn->next_unblocked = conn->srv->unblocked;
    conn->srv->unblocked = conn;
}

/* A pub/sub message was appended to this client's output by another
 * client's command or a timer: it leaves with this turn's flush. */
static void conn_pushed(void *ud)
{
    schedule_flush(ud);
}

static const struct respite_client_io conn_io = {conn_describe, conn_kill, conn_unblocked,
                                                 conn_pushed};

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

static void flush(struct srv_conn *conn);

/* List conn for this turn's writes. First listed, first written: a
 * client's connection is listed after its batch of commands ran, so the
 * subscribers its PUBLISHes pushed to are written before its own replies.
 * Under a saturating fan-out that keeps a publisher, which sends its next
 * batch on its replies, from queueing that batch behind a turn of writes
 * to subscribers (publish-to-receive p50 halved, same deliveries/s). */
static void schedule_flush(struct srv_conn *conn)
{
    struct respite_server *srv = conn->srv;
    if (conn->on_pending)
        return;
    conn->on_pending = true;
    conn->next_pending = NULL;
    *srv->pending_tail = conn;
    srv->pending_tail = &conn->next_pending;
}

/* Take the list of this turn's writes, in order. */
static struct srv_conn *take_pending(struct respite_server *srv)
{
    struct srv_conn *list = srv->pending;
    srv->pending = NULL;
    srv->pending_tail = &srv->pending;
    return list;
}

static void write_cb(uv_write_t *req, int status)
{
    struct srv_conn *conn = req->data;
    size_t sent = conn->inflight_bytes;
    resp_out_release(respite_client_output(conn->cl), conn->inflight);
    conn->inflight = NULL;
    conn->inflight_bytes = 0;
    conn->writing = false;
    /* Closing: the write was cancelled (UV_ECANCELED) or finished first. */
    if (conn->closing)
        return;
    if (status < 0) {
        conn_close(conn);
        return;
    }
    conn->last_ms = real_ms(); /* replies draining: not idle (Redis) */
    respite_stat_add(conn->srv->st, RESPITE_STAT_WRITE, sent); /* the rest, by libuv */
    flush(conn);
}

/* Close conn for its output, as Redis logs it. */
static void close_over_limits(struct srv_conn *conn)
{
    respite_stat_add(conn->srv->st, RESPITE_STAT_OBUF_LIMIT_CLOSED, 1);
    srv_log(&conn->srv->log, SRV_LOG_WARNING,
            "Client addr=%s laddr=%s scheduled to be closed ASAP for overcoming of output "
            "buffer limits.",
            conn->addr, conn->laddr);
    conn_close(conn);
}

/* The client's output class follows its subscriptions (Redis's
 * getClientType): a subscriber has the pubsub class's limits, its writer
 * capped at that class's hard limit. Checked after each of its commands,
 * the only place its subscriptions change. */
static void update_obuf_class(struct srv_conn *conn, int flags)
{
    int cls = (flags & RESPITE_PUBSUB) ? RESPITE_OBUF_PUBSUB : RESPITE_OBUF_NORMAL;
    if (cls == conn->obuf_class)
        return;
    conn->obuf_class = cls;
    conn->soft_since_ms = 0;
    resp_out_set_limit(respite_client_output(conn->cl), (size_t)conn->srv->cfg.obuf[cls].hard);
}

/* Enforce the output buffer limits of the client's class. */
static bool over_output_limits(struct srv_conn *conn, size_t pending)
{
    const struct respite_obuf_limit *lim = &conn->srv->cfg.obuf[conn->obuf_class];
    if (lim->hard > 0 && pending >= (size_t)lim->hard)
        return true;
    if (lim->soft > 0 && pending >= (size_t)lim->soft) {
        int64_t now = real_ms();
        if (conn->soft_since_ms == 0)
            conn->soft_since_ms = now;
        else if ((now - conn->soft_since_ms) / 1000 >= lim->soft_secs) /* no secs*1000 overflow */
            return true;
    } else {
        conn->soft_since_ms = 0;
    }
    return false;
}

/* Close conn if what it owes passes its output limits: the writer refused
 * bytes past the hard one, or the soft one held for its seconds. Returns
 * whether it closed it. */
static bool close_if_over_limits(struct srv_conn *conn)
{
    struct resp_out *o = respite_client_output(conn->cl);
    if (!resp_out_full(o) && !over_output_limits(conn, o->nbytes + conn->inflight_bytes))
        return false;
    close_over_limits(conn);
    return true;
}

static void flush(struct srv_conn *conn)
{
    if (conn->closing)
        return;
    if (conn->killed) {
        /* A write in flight is cancelled: write_cb sees the closing flag. */
        conn_close(conn);
        return;
    }
    struct respite_server *srv = conn->srv;
    struct resp_out *o = respite_client_output(conn->cl);
    size_t first = o->nbytes < o->chunk_size ? o->nbytes : o->chunk_size;
    if (first > conn->rbp)
        conn->rbp = first;
    /* Before the write in progress is waited for: a client that never
     * reads would otherwise keep its full writer for ever. */
    if (close_if_over_limits(conn))
        return;
    if (conn->writing)
        return;
    /* Replies of writes not yet on disk (appendfsync always) wait for the
     * check handle, which writes the file first (serve_ready). */
    if (respite_aof_pending(srv->st)) {
        schedule_flush(conn);
        return;
    }
    if (o->nbytes == 0) {
        if (conn->close_after_reply)
            conn_close(conn);
        return;
    }
    size_t total = o->nbytes;
    struct resp_chunk *list = resp_out_take(o);
    size_t n = 0;
    for (struct resp_chunk *ch = list; ch; ch = ch->next)
        n++;
    if (n > conn->bufs_cap) {
        conn->bufs_cap = n * 2;
        free(conn->bufs);
        conn->bufs = malloc(conn->bufs_cap * sizeof *conn->bufs);
        if (conn->bufs == NULL)
            abort();
    }
    n = 0;
    for (struct resp_chunk *ch = list; ch; ch = ch->next)
        conn->bufs[n++] = uv_buf_init(ch->data, (unsigned)ch->len);

    int r = uv_try_write((uv_stream_t *)&conn->handle, conn->bufs, (unsigned)n);
    respite_stat_add(srv->st, RESPITE_STAT_WRITE, r > 0 ? (uint64_t)r : 0);
    if (r == UV_EAGAIN || r == UV_ENOSYS)
        r = 0;
    if (r < 0) {
        resp_out_release(o, list);
        conn_close(conn);
        return;
    }
    if (r > 0)
        conn->last_ms = real_ms();
    if ((size_t)r == total) {
        resp_out_release(o, list);
        conn->soft_since_ms = 0;
        if (conn->close_after_reply)
            conn_close(conn);
        return;
    }
    /* Hand the rest to uv_write; skip what went out already. */
    size_t skip = (size_t)r, k = 0;
    while (skip >= conn->bufs[k].len) {
        skip -= conn->bufs[k].len;
        k++;
    }
    conn->bufs[k].base += skip;
    conn->bufs[k].len -= skip;
    conn->inflight = list;
    conn->inflight_bytes = total - (size_t)r;
    if (close_if_over_limits(conn))
        return;
    conn->wreq.data = conn;
    conn->writing = true;
    if (uv_write(&conn->wreq, (uv_stream_t *)&conn->handle, conn->bufs + k, (unsigned)(n - k),
                 write_cb) != 0) {
        conn->writing = false;
        conn_close(conn);
    }
}

static void process_input(struct srv_conn *conn);
static void on_blk_timer(uv_timer_t *t);
static void on_bg(uv_timer_t *t);
static void on_exp_timer(uv_timer_t *t);

/* Arm timer t (armed for *armed) to call cb at d (monotonic us; -1: stop
 * it), if d moved. */
static void arm_timer(uv_timer_t *t, int64_t *armed, int64_t d, uv_timer_cb cb)
{
    if (d == *armed)
        return;
    *armed = d;
    if (d < 0) {
        uv_timer_stop(t);
        return;
    }
    int64_t now = (int64_t)(uv_hrtime() / 1000);
    uint64_t delay_ms = d > now ? (uint64_t)((d - now + 999) / 1000) : 0;
    uv_timer_start(t, cb, delay_ms, 0);
}

/* Arm blk_timer for the earliest blocked client's deadline. */
static void arm_block_timer(struct respite_server *srv)
{
    arm_timer(&srv->blk_timer, &srv->blk_armed, respite_block_deadline(srv->st), on_blk_timer);
}

/* Arm exp_timer for the store's next key deadline: keys are reclaimed (and
 * their expired events sent) within a millisecond or so of their deadline,
 * not at the next cron tick. */
static void arm_expire_timer(struct respite_server *srv)
{
    arm_timer(&srv->exp_timer, &srv->exp_armed, respite_expire_deadline(srv->st), on_exp_timer);
}

/* Keep background work going: a slice every millisecond while the store
 * has some left (on_bg stops it). */
static void kick_bg(struct respite_server *srv)
{
    if (!uv_is_active((uv_handle_t *)&srv->bg))
        uv_timer_start(&srv->bg, on_bg, 1, 1);
}

/* Run the commands that unblocked clients sent while blocked (which may
 * unblock others), then flush every connection with output and arm the
 * timers for what is left. From the check handle once per loop turn, and
 * from the timers whose work may unblock clients: the loop may sleep
 * before it reaches its check handle. */
static void serve_ready(struct respite_server *srv)
{
    do {
        while (srv->unblocked) {
            struct srv_conn *conn = srv->unblocked;
            srv->unblocked = conn->next_unblocked;
            conn->on_unblocked = false;
            /* The command that ran while it waited (held by CLIENT PAUSE: a
             * QUIT under PAUSE ALL) may have asked for the close. */
            if (respite_client_flags(conn->cl) & RESPITE_CLOSE_AFTER_REPLY)
                conn->close_after_reply = true;
            if (!conn->closing)
                process_input(conn);
        }
        respite_deliver(srv->st);
        /* The turn's writes reach the append-only file before any reply of
         * theirs leaves (appendfsync always: on disk, one fsync for all).
         * The WAITAOF clients that fsync answers run what they sent
         * meanwhile in this pass, whose writes go to the file in turn. */
        respite_aof_flush(srv->st);
    } while (srv->unblocked);
    /* Flushing may list more (closing a client may push to others): they
     * are written by the next pass. */
    while (srv->pending) {
        for (struct srv_conn *conn = take_pending(srv), *next; conn; conn = next) {
            next = conn->next_pending;
            conn->on_pending = false;
            flush(conn);
        }
    }
    if (!srv->stopping) {
        arm_block_timer(srv);
        arm_expire_timer(srv);
        /* Freeing that a command queued (UNLINK, FLUSHALL ASYNC) starts now,
         * not at the next cron tick. */
        if (respite_free_pending(srv->st))
            kick_bg(srv);
    }
}

/* The loop's poll returned: the turn is awake from now (see el_wake_ns). */
static inline void el_woke(struct respite_server *srv)
{
    if (srv->el_wake_ns == 0)
        srv->el_wake_ns = uv_hrtime();
}

/* Right before the loop polls: the turn that woke ends, one cycle. */
static void on_prepare(uv_prepare_t *h)
{
    struct respite_server *srv = h->data;
    if (srv->el_wake_ns) {
        respite_stat_add(srv->st, RESPITE_STAT_EL_TURN, uv_hrtime() - srv->el_wake_ns);
        srv->el_wake_ns = 0;
    }
}

/* Once per loop turn, after the reads of that turn (a turn is what
 * alloc_cb's one read per client counts). */
static void on_check(uv_check_t *h)
{
    struct respite_server *srv = h->data;
    el_woke(srv);
    serve_ready(srv);
    srv->turn++;
}

/* A blocked client's timeout: answer it (and any other due), then run and
 * flush as after a read -- the loop may not reach its check handle before
 * it next sleeps. */
static void on_blk_timer(uv_timer_t *t)
{
    struct respite_server *srv = t->data;
    srv->blk_armed = -1;
    respite_block_timeouts(srv->st);
    serve_ready(srv);
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/* One read per client per loop turn, as Redis reads once per readable
 * event (libuv would read up to 32 times): a client pipelining faster than
 * it is served leaves the rest in its socket, read in the next turn, after
 * the other clients' reads. A refused read (a zero-length buffer) is
 * UV_ENOBUFS in read_cb; the socket stays readable, so the loop does not
 * sleep on it. A read is READ_CHUNK, or what a big argument being received
 * still needs (the buffer growing only with what arrives), so the commands
 * run per turn are about READ_CHUNK's worth. */
static uv_buf_t lend(struct srv_conn *conn);

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct srv_conn *conn = (struct srv_conn *)h;
    (void)suggested;
    el_woke(conn->srv);
    if (conn->read_turn == conn->srv->turn) {
        *buf = uv_buf_init(NULL, 0);
        return;
    }
    conn->read_turn = conn->srv->turn;
    *buf = lend(conn);
}

/* The free tail of conn's query buffer to read into, grown as needed. */
static uv_buf_t lend(struct srv_conn *conn)
{
    /* Move a partial command to the front before growing. */
    if (conn->qpos > 0) {
        memmove(conn->qbuf, conn->qbuf + conn->qpos, conn->qlen - conn->qpos);
        conn->qlen -= conn->qpos;
        conn->qpos = 0;
    }
    if (conn->qcap - conn->qlen < READ_CHUNK) {
        /* Grow with the data that actually arrives: a declared huge bulk
         * costs nothing until its bytes come. */
        size_t cap = conn->qcap ? conn->qcap * 2 : READ_CHUNK;
        if (cap < conn->qlen + READ_CHUNK)
            cap = conn->qlen + READ_CHUNK;
        char *q = realloc(conn->qbuf, cap);
        if (q == NULL)
            abort();
        conn->qbuf = q;
        conn->qcap = cap;
    }
    /* The parser's offsets are from qpos, now 0. */
    size_t want = resp_parser_bulk_left(&conn->parser, conn->qlen);
    if (want < READ_CHUNK)
        want = READ_CHUNK;
    size_t n = conn->qcap - conn->qlen;
    if (n > want)
        n = want;
    if (n > UINT_MAX)
        n = UINT_MAX;
    return uv_buf_init(conn->qbuf + conn->qlen, (unsigned)n);
}

/* Parse the command at qbuf + off, its arguments going to conn->pool from
 * index `used` on (the pool grows as needed). */
static enum resp_status parse_at(struct srv_conn *conn, size_t used, size_t off, size_t *consumed)
{
    for (;;) {
        conn->parser.args = conn->pool + used;
        conn->parser.cap = conn->pool_cap - used;
        *consumed = 0;
        enum resp_status s =
            resp_parse(&conn->parser, conn->qbuf + off, conn->qlen - off, consumed);
        if (s != RESP_GROW)
            return s;
        size_t cap = conn->pool_cap ? conn->pool_cap * 2 : 64;
        struct resp_arg *pool = realloc(conn->pool, cap * sizeof *pool);
        struct rs_str *argv = realloc(conn->argv, cap * sizeof *argv);
        if (pool == NULL || argv == NULL)
            abort();
        conn->pool = pool;
        conn->argv = argv;
        conn->pool_cap = cap;
    }
}

/* Whether conn's next command may run, flags being its client's flags now
 * (respite_client_flags: a command changes them, nothing else between two
 * of a batch). */
static bool can_run(const struct srv_conn *conn, int flags)
{
    return !conn->closing && !conn->close_after_reply && !conn->srv->stopping &&
           conn->qpos < conn->qlen && !(flags & RESPITE_BLOCKED);
}

/* Run the complete commands of the query buffer, in order, until one blocks
 * its client, closes it, or only a partial command is left.
 *
 * Commands run in batches of up to PARSE_BATCH: all of a batch are parsed
 * first and each one's first arguments after its name -- usually its key,
 * and a field or member -- are handed to the store as a prefetch hint, so
 * the cache misses of a pipeline's lookups overlap one another instead
 * of coming one after the other (respite_client_prefetch). What was parsed
 * and not run when a batch stops early (a command blocks or closes the
 * client) is parsed again from conn->qpos next time, so a batch holds only
 * multibulk commands after its first (parsing them changes nothing; an
 * inline command is unescaped in place). Whatever ends a batch early -- a
 * partial command, a malformed one -- is parsed again from its start once
 * the batch's commands ran (the parser is reset), so a protocol error
 * found ahead is answered only after the commands before it, in order.
 * Only an authenticated client is parsed in batches, and a batch is cut
 * after a command that changes the request limits (RESET, CONFIG SET
 * proto-max-bulk-len): the commands after it are parsed again under the
 * new ones. */
static void process_input(struct srv_conn *conn)
{
    struct respite_server *srv = conn->srv;
    int flags = respite_client_flags(conn->cl);
    while (can_run(conn, flags)) {
        struct {
            size_t off, consumed, first;
            int argc;
        } batch[PARSE_BATCH];
        /* One at a time inside a long script: the script's command owns
         * the batch state (prefetch hints, batch clock). */
        int max = (flags & RESPITE_UNAUTHENTICATED) || srv->in_script ? 1 : PARSE_BATCH;
        /* Parsing runs nothing: the client's authentication is that of all
         * the batch, which is cut after a command that changes it. */
        conn->parser.unauthenticated = flags & RESPITE_UNAUTHENTICATED;
        long long max_bulk_len = conn->parser.max_bulk_len;
        int n = 0;
        size_t off = conn->qpos, used = 0, consumed;
        enum resp_status s = RESP_OK;
        while (n < max && off < conn->qlen) {
            /* An inline command is unescaped in place, so it must run
             * before anything could make it be parsed again. */
            if (n > 0 && conn->qbuf[off] != '*')
                break;
            s = parse_at(conn, used, off, &consumed);
            if (s != RESP_OK)
                break;
            batch[n].off = off;
            batch[n].consumed = consumed;
            batch[n].first = used;
            batch[n].argc = conn->parser.argc;
            used += (size_t)conn->parser.argc;
            off += consumed;
            n++;
        }
        if (n == 0) {
            if (s == RESP_ERR) {
                char msg[160];
                snprintf(msg, sizeof msg, "ERR %s", conn->parser.err);
                respite_client_error(conn->cl, msg);
                conn->close_after_reply = true;
                conn->qpos = conn->qlen;
            }
            break;
        }
        /* What stopped the batch (a partial command, a protocol error) is
         * for a command after it: found again when parsing reaches it, after
         * the batch's commands ran -- they may block or close the client, or
         * change the limits it is parsed with. */
        if (s != RESP_OK)
            resp_parser_reset(&conn->parser);
        if (n > 1) {
            for (int i = 0; i < n; i++) {
                /* The name, the key, the next argument (a hash's or set's
                 * field) and the last (a sorted set's member). */
                struct rs_str args[4];
                int argc = batch[i].argc;
                const struct resp_arg *a = conn->pool + batch[i].first;
                for (int j = 0; j < argc && j < 4; j++) {
                    const struct resp_arg *x = &a[j < 3 ? j : argc - 1];
                    args[j] = rs_str_from(conn->qbuf + batch[i].off + x->off, x->len);
                }
                respite_client_prefetch(conn->cl, argc, args);
            }
            respite_client_prefetch_flush(conn->cl);
        }
        if (n > 1)
            respite_batch(srv->st, true);
        for (int i = 0; i < n && can_run(conn, flags); i++) {
            char *start = conn->qbuf + batch[i].off;
            const struct resp_arg *a = conn->pool + batch[i].first;
            for (int j = 0; j < batch[i].argc; j++)
                conn->argv[j] = rs_str_from(start + a[j].off, a[j].len);
            respite_client_run(conn->cl, batch[i].argc, conn->argv);
            conn->qpos = batch[i].off + batch[i].consumed;
            flags = respite_client_flags(conn->cl);
            if (flags & RESPITE_CLOSE_AFTER_REPLY)
                conn->close_after_reply = true;
            update_obuf_class(conn, flags);
            /* The rest was parsed under limits this command changed (RESET
             * back to unauthenticated, CONFIG SET proto-max-bulk-len). */
            if (i + 1 < n && ((flags & RESPITE_UNAUTHENTICATED) ||
                              conn->parser.max_bulk_len != max_bulk_len))
                break;
        }
        if (n > 1)
            respite_batch(srv->st, false);
        /* Parsed and not run: parsed again from qpos, now if the client can
         * run, or when it is unblocked. */
    }
    if (conn->closing)
        return;
    if (conn->qpos == conn->qlen) {
        conn->qpos = conn->qlen = 0;
        if (conn->qcap > QBUF_IDLE_KEEP) {
            free(conn->qbuf);
            conn->qbuf = NULL;
            conn->qcap = 0;
        }
    }
    schedule_flush(conn); /* which checks the output limits */
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct srv_conn *conn = (struct srv_conn *)stream;
    (void)buf;
    if (nread == 0 || nread == UV_ENOBUFS) /* EAGAIN, or this turn's read was done */
        return;
    respite_stat_add(conn->srv->st, RESPITE_STAT_READ, nread > 0 ? (uint64_t)nread : 0);
    if (nread < 0) { /* UV_EOF or an error: the peer is gone */
        conn_close(conn);
        return;
    }
    struct respite_server *srv = conn->srv;
    conn->qlen += (size_t)nread;
    conn->last_ms = real_ms();
    if (conn->close_after_reply) {
        /* Nothing more of it runs (QUIT, a protocol error, a kill): what it
         * sends is dropped, so it costs no memory while its replies drain. */
        conn->qpos = conn->qlen = 0;
        return;
    }
    /* Whatever the client's state -- its commands waiting while it is
     * blocked, or only a partial command buffered -- what it sent and
     * nothing ran stays under the limit, as in Redis. */
    if (conn->qlen - conn->qpos > (size_t)srv->cfg.client_query_buffer_limit) {
        srv_log(&srv->log, SRV_LOG_WARNING,
                "Closing client that reached max query buffer length: addr=%s qbuf=%zu",
                conn->addr, conn->qlen - conn->qpos);
        respite_stat_add(srv->st, RESPITE_STAT_QBUF_LIMIT_CLOSED, 1);
        conn_close(conn);
        return;
    }
    process_input(conn);
}

/* ------------------------------------------------------------------------
 * Accepting
 * ------------------------------------------------------------------------ */

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t size, bool *local)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        uv_ip4_name(a, ip, sizeof ip);
        port = ntohs(a->sin_port);
        if (local)
            *local = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
        snprintf(buf, size, "%s:%d", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        uv_ip6_name(a, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        if (local)
            *local = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        snprintf(buf, size, "%s:%d", ip, port);
    } else {
        snprintf(buf, size, "?:0");
    }
}

static void conn_start(struct srv_conn *conn);

/* A connection of srv, its handle initialised, no socket yet. */
static struct srv_conn *conn_new(struct respite_server *srv)
{
    struct srv_conn *conn = calloc(1, sizeof *conn);
    if (conn == NULL)
        abort();
    conn->srv = srv;
    conn->rbp = RESP_CHUNK_SIZE; /* a new client's peak is its buffer, as in Redis */
    uv_tcp_init(&srv->loop, &conn->handle);
    return conn;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct respite_server *srv = server->data;
    el_woke(srv);
    if (status < 0)
        return;
    struct srv_conn *conn = conn_new(srv);
    if (uv_accept(server, (uv_stream_t *)&conn->handle) != 0) {
        uv_close((uv_handle_t *)&conn->handle, (uv_close_cb)free);
        return;
    }
    conn_start(conn);
}

/* Serve the connection accepted into conn->handle, or refuse it past
 * maxclients. */
static void conn_start(struct srv_conn *conn)
{
    struct respite_server *srv = conn->srv;
    if (srv->nconns >= (uint64_t)srv->cfg.maxclients) {
        static const char msg[] = "-ERR max number of clients reached\r\n";
        uv_buf_t b = uv_buf_init((char *)msg, sizeof msg - 1);
        uv_try_write((uv_stream_t *)&conn->handle, &b, 1);
        respite_stat_add(srv->st, RESPITE_STAT_REJECTED, 1);
        uv_close((uv_handle_t *)&conn->handle, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(&conn->handle, 1);
    if (srv->cfg.tcp_keepalive > 0)
        uv_tcp_keepalive(&conn->handle, 1, (unsigned)srv->cfg.tcp_keepalive);

    struct sockaddr_storage ss;
    int len = sizeof ss;
    bool local = false;
    if (uv_tcp_getpeername(&conn->handle, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, conn->addr, sizeof conn->addr, &local);
    len = sizeof ss;
    if (uv_tcp_getsockname(&conn->handle, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, conn->laddr, sizeof conn->laddr, NULL);

    conn->cl = respite_client_attach(srv->st, &conn_io, conn, local);
    resp_out_set_limit(respite_client_output(conn->cl),
                       (size_t)srv->cfg.obuf[RESPITE_OBUF_NORMAL].hard);
    resp_parser_init(&conn->parser, NULL, 0, srv->cfg.proto_max_bulk_len);
    conn->last_ms = real_ms();
    conn->read_turn = srv->turn - 1; /* it may read in this turn */
    conn->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = conn;
    srv->conns = conn;
    srv->nconns++;
    respite_stat_add(srv->st, RESPITE_STAT_CONNECTIONS, 1);
    uv_read_start((uv_stream_t *)&conn->handle, alloc_cb, read_cb);
}

/* ------------------------------------------------------------------------
 * Serving while a script runs long
 * ------------------------------------------------------------------------ */

/* Accept one connection waiting on the listening socket lfd. */
static void accept_now(struct respite_server *srv, int lfd)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return;
    struct srv_conn *conn = conn_new(srv);
    if (uv_tcp_open(&conn->handle, fd) != 0) { /* it made fd non-blocking */
        close(fd);
        uv_close((uv_handle_t *)&conn->handle, (uv_close_cb)free);
        return;
    }
    conn_start(conn);
}

/* Read once what conn sent, as read_cb does after libuv's read. */
static void read_now(struct srv_conn *conn, int fd)
{
    uv_buf_t b = lend(conn);
    ssize_t r;
    do
        r = read(fd, b.base, b.len);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    read_cb((uv_stream_t *)&conn->handle, r > 0 ? r : UV_EOF, &b);
}

/* The script_busy hook: a script runs past busy-reply-threshold inside a
 * callback of this loop (the read of its caller's command), and uv_run
 * may not be entered again from a callback. So, as Redis's
 * processEventsWhileBlocked, one poll(2) of the listeners and the
 * connections, without waiting: a new connection is accepted, a
 * readable one read once (read(2) into its query buffer) and its
 * commands run -- the store answers -BUSY to all but SCRIPT KILL,
 * SHUTDOWN NOSAVE and a few others -- and the replies are written.
 * libuv then finds the sockets drained (EAGAIN). The caller is left
 * alone: its command runs, its reply may be half written. No timer runs
 * (expiry would change the data under the script). */
static void on_script_busy(void *ud, void *caller)
{
    struct respite_server *srv = ud;
    if (srv->stopping)
        return;
    size_t n = (size_t)srv->nlisteners + srv->nconns;
    if (n > srv->poll_cap) {
        srv->poll_cap = n * 2;
        free(srv->pfd);
        free(srv->pconn);
        srv->pfd = malloc(srv->poll_cap * sizeof *srv->pfd);
        srv->pconn = malloc(srv->poll_cap * sizeof *srv->pconn);
        if (srv->pfd == NULL || srv->pconn == NULL)
            abort();
    }
    size_t k = 0;
    uv_os_fd_t fd;
    for (int i = 0; i < srv->nlisteners; i++) {
        if (uv_fileno((uv_handle_t *)&srv->listeners[i], &fd) != 0)
            continue;
        srv->pfd[k] = (struct pollfd){.fd = fd, .events = POLLIN};
        srv->pconn[k++] = NULL; /* a listener */
    }
    for (struct srv_conn *c = srv->conns; c; c = c->next) {
        if (c == caller || uv_fileno((uv_handle_t *)&c->handle, &fd) != 0)
            continue;
        srv->pfd[k] = (struct pollfd){.fd = fd, .events = POLLIN};
        srv->pconn[k++] = c;
    }
    if (poll(srv->pfd, (nfds_t)k, 0) > 0) {
        srv->in_script = true;
        /* A SHUTDOWN NOSAVE among the commands closes every socket. */
        for (size_t i = 0; i < k && !srv->stopping; i++) {
            if (!(srv->pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (srv->pconn[i] == NULL)
                accept_now(srv, srv->pfd[i].fd);
            else if (!srv->pconn[i]->closing)
                read_now(srv->pconn[i], srv->pfd[i].fd);
        }
        srv->in_script = false;
    }
    /* Write the replies, not the caller's. */
    struct srv_conn *list = take_pending(srv);
    bool caller_pending = false;
    while (list) {
        struct srv_conn *c = list;
        list = c->next_pending;
        c->on_pending = false;
        if (c == caller)
            caller_pending = true;
        else
            flush(c);
    }
    if (caller_pending)
        schedule_flush(caller);
}

/* ------------------------------------------------------------------------
 * Background work and configuration
 * ------------------------------------------------------------------------ */

/* Background work left over by a tick (a backlog of expired keys, a big
 * flush, a rehash) runs in 1 ms slices every millisecond until done, so no
 * command waits more than a slice for it; an eviction over maxmemory runs
 * its slices (maxmemory-eviction-tenacity's time) every loop turn, the
 * clients served between two, as Redis's eviction time event. */
static void on_evict(uv_idle_t *h)
{
    struct respite_server *srv = h->data;
    int more = respite_tick(srv->st, BG_SLICE_US);
    if (!respite_evicting(srv->st)) {
        uv_idle_stop(h);
        if (more)
            kick_bg(srv);
    }
    serve_ready(srv); /* clients the tick unblocked */
}

static void on_bg(uv_timer_t *t)
{
    struct respite_server *srv = t->data;
    if (!respite_tick(srv->st, BG_SLICE_US))
        uv_timer_stop(t);
    else if (respite_evicting(srv->st))
        uv_idle_start(&srv->evict, on_evict); /* a tick every loop turn from now on */
    serve_ready(srv); /* clients the tick unblocked */
}

/* A key's deadline passed: a tick reclaims what is due, as the cron's. */
static void on_exp_timer(uv_timer_t *t)
{
    struct respite_server *srv = t->data;
    srv->exp_armed = -1;
    if (respite_tick(srv->st, BG_SLICE_US))
        kick_bg(srv);
    serve_ready(srv); /* clients the tick unblocked; arms the timer again */
}

/* A client's reply chunks sized by their peak (rbp), as Redis's
 * clientsCronResizeOutputBuffer sizes its reply buffer: halved down to
 * the peak (RB_MIN_BYTES at least) while the peak fills less than half,
 * doubled up to RESP_CHUNK_SIZE while it fills them whole; then the peak
 * restarts, from what is pending now, every reply_buffer_peak_reset_ms
 * (-1 never). DEBUG REPLYBUFFER RESIZING 0 stops both, as in Redis. */
static void reply_buffer_cron(struct respite_server *srv, struct srv_conn *c, int64_t now)
{
    if (!srv->cfg.reply_buffer_resizing)
        return;
    struct resp_out *o = respite_client_output(c->cl);
    size_t size = o->chunk_size, resized = 0;
    if (size / 2 >= RB_MIN_BYTES && c->rbp < size / 2)
        resized = c->rbp + 1 > RB_MIN_BYTES ? c->rbp + 1 : RB_MIN_BYTES;
    else if (size * 2 < 2 * RESP_CHUNK_SIZE && c->rbp >= size)
        resized = size * 2 < RESP_CHUNK_SIZE ? size * 2 : RESP_CHUNK_SIZE;
    long long reset = srv->cfg.reply_buffer_peak_reset_ms;
    if (reset >= 0 && now - c->rbp_since_ms >= reset) {
        c->rbp = o->nbytes < size ? o->nbytes : size;
        c->rbp_since_ms = now;
    }
    if (resized) {
        resp_out_set_chunk_size(o, resized);
        respite_stat_add(srv->st,
                         resized < size ? RESPITE_STAT_REPLY_BUFFER_SHRINKS
                                        : RESPITE_STAT_REPLY_BUFFER_EXPANDS,
                         1);
    }
}

static void on_cron(uv_timer_t *t)
{
    struct respite_server *srv = t->data;
    int64_t now = real_ms();
    respite_persist_cron(srv->st);
    if (respite_tick(srv->st, BG_SLICE_US))
        kick_bg(srv);
    serve_ready(srv); /* clients the tick unblocked */
    for (struct srv_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->writing) {
            /* libuv calls back only when a whole write is out: a queue that
             * shrank means the peer took some of it since the last cron. */
            size_t wq = uv_stream_get_write_queue_size((uv_stream_t *)&c->handle);
            if (wq != c->wq_seen)
                c->last_ms = now;
            c->wq_seen = wq;
        }
        /* A blocked client is waiting, not idle, and so are a subscriber
         * and a monitor (Redis exempts them). A client whose replies drain is not idle
         * either (every write counts as an interaction), but one that
         * stopped reading them is. */
        if (srv->cfg.timeout > 0 &&
            !(respite_client_flags(c->cl) & (RESPITE_BLOCKED | RESPITE_PUBSUB | RESPITE_MONITOR)) &&
            now - c->last_ms > (int64_t)srv->cfg.timeout * 1000) {
            conn_close(c);
            continue;
        }
        if (c->writing && close_if_over_limits(c))
            continue; /* a soft limit's seconds ran out while it did not read */
        reply_buffer_cron(srv, c, now);
        /* A client idle for a while keeps no buffers: thousands of idle
         * connections then cost only their structs. */
        if (now - c->last_ms > IDLE_BUFFERS_MS && !c->writing && c->qlen == c->qpos) {
            free(c->qbuf);
            c->qbuf = NULL;
            c->qpos = c->qlen = c->qcap = 0;
            resp_out_drop_spare(respite_client_output(c->cl));
        }
    }
}

static void on_config_changed(void *ud, const char *name)
{
    struct respite_server *srv = ud;
    respite_net_config(srv->st, &srv->cfg);
    srv_log_configure(&srv->log, srv->cfg.loglevel, NULL);
    if (strcmp(name, "hz") == 0)
        uv_timer_start(&srv->cron, on_cron, (uint64_t)(1000 / srv->cfg.hz),
                       (uint64_t)(1000 / srv->cfg.hz));
    if (strcmp(name, "proto-max-bulk-len") == 0)
        for (struct srv_conn *c = srv->conns; c; c = c->next)
            c->parser.max_bulk_len = srv->cfg.proto_max_bulk_len;
    if (strcmp(name, "client-output-buffer-limit") == 0)
        for (struct srv_conn *c = srv->conns; c; c = c->next)
            resp_out_set_limit(respite_client_output(c->cl),
                               (size_t)srv->cfg.obuf[c->obuf_class].hard);
}

/* Close every handle the server opened, once; the loop then ends when their
 * close callbacks have run. */
static void close_handles(struct respite_server *srv)
{
    if (srv->handles_closed)
        return;
    srv->handles_closed = true;
    /* First: the handler wakes the loop through srv->wakeup, closed below. */
    if (srv->signals) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
    }
    for (int i = 0; i < srv->nlisteners; i++)
        uv_close((uv_handle_t *)&srv->listeners[i], NULL);
    if (srv->timers_open) {
        uv_close((uv_handle_t *)&srv->flusher, NULL);
        uv_close((uv_handle_t *)&srv->el_prepare, NULL);
        uv_close((uv_handle_t *)&srv->cron, NULL);
        uv_close((uv_handle_t *)&srv->bg, NULL);
        uv_close((uv_handle_t *)&srv->evict, NULL);
        uv_close((uv_handle_t *)&srv->blk_timer, NULL);
        uv_close((uv_handle_t *)&srv->exp_timer, NULL);
        uv_close((uv_handle_t *)&srv->wakeup, NULL);
    }
}

static void stop_loop(struct respite_server *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    /* Let this turn's replies go out, then close everything. */
    serve_ready(srv);
    for (struct srv_conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        conn_close(c);
    }
    close_handles(srv);
}

static void on_shutdown(void *ud, int flags)
{
    (void)flags;
    stop_loop(ud);
}

static void on_log(void *ud, int level, const char *msg)
{
    struct respite_server *srv = ud;
    srv_log(&srv->log, level, "%s", msg);
}

/* The loading hook: serve the clients as during a long script, with no
 * caller to leave alone. */
static void on_loading(void *ud)
{
    on_script_busy(ud, NULL);
}

static const struct respite_hooks server_hooks = {on_shutdown, on_config_changed, on_log,
                                                   on_script_busy, on_loading};

/* The server of respite_server_catch_signals (a handler has no user
 * data: one such server a process), and the first signal it caught. */
static struct respite_server *sig_srv;
static volatile sig_atomic_t sig_caught;

/* The shutdown a signal asked for, in the loop: the final save when save
 * points are set (respite_shutdown); if it fails the server stays up, as
 * Redis does, and a later signal tries again. */
static void signal_shutdown(struct respite_server *srv)
{
    const char *name = sig_caught == SIGINT ? "SIGINT" : "SIGTERM";
    if (respite_shutdown(srv->st, 0) != 0) {
        srv_log(&srv->log, SRV_LOG_WARNING, "%s received but errors trying to shut down the "
                "server, check the logs for more information", name);
        sig_caught = 0;
        return;
    }
    stop_loop(srv);
}

static void on_wakeup(uv_async_t *a)
{
    struct respite_server *srv = a->data;
    el_woke(srv);
    if (sig_caught && srv == sig_srv)
        signal_shutdown(srv);
    else
        stop_loop(srv);
}

/* SIGINT, SIGTERM: as Redis 7.4's sigShutdownHandler, log at once and
 * stop at the loop's next turn -- which, while a script runs, is after
 * it ends (the script_busy hook serves sockets, not this): the server
 * answers -BUSY meanwhile and stops once SCRIPT KILL or the script's end
 * lets it. A second SIGINT meanwhile exits at once with status 1 (the way
 * out of an unkillable script from a terminal). */
static void on_signal(int signum)
{
    struct respite_server *srv = sig_srv;
    if (sig_caught && signum == SIGINT) {
        srv_log_from_handler(&srv->log, SRV_LOG_WARNING, "You insist... exiting now.");
        _exit(1);
    }
    srv_log_from_handler(&srv->log, SRV_LOG_WARNING,
                         signum == SIGINT ? "Received SIGINT scheduling shutdown..."
                                          : "Received SIGTERM scheduling shutdown...");
    sig_caught = signum;
    uv_async_send(&srv->wakeup); /* async-signal-safe (libuv's uv_async_send) */
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

static int listen_on(struct respite_server *srv, const char *host, int port, char *err,
                     size_t errlen)
{
    struct sockaddr_storage ss;
    const char *h = strcmp(host, "*") == 0 ? "0.0.0.0" : host;
    if (uv_ip4_addr(h, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(strcmp(host, "::*") == 0 ? "::" : h, port, (struct sockaddr_in6 *)&ss) != 0) {
        snprintf(err, errlen, "Invalid bind address '%s'", host);
        return -1;
    }
    uv_tcp_t *l = &srv->listeners[srv->nlisteners];
    uv_tcp_init(&srv->loop, l);
    l->data = srv;
    int r = uv_tcp_bind(l, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)l, 511, on_connection);
    if (r != 0) {
        snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s", host, port,
                 uv_strerror(r));
        uv_close((uv_handle_t *)l, NULL);
        uv_run(&srv->loop, UV_RUN_NOWAIT);
        return -1;
    }
    if (srv->port == 0) {
        int len = sizeof ss;
        uv_tcp_getsockname(l, (struct sockaddr *)&ss, &len);
        srv->port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                            : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    srv->nlisteners++;
    return 0;
}

struct respite_server *respite_server_new(struct respite *st, char *err, size_t errlen)
{
    struct respite_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        abort();
    srv->st = st;
    srv->pending_tail = &srv->pending;
    respite_net_config(st, &srv->cfg);
    if (srv_log_open(&srv->log, srv->cfg.loglevel, srv->cfg.logfile) != 0) {
        snprintf(err, errlen, "Can't open the log file: %s", strerror(errno));
        free(srv);
        return NULL;
    }
    uv_loop_init(&srv->loop);
    srv->port = srv->cfg.port;
    char addrs[sizeof srv->cfg.bind];
    snprintf(addrs, sizeof addrs, "%s", srv->cfg.bind);
    char *save = NULL;
    for (char *a = strtok_r(addrs, " \t", &save); a && srv->nlisteners < MAX_LISTENERS;
         a = strtok_r(NULL, " \t", &save)) {
        bool optional = a[0] == '-';
        char tmp[256];
        if (listen_on(srv, optional ? a + 1 : a, srv->port, tmp, sizeof tmp) != 0) {
            if (optional)
                continue;
            snprintf(err, errlen, "%s", tmp);
            respite_server_free(srv);
            return NULL;
        }
    }
    if (srv->nlisteners == 0) {
        snprintf(err, errlen, "Failed listening on port %d (tcp), aborting.", srv->cfg.port);
        respite_server_free(srv);
        return NULL;
    }
    if (srv->cfg.port == 0) {
        /* Port 0 picked a free port: record it, so CONFIG GET port and INFO's tcp_port
         * name the port clients reach. Refused only when in-process clients already
         * exist; the parameter then keeps saying 0. */
        char port[16], ignored[128];
        snprintf(port, sizeof port, "%d", srv->port);
        if (respite_config_set(st, "port", port, ignored, sizeof ignored) == 0)
            srv->cfg.port = srv->port;
    }
    uv_check_init(&srv->loop, &srv->flusher);
    srv->flusher.data = srv;
    uv_check_start(&srv->flusher, on_check);
    uv_prepare_init(&srv->loop, &srv->el_prepare);
    srv->el_prepare.data = srv;
    uv_prepare_start(&srv->el_prepare, on_prepare);
    uv_timer_init(&srv->loop, &srv->cron);
    srv->cron.data = srv;
    uv_timer_start(&srv->cron, on_cron, (uint64_t)(1000 / srv->cfg.hz),
                   (uint64_t)(1000 / srv->cfg.hz));
    uv_timer_init(&srv->loop, &srv->bg);
    srv->bg.data = srv;
    uv_idle_init(&srv->loop, &srv->evict);
    srv->evict.data = srv;
    uv_timer_init(&srv->loop, &srv->blk_timer);
    srv->blk_timer.data = srv;
    srv->blk_armed = -1;
    uv_timer_init(&srv->loop, &srv->exp_timer);
    srv->exp_timer.data = srv;
    srv->exp_armed = -1;
    uv_async_init(&srv->loop, &srv->wakeup, on_wakeup);
    srv->wakeup.data = srv;
    srv->timers_open = true;
    respite_set_hooks(st, &server_hooks, srv);
    return srv;
}

int respite_server_port(const struct respite_server *srv)
{
    return srv->port;
}

void respite_server_catch_signals(struct respite_server *srv)
{
    srv->signals = true;
    sig_srv = srv;
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int respite_server_run(struct respite_server *srv)
{
    if (!srv->stopping) /* a SHUTDOWN may have come while the data loaded */
        srv_log(&srv->log, SRV_LOG_NOTICE, "Ready to accept connections tcp");
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    return 0;
}

static void thread_main(void *arg)
{
    respite_server_run(arg);
}

int respite_server_start(struct respite_server *srv)
{
    if (uv_thread_create(&srv->thread, thread_main, srv) != 0)
        return -1;
    srv->threaded = true;
    return 0;
}

void respite_server_stop(struct respite_server *srv)
{
    uv_async_send(&srv->wakeup);
    if (srv->threaded) {
        uv_thread_join(&srv->thread);
        srv->threaded = false;
    }
}

void respite_server_free(struct respite_server *srv)
{
    if (srv == NULL)
        return;
    close_handles(srv); /* never ran, or was not stopped */
    uv_run(&srv->loop, UV_RUN_DEFAULT);
    uv_loop_close(&srv->loop);
    respite_set_hooks(srv->st, NULL, NULL);
    srv_log_close(&srv->log);
    free(srv->pfd);
    free(srv->pconn);
    free(srv);
}
