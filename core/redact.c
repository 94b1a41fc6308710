/*
 * redact.c: <private> spans and secret placeholders (see redact.h).
 *
 * Two hand-written passes over the bytes.  The first cuts <private>...</private> spans; the
 * second looks for secrets only where a word starts (a word is a run of [A-Za-z0-9_-]) and
 * either consumes what it examined or examined a bounded amount, so texts of hundreds of
 * KiB are cleaned in linear time.  Only ASCII bytes are ever removed or inserted at the
 * edges of a match, so valid UTF-8 stays valid UTF-8.
 */
#include "redact.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* ---- Character classes (ASCII only, independent of the locale) --------------------- */

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int is_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static int is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}
static int is_alpha(int c)
{
    return is_upper(c) || is_lower(c);
}
static int is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}
/* Word characters; also the base64url alphabet of JWTs and most token formats. */
static int is_word(int c)
{
    return is_alnum(c) || c == '_' || c == '-';
}
static int is_upper_alnum(int c)
{
    return is_upper(c) || is_digit(c);
}
static int is_hspace(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}
static int is_space(int c)
{
    return is_hspace(c) || c == '\n';
}
/* Characters of a bearer or basic credential (RFC 6750 b64token). */
static int is_cred(int c)
{
    return is_alnum(c) || (c && strchr("-._~+/=", c));
}
static int is_b64(int c)
{
    return is_alnum(c) || c == '+' || c == '/' || c == '=';
}
static int lower(int c)
{
    return is_upper(c) ? c + 32 : c;
}

/* End of the run of class cls starting at i. */
static size_t run_end(const char *s, size_t n, size_t i, int (*cls)(int))
{
    while (i < n && cls((unsigned char)s[i]))
        i++;
    return i;
}

/* 1 if s[i..n) starts with lit, ignoring ASCII case. */
static int ci_at(const char *s, size_t n, size_t i, const char *lit)
{
    for (; *lit; lit++, i++)
        if (i >= n || lower((unsigned char)s[i]) != lower((unsigned char)*lit)) return 0;
    return 1;
}

static int at(const char *s, size_t n, size_t i, const char *lit)
{
    size_t len = strlen(lit);
    return i + len <= n && memcmp(s + i, lit, len) == 0;
}

/* ---- <private> spans ---------------------------------------------------------------- */

/* Length of a "<private>" (*open = 1) or "</private>" (*open = 0) tag at s[i], else 0. */
static size_t private_tag(const char *s, size_t n, size_t i, int *open)
{
    size_t j = i + 1;
    *open = 1;
    if (j < n && s[j] == '/') {
        *open = 0;
        j++;
    }
    if (!ci_at(s, n, j, "private")) return 0;
    j = run_end(s, n, j + 7, is_hspace);
    if (j >= n || s[j] != '>') return 0;
    return j + 1 - i;
}

static void trim_trailing_hspace(strbuf *out)
{
    while (out->len > 0 && is_hspace((unsigned char)out->buf[out->len - 1]))
        out->len--;
    if (out->buf) out->buf[out->len] = '\0';
}

/* After a cut, drops the whitespace that would otherwise double up: "a <private>x</private>
 * b" reads "a b", a span alone on its line leaves no empty line, and nothing dangles at the
 * start or end of the text.  *jp is the input position after the cut. */
static void collapse_after_cut(strbuf *out, const char *s, size_t n, size_t *jp)
{
    size_t j = *jp;
    if (out->len == 0) {
        /* Nothing kept yet: drop the blank lines, keep the next line's indentation. */
        size_t k = run_end(s, n, j, is_space), nl = k;
        while (nl > j && s[nl - 1] != '\n')
            nl--;
        j = nl > j && k < n ? nl : k;
    } else if (j >= n) {
        trim_trailing_hspace(out);
    } else {
        char prev = out->buf[out->len - 1];
        if (is_hspace((unsigned char)prev)) {
            j = run_end(s, n, j, is_hspace);
            if (j >= n || s[j] == '\n') trim_trailing_hspace(out);
        } else if (prev == '\n') {
            size_t k = run_end(s, n, j, is_hspace);
            if (k >= n)
                j = k;
            else if (s[k] == '\n')
                j = k + 1;
        }
    }
    *jp = j;
}

