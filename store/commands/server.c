/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Connection and server commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH,
 * RESET, CLIENT, INFO, TIME, LASTSAVE, FUNCTION, SHUTDOWN and DEBUG, with
 * Redis 7.4's replies and error texts (networking.c, server.c, debug.c
 * there), and the INFO errorstats counter every error reply goes through.
 *
 * The session (struct session) is the client: its database, protocol,
 * name, library info, flags and authentication live there; what only the
 * transport knows (addresses, buffers, descriptor) is asked for through
 * session->io->describe. Time is the store clock (c->now), so DEBUG CLOCK
 * moves TTLs, client ages and TIME together.
 *
 * Version: HELLO and INFO report redis_version 7.4.0, the Redis behaviour
 * respite implements, so that client libraries which gate features on the
 * server version (RESP3 handshakes, CLIENT SETINFO, hash field TTLs) enable
 * the ones respite has.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "commands/acl.h"
#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/introspect.h"
#include "commands/persist.h"
#include "keyspace/keyspace.h"
#include "keyspace/rdb.h"
#include "keyspace/rdb_file.h"
#include "ds/crc64.h"
#include "ds/mem.h"
#include "commands/monitor.h"
#include "commands/pubsub.h"
#include "commands/tracking.h"
#include "commands/function.h"
#include "commands/script.h"
#include "resp_num.h"
#include "ds/table.h"
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "ds/util.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static void sbuf_reserve(struct sbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->p = rs_realloc(b->p, cap);
    b->cap = cap;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_free(struct sbuf *b)
{
    rs_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong
 * number of arguments for '<argv[1]>'. Try <CMD> HELP." */
void reply_subcmd_syntax(struct cmd_ctx *c)
{
    char up[32];
    size_t n = c->argv[0].len < sizeof up - 1 ? c->argv[0].len : sizeof up - 1;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)(c->argv[0].p[i] >= 'a' && c->argv[0].p[i] <= 'z' ? c->argv[0].p[i] - 32
                                                                          : c->argv[0].p[i]);
    up[n] = '\0';
    reply_errf(c, rs_err_text[RS_ERR_SUBCMD_SYNTAX], cstr_len(c->argv[1], 128), c->argv[1].p, up);
}

/* Redis memtoull: digits with an optional unit (b k kb m mb g gb, any case). */
static bool parse_memory(struct rs_str s, unsigned long long *v)
{
    size_t digits = 0;
    while (digits < s.len && s.p[digits] >= '0' && s.p[digits] <= '9')
        digits++;
    if (digits == 0 || digits > 19)
        return false;
    struct rs_str unit = rs_str_from(s.p + digits, s.len - digits);
    static const struct {
        const char *name;
        unsigned long long mul;
    } units[] = {{"", 1},           {"b", 1},
                 {"k", 1000},       {"kb", 1024},
                 {"m", 1000000},    {"mb", 1024 * 1024},
                 {"g", 1000000000}, {"gb", 1024ULL * 1024 * 1024}};
    unsigned long long mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (unit.len == strlen(units[i].name) && (unit.len == 0 || rs_str_eqi(unit, units[i].name)))
            mul = units[i].mul;
    if (mul == 0)
        return false;
    unsigned long long n = 0;
    for (size_t i = 0; i < digits; i++)
        n = n * 10 + (unsigned long long)(s.p[i] - '0');
    if (n > ULLONG_MAX / mul)
        return false;
    *v = n * mul;
    return true;
}

/* Client names and library attributes: printable ASCII without spaces
 * (Redis validateClientAttr). */
static bool valid_client_attr(struct rs_str s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '!' || s.p[i] > '~')
            return false;
    return true;
}

static void set_str_field(char **field, struct rs_str v)
{
    rs_free(*field);
    *field = v.len ? rs_memdup(v.p, v.len) : NULL;
}

static void set_proto(struct session *s, int proto)
{
    s->out.proto = proto;
    s->discard.proto = proto;
}

/* ------------------------------------------------------------------------
 * PING ECHO QUIT SELECT
 * ------------------------------------------------------------------------ */

/* PING [message] -- a RESP2 subscriber gets ["pong", message or ""]. */
void cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        reply_arity(c);
        return;
    }
    if (c->out->proto == 2 && pubsub_is_subscriber(c->s)) {
        resp_add_array_len(c->out, 2);
        resp_add_bulk(c->out, "pong", 4);
        resp_add_bulk_str(c->out, c->argc == 2 ? c->argv[1] : RS_STR(""));
    } else if (c->argc == 2)
        resp_add_bulk_str(c->out, c->argv[1]);
    else
        resp_add_simple(c->out, "PONG", 4);
}

/* ECHO message */
void cmd_echo(struct cmd_ctx *c)
{
    resp_add_bulk_str(c->out, c->argv[1]);
}

/* QUIT -- +OK, then the transport closes the connection. */
void cmd_quit(struct cmd_ctx *c)
{
    resp_add_ok(c->out);
    c->s->flags |= SES_CLOSE_AFTER_REPLY;
}

/* SELECT index */
void cmd_select(struct cmd_ctx *c)
{
    long long idx;
    if (!arg_ll(c, c->argv[1], &idx))
        return;
    if (idx < INT_MIN || idx > INT_MAX) { /* Redis reads the index as an int first */
        reply_err(c, RS_ERR_INT_RANGE);
        return;
    }
    if (idx < 0 || idx >= c->st->ndbs) {
        reply_err(c, RS_ERR_DB_RANGE);
        return;
    }
    c->s->db = (int)idx;
    resp_add_ok(c->out);
}

/* ------------------------------------------------------------------------
 * Authentication: HELLO AUTH RESET
 * ------------------------------------------------------------------------ */

/* HELLO [protover [AUTH username password] [SETNAME clientname]]
 * Options are all checked before any takes effect; AUTH runs before the
 * protocol switch, and a client that ends up unauthenticated changes
 * nothing. The map is written in the new protocol. */
void cmd_hello(struct cmd_ctx *c)
{
    long long ver = 0;
    int next = 1;
    if (c->argc >= 2) {
        if (!resp_str2ll(c->argv[1].p, c->argv[1].len, &ver)) {
            reply_err(c, RS_ERR_PROTOVER);
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_err(c, RS_ERR_NOPROTO);
            return;
        }
        next = 2;
    }
    struct rs_str user, pass;
    const struct rs_str *name = NULL;
    bool has_auth = false;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (rs_str_eqi(c->argv[j], "auth") && more >= 2) {
            user = c->argv[j + 1];
            pass = c->argv[j + 2];
            has_auth = true;
            monitor_redact(c, j + 1); /* as Redis, only the AUTH options read */
            monitor_redact(c, j + 2);
            j += 2;
        } else if (rs_str_eqi(c->argv[j], "setname") && more >= 1) {
            name = &c->argv[j + 1];
            if (!valid_client_attr(*name)) {
                reply_err(c, RS_ERR_CLIENT_NAME);
                return;
            }
            j++;
        } else {
            reply_errf(c, rs_err_text[RS_ERR_HELLO_OPTION], cstr_len(c->argv[j], 128),
                       c->argv[j].p);
            return;
        }
    }
    if (has_auth && !acl_auth_or_reply(c, user, pass))
        return;
    struct session *s = c->s;
    if (acl_auth_required(s)) {
        reply_err(c, RS_ERR_HELLO_NOAUTH);
        return;
    }
    if (name)
        set_str_field(&s->name, *name);
    if (ver)
        set_proto(s, (int)ver);
    resp_add_map_len(c->out, 7);
    resp_add_bulk_cstr(c->out, "server");
    resp_add_bulk_cstr(c->out, "redis");
    resp_add_bulk_cstr(c->out, "version");
    resp_add_bulk_cstr(c->out, RS_REDIS_VERSION);
    resp_add_bulk_cstr(c->out, "proto");
    resp_add_int(c->out, s->out.proto);
    resp_add_bulk_cstr(c->out, "id");
    resp_add_int(c->out, (long long)s->id);
    resp_add_bulk_cstr(c->out, "mode");
    resp_add_bulk_cstr(c->out, "standalone");
    resp_add_bulk_cstr(c->out, "role");
    resp_add_bulk_cstr(c->out, "master");
    resp_add_bulk_cstr(c->out, "modules");
    resp_add_array_len(c->out, 0);
}

/* AUTH [username] password */
void cmd_auth(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    struct rs_str user = RS_STR("default"), pass;
    struct rs_str a1 = c->argv[1], a2 = c->argc == 3 ? c->argv[2] : a1;
    for (int i = 1; i < c->argc; i++)
        monitor_redact(c, i);
    if (c->argc == 2) {
        /* Redis keeps the old error for the one-argument form when the
         * default user needs no password. */
        if (acl_default_nopass(c->st)) {
            reply_err(c, RS_ERR_AUTH_NOPASS);
            return;
        }
        pass = a1;
    } else {
        user = a1;
        pass = a2;
    }
    if (acl_auth_or_reply(c, user, pass))
        resp_add_ok(c->out);
}

/* RESET -- back to a fresh connection's state: out of MULTI, no WATCH,
 * RESP2, database 0, no name, no subscriptions (left without
 * confirmations), replies on, NO-TOUCH and NO-EVICT off, the default user
 * (unauthenticated when it has a password). The library name and version stay (Redis keeps them: they describe
 * the client library, not the connection state). */
void cmd_reset(struct cmd_ctx *c)
{
    struct session *s = c->s;
    multi_reset(s);
    pubsub_reset(s);
    monitor_stop(s);
    tracking_reset(s);
    s->db = 0;
    set_proto(s, 2);
    acl_session_reset(s);
    set_str_field(&s->name, RS_STR(""));
    s->flags &= ~(uint32_t)(SES_REPLY_OFF | SES_REPLY_SKIP_NEXT | SES_NO_TOUCH | SES_NO_EVICT);
    /* REPLY OFF is lifted before the reply, so +RESET is heard; a SKIP
     * aimed at this very command still drops it, as in Redis. */
    struct resp_out *o = (s->flags & SES_REPLY_SKIP) ? c->out : &s->out;
    resp_add_simple(o, "RESET", 5);
}

/* ------------------------------------------------------------------------
 * CLIENT
 * ------------------------------------------------------------------------ */

