/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Configuration parameters and the CONFIG command. One table describes
 * every parameter (redis.conf name, type, field of struct rs_config, range,
 * mutability); start-up (command line, config file, respite_open) and
 * CONFIG GET/SET all go through it, with Redis 7's error texts.
 *
 * A parameter respite has no use for yet but that tools read (appendonly)
 * is FIXED: CONFIG GET reports the truth and CONFIG SET accepts
 * only that same value.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/introspect.h"
#include "commands/monitor.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/util.h"

enum cfg_type {
    CFG_BOOL, CFG_INT, CFG_MEM, CFG_ENUM, CFG_STR, CFG_OBUF, CFG_NOTIFY, CFG_SAVE, CFG_FIXED
};

enum { CFG_IMMUTABLE = 1, CFG_SENSITIVE = 2, CFG_LONG = 4 /* a CFG_INT held in a long long */ };

struct cfg_param {
    const char *name;
    enum cfg_type type;
    size_t off;               /* field in struct rs_config */
    long long min, max;       /* CFG_INT, CFG_MEM */
    const char *const *names; /* CFG_ENUM: values, NULL-terminated */
    const char *fixed;        /* CFG_FIXED: the only value */
    int flags;
    enum cfg_type check;      /* CFG_FIXED: how a value is validated before the comparison */
};

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", "nothing", NULL};
static const char *const debug_modes[] = {"no", "yes", "local", NULL};
/* in enum aof_fsync's order (aof.h) */
static const char *const fsyncs[] = {"no", "always", "everysec", NULL};
static const char *const obuf_classes[] = {"normal", "slave", "pubsub", NULL};
static const char *const policies[] = {"volatile-lru", "volatile-lfu", "volatile-random",
                                       "volatile-ttl", "allkeys-lru", "allkeys-lfu",
                                       "allkeys-random", "noeviction", NULL};

#define F(field) offsetof(struct rs_config, field)
#define SZ(field) ((long long)sizeof(((struct rs_config *)0)->field))

