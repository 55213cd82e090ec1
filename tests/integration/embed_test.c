/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Embedding test: a program linked against librespite uses the store in-process
 * (respite_exec for raw RESP bytes, respite_command for parsed replies), expires a key by
 * substituting the store's clock, then serves the same store over TCP from a background
 * thread (respite_server_start) and talks to it with a plain socket on 127.0.0.1, before
 * stopping and freeing everything. respite_script_kill stops endless scripts and
 * functions that another pthread runs, in process and served over TCP, with what it
 * answers when none runs, one of the other kind does, or one wrote. BGSAVE forks from
 * such a host, whose other threads allocate meanwhile. Any mismatch prints what was
 * expected and what came,
 * and exits 1; ASan/UBSan in the test build catch leaks and misuse on the way.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "respite.h"
#include "respite_server.h"

static int nchecks;

static void fail(const char *where, int line, const char *what)
{
    fprintf(stderr, "embed_test.c:%d: %s: %s\n", line, where, what);
    exit(1);
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        nchecks++;                                                                                 \
        if (!(cond))                                                                               \
            fail(__func__, __LINE__, #cond);                                                       \
    } while (0)

/* Print both sides with escapes so a CRLF difference is visible. */
static void print_escaped(const char *label, const char *p, size_t len)
{
    fprintf(stderr, "  %s \"", label);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\r')
            fputs("\\r", stderr);
        else if (ch == '\n')
            fputs("\\n", stderr);
        else if (ch < 32 || ch > 126)
            fprintf(stderr, "\\x%02x", ch);
        else
            fputc(ch, stderr);
    }
    fputs("\"\n", stderr);
}

static void check_bytes(int line, const char *got, size_t got_len, const char *want)
{
    nchecks++;
    if (got_len == strlen(want) && memcmp(got, want, got_len) == 0)
        return;
    fprintf(stderr, "embed_test.c:%d: reply mismatch\n", line);
    print_escaped("expected", want, strlen(want));
    print_escaped("got     ", got, got_len);
    exit(1);
}

/* Run a command given as NUL-terminated words and compare its raw RESP reply. */
#define EXPECT(cl, want, ...)                                                                      \
    do {                                                                                           \
        const char *argv_[] = {__VA_ARGS__};                                                       \
        int argc_ = (int)(sizeof argv_ / sizeof *argv_);                                           \
        size_t len_;                                                                               \
        const char *r_ = respite_exec(cl, argc_, argv_, NULL, &len_);                              \
        check_bytes(__LINE__, r_, len_, want);                                                     \
    } while (0)

/* ------------------------------------------------------------------------
 * A clock the test moves by hand
 * ------------------------------------------------------------------------ */

static int64_t fake_clock(void *ud)
{
    return *(const int64_t *)ud;
}

/* ------------------------------------------------------------------------
 * Lazy freeing with the embedder's ticks
 * ------------------------------------------------------------------------ */

/* HSET key with n fields, a thousand a command. */
static void fill_hash(struct respite_client *c, const char *key, int n)
{
    static char names[1000][16];
    const char *argv[2 + 2 * 1000];
    for (int start = 0; start < n; start += 1000) {
        int argc = 0;
        argv[argc++] = "HSET";
        argv[argc++] = key;
        for (int i = start; i < n && i < start + 1000; i++) {
            snprintf(names[i - start], sizeof names[0], "f%d", i);
            argv[argc++] = names[i - start];
            argv[argc++] = "v";
        }
        size_t len;
        const char *r = respite_exec(c, argc, argv, NULL, &len);
        CHECK(r[0] == ':');
    }
}

/* INFO memory's field name as a number. */
static long long info_memory(struct respite_client *c, const char *name)
{
    const char *argv[] = {"INFO", "memory"};
    size_t len;
    const char *r = respite_exec(c, 2, argv, NULL, &len);
    const char *p = strstr(r, name);
    CHECK(p != NULL && p[strlen(name)] == ':');
    return atoll(p + strlen(name) + 1);
}

