/* test_embed.c: the embedder interface, the hash embedder and the store's embedder record
 * (core/embed.c, core/embed_hash.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "memory.h"
#include "support.h"

static embedder *open_hash(void)
{
    embedder *e = NULL;
    mem0_err err = {0};
    if (embed_open(NULL, "hash", &e, &err)) fail_msg("embed_open(hash): %s", err.msg);
    return e;
}

static float *embed_all(embedder *e, const char *const *texts, int n)
{
    float *v = NULL;
    mem0_err err = {0};
    if (embed_batch(e, texts, n, 0, &v, &err)) fail_msg("embed_batch: %s", err.msg);
    return v;
}

static float norm(const float *v, int dim)
{
    return sqrtf(embed_dot(v, v, dim));
}

static void test_spec_and_open(void **state)
{
    (void)state;
    mem0_settings s;
    settings_defaults(&s);
    unsetenv("MEM0_EMBEDDER");
    assert_string_equal(embed_spec(NULL), "none");
    assert_string_equal(embed_spec(&s), "none");
    snprintf(s.embedder, sizeof s.embedder, "hash");
    assert_string_equal(embed_spec(&s), "hash");
    setenv("MEM0_EMBEDDER", "static:potion-base-8M", 1); /* the environment wins */
    assert_string_equal(embed_spec(&s), "static:potion-base-8M");
    unsetenv("MEM0_EMBEDDER");

    embedder *e = (embedder *)1;
    mem0_err err = {0};
    assert_int_equal(embed_open(NULL, "none", &e, &err), 0);
    assert_null(e);
    assert_int_equal(embed_open(NULL, "word2vec", &e, &err), MEM0_EINVAL);
    assert_null(e);
    assert_non_null(strstr(err.msg, "unknown embedder \"word2vec\""));
    assert_non_null(strstr(err.msg, "static:NAME"));
    assert_int_equal(embed_open(NULL, "static:", &e, &err), MEM0_EINVAL);

    /* No embedder: embedding is refused, not a crash. */
    float *v = (float *)1;
    assert_int_equal(embed_text(NULL, "x", 0, &v, &err), MEM0_EINVAL);
    assert_null(v);
}

static void test_hash_shape(void **state)
{
    (void)state;
    embedder *e = open_hash();
    assert_string_equal(embed_id(e), "hash:v1");
    assert_int_equal(embed_dim(e), EMBED_HASH_DEFAULT_DIM);
    assert_int_equal(embed_is_remote(e), 0);
    const char *texts[] = {"Deploys go through make release", "", "the of and to",
                           "Deploys go through make release"};
    float *v = embed_all(e, texts, 4);
    int d = embed_dim(e);
    assert_float_equal(norm(v, d), 1.0, 1e-5);
    /* Nothing but stop words, or nothing at all: the zero vector. */
    assert_float_equal(norm(v + d, d), 0.0, 0);
    assert_float_equal(norm(v + 2 * d, d), 0.0, 0);
    /* Deterministic. */
    assert_memory_equal(v, v + 3 * d, (size_t)d * sizeof *v);
    free(v);
    embed_close(e);

    setenv("MEM0_EMBED_DIM", "64", 1);
    e = open_hash();
    assert_int_equal(embed_dim(e), 64);
    embed_close(e);
    setenv("MEM0_EMBED_DIM", "sixty", 1);
    mem0_err err = {0};
    assert_int_equal(embed_open(NULL, "hash", &e, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "MEM0_EMBED_DIM"));
    unsetenv("MEM0_EMBED_DIM");
}

