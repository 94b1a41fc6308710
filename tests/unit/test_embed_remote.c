/* test_embed_remote.c: the OpenAI-compatible embedder (core/embed_remote.c) against a server
 * on 127.0.0.1 that answers as scripted: success, batching, reordering, 429 then success,
 * 500, bad JSON, wrong dimension, hangs (timeout, deadline), refused connections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "embed.h"
#include "embed_impl.h"
#include "support.h"
#include "support_http.h"
#include "timeutil.h"

enum mode { OK, REVERSED, FAIL_FIRST, ALWAYS_500, BAD_JSON, WRONG_DIM, TOO_FEW, HANG, STATUS };

typedef struct srv {
    enum mode mode;
    int dim;        /* of the vectors it returns */
    int fail_first; /* FAIL_FIRST: this many 429s first */
    int status;     /* STATUS: answer this */
    const char *retry_after;
    /* what it saw */
    int requests, max_batch, texts;
    int saw_dimensions;
    char auth[256];
    char model[64];
} srv;

/* The vector the server gives a text: a spike at strlen(text) % dim over a floor. */

/* embed.c refers to the remote embedder weakly (hooks leave it out); link it here. */
static int (*const link_remote_embedder)(embedder *, mem0_err *) __attribute__((used)) =
    embed_remote_open;

static void vector_for(const char *text, int dim, float *out)
{
    for (int k = 0; k < dim; k++)
        out[k] = k == (int)(strlen(text) % (size_t)dim) ? 1.0f : 0.1f;
}

static void handler(void *ctx, const char *method, const char *path, const char *head,
                    const char *body, size_t body_len, http_reply *r)
{
    srv *s = ctx;
    s->requests++;
    const char *auth = strcasestr(head, "\r\nAuthorization: ");
    s->auth[0] = '\0';
    if (auth) sscanf(auth + 17, "%255[^\r]", s->auth);
    if (strcmp(method, "POST") != 0 || strcmp(path, "/v1/embeddings") != 0) {
        r->status = 404;
        return;
    }
    cJSON *req = cJSON_ParseWithLength(body, body_len);
    const cJSON *input = cJSON_GetObjectItem(req, "input");
    const cJSON *model = cJSON_GetObjectItem(req, "model");
    snprintf(s->model, sizeof s->model, "%s", cJSON_IsString(model) ? model->valuestring : "");
    s->saw_dimensions = cJSON_GetObjectItem(req, "dimensions") != NULL;
    int n = cJSON_GetArraySize(input);
    if (n > s->max_batch) s->max_batch = n;
    if (s->mode == HANG) {
        r->hang_ms = 10000;
        r->status = 0;
        cJSON_Delete(req);
        return;
    }
    if (s->mode == STATUS || s->mode == ALWAYS_500 ||
        (s->mode == FAIL_FIRST && s->requests <= s->fail_first)) {
        r->status = s->mode == STATUS ? s->status : s->mode == ALWAYS_500 ? 500 : 429;
        const char *msg = "{\"error\":{\"message\":\"slow down\"}}";
        r->body = http_dup(msg, strlen(msg));
        r->body_len = strlen(msg);
        if (s->retry_after)
            snprintf(r->headers, sizeof r->headers, "Retry-After: %s\r\n", s->retry_after);
        cJSON_Delete(req);
        return;
    }
    s->texts += n;
    cJSON *res = cJSON_CreateObject();
    cJSON *data = cJSON_AddArrayToObject(res, "data");
    int count = s->mode == TOO_FEW ? n - 1 : n;
    for (int k = 0; k < count; k++) {
        int i = s->mode == REVERSED ? n - 1 - k : k;
        float v[64];
        int dim = s->mode == WRONG_DIM ? s->dim * 2 : s->dim;
        vector_for(cJSON_GetArrayItem(input, i)->valuestring, s->dim, v);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "object", "embedding");
        cJSON_AddNumberToObject(item, "index", i);
        cJSON *emb = cJSON_AddArrayToObject(item, "embedding");
        for (int d = 0; d < dim; d++)
            cJSON_AddItemToArray(emb, cJSON_CreateNumber(d < s->dim ? v[d] : 0.5));
        cJSON_AddItemToArray(data, item);
    }
    cJSON_AddStringToObject(res, "model", s->model);
    char *text = cJSON_PrintUnformatted(res);
    cJSON_Delete(res);
    cJSON_Delete(req);
    r->status = 200;
    if (s->mode == BAD_JSON) {
        text[strlen(text) / 2] = '\0'; /* cut in the middle */
    }
    r->body_len = strlen(text);
    r->body = text;
}

static http_server *server;
static srv S;

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    S.dim = 16;
    server = http_start(handler, &S);
    char url[128];
    snprintf(url, sizeof url, "%s/v1", http_url(server));
    setenv("MEM0_EMBED_URL", url, 1);
    setenv("MEM0_EMBED_MODEL", "nomic-embed-text", 1);
    setenv("MEM0_EMBED_RETRIES", "3", 1);
    unsetenv("MEM0_EMBED_DIM");
    unsetenv("MEM0_EMBED_BATCH");
    unsetenv("MEM0_EMBED_TIMEOUT_MS");
    unsetenv("MEM0_EMBED_API_KEY");
    unsetenv("OPENAI_API_KEY");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    http_stop(server);
    server = NULL;
    return 0;
}

