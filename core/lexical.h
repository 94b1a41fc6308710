/*
 * lexical.h: the tokeniser and the lexical index (BM25 postings) kept in LMDB.
 *
 * Owns the `postings` and `docs` databases.  record_put()/record_remove() call
 * lexical_put()/lexical_remove() in the same write transaction as the record, so the index
 * and the records can never disagree; lexical_verify() checks that they do not.
 *
 * Tokeniser (lexical_tokenize): NFKC + case folding + mark stripping through utf8proc;
 * words are runs of letters, digits and marks; CJK runs become overlapping bigrams.
 * Code-aware: snake_case, CamelCase/camelCase, paths (a/b/c.ext), dotted names
 * (pkg.mod.func) and versions (1.2.3, v2.0.1 also as 2.0.1) are kept whole (weight 1, not
 * stemmed) and split into parts (weight 0.5 each).  Plain words go through the Snowball
 * English stop list and stemmer (libstemmer).  Capitalised words that are not stop words,
 * @handles and file names also give an entity term "=name" (see LEX_ENTITY_PREFIX), which
 * counts towards no document length.
 *
 * Layout (be32 = big-endian uint32; all other integers little-endian, fixed width):
 *   postings (MDB_DUPSORT | MDB_DUPFIXED, every value 8 bytes, sorted by number):
 *     'd' term   -> be32 docnum, u8 tf (quarter units, <= 255), u8 length code,
 *                   u16 user tag                      (one per document holding term)
 *     'r' term   -> be32 runnum, u16 tf (quarter units), u16 user tag
 *                                                     (one per run holding term)
 *   docs:
 *     'G'              -> lex_global (version, counters, collection statistics)
 *     'D' be32 docnum  -> lex_doc (id, scope hashes, dates, run links, length)
 *     'I' id[16]       -> be32 docnum
 *     'U' u64 userhash -> lex_stats of that user's memories (for IDF over the scope)
 *     'R' be32 runnum  -> lex_run (user hash, documents, length)
 *     'Q' u64 runhash  -> be32 runnum   (runhash = hash of user_id NUL run_id)
 * The user tag is the low 16 bits of the user hash: postings of other users are skipped
 * without reading their documents (a colliding tag is caught by the record check later).
 * Lengths and tf are in quarter units (a weight 0.5 part adds 2).  The length code is
 * exact below 128 quarter units and logarithmic above (lex_len_decode).
 * Run links: documents of one (user_id, run_id) are chained prev/next in created_at
 * order, found through the by_scope run index when a document is added.
 */
#ifndef MEM0_LEXICAL_H
#define MEM0_LEXICAL_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

#define LEXICAL_VERSION 1
#define LEX_MAX_TERM 64 /* bytes; longer tokens are clipped at a character boundary */
#define LEX_ENTITY_PREFIX '='

/* ---- Tokeniser ---------------------------------------------------------------------- */

typedef struct lex_term {
    const char *text; /* NUL-terminated, inside the owning lex_terms */
    size_t len;
    double weight;
} lex_term;

typedef struct lex_terms {
    lex_term *v;
    size_t n, cap;
    char *arena; /* term texts; grows by chunks that never move */
    size_t used, size;
    void *chunks;  /* list of arenas to free */
    double length; /* sum of the weights of word terms (entities excluded) */
    int oom;
} lex_terms;

/* Appends the terms of text (valid UTF-8) to out; 0 or MEM0_ENOMEM. */
int lexical_tokenize(const char *text, lex_terms *out, mem0_err *err);
/* Sorts the terms and merges repeats, summing weights (tf per term). */
void lexical_merge(lex_terms *t);
void lexical_terms_free(lex_terms *t);
/* 1 if the folded word (ASCII lowercase) is on the Snowball English stop list. */
int lexical_is_stop(const char *word, size_t n);
/* Finds the first calendar date in s ("2023-05-08", "8 May, 2023", "May 8, 2023", or a
 * month "May 2023"); sets the day range [lo, hi] (days since 1970) and returns 1, else 0. */
