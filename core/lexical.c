/* lexical.c: tokeniser and the postings/docs index (layout in lexical.h). */
#include "lexical.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libstemmer.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "record.h"
#include "timeutil.h"
#include "util.h"

/* ---- Stop list ---------------------------------------------------------------------- */

/* The Snowball English stop list (snowballstem.org, english/stop.txt), sorted for bsearch.
 * Contractions are listed too; the tokeniser splits at apostrophes, so only single words
 * ever reach the list, as in the reference BM25 of the evaluation. */
static const char *const stop_words[] = {
    "a",          "about",   "above",     "after",   "again",    "against",    "all",    "am",
    "an",         "and",     "any",       "are",     "aren't",   "as",         "at",     "be",
    "because",    "been",    "before",    "being",   "below",    "between",    "both",   "but",
    "by",         "can't",   "cannot",    "could",   "couldn't", "did",        "didn't", "do",
    "does",       "doesn't", "doing",     "don't",   "down",     "during",     "each",   "few",
    "for",        "from",    "further",   "had",     "hadn't",   "has",        "hasn't", "have",
    "haven't",    "having",  "he",        "he'd",    "he'll",    "he's",       "her",    "here",
    "here's",     "hers",    "herself",   "him",     "himself",  "his",        "how",    "how's",
    "i",          "i'd",     "i'll",      "i'm",     "i've",     "if",         "in",     "into",
    "is",         "isn't",   "it",        "it's",    "its",      "itself",     "let's",  "me",
    "more",       "most",    "mustn't",   "my",      "myself",   "no",         "nor",    "not",
    "of",         "off",     "on",        "once",    "only",     "or",         "other",  "ought",
    "our",        "ours",    "ourselves", "out",     "over",     "own",        "same",   "shan't",
    "she",        "she'd",   "she'll",    "she's",   "should",   "shouldn't",  "so",     "some",
    "such",       "than",    "that",      "that's",  "the",      "their",      "theirs", "them",
    "themselves", "then",    "there",     "there's", "these",    "they",       "they'd", "they'll",
    "they're",    "they've", "this",      "those",   "through",  "to",         "too",    "under",
    "until",      "up",      "very",      "was",     "wasn't",   "we",         "we'd",   "we'll",
    "we're",      "we've",   "were",      "weren't", "what",     "what's",     "when",   "when's",
    "where",      "where's", "which",     "while",   "who",      "who's",      "whom",   "why",
    "why's",      "with",    "won't",     "would",   "wouldn't", "you",        "you'd",  "you'll",
    "you're",     "you've",  "your",      "yours",   "yourself", "yourselves",
};

static int cmp_stop(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

int lexical_is_stop(const char *word, size_t n)
{
    char buf[16];
    if (n == 0 || n >= sizeof buf) return 0;
    memcpy(buf, word, n);
    buf[n] = '\0';
    return bsearch(buf, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                   cmp_stop) != NULL;
}

/* ---- Term list ---------------------------------------------------------------------- */

#define ARENA_CHUNK 4096

static char *arena_alloc(lex_terms *t, size_t n)
{
    if (t->used + n > t->size) {
        size_t size = n + sizeof(void *) > ARENA_CHUNK ? n + sizeof(void *) : ARENA_CHUNK;
        char *chunk = malloc(size);
        if (!chunk) {
            t->oom = 1;
            return NULL;
        }
        *(void **)chunk = t->chunks; /* link to the previous chunk */
        t->chunks = chunk;
        t->arena = chunk + sizeof(void *);
        t->used = 0;
        t->size = size - sizeof(void *);
    }
    char *p = t->arena + t->used;
    t->used += n;
    return p;
}

static void term_add(lex_terms *t, const char *s, size_t n, double weight, int entity)
{
    if (n == 0 || t->oom) return;
    if (n > LEX_MAX_TERM) n = utf8_clip(s, LEX_MAX_TERM);
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        lex_term *v = realloc(t->v, cap * sizeof *v);
        if (!v) {
            t->oom = 1;
            return;
        }
        t->v = v;
        t->cap = cap;
    }
    size_t total = n + (entity ? 1 : 0);
    char *p = arena_alloc(t, total + 1);
    if (!p) return;
    if (entity) p[0] = LEX_ENTITY_PREFIX;
    memcpy(p + (entity ? 1 : 0), s, n);
    p[total] = '\0';
    t->v[t->n].text = p;
    t->v[t->n].len = total;
    t->v[t->n].weight = weight;
    t->n++;
    if (!entity) t->length += weight;
}