static const struct cfg_param params[] = {
    {"bind", CFG_STR, F(bind), 0, SZ(bind), NULL, NULL, CFG_IMMUTABLE},
    {"port", CFG_INT, F(port), 0, 65535, NULL, NULL, CFG_IMMUTABLE},
    {"databases", CFG_INT, F(databases), 1, INT_MAX, NULL, NULL, CFG_IMMUTABLE},
    {"maxclients", CFG_INT, F(maxclients), 1, INT_MAX, NULL, NULL, 0},
    {"timeout", CFG_INT, F(timeout), 0, INT_MAX, NULL, NULL, 0},
    {"tcp-keepalive", CFG_INT, F(tcp_keepalive), 0, INT_MAX, NULL, NULL, 0},
    {"proto-max-bulk-len", CFG_MEM, F(proto_max_bulk_len), 1024 * 1024, LLONG_MAX, NULL, NULL, 0},
    {"client-query-buffer-limit", CFG_MEM, F(client_query_buffer_limit), 1024 * 1024, LLONG_MAX,
     NULL, NULL, 0},
    {"client-output-buffer-limit", CFG_OBUF, 0, 0, 0, NULL, NULL, 0},
    {"hz", CFG_INT, F(hz), 0, INT_MAX, NULL, NULL, 0},
    {"hash-max-listpack-entries", CFG_INT, F(hash_max_listpack_entries), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"hash-max-listpack-value", CFG_MEM, F(hash_max_listpack_value), 0, LLONG_MAX, NULL, NULL, 0},
    /* Redis 7's aliases, the names of Redis 6 */
    {"hash-max-ziplist-entries", CFG_INT, F(hash_max_listpack_entries), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"hash-max-ziplist-value", CFG_MEM, F(hash_max_listpack_value), 0, LLONG_MAX, NULL, NULL, 0},
    {"zset-max-listpack-entries", CFG_INT, F(zset_max_listpack_entries), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"zset-max-listpack-value", CFG_MEM, F(zset_max_listpack_value), 0, LLONG_MAX, NULL, NULL, 0},
    {"zset-max-ziplist-entries", CFG_INT, F(zset_max_listpack_entries), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"zset-max-ziplist-value", CFG_MEM, F(zset_max_listpack_value), 0, LLONG_MAX, NULL, NULL, 0},
    {"set-max-intset-entries", CFG_INT, F(set_max_intset_entries), 0, INT_MAX, NULL, NULL, 0},
    {"set-max-listpack-entries", CFG_INT, F(set_max_listpack_entries), 0, INT_MAX, NULL, NULL, 0},
    {"set-max-listpack-value", CFG_INT, F(set_max_listpack_value), 0, INT_MAX, NULL, NULL, 0},
    {"list-max-listpack-size", CFG_INT, F(list_max_listpack_size), INT_MIN, INT_MAX, NULL, NULL, 0},
    {"list-max-ziplist-size", CFG_INT, F(list_max_listpack_size), INT_MIN, INT_MAX, NULL, NULL, 0},
    {"list-compress-depth", CFG_INT, F(list_compress_depth), 0, INT_MAX, NULL, NULL, 0},
    {"lazyfree-lazy-user-del", CFG_BOOL, F(lazyfree_user_del), 0, 0, NULL, NULL, 0},
    {"lazyfree-lazy-user-flush", CFG_BOOL, F(lazyfree_user_flush), 0, 0, NULL, NULL, 0},
    {"lazyfree-lazy-expire", CFG_BOOL, F(lazyfree_expire), 0, 0, NULL, NULL, 0},
    {"lazyfree-lazy-server-del", CFG_BOOL, F(lazyfree_server_del), 0, 0, NULL, NULL, 0},
    /* there is no eviction (maxmemory is 0) and no replica to flush */
    {"lazyfree-lazy-eviction", CFG_FIXED, 0, 0, 0, NULL, "no", 0, CFG_BOOL},
    {"replica-lazy-flush", CFG_FIXED, 0, 0, 0, NULL, "no", 0, CFG_BOOL},
    {"slave-lazy-flush", CFG_FIXED, 0, 0, 0, NULL, "no", 0, CFG_BOOL},
    {"notify-keyspace-events", CFG_NOTIFY, F(notify_keyspace_events), 0, 0, NULL, NULL, 0},
    {"busy-reply-threshold", CFG_INT, F(busy_reply_threshold), 0, LLONG_MAX, NULL, NULL, CFG_LONG},
    {"lua-time-limit", CFG_INT, F(busy_reply_threshold), 0, LLONG_MAX, NULL, NULL, CFG_LONG},
    {"tracking-table-max-keys", CFG_INT, F(tracking_table_max_keys), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"loglevel", CFG_ENUM, F(loglevel), 0, 0, loglevels, NULL, 0},
    {"logfile", CFG_STR, F(logfile), 0, SZ(logfile), NULL, NULL, CFG_IMMUTABLE},
    {"pidfile", CFG_STR, F(pidfile), 0, SZ(pidfile), NULL, NULL, CFG_IMMUTABLE},
    {"enable-debug-command", CFG_ENUM, F(enable_debug_command), 0, 0, debug_modes, NULL,
     CFG_IMMUTABLE},
    {"requirepass", CFG_STR, F(requirepass), 0, SZ(requirepass), NULL, NULL, CFG_SENSITIVE},
    /* dir is kept as an absolute path and never chdir'ed to: the store may
     * live in a host process whose working directory is its own */
    {"dir", CFG_STR, F(dir), 0, SZ(dir), NULL, NULL, 0},
    {"dbfilename", CFG_STR, F(dbfilename), 0, SZ(dbfilename), NULL, NULL, 0},
    {"rdbcompression", CFG_BOOL, F(rdbcompression), 0, 0, NULL, NULL, 0},
    {"rdbchecksum", CFG_BOOL, F(rdbchecksum), 0, 0, NULL, NULL, 0},
    {"save", CFG_SAVE, 0, 0, 0, NULL, NULL, 0},
    {"stop-writes-on-bgsave-error", CFG_BOOL, F(stop_writes_on_bgsave_error), 0, 0, NULL, NULL, 0},
    {"key-load-delay", CFG_INT, F(key_load_delay), INT_MIN, INT_MAX, NULL, NULL, 0},
    {"appendonly", CFG_BOOL, F(appendonly), 0, 0, NULL, NULL, 0},
    {"appendfilename", CFG_STR, F(appendfilename), 0, SZ(appendfilename), NULL, NULL,
     CFG_IMMUTABLE},
    {"appenddirname", CFG_STR, F(appenddirname), 0, SZ(appenddirname), NULL, NULL,
     CFG_IMMUTABLE},
    {"appendfsync", CFG_ENUM, F(appendfsync), 0, 0, fsyncs, NULL, 0},
    {"aof-use-rdb-preamble", CFG_BOOL, F(aof_use_rdb_preamble), 0, 0, NULL, NULL, 0},
    {"aof-load-truncated", CFG_BOOL, F(aof_load_truncated), 0, 0, NULL, NULL, 0},
    {"aof-timestamp-enabled", CFG_BOOL, F(aof_timestamp), 0, 0, NULL, NULL, 0},
    {"auto-aof-rewrite-percentage", CFG_INT, F(auto_aof_rewrite_percentage), 0, INT_MAX, NULL,
     NULL, 0},
    {"auto-aof-rewrite-min-size", CFG_MEM, F(auto_aof_rewrite_min_size), 0, LLONG_MAX, NULL, NULL,
     0},
    {"daemonize", CFG_FIXED, 0, 0, 0, NULL, "no", CFG_IMMUTABLE, CFG_BOOL},
    {"maxmemory", CFG_FIXED, 0, 0, LLONG_MAX, NULL, "0", 0, CFG_MEM},
    {"maxmemory-policy", CFG_FIXED, 0, 0, 0, policies, "noeviction", 0, CFG_ENUM},
    {"maxmemory-samples", CFG_FIXED, 0, 1, 64, NULL, "5", 0, CFG_INT},
    {"maxmemory-eviction-tenacity", CFG_FIXED, 0, 0, 100, NULL, "10", 0, CFG_INT},
    {"maxmemory-clients", CFG_FIXED, 0, 0, LLONG_MAX, NULL, "0", 0, CFG_MEM},
    {"cluster-enabled", CFG_FIXED, 0, 0, 0, NULL, "no", CFG_IMMUTABLE, CFG_BOOL},
    {"io-threads", CFG_FIXED, 0, 1, 128, NULL, "1", CFG_IMMUTABLE, CFG_INT},
    {"slowlog-log-slower-than", CFG_INT, F(slowlog_log_slower_than), -1, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"slowlog-max-len", CFG_INT, F(slowlog_max_len), 0, LLONG_MAX, NULL, NULL, CFG_LONG},
    {"latency-monitor-threshold", CFG_INT, F(latency_monitor_threshold), 0, LLONG_MAX, NULL, NULL,
     CFG_LONG},
    {"latency-tracking", CFG_BOOL, F(latency_tracking), 0, 0, NULL, NULL, 0},
    {"latency-tracking-info-percentiles", CFG_STR, F(latency_pctl_text), 0,
     SZ(latency_pctl_text), NULL, NULL, 0},
};

