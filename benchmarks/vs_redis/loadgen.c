/* loadgen.c: a load generator for the bench.py tests redis-benchmark cannot
 * express, because one operation is more than one command, or because a
 * random number is an integer argument (redis-benchmark writes __rand_int__
 * as 12 zero-padded digits, which Redis does not read as an integer):
 *
 *   multi       MULTI; SET key:R v; INCR counter:R; LPUSH list:R v; EXEC
 *               (one operation = one transaction of three writes, 5 replies)
 *   xreadgroup  XREADGROUP GROUP g c<conn> COUNT 1 STREAMS s:group >, then
 *               XACK s:group g <id read>  (one operation = one read + its ack)
 *   command     the command given after "--", each __rand_int__ in its words
 *               replaced by an R of its own in plain decimal (SETBIT mybitmap
 *               __rand_int__ 1),
 *               or with --pad as redis-benchmark writes it, 12 zero-padded
 *               digits (ZSCORE myzset element:__rand_int__)
 *
 * It works like redis-benchmark: -c connections over 127.0.0.1, each sending a
 * batch of -P operations and waiting for all their replies before the next
 * batch, until -n operations in total have completed. For xreadgroup a batch
 * takes two round trips (the acks need the ids read). The stream s:group and
 * its group g must exist and hold at least -n unread entries (bench.py
 * prepares them, outside the measured window). R is uniform in [0, -r).
 *
 * It spends less of its one core per request than redis-benchmark (epoll, a
 * batch written as soon as it is made, commands made from a template), so a
 * server that redis-benchmark cannot keep busy is measured nearer its own
 * limit: bench.py --client loadgen runs the raw-command tests through it.
 *
 * Output: redis-benchmark's --csv shape, a header and one row
 * ("test","rps"), so bench.py reads both tools the same way. Server CPU is
 * measured by bench.py around the whole run. Exit status 1 on an error reply,
 * a closed connection or when --timeout seconds pass.
 *
 * Build: cc -O2 -std=c11 -o loadgen loadgen.c  (bench.py does this itself).
 * Not a test: ctest never runs it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum lg_test { LG_MULTI, LG_XREADGROUP, LG_COMMAND };

#define LG_ID_MAX 48 /* a stream id is at most 41 bytes: "<20 digits>-<20 digits>" */

struct lg_conn {
    int fd;
    char *rbuf; /* unparsed replies: rbuf[rpos..rlen) */
    size_t rpos, rlen, rcap;
    char *wbuf; /* requests not yet written: wbuf[wpos..wlen) */
    size_t wpos, wlen, wcap;
    long pending;       /* replies still expected for the round trip in flight */
    long batch;         /* operations in the batch in flight (0: idle) */
    int is_acking;      /* xreadgroup: the round trip in flight carries the XACKs */
    char (*ids)[LG_ID_MAX]; /* xreadgroup: ids read in this batch, -P of them */
    long nids;
    int index;
    int wants_out; /* EPOLLOUT asked for */
};