void lexical_terms_free(lex_terms *t)
{
    if (!t) return;
    void *c = t->chunks;
    while (c) {
        void *next = *(void **)c;
        free(c);
        c = next;
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int term_cmp(const void *pa, const void *pb)
{
    const lex_term *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->text, b->text, n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

void lexical_merge(lex_terms *t)
{
    if (t->n < 2) return;
    qsort(t->v, t->n, sizeof *t->v, term_cmp);
    size_t w = 0;
    for (size_t i = 1; i < t->n; i++) {
        if (term_cmp(&t->v[w], &t->v[i]) == 0)
            t->v[w].weight += t->v[i].weight;
        else
            t->v[++w] = t->v[i];
    }
    t->n = w + 1;
}

/* ---- Tokeniser ---------------------------------------------------------------------- */

typedef struct tok {
    lex_terms *out;
    struct sb_stemmer *stem;
    char buf[4 * LEX_MAX_TERM + 8];
} tok;

enum { C_SEP, C_WORD, C_CJK, C_CONN, C_JOIN, C_AT };

static int is_cjk(int32_t c)
{
    return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) ||
           (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
           (c >= 0x20000 && c <= 0x2fa1f);
}

static int char_class(int32_t c)
{
    if (c < 0x80) {
        if (isalnum(c)) return C_WORD;
        if (c == '_') return C_CONN;
        if (c == '.' || c == '/' || c == '\\') return C_JOIN;
        if (c == '@') return C_AT;
        return C_SEP;
    }
    if (is_cjk(c)) return C_CJK;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return C_WORD;
    case UTF8PROC_CATEGORY_PC:
        return C_CONN;
    default:
        return C_SEP;
    }
}

static int is_upper(int32_t c)
{
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT;
}

static int is_lower(int32_t c)
{
    return utf8proc_category(c) == UTF8PROC_CATEGORY_LL;
}

/* Case-folds and strips marks from cps[0..n) into t->buf; returns the byte length. */
static size_t fold(tok *t, const int32_t *cps, size_t n)
{
    uint8_t raw[4 * LEX_MAX_TERM + 8];
    size_t len = 0;
    int ascii = 1;
    for (size_t i = 0; i < n && len + 4 < sizeof raw - 4; i++) {
        ascii &= cps[i] < 0x80;
        len += (size_t)utf8proc_encode_char(cps[i], raw + len);
    }
    if (ascii) {
        for (size_t i = 0; i < len; i++)
            t->buf[i] = (char)tolower(raw[i]);
        t->buf[len] = '\0';
        return len;
    }
    uint8_t *folded = NULL;
    utf8proc_ssize_t m = utf8proc_map(raw, (utf8proc_ssize_t)len, &folded,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                                          UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    size_t out = 0;
    if (m > 0) {
        out = (size_t)m < sizeof t->buf - 1 ? (size_t)m
                                            : utf8_clip((char *)folded, sizeof t->buf - 1);
        memcpy(t->buf, folded, out);
    }
    free(folded);
    t->buf[out] = '\0';
    return out;
}

static int ascii_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

/* A plain word: folded, stop words dropped, Snowball-stemmed when it is ASCII. */
static void emit_plain(tok *t, const int32_t *cps, size_t n, double weight)
{
    size_t len = fold(t, cps, n);
    if (len == 0 || lexical_is_stop(t->buf, len)) return;
    if (ascii_word(t->buf, len) && t->stem) {
        const sb_symbol *s = sb_stemmer_stem(t->stem, (const sb_symbol *)t->buf, (int)len);
        if (s) {
            term_add(t->out, (const char *)s, (size_t)sb_stemmer_length(t->stem), weight, 0);
            return;
        }
    }
    term_add(t->out, t->buf, len, weight, 0);
}

/* An entity: a capitalised or all-caps word, a handle, a file name; folded, not stemmed. */
static void emit_entity(tok *t, const int32_t *cps, size_t n)
{
    size_t len = fold(t, cps, n);
    if (len >= 2 && !lexical_is_stop(t->buf, len)) term_add(t->out, t->buf, len, 1, 1);
}

/* One run of letters/digits/marks: CamelCase gives the whole word and its parts. */
static void emit_word(tok *t, const int32_t *cps, size_t n, double weight, int entity_ok)
{
    size_t cuts[LEX_MAX_TERM];
    size_t ncut = 0;
    for (size_t i = 1; i < n && ncut < LEX_MAX_TERM - 1; i++) {
        int cut = (is_lower(cps[i - 1]) && is_upper(cps[i])) ||
                  (i + 1 < n && is_upper(cps[i - 1]) && is_upper(cps[i]) && is_lower(cps[i + 1]));
        if (cut) cuts[ncut++] = i;
    }
    if (entity_ok && is_upper(cps[0])) emit_entity(t, cps, n);
    if (ncut == 0) {
        emit_plain(t, cps, n, weight);
        return;
    }
    size_t len = fold(t, cps, n);
    term_add(t->out, t->buf, len, weight, 0);
    size_t from = 0;
    for (size_t i = 0; i <= ncut; i++) {
        size_t to = i < ncut ? cuts[i] : n;
        emit_plain(t, cps + from, to - from, weight * 0.5);
        from = to;
    }
}

static int is_version(const int32_t *cps, size_t n)
{
    size_t i = (n > 0 && (cps[0] == 'v' || cps[0] == 'V')) ? 1 : 0;
    int dots = 0, digits = 0;
    for (; i < n; i++) {
        if (cps[i] == '.')
            dots++;
        else if (cps[i] >= '0' && cps[i] <= '9')
            digits++;
        else
            return 0;
    }
    return dots > 0 && digits > 0;
}

/* A chunk of word characters joined by '_', '.', '/', '\\' (trimmed of joiners). */
static void emit_chunk(tok *t, const int32_t *cps, size_t n, int handle)
{
    size_t parts = 0, seg = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || char_class(cps[i]) != C_WORD) {
            parts += i > seg;
            seg = i + 1;
        }
    }
    if (parts <= 1) {
        if (handle) emit_entity(t, cps, n);
        emit_word(t, cps, n, 1, 1);
        return;
    }
    /* Compound: whole (not stemmed), a version also without its 'v', then the parts. */
    size_t len = fold(t, cps, n);
    term_add(t->out, t->buf, len, 1, 0);
    int version = is_version(cps, n);
    if (version && (cps[0] == 'v' || cps[0] == 'V')) term_add(t->out, t->buf + 1, len - 1, 1, 0);
    /* File names (x.ext), paths and handles are entities too. */
    size_t last = n;
    while (last > 0 && char_class(cps[last - 1]) == C_WORD)
        last--;
    int file = !version && last > 0 && cps[last - 1] == '.' && n - last <= 5;
    int path = 0;
    for (size_t i = 0; i < n; i++)
        path |= cps[i] == '/' || cps[i] == '\\';
    if (file || path || handle) emit_entity(t, cps, n);
    seg = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || char_class(cps[i]) != C_WORD) {
            if (i > seg) emit_word(t, cps + seg, i - seg, 0.5, 0);
            seg = i + 1;
        }
    }
}

/* CJK runs have no spaces: overlapping bigrams (a lone character stands alone). */
static void emit_cjk(tok *t, const int32_t *cps, size_t n)
{
    if (n == 1) {
        size_t len = fold(t, cps, 1);
        term_add(t->out, t->buf, len, 1, 0);
        return;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        size_t len = fold(t, cps + i, 2);
        term_add(t->out, t->buf, len, 1, 0);
    }
}

int lexical_tokenize(const char *text, lex_terms *out, mem0_err *err)
{
    uint8_t *norm = NULL;
    int32_t *cps = NULL;
    tok t = {out, NULL, {0}};
    int ret = 0;
    if (!text || !*text) return 0;
    /* NFKC keeps case (CamelCase needs it); folding happens per word. */
    utf8proc_ssize_t m =
        utf8proc_map((const uint8_t *)text, (utf8proc_ssize_t)strlen(text), &norm,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_IGNORE);
    if (m < 0) {
        if (m == UTF8PROC_ERROR_NOMEM) ret = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out; /* not valid UTF-8: no terms */
    }
    cps = malloc(((size_t)m + 1) * sizeof *cps);
    if (!cps) {
        ret = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (utf8proc_ssize_t i = 0; i < m;) {
        int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(norm + i, m - i, &c);
        if (k <= 0) break;
        cps[n++] = c;
        i += k;
    }
    t.stem = sb_stemmer_new("english", NULL);
    size_t i = 0;
    while (i < n) {
        int k = char_class(cps[i]);
        if (k == C_CJK) {
            size_t j = i;
            while (j < n && char_class(cps[j]) == C_CJK)
                j++;
            emit_cjk(&t, cps + i, j - i);
            i = j;
            continue;
        }
        if (k != C_WORD && k != C_CONN && k != C_JOIN) {
            i++;
            continue;
        }
        int handle = i > 0 && char_class(cps[i - 1]) == C_AT;
        size_t j = i;
        while (j < n && (k = char_class(cps[j])) != C_SEP && k != C_CJK && k != C_AT)
            j++;
        size_t a = i, b = j;
        while (a < b && char_class(cps[a]) != C_WORD)
            a++;
        while (b > a && char_class(cps[b - 1]) != C_WORD)
            b--;
        /* Keep tokens to a sane size: a long blob is split every LEX_MAX_TERM characters. */
        while (b - a > LEX_MAX_TERM) {
            emit_chunk(&t, cps + a, LEX_MAX_TERM, handle);
            a += LEX_MAX_TERM;
        }
        if (b > a) emit_chunk(&t, cps + a, b - a, handle);
        i = j;
    }
    if (out->oom) ret = err_set(err, MEM0_ENOMEM, "out of memory");
out:
    if (t.stem) sb_stemmer_delete(t.stem);
    free(cps);
    free(norm);
    return ret;
}

/* ---- Dates -------------------------------------------------------------------------- */

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};

