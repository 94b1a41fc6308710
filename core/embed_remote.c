/*
 * embed_remote.c: the OpenAI-compatible embedder (spec "openai"): POST {model, input: [...]}
 * to MEM0_EMBED_URL/embeddings over libcurl and read data[].embedding back.
 *
 * Requests carry at most MEM0_EMBED_BATCH texts.  Each attempt is bounded by the request
 * timeout and by the caller's deadline, whichever comes first; 429, 5xx and network errors
 * are retried with exponential backoff (250 ms doubling, at most 8 s, or the server's
 * Retry-After when it gives one) until the retries or the deadline run out.  Answers are
 * checked strictly: one vector per text, indexes a permutation of 0..n-1, every vector of
 * the expected dimension and made of finite numbers.  Empty texts are not sent (OpenAI
 * refuses them): they get the zero vector.
 */
#include "embed_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "timeutil.h"
#include "util.h"

#define DEFAULT_URL "https://api.openai.com/v1"
#define DEFAULT_MODEL "text-embedding-3-small"
#define MAX_RESPONSE (256L << 20)
#define BACKOFF_MS 250.0
#define BACKOFF_MAX_MS 8000.0
#define RETRY_AFTER_MAX_MS 60000.0

typedef struct remote {
    pthread_mutex_t lock; /* one request at a time on the shared connection */
    CURL *curl;
    char url[1024];
    char model[256];
    char auth[600]; /* "Authorization: Bearer ..." or "" */
    int want_dim;   /* MEM0_EMBED_DIM, 0 when unset */
    long timeout_ms, connect_ms, retries, batch;
} remote;

typedef struct response {
    strbuf body;
    int too_big;
} response;

static size_t on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
    response *r = ctx;
    size_t n = size * nmemb;
    if (r->body.len + n > MAX_RESPONSE) {
        r->too_big = 1;
        return 0;
    }
    sb_add(&r->body, p, n);
    return r->body.oom ? 0 : n;
}

/* The server's own words about an error: error.message, error (a string), or the body's
 * start. */
static void server_message(const char *body, char *out, size_t n)
{
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
    if (cJSON_IsString(m))
        snprintf(out, n, "%s", m->valuestring);
    else if (cJSON_IsString(e))
        snprintf(out, n, "%s", e->valuestring);
    else
        snprintf(out, n, "%.160s", body ? body : "");
    cJSON_Delete(j);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
}

/* Retry-After in ms (delta seconds or an HTTP date), or -1 when absent. */
static double retry_after_ms(CURL *c)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h) return -1;
    char *end;
    double s = strtod(h->value, &end);
    if (end != h->value && s >= 0) return s * 1000.0;
    time_t when = curl_getdate(h->value, NULL);
    if (when < 0) return -1;
    double d = difftime(when, time(NULL)) * 1000.0;
    return d > 0 ? d : 0;
}

