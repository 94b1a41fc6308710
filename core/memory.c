/* memory.c: the public operations of mem0.h over the store (search ranking: search.c). */
#include "memory.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filter.h"
#include "lexical.h"
#include "record.h"
#include "redact.h"
#include "search.h"
#include "timeutil.h"
#include "util.h"
#include "vindex.h"

static const char *const scope_fields[4] = {"user_id", "agent_id", "app_id", "run_id"};

const char *mem0_strerror(int status)
{
    switch (status) {
    case MEM0_OK:
        return "ok";
    case MEM0_EINVAL:
        return "invalid argument";
    case MEM0_ENOTFOUND:
        return "not found";
    case MEM0_EMESSAGES_MISSING:
        return "messages_missing";
    case MEM0_ESCOPE_MISSING:
        return "scope_missing";
    case MEM0_EBUSY:
        return "store busy";
    case MEM0_EIO:
        return "store failure";
    case MEM0_ESCHEMA:
        return "incompatible store schema";
    case MEM0_ENOMEM:
        return "out of memory";
    case MEM0_EPERM:
        return "not permitted";
    default:
        return "unknown error";
    }
}

/* ---- Life cycle --------------------------------------------------------------------- */

static int lexical_check_txn(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    int *current = ctx;
    *current = lexical_current(txn, db, err);
    return *current < 0 ? *current : 0;
}

static int lexical_rebuild_txn(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    (void)ctx;
    int rc = lexical_current(txn, db, err);
    if (rc < 0) return rc;
    return rc == 1 ? 0 : lexical_rebuild(txn, db, err);
}

/* A store written before the lexical index (or by another index version) is indexed once,
 * here, so that every search can trust the postings. */
static int lexical_ensure(store *st, mem0_err *err)
{
    int current = 0;
    int rc = store_read(st, lexical_check_txn, &current, err);
    if (rc || current == 1) return rc;
    return store_write(st, lexical_rebuild_txn, NULL, err);
}

int mem0_open(const mem0_options *opt, mem0 **out, mem0_err *err)
{
    *out = NULL;
    mem0 *m = calloc(1, sizeof *m);
    if (!m) return err_set(err, MEM0_ENOMEM, "out of memory");
    if (opt && opt->home && *opt->home)
        snprintf(m->home, sizeof m->home, "%s", opt->home);
    else
        settings_home(m->home, sizeof m->home);
    settings_defaults(&m->settings);
    /* A broken settings file must not lock a user out of their memories: defaults apply
     * and `mem0-mcp doctor` reports it. */
    settings_load(m->home, &m->settings, NULL, NULL);
    identity_user_id(m->user, sizeof m->user);
    if (identity_project_id(NULL, m->project, sizeof m->project) != 0) m->project[0] = '\0';
    int rc = store_open(m->home, opt ? opt->map_size : 0, opt ? opt->read_only : 0, &m->st, err);
    if (rc) {
        free(m);
        return rc;
    }
    if (!(opt && opt->read_only) && (rc = lexical_ensure(m->st, err))) {
        mem0_close(m);
        return rc;
    }
    /* Vectors are an addition: an embedder that cannot open leaves search lexical
     * (`mem0-mcp doctor` says why) rather than locking the user out of the store. */
    mem0_err eerr;
    if (embed_open(m->home, embed_spec(&m->settings), &m->emb, &eerr) != 0) m->emb = NULL;
    *out = m;
    return 0;
}

void mem0_close(mem0 *m)
{
    if (!m) return;
    if (m->emb) embed_close(m->emb);
    store_close(m->st);
    free(m);
}

const char *mem0_home(const mem0 *m)
{
    return store_home(m->st);
}

/* ---- Shared helpers ----------------------------------------------------------------- */