static int32_t days_from_civil(int y, int mo, int d)
{
    y -= mo <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_at(const char *s, size_t *adv)
{
    for (int i = 0; i < 12; i++) {
        if (strncasecmp(s, month_names[i], 3) != 0) continue;
        size_t n = 3;
        while (isalpha((unsigned char)s[n]))
            n++;
        if (n > 3 && n < 10) {
            static const char *const full[12] = {"january",   "february", "march",    "april",
                                                 "may",       "june",     "july",     "august",
                                                 "september", "october",  "november", "december"};
            if (strncasecmp(s, full[i], n) != 0 && !(i == 8 && n == 4)) return -1;
        }
        *adv = n;
        return i + 1;
    }
    return -1;
}

int lexical_find_date(const char *s, int32_t *lo, int32_t *hi)
{
    for (const char *p = s; *p; p++) {
        if (p > s && isalnum((unsigned char)p[-1])) continue;
        int y, mo, d;
        char tail;
        /* YYYY-MM-DD */
        if (sscanf(p, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) >= 3 && isdigit((unsigned char)p[0]) &&
            p[4] == '-' && mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
            *lo = *hi = days_from_civil(y, mo, d);
            return 1;
        }
        size_t adv;
        /* D Month[,] YYYY */
        if (isdigit((unsigned char)*p)) {
            char *end;
            long dd = strtol(p, &end, 10);
            while (*end == ' ' || *end == '.')
                end++;
            if (dd >= 1 && dd <= 31 && end - p <= 5 && (mo = month_at(end, &adv)) > 0) {
                const char *q = end + adv;
                while (*q == ',' || *q == ' ')
                    q++;
                if (isdigit((unsigned char)q[0]) && sscanf(q, "%4d", &y) == 1 && y > 1000) {
                    *lo = *hi = days_from_civil(y, mo, (int)dd);
                    return 1;
                }
            }
            continue;
        }
        /* Month [D,] YYYY */
        if ((mo = month_at(p, &adv)) > 0) {
            const char *q = p + adv;
            while (*q == ' ' || *q == '.')
                q++;
            char *end;
            long dd = strtol(q, &end, 10);
            if (end > q && dd >= 1 && dd <= 31 && end - q <= 2) {
                const char *r = end;
                while (*r == ',' || *r == ' ')
                    r++;
                if (sscanf(r, "%4d", &y) == 1 && y > 1000) {
                    *lo = *hi = days_from_civil(y, mo, (int)dd);
                    return 1;
                }
            } else if (end > q && dd > 1000 && end - q == 4) {
                *lo = days_from_civil((int)dd, mo, 1);
                *hi = (mo == 12 ? days_from_civil((int)dd + 1, 1, 1)
                                : days_from_civil((int)dd, mo + 1, 1)) -
                      1;
                return 1;
            }
        }
    }
    return 0;
}

int lexical_temporal(const char *s)
{
    static const char *const words[] = {
        "yesterday",  "today",     "tonight",      "tomorrow",   "last week",
        "last month", "last year", "last weekend", "next week",  "next month",
        "next year",  "ago",       "this week",    "this month", "this weekend",
        "weekend",    "recently",  "last night",   NULL};
    int32_t lo, hi;
    if (lexical_find_date(s, &lo, &hi)) return 1;
    for (const char *p = s; *p; p++) {
        if (p > s && isalpha((unsigned char)p[-1])) continue;
        size_t adv;
        if (month_at(p, &adv) > 0 && !isalpha((unsigned char)p[adv]) && (adv > 3 || p[0] != 'm'))
            return 1;
        for (int i = 0; words[i]; i++) {
            size_t n = strlen(words[i]);
            if (strncasecmp(p, words[i], n) == 0 && !isalpha((unsigned char)p[n])) return 1;
        }
        if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
            isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) &&
            !isalnum((unsigned char)p[4]) && (p[0] == '1' || p[0] == '2'))
            return 1;
    }
    return 0;
}

/* ---- Encoding ----------------------------------------------------------------------- */