void session_describe(const struct session *s, struct session_desc *d)
{
    memset(d, 0, sizeof *d);
    d->fd = -1;
    d->events = "r";
    if (s->io && s->io->describe) {
        s->io->describe(s->io_ud, d);
    } else {
        d->omem = s->out.nbytes;
        for (const struct resp_chunk *ch = s->out.head; ch; ch = ch->next)
            d->oll++;
        d->rbs = s->out.tail ? s->out.tail->cap : s->out.spare ? s->out.spare->cap : 0;
        d->rbp = s->out.nbytes;
    }
}

/* One CLIENT LIST line (Redis catClientInfoString, 7.4's fields in its
 * order). The running command's client shows that command and its argv
 * size, as in Redis. */
static void client_line(const struct cmd_ctx *c, const struct session *s, struct sbuf *b)
{
    struct session_desc d;
    session_describe(s, &d);
    char flags[16], *f = flags;
    if (s->flags & SES_MONITOR)
        *f++ = 'O';
    if (pubsub_is_subscriber(s))
        *f++ = 'P';
    if (s->mq)
        *f++ = 'x';
    if (s->blk || s->pp)
        *f++ = 'b';
    f = tracking_flags(s, f);
    if (s->flags & SES_DIRTY_CAS)
        *f++ = 'd';
    if (s->flags & SES_CLOSE_AFTER_REPLY)
        *f++ = 'c';
    if (s->flags & SES_KILLED)
        *f++ = 'A';
    if (s->flags & SES_NO_EVICT)
        *f++ = 'e';
    if (s->flags & SES_NO_TOUCH)
        *f++ = 'T';
    if (f == flags)
        *f++ = 'N';
    *f = '\0';

    char cmd[64];
    size_t argv_mem = d.argv_mem;
    if (s == c->s && c->in_exec) {
        /* Run by EXEC: Redis shows EXEC, and EXEC's own argv ("exec"). */
        snprintf(cmd, sizeof cmd, "exec");
        argv_mem = 4;
    } else if (s == c->s) {
        cmd_print_name(c->cmd->fullname, cmd, sizeof cmd);
        argv_mem = 0;
        for (int i = 0; i < c->argc; i++)
            argv_mem += c->argv[i].len;
    } else {
        snprintf(cmd, sizeof cmd, "%s", s->last_cmd[0] ? s->last_cmd : "NULL");
        if (s->pp) /* the command CLIENT PAUSE holds */
            argv_mem = pause_argv_mem(s);
    }
    size_t tot = sizeof *s + d.qbuf + d.qbuf_free + argv_mem + d.rbs + d.omem +
                 (s->name ? strlen(s->name) + 1 : 0) + (s->lib_name ? strlen(s->lib_name) + 1 : 0) +
                 (s->lib_ver ? strlen(s->lib_ver) + 1 : 0) + multi_mem(s);
    sbuf_printf(b,
                "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%llu "
                "psub=%llu ssub=%llu multi=%d watch=%u qbuf=%zu qbuf-free=%zu argv-mem=%zu "
                "multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=%zu omem=%zu tot-mem=%zu events=%s "
                "cmd=%s user=%s redir=%lld resp=%d lib-name=%s lib-ver=%s\n",
                (unsigned long long)s->id, d.addr, d.laddr, d.fd, s->name ? s->name : "",
                (long long)(c->now / 1000 - s->ctime / 1000),
                (long long)(c->now / 1000 - s->last / 1000), flags, s->db,
                (unsigned long long)pubsub_count(s, PS_CHANNEL),
                (unsigned long long)pubsub_count(s, PS_PATTERN),
                (unsigned long long)pubsub_count(s, PS_SHARD), multi_count(s),
                (unsigned)s->nwatches, d.qbuf, d.qbuf_free, argv_mem, multi_mem(s), d.rbs, d.rbp,
                d.obl, d.oll, d.omem, tot, d.events, cmd, acl_user_name(s), tracking_redir(s),
                s->out.proto, s->lib_name ? s->lib_name : "",
                s->lib_ver ? s->lib_ver : "");
}

char *client_info_string(const struct cmd_ctx *c, const struct session *s, size_t *len)
{
    struct sbuf b = {0};
    client_line(c, s, &b);
    if (b.len && b.p[b.len - 1] == '\n')
        b.p[--b.len] = '\0';
    *len = b.len;
    return b.p;
}

/* Redis getClientTypeByName: 0 normal, 1 replica, 2 pubsub, 3 master, -1
 * unknown. */
static int client_type(struct rs_str name)
{
    if (rs_str_eqi(name, "normal"))
        return 0;
    if (rs_str_eqi(name, "slave") || rs_str_eqi(name, "replica"))
        return 1;
    if (rs_str_eqi(name, "pubsub"))
        return 2;
    if (rs_str_eqi(name, "master"))
        return 3;
    return -1;
}

/* The type of s (Redis getClientType): pubsub while subscribed, else
 * normal. */
static int session_type(const struct session *s)
{
    return pubsub_is_subscriber(s) ? 2 : 0;
}

/* CLIENT ID */
void cmd_client_id(struct cmd_ctx *c)
{
    resp_add_int(c->out, (long long)c->s->id);
}

/* CLIENT GETNAME -- the name, or a null when none is set. */
void cmd_client_getname(struct cmd_ctx *c)
{
    if (c->s->name)
        resp_add_bulk_cstr(c->out, c->s->name);
    else
        resp_add_null(c->out);
}

/* CLIENT SETNAME name -- an empty name clears it. */
void cmd_client_setname(struct cmd_ctx *c)
{
    if (!valid_client_attr(c->argv[2])) {
        reply_err(c, RS_ERR_CLIENT_NAME);
        return;
    }
    set_str_field(&c->s->name, c->argv[2]);
    resp_add_ok(c->out);
}

/* CLIENT SETINFO LIB-NAME name | LIB-VER version (Redis 7.2) */
void cmd_client_setinfo(struct cmd_ctx *c)
{
    struct rs_str attr = c->argv[2], val = c->argv[3];
    char **dest;
    if (rs_str_eqi(attr, "lib-name")) {
        dest = &c->s->lib_name;
    } else if (rs_str_eqi(attr, "lib-ver")) {
        dest = &c->s->lib_ver;
    } else {
        reply_errf(c, rs_err_text[RS_ERR_SETINFO_OPTION], cstr_len(attr, 128), attr.p);
        return;
    }
    if (!valid_client_attr(val)) {
        reply_errf(c, rs_err_text[RS_ERR_SETINFO_VALUE], cstr_len(attr, 128), attr.p);
        return;
    }
    set_str_field(dest, val);
    resp_add_ok(c->out);
}

/* CLIENT INFO -- this client's CLIENT LIST line, as verbatim text. */
void cmd_client_info(struct cmd_ctx *c)
{
    struct sbuf b = {0};
    client_line(c, c->s, &b);
    resp_add_verbatim(c->out, b.p, b.len, "txt");
    sbuf_free(&b);
}

/* CLIENT LIST [TYPE normal|master|replica|pubsub] | [ID id [id ...]] */
void cmd_client_list(struct cmd_ctx *c)
{
    struct sbuf b = {0};
    sbuf_reserve(&b, 0);
    if (c->argc == 4 && rs_str_eqi(c->argv[2], "type")) {
        int type = client_type(c->argv[3]);
        if (type < 0) {
            reply_errf(c, rs_err_text[RS_ERR_CLIENT_TYPE], cstr_len(c->argv[3], 128),
                       c->argv[3].p);
            sbuf_free(&b);
            return;
        }
        for (struct session *s = c->st->sessions_head; s; s = s->next)
            if (session_type(s) == type)
                client_line(c, s, &b);
    } else if (c->argc > 3 && rs_str_eqi(c->argv[2], "id")) {
        /* Every id is checked before any line is written: a bad one fails
         * the whole command. */
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!resp_str2ll(c->argv[j].p, c->argv[j].len, &id)) {
                reply_err(c, RS_ERR_CLIENT_ID_INVALID);
                sbuf_free(&b);
                return;
            }
        }
        for (int j = 3; j < c->argc; j++) {
            long long id;
            resp_str2ll(c->argv[j].p, c->argv[j].len, &id);
            for (struct session *s = c->st->sessions_head; s; s = s->next) {
                if (s->id == (uint64_t)id) {
                    client_line(c, s, &b);
                    break;
                }
            }
        }
    } else if (c->argc != 2) {
        reply_err(c, RS_ERR_SYNTAX);
        sbuf_free(&b);
        return;
    } else {
        for (struct session *s = c->st->sessions_head; s; s = s->next)
            client_line(c, s, &b);
    }
    resp_add_verbatim(c->out, b.p, b.len, "txt");
    sbuf_free(&b);
}

struct kill_filter {
    const struct rs_str *addr, *laddr, *user;
    uint64_t id;        /* 0: any */
    int type;           /* -1: any */
    bool skipme;
    long long maxage;   /* seconds, 0: any */
};

/* Redis clientMatchesFilter. */
static bool kill_matches(const struct cmd_ctx *c, const struct kill_filter *f,
                         const struct session *s)
{
    if (f->addr || f->laddr) {
        struct session_desc d;
        session_describe(s, &d);
        if (f->addr && !rs_str_eq(*f->addr, rs_str_from(d.addr, strlen(d.addr))))
            return false;
        if (f->laddr && !rs_str_eq(*f->laddr, rs_str_from(d.laddr, strlen(d.laddr))))
            return false;
    }
    if (f->user && !rs_str_eq(*f->user, rs_str_from(acl_user_name(s), strlen(acl_user_name(s)))))
        return false;
    if (f->type >= 0 && session_type(s) != f->type)
        return false;
    if (f->id && s->id != f->id)
        return false;
    if (f->skipme && s == c->s)
        return false;
    if (f->maxage && c->now / 1000 - s->ctime / 1000 < f->maxage)
        return false;
    return true;
}

/* The CLIENT KILL filters from argv[2..] (name value pairs), Redis's
 * parseClientFiltersOrReply. */