#define NPARAMS (sizeof params / sizeof params[0])

void config_defaults(struct rs_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->bind, sizeof cfg->bind, "127.0.0.1");
    cfg->port = 6379;
    cfg->databases = 16;
    cfg->maxclients = 10000;
    cfg->tcp_keepalive = 300;
    cfg->proto_max_bulk_len = RESP_BULK_MAX_DEFAULT;
    cfg->client_query_buffer_limit = 1024LL * 1024 * 1024;
    cfg->obuf_hard[1] = 256LL * 1024 * 1024;
    cfg->obuf_soft[1] = 64LL * 1024 * 1024;
    cfg->obuf_soft_secs[1] = 60;
    cfg->obuf_hard[2] = 32LL * 1024 * 1024;
    cfg->obuf_soft[2] = 8LL * 1024 * 1024;
    cfg->obuf_soft_secs[2] = 60;
    cfg->hz = 10;
    cfg->hash_max_listpack_entries = 512;
    cfg->hash_max_listpack_value = 64;
    cfg->zset_max_listpack_entries = 128;
    cfg->zset_max_listpack_value = 64;
    cfg->set_max_intset_entries = 512;
    cfg->set_max_listpack_entries = 128;
    cfg->set_max_listpack_value = 64;
    cfg->list_max_listpack_size = -2;
    cfg->loglevel = 2;
    cfg->busy_reply_threshold = 5000;
    cfg->tracking_table_max_keys = 1000000;
    if (getcwd(cfg->dir, sizeof cfg->dir) == NULL)
        snprintf(cfg->dir, sizeof cfg->dir, "/");
    snprintf(cfg->dbfilename, sizeof cfg->dbfilename, "dump.rdb");
    cfg->rdbcompression = true;
    cfg->rdbchecksum = true;
    snprintf(cfg->appendfilename, sizeof cfg->appendfilename, "appendonly.aof");
    snprintf(cfg->appenddirname, sizeof cfg->appenddirname, "appendonlydir");
    cfg->appendfsync = AOF_FSYNC_EVERYSEC;
    cfg->aof_use_rdb_preamble = true;
    cfg->aof_load_truncated = true;
    cfg->auto_aof_rewrite_percentage = 100;
    cfg->auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
    /* No save points in a library (respite-server sets Redis's) */
    cfg->stop_writes_on_bgsave_error = true;
    cfg->active_expire = true;
    cfg->slowlog_log_slower_than = 10000;
    cfg->slowlog_max_len = 128;
    cfg->latency_tracking = true;
    cfg->latency_pctl[0] = 50;
    cfg->latency_pctl[1] = 99;
    cfg->latency_pctl[2] = 99.9;
    cfg->nlatency_pctl = 3;
    snprintf(cfg->latency_pctl_text, sizeof cfg->latency_pctl_text, "50 99 99.9");
}