static void sleep_ms(double ms)
{
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(fmod(ms, 1000.0) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

enum outcome { DONE, RETRY, FAIL };

/* One POST.  DONE with the body in r (status 200); RETRY after a transient failure (err
 * says what); FAIL for good. */
static enum outcome post_once(remote *rm, const char *body, double deadline_ms, response *r,
                              double *retry_ms, int *rc, mem0_err *err)
{
    CURL *c = rm->curl;
    long timeout = rm->timeout_ms, connect = rm->connect_ms;
    if (deadline_ms > 0) {
        double left = deadline_ms - time_mono_ms();
        if (left < 1) {
            *rc = err_set(err, MEM0_EBUSY, "embedding server: deadline reached");
            return FAIL;
        }
        if (left < (double)timeout) timeout = (long)left;
        if (left < (double)connect) connect = (long)left;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (hdrs && rm->auth[0]) hdrs = curl_slist_append(hdrs, rm->auth);
    if (!hdrs) {
        *rc = err_set(err, MEM0_ENOMEM, "embedding request: out of memory");
        return FAIL;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, rm->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mem0-mcp/" MEM0_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    CURLcode cr = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *retry_ms = -1;
    if (r->too_big) {
        *rc = err_set(err, MEM0_EIO, "embedding server at %s: answer larger than %ld bytes",
                      rm->url, MAX_RESPONSE);
        return FAIL;
    }
    if (r->body.oom) {
        *rc = err_set(err, MEM0_ENOMEM, "embedding answer: out of memory");
        return FAIL;
    }
    if (cr != CURLE_OK) {
        const char *why = cerr[0] ? cerr : curl_easy_strerror(cr);
        if (cr == CURLE_OPERATION_TIMEDOUT)
            *rc = err_set(err, MEM0_EIO, "embedding server at %s timed out after %ld ms (%s)",
                          rm->url, timeout, why);
        else if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST)
            *rc = err_set(err, MEM0_EIO,
                          "cannot reach the embedding server at %s (%s): is it running? "
                          "(MEM0_EMBED_URL)",
                          rm->url, why);
        else
            *rc = err_set(err, MEM0_EIO, "embedding server at %s: %s", rm->url, why);
        switch (cr) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
            return RETRY;
        default:
            return FAIL;
        }
    }
    if (status == 200) return DONE;
    char msg[200];
    server_message(r->body.buf, msg, sizeof msg);
    if (status == 429 || status == 408 || status >= 500) {
        *retry_ms = retry_after_ms(c);
        *rc = err_set(err, MEM0_EIO, "embedding server at %s: HTTP %ld%s%s", rm->url, status,
                      msg[0] ? ": " : "", msg);
        return RETRY;
    }
    const char *hint = status == 401 || status == 403 ? " (check MEM0_EMBED_API_KEY)"
                       : status == 404 ? " (check MEM0_EMBED_URL and MEM0_EMBED_MODEL)"
                                       : "";
    *rc = err_set(err, status >= 400 && status < 500 ? MEM0_EINVAL : MEM0_EIO,
                  "embedding server at %s refused the request: HTTP %ld%s%s%s", rm->url, status,
                  msg[0] ? ": " : "", msg, hint);
    return FAIL;
}

/* Checks an answer for n texts and copies row data[k] (index i) to rows[slot[i]]. */
static int parse_answer(embedder *e, const char *body, int n, const int *slot, float **out,
                        int total, mem0_err *err)
{
    remote *rm = e->impl;
    cJSON *j = cJSON_Parse(body);
    int rc = 0;
    unsigned char *seen = calloc((size_t)n, 1);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    if (!seen) {
        rc = err_set(err, MEM0_ENOMEM, "embedding answer: out of memory");
        goto done;
    }
    if (!cJSON_IsArray(data)) {
        rc = err_set(err, MEM0_EIO, "embedding server at %s: the answer is not %s", rm->url,
                     j ? "{\"data\": [...]} (no data array)" : "JSON");
        goto done;
    }
    if (cJSON_GetArraySize(data) != n) {
        rc = err_set(err, MEM0_EIO, "embedding server at %s: %d vectors for %d texts", rm->url,
                     cJSON_GetArraySize(data), n);
        goto done;
    }
    int pos = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, data)
    {
        const cJSON *idx = cJSON_GetObjectItemCaseSensitive(item, "index");
        const cJSON *vec = cJSON_GetObjectItemCaseSensitive(item, "embedding");
        int i = idx ? (cJSON_IsNumber(idx) ? (int)idx->valuedouble : -1) : pos;
        pos++;
        if (i < 0 || i >= n || (idx && idx->valuedouble != (double)i) || seen[i]) {
            rc = err_set(err, MEM0_EIO, "embedding server at %s: bad or repeated index in data",
                         rm->url);
            goto done;
        }
        seen[i] = 1;
        if (!cJSON_IsArray(vec)) {
            rc = err_set(err, MEM0_EIO,
                         "embedding server at %s: data[%d].embedding is not an array of numbers",
                         rm->url, pos - 1);
            goto done;
        }
        int dim = cJSON_GetArraySize(vec);
        if (e->dim == 0 && dim > 0 && dim <= EMBED_DIM_MAX) e->dim = dim;
        if (dim != e->dim) {
            rc = err_set(err, MEM0_EINVAL,
                         "embedding server at %s gave %d-dimensional vectors, expected %d: set "
                         "MEM0_EMBED_DIM to the model's dimension (or unset it)",
                         rm->url, dim, e->dim);
            goto done;
        }
        if (!*out && !(*out = calloc((size_t)total * (size_t)e->dim, sizeof **out))) {
            rc = err_set(err, MEM0_ENOMEM, "embedding answer: out of memory");
            goto done;
        }
        float *row = *out + (size_t)slot[i] * (size_t)e->dim;
        int k = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, vec)
        {
            if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble)) {
                rc = err_set(err, MEM0_EIO, "embedding server at %s: a vector holds a non-number",
                             rm->url);
                goto done;
            }
            row[k++] = (float)x->valuedouble;
        }
    }
