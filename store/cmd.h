/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The command table (commands.def) and dispatch (cmd.c).
 */
#ifndef CMD_H
#define CMD_H

#include "store_int.h"

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
/* A top-level command by name, any case; NULL if unknown. */
const struct cmd_def *cmd_lookup(const struct store *st, struct rs_str name);
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, struct rs_str name);

/* Find the command of c->argv and check its arity; on failure write Redis's
 * rejection error and return NULL. Sets c->cmd. */
const struct cmd_def *cmd_resolve(struct cmd_ctx *c);
/* Run c->cmd's handler and account it in commandstats. */
void cmd_call(struct cmd_ctx *c);



/* Parse an integer argument (Redis string2ll); on failure reply
 * "value is not an integer or out of range" and return false. */
bool arg_ll(struct cmd_ctx *c, struct rs_str a, long long *v);
/* A SCAN-family cursor (Redis parseScanCursorOrReply: strtoull's rules, so
 * "", "-1" and "+7" are cursors while " 1" and "1x" are not); on failure
 * reply "invalid cursor" and return false. */
bool arg_cursor(struct cmd_ctx *c, struct rs_str a, uint64_t *cursor);

/* The options of SCAN, SSCAN and HSCAN from argv[from] on. */
enum { SCAN_ALLOW_TYPE = 1, SCAN_ALLOW_NOVALUES = 2 };
struct scan_opts {
    long long count;   /* COUNT, 10 by default */
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
/* A HELP reply: "<CMD> <subcommand> ..." then lines (NULL-terminated)
 * then Redis's closing "HELP" lines. */
void reply_help(struct cmd_ctx *c, const char *cmd, const char *const *lines);
#endif
