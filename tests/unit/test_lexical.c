/* test_lexical.c: the tokeniser, the postings index beside the records, and search over it
 * (core/lexical.c, core/search.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lexical.h"
#include "memory.h"
#include "support.h"
#include "util.h"

/* ---- Tokeniser ---------------------------------------------------------------------- */

static lex_terms terms_of(const char *text)
{
    lex_terms t;
    memset(&t, 0, sizeof t);
    mem0_err err = {0};
    assert_int_equal(lexical_tokenize(text, &t, &err), 0);
    lexical_merge(&t);
    return t;
}

static double weight_of(const lex_terms *t, const char *term)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].text, term) == 0) return t->v[i].weight;
    return 0;
}

/* Fails unless text yields each of the NULL-terminated terms. */
static void expect_terms(const char *text, ...)
{
    lex_terms t = terms_of(text);
    va_list ap;
    va_start(ap, text);
    for (const char *want; (want = va_arg(ap, const char *));) {
        if (weight_of(&t, want) <= 0) {
            char got[1024] = "";
            for (size_t i = 0; i < t.n; i++) {
                strncat(got, t.v[i].text, sizeof got - strlen(got) - 2);
                strncat(got, " ", sizeof got - strlen(got) - 1);
            }
            va_end(ap);
            lexical_terms_free(&t);
            fail_msg("\"%s\": no term \"%s\" among: %s", text, want, got);
        }
    }
    va_end(ap);
    lexical_terms_free(&t);
}

static void expect_no_term(const char *text, const char *term)
{
    lex_terms t = terms_of(text);
    double w = weight_of(&t, term);
    lexical_terms_free(&t);
    if (w > 0) fail_msg("\"%s\" should not give \"%s\"", text, term);
}

static void tokenize_plain_english_like_the_reference(void **state)
{
    (void)state;
    /* Stop words go, stems meet, apostrophes split as in [a-z0-9]+ tokens. */
    expect_terms("The runners were running; she runs", "runner", "run", NULL);
    expect_no_term("The runners were running", "the");
    expect_no_term("The runners were running", "were");
    expect_terms("Caroline's LGBTQ group", "carolin", "s", "lgbtq", "group", NULL);
    lex_terms t = terms_of("the and of a");
    assert_int_equal(t.n, 0);
    assert_true(t.length == 0);
    lexical_terms_free(&t);
    t = terms_of("apples apples apples");
    assert_true(weight_of(&t, "appl") == 3);
    lexical_terms_free(&t);
}

static void tokenize_unicode(void **state)
{
    (void)state;
    /* Accents fold away, so a query typed without them still matches. */
    expect_terms("Café NAÏVE résumé", "cafe", "naiv", "resum", NULL);
    /* Full-width forms become ASCII (NFKC). */
    expect_terms("ＡＢＣ１２３ ｐｏｒｔ", "abc123", "port", NULL);
    /* Case folding: ß -> ss; dotted capital İ -> i; dotless ı stays its own letter. */
    expect_terms("Straße", "strass", NULL);
    expect_terms("İstanbul", "istanbul", NULL);
    expect_terms("ılık", "ılık", NULL);
    expect_no_term("ılık", "ilik");
    /* CJK has no spaces: overlapping bigrams. */
    expect_terms("我喜欢猫", "我喜", "喜欢", "欢猫", NULL);
    expect_terms("東京 に 行く", "東京", "に", NULL);
    /* Emoji and symbols separate words and vanish. */
    expect_terms("🚀launch✨day", "launch", "day", NULL);
    lex_terms t = terms_of("🚀🎉👍");
    assert_int_equal(t.n, 0);
    lexical_terms_free(&t);
    /* Greek and Cyrillic fold case and keep their letters. */
    expect_terms("ΟΔΥΣΣΕΥΣ Москва", "οδυσσευσ", "москва", NULL);
    /* Invalid UTF-8 gives no terms and no crash. */
    t = terms_of("ok \xff\xfe broken");
    lexical_terms_free(&t);
}

static void tokenize_code_identifiers(void **state)
{
    (void)state;
    /* CamelCase: whole identifier plus its (stemmed) parts at half weight. */
    lex_terms t = terms_of("parseHTTPRequest");
    assert_true(weight_of(&t, "parsehttprequest") == 1);
    assert_true(weight_of(&t, "http") == 0.5);
    assert_true(weight_of(&t, "request") == 0.5);
    assert_true(weight_of(&t, "pars") == 0.5);
    lexical_terms_free(&t);
    expect_terms("HTTPServer", "httpserver", "http", "server", NULL);
    /* snake_case */
    expect_terms("max_retry_count", "max_retry_count", "max", "retri", "count", NULL);
    /* dotted names */
    expect_terms("call os.path.join now", "os.path.join", "os", "path", "join", NULL);
    /* A plain capitalised word is one word (and a name). */
    expect_terms("Caroline", "carolin", "=caroline", NULL);
    expect_no_term("Caroline", "caroline");
    /* Digits stay inside words. */
    expect_terms("utf8 and ipv6", "utf8", "ipv6", NULL);
}