static const struct cfg_param *find_param(const char *name)
{
    for (size_t i = 0; i < NPARAMS; i++)
        if (strcasecmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}

/* Redis memtoull: digits and an optional unit b k kb m mb g gb. */
static bool parse_mem(const char *s, long long *v)
{
    const char *u = s;
    while (*u && isdigit((unsigned char)*u))
        u++;
    unsigned long long mul;
    if (*u == '\0' || strcasecmp(u, "b") == 0)
        mul = 1;
    else if (strcasecmp(u, "k") == 0)
        mul = 1000;
    else if (strcasecmp(u, "kb") == 0)
        mul = 1024;
    else if (strcasecmp(u, "m") == 0)
        mul = 1000 * 1000;
    else if (strcasecmp(u, "mb") == 0)
        mul = 1024 * 1024;
    else if (strcasecmp(u, "g") == 0)
        mul = 1000ULL * 1000 * 1000;
    else if (strcasecmp(u, "gb") == 0)
        mul = 1024ULL * 1024 * 1024;
    else
        return false;
    size_t digits = (size_t)(u - s);
    if (digits == 0 || digits > 19)
        return false;
    char buf[24];
    memcpy(buf, s, digits);
    buf[digits] = '\0';
    errno = 0;
    unsigned long long n = strtoull(buf, NULL, 10);
    if (errno || (mul > 1 && n > ULLONG_MAX / mul) || n * mul > (unsigned long long)LLONG_MAX)
        return false;
    *v = (long long)(n * mul);
    return true;
}

/* "normal 0 0 0 slave 256mb 64mb 60": classes and their limits. */
static const char *parse_obuf(struct rs_config *cfg, const char *value)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", value);
    char *tok[64];
    int n = 0;
    for (char *save, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 64)
            return "Wrong number of arguments in buffer limit configuration.";
        tok[n++] = t;
    }
    if (n == 0 || n % 4 != 0)
        return "Wrong number of arguments in buffer limit configuration.";
    long long hard[3], soft[3], secs[3];
    for (int k = 0; k < 3; k++) {
        hard[k] = cfg->obuf_hard[k];
        soft[k] = cfg->obuf_soft[k];
        secs[k] = cfg->obuf_soft_secs[k];
    }
    for (int i = 0; i < n; i += 4) {
        int cls = -1;
        for (int k = 0; obuf_classes[k]; k++)
            if (strcasecmp(tok[i], obuf_classes[k]) == 0)
                cls = k;
        if (strcasecmp(tok[i], "replica") == 0)
            cls = 1;
        if (cls < 0)
            return "Invalid client class specified in buffer limit configuration.";
        long long h, s;
        /* Redis reads the seconds with strtoll ("+5", "05" and "-0" too) and
         * keeps them in an int. */
        char *end;
        errno = 0;
        long long t = strtoll(tok[i + 3], &end, 10);
        if (!parse_mem(tok[i + 1], &h) || !parse_mem(tok[i + 2], &s) || errno || *end != '\0' ||
            t < 0 || t > INT_MAX)
            return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        hard[cls] = h;
        soft[cls] = s;
        secs[cls] = t;
    }
    for (int k = 0; k < 3; k++) {
        cfg->obuf_hard[k] = hard[k];
        cfg->obuf_soft[k] = soft[k];
        cfg->obuf_soft_secs[k] = secs[k];
    }
    return NULL;
}