/* An embedder that ticks gets big values freed by its ticks; what is still
 * queued at respite_close is freed there (LeakSanitizer checks at exit). */
static void test_lazy_free(struct respite *st)
{
    struct respite_client *c = respite_client_new(st);
    EXPECT(c, "+OK\r\n", "FLUSHALL");
    long long base = info_memory(c, "used_memory");
    respite_tick(st, 0);
    fill_hash(c, "big", 20000);
    EXPECT(c, ":1\r\n", "UNLINK", "big");
    CHECK(info_memory(c, "lazyfree_pending_objects") == 1);
    int ticks = 0;
    while (respite_tick(st, 1000) && ticks < 100000)
        ticks++;
    CHECK(info_memory(c, "lazyfree_pending_objects") == 0);
    CHECK(info_memory(c, "lazyfreed_objects") == 1);
    CHECK(info_memory(c, "used_memory") == base);

    fill_hash(c, "big", 20000);
    fill_hash(c, "big2", 20000);
    EXPECT(c, ":1\r\n", "UNLINK", "big");
    EXPECT(c, "+OK\r\n", "FLUSHALL", "ASYNC");
    CHECK(info_memory(c, "lazyfree_pending_objects") == 2);
    respite_client_free(c);
}

/* ------------------------------------------------------------------------
 * In-process
 * ------------------------------------------------------------------------ */

static void test_in_process(struct respite *st)
{
    struct respite_client *c = respite_client_new(st);
    CHECK(c != NULL);

    EXPECT(c, "+PONG\r\n", "PING");
    EXPECT(c, "+OK\r\n", "SET", "greeting", "hello");
    EXPECT(c, "$5\r\nhello\r\n", "GET", "greeting");
    EXPECT(c, "$-1\r\n", "GET", "missing");
    EXPECT(c, ":1\r\n", "INCR", "counter");
    EXPECT(c, ":11\r\n", "INCRBY", "counter", "10");
    EXPECT(c, "+OK\r\n", "MSET", "project:7:a", "1", "project:{8}:b", "2");
    EXPECT(c, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n", "MGET", "project:7:a", "project:{8}:b", "x");
    EXPECT(c, "-ERR value is not an integer or out of range\r\n", "INCR", "greeting");
    EXPECT(c, "-ERR wrong number of arguments for 'get' command\r\n", "GET");
    EXPECT(c, "-ERR unknown command 'NOPE', with args beginning with: 'a' \r\n", "NOPE", "a");

    /* Binary-safe arguments with explicit lengths. */
    const char *bin_argv[] = {"SET", "bin", "a\0b\r\n"};
    const size_t bin_len[] = {3, 3, 5};
    size_t len;
    const char *r = respite_exec(c, 3, bin_argv, bin_len, &len);
    check_bytes(__LINE__, r, len, "+OK\r\n");
    EXPECT(c, ":5\r\n", "STRLEN", "bin");

    /* Parsed replies. */
    const char *get_argv[] = {"GET", "greeting"};
    struct respite_reply *rep = respite_command(c, 2, get_argv, NULL);
    CHECK(rep != NULL);
    CHECK(rep->type == RESPITE_REPLY_STRING);
    CHECK(rep->len == 5 && memcmp(rep->str, "hello", 5) == 0);
    respite_reply_free(rep);

    const char *mget_argv[] = {"MGET", "greeting", "missing", "counter"};
    rep = respite_command(c, 4, mget_argv, NULL);
    CHECK(rep != NULL && rep->type == RESPITE_REPLY_ARRAY && rep->elements == 3);
    CHECK(rep->element[0]->type == RESPITE_REPLY_STRING);
    CHECK(rep->element[1]->type == RESPITE_REPLY_NIL);
    CHECK(rep->element[2]->type == RESPITE_REPLY_STRING && strcmp(rep->element[2]->str, "11") == 0);
    respite_reply_free(rep);

    const char *incr_argv[] = {"INCR", "counter"};
    rep = respite_command(c, 2, incr_argv, NULL);
    CHECK(rep != NULL && rep->type == RESPITE_REPLY_INTEGER && rep->integer == 12);
    respite_reply_free(rep);

    const char *bad_argv[] = {"INCR", "greeting"};
    rep = respite_command(c, 2, bad_argv, NULL);
    CHECK(rep != NULL && rep->type == RESPITE_REPLY_ERROR);
    CHECK(strcmp(rep->str, "ERR value is not an integer or out of range") == 0);
    respite_reply_free(rep);

    /* Expiry through a substituted clock: an hour passes in no time. */
    int64_t now = 1700000000000;
    respite_set_clock(st, fake_clock, &now);
    EXPECT(c, "+OK\r\n", "SET", "session:42:state", "{\"step\":1}", "EX", "3600");
    EXPECT(c, "$10\r\n{\"step\":1}\r\n", "GET", "session:42:state");
    now += 3599 * 1000;
    EXPECT(c, "$10\r\n{\"step\":1}\r\n", "GET", "session:42:state");
    now += 1000; /* at the deadline itself the key is still there (expired once now > it) */
    EXPECT(c, ":0\r\n", "PTTL", "session:42:state");
    EXPECT(c, "$10\r\n{\"step\":1}\r\n", "GET", "session:42:state");
    now += 1;
    EXPECT(c, "$-1\r\n", "GET", "session:42:state");
    EXPECT(c, ":0\r\n", "EXISTS", "session:42:state");
    EXPECT(c, "+OK\r\n", "SET", "short", "v", "PX", "10");
    now += 11;
    EXPECT(c, "$-1\r\n", "GET", "short");
    respite_set_clock(st, NULL, NULL);
    EXPECT(c, "$5\r\nhello\r\n", "GET", "greeting");

    /* A second client has its own selected database. */
    struct respite_client *c2 = respite_client_new(st);
    EXPECT(c2, "+OK\r\n", "SELECT", "3");
    EXPECT(c2, "$-1\r\n", "GET", "greeting");
    EXPECT(c2, "+OK\r\n", "SET", "in3", "three");
    EXPECT(c, "$-1\r\n", "GET", "in3");
    respite_client_free(c2);

    respite_client_free(c);
}

/* ------------------------------------------------------------------------
 * Over TCP, served from a background thread
 * ------------------------------------------------------------------------ */

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct timeval tv = {10, 0}; /* no read or write may hang the test */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0);
    return fd;
}