static void tokenize_paths_and_versions(void **state)
{
    (void)state;
    expect_terms("edit src/core/lexical.c today", "src/core/lexical.c", "src", "core", "lexic", "c",
                 "=src/core/lexical.c", NULL);
    expect_terms("see README.md", "readme.md", "readm", "md", "=readme.md", NULL);
    expect_terms("C:\\Users\\me\\notes.txt", "users\\me\\notes.txt", "user", "note", "txt", NULL);
    /* Versions: whole, without the v, and the parts. */
    expect_terms("upgrade to v2.0.1", "v2.0.1", "2.0.1", "v2", "0", "1", NULL);
    expect_terms("pinned 1.2.3.", "1.2.3", "1", "2", "3", NULL);
    /* Trailing sentence dots and leading slashes are not part of a token. */
    expect_terms("It works.", "work", NULL);
    expect_no_term("It works.", "works.");
    expect_terms("/etc/hosts", "etc/hosts", "etc", "host", NULL);
    /* @handles are names. */
    expect_terms("ask @octocat", "=octocat", "octocat", NULL);
    /* Very long tokens are clipped to a bounded term. */
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lex_terms t = terms_of(big);
    for (size_t i = 0; i < t.n; i++)
        assert_true(t.v[i].len <= LEX_MAX_TERM + 1);
    lexical_terms_free(&t);
}

static void dates_are_found(void **state)
{
    (void)state;
    int32_t lo, hi;
    assert_true(lexical_find_date("1:56 pm on 8 May, 2023", &lo, &hi));
    assert_int_equal(lo, 19485); /* 2023-05-08 */
    assert_int_equal(hi, lo);
    assert_true(lexical_find_date("on May 8, 2023", &lo, &hi));
    assert_int_equal(lo, 19485);
    assert_true(lexical_find_date("deployed 2023-05-08", &lo, &hi));
    assert_int_equal(lo, 19485);
    assert_true(lexical_find_date("What happened in May 2023?", &lo, &hi));
    assert_int_equal(lo, 19478);
    assert_int_equal(hi, 19508);
    assert_false(lexical_find_date("nothing dated here, maybe", &lo, &hi));
    assert_true(lexical_temporal("I went there yesterday"));
    assert_true(lexical_temporal("back in 2019"));
    assert_false(lexical_temporal("I like tea"));
}

/* ---- Index beside the records ------------------------------------------------------- */

static int verify_txn(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    return lexical_verify(txn, db, ctx, err);
}

static void expect_consistent(mem0 *m, long records)
{
    lex_verify_report rep;
    mem0_err err = {0};
    if (store_read(m->st, verify_txn, &rep, &err)) fail_msg("lexical_verify: %s", err.msg);
    if (rep.problems)
        fail_msg("index disagrees with records (%ld problems): %s", rep.problems, rep.first);
    if (records >= 0) assert_int_equal(rep.records, records);
}

static cJSON *search(mem0 *m, const char *query, const char *filters, int top_k)
{
    cJSON *f = filters ? test_json(filters) : NULL;
    mem0_search_req req = {query, f, "u", top_k, -1, 0, 1};
    cJSON *res = NULL;
    mem0_err err = {0};
    int rc = mem0_search(m, &req, &res, &err);
    cJSON_Delete(f);
    if (rc) fail_msg("mem0_search: %s", err.msg);
    return res;
}

static int count(cJSON *res)
{
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(res, "results"));
    cJSON_Delete(res);
    return n;
}

static const char *first_text(cJSON *res, char *buf, size_t n)
{
    cJSON *it = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0);
    snprintf(buf, n, "%s", it ? cJSON_GetObjectItem(it, "memory")->valuestring : "");
    cJSON_Delete(res);
    return buf;
}

static const char *add_run(mem0 *m, const char *user, const char *run, const char *text)
{
    static char id[64];
    mem0_add_req req = {0};
    req.text = text;
    req.scope.user_id = user;
    req.scope.run_id = run;
    req.actor = "test";
    cJSON *res = NULL;
    mem0_err err = {0};
    if (mem0_add(m, &req, &res, &err)) fail_msg("mem0_add: %s", err.msg);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0);
    snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(first, "id")->valuestring);
    cJSON_Delete(res);
    return id;
}

