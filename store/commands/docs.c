/* SPDX-License-Identifier: BSD-3-Clause
 *
 * COMMAND and its subcommands: the command table (commands.def) and its
 * documentation (cmd_docs.def) in Redis 7's reply shapes.
 *
 * COMMAND INFO describes a command as Redis does, [name, arity, flags,
 * first, last, step, ACL categories, tips, key specs, subcommands]: flags
 * and categories in Redis's order (may_replicate and sentinel hidden, as
 * Redis hides them), key specs from cmd_docs.def or derived from
 * first/last/step. COMMAND DOCS turns each row's grammar into Redis's
 * argument maps, beside the command's history and doc flags. GETKEYS and
 * GETKEYSANDFLAGS find keys through the key specs, with the code the ACL
 * check (acl.c) and tracking use (cmd_key_plan, cmd_find_keys).
 *
 * Grammar (syntax in cmd_docs.def's header): parsed on demand into a small
 * tree of struct doc_arg held on the stack. The grammars are program data,
 * so one that does not parse is a bug, caught by an assertion.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/commands.h"
#include "ds/mem.h"
#include "resp_num.h"
#include "ds/util.h"

/* ------------------------------------------------------------------------
 * The documentation rows
 * ------------------------------------------------------------------------ */

struct cmd_doc {
    const char *name;       /* as users spell it: "set", "client|no-evict" */
    const char *complexity; /* or NULL */
    const char *grammar;
};

struct cmd_tips {
    const char *name;
    const char *tips; /* space separated */
};

struct cmd_docflags {
    const char *name;
    const char *flags;            /* space separated: deprecated, syscmd */
    const char *deprecated_since; /* or NULL */
    const char *replaced_by;      /* or NULL */
};

struct cmd_history {
    const char *name, *version, *text;
};

struct cmd_keyspec {
    const char *name;
    int index, lastkey, keystep;
    bool keynum;       /* find_keys by a count of keys: keynumidx, firstkey, keystep */
    int keynumidx, firstkey;
    const char *keyword; /* begin_search by keyword, from index (startfrom); else by index */
    int limit;           /* find_keys range's limit (keyword specs) */
    const char *flags;   /* space separated */
    const char *notes; /* or NULL */
    bool unknown;      /* begin_search and find_keys "unknown": the keys are
                        * found by the command's own getkeys (SORT's) */
};

/* Each table takes its own rows of cmd_docs.def, which defines the macros
 * a table leaves undefined as nothing and undefines them all at its end. */
static const struct cmd_doc docs[] = {
#define DOC(name, complexity, grammar) {name, complexity, grammar},
#include "commands/cmd_docs.def"
};

static const struct cmd_tips tips[] = {
#define TIPS(name, tips) {name, tips},
#include "commands/cmd_docs.def"
};

static const struct cmd_docflags docflags[] = {
#define DOCFLAGS(name, flags, deprecated_since, replaced_by) \
    {name, flags, deprecated_since, replaced_by},
#include "commands/cmd_docs.def"
};

static const struct cmd_history history[] = {
#define HISTORY(name, version, text) {name, version, text},
#include "commands/cmd_docs.def"
};

