/* test_model.c: `model install` and `model list` (core/model.c) against a server on
 * 127.0.0.1 serving a tiny generated model: success, checksum mismatch, 404, 500, timeout,
 * truncated body, and nothing left behind after any failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>

#include "embed.h"
#include "model.h"
#include "support.h"
#include "support_http.h"
#include "support_model.h"
#include "timeutil.h"

enum mode { SERVE, NOT_FOUND, FAIL_500, HANG, TRUNCATE, CORRUPT };

typedef struct srv {
    enum mode mode;
    const char *dir; /* the files it serves */
    int requests;
} srv;

static void handler(void *ctx, const char *method, const char *path, const char *head,
                    const char *body, size_t body_len, http_reply *r)
{
    (void)method;
    (void)head;
    (void)body;
    (void)body_len;
    srv *s = ctx;
    s->requests++;
    const char *file = strrchr(path, '/');
    char full[4300];
    snprintf(full, sizeof full, "%s%s", s->dir, file ? file : "/");
    struct stat st;
    if (s->mode == NOT_FOUND || !file || stat(full, &st) != 0) {
        r->status = 404;
        return;
    }
    if (s->mode == FAIL_500) {
        r->status = 500;
        return;
    }
    if (s->mode == HANG) {
        r->hang_ms = 10000;
        return;
    }
    size_t n;
    r->body = tiny_read_file(full, &n);
    r->body_len = n;
    r->status = 200;
    if (s->mode == TRUNCATE) { /* announce more than is sent, then close */
        r->declared = (long long)n + 1000;
    } else if (s->mode == CORRUPT && strstr(path, "model.safetensors")) {
        r->body[n - 1] ^= 1;
    }
}

static http_server *server;
static srv S;
static const char *model_src; /* a tiny model's files */
static char sha_model[65], sha_tok[65];

static void sha_file(const char *dir, const char *name, char out[65])
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n;
    char *data = tiny_read_file(path, &n);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)data, n);
    sodium_bin2hex(out, 65, h, sizeof h);
    free(data);
}

static int setup(void **state)
{
    (void)state;
    model_src = test_scratch_dir("src");
    tiny_model_write(model_src, 0);
    sha_file(model_src, "model.safetensors", sha_model);
    sha_file(model_src, "tokenizer.json", sha_tok);
    memset(&S, 0, sizeof S);
    S.dir = model_src;
    server = http_start(handler, &S);
    unsetenv("MEM0_MODEL_MIRROR");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    http_stop(server);
    return 0;
}

static const char *url_of(const char *name)
{
    static char url[256];
    snprintf(url, sizeof url, "%s/models/%s", http_url(server), name);
    return url;
}

/* Nothing of a model is left in home/models: no folder, no hidden temporary one (the
 * tokenizer cache, .cache, may stay: it is derived data). */
static void assert_nothing_installed(const char *home)
{
    char models[4200];
    snprintf(models, sizeof models, "%s/models", home);
    DIR *d = opendir(models);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".cache"))
            fail_msg("left behind in models/: %s", e->d_name);
    closedir(d);
}

static long long progress_max;
static void on_progress(void *ctx, const char *file, long long done, long long total)
{
    (void)ctx;
    (void)file;
    assert_true(total == 0 || done <= total);
    if (done > progress_max) progress_max = done;
}

static int install(const char *home, const char *source, const char *sha, const char *tok_sha,
                   int force, mem0_err *err)
{
    model_install_req req = {0};
    req.source = source;
    req.sha256 = sha;
    req.tokenizer_sha256 = tok_sha;
    req.force = force;
    req.timeout_ms = 2000;
    req.progress = on_progress;
    char name[MODEL_NAME_MAX + 1] = "";
    memset(err, 0, sizeof *err);
    return model_install(home, &req, name, sizeof name, err);
}

static void test_install_success(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("home");
    mem0_err err;
    progress_max = 0;
    int rc = install(home, url_of("tiny"), sha_model, sha_tok, 0, &err);
    if (rc) fail_msg("install: %s", err.msg);
    assert_true(progress_max > 0);
    /* Installed where static:tiny finds it, and it loads offline. */
    embedder *e = NULL;
    assert_int_equal(embed_open(home, "static:tiny", &e, &err), 0);
    assert_int_equal(embed_dim(e), TINY_DIM);
    embed_close(e);
    char path[4300];
    snprintf(path, sizeof path, "%s/models/tiny/manifest.json", home);
    size_t n;
    char *text = tiny_read_file(path, &n);
    assert_non_null(strstr(text, sha_model));
    assert_non_null(strstr(text, sha_tok));
    free(text);

    /* Listed, with its dimension; the catalogue is listed too. */
    cJSON *list = NULL;
    assert_int_equal(model_list(home, &list, &err), 0);
    const cJSON *inst = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "installed"), 0);
    assert_string_equal(cJSON_GetObjectItem(inst, "name")->valuestring, "tiny");
    assert_int_equal(cJSON_GetObjectItem(inst, "dim")->valueint, TINY_DIM);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(list, "installed")), 1);
    const cJSON *cat = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "catalogue"), 0);
    assert_string_equal(cJSON_GetObjectItem(cat, "name")->valuestring, "potion-base-8M");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cat, "pinned")));
    cJSON_Delete(list);

    /* Twice: refused unless forced. */
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "already installed"));
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 1, &err), 0);
    /* After a forced reinstall only the model's folder is there. */
    snprintf(path, sizeof path, "%s/models", home);
    DIR *d = opendir(path);
    struct dirent *de;
    int entries = 0;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            entries++;
        else if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
                 strcmp(de->d_name, ".cache"))
            fail_msg("left behind: %s", de->d_name);
    closedir(d);
    assert_int_equal(entries, 1);
}

