/* rawjson.c: strict JSON checking and raw token spans (see rawjson.h). */
#include "rawjson.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ---- Validation: each v_* takes *i at the first byte and leaves it past the token ---- */

static int v_string(const char *s, size_t n, size_t *i)
{
    size_t p = *i + 1; /* past the opening quote */
    while (p < n) {
        unsigned char c = (unsigned char)s[p];
        if (c == '"') {
            *i = p + 1;
            return 0;
        }
        if (c < 0x20) return -1;
        if (c == '\\') {
            if (p + 1 >= n) return -1;
            char e = s[p + 1];
            if (e == 'u') {
                if (p + 6 > n) return -1;
                for (size_t k = 2; k < 6; k++)
                    if (!is_hex(s[p + k])) return -1;
                p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0') return -1;
            p += 2;
            continue;
        }
        p++;
    }
    return -1;
}

static int v_number(const char *s, size_t n, size_t *i)
{
    size_t p = *i;
    if (p < n && s[p] == '-') p++;
    if (p >= n || !is_digit(s[p])) return -1;
    if (s[p] == '0') {
        p++;
    } else {
        while (p < n && is_digit(s[p]))
            p++;
    }
    if (p < n && s[p] == '.') {
        p++;
        if (p >= n || !is_digit(s[p])) return -1;
        while (p < n && is_digit(s[p]))
            p++;
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= n || !is_digit(s[p])) return -1;
        while (p < n && is_digit(s[p]))
            p++;
    }
    *i = p;
    return 0;
}

static int v_literal(const char *s, size_t n, size_t *i, const char *word)
{
    size_t len = strlen(word);
    if (n - *i < len || memcmp(s + *i, word, len) != 0) return -1;
    *i += len;
    return 0;
}

static int v_value(const char *s, size_t n, size_t *i, int depth);

static int v_container(const char *s, size_t n, size_t *i, int depth)
{
    char close = s[*i] == '{' ? '}' : ']';
    int is_object = close == '}';
    size_t p = skip_ws(s, n, *i + 1);
    if (depth >= RAWJSON_MAX_DEPTH) return -1;
    if (p < n && s[p] == close) {
        *i = p + 1;
        return 0;
    }
    for (;;) {
        if (is_object) {
            if (p >= n || s[p] != '"' || v_string(s, n, &p) != 0) return -1;
            p = skip_ws(s, n, p);
            if (p >= n || s[p] != ':') return -1;
            p = skip_ws(s, n, p + 1);
        }
        if (v_value(s, n, &p, depth + 1) != 0) return -1;
        p = skip_ws(s, n, p);
        if (p < n && s[p] == ',') {
            p = skip_ws(s, n, p + 1);
            continue;
        }
        if (p < n && s[p] == close) {
            *i = p + 1;
            return 0;
        }
        return -1;
    }
}

static int v_value(const char *s, size_t n, size_t *i, int depth)
{
    if (*i >= n) return -1;
    switch (s[*i]) {
    case '"':
        return v_string(s, n, i);
    case '{':
    case '[':
        return v_container(s, n, i, depth);
    case 't':
        return v_literal(s, n, i, "true");
    case 'f':
        return v_literal(s, n, i, "false");
    case 'n':
        return v_literal(s, n, i, "null");
    default:
        return v_number(s, n, i);
    }
}

int rawjson_validate(const char *s, size_t n)
{
    size_t i = skip_ws(s, n, 0);
    if (v_value(s, n, &i, 0) != 0) return -1;
    return skip_ws(s, n, i) == n ? 0 : -1;
}

/* ---- Spans over text already known to be valid ---------------------------------------- */

/* Index just past the string starting at s[i] == '"'. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

/* Index just past the valid value starting at s[i]. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n) return n;
    if (s[i] == '"') return skip_string(s, n, i);
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = skip_string(s, n, i);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    while (i < n && !strchr(",]} \t\r\n", s[i]))
        i++;
    return i;
}

int rawjson_member(const char *s, size_t n, const char *key, rawspan *out)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{') return -1;
    i = skip_ws(s, n, i + 1);
    while (i < n && s[i] == '"') {
        size_t kend = skip_string(s, n, i);
        int match = kend - i == klen + 2 && memcmp(s + i + 1, key, klen) == 0;
        i = skip_ws(s, n, kend);
        i = skip_ws(s, n, i + 1); /* past ':' */
        size_t vend = skip_value(s, n, i);
        if (match) {
            out->off = i;
            out->len = vend - i;
            return 0;
        }
        i = skip_ws(s, n, vend);
        if (i < n && s[i] == ',')
            i = skip_ws(s, n, i + 1);
        else
            break;
    }
    return -1;
}

int rawjson_array_next(const char *s, size_t n, size_t *pos, rawspan *item)
{
    size_t i = *pos;
    if (i == 0) {
        i = skip_ws(s, n, 0);
        if (i >= n || s[i] != '[') return 0;
        i = skip_ws(s, n, i + 1);
    } else {
        i = skip_ws(s, n, i);
        if (i >= n || s[i] != ',') return 0;
        i = skip_ws(s, n, i + 1);
    }
    if (i >= n || s[i] == ']') return 0;
    size_t end = skip_value(s, n, i);
    item->off = i;
    item->len = end - i;
    *pos = end;
    return 1;
}