static embedder *open_remote(void)
{
    embedder *e = NULL;
    mem0_err err = {0};
    if (embed_open(NULL, "openai", &e, &err)) fail_msg("embed_open(openai): %s", err.msg);
    assert_int_equal(embed_is_remote(e), 1);
    return e;
}

/* Embeds texts expecting failure rc; returns the message. */
static const char *expect_fail(embedder *e, const char *const *texts, int n, double deadline,
                               int rc)
{
    static mem0_err err;
    float *v = (float *)1;
    memset(&err, 0, sizeof err);
    int got = embed_batch(e, texts, n, deadline, &v, &err);
    if (got != rc) fail_msg("embed_batch returned %d (%s), expected %d", got, err.msg, rc);
    assert_null(v);
    return err.msg;
}

static void test_success_with_batching(void **state)
{
    (void)state;
    setenv("MEM0_EMBED_BATCH", "4", 1);
    embedder *e = open_remote();
    assert_string_equal(embed_id(e), "openai:nomic-embed-text");
    assert_int_equal(embed_dim(e), 0); /* learnt from the first answer */
    const char *texts[11] = {"a", "bb", "ccc", "",     "dddd", "eeeee",
                             "f", "gg", "hhh", "iiii", "jjjjj"};
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(e, texts, 11, 0, &v, &err), 0);
    assert_int_equal(embed_dim(e), 16);
    /* 10 non-empty texts in batches of at most 4: 3 requests. */
    assert_int_equal(S.requests, 3);
    assert_int_equal(S.max_batch, 4);
    assert_int_equal(S.texts, 10);
    assert_string_equal(S.model, "nomic-embed-text");
    assert_false(S.saw_dimensions);
    for (int i = 0; i < 11; i++) {
        float want[16];
        if (!*texts[i]) { /* empty: not sent, the zero vector */
            for (int d = 0; d < 16; d++)
                assert_float_equal(v[i * 16 + d], 0, 0);
            continue;
        }
        vector_for(texts[i], 16, want);
        embed_l2_normalise(want, 16);
        for (int d = 0; d < 16; d++)
            assert_float_equal(v[i * 16 + d], want[d], 1e-6);
    }
    free(v);
    embed_close(e);
}

static void test_answer_order_by_index(void **state)
{
    (void)state;
    S.mode = REVERSED;
    embedder *e = open_remote();
    const char *texts[] = {"one", "three", "fifteen"};
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(e, texts, 3, 0, &v, &err), 0);
    for (int i = 0; i < 3; i++) {
        float want[16];
        vector_for(texts[i], 16, want);
        embed_l2_normalise(want, 16);
        for (int d = 0; d < 16; d++)
            assert_float_equal(v[i * 16 + d], want[d], 1e-6);
    }
    free(v);
    embed_close(e);
}

static void test_429_then_success(void **state)
{
    (void)state;
    S.mode = FAIL_FIRST;
    S.fail_first = 2;
    S.retry_after = "0";
    embedder *e = open_remote();
    const char *texts[] = {"retry me"};
    float *v = NULL;
    mem0_err err = {0};
    assert_int_equal(embed_batch(e, texts, 1, 0, &v, &err), 0);
    assert_int_equal(S.requests, 3);
    free(v);
    embed_close(e);
}

static void test_retry_after_beyond_deadline(void **state)
{
    (void)state;
    /* The server asks for 5 s; the deadline leaves less: give up now, do not wait. */
    S.mode = FAIL_FIRST;
    S.fail_first = 100;
    S.retry_after = "5";
    embedder *e = open_remote();
    const char *texts[] = {"x"};
    double t0 = time_mono_ms();
    const char *msg = expect_fail(e, texts, 1, t0 + 1500, MEM0_EBUSY);
    assert_true(time_mono_ms() - t0 < 1000);
    assert_non_null(strstr(msg, "HTTP 429"));
    assert_non_null(strstr(msg, "deadline"));
    assert_int_equal(S.requests, 1);
    embed_close(e);
}

static void test_500_gives_up(void **state)
{
    (void)state;
    S.mode = ALWAYS_500;
    setenv("MEM0_EMBED_RETRIES", "2", 1);
    embedder *e = open_remote();
    const char *texts[] = {"x"};
    const char *msg = expect_fail(e, texts, 1, 0, MEM0_EIO);
    assert_non_null(strstr(msg, "HTTP 500"));
    assert_non_null(strstr(msg, "slow down")); /* the server's own message */
    assert_non_null(strstr(msg, "gave up after 3 attempts"));
    assert_int_equal(S.requests, 3);
    embed_close(e);
}

