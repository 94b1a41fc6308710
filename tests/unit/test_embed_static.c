/* test_embed_static.c: the model2vec embedder (core/embed_static.c) on tiny generated models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "embed.h"
#include "embed_impl.h"
#include "support.h"
#include "support_model.h"

#define SP "\xe2\x96\x81" /* ▁, the Metaspace replacement */

static embedder *open_spec(const char *home, const char *spec)
{
    embedder *e = NULL;
    mem0_err err = {0};
    int rc = embed_open(home, spec, &e, &err);
    if (rc) fail_msg("embed_open(%s): %s", spec, err.msg);
    assert_non_null(e);
    return e;
}

static embedder *open_dir(const char *dir)
{
    char spec[4200];
    snprintf(spec, sizeof spec, "static:%s", dir);
    return open_spec(NULL, spec);
}

/* Asserts that text tokenises (Unigram pieces or WordPiece tokens) to exactly the given tokens
 * (NULL-terminated list). */
static void expect_tokens(embedder *e, int unigram, const char *text, ...)
{
    int32_t *ids = NULL;
    int n = 0;
    mem0_err err = {0};
    assert_int_equal(embed_static_tokenize(e, text, &ids, &n, &err), 0);
    va_list ap;
    va_start(ap, text);
    int i = 0;
    for (const char *t; (t = va_arg(ap, const char *)) != NULL; i++) {
        if (i >= n) fail_msg("\"%s\": only %d tokens, expected more (next: %s)", text, n, t);
        int want = unigram ? tiny_piece_id(t) : tiny_token_id(t);
        if (ids[i] != want)
            fail_msg("\"%s\": token %d is id %d, expected %s (id %d)", text, i, ids[i], t, want);
    }
    va_end(ap);
    if (i != n) fail_msg("\"%s\": %d tokens, expected %d", text, n, i);
    free(ids);
}

static void test_wordpiece_tokens(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("wp");
    tiny_model_write(dir, 0);
    embedder *e = open_dir(dir);
    expect_tokens(e, 0, "The cat sat on the mat.", "the", "cat", "sat", "on", "the", "mat", ".",
                  NULL);
    /* Continuation pieces, accents, punctuation glued to words, CJK split per character. */
    expect_tokens(e, 0, "Cats", "cat", "##s", NULL);
    expect_tokens(e, 0, "DEPLOYING Builded", "deploy", "##ing", "build", "##ed", NULL);
    /* Greedy longest match: "release" leaves "##d", which does not exist: unknown. */
    expect_tokens(e, 0, "released", NULL);
    expect_tokens(e, 0, "Caf\xc3\xa9!", "cafe", "!", NULL);
    expect_tokens(e, 0, "unable", "un", "##able", NULL);
    expect_tokens(e, 0, "hello,world?", "hello", ",", "world", "?", NULL);
    expect_tokens(e, 0, "\xe4\xb8\x96\xe7\x95\x8c", "\xe4\xb8\x96", "\xe7\x95\x8c", NULL);
    /* Unknown words are dropped (as model2vec drops [UNK]); so are over-long words. */
    expect_tokens(e, 0, "xyzzy cat qqq", "cat", NULL);
    expect_tokens(e, 0, "catcatcatcatcatcatcatcat dog", "dog", NULL);
    expect_tokens(e, 0, "catx", NULL); /* one uncoverable piece makes the whole word unknown */
    /* Control characters go, other whitespace separates. */
    expect_tokens(e, 0,
                  "\x01"
                  "cat\tdog\n\xc2\xa0pet",
                  "cat", "dog", "pet", NULL);
    expect_tokens(e, 0, "", NULL);
    expect_tokens(e, 0, " \t\r\n ", NULL);
    /* Not UTF-8: replaced, never a crash. */
    expect_tokens(e, 0, "cat \xff\xfe dog", "cat", "dog", NULL);
    embed_close(e);
}

static float norm(const float *v, int dim)
{
    double s = 0;
    for (int i = 0; i < dim; i++)
        s += (double)v[i] * v[i];
    return (float)sqrt(s);
}