static void le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void le64_put(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t le64_get(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t lexical_hash(const char *s)
{
    return s && *s ? XXH3_64bits(s, strlen(s)) : 0;
}

static uint8_t len_encode(uint32_t q)
{
    if (q < 128) return (uint8_t)q;
    double c = 128 + floor(log((double)q / 128.0) / log(1.05));
    return c > 255 ? 255 : (uint8_t)c;
}

double lex_len_decode(uint8_t code)
{
    return code < 128 ? code : 128.0 * pow(1.05, code - 128);
}

#define DOC_SIZE 68
static void doc_encode(const lex_doc *d, uint8_t *p)
{
    memcpy(p, d->id, 16);
    le64_put(p + 16, d->user_hash);
    le64_put(p + 24, d->app_hash);
    le64_put(p + 32, (uint64_t)d->created_us);
    le32_put(p + 40, (uint32_t)d->date_day);
    le32_put(p + 44, (uint32_t)d->expiry_day);
    le32_put(p + 48, d->runnum);
    le32_put(p + 52, d->prev);
    le32_put(p + 56, d->next);
    le32_put(p + 60, d->length);
    le32_put(p + 64, d->flags);
}
static void doc_decode(const uint8_t *p, lex_doc *d)
{
    memcpy(d->id, p, 16);
    d->user_hash = le64_get(p + 16);
    d->app_hash = le64_get(p + 24);
    d->created_us = (int64_t)le64_get(p + 32);
    d->date_day = (int32_t)le32_get(p + 40);
    d->expiry_day = (int32_t)le32_get(p + 44);
    d->runnum = le32_get(p + 48);
    d->prev = le32_get(p + 52);
    d->next = le32_get(p + 56);
    d->length = le32_get(p + 60);
    d->flags = le32_get(p + 64);
}

static void stats_encode(const lex_stats *s, uint8_t *p)
{
    le64_put(p, s->docs);
    le64_put(p + 8, s->length);
    le64_put(p + 16, s->runs);
    le64_put(p + 24, s->run_length);
}
static void stats_decode(const uint8_t *p, lex_stats *s)
{
    s->docs = le64_get(p);
    s->length = le64_get(p + 8);
    s->runs = le64_get(p + 16);
    s->run_length = le64_get(p + 24);
}

/* ---- Small accessors ---------------------------------------------------------------- */

static int dget(MDB_txn *txn, const store_dbs *db, const uint8_t *key, size_t n, MDB_val *v,
                mem0_err *err)
{
    MDB_val k = {n, (void *)key};
    int rc = mdb_get(txn, db->docs, &k, v);
    if (rc == MDB_NOTFOUND) return MEM0_ENOTFOUND;
    return rc ? store_fail(err, rc, "mdb_get(docs)") : 0;
}

static int dput(MDB_txn *txn, const store_dbs *db, const uint8_t *key, size_t n, const void *val,
                size_t vn, mem0_err *err)
{
    MDB_val k = {n, (void *)key}, v = {vn, (void *)val};
    int rc = mdb_put(txn, db->docs, &k, &v, 0);
    return rc ? store_fail(err, rc, "mdb_put(docs)") : 0;
}

static int ddel(MDB_txn *txn, const store_dbs *db, const uint8_t *key, size_t n, mem0_err *err)
{
    MDB_val k = {n, (void *)key};
    int rc = mdb_del(txn, db->docs, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_del(docs)") : 0;
}

int lexical_global(MDB_txn *txn, const store_dbs *db, lex_global *g, mem0_err *err)
{
    memset(g, 0, sizeof *g);
    MDB_val v;
    int rc = dget(txn, db, (const uint8_t *)"G", 1, &v, err);
    if (rc == MEM0_ENOTFOUND) return 0;
    if (rc) return rc;
    if (v.mv_size < 44)
        return err_set(err, MEM0_EIO,
                       "the lexical index header is damaged (run `mem0-mcp doctor`)");
    const uint8_t *p = v.mv_data;
    g->version = le32_get(p);
    g->next_doc = le32_get(p + 4);
    g->next_run = le32_get(p + 8);
    stats_decode(p + 12, &g->all);
    return 0;
}

static int global_put(MDB_txn *txn, const store_dbs *db, const lex_global *g, mem0_err *err)
{
    uint8_t p[44];
    le32_put(p, g->version);
    le32_put(p + 4, g->next_doc);
    le32_put(p + 8, g->next_run);
    stats_encode(&g->all, p + 12);
    return dput(txn, db, (const uint8_t *)"G", 1, p, sizeof p, err);
}

int lexical_user_stats(MDB_txn *txn, const store_dbs *db, uint64_t user_hash, lex_stats *s,
                       mem0_err *err)
{
    memset(s, 0, sizeof *s);
    uint8_t key[9] = {'U'};
    le64_put(key + 1, user_hash);
    MDB_val v;
    int rc = dget(txn, db, key, sizeof key, &v, err);
    if (rc == MEM0_ENOTFOUND) return 0;
    if (rc) return rc;
    if (v.mv_size >= 32) stats_decode(v.mv_data, s);
    return 0;
}

static int user_stats_put(MDB_txn *txn, const store_dbs *db, uint64_t user_hash, const lex_stats *s,
                          mem0_err *err)
{
    uint8_t key[9] = {'U'}, p[32];
    le64_put(key + 1, user_hash);
    if (s->docs == 0) return ddel(txn, db, key, sizeof key, err);
    stats_encode(s, p);
    return dput(txn, db, key, sizeof key, p, sizeof p, err);
}

int lexical_doc(MDB_txn *txn, const store_dbs *db, uint32_t docnum, lex_doc *d, mem0_err *err)
{
    uint8_t key[5] = {'D'};
    be32_put(key + 1, docnum);
    MDB_val v;
    int rc = dget(txn, db, key, sizeof key, &v, err);
    if (rc) return rc;
    if (v.mv_size < DOC_SIZE)
        return err_set(err, MEM0_EIO, "a lexical doc entry is damaged (run `mem0-mcp doctor`)");
    doc_decode(v.mv_data, d);
    return 0;
}

static int doc_put(MDB_txn *txn, const store_dbs *db, uint32_t docnum, const lex_doc *d,
                   mem0_err *err)
{
    uint8_t key[5] = {'D'}, p[DOC_SIZE];
    be32_put(key + 1, docnum);
    doc_encode(d, p);
    return dput(txn, db, key, sizeof key, p, sizeof p, err);
}

static int docnum_of(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], uint32_t *num,
                     mem0_err *err)
{
    uint8_t key[17] = {'I'};
    memcpy(key + 1, id, 16);
    MDB_val v;
    int rc = dget(txn, db, key, sizeof key, &v, err);
    if (rc) return rc;
    *num = v.mv_size == 4 ? be32_get(v.mv_data) : 0;
    return 0;
}

static int run_get(MDB_txn *txn, const store_dbs *db, uint32_t runnum, lex_run *r, mem0_err *err)
{
    uint8_t key[5] = {'R'};
    be32_put(key + 1, runnum);
    MDB_val v;
    memset(r, 0, sizeof *r);
    int rc = dget(txn, db, key, sizeof key, &v, err);
    if (rc) return rc;
    if (v.mv_size >= 16) {
        r->user_hash = le64_get(v.mv_data);
        r->docs = le32_get((const uint8_t *)v.mv_data + 8);
        r->length = le32_get((const uint8_t *)v.mv_data + 12);
    }
    return 0;
}

static int run_put(MDB_txn *txn, const store_dbs *db, uint32_t runnum, const lex_run *r,
                   mem0_err *err)
{
    uint8_t key[5] = {'R'}, p[16];
    be32_put(key + 1, runnum);
    le64_put(p, r->user_hash);
    le32_put(p + 8, r->docs);
    le32_put(p + 12, r->length);
    return dput(txn, db, key, sizeof key, p, sizeof p, err);
}

static uint64_t run_hash(const cJSON *rec)
{
    const char *user = record_str(rec, "user_id"), *run = record_str(rec, "run_id");
    if (!run) return 0;
    XXH3_state_t *s = XXH3_createState();
    if (!s) return 0;
    XXH3_64bits_reset(s);
    if (user) XXH3_64bits_update(s, user, strlen(user));
    XXH3_64bits_update(s, "\0", 1);
    XXH3_64bits_update(s, run, strlen(run));
    uint64_t h = XXH3_64bits_digest(s);
    XXH3_freeState(s);
    return h ? h : 1;
}

/* ---- Postings ----------------------------------------------------------------------- */

static size_t posting_key(uint8_t *key, char kind, const char *term, size_t n)
{
    key[0] = (uint8_t)kind;
    memcpy(key + 1, term, n);
    return n + 1;
}

static void posting_doc_val(uint8_t v[8], uint32_t docnum, uint32_t tfq, uint32_t length,
                            uint16_t tag)
{
    be32_put(v, docnum);
    v[4] = (uint8_t)(tfq > 255 ? 255 : tfq);
    v[5] = len_encode(length);
    v[6] = (uint8_t)tag;
    v[7] = (uint8_t)(tag >> 8);
}

/* Positions cur on the posting of number num under key; 1 found, 0 not, negative error. */
static int posting_seek(MDB_cursor *cur, const uint8_t *key, size_t kn, uint32_t num, MDB_val *val,
                        mem0_err *err)
{
    uint8_t probe[8] = {0};
    be32_put(probe, num);
    MDB_val k = {kn, (void *)key};
    *val = (MDB_val){8, probe};
    int rc = mdb_cursor_get(cur, &k, val, MDB_GET_BOTH_RANGE);
    if (rc == MDB_NOTFOUND) return 0;
    if (rc) return store_fail(err, rc, "mdb_cursor_get(postings)");
    return val->mv_size == 8 && be32_get(val->mv_data) == num;
}

static uint32_t quarter(double w)
{
    double q = floor(w * 4 + 0.5);
    return q < 1 ? 1 : q > 4e9 ? 4000000000u : (uint32_t)q;
}

/* Adds delta (quarter units, may be negative) to run runnum's tf for term. */
static int run_posting_add(MDB_cursor *cur, const char *term, size_t n, uint32_t runnum, long delta,
                           uint16_t tag, mem0_err *err)
{
    uint8_t key[LEX_MAX_TERM + 2];
    size_t kn = posting_key(key, 'r', term, n);
    MDB_val v;
    long tf = 0;
    int rc = posting_seek(cur, key, kn, runnum, &v, err);
    if (rc < 0) return rc;
    if (rc == 1) {
        const uint8_t *p = v.mv_data;
        tf = (long)(p[4] | p[5] << 8);
        if ((rc = mdb_cursor_del(cur, 0))) return store_fail(err, rc, "mdb_cursor_del(postings)");
    }
    tf += delta;
    if (tf <= 0) return 0;
    uint8_t val[8];
    be32_put(val, runnum);
    val[4] = (uint8_t)(tf > 65535 ? 65535 : tf);
    val[5] = (uint8_t)((tf > 65535 ? 65535 : tf) >> 8);
    val[6] = (uint8_t)tag;
    val[7] = (uint8_t)(tag >> 8);
    MDB_val k = {kn, key}, vv = {8, val};
    rc = mdb_cursor_put(cur, &k, &vv, 0);
    return rc ? store_fail(err, rc, "mdb_cursor_put(postings)") : 0;
}

/* Deletes every posting of docnum (the slow path for an index that lost track of a doc). */
static int purge_docnum(MDB_txn *txn, const store_dbs *db, uint32_t docnum, mem0_err *err)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->postings, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(postings)");
    MDB_val k, v;
    int ret = 0;
    /* After mdb_cursor_del the cursor already stands on the next item: no MDB_NEXT then. */
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        const uint8_t *kp = k.mv_data;
        if (k.mv_size > 0 && kp[0] == 'd' && v.mv_size == 8 && be32_get(v.mv_data) == docnum) {
            if ((rc = mdb_cursor_del(cur, 0))) {
                ret = store_fail(err, rc, "mdb_cursor_del(postings)");
                break;
            }
            rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
            if (rc == EINVAL || rc == MDB_NOTFOUND) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get(postings)");
    mdb_cursor_close(cur);
    return ret;
}

/* ---- Documents ---------------------------------------------------------------------- */

static int32_t day_of_us(int64_t us)
{
    int64_t d = us / 86400000000LL;
    if (us < 0 && us % 86400000000LL) d--;
    return (int32_t)d;
}

/* The day a memory speaks of: a date in metadata (session_date, date, ...), else created. */
static int32_t doc_date(const cJSON *rec, int64_t created)
{
    static const char *const keys[] = {"session_date", "date",        "event_date",
                                       "timestamp",    "occurred_at", NULL};
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    for (int i = 0; keys[i] && cJSON_IsObject(md); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, keys[i]);
        if (!cJSON_IsString(v)) continue;
        int64_t t;
        if (time_parse(v->valuestring, &t) == 0) return day_of_us(t);
        int32_t lo, hi;
        if (lexical_find_date(v->valuestring, &lo, &hi)) return lo;
    }
    return day_of_us(created);
}

/* Terms of a record's text, merged; the caller frees. */
static int record_terms(const cJSON *rec, lex_terms *t, mem0_err *err)
{
    memset(t, 0, sizeof *t);
    const char *text = record_str(rec, "memory");
    int rc = lexical_tokenize(text ? text : "", t, err);
    if (rc == 0) lexical_merge(t);
    return rc;
}

/* Finds the adjacent live docs of the same user in rec's run (by_scope run index order). */
static int run_neighbours(MDB_txn *txn, const store_dbs *db, const cJSON *rec, const uint8_t id[16],
                          uint64_t user_hash, uint32_t self, uint32_t *prev, uint32_t *next,
                          mem0_err *err)
{
    *prev = *next = 0;
    const char *run = record_str(rec, "run_id");
    uint8_t key[STORE_MAX_KEY], prefix[STORE_MAX_KEY];
    size_t kn = key_scope(key, 'r', run, record_created_us(rec), id);
    size_t pn = key_scope_prefix(prefix, 'r', run);
    if (!kn || !pn) return 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_scope, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(by_scope)");
    int ret = 0;
    for (int dir = 0; dir < 2 && !ret; dir++) {
        MDB_val k = {kn, key}, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        /* Walk away from our own key; 64 steps bound the search past other users' docs. */
        for (int steps = 0; steps < 64; steps++) {
            if (dir == 0)
                rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                             : mdb_cursor_get(cur, &k, &v, MDB_LAST);
            else if (rc == 0 && k.mv_size == kn && memcmp(k.mv_data, key, kn) == 0)
                rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            if (rc || k.mv_size != pn + 24 || memcmp(k.mv_data, prefix, pn) != 0) break;
            const uint8_t *oid = (const uint8_t *)k.mv_data + pn + 8;
            uint32_t num;
            int r = memcmp(oid, id, 16) == 0 ? MEM0_ENOTFOUND : docnum_of(txn, db, oid, &num, err);
            if (r == 0 && num != self) {
                lex_doc d;
                if ((r = lexical_doc(txn, db, num, &d, err)) == 0 && d.user_hash == user_hash) {
                    *(dir == 0 ? prev : next) = num;
                    break;
                }
            }
            if (r && r != MEM0_ENOTFOUND) {
                ret = r;
                break;
            }
            if (dir == 1) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
        }
    }
    mdb_cursor_close(cur);
    return ret;
}

static int set_link(MDB_txn *txn, const store_dbs *db, uint32_t num, int next, uint32_t to,
                    mem0_err *err)
{
    if (!num) return 0;
    lex_doc d;
    int rc = lexical_doc(txn, db, num, &d, err);
    if (rc == MEM0_ENOTFOUND) return 0;
    if (rc) return rc;
    *(next ? &d.next : &d.prev) = to;
    return doc_put(txn, db, num, &d, err);
}

int lexical_remove(MDB_txn *txn, const store_dbs *db, const cJSON *rec, mem0_err *err)
{
    uint8_t id[16];
    const char *ids = record_str(rec, "id");
    if (!ids || uuid_parse(ids, id) != 0)
        return err_set(err, MEM0_EINVAL, "record has no valid id");
    uint32_t num;
    int rc = docnum_of(txn, db, id, &num, err);
    if (rc == MEM0_ENOTFOUND) return 0;
    if (rc) return rc;
    lex_doc d;
    if ((rc = lexical_doc(txn, db, num, &d, err)) == MEM0_ENOTFOUND)
        memset(&d, 0, sizeof d);
    else if (rc)
        return rc;
    lex_terms t;
    MDB_cursor *cur = NULL;
    if ((rc = record_terms(rec, &t, err))) goto out;
    if ((rc = mdb_cursor_open(txn, db->postings, &cur))) {
        rc = store_fail(err, rc, "mdb_cursor_open(postings)");
        goto out;
    }
    uint16_t tag = (uint16_t)d.user_hash;
    int missing = 0;
    for (size_t i = 0; i < t.n; i++) {
        uint8_t key[LEX_MAX_TERM + 2];
        size_t kn = posting_key(key, 'd', t.v[i].text, t.v[i].len);
        MDB_val v;
        int found = posting_seek(cur, key, kn, num, &v, err);
        if (found < 0) {
            rc = found;
            goto out;
        }
        if (!found)
            missing = 1;
        else if ((rc = mdb_cursor_del(cur, 0))) {
            rc = store_fail(err, rc, "mdb_cursor_del(postings)");
            goto out;
        }
        if (d.runnum && t.v[i].text[0] != LEX_ENTITY_PREFIX &&
            (rc = run_posting_add(cur, t.v[i].text, t.v[i].len, d.runnum,
                                  -(long)quarter(t.v[i].weight), tag, err)))
            goto out;
    }
    /* The text no longer gives the terms it was indexed under (a damaged index). */
    if (missing && (rc = purge_docnum(txn, db, num, err))) goto out;
    if ((rc = set_link(txn, db, d.prev, 1, d.next, err)) ||
        (rc = set_link(txn, db, d.next, 0, d.prev, err)))
        goto out;
    lex_global g;
    lex_stats us;
    if ((rc = lexical_global(txn, db, &g, err)) ||
        (rc = lexical_user_stats(txn, db, d.user_hash, &us, err)))
        goto out;
    g.all.docs -= g.all.docs > 0;
    g.all.length -= g.all.length >= d.length ? d.length : g.all.length;
    us.docs -= us.docs > 0;
    us.length -= us.length >= d.length ? d.length : us.length;
    if (d.runnum) {
        lex_run r;
        if ((rc = run_get(txn, db, d.runnum, &r, err)) && rc != MEM0_ENOTFOUND) goto out;
        r.docs -= r.docs > 0;
        r.length -= r.length >= d.length ? d.length : r.length;
        g.all.run_length -= g.all.run_length >= d.length ? d.length : g.all.run_length;
        us.run_length -= us.run_length >= d.length ? d.length : us.run_length;
        uint8_t rkey[5] = {'R'};
        be32_put(rkey + 1, d.runnum);
        if (r.docs == 0) {
            uint8_t qkey[9] = {'Q'};
            le64_put(qkey + 1, run_hash(rec));
            g.all.runs -= g.all.runs > 0;
            us.runs -= us.runs > 0;
            if ((rc = ddel(txn, db, rkey, sizeof rkey, err)) ||
                (rc = ddel(txn, db, qkey, sizeof qkey, err)))
                goto out;
        } else if ((rc = run_put(txn, db, d.runnum, &r, err))) {
            goto out;
        }
    }
    uint8_t dkey[5] = {'D'}, ikey[17] = {'I'};
    be32_put(dkey + 1, num);
    memcpy(ikey + 1, id, 16);
    if ((rc = global_put(txn, db, &g, err)) ||
        (rc = user_stats_put(txn, db, d.user_hash, &us, err)) ||
        (rc = ddel(txn, db, dkey, sizeof dkey, err)) ||
        (rc = ddel(txn, db, ikey, sizeof ikey, err)))
        goto out;
out:
    if (cur) mdb_cursor_close(cur);
    lexical_terms_free(&t);
    return rc;
}

int lexical_put(MDB_txn *txn, const store_dbs *db, const cJSON *rec, mem0_err *err)
{
    uint8_t id[16];
    const char *ids = record_str(rec, "id");
    if (!ids || uuid_parse(ids, id) != 0)
        return err_set(err, MEM0_EINVAL, "record has no valid id");
    uint32_t old;
    int rc = docnum_of(txn, db, id, &old, err);
    if (rc == 0) {
        /* Indexed already (a put without remove): forget the old entry wholesale. */
        uint8_t ikey[17] = {'I'}, dkey[5] = {'D'};
        memcpy(ikey + 1, id, 16);
        be32_put(dkey + 1, old);
        if ((rc = purge_docnum(txn, db, old, err)) || (rc = ddel(txn, db, ikey, 17, err)) ||
            (rc = ddel(txn, db, dkey, 5, err)))
            return rc;
    } else if (rc != MEM0_ENOTFOUND) {
        return rc;
    }
    lex_terms t;
    MDB_cursor *cur = NULL;
    if ((rc = record_terms(rec, &t, err))) goto out;
    lex_global g;
    if ((rc = lexical_global(txn, db, &g, err))) goto out;
    g.version = LEXICAL_VERSION;
    if (g.next_doc == UINT32_MAX) {
        rc = err_set(err, MEM0_EIO,
                     "the lexical index ran out of document numbers; run "
                     "`mem0-mcp doctor --fix` to rebuild it");
        goto out;
    }
    uint32_t num = ++g.next_doc;
    lex_doc d;
    memset(&d, 0, sizeof d);
    memcpy(d.id, id, 16);
    d.user_hash = lexical_hash(record_str(rec, "user_id"));
    d.app_hash = lexical_hash(record_str(rec, "app_id"));
    d.created_us = record_created_us(rec);
    d.date_day = doc_date(rec, d.created_us);
    const char *exp = record_str(rec, "expiration_date");
    int64_t exp_us;
    d.expiry_day = exp && time_parse(exp, &exp_us) == 0 ? day_of_us(exp_us) : INT32_MAX;
    d.length = quarter(t.length);
    if (t.length <= 0) d.length = 0;
    const char *text = record_str(rec, "memory");
    d.flags = text && lexical_temporal(text) ? LEX_DOC_TEMPORAL : 0;
    uint16_t tag = (uint16_t)d.user_hash;
    lex_stats us;
    if ((rc = lexical_user_stats(txn, db, d.user_hash, &us, err))) goto out;
    uint64_t rh = run_hash(rec);
    if (rh) {
        uint8_t qkey[9] = {'Q'};
        le64_put(qkey + 1, rh);
        MDB_val v;
        lex_run r = {d.user_hash, 0, 0};
        rc = dget(txn, db, qkey, sizeof qkey, &v, err);
        if (rc == 0 && v.mv_size == 4) {
            d.runnum = be32_get(v.mv_data);
            if ((rc = run_get(txn, db, d.runnum, &r, err)) && rc != MEM0_ENOTFOUND) goto out;
        } else if (rc == 0 || rc == MEM0_ENOTFOUND) {
            d.runnum = ++g.next_run;
            uint8_t nb[4];
            be32_put(nb, d.runnum);
            g.all.runs++;
            us.runs++;
            if ((rc = dput(txn, db, qkey, sizeof qkey, nb, 4, err))) goto out;
        } else {
            goto out;
        }
        r.user_hash = d.user_hash;
        r.docs++;
        r.length += d.length;
        g.all.run_length += d.length;
        us.run_length += d.length;
        if ((rc = run_put(txn, db, d.runnum, &r, err)) ||
            (rc = run_neighbours(txn, db, rec, id, d.user_hash, num, &d.prev, &d.next, err)) ||
            (rc = set_link(txn, db, d.prev, 1, num, err)) ||
            (rc = set_link(txn, db, d.next, 0, num, err)))
            goto out;
    }
    if ((rc = mdb_cursor_open(txn, db->postings, &cur))) {
        rc = store_fail(err, rc, "mdb_cursor_open(postings)");
        goto out;
    }
    for (size_t i = 0; i < t.n; i++) {
        uint8_t key[LEX_MAX_TERM + 2], val[8];
        size_t kn = posting_key(key, 'd', t.v[i].text, t.v[i].len);
        posting_doc_val(val, num, quarter(t.v[i].weight), d.length, tag);
        MDB_val k = {kn, key}, v = {8, val};
        if ((rc = mdb_cursor_put(cur, &k, &v, 0))) {
            rc = store_fail(err, rc, "mdb_cursor_put(postings)");
            goto out;
        }
        if (d.runnum && t.v[i].text[0] != LEX_ENTITY_PREFIX &&
            (rc = run_posting_add(cur, t.v[i].text, t.v[i].len, d.runnum,
                                  (long)quarter(t.v[i].weight), tag, err)))
            goto out;
    }
    g.all.docs++;
    g.all.length += d.length;
    us.docs++;
    us.length += d.length;
    uint8_t ikey[17] = {'I'}, nb[4];
    memcpy(ikey + 1, id, 16);
    be32_put(nb, num);
    if ((rc = doc_put(txn, db, num, &d, err)) || (rc = dput(txn, db, ikey, 17, nb, 4, err)) ||
        (rc = user_stats_put(txn, db, d.user_hash, &us, err)) ||
        (rc = global_put(txn, db, &g, err)))
        goto out;
out:
    if (cur) mdb_cursor_close(cur);
    lexical_terms_free(&t);
    return rc;
}

/* ---- Whole-index operations --------------------------------------------------------- */

int lexical_current(MDB_txn *txn, const store_dbs *db, mem0_err *err)
{
    lex_global g;
    int rc = lexical_global(txn, db, &g, err);
    if (rc) return rc;
    if (g.version == LEXICAL_VERSION) return 1;
    MDB_stat st;
    if ((rc = mdb_stat(txn, db->records, &st))) return store_fail(err, rc, "mdb_stat(records)");
    return st.ms_entries == 0 && g.version == 0 ? 1 : 0;
}

int lexical_rebuild(MDB_txn *txn, const store_dbs *db, mem0_err *err)
{
    int rc = mdb_drop(txn, db->postings, 0);
    if (rc == 0) rc = mdb_drop(txn, db->docs, 0);
    if (rc) return store_fail(err, rc, "mdb_drop");
    lex_global g;
    memset(&g, 0, sizeof g);
    g.version = LEXICAL_VERSION;
    if ((rc = global_put(txn, db, &g, err))) return rc;
    /* In created order, so that run links come out the same as when added one by one. */
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(txn, db->by_scope, &cur)))
        return store_fail(err, rc, "mdb_cursor_open(by_scope)");
    uint8_t prefix[2] = {'*', 0};
    MDB_val k = {2, prefix}, v;
    int ret = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 26 || memcmp(k.mv_data, prefix, 2) != 0) break;
        cJSON *rec;
        ret = record_load(txn, db, (const uint8_t *)k.mv_data + 10, &rec, err);
        if (ret == MEM0_ENOTFOUND) {
            ret = 0;
            continue;
        }
        if (ret) break;
        ret = lexical_put(txn, db, rec, err);
        cJSON_Delete(rec);
        if (ret) break;
    }
    mdb_cursor_close(cur);
    if (!ret && rc && rc != MDB_NOTFOUND) ret = store_fail(err, rc, "mdb_cursor_get(by_scope)");
    return ret;
}