/* Copies s to out without its private spans; nested tags count, an unclosed span runs to
 * the end, a stray closing tag is dropped. */
static void strip_private(const char *s, size_t n, strbuf *out, int *spans)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t k = lt ? (size_t)(lt - s) : n;
        sb_add(out, s + i, k - i);
        if (k >= n) break;
        int open;
        size_t len = private_tag(s, n, k, &open);
        if (!len) {
            sb_add(out, "<", 1);
            i = k + 1;
            continue;
        }
        size_t j = k + len;
        if (open) {
            int depth = 1;
            while (depth > 0 && j < n) {
                lt = memchr(s + j, '<', n - j);
                if (!lt) {
                    j = n;
                    break;
                }
                j = (size_t)(lt - s);
                len = private_tag(s, n, j, &open);
                if (!len) {
                    j++;
                    continue;
                }
                depth += open ? 1 : -1;
                j += len;
            }
            (*spans)++;
        }
        collapse_after_cut(out, s, n, &j);
        i = j;
    }
}

/* ---- Token formats ------------------------------------------------------------------- */

/* Each matcher looks at s[i..n), i being a word start, and returns the end of the secret
 * (exclusive) or 0.  They examine at most the word at i and the two words after it. */
typedef size_t (*token_fn)(const char *s, size_t n, size_t i);

/* 1 if the text looks generated rather than written: a digit, or both letter cases. */
static int looks_random(const char *s, size_t a, size_t b)
{
    int up = 0, low = 0;
    for (size_t k = a; k < b; k++) {
        int c = (unsigned char)s[k];
        if (is_digit(c)) return 1;
        up |= is_upper(c);
        low |= is_lower(c);
    }
    return up && low;
}

static size_t m_aws(const char *s, size_t n, size_t i)
{
    if (!at(s, n, i, "AKIA") && !at(s, n, i, "ASIA")) return 0;
    size_t e = run_end(s, n, i + 4, is_upper_alnum);
    if (e != i + 20 || (e < n && is_alnum((unsigned char)s[e]))) return 0;
    return e;
}

static size_t m_github(const char *s, size_t n, size_t i)
{
    if (at(s, n, i, "github_pat_")) {
        size_t e = run_end(s, n, i + 11, is_word);
        return e - (i + 11) >= 22 ? e : 0;
    }
    if (!at(s, n, i, "gh") || i + 4 > n || !strchr("pousr", s[i + 2]) || s[i + 3] != '_') return 0;
    size_t e = run_end(s, n, i + 4, is_alnum);
    return e - (i + 4) >= 36 ? e : 0;
}

/* OpenAI and Anthropic style: sk-..., sk-proj-..., sk-ant-... */
static size_t m_sk(const char *s, size_t n, size_t i)
{
    static const char *const kinds[] = {"proj-", "ant-", "svcacct-", "admin-"};
    if (!at(s, n, i, "sk-")) return 0;
    size_t b = i + 3;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (at(s, n, b, kinds[k])) {
            b += strlen(kinds[k]);
            break;
        }
    size_t e = run_end(s, n, b, is_word);
    return e - b >= 20 && looks_random(s, b, e) ? e : 0;
}

static size_t m_slack(const char *s, size_t n, size_t i)
{
    if (!at(s, n, i, "xox") || i + 5 > n || !strchr("abprse", s[i + 3]) || s[i + 4] != '-')
        return 0;
    size_t e = run_end(s, n, i + 5, is_word);
    return e - (i + 5) >= 10 ? e : 0;
}

