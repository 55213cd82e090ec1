/* SPDX-License-Identifier: BSD-3-Clause
 *
 * The server's log, in redis-server's line format:
 *   "<pid>:M 25 Nov 2026 18:42:02.123 * message"
 * with its level marks (. debug, - verbose, * notice, # warning).
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdio.h>

enum { SRV_LOG_DEBUG, SRV_LOG_VERBOSE, SRV_LOG_NOTICE, SRV_LOG_WARNING, SRV_LOG_NOTHING };

struct srv_log {
    FILE *f;     /* stdout or an opened logfile */
    int fd;      /* f's descriptor, for srv_log_from_handler */
    int level;   /* lines below it are dropped */
    int is_file;
};

/* Log to path (NULL or "" = standard output). Returns 0, or -1 if the file
 * cannot be opened (errno set). */
int srv_log_open(struct srv_log *log, int level, const char *path);
void srv_log_configure(struct srv_log *log, int level, const char *unused);
void srv_log_close(struct srv_log *log);
void srv_log(struct srv_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* From a signal handler (async-signal-safe: one write(2), no stdio), in
 * redis-server's form for it: "<pid>:signal-handler (<unix time>) msg".
 * srv_log flushes every line, so the two never interleave mid-line. */
void srv_log_from_handler(const struct srv_log *log, int level, const char *msg);

#endif