static void postings_follow_every_operation(void **state)
{
    (void)state;
    setenv("MEM0_RANKING", "bm25", 1); /* counts below are of memories sharing a term */
    mem0 *m = test_open_store("lexops", 0);
    mem0_err err = {0};
    char a[64], b[64];
    snprintf(a, sizeof a, "%s", add_run(m, "u", "r1", "The deploy script lives in ops/deploy.sh"));
    snprintf(b, sizeof b, "%s", add_run(m, "u", "r1", "Staging uses port 8080"));
    add_run(m, "u", "r1", "Production uses port 443");
    add_run(m, "u", "r2", "Unrelated chatter about lunch");
    test_add(m, "v", "Another user's deploy notes", NULL);
    expect_consistent(m, 5);
    assert_int_equal(count(search(m, "deploy", NULL, 10)), 1); /* user u only */

    /* Update: old terms leave, new ones arrive. */
    cJSON *mem = NULL;
    mem0_update_req up = {b, "Staging uses port 9090", NULL, NULL, "test"};
    assert_int_equal(mem0_update(m, &up, &mem, &err), 0);
    cJSON_Delete(mem);
    expect_consistent(m, 5);
    assert_int_equal(count(search(m, "8080", NULL, 10)), 0);
    assert_int_equal(count(search(m, "9090", NULL, 10)), 1);

    /* Delete, then restore from the trash. */
    cJSON *res = NULL;
    assert_int_equal(mem0_delete(m, a, "test", &res, &err), 0);
    cJSON_Delete(res);
    expect_consistent(m, 4);
    assert_int_equal(count(search(m, "deploy.sh", NULL, 10)), 0);
    assert_int_equal(mem0_restore(m, a, "test", &mem, &err), 0);
    cJSON_Delete(mem);
    expect_consistent(m, 5);
    assert_int_equal(count(search(m, "deploy.sh", NULL, 10)), 1);

    /* Delete all of a scope. */
    mem0_scope sc = {"u", NULL, NULL, "r2"};
    assert_int_equal(mem0_delete_all(m, &sc, "test", &res, &err), 0);
    cJSON_Delete(res);
    expect_consistent(m, 4);

    /* Sweep purges an expired memory for good. */
    test_add(m, "u", "expired snapshot of the build", "2020-01-01");
    expect_consistent(m, 5);
    assert_int_equal(count(search(m, "snapshot", NULL, 10)), 0); /* hidden once expired */
    mem0_sweep_stats st;
    assert_int_equal(mem0_sweep(m, 0, &st, &err), 0);
    assert_int_equal(st.purged_expired, 1);
    expect_consistent(m, 4);

    /* Export, then import into a fresh store: the index is built as records arrive. */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(mem0_export(m, out, &err), 0);
    fclose(out);
    mem0 *m2 = test_open_store("lexops2", 0);
    FILE *in = fmemopen(buf, len, "r");
    mem0_import_stats ist;
    assert_int_equal(mem0_import(m2, in, NULL, NULL, &ist, &err), 0);
    fclose(in);
    free(buf);
    expect_consistent(m2, 4);
    assert_int_equal(count(search(m2, "9090", NULL, 10)), 1);
    mem0_close(m2);
    mem0_close(m);
    unsetenv("MEM0_RANKING");
}

static int wipe_txn(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    (void)ctx;
    int rc = mdb_drop(txn, db->docs, 0);
    if (rc == 0) rc = mdb_drop(txn, db->postings, 0);
    return rc ? store_fail(err, rc, "mdb_drop") : 0;
}

static void missing_index_is_rebuilt_on_open(void **state)
{
    (void)state;
    mem0 *m = test_open_store("lexrebuild", 0);
    char home[4096];
    snprintf(home, sizeof home, "%s", mem0_home(m));
    add_run(m, "u", "r", "first turn about kayaks");
    add_run(m, "u", "r", "second turn about paddles");
    test_add(m, "u", "a note without a run", NULL);
    mem0_err err = {0};
    assert_int_equal(store_write(m->st, wipe_txn, NULL, &err), 0);
    assert_int_equal(count(search(m, "kayaks", NULL, 10)), 0);
    mem0_close(m);
    /* As a store written before the index existed: opening indexes it again. */
    mem0_options opt = {home, 0, 0};
    assert_int_equal(mem0_open(&opt, &m, &err), 0);
    expect_consistent(m, 3);
    char buf[128];
    assert_string_equal(first_text(search(m, "kayaks", NULL, 10), buf, sizeof buf),
                        "first turn about kayaks");
    mem0_close(m);
}

