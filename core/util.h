/*
 * util.h: small shared helpers of the core: error reporting, ids, hex, UTF-8 checks.
 *
 * Nothing here keeps state.  Functions that return allocated memory say so; the caller
 * frees it with free().
 */
#ifndef MEM0_UTIL_H
#define MEM0_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "mem0.h"

/* Fills err (if not NULL) with code and a printf-style message; returns code. */
int err_set(mem0_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Ids -------------------------------------------------------------------------- */

#define UUID_STR_LEN 36
/* A random UUID v4 (libsodium randomness): 16 bytes and its 36-char text form. */
void uuid_v4(uint8_t bin[16], char str[UUID_STR_LEN + 1]);
/* Parses the 36-char text form (either case); 0 on success, -1 if malformed. */
int uuid_parse(const char *str, uint8_t bin[16]);
void uuid_format(const uint8_t bin[16], char str[UUID_STR_LEN + 1]);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* ---- Text ------------------------------------------------------------------------- */

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int utf8_valid(const char *s, size_t n);
/* Length in bytes of the longest prefix of s, at most max bytes, that ends on a
 * character boundary (for truncating without splitting a character). */
size_t utf8_clip(const char *s, size_t max);
/* 1 if id is a usable entity id: 1..256 bytes, valid UTF-8, no control characters. */
int entity_id_valid(const char *id);

/* malloc'd copy, or NULL on allocation failure (s NULL gives NULL). */
char *xstrdup(const char *s);

/* ---- Growable buffer -------------------------------------------------------------- */

typedef struct strbuf {
    char *buf;   /* NUL-terminated; NULL until something is added */
    size_t len, cap;
    int oom;     /* set once an allocation failed; later adds are ignored */
} strbuf;

void sb_add(strbuf *sb, const char *s, size_t n);
void sb_adds(strbuf *sb, const char *s);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (free() it) and resets sb; "" if empty, NULL if oom. */
char *sb_detach(strbuf *sb);
void sb_free(strbuf *sb);

#endif
