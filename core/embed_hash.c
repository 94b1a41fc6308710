/*
 * embed_hash.c: the model-free embedder (spec "hash"): signed feature hashing.
 *
 * Text is normalised (NFKC, case folding, accents stripped: utf8proc) and cut into words
 * (runs of letters and digits).  Features, each hashed with XXH3 (a seed per kind) to one
 * coordinate and a sign:
 *   - every word that is not a stop word, stemmed (Snowball English)  weight 1
 *   - every pair of adjacent such stems ("deploy releas")             weight 0.6
 *   - the character 3-grams of each such word padded as "<word>",
 *     so inflections and typos still overlap ("deploys" ~ "deploy")  0.5 / sqrt(count)
 * then the vector is L2-normalised (by embed.c).  Version "v1" is part of the id: changing
 * any of this changes the id, so old vectors are never compared with new ones.
 */
#include "embed_impl.h"

#include <libstemmer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "util.h"

#define SEED_WORD 0x9e3779b97f4a7c15ULL
#define SEED_PAIR 0xc2b2ae3d27d4eb4fULL
#define SEED_GRAM 0x165667b19e3779f9ULL
#define W_WORD 1.0f
#define W_PAIR 0.6f
#define W_GRAMS 0.5f
#define MAX_WORD 64 /* bytes; longer runs (hashes, base64) count as one word, no 3-grams */