/* save: "<seconds> <changes> ..." pairs (seconds >= 1, changes >= 0), ""
 * for none, replacing the points, or added to them (append: the second
 * and later save lines of a config file, as Redis reads them). */
static const char *parse_save(struct rs_config *cfg, const char *value, bool append)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", value);
    struct save_point pts[RS_SAVE_POINTS_MAX];
    /* "" empties the points even after other lines, as in Redis */
    int n = append && value[0] ? cfg->nsave : 0, nwords = 0;
    if (n)
        memcpy(pts, cfg->save, sizeof pts);
    long long v[2];
    /* Words split at every single space, as Redis's sdssplitlen: "7  8"
     * has an empty word (0), "" none. */
    for (char *t = buf, *next; buf[0] && t; t = next) {
        next = strchr(t, ' ');
        if (next)
            *next++ = '\0';
        char *end;
        errno = 0;
        v[nwords % 2] = strtoll(t, &end, 10);
        if (*end != '\0' || errno || (nwords % 2 == 0 ? v[0] < 1 : v[1] < 0))
            return "Invalid save parameters";
        if (nwords++ % 2 == 1) {
            if (n == RS_SAVE_POINTS_MAX)
                return "Too many save parameters";
            pts[n++] = (struct save_point){v[0], v[1]};
        }
    }
    if (nwords % 2 != 0)
        return "Invalid save parameters";
    memcpy(cfg->save, pts, sizeof pts);
    cfg->nsave = n;
    return NULL;
}

/* latency-tracking-info-percentiles: numbers 0..100 separated by spaces
 * ("" none), kept as values and as the text CONFIG GET prints: each %f
 * without its trailing zeros, as Redis. */
static const char *set_percentiles(struct rs_config *cfg, const char *value)
{
    double v[RS_PCTL_MAX];
    int n = 0;
    char text[sizeof cfg->latency_pctl_text];
    size_t len = 0;
    text[0] = '\0';
    for (const char *p = value;;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        double d;
        if (n == RS_PCTL_MAX || !resp_str2d(w, (size_t)(p - w), &d))
            return "Invalid latency-tracking-info-percentiles parameters";
        if (d > 100.0 || d < 0.0)
            return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]";
        v[n++] = d;
        char num[400];
        fmt_trimmed_double(num, sizeof num, d);
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", len ? " " : "", num);
    }
    memcpy(cfg->latency_pctl, v, sizeof v);
    cfg->nlatency_pctl = n;
    memcpy(cfg->latency_pctl_text, text, sizeof text);
    return NULL;
}

/* dir: an existing directory, kept as its absolute path. */
static const char *set_dir(struct rs_config *cfg, const char *value, char *err, size_t errlen)
{
    char abs[PATH_MAX];
    struct stat sb;
    if (realpath(value, abs) == NULL || stat(abs, &sb) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return err;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s", strerror(ENOTDIR));
        return err;
    }
    size_t n = strlen(abs);
    if (n >= sizeof cfg->dir)
        return "argument is too long";
    memcpy(cfg->dir, abs, n + 1);
    return NULL;
}

/* Parse value as a parameter of the given type would take it: the number
 * (CFG_INT, CFG_MEM, CFG_BOOL as 0/1) or the enum index in *v. Returns NULL
 * or Redis's error text (possibly written in err). */
static const char *parse_value(const struct cfg_param *p, enum cfg_type type, const char *value,
                               long long *v, char *err, size_t errlen)
{
    switch (type) {
    case CFG_BOOL:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0) {
            *v = strcasecmp(value, "yes") == 0;
            return NULL;
        }
        return "argument must be 'yes' or 'no'";
    case CFG_INT:
    case CFG_MEM:
        if (type == CFG_INT ? !resp_str2ll(value, strlen(value), v) : !parse_mem(value, v))
            return type == CFG_INT ? "argument couldn't be parsed into an integer"
                                   : "argument must be a memory value";
        if (*v < p->min || *v > p->max) {
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive", p->min,
                     p->max);
            return err;
        }
        return NULL;
    case CFG_ENUM:
        for (int i = 0; p->names[i]; i++) {
            if (strcasecmp(value, p->names[i]) == 0) {
                *v = i;
                return NULL;
            }
        }
        {
            size_t len = (size_t)snprintf(err, errlen, "argument(s) must be one of the following: ");
            for (int i = 0; p->names[i] && len < errlen; i++)
                len += (size_t)snprintf(err + len, errlen - len, "%s%s", i ? ", " : "",
                                        p->names[i]);
        }
        return err;
    default:
        return NULL;
    }
}