int memory_scan(MDB_txn *txn, const store_dbs *db, char kind, const char *name, record_visit_fn fn,
                void *ctx, mem0_err *err)
{
    uint8_t prefix[STORE_MAX_KEY], probe[STORE_MAX_KEY];
    size_t plen = key_scope_prefix(prefix, kind, name);
    if (!plen) return 0;
    memcpy(probe, prefix, plen);
    memset(probe + plen, 0xff, 24);
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_scope, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(by_scope)");
    MDB_val k = {plen + 24, probe}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    int ret = 0;
    while (rc == 0 && k.mv_size == plen + 24 && memcmp(k.mv_data, prefix, plen) == 0) {
        cJSON *rec;
        const uint8_t *id = (const uint8_t *)k.mv_data + plen + 8;
        ret = record_load(txn, db, id, &rec, err);
        if (ret == MEM0_ENOTFOUND) { /* an index entry without record: skip, doctor reports */
            ret = 0;
        } else if (ret) {
            break;
        } else {
            int keep = 0;
            ret = fn(rec, ctx, &keep);
            if (!keep) cJSON_Delete(rec);
            if (ret) break;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND && !ret) ret = store_fail(err, rc, "mdb_cursor_get(by_scope)");
    return ret > 0 ? 0 : ret;
}

static int parse_id(const char *id, uint8_t bin[16], mem0_err *err)
{
    if (!id || uuid_parse(id, bin) != 0)
        return err_set(err, MEM0_EINVAL, "Invalid memory_id '%.64s': expected a UUID",
                       id ? id : "");
    return 0;
}

static int check_scope(const mem0_scope *s, mem0_err *err)
{
    const char *v[4] = {s->user_id, s->agent_id, s->app_id, s->run_id};
    for (int i = 0; i < 4; i++)
        if (v[i] && *v[i] && !entity_id_valid(v[i]))
            return err_set(err, MEM0_EINVAL,
                           "%s must be 1-256 bytes of UTF-8 text without control characters",
                           scope_fields[i]);
    return 0;
}

static int check_expiration(const char *date, mem0_err *err)
{
    if (date && *date && !date_valid(date))
        return err_set(err, MEM0_EINVAL,
                       "expiration_date '%.40s' is not a valid date (expected YYYY-MM-DD)", date);
    return 0;
}

/* A redacted, length-checked copy of one text to store; NULL with err set otherwise. */
static char *clean_text(const mem0 *m, const char *text, mem0_err *err)
{
    if (strlen(text) > RECORD_MAX_TEXT) {
        err_set(err, MEM0_EINVAL, "text is too long (%zu bytes; at most %d)", strlen(text),
                RECORD_MAX_TEXT);
        return NULL;
    }
    if (!utf8_valid(text, strlen(text))) {
        err_set(err, MEM0_EINVAL, "text is not valid UTF-8");
        return NULL;
    }
    char *clean = redact_text(text, m->settings.redact_secrets, NULL);
    if (!clean) err_set(err, MEM0_ENOMEM, "out of memory");
    return clean;
}

static cJSON *clean_metadata(const mem0 *m, const cJSON *metadata, mem0_err *err)
{
    if (!metadata || cJSON_IsNull(metadata)) return NULL;
    if (!cJSON_IsObject(metadata)) {
        err_set(err, MEM0_EINVAL, "metadata must be an object");
        return NULL;
    }
    cJSON *copy = cJSON_Duplicate(metadata, 1);
    if (!copy || redact_json(copy, m->settings.redact_secrets, NULL) != 0) {
        cJSON_Delete(copy);
        err_set(err, MEM0_ENOMEM, "out of memory");
        return NULL;
    }
    /* Metadata rides along in every result: keep it small enough for any client budget. */
    char *text = cJSON_PrintUnformatted(copy);
    size_t len = text ? strlen(text) : 0;
    free(text);
    if (len > RECORD_MAX_METADATA) {
        cJSON_Delete(copy);
        err_set(err, MEM0_EINVAL, "metadata is too large (%zu bytes as JSON; at most %d)", len,
                RECORD_MAX_METADATA);
        return NULL;
    }
    return copy;
}

static const char *actor_or(const char *actor)
{
    return actor && *actor ? actor : "api";
}

/* ---- Add ---------------------------------------------------------------------------- */

float *memory_embed(mem0 *m, const char *const *texts, int n, int *dim)
{
    float *v = NULL;
    mem0_err e;
    if (!m->emb || n <= 0 || embed_batch(m->emb, texts, n, 0, &v, &e) != 0) return NULL;
    *dim = embed_dim(m->emb);
    return v;
}

int memory_put_vector(MDB_txn *txn, const store_dbs *db, const embedder *emb, const cJSON *rec,
                      const float *vec, int dim, mem0_err *err)
{
    if (!vec || !emb) return 0;
    int rc = embed_store_claim(txn, db, embed_id(emb), dim, err);
    if (rc == MEM0_EINVAL) return 0;
    if (rc) return rc;
    uint8_t id[16];
    const char *user = record_str(rec, "user_id");
    if (uuid_parse(record_str(rec, "id"), id) != 0) return 0;
    return vindex_put(txn, db, id, lexical_hash(user ? user : ""), vec, dim, err);
}

typedef struct add_ctx {
    cJSON **recs;
    size_t n;
    const embedder *emb;
    float *vecs; /* n * dim, or NULL */
    int dim;
    int infer;
    const char *actor;
    cJSON *results; /* out */
    char dup_id[UUID_STR_LEN + 1];
    long skipped;
} add_ctx;

static int add_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    add_ctx *c = vctx;
    cJSON_Delete(c->results);
    c->results = cJSON_CreateArray();
    c->skipped = 0;
    c->dup_id[0] = '\0';
    if (!c->results) return err_set(err, MEM0_ENOMEM, "out of memory");
    int64_t now = time_now_us();
    for (size_t i = 0; i < c->n; i++) {
        cJSON *rec = c->recs[i];
        int rc;
        if (c->infer) {
            char found[UUID_STR_LEN + 1];
            rc = record_find_duplicate(txn, db, rec, found, err);
            if (rc < 0) return rc;
            if (rc == 1) {
                c->skipped++;
                memcpy(c->dup_id, found, sizeof found);
                continue;
            }
        }
        if ((rc = record_put(txn, db, rec, 1, err)) ||
            (rc = history_add(txn, db, rec, "ADD", NULL, record_str(rec, "memory"), c->actor, now,
                              err)) ||
            (rc = memory_put_vector(txn, db, c->emb, rec, c->vecs ? c->vecs + i * (size_t)c->dim : NULL,
                             c->dim, err)))
            return rc;
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "id", record_str(rec, "id"));
        cJSON_AddStringToObject(item, "memory", record_str(rec, "memory"));
        cJSON_AddStringToObject(item, "event", "ADD");
        cJSON_AddItemToArray(c->results, item);
    }
    return 0;
}