static const struct cmd_keyspec keyspecs[] = {
#define KEYSPEC(name, index, lastkey, keystep, flags, notes) \
    {name, index, lastkey, keystep, false, 0, 0, NULL, 0, flags, notes},
#define KEYSPEC_KEYNUM(name, index, keynumidx, firstkey, keystep, flags, notes) \
    {name, index, 0, keystep, true, keynumidx, firstkey, NULL, 0, flags, notes},
#define KEYSPEC_KEYWORD(name, keyword, startfrom, lastkey, keystep, limit, flags) \
    {name, startfrom, lastkey, keystep, false, 0, 0, keyword, limit, flags, NULL},
#define KEYSPEC_UNKNOWN(name, flags, notes) \
    {name, 0, 0, 0, false, 0, 0, NULL, 0, flags, notes, true},
#include "commands/cmd_docs.def"
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_doc *find_doc(const char *name)
{
    for (size_t i = 0; i < NELEM(docs); i++)
        if (strcmp(docs[i].name, name) == 0)
            return &docs[i];
    return NULL;
}

static const char *find_tips(const char *name)
{
    for (size_t i = 0; i < NELEM(tips); i++)
        if (strcmp(tips[i].name, name) == 0)
            return tips[i].tips;
    return NULL;
}

/* The one key spec of a keyed command without rows of its own, from its
 * first/last/step, named name. */
static void derive_keyspec(const struct cmd_def *d, const char *name, struct cmd_keyspec *ks)
{
    *ks = (struct cmd_keyspec){0};
    ks->name = name;
    ks->index = d->first;
    ks->lastkey = d->last < 0 ? d->last : d->last - d->first;
    ks->keystep = d->step;
    ks->flags = (d->flags & CMD_READONLY) ? "RO access" : "RW update";
}

/* The key specs of a command: its rows, or one derived from first/last/
 * step (returned in *derived, *n = 1), or none. */
static const struct cmd_keyspec *find_keyspecs(const struct cmd_def *d, const char *name, int *n,
                                               struct cmd_keyspec *derived)
{
    for (size_t i = 0; i < NELEM(keyspecs); i++) {
        if (strcmp(keyspecs[i].name, name) == 0) {
            size_t k = i;
            while (k < NELEM(keyspecs) && strcmp(keyspecs[k].name, name) == 0)
                k++;
            *n = (int)(k - i);
            return &keyspecs[i];
        }
    }
    if (d->first <= 0) {
        *n = 0;
        return NULL;
    }
    derive_keyspec(d, name, derived);
    *n = 1;
    return derived;
}

/* Number of space-separated words in s; writes each as a reply with fn. */
static long long words(const char *s, struct resp_out *o,
                       void (*fn)(struct resp_out *o, const char *p, size_t len))
{
    long long n = 0;
    while (s && *s) {
        while (*s == ' ')
            s++;
        const char *e = s;
        while (*e && *e != ' ')
            e++;
        if (e > s) {
            if (fn)
                fn(o, s, (size_t)(e - s));
            n++;
        }
        s = e;
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Looking commands up by name
 * ------------------------------------------------------------------------ */

/* "get" or "client|kill" (Redis lookupCommandBySds); NULL if unknown. */
static const struct cmd_def *lookup_fullname(const struct store *st, struct rs_str name)
{
    const char *bar = memchr(name.p, '|', name.len);
    if (bar == NULL)
        return cmd_lookup(st->lut, name);
    const struct cmd_def *d = cmd_lookup(st->lut, rs_str_from(name.p, (size_t)(bar - name.p)));
    if (d == NULL || cmd_nsubs(d) == 0)
        return NULL;
    struct rs_str sub = rs_str_from(bar + 1, name.len - (size_t)(bar - name.p) - 1);
    if (memchr(sub.p, '|', sub.len))
        return NULL;
    return cmd_lookup_sub(d, sub);
}

/* The parent of subcommand d. */
static const struct cmd_def *parent_of(const struct cmd_def *d)
{
    while (d->is_sub)
        d--;
    return d;
}

/* ------------------------------------------------------------------------
 * COMMAND INFO
 * ------------------------------------------------------------------------ */

static const struct {
    uint32_t flag;
    const char *name;
} flag_names[] = {
    {CMD_WRITE, "write"},         {CMD_READONLY, "readonly"},     {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},         {CMD_PUBSUB, "pubsub"},         {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},   {CMD_LOADING, "loading"},       {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"}, {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_FAST, "fast"},           {CMD_NO_AUTH, "no_auth"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"}, {CMD_NO_ASYNC_LOADING, "no_async_loading"},
    {CMD_NO_MULTI, "no_multi"},   {CMD_MOVABLE_KEYS, "movablekeys"}, {CMD_ALLOW_BUSY, "allow_busy"},
};

/* Redis's ACL categories, in the order COMMAND INFO lists them. */
static const char *const acl_order[] = {
    "keyspace", "read",   "write",   "set",      "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",  "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking", "dangerous", "connection", "transaction", "scripting",
};

static bool has_word(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return true;
    return false;
}

int cmd_acl_categories(const char *const **names)
{
    *names = acl_order;
    return (int)NELEM(acl_order);
}

uint32_t cmd_acl_mask(const struct cmd_def *d)
{
    uint32_t mask = 0;
    for (size_t i = 0; i < NELEM(acl_order); i++)
        if (has_word(d->acl, acl_order[i]))
            mask |= 1u << i;
    return mask;
}

static void add_status(struct resp_out *o, const char *p, size_t len)
{
    resp_add_simple(o, p, len);
}

static void add_bulk(struct resp_out *o, const char *p, size_t len)
{
    resp_add_bulk(o, p, len);
}

static void reply_keyspec(struct resp_out *o, const struct cmd_keyspec *ks)
{
    resp_add_map_len(o, ks->notes ? 4 : 3);
    if (ks->notes) {
        resp_add_bulk_cstr(o, "notes");
        resp_add_bulk_cstr(o, ks->notes);
    }
    resp_add_bulk_cstr(o, "flags");
    resp_add_set_len(o, words(ks->flags, NULL, NULL));
    words(ks->flags, o, add_status);
    if (ks->unknown) {
        static const char *const parts[] = {"begin_search", "find_keys"};
        for (int i = 0; i < 2; i++) {
            resp_add_bulk_cstr(o, parts[i]);
            resp_add_map_len(o, 2);
            resp_add_bulk_cstr(o, "type");
            resp_add_bulk_cstr(o, "unknown");
            resp_add_bulk_cstr(o, "spec");
            resp_add_map_len(o, 0);
        }
        return;
    }
    resp_add_bulk_cstr(o, "begin_search");
    resp_add_map_len(o, 2);
    resp_add_bulk_cstr(o, "type");
    if (ks->keyword) {
        resp_add_bulk_cstr(o, "keyword");
        resp_add_bulk_cstr(o, "spec");
        resp_add_map_len(o, 2);
        resp_add_bulk_cstr(o, "keyword");
        resp_add_bulk_cstr(o, ks->keyword);
        resp_add_bulk_cstr(o, "startfrom");
    } else {
        resp_add_bulk_cstr(o, "index");
        resp_add_bulk_cstr(o, "spec");
        resp_add_map_len(o, 1);
        resp_add_bulk_cstr(o, "index");
    }
    resp_add_int(o, ks->index);
    resp_add_bulk_cstr(o, "find_keys");
    resp_add_map_len(o, 2);
    resp_add_bulk_cstr(o, "type");
    if (ks->keynum) {
        resp_add_bulk_cstr(o, "keynum");
        resp_add_bulk_cstr(o, "spec");
        resp_add_map_len(o, 3);
        resp_add_bulk_cstr(o, "keynumidx");
        resp_add_int(o, ks->keynumidx);
        resp_add_bulk_cstr(o, "firstkey");
        resp_add_int(o, ks->firstkey);
        resp_add_bulk_cstr(o, "keystep");
        resp_add_int(o, ks->keystep);
        return;
    }
    resp_add_bulk_cstr(o, "range");
    resp_add_bulk_cstr(o, "spec");
    resp_add_map_len(o, 3);
    resp_add_bulk_cstr(o, "lastkey");
    resp_add_int(o, ks->lastkey);
    resp_add_bulk_cstr(o, "keystep");
    resp_add_int(o, ks->keystep);
    resp_add_bulk_cstr(o, "limit");
    resp_add_int(o, ks->limit);
}

/* One command's COMMAND INFO entry (Redis addReplyCommandInfo). */
static void reply_info(struct resp_out *o, const struct cmd_def *d)
{
    char name[96];
    cmd_print_name(d->fullname, name, sizeof name);
    resp_add_array_len(o, 10);
    resp_add_bulk_cstr(o, name);
    resp_add_int(o, d->arity);

    long long nflags = 0;
    for (size_t i = 0; i < NELEM(flag_names); i++)
        nflags += (d->flags & flag_names[i].flag) != 0;
    resp_add_set_len(o, nflags);
    for (size_t i = 0; i < NELEM(flag_names); i++)
        if (d->flags & flag_names[i].flag)
            resp_add_simple(o, flag_names[i].name, strlen(flag_names[i].name));

    resp_add_int(o, d->first);
    resp_add_int(o, d->last);
    resp_add_int(o, d->step);

    long long ncat = 0;
    for (size_t i = 0; i < NELEM(acl_order); i++)
        ncat += has_word(d->acl, acl_order[i]);
    resp_add_set_len(o, ncat);
    for (size_t i = 0; i < NELEM(acl_order); i++) {
        if (has_word(d->acl, acl_order[i])) {
            char cat[32];
            int n = snprintf(cat, sizeof cat, "@%s", acl_order[i]);
            resp_add_simple(o, cat, (size_t)n);
        }
    }

    /* Tips and key specs are sets in RESP3, and so is an empty list of
     * subcommands, but not a full one: Redis's shapes, to the byte. */
    const char *t = find_tips(name);
    resp_add_set_len(o, words(t, NULL, NULL));
    words(t, o, add_bulk);

    struct cmd_keyspec derived;
    int nspecs;
    const struct cmd_keyspec *ks = find_keyspecs(d, name, &nspecs, &derived);
    resp_add_set_len(o, nspecs);
    for (int i = 0; i < nspecs; i++)
        reply_keyspec(o, &ks[i]);

    int nsubs = d->is_sub ? 0 : cmd_nsubs(d);
    if (nsubs == 0)
        resp_add_set_len(o, 0);
    else
        resp_add_array_len(o, nsubs);
    for (int i = 1; i <= nsubs; i++)
        reply_info(o, d + i);
}

/* COMMAND -- every command's info. */
void cmd_command(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 0; i < cmd_table_size(); i++)
        n += !cmd_at(i)->is_sub;
    resp_add_array_len(c->out, n);
    for (int i = 0; i < cmd_table_size(); i++)
        if (!cmd_at(i)->is_sub)
            reply_info(c->out, cmd_at(i));
}

/* COMMAND INFO [name ...] -- a null for an unknown name; "a|b" names a
 * subcommand. No name: every command. */
void cmd_command_info(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        cmd_command(c);
        return;
    }
    resp_add_array_len(c->out, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        const struct cmd_def *d = lookup_fullname(c->st, c->argv[i]);
        if (d)
            reply_info(c->out, d);
        else
            resp_add_null(c->out);
    }
}

/* COMMAND COUNT -- the top-level commands. */
void cmd_command_count(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 0; i < cmd_table_size(); i++)
        n += !cmd_at(i)->is_sub;
    resp_add_int(c->out, n);
}