static int lose_posting_txn(MDB_txn *txn, const store_dbs *db, void *ctx, mem0_err *err)
{
    (void)ctx;
    MDB_val k = {6, "dkayak"}, v; /* the stem of "kayaks" */
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, db->postings, &cur);
    if (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY)) == 0)
        rc = mdb_cursor_del(cur, 0);
    mdb_cursor_close(cur);
    return rc ? store_fail(err, rc, "lose a posting") : 0;
}

static void checker_notices_a_lost_posting(void **state)
{
    (void)state;
    mem0 *m = test_open_store("lexcheck", 0);
    test_add(m, "u", "kayaks on the lake", NULL);
    expect_consistent(m, 1);
    mem0_err err = {0};
    assert_int_equal(store_write(m->st, lose_posting_txn, NULL, &err), 0);
    lex_verify_report rep;
    assert_int_equal(store_read(m->st, verify_txn, &rep, &err), 0);
    assert_true(rep.problems > 0);
    assert_non_null(strstr(rep.first, "lacks a posting"));
    mem0_close(m);
}

/* ---- Search behaviour --------------------------------------------------------------- */

static void search_is_code_aware(void **state)
{
    (void)state;
    mem0 *m = test_open_store("lexcode", 0);
    test_add(m, "u", "The tokenizer lives in core/lexical.c next to search", NULL);
    test_add(m, "u", "We run the HTTPServer on port 8080", NULL);
    test_add(m, "u", "Pinned the client to v2.0.1 after the regression", NULL);
    test_add(m, "u", "Retries are set by max_retry_count in the config", NULL);
    test_add(m, "u", "Lexical scoping in the language is a different topic entirely", NULL);
    char buf[256];
    assert_string_equal(first_text(search(m, "lexical.c", NULL, 3), buf, sizeof buf),
                        "The tokenizer lives in core/lexical.c next to search");
    assert_string_equal(first_text(search(m, "http server", NULL, 3), buf, sizeof buf),
                        "We run the HTTPServer on port 8080");
    assert_string_equal(first_text(search(m, "2.0.1", NULL, 3), buf, sizeof buf),
                        "Pinned the client to v2.0.1 after the regression");
    assert_string_equal(first_text(search(m, "retry count", NULL, 3), buf, sizeof buf),
                        "Retries are set by max_retry_count in the config");
    assert_string_equal(first_text(search(m, "cafe", NULL, 3), buf, sizeof buf), "");
    mem0_close(m);
}

static void run_neighbours_lend_context(void **state)
{
    (void)state;
    unsetenv("MEM0_RANKING");
    mem0 *m = test_open_store("lexrun", 0);
    add_run(m, "u", "s1", "Alice: did you fix the flaky integration test?");
    add_run(m, "u", "s1", "Bob: yes, it was a race in the fixture teardown");
    add_run(m, "u", "s1", "Alice: great, thanks");
    for (int i = 0; i < 20; i++) {
        char t[80];
        snprintf(t, sizeof t, "Filler note %d about lunch plans", i);
        test_add(m, "u", t, NULL);
    }
    /* The answer shares no word with the question; its run neighbour does. */
    cJSON *res = search(m, "flaky integration test", NULL, 5);
    int found = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "results"))
    {
        if (strstr(cJSON_GetObjectItem(it, "memory")->valuestring, "race in the fixture")) {
            found = 1;
            cJSON *d = cJSON_GetObjectItem(it, "score_details");
            assert_true(cJSON_GetObjectItem(d, "neighbour")->valuedouble > 0);
            assert_true(cJSON_GetObjectItem(d, "lexical")->valuedouble == 0);
        }
        double s = cJSON_GetObjectItem(it, "score")->valuedouble;
        assert_true(s > 0 && s <= 1);
    }
    cJSON_Delete(res);
    assert_true(found);
    /* Plain BM25 returns only memories sharing a term. */
    setenv("MEM0_RANKING", "bm25", 1);
    assert_int_equal(count(search(m, "flaky integration test", NULL, 5)), 1);
    unsetenv("MEM0_RANKING");
    mem0_close(m);
}