/* Appends the content of one message (a string, or text blocks) to texts. */
static int message_text(const cJSON *msg, const char **text, mem0_err *err)
{
    *text = NULL;
    if (!cJSON_IsObject(msg))
        return err_set(err, MEM0_EINVAL, "each message must be an object with role and content");
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (role && !cJSON_IsString(role))
        return err_set(err, MEM0_EINVAL, "message role must be a string");
    if (cJSON_IsString(role) && strcmp(role->valuestring, "system") == 0) return 0;
    if (!cJSON_IsString(content))
        return err_set(err, MEM0_EINVAL, "message content must be a string");
    *text = content->valuestring;
    return 0;
}

int mem0_add(mem0 *m, const mem0_add_req *req, cJSON **result, mem0_err *err)
{
    *result = NULL;
    const cJSON *msgs = req->messages;
    int use_msgs = cJSON_IsArray(msgs) && cJSON_GetArraySize(msgs) > 0;
    if (!use_msgs && (!req->text || !*req->text))
        return err_set(err, MEM0_EMESSAGES_MISSING,
                       "Provide either `text` or `messages` so Mem0 knows what to store.");
    mem0_scope scope = req->scope;
    if (!scope.user_id || !*scope.user_id)
        scope.user_id = m->user; /* every local memory belongs to a user: no scope leaks */
    int rc = check_scope(&scope, err);
    if (rc || (rc = check_expiration(req->expiration_date, err))) return rc;
    cJSON *metadata = NULL;
    if (req->metadata && !cJSON_IsNull(req->metadata)) {
        metadata = clean_metadata(m, req->metadata, err);
        if (!metadata) return err->code;
    }
    size_t cap = use_msgs ? (size_t)cJSON_GetArraySize(msgs) : 1;
    add_ctx c = {0};
    c.recs = calloc(cap, sizeof(cJSON *));
    c.infer = req->infer;
    c.actor = actor_or(req->actor);
    if (!c.recs) {
        cJSON_Delete(metadata);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    int64_t now = time_now_us();
    int emptied = 0;
    for (size_t i = 0; i < cap; i++) {
        const char *text = req->text;
        if (use_msgs && (rc = message_text(cJSON_GetArrayItem(msgs, (int)i), &text, err))) goto out;
        if (!text) continue;
        char *clean = clean_text(m, text, err);
        if (!clean) {
            rc = err->code;
            goto out;
        }
        if (!*clean) {
            emptied++;
            free(clean);
            continue;
        }
        const char *exp =
            req->expiration_date && *req->expiration_date ? req->expiration_date : NULL;
        c.recs[c.n] = record_new(clean, &scope, metadata, exp, now);
        free(clean);
        if (!c.recs[c.n]) {
            rc = err_set(err, MEM0_ENOMEM, "out of memory");
            goto out;
        }
        c.n++;
    }
    if (c.n == 0 && !emptied) {
        rc = err_set(err, MEM0_EMESSAGES_MISSING,
                     "Provide either `text` or `messages` so Mem0 knows what to store.");
        goto out;
    }
    if (c.n && m->emb) { /* embed outside the write transaction: it may take a while */
        const char **texts = malloc(c.n * sizeof *texts);
        for (size_t i = 0; texts && i < c.n; i++)
            texts[i] = record_str(c.recs[i], "memory");
        if (texts) c.vecs = memory_embed(m, texts, (int)c.n, &c.dim);
        c.emb = c.vecs ? m->emb : NULL;
        free(texts);
    }
    if (c.n && (rc = store_write(m->st, add_txn, &c, err))) goto out;
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "results", c.results ? c.results : cJSON_CreateArray());
    c.results = NULL;
    if (c.skipped) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "Skipped %ld duplicate%s: an identical memory already exists in this scope "
                 "(id %s)",
                 c.skipped, c.skipped > 1 ? "s" : "", c.dup_id);
        cJSON_AddStringToObject(res, "message", msg);
    } else if (emptied) {
        cJSON_AddStringToObject(res, "message",
                                "Nothing stored for text that was empty after removing "
                                "<private> content");
    }
    *result = res;
