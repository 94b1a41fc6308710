/*
 * eval_common.h: what the retrieval evaluation drivers (eval_locomo, eval_coding) share.
 *
 * - The reference lexical ranker of ../shared/bench/README.md, implemented here
 *   independently of core/ so the protocol can be checked against the published numbers:
 *   Okapi BM25 (k1 1.2, b 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over
 *   lowercased `[a-z0-9]+` tokens, the Snowball English stop list removed, the Snowball
 *   English stemmer (libstemmer) applied; one index per corpus; ties go to the document
 *   added first; only documents sharing a term with the query are returned.
 * - Rank metrics (any@1/5/10, all@5/10, MRR@10) accumulated per group.
 * - Reading a whole file.
 *
 * Test tooling only: every function is static, each driver gets its own copy.  Functions
 * that fail print to stderr and return -1 or NULL.
 */
#ifndef EVAL_COMMON_H
#define EVAL_COMMON_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libstemmer.h>

#define EV_TOPK 10

/* ---- Small helpers ------------------------------------------------------------------ */

static inline double ev_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file, NUL-terminated, or NULL. */
static inline char *ev_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
        if (len + 1 == cap) {
            char *more = realloc(buf, cap * 2);
            if (!more) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        perror(path);
        free(buf);
        buf = NULL;
    }
    if (buf) buf[len] = '\0';
    fclose(f);
    return buf;
}

/* ---- Reference BM25 ----------------------------------------------------------------- */

/* The Snowball English stop list (snowballstem.org, english/stop.txt).  The contracted
 * forms are kept for completeness; a `[a-z0-9]+` token never contains an apostrophe. */
static const char *const ev_snowball_stop[] = {
    "i",        "me",      "my",     "myself",   "we",         "our",       "ours",    "ourselves",
    "you",      "your",    "yours",  "yourself", "yourselves", "he",        "him",     "his",
    "himself",  "she",     "her",    "hers",     "herself",    "it",        "its",     "itself",
    "they",     "them",    "their",  "theirs",   "themselves", "what",      "which",   "who",
    "whom",     "this",    "that",   "these",    "those",      "am",        "is",      "are",
    "was",      "were",    "be",     "been",     "being",      "have",      "has",     "had",
    "having",   "do",      "does",   "did",      "doing",      "would",     "should",  "could",
    "ought",    "i'm",     "you're", "he's",     "she's",      "it's",      "we're",   "they're",
    "i've",     "you've",  "we've",  "they've",  "i'd",        "you'd",     "he'd",    "she'd",
    "we'd",     "they'd",  "i'll",   "you'll",   "he'll",      "she'll",    "we'll",   "they'll",
    "isn't",    "aren't",  "wasn't", "weren't",  "hasn't",     "haven't",   "hadn't",  "doesn't",
    "don't",    "didn't",  "won't",  "wouldn't", "shan't",     "shouldn't", "can't",   "cannot",
    "couldn't", "mustn't", "let's",  "that's",   "who's",      "what's",    "here's",  "there's",
    "when's",   "where's", "why's",  "how's",    "a",          "an",        "the",     "and",
    "but",      "if",      "or",     "because",  "as",         "until",     "while",   "of",
    "at",       "by",      "for",    "with",     "about",      "against",   "between", "into",
    "through",  "during",  "before", "after",    "above",      "below",     "to",      "from",
    "up",       "down",    "in",     "out",      "on",         "off",       "over",    "under",
    "again",    "further", "then",   "once",     "here",       "there",     "when",    "where",
    "why",      "how",     "all",    "any",      "both",       "each",      "few",     "more",
    "most",     "other",   "some",   "such",     "no",         "nor",       "not",     "only",
    "own",      "same",    "so",     "than",     "too",        "very",      NULL};

typedef struct ev_posting {
    int doc;
    int tf;
} ev_posting;

typedef struct ev_term {
    char *text;
    ev_posting *post; /* ascending doc */
    int npost, cap;
} ev_term;

typedef struct ev_bm25 {
    struct sb_stemmer *stem;
    ev_term *terms;
    int nterms, capterms;
    int *slot; /* open addressing: term index + 1, 0 empty */
    int nslot;
    int *doclen;
    int ndocs, capdocs;
    double avgdl;
    double *acc; /* per-document score scratch */
} ev_bm25;

static inline uint64_t ev_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static inline int ev_is_stop(const char *t, size_t n)
{
    for (const char *const *w = ev_snowball_stop; *w; w++)
        if (strlen(*w) == n && memcmp(*w, t, n) == 0) return 1;
    return 0;
}

