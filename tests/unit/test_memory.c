/* test_memory.c: the public operations of core/memory.c, trash.c and sweep.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lmdb.h>

#include "mem0.h"
#include "support.h"
#include "timeutil.h"

static cJSON *results(cJSON *res)
{
    cJSON *r = cJSON_GetObjectItem(res, "results");
    assert_true(cJSON_IsArray(r));
    return r;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *list(mem0 *m, const char *filters, int page, int size, int show_expired,
                   const char *user)
{
    cJSON *f = filters ? test_json(filters) : NULL;
    mem0_list_req req = {f, user, page, size, show_expired};
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_list(m, &req, &res, &err);
    cJSON_Delete(f);
    if (rc)
        fail_msg("mem0_list: %s", err.msg);
    return res;
}

static cJSON *search(mem0 *m, const char *query, const char *filters, int top_k,
                     double threshold, const char *user)
{
    cJSON *f = filters ? test_json(filters) : NULL;
    mem0_search_req req = {query, f, user, top_k, threshold, 0, 0};
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_search(m, &req, &res, &err);
    cJSON_Delete(f);
    if (rc)
        fail_msg("mem0_search: %s", err.msg);
    return res;
}

static void add_then_get_returns_every_field(void **state)
{
    (void)state;
    mem0 *m = test_open_store("get", 0);
    cJSON *meta = test_json("{\"type\":\"decision\",\"n\":3}");
    mem0_add_req req = {0};
    req.text = "We chose LMDB for the store";
    req.scope.user_id = "alice";
    req.scope.app_id = "proj";
    req.metadata = meta;
    req.expiration_date = "2999-01-01";
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_add(m, &req, &res, &err), 0);
    cJSON *item = cJSON_GetArrayItem(results(res), 0);
    assert_string_equal(str(item, "event"), "ADD");
    char id[64];
    snprintf(id, sizeof id, "%s", str(item, "id"));
    cJSON_Delete(res);
    cJSON_Delete(meta);

    cJSON *got = NULL;
    assert_int_equal(mem0_get(m, id, &got, &err), 0);
    assert_string_equal(str(got, "id"), id);
    assert_int_equal(id[14], '4'); /* UUID version 4 */
    assert_string_equal(str(got, "memory"), "We chose LMDB for the store");
    assert_int_equal(strlen(str(got, "hash")), 32);
    assert_string_equal(str(got, "user_id"), "alice");
    assert_string_equal(str(got, "app_id"), "proj");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(got, "agent_id")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(got, "run_id")));
    assert_string_equal(str(got, "expiration_date"), "2999-01-01");
    assert_string_equal(str(cJSON_GetObjectItem(got, "metadata"), "type"), "decision");
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(got, "categories")));
    const char *created = str(got, "created_at");
    assert_non_null(created);
    assert_true(strlen(created) >= 25 && created[10] == 'T');
    assert_true(created[strlen(created) - 6] == '+' || created[strlen(created) - 6] == '-');
    cJSON_Delete(got);

    cJSON *hist = NULL;
    assert_int_equal(mem0_history(m, id, &hist, &err), 0);
    assert_int_equal(cJSON_GetArraySize(results(hist)), 1);
    assert_string_equal(str(cJSON_GetArrayItem(results(hist), 0), "event"), "ADD");
    cJSON_Delete(hist);
    mem0_close(m);
}

static void infer_false_keeps_duplicates_infer_true_skips_them(void **state)
{
    (void)state;
    mem0 *m = test_open_store("dedupe", 0);
    char first[64];
    snprintf(first, sizeof first, "%s", test_add(m, "u", "same words", NULL));
    test_add(m, "u", "same words", NULL);
    cJSON *l = list(m, NULL, 1, 10, 0, "u");
    assert_int_equal(cJSON_GetArraySize(results(l)), 2);
    cJSON_Delete(l);

    mem0_add_req req = {0};
    req.text = "same words";
    req.scope.user_id = "u";
    req.infer = 1;
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_add(m, &req, &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(results(res)), 0);
    const char *msg = str(res, "message");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "id "));
    cJSON_Delete(res);
    /* Another scope is not a duplicate. */
    req.scope.user_id = "v";
    assert_int_equal(mem0_add(m, &req, &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(results(res)), 1);
    cJSON_Delete(res);
    mem0_close(m);
}