static size_t m_google(const char *s, size_t n, size_t i)
{
    if (!at(s, n, i, "AIza")) return 0;
    size_t e = run_end(s, n, i + 4, is_word);
    return e == i + 39 ? e : 0;
}

static size_t m_stripe(const char *s, size_t n, size_t i)
{
    static const char *const prefixes[] = {"sk_live_", "rk_live_", "pk_live_", "sk_test_",
                                           "rk_test_"};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++)
        if (at(s, n, i, prefixes[k])) {
            size_t e = run_end(s, n, i + 8, is_alnum);
            return e - (i + 8) >= 16 ? e : 0;
        }
    return 0;
}

/* Mem0's own platform keys ("m0-" + 40 characters). */
static size_t m_mem0(const char *s, size_t n, size_t i)
{
    if (!at(s, n, i, "m0-")) return 0;
    size_t e = run_end(s, n, i + 3, is_alnum);
    return e - (i + 3) >= 32 && looks_random(s, i + 3, e) ? e : 0;
}

/* header.payload.signature, each base64url; the header is JSON, so it starts "eyJ". */
static size_t m_jwt(const char *s, size_t n, size_t i)
{
    if (!at(s, n, i, "eyJ")) return 0;
    size_t e1 = run_end(s, n, i, is_word);
    if (e1 - i < 10 || e1 >= n || s[e1] != '.') return 0;
    size_t e2 = run_end(s, n, e1 + 1, is_word);
    if (e2 - (e1 + 1) < 10 || e2 >= n || s[e2] != '.') return 0;
    size_t e3 = run_end(s, n, e2 + 1, is_word);
    return e3 - (e2 + 1) >= 8 ? e3 : 0;
}

static const struct {
    token_fn fn;
    const char *kind;
} token_formats[] = {
    {m_aws, "aws_access_key"},
    {m_github, "github_token"},
    {m_sk, "api_key"},
    {m_slack, "slack_token"},
    {m_google, "google_api_key"},
    {m_stripe, "stripe_key"},
    {m_mem0, "mem0_api_key"},
    {m_jwt, "jwt"},
};

/* The kind of the token that fills exactly s[a..b), or NULL. */
static const char *token_kind(const char *s, size_t a, size_t b)
{
    for (size_t k = 0; k < sizeof token_formats / sizeof token_formats[0]; k++)
        if (token_formats[k].fn(s, b, a) == b) return token_formats[k].kind;
    return NULL;
}

/* ---- Assignments ---------------------------------------------------------------------- */

/* Key words that make an assignment secret, first match wins. */
static const struct {
    const char *word, *kind;
} secret_words[] = {
    {"aws_secret_access_key", "aws_secret_key"},
    {"client_secret", "client_secret"},
    {"private_key", "private_key"},
    {"access_key", "access_key"},
    {"api_key", "api_key"},
    {"apikey", "api_key"},
    {"password", "password"},
    {"passphrase", "password"},
    {"passwd", "password"},
    {"pwd", "password"},
    {"secret", "secret"},
    {"token", "token"},
};

/* What a key may end with after its secret word and still name something harmless:
 * token_count, password_min_length, secret_name, api_key_file... */
static const char *const harmless_tails[] = {
    "file",   "path",   "dir",      "length", "len",      "minlength", "maxlength", "count",
    "size",   "type",   "name",     "id",     "ids",      "url",       "uri",       "endpoint",
    "limit",  "min",    "max",      "ttl",    "expiry",   "expires",   "expiresat", "expiresin",
    "header", "field",  "prompt",   "env",    "var",      "policy",    "rotation",  "hint",
    "label",  "format", "encoding", "usage",  "required", "enabled",   "algorithm", "version",
};

#define KEY_MAX 128

/* The kind of secret a key name announces, or NULL.  The secret word must end where a
 * word part ends ("db_password", "apiKey", "TOKEN"; not "tokenizer" or "max_tokens"). */