static enum lg_test test;
static char **cmd_words; /* LG_COMMAND: the command, with __rand_int__ placeholders */
static int ncmd_words;
static long nops = 100000, npipeline = 1, keyspace = 100000;
static long issued, completed;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p)
        die("out of memory");
    return p;
}

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Appends one command of argc words to c's write buffer. */
static void put_argv(struct lg_conn *c, int argc, const char *const *argv)
{
    size_t need = 16;
    for (int i = 0; i < argc; i++)
        need += strlen(argv[i]) + 32;
    if (c->wlen + need > c->wcap) {
        c->wcap = (c->wlen + need) * 2;
        c->wbuf = xrealloc(c->wbuf, c->wcap);
    }
    c->wlen += sprintf(c->wbuf + c->wlen, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        c->wlen += sprintf(c->wbuf + c->wlen, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
}

/* Appends one command, given as NULL-terminated strings, to c's write buffer. */
static void put_cmd(struct lg_conn *c, ...)
{
    const char *argv[16];
    int argc = 0;
    va_list ap;
    va_start(ap, c);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 16;)
        argv[argc++] = a;
    va_end(ap);
    put_argv(c, argc, argv);
}

/* LG_COMMAND's words, split at their __rand_int__ marks once: a word without
 * one is written as its whole RESP bulk string, fixed[]. */
struct lg_word {
    const char *parts[8]; /* the text between marks: nparts of them, nparts - 1 marks */
    size_t lens[8];
    int nparts;
    char fixed[96];
    size_t fixed_len;
};
static struct lg_word words[16];
static int pad_rand; /* --pad: R as 12 zero-padded digits, as redis-benchmark writes it */
static char cmd_head[16];
static size_t cmd_head_len;

static void compile_command(void)
{
    static const char mark[] = "__rand_int__";
    cmd_head_len = (size_t)sprintf(cmd_head, "*%d\r\n", ncmd_words);
    for (int i = 0; i < ncmd_words; i++) {
        struct lg_word *w = &words[i];
        const char *t = cmd_words[i], *at;
        while ((at = strstr(t, mark)) != NULL && w->nparts < 7) {
            w->parts[w->nparts] = t;
            w->lens[w->nparts++] = (size_t)(at - t);
            t = at + sizeof mark - 1;
        }
        w->parts[w->nparts] = t;
        w->lens[w->nparts++] = strlen(t);
        if (w->nparts == 1)
            w->fixed_len = (size_t)sprintf(w->fixed, "$%zu\r\n%s\r\n", w->lens[0], t);
    }
}

/* v in decimal at out, zero-padded to width digits; returns the length. */
static size_t put_dec(char *out, unsigned long long v, size_t width)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n < width)
        tmp[n++] = '0';
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

/* Appends the command of LG_COMMAND, each __rand_int__ replaced by a number
 * of its own (as redis-benchmark draws them). */
static void put_command(struct lg_conn *c)
{
    if (c->wlen + 16 * 192 + 16 > c->wcap) {
        c->wcap = (c->wlen + 16 * 192 + 16) * 2;
        c->wbuf = xrealloc(c->wbuf, c->wcap);
    }
    char *o = c->wbuf + c->wlen;
    memcpy(o, cmd_head, cmd_head_len);
    o += cmd_head_len;
    for (int i = 0; i < ncmd_words; i++) {
        const struct lg_word *w = &words[i];
        if (w->nparts == 1) {
            memcpy(o, w->fixed, w->fixed_len);
            o += w->fixed_len;
            continue;
        }
        char word[160];
        size_t n = 0;
        for (int k = 0; k < w->nparts; k++) {
            memcpy(word + n, w->parts[k], w->lens[k]);
            n += w->lens[k];
            if (k + 1 < w->nparts)
                n += put_dec(word + n, next_rand() % (uint64_t)keyspace, pad_rand ? 12 : 1);
        }
        *o++ = '$';
        o += put_dec(o, n, 1);
        *o++ = '\r';
        *o++ = '\n';
        memcpy(o, word, n);
        o += n;
        *o++ = '\r';
        *o++ = '\n';
    }
    c->wlen = (size_t)(o - c->wbuf);
}

/* Queues the next batch of c, or leaves c idle when all operations are issued. */
static void start_batch(struct lg_conn *c)
{
    c->batch = npipeline < nops - issued ? npipeline : nops - issued;
    issued += c->batch;
    c->is_acking = 0;
    c->nids = 0;
    if (c->batch == 0)
        return;
    char consumer[32], key[48], counter[48], list[48];
    snprintf(consumer, sizeof consumer, "c%d", c->index);
    for (long i = 0; i < c->batch; i++) {
        if (test == LG_XREADGROUP) {
            put_cmd(c, "XREADGROUP", "GROUP", "g", consumer, "COUNT", "1", "STREAMS", "s:group",
                    ">", (char *)NULL);
            continue;
        }
        if (test == LG_COMMAND) {
            put_command(c);
            continue;
        }
        unsigned long long r = next_rand() % (uint64_t)keyspace;
        snprintf(key, sizeof key, "key:%012llu", r);
        snprintf(counter, sizeof counter, "counter:%012llu", r);
        snprintf(list, sizeof list, "list:%012llu", r);
        put_cmd(c, "MULTI", (char *)NULL);
        put_cmd(c, "SET", key, "xxx", (char *)NULL);
        put_cmd(c, "INCR", counter, (char *)NULL);
        put_cmd(c, "LPUSH", list, "xxx", (char *)NULL);
        put_cmd(c, "EXEC", (char *)NULL);
    }
    c->pending = test == LG_MULTI ? 5 * c->batch : c->batch;
}