static void messages_store_each_turn_and_skip_system(void **state)
{
    (void)state;
    mem0 *m = test_open_store("msgs", 0);
    cJSON *msgs = test_json("[{\"role\":\"system\",\"content\":\"be nice\"},"
                            "{\"role\":\"user\",\"content\":\"I use vim\"},"
                            "{\"role\":\"assistant\",\"content\":\"Noted: vim\"}]");
    mem0_add_req req = {0};
    req.text = "ignored when messages are given";
    req.messages = msgs;
    req.scope.user_id = "u";
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_add(m, &req, &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(results(res)), 2);
    assert_string_equal(str(cJSON_GetArrayItem(results(res), 0), "memory"), "I use vim");
    cJSON_Delete(res);
    cJSON_Delete(msgs);

    mem0_add_req empty = {0};
    assert_int_equal(mem0_add(m, &empty, &res, &err), MEM0_EMESSAGES_MISSING);
    assert_null(res);
    mem0_close(m);
}

static void list_pages_cover_everything_newest_first(void **state)
{
    (void)state;
    mem0 *m = test_open_store("pages", 0);
    char text[64];
    for (int i = 0; i < 25; i++) {
        snprintf(text, sizeof text, "note number %d", i);
        test_add(m, "u", text, NULL);
    }
    test_add(m, "other", "not mine", NULL);
    int seen[25] = {0};
    for (int page = 1; page <= 3; page++) {
        cJSON *l = list(m, NULL, page, 10, 0, "u");
        assert_int_equal((int)cJSON_GetObjectItem(l, "count")->valuedouble, 25);
        int n = cJSON_GetArraySize(results(l));
        assert_int_equal(n, page < 3 ? 10 : 5);
        cJSON *next = cJSON_GetObjectItem(l, "next");
        if (page < 3)
            assert_int_equal((int)next->valuedouble, page + 1);
        else
            assert_true(cJSON_IsNull(next));
        for (int i = 0; i < n; i++) {
            int k = atoi(str(cJSON_GetArrayItem(results(l), i), "memory") + 12);
            assert_int_equal(k, 24 - ((page - 1) * 10 + i)); /* newest first */
            seen[k]++;
        }
        cJSON_Delete(l);
    }
    for (int i = 0; i < 25; i++)
        assert_int_equal(seen[i], 1);
    cJSON *res = NULL;
    mem0_err err = {0};
    mem0_list_req big = {NULL, "u", 1, 101, 0};
    assert_int_equal(mem0_list(m, &big, &res, &err), MEM0_EINVAL);
    mem0_close(m);
}

static void search_respects_threshold_top_k_and_scope(void **state)
{
    (void)state;
    mem0 *m = test_open_store("search", 0);
    test_add(m, "u", "The build uses make and gcc", NULL);
    test_add(m, "u", "Tests run under valgrind with make test", NULL);
    test_add(m, "u", "The user prefers tabs", NULL);
    test_add(m, "b", "make secret plans for user b", NULL);

    cJSON *r = search(m, "make", NULL, 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 2);
    double prev = 2;
    cJSON *it;
    cJSON_ArrayForEach(it, results(r))
    {
        double s = cJSON_GetObjectItem(it, "score")->valuedouble;
        assert_true(s > 0 && s <= 1 && s <= prev);
        prev = s;
        assert_string_equal(str(it, "user_id"), "u");
    }
    cJSON_Delete(r);

    r = search(m, "make", NULL, 1, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 1);
    cJSON_Delete(r);

    r = search(m, "make gcc", NULL, 10, 0.99, "u");
    cJSON_ArrayForEach(it, results(r))
    assert_true(cJSON_GetObjectItem(it, "score")->valuedouble >= 0.99);
    cJSON_Delete(r);

    r = search(m, "kubernetes", NULL, 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 0);
    cJSON_Delete(r);

    /* An OR with one unpinned branch stays inside the default user. */
    r = search(m, "make", "{\"OR\":[{\"user_id\":\"u\"},{\"app_id\":\"x\"}]}", 10, -1, "u");
    cJSON_ArrayForEach(it, results(r)) assert_string_equal(str(it, "user_id"), "u");
    cJSON_Delete(r);
    r = search(m, "make", "{\"user_id\":\"*\"}", 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 3);
    cJSON_Delete(r);

    mem0_search_req bad = {"", NULL, "u", 10, -1, 0, 0};
    mem0_err err = {0};
    assert_int_equal(mem0_search(m, &bad, &r, &err), MEM0_EINVAL);
    mem0_close(m);
}