/* Validate and apply value to p in cfg; NULL or an error text (may be
 * written in err). */
static const char *apply(struct rs_config *cfg, const struct cfg_param *p, const char *value,
                         char *err, size_t errlen)
{
    char *field = (char *)cfg + p->off;
    long long v = 0;
    const char *msg;
    switch (p->type) {
    case CFG_BOOL:
    case CFG_INT:
    case CFG_MEM:
    case CFG_ENUM:
        if ((msg = parse_value(p, p->type, value, &v, err, errlen)) != NULL)
            return msg;
        if (p->type == CFG_BOOL)
            *(bool *)field = v;
        else if (p->type == CFG_MEM || (p->flags & CFG_LONG))
            *(long long *)field = v;
        else
            *(int *)field = (int)v;
        /* Redis accepts any hz and runs (and reports) it clamped to 1..500. */
        if (p->off == F(hz))
            cfg->hz = cfg->hz < 1 ? 1 : cfg->hz > 500 ? 500 : cfg->hz;
        return NULL;
    case CFG_STR:
        if (strlen(value) >= (size_t)p->max)
            return "argument is too long";
        if (p->off == F(dir))
            return set_dir(cfg, value, err, errlen);
        if (p->off == F(latency_pctl_text))
            return set_percentiles(cfg, value);
        if (p->off == F(dbfilename) && strchr(value, '/') != NULL)
            return "dbfilename can't be a path, just a filename";
        if (p->off == F(appendfilename) && strchr(value, '/') != NULL)
            return "appendfilename can't be a path, just a filename";
        if (p->off == F(appenddirname) && strchr(value, '/') != NULL)
            return "appenddirname can't be a path, just a dirname";
        snprintf(field, (size_t)p->max, "%s", value);
        if (p->off == F(requirepass))
            cfg->has_requirepass = value[0] != '\0';
        return NULL;
    case CFG_OBUF:
        return parse_obuf(cfg, value);
    case CFG_SAVE:
        return parse_save(cfg, value, false);
    case CFG_NOTIFY: {
        int flags = ks_notify_parse(value);
        if (flags < 0)
            return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        cfg->notify_keyspace_events = flags;
        cfg->notify_mask = ks_notify_mask(flags);
        return NULL;
    }
    case CFG_FIXED: {
        if ((msg = parse_value(p, p->check, value, &v, err, errlen)) != NULL)
            return msg;
        long long fixed = 0;
        parse_value(p, p->check, p->fixed, &fixed, err, errlen);
        bool same = p->check == CFG_STR ? strcasecmp(value, p->fixed) == 0 : v == fixed;
        return same ? NULL : "respite does not support another value for this parameter yet";
    }
    }
    return NULL;
}

/* After a change of the parameters at run time: appendonly turned on
 * starts the append-only file (a base first), turned off stops it. NULL,
 * or Redis's error when the file cannot start (appendonly is off again). */
static const char *appendonly_changed(struct store *st, bool was_on)
{
    if (was_on == st->cfg.appendonly)
        return NULL;
    if (was_on) {
        aof_stop(st);
        return NULL;
    }
    char why[512];
    if (aof_start(st, why, sizeof why) != 0) {
        st->cfg.appendonly = false;
        return "Unable to turn on AOF. Check server logs.";
    }
    return NULL;
}