static const char *key_kind(const char *key, size_t len)
{
    char norm[KEY_MAX + 1];
    if (len == 0 || len > KEY_MAX) return NULL;
    for (size_t k = 0; k < len; k++)
        norm[k] = key[k] == '-' ? '_' : (char)lower((unsigned char)key[k]);
    norm[len] = '\0';
    if (!strcmp(norm, "pwd") || !strcmp(norm, "oldpwd")) /* shell working directories */
        return NULL;
    for (size_t w = 0; w < sizeof secret_words / sizeof secret_words[0]; w++) {
        size_t wl = strlen(secret_words[w].word);
        for (const char *p = strstr(norm, secret_words[w].word); p;
             p = strstr(p + 1, secret_words[w].word)) {
            size_t after = (size_t)(p - norm) + wl;
            if (after < len) {
                int c = (unsigned char)key[after];
                int camel = is_upper(c) && is_lower((unsigned char)key[after - 1]);
                if (is_alpha(c) && !camel) continue;
            }
            char tail[KEY_MAX + 1];
            size_t tl = 0;
            for (size_t k = after; k < len; k++)
                if (is_alpha((unsigned char)norm[k])) tail[tl++] = norm[k];
            tail[tl] = '\0';
            int harmless = 0;
            for (size_t h = 0; tl && h < sizeof harmless_tails / sizeof harmless_tails[0]; h++)
                harmless |= !strcmp(tail, harmless_tails[h]);
            if (!harmless) return secret_words[w].kind;
        }
    }
    return NULL;
}

/* 1 if the value at v (len bytes, len >= 1) begins like a reference or a structure rather
 * than a secret: $VAR, ${VAR}, $(cmd), {{ var }}, <your-key>, [REDACTED:...], %s. */
static int starts_reference(const char *v, size_t len)
{
    int c = (unsigned char)v[0];
    if (c == '{' || c == '[' || c == '(' || c == '<' || c == '%') return 1;
    return c == '$' && len > 1 &&
           (v[1] == '{' || v[1] == '(' || is_upper((unsigned char)v[1]) || v[1] == '_');
}

/* 1 if value[0..len) is a stand-in rather than a secret: empty, masked ("****"), a word
 * like null or none, a reference or a placeholder (see starts_reference). */
static int value_is_standin(const char *v, size_t len)
{
    /* Also the type names of annotations: "password: string", "token: str". */
    static const char *const words[] = {
        "null",   "none",     "nil",      "true",   "false",   "undefined", "redacted",
        "hidden", "required", "optional", "string", "str",     "number",    "int",
        "bool",   "boolean",  "bytes",    "any",    "unknown", "secretstr", "char"};
    if (len == 0 || starts_reference(v, len)) return 1;
    size_t masked = 0;
    for (size_t k = 0; k < len; k++)
        masked += v[k] == '*' || v[k] == 'x' || v[k] == 'X' || v[k] == '.';
    if (masked == len) return 1;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++)
        if (strlen(words[w]) == len && ci_at(v, len, 0, words[w])) return 1;
    return 0;
}

/* 1 if v[0..len) is a lowercase dotted name such as config.api_key or self.password: in
 * code, the value of an assignment, not a secret. */
static int is_code_path(const char *v, size_t len)
{
    int dots = 0, seg = 0;
    for (size_t k = 0; k < len; k++) {
        int c = (unsigned char)v[k];
        if (c == '.') {
            if (!seg) return 0;
            dots++;
            seg = 0;
        } else if (is_lower(c) || c == '_' || (seg && is_digit(c))) {
            seg++;
        } else {
            return 0;
        }
    }
    return dots > 0 && seg > 0;
}

/* Ends an unquoted value. */
static int ends_value(int c)
{
    return is_space(c) || (c && strchr("\"'`,;&)]}<>\\", c));
}

/* ---- The secret scanner ---------------------------------------------------------------- */

