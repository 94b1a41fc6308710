/*
 * reindex.h: re-embedding every memory with the configured embedder (`mem0-mcp reindex`).
 *
 * A run walks the records in key order, a batch at a time: it reads the batch's texts (read
 * transaction), embeds them outside any transaction, then writes their vectors together with
 * a checkpoint (meta "reindex_cursor" = the batch's last record id) in one write
 * transaction.  A run that is interrupted anywhere (kill -9, power loss) therefore resumes
 * after the last committed batch, and every memory ends with exactly one vector.
 *
 * Starting: when meta "reindex_embedder"/"reindex_dim" already name this embedder, the run
 * resumes from "reindex_cursor"; otherwise it starts over, in one transaction: the vector
 * index is emptied, "embedder"/"embed_dim" are removed and "reindex_*" set.  While a reindex
 * is unfinished embed_store_check() accepts only its embedder, so vectors are never mixed
 * (searches with the old embedder fall back to lexical).  Finishing: the last transaction
 * records "embedder"/"embed_dim" and removes "reindex_*".
 *
 * With no embedder (spec "none") the vectors and the record are removed: the store becomes
 * lexical only and any embedder may claim it later.
 */
#ifndef MEM0_REINDEX_H
#define MEM0_REINDEX_H

#include "embed.h"
#include "mem0.h"

#define REINDEX_DEFAULT_BATCH 64

/* Called after each committed batch: done of total memories. */
typedef void (*reindex_progress_fn)(void *ctx, long done, long total);

typedef struct reindex_opts {
    int batch;                    /* memories per batch; <= 0: REINDEX_DEFAULT_BATCH */
    reindex_progress_fn progress; /* may be NULL */
    void *ctx;
    long stop_after; /* stop (unfinished) after this many batches; 0: never */
} reindex_opts;

typedef struct reindex_stats {
    long total;    /* memories in the store when the run started */
    long embedded; /* memories embedded and written by this run */
    long resumed;  /* memories an earlier, interrupted run had already done */
    int complete;  /* 1: every memory has its vector and the record names e */
} reindex_stats;

/* Re-embeds every memory of m with e (NULL: remove every vector).  opt may be NULL.
 * Embedder failures stop the run with their error; run it again to resume. */
int reindex_run(mem0 *m, embedder *e, const reindex_opts *opt, reindex_stats *stats, mem0_err *err);

#endif
