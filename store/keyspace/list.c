/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value (a struct quicklist, ds/quicklist.h) as entries (entries.c)
 * free, copy, measure and name it. The commands are in commands/t_list.c.
 */
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "keyspace/state.h"


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

uint32_t list_packed_threshold(const struct store *st)
{
    return st->list_packed_threshold ? st->list_packed_threshold : QL_DEFAULT_PACKED_THRESHOLD;
}

void list_as_quicklist(const struct store *st, struct quicklist *ql)
{
    ql->listpack = false;
    ql_set_fill(ql, st->cfg.list_max_listpack_size);
}

void list_growing(const struct store *st, struct quicklist *ql, size_t bytes, uint64_t n)
{
    if (!ql->listpack)
        return;
    size_t lpsz = ql->head ? ql->head->lpsz : QL_LP_EMPTY;
    if (ql_exceeds(st->cfg.list_max_listpack_size, lpsz + bytes, ql->count + n))
        list_as_quicklist(st, ql);
}
