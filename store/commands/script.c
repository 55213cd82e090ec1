/* SPDX-License-Identifier: BSD-3-Clause
 *
 * EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT, as Redis 7.4's eval.c,
 * and the script cache.
 *
 * The cache maps the SHA-1 of a script's body (40 lower-case hex digits)
 * to the script: its body, its shebang flags and its compiled function in
 * the Lua engine (script_lua.c). Scripts loaded by EVAL sit in an LRU list
 * of at most 500, as Redis 7.4: the 501st evicts the least recently run
 * (INFO evicted_scripts), so clients sending ever new scripts do not grow
 * the server for ever; SCRIPT LOAD makes a script permanent. SCRIPT FLUSH
 * drops the cache and the interpreter with its globals; math.random's
 * state lives on, as Redis's does.
 *
 * A script runs inside the EVAL command: nothing else runs until it
 * returns, over every project shard it touches (shards emptied by it are
 * reaped after it, as after any command).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/function.h"
#include "commands/monitor.h"
#include "commands/script.h"
#include "ds/mem.h"
#include "ds/sha.h"

#define EVAL_LRU_MAX 500

struct script {
    struct script *next;            /* bucket chain */
    struct script *lru_prev, *lru_next; /* EVAL-loaded scripts, oldest first */
    bool in_lru;
    uint32_t flags;                 /* enum script_flag */
    int ref;                        /* the engine's function */
    uint64_t hash;                  /* the first 16 hex digits */
    char sha[41];
    size_t len;
    char body[];
};

struct scripting {
    struct lua_engine *engine;
    struct script **b;   /* buckets, a power of two */
    uint64_t mask;
    uint64_t n;
    uint64_t bytes;      /* bodies and entries */
    struct script *lru_head, *lru_tail;
    uint64_t nlru;
    uint64_t evicted;
};

const struct script_flag_name script_flag_names[SCRIPT_NFLAGS] = {
    {"no-writes", SCRIPT_NO_WRITES},     {"allow-oom", SCRIPT_ALLOW_OOM},
    {"allow-stale", SCRIPT_ALLOW_STALE}, {"no-cluster", SCRIPT_NO_CLUSTER},
    {"allow-cross-slot-keys", SCRIPT_ALLOW_CROSS_SLOT},
};

/* ------------------------------------------------------------------------
 * The cache
 * ------------------------------------------------------------------------ */

static struct scripting *scripting(struct store *st)
{
    if (st->scripting == NULL)
        st->scripting = rs_calloc(1, sizeof *st->scripting);
    return st->scripting;
}

static struct lua_engine *engine(struct store *st)
{
    struct scripting *s = scripting(st);
    if (s->engine == NULL)
        s->engine = lua_engine_new(st);
    return s->engine;
}

/* The hash of 40 hex digits of either case (the value of the first 16);
 * false if sha is not 40 bytes long. Setting bit 5 lowers the letters A-F
 * and keeps the digits: for other bytes the hash is only not the value,
 * and they match no cached SHA-1 anyway. */
static bool sha_hash(const char *sha, size_t len, uint64_t *h)
{
    if (len != 40)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        unsigned d = (unsigned char)sha[i] | 0x20;
        v = v << 4 | (d <= '9' ? d - '0' : d - 'a' + 10);
    }
    *h = v;
    return true;
}

static struct script *find(struct scripting *s, const char *sha, size_t len)
{
    uint64_t h;
    if (s->b == NULL || !sha_hash(sha, len, &h))
        return NULL;
    for (struct script *x = s->b[h & s->mask]; x; x = x->next)
        /* Cached SHA-1s are lower case, as clients mostly send them. */
        if (x->hash == h && (memcmp(x->sha, sha, 40) == 0 || strncasecmp(x->sha, sha, 40) == 0))
            return x;
    return NULL;
}

static void lru_unlink(struct scripting *s, struct script *x)
{
    if (!x->in_lru)
        return;
    if (x->lru_prev)
        x->lru_prev->lru_next = x->lru_next;
    else
        s->lru_head = x->lru_next;
    if (x->lru_next)
        x->lru_next->lru_prev = x->lru_prev;
    else
        s->lru_tail = x->lru_prev;
    x->lru_prev = x->lru_next = NULL;
    x->in_lru = false;
    s->nlru--;
}