/* ------------------------------------------------------------------------
 * COMMAND DOCS: the argument grammar
 * ------------------------------------------------------------------------ */

enum arg_type {
    ARG_KEY,
    ARG_STRING,
    ARG_INTEGER,
    ARG_DOUBLE,
    ARG_PATTERN,
    ARG_UNIX_TIME,
    ARG_PURE_TOKEN,
    ARG_ONEOF,
    ARG_BLOCK,
};

static const char *const arg_type_names[] = {
    "key", "string", "integer", "double", "pattern", "unix-time", "pure-token", "oneof", "block",
};

enum { ARGF_OPTIONAL = 1, ARGF_MULTIPLE = 2, ARGF_MULTIPLE_TOKEN = 4 };

/* How an argument's name is spelled. */
enum name_kind {
    NAME_AS_IS,  /* name */
    NAME_LOWER,  /* name in lower case (a pure token's default) */
    NAME_JOIN,   /* the children's names joined with '_' (a group's default) */
};

struct doc_arg {
    struct rs_str name, token; /* token.p NULL when none */
    struct rs_str display, since, deprecated; /* .p NULL when not given */
    enum name_kind name_kind;
    enum arg_type type;
    int flags;
    int spec;        /* key_spec_index given as name@type#N, else -1 */
    int child, next; /* first child, next sibling: indexes, -1 for none */
};

#define DOC_MAX_ARGS 128
#define DOC_MAX_SEQ 32

struct doc_tree {
    struct doc_arg a[DOC_MAX_ARGS];
    int n;
    bool bad;
    const char *p, *end; /* parse position */
};

static int new_arg(struct doc_tree *t)
{
    if (t->n == DOC_MAX_ARGS) {
        t->bad = true;
        return -1;
    }
    struct doc_arg *a = &t->a[t->n];
    memset(a, 0, sizeof *a);
    a->child = a->next = a->spec = -1;
    return t->n++;
}

static void skip_spaces(struct doc_tree *t)
{
    while (t->p < t->end && *t->p == ' ')
        t->p++;
}

static bool at(const struct doc_tree *t, char ch)
{
    return t->p < t->end && *t->p == ch;
}

/* A word runs to a space, a bracket, '|', '=', '{' or "..."; a quoted
 * one ('=') to its closing quote. */
static struct rs_str word(struct doc_tree *t)
{
    const char *s = t->p;
    if (at(t, '\'')) {
        const char *q = memchr(t->p + 1, '\'', (size_t)(t->end - t->p - 1));
        t->p = q ? q + 1 : t->end;
        return rs_str_from(s, (size_t)(t->p - s));
    }
    while (t->p < t->end && !strchr(" []()|={", *t->p) &&
           !(t->end - t->p >= 3 && memcmp(t->p, "...", 3) == 0))
        t->p++;
    return rs_str_from(s, (size_t)(t->p - s));
}

static bool is_token(struct rs_str w)
{
    bool upper = false;
    for (size_t i = 0; i < w.len; i++) {
        if (islower((unsigned char)w.p[i]))
            return false;
        upper |= isupper((unsigned char)w.p[i]) != 0;
    }
    return upper;
}

static enum arg_type infer_type(struct rs_str name)
{
    if (rs_str_eq(name, RS_STR("key")))
        return ARG_KEY;
    if (rs_str_eq(name, RS_STR("pattern")))
        return ARG_PATTERN;
    if (name.len >= 9 && memcmp(name.p, "unix-time", 9) == 0)
        return ARG_UNIX_TIME;
    if (rs_str_eq(name, RS_STR("seconds")) || rs_str_eq(name, RS_STR("milliseconds")) ||
        rs_str_eq(name, RS_STR("count")))
        return ARG_INTEGER;
    return ARG_STRING;
}

static int parse_body(struct doc_tree *t, char close, bool named);