__attribute__((format(printf, 2, 3))) static void problem(lex_verify_report *rep, const char *fmt,
                                                          ...)
{
    if (rep->problems++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->first, sizeof rep->first, fmt, ap);
        va_end(ap);
    }
}

int lexical_verify(MDB_txn *txn, const store_dbs *db, lex_verify_report *rep, mem0_err *err)
{
    memset(rep, 0, sizeof *rep);
    lex_global g;
    int rc = lexical_global(txn, db, &g, err);
    if (rc) return rc;
    MDB_cursor *cur = NULL, *pc = NULL;
    uint32_t *run_docs = NULL;
    if ((rc = mdb_cursor_open(txn, db->records, &cur)) ||
        (rc = mdb_cursor_open(txn, db->postings, &pc))) {
        rc = store_fail(err, rc, "mdb_cursor_open");
        goto out;
    }
    run_docs = calloc((size_t)g.next_run + 1, sizeof *run_docs);
    if (!run_docs) {
        rc = err_set(err, MEM0_ENOMEM, "out of memory");
        goto out;
    }
    long expected = 0;
    uint64_t length = 0, run_tf = 0;
    MDB_val k, v;
    int r;
    for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        rep->records++;
        char ids[UUID_STR_LEN + 1] = "?";
        if (k.mv_size == 16) uuid_format(k.mv_data, ids);
        cJSON *rec = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        uint32_t num = 0;
        lex_doc d;
        int q = k.mv_size == 16 ? docnum_of(txn, db, k.mv_data, &num, err) : MEM0_ENOTFOUND;
        if (q == 0) q = lexical_doc(txn, db, num, &d, err);
        if (q && q != MEM0_ENOTFOUND) {
            cJSON_Delete(rec);
            rc = q;
            goto out;
        }
        if (q || !rec) {
            problem(rep, "memory %s is not in the lexical index", ids);
            cJSON_Delete(rec);
            continue;
        }
        if (memcmp(d.id, k.mv_data, 16) != 0)
            problem(rep, "memory %s maps to doc %ld of another memory", ids, (long)num);
        if (d.user_hash != lexical_hash(record_str(rec, "user_id")))
            problem(rep, "memory %s has a stale user in doc %ld", ids, (long)num);
        lex_terms t;
        if ((q = record_terms(rec, &t, err))) {
            cJSON_Delete(rec);
            rc = q;
            goto out;
        }
        if (d.length != (t.length > 0 ? quarter(t.length) : 0))
            problem(rep, "memory %s has a stale length in doc %ld", ids, (long)num);
        for (size_t i = 0; i < t.n; i++) {
            uint8_t key[LEX_MAX_TERM + 2];
            size_t kn = posting_key(key, 'd', t.v[i].text, t.v[i].len);
            MDB_val pv;
            int found = posting_seek(pc, key, kn, num, &pv, err);
            if (found < 0) {
                lexical_terms_free(&t);
                cJSON_Delete(rec);
                rc = found;
                goto out;
            }
            if (!found) problem(rep, "memory %s lacks a posting (doc %ld)", ids, (long)num);
            expected++;
            if (d.runnum && t.v[i].text[0] != LEX_ENTITY_PREFIX) run_tf += quarter(t.v[i].weight);
        }
        lexical_terms_free(&t);
        if (d.runnum && d.runnum <= g.next_run) run_docs[d.runnum]++;
        if (d.prev) {
            lex_doc p;
            if (lexical_doc(txn, db, d.prev, &p, err) != 0 || p.next != num)
                problem(rep, "memory %s has a broken run link (doc %ld)", ids, (long)num);
        }
        length += d.length;
        cJSON_Delete(rec);
    }
    if (r != MDB_NOTFOUND) {
        rc = store_fail(err, r, "mdb_cursor_get(records)");
        goto out;
    }
    /* Every posting belongs to a record: counts match and each expected one was found. */
    uint64_t run_tf_seen = 0;
    for (r = mdb_cursor_get(pc, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(pc, &k, &v, MDB_NEXT)) {
        const uint8_t *p = v.mv_data;
        if (k.mv_size > 0 && ((const uint8_t *)k.mv_data)[0] == 'd')
            rep->postings++;
        else if (v.mv_size == 8)
            run_tf_seen += (uint64_t)(p[4] | p[5] << 8);
    }
    if (rep->postings != expected)
        problem(rep, "the index holds %ld postings of no memory", rep->postings - expected);
    if (run_tf_seen != run_tf)
        problem(rep, "run postings disagree with the memories (%lld)",
                (long long)run_tf_seen - (long long)run_tf);
    MDB_cursor *dc;
    if ((r = mdb_cursor_open(txn, db->docs, &dc))) {
        rc = store_fail(err, r, "mdb_cursor_open(docs)");
        goto out;
    }
    for (r = mdb_cursor_get(dc, &k, &v, MDB_FIRST); r == 0;
         r = mdb_cursor_get(dc, &k, &v, MDB_NEXT)) {
        const uint8_t *kp = k.mv_data;
        if (kp[0] == 'D') {
            rep->docs++;
        } else if (kp[0] == 'R' && k.mv_size == 5 && v.mv_size >= 16) {
            uint32_t rn = be32_get(kp + 1);
            uint32_t want = rn <= g.next_run ? run_docs[rn] : 0;
            if (le32_get((const uint8_t *)v.mv_data + 8) != want)
                problem(rep, "run %lu counts the wrong number of memories", (unsigned long)rn);
        }
    }
    mdb_cursor_close(dc);
    if (rep->docs != rep->records)
        problem(rep, "the index has %ld docs too many", rep->docs - rep->records);
    if (g.all.docs != (uint64_t)rep->records || g.all.length != length)
        problem(rep, "the index statistics are stale (%lu docs)", (unsigned long)g.all.docs);
    if (rep->records && g.version != LEXICAL_VERSION)
        problem(rep, "the index was built by another version (%lu)", (unsigned long)g.version);
out:
    if (cur) mdb_cursor_close(cur);
    if (pc) mdb_cursor_close(pc);
    free(run_docs);
    return rc;
}