static void lru_push(struct scripting *s, struct script *x)
{
    x->lru_prev = s->lru_tail;
    x->lru_next = NULL;
    if (s->lru_tail)
        s->lru_tail->lru_next = x;
    else
        s->lru_head = x;
    s->lru_tail = x;
    x->in_lru = true;
    s->nlru++;
}

static void cache_remove(struct store *st, struct script *x)
{
    struct scripting *s = st->scripting;
    lru_unlink(s, x);
    struct script **p = &s->b[x->hash & s->mask];
    while (*p != x)
        p = &(*p)->next;
    *p = x->next;
    s->n--;
    s->bytes -= sizeof *x + x->len;
    lua_engine_drop(s->engine, x->ref);
    rs_free(x);
}

static void cache_add(struct scripting *s, struct script *x)
{
    if (s->n >= s->mask + 1 || s->b == NULL) {
        uint64_t cap = s->b ? (s->mask + 1) * 2 : 16;
        struct script **nb = rs_calloc(cap, sizeof *nb);
        for (uint64_t i = 0; s->b && i <= s->mask; i++) {
            for (struct script *y = s->b[i], *next; y; y = next) {
                next = y->next;
                y->next = nb[y->hash & (cap - 1)];
                nb[y->hash & (cap - 1)] = y;
            }
        }
        rs_free(s->b);
        s->b = nb;
        s->mask = cap - 1;
    }
    x->next = s->b[x->hash & s->mask];
    s->b[x->hash & s->mask] = x;
    s->n++;
    s->bytes += sizeof *x + x->len;
}

/* The flags of body's "#!lua flags=a,b" line (Redis's
 * evalExtractShebangFlags), and where the code starts: the shebang's
 * newline, which stays so line numbers hold. false with the error replied
 * (to c, unless NULL). */
static bool shebang(struct cmd_ctx *c, const char *body, size_t len, uint32_t *flags,
                    size_t *skip)
{
    *flags = SCRIPT_COMPAT;
    *skip = 0;
    if (len < 2 || body[0] != '#' || body[1] != '!')
        return true;
    const char *nl = memchr(body, '\n', len);
    if (nl == NULL) {
        if (c)
            reply_err(c, RS_ERR_LUA_SHEBANG);
        return false;
    }
    *skip = (size_t)(nl - body);
    *flags = 0;
    /* Words split on blanks as sdssplitargs does for unquoted words. */
    const char *p = body, *end = nl;
    bool first = true;
    for (;;) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        const char *w = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        size_t wn = (size_t)(p - w);
        if (first) {
            if (wn != 5 || memcmp(w, "#!lua", 5) != 0) {
                if (c)
                    reply_errf(c, rs_err_text[RS_ERR_LUA_SHEBANG_ENGINE], (int)wn, w);
                return false;
            }
            first = false;
            continue;
        }
        if (wn < 6 || memcmp(w, "flags=", 6) != 0) {
            if (c)
                reply_errf(c, rs_err_text[RS_ERR_LUA_SHEBANG_OPTION], (int)wn, w);
            return false;
        }
        for (const char *f = w + 6; f < p;) {
            const char *comma = memchr(f, ',', (size_t)(p - f));
            const char *fe = comma ? comma : p;
            size_t fn = (size_t)(fe - f);
            size_t i = 0;
            for (; i < SCRIPT_NFLAGS; i++)
                if (strlen(script_flag_names[i].name) == fn &&
                    memcmp(script_flag_names[i].name, f, fn) == 0)
                    break;
            if (i == SCRIPT_NFLAGS) {
                if (c)
                    reply_errf(c, rs_err_text[RS_ERR_LUA_SHEBANG_FLAG], (int)fn, f);
                return false;
            }
            *flags |= script_flag_names[i].flag;
            f = comma ? comma + 1 : p;
        }
    }
    return true;
}

/* The script of body, compiled and cached if new (then in the EVAL LRU
 * when from_eval); NULL with the error replied. */