int lexical_find_date(const char *s, int32_t *lo, int32_t *hi);
/* 1 if s carries a date or a relative time expression ("yesterday", "last week", a year). */
int lexical_temporal(const char *s);

/* ---- Index records ------------------------------------------------------------------ */

typedef struct lex_doc {
    uint8_t id[16];
    uint64_t user_hash, app_hash;
    int64_t created_us;
    int32_t date_day;            /* days since 1970 of metadata date/session_date, else created */
    int32_t expiry_day;          /* days since 1970 of expiration_date; INT32_MAX: never */
    uint32_t runnum, prev, next; /* 0: none */
    uint32_t length;             /* quarter units */
    uint32_t flags;              /* LEX_DOC_* */
} lex_doc;

#define LEX_DOC_TEMPORAL 1u /* the text carries a date or a relative time expression */

typedef struct lex_stats {
    uint64_t docs, length; /* documents and total length (quarter units) */
    uint64_t runs, run_length;
} lex_stats;

typedef struct lex_global {
    uint32_t version, next_doc, next_run;
    lex_stats all;
} lex_global;

typedef struct lex_run {
    uint64_t user_hash;
    uint32_t docs, length;
} lex_run;

/* 64-bit hash of an entity id (user_id, app_id); 0 for NULL/"". */
uint64_t lexical_hash(const char *s);
double lex_len_decode(uint8_t code);

/* ---- Maintenance (inside the caller's write transaction) ---------------------------- */

/* Indexes rec (its by_scope entries must already be written). */
int lexical_put(MDB_txn *txn, const store_dbs *db, const cJSON *rec, mem0_err *err);
/* Removes rec from the index (before its by_scope entries go); a missing doc is fine. */
int lexical_remove(MDB_txn *txn, const store_dbs *db, const cJSON *rec, mem0_err *err);
/* Empties the index and indexes every record again. */
int lexical_rebuild(MDB_txn *txn, const store_dbs *db, mem0_err *err);
/* 1 if the index was built by this LEXICAL_VERSION (or the store holds no record), 0 if it
 * needs lexical_rebuild, negative on error. */
int lexical_current(MDB_txn *txn, const store_dbs *db, mem0_err *err);

typedef struct lex_verify_report {
    long records, docs, postings;
    long problems;   /* 0 when index and records agree */
    char first[256]; /* the first problem found */
} lex_verify_report;

/* Checks that every record has its doc and postings (re-tokenised) and every posting and
 * doc has its record, and that counters add up.  0 (see rep->problems) or an error. */
int lexical_verify(MDB_txn *txn, const store_dbs *db, lex_verify_report *rep, mem0_err *err);

/* ---- Reading ------------------------------------------------------------------------ */

int lexical_global(MDB_txn *txn, const store_dbs *db, lex_global *g, mem0_err *err);
/* Statistics of one user's memories (zeros when none). */
int lexical_user_stats(MDB_txn *txn, const store_dbs *db, uint64_t user_hash, lex_stats *s,
                       mem0_err *err);
/* 0, MEM0_ENOTFOUND, or a store error. */
int lexical_doc(MDB_txn *txn, const store_dbs *db, uint32_t docnum, lex_doc *d, mem0_err *err);

typedef struct lex_posting {
    uint32_t num; /* docnum or runnum */
    uint32_t tf;  /* quarter units */
    uint32_t len; /* doc length code (0 for runs) */
    uint16_t tag;
} lex_posting;

/* Calls fn for every posting of (kind 'd' or 'r', term), in number order; fn returns
 * non-zero to stop (a negative value is passed back). */
typedef int (*lex_posting_fn)(const lex_posting *p, void *ctx);
int lexical_postings(MDB_txn *txn, const store_dbs *db, char kind, const char *term, size_t n,
                     lex_posting_fn fn, void *ctx, mem0_err *err);

#endif
