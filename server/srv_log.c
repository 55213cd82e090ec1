/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Log lines in redis-server's format (see srv_log.h).
 */
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "srv_log.h"

int srv_log_open(struct srv_log *log, int level, const char *path)
{
    log->level = level;
    log->is_file = path && path[0];
    log->f = log->is_file ? fopen(path, "a") : stdout;
    log->fd = log->f ? fileno(log->f) : -1;
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
    log->fd = -1;
}

/* Write v in decimal at the end of buf[0..*n). */
static void put_num(char *buf, size_t *n, long long v)
{
    char digits[24];
    int k = 0;
    unsigned long long u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
    do
        digits[k++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        buf[(*n)++] = '-';
    while (k > 0)
        buf[(*n)++] = digits[--k];
}

void srv_log_from_handler(const struct srv_log *log, int level, const char *msg)
{
    if (log->fd < 0 || level < log->level)
        return;
    char line[256];
    size_t n = 0;
    put_num(line, &n, (long long)getpid());
    static const char mid[] = ":signal-handler (";
    memcpy(line + n, mid, sizeof mid - 1);
    n += sizeof mid - 1;
    put_num(line, &n, (long long)time(NULL));
    line[n++] = ')';
    line[n++] = ' ';
    size_t len = strlen(msg);
    if (len > sizeof line - n - 1)
        len = sizeof line - n - 1;
    memcpy(line + n, msg, len);
    n += len;
    line[n++] = '\n';
    ssize_t w = write(log->fd, line, n);
    (void)w; /* nothing to do about a log that cannot be written */
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
