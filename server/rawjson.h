/*
 * rawjson.h: strict JSON checking and raw token spans over the bytes of one message.
 *
 * cJSON is the parser; this module exists for two things it does not do: accept only
 * RFC 8259 JSON (cJSON takes "1." or raw control characters in strings, which would make
 * an echoed id invalid JSON on our stdout), and hand back the exact text of a token, so a
 * request id such as 9007199254740993 is echoed digit for digit instead of through a
 * double.  Spans index the caller's buffer; nothing is allocated.
 */
#ifndef MEM0_RAWJSON_H
#define MEM0_RAWJSON_H

#include <stddef.h>

#define RAWJSON_MAX_DEPTH 512

typedef struct rawspan {
    size_t off, len;
} rawspan;

/* 0 if s[0..n) is exactly one JSON value (whitespace around it allowed) nested at most
 * RAWJSON_MAX_DEPTH deep, -1 otherwise.  UTF-8 validity is the caller's check. */
int rawjson_validate(const char *s, size_t n);

/* For s[0..n) a valid JSON object: the span of the value of its first member whose key
 * is exactly `key` (unescaped keys only); 0 if found, -1 if not (or not an object). */
int rawjson_member(const char *s, size_t n, const char *key, rawspan *out);

/* Iterates the elements of the valid JSON array s[0..n).  *pos starts at 0; each call
 * stores the next element's span and returns 1, or returns 0 when there are no more. */
int rawjson_array_next(const char *s, size_t n, size_t *pos, rawspan *item);

#endif
