/* timeutil.c: the clock, ISO 8601 timestamps and UTC calendar days (see timeutil.h). */
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_now_us(void)
{
    const char *fake = getenv("MEM0_NOW");
    int64_t t;
    if (fake && *fake && time_parse(fake, &t) == 0)
        return t;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void time_format_iso(int64_t t_us, char *out)
{
    time_t secs = (time_t)floor_div(t_us, 1000000);
    long us = (long)(t_us - (int64_t)secs * 1000000);
    struct tm tm;
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, ISO_TIME_LEN + 1, "%.19s.%06ld%c%02d:%02d", date, us % 1000000, sign,
             (int)(off / 60 % 24), (int)(off % 60));
}

/* Reads exactly n digits at *p into *v and advances *p; -1 if they are not digits. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

int time_parse(const char *s, int64_t *t_us)
{
    if (!s)
        return -1;
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    long frac_us = 0, off_s = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                long scale = 100000;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p)) {
                    frac_us += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            off_s = sign * (oh * 3600L + om * 60L);
        }
    }
    if (*p)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t secs = timegm(&tm);
    *t_us = ((int64_t)secs - off_s) * 1000000 + frac_us;
    return 0;
}

int date_valid(const char *s)
{
    int64_t t;
    return s && strlen(s) == 10 && time_parse(s, &t) == 0;
}

void date_today_plus(int days, char out[11])
{
    time_t secs = (time_t)floor_div(time_now_us(), 1000000) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

long date_days_since(const char *date, int64_t now_us)
{
    int64_t t;
    if (time_parse(date, &t) != 0)
        return 0;
    return (long)(floor_div(now_us, 86400000000LL) - floor_div(t, 86400000000LL));
}

int date_expired(const char *expiration_date, int64_t now_us)
{
    if (!expiration_date || !*expiration_date)
        return 0;
    int64_t t;
    if (time_parse(expiration_date, &t) != 0)
        return 0;
    return date_days_since(expiration_date, now_us) > 0;
}
