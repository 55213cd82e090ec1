/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Access control as Redis 7.4's (acl.c there): users, their passwords
 * (SHA-256 digests), their selectors (commands as a bitmap over the
 * command table, key patterns with read/write permissions, channel
 * patterns), the check every command passes before it runs, the ACL LOG,
 * the ACL file, and the ACL command. The state hangs off st->acl; each
 * session points to its user (s->user).
 *
 * The hot path: a session whose user may run every command on every key
 * and channel (the default user as it starts) carries no SES_ACL_CHECK
 * flag, and dispatch tests only that flag. Every change to users
 * (SETUSER, DELUSER, LOAD, requirepass) sets or clears the flag of the
 * sessions concerned.
 */
#ifndef COMMANDS_ACL_H
#define COMMANDS_ACL_H

#include "commands/commands.h"

struct acl_user;

/* Why a command was refused (Redis's ACL_DENIED_*, ordered as Redis picks
 * the error to report among selectors). */
enum acl_denied {
    ACL_OK = 0,
    ACL_DENIED_CMD = 1,
    ACL_DENIED_KEY = 2,
    ACL_DENIED_AUTH = 3,
    ACL_DENIED_CHANNEL = 4,
};

/* Where a refusal happened, for ACL LOG's context. */
enum acl_ctx { ACL_CTX_TOPLEVEL, ACL_CTX_MULTI, ACL_CTX_LUA };

/* The state with its default user ("on nopass ~* &* +@all"), before the
 * configuration is read; freed with the store. */
void acl_init(struct store *st);
void acl_free(struct store *st);

/* requirepass changed (config.c): the default user's passwords become
 * that one, or nopass when empty, as Redis's ACLUpdateDefaultUserPassword. */
void acl_requirepass_changed(struct store *st);

/* The i-th user's line, "user <name> <rules>" as ACL LIST shows it
 * (rs_malloc'd, NUL-terminated), NULL past the last user: CONFIG
 * REWRITE's `user` lines. */
char *acl_user_line(const struct store *st, int i);
/* A `user <name> <rules...>` line of the configuration (rules separated
 * by spaces): the user is made now. NULL, or the error text. */
const char *acl_config_user(struct store *st, const char *rules, char *err, size_t errlen);
/* At start-up the aclfile is read by respite_acl_load (respite.h). */

/* A new session: the default user, authenticated when it needs no
 * password. */
void acl_session_init(struct session *s);
/* The name of s's user (NUL-terminated, borrowed until the user is
 * deleted): CLIENT LIST's user=, CLIENT KILL USER. */
const char *acl_user_name(const struct session *s);

/* Must s authenticate before running commands? (Redis authRequired: the
 * default user has a password or is off, and s has not authenticated.)
 * One flag test: SES_AUTH_OPEN follows the default user. */
static inline bool acl_auth_required(const struct session *s)
{
    return !(s->flags & (SES_AUTHENTICATED | SES_AUTH_OPEN));
}
/* AUTH and HELLO AUTH: check user/pass; on success s runs as that user
 * (and is authenticated), else WRONGPASS is replied and an ACL LOG entry
 * made. */
bool acl_auth_or_reply(struct cmd_ctx *c, struct rs_str user, struct rs_str pass);
/* RESET: back to the default user, authenticated only if it has no
 * password. */
void acl_session_reset(struct session *s);
/* Does the default user take any password (AUTH's one-argument form)? */
bool acl_default_nopass(const struct store *st);

/* The check of c's command against the user of `of` (c->s, or a script's
 * caller): ACL_OK, or why not, with the argv index of the key or channel
 * refused in *pos. */
int acl_check(const struct cmd_ctx *c, const struct session *of, int *pos);
/* A blocked command about to run again, served (block.c): true if c->s's
 * user may still run it, else its -NOPERM reply and ACL LOG entry. */
bool acl_allows_rerun(struct cmd_ctx *c);
/* May c->s's user run c's command in a selector that reads every key
 * (allkeys, or a read pattern "*")? (Redis
 * ACLUserCheckCmdWithUnrestrictedKeyAccess: SORT's BY and GET.) */
bool acl_reads_every_key(const struct cmd_ctx *c);
/* Write the ACL LOG entry of info's command refused (why, at argv[pos])
 * for of's user, in ctx; client is the command whose client the entry
 * shows (the script's caller for redis.call, as Redis). */
void acl_log_denied(const struct cmd_ctx *info, const struct cmd_ctx *client,
                    const struct session *of, int why, int ctx, int pos);
/* Redis getAclErrorMessage, without "NOPERM ", into buf. */
void acl_error_text(const struct cmd_ctx *c, const struct session *of, int why, int pos,
                    char *buf, size_t size);

/* ---- Project users (respite's own) -------------------------------------
 * A user whose key patterns all lie inside projects (each pattern's
 * literal prefix names one: ~project:42:*, ~project:{42}:*) is a project
 * user; its sessions carry SES_PROJECT. KEYS, SCAN, RANDOMKEY, DBSIZE,
 * INFO keyspace, PROJECT, PUBSUB's listings, keyspace events and
 * broadcast tracking show such a session only what it may read; commands
 * acting on the whole server (@admin, FLUSHALL, FLUSHDB, SWAPDB, ...) are
 * refused to it unless one of its rules names them. For any other
 * session the functions below see everything. */

/* The number of projects of s's user (0 unless a project user), and the
 * i-th, sorted by id; *whole (if not NULL) when it may read every key of
 * it (both spellings of its prefix), so that its counters are the user's. */
int acl_nprojects(const struct session *s);
struct rs_str acl_project(const struct session *s, int i, bool *whole);
/* Is id one of the projects of s's project user? */
bool acl_in_projects(const struct session *s, struct rs_str id);
/* May s read key (true unless s is a project user's session)? One flag
 * test for any other session: the walks of KEYS and SCAN ask it per key. */
bool acl__may_read(const struct session *s, struct rs_str key);
static inline bool acl_may_read(const struct session *s, struct rs_str key)
{
    return !(s->flags & SES_PROJECT) || acl__may_read(s, key);
}
/* May s see channel (a pattern when is_pattern, as PSUBSCRIBE names it):
 * one its user may subscribe to, and for a keyspace channel
 * __keyspace@<db>__:<key>, a key it may read? */
bool acl_may_see_channel(const struct session *s, struct rs_str ch, bool is_pattern);

#endif