static void test_checksums_required_and_checked(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("home");
    mem0_err err;
    /* A URL needs both checksums. */
    assert_int_equal(install(home, url_of("tiny"), NULL, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "--sha256"));
    assert_int_equal(install(home, url_of("tiny"), sha_model, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "--tokenizer-sha256"));
    assert_int_equal(install(home, url_of("tiny"), "xyz", sha_tok, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "64 hexadecimal"));
    assert_int_equal(S.requests, 0); /* refused before any download */

    /* A wrong checksum: refused, nothing installed. */
    char wrong[65];
    memcpy(wrong, sha_tok, 65);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    assert_int_equal(install(home, url_of("tiny"), sha_model, wrong, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "checksum mismatch"));
    assert_nothing_installed(home);
    /* Upper-case hex is the same checksum. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] =
            (char)(sha_model[i] >= 'a' && sha_model[i] <= 'f' ? sha_model[i] - 32 : sha_model[i]);
    assert_int_equal(install(home, url_of("tiny"), upper, sha_tok, 0, &err), 0);

    /* Bytes changed in transit: the pinned checksum catches it. */
    home = test_scratch_dir("home");
    S.mode = CORRUPT;
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "checksum mismatch"));
    assert_nothing_installed(home);
}

static void test_catalogue_names(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("home");
    mem0_err err;
    assert_int_equal(install(home, "potion-nonexistent", NULL, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "potion-base-8M"));
    /* A checksum that contradicts the pinned one is refused before downloading. */
    assert_int_equal(install(home, "potion-base-8M", sha_model, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "pinned"));
    /* An entry without pinned checksums needs them given. */
    assert_int_equal(install(home, "potion-retrieval-32M", NULL, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "--sha256"));
    /* Through a mirror (here our server), the pinned checksums still apply: the tiny
     * model is not potion-base-8M, so it is refused. */
    char mirror[256];
    snprintf(mirror, sizeof mirror, "%s/mirror", http_url(server));
    setenv("MEM0_MODEL_MIRROR", mirror, 1);
    assert_int_equal(install(home, "potion-base-8M", NULL, NULL, 0, &err), MEM0_EIO);
    assert_non_null(strstr(err.msg, "expected 30236760")); /* the pinned size */
    assert_nothing_installed(home);
    unsetenv("MEM0_MODEL_MIRROR");
    assert_true(S.requests >= 1);
}

static void test_http_failures(void **state)
{
    (void)state;
    const char *home = test_scratch_dir("home");
    mem0_err err;
    S.mode = NOT_FOUND;
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "HTTP 404"));
    assert_nothing_installed(home);

    S.mode = FAIL_500;
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 0, &err), MEM0_EIO);
    assert_non_null(strstr(err.msg, "HTTP 500"));
    assert_nothing_installed(home);

    S.mode = TRUNCATE;
    assert_int_equal(install(home, url_of("tiny"), sha_model, sha_tok, 0, &err), MEM0_EIO);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_nothing_installed(home);

    S.mode = HANG;
    model_install_req req = {0};
    req.source = url_of("tiny");
    req.sha256 = sha_model;
    req.tokenizer_sha256 = sha_tok;
    req.timeout_ms = 300;
    double t0 = time_mono_ms();
    assert_int_equal(model_install(home, &req, NULL, 0, &err), MEM0_EIO);
    assert_true(time_mono_ms() - t0 < 3000);
    assert_non_null(strstr(err.msg, "timed out"));
    assert_nothing_installed(home);
}

static void test_files_that_do_not_load(void **state)
{
    (void)state;
    /* Checksums match (the files are what was asked for) but they are not a model. */
    const char *bad = test_scratch_dir("badsrc");
    tiny_model_write(bad, 0);
    const char *bpe = "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}";
    tiny_write_file(bad, "tokenizer.json", bpe, strlen(bpe));
    char tok[65];
    sha_file(bad, "tokenizer.json", tok);
    S.dir = bad;
    const char *home = test_scratch_dir("home");
    mem0_err err;
    assert_int_equal(install(home, url_of("tiny"), sha_model, tok, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "does not load"));
    assert_nothing_installed(home);

    /* Names are checked. */
    model_install_req req = {0};
    req.source = url_of("tiny");
    req.name = "../evil";
    req.sha256 = sha_model;
    req.tokenizer_sha256 = tok;
    assert_int_equal(model_install(home, &req, NULL, 0, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "bad model name"));
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_install_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksums_required_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalogue_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_that_do_not_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