typedef struct scan {
    const char *s;
    size_t n;
    strbuf *out;
    int secrets;
    /* The first "-----END " at or after pem_from is at pem_end (n: none), which keeps
     * the search for the end of private-key blocks linear. */
    size_t pem_from, pem_end;
    int pem_known;
} scan;

static void emit_secret(scan *sc, const char *kind)
{
    sb_adds(sc->out, "[REDACTED:");
    sb_adds(sc->out, kind);
    sb_adds(sc->out, "]");
    sc->secrets++;
}

/* Copies s[i..a), writes the placeholder and returns b, the end of the secret. */
static size_t replace(scan *sc, size_t i, size_t a, size_t b, const char *kind)
{
    sb_add(sc->out, sc->s + i, a - i);
    emit_secret(sc, kind);
    return b;
}

static size_t pem_find_end(scan *sc, size_t from)
{
    if (sc->pem_known && sc->pem_from <= from && from <= sc->pem_end) return sc->pem_end;
    const char *p = memmem(sc->s + from, sc->n - from, "-----END ", 9);
    sc->pem_from = from;
    sc->pem_end = p ? (size_t)(p - sc->s) : sc->n;
    sc->pem_known = 1;
    return sc->pem_end;
}

/* "-----BEGIN <label>-----" with "PRIVATE KEY" in the label: the whole block goes, through
 * the matching END line, or through the base64 lines that follow if the END is missing. */
static size_t m_pem(scan *sc, size_t i)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (!at(s, n, i, "-----BEGIN ")) return 0;
    size_t lb = i + 11, le = lb;
    while (le < n && le - lb < 64 && (is_upper((unsigned char)s[le]) || s[le] == ' '))
        le++;
    if (!at(s, n, le, "-----") || !memmem(s + lb, le - lb, "PRIVATE KEY", 11)) return 0;
    size_t body = le + 5;
    size_t end = pem_find_end(sc, body);
    if (end < n && end + 9 + (le - lb) + 5 <= n && memcmp(s + end + 9, s + lb, le - lb) == 0 &&
        at(s, n, end + 9 + (le - lb), "-----"))
        return end + 9 + (le - lb) + 5;
    /* No END: take the lines that are all base64. */
    size_t j = body;
    while (j < n) {
        size_t line = run_end(s, n, j, is_hspace);
        if (line < n && s[line] == '\n') line++;
        size_t e = run_end(s, n, line, is_b64);
        size_t t = run_end(s, n, e, is_hspace);
        if (e == line || (t < n && s[t] != '\n')) break;
        j = t;
    }
    return j;
}

/* "Authorization: Bearer <cred>" (also Token and Basic, quoted or as JSON). */
static size_t m_authorization(scan *sc, size_t i, size_t wend)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (wend - i < 13 || !ci_at(s, n, wend - 13, "authorization")) return 0;
    size_t j = wend;
    if (j < n && s[j] == '\\') j++;
    if (j < n && (s[j] == '"' || s[j] == '\'')) j++;
    j = run_end(s, n, j, is_hspace);
    if (j >= n || (s[j] != ':' && s[j] != '=')) return 0;
    j = run_end(s, n, j + 1, is_hspace);
    if (j < n && s[j] == '\\') j++;
    if (j < n && (s[j] == '"' || s[j] == '\'')) j++;
    const char *kind;
    size_t scheme = run_end(s, n, j, is_alpha);
    if (scheme - j == 6 && ci_at(s, n, j, "bearer"))
        kind = "bearer_token";
    else if (scheme - j == 5 && ci_at(s, n, j, "token"))
        kind = "bearer_token";
    else if (scheme - j == 5 && ci_at(s, n, j, "basic"))
        kind = "basic_auth";
    else
        return 0;
    size_t a = run_end(s, n, scheme, is_hspace);
    size_t b = run_end(s, n, a, is_cred);
    if (a == scheme || b == a) return 0;
    return replace(sc, i, a, b, kind);
}