/* ---- Reading postings --------------------------------------------------------------- */

int lexical_postings(MDB_txn *txn, const store_dbs *db, char kind, const char *term, size_t n,
                     lex_posting_fn fn, void *ctx, mem0_err *err)
{
    uint8_t key[LEX_MAX_TERM + 2];
    if (n > LEX_MAX_TERM + 1) return 0;
    size_t kn = posting_key(key, kind, term, n);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->postings, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(postings)");
    MDB_val k = {kn, key}, v;
    int ret = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
    if (rc == 0) rc = mdb_cursor_get(cur, &k, &v, MDB_GET_MULTIPLE);
    while (rc == 0 && !ret) {
        const uint8_t *p = v.mv_data;
        for (size_t off = 0; off + 8 <= v.mv_size && !ret; off += 8) {
            const uint8_t *q = p + off;
            lex_posting post;
            post.num = be32_get(q);
            post.tag = (uint16_t)(q[6] | q[7] << 8);
            if (kind == 'd') {
                post.tf = q[4];
                post.len = q[5];
            } else {
                post.tf = (uint32_t)(q[4] | q[5] << 8);
                post.len = 0;
            }
            ret = fn(&post, ctx);
        }
        if (!ret) rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_MULTIPLE);
    }
    mdb_cursor_close(cur);
    if (ret < 0) return ret;
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get(postings)") : 0;
}