/* Common English function words: alone they say nothing about what a memory is about. */
static const char *const stop_words[] = {
    "a",      "about", "above", "after",    "again", "against", "all",     "am",      "an",
    "and",    "any",   "are",   "as",       "at",    "be",      "been",    "being",   "both",
    "but",    "by",    "can",   "could",    "did",   "do",      "does",    "doing",   "down",
    "during", "each",  "few",   "for",      "from",  "further", "had",     "has",     "have",
    "having", "he",    "her",   "here",     "hers",  "herself", "him",     "himself", "his",
    "how",    "i",     "if",    "in",       "into",  "is",      "it",      "its",     "itself",
    "just",   "me",    "more",  "most",     "my",    "myself",  "no",      "nor",     "not",
    "now",    "of",    "off",   "on",       "once",  "only",    "or",      "other",   "our",
    "ours",   "out",   "over",  "own",      "s",     "same",    "she",     "should",  "so",
    "some",   "such",  "t",     "than",     "that",  "the",     "their",   "theirs",  "them",
    "then",   "there", "these", "they",     "this",  "those",   "through", "to",      "too",
    "under",  "until", "up",    "very",     "was",   "we",      "were",    "what",    "when",
    "where",  "which", "while", "who",      "whom",  "why",     "will",    "with",    "would",
    "you",    "your",  "yours", "yourself",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_stop(const char *w, size_t len)
{
    char buf[16];
    if (len >= sizeof buf) return 0;
    memcpy(buf, w, len);
    buf[len] = '\0';
    const char *key = buf;
    return bsearch(&key, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                   cmp_str) != NULL;
}

/* Adds weight * sign(h) at coordinate h of v. */
static void add_feature(float *v, int dim, uint64_t h, float weight)
{
    uint32_t slot = (uint32_t)(((h & 0xffffffffu) * (uint64_t)dim) >> 32);
    v[slot] += (h >> 63) ? -weight : weight;
}

/* The character 3-grams of "<word>" (by code point). */
static void add_grams(float *v, int dim, const char *w, size_t len)
{
    char padded[MAX_WORD + 2];
    size_t starts[MAX_WORD + 3];
    size_t n = 0, plen = len + 2;
    padded[0] = '<';
    memcpy(padded + 1, w, len);
    padded[len + 1] = '>';
    for (size_t i = 0; i < plen; i++)
        if ((padded[i] & 0xc0) != 0x80) starts[n++] = i;
    starts[n] = plen;
    if (n < 3) return;
    size_t grams = n - 2;
    float weight = W_GRAMS / sqrtf((float)grams);
    for (size_t i = 0; i + 3 <= n; i++)
        add_feature(v, dim,
                    XXH3_64bits_withSeed(padded + starts[i], starts[i + 3] - starts[i], SEED_GRAM),
                    weight);
}

typedef struct span {
    size_t off, len;
} span;

/* Splits normalised UTF-8 into runs of letters and digits. */
static size_t split_words(const uint8_t *s, size_t n, span *out, size_t max)
{
    size_t count = 0, i = 0;
    long start = -1;
    while (i < n && count < max) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t step = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (step <= 0) step = 1, cp = ' ';
        utf8proc_category_t c = utf8proc_category(cp);
        int word = (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                   (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
                   c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC;
        if (word && start < 0) start = (long)i;
        if (!word && start >= 0) {
            out[count].off = (size_t)start;
            out[count++].len = i - (size_t)start;
            start = -1;
        }
        i += (size_t)step;
    }
    if (start >= 0 && count < max) {
        out[count].off = (size_t)start;
        out[count++].len = n - (size_t)start;
    }
    return count;
}

/* The stem of w[0..len) (w itself when there is no stemmer or the word is long). */
static const char *stem(struct sb_stemmer *st, const char *w, size_t len, size_t *out_len)
{
    const sb_symbol *s =
        st && len <= MAX_WORD ? sb_stemmer_stem(st, (const sb_symbol *)w, (int)len) : NULL;
    if (!s) {
        *out_len = len;
        return w;
    }
    *out_len = (size_t)sb_stemmer_length(st);
    return (const char *)s;
}

/* Adds the features of one text to v (dim floats, zeroed by the caller). */
static int embed_one(struct sb_stemmer *st, const char *text, float *v, int dim, mem0_err *err)
{
    utf8proc_uint8_t *norm = NULL;
    utf8proc_ssize_t len =
        utf8proc_map((const utf8proc_uint8_t *)text, 0, &norm,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                         UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    if (len < 0) {
        /* Not valid UTF-8 (core stores only valid text, but be safe): ASCII-fold it. */
        size_t n = strlen(text);
        norm = malloc(n + 1);
        if (!norm) return err_set(err, MEM0_ENOMEM, "hash embedder: out of memory");
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)text[i];
            norm[i] = c >= 'A' && c <= 'Z' ? (utf8proc_uint8_t)(c + 32) : c < 0x80 ? c : ' ';
        }
        norm[n] = '\0';
        len = (utf8proc_ssize_t)n;
    }
    size_t max = (size_t)len / 2 + 1;
    span *words = malloc(max * sizeof *words);
    if (!words) {
        free(norm);
        return err_set(err, MEM0_ENOMEM, "hash embedder: out of memory");
    }
    size_t n = split_words(norm, (size_t)len, words, max);
    const char *s = (const char *)norm;
    uint64_t prev = 0; /* hash of the previous content stem, for pairs; 0: none */
    for (size_t i = 0; i < n; i++) {
        const char *w = s + words[i].off;
        size_t wl = words[i].len, sl;
        if (is_stop(w, wl)) continue;
        if (wl <= MAX_WORD) add_grams(v, dim, w, wl);
        const char *stm = stem(st, w, wl, &sl);
        add_feature(v, dim, XXH3_64bits_withSeed(stm, sl, SEED_WORD), W_WORD);
        /* the pair's hash: the second stem hashed with the first one's as seed */
        if (prev) add_feature(v, dim, XXH3_64bits_withSeed(stm, sl, prev), W_PAIR);
        prev = XXH3_64bits_withSeed(stm, sl, SEED_PAIR) | 1;
    }
    free(words);
    free(norm);
    return 0;
}

static int hash_batch(embedder *e, const char *const *texts, int n, double deadline_ms, float **out,
                      mem0_err *err)
{
    (void)deadline_ms;
    float *v = calloc((size_t)(n > 0 ? n : 1) * (size_t)e->dim, sizeof *v);
    if (!v) return err_set(err, MEM0_ENOMEM, "hash embedder: out of memory");
    /* A stemmer is not thread-safe: one per call.  Without one (out of memory), words go
     * unstemmed, which would change vectors: refuse instead. */
    struct sb_stemmer *st = sb_stemmer_new("english", NULL);
    int rc = st ? 0 : err_set(err, MEM0_ENOMEM, "hash embedder: cannot create the stemmer");
    for (int i = 0; i < n && !rc; i++)
        rc = embed_one(st, texts[i], v + (size_t)i * (size_t)e->dim, e->dim, err);
    if (st) sb_stemmer_delete(st);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    return 0;
}

static void hash_close(embedder *e)
{
    (void)e;
}

static const embed_ops hash_ops = {hash_batch, hash_close};

int embed_hash_open(embedder *e, mem0_err *err)
{
    long dim;
    int rc = embed_env_int("MEM0_EMBED_DIM", EMBED_HASH_DEFAULT_DIM, 16, EMBED_DIM_MAX, &dim, err);
    if (rc) return rc;
    e->ops = &hash_ops;
    e->dim = (int)dim;
    snprintf(e->id, sizeof e->id, "hash:v1");
    snprintf(e->describe, sizeof e->describe, "hash (model-free feature hashing, %d dims)", e->dim);
    return 0;
}