/* The normalised mean of the rows of the given tokens. */
static void expected_vector(float out[TINY_DIM], const char *const *tokens, int n)
{
    memset(out, 0, TINY_DIM * sizeof *out);
    for (int i = 0; i < n; i++) {
        float row[TINY_DIM];
        tiny_row(tiny_token_id(tokens[i]), row);
        for (int d = 0; d < TINY_DIM; d++)
            out[d] += row[d] / (float)n;
    }
    embed_l2_normalise(out, TINY_DIM);
}

static void test_pooling_and_normalisation(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("pool");
    tiny_model_write(dir, 0);
    embedder *e = open_dir(dir);
    assert_int_equal(embed_dim(e), TINY_DIM);
    assert_int_equal(embed_is_remote(e), 0);

    const char *texts[] = {"cat dog", "cat cat dog", "Cats!", "", "zzz qqq"};
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(e, texts, 5, 0, &v, &err), 0);
    float want[TINY_DIM];
    const char *t0[] = {"cat", "dog"}, *t1[] = {"cat", "cat", "dog"}, *t2[] = {"cat", "##s", "!"};
    expected_vector(want, t0, 2);
    for (int d = 0; d < TINY_DIM; d++)
        assert_float_equal(v[d], want[d], 1e-6);
    expected_vector(want, t1, 3); /* a repeated token weighs twice */
    for (int d = 0; d < TINY_DIM; d++)
        assert_float_equal(v[TINY_DIM + d], want[d], 1e-6);
    expected_vector(want, t2, 3);
    for (int d = 0; d < TINY_DIM; d++)
        assert_float_equal(v[2 * TINY_DIM + d], want[d], 1e-6);
    for (int i = 0; i < 3; i++)
        assert_float_equal(norm(v + i * TINY_DIM, TINY_DIM), 1.0, 1e-5);
    /* Nothing to embed: the zero vector. */
    assert_float_equal(norm(v + 3 * TINY_DIM, TINY_DIM), 0.0, 0);
    assert_float_equal(norm(v + 4 * TINY_DIM, TINY_DIM), 0.0, 0);
    free(v);
    embed_close(e);
}

static void test_shared_tokens_are_closer(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("close");
    tiny_model_write(dir, 0);
    embedder *e = open_dir(dir);
    const char *texts[] = {"the cat sat on the mat", "a dog is a pet",
                           "we deploy the release to the server", "make build deploying"};
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(e, texts, 4, 0, &v, &err), 0);
    float animals = embed_dot(v, v + TINY_DIM, TINY_DIM);
    float across = embed_dot(v, v + 2 * TINY_DIM, TINY_DIM);
    float deploys = embed_dot(v + 2 * TINY_DIM, v + 3 * TINY_DIM, TINY_DIM);
    assert_true(animals > across + 0.3f);
    assert_true(deploys > embed_dot(v + TINY_DIM, v + 3 * TINY_DIM, TINY_DIM) + 0.3f);
    /* The same text twice: the same vector (deterministic). */
    float *w = NULL;
    assert_int_equal(embed_text(e, texts[0], 0, &w, &err), 0);
    assert_memory_equal(v, w, TINY_DIM * sizeof *v);
    free(w);
    free(v);
    embed_close(e);
}

static void test_half_precision_table(void **state)
{
    (void)state;
    const char *d32 = test_scratch_dir("f32"), *d16 = test_scratch_dir("f16");
    tiny_model_write(d32, 0);
    tiny_model_write(d16, 1);
    embedder *a = open_dir(d32), *b = open_dir(d16);
    const char *texts[] = {"the cat sat on the mat", "deploying the server"};
    float *va = NULL, *vb = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(a, texts, 2, 0, &va, &err), 0);
    assert_int_equal(embed_batch(b, texts, 2, 0, &vb, &err), 0);
    for (int i = 0; i < 2 * TINY_DIM; i++)
        assert_float_equal(va[i], vb[i], 1e-6);
    /* Different files, different embedder ids: their vectors are never mixed. */
    assert_string_not_equal(embed_id(a), embed_id(b));
    free(va);
    free(vb);
    embed_close(a);
    embed_close(b);
}

