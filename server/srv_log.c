/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Log lines in redis-server's format (see srv_log.h).
 */
#include <stdarg.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "srv_log.h"

int srv_log_open(struct srv_log *log, int level, const char *path)
{
    log->level = level;
    log->is_file = path && path[0];
    log->f = log->is_file ? fopen(path, "a") : stdout;
    return log->f ? 0 : -1;
}

void srv_log_configure(struct srv_log *log, int level, const char *unused)
{
    (void)unused;
    log->level = level;
}

void srv_log_close(struct srv_log *log)
{
    if (log->is_file && log->f)
        fclose(log->f);
    log->f = NULL;
}

void srv_log(struct srv_log *log, int level, const char *fmt, ...)
{
    if (log->f == NULL || level < log->level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    localtime_r(&tv.tv_sec, &tm);
    char when[64];
    size_t n = strftime(when, sizeof when, "%d %b %Y %H:%M:%S.", &tm);
    snprintf(when + n, sizeof when - n, "%03d", (int)(tv.tv_usec / 1000));
    fprintf(log->f, "%d:M %s %c ", (int)getpid(), when, ".-*#"[level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log->f, fmt, ap);
    va_end(ap);
    fputc('\n', log->f);
    fflush(log->f);
}