static inline int ev_rehash(ev_bm25 *ix)
{
    int n = ix->nslot ? ix->nslot * 2 : 4096;
    int *slot = calloc((size_t)n, sizeof *slot);
    if (!slot) return -1;
    for (int t = 0; t < ix->nterms; t++) {
        uint64_t h = ev_hash(ix->terms[t].text, strlen(ix->terms[t].text));
        size_t i = (size_t)(h & (uint64_t)(n - 1));
        while (slot[i])
            i = (i + 1) & (size_t)(n - 1);
        slot[i] = t + 1;
    }
    free(ix->slot);
    ix->slot = slot;
    ix->nslot = n;
    return 0;
}

/* The index of term s[0..n), added when create is set; -1 if absent (or out of memory). */
static inline int ev_term_id(ev_bm25 *ix, const char *s, size_t n, int create)
{
    if (ix->nslot == 0 || (create && (ix->nterms + 1) * 2 > ix->nslot))
        if (ev_rehash(ix)) return -1;
    uint64_t h = ev_hash(s, n);
    size_t i = (size_t)(h & (uint64_t)(ix->nslot - 1));
    for (; ix->slot[i]; i = (i + 1) & (size_t)(ix->nslot - 1)) {
        const char *t = ix->terms[ix->slot[i] - 1].text;
        if (strlen(t) == n && memcmp(t, s, n) == 0) return ix->slot[i] - 1;
    }
    if (!create) return -1;
    if (ix->nterms == ix->capterms) {
        int cap = ix->capterms ? ix->capterms * 2 : 1024;
        ev_term *more = realloc(ix->terms, (size_t)cap * sizeof *more);
        if (!more) return -1;
        ix->terms = more;
        ix->capterms = cap;
    }
    ev_term *t = &ix->terms[ix->nterms];
    memset(t, 0, sizeof *t);
    if (!(t->text = malloc(n + 1))) return -1;
    memcpy(t->text, s, n);
    t->text[n] = '\0';
    ix->slot[i] = ++ix->nterms;
    return ix->nterms - 1;
}

/* Calls fn(term, n, ctx) for each analysed term of text, in order: lowercase ASCII
 * letters and digits make tokens, everything else separates; stop words are dropped;
 * the rest is stemmed. */
static inline void ev_analyse(ev_bm25 *ix, const char *text,
                              void (*fn)(const char *term, size_t n, void *ctx), void *ctx)
{
    char tok[256];
    size_t n = 0;
    for (const char *p = text;; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (n < sizeof tok) tok[n++] = c;
            continue;
        }
        if (n > 0 && n < sizeof tok && !ev_is_stop(tok, n)) {
            const sb_symbol *s = sb_stemmer_stem(ix->stem, (const sb_symbol *)tok, (int)n);
            if (s) fn((const char *)s, (size_t)sb_stemmer_length(ix->stem), ctx);
        }
        n = 0;
        if (!c) break;
    }
}

static inline ev_bm25 *ev_bm25_new(void)
{
    ev_bm25 *ix = calloc(1, sizeof *ix);
    if (ix && !(ix->stem = sb_stemmer_new("english", "UTF_8"))) {
        free(ix);
        ix = NULL;
    }
    if (!ix) fprintf(stderr, "reference BM25: cannot create the Snowball English stemmer\n");
    return ix;
}

static inline void ev_bm25_free(ev_bm25 *ix)
{
    if (!ix) return;
    for (int t = 0; t < ix->nterms; t++) {
        free(ix->terms[t].text);
        free(ix->terms[t].post);
    }
    free(ix->terms);
    free(ix->slot);
    free(ix->doclen);
    free(ix->acc);
    sb_stemmer_delete(ix->stem);
    free(ix);
}

typedef struct ev_add_ctx {
    ev_bm25 *ix;
    int doc, len, failed;
} ev_add_ctx;

static inline void ev_add_term(const char *s, size_t n, void *vctx)
{
    ev_add_ctx *c = vctx;
    c->len++;
    int id = ev_term_id(c->ix, s, n, 1);
    if (id < 0) {
        c->failed = 1;
        return;
    }
    ev_term *t = &c->ix->terms[id];
    if (t->npost && t->post[t->npost - 1].doc == c->doc) {
        t->post[t->npost - 1].tf++;
        return;
    }
    if (t->npost == t->cap) {
        int cap = t->cap ? t->cap * 2 : 4;
        ev_posting *more = realloc(t->post, (size_t)cap * sizeof *more);
        if (!more) {
            c->failed = 1;
            return;
        }
        t->post = more;
        t->cap = cap;
    }
    t->post[t->npost++] = (ev_posting){c->doc, 1};
}

/* Adds the next document (its index is the number added before it); 0 or -1. */
static inline int ev_bm25_add(ev_bm25 *ix, const char *text)
{
    if (ix->ndocs == ix->capdocs) {
        int cap = ix->capdocs ? ix->capdocs * 2 : 1024;
        int *more = realloc(ix->doclen, (size_t)cap * sizeof *more);
        if (!more) return -1;
        ix->doclen = more;
        ix->capdocs = cap;
    }
    ev_add_ctx c = {ix, ix->ndocs, 0, 0};
    ev_analyse(ix, text, ev_add_term, &c);
    ix->doclen[ix->ndocs++] = c.len;
    free(ix->acc);
    ix->acc = NULL;
    return c.failed ? -1 : 0;
}