/* A leaf: TOKEN, or name[@type][#spec]. */
static int parse_leaf(struct doc_tree *t, struct rs_str w, bool named)
{
    int i = new_arg(t);
    if (i < 0)
        return -1;
    struct doc_arg *a = &t->a[i];
    bool quoted = w.len >= 2 && w.p[0] == '\'' && w.p[w.len - 1] == '\'';
    if (quoted || is_token(w)) {
        a->type = ARG_PURE_TOKEN;
        a->token = quoted ? rs_str_from(w.p + 1, w.len - 2) : w;
        a->name = w;
        a->name_kind = named ? NAME_AS_IS : NAME_LOWER;
        return i;
    }
    const char *hash = memchr(w.p, '#', w.len);
    if (hash) {
        a->spec = atoi(hash + 1);
        w.len = (size_t)(hash - w.p);
    }
    const char *atsign = memchr(w.p, '@', w.len);
    a->name = rs_str_from(w.p, atsign ? (size_t)(atsign - w.p) : w.len);
    a->type = infer_type(a->name);
    if (atsign) {
        struct rs_str ty = rs_str_from(atsign + 1, w.len - a->name.len - 1);
        a->type = ARG_ONEOF; /* no leaf has it: marks an unknown type */
        for (int k = ARG_KEY; k <= ARG_UNIX_TIME; k++)
            if (rs_str_eq(ty, rs_str_from(arg_type_names[k], strlen(arg_type_names[k]))))
                a->type = (enum arg_type)k;
        if (a->type == ARG_ONEOF)
            t->bad = true;
    }
    return i;
}

/* Annotations "{k=v ...}" of argument i, if the grammar has them here. */
static void parse_annotations(struct doc_tree *t, int i)
{
    if (!at(t, '{'))
        return;
    t->p++;
    static const char *const keys[] = {"display", "since", "deprecated"};
    struct doc_arg *a = &t->a[i];
    struct rs_str *fields[] = {&a->display, &a->since, &a->deprecated};
    for (skip_spaces(t); t->p < t->end && !at(t, '}'); skip_spaces(t)) {
        const char *eq = t->p;
        while (eq < t->end && *eq != '=' && *eq != '}')
            eq++;
        const char *v = eq + 1, *e = v;
        while (e < t->end && *e != ' ' && *e != '}')
            e++;
        size_t k = 0;
        while (k < NELEM(keys) && !(strlen(keys[k]) == (size_t)(eq - t->p) &&
                                    memcmp(keys[k], t->p, (size_t)(eq - t->p)) == 0))
            k++;
        if (eq == t->end || *eq != '=' || k == NELEM(keys)) {
            t->bad = true;
            return;
        }
        *fields[k] = rs_str_from(v, (size_t)(e - v));
        t->p = e;
    }
    if (!at(t, '}'))
        t->bad = true;
    else
        t->p++;
}

/* item := [name '='] ( '[' body ']' | '(' body ')' | leaf ) [annotations] ['...'] */
static int parse_item(struct doc_tree *t)
{
    skip_spaces(t);
    const char *start = t->p;
    struct rs_str name = word(t);
    bool named = name.len > 0 && at(t, '=');
    if (named)
        t->p++;
    else
        t->p = start;
    int i;
    if (at(t, '[') || at(t, '(')) {
        bool optional = *t->p == '[';
        t->p++;
        i = parse_body(t, optional ? ']' : ')', named);
        if (i >= 0 && optional)
            t->a[i].flags |= ARGF_OPTIONAL;
    } else {
        struct rs_str w = word(t);
        if (w.len == 0) {
            t->bad = true;
            return -1;
        }
        i = parse_leaf(t, w, named);
    }
    if (i < 0)
        return -1;
    parse_annotations(t, i);
    if (t->end - t->p >= 3 && memcmp(t->p, "...", 3) == 0) {
        t->p += 3;
        t->a[i].flags |= ARGF_MULTIPLE;
        if (t->a[i].token.p && t->a[i].type != ARG_PURE_TOKEN)
            t->a[i].flags |= ARGF_MULTIPLE_TOKEN;
    }
    if (named) {
        t->a[i].name = name;
        t->a[i].name_kind = NAME_AS_IS;
    }
    return i;
}

/* Link items[0..n) as the children of parent. */
static void adopt(struct doc_tree *t, int parent, const int *items, int n)
{
    t->a[parent].child = n ? items[0] : -1;
    for (int k = 0; k < n; k++)
        t->a[items[k]].next = k + 1 < n ? items[k + 1] : -1;
}

/* One alternative of a group: a single argument, or a token and what it
 * introduces, or a block. A named group of a token and one argument is a
 * block of one (Redis's "id" block of CLIENT LIST), not that argument; a
 * named token (full=FULL) introduces nothing. */
static int seq_to_arg(struct doc_tree *t, const int *seq, int n, bool named)
{
    if (n == 1)
        return seq[0];
    const struct doc_arg *first = &t->a[seq[0]];
    bool token_first =
        first->type == ARG_PURE_TOKEN && first->flags == 0 && first->name_kind == NAME_LOWER;
    if (token_first && n == 2 && !named) {
        t->a[seq[1]].token = first->token;
        return seq[1];
    }
    int b = new_arg(t);
    if (b < 0)
        return -1;
    t->a[b].type = ARG_BLOCK;
    t->a[b].name_kind = NAME_JOIN;
    if (token_first) {
        t->a[b].token = first->token;
        adopt(t, b, seq + 1, n - 1);
    } else {
        adopt(t, b, seq, n);
    }
    return b;
}

