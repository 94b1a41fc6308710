/* search.c: lexical ranking of filtered candidates (see search.h for the score). */
#include "search.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "util.h"

#define BM25_K1 1.2
#define BM25_B 0.75
#define MAX_QUERY_TERMS 64
#define MAX_TERM 64

static const char *const stop_words[] = {
    "a",     "about", "an",    "and",   "are",  "as",    "at",   "be",    "by",   "can",
    "did",   "do",    "does",  "for",   "from", "had",   "has",  "have",  "he",   "her",
    "his",   "how",   "i",     "if",    "in",   "into",  "is",   "it",    "its",  "me",
    "my",    "of",    "on",    "or",    "our",  "she",   "so",   "that",  "the",  "their",
    "them",  "then",  "there", "these", "they", "this",  "to",   "was",   "we",   "were",
    "what",  "when",  "where", "which", "who",  "whom",  "why",  "will",  "with", "would",
    "you",   "your",  NULL};

static int is_stop(const char *t, size_t n)
{
    for (const char *const *w = stop_words; *w; w++)
        if (strlen(*w) == n && memcmp(*w, t, n) == 0)
            return 1;
    return 0;
}

void search_terms(const char *text, void (*fn)(const char *term, size_t n, void *ctx), void *ctx)
{
    char term[MAX_TERM];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text;; p++) {
        int word = *p && (isalnum(*p) || *p >= 0x80);
        if (word) {
            if (n < MAX_TERM)
                term[n++] = (char)tolower(*p);
            continue;
        }
        if (n > 0 && n < MAX_TERM && !is_stop(term, n))
            fn(term, n, ctx);
        n = 0;
        if (!*p)
            break;
    }
}

typedef struct query_terms {
    char t[MAX_QUERY_TERMS][MAX_TERM];
    size_t len[MAX_QUERY_TERMS];
    size_t n;
} query_terms;

static void add_query_term(const char *term, size_t n, void *ctx)
{
    query_terms *q = ctx;
    for (size_t i = 0; i < q->n; i++)
        if (q->len[i] == n && memcmp(q->t[i], term, n) == 0)
            return;
    if (q->n == MAX_QUERY_TERMS)
        return;
    memcpy(q->t[q->n], term, n);
    q->len[q->n++] = n;
}

typedef struct doc_counts {
    const query_terms *q;
    unsigned *tf; /* one counter per query term */
    unsigned len;
} doc_counts;

static void count_doc_term(const char *term, size_t n, void *ctx)
{
    doc_counts *d = ctx;
    d->len++;
    for (size_t i = 0; i < d->q->n; i++)
        if (d->q->len[i] == n && memcmp(d->q->t[i], term, n) == 0)
            d->tf[i]++;
}

static int hit_order(const void *pa, const void *pb)
{
    const search_hit *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score < b->score ? 1 : -1;
    int64_t ta = record_created_us(a->rec), tb = record_created_us(b->rec);
    if (ta != tb)
        return ta < tb ? 1 : -1;
    const char *ia = record_str(a->rec, "id"), *ib = record_str(b->rec, "id");
    return strcmp(ia ? ia : "", ib ? ib : "");
}

long search_rank(const char *query, cJSON **recs, size_t n, search_hit *hits, mem0_err *err)
{
    query_terms *q = calloc(1, sizeof *q);
    unsigned *tf = n ? calloc(n * MAX_QUERY_TERMS, sizeof *tf) : NULL;
    unsigned *len = n ? calloc(n, sizeof *len) : NULL;
    if (!q || (n && (!tf || !len))) {
        free(q);
        free(tf);
        free(len);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    search_terms(query, add_query_term, q);
    double total_len = 0;
    for (size_t i = 0; i < n; i++) {
        doc_counts d = {q, tf + i * MAX_QUERY_TERMS, 0};
        const char *text = record_str(recs[i], "memory");
        search_terms(text ? text : "", count_doc_term, &d);
        len[i] = d.len;
        total_len += d.len;
    }
    double avgdl = n ? total_len / (double)n : 1;
    if (avgdl <= 0)
        avgdl = 1;
    double idf[MAX_QUERY_TERMS], best = 0;
    for (size_t t = 0; t < q->n; t++) {
        unsigned df = 0;
        for (size_t i = 0; i < n; i++)
            df += tf[i * MAX_QUERY_TERMS + t] > 0;
        idf[t] = log(1.0 + ((double)n - df + 0.5) / (df + 0.5));
        best += idf[t] * (BM25_K1 + 1);
    }
    long scored = 0;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        int matched = 0;
        for (size_t t = 0; t < q->n; t++) {
            double f = tf[i * MAX_QUERY_TERMS + t];
            if (f <= 0)
                continue;
            matched++;
            s += idf[t] * f * (BM25_K1 + 1) /
                 (f + BM25_K1 * (1 - BM25_B + BM25_B * len[i] / avgdl));
        }
        hits[i].rec = recs[i];
        hits[i].bm25 = s;
        hits[i].matched = matched;
        hits[i].score = best > 0 && matched ? s / best : 0;
        if (hits[i].score > 1)
            hits[i].score = 1;
        scored += matched > 0;
    }
    qsort(hits, n, sizeof *hits, hit_order);
    free(q);
    free(tf);
    free(len);
    return scored;
}
