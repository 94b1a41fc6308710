/*
 * vindex.h: the quantized vector index kept in the `vectors` database.
 *
 * Owns the `vectors` database.  A vector is stored as int8 codes with one float scale
 * (code = round(x * 127 / max|x|), so |code| <= 127 and x ~= code * scale), plus its sign
 * bits for a coarse first pass.  Scores are cosine estimates in -1..1 (the embedders give
 * L2-normalised vectors): the dot product of the int8 codes of the query and of the
 * vector, times both scales.  Those dot products are exact integers, so every kernel set
 * (scalar, AVX2, NEON; vindex_kernels.h) ranks identically.
 *
 * Callers keep one invariant: vectors of one embedder and dimension only (embed.h's
 * embed_store_claim/embed_store_check).  The index itself refuses a vector whose
 * dimension differs from the stored ones (until it is empty); vindex_clear() empties it
 * for a reindex.  vindex_put()/vindex_delete() run inside the caller's write transaction,
 * the one that writes or removes the record, so the index and the records never disagree.
 *
 * Layout (be32 = big-endian uint32; other integers little-endian, floats IEEE binary32):
 *   'G'              -> header: u32 version, u32 dim, u32 slots per code block (64),
 *                       u32 high-water slot, u64 live vectors, u32 slots per head block
 *                       (256), u32 reserved
 *   'I' id[16]       -> u32 slot
 *   'F' be32 slot    -> ""  (a free slot below the high-water mark; the lowest is reused first)
 *   'H' be32 block   -> head block of 256 slots: u64 live mask[4] (one per 64 slots),
 *                       u64 tag[256], f32 nf[256], u8 err[256], then the sign bits as 8
 *                       transposed groups of 32 slots (vindex_kernels.h) of 32 * W bytes
 *                       each (W = 8 * ceil(dim / 64)); nf and err are the coarse
 *                       estimate's factor and error scale (vindex.c)
 *   'C' be32 block   -> code block of 64 slots: f32 scale[64], zeros up to byte 304,
 *                       int8 code[64][dim]
 *   'D' be32 block   -> id block of 64 slots: id[64][16]
 * Slot s lives in head block s / 256 and code and id blocks s / 64.  Blocks are fixed-size
 * values in runs of contiguous overflow pages (4 pages for a 384-dim head block, 7 for a
 * code block), so a scan is one cursor step per block over memory read front to back,
 * and a short-lived process maps only the pages it reads (the coarse pass: head blocks
 * only).  A dead slot is zeroed in its blocks and cleared in its live mask.
 *
 * Tags: each vector carries a caller-chosen 64-bit tag (memory.c and reindex.c pass
 * lexical_hash(user_id)); a search can be restricted to a set of tags, checked in the head
 * block before anything else is read, so other users' vectors cost almost nothing.  Finer
 * filters go in a predicate, called with the id and tag of each vector whose tag matched.
 *
 * Search (VINDEX_AUTO picks exact up to VINDEX_EXACT_MAX live vectors, coarse above):
 *   VINDEX_EXACT   streams the head and code blocks and scores every kept vector.
 *   VINDEX_COARSE  streams only the head blocks (64 of the ~570 bytes a 384-dim vector
 *                  takes): each kept vector gets an estimate of its cosine from its sign
 *                  bits against a 4-bit copy of the query (table lookups, 32 vectors at a
 *                  time) and an upper bound (estimate + 2.5 error scales).  Candidates
 *                  are scored exactly best bound first, and dropped once their bound falls
 *                  below the n-th best exact score.  On clustered data (text embeddings)
 *                  a few hundred get scored; on isotropic random data many would, and
 *                  `rerank` caps them.
 * Hits are ordered by score, then by id (bytes ascending), so equal scores rank the same
 * on every run, kernel and insertion order (in coarse mode, among the re-scored vectors).
 */
#ifndef MEM0_VINDEX_H
#define MEM0_VINDEX_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"
#include "vindex_kernels.h"

#define VINDEX_VERSION 1
#define VINDEX_BLOCK 64        /* slots per code and id block */
#define VINDEX_HEAD 256        /* slots per head block */
#define VINDEX_DIM_MAX 8192    /* as EMBED_DIM_MAX */
#define VINDEX_EXACT_MAX 16384 /* VINDEX_AUTO: exact scan up to this many live vectors */
#define VINDEX_RERANK_MIN 2048 /* coarse: at most max(this, VINDEX_RERANK_SQRT * sqrt(live)) */
#define VINDEX_RERANK_SQRT 20  /*         candidates re-scored exactly, by default */

