/* SPDX-License-Identifier: BSD-3-Clause
 *
 * PROJECT: respite's own commands over project shards (DESIGN.md, "Keyspace
 * and project shards"). A key "project:<id>:..." or "project:{<id>}:..."
 * lives in the shard of project <id> of its database; these commands list
 * the projects of the selected database and report one shard's counters
 * (keyspace/state.h struct shard), which the keyspace keeps as it goes, so every
 * reply is O(1) per project.
 */
#include "commands/commands.h"
#include "keyspace/keyspace.h"
#include "ds/table.h"

/* PROJECT LIST -- the ids of the projects that have keys in the selected
 * database, in the order their shards were created. */
void cmd_project_list(struct cmd_ctx *c)
{
    const struct db *db = c->db;
    long long n = 0;
    for (size_t i = 0; i < db->norder; i++)
        n += tbl_count(&db->order[i]->tbl) > 0;
    resp_add_array_len(c->out, n);
    for (size_t i = 0; i < db->norder; i++) {
        const struct shard *sh = db->order[i];
        if (tbl_count(&sh->tbl) > 0)
            resp_add_bulk(c->out, shard_id(sh), sh->idlen);
    }
}

/* PROJECT INFO id -- a map of keys, bytes (of keys and values), expiring
 * keys and commands (that named a key of the project first). A project
 * with no shard in this database has all four at zero. */
void cmd_project_info(struct cmd_ctx *c)
{
    const struct shard *sh = ks_project(c->db, c->argv[2]);
    if (sh && sh->is_empty)
        sh = NULL; /* a project whose keys all went: as if it never had any */
    resp_add_map_len(c->out, 4);
    resp_add_bulk_cstr(c->out, "keys");
    resp_add_int(c->out, sh ? (long long)tbl_count(&sh->tbl) : 0);
    resp_add_bulk_cstr(c->out, "bytes");
    resp_add_int(c->out, sh ? (long long)sh->nbytes : 0);
    resp_add_bulk_cstr(c->out, "expiring_keys");
    resp_add_int(c->out, sh ? (long long)shard_nexp(sh) : 0);
    resp_add_bulk_cstr(c->out, "commands");
    resp_add_int(c->out, sh ? (long long)sh->ncommands : 0);
}

/* PROJECT HELP */
void cmd_project_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "LIST",
        "    Return the ids of the projects that have keys in the current database.",
        "INFO <id>",
        "    Return the keys, bytes, expiring keys and commands of project <id> in the",
        "    current database (zeros for a project without keys).",
        NULL,
    };
    reply_help(c, "PROJECT", lines);
}