static void test_id_follows_the_model(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("idhome");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/models", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(dir, sizeof dir, "%s/models/tiny", home);
    assert_int_equal(mkdir(dir, 0700), 0);
    tiny_model_write(dir, 0);
    /* static:NAME finds the model under home/models. */
    embedder *a = open_spec(home, "static:tiny"), *b = open_spec(home, "static:tiny");
    assert_string_equal(embed_id(a), embed_id(b));
    assert_true(strncmp(embed_id(a), "static:tiny@", 12) == 0);
    assert_int_equal(strlen(embed_id(a)), 12 + 16);
    embed_close(b);
    /* The same name with other weights is another embedder. */
    tiny_model_write(dir, 1);
    b = open_spec(home, "static:tiny");
    assert_string_not_equal(embed_id(a), embed_id(b));
    embed_close(a);
    embed_close(b);
}

static void expect_open_error(const char *home, const char *spec, const char *needle)
{
    embedder *e = (embedder *)1;
    mem0_err err = {0};
    assert_int_equal(embed_open(home, spec, &e, &err), MEM0_EINVAL);
    assert_null(e);
    if (!strstr(err.msg, needle)) fail_msg("error \"%s\" does not say \"%s\"", err.msg, needle);
}

static void test_bad_models_refused(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("badhome");
    expect_open_error(home, "static:potion-base-8M", "mem0-mcp model install potion-base-8M");
    expect_open_error(home, "static:.hidden", "bad model name");
    expect_open_error(home, "static:/nonexistent/model", "does not exist");

    /* A truncated table. */
    const char *dir = test_scratch_dir("trunc");
    tiny_model_write(dir, 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    size_t n;
    char *data = tiny_read_file(path, &n);
    tiny_write_file(dir, "model.safetensors", data, n - 10);
    char spec[4300];
    snprintf(spec, sizeof spec, "static:%s", dir);
    expect_open_error(NULL, spec, "truncated");
    tiny_write_file(dir, "model.safetensors", data, 5);
    expect_open_error(NULL, spec, "not a safetensors file");
    /* A header length pointing past the end. */
    data[0] = (char)0xff;
    data[1] = (char)0xff;
    tiny_write_file(dir, "model.safetensors", data, n);
    expect_open_error(NULL, spec, "bad header length");
    free(data);

    /* Tokenizers it does not speak are refused by name. */
    dir = test_scratch_dir("bpe");
    tiny_model_write(dir, 0);
    snprintf(spec, sizeof spec, "static:%s", dir);
    const char *bpe = "{\"normalizer\":null,\"pre_tokenizer\":null,\"model\":{\"type\":\"BPE\","
                      "\"vocab\":{\"a\":0},\"merges\":[]}}";
    tiny_write_file(dir, "tokenizer.json", bpe, strlen(bpe));
    expect_open_error(NULL, spec, "BPE is not supported");
    const char *bytelevel = "{\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":"
                            "\"WordPiece\",\"vocab\":{\"a\":0}}}";
    tiny_write_file(dir, "tokenizer.json", bytelevel, strlen(bytelevel));
    expect_open_error(NULL, spec, "ByteLevel pre_tokenizer is not supported");
    tiny_write_file(dir, "tokenizer.json", "{not json", 9);
    expect_open_error(NULL, spec, "is not JSON");
    /* Token ids past the table. */
    const char *big = "{\"pre_tokenizer\":{\"type\":\"WhitespaceSplit\"},\"model\":{\"type\":"
                      "\"WordPiece\",\"vocab\":{\"a\":0,\"b\":99999}}}";
    tiny_write_file(dir, "tokenizer.json", big, strlen(big));
    embedder *e = open_dir(dir); /* loads; the id past the table is never looked up */
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_text(e, "b a", 0, &v, &err), 0);
    assert_float_equal(norm(v, TINY_DIM), 1.0, 1e-5);
    free(v);
    embed_close(e);
}