static bool parse_kill_filter(struct cmd_ctx *c, struct kill_filter *f)
{
    for (int i = 2; i + 1 < c->argc; i += 2) {
        struct rs_str opt = c->argv[i], *val = &c->argv[i + 1];
        if (rs_str_eqi(opt, "id")) {
            long long id;
            if (!resp_str2ll(val->p, val->len, &id) || id < 1) {
                reply_err(c, RS_ERR_CLIENT_ID_RANGE);
                return false;
            }
            f->id = (uint64_t)id;
        } else if (rs_str_eqi(opt, "type")) {
            f->type = client_type(*val);
            if (f->type < 0) {
                reply_errf(c, rs_err_text[RS_ERR_CLIENT_TYPE], cstr_len(*val, 128), val->p);
                return false;
            }
        } else if (rs_str_eqi(opt, "addr")) {
            f->addr = val;
        } else if (rs_str_eqi(opt, "laddr")) {
            f->laddr = val;
        } else if (rs_str_eqi(opt, "user")) {
            /* "default" is the one user there is. */
            if (!rs_str_eq(*val, RS_STR("default"))) {
                reply_errf(c, rs_err_text[RS_ERR_NO_SUCH_USER], cstr_len(*val, 128), val->p);
                return false;
            }
            f->user = val;
        } else if (rs_str_eqi(opt, "skipme")) {
            if (rs_str_eqi(*val, "yes")) {
                f->skipme = true;
            } else if (rs_str_eqi(*val, "no")) {
                f->skipme = false;
            } else {
                reply_err(c, RS_ERR_SYNTAX);
                return false;
            }
        } else if (rs_str_eqi(opt, "maxage")) {
            long long v;
            if (!resp_str2ll(val->p, val->len, &v)) {
                reply_err(c, RS_ERR_MAXAGE_NOT_INT);
                return false;
            }
            if (v <= 0) {
                reply_err(c, RS_ERR_MAXAGE_RANGE);
                return false;
            }
            f->maxage = v;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* CLIENT UNBLOCK client-id [TIMEOUT|ERROR] -- :1 if that client was
 * blocked (it then answers its timeout reply or an UNBLOCKED error). */
void cmd_client_unblock(struct cmd_ctx *c)
{
    bool error = false;
    if (c->argc > 4) {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->argc == 4) {
        if (rs_str_eqi(c->argv[3], "error")) {
            error = true;
        } else if (!rs_str_eqi(c->argv[3], "timeout")) {
            reply_errf(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    long long id;
    if (!arg_ll(c, c->argv[2], &id))
        return;
    for (struct session *s = c->st->sessions_head; s; s = s->next) {
        if (s->id == (uint64_t)id) {
            resp_add_int(c->out, block_unblock(s, error));
            return;
        }
    }
    resp_add_int(c->out, 0);
}

/* CLIENT KILL ip:port | CLIENT KILL <filter value> ...
 * Another client is closed by its transport right after this command, its
 * pending replies dropped (io->kill); this client closes after this reply.
 * The old form replies +OK or "No such client" and may kill the caller;
 * the new one replies the count and skips the caller unless SKIPME no. */
void cmd_client_kill(struct cmd_ctx *c)
{
    struct kill_filter f = {.type = -1, .skipme = true};
    bool old_form = c->argc == 3;
    if (old_form) {
        f.addr = &c->argv[2];
        f.skipme = false;
    } else if (c->argc % 2 != 0) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    } else if (!parse_kill_filter(c, &f)) {
        return;
    }
    long long killed = 0;
    bool close_self = false;
    for (struct session *s = c->st->sessions_head; s; s = s->next) {
        /* A client already being closed is gone as far as Redis is concerned. */
        if ((s->flags & SES_KILLED) || !kill_matches(c, &f, s))
            continue;
        if (s == c->s) {
            close_self = true;
        } else {
            s->flags |= SES_KILLED;
            /* Out of every wait list now: a push later in this EXEC or
             * pipeline must not be handed to a client that is going. */
            block_cancel(s);
            pause_cancel(s);
            if (s->io && s->io->kill)
                s->io->kill(s->io_ud);
        }
        killed++;
    }
    if (!old_form)
        resp_add_int(c->out, killed);
    else if (killed == 0)
        reply_err(c, RS_ERR_NO_SUCH_CLIENT);
    else
        resp_add_ok(c->out);
    if (close_self)
        c->s->flags |= SES_CLOSE_AFTER_REPLY;
}

/* ON/OFF for a session flag; a syntax error for anything else. */
static void client_switch(struct cmd_ctx *c, uint32_t flag)
{
    if (rs_str_eqi(c->argv[2], "on")) {
        c->s->flags |= flag;
    } else if (rs_str_eqi(c->argv[2], "off")) {
        c->s->flags &= ~flag;
    } else {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    resp_add_ok(c->out);
}

/* CLIENT NO-EVICT ON|OFF */
void cmd_client_no_evict(struct cmd_ctx *c)
{
    client_switch(c, SES_NO_EVICT);
}

/* CLIENT NO-TOUCH ON|OFF -- reads by this client leave keys' access time
 * alone (keyspace.c). */
void cmd_client_no_touch(struct cmd_ctx *c)
{
    client_switch(c, SES_NO_TOUCH);
}

/* CLIENT REPLY ON|OFF|SKIP -- OFF and SKIP reply nothing; ON replies +OK to
 * the real output, since this command itself ran muted. */
void cmd_client_reply(struct cmd_ctx *c)
{
    struct session *s = c->s;
    if (rs_str_eqi(c->argv[2], "on")) {
        s->flags &= ~(uint32_t)(SES_REPLY_OFF | SES_REPLY_SKIP);
        resp_add_ok(&s->out);
    } else if (rs_str_eqi(c->argv[2], "off")) {
        s->flags |= SES_REPLY_OFF;
    } else if (rs_str_eqi(c->argv[2], "skip")) {
        if (!(s->flags & SES_REPLY_OFF))
            s->flags |= SES_REPLY_SKIP_NEXT;
    } else {
        reply_err(c, RS_ERR_SYNTAX);
    }
}

/* CLIENT HELP */
void cmd_client_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "    * MAXAGE <maxage>",
        "      Kill connections older than the specified age.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "UNPAUSE",
        "    Stop the current client pause, resuming traffic.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Suspend all, or just write, clients for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Unblock the specified blocked client.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "NO-TOUCH (ON|OFF)",
        "    Will not touch LRU/LFU stats when this mode is on.",
        NULL,
    };
    reply_help(c, "CLIENT", lines);
}

/* ------------------------------------------------------------------------
 * INFO
 * ------------------------------------------------------------------------ */

/* Redis bytesToHuman. */
static void human_bytes(char *buf, size_t size, unsigned long long n)
{
    static const char units[] = "KMGTP";
    if (n < 1024) {
        snprintf(buf, size, "%lluB", n);
        return;
    }
    double d = (double)n / 1024;
    int u = 0;
    while (d >= 1024 && u < 4) {
        d /= 1024;
        u++;
    }
    snprintf(buf, size, "%.2f%c", d, units[u]);
}

/* Resident set size in bytes, from /proc/self/statm; 0 if unreadable. */
static unsigned long long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    unsigned long long size = 0, resident = 0;
    int n = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    return n == 2 ? resident * (unsigned long long)sysconf(_SC_PAGESIZE) : 0;
}

enum {
    SEC_SERVER = 1 << 0,
    SEC_CLIENTS = 1 << 1,
    SEC_MEMORY = 1 << 2,
    SEC_PERSISTENCE = 1 << 3,
    SEC_STATS = 1 << 4,
    SEC_REPLICATION = 1 << 5,
    SEC_CPU = 1 << 6,
    SEC_MODULES = 1 << 7,
    SEC_COMMANDSTATS = 1 << 8,
    SEC_ERRORSTATS = 1 << 9,
    SEC_CLUSTER = 1 << 10,
    SEC_KEYSPACE = 1 << 11,
    SEC_PROJECTS = 1 << 12,
    SEC_LATENCYSTATS = 1 << 13,
    SEC_DEFAULT = SEC_SERVER | SEC_CLIENTS | SEC_MEMORY | SEC_PERSISTENCE | SEC_STATS |
                  SEC_REPLICATION | SEC_CPU | SEC_MODULES | SEC_ERRORSTATS | SEC_CLUSTER |
                  SEC_KEYSPACE,
    SEC_ALL = SEC_DEFAULT | SEC_COMMANDSTATS | SEC_LATENCYSTATS, /* "all" and "everything" */
};

static const struct {
    const char *name;
    int bit;
} info_sections[] = {
    {"server", SEC_SERVER},           {"clients", SEC_CLIENTS},
    {"memory", SEC_MEMORY},           {"persistence", SEC_PERSISTENCE},
    {"stats", SEC_STATS},             {"replication", SEC_REPLICATION},
    {"cpu", SEC_CPU},                 {"modules", SEC_MODULES},
    {"module_list", SEC_MODULES},     {"commandstats", SEC_COMMANDSTATS},
    {"errorstats", SEC_ERRORSTATS},   {"cluster", SEC_CLUSTER},
    {"latencystats", SEC_LATENCYSTATS},
    {"keyspace", SEC_KEYSPACE},       {"projects", SEC_PROJECTS},
    {"default", SEC_DEFAULT},         {"all", SEC_ALL},
    {"everything", SEC_ALL},
};

static void info_server(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    struct utsname u;
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t uptime = (rs_real_ms() - st->stats.start_ms) / 1000;
    /* The build's identity, as Redis's redis_build_id (a hash of its
     * version and build): respite's and Redis's versions and the compiler. */
    static const char build[] = RESPITE_VERSION " " RS_REDIS_VERSION " " __VERSION__;
    sbuf_printf(b,
                "# Server\r\n"
                "redis_version:" RS_REDIS_VERSION "\r\n"
                "redis_git_sha1:00000000\r\n"
                "redis_git_dirty:0\r\n"
                "redis_build_id:%016llx\r\n"
                "redis_mode:standalone\r\n"
                "respite_version:" RESPITE_VERSION "\r\n"
                "os:%s %s %s\r\n"
                "arch_bits:%d\r\n"
                "monotonic_clock:POSIX clock_gettime\r\n"
                "multiplexing_api:epoll\r\n"
                "atomicvar_api:c11-builtin\r\n"
                "gcc_version:%d.%d.%d\r\n"
                "process_id:%ld\r\n"
                "process_supervised:no\r\n"
                "run_id:%s\r\n"
                "tcp_port:%d\r\n"
                "server_time_usec:%lld\r\n"
                "uptime_in_seconds:%lld\r\n"
                "uptime_in_days:%lld\r\n"
                "hz:%d\r\n"
                "configured_hz:%d\r\n"
                "lru_clock:%u\r\n"
                "executable:%s\r\n"
                "config_file:%s\r\n"
                "io_threads_active:0\r\n",
                (unsigned long long)crc64(0, build, sizeof build - 1), u.sysname, u.release, u.machine, (int)sizeof(void *) * 8,
#ifdef __GNUC__
                __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
                0, 0, 0,
#endif
                (long)getpid(), st->run_id, st->cfg.port,
                (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, (long long)uptime,
                (long long)uptime / 86400, st->cfg.hz, st->cfg.hz, store_lru(st), exe,
                st->config_file);
    /* The one listener, TCP on the bind addresses as configured (respite
     * has no TLS or Unix socket listener). */
    sbuf_printf(b, "listener0:name=tcp");
    char addrs[sizeof st->cfg.bind];
    snprintf(addrs, sizeof addrs, "%s", st->cfg.bind);
    char *save = NULL;
    for (char *a = strtok_r(addrs, " \t", &save); a; a = strtok_r(NULL, " \t", &save))
        sbuf_printf(b, ",bind=%s", a);
    sbuf_printf(b, ",port=%d\r\n", st->cfg.port);
}

static void info_clients(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    uint64_t ntracking, tkeys, titems, tprefixes;
    tracking_stats(st, &ntracking, &tkeys, &titems, &tprefixes);
    /* The largest buffers now: the transport keeps no history. */
    size_t max_in = 0, max_out = 0;
    unsigned long long nwatching = 0;
    for (const struct session *s = st->sessions_head; s; s = s->next) {
        nwatching += s->nwatches > 0;
        struct session_desc d;
        session_describe(s, &d);
        if (d.qbuf + d.qbuf_free > max_in)
            max_in = d.qbuf + d.qbuf_free;
        if (d.omem > max_out)
            max_out = d.omem;
    }
    sbuf_printf(b,
                "# Clients\r\n"
                "connected_clients:%llu\r\n"
                "cluster_connections:0\r\n"
                "maxclients:%lld\r\n"
                "client_recent_max_input_buffer:%zu\r\n"
                "client_recent_max_output_buffer:%zu\r\n"
                "blocked_clients:%llu\r\n"
                "tracking_clients:%llu\r\n"
                "pubsub_clients:%llu\r\n",
                (unsigned long long)st->nsessions,
                st->cfg.maxclients, max_in, max_out,
                (unsigned long long)st->stats.blocked_clients, (unsigned long long)ntracking,
                (unsigned long long)pubsub_nclients(st));
    /* Redis 7.4's WATCH gauges (multi.c), around the blocked clients
     * that wait with a timeout (block.c). */
    sbuf_printf(b, "watching_clients:%llu\r\nclients_in_timeout_table:%llu\r\n"
                "total_watched_keys:%llu\r\n",
                nwatching, (unsigned long long)st->btimeouts.n, (unsigned long long)st->watched.n);
    /* And its blocking gauges (block.c). */
    sbuf_printf(b, "total_blocking_keys:%llu\r\ntotal_blocking_keys_on_nokey:%llu\r\n",
                (unsigned long long)st->blocking.n, (unsigned long long)st->blocking_nokey);
}

void mem_note_peak(struct store *st)
{
    uint64_t used = store_used(st);
    if (used > st->peak_memory)
        st->peak_memory = used;
}

/* a / b as Redis's float ratios; 0 when b is. */
static double mem_ratio(double a, double b)
{
    return b > 0 ? (double)(float)(a / b) : 0;
}

void mem_info(struct store *st, struct mem_info *m)
{
    memset(m, 0, sizeof *m);
    mem_note_peak(st);
    m->dataset = st->used_memory;
    m->overhead = st->shard_bytes;
    m->used = store_used(st);
    m->peak = st->peak_memory;
    m->startup = st->startup_memory;
    m->rss = rss_bytes();
    for (const struct session *s = st->sessions_head; s; s = s->next) {
        struct session_desc d;
        session_describe(s, &d);
        m->clients += d.qbuf + d.qbuf_free + d.omem;
    }
    if (st->aof)
        m->aof_buffer = rs_alloc_size(st->aof->buf.p) + rs_alloc_size(st->aof->pend.p);
    for (int i = 0; i < st->ndbs; i++) {
        const struct table *t = &st->dbs[i]->global.tbl;
        if (t->rehash_idx != -1) { /* the array being emptied */
            m->nrehashing++;
            m->rehashing += tbl_size(t, 0) * sizeof(struct entry *);
        }
    }
    if (!mem_alloc_stats(m)) {
        /* Redis's stand-ins when the allocator tells nothing (zmalloc's
         * libc build): the rss less the scripts' VM, which the allocator
         * would not hold, as its resident and active bytes, and used as
         * its allocated. */
        struct script_stats ss;
        script_stats(st, &ss);
        m->resident = m->rss > ss.vm_bytes ? m->rss - ss.vm_bytes : 0;
        m->active = m->resident;
        m->allocated = m->used;
    }
    m->peak_perc = mem_ratio((double)m->used * 100, (double)m->peak);
    m->dataset_perc = mem_ratio((double)m->dataset * 100,
                                m->used > m->startup ? (double)(m->used - m->startup) : 1);
    m->alloc_frag = mem_ratio((double)m->frag_smallbins, (double)m->allocated) + 1;
    m->alloc_rss = mem_ratio((double)m->resident, (double)m->active);
    m->alloc_rss_bytes = (long long)m->resident - (long long)m->active;
    m->rss_extra = mem_ratio((double)m->rss, (double)m->resident);
    m->rss_extra_bytes = (long long)m->rss - (long long)m->resident;
    /* Redis's RSS over its used_memory, which is its allocator's live
     * bytes: here the allocator's too (used_memory is the store's own
     * accounting, without its tables' arrays, buffers and interpreters),
     * so that the ratio measures fragmentation, as in Redis. */
    m->frag = mem_ratio((double)m->rss, (double)m->allocated);
    m->frag_bytes = (long long)m->rss - (long long)m->allocated;
}

static void info_memory(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    struct mem_info m;
    mem_info(c->st, &m);
    unsigned long long total = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
                               (unsigned long long)sysconf(_SC_PAGESIZE);
    unsigned long long maxmem = (unsigned long long)st->cfg.maxmemory;
    char h_used[32], h_rss[32], h_peak[32], h_total[32], h_max[32];
    human_bytes(h_used, sizeof h_used, m.used);
    human_bytes(h_rss, sizeof h_rss, m.rss);
    human_bytes(h_peak, sizeof h_peak, m.peak);
    human_bytes(h_total, sizeof h_total, total);
    human_bytes(h_max, sizeof h_max, maxmem);
    /* used_memory is what the store accounts for: its keys and values
     * (used_memory_dataset) and what its project shards cost beyond them
     * (used_memory_overhead); the process as a whole is used_memory_rss. */
    sbuf_printf(b,
                "# Memory\r\n"
                "used_memory:%llu\r\n"
                "used_memory_human:%s\r\n"
                "used_memory_rss:%llu\r\n"
                "used_memory_rss_human:%s\r\n"
                "used_memory_peak:%llu\r\n"
                "used_memory_peak_human:%s\r\n"
                "used_memory_peak_perc:%.2f%%\r\n"
                "used_memory_overhead:%llu\r\n"
                "used_memory_startup:%llu\r\n"
                "used_memory_dataset:%llu\r\n"
                "used_memory_dataset_perc:%.2f%%\r\n"
                "allocator_allocated:%llu\r\n"
                "allocator_active:%llu\r\n"
                "allocator_resident:%llu\r\n"
                "allocator_muzzy:%llu\r\n"
                "total_system_memory:%llu\r\n"
                "total_system_memory_human:%s\r\n",
                (unsigned long long)m.used, h_used, (unsigned long long)m.rss, h_rss,
                (unsigned long long)m.peak, h_peak, m.peak_perc, (unsigned long long)m.overhead,
                (unsigned long long)m.startup, (unsigned long long)m.dataset, m.dataset_perc,
                (unsigned long long)m.allocated, (unsigned long long)m.active,
                (unsigned long long)m.resident, (unsigned long long)m.muzzy, total, h_total);
    /* Scripting, in Redis 7.4's names: EVAL's VM and cache of scripts,
     * the functions' VM and libraries, and both together. */
    struct script_stats ss;
    script_stats(st, &ss);
    struct functions_stats fs;
    functions_stats(st, &fs);
    uint64_t vm_total = ss.vm_bytes + fs.vm_bytes, scripts = ss.script_bytes + fs.bytes;
    char h_vm[32], h_vm_total[32], h_scripts[32];
    human_bytes(h_vm, sizeof h_vm, ss.vm_bytes);
    human_bytes(h_vm_total, sizeof h_vm_total, vm_total);
    human_bytes(h_scripts, sizeof h_scripts, scripts);
    sbuf_printf(b,
                "used_memory_lua:%llu\r\n"
                "used_memory_vm_eval:%llu\r\n"
                "used_memory_lua_human:%s\r\n"
                "used_memory_scripts_eval:%llu\r\n"
                "number_of_cached_scripts:%llu\r\n"
                "number_of_functions:%llu\r\n"
                "number_of_libraries:%llu\r\n"
                "used_memory_vm_functions:%llu\r\n"
                "used_memory_vm_total:%llu\r\n"
                "used_memory_vm_total_human:%s\r\n"
                "used_memory_functions:%llu\r\n"
                "used_memory_scripts:%llu\r\n"
                "used_memory_scripts_human:%s\r\n",
                (unsigned long long)ss.vm_bytes, (unsigned long long)ss.vm_bytes, h_vm,
                (unsigned long long)ss.script_bytes, (unsigned long long)ss.nscripts,
                (unsigned long long)fs.nfunctions, (unsigned long long)fs.nlibraries,
                (unsigned long long)fs.vm_bytes, (unsigned long long)vm_total, h_vm_total,
                (unsigned long long)fs.bytes, (unsigned long long)scripts, h_scripts);
    /* mem_not_counted_for_evict: values queued for freeing in the
     * background, in used_memory until freed but no longer against
     * maxmemory (keyspace/evict.c). No replication, cluster or active
     * defragmentation: their figures are 0. */
    char policy[32], alloc[64];
    respite_config_get((struct respite *)c->st, "maxmemory-policy", policy, sizeof policy);
    mem_alloc_name(alloc, sizeof alloc);
    sbuf_printf(b,
                "maxmemory:%llu\r\n"
                "maxmemory_human:%s\r\n"
                "maxmemory_policy:%s\r\n"
                "allocator_frag_ratio:%.2f\r\n"
                "allocator_frag_bytes:%llu\r\n"
                "allocator_rss_ratio:%.2f\r\n"
                "allocator_rss_bytes:%lld\r\n"
                "rss_overhead_ratio:%.2f\r\n"
                "rss_overhead_bytes:%lld\r\n"
                "mem_fragmentation_ratio:%.2f\r\n"
                "mem_fragmentation_bytes:%lld\r\n"
                "mem_not_counted_for_evict:%llu\r\n"
                "mem_replication_backlog:0\r\n"
                "mem_total_replication_buffers:0\r\n"
                "mem_clients_slaves:0\r\n"
                "mem_clients_normal:%llu\r\n"
                "mem_cluster_links:0\r\n"
                "mem_aof_buffer:%llu\r\n"
                "mem_allocator:%s\r\n"
                "mem_overhead_db_hashtable_rehashing:%llu\r\n"
                "active_defrag_running:0\r\n"
                "lazyfree_pending_objects:%llu\r\n"
                "lazyfreed_objects:%llu\r\n",
                maxmem, h_max, policy, m.alloc_frag, (unsigned long long)m.frag_smallbins,
                m.alloc_rss, m.alloc_rss_bytes, m.rss_extra, m.rss_extra_bytes, m.frag,
                m.frag_bytes, (unsigned long long)st->lazy_bytes, (unsigned long long)m.clients,
                (unsigned long long)m.aof_buffer, alloc, (unsigned long long)m.rehashing,
                (unsigned long long)st->lazy_pending, (unsigned long long)st->stats.lazyfreed);
}

static void info_persistence(const struct cmd_ctx *c, struct sbuf *b)
{
    char buf[4096];
    persist_info(c->st, buf, sizeof buf);
    sbuf_printf(b, "%s", buf);
}

/* The mean of an instantaneous metric's samples (Redis's
 * getInstantaneousMetric). */
static long long inst_metric(const struct store_stats *ss, int which)
{
    long long sum = 0;
    for (int j = 0; j < RS_INST_SAMPLES; j++)
        sum += ss->inst[which].samples[j];
    return sum / RS_INST_SAMPLES;
}

static void info_stats(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    const struct store_stats *ss = &st->stats;
    uint64_t ntracking, tkeys, titems, tprefixes;
    tracking_stats(c->st, &ntracking, &tkeys, &titems, &tprefixes);
    struct script_stats sc;
    script_stats(c->st, &sc);
    /* No replication, MIGRATE, active defragmentation or I/O threads:
     * their figures are 0. Expiry reclaims every due key it reaches,
     * earliest first: no sampling, so expired_stale_perc is 0. */
    sbuf_printf(b,
                "# Stats\r\n"
                "total_connections_received:%llu\r\n"
                "total_commands_processed:%llu\r\n"
                "instantaneous_ops_per_sec:%lld\r\n"
                "total_net_input_bytes:%llu\r\n"
                "total_net_output_bytes:%llu\r\n"
                "total_net_repl_input_bytes:0\r\n"
                "total_net_repl_output_bytes:0\r\n"
                "instantaneous_input_kbps:%.2f\r\n"
                "instantaneous_output_kbps:%.2f\r\n"
                "instantaneous_input_repl_kbps:0.00\r\n"
                "instantaneous_output_repl_kbps:0.00\r\n"
                "rejected_connections:%llu\r\n"
                "sync_full:0\r\n"
                "sync_partial_ok:0\r\n"
                "sync_partial_err:0\r\n"
                "expired_subkeys:%llu\r\n"
                "expired_keys:%llu\r\n"
                "expired_stale_perc:0.00\r\n"
                "expired_time_cap_reached_count:%llu\r\n"
                "expire_cycle_cpu_milliseconds:%llu\r\n"
                "evicted_keys:%llu\r\n"
                "evicted_clients:0\r\n"
                "evicted_scripts:%llu\r\n"
                "total_eviction_exceeded_time:%llu\r\n"
                "current_eviction_exceeded_time:%llu\r\n"
                "keyspace_hits:%llu\r\n"
                "keyspace_misses:%llu\r\n"
                "pubsub_channels:%llu\r\n"
                "pubsub_patterns:%llu\r\n"
                "pubsubshard_channels:%llu\r\n"
                "latest_fork_usec:%llu\r\n"
                "total_forks:%llu\r\n"
                "migrate_cached_sockets:0\r\n"
                "slave_expires_tracked_keys:0\r\n"
                "active_defrag_hits:0\r\n"
                "active_defrag_misses:0\r\n"
                "active_defrag_key_hits:0\r\n"
                "active_defrag_key_misses:0\r\n"
                "total_active_defrag_time:0\r\n"
                "current_active_defrag_time:0\r\n",
                (unsigned long long)ss->numconnections, (unsigned long long)ss->numcommands,
                inst_metric(ss, RS_INST_COMMANDS), (unsigned long long)ss->net_in,
                (unsigned long long)ss->net_out, (double)inst_metric(ss, RS_INST_NET_IN) / 1024,
                (double)inst_metric(ss, RS_INST_NET_OUT) / 1024,
                (unsigned long long)ss->rejected_conn, (unsigned long long)ss->expired_subkeys,
                (unsigned long long)ss->expired_keys,
                (unsigned long long)ss->expire_time_cap_reached,
                (unsigned long long)ss->expire_cycle_us / 1000,
                (unsigned long long)ss->evicted_keys, (unsigned long long)sc.evicted,
                (unsigned long long)ks_evict_exceeded_ms(c->st, true),
                (unsigned long long)ks_evict_exceeded_ms(c->st, false),
                (unsigned long long)ss->keyspace_hits, (unsigned long long)ss->keyspace_misses,
                (unsigned long long)pubsub_nchannels(c->st, PS_CHANNEL),
                (unsigned long long)pubsub_nchannels(c->st, PS_PATTERN),
                (unsigned long long)pubsub_nchannels(c->st, PS_SHARD),
                (unsigned long long)ss->latest_fork_us, (unsigned long long)ss->total_forks);
    sbuf_printf(b,
                "tracking_total_keys:%llu\r\n"
                "tracking_total_items:%llu\r\n"
                "tracking_total_prefixes:%llu\r\n"
                "unexpected_error_replies:%llu\r\n"
                "total_error_replies:%llu\r\n"
                "dump_payload_sanitizations:%llu\r\n"
                "total_reads_processed:%llu\r\n"
                "total_writes_processed:%llu\r\n"
                "io_threaded_reads_processed:0\r\n"
                "io_threaded_writes_processed:0\r\n"
                "client_query_buffer_limit_disconnections:%llu\r\n"
                "client_output_buffer_limit_disconnections:%llu\r\n"
                "reply_buffer_shrinks:%llu\r\n"
                "reply_buffer_expands:%llu\r\n"
                "eventloop_cycles:%llu\r\n"
                "eventloop_duration_sum:%llu\r\n"
                "eventloop_duration_cmd_sum:%llu\r\n"
                "instantaneous_eventloop_cycles_per_sec:%lld\r\n"
                "instantaneous_eventloop_duration_usec:%lld\r\n"
                "acl_access_denied_auth:%llu\r\n"
                "acl_access_denied_cmd:%llu\r\n"
                "acl_access_denied_key:%llu\r\n"
                "acl_access_denied_channel:%llu\r\n",
                (unsigned long long)tkeys, (unsigned long long)titems,
                (unsigned long long)tprefixes, (unsigned long long)ss->unexpected_error_replies,
                (unsigned long long)ss->total_error_replies,
                (unsigned long long)ss->dump_sanitizations, (unsigned long long)ss->reads,
                (unsigned long long)ss->writes, (unsigned long long)ss->qbuf_limit_closed,
                (unsigned long long)ss->obuf_limit_closed,
                (unsigned long long)ss->reply_buffer_shrinks,
                (unsigned long long)ss->reply_buffer_expands, (unsigned long long)ss->el_cycles,
                (unsigned long long)(ss->el_ns / 1000), (unsigned long long)ss->cmd_usec,
                inst_metric(ss, RS_INST_EL_CYCLES), inst_metric(ss, RS_INST_EL_DURATION),
                (unsigned long long)st->acl_denied[ACL_DENIED_AUTH],
                (unsigned long long)st->acl_denied[ACL_DENIED_CMD],
                (unsigned long long)st->acl_denied[ACL_DENIED_KEY],
                (unsigned long long)st->acl_denied[ACL_DENIED_CHANNEL]);
}

/* A master without replicas; repl_backlog_size is the parameter's value
 * (respite keeps no backlog). */
static void info_replication(const struct cmd_ctx *c, struct sbuf *b)
{
    char backlog[32];
    respite_config_get((struct respite *)c->st, "repl-backlog-size", backlog, sizeof backlog);
    sbuf_printf(b,
                "# Replication\r\n"
                "role:master\r\n"
                "connected_slaves:0\r\n"
                "master_failover_state:no-failover\r\n"
                "master_replid:%s\r\n"
                "master_replid2:0000000000000000000000000000000000000000\r\n"
                "master_repl_offset:%lld\r\n"
                "second_repl_offset:-1\r\n"
                "repl_backlog_active:0\r\n"
                "repl_backlog_size:%s\r\n"
                "repl_backlog_first_byte_offset:0\r\n"
                "repl_backlog_histlen:0\r\n",
                c->st->replid, (long long)c->st->repl_off, backlog);
}

static void info_cpu(struct sbuf *b)
{
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
    sbuf_printf(b,
                "# CPU\r\n"
                "used_cpu_sys:%ld.%06ld\r\n"
                "used_cpu_user:%ld.%06ld\r\n"
                "used_cpu_sys_children:%ld.%06ld\r\n"
                "used_cpu_user_children:%ld.%06ld\r\n"
                "used_cpu_sys_main_thread:%ld.%06ld\r\n"
                "used_cpu_user_main_thread:%ld.%06ld\r\n",
                (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
                (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
                (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec,
                (long)children.ru_utime.tv_sec, (long)children.ru_utime.tv_usec,
                (long)thread.ru_stime.tv_sec, (long)thread.ru_stime.tv_usec,
                (long)thread.ru_utime.tv_sec, (long)thread.ru_utime.tv_usec);
}

static void info_commandstats(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    sbuf_printf(b, "# Commandstats\r\n");
    for (int i = 0; i < st->ncstats; i++) {
        const struct cmd_stats *cs = &st->cstats[i];
        if (!cs->calls && !cs->failed && !cs->rejected)
            continue;
        char name[96];
        cmd_print_name(cmd_at(i)->fullname, name, sizeof name);
        sbuf_printf(b,
                    "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                    "failed_calls=%llu\r\n",
                    name, (unsigned long long)cs->calls, (unsigned long long)cs->usec,
                    cs->calls ? (double)cs->usec / (double)cs->calls : 0.0,
                    (unsigned long long)cs->rejected, (unsigned long long)cs->failed);
    }
}

static void info_errorstats(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store_stats *ss = &c->st->stats;
    sbuf_printf(b, "# Errorstats\r\n");
    for (int i = 0; i < ss->nerrors; i++)
        sbuf_printf(b, "errorstat_%s:count=%llu\r\n", ss->errors[i].code,
                    (unsigned long long)ss->errors[i].count);
}

/* Per command that ran since the last reset (latency-tracking): the
 * percentiles of latency-tracking-info-percentiles, in microseconds. */
static void info_latencystats(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    sbuf_printf(b, "# Latencystats\r\n");
    for (int i = 0; i < st->ncstats; i++) {
        if (introspect_calls(st, i) == 0)
            continue;
        char name[96];
        cmd_print_name(cmd_at(i)->fullname, name, sizeof name);
        sbuf_printf(b, "latency_percentiles_usec_%s:", name);
        for (int j = 0; j < st->nlat_pctl; j++) {
            char p[400];
            fmt_trimmed_double(p, sizeof p, st->lat_pctl[j]);
            sbuf_printf(b, "%sp%s=%.3f", j ? "," : "", p,
                        introspect_percentile(st, i, st->lat_pctl[j]));
        }
        sbuf_printf(b, "\r\n");
    }
}

/* The databases' counters (ks_db_size, ks_db_expires): O(databases); for
 * a project user, those of the keys it sees (keys_visible). */
static void info_keyspace(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    sbuf_printf(b, "# Keyspace\r\n");
    bool mine = c->s->flags & SES_PROJECT;
    for (int i = 0; i < st->ndbs; i++) {
        struct db *db = st->dbs[i];
        uint64_t expires, keys = keys_visible(c->s, db, &expires);
        if (keys == 0)
            continue;
        /* A project user's line: its keys; no mean TTL or sub-key count
         * of them is kept, so both read 0. */
        sbuf_printf(b, "db%d:keys=%llu,expires=%llu,avg_ttl=%llu,subexpiry=%llu\r\n", i,
                    (unsigned long long)keys, (unsigned long long)expires,
                    (unsigned long long)(mine ? 0 : ks_db_avg_ttl(db, c->now)),
                    (unsigned long long)(mine ? 0 : ks_db_expires(db, true)));
    }
}

/* respite's own section (only when asked for by name): one line per
 * project shard, "project_<id>:db=N,keys=..,bytes=..,expiring_keys=..,
 * commands=..". Bytes of an id that would break the line format (outside
 * '!'..'~', or ':' ',' '=') are written as '?'. The one part of INFO that
 * walks the shards: its reply is a line per shard. */
struct info_projects_walk {
    struct sbuf *b;
    int db;
    const struct session *s; /* a project user's lists only its projects */
};

static void info_project(void *ud, const struct ks_proj *p)
{
    struct info_projects_walk *w = ud;
    struct sbuf *b = w->b;
    if (ks_proj_keys(p) == 0 || ((w->s->flags & SES_PROJECT) && !acl_in_projects(w->s, ks_proj_id(p))))
        return;
    struct rs_str id = ks_proj_id(p);
    sbuf_printf(b, "project_");
    sbuf_reserve(b, id.len);
    for (size_t j = 0; j < id.len; j++) {
        char ch = id.p[j];
        bool plain = ch >= '!' && ch <= '~' && ch != ':' && ch != ',' && ch != '=';
        b->p[b->len++] = plain ? ch : '?';
    }
    sbuf_printf(b, ":db=%d,keys=%llu,bytes=%llu,expiring_keys=%llu,commands=%llu\r\n", w->db,
                (unsigned long long)ks_proj_keys(p), (unsigned long long)ks_proj_bytes(p),
                (unsigned long long)ks_proj_expiring(p), (unsigned long long)ks_proj_commands(p));
}

static void info_projects(const struct cmd_ctx *c, struct sbuf *b)
{
    const struct store *st = c->st;
    sbuf_printf(b, "# Projects\r\n");
    for (int i = 0; i < st->ndbs; i++) {
        struct info_projects_walk w = {b, i, c->s};
        ks_foreach_project(st->dbs[i], false, info_project, &w);
    }
}

/* INFO [section [section ...]] -- Redis's text, sections in Redis's order
 * whatever the order asked; names are case-insensitive, unknown ones are
 * ignored; "default" (no argument), "all" (adds commandstats) and
 * "everything". A verbatim string in RESP3, a bulk in RESP2. */
void cmd_info(struct cmd_ctx *c)
{
    int want = c->argc == 1 ? SEC_DEFAULT : 0;
    for (int i = 1; i < c->argc; i++)
        for (size_t k = 0; k < sizeof info_sections / sizeof info_sections[0]; k++)
            if (rs_str_eqi(c->argv[i], info_sections[k].name) &&
                c->argv[i].len == strlen(info_sections[k].name))
                want |= info_sections[k].bit;

    struct sbuf b = {0};
    sbuf_reserve(&b, 0);
    int n = 0;
#define SECTION(bit, call)                                                                         \
    do {                                                                                           \
        if (want & (bit)) {                                                                        \
            if (n++)                                                                               \
                sbuf_printf(&b, "\r\n");                                                           \
            call;                                                                                  \
        }                                                                                          \
    } while (0)
    SECTION(SEC_SERVER, info_server(c, &b));
    SECTION(SEC_CLIENTS, info_clients(c, &b));
    SECTION(SEC_MEMORY, info_memory(c, &b));
    SECTION(SEC_PERSISTENCE, info_persistence(c, &b));
    SECTION(SEC_STATS, info_stats(c, &b));
    SECTION(SEC_REPLICATION, info_replication(c, &b));
    SECTION(SEC_CPU, info_cpu(&b));
    SECTION(SEC_MODULES, sbuf_printf(&b, "# Modules\r\n"));
    SECTION(SEC_COMMANDSTATS, info_commandstats(c, &b));
    SECTION(SEC_ERRORSTATS, info_errorstats(c, &b));
    SECTION(SEC_LATENCYSTATS, info_latencystats(c, &b));
    SECTION(SEC_CLUSTER, sbuf_printf(&b, "# Cluster\r\ncluster_enabled:0\r\n"));
    SECTION(SEC_KEYSPACE, info_keyspace(c, &b));
    SECTION(SEC_PROJECTS, info_projects(c, &b));
#undef SECTION
    resp_add_verbatim(c->out, b.p, b.len, "txt");
    sbuf_free(&b);
}

/* ------------------------------------------------------------------------
 * TIME LASTSAVE FUNCTION SHUTDOWN
 * ------------------------------------------------------------------------ */

/* TIME -- the store clock as [seconds, microseconds]. With the real clock
 * (maybe advanced by DEBUG CLOCK ADVANCE) the microseconds are real; with a
 * substituted or frozen clock they are its milliseconds times 1000. */
void cmd_time(struct cmd_ctx *c)
{
    const struct store *st = c->st;
    long long us;
    if (st->clock_fn == NULL && st->clock_frozen < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + st->clock_offset * 1000;
    } else {
        us = (long long)c->now * 1000;
    }
    resp_add_array_len(c->out, 2);
    resp_add_bulk_ll(c->out, us / 1000000);
    resp_add_bulk_ll(c->out, us % 1000000);
}

/* LASTSAVE -- unix time of the last save (the store's start: nothing has
 * been saved since). */
void cmd_lastsave(struct cmd_ctx *c)
{
    resp_add_int(c->out, (long long)c->st->stats.lastsave);
}

/* ROLE -- Redis's reply for a master with no replicas (respite does not
 * replicate): its role, its replication offset (st->repl_off) and its
 * replicas. Clients and health checks ask it to tell a master from a
 * replica. */
void cmd_role(struct cmd_ctx *c)
{
    resp_add_array_len(c->out, 3);
    resp_add_bulk(c->out, "master", 6);
    resp_add_int(c->out, c->st->repl_off);
    resp_add_array_len(c->out, 0);
}

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
 * After respite_shutdown (the final save, when one is due) the transport
 * stops serving and closes every connection; like Redis, the caller gets
 * no reply. A failed save refuses the shutdown, unless FORCE. An embedded
 * store with no transport cannot shut down and says so. */
void cmd_shutdown(struct cmd_ctx *c)
{
    int flags = 0;
    bool abort_it = false;
    for (int i = 1; i < c->argc; i++) {
        if (rs_str_eqi(c->argv[i], "nosave")) {
            flags |= RESPITE_SHUTDOWN_NOSAVE;
        } else if (rs_str_eqi(c->argv[i], "save")) {
            flags |= RESPITE_SHUTDOWN_SAVE;
        } else if (rs_str_eqi(c->argv[i], "now")) {
            flags |= RESPITE_SHUTDOWN_NOW;
        } else if (rs_str_eqi(c->argv[i], "force")) {
            flags |= RESPITE_SHUTDOWN_FORCE;
        } else if (rs_str_eqi(c->argv[i], "abort")) {
            abort_it = true;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
    }
    if ((abort_it && flags) || ((flags & RESPITE_SHUTDOWN_NOSAVE) && (flags & RESPITE_SHUTDOWN_SAVE))) {
        reply_err(c, RS_ERR_SYNTAX);
        return;
    }
    if (abort_it) {
        /* Shutdowns are immediate: there is never one in progress. */
        reply_err(c, RS_ERR_NO_SHUTDOWN);
        return;
    }
    struct store *st = c->st;
    /* During a long script, only without saving: the script stops. */
    if (st->script_busy && !(flags & RESPITE_SHUTDOWN_NOSAVE)) {
        reply_err(c, (enum rs_err)st->script_busy);
        return;
    }
    if (st->hooks == NULL || st->hooks->shutdown == NULL) {
        reply_err(c, RS_ERR_SHUTDOWN_FAILED);
        return;
    }
    if (respite_shutdown((struct respite *)st, flags) != 0) {
        reply_err(c, RS_ERR_SHUTDOWN_FAILED);
        return;
    }
    if (st->script_busy)
        script_kill(st, KILL_BY_SHUTDOWN);
    c->s->flags |= SES_CLOSE_AFTER_REPLY;
    st->hooks->shutdown(st->hooks_ud, flags);
}

/* ------------------------------------------------------------------------
 * DEBUG
 * ------------------------------------------------------------------------ */

/* enable-debug-command: 0 no, 1 yes, 2 local (loopback and in-process). */
static bool debug_allowed(const struct cmd_ctx *c)
{
    int mode = c->st->cfg.enable_debug_command;
    return mode == 1 || (mode == 2 && (c->s->flags & SES_LOCAL));
}

/* DEBUG POPULATE count [prefix [size]], as Redis 7.4: for n in 0 ..
 * count-1, the key <prefix>:<n> (prefix "key"; cut at its first NUL byte,
 * the name at 127 bytes, as Redis's snprintf), when missing, set to the
 * string value:<n>, or with a size to size bytes, value:<n> cut or padded
 * with zero bytes. Keys already there are left alone. As in Redis, no
 * change is counted and nothing propagates. Where Redis's allocation
 * would fail (its "OOM in dictTryExpand", or an abort for the values),
 * here counts and sizes whose keys cannot fit in the machine's memory are
 * refused before anything is created. O(count * size). */
static void debug_populate(struct cmd_ctx *c)
{
    long long count, size = 0;
    if (!resp_str2ll(c->argv[2].p, c->argv[2].len, &count) || count < 0 ||
        (c->argc == 5 && (!resp_str2ll(c->argv[4].p, c->argv[4].len, &size) || size < 0))) {
        reply_err(c, RS_ERR_NOT_POSITIVE);
        return;
    }
    /* 48 bytes: the least an entry and its table slot take */
    unsigned long long mem = (unsigned long long)sysconf(_SC_PHYS_PAGES) *
                             (unsigned long long)sysconf(_SC_PAGESIZE);
    if ((unsigned long long)count > mem / (48 + (unsigned long long)size)) {
        reply_err(c, RS_ERR_DEBUG_POPULATE_OOM);
        return;
    }
    struct rs_str prefix = c->argc >= 4 ? c->argv[3] : rs_str_from("key", 3);
    const char *nul = memchr(prefix.p, '\0', prefix.len);
    int plen = (int)(nul ? (size_t)(nul - prefix.p) : prefix.len < 128 ? prefix.len : 128);
    char name[128], val[64];
    char *padded = size && count ? rs_malloc((size_t)size) : NULL;
    for (long long j = 0; j < count; j++) {
        int n = snprintf(name, sizeof name, "%.*s:%lld", plen, prefix.p, j);
        struct rs_str key = rs_str_from(name, n < (int)sizeof name ? (size_t)n : sizeof name - 1);
        struct kloc loc;
        if (ks_write(c, c->db, key, &loc) != NULL)
            continue;
        size_t vlen = (size_t)snprintf(val, sizeof val, "value:%lld", j);
        struct rs_str v = rs_str_from(val, vlen);
        if (size) {
            memset(padded, 0, (size_t)size);
            memcpy(padded, val, vlen < (size_t)size ? vlen : (size_t)size);
            v = rs_str_from(padded, (size_t)size);
        }
        struct shard *sh = ks_shard(c->db, key, true);
        ks_add(c->db, sh, obj_new_embstr(sh, key, v));
    }
    rs_free(padded);
    resp_add_ok(c->out);
}

/* DEBUG OBJECT key -- Redis's status line. It does not touch the key.
 * serializedlength is Redis 7.4's rdbSavedObjectLen: the bytes of the
 * value in an RDB file (its type byte and key not counted), LZF-compressed
 * under rdbcompression as SAVE writes them. O(value). */
static void debug_object(struct cmd_ctx *c)
{
    struct entry *e = ks_peek(c, c->db, c->argv[2], NULL);
    if (e == NULL) {
        reply_err(c, RS_ERR_NO_SUCH_KEY);
        return;
    }
    struct rdb_buf b = {.no_lzf = !c->st->cfg.rdbcompression};
    rdb_put_value(&b, e);
    /* Redis leaves out the 8 bytes of a hash's earliest field deadline;
     * so for a set's earliest member deadline */
    uint8_t type = b.p[0];
    bool min_ttl = type == RDB_TYPE_HASH_METADATA || type == RDB_TYPE_HASH_LISTPACK_EX ||
                   type == RDB_TYPE_RESPITE_SET_TTL;
    size_t serialized = b.len - 1 - (min_ttl ? 8 : 0);
    rs_free(b.p);
    unsigned long long idle = ks_idle_ms(c->st, e) / 1000;
    char line[512];
    int n = snprintf(line, sizeof line,
                     "Value at:%p refcount:%d encoding:%s serializedlength:%zu lru:%u "
                     "lru_seconds_idle:%llu",
                     (void *)e, ks_refcount(c->st, e), obj_enc_name(e), serialized, (unsigned)e->lru,
                     idle);
    /* A quicklist's chunks: their number, mean fill, list-max-listpack-size
     * when the list became one (clamped as Redis's), never compressed, and
     * the bytes Redis's nodes for them take. */
    struct quicklist view;
    const struct quicklist *ql = e->type == OBJ_LIST ? list_get(e, &view) : NULL;
    if (ql && !ql->listpack) {
        n += snprintf(line + n, sizeof line - (size_t)n,
                      " ql_nodes:%" PRIu32 " ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:0"
                      " ql_uncompressed_size:%zu",
                      ql->nnodes, (double)ql->count / ql->nnodes, ql->fill, ql_lp_bytes(ql));
    }
    resp_add_simple(c->out, line, (size_t)n);
}

/* DEBUG LISTPACK key -- Redis prints the listpack's entries to its
 * standard output; respite logs the key's encoding and size. */
static void debug_listpack(struct cmd_ctx *c)
{
    struct entry *e = ks_peek(c, c->db, c->argv[2], NULL);
    if (e == NULL) {
        reply_err(c, RS_ERR_NO_SUCH_KEY);
        return;
    }
    const char *enc = obj_enc_name(e);
    if (strcmp(enc, "listpack") != 0 && strcmp(enc, "listpackex") != 0) {
        reply_err(c, RS_ERR_NOT_LISTPACK);
        return;
    }
    store_log(c->st, RS_LOG_NOTICE, "DEBUG LISTPACK %.*s: %s of %zu bytes",
              cstr_len(c->argv[2], 256), c->argv[2].p, enc, obj_bytes(e));
    resp_add_simple(c->out, "Listpack structure printed on stdout", 36);
}

/* DEBUG CHANGE-REPL-ID -- a new random master_replid. */
static void debug_change_repl_id(struct cmd_ctx *c)
{
    for (int i = 0; i < 40; i++)
        c->st->replid[i] = "0123456789abcdef"[rng_next(&c->st->rng) & 15];
    store_log(c->st, RS_LOG_NOTICE, "Changing replication IDs after receiving DEBUG change-repl-id");
    resp_add_ok(c->out);
}

/* A DEBUG switch as Redis reads it (atoi of the argument, not 0: on). */
static bool arg_flag(struct rs_str a)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.*s", cstr_len(a, sizeof buf - 1), a.p);
    return atoi(buf) != 0;
}

/* DEBUG REPLYBUFFER PEAK-RESET-TIME never|reset|<ms> / RESIZING <0|1> --
 * as Redis: how often a client's reply buffer peak (CLIENT LIST rbp)
 * restarts (never: -1, reset: the default 5000, a negative time is never
 * too) and whether its buffer (rbs) follows it, RESIZING's argument read
 * as atoi. The transport applies them (config_changed, server.c). */
static void debug_replybuffer(struct cmd_ctx *c)
{
    struct rs_str what = c->argv[2], v = c->argv[3];
    struct rs_config *cfg = &c->st->cfg;
    if (rs_str_eqi(what, "peak-reset-time")) {
        long long ms;
        if (rs_str_eqi(v, "never")) {
            ms = -1;
        } else if (rs_str_eqi(v, "reset")) {
            ms = REPLY_BUFFER_PEAK_RESET_MS;
        } else if (!arg_ll(c, v, &ms)) {
            return;
        }
        cfg->reply_buffer_peak_reset_ms = ms;
    } else if (rs_str_eqi(what, "resizing")) {
        cfg->reply_buffer_resizing = arg_flag(v);
    } else {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->st->hooks && c->st->hooks->config_changed)
        c->st->hooks->config_changed(c->st->hooks_ud, "replybuffer");
    resp_add_ok(c->out);
}

/* DEBUG SLEEP seconds -- blocks the store, as Redis blocks its server. The
 * argument is read like strtod (garbage is 0). */
static void debug_sleep(struct cmd_ctx *c)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", cstr_len(c->argv[2], sizeof buf - 1), c->argv[2].p);
    double secs = strtod(buf, NULL);
    if (secs > 0) {
        if (secs > INT_MAX) /* keeps the conversion below defined */
            secs = INT_MAX;
        long long us = (long long)(secs * 1e6);
        struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    resp_add_ok(c->out);
}

/* DEBUG CLOCK ADVANCE ms | SET unix-ms | REAL | GET -- respite's test clock. */
static void debug_clock(struct cmd_ctx *c)
{
    struct store *st = c->st;
    struct rs_str op = c->argv[2];
    if (c->argc == 3 && rs_str_eqi(op, "real")) {
        st->clock_frozen = -1;
        st->clock_offset = 0;
        resp_add_ok(c->out);
    } else if (c->argc == 3 && rs_str_eqi(op, "get")) {
        resp_add_int(c->out, store_now(st));
    } else if (c->argc == 4 && (rs_str_eqi(op, "advance") || rs_str_eqi(op, "set"))) {
        long long ms;
        if (!arg_ll(c, c->argv[3], &ms))
            return;
        if (ms < 0) {
            reply_err(c, RS_ERR_NOT_POSITIVE);
            return;
        }
        bool is_set = rs_str_eqi(op, "set");
        int64_t now = store_now(st);
        if (is_set ? ms > STORE_CLOCK_MAX : ms > STORE_CLOCK_MAX - now) {
            reply_err(c, RS_ERR_CLOCK_RANGE);
            return;
        }
        if (is_set)
            st->clock_frozen = ms;
        else if (st->clock_frozen >= 0)
            st->clock_frozen += ms;
        else
            st->clock_offset += ms;
        resp_add_ok(c->out);
    } else {
        reply_subcmd_syntax(c);
    }
}

/* DEBUG QUICKLIST-PACKED-THRESHOLD size -- 0 restores the default. */
static void debug_packed_threshold(struct cmd_ctx *c)
{
    unsigned long long sz;
    if (!parse_memory(c->argv[2], &sz) || sz > (1ULL << 32) - (1 << 20)) {
        reply_err(c, RS_ERR_PACKED_THRESHOLD);
        return;
    }
    c->st->list_packed_threshold = (uint32_t)sz;
    resp_add_ok(c->out);
}

/* DEBUG STRINGMATCH-TEST (7.4's name; 7.0's STRINGMATCH-LEN too) --
 * Redis's fuzz test of the glob matcher: random patterns against random
 * strings must neither crash nor hang. Fewer rounds than Redis's ten
 * million, so the test suite's call stays short. */
static void debug_stringmatch(struct cmd_ctx *c)
{
    uint64_t x = (uint64_t)rs_mono_us() | 1;
    char str[32], pat[32];
    long matches = 0;
    for (int round = 0; round < 1000000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t slen = x % sizeof str, plen = (x >> 8) % sizeof pat;
        for (size_t j = 0; j < slen; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            str[j] = (char)(x % 128);
        }
        for (size_t j = 0; j < plen; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            pat[j] = (char)(x % 128);
        }
        matches += glob_match(pat, plen, str, slen, false);
    }
    (void)matches;
    resp_add_simple(c->out, "Apparently Redis did not crash: test passed", 43);
}

/* DEBUG PROTOCOL type -- a sample reply of each RESP type, for client
 * tests (Redis debug.c). */
static void debug_protocol(struct cmd_ctx *c)
{
    struct rs_str t = c->argv[2];
    struct resp_out *o = c->out;
    if (rs_str_eqi(t, "string")) {
        resp_add_bulk_cstr(o, "Hello World");
    } else if (rs_str_eqi(t, "integer")) {
        resp_add_int(o, 12345);
    } else if (rs_str_eqi(t, "double")) {
        resp_add_double(o, 3.141);
    } else if (rs_str_eqi(t, "bignum")) {
        resp_add_bignum(o, "1234567999999999999999999999999999999", 37);
    } else if (rs_str_eqi(t, "null")) {
        resp_add_null(o);
    } else if (rs_str_eqi(t, "array") || rs_str_eqi(t, "set")) {
        if (rs_str_eqi(t, "set"))
            resp_add_set_len(o, 3);
        else
            resp_add_array_len(o, 3);
        for (int j = 0; j < 3; j++)
            resp_add_int(o, j);
    } else if (rs_str_eqi(t, "map")) {
        resp_add_map_len(o, 3);
        for (int j = 0; j < 3; j++) {
            resp_add_int(o, j);
            resp_add_bool(o, j == 1);
        }
    } else if (rs_str_eqi(t, "attrib")) {
        /* An attribute is not a reply: a real one follows it. */
        if (o->proto >= 3) {
            static const char attr[] =
                "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n";
            resp_add_raw(o, attr, sizeof attr - 1);
        }
        resp_add_bulk_cstr(o, "Some real reply following the attribute");
    } else if (rs_str_eqi(t, "push")) {
        if (o->proto < 3) {
            reply_err(c, RS_ERR_RESP2_UNSUPPORTED);
            return;
        }
        /* Redis 7.2+ holds a push made during a command until its reply
         * is out, so the reply comes first. */
        static const char push[] = ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n";
        resp_add_bulk_cstr(o, "Some real reply following the push reply");
        resp_add_raw(o, push, sizeof push - 1);
    } else if (rs_str_eqi(t, "true") || rs_str_eqi(t, "false")) {
        resp_add_bool(o, rs_str_eqi(t, "true"));
    } else if (rs_str_eqi(t, "verbatim")) {
        resp_add_verbatim(o, "This is a verbatim\nstring", 25, "txt");
    } else {
        reply_err(c, RS_ERR_DEBUG_PROTOCOL);
    }
}

static void debug_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CHANGE-REPL-ID",
        "    Change the replication IDs of the instance.",
        "    Dangerous: should be used only for testing the replication subsystem.",
        "CLOCK ADVANCE <milliseconds>",
        "    Move the store clock forward: keys expire, TTLs shrink and TIME moves as if",
        "    that much time had passed. Applies to the real and to a frozen clock.",
        "CLOCK SET <unix-time-milliseconds>",
        "    Freeze the store clock at that time (it stays there until CLOCK REAL).",
        "CLOCK REAL",
        "    Return to the real clock, dropping any advance.",
        "CLOCK GET",
        "    Return the store clock in unix milliseconds.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "ERROR <string>",
        "    Return a Redis protocol error with <string> as message. Useful for clients",
        "    unit tests to simulate Redis errors.",
        "JMAP",
        "    Accepted for compatibility with Redis test suites; does nothing.",
        "LISTPACK <key>",
        "    Show low level info about the listpack encoding of <key>.",
        "LOADAOF",
        "    Flush the AOF buffers on disk and reload the AOF in memory.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
        "    * MERGE: conflicting keys will be loaded from RDB.",
        "    * NOFLUSH: the existing database will not be removed before load, but",
        "      conflicting keys will generate an exception and kill the server.",
        "    * NOSAVE: the database will be loaded from an existing RDB file.",
        "    Examples:",
        "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
        "      the database.",
        "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
        "      existing RDB file.",
        "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
        "      file to the database.",
        "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
        "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
        "    In case NEVER is provided the last observed peak will never be reset",
        "    In case RESET is provided the peak reset time will be restored to the default value",
        "REPLYBUFFER RESIZING <0|1>",
        "    Enable or disable the reply buffer resize cron job",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not",
        "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
        "    default.",
        "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
        "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "STRINGMATCH-TEST",
        "    Run a fuzz tester against the stringmatchlen() function.",
        NULL,
    };
    reply_help(c, "DEBUG", lines);
}

/* DEBUG LOADAOF: what is buffered goes to the file, then the keyspace
 * and the function libraries are emptied and loaded again from the
 * append-only files, as Redis's. */
static void debug_loadaof(struct cmd_ctx *c)
{
    struct store *st = c->st;
    char err[1024];
    if (st->aof == NULL) {
        reply_errf(c, "ERR appendonly is off: there is no append-only file to load");
        return;
    }
    if (st->aof->waiting) { /* no manifest lists what was written since */
        reply_errf(c, "ERR the append-only files are being created (their first rewrite runs): "
                      "no file to load yet");
        return;
    }
    aof_flush(st);
    for (int i = 0; i < st->ndbs; i++)
        ks_flush_db(st, st->dbs[i], false);
    functions_free(st);
    if (aof_load(st, err, sizeof err) != 0) {
        reply_errf(c, "ERR Error loading the AOF: %s", err);
        return;
    }
    resp_add_ok(c->out);
}

/* DEBUG <subcommand> ... -- refused unless enable-debug-command allows it
 * for this client. A subcommand with the wrong number of arguments is
 * unknown, as in Redis. */
void cmd_debug(struct cmd_ctx *c)
{
    if (!debug_allowed(c)) {
        reply_err(c, RS_ERR_DEBUG_DISABLED);
        return;
    }
    struct rs_str sub = c->argv[1];
    if (c->argc == 2 && rs_str_eqi(sub, "help")) {
        debug_help(c);
    } else if (c->argc >= 3 && c->argc <= 5 && rs_str_eqi(sub, "populate")) {
        debug_populate(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "object")) {
        debug_object(c);
    } else if (rs_str_eqi(sub, "reload")) {
        debug_reload(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "sleep")) {
        debug_sleep(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "set-active-expire")) {
        c->st->cfg.active_expire = arg_flag(c->argv[2]);
        resp_add_ok(c->out);
    } else if (c->argc == 3 && rs_str_eqi(sub, "set-skip-checksum-validation")) {
        c->st->skip_checksum = arg_flag(c->argv[2]);
        resp_add_ok(c->out);
    } else if ((c->argc == 3 || c->argc == 4) && rs_str_eqi(sub, "clock")) {
        debug_clock(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "quicklist-packed-threshold")) {
        debug_packed_threshold(c);
    } else if (c->argc == 2 &&
               (rs_str_eqi(sub, "stringmatch-len") || rs_str_eqi(sub, "stringmatch-test"))) {
        debug_stringmatch(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "protocol")) {
        debug_protocol(c);
    } else if (c->argc == 2 && rs_str_eqi(sub, "loadaof")) {
        debug_loadaof(c);
    } else if (c->argc == 2 && rs_str_eqi(sub, "digest")) {
        debug_digest(c);
    } else if (rs_str_eqi(sub, "digest-value")) {
        debug_digest_value(c);
    } else if (c->argc == 3 && rs_str_eqi(sub, "listpack")) {
        debug_listpack(c);
    } else if (c->argc == 2 && rs_str_eqi(sub, "change-repl-id")) {
        debug_change_repl_id(c);
    } else if (c->argc == 4 && rs_str_eqi(sub, "replybuffer")) {
        debug_replybuffer(c);
    } else if (c->argc == 2 && rs_str_eqi(sub, "jmap")) {
        resp_add_ok(c->out);
    } else if (c->argc == 3 && rs_str_eqi(sub, "error")) {
        /* the string as the error, code and all; not an error of the
         * command (no errorstats, no failed call), as in Redis */
        resp_add_error(c->out, c->argv[2].p, c->argv[2].len);
    } else if (c->argc == 3 && rs_str_eqi(sub, "log")) {
        store_log(c->st, 3, "DEBUG LOG: %.*s", cstr_len(c->argv[2], 900), c->argv[2].p);
        resp_add_ok(c->out);
    } else {
        reply_subcmd_syntax(c);
    }
}