static int parse_body(struct doc_tree *t, char close, bool named)
{
    int alts[DOC_MAX_SEQ], nalts = 0;
    for (;;) {
        int seq[DOC_MAX_SEQ], n = 0;
        for (skip_spaces(t); t->p < t->end && !at(t, '|') && !at(t, close); skip_spaces(t)) {
            if (n == DOC_MAX_SEQ || (seq[n] = parse_item(t)) < 0) {
                t->bad = true;
                return -1;
            }
            n++;
        }
        /* The name of the group applies to this sequence only when it is
         * the group's only alternative. */
        bool only = nalts == 0 && !at(t, '|');
        if (n == 0 || nalts == DOC_MAX_SEQ ||
            (alts[nalts] = seq_to_arg(t, seq, n, named && only)) < 0) {
            t->bad = true;
            return -1;
        }
        nalts++;
        if (!at(t, '|'))
            break;
        t->p++;
    }
    if (!at(t, close)) {
        t->bad = true;
        return -1;
    }
    t->p++;
    if (nalts == 1)
        return alts[0];
    int o = new_arg(t);
    if (o < 0)
        return -1;
    t->a[o].type = ARG_ONEOF;
    t->a[o].name_kind = NAME_JOIN;
    adopt(t, o, alts, nalts);
    return o;
}

/* The top-level arguments of grammar into t; returns how many, the first
 * being t->a[*first] and the rest linked by next. */
static int parse_grammar(struct doc_tree *t, const char *grammar, int *first)
{
    t->n = 0;
    t->bad = false;
    t->p = grammar;
    t->end = grammar + strlen(grammar);
    int items[DOC_MAX_SEQ], n = 0;
    for (skip_spaces(t); t->p < t->end && !t->bad; skip_spaces(t)) {
        if (n == DOC_MAX_SEQ || (items[n] = parse_item(t)) < 0)
            t->bad = true;
        else
            n++;
    }
    assert(!t->bad && "cmd_docs.def: a grammar does not parse");
    if (t->bad)
        return 0;
    for (int k = 0; k < n; k++)
        t->a[items[k]].next = k + 1 < n ? items[k + 1] : -1;
    *first = n ? items[0] : -1;
    return n;
}

/* The name of argument i, written into buf (NUL-terminated). */
static size_t arg_name(const struct doc_tree *t, int i, char *buf, size_t size)
{
    const struct doc_arg *a = &t->a[i];
    size_t len = 0;
    if (a->name_kind == NAME_JOIN) {
        for (int k = a->child; k >= 0 && len + 1 < size; k = t->a[k].next) {
            if (k != a->child)
                buf[len++] = '_';
            len += arg_name(t, k, buf + len, size - len);
        }
    } else {
        for (; len < a->name.len && len + 1 < size; len++)
            buf[len] = a->name_kind == NAME_LOWER ? (char)tolower((unsigned char)a->name.p[len])
                                                  : a->name.p[len];
    }
    buf[len] = '\0';
    return len;
}

/* Redis addReplyCommandArgList for the siblings starting at i. key args
 * take the key spec indexes in order (the last one repeats), as Redis's
 * documentation numbers them. */
static void reply_args(struct resp_out *o, const struct doc_tree *t, int i, int nspecs,
                       int *nkeys)
{
    long long n = 0;
    for (int k = i; k >= 0; k = t->a[k].next)
        n++;
    resp_add_array_len(o, n);
    for (; i >= 0; i = t->a[i].next) {
        const struct doc_arg *a = &t->a[i];
        bool group = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
        bool has_spec = a->type == ARG_KEY || a->spec >= 0;
        resp_add_map_len(o, 2 + !group + has_spec + (a->token.p != NULL) + (a->since.p != NULL) +
                                (a->deprecated.p != NULL) + (a->flags != 0) + group);
        char name[256];
        size_t len = arg_name(t, i, name, sizeof name);
        resp_add_bulk_cstr(o, "name");
        resp_add_bulk(o, name, len);
        resp_add_bulk_cstr(o, "type");
        resp_add_bulk_cstr(o, arg_type_names[a->type]);
        if (!group) { /* Redis's display_text: the given text, else the name */
            resp_add_bulk_cstr(o, "display_text");
            if (a->display.p)
                resp_add_bulk(o, a->display.p, a->display.len);
            else
                resp_add_bulk(o, name, len);
        }
        if (has_spec) {
            int spec = a->spec >= 0     ? a->spec
                       : *nkeys < nspecs ? *nkeys
                       : nspecs > 0      ? nspecs - 1
                                         : 0;
            (*nkeys)++;
            resp_add_bulk_cstr(o, "key_spec_index");
            resp_add_int(o, spec);
        }
        if (a->token.p) {
            resp_add_bulk_cstr(o, "token");
            resp_add_bulk(o, a->token.p, a->token.len);
        }
        if (a->since.p) {
            resp_add_bulk_cstr(o, "since");
            resp_add_bulk(o, a->since.p, a->since.len);
        }
        if (a->deprecated.p) {
            resp_add_bulk_cstr(o, "deprecated_since");
            resp_add_bulk(o, a->deprecated.p, a->deprecated.len);
        }
        if (a->flags) {
            resp_add_bulk_cstr(o, "flags");
            resp_add_set_len(o, !!(a->flags & ARGF_OPTIONAL) + !!(a->flags & ARGF_MULTIPLE) +
                                    !!(a->flags & ARGF_MULTIPLE_TOKEN));
            if (a->flags & ARGF_OPTIONAL)
                resp_add_simple(o, "optional", 8);
            if (a->flags & ARGF_MULTIPLE)
                resp_add_simple(o, "multiple", 8);
            if (a->flags & ARGF_MULTIPLE_TOKEN)
                resp_add_simple(o, "multiple_token", 14);
        }
        if (group) {
            resp_add_bulk_cstr(o, "arguments");
            reply_args(o, t, a->child, nspecs, nkeys);
        }
    }
}

static const struct cmd_docflags *find_docflags(const char *name)
{
    for (size_t i = 0; i < NELEM(docflags); i++)
        if (strcmp(docflags[i].name, name) == 0)
            return &docflags[i];
    return NULL;
}

/* The history rows of name: the first, and their number in *n. */
static const struct cmd_history *find_history(const char *name, int *n)
{
    *n = 0;
    for (size_t i = 0; i < NELEM(history); i++) {
        if (strcmp(history[i].name, name) == 0) {
            while (i + (size_t)*n < NELEM(history) && strcmp(history[i + *n].name, name) == 0)
                (*n)++;
            return &history[i];
        }
    }
    return NULL;
}

/* One command's COMMAND DOCS map (Redis addReplyCommandDocs): summary,
 * since, group, complexity, doc_flags, deprecated_since, replaced_by,
 * history, arguments, subcommands. */
