/*
 * search.h: ranking of candidate records against a query (first version: lexical).
 *
 * Score (documented in the README): Okapi BM25 (k1 = 1.2, b = 0.75) over the candidates
 * that passed the filter, with IDF from those candidates, divided by the largest value the
 * query's terms could reach (sum of idf * (k1 + 1)), so it lies in 0..1 and reads as the
 * share of the query's evidence a memory carries.  A memory sharing no term with the query
 * scores 0 and is never returned.  Ties go to the newer memory, then to the smaller id.
 */
#ifndef MEM0_SEARCH_H
#define MEM0_SEARCH_H

#include <stddef.h>
#include "mem0.h"

typedef struct search_hit {
    cJSON *rec;        /* owned by the caller's candidate list */
    double score;
    double bm25;
    int matched;       /* distinct query terms found */
} search_hit;

/* Scores n records for query; fills hits[0..n) in rank order and returns how many scored
 * above 0 (those come first).  Returns a negative mem0_status on allocation failure. */
long search_rank(const char *query, cJSON **recs, size_t n, search_hit *hits, mem0_err *err);

/* Splits text into lowercase terms (ASCII letters and digits, and any non-ASCII bytes, form
 * words; stop words dropped); calls fn for each.  Issue-3 retrieval replaces this. */
void search_terms(const char *text, void (*fn)(const char *term, size_t n, void *ctx), void *ctx);

#endif