static void filters_apply_before_ranking(void **state)
{
    (void)state;
    mem0 *m = test_open_store("lexfilter", 0);
    /* Many strong matches in one project, a few weaker ones in another. */
    for (int i = 0; i < 300; i++) {
        mem0_add_req req = {0};
        char t[96];
        snprintf(t, sizeof t, "alpha alpha build cache note %d", i);
        req.text = t;
        req.scope.user_id = "u";
        req.scope.app_id = "big";
        cJSON *res = NULL;
        mem0_err err = {0};
        assert_int_equal(mem0_add(m, &req, &res, &err), 0);
        cJSON_Delete(res);
    }
    for (int i = 0; i < 4; i++) {
        mem0_add_req req = {0};
        char t[160];
        snprintf(t, sizeof t, "alpha mentioned once among many other words in this longer note %d",
                 i);
        req.text = t;
        req.scope.user_id = "u";
        req.scope.app_id = "small";
        cJSON *res = NULL;
        mem0_err err = {0};
        assert_int_equal(mem0_add(m, &req, &res, &err), 0);
        cJSON_Delete(res);
    }
    cJSON *res = search(m, "alpha", "{\"app_id\":\"small\"}", 10);
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "results"))
        assert_string_equal(cJSON_GetObjectItem(it, "app_id")->valuestring, "small");
    assert_int_equal(count(res), 4);
    /* top_k holds after filtering and scores never increase down the list. */
    res = search(m, "alpha", NULL, 7);
    double prev = 2;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(res, "results"))
    {
        double s = cJSON_GetObjectItem(it, "score")->valuedouble;
        assert_true(s <= prev);
        prev = s;
    }
    assert_int_equal(count(res), 7);
    expect_consistent(m, 304);
    mem0_close(m);
}

/* ---- Kill -9 between operations ----------------------------------------------------- */

/* The child adds, updates and deletes in a loop, writing one byte to fd after each op. */
static void writer_child(const char *home, int fd)
{
    mem0_options opt = {home, 0, 0};
    mem0 *m;
    mem0_err err = {0};
    if (mem0_open(&opt, &m, &err)) _exit(2);
    char ids[64][40];
    int n = 0;
    for (unsigned i = 0;; i++) {
        char text[128], run[16];
        snprintf(text, sizeof text, "turn %u about topic%u with CamelCaseWord%u and v1.%u.0", i,
                 i % 7, i % 5, i % 3);
        snprintf(run, sizeof run, "run%u", i % 3);
        cJSON *res = NULL;
        if (n < 64 || i % 3 == 0) {
            mem0_add_req req = {0};
            req.text = text;
            req.scope.user_id = i % 4 ? "u" : "w";
            req.scope.run_id = run;
            if (mem0_add(m, &req, &res, &err)) _exit(3);
            const char *id = cJSON_GetObjectItem(
                                 cJSON_GetArrayItem(cJSON_GetObjectItem(res, "results"), 0), "id")
                                 ->valuestring;
            snprintf(ids[n % 64], sizeof ids[0], "%s", id);
            n++;
        } else if (i % 3 == 1) {
            mem0_update_req up = {ids[i % 64], text, NULL, NULL, "test"};
            if (mem0_update(m, &up, &res, &err) && err.code != MEM0_ENOTFOUND) _exit(4);
        } else {
            if (mem0_delete(m, ids[(i * 7) % 64], "test", &res, &err) && err.code != MEM0_ENOTFOUND)
                _exit(5);
        }
        cJSON_Delete(res);
        if (write(fd, "x", 1) != 1) _exit(6);
    }
}

static void index_survives_kill_between_operations(void **state)
{
    (void)state;
    unsigned seed = (unsigned)getpid();
    for (int round = 0; round < 3; round++) {
        const char *home = test_scratch_dir("lexkill");
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            writer_child(home, fds[1]);
        }
        close(fds[1]);
        /* Let it complete a random number of operations, then kill it mid-flight. */
        int want = 40 + (int)(rand_r(&seed) % 160), got = 0;
        char c;
        while (got < want && read(fds[0], &c, 1) == 1)
            got++;
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        close(fds[0]);
        assert_int_equal(got, want);
        mem0_options opt = {home, 0, 0};
        mem0 *m;
        mem0_err err = {0};
        assert_int_equal(mem0_open(&opt, &m, &err), 0);
        expect_consistent(m, -1);
        mem0_close(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenize_plain_english_like_the_reference),
        cmocka_unit_test(tokenize_unicode),
        cmocka_unit_test(tokenize_code_identifiers),
        cmocka_unit_test(tokenize_paths_and_versions),
        cmocka_unit_test(dates_are_found),
        cmocka_unit_test(postings_follow_every_operation),
        cmocka_unit_test(missing_index_is_rebuilt_on_open),
        cmocka_unit_test(checker_notices_a_lost_posting),
        cmocka_unit_test(search_is_code_aware),
        cmocka_unit_test(run_neighbours_lend_context),
        cmocka_unit_test(filters_apply_before_ranking),
        cmocka_unit_test(index_survives_kill_between_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