const char *config_set(struct store *st, const char *name, const char *value, bool startup,
                       char *err, size_t errlen)
{
    const struct cfg_param *p = find_param(name);
    if (p == NULL) {
        snprintf(err, errlen, "Bad directive or wrong number of arguments");
        return err;
    }
    if ((p->flags & CFG_IMMUTABLE) && !startup) {
        snprintf(err, errlen, "can't set immutable config");
        return err;
    }
    bool was_on = st->cfg.appendonly;
    /* The save lines of a config file (and the command line) add up, the
     * first replacing the default points. */
    const char *msg = p->type == CFG_SAVE && startup
                          ? parse_save(&st->cfg, value, st->save_appending)
                          : apply(&st->cfg, p, value, err, errlen);
    if (p->type == CFG_SAVE && startup && !msg)
        st->save_appending = true;
    /* At start-up the flag is only noted: loading (respite_load) opens
     * the files. */
    if (msg == NULL && !startup)
        msg = appendonly_changed(st, was_on);
    if (msg && msg != err) {
        snprintf(err, errlen, "%s", msg);
        msg = err;
    }
    if (msg == NULL && st->intro)
        introspect_config(st);
    return msg;
}

/* The value of p as CONFIG GET prints it. */
static void format_param(const struct rs_config *cfg, const struct cfg_param *p, char *buf,
                         size_t size)
{
    const char *field = (const char *)cfg + p->off;
    switch (p->type) {
    case CFG_BOOL:
        snprintf(buf, size, "%s", *(const bool *)field ? "yes" : "no");
        break;
    case CFG_INT:
        if (p->flags & CFG_LONG)
            snprintf(buf, size, "%lld", *(const long long *)field);
        else
            snprintf(buf, size, "%d", *(const int *)field);
        break;
    case CFG_MEM:
        snprintf(buf, size, "%lld", *(const long long *)field);
        break;
    case CFG_ENUM:
        snprintf(buf, size, "%s", p->names[*(const int *)field]);
        break;
    case CFG_STR:
        snprintf(buf, size, "%s", field);
        break;
    case CFG_OBUF: {
        size_t len = 0;
        for (int k = 0; k < 3 && len < size; k++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s %lld %lld %lld", k ? " " : "",
                                    obuf_classes[k], cfg->obuf_hard[k], cfg->obuf_soft[k],
                                    cfg->obuf_soft_secs[k]);
        break;
    }
    case CFG_SAVE: {
        size_t len = 0;
        buf[0] = '\0';
        for (int i = 0; i < cfg->nsave && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%" PRId64 " %" PRId64,
                                    i ? " " : "", cfg->save[i].seconds, cfg->save[i].changes);
        break;
    }
    case CFG_NOTIFY: {
        char flags[16];
        ks_notify_format(cfg->notify_keyspace_events, flags);
        snprintf(buf, size, "%s", flags);
        break;
    }
    case CFG_FIXED:
        snprintf(buf, size, "%s", p->fixed);
        break;
    }
}

int respite_config_get(struct respite *rs, const char *name, char *buf, size_t size)
{
    const struct cfg_param *p = find_param(name);
    if (p == NULL)
        return -1;
    format_param(&((struct store *)rs)->cfg, p, buf, size);
    return 0;
}

/* ------------------------------------------------------------------------
 * CONFIG
 * ------------------------------------------------------------------------ */

/* CONFIG GET parameter [parameter ...]: a map of every matching parameter,
 * each once, in table order. */
void cmd_config_get(struct cmd_ctx *c)
{
    bool seen[NPARAMS] = {false};
    struct rs_str shown[NPARAMS]; /* a name without glob is echoed as typed, as Redis does */
    size_t n = 0;
    for (int a = 2; a < c->argc; a++) {
        struct rs_str arg = c->argv[a];
        bool glob = memchr(arg.p, '*', arg.len) || memchr(arg.p, '?', arg.len) ||
                    memchr(arg.p, '[', arg.len);
        for (size_t i = 0; i < NPARAMS; i++) {
            if (!glob) {
                if (!seen[i] && rs_str_eqi(arg, params[i].name) &&
                    strlen(params[i].name) == arg.len) {
                    seen[i] = true;
                    shown[i] = arg;
                    n++;
                }
                continue;
            }
            struct rs_str name = rs_str_from(params[i].name, strlen(params[i].name));
            if (!seen[i] && glob_match(arg.p, arg.len, name.p, name.len, true)) {
                seen[i] = true;
                shown[i] = name;
                n++;
            }
        }
    }
    resp_add_map_len(c->out, (long long)n);
    for (size_t i = 0; i < NPARAMS; i++) {
        if (!seen[i])
            continue;
        char buf[1100];
        format_param(&c->st->cfg, &params[i], buf, sizeof buf);
        resp_add_bulk_str(c->out, shown[i]);
        resp_add_bulk_cstr(c->out, buf);
    }
}

