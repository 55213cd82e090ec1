/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The command table and dispatch. The rows of commands.def become one flat
 * static array; subcommand rows follow their parent, so a parent's
 * subcommands are the contiguous run after it. Each store builds a small
 * case-insensitive hash index over the top-level names at open (no mutable
 * globals). Dispatch checks existence and arity with Redis's exact errors,
 * reads the clock once, runs the handler and keeps INFO commandstats.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands/aof.h"
#include "commands/commands.h"
#include "commands/function.h"
#include "commands/introspect.h"
#include "commands/monitor.h"
#include "commands/script.h"
#include "commands/tracking.h"
#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

#define CMD(name, arity, flags, acl, f, l, s, group, since, summary) cmd_handler cmd_##name;
#define CONTAINER(name, flags, acl, group, since, summary)
#define SUB(parent, name, arity, flags, acl, f, l, s, since, summary) \
    cmd_handler cmd_##parent##_##name;
#include "commands/commands.def"
#undef CMD
#undef CONTAINER
#undef SUB

const struct cmd_def cmd__table[] = {
#define CMD(n, arity, flags, acl, f, l, s, group, since, summary) \
    {#n, #n, cmd_##n, arity, flags, acl, f, l, s, group, since, summary, 0},
#define CONTAINER(n, flags, acl, group, since, summary) \
    {#n, #n, NULL, -2, flags, acl, 0, 0, 0, group, since, summary, 0},
#define SUB(parent, n, arity, flags, acl, f, l, s, since, summary)                                \
    {#n, #parent "|" #n, cmd_##parent##_##n, arity, flags, acl, f, l, s, NULL, since, summary, 1},
#include "commands/commands.def"
#undef CMD
#undef CONTAINER
#undef SUB
};

#define NTABLE ((int)(sizeof cmd__table / sizeof cmd__table[0]))

int cmd_table_size(void)
{
    return NTABLE;
}

const struct cmd_def *cmd_at(int i)
{
    return &cmd__table[i];
}

int cmd_nsubs(const struct cmd_def *d)
{
    int n = 0;
    while (d + 1 + n < cmd__table + NTABLE && d[1 + n].is_sub)
        n++;
    return n;
}

/* Names compare with '_' in the table equal to '-' typed by users
 * (CLIENT NO-EVICT) and "__" equal to '_' (EVAL_RO), case-insensitively. */
bool cmd_name_is(const char *name, struct rs_str s)
{
    size_t i = 0, j = 0;
    for (; name[i] && j < s.len; i++, j++) {
        char a = name[i];
        if (a == '_' && name[i + 1] == '_')
            i++;
        else if (a == '_')
            a = '-';
        if (a != tolower((unsigned char)s.p[j]))
            return false;
    }
    return name[i] == '\0' && j == s.len;
}

void cmd_print_name(const char *name, char *buf, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < size; i++, j++) {
        if (name[i] == '_' && name[i + 1] == '_')
            buf[j] = name[++i];
        else
            buf[j] = name[i] == '_' ? '-' : name[i];
    }
    buf[j] = '\0';
}

/* ------------------------------------------------------------------------
 * Lookup index
 * ------------------------------------------------------------------------ */

struct lut_slot {
    int16_t idx;  /* into table, -1 empty */
    uint8_t len;
    char name[29]; /* lower case, as users spell it */
};

struct cmd_lut {
    uint64_t mask;
    /* The command found last, with its name as it was typed, compared byte
     * for byte first: pipelines repeat one command, and a client spells it
     * the same way each time (no case folding). len 0: none yet. */
    struct lut_slot last;
    struct lut_slot slots[];
};

/* A cheap case-folding hash: command names are short ASCII words. */
static uint64_t name_hash(const char *p, size_t n)
{
    uint64_t h = n;
    for (size_t i = 0; i < n; i++)
        h = (h << 8 | h >> 56) ^ (unsigned char)(p[i] | 0x20);
    /* Fibonacci hashing: the high bits of the product mix every input bit,
     * so the table's low bits (taken by the mask) are well spread. */
    return (h * 0x9E3779B97F4A7C15ULL) >> 32;
}

struct cmd_lut *cmd_lut_new(void)
{
    uint64_t cap = 64;
    while (cap < (uint64_t)NTABLE * 4)
        cap <<= 1;
    struct cmd_lut *l = rs_calloc(1, sizeof *l + cap * sizeof l->slots[0]);
    l->mask = cap - 1;
    for (uint64_t i = 0; i < cap; i++)
        l->slots[i].idx = -1;
    for (int i = 0; i < NTABLE; i++) {
        if (cmd__table[i].is_sub)
            continue;
        char name[64];
        cmd_print_name(cmd__table[i].name, name, sizeof name);
        size_t n = strlen(name);
        uint64_t h = name_hash(name, n) & l->mask;
        while (l->slots[h].idx != -1)
            h = (h + 1) & l->mask;
        l->slots[h].idx = (int16_t)i;
        l->slots[h].len = (uint8_t)n;
        memcpy(l->slots[h].name, name, n);
    }
    return l;
}

void cmd_lut_free(struct cmd_lut *l)
{
    rs_free(l);
}

/* a (lower case) equals b ignoring ASCII case; libc's strncasecmp costs
 * more than the whole compare for these short names. */
static bool same_name(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x |= 0x20;
        if ((unsigned char)a[i] != x)
            return false;
    }
    return true;
}

const struct cmd_def *cmd_lookup(struct cmd_lut *l, struct rs_str name)
{
    if (name.len == 0 || name.len >= sizeof l->slots[0].name)
        return NULL;
    if (l->last.len == name.len && memcmp(l->last.name, name.p, name.len) == 0)
        return &cmd__table[l->last.idx];
    for (uint64_t h = name_hash(name.p, name.len) & l->mask; l->slots[h].idx != -1;
         h = (h + 1) & l->mask) {
        const struct lut_slot *s = &l->slots[h];
        if (s->len == name.len && same_name(s->name, name.p, name.len)) {
            l->last.idx = s->idx;
            l->last.len = (uint8_t)name.len;
            memcpy(l->last.name, name.p, name.len);
            return &cmd__table[s->idx];
        }
    }
    return NULL;
}

const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, struct rs_str name)
{
    int n = cmd_nsubs(parent);
    for (int i = 1; i <= n; i++)
        if (cmd_name_is(parent[i].name, name))
            return &parent[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Error replies
 * ------------------------------------------------------------------------ */

void store_log(const struct store *st, int level, const char *fmt, ...)
{
    if (level < st->cfg.loglevel || st->hooks == NULL || st->hooks->log == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st->hooks->log(st->hooks_ud, level, msg);
}

void reply_arity(struct cmd_ctx *c)
{
    char name[96];
    cmd_print_name(c->cmd->fullname, name, sizeof name);
    reply_errf(c, rs_err_text[RS_ERR_ARITY], name);
}

/* "'a' 'b' " as Redis lists the first arguments of an unknown command:
 * arguments are added while the text is under 128 bytes, each cut so the
 * text stays within 128. */
static void args_preview(struct rs_str *argv, int from, int argc, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = from; i < argc && len < 128; i++) {
        size_t room = 128 - len;
        size_t n = argv[i].len < room ? argv[i].len : room;
        /* %s stops at a NUL byte, as in Redis. */
        const char *nul = memchr(argv[i].p, '\0', n);
        if (nul)
            n = (size_t)(nul - argv[i].p);
        len += (size_t)snprintf(buf + len, size - len, "'%.*s' ", (int)n, argv[i].p);
    }
}

static size_t cstrlen(struct rs_str s, size_t max)
{
    const char *nul = memchr(s.p, '\0', s.len);
    size_t n = nul ? (size_t)(nul - s.p) : s.len;
    return n < max ? n : max;
}

/* ------------------------------------------------------------------------
 * Dispatch
 * ------------------------------------------------------------------------ */

static bool arity_ok(const struct cmd_def *d, int argc)
{
    return d->arity > 0 ? argc == d->arity : argc >= -d->arity;
}

uint32_t cmd_flags_of(struct cmd_ctx *c)
{
    cmd_handler *h = c->cmd->handler;
    if (h == cmd_eval || h == cmd_eval__ro || h == cmd_evalsha || h == cmd_evalsha__ro)
        return script_cmd_flags(c, h == cmd_evalsha || h == cmd_evalsha__ro);
    if (h == cmd_fcall || h == cmd_fcall__ro)
        return function_cmd_flags(c);
    return c->cmd->flags;
}

void cmd_call(struct cmd_ctx *c)
{
    struct store *st = c->st;
    uint64_t changes = st->persist.changes;
    st->call_depth++;
    c->cmd->handler(c);
    st->call_depth--;
    if (st->aof)
        prop_call_done(c, st->persist.changes != changes);
    monitor_feed(c);
    tracking_remember(c->s, c);
    int64_t end = rs_mono_us(), dt = end - c->t0_us;
    if (st->in_batch)
        st->batch_clock_us = end;
    int idx = cmd_index(c->cmd);
    struct cmd_stats *cs = &st->cstats[idx];
    cs->calls++;
    cs->usec += (uint64_t)dt;
    if (st->call_depth == 0) /* a command of a client, not of EXEC or a script */
        st->stats.cmd_usec += (uint64_t)dt;
    if (dt >= st->slow_us)
        introspect_slow(c, dt);
    if (st->cfg.latency_tracking)
        introspect_record(st, idx, dt);
    if (c->failed) {
        cs->failed++;
        if (!c->err_counted)
            st->stats.total_error_replies++;
    }
    st->stats.numcommands++;
}

/* Resolve argv to a command definition, writing Redis's rejection errors.
 * Returns NULL when the command was rejected. */
const struct cmd_def *cmd_resolve(struct cmd_ctx *c)
{
    struct rs_str *argv = c->argv;
    const struct cmd_def *d = cmd_lookup(c->st->lut, argv[0]);
    char preview[400];
    /* Subcommands directly follow their parent in the table. */
    if (d && c->argc >= 2 && d + 1 < cmd__table + NTABLE && d[1].is_sub) {
        const struct cmd_def *sub = cmd_lookup_sub(d, argv[1]);
        if (sub == NULL) {
            char up[64];
            cmd_print_name(d->name, up, sizeof up);
            for (char *p = up; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            reply_errf(c, rs_err_text[RS_ERR_UNKNOWN_SUBCMD], (int)cstrlen(argv[1], 128), argv[1].p,
                       up);
            c->st->stats.total_error_replies++;
            return NULL;
        }
        d = sub;
    }
    if (d == NULL) {
        args_preview(argv, 1, c->argc, preview, sizeof preview);
        reply_errf(c, rs_err_text[RS_ERR_UNKNOWN_CMD], (int)cstrlen(argv[0], 128), argv[0].p,
                   preview);
        c->st->stats.total_error_replies++;
        return NULL;
    }
    c->cmd = d;
    if (!arity_ok(d, c->argc) || (d->handler == NULL)) {
        if (d->handler == cmd_exec) {
            char text[256];
            snprintf(text, sizeof text, rs_err_text[RS_ERR_ARITY], "exec");
            multi_exec_rejected(c, text);
        } else {
            reply_arity(c);
        }
        c->st->cstats[cmd_index(d)].rejected++;
        c->st->stats.total_error_replies++;
        return NULL;
    }
    return d;
}

/* ------------------------------------------------------------------------
 * Argument helpers
 * ------------------------------------------------------------------------ */

bool arg_range(struct cmd_ctx *c, struct rs_str a, long long min, long long max, enum rs_err err,
               long long *v)
{
    if (!resp_str2ll(a.p, a.len, v) || *v < min || *v > max) {
        reply_err(c, err);
        return false;
    }
    return true;
}

bool arg_ll(struct cmd_ctx *c, struct rs_str a, long long *v)
{
    if (resp_str2ll(a.p, a.len, v))
        return true;
    reply_err(c, RS_ERR_NOT_INT);
    return false;
}

void reply_expire_time(struct cmd_ctx *c)
{
    char name[96];
    cmd_print_name(c->cmd->fullname, name, sizeof name);
    reply_errf(c, rs_err_text[RS_ERR_EXPIRE_TIME], name);
}

void reply_help(struct cmd_ctx *c, const char *cmd, const char *const *lines)
{
    struct resp_deferred d = resp_add_deferred(c->out);
    long long n = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd);
    resp_add_simple(c->out, buf, strlen(buf));
    n++;
    for (; lines[n - 1]; n++)
        resp_add_simple(c->out, lines[n - 1], strlen(lines[n - 1]));
    resp_add_simple(c->out, "HELP", 4);
    resp_add_simple(c->out, "    Print this help.", 20); /* 7.0 said "Prints" */
    n += 2;
    resp_set_deferred(c->out, d, RESP_AGG_ARRAY, n);
}

bool arg_cursor(struct cmd_ctx *c, struct rs_str a, uint64_t *cursor)
{
    /* Redis 7.4's string2ull: a canonical integer must not be negative;
     * anything else is read by strtoull (leading blanks and sign allowed). */
    long long ll;
    unsigned long long v;
    bool ok;
    if (resp_str2ll(a.p, a.len, &ll)) {
        ok = ll >= 0;
        v = (unsigned long long)ll;
    } else {
        char *s = rs_memdup(a.p, a.len), *end;
        errno = 0;
        v = strtoull(s, &end, 10);
        ok = a.len > 0 && *end == '\0' && errno != ERANGE && errno != EINVAL;
        rs_free(s);
    }
    if (!ok) {
        reply_err(c, RS_ERR_INVALID_CURSOR);
        return false;
    }
    *cursor = v;
    return true;
}

bool mpop_args(struct cmd_ctx *c, int at, const char *const ends[2], int *numkeys, int *end,
               long long *count)
{
    long long n;
    if (!arg_range(c, c->argv[at], 1, LLONG_MAX, RS_ERR_NUMKEYS, &n))
        return false;
    if (n >= c->argc - at - 1) {
        reply_err(c, RS_ERR_SYNTAX);
        return false;
    }
    int end_idx = at + 1 + (int)n;
    if (rs_str_eqi(c->argv[end_idx], ends[0])) {
        *end = 0;
    } else if (rs_str_eqi(c->argv[end_idx], ends[1])) {
        *end = 1;
    } else {
        reply_err(c, RS_ERR_SYNTAX);
        return false;
    }
    *count = -1;
    for (int j = end_idx + 1; j < c->argc; j++) {
        if (*count == -1 && rs_str_eqi(c->argv[j], "count") && j + 1 < c->argc) {
            if (!arg_range(c, c->argv[++j], 1, LLONG_MAX, RS_ERR_COUNT_POSITIVE, count))
                return false;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return false;
        }
    }
    if (*count == -1)
        *count = 1;
    *numkeys = (int)n;
    return true;
}

struct entry *scan_open(struct cmd_ctx *c, int type, unsigned allow, uint64_t *cursor,
                        struct scan_opts *o)
{
    if (!arg_cursor(c, c->argv[2], cursor))
        return NULL;
    bool wrong;
    struct entry *e = ks_read_type(c, c->argv[1], type, NULL, &wrong);
    if (wrong)
        return NULL;
    if (!e) {
        resp_add_array_len(c->out, 2);
        resp_add_bulk(c->out, "0", 1);
        resp_add_array_len(c->out, 0);
        return NULL;
    }
    return scan_opts_parse(c, 3, allow, o) ? e : NULL;
}

bool scan_opts_parse(struct cmd_ctx *c, int from, unsigned allow, struct scan_opts *o)
{
    memset(o, 0, sizeof *o);
    o->count = 10;
    o->max_steps = 100;
    for (int i = from; i < c->argc; i++) {
        bool has_arg = c->argc - i >= 2;
        if (has_arg && rs_str_eqi(c->argv[i], "count")) {
            if (!arg_ll(c, c->argv[++i], &o->count))
                return false;
            if (o->count < 1) {
                reply_err(c, RS_ERR_SYNTAX);
                return false;
            }
            o->max_steps = o->count > LLONG_MAX / 10 ? LLONG_MAX : o->count * 10;
        } else if (has_arg && rs_str_eqi(c->argv[i], "match")) {
            o->pat = c->argv[++i];
            o->use_pat = !(o->pat.len == 1 && o->pat.p[0] == '*');
        } else if (has_arg && (allow & SCAN_ALLOW_TYPE) && rs_str_eqi(c->argv[i], "type")) {
            o->has_type = true;
            o->type = c->argv[++i];
        } else if ((allow & SCAN_ALLOW_NOVALUES) && rs_str_eqi(c->argv[i], "novalues")) {
            o->novalues = true;
        } else {
            reply_err(c, RS_ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

void store_count_shard_command(struct cmd_ctx *c)
{
    int first = c->cmd->first;
    if (first <= 0 || first >= c->argc)
        return;
    /* Usually the project the command's lookup found, which is checked
     * first. */
    ks_count_command(c->db, c->argv[first]);
}