/* "Bearer <token>" anywhere: only a long token that looks generated, so prose about
 * bearer tokens is left alone. */
static size_t m_bearer(scan *sc, size_t i, size_t wend)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (wend - i != 6 || !ci_at(s, n, i, "bearer")) return 0;
    size_t a = run_end(s, n, wend, is_hspace);
    size_t b = run_end(s, n, a, is_cred);
    if (a == wend || b - a < 20 || !looks_random(s, a, b)) return 0;
    return replace(sc, i, a, b, "bearer_token");
}

/* scheme://user:password@host: the password goes. */
static size_t m_url_password(scan *sc, size_t i, size_t wend)
{
    const char *s = sc->s;
    size_t n = sc->n;
    if (!at(s, n, wend, "://")) return 0;
    size_t a = wend + 3, colon = 0, k = a;
    for (; k < n && !is_space((unsigned char)s[k]) && !strchr("/@?#\"'<>`", s[k]); k++)
        if (s[k] == ':' && !colon) colon = k;
    if (k >= n || s[k] != '@' || !colon || value_is_standin(s + colon + 1, k - colon - 1)) return 0;
    const char *kind = token_kind(s, colon + 1, k);
    return replace(sc, i, colon + 1, k, kind ? kind : "password");
}

/* key=value, key: value, "key": "value", key => value, --key value, --key=value, where
 * the key names a secret.  Only the value is replaced. */
static size_t m_assignment(scan *sc, size_t i, size_t wend)
{
    const char *s = sc->s;
    size_t n = sc->n;
    const char *kind = key_kind(s + i, wend - i);
    if (!kind) return 0;
    int key_quoted = i > 0 && (s[i - 1] == '"' || s[i - 1] == '\'');
    size_t j = wend;
    if (j + 1 < n && s[j] == '\\' && s[j + 1] == '"')
        j += 2;
    else if (j < n && (s[j] == '"' || s[j] == '\''))
        j++;
    size_t sep = run_end(s, n, j, is_hspace);
    int colon = 0;
    if (at(s, n, sep, "=>") || at(s, n, sep, ":=") || at(s, n, sep, "=="))
        j = sep + 2;
    else if (sep < n && s[sep] == '=')
        j = sep + 1;
    else if (sep < n && s[sep] == ':' && !at(s, n, sep, "://") && !at(s, n, sep, "::")) {
        j = sep + 1;
        colon = 1;
    } else if (at(s, n, i, "--") && sep > j && sep < n && s[sep] != '-')
        j = sep; /* --password value */
    else
        return 0;
    j = run_end(s, n, j, is_hspace);
    if (j >= n) return 0;

    size_t a, b;
    int quoted = 1, escaped = 0; /* escaped: \"value\" inside JSON text */
    if (s[j] == '\\' && j + 1 < n && s[j + 1] == '"') {
        escaped = 1;
        a = j + 2;
    } else if (s[j] == '"' || s[j] == '\'' || s[j] == '`') {
        a = j + 1;
    } else {
        quoted = 0;
        a = j;
    }
    /* What the value starts with and whether it is code are decided within a bounded
     * look, so a long run like "k=$k=$k..." or "k=f(k=f(..." is not rescanned per key. */
    if (a >= n || starts_reference(s + a, a + 2 <= n ? 2 : 1)) return 0;
    if (!quoted) {
        for (b = a; b < n && b - a < 64 && !ends_value((unsigned char)s[b]); b++)
            if (s[b] == '(' || s[b] == '[') return 0; /* password = getpass() */
    }
    b = a;
    if (escaped) {
        while (b < n && s[b] != '"' && s[b] != '\\' && s[b] != '\n')
            b++;
    } else if (quoted) {
        char q = s[j];
        while (b < n && s[b] != q && s[b] != '\n')
            b += (q == '"' && s[b] == '\\' && b + 1 < n && s[b + 1] != '\n') ? 2 : 1;
    } else {
        if (ends_value((unsigned char)s[a])) return 0;
        while (b < n && !ends_value((unsigned char)s[b]))
            b++;
        if (is_code_path(s + a, b - a)) return 0; /* token = self.token */
    }
    if (value_is_standin(s + a, b - a)) return 0;
    /* "The secret: keep it simple" is prose, not YAML. */
    if (colon && !quoted && !key_quoted && b + 1 < n && s[b] == ' ' &&
        is_alpha((unsigned char)s[b + 1]) && run_end(s, b, a, is_lower) == b)
        return 0;
    const char *tk = token_kind(s, a, b);
    return replace(sc, i, a, b, tk ? tk : kind);
}