typedef struct ev_query_ctx {
    ev_bm25 *ix;
    int ids[256];
    int n;
} ev_query_ctx;

static inline void ev_query_term(const char *s, size_t n, void *vctx)
{
    ev_query_ctx *q = vctx;
    int id = ev_term_id(q->ix, s, n, 0);
    if (id < 0 || q->n == (int)(sizeof q->ids / sizeof q->ids[0])) return;
    for (int i = 0; i < q->n; i++)
        if (q->ids[i] == id) return; /* each distinct query term counts once */
    q->ids[q->n++] = id;
}

/* The best documents for query, at most k of them into out[], best first; their count. */
static inline int ev_bm25_search(ev_bm25 *ix, const char *query, int k, int *out, double *scores)
{
    if (!ix->acc) {
        long total = 0;
        for (int d = 0; d < ix->ndocs; d++)
            total += ix->doclen[d];
        ix->avgdl = ix->ndocs ? (double)total / ix->ndocs : 1;
        if (ix->avgdl <= 0) ix->avgdl = 1;
        if (!(ix->acc = calloc((size_t)ix->ndocs + 1, sizeof *ix->acc))) return 0;
    }
    const double k1 = 1.2, b = 0.75;
    ev_query_ctx q;
    q.ix = ix;
    q.n = 0;
    ev_analyse(ix, query, ev_query_term, &q);
    memset(ix->acc, 0, (size_t)ix->ndocs * sizeof *ix->acc);
    for (int i = 0; i < q.n; i++) {
        const ev_term *t = &ix->terms[q.ids[i]];
        double df = t->npost, N = ix->ndocs;
        double idf = log(1.0 + (N - df + 0.5) / (df + 0.5));
        for (int p = 0; p < t->npost; p++) {
            double tf = t->post[p].tf;
            double norm = k1 * (1 - b + b * ix->doclen[t->post[p].doc] / ix->avgdl);
            ix->acc[t->post[p].doc] += idf * tf * (k1 + 1) / (tf + norm);
        }
    }
    /* Insertion into a short sorted list: strictly greater wins, so ties keep doc order. */
    int n = 0;
    for (int d = 0; d < ix->ndocs; d++) {
        double s = ix->acc[d];
        if (s <= 0 || (n == k && s <= scores[n - 1])) continue;
        int at = n < k ? n++ : k - 1;
        while (at > 0 && scores[at - 1] < s) {
            out[at] = out[at - 1];
            scores[at] = scores[at - 1];
            at--;
        }
        out[at] = d;
        scores[at] = s;
    }
    return n;
}

/* ---- Rank metrics ------------------------------------------------------------------- */

typedef struct ev_acc {
    long n;
    double any1, any5, any10, all5, all10, mrr;
} ev_acc;

/* Scores one query: ranked[0..nranked) are item indices best first (at most EV_TOPK are
 * looked at), gold[0..ngold) distinct item indices. */
static inline void ev_score(ev_acc *a, const int *ranked, int nranked, const int *gold, int ngold)
{
    int first = 0, in5 = 0, in10 = 0;
    if (nranked > EV_TOPK) nranked = EV_TOPK;
    for (int r = 0; r < nranked; r++) {
        int hit = 0;
        for (int g = 0; g < ngold; g++)
            hit |= ranked[r] == gold[g];
        if (!hit) continue;
        if (!first) first = r + 1;
        in10++;
        if (r < 5) in5++;
    }
    a->n++;
    a->any1 += first == 1;
    a->any5 += first && first <= 5;
    a->any10 += first > 0;
    a->all5 += in5 == ngold;
    a->all10 += in10 == ngold;
    a->mrr += first ? 1.0 / first : 0;
}

static inline void ev_acc_merge(ev_acc *into, const ev_acc *a)
{
    into->n += a->n;
    into->any1 += a->any1;
    into->any5 += a->any5;
    into->any10 += a->any10;
    into->all5 += a->all5;
    into->all10 += a->all10;
    into->mrr += a->mrr;
}

/* "| any@1 | any@5 | any@10 | all@5 | all@10 | MRR@10 |" cells, in percent. */
static inline void ev_print_cells(FILE *out, const ev_acc *a)
{
    double n = a->n ? (double)a->n : 1;
    fprintf(out, " %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |", 100 * a->any1 / n, 100 * a->any5 / n,
            100 * a->any10 / n, 100 * a->all5 / n, 100 * a->all10 / n, 100 * a->mrr / n);
}

#endif