static void reply_docs(struct resp_out *o, const struct cmd_def *d)
{
    char name[96];
    cmd_print_name(d->fullname, name, sizeof name);
    const struct cmd_doc *doc = find_doc(name);
    struct doc_tree tree;
    int first = -1, nargs = 0;
    if (doc && doc->grammar[0])
        nargs = parse_grammar(&tree, doc->grammar, &first);
    int nsubs = d->is_sub ? 0 : cmd_nsubs(d);
    const struct cmd_docflags *df = find_docflags(name);
    int nhist;
    const struct cmd_history *h = find_history(name, &nhist);
    bool has_cx = doc && doc->complexity;
    resp_add_map_len(o, 3 + has_cx + (df != NULL) + (df && df->deprecated_since) +
                            (df && df->replaced_by) + (nhist > 0) + (nargs > 0) + (nsubs > 0));
    resp_add_bulk_cstr(o, "summary");
    resp_add_bulk_cstr(o, d->summary);
    resp_add_bulk_cstr(o, "since");
    resp_add_bulk_cstr(o, d->since);
    resp_add_bulk_cstr(o, "group");
    resp_add_bulk_cstr(o, parent_of(d)->group);
    if (has_cx) {
        resp_add_bulk_cstr(o, "complexity");
        resp_add_bulk_cstr(o, doc->complexity);
    }
    if (df) {
        resp_add_bulk_cstr(o, "doc_flags");
        resp_add_set_len(o, words(df->flags, NULL, NULL));
        words(df->flags, o, add_status);
        if (df->deprecated_since) {
            resp_add_bulk_cstr(o, "deprecated_since");
            resp_add_bulk_cstr(o, df->deprecated_since);
        }
        if (df->replaced_by) {
            resp_add_bulk_cstr(o, "replaced_by");
            resp_add_bulk_cstr(o, df->replaced_by);
        }
    }
    if (nhist > 0) {
        resp_add_bulk_cstr(o, "history");
        resp_add_set_len(o, nhist);
        for (int i = 0; i < nhist; i++) {
            resp_add_array_len(o, 2);
            resp_add_bulk_cstr(o, h[i].version);
            resp_add_bulk_cstr(o, h[i].text);
        }
    }
    if (nargs > 0) {
        struct cmd_keyspec derived;
        int nspecs, nkeys = 0;
        find_keyspecs(d, name, &nspecs, &derived);
        resp_add_bulk_cstr(o, "arguments");
        reply_args(o, &tree, first, nspecs, &nkeys);
    }
    if (nsubs > 0) {
        resp_add_bulk_cstr(o, "subcommands");
        resp_add_map_len(o, nsubs);
        for (int i = 1; i <= nsubs; i++) {
            char sub[96];
            cmd_print_name(d[i].fullname, sub, sizeof sub);
            resp_add_bulk_cstr(o, sub);
            reply_docs(o, d + i);
        }
    }
}

/* COMMAND DOCS [name ...] -- a map of name to docs; unknown names are left
 * out. No name: every command. */
void cmd_command_docs(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        long long n = 0;
        for (int i = 0; i < cmd_table_size(); i++)
            n += !cmd_at(i)->is_sub;
        resp_add_map_len(c->out, n);
        for (int i = 0; i < cmd_table_size(); i++) {
            const struct cmd_def *d = cmd_at(i);
            if (d->is_sub)
                continue;
            char name[96];
            cmd_print_name(d->fullname, name, sizeof name);
            resp_add_bulk_cstr(c->out, name);
            reply_docs(c->out, d);
        }
        return;
    }
    long long n = 0;
    for (int i = 2; i < c->argc; i++)
        n += lookup_fullname(c->st, c->argv[i]) != NULL;
    resp_add_map_len(c->out, n);
    for (int i = 2; i < c->argc; i++) {
        const struct cmd_def *d = lookup_fullname(c->st, c->argv[i]);
        if (d == NULL)
            continue;
        char name[96];
        cmd_print_name(d->fullname, name, sizeof name);
        resp_add_bulk_cstr(c->out, name);
        reply_docs(c->out, d);
    }
}

/* ------------------------------------------------------------------------
 * COMMAND LIST GETKEYS HELP
 * ------------------------------------------------------------------------ */

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
 * -- every command and subcommand by full name. No module is loaded, so
 * MODULE matches nothing; PATTERN is case-insensitive. */
void cmd_command_list(struct cmd_ctx *c)
{
    enum { NONE, MODULE, ACLCAT, PATTERN } filter = NONE;
    struct rs_str arg = {0};
    for (int i = 2; i < c->argc; i += 3) {
        /* FILTERBY must be followed by exactly a kind and its argument. */
        struct rs_str kind = i + 1 < c->argc ? c->argv[i + 1] : RS_STR("");
        if (!rs_str_eqi(c->argv[i], "filterby") || c->argc - 1 - i != 2) {
            filter = NONE;
        } else if (rs_str_eqi(kind, "module")) {
            filter = MODULE;
        } else if (rs_str_eqi(kind, "aclcat")) {
            filter = ACLCAT;
        } else if (rs_str_eqi(kind, "pattern")) {
            filter = PATTERN;
        } else {
            filter = NONE;
        }
        if (filter == NONE) {
            reply_err(c, RS_ERR_SYNTAX);
            return;
        }
        arg = c->argv[i + 2];
    }
    /* Category names are case-insensitive, as ACL's. */
    char cat[32] = "";
    if (filter == ACLCAT && arg.len < sizeof cat) {
        for (size_t i = 0; i < arg.len; i++)
            cat[i] = (char)tolower((unsigned char)arg.p[i]);
        cat[arg.len] = '\0';
    }
    struct resp_deferred len = resp_add_deferred(c->out);
    long long n = 0;
    for (int i = 0; i < cmd_table_size(); i++) {
        const struct cmd_def *d = cmd_at(i);
        char name[96];
        cmd_print_name(d->fullname, name, sizeof name);
        bool match = filter == NONE || (filter == ACLCAT && cat[0] && has_word(d->acl, cat)) ||
                     (filter == PATTERN && glob_match(arg.p, arg.len, name, strlen(name), true));
        if (match) {
            resp_add_bulk_cstr(c->out, name);
            n++;
        }
    }
    resp_set_deferred(c->out, len, RESP_AGG_ARRAY, n);
}

