/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Chained hash table with an intrusive link (see chain.h).
 */
#include "ds/chain.h"
#include "ds/mem.h"

static void resize(struct chain *t, uint64_t nb)
{
    struct chain_link **b = rs_calloc(nb, sizeof *b);
    for (uint64_t i = 0; t->b && i <= t->mask; i++) {
        for (struct chain_link *l = t->b[i], *next; l; l = next) {
            next = l->next;
            l->next = b[l->hash & (nb - 1)];
            b[l->hash & (nb - 1)] = l;
        }
    }
    rs_free(t->b);
    t->b = b;
    t->mask = nb - 1;
}

void chain_add(struct chain *t, struct chain_link *l)
{
    if (t->b == NULL)
        resize(t, 4);
    else if (t->n > t->mask)
        resize(t, (t->mask + 1) * 2);
    struct chain_link **head = &t->b[l->hash & t->mask];
    l->next = *head;
    *head = l;
    t->n++;
}

void chain_del(struct chain *t, struct chain_link *l)
{
    struct chain_link **p = &t->b[l->hash & t->mask];
    while (*p != l)
        p = &(*p)->next;
    *p = l->next;
    if (--t->n == 0) {
        rs_free(t->b);
        t->b = NULL;
        t->mask = 0;
    } else if (t->mask >= 64 && t->n < (t->mask + 1) / 8) {
        resize(t, (t->mask + 1) / 4);
    }
}

struct chain_link *chain_random(const struct chain *t, uint64_t r)
{
    if (t->n == 0)
        return NULL;
    uint64_t i = r & t->mask;
    while (t->b[i] == NULL)
        i = (i + 1) & t->mask;
    uint64_t len = 0;
    for (struct chain_link *l = t->b[i]; l; l = l->next)
        len++;
    struct chain_link *l = t->b[i];
    for (uint64_t k = (r >> 32) % len; k > 0; k--)
        l = l->next;
    return l;
}

void chain_drain(struct chain *t, void (*fn)(void *ud, struct chain_link *l), void *ud)
{
    struct chain all = *t;
    *t = (struct chain){NULL, 0, 0};
    chain_foreach(&all, fn, ud);
    rs_free(all.b);
}

void chain_foreach(const struct chain *t, void (*fn)(void *ud, struct chain_link *l), void *ud)
{
    for (uint64_t i = 0; t->b && i <= t->mask; i++)
        for (struct chain_link *l = t->b[i], *next; l; l = next) {
            next = l->next;
            fn(ud, l);
        }
}
