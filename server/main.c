/* SPDX-License-Identifier: BSD-3-Clause
 *
 * respite-server: `respite-server [config-file] [--name value ...]`, with
 * redis.conf parameter names, as redis-server takes them. The config file is
 * read first, then the command line options, each as a line "name value...";
 * lines are split with Redis's inline quoting rules (the RESP parser's
 * inline mode does exactly that). A bad line stops start-up with Redis's
 * "FATAL CONFIG FILE ERROR" report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include "resp_parser.h"
#include "respite_server.h"
#include "srv_log.h"


#ifdef RS_JEMALLOC
#include "thp.h"

/* jemalloc's start-up options (read once by the allocator; MALLOC_CONF in
 * the environment overrides them): purge freed pages from its own
 * background threads, within a second, so memory of expired or deleted
 * keys goes back to the system without the loop doing the work; one arena
 * (the loop's thread does nearly all the allocating; each arena costs
 * about 80 KB when empty), and no dedicated one for allocations of 8 MB
 * and more, so every mapping goes through the hooks of thp.c, which ask
 * for transparent huge pages once the heap is past 32 MB.
 * MALLOC_CONF=thp:never turns huge pages off, thp:always gives them from
 * the first byte. */
const char *malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0,"
                          "narenas:1,oversize_threshold:0,thp:default";
#endif

static void usage(void)
{
    fprintf(stderr,
            "Usage: ./respite-server [/path/to/redis.conf] [options]\n"
            "       ./respite-server - (read config from stdin)\n"
            "       ./respite-server -v or --version\n"
            "       ./respite-server -h or --help\n\n"
            "Examples:\n"
            "       ./respite-server (run the server with default conf)\n"
            "       ./respite-server /etc/redis/6379.conf\n"
            "       ./respite-server --port 7777\n"
            "       ./respite-server --port 7777 --enable-debug-command yes\n");
    exit(1);
}

static void fatal_config(int lineno, const char *line, const char *msg)
{
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (respite " RESPITE_VERSION ") ***\n");
    fprintf(stderr, "Reading the configuration file, at line %d\n", lineno);
    fprintf(stderr, ">>> '%s'\n", line);
    fprintf(stderr, "%s\n", msg);
    exit(1);
}

/* Whether a line named save: if none does, the server has Redis's save
 * points (the library has none). */
static bool save_seen;

/* Apply one configuration line: the first word is the name, the remaining
 * words are joined by spaces into the value (bind takes several). */
static void apply_line(struct respite *st, const char *text, int lineno)
{
    size_t len = strlen(text);
    char *buf = malloc(len + 2);
    struct resp_arg args[64];
    if (buf == NULL)
        abort();
    memcpy(buf, text, len);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    struct resp_parser p;
    resp_parser_init(&p, args, 64, 1LL << 40);
    size_t used;
    enum resp_status s = resp_parse(&p, buf, len + 1, &used);
    if (s == RESP_ERR || s == RESP_GROW)
        fatal_config(lineno, text, s == RESP_ERR ? "Unbalanced quotes in configuration line"
                                                 : "Too many arguments");
    if (s == RESP_OK && p.argc > 0 && buf[args[0].off] != '#') {
        char name[128], value[2048] = "";
        snprintf(name, sizeof name, "%.*s", (int)args[0].len, buf + args[0].off);
        size_t vlen = 0;
        for (int i = 1; i < p.argc && vlen < sizeof value; i++)
            vlen += (size_t)snprintf(value + vlen, sizeof value - vlen, "%s%.*s", i > 1 ? " " : "",
                                     (int)args[i].len, buf + args[i].off);
        if (p.argc < 2)
            fatal_config(lineno, text, "wrong number of arguments");
        char err[256];
        save_seen |= strcasecmp(name, "save") == 0;
        if (respite_config_set(st, name, value, err, sizeof err) != 0)
            fatal_config(lineno, text, err);
    }
    free(buf);
}

/* Returns the number of newlines read, which places the command line options in
 * Redis's numbering (see load_args). */
static int load_file(struct respite *st, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "Fatal error, can't open config file '%s': %s\n", path, strerror(errno));
        exit(1);
    }
    char line[4096];
    int lineno = 0, nnewlines = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        nnewlines += strchr(line, '\n') != NULL;
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        apply_line(st, p, lineno);
    }
    if (f != stdin)
        fclose(f);
    return nnewlines;
}

/* "--name v1 v2 --other v": quote each value so spaces survive the split. Errors name
 * the line the option would have in Redis, which appends the options to the file's text
 * after one more newline: the first option is line `lineno`. */
static void load_args(struct respite *st, int argc, char **argv, int from, int lineno)
{
    for (int i = from; i < argc;) {
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0')
            fatal_config(lineno, argv[i], "Bad directive or wrong number of arguments");
        char line[4096];
        size_t n = (size_t)snprintf(line, sizeof line, "%s", argv[i] + 2);
        int j = i + 1;
        for (; j < argc && strncmp(argv[j], "--", 2) != 0; j++) {
            n += (size_t)snprintf(line + n, sizeof line - n, " \"");
            for (const char *c = argv[j]; *c && n + 4 < sizeof line; c++) {
                if (*c == '"' || *c == '\\')
                    line[n++] = '\\';
                line[n++] = *c;
            }
            n += (size_t)snprintf(line + n, sizeof line - n, "\"");
        }
        if (j == i + 1) /* "--save" alone means an empty value, as in Redis */
            snprintf(line + n, sizeof line - n, " \"\"");
        apply_line(st, line, lineno++);
        i = j;
    }
}