/* Where the keys of spec ks start in args[0..n) (Redis's begin_search), or
 * -1 when its keyword is not there. */
static int spec_begin(const struct cmd_keyspec *ks, const struct rs_str *args, int n)
{
    if (!ks->keyword)
        return ks->index;
    int from = ks->index >= 0 ? ks->index : n + ks->index;
    int step = ks->index >= 0 ? 1 : -1;
    for (int i = from; i > 0 && i < n; i += step)
        if (rs_str_eqi(args[i], ks->keyword))
            return i + 1;
    return -1;
}

static void add_key(struct cmd_key **keys, int *nkeys, int *cap, int pos, const char *flags,
                    uint8_t perm)
{
    if (*nkeys == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *keys = rs_realloc(*keys, (size_t)*cap * sizeof **keys);
    }
    (*keys)[(*nkeys)++] = (struct cmd_key){pos, perm, flags};
}

/* The keys of spec ks in args[0..n) into keys (growing *nkeys, capacity
 * cap), each with ks's flags and perm; false if the arguments cannot hold
 * them (Redis getKeysUsingKeySpecs), or if a numkeys is 0: Redis then finds
 * the keys with the command's getkeys, which finds none at all (not even
 * ZINTERSTORE's destination; EVAL's 0 keys are an empty array). */
static bool spec_keys(const struct cmd_keyspec *ks, uint8_t perm, const struct rs_str *args, int n,
                      struct cmd_key **keys, int *nkeys, int *cap)
{
    int first = spec_begin(ks, args, n), last;
    if (first < 0)
        return true;
    int step = ks->keystep;
    if (ks->keynum) {
        long long numkeys;
        int at = first + ks->keynumidx;
        if (at >= n || !resp_str2ll(args[at].p, args[at].len, &numkeys) || numkeys <= 0 ||
            numkeys > n)
            return false;
        first += ks->firstkey;
        last = first + ((int)numkeys - 1) * step;
    } else {
        last = ks->lastkey >= 0 ? first + ks->lastkey : n + ks->lastkey;
        if (ks->lastkey < 0 && ks->limit > 1) /* the first 1/limit of what follows */
            last = first + (last - first + 1) / ks->limit - 1;
    }
    for (int i = first; i <= last; i += step) {
        if (i >= n)
            return false;
        add_key(keys, nkeys, cap, i, ks->flags, perm);
    }
    return true;
}

/* SORT's keys (Redis sortGetKeys): the key sorted, and the destination of
 * the last STORE, found by skipping the arguments of LIMIT, GET and BY;
 * SORT_RO's, the key sorted. The flags and permissions are those of the
 * first and the last spec (ks[0..nspecs), whose permissions are perm). */
static void sort_keys(const struct cmd_keyspec *ks, const uint8_t *perm, int nspecs,
                      const struct rs_str *args, int n, bool readonly, struct cmd_key **keys,
                      int *nkeys, int *cap)
{
    static const struct {
        const char *name;
        int skip;
    } skips[] = {{"limit", 2}, {"get", 1}, {"by", 1}};
    int store = -1;
    for (int i = 2; i < n && !readonly; i++) {
        bool skipped = false;
        for (size_t j = 0; j < NELEM(skips) && !skipped; j++) {
            if (rs_str_eqi(args[i], skips[j].name)) {
                i += skips[j].skip;
                skipped = true;
            }
        }
        if (!skipped && rs_str_eqi(args[i], "store") && i + 1 < n)
            store = i + 1;
    }
    add_key(keys, nkeys, cap, 1, ks[0].flags, perm[0]);
    if (store >= 0)
        add_key(keys, nkeys, cap, store, ks[nspecs - 1].flags, perm[nspecs - 1]);
}

/* The ACL permission a spec's flags ask of its keys (Redis
 * ACLSelectorCheckKey): reading for "access", writing for "insert",
 * "delete" or "update"; KEY_PERM_NOT_KEY for a spec of things that are not
 * keys (SPUBLISH's channel). */
static uint8_t spec_perm(const char *flags)
{
    uint8_t perm = 0;
    if (has_word(flags, "not_key"))
        return KEY_PERM_NOT_KEY;
    if (has_word(flags, "access"))
        perm |= KEY_PERM_READ;
    if (has_word(flags, "insert") || has_word(flags, "delete") || has_word(flags, "update"))
        perm |= KEY_PERM_WRITE;
    return perm;
}

/* The flags of a key spec that says variable_flags, with their permission
 * (spec_perm's of the flags, kept beside them for the ACL check). */
struct var_flags {
    const char *flags;
    uint8_t perm;
};

/* The flags of the one key of SET or BITFIELD (kind KEY_VAR_*), whose spec
 * says variable_flags (Redis setGetKeys, bitfieldGetKeys): SET with GET
 * reads the key, else overwrites it; BITFIELD with only whole GETs (and
 * OVERFLOWs) reads it. */
static const struct var_flags *variable_flags(int kind, const struct rs_str *args, int n)
{
    static const struct var_flags rw = {"RW access update", KEY_PERM_READ | KEY_PERM_WRITE},
                                  ow = {"OW update", KEY_PERM_WRITE},
                                  ro = {"RO access", KEY_PERM_READ};
    if (kind == KEY_VAR_SET) {
        for (int i = 3; i < n; i++)
            if (rs_str_eqi(args[i], "get"))
                return &rw;
        return &ow;
    }
    for (int i = 2; i < n; i++) {
        int rem = n - i - 1;
        if (rs_str_eqi(args[i], "get") && rem >= 2)
            i += 2;
        else if (rs_str_eqi(args[i], "overflow") && rem >= 1)
            i += 1;
        else /* SET, INCRBY, or a syntax error that may be one */
            return &rw;
    }
    return &ro;
}