out:
    for (size_t i = 0; i < c.n; i++)
        cJSON_Delete(c.recs[i]);
    free(c.recs);
    free(c.vecs);
    cJSON_Delete(c.results);
    cJSON_Delete(metadata);
    return rc;
}

/* ---- Get and history ---------------------------------------------------------------- */

typedef struct get_ctx {
    uint8_t id[16];
    cJSON *rec; /* out */
} get_ctx;

static int get_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    get_ctx *c = vctx;
    cJSON_Delete(c->rec);
    c->rec = NULL;
    return record_load(txn, db, c->id, &c->rec, err);
}

int mem0_get(mem0 *m, const char *memory_id, cJSON **memory, mem0_err *err)
{
    *memory = NULL;
    get_ctx c = {{0}, NULL};
    int rc = parse_id(memory_id, c.id, err);
    if (rc || (rc = store_read(m->st, get_txn, &c, err))) {
        cJSON_Delete(c.rec);
        return rc;
    }
    *memory = c.rec;
    return 0;
}

typedef struct history_ctx {
    uint8_t id[16];
    cJSON *items; /* out */
} history_ctx;

static int history_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    history_ctx *c = vctx;
    cJSON_Delete(c->items);
    c->items = cJSON_CreateArray();
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->history, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(history)");
    MDB_val k = {16, c->id}, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= 16 && memcmp(k.mv_data, c->id, 16) == 0) {
        cJSON *h = cJSON_ParseWithLength(v.mv_data, v.mv_size);
        if (h) cJSON_AddItemToArray(c->items, h);
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? store_fail(err, rc, "mdb_cursor_get(history)") : 0;
}

int mem0_history(mem0 *m, const char *memory_id, cJSON **result, mem0_err *err)
{
    *result = NULL;
    history_ctx c = {{0}, NULL};
    int rc = parse_id(memory_id, c.id, err);
    if (rc || (rc = store_read(m->st, history_txn, &c, err))) {
        cJSON_Delete(c.items);
        return rc;
    }
    if (cJSON_GetArraySize(c.items) == 0) {
        cJSON_Delete(c.items);
        return err_set(err, MEM0_ENOTFOUND, "Memory not found");
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "results", c.items);
    *result = res;
    return 0;
}

/* ---- Search and list ---------------------------------------------------------------- */

typedef struct collect_ctx {
    const filter *f;
    int show_expired;
    int64_t now;
    cJSON **recs;
    size_t n, cap;
    /* list paging: when limit_from >= 0, keep only matches in [limit_from, limit_to) */
    long seen, keep_from, keep_to;
} collect_ctx;

