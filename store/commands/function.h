/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Functions (function.c): the libraries of FUNCTION LOAD and their
 * interpreter, as the store's other parts see them.
 */
#ifndef COMMANDS_FUNCTION_H
#define COMMANDS_FUNCTION_H

#include "commands/commands.h"

/* The libraries and the functions' interpreter of a store: made at
 * respite_open, as Redis makes its functions engine at start (INFO reports
 * its memory from then on), and made again by FUNCTION FLUSH; freed at
 * close. */
void functions_init(struct store *st);
void functions_free(struct store *st);

/* INFO figures, in Redis 7.4's terms: the interpreter's bytes
 * (used_memory_vm_functions), the records of libraries and functions
 * (used_memory_functions), and how many there are. */
struct functions_stats {
    uint64_t vm_bytes, bytes, nfunctions, nlibraries;
};
void functions_stats(const struct store *st, struct functions_stats *out);

/* The flags c's FCALL or FCALL_RO runs with: its command's, as the
 * called function's flags change them (script_flags_to_cmd); the
 * command's own for a function not found. */
uint32_t function_cmd_flags(const struct cmd_ctx *c);

struct rdb_buf;
/* Append every library to b as an RDB_OPCODE_FUNCTION2 record (its code as
 * an RDB string), as Redis's rdbSaveFunctions: RDB files and FUNCTION
 * DUMP. */
void function_rdb_put(struct store *st, struct rdb_buf *b);
/* Create the library of code[0..len) (one FUNCTION2 record of an RDB
 * file); false, with Redis's message in err, if it does not load or a
 * library of its name exists and replace is not set. */
bool function_rdb_load(struct store *st, const char *code, size_t len, bool replace, char *err,
                       size_t errlen);
/* Call fn with the code of each library, in the order FUNCTION LIST has
 * them (an append-only file's RESP base). */
void function_each(struct store *st, void (*fn)(void *ud, const char *code, size_t len), void *ud);

cmd_handler cmd_fcall;

#endif
