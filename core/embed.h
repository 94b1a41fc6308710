/*
 * embed.h: text to vectors, and the store's record of which embedder wrote its vectors.
 *
 * One interface, three kinds of embedder plus "none", chosen by a spec string:
 *   none              lexical search only: no vectors (the default: on LoCoMo, fusing hash
 *                     vectors with BM25 measured no gain, so vectors come from models only)
 *   hash              model-free: signed feature hashing (XXH3) of normalised, stemmed words,
 *                     pairs of adjacent words and character 3-grams; dimension MEM0_EMBED_DIM
 *                     or 256
 *   static:NAME       a model2vec model installed with `mem0-mcp model install NAME`
 *                     ($MEM0_HOME/models/NAME, see model.h)
 *   static:PATH       a model2vec folder anywhere (PATH holds a '/'): model.safetensors (a 2-D
 *                     "embeddings" tensor, F32/F16/BF16/I8) and tokenizer.json (WordPiece,
 *                     Unigram or WordLevel); tokens are looked up, mean-pooled, normalised.
 *                     Opening maps the table and a parsed-tokenizer cache kept in
 *                     $MEM0_HOME/models/.cache (well under 1 ms once cached)
 *   openai            an OpenAI-compatible POST /embeddings server (OpenAI, Ollama, LM Studio,
 *                     vLLM, llama.cpp server), configured by the environment:
 *     MEM0_EMBED_URL          base URL, default https://api.openai.com/v1 ("/embeddings" is
 *                             appended unless the URL already ends with it); Ollama:
 *                             http://localhost:11434/v1
 *     MEM0_EMBED_MODEL        model name, default text-embedding-3-small
 *     MEM0_EMBED_API_KEY      bearer token; OPENAI_API_KEY is used only for api.openai.com
 *     MEM0_EMBED_DIM          expected dimension, sent as "dimensions"; unset: learnt from
 *                             the first answer
 *     MEM0_EMBED_TIMEOUT_MS   per request (default 30000); MEM0_EMBED_CONNECT_TIMEOUT_MS
 *                             (default 3000); MEM0_EMBED_RETRIES (default 4: backoff 250 ms
 *                             doubling, Retry-After honoured, on 429, 5xx and network
 *                             errors); MEM0_EMBED_BATCH texts per request (default 64)
 * The spec is $MEM0_EMBEDDER when set, else settings.json "embedder", else "none"
 * (embed_spec()).
 *
 * Vectors: float32, embed_dim() long, L2-normalised (norm 1); a text with nothing to embed
 * (empty, or only unknown tokens) gives the zero vector.  The same text always gives the
 * same vector from the same embedder (the remote one as far as its server is deterministic).
 *
 * Threads: a handle may be shared by the threads of a process (the remote embedder
 * serialises its requests).  Deadlines are absolute times on time_mono_ms()'s clock; <= 0
 * means none.  Local embedders never touch the network and ignore the deadline; the remote
 * one never runs past it (a hook passes its own deadline and falls back to lexical).
 *
 * The store's embedder record, in the meta database:
 *   "embedder"          embed_id() of the embedder that wrote every vector in `vectors`
 *   "embed_dim"         their dimension (decimal text)
 *   "reindex_embedder", "reindex_dim", "reindex_cursor"   only while a reindex is
 *                       unfinished (see reindex.h); "embedder" is absent meanwhile
 * Invariant: vectors of two embedders (or two dimensions) are never mixed.  Writers call
 * embed_store_claim() in the write transaction that stores a vector; readers call
 * embed_store_check() before comparing a query vector with stored ones.
 */
#ifndef MEM0_EMBED_H
#define MEM0_EMBED_H

#include <stddef.h>
#include "settings.h"
#include "store.h"

#define EMBED_ID_MAX 256
#define EMBED_DIM_MAX 8192
#define EMBED_HASH_DEFAULT_DIM 256

typedef struct embedder embedder;

/* ---- Choosing and opening ------------------------------------------------------------ */

/* The configured spec: $MEM0_EMBEDDER if set and not empty, else s->embedder if not empty
 * (s may be NULL), else "none".  The string lives in the environment or in s. */
const char *embed_spec(const mem0_settings *s);

/* Opens the embedder that spec names; home is the store folder (for static:NAME).
 * *out is NULL and 0 is returned for "none".  No network: hash and openai only read
 * settings; static maps model.safetensors and reads tokenizer.json.  A bad spec, a missing
 * or malformed model, or an openai setting out of range is MEM0_EINVAL with a message that
 * says what to fix.  Free with embed_close(). */
int embed_open(const char *home, const char *spec, embedder **out, mem0_err *err);
void embed_close(embedder *e);

/* Identity of the vectors this embedder writes, e.g. "hash:v1", "openai:text-embedding-3-small",
 * "static:potion-base-8M@9c1f0e2d4b6a8c3e" (folder name @ a fingerprint of the model's
 * files, so a changed model is a different embedder).  At most EMBED_ID_MAX - 1 bytes. */
const char *embed_id(const embedder *e);
/* Vector length.  0 only for a remote embedder without MEM0_EMBED_DIM before its first
 * successful call. */
int embed_dim(const embedder *e);
/* 1 if embed_batch() goes over the network (hooks must pass a deadline), 0 if local. */
int embed_is_remote(const embedder *e);
/* Human description for `doctor`/`stats`: "hash (256 dims)", "static model at ...". */
const char *embed_describe(const embedder *e);

/* ---- Embedding ----------------------------------------------------------------------- */

/* Embeds texts[0..n) into *out, a malloc'd array of n * embed_dim(e) floats (row i is text
 * i), freed by the caller.  Call it outside any store transaction: it may take long (the
 * network, a large batch).  deadline_ms bounds a remote embedder (<= 0: none): past it the
 * call fails with MEM0_EBUSY.  A remote failure (unreachable, HTTP error after retries, a
 * malformed answer) is MEM0_EIO; an answer of the wrong dimension is MEM0_EINVAL.  On
 * error, and for n == 0, *out is NULL. */
int embed_batch(embedder *e, const char *const *texts, int n, double deadline_ms, float **out,
                mem0_err *err);
/* embed_batch() for one text. */
int embed_text(embedder *e, const char *text, double deadline_ms, float **out, mem0_err *err);

/* Scales v to norm 1 (a zero vector stays zero). */
void embed_l2_normalise(float *v, int dim);
/* Dot product of two vectors (their cosine when both are normalised). */
float embed_dot(const float *a, const float *b, int dim);

/* ---- The store's embedder record ----------------------------------------------------- */

/* In a read or write transaction: 0 if vectors in the store may be compared with those of
 * embedder `id` of dimension dim (the record names them, or names none and no reindex to
 * another embedder is unfinished); MEM0_EINVAL otherwise, with a message naming both
 * embedders and saying to run `mem0-mcp reindex`. */
int embed_store_check(MDB_txn *txn, const store_dbs *db, const char *id, int dim, mem0_err *err);
/* In the write transaction that stores a vector: embed_store_check(), then records id and
 * dim when the store has no record yet. */
int embed_store_claim(MDB_txn *txn, const store_dbs *db, const char *id, int dim, mem0_err *err);

typedef struct embed_record {
    char embedder[EMBED_ID_MAX]; /* "" when no vector was ever written (or after a reset) */
    int dim;
    char reindex_embedder[EMBED_ID_MAX]; /* "" unless a reindex is unfinished */
    int reindex_dim;
} embed_record;

/* Reads the record (any transaction). */
int embed_store_get(MDB_txn *txn, const store_dbs *db, embed_record *rec, mem0_err *err);

#endif