static void expired_memories_hide_then_get_purged(void **state)
{
    (void)state;
    mem0 *m = test_open_store("expiry", 0);
    char id[64];
    snprintf(id, sizeof id, "%s", test_add(m, "u", "old snapshot", "2020-01-01"));
    test_add(m, "u", "fresh snapshot", "2999-01-01");
    cJSON *l = list(m, NULL, 1, 10, 0, "u");
    assert_int_equal(cJSON_GetArraySize(results(l)), 1);
    cJSON_Delete(l);
    l = list(m, NULL, 1, 10, 1, "u");
    assert_int_equal(cJSON_GetArraySize(results(l)), 2);
    cJSON_Delete(l);
    cJSON *r = search(m, "snapshot", NULL, 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 1);
    cJSON_Delete(r);

    mem0_sweep_stats st;
    mem0_err err = {0};
    assert_int_equal(mem0_sweep(m, 0, &st, &err), 0);
    assert_int_equal(st.purged_expired, 1); /* 2020 is far past the 30-day grace */
    assert_true(st.complete);
    cJSON *got = NULL;
    assert_int_equal(mem0_get(m, id, &got, &err), MEM0_ENOTFOUND);
    cJSON *hist = NULL;
    assert_int_equal(mem0_history(m, id, &hist, &err), 0);
    cJSON *last = cJSON_GetArrayItem(results(hist), cJSON_GetArraySize(results(hist)) - 1);
    assert_string_equal(str(last, "event"), "DELETE");
    assert_string_equal(str(last, "actor"), "sweeper");
    cJSON_Delete(hist);
    mem0_close(m);
}

static void update_changes_text_hash_and_history(void **state)
{
    (void)state;
    mem0 *m = test_open_store("update", 0);
    char id[64];
    snprintf(id, sizeof id, "%s", test_add(m, "u", "port is 8080", NULL));
    cJSON *before = NULL, *after = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_get(m, id, &before, &err), 0);
    mem0_update_req up = {id, "port is 9090", NULL, NULL, "test"};
    assert_int_equal(mem0_update(m, &up, &after, &err), 0);
    assert_string_equal(str(after, "memory"), "port is 9090");
    assert_string_not_equal(str(after, "hash"), str(before, "hash"));
    assert_string_equal(str(after, "created_at"), str(before, "created_at"));
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON *hist = NULL;
    assert_int_equal(mem0_history(m, id, &hist, &err), 0);
    cJSON *h = cJSON_GetArrayItem(results(hist), 1);
    assert_string_equal(str(h, "event"), "UPDATE");
    assert_string_equal(str(h, "old_memory"), "port is 8080");
    assert_string_equal(str(h, "new_memory"), "port is 9090");
    cJSON_Delete(hist);
    /* The old text is no longer found; the new one is. */
    cJSON *r = search(m, "8080", NULL, 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 0);
    cJSON_Delete(r);
    r = search(m, "9090", NULL, 10, -1, "u");
    assert_int_equal(cJSON_GetArraySize(results(r)), 1);
    cJSON_Delete(r);
    mem0_update_req missing = {"00000000-0000-4000-8000-000000000000", "x", NULL, NULL, NULL};
    assert_int_equal(mem0_update(m, &missing, &after, &err), MEM0_ENOTFOUND);
    mem0_update_req bad_date = {id, NULL, NULL, "2024-02-30", NULL};
    assert_int_equal(mem0_update(m, &bad_date, &after, &err), MEM0_EINVAL);
    mem0_close(m);
}

static void delete_goes_to_trash_and_restores(void **state)
{
    (void)state;
    mem0 *m = test_open_store("trash", 0);
    char id[64];
    snprintf(id, sizeof id, "%s", test_add(m, "u", "keep me safe", NULL));
    cJSON *res = NULL, *got = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_delete(m, id, "test", &res, &err), 0);
    assert_string_equal(str(res, "message"), "Memory deleted successfully!");
    cJSON_Delete(res);
    assert_int_equal(mem0_get(m, id, &got, &err), MEM0_ENOTFOUND);
    assert_int_equal(mem0_delete(m, id, "test", &res, &err), MEM0_ENOTFOUND);
    assert_int_equal(mem0_trash_list(m, &res, &err), 0);
    assert_int_equal(cJSON_GetArraySize(results(res)), 1);
    cJSON_Delete(res);
    assert_int_equal(mem0_restore(m, id, "test", &got, &err), 0);
    assert_string_equal(str(got, "memory"), "keep me safe");
    cJSON_Delete(got);
    assert_int_equal(mem0_get(m, id, &got, &err), 0);
    cJSON_Delete(got);
    assert_int_equal(mem0_restore(m, id, "test", &got, &err), MEM0_ENOTFOUND);
    mem0_close(m);
}