static void test_client_errors_not_retried(void **state)
{
    (void)state;
    S.mode = STATUS;
    S.status = 401;
    embedder *e = open_remote();
    const char *texts[] = {"x"};
    const char *msg = expect_fail(e, texts, 1, 0, MEM0_EINVAL);
    assert_non_null(strstr(msg, "HTTP 401"));
    assert_non_null(strstr(msg, "MEM0_EMBED_API_KEY"));
    assert_int_equal(S.requests, 1);
    embed_close(e);
}

static void test_bad_answers(void **state)
{
    (void)state;
    const char *texts[] = {"x", "yy"};
    S.mode = BAD_JSON;
    embedder *e = open_remote();
    assert_non_null(strstr(expect_fail(e, texts, 2, 0, MEM0_EIO), "not JSON"));
    assert_int_equal(S.requests, 1);
    embed_close(e);

    S.mode = TOO_FEW;
    e = open_remote();
    assert_non_null(strstr(expect_fail(e, texts, 2, 0, MEM0_EIO), "1 vectors for 2 texts"));
    embed_close(e);

    /* Wrong dimension: the server answers 32 where MEM0_EMBED_DIM says 16. */
    S.mode = WRONG_DIM;
    setenv("MEM0_EMBED_DIM", "16", 1);
    e = open_remote();
    assert_int_equal(embed_dim(e), 16);
    const char *msg = expect_fail(e, texts, 2, 0, MEM0_EINVAL);
    assert_non_null(strstr(msg, "32-dimensional vectors, expected 16"));
    assert_true(S.saw_dimensions); /* asked for 16 */
    embed_close(e);
    unsetenv("MEM0_EMBED_DIM");
}

static void test_timeout_and_deadline(void **state)
{
    (void)state;
    S.mode = HANG;
    const char *texts[] = {"x"};
    setenv("MEM0_EMBED_TIMEOUT_MS", "200", 1);
    setenv("MEM0_EMBED_RETRIES", "0", 1);
    embedder *e = open_remote();
    double t0 = time_mono_ms();
    assert_non_null(strstr(expect_fail(e, texts, 1, 0, MEM0_EIO), "timed out"));
    assert_true(time_mono_ms() - t0 < 3000);
    embed_close(e);

    /* A hook's deadline bounds it even when the request timeout is long. */
    setenv("MEM0_EMBED_TIMEOUT_MS", "30000", 1);
    setenv("MEM0_EMBED_RETRIES", "4", 1);
    e = open_remote();
    t0 = time_mono_ms();
    float *none = NULL;
    int rc = embed_batch(e, texts, 1, t0 + 300, &none, NULL);
    assert_null(none);
    double took = time_mono_ms() - t0;
    assert_true(rc == MEM0_EBUSY || rc == MEM0_EIO);
    assert_true(took < 1500);
    /* A deadline already past: nothing is sent. */
    int before = S.requests;
    float *v = NULL;
    assert_int_equal(embed_batch(e, texts, 1, time_mono_ms() - 1, &v, NULL), MEM0_EBUSY);
    assert_int_equal(S.requests, before);
    embed_close(e);
}

static void test_unreachable(void **state)
{
    (void)state;
    /* A port nobody listens on: bind one, then close it. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
    setenv("MEM0_EMBED_URL", url, 1);
    setenv("MEM0_EMBED_RETRIES", "1", 1);
    embedder *e = open_remote();
    const char *texts[] = {"x"};
    const char *msg = expect_fail(e, texts, 1, 0, MEM0_EIO);
    assert_non_null(strstr(msg, "cannot reach the embedding server"));
    assert_non_null(strstr(msg, "MEM0_EMBED_URL"));
    embed_close(e);
}

static void test_api_key_goes_only_where_meant(void **state)
{
    (void)state;
    const char *texts[] = {"x"};
    float *v = NULL;
    /* OPENAI_API_KEY is for api.openai.com: never sent to another server. */
    setenv("OPENAI_API_KEY", "sk-openai-secret", 1);
    embedder *e = open_remote();
    assert_int_equal(embed_batch(e, texts, 1, 0, &v, NULL), 0);
    free(v);
    assert_string_equal(S.auth, "");
    embed_close(e);
    setenv("MEM0_EMBED_API_KEY", "local-key", 1);
    e = open_remote();
    assert_int_equal(embed_batch(e, texts, 1, 0, &v, NULL), 0);
    free(v);
    assert_string_equal(S.auth, "Bearer local-key");
    assert_null(strstr(embed_describe(e), "local-key")); /* never shown */
    embed_close(e);

    setenv("MEM0_EMBED_URL", "ftp://example.com", 1);
    mem0_err err = {0};
    assert_int_equal(embed_open(NULL, "openai", &e, &err), MEM0_EINVAL);
    assert_non_null(strstr(err.msg, "MEM0_EMBED_URL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_success_with_batching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer_order_by_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_429_then_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_after_beyond_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_500_gives_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_errors_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_key_goes_only_where_meant, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
