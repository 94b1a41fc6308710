/*
 * timeutil.h: the clock and the two date forms a memory carries.
 *
 * Timestamps are microseconds since the Unix epoch (int64).  created_at/updated_at are
 * written as ISO 8601 with microseconds and the local UTC offset
 * ("2026-11-24T22:16:00.123456+01:00"); expiration_date is a UTC calendar day
 * ("YYYY-MM-DD"), and a memory is expired once that day has passed in UTC.
 * MEM0_NOW (ISO 8601 or YYYY-MM-DD) overrides the clock, for tests and replays.
 */
#ifndef MEM0_TIMEUTIL_H
#define MEM0_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#define ISO_TIME_LEN 47

int64_t time_now_us(void);
/* Writes the ISO 8601 form of t (local offset) into out[ISO_TIME_LEN + 1]. */
void time_format_iso(int64_t t_us, char *out);
/* Parses ISO 8601 (date, date-time, fractional seconds, Z or +hh:mm / +hhmm) or a bare
 * YYYY-MM-DD (midnight UTC).  0 on success, -1 if malformed. */
int time_parse(const char *s, int64_t *t_us);
/* 1 if s is a valid calendar day "YYYY-MM-DD". */
int date_valid(const char *s);
/* Today's UTC day plus days into out[11]. */
void date_today_plus(int days, char out[11]);
/* 1 if expiration_date (YYYY-MM-DD) has passed in UTC at now_us; NULL/"" never expires. */
int date_expired(const char *expiration_date, int64_t now_us);
/* Days from the UTC day `date` to the UTC day of now_us (negative if date is ahead). */
long date_days_since(const char *date, int64_t now_us);
/* Monotonic milliseconds, for deadlines and durations. */
double time_mono_ms(void);

#endif