/* Send req, read until exactly strlen(want) bytes came (or the peer stopped), compare. */
static void roundtrip(int line, int fd, const char *req, const char *want)
{
    size_t n = strlen(req);
    nchecks++;
    if (write(fd, req, n) != (ssize_t)n)
        fail(__func__, line, "short write");
    char buf[512];
    size_t want_len = strlen(want), got = 0;
    while (got < want_len && got < sizeof buf) {
        ssize_t r = read(fd, buf + got, sizeof buf - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    check_bytes(line, buf, got, want);
}

/* A server for st on a free loopback port, started on its background thread. */
static struct respite_server *serve_on_loopback(struct respite *st)
{
    char err[256];
    CHECK(respite_config_set(st, "port", "0", err, sizeof err) == 0);
    CHECK(respite_config_set(st, "bind", "127.0.0.1", err, sizeof err) == 0);
    CHECK(respite_config_set(st, "loglevel", "warning", err, sizeof err) == 0);
    struct respite_server *srv = respite_server_new(st, err, sizeof err);
    if (srv == NULL)
        fail(__func__, __LINE__, err);
    int port = respite_server_port(srv);
    CHECK(port > 0 && port < 65536);
    CHECK(respite_server_start(srv) == 0);
    return srv;
}

static void test_served(struct respite *st)
{
    struct respite_server *srv = serve_on_loopback(st);
    int port = respite_server_port(srv);

    int fd = connect_local(port);
    roundtrip(__LINE__, fd, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
    roundtrip(__LINE__, fd, "*2\r\n$3\r\nGET\r\n$8\r\ngreeting\r\n", "$5\r\nhello\r\n");
    roundtrip(__LINE__, fd, "GET counter\r\n", "$2\r\n12\r\n");
    roundtrip(__LINE__, fd, "SET from-tcp yes\r\n", "+OK\r\n");
    int fd2 = connect_local(port);
    roundtrip(__LINE__, fd2, "SELECT 3\r\nGET in3\r\n", "+OK\r\n$5\r\nthree\r\n");
    close(fd2);
    close(fd);

    respite_server_stop(srv);
    respite_server_free(srv);

    /* The store outlives its server: what came over TCP is there in-process. */
    struct respite_client *c = respite_client_new(st);
    EXPECT(c, "$3\r\nyes\r\n", "GET", "from-tcp");
    respite_client_free(c);
}

/* SHUTDOWN from a client of an embedded server ends its loop (the listener goes away) but
 * not the program: the embedder still stops and frees the server, and keeps its store. */
static void test_shutdown_command(struct respite *st)
{
    struct respite_server *srv = serve_on_loopback(st);
    int port = respite_server_port(srv);

    int fd = connect_local(port);
    roundtrip(__LINE__, fd, "SET before-shutdown 1\r\n", "+OK\r\n");
    /* No reply: the connection just closes (read() gives 0, not a timeout). */
    CHECK(write(fd, "SHUTDOWN\r\n", 10) == 10);
    char buf[256];
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf && (r = read(fd, buf + got, sizeof buf - got)) > 0)
        got += (size_t)r;
    check_bytes(__LINE__, buf, got, "");
    CHECK(r == 0);
    close(fd);

    /* The listener closes with the loop: new connections are refused (bounded wait). */
    int refused = 0;
    for (int i = 0; i < 500 && !refused; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        refused = connect(s, (struct sockaddr *)&a, sizeof a) != 0;
        close(s);
        if (!refused)
            usleep(10 * 1000);
    }
    CHECK(refused);

    respite_server_stop(srv);
    respite_server_free(srv);
    struct respite_client *c = respite_client_new(st);
    EXPECT(c, "$1\r\n1\r\n", "GET", "before-shutdown");
    respite_client_free(c);
}

/* ------------------------------------------------------------------------
 * respite_script_kill from another thread
 * ------------------------------------------------------------------------ */

/* A command the worker pthread runs on its own client: the store's thread, for as long
 * as the command runs. */
struct job {
    struct respite *st;
    const char *const *argv;
    int argc;
    char reply[256];
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    struct respite_client *c = respite_client_new(j->st);
    size_t len;
    const char *r = respite_exec(c, j->argc, j->argv, NULL, &len);
    snprintf(j->reply, sizeof j->reply, "%.*s", (int)len, r);
    respite_client_free(c);
    return NULL;
}

/* Ask for which until the request lands (the worker may not have started the script
 * yet: NOTBUSY until then; bounded to 10 s), and return what the last call said. */
static enum respite_kill_result kill_when_running(struct respite *st, enum respite_killer which)
{
    enum respite_kill_result r = RESPITE_KILL_NOTBUSY;
    for (int i = 0; i < 10000 && r == RESPITE_KILL_NOTBUSY; i++) {
        r = respite_script_kill(st, which);
        if (r == RESPITE_KILL_NOTBUSY)
            usleep(1000);
    }
    return r;
}

#define KILLED "-ERR Script killed by user with SCRIPT KILL... script: "

static void test_kill_from_another_thread(struct respite *st)
{
    struct respite_client *c = respite_client_new(st);
    CHECK(respite_script_kill(st, RESPITE_KILL_SCRIPT) == RESPITE_KILL_NOTBUSY);
    /* No busy-reply-threshold: no -BUSY, no SCRIPT KILL over the wire, and still the
     * host can stop the script. */
    EXPECT(c, "+OK\r\n", "CONFIG", "SET", "busy-reply-threshold", "0");
    const char *spin[] = {"EVAL", "local i = 0 while true do i = i + 1 end", "0"};
    struct job j = {st, spin, 3, ""};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, run_job, &j) == 0);
    CHECK(kill_when_running(st, RESPITE_KILL_FUNCTION) == RESPITE_KILL_OTHER);
    CHECK(respite_script_kill(st, RESPITE_KILL_SCRIPT) == RESPITE_KILL_ASKED);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(strncmp(j.reply, KILLED, strlen(KILLED)) == 0);
    CHECK(respite_script_kill(st, RESPITE_KILL_SCRIPT) == RESPITE_KILL_NOTBUSY);

    /* A function, with the default threshold: FUNCTION KILL's way. */
    EXPECT(c, "+OK\r\n", "CONFIG", "SET", "busy-reply-threshold", "5000");
    EXPECT(c, "$4\r\nspin\r\n", "FUNCTION", "LOAD",
           "#!lua name=spin\nredis.register_function('spin', function() "
           "local i = 0 while true do i = i + 1 end end)");
    const char *fcall[] = {"FCALL", "spin", "0"};
    j = (struct job){st, fcall, 3, ""};
    CHECK(pthread_create(&t, NULL, run_job, &j) == 0);
    CHECK(kill_when_running(st, RESPITE_KILL_FUNCTION) == RESPITE_KILL_ASKED);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(strncmp(j.reply, KILLED, strlen(KILLED)) == 0);

    /* A script that wrote runs to its end (a bounded one here). */
    const char *writer[] = {"EVAL",
                            "redis.call('SET', 'w', '1') local t = os.clock() "
                            "while os.clock() - t < 0.3 do end return 'done'",
                            "0"};
    j = (struct job){st, writer, 3, ""};
    CHECK(pthread_create(&t, NULL, run_job, &j) == 0);
    enum respite_kill_result r = kill_when_running(st, RESPITE_KILL_SCRIPT);
    CHECK(pthread_join(t, NULL) == 0);
    /* Asked before its SET ran, it still ends as an UNKILLABLE script does. */
    CHECK(r == RESPITE_KILL_UNKILLABLE || r == RESPITE_KILL_ASKED);
    check_bytes(__LINE__, j.reply, strlen(j.reply), "$4\r\ndone\r\n");
    respite_client_free(c);
}