void cmd_key_plan(const struct cmd_def *d, struct cmd_key_plan *p)
{
    char name[96];
    cmd_print_name(d->fullname, name, sizeof name);
    struct cmd_keyspec derived;
    int nspecs;
    const struct cmd_keyspec *ks = find_keyspecs(d, name, &nspecs, &derived);
    memset(p, 0, sizeof *p);
    p->nspecs = (int8_t)nspecs;
    p->sort = nspecs > 0 && ks[nspecs - 1].unknown;
    p->derived = ks == &derived;
    if (nspecs == 1 && has_word(ks[0].flags, "variable_flags"))
        p->varflags = strcmp(name, "set") == 0 ? KEY_VAR_SET : KEY_VAR_BITFIELD;
    p->spec = p->derived || nspecs == 0 ? -1 : (int16_t)(ks - keyspecs);
    assert(nspecs <= (int)sizeof p->perm);
    for (int i = 0; i < nspecs; i++) {
        p->perm[i] = spec_perm(ks[i].flags);
        p->nkeyspecs += p->perm[i] != KEY_PERM_NOT_KEY;
    }
    if (nspecs == 1 && !p->sort && !ks->keyword && !ks->keynum && p->perm[0] != KEY_PERM_NOT_KEY) {
        assert(ks->index > 0 && ks->index <= INT8_MAX && ks->lastkey >= INT8_MIN &&
               ks->lastkey <= INT8_MAX && ks->keystep > 0 && ks->keystep <= INT8_MAX);
        p->fixed = true;
        p->first = (int8_t)ks->index;
        /* the last key taken, as spec_keys's loop steps */
        int last = ks->lastkey >= 0 ? ks->lastkey / ks->keystep * ks->keystep : ks->lastkey;
        p->last = (int8_t)last;
        p->step = (int8_t)ks->keystep;
    }
}

uint8_t cmd_fixed_perm(const struct cmd_key_plan *p, const struct rs_str *args, int n)
{
    return p->varflags ? variable_flags(p->varflags, args, n)->perm : p->perm[0];
}

int cmd_find_keys(const struct cmd_def *d, const struct cmd_key_plan *p, const struct rs_str *args,
                  int n, struct cmd_key **keys, int *cap)
{
    int nkeys = 0;
    struct cmd_keyspec derived;
    const struct cmd_keyspec *ks = p->spec >= 0 ? &keyspecs[p->spec] : NULL;
    if (p->derived) {
        derive_keyspec(d, d->name, &derived);
        ks = &derived;
    }
    if (p->sort) {
        sort_keys(ks, p->perm, p->nspecs, args, n, (d->flags & CMD_READONLY) != 0, keys, &nkeys,
                  cap);
        return nkeys;
    }
    if (p->fixed) {
        int last;
        if (!cmd_fixed_keys(p, n, &last))
            return -1;
        for (int i = p->first; i <= last; i += p->step)
            add_key(keys, &nkeys, cap, i, ks->flags, p->perm[0]);
    }
    for (int i = 0; i < p->nspecs && !p->fixed; i++)
        if (p->perm[i] != KEY_PERM_NOT_KEY &&
            !spec_keys(&ks[i], p->perm[i], args, n, keys, &nkeys, cap))
            return -1;
    if (p->varflags && nkeys == 1) {
        const struct var_flags *v = variable_flags(p->varflags, args, n);
        (*keys)[0].flags = v->flags;
        (*keys)[0].perm = v->perm;
    }
    return nkeys;
}

int cmd_key_positions(const struct cmd_def *d, const struct rs_str *args, int n, int **pos)
{
    struct cmd_key_plan p;
    cmd_key_plan(d, &p);
    struct cmd_key *keys = NULL;
    int cap = 0;
    int nkeys = p.nspecs ? cmd_find_keys(d, &p, args, n, &keys, &cap) : 0;
    *pos = NULL;
    if (nkeys > 0) {
        *pos = rs_malloc((size_t)nkeys * sizeof **pos);
        for (int i = 0; i < nkeys; i++)
            (*pos)[i] = keys[i].pos;
    }
    rs_free(keys);
    return nkeys > 0 ? nkeys : 0;
}

/* COMMAND GETKEYS and GETKEYSANDFLAGS command [arg ...] -- the keys of a
 * full command line, found through the command's key specs (Redis
 * getKeysSubcommandImpl): a command that may have no keys (EVAL's numkeys
 * 0) gets an empty array where another gets an error. */
static void getkeys(struct cmd_ctx *c, bool with_flags)
{
    struct rs_str *args = c->argv + 2;
    int n = c->argc - 2;
    const struct cmd_def *d = cmd_lookup(c->st->lut, args[0]);
    if (d && n >= 2 && cmd_nsubs(d) > 0)
        d = cmd_lookup_sub(d, args[1]);
    if (d == NULL) {
        reply_err(c, RS_ERR_GETKEYS_CMD);
        return;
    }
    struct cmd_key_plan p;
    cmd_key_plan(d, &p);
    struct cmd_key *keys = NULL;
    int cap = 0;
    int nkeys = p.nkeyspecs ? cmd_find_keys(d, &p, args, n, &keys, &cap) : 0;
    if (p.nkeyspecs == 0) {
        reply_err(c, RS_ERR_GETKEYS_NOKEYS);
    } else if ((d->arity > 0 && d->arity != n) || n < -d->arity) {
        reply_err(c, RS_ERR_GETKEYS_ARITY);
    } else if (nkeys <= 0 && !(d->flags & CMD_NO_MANDATORY_KEYS)) {
        reply_err(c, RS_ERR_GETKEYS_ARGS);
    } else {
        nkeys = nkeys < 0 ? 0 : nkeys;
        resp_add_array_len(c->out, nkeys);
        for (int i = 0; i < nkeys; i++) {
            if (with_flags) {
                resp_add_array_len(c->out, 2);
                resp_add_bulk_str(c->out, args[keys[i].pos]);
                resp_add_set_len(c->out, words(keys[i].flags, NULL, NULL));
                words(keys[i].flags, c->out, add_status);
            } else {
                resp_add_bulk_str(c->out, args[keys[i].pos]);
            }
        }
    }
    rs_free(keys);
}

void cmd_command_getkeys(struct cmd_ctx *c)
{
    getkeys(c, false);
}

void cmd_command_getkeysandflags(struct cmd_ctx *c)
{
    getkeys(c, true);
}

/* COMMAND HELP */
void cmd_command_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        NULL,
    };
    reply_help(c, "COMMAND", lines);
}