static int entity_count(mem0 *m, const char *owner, const char *type, const char *name)
{
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_list_entities(m, owner, &res, &err), 0);
    int count = -1;
    cJSON *it;
    cJSON_ArrayForEach(it, results(res))
    {
        if (strcmp(str(it, "type"), type) == 0 && strcmp(str(it, "name"), name) == 0)
            count = (int)cJSON_GetObjectItem(it, "total_memories")->valuedouble;
    }
    cJSON_Delete(res);
    return count;
}

static void delete_all_keeps_entities_delete_entity_removes_them(void **state)
{
    (void)state;
    mem0 *m = test_open_store("entities", 0);
    mem0_add_req req = {0};
    req.text = "agent note";
    req.scope.user_id = "u";
    req.scope.agent_id = "bot";
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_add(m, &req, &res, &err), 0);
    cJSON_Delete(res);
    test_add(m, "u", "user note", NULL);
    test_add(m, "w", "someone else", NULL);
    assert_int_equal(entity_count(m, "u", "user", "u"), 2);
    assert_int_equal(entity_count(m, "u", "agent", "bot"), 1);
    assert_int_equal(entity_count(m, "u", "user", "w"), -1); /* w is not u's to see */

    mem0_scope agent = {NULL, "bot", NULL, NULL};
    assert_int_equal(mem0_delete_all(m, &agent, "test", &res, &err), 0);
    assert_int_equal((int)cJSON_GetObjectItem(res, "deleted")->valuedouble, 1);
    cJSON_Delete(res);
    assert_int_equal(entity_count(m, "u", "agent", "bot"), 0);
    assert_int_equal(entity_count(m, "u", "user", "u"), 1);

    mem0_scope user = {"u", NULL, NULL, NULL};
    assert_int_equal(mem0_delete_entity(m, &user, "test", &res, &err), 0);
    cJSON_Delete(res);
    assert_int_equal(entity_count(m, "u", "user", "u"), -1);
    assert_int_equal(entity_count(m, "w", "user", "w"), 1);
    mem0_scope none = {0};
    assert_int_equal(mem0_delete_entity(m, &none, "test", &res, &err), MEM0_ESCOPE_MISSING);
    assert_int_equal(mem0_delete_all(m, &none, "test", &res, &err), MEM0_ESCOPE_MISSING);
    mem0_close(m);
}

static void map_grows_from_one_mebibyte(void **state)
{
    (void)state;
    mem0 *m = test_open_store("grow", 1 << 20);
    char text[256];
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof text,
                 "memory %d about a long enough sentence so that pages fill up quickly %d", i,
                 i * 7);
        test_add(m, "u", text, NULL);
    }
    cJSON *s = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_stats(m, &s, &err), 0);
    assert_int_equal((int)cJSON_GetObjectItem(s, "memories")->valuedouble, 3000);
    assert_true(cJSON_GetObjectItem(s, "map_size")->valuedouble > (double)(1 << 20));
    cJSON_Delete(s);
    mem0_close(m);
}

static void store_files_are_private(void **state)
{
    (void)state;
    mode_t old = umask(0);
    mem0 *m = test_open_store("perm", 0);
    umask(old);
    test_add(m, "u", "x", NULL);
    struct stat st;
    char path[4200];
    assert_int_equal(stat(mem0_home(m), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/data.mdb", mem0_home(m));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/lock.mdb", mem0_home(m));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    mem0_close(m);
}

static void newer_schema_is_refused_clearly(void **state)
{
    (void)state;
    const char *dir = test_scratch_dir("schema");
    mem0_options opt = {dir, 0, 0};
    mem0 *m = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_open(&opt, &m, &err), 0);
    mem0_close(m);
    /* Pretend a future version wrote the store. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    MDB_val k = {11, "read_compat"}, v = {2, "99"};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(mem0_open(&opt, &m, &err), MEM0_ESCHEMA);
    assert_non_null(strstr(err.msg, "upgrade"));
}

typedef struct thread_arg {
    mem0 *m;
    int base;
} thread_arg;

static void *add_many(void *p)
{
    thread_arg *a = p;
    char text[64];
    for (int i = 0; i < 100; i++) {
        snprintf(text, sizeof text, "thread %d item %d", a->base, i);
        mem0_add_req req = {0};
        req.text = text;
        req.scope.user_id = "u";
        cJSON *res = NULL;
        mem0_err err = {0};
        if (mem0_add(a->m, &req, &res, &err) != 0)
            return (void *)1;
        cJSON_Delete(res);
    }
    return NULL;
}

static void one_handle_serves_many_threads(void **state)
{
    (void)state;
    mem0 *m = test_open_store("threads", 1 << 20);
    /* A second handle on the same folder shares the environment. */
    mem0_options opt = {mem0_home(m), 0, 0};
    mem0 *m2 = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_open(&opt, &m2, &err), 0);
    pthread_t t[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].m = i % 2 ? m2 : m;
        args[i].base = i;
        assert_int_equal(pthread_create(&t[i], NULL, add_many, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    mem0_close(m2);
    cJSON *l = list(m, NULL, 1, 1, 0, "u");
    assert_int_equal((int)cJSON_GetObjectItem(l, "count")->valuedouble, 400);
    cJSON_Delete(l);
    mem0_close(m);
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    mem0 *m = test_open_store("bad", 0);
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_get(m, "not-a-uuid", &res, &err), MEM0_EINVAL);
    mem0_add_req req = {0};
    req.text = "x";
    req.expiration_date = "tomorrow";
    assert_int_equal(mem0_add(m, &req, &res, &err), MEM0_EINVAL);
    req.expiration_date = NULL;
    req.scope.user_id = "bad\nid";
    assert_int_equal(mem0_add(m, &req, &res, &err), MEM0_EINVAL);
    req.scope.user_id = "u";
    req.text = "\xff\xfe invalid";
    assert_int_equal(mem0_add(m, &req, &res, &err), MEM0_EINVAL);
    cJSON *f = test_json("{\"no_such_field\":1}");
    mem0_list_req lr = {f, "u", 1, 10, 0};
    assert_int_equal(mem0_list(m, &lr, &res, &err), MEM0_EINVAL);
    cJSON_Delete(f);
    mem0_close(m);
}