/* The store served from the server's thread: a TCP client's endless script, stopped by
 * the host's thread. */
static void test_kill_served(struct respite *st)
{
    struct respite_server *srv = serve_on_loopback(st);
    int fd = connect_local(respite_server_port(srv));
    const char *req = "EVAL \"while true do end\" 0\r\n";
    CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    CHECK(kill_when_running(st, RESPITE_KILL_SCRIPT) == RESPITE_KILL_ASKED);
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK(n > (ssize_t)strlen(KILLED) && memcmp(buf, KILLED, strlen(KILLED)) == 0);
    roundtrip(__LINE__, fd, "PING\r\n", "+PONG\r\n");
    close(fd);
    respite_server_stop(srv);
    respite_server_free(srv);
}

/* A host thread that allocates and frees without pause while BGSAVE forks: the child,
 * which allocates as it writes the file, must not inherit a malloc lock held by it. */
static volatile int churn_stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!churn_stop) {
        void *p[64];
        for (int i = 0; i < 64; i++)
            p[i] = malloc((size_t)(16 + i * 37));
        for (int i = 0; i < 64; i++)
            free(p[i]);
    }
    return NULL;
}

/* The value of an INFO persistence field read over fd into buf. */
static const char *info_field(int fd, const char *name, char *buf, size_t size)
{
    const char *req = "INFO persistence\r\n";
    CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    size_t got = 0;
    char *body;
    long len = -1;
    for (;;) {
        ssize_t r = read(fd, buf + got, size - 1 - got);
        CHECK(r > 0);
        got += (size_t)r;
        buf[got] = '\0';
        if (len < 0 && (body = strstr(buf, "\r\n")) != NULL)
            len = strtol(buf + 1, NULL, 10);
        if (len >= 0 && got >= (size_t)(body - buf) + 2 + (size_t)len + 2)
            break;
    }
    char *at = strstr(buf, name);
    CHECK(at != NULL);
    at += strlen(name) + 1;
    at[strcspn(at, "\r")] = '\0';
    return at;
}

