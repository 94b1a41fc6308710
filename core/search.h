/*
 * search.h: retrieval: candidates from the lexical postings, context features, fusion.
 *
 * One search runs inside one read transaction (search_run) and never loads a record it
 * does not have to: candidates come from the postings of the query's terms (lexical.h),
 * ranked, then checked cheapest first (expiry and user from the docs entry, then the
 * record and the full filter), best first, until top_k pass.  Filters and show_expired
 * therefore apply before anything is returned, exactly as a scan would.
 *
 * Score of a memory d for query q (every component in 0..1):
 *   lexical  = BM25(d, q) / sum over query terms of idf * (k1 + 1)   (k1 1.2, b 0.75; idf and
 *              average length over the user's memories, or all when no user is pinned)
 *   neighbour = sum over k = 1..W of decay^(k-1) * (lexical(prev_k) + lexical(next_k)),
 *              divided by its largest value; prev_k/next_k are the k-th memories before and
 *              after d in the same run (same user_id and run_id, created_at order)
 *   run      = BM25 of d's whole run (all its memories as one text) / its largest value
 *   entity   = share (idf-weighted) of the query's names (capitalised words, @handles,
 *              file names) that d mentions
 *   date     = 1 if a date in the query falls on d's date (metadata session_date/date,
 *              else created_at) or, for a month, within it
 *   when     = 1 if the query asks "when" and d carries a time expression
 *   project  = 1 if d's app_id is the current project
 *   recency  = 0.5 ^ (age in days / 30)
 *   vector   = cosine similarity (clamped at 0) when an embedder supplies one
 *   score    = (lexical + sum of w_x * x) / (1 + sum of w_x)
 * with the weights of search_params; plain BM25 ranking (MEM0_RANKING=bm25) keeps only
 * lexical.  A memory is a candidate if it shares a term with the query or is a run
 * neighbour of one of the best lexical matches (or a vector hit).  Ties go to the newer
 * memory, then to the smaller id.
 */
#ifndef MEM0_SEARCH_H
#define MEM0_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include "filter.h"
#include "store.h"

typedef struct search_params {
    int bm25_only; /* MEM0_RANKING=bm25: lexical alone, no context */
    int window;    /* W: run neighbours on each side */
    double decay;  /* weight of the k-th neighbour: decay^(k-1) */
    double ahead;  /* neighbours after a memory count this much relative to those before */
    double w_neighbour, w_run, w_entity, w_date, w_when, w_project, w_recency, w_vector;
    int fusion; /* 1: noisy-or (default), 0: linear mean (see above) */
    int pool;   /* lexical candidates examined before context (grows when filters
                   reject too many) */
} search_params;

/* The defaults (chosen on LoCoMo conversations 0-4), then MEM0_RANKING ("bm25" or
 * "hybrid") and MEM0_RANK_PARAMS ("neighbour=0.3,window=2,..." for evaluations). */
void search_params_load(search_params *p);

/* A vector hit an embedder and vector index found for the query. */
typedef struct search_vec_hit {
    uint8_t id[16];
    double sim; /* cosine similarity */
} search_vec_hit;

typedef struct search_query {
    const char *query;
    const filter *f; /* parsed, scope rule applied */
    int show_expired, top_k, explain;
    double threshold; /* < 0: none */
    int64_t now_us;
    const char *project;       /* current app_id for the project boost, or NULL */
    const search_vec_hit *vec; /* optional, vec_n hits */
    size_t vec_n;
    const search_params *params;
} search_query;

/* Appends to out (a cJSON array) up to top_k memory objects with "score" (and
 * "score_details" when explain is set), best first. */
int search_run(MDB_txn *txn, const store_dbs *db, const search_query *q, cJSON *out, mem0_err *err);

#endif