/* Tries every matcher at the word s[i..wend); returns where to continue, or 0. */
static size_t match_at(scan *sc, size_t i, size_t wend)
{
    size_t e;
    if (sc->s[i] == '-' && (e = m_pem(sc, i)) != 0) return replace(sc, i, i, e, "private_key");
    for (size_t k = 0; k < sizeof token_formats / sizeof token_formats[0]; k++)
        if ((e = token_formats[k].fn(sc->s, sc->n, i)) != 0)
            return replace(sc, i, i, e, token_formats[k].kind);
    if ((e = m_authorization(sc, i, wend)) != 0 || (e = m_bearer(sc, i, wend)) != 0 ||
        (e = m_url_password(sc, i, wend)) != 0 || (e = m_assignment(sc, i, wend)) != 0)
        return e;
    return 0;
}

static void redact_secrets_pass(scan *sc)
{
    const char *s = sc->s;
    size_t n = sc->n, i = 0;
    while (i < n) {
        if (!is_word((unsigned char)s[i])) {
            size_t e = i;
            while (e < n && !is_word((unsigned char)s[e]))
                e++;
            sb_add(sc->out, s + i, e - i);
            i = e;
            continue;
        }
        size_t wend = run_end(s, n, i, is_word);
        if (i == 0 || !is_word((unsigned char)s[i - 1])) {
            size_t next = match_at(sc, i, wend);
            if (next) {
                i = next;
                continue;
            }
            /* A key block glued to the word before it ("\n-----BEGIN" in escaped text). */
            const char *p = memmem(s + i + 1, wend - i - 1, "-----BEGIN", 10);
            size_t e;
            if (p && (e = m_pem(sc, (size_t)(p - s))) != 0) {
                i = replace(sc, i, (size_t)(p - s), e, "private_key");
                continue;
            }
        }
        sb_add(sc->out, s + i, wend - i);
        i = wend;
    }
}

/* ---- Public entry points ------------------------------------------------------------ */

char *redact_text(const char *text, int redact_secrets, redact_stats *stats)
{
    redact_stats st = {0, 0};
    strbuf stripped = {0}, out = {0};
    if (!text) text = "";
    strip_private(text, strlen(text), &stripped, &st.private_spans);
    char *clean = sb_detach(&stripped);
    if (clean && redact_secrets) {
        scan sc = {.s = clean, .n = strlen(clean), .out = &out};
        redact_secrets_pass(&sc);
        st.secrets = sc.secrets;
        free(clean);
        clean = sb_detach(&out);
    }
    if (stats) *stats = st;
    return clean;
}

/* Replaces *slot by cleaned, copied with cJSON's allocator; the old string is freed
 * unless it was borrowed (a constant key or a reference). */
static int set_string(char **slot, int borrowed, const char *cleaned)
{
    size_t len = strlen(cleaned) + 1;
    char *copy = cJSON_malloc(len);
    if (!copy) return MEM0_ENOMEM;
    memcpy(copy, cleaned, len);
    if (!borrowed) cJSON_free(*slot);
    *slot = copy;
    return 0;
}

