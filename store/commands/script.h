/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Lua scripting, split in two: the commands and the script cache
 * (script.c: EVAL, EVALSHA, their _RO forms, SCRIPT, shebang flags, the
 * LRU of EVAL-loaded scripts) and the Lua engine (script_lua.c: the
 * sandboxed interpreter, the redis.* API, the conversions between Lua
 * values and RESP). The engine runs a script's redis.call through the same
 * command table as the wire, in-process, with the caller's clock.
 */
#ifndef COMMANDS_SCRIPT_H
#define COMMANDS_SCRIPT_H

#include "commands/commands.h"

/* Shebang flags of a script (#!lua flags=...), as Redis's SCRIPT_FLAG_*. */
enum script_flag {
    SCRIPT_NO_WRITES = 1 << 0,
    SCRIPT_ALLOW_OOM = 1 << 1,
    SCRIPT_ALLOW_STALE = 1 << 2,
    SCRIPT_NO_CLUSTER = 1 << 3,
    SCRIPT_ALLOW_CROSS_SLOT = 1 << 4,
    SCRIPT_COMPAT = 1 << 5, /* no shebang: EVAL's compatibility mode */
};

/* The flags scripts and functions may declare, by name, in the order
 * Redis lists them (scripts_flags_def); SCRIPT_NFLAGS entries. */
struct script_flag_name {
    const char *name;
    uint32_t flag;
};
#define SCRIPT_NFLAGS 5
extern const struct script_flag_name script_flag_names[SCRIPT_NFLAGS];

/* A command's flags (CMD_*) as a script's shebang flags sflags change
 * them, as Redis's scriptFlagsToCmdFlags: none for a script without a
 * shebang (SCRIPT_COMPAT); else denyoom unless allow-oom or no-writes,
 * write unless no-writes, stale with allow-stale. */
uint32_t script_flags_to_cmd(uint32_t flags, uint32_t sflags);
/* The flags c's EVAL, EVALSHA (by_sha) or their _RO form runs with
 * (Redis's evalGetCommandFlags): its command's, as the flags of the script
 * it names (cached, or the shebang of EVAL's body) change them. O(script)
 * for an EVAL body not cached. */
uint32_t script_cmd_flags(struct cmd_ctx *c, bool by_sha);
/* Must a script or function with shebang flags sflags be refused to run,
 * the store over maxmemory when its command started (st->oom_at_start)
 * and the script not allowed to grow it? */
bool script_refuses_oom(const struct store *st, uint32_t sflags);

/* The state of Redis's rand.c before any seed ((x2 << 15 | x1 >> 1) of
 * its drand48): st->lua_rand48 at respite_open. */
#define LUA_RAND48_INIT 0x1234ABCD330EULL

cmd_handler cmd_eval, cmd_evalsha;

/* The Lua interpreter of a store, created on the first script. */
struct lua_engine;
struct lua_State;

struct lua_engine *lua_engine_new(struct store *st);
/* Make a new engine the functions' one: Redis's function runtime has no
 * __redis__err__handler global and no redis.breakpoint, redis.debug or
 * redis.replicate_commands. */
void lua_engine_for_functions(struct lua_engine *e);
void lua_engine_free(struct lua_engine *e);
/* Bytes the interpreter holds, in whole KiB as Lua counts them (Redis's
 * lua_gc(LUA_GCCOUNT) * 1024: INFO used_memory_lua, _vm_eval,
 * _vm_functions). */
size_t lua_engine_memory(const struct lua_engine *e);
/* The interpreter itself, for the functions engine (function.c) to load
 * libraries with: its stack must be left as found. */
struct lua_State *lua_engine_state(struct lua_engine *e);
/* Replace the table at the top of L's stack by a read-only proxy of it
 * (writes raise "Attempt to modify a readonly table"). */
void lua_engine_proxy(struct lua_State *L);
/* A C function for a table's __index: raises Redis's "Script attempted to
 * access nonexistent global variable" for the key read. */