/* CONFIG SET parameter value [parameter value ...]: all or nothing. */
void cmd_config_set(struct cmd_ctx *c)
{
    if (c->argc % 2 != 0) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    struct rs_config next = c->st->cfg;
    const struct cfg_param *changed[64];
    int nchanged = 0;
    char err[256];
    for (int a = 2; a < c->argc; a += 2) {
        char name[128], value[1024];
        snprintf(name, sizeof name, "%.*s", (int)c->argv[a].len, c->argv[a].p);
        snprintf(value, sizeof value, "%.*s", (int)c->argv[a + 1].len, c->argv[a + 1].p);
        const struct cfg_param *p = find_param(name);
        if (p == NULL || c->argv[a].len >= sizeof name || nchanged == 64) {
            reply_errf(c, "ERR Unknown option or number of arguments for CONFIG SET - '%s'",
                       name);
            return;
        }
        if (p->flags & CFG_SENSITIVE) /* a password: SLOWLOG shows "(redacted)" */
            monitor_redact(c, a + 1);
        for (int b = 2; b < a; b += 2) {
            if (rs_str_eqi(c->argv[b], p->name)) {
                reply_errf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - "
                              "duplicate parameter", name);
                return;
            }
        }
        const char *msg = (p->flags & CFG_IMMUTABLE) ? "can't set immutable config"
                                                     : apply(&next, p, value, err, sizeof err);
        if (msg) {
            reply_errf(c, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name,
                       msg);
            return;
        }
        changed[nchanged++] = p;
    }
    struct rs_config before = c->st->cfg;
    c->st->cfg = next;
    const char *msg = appendonly_changed(c->st, before.appendonly);
    if (msg) {
        c->st->cfg = before; /* all or nothing */
        reply_errf(c, "ERR CONFIG SET failed (possibly related to argument 'appendonly') - %s",
                   msg);
        return;
    }
    introspect_config(c->st);
    if (c->st->hooks && c->st->hooks->config_changed)
        for (int i = 0; i < nchanged; i++)
            c->st->hooks->config_changed(c->st->hooks_ud, changed[i]->name);
    resp_add_ok(c->out);
}

void cmd_config_resetstat(struct cmd_ctx *c)
{
    struct store *st = c->st;
    memset(st->cstats, 0, (size_t)st->ncstats * sizeof *st->cstats);
    introspect_reset_histograms(st);
    int64_t start = st->stats.start_ms, lastsave = st->stats.lastsave;
    uint64_t connected = st->stats.connected_clients;
    memset(&st->stats, 0, sizeof st->stats);
    st->stats.start_ms = start;
    st->stats.lastsave = lastsave;
    st->stats.connected_clients = connected;
    st->persist.saves = 0; /* rdb_saves, as Redis's resetServerStats */
    resp_add_ok(c->out);
}

void cmd_config_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        NULL,
    };
    reply_help(c, "CONFIG", lines);
}

void respite_net_config(const struct respite *rs, struct respite_net_config *out)
{
    const struct rs_config *cfg = &((const struct store *)rs)->cfg;
    memset(out, 0, sizeof *out);
    snprintf(out->bind, sizeof out->bind, "%s", cfg->bind);
    out->port = cfg->port;
    out->maxclients = cfg->maxclients;
    out->timeout = cfg->timeout;
    out->tcp_keepalive = cfg->tcp_keepalive;
    out->hz = cfg->hz;
    out->client_query_buffer_limit = cfg->client_query_buffer_limit;
    out->proto_max_bulk_len = cfg->proto_max_bulk_len;
    /* The store's classes are Redis's: normal, replica, pubsub. */
    static const int cls[2] = {0, 2};
    for (int i = 0; i < 2; i++) {
        out->obuf[i].hard = cfg->obuf_hard[cls[i]];
        out->obuf[i].soft = cfg->obuf_soft[cls[i]];
        out->obuf[i].soft_secs = cfg->obuf_soft_secs[cls[i]];
    }
    out->loglevel = cfg->loglevel;
    snprintf(out->logfile, sizeof out->logfile, "%s", cfg->logfile);
    snprintf(out->pidfile, sizeof out->pidfile, "%s", cfg->pidfile);
}