static struct script *load(struct cmd_ctx *c, struct rs_str body, bool from_eval)
{
    struct store *st = c->st;
    char sha[41];
    sha1_hex(sha, body.p, body.len);
    struct scripting *s = scripting(st);
    struct script *x = find(s, sha, 40);
    if (x) {
        if (!from_eval)
            lru_unlink(s, x);
        else if (x->in_lru && x != s->lru_tail) {
            lru_unlink(s, x);
            lru_push(s, x);
        }
        return x;
    }
    uint32_t flags;
    size_t skip;
    if (!shebang(c, body.p, body.len, &flags, &skip))
        return NULL;
    char err[512];
    int ref = lua_engine_compile(engine(st), body.p + skip, body.len - skip, err, sizeof err);
    if (ref < 0) {
        reply_errf(c, rs_err_text[RS_ERR_LUA_COMPILE], err);
        return NULL;
    }
    x = rs_malloc(sizeof *x + body.len);
    memset(x, 0, sizeof *x);
    memcpy(x->sha, sha, sizeof x->sha);
    sha_hash(sha, 40, &x->hash);
    x->flags = flags;
    x->ref = ref;
    x->len = body.len;
    memcpy(x->body, body.p, body.len);
    cache_add(s, x);
    if (from_eval) {
        if (s->nlru == EVAL_LRU_MAX) {
            cache_remove(st, s->lru_head);
            s->evicted++;
        }
        lru_push(s, x);
    }
    return x;
}

static void flush_cache(struct store *st)
{
    struct scripting *s = st->scripting;
    if (s == NULL)
        return;
    for (uint64_t i = 0; s->b && i <= s->mask; i++) {
        for (struct script *x = s->b[i], *next; x; x = next) {
            next = x->next;
            rs_free(x);
        }
    }
    rs_free(s->b);
    s->b = NULL;
    s->mask = 0;
    s->n = s->bytes = s->nlru = 0;
    s->lru_head = s->lru_tail = NULL;
    lua_engine_free(s->engine);
    s->engine = NULL;
}

void script_init(struct store *st)
{
    engine(st);
}

void script_free(struct store *st)
{
    flush_cache(st);
    rs_free(st->scripting);
    st->scripting = NULL;
}

void script_stats(const struct store *st, struct script_stats *out)
{
    const struct scripting *s = st->scripting;
    memset(out, 0, sizeof *out);
    if (s == NULL)
        return;
    out->vm_bytes = s->engine ? lua_engine_memory(s->engine) : 0;
    out->nscripts = s->n;
    out->script_bytes = s->bytes + (s->b ? (s->mask + 1) * sizeof *s->b : 0);
    out->evicted = s->evicted;
}

/* ------------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------------ */

uint32_t script_flags_to_cmd(uint32_t flags, uint32_t sflags)
{
    if (sflags & SCRIPT_COMPAT)
        return flags;
    flags &= ~(uint32_t)(CMD_STALE | CMD_DENYOOM | CMD_WRITE | CMD_MAY_REPLICATE);
    if (!(sflags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)))
        flags |= CMD_DENYOOM;
    if (!(sflags & SCRIPT_NO_WRITES))
        flags |= CMD_WRITE;
    if (sflags & SCRIPT_ALLOW_STALE)
        flags |= CMD_STALE;
    return flags;
}

uint32_t script_cmd_flags(struct cmd_ctx *c, bool by_sha)
{
    uint32_t flags = c->cmd->flags;
    if (by_sha && c->argv[1].len != 40)
        return flags;
    struct scripting *s = c->st->scripting;
    struct script *x = NULL;
    if (s && by_sha) {
        x = find(s, c->argv[1].p, 40);
    } else if (s) {
        char sha[41];
        sha1_hex(sha, c->argv[1].p, c->argv[1].len);
        x = find(s, sha, 40);
    }
    uint32_t sflags;
    size_t skip;
    if (x)
        sflags = x->flags;
    else if (by_sha || !shebang(NULL, c->argv[1].p, c->argv[1].len, &sflags, &skip))
        return flags;
    return script_flags_to_cmd(flags, sflags);
}