done:
    free(seen);
    cJSON_Delete(j);
    return rc;
}

/* Embeds texts[slot[0..n)] in one request, with retries. */
static int embed_chunk(embedder *e, const char *const *texts, const int *slot, int n,
                       double deadline_ms, float **out, int total, mem0_err *err)
{
    remote *rm = e->impl;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "model", rm->model);
    cJSON *input = cJSON_AddArrayToObject(req, "input");
    for (int i = 0; i < n && input; i++)
        cJSON_AddItemToArray(input, cJSON_CreateString(texts[slot[i]]));
    cJSON_AddStringToObject(req, "encoding_format", "float");
    if (rm->want_dim) cJSON_AddNumberToObject(req, "dimensions", rm->want_dim);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!body) return err_set(err, MEM0_ENOMEM, "embedding request: out of memory");
    int rc = 0;
    for (long attempt = 0;; attempt++) {
        response r = {{0}, 0};
        double retry_ms = -1;
        enum outcome o = post_once(rm, body, deadline_ms, &r, &retry_ms, &rc, err);
        if (o == DONE) {
            rc = parse_answer(e, r.body.buf ? r.body.buf : "", n, slot, out, total, err);
            sb_free(&r.body);
            break;
        }
        sb_free(&r.body);
        if (o == FAIL) break;
        if (attempt >= rm->retries) {
            if (rm->retries > 0) {
                char last[sizeof err->msg];
                snprintf(last, sizeof last, "%s", err ? err->msg : "");
                err_set(err, rc, "%s (gave up after %ld attempts)", last, attempt + 1);
            }
            break;
        }
        double wait = BACKOFF_MS * (double)(1L << (attempt < 5 ? attempt : 5));
        if (wait > BACKOFF_MAX_MS) wait = BACKOFF_MAX_MS;
        if (retry_ms >= 0) wait = retry_ms < RETRY_AFTER_MAX_MS ? retry_ms : RETRY_AFTER_MAX_MS;
        if (deadline_ms > 0 && time_mono_ms() + wait >= deadline_ms) {
            char last[sizeof err->msg];
            snprintf(last, sizeof last, "%s", err ? err->msg : "");
            rc = err_set(err, MEM0_EBUSY, "%s; no time left before the deadline to retry", last);
            break;
        }
        sleep_ms(wait);
    }
    free(body);
    return rc;
}

static int only_space(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 0;
    return 1;
}

