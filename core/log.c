/*
 * log.c: the debug log (see log.h for the line format).
 *
 * Fields program, event and outcome are cleaned like the detail and cut at 128 bytes; an
 * empty or NULL one is written "-" so every line keeps its seven fields.  Invalid UTF-8
 * bytes become '?', so the file stays readable text.  Logging never fails its caller.
 */
#include "log.h"
#include "settings.h"
#include "util.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_DETAIL_MAX 1000
#define LOG_FIELD_MAX 128

int log_enabled(void)
{
    const char *v = getenv("MEM0_DEBUG");
    if (!v) return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t len = strlen(v);
    while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (len == 0 || (len == 1 && v[0] == '0') || (len == 5 && strncasecmp(v, "false", 5) == 0))
        return 0;
    return 1;
}

/* Appends at most max bytes of s to out (cap bytes, at *len) with control characters as
 * spaces and invalid UTF-8 as '?', never splitting a character. */
static void put_clean(char *out, size_t cap, size_t *len, const char *s, size_t max)
{
    size_t start = *len, n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t clen = 1;
        char sub = 0;
        if (c < 0x20 || c == 0x7f)
            sub = ' ';
        else if (c >= 0x80) {
            clen = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (i + clen > n || !utf8_valid(s + i, clen)) {
                clen = 1;
                sub = '?';
            }
        }
        size_t w = sub ? 1 : clen;
        if (*len - start + w > max || *len + w >= cap) break;
        if (sub)
            out[(*len)++] = sub;
        else {
            memcpy(out + *len, s + i, clen);
            *len += clen;
        }
        i += clen;
    }
}

static void put_field(char *out, size_t cap, size_t *len, const char *s)
{
    size_t before = *len;
    if (s) put_clean(out, cap, len, s, LOG_FIELD_MAX);
    if (*len == before && *len + 1 < cap) out[(*len)++] = '-';
}

static void put_raw(char *out, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + 1 >= cap) return;
    if (n > cap - *len - 1) n = cap - *len - 1;
    memcpy(out + *len, s, n);
    *len += n;
}

void log_event(const char *home, const char *program, const char *event, double duration_ms,
               const char *outcome, const char *detail_fmt, ...)
{
    char home_buf[4096], path[4200], detail[LOG_DETAIL_MAX * 4 + 1];
    /* Seven fields: four of at most 128 bytes, a detail of at most 1000, time and pid. */
    char line[4 * LOG_FIELD_MAX + LOG_DETAIL_MAX + 256];
    size_t len = 0;

    if (!log_enabled()) return;
    if (!home || !*home) {
        settings_home(home_buf, sizeof home_buf);
        home = home_buf;
    }
    if (settings_home_ensure(home, NULL) != 0) return;
    if ((size_t)snprintf(path, sizeof path, "%s/hooks.log", home) >= sizeof path) return;

    detail[0] = '\0';
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        vsnprintf(detail, sizeof detail, detail_fmt, ap);
        va_end(ap);
    }

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[64];
    size_t sl = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(stamp + sl, sizeof stamp - sl, ".%03dZ\t%ld\t", (int)(ts.tv_nsec / 1000000),
             (long)getpid());
    put_raw(line, sizeof line, &len, stamp);
    put_field(line, sizeof line, &len, program);
    put_raw(line, sizeof line, &len, "\t");
    put_field(line, sizeof line, &len, event);
    char dur[48];
    if (!(duration_ms >= 0) || duration_ms > 1e12) duration_ms = 0;
    snprintf(dur, sizeof dur, "\t%.2f\t", duration_ms);
    put_raw(line, sizeof line, &len, dur);
    put_field(line, sizeof line, &len, outcome);
    put_raw(line, sizeof line, &len, "\t");
    put_clean(line, sizeof line, &len, detail, LOG_DETAIL_MAX);
    line[len++] = '\n';

    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    /* One write per line: O_APPEND keeps concurrent writers' lines whole. */
    ssize_t w = write(fd, line, len);
    (void)w;
    close(fd);
}