static int collect_visit(cJSON *rec, void *vctx, int *keep)
{
    collect_ctx *c = vctx;
    if (!c->show_expired && record_expired(rec, c->now)) return 0;
    if (!filter_eval(c->f, rec)) return 0;
    long idx = c->seen++;
    if (c->keep_from >= 0 && (idx < c->keep_from || idx >= c->keep_to)) return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        cJSON **p = realloc(c->recs, cap * sizeof *p);
        if (!p) return MEM0_ENOMEM;
        c->recs = p;
        c->cap = cap;
    }
    c->recs[c->n++] = rec;
    *keep = 1;
    return 0;
}

static void collect_reset(collect_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        cJSON_Delete(c->recs[i]);
    c->n = 0;
    c->seen = 0;
}

static int collect_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    collect_ctx *c = vctx;
    collect_reset(c);
    const char *user = filter_pinned_user(c->f);
    int rc = memory_scan(txn, db, user ? 'u' : '*', user ? user : "", collect_visit, c, err);
    if (rc == MEM0_ENOMEM) err_set(err, rc, "out of memory");
    return rc;
}

static int collect(mem0 *m, const cJSON *filters, const char *default_user, int show_expired,
                   collect_ctx *c, mem0_err *err)
{
    filter *f = NULL;
    int rc = filter_parse(filters, default_user && *default_user ? default_user : m->user, &f, err);
    if (rc) return rc;
    c->f = f;
    c->show_expired = show_expired;
    c->now = time_now_us();
    rc = store_read(m->st, collect_txn, c, err);
    filter_free(f);
    c->f = NULL;
    return rc;
}

static void collect_free(collect_ctx *c)
{
    collect_reset(c);
    free(c->recs);
}

typedef struct search_ctx {
    search_query q;
    const embedder *emb; /* with qvec: the query's vector, dim floats */
    float *qvec;
    int dim;
    search_vec_hit vhits[400];
    cJSON *items; /* out */
} search_ctx;

/* The memories nearest the query vector, within the pinned user's vectors when the filter
 * pins one (the filter itself runs later on every candidate).  Leaves c->q.vec empty when
 * the store holds no vectors of this embedder. */
static void vector_candidates(MDB_txn *txn, const store_dbs *db, search_ctx *c)
{
    c->q.vec = NULL;
    c->q.vec_n = 0;
    mem0_err e;
    if (!c->qvec || embed_store_check(txn, db, embed_id(c->emb), c->dim, &e) != 0) return;
    const char *user = filter_pinned_user(c->q.f);
    uint64_t tag = user ? lexical_hash(user) : 0;
    int want = c->q.top_k * 4 > 60 ? c->q.top_k * 4 : 60, got = 0;
    vindex_hit hits[400];
    if (want > 400) want = 400;
    vindex_query q = {c->qvec, c->dim, user ? &tag : NULL, user ? 1 : 0, NULL, NULL, want,
                      VINDEX_AUTO, 0, NULL};
    if (vindex_search(txn, db, &q, hits, &got, &e) != 0) return;
    for (int i = 0; i < got; i++) {
        memcpy(c->vhits[i].id, hits[i].id, 16);
        c->vhits[i].sim = hits[i].score;
    }
    c->q.vec = c->vhits;
    c->q.vec_n = (size_t)got;
}

static int search_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    search_ctx *c = vctx;
    cJSON_Delete(c->items);
    c->items = cJSON_CreateArray();
    if (!c->items) return err_set(err, MEM0_ENOMEM, "out of memory");
    vector_candidates(txn, db, c);
    return search_run(txn, db, &c->q, c->items, err);
}

