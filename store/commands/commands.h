/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The command table (commands.def) and dispatch (cmd.c).
 */
#ifndef CMD_H
#define CMD_H

#include "keyspace/state.h"

/* The flat table: top-level commands, each followed by its subcommands. */
int cmd_table_size(void);
const struct cmd_def *cmd_at(int i);
int cmd_index(const struct cmd_def *d);
/* Number of subcommands of d (they follow it in the table). */
int cmd_nsubs(const struct cmd_def *d);

/* Does the table name (lower case, '_' for '-') equal s, ignoring case? */
bool cmd_name_is(const char *name, struct rs_str s);
/* The name as users spell it ('-' for '_'), NUL-terminated. */
void cmd_print_name(const char *name, char *buf, size_t size);

struct cmd_lut *cmd_lut_new(void);
void cmd_lut_free(struct cmd_lut *l);
/* A top-level command by name, any case; NULL if unknown. l remembers the
 * name it found last and checks it first (a pipeline repeats one command). */
const struct cmd_def *cmd_lookup(struct cmd_lut *l, struct rs_str name);
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, struct rs_str name);

/* Find the command of c->argv and check its arity; on failure write Redis's
 * rejection error and return NULL. Sets c->cmd. */
const struct cmd_def *cmd_resolve(struct cmd_ctx *c);
/* Run c->cmd's handler and account it in commandstats. */
void cmd_call(struct cmd_ctx *c);



/* Parse an integer argument (Redis string2ll); on failure reply
 * "value is not an integer or out of range" and return false. */
bool arg_ll(struct cmd_ctx *c, struct rs_str a, long long *v);
/* A SCAN-family cursor (Redis 7.4 parseScanCursorOrReply: string2ull, so
 * " 1", "+7" and "-0" are cursors while "", "-1" and "1x" are not); on
 * failure reply "invalid cursor" and return false. */
bool arg_cursor(struct cmd_ctx *c, struct rs_str a, uint64_t *cursor);

/* The options of SCAN, SSCAN and HSCAN from argv[from] on. */
enum { SCAN_ALLOW_TYPE = 1, SCAN_ALLOW_NOVALUES = 2 };
struct scan_opts {
    long long count;   /* COUNT, 10 by default */
    long long max_steps; /* the buckets one call may visit: 10 * COUNT as
                          * Redis, capped at LLONG_MAX */
    struct rs_str pat; /* MATCH */
    bool use_pat;      /* MATCH given and not "*" */
    bool has_type;     /* TYPE (SCAN only) */
    struct rs_str type;
    bool novalues;     /* NOVALUES (HSCAN only) */
};
/* Parse [MATCH pattern] [COUNT count], plus TYPE or NOVALUES when allowed,
 * as Redis's scanGenericCommand; on an error reply it and return false. */
bool scan_opts_parse(struct cmd_ctx *c, int from, unsigned allow, struct scan_opts *o);

/* "invalid expire time in '<command>' command" */
void reply_expire_time(struct cmd_ctx *c);
/* Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong
 * number of arguments for '<argv[1]>'. Try <CMD> HELP." (cmd_server.c) */
void reply_subcmd_syntax(struct cmd_ctx *c);
/* A HELP reply: "<CMD> <subcommand> ..." then lines (NULL-terminated)
 * then Redis's closing "HELP" lines. */
void reply_help(struct cmd_ctx *c, const char *cmd, const char *const *lines);
/* ---- TTLs of hash fields and set members (subkey.c) ---------------------- */

/* The error texts of a count of names: NAMES_EXPIRE for HEXPIRE and its
 * kin, NAMES_OTHER for HTTL, HPERSIST, HGETEX, HGETDEL and their kin. */
enum subkey_names_style { NAMES_EXPIRE, NAMES_OTHER };

/* argv[pos] must be FIELDS (a hash, type OBJ_HASH) or MEMBERS (a set), and
 * argv[pos + 1] the count of names that follow it to the end; *n gets it. */
bool subkey_names(struct cmd_ctx *c, int type, int pos, enum subkey_names_style style,
                  long long *n);

/* The absolute deadline in ms of a sub-key time argument: base (the clock,
 * or 0 for the *AT forms) plus arg in seconds or ms. Replies Redis's error
 * for a non-integer, negative or too large time. */
bool subkey_deadline(struct cmd_ctx *c, struct rs_str arg, int64_t base, bool seconds,
                     int64_t *when);

enum { SUBKEY_NX = 1, SUBKEY_XX = 2 };            /* FNX/MNX, FXX/MXX */
enum { SUBKEY_DROP = 0, SUBKEY_KEEP, SUBKEY_SET }; /* what a write does to TTLs */

/* The options of HSETEX and SADDEX, up to their names. */
struct setex_opts {
    int cond;     /* 0, SUBKEY_NX or SUBKEY_XX */
    int ttl;      /* SUBKEY_DROP (no option), SUBKEY_KEEP (KEEPTTL), SUBKEY_SET */
    int64_t when; /* SUBKEY_SET: the deadline */
    int first;    /* argv index of the first name */
    long long n;  /* names (field-value pairs for HSETEX) */
};

/* Parse "key [FNX|FXX] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL] FIELDS n f v ..."
 * (type OBJ_HASH) or the MNX/MXX ... MEMBERS n m ... of SADDEX (OBJ_SET),
 * replying the error of a malformed one. */
bool setex_parse(struct cmd_ctx *c, int type, struct setex_opts *o);

#endif
