/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Keyspace notifications, as Redis 7.4's notify.c: the parsing and printing
 * of notify-keyspace-events, and the publication of one event on its two
 * channels through the pub/sub hook (ks_publish). Commands call ks_notify
 * (keyspace.h) where Redis calls notifyKeyspaceEvent; the test of the
 * class is inline there, so that nothing here runs while notifications
 * are off.
 */
#include <string.h>

#include "keyspace/keyspace.h"
#include "ds/mem.h"
#include "resp_num.h"

/* The letters of the classes, in the order Redis prints them (after A's). */
static const struct {
    char c;
    int flag;
} classes[] = {
    {'g', NOTIFY_GENERIC}, {'$', NOTIFY_STRING}, {'l', NOTIFY_LIST},    {'s', NOTIFY_SET},
    {'h', NOTIFY_HASH},    {'z', NOTIFY_ZSET},   {'x', NOTIFY_EXPIRED}, {'e', NOTIFY_EVICTED},
    {'t', NOTIFY_STREAM},  {'d', NOTIFY_MODULE}, {'n', NOTIFY_NEW},     {'K', NOTIFY_KEYSPACE},
    {'E', NOTIFY_KEYEVENT}, {'m', NOTIFY_KEY_MISS},
};
#define NCLASSES (sizeof classes / sizeof classes[0])
#define NCLASSES_IN_A 11 /* the first 11 print as A when all of NOTIFY_ALL is set */

int ks_notify_parse(const char *s)
{
    int flags = 0;
    for (; *s; s++) {
        if (*s == 'A') {
            flags |= NOTIFY_ALL;
            continue;
        }
        size_t i = 0;
        while (i < NCLASSES && classes[i].c != *s)
            i++;
        if (i == NCLASSES)
            return -1;
        flags |= classes[i].flag;
    }
    return flags;
}

void ks_notify_format(int flags, char *buf)
{
    size_t n = 0, i = 0;
    if ((flags & NOTIFY_ALL) == NOTIFY_ALL) {
        buf[n++] = 'A';
        i = NCLASSES_IN_A; /* A swallows n too, as Redis prints it */
    }
    for (; i < NCLASSES; i++)
        if (flags & classes[i].flag)
            buf[n++] = classes[i].c;
    buf[n] = '\0';
}

/* "__keyspace@<db>__:" and "__keyevent@<db>__:" differ in the 5 bytes
 * after "__key". */
#define PREFIX_MAX (sizeof "__keyspace@" - 1 + 11 + sizeof "__:" - 1)

void ks__notify(struct db *db, int type, const char *event, struct rs_str key)
{
    (void)type; /* tested inline by ks_notify */
    struct store *st = db->st;
    int flags = st->cfg.notify_mask;
    size_t elen = strlen(event);
    size_t need = PREFIX_MAX + (key.len > elen ? key.len : elen);
    char stack[PREFIX_MAX + 200];
    char *buf = need <= sizeof stack ? stack : rs_malloc(need);
    memcpy(buf, "__keyspace@", 11);
    size_t n = 11 + (size_t)resp_ll2str(buf + 11, db->idx);
    memcpy(buf + n, "__:", 3);
    n += 3;
    struct rs_str ev = rs_str_from(event, elen);
    struct ks_event about = {key, false};
    if (flags & NOTIFY_KEYSPACE) {
        memcpy(buf + n, key.p, key.len);
        ks_publish(st, rs_str_from(buf, n + key.len), ev, &about);
    }
    if (flags & NOTIFY_KEYEVENT) {
        memcpy(buf + 5, "event", 5);
        memcpy(buf + n, event, elen);
        ks_publish(st, rs_str_from(buf, n + elen), key, &about);
    }
    if (buf != stack)
        rs_free(buf);
}