int mem0_search(mem0 *m, const mem0_search_req *req, cJSON **result, mem0_err *err)
{
    *result = NULL;
    if (!req->query || !*req->query)
        return err_set(err, MEM0_EINVAL, "query must be a non-empty string");
    if (strlen(req->query) > 64 * 1024)
        return err_set(err, MEM0_EINVAL, "query is too long (at most 65536 bytes)");
    if (!utf8_valid(req->query, strlen(req->query)))
        return err_set(err, MEM0_EINVAL, "query is not valid UTF-8");
    if (isnan(req->threshold) || req->threshold > 1)
        return err_set(err, MEM0_EINVAL, "threshold must be between 0 and 1");
    filter *f = NULL;
    const char *user = req->default_user && *req->default_user ? req->default_user : m->user;
    int rc = filter_parse(req->filters, user, &f, err);
    if (rc) return rc;
    search_params params;
    search_params_load(&params);
    search_ctx c;
    memset(&c, 0, sizeof c);
    c.q.query = req->query;
    c.q.f = f;
    c.q.show_expired = req->show_expired;
    c.q.top_k = req->top_k > 0 ? req->top_k : 10;
    c.q.explain = req->explain;
    c.q.threshold = req->threshold;
    c.q.now_us = time_now_us();
    c.q.project = m->project[0] ? m->project : NULL;
    c.q.params = &params;
    /* Vector scores: with an embedder configured (embed.h) and its vectors in the index
     * (vindex.h), the query's nearest memories are fused with the lexical and context
     * scores (search.h).  A failing embedder leaves the search lexical. */
    mem0_err eerr;
    if (m->emb && embed_text(m->emb, req->query, 0, &c.qvec, &eerr) == 0) {
        c.emb = m->emb;
        c.dim = embed_dim(m->emb);
    }
    rc = store_read(m->st, search_txn, &c, err);
    free(c.qvec);
    filter_free(f);
    if (rc) {
        cJSON_Delete(c.items);
        return rc;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddItemToObject(res, "results", c.items);
    *result = res;
    return 0;
}

int mem0_list(mem0 *m, const mem0_list_req *req, cJSON **result, mem0_err *err)
{
    *result = NULL;
    int page = req->page > 0 ? req->page : 1;
    int size = req->page_size > 0 ? req->page_size : 10;
    if (size > 100) return err_set(err, MEM0_EINVAL, "page_size must be between 1 and 100");
    collect_ctx c = {0};
    c.keep_from = (long)(page - 1) * size;
    c.keep_to = c.keep_from + size;
    int rc = collect(m, req->filters, req->default_user, req->show_expired, &c, err);
    if (rc) {
        collect_free(&c);
        return rc;
    }
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "count", (double)c.seen);
    cJSON_AddNumberToObject(res, "page", page);
    cJSON_AddNumberToObject(res, "page_size", size);
    if (c.keep_to < c.seen)
        cJSON_AddNumberToObject(res, "next", page + 1);
    else
        cJSON_AddNullToObject(res, "next");
    if (page > 1)
        cJSON_AddNumberToObject(res, "previous", page - 1);
    else
        cJSON_AddNullToObject(res, "previous");
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < c.n; i++) {
        cJSON_AddItemToArray(arr, c.recs[i]);
        c.recs[i] = NULL;
    }
    c.n = 0;
    cJSON_AddItemToObject(res, "results", arr);
    collect_free(&c);
    *result = res;
    return 0;
}

/* ---- Update ------------------------------------------------------------------------- */

typedef struct update_ctx {
    uint8_t id[16];
    const char *text;       /* cleaned, or NULL to keep */
    const cJSON *metadata;  /* cleaned, or NULL to keep */
    const char *expiration; /* NULL keep, "" clear */
    const char *actor;
    const embedder *emb;    /* with vec: the new text's vector */
    const float *vec;
    int dim;
    cJSON *rec; /* out */
} update_ctx;

static void set_field(cJSON *rec, const char *name, cJSON *value)
{
    if (cJSON_HasObjectItem(rec, name))
        cJSON_ReplaceItemInObjectCaseSensitive(rec, name, value);
    else
        cJSON_AddItemToObject(rec, name, value);
}

static int update_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    update_ctx *c = vctx;
    cJSON_Delete(c->rec);
    c->rec = NULL;
    cJSON *old;
    int rc = record_load(txn, db, c->id, &old, err);
    if (rc) return rc;
    cJSON *rec = cJSON_Duplicate(old, 1);
    if (!rec) {
        cJSON_Delete(old);
        return err_set(err, MEM0_ENOMEM, "out of memory");
    }
    int64_t now = time_now_us();
    char when[ISO_TIME_LEN + 1];
    time_format_iso(now, when);
    if (c->text) {
        char hash[33];
        record_hash(c->text, hash);
        set_field(rec, "memory", cJSON_CreateString(c->text));
        set_field(rec, "hash", cJSON_CreateString(hash));
    }
    if (c->metadata) set_field(rec, "metadata", cJSON_Duplicate(c->metadata, 1));
    if (c->expiration)
        set_field(rec, "expiration_date",
                  *c->expiration ? cJSON_CreateString(c->expiration) : cJSON_CreateNull());
    set_field(rec, "updated_at", cJSON_CreateString(when));
    if ((rc = record_remove(txn, db, old, 0, err)) || (rc = record_put(txn, db, rec, 0, err)) ||
        (rc = history_add(txn, db, rec, "UPDATE", record_str(old, "memory"),
                          record_str(rec, "memory"), c->actor, now, err)) ||
        (rc = memory_put_vector(txn, db, c->emb, rec, c->vec, c->dim, err))) {
        cJSON_Delete(old);
        cJSON_Delete(rec);
        return rc;
    }
    cJSON_Delete(old);
    c->rec = rec;
    return 0;
}