static int clean_string(char **slot, int borrowed, int redact_secrets, redact_stats *total,
                        int *changed)
{
    redact_stats st;
    char *clean = redact_text(*slot, redact_secrets, &st);
    if (!clean) return MEM0_ENOMEM;
    int rc = 0;
    *changed = strcmp(clean, *slot) != 0;
    if (*changed) rc = set_string(slot, borrowed, clean);
    if (rc == 0) {
        total->secrets += st.secrets;
        total->private_spans += st.private_spans;
    }
    free(clean);
    return rc;
}

/* For a JSON member whose key names a secret ({"db_password": "hunter2"}, {"Authorization":
 * "Bearer abc"}), writes the value's replacement into ph and returns 1; else 0. */
static int member_placeholder(const char *key, const char *v, char *ph, size_t n)
{
    size_t klen = strlen(key), vlen = strlen(v);
    if (klen >= 13 && ci_at(key, klen, klen - 13, "authorization")) {
        /* Keep a short scheme word ("Bearer ", "Basic ") so the value still reads. */
        size_t scheme = run_end(v, vlen, 0, is_alpha);
        size_t a = run_end(v, vlen, scheme, is_hspace);
        size_t keep = scheme > 0 && scheme <= 16 && a > scheme && a < vlen ? a : 0;
        if (value_is_standin(v + keep, vlen - keep)) return 0;
        snprintf(ph, n, "%.*s[REDACTED:%s]", (int)keep, v,
                 keep && ci_at(v, vlen, 0, "basic ") ? "basic_auth" : "bearer_token");
        return 1;
    }
    const char *kind = key_kind(key, klen);
    if (!kind || value_is_standin(v, vlen)) return 0;
    const char *tk = token_kind(v, 0, vlen);
    snprintf(ph, n, "[REDACTED:%s]", tk ? tk : kind);
    return 1;
}

static int clean_node(cJSON *item, int redact_secrets, redact_stats *total)
{
    int changed, rc;
    char ph[96];
    if (item->string) {
        rc = clean_string(&item->string, (item->type & cJSON_StringIsConst) != 0, redact_secrets,
                          total, &changed);
        if (rc) return rc;
        if (changed) item->type &= ~cJSON_StringIsConst;
    }
    if (cJSON_IsString(item) && item->valuestring) {
        if (redact_secrets && item->string &&
            member_placeholder(item->string, item->valuestring, ph, sizeof ph)) {
            /* The key says the whole value is secret. */
            rc = set_string(&item->valuestring, (item->type & cJSON_IsReference) != 0, ph);
            if (rc) return rc;
            item->type &= ~cJSON_IsReference;
            total->secrets++;
            return 0;
        }
        rc = clean_string(&item->valuestring, (item->type & cJSON_IsReference) != 0, redact_secrets,
                          total, &changed);
        if (rc) return rc;
        if (changed) item->type &= ~cJSON_IsReference;
        return 0;
    }
    const char *kind =
        redact_secrets && item->string ? key_kind(item->string, strlen(item->string)) : NULL;
    if (cJSON_IsNumber(item) && kind) {
        /* {"pin_password": 1234}: becomes the placeholder string. */
        snprintf(ph, sizeof ph, "[REDACTED:%s]", kind);
        item->valuestring = NULL;
        rc = set_string(&item->valuestring, 1, ph);
        if (rc) return rc;
        item->type = cJSON_String | (item->type & cJSON_StringIsConst);
        item->valueint = 0;
        item->valuedouble = 0;
        total->secrets++;
        return 0;
    }
    if ((cJSON_IsArray(item) || cJSON_IsObject(item)) && !(item->type & cJSON_IsReference))
        for (cJSON *c = item->child; c; c = c->next)
            if ((rc = clean_node(c, redact_secrets, total)) != 0) return rc;
    return 0;
}

int redact_json(cJSON *json, int redact_secrets, redact_stats *stats)
{
    redact_stats total = {0, 0};
    int rc = json ? clean_node(json, redact_secrets, &total) : 0;
    if (stats) *stats = total;
    return rc;
}