/* ---- Maintenance (inside the caller's write transaction) ---------------------------- */

/* Stores (or replaces) the vector of memory id with its tag.  vec holds dim floats,
 * normally L2-normalised.  MEM0_EINVAL if dim is out of 1..VINDEX_DIM_MAX or differs from
 * the stored vectors' dimension. */
int vindex_put(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], uint64_t tag,
               const float *vec, int dim, mem0_err *err);
/* Removes the vector of memory id; 0 also when it has none. */
int vindex_delete(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], mem0_err *err);
/* Removes every vector (and the dimension), e.g. before a reindex with another embedder. */
int vindex_clear(MDB_txn *txn, const store_dbs *db, mem0_err *err);

/* ---- Reading ------------------------------------------------------------------------ */

typedef struct vindex_info {
    int dim;        /* 0 when the index is empty and has no dimension yet */
    uint64_t live;  /* vectors stored */
    uint32_t slots; /* high-water slot (live + free slots) */
    uint64_t bytes; /* size of the index's values (blocks, header, id map) */
} vindex_info;

int vindex_get_info(MDB_txn *txn, const store_dbs *db, vindex_info *info, mem0_err *err);

/* Copies the stored (quantized) vector of id: codes (dim of them) and *scale; returns 0,
 * or MEM0_ENOTFOUND when id has no vector.  *tag may be NULL. */
int vindex_get(MDB_txn *txn, const store_dbs *db, const uint8_t id[16], int8_t *codes, int dim,
               float *scale, uint64_t *tag, mem0_err *err);

typedef struct vindex_hit {
    uint8_t id[16];
    float score; /* cosine estimate, -1..1 */
} vindex_hit;

/* Keeps (1) or skips (0) a vector; called only for vectors whose tag matched. */
typedef int (*vindex_keep_fn)(const uint8_t id[16], uint64_t tag, void *ctx);

enum { VINDEX_AUTO = 0, VINDEX_EXACT = 1, VINDEX_COARSE = 2 };

/* What one search did (benchmarks, explain). */
typedef struct vindex_stats {
    int mode;          /* VINDEX_EXACT or VINDEX_COARSE, as run */
    uint64_t kept;     /* vectors that passed the tags and the predicate */
    uint64_t rescored; /* of them, scored exactly */
} vindex_stats;

typedef struct vindex_query {
    const float *vec; /* the query, dim floats (L2-normalised) */
    int dim;
    const uint64_t *tags; /* keep only vectors with one of these tags; NULL/0: any tag */
    int ntags;
    vindex_keep_fn keep; /* optional further filter */
    void *keep_ctx;
    int n;    /* hits wanted */
    int mode; /* VINDEX_AUTO, VINDEX_EXACT or VINDEX_COARSE (exact anyway when no more
                 vectors than the rerank cap are stored, or the query is all zeros) */
    /* coarse: at most this many candidates re-scored exactly (at least n); <= 0: the
     * default, max(VINDEX_RERANK_MIN, VINDEX_RERANK_SQRT * sqrt(live)) */
    int rerank;
    vindex_stats *stats; /* optional */
} vindex_query;

/* Fills out[0..*nout) (room for q->n) with the best hits, best first.  An empty index
 * gives *nout = 0; a query whose dimension differs from the stored one is MEM0_EINVAL. */
int vindex_search(MDB_txn *txn, const store_dbs *db, const vindex_query *q, vindex_hit *out,
                  int *nout, mem0_err *err);

/* Exact scores of the given memories (e.g. lexical candidates to fuse): scores[i] for
 * ids[i], NAN when that memory has no vector.  Same estimate as vindex_search. */
int vindex_score(MDB_txn *txn, const store_dbs *db, const float *vec, int dim,
                 const uint8_t (*ids)[16], size_t n, float *scores, mem0_err *err);

typedef struct vindex_verify_report {
    long vectors;    /* live slots found */
    long problems;   /* 0 when the id map, blocks, free list and header agree */
    char first[256]; /* the first problem found */
} vindex_verify_report;

/* Checks the index's own consistency (id map <-> live slots, free list, counters). */
int vindex_verify(MDB_txn *txn, const store_dbs *db, vindex_verify_report *rep, mem0_err *err);

#endif