bool script_refuses_oom(const struct store *st, uint32_t sflags)
{
    return !(sflags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) && st->cfg.maxmemory &&
           st->oom_at_start;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* EVAL script numkeys [key ...] [arg ...] and its kin: body is argv[1]
 * (EVAL) or the script of the SHA-1 argv[1] (EVALSHA). */
static void eval_generic(struct cmd_ctx *c, bool by_sha, bool ro)
{
    monitor_feed_before(c);
    if (by_sha && c->argv[1].len != 40) {
        reply_err(c, RS_ERR_NOSCRIPT);
        return;
    }
    long long numkeys;
    if (!arg_ll(c, c->argv[2], &numkeys))
        return;
    if (numkeys > c->argc - 3) {
        reply_err(c, RS_ERR_LUA_NUMKEYS_MANY);
        return;
    }
    if (numkeys < 0) {
        reply_err(c, RS_ERR_LUA_NUMKEYS_NEG);
        return;
    }
    struct script *x;
    if (by_sha) {
        struct scripting *s = scripting(c->st);
        x = find(s, c->argv[1].p, 40);
        if (x == NULL) {
            reply_err(c, RS_ERR_NOSCRIPT);
            return;
        }
        if (x->in_lru && x != s->lru_tail) {
            lru_unlink(s, x);
            lru_push(s, x);
        }
    } else {
        x = load(c, c->argv[1], true);
        if (x == NULL)
            return;
    }
    bool compat = x->flags & SCRIPT_COMPAT;
    if (!compat && !(x->flags & SCRIPT_NO_WRITES)) {
        if (ro) {
            reply_err(c, RS_ERR_LUA_RO_SCRIPT);
            return;
        }
    }
    if (!compat && script_refuses_oom(c->st, x->flags)) {
        reply_err(c, RS_ERR_LUA_OOM_FLAG);
        return;
    }
    struct script_run r = {
        .caller = c,
        .sha = x->sha,
        .read_only = ro || (!compat && (x->flags & SCRIPT_NO_WRITES)),
        .allow_oom = !compat && (x->flags & SCRIPT_ALLOW_OOM),
        .nkeys = (int)numkeys,
        .nargs = c->argc - 3 - (int)numkeys,
        .keys = c->argv + 3,
        .args = c->argv + 3 + numkeys,
    };
    /* The prefetch hint of EVAL's argv[1] names no key. */
    c->st->key_t = NULL;
    lua_engine_run(engine(c->st), x->ref, &r);
}

void cmd_eval(struct cmd_ctx *c)
{
    eval_generic(c, false, false);
}

void cmd_eval__ro(struct cmd_ctx *c)
{
    eval_generic(c, false, true);
}

void cmd_evalsha(struct cmd_ctx *c)
{
    eval_generic(c, true, false);
}

void cmd_evalsha__ro(struct cmd_ctx *c)
{
    eval_generic(c, true, true);
}

/* SCRIPT LOAD script */
void cmd_script_load(struct cmd_ctx *c)
{
    struct script *x = load(c, c->argv[2], false);
    if (x)
        resp_add_bulk(c->out, x->sha, 40);
}

/* SCRIPT EXISTS sha1 [sha1 ...] */
void cmd_script_exists(struct cmd_ctx *c)
{
    struct scripting *s = scripting(c->st);
    resp_add_array_len(c->out, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        resp_add_int(c->out, find(s, c->argv[i].p, c->argv[i].len) != NULL);
}

/* SCRIPT FLUSH [ASYNC|SYNC]: both free at once (the interpreter and the
 * bodies are freed in one pass, as Redis's SYNC). */
void cmd_script_flush(struct cmd_ctx *c)
{
    if (c->argc == 3 && !rs_str_eqi(c->argv[2], "sync") && !rs_str_eqi(c->argv[2], "async")) {
        reply_err(c, RS_ERR_LUA_FLUSH_MODE);
        return;
    }
    if (c->argc > 3) {
        reply_err(c, RS_ERR_LUA_FLUSH_MODE);
        return;
    }
    flush_cache(c->st);
    script_init(c->st); /* a new interpreter, as Redis's scriptingReset */
    resp_add_ok(c->out);
}

int script_kill(struct store *st, enum script_killer k)
{
    return st->script_running ? lua_engine_kill(st->script_running, k) : RS_ERR_NOTBUSY;
}

void script_kill_reply(struct cmd_ctx *c, enum script_killer k)
{
    int why = script_kill(c->st, k);
    if (why)
        reply_err(c, (enum rs_err)why);
    else
        resp_add_ok(c->out);
}

/* SCRIPT KILL: from another client while a script runs past
 * busy-reply-threshold (the transport serves it from inside the script). */
void cmd_script_kill(struct cmd_ctx *c)
{
    script_kill_reply(c, KILL_BY_SCRIPT);
}

void cmd_script_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        NULL,
    };
    reply_help(c, "SCRIPT", lines);
}