static void read_only_handle_reads(void **state)
{
    (void)state;
    mem0 *m = test_open_store("ro", 0);
    test_add(m, "u", "readable later", NULL);
    mem0_options opt = {mem0_home(m), 0, 1};
    char home[4096];
    snprintf(home, sizeof home, "%s", mem0_home(m));
    mem0_close(m);
    opt.home = home;
    mem0 *ro = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_open(&opt, &ro, &err), 0);
    cJSON *l = list(ro, NULL, 1, 10, 0, "u");
    assert_int_equal(cJSON_GetArraySize(results(l)), 1);
    cJSON_Delete(l);
    mem0_add_req req = {0};
    req.text = "no writes";
    cJSON *res = NULL;
    assert_int_equal(mem0_add(ro, &req, &res, &err), MEM0_EPERM);
    mem0_close(ro);
}

static void trash_is_purged_after_its_retention(void **state)
{
    (void)state;
    mem0 *m = test_open_store("trashpurge", 0);
    char id[64], home[4096];
    snprintf(id, sizeof id, "%s", test_add(m, "u", "short-lived", NULL));
    snprintf(home, sizeof home, "%s", mem0_home(m));
    cJSON *res = NULL;
    mem0_err err = {0};
    assert_int_equal(mem0_delete(m, id, "test", &res, &err), 0);
    cJSON_Delete(res);
    mem0_sweep_stats st;
    assert_int_equal(mem0_sweep(m, 0, &st, &err), 0);
    assert_int_equal(st.purged_trash, 0); /* still restorable today */

    /* 31 days later (trash_days is 30) the sweeper drops it; history keeps the DELETE. */
    char later[11];
    date_today_plus(31, later);
    setenv("MEM0_NOW", later, 1);
    assert_int_equal(mem0_sweep(m, 0, &st, &err), 0);
    unsetenv("MEM0_NOW");
    assert_int_equal(st.purged_trash, 1);
    cJSON *got = NULL;
    assert_int_equal(mem0_restore(m, id, "test", &got, &err), MEM0_ENOTFOUND);
    cJSON *hist = NULL;
    assert_int_equal(mem0_history(m, id, &hist, &err), 0);
    cJSON_Delete(hist);
    mem0_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_then_get_returns_every_field),
        cmocka_unit_test(infer_false_keeps_duplicates_infer_true_skips_them),
        cmocka_unit_test(messages_store_each_turn_and_skip_system),
        cmocka_unit_test(list_pages_cover_everything_newest_first),
        cmocka_unit_test(search_respects_threshold_top_k_and_scope),
        cmocka_unit_test(expired_memories_hide_then_get_purged),
        cmocka_unit_test(update_changes_text_hash_and_history),
        cmocka_unit_test(delete_goes_to_trash_and_restores),
        cmocka_unit_test(delete_all_keeps_entities_delete_entity_removes_them),
        cmocka_unit_test(map_grows_from_one_mebibyte),
        cmocka_unit_test(store_files_are_private),
        cmocka_unit_test(newer_schema_is_refused_clearly),
        cmocka_unit_test(one_handle_serves_many_threads),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(read_only_handle_reads),
        cmocka_unit_test(trash_is_purged_after_its_retention),
    };
    return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
