/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Access control, as Redis 7.4 behaves (its acl.c; this is respite's own
 * code): the user model, the rules of ACL SETUSER, the permission check
 * that runs before every command of a restricted user, ACL LOG, the ACL
 * file, AUTH's credentials, and the ACL command.
 *
 * A user has flags (on/off, nopass, sanitize-payload), SHA-256 digests of
 * its passwords, and selectors: the root one (the rules given outside
 * parentheses) and those added with "(...)". A selector holds a bitmap of
 * the commands it allows, indexed by the command's place in the command
 * table (a subcommand has its own place), plus a reserved bit that only
 * +@all sets ("may run commands that do not exist yet", which decides
 * whether its rules are described from +@all or -@all); the allowed first
 * arguments of commands without subcommands (+select|0); key patterns,
 * each with read and/or write permission; channel patterns; and the
 * command rules in the order given (Redis 7.2+ keeps them so, ACL LIST
 * replays them). A command is allowed when one selector allows the
 * command, every key it names with the access its key spec says, and
 * every channel it publishes or subscribes to.
 *
 * Project users (respite's own): a user whose key patterns all lie inside
 * projects (~project:42:*, ~project:{42}:*, %R~project:7:cache:*) is a
 * project user. Its user keeps the ids of those projects (computed again
 * after every change of users, refresh_sessions), its sessions carry
 * SES_PROJECT, and what they see of the keyspace, channels and events is
 * cut to what they may read (acl_may_read and its callers); commands that
 * act on the whole server are refused to it unless a rule names them
 * (server_wide).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/acl.h"
#include "commands/commands.h"
#include "commands/monitor.h"
#include "commands/pubsub.h"
#include "ds/mem.h"
#include "ds/sha.h"
#include "ds/util.h"
#include "resp_num.h"

#define CMD_BITS 1024
#define FUTURE_BIT (CMD_BITS - 1) /* set by +@all only */
#define LOG_GROUP_MS 60000        /* ACL LOG merges like entries this close */
#define GENPASS_MAX_BITS 4096

enum sel_flag { SEL_ROOT = 1, SEL_ALLKEYS = 2, SEL_ALLCHANNELS = 4, SEL_ALLCOMMANDS = 8 };

/* User flags in the order ACL LIST and GETUSER show them. */
enum user_flag {
    USER_ON = 1,
    USER_OFF = 2,
    USER_NOPASS = 4,
    USER_SKIP_SANITIZE = 8,
    USER_SANITIZE = 16,
};
static const struct {
    const char *name;
    uint32_t flag;
} user_flags[] = {
    {"on", USER_ON},
    {"off", USER_OFF},
    {"nopass", USER_NOPASS},
    {"skip-sanitize-payload", USER_SKIP_SANITIZE},
    {"sanitize-payload", USER_SANITIZE},
};

/* Why a rule was refused (Redis sets errno; the texts are rule_error's). */
enum rule_err {
    RULE_OK = 0,
    RULE_UNKNOWN, /* ENOENT */
    RULE_SYNTAX,  /* EINVAL */
    RULE_KEYS_ALL, /* EEXIST */
    RULE_CHANNELS_ALL, /* EISDIR */
    RULE_NO_PASS,  /* ENODEV */
    RULE_BAD_HASH, /* EBADMSG */
    RULE_DUP_USER, /* EALREADY */
    RULE_SUB_FIRSTARG, /* ECHILD */
};

static const char *rule_error(int e)
{
    switch (e) {
    case RULE_UNKNOWN:
        return "Unknown command or category name in ACL";
    case RULE_SYNTAX:
        return "Syntax error";
    case RULE_KEYS_ALL:
        return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
               "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case RULE_CHANNELS_ALL:
        return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
               "and does not have any effect. Try 'resetchannels' to start with an empty list of "
               "channels";
    case RULE_NO_PASS:
        return "The password you are trying to remove from the user does not exist";
    case RULE_BAD_HASH:
        return "The password hash must be exactly 64 characters and contain only lowercase "
               "hexadecimal characters";
    case RULE_DUP_USER:
        return "Duplicate user found. A user can only be defined once in config files";
    case RULE_SUB_FIRSTARG:
        return "Allowing first-arg of a subcommand is not supported";
    }
    return "Wrong format";
}

/* A key pattern (perm: KEY_PERM_READ and/or KEY_PERM_WRITE) or a channel
 * pattern, NUL-terminated for printing. The usual forms match without the
 * glob matcher: a literal, or a literal then one '*' (~project:42:*). */
enum { PAT_GLOB, PAT_EXACT, PAT_PREFIX };
struct pat {
    size_t len;
    uint8_t perm;
    uint8_t form; /* PAT_* */
    char p[];
};

/* The first arguments allowed for a command without subcommands whose bit
 * is clear (+select|0). */
struct firstargs {
    int cmd;
    int n;
    char **args;
};

struct sel {
    uint32_t flags;
    uint64_t cmds[CMD_BITS / 64];
    struct pat **keys, **chans;
    int nkeys, nchans;
    char **rules; /* "+get", "-@hash", "+select|0": lower case, in order */
    int nrules;
    struct firstargs *fa;
    int nfa;
};

/* A project a project user's patterns lie in; whole when it may read
 * every key of it (read patterns "project:<id>:*" and "project:{<id>}:*"). */
struct user_proj {
    struct rs_str id; /* rs_malloc'd */
    bool whole;
};

struct acl_user {
    char *name;
    size_t namelen;
    uint32_t flags;
    char (*pw)[65]; /* hex SHA-256 digests, in the order added */
    int npw;
    struct sel *sels; /* [0] is the root selector */
    int nsels;
    struct user_proj *proj; /* a project user's projects, sorted by id; */
    int nproj;              /* 0 for any other user */
    uint8_t *quick; /* per command, QUICK_* or a key's argv index */
};
/* A user's quick verdicts (see "The quick verdict" below). */
enum { QUICK_UNKNOWN = 0, QUICK_GENERAL = 254, QUICK_YES = 255 };

struct log_entry {
    uint64_t count;
    int reason, ctx;
    char *object, *username, *cinfo;
    size_t object_len, username_len, cinfo_len;
    int64_t ctime, created;
    long long id;
    struct log_entry *next;
};

struct acl {
    struct acl_user **users; /* sorted by name, as Redis's radix tree */
    int nusers, cap;
    struct acl_user *def;
    struct log_entry *log; /* newest first */
    long long nlog, next_id;
    uint32_t *cats;              /* per command: cmd_acl_mask */
    uint64_t server_wide[CMD_BITS / 64]; /* commands refused to project users
                                          * unless a rule names them */
    struct cmd_key_plan *plans;  /* per command */
    struct cmd_key *keys;        /* the keys of the command being checked */
    int kcap;
    char **config_users; /* names given by `user` lines, for duplicates */
    int nconfig_users;
};

/* ------------------------------------------------------------------------
 * Passwords
 * ------------------------------------------------------------------------ */

static bool is_hash(const char *p, size_t len)
{
    if (len != 64)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return false;
    return true;
}

/* Equal digests, in a time that does not depend on where they differ. */
static bool digest_equal(const char *a, const char *b)
{
    unsigned diff = 0;
    for (int i = 0; i < 64; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

/* ------------------------------------------------------------------------
 * Selectors
 * ------------------------------------------------------------------------ */

static struct pat *pat_new(const char *p, size_t len, uint8_t perm)
{
    struct pat *x = rs_malloc(sizeof *x + len + 1);
    x->len = len;
    x->perm = perm;
    memcpy(x->p, p, len);
    x->p[len] = '\0';
    size_t lit = strcspn(x->p, "*?[\\");
    x->form = lit == len                          ? PAT_EXACT
              : lit + 1 == len && p[lit] == '*' ? PAT_PREFIX
                                                : PAT_GLOB;
    return x;
}

/* Are a[0..n) and b[0..n) equal? Inline, in words: the literals of key
 * patterns are short, and a call to memcmp costs more than comparing them
 * (the ACL check before every command of a confined user). */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y, d = 0;
    uint32_t v, w;
    if (n >= 8) { /* by 8, the last 8 overlapping those before */
        size_t i = 0;
        for (; n - i > 16; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d = x ^ y;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return (d | (x ^ y)) == 0;
    }
    if (n >= 4) { /* the same by 4 */
        memcpy(&v, a, 4);
        memcpy(&w, b, 4);
        d = v ^ w;
        memcpy(&v, a + n - 4, 4);
        memcpy(&w, b + n - 4, 4);
        return (d | (v ^ w)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

/* Does s match x, a pattern of form PAT_EXACT or PAT_PREFIX? */
static inline bool literal_match(const struct pat *x, struct rs_str s)
{
    if (x->form == PAT_EXACT)
        return s.len == x->len && bytes_eq(s.p, x->p, s.len);
    return s.len >= x->len - 1 && bytes_eq(s.p, x->p, x->len - 1);
}

/* Does s match pattern x (Redis stringmatchlen, case-sensitive)? */
static inline bool pat_match(const struct pat *x, struct rs_str s)
{
    return x->form == PAT_GLOB ? glob_match(x->p, x->len, s.p, s.len, false)
                               : literal_match(x, s);
}

static void pats_clear(struct pat ***v, int *n)
{
    for (int i = 0; i < *n; i++)
        rs_free((*v)[i]);
    rs_free(*v);
    *v = NULL;
    *n = 0;
}

static void pats_add(struct pat ***v, int *n, struct pat *x)
{
    *v = rs_realloc(*v, (size_t)(*n + 1) * sizeof **v);
    (*v)[(*n)++] = x;
}

static void firstargs_reset(struct sel *s, int cmd)
{
    for (int i = 0; i < s->nfa; i++) {
        if (cmd >= 0 && s->fa[i].cmd != cmd)
            continue;
        for (int j = 0; j < s->fa[i].n; j++)
            rs_free(s->fa[i].args[j]);
        rs_free(s->fa[i].args);
        s->fa[i] = s->fa[--s->nfa];
        i--;
    }
    if (s->nfa == 0) {
        rs_free(s->fa);
        s->fa = NULL;
    }
}

static struct firstargs *firstargs_of(const struct sel *s, int cmd)
{
    for (int i = 0; i < s->nfa; i++)
        if (s->fa[i].cmd == cmd)
            return &s->fa[i];
    return NULL;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        rs_free(v[i]);
    rs_free(v);
}

static void rules_clear(struct sel *s)
{
    free_strs(s->rules, s->nrules);
    s->rules = NULL;
    s->nrules = 0;
}

static void sel_clear(struct sel *s)
{
    pats_clear(&s->keys, &s->nkeys);
    pats_clear(&s->chans, &s->nchans);
    rules_clear(s);
    firstargs_reset(s, -1);
}

static void sel_copy(struct sel *dst, const struct sel *src)
{
    *dst = *src;
    dst->keys = dst->chans = NULL;
    dst->nkeys = dst->nchans = 0;
    for (int i = 0; i < src->nkeys; i++)
        pats_add(&dst->keys, &dst->nkeys, pat_new(src->keys[i]->p, src->keys[i]->len,
                                                  src->keys[i]->perm));
    for (int i = 0; i < src->nchans; i++)
        pats_add(&dst->chans, &dst->nchans, pat_new(src->chans[i]->p, src->chans[i]->len, 0));
    dst->rules = src->nrules ? rs_malloc((size_t)src->nrules * sizeof *dst->rules) : NULL;
    for (int i = 0; i < src->nrules; i++)
        dst->rules[i] = rs_memdup(src->rules[i], strlen(src->rules[i]));
    dst->fa = src->nfa ? rs_malloc((size_t)src->nfa * sizeof *dst->fa) : NULL;
    for (int i = 0; i < src->nfa; i++) {
        dst->fa[i] = src->fa[i];
        dst->fa[i].args = rs_malloc((size_t)src->fa[i].n * sizeof(char *));
        for (int j = 0; j < src->fa[i].n; j++)
            dst->fa[i].args[j] = rs_memdup(src->fa[i].args[j], strlen(src->fa[i].args[j]));
    }
}

static bool bit_get(const struct sel *s, int id)
{
    return (s->cmds[(unsigned)id / 64] >> ((unsigned)id % 64)) & 1;
}

static void bit_set(struct sel *s, int id, bool on)
{
    if (on) {
        s->cmds[id / 64] |= 1ULL << (id % 64);
    } else {
        s->cmds[id / 64] &= ~(1ULL << (id % 64));
        s->flags &= ~(uint32_t)SEL_ALLCOMMANDS;
    }
}

/* Allow or deny command id, and all its subcommands (Redis
 * ACLChangeSelectorPerm). */
static void change_perm(struct sel *s, int id, bool allow)
{
    bit_set(s, id, allow);
    firstargs_reset(s, id);
    const struct cmd_def *d = cmd_at(id);
    int nsubs = d->is_sub ? 0 : cmd_nsubs(d);
    for (int i = 1; i <= nsubs; i++)
        bit_set(s, id + i, allow);
}

/* Keep the rule (lower case, without its sign) last in the selector's
 * rules, dropping earlier ones about the same command, its subcommands or
 * the same category (Redis ACLUpdateCommandRules). */
static void rules_update(struct sel *s, const char *rule, size_t len, bool allow)
{
    char *r = rs_malloc(len + 2);
    r[0] = allow ? '+' : '-';
    for (size_t i = 0; i < len; i++)
        r[i + 1] = (char)tolower((unsigned char)rule[i]);
    r[len + 1] = '\0';
    int kept = 0;
    for (int i = 0; i < s->nrules; i++) {
        const char *body = s->rules[i] + 1;
        size_t blen = strlen(body);
        bool same = strncmp(body, r + 1, blen < len ? blen : len) == 0 &&
                    (blen == len || (blen > len && body[len] == '|'));
        if (same)
            rs_free(s->rules[i]);
        else
            s->rules[kept++] = s->rules[i];
    }
    s->rules = rs_realloc(s->rules, (size_t)(kept + 1) * sizeof *s->rules);
    s->rules[kept] = r;
    s->nrules = kept + 1;
}

/* Allow or deny command id (and its subcommands), and keep the rule by
 * the command's full name. */
static void cmd_rule(struct sel *s, int id, bool allow)
{
    change_perm(s, id, allow);
    char full[96];
    cmd_print_name(cmd_at(id)->fullname, full, sizeof full);
    rules_update(s, full, strlen(full), allow);
}

/* A command by the name rules use: "get", "config|get" (Redis
 * ACLLookupCommand); -1 if none. */
static int lookup_rule_cmd(struct store *st, const char *name, size_t len)
{
    const char *bar = memchr(name, '|', len);
    size_t base = bar ? (size_t)(bar - name) : len;
    const struct cmd_def *d = cmd_lookup(st->lut, rs_str_from(name, base));
    if (d == NULL)
        return -1;
    if (bar == NULL)
        return cmd_index(d);
    struct rs_str sub = rs_str_from(bar + 1, len - base - 1);
    if (memchr(sub.p, '|', sub.len) || cmd_nsubs(d) == 0)
        return -1;
    const struct cmd_def *sd = cmd_lookup_sub(d, sub);
    return sd ? cmd_index(sd) : -1;
}

static bool eqi(const char *op, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(op, word, len) == 0;
}

static bool has_space(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (isspace((unsigned char)p[i]) || p[i] == '\0')
            return true;
    return false;
}

static void sel_all_commands(struct sel *s, bool on)
{
    memset(s->cmds, on ? 0xff : 0, sizeof s->cmds);
    if (on)
        s->flags |= SEL_ALLCOMMANDS;
    else
        s->flags &= ~(uint32_t)SEL_ALLCOMMANDS;
    rules_clear(s);
    firstargs_reset(s, -1);
}

static int sel_key_rule(struct sel *s, const char *op, size_t len)
{
    if (s->flags & SEL_ALLKEYS)
        return RULE_KEYS_ALL;
    uint8_t perm = 0;
    size_t off = 1;
    if (op[0] == '%') {
        bool ok = true;
        for (; off < len; off++) {
            char ch = (char)toupper((unsigned char)op[off]);
            if (ch == 'R' && !(perm & KEY_PERM_READ)) {
                perm |= KEY_PERM_READ;
            } else if (ch == 'W' && !(perm & KEY_PERM_WRITE)) {
                perm |= KEY_PERM_WRITE;
            } else if (op[off] == '~') {
                off++;
                break;
            } else {
                ok = false;
                break;
            }
        }
        if (!perm || !ok)
            return RULE_SYNTAX;
    } else {
        perm = KEY_PERM_READ | KEY_PERM_WRITE;
    }
    if (has_space(op + off, len - off))
        return RULE_SYNTAX;
    for (int i = 0; i < s->nkeys; i++) {
        if (s->keys[i]->len == len - off && memcmp(s->keys[i]->p, op + off, len - off) == 0) {
            s->keys[i]->perm |= perm;
            return RULE_OK;
        }
    }
    pats_add(&s->keys, &s->nkeys, pat_new(op + off, len - off, perm));
    return RULE_OK;
}

static int sel_channel_rule(struct sel *s, const char *op, size_t len)
{
    if (s->flags & SEL_ALLCHANNELS)
        return RULE_CHANNELS_ALL;
    if (has_space(op + 1, len - 1))
        return RULE_SYNTAX;
    for (int i = 0; i < s->nchans; i++)
        if (s->chans[i]->len == len - 1 && memcmp(s->chans[i]->p, op + 1, len - 1) == 0)
            return RULE_OK;
    pats_add(&s->chans, &s->nchans, pat_new(op + 1, len - 1, 0));
    return RULE_OK;
}

/* +cmd, +cmd|sub, +cmd|firstarg */
static int sel_allow_rule(struct store *st, struct sel *s, const char *op, size_t len)
{
    const char *name = op + 1;
    size_t nlen = len - 1;
    const char *bar = NULL;
    for (size_t i = nlen; i-- > 0;)
        if (name[i] == '|') {
            bar = name + i;
            break;
        }
    if (bar == NULL) {
        int id = lookup_rule_cmd(st, name, nlen);
        if (id < 0)
            return RULE_UNKNOWN;
        cmd_rule(s, id, true);
        return RULE_OK;
    }
    int id = lookup_rule_cmd(st, name, (size_t)(bar - name));
    if (id < 0)
        return RULE_UNKNOWN;
    if (cmd_at(id)->is_sub)
        return RULE_SUB_FIRSTARG;
    size_t sublen = nlen - (size_t)(bar - name) - 1;
    if (sublen == 0)
        return RULE_SYNTAX;
    if (cmd_nsubs(cmd_at(id)) > 0) {
        int sid = lookup_rule_cmd(st, name, nlen);
        if (sid < 0)
            return RULE_UNKNOWN;
        change_perm(s, sid, true);
    } else {
        struct firstargs *fa = firstargs_of(s, id);
        if (fa == NULL) {
            s->fa = rs_realloc(s->fa, (size_t)(s->nfa + 1) * sizeof *s->fa);
            fa = &s->fa[s->nfa++];
            *fa = (struct firstargs){.cmd = id};
        }
        bool dup = false;
        for (int j = 0; j < fa->n && !dup; j++)
            dup = strlen(fa->args[j]) == sublen && strncasecmp(fa->args[j], bar + 1, sublen) == 0;
        if (!dup) {
            fa->args = rs_realloc(fa->args, (size_t)(fa->n + 1) * sizeof *fa->args);
            fa->args[fa->n++] = rs_memdup(bar + 1, sublen);
        }
    }
    rules_update(s, name, nlen, true);
    return RULE_OK;
}

static int sel_category_rule(struct store *st, struct sel *s, const char *op, size_t len)
{
    const char *const *names;
    int ncat = cmd_acl_categories(&names);
    bool allow = op[0] == '+';
    for (int c = 0; c < ncat; c++) {
        if (!eqi(op + 2, len - 2, names[c]))
            continue;
        rules_update(s, op + 1, len - 1, allow);
        for (int id = 0; id < cmd_table_size(); id++)
            if (st->acl->cats[id] & (1u << c))
                change_perm(s, id, allow);
        return RULE_OK;
    }
    return RULE_UNKNOWN;
}

/* One rule about a selector (Redis ACLSetSelector). */
static int sel_apply(struct store *st, struct sel *s, const char *op, size_t len)
{
    if (eqi(op, len, "allkeys") || eqi(op, len, "~*")) {
        s->flags |= SEL_ALLKEYS;
        pats_clear(&s->keys, &s->nkeys);
    } else if (eqi(op, len, "resetkeys")) {
        s->flags &= ~(uint32_t)SEL_ALLKEYS;
        pats_clear(&s->keys, &s->nkeys);
    } else if (eqi(op, len, "allchannels") || eqi(op, len, "&*")) {
        s->flags |= SEL_ALLCHANNELS;
        pats_clear(&s->chans, &s->nchans);
    } else if (eqi(op, len, "resetchannels")) {
        s->flags &= ~(uint32_t)SEL_ALLCHANNELS;
        pats_clear(&s->chans, &s->nchans);
    } else if (eqi(op, len, "allcommands") || eqi(op, len, "+@all")) {
        sel_all_commands(s, true);
    } else if (eqi(op, len, "nocommands") || eqi(op, len, "-@all")) {
        sel_all_commands(s, false);
    } else if (op[0] == '~' || op[0] == '%') {
        return sel_key_rule(s, op, len);
    } else if (op[0] == '&') {
        return sel_channel_rule(s, op, len);
    } else if (op[0] == '+' && (len < 2 || op[1] != '@')) {
        return sel_allow_rule(st, s, op, len);
    } else if (op[0] == '-' && (len < 2 || op[1] != '@')) {
        int id = lookup_rule_cmd(st, op + 1, len - 1);
        if (id < 0)
            return RULE_UNKNOWN;
        cmd_rule(s, id, false);
    } else if (op[0] == '+' || op[0] == '-') {
        return sel_category_rule(st, s, op, len);
    } else {
        return RULE_SYNTAX;
    }
    return RULE_OK;
}

/* ------------------------------------------------------------------------
 * Users
 * ------------------------------------------------------------------------ */

static struct acl_user *user_new(const char *name, size_t len)
{
    struct acl_user *u = rs_calloc(1, sizeof *u);
    u->name = rs_memdup(name, len);
    u->namelen = len;
    u->flags = USER_OFF | USER_SANITIZE;
    u->sels = rs_calloc(1, sizeof *u->sels);
    u->sels[0].flags = SEL_ROOT;
    u->nsels = 1;
    u->quick = rs_calloc((size_t)cmd_table_size(), 1);
    return u;
}

static void projects_clear(struct acl_user *u)
{
    for (int i = 0; i < u->nproj; i++)
        rs_free((char *)u->proj[i].id.p);
    rs_free(u->proj);
    u->proj = NULL;
    u->nproj = 0;
}

static void user_clear(struct acl_user *u)
{
    projects_clear(u);
    for (int i = 0; i < u->nsels; i++)
        sel_clear(&u->sels[i]);
    rs_free(u->sels);
    rs_free(u->pw);
    memset(u->quick, QUICK_UNKNOWN, (size_t)cmd_table_size());
    u->sels = NULL;
    u->pw = NULL;
    u->nsels = u->npw = 0;
}

static void user_free(struct acl_user *u)
{
    user_clear(u);
    rs_free(u->quick);
    rs_free(u->name);
    rs_free(u);
}

/* dst gets src's rules (its name stays): Redis ACLCopyUser. */
static void user_copy(struct acl_user *dst, const struct acl_user *src)
{
    user_clear(dst);
    dst->flags = src->flags;
    dst->npw = src->npw;
    dst->pw = src->npw ? rs_malloc((size_t)src->npw * sizeof *dst->pw) : NULL;
    if (src->npw)
        memcpy(dst->pw, src->pw, (size_t)src->npw * sizeof *dst->pw);
    dst->nsels = src->nsels;
    dst->sels = rs_calloc((size_t)src->nsels, sizeof *dst->sels);
    for (int i = 0; i < src->nsels; i++)
        sel_copy(&dst->sels[i], &src->sels[i]);
}

static int pw_find(const struct acl_user *u, const char *hex)
{
    for (int i = 0; i < u->npw; i++)
        if (memcmp(u->pw[i], hex, 64) == 0)
            return i;
    return -1;
}

/* Split "(a b c)" into its rules and apply them to a new selector. */
static int user_add_selector(struct store *st, struct acl_user *u, const char *op, size_t len)
{
    struct sel s = {0};
    int rc = RULE_OK;
    size_t i = 1, end = len - 1;
    while (i < end && rc == RULE_OK) {
        while (i < end && isspace((unsigned char)op[i]))
            i++;
        size_t j = i;
        while (j < end && !isspace((unsigned char)op[j]))
            j++;
        if (j > i)
            rc = sel_apply(st, &s, op + i, j - i);
        i = j;
    }
    if (rc != RULE_OK) {
        sel_clear(&s);
        return rc;
    }
    u->sels = rs_realloc(u->sels, (size_t)(u->nsels + 1) * sizeof *u->sels);
    u->sels[u->nsels++] = s;
    return RULE_OK;
}

/* One rule about a user (Redis ACLSetUser). */
static int user_apply(struct store *st, struct acl_user *u, const char *op, size_t len)
{
    if (len == 0)
        return RULE_OK;
    if (eqi(op, len, "on")) {
        u->flags = (u->flags | USER_ON) & ~(uint32_t)USER_OFF;
    } else if (eqi(op, len, "off")) {
        u->flags = (u->flags | USER_OFF) & ~(uint32_t)USER_ON;
    } else if (eqi(op, len, "skip-sanitize-payload")) {
        u->flags = (u->flags | USER_SKIP_SANITIZE) & ~(uint32_t)USER_SANITIZE;
    } else if (eqi(op, len, "sanitize-payload")) {
        u->flags = (u->flags | USER_SANITIZE) & ~(uint32_t)USER_SKIP_SANITIZE;
    } else if (eqi(op, len, "nopass")) {
        u->flags |= USER_NOPASS;
        u->npw = 0;
    } else if (eqi(op, len, "resetpass")) {
        u->flags &= ~(uint32_t)USER_NOPASS;
        u->npw = 0;
    } else if (op[0] == '>' || op[0] == '#' || op[0] == '<' || op[0] == '!') {
        char hex[65];
        if (op[0] == '>' || op[0] == '<') {
            sha256_hex(hex, op + 1, len - 1);
        } else {
            if (!is_hash(op + 1, len - 1))
                return RULE_BAD_HASH;
            memcpy(hex, op + 1, 64);
            hex[64] = '\0';
        }
        int at = pw_find(u, hex);
        if (op[0] == '>' || op[0] == '#') {
            if (at < 0) {
                u->pw = rs_realloc(u->pw, (size_t)(u->npw + 1) * sizeof *u->pw);
                memcpy(u->pw[u->npw++], hex, 65);
            }
            u->flags &= ~(uint32_t)USER_NOPASS;
        } else {
            if (at < 0)
                return RULE_NO_PASS;
            memmove(u->pw[at], u->pw[at + 1], (size_t)(u->npw - at - 1) * sizeof *u->pw);
            u->npw--;
        }
    } else if (op[0] == '(' && op[len - 1] == ')') {
        return user_add_selector(st, u, op, len);
    } else if (eqi(op, len, "clearselectors")) {
        for (int i = 1; i < u->nsels; i++)
            sel_clear(&u->sels[i]);
        u->nsels = 1;
    } else if (eqi(op, len, "reset")) {
        static const char *const steps[] = {"resetpass",        "resetkeys", "resetchannels",
                                            "off",              "sanitize-payload",
                                            "clearselectors",   "-@all"};
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
            user_apply(st, u, steps[i], strlen(steps[i]));
    } else {
        return sel_apply(st, &u->sels[0], op, len);
    }
    return RULE_OK;
}

static int user_cmp(const struct acl_user *u, const char *name, size_t len)
{
    return rs_str_cmp(rs_str_from(u->name, u->namelen), rs_str_from(name, len));
}

/* The place of name in the sorted users (found or where it would go). */
static int user_place(const struct acl *a, const char *name, size_t len, bool *found)
{
    int lo = 0, hi = a->nusers;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = user_cmp(a->users[mid], name, len);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static struct acl_user *user_find(const struct acl *a, const char *name, size_t len)
{
    bool found;
    int at = user_place(a, name, len, &found);
    return found ? a->users[at] : NULL;
}

static void user_insert(struct acl *a, struct acl_user *u)
{
    bool found;
    int at = user_place(a, u->name, u->namelen, &found);
    if (a->nusers == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->users = rs_realloc(a->users, (size_t)a->cap * sizeof *a->users);
    }
    memmove(&a->users[at + 1], &a->users[at], (size_t)(a->nusers - at) * sizeof *a->users);
    a->users[at] = u;
    a->nusers++;
}

static void user_remove(struct acl *a, int at)
{
    memmove(&a->users[at], &a->users[at + 1], (size_t)(a->nusers - at - 1) * sizeof *a->users);
    a->nusers--;
}

/* May the user run everything, so that its sessions skip the check? */
static bool unrestricted(const struct acl_user *u)
{
    uint32_t all = SEL_ALLCOMMANDS | SEL_ALLKEYS | SEL_ALLCHANNELS;
    return (u->sels[0].flags & all) == all;
}

/* ------------------------------------------------------------------------
 * Project users
 * ------------------------------------------------------------------------ */

static bool key_allowed(const struct sel *s, struct rs_str key, uint8_t perm);
static bool channel_allowed(const struct sel *s, struct rs_str ch, bool is_pattern);

/* Does a selector of u allow every channel, or is one of its channel
 * patterns equal to ch (a PSUBSCRIBE pattern), or matching it (a channel)?
 * (Redis checks the channels of every selector as one list here.) */
static bool any_sel_allows_channel(const struct acl_user *u, struct rs_str ch, bool is_pattern)
{
    for (int i = 0; i < u->nsels; i++)
        if ((u->sels[i].flags & SEL_ALLCHANNELS) || channel_allowed(&u->sels[i], ch, is_pattern))
            return true;
    return false;
}

/* The project every key matching x lies in, in *id (borrowing x's text):
 * its literal prefix, up to the first '*', '?', '[' or '\\', already holds
 * the colon that ends a project id (ks_project_id decides by those bytes
 * only). False for a pattern that can match keys of several projects or of
 * the global shard. */
static bool pat_project(const struct pat *x, struct rs_str *id)
{
    size_t lit = strcspn(x->p, "*?[\\");
    return ks_project_id(rs_str_from(x->p, lit), id);
}

static int proj_cmp(const void *a, const void *b)
{
    const struct user_proj *x = a, *y = b;
    return rs_str_cmp(x->id, y->id);
}

static struct user_proj *proj_find(const struct acl_user *u, struct rs_str id)
{
    struct user_proj key = {.id = id};
    if (u->nproj == 0)
        return NULL;
    return bsearch(&key, u->proj, (size_t)u->nproj, sizeof *u->proj, proj_cmp);
}

/* Is u a project user, and which are its projects? Worked out again from
 * its selectors after every change of users. */
static void projects_update(struct acl_user *u)
{
    projects_clear(u);
    for (int i = 0; i < u->nsels; i++) {
        const struct sel *s = &u->sels[i];
        if (s->flags & SEL_ALLKEYS) {
            projects_clear(u);
            return;
        }
        for (int k = 0; k < s->nkeys; k++) {
            struct rs_str id;
            if (!pat_project(s->keys[k], &id)) {
                projects_clear(u);
                return;
            }
            if (proj_find(u, id))
                continue;
            u->proj = rs_realloc(u->proj, (size_t)(u->nproj + 1) * sizeof *u->proj);
            u->proj[u->nproj++] = (struct user_proj){rs_str_from(rs_memdup(id.p, id.len), id.len)};
            qsort(u->proj, (size_t)u->nproj, sizeof *u->proj, proj_cmp);
        }
    }
    /* A project is whole when both spellings of its prefix are readable. */
    for (int j = 0; j < u->nproj; j++) {
        struct rs_str id = u->proj[j].id;
        char plain[300], brace[300];
        if (id.len > 280)
            continue;
        int n1 = snprintf(plain, sizeof plain, "project:%.*s:*", (int)id.len, id.p);
        int n2 = snprintf(brace, sizeof brace, "project:{%.*s}:*", (int)id.len, id.p);
        bool has1 = false, has2 = false;
        for (int i = 0; i < u->nsels; i++)
            for (int k = 0; k < u->sels[i].nkeys; k++) {
                const struct pat *x = u->sels[i].keys[k];
                if (!(x->perm & KEY_PERM_READ))
                    continue;
                has1 |= x->len == (size_t)n1 && memcmp(x->p, plain, x->len) == 0;
                has2 |= x->len == (size_t)n2 && memcmp(x->p, brace, x->len) == 0;
            }
        u->proj[j].whole = has1 && has2;
    }
}

int acl_nprojects(const struct session *s)
{
    return (s->flags & SES_PROJECT) ? s->user->nproj : 0;
}

struct rs_str acl_project(const struct session *s, int i, bool *whole)
{
    if (whole)
        *whole = s->user->proj[i].whole;
    return s->user->proj[i].id;
}

bool acl_in_projects(const struct session *s, struct rs_str id)
{
    return (s->flags & SES_PROJECT) && proj_find(s->user, id) != NULL;
}

bool acl__may_read(const struct session *s, struct rs_str key)
{
    const struct acl_user *u = s->user;
    for (int i = 0; i < u->nsels; i++)
        if (key_allowed(&u->sels[i], key, KEY_PERM_READ))
            return true;
    return false;
}

bool acl_may_see_channel(const struct session *s, struct rs_str ch, bool is_pattern)
{
    if (!(s->flags & SES_PROJECT))
        return true;
    if (!any_sel_allows_channel(s->user, ch, is_pattern))
        return false;
    /* The keyspace channel of a key, __keyspace@<db>__:<key>, names the key. */
    static const char ksp[] = "__keyspace@";
    const size_t plen = sizeof ksp - 1;
    if (ch.len <= plen || memcmp(ch.p, ksp, plen) != 0)
        return true;
    const char *colon = memchr(ch.p + plen, ':', ch.len - plen);
    return colon == NULL ||
           acl_may_read(s, rs_str_from(colon + 1, (size_t)(ch.p + ch.len - colon - 1)));
}

/* Does a rule of s name command d itself, +<name> or +<container>|<sub>
 * ("granted explicitly"), rather than through a category or +@all? The
 * command's bit says whether it is allowed at all. */
static bool sel_names_cmd(const struct sel *s, const struct cmd_def *d)
{
    char full[96];
    cmd_print_name(d->fullname, full, sizeof full);
    size_t flen = strlen(full);
    const char *bar = memchr(full, '|', flen);
    size_t base = bar ? (size_t)(bar - full) : flen;
    for (int i = 0; i < s->nrules; i++) {
        const char *r = s->rules[i];
        if (r[0] != '+')
            continue;
        size_t rlen = strlen(r + 1);
        if ((rlen == flen && memcmp(r + 1, full, flen) == 0) ||
            (rlen == base && memcmp(r + 1, full, base) == 0))
            return true;
    }
    return false;
}

/* The commands that act on the whole server rather than on keys (Redis's
 * @admin, and these), refused to a project user unless granted by name. */
static void server_wide_init(struct store *st, struct acl *a)
{
    static const char *const names[] = {
        "flushall",       "flushdb",         "swapdb",          "project|drop",
        "project|quota",  "script|flush",    "script|kill",     "function|load",
        "function|delete", "function|flush", "function|restore", "function|dump",
        "function|list",  "function|kill",   "function|stats",  "memory|stats",
        "memory|doctor",  "memory|malloc-stats", "memory|purge",
    };
    const char *const *cats;
    int ncat = cmd_acl_categories(&cats), admin = -1;
    for (int c = 0; c < ncat; c++)
        if (strcmp(cats[c], "admin") == 0)
            admin = c;
    for (int i = 0; i < cmd_table_size() && i < FUTURE_BIT; i++)
        if (admin >= 0 && (a->cats[i] >> admin & 1))
            a->server_wide[i / 64] |= 1ULL << (i % 64);
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
        int id = lookup_rule_cmd(st, names[j], strlen(names[j]));
        if (id >= 0)
            a->server_wide[id / 64] |= 1ULL << (id % 64);
    }
}

static void session_set_user(struct session *s, struct acl_user *u)
{
    uint32_t def = s->st->acl->def->flags;
    if ((def & USER_NOPASS) && !(def & USER_OFF))
        s->flags |= SES_AUTH_OPEN;
    else
        s->flags &= ~(uint32_t)SES_AUTH_OPEN;
    s->user = u;
    if (u->nproj && !(s->flags & SES_REPLAY))
        s->flags |= SES_PROJECT;
    else
        s->flags &= ~(uint32_t)SES_PROJECT;
    if (unrestricted(u) || (s->flags & SES_REPLAY))
        s->flags &= ~(uint32_t)SES_ACL_CHECK;
    else
        s->flags |= SES_ACL_CHECK;
}

/* After a change of users (every change ends here): every session's flags
 * follow its user and the default user, and the users' quick verdicts
 * are found again. */
static void refresh_sessions(struct store *st)
{
    for (int i = 0; i < st->acl->nusers; i++) {
        projects_update(st->acl->users[i]);
        memset(st->acl->users[i]->quick, QUICK_UNKNOWN, (size_t)cmd_table_size());
    }
    for (struct session *s = st->sessions_head; s; s = s->next)
        session_set_user(s, s->user);
}

/* Close s, whose user went away (Redis ACLFreeUserAndKillClients): the
 * caller after its reply, another at once. s runs as the default user,
 * unauthenticated, meanwhile. */
static void kill_session(struct cmd_ctx *c, struct session *s)
{
    session_set_user(s, c->st->acl->def);
    s->flags &= ~(uint32_t)SES_AUTHENTICATED;
    if (s == c->s) {
        s->flags |= SES_CLOSE_AFTER_REPLY;
        return;
    }
    s->flags |= SES_KILLED;
    block_cancel(s);
    if (s->io && s->io->kill)
        s->io->kill(s->io_ud);
}

static void user_delete(struct cmd_ctx *c, int at)
{
    struct acl *a = c->st->acl;
    struct acl_user *u = a->users[at];
    user_remove(a, at);
    for (struct session *s = c->st->sessions_head; s; s = s->next)
        if (s->user == u)
            kill_session(c, s);
    user_free(u);
}

static bool sub_refused(void *ud, enum ps_kind kind, struct rs_str name)
{
    return !any_sel_allows_channel(ud, name, kind == PS_PATTERN);
}

static bool has_channel(const struct acl_user *u, const struct pat *p)
{
    for (int i = 0; i < u->nsels; i++)
        for (int j = 0; j < u->sels[i].nchans; j++)
            if (rs_str_eq(rs_str_from(u->sels[i].chans[j]->p, u->sels[i].chans[j]->len),
                          rs_str_from(p->p, p->len)))
                return true;
    return false;
}

/* u's rules become next's: close u's subscribed sessions whose channels
 * next no longer allows (Redis ACLKillPubsubClientsIfNeeded), unless next
 * allows every channel or keeps each channel pattern u had. */
static void kill_pubsub_if_needed(struct cmd_ctx *c, const struct acl_user *next,
                                  struct acl_user *u)
{
    bool keeps = true;
    for (int i = 0; i < next->nsels; i++)
        if (next->sels[i].flags & SEL_ALLCHANNELS)
            return;
    for (int i = 0; i < u->nsels && keeps; i++) {
        keeps = !(u->sels[i].flags & SEL_ALLCHANNELS);
        for (int j = 0; j < u->sels[i].nchans && keeps; j++)
            keeps = has_channel(next, u->sels[i].chans[j]);
    }
    if (keeps)
        return;
    for (struct session *s = c->st->sessions_head; s; s = s->next)
        if (s->user == u && pubsub_is_subscriber(s) &&
            pubsub_any(s, sub_refused, (void *)next))
            kill_session(c, s);
}

/* Merge rules split over arguments "(~a" "+get)" into one selector rule
 * (Redis ACLMergeSelectorArguments). Returns the merged rules (each
 * rs_malloc'd, the array too) and their number, or NULL with the index of
 * the unmatched '(' in *bad. */
static char **merge_selectors(const struct rs_str *argv, int argc, int *n, int *bad)
{
    char **out = rs_malloc((size_t)(argc ? argc : 1) * sizeof *out);
    *n = 0;
    int open = -1;
    size_t len = 0;
    char *cur = NULL;
    for (int j = 0; j < argc; j++) {
        struct rs_str a = argv[j];
        if (open < 0 && a.len && a.p[0] == '(' && a.p[a.len - 1] != ')') {
            open = j;
            cur = rs_memdup(a.p, a.len);
            len = a.len;
            continue;
        }
        if (open >= 0) {
            cur = rs_realloc(cur, len + a.len + 2);
            cur[len++] = ' ';
            memcpy(cur + len, a.p, a.len);
            len += a.len;
            cur[len] = '\0';
            if (a.len && a.p[a.len - 1] == ')') {
                open = -1;
                out[(*n)++] = cur;
                cur = NULL;
            }
            continue;
        }
        out[(*n)++] = rs_memdup(a.p, a.len);
    }
    if (open >= 0) {
        for (int i = 0; i < *n; i++)
            rs_free(out[i]);
        rs_free(out);
        rs_free(cur);
        *bad = open;
        return NULL;
    }
    return out;
}

/* Apply rules argv[0..argc) to a copy of u (a new user named name when u
 * is NULL) and, if all of them apply, to u itself (Redis
 * ACLStringSetUser); c (NULL at start-up) is the command doing it. NULL,
 * or ACL SETUSER's error text in err, with the reason in *rc and in *at
 * the index of the rule refused (or of the unmatched '(' in argv). */
static const char *set_user(struct store *st, struct cmd_ctx *c, struct acl_user *u,
                            struct rs_str name, const struct rs_str *argv, int argc, char *err,
                            size_t errlen, int *rc, int *at)
{
    int n;
    char **rules = merge_selectors(argv, argc, &n, at);
    if (rules == NULL) {
        snprintf(err, errlen, rs_err_text[RS_ERR_ACL_UNMATCHED], cstr_len(argv[*at], 1024),
                 argv[*at].p);
        *rc = RULE_SYNTAX;
        return err;
    }
    struct acl_user *tmp = user_new(name.p, name.len);
    if (u)
        user_copy(tmp, u);
    const char *msg = NULL;
    for (int j = 0; j < n && !msg; j++) {
        *rc = user_apply(st, tmp, rules[j], strlen(rules[j]));
        if (*rc != RULE_OK) {
            snprintf(err, errlen, rs_err_text[RS_ERR_ACL_MODIFIER], rules[j], rule_error(*rc));
            *at = j;
            msg = err;
        }
    }
    free_strs(rules, n);
    if (msg) {
        user_free(tmp);
        return msg;
    }
    if (u) {
        if (c)
            kill_pubsub_if_needed(c, tmp, u);
        user_copy(u, tmp);
        user_free(tmp);
    } else {
        user_insert(st->acl, tmp);
    }
    refresh_sessions(st);
    return NULL;
}

static struct acl_user *default_user_new(struct store *st)
{
    struct acl_user *u = user_new("default", 7);
    static const char *const rules[] = {"+@all", "~*", "&*", "on", "nopass"};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        user_apply(st, u, rules[i], strlen(rules[i]));
    return u;
}

/* ------------------------------------------------------------------------
 * Describing users (ACL LIST, GETUSER, SAVE)
 * ------------------------------------------------------------------------ */

struct text {
    char *p;
    size_t len, cap;
};

static void text_add(struct text *t, const char *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = rs_realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, p, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_cstr(struct text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static void describe_key(struct text *t, const struct pat *k)
{
    text_cstr(t, k->perm == (KEY_PERM_READ | KEY_PERM_WRITE) ? "~"
                 : k->perm == KEY_PERM_READ                 ? "%R~"
                                                            : "%W~");
    text_add(t, k->p, k->len);
}

/* The command rules: +@all or -@all, then the rules as given (Redis
 * ACLDescribeSelectorCommandRules). */
static void describe_commands(struct text *t, const struct sel *s)
{
    text_cstr(t, bit_get(s, FUTURE_BIT) ? "+@all" : "-@all");
    for (int i = 0; i < s->nrules; i++) {
        text_cstr(t, " ");
        text_cstr(t, s->rules[i]);
    }
}

static void describe_sel(struct text *t, const struct sel *s)
{
    if (s->flags & SEL_ALLKEYS) {
        text_cstr(t, "~* ");
    } else {
        for (int i = 0; i < s->nkeys; i++) {
            describe_key(t, s->keys[i]);
            text_cstr(t, " ");
        }
    }
    if (s->flags & SEL_ALLCHANNELS) {
        text_cstr(t, "&* ");
    } else {
        text_cstr(t, "resetchannels ");
        for (int i = 0; i < s->nchans; i++) {
            text_cstr(t, "&");
            text_add(t, s->chans[i]->p, s->chans[i]->len);
            text_cstr(t, " ");
        }
    }
    describe_commands(t, s);
}

/* "user <name> <rules>" as ACL LIST and the ACL file show it. */
static void describe_user(struct text *t, const struct acl_user *u)
{
    text_cstr(t, "user ");
    text_add(t, u->name, u->namelen);
    text_cstr(t, " ");
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++) {
        if (u->flags & user_flags[i].flag) {
            text_cstr(t, user_flags[i].name);
            text_cstr(t, " ");
        }
    }
    for (int i = 0; i < u->npw; i++) {
        text_cstr(t, "#");
        text_add(t, u->pw[i], 64);
        text_cstr(t, " ");
    }
    describe_sel(t, &u->sels[0]);
    for (int i = 1; i < u->nsels; i++) {
        text_cstr(t, " (");
        describe_sel(t, &u->sels[i]);
        text_cstr(t, ")");
    }
}

/* ------------------------------------------------------------------------
 * State, configuration, sessions
 * ------------------------------------------------------------------------ */

void acl_init(struct store *st)
{
    struct acl *a = rs_calloc(1, sizeof *a);
    st->acl = a;
    int n = cmd_table_size();
    a->cats = rs_malloc((size_t)n * sizeof *a->cats);
    for (int i = 0; i < n; i++)
        a->cats[i] = cmd_acl_mask(cmd_at(i));
    a->plans = rs_malloc((size_t)n * sizeof *a->plans);
    for (int i = 0; i < n; i++)
        cmd_key_plan(cmd_at(i), &a->plans[i]);
    server_wide_init(st, a);
    a->def = default_user_new(st);
    user_insert(a, a->def);
}

static void log_free(struct log_entry *e)
{
    rs_free(e->object);
    rs_free(e->username);
    rs_free(e->cinfo);
    rs_free(e);
}

static void log_reset(struct acl *a)
{
    while (a->log) {
        struct log_entry *e = a->log;
        a->log = e->next;
        log_free(e);
    }
    a->nlog = 0;
}

void acl_free(struct store *st)
{
    struct acl *a = st->acl;
    if (a == NULL)
        return;
    for (int i = 0; i < a->nusers; i++)
        user_free(a->users[i]);
    rs_free(a->users);
    log_reset(a);
    rs_free(a->cats);
    rs_free(a->plans);
    rs_free(a->keys);
    free_strs(a->config_users, a->nconfig_users);
    rs_free(a);
    st->acl = NULL;
}

void acl_requirepass_changed(struct store *st)
{
    struct acl_user *u = st->acl->def;
    user_apply(st, u, "resetpass", 9);
    const char *pass = st->cfg.requirepass;
    if (pass[0]) {
        char op[sizeof st->cfg.requirepass + 1];
        int n = snprintf(op, sizeof op, ">%s", pass);
        user_apply(st, u, op, (size_t)n);
    } else {
        user_apply(st, u, "nopass", 6);
    }
    refresh_sessions(st);
}

/* Split text at spaces into argv (borrowing text); returns the count. */
static int split_spaces(const char *text, struct rs_str **argv)
{
    int n = 0, cap = 0;
    *argv = NULL;
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t')
            q++;
        if (q > p) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                *argv = rs_realloc(*argv, (size_t)cap * sizeof **argv);
            }
            (*argv)[n++] = rs_str_from(p, (size_t)(q - p));
        }
        p = q;
    }
    return n;
}

const char *acl_config_user(struct store *st, const char *rules, char *err, size_t errlen)
{
    struct acl *a = st->acl;
    struct rs_str *argv;
    int argc = split_spaces(rules, &argv);
    int rc = RULE_OK, at = 0;
    for (int i = 0; argc && i < a->nconfig_users && rc == RULE_OK; i++)
        if (rs_str_eq(argv[0], rs_str_from(a->config_users[i], strlen(a->config_users[i]))))
            rc = RULE_DUP_USER;
    if (argc < 1) {
        snprintf(err, errlen, "wrong number of arguments");
    } else if (rc == RULE_OK && has_space(argv[0].p, argv[0].len)) {
        snprintf(err, errlen, "Spaces not allowed in ACL usernames");
        rc = RULE_SYNTAX;
    } else if (rc == RULE_OK) {
        struct acl_user *u = user_find(a, argv[0].p, argv[0].len);
        /* The default user, named in the configuration, starts from reset. */
        if (u)
            user_apply(st, u, "reset", 5);
        if (!set_user(st, NULL, u, argv[0], argv + 1, argc - 1, err, errlen, &rc, &at)) {
            a->config_users = rs_realloc(a->config_users,
                                         (size_t)(a->nconfig_users + 1) * sizeof(char *));
            a->config_users[a->nconfig_users++] = rs_memdup(argv[0].p, argv[0].len);
        }
    } else {
        at = 1;
    }
    /* Redis names the word of the line "user <name> <rules...>" at the
     * index of the rule refused among the rules (the name for the first). */
    if (argc >= 1 && rc != RULE_OK) {
        struct rs_str word = at == 0 ? RS_STR("user") : argv[at - 1 < argc ? at - 1 : 0];
        snprintf(err, errlen, "Error in user declaration '%.*s': %s", (int)word.len, word.p,
                 rule_error(rc));
    }
    rs_free(argv);
    return argc < 1 || rc != RULE_OK ? err : NULL;
}

void acl_session_init(struct session *s)
{
    session_set_user(s, s->st->acl->def);
    if (s->flags & SES_AUTH_OPEN)
        s->flags |= SES_AUTHENTICATED;
}

void acl_session_reset(struct session *s)
{
    s->flags &= ~(uint32_t)SES_AUTHENTICATED;
    acl_session_init(s);
}

const char *acl_user_name(const struct session *s)
{
    return s->user ? s->user->name : "default";
}

bool acl_default_nopass(const struct store *st)
{
    return (st->acl->def->flags & USER_NOPASS) != 0;
}

/* Does pass open u? Every digest is compared in full. */
static bool credentials_ok(const struct acl_user *u, struct rs_str pass)
{
    if (u == NULL || (u->flags & USER_OFF))
        return false;
    if (u->flags & USER_NOPASS)
        return true;
    char hex[65];
    sha256_hex(hex, pass.p, pass.len);
    bool ok = false;
    for (int i = 0; i < u->npw; i++)
        ok |= digest_equal(hex, u->pw[i]);
    return ok;
}

/* ------------------------------------------------------------------------
 * ACL LOG
 * ------------------------------------------------------------------------ */

static void log_add(struct store *st, const struct cmd_ctx *info, int reason, int ctx,
                    struct rs_str object, struct rs_str username)
{
    struct acl *a = st->acl;
    st->acl_denied[reason]++; /* INFO acl_access_denied_*, as Redis's addACLLogEntry */
    int64_t now = info->now;
    size_t cinfo_len;
    char *cinfo = client_info_string(info, info->s, &cinfo_len);
    struct log_entry **pp = &a->log;
    for (int scanned = 0; *pp && scanned < 10; scanned++, pp = &(*pp)->next) {
        struct log_entry *e = *pp;
        int64_t delta = e->ctime - now;
        if (e->reason == reason && e->ctx == ctx && (delta < 0 ? -delta : delta) <= LOG_GROUP_MS &&
            rs_str_eq(rs_str_from(e->object, e->object_len), object) &&
            rs_str_eq(rs_str_from(e->username, e->username_len), username)) {
            *pp = e->next; /* to the head, updated */
            e->next = a->log;
            a->log = e;
            rs_free(e->cinfo);
            e->cinfo = cinfo;
            e->cinfo_len = cinfo_len;
            e->ctime = now;
            e->count++;
            return;
        }
    }
    struct log_entry *e = rs_calloc(1, sizeof *e);
    e->count = 1;
    e->reason = reason;
    e->ctx = ctx;
    e->object = rs_memdup(object.p, object.len);
    e->object_len = object.len;
    e->username = rs_memdup(username.p, username.len);
    e->username_len = username.len;
    e->cinfo = cinfo;
    e->cinfo_len = cinfo_len;
    e->ctime = e->created = now;
    e->id = a->next_id++;
    e->next = a->log;
    a->log = e;
    a->nlog++;
    /* Trim to acllog-max-len, oldest first. */
    if (a->nlog > st->cfg.acllog_max_len) {
        struct log_entry **tail = &a->log;
        for (long long i = 0; i < st->cfg.acllog_max_len; i++)
            tail = &(*tail)->next;
        while (*tail) {
            struct log_entry *x = *tail;
            *tail = x->next;
            log_free(x);
            a->nlog--;
        }
    }
}

void acl_log_denied(const struct cmd_ctx *info, const struct cmd_ctx *client,
                    const struct session *of, int why, int ctx, int pos)
{
    char name[96];
    struct rs_str object;
    if (why == ACL_DENIED_CMD) {
        cmd_print_name(info->cmd->fullname, name, sizeof name);
        object = rs_str_from(name, strlen(name));
    } else {
        object = info->argv[pos];
    }
    const char *user = acl_user_name(of);
    log_add(info->st, client, why, ctx, object, rs_str_from(user, strlen(user)));
}

bool acl_auth_or_reply(struct cmd_ctx *c, struct rs_str user, struct rs_str pass)
{
    struct acl_user *u = user_find(c->st->acl, user.p, user.len);
    if (!credentials_ok(u, pass)) {
        log_add(c->st, c, ACL_DENIED_AUTH, c->s->mq ? ACL_CTX_MULTI : ACL_CTX_TOPLEVEL,
                c->argv[0], user);
        reply_err(c, RS_ERR_WRONGPASS);
        return false;
    }
    session_set_user(c->s, u);
    c->s->flags |= SES_AUTHENTICATED;
    return true;
}

/* ------------------------------------------------------------------------
 * The check
 * ------------------------------------------------------------------------ */

static bool key_allowed(const struct sel *s, struct rs_str key, uint8_t perm)
{
    for (int i = 0; i < s->nkeys; i++) {
        const struct pat *p = s->keys[i];
        if ((p->perm & perm) == perm && pat_match(p, key))
            return true;
    }
    return false;
}

/* A channel of PUBLISH or SUBSCRIBE matches a pattern; a pattern of
 * PSUBSCRIBE must equal one (Redis ACLCheckChannelAgainstList). */
static bool channel_allowed(const struct sel *s, struct rs_str ch, bool is_pattern)
{
    for (int i = 0; i < s->nchans; i++) {
        const struct pat *p = s->chans[i];
        if (is_pattern ? rs_str_eq(rs_str_from(p->p, p->len), ch) : pat_match(p, ch))
            return true;
    }
    return false;
}

cmd_handler cmd_subscribe, cmd_ssubscribe, cmd_psubscribe, cmd_publish, cmd_spublish;

/* The command line being checked: argv[0..argc) of d, d's place in the
 * command table and its key plan. */
struct check {
    const struct cmd_def *d;
    int id;
    const struct rs_str *argv;
    int argc;
    const struct cmd_key_plan *plan;
};

/* The keys of a check, found once for all the selectors of a user (nkeys
 * < 0 until then): by a fixed plan (most commands), argv[plan->first..
 * last] every plan->step-th, each asking perm, with no array to fill (last
 * 0 when the line cannot hold them); else a->keys[0..nkeys). */
struct found {
    int nkeys, last;
    uint8_t perm;
};

static struct check check_of(const struct acl *a, const struct cmd_def *d,
                             const struct rs_str *argv, int argc)
{
    int id = cmd_index(d);
    return (struct check){d, id, argv, argc, &a->plans[id]};
}

/* A command whose bit s clears, allowed by one of the first arguments s
 * allows it (+select|0), or because it needs no authentication. */
static bool allowed_otherwise(const struct sel *s, struct check k)
{
    if (k.d->flags & CMD_NO_AUTH)
        return true;
    const struct firstargs *fa = k.argc >= 2 ? firstargs_of(s, k.id) : NULL;
    int at = k.d->is_sub ? 2 : 1;
    for (int i = 0; fa && at < k.argc && i < fa->n; i++)
        if (strlen(fa->args[i]) == k.argv[at].len &&
            strncasecmp(fa->args[i], k.argv[at].p, k.argv[at].len) == 0)
            return true;
    return false;
}

/* The argv index of the first of k's keys s refuses, 0 if none. */
static int key_refused(struct acl *a, const struct sel *s, struct check k, struct found *f)
{
    const struct cmd_key_plan *p = k.plan;
    if (f->nkeys < 0 && p->fixed) {
        f->nkeys = 1;
        if (cmd_fixed_keys(p, k.argc, &f->last))
            f->perm = cmd_fixed_perm(p, k.argv, k.argc);
        else
            f->last = 0; /* none */
    } else if (f->nkeys < 0) {
        int n = p->nspecs ? cmd_find_keys(k.d, p, k.argv, k.argc, &a->keys, &a->kcap) : 0;
        f->nkeys = n > 0 ? n : 0;
    }
    if (p->fixed) {
        for (int i = p->first; i <= f->last; i += p->step)
            if (!key_allowed(s, k.argv[i], f->perm))
                return i;
        return 0;
    }
    for (int i = 0; i < f->nkeys; i++)
        if (!key_allowed(s, k.argv[a->keys[i].pos], a->keys[i].perm))
            return a->keys[i].pos;
    return 0;
}

/* The argv index of the first channel k's command publishes or
 * subscribes to that s refuses, 0 if none. */
static int channel_refused(const struct sel *s, struct check k)
{
    cmd_handler *h = k.d->handler;
    bool pattern = h == cmd_psubscribe;
    int to;
    if (h == cmd_subscribe || h == cmd_ssubscribe || h == cmd_psubscribe)
        to = k.argc;
    else if (h == cmd_publish || h == cmd_spublish)
        to = 2;
    else
        return 0;
    for (int i = 1; i < to; i++)
        if (!channel_allowed(s, k.argv[i], pattern))
            return i;
    return 0;
}

/* One selector's verdict on k's command line (Redis ACLSelectorCheckCmd),
 * the refused key or channel at argv[*pos]; f keeps the keys found for
 * the next selector. */
static int sel_check(struct acl *a, const struct sel *s, struct check k, struct found *f, int *pos)
{
    if (!(s->flags & SEL_ALLCOMMANDS) && !bit_get(s, k.id) && !allowed_otherwise(s, k))
        return ACL_DENIED_CMD;
    if (!(s->flags & SEL_ALLKEYS) && (*pos = key_refused(a, s, k, f)) != 0)
        return ACL_DENIED_KEY;
    if (!(s->flags & SEL_ALLCHANNELS) && (k.d->flags & CMD_PUBSUB) &&
        (*pos = channel_refused(s, k)) != 0)
        return ACL_DENIED_CHANNEL;
    return ACL_OK;
}

/* Is command id one that only a selector naming it may allow to u (a
 * server-wide command and a project user)? */
static bool named_only(const struct acl *a, const struct acl_user *u, int id)
{
    return u->nproj && (a->server_wide[id / 64] >> (id % 64) & 1);
}

/* Redis ACLCheckAllUserCommandPerm: allowed if one selector allows it;
 * otherwise the error reported is the command's if no selector allowed
 * the command, else the key's or channel's of highest argv index. */
static int user_check(struct acl *a, const struct acl_user *u, struct check k, int *pos)
{
    struct found f = {.nkeys = -1};
    int worst = ACL_DENIED_CMD, worst_pos = 0;
    bool by_name = named_only(a, u, k.id);
    for (int i = 0; i < u->nsels; i++) {
        int p = 0;
        if (by_name && !sel_names_cmd(&u->sels[i], k.d))
            continue;
        int rc = sel_check(a, &u->sels[i], k, &f, &p);
        if (rc == ACL_OK)
            return ACL_OK;
        if (rc > worst || (rc == worst && p > worst_pos)) {
            worst = rc;
            worst_pos = p;
        }
    }
    *pos = worst_pos;
    return worst;
}

/* ------------------------------------------------------------------------
 * The quick verdict
 *
 * The check runs before every command of a confined user, and its usual
 * outcome is a yes of the root selector for a command of one key (GET,
 * SET, HSET ...) that a literal or prefix pattern allows (~project:42:*).
 * Each user keeps, per command, what that yes depends on, found from the
 * rules on the command's first run (quick_of): QUICK_YES, the root
 * selector allows the command with no key or channel to check; a key's
 * argv index, it allows it when a pattern of the root selector matches
 * that key, its only one; QUICK_GENERAL, the check above must tell. A yes
 * of the root selector is the user's (the choice among selectors is about
 * errors), so acl_check answers such a yes in a few instructions and
 * leaves all else to user_check. The table is cleared whenever users
 * change (refresh_sessions, user_clear).
 * ------------------------------------------------------------------------ */

/* Does a pattern of s match key? For a selector whose key patterns are all
 * literal or prefix ones, allowing what the key asks (quick_of). */
static inline bool quick_key_matches(const struct sel *s, struct rs_str key)
{
    for (int i = 0; i < s->nkeys; i++)
        if (literal_match(s->keys[i], key))
            return true;
    return false;
}

/* The quick verdict of command k.id for u's root selector s. */
static uint8_t quick_of(const struct sel *s, struct check k)
{
    const struct cmd_key_plan *p = k.plan;
    if (!(s->flags & SEL_ALLCOMMANDS) && !bit_get(s, k.id))
        return QUICK_GENERAL; /* first arguments, or refused */
    if ((k.d->flags & CMD_PUBSUB) && !(s->flags & SEL_ALLCHANNELS))
        return QUICK_GENERAL;
    if ((s->flags & SEL_ALLKEYS) || p->nkeyspecs == 0)
        return QUICK_YES;
    if (!p->fixed || p->last != 0) /* one key at argv[p->first] */
        return QUICK_GENERAL;
    /* What the key asks: a variable_flags one (SET's) at most both. */
    uint8_t perm = p->varflags ? KEY_PERM_READ | KEY_PERM_WRITE : p->perm[0];
    for (int i = 0; i < s->nkeys; i++)
        if (s->keys[i]->form == PAT_GLOB || (s->keys[i]->perm & perm) != perm)
            return QUICK_GENERAL;
    return (uint8_t)p->first;
}

/* acl_check past the quick verdict (and finding it, the first time). */
static __attribute__((noinline)) int acl_check_all(const struct cmd_ctx *c,
                                                   const struct session *of, int *pos)
{
    struct acl *a = c->st->acl;
    struct acl_user *u = of->user;
    struct check k = check_of(a, c->cmd, c->argv, c->argc);
    if (u->quick[k.id] == QUICK_UNKNOWN)
        u->quick[k.id] = named_only(a, u, k.id) ? QUICK_GENERAL : quick_of(&u->sels[0], k);
    return user_check(a, u, k, pos);
}

bool acl_allows_rerun(struct cmd_ctx *c)
{
    int pos = 0;
    int why = acl_check(c, c->s, &pos);
    if (why == ACL_OK)
        return true;
    acl_log_denied(c, c, c->s, why, ACL_CTX_TOPLEVEL, pos);
    char text[1200] = "NOPERM ";
    acl_error_text(c, c->s, why, pos, text + 7, sizeof text - 7);
    reply_error_bytes(c, text, strlen(text));
    return false;
}

bool acl_reads_every_key(const struct cmd_ctx *c)
{
    const struct acl_user *u = c->s->user;
    struct acl *a = c->st->acl;
    struct check k = check_of(a, c->cmd, c->argv, c->argc);
    struct found f = {.nkeys = -1};
    for (int i = 0; i < u->nsels; i++) {
        const struct sel *s = &u->sels[i];
        int pos = 0;
        if (sel_check(a, s, k, &f, &pos) != ACL_OK)
            continue;
        if (s->flags & SEL_ALLKEYS)
            return true;
        for (int j = 0; j < s->nkeys; j++)
            if ((s->keys[j]->perm & KEY_PERM_READ) && s->keys[j]->len == 1 &&
                s->keys[j]->p[0] == '*')
                return true;
    }
    return false;
}

int acl_check(const struct cmd_ctx *c, const struct session *of, int *pos)
{
    const struct acl_user *u = of->user;
    uint8_t q = u->quick[cmd_index(c->cmd)];
    if (q == QUICK_YES || (q != QUICK_UNKNOWN && q < QUICK_GENERAL && q < c->argc &&
                           quick_key_matches(&u->sels[0], c->argv[q])))
        return ACL_OK;
    return acl_check_all(c, of, pos);
}

/* Redis getAclErrorMessage; verbose names the key or channel (DRYRUN). */
static void error_text(const char *user, const struct cmd_def *d, struct rs_str arg, int why,
                       bool verbose, char *buf, size_t size)
{
    char name[96];
    const char *what = why == ACL_DENIED_KEY ? "key" : "channel";
    if (why == ACL_DENIED_CMD) {
        cmd_print_name(d->fullname, name, sizeof name);
        snprintf(buf, size, "User %s has no permissions to run the '%s' command", user, name);
    } else if (verbose) {
        snprintf(buf, size, "User %s has no permissions to access the '%.*s' %s", user,
                 cstr_len(arg, 1024), arg.p, what);
    } else {
        snprintf(buf, size, "No permissions to access a %s", what);
    }
}

void acl_error_text(const struct cmd_ctx *c, const struct session *of, int why, int pos,
                    char *buf, size_t size)
{
    error_text(acl_user_name(of), c->cmd, c->argv[pos], why, false, buf, size);
}

/* ------------------------------------------------------------------------
 * The ACL file
 * ------------------------------------------------------------------------ */

/* Load the ACL file into a new set of users; on success they replace the
 * current ones (the default user keeps its identity, sessions of users
 * gone are closed), else nothing changes (Redis ACLLoadFromFile). c is
 * NULL at start-up. NULL, or the errors found. */
static const char *load_file(struct store *st, struct cmd_ctx *c, char *err, size_t errlen)
{
    const char *path = st->cfg.aclfile;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "Error loading ACLs, opening file '%s': %s", path, strerror(errno));
        return err;
    }
    struct acl *a = st->acl;
    struct acl_user **old = a->users;
    int nold = a->nusers, oldcap = a->cap;
    a->users = NULL;
    a->nusers = a->cap = 0;
    struct text errors = {0};
    char line[65536];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        while (n && strchr(" \t\r\n", line[n - 1]))
            line[--n] = '\0';
        char *p = line + strspn(line, " \t\r\n");
        if (*p == '\0')
            continue;
        struct rs_str *argv;
        int argc = split_spaces(p, &argv);
        char buf[sizeof st->cfg.aclfile + 1024];
        if (argc < 2 || !rs_str_eq(argv[0], RS_STR("user"))) {
            snprintf(buf, sizeof buf, "%s:%d should start with user keyword followed by the "
                     "username. ", path, lineno);
            text_cstr(&errors, buf);
        } else if (user_find(a, argv[1].p, argv[1].len)) {
            snprintf(buf, sizeof buf, "WARNING: Duplicate user '%.*s' found on line %d. ",
                     (int)argv[1].len, argv[1].p, lineno);
            text_cstr(&errors, buf);
        } else {
            int nr, bad;
            char **rules = merge_selectors(argv + 2, argc - 2, &nr, &bad);
            struct acl_user *u = user_new(argv[1].p, argv[1].len);
            user_insert(a, u);
            if (rules == NULL) {
                snprintf(buf, sizeof buf, "%s:%d: Unmatched parenthesis in selector definition.",
                         path, lineno);
                text_cstr(&errors, buf);
            }
            bool syntax = false;
            for (int j = 0; rules && j < nr; j++) {
                int rc = user_apply(st, u, rules[j], strlen(rules[j]));
                if (rc == RULE_UNKNOWN) {
                    snprintf(buf, sizeof buf, "%s:%d: Error in applying operation '%s': %s. ",
                             path, lineno, rules[j], rule_error(rc));
                    text_cstr(&errors, buf);
                } else if (rc != RULE_OK && !syntax) {
                    snprintf(buf, sizeof buf, "%s:%d: %s. ", path, lineno, rule_error(rc));
                    text_cstr(&errors, buf);
                    syntax = true;
                }
            }
            if (rules)
                free_strs(rules, nr);
        }
        rs_free(argv);
    }
    fclose(f);
    struct acl_user **fresh = a->users;
    int nfresh = a->nusers;
    if (errors.len) {
        for (int i = 0; i < nfresh; i++)
            user_free(fresh[i]);
        rs_free(fresh);
        a->users = old;
        a->nusers = nold;
        a->cap = oldcap;
        text_cstr(&errors, "WARNING: ACL errors detected, no change to the previously active "
                           "ACL rules was performed");
        snprintf(err, errlen, "%s", errors.p);
        rs_free(errors.p);
        return err;
    }
    /* The default user object stays (sessions point to it): it takes the
     * new default's rules. */
    struct acl_user *nd = user_find(a, "default", 7);
    bool found;
    if (nd) {
        user_copy(a->def, nd);
        a->users[user_place(a, "default", 7, &found)] = a->def;
        user_free(nd);
    } else {
        struct acl_user *fresh_def = default_user_new(st);
        user_copy(a->def, fresh_def);
        user_free(fresh_def);
        user_insert(a, a->def);
    }
    /* Sessions of the users replaced are closed, as Redis frees them. */
    for (int i = 0; i < nold; i++) {
        if (old[i] == a->def)
            continue;
        for (struct session *s = st->sessions_head; s; s = s->next) {
            if (s->user != old[i])
                continue;
            if (c)
                kill_session(c, s);
            else
                session_set_user(s, a->def);
        }
        user_free(old[i]);
    }
    rs_free(old);
    refresh_sessions(st);
    return NULL;
}

int respite_acl_load(struct respite *rs, char *err, size_t errlen)
{
    struct store *st = (struct store *)rs;
    if (st->cfg.aclfile[0] == '\0')
        return 0;
    if (st->acl->nconfig_users) {
        snprintf(err, errlen, "Configuring Redis with users defined in redis.conf and at the "
                 "same setting an ACL file path is invalid. This setup is very likely to lead to "
                 "configuration errors and security holes, please define either an ACL file or "
                 "declare users directly in your redis.conf, but not both.");
        return -1;
    }
    char why[4096];
    if (load_file(st, NULL, why, sizeof why)) {
        snprintf(err, errlen, "Aborting Redis startup because of ACL errors: %s", why);
        return -1;
    }
    return 0;
}

/* Write every user to the ACL file through a temporary file renamed over
 * it. 0 or -1 (errno). */
static int save_file(struct store *st)
{
    struct text t = {0};
    for (int i = 0; i < st->acl->nusers; i++) {
        describe_user(&t, st->acl->users[i]);
        text_cstr(&t, "\n");
    }
    char tmp[sizeof st->cfg.aclfile + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d-%lld", st->cfg.aclfile, (int)getpid(),
             (long long)rs_mono_us());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = fd < 0 ? -1 : 0;
    for (size_t off = 0; rc == 0 && off < t.len;) {
        ssize_t w = write(fd, t.p + off, t.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = -1;
        else
            off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(tmp, st->cfg.aclfile) != 0)
        rc = -1;
    if (rc != 0 && fd >= 0)
        unlink(tmp);
    rs_free(t.p);
    return rc;
}

/* ------------------------------------------------------------------------
 * The ACL command
 * ------------------------------------------------------------------------ */

/* ACL SETUSER username [rule ...] */
void cmd_acl_setuser(struct cmd_ctx *c)
{
    struct rs_str name = c->argv[2];
    if (has_space(name.p, name.len)) {
        reply_err(c, RS_ERR_ACL_USERNAME);
    } else {
        char err[2048];
        struct acl_user *u = user_find(c->st->acl, name.p, name.len);
        int rc, at;
        const char *msg =
            set_user(c->st, c, u, name, c->argv + 3, c->argc - 3, err, sizeof err, &rc, &at);
        if (msg)
            reply_errf(c, "%s", msg);
        else
            resp_add_ok(c->out);
    }
    /* Passwords are not shown to monitors, as Redis redacts them. */
    for (int j = 2; j < c->argc; j++)
        monitor_redact(c, j);
}

/* ACL DELUSER username [username ...] */
void cmd_acl_deluser(struct cmd_ctx *c)
{
    for (int j = 2; j < c->argc; j++) {
        if (rs_str_eq(c->argv[j], RS_STR("default"))) {
            reply_err(c, RS_ERR_ACL_DEL_DEFAULT);
            return;
        }
    }
    long long deleted = 0;
    for (int j = 2; j < c->argc; j++) {
        bool found;
        int at = user_place(c->st->acl, c->argv[j].p, c->argv[j].len, &found);
        if (found) {
            user_delete(c, at);
            deleted++;
        }
    }
    resp_add_int(c->out, deleted);
}

static void reply_sel(struct cmd_ctx *c, const struct sel *s)
{
    struct text t = {0};
    resp_add_bulk_cstr(c->out, "commands");
    describe_commands(&t, s);
    resp_add_bulk(c->out, t.p, t.len);
    t.len = 0;
    resp_add_bulk_cstr(c->out, "keys");
    if (s->flags & SEL_ALLKEYS) {
        text_cstr(&t, "~*");
    } else {
        for (int i = 0; i < s->nkeys; i++) {
            if (i)
                text_cstr(&t, " ");
            describe_key(&t, s->keys[i]);
        }
    }
    resp_add_bulk(c->out, t.len ? t.p : "", t.len);
    t.len = 0;
    resp_add_bulk_cstr(c->out, "channels");
    if (s->flags & SEL_ALLCHANNELS) {
        text_cstr(&t, "&*");
    } else {
        for (int i = 0; i < s->nchans; i++) {
            text_cstr(&t, i ? " &" : "&");
            text_add(&t, s->chans[i]->p, s->chans[i]->len);
        }
    }
    resp_add_bulk(c->out, t.len ? t.p : "", t.len);
    rs_free(t.p);
}

/* ACL GETUSER username */
void cmd_acl_getuser(struct cmd_ctx *c)
{
    const struct acl_user *u = user_find(c->st->acl, c->argv[2].p, c->argv[2].len);
    if (u == NULL) {
        resp_add_null(c->out);
        return;
    }
    resp_add_map_len(c->out, 6);
    resp_add_bulk_cstr(c->out, "flags");
    long long nflags = 0;
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++)
        nflags += (u->flags & user_flags[i].flag) != 0;
    resp_add_set_len(c->out, nflags);
    for (size_t i = 0; i < sizeof user_flags / sizeof user_flags[0]; i++)
        if (u->flags & user_flags[i].flag)
            resp_add_bulk_cstr(c->out, user_flags[i].name);
    resp_add_bulk_cstr(c->out, "passwords");
    resp_add_array_len(c->out, u->npw);
    for (int i = 0; i < u->npw; i++)
        resp_add_bulk(c->out, u->pw[i], 64);
    reply_sel(c, &u->sels[0]);
    resp_add_bulk_cstr(c->out, "selectors");
    resp_add_array_len(c->out, u->nsels - 1);
    for (int i = 1; i < u->nsels; i++) {
        resp_add_map_len(c->out, 3);
        reply_sel(c, &u->sels[i]);
    }
}

char *acl_user_line(const struct store *st, int i)
{
    const struct acl *a = st->acl;
    if (i >= a->nusers)
        return NULL;
    struct text t = {0};
    describe_user(&t, a->users[i]);
    return t.p;
}

/* ACL LIST, ACL USERS */
static void list_users(struct cmd_ctx *c, bool names)
{
    struct acl *a = c->st->acl;
    resp_add_array_len(c->out, a->nusers);
    struct text t = {0};
    for (int i = 0; i < a->nusers; i++) {
        if (names) {
            resp_add_bulk(c->out, a->users[i]->name, a->users[i]->namelen);
            continue;
        }
        t.len = 0;
        describe_user(&t, a->users[i]);
        resp_add_bulk(c->out, t.p, t.len);
    }
    rs_free(t.p);
}

void cmd_acl_list(struct cmd_ctx *c)
{
    list_users(c, false);
}

void cmd_acl_users(struct cmd_ctx *c)
{
    list_users(c, true);
}

/* ACL WHOAMI */
void cmd_acl_whoami(struct cmd_ctx *c)
{
    resp_add_bulk_cstr(c->out, acl_user_name(c->s));
}

static bool has_aclfile_or_reply(struct cmd_ctx *c)
{
    if (c->st->cfg.aclfile[0])
        return true;
    reply_err(c, RS_ERR_ACL_NO_FILE);
    return false;
}

/* ACL LOAD */
void cmd_acl_load(struct cmd_ctx *c)
{
    if (!has_aclfile_or_reply(c))
        return;
    char err[8192];
    if (load_file(c->st, c, err, sizeof err))
        reply_errf(c, "ERR %s", err);
    else
        resp_add_ok(c->out);
}

/* ACL SAVE */
void cmd_acl_save(struct cmd_ctx *c)
{
    if (!has_aclfile_or_reply(c))
        return;
    if (save_file(c->st) != 0) {
        store_log(c->st, RS_LOG_WARNING, "Saving the ACL file %s: %s", c->st->cfg.aclfile,
                  strerror(errno));
        reply_err(c, RS_ERR_ACL_SAVE);
        return;
    }
    resp_add_ok(c->out);
}

/* ACL CAT [category] */
void cmd_acl_cat(struct cmd_ctx *c)
{
    const char *const *names;
    int ncat = cmd_acl_categories(&names);
    if (c->argc == 2) {
        resp_add_array_len(c->out, ncat);
        for (int i = 0; i < ncat; i++)
            resp_add_bulk_cstr(c->out, names[i]);
        return;
    }
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    int cat = -1;
    for (int i = 0; i < ncat && cat < 0; i++)
        if (eqi(c->argv[2].p, c->argv[2].len, names[i]))
            cat = i;
    if (cat < 0) {
        reply_errf(c, rs_err_text[RS_ERR_ACL_CATEGORY], cstr_len(c->argv[2], 128), c->argv[2].p);
        return;
    }
    struct resp_deferred len = resp_add_deferred(c->out);
    long long n = 0;
    for (int id = 0; id < cmd_table_size(); id++) {
        if (!(c->st->acl->cats[id] & (1u << cat)))
            continue;
        char name[96];
        cmd_print_name(cmd_at(id)->fullname, name, sizeof name);
        resp_add_bulk_cstr(c->out, name);
        n++;
    }
    resp_set_deferred(c->out, len, RESP_AGG_ARRAY, n);
}

/* Hex digits of random bytes from the system's source (the store's
 * generator if it cannot be read). */
static void random_hex(struct store *st, char *out, size_t n)
{
    unsigned char bytes[GENPASS_MAX_BITS / 8];
    size_t need = (n + 1) / 2;
    int fd = open("/dev/urandom", O_RDONLY);
    bool ok = fd >= 0 && read(fd, bytes, need) == (ssize_t)need;
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; !ok && i < need; i++)
        bytes[i] = (unsigned char)rng_next(&st->rng);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = hex[(bytes[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
}

/* ACL GENPASS [bits] */
void cmd_acl_genpass(struct cmd_ctx *c)
{
    long long bits = 256;
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->argc == 3 && !arg_ll(c, c->argv[2], &bits))
        return;
    if (bits <= 0 || bits > GENPASS_MAX_BITS) {
        reply_err(c, RS_ERR_ACL_GENPASS);
        return;
    }
    char pass[GENPASS_MAX_BITS / 4];
    size_t chars = (size_t)(bits + 3) / 4;
    random_hex(c->st, pass, chars);
    resp_add_bulk(c->out, pass, chars);
}

/* ACL LOG [count | RESET] */
void cmd_acl_log(struct cmd_ctx *c)
{
    struct acl *a = c->st->acl;
    long long count = 10;
    if (c->argc > 3) {
        reply_subcmd_syntax(c);
        return;
    }
    if (c->argc == 3) {
        if (rs_str_eqi(c->argv[2], "reset")) {
            log_reset(a);
            resp_add_ok(c->out);
            return;
        }
        if (!arg_ll(c, c->argv[2], &count))
            return;
        if (count < 0)
            count = 0;
    }
    if (count > a->nlog)
        count = a->nlog;
    resp_add_array_len(c->out, count);
    static const char *const reasons[] = {"", "command", "key", "auth", "channel"};
    static const char *const ctxs[] = {"toplevel", "multi", "lua"};
    struct log_entry *e = a->log;
    for (long long i = 0; i < count; i++, e = e->next) {
        resp_add_map_len(c->out, 10);
        resp_add_bulk_cstr(c->out, "count");
        resp_add_int(c->out, (long long)e->count);
        resp_add_bulk_cstr(c->out, "reason");
        resp_add_bulk_cstr(c->out, reasons[e->reason]);
        resp_add_bulk_cstr(c->out, "context");
        resp_add_bulk_cstr(c->out, ctxs[e->ctx]);
        resp_add_bulk_cstr(c->out, "object");
        resp_add_bulk(c->out, e->object, e->object_len);
        resp_add_bulk_cstr(c->out, "username");
        resp_add_bulk(c->out, e->username, e->username_len);
        resp_add_bulk_cstr(c->out, "age-seconds");
        resp_add_double(c->out, (double)(c->now - e->ctime) / 1000);
        resp_add_bulk_cstr(c->out, "client-info");
        resp_add_bulk(c->out, e->cinfo, e->cinfo_len);
        resp_add_bulk_cstr(c->out, "entry-id");
        resp_add_int(c->out, e->id);
        resp_add_bulk_cstr(c->out, "timestamp-created");
        resp_add_int(c->out, (long long)e->created);
        resp_add_bulk_cstr(c->out, "timestamp-last-updated");
        resp_add_int(c->out, (long long)e->ctime);
    }
}

/* ACL DRYRUN username command [arg ...] */
void cmd_acl_dryrun(struct cmd_ctx *c)
{
    struct acl_user *u = user_find(c->st->acl, c->argv[2].p, c->argv[2].len);
    if (u == NULL) {
        reply_errf(c, rs_err_text[RS_ERR_ACL_NO_USER], cstr_len(c->argv[2], 1024), c->argv[2].p);
        return;
    }
    const struct rs_str *argv = c->argv + 3;
    int argc = c->argc - 3;
    const struct cmd_def *d = cmd_lookup(c->st->lut, argv[0]);
    if (d && argc >= 2 && cmd_nsubs(d) > 0) {
        const struct cmd_def *sub = cmd_lookup_sub(d, argv[1]);
        d = sub ? sub : d->handler ? d : NULL;
    }
    if (d == NULL) {
        reply_errf(c, rs_err_text[RS_ERR_ACL_NO_CMD], cstr_len(argv[0], 1024), argv[0].p);
        return;
    }
    if ((d->arity > 0 && d->arity != argc) || argc < -d->arity) {
        char name[96];
        cmd_print_name(d->fullname, name, sizeof name);
        reply_errf(c, rs_err_text[RS_ERR_ARITY], name);
        return;
    }
    int pos = 0;
    int rc = user_check(c->st->acl, u, check_of(c->st->acl, d, argv, argc), &pos);
    if (rc == ACL_OK) {
        resp_add_ok(c->out);
        return;
    }
    char text[2048];
    error_text(u->name, d, argv[pos], rc, true, text, sizeof text);
    resp_add_bulk_cstr(c->out, text);
}

/* ACL HELP */
void cmd_acl_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        NULL,
    };
    reply_help(c, "ACL", lines);
}