int lua_engine_no_global(struct lua_State *L);

/* Compile body[0..len) (the script after its shebang line, whose newline
 * it keeps so line numbers hold) into a function kept by the engine.
 * Returns its reference (>= 0), or -1 with Lua's message in err. */
int lua_engine_compile(struct lua_engine *e, const char *body, size_t len, char *err,
                       size_t errlen);
/* Forget the function of ref. */
void lua_engine_drop(struct lua_engine *e, int ref);
/* Whether the function at the top of L's stack may keep or change the two
 * tables it is called with (FCALL's keys and args): false only when its
 * bytecode shows it cannot (lua_args.c). */
bool lua_engine_fn_keeps_args(struct lua_State *L);
/* Whether the chunk at the top of L's stack (an EVAL script), or a
 * function nested in it, may assign a global: false only when its
 * bytecode shows no SETGLOBAL (lua_args.c). */
bool lua_engine_chunk_sets_global(struct lua_State *L);

/* What a run may do and whose it is. */
struct script_run {
    struct cmd_ctx *caller; /* the EVAL: its client, clock and reply */
    const char *sha;        /* 40 hex digits (a function's name), for error texts */
    bool read_only;         /* no-writes flag, or EVAL_RO / EVALSHA_RO */
    bool allow_oom;
    bool fn_args;           /* FCALL: keys and args are the function's two
                               arguments, not the globals KEYS and ARGV */
    bool reuse_args;        /* FCALL of a function that cannot keep or change
                               them: the tables of the last such call may
                               be filled again */
    int nkeys, nargs;
    struct rs_str *keys, *args; /* borrowed from the caller's argv */
};

/* Run the function of ref with KEYS and ARGV and write its reply (or its
 * error, with Redis's "script: <sha>, on @user_script:<line>." suffix) to
 * r->caller. Nothing else runs meanwhile. */
void lua_engine_run(struct lua_engine *e, int ref, const struct script_run *r);

/* Who stops a running script: SCRIPT KILL stops an EVAL's, FUNCTION KILL
 * a function, SHUTDOWN NOSAVE either, whatever it wrote. */
enum script_killer { KILL_BY_SCRIPT, KILL_BY_FUNCTION, KILL_BY_SHUTDOWN };

/* Stop the running script (EVAL's or a function, in whichever engine),
 * as k asks: it stops at its next check of the clock with "Script killed
 * by user with SCRIPT KILL...". Returns 0, or why not, in Redis 7.4's
 * order: RS_ERR_NOTBUSY (none runs), RS_ERR_UNKILLABLE (it ran a write
 * command), RS_ERR_BUSY_FUNCTION / RS_ERR_BUSY_SCRIPT (SCRIPT KILL of a
 * function, FUNCTION KILL of an EVAL). */
int script_kill(struct store *st, enum script_killer k);
/* SCRIPT KILL and FUNCTION KILL: script_kill's answer to c. */
void script_kill_reply(struct cmd_ctx *c, enum script_killer k);
int lua_engine_kill(struct lua_engine *e, enum script_killer k);

/* The function that runs, for FUNCTION STATS: false if none (or an
 * EVAL's script runs: script_running_eval); else its name, the FCALL's
 * argv and how long it has run. */
bool script_running_eval(const struct store *st);
bool script_running_function(const struct store *st, struct rs_str *name, const struct cmd_ctx **fcall,
                             int64_t *ms);

/* The scripting state of a store (script.c): made with EVAL's interpreter
 * at respite_open, as Redis makes its VM at start (INFO reports its memory
 * from then on), and made again by SCRIPT FLUSH; freed at close. */
void script_init(struct store *st);
void script_free(struct store *st);

/* INFO figures: the interpreter's bytes, the cached scripts and the
 * bytes of their bodies and cache entries, scripts evicted from the LRU. */
struct script_stats {
    uint64_t vm_bytes, nscripts, script_bytes, evicted;
};
void script_stats(const struct store *st, struct script_stats *out);

#endif