static void test_hash_similarity(void **state)
{
    (void)state;
    embedder *e = open_hash();
    int d = embed_dim(e);
    const char *texts[] = {
        "The server listens on port 8080", /* 0 */
        "Which port does the server use?", /* 1: shares words with 0 */
        "I like pizza with extra cheese",  /* 2: unrelated */
        "CAF\xc3\x89 deploys",             /* 3 */
        "cafe deploy",                     /* 4: case, accents and inflection */
        "New York pizza",                  /* 5 */
        "pizza York New",                  /* 6: same words, other order */
    };
    float *v = embed_all(e, texts, 7);
#define SIM(a, b) embed_dot(v + (a)*d, v + (b)*d, d)
    assert_true(SIM(0, 1) > SIM(0, 2) + 0.2f);
    assert_true(SIM(3, 4) > 0.6f);
    assert_true(SIM(3, 4) > SIM(3, 2) + 0.4f);
    /* Word pairs make order matter a little, never a lot. */
    assert_true(SIM(5, 6) < 0.999f && SIM(5, 6) > 0.6f);
#undef SIM
    free(v);
    embed_close(e);
}

/* ---- The store's record -------------------------------------------------------------- */

typedef struct rec_ctx {
    const char *id;
    int dim;
    int claim;
    embed_record rec;
} rec_ctx;

static int rec_txn(MDB_txn *txn, const store_dbs *db, void *arg, mem0_err *err)
{
    rec_ctx *c = arg;
    int rc = c->claim ? embed_store_claim(txn, db, c->id, c->dim, err)
                      : embed_store_check(txn, db, c->id, c->dim, err);
    if (rc) return rc;
    return embed_store_get(txn, db, &c->rec, err);
}

static int claim(mem0 *m, const char *id, int dim, mem0_err *err)
{
    rec_ctx c = {id, dim, 1, {{0}, 0, {0}, 0}};
    return store_write(m->st, rec_txn, &c, err);
}

static int check(mem0 *m, const char *id, int dim, embed_record *rec, mem0_err *err)
{
    rec_ctx c = {id, dim, 0, {{0}, 0, {0}, 0}};
    int rc = store_read(m->st, rec_txn, &c, err);
    if (rec) *rec = c.rec;
    return rc;
}

static void test_store_record_refuses_mixing(void **state)
{
    (void)state;
    mem0 *m = test_open_store("record", 0);
    mem0_err err = {0};
    embed_record rec;
    /* A new store takes any embedder; checking records nothing. */
    assert_int_equal(check(m, "hash:v1", 256, &rec, &err), 0);
    assert_string_equal(rec.embedder, "");
    assert_int_equal(claim(m, "hash:v1", 256, &err), 0);
    assert_int_equal(check(m, "hash:v1", 256, &rec, &err), 0);
    assert_string_equal(rec.embedder, "hash:v1");
    assert_int_equal(rec.dim, 256);
    /* Claiming again is fine. */
    assert_int_equal(claim(m, "hash:v1", 256, &err), 0);

    /* Another embedder, or the same at another dimension, is refused with the way out. */
    assert_int_equal(claim(m, "openai:text-embedding-3-small", 1536, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "hash:v1 (256 dims)"));
    assert_non_null(strstr(err.msg, "openai:text-embedding-3-small (1536 dims)"));
    assert_non_null(strstr(err.msg, "mem0-mcp reindex"));
    assert_int_equal(check(m, "hash:v1", 128, NULL, &err), MEM0_EINVAL);
    assert_int_equal(claim(m, "hash:v1", 0, &err), MEM0_EINVAL);
    /* The refused claims changed nothing. */
    assert_int_equal(check(m, "hash:v1", 256, &rec, &err), 0);
    assert_string_equal(rec.embedder, "hash:v1");

    /* The record survives closing and reopening. */
    char home[4096];
    snprintf(home, sizeof home, "%s", mem0_home(m));
    mem0_close(m);
    mem0_options o = {home, 0, 0};
    assert_int_equal(mem0_open(&o, &m, &err), 0);
    assert_int_equal(check(m, "static:tiny@0000000000000000", 8, NULL, &err), MEM0_EINVAL);
    assert_int_equal(check(m, "hash:v1", 256, NULL, &err), 0);
    mem0_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_and_open),
        cmocka_unit_test(test_hash_shape),
        cmocka_unit_test(test_hash_similarity),
        cmocka_unit_test(test_store_record_refuses_mixing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