/* As redis-server does: raise the open files limit to maxclients plus a
 * reserve, and lower maxclients to what the limit allows if it cannot. */
static void adjust_open_files(struct respite *st, struct srv_log *log, int maxclients)
{
    const rlim_t reserved = 32;
    rlim_t want = (rlim_t)maxclients + reserved;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    struct rlimit nl = {want, rl.rlim_max > want ? rl.rlim_max : want};
    if (setrlimit(RLIMIT_NOFILE, &nl) == 0)
        return;
    int err = errno;
    nl.rlim_cur = nl.rlim_max = rl.rlim_max;
    if (rl.rlim_max > rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &nl) == 0)
        rl.rlim_cur = rl.rlim_max;
    if (rl.rlim_cur <= reserved) {
        srv_log(log, SRV_LOG_WARNING, "Your current 'ulimit -n' of %llu is not enough for the "
                "server to start. Please increase your open file limit to at least %llu.",
                (unsigned long long)rl.rlim_cur, (unsigned long long)want);
        exit(1);
    }
    int reduced = (int)(rl.rlim_cur - reserved);
    srv_log(log, SRV_LOG_WARNING, "You requested maxclients of %d requiring at least %llu max file "
            "descriptors.", maxclients, (unsigned long long)want);
    srv_log(log, SRV_LOG_WARNING, "Server can't set maximum open files to %llu because of OS "
            "error: %s.", (unsigned long long)want, strerror(err));
    srv_log(log, SRV_LOG_WARNING, "Current maximum open files is %llu. maxclients has been reduced "
            "to %d to compensate for low ulimit. If you need higher maxclients increase "
            "'ulimit -n'.", (unsigned long long)rl.rlim_cur, reduced);
    char buf[32], msg[128];
    snprintf(buf, sizeof buf, "%d", reduced);
    respite_config_set(st, "maxclients", buf, msg, sizeof msg);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("respite server v=" RESPITE_VERSION " bits=%d\n", (int)(sizeof(void *) * 8));
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
        usage();
    signal(SIGPIPE, SIG_IGN);
#ifdef RS_JEMALLOC
    thp_init();
#endif

    char err[512];
    struct respite *st = respite_open(NULL, 0, err, sizeof err);
    if (st == NULL) {
        fprintf(stderr, "respite: %s\n", err);
        return 1;
    }
    int from = 1, nnewlines = 0;
    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        nnewlines = load_file(st, argv[1]);
        /* CONFIG REWRITE's file; from stdin there is none, as in Redis */
        if (strcmp(argv[1], "-") != 0 && respite_config_file(st, argv[1]) != 0) {
            fprintf(stderr, "Fatal error, can't resolve the config file path '%s': %s\n",
                    argv[1], strerror(errno));
            respite_close(st);
            return 1;
        }
        from = 2;
    }
    load_args(st, argc, argv, from, nnewlines + 2);
    if (!save_seen)
        respite_config_set(st, "save", "3600 1 300 100 60 10000", err, sizeof err);

    if (respite_acl_load(st, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        respite_close(st);
        return 1;
    }
    struct respite_net_config cfg;
    respite_net_config(st, &cfg);
    struct srv_log log;
    if (srv_log_open(&log, cfg.loglevel, cfg.logfile) != 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        respite_close(st);
        return 1;
    }
    srv_log(&log, SRV_LOG_WARNING, "oO0OoO0OoO0Oo respite is starting oO0OoO0OoO0Oo");
    srv_log(&log, SRV_LOG_WARNING, "respite version=" RESPITE_VERSION ", bits=%d, pid=%d, just started",
            (int)(sizeof(void *) * 8), (int)getpid());

    adjust_open_files(st, &log, cfg.maxclients);
    struct respite_server *srv = respite_server_new(st, err, sizeof err);
    if (srv == NULL) {
        srv_log(&log, SRV_LOG_WARNING, "%s", err);
        srv_log_close(&log);
        respite_close(st);
        return 1;
    }
    srv_log(&log, SRV_LOG_NOTICE, "Running mode=standalone, port=%d.", respite_server_port(srv));
    respite_server_catch_signals(srv);
    /* The port is open while the data loads, as Redis's: clients that come
     * meanwhile get -LOADING (the server's loading hook serves them). */
    uint64_t t0 = uv_hrtime();
    int loaded = respite_load(st, err, sizeof err);
    if (loaded < 0) {
        srv_log(&log, SRV_LOG_WARNING, "%s", err);
        srv_log(&log, SRV_LOG_WARNING, "Fatal error loading the DB, check server logs. Exiting.");
        respite_server_free(srv);
        respite_close(st);
        srv_log_close(&log);
        return 1;
    }
    if (loaded == 0 && err[0])
        srv_log(&log, SRV_LOG_WARNING, "%s", err);
    if (loaded == 0)
        srv_log(&log, SRV_LOG_NOTICE, "DB loaded from disk: %.3f seconds",
                (double)(uv_hrtime() - t0) / 1e9);
    /* loaded == 2: a SHUTDOWN during the load stopped the server; the loop
     * below only closes what is left. */
    if (cfg.pidfile[0]) {
        FILE *pf = fopen(cfg.pidfile, "w");
        if (pf) {
            fprintf(pf, "%d\n", (int)getpid());
            fclose(pf);
        }
    }
    respite_server_run(srv);
    respite_server_free(srv);
    respite_close(st);
    if (cfg.pidfile[0])
        unlink(cfg.pidfile);
    srv_log(&log, SRV_LOG_WARNING, "respite is now ready to exit, bye bye...");
    srv_log_close(&log);
    return 0;
}
