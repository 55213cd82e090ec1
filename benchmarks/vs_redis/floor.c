/* SPDX-License-Identifier: BSD-3-Clause
 *
 * floor: the least a RESP server can do, for measuring the kernel's share of a
 * benchmark. It parses each command only as far as RESP framing needs and
 * answers +PONG to PING and :0 to anything else, with the system calls Redis
 * and respite make (level-triggered epoll, one read of up to 64 KB a ready
 * connection, one write of the replies of what was read). Its CPU time a
 * request is what any server making those calls pays however little it does
 * itself: bench.py runs it in place of respite-server, e.g.
 *
 *   cc -O2 -o /tmp/floor benchmarks/vs_redis/floor.c
 *   benchmarks/vs_redis/bench.py --respite /tmp/floor --redis REDIS --client loadgen \
 *       --taskset --split --tests getbit,setbit
 *
 * (its replies are not Redis's: the figure is its CPU, not its answers).
 * Arguments: --port N (default 6379); --bind ADDR; any other pair is ignored, so
 * that it takes a redis-server's command line. A benchmark tool, not a server.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (64 * 1024)

struct conn {
    int fd;
    size_t len;          /* bytes in in[] */
    char in[BUF];
    char out[BUF * 2];   /* a reply is at most 7 bytes, a command at least 4 */
};

/* The length of one complete command at p (a RESP array of bulk strings or
 * an inline line), 0 if incomplete; *ping whether it is PING. */
static size_t command_len(const char *p, size_t n, int *ping)
{
    const char *end = p + n, *q = p;
    *ping = 0;
    if (*p != '*') {
        const char *nl = memchr(p, '\n', n);
        if (nl == NULL)
            return 0;
        *ping = nl - p >= 4 && strncasecmp(p, "ping", 4) == 0;
        return (size_t)(nl - p) + 1;
    }
    if ((q = memchr(p, '\n', n)) == NULL)
        return 0;
    long argc = strtol(p + 1, NULL, 10);
    q++;
    for (long i = 0; i < argc; i++) {
        if (q >= end || *q != '$')
            return 0;
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (nl == NULL)
            return 0;
        long len = strtol(q + 1, NULL, 10);
        if (end - (nl + 1) < len + 2)
            return 0;
        if (i == 0)
            *ping = len == 4 && strncasecmp(nl + 1, "ping", 4) == 0;
        q = nl + 1 + len + 2;
    }
    return (size_t)(q - p);
}

static void serve(struct conn *c)
{
    ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
    if (r <= 0) {
        if (r < 0 && errno == EAGAIN)
            return;
        close(c->fd);
        free(c);
        return;
    }
    c->len += (size_t)r;
    size_t off = 0, olen = 0, n;
    int ping;
    while (off < c->len && (n = command_len(c->in + off, c->len - off, &ping)) > 0) {
        const char *reply = ping ? "+PONG\r\n" : ":0\r\n";
        size_t rl = strlen(reply);
        memcpy(c->out + olen, reply, rl);
        olen += rl;
        off += n;
    }
    memmove(c->in, c->in + off, c->len - off);
    c->len -= off;
    /* Loopback with small replies: the socket buffer takes them whole. */
    if (olen && write(c->fd, c->out, olen) < 0) {
        close(c->fd);
        free(c);
    }
}

int main(int argc, char **argv)
{
    int port = 6379;
    const char *bind_addr = "127.0.0.1";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--bind") == 0)
            bind_addr = argv[i + 1];
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, bind_addr, &sa.sin_addr);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 511) != 0) {
        perror("floor: bind");
        return 1;
    }
    printf("floor: port=%d\n", port);
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr != NULL) {
                serve(evs[i].data.ptr);
                continue;
            }
            int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
            if (fd < 0)
                continue;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct conn *c = calloc(1, sizeof *c);
            c->fd = fd;
            struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
    }
}