int mem0_update(mem0 *m, const mem0_update_req *req, cJSON **memory, mem0_err *err)
{
    *memory = NULL;
    update_ctx c = {0};
    c.expiration = req->expiration_date;
    c.actor = actor_or(req->actor);
    int rc = parse_id(req->memory_id, c.id, err);
    if (rc || (rc = check_expiration(req->expiration_date, err))) return rc;
    char *text = NULL;
    cJSON *metadata = NULL;
    if (req->text) {
        if (!*req->text) return err_set(err, MEM0_EINVAL, "text must not be empty");
        if (!(text = clean_text(m, req->text, err))) return err->code;
        if (!*text) {
            free(text);
            return err_set(err, MEM0_EINVAL, "text is empty after removing <private> content");
        }
        c.text = text;
    }
    if (req->metadata && !cJSON_IsNull(req->metadata)) {
        if (!(metadata = clean_metadata(m, req->metadata, err))) {
            free(text);
            return err->code;
        }
        c.metadata = metadata;
    }
    float *vec = NULL;
    if (c.text && m->emb) { /* a new text needs a new vector; metadata alone keeps it */
        const char *texts[1] = {c.text};
        vec = memory_embed(m, texts, 1, &c.dim);
        c.vec = vec;
        c.emb = vec ? m->emb : NULL;
    }
    rc = store_write(m->st, update_txn, &c, err);
    free(vec);
    free(text);
    cJSON_Delete(metadata);
    if (rc) {
        cJSON_Delete(c.rec);
        return rc;
    }
    *memory = c.rec;
    return 0;
}

/* ---- Stats -------------------------------------------------------------------------- */

typedef struct stats_ctx {
    cJSON *res;
} stats_ctx;

static size_t db_entries(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_stat st;
    return mdb_stat(txn, dbi, &st) == 0 ? st.ms_entries : 0;
}

static int stats_txn(MDB_txn *txn, const store_dbs *db, void *vctx, mem0_err *err)
{
    stats_ctx *c = vctx;
    cJSON_Delete(c->res);
    c->res = cJSON_CreateObject();
    char today[11];
    date_today_plus(0, today);
    long expired = 0;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->by_expiry, &cur);
    if (rc) return store_fail(err, rc, "mdb_cursor_open(by_expiry)");
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < 10 || memcmp(k.mv_data, today, 10) >= 0) break;
        expired++;
    }
    mdb_cursor_close(cur);
    cJSON_AddNumberToObject(c->res, "memories", (double)db_entries(txn, db->records));
    cJSON_AddNumberToObject(c->res, "expired", (double)expired);
    cJSON_AddNumberToObject(c->res, "trash", (double)db_entries(txn, db->trash));
    cJSON_AddNumberToObject(c->res, "history", (double)db_entries(txn, db->history));
    cJSON_AddNumberToObject(c->res, "entities", (double)db_entries(txn, db->entities));
    return 0;
}

int mem0_stats(mem0 *m, cJSON **result, mem0_err *err)
{
    *result = NULL;
    stats_ctx c = {NULL};
    int rc = store_read(m->st, stats_txn, &c, err);
    if (rc) {
        cJSON_Delete(c.res);
        return rc;
    }
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(store_env(m->st), &info);
    mdb_env_stat(store_env(m->st), &st);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/data.mdb", mem0_home(m));
    struct stat fs;
    cJSON_AddNumberToObject(c.res, "map_size", (double)info.me_mapsize);
    cJSON_AddNumberToObject(c.res, "map_used", (double)(info.me_last_pgno + 1) * st.ms_psize);
    cJSON_AddNumberToObject(c.res, "file_size", stat(path, &fs) == 0 ? (double)fs.st_size : 0);
    cJSON_AddNumberToObject(c.res, "schema_version", STORE_SCHEMA_VERSION);
    cJSON_AddStringToObject(c.res, "home", mem0_home(m));
    cJSON_AddStringToObject(c.res, "user_id", m->user);
    *result = c.res;
    return 0;
}