/* BGSAVE of a store served from a background thread, in a host with threads of its own
 * (one allocating without pause): the fork's child writes the file and exits, the
 * server's timer reaps it, and the file loads into another store. */
static void test_bgsave_in_threaded_host(struct respite *st)
{
    char err[256], dir[] = "/tmp/respite-embed-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(respite_config_set(st, "port", "0", err, sizeof err) == 0);
    CHECK(respite_config_set(st, "bind", "127.0.0.1", err, sizeof err) == 0);
    CHECK(respite_config_set(st, "loglevel", "warning", err, sizeof err) == 0);
    CHECK(respite_config_set(st, "dir", dir, err, sizeof err) == 0);
    struct respite_client *c = respite_client_new(st);
    for (int i = 0; i < 20000; i++) {
        char k[32];
        snprintf(k, sizeof k, "key:%d", i);
        EXPECT(c, "+OK\r\n", "SET", k, "some value");
    }
    respite_client_free(c);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0);
    struct respite_server *srv = respite_server_new(st, err, sizeof err);
    if (srv == NULL)
        fail(__func__, __LINE__, err);
    CHECK(respite_server_start(srv) == 0);
    int fd = connect_local(respite_server_port(srv));
    for (int round = 0; round < 3; round++) {
        roundtrip(__LINE__, fd, "BGSAVE\r\n", "+Background saving started\r\n");
        char buf[8192];
        int waited = 0;
        while (strcmp(info_field(fd, "rdb_bgsave_in_progress", buf, sizeof buf), "0") != 0) {
            CHECK(++waited < 3000); /* 30 s */
            usleep(10 * 1000);
        }
        CHECK(strcmp(info_field(fd, "rdb_last_bgsave_status", buf, sizeof buf), "ok") == 0);
    }
    close(fd);
    churn_stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    respite_server_stop(srv);
    respite_server_free(srv);

    const char *config[] = {"dir", dir};
    struct respite *other = respite_open(config, 1, err, sizeof err);
    CHECK(other != NULL);
    CHECK(respite_load(other, err, sizeof err) == 0);
    c = respite_client_new(other);
    EXPECT(c, ":20000\r\n", "DBSIZE");
    EXPECT(c, "$10\r\nsome value\r\n", "GET", "key:19999");
    respite_client_free(c);
    respite_close(other);
    char path[64];
    snprintf(path, sizeof path, "%s/dump.rdb", dir);
    CHECK(unlink(path) == 0);
    CHECK(rmdir(dir) == 0);
}

/* Usage: embed_test [shutdown|bgsave]. Without an argument, the in-process and served
 * tests; with "shutdown", the SHUTDOWN command against an embedded server; with "bgsave",
 * BGSAVE in a threaded host. */
int main(int argc, char **argv)
{
    char err[256];
    const char *config[] = {"databases", "16"};
    struct respite *st = respite_open(config, 1, err, sizeof err);
    if (st == NULL)
        fail(__func__, __LINE__, err);

    if (argc > 1 && strcmp(argv[1], "shutdown") == 0) {
        test_shutdown_command(st);
    } else if (argc > 1 && strcmp(argv[1], "bgsave") == 0) {
        test_bgsave_in_threaded_host(st);
    } else {
        const char *bad[] = {"no-such-parameter", "1"};
        struct respite *none = respite_open(bad, 1, err, sizeof err);
        CHECK(none == NULL && err[0] != '\0');
        test_in_process(st);
        test_served(st);
        test_lazy_free(st);
        test_kill_from_another_thread(st);
        test_kill_served(st);
    }
    respite_close(st);
    printf("embed_test: %d checks passed\n", nchecks);
    return 0;
}
