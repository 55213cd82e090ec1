/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (a struct quicklist, ds/quicklist.h) as entries (entries.c)
 * free, copy, measure and name it. The commands are in commands/t_list.c.
 */
#include "ds/quicklist.h"
#include "keyspace/list.h"

size_t list_bytes(const struct quicklist *ql)
{
    return ql->bytes;
}

struct quicklist *list_dup(const struct quicklist *ql)
{
    return ql_dup(ql);
}

void list_free(struct quicklist *ql)
{
    ql_free(ql);
}

const char *list_enc_name(const struct quicklist *ql)
{
    return ql->listpack ? "listpack" : "quicklist";
}