static int remote_batch(embedder *e, const char *const *texts, int n, double deadline_ms,
                        float **out, mem0_err *err)
{
    remote *rm = e->impl;
    int *slot = malloc((size_t)(n > 0 ? n : 1) * sizeof *slot);
    if (!slot) return err_set(err, MEM0_ENOMEM, "embedder: out of memory");
    int rc = 0, m = 0;
    *out = NULL;
    for (int i = 0; i < n; i++)
        if (!only_space(texts[i])) slot[m++] = i;
    pthread_mutex_lock(&rm->lock);
    for (int start = 0; start < m && !rc; start += (int)rm->batch) {
        int count = m - start < (int)rm->batch ? m - start : (int)rm->batch;
        rc = embed_chunk(e, texts, slot + start, count, deadline_ms, out, n, err);
    }
    pthread_mutex_unlock(&rm->lock);
    free(slot);
    if (!rc && !*out) { /* nothing was sent: all empty */
        if (e->dim == 0)
            rc = err_set(err, MEM0_EINVAL,
                         "embedding: only empty texts and no dimension known yet (set "
                         "MEM0_EMBED_DIM)");
        else if (!(*out = calloc((size_t)(n > 0 ? n : 1) * (size_t)e->dim, sizeof **out)))
            rc = err_set(err, MEM0_ENOMEM, "embedder: out of memory");
    }
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

static void remote_close(embedder *e)
{
    remote *rm = e->impl;
    if (!rm) return;
    if (rm->curl) curl_easy_cleanup(rm->curl);
    pthread_mutex_destroy(&rm->lock);
    free(rm);
    e->impl = NULL;
}

static const embed_ops remote_ops = {remote_batch, remote_close};

int embed_remote_open(embedder *e, mem0_err *err)
{
    long dim, timeout, connect, retries, batch;
    int rc;
    if ((rc = embed_env_int("MEM0_EMBED_DIM", 0, 1, EMBED_DIM_MAX, &dim, err)) ||
        (rc = embed_env_int("MEM0_EMBED_TIMEOUT_MS", 30000, 1, 3600000, &timeout, err)) ||
        (rc = embed_env_int("MEM0_EMBED_CONNECT_TIMEOUT_MS", 3000, 1, 600000, &connect, err)) ||
        (rc = embed_env_int("MEM0_EMBED_RETRIES", 4, 0, 20, &retries, err)) ||
        (rc = embed_env_int("MEM0_EMBED_BATCH", 64, 1, 2048, &batch, err)))
        return rc;
    const char *url = getenv("MEM0_EMBED_URL");
    const char *model = getenv("MEM0_EMBED_MODEL");
    const char *key = getenv("MEM0_EMBED_API_KEY");
    if (!url || !*url) url = DEFAULT_URL;
    if (!model || !*model) model = DEFAULT_MODEL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return err_set(err, MEM0_EINVAL, "MEM0_EMBED_URL must start with http:// or https://");
    /* The OpenAI key goes to OpenAI only, never to some other server. */
    if ((!key || !*key) && strncmp(url, "https://api.openai.com/", 23) == 0)
        key = getenv("OPENAI_API_KEY");
    if (strlen(model) >= 256 || (key && strlen(key) >= 512))
        return err_set(err, MEM0_EINVAL, "MEM0_EMBED_MODEL or the API key is too long");
    if ((rc = embed_curl_init(err))) return rc;
    remote *rm = calloc(1, sizeof *rm);
    if (!rm) return err_set(err, MEM0_ENOMEM, "embedder: out of memory");
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/')
        ul--;
    int has_path = ul >= 11 && memcmp(url + ul - 11, "/embeddings", 11) == 0;
    if (snprintf(rm->url, sizeof rm->url, "%.*s%s", (int)ul, url, has_path ? "" : "/embeddings") >=
        (int)sizeof rm->url) {
        free(rm);
        return err_set(err, MEM0_EINVAL, "MEM0_EMBED_URL is too long");
    }
    snprintf(rm->model, sizeof rm->model, "%s", model);
    if (key && *key) snprintf(rm->auth, sizeof rm->auth, "Authorization: Bearer %s", key);
    rm->want_dim = (int)dim;
    rm->timeout_ms = timeout;
    rm->connect_ms = connect;
    rm->retries = retries;
    rm->batch = batch;
    if (pthread_mutex_init(&rm->lock, NULL) != 0) {
        free(rm);
        return err_set(err, MEM0_ENOMEM, "embedder: pthread_mutex_init failed");
    }
    if (!(rm->curl = curl_easy_init())) {
        pthread_mutex_destroy(&rm->lock);
        free(rm);
        return err_set(err, MEM0_ENOMEM, "embedder: cannot set up libcurl");
    }
    e->ops = &remote_ops;
    e->impl = rm;
    e->remote = 1;
    e->dim = (int)dim;
    snprintf(e->id, sizeof e->id, "openai:%.200s", model);
    snprintf(e->describe, sizeof e->describe, "openai-compatible model %s at %s%s", model, rm->url,
             rm->auth[0] ? " (with an API key)" : "");
    return 0;
}