/* Parses one reply at b[pos..len). Returns the offset after it, or 0 if it is
 * incomplete. Sets *has_error for an error reply at any depth, *is_null for a
 * null at the top level, and copies the second bulk string met (depth first)
 * into id: in an XREADGROUP reply, the id of the first entry read. */
static size_t parse_reply(const char *b, size_t len, size_t pos, int depth, int *nbulk, char *id,
                          int *has_error, int *is_null)
{
    if (pos >= len)
        return 0;
    const char *nl = memchr(b + pos, '\r', len - pos);
    if (!nl || (size_t)(nl - b) + 1 >= len)
        return 0;
    size_t after = (size_t)(nl - b) + 2;
    long n = strtol(b + pos + 1, NULL, 10);
    switch (b[pos]) {
    case '-':
    case '!':
        *has_error = 1;
        if (b[pos] == '!')
            return after + n + 2 <= len ? after + n + 2 : 0;
        return after;
    case '_':
        if (depth == 0)
            *is_null = 1;
        return after;
    case '+':
    case ':':
    case ',':
    case '#':
    case '(':
        return after;
    case '$':
    case '=':
        if (n < 0) {
            if (depth == 0)
                *is_null = 1;
            return after;
        }
        if (after + n + 2 > len)
            return 0;
        if (++*nbulk == 2 && n < LG_ID_MAX) {
            memcpy(id, b + after, n);
            id[n] = '\0';
        }
        return after + n + 2;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
        if (n < 0) {
            if (depth == 0)
                *is_null = 1;
            return after;
        }
        if (b[pos] == '%' || b[pos] == '|')
            n *= 2;
        for (long i = 0; i < n; i++) {
            after = parse_reply(b, len, after, depth + 1, nbulk, id, has_error, is_null);
            if (after == 0)
                return 0;
        }
        return after;
    default:
        die("unexpected reply byte 0x%02x", (unsigned char)b[pos]);
    }
    return 0;
}

/* Consumes the complete replies buffered on c and moves c to its next round trip. */
static void on_replies(struct lg_conn *c)
{
    while (c->pending > 0) {
        int nbulk = 0, has_error = 0, is_null = 0;
        char id[LG_ID_MAX] = "";
        size_t end = parse_reply(c->rbuf, c->rlen, c->rpos, 0, &nbulk, id, &has_error, &is_null);
        if (end == 0)
            break;
        if (has_error)
            die("error reply: %.*s", (int)(end - c->rpos - 2), c->rbuf + c->rpos);
        if (test == LG_XREADGROUP && !c->is_acking) {
            if (is_null || id[0] == '\0')
                die("XREADGROUP read nothing: s:group holds fewer unread entries than -n");
            memcpy(c->ids[c->nids++], id, LG_ID_MAX);
        }
        c->rpos = end;
        c->pending--;
    }
    if (c->rpos == c->rlen)
        c->rpos = c->rlen = 0;
    if (c->pending > 0 || c->batch == 0)
        return;
    if (test == LG_XREADGROUP && !c->is_acking) {
        c->is_acking = 1;
        for (long i = 0; i < c->nids; i++)
            put_cmd(c, "XACK", "s:group", "g", c->ids[i], (char *)NULL);
        c->pending = c->nids;
        return;
    }
    completed += c->batch;
    start_batch(c);
}

/* Writes what c has queued; what the socket does not take now waits for
 * EPOLLOUT (asked for only then: a batch is normally written whole at once). */
