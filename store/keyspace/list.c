/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The list value in its entry (list.h: its one chunk alone, or a struct
 * quicklist, ds/quicklist.h) as entries (entries.c) free, copy, measure
 * and name it, and as the commands (commands/t_list.c) read and store it.
 */
#include "ds/entry.h"
#include "ds/mem.h"
#include "ds/quicklist.h"
#include "keyspace/list.h"
#include "keyspace/state.h"


size_t list_put(struct entry *e, struct quicklist *ql, struct quicklist *view)
{
    if (ql->listpack) { /* one chunk, or none while empty */
        size_t bytes = ql->bytes;
        entry_set_ptr(e, ql->head);
        e->enc = ENC_LIST_CHUNK;
        if (ql != view) {
            bytes -= sizeof *ql;
            rs_free(ql);
        }
        return bytes;
    }
    struct quicklist *own = ql == view ? ql_own(view) : ql;
    entry_set_ptr(e, own);
    e->enc = ENC_RAW;
    return own->bytes;
}

size_t list_bytes(const void *v, int enc)
{
    if (enc != ENC_LIST_CHUNK)
        return ((const struct quicklist *)v)->bytes;
    return v ? ql_node_size(((const struct ql_node *)v)->cap) : 0;
}

void *list_dup(const void *v, int enc)
{
    if (enc != ENC_LIST_CHUNK)
        return ql_dup(v);
    return v ? ql_node_dup(v) : NULL;
}

void list_free(void *v, int enc)
{
    int64_t work = INT64_MAX;
    list_free_some(v, enc, &work);
}

bool list_free_some(void *v, int enc, int64_t *work)
{
    if (enc != ENC_LIST_CHUNK)
        return ql_free_some(v, work);
    rs_free(v);
    (*work)--;
    return true;
}

uint64_t list_chunks(const void *v, int enc)
{
    if (enc == ENC_LIST_CHUNK)
        return 1;
    return ((const struct quicklist *)v)->nnodes;
}

const char *list_enc_name(const void *v, int enc)
{
    return enc == ENC_LIST_CHUNK || ((const struct quicklist *)v)->listpack ? "listpack"
                                                                            : "quicklist";
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

bool list_fits_packed(const struct store *st, const struct quicklist *ql, size_t bytes,
                      uint64_t n)
{
    size_t lpsz = ql->head ? ql->head->lpsz : QL_LP_EMPTY;
    return !ql_exceeds(st->cfg.list_max_listpack_size, lpsz + bytes, ql->count + n);
}

void list_growing(const struct store *st, struct quicklist *ql, size_t bytes, uint64_t n)
{
    if (ql->listpack && !list_fits_packed(st, ql, bytes, n))
        list_as_quicklist(st, ql);
}