static void test_unigram_tokens(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("uni");
    tiny_unigram_write(dir);
    embedder *e = open_dir(dir);
    /* Best-scoring segmentation: "▁cat"+"s" beats "▁ca"+"t"+"s". */
    expect_tokens(e, 1, "The CATS", SP "the", SP "cat", "s", NULL);
    expect_tokens(e, 1, "dog", SP "dog", NULL);
    expect_tokens(e, 1, "deploying", SP "deploy", "ing", NULL);
    /* An uncovered character is the unknown piece, dropped. */
    expect_tokens(e, 1, "catz", SP "cat", NULL);
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_text(e, "the cats eat pizza", 0, &v, &err), 0);
    assert_float_equal(norm(v, TINY_DIM), 1.0, 1e-5);
    free(v);
    embed_close(e);
}

/* The files in home/models/.cache. */
static int cache_files(const char *home, char names[][4500], int max)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/models/.cache", home);
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.' && n < max) snprintf(names[n++], 4500, "%s/%s", dir, e->d_name);
    closedir(d);
    return n;
}

static void test_tokenizer_cache(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("cachehome");
    const char *dir = test_scratch_dir("cachemodel");
    tiny_model_write(dir, 0);
    char spec[4300];
    snprintf(spec, sizeof spec, "static:%s", dir);
    const char *texts[] = {"The cat sat on the mat.", "deploying builds", "Caf\xc3\xa9!"};
    float *first = NULL, *again = NULL;
    mem0_err err = {0};

    /* The first open parses tokenizer.json and leaves a cache behind. */
    embedder *e = open_spec(home, spec);
    assert_int_equal(embed_batch(e, texts, 3, 0, &first, &err), 0);
    char id[EMBED_ID_MAX];
    snprintf(id, sizeof id, "%s", embed_id(e));
    embed_close(e);
    char names[4][4500];
    assert_int_equal(cache_files(home, names, 4), 1);

    /* The next open reads the cache: same id, same vectors. */
    e = open_spec(home, spec);
    assert_string_equal(embed_id(e), id);
    assert_int_equal(embed_batch(e, texts, 3, 0, &again, &err), 0);
    assert_memory_equal(first, again, 3 * TINY_DIM * sizeof *first);
    free(again);
    expect_tokens(e, 0, "Cats unable", "cat", "##s", "un", "##able", NULL);
    embed_close(e);

    /* A damaged cache is ignored (and rewritten); results do not change. */
    static const char *const damage[] = {"garbage", ""};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(names[0], "wb");
        assert_non_null(f);
        fputs(damage[k], f);
        fclose(f);
        e = open_spec(home, spec);
        assert_int_equal(embed_batch(e, texts, 3, 0, &again, &err), 0);
        assert_memory_equal(first, again, 3 * TINY_DIM * sizeof *first);
        free(again);
        embed_close(e);
    }
    /* Half a cache (a crash while copying it by hand): ignored too. */
    size_t n;
    char *data = tiny_read_file(names[0], &n);
    assert_true(n > 200);
    FILE *f = fopen(names[0], "wb");
    fwrite(data, 1, n / 2, f);
    fclose(f);
    free(data);
    e = open_spec(home, spec);
    assert_int_equal(embed_batch(e, texts, 3, 0, &again, &err), 0);
    assert_memory_equal(first, again, 3 * TINY_DIM * sizeof *first);
    free(again);
    embed_close(e);

    /* An edited tokenizer.json is read again, not taken from the old cache. */
    tiny_unigram_write(dir);
    e = open_spec(home, spec);
    assert_string_not_equal(embed_id(e), id);
    expect_tokens(e, 1, "the cats", SP "the", SP "cat", "s", NULL);
    embed_close(e);
    free(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wordpiece_tokens),
        cmocka_unit_test(test_pooling_and_normalisation),
        cmocka_unit_test(test_shared_tokens_are_closer),
        cmocka_unit_test(test_half_precision_table),
        cmocka_unit_test(test_id_follows_the_model),
        cmocka_unit_test(test_bad_models_refused),
        cmocka_unit_test(test_unigram_tokens),
        cmocka_unit_test(test_tokenizer_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