static void flush_writes(int ep, struct lg_conn *c)
{
    if (c->wpos < c->wlen) {
        ssize_t w = write(c->fd, c->wbuf + c->wpos, c->wlen - c->wpos);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            die("write: %s", strerror(errno));
        if (w > 0)
            c->wpos += (size_t)w;
    }
    int waiting = c->wpos < c->wlen;
    if (!waiting)
        c->wpos = c->wlen = 0;
    if (waiting != c->wants_out) {
        c->wants_out = waiting;
        struct epoll_event ev = {.events = EPOLLIN | (waiting ? EPOLLOUT : 0), .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
            die("epoll_ctl: %s", strerror(errno));
    }
}

static int connect_to(const char *host, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        die("bad host %s", host);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        die("connect %s:%d: %s", host, port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void usage(void)
{
    fputs("usage: loadgen -t multi|xreadgroup [-h 127.0.0.1] -p PORT [-c 50] [-n 100000]\n"
          "               [-P 1] [-r 100000] [--timeout 300]\n"
          "       loadgen -t command [options] [--pad 1] -- WORD... (at most 16 words of 64\n"
          "               bytes; --pad 1: __rand_int__ as 12 zero-padded digits)\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *name = NULL;
    int port = 0, nconns = 50;
    double timeout = 300;
    int nopts = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            nopts = i;
            cmd_words = argv + i + 1;
            ncmd_words = argc - i - 1;
            break;
        }
    }
    for (int i = 1; i + 1 < nopts; i += 2) {
        const char *opt = argv[i], *val = argv[i + 1];
        if (!strcmp(opt, "-t"))
            name = val;
        else if (!strcmp(opt, "-h"))
            host = val;
        else if (!strcmp(opt, "-p"))
            port = atoi(val);
        else if (!strcmp(opt, "-c"))
            nconns = atoi(val);
        else if (!strcmp(opt, "-n"))
            nops = atol(val);
        else if (!strcmp(opt, "-P"))
            npipeline = atol(val);
        else if (!strcmp(opt, "-r"))
            keyspace = atol(val);
        else if (!strcmp(opt, "--timeout"))
            timeout = atof(val);
        else if (!strcmp(opt, "--pad"))
            pad_rand = atoi(val) != 0;
        else
            usage();
    }
    if (nopts % 2 == 0 || !name || port <= 0 || nconns < 1 || nops < 1 || npipeline < 1 ||
        keyspace < 1 || timeout <= 0)
        usage();
    if (!strcmp(name, "multi"))
        test = LG_MULTI;
    else if (!strcmp(name, "xreadgroup"))
        test = LG_XREADGROUP;
    else if (!strcmp(name, "command"))
        test = LG_COMMAND;
    else
        usage();
    if ((test == LG_COMMAND) != (ncmd_words > 0) || ncmd_words > 16)
        usage();
    for (int i = 0; i < ncmd_words; i++)
        if (strlen(cmd_words[i]) > 64)
            usage();

    if (test == LG_COMMAND)
        compile_command();
    struct lg_conn *conns = calloc((size_t)nconns, sizeof *conns);
    struct epoll_event *evs = calloc((size_t)nconns, sizeof *evs);
    int ep = epoll_create1(0);
    if (!conns || !evs || ep < 0)
        die("out of memory");
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = connect_to(host, port);
        conns[i].index = i;
        conns[i].ids = xrealloc(NULL, (size_t)npipeline * LG_ID_MAX);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev) != 0)
            die("epoll_ctl: %s", strerror(errno));
    }
    double t0 = now_s(), deadline = t0 + timeout;
    for (int i = 0; i < nconns; i++) {
        start_batch(&conns[i]);
        flush_writes(ep, &conns[i]);
    }
    while (completed < nops) {
        double left = deadline - now_s();
        if (left <= 0)
            die("timed out after %.0f s with %ld of %ld operations done", timeout, completed, nops);
        int k = epoll_wait(ep, evs, nconns, (int)(left * 1000) + 1);
        if (k < 0 && errno != EINTR)
            die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < k; i++) {
            struct lg_conn *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT)
                flush_writes(ep, c);
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                continue;
            if (c->rcap - c->rlen < 65536) {
                c->rcap = c->rcap * 2 + 65536;
                c->rbuf = xrealloc(c->rbuf, c->rcap);
            }
            ssize_t r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
            if (r == 0)
                die("the server closed connection %d", c->index);
            if (r < 0 && errno != EAGAIN && errno != EINTR)
                die("read: %s", strerror(errno));
            if (r > 0) {
                c->rlen += (size_t)r;
                on_replies(c);
                flush_writes(ep, c); /* the next round trip, at once */
            }
        }
    }
    double elapsed = now_s() - t0;
    printf("\"test\",\"rps\"\n\"%s\",\"%.2f\"\n",
           test == LG_MULTI ? "MULTI" : test == LG_COMMAND ? cmd_words[0] : "XREADGROUP+XACK",
           nops / elapsed);
    return 0;
}
